//! The portal's one integration-test binary: a real server on port 0, the real client, real
//! HTTP and cryptography, SQLite and PostgreSQL.

mod auth;
mod bulk;
mod durability;
mod ewb;
mod flow;
mod helpers;
mod limits;
mod logins;
mod operations;
mod web;
mod web_bulk;
