-- E-way bills generated from IRNs (`06` §5–§6, `07` §3.1), SQLite flavour.
-- migrations/postgres/0003_ewbs.sql holds the same logical model; keep the two in step.

-- One row per e-way bill, active or cancelled. EWB records are shared by both portals: the
-- number is unique system-wide (its first digit is the generating portal's), and an IRN may have
-- several e-way bills over time, of which at most one is active (`4002`, see `ewbs_active`).
CREATE TABLE ewbs (
    ewb_no        INTEGER NOT NULL PRIMARY KEY,         -- 12 digits: portal digit + 11-digit sequence
    irn           TEXT    NOT NULL REFERENCES invoices (irn),
    status        TEXT    NOT NULL CHECK (status IN ('ACT', 'CNL')),
    gen_gstin     TEXT    NOT NULL,                     -- header Gstin of the generating call
    ewb_dt        TEXT    NOT NULL,                     -- IST, yyyy-MM-dd HH:mm:ss
    valid_till    TEXT,                                 -- NULL for a Part-A-only e-way bill
    distance_km   INTEGER NOT NULL,                     -- the distance used
    trans_mode    TEXT,                                 -- Part B and transporter, as given
    trans_id      TEXT,
    trans_name    TEXT,
    trans_doc_no  TEXT,
    trans_doc_dt  TEXT,                                 -- yyyy-MM-dd
    veh_no        TEXT,                                 -- normalised vehicle number
    veh_type      TEXT,                                 -- R or O
    portal        INTEGER NOT NULL,                     -- generating portal, 1 or 2
    cancel_at     TEXT,                                 -- the cancellation (`06` §6), NULL until then
    cancel_reason INTEGER,                              -- 1–4 (`cancel-reasons.csv`, scope EWB)
    cancel_remark TEXT,
    cancelled_by  TEXT,                                 -- header gstin of the cancelling call
    -- An active e-way bill carries no cancellation; a cancelled one carries all of it but the
    -- optional remark.
    CHECK ((status = 'ACT' AND cancel_at IS NULL AND cancel_reason IS NULL
                AND cancel_remark IS NULL AND cancelled_by IS NULL)
        OR (status = 'CNL' AND cancel_at IS NOT NULL AND cancel_reason IS NOT NULL
                AND cancelled_by IS NOT NULL))
);

-- At most one active e-way bill per IRN. The store relies on this partial unique index, not on a
-- prior look-up, so two portals generating for one IRN at once cannot both succeed; a cancelled
-- e-way bill leaves the index, after which a new one may be generated (`06` §6.3).
CREATE UNIQUE INDEX ewbs_active ON ewbs (irn) WHERE status = 'ACT';

-- Get EWB by IRN (D-46) and the "no active EWB" check of Cancel IRN (C-07): the e-way bills of
-- one IRN, newest last.
CREATE INDEX ewbs_by_irn ON ewbs (irn, ewb_dt, ewb_no);

-- EwbNo sequences (`06` §5.4, `07` §3.1): one 11-digit sequence per portal, shared by that
-- portal's nodes, which reserve blocks from it. `next_value` is the first value not yet handed
-- out; reservations advance it in one upsert. The 11-digit field bounds it.
CREATE TABLE ewb_sequences (
    portal     INTEGER NOT NULL PRIMARY KEY,
    next_value INTEGER NOT NULL CHECK (next_value BETWEEN 1 AND 100000000000)
) WITHOUT ROWID;
