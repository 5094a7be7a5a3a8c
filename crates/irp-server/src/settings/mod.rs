//! Every setting of `10-decisions.md` §2, from defaults, an optional TOML file and `IRP_…`
//! environment variables, in that order of precedence (later wins); `docs/CONFIGURATION.md` is
//! the reference.
//!
//! Each key is declared once, as a field of a section struct (`sections.rs`): parsing, the
//! defaults, the environment names, the shared-settings text and the documentation test all
//! derive from those fields. In a file keys are written as TOML (`[validation]` then
//! `strict_decimals = true`, or `"validation.strict_decimals" = true`); in the environment the
//! dots become underscores and the name is upper-cased: `IRP_VALIDATION_STRICT_DECIMALS=true`.
//! Unknown keys and unknown `IRP_…` variables are refused, so a typo never goes unnoticed.

mod forms;
mod lenient;
mod names;
mod raw;
mod sections;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use irp_core::masters::HsnMaster;
use irp_core::rules::{HsnMasterSetting, Rules};
use serde::{Deserialize, Serialize};
use toml::Value;

pub use names::{NOT_IMPLEMENTED, OTHER_VARIABLES, env_name, keys};
pub use raw::RawSettings;
pub use sections::{
    Ack, Auth, Bulk, Cancel, Compat, Environment, Ewb, HsnMasterSource, Irn, Keys, Limits, Portal,
    Print, ReportingLimit, Retrieval, Server, Signing, Validation, Web,
};

use lenient::{ErrorKind, Lenient};

/// The portal's settings, typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub compat: Compat,
    pub environment: Environment,
    pub portal: Portal,
    pub keys: Keys,
    pub server: Server,
    pub auth: Auth,
    pub limits: Limits,
    pub irn: Irn,
    pub ack: Ack,
    pub signing: Signing,
    pub cancel: Cancel,
    pub retrieval: Retrieval,
    pub reporting_limit: ReportingLimit,
    pub validation: Validation,
    pub ewb: Ewb,
    pub print: Print,
    pub web: Web,
    pub bulk: Bulk,
    /// The validation settings as the core takes them, built by [`Settings::from_raw`] from
    /// `validation.*`, `reporting_limit.*`, `limits.max_items` and `irn.uppercase_docno`.
    #[serde(skip)]
    pub rules: Rules,
    /// SHA-256 of each operator master file, by key: nodes must agree on a file's content, not on
    /// where each keeps it.
    #[serde(skip)]
    file_digests: BTreeMap<String, String>,
}

/// Sections that differ between nodes: the portal's identity (P), where a node keeps its keys, and
/// the limits a node sets for its own port. The auth key itself must be the same everywhere; it is
/// compared by its fingerprint.
pub const PER_NODE_SECTIONS: &[&str] = &["portal", "keys", "server", "web"];

/// The first line of [`Settings::shared_text`]. Versions before it wrote no such line, so a
/// registry whose text lacks it was written by one of them.
pub const SHARED_TEXT_HEADER: &str = "# irp shared settings, format 2\n";

/// A setting that could not be used; the message names the key or variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown setting `{0}`{hint}", hint = names::key_hint(.0))]
    Unknown(String),
    #[error("{}", describe_unknown_variables(.0))]
    UnknownVariables(Vec<String>),
    #[error("setting `{key}` is not implemented yet: {reason} (docs/CONFIGURATION.md)")]
    NotImplemented { key: String, reason: &'static str },
    #[error("setting `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("cannot read the configuration file {path}: {message}")]
    File { path: String, message: String },
}

fn describe_unknown_variables(names: &[String]) -> String {
    let listed: Vec<String> = names
        .iter()
        .map(|name| format!("`{name}`{}", names::variable_hint(name)))
        .collect();
    let others: Vec<&str> = OTHER_VARIABLES.iter().map(|(name, _)| *name).collect();
    let plural = if names.len() > 1 { "s" } else { "" };
    format!(
        "unknown environment variable{plural} {}: an IRP_ variable must name a setting \
         (docs/CONFIGURATION.md) or be one of {}",
        listed.join(", "),
        others.join(", ")
    )
}

impl From<lenient::Error> for SettingsError {
    fn from(error: lenient::Error) -> SettingsError {
        match error.kind {
            ErrorKind::Unknown => SettingsError::Unknown(error.key),
            ErrorKind::Invalid(message) => SettingsError::Invalid {
                key: error.key,
                message,
            },
        }
    }
}

impl Settings {
    /// The spec's defaults (production, native, portal 1).
    pub fn defaults() -> Settings {
        Settings::from_raw(&RawSettings::default()).expect("the defaults are valid")
    }

    /// The defaults in `environment`: the one place where a default depends on it (D-41, D-48).
    pub fn defaults_for(environment: Environment) -> Settings {
        let mut defaults = Settings {
            environment,
            ..Settings::default()
        };
        if environment == Environment::Sandbox {
            defaults.portal.jws_iss = "NIC Sandbox".to_owned();
            defaults.auth.token_minutes = 60;
        }
        defaults
    }

    /// Types the raw values over the defaults of their environment, and builds the rules.
    pub fn from_raw(raw: &RawSettings) -> Result<Settings, SettingsError> {
        if let Some((key, reason)) = raw.not_implemented() {
            return Err(SettingsError::NotImplemented { key, reason });
        }
        let environment = match raw.0.get("environment") {
            None => Environment::default(),
            Some(value) => Lenient::new(value.clone(), "environment").read()?,
        };
        let mut table = toml::Table::try_from(Settings::defaults_for(environment))
            .expect("the default settings serialise");
        raw::merge(&mut table, raw.0.clone());
        let mut settings: Settings = Lenient::new(Value::Table(table), "").read()?;
        settings.check_bulk()?;
        settings.build_rules()?;
        Ok(settings)
    }

    fn check_bulk(&self) -> Result<(), SettingsError> {
        let invalid = |key: &str, message: &str| SettingsError::Invalid {
            key: key.to_owned(),
            message: message.to_owned(),
        };
        let b = &self.bulk;
        if b.max_documents == 0 {
            return Err(invalid("bulk.max_documents", "must be at least 1"));
        }
        if b.concurrency == 0 || b.concurrency > 256 {
            return Err(invalid("bulk.concurrency", "must be from 1 to 256"));
        }
        if b.retention_days < 1 {
            return Err(invalid("bulk.retention_days", "must be at least 1"));
        }
        Ok(())
    }

    /// Builds [`Settings::rules`], the only place the core's validation settings are made, reading
    /// the operator's HSN and port files.
    fn build_rules(&mut self) -> Result<(), SettingsError> {
        let v = &self.validation;
        let mut digests = BTreeMap::new();
        let hsn_master = match &v.hsn_master {
            HsnMasterSource::Shipped => HsnMasterSetting::Shipped,
            HsnMasterSource::Off => HsnMasterSetting::Off,
            HsnMasterSource::File(path) => {
                let text = read_master("validation.hsn_master", path, &mut digests)?;
                let codes = first_column(&text).map(str::trim);
                HsnMasterSetting::Custom(Arc::new(HsnMaster::from_codes(codes)))
            }
        };
        let ports = match &v.ports {
            None => None,
            Some(path) => {
                let text = read_master("validation.ports", path, &mut digests)?;
                let codes = first_column(&text).map(|code| code.trim().to_ascii_uppercase());
                Some(Arc::new(codes.filter(|code| !code.is_empty()).collect()))
            }
        };
        let r = &self.reporting_limit;
        self.rules = Rules {
            doc_date_floor: v.doc_date_floor,
            date_year_range: v.date_year_range,
            reporting_window_days: r.window_days,
            reporting_counting: r.counting,
            reporting_schedule: r.schedule.clone(),
            gst_rates: v.gst_rates.clone(),
            hsn_min_digits_high: v.hsn_min_digits_high,
            hsn_min_digits_low: v.hsn_min_digits_low,
            hsn_aato_threshold_inr: v.hsn_aato_threshold_inr,
            hsn_master,
            ports,
            pin_state_check: v.pin_state_check,
            enforce_2245: v.enforce_2245,
            enforce_2264: v.enforce_2264,
            allowed_supplier_types: v.allowed_supplier_types.clone(),
            export_required_fields: v.export_required_fields.clone(),
            item_tolerance: v.item_tolerance,
            total_tolerance: v.total_tolerance,
            invoice_tolerance: v.invoice_tolerance,
            strict_decimals: v.strict_decimals,
            empty_string_as_absent: v.empty_string_as_absent,
            strict_gstin_checksum: v.strict_gstin_checksum,
            max_errors: v.max_errors,
            max_items: self.limits.max_items,
            uppercase_docno: self.irn.uppercase_docno,
        };
        self.file_digests = digests;
        Ok(())
    }

    /// Every setting that must be identical on all nodes of both portals (`10` §2), one
    /// `key = value` line each, sorted by key, after [`SHARED_TEXT_HEADER`]: the serialised
    /// settings less [`PER_NODE_SECTIONS`], an operator file's digest in place of its path, and
    /// the auth key's fingerprint (the shared auth key must be the same everywhere too).
    pub fn shared_text(&self, auth_key_fingerprint: &str) -> String {
        // Only paths could fail to serialise, and they were read from UTF-8 text.
        let mut table = toml::Table::try_from(self).expect("settings serialise");
        for section in PER_NODE_SECTIONS {
            table.remove(*section);
        }
        let mut values = Vec::new();
        raw::leaves(&table, "", &mut values);
        let mut lines: BTreeMap<String, String> = values
            .into_iter()
            .map(|(key, value)| (key, value.to_string()))
            .collect();
        for (key, digest) in &self.file_digests {
            lines.insert(key.clone(), quoted(&format!("sha256:{digest}")));
        }
        lines.insert(
            "keys.auth_public_key_sha256".to_owned(),
            quoted(auth_key_fingerprint),
        );
        let mut text = SHARED_TEXT_HEADER.to_owned();
        for (key, value) in lines {
            text.push_str(&format!("{key} = {value}\n"));
        }
        text
    }

    /// The portal's `irp` header name: `NIC1` or `NIC2`.
    pub fn irp_name(&self) -> &'static str {
        if self.portal.id == 2 { "NIC2" } else { "NIC1" }
    }
}

fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// Reads an operator's master file (a CSV with a header line) and records its digest.
fn read_master(
    key: &str,
    path: impl AsRef<Path>,
    digests: &mut BTreeMap<String, String>,
) -> Result<String, SettingsError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|error| SettingsError::Invalid {
        key: key.to_owned(),
        message: format!("cannot read {}: {error}", path.display()),
    })?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    digests.insert(key.to_owned(), crate::secrets::hex(digest.as_ref()));
    Ok(text)
}

fn first_column(csv: &str) -> impl Iterator<Item = &str> {
    csv.lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
}
