//! `irp admin` creates taxpayers, clients and users that can log in; resetting a password ends
//! the user's sessions.

use std::process::Command;

use irp_client::{Credentials, NicClient};

use crate::process::*;

fn admin(data_dir: &std::path::Path, args: &[&str], password: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_irp"));
    command
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args);
    match password {
        Some(password) => command.env("IRP_ADMIN_PASSWORD", password),
        None => command.env_remove("IRP_ADMIN_PASSWORD"),
    };
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "irp admin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_working_credentials_and_password_resets_end_sessions() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path();
    let server = serve(data_dir, None);

    let gstin = "27AAPFU0939F1ZV";
    admin(
        data_dir,
        &[
            "add-taxpayer",
            "--gstin",
            gstin,
            "--legal-name",
            "Pune Traders Private Limited",
            "--aato-inr",
            "600000000",
            "--pin",
            "411001",
        ],
        None,
    );
    let csv = data_dir.join("taxpayers.csv");
    std::fs::write(&csv, "gstin,legal_name,type,aato_inr\n06AAACA7205Q1ZK,Haryana Works Ltd,REG,10000\n05AAACG2140A1ZL,Uttarakhand Co,SEZ,\n").unwrap();
    assert!(
        admin(data_dir, &["import-taxpayers", csv.to_str().unwrap()], None)
            .contains("2 taxpayers imported")
    );
    let output = admin(
        data_dir,
        &["add-client", "--client-id", "ERP-ONE", "--name", "Pune ERP"],
        None,
    );
    let secret = output
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .unwrap()
        .trim()
        .to_owned();
    admin(
        data_dir,
        &[
            "add-user",
            "--user",
            "Pune_User",
            "--gstin",
            gstin,
            "--client",
            "ERP-ONE",
        ],
        Some("first-Password-1"),
    );

    let sandbox = sandbox(data_dir);
    let pem = std::fs::read_to_string(sandbox["auth_public_key_pem"].as_str().unwrap()).unwrap();
    let credentials = |password: &str| Credentials {
        client_id: "ERP-ONE".to_owned(),
        client_secret: secret.clone(),
        user_name: "pune_user".to_owned(),
        password: password.to_owned(),
        gstin: gstin.to_owned(),
    };
    let client = NicClient::new(
        vec![server.address.clone()],
        credentials("first-Password-1"),
        &pem,
    )
    .unwrap();
    assert!(client.authenticate(false).await.unwrap().is_success());
    let details = client.gstin_details("06AAACA7205Q1ZK").await.unwrap();
    assert_eq!(details.data.unwrap()["LegalName"], "Haryana Works Ltd");
    assert_eq!(
        client
            .gstin_details("05AAACG2140A1ZL")
            .await
            .unwrap()
            .data
            .unwrap()["TxpType"],
        "SEZ"
    );

    admin(
        data_dir,
        &["reset-password", "--user", "pune_user"],
        Some("second-Password-2"),
    );
    assert_eq!(
        client.gstin_details(gstin).await.unwrap().error_codes(),
        ["1005"],
        "the reset ended the session"
    );
    assert_eq!(
        client.authenticate(false).await.unwrap().error_codes(),
        ["1019"],
        "the old password no longer works"
    );
    let renewed = NicClient::new(
        vec![server.address.clone()],
        credentials("second-Password-2"),
        &pem,
    )
    .unwrap();
    assert!(renewed.authenticate(false).await.unwrap().is_success());

    admin(data_dir, &["deactivate-user", "--user", "pune_user"], None);
    assert_eq!(
        renewed.gstin_details(gstin).await.unwrap().error_codes(),
        ["1005"]
    );
    assert_eq!(
        renewed.authenticate(false).await.unwrap().error_codes(),
        ["1014"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irp_bench_spawns_a_portal_preloads_it_and_reports() {
    let temp = tempfile::tempdir().unwrap();
    let report = temp.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_irp"))
        .args([
            "bench",
            "--spawn",
            "--count",
            "60",
            "--concurrency",
            "4",
            "--preload",
            "1500",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["ok"], 60,
        "every generated invoice is valid: {report}"
    );
    assert_eq!(report["errors"], serde_json::json!({}));
    assert!(report["throughput_per_s"].as_f64().unwrap() > 0.0);
    for key in ["p50", "p90", "p99", "max"] {
        assert!(report["latency_ms"][key].as_f64().unwrap() > 0.0, "{key}");
    }
    // The preloaded registrations are stored at realistic size (a token around a generated
    // invoice of 1 to 50 items, packed as the portal packs signed invoices, and a QR token's
    // worth of text: a few KB each, with the WAL), so the growth runs measure a registry of
    // honest size.
    assert_eq!(report["preloaded"], 1500);
    let data_dir_bytes = report["data_dir_bytes"].as_u64().unwrap();
    assert!(
        (1500 * 2_000..1500 * 10_000).contains(&data_dir_bytes),
        "{data_dir_bytes}"
    );
}
