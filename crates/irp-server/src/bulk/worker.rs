//! The background processor of bulk tasks: every node runs one. It claims the oldest task
//! whose lease is free or ran out, processes its pending elements in array order a window at
//! a time, at most `bulk.concurrency` at once, and records each window's results with the
//! lease renewed. A node that stops leaves its lease to run out; any node then takes the task
//! over from its first element without a result.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration as StdDuration;

use chrono::Duration;
use irp_core::ack::format_timestamp;
use irp_core::bind::parse_cancel_request;
use irp_core::codes::Code;
use irp_core::irn::Irn;
use irp_store::{BulkElementRef, BulkKind, BulkTask, ElementResult, PendingElement};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::results::{self, member_text};
use crate::api::Caller;
use crate::api::invoice::{cancel_invoice, invoice_data, register_invoice};
use crate::api::records::active_ewb;
use crate::envelope::ApiError;
use crate::state::{AppState, Inner};

/// How long a claim or a recorded window holds a task for its node.
const LEASE_SECONDS: i64 = 20;
/// How often an idle node looks for tasks submitted at other nodes.
const IDLE_POLL: StdDuration = StdDuration::from_secs(1);
/// How long a node waits after the registry failed it before trying again.
const BACK_OFF: StdDuration = StdDuration::from_secs(2);
/// How often a node deletes expired tasks.
const PURGE_EVERY_MINUTES: i64 = 10;
/// Attempts of an element whose call keeps failing for want of the registry (`2146`, `5001`)
/// before that failure becomes its result, so that no task waits forever.
const MAX_ATTEMPTS: u32 = 5;

/// Starts this node's processor. It holds the portal's state only while it works, and ends
/// when the state is dropped.
pub fn spawn_worker(state: &AppState) {
    let owner = format!(
        "IRP-{}/node-{}/{}/{:08x}",
        state.settings.portal.id,
        state.settings.portal.node_digit,
        std::process::id(),
        rand_u32()
    );
    tokio::spawn(run(Arc::downgrade(&state.0), owner));
}

fn rand_u32() -> u32 {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0_u8; 4];
    let _ = SystemRandom::new().fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

async fn run(weak: Weak<Inner>, owner: String) {
    let mut last_purge = None;
    loop {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        let state = AppState(inner);
        let now = state.clock.now();
        if last_purge.is_none_or(|at| now - at > Duration::minutes(PURGE_EVERY_MINUTES)) {
            last_purge = Some(now);
            if let Err(error) = state.store.purge_bulk_tasks(now).await {
                tracing::warn!(%error, "bulk: expired tasks could not be deleted");
            }
        }
        let lease_until = now + Duration::seconds(LEASE_SECONDS);
        match state.store.claim_bulk_task(&owner, now, lease_until).await {
            Ok(Some(task)) => {
                let task_id = task.task_id.clone();
                if let Err(error) = process(&state, Arc::new(task), &owner).await {
                    tracing::warn!(%error, task = %task_id, "bulk: task interrupted");
                    tokio::time::sleep(BACK_OFF).await;
                }
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "bulk: tasks could not be claimed");
                tokio::time::sleep(BACK_OFF).await;
            }
        }
        let _ = tokio::time::timeout(IDLE_POLL, state.bulk_wakeup.notified()).await;
    }
}

/// What one attempt at an element came to.
enum Outcome {
    Done(ElementResult),
    /// The registry could not be used; the element stays pending.
    Retry(ApiError),
}

async fn process(
    state: &AppState,
    task: Arc<BulkTask>,
    owner: &str,
) -> Result<(), irp_store::StoreError> {
    let caller = Caller {
        client_id: task.client_id.clone(),
        user_name: task.user_name.clone(),
        gstin: task.gstin.clone(),
        sup_gstin: task.sup_gstin.clone(),
        token_hash: String::new(),
        session_cached: false,
        bulk_element: None,
    };
    let concurrency = state.settings.bulk.concurrency;
    let window = u32::try_from(concurrency * 4).unwrap_or(1024);
    let mut attempts: HashMap<u32, u32> = HashMap::new();
    let mut from = 0;
    loop {
        let pending = state
            .store
            .pending_bulk_elements(&task.task_id, from, window)
            .await?;
        let Some(last) = pending.last().map(|element| element.index) else {
            return Ok(());
        };
        let (mut results, retry) =
            process_window(state, &task, &caller, pending, concurrency).await;
        let mut stalled = false;
        for (element, error) in retry {
            let count = attempts.entry(element.index).or_insert(0);
            *count += 1;
            if *count >= MAX_ATTEMPTS {
                results.push(results::failed(
                    task.kind,
                    element.index,
                    &element.request,
                    &error,
                ));
            } else {
                stalled = true;
            }
        }
        let now = state.clock.now();
        let held = state
            .store
            .record_bulk_results(
                &task.task_id,
                owner,
                &results,
                now,
                now + Duration::seconds(LEASE_SECONDS),
            )
            .await?;
        if !held {
            tracing::info!(task = %task.task_id, "bulk: another node took the task over");
            return Ok(());
        }
        if stalled {
            // Elements wait for the registry: start again from the first one still pending.
            tokio::time::sleep(BACK_OFF).await;
            from = 0;
        } else {
            from = last + 1;
        }
    }
}

/// Processes a window of pending elements, in waves: a wave holds no two elements of the same
/// document (the same IRN to cancel), so that a repeated document meets its earlier occurrence
/// as in array order. A wave whose elements must wait for the registry stops the window there.
async fn process_window(
    state: &AppState,
    task: &Arc<BulkTask>,
    caller: &Caller,
    pending: Vec<PendingElement>,
    concurrency: usize,
) -> (Vec<ElementResult>, Vec<(PendingElement, ApiError)>) {
    let mut results = Vec::with_capacity(pending.len());
    let mut retry = Vec::new();
    for wave in waves(task.kind, pending) {
        let limit = Arc::new(Semaphore::new(concurrency));
        let mut running = JoinSet::new();
        for element in wave {
            let (state, task, caller, limit) =
                (state.clone(), task.clone(), caller.clone(), limit.clone());
            running.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let outcome = process_element(&state, &task, caller, &element).await;
                (element, outcome)
            });
        }
        while let Some(joined) = running.join_next().await {
            match joined {
                Ok((_, Outcome::Done(result))) => results.push(result),
                Ok((element, Outcome::Retry(error))) => retry.push((element, error)),
                Err(error) => tracing::error!(%error, "bulk: an element's processing failed"),
            }
        }
        if !retry.is_empty() {
            break;
        }
    }
    results.sort_by_key(|result| result.index);
    (results, retry)
}

/// `pending` cut into waves in array order, a new wave starting where an element's document
/// is already in the current one.
fn waves(kind: BulkKind, pending: Vec<PendingElement>) -> Vec<Vec<PendingElement>> {
    let mut waves: Vec<Vec<PendingElement>> = vec![Vec::new()];
    let mut keys: HashSet<String> = HashSet::new();
    for element in pending {
        if let Some(key) = document_key(kind, &element.request)
            && !keys.insert(key.clone())
        {
            waves.push(Vec::new());
            keys.clear();
            keys.insert(key);
        }
        waves.last_mut().expect("one wave at least").push(element);
    }
    waves
}

/// What makes two elements the same document for ordering: supplier, type and number for
/// generate (more often equal than the IRN, never less), the IRN for cancel.
fn document_key(kind: BulkKind, request: &[u8]) -> Option<String> {
    let key = match kind {
        BulkKind::Generate => [
            member_text(request, &["SellerDtls", "Gstin"]),
            member_text(request, &["DocDtls", "Typ"]),
            member_text(request, &["DocDtls", "No"]),
        ]
        .map(|part| part.trim().to_ascii_uppercase())
        .join("|"),
        BulkKind::Cancel => member_text(request, &["Irn"]).trim().to_ascii_uppercase(),
    };
    (!key.trim_matches('|').is_empty()).then_some(key)
}

/// One element, exactly as the single call would process it for the task's submitter.
async fn process_element(
    state: &AppState,
    task: &BulkTask,
    mut caller: Caller,
    element: &PendingElement,
) -> Outcome {
    caller.bulk_element = Some(BulkElementRef {
        task_id: task.task_id.clone(),
        index: element.index,
    });
    if let Some(irn) = &element.applied_irn {
        return applied(state, task, element, irn).await;
    }
    let answer = match task.kind {
        BulkKind::Generate => match register_invoice(state, &caller, &element.request).await {
            Ok(registered) => {
                let data = invoice_data(state, &registered.record, registered.ewb.as_ref());
                return Outcome::Done(results::generated(
                    element.index,
                    &element.request,
                    &data,
                    &registered.info,
                ));
            }
            Err(error) => error,
        },
        BulkKind::Cancel => {
            let request = match parse_cancel_request(&element.request) {
                Ok(request) => request,
                Err(errors) => {
                    return Outcome::Done(results::failed(
                        task.kind,
                        element.index,
                        &element.request,
                        &ApiError::from(errors),
                    ));
                }
            };
            match cancel_invoice(state, &caller, task.irp_header, &request).await {
                Ok(at) => {
                    return Outcome::Done(results::cancelled(
                        element.index,
                        request.irn.as_str(),
                        &format_timestamp(at),
                    ));
                }
                Err(error) => error,
            }
        }
    };
    if has_code(&answer, &[Code::E2146, Code::E5001]) {
        return Outcome::Retry(answer);
    }
    // A duplicate, or an IRN already cancelled, may be this very element's work done by a
    // node that lost the task meanwhile: the mark written with the change tells.
    if has_code(&answer, &[Code::E2150, Code::E9999]) {
        match state
            .store
            .bulk_applied_irn(&task.task_id, element.index)
            .await
        {
            Ok(Some(irn)) => return applied(state, task, element, &irn).await,
            Ok(None) => {}
            Err(_) => return Outcome::Retry(ApiError::code(Code::E5001)),
        }
    }
    Outcome::Done(results::failed(
        task.kind,
        element.index,
        &element.request,
        &answer,
    ))
}

fn has_code(error: &ApiError, codes: &[Code]) -> bool {
    error
        .errors
        .iter()
        .any(|detail| codes.contains(&detail.code))
}

/// The result of an element whose registration (or cancellation) committed before its result
/// was recorded, read back from the registry.
async fn applied(
    state: &AppState,
    task: &BulkTask,
    element: &PendingElement,
    irn: &str,
) -> Outcome {
    let retry = || Outcome::Retry(ApiError::code(Code::E5001));
    let Some(irn) = Irn::parse(irn) else {
        return retry();
    };
    let record = match state.store.invoice(&irn).await {
        Ok(Some(record)) => record,
        _ => return retry(),
    };
    match task.kind {
        BulkKind::Generate => {
            let Ok(ewb) = active_ewb(state, &irn).await else {
                return retry();
            };
            let data = invoice_data(state, &record, ewb.as_ref());
            Outcome::Done(results::generated(
                element.index,
                &element.request,
                &data,
                &[],
            ))
        }
        BulkKind::Cancel => match &record.cancellation {
            Some(cancellation) => Outcome::Done(results::cancelled(
                element.index,
                irn.as_str(),
                &format_timestamp(cancellation.at),
            )),
            None => retry(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(index: u32, json: &str) -> PendingElement {
        PendingElement {
            index,
            request: json.as_bytes().to_vec(),
            applied_irn: None,
        }
    }

    fn doc(no: &str) -> String {
        format!(
            r#"{{"SellerDtls":{{"Gstin":"29AAAAA0000A1Z5"}},"DocDtls":{{"Typ":"INV","No":"{no}"}}}}"#
        )
    }

    #[test]
    fn a_repeated_document_waits_for_a_later_wave() {
        let pending = vec![
            element(0, &doc("A/1")),
            element(1, &doc("B/1")),
            element(2, &doc("a/1")),
            element(3, "not json"),
            element(4, &doc("C/1")),
            element(5, &doc("B/1")),
        ];
        let indexes: Vec<Vec<u32>> = waves(BulkKind::Generate, pending)
            .iter()
            .map(|wave| wave.iter().map(|e| e.index).collect())
            .collect();
        assert_eq!(indexes, vec![vec![0, 1], vec![2, 3, 4, 5]]);
        let cancels = vec![
            element(0, r#"{"Irn":"ab"}"#),
            element(1, r#"{"Irn":"AB"}"#),
            element(2, r#"{"Irn":"cd"}"#),
        ];
        let indexes: Vec<usize> = waves(BulkKind::Cancel, cancels)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(indexes, vec![1, 2]);
    }
}
