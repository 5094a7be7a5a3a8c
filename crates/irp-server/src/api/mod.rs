//! The NIC-compatible endpoints. Handlers are thin: the pipeline ([`pipeline`]) reads and
//! authenticates the request, the handler calls the core and the registry and writes the
//! envelope.

pub mod auth;
pub mod ewb;
pub mod ewb_cancel;
pub mod invoice;
pub mod master;
pub mod pipeline;
pub mod print;
pub mod public;
pub mod query;
pub mod records;

use std::fmt::Display;
use std::panic::Location;

pub use pipeline::{Caller, NicBody, NicCall};
pub use query::QueryParams;

use irp_core::codes::Code;

use crate::envelope::ApiError;

/// Turns a failure into the answer `code`, instead of a `map_err` closure at every call.
pub trait OrCode<T> {
    /// `Option`: absence is the caller's to hear about (`2148`, `1005`…) and is not logged.
    /// `Result`: the failure is the portal's own (the registry, a template): it is logged
    /// once, here at the boundary, with the caller's source location, and never shown.
    fn or_code(self, code: Code) -> Result<T, ApiError>;
}

impl<T> OrCode<T> for Option<T> {
    fn or_code(self, code: Code) -> Result<T, ApiError> {
        self.ok_or_else(|| ApiError::code(code))
    }
}

impl<T, E: Display> OrCode<T> for Result<T, E> {
    #[track_caller]
    fn or_code(self, code: Code) -> Result<T, ApiError> {
        match self {
            Ok(value) => Ok(value),
            Err(error) => {
                let at = Location::caller();
                tracing::error!(%error, code = code.as_str(), at = %at, "internal failure");
                Err(ApiError::code(code))
            }
        }
    }
}
