//! What every handler shares: settings, the registry, the keys and the clock.

use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime};
use irp_core::ack::AckNo;
use irp_core::keys::{Certificate, SigningKey};
use irp_core::protocol::AuthPrivateKey;
use irp_core::signed::SigningOptions;
use irp_store::{InvoiceRecord, NewInvoice, PackedSignedInvoice, Registration};
use irp_store::{Store, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::clock::Clock;
use crate::secrets::Sealer;
use crate::settings::Settings;

/// AckNo sequence values taken from the registry at a time by one node.
const ACK_BLOCK: u32 = 100;
/// EwbNo sequence values taken from the registry at a time by one node (D-39).
const EWB_BLOCK: u32 = 100;
/// Unauthenticated bodies read at once: with the 2 MiB limit, at most 16 MiB held for strangers.
const PUBLIC_READS: usize = 8;
/// The largest 11-digit EwbNo sequence value.
const MAX_EWB_SEQUENCE: u64 = 99_999_999_999;

/// The application state, cloned cheaply into every request.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub signing_key: SigningKey,
    pub signing_options: SigningOptions,
    pub auth_key: AuthPrivateKey,
    pub sealer: Sealer,
    pub clock: Clock,
    ack_block: Mutex<AckBlock>,
    ewb_block: Mutex<AckBlock>,
    registrar: mpsc::Sender<PendingRegistration>,
    /// Signing threads, one per core.
    pub signing_pool: crate::signing_pool::SigningPool,
    /// API clients by id (checked on every call).
    pub clients: crate::cache::TtlCache<String, Option<irp_store::ApiClient>>,
    /// Taxpayers by GSTIN (read on every generate); `None` records "not in the register".
    pub taxpayers: crate::cache::TtlCache<String, Option<irp_core::register::Taxpayer>>,
    /// API sessions by token hash, trusted only by generate: its registration re-reads the
    /// session in the commit's transaction, so an ended session never registers an IRN.
    pub sessions: crate::cache::TtlCache<String, irp_store::Session>,
    /// Bodies of unauthenticated calls (`/eiext/v1.00/verify`) read at once.
    pub public_reads: tokio::sync::Semaphore,
    /// Rate limits and the queue in front of password checks.
    pub login_gate: crate::login_gate::LoginGate,
    /// Wakes this node's bulk worker when a task is submitted here (`crate::bulk`).
    pub bulk_wakeup: tokio::sync::Notify,
}

/// A registration waiting for the next group commit, and where to send its outcome.
type PendingRegistration = (
    NewInvoice,
    oneshot::Sender<Result<(InvoiceRecord, Registration), String>>,
);

/// The most registrations one group commit takes.
const GROUP_COMMIT_MAX: usize = 128;

/// Group commit: registrations that arrive while a transaction is being committed wait and are
/// committed together in the next one, so many acknowledged IRNs share one transaction and one
/// fsync. Every caller is answered only after its batch has committed.
async fn run_registrar(store: Arc<dyn Store>, mut queue: mpsc::Receiver<PendingRegistration>) {
    let mut batch = Vec::with_capacity(GROUP_COMMIT_MAX);
    while queue.recv_many(&mut batch, GROUP_COMMIT_MAX).await > 0 {
        let (invoices, replies): (Vec<NewInvoice>, Vec<_>) = batch.drain(..).unzip();
        match store.insert_invoices(&invoices).await {
            Ok(results) => {
                for ((reply, new), result) in replies.into_iter().zip(invoices).zip(results) {
                    let _ = reply.send(Ok((new.record, result)));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}

/// A node-local block of AckNo sequence values, so the hot path rarely asks the registry.
#[derive(Debug, Default)]
struct AckBlock {
    year: i32,
    next: u64,
    end: u64,
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        signing_key: SigningKey,
        auth_key: AuthPrivateKey,
        clock: Clock,
    ) -> AppState {
        let sealer = Sealer::derive(auth_key.private_key_pem().as_bytes());
        let login_gate = crate::login_gate::LoginGate::new(&settings.server);
        let (registrar, queue) = mpsc::channel(4 * GROUP_COMMIT_MAX);
        tokio::spawn(run_registrar(store.clone(), queue));
        let signing_options = SigningOptions {
            iss: settings.portal.jws_iss.clone(),
            default_disp_ship: settings.signing.default_disp_ship,
        };
        let state = AppState(Arc::new(Inner {
            settings,
            store,
            signing_key,
            signing_options,
            auth_key,
            sealer,
            clock,
            ack_block: Mutex::new(AckBlock::default()),
            ewb_block: Mutex::new(AckBlock::default()),
            registrar,
            signing_pool: crate::signing_pool::SigningPool::per_core(),
            clients: crate::cache::TtlCache::default(),
            taxpayers: crate::cache::TtlCache::default(),
            sessions: crate::cache::TtlCache::default(),
            public_reads: tokio::sync::Semaphore::new(PUBLIC_READS),
            login_gate,
            bulk_wakeup: tokio::sync::Notify::new(),
        }));
        crate::bulk::spawn_worker(&state);
        state
    }

    /// The next AckNo for a registration at `ack_dt`. Gaps are allowed (`05` §2): an unused
    /// block is simply skipped when the node stops.
    pub async fn next_ack_no(&self, ack_dt: NaiveDateTime) -> Result<AckNo, StoreError> {
        let settings = &self.0.settings;
        let mut block = self.0.ack_block.lock().await;
        let year = ack_dt.year();
        if block.year != year || block.next >= block.end {
            let first = self
                .0
                .store
                .reserve_ack_sequence(
                    settings.portal.id,
                    settings.portal.node_digit,
                    year,
                    ACK_BLOCK,
                )
                .await?;
            *block = AckBlock {
                year,
                next: first,
                end: first + u64::from(ACK_BLOCK),
            };
        }
        let sequence = block.next;
        block.next += 1;
        AckNo::new(
            settings.portal.id,
            settings.portal.node_digit,
            ack_dt,
            sequence,
        )
        .map_err(|error| StoreError::Database(format!("AckNo sequence: {error}")))
    }

    /// The API client `client_id`, from the cache or the registry.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<irp_store::ApiClient>, StoreError> {
        if let Some(client) = self.0.clients.get(&client_id.to_owned()) {
            return Ok(client);
        }
        let client = self.0.store.client(client_id).await?;
        // Only known clients are cached, so a client created a moment ago works at once.
        if client.is_some() {
            self.0.clients.put(client_id.to_owned(), client.clone());
        }
        Ok(client)
    }

    /// The register entries of `gstins`, from the cache or the registry (one query for the misses).
    pub async fn taxpayers(
        &self,
        gstins: &[&str],
    ) -> Result<Vec<irp_core::register::Taxpayer>, StoreError> {
        let mut found = Vec::with_capacity(gstins.len());
        let mut missing = Vec::new();
        for gstin in gstins {
            match self.0.taxpayers.get(&(*gstin).to_owned()) {
                Some(Some(taxpayer)) => found.push(taxpayer),
                Some(None) => {}
                None => missing.push(*gstin),
            }
        }
        if !missing.is_empty() {
            let fetched = self.0.store.taxpayers(&missing).await?;
            for gstin in missing {
                let record = fetched.iter().find(|t| t.gstin == gstin).cloned();
                self.0.taxpayers.put(gstin.to_owned(), record.clone());
                found.extend(record);
            }
        }
        Ok(found)
    }

    /// Registers an IRN through the group commit (its signed invoice packed already when
    /// `packed_signed_invoice` is given), provided the session of `authority` still exists
    /// when the batch commits (or, for a bulk element, marking the element registered in the
    /// same transaction), and hands the record back with the outcome; the error is for the log
    /// only.
    pub async fn register(
        &self,
        record: InvoiceRecord,
        packed_signed_invoice: Option<PackedSignedInvoice>,
        authority: &crate::api::Caller,
    ) -> Result<(InvoiceRecord, Registration), String> {
        let (reply, outcome) = oneshot::channel();
        let new = NewInvoice {
            record,
            // A bulk element is authorised by its task, not by a session that may have ended.
            session_token_hash: match authority.bulk_element {
                Some(_) => None,
                None => Some(authority.token_hash.clone()),
            },
            packed_signed_invoice,
            bulk_element: authority.bulk_element.clone(),
        };
        self.0
            .registrar
            .send((new, reply))
            .await
            .map_err(|_| "the registrar has stopped".to_owned())?;
        outcome
            .await
            .map_err(|_| "the registrar dropped the registration".to_owned())?
    }

    /// The next 12-digit EwbNo: the portal digit and one 11-digit sequence per portal, handed
    /// out in blocks so that all of a portal's nodes share it without colliding (`06` §5.4).
    pub async fn next_ewb_no(&self) -> Result<u64, StoreError> {
        let portal = self.0.settings.portal.id;
        let mut block = self.0.ewb_block.lock().await;
        if block.next >= block.end {
            let first = self.0.store.reserve_ewb_sequence(portal, EWB_BLOCK).await?;
            *block = AckBlock {
                year: 0,
                next: first,
                end: first + u64::from(EWB_BLOCK),
            };
        }
        let sequence = block.next;
        block.next += 1;
        if sequence > MAX_EWB_SEQUENCE {
            return Err(StoreError::Database(
                "the EwbNo sequence is exhausted".to_owned(),
            ));
        }
        Ok(u64::from(portal) * 100_000_000_000 + sequence)
    }

    /// Verifies a SignedInvoice or SignedQRCode token against every published certificate:
    /// the portal whose key signed it and what was signed, or `None` when no key did (E4 and
    /// the web mode's verify page).
    pub async fn verify_token(&self, token: &str) -> Option<(u8, irp_core::jws::Verified)> {
        let all = self.certificates().await;
        let verifier = irp_core::jws::Verifier::new(
            all.iter()
                .map(|(_, certificate, _)| certificate.clone())
                .collect(),
        );
        let verified = verifier.verify(token.trim()).ok()?;
        Some((all[verified.certificate_index].0, verified))
    }

    /// Every published signing certificate, this portal's first.
    pub async fn certificates(&self) -> Vec<(u8, Certificate, bool)> {
        let own = self.0.signing_key.certificate().clone();
        let mut all = vec![(self.0.settings.portal.id, own.clone(), true)];
        if let Ok(published) = self.0.store.certificates().await {
            for certificate in published {
                if certificate.kid == own.kid() {
                    continue;
                }
                if let Ok(parsed) = Certificate::from_der(&certificate.der) {
                    all.push((certificate.portal, parsed, certificate.current));
                }
            }
        }
        all
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
