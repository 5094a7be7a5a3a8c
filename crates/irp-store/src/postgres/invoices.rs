//! Invoices on PostgreSQL: registration, cancellation and rejected IRNs (`06` §1–§2).

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use irp_core::invoice::Gstin;
use irp_core::irn::Irn;
use sqlx::postgres::PgConnection;

use super::{PostgresStore, audit, commit};
use crate::audit::event;
use crate::errors::db_error;
use crate::group_commit;
use crate::rows::{InvoiceParams, InvoiceRow, SummaryRow, int, invoice_columns};
use crate::{
    ActivityCounts, BulkElementRef, CancelOutcome, Cancellation, InvoiceRecord, InvoiceSearch,
    InvoiceSummary, Invoices, NewInvoice, Registration, StoreError, StoreResult,
};

#[async_trait]
impl Invoices for PostgresStore {
    async fn invoice(&self, irn: &Irn) -> StoreResult<Option<InvoiceRecord>> {
        let irn = irn.as_str();
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.pool_error("invoice", e))?;
        invoice_in(&mut conn, "invoice", irn).await
    }

    /// Group commit: the records in one transaction and one fsync, written with one multi-row
    /// insert and one multi-row audit insert, so a batch costs a handful of statements rather than
    /// two per record. The sessions the batch names are read first, in the same transaction, so a
    /// record whose session has ended is not written (see `group_commit::admit` for the
    /// order, which keeps racing batches from deadlocking). If the transaction fails, no record of
    /// the batch is registered and every caller gets the error.
    async fn insert_invoices(&self, batch: &[NewInvoice]) -> StoreResult<Vec<Registration>> {
        const OP: &str = "insert_invoices";
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // Before the write lock: this packs every signed invoice not packed already.
        let params = batch
            .iter()
            .map(|new| InvoiceParams::new(&new.record, new.packed_signed_invoice.as_ref()))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut tx = self.write(OP).await?;
        let live = live_sessions(&mut tx, &group_commit::session_tokens(batch)).await?;
        let (order, mut results) = group_commit::admit(batch, &live);
        if order.is_empty() {
            commit(tx, OP).await?;
            return Ok(results.into_iter().flatten().collect());
        }
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(concat!(
            "INSERT INTO invoices (",
            invoice_columns!(),
            ") "
        ));
        insert.push_values(order.iter().map(|i| &params[*i]), |mut row, p| {
            let r = p.record;
            let c = r.cancellation.as_ref();
            row.push_bind(r.irn.as_str())
                .push_bind(r.seller_gstin.as_str())
                .push_bind(r.ecm_gstin.as_ref().map(Gstin::as_str))
                .push_bind(r.doc_type.code())
                .push_bind(&r.doc_no)
                .push_bind(r.doc_date)
                .push_bind(p.ack_no)
                .push_bind(r.ack_dt)
                .push_bind(r.status.code())
                .push_bind(p.portal)
                .push_bind(&r.generated_by)
                .push_bind(p.signed_invoice_text())
                .push_bind(&r.signed_qr_code)
                .push_bind(c.map(|c| c.at))
                .push_bind(p.cancel_reason)
                .push_bind(c.and_then(|c| c.remark.clone()))
                .push_bind(c.map(|c| c.by_gstin.clone()))
                .push_bind(p.cancel_portal)
                .push_bind(p.signed_invoice_packed.as_deref())
                .push_bind(r.buyer_gstin.as_deref());
        });
        insert.push(" ON CONFLICT (irn) DO NOTHING RETURNING irn");
        let inserted: Vec<(String,)> = insert
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?;
        let mut fresh: HashSet<String> = inserted.into_iter().map(|(irn,)| irn).collect();
        let mut audited = Vec::with_capacity(fresh.len());
        for index in &order {
            let record = &batch[*index].record;
            if fresh.remove(record.irn.as_str()) {
                results[*index] = Some(Registration::Inserted);
                audited.push(&params[*index]);
            } else {
                // Registered before, by another batch, or by an earlier record of this batch. The
                // insert waited for a concurrent winner's transaction, and at READ COMMITTED this
                // statement's snapshot includes its commit.
                let winner = invoice_in(&mut tx, OP, record.irn.as_str())
                    .await?
                    .ok_or_else(|| {
                        StoreError::Database(format!("{OP}: conflicting record not found"))
                    })?;
                results[*index] = Some(Registration::Duplicate(winner));
            }
        }
        // A bulk task's element is marked registered in the registration's own transaction.
        for index in &order {
            let new = &batch[*index];
            if let (Some(element), Some(Registration::Inserted)) =
                (&new.bulk_element, &results[*index])
            {
                sqlx::query(
                    "UPDATE bulk_elements SET applied_irn = $1 WHERE task_id = $2 AND idx = $3",
                )
                .bind(new.record.irn.as_str())
                .bind(&element.task_id)
                .bind(i64::from(element.index))
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
            }
        }
        if !audited.is_empty() {
            let at = crate::audit::ist_now();
            let mut audit_rows = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                "INSERT INTO audit (at, event, subject, detail) ",
            );
            audit_rows.push_values(&audited, |mut row, p| {
                row.push_bind(at)
                    .push_bind(event::INVOICE_INSERT)
                    .push_bind(p.record.irn.as_str())
                    .push_bind(p.audit_detail());
            });
            audit_rows
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        }
        commit(tx, OP).await?;
        Ok(results
            .into_iter()
            .map(|r| r.expect("every record was inserted, found or refused"))
            .collect())
    }

    async fn cancel_invoice_for(
        &self,
        irn: &Irn,
        cancellation: &Cancellation,
        element: Option<&BulkElementRef>,
    ) -> StoreResult<CancelOutcome<InvoiceRecord>> {
        let irn = irn.as_str();
        const OP: &str = "cancel_invoice";
        let reason: i16 = int(cancellation.reason, "invoices.cancel_reason")?;
        let portal: i16 = int(cancellation.portal, "invoices.cancel_portal")?;
        let mut tx = self.write(OP).await?;
        // C-07: an IRN with an active e-way bill stays active (`2230`). Lock the invoice row first:
        // an `insert_ewb` in progress holds it `FOR SHARE`, so this waits for that e-way bill to
        // commit, and the update below (a new statement, so a new snapshot at READ COMMITTED) sees
        // it. Checked inside the update alone, a snapshot taken before that commit would miss it.
        let exists: Option<(String,)> =
            sqlx::query_as("SELECT irn FROM invoices WHERE irn = $1 FOR UPDATE")
                .bind(irn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let cancelled = sqlx::query(
            "UPDATE invoices SET status = 'CNL', cancelled_at = $1, cancel_reason = $2,
                cancel_remark = $3, cancelled_by = $4, cancel_portal = $5
             WHERE irn = $6 AND status = 'ACT'
               AND NOT EXISTS (SELECT 1 FROM ewbs WHERE ewbs.irn = invoices.irn AND ewbs.status = 'ACT')",
        )
        .bind(cancellation.at)
        .bind(reason)
        .bind(&cancellation.remark)
        .bind(&cancellation.by_gstin)
        .bind(portal)
        .bind(irn)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?
        .rows_affected()
            == 1;
        if cancelled {
            let detail = format!(
                "reason={} by={} portal={}",
                reason, cancellation.by_gstin, portal
            );
            audit(&mut tx, OP, event::INVOICE_CANCEL, irn, &detail).await?;
            if let Some(element) = element {
                sqlx::query(
                    "UPDATE bulk_elements SET applied_irn = $1 WHERE task_id = $2 AND idx = $3",
                )
                .bind(irn)
                .bind(&element.task_id)
                .bind(i64::from(element.index))
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
            }
        }
        let record = invoice_in(&mut tx, OP, irn)
            .await?
            .ok_or(StoreError::NotFound)?;
        commit(tx, OP).await?;
        Ok(CancelOutcome {
            record,
            by_this_call: cancelled,
        })
    }

    async fn rejected_irns(
        &self,
        supplier: &str,
        operator: Option<&str>,
        date: NaiveDate,
    ) -> StoreResult<Vec<Irn>> {
        let from = date.and_time(NaiveTime::MIN);
        let until = date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN);
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT irn FROM invoices
             WHERE status = 'REJ' AND seller_gstin = $1 AND ack_dt >= $2 AND ack_dt < $3
               AND ($4::text IS NULL OR ecm_gstin = $4)
             ORDER BY ack_dt, irn",
        )
        .bind(supplier.to_ascii_uppercase())
        .bind(from)
        .bind(until)
        .bind(operator.map(str::to_ascii_uppercase))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.pool_error("rejected_irns", e))?;
        rows.into_iter()
            .map(|(irn,)| Irn::parse(&irn).ok_or_else(|| crate::rows::corrupt("invoices.irn")))
            .collect()
    }

    async fn search_invoices(&self, search: &InvoiceSearch) -> StoreResult<Vec<InvoiceSummary>> {
        let rows: Vec<SummaryRow> = crate::search::search_query::<sqlx::Postgres>(search)
            .build_query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.pool_error("search_invoices", e))?;
        rows.into_iter().map(InvoiceSummary::try_from).collect()
    }

    async fn activity_since(
        &self,
        party: &str,
        since: NaiveDateTime,
    ) -> StoreResult<ActivityCounts> {
        let (generated, cancelled, ewbs): (i64, i64, i64) =
            crate::search::activity_query::<sqlx::Postgres>(party, since)
                .build_query_as()
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.pool_error("activity_since", e))?;
        Ok(ActivityCounts {
            generated: int(generated, "activity.generated")?,
            cancelled: int(cancelled, "activity.cancelled")?,
            ewbs: int(ewbs, "activity.ewbs")?,
        })
    }
}

pub(super) async fn invoice_in(
    conn: &mut PgConnection,
    op: &'static str,
    irn: &str,
) -> StoreResult<Option<InvoiceRecord>> {
    let row: Option<InvoiceRow> = sqlx::query_as(concat!(
        "SELECT ",
        invoice_columns!(),
        " FROM invoices WHERE irn = $1"
    ))
    .bind(irn)
    .fetch_optional(conn)
    .await
    .map_err(|e| db_error(op, e))?;
    row.map(InvoiceRecord::try_from).transpose()
}

/// Which of `tokens` still name a session, read and share-locked in the batch's transaction.
async fn live_sessions(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    tokens: &[&str],
) -> StoreResult<HashSet<String>> {
    if tokens.is_empty() {
        return Ok(HashSet::new());
    }
    // `FOR SHARE`: a session another node is ending (deleting, or replacing by a new login)
    // has its end committed either wholly before this batch, and is read as ended, or wholly
    // after it. Rows are locked in token order, as `end_sessions` locks them, so the two
    // cannot deadlock.
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM sessions WHERE token_hash = ANY($1) ORDER BY token_hash FOR SHARE",
    )
    .bind(tokens)
    .fetch_all(&mut **tx)
    .await
    .map_err(|e| db_error("insert_invoices", e))?;
    Ok(rows.into_iter().map(|(token,)| token).collect())
}
