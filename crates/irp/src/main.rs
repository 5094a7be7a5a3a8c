//! The `irp` command.
// Printing is what a command-line tool is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod admin;
mod bench;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A request allocates and frees many small buffers on several threads (JSON values, base64,
/// AES blocks, SQL rows); mimalloc's per-thread pages make that cheaper than glibc's arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "irp",
    version,
    about = "An open-source GST e-invoice Invoice Registration Portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a portal (by default a sandbox portal on 127.0.0.1:8080 with embedded storage).
    Serve(serve::ServeArgs),
    /// Administer the taxpayer register, API clients and users.
    Admin(admin::AdminArgs),
    /// Load-test one or more portals with realistic invoices and report throughput and latency.
    Bench(bench::BenchArgs),
}

/// Where the registry is: `--database URL`, or `<data dir>/irp.db`.
#[derive(clap::Args, Clone, Debug)]
pub struct StoreArgs {
    /// Directory for keys, the embedded database and sandbox.json.
    #[arg(long, env = "IRP_DATA_DIR", default_value = "./irp-data")]
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; default: SQLite in the data directory.
    #[arg(long, env = "IRP_DATABASE_URL")]
    pub database: Option<String>,
}

impl StoreArgs {
    pub fn database_url(&self) -> String {
        self.database.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("irp.db").display()
            )
        })
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IRP_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Bench(args) => bench::run(args).await,
        }
    })
}
