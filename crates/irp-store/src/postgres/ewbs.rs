//! E-way bills on PostgreSQL (`06` §5–§6), at READ COMMITTED like every change of this store:
//! - at most one active e-way bill per IRN is the partial unique index `ewbs_active`; an insert
//!   is `ON CONFLICT (irn) WHERE status = 'ACT' DO NOTHING`, which waits for a concurrent
//!   insert's commit or rollback, so a loser reads the committed winner, never a rolled-back one;
//! - an active e-way bill and the cancellation of its IRN exclude each other through the invoice
//!   row: `insert_ewb` holds it `FOR SHARE` until it commits and refuses an IRN that is no longer
//!   active, while `cancel_invoice` locks it `FOR UPDATE` before the statement that checks for an
//!   active e-way bill, so that statement's snapshot includes any e-way bill committed meanwhile;
//! - cancellation is an `UPDATE … WHERE status = 'ACT'`, re-checked after any row lock it waits
//!   for, so exactly one of concurrent cancels changes the record.

use async_trait::async_trait;
use irp_core::irn::Irn;
use sqlx::postgres::PgConnection;

use super::{PostgresStore, audit, commit};
use crate::audit::event;
use crate::errors::{conflict_or, db_error};
use crate::rows::{EwbParams, EwbRow, ewb_cancel_detail, ewb_columns, int};
use crate::{
    CancelOutcome, EwayBills, EwbCancellation, EwbInsert, EwbRecord, EwbStatus, StoreError,
    StoreResult,
};

#[async_trait]
impl EwayBills for PostgresStore {
    async fn insert_ewb(&self, record: &EwbRecord) -> StoreResult<EwbInsert> {
        const OP: &str = "insert_ewb";
        let p = EwbParams::new(record)?;
        let c = record.cancellation.as_ref();
        let mut tx = self.write(OP).await?;
        // Held until commit: a concurrent `cancel_invoice` waits for this transaction, then sees the
        // e-way bill; if it came first, this waits for it and reads the cancelled status.
        let (irn_status,): (String,) =
            sqlx::query_as("SELECT status FROM invoices WHERE irn = $1 FOR SHARE")
                .bind(record.irn.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?
                .ok_or(StoreError::NotFound)?;
        if record.status == EwbStatus::Active && irn_status != "ACT" {
            return Err(StoreError::Conflict("the IRN is not active".into()));
        }
        for _ in 0..INSERT_ATTEMPTS {
            // Only a second active e-way bill of the IRN is skipped; a taken EwbNo is an error.
            let inserted: Option<(i64,)> = sqlx::query_as(concat!(
                "INSERT INTO ewbs (",
                ewb_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                 ON CONFLICT (irn) WHERE status = 'ACT' DO NOTHING RETURNING ewb_no"
            ))
            .bind(p.ewb_no)
            .bind(record.irn.as_str())
            .bind(record.status.code())
            .bind(&record.gen_gstin)
            .bind(record.ewb_dt)
            .bind(record.valid_till)
            .bind(p.distance_km)
            .bind(&record.trans_mode)
            .bind(&record.trans_id)
            .bind(&record.trans_name)
            .bind(&record.trans_doc_no)
            .bind(record.trans_doc_dt)
            .bind(&record.veh_no)
            .bind(&record.veh_type)
            .bind(p.portal)
            .bind(c.map(|c| c.at))
            .bind(p.cancel_reason)
            .bind(c.and_then(|c| c.remark.as_deref()))
            .bind(c.map(|c| c.by_gstin.as_str()))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| conflict_or(OP, "e-way bill number is taken", e))?;
            if inserted.is_some() {
                audit(
                    &mut tx,
                    OP,
                    event::EWB_INSERT,
                    &p.subject(),
                    &p.audit_detail(),
                )
                .await?;
                commit(tx, OP).await?;
                return Ok(EwbInsert::Inserted);
            }
            // READ COMMITTED: this statement's snapshot includes the winner's commit. It may also
            // include a cancellation of the winner committed since, and then the insert is retried.
            if let Some(active) = latest_in(&mut tx, OP, record.irn.as_str(), true).await? {
                commit(tx, OP).await?;
                return Ok(EwbInsert::ActiveExists(active));
            }
        }
        Err(StoreError::Database(format!(
            "{OP}: the active e-way bill kept changing"
        )))
    }

    async fn latest_ewb(&self, irn: &Irn) -> StoreResult<Option<EwbRecord>> {
        let irn = irn.as_str();
        const OP: &str = "latest_ewb";
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.pool_error(OP, e))?;
        latest_in(&mut conn, OP, irn, false).await
    }

    async fn ewb(&self, ewb_no: u64) -> StoreResult<Option<EwbRecord>> {
        const OP: &str = "ewb";
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.pool_error(OP, e))?;
        ewb_in(&mut conn, OP, ewb_no).await
    }

    async fn cancel_ewb(
        &self,
        ewb_no: u64,
        cancellation: &EwbCancellation,
    ) -> StoreResult<CancelOutcome<EwbRecord>> {
        const OP: &str = "cancel_ewb";
        let number: i64 = int(ewb_no, "ewbs.ewb_no")?;
        let reason: i16 = int(cancellation.reason, "ewbs.cancel_reason")?;
        let mut tx = self.write(OP).await?;
        let cancelled: Option<(String,)> = sqlx::query_as(
            "UPDATE ewbs SET status = 'CNL', cancel_at = $1, cancel_reason = $2, cancel_remark = $3,
                cancelled_by = $4
             WHERE ewb_no = $5 AND status = 'ACT'
             RETURNING irn",
        )
        .bind(cancellation.at)
        .bind(reason)
        .bind(&cancellation.remark)
        .bind(&cancellation.by_gstin)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        let by_this_call = cancelled.is_some();
        if let Some((irn,)) = cancelled {
            let detail = ewb_cancel_detail(&irn, cancellation);
            audit(&mut tx, OP, event::EWB_CANCEL, &ewb_no.to_string(), &detail).await?;
        }
        let record = ewb_in(&mut tx, OP, ewb_no)
            .await?
            .ok_or(StoreError::NotFound)?;
        commit(tx, OP).await?;
        Ok(CancelOutcome {
            record,
            by_this_call,
        })
    }
}

/// How often `insert_ewb` tries again when the active e-way bill that refused it was cancelled
/// before it could be read. Each retry needs another cancellation to commit in that instant.
const INSERT_ATTEMPTS: u32 = 5;

pub(super) async fn ewb_in(
    conn: &mut PgConnection,
    op: &'static str,
    ewb_no: u64,
) -> StoreResult<Option<EwbRecord>> {
    let ewb_no: i64 = int(ewb_no, "ewbs.ewb_no")?;
    let row: Option<EwbRow> = sqlx::query_as(concat!(
        "SELECT ",
        ewb_columns!(),
        " FROM ewbs WHERE ewb_no = $1"
    ))
    .bind(ewb_no)
    .fetch_optional(conn)
    .await
    .map_err(|e| db_error(op, e))?;
    row.map(EwbRecord::try_from).transpose()
}

/// The e-way bill of `irn` that sorts last by (EwbDt, EwbNo); with `active_only`, the active one.
async fn latest_in(
    conn: &mut PgConnection,
    op: &'static str,
    irn: &str,
    active_only: bool,
) -> StoreResult<Option<EwbRecord>> {
    let sql = if active_only {
        concat!(
            "SELECT ",
            ewb_columns!(),
            " FROM ewbs WHERE irn = $1 AND status = 'ACT'"
        )
    } else {
        concat!(
            "SELECT ",
            ewb_columns!(),
            " FROM ewbs WHERE irn = $1 ORDER BY ewb_dt DESC, ewb_no DESC LIMIT 1"
        )
    };
    let row: Option<EwbRow> = sqlx::query_as(sql)
        .bind(irn)
        .fetch_optional(conn)
        .await
        .map_err(|e| db_error(op, e))?;
    row.map(EwbRecord::try_from).transpose()
}
