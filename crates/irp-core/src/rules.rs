//! The configurable parts of validation (`04` §5, `10` §2), with the spec's defaults.
//!
//! The server builds one [`Rules`] from its settings at start-up and passes it by reference into
//! every validation; nothing here is global.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::masters::HsnMaster;
use crate::register::TaxpayerType;

/// `validation.hsn_master`: which directory the HSN existence check (I-02) uses.
#[derive(Debug, Clone, PartialEq)]
pub enum HsnMasterSetting {
    /// The shipped GST portal HSN/SAC directory (the default, D-31).
    Shipped,
    /// An operator-supplied directory.
    Custom(Arc<HsnMaster>),
    /// `none`: no existence check; the structural rules still apply.
    Off,
}

impl HsnMasterSetting {
    /// The directory to check against, if any.
    pub fn master(&self) -> Option<&HsnMaster> {
        match self {
            HsnMasterSetting::Shipped => Some(HsnMaster::shipped()),
            HsnMasterSetting::Custom(master) => Some(master),
            HsnMasterSetting::Off => None,
        }
    }
}

/// How the 30-day reporting window is counted (`06` §4, D-22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// The document date is day 1: allowed while today − Dt ≤ window − 1.
    Inclusive,
    /// Allowed while today − Dt ≤ window.
    Exclusive,
}

/// One step of `reporting_limit.schedule`: from `from` on, suppliers with AATO ≥ `aato_min_inr`
/// are bound by the reporting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportingThreshold {
    pub from: NaiveDate,
    pub aato_min_inr: u64,
}

/// Export fields that `validation.export_required_fields` may demand (P-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportField {
    ShipBNo,
    ShipBDt,
    Port,
    RefClm,
    ForCur,
    CntCode,
    ExpDuty,
}

/// Every validation setting. `Rules::default()` is the spec's default configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// `validation.doc_date_floor`; `None` switches DT-03 off.
    pub doc_date_floor: Option<NaiveDate>,
    /// `validation.date_year_range` for document-type dates.
    pub date_year_range: (i32, i32),
    pub reporting_window_days: i64,
    pub reporting_counting: Counting,
    pub reporting_schedule: Vec<ReportingThreshold>,
    /// `validation.gst_rates`.
    pub gst_rates: Vec<Decimal>,
    pub hsn_min_digits_high: usize,
    pub hsn_min_digits_low: usize,
    pub hsn_aato_threshold_inr: u64,
    /// `validation.hsn_master`.
    pub hsn_master: HsnMasterSetting,
    /// The port master (`ports.csv`, `08` §9), when an operator loads one; `None` checks the
    /// pattern of `ExpDtls.Port` only (V-16).
    pub ports: Option<Arc<BTreeSet<String>>>,
    pub pin_state_check: bool,
    pub enforce_2245: bool,
    pub enforce_2264: bool,
    pub allowed_supplier_types: Vec<TaxpayerType>,
    pub export_required_fields: Vec<ExportField>,
    pub item_tolerance: Decimal,
    pub total_tolerance: Decimal,
    pub invoice_tolerance: Decimal,
    pub strict_decimals: bool,
    pub empty_string_as_absent: bool,
    pub strict_gstin_checksum: bool,
    pub max_errors: usize,
    /// `limits.max_items`; a taxpayer's own `max_items` overrides it.
    pub max_items: usize,
    /// `irn.uppercase_docno`.
    pub uppercase_docno: bool,
}

/// The highest per-GSTIN item limit the spec allows.
pub const MAX_ITEMS_CEILING: usize = 5000;

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid constant date")
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            doc_date_floor: Some(date(2020, 10, 1)),
            date_year_range: (2010, 2099),
            reporting_window_days: 30,
            reporting_counting: Counting::Inclusive,
            reporting_schedule: vec![
                ReportingThreshold {
                    from: date(2023, 11, 1),
                    aato_min_inr: 1_000_000_000,
                },
                ReportingThreshold {
                    from: date(2025, 4, 1),
                    aato_min_inr: 100_000_000,
                },
            ],
            gst_rates: crate::masters::gst_rates().to_vec(),
            hsn_min_digits_high: 6,
            hsn_min_digits_low: 4,
            hsn_aato_threshold_inr: 50_000_000,
            hsn_master: HsnMasterSetting::Shipped,
            ports: None,
            pin_state_check: true,
            enforce_2245: false,
            enforce_2264: false,
            allowed_supplier_types: vec![TaxpayerType::Reg, TaxpayerType::Sed],
            export_required_fields: vec![ExportField::CntCode],
            item_tolerance: Decimal::ONE,
            total_tolerance: Decimal::ONE,
            invoice_tolerance: Decimal::ONE,
            strict_decimals: false,
            empty_string_as_absent: true,
            strict_gstin_checksum: false,
            max_errors: 100,
            max_items: 1000,
            uppercase_docno: true,
        }
    }
}

impl Rules {
    /// The AATO threshold of the reporting window in force on `today`, if any.
    pub fn reporting_threshold_on(&self, today: NaiveDate) -> Option<u64> {
        self.reporting_schedule
            .iter()
            .filter(|step| step.from <= today)
            .max_by_key(|step| step.from)
            .map(|step| step.aato_min_inr)
    }
}
