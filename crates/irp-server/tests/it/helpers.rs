//! `spawn_app()`: a real portal on 127.0.0.1:0 over a fresh registry (SQLite in a temporary
//! directory, or a fresh PostgreSQL database), driven by the real client over real HTTP.

use std::path::PathBuf;

use chrono::Duration;
use irp_client::{Credentials, NicClient};
use irp_core::jws::Verifier;
use irp_server::clock::Clock;
use irp_server::sandbox::SandboxCredentials;
use irp_server::settings::{RawSettings, Settings};
use irp_server::startup::{PortalConfig, prepare};
use irp_server::state::AppState;
pub use irp_testkit::fixtures::{BUYER, OTHER, SELLER};
use irp_testkit::{ScratchDatabase, fixtures};
use tokio::sync::oneshot;

/// Where the registry of a test portal lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL admin URL for tests, or `None` when the PostgreSQL variant must be skipped.
/// In CI (`CI` set) a missing URL is a failure, never a silent pass.
pub fn postgres_admin_url() -> Option<String> {
    irp_testkit::admin_url()
}

/// What a test portal's registry lives in and must outlive the portal: its temporary data
/// directory and, on PostgreSQL, its scratch database, dropped with this (issue 23).
pub struct Scratch {
    _dir: tempfile::TempDir,
    _database: Option<ScratchDatabase>,
}

/// A running test portal.
pub struct TestApp {
    pub address: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub sandbox: SandboxCredentials,
    pub auth_public_key_pem: String,
    pub clock: Clock,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    /// Last, so that it is dropped after the server it serves.
    _temp: Option<Scratch>,
}

/// Settings of the test portals: the sandbox, portal 1.
pub fn test_settings(overrides: &str) -> Settings {
    let mut raw = RawSettings::default();
    raw.add_toml(&format!("environment = \"sandbox\"\n{overrides}"), "test")
        .unwrap();
    Settings::from_raw(&raw).unwrap()
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, "").await
}

/// Starts a portal; `None` when the PostgreSQL variant is skipped outside CI.
pub async fn spawn_app_with(backend: Backend, overrides: &str) -> Option<TestApp> {
    let temp = tempfile::tempdir().unwrap();
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(ScratchDatabase::create("irp_it_").await?),
    };
    let database_url = database.as_ref().map(|d| d.url().to_owned());
    let data_dir = temp.path().to_path_buf();
    Some(
        start(
            data_dir,
            database_url,
            test_settings(overrides),
            Clock::default(),
            Some(Scratch {
                _dir: temp,
                _database: database,
            }),
        )
        .await,
    )
}

/// Starts (or restarts) a portal over an existing data directory and database.
pub async fn start(
    data_dir: PathBuf,
    database_url: Option<String>,
    settings: Settings,
    clock: Clock,
    temp: Option<Scratch>,
) -> TestApp {
    let config = PortalConfig {
        settings,
        data_dir: data_dir.clone(),
        database_url,
        seed_sandbox: true,
        replace_shared_settings: false,
    };
    let portal = prepare(config, clock.clone()).await.expect("portal starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = oneshot::channel::<()>();
    let state = portal.state.clone();
    let server = tokio::spawn(async move {
        irp_server::router::serve(listener, portal.state, async {
            let _ = receiver.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        address,
        data_dir,
        database_url: portal.database_url,
        sandbox: portal.sandbox.expect("sandbox seeded"),
        auth_public_key_pem: std::fs::read_to_string(&portal.auth_public_key_path).unwrap(),
        clock,
        state,
        shutdown: Some(sender),
        server: Some(server),
        _temp: temp,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // A dropped handle leaves its task running: stop serving before the registry goes.
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A second portal (IRP-2) over `first`'s registry with the same auth key, and the directory
/// it keeps its own keys in.
pub async fn second_portal(first: &TestApp) -> (TestApp, tempfile::TempDir) {
    let auth_key = first.data_dir.join("keys/auth-private.pem");
    let dir = tempfile::tempdir().unwrap();
    let second = start(
        dir.path().join("node"),
        Some(first.database_url.clone()),
        test_settings(&format!(
            "[portal]\nid = 2\n[keys]\nauth_private_key = {:?}\n",
            auth_key.display().to_string()
        )),
        Clock::default(),
        None,
    )
    .await;
    (second, dir)
}

impl TestApp {
    /// Stops the server gracefully and hands back what a restart needs.
    pub async fn stop(mut self) -> (PathBuf, String, Clock, Option<Scratch>) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        (
            self.data_dir.clone(),
            self.database_url.clone(),
            self.clock.clone(),
            self._temp.take(),
        )
    }

    /// Credentials of the sandbox user of `gstin`.
    pub fn credentials(&self, gstin: &str) -> Credentials {
        let user = self
            .sandbox
            .users
            .iter()
            .find(|u| u.gstin == gstin)
            .expect("a sandbox user for the GSTIN");
        Credentials {
            client_id: self.sandbox.client_id.clone(),
            client_secret: self.sandbox.client_secret.clone(),
            user_name: user.username.clone(),
            password: user.password.clone(),
            gstin: gstin.to_owned(),
        }
    }

    /// A client of this portal for `gstin`, not yet authenticated.
    pub fn client(&self, gstin: &str) -> NicClient {
        NicClient::new(
            vec![self.address.clone()],
            self.credentials(gstin),
            &self.auth_public_key_pem,
        )
        .unwrap()
    }

    /// A client that has logged in.
    pub async fn logged_in(&self, gstin: &str) -> NicClient {
        let client = self.client(gstin);
        let answer = client.authenticate(false).await.unwrap();
        assert!(answer.is_success(), "login failed: {answer:?}");
        client
    }

    /// A verifier built from the portal's published JWK Set, as a third party would.
    pub async fn jwks_verifier(&self) -> Verifier {
        fixtures::jwks_verifier(&self.address).await
    }

    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// A valid intra-state invoice of `SELLER`, dated today on the portal's clock (IST), with
/// document number `number`.
pub fn invoice(app: &TestApp, number: &str) -> Vec<u8> {
    fixtures::invoice(number, app.clock.now().date())
}
