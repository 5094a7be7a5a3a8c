//! Users, their credentials and lockout, and sessions on SQLite: each change and the sessions
//! it ends are one write transaction (see the parent module for how writes are serialised).

use async_trait::async_trait;
use chrono::NaiveDateTime;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, audit, commit};
use crate::audit::event;
use crate::errors::{conflict_or, db_error};
use crate::rows::{
    SessionRow, UserRow, int, normal_key, session_columns, session_subject, user_key,
};
use crate::{
    Accounts, ApiClient, LoginAttempt, Session, SessionKey, StoreError, StoreResult, User,
};

#[async_trait]
impl Accounts for SqliteStore {
    async fn create_client(&self, client: &ApiClient) -> StoreResult<()> {
        const OP: &str = "create_client";
        let mut tx = self.write(OP).await?;
        sqlx::query(
            "INSERT INTO api_clients (client_id, secret_hash, name, active) VALUES (?, ?, ?, ?)",
        )
        .bind(&client.client_id)
        .bind(&client.secret_hash)
        .bind(&client.name)
        .bind(client.active)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(OP, "client id is taken", e))?;
        let detail = format!("active={}", client.active);
        audit(
            &mut tx,
            OP,
            event::CLIENT_CREATE,
            &client.client_id,
            &detail,
        )
        .await?;
        commit(tx, OP).await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<ApiClient>> {
        let row: Option<(String, String, String, bool)> = sqlx::query_as(
            "SELECT client_id, secret_hash, name, active FROM api_clients WHERE client_id = ?",
        )
        .bind(client_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("client", e))?;
        Ok(row.map(|(client_id, secret_hash, name, active)| ApiClient {
            client_id,
            secret_hash,
            name,
            active,
        }))
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        const OP: &str = "create_user";
        let key = user_key(&user.user_name);
        let failed_logins: i32 = int(user.failed_logins, "users.failed_logins")?;
        let mut tx = self.write(OP).await?;
        sqlx::query(
            "INSERT INTO users (user_key, user_name, password_hash, gstin, active, failed_logins, locked_until)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key)
        .bind(&user.user_name)
        .bind(&user.password_hash)
        .bind(user.gstin.to_ascii_uppercase())
        .bind(user.active)
        .bind(failed_logins)
        .bind(user.locked_until)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(OP, "user name is taken", e))?;
        let mut clients: Vec<&str> = Vec::new();
        for client_id in &user.client_ids {
            if !clients.contains(&client_id.as_str()) {
                clients.push(client_id);
            }
        }
        for (position, client_id) in clients.iter().enumerate() {
            // An unknown client id fails the foreign key: NotFound, and nothing is kept.
            sqlx::query(
                "INSERT INTO user_clients (user_key, client_id, position) VALUES (?, ?, ?)",
            )
            .bind(&key)
            .bind(*client_id)
            .bind(int::<_, i32>(position, "user_clients.position")?)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?;
        }
        let detail = format!(
            "gstin={} clients={} active={}",
            user.gstin.to_ascii_uppercase(),
            clients.join(","),
            user.active
        );
        audit(&mut tx, OP, event::USER_CREATE, &key, &detail).await?;
        commit(tx, OP).await
    }

    async fn user(&self, user_name: &str) -> StoreResult<Option<User>> {
        let key = user_key(user_name);
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT user_name, password_hash, gstin, active, failed_logins, locked_until
             FROM users WHERE user_key = ?",
        )
        .bind(&key)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("user", e))?;
        let Some(row) = row else { return Ok(None) };
        // The mapping is written with the user and never changes, so a second statement sees it.
        let clients: Vec<(String,)> = sqlx::query_as(
            "SELECT client_id FROM user_clients WHERE user_key = ? ORDER BY position",
        )
        .bind(&key)
        .fetch_all(&self.reader)
        .await
        .map_err(|e| db_error("user", e))?;
        row.into_user(clients.into_iter().map(|(c,)| c).collect())
            .map(Some)
    }

    async fn set_password(
        &self,
        user_name: &str,
        password_hash: &str,
        at: NaiveDateTime,
    ) -> StoreResult<()> {
        const OP: &str = "set_password";
        let key = user_key(user_name);
        let mut tx = self.write(OP).await?;
        let updated = sqlx::query(
            "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, password_at = ?
             WHERE user_key = ?",
        )
        .bind(password_hash)
        .bind(at)
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = end_sessions(&mut tx, OP, &key).await?;
        let detail = format!("at={at} sessions_ended={ended}");
        audit(&mut tx, OP, event::USER_PASSWORD, &key, &detail).await?;
        commit(tx, OP).await
    }

    async fn set_user_active(
        &self,
        user_name: &str,
        active: bool,
        at: NaiveDateTime,
    ) -> StoreResult<()> {
        const OP: &str = "set_user_active";
        let key = user_key(user_name);
        let mut tx = self.write(OP).await?;
        let updated = sqlx::query("UPDATE users SET active = ? WHERE user_key = ?")
            .bind(active)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(OP, e))?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = if active {
            0
        } else {
            end_sessions(&mut tx, OP, &key).await?
        };
        let detail = format!("at={at} active={active} sessions_ended={ended}");
        audit(&mut tx, OP, event::USER_ACTIVE, &key, &detail).await?;
        commit(tx, OP).await
    }

    async fn reserve_login_attempt(
        &self,
        user_name: &str,
        lock_after: u32,
        now: NaiveDateTime,
        lock_until: NaiveDateTime,
    ) -> StoreResult<LoginAttempt> {
        const OP: &str = "reserve_login_attempt";
        let key = user_key(user_name);
        let mut tx = self.write(OP).await?;
        // One statement both tests the lock and counts the attempt, so parallel attempts are
        // counted one by one and none passes a lock another has just set. SET expressions see
        // the old row, so `failed_logins + 1` is the new count in both places.
        let row: Option<(i32, Option<NaiveDateTime>)> = sqlx::query_as(
            "UPDATE users SET failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
             WHERE user_key = ? AND (locked_until IS NULL OR locked_until <= ?)
             RETURNING failed_logins, locked_until",
        )
        .bind(i64::from(lock_after))
        .bind(lock_until)
        .bind(&key)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        let Some((count, locked_until)) = row else {
            let exists: Option<(i32,)> =
                sqlx::query_as("SELECT failed_logins FROM users WHERE user_key = ?")
                    .bind(&key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| db_error(OP, e))?;
            return match exists {
                Some(_) => Ok(LoginAttempt::Locked),
                None => Err(StoreError::NotFound),
            };
        };
        let locked = locked_until.map_or_else(|| "-".to_owned(), |t| t.to_string());
        let detail = format!("failures={count} locked_until={locked}");
        audit(&mut tx, OP, event::USER_LOGIN_FAILURE, &key, &detail).await?;
        commit(tx, OP).await?;
        Ok(LoginAttempt::Reserved {
            failures: int(count, "users.failed_logins")?,
        })
    }

    async fn record_login_refusal(&self, subject: &str, reason: &str) -> StoreResult<()> {
        const OP: &str = "record_login_refusal";
        let mut tx = self.write(OP).await?;
        let detail = format!("reason={reason}");
        audit(&mut tx, OP, event::LOGIN_REFUSED, subject, &detail).await?;
        commit(tx, OP).await
    }

    async fn clear_login_failures(&self, user_name: &str) -> StoreResult<()> {
        const OP: &str = "clear_login_failures";
        let key = user_key(user_name);
        let mut tx = self.write(OP).await?;
        let row: Option<(i32, Option<NaiveDateTime>)> =
            sqlx::query_as("SELECT failed_logins, locked_until FROM users WHERE user_key = ?")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
        match row.ok_or(StoreError::NotFound)? {
            // Nothing to clear: most logins end here, without a write or an audit row.
            (0, None) => Ok(()),
            (count, _) => {
                sqlx::query(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE user_key = ?",
                )
                .bind(&key)
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error(OP, e))?;
                let detail = format!("failures_cleared={count}");
                audit(&mut tx, OP, event::USER_LOGIN_CLEAR, &key, &detail).await?;
                commit(tx, OP).await
            }
        }
    }

    async fn live_session(
        &self,
        key: &SessionKey,
        now: NaiveDateTime,
    ) -> StoreResult<Option<Session>> {
        let key = normal_key(key);
        let row: Option<SessionRow> = sqlx::query_as(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE client_id = ? AND user_key = ? AND gstin = ? AND expires_at > ?"
        ))
        .bind(&key.client_id)
        .bind(&key.user_name)
        .bind(&key.gstin)
        .bind(now)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("live_session", e))?;
        Ok(row.map(Session::from))
    }

    async fn start_session(&self, session: &Session) -> StoreResult<()> {
        const OP: &str = "start_session";
        let mut tx = self.write(OP).await?;
        upsert_session(&mut tx, OP, session, false).await?;
        commit(tx, OP).await
    }

    async fn start_session_unless_live(&self, session: &Session) -> StoreResult<Session> {
        const OP: &str = "start_session_unless_live";
        let mut tx = self.write(OP).await?;
        upsert_session(&mut tx, OP, session, true).await?;
        // The session in force, written just now or found live: as stored, whichever it is.
        let key = normal_key(&session.key);
        let row: SessionRow = sqlx::query_as(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE client_id = ? AND user_key = ? AND gstin = ?"
        ))
        .bind(&key.client_id)
        .bind(&key.user_name)
        .bind(&key.gstin)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        let in_force = Session::from(row);
        commit(tx, OP).await?;
        Ok(in_force)
    }

    async fn session_by_token(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let row: Option<SessionRow> = sqlx::query_as(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await
        .map_err(|e| db_error("session_by_token", e))?;
        Ok(row.map(Session::from))
    }

    async fn extend_session(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> StoreResult<bool> {
        const OP: &str = "extend_session";
        let mut tx = self.write(OP).await?;
        let extended = sqlx::query(
            "UPDATE sessions SET expires_at = ? WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(expires_at)
        .bind(token_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?
        .rows_affected()
            > 0;
        commit(tx, OP).await?;
        Ok(extended)
    }

    async fn end_session(&self, token_hash: &str) -> StoreResult<bool> {
        const OP: &str = "end_session";
        let mut tx = self.write(OP).await?;
        let ended: Option<(String, String, String)> = sqlx::query_as(
            "DELETE FROM sessions WHERE token_hash = ? RETURNING client_id, user_key, gstin",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| db_error(OP, e))?;
        if let Some((client_id, user_name, gstin)) = &ended {
            let key = SessionKey {
                client_id: client_id.clone(),
                user_name: user_name.clone(),
                gstin: gstin.clone(),
            };
            audit(&mut tx, OP, event::SESSION_END, &session_subject(&key), "").await?;
        }
        commit(tx, OP).await?;
        Ok(ended.is_some())
    }
}

/// Ends every session of a user inside the caller's transaction; returns how many ended.
async fn end_sessions(
    tx: &mut sqlx::SqliteConnection,
    op: &'static str,
    key: &str,
) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_key = ?")
        .bind(key)
        .execute(tx)
        .await
        .map_err(|e| db_error(op, e))?;
    Ok(done.rows_affected())
}

/// Writes `session` over its key's, and its audit row; with `only_if_ended`, only when the key's
/// session has expired by `session.created_at` (or there is none). Whether it was written.
async fn upsert_session(
    conn: &mut SqliteConnection,
    op: &'static str,
    session: &Session,
    only_if_ended: bool,
) -> StoreResult<bool> {
    let key = normal_key(&session.key);
    // The key is the primary key: this one statement ends the key's previous session, or, with
    // `only_if_ended`, leaves a live one alone (a concurrent insert waits for the other's commit
    // and then sees its row).
    let condition = if only_if_ended {
        " WHERE sessions.expires_at <= excluded.created_at"
    } else {
        ""
    };
    let written = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO sessions ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id, user_key, gstin) DO UPDATE SET
            token_hash = excluded.token_hash, token_sealed = excluded.token_sealed,
            sek_sealed = excluded.sek_sealed, created_at = excluded.created_at,
            expires_at = excluded.expires_at{condition}",
        session_columns!()
    )))
    .bind(&key.client_id)
    .bind(&key.user_name)
    .bind(&key.gstin)
    .bind(&session.token_hash)
    .bind(&session.token_sealed)
    .bind(&session.sek_sealed)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict_or(op, "token is in use", e))?
    .rows_affected()
        > 0;
    if written {
        let detail = format!(
            "created_at={} expires_at={}",
            session.created_at, session.expires_at
        );
        audit(
            conn,
            op,
            event::SESSION_START,
            &session_subject(&key),
            &detail,
        )
        .await?;
    }
    Ok(written)
}
