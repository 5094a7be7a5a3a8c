-- The IRP registry, SQLite flavour (`06` §1–§2, `07` §3, `01` §5, `08` §3).
--
-- Migrations are append-only: never edit a released file, add 0002_… instead.
-- migrations/postgres/ holds the same logical model; keep the two in step.
--
-- Conventions:
-- * Times are IST wall-clock values stored as TEXT `yyyy-MM-dd HH:mm:ss[.fff]`; dates as TEXT
--   `yyyy-MM-dd`. Both sort correctly as text, so range queries work on them.
-- * Booleans are INTEGER 0/1.
-- * Secrets never appear in clear: passwords and client secrets are Argon2id hashes chosen by
--   the caller, tokens are found by their SHA-256, tokens and SEKs are sealed by the server.
-- * Every state change writes one `audit` row in the same transaction.

-- The taxpayer register (`08` §3): one record per GSTIN, GSTINs in upper case.
CREATE TABLE taxpayers (
    gstin            TEXT    NOT NULL PRIMARY KEY,
    trade_name       TEXT,
    legal_name       TEXT    NOT NULL,
    addr_bnm         TEXT,
    addr_bno         TEXT,
    addr_flno        TEXT,
    addr_st          TEXT,
    addr_loc         TEXT,
    state_code       INTEGER NOT NULL,
    addr_pncd        INTEGER,
    taxpayer_type    TEXT    NOT NULL,                  -- TxpType code: REG, SEZ, …
    status           TEXT    NOT NULL,                  -- ACT, PRO, CNL, INA
    blk_status       TEXT CHECK (blk_status IN ('U', 'B')),
    registered_on    TEXT,
    deregistered_on  TEXT,
    aato_inr         INTEGER,                           -- NULL = unknown = above every threshold
    einvoice_enabled INTEGER NOT NULL,
    max_items        INTEGER,
    test             INTEGER NOT NULL
) WITHOUT ROWID;

-- API clients (`01` §4): integrators allowed to call the API. The secret is kept as a hash.
CREATE TABLE api_clients (
    client_id   TEXT    NOT NULL PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL
) WITHOUT ROWID;

-- API users. `user_key` is the user name lower-cased by the store (Rust `to_lowercase`, the same
-- folding `SessionKey` uses): SQLite's lower() folds ASCII only, so the key is computed once, in
-- one place, and its primary key makes names unique ignoring letter case on both backends.
CREATE TABLE users (
    user_key      TEXT    NOT NULL PRIMARY KEY,
    user_name     TEXT    NOT NULL,                     -- as created
    password_hash TEXT    NOT NULL,
    gstin         TEXT    NOT NULL,
    active        INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    password_at   TEXT                                  -- last password change
) WITHOUT ROWID;

-- The clients a user may log in through, in the order given at creation.
CREATE TABLE user_clients (
    user_key  TEXT    NOT NULL REFERENCES users (user_key) ON DELETE CASCADE,
    client_id TEXT    NOT NULL REFERENCES api_clients (client_id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (user_key, client_id)
) WITHOUT ROWID;

-- Sessions (`01` §5). The primary key is the session key, so a key has at most one session:
-- starting a session replaces the previous one in a single upsert. Look-ups by token go through
-- the unique token hash. Ending a session deletes its row.
CREATE TABLE sessions (
    client_id    TEXT NOT NULL REFERENCES api_clients (client_id),
    user_key     TEXT NOT NULL REFERENCES users (user_key) ON DELETE CASCADE,
    gstin        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,                  -- lower-case hex SHA-256 of the token
    token_sealed BLOB NOT NULL,
    sek_sealed   BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (client_id, user_key, gstin)
) WITHOUT ROWID;

-- Password change and deactivation end every session of a user.
CREATE INDEX sessions_by_user ON sessions (user_key);

-- Registered IRNs (`06` §1–§2). The IRN is the duplicate key, so its primary key is what makes
-- registration happen at most once. Signed tokens are kept byte for byte as first issued.
CREATE TABLE invoices (
    irn            TEXT    NOT NULL PRIMARY KEY,
    seller_gstin   TEXT    NOT NULL,
    ecm_gstin      TEXT,
    doc_type       TEXT    NOT NULL,                    -- INV, CRN, DBN
    doc_no         TEXT    NOT NULL,                    -- stored form
    doc_date       TEXT    NOT NULL,
    ack_no         INTEGER NOT NULL UNIQUE,             -- AckNos are unique system-wide
    ack_dt         TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('ACT', 'CNL', 'REJ')),
    portal         INTEGER NOT NULL,                    -- origin portal, 1 or 2
    generated_by   TEXT    NOT NULL,                    -- header Gstin of the generating call
    signed_invoice TEXT    NOT NULL,
    signed_qr_code TEXT    NOT NULL,
    cancelled_at   TEXT,                                -- the cancellation, all NULL until then
    cancel_reason  INTEGER,
    cancel_remark  TEXT,
    cancelled_by   TEXT,
    cancel_portal  INTEGER
);

-- Get Rejected IRNs (`02` §2.11): by supplier and the date of `ack_dt`. Partial, because only
-- imported records are ever rejected.
CREATE INDEX invoices_rejected ON invoices (seller_gstin, ack_dt) WHERE status = 'REJ';

-- AckNo sequences (`05` §2): one per (portal, node digit, year). `next_value` is the first value
-- not yet handed out; reservations advance it in one upsert. The 9-digit field bounds it.
CREATE TABLE ack_sequences (
    portal     INTEGER NOT NULL,
    node       INTEGER NOT NULL,
    year       INTEGER NOT NULL,
    next_value INTEGER NOT NULL CHECK (next_value BETWEEN 1 AND 1000000000),
    PRIMARY KEY (portal, node, year)
) WITHOUT ROWID;

-- Portal signing certificates (`02` §5.2), current and retired, so every node publishes every
-- portal's keys. At most one current certificate per portal.
CREATE TABLE certificates (
    kid        TEXT    NOT NULL PRIMARY KEY,            -- 40 upper-case hex characters
    portal     INTEGER NOT NULL,
    der        BLOB    NOT NULL,
    not_before TEXT    NOT NULL,
    not_after  TEXT    NOT NULL,
    current    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE UNIQUE INDEX certificates_current ON certificates (portal) WHERE current = 1;

-- The audit trail: one row per state change, written in the transaction of the change. `at` is
-- the store's IST clock when the row was written. `detail` never holds secrets (no hashes, no
-- sealed tokens or SEKs, no passwords).
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    event   TEXT NOT NULL,                              -- e.g. invoice.insert, user.password
    subject TEXT NOT NULL,                              -- what changed: IRN, user, GSTIN, kid, …
    detail  TEXT NOT NULL
);
