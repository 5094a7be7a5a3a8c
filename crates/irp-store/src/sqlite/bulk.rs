//! Bulk tasks on SQLite (`09` §2). Every change runs under the file's write lock, so a claim,
//! a lease check and the results it guards are one atomic step.

use async_trait::async_trait;
use chrono::NaiveDateTime;

use super::{SqliteStore, audit, commit};
use crate::audit::event;
use crate::bulk::{BulkTaskParams, BulkTaskRow, bulk_task_columns, create_detail};
use crate::errors::{conflict_or, db_error};
use crate::rows::int;
use crate::{BulkTask, BulkTasks, ElementResult, PendingElement, StoreResult};

/// Elements stored per transaction when a task is created.
const ELEMENTS_PER_TRANSACTION: usize = 200;

#[async_trait]
impl BulkTasks for SqliteStore {
    async fn create_bulk_task(&self, task: &BulkTask, elements: &[&[u8]]) -> StoreResult<()> {
        const OP: &str = "create_bulk_task";
        let p = BulkTaskParams::new(task)?;
        let mut tx = self.write(OP).await?;
        sqlx::query(
            "INSERT INTO bulk_tasks (task_id, kind, gstin, sup_gstin, client_id, user_name, \
             irp_header, portal, total, submitted_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&task.task_id)
        .bind(task.kind.code())
        .bind(&task.gstin)
        .bind(&task.sup_gstin)
        .bind(&task.client_id)
        .bind(&task.user_name)
        .bind(p.irp_header)
        .bind(p.portal)
        .bind(p.total)
        .bind(task.submitted_at)
        .bind(task.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(OP, "the task id is taken", e))?;
        commit(tx, OP).await?;
        // The elements in short transactions, so that single calls' registrations get the
        // write lock between them; the task is invisible until `ready`. A task left unready by
        // a failure here is deleted when it expires.
        for (chunk_number, chunk) in elements.chunks(ELEMENTS_PER_TRANSACTION).enumerate() {
            let mut tx = self.write(OP).await?;
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO bulk_elements (task_id, idx, request) ",
            );
            let first = chunk_number * ELEMENTS_PER_TRANSACTION;
            insert.push_values(chunk.iter().enumerate(), |mut row, (offset, request)| {
                row.push_bind(&task.task_id)
                    .push_bind((first + offset) as i64)
                    .push_bind(*request);
            });
            insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
            commit(tx, OP).await?;
        }
        let mut tx = self.write(OP).await?;
        sqlx::query("UPDATE bulk_tasks SET ready = 1 WHERE task_id = ?")
            .bind(&task.task_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?;
        audit(
            &mut tx,
            OP,
            event::BULK_CREATE,
            &task.task_id,
            &create_detail(task),
        )
        .await?;
        commit(tx, OP).await
    }

    async fn bulk_task(&self, task_id: &str) -> StoreResult<Option<BulkTask>> {
        const OP: &str = "bulk_task";
        let row: Option<BulkTaskRow> = sqlx::query_as(concat!(
            "SELECT ",
            bulk_task_columns!(),
            " FROM bulk_tasks WHERE task_id = ? AND ready = 1"
        ))
        .bind(task_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error(OP, e))?;
        row.map(BulkTask::try_from).transpose()
    }

    async fn claim_bulk_task(
        &self,
        owner: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> StoreResult<Option<BulkTask>> {
        const OP: &str = "claim_bulk_task";
        // Most polls find nothing: ask the reader first and take the write lock only to claim.
        let (waiting,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM bulk_tasks WHERE completed_at IS NULL AND ready = 1 \
             AND (lease_until IS NULL OR lease_until < ?))",
        )
        .bind(now)
        .fetch_one(&self.reader)
        .await
        .map_err(|e| db_error(OP, e))?;
        if !waiting {
            return Ok(None);
        }
        let mut tx = self.write(OP).await?;
        let row: Option<BulkTaskRow> = sqlx::query_as(concat!(
            "UPDATE bulk_tasks SET lease_owner = ?, lease_until = ? WHERE task_id = \
             (SELECT task_id FROM bulk_tasks WHERE completed_at IS NULL AND ready = 1 \
              AND (lease_until IS NULL OR lease_until < ?) ORDER BY submitted_at, task_id LIMIT 1) \
             RETURNING ",
            bulk_task_columns!()
        ))
        .bind(owner)
        .bind(until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        commit(tx, OP).await?;
        row.map(BulkTask::try_from).transpose()
    }

    async fn pending_bulk_elements(
        &self,
        task_id: &str,
        from: u32,
        limit: u32,
    ) -> StoreResult<Vec<PendingElement>> {
        const OP: &str = "pending_bulk_elements";
        let rows: Vec<(i64, Vec<u8>, Option<String>)> = sqlx::query_as(
            "SELECT idx, request, applied_irn FROM bulk_elements \
             WHERE task_id = ? AND idx >= ? AND status IS NULL ORDER BY idx LIMIT ?",
        )
        .bind(task_id)
        .bind(i64::from(from))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(|e| db_error(OP, e))?;
        rows.into_iter()
            .map(|(index, request, applied_irn)| {
                Ok(PendingElement {
                    index: int(index, "bulk_elements.idx")?,
                    request,
                    applied_irn,
                })
            })
            .collect()
    }

    async fn bulk_applied_irn(&self, task_id: &str, index: u32) -> StoreResult<Option<String>> {
        const OP: &str = "bulk_applied_irn";
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT applied_irn FROM bulk_elements WHERE task_id = ? AND idx = ?")
                .bind(task_id)
                .bind(i64::from(index))
                .fetch_optional(&self.reader)
                .await
                .map_err(|e| db_error(OP, e))?;
        Ok(row.and_then(|(irn,)| irn))
    }

    async fn record_bulk_results(
        &self,
        task_id: &str,
        owner: &str,
        results: &[ElementResult],
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> StoreResult<bool> {
        const OP: &str = "record_bulk_results";
        let mut tx = self.write(OP).await?;
        let holder: Option<(Option<String>,)> =
            sqlx::query_as("SELECT lease_owner FROM bulk_tasks WHERE task_id = ?")
                .bind(task_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        if holder.and_then(|(owner,)| owner).as_deref() != Some(owner) {
            return Ok(false);
        }
        let (mut succeeded, mut failed) = (0_i64, 0_i64);
        for result in results {
            let changed = sqlx::query(
                "UPDATE bulk_elements SET status = ?, result = ?, result_csv = ? \
                 WHERE task_id = ? AND idx = ? AND status IS NULL",
            )
            .bind(i16::from(result.succeeded))
            .bind(&result.result)
            .bind(&result.csv)
            .bind(task_id)
            .bind(i64::from(result.index))
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?
            .rows_affected();
            if changed == 1 {
                if result.succeeded {
                    succeeded += 1;
                } else {
                    failed += 1;
                }
            }
        }
        let (processed, total): (i64, i64) = sqlx::query_as(
            "UPDATE bulk_tasks SET processed = processed + ?, succeeded = succeeded + ?, \
             failed = failed + ?, lease_until = ? WHERE task_id = ? RETURNING processed, total",
        )
        .bind(succeeded + failed)
        .bind(succeeded)
        .bind(failed)
        .bind(until)
        .bind(task_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        if processed == total && succeeded + failed > 0 {
            sqlx::query(
                "UPDATE bulk_tasks SET completed_at = ?, lease_owner = NULL, lease_until = NULL \
                 WHERE task_id = ?",
            )
            .bind(now)
            .bind(task_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?;
            audit(
                &mut tx,
                OP,
                event::BULK_COMPLETE,
                task_id,
                &format!("total={total}"),
            )
            .await?;
        }
        commit(tx, OP).await?;
        Ok(true)
    }

    async fn bulk_results(
        &self,
        task_id: &str,
        from: u32,
        limit: u32,
    ) -> StoreResult<Vec<ElementResult>> {
        const OP: &str = "bulk_results";
        let rows: Vec<(i64, i16, String, String)> = sqlx::query_as(
            "SELECT idx, status, result, result_csv FROM bulk_elements \
             WHERE task_id = ? AND idx >= ? AND status IS NOT NULL ORDER BY idx LIMIT ?",
        )
        .bind(task_id)
        .bind(i64::from(from))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(|e| db_error(OP, e))?;
        rows.into_iter()
            .map(|(index, status, result, csv)| {
                Ok(ElementResult {
                    index: int(index, "bulk_elements.idx")?,
                    succeeded: status == 1,
                    result,
                    csv,
                })
            })
            .collect()
    }

    async fn purge_bulk_tasks(&self, now: NaiveDateTime) -> StoreResult<u64> {
        const OP: &str = "purge_bulk_tasks";
        let mut tx = self.write(OP).await?;
        let purged = sqlx::query("DELETE FROM bulk_tasks WHERE expires_at < ?")
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?
            .rows_affected();
        if purged > 0 {
            audit(
                &mut tx,
                OP,
                event::BULK_PURGE,
                "bulk_tasks",
                &format!("purged={purged}"),
            )
            .await?;
        }
        commit(tx, OP).await?;
        Ok(purged)
    }
}
