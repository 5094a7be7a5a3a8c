//! `spawn_app()`: a real portal on 127.0.0.1:0 over a fresh registry (SQLite in a temporary
//! directory, or a fresh PostgreSQL database), driven by the real client over real HTTP.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use irp_client::{Credentials, NicClient};
use irp_core::jws::Verifier;
use irp_core::keys::Certificate;
use irp_server::clock::Clock;
use irp_server::sandbox::SandboxCredentials;
use irp_server::settings::{RawSettings, Settings};
use irp_server::startup::{PortalConfig, prepare};
use irp_server::state::AppState;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Where the registry of a test portal lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL admin URL for tests, or `None` when the PostgreSQL variant must be skipped.
/// In CI (`CI` set) a missing URL is a failure, never a silent pass.
#[allow(clippy::print_stderr)] // the skip notice is meant for the person running the tests
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("IRP_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("IRP_TEST_DATABASE_URL must be set in CI"),
        _ => {
            eprintln!("IRP_TEST_DATABASE_URL is not set: skipping the PostgreSQL variant");
            None
        }
    }
}

/// A fresh, empty PostgreSQL database; its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "irp_it_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("CREATE DATABASE");
    admin.close().await;
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("a database URL ends with /dbname");
    format!("{base}/{name}")
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
    _temp: Option<tempfile::TempDir>,
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
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_postgres_database(&postgres_admin_url()?).await),
    };
    let data_dir = temp.path().to_path_buf();
    Some(
        start(
            data_dir,
            database_url,
            test_settings(overrides),
            Clock::default(),
            Some(temp),
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
    temp: Option<tempfile::TempDir>,
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

impl TestApp {
    /// Stops the server gracefully and hands back what a restart needs.
    pub async fn stop(mut self) -> (PathBuf, String, Clock, Option<tempfile::TempDir>) {
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
        let body: Value =
            reqwest_get_json(&format!("{}/.well-known/jwks.json", self.address)).await;
        let certificates = body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| {
                let der =
                    irp_core::protocol::decode_base64(key["x5c"][0].as_str().unwrap().as_bytes())
                        .unwrap();
                Certificate::from_der(&der).unwrap()
            })
            .collect();
        Verifier::new(certificates)
    }

    pub fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// A GET returning JSON, without the NIC protocol.
pub async fn reqwest_get_json(url: &str) -> Value {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The sandbox's large Karnataka taxpayer and a Karnataka buyer.
pub const SELLER: &str = "29LARGE1000C1ZK";
pub const BUYER: &str = "29AWGPV7107B1Z1";
/// Another sandbox taxpayer, for cross-tenant tests.
pub const OTHER: &str = "27LARGE1000C1ZO";

/// A valid intra-state invoice of `SELLER`, dated today (IST), with document number `number`.
pub fn invoice(app: &TestApp, number: &str) -> Vec<u8> {
    let today = app.clock.now().date().format("%d/%m/%Y").to_string();
    serde_json::to_vec(&json!({
        "Version": "1.1",
        "TranDtls": {"TaxSch": "GST", "SupTyp": "B2B"},
        "DocDtls": {"Typ": "INV", "No": number, "Dt": today},
        "SellerDtls": {"Gstin": SELLER, "LglNm": "Sandbox Large 29", "Addr1": "1 MG Road", "Loc": "Bengaluru", "Pin": 560001, "Stcd": "29"},
        "BuyerDtls": {"Gstin": BUYER, "LglNm": "XYZ company pvt ltd", "Pos": "29", "Addr1": "7th block", "Loc": "Bengaluru", "Pin": 562160, "Stcd": "29"},
        "ItemList": [{"SlNo": "1", "IsServc": "N", "HsnCd": "61091000", "Qty": 10, "Unit": "NOS", "UnitPrice": 100.0,
                      "TotAmt": 1000, "AssAmt": 1000, "GstRt": 5, "CgstAmt": 25, "SgstAmt": 25, "TotItemVal": 1050}],
        "ValDtls": {"AssVal": 1000, "CgstVal": 25, "SgstVal": 25, "TotInvVal": 1050}
    }))
    .unwrap()
}
