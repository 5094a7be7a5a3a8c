//! Master data (`08`): states, UQC, GST rates, HSN/SAC, PIN codes, countries, currencies and the
//! error-code catalogue.
//!
//! The tables are embedded at build time (`include_str!` of `crates/irp-core/data/`, produced by
//! `scripts/gen-masters.py`) so the core needs no I/O, and each is parsed once, on first use
//! (`LazyLock`). They are trusted build inputs: a malformed file panics with a message naming it,
//! and the unit tests load every table so such a file never ships. Lookups used per invoice item
//! or address (HSN, PIN, UQC) do not allocate.

pub(crate) mod csv;
mod hsn;
mod pin;

use std::str::FromStr;
use std::sync::LazyLock;

use rust_decimal::Decimal;

pub use hsn::HsnMaster;
pub use pin::{GeoPoint, great_circle_km, pin_centroid, pin_matches_state, pin_states};

/// `states.csv`, indexed by numeric code (`"7"` = `"07"`, `08` §1).
static STATES: LazyLock<Vec<Option<String>>> = LazyLock::new(|| {
    let name = "states.csv";
    let mut by_code = vec![None; 100];
    for row in csv::table(
        name,
        include_str!("../../data/states.csv"),
        &["code", "name"],
    ) {
        let code: usize = row[0]
            .parse()
            .ok()
            .filter(|&c| (1..100).contains(&c))
            .unwrap_or_else(|| panic!("embedded master {name}: bad code {:?}", row[0]));
        let [_, state] = <[String; 2]>::try_from(row).expect("two fields");
        assert!(
            by_code[code].replace(state).is_none(),
            "embedded master {name}: duplicate code {code}"
        );
    }
    by_code
});

/// `uqc.csv` codes, sorted for binary search.
static UQC: LazyLock<Vec<String>> = LazyLock::new(|| {
    let rows = csv::table(
        "uqc.csv",
        include_str!("../../data/uqc.csv"),
        &["code", "description"],
    );
    sorted_unique("uqc.csv", rows.into_iter().map(|r| r[0].clone()).collect())
});

/// `gst-rates.csv`, in file order.
static GST_RATES: LazyLock<Vec<Decimal>> = LazyLock::new(|| {
    csv::table(
        "gst-rates.csv",
        include_str!("../../data/gst-rates.csv"),
        &["rate", "note"],
    )
    .iter()
    .map(|r| {
        Decimal::from_str(&r[0])
            .unwrap_or_else(|_| panic!("embedded master gst-rates.csv: bad rate {:?}", r[0]))
    })
    .collect()
});

/// ISO 3166-1 alpha-2 codes (`countries.txt`, from `pycountry`).
static COUNTRIES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| code_list("countries.txt", include_str!("../../data/countries.txt"), 2));

/// Current ISO 4217 alphabetic codes (`currencies.txt`, from `pycountry`).
static CURRENCIES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    code_list(
        "currencies.txt",
        include_str!("../../data/currencies.txt"),
        3,
    )
});

fn sorted_unique(name: &str, mut codes: Vec<String>) -> Vec<String> {
    codes.sort_unstable();
    let n = codes.len();
    codes.dedup();
    assert!(codes.len() == n, "embedded master {name}: duplicate codes");
    codes
}

/// One code per line, `len` upper-case ASCII letters each, returned sorted.
fn code_list(name: &str, text: &'static str, len: usize) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = text.lines().filter(|l| !l.is_empty()).collect();
    for code in &codes {
        assert!(
            code.len() == len && code.bytes().all(|b| b.is_ascii_uppercase()),
            "embedded master {name}: bad code {code:?}"
        );
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The name of a state code from `states.csv`, every row included: `01`–`38` (legacy `25` and
/// `28` too), `96` Other Country, `97` Other Territory and `99` Centre Jurisdiction. Codes are
/// numeric, so `"7"` and `"07"` both come as `7`.
pub fn state_name(code: u8) -> Option<&'static str> {
    let states: &'static Vec<Option<String>> = &STATES;
    states.get(usize::from(code))?.as_deref()
}

/// Whether `code` is in "the state master" of `04` §2.2: valid for `Stcd` and `Pos`. That is every
/// `states.csv` code except `99` (Centre Jurisdiction, `08` §1); `96`/`97` are included, and the
/// business rules decide where they are allowed.
pub fn is_state_master_code(code: u8) -> bool {
    code != 99 && state_name(code).is_some()
}

/// Whether `code` is one of the 45 UQC units (`08` §5). The caller upper-cases first (matching is
/// case-insensitive, the stored value upper-case). The misspellings `CBN`/`CCN` are rejected.
pub fn is_uqc(code: &str) -> bool {
    UQC.binary_search_by(|c| c.as_str().cmp(code)).is_ok()
}

/// The default GST rate set of `gst-rates.csv` (`08` §8), in ascending order: the value of
/// `validation.gst_rates` when not configured. Compare numerically: `Decimal` equality already
/// treats `12` and `12.000` as equal.
pub fn gst_rates() -> &'static [Decimal] {
    &GST_RATES
}

/// Whether `code` is an ISO 3166-1 alpha-2 country code (`ExpDtls.CntCode`, `08` §9). Input is
/// expected upper-case.
pub fn is_country_code(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

/// Whether `code` is a current ISO 4217 alphabetic currency code (`ExpDtls.ForCur`, `08` §9).
/// Input is expected upper-case.
pub fn is_currency_code(code: &str) -> bool {
    CURRENCIES.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every embedded table parses, with the expected number of rows; so do the spec CSVs that are
    /// copied alongside but not yet exposed here.
    #[test]
    fn every_table_loads() {
        assert_eq!(STATES.iter().flatten().count(), 41);
        assert_eq!(UQC.len(), 45);
        assert_eq!(GST_RATES.len(), 13);
        assert_eq!(COUNTRIES.len(), 249);
        assert!(CURRENCIES.len() >= 150);
        assert_eq!(crate::codes::Code::ALL.len(), 215);
        assert_eq!(HsnMaster::shipped().len(), 22_464);
        assert!(!pin_states(110001).is_empty());
        assert!(pin_centroid(110001).is_some());
        assert!(pin_matches_state(110001, 7));

        let copied: [(&str, &str, &[&str], usize); 5] = [
            (
                "cancel-reasons.csv",
                include_str!("../../data/cancel-reasons.csv"),
                &["scope", "code", "description"],
                8,
            ),
            (
                "supply-types.csv",
                include_str!("../../data/supply-types.csv"),
                &["code", "description"],
                6,
            ),
            (
                "doc-types.csv",
                include_str!("../../data/doc-types.csv"),
                &["code", "description"],
                3,
            ),
            (
                "transport-modes.csv",
                include_str!("../../data/transport-modes.csv"),
                &["code", "description"],
                4,
            ),
            (
                "vehicle-types.csv",
                include_str!("../../data/vehicle-types.csv"),
                &["code", "description"],
                2,
            ),
        ];
        for (name, text, header, rows) in copied {
            assert_eq!(csv::table(name, text, header).len(), rows, "{name}");
        }
    }

    #[test]
    fn states() {
        assert_eq!(state_name(7), Some("Delhi"));
        assert_eq!(state_name(96), Some("Other Country"));
        assert_eq!(state_name(97), Some("Other Territory"));
        assert_eq!(state_name(99), Some("Centre Jurisdiction"));
        assert!(state_name(25).is_some() && state_name(28).is_some());
        assert!(!is_state_master_code(99));
        for code in (1..=38).chain([96, 97]) {
            assert!(is_state_master_code(code), "{code}");
        }
        for code in [0, 39, 95, 98, 100, 255] {
            assert!(
                !is_state_master_code(code) && state_name(code).is_none(),
                "{code}"
            );
        }
    }

    #[test]
    fn uqc() {
        assert!(is_uqc("BAG"));
        assert!(is_uqc("OTH") && is_uqc("CBM") && is_uqc("CCM") && is_uqc("YDS"));
        assert!(!is_uqc("CBN"));
        assert!(!is_uqc("CCN"));
        assert!(!is_uqc("bag"), "the caller upper-cases");
        assert!(!is_uqc(""));
    }

    #[test]
    fn rates() {
        let rates = gst_rates();
        assert_eq!(rates.len(), 13);
        for r in [
            "0", "0.1", "0.25", "1", "1.5", "3", "5", "6", "7.5", "12", "18", "28", "40",
        ] {
            assert!(rates.contains(&Decimal::from_str(r).unwrap()), "{r}");
        }
        assert!(rates.contains(&Decimal::from_str("12.000").unwrap()));
        assert!(!rates.contains(&Decimal::from_str("2").unwrap()));
        assert!(rates.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn error_codes() {
        use crate::codes::Code;
        let message = |text: &str| text.parse::<Code>().ok().map(Code::message);
        let category = |text: &str| text.parse::<Code>().ok().map(Code::category);
        assert_eq!(
            message("2163"),
            Some("The document date should not be future date .")
        );
        assert_eq!(
            message("2172"),
            Some(
                "For intra state transaction IGST amounts is not applicable for item - {0} and \
                 Sl. No {1} , only CGST and SGST amounts are applicable."
            )
        );
        assert_eq!(category("2172"), Some("invoice"));
        assert_eq!(message("100"), Some("Invalid Json"));
        assert_eq!(category("100"), Some("ewb-api"));
        assert_eq!(message("0000"), None);
        assert_eq!(category(""), None);
    }

    #[test]
    fn countries_and_currencies() {
        assert!(is_country_code("IN") && is_country_code("US"));
        assert!(!is_country_code("XX") && !is_country_code("in") && !is_country_code("IND"));
        assert!(is_currency_code("INR") && is_currency_code("USD") && is_currency_code("EUR"));
        assert!(!is_currency_code("ABC") && !is_currency_code("inr"));
    }
}
