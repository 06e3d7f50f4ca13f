//! Sign-in through the platform's OpenID Connect provider (`--oidc-issuer`),
//! with the `openidconnect` crate: the authorization code flow with PKCE
//! (S256), `state` and `nonce`, scope `openid email`; the ID token is checked
//! for its issuer, audience, signature (the provider's keys), nonce and
//! expiry, and its e-mail must be verified.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl, IssuerUrl, LogoutRequest,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Where the provider sends people back, under `--public-url`.
pub const CALLBACK_PATH: &str = "/api/auth/callback";

/// The provider as configured (`--oidc-issuer`, `--oidc-client-id`, the
/// client secret) and `--public-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// The provider, discovered at first use (and again after a failure).
#[derive(Clone)]
pub struct Oidc {
    config: OidcConfig,
    redirect: String,
    public_url: String,
    http: openidconnect::reqwest::Client,
    metadata: Arc<OnceCell<ProviderMetadataWithLogout>>,
}

/// Why a sign-in did not finish, in words for the page that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// The provider could not be reached or answered nonsense.
    Provider(String),
    /// The code was refused (used before, expired, for another client).
    Code(String),
    /// The ID token did not pass its checks.
    Token(String),
    /// The provider does not vouch for the e-mail address.
    Unverified,
}

impl SignInError {
    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            SignInError::Provider(why) => format!("The sign-in service could not be reached ({why}). Try again in a moment."),
            SignInError::Code(why) => format!("The sign-in could not be completed: the sign-in service refused it ({why}). Sign in again."),
            SignInError::Token(why) => format!("The sign-in could not be completed: its proof of who you are did not check out ({why}). Sign in again."),
            SignInError::Unverified => "Your sign-in service has not verified your e-mail address, so it cannot sign you in here. Verify it there, then sign in again.".into(),
        }
    }
}

/// A sign-in to send the browser on with: the provider's address, and what
/// must be kept to finish it.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Who the provider signed in.
pub struct Verified {
    /// Their e-mail, lower-cased.
    pub email: String,
    /// The ID token, for the provider's sign-out.
    pub id_token: String,
}

impl Oidc {
    /// For `config`, with the page at `public_url` (no trailing slash).
    pub fn new(config: OidcConfig, public_url: &str) -> Oidc {
        let public_url = public_url.trim_end_matches('/').to_string();
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would open the client to server-side request forgery.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Oidc {
            redirect: format!("{public_url}{CALLBACK_PATH}"),
            public_url,
            config,
            http,
            metadata: Arc::default(),
        }
    }

    async fn metadata(&self) -> Result<&ProviderMetadataWithLogout, SignInError> {
        self.metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| SignInError::Provider(format!("--oidc-issuer: {e}")))?;
                ProviderMetadataWithLogout::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| SignInError::Provider(format!("discovery: {}", chain(&e))))
            })
            .await
    }

    fn client(
        &self,
        metadata: &ProviderMetadataWithLogout,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SignInError,
    > {
        let redirect = RedirectUrl::new(self.redirect.clone())
            .map_err(|e| SignInError::Provider(format!("--public-url: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// A new sign-in: the provider's authorization address, with PKCE, a
    /// fresh `state` and `nonce`, scope `openid email`.
    pub async fn start(&self) -> Result<Started, SignInError> {
        let metadata = self.metadata().await?;
        let client = self.client(metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: trades `code` for tokens with the PKCE
    /// `verifier`, checks the ID token against `nonce`, and answers who it
    /// names, if their e-mail is verified.
    pub async fn finish(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Verified, SignInError> {
        let metadata = self.metadata().await?;
        let client = self.client(metadata)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.into()))
            .map_err(|e| SignInError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.into()))
            .request_async(&self.http)
            .await
            .map_err(|e| SignInError::Code(chain(&e)))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SignInError::Token("no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce.into()))
            .map_err(|e| SignInError::Token(e.to_string()))?;
        // The e-mail is in the ID token, or (as OpenID Connect Core has it
        // when an access token is issued too) at the provider's UserInfo
        // endpoint, for the same subject.
        let (email, verified) = match claims.email() {
            Some(email) => (Some(email.as_str().to_string()), claims.email_verified()),
            None => {
                let info: CoreUserInfoClaims = client
                    .user_info(
                        tokens.access_token().clone(),
                        Some(claims.subject().clone()),
                    )
                    .map_err(|e| SignInError::Provider(e.to_string()))?
                    .request_async(&self.http)
                    .await
                    .map_err(|e| SignInError::Token(format!("user info: {}", chain(&e))))?;
                (
                    info.email().map(|e| e.as_str().to_string()),
                    info.email_verified(),
                )
            }
        };
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .ok_or_else(|| SignInError::Token("no e-mail address in it".into()))?;
        if verified != Some(true) {
            return Err(SignInError::Unverified);
        }
        Ok(Verified {
            email,
            id_token: id_token.to_string(),
        })
    }

    /// Where the browser goes to sign out at the provider too, if it says
    /// where (`end_session_endpoint`): with the ID token as a hint, and back
    /// to the page afterwards.
    pub async fn sign_out_url(&self, id_token: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let end: EndSessionUrl = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let back = PostLogoutRedirectUrl::new(format!("{}/", self.public_url)).ok()?;
        let mut url = LogoutRequest::from(end)
            .set_post_logout_redirect_uri(back)
            .http_get_url();
        url.query_pairs_mut().append_pair("id_token_hint", id_token);
        Some(url.to_string())
    }
}

/// An error and its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
