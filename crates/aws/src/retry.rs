//! Waiting before a retry: the core's one backoff, with the jitter drawn here.

use std::hash::{BuildHasher, Hasher};

/// A number in [0, 1) from the standard library's per-process random keys.
pub fn jitter() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Wait before retry `retry` (0: no wait).
pub async fn pause(retry: u32) {
    let wait = cognito_watch_core::backoff::backoff(retry, jitter());
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}
