//! Every acknowledged IRN survives SIGKILL: it was committed before the answer was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::process::*;

async fn acknowledged_irns_survive_sigkill(database: Option<&str>) {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path();
    let mut server = serve(data_dir, database);
    let client = Arc::new(client(&server, data_dir, SELLER).await);

    // Generate continuously; kill the portal in the middle of the stream.
    let stop = Arc::new(AtomicBool::new(false));
    let generator = {
        let client = client.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut number = 0;
            while !stop.load(Ordering::Relaxed) {
                number += 1;
                match client.generate(&invoice(&format!("KILL/{number}"))).await {
                    Ok(answer) if answer.is_success() => {
                        let data = answer.data.unwrap();
                        acknowledged.push((
                            data["Irn"].as_str().unwrap().to_owned(),
                            data["AckNo"].as_u64().unwrap(),
                        ));
                    }
                    Ok(answer) => panic!("unexpected answer {answer:?}"),
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let acknowledged = generator.await.unwrap();
    assert!(
        acknowledged.len() >= 3,
        "the portal acknowledged invoices before it was killed"
    );

    let server = serve(data_dir, database);
    let client = client_after_restart(&server, data_dir).await;
    for (irn, ack_no) in &acknowledged {
        let fetched = client.get_by_irn(irn, None).await.unwrap();
        assert!(
            fetched.is_success(),
            "{irn} was acknowledged but is missing after SIGKILL: {fetched:?}"
        );
        assert_eq!(fetched.data.unwrap()["AckNo"].as_u64(), Some(*ack_no));
    }
}

async fn client_after_restart(
    server: &Server,
    data_dir: &std::path::Path,
) -> irp_client::NicClient {
    client(server, data_dir, SELLER).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_irns_survive_sigkill_on_sqlite() {
    acknowledged_irns_survive_sigkill(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_irns_survive_sigkill_on_postgres() {
    let Some(database) = fresh_postgres().await else {
        return;
    };
    acknowledged_irns_survive_sigkill(Some(database.url())).await;
}
