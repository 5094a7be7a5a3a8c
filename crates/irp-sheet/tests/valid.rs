//! The template's example is a valid invoice for the portal: it binds under INV-01's schema and
//! passes every business rule, with the sandbox seller and buyer registered.

use chrono::NaiveDate;
use irp_core::bind::parse_invoice;
use irp_core::register::{MemoryRegister, Taxpayer};
use irp_core::rules::Rules;
use irp_core::validate::{Context, check_business_rules};
use irp_sheet::{Limits, read_invoices, template};

#[test]
fn the_template_example_passes_the_portals_rules() {
    let limits = Limits {
        max_bytes: 1 << 20,
        max_rows: 10,
    };
    let documents = read_invoices(&template(), &limits).expect("the template reads");
    let register = MemoryRegister::new()
        .with(Taxpayer::active_regular(
            "29LARGE1000C1ZK",
            Some(1_500_000_000),
        ))
        .with(Taxpayer::active_regular(
            "29AWGPV7107B1Z1",
            Some(40_000_000),
        ));
    let rules = Rules::default();
    let invoice = parse_invoice(documents[0].json.as_bytes(), &rules, &register)
        .unwrap_or_else(|errors| panic!("schema errors: {errors:?}"));
    let context = Context {
        rules: &rules,
        register: &register,
        // A few days after the example's document date (01/04/2025).
        today: NaiveDate::from_ymd_opt(2025, 4, 5).expect("a date"),
    };
    check_business_rules(&invoice, &context)
        .unwrap_or_else(|errors| panic!("business rule errors: {errors:?}"));
}
