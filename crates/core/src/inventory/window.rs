//! Poll windows: the stretch of time a poll reads from CloudWatch.
//!
//! A window runs from the end of the monitor's previous window (or, on a first poll, the last
//! 15 minutes) to now less CloudWatch's publishing delay, aligned to whole minutes. Consecutive
//! windows tile time: nothing is read twice and nothing is skipped, except when the collector
//! was away longer than the maximum lookback, which is reported as a gap.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// The CloudWatch period every query uses: Cognito publishes at most one datapoint a minute.
pub const PERIOD_SECONDS: i64 = 60;
/// A first poll covers this much.
pub const FIRST_POLL_LOOKBACK: Duration = Duration::minutes(15);
/// GetMetricData returns at most 100,800 datapoints per call; with 500 queries per call each
/// query may span at most 201 periods. Slices keep to 200.
pub const MAX_PERIODS_PER_SLICE: i64 = 200;

/// A span of CloudWatch time a poll reads: from `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Window {
    /// Its start, included.
    pub start: DateTime<Utc>,
    /// Its end, excluded.
    pub end: DateTime<Utc>,
}

/// What the next poll of a monitor should read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedWindow {
    /// The window to read.
    pub window: Window,
    /// Time that will never be read because the collector was away too long.
    pub gap: Option<Window>,
}

/// Window settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPolicy {
    /// CloudWatch publishing delay to allow for.
    pub delay: Duration,
    /// The furthest back a catching-up poll reads.
    pub max_lookback: Duration,
}

fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    // duration_trunc only fails for out-of-range timestamps, which `Utc::now()` is not.
    t.duration_trunc(Duration::seconds(PERIOD_SECONDS))
        .unwrap_or(t)
}

impl Window {
    /// How long it is.
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }

    /// The next window after `previous_end` (None on a first poll), or None when no whole
    /// minute has become readable since.
    pub fn next(
        previous_end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        policy: WindowPolicy,
    ) -> Option<PlannedWindow> {
        let end = floor_minute(now - policy.delay);
        let earliest = end - policy.max_lookback.max(FIRST_POLL_LOOKBACK);
        let (start, gap) = match previous_end {
            None => (end - FIRST_POLL_LOOKBACK, None),
            Some(prev) => {
                let prev = floor_minute(prev);
                if prev < earliest {
                    (
                        earliest,
                        Some(Window {
                            start: prev,
                            end: earliest,
                        }),
                    )
                } else {
                    (prev, None)
                }
            }
        };
        (start < end).then_some(PlannedWindow {
            window: Window { start, end },
            gap,
        })
    }

    /// The window cut in consecutive slices of at most `MAX_PERIODS_PER_SLICE` minutes, so
    /// one GetMetricData call of 500 queries stays within its datapoint limit.
    pub fn slices(&self) -> Vec<Window> {
        let step = Duration::seconds(PERIOD_SECONDS * MAX_PERIODS_PER_SLICE);
        let mut out = Vec::new();
        let mut s = self.start;
        while s < self.end {
            let e = (s + step).min(self.end);
            out.push(Window { start: s, end: e });
            s = e;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn policy() -> WindowPolicy {
        WindowPolicy {
            delay: Duration::minutes(5),
            max_lookback: Duration::hours(24),
        }
    }

    #[test]
    fn first_poll_covers_fifteen_minutes_before_the_delay() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap();
        let w = Window::next(None, now, policy()).unwrap();
        assert_eq!(
            w.window.end,
            Utc.with_ymd_and_hms(2026, 1, 1, 11, 55, 0).unwrap()
        );
        assert_eq!(w.window.duration(), Duration::minutes(15));
        assert_eq!(w.gap, None);
    }

    #[test]
    fn nothing_new_within_the_same_minute() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap();
        let w = Window::next(None, now, policy()).unwrap();
        assert_eq!(
            Window::next(Some(w.window.end), now + Duration::seconds(20), policy()),
            None
        );
    }

    #[test]
    fn a_long_absence_is_a_reported_gap() {
        let now = Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap();
        let prev = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let w = Window::next(Some(prev), now, policy()).unwrap();
        assert_eq!(w.window.duration(), Duration::hours(24));
        assert_eq!(w.gap.unwrap().start, prev);
        assert_eq!(w.gap.unwrap().end, w.window.start);
        let slices = w.window.slices();
        assert_eq!(slices.len(), 8);
        assert!(slices
            .iter()
            .all(|s| s.duration() <= Duration::minutes(200)));
    }

    proptest! {
        /// Polls at arbitrary moments tile time: each window starts where the previous ended,
        /// is minute aligned, never reaches past now - delay, and slices cover it exactly.
        #[test]
        fn consecutive_windows_tile_time(steps in proptest::collection::vec(1i64..20_000, 1..40)) {
            let mut now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
            let mut prev_end: Option<DateTime<Utc>> = None;
            for step in steps {
                now += Duration::seconds(step);
                if let Some(p) = Window::next(prev_end, now, policy()) {
                    let w = p.window;
                    if let (Some(prev), None) = (prev_end, p.gap) {
                        prop_assert_eq!(w.start, prev);
                    }
                    prop_assert!(w.end <= now - policy().delay);
                    prop_assert_eq!(w.start.timestamp() % 60, 0);
                    prop_assert_eq!(w.end.timestamp() % 60, 0);
                    let slices = w.slices();
                    prop_assert_eq!(slices.first().unwrap().start, w.start);
                    prop_assert_eq!(slices.last().unwrap().end, w.end);
                    for pair in slices.windows(2) {
                        prop_assert_eq!(pair[0].end, pair[1].start);
                    }
                    prev_end = Some(w.end);
                }
            }
        }
    }
}
