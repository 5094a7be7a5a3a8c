//! Exactly one IRN under concurrency, and registrations that survive a restart.

use std::sync::Arc;

use crate::helpers::*;

async fn fifty_concurrent_requests_make_one_irn(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = Arc::new(app.logged_in(SELLER).await);
    let body = Arc::new(invoice(&app, "RACE/0001"));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = client.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            client.generate(&body).await.unwrap()
        }));
    }
    let mut successes = Vec::new();
    let mut duplicates = Vec::new();
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.is_success() {
            successes.push(answer.data.unwrap()["AckNo"].as_u64().unwrap());
        } else {
            assert_eq!(answer.error_codes(), ["2150"], "{answer:?}");
            duplicates.push(answer.info("DUPIRN").unwrap()["AckNo"].as_u64().unwrap());
        }
    }
    assert_eq!(successes.len(), 1, "exactly one registration");
    assert_eq!(duplicates.len(), 49);
    assert!(
        duplicates.iter().all(|ack| *ack == successes[0]),
        "every DUPIRN names the winner"
    );
}

#[tokio::test]
async fn fifty_concurrent_requests_make_one_irn_on_sqlite() {
    fifty_concurrent_requests_make_one_irn(Backend::Sqlite).await;
}

#[tokio::test]
async fn fifty_concurrent_requests_make_one_irn_on_postgres() {
    fifty_concurrent_requests_make_one_irn(Backend::Postgres).await;
}

async fn registrations_survive_a_restart(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let generated = client.generate(&invoice(&app, "RESTART/1")).await.unwrap();
    let data = generated.data.unwrap();
    let settings = app.state.settings.clone();
    let (data_dir, database_url, clock, temp) = app.stop().await;

    let app = start(data_dir, Some(database_url), settings, clock, temp).await;
    // The same token works after the restart: sessions live in the registry.
    let session = client.session().unwrap();
    let client = app.client(SELLER);
    client.set_session(Some(session));
    let fetched = client
        .get_by_irn(data["Irn"].as_str().unwrap(), None)
        .await
        .unwrap();
    assert!(fetched.is_success(), "{fetched:?}");
    assert_eq!(
        fetched.data.unwrap()["SignedInvoice"],
        data["SignedInvoice"]
    );
    // The signing key survived too: the next registration verifies with the same certificate.
    let next = client.generate(&invoice(&app, "RESTART/2")).await.unwrap();
    let verifier = app.jwks_verifier().await;
    assert!(
        verifier
            .verify(next.data.unwrap()["SignedInvoice"].as_str().unwrap())
            .is_ok()
    );
    assert!(
        verifier
            .verify(data["SignedInvoice"].as_str().unwrap())
            .is_ok()
    );
}

#[tokio::test]
async fn registrations_survive_a_restart_on_sqlite() {
    registrations_survive_a_restart(Backend::Sqlite).await;
}

#[tokio::test]
async fn registrations_survive_a_restart_on_postgres() {
    registrations_survive_a_restart(Backend::Postgres).await;
}
