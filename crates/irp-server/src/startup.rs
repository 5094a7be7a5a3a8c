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
    /// A `postgres://…` URL, a `sqlite:` URL or a path; `None` means `<data_dir>/irp.db`, passed to
    /// SQLite as a path.
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
    // Not `#[from]`: the message already carries the store's, and a source would repeat it.
    #[error("registry: {0}")]
    Store(irp_store::StoreError),
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

impl From<irp_store::StoreError> for StartupError {
    fn from(error: irp_store::StoreError) -> StartupError {
        StartupError::Store(error)
    }
}

/// A portal ready to serve.
pub struct Portal {
    pub state: AppState,
    pub database_url: String,
    pub auth_public_key_path: PathBuf,
    pub sandbox: Option<SandboxCredentials>,
    /// Whether this start made the sandbox credentials up (the only time they are printed).
    pub sandbox_created: bool,
}

/// Opens the registry, loads or creates the keys and prepares the state.
pub async fn prepare(config: PortalConfig, clock: Clock) -> Result<Portal, StartupError> {
    let settings = config.settings;
    create_private_dir(&config.data_dir)?;
    let (store, database_url): (Arc<dyn Store>, String) = match &config.database_url {
        Some(url) => (irp_store::open(url).await?, url.clone()),
        None => {
            let path = config.data_dir.join("irp.db");
            (
                irp_store::open_sqlite_file(&path).await?,
                path.display().to_string(),
            )
        }
    };

    let keys_dir = config.data_dir.join("keys");
    create_private_dir(&keys_dir)?;
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

    let seeded = if config.seed_sandbox && settings.environment == Environment::Sandbox {
        let sealer = crate::secrets::Sealer::derive(auth_key.private_key_pem().as_bytes());
        Some(
            sandbox::seed(
                store.as_ref(),
                &config.data_dir,
                &auth_public_key_path,
                &sealer,
                &clock,
            )
            .await?,
        )
    } else {
        None
    };
    let sandbox_created = seeded.as_ref().is_some_and(|s| s.created);
    let sandbox = seeded.map(|s| s.credentials);
    let state = AppState::new(settings, store, signing_key, auth_key, clock);
    Ok(Portal {
        state,
        database_url,
        auth_public_key_path,
        sandbox,
        sandbox_created,
    })
}

/// Creates a directory for this user only (0700), or narrows an existing one to that: the data
/// directory holds the registry and `keys/` the private keys.
pub fn create_private_dir(path: &Path) -> Result<(), StartupError> {
    let failed = |error: std::io::Error| StartupError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(failed)?;
        let mode = std::fs::metadata(path)
            .map_err(failed)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
                .map_err(failed)?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(path).map_err(failed)?;
    Ok(())
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

/// Writes a file; a `secret` file is created readable by its owner only (0600) from the start,
/// and an existing one is narrowed to that before it is written.
pub fn write_file(path: &Path, contents: &[u8], secret: bool) -> Result<(), StartupError> {
    use std::io::Write as _;
    let failed = |error: std::io::Error| StartupError::File {
        path: path.display().to_string(),
        message: error.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
    }
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(contents).map_err(failed)?;
    file.sync_all().map_err(failed)
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
