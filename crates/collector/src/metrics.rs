//! The metrics task: ListMetrics (cached) tells which series have data, the core plans the
//! GetMetricData queries over each monitor's window, the calls run (500 queries each), and the
//! answers become the monitors' values. A failed call makes only its monitors stale, and their
//! window does not advance, so nothing is lost.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use cognito_watch_aws::sdk::ScopeClients;
use cognito_watch_aws::store::ScopeState;
use cognito_watch_core::config::CollectorConfig;
use cognito_watch_core::inventory::catalogue::{self, Source};
use cognito_watch_core::inventory::monitor::{MonitorDetails, MonitorId, MonitorKind};
use cognito_watch_core::inventory::record::PollLog;
use cognito_watch_core::inventory::series::{
    self, ActiveSeries, Aggregator, MonitorMetrics, PoolEntry, PoolIndex, Series,
};
use cognito_watch_core::inventory::window::Window;
use futures::StreamExt;

/// How long after its first datapoint a new series may take to show in ListMetrics; a series
/// first listed at a refresh is read back to the previous refresh less this.
pub const LIST_METRICS_LAG: Duration = Duration::minutes(15);
/// GetMetricData calls in flight at once (the API allows 50 TPS).
const CALL_CONCURRENCY: usize = 4;

/// The ListMetrics listing of a scope, kept between invocations of a warm function.
#[derive(Debug, Default)]
pub struct SeriesCache {
    fetched_at: Option<DateTime<Utc>>,
    series: Vec<ActiveSeries>,
}

impl SeriesCache {
    /// Refresh when older than `ttl`. Series new since the previous listing get a backfill
    /// start so the data they had before they were listed is read too.
    async fn active(
        &mut self,
        clients: &ScopeClients,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<&[ActiveSeries], cognito_watch_aws::AwsError> {
        let fresh = self.fetched_at.is_some_and(|t| now - t < ttl);
        if !fresh {
            let listed = clients.list_cognito_series().await?;
            let known: BTreeSet<&Series> = self.series.iter().map(|a| &a.series).collect();
            let backfill = self.fetched_at.map(|t| t - LIST_METRICS_LAG);
            self.series = listed
                .into_iter()
                .map(|s| {
                    let backfill_from = if known.contains(&s) { None } else { backfill };
                    ActiveSeries {
                        series: s,
                        backfill_from,
                    }
                })
                .collect();
            self.fetched_at = Some(now);
        } else {
            // Backfill applies once: after the poll that used it, the series is ordinary.
            for a in &mut self.series {
                a.backfill_from = None;
            }
        }
        Ok(&self.series)
    }
}

fn is_cloudwatch_metric(kind: MonitorKind, id: &str) -> bool {
    catalogue::find(kind, id).is_some_and(|d| d.source != Source::Inventory)
}

pub async fn run(
    clients: &ScopeClients,
    config: &CollectorConfig,
    cache: &mut SeriesCache,
    state: &mut ScopeState,
    log: &mut PollLog,
    now: DateTime<Utc>,
) {
    // What the inventory knows, and each monitor's window.
    let mut index = PoolIndex::default();
    let mut windows: BTreeMap<MonitorId, Window> = BTreeMap::new();
    for (id, m) in &state.monitors {
        if m.is_deleted() || catalogue::families(id.kind()).is_empty() {
            continue;
        }
        let Some(pool) = id.user_pool_id() else {
            continue;
        };
        let entry: &mut PoolEntry = index.pools.entry(pool.to_string()).or_default();
        match (&m.details, id) {
            (MonitorDetails::AppClient(_), MonitorId::AppClient { client_id, .. }) => {
                entry.clients.insert(client_id.clone());
            }
            (
                MonitorDetails::IdentityProvider(_),
                MonitorId::IdentityProvider { provider_name, .. },
            ) => {
                entry.identity_providers.insert(provider_name.clone());
            }
            _ => {}
        }
        if let Some(planned) = Window::next(m.metrics_window.map(|w| w.end), now, config.window) {
            if let Some(gap) = planned.gap {
                if !log.gaps.contains(&gap) {
                    log.gaps.push(gap);
                }
            }
            windows.insert(id.clone(), planned.window);
        }
    }
    if windows.is_empty() {
        return;
    }

    let active = match cache.active(clients, config.list_metrics_ttl, now).await {
        Ok(a) => a.to_vec(),
        Err(e) => {
            let reason = e.to_string();
            log.errors.push(reason.clone());
            for id in windows.keys() {
                if let Some(m) = state.monitors.get_mut(id) {
                    m.mark_stale(reason.clone(), now);
                }
            }
            return;
        }
    };
    let plan = series::plan(&active, &index, &windows);
    let calls = series::calls(&plan);
    log.metric_queries += plan.len() as u64;
    let plan_ref = &plan;
    let results: Vec<_> = futures::stream::iter(calls.iter())
        .map(|call| async move { (call, clients.get_metric_data(plan_ref, call).await) })
        .buffer_unordered(CALL_CONCURRENCY)
        .collect()
        .await;
    let mut agg = Aggregator::default();
    for (call, result) in results {
        match result {
            Ok(points) => {
                for (&q, p) in call.queries.iter().zip(points.iter()) {
                    agg.add(&plan[q], p);
                }
            }
            Err(e) => {
                let reason = e.to_string();
                if !log.errors.contains(&reason) {
                    log.errors.push(reason.clone());
                }
                for &q in &call.queries {
                    agg.fail(&plan[q], &reason);
                }
            }
        }
    }
    let outcomes = agg.finish();
    for (id, window) in windows {
        let Some(m) = state.monitors.get_mut(&id) else {
            continue;
        };
        match outcomes.get(&id) {
            Some(MonitorMetrics::Failed(reasons)) => {
                m.mark_stale(reasons.join("; "), now);
                // A first poll that failed still fixes where reading starts: an empty window
                // at its start, so the next poll reads from there.
                if m.metrics_window.is_none() {
                    m.metrics_window = Some(Window {
                        start: window.start,
                        end: window.start,
                    });
                }
            }
            other => {
                let kind = m.kind;
                m.metrics.retain(|k, _| !is_cloudwatch_metric(kind, k));
                if let Some(MonitorMetrics::Values(v)) = other {
                    m.metrics.extend(v.iter().map(|(k, v)| (k.clone(), *v)));
                }
                m.metrics_window = Some(window);
            }
        }
    }
}
