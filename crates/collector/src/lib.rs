//! The collector: discovers Cognito resources and reads `AWS/Cognito` metrics into monitor state.
//!
//! One invocation polls every scope (account × region). Per scope it loads the stored state,
//! runs the tasks that are due (inventory, user and identity sweeps, metrics), and writes every
//! changed item with BatchWriteItem. A failing call makes only the monitors that needed it stale.

mod event;
mod inventory;
mod metrics;
mod poll;
mod posture;
mod sweeps;

use poll::Poll;

use std::collections::HashMap;

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_aws::logging::Json;
use cognito_watch_aws::sdk::{self, Scope, ScopeClients};
use cognito_watch_aws::state::StateStore;
use cognito_watch_aws::{AlertSink, AwsError, StatusStore, TrailStore};
use cognito_watch_core::alerting::chat::Links;
use cognito_watch_core::config::{AssumeRole, CollectorConfig};
use cognito_watch_core::inventory::record::PollLog;
use tokio::sync::OnceCell;

pub use event::{CollectorRequest, Task};
pub use metrics::SeriesCache;

#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    #[error("invalid collector event: {0}")]
    Event(#[from] serde_json::Error),
    #[error("cannot resolve the account to poll: {0}")]
    Account(#[source] AwsError),
    #[error(
        "cannot read the external id of the monitored accounts' roles from the SSM parameter \
         {parameter} (a SecureString the collector's role may read; see EXTERNAL_ID_PARAMETER): \
         {source}"
    )]
    ExternalId {
        parameter: String,
        #[source]
        source: AwsError,
    },
    #[error("state store failed for {scope}: {source}")]
    Store {
        scope: String,
        #[source]
        source: AwsError,
    },
}

/// What Lambda reports as the invocation's `errorType`: the variant, not a boxed type name.
impl From<CollectorError> for lambda_runtime::Diagnostic {
    fn from(e: CollectorError) -> lambda_runtime::Diagnostic {
        let kind = match &e {
            CollectorError::Event(_) => "InvalidEvent",
            CollectorError::Account(_) => "AccountUnresolved",
            CollectorError::ExternalId { .. } => "ExternalIdUnreadable",
            CollectorError::Store { .. } => "StateStoreFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: format!("CollectorError.{kind}"),
            error_message: e.to_string(),
        }
    }
}

/// When sweeps must stop: 20 s before the invocation's deadline, and after at most ten
/// minutes when there is none (the CLI).
pub fn sweep_deadline(now: DateTime<Utc>, deadline: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let cap = now + Duration::minutes(10);
    deadline.map_or(cap, |d| (d - Duration::seconds(20)).min(cap))
}

/// What one invocation did, per scope.
#[derive(Debug, serde::Serialize)]
pub struct CollectorReport {
    pub scopes: Vec<PollLog>,
}

/// The collector, built once at cold start and reused by every invocation.
pub struct Collector {
    pub config: CollectorConfig,
    base: SdkConfig,
    store: StateStore,
    caller: OnceCell<sdk::Caller>,
    /// The monitored accounts' roles with the external id, read once from SSM.
    roles: OnceCell<Vec<AssumeRole>>,
    series: metrics::SeriesCaches,
    /// Where posture notices go (`ALERT_TOPIC_ARN`); none: posture is judged, not alerted.
    sink: Option<AlertSink>,
    /// The trail's detections (`TRAIL_TABLE`), so a regression is not paged twice.
    trail: Option<TrailStore>,
    /// The notification profiles that route posture notices (`STATUS_TABLE`).
    notifications: Option<StatusStore>,
    /// Users swept and identities sampled so far, for a watcher (the CLI's progress line).
    pub progress: cognito_watch_core::progress::Progress,
}

impl Collector {
    pub fn new(config: CollectorConfig, base: SdkConfig) -> Collector {
        let store = StateStore::new(&base, config.tables.clone());
        let sink = config.posture.topic_arn.as_deref().map(|t| {
            AlertSink::new(&base, t).with_links(Links {
                dashboard: config.posture.dashboard_url.clone(),
            })
        });
        let notifications = config
            .posture
            .status_table
            .as_deref()
            .map(|t| StatusStore::new(&base, t, config.history_ttl));
        let trail = config
            .posture
            .trail_table
            .as_deref()
            .map(|t| TrailStore::new(&base, t, config.history_ttl, Duration::hours(1)));
        Collector {
            sink,
            trail,
            notifications,
            config,
            base,
            store,
            caller: OnceCell::new(),
            roles: OnceCell::new(),
            series: metrics::SeriesCaches::default(),
            progress: cognito_watch_core::progress::Progress::default(),
        }
    }

    /// Build from the environment (cold start).
    pub async fn from_env() -> Result<Collector, Box<dyn std::error::Error + Send + Sync>> {
        let config = CollectorConfig::from_env()?;
        let base = sdk::load(config.max_attempts).await;
        Ok(Collector::new(config, base))
    }

    /// Handle one raw event; `deadline` is when the invocation must have returned.
    pub async fn handle(
        &self,
        payload: serde_json::Value,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<CollectorReport, CollectorError> {
        let request = CollectorRequest::decode(payload)?;
        self.run(&request, Utc::now(), deadline).await
    }

    /// Poll every scope.
    pub async fn run(
        &self,
        request: &CollectorRequest,
        now: DateTime<Utc>,
        deadline: Option<DateTime<Utc>>,
    ) -> Result<CollectorReport, CollectorError> {
        let sweep_until = sweep_deadline(now, deadline);
        let scopes = self.scopes(request).await?;
        let polls = scopes.into_iter().map(|(scope, partition, config)| {
            let clients = ScopeClients::new(scope, &partition, &config, self.config.quota_share);
            async move { self.poll(clients, request, now, sweep_until).await }
        });
        let mut logs = Vec::new();
        for result in futures::future::join_all(polls).await {
            logs.push(result?);
        }
        Ok(CollectorReport { scopes: logs })
    }

    async fn scopes(
        &self,
        request: &CollectorRequest,
    ) -> Result<Vec<(Scope, String, SdkConfig)>, CollectorError> {
        let regions: Vec<&String> = self
            .config
            .regions
            .iter()
            .filter(|r| request.regions.as_ref().is_none_or(|only| only.contains(r)))
            .collect();
        let mut out = Vec::new();
        if self.config.monitor_own_account {
            let caller = self
                .caller
                .get_or_try_init(|| sdk::caller(&self.base))
                .await
                .map_err(CollectorError::Account)?;
            for region in &regions {
                let config = sdk::scoped_config(&self.base, region, None).await;
                out.push((
                    Scope {
                        account: caller.account.clone(),
                        region: region.to_string(),
                    },
                    caller.partition.clone(),
                    config,
                ));
            }
        }
        let roles = self
            .roles
            .get_or_try_init(|| self.monitored_roles())
            .await?;
        for role in roles {
            let account = role.account().unwrap_or_default().to_string();
            // The configuration accepts only well-formed role ARNs, which name a partition.
            let partition = role.partition().unwrap_or_default().to_string();
            for region in &regions {
                let config = sdk::scoped_config(&self.base, region, Some(role)).await;
                out.push((
                    Scope {
                        account: account.clone(),
                        region: region.to_string(),
                    },
                    partition.clone(),
                    config,
                ));
            }
        }
        Ok(out)
    }

    /// The monitored accounts' roles, each with the external id from SSM when one is named.
    async fn monitored_roles(&self) -> Result<Vec<AssumeRole>, CollectorError> {
        let external_id = match (
            &self.config.external_id_parameter,
            self.config.monitored_roles.is_empty(),
        ) {
            (Some(parameter), false) => Some(
                sdk::external_id(&self.base, parameter)
                    .await
                    .map_err(|source| CollectorError::ExternalId {
                        parameter: parameter.clone(),
                        source,
                    })?,
            ),
            _ => None,
        };
        Ok(self
            .config
            .monitored_roles
            .iter()
            .map(|arn| AssumeRole {
                role_arn: arn.clone(),
                external_id: external_id.clone(),
            })
            .collect())
    }

    /// Poll one scope with its clients; sweeps stop at `sweep_until`.
    pub async fn poll(
        &self,
        clients: ScopeClients,
        request: &CollectorRequest,
        now: DateTime<Utc>,
        sweep_until: DateTime<Utc>,
    ) -> Result<PollLog, CollectorError> {
        let scope = clients.scope.clone();
        let store_err = |source| CollectorError::Store {
            scope: scope.key(),
            source,
        };
        let state = self.store.load_scope(&scope).await.map_err(store_err)?;
        let log = PollLog {
            account: scope.account.clone(),
            region: scope.region.clone(),
            started_at: now,
            items_read: state.items_read(),
            ..Default::default()
        };
        let mut poll = Poll {
            clients: &clients,
            config: &self.config,
            progress: &self.progress,
            now,
            state,
            log,
        };
        let before: HashMap<_, _> = poll
            .state
            .monitors
            .iter()
            .map(|(id, m)| (id.clone(), m.metrics_window))
            .collect();
        for m in poll.state.monitors.values_mut() {
            m.begin_poll(now);
        }

        let tasks = request.due_tasks(&self.config, &poll.state, now);
        poll.log.tasks = tasks.iter().map(|t| t.as_str().to_string()).collect();
        let mut touched_users = Vec::new();
        let mut inventoried = tasks.contains(&Task::Inventory);
        let mut full_inventory = false;
        if inventoried {
            let listed = poll.inventory(request).await;
            full_inventory = request.user_pool_ids.is_none() && listed;
            // A failed listing leaves the inventory due, so the next poll discovers what it
            // could not (a new pool is not missed for a whole inventory interval).
            if request.user_pool_ids.is_none() && listed {
                poll.state.cursor.last_inventory_at = Some(now);
            }
        } else if request.tasks.is_none() && poll.retry_failed_inventory().await {
            poll.log.tasks.push("inventory-retry".to_string());
            inventoried = true;
        }
        let mut sweep_writes = Vec::new();
        if tasks.contains(&Task::Users) {
            touched_users = poll
                .sweeps(&mut sweep_writes, sweep_until)
                .await
                .map_err(store_err)?;
        }
        if tasks.contains(&Task::Metrics) {
            poll.metrics(&self.series).await;
        }
        if let Some(sink) = &self.sink {
            let out = posture::PostureOut {
                store: &self.store,
                sink,
                trail: self.trail.as_ref(),
                notifications: self.notifications.as_ref(),
            };
            poll.posture(&out, (inventoried, full_inventory)).await;
        }
        poll.state.cursor.last_poll_at = Some(now);
        poll.log.finished_at = Utc::now();
        poll.log.calls = clients.calls.snapshot();

        let writes = poll
            .writes(&before, &touched_users, sweep_writes)
            .map_err(store_err)?;
        self.store.write_all(writes).await.map_err(store_err)?;
        let Poll { state, log, .. } = poll;
        if self.config.publish_metrics && tasks.contains(&Task::Metrics) {
            let polled: Vec<_> = state.monitors.values().cloned().collect();
            for doc in cognito_watch_core::emf::monitor_documents(&polled, now) {
                println!("{doc}");
            }
        }
        tracing::info!(
            account = %log.account, region = %log.region, tasks = ?Json(&log.tasks), ok = log.monitors_ok,
            stale = log.monitors_stale, deleted = log.monitors_deleted, new = log.monitors_new,
            metric_queries = log.metric_queries, calls = ?Json(&log.calls), errors = log.errors.len(), "poll finished"
        );
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_reports_the_variant_as_the_error_type() {
        let Err(json) = serde_json::from_str::<u8>("x") else {
            panic!("x is not a number")
        };
        let d = lambda_runtime::Diagnostic::from(CollectorError::Event(json));
        assert_eq!(d.error_type, "CollectorError.InvalidEvent");
        assert!(d.error_message.starts_with("invalid collector event"));
    }
}
