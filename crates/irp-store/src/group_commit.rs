//! What both backends decide alike about a group commit before they write it: which
//! registrations their sessions still allow, and the order the rest are written in.

use std::collections::HashSet;

use crate::{NewInvoice, Registration};

/// The distinct session token hashes a batch names, for one look-up inside its transaction.
pub(crate) fn session_tokens(batch: &[NewInvoice]) -> Vec<&str> {
    let mut tokens: Vec<&str> = batch
        .iter()
        .filter_map(|new| new.session_token_hash.as_deref())
        .collect();
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// The registrations to write, as positions in `batch` sorted by IRN (stably, so of equal IRNs
/// the first wins and two racing batches take their locks in the same order), and the results
/// decided already: [`Registration::SessionEnded`] for each whose session is not in `live`.
pub(crate) fn admit(
    batch: &[NewInvoice],
    live: &HashSet<String>,
) -> (Vec<usize>, Vec<Option<Registration>>) {
    let mut results = vec![None; batch.len()];
    let mut order = Vec::with_capacity(batch.len());
    for (index, new) in batch.iter().enumerate() {
        match &new.session_token_hash {
            Some(token) if !live.contains(token) => {
                results[index] = Some(Registration::SessionEnded);
            }
            _ => order.push(index),
        }
    }
    order.sort_by(|a, b| batch[*a].record.irn.cmp(&batch[*b].record.irn));
    (order, results)
}
