//! The `irp` binary as an operator runs it: `irp serve` in its own process, killed with SIGKILL
//! after acknowledging invoices, and `irp admin`.

mod admin;
mod bulk;
mod kill;
mod portals;
mod process;
mod shutdown;
