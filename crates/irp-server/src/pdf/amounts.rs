//! Numbers as a person reads them on an Indian invoice: amounts with two decimals and Indian
//! digit grouping (`12,34,567.89`). Only for printing; the signed JSON keeps what was sent.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An amount as printed: rounded to the paisa (half away from zero), grouped in thousands then
/// hundreds (`1,23,456.78`). Text that is not a number is returned as it is.
pub fn amount(text: &str) -> String {
    match Decimal::from_str(text.trim()) {
        Ok(value) => group(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)),
        Err(_) => text.to_owned(),
    }
}

fn group(value: Decimal) -> String {
    let text = format!("{:.2}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let digits = whole.as_bytes();
    let mut grouped = String::with_capacity(text.len() + 8);
    // The last three digits form one group; every two digits before them another.
    let head = digits.len().saturating_sub(3);
    for (index, digit) in digits[..head].iter().enumerate() {
        if index > 0 && (head - index) % 2 == 0 {
            grouped.push(',');
        }
        grouped.push(char::from(*digit));
    }
    if head > 0 {
        grouped.push(',');
    }
    grouped.push_str(&whole[head..]);
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{grouped}.{fraction}")
}

/// A tax rate as printed: `18%`, `0.25%`.
pub fn rate(text: &str) -> String {
    match Decimal::from_str(text.trim()) {
        Ok(value) => format!("{}%", value.normalize()),
        Err(_) => text.to_owned(),
    }
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
            ("-0.001", "0.00"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("12.", "12.00"),
            ("abc", "abc"),
        ] {
            assert_eq!(amount(sent), printed, "{sent}");
        }
    }

    #[test]
    fn rates_are_percentages_without_trailing_zeros() {
        assert_eq!(rate("18"), "18%");
        assert_eq!(rate("18.00"), "18%");
        assert_eq!(rate("0.25"), "0.25%");
        assert_eq!(rate("0"), "0%");
    }
}
