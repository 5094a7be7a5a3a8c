//! The registry's insert path: one registration per transaction versus group commit
//! (`cargo bench -p irp-store --bench insert`). SQLite with `synchronous=FULL`, on a temporary
//! file, with signed invoices of realistic size and content (the store packs them).

use irp_core::invoice::{DocType, Gstin};
use irp_core::irn::Irn;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use irp_store::{InvoiceRecord, InvoiceStatus, NewInvoice};

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A registration of realistic size (a 25-item signed invoice and its QR token).
fn record() -> InvoiceRecord {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let ack_dt = NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    InvoiceRecord {
        irn: Irn::parse(&format!("{n:064x}")).unwrap(),
        seller_gstin: Gstin::parse("29LARGE1000C1ZK").unwrap(),
        ecm_gstin: None,
        doc_type: DocType::Invoice,
        doc_no: format!("B/{n}"),
        doc_date: ack_dt.date(),
        ack_no: 112_510_000_000_000 + n,
        ack_dt,
        status: InvoiceStatus::Active,
        portal: 1,
        generated_by: "29LARGE1000C1ZK".to_owned(),
        buyer_gstin: Some("URP".to_owned()),
        signed_invoice: signed_invoice(n),
        signed_qr_code: "y".repeat(1_100),
        cancellation: None,
    }
}

/// A compact JWS shaped like a real 25-item `SignedInvoice` (about 12 KB; the store packs it).
fn signed_invoice(n: u64) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let items: Vec<String> = (1..=25u64)
        .map(|i| {
            format!(
                r#"{{"ItemNo":0,"SlNo":"{i}","PrdDesc":"Article {i} of lot {n}","IsServc":"N","HsnCd":"8471{i:02}","Qty":{},"FreeQty":0,"Unit":"NOS","UnitPrice":{}.75,"TotAmt":{}.00,"Discount":0,"PreTaxVal":0,"AssAmt":{}.00,"GstRt":18,"IgstAmt":0,"CgstAmt":{}.50,"SgstAmt":{}.50,"CesRt":0,"CesAmt":0,"CesNonAdvlAmt":0,"StateCesRt":0,"StateCesAmt":0,"StateCesNonAdvlAmt":0,"OthChrg":0,"TotItemVal":{}.00}}"#,
                i * 3 + n % 5,
                i * 131 + n % 97,
                i * 393,
                i * 393,
                i * 35,
                i * 35,
                i * 464
            )
        })
        .collect();
    let payload = format!(
        r#"{{"AckNo":{},"AckDt":"2025-07-01 10:00:00","Irn":"{n:064x}","Version":"1.1","TranDtls":{{"TaxSch":"GST","SupTyp":"B2B","RegRev":"N","IgstOnIntra":"N"}},"DocDtls":{{"Typ":"INV","No":"B/{n}","Dt":"01/07/2025"}},"SellerDtls":{{"Gstin":"29LARGE1000C1ZK","LglNm":"Large Traders Private Limited","Addr1":"12 Industrial Area","Loc":"Bengaluru","Pin":560001,"Stcd":"29"}},"BuyerDtls":{{"Gstin":"29AWGPV7107B1Z1","LglNm":"Buyer Enterprises","Pos":"29","Addr1":"4 Market Road","Loc":"Mysuru","Pin":570001,"Stcd":"29"}},"ItemList":[{}],"ValDtls":{{"AssVal":127725.00,"CgstVal":11375.50,"SgstVal":11375.50,"TotInvVal":150800.00}}}}"#,
        112_510_000_000_000 + n,
        items.join(",")
    );
    format!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IjBBMUIyQzNENEU1RjZBN0I4QzlEMEUxRjJBM0I0QzVENkU3RjhBOUIiLCJ0eXAiOiJKV1QifQ.{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode([(n % 251) as u8; 256])
    )
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
                    packed_signed_invoice: None,
                    bulk_element: None,
                })
                .collect();
            runtime.block_on(store.insert_invoices(&batch)).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
