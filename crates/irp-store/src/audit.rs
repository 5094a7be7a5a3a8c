//! The audit trail: what every state change records, and the store's clock.
//!
//! Each backend writes the row in the transaction of the change it describes, so a change and
//! its audit row commit or vanish together. `subject` names what changed (an IRN, a user name, a
//! GSTIN, a client id, a kid); `detail` says how, and never holds a secret: no password or secret
//! hashes, no token hashes, no sealed tokens or SEKs.

use chrono::{DateTime, NaiveDateTime, TimeDelta};

/// One row of the audit table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// IST wall-clock time at which the row was written.
    pub at: NaiveDateTime,
    pub event: String,
    pub subject: String,
    pub detail: String,
}

/// Event names, one per kind of state change.
pub mod event {
    pub const TAXPAYER_UPSERT: &str = "taxpayer.upsert";
    pub const CLIENT_CREATE: &str = "client.create";
    pub const USER_CREATE: &str = "user.create";
    pub const USER_PASSWORD: &str = "user.password";
    pub const USER_ACTIVE: &str = "user.active";
    /// A password check reserved (counted as a failure until a success clears it).
    pub const USER_LOGIN_FAILURE: &str = "user.login_failure";
    pub const USER_LOGIN_CLEAR: &str = "user.login_clear";
    pub const LOGIN_REFUSED: &str = "login.refused";
    pub const SESSION_START: &str = "session.start";
    pub const SESSION_END: &str = "session.end";
    pub const INVOICE_INSERT: &str = "invoice.insert";
    pub const INVOICE_CANCEL: &str = "invoice.cancel";
    pub const ACK_RESERVE: &str = "ack.reserve";
    pub const EWB_INSERT: &str = "ewb.insert";
    pub const EWB_CANCEL: &str = "ewb.cancel";
    pub const EWB_RESERVE: &str = "ewb.reserve";
    pub const CERTIFICATE_PUBLISH: &str = "certificate.publish";
    pub const SETTINGS: &str = "settings.shared";
    pub const BULK_CREATE: &str = "bulk.create";
    pub const BULK_COMPLETE: &str = "bulk.complete";
    pub const BULK_PURGE: &str = "bulk.purge";
}

/// Now, as IST wall-clock time to the millisecond. Only the audit trail reads the clock: every
/// time of the domain (AckDt, session expiry, cancellation) is chosen by the caller.
pub(crate) fn ist_now() -> NaiveDateTime {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let millis = i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX);
    let utc = DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .naive_utc();
    utc + TimeDelta::minutes(330)
}
