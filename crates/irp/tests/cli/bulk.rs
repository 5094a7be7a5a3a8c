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
