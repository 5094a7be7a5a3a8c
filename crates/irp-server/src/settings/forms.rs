//! How the core's types are written in settings. `irp-core` stays free of serde, so the
//! spellings live here, next to the only code that reads them.

use chrono::NaiveDate;
use irp_core::qr::QrEcc;
use irp_core::register::TaxpayerType;
use irp_core::rules::{Counting, ExportField, ReportingThreshold};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::sections::HsnMasterSource;

/// A value written as one word: `M`, `REG`, `inclusive`, `01/10/2020`.
pub(super) trait Spelling: Sized {
    /// What the error says was expected.
    const EXPECTED: &'static str;
    fn parse(text: &str) -> Option<Self>;
    fn spell(&self) -> String;
}

impl Spelling for QrEcc {
    const EXPECTED: &'static str = "one of L, M, Q, H";

    fn parse(text: &str) -> Option<QrEcc> {
        text.parse().ok()
    }

    fn spell(&self) -> String {
        match self {
            QrEcc::L => "L",
            QrEcc::M => "M",
            QrEcc::Q => "Q",
            QrEcc::H => "H",
        }
        .to_owned()
    }
}

impl Spelling for Counting {
    const EXPECTED: &'static str = "inclusive or exclusive";

    fn parse(text: &str) -> Option<Counting> {
        match text {
            "inclusive" => Some(Counting::Inclusive),
            "exclusive" => Some(Counting::Exclusive),
            _ => None,
        }
    }

    fn spell(&self) -> String {
        match self {
            Counting::Inclusive => "inclusive",
            Counting::Exclusive => "exclusive",
        }
        .to_owned()
    }
}

impl Spelling for TaxpayerType {
    const EXPECTED: &'static str = "a taxpayer type (REG, SED, SEZ, COM, TCS, TDS, NRT, OID, UIN)";

    fn parse(text: &str) -> Option<TaxpayerType> {
        TaxpayerType::from_code(text)
    }

    fn spell(&self) -> String {
        self.code().to_owned()
    }
}

const EXPORT_FIELDS: [(ExportField, &str); 7] = [
    (ExportField::ShipBNo, "ShipBNo"),
    (ExportField::ShipBDt, "ShipBDt"),
    (ExportField::Port, "Port"),
    (ExportField::RefClm, "RefClm"),
    (ExportField::ForCur, "ForCur"),
    (ExportField::CntCode, "CntCode"),
    (ExportField::ExpDuty, "ExpDuty"),
];

impl Spelling for ExportField {
    const EXPECTED: &'static str =
        "an ExpDtls field (ShipBNo, ShipBDt, Port, RefClm, ForCur, CntCode, ExpDuty)";

    fn parse(text: &str) -> Option<ExportField> {
        EXPORT_FIELDS
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(field, _)| *field)
    }

    fn spell(&self) -> String {
        EXPORT_FIELDS
            .iter()
            .find(|(field, _)| field == self)
            .map_or_else(String::new, |(_, name)| (*name).to_owned())
    }
}

/// One spelling per source, so that nodes writing `shipped` and `hsn-sac.csv` share settings.
impl Spelling for HsnMasterSource {
    const EXPECTED: &'static str = "hsn-sac.csv, shipped, none or the path of a CSV file";

    fn parse(text: &str) -> Option<HsnMasterSource> {
        Some(match text {
            "hsn-sac.csv" | "shipped" => HsnMasterSource::Shipped,
            "none" => HsnMasterSource::Off,
            path => HsnMasterSource::File(path.into()),
        })
    }

    fn spell(&self) -> String {
        match self {
            HsnMasterSource::Shipped => "hsn-sac.csv".to_owned(),
            HsnMasterSource::Off => "none".to_owned(),
            HsnMasterSource::File(path) => path.display().to_string(),
        }
    }
}

/// `validation.doc_date_floor`: a date, or `none` (also `null` or empty) for no floor.
impl Spelling for Option<NaiveDate> {
    const EXPECTED: &'static str = "dd/mm/yyyy or null";

    fn parse(text: &str) -> Option<Option<NaiveDate>> {
        match text {
            "" | "null" | "none" => Some(None),
            date => irp_core::bind::parse_date(date, (1900, 9999)).map(Some),
        }
    }

    fn spell(&self) -> String {
        self.map_or_else(
            || "none".to_owned(),
            |date| date.format("%d/%m/%Y").to_string(),
        )
    }
}

/// `#[serde(with = "forms::one")]`: one [`Spelling`].
pub(super) mod one {
    use super::*;

    pub fn serialize<T: Spelling, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.spell())
    }

    pub fn deserialize<'de, T: Spelling, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(deserializer)?;
        T::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("`{text}`: expected {}", T::EXPECTED)))
    }
}

/// `#[serde(with = "forms::list")]`: a list of [`Spelling`]s.
pub(super) mod list {
    use super::*;

    pub fn serialize<T: Spelling, S: Serializer>(
        values: &[T],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(Spelling::spell))
    }

    pub fn deserialize<'de, T: Spelling, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| {
                T::parse(text)
                    .ok_or_else(|| D::Error::custom(format!("`{text}`: expected {}", T::EXPECTED)))
            })
            .collect()
    }
}

/// `#[serde(deserialize_with = "forms::within::<_, MIN, MAX>")]`: a small number in a range.
pub(super) fn within<'de, D: Deserializer<'de>, const MIN: u8, const MAX: u8>(
    deserializer: D,
) -> Result<u8, D::Error> {
    let number = u8::deserialize(deserializer)?;
    if (MIN..=MAX).contains(&number) {
        Ok(number)
    } else {
        Err(D::Error::custom(format!("must be {MIN} to {MAX}")))
    }
}

/// `validation.date_year_range`: `[from, to]`.
pub(super) mod year_range {
    use super::*;

    pub fn serialize<S: Serializer>(range: &(i32, i32), serializer: S) -> Result<S::Ok, S::Error> {
        [range.0, range.1].serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(i32, i32), D::Error> {
        match Vec::<i32>::deserialize(deserializer)?.as_slice() {
            [from, to] if from <= to => Ok((*from, *to)),
            _ => Err(D::Error::custom("expected [from, to] with from ≤ to")),
        }
    }
}

/// `reporting_limit.schedule`: `[{from = "yyyy-mm-dd", aato_min_inr = N}, …]`.
pub(super) mod schedule {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Step {
        from: String,
        aato_min_inr: u64,
    }

    pub fn serialize<S: Serializer>(
        steps: &[ReportingThreshold],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(steps.iter().map(|step| Step {
            from: step.from.format("%Y-%m-%d").to_string(),
            aato_min_inr: step.aato_min_inr,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<ReportingThreshold>, D::Error> {
        let expected = "expected [{from = \"yyyy-mm-dd\", aato_min_inr = N}, …]";
        let steps = Vec::<Step>::deserialize(deserializer)
            .map_err(|error| D::Error::custom(format!("{error}; {expected}")))?;
        steps
            .into_iter()
            .map(|step| {
                NaiveDate::parse_from_str(&step.from, "%Y-%m-%d")
                    .map(|from| ReportingThreshold {
                        from,
                        aato_min_inr: step.aato_min_inr,
                    })
                    .map_err(|_| D::Error::custom(format!("`{}`: {expected}", step.from)))
            })
            .collect()
    }
}
