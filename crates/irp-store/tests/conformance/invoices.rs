//! IRN registration, duplicates, cancellation and rejected IRNs (`06` §1–§2).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use irp_store::{
    Cancellation, InvoiceRecord, InvoiceStatus, NewInvoice, PackedSignedInvoice, Registration,
    Session, SessionKey, Store, StoreError,
};

use crate::fixtures::{GSTIN, account, date, dt, gstin, invoice, irn, session};
use crate::harness::Ctx;

fn cancellation(reason: u8, at: &str, portal: u8) -> Cancellation {
    Cancellation {
        at: dt(at),
        reason,
        remark: Some(format!("remark {reason}")),
        by_gstin: GSTIN.to_owned(),
        portal,
    }
}

pub async fn insert_duplicate_and_get(ctx: Ctx) {
    let store = ctx.store;
    let mut first = invoice(1, 112_510_000_000_001);
    first.ecm_gstin = Some(gstin("29AKLPM8755F1Z2"));
    first.ack_dt = dt("2025-07-01 23:59:59");
    assert_eq!(
        store.insert_invoice(&first).await.expect("insert"),
        Registration::Inserted
    );
    assert_eq!(
        store.invoice(&first.irn).await.expect("get"),
        Some(first.clone())
    );

    // Same IRN, different content and AckNo: the committed original comes back, unchanged.
    let mut second = invoice(1, 212_510_000_000_001);
    second.doc_no = "OTHER".into();
    second.portal = 2;
    assert_eq!(
        store.insert_invoice(&second).await.expect("dup"),
        Registration::Duplicate(first.clone())
    );
    assert_eq!(store.invoice(&first.irn).await.expect("get"), Some(first));

    assert_eq!(store.invoice(&irn(99)).await.expect("unknown"), None);
}

/// `06` §2.3: of concurrent registrations of one IRN exactly one wins, and every other attempt
/// sees the winner's committed AckNo.
pub async fn concurrent_inserts_register_once(ctx: Ctx) {
    let attempts = race(std::slice::from_ref(&ctx.store), 50).await;
    let stored = ctx
        .store
        .invoice(&irn(7))
        .await
        .expect("get")
        .expect("registered");
    check_one_winner(&attempts, &stored);
}

/// Two store instances on one database (two portals) racing for one IRN.
pub async fn two_instances_register_once(ctx: Ctx) {
    let other = ctx.reopen().await;
    let attempts = race(&[ctx.store.clone(), other.clone()], 20).await;
    let stored = other
        .invoice(&irn(7))
        .await
        .expect("get")
        .expect("registered");
    check_one_winner(&attempts, &stored);
}

/// `n` concurrent registrations of IRN 7, each with its own AckNo, spread over `stores`.
async fn race(stores: &[Arc<dyn Store>], n: u64) -> Vec<(u64, Registration)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(n as usize));
    let mut tasks = Vec::new();
    for i in 0..n {
        let store = stores[i as usize % stores.len()].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let record = invoice(7, 112_510_000_000_100 + i);
            barrier.wait().await;
            (
                record.ack_no,
                store.insert_invoice(&record).await.expect("insert"),
            )
        }));
    }
    let mut attempts = Vec::new();
    for task in tasks {
        attempts.push(task.await.expect("task"));
    }
    attempts
}

fn check_one_winner(attempts: &[(u64, Registration)], stored: &irp_store::InvoiceRecord) {
    let winners: Vec<u64> = attempts
        .iter()
        .filter(|(_, r)| *r == Registration::Inserted)
        .map(|(ack_no, _)| *ack_no)
        .collect();
    assert_eq!(
        winners,
        vec![stored.ack_no],
        "exactly one Inserted, and it is the stored record"
    );
    for (_, registration) in attempts {
        if let Registration::Duplicate(record) = registration {
            assert_eq!(record, stored, "every loser sees the committed winner");
        }
    }
    assert_eq!(
        attempts.len() - 1,
        attempts
            .iter()
            .filter(|(_, r)| matches!(r, Registration::Duplicate(_)))
            .count()
    );
}

pub async fn cancel_active_then_unchanged(ctx: Ctx) {
    let store = ctx.store;
    let record = invoice(1, 112_510_000_000_001);
    store.insert_invoice(&record).await.expect("insert");

    let first = cancellation(2, "2025-07-01 18:00:00", 2);
    let outcome = store
        .cancel_invoice(&record.irn, &first)
        .await
        .expect("cancel");
    assert!(outcome.by_this_call);
    let cancelled = outcome.record;
    assert_eq!(cancelled.status, InvoiceStatus::Cancelled);
    assert_eq!(cancelled.cancellation, Some(first.clone()));
    assert_eq!(
        cancelled.signed_invoice, record.signed_invoice,
        "the signed tokens stay as issued"
    );
    assert_eq!(
        store.invoice(&record.irn).await.expect("get"),
        Some(cancelled.clone())
    );

    // Not active any more: returned unchanged, the second cancellation is not recorded.
    let again = store
        .cancel_invoice(&record.irn, &cancellation(4, "2025-07-01 19:00:00", 1))
        .await
        .expect("again");
    assert!(!again.by_this_call);
    assert_eq!(again.record, cancelled);

    // The IRN stays taken.
    match store
        .insert_invoice(&invoice(1, 112_510_000_000_002))
        .await
        .expect("re-insert")
    {
        Registration::Duplicate(record) => assert_eq!(record, cancelled),
        other => panic!("a cancelled IRN must stay taken: {other:?}"),
    }

    let unknown = store.cancel_invoice(&irn(99), &first).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
}

/// 20 concurrent cancellations of one IRN on two instances, at the same second by the same
/// taxpayer: exactly one is told its update applied, and it is the one recorded.
pub async fn concurrent_cancels_cancel_once(ctx: Ctx) {
    let record = invoice(1, 112_510_000_000_001);
    ctx.store.insert_invoice(&record).await.expect("insert");
    let before = ctx.audit_count().await;
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for n in 0..20u8 {
        let store = stores[usize::from(n % 2)].clone();
        let irn = record.irn.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let cancellation = cancellation(n % 4 + 1, "2025-07-01 18:00:00", 1);
            barrier.wait().await;
            let outcome = store
                .cancel_invoice(&irn, &cancellation)
                .await
                .expect("cancel");
            (cancellation, outcome)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let winners: Vec<_> = results.iter().filter(|(_, o)| o.by_this_call).collect();
    assert_eq!(winners.len(), 1, "exactly one cancellation applied");
    let results: Vec<_> = results
        .iter()
        .map(|(_, outcome)| outcome.record.clone())
        .collect();
    let stored = ctx
        .store
        .invoice(&record.irn)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(stored.status, InvoiceStatus::Cancelled);
    assert!(
        results.iter().all(|r| *r == stored),
        "every caller sees the one committed cancellation"
    );
    assert_eq!(
        stored.cancellation.as_ref(),
        Some(&winners[0].0),
        "the one told it applied is the one recorded"
    );
    assert_eq!(
        ctx.audit_count().await,
        before + 1,
        "one cancellation, one audit row"
    );
}

pub async fn rejected_irns_by_supplier_and_date(ctx: Ctx) {
    let store = ctx.store;
    let mut rejected = invoice(1, 112_510_000_000_001);
    rejected.status = InvoiceStatus::Rejected;
    rejected.ack_dt = dt("2025-07-01 00:00:00");
    let mut late = invoice(2, 112_510_000_000_002);
    late.status = InvoiceStatus::Rejected;
    late.ack_dt = dt("2025-07-01 23:59:59.500");
    let mut next_day = invoice(3, 112_510_000_000_003);
    next_day.status = InvoiceStatus::Rejected;
    next_day.ack_dt = dt("2025-07-02 00:00:00");
    let mut other_supplier = invoice(4, 112_510_000_000_004);
    other_supplier.status = InvoiceStatus::Rejected;
    other_supplier.seller_gstin = gstin("27AAAPI3182M002");
    let active = invoice(5, 112_510_000_000_005);
    for record in [&rejected, &late, &next_day, &other_supplier, &active] {
        assert_eq!(
            store.insert_invoice(record).await.expect("insert"),
            Registration::Inserted
        );
    }
    assert_eq!(
        store.invoice(&late.irn).await.expect("get"),
        Some(late.clone()),
        "fractions of a second survive"
    );

    let day = date("2025-07-01");
    assert_eq!(
        store.rejected_irns(GSTIN, None, day).await.expect("list"),
        vec![rejected.irn.clone(), late.irn.clone()]
    );
    assert_eq!(
        store
            .rejected_irns(&GSTIN.to_lowercase(), None, day)
            .await
            .expect("list"),
        vec![rejected.irn, late.irn]
    );
    assert_eq!(
        store
            .rejected_irns(GSTIN, None, date("2025-07-02"))
            .await
            .expect("list"),
        vec![next_day.irn]
    );
    assert!(
        store
            .rejected_irns(GSTIN, None, date("2025-06-30"))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .rejected_irns("27AAAPI3182M002", None, day)
            .await
            .expect("list"),
        vec![other_supplier.irn]
    );

    // An e-commerce operator naming the supplier sees only the IRNs it is the operator of.
    let operator = "27AAAPI3182M002";
    let mut by_operator = invoice(6, 112_510_000_000_006);
    by_operator.status = InvoiceStatus::Rejected;
    by_operator.ack_dt = dt("2025-07-03 10:00:00");
    by_operator.ecm_gstin = Some(gstin(operator));
    let mut own = invoice(7, 112_510_000_000_007);
    own.status = InvoiceStatus::Rejected;
    own.ack_dt = dt("2025-07-03 11:00:00");
    for record in [&by_operator, &own] {
        store.insert_invoice(record).await.expect("insert");
    }
    let day = date("2025-07-03");
    assert_eq!(
        store.rejected_irns(GSTIN, None, day).await.expect("list"),
        vec![by_operator.irn.clone(), own.irn.clone()],
        "the supplier sees all of its own"
    );
    assert_eq!(
        store
            .rejected_irns(GSTIN, Some(&operator.to_lowercase()), day)
            .await
            .expect("list"),
        vec![by_operator.irn.clone()]
    );
    assert!(
        store
            .rejected_irns(GSTIN, Some("29AAGCB1286Q000"), day)
            .await
            .expect("list")
            .is_empty(),
        "another taxpayer naming the supplier sees nothing"
    );
}

pub async fn group_commit_registers_a_batch_in_one_transaction(ctx: Ctx) {
    let store = ctx.store;
    let existing = invoice(10, 112_510_000_000_010);
    store.insert_invoice(&existing).await.expect("insert");
    // A batch with a new IRN, the existing one, a new one twice, and another new one.
    let batch = vec![
        invoice(12, 112_510_000_000_012),
        invoice(10, 112_510_000_000_013),
        invoice(11, 112_510_000_000_014),
        invoice(11, 112_510_000_000_015),
        invoice(13, 112_510_000_000_016),
    ];
    let results = store
        .insert_invoices(&unguarded(&batch))
        .await
        .expect("batch");
    assert_eq!(results[0], Registration::Inserted);
    assert_eq!(results[1], Registration::Duplicate(existing));
    assert_eq!(
        results[2],
        Registration::Inserted,
        "the first of two equal IRNs wins"
    );
    assert_eq!(
        results[3],
        Registration::Duplicate(batch[2].clone()),
        "the second sees the first, in the same transaction"
    );
    assert_eq!(results[4], Registration::Inserted);
    for n in [11, 12, 13] {
        assert!(store.invoice(&irn(n)).await.expect("get").is_some());
    }
    // Concurrent batches over overlapping IRNs register each IRN exactly once (no deadlock).
    let mut tasks = Vec::new();
    for batch_no in 0..8u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let records: Vec<_> = (0..6u64)
                .map(|k| {
                    invoice(
                        100 + (batch_no + k) % 10,
                        113_000_000_000_000 + batch_no * 100 + k,
                    )
                })
                .collect();
            store
                .insert_invoices(&unguarded(&records))
                .await
                .expect("concurrent batch")
        }));
    }
    let mut inserted = 0;
    for task in tasks {
        inserted += task
            .await
            .unwrap()
            .iter()
            .filter(|r| **r == Registration::Inserted)
            .count();
    }
    assert_eq!(inserted, 10, "ten distinct IRNs, each registered once");
}

/// A batch is one transaction: when any record breaks a constraint (here two new IRNs with
/// one AckNo), the batch fails and none of its records is registered, not even those written
/// before the failing one.
pub async fn group_commit_that_fails_registers_nothing(ctx: Ctx) {
    let store = ctx.store;
    let batch = vec![
        invoice(20, 112_510_000_000_020),
        invoice(21, 112_510_000_000_021),
        invoice(22, 112_510_000_000_021),
    ];
    let outcome = store.insert_invoices(&unguarded(&batch)).await;
    assert!(outcome.is_err(), "an AckNo used twice fails the batch");
    for n in [20, 21, 22] {
        assert_eq!(store.invoice(&irn(n)).await.expect("get"), None);
    }
    // The registry is usable afterwards, and the same records register in batches that hold.
    let results = store
        .insert_invoices(&unguarded(&batch[..2]))
        .await
        .expect("batch");
    assert_eq!(
        results,
        vec![Registration::Inserted, Registration::Inserted]
    );
}

/// Registrations that name no session.
fn unguarded(records: &[InvoiceRecord]) -> Vec<NewInvoice> {
    records
        .iter()
        .map(|record| NewInvoice {
            record: record.clone(),
            session_token_hash: None,
            packed_signed_invoice: None,
            bulk_element: None,
        })
        .collect()
}

/// A registration names the session that asked for it; one whose session has ended (replaced
/// by a new one, or its user deactivated) is refused inside the batch's transaction and nothing
/// of it is written, while the rest of the batch registers.
pub async fn group_commit_refuses_registrations_of_ended_sessions(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let replaced = session(&key, "a1", "2025-07-01 10:00:00", 360);
    store.start_session(&replaced).await.expect("first");
    let current = session(&key, "a2", "2025-07-01 15:55:00", 360);
    store.start_session(&current).await.expect("replacement");
    let guarded = |n: u64, token: &Session| NewInvoice {
        record: invoice(n, 112_510_000_000_000 + n),
        session_token_hash: Some(token.token_hash.clone()),
        packed_signed_invoice: None,
        bulk_element: None,
    };
    let batch = vec![
        guarded(21, &current),
        guarded(22, &replaced),
        guarded(23, &current),
        NewInvoice {
            record: invoice(24, 112_510_000_000_024),
            session_token_hash: None,
            packed_signed_invoice: None,
            bulk_element: None,
        },
    ];
    let results = store.insert_invoices(&batch).await.expect("batch");
    assert_eq!(
        results,
        [
            Registration::Inserted,
            Registration::SessionEnded,
            Registration::Inserted,
            Registration::Inserted,
        ]
    );
    assert!(store.invoice(&irn(22)).await.expect("get").is_none());
    for n in [21, 23, 24] {
        assert!(store.invoice(&irn(n)).await.expect("get").is_some());
    }

    // Deactivation ends the user's sessions: a batch of only refused registrations writes nothing.
    store
        .set_user_active("ApiUser", false, dt("2025-07-01 16:00:00"))
        .await
        .expect("deactivate");
    let results = store
        .insert_invoices(&[guarded(25, &current), guarded(26, &current)])
        .await
        .expect("batch");
    assert_eq!(
        results,
        [Registration::SessionEnded, Registration::SessionEnded]
    );
    assert!(store.invoice(&irn(25)).await.expect("get").is_none());
}

/// A session ended by another node while a batch naming it is being committed: either the
/// batch commits first and its registrations stand, or the ending commits first and the batch
/// refuses them; never a registration written after its session's end was committed. Here the
/// ending holds its transaction open while the batch starts, then commits.
pub async fn group_commit_waits_for_a_session_ending_in_flight(ctx: Ctx) {
    let store = ctx.store.clone();
    account(&*store).await;
    let key = SessionKey::new("C1", "ApiUser", GSTIN);
    let ending = session(&key, "a1", "2025-07-01 10:00:00", 360);
    store.start_session(&ending).await.expect("session");
    let deletion = ctx.delete_session_uncommitted(&ending.token_hash).await;
    let batch = vec![NewInvoice {
        record: invoice(31, 112_510_000_000_031),
        session_token_hash: Some(ending.token_hash.clone()),
        packed_signed_invoice: None,
        bulk_element: None,
    }];
    let committing = tokio::spawn({
        let store = store.clone();
        async move { store.insert_invoices(&batch).await }
    });
    // Long enough for a batch that does not wait to have read the session and committed.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    deletion.commit().await;
    let results = committing.await.expect("task").expect("batch");
    assert_eq!(results, [Registration::SessionEnded]);
    assert!(store.invoice(&irn(31)).await.expect("get").is_none());
}

/// A password change ends all of a user's sessions while batches naming them commit: each batch
/// sees either every session (committed first) or none (after the change), never half, and
/// neither side fails (on PostgreSQL both lock the sessions in token order).
pub async fn ending_a_users_sessions_races_batches_cleanly(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    store
        .create_client(&crate::fixtures::client("C2"))
        .await
        .expect("client");
    store
        .create_user(&crate::fixtures::user("Multi", GSTIN, &["C1", "C2"]))
        .await
        .expect("user");
    for round in 0..6u64 {
        let first = session(
            &SessionKey::new("C1", "Multi", GSTIN),
            &format!("e{round}"),
            "2025-07-01 10:00:00",
            360,
        );
        let second = session(
            &SessionKey::new("C2", "Multi", GSTIN),
            &format!("d{round}"),
            "2025-07-01 10:00:00",
            360,
        );
        store.start_session(&first).await.expect("first");
        store.start_session(&second).await.expect("second");
        let batch: Vec<NewInvoice> = [&second, &first]
            .iter()
            .enumerate()
            .map(|(k, session)| {
                let n = 60 + 2 * round + k as u64;
                NewInvoice {
                    record: invoice(n, 112_510_000_000_000 + n),
                    session_token_hash: Some(session.token_hash.clone()),
                    packed_signed_invoice: None,
                    bulk_element: None,
                }
            })
            .collect();
        let committing = tokio::spawn({
            let store = store.clone();
            async move { store.insert_invoices(&batch).await }
        });
        store
            .set_password("Multi", "$argon2id$new", dt("2025-07-01 10:30:00"))
            .await
            .expect("password");
        let results = committing.await.expect("task").expect("batch");
        assert!(
            results == [Registration::Inserted, Registration::Inserted]
                || results == [Registration::SessionEnded, Registration::SessionEnded],
            "round {round}: {results:?}"
        );
        for ended in [&first, &second] {
            assert_eq!(
                store
                    .session_by_token(&ended.token_hash)
                    .await
                    .expect("by token"),
                None
            );
        }
    }
}

/// Signed invoices come back byte for byte whatever their form at rest: real-looking tokens
/// (kept packed), and text that is not a canonical compact JWS (kept as it is), through the
/// single insert, the group commit, a duplicate's winner and a cancellation.
pub async fn signed_invoices_come_back_byte_for_byte(ctx: Ctx) {
    let store = ctx.store;
    let mut texts = vec![
        "not a token".to_owned(),
        "eyJhbGciOiJSUzI1NiJ9.padded==.sig".to_owned(),
        "eyJhbGciOiJSUzI1NiJ9.YR.sig".to_owned(),
        String::new(),
    ];
    texts.push(crate::fixtures::signed_invoice(99).replace("RSUzI1NiJ9", "RSUzI1NiJ9.x"));
    texts.push(crate::fixtures::signed_invoice(6));
    let records: Vec<InvoiceRecord> = texts
        .iter()
        .enumerate()
        .map(|(k, text)| InvoiceRecord {
            signed_invoice: text.clone(),
            ..invoice(40 + k as u64, 112_510_000_000_040 + k as u64)
        })
        .collect();
    let (single, grouped) = records.split_at(3);
    for record in single {
        store.insert_invoice(record).await.expect("insert");
    }
    store
        .insert_invoices(&unguarded(grouped))
        .await
        .expect("batch");
    for record in &records {
        assert_eq!(
            store.invoice(&record.irn).await.expect("get").as_ref(),
            Some(record)
        );
    }
    let again = InvoiceRecord {
        ack_no: 112_510_000_000_099,
        ..records[5].clone()
    };
    assert_eq!(
        store.insert_invoice(&again).await.expect("dup"),
        Registration::Duplicate(records[5].clone())
    );
    let cancelled = store
        .cancel_invoice(&records[5].irn, &cancellation(1, "2025-07-01 13:00:00", 1))
        .await
        .expect("cancel");
    assert_eq!(cancelled.record.signed_invoice, texts[5]);

    // Packed by the portal before the commit, from the payload it signed.
    let token = crate::fixtures::signed_invoice(7);
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).expect("payload"))
        .expect("base64url");
    let prepacked = NewInvoice {
        record: InvoiceRecord {
            signed_invoice: token.clone(),
            ..invoice(47, 112_510_000_000_047)
        },
        session_token_hash: None,
        packed_signed_invoice: Some(PackedSignedInvoice::of(&token, &payload).expect("packs")),
        bulk_element: None,
    };
    store
        .insert_invoices(std::slice::from_ref(&prepacked))
        .await
        .expect("prepacked");
    let stored = store.invoice(&irn(47)).await.expect("get").expect("stored");
    assert_eq!(stored.signed_invoice, token);

    // Packed bytes of another token are not trusted: the record's own token is what is kept.
    let mismatched = NewInvoice {
        record: InvoiceRecord {
            signed_invoice: crate::fixtures::signed_invoice(8),
            ..invoice(48, 112_510_000_000_048)
        },
        session_token_hash: None,
        packed_signed_invoice: prepacked.packed_signed_invoice.clone(),
        bulk_element: None,
    };
    store
        .insert_invoices(std::slice::from_ref(&mismatched))
        .await
        .expect("mismatched");
    let stored = store.invoice(&irn(48)).await.expect("get").expect("stored");
    assert_eq!(stored.signed_invoice, crate::fixtures::signed_invoice(8));
}
