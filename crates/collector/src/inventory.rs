//! Inventory: Describe*/List* of user pools (with their app clients, identity providers and
//! tags) and identity pools (with their roles), merged into the stored monitors.
//!
//! Rules: a resource missing from a complete listing, or answered "not found", is marked
//! deleted (never dropped); a failing call makes only the monitors it concerned stale, and they
//! keep their last configuration; an optional call (tags, identity pool roles) that fails is
//! noted in the poll log, tried once per poll and scope, and makes nothing stale.

use std::collections::{BTreeMap, BTreeSet};

use cognito_watch_aws::sdk::ScopeClients;
use cognito_watch_aws::state::ScopeState;
use cognito_watch_aws::AwsError;
use cognito_watch_core::inventory::monitor::{
    inventory_metrics, AppClientDetails, IdentityProviderDetails, Monitor, MonitorDetails,
    MonitorId, MonitorKind, UserPoolDetails,
};
use cognito_watch_core::inventory::reconcile::{reconcile, ChildAction, Described};
use cognito_watch_core::inventory::security::{MfaConfig, Readout, RiskActions};
use futures::StreamExt;

use crate::event::CollectorRequest;
use crate::poll::Poll;

type Tags = BTreeMap<String, String>;
/// A listing of children, each with what describing it returned.
type Listing<T> = Vec<(String, Result<T, AwsError>)>;
/// A listing of one kind of children by monitor id: each one's name and details, or the error.
type ChildListing = Vec<(MonitorId, Result<(String, MonitorDetails), AwsError>)>;

struct PoolScan {
    pool_id: String,
    described: Result<(String, UserPoolDetails, Tags), AwsError>,
    /// What the posture checks read beside DescribeUserPool: MFA, risk actions, log export.
    security: Option<SecurityReads>,
    tags: Option<Result<Tags, AwsError>>,
    clients: Option<Result<Listing<(String, AppClientDetails)>, AwsError>>,
    idps: Option<Result<Listing<IdentityProviderDetails>, AwsError>>,
}

impl Poll<'_> {
    /// Returns false when a listing (ListUserPools, ListIdentityPools) failed: the inventory is
    /// then due again at the next poll. Narrower failures are retried through `retry_failed`.
    pub(crate) async fn inventory(&mut self, request: &CollectorRequest) -> bool {
        let mut listed = self.user_pools(request).await;
        if request.user_pool_ids.is_none() {
            listed &= self.identity_pools().await;
        }
        listed
    }

    /// Retry the inventory of what failed at the last inventory (the pools whose monitors carry an
    /// inventory error, and the identity pools if any of theirs does), so they are stale for one
    /// poll rather than until the next full inventory. Returns whether anything was retried.
    pub(crate) async fn retry_failed_inventory(&mut self) -> bool {
        let failed =
            |m: &&cognito_watch_core::Monitor| m.inventory_error.is_some() && !m.is_deleted();
        let mut pools = self.state.cursor.inventory_retry.clone();
        pools.extend(
            self.state
                .monitors
                .values()
                .filter(failed)
                .filter_map(|m| m.user_pool_id.clone()),
        );
        let identity = self.state.cursor.identity_inventory_retry
            || self
                .state
                .monitors
                .values()
                .filter(failed)
                .any(|m| m.kind == MonitorKind::IdentityPool);
        let retried = !pools.is_empty() || identity;
        if !pools.is_empty() {
            let request = CollectorRequest {
                user_pool_ids: Some(pools.into_iter().collect()),
                ..Default::default()
            };
            self.user_pools(&request).await;
        }
        if identity {
            self.identity_pools().await;
        }
        retried
    }

    /// Returns false when ListUserPools failed.
    async fn user_pools(&mut self, request: &CollectorRequest) -> bool {
        let targets: Vec<String> = match &request.user_pool_ids {
            Some(ids) => ids.clone(),
            None => match self.clients.list_user_pools().await {
                Ok(list) => {
                    let listed: BTreeSet<&String> = list.iter().map(|(id, _)| id).collect();
                    let gone: Vec<String> = self
                        .state
                        .monitors
                        .iter()
                        .filter(|(id, m)| id.kind() == MonitorKind::UserPool && !m.is_deleted())
                        .filter_map(|(id, _)| {
                            id.user_pool_id()
                                .filter(|p| !listed.contains(&p.to_string()))
                                .map(str::to_string)
                        })
                        .collect();
                    for pool in gone {
                        self.delete_pool(&pool, "no longer listed by ListUserPools");
                    }
                    list.into_iter().map(|(id, _)| id).collect()
                }
                Err(e) => {
                    self.listing_failed_for(&e, |m| m.user_pool_id.is_some());
                    return false;
                }
            },
        };
        let tags_gate = TagsGate::new(None);
        let refused = Refused::default();
        let scans: Vec<PoolScan> = futures::stream::iter(targets)
            .map(|pool| scan_pool(self.clients, pool, &tags_gate, &refused))
            .buffer_unordered(self.config.pool_concurrency)
            .collect()
            .await;
        for scan in scans {
            // Retried until a pass of the pool goes through; a failure below puts it back.
            self.state.cursor.inventory_retry.remove(&scan.pool_id);
            self.apply_pool(scan);
        }
        true
    }

    fn apply_pool(&mut self, scan: PoolScan) {
        let pool = scan.pool_id.clone();
        let pool_id = MonitorId::UserPool { pool: pool.clone() };
        let (name, mut details, describe_tags) = match scan.described {
            Err(e) if e.is_not_found() => {
                self.delete_pool(&pool, &e.to_string());
                return;
            }
            Err(e) => {
                self.pool_unreadable(&pool, &e);
                return;
            }
            Ok(d) => d,
        };
        let previous = self
            .state
            .monitors
            .get(&pool_id)
            .and_then(|m| match &m.details {
                MonitorDetails::UserPool(d) => Some(d.clone()),
                _ => None,
            });
        details.user_census = previous.as_ref().and_then(|p| p.user_census.clone());
        if let (Some(reads), Some(security)) = (scan.security, details.security.as_mut()) {
            for reason in reads.refusals() {
                self.log
                    .notes
                    .push(format!("{pool}: {reason} (its posture checks are unknown)"));
            }
            security.mfa = Some(reads.mfa);
            security.risk_actions = Some(reads.risk_actions);
            security.activity_log_export = Some(reads.activity_log_export);
            security.web_acl = Some(reads.web_acl);
        }
        let mut pool_errors = Vec::new();
        let client_id = |client_id: &str| MonitorId::AppClient {
            pool: pool.clone(),
            client_id: client_id.to_string(),
        };
        let provider = |provider_name: &str| MonitorId::IdentityProvider {
            pool: pool.clone(),
            provider_name: provider_name.to_string(),
        };
        let listings = [
            (
                scan.clients.map(|r| {
                    r.map(|l| {
                        keyed(l, client_id, |_, (name, d)| {
                            (name, MonitorDetails::AppClient(d))
                        })
                    })
                }),
                MonitorKind::AppClient,
                "ListUserPoolClients",
            ),
            (
                scan.idps.map(|r| {
                    r.map(|l| {
                        keyed(l, provider, |name, d| {
                            (name.to_string(), MonitorDetails::IdentityProvider(d))
                        })
                    })
                }),
                MonitorKind::IdentityProvider,
                "ListIdentityProviders",
            ),
        ];
        for (listing, kind, operation) in listings {
            let count = match listing {
                Some(Ok(listed)) => self.apply_children(&pool, kind, operation, listed),
                Some(Err(e)) => {
                    self.listing_failed(&pool, kind, &e);
                    pool_errors.push(e.to_string());
                    // The count stands as last seen.
                    previous
                        .clone()
                        .map_or(0, |mut p| *child_count(&mut p, kind))
                }
                None => continue,
            };
            *child_count(&mut details, kind) = count;
        }
        let tags = match scan.tags {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                self.log.notes.push(format!(
                    "{pool}: {e} (tags taken from DescribeUserPool; not retried this poll)"
                ));
                describe_tags
            }
            None => describe_tags,
        };
        let details = MonitorDetails::UserPool(details);
        self.upsert(pool_id.clone(), name, details, tags);
        if let Some(m) = self.state.monitors.get_mut(&pool_id) {
            for e in pool_errors {
                m.inventory_failed(e, self.now);
            }
        }
    }

    /// A complete listing of one kind of a pool's children, described: reconcile it with what is
    /// stored and apply the actions. Returns how many children were listed.
    fn apply_children(
        &mut self,
        pool: &str,
        kind: MonitorKind,
        operation: &str,
        listed: ChildListing,
    ) -> u32 {
        let count = listed.len() as u32;
        let listed = listed
            .into_iter()
            .map(|(id, r)| {
                let d = match r {
                    Ok(found) => Described::Found(found),
                    Err(e) if e.is_not_found() => Described::Gone(e.to_string()),
                    Err(e) => Described::Failed(e),
                };
                (id, d)
            })
            .collect();
        for action in reconcile(children(&self.state, pool, Some(kind)), operation, listed) {
            match action {
                ChildAction::Upsert {
                    id,
                    found: (name, details),
                } => self.upsert(id, name, details, Tags::new()),
                ChildAction::Delete { id, reason } => {
                    if let Some(m) = self.state.monitors.get_mut(&id) {
                        m.mark_deleted(reason, self.now);
                    }
                }
                ChildAction::Failed { id, error } => self.child_failed(id, error),
            }
        }
        count
    }

    /// A listing (ListUserPools, ListIdentityPools) failed: the monitors it would have listed
    /// (`listed_by`) keep what they had, marked with the error.
    fn listing_failed_for(&mut self, e: &AwsError, listed_by: impl Fn(&Monitor) -> bool) {
        let reason = e.to_string();
        self.log.errors.push(reason.clone());
        for m in self.state.monitors.values_mut().filter(|m| listed_by(m)) {
            m.inventory_failed(reason.clone(), self.now);
        }
    }

    /// Returns false when ListIdentityPools failed.
    async fn identity_pools(&mut self) -> bool {
        let errors_before = self.log.errors.len();
        let list = match self.clients.list_identity_pools().await {
            Ok(list) => list,
            Err(e) => {
                self.listing_failed_for(&e, |m| m.kind == MonitorKind::IdentityPool);
                return false;
            }
        };
        let listed: BTreeSet<&String> = list.iter().map(|(id, _)| id).collect();
        for (id, m) in self.state.monitors.iter_mut() {
            if let MonitorId::IdentityPool { id: pool } = id {
                if !listed.contains(pool) && !m.is_deleted() {
                    m.mark_deleted("no longer listed by ListIdentityPools", self.now);
                }
            }
        }
        let mut roles_ok = true;
        for (pool, _) in list {
            let id = MonitorId::IdentityPool { id: pool.clone() };
            match self.clients.describe_identity_pool(&pool).await {
                Ok((name, mut details, tags)) => {
                    let previous = self.state.monitors.get(&id).and_then(|m| match &m.details {
                        MonitorDetails::IdentityPool(d) => Some(d.clone()),
                        _ => None,
                    });
                    details.identity_census =
                        previous.as_ref().and_then(|p| p.identity_census.clone());
                    if roles_ok {
                        match self.clients.identity_pool_roles(&pool).await {
                            Ok((roles, mappings)) => {
                                details.roles = roles;
                                details.role_mappings = mappings;
                            }
                            Err(e) => {
                                roles_ok = false;
                                self.log.notes.push(format!("{pool}: {e} (roles kept from the last answer; not retried this poll)"));
                            }
                        }
                    }
                    if !roles_ok {
                        if let Some(p) = &previous {
                            details.roles = p.roles.clone();
                            details.role_mappings = p.role_mappings.clone();
                        }
                    }
                    self.upsert(id, name, MonitorDetails::IdentityPool(details), tags);
                }
                Err(e) if e.is_not_found() => {
                    if let Some(m) = self.state.monitors.get_mut(&id) {
                        m.mark_deleted(e.to_string(), self.now);
                    }
                }
                Err(e) => self.child_failed(id, e),
            }
        }
        // Any describe that failed above: the identity pools are inventoried again next poll.
        self.state.cursor.identity_inventory_retry = self.log.errors.len() > errors_before;
        true
    }

    /// Insert or refresh a monitor from a fresh description.
    fn upsert(&mut self, id: MonitorId, name: String, details: MonitorDetails, tags: Tags) {
        let mut fresh = Monitor::new(
            &id,
            name,
            &self.clients.scope.account,
            &self.clients.scope.region,
            details,
            self.now,
        );
        fresh.metrics = inventory_metrics(&fresh.details);
        fresh.tags = tags;
        let mut m = Monitor::refreshed(self.state.monitors.get(&id), fresh);
        m.seen(self.now);
        self.state.monitors.insert(id, m);
    }

    fn delete_pool(&mut self, pool: &str, reason: &str) {
        let mut ids = children(&self.state, pool, None);
        ids.push(MonitorId::UserPool {
            pool: pool.to_string(),
        });
        for id in ids {
            if let Some(m) = self.state.monitors.get_mut(&id) {
                m.mark_deleted(reason, self.now);
            }
        }
    }

    /// DescribeUserPool failed (not because the pool is gone): the pool and its children keep
    /// what they had, marked, and the pool is retried.
    fn pool_unreadable(&mut self, pool: &str, e: &AwsError) {
        let reason = e.to_string();
        self.log.errors.push(format!("{pool}: {reason}"));
        self.state.cursor.inventory_retry.insert(pool.to_string());
        let mut ids = children(&self.state, pool, None);
        ids.push(MonitorId::UserPool {
            pool: pool.to_string(),
        });
        for id in ids {
            if let Some(m) = self.state.monitors.get_mut(&id) {
                m.inventory_failed(reason.clone(), self.now);
            }
        }
    }

    fn child_failed(&mut self, id: MonitorId, e: AwsError) {
        self.log.errors.push(format!("{id}: {e}"));
        if let Some(pool) = id.user_pool_id() {
            self.state.cursor.inventory_retry.insert(pool.to_string());
        }
        if let Some(m) = self.state.monitors.get_mut(&id) {
            m.inventory_failed(e.to_string(), self.now);
        }
    }

    fn listing_failed(&mut self, pool: &str, kind: MonitorKind, e: &AwsError) {
        self.log.errors.push(format!("{pool}: {e}"));
        self.state.cursor.inventory_retry.insert(pool.to_string());
        for id in children(&self.state, pool, Some(kind)) {
            if let Some(m) = self.state.monitors.get_mut(&id) {
                m.inventory_failed(e.to_string(), self.now);
            }
        }
    }
}

fn children(state: &ScopeState, pool: &str, kind: Option<MonitorKind>) -> Vec<MonitorId> {
    state
        .monitors
        .keys()
        .filter(|id| {
            id.parent().is_some()
                && id.user_pool_id() == Some(pool)
                && kind.is_none_or(|k| id.kind() == k)
        })
        .cloned()
        .collect()
}

/// The calls a user pool's posture needs beside DescribeUserPool, each kept as answered or
/// refused (a refusal makes its checks unknown, never passed).
struct SecurityReads {
    mfa: Readout<MfaConfig>,
    risk_actions: Readout<RiskActions>,
    activity_log_export: Readout<bool>,
    web_acl: Readout<Option<String>>,
}

/// The posture reads the account refused in this poll (AccessDenied: the role lacks the
/// permission), with the refusal: not asked again for the next pools of the poll.
#[derive(Default)]
struct Refused(std::sync::Mutex<BTreeMap<&'static str, String>>);

impl Refused {
    /// `read`, unless the account refused its operation earlier in the poll.
    async fn read<T>(
        &self,
        operation: &'static str,
        read: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Readout<T> {
        let earlier = self.0.lock().ok().and_then(|m| m.get(operation).cloned());
        if let Some(reason) = earlier {
            return Readout::Refused {
                reason: format!("{reason} (not asked again in this poll)"),
            };
        }
        let answer = read.await;
        if let Err(e) = &answer {
            if e.code
                .as_deref()
                .is_some_and(|c| c.contains("AccessDenied"))
            {
                if let Ok(mut m) = self.0.lock() {
                    m.insert(operation, e.to_string());
                }
            }
        }
        readout(answer)
    }
}

impl SecurityReads {
    async fn of(clients: &ScopeClients, pool: &str, arn: &str, refused: &Refused) -> SecurityReads {
        // Independent reads: in flight together, each still paced by its quota.
        let (mfa, risk_actions, activity_log_export, web_acl) = futures::join!(
            Box::pin(refused.read("GetUserPoolMfaConfig", clients.user_pool_mfa(pool))),
            Box::pin(refused.read(
                "DescribeRiskConfiguration",
                clients.user_pool_risk_actions(pool)
            )),
            Box::pin(refused.read(
                "GetLogDeliveryConfiguration",
                clients.user_pool_activity_export(pool)
            )),
            Box::pin(refused.read("GetWebACLForResource", clients.user_pool_web_acl(arn))),
        );
        SecurityReads {
            mfa,
            risk_actions,
            activity_log_export,
            web_acl,
        }
    }

    /// The refusals, for the poll log's notes.
    fn refusals(&self) -> Vec<&str> {
        [
            refused(&self.mfa),
            refused(&self.risk_actions),
            refused(&self.activity_log_export),
            refused(&self.web_acl),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn readout<T>(answer: Result<T, AwsError>) -> Readout<T> {
    match answer {
        Ok(value) => Readout::Answered { value },
        Err(e) => Readout::Refused {
            reason: e.to_string(),
        },
    }
}

fn refused<T>(r: &Readout<T>) -> Option<&str> {
    match r {
        Readout::Refused { reason } => Some(reason),
        Readout::Answered { .. } => None,
    }
}

/// Whether ListTagsForResource works in this poll: unknown until the first answer. The first
/// call is made alone; after a failure it is not made again in the poll.
type TagsGate = tokio::sync::Mutex<Option<bool>>;

async fn scan_pool(
    clients: &ScopeClients,
    pool_id: String,
    tags_gate: &TagsGate,
    refused: &Refused,
) -> PoolScan {
    let described = clients.describe_user_pool(&pool_id).await;
    let mut scan = PoolScan {
        pool_id,
        described,
        security: None,
        tags: None,
        clients: None,
        idps: None,
    };
    let Ok((_, details, _)) = &scan.described else {
        return scan;
    };
    let pool = scan.pool_id.clone();
    let arn = details.arn.clone();
    // A client's own risk configuration matters only where the pool's threat protection acts.
    let threat_protection_on = details
        .security
        .as_ref()
        .and_then(|s| s.threat_protection.as_deref())
        .is_some_and(|m| m != "OFF");
    if !details.arn.is_empty() {
        let mut gate = tags_gate.lock().await;
        match *gate {
            Some(false) => {}
            Some(true) => {
                drop(gate);
                scan.tags = Some(clients.list_user_pool_tags(&details.arn).await);
            }
            None => {
                let tags = clients.list_user_pool_tags(&details.arn).await;
                *gate = Some(tags.is_ok());
                scan.tags = Some(tags);
            }
        }
    }
    let pool = &pool;
    // Boxed: the four reads joined are a large future, and a caller's stack may be small.
    scan.security = Some(Box::pin(SecurityReads::of(clients, pool, &arn, refused)).await);
    let listed = clients.list_user_pool_clients(pool).await;
    scan.clients = Some(
        describe_each(listed, |id| async move {
            let mut described = clients.describe_user_pool_client(pool, &id).await;
            if let (Ok((_, client)), true) = (&mut described, threat_protection_on) {
                let own = clients.client_risk_actions(pool, &id);
                client.risk_actions =
                    Some(Box::pin(refused.read("DescribeRiskConfiguration", own)).await);
            }
            described
        })
        .await,
    );
    let listed = clients.list_identity_providers(pool).await;
    scan.idps = Some(
        describe_each(listed, |name| async move {
            clients.describe_identity_provider(pool, &name).await
        })
        .await,
    );
    scan
}

/// A listing's items, each described in turn (a failed description is kept beside its item).
async fn describe_each<T, Fut>(
    listed: Result<Vec<String>, AwsError>,
    describe: impl Fn(String) -> Fut,
) -> Result<Listing<T>, AwsError>
where
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut out = Vec::new();
    for item in listed? {
        let described = describe(item.clone()).await;
        out.push((item, described));
    }
    Ok(out)
}

/// A listing of children keyed by their monitor ids (`id` of the listed name), each described
/// as its name and details.
fn keyed<T>(
    listing: Listing<T>,
    id: impl Fn(&str) -> MonitorId,
    described: impl Fn(&str, T) -> (String, MonitorDetails),
) -> ChildListing {
    listing
        .into_iter()
        .map(|(item, d)| (id(&item), d.map(|d| described(&item, d))))
        .collect()
}

/// The pool's count of one kind of children (app clients, identity providers).
fn child_count(d: &mut UserPoolDetails, kind: MonitorKind) -> &mut u32 {
    match kind {
        MonitorKind::AppClient => &mut d.app_clients,
        _ => &mut d.identity_providers,
    }
}
