//! Bringing a portal up: open the registry, load or create the keys, publish the certificate,
//! seed the sandbox. Shared by `irp serve` and the integration tests, so that what is tested is
//! what runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;
use irp_core::keys::SigningKey;
use irp_core::protocol::AuthPrivateKey;
use irp_store::{PublishedCertificate, Store};

use crate::clock::Clock;
use crate::sandbox::{self, SandboxCredentials};
use crate::settings::{Environment, SHARED_TEXT_HEADER, Settings};
use crate::state::AppState;

/// What a portal needs to start.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    pub settings: Settings,
    /// Keys and (by default) the SQLite database live here.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means `<data_dir>/irp.db`.
    pub database_url: Option<String>,
    /// Seed the sandbox taxpayers, client and users (only in the sandbox environment).
    pub seed_sandbox: bool,
    /// Replace the shared settings recorded in the registry with this node's (an operator's
    /// deliberate change); otherwise a node whose shared settings differ refuses to start.
    pub replace_shared_settings: bool,
}

/// Why a portal could not start. The message names the file or setting concerned.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("registry: {0}")]
    Store(#[from] irp_store::StoreError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("key: {0}")]
    Key(String),
    #[error(
        "this node's shared settings differ from those recorded in the registry (10-decisions.md §2); \
         make them equal, or start once with --update-shared-settings to replace them. Differences:\n{0}"
    )]
    SharedSettings(String),
    #[error(
        "the registry holds shared settings recorded by an irp version older than this one, in \
         another format (docs/DECISIONS.md); once every node runs this version, make sure this \
         node has the agreed settings and start it once with --update-shared-settings, then start \
         the others"
    )]
    SharedSettingsFromEarlierVersion,
}

/// A portal ready to serve.
pub struct Portal {
    pub state: AppState,
    pub database_url: String,
    pub auth_public_key_path: PathBuf,
    pub sandbox: Option<SandboxCredentials>,
}

/// Opens the registry, loads or creates the keys and prepares the state.
pub async fn prepare(config: PortalConfig, clock: Clock) -> Result<Portal, StartupError> {
    let settings = config.settings;
    create_dir(&config.data_dir)?;
    let database_url = config.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            config.data_dir.join("irp.db").display()
        )
    });
    let store: Arc<dyn Store> = irp_store::open(&database_url).await?;

    let keys_dir = config.data_dir.join("keys");
    create_dir(&keys_dir)?;
    let auth_key_path = settings
        .keys
        .auth_private_key
        .clone()
        .unwrap_or_else(|| keys_dir.join("auth-private.pem"));
    let auth_key = load_or_create_auth_key(&auth_key_path, settings.keys.auth_rsa_bits as usize)?;
    let auth_public_key_path = keys_dir.join("auth-public.pem");
    write_file(
        &auth_public_key_path,
        auth_key.public_key().pem().as_bytes(),
        false,
    )?;

    let fingerprint = crate::secrets::hex(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, auth_key.public_key().der()).as_ref(),
    );
    let shared = settings.shared_text(&fingerprint);
    let recorded = store
        .agree_setting(
            "shared",
            &shared,
            clock.now(),
            config.replace_shared_settings,
        )
        .await?;
    if recorded != shared {
        // A line-by-line comparison with another format would list every line as different.
        if !recorded.starts_with(SHARED_TEXT_HEADER) {
            return Err(StartupError::SharedSettingsFromEarlierVersion);
        }
        let ours: Vec<&str> = shared.lines().collect();
        let differences: Vec<String> = recorded
            .lines()
            .filter(|line| !ours.contains(line))
            .map(|line| format!("  registry: {line}"))
            .chain(
                ours.iter()
                    .filter(|line| !recorded.lines().any(|r| r == **line))
                    .map(|line| format!("  this node: {line}")),
            )
            .collect();
        return Err(StartupError::SharedSettings(differences.join("\n")));
    }

    let portal = settings.portal.id;
    let key_path = settings
        .portal
        .signing_key
        .clone()
        .unwrap_or_else(|| keys_dir.join(format!("irp{portal}-signing-key.pem")));
    let cert_path = settings
        .portal
        .signing_cert
        .clone()
        .unwrap_or_else(|| keys_dir.join(format!("irp{portal}-signing-cert.pem")));
    let signing_key = load_or_create_signing_key(&key_path, &cert_path, portal, &clock)?;
    let certificate = signing_key.certificate();
    store
        .publish_certificate(&PublishedCertificate {
            portal,
            kid: certificate.kid().to_owned(),
            der: certificate.der().to_vec(),
            not_before: certificate.not_before(),
            not_after: certificate.not_after(),
            current: true,
        })
        .await?;

    let sandbox = if config.seed_sandbox && settings.environment == Environment::Sandbox {
        Some(
            sandbox::seed(
                store.as_ref(),
                &config.data_dir,
                &auth_public_key_path,
                &clock,
            )
            .await?,
        )
    } else {
        None
    };
    let state = AppState::new(settings, store, signing_key, auth_key, clock);
    Ok(Portal {
        state,
        database_url,
        auth_public_key_path,
        sandbox,
    })
}

fn create_dir(path: &Path) -> Result<(), StartupError> {
    std::fs::create_dir_all(path).map_err(|error| StartupError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    })
}

fn read_file(path: &Path) -> Result<Option<String>, StartupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StartupError::File {
            path: path.display().to_string(),
            message: error.to_string(),
        }),
    }
}

/// Writes a file; `secret` files are readable by the owner only.
pub fn write_file(path: &Path, contents: &[u8], secret: bool) -> Result<(), StartupError> {
    let failed = |error: std::io::Error| StartupError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    std::fs::write(path, contents).map_err(failed)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    }
    Ok(())
}

fn load_or_create_auth_key(path: &Path, bits: usize) -> Result<AuthPrivateKey, StartupError> {
    if let Some(pem) = read_file(path)? {
        return AuthPrivateKey::from_pem(&pem)
            .map_err(|error| StartupError::Key(format!("{}: {error}", path.display())));
    }
    let key =
        AuthPrivateKey::generate(bits).map_err(|error| StartupError::Key(error.to_string()))?;
    write_file(path, key.private_key_pem().as_bytes(), true)?;
    tracing::info!(path = %path.display(), "created the auth key pair");
    Ok(key)
}

fn load_or_create_signing_key(
    key_path: &Path,
    cert_path: &Path,
    portal: u8,
    clock: &Clock,
) -> Result<SigningKey, StartupError> {
    if let (Some(key_pem), Some(cert_pem)) = (read_file(key_path)?, read_file(cert_path)?) {
        return SigningKey::from_pem(&key_pem, &cert_pem)
            .map_err(|error| StartupError::Key(format!("{}: {error}", key_path.display())));
    }
    let now = clock.now() - Duration::minutes(330);
    let key = SigningKey::generate(
        &format!("IRP-{portal} e-invoice signing"),
        now - Duration::days(1),
        now + Duration::days(3650),
    )
    .map_err(|error| StartupError::Key(error.to_string()))?;
    write_file(key_path, key.private_key_pem().as_bytes(), true)?;
    write_file(cert_path, key.certificate().pem().as_bytes(), false)?;
    tracing::info!(path = %cert_path.display(), kid = key.certificate().kid(), "created the portal signing key");
    Ok(key)
}
