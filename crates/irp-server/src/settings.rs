//! Every setting of `10-decisions.md` §2, from defaults, an optional TOML file and `IRP_…`
//! environment variables, in that order of precedence (later wins).
//!
//! Keys are the spec's dotted names. In a file they are written as TOML (`[validation]` then
//! `strict_decimals = true`, or `"validation.strict_decimals" = true`); in the environment the
//! dots become underscores and the name is upper-cased: `IRP_VALIDATION_STRICT_DECIMALS=true`.
//! Unknown keys are refused, so a typo never goes unnoticed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use irp_core::masters::HsnMaster;
use irp_core::qr::QrEcc;
use irp_core::register::TaxpayerType;
use irp_core::rules::{Counting, ExportField, HsnMasterSetting, ReportingThreshold, Rules};
use rust_decimal::Decimal;

/// `compat` (README of the spec): `native` removes NIC's limitations, `nic` copies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    Native,
    Nic,
}

/// `environment`: `production` or `sandbox` (D-48).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Production,
    Sandbox,
}

/// The portal's settings, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub compat: Compat,
    pub environment: Environment,
    /// `portal.id`: 1 (IRP-1) or 2 (IRP-2).
    pub portal_id: u8,
    pub node_digit: u8,
    pub jws_iss: String,
    pub signing_key: Option<PathBuf>,
    pub signing_cert: Option<PathBuf>,
    pub auth_private_key: Option<PathBuf>,
    pub auth_rsa_bits: u32,
    pub token_minutes: i64,
    pub force_refresh_window_minutes: i64,
    /// Failed logins in a row before a user is locked out.
    pub max_failed_logins: u32,
    pub lockout_minutes: i64,
    pub max_body_bytes: usize,
    pub max_body_bytes_large: usize,
    pub envelope_minute_rounding: bool,
    pub default_disp_ship: bool,
    pub cancel_window_hours: i64,
    pub irn_window_hours: i64,
    pub doc_window_hours: i64,
    /// Every validation setting, built from `validation.*`, `reporting_limit.*`,
    /// `limits.max_items` and `irn.uppercase_docno`.
    pub rules: Rules,
    pub ewb_distance_check: bool,
    pub ewb_road_factor: f64,
    pub ewb_max_distance_factor: f64,
    pub ewb_cancel_window_hours: i64,
    pub bulk_max_documents: usize,
    pub bulk_max_body_bytes: usize,
    pub bulk_retention_days: i64,
    pub qr_ecc: QrEcc,
    pub throttle_enabled: bool,
    pub throttle_max_identical_failures: u32,
    pub throttle_window_minutes: i64,
}

/// A setting that could not be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown setting `{0}`")]
    Unknown(String),
    #[error("setting `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("cannot read the configuration file {path}: {message}")]
    File { path: String, message: String },
}

/// Every key the portal accepts.
const KEYS: &[&str] = &[
    "compat",
    "environment",
    "portal.id",
    "portal.node_digit",
    "portal.jws_iss",
    "portal.signing_key",
    "portal.signing_cert",
    "keys.auth_private_key",
    "keys.auth_rsa_bits",
    "auth.token_minutes",
    "auth.force_refresh_window_minutes",
    "auth.max_failed_logins",
    "auth.lockout_minutes",
    "limits.max_body_bytes",
    "limits.max_body_bytes_large",
    "limits.max_items",
    "irn.uppercase_docno",
    "ack.envelope_minute_rounding",
    "signing.default_disp_ship",
    "cancel.window_hours",
    "retrieval.irn_window_hours",
    "retrieval.doc_window_hours",
    "reporting_limit.window_days",
    "reporting_limit.counting",
    "reporting_limit.schedule",
    "validation.doc_date_floor",
    "validation.date_year_range",
    "validation.gst_rates",
    "validation.hsn_min_digits_high",
    "validation.hsn_min_digits_low",
    "validation.hsn_aato_threshold_inr",
    "validation.hsn_master",
    "validation.pin_state_check",
    "validation.enforce_2245",
    "validation.allowed_supplier_types",
    "validation.export_required_fields",
    "validation.enforce_2264",
    "validation.item_tolerance",
    "validation.total_tolerance",
    "validation.invoice_tolerance",
    "validation.strict_decimals",
    "validation.empty_string_as_absent",
    "validation.strict_gstin_checksum",
    "validation.max_errors",
    "validation.ports",
    "ewb.distance_check",
    "ewb.road_factor",
    "ewb.max_distance_factor",
    "ewb.cancel_window_hours",
    "ewb.vehicle_formats",
    "ewb.pin_distance_master",
    "bulk.max_documents",
    "bulk.max_body_bytes",
    "bulk.retention_days",
    "print.qr_ecc",
    "throttle.enabled",
    "throttle.max_identical_failures",
    "throttle.window_minutes",
];

/// Raw values by dotted key, before typing.
#[derive(Debug, Clone, Default)]
pub struct RawSettings(BTreeMap<String, toml::Value>);

impl RawSettings {
    /// Adds the keys of a TOML document (nested tables or dotted keys).
    pub fn add_toml(&mut self, text: &str, origin: &str) -> Result<(), SettingsError> {
        let table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| SettingsError::File {
                    path: origin.to_owned(),
                    message: error.to_string(),
                })?;
        flatten(&mut self.0, "", toml::Value::Table(table));
        Ok(())
    }

    /// Adds `IRP_…` variables; other variables are ignored. Values are read as TOML values when
    /// they parse as one (`true`, `1500`, `["REG","SED"]`), otherwise as strings.
    pub fn add_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), SettingsError> {
        let by_env_name: BTreeMap<String, &str> = KEYS
            .iter()
            .map(|key| {
                (
                    format!("IRP_{}", key.replace('.', "_").to_ascii_uppercase()),
                    *key,
                )
            })
            .collect();
        for (name, raw) in vars {
            let Some(key) = by_env_name.get(&name) else {
                continue;
            };
            let value = format!("v = {raw}")
                .parse::<toml::Table>()
                .ok()
                .and_then(|mut table| table.remove("v"))
                .unwrap_or(toml::Value::String(raw));
            self.0.insert((*key).to_owned(), value);
        }
        Ok(())
    }

    /// Sets one key from code (command-line flags).
    pub fn set(&mut self, key: &str, value: toml::Value) {
        self.0.insert(key.to_owned(), value);
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

fn flatten(out: &mut BTreeMap<String, toml::Value>, prefix: &str, value: toml::Value) {
    match value {
        toml::Value::Table(table) if prefix.is_empty() || !KEYS.contains(&prefix) => {
            for (key, inner) in table {
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(out, &path, inner);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other);
        }
    }
}

impl Settings {
    /// The spec's defaults (production, native, portal 1).
    pub fn defaults() -> Settings {
        Settings::from_raw(&RawSettings::default()).expect("defaults are valid")
    }

    /// Types the raw values, filling defaults.
    pub fn from_raw(raw: &RawSettings) -> Result<Settings, SettingsError> {
        if let Some(unknown) = raw.0.keys().find(|key| !KEYS.contains(&key.as_str())) {
            return Err(SettingsError::Unknown(unknown.clone()));
        }
        let r = Reader(&raw.0);
        let environment = match r.string("environment")?.as_deref() {
            None | Some("production") => Environment::Production,
            Some("sandbox") => Environment::Sandbox,
            Some(other) => {
                return Err(r.invalid(
                    "environment",
                    format!("`{other}` is not production or sandbox"),
                ));
            }
        };
        let compat = match r.string("compat")?.as_deref() {
            None | Some("native") => Compat::Native,
            Some("nic") => Compat::Nic,
            Some(other) => {
                return Err(r.invalid("compat", format!("`{other}` is not native or nic")));
            }
        };
        let portal_id = r.int("portal.id")?.unwrap_or(1);
        if !(1..=2).contains(&portal_id) {
            return Err(r.invalid("portal.id", "must be 1 or 2".to_owned()));
        }
        let node_digit = r.int("portal.node_digit")?.unwrap_or(1);
        if !(1..=9).contains(&node_digit) {
            return Err(r.invalid("portal.node_digit", "must be 1 to 9".to_owned()));
        }
        let sandbox = environment == Environment::Sandbox;
        let defaults = Rules::default();
        let rules = Rules {
            doc_date_floor: match r.string("validation.doc_date_floor")?.as_deref() {
                None => defaults.doc_date_floor,
                Some("" | "null" | "none") => None,
                Some(text) => Some(irp_core::bind::parse_date(text, (1900, 9999)).ok_or_else(
                    || {
                        r.invalid(
                            "validation.doc_date_floor",
                            "expected dd/mm/yyyy or null".to_owned(),
                        )
                    },
                )?),
            },
            date_year_range: match r.int_list("validation.date_year_range")? {
                None => defaults.date_year_range,
                Some(list) if list.len() == 2 && list[0] <= list[1] => {
                    (list[0] as i32, list[1] as i32)
                }
                Some(_) => {
                    return Err(r.invalid(
                        "validation.date_year_range",
                        "expected [from, to]".to_owned(),
                    ));
                }
            },
            reporting_window_days: r
                .int("reporting_limit.window_days")?
                .unwrap_or(defaults.reporting_window_days),
            reporting_counting: match r.string("reporting_limit.counting")?.as_deref() {
                None | Some("inclusive") => Counting::Inclusive,
                Some("exclusive") => Counting::Exclusive,
                Some(_) => {
                    return Err(r.invalid(
                        "reporting_limit.counting",
                        "inclusive or exclusive".to_owned(),
                    ));
                }
            },
            reporting_schedule: r
                .schedule("reporting_limit.schedule")?
                .unwrap_or(defaults.reporting_schedule),
            gst_rates: r
                .decimal_list("validation.gst_rates")?
                .unwrap_or(defaults.gst_rates),
            hsn_min_digits_high: r
                .int("validation.hsn_min_digits_high")?
                .unwrap_or(defaults.hsn_min_digits_high),
            hsn_min_digits_low: r
                .int("validation.hsn_min_digits_low")?
                .unwrap_or(defaults.hsn_min_digits_low),
            hsn_aato_threshold_inr: r
                .int("validation.hsn_aato_threshold_inr")?
                .unwrap_or(defaults.hsn_aato_threshold_inr),
            hsn_master: match r.string("validation.hsn_master")?.as_deref() {
                None | Some("hsn-sac.csv" | "shipped") => HsnMasterSetting::Shipped,
                Some("none") => HsnMasterSetting::Off,
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|error| {
                        r.invalid(
                            "validation.hsn_master",
                            format!("cannot read {path}: {error}"),
                        )
                    })?;
                    let codes = text
                        .lines()
                        .skip(1)
                        .filter_map(|line| line.split(',').next())
                        .map(str::trim);
                    HsnMasterSetting::Custom(Arc::new(HsnMaster::from_codes(codes)))
                }
            },
            ports: match r.string("validation.ports")? {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|error| {
                        r.invalid("validation.ports", format!("cannot read {path}: {error}"))
                    })?;
                    let codes = text
                        .lines()
                        .skip(1)
                        .filter_map(|line| line.split(',').next())
                        .map(|c| c.trim().to_ascii_uppercase());
                    Some(Arc::new(codes.filter(|c| !c.is_empty()).collect()))
                }
            },
            pin_state_check: r
                .bool("validation.pin_state_check")?
                .unwrap_or(defaults.pin_state_check),
            enforce_2245: r
                .bool("validation.enforce_2245")?
                .unwrap_or(defaults.enforce_2245),
            enforce_2264: r
                .bool("validation.enforce_2264")?
                .unwrap_or(defaults.enforce_2264),
            allowed_supplier_types: match r.string_list("validation.allowed_supplier_types")? {
                None => defaults.allowed_supplier_types,
                Some(codes) => codes
                    .iter()
                    .map(|code| TaxpayerType::from_code(code))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        r.invalid(
                            "validation.allowed_supplier_types",
                            "unknown taxpayer type".to_owned(),
                        )
                    })?,
            },
            export_required_fields: match r.string_list("validation.export_required_fields")? {
                None => defaults.export_required_fields,
                Some(fields) => fields
                    .iter()
                    .map(|field| export_field(field))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        r.invalid(
                            "validation.export_required_fields",
                            "unknown ExpDtls field".to_owned(),
                        )
                    })?,
            },
            item_tolerance: r
                .decimal("validation.item_tolerance")?
                .unwrap_or(defaults.item_tolerance),
            total_tolerance: r
                .decimal("validation.total_tolerance")?
                .unwrap_or(defaults.total_tolerance),
            invoice_tolerance: r
                .decimal("validation.invoice_tolerance")?
                .unwrap_or(defaults.invoice_tolerance),
            strict_decimals: r
                .bool("validation.strict_decimals")?
                .unwrap_or(defaults.strict_decimals),
            empty_string_as_absent: r
                .bool("validation.empty_string_as_absent")?
                .unwrap_or(defaults.empty_string_as_absent),
            strict_gstin_checksum: r
                .bool("validation.strict_gstin_checksum")?
                .unwrap_or(defaults.strict_gstin_checksum),
            max_errors: r
                .int("validation.max_errors")?
                .unwrap_or(defaults.max_errors),
            max_items: r.int("limits.max_items")?.unwrap_or(defaults.max_items),
            uppercase_docno: r
                .bool("irn.uppercase_docno")?
                .unwrap_or(defaults.uppercase_docno),
        };
        let qr_ecc = match r.string("print.qr_ecc")? {
            None => QrEcc::M,
            Some(text) => text
                .parse()
                .map_err(|_| r.invalid("print.qr_ecc", "one of L, M, Q, H".to_owned()))?,
        };
        Ok(Settings {
            compat,
            environment,
            portal_id,
            node_digit,
            jws_iss: r
                .string("portal.jws_iss")?
                .unwrap_or_else(|| if sandbox { "NIC Sandbox" } else { "NIC" }.to_owned()),
            signing_key: r.string("portal.signing_key")?.map(PathBuf::from),
            signing_cert: r.string("portal.signing_cert")?.map(PathBuf::from),
            auth_private_key: r.string("keys.auth_private_key")?.map(PathBuf::from),
            auth_rsa_bits: r.int("keys.auth_rsa_bits")?.unwrap_or(2048),
            token_minutes: r
                .int("auth.token_minutes")?
                .unwrap_or(if sandbox { 60 } else { 360 }),
            force_refresh_window_minutes: r.int("auth.force_refresh_window_minutes")?.unwrap_or(10),
            max_failed_logins: r.int("auth.max_failed_logins")?.unwrap_or(5),
            lockout_minutes: r.int("auth.lockout_minutes")?.unwrap_or(15),
            max_body_bytes: r.int("limits.max_body_bytes")?.unwrap_or(2 * 1024 * 1024),
            max_body_bytes_large: r
                .int("limits.max_body_bytes_large")?
                .unwrap_or(8 * 1024 * 1024),
            envelope_minute_rounding: r.bool("ack.envelope_minute_rounding")?.unwrap_or(false),
            default_disp_ship: r.bool("signing.default_disp_ship")?.unwrap_or(false),
            cancel_window_hours: r.int("cancel.window_hours")?.unwrap_or(24),
            irn_window_hours: r.int("retrieval.irn_window_hours")?.unwrap_or(48),
            doc_window_hours: r.int("retrieval.doc_window_hours")?.unwrap_or(72),
            rules,
            ewb_distance_check: r.bool("ewb.distance_check")?.unwrap_or(true),
            ewb_road_factor: r.float("ewb.road_factor")?.unwrap_or(1.3),
            ewb_max_distance_factor: r.float("ewb.max_distance_factor")?.unwrap_or(2.0),
            ewb_cancel_window_hours: r.int("ewb.cancel_window_hours")?.unwrap_or(24),
            bulk_max_documents: r.int("bulk.max_documents")?.unwrap_or(1000),
            bulk_max_body_bytes: r.int("bulk.max_body_bytes")?.unwrap_or(5 * 1024 * 1024),
            bulk_retention_days: r.int("bulk.retention_days")?.unwrap_or(30),
            qr_ecc,
            throttle_enabled: r.bool("throttle.enabled")?.unwrap_or(false),
            throttle_max_identical_failures: r
                .int("throttle.max_identical_failures")?
                .unwrap_or(100),
            throttle_window_minutes: r.int("throttle.window_minutes")?.unwrap_or(60),
        })
    }

    /// Every setting that must be identical on all nodes of both portals (`10` §2), one
    /// `key = value` line each in a fixed order, plus the auth key's fingerprint (the shared auth
    /// key must be the same everywhere too). Per-portal settings (`portal.*`) and file paths are
    /// left out.
    pub fn shared_text(&self, auth_key_fingerprint: &str) -> String {
        let r = &self.rules;
        let hsn = match &r.hsn_master {
            HsnMasterSetting::Shipped => "shipped".to_owned(),
            HsnMasterSetting::Off => "none".to_owned(),
            HsnMasterSetting::Custom(master) => format!("custom ({} codes)", master.len()),
        };
        let ports = r
            .ports
            .as_ref()
            .map_or("none".to_owned(), |ports| format!("{} codes", ports.len()));
        let lines = [
            ("compat", format!("{:?}", self.compat)),
            ("environment", format!("{:?}", self.environment)),
            (
                "keys.auth_public_key_sha256",
                auth_key_fingerprint.to_owned(),
            ),
            ("auth.token_minutes", self.token_minutes.to_string()),
            (
                "auth.force_refresh_window_minutes",
                self.force_refresh_window_minutes.to_string(),
            ),
            ("auth.max_failed_logins", self.max_failed_logins.to_string()),
            ("auth.lockout_minutes", self.lockout_minutes.to_string()),
            ("limits.max_body_bytes", self.max_body_bytes.to_string()),
            (
                "limits.max_body_bytes_large",
                self.max_body_bytes_large.to_string(),
            ),
            ("limits.max_items", r.max_items.to_string()),
            ("irn.uppercase_docno", r.uppercase_docno.to_string()),
            (
                "ack.envelope_minute_rounding",
                self.envelope_minute_rounding.to_string(),
            ),
            (
                "signing.default_disp_ship",
                self.default_disp_ship.to_string(),
            ),
            ("cancel.window_hours", self.cancel_window_hours.to_string()),
            (
                "retrieval.irn_window_hours",
                self.irn_window_hours.to_string(),
            ),
            (
                "retrieval.doc_window_hours",
                self.doc_window_hours.to_string(),
            ),
            (
                "reporting_limit.window_days",
                r.reporting_window_days.to_string(),
            ),
            (
                "reporting_limit.counting",
                format!("{:?}", r.reporting_counting),
            ),
            (
                "reporting_limit.schedule",
                format!("{:?}", r.reporting_schedule),
            ),
            (
                "validation.doc_date_floor",
                format!("{:?}", r.doc_date_floor),
            ),
            (
                "validation.date_year_range",
                format!("{:?}", r.date_year_range),
            ),
            ("validation.gst_rates", format!("{:?}", r.gst_rates)),
            (
                "validation.hsn_min_digits",
                format!("{}/{}", r.hsn_min_digits_high, r.hsn_min_digits_low),
            ),
            (
                "validation.hsn_aato_threshold_inr",
                r.hsn_aato_threshold_inr.to_string(),
            ),
            ("validation.hsn_master", hsn),
            ("validation.ports", ports),
            ("validation.pin_state_check", r.pin_state_check.to_string()),
            ("validation.enforce_2245", r.enforce_2245.to_string()),
            ("validation.enforce_2264", r.enforce_2264.to_string()),
            (
                "validation.allowed_supplier_types",
                format!("{:?}", r.allowed_supplier_types),
            ),
            (
                "validation.export_required_fields",
                format!("{:?}", r.export_required_fields),
            ),
            (
                "validation.tolerances",
                format!(
                    "{}/{}/{}",
                    r.item_tolerance, r.total_tolerance, r.invoice_tolerance
                ),
            ),
            ("validation.strict_decimals", r.strict_decimals.to_string()),
            (
                "validation.empty_string_as_absent",
                r.empty_string_as_absent.to_string(),
            ),
            (
                "validation.strict_gstin_checksum",
                r.strict_gstin_checksum.to_string(),
            ),
            ("validation.max_errors", r.max_errors.to_string()),
            ("ewb.distance_check", self.ewb_distance_check.to_string()),
            (
                "ewb.factors",
                format!("{}/{}", self.ewb_road_factor, self.ewb_max_distance_factor),
            ),
            (
                "ewb.cancel_window_hours",
                self.ewb_cancel_window_hours.to_string(),
            ),
            (
                "bulk",
                format!(
                    "{}/{}/{}",
                    self.bulk_max_documents, self.bulk_max_body_bytes, self.bulk_retention_days
                ),
            ),
            ("print.qr_ecc", format!("{:?}", self.qr_ecc)),
            (
                "throttle",
                format!(
                    "{}/{}/{}",
                    self.throttle_enabled,
                    self.throttle_max_identical_failures,
                    self.throttle_window_minutes
                ),
            ),
        ];
        lines
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect()
    }

    /// The portal's `irp` header name: `NIC1` or `NIC2`.
    pub fn irp_name(&self) -> &'static str {
        if self.portal_id == 2 { "NIC2" } else { "NIC1" }
    }
}

fn export_field(name: &str) -> Option<ExportField> {
    Some(match name {
        "ShipBNo" => ExportField::ShipBNo,
        "ShipBDt" => ExportField::ShipBDt,
        "Port" => ExportField::Port,
        "RefClm" => ExportField::RefClm,
        "ForCur" => ExportField::ForCur,
        "CntCode" => ExportField::CntCode,
        "ExpDuty" => ExportField::ExpDuty,
        _ => return None,
    })
}

struct Reader<'a>(&'a BTreeMap<String, toml::Value>);

impl Reader<'_> {
    fn invalid(&self, key: &str, message: String) -> SettingsError {
        SettingsError::Invalid {
            key: key.to_owned(),
            message,
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, SettingsError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text.trim().to_owned())),
            Some(other) => Ok(Some(other.to_string())),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, SettingsError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(value)) => Ok(Some(*value)),
            Some(toml::Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(toml::Value::String(text)) if text.eq_ignore_ascii_case("false") => {
                Ok(Some(false))
            }
            Some(_) => Err(self.invalid(key, "expected true or false".to_owned())),
        }
    }

    fn int<T: TryFrom<i64>>(&self, key: &str) -> Result<Option<T>, SettingsError> {
        let number = match self.0.get(key) {
            None => return Ok(None),
            Some(toml::Value::Integer(value)) => *value,
            Some(toml::Value::String(text)) => text
                .trim()
                .parse()
                .map_err(|_| self.invalid(key, "expected a whole number".to_owned()))?,
            Some(_) => return Err(self.invalid(key, "expected a whole number".to_owned())),
        };
        T::try_from(number)
            .map(Some)
            .map_err(|_| self.invalid(key, "number out of range".to_owned()))
    }

    fn float(&self, key: &str) -> Result<Option<f64>, SettingsError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::Float(value)) => Ok(Some(*value)),
            Some(toml::Value::Integer(value)) => Ok(Some(*value as f64)),
            Some(toml::Value::String(text)) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| self.invalid(key, "expected a number".to_owned())),
            Some(_) => Err(self.invalid(key, "expected a number".to_owned())),
        }
    }

    fn decimal(&self, key: &str) -> Result<Option<Decimal>, SettingsError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(value) => decimal_of(value)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "expected a decimal".to_owned())),
        }
    }

    fn list(&self, key: &str) -> Result<Option<Vec<toml::Value>>, SettingsError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(items)) => Ok(Some(items.clone())),
            Some(toml::Value::String(text)) => Ok(Some(
                text.split(',')
                    .map(|item| toml::Value::String(item.trim().to_owned()))
                    .collect(),
            )),
            Some(_) => Err(self.invalid(key, "expected a list".to_owned())),
        }
    }

    fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, SettingsError> {
        Ok(self.list(key)?.map(|items| {
            items
                .into_iter()
                .map(|item| match item {
                    toml::Value::String(text) => text,
                    other => other.to_string(),
                })
                .collect()
        }))
    }

    fn int_list(&self, key: &str) -> Result<Option<Vec<i64>>, SettingsError> {
        let Some(items) = self.list(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|item| match item {
                toml::Value::Integer(value) => Some(*value),
                toml::Value::String(text) => text.parse().ok(),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| self.invalid(key, "expected whole numbers".to_owned()))
    }

    fn decimal_list(&self, key: &str) -> Result<Option<Vec<Decimal>>, SettingsError> {
        let Some(items) = self.list(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(decimal_of)
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| self.invalid(key, "expected decimals".to_owned()))
    }

    fn schedule(&self, key: &str) -> Result<Option<Vec<ReportingThreshold>>, SettingsError> {
        let Some(items) = self.list(key)? else {
            return Ok(None);
        };
        let parse_step = |item: &toml::Value| -> Option<ReportingThreshold> {
            let table = item.as_table()?;
            let from = match table.get("from")? {
                toml::Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?,
                toml::Value::Datetime(datetime) => {
                    NaiveDate::parse_from_str(&datetime.to_string(), "%Y-%m-%d").ok()?
                }
                _ => return None,
            };
            let aato_min_inr = u64::try_from(table.get("aato_min_inr")?.as_integer()?).ok()?;
            Some(ReportingThreshold { from, aato_min_inr })
        };
        items
            .iter()
            .map(parse_step)
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                self.invalid(
                    key,
                    "expected [{from = \"yyyy-mm-dd\", aato_min_inr = N}, …]".to_owned(),
                )
            })
    }
}

fn decimal_of(value: &toml::Value) -> Option<Decimal> {
    match value {
        toml::Value::Integer(number) => Some(Decimal::from(*number)),
        toml::Value::Float(number) => Decimal::from_str_exact(&number.to_string()).ok(),
        toml::Value::String(text) => Decimal::from_str_exact(text.trim()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec() {
        let settings = Settings::defaults();
        assert_eq!(settings.token_minutes, 360);
        assert_eq!(settings.jws_iss, "NIC");
        assert_eq!(settings.rules, Rules::default());
        assert_eq!(settings.max_body_bytes, 2_097_152);
    }

    #[test]
    fn file_then_environment_override_and_sandbox_changes_token_and_iss() {
        let mut raw = RawSettings::default();
        raw.add_toml(
            "environment = \"sandbox\"\n[validation]\nstrict_decimals = true\nmax_errors = 5\n",
            "test",
        )
        .unwrap();
        raw.add_env([
            ("IRP_VALIDATION_MAX_ERRORS".to_owned(), "7".to_owned()),
            ("IRP_PORTAL_ID".to_owned(), "2".to_owned()),
            (
                "IRP_VALIDATION_DOC_DATE_FLOOR".to_owned(),
                "null".to_owned(),
            ),
            (
                "IRP_VALIDATION_ALLOWED_SUPPLIER_TYPES".to_owned(),
                "REG,SED,NRT".to_owned(),
            ),
            ("PATH".to_owned(), "/bin".to_owned()),
        ])
        .unwrap();
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.environment, Environment::Sandbox);
        assert_eq!(settings.token_minutes, 60);
        assert_eq!(settings.jws_iss, "NIC Sandbox");
        assert!(settings.rules.strict_decimals);
        assert_eq!(settings.rules.max_errors, 7);
        assert_eq!(settings.portal_id, 2);
        assert_eq!(settings.irp_name(), "NIC2");
        assert_eq!(settings.rules.doc_date_floor, None);
        assert_eq!(settings.rules.allowed_supplier_types.len(), 3);
    }

    #[test]
    fn unknown_and_invalid_keys_are_refused() {
        let mut raw = RawSettings::default();
        raw.add_toml("[validation]\nstrict_decimal = true\n", "test")
            .unwrap();
        assert!(
            matches!(Settings::from_raw(&raw), Err(SettingsError::Unknown(key)) if key == "validation.strict_decimal")
        );
        let mut raw = RawSettings::default();
        raw.add_toml("portal.id = 3\n", "test").unwrap();
        assert!(matches!(
            Settings::from_raw(&raw),
            Err(SettingsError::Invalid { .. })
        ));
    }

    #[test]
    fn the_reporting_schedule_is_a_list_of_tables() {
        let mut raw = RawSettings::default();
        raw.add_toml(
            "[reporting_limit]\nschedule = [{from = \"2026-01-01\", aato_min_inr = 10}]\n",
            "test",
        )
        .unwrap();
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.rules.reporting_schedule.len(), 1);
        assert_eq!(settings.rules.reporting_schedule[0].aato_min_inr, 10);
    }
}
