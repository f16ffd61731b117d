//! How far long work has come (users swept, identities sampled, trail records read), shared
//! between the work and whoever shows it: the CLI prints it on stderr while a handler runs in
//! its process. Counting is one relaxed atomic add; a handler given no watcher counts into a
//! progress nobody reads.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Users listed by a user sweep.
    UsersSwept,
    /// Identities listed by an identity sweep.
    IdentitiesSampled,
    /// Trail records read (CloudTrail records, log messages, user activity), kept or skipped.
    RecordsRead,
}

#[derive(Debug, Default)]
struct Counters {
    users_swept: AtomicU64,
    identities_sampled: AtomicU64,
    records_read: AtomicU64,
}

/// A handle on shared counters; clones count into the same ones.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Counters>);

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Users listed by the sweeps.
    pub users_swept: u64,
    /// Identities listed by the sweeps.
    pub identities_sampled: u64,
    /// Trail records read.
    pub records_read: u64,
}

impl Progress {
    /// Counts `n` more of `what`.
    pub fn add(&self, what: Counted, n: u64) {
        let counter = match what {
            Counted::UsersSwept => &self.0.users_swept,
            Counted::IdentitiesSampled => &self.0.identities_sampled,
            Counted::RecordsRead => &self.0.records_read,
        };
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            users_swept: self.0.users_swept.load(Ordering::Relaxed),
            identities_sampled: self.0.identities_sampled.load(Ordering::Relaxed),
            records_read: self.0.records_read.load(Ordering::Relaxed),
        }
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Snapshot {
    /// Only what has started: `12,000 users swept, 350 identities sampled`; empty when
    /// nothing has been counted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.users_swept, "users swept"),
            (self.identities_sampled, "identities sampled"),
            (self.records_read, "records read"),
        ];
        let mut first = true;
        for (n, what) in parts.into_iter().filter(|(n, _)| *n > 0) {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{} {what}", thousands(n))?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_count_into_the_same_counters() {
        let p = Progress::default();
        let worker = p.clone();
        worker.add(Counted::UsersSwept, 60);
        worker.add(Counted::UsersSwept, 60);
        worker.add(Counted::RecordsRead, 1_234_567);
        assert_eq!(
            p.snapshot(),
            Snapshot {
                users_swept: 120,
                identities_sampled: 0,
                records_read: 1_234_567
            }
        );
        assert_eq!(
            p.snapshot().to_string(),
            "120 users swept, 1,234,567 records read"
        );
        assert_eq!(Progress::default().snapshot().to_string(), "");
    }

    #[test]
    fn thousands_are_grouped() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (12_345, "12,345"),
            (100_000_000, "100,000,000"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }
}
