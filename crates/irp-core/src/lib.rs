//! The pure core of the IRP: it turns INV-01 invoice JSON into a registered, signed e-invoice
//! exactly as the NIC portals do.
//!
//! Invariant: no I/O, no async and no clock reads. The caller passes "now" and the taxpayer
//! register in; everything here is a function of its arguments (key generation aside, which draws
//! random numbers).

pub mod ack;
pub mod bind;
pub mod canonical;
pub mod codes;
pub mod error;
pub mod ewb;
pub mod gstin;
pub mod invoice;
pub mod irn;
pub mod json;
pub mod jws;
pub mod keys;
pub mod masters;
pub mod pem;
pub mod protocol;
pub mod qr;
pub mod register;
pub mod rules;
pub mod signed;
pub mod validate;
