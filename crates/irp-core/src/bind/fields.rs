//! Binding of single fields: text, numbers, dates and enumerations (`03` §1, `04` §2.1).

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::bind::patterns::{FREE_TEXT, Pattern};
use crate::bind::{Binder, Field, Object};
use crate::codes::Code;
use crate::invoice::Number;
use crate::json::Value;

/// Length, pattern and letter case of a string field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextSpec {
    min: usize,
    max: usize,
    /// `None` means free text: no `"` and no `\` (`03` §1 rule 12).
    pattern: Option<&'static Pattern>,
    upper: bool,
    /// The field's own error code (`04` §2.2); `None` uses `2140` and the templates.
    code: Option<Code>,
}

impl TextSpec {
    pub(crate) const fn free(min: usize, max: usize) -> TextSpec {
        TextSpec {
            min,
            max,
            pattern: None,
            upper: false,
            code: None,
        }
    }

    pub(crate) const fn pattern(min: usize, max: usize, pattern: &'static Pattern) -> TextSpec {
        TextSpec {
            min,
            max,
            pattern: Some(pattern),
            upper: false,
            code: None,
        }
    }

    /// Codes are compared case-insensitively and stored upper-cased (`03` §1 rule 8).
    pub(crate) const fn upper(self) -> TextSpec {
        TextSpec {
            upper: true,
            ..self
        }
    }

    pub(crate) const fn code(self, code: Code) -> TextSpec {
        TextSpec {
            code: Some(code),
            ..self
        }
    }
}

/// Range and precision of a numeric field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NumSpec {
    min: Decimal,
    max: Decimal,
    /// Notional decimal places; more are accepted unless `validation.strict_decimals`.
    decimals: u32,
    integer: bool,
    /// A specific code for values above `max` (`4038` for `Distance`).
    above_max_code: Option<Code>,
}

impl NumSpec {
    pub(crate) const fn decimal(min: Decimal, max: Decimal, decimals: u32) -> NumSpec {
        NumSpec {
            min,
            max,
            decimals,
            integer: false,
            above_max_code: None,
        }
    }

    pub(crate) const fn integer(min: i64, max: i64) -> NumSpec {
        NumSpec {
            min: dec(min, 0),
            max: dec(max, 0),
            decimals: 0,
            integer: true,
            above_max_code: None,
        }
    }

    pub(crate) const fn above_max_code(self, code: Code) -> NumSpec {
        NumSpec {
            above_max_code: Some(code),
            ..self
        }
    }
}

/// `num × 10^-scale` as a constant.
pub(crate) const fn dec(num: i64, scale: u32) -> Decimal {
    let magnitude = num.unsigned_abs();
    Decimal::from_parts(
        magnitude as u32,
        (magnitude >> 32) as u32,
        0,
        num < 0,
        scale,
    )
}

/// The accepted year range of a date field and its specific code, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateSpec {
    pub years: (i32, i32),
    pub code: Option<Code>,
}

/// Item amounts: 0 to 999,999,999,999.99 (`03` §9).
pub(crate) const ITEM_AMOUNT: NumSpec =
    NumSpec::decimal(Decimal::ZERO, dec(99_999_999_999_999, 2), 2);
/// Invoice totals and payment amounts: 0 to 99,999,999,999,999.99 (`03` §10–11).
pub(crate) const TOTAL_AMOUNT: NumSpec =
    NumSpec::decimal(Decimal::ZERO, dec(9_999_999_999_999_999, 2), 2);
/// Quantities: 0 to 9,999,999,999.999.
pub(crate) const QUANTITY: NumSpec = NumSpec::decimal(Decimal::ZERO, dec(9_999_999_999_999, 3), 3);
/// Unit prices: 0 to 999,999,999,999.999.
pub(crate) const UNIT_PRICE: NumSpec =
    NumSpec::decimal(Decimal::ZERO, dec(999_999_999_999_999, 3), 3);
/// Rates in percent: 0 to 999.999.
pub(crate) const RATE: NumSpec = NumSpec::decimal(Decimal::ZERO, dec(999_999, 3), 3);
/// `ValDtls.RndOffAmt`, the only field that may be negative.
pub(crate) const ROUND_OFF: NumSpec = NumSpec::decimal(dec(-9_999, 2), dec(9_999, 2), 2);
/// PIN codes.
pub(crate) const PIN: NumSpec = NumSpec::integer(100_000, 999_999);

impl<'r> Binder<'r> {
    /// Records an invalid text value with the field's code or the given template.
    fn text_error(&mut self, name: &str, spec: &TextSpec, value: &str, template: &str) {
        match spec.code {
            Some(Code::E2200) => self.coded_error(Some(name), Code::E2200, &[value]),
            Some(code) => self.coded_error(Some(name), code, &[]),
            None => self.template_error(Some(name), template),
        }
    }

    /// Binds a string field. A JSON number is accepted as its literal text (`03` §1 rule 7).
    pub(crate) fn text(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &TextSpec,
    ) -> Field<String> {
        let Some(raw) = self.raw(object, name) else {
            return Field::Absent;
        };
        let text: &str = match raw {
            Value::String(text) => text.trim(),
            Value::Number(text) => text,
            _ => {
                self.text_error(name, spec, "", "The field {path} has an invalid value.");
                return Field::Invalid;
            }
        };
        let text = if spec.upper {
            text.to_ascii_uppercase()
        } else {
            text.to_owned()
        };
        if self.check_text(name, &text, spec) {
            Field::Valid(text)
        } else {
            Field::Invalid
        }
    }

    /// Applies length and pattern to an already extracted value.
    pub(crate) fn check_text(&mut self, name: &str, text: &str, spec: &TextSpec) -> bool {
        let length = text.chars().count();
        if length < spec.min || length > spec.max {
            let template = format!(
                "The field {{path}} must be a string with a minimum length of {} and a maximum length of {}.",
                spec.min, spec.max
            );
            self.text_error(name, spec, text, &template);
            return false;
        }
        let pattern = spec.pattern.unwrap_or(&FREE_TEXT);
        if !(pattern.test)(text) {
            let template = format!(
                "The field {{path}} must match the regular expression '{}'.",
                pattern.regex
            );
            self.text_error(name, spec, text, &template);
            return false;
        }
        true
    }

    /// Binds a field whose value is one of a fixed set of codes, compared case-insensitively.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        options: &[(&'static str, T)],
        code: Option<Code>,
    ) -> Field<T> {
        let Some(raw) = self.raw(object, name) else {
            return Field::Absent;
        };
        let text = match raw {
            Value::String(text) => text.trim(),
            Value::Number(text) => text,
            _ => {
                match code {
                    Some(code) => self.coded_error(Some(name), code, &[]),
                    None => self.invalid_value(Some(name)),
                }
                return Field::Invalid;
            }
        };
        if let Some((_, value)) = options
            .iter()
            .find(|(option, _)| option.eq_ignore_ascii_case(text))
        {
            return Field::Valid(*value);
        }
        match code {
            Some(code) => self.coded_error(Some(name), code, &[]),
            None => {
                let values: Vec<&str> = options.iter().map(|(option, _)| *option).collect();
                let template = format!("The field {{path}} must be one of: {}.", values.join(", "));
                self.template_error(Some(name), &template);
            }
        }
        Field::Invalid
    }

    /// Binds a code field whose schema gives a regular expression (`TaxSch`, `SupTyp`,
    /// `TransMode`): length and pattern as for text, then the matching option.
    pub(crate) fn pattern_choice<T: Copy>(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &TextSpec,
        options: &[(&'static str, T)],
    ) -> Field<T> {
        match self.text(object, name, &spec.upper()) {
            Field::Valid(text) => match options.iter().find(|(option, _)| *option == text) {
                Some((_, value)) => Field::Valid(*value),
                None => {
                    self.invalid_value(Some(name));
                    Field::Invalid
                }
            },
            Field::Absent => Field::Absent,
            Field::Invalid => Field::Invalid,
        }
    }

    /// Binds a `Y`/`N` field.
    pub(crate) fn flag(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        code: Option<Code>,
    ) -> Field<bool> {
        self.choice(object, name, &[("Y", true), ("N", false)], code)
    }

    /// Binds a numeric field (`03` §1 rules 6, 10, 11).
    pub(crate) fn number(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &NumSpec,
    ) -> Field<Number> {
        let Some(raw) = self.raw(object, name) else {
            return Field::Absent;
        };
        let text: Cow<'_, str> = match raw {
            Value::Number(text) => Cow::Borrowed(*text),
            Value::String(text) => match json_text_of_numeric_string(text.trim()) {
                Some(text) => text,
                None => {
                    self.invalid_value(Some(name));
                    return Field::Invalid;
                }
            },
            _ => {
                self.invalid_value(Some(name));
                return Field::Invalid;
            }
        };
        let value = match parse_decimal(&text) {
            Some(value) => value,
            None => {
                self.range_error(name, spec);
                return Field::Invalid;
            }
        };
        if spec.integer && !value.fract().is_zero() {
            self.invalid_value(Some(name));
            return Field::Invalid;
        }
        if value < spec.min || value > spec.max {
            match spec.above_max_code {
                Some(code) if value > spec.max => self.coded_error(Some(name), code, &[]),
                _ => self.range_error(name, spec),
            }
            return Field::Invalid;
        }
        if self.rules().strict_decimals && value.normalize().scale() > spec.decimals {
            self.invalid_value(Some(name));
            return Field::Invalid;
        }
        Field::Valid(Number::new(value, text.into_owned()))
    }

    fn range_error(&mut self, name: &str, spec: &NumSpec) {
        let template = format!(
            "The field {{path}} must be between {} and {}.",
            spec.min, spec.max
        );
        self.template_error(Some(name), &template);
    }

    /// Binds a `dd/mm/yyyy` date (`03` §1 rule 13).
    pub(crate) fn date(
        &mut self,
        object: Object<'_, '_>,
        name: &'static str,
        spec: &DateSpec,
    ) -> Field<NaiveDate> {
        let Some(raw) = self.raw(object, name) else {
            return Field::Absent;
        };
        let parsed = match raw {
            Value::String(text) => parse_date(text.trim(), spec.years),
            _ => None,
        };
        match parsed {
            Some(date) => Field::Valid(date),
            None => {
                match spec.code {
                    Some(code) => self.coded_error(Some(name), code, &[]),
                    None => self.invalid_value(Some(name)),
                }
                Field::Invalid
            }
        }
    }
}

/// Parses `dd/mm/yyyy` (zero-padded, four-digit year) into a real date within `years`.
pub fn parse_date(text: &str, years: (i32, i32)) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[2] == b'/'
        && bytes[5] == b'/'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 2 || i == 5 || b.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let day: u32 = text[0..2].parse().ok()?;
    let month: u32 = text[3..5].parse().ok()?;
    let year: i32 = text[6..10].parse().ok()?;
    if year < years.0 || year > years.1 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The JSON number text for a number sent as a string (`"12.50"`), or `None` if the string is
/// not a plain decimal (`03` §1 rule 6). The text is changed only where it would not be valid
/// JSON: leading zeros of the integer part are dropped and a missing integer part becomes `0`
/// (`05` §4.3); a trailing `.` is dropped.
fn json_text_of_numeric_string(text: &str) -> Option<Cow<'_, str>> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !digits_only(integer) || !fraction.is_none_or(digits_only) {
        return None;
    }
    if integer.is_empty() && fraction.is_none_or(str::is_empty) {
        return None;
    }
    let trimmed_integer = integer.trim_start_matches('0');
    let integer_ok = integer == "0" || (!integer.is_empty() && !integer.starts_with('0'));
    let fraction_ok = fraction.is_none_or(|f| !f.is_empty());
    if integer_ok && fraction_ok {
        return Some(Cow::Borrowed(text));
    }
    let mut json = String::with_capacity(text.len() + 1);
    if negative {
        json.push('-');
    }
    json.push_str(if trimmed_integer.is_empty() {
        "0"
    } else {
        trimmed_integer
    });
    if let Some(fraction) = fraction.filter(|f| !f.is_empty()) {
        json.push('.');
        json.push_str(fraction);
    }
    Some(Cow::Owned(json))
}

/// The exact value of a JSON number text; `None` when it does not fit a decimal.
fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings_become_valid_json_numbers() {
        let json = |s| json_text_of_numeric_string(s).map(Cow::into_owned);
        assert_eq!(json("12.50").as_deref(), Some("12.50"));
        assert_eq!(json("007").as_deref(), Some("7"));
        assert_eq!(json(".5").as_deref(), Some("0.5"));
        assert_eq!(json("-.5").as_deref(), Some("-0.5"));
        assert_eq!(json("5.").as_deref(), Some("5"));
        assert_eq!(json("0").as_deref(), Some("0"));
        assert_eq!(json("00.10").as_deref(), Some("0.10"));
        for bad in ["", ".", "-", "1e5", "1,000", "+1", "1.2.3", "abc", " 1"] {
            assert_eq!(json(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_real_and_within_the_years() {
        assert_eq!(
            parse_date("29/02/2024", (2010, 2099)),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_date("31/02/2024", (2010, 2099)), None);
        assert_eq!(parse_date("1/2/2024", (2010, 2099)), None);
        assert_eq!(parse_date("01/01/2009", (2010, 2099)), None);
        assert_eq!(
            parse_date("01/01/2035", (2010, 2099)),
            NaiveDate::from_ymd_opt(2035, 1, 1)
        );
        assert_eq!(parse_date("2024-01-01", (2010, 2099)), None);
    }
}
