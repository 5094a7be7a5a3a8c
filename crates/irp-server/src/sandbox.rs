//! The sandbox seed (`08` §3.3, D-48): NIC's public sandbox GSTINs (AATO ₹4 Cr) and one large
//! taxpayer per state they use (AATO ₹150 Cr), with one API client and one user per taxpayer.
//! The credentials are agreed once through the registry, so that every node of both portals
//! uses the same ones, and written to `<data dir>/sandbox.json` so scripts and tests can use them.

use std::path::Path;

use irp_core::protocol;
use irp_core::register::{RegistrationStatus, TaxpayerType};
use irp_store::{ApiClient, Store, StoreError, TaxpayerRecord, User};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::secrets::{self, Sealer};
use crate::startup::{StartupError, write_file};

/// The contents of `sandbox.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// Path of the auth public key (PEM) that clients encrypt their login with.
    pub auth_public_key_pem: String,
    pub users: Vec<SandboxUser>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxUser {
    pub gstin: String,
    pub username: String,
    pub password: String,
}

/// (GSTIN, AATO in rupees, PIN of the state's capital used as the address).
const TAXPAYERS: &[(&str, u64, u32)] = &[
    ("01AMBPG7773M002", 40_000_000, 190001),
    ("02AMBPG7773M002", 40_000_000, 171001),
    ("36AMBPG7773M002", 40_000_000, 500001),
    ("29AWGPV7107B1Z1", 40_000_000, 562160),
    ("37ARZPT4384Q1MT", 40_000_000, 518001),
    ("29AKLPM8755F1Z2", 40_000_000, 560001),
    ("24AAFCD5862R005", 40_000_000, 380001),
    ("27AAAPI3182M002", 40_000_000, 400001),
    ("09AAAPG7885R002", 40_000_000, 226001),
    ("33AAGCB1286Q003", 40_000_000, 600001),
    ("01LARGE1000C1Z2", 1_500_000_000, 190001),
    ("02LARGE1000C1Z0", 1_500_000_000, 171001),
    ("09LARGE1000C1ZM", 1_500_000_000, 226001),
    ("24LARGE1000C1ZU", 1_500_000_000, 380001),
    ("27LARGE1000C1ZO", 1_500_000_000, 400001),
    ("29LARGE1000C1ZK", 1_500_000_000, 560001),
    ("33LARGE1000C1ZV", 1_500_000_000, 600001),
    ("36LARGE1000C1ZP", 1_500_000_000, 500001),
    ("37LARGE1000C1ZN", 1_500_000_000, 520001),
];

/// The register record of a sandbox taxpayer: active, regular, e-invoice enabled, test.
pub fn sandbox_taxpayer(gstin: &str, aato_inr: u64, pin: u32) -> TaxpayerRecord {
    let state_code = gstin[..2].parse().unwrap_or(0);
    let large = aato_inr > 1_000_000_000;
    TaxpayerRecord {
        gstin: gstin.to_owned(),
        trade_name: Some(format!(
            "Sandbox {} {}",
            if large { "Large" } else { "Taxpayer" },
            &gstin[..2]
        )),
        legal_name: format!(
            "Sandbox {} {} Private Limited",
            if large { "Large" } else { "Taxpayer" },
            gstin
        ),
        addr_bnm: Some("Sandbox House".to_owned()),
        addr_bno: Some("1".to_owned()),
        addr_flno: None,
        addr_st: Some("Main Road".to_owned()),
        addr_loc: Some(
            irp_core::masters::state_name(state_code)
                .unwrap_or("India")
                .to_owned(),
        ),
        state_code,
        addr_pncd: Some(pin),
        taxpayer_type: TaxpayerType::Reg,
        status: RegistrationStatus::Act,
        blk_status: None,
        registered_on: None,
        deregistered_on: None,
        aato_inr: Some(aato_inr),
        einvoice_enabled: true,
        max_items: None,
        test: true,
    }
}

/// The registry setting that holds the sandbox credentials, sealed under the shared auth key.
const CREDENTIALS_SETTING: &str = "sandbox.credentials";

/// The sandbox credentials a node uses, and whether this start created them.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub credentials: SandboxCredentials,
    /// True only on the start that made them up: the one time they are printed.
    pub created: bool,
}

/// Seeds the register, the client and the users, idempotently across nodes (issue #15).
///
/// The credentials are agreed once through the registry: the first node to start records its
/// own (those of its `sandbox.json`, or new ones), sealed under the shared auth key, and every
/// other node of either portal takes the recorded ones, whatever its own data directory holds.
/// The client and users are created only when missing; an existing one is never changed, so one
/// set of credentials works on every node and no start invalidates another node's.
pub async fn seed(
    store: &dyn Store,
    data_dir: &Path,
    auth_public_key: &Path,
    sealer: &Sealer,
    clock: &Clock,
) -> Result<Seeded, StartupError> {
    let path = data_dir.join("sandbox.json");
    let local: Option<SandboxCredentials> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let made_up = local.is_none();
    let candidate = local.unwrap_or_else(new_credentials);
    let sealed = protocol::encode_base64(&sealer.seal(&credentials_json(&candidate)?));
    let recorded = store
        .agree_setting(CREDENTIALS_SETTING, &sealed, clock.now(), false)
        .await?;
    let ours = recorded == sealed;
    let credentials = if ours {
        candidate
    } else {
        protocol::decode_base64(recorded.as_bytes())
            .ok()
            .and_then(|bytes| sealer.unseal(&bytes))
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| {
                StartupError::Key(
                    "the sandbox credentials in the registry cannot be read with this node's auth \
                     key: every node must use the same auth key (docs/DEPLOYMENT.md, \"Keys\")"
                        .to_owned(),
                )
            })?
    };
    let credentials = SandboxCredentials {
        auth_public_key_pem: auth_public_key.display().to_string(),
        ..credentials
    };

    for (gstin, aato, pin) in TAXPAYERS {
        store
            .upsert_taxpayer(&sandbox_taxpayer(gstin, *aato, *pin))
            .await?;
    }
    if store.client(&credentials.client_id).await?.is_none() {
        let created = store
            .create_client(&ApiClient {
                client_id: credentials.client_id.clone(),
                secret_hash: secrets::hash_client_secret(&credentials.client_secret),
                name: "Sandbox integrator".to_owned(),
                active: true,
            })
            .await;
        tolerate_taken(created)?;
    }
    for user in &credentials.users {
        if store.user(&user.username).await?.is_some() {
            continue;
        }
        let created = store
            .create_user(&User {
                user_name: user.username.clone(),
                password_hash: secrets::hash_password(&user.password),
                gstin: user.gstin.clone(),
                client_ids: vec![credentials.client_id.clone()],
                active: true,
                failed_logins: 0,
                locked_until: None,
            })
            .await;
        tolerate_taken(created)?;
    }
    write_file(&path, &credentials_json(&credentials)?, true)?;
    Ok(Seeded {
        credentials,
        created: ours && made_up,
    })
}

/// A client or user another node created in the meantime, from the same credentials, is fine.
fn tolerate_taken(result: Result<(), StoreError>) -> Result<(), StartupError> {
    match result {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn new_credentials() -> SandboxCredentials {
    SandboxCredentials {
        client_id: format!("SANDBOX{}", secrets::random_secret(9).to_ascii_uppercase()),
        client_secret: secrets::random_secret(32),
        auth_public_key_pem: String::new(),
        users: TAXPAYERS
            .iter()
            .map(|(gstin, _, _)| SandboxUser {
                gstin: (*gstin).to_owned(),
                username: format!("sandbox_{}", gstin.to_ascii_lowercase()),
                password: secrets::random_secret(16),
            })
            .collect(),
    }
}

fn credentials_json(credentials: &SandboxCredentials) -> Result<Vec<u8>, StartupError> {
    serde_json::to_vec_pretty(credentials).map_err(|error| StartupError::Key(error.to_string()))
}
