//! Item rules I-01 to I-05 (`04` §3.5).

use crate::codes::Code;
use crate::masters;
use crate::validate::{Checker, item_path};

pub(super) fn check(c: &mut Checker<'_>) {
    serial_numbers_are_unique(c);
    hsn_codes_are_valid(c);
    // I-03, I-04: goods need a quantity and a unit.
    for (index, item) in c.items() {
        if !item.is_servc && item.qty.is_none() {
            c.error(Code::E2238, item_path(index, "Qty"), &[&item.hsn_cd]);
        }
    }
    for (index, item) in c.items() {
        if !item.is_servc && item.unit.is_none() {
            c.error(Code::E2239, item_path(index, "Unit"), &[&item.hsn_cd]);
        }
    }
    units_are_known(c);
}

/// I-01, reported once, at the first repeated `SlNo`.
fn serial_numbers_are_unique(c: &mut Checker<'_>) {
    let mut seen = std::collections::HashSet::with_capacity(c.invoice.item_list.len());
    let first_repeat = c
        .items()
        .find(|(_, item)| !seen.insert(item.sl_no.as_str()));
    if let Some((index, _)) = first_repeat {
        c.error(Code::E2233, item_path(index, "SlNo"), &[]);
    }
}

/// I-02: digit minimum by AATO, the HSN master, and `IsServc` ⇔ `99`. One error listing every
/// distinct failing code in order of appearance.
fn hsn_codes_are_valid(c: &mut Checker<'_>) {
    let min_digits = if c.seller_aato_at_least(c.rules.hsn_aato_threshold_inr) {
        c.rules.hsn_min_digits_high
    } else {
        c.rules.hsn_min_digits_low
    };
    let master = c.rules.hsn_master.master();
    let mut failing: Vec<&str> = Vec::new();
    let mut first_index = None;
    for (index, item) in c.items() {
        let code = item.hsn_cd.as_str();
        let is_sac = code.starts_with("99");
        let invalid = code.len() < min_digits
            || master.is_some_and(|master| !master.contains(code))
            || item.is_servc != is_sac;
        if invalid {
            first_index.get_or_insert(index);
            if !failing.contains(&code) {
                failing.push(code);
            }
        }
    }
    if let Some(index) = first_index {
        c.error(
            Code::E2176,
            item_path(index, "HsnCd"),
            &[&failing.join(",")],
        );
    }
}

/// I-05: every unit given is a UQC; one error listing the distinct bad codes.
fn units_are_known(c: &mut Checker<'_>) {
    let mut bad: Vec<&str> = Vec::new();
    let mut first_index = None;
    for (index, item) in c.items() {
        if let Some(unit) = item.unit.as_deref()
            && !masters::is_uqc(unit)
        {
            first_index.get_or_insert(index);
            if !bad.contains(&unit) {
                bad.push(unit);
            }
        }
    }
    if let Some(index) = first_index {
        c.error(Code::E2177, item_path(index, "Unit"), &[&bad.join(",")]);
    }
}
