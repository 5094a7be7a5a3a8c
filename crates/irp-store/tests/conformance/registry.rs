//! Health, AckNo sequences, certificates, the audit trail and durability.

use std::sync::Arc;

use irp_store::{Registration, SessionKey, StoreError};

use crate::fixtures::{GSTIN, account, certificate, client, dt, invoice, session, taxpayer, user};
use crate::harness::Ctx;

pub async fn backend_answers(ctx: Ctx) {
    assert_eq!(ctx.store.backend(), ctx.backend());
    ctx.store.ping().await.expect("ping");
}

pub async fn ack_sequences_start_at_one_per_key(ctx: Ctx) {
    let store = ctx.store;
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 25, 1)
            .await
            .expect("first"),
        1
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 25, 10)
            .await
            .expect("block"),
        2
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 25, 1)
            .await
            .expect("after block"),
        12
    );
    // Every (portal, node, year) has its own sequence.
    assert_eq!(
        store
            .reserve_ack_sequence(2, 1, 25, 1)
            .await
            .expect("portal 2"),
        1
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 2, 25, 1)
            .await
            .expect("node 2"),
        1
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 26, 5)
            .await
            .expect("year 26"),
        1
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 26, 1)
            .await
            .expect("year 26"),
        6
    );
    assert_eq!(
        store
            .reserve_ack_sequence(1, 1, 25, 1)
            .await
            .expect("unchanged"),
        13
    );
}

pub async fn ack_sequences_are_disjoint_under_concurrency(ctx: Ctx) {
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let store = stores[i as usize % 2].clone();
        let count = i % 5 + 1;
        tasks.push(tokio::spawn(async move {
            let first = store
                .reserve_ack_sequence(1, 3, 25, count)
                .await
                .expect("reserve");
            (first, u64::from(count))
        }));
    }
    let mut ranges = Vec::new();
    for task in tasks {
        ranges.push(task.await.expect("task"));
    }
    ranges.sort();
    // Sorted by start, the ranges must tile 1..=total with no overlap and no gap.
    let mut next = 1;
    for (first, count) in &ranges {
        assert_eq!(*first, next, "ranges {ranges:?}");
        next += count;
    }
    let total: u64 = ranges.iter().map(|(_, c)| c).sum();
    assert_eq!(
        ctx.store
            .reserve_ack_sequence(1, 3, 25, 1)
            .await
            .expect("after"),
        total + 1
    );
}

pub async fn certificates_current_and_retired(ctx: Ctx) {
    let store = ctx.store;
    assert!(store.certificates().await.expect("none").is_empty());
    let a = certificate(1, 'A', true);
    let b = certificate(2, 'B', true);
    store.publish_certificate(&a).await.expect("a");
    store.publish_certificate(&b).await.expect("b");
    assert_eq!(
        store.certificates().await.expect("two"),
        vec![a.clone(), b.clone()]
    );

    // A new current certificate of portal 1 retires the old one; portal 2 is untouched.
    let mut c = certificate(1, 'C', true);
    c.not_before = dt("2026-01-01 00:00:00");
    store.publish_certificate(&c).await.expect("c");
    let retired_a = irp_store::PublishedCertificate {
        current: false,
        ..a.clone()
    };
    assert_eq!(
        store.certificates().await.expect("three"),
        vec![retired_a.clone(), c.clone(), b.clone()]
    );

    // Publishing the same kid again is idempotent.
    store.publish_certificate(&c).await.expect("c again");
    assert_eq!(
        store.certificates().await.expect("three"),
        vec![retired_a, c, b]
    );
}

/// Every state change writes exactly one audit row; look-ups, refused changes and changes
/// that change nothing write none.
pub async fn audit_rows_for_every_change(ctx: Ctx) {
    let store = ctx.store.clone();
    let mut expected = ctx.audit_count().await;
    assert_eq!(expected, 0, "a fresh store has no audit rows");
    macro_rules! step {
        ($delta:expr, $call:expr) => {{
            let result = $call;
            expected += $delta;
            assert_eq!(
                ctx.audit_count().await,
                expected,
                "after {}",
                stringify!($call)
            );
            result
        }};
    }
    step!(
        1,
        store
            .upsert_taxpayer(&taxpayer(GSTIN))
            .await
            .expect("taxpayer")
    );
    step!(1, store.create_client(&client("C1")).await.expect("client"));
    step!(
        0,
        store
            .create_client(&client("C1"))
            .await
            .expect_err("duplicate client")
    );
    step!(
        1,
        store
            .create_user(&user("ApiUser", GSTIN, &["C1"]))
            .await
            .expect("user")
    );
    step!(
        0,
        store
            .create_user(&user("apiuser", GSTIN, &["C1"]))
            .await
            .expect_err("duplicate user")
    );
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    step!(
        1,
        store
            .start_session(&session(&key, "a1", "2025-07-01 10:00:00", 360))
            .await
            .expect("session")
    );
    step!(
        1,
        store
            .reserve_login_attempt(
                "ApiUser",
                5,
                dt("2025-07-01 10:00:00"),
                dt("2025-07-01 11:00:00")
            )
            .await
            .expect("attempt")
    );
    step!(
        1,
        store
            .record_login_refusal("nobody", "unknown_user")
            .await
            .expect("refusal")
    );
    step!(
        1,
        store.clear_login_failures("ApiUser").await.expect("clear")
    );
    step!(
        0,
        store
            .clear_login_failures("ApiUser")
            .await
            .expect("nothing to clear")
    );
    step!(
        1,
        store
            .set_password("ApiUser", "$argon2id$new", dt("2025-07-01 10:30:00"))
            .await
            .expect("password")
    );
    step!(
        1,
        store
            .set_user_active("ApiUser", false, dt("2025-07-01 10:40:00"))
            .await
            .expect("deactivate")
    );
    step!(
        1,
        store.reserve_ack_sequence(1, 1, 25, 1).await.expect("ack")
    );
    let record = invoice(1, 112_510_000_000_001);
    step!(
        1,
        assert_eq!(
            store.insert_invoice(&record).await.expect("insert"),
            Registration::Inserted
        )
    );
    step!(
        0,
        store
            .insert_invoice(&invoice(1, 112_510_000_000_002))
            .await
            .expect("duplicate")
    );
    let cancel = irp_store::Cancellation {
        at: dt("2025-07-01 18:00:00"),
        reason: 1,
        remark: None,
        by_gstin: GSTIN.into(),
        portal: 1,
    };
    step!(
        1,
        store
            .cancel_invoice(&record.irn, &cancel)
            .await
            .expect("cancel")
    );
    step!(
        0,
        store
            .cancel_invoice(&record.irn, &cancel)
            .await
            .expect("cancel again")
    );
    step!(
        1,
        store
            .publish_certificate(&certificate(1, 'A', true))
            .await
            .expect("certificate")
    );
    step!(0, store.invoice(&record.irn).await.expect("read"));

    let entries = ctx.audit_entries().await;
    assert_eq!(entries.len() as u64, expected);
    let events: Vec<&str> = entries.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events.first(), Some(&"taxpayer.upsert"));
    assert!(events.contains(&"invoice.insert") && events.contains(&"invoice.cancel"));
    assert!(
        entries
            .iter()
            .all(|e| e.at.and_utc().timestamp() > 1_700_000_000),
        "IST clock times"
    );
}

pub async fn audit_never_holds_secrets(ctx: Ctx) {
    let store = ctx.store.clone();
    let created = account(&*store).await;
    let c1 = client("C1");
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let s = session(&key, "a1", "2025-07-01 10:00:00", 360);
    store.start_session(&s).await.expect("session");
    store
        .set_password(
            "ApiUser",
            "$argon2id$brand-new-hash",
            dt("2025-07-01 10:30:00"),
        )
        .await
        .expect("password");

    let secrets = [
        created.password_hash.as_str(),
        "$argon2id$brand-new-hash",
        c1.secret_hash.as_str(),
        s.token_hash.as_str(),
        "sealed-token-a1",
        "sealed-sek-a1",
        "argon2",
    ];
    for entry in ctx.audit_entries().await {
        for secret in secrets {
            assert!(
                !entry.subject.contains(secret) && !entry.detail.contains(secret),
                "{entry:?} holds a secret"
            );
        }
    }
}

/// What one instance commits, a fresh instance on the same URL reads, and the other way round.
pub async fn durable_across_instances(ctx: Ctx) {
    let first = ctx.store.clone();
    first
        .upsert_taxpayer(&taxpayer(GSTIN))
        .await
        .expect("taxpayer");
    let created = account(&*first).await;
    let record = invoice(1, 112_510_000_000_001);
    first.insert_invoice(&record).await.expect("insert");
    first
        .publish_certificate(&certificate(1, 'A', true))
        .await
        .expect("certificate");
    assert_eq!(
        first.reserve_ack_sequence(1, 1, 25, 3).await.expect("ack"),
        1
    );

    let second = ctx.reopen().await;
    assert_eq!(
        second.taxpayer_record(GSTIN).await.expect("taxpayer"),
        Some(taxpayer(GSTIN))
    );
    assert_eq!(second.user("apiuser").await.expect("user"), Some(created));
    assert_eq!(
        second.invoice(&record.irn).await.expect("invoice"),
        Some(record.clone())
    );
    assert_eq!(
        second.certificates().await.expect("certificates"),
        vec![certificate(1, 'A', true)]
    );
    assert_eq!(
        second.reserve_ack_sequence(1, 1, 25, 1).await.expect("ack"),
        4
    );

    // Read-your-writes the other way: the second instance's change is visible to the first.
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let s = session(&key, "a1", "2025-07-01 10:00:00", 360);
    second.start_session(&s).await.expect("session");
    assert_eq!(
        first
            .session_by_token(&s.token_hash)
            .await
            .expect("session"),
        Some(s.clone())
    );
    let duplicate = first
        .insert_invoice(&invoice(1, 212_510_000_000_001))
        .await
        .expect("duplicate");
    assert_eq!(duplicate, Registration::Duplicate(record));
    drop(second);

    let third: Arc<dyn irp_store::Store> = ctx.reopen().await;
    assert_eq!(
        third
            .session_by_token(&s.token_hash)
            .await
            .expect("session"),
        Some(s)
    );
    assert!(matches!(
        third.create_client(&client("C1")).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn shared_settings_are_agreed_once_and_replaced_only_on_purpose(ctx: Ctx) {
    let store = ctx.store;
    let at = chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    assert_eq!(
        store
            .agree_setting("shared", "a=1", at, false)
            .await
            .unwrap(),
        "a=1",
        "the first node records its settings"
    );
    assert_eq!(
        store
            .agree_setting("shared", "a=2", at, false)
            .await
            .unwrap(),
        "a=1",
        "a later node learns the recorded ones"
    );
    assert_eq!(
        store
            .agree_setting("shared", "a=2", at, true)
            .await
            .unwrap(),
        "a=2",
        "an operator replaces them deliberately"
    );
    assert_eq!(
        store
            .agree_setting("shared", "a=3", at, false)
            .await
            .unwrap(),
        "a=2"
    );
}
