//! The state table (`STATE_TABLE`, streamed): the inventory. A user pool and all its children
//! share one partition, so one Query returns the pool and every child.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | user pool | `POOL#<pool id>` | `POOL` |
//! | app client | `POOL#<pool id>` | `CLIENT#<client id>` |
//! | identity provider | `POOL#<pool id>` | `IDP#<provider name>` |
//! | user | `POOL#<pool id>` | `USER#<username>` |
//! | user sweep checkpoint | `POOL#<pool id>` | `SWEEP#USERS` |
//! | identity pool | `IDPOOL#<id>` | `IDPOOL` |
//! | identity sweep checkpoint | `IDPOOL#<id>` | `SWEEP#IDENTITIES` |
//! | scope cursor | `SCOPE#<account>#<region>` | `CURSOR` |
//! | scope posture memory | `SCOPE#<account>#<region>` | `POSTURE` |
//! | scope posture notice | `SCOPE#<account>#<region>` | `POSTURE#NOTICE#<notice id>` |
//! | posture overrides (accepted risks) | `POSTURE` | `OVERRIDES` |
//!
//! Roots (user pools, identity pools) carry `scope` = `<account>#<region>`, the hash key of the
//! sparse index `by-scope`, so a scope's roots are one Query and the whole estate one small Scan.

use cognito_watch_core::inventory::monitor::MonitorId;

use crate::dynamo::spec::{IndexSpec, Projected, TableSpec};
use crate::dynamo::TableKey;

/// The sparse index of roots by scope: roots carry `scope` = `<account>#<region>`.
pub const BY_SCOPE: IndexSpec = IndexSpec::new(
    "by-scope",
    ("scope", crate::dynamo::PK),
    Projected::KeysOnly,
);
/// The attribute naming what an item is (`monitor`, `sweep`, `cursor`).
pub const ITEM_TYPE: &str = "item_type";

/// The state table.
pub const SPEC: TableSpec = TableSpec::indexed("StateTable", &[BY_SCOPE], true);

const POOL: &str = "POOL#";
const IDPOOL: &str = "IDPOOL#";
const SCOPE: &str = "SCOPE#";
const CLIENT: &str = "CLIENT#";
const IDP: &str = "IDP#";
const USER: &str = "USER#";
const USER_SWEEP: &str = "SWEEP#USERS";
const IDENTITY_SWEEP: &str = "SWEEP#IDENTITIES";
const POSTURE: &str = "POSTURE";
const POSTURE_NOTICE: &str = "POSTURE#NOTICE#";

/// A state-table key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKey {
    /// A monitor (a root or a child, in its root's partition).
    Monitor(MonitorId),
    /// A user pool's user-sweep checkpoint.
    UserSweep { pool: String },
    /// An identity pool's identity-sweep checkpoint.
    IdentitySweep { id: String },
    /// A scope's cursor.
    Cursor { account: String, region: String },
    /// What a scope's posture checks last concluded (the failing ones).
    PostureMemory { account: String, region: String },
    /// The estate's posture overrides.
    PostureOverrides,
    /// A posture notice of a scope, with its delivery state.
    PostureNotice {
        account: String,
        region: String,
        notice_id: String,
    },
}

/// The sort-key prefix of a scope's posture notices.
pub const POSTURE_NOTICE_PREFIX: &str = POSTURE_NOTICE;

/// The partition of a root (and of everything stored under it, in the state table and the
/// status table): `POOL#<id>` or `IDPOOL#<id>`. A child's is its root's.
pub fn root_pk(id: &MonitorId) -> String {
    match id {
        MonitorId::IdentityPool { id } => format!("{IDPOOL}{id}"),
        other => format!("{POOL}{}", other.user_pool_id().unwrap_or_default()),
    }
}

/// The root a partition key stands for.
pub fn root_of_pk(pk: &str) -> Option<MonitorId> {
    if let Some(pool) = pk.strip_prefix(POOL).filter(|p| !p.is_empty()) {
        return Some(MonitorId::UserPool {
            pool: pool.to_string(),
        });
    }
    pk.strip_prefix(IDPOOL)
        .filter(|p| !p.is_empty())
        .map(|id| MonitorId::IdentityPool { id: id.to_string() })
}

/// The sort-key prefix of a root's app clients (the client → pool map reads only these).
pub const CLIENT_PREFIX: &str = CLIENT;

impl TableKey for StateKey {
    fn pk(&self) -> String {
        match self {
            StateKey::Monitor(id) => root_pk(id),
            StateKey::UserSweep { pool } => format!("{POOL}{pool}"),
            StateKey::IdentitySweep { id } => format!("{IDPOOL}{id}"),
            StateKey::PostureOverrides => POSTURE.into(),
            StateKey::Cursor { account, region }
            | StateKey::PostureMemory { account, region }
            | StateKey::PostureNotice {
                account, region, ..
            } => format!("{SCOPE}{account}#{region}"),
        }
    }

    fn sk(&self) -> String {
        match self {
            StateKey::Monitor(MonitorId::UserPool { .. }) => "POOL".into(),
            StateKey::Monitor(MonitorId::AppClient { client_id, .. }) => {
                format!("{CLIENT}{client_id}")
            }
            StateKey::Monitor(MonitorId::IdentityProvider { provider_name, .. }) => {
                format!("{IDP}{provider_name}")
            }
            StateKey::Monitor(MonitorId::User { username, .. }) => format!("{USER}{username}"),
            StateKey::Monitor(MonitorId::IdentityPool { .. }) => "IDPOOL".into(),
            StateKey::UserSweep { .. } => USER_SWEEP.into(),
            StateKey::IdentitySweep { .. } => IDENTITY_SWEEP.into(),
            StateKey::Cursor { .. } => "CURSOR".into(),
            StateKey::PostureMemory { .. } => POSTURE.into(),
            StateKey::PostureOverrides => "OVERRIDES".into(),
            StateKey::PostureNotice { notice_id, .. } => format!("{POSTURE_NOTICE}{notice_id}"),
        }
    }

    fn parse(pk: &str, sk: &str) -> Option<StateKey> {
        if pk == POSTURE {
            return (sk == "OVERRIDES").then_some(StateKey::PostureOverrides);
        }
        if let Some(scope) = pk.strip_prefix(SCOPE) {
            let (account, region) = scope.split_once('#')?;
            let (account, region) = (account.to_string(), region.to_string());
            return match sk {
                "CURSOR" => Some(StateKey::Cursor { account, region }),
                POSTURE => Some(StateKey::PostureMemory { account, region }),
                _ => sk
                    .strip_prefix(POSTURE_NOTICE)
                    .filter(|n| !n.is_empty())
                    .map(|n| StateKey::PostureNotice {
                        account,
                        region,
                        notice_id: n.to_string(),
                    }),
            };
        }
        let root = root_of_pk(pk)?;
        let pool = || root.user_pool_id().map(str::to_string);
        let child = |prefix: &str| sk.strip_prefix(prefix).filter(|c| !c.is_empty());
        Some(match (&root, sk) {
            (MonitorId::UserPool { .. }, "POOL") | (MonitorId::IdentityPool { .. }, "IDPOOL") => {
                StateKey::Monitor(root.clone())
            }
            (MonitorId::UserPool { pool }, USER_SWEEP) => {
                StateKey::UserSweep { pool: pool.clone() }
            }
            (MonitorId::IdentityPool { id }, IDENTITY_SWEEP) => {
                StateKey::IdentitySweep { id: id.clone() }
            }
            (MonitorId::UserPool { .. }, _) => {
                if let Some(client_id) = child(CLIENT) {
                    StateKey::Monitor(MonitorId::AppClient {
                        pool: pool()?,
                        client_id: client_id.to_string(),
                    })
                } else if let Some(name) = child(IDP) {
                    StateKey::Monitor(MonitorId::IdentityProvider {
                        pool: pool()?,
                        provider_name: name.to_string(),
                    })
                } else {
                    StateKey::Monitor(MonitorId::User {
                        pool: pool()?,
                        username: child(USER)?.to_string(),
                    })
                }
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dynamo::strategies;

    fn any_key() -> impl Strategy<Value = StateKey> {
        prop_oneof![
            strategies::monitor_id().prop_map(StateKey::Monitor),
            strategies::pool().prop_map(|pool| StateKey::UserSweep { pool }),
            strategies::root().prop_filter_map("identity pool", |r| match r {
                MonitorId::IdentityPool { id } => Some(StateKey::IdentitySweep { id }),
                _ => None,
            }),
            ("[0-9]{12}", "[a-z]{2}-[a-z]{4,9}-[1-3]")
                .prop_map(|(account, region)| StateKey::Cursor { account, region }),
            ("[0-9]{12}", "[a-z]{2}-[a-z]{4,9}-[1-3]")
                .prop_map(|(account, region)| StateKey::PostureMemory { account, region }),
            Just(StateKey::PostureOverrides),
            (
                "[0-9]{12}",
                "[a-z]{2}-[a-z]{4,9}-[1-3]",
                "posture/[a-z0-9_./#-]{1,80}"
            )
                .prop_map(|(account, region, notice_id)| StateKey::PostureNotice {
                    account,
                    region,
                    notice_id
                }),
        ]
    }

    proptest! {
        #[test]
        fn every_key_reads_back_as_itself(key in any_key()) {
            prop_assert_eq!(StateKey::parse(&key.pk(), &key.sk()), Some(key));
        }

        #[test]
        fn a_child_lives_in_its_root_partition(id in strategies::monitor_id()) {
            let root = id.parent().unwrap_or_else(|| id.clone());
            prop_assert_eq!(StateKey::Monitor(id).pk(), root_pk(&root));
            prop_assert_eq!(root_of_pk(&root_pk(&root)), Some(root));
        }
    }

    #[test]
    fn the_documented_layout_holds() {
        let client = StateKey::Monitor(MonitorId::AppClient {
            pool: "us-east-1_A".into(),
            client_id: "c1".into(),
        });
        assert_eq!(
            (client.pk(), client.sk()),
            ("POOL#us-east-1_A".into(), "CLIENT#c1".into())
        );
        let cursor = StateKey::Cursor {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
        };
        assert_eq!(cursor.pk(), "SCOPE#123456789012#eu-west-1");
        assert_eq!(StateKey::parse("POOL#x", "SOMETHING"), None);
        assert_eq!(StateKey::parse("OTHER#x", "POOL"), None);
    }
}
