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

async fn a_node_with_different_shared_settings_refuses_to_start(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (data_dir, database_url, clock, _temp) = app.stop().await;
    let config = |overrides: &str, replace: bool| irp_server::startup::PortalConfig {
        settings: test_settings(overrides),
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        seed_sandbox: true,
        replace_shared_settings: replace,
    };
    let refused = irp_server::startup::prepare(
        config("[validation]\nstrict_decimals = true\n", false),
        clock.clone(),
    )
    .await;
    let Err(error) = refused else {
        panic!("a node with other shared settings must not start")
    };
    assert!(
        error
            .to_string()
            .contains("validation.strict_decimals = true"),
        "{error}"
    );
    // Per-portal settings may differ: another portal over the same registry starts.
    assert!(
        irp_server::startup::prepare(
            config("[portal]\nid = 2\nnode_digit = 3\n", false),
            clock.clone()
        )
        .await
        .is_ok()
    );
    // An operator's deliberate change is recorded, and then the others must follow.
    assert!(
        irp_server::startup::prepare(
            config("[validation]\nstrict_decimals = true\n", true),
            clock.clone()
        )
        .await
        .is_ok()
    );
    assert!(
        irp_server::startup::prepare(config("", false), clock)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_node_with_different_shared_settings_refuses_to_start_on_sqlite() {
    a_node_with_different_shared_settings_refuses_to_start(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_node_with_different_shared_settings_refuses_to_start_on_postgres() {
    a_node_with_different_shared_settings_refuses_to_start(Backend::Postgres).await;
}

/// A registry written by a version before format 2 of the shared-settings text: the node says
/// what to do instead of listing every line as a difference.
async fn a_registry_of_an_earlier_version_asks_for_an_update(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let earlier = "compat = Native\nenvironment = Sandbox\nkeys.auth_public_key_sha256 = 00\n";
    app.state
        .store
        .agree_setting("shared", earlier, app.clock.now(), true)
        .await
        .unwrap();
    let (data_dir, database_url, clock, _temp) = app.stop().await;
    let config = |replace: bool| irp_server::startup::PortalConfig {
        settings: test_settings(""),
        data_dir: data_dir.clone(),
        database_url: Some(database_url.clone()),
        seed_sandbox: true,
        replace_shared_settings: replace,
    };
    let Err(error) = irp_server::startup::prepare(config(false), clock.clone()).await else {
        panic!("a node must not start over shared settings it cannot compare")
    };
    assert!(
        matches!(
            error,
            irp_server::startup::StartupError::SharedSettingsFromEarlierVersion
        ),
        "{error}"
    );
    assert!(error.to_string().contains("--update-shared-settings"));
    assert!(
        irp_server::startup::prepare(config(true), clock.clone())
            .await
            .is_ok()
    );
    assert!(
        irp_server::startup::prepare(config(false), clock)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_registry_of_an_earlier_version_asks_for_an_update_on_sqlite() {
    a_registry_of_an_earlier_version_asks_for_an_update(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_registry_of_an_earlier_version_asks_for_an_update_on_postgres() {
    a_registry_of_an_earlier_version_asks_for_an_update(Backend::Postgres).await;
}

async fn a_retry_gets_the_duplicate_even_when_a_rule_would_now_fail(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let body = invoice(&app, "RETRY/1");
    let original = client.generate(&body).await.unwrap().data.unwrap();
    // 40 days later the 30-day window (DT-04) and the future-date rule no longer hold for this
    // document, but the duplicate check comes first (`04` §1).
    app.advance_clock(chrono::Duration::days(40));
    let client = app.logged_in(SELLER).await;
    let retry = client.generate(&body).await.unwrap();
    assert_eq!(retry.error_codes(), ["2150"]);
    assert_eq!(retry.info("DUPIRN").unwrap()["AckNo"], original["AckNo"]);
}

#[tokio::test]
async fn a_retry_gets_the_duplicate_even_when_a_rule_would_now_fail_on_sqlite() {
    a_retry_gets_the_duplicate_even_when_a_rule_would_now_fail(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_retry_gets_the_duplicate_even_when_a_rule_would_now_fail_on_postgres() {
    a_retry_gets_the_duplicate_even_when_a_rule_would_now_fail(Backend::Postgres).await;
}

/// While the registry cannot be reached, generate answers `2146` and issues no IRN (D-57), even
/// though the node has every cache warm and numbers left in its AckNo block; once the registry is
/// back, the same document registers.
#[tokio::test]
async fn generate_answers_2146_while_the_registry_is_unreachable() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let client = app.logged_in(SELLER).await;
    let warm = client.generate(&invoice(&app, "DOWN/1")).await.unwrap();
    assert!(warm.is_success(), "{warm:?}");

    let admin_url = postgres_admin_url().expect("PostgreSQL variant");
    let (_, database) = app.database_url.rsplit_once('/').unwrap();
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    let allow = |allowed: bool| {
        sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE {database} ALLOW_CONNECTIONS {allowed}"
        ))
    };
    sqlx::query(allow(false)).execute(&admin).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(database)
        .execute(&admin)
        .await
        .unwrap();

    let down = client.generate(&invoice(&app, "DOWN/2")).await.unwrap();
    assert_eq!(down.error_codes(), ["2146"], "{down:?}");

    sqlx::query(allow(true)).execute(&admin).await.unwrap();
    let back = client.generate(&invoice(&app, "DOWN/2")).await.unwrap();
    assert!(
        back.is_success(),
        "DOWN/2 was not registered before: {back:?}"
    );
}
