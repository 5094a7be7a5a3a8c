//! The PDF print of a 50-item invoice (`cargo bench -p irp-server --bench print_pdf`): binding
//! the stored signed data back, the QR symbol, layout over two pages, font subsets and
//! compression. Issue 16 asks for under 20 ms; figures in docs/PERFORMANCE.md.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use irp_core::ack::{Ack, AckNo};
use irp_core::bind::parse_invoice;
use irp_core::irn::Irn;
use irp_core::keys::SigningKey;
use irp_core::qr::QrEcc;
use irp_core::register::MemoryRegister;
use irp_core::rules::Rules;
use irp_core::signed::{SigningOptions, sign};
use irp_server::api::print::render_pdf;
use irp_store::{InvoiceRecord, InvoiceStatus};

fn bench(c: &mut Criterion) {
    let date = NaiveDate::from_ymd_opt(2025, 7, 10).unwrap();
    let now = date.and_hms_opt(10, 0, 0).unwrap();
    let body = irp_testkit::fixtures::invoice_with_items("BENCH/50", date, 50);
    let invoice = parse_invoice(&body, &Rules::default(), &MemoryRegister::new()).unwrap();
    let irn = Irn::of(&invoice);
    let key = SigningKey::generate("IRP-1 bench", now, now + chrono::Duration::days(365)).unwrap();
    let ack = Ack {
        ack_no: AckNo::new(1, 1, now, 1).unwrap(),
        ack_dt: now,
    };
    let signed = sign(&key, &SigningOptions::default(), &invoice, &irn, &ack);
    let record = InvoiceRecord {
        irn: irn.clone(),
        seller_gstin: invoice.seller_dtls.gstin.clone(),
        ecm_gstin: None,
        doc_type: invoice.doc_dtls.typ,
        doc_no: invoice.doc_dtls.no.clone(),
        doc_date: invoice.doc_dtls.dt,
        ack_no: ack.ack_no.get(),
        ack_dt: now,
        status: InvoiceStatus::Active,
        portal: 1,
        generated_by: invoice.seller_dtls.gstin.as_str().to_owned(),
        buyer_gstin: Some(invoice.buyer_dtls.gstin.as_str().to_owned()),
        signed_invoice: signed.signed_invoice.clone(),
        signed_qr_code: signed.signed_qr_code.clone(),
        cancellation: None,
    };
    let data = irp_core::jws::unverified_data(&record.signed_invoice).unwrap();
    let pdf = render_pdf(
        &record,
        &data,
        "IRP-1",
        "2025-07-10 10:00:00".into(),
        QrEcc::M,
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    c.bench_function("pdf_of_a_50_item_invoice", |b| {
        b.iter(|| {
            render_pdf(
                black_box(&record),
                black_box(&data),
                "IRP-1",
                "2025-07-10 10:00:00".into(),
                QrEcc::M,
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
