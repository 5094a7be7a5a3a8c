//! `irp bulk`: register (or cancel) a file of documents through a portal's API, as any client
//! would, one call per document with several in flight, failing over across `--url`s, with a
//! progress bar; resumable after any stop (`--resume`), and idempotent: a document that a
//! stopped run may have registered already is looked up, not reported as a duplicate.
//! `docs/BULK.md` describes it for users.

mod input;
mod outcome;
mod output;
mod run;
mod stream;

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use irp_client::{Credentials, NicClient};
use serde::{Deserialize, Serialize};

pub use output::Format;

#[derive(Args)]
pub struct BulkArgs {
    #[command(subcommand)]
    command: BulkCommand,
}

#[derive(Subcommand)]
enum BulkCommand {
    /// Register every invoice of a file: the offline tool's JSON (an array of INV-01 invoices)
    /// or the product's Excel template (`.xlsx`).
    Generate(RunArgs),
    /// Cancel every IRN of a file: a CSV with the columns Irn,CnlRsn,CnlRem, or a JSON array of
    /// {"Irn","CnlRsn","CnlRem"}.
    Cancel(RunArgs),
    /// Write the blank Excel template (with one example invoice, dated today) to a file.
    Template {
        /// Where to write it.
        #[arg(default_value = "irp-bulk-template.xlsx")]
        out: PathBuf,
    },
}

/// What a run does to each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Generate,
    Cancel,
}

impl Kind {
    /// The CSV header of the results: the portal's bulk results' columns (`09` §2.3).
    fn csv_header(self) -> String {
        match self {
            Kind::Generate => irp_sheet::GENERATE_COLUMNS,
            Kind::Cancel => irp_sheet::CANCEL_COLUMNS,
        }
        .join(",")
    }
}

#[derive(Args, Clone)]
pub struct RunArgs {
    /// The file of documents.
    pub file: PathBuf,
    /// A portal's base URL; repeat it to fail over to the next portal when one is down.
    #[arg(long = "url", required = true)]
    pub urls: Vec<String>,
    /// The credentials file that `irp serve` writes for its sandbox users.
    #[arg(long, default_value = "./irp-data/sandbox.json")]
    pub sandbox_json: PathBuf,
    /// The taxpayer to act as (header Gstin); with a sandbox.json, picks its user.
    #[arg(long)]
    pub gstin: String,
    /// API client id (instead of the sandbox.json's).
    #[arg(long)]
    pub client_id: Option<String>,
    /// API client secret (instead of the sandbox.json's).
    #[arg(long)]
    pub client_secret: Option<String>,
    /// User name (instead of the sandbox.json's).
    #[arg(long)]
    pub user: Option<String>,
    /// Password (instead of the sandbox.json's); prefer the sandbox.json on shared machines.
    #[arg(long)]
    pub password: Option<String>,
    /// The portals' auth public key, PEM (instead of the sandbox.json's).
    #[arg(long)]
    pub auth_key: Option<PathBuf>,
    /// Where the results go; default: beside the input, `<name>.results.json`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The results' format; default: from `--out`'s extension, else JSON.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Documents in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Go on with the stopped run that wrote `--out` (its state file is beside it).
    #[arg(long)]
    pub resume: bool,
}

pub async fn run(args: BulkArgs) -> anyhow::Result<std::process::ExitCode> {
    match args.command {
        BulkCommand::Generate(args) => run::run(Kind::Generate, args).await,
        BulkCommand::Cancel(args) => run::run(Kind::Cancel, args).await,
        BulkCommand::Template { out } => {
            let today = chrono::Utc::now()
                .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).expect("IST"))
                .format("%d/%m/%Y")
                .to_string();
            std::fs::write(&out, irp_sheet::template_dated(&today))
                .with_context(|| format!("writing {}", out.display()))?;
            println!("Wrote the bulk template to {}", out.display());
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

/// The client of the run: flags first, then the sandbox.json.
fn client(args: &RunArgs) -> anyhow::Result<NicClient> {
    let sandbox: Option<irp_server::sandbox::SandboxCredentials> =
        match std::fs::read_to_string(&args.sandbox_json) {
            Ok(text) => Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("reading {}", args.sandbox_json.display()))?,
            ),
            Err(_) => None,
        };
    let gstin = args.gstin.trim().to_ascii_uppercase();
    let user = sandbox.as_ref().and_then(|s| {
        s.users
            .iter()
            .find(|u| u.gstin.eq_ignore_ascii_case(&gstin))
    });
    let pick = |flag: &Option<String>, from_sandbox: Option<String>, what: &str| {
        flag.clone().or(from_sandbox).with_context(|| {
            format!(
                "no {what}: give --{} or a --sandbox-json with a user of {gstin}",
                what.replace(' ', "-")
            )
        })
    };
    let credentials = Credentials {
        client_id: pick(
            &args.client_id,
            sandbox.as_ref().map(|s| s.client_id.clone()),
            "client id",
        )?,
        client_secret: pick(
            &args.client_secret,
            sandbox.as_ref().map(|s| s.client_secret.clone()),
            "client secret",
        )?,
        user_name: pick(&args.user, user.map(|u| u.username.clone()), "user")?,
        password: pick(&args.password, user.map(|u| u.password.clone()), "password")?,
        gstin,
    };
    let key_path = match (&args.auth_key, &sandbox) {
        (Some(path), _) => path.clone(),
        (None, Some(sandbox)) => PathBuf::from(&sandbox.auth_public_key_pem),
        (None, None) => bail!("no auth public key: give --auth-key or a --sandbox-json"),
    };
    let pem = std::fs::read_to_string(&key_path)
        .with_context(|| format!("reading {}", key_path.display()))?;
    Ok(NicClient::new(args.urls.clone(), credentials, &pem)?
        .with_timeout(std::time::Duration::from_secs(30))?)
}
