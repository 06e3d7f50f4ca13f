// A real OpenID Provider for the tests: panva's oidc-provider (OpenID
// Certified), on a loopback port, with its development login form.
//   node tests/oidc/provider.mjs PORT ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI
// Anyone may sign in with any e-mail as the login (the password is not
// checked); an e-mail that starts with "unverified" has email_verified false,
// and one that starts with "another-audience" gets an ID token issued for
// another application (the client "another-app"), as a token meant for
// someone else would be.
// Prints "ready" once it listens. The package is where scripts/setup.sh --test
// put it: env OIDC_PROVIDER names its folder (…/node_modules/oidc-provider).
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(
  pathToFileURL(`${process.env.OIDC_PROVIDER}/lib/index.js`).href
);

const [port, issuer, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }, {
    client_id: 'another-app',
    client_secret: 'another-app-secret',
    redirect_uris: ['http://another-app.invalid/callback'],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith('unverified') };
      },
    };
  },
  cookies: { keys: ['billing-tests-only'] },
  // Consent is given by signing in: the form asks once.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  },
});
// The ID token of an "another-audience…" account is issued for another-app.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueFor(options) {
  if (String(this.available?.email ?? '').startsWith('another-audience')) {
    this.client = await provider.Client.find('another-app');
  }
  return issue.call(this, options);
};

provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
