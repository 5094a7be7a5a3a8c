//! Arithmetic rules A-01 to A-15 (`04` §3.6, §4.2).
//!
//! Expected values are computed from the submitted inputs, rounded to 2 decimals half away from
//! zero, and compared within the configured tolerance, inclusive.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::codes::Code;
use crate::invoice::{Item, Number, value_or_zero};
use crate::validate::{Checker, item_path};

fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn within(given: Decimal, expected: Decimal, tolerance: Decimal) -> bool {
    (given - expected).abs() <= tolerance
}

fn percent(base: Decimal, rate: Decimal) -> Decimal {
    round2(base * rate / Decimal::ONE_HUNDRED)
}

pub(super) fn check(c: &mut Checker<'_>) {
    let tolerance = c.rules.item_tolerance;
    let supply = c.invoice.tran_dtls.sup_typ;
    // A-01 (D-65): skipped for value-only notes; the tolerance grows with the quantity.
    for (index, item) in c.items() {
        let Some(qty) = item
            .qty
            .as_ref()
            .map(Number::value)
            .filter(|q| !q.is_zero())
        else {
            continue;
        };
        let expected = round2(qty * item.unit_price.value());
        let widened = qty * Decimal::new(5, 4) + Decimal::new(5, 3);
        if !within(item.tot_amt.value(), expected, tolerance.max(widened)) {
            c.error(Code::E2192, item_path(index, "TotAmt"), &[&item.hsn_cd]);
        }
    }
    //
    for (index, item) in c.items() {
        let expected = round2(item.tot_amt.value() - value_or_zero(&item.discount));
        if !within(item.ass_amt.value(), expected, tolerance) {
            c.error(
                Code::E2193,
                item_path(index, "AssAmt"),
                &[&item.hsn_cd, &item.sl_no],
            );
        }
    }
    //
    if c.regime.cgst_sgst() {
        for (index, item) in c.items() {
            let half_rate = item.gst_rt.value() / Decimal::TWO;
            let expected = percent(item.ass_amt.value(), half_rate);
            let cgst_ok = within(value_or_zero(&item.cgst_amt), expected, tolerance);
            let sgst_ok = within(value_or_zero(&item.sgst_amt), expected, tolerance);
            if !(cgst_ok && sgst_ok) {
                c.error(Code::E2234, item_path(index, "CgstAmt"), &[&item.hsn_cd]);
            }
        }
    }
    // A-04 (D-44): not for supplies without payment of tax.
    if c.regime.igst && !supply.is_without_payment() {
        for (index, item) in c.items() {
            let expected = percent(item.ass_amt.value(), item.gst_rt.value());
            if !within(value_or_zero(&item.igst_amt), expected, tolerance) {
                c.error(Code::E2235, item_path(index, "IgstAmt"), &[&item.hsn_cd]);
            }
        }
    }
    //
    for (index, item) in c.items() {
        let expected = percent(item.ass_amt.value(), value_or_zero(&item.ces_rt));
        if !within(value_or_zero(&item.ces_amt), expected, tolerance) {
            c.error(Code::E2266, item_path(index, "CesAmt"), &[&item.hsn_cd]);
        }
    }
    //
    for (index, item) in c.items() {
        let expected = percent(item.ass_amt.value(), value_or_zero(&item.state_ces_rt));
        if !within(value_or_zero(&item.state_ces_amt), expected, tolerance) {
            c.error(
                Code::E2267,
                item_path(index, "StateCesAmt"),
                &[&item.hsn_cd],
            );
        }
    }
    // A-07 (D-66): under reverse charge the total may leave the taxes out.
    let reverse_charge = c.invoice.reverse_charge();
    for (index, item) in c.items() {
        let without_tax = round2(item.ass_amt.value() + value_or_zero(&item.oth_chrg));
        let with_tax =
            round2(item.ass_amt.value() + value_or_zero(&item.oth_chrg) + item_taxes(item));
        let given = item.tot_item_val.value();
        let ok = within(given, with_tax, tolerance)
            || (reverse_charge && within(given, without_tax, tolerance));
        if !ok {
            c.error(Code::E2194, item_path(index, "TotItemVal"), &[&item.hsn_cd]);
        }
    }
    invoice_totals(c);
}

fn item_taxes(item: &Item) -> Decimal {
    [
        &item.cgst_amt,
        &item.sgst_amt,
        &item.igst_amt,
        &item.ces_amt,
        &item.ces_non_advl_amt,
        &item.state_ces_amt,
        &item.state_ces_non_advl_amt,
    ]
    .into_iter()
    .map(value_or_zero)
    .sum()
}

///
fn invoice_totals(c: &mut Checker<'_>) {
    let items = &c.invoice.item_list;
    let val = &c.invoice.val_dtls;
    let sum = |field: fn(&Item) -> Decimal| -> Decimal { round2(items.iter().map(field).sum()) };
    let checks: [(Decimal, Decimal, Code, &'static str); 6] = [
        (
            val.ass_val.value(),
            sum(|i| i.ass_amt.value()),
            Code::E2182,
            "ValDtls.AssVal",
        ),
        (
            value_or_zero(&val.sgst_val),
            sum(|i| value_or_zero(&i.sgst_amt)),
            Code::E2183,
            "ValDtls.SgstVal",
        ),
        (
            value_or_zero(&val.cgst_val),
            sum(|i| value_or_zero(&i.cgst_amt)),
            Code::E2184,
            "ValDtls.CgstVal",
        ),
        (
            value_or_zero(&val.igst_val),
            sum(|i| value_or_zero(&i.igst_amt)),
            Code::E2185,
            "ValDtls.IgstVal",
        ),
        (
            value_or_zero(&val.ces_val),
            sum(|i| value_or_zero(&i.ces_amt) + value_or_zero(&i.ces_non_advl_amt)),
            Code::E2186,
            "ValDtls.CesVal",
        ),
        (
            value_or_zero(&val.st_ces_val),
            sum(|i| value_or_zero(&i.state_ces_amt) + value_or_zero(&i.state_ces_non_advl_amt)),
            Code::E2187,
            "ValDtls.StCesVal",
        ),
    ];
    for (given, expected, code, path) in checks {
        if !within(given, expected, c.rules.total_tolerance) {
            c.error(code, path, &[]);
        }
    }
    //
    let expected_total = round2(
        items
            .iter()
            .map(|i| i.tot_item_val.value())
            .sum::<Decimal>()
            + value_or_zero(&val.oth_chrg)
            - value_or_zero(&val.discount)
            + value_or_zero(&val.rnd_off_amt),
    );
    if !within(
        val.tot_inv_val.value(),
        expected_total,
        c.rules.invoice_tolerance,
    ) {
        c.error(Code::E2189, "ValDtls.TotInvVal", &[]);
    }
    // A-15, off by default (D-19): an equality, not an approximation.
    if c.rules.enforce_2264 {
        let item_charges: Decimal = items.iter().map(|i| value_or_zero(&i.oth_chrg)).sum();
        if item_charges != value_or_zero(&val.oth_chrg) {
            c.error(Code::E2264, "ValDtls.OthChrg", &[]);
        }
    }
}
