//! Child reconciliation: what a pool's listing of children (app clients, identity providers)
//! means for the children stored before it. Pure: the collector applies the actions.

use std::collections::BTreeSet;

use super::monitor::MonitorId;

/// What describing one listed child came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Described<T, E> {
    /// Described: its name and details.
    Found(T),
    /// Listed, but gone by the time it was described (its not-found reason).
    Gone(String),
    /// Describing it failed for another reason: it keeps what it had.
    Failed(E),
}

/// What to do with one child.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildAction<T, E> {
    /// Store the child as described now.
    Upsert {
        /// The child.
        id: MonitorId,
        /// What describing it returned.
        found: T,
    },
    /// Mark the child deleted, for this reason.
    Delete {
        /// The child.
        id: MonitorId,
        /// Why it is gone.
        reason: String,
    },
    /// The child could not be read this time.
    Failed {
        /// The child.
        id: MonitorId,
        /// What failed.
        error: E,
    },
}

/// Reconcile a complete listing against the children stored before: a stored child the listing
/// no longer has is deleted ("no longer listed by `listing`"), every listed child is upserted,
/// deleted (gone since listed) or reported failed. Stored children come first, in their order,
/// then listed ones in the listing's order.
pub fn reconcile<T, E>(
    stored: impl IntoIterator<Item = MonitorId>,
    listing: &str,
    listed: Vec<(MonitorId, Described<T, E>)>,
) -> Vec<ChildAction<T, E>> {
    let present: BTreeSet<&MonitorId> = listed.iter().map(|(id, _)| id).collect();
    let mut actions: Vec<ChildAction<T, E>> = stored
        .into_iter()
        .filter(|id| !present.contains(id))
        .map(|id| ChildAction::Delete {
            id,
            reason: format!("no longer listed by {listing}"),
        })
        .collect();
    actions.extend(listed.into_iter().map(|(id, d)| match d {
        Described::Found(found) => ChildAction::Upsert { id, found },
        Described::Gone(reason) => ChildAction::Delete { id, reason },
        Described::Failed(error) => ChildAction::Failed { id, error },
    }));
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str) -> MonitorId {
        MonitorId::AppClient {
            pool: "us-east-1_A".into(),
            client_id: id.into(),
        }
    }

    #[test]
    fn a_child_no_longer_listed_is_deleted_and_listed_ones_follow_their_description() {
        let actions = reconcile(
            [client("old"), client("kept")],
            "ListUserPoolClients",
            vec![
                (client("kept"), Described::Found("kept")),
                (
                    client("raced"),
                    Described::Gone("ResourceNotFoundException".into()),
                ),
                (client("slow"), Described::Failed("Throttling")),
            ],
        );
        assert_eq!(
            actions,
            vec![
                ChildAction::Delete {
                    id: client("old"),
                    reason: "no longer listed by ListUserPoolClients".into()
                },
                ChildAction::Upsert {
                    id: client("kept"),
                    found: "kept"
                },
                ChildAction::Delete {
                    id: client("raced"),
                    reason: "ResourceNotFoundException".into()
                },
                ChildAction::Failed {
                    id: client("slow"),
                    error: "Throttling"
                },
            ]
        );
    }

    #[test]
    fn an_empty_listing_deletes_every_stored_child() {
        let actions = reconcile::<(), ()>([client("a"), client("b")], "ListX", vec![]);
        assert_eq!(actions.len(), 2);
        assert!(actions
            .iter()
            .all(|a| matches!(a, ChildAction::Delete { .. })));
    }
}
