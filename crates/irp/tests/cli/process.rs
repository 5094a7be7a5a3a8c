//! Running `irp` as a child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use irp_client::{Credentials, NicClient};
use irp_testkit::{ScratchDatabase, fixtures};
use serde_json::Value;

/// A running `irp serve`.
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `irp serve` on a free port and waits for its ready line.
pub fn serve(data_dir: &Path, database: Option<&str>) -> Server {
    serve_portal(data_dir, database, 1)
}

/// Starts portal `portal` (1 or 2).
pub fn serve_portal(data_dir: &Path, database: Option<&str>, portal: u8) -> Server {
    serve_node(data_dir, database, portal, 1)
}

/// Starts node `node` (the AckNo's second digit) of portal `portal`.
pub fn serve_node(data_dir: &Path, database: Option<&str>, portal: u8, node: u8) -> Server {
    serve_with(data_dir, database, portal, node, &[])
}

/// Starts node `node` of portal `portal` with settings given as environment variables.
pub fn serve_with(
    data_dir: &Path,
    database: Option<&str>,
    portal: u8,
    node: u8,
    settings: &[(&str, &str)],
) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_irp"));
    command.envs(settings.iter().copied());
    command.env("IRP_PORTAL_NODE_DIGIT", node.to_string());
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--portal",
            &portal.to_string(),
            "--data-dir",
        ])
        .arg(data_dir);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    let mut child = command
        .env("IRP_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(index) = line.find("serving http://") {
                let address = line[index + "serving ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_owned();
                let _ = sender.send(address);
            }
        }
    });
    let address = receiver
        .recv_timeout(Duration::from_secs(120))
        .expect("irp serve reports that it is ready");
    Server { child, address }
}

pub fn sandbox(data_dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join("sandbox.json")).unwrap()).unwrap()
}

/// A logged-in client of the sandbox user of `gstin`.
pub async fn client(server: &Server, data_dir: &Path, gstin: &str) -> NicClient {
    client_with_timeout(server, data_dir, gstin, Duration::from_secs(5)).await
}

/// [`client`] with its own time limit per request.
pub async fn client_with_timeout(
    server: &Server,
    data_dir: &Path,
    gstin: &str,
    timeout: Duration,
) -> NicClient {
    let sandbox = sandbox(data_dir);
    let user = sandbox["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["gstin"] == gstin)
        .unwrap();
    let credentials = Credentials {
        client_id: sandbox["client_id"].as_str().unwrap().to_owned(),
        client_secret: sandbox["client_secret"].as_str().unwrap().to_owned(),
        user_name: user["username"].as_str().unwrap().to_owned(),
        password: user["password"].as_str().unwrap().to_owned(),
        gstin: gstin.to_owned(),
    };
    let pem = std::fs::read_to_string(sandbox["auth_public_key_pem"].as_str().unwrap()).unwrap();
    let client = NicClient::new(vec![server.address.clone()], credentials, &pem)
        .unwrap()
        .with_timeout(timeout)
        .unwrap();
    assert!(client.authenticate(false).await.unwrap().is_success());
    client
}

/// The auth public key (PEM) that both portals share.
pub fn auth_public_key(data_dir: &Path) -> String {
    std::fs::read_to_string(sandbox(data_dir)["auth_public_key_pem"].as_str().unwrap()).unwrap()
}

pub use irp_testkit::fixtures::{SELLER, jwks_verifier};

/// A valid invoice of `SELLER` dated today (IST).
pub fn invoice(number: &str) -> Vec<u8> {
    fixtures::invoice(number, fixtures::ist_today())
}

/// A fresh PostgreSQL database when `IRP_TEST_DATABASE_URL` is set; `None` (skip) otherwise,
/// except in CI, where it must be set. Dropped with the guard: declare it before the servers
/// that use it, so that they are killed first.
pub async fn fresh_postgres() -> Option<ScratchDatabase> {
    ScratchDatabase::create("irp_cli_").await
}
