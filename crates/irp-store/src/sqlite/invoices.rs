//! Invoices on SQLite: registration, cancellation and rejected IRNs (`06` §1–§2). Each change
//! runs under the file's write lock (see the parent module), so reading the winner of a
//! duplicate, or the record after a cancellation, sees committed data only.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use irp_core::invoice::Gstin;
use irp_core::irn::Irn;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, audit, commit};
use crate::audit::event;
use crate::errors::db_error;
use crate::group_commit;
use crate::rows::{InvoiceParams, InvoiceRow, SummaryRow, int, invoice_columns};
use crate::{
    ActivityCounts, BulkElementRef, CancelOutcome, Cancellation, InvoiceRecord, InvoiceSearch,
    InvoiceSummary, Invoices, NewInvoice, Registration, StoreError, StoreResult,
};

#[async_trait]
impl Invoices for SqliteStore {
    async fn invoice(&self, irn: &Irn) -> StoreResult<Option<InvoiceRecord>> {
        let irn = irn.as_str();
        let mut conn = self
            .reader
            .acquire()
            .await
            .map_err(|e| db_error("invoice", e))?;
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
        // `OR FAIL` rather than the default `ABORT` for every constraint but the IRN's: a failure
        // fails the whole transaction anyway (it is rolled back when `tx` drops), and a statement
        // that cannot abort needs no statement journal, which otherwise copies every page the
        // multi-row insert touches.
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(concat!(
            "INSERT OR FAIL INTO invoices (",
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
                // Registered before, by another batch, or by an earlier record of this batch.
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
                    "UPDATE bulk_elements SET applied_irn = ? WHERE task_id = ? AND idx = ?",
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
            let mut audit_rows = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR FAIL INTO audit (at, event, subject, detail) ",
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
        // C-07: an IRN with an active e-way bill stays active (`2230`). The check is part of the
        // conditional update, and `insert_ewb` runs under the same write lock.
        let cancelled = sqlx::query(
            "UPDATE invoices SET status = 'CNL', cancelled_at = ?, cancel_reason = ?,
                cancel_remark = ?, cancelled_by = ?, cancel_portal = ?
             WHERE irn = ? AND status = 'ACT'
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
                    "UPDATE bulk_elements SET applied_irn = ? WHERE task_id = ? AND idx = ?",
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
             WHERE status = 'REJ' AND seller_gstin = ? AND ack_dt >= ? AND ack_dt < ?
               AND (?4 IS NULL OR ecm_gstin = ?4)
             ORDER BY ack_dt, irn",
        )
        .bind(supplier.to_ascii_uppercase())
        .bind(from)
        .bind(until)
        .bind(operator.map(str::to_ascii_uppercase))
        .fetch_all(&self.reader)
        .await
        .map_err(|e| db_error("rejected_irns", e))?;
        rows.into_iter()
            .map(|(irn,)| Irn::parse(&irn).ok_or_else(|| crate::rows::corrupt("invoices.irn")))
            .collect()
    }

    async fn search_invoices(&self, search: &InvoiceSearch) -> StoreResult<Vec<InvoiceSummary>> {
        let rows: Vec<SummaryRow> = crate::search::search_query::<sqlx::Sqlite>(search)
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(|e| db_error("search_invoices", e))?;
        rows.into_iter().map(InvoiceSummary::try_from).collect()
    }

    async fn activity_since(
        &self,
        party: &str,
        since: NaiveDateTime,
    ) -> StoreResult<ActivityCounts> {
        let (generated, cancelled, ewbs): (i64, i64, i64) =
            crate::search::activity_query::<sqlx::Sqlite>(party, since)
                .build_query_as()
                .fetch_one(&self.reader)
                .await
                .map_err(|e| db_error("activity_since", e))?;
        Ok(ActivityCounts {
            generated: int(generated, "activity.generated")?,
            cancelled: int(cancelled, "activity.cancelled")?,
            ewbs: int(ewbs, "activity.ewbs")?,
        })
    }
}

pub(super) async fn invoice_in(
    conn: &mut SqliteConnection,
    op: &'static str,
    irn: &str,
) -> StoreResult<Option<InvoiceRecord>> {
    let row: Option<InvoiceRow> = sqlx::query_as(concat!(
        "SELECT ",
        invoice_columns!(),
        " FROM invoices WHERE irn = ?"
    ))
    .bind(irn)
    .fetch_optional(conn)
    .await
    .map_err(|e| db_error(op, e))?;
    row.map(InvoiceRecord::try_from).transpose()
}

/// Which of `tokens` still name a session, read under the batch's transaction.
async fn live_sessions(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    tokens: &[&str],
) -> StoreResult<HashSet<String>> {
    if tokens.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "SELECT token_hash FROM sessions WHERE token_hash IN (",
    );
    let mut list = query.separated(", ");
    for token in tokens {
        list.push_bind(*token);
    }
    query.push(")");
    let rows: Vec<(String,)> = query
        .build_query_as()
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| db_error("insert_invoices", e))?;
    Ok(rows.into_iter().map(|(token,)| token).collect())
}
