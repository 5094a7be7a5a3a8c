//! What every handler shares: settings, the registry, the keys and the clock.

use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime};
use irp_core::ack::AckNo;
use irp_core::keys::{Certificate, SigningKey};
use irp_core::protocol::AuthPrivateKey;
use irp_core::signed::SigningOptions;
use irp_store::{Store, StoreError};
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::secrets::Sealer;
use crate::settings::Settings;

/// AckNo sequence values taken from the registry at a time by one node.
const ACK_BLOCK: u32 = 100;
/// EwbNo sequence values taken from the registry at a time by one node (D-39).
const EWB_BLOCK: u32 = 100;
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
        let signing_options = SigningOptions {
            iss: settings.jws_iss.clone(),
            default_disp_ship: settings.default_disp_ship,
        };
        AppState(Arc::new(Inner {
            settings,
            store,
            signing_key,
            signing_options,
            auth_key,
            sealer,
            clock,
            ack_block: Mutex::new(AckBlock::default()),
            ewb_block: Mutex::new(AckBlock::default()),
        }))
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
                .reserve_ack_sequence(settings.portal_id, settings.node_digit, year, ACK_BLOCK)
                .await?;
            *block = AckBlock {
                year,
                next: first,
                end: first + u64::from(ACK_BLOCK),
            };
        }
        let sequence = block.next;
        block.next += 1;
        AckNo::new(settings.portal_id, settings.node_digit, ack_dt, sequence)
            .map_err(|error| StoreError::Database(format!("AckNo sequence: {error}")))
    }

    /// The next 12-digit EwbNo: the portal digit and one 11-digit sequence per portal, handed
    /// out in blocks so that all of a portal's nodes share it without colliding (`06` §5.4).
    pub async fn next_ewb_no(&self) -> Result<u64, StoreError> {
        let portal = self.0.settings.portal_id;
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

    /// Every published signing certificate, this portal's first.
    pub async fn certificates(&self) -> Vec<(u8, Certificate, bool)> {
        let own = self.0.signing_key.certificate().clone();
        let mut all = vec![(self.0.settings.portal_id, own.clone(), true)];
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
