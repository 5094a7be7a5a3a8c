-- Bulk tasks (issue 17, `09` §2), postgres flavour; migrations/sqlite/0006_bulk.sql is the same.

-- One row per task. Any node of either portal may process a task: it claims it by taking the
-- lease (`lease_owner` until `lease_until`), renews the lease as it records results, and a
-- node finding a lease expired (its holder stopped) takes the task over. `processed`,
-- `succeeded` and `failed` count the elements with a result; `completed_at` is set in the
-- transaction that records the last one.
CREATE TABLE bulk_tasks (
    task_id      TEXT      NOT NULL PRIMARY KEY,     -- 26 Crockford base32 characters
    kind         TEXT      NOT NULL CHECK (kind IN ('GENERATE', 'CANCEL')),
    gstin        TEXT      NOT NULL,                 -- header Gstin of the submitting call
    sup_gstin    TEXT,                               -- header sup_gstin, for an operator
    client_id    TEXT      NOT NULL,
    user_name    TEXT      NOT NULL,
    irp_header   SMALLINT,                           -- the submitting call's irp header (1, 2)
    portal       SMALLINT  NOT NULL,                 -- the portal that accepted the task
    total        BIGINT    NOT NULL,
    processed    BIGINT    NOT NULL DEFAULT 0,
    succeeded    BIGINT    NOT NULL DEFAULT 0,
    failed       BIGINT    NOT NULL DEFAULT 0,
    submitted_at TIMESTAMP     NOT NULL,
    completed_at TIMESTAMP,
    expires_at   TIMESTAMP     NOT NULL,
    -- Set once every element is stored: the elements go in in short transactions (a large
    -- task in one would hold the embedded registry's write lock for long), and a task is seen
    -- by no one before it is whole.
    ready        BOOLEAN NOT NULL DEFAULT FALSE,
    lease_owner  TEXT,
    lease_until  TIMESTAMP
);

-- The claim: the oldest unfinished task first.
CREATE INDEX bulk_tasks_unfinished ON bulk_tasks (submitted_at) WHERE completed_at IS NULL AND ready;
CREATE INDEX bulk_tasks_expiry ON bulk_tasks (expires_at);

-- One row per element, as submitted (the exact bytes, processed as a single call's body) and
-- its result once processed. `applied_irn` is written in the transaction that registers (or
-- cancels) the element's IRN, so that a task resumed after a crash between that commit and the
-- result's knows the element took effect through this task, and is not a duplicate of it.
CREATE TABLE bulk_elements (
    task_id        TEXT     NOT NULL REFERENCES bulk_tasks (task_id) ON DELETE CASCADE,
    idx            BIGINT   NOT NULL,
    request        BYTEA  NOT NULL,
    status         SMALLINT,                          -- 1 success, 0 failure, NULL pending
    result         TEXT,                              -- the E8 JSON entry
    result_csv     TEXT,                              -- its row of the E8 CSV
    applied_irn TEXT,
    PRIMARY KEY (task_id, idx)
);
