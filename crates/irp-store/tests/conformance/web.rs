//! What the web mode asks of the registry: sessions that slide and end on demand, a taxpayer's
//! documents page by page, and the dashboard's counts.

use irp_core::invoice::DocType;
use irp_store::{
    ActivityCounts, Cancellation, InvoiceSearch, InvoiceStatus, InvoiceSummary, Registration,
    SessionKey,
};

use crate::fixtures::{BUYER, GSTIN, account, date, dt, ewb, gstin, invoice, irn, session};
use crate::harness::Ctx;

/// The reserved client web sessions are keyed by, created by the migration.
const WEB_CLIENT: &str = "@web";

pub async fn web_sessions_slide_and_end(ctx: Ctx) {
    let store = ctx.store;
    account(&*store).await;
    let client = store
        .client(WEB_CLIENT)
        .await
        .expect("client")
        .expect("the migration creates the web client");
    assert!(!client.active, "no API call may log in through it");

    let key = SessionKey::new(WEB_CLIENT, "ApiUser", GSTIN);
    let web = session(&key, "w1", "2025-07-01 10:00:00", 30);
    store.start_session(&web).await.expect("start");

    // Live at 10:20: the expiry moves to 10:50.
    assert!(
        store
            .extend_session(
                &web.token_hash,
                dt("2025-07-01 10:20:00"),
                dt("2025-07-01 10:50:00")
            )
            .await
            .expect("extend")
    );
    let stored = store
        .session_by_token(&web.token_hash)
        .await
        .expect("read")
        .expect("live");
    assert_eq!(stored.expires_at, dt("2025-07-01 10:50:00"));
    // Expired at 10:50: never revived.
    assert!(
        !store
            .extend_session(
                &web.token_hash,
                dt("2025-07-01 10:50:00"),
                dt("2025-07-01 11:20:00")
            )
            .await
            .expect("extend")
    );
    assert_eq!(
        store
            .session_by_token(&web.token_hash)
            .await
            .expect("read")
            .map(|s| s.expires_at),
        Some(dt("2025-07-01 10:50:00"))
    );

    // The API session of the same user is another key and outlives the web one's end.
    let api = session(
        &SessionKey::new("C1", "ApiUser", GSTIN),
        "a1",
        "2025-07-01 10:00:00",
        360,
    );
    store.start_session(&api).await.expect("api");
    assert!(store.end_session(&web.token_hash).await.expect("end"));
    assert_eq!(
        store.session_by_token(&web.token_hash).await.expect("read"),
        None
    );
    assert!(
        !store.end_session(&web.token_hash).await.expect("again"),
        "a session ends once"
    );
    assert!(
        store
            .session_by_token(&api.token_hash)
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        !store
            .extend_session(
                &web.token_hash,
                dt("2025-07-01 10:21:00"),
                dt("2025-07-01 10:51:00")
            )
            .await
            .expect("extend"),
        "an ended session is not extended"
    );
}

fn summary(record: &irp_store::InvoiceRecord) -> InvoiceSummary {
    InvoiceSummary {
        irn: record.irn.clone(),
        seller_gstin: record.seller_gstin.as_str().to_owned(),
        buyer_gstin: record.buyer_gstin.clone(),
        doc_type: record.doc_type,
        doc_no: record.doc_no.clone(),
        doc_date: record.doc_date,
        ack_no: record.ack_no,
        ack_dt: record.ack_dt,
        status: record.status,
        portal: record.portal,
    }
}

fn search() -> InvoiceSearch {
    InvoiceSearch {
        party: GSTIN.to_owned(),
        limit: 50,
        ..InvoiceSearch::default()
    }
}

const OTHER: &str = "27AAAPI3182M002";

pub async fn search_lists_a_partys_documents_newest_first(ctx: Ctx) {
    let store = ctx.store;
    // 1–3 supplied by GSTIN on three days; 4 a credit note to another buyer; 5 supplied by
    // OTHER through GSTIN as e-commerce operator; 6 OTHER's own; 7 rejected (imported).
    let mut records = Vec::new();
    for n in 1..=7u64 {
        let mut record = invoice(n, 112_510_000_000_000 + n);
        record.ack_dt = dt(&format!("2025-07-0{n} 12:00:00"));
        record.doc_date = date(&format!("2025-07-0{n}"));
        records.push(record);
    }
    records[3].doc_type = DocType::CreditNote;
    records[3].buyer_gstin = Some("URP".to_owned());
    records[4].seller_gstin = gstin(OTHER);
    records[4].ecm_gstin = Some(gstin(GSTIN));
    records[5].seller_gstin = gstin(OTHER);
    records[6].status = InvoiceStatus::Rejected;
    for record in &records {
        assert_eq!(
            store.insert_invoice(record).await.expect("insert"),
            Registration::Inserted
        );
    }
    let cancellation = Cancellation {
        at: dt("2025-07-02 13:00:00"),
        reason: 2,
        remark: None,
        by_gstin: GSTIN.to_owned(),
        portal: 2,
    };
    store
        .cancel_invoice(&records[1].irn, &cancellation)
        .await
        .expect("cancel");
    let mut cancelled = summary(&records[1]);
    cancelled.status = InvoiceStatus::Cancelled;
    let expect = |indices: &[usize]| -> Vec<InvoiceSummary> {
        indices
            .iter()
            .map(|i| {
                if *i == 1 {
                    cancelled.clone()
                } else {
                    summary(&records[*i])
                }
            })
            .collect()
    };

    let found = |search: InvoiceSearch| {
        let store = store.clone();
        async move { store.search_invoices(&search).await.expect("search") }
    };
    assert_eq!(found(search()).await, expect(&[4, 3, 2, 1, 0]));
    assert_eq!(
        found(InvoiceSearch {
            doc_no: Some("DOC/3".to_owned()),
            ..search()
        })
        .await,
        expect(&[2])
    );
    assert_eq!(
        found(InvoiceSearch {
            irn: Some(irn(5)),
            ..search()
        })
        .await,
        expect(&[4]),
        "an operator finds what it filed"
    );
    assert_eq!(
        found(InvoiceSearch {
            irn: Some(irn(6)),
            ..search()
        })
        .await,
        expect(&[]),
        "another taxpayer's document is never found"
    );
    assert_eq!(
        found(InvoiceSearch {
            buyer_gstin: Some(BUYER.to_owned()),
            ..search()
        })
        .await,
        expect(&[4, 2, 1, 0])
    );
    assert_eq!(
        found(InvoiceSearch {
            doc_date_from: Some(date("2025-07-02")),
            doc_date_to: Some(date("2025-07-04")),
            ..search()
        })
        .await,
        expect(&[3, 2, 1]),
        "both ends of the range are included"
    );
    assert_eq!(
        found(InvoiceSearch {
            doc_type: Some(DocType::CreditNote),
            ..search()
        })
        .await,
        expect(&[3])
    );
    assert_eq!(
        found(InvoiceSearch {
            status: Some(InvoiceStatus::Cancelled),
            ..search()
        })
        .await,
        expect(&[1])
    );
    assert_eq!(
        found(InvoiceSearch {
            status: Some(InvoiceStatus::Rejected),
            ..search()
        })
        .await,
        expect(&[]),
        "rejected records are never listed"
    );
    // Pages of two: every document once, in order.
    let page = |offset| InvoiceSearch {
        offset,
        limit: 2,
        ..search()
    };
    assert_eq!(found(page(0)).await, expect(&[4, 3]));
    assert_eq!(found(page(2)).await, expect(&[2, 1]));
    assert_eq!(found(page(4)).await, expect(&[0]));
    assert_eq!(found(page(6)).await, expect(&[]));
    assert_eq!(
        found(InvoiceSearch {
            party: OTHER.to_owned(),
            ..search()
        })
        .await,
        expect(&[5, 4]),
        "the supplier sees what an operator filed for it"
    );
}

pub async fn activity_counts_registrations_cancellations_and_ewbs(ctx: Ctx) {
    let store = ctx.store;
    let mut records = Vec::new();
    for n in 1..=4u64 {
        let mut record = invoice(n, 112_510_000_000_000 + n);
        record.ack_dt = dt(&format!("2025-07-0{n} 12:00:00"));
        records.push(record);
    }
    // 4 is OTHER's, filed by GSTIN as operator.
    records[3].seller_gstin = gstin(OTHER);
    records[3].ecm_gstin = Some(gstin(GSTIN));
    for record in &records {
        store.insert_invoice(record).await.expect("insert");
    }
    let cancel_at = |at: &str| Cancellation {
        at: dt(at),
        reason: 1,
        remark: None,
        by_gstin: GSTIN.to_owned(),
        portal: 1,
    };
    store
        .cancel_invoice(&records[0].irn, &cancel_at("2025-07-01 13:00:00"))
        .await
        .expect("cancel 1");
    store
        .cancel_invoice(&records[2].irn, &cancel_at("2025-07-03 13:00:00"))
        .await
        .expect("cancel 3");
    store
        .insert_ewb(&ewb(100_000_000_001, 2, "2025-07-02 14:00:00"))
        .await
        .expect("ewb 2");
    store
        .insert_ewb(&ewb(100_000_000_002, 4, "2025-07-04 14:00:00"))
        .await
        .expect("ewb 4");

    let since = |at: &str| {
        let store = store.clone();
        let at = dt(at);
        async move { store.activity_since(GSTIN, at).await.expect("activity") }
    };
    assert_eq!(
        since("2025-07-01 00:00:00").await,
        ActivityCounts {
            generated: 4,
            cancelled: 2,
            ewbs: 2
        }
    );
    assert_eq!(
        since("2025-07-03 12:00:00").await,
        ActivityCounts {
            generated: 2,
            cancelled: 1,
            ewbs: 1
        },
        "from the very moment on"
    );
    assert_eq!(
        since("2025-07-05 00:00:00").await,
        ActivityCounts::default()
    );
    assert_eq!(
        store
            .activity_since(OTHER, dt("2025-07-01 00:00:00"))
            .await
            .expect("other"),
        ActivityCounts {
            generated: 1,
            cancelled: 0,
            ewbs: 1
        }
    );
}
