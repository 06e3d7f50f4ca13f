//! `billing-server`: the billing API and the built page on one origin.

use billing_server::{demo, serve, Config, Db};
use clap::Parser;
use std::path::PathBuf;

/// The shortest metering token accepted outside `--demo`.
const MIN_TOKEN_LEN: usize = 32;

/// The billing API for the Plan & Billing page.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// The database: a SQLite file (created if missing) for one server, or a
    /// PostgreSQL URL (postgres://user:password@host:port/database) that
    /// several servers share (or env BILLING_DB: a URL with a password shows
    /// in `ps` on the command line). The schema is brought up to date at start.
    #[arg(
        long,
        env = "BILLING_DB",
        default_value = "billing.sqlite3",
        hide_env_values = true
    )]
    db: String,
    /// The built page to serve (dist/ from scripts/build-page.sh).
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Demo mode: seed demo data into an empty database, enable demo sign-in
    /// and the demo metering token. Loopback addresses and demo data only.
    #[arg(long)]
    demo: bool,
    /// Where people reach the page, e.g. https://billing.example.com. Over
    /// https the session cookie is Secure and __Host- prefixed.
    #[arg(long)]
    public_url: Option<String>,
    /// The most usage records one metering commit carries (group commit, on
    /// SQLite and PostgreSQL; on SQLite also the most writes of any kind).
    /// 1 commits every request in a transaction of its own, for comparison
    /// in the benchmark.
    #[arg(long, default_value_t = billing_server::store::DEFAULT_MAX_BATCH)]
    write_batch: usize,
    /// The SMTP server alert emails to owners and admins go through (or env
    /// BILLING_SMTP_URL, which keeps a password out of `ps`):
    /// smtps://user:password@host:465 (TLS), smtp://user:password@host:587
    /// (STARTTLS, required), or smtp://host:25 for a relay without sign-in or
    /// TLS. Without it, no email is sent.
    #[arg(long, env = "BILLING_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// A private CA (PEM) to trust for the SMTP server's certificate, besides
    /// the public roots.
    #[arg(long, requires = "smtp_url")]
    smtp_ca_file: Option<PathBuf>,
    /// Sender of alert emails.
    #[arg(long, default_value = billing_server::DEFAULT_SMTP_FROM)]
    smtp_from: String,
    /// Let webhooks be plain http:// to this machine (127.0.0.0/8, ::1,
    /// localhost), for tests. Off: https:// to public addresses only.
    #[arg(long)]
    allow_http_webhooks: bool,
    /// Serve metrics (Prometheus text format) at http://ADDR/metrics, on a
    /// listener of its own. Off by default; keep it off the public network.
    #[arg(long)]
    metrics_addr: Option<std::net::SocketAddr>,
    /// The most connections open at once; more wait to be accepted.
    #[arg(long, default_value_t = billing_server::serve::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Days to keep delivered and given-up alerts (and their attempts) before
    /// housekeeping removes them; ended sessions are removed at once.
    #[arg(long, default_value_t = billing_server::service::DEFAULT_RETENTION_DAYS)]
    retention_days: u32,
    /// For tests of the demo: the server's "now" is the RFC 3339 instant in
    /// this file, read again on every use. Only with --demo.
    #[arg(long, requires = "demo")]
    clock_file: Option<PathBuf>,
    /// Sign people in through this OpenID Connect provider (its issuer URL,
    /// for discovery), e.g. https://auth.example.com/realms/platform.
    /// Needs --public-url (the redirect URI is {public-url}/api/auth/callback),
    /// --oidc-client-id and the client secret.
    #[arg(long, requires_all = ["public_url", "oidc_client_id"])]
    oidc_issuer: Option<String>,
    /// This server's client id at the OpenID provider.
    #[arg(long, requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// File holding the client secret at the OpenID provider (or env
    /// BILLING_OIDC_CLIENT_SECRET).
    #[arg(long, requires = "oidc_issuer")]
    oidc_client_secret_file: Option<PathBuf>,
    /// File holding the bearer token of the provisioning API (/api/platform/…):
    /// at least 32 characters, not the metering token. Without it the
    /// provisioning API answers 401.
    #[arg(long)]
    platform_token_file: Option<PathBuf>,
    /// The platform's billing webhook: every statement (flex.cycle_closed) is
    /// sent here too, signed with the secret in --platform-webhook-secret-file.
    /// Set by the operator, so it may be plain http:// to a private address.
    #[arg(long, requires = "platform_webhook_secret_file")]
    platform_webhook_url: Option<String>,
    /// File holding the platform webhook's signing secret (whsec_…, base64).
    #[arg(long, requires = "platform_webhook_url")]
    platform_webhook_secret_file: Option<PathBuf>,
    /// File holding the bearer token the metering endpoint accepts.
    #[arg(long, conflicts_with = "metering_token")]
    metering_token_file: Option<PathBuf>,
    /// The metering token itself (or env BILLING_METERING_TOKEN). On the command
    /// line it shows in `ps`: prefer the file or the environment.
    #[arg(long, env = "BILLING_METERING_TOKEN", hide_env_values = true)]
    metering_token: Option<String>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn metering_token(args: &Args) -> Result<Option<String>, Failure> {
    let token = match &args.metering_token_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read --metering-token-file {}: {e}", file.display()))?
                .trim()
                .to_string(),
        ),
        None => args.metering_token.clone(),
    };
    if let Some(t) = &token {
        if !args.demo && t.chars().count() < MIN_TOKEN_LEN {
            return Err(format!(
                "the metering token is {} characters; outside --demo it must be at least {MIN_TOKEN_LEN}",
                t.chars().count()
            )
            .into());
        }
    }
    Ok(token)
}

fn oidc(args: &Args) -> Result<Option<billing_server::oidc::OidcConfig>, Failure> {
    let (Some(issuer), Some(client_id)) = (&args.oidc_issuer, &args.oidc_client_id) else {
        return Ok(None);
    };
    let secret = match &args.oidc_client_secret_file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read --oidc-client-secret-file {}: {e}", file.display()))?
            .trim()
            .to_string(),
        None => std::env::var("BILLING_OIDC_CLIENT_SECRET").map_err(|_| {
            "--oidc-issuer needs the client secret: --oidc-client-secret-file or env BILLING_OIDC_CLIENT_SECRET"
        })?,
    };
    Ok(Some(billing_server::oidc::OidcConfig {
        issuer: issuer.clone(),
        client_id: client_id.clone(),
        client_secret: secret,
    }))
}

fn platform_token(args: &Args, metering: Option<&str>) -> Result<Option<String>, Failure> {
    let Some(file) = &args.platform_token_file else {
        return Ok(None);
    };
    let token = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read --platform-token-file {}: {e}", file.display()))?
        .trim()
        .to_string();
    if token.chars().count() < MIN_TOKEN_LEN {
        return Err(format!(
            "the platform token is {} characters; it must be at least {MIN_TOKEN_LEN}",
            token.chars().count()
        )
        .into());
    }
    if Some(token.as_str()) == metering {
        return Err("the platform token must not be the metering token: give each its own".into());
    }
    Ok(Some(token))
}

/// `--demo` is a boundary, not a back door.
async fn check_demo(args: &Args, store: &Db) -> Result<(), Failure> {
    if !args.addr.ip().is_loopback() {
        return Err(format!(
            "--demo serves only loopback addresses (127.0.0.1, ::1); {} is not one. \
             Run without --demo to serve other addresses.",
            args.addr
        )
        .into());
    }
    let foreign: Vec<String> = store
        .workspace_slugs()
        .await?
        .into_iter()
        .filter(|slug| !demo::DEMO_WORKSPACES.contains(&slug.as_str()))
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "--demo runs only on its own data, and this {} database holds workspaces it did not \
             seed ({}). Use another --db for the demo.",
            store.kind(),
            foreign.join(", ")
        )
        .into());
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish what is in flight, exit 0.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let token = metering_token(&args)?;
    let platform = platform_token(&args, token.as_deref())?;
    let oidc = oidc(&args)?;
    let platform_webhook = match (
        &args.platform_webhook_url,
        &args.platform_webhook_secret_file,
    ) {
        (Some(url), Some(file)) => {
            let secret = std::fs::read_to_string(file).map_err(|e| {
                format!(
                    "cannot read --platform-webhook-secret-file {}: {e}",
                    file.display()
                )
            })?;
            Some(billing_server::deliver::PlatformWebhook::new(url, &secret)?)
        }
        _ => None,
    };
    if let Some(url) = &args.smtp_url {
        // A wrong --smtp-url stops the start rather than silencing email.
        billing_server::deliver::Smtp::new(url, &args.smtp_from, args.smtp_ca_file.as_deref())?;
    }
    let store = Db::open(&args.db, args.write_batch).await?;
    tracing::info!("billing store: {}", store.kind());
    if args.demo {
        check_demo(&args, &store).await?;
        if store.seed_demo_if_empty().await? {
            tracing::info!("seeded demo data");
        }
    }
    if let Some(dir) = &args.static_dir {
        if !dir.join("index.html").exists() {
            tracing::warn!(
                "{} has no index.html: build the page with scripts/build-page.sh",
                dir.display()
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("Plan & Billing is running at {url}");
    if args.demo {
        println!("Sign in as a demo user at {url}/api/dev/login");
        println!("Metering token: {}", demo::DEMO_METERING_TOKEN);
    }
    let config = Config {
        static_dir: args.static_dir,
        demo: args.demo,
        metering_tokens: token.into_iter().collect(),
        platform_token: platform,
        oidc,
        public_url: args.public_url,
        smtp_url: args.smtp_url,
        smtp_from: Some(args.smtp_from),
        smtp_ca_file: args.smtp_ca_file,
        clock_file: args.clock_file,
        platform_webhook,
        allow_http_webhooks: args.allow_http_webhooks,
        retention_days: Some(args.retention_days),
        write_batch: Some(args.write_batch),
        metrics_addr: args.metrics_addr,
        limits: billing_server::serve::Limits {
            max_connections: args.max_connections,
            ..Default::default()
        },
    };
    serve(listener, store, config, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
