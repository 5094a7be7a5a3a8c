//! A small time-bounded cache for registry facts that change rarely and are read on every
//! request: API clients, taxpayer records and sessions. An entry is trusted for [`CACHE_TTL`] at
//! most, so a change made through any node reaches every node within that time. Ending a session
//! must take effect at once (`07` §4.1), so only generate uses cached sessions, and its
//! registration re-reads the session in the commit's transaction (`api::pipeline::SessionSource`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a cached registry fact is trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// The most entries kept; beyond it the cache is cleared (simple, and bounded).
const MAX_ENTRIES: usize = 100_000;

pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Default for TtlCache<K, V> {
    fn default() -> TtlCache<K, V> {
        TtlCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// The cached value if it is younger than [`CACHE_TTL`].
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, value)| value.clone())
    }

    pub fn remove(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_returned_until_they_expire() {
        let cache: TtlCache<&str, u32> = TtlCache::default();
        assert_eq!(cache.get(&"a"), None);
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
    }
}
