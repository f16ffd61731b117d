//! The evaluator: threshold profiles → statuses, propagation, outages and SNS alerts.
//!
//! Per root (a user pool with its children, or an identity pool), one evaluation:
//! 1. takes the root's lease in the status table (a concurrent evaluation of the same root
//!    backs off, and its stream records are retried);
//! 2. reads the root's monitors (one Query) and their previous statuses (one Query);
//! 3. decides statuses, outages and alerts (pure, in `cognito-watch-core`);
//! 4. writes each monitor's status, outage and alert together, in transactions that check the
//!    lease is still held;
//! 5. publishes every pending alert of the root, each claimed first, and marks it sent; a
//!    failed publish leaves it pending for the next evaluation.

mod event;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_aws::dynamo::outbox::Delivered;
use cognito_watch_aws::status::StatusStore;
use cognito_watch_aws::{AlertSink, AwsError, StateStore, TrailStore};
use cognito_watch_core::alerting::chat::Links;
use cognito_watch_core::alerting::evidence::{self, TrailEvidence};
use cognito_watch_core::alerting::message as alert_message;
use cognito_watch_core::alerting::notification::{Destination, Notice, Notifications, Subject};
use cognito_watch_core::alerting::profile::{ProfileError, ProfileSet};
use cognito_watch_core::alerting::status::{evaluate_root, Alert};
use cognito_watch_core::config::EvaluatorConfig;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorId};
use cognito_watch_core::trail::detect::Finding;
use cognito_watch_core::trail::{Counts, TallyId, TallyKind};
use futures::StreamExt;
use serde::Serialize;

pub use event::{EvaluatorEvent, EvaluatorRequest, StreamBatch};

#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    #[error("invalid evaluator event: {0}")]
    Event(#[from] serde_json::Error),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("the shipped threshold profiles are invalid: {0}")]
    Profiles(#[from] ProfileError),
}

/// What Lambda reports as the invocation's `errorType`: the variant, not a boxed type name.
impl From<EvaluatorError> for lambda_runtime::Diagnostic {
    fn from(e: EvaluatorError) -> lambda_runtime::Diagnostic {
        let kind = match &e {
            EvaluatorError::Event(_) => "InvalidEvent",
            EvaluatorError::Aws(_) => "AwsCallFailed",
            EvaluatorError::Profiles(_) => "InvalidProfiles",
        };
        lambda_runtime::Diagnostic {
            error_type: format!("EvaluatorError.{kind}"),
            error_message: e.to_string(),
        }
    }
}

/// What one root's evaluation did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RootReport {
    pub root: String,
    pub monitors: usize,
    pub transitions: usize,
    pub alerts_created: usize,
    pub alerts_sent: usize,
    /// Alerts still waiting: their publish failed, or another evaluation holds them.
    pub alerts_pending: usize,
    /// Another evaluation held the root; nothing was done.
    pub busy: bool,
    pub transactions: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvaluatorReport {
    pub roots: Vec<RootReport>,
    /// Whether the shipped default profiles were loaded by this invocation.
    pub defaults_loaded: bool,
}

/// How many roots are evaluated at once.
const CONCURRENCY: usize = 4;
/// How long a claimed alert is ours to publish.
const CLAIM: i64 = 60;

pub struct Evaluator {
    pub config: EvaluatorConfig,
    pub state: StateStore,
    pub status: StatusStore,
    pub sink: AlertSink,
    /// The trail's tallies and detections (`TRAIL_TABLE`), for the evidence alerts carry.
    pub trail: Option<TrailStore>,
    evaluations: AtomicU64,
}

impl Evaluator {
    pub fn new(config: EvaluatorConfig, base: &SdkConfig) -> Evaluator {
        Evaluator {
            state: StateStore::new(base, config.tables.clone()),
            status: StatusStore::new(base, &config.status_table, config.retention)
                .with_transition_retention(config.transition_retention),
            sink: AlertSink::new(base, &config.topic_arn).with_links(Links {
                dashboard: config.dashboard_url.clone(),
            }),
            trail: config
                .trail_table
                .as_deref()
                .map(|t| TrailStore::new(base, t, config.retention, Duration::hours(1))),
            config,
            evaluations: AtomicU64::new(0),
        }
    }

    pub async fn from_env() -> Result<Evaluator, Box<dyn std::error::Error + Send + Sync>> {
        let config = EvaluatorConfig::from_env()?;
        let base = cognito_watch_aws::sdk::load(config.max_attempts).await;
        Ok(Evaluator::new(config, &base))
    }

    /// Decode and run one invocation. A stream batch answers with the records to retry
    /// (`batchItemFailures`); a request answers with the report. (The evaluation futures are
    /// boxed: inline they are too deep for the compiler to lay out in the Lambda's main.)
    pub async fn handle(
        &self,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, EvaluatorError> {
        let now = Utc::now();
        match EvaluatorEvent::decode(payload)? {
            EvaluatorEvent::Stream(batch) => {
                let ids: Vec<MonitorId> = batch.roots.keys().cloned().collect();
                let report = Box::pin(self.evaluate(&ids, now)).await?;
                // Reports come back in the order of `ids`, which is the order of `roots`.
                let failures = batch
                    .roots
                    .values()
                    .zip(&report.roots)
                    .filter(|(_, r)| r.busy || r.error.is_some())
                    .flat_map(|(seqs, _)| seqs.iter().cloned())
                    .chain(batch.unreadable.iter().cloned());
                let mut response = aws_lambda_events::streams::DynamoDbEventResponse::default();
                for s in failures {
                    let mut failure =
                        aws_lambda_events::streams::DynamoDbBatchItemFailure::default();
                    failure.item_identifier = Some(s);
                    response.batch_item_failures.push(failure);
                }
                Ok(serde_json::to_value(response)?)
            }
            EvaluatorEvent::Request(request) => {
                let roots = match request.roots() {
                    Some(r) => r,
                    None => self.state.roots().await?,
                };
                Ok(serde_json::to_value(
                    Box::pin(self.evaluate(&roots, now)).await?,
                )?)
            }
        }
    }

    /// The profiles, loading the shipped defaults first if none were ever loaded.
    pub async fn profiles(&self) -> Result<(ProfileSet, bool), EvaluatorError> {
        let (set, seeded) = self.status.load_profiles().await?;
        if seeded {
            return Ok((set, false));
        }
        let loaded = self.status.seed(&ProfileSet::shipped()?).await?;
        let (set, _) = self.status.load_profiles().await?;
        Ok((set, loaded))
    }

    /// Evaluate these roots at `now`. A root that fails is reported with its error; only
    /// failing to read the profiles fails the whole call.
    pub async fn evaluate(
        &self,
        roots: &[MonitorId],
        now: DateTime<Utc>,
    ) -> Result<EvaluatorReport, EvaluatorError> {
        let (profiles, defaults_loaded) = self.profiles().await?;
        let profiles = &profiles;
        let reports = futures::stream::iter(roots.iter().cloned())
            .map(|root| async move {
                match self.evaluate_root(&root, profiles, now).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(%root, error = %e, "evaluation failed");
                        RootReport {
                            root: root.to_string(),
                            error: Some(e.to_string()),
                            ..Default::default()
                        }
                    }
                }
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let sum = |f: fn(&RootReport) -> usize| reports.iter().map(f).sum::<usize>();
        tracing::info!(
            roots = reports.len(),
            monitors = sum(|r| r.monitors),
            transitions = sum(|r| r.transitions),
            alerts_created = sum(|r| r.alerts_created),
            alerts_sent = sum(|r| r.alerts_sent),
            alerts_pending = sum(|r| r.alerts_pending),
            busy = sum(|r| usize::from(r.busy)),
            errors = sum(|r| usize::from(r.error.is_some())),
            defaults_loaded,
            "evaluation finished"
        );
        Ok(EvaluatorReport {
            roots: reports,
            defaults_loaded,
        })
    }

    fn owner(&self) -> String {
        let n = self.evaluations.fetch_add(1, Ordering::Relaxed);
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        format!("{}-{nanos:x}-{n}", std::process::id())
    }

    /// Evaluate one root under its lease.
    pub async fn evaluate_root(
        &self,
        root: &MonitorId,
        profiles: &ProfileSet,
        now: DateTime<Utc>,
    ) -> Result<RootReport, AwsError> {
        let owner = self.owner();
        if !self
            .status
            .acquire_lease(root, &owner, now, self.config.lease)
            .await?
        {
            tracing::info!(%root, "another evaluation holds this root; backing off");
            return Ok(RootReport {
                root: root.to_string(),
                busy: true,
                ..Default::default()
            });
        }
        let result = self.evaluate_leased(root, &owner, profiles, now).await;
        if let Err(e) = self.status.release_lease(root, &owner).await {
            tracing::warn!(%root, error = %e, "cannot release the lease; it expires by itself");
        }
        result
    }

    async fn evaluate_leased(
        &self,
        root: &MonitorId,
        owner: &str,
        profiles: &ProfileSet,
        now: DateTime<Utc>,
    ) -> Result<RootReport, AwsError> {
        let monitors = self.state.load_root(root).await?;
        let previous = self.status.load_statuses(root).await?;
        let evaluation = evaluate_root(&monitors, &previous, profiles, now);
        let transactions = self.status.commit(root, owner, &evaluation.changes).await?;
        let alerts_created = evaluation.alerts().count();
        for c in &evaluation.changes {
            if let Some(a) = &c.alert {
                tracing::info!(
                    %root,
                    monitor = %a.monitor_id,
                    from = a.from.as_str(),
                    to = a.to.as_str(),
                    alert_id = %a.alert_id,
                    "status transition"
                );
            }
        }
        if self.config.publish_metrics {
            let mut statuses: std::collections::BTreeMap<String, _> = previous
                .iter()
                .map(|(id, s)| (id.clone(), s.status))
                .collect();
            for c in &evaluation.changes {
                statuses.insert(c.status.monitor_id.clone(), c.status.status);
            }
            for doc in cognito_watch_core::emf::status_documents(&monitors, &statuses, now) {
                println!("{doc}");
            }
        }
        let (alerts_sent, alerts_pending) = self
            .deliver(root, &monitors, &profiles.notifications, now)
            .await?;
        Ok(RootReport {
            root: root.to_string(),
            monitors: monitors.len(),
            transitions: evaluation.transitions(),
            alerts_created,
            alerts_sent,
            alerts_pending,
            busy: false,
            transactions,
            error: None,
        })
    }

    /// Publish the root's pending alerts, oldest first, each to the destinations of its
    /// notification profile it has not reached yet. Returns (sent, still pending).
    async fn deliver(
        &self,
        root: &MonitorId,
        monitors: &[Monitor],
        notifications: &Notifications,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), AwsError> {
        let mut sent = 0;
        let mut pending = 0;
        let mut reads = TrailReads::default();
        let root_monitor = monitors.iter().find(|m| m.parent_id.is_none());
        let pool = match root {
            MonitorId::UserPool { pool } => Some(pool.as_str()),
            MonitorId::IdentityPool { id } => Some(id.as_str()),
            _ => None,
        };
        for stored in self.status.pending_alerts(root).await? {
            let alert = &stored.alert;
            let subject = match monitors.iter().find(|m| m.monitor_id == alert.monitor_id) {
                Some(m) => Subject::of_monitor(m, root_monitor),
                None => Subject {
                    monitor_id: Some(&alert.monitor_id),
                    tags: None,
                    pool,
                    pool_tags: root_monitor.map(|m| &m.tags),
                    scope: Some(format!("{}/{}", alert.account, alert.region)),
                },
            };
            let route = notifications.route(&subject, Notice::Status { to: alert.to });
            let evidence = if route.destinations.is_empty() {
                None
            } else {
                self.evidence_with(alert, &mut reads).await
            };
            let message = alert_message::message(alert, evidence.as_ref())
                .map(|mut m| {
                    m.routed(&route.profile, subject.tag_values());
                    m
                })
                .map_err(|e| AwsError::local("Publish", "cannot render", e))?;
            let publish = |d: &Destination| {
                let d = d.clone();
                let message = &message;
                async move { Ok((self.sink.publish_to(message, &d).await?, ())) }
            };
            let claim_for = Duration::seconds(CLAIM);
            let key = stored.key_in(root);
            match self
                .status
                .outbox
                .deliver(&key, now, claim_for, &route, publish)
                .await?
            {
                Delivered::Sent { published, .. } => {
                    for (destination, message_id) in &published {
                        tracing::info!(alert_id = %alert.alert_id, %destination, %message_id, notification_profile = %route.profile, "alert published");
                    }
                    sent += 1;
                }
                Delivered::NotWanted => {
                    tracing::info!(alert_id = %alert.alert_id, notification_profile = %route.profile, "the notification profile does not send this alert");
                }
                Delivered::AlreadySent => {}
                Delivered::Held => pending += 1,
                Delivered::Failed { published, errors } => {
                    for (destination, message_id) in &published {
                        tracing::info!(alert_id = %alert.alert_id, %destination, %message_id, "alert published");
                    }
                    for (destination, e) in &errors {
                        tracing::warn!(
                            alert_id = %alert.alert_id,
                            %destination,
                            attempts = stored.delivery.attempts + 1,
                            error = %e,
                            "publish failed; the alert stays pending for this destination"
                        );
                    }
                    pending += 1;
                }
            }
        }
        Ok((sent, pending))
    }

    /// The trail's evidence for an alert on a user pool or app client (None for others and
    /// for recoveries). A trail table that cannot be read never holds the alert back: it
    /// goes out saying so.
    pub async fn evidence(&self, alert: &Alert) -> Option<TrailEvidence> {
        self.evidence_with(alert, &mut TrailReads::default()).await
    }

    /// `evidence`, reading each pool's trail for a period once however many of the root's
    /// alerts need it (a pool and its clients usually alert together).
    async fn evidence_with(&self, alert: &Alert, reads: &mut TrailReads) -> Option<TrailEvidence> {
        let (pool, client) = evidence::subject_of(alert)?;
        let Some(trail) = &self.trail else {
            return Some(TrailEvidence::NotWired);
        };
        let period = evidence::period(alert.at);
        let key = (pool.clone(), period.0);
        if !reads.contains_key(&key) {
            match PoolTrail::read(trail, &pool, period.0).await {
                Ok(read) => {
                    reads.insert(key.clone(), read);
                }
                Err(e) => {
                    tracing::warn!(alert_id = %alert.alert_id, error = %e, "the trail's evidence could not be read; the alert goes out without it");
                    return Some(TrailEvidence::Unavailable {
                        reason: e.to_string(),
                    });
                }
            }
        }
        let read = reads.get(&key)?;
        Some(match read {
            PoolTrail::Unseen => TrailEvidence::NoRecords { pool },
            PoolTrail::Seen { tallies, findings } => TrailEvidence::Seen(evidence::evidence(
                &pool,
                client.as_deref(),
                period,
                tallies,
                findings,
            )),
        })
    }
}

/// What the trail kept of one pool from the start of an evidence period: its address,
/// client and error-code tallies, and the detections since.
enum PoolTrail {
    /// No record of the pool ever reached the trail function.
    Unseen,
    Seen {
        tallies: Vec<(TallyId, Counts)>,
        findings: Vec<Finding>,
    },
}

/// Pool trails already read in one delivery run, by (pool, start of period).
type TrailReads = HashMap<(String, DateTime<Utc>), PoolTrail>;

impl PoolTrail {
    async fn read(trail: &TrailStore, pool: &str, from: DateTime<Utc>) -> Result<Self, AwsError> {
        if !trail.has_pool(pool).await? {
            return Ok(PoolTrail::Unseen);
        }
        let mut tallies = Vec::new();
        for kind in [TallyKind::Ip, TallyKind::Client, TallyKind::Error] {
            tallies.extend(trail.tallies(pool, kind, from).await?);
        }
        let findings = trail
            .findings(from)
            .await?
            .into_iter()
            .map(|s| s.finding)
            .collect();
        Ok(PoolTrail::Seen { tallies, findings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_reports_the_variant_as_the_error_type() {
        let e = EvaluatorError::Profiles(ProfileError::Invalid("two default profiles".into()));
        let d = lambda_runtime::Diagnostic::from(e);
        assert_eq!(d.error_type, "EvaluatorError.InvalidProfiles");
        assert!(d.error_message.contains("two default profiles"));
    }
}
