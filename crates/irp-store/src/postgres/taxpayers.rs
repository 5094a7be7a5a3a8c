//! The taxpayer register (`08` §3) on PostgreSQL.

use async_trait::async_trait;
use irp_core::register::Taxpayer;

use super::{PostgresStore, audit, commit};
use crate::audit::event;
use crate::errors::db_error;
use crate::rows::{TaxpayerParams, TaxpayerRow, taxpayer_columns};
use crate::{StoreResult, TaxpayerRecord, TaxpayerRegistry};

#[async_trait]
impl TaxpayerRegistry for PostgresStore {
    async fn upsert_taxpayer(&self, record: &TaxpayerRecord) -> StoreResult<()> {
        const OP: &str = "upsert_taxpayer";
        let p = TaxpayerParams::new(record)?;
        let r = p.record;
        let mut tx = self.write(OP).await?;
        sqlx::query(concat!(
            "INSERT INTO taxpayers (",
            taxpayer_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
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
            " FROM taxpayers WHERE gstin = $1"
        ))
        .bind(gstin.to_ascii_uppercase())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.pool_error("taxpayer_record", e))?;
        row.map(TaxpayerRecord::try_from).transpose()
    }

    async fn taxpayers(&self, gstins: &[&str]) -> StoreResult<Vec<Taxpayer>> {
        if gstins.is_empty() {
            return Ok(Vec::new());
        }
        let gstins: Vec<String> = gstins.iter().map(|g| g.to_ascii_uppercase()).collect();
        let rows: Vec<TaxpayerRow> = sqlx::query_as(concat!(
            "SELECT ",
            taxpayer_columns!(),
            " FROM taxpayers WHERE gstin = ANY($1)"
        ))
        .bind(&gstins)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.pool_error("taxpayers", e))?;
        rows.into_iter()
            .map(|row| TaxpayerRecord::try_from(row).map(|r| r.to_taxpayer()))
            .collect()
    }
}
