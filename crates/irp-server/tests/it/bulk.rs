//! Bulk tasks (E5–E8, `09` §2) end to end: submitted at IRP-1, processed by whichever node,
//! watched and read at IRP-2 with the same token; each element answered as its single call.

use std::time::Duration;

use irp_client::NicClient;
use serde_json::{Value, json};

use crate::helpers::*;

/// Polls E7 until the task is `DONE` and returns its status.
async fn wait_done(client: &NicClient, task_id: &str) -> Value {
    for _ in 0..300 {
        let answer = client.bulk_status(task_id).await.unwrap();
        assert!(answer.is_success(), "{answer:?}");
        let status = answer.data.unwrap();
        if status["Status"] == "DONE" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the task {task_id} did not finish");
}

fn task_id(answer: &irp_client::Envelope) -> String {
    answer.data.as_ref().unwrap()["TaskId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A client of `app` holding the session `other` obtained at another portal.
fn same_session(app: &TestApp, other: &NicClient, gstin: &str) -> NicClient {
    let client = app.client(gstin);
    client.set_session(other.session());
    client
}

async fn generated_at_one_portal_read_and_cancelled_at_the_other(backend: Backend) {
    let Some(first) = spawn_app(backend).await else {
        return;
    };
    let (second, _dir) = second_portal(&first).await;
    let at_first = first.logged_in(SELLER).await;
    let at_second = same_session(&second, &at_first, SELLER);

    let one = invoice(&first, "BULK/1");
    let two = invoice(&first, "BULK/2");
    let body = format!(
        "[{}, {}, {{\"Version\": \"1.1\"}}, {}, 7]",
        String::from_utf8(one.clone()).unwrap(),
        String::from_utf8(two).unwrap(),
        String::from_utf8(one).unwrap(),
    );
    let submitted = at_first.bulk_generate(body.as_bytes()).await.unwrap();
    assert!(submitted.is_success(), "{submitted:?}");
    let id = task_id(&submitted);
    assert_eq!(id.len(), 26);
    assert_eq!(submitted.data.as_ref().unwrap()["Kind"], "GENERATE");
    assert_eq!(submitted.data.as_ref().unwrap()["Count"], 5);

    // Watched at IRP-2 with the token of IRP-1.
    let status = wait_done(&at_second, &id).await;
    assert_eq!(status["TaskId"], id.as_str());
    assert_eq!(
        (
            &status["Total"],
            &status["Processed"],
            &status["Succeeded"],
            &status["Failed"]
        ),
        (&json!(5), &json!(5), &json!(2), &json!(3))
    );
    assert_eq!(status["Irp"], "NIC1");
    assert!(status["CompletedAt"].is_string());
    // Lower-case ids work too: Crockford base32 is read in any case.
    assert!(
        at_second
            .bulk_status(&id.to_lowercase())
            .await
            .unwrap()
            .is_success()
    );

    let results = at_second
        .bulk_results(&id, "json")
        .await
        .unwrap()
        .data
        .unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 5);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["Index"], index);
    }
    // Each element is answered as its single call: the first registers, and is the same
    // registration a get by IRN finds at either portal.
    assert_eq!(results[0]["Status"], 1);
    let irn = results[0]["Result"]["Irn"].as_str().unwrap().to_owned();
    let verifier = first.jwks_verifier().await;
    verifier
        .verify(results[0]["Result"]["SignedInvoice"].as_str().unwrap())
        .expect("the signed invoice verifies");
    let fetched = at_second.get_by_irn(&irn, None).await.unwrap();
    assert_eq!(
        fetched.data.unwrap()["AckNo"],
        results[0]["Result"]["AckNo"]
    );
    assert_eq!(results[1]["Status"], 1);
    // A malformed element fails alone with its errors and paths.
    assert_eq!(results[2]["Status"], 0);
    assert!(!results[2]["ErrorDetails"].as_array().unwrap().is_empty());
    assert_eq!(results[2]["DocNo"], Value::Null);
    // The repeated document gets 2150 with the original's details, as a second call would.
    assert_eq!(results[3]["Status"], 0);
    assert_eq!(results[3]["DocNo"], "BULK/1");
    assert_eq!(results[3]["ErrorDetails"][0]["ErrorCode"], "2150");
    assert_eq!(results[3]["InfoDtls"][0]["InfCd"], "DUPIRN");
    assert_eq!(results[3]["InfoDtls"][0]["Desc"]["Irn"], irn.as_str());
    assert_eq!(results[4]["Status"], 0);
    assert_eq!(results[4]["ErrorDetails"][0]["ErrorCode"], "2140");

    // CSV: a header and one row per element.
    let csv = at_second
        .bulk_results(&id, "csv")
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(csv["ContentType"], "text/csv; charset=utf-8");
    let text = String::from_utf8(
        irp_core::protocol::decode_base64(csv["Content"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "Index,Status,DocTyp,DocNo,DocDt,Irn,AckNo,AckDt,EwbNo,EwbDt,EwbValidTill,ErrorCodes,ErrorMessages,InfCd"
    );
    assert_eq!(lines.len(), 6);
    assert!(lines[1].starts_with("0,1,INV,BULK/1,"), "{}", lines[1]);
    assert!(lines[1].contains(&irn));
    assert!(lines[4].starts_with("3,0,INV,BULK/1,"), "{}", lines[4]);
    assert!(
        lines[4].contains(",2150,") && lines[4].ends_with(",DUPIRN"),
        "{}",
        lines[4]
    );

    // Nobody else reads the task, and unknown ids look the same.
    let other = first.logged_in(BUYER).await;
    assert_eq!(
        other.bulk_status(&id).await.unwrap().error_codes(),
        ["2226"]
    );
    assert_eq!(
        other.bulk_results(&id, "json").await.unwrap().error_codes(),
        ["2226"]
    );
    assert_eq!(
        at_first
            .bulk_status("01AAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .unwrap()
            .error_codes(),
        ["2226"]
    );
    assert_eq!(
        at_first
            .bulk_status("nonsense")
            .await
            .unwrap()
            .error_codes(),
        ["2226"]
    );
    assert_eq!(
        at_first
            .bulk_results(&id, "xml")
            .await
            .unwrap()
            .error_codes(),
        ["2142"]
    );

    // Bulk cancel at IRP-2 of what IRP-1 registered: the repeated IRN meets "already cancelled".
    let cancels = json!([
        {"Irn": irn, "CnlRsn": "1", "CnlRem": "Wrong entry"},
        {"Irn": irn, "CnlRsn": "1", "CnlRem": "Again"},
        {"Irn": "0".repeat(64), "CnlRsn": "1", "CnlRem": "Unknown"},
        {"Irn": irn, "CnlRsn": "9"}
    ]);
    let submitted = at_second
        .bulk_cancel(cancels.to_string().as_bytes())
        .await
        .unwrap();
    assert!(submitted.is_success(), "{submitted:?}");
    assert_eq!(submitted.data.as_ref().unwrap()["Kind"], "CANCEL");
    let cancel_id = task_id(&submitted);
    let status = wait_done(&at_first, &cancel_id).await;
    assert_eq!(
        (&status["Succeeded"], &status["Failed"]),
        (&json!(1), &json!(3))
    );
    assert_eq!(status["Irp"], "NIC2");
    let results = at_first
        .bulk_results(&cancel_id, "json")
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(results[0]["Status"], 1);
    assert_eq!(results[0]["Result"]["Irn"], irn.as_str());
    assert!(results[0]["Result"]["CancelDate"].is_string());
    assert_eq!(results[1]["ErrorDetails"][0]["ErrorCode"], "9999");
    assert_eq!(results[1]["Irn"], irn.as_str());
    assert_eq!(results[2]["Status"], 0);
    assert_eq!(results[3]["Status"], 0);
    let fetched = at_first.get_by_irn(&irn, None).await.unwrap();
    assert_eq!(fetched.data.unwrap()["Status"], "CNL");
    let csv = at_first
        .bulk_results(&cancel_id, "csv")
        .await
        .unwrap()
        .data
        .unwrap();
    let text = String::from_utf8(
        irp_core::protocol::decode_base64(csv["Content"].as_str().unwrap().as_bytes()).unwrap(),
    )
    .unwrap();
    assert!(text.starts_with("Index,Status,Irn,CancelDate,ErrorCodes,ErrorMessages\r\n0,1,"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_at_one_portal_read_and_cancelled_at_the_other_on_sqlite() {
    generated_at_one_portal_read_and_cancelled_at_the_other(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_at_one_portal_read_and_cancelled_at_the_other_on_postgres() {
    generated_at_one_portal_read_and_cancelled_at_the_other(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_submissions_get_the_spec_codes_and_create_nothing() {
    let Some(app) = spawn_app_with(
        Backend::Sqlite,
        "[bulk]\nmax_documents = 2\nmax_body_bytes = 20000\n",
    )
    .await
    else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let one = String::from_utf8(invoice(&app, "LIMIT/1")).unwrap();
    let three = format!("[{one},{one},{one}]");
    for (body, code) in [
        (three.as_str(), "5002"),
        ("[]", "2255"),
        ("", "2255"),
        ("{\"Invoices\": []}", "2255"),
        ("{\"Documents\": [1]}", "2140"),
        ("\"text\"", "2140"),
        ("[1,", "2140"),
    ] {
        let answer = client.bulk_generate(body.as_bytes()).await.unwrap();
        assert_eq!(answer.error_codes(), [code], "{body:?}");
    }
    // A cancel body that is not an array: 2140.
    let answer = client.bulk_cancel(b"{\"Irn\": \"x\"}").await.unwrap();
    assert_eq!(answer.error_codes(), ["2140"]);
    // Over the body limit, measured before decryption: 5002 without reading it.
    let big = format!("[{}]", one.replace("Bengaluru", &"B".repeat(20_000)));
    assert_eq!(
        client
            .bulk_generate(big.as_bytes())
            .await
            .unwrap()
            .error_codes(),
        ["5002"]
    );
    // The wrapper form is accepted for generate only.
    let wrapped = format!("{{\"INVOICES\": [{one}]}}");
    let answer = client.bulk_generate(wrapped.as_bytes()).await.unwrap();
    assert!(answer.is_success(), "{answer:?}");
    assert_eq!(answer.data.unwrap()["Count"], 1);
    assert_eq!(
        client
            .bulk_cancel(wrapped.as_bytes())
            .await
            .unwrap()
            .error_codes(),
        ["2140"]
    );
    // Without a session, nothing is read.
    let stranger = app.client(SELLER);
    assert!(stranger.bulk_generate(b"[]").await.is_err());
}

/// A task outlives the session that submitted it: an element is registered on the task's
/// authority, and marked on the task in the same transaction; the same call on a session that
/// has ended registers nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_outlives_the_session_that_submitted_it() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let now = app.clock.now();
    let task = irp_store::BulkTask {
        task_id: "01AAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        kind: irp_store::BulkKind::Generate,
        gstin: SELLER.to_owned(),
        sup_gstin: None,
        client_id: app.sandbox.client_id.clone(),
        user_name: app.credentials(SELLER).user_name,
        irp_header: None,
        portal: 1,
        total: 1,
        processed: 0,
        succeeded: 0,
        failed: 0,
        submitted_at: now,
        completed_at: None,
        expires_at: now + chrono::Duration::days(1),
        // Held far ahead, so that this node's worker leaves the element to the test.
        lease_owner: Some("test".to_owned()),
        lease_until: Some(now + chrono::Duration::days(1)),
    };
    let element = invoice(&app, "OUTLIVE/1");
    app.state
        .store
        .create_bulk_task(&task, &[&element])
        .await
        .unwrap();
    let mut caller = irp_server::api::Caller {
        client_id: task.client_id.clone(),
        user_name: task.user_name.clone(),
        gstin: SELLER.to_owned(),
        sup_gstin: None,
        token_hash: "a session that has ended".to_owned(),
        session_cached: false,
        bulk_element: None,
    };
    let refused = irp_server::api::invoice::register_invoice(&app.state, &caller, &element)
        .await
        .err()
        .expect("no session, no registration");
    assert_eq!(refused.errors[0].code.as_str(), "1005");
    caller.bulk_element = Some(irp_store::BulkElementRef {
        task_id: task.task_id.clone(),
        index: 0,
    });
    let registered = irp_server::api::invoice::register_invoice(&app.state, &caller, &element)
        .await
        .unwrap_or_else(|error| panic!("{error:?}"));
    assert_eq!(
        app.state
            .store
            .bulk_applied_irn(&task.task_id, 0)
            .await
            .unwrap()
            .as_deref(),
        Some(registered.record.irn.as_str())
    );
}

/// A user deactivated after submitting a task submits no more: the task's remaining elements
/// fail with `1005`, as the user's own calls would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_users_task_registers_nothing_more() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let credentials = app.credentials(SELLER);
    let now = app.clock.now();
    let task = irp_store::BulkTask {
        task_id: "01BBBBBBBBBBBBBBBBBBBBBBBB".to_owned(),
        kind: irp_store::BulkKind::Generate,
        gstin: SELLER.to_owned(),
        sup_gstin: None,
        client_id: credentials.client_id.clone(),
        user_name: credentials.user_name.clone(),
        irp_header: None,
        portal: 1,
        total: 2,
        processed: 0,
        succeeded: 0,
        failed: 0,
        submitted_at: now,
        completed_at: None,
        expires_at: now + chrono::Duration::days(1),
        lease_owner: None,
        lease_until: None,
    };
    app.state
        .store
        .set_user_active(&credentials.user_name, false, now)
        .await
        .unwrap();
    let (one, two) = (invoice(&app, "REVOKED/1"), invoice(&app, "REVOKED/2"));
    app.state
        .store
        .create_bulk_task(&task, &[&one, &two])
        .await
        .unwrap();
    app.state.bulk_wakeup.notify_one();
    let mut finished = None;
    for _ in 0..100 {
        let read = app
            .state
            .store
            .bulk_task(&task.task_id)
            .await
            .unwrap()
            .unwrap();
        if read.completed_at.is_some() {
            finished = Some(read);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finished = finished.expect("the task ends");
    assert_eq!((finished.succeeded, finished.failed), (0, 2));
    for result in app
        .state
        .store
        .bulk_results(&task.task_id, 0, 2)
        .await
        .unwrap()
    {
        let entry: Value = serde_json::from_str(&result.result).unwrap();
        assert_eq!(entry["ErrorDetails"][0]["ErrorCode"], "1005", "{entry}");
    }
    let found = app
        .state
        .store
        .search_invoices(&irp_store::InvoiceSearch {
            party: SELLER.to_owned(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.is_empty(), "nothing registered: {found:?}");
}
