//! Bulk tasks (`09` §2): created whole, claimed by one node at a time, taken over when a lease
//! runs out, results recorded once, and the element marked in the same transaction as the
//! registration or cancellation it caused.

use std::sync::Arc;

use irp_store::{
    BulkElementRef, BulkKind, BulkTask, Cancellation, ElementResult, NewInvoice, Registration,
    Store,
};

use crate::fixtures::{dt, invoice};
use crate::harness::Ctx;

fn task(task_id: &str, submitted: &str, total: u32) -> BulkTask {
    BulkTask {
        task_id: task_id.to_owned(),
        kind: BulkKind::Generate,
        gstin: "29AAAAA0000A1Z5".to_owned(),
        sup_gstin: None,
        client_id: "client".to_owned(),
        user_name: "ApiUser".to_owned(),
        irp_header: Some(2),
        portal: 1,
        total,
        processed: 0,
        succeeded: 0,
        failed: 0,
        submitted_at: dt(submitted),
        completed_at: None,
        expires_at: dt("2025-07-31 10:00:00"),
        lease_owner: None,
        lease_until: None,
    }
}

fn result(index: u32, succeeded: bool) -> ElementResult {
    ElementResult {
        index,
        succeeded,
        result: format!("{{\"Index\":{index}}}"),
        csv: format!("{index},{}", u8::from(succeeded)),
    }
}

async fn create(store: &dyn Store, task: &BulkTask) {
    let elements: Vec<Vec<u8>> = (0..task.total)
        .map(|i| format!("{{\"n\":{i}}}").into_bytes())
        .collect();
    let slices: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
    store.create_bulk_task(task, &slices).await.expect("create");
}

pub async fn bulk_tasks_are_stored_whole_and_read_back(ctx: Ctx) {
    let store = ctx.store;
    let new = task("01AAAAAAAAAAAAAAAAAAAAAAAA", "2025-07-01 10:00:00", 3);
    // The bytes of each element are kept exactly, whatever they hold.
    let elements: [&[u8]; 3] = [
        b"{\"A\": 1.50}",
        b"  [1, 2]",
        "{\"T\":\"\u{20b9}\"}".as_bytes(),
    ];
    store
        .create_bulk_task(&new, &elements)
        .await
        .expect("create");
    assert_eq!(
        store.bulk_task(&new.task_id).await.expect("read"),
        Some(new.clone())
    );
    assert_eq!(
        store
            .bulk_task("01BBBBBBBBBBBBBBBBBBBBBBBB")
            .await
            .expect("read"),
        None
    );
    let pending = store
        .pending_bulk_elements(&new.task_id, 0, 10)
        .await
        .expect("pending");
    let requests: Vec<&[u8]> = pending.iter().map(|p| p.request.as_slice()).collect();
    assert_eq!(requests, elements);
    assert_eq!(
        pending.iter().map(|p| p.index).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(
        store
            .pending_bulk_elements(&new.task_id, 1, 1)
            .await
            .expect("pending")[0]
            .index,
        1
    );
    // A taken id is refused, and nothing of the second task is stored.
    assert!(store.create_bulk_task(&new, &elements[..1]).await.is_err());
    assert_eq!(
        store
            .pending_bulk_elements(&new.task_id, 0, 10)
            .await
            .expect("pending")
            .len(),
        3
    );
}

pub async fn one_node_holds_a_task_until_its_lease_runs_out(ctx: Ctx) {
    let store = ctx.store;
    create(
        &*store,
        &task("01AAAAAAAAAAAAAAAAAAAAAAAA", "2025-07-01 10:00:00", 2),
    )
    .await;
    create(
        &*store,
        &task("01CCCCCCCCCCCCCCCCCCCCCCCC", "2025-07-01 10:05:00", 1),
    )
    .await;
    let now = dt("2025-07-01 10:10:00");
    let until = dt("2025-07-01 10:11:00");
    // The oldest first; a second claimer gets the next one, then none.
    let first = store
        .claim_bulk_task("node-a", now, until)
        .await
        .expect("claim")
        .expect("a task");
    assert_eq!(first.task_id, "01AAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(first.lease_owner.as_deref(), Some("node-a"));
    let second = store
        .claim_bulk_task("node-b", now, until)
        .await
        .expect("claim")
        .expect("a task");
    assert_eq!(second.task_id, "01CCCCCCCCCCCCCCCCCCCCCCCC");
    assert!(
        store
            .claim_bulk_task("node-c", now, until)
            .await
            .expect("claim")
            .is_none()
    );
    // Only the holder records results, and recording renews the lease.
    assert!(
        !store
            .record_bulk_results(&first.task_id, "node-b", &[result(0, true)], now, until)
            .await
            .expect("record")
    );
    let renewed = dt("2025-07-01 10:12:00");
    assert!(
        store
            .record_bulk_results(&first.task_id, "node-a", &[result(0, true)], now, renewed)
            .await
            .expect("record")
    );
    // At 10:11:30 node-b's lease has run out, node-a's renewed one has not.
    let other = store
        .claim_bulk_task(
            "node-c",
            dt("2025-07-01 10:11:30"),
            dt("2025-07-01 10:11:40"),
        )
        .await
        .expect("claim")
        .expect("node-b's task");
    assert_eq!(
        other.task_id, second.task_id,
        "the renewed lease still runs"
    );
    // The lease runs out: another node takes the task over, and the old holder is refused.
    let taken = store
        .claim_bulk_task(
            "node-c",
            dt("2025-07-01 10:12:01"),
            dt("2025-07-01 10:14:00"),
        )
        .await
        .expect("claim")
        .expect("taken over");
    assert_eq!(taken.task_id, first.task_id);
    assert_eq!(taken.processed, 1);
    assert!(
        !store
            .record_bulk_results(&first.task_id, "node-a", &[result(1, false)], now, until)
            .await
            .expect("record")
    );
    let pending = store
        .pending_bulk_elements(&first.task_id, 0, 10)
        .await
        .expect("pending");
    assert_eq!(pending.iter().map(|p| p.index).collect::<Vec<_>>(), [1]);
}

pub async fn results_are_recorded_once_and_complete_the_task(ctx: Ctx) {
    let store = ctx.store;
    let new = task("01AAAAAAAAAAAAAAAAAAAAAAAA", "2025-07-01 10:00:00", 3);
    create(&*store, &new).await;
    let now = dt("2025-07-01 10:10:00");
    let until = dt("2025-07-01 10:11:00");
    store
        .claim_bulk_task("node-a", now, until)
        .await
        .expect("claim")
        .expect("a task");
    store
        .record_bulk_results(
            &new.task_id,
            "node-a",
            &[result(2, false), result(0, true)],
            now,
            until,
        )
        .await
        .expect("record");
    // Recording an element again changes nothing, and counts nothing twice.
    store
        .record_bulk_results(&new.task_id, "node-a", &[result(0, false)], now, until)
        .await
        .expect("record");
    let read = store
        .bulk_task(&new.task_id)
        .await
        .expect("read")
        .expect("task");
    assert_eq!((read.processed, read.succeeded, read.failed), (2, 1, 1));
    assert_eq!(read.completed_at, None);
    let done = dt("2025-07-01 10:10:30");
    store
        .record_bulk_results(&new.task_id, "node-a", &[result(1, true)], done, until)
        .await
        .expect("record");
    let read = store
        .bulk_task(&new.task_id)
        .await
        .expect("read")
        .expect("task");
    assert_eq!((read.processed, read.succeeded, read.failed), (3, 2, 1));
    assert_eq!(read.completed_at, Some(done));
    assert_eq!(read.lease_owner, None);
    // A complete task is claimed by no one; its results come back in order.
    assert!(
        store
            .claim_bulk_task(
                "node-b",
                dt("2025-07-02 10:00:00"),
                dt("2025-07-02 10:01:00")
            )
            .await
            .expect("claim")
            .is_none()
    );
    let results = store
        .bulk_results(&new.task_id, 0, 10)
        .await
        .expect("results");
    assert_eq!(
        results,
        vec![result(0, true), result(1, true), result(2, false)]
    );
    assert_eq!(
        store
            .bulk_results(&new.task_id, 1, 1)
            .await
            .expect("results"),
        vec![result(1, true)]
    );
    assert!(
        store
            .pending_bulk_elements(&new.task_id, 0, 10)
            .await
            .expect("pending")
            .is_empty()
    );
}

pub async fn a_registration_or_cancellation_marks_its_element_in_its_transaction(ctx: Ctx) {
    let store = ctx.store;
    let new = task("01AAAAAAAAAAAAAAAAAAAAAAAA", "2025-07-01 10:00:00", 3);
    create(&*store, &new).await;
    let element = |index| BulkElementRef {
        task_id: new.task_id.clone(),
        index,
    };
    let registered = invoice(1, 112_510_000_000_001);
    let outcomes = store
        .insert_invoices(&[
            NewInvoice {
                record: registered.clone(),
                session_token_hash: None,
                packed_signed_invoice: None,
                bulk_element: Some(element(0)),
            },
            // The same IRN again, for element 1: a duplicate marks nothing.
            NewInvoice {
                record: invoice(1, 112_510_000_000_002),
                session_token_hash: None,
                packed_signed_invoice: None,
                bulk_element: Some(element(1)),
            },
        ])
        .await
        .expect("insert");
    assert_eq!(outcomes[0], Registration::Inserted);
    assert!(matches!(outcomes[1], Registration::Duplicate(_)));
    assert_eq!(
        store
            .bulk_applied_irn(&new.task_id, 0)
            .await
            .expect("read")
            .as_deref(),
        Some(registered.irn.as_str())
    );
    assert_eq!(
        store.bulk_applied_irn(&new.task_id, 1).await.expect("read"),
        None
    );
    let pending = store
        .pending_bulk_elements(&new.task_id, 0, 10)
        .await
        .expect("pending");
    assert_eq!(
        pending[0].applied_irn.as_deref(),
        Some(registered.irn.as_str())
    );
    // A cancellation marks its element; a refused one does not.
    let cancellation = Cancellation {
        at: dt("2025-07-01 12:00:00"),
        reason: 1,
        remark: None,
        by_gstin: "29AAAAA0000A1Z5".to_owned(),
        portal: 1,
    };
    let outcome = store
        .cancel_invoice_for(&registered.irn, &cancellation, Some(&element(2)))
        .await
        .expect("cancel");
    assert!(outcome.by_this_call);
    assert_eq!(
        store
            .bulk_applied_irn(&new.task_id, 2)
            .await
            .expect("read")
            .as_deref(),
        Some(registered.irn.as_str())
    );
    let again = store
        .cancel_invoice_for(&registered.irn, &cancellation, Some(&element(1)))
        .await
        .expect("cancel");
    assert!(!again.by_this_call);
    assert_eq!(
        store.bulk_applied_irn(&new.task_id, 1).await.expect("read"),
        None
    );
}

pub async fn concurrent_claims_take_each_task_once(ctx: Ctx) {
    let store = ctx.store;
    for n in 0..6 {
        create(
            &*store,
            &task(&format!("01{n:024}"), "2025-07-01 10:00:00", 1),
        )
        .await;
    }
    let now = dt("2025-07-01 10:10:00");
    let until = dt("2025-07-01 10:11:00");
    let claims = (0..12).map(|n| {
        let store: Arc<dyn Store> = store.clone();
        tokio::spawn(async move {
            store
                .claim_bulk_task(&format!("node-{n}"), now, until)
                .await
                .expect("claim")
                .map(|task| task.task_id)
        })
    });
    let mut claimed: Vec<String> = Vec::new();
    for claim in claims {
        claimed.extend(claim.await.expect("join"));
    }
    claimed.sort();
    assert_eq!(
        claimed,
        (0..6).map(|n| format!("01{n:024}")).collect::<Vec<_>>()
    );
}

pub async fn expired_tasks_are_purged_with_their_elements(ctx: Ctx) {
    let store = ctx.store;
    let mut old = task("01AAAAAAAAAAAAAAAAAAAAAAAA", "2025-06-01 10:00:00", 2);
    old.expires_at = dt("2025-07-01 10:00:00");
    create(&*store, &old).await;
    create(
        &*store,
        &task("01CCCCCCCCCCCCCCCCCCCCCCCC", "2025-07-01 10:00:00", 1),
    )
    .await;
    assert_eq!(
        store
            .purge_bulk_tasks(dt("2025-07-01 09:59:59"))
            .await
            .expect("purge"),
        0
    );
    assert_eq!(
        store
            .purge_bulk_tasks(dt("2025-07-01 10:00:01"))
            .await
            .expect("purge"),
        1
    );
    assert_eq!(store.bulk_task(&old.task_id).await.expect("read"), None);
    assert!(
        store
            .pending_bulk_elements(&old.task_id, 0, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    assert!(
        store
            .bulk_task("01CCCCCCCCCCCCCCCCCCCCCCCC")
            .await
            .expect("read")
            .is_some()
    );
}
