//! `irp serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use irp_server::clock::Clock;
use irp_server::settings::{RawSettings, Settings};
use irp_server::startup::{PortalConfig, prepare};

use crate::StoreArgs;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "IRP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// A TOML file with any setting of the spec (`10-decisions.md` §2; docs/CONFIGURATION.md).
    #[arg(long, env = "IRP_CONFIG")]
    config: Option<PathBuf>,
    /// Which portal this node is (1 or 2); overrides `portal.id`.
    #[arg(long)]
    portal: Option<u8>,
    /// Run as production: no sandbox seed, production token lifetime and `iss`.
    #[arg(long)]
    no_sandbox: bool,
    /// Record this node's shared settings in the registry, replacing what other nodes agreed on
    /// (every node must use the same shared settings, `10-decisions.md` §2).
    #[arg(long)]
    update_shared_settings: bool,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut raw = RawSettings::default();
    if let Some(path) = &args.config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        raw.add_toml(&text, &path.display().to_string())?;
    }
    raw.add_env(std::env::vars())?;
    if let Some(portal) = args.portal {
        raw.set("portal.id", toml::Value::Integer(portal.into()));
    }
    // `irp serve` is a sandbox unless told otherwise, so a laptop gets a working portal at once.
    if !raw.contains("environment") {
        let environment = if args.no_sandbox {
            "production"
        } else {
            "sandbox"
        };
        raw.set("environment", toml::Value::String(environment.to_owned()));
    }
    let settings = Settings::from_raw(&raw)?;
    let config = PortalConfig {
        settings,
        data_dir: args.store.data_dir.clone(),
        database_url: args.store.database.clone(),
        seed_sandbox: !args.no_sandbox,
        replace_shared_settings: args.update_shared_settings,
    };
    let portal = prepare(config, Clock::default()).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    let credentials_file = args.store.data_dir.join("sandbox.json");
    if let (Some(_), false) = (&portal.sandbox, portal.sandbox_created) {
        println!(
            "Sandbox credentials: in {} (readable by this user only)",
            credentials_file.display()
        );
    }
    if let (Some(sandbox), true) = (&portal.sandbox, portal.sandbox_created) {
        println!(
            "Sandbox credentials, shown once (also in {}):",
            credentials_file.display()
        );
        println!("  client_id:     {}", sandbox.client_id);
        println!("  client_secret: {}", sandbox.client_secret);
        println!("  auth public key: {}", sandbox.auth_public_key_pem);
        for user in sandbox.users.iter().take(3) {
            println!(
                "  user {} / {} for GSTIN {}",
                user.username, user.password, user.gstin
            );
        }
        println!("  … {} users in all", sandbox.users.len());
    }
    // The web mode is served at the same address; the sandbox users log in there too.
    let who = if portal.sandbox.is_some() {
        " (sandbox users log in with their user name and password)"
    } else {
        ""
    };
    println!("Web mode: http://{address}/{who}");
    let name = portal.state.settings.irp_name();
    tracing::info!(portal = name, address = %address, store = portal.state.store.backend(), "ready: serving http://{address}");
    irp_server::router::serve(listener, portal.state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, exit.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
