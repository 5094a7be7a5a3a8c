//! Per-portal state on PostgreSQL: AckNo and EwbNo sequences, signing certificates.

use async_trait::async_trait;

use super::{PostgresStore, audit, commit};
use crate::audit::event;
use crate::errors::db_error;
use crate::rows::{CertificateRow, certificate_columns, int};
use crate::{Portal, PublishedCertificate, StoreError, StoreResult};

#[async_trait]
impl Portal for PostgresStore {
    async fn reserve_ack_sequence(
        &self,
        portal: u8,
        node: u8,
        year: i32,
        count: u32,
    ) -> StoreResult<u64> {
        const OP: &str = "reserve_ack_sequence";
        let count = i64::from(count);
        let mut tx = self.write(OP).await?;
        // One upsert creates the sequence at 1 or advances it; `next_value` is the first value not
        // yet handed out, so this reservation is [next_value - count, next_value).
        let (next,): (i64,) = sqlx::query_as(
            "INSERT INTO ack_sequences (portal, node, year, next_value) VALUES ($1, $2, $3, 1 + $4)
             ON CONFLICT (portal, node, year) DO UPDATE SET next_value = ack_sequences.next_value + $5
             RETURNING next_value",
        )
        .bind(i16::from(portal))
        .bind(i16::from(node))
        .bind(year)
        .bind(count)
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_check_violation() => {
                StoreError::Database(format!("{OP}: the AckNo sequence is exhausted"))
            }
            _ => db_error(OP, e),
        })?;
        let first = next - count;
        let detail = format!("first={first} count={count}");
        audit(
            &mut tx,
            OP,
            event::ACK_RESERVE,
            &format!("{portal}/{node}/{year}"),
            &detail,
        )
        .await?;
        commit(tx, OP).await?;
        int(first, "ack_sequences.next_value")
    }

    async fn reserve_ewb_sequence(&self, portal: u8, count: u32) -> StoreResult<u64> {
        const OP: &str = "reserve_ewb_sequence";
        let count = i64::from(count);
        let mut tx = self.write(OP).await?;
        // As for AckNos: one upsert creates the portal's sequence at 1 or advances it, and this
        // reservation is [next_value - count, next_value).
        let (next,): (i64,) = sqlx::query_as(
            "INSERT INTO ewb_sequences (portal, next_value) VALUES ($1, 1 + $2)
             ON CONFLICT (portal) DO UPDATE SET next_value = ewb_sequences.next_value + $3
             RETURNING next_value",
        )
        .bind(i16::from(portal))
        .bind(count)
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_check_violation() => {
                StoreError::Database(format!("{OP}: the EwbNo sequence is exhausted"))
            }
            _ => db_error(OP, e),
        })?;
        let first = next - count;
        let detail = format!("first={first} count={count}");
        audit(
            &mut tx,
            OP,
            event::EWB_RESERVE,
            &portal.to_string(),
            &detail,
        )
        .await?;
        commit(tx, OP).await?;
        int(first, "ewb_sequences.next_value")
    }

    async fn publish_certificate(&self, certificate: &PublishedCertificate) -> StoreResult<()> {
        const OP: &str = "publish_certificate";
        let portal = i16::from(certificate.portal);
        let mut tx = self.write(OP).await?;
        if certificate.current {
            // A portal signs with one certificate at a time; publishing a current one retires the rest.
            sqlx::query("UPDATE certificates SET current = FALSE WHERE portal = $1 AND kid <> $2")
                .bind(portal)
                .bind(&certificate.kid)
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        }
        sqlx::query(
            "INSERT INTO certificates (kid, portal, der, not_before, not_after, current)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (kid) DO UPDATE SET portal = excluded.portal, der = excluded.der,
                not_before = excluded.not_before, not_after = excluded.not_after,
                current = excluded.current",
        )
        .bind(&certificate.kid)
        .bind(portal)
        .bind(&certificate.der)
        .bind(certificate.not_before)
        .bind(certificate.not_after)
        .bind(certificate.current)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        let detail = format!(
            "portal={} current={} not_before={} not_after={}",
            certificate.portal, certificate.current, certificate.not_before, certificate.not_after
        );
        audit(
            &mut tx,
            OP,
            event::CERTIFICATE_PUBLISH,
            &certificate.kid,
            &detail,
        )
        .await?;
        commit(tx, OP).await
    }

    /// Records `value` under `name` unless a value is there (or `replace` is set); returns the
    /// value the registry holds afterwards.
    async fn agree_setting(
        &self,
        name: &str,
        value: &str,
        at: chrono::NaiveDateTime,
        replace: bool,
    ) -> StoreResult<String> {
        const OP: &str = "agree_setting";
        let mut tx = self.write(OP).await?;
        let conflict = if replace {
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        } else {
            "DO NOTHING"
        };
        let written = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO registry_settings (name, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) {conflict}"
        )))
        .bind(name)
        .bind(value)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?
        .rows_affected();
        let (stored,): (String,) =
            sqlx::query_as("SELECT value FROM registry_settings WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        if written > 0 {
            audit(
                &mut tx,
                OP,
                event::SETTINGS,
                name,
                if replace { "replaced" } else { "recorded" },
            )
            .await?;
        }
        commit(tx, OP).await?;
        Ok(stored)
    }

    async fn certificates(&self) -> StoreResult<Vec<PublishedCertificate>> {
        let rows: Vec<CertificateRow> = sqlx::query_as(concat!(
            "SELECT ",
            certificate_columns!(),
            " FROM certificates ORDER BY portal, not_before, kid"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.pool_error("certificates", e))?;
        rows.into_iter()
            .map(PublishedCertificate::try_from)
            .collect()
    }
}
