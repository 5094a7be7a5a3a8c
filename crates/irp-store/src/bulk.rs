//! What both backends share about bulk tasks (`09` §2): the row of `bulk_tasks` and its
//! conversion, checked both ways.

use chrono::NaiveDateTime;

use crate::rows::{corrupt, int};
use crate::{BulkKind, BulkTask, StoreResult};

/// The columns of `bulk_tasks`, in table order.
macro_rules! bulk_task_columns {
    () => {
        "task_id, kind, gstin, sup_gstin, client_id, user_name, irp_header, portal, total, \
         processed, succeeded, failed, submitted_at, completed_at, expires_at, lease_owner, \
         lease_until"
    };
}
pub(crate) use bulk_task_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct BulkTaskRow {
    task_id: String,
    kind: String,
    gstin: String,
    sup_gstin: Option<String>,
    client_id: String,
    user_name: String,
    irp_header: Option<i16>,
    portal: i16,
    total: i64,
    processed: i64,
    succeeded: i64,
    failed: i64,
    submitted_at: NaiveDateTime,
    completed_at: Option<NaiveDateTime>,
    expires_at: NaiveDateTime,
    lease_owner: Option<String>,
    lease_until: Option<NaiveDateTime>,
}

impl TryFrom<BulkTaskRow> for BulkTask {
    type Error = crate::StoreError;

    fn try_from(row: BulkTaskRow) -> StoreResult<BulkTask> {
        Ok(BulkTask {
            task_id: row.task_id,
            kind: BulkKind::parse(&row.kind).ok_or_else(|| corrupt("bulk_tasks.kind"))?,
            gstin: row.gstin,
            sup_gstin: row.sup_gstin,
            client_id: row.client_id,
            user_name: row.user_name,
            irp_header: row
                .irp_header
                .map(|irp| int(irp, "bulk_tasks.irp_header"))
                .transpose()?,
            portal: int(row.portal, "bulk_tasks.portal")?,
            total: int(row.total, "bulk_tasks.total")?,
            processed: int(row.processed, "bulk_tasks.processed")?,
            succeeded: int(row.succeeded, "bulk_tasks.succeeded")?,
            failed: int(row.failed, "bulk_tasks.failed")?,
            submitted_at: row.submitted_at,
            completed_at: row.completed_at,
            expires_at: row.expires_at,
            lease_owner: row.lease_owner,
            lease_until: row.lease_until,
        })
    }
}

/// The integer columns of a task, converted for binding.
pub(crate) struct BulkTaskParams {
    pub irp_header: Option<i16>,
    pub portal: i16,
    pub total: i64,
}

impl BulkTaskParams {
    pub(crate) fn new(task: &BulkTask) -> StoreResult<BulkTaskParams> {
        Ok(BulkTaskParams {
            irp_header: task.irp_header.map(i16::from),
            portal: i16::from(task.portal),
            total: int(task.total, "bulk_tasks.total")?,
        })
    }
}

/// The audit detail of a new task; never the elements.
pub(crate) fn create_detail(task: &BulkTask) -> String {
    format!(
        "kind={} gstin={} user={} total={} portal={}",
        task.kind.code(),
        task.gstin,
        task.user_name,
        task.total,
        task.portal
    )
}
