//! The registry's insert path: one registration per transaction versus group commit
//! (`cargo bench -p irp-store --bench insert`). SQLite with `synchronous=FULL`, on a temporary file.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use irp_store::{InvoiceRecord, InvoiceStatus, NewInvoice};

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A registration of realistic size (a 10-item signed invoice and its QR token).
fn record() -> InvoiceRecord {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let ack_dt = NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    InvoiceRecord {
        irn: format!("{n:064x}"),
        seller_gstin: "29LARGE1000C1ZK".to_owned(),
        ecm_gstin: None,
        doc_type: "INV".to_owned(),
        doc_no: format!("B/{n}"),
        doc_date: ack_dt.date(),
        ack_no: 112_510_000_000_000 + n,
        ack_dt,
        status: InvoiceStatus::Active,
        portal: 1,
        generated_by: "29LARGE1000C1ZK".to_owned(),
        signed_invoice: "x".repeat(6_200),
        signed_qr_code: "y".repeat(1_100),
        cancellation: None,
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = runtime.block_on(irp_store::open(&url)).unwrap();

    let mut group = c.benchmark_group("sqlite_insert");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_per_transaction", |b| {
        b.iter(|| runtime.block_on(store.insert_invoice(&record())).unwrap());
    });
    group.throughput(Throughput::Elements(64));
    group.bench_function("group_commit_64", |b| {
        b.iter(|| {
            let batch: Vec<NewInvoice> = (0..64)
                .map(|_| NewInvoice {
                    record: record(),
                    session_token_hash: None,
                })
                .collect();
            runtime.block_on(store.insert_invoices(&batch)).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
