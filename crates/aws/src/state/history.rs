//! The history table (`HISTORY_TABLE`, not streamed, TTL `expires_at`): the Log Report and the
//! poll log.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | Log Report row | monitor id (`userpool/<id>`, `appclient/<pool>/<id>`…) | window start (ms) |
//! | poll log entry | `POLL#<account>#<region>` | poll start (ms) |

use chrono::{DateTime, Utc};

use crate::dynamo::spec::TableSpec;
use crate::dynamo::{parse_time, time_ms, TableKey};

/// The history table.
pub const SPEC: TableSpec = TableSpec::indexed("HistoryTable", &[], false);

const POLL: &str = "POLL#";

/// A history-table key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryKey {
    /// A monitor's Log Report row: the window it covers (the collection time for a snapshot).
    Row {
        monitor_id: String,
        at: DateTime<Utc>,
    },
    /// A scope's poll.
    Poll {
        account: String,
        region: String,
        started_at: DateTime<Utc>,
    },
}

impl HistoryKey {
    /// The partition of a scope's poll log.
    pub fn poll_partition(account: &str, region: &str) -> String {
        format!("{POLL}{account}#{region}")
    }
}

impl TableKey for HistoryKey {
    fn pk(&self) -> String {
        match self {
            HistoryKey::Row { monitor_id, .. } => monitor_id.clone(),
            HistoryKey::Poll {
                account, region, ..
            } => HistoryKey::poll_partition(account, region),
        }
    }

    fn sk(&self) -> String {
        match self {
            HistoryKey::Row { at, .. } => time_ms(*at),
            HistoryKey::Poll { started_at, .. } => time_ms(*started_at),
        }
    }

    fn parse(pk: &str, sk: &str) -> Option<HistoryKey> {
        let at = parse_time(sk)?;
        Some(match pk.strip_prefix(POLL) {
            Some(scope) => {
                let (account, region) = scope.split_once('#')?;
                HistoryKey::Poll {
                    account: account.to_string(),
                    region: region.to_string(),
                    started_at: at,
                }
            }
            None => HistoryKey::Row {
                monitor_id: pk.to_string(),
                at,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dynamo::strategies;

    fn any_key() -> impl Strategy<Value = HistoryKey> {
        prop_oneof![
            (strategies::monitor_id(), strategies::time_ms()).prop_map(|(id, at)| {
                HistoryKey::Row {
                    monitor_id: id.to_string(),
                    at,
                }
            }),
            (
                "[0-9]{12}",
                "[a-z]{2}-[a-z]{4,9}-[1-3]",
                strategies::time_ms()
            )
                .prop_map(|(account, region, started_at)| HistoryKey::Poll {
                    account,
                    region,
                    started_at
                }),
        ]
    }

    proptest! {
        #[test]
        fn every_key_reads_back_as_itself(key in any_key()) {
            prop_assert_eq!(HistoryKey::parse(&key.pk(), &key.sk()), Some(key));
        }

        #[test]
        fn sort_keys_sort_as_their_times(a in strategies::time_ms(), b in strategies::time_ms()) {
            prop_assert_eq!(time_ms(a).cmp(&time_ms(b)), a.cmp(&b));
        }
    }
}
