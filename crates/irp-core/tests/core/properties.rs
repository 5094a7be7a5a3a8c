//! Property tests: generated valid invoices validate, binding is stable, signatures hold and any
//! tampering breaks them.

use irp_core::bind::parse_invoice;
use irp_core::canonical::invoice_json;
use irp_core::irn::Irn;
use irp_core::jws::Verifier;
use irp_core::rules::Rules;
use irp_core::signed::{SigningOptions, sign};
use proptest::prelude::*;
use rust_decimal::prelude::*;
use serde_json::{Value, json};

use crate::signing::KEY;
use crate::support::*;

fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A decimal as a JSON number. Values stay far below 2^53, so the shortest `f64` text is the
/// decimal's own text.
fn num(value: Decimal) -> Value {
    json!(value.to_f64().unwrap())
}

const RATES: [&str; 13] = [
    "0", "0.1", "0.25", "1", "1.5", "3", "5", "6", "7.5", "12", "18", "28", "40",
];
const GOODS_HSN: [&str; 4] = ["61091000", "391520", "100630", "84713010"];
const SERVICE_HSN: [&str; 3] = ["998311", "998312", "996511"];

#[derive(Debug, Clone)]
struct ItemSeed {
    service: bool,
    hsn: usize,
    qty_thousandths: u32,
    price_cents: u32,
    discount_percent: u8,
    rate: usize,
    cess_percent: u8,
    other_charge_cents: u32,
}

fn item_seed() -> impl Strategy<Value = ItemSeed> {
    (
        any::<bool>(),
        0usize..12,
        1u32..5_000_000,
        0u32..10_000_000,
        0u8..50,
        0usize..RATES.len(),
        0u8..3,
        0u32..10_000,
    )
        .prop_map(
            |(
                service,
                hsn,
                qty_thousandths,
                price_cents,
                discount_percent,
                rate,
                cess_percent,
                other_charge_cents,
            )| ItemSeed {
                service,
                hsn,
                qty_thousandths,
                price_cents,
                discount_percent,
                rate,
                cess_percent,
                other_charge_cents,
            },
        )
}

/// A valid invoice: intra-state (CGST+SGST) or inter-state (IGST), with consistent arithmetic.
fn valid_invoice() -> impl Strategy<Value = Value> {
    (any::<bool>(), prop::collection::vec(item_seed(), 1..12), 0u32..10_000, -99i64..99, any::<bool>()).prop_map(
        |(intra, seeds, invoice_charge_cents, round_off_cents, lowercase_keys)| {
            let mut invoice = if intra { intra_state() } else { inter_state() };
            let mut items = Vec::new();
            let (mut ass_total, mut cgst_total, mut igst_total, mut ces_total, mut item_total) =
                (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            for (index, seed) in seeds.iter().enumerate() {
                let qty = Decimal::new(seed.qty_thousandths.into(), 3);
                let price = Decimal::new(seed.price_cents.into(), 2);
                let gross = round2(qty * price);
                let discount = round2(gross * Decimal::from(seed.discount_percent) / Decimal::ONE_HUNDRED);
                let assessable = gross - discount;
                let rate: Decimal = RATES[seed.rate].parse().unwrap();
                let cess_rate = Decimal::from(seed.cess_percent);
                let cess = round2(assessable * cess_rate / Decimal::ONE_HUNDRED);
                let other = Decimal::new(seed.other_charge_cents.into(), 2);
                let mut item = json!({
                    "SlNo": (index + 1).to_string(), "IsServc": if seed.service { "Y" } else { "N" },
                    "HsnCd": if seed.service { SERVICE_HSN[seed.hsn % 3] } else { GOODS_HSN[seed.hsn % 4] },
                    "Qty": num(qty), "UnitPrice": num(price), "TotAmt": num(gross), "Discount": num(discount),
                    "AssAmt": num(assessable), "GstRt": num(rate), "CesRt": num(cess_rate), "CesAmt": num(cess),
                    "OthChrg": num(other)
                });
                if !seed.service {
                    item["Unit"] = json!("NOS");
                }
                let taxes = if intra {
                    let half = round2(assessable * rate / Decimal::TWO / Decimal::ONE_HUNDRED);
                    item["CgstAmt"] = num(half);
                    item["SgstAmt"] = num(half);
                    cgst_total += half;
                    half * Decimal::TWO
                } else {
                    let igst = round2(assessable * rate / Decimal::ONE_HUNDRED);
                    item["IgstAmt"] = num(igst);
                    igst_total += igst;
                    igst
                };
                let total = assessable + taxes + cess + other;
                item["TotItemVal"] = num(total);
                ass_total += assessable;
                ces_total += cess;
                item_total += total;
                items.push(item);
            }
            let invoice_charge = Decimal::new(invoice_charge_cents.into(), 2);
            let round_off = Decimal::new(round_off_cents, 2);
            let total = (item_total + invoice_charge + round_off).max(Decimal::ZERO);
            invoice["ItemList"] = Value::Array(items);
            invoice["ValDtls"] = json!({
                "AssVal": num(ass_total), "CgstVal": num(cgst_total), "SgstVal": num(cgst_total),
                "IgstVal": num(igst_total), "CesVal": num(ces_total), "OthChrg": num(invoice_charge),
                "RndOffAmt": num(round_off), "TotInvVal": num(total)
            });
            if lowercase_keys { lowercase_all_keys(invoice) } else { invoice }
        },
    )
}

fn lowercase_all_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.to_lowercase(), lowercase_all_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(lowercase_all_keys).collect()),
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_generated_valid_invoice_always_validates(invoice in valid_invoice()) {
        let result = validate(&invoice);
        prop_assert!(result.is_ok(), "{:?}\n{}", result.err(), invoice);
    }

    #[test]
    fn parse_serialise_parse_is_stable(invoice in valid_invoice()) {
        let rules = Rules::default();
        let register = register();
        let first = parse_invoice(&serde_json::to_vec(&invoice).unwrap(), &rules, &register).unwrap();
        let canonical = invoice_json(&first, false);
        let second = parse_invoice(canonical.as_bytes(), &rules, &register).unwrap();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(canonical, invoice_json(&second, false));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sign_then_verify_always_holds_and_any_tampered_byte_fails(
        invoice in valid_invoice(),
        position in any::<prop::sample::Index>(),
        replacement in prop::sample::select(b"ABCabc012-_.=".to_vec()),
    ) {
        let bound = validate(&invoice).unwrap();
        let irn = Irn::of(&bound);
        let ack = irp_core::ack::Ack {
            ack_no: irp_core::ack::AckNo::new(1, 1, today().and_hms_opt(10, 0, 0).unwrap(), 7).unwrap(),
            ack_dt: today().and_hms_opt(10, 0, 0).unwrap(),
        };
        let signed = sign(&KEY, &SigningOptions::default(), &bound, &irn, &ack);
        let verifier = Verifier::new(vec![KEY.certificate().clone()]);
        for token in [&signed.signed_invoice, &signed.signed_qr_code] {
            prop_assert!(verifier.verify(token).is_ok());
            let mut bytes = token.clone().into_bytes();
            let at = position.index(bytes.len());
            prop_assume!(bytes[at] != replacement);
            bytes[at] = replacement;
            let tampered = String::from_utf8(bytes).unwrap();
            prop_assert!(verifier.verify(&tampered).is_err(), "tampered at {} still verifies", at);
        }
    }
}
