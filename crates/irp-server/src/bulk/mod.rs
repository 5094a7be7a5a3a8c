//! Bulk generation and cancellation (`09` §2, issue 17, `docs/BULK.md`).
//!
//! A task is submitted whole (E5, E6: [`api`]), stored in the shared registry with each element
//! as sent, and processed in the background by whichever node of either portal holds its lease
//! ([`worker`]). Each element goes through exactly the single call's operation
//! (`api::invoice::register_invoice`, `api::invoice::cancel_invoice`) as the submitting user;
//! its result is the single call's answer (`results`). E7 and E8 read progress and results on
//! any node.
//!
//! Exactly once: a registration or cancellation made for an element marks the element in its
//! own transaction (`bulk_elements.applied_irn`), so a task resumed after its node stopped
//! between that commit and the result's records the element's real outcome instead of the
//! duplicate (`2150`) or "already cancelled" (`9999`) a second attempt would meet.

pub mod api;
mod results;
pub mod split;
mod task_id;
pub mod worker;

pub use results::row as csv_row;
pub use worker::spawn_worker;
