-- The web mode (issue 16), PostgreSQL flavour; migrations/sqlite/0005_web_mode.sql is the same.

-- The buyer of each registered document, for the web mode's search by buyer GSTIN. NULL for
-- rows registered before this migration (and for imported records): they are found by every
-- other criterion.
ALTER TABLE invoices ADD COLUMN buyer_gstin TEXT;

-- The web mode's list and dashboard: a taxpayer's documents newest first, as supplier and as
-- e-commerce operator.
CREATE INDEX invoices_by_seller ON invoices (seller_gstin, ack_dt);
CREATE INDEX invoices_by_ecm ON invoices (ecm_gstin, ack_dt) WHERE ecm_gstin IS NOT NULL;

-- Web sessions live in `sessions`, so ending a user's sessions (password change, deactivation)
-- and the registration's session check cover them with no second table. Their key names this
-- reserved client: inactive, and with no secret that any hash matches, so no API call can log
-- in through it; its primary key keeps an operator from creating another client of that id.
INSERT INTO api_clients (client_id, secret_hash, name, active)
VALUES ('@web', '!', 'Web mode sessions (reserved)', FALSE);
