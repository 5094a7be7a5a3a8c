//! A bulk task survives SIGKILL (issue 17): the node is killed in the middle of a
//! 5,000-invoice task; after the restart the task completes, every element is registered once,
//! none is lost, and the results list every element once, each as a success.

use std::collections::HashSet;
use std::time::Duration;

use irp_client::NicClient;
use serde_json::Value;

use crate::process::*;

const ELEMENTS: usize = 5_000;
const SETTINGS: &[(&str, &str)] = &[
    ("IRP_BULK_MAX_DOCUMENTS", "5000"),
    ("IRP_BULK_MAX_BODY_BYTES", "67108864"),
];

async fn status(client: &NicClient, task_id: &str) -> Value {
    let answer = client.bulk_status(task_id).await.unwrap();
    assert!(answer.is_success(), "{answer:?}");
    answer.data.unwrap()
}

async fn a_bulk_task_survives_sigkill(database: Option<&str>) {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path();
    let mut server = serve_with(data_dir, database, 1, 1, SETTINGS);
    let timeout = Duration::from_secs(60);
    let client = client_with_timeout(&server, data_dir, SELLER, timeout).await;
    let invoices: Vec<String> = (0..ELEMENTS)
        .map(|n| String::from_utf8(invoice(&format!("BK/{n}"))).unwrap())
        .collect();
    let body = format!("[{}]", invoices.join(","));
    let submitted = client.bulk_generate(body.as_bytes()).await.unwrap();
    assert!(submitted.is_success(), "{submitted:?}");
    let task_id = submitted.data.unwrap()["TaskId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Kill the node once it is well into the task, with no chance to finish a window.
    let mut killed_at = 0;
    for _ in 0..600 {
        let processed = status(&client, &task_id).await["Processed"]
            .as_u64()
            .unwrap();
        if processed >= 500 {
            killed_at = processed;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    assert!(
        (500..ELEMENTS as u64).contains(&killed_at),
        "killed in the middle: {killed_at} processed"
    );

    // Restarted, the node takes the task over once the dead node's lease has run out.
    let server = serve_with(data_dir, database, 1, 1, SETTINGS);
    let client = client_with_timeout(&server, data_dir, SELLER, timeout).await;
    let mut done = Value::Null;
    for _ in 0..1200 {
        done = status(&client, &task_id).await;
        if done["Status"] == "DONE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["Status"], "DONE", "{done}");
    assert_eq!(done["Processed"], ELEMENTS);
    assert_eq!(done["Succeeded"], ELEMENTS, "{done}");

    let results = client
        .bulk_results(&task_id, "json")
        .await
        .unwrap()
        .data
        .unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), ELEMENTS);
    let mut irns = HashSet::new();
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["Index"], index, "every element once, in order");
        assert_eq!(result["Status"], 1, "element {index}: {result}");
        irns.insert(result["Result"]["Irn"].as_str().unwrap().to_owned());
    }
    assert_eq!(irns.len(), ELEMENTS, "one registration per element");
    // The registry holds each of them, as a get by IRN finds it.
    for irn in irns.iter().take(50) {
        assert!(client.get_by_irn(irn, None).await.unwrap().is_success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_task_survives_sigkill_on_sqlite() {
    a_bulk_task_survives_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_task_survives_sigkill_on_postgres() {
    let Some(database) = fresh_postgres().await else {
        return;
    };
    a_bulk_task_survives_sigkill(Some(database.url())).await;
}

/// `irp bulk …` run to its end: exit code, standard output and error.
fn irp_bulk(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_irp"))
        .arg("bulk")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The CLI against a spawned portal: a file with a bad document, results in each format, a
/// run resumed after it had sent everything without writing anything (every document then
/// answers 2150 and is looked up, not failed), the Excel template, and bulk cancellation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_command_registers_and_cancels_a_file_resumably() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("portal");
    let server = serve(&data_dir, None);
    let sandbox = data_dir.join("sandbox.json");
    let work = temp.path();
    let connection = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--url".into(),
            server.address.clone(),
            "--sandbox-json".into(),
            sandbox.display().to_string(),
            "--gstin".into(),
            SELLER.into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let mut invoices: Vec<String> = (0..12)
        .map(|n| String::from_utf8(invoice(&format!("CLI/{n}"))).unwrap())
        .collect();
    invoices[5] = invoices[5].replace(SELLER, "29AAAAA0000A1Z0");
    let file = work.join("invoices.json");
    std::fs::write(&file, format!("[{}]", invoices.join(",\n"))).unwrap();

    // CSV results: one failure, so exit code 1; a header and a row per document, in order.
    let csv_out = work.join("results.csv");
    let mut args = vec!["generate".to_owned(), file.display().to_string()];
    args.extend(connection(&[
        "--out",
        csv_out.to_str().unwrap(),
        "--concurrency",
        "4",
    ]));
    let (code, stdout, stderr) = irp_bulk(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("11 succeeded, 1 failed, of 12 documents"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&csv_out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 13);
    assert!(lines[0].starts_with("Index,Status,DocTyp,DocNo"));
    for (n, line) in lines[1..].iter().enumerate() {
        let status = if n == 5 { "0" } else { "1" };
        assert!(
            line.starts_with(&format!("{n},{status},INV,CLI/{n},")),
            "{line}"
        );
    }
    assert!(
        !State::exists(&csv_out),
        "the state file is gone after a complete run"
    );
    // The same command again is refused: the results are there.
    let (code, _, stderr) = irp_bulk(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_ne!(code, 0);
    assert!(stderr.contains("--resume"), "{stderr}");

    // A run stopped after sending everything and writing nothing: resumed, every document
    // answers 2150, is looked up and counted as registered, with its original IRN.
    let json_out = work.join("again.json");
    std::fs::write(&json_out, "[").unwrap();
    let state = serde_json::json!({
        "input": std::fs::canonicalize(&file).unwrap(),
        "kind": "generate", "format": "json", "done": 0, "bytes": 1, "sent_until": 1024
    });
    std::fs::write(State::path(&json_out), state.to_string()).unwrap();
    let mut args = vec!["generate".to_owned(), file.display().to_string()];
    args.extend(connection(&[
        "--out",
        json_out.to_str().unwrap(),
        "--resume",
    ]));
    let (code, stdout, stderr) = irp_bulk(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{stdout}{stderr}");
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 12);
    for (n, line) in lines[1..].iter().enumerate() {
        assert_eq!(results[n]["Index"], n);
        if n == 5 {
            assert_eq!(results[n]["Status"], 0);
            assert_ne!(results[n]["ErrorDetails"][0]["ErrorCode"], "2150");
            continue;
        }
        assert_eq!(results[n]["Status"], 1, "{}", results[n]);
        let irn = results[n]["Result"]["Irn"].as_str().unwrap();
        assert!(line.contains(irn), "the original IRN of {n}");
    }

    // The Excel template, dated today, registers its example; XLSX results.
    let template = work.join("template.xlsx");
    let (code, _, stderr) = irp_bulk(&["template", template.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let xlsx_out = work.join("template-results.xlsx");
    let mut args = vec!["generate".to_owned(), template.display().to_string()];
    args.extend(connection(&["--out", xlsx_out.to_str().unwrap()]));
    let (code, stdout, stderr) = irp_bulk(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("1 succeeded, 0 failed, of 1 documents"),
        "{stdout}"
    );
    assert!(std::fs::read(&xlsx_out).unwrap().starts_with(b"PK\x03\x04"));

    // Bulk cancellation from a CSV of the IRNs registered above (two of them, one unknown).
    let irn = |n: usize| results[n]["Result"]["Irn"].as_str().unwrap().to_owned();
    let cancels = work.join("cancel.csv");
    std::fs::write(
        &cancels,
        format!(
            "Irn,CnlRsn,CnlRem\n{},1,Wrong entry\n{},2,\n{},1,Unknown\n",
            irn(0),
            irn(1),
            "0".repeat(64)
        ),
    )
    .unwrap();
    let cancel_out = work.join("cancelled.csv");
    let mut args = vec!["cancel".to_owned(), cancels.display().to_string()];
    args.extend(connection(&["--out", cancel_out.to_str().unwrap()]));
    let (code, stdout, stderr) = irp_bulk(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{stdout}{stderr}");
    let text = std::fs::read_to_string(&cancel_out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Index,Status,Irn,CancelDate,ErrorCodes,ErrorMessages"
    );
    assert!(
        lines[1].starts_with(&format!("0,1,{},", irn(0))),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(&format!("1,1,{},", irn(1))),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("2,0,"), "{}", lines[3]);
}

/// The state file of a results file, as `irp bulk` names it.
struct State;

impl State {
    fn path(results: &std::path::Path) -> std::path::PathBuf {
        let mut name = results.as_os_str().to_owned();
        name.push(".state");
        name.into()
    }

    fn exists(results: &std::path::Path) -> bool {
        State::path(results).exists()
    }
}
