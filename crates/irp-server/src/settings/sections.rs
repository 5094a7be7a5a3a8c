//! One struct per section of `10-decisions.md` §2. A field's name is its key, its `Default` the
//! spec's production default; `docs/CONFIGURATION.md` says what each one means.
//!
//! Validation and distance defaults are taken from `Rules::default()` and `EwbSettings::default()`,
//! the core's copy of the spec's table, so that they are written down once.

use std::path::PathBuf;

use chrono::NaiveDate;
use irp_core::ewb::EwbSettings;
use irp_core::qr::QrEcc;
use irp_core::register::TaxpayerType;
use irp_core::rules::{Counting, ExportField, ReportingThreshold, Rules};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::forms;

/// `compat` (README of the spec): `native` removes NIC's limitations, `nic` copies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    #[default]
    Native,
    Nic,
}

/// `environment`: `production` or `sandbox` (D-48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Sandbox,
}

/// `[portal]`: per portal and per node (P), never shared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Portal {
    /// 1 (IRP-1) or 2 (IRP-2).
    #[serde(deserialize_with = "forms::within::<_, 1, 2>")]
    pub id: u8,
    #[serde(deserialize_with = "forms::within::<_, 1, 9>")]
    pub node_digit: u8,
    pub jws_iss: String,
    pub signing_key: Option<PathBuf>,
    pub signing_cert: Option<PathBuf>,
}

impl Default for Portal {
    fn default() -> Portal {
        Portal {
            id: 1,
            node_digit: 1,
            jws_iss: "NIC".to_owned(),
            signing_key: None,
            signing_cert: None,
        }
    }
}

/// `[keys]`: where this node finds the shared auth key; the key itself is compared between nodes
/// by its fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Keys {
    pub auth_private_key: Option<PathBuf>,
    pub auth_rsa_bits: u32,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            auth_private_key: None,
            auth_rsa_bits: 2048,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    pub token_minutes: i64,
    pub force_refresh_window_minutes: i64,
    /// Failed logins in a row before a user is locked out.
    pub max_failed_logins: u32,
    pub lockout_minutes: i64,
}

impl Default for Auth {
    fn default() -> Auth {
        Auth {
            token_minutes: 360,
            force_refresh_window_minutes: 10,
            max_failed_logins: 5,
            lockout_minutes: 15,
        }
    }
}

/// `server.*`: how a node guards itself against what reaches its port (issue #15). Per node,
/// since each node's limits follow its own cores, memory and open-file limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Open connections at most; `0` takes the open-file limit less a reserve for the
    /// registry and files. Beyond it a connection gets HTTP 503 and is closed.
    pub max_connections: usize,
    /// Requests being handled at once; beyond it a request gets HTTP 503 with `5002`.
    pub max_requests_in_flight: usize,
    /// The whole request head must arrive within this, and an idle connection is closed after it.
    pub header_read_timeout_seconds: u64,
    /// The whole body must arrive within this once the request has been let in.
    pub body_timeout_seconds: u64,
    /// Password checks at once (each takes about 19 MiB and a core for some 20 ms); `0` means
    /// half the cores, at least one.
    pub max_concurrent_password_checks: usize,
    /// Logins waiting for a password check; beyond it a login gets `1007` at once.
    pub max_waiting_logins: usize,
    /// How long a login may wait for a password check before it gets `1007`.
    pub login_wait_seconds: u64,
    /// Logins per minute through one API client on this node; `0` means no limit.
    pub logins_per_minute_per_client: u32,
    /// Logins per minute of one user name through one API client on this node; `0` means no limit.
    pub logins_per_minute_per_user: u32,
}

impl Default for Server {
    fn default() -> Server {
        Server {
            max_connections: 0,
            max_requests_in_flight: 512,
            header_read_timeout_seconds: 20,
            body_timeout_seconds: 30,
            max_concurrent_password_checks: 0,
            max_waiting_logins: 256,
            login_wait_seconds: 10,
            logins_per_minute_per_client: 600,
            logins_per_minute_per_user: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_body_bytes_large: usize,
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 2 * 1024 * 1024,
            max_body_bytes_large: 8 * 1024 * 1024,
            max_items: Rules::default().max_items,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Irn {
    pub uppercase_docno: bool,
}

impl Default for Irn {
    fn default() -> Irn {
        Irn {
            uppercase_docno: Rules::default().uppercase_docno,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ack {
    pub envelope_minute_rounding: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Signing {
    pub default_disp_ship: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cancel {
    pub window_hours: i64,
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel { window_hours: 24 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retrieval {
    pub irn_window_hours: i64,
    pub doc_window_hours: i64,
}

impl Default for Retrieval {
    fn default() -> Retrieval {
        Retrieval {
            irn_window_hours: 48,
            doc_window_hours: 72,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingLimit {
    pub window_days: i64,
    #[serde(with = "forms::one")]
    pub counting: Counting,
    #[serde(with = "forms::schedule")]
    pub schedule: Vec<ReportingThreshold>,
}

impl Default for ReportingLimit {
    fn default() -> ReportingLimit {
        let rules = Rules::default();
        ReportingLimit {
            window_days: rules.reporting_window_days,
            counting: rules.reporting_counting,
            schedule: rules.reporting_schedule,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Validation {
    #[serde(with = "forms::one")]
    pub doc_date_floor: Option<NaiveDate>,
    #[serde(with = "forms::year_range")]
    pub date_year_range: (i32, i32),
    pub gst_rates: Vec<Decimal>,
    pub hsn_min_digits_high: usize,
    pub hsn_min_digits_low: usize,
    pub hsn_aato_threshold_inr: u64,
    #[serde(with = "forms::one")]
    pub hsn_master: HsnMasterSource,
    pub pin_state_check: bool,
    pub enforce_2245: bool,
    #[serde(with = "forms::list")]
    pub allowed_supplier_types: Vec<TaxpayerType>,
    #[serde(with = "forms::list")]
    pub export_required_fields: Vec<ExportField>,
    pub enforce_2264: bool,
    pub item_tolerance: Decimal,
    pub total_tolerance: Decimal,
    pub invoice_tolerance: Decimal,
    pub strict_decimals: bool,
    pub empty_string_as_absent: bool,
    pub strict_gstin_checksum: bool,
    pub max_errors: usize,
    /// The path of a port master CSV file (`08` §9); none by default.
    pub ports: Option<PathBuf>,
}

/// `validation.hsn_master`: which HSN/SAC directory to check codes against (D-31).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HsnMasterSource {
    /// The shipped directory: `hsn-sac.csv` (the spec's name for it) or `shipped`.
    #[default]
    Shipped,
    /// `none`: no existence check.
    Off,
    /// An operator's CSV file, codes in the first column after a header line.
    File(PathBuf),
}

impl Default for Validation {
    fn default() -> Validation {
        let rules = Rules::default();
        Validation {
            doc_date_floor: rules.doc_date_floor,
            date_year_range: rules.date_year_range,
            gst_rates: rules.gst_rates,
            hsn_min_digits_high: rules.hsn_min_digits_high,
            hsn_min_digits_low: rules.hsn_min_digits_low,
            hsn_aato_threshold_inr: rules.hsn_aato_threshold_inr,
            hsn_master: HsnMasterSource::Shipped,
            pin_state_check: rules.pin_state_check,
            enforce_2245: rules.enforce_2245,
            allowed_supplier_types: rules.allowed_supplier_types,
            export_required_fields: rules.export_required_fields,
            enforce_2264: rules.enforce_2264,
            item_tolerance: rules.item_tolerance,
            total_tolerance: rules.total_tolerance,
            invoice_tolerance: rules.invoice_tolerance,
            strict_decimals: rules.strict_decimals,
            empty_string_as_absent: rules.empty_string_as_absent,
            strict_gstin_checksum: rules.strict_gstin_checksum,
            max_errors: rules.max_errors,
            ports: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ewb {
    pub distance_check: bool,
    pub road_factor: f64,
    pub max_distance_factor: f64,
    pub cancel_window_hours: i64,
}

impl Default for Ewb {
    fn default() -> Ewb {
        let core = EwbSettings::default();
        Ewb {
            distance_check: core.distance_check,
            road_factor: core.road_factor,
            max_distance_factor: core.max_distance_factor,
            cancel_window_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Print {
    #[serde(with = "forms::one")]
    pub qr_ecc: QrEcc,
}

/// The web mode (`docs/WEB.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Web {
    /// A web session ends after this many minutes without a page asked for.
    pub idle_minutes: i64,
    /// Mark the session cookie `Secure` on every answer; without it, only on answers to requests
    /// a TLS proxy forwarded with `X-Forwarded-Proto: https`. Set it when the portal is reached
    /// over TLS only.
    pub secure_cookies: bool,
}

impl Default for Web {
    fn default() -> Web {
        Web {
            idle_minutes: 30,
            secure_cookies: false,
        }
    }
}

/// Bulk tasks (`09` §2, `docs/BULK.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bulk {
    /// Elements a task may hold; more is `5002` (D-32).
    pub max_documents: usize,
    /// The raw body limit of `bulk/generate` and `bulk/cancel`, before decryption (D-32).
    pub max_body_bytes: usize,
    /// Days a task and its results are kept after submission.
    pub retention_days: i64,
    /// Elements a node processes at once. The single-call API keeps the rest of the signing
    /// pool and of the registry's group commit.
    pub concurrency: usize,
}

impl Default for Bulk {
    fn default() -> Bulk {
        Bulk {
            max_documents: 1000,
            max_body_bytes: 5 * 1024 * 1024,
            retention_days: 30,
            concurrency: 8,
        }
    }
}
