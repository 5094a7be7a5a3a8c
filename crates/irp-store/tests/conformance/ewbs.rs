//! E-way bills from IRNs and their cancellation (`06` §5–§6), and Cancel IRN's e-way bill gate
//! (C-07).

use std::sync::Arc;

use irp_store::{
    Cancellation, EwbCancellation, EwbInsert, EwbRecord, EwbStatus, InvoiceStatus, Registration,
    Store, StoreError,
};

use crate::fixtures::{GSTIN, dt, ewb, invoice, irn, part_a_ewb};
use crate::harness::Ctx;

fn ewb_cancellation(reason: u8, at: &str) -> EwbCancellation {
    EwbCancellation {
        at: dt(at),
        reason,
        remark: Some(format!("ewb remark {reason}")),
        by_gstin: GSTIN.to_owned(),
    }
}

fn irn_cancellation() -> Cancellation {
    Cancellation {
        at: dt("2025-07-01 20:00:00"),
        reason: 1,
        remark: None,
        by_gstin: GSTIN.to_owned(),
        portal: 1,
    }
}

/// Registers the invoice whose IRN is made from `n`.
async fn registered(store: &dyn Store, n: u64) {
    assert_eq!(
        store
            .insert_invoice(&invoice(n, 112_510_000_000_000 + n))
            .await
            .expect("insert invoice"),
        Registration::Inserted
    );
}

pub async fn ewb_insert_get_and_latest(ctx: Ctx) {
    let store = ctx.store;
    registered(&*store, 1).await;
    registered(&*store, 2).await;

    let full = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    assert_eq!(
        store.insert_ewb(&full).await.expect("insert"),
        EwbInsert::Inserted
    );
    assert_eq!(
        store.ewb(full.ewb_no).await.expect("get"),
        Some(full.clone())
    );
    assert_eq!(
        store.latest_ewb(&full.irn).await.expect("latest"),
        Some(full.clone())
    );

    // Part A only: every optional field absent survives as absent.
    let bare = part_a_ewb(200_000_000_001, 2, "2025-07-01 13:00:00.250");
    assert_eq!(
        store.insert_ewb(&bare).await.expect("insert"),
        EwbInsert::Inserted
    );
    assert_eq!(
        store.ewb(bare.ewb_no).await.expect("get"),
        Some(bare.clone())
    );
    assert_eq!(
        store.latest_ewb(&bare.irn).await.expect("latest"),
        Some(bare)
    );

    assert_eq!(store.ewb(100_000_000_999).await.expect("unknown"), None);
    assert_eq!(store.latest_ewb(&irn(99)).await.expect("no EWB"), None);

    // An unknown IRN cannot carry an e-way bill; an EwbNo is never reused.
    let orphan = store
        .insert_ewb(&ewb(100_000_000_002, 99, "2025-07-01 13:00:00"))
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");
    registered(&*store, 3).await;
    let taken = store
        .insert_ewb(&ewb(full.ewb_no, 3, "2025-07-01 13:00:00"))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(store.latest_ewb(&irn(3)).await.expect("latest"), None);
    assert_eq!(store.ewb(full.ewb_no).await.expect("get"), Some(full));
}

/// E-02 (`4002`): a second active e-way bill of an IRN is refused and the active one returned.
pub async fn second_active_ewb_is_refused(ctx: Ctx) {
    let store = ctx.store.clone();
    registered(&*store, 1).await;
    let first = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    store.insert_ewb(&first).await.expect("insert");
    let before = ctx.audit_count().await;

    let mut second = part_a_ewb(200_000_000_001, 1, "2025-07-01 14:00:00");
    second.portal = 2;
    assert_eq!(
        store.insert_ewb(&second).await.expect("second"),
        EwbInsert::ActiveExists(first.clone())
    );
    assert_eq!(store.ewb(second.ewb_no).await.expect("get"), None);
    assert_eq!(
        store.latest_ewb(&first.irn).await.expect("latest"),
        Some(first)
    );
    assert_eq!(
        ctx.audit_count().await,
        before,
        "a refused insert writes no audit row"
    );
}

/// Concurrent generations for one IRN on two store instances (two portals): exactly one e-way
/// bill becomes active, and every other caller sees it.
pub async fn concurrent_ewb_inserts_one_active(ctx: Ctx) {
    registered(&*ctx.store, 7).await;
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let n = 20u64;
    let barrier = Arc::new(tokio::sync::Barrier::new(n as usize));
    let mut tasks = Vec::new();
    for i in 0..n {
        let store = stores[i as usize % 2].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let record = ewb(100_000_000_100 + i, 7, "2025-07-01 13:00:00");
            barrier.wait().await;
            (
                record.ewb_no,
                store.insert_ewb(&record).await.expect("insert"),
            )
        }));
    }
    let mut attempts = Vec::new();
    for task in tasks {
        attempts.push(task.await.expect("task"));
    }
    let stored = ctx
        .store
        .latest_ewb(&irn(7))
        .await
        .expect("latest")
        .expect("one e-way bill");
    let winners: Vec<u64> = attempts
        .iter()
        .filter(|(_, r)| *r == EwbInsert::Inserted)
        .map(|(no, _)| *no)
        .collect();
    assert_eq!(winners, vec![stored.ewb_no], "exactly one Inserted");
    for (no, outcome) in &attempts {
        if *no != stored.ewb_no {
            assert_eq!(*outcome, EwbInsert::ActiveExists(stored.clone()));
            assert_eq!(ctx.store.ewb(*no).await.expect("get"), None);
        }
    }
}

/// `06` §6.3: once the active e-way bill is cancelled, a new one may be generated, and the
/// latest (by EwbDt, then EwbNo) is the one Get EWB by IRN reports.
pub async fn new_ewb_after_cancel_and_latest(ctx: Ctx) {
    let store = ctx.store;
    registered(&*store, 1).await;
    let first = ewb(100_000_000_005, 1, "2025-07-01 13:00:00");
    store.insert_ewb(&first).await.expect("first");
    let cancellation = ewb_cancellation(2, "2025-07-01 15:00:00");
    let cancelled = store
        .cancel_ewb(first.ewb_no, &cancellation)
        .await
        .expect("cancel")
        .record;
    assert_eq!(
        cancelled,
        EwbRecord {
            status: EwbStatus::Cancelled,
            cancellation: Some(cancellation),
            ..first.clone()
        }
    );
    assert_eq!(
        store.latest_ewb(&first.irn).await.expect("latest"),
        Some(cancelled.clone()),
        "a cancelled e-way bill is still reported"
    );

    // A later e-way bill with a lower number: EwbDt decides.
    let second = ewb(100_000_000_001, 1, "2025-07-01 16:00:00");
    assert_eq!(
        store.insert_ewb(&second).await.expect("second"),
        EwbInsert::Inserted
    );
    assert_eq!(
        store.latest_ewb(&first.irn).await.expect("latest"),
        Some(second.clone())
    );
    assert_eq!(
        store
            .insert_ewb(&ewb(100_000_000_009, 1, "2025-07-01 17:00:00"))
            .await
            .expect("third"),
        EwbInsert::ActiveExists(second.clone())
    );

    // Same EwbDt: the higher number decides.
    store
        .cancel_ewb(second.ewb_no, &ewb_cancellation(1, "2025-07-01 16:30:00"))
        .await
        .expect("cancel second");
    let third = part_a_ewb(100_000_000_002, 1, "2025-07-01 16:00:00");
    assert_eq!(
        store.insert_ewb(&third).await.expect("third"),
        EwbInsert::Inserted
    );
    assert_eq!(
        store.latest_ewb(&first.irn).await.expect("latest"),
        Some(third)
    );
    assert_eq!(
        store.ewb(first.ewb_no).await.expect("first"),
        Some(cancelled),
        "older e-way bills stay as they were"
    );
}

/// A second cancellation changes nothing and writes no audit row; an unknown number is
/// `NotFound`.
pub async fn cancel_ewb_once_then_unchanged(ctx: Ctx) {
    let store = ctx.store.clone();
    registered(&*store, 1).await;
    let record = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    store.insert_ewb(&record).await.expect("insert");
    let before = ctx.audit_count().await;

    let outcome = store
        .cancel_ewb(record.ewb_no, &ewb_cancellation(3, "2025-07-01 15:00:00"))
        .await
        .expect("cancel");
    assert!(outcome.by_this_call);
    let first = outcome.record;
    assert_eq!(first.status, EwbStatus::Cancelled);
    assert_eq!(ctx.audit_count().await, before + 1);

    let mut other = ewb_cancellation(4, "2025-07-01 16:00:00");
    other.remark = None;
    other.by_gstin = "27AAAPI3182M002".into();
    let again = store
        .cancel_ewb(record.ewb_no, &other)
        .await
        .expect("again");
    assert!(!again.by_this_call);
    assert_eq!(again.record, first, "returned unchanged");
    assert_eq!(store.ewb(record.ewb_no).await.expect("get"), Some(first));
    assert_eq!(ctx.audit_count().await, before + 1);

    let unknown = store
        .cancel_ewb(100_000_000_999, &ewb_cancellation(1, "2025-07-01 16:00:00"))
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert_eq!(ctx.audit_count().await, before + 1);
}

/// 20 concurrent cancellations of one e-way bill on two instances, at the same second by the
/// same taxpayer: exactly one is told its update applied, it is the one recorded, and all see
/// its result.
pub async fn concurrent_ewb_cancels_cancel_once(ctx: Ctx) {
    registered(&*ctx.store, 1).await;
    let record = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    ctx.store.insert_ewb(&record).await.expect("insert");
    let before = ctx.audit_count().await;
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for n in 0..20u8 {
        let store = stores[usize::from(n % 2)].clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let cancellation = ewb_cancellation(n % 4 + 1, "2025-07-01 15:00:00");
            barrier.wait().await;
            let outcome = store
                .cancel_ewb(100_000_000_001, &cancellation)
                .await
                .expect("cancel");
            (cancellation, outcome)
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task"));
    }
    let winners: Vec<_> = outcomes.iter().filter(|(_, o)| o.by_this_call).collect();
    assert_eq!(winners.len(), 1, "exactly one cancellation applied");
    let results: Vec<_> = outcomes.iter().map(|(_, o)| o.record.clone()).collect();
    let stored = ctx
        .store
        .ewb(record.ewb_no)
        .await
        .expect("get")
        .expect("record");
    assert_eq!(stored.status, EwbStatus::Cancelled);
    assert!(results.iter().all(|r| *r == stored));
    assert_eq!(stored.cancellation.as_ref(), Some(&winners[0].0));
    assert_eq!(ctx.audit_count().await, before + 1);
}

/// C-07 (`2230`): an IRN with an active e-way bill is not cancelled; once the e-way bill is
/// cancelled, the IRN can be, and then no new e-way bill can hang off it.
pub async fn cancel_invoice_refused_while_ewb_active(ctx: Ctx) {
    let store = ctx.store.clone();
    registered(&*store, 1).await;
    let record = invoice(1, 112_510_000_000_001);
    let bill = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    store.insert_ewb(&bill).await.expect("insert");
    let before = ctx.audit_count().await;

    let refused = store
        .cancel_invoice(&record.irn, &irn_cancellation())
        .await
        .expect("refused");
    assert!(!refused.by_this_call);
    assert_eq!(refused.record, record, "returned unchanged");
    assert_eq!(
        store.invoice(&record.irn).await.expect("get"),
        Some(record.clone())
    );
    assert_eq!(ctx.audit_count().await, before, "nothing recorded");

    store
        .cancel_ewb(bill.ewb_no, &ewb_cancellation(1, "2025-07-01 15:00:00"))
        .await
        .expect("cancel EWB");
    let cancelled = store
        .cancel_invoice(&record.irn, &irn_cancellation())
        .await
        .expect("cancel");
    assert!(cancelled.by_this_call);
    let cancelled = cancelled.record;
    assert_eq!(cancelled.status, InvoiceStatus::Cancelled);
    assert_eq!(cancelled.cancellation, Some(irn_cancellation()));

    let late = store
        .insert_ewb(&ewb(100_000_000_002, 1, "2025-07-01 21:00:00"))
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    assert_eq!(store.ewb(100_000_000_002).await.expect("get"), None);

    // Another IRN with no e-way bill at all cancels as before.
    registered(&*store, 2).await;
    let other = store
        .cancel_invoice(&irn(2), &irn_cancellation())
        .await
        .expect("cancel");
    assert_eq!(other.record.status, InvoiceStatus::Cancelled);
}

/// Cancel IRN racing Generate EWB on two instances: never a cancelled IRN with an active e-way
/// bill, and exactly one of the two takes effect.
pub async fn cancel_invoice_and_ewb_insert_exclude_each_other(ctx: Ctx) {
    let other = ctx.reopen().await;
    for n in 1..=20u64 {
        registered(&*ctx.store, n).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let (cancel_store, ewb_store) = if n % 2 == 0 {
            (ctx.store.clone(), other.clone())
        } else {
            (other.clone(), ctx.store.clone())
        };
        let b = barrier.clone();
        let cancel = tokio::spawn(async move {
            b.wait().await;
            cancel_store
                .cancel_invoice(&irn(n), &irn_cancellation())
                .await
                .expect("cancel")
                .record
        });
        let b = barrier.clone();
        let insert = tokio::spawn(async move {
            b.wait().await;
            ewb_store
                .insert_ewb(&ewb(100_000_000_000 + n, n, "2025-07-01 13:00:00"))
                .await
        });
        let invoice = cancel.await.expect("task");
        let inserted = insert.await.expect("task");
        let stored_ewb = ctx.store.latest_ewb(&irn(n)).await.expect("latest");
        match inserted {
            Ok(EwbInsert::Inserted) => {
                assert_eq!(invoice.status, InvoiceStatus::Active, "round {n}");
                assert_eq!(stored_ewb.map(|e| e.status), Some(EwbStatus::Active));
            }
            Err(StoreError::Conflict(_)) => {
                assert_eq!(invoice.status, InvoiceStatus::Cancelled, "round {n}");
                assert_eq!(stored_ewb, None);
            }
            outcome => panic!("round {n}: {outcome:?}"),
        }
        let stored = ctx
            .store
            .invoice(&irn(n))
            .await
            .expect("get")
            .expect("invoice");
        assert_eq!(stored, invoice, "round {n}");
    }
}

pub async fn ewb_sequences_start_at_one_per_portal(ctx: Ctx) {
    let store = ctx.store;
    assert_eq!(store.reserve_ewb_sequence(1, 1).await.expect("first"), 1);
    assert_eq!(store.reserve_ewb_sequence(1, 100).await.expect("block"), 2);
    assert_eq!(store.reserve_ewb_sequence(2, 1).await.expect("portal 2"), 1);
    assert_eq!(store.reserve_ewb_sequence(1, 1).await.expect("after"), 102);
    assert_eq!(store.reserve_ewb_sequence(2, 5).await.expect("portal 2"), 2);
    // Independent of the AckNo sequences.
    assert_eq!(
        store.reserve_ack_sequence(1, 1, 25, 1).await.expect("ack"),
        1
    );
    assert_eq!(store.reserve_ewb_sequence(2, 1).await.expect("portal 2"), 7);
}

/// The nodes of a portal (several instances) share its sequence: concurrent reservations tile
/// it with no overlap and no gap, and the other portal's sequence is untouched.
pub async fn ewb_sequences_are_disjoint_under_concurrency(ctx: Ctx) {
    let other = ctx.reopen().await;
    let stores = [ctx.store.clone(), other];
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let store = stores[i as usize % 2].clone();
        let portal = if i % 4 == 3 { 2 } else { 1 };
        let count = i % 7 + 1;
        tasks.push(tokio::spawn(async move {
            let first = store
                .reserve_ewb_sequence(portal, count)
                .await
                .expect("reserve");
            (portal, first, u64::from(count))
        }));
    }
    let mut ranges = Vec::new();
    for task in tasks {
        ranges.push(task.await.expect("task"));
    }
    ranges.sort();
    for portal in [1u8, 2] {
        let mut next = 1;
        for (_, first, count) in ranges.iter().filter(|(p, _, _)| *p == portal) {
            assert_eq!(*first, next, "portal {portal}: {ranges:?}");
            next += count;
        }
        assert_eq!(
            ctx.store
                .reserve_ewb_sequence(portal, 1)
                .await
                .expect("after"),
            next
        );
    }
}

/// Insert, cancel and reservation each write one audit row naming the e-way bill (or portal);
/// refused and no-op changes write none.
pub async fn ewb_audit_rows(ctx: Ctx) {
    let store = ctx.store.clone();
    registered(&*store, 1).await;
    let base = ctx.audit_count().await;
    let record = ewb(100_000_000_001, 1, "2025-07-01 13:00:00");
    store.insert_ewb(&record).await.expect("insert");
    store
        .insert_ewb(&ewb(100_000_000_002, 1, "2025-07-01 13:00:00"))
        .await
        .expect("refused");
    store
        .cancel_invoice(&record.irn, &irn_cancellation())
        .await
        .expect("refused cancel");
    store
        .cancel_ewb(record.ewb_no, &ewb_cancellation(2, "2025-07-01 15:00:00"))
        .await
        .expect("cancel");
    store
        .cancel_ewb(record.ewb_no, &ewb_cancellation(2, "2025-07-01 15:00:00"))
        .await
        .expect("cancel again");
    store.reserve_ewb_sequence(2, 10).await.expect("reserve");
    assert_eq!(ctx.audit_count().await, base + 3);

    let entries = ctx.audit_entries().await;
    let ewb_entries: Vec<(&str, &str)> = entries
        .iter()
        .skip(usize::try_from(base).expect("count"))
        .map(|e| (e.event.as_str(), e.subject.as_str()))
        .collect();
    assert_eq!(
        ewb_entries,
        vec![
            ("ewb.insert", "100000000001"),
            ("ewb.cancel", "100000000001"),
            ("ewb.reserve", "2"),
        ]
    );
    let irn = irn(1);
    assert!(
        entries[usize::try_from(base).expect("count")..]
            .iter()
            .take(2)
            .all(|e| e.detail.contains(irn.as_str())),
        "insert and cancel name the IRN"
    );
    assert!(
        entries
            .last()
            .expect("row")
            .detail
            .contains("first=1 count=10")
    );
}
