//! One backoff for every retry loop (unprocessed writes and reads, transaction conflicts):
//! exponential from 50 ms, capped at 5 s, with "equal jitter" (half fixed, half random) so the
//! retries of concurrent callers spread out. The random part is the caller's: this stays pure.

use std::time::Duration;

/// The first retry's ceiling.
pub const BASE: Duration = Duration::from_millis(50);
/// No wait is longer.
pub const CAP: Duration = Duration::from_secs(5);

/// The wait before retry `retry` (0: the first try, no wait), with `jitter` in [0, 1).
pub fn backoff(retry: u32, jitter: f64) -> Duration {
    if retry == 0 {
        return Duration::ZERO;
    }
    let ceiling = BASE.saturating_mul(1 << (retry - 1).min(10)).min(CAP);
    let half = ceiling / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn waits_grow_are_capped_and_keep_half_fixed(retry in 1u32..64, jitter in 0.0f64..1.0) {
            let wait = backoff(retry, jitter);
            let ceiling = BASE.saturating_mul(1 << (retry - 1).min(10)).min(CAP);
            prop_assert!(wait >= ceiling / 2 && wait <= ceiling);
            prop_assert!(wait <= CAP);
        }
    }

    #[test]
    fn the_first_try_does_not_wait() {
        assert_eq!(backoff(0, 0.9), Duration::ZERO);
        assert_eq!(backoff(1, 0.0), Duration::from_millis(25));
        assert_eq!(backoff(30, 1.0), CAP);
    }
}
