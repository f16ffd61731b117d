//! The trail table (`TRAIL_TABLE`): 5-minute tallies, idempotency marks and security detections.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | tally | `TALLY#<pool or ->#<window>#<kind>#<value>` | `TALLY` |
//! | idempotency mark of a delivery's chunk | `IDEMPOTENCY#<delivery key>#<chunk>` | `MARK` |
//! | detection (outbox) | `FINDING#<finding key>` | `FINDING` |
//! | pools seen | `POOLS` | `<pool or ->` |
//! | last seen (first-in-a-while detections) | `SEEN#<what>#<subject>` | `SEEN` |
//! | a queued record's claim by a batch | `CLAIM#<delivery key>` | `CLAIM` |
//! | a batch's journal (part 0: the header, written last) | `JOURNAL#<batch>#<part>` | `JOURNAL` |
//! | the trail's own usage per hour and source | `USAGE` | `<hour>#<source>` |
//!
//! Every tally has its own partition, so a burst from one IP never heats a shared one, and
//! carries `tally_pk` = `<pool or ->#<kind>` and `tally_sk` = `<window>#<value>`, the keys of
//! the `tallies` index, so a pool's IPs (clients, error codes...) over a period are one Query.
//! Detections are in that index under `FINDINGS`, sorted by `<window>#<finding key>`.

use chrono::{DateTime, Utc};
use cognito_watch_core::trail::{TallyId, TallyKey, TallyKind};

use crate::dynamo::spec::{IndexSpec, Projected, TableSpec};
use crate::dynamo::{parse_time, s, time, Item, TableKey};

/// The index of tallies by (pool, kind) and of detections, by window: hash key `tally_pk`,
/// range key `tally_sk`.
pub const TALLIES: IndexSpec = IndexSpec::new("tallies", ("tally_pk", "tally_sk"), Projected::All);
/// The tally index's partition of detections.
pub const FINDINGS: &str = "FINDINGS";
/// How a tally of no known pool is stored.
pub const NO_POOL: &str = "-";

/// The trail table.
pub const SPEC: TableSpec = TableSpec::indexed("TrailTable", &[TALLIES], false);

const TALLY: &str = "TALLY#";
const IDEMPOTENCY: &str = "IDEMPOTENCY#";
const FINDING: &str = "FINDING#";
const POOLS: &str = "POOLS";
const SEEN: &str = "SEEN#";
const CLAIM: &str = "CLAIM#";
const JOURNAL: &str = "JOURNAL#";
const USAGE: &str = "USAGE";

/// A trail-table key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailKey {
    /// A tally.
    Tally(TallyId),
    /// The idempotency mark of one chunk of a delivery.
    Idempotency { delivery: String, chunk: usize },
    /// A detection.
    Finding { key: String },
    /// A pool tallies were kept for (`-` for none).
    Pool { pool: String },
    /// When something was last seen (`what` names it: `unauthenticated_credentials`).
    Seen { what: String, subject: String },
    /// A queued record, claimed by the batch that counts it.
    Claim { delivery: String },
    /// A part of a batch's journal (its tallies, to apply): 0 is the header.
    Journal { batch: String, part: usize },
    /// The trail function's own usage in one hour from one source (`sqs`, `logs`, `s3`...).
    Usage { hour: DateTime<Utc>, source: String },
}

impl TrailKey {
    /// The partition listing every pool tallies were kept for.
    pub const POOLS: &'static str = POOLS;
    /// The partition of the trail's usage records.
    pub const USAGE: &'static str = USAGE;

    /// The tally index's keys of a tally: `<pool or ->#<kind>` and `<window>#<value>`.
    pub fn tally_index(id: &TallyId) -> Item {
        Item::from([
            (
                TALLIES.hash.to_string(),
                s(TrailKey::tally_partition(pool_text(id), id.key.kind())),
            ),
            (
                TALLIES.range.to_string(),
                s(format!("{}#{}", time(id.window), id.key.value())),
            ),
        ])
    }

    /// The tally index's partition of one pool's tallies of one kind.
    pub fn tally_partition(pool: &str, kind: TallyKind) -> String {
        format!("{pool}#{kind}")
    }

    /// The tally index's keys of a detection.
    pub fn finding_index(key: &str, window: DateTime<Utc>) -> Item {
        Item::from([
            (TALLIES.hash.to_string(), s(FINDINGS)),
            (
                TALLIES.range.to_string(),
                s(format!("{}#{key}", time(window))),
            ),
        ])
    }
}

/// A tally's pool as stored.
pub fn pool_text(id: &TallyId) -> &str {
    id.pool.as_deref().unwrap_or(NO_POOL)
}

impl TableKey for TrailKey {
    fn pk(&self) -> String {
        match self {
            TrailKey::Tally(id) => format!(
                "{TALLY}{}#{}#{}#{}",
                pool_text(id),
                time(id.window),
                id.key.kind(),
                id.key.value()
            ),
            TrailKey::Idempotency { delivery, chunk } => {
                format!("{IDEMPOTENCY}{delivery}#{chunk}")
            }
            TrailKey::Finding { key } => format!("{FINDING}{key}"),
            TrailKey::Pool { .. } => POOLS.into(),
            TrailKey::Seen { what, subject } => format!("{SEEN}{what}#{subject}"),
            TrailKey::Claim { delivery } => format!("{CLAIM}{delivery}"),
            TrailKey::Journal { batch, part } => format!("{JOURNAL}{batch}#{part}"),
            TrailKey::Usage { .. } => USAGE.into(),
        }
    }

    fn sk(&self) -> String {
        match self {
            TrailKey::Tally(_) => "TALLY".into(),
            TrailKey::Idempotency { .. } => "MARK".into(),
            TrailKey::Finding { .. } => "FINDING".into(),
            TrailKey::Pool { pool } => pool.clone(),
            TrailKey::Seen { .. } => "SEEN".into(),
            TrailKey::Claim { .. } => "CLAIM".into(),
            TrailKey::Journal { .. } => "JOURNAL".into(),
            TrailKey::Usage { hour, source } => format!("{}#{source}", time(*hour)),
        }
    }

    fn parse(pk: &str, sk: &str) -> Option<TrailKey> {
        if pk == POOLS {
            return Some(TrailKey::Pool {
                pool: sk.to_string(),
            });
        }
        if pk == USAGE {
            let (hour, source) = sk.split_once('#')?;
            return Some(TrailKey::Usage {
                hour: parse_time(hour)?,
                source: source.to_string(),
            });
        }
        if let (Some(rest), "TALLY") = (pk.strip_prefix(TALLY), sk) {
            let mut parts = rest.splitn(4, '#');
            let pool = parts.next()?;
            let window = parse_time(parts.next()?)?;
            let kind = TallyKind::parse(parts.next()?)?;
            let value = parts.next()?;
            return Some(TrailKey::Tally(TallyId {
                pool: (pool != NO_POOL).then(|| pool.to_string()),
                window,
                key: TallyKey::new(kind, value),
            }));
        }
        if let (Some(rest), "MARK") = (pk.strip_prefix(IDEMPOTENCY), sk) {
            let (delivery, chunk) = rest.rsplit_once('#')?;
            return Some(TrailKey::Idempotency {
                delivery: delivery.to_string(),
                chunk: chunk.parse().ok()?,
            });
        }
        if let (Some(delivery), "CLAIM") = (pk.strip_prefix(CLAIM), sk) {
            return Some(TrailKey::Claim {
                delivery: delivery.to_string(),
            });
        }
        if let (Some(rest), "JOURNAL") = (pk.strip_prefix(JOURNAL), sk) {
            let (batch, part) = rest.rsplit_once('#')?;
            return Some(TrailKey::Journal {
                batch: batch.to_string(),
                part: part.parse().ok()?,
            });
        }
        if let (Some(rest), "SEEN") = (pk.strip_prefix(SEEN), sk) {
            let (what, subject) = rest.split_once('#')?;
            return Some(TrailKey::Seen {
                what: what.to_string(),
                subject: subject.to_string(),
            });
        }
        match (pk.strip_prefix(FINDING), sk) {
            (Some(key), "FINDING") => Some(TrailKey::Finding {
                key: key.to_string(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dynamo::strategies;

    fn tally() -> impl Strategy<Value = TallyId> {
        (
            proptest::option::of(strategies::pool()),
            strategies::time_s(),
            proptest::sample::select(TallyKind::ALL.to_vec()),
            strategies::name(),
        )
            .prop_map(|(pool, window, kind, value)| TallyId {
                pool,
                window,
                key: TallyKey::new(kind, value),
            })
    }

    fn any_key() -> impl Strategy<Value = TrailKey> {
        prop_oneof![
            tally().prop_map(TrailKey::Tally),
            (strategies::name(), 0usize..10_000)
                .prop_map(|(delivery, chunk)| TrailKey::Idempotency { delivery, chunk }),
            strategies::name().prop_map(|key| TrailKey::Finding { key }),
            strategies::name().prop_map(|pool| TrailKey::Pool { pool }),
            ("[a-z_]{1,30}", strategies::name())
                .prop_map(|(what, subject)| TrailKey::Seen { what, subject }),
            strategies::name().prop_map(|delivery| TrailKey::Claim { delivery }),
            (strategies::name(), 0usize..100)
                .prop_map(|(batch, part)| TrailKey::Journal { batch, part }),
            (strategies::time_s(), "[a-z]{1,12}")
                .prop_map(|(hour, source)| TrailKey::Usage { hour, source }),
        ]
    }

    proptest! {
        #[test]
        fn every_key_reads_back_as_itself(key in any_key()) {
            prop_assert_eq!(TrailKey::parse(&key.pk(), &key.sk()), Some(key));
        }

        #[test]
        fn a_kind_reads_back_from_its_name(kind in proptest::sample::select(TallyKind::ALL.to_vec())) {
            prop_assert_eq!(TallyKind::parse(kind.as_str()), Some(kind));
        }
    }
}
