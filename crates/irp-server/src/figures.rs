//! Numbers as a person reads them on an Indian invoice (issue 21): amounts with two decimals and
//! Indian digit grouping (`12,34,567.89`), unit prices to the precision sent, quantities without
//! trailing zeros, rates as `18%`. Used by the print (HTML and PDF) and every web page; the signed
//! JSON keeps exactly what was sent.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An amount as printed: rounded to the paisa (half away from zero), grouped in thousands then
/// hundreds (`1,23,456.78`). Text that is not a number is returned as it is.
pub fn amount(text: &str) -> String {
    match number(text) {
        Some(value) => money(value),
        None => text.to_owned(),
    }
}

/// A decimal amount as printed, as [`amount`] prints it.
pub fn money(value: Decimal) -> String {
    grouped(
        value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        2,
    )
}

/// An amount that may be absent (an empty cell), as [`amount`] prints it.
pub fn optional_amount(text: &str) -> String {
    if text.trim().is_empty() {
        String::new()
    } else {
        amount(text)
    }
}

/// A unit price as printed: grouped, at least two decimals and every significant decimal the
/// ERP sent (`UnitPrice` carries three), so that `10.125` is not shown as `10.13`.
pub fn price(text: &str) -> String {
    match number(text) {
        Some(value) => grouped(value, value.normalize().scale().max(2)),
        None => text.to_owned(),
    }
}

/// A quantity as printed: grouped, with the decimals it has and no trailing zeros
/// (`1,000`, `2.5`, `0.125`).
pub fn quantity(text: &str) -> String {
    match number(text) {
        Some(value) => grouped(value, value.normalize().scale()),
        None => text.to_owned(),
    }
}

/// A tax rate as printed: `18%`, `0.25%`.
pub fn rate(text: &str) -> String {
    match number(text) {
        Some(value) => format!("{}%", value.normalize()),
        None => text.to_owned(),
    }
}

fn number(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok()
}

/// `value` with `decimals` decimals (it has no more than that many significant ones), its whole
/// part grouped the Indian way: the last three digits, then every two.
fn grouped(value: Decimal, decimals: u32) -> String {
    let text = format!("{:.*}", decimals as usize, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = whole.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    if value.is_sign_negative() && !value.is_zero() {
        out.push('-');
    }
    let head = digits.len().saturating_sub(3);
    for (index, digit) in digits[..head].iter().enumerate() {
        if index > 0 && (head - index) % 2 == 0 {
            out.push(',');
        }
        out.push(char::from(*digit));
    }
    if head > 0 {
        out.push(',');
    }
    out.push_str(&whole[head..]);
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_two_decimals_and_indian_grouping() {
        for (sent, printed) in [
            ("0", "0.00"),
            ("0.5", "0.50"),
            ("8106.0", "8,106.00"),
            ("26291.52", "26,291.52"),
            ("100", "100.00"),
            ("1000", "1,000.00"),
            ("100000", "1,00,000.00"),
            ("123456.78", "1,23,456.78"),
            ("1234567.891", "12,34,567.89"),
            ("99999999999.995", "1,00,00,00,00,000.00"),
            ("-1234.5", "-1,234.50"),
            ("-1234567.891", "-12,34,567.89"),
            ("-0.001", "0.00"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("12.", "12.00"),
            (" 7 ", "7.00"),
            ("abc", "abc"),
        ] {
            assert_eq!(amount(sent), printed, "{sent}");
        }
    }

    #[test]
    fn an_absent_amount_is_an_empty_cell() {
        assert_eq!(optional_amount(""), "");
        assert_eq!(optional_amount("  "), "");
        assert_eq!(optional_amount("0"), "0.00");
    }

    #[test]
    fn prices_keep_the_decimals_sent_beyond_the_paisa() {
        assert_eq!(price("10.125"), "10.125");
        assert_eq!(price("10.1"), "10.10");
        assert_eq!(price("10.120"), "10.12");
        assert_eq!(price("1234567"), "12,34,567.00");
        assert_eq!(price("-5.5"), "-5.50");
        assert_eq!(price("n/a"), "n/a");
    }

    #[test]
    fn quantities_have_their_own_precision() {
        assert_eq!(quantity("10"), "10");
        assert_eq!(quantity("10.000"), "10");
        assert_eq!(quantity("2.5"), "2.5");
        assert_eq!(quantity("0.125"), "0.125");
        assert_eq!(quantity("123456"), "1,23,456");
        assert_eq!(quantity("0"), "0");
        assert_eq!(quantity(""), "");
    }

    #[test]
    fn rates_are_percentages_without_trailing_zeros() {
        assert_eq!(rate("18"), "18%");
        assert_eq!(rate("18.00"), "18%");
        assert_eq!(rate("0.25"), "0.25%");
        assert_eq!(rate("0"), "0%");
        assert_eq!(rate("x"), "x");
    }
}
