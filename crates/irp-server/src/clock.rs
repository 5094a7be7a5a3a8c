//! IST time for the portal. All timestamps of the protocol are Indian Standard Time, whatever the
//! server's time zone (spec README).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, NaiveDateTime, Utc};

/// The source of "now". Tests move it forward to expire tokens and cancellation windows.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// Now in IST, to the second (the protocol's timestamps have whole seconds).
    pub fn now(&self) -> NaiveDateTime {
        let now = Utc::now().naive_utc()
            + Duration::minutes(330)
            + Duration::seconds(self.offset_seconds.load(Ordering::Relaxed));
        now.with_nanosecond_zero()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

trait WithNanosecondZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl WithNanosecondZero for NaiveDateTime {
    fn with_nanosecond_zero(self) -> NaiveDateTime {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}
