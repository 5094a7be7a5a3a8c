//! Logins under abuse (issue #15): parallel guesses counted one by one, no lockout or password
//! oracle through a client the user may not use or a deactivated account, every refusal in the
//! audit trail, and the per-node rate limits.

use irp_client::{Credentials, NicClient};
use irp_server::secrets;
use irp_store::{ApiClient, AuditEntry, PostgresStore, SqliteStore};

use crate::helpers::*;

fn client_with(app: &TestApp, credentials: Credentials) -> NicClient {
    NicClient::new(
        vec![app.address.clone()],
        credentials,
        &app.auth_public_key_pem,
    )
    .unwrap()
}

async fn login_codes(client: &NicClient) -> Vec<String> {
    let answer = client.authenticate(false).await.unwrap();
    if answer.is_success() {
        return Vec::new();
    }
    answer.error_codes().iter().map(|c| c.to_string()).collect()
}

async fn audit(app: &TestApp) -> Vec<AuditEntry> {
    if app.database_url.starts_with("postgres") {
        let store = PostgresStore::open(&app.database_url).await.unwrap();
        store.audit_entries().await.unwrap()
    } else {
        let store = SqliteStore::open(&app.database_url).await.unwrap();
        store.audit_entries().await.unwrap()
    }
}

fn refusals(entries: &[AuditEntry], detail: &str) -> usize {
    entries
        .iter()
        .filter(|e| e.event == "login.refused" && e.detail == format!("reason={detail}"))
        .count()
}

/// 40 parallel wrong passwords against a limit of 5: exactly 5 are checked (`1019`), the other
/// 35 find the user locked (`1014`), and so does the right password afterwards.
async fn parallel_guesses_are_counted_one_by_one(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "server.logins_per_minute_per_user = 0").await else {
        return;
    };
    let app = std::sync::Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let app = app.clone();
        tasks.spawn(async move {
            let mut credentials = app.credentials(SELLER);
            credentials.password = "not-the-password".to_owned();
            login_codes(&client_with(&app, credentials)).await
        });
    }
    let answers = tasks.join_all().await;
    let count = |code: &str| answers.iter().filter(|a| *a == &[code]).count();
    assert_eq!((count("1019"), count("1014")), (5, 35), "{answers:?}");
    assert_eq!(login_codes(&app.client(SELLER)).await, ["1014"]);
    let entries = audit(&app).await;
    assert_eq!(refusals(&entries, "password"), 5);
    assert_eq!(refusals(&entries, "locked"), 36);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_are_counted_one_by_one_on_sqlite() {
    parallel_guesses_are_counted_one_by_one(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_are_counted_one_by_one_on_postgres() {
    parallel_guesses_are_counted_one_by_one(Backend::Postgres).await;
}

/// Through a client the user is not mapped to, right and wrong passwords get the same `1018` and
/// count nothing; a deactivated user gets `1014` for both. Neither answer says whether the
/// password was right, and nobody can lock the user out that way.
async fn no_lockout_or_oracle_through_a_foreign_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let foreign_secret = "foreign-client-secret";
    app.state
        .store
        .create_client(&ApiClient {
            client_id: "FOREIGN01".to_owned(),
            secret_hash: secrets::hash_client_secret(foreign_secret),
            name: "Another integrator".to_owned(),
            active: true,
        })
        .await
        .unwrap();
    let own = app.credentials(SELLER);
    let through_foreign = |password: &str| {
        client_with(
            &app,
            Credentials {
                client_id: "FOREIGN01".to_owned(),
                client_secret: foreign_secret.to_owned(),
                password: password.to_owned(),
                ..own.clone()
            },
        )
    };
    for _ in 0..10 {
        assert_eq!(login_codes(&through_foreign("wrong")).await, ["1018"]);
    }
    assert_eq!(login_codes(&through_foreign(&own.password)).await, ["1018"]);
    let user = app.state.store.user(&own.user_name).await.unwrap().unwrap();
    assert_eq!((user.failed_logins, user.locked_until), (0, None));
    assert_eq!(login_codes(&app.client(SELLER)).await, Vec::<String>::new());

    app.state
        .store
        .set_user_active(&own.user_name, false, app.clock.now())
        .await
        .unwrap();
    let mut wrong = own.clone();
    wrong.password = "wrong".to_owned();
    assert_eq!(login_codes(&client_with(&app, wrong)).await, ["1014"]);
    assert_eq!(login_codes(&app.client(SELLER)).await, ["1014"]);

    // Unknown users and bad client secrets are refused and recorded too.
    let mut unknown = own.clone();
    unknown.user_name = "nobody_at_all".to_owned();
    assert_eq!(login_codes(&client_with(&app, unknown)).await, ["1017"]);
    let mut bad_secret = own.clone();
    bad_secret.client_secret = "not-the-secret".to_owned();
    assert_eq!(login_codes(&client_with(&app, bad_secret)).await, ["1010"]);
    let entries = audit(&app).await;
    assert_eq!(refusals(&entries, "client_not_mapped"), 11);
    assert_eq!(refusals(&entries, "inactive"), 2);
    assert_eq!(refusals(&entries, "unknown_user"), 1);
    assert_eq!(refusals(&entries, "client"), 1);
    assert!(
        entries.iter().all(|e| !e.detail.contains(&own.password)),
        "no password in the audit trail"
    );
}

#[tokio::test]
async fn no_lockout_or_oracle_through_a_foreign_client_on_sqlite() {
    no_lockout_or_oracle_through_a_foreign_client(Backend::Sqlite).await;
}

#[tokio::test]
async fn no_lockout_or_oracle_through_a_foreign_client_on_postgres() {
    no_lockout_or_oracle_through_a_foreign_client(Backend::Postgres).await;
}

/// The per-node rate limits: beyond them `1007` says when to try again; another user of the same
/// client is not held up by the first one's limit.
#[tokio::test]
async fn logins_beyond_the_rate_limits_are_turned_away() {
    let app = spawn_app_with(
        Backend::Sqlite,
        "server.logins_per_minute_per_user = 3\nserver.logins_per_minute_per_client = 5",
    )
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(login_codes(&app.client(SELLER)).await, Vec::<String>::new());
    }
    let answer = app.client(SELLER).authenticate(false).await.unwrap();
    assert_eq!(answer.error_codes(), ["1007"]);
    let message = &answer.error_details[0].1;
    assert!(
        message.starts_with("Too many logins; try again in "),
        "{message}"
    );
    assert_eq!(login_codes(&app.client(OTHER)).await, Vec::<String>::new());
    assert_eq!(
        login_codes(&app.client(BUYER)).await,
        ["1007"],
        "the client's 5 are spent"
    );
}

/// Logins of one user racing on two portals at once are all given the same session: none ends
/// another's a moment after it began (which its client would meet as `1005`).
async fn logins_racing_on_two_portals_share_one_session(backend: Backend) {
    let Some(first) = spawn_app(backend).await else {
        return;
    };
    let (second, _second_dir) = second_portal(&first).await;
    // Each sandbox user in turn logs in on both portals at the same instant.
    for user in &first.sandbox.users {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let mut pair = tokio::task::JoinSet::new();
        for address in [&first.address, &second.address] {
            let client = NicClient::new(
                vec![address.clone()],
                first.credentials(&user.gstin),
                &first.auth_public_key_pem,
            )
            .unwrap();
            let barrier = barrier.clone();
            pair.spawn(async move {
                barrier.wait().await;
                let answer = client.authenticate(false).await.unwrap();
                assert!(answer.is_success(), "{answer:?}");
                client.session().unwrap().auth_token
            });
        }
        let tokens = pair.join_all().await;
        assert_eq!(tokens[0], tokens[1], "one session for {}", user.gstin);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_racing_on_two_portals_share_one_session_on_sqlite() {
    logins_racing_on_two_portals_share_one_session(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_racing_on_two_portals_share_one_session_on_postgres() {
    logins_racing_on_two_portals_share_one_session(Backend::Postgres).await;
}
