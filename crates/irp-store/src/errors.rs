//! Mapping database failures to [`StoreError`].
//!
//! Messages name the operation and the kind of failure (SQLSTATE or SQLite code, constraint,
//! table) and nothing else: driver messages can quote bound values (PostgreSQL's "invalid input
//! syntax … \"value\""), and a bound value may be a hash or a sealed token. The full driver error
//! is dropped on purpose.

use crate::StoreError;

/// Maps a failure of `op` (a store method name). Unique violations are the caller's to judge
/// (see [`is_unique_violation`]); a foreign-key violation means a record the change refers to
/// (a user's client, a session's user) does not exist, which is [`StoreError::NotFound`].
pub(crate) fn db_error(op: &'static str, error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => StoreError::Database(format!("{op}: {}", describe(&error))),
    }
}

/// The kind of a driver failure, without any text the driver took from the request.
pub(crate) fn describe(error: &sqlx::Error) -> String {
    use sqlx::Error as E;
    match error {
        E::Database(db) => {
            let mut what = format!("database error {:?}", db.kind());
            if let Some(code) = db.code() {
                what.push_str(&format!(" (code {code})"));
            }
            if let Some(constraint) = db.constraint() {
                what.push_str(&format!(" on constraint {constraint}"));
            } else if let Some(table) = db.table() {
                what.push_str(&format!(" on table {table}"));
            }
            what
        }
        E::Io(io) => format!("i/o error ({:?})", io.kind()),
        E::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        E::PoolClosed => "the connection pool is closed".to_owned(),
        E::WorkerCrashed => "the database worker crashed".to_owned(),
        E::Tls(_) => "TLS error".to_owned(),
        E::Protocol(_) => "protocol error".to_owned(),
        E::Configuration(_) => "configuration error".to_owned(),
        E::ColumnDecode { index, .. } => format!("could not decode column {index}"),
        E::ColumnNotFound(column) => format!("column {column} not found"),
        E::Decode(_) => "could not decode a value".to_owned(),
        E::Encode(_) => "could not encode a value".to_owned(),
        E::Migrate(_) => "migration failed".to_owned(),
        E::RowNotFound => "row not found".to_owned(),
        _ => "unexpected database failure".to_owned(),
    }
}

/// Why a connection could not be opened, for the operator starting a node: the server's own
/// message (a missing role or database, a refused password) or the system's (connection
/// refused). A connection carries no bound values yet, so there is nothing to hide here.
pub(crate) fn describe_connect(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_owned(),
        },
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        other => describe(other),
    }
}

/// Whether `error` is a unique-key violation (a taken user name or client id).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Like [`db_error`], but a unique violation is [`StoreError::Conflict`] with `what`.
pub(crate) fn conflict_or(op: &'static str, what: &str, error: sqlx::Error) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::Conflict(what.to_owned())
    } else {
        db_error(op, error)
    }
}

/// A migration failure, described without the driver's text.
pub(crate) fn migrate_error(error: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    let what = match &error {
        M::Execute(e) => describe(e),
        M::ExecuteMigration(e, v) => format!("migration {v}: {}", describe(e)),
        M::VersionMissing(v) => format!("applied migration {v} is missing from this build"),
        M::VersionMismatch(v) => format!("applied migration {v} differs from this build"),
        M::Dirty(v) => format!("migration {v} was left partially applied"),
        _ => "failed".to_owned(),
    };
    StoreError::Database(format!("migrate: {what}"))
}
