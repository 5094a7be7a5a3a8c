//! The hot path of one registration without storage: parse and bind a 10-item invoice, apply
//! every business rule, compute the IRN and sign both documents (`cargo bench -p irp-core`).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use irp_core::ack::{Ack, AckNo};
use irp_core::bind::parse_invoice;
use irp_core::irn::Irn;
use irp_core::keys::SigningKey;
use irp_core::register::{MemoryRegister, Taxpayer};
use irp_core::rules::Rules;
use irp_core::signed::{SigningOptions, sign};
use irp_core::validate::{Context, check_business_rules};

/// A 10-item intra-state invoice (CGST + SGST), about 4 KB of JSON.
fn ten_item_invoice() -> String {
    let items: Vec<String> = (1..=10)
        .map(|n| {
            format!(
                r#"{{"SlNo":"{n}","IsServc":"N","PrdDesc":"Cotton T-shirt size {n}","HsnCd":"61091000","Qty":10,"Unit":"NOS","UnitPrice":100.50,"TotAmt":1005,"Discount":5,"AssAmt":1000,"GstRt":5,"CgstAmt":25,"SgstAmt":25,"IgstAmt":0,"TotItemVal":1050}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Version":"1.1","TranDtls":{{"TaxSch":"GST","SupTyp":"B2B","RegRev":"N","IgstOnIntra":"N"}},
"DocDtls":{{"Typ":"INV","No":"BENCH/2025/0001","Dt":"01/07/2025"}},
"SellerDtls":{{"Gstin":"29LARGE1000C1ZK","LglNm":"Large Karnataka Pvt Ltd","TrdNm":"Large KA","Addr1":"1 MG Road","Loc":"Bengaluru","Pin":560001,"Stcd":"29","Ph":"9000000000","Em":"seller@example.com"}},
"BuyerDtls":{{"Gstin":"29AWGPV7107B1Z1","LglNm":"XYZ company pvt ltd","Pos":"29","Addr1":"7th block","Loc":"Bengaluru","Pin":560001,"Stcd":"29"}},
"ItemList":[{}],
"ValDtls":{{"AssVal":10000,"CgstVal":250,"SgstVal":250,"IgstVal":0,"TotInvVal":10500}}}}"#,
        items.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let body = ten_item_invoice();
    let rules = Rules::default();
    let register = MemoryRegister::new()
        .with(Taxpayer::active_regular(
            "29LARGE1000C1ZK",
            Some(1_500_000_000),
        ))
        .with(Taxpayer::active_regular(
            "29AWGPV7107B1Z1",
            Some(40_000_000),
        ));
    let today = NaiveDate::from_ymd_opt(2025, 7, 10).unwrap();
    let now = today.and_hms_opt(10, 0, 0).unwrap();
    let key = SigningKey::generate("IRP-1 bench", now, now + chrono::Duration::days(365)).unwrap();
    let options = SigningOptions::default();
    let context = Context {
        rules: &rules,
        register: &register,
        today,
    };
    let ack = Ack {
        ack_no: AckNo::new(1, 1, now, 1).unwrap(),
        ack_dt: now,
    };

    let invoice = parse_invoice(body.as_bytes(), &rules, &register).unwrap();
    check_business_rules(&invoice, &context).unwrap();

    let mut group = c.benchmark_group("ten_item_invoice");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_and_bind", |b| {
        b.iter(|| parse_invoice(black_box(body.as_bytes()), &rules, &register).unwrap())
    });
    group.bench_function("business_rules", |b| {
        b.iter(|| check_business_rules(black_box(&invoice), &context).unwrap())
    });
    group.bench_function("irn", |b| b.iter(|| Irn::of(black_box(&invoice))));
    group.bench_function("sign_both", |b| {
        b.iter(|| {
            sign(
                &key,
                &options,
                black_box(&invoice),
                &Irn::of(&invoice),
                &ack,
            )
        })
    });
    group.bench_function("full_registration", |b| {
        b.iter(|| {
            let invoice = parse_invoice(black_box(body.as_bytes()), &rules, &register).unwrap();
            check_business_rules(&invoice, &context).unwrap();
            let irn = Irn::of(&invoice);
            sign(&key, &options, &invoice, &irn, &ack)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
