//! The IRP portal: the NIC-compatible API over the pure core and the registry.

pub mod api;
pub mod bulk;
pub mod cache;
pub mod clock;
pub mod connections;
pub mod envelope;
pub mod figures;
pub mod headers;
pub mod login_gate;
pub mod pdf;
pub mod router;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod signing_pool;
pub mod startup;
pub mod state;
pub mod web;
