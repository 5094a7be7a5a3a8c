//! Taxpayer register, API clients, users and sessions.

use irp_core::register::{RegistrationStatus, TaxpayerType};
use irp_store::{LoginAttempt, SessionKey, StoreError};

use crate::fixtures::{GSTIN, account, bare_taxpayer, client, dt, session, taxpayer, user};
use crate::harness::Ctx;

pub async fn taxpayer_upsert_and_lookup(ctx: Ctx) {
    let store = ctx.store;
    let full = taxpayer(GSTIN);
    store.upsert_taxpayer(&full).await.expect("insert");
    // GSTINs are kept and looked up in upper case.
    assert_eq!(
        store
            .taxpayer_record(&GSTIN.to_lowercase())
            .await
            .expect("get"),
        Some(full.clone())
    );

    let changed = irp_store::TaxpayerRecord {
        taxpayer_type: TaxpayerType::Sez,
        status: RegistrationStatus::Cnl,
        blk_status: Some('B'),
        deregistered_on: Some(crate::fixtures::date("2025-03-31")),
        einvoice_enabled: false,
        ..full
    };
    store.upsert_taxpayer(&changed).await.expect("replace");
    assert_eq!(
        store.taxpayer_record(GSTIN).await.expect("get"),
        Some(changed)
    );

    let bare = bare_taxpayer("27AAAPI3182M002");
    store.upsert_taxpayer(&bare).await.expect("insert bare");
    assert_eq!(
        store.taxpayer_record("27AAAPI3182M002").await.expect("get"),
        Some(bare)
    );

    assert_eq!(
        store.taxpayer_record("01AMBPG7773M002").await.expect("get"),
        None
    );
}

pub async fn taxpayer_batch(ctx: Ctx) {
    let store = ctx.store;
    let a = taxpayer(GSTIN);
    let b = bare_taxpayer("27AAAPI3182M002");
    store.upsert_taxpayer(&a).await.expect("a");
    store.upsert_taxpayer(&b).await.expect("b");

    let mut found = store
        .taxpayers(&["27aaapi3182m002", GSTIN, "01AMBPG7773M002"])
        .await
        .expect("batch");
    found.sort_by(|x, y| x.gstin.cmp(&y.gstin));
    assert_eq!(found, vec![b.to_taxpayer(), a.to_taxpayer()]);
    assert!(store.taxpayers(&[]).await.expect("empty").is_empty());
}

pub async fn clients(ctx: Ctx) {
    let store = ctx.store;
    let c1 = client("C1");
    store.create_client(&c1).await.expect("create");
    assert_eq!(store.client("C1").await.expect("get"), Some(c1));
    assert_eq!(
        store.client("c1").await.expect("get"),
        None,
        "client ids are exact"
    );
    assert!(matches!(
        store.create_client(&client("C1")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.client("C2").await.expect("get"), None);
}

pub async fn users_ignore_letter_case(ctx: Ctx) {
    let store = ctx.store;
    store.create_client(&client("C1")).await.expect("C1");
    store.create_client(&client("C2")).await.expect("C2");
    let created = user("ApiUser", GSTIN, &["C2", "C1"]);
    store.create_user(&created).await.expect("create");

    for name in ["ApiUser", "apiuser", "APIUSER"] {
        assert_eq!(
            store.user(name).await.expect("get"),
            Some(created.clone()),
            "{name}"
        );
    }
    let again = user("APIUSER", GSTIN, &["C1"]);
    assert!(matches!(
        store.create_user(&again).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.user("ApiUser").await.expect("get"),
        Some(created),
        "the first user is unchanged"
    );
    assert_eq!(store.user("nobody").await.expect("get"), None);
}

pub async fn user_with_unknown_client_is_refused(ctx: Ctx) {
    let store = ctx.store;
    store.create_client(&client("C1")).await.expect("C1");
    let result = store
        .create_user(&user("ApiUser", GSTIN, &["C1", "missing"]))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert_eq!(
        store.user("ApiUser").await.expect("get"),
        None,
        "nothing is kept"
    );
}

pub async fn login_failures_and_lockout(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let now = dt("2025-07-01 12:00:00");
    let until = dt("2025-07-01 13:00:00");
    let reserve = |name: &'static str, at: &'static str| {
        let store = store.clone();
        async move {
            store
                .reserve_login_attempt(name, 3, dt(at), until)
                .await
                .expect("reserve")
        }
    };
    assert_eq!(
        reserve("apiuser", "2025-07-01 12:00:00").await,
        LoginAttempt::Reserved { failures: 1 }
    );
    assert_eq!(
        reserve("ApiUser", "2025-07-01 12:00:00").await,
        LoginAttempt::Reserved { failures: 2 }
    );
    let user = store.user("ApiUser").await.expect("get").expect("user");
    assert_eq!((user.failed_logins, user.locked_until), (2, None));

    assert_eq!(
        reserve("APIUSER", "2025-07-01 12:00:00").await,
        LoginAttempt::Reserved { failures: 3 }
    );
    let user = store.user("ApiUser").await.expect("get").expect("user");
    assert_eq!((user.failed_logins, user.locked_until), (3, Some(until)));

    // Locked: refused and not counted, up to the last instant of the lock.
    assert_eq!(
        reserve("apiuser", "2025-07-01 12:59:59").await,
        LoginAttempt::Locked
    );
    let user = store.user("ApiUser").await.expect("get").expect("user");
    assert_eq!((user.failed_logins, user.locked_until), (3, Some(until)));
    // Once the lock has run out, an attempt is counted again.
    assert_eq!(
        reserve("apiuser", "2025-07-01 13:00:00").await,
        LoginAttempt::Reserved { failures: 4 }
    );

    store.clear_login_failures("apiuser").await.expect("clear");
    let user = store.user("ApiUser").await.expect("get").expect("user");
    assert_eq!((user.failed_logins, user.locked_until), (0, None));
    store
        .clear_login_failures("apiuser")
        .await
        .expect("clear again");

    assert!(matches!(
        store.reserve_login_attempt("nobody", 3, now, until).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.clear_login_failures("nobody").await,
        Err(StoreError::NotFound)
    ));
}

/// 40 parallel attempts on two instances against a limit of 5: exactly 5 are reserved (and so
/// checked), the other 35 find the user locked.
pub async fn parallel_login_attempts_count_one_by_one(ctx: Ctx) {
    account(&*ctx.store).await;
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let now = dt("2025-07-01 12:00:00");
    let until = dt("2025-07-01 13:00:00");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(40));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40usize {
        let store = stores[n % 2].clone();
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            store
                .reserve_login_attempt("ApiUser", 5, now, until)
                .await
                .expect("reserve")
        });
    }
    let outcomes = tasks.join_all().await;
    let mut reserved: Vec<u32> = outcomes
        .iter()
        .filter_map(|o| match o {
            LoginAttempt::Reserved { failures } => Some(*failures),
            LoginAttempt::Locked => None,
        })
        .collect();
    reserved.sort_unstable();
    assert_eq!(reserved, [1, 2, 3, 4, 5]);
    let user = ctx.store.user("ApiUser").await.expect("get").expect("user");
    assert_eq!((user.failed_logins, user.locked_until), (5, Some(until)));
}

pub async fn set_password_ends_sessions(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    store
        .create_user(&user("Other", GSTIN, &["C1"]))
        .await
        .expect("other user");
    let mine = session(
        &SessionKey::new("C1", "ApiUser", GSTIN),
        "a1",
        "2025-07-01 10:00:00",
        360,
    );
    let theirs = session(
        &SessionKey::new("C1", "Other", GSTIN),
        "b1",
        "2025-07-01 10:00:00",
        360,
    );
    store.start_session(&mine).await.expect("mine");
    store.start_session(&theirs).await.expect("theirs");
    store
        .reserve_login_attempt(
            "ApiUser",
            1,
            dt("2025-07-01 10:00:00"),
            dt("2025-07-01 11:00:00"),
        )
        .await
        .expect("lock");

    store
        .set_password("APIUSER", "$argon2id$new", dt("2025-07-01 10:30:00"))
        .await
        .expect("set");
    let user = store.user("apiuser").await.expect("get").expect("user");
    assert_eq!(user.password_hash, "$argon2id$new");
    assert_eq!(
        (user.failed_logins, user.locked_until),
        (0, None),
        "the lockout is cleared"
    );
    assert_eq!(
        store
            .session_by_token(&mine.token_hash)
            .await
            .expect("by token"),
        None
    );
    assert_eq!(
        store
            .live_session(&mine.key, dt("2025-07-01 10:31:00"))
            .await
            .expect("live"),
        None
    );
    assert_eq!(
        store
            .session_by_token(&theirs.token_hash)
            .await
            .expect("by token"),
        Some(theirs)
    );

    let result = store
        .set_password("nobody", "$argon2id$x", dt("2025-07-01 10:30:00"))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)));
}

pub async fn deactivation_ends_sessions(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let s = session(
        &SessionKey::new("C1", "ApiUser", GSTIN),
        "a1",
        "2025-07-01 10:00:00",
        360,
    );
    store.start_session(&s).await.expect("start");

    store
        .set_user_active("apiuser", false, dt("2025-07-01 10:30:00"))
        .await
        .expect("deactivate");
    assert!(
        !store
            .user("ApiUser")
            .await
            .expect("get")
            .expect("user")
            .active
    );
    assert_eq!(
        store
            .session_by_token(&s.token_hash)
            .await
            .expect("by token"),
        None
    );

    store
        .set_user_active("ApiUser", true, dt("2025-07-01 10:40:00"))
        .await
        .expect("activate");
    assert!(
        store
            .user("ApiUser")
            .await
            .expect("get")
            .expect("user")
            .active
    );
    assert_eq!(
        store
            .session_by_token(&s.token_hash)
            .await
            .expect("by token"),
        None,
        "sessions stay ended"
    );

    let result = store
        .set_user_active("nobody", false, dt("2025-07-01 10:30:00"))
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)));
}

pub async fn live_session_respects_expiry(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let s = session(&key, "a1", "2025-07-01 10:00:00", 360);
    store.start_session(&s).await.expect("start");

    assert_eq!(
        store
            .live_session(&key, dt("2025-07-01 10:00:00"))
            .await
            .expect("live"),
        Some(s.clone())
    );
    assert_eq!(
        store
            .live_session(&key, dt("2025-07-01 15:59:59.999"))
            .await
            .expect("live"),
        Some(s.clone())
    );
    // TokenExpiry is the moment the token stops being accepted.
    assert_eq!(
        store
            .live_session(&key, dt("2025-07-01 16:00:00"))
            .await
            .expect("expired"),
        None
    );
    assert_eq!(
        store
            .live_session(&key, dt("2025-07-02 10:00:00"))
            .await
            .expect("expired"),
        None
    );
    // Look-up by token ignores expiry; the caller judges it.
    assert_eq!(
        store
            .session_by_token(&s.token_hash)
            .await
            .expect("by token"),
        Some(s)
    );
    assert_eq!(
        store
            .session_by_token(&"f".repeat(64))
            .await
            .expect("unknown"),
        None
    );

    let other_gstin = SessionKey::new("C1", "ApiUser", "27AAAPI3182M002");
    assert_eq!(
        store
            .live_session(&other_gstin, dt("2025-07-01 10:00:00"))
            .await
            .expect("live"),
        None
    );
}

pub async fn start_session_replaces_the_old_one(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let old = session(&key, "a1", "2025-07-01 10:00:00", 360);
    let other_gstin = session(
        &SessionKey::new("C1", "apiuser", "27aaapi3182m002"),
        "c1",
        "2025-07-01 10:00:00",
        360,
    );
    store.start_session(&old).await.expect("old");
    store.start_session(&other_gstin).await.expect("other key");

    // A key spelt in another letter case is the same key.
    let new = session(
        &SessionKey::new("C1", "APIUSER", &GSTIN.to_lowercase()),
        "a2",
        "2025-07-01 15:55:00",
        360,
    );
    store.start_session(&new).await.expect("new");
    assert_eq!(
        store
            .live_session(&key, dt("2025-07-01 15:56:00"))
            .await
            .expect("live"),
        Some(new.clone())
    );
    assert_eq!(
        store.session_by_token(&old.token_hash).await.expect("old"),
        None,
        "the old session ended"
    );
    assert_eq!(
        store.session_by_token(&new.token_hash).await.expect("new"),
        Some(new)
    );
    assert_eq!(
        store
            .session_by_token(&other_gstin.token_hash)
            .await
            .expect("other"),
        Some(other_gstin)
    );

    let unknown_user = session(
        &SessionKey::new("C1", "nobody", GSTIN),
        "d1",
        "2025-07-01 10:00:00",
        360,
    );
    assert!(matches!(
        store.start_session(&unknown_user).await,
        Err(StoreError::NotFound)
    ));
}

/// Logins of one key racing on two instances: the first starts its session, every other is given
/// that one (one audit row); a session that has expired is replaced, a live one is not.
pub async fn concurrent_logins_share_one_session(ctx: Ctx) {
    account(&*ctx.store).await;
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let before = ctx.audit_count().await;
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20usize {
        let store = stores[n % 2].clone();
        let barrier = barrier.clone();
        let mine = session(&key, &format!("t{n}"), "2025-07-01 10:00:00", 360);
        tasks.spawn(async move {
            barrier.wait().await;
            store.start_session_unless_live(&mine).await.expect("start")
        });
    }
    let in_force = tasks.join_all().await;
    assert!(
        in_force.iter().all(|s| *s == in_force[0]),
        "one session for all"
    );
    assert_eq!(
        ctx.store
            .live_session(&key, dt("2025-07-01 10:00:01"))
            .await
            .expect("live"),
        Some(in_force[0].clone())
    );
    assert_eq!(ctx.audit_count().await, before + 1, "one session started");

    // Still live: kept. Expired: replaced.
    let early = session(&key, "late-1", "2025-07-01 15:59:59", 360);
    assert_eq!(
        ctx.store
            .start_session_unless_live(&early)
            .await
            .expect("kept"),
        in_force[0]
    );
    let after_expiry = session(&key, "late-2", "2025-07-01 16:00:00", 360);
    assert_eq!(
        ctx.store
            .start_session_unless_live(&after_expiry)
            .await
            .expect("replaced")
            .token_hash,
        after_expiry.token_hash
    );
}
