//! The taxpayer register (`08` §3) on SQLite.

use async_trait::async_trait;
use irp_core::register::Taxpayer;

use super::{SqliteStore, audit, commit};
use crate::audit::event;
use crate::errors::db_error;
use crate::rows::{TaxpayerParams, TaxpayerRow, taxpayer_columns};
use crate::{StoreResult, TaxpayerRecord, TaxpayerRegistry};

#[async_trait]
impl TaxpayerRegistry for SqliteStore {
    async fn upsert_taxpayer(&self, record: &TaxpayerRecord) -> StoreResult<()> {
        const OP: &str = "upsert_taxpayer";
        let p = TaxpayerParams::new(record)?;
        let r = p.record;
        let mut tx = self.write(OP).await?;
        sqlx::query(concat!(
            "INSERT INTO taxpayers (",
            taxpayer_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (gstin) DO UPDATE SET
                trade_name = excluded.trade_name, legal_name = excluded.legal_name,
                addr_bnm = excluded.addr_bnm, addr_bno = excluded.addr_bno,
                addr_flno = excluded.addr_flno, addr_st = excluded.addr_st,
                addr_loc = excluded.addr_loc, state_code = excluded.state_code,
                addr_pncd = excluded.addr_pncd, taxpayer_type = excluded.taxpayer_type,
                status = excluded.status, blk_status = excluded.blk_status,
                registered_on = excluded.registered_on, deregistered_on = excluded.deregistered_on,
                aato_inr = excluded.aato_inr, einvoice_enabled = excluded.einvoice_enabled,
                max_items = excluded.max_items, test = excluded.test"
        ))
        .bind(&p.gstin)
        .bind(&r.trade_name)
        .bind(&r.legal_name)
        .bind(&r.addr_bnm)
        .bind(&r.addr_bno)
        .bind(&r.addr_flno)
        .bind(&r.addr_st)
        .bind(&r.addr_loc)
        .bind(p.state_code)
        .bind(p.addr_pncd)
        .bind(r.taxpayer_type.code())
        .bind(r.status.code())
        .bind(&p.blk_status)
        .bind(r.registered_on)
        .bind(r.deregistered_on)
        .bind(p.aato_inr)
        .bind(r.einvoice_enabled)
        .bind(p.max_items)
        .bind(r.test)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        audit(
            &mut tx,
            OP,
            event::TAXPAYER_UPSERT,
            &p.gstin,
            &p.audit_detail(),
        )
        .await?;
        commit(tx, OP).await
    }

    async fn taxpayer_record(&self, gstin: &str) -> StoreResult<Option<TaxpayerRecord>> {
        let row: Option<TaxpayerRow> = sqlx::query_as(concat!(
            "SELECT ",
            taxpayer_columns!(),
            " FROM taxpayers WHERE gstin = ?"
        ))
        .bind(gstin.to_ascii_uppercase())
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("taxpayer_record", e))?;
        row.map(TaxpayerRecord::try_from).transpose()
    }

    async fn taxpayers(&self, gstins: &[&str]) -> StoreResult<Vec<Taxpayer>> {
        if gstins.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are generated; every value is bound.
        let placeholders = vec!["?"; gstins.len()].join(", ");
        let sql = format!(
            concat!(
                "SELECT ",
                taxpayer_columns!(),
                " FROM taxpayers WHERE gstin IN ({})"
            ),
            placeholders
        );
        let mut query = sqlx::query_as::<_, TaxpayerRow>(sqlx::AssertSqlSafe(sql));
        for gstin in gstins {
            query = query.bind(gstin.to_ascii_uppercase());
        }
        let rows = query
            .fetch_all(&self.reader)
            .await
            .map_err(|e| db_error("taxpayers", e))?;
        rows.into_iter()
            .map(|row| TaxpayerRecord::try_from(row).map(|r| r.to_taxpayer()))
            .collect()
    }
}
