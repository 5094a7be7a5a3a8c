//! The background processor of bulk tasks: every node runs one. It claims the oldest task
//! whose lease is free or ran out, processes its pending elements in array order, at most
//! `bulk.concurrency` at once, and records their results every 64 elements (or half second)
//! with the lease renewed. A node that stops leaves its lease to run out; any node then takes the task
//! over from its first element without a result.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Weak};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use irp_core::ack::format_timestamp;
use irp_core::bind::parse_cancel_request;
use irp_core::codes::Code;
use irp_core::irn::Irn;
use irp_store::{BulkElementRef, BulkKind, BulkTask, ElementResult, PendingElement};
use tokio::task::JoinSet;

use super::results::{self, members};
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
/// Results are recorded (and the lease renewed) after this many elements, or this long.
const RECORD_EVERY: usize = 64;
const RECORD_AFTER: StdDuration = StdDuration::from_millis(500);
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
    let page = u32::try_from(concurrency * 8).unwrap_or(2048);
    let mut queue: VecDeque<(PendingElement, Option<String>)> = VecDeque::new();
    let mut next_from = 0;
    let mut exhausted = false;
    let mut running = JoinSet::new();
    let mut keys_running: HashSet<String> = HashSet::new();
    let mut attempts: HashMap<u32, u32> = HashMap::new();
    let mut done: Vec<ElementResult> = Vec::new();
    let mut last_record = Instant::now();
    let mut revoked = false;
    loop {
        if !exhausted && queue.len() < concurrency {
            // A user deactivated meanwhile submits no more: the rest of the task fails `1005`.
            revoked = revoked || !submitter_active(state, &task).await?;
            let pending = state
                .store
                .pending_bulk_elements(&task.task_id, next_from, page)
                .await?;
            match pending.last() {
                Some(last) => next_from = last.index + 1,
                None => exhausted = true,
            }
            queue.extend(pending.into_iter().map(|element| {
                let key = document_key(task.kind, &element.request);
                (element, key)
            }));
        }
        if revoked {
            for (element, _) in queue.drain(..) {
                let refused = ApiError::code(Code::E1005);
                done.push(results::failed(
                    task.kind,
                    element.index,
                    &element.request,
                    &refused,
                ));
            }
        }
        // While single calls come, a task keeps to a quarter of its concurrency, so that the
        // API's latency holds; alone, it has all of it.
        let limit = if state.signing_pool.calls_coming() {
            concurrency.div_ceil(4)
        } else {
            concurrency
        };
        // In array order; an element waits while an earlier one of the same document runs, so
        // that a repeated document meets its earlier occurrence as two single calls would.
        while running.len() < limit {
            let Some((_, key)) = queue.front() else {
                break;
            };
            if key.as_ref().is_some_and(|key| keys_running.contains(key)) {
                break;
            }
            let (element, key) = queue.pop_front().expect("the front exists");
            if let Some(key) = &key {
                keys_running.insert(key.clone());
            }
            let (state, task, caller) = (state.clone(), task.clone(), caller.clone());
            running.spawn(async move {
                let outcome = process_element(&state, &task, caller, &element).await;
                (element, key, outcome)
            });
        }
        let Some(joined) = running.join_next().await else {
            if exhausted && queue.is_empty() {
                // Nothing runs and nothing waits: every element has its result.
                record(state, &task, owner, &mut done).await?;
                return Ok(());
            }
            if !record(state, &task, owner, &mut done).await? {
                return Ok(());
            }
            continue;
        };
        let (element, key, outcome) = match joined {
            Ok(finished) => finished,
            Err(error) => {
                tracing::error!(%error, "bulk: an element's processing failed");
                return Err(irp_store::StoreError::Database(
                    "an element's processing failed".into(),
                ));
            }
        };
        if let Some(key) = &key {
            keys_running.remove(key);
        }
        match outcome {
            Outcome::Done(result) => done.push(result),
            Outcome::Retry(error) => {
                let count = attempts.entry(element.index).or_insert(0);
                *count += 1;
                if *count >= MAX_ATTEMPTS {
                    done.push(results::failed(
                        task.kind,
                        element.index,
                        &element.request,
                        &error,
                    ));
                } else {
                    // The registry failed it: wait, then send it again before anything after it.
                    record(state, &task, owner, &mut done).await?;
                    tokio::time::sleep(BACK_OFF).await;
                    queue.push_front((element, key));
                }
            }
        }
        if done.len() >= RECORD_EVERY || last_record.elapsed() >= RECORD_AFTER {
            if !record(state, &task, owner, &mut done).await? {
                tracing::info!(task = %task.task_id, "bulk: another node took the task over");
                return Ok(());
            }
            last_record = Instant::now();
        }
    }
}

/// Whether the task's submitter may still act: the user exists and is active.
async fn submitter_active(
    state: &AppState,
    task: &BulkTask,
) -> Result<bool, irp_store::StoreError> {
    Ok(state
        .store
        .user(&task.user_name)
        .await?
        .is_some_and(|user| user.active))
}

/// Records the results gathered and renews the lease; `false` when the lease was lost.
async fn record(
    state: &AppState,
    task: &BulkTask,
    owner: &str,
    done: &mut Vec<ElementResult>,
) -> Result<bool, irp_store::StoreError> {
    let now = state.clock.now();
    let held = state
        .store
        .record_bulk_results(
            &task.task_id,
            owner,
            done,
            now,
            now + Duration::seconds(LEASE_SECONDS),
        )
        .await?;
    done.clear();
    Ok(held)
}

/// What makes two elements the same document for ordering: supplier, type and number for
/// generate (more often equal than the IRN, never less), the IRN for cancel.
fn document_key(kind: BulkKind, request: &[u8]) -> Option<String> {
    let key = match kind {
        BulkKind::Generate => members(
            request,
            &[
                &["SellerDtls", "Gstin"],
                &["DocDtls", "Typ"],
                &["DocDtls", "No"],
            ],
        )
        .iter()
        .map(|part| part.trim().to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join("|"),
        BulkKind::Cancel => members(request, &[&["Irn"]])[0].trim().to_ascii_uppercase(),
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

    #[test]
    fn a_document_is_known_by_supplier_type_and_number_in_any_case() {
        let key = |json: &str| document_key(BulkKind::Generate, json.as_bytes());
        let doc = |gstin: &str, no: &str| {
            format!(
                r#"{{"SellerDtls":{{"Gstin":"{gstin}"}},"DocDtls":{{"Typ":"INV","No":"{no}","Dt":"01/12/2026"}}}}"#
            )
        };
        assert_eq!(
            key(&doc("29aaaaa0000a1z5", "a/1")),
            key(&doc("29AAAAA0000A1Z5", "A/1"))
        );
        assert_ne!(
            key(&doc("29AAAAA0000A1Z5", "A/1")),
            key(&doc("29AAAAA0000A1Z5", "A/2"))
        );
        assert_ne!(
            key(&doc("29AAAAA0000A1Z5", "A/1")),
            key(&doc("27AAAAA0000A1Z5", "A/1"))
        );
        assert_eq!(key("not json"), None);
        assert_eq!(key("{}"), None);
        let cancel = |json: &str| document_key(BulkKind::Cancel, json.as_bytes());
        assert_eq!(cancel(r#"{"Irn":"ab"}"#), cancel(r#"{"irn":" AB "}"#));
        assert_eq!(cancel(r#"{"CnlRsn":"1"}"#), None);
    }
}
