//! E-way bills on SQLite (`06` §5–§6). Each change runs under the file's write lock (see the
//! parent module), so the active e-way bill read after a refused insert, or the record after a
//! cancellation, is committed and cannot change before the transaction ends. The partial unique
//! index `ewbs_active` still enforces "at most one active e-way bill per IRN" on its own.

use async_trait::async_trait;
use irp_core::irn::Irn;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, audit, commit};
use crate::audit::event;
use crate::errors::{conflict_or, db_error};
use crate::rows::{EwbParams, EwbRow, ewb_cancel_detail, ewb_columns, int};
use crate::{
    CancelOutcome, EwayBills, EwbCancellation, EwbInsert, EwbRecord, EwbStatus, StoreError,
    StoreResult,
};

#[async_trait]
impl EwayBills for SqliteStore {
    async fn insert_ewb(&self, record: &EwbRecord) -> StoreResult<EwbInsert> {
        const OP: &str = "insert_ewb";
        let p = EwbParams::new(record)?;
        let c = record.cancellation.as_ref();
        let mut tx = self.write(OP).await?;
        // An active e-way bill needs an active IRN: `cancel_invoice` runs under the same write lock,
        // so the IRN cannot be cancelled between this check and the commit.
        let (irn_status,): (String,) = sqlx::query_as("SELECT status FROM invoices WHERE irn = ?")
            .bind(record.irn.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?
            .ok_or(StoreError::NotFound)?;
        if record.status == EwbStatus::Active && irn_status != "ACT" {
            return Err(StoreError::Conflict("the IRN is not active".into()));
        }
        // Only a second active e-way bill of the IRN is skipped; a taken EwbNo is an error.
        let inserted = sqlx::query(concat!(
            "INSERT INTO ewbs (",
            ewb_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (irn) WHERE status = 'ACT' DO NOTHING"
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
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(OP, "e-way bill number is taken", e))?
        .rows_affected()
            == 1;
        if inserted {
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
        let active = latest_in(&mut tx, OP, record.irn.as_str(), true)
            .await?
            .ok_or_else(|| StoreError::Database(format!("{OP}: conflicting record not found")))?;
        commit(tx, OP).await?;
        Ok(EwbInsert::ActiveExists(active))
    }

    async fn latest_ewb(&self, irn: &Irn) -> StoreResult<Option<EwbRecord>> {
        let irn = irn.as_str();
        const OP: &str = "latest_ewb";
        let mut conn = self.reader.acquire().await.map_err(|e| db_error(OP, e))?;
        latest_in(&mut conn, OP, irn, false).await
    }

    async fn ewb(&self, ewb_no: u64) -> StoreResult<Option<EwbRecord>> {
        const OP: &str = "ewb";
        let mut conn = self.reader.acquire().await.map_err(|e| db_error(OP, e))?;
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
            "UPDATE ewbs SET status = 'CNL', cancel_at = ?, cancel_reason = ?, cancel_remark = ?,
                cancelled_by = ?
             WHERE ewb_no = ? AND status = 'ACT'
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

pub(super) async fn ewb_in(
    conn: &mut SqliteConnection,
    op: &'static str,
    ewb_no: u64,
) -> StoreResult<Option<EwbRecord>> {
    let ewb_no: i64 = int(ewb_no, "ewbs.ewb_no")?;
    let row: Option<EwbRow> = sqlx::query_as(concat!(
        "SELECT ",
        ewb_columns!(),
        " FROM ewbs WHERE ewb_no = ?"
    ))
    .bind(ewb_no)
    .fetch_optional(conn)
    .await
    .map_err(|e| db_error(op, e))?;
    row.map(EwbRecord::try_from).transpose()
}

/// The e-way bill of `irn` that sorts last by (EwbDt, EwbNo); with `active_only`, the active one.
async fn latest_in(
    conn: &mut SqliteConnection,
    op: &'static str,
    irn: &str,
    active_only: bool,
) -> StoreResult<Option<EwbRecord>> {
    let sql = if active_only {
        concat!(
            "SELECT ",
            ewb_columns!(),
            " FROM ewbs WHERE irn = ? AND status = 'ACT'"
        )
    } else {
        concat!(
            "SELECT ",
            ewb_columns!(),
            " FROM ewbs WHERE irn = ? ORDER BY ewb_dt DESC, ewb_no DESC LIMIT 1"
        )
    };
    let row: Option<EwbRow> = sqlx::query_as(sql)
        .bind(irn)
        .fetch_optional(conn)
        .await
        .map_err(|e| db_error(op, e))?;
    row.map(EwbRecord::try_from).transpose()
}
