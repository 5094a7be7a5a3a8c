//! Hostile input: whatever bytes arrive, parsing and validation return errors, never panic, and
//! never allocate beyond a small multiple of the input.
//!
//! The proptests here are the project's fuzz target (a coverage-free fuzzer). CI runs the default
//! number of cases; a long run sets `IRP_FUZZ_CASES`, for example
//! `IRP_FUZZ_CASES=3000000 cargo test --release -p irp-core --test core fuzz` (docs/TESTING.md).

use irp_core::bind::parse_invoice;
use irp_core::rules::Rules;
use irp_core::validate::{Context, check_business_rules};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::*;

/// Runs stages 1–4 and reports whether the input passed; any panic fails the property.
fn run_pipeline(bytes: &[u8]) -> bool {
    let rules = Rules::default();
    let register = register();
    match parse_invoice(bytes, &rules, &register) {
        Ok(invoice) => {
            let context = Context {
                rules: &rules,
                register: &register,
                today: today(),
            };
            let _ = irp_core::validate::authorise(&invoice, SELLER, None);
            let _ = irp_core::irn::Irn::of(&invoice);
            let _ = irp_core::canonical::invoice_json(&invoice, true);
            check_business_rules(&invoice, &context).is_ok()
        }
        Err(errors) => {
            assert!(!errors.is_empty() && errors.len() <= rules.max_errors);
            false
        }
    }
}

/// Cases per fuzz property: 512 by default, `IRP_FUZZ_CASES` for long runs.
fn fuzz_cases() -> u32 {
    std::env::var("IRP_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

/// Values that break naive binders.
fn nasty_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!("")),
        Just(json!("   ")),
        Just(json!("\"\\")),
        Just(json!("ünïcødé ✓ 𝄞")),
        Just(json!(-0.0)),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!(u64::MAX)),
        Just(json!("99999999999999999999999999999999999999")),
        Just(json!("007")),
        Just(json!(".5")),
        Just(json!("1e5")),
        Just(json!("29")),
        Just(json!("URP")),
        Just(json!("31/02/2024")),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        (1usize..200).prop_map(|depth| (0..depth).fold(json!(1), |inner, _| json!([inner]))),
        (1usize..5000).prop_map(|n| Value::String("x".repeat(n))),
    ]
}

/// Every path (as a list of keys and indices) to a node of `value`.
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(index));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node_mut<'v>(mut value: &'v mut Value, path: &[PathStep]) -> &'v mut Value {
    for step in path {
        value = match step {
            PathStep::Key(key) => &mut value[key.as_str()],
            PathStep::Index(index) => &mut value[*index],
        };
    }
    value
}

fn base_invoices() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(intra_state()),
        Just(inter_state()),
        Just(export()),
        Just(sez_supply())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        run_pipeline(&bytes);
    }

    #[test]
    fn byte_mutations_of_valid_invoices_never_panic(
        base in base_invoices(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = serde_json::to_vec(&base).unwrap();
        for (position, byte, kind) in edits {
            let at = position.index(bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => { bytes.remove(at); }
                _ => {}
            }
        }
        run_pipeline(&bytes);
    }

    #[test]
    fn nasty_values_anywhere_never_panic(
        base in base_invoices(),
        replacements in prop::collection::vec((any::<prop::sample::Index>(), nasty_value()), 1..6),
    ) {
        let mut invoice = base;
        for (position, replacement) in replacements {
            let mut all = Vec::new();
            paths(&invoice, &mut Vec::new(), &mut all);
            let path = &all[position.index(all.len())];
            *node_mut(&mut invoice, path) = replacement;
        }
        run_pipeline(&serde_json::to_vec(&invoice).unwrap());
    }
}

#[test]
fn a_ten_megabyte_string_is_a_length_error() {
    let mut invoice = intra_state();
    invoice["SellerDtls"]["LglNm"] = json!("A".repeat(10 * 1024 * 1024));
    let errors = validate(&invoice).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![("2140", "SellerDtls.LglNm".to_owned())]
    );
}

#[test]
fn very_deep_nesting_is_a_json_error() {
    let deep = format!(
        "{{\"Version\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let errors = parse_invoice(deep.as_bytes(), &Rules::default(), &register()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .message
            .starts_with("Invalid JSON: recursion limit exceeded"),
        "{}",
        errors[0].message
    );
}

#[test]
fn invalid_utf8_is_a_json_error() {
    let errors =
        parse_invoice(b"{\"Version\":\"1.1\xff\"}", &Rules::default(), &register()).unwrap_err();
    assert_eq!(
        errors[0].message,
        "Invalid JSON: invalid UTF-8 at line 1, column 16."
    );
}

#[test]
fn huge_numbers_are_range_errors() {
    let raw = serde_json::to_string(&intra_state())
        .unwrap()
        .replace("\"TotAmt\":1000", "\"TotAmt\":1e400");
    let errors = parse_invoice(raw.as_bytes(), &Rules::default(), &register()).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![("2140", "ItemList[0].TotAmt".to_owned())]
    );
    assert_eq!(
        errors[0].message,
        "The field ItemList[0].TotAmt must be between 0 and 999999999999.99."
    );
}
