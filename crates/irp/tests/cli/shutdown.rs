//! SIGTERM: the portal stops accepting, finishes what is in flight, and exits cleanly.

use std::sync::Arc;

use crate::process::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_exits_cleanly() {
    let temp = tempfile::tempdir().unwrap();
    let mut server = serve(temp.path(), None);
    let client = Arc::new(client(&server, temp.path(), SELLER).await);
    let mut tasks = Vec::new();
    for number in 0..40 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client.generate(&invoice(&format!("TERM/{number}"))).await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let pid = server.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut acknowledged = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            // Every answer that arrives is complete and valid: nothing is cut off mid-response.
            Ok(answer) => {
                assert!(answer.is_success(), "{answer:?}");
                acknowledged.push(answer.data.unwrap()["Irn"].as_str().unwrap().to_owned());
            }
            // Requests that had not reached the portal before it stopped accepting are refused.
            Err(error) => assert!(
                matches!(error, irp_client::ClientError::Unreachable(_)),
                "{error}"
            ),
        }
    }
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status}");
    assert!(!acknowledged.is_empty(), "requests in flight were answered");

    let server = serve(temp.path(), None);
    let client = client_again(&server, temp.path()).await;
    for irn in &acknowledged {
        assert!(client.get_by_irn(irn, None).await.unwrap().is_success());
    }
}

async fn client_again(server: &Server, data_dir: &std::path::Path) -> irp_client::NicClient {
    client(server, data_dir, SELLER).await
}

/// A log that is not written to a terminal carries no colour codes (issue 19): an operator's
/// file or journal gets plain text even without `NO_COLOR`.
#[test]
fn a_log_written_to_a_pipe_has_no_colour_codes() {
    let temp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_irp"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(temp.path())
        .env_remove("NO_COLOR")
        .env("IRP_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
        let ready = line.contains("serving http://");
        lines.push(line);
        if ready {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines.iter().any(|line| line.contains("serving http://")),
        "{lines:?}"
    );
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "a colour code in {line:?}");
    }
}
