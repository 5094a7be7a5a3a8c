//! The core's one integration-test binary: every schema and business rule, the golden NIC
//! sample, and property tests, all through the public API.

mod business;
mod ewb;
mod fuzz;
mod golden;
mod oracles;
mod properties;
mod schema;
mod signing;
mod support;
mod tidy;
