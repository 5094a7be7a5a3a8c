//! `irp admin`: the taxpayer register, API clients and users (`08` §3.2). Passwords are hashed
//! with Argon2id and client secrets with salted SHA-256 before they reach the registry; both are
//! shown once, here, and never stored in clear.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use chrono::NaiveDate;
use irp_core::register::{RegistrationStatus, TaxpayerType};
use irp_server::clock::Clock;
use irp_server::secrets;
use irp_store::{ApiClient, TaxpayerRecord, User};
use serde::Deserialize;

use crate::StoreArgs;

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(clap::Subcommand, Debug)]
enum AdminCommand {
    /// Add or replace one taxpayer in the register.
    AddTaxpayer(TaxpayerArgs),
    /// Import taxpayers from a CSV (header row) or JSON (array of objects) file with the columns
    /// of `add-taxpayer`: gstin, legal_name, trade_name, state_code, pin, type, status, aato_inr,
    /// einvoice_enabled, blocked, registered_on, deregistered_on, max_items, test.
    ImportTaxpayers { file: PathBuf },
    /// Add an API client; prints its secret once.
    AddClient {
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Add a user for one GSTIN, allowed through the given clients; prints the password once
    /// when it is generated.
    AddUser {
        #[arg(long)]
        user: String,
        #[arg(long)]
        gstin: String,
        #[arg(long = "client", required = true)]
        clients: Vec<String>,
        /// Read from IRP_ADMIN_PASSWORD when not given; generated when neither is set.
        #[arg(long, env = "IRP_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Set a new password (generated unless IRP_ADMIN_PASSWORD is set); ends the user's sessions
    /// and clears a lockout.
    ResetPassword {
        #[arg(long)]
        user: String,
        #[arg(long, env = "IRP_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Deactivate a user; its sessions end at once on every portal.
    DeactivateUser {
        #[arg(long)]
        user: String,
    },
    /// Reactivate a user.
    ActivateUser {
        #[arg(long)]
        user: String,
    },
}

#[derive(clap::Args, Debug, Deserialize)]
struct TaxpayerArgs {
    #[arg(long)]
    gstin: String,
    #[arg(long)]
    legal_name: String,
    #[arg(long)]
    #[serde(default)]
    trade_name: Option<String>,
    /// Defaults to the GSTIN's first two digits.
    #[arg(long)]
    #[serde(default)]
    state_code: Option<u8>,
    #[arg(long)]
    #[serde(default)]
    pin: Option<u32>,
    /// REG, SED, SEZ, COM, TCS, TDS, NRT, OID or UIN.
    #[arg(long = "type", default_value = "REG")]
    #[serde(default = "default_type", rename = "type")]
    taxpayer_type: String,
    /// ACT, PRO, CNL or INA.
    #[arg(long, default_value = "ACT")]
    #[serde(default = "default_status")]
    status: String,
    /// Annual aggregate turnover in rupees; unknown counts as above every threshold.
    #[arg(long)]
    #[serde(default)]
    aato_inr: Option<u64>,
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    #[serde(default = "default_true")]
    einvoice_enabled: bool,
    /// Blocked for e-way bills (`BlkStatus = B`).
    #[arg(long)]
    #[serde(default)]
    blocked: bool,
    /// yyyy-mm-dd
    #[arg(long)]
    #[serde(default)]
    registered_on: Option<String>,
    /// yyyy-mm-dd
    #[arg(long)]
    #[serde(default)]
    deregistered_on: Option<String>,
    #[arg(long)]
    #[serde(default)]
    max_items: Option<u32>,
    /// A test identity (no check-character warning).
    #[arg(long)]
    #[serde(default)]
    test: bool,
}

fn default_type() -> String {
    "REG".to_owned()
}

fn default_status() -> String {
    "ACT".to_owned()
}

fn default_true() -> bool {
    true
}

pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    if args.store.database.is_none() {
        irp_server::startup::create_private_dir(&args.store.data_dir)?;
    }
    let store = args.store.open().await.context("opening the registry")?;
    let now = Clock::default().now();
    match args.command {
        AdminCommand::AddTaxpayer(taxpayer) => {
            let record = taxpayer_record(taxpayer)?;
            warn_on_check_character(&record);
            store.upsert_taxpayer(&record).await?;
            println!("taxpayer {} saved", record.gstin);
        }
        AdminCommand::ImportTaxpayers { file } => {
            let rows = read_taxpayers(&file)?;
            let count = rows.len();
            for (line, row) in rows.into_iter().enumerate() {
                let record = taxpayer_record(row)
                    .with_context(|| format!("{} entry {}", file.display(), line + 1))?;
                warn_on_check_character(&record);
                store.upsert_taxpayer(&record).await?;
            }
            println!("{count} taxpayers imported");
        }
        AdminCommand::AddClient { client_id, name } => {
            let secret = secrets::random_secret(32);
            let client = ApiClient {
                client_id: client_id.clone(),
                secret_hash: secrets::hash_client_secret(&secret),
                name,
                active: true,
            };
            store.create_client(&client).await?;
            println!(
                "client_id:     {client_id}\nclient_secret: {secret}\n(the secret is not stored and cannot be shown again)"
            );
        }
        AdminCommand::AddUser {
            user,
            gstin,
            clients,
            password,
        } => {
            let gstin = gstin.trim().to_ascii_uppercase();
            if store.taxpayer_record(&gstin).await?.is_none() {
                bail!("GSTIN {gstin} is not in the register; add the taxpayer first");
            }
            for client in &clients {
                if store.client(client).await?.is_none() {
                    bail!("no API client {client}");
                }
            }
            let (password, generated) = password_or_generated(password);
            let record = User {
                user_name: user.clone(),
                password_hash: secrets::hash_password(&password),
                gstin,
                client_ids: clients,
                active: true,
                failed_logins: 0,
                locked_until: None,
            };
            store.create_user(&record).await?;
            print_password(&user, &password, generated);
        }
        AdminCommand::ResetPassword { user, password } => {
            let stored = store
                .user(&user)
                .await?
                .ok_or_else(|| anyhow!("no user {user}"))?;
            let (password, generated) = password_or_generated(password);
            store
                .set_password(&stored.user_name, &secrets::hash_password(&password), now)
                .await?;
            print_password(&stored.user_name, &password, generated);
        }
        AdminCommand::DeactivateUser { user } => {
            store.set_user_active(&user, false, now).await?;
            println!("user {user} deactivated; its sessions have ended");
        }
        AdminCommand::ActivateUser { user } => {
            store.set_user_active(&user, true, now).await?;
            println!("user {user} activated");
        }
    }
    Ok(())
}

fn password_or_generated(password: Option<String>) -> (String, bool) {
    match password.filter(|p| !p.is_empty()) {
        Some(password) => (password, false),
        None => (secrets::random_secret(16), true),
    }
}

fn print_password(user: &str, password: &str, generated: bool) {
    if generated {
        println!(
            "user {user} saved; password: {password}\n(the password is not stored and cannot be shown again)"
        );
    } else {
        println!("user {user} saved");
    }
}

fn read_taxpayers(file: &PathBuf) -> anyhow::Result<Vec<TaxpayerArgs>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON array of taxpayers", file.display()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (line, row) in reader.deserialize::<TaxpayerArgs>().enumerate() {
        rows.push(row.with_context(|| format!("{} row {}", file.display(), line + 2))?);
    }
    Ok(rows)
}

fn taxpayer_record(args: TaxpayerArgs) -> anyhow::Result<TaxpayerRecord> {
    let gstin = args.gstin.trim().to_ascii_uppercase();
    let shape_ok = gstin.len() == 15
        && gstin
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !shape_ok {
        bail!("{gstin} is not a GSTIN (15 characters, digits and capitals)");
    }
    let state_code = match args.state_code {
        Some(code) => code,
        None => gstin[..2]
            .parse()
            .context("the GSTIN must start with its state code")?,
    };
    let date = |text: Option<String>| -> anyhow::Result<Option<NaiveDate>> {
        text.filter(|t| !t.trim().is_empty())
            .map(|t| {
                NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                    .with_context(|| format!("{t} is not yyyy-mm-dd"))
            })
            .transpose()
    };
    Ok(TaxpayerRecord {
        trade_name: args.trade_name.filter(|t| !t.is_empty()),
        legal_name: args.legal_name,
        addr_bnm: None,
        addr_bno: None,
        addr_flno: None,
        addr_st: None,
        addr_loc: None,
        state_code,
        addr_pncd: args.pin,
        taxpayer_type: TaxpayerType::from_code(&args.taxpayer_type)
            .ok_or_else(|| anyhow!("unknown type {}", args.taxpayer_type))?,
        status: RegistrationStatus::from_code(&args.status)
            .ok_or_else(|| anyhow!("unknown status {}", args.status))?,
        blk_status: if args.blocked { Some('B') } else { None },
        registered_on: date(args.registered_on)?,
        deregistered_on: date(args.deregistered_on)?,
        aato_inr: args.aato_inr,
        einvoice_enabled: args.einvoice_enabled,
        max_items: args.max_items.map(|max| max.min(5000)),
        test: args.test,
        gstin,
    })
}

/// NIC judges GSTINs by its register, so a failing check character is only a warning (`08` §2.3).
fn warn_on_check_character(record: &TaxpayerRecord) {
    if !record.test && !irp_core::gstin::check_character_is_valid(&record.gstin) {
        eprintln!(
            "warning: {} fails the GSTIN check character (expected {:?}); imported anyway",
            record.gstin,
            irp_core::gstin::expected_check_character(&record.gstin)
        );
    }
}
