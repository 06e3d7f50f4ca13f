//! `billing-server`: the billing API and the built page on one origin.

use billing_server::{demo, serve, Config, SqliteStore};
use clap::Parser;
use std::path::PathBuf;

/// The billing API for the Plan & Billing page.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "billing.sqlite3")]
    db: PathBuf,
    /// The built page to serve (Trunk's dist/ folder).
    #[arg(long)]
    static_dir: Option<PathBuf>,
    /// Seed demo data into an empty database and enable demo sign-in.
    #[arg(long)]
    demo: bool,
    /// The most writes one SQLite commit carries (group commit). 1 commits
    /// every request on its own, for comparison in the benchmark.
    #[arg(long, default_value_t = billing_server::store::DEFAULT_MAX_BATCH)]
    write_batch: usize,
    /// Bearer token the metering endpoint accepts.
    #[arg(long, env = "BILLING_METERING_TOKEN", hide_env_values = true)]
    metering_token: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let store = SqliteStore::open_with_batch(&args.db, args.write_batch)?;
    if args.demo && store.seed_demo_if_empty()? {
        tracing::info!("seeded demo data into {}", args.db.display());
    }
    if let Some(dir) = &args.static_dir {
        if !dir.join("index.html").exists() {
            tracing::warn!(
                "{} has no index.html: build the page with `trunk build --release`",
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
        metering_tokens: args.metering_token.into_iter().collect(),
    };
    serve(listener, store, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
