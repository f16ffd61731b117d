//! Resumable sweeps over paged listings too large for one invocation (ListUsers of a pool with a
//! million users, ListIdentities of a big identity pool). The pagination token and the partial
//! tally are checkpointed after every page; the next invocation resumes where this one stopped.

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

/// A sweep's checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep<T> {
    /// Increases by one with every new sweep; items seen carry the number of the sweep that
    /// saw them, so the ones an entire sweep did not see are known to be gone.
    pub number: u64,
    /// Where to resume; None before the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// When the sweep started.
    pub started_at: DateTime<Utc>,
    /// Pages read so far.
    pub pages: u64,
    /// What it has counted so far (the census, when complete).
    pub tally: T,
}

/// What a sweep does after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// More pages follow.
    Continue,
    /// That was the last page: the tally is complete.
    Complete,
}

impl<T: Default> Sweep<T> {
    /// The sweep after `previous` (a fresh one when there was none).
    pub fn begin(previous: Option<&Sweep<T>>, now: DateTime<Utc>) -> Sweep<T> {
        Sweep {
            number: previous.map_or(1, |p| p.number + 1),
            next_token: None,
            started_at: now,
            pages: 0,
            tally: T::default(),
        }
    }

    /// A page was read and tallied; `next_token` is the one the page returned.
    pub fn page_done(&mut self, next_token: Option<String>) -> Step {
        self.pages += 1;
        self.next_token = next_token.filter(|t| !t.is_empty());
        if self.next_token.is_some() {
            Step::Continue
        } else {
            Step::Complete
        }
    }

    /// Whether the sweep is part-way through.
    pub fn in_progress(&self) -> bool {
        self.next_token.is_some()
    }
}

/// Tally of a user sweep is the census it completes into.
pub type UserSweep = Sweep<crate::inventory::monitor::UserCensus>;
/// Tally of an identity sweep is the census it completes into.
pub type IdentitySweep = Sweep<crate::inventory::monitor::IdentityCensus>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_resumes_and_completes() {
        let now = Utc::now();
        let mut s: Sweep<u64> = Sweep::begin(None, now);
        assert_eq!(s.number, 1);
        s.tally += 60;
        assert_eq!(s.page_done(Some("t1".into())), Step::Continue);
        assert!(s.in_progress());
        // checkpoint round trip
        let json = serde_json::to_string(&s).unwrap();
        let mut s: Sweep<u64> = serde_json::from_str(&json).unwrap();
        s.tally += 10;
        assert_eq!(s.page_done(Some(String::new())), Step::Complete);
        assert_eq!((s.pages, s.tally), (2, 70));
        let next = Sweep::begin(Some(&s), now);
        assert_eq!((next.number, next.tally, next.pages), (2, 0, 0));
    }
}
