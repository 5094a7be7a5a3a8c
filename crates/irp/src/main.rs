//! The `irp` command.
// Printing is what a command-line tool is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod admin;
mod bench;
mod bulk;
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
    /// Register or cancel a file of documents through a portal's API, resumably.
    Bulk(bulk::BulkArgs),
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
    /// Opens the registry: `--database`, or the SQLite file in the data directory.
    pub async fn open(
        &self,
    ) -> Result<std::sync::Arc<dyn irp_store::Store>, irp_store::StoreError> {
        match &self.database {
            Some(url) => irp_store::open(url).await,
            None => irp_store::open_sqlite_file(&self.data_dir.join("irp.db")).await,
        }
    }
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    // Colour codes only for a person at a terminal: a log redirected to a file or a journal
    // gets plain text (and `NO_COLOR` turns them off everywhere).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IRP_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .with_ansi(colour)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Bulk(args) => return bulk::run(args).await,
        }
        .map(|()| std::process::ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    fn every_command(command: &clap::Command) -> Vec<&clap::Command> {
        let mut all = vec![command];
        for sub in command.get_subcommands() {
            all.extend(every_command(sub));
        }
        all
    }

    /// The settings refuse unknown `IRP_…` variables, so every variable a flag reads must be on
    /// their list of variables that are not settings.
    #[test]
    fn every_variable_of_a_flag_is_let_through_by_the_settings() {
        let cli = super::Cli::command();
        for command in every_command(&cli) {
            for arg in command.get_arguments() {
                let Some(name) = arg.get_env().and_then(|name| name.to_str()) else {
                    continue;
                };
                assert!(
                    irp_server::settings::OTHER_VARIABLES
                        .iter()
                        .any(|(other, _)| *other == name),
                    "{name} ({}) is missing from OTHER_VARIABLES",
                    command.get_name()
                );
            }
        }
    }

    /// Every flag of `irp serve` is in `docs/CONFIGURATION.md`.
    #[test]
    fn every_flag_of_serve_is_documented() {
        let doc = include_str!("../../../docs/CONFIGURATION.md");
        let cli = super::Cli::command();
        let serve = cli
            .find_subcommand("serve")
            .expect("irp has a serve command");
        for arg in serve.get_arguments() {
            if let Some(long) = arg.get_long() {
                assert!(
                    doc.contains(&format!("| `--{long}")),
                    "--{long} is missing from docs/CONFIGURATION.md"
                );
            }
        }
    }
}
