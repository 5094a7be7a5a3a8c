//! Two portals, IRP-1 and IRP-2, as separate processes over one PostgreSQL registry (`07`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use irp_client::NicClient;
use irp_testkit::ScratchDatabase;

use crate::process::*;

/// Both portals over one fresh PostgreSQL database and one data directory (so they share the auth
/// key, as 07 §3.1 requires; each creates its own signing key). Bound in this order, the servers
/// are killed before the database is dropped.
async fn two_portals() -> Option<(tempfile::TempDir, ScratchDatabase, Server, Server)> {
    let database = fresh_postgres().await?;
    let temp = tempfile::tempdir().unwrap();
    let first = serve_portal(temp.path(), Some(database.url()), 1);
    let second = serve_portal(temp.path(), Some(database.url()), 2);
    Some((temp, database, first, second))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_portals_share_tokens_and_records_with_no_lag() {
    let Some((temp, _database, first, second)) = two_portals().await else {
        return;
    };
    let on_first = client(&first, temp.path(), SELLER).await;
    // The token issued by IRP-1 works on IRP-2 at once.
    let on_second = NicClient::new(
        vec![second.address.clone()],
        on_first.credentials().clone(),
        &auth_public_key(temp.path()),
    )
    .unwrap();
    on_second.set_session(on_first.session());
    assert!(on_second.gstin_details(SELLER).await.unwrap().is_success());
    // Re-authenticating on IRP-2 returns the same token.
    on_second.authenticate(false).await.unwrap();
    assert_eq!(
        on_second.session().unwrap().auth_token,
        on_first.session().unwrap().auth_token
    );

    // Generated on 1: AckNo starts with 1; fetched and cancelled on 2, with and without the header.
    let one = on_first
        .generate(&invoice("PORTALS/1"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert!(one["AckNo"].as_u64().unwrap().to_string().starts_with('1'));
    let irn_one = one["Irn"].as_str().unwrap();
    let fetched = on_second.get_by_irn(irn_one, None).await.unwrap();
    assert_eq!(fetched.data.unwrap()["SignedInvoice"], one["SignedInvoice"]);
    assert!(
        on_second
            .get_by_irn(irn_one, Some("NIC1"))
            .await
            .unwrap()
            .is_success()
    );
    assert_eq!(
        on_second
            .get_by_irn(irn_one, Some("NIC3"))
            .await
            .unwrap()
            .error_codes(),
        ["3098"]
    );
    let today = irp_testkit::fixtures::doc_date(irp_testkit::fixtures::ist_today());
    assert!(
        on_second
            .get_by_doc("INV", "PORTALS/1", &today)
            .await
            .unwrap()
            .is_success()
    );
    assert!(
        on_second
            .cancel(irn_one, "1", Some("criss-cross"))
            .await
            .unwrap()
            .is_success()
    );
    assert_eq!(
        on_first
            .get_by_irn(irn_one, None)
            .await
            .unwrap()
            .data
            .unwrap()["Status"],
        "CNL",
        "seen on 1 at once"
    );
    let other = on_first
        .generate(&invoice("PORTALS/3"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert!(
        on_second
            .cancel(other["Irn"].as_str().unwrap(), "1", None)
            .await
            .unwrap()
            .error_codes()
            .is_empty(),
        "without the header too"
    );

    // Generated on 2: AckNo starts with 2; fetched on 1.
    let two = on_second
        .generate(&invoice("PORTALS/2"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert!(two["AckNo"].as_u64().unwrap().to_string().starts_with('2'));
    assert!(
        on_first
            .get_by_irn(two["Irn"].as_str().unwrap(), Some("NIC2"))
            .await
            .unwrap()
            .is_success()
    );

    // Either node's JWKS verifies both portals' signatures; each portal signs with its own key.
    for address in [&first.address, &second.address] {
        let verifier = jwks_verifier(address).await;
        let from_one = verifier
            .verify(one["SignedInvoice"].as_str().unwrap())
            .unwrap();
        let from_two = verifier
            .verify(two["SignedInvoice"].as_str().unwrap())
            .unwrap();
        assert_ne!(from_one.kid, from_two.kid);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_document_raced_on_both_portals_gets_one_irn() {
    let Some((temp, _database, first, second)) = two_portals().await else {
        return;
    };
    let on_first = Arc::new(client(&first, temp.path(), SELLER).await);
    let on_second = Arc::new(
        NicClient::new(
            vec![second.address.clone()],
            on_first.credentials().clone(),
            &auth_public_key(temp.path()),
        )
        .unwrap(),
    );
    on_second.set_session(on_first.session());
    let body = Arc::new(invoice("RACE/BOTH"));
    let mut tasks = Vec::new();
    for attempt in 0..50 {
        let portal = if attempt % 2 == 0 {
            on_first.clone()
        } else {
            on_second.clone()
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            portal.generate(&body).await.unwrap()
        }));
    }
    let mut winners = Vec::new();
    let mut named = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.is_success() {
            winners.push(answer.data.unwrap()["AckNo"].as_u64().unwrap());
        } else {
            assert_eq!(answer.error_codes(), ["2150"]);
            named.push(answer.info("DUPIRN").unwrap()["AckNo"].as_u64().unwrap());
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(named.len(), 49);
    assert!(named.iter().all(|ack| *ack == winners[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::print_stdout)] // the time without service is the figure this test reports
async fn a_client_fails_over_when_a_portal_is_killed_and_nothing_is_lost_or_duplicated() {
    let Some((temp, database, mut first, second)) = two_portals().await else {
        return;
    };
    let login = client(&first, temp.path(), SELLER).await;
    let failover = NicClient::new(
        vec![first.address.clone(), second.address.clone()],
        login.credentials().clone(),
        &auth_public_key(temp.path()),
    )
    .unwrap()
    .with_timeout(Duration::from_secs(3))
    .unwrap();
    failover.set_session(login.session());

    let started = Instant::now();
    let mut acknowledged: Vec<(String, u64, Instant)> = Vec::new();
    let mut killed_at = None;
    for number in 1..=60 {
        if number == 20 {
            first.child.kill().unwrap(); // SIGKILL IRP-1 mid-stream
            first.child.wait().unwrap();
            killed_at = Some(Instant::now());
        }
        let answer = failover
            .generate_resolving_duplicates(&invoice(&format!("FAILOVER/{number}")))
            .await
            .unwrap();
        assert!(answer.is_success(), "invoice {number}: {answer:?}");
        let data = answer.data.unwrap();
        acknowledged.push((
            data["Irn"].as_str().unwrap().to_owned(),
            data["AckNo"].as_u64().unwrap(),
            Instant::now(),
        ));
    }
    let killed_at = killed_at.unwrap();
    let first_after = acknowledged
        .iter()
        .find(|(_, _, at)| *at > killed_at)
        .unwrap();
    let without_service = first_after.2 - killed_at;
    println!(
        "failover: the client was without service for {without_service:?} (run took {:?})",
        started.elapsed()
    );
    assert!(
        failover.current_base_url() == second.address,
        "the client moved to IRP-2"
    );
    assert!(
        acknowledged
            .iter()
            .skip(20)
            .all(|(_, ack, _)| ack.to_string().starts_with('2'))
    );

    // Every acknowledged IRN is registered exactly once; nothing else was registered.
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT irn, ack_no FROM invoices")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        60,
        "exactly the 60 acknowledged invoices are stored"
    );
    for (irn, ack_no, _) in &acknowledged {
        let matching: Vec<_> = rows.iter().filter(|(stored, _)| stored == irn).collect();
        assert_eq!(matching.len(), 1, "{irn} stored once");
        assert_eq!(matching[0].1 as u64, *ack_no, "with the acknowledged AckNo");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_of_one_portal_share_everything_and_number_acks_apart() {
    let Some(database) = fresh_postgres().await else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let node_one = serve_node(temp.path(), Some(database.url()), 1, 1);
    let node_two = serve_node(temp.path(), Some(database.url()), 1, 2);
    let on_one = client(&node_one, temp.path(), SELLER).await;
    let on_two = NicClient::new(
        vec![node_two.address.clone()],
        on_one.credentials().clone(),
        &auth_public_key(temp.path()),
    )
    .unwrap();
    on_two.set_session(on_one.session());
    let first = on_one
        .generate(&invoice("NODES/1"))
        .await
        .unwrap()
        .data
        .unwrap();
    let second = on_two
        .generate(&invoice("NODES/2"))
        .await
        .unwrap()
        .data
        .unwrap();
    assert!(
        first["AckNo"]
            .as_u64()
            .unwrap()
            .to_string()
            .starts_with("11")
    );
    assert!(
        second["AckNo"]
            .as_u64()
            .unwrap()
            .to_string()
            .starts_with("12")
    );
    assert!(
        on_two
            .get_by_irn(first["Irn"].as_str().unwrap(), None)
            .await
            .unwrap()
            .is_success()
    );
    assert!(
        on_one
            .get_by_irn(second["Irn"].as_str().unwrap(), None)
            .await
            .unwrap()
            .is_success()
    );
    // Both nodes of the portal sign with the same key.
    let verifier = jwks_verifier(&node_two.address).await;
    assert_eq!(
        verifier
            .verify(first["SignedInvoice"].as_str().unwrap())
            .unwrap()
            .kid,
        verifier
            .verify(second["SignedInvoice"].as_str().unwrap())
            .unwrap()
            .kid
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_way_bills_work_across_portals() {
    let Some((temp, _database, first, second)) = two_portals().await else {
        return;
    };
    let on_first = client(&first, temp.path(), SELLER).await;
    let on_second = NicClient::new(
        vec![second.address.clone()],
        on_first.credentials().clone(),
        &auth_public_key(temp.path()),
    )
    .unwrap();
    on_second.set_session(on_first.session());
    let irn = on_first
        .generate(&invoice("PORTALS/EWB"))
        .await
        .unwrap()
        .data
        .unwrap()["Irn"]
        .as_str()
        .unwrap()
        .to_owned();
    // Generated at IRP-1, its e-way bill made at IRP-2 (with the header) and read at IRP-1.
    let request = serde_json::json!({"Irn": irn, "Distance": 0, "TransMode": "1", "VehNo": "KA12ER1234", "VehType": "R"});
    let created = on_second
        .call(
            reqwest::Method::POST,
            "/eiewb/v1.03/ewaybill",
            &[],
            Some(&serde_json::to_vec(&request).unwrap()),
            &[("irp", "NIC1")],
        )
        .await
        .unwrap();
    assert!(created.is_success(), "{created:?}");
    let ewb_no = created.data.unwrap()["EwbNo"].as_u64().unwrap();
    assert!(
        ewb_no.to_string().starts_with('2'),
        "numbered by the serving portal"
    );
    let got = on_first
        .call(
            reqwest::Method::GET,
            &format!("/eiewb/v1.03/ewaybill/irn/{irn}"),
            &[],
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(got.data.unwrap()["EwbNo"].as_u64(), Some(ewb_no));
    // The IRN cannot be cancelled on IRP-1 while IRP-2's e-way bill is active.
    assert_eq!(
        on_first
            .cancel(&irn, "1", None)
            .await
            .unwrap()
            .error_codes(),
        ["2230"]
    );
}
