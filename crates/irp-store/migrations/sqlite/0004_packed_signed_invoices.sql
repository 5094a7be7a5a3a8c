-- Signed invoices at rest in packed form (`src/packed.rs`): the JWS payload decoded and
-- zstd-compressed, about a sixth of the token's size. A packed row keeps '' in
-- `signed_invoice` (the column stays NOT NULL, which SQLite cannot drop in place); rows
-- written before this migration, and tokens that would not rebuild byte for byte, keep the
-- text there and NULL here.
ALTER TABLE invoices ADD COLUMN signed_invoice_packed BLOB;
