//! The metrics task: ListMetrics (cached) tells which series have data, the core plans the
//! GetMetricData queries over each monitor's window, the calls run (500 queries each), and the
//! answers become the monitors' values. A failed call makes only its monitors stale, and their
//! window does not advance, so nothing is lost.

use std::collections::{BTreeMap, BTreeSet};

use crate::poll::Poll;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_aws::sdk::ScopeClients;
use cognito_watch_aws::state::ScopeState;
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
pub(crate) const LIST_METRICS_LAG: Duration = Duration::minutes(15);
/// GetMetricData calls in flight at once (the API allows 50 TPS).
const CALL_CONCURRENCY: usize = 4;

/// The ListMetrics listing of a scope, kept between invocations of a warm function.
#[derive(Debug, Default)]
pub struct SeriesCache {
    fetched_at: Option<DateTime<Utc>>,
    series: Vec<ActiveSeries>,
}

/// Each scope's listing, by scope key. The lock is held only to read or replace a listing,
/// never across a call, so scopes polled at once never wait on each other's ListMetrics.
pub(crate) type SeriesCaches = std::sync::Mutex<std::collections::HashMap<String, SeriesCache>>;

impl SeriesCache {
    /// The listing, if younger than `ttl` at `now`. Backfill applies once: after the poll
    /// that used it, a series is ordinary.
    fn fresh(&mut self, ttl: Duration, now: DateTime<Utc>) -> Option<Vec<ActiveSeries>> {
        if self.fetched_at.is_none_or(|t| now - t >= ttl) {
            return None;
        }
        let out = self.series.clone();
        for a in &mut self.series {
            a.backfill_from = None;
        }
        Some(out)
    }

    /// Take a new listing. Series new since the previous listing get a backfill start so the
    /// data they had before they were listed is read too.
    fn refresh(&mut self, listed: Vec<Series>, now: DateTime<Utc>) -> Vec<ActiveSeries> {
        let known: BTreeSet<&Series> = self.series.iter().map(|a| &a.series).collect();
        let backfill = self.fetched_at.map(|t| t - LIST_METRICS_LAG);
        let series: Vec<ActiveSeries> = listed
            .into_iter()
            .map(|s| {
                let backfill_from = if known.contains(&s) { None } else { backfill };
                ActiveSeries {
                    series: s,
                    backfill_from,
                }
            })
            .collect();
        self.series = series.clone();
        self.fetched_at = Some(now);
        series
    }
}

/// A scope's active series: the cached listing while fresh, a new ListMetrics otherwise.
async fn active_series(
    clients: &ScopeClients,
    caches: &SeriesCaches,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<ActiveSeries>, cognito_watch_aws::AwsError> {
    let key = clients.scope.key();
    let lock = || {
        caches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    // Each guard is a temporary, dropped at the end of its statement: never held across the call.
    let fresh = lock().entry(key.clone()).or_default().fresh(ttl, now);
    if let Some(active) = fresh {
        return Ok(active);
    }
    let listed = clients.list_cognito_series().await?;
    Ok(lock().entry(key).or_default().refresh(listed, now))
}

fn is_cloudwatch_metric(kind: MonitorKind, id: &str) -> bool {
    catalogue::find(kind, id).is_some_and(|d| d.source != Source::Inventory)
}

impl Poll<'_> {
    /// Read every monitor's next window: plan the queries, run the calls, store the values. A
    /// failed call makes only its monitors stale.
    pub(crate) async fn metrics(&mut self, caches: &SeriesCaches) {
        let (index, windows) = windows_due(&self.state, self.config, &mut self.log, self.now);
        if windows.is_empty() {
            return;
        }
        let active =
            match active_series(self.clients, caches, self.config.list_metrics_ttl, self.now).await
            {
                Ok(a) => a,
                Err(e) => {
                    let reason = e.to_string();
                    self.log.errors.push(reason.clone());
                    for id in windows.keys() {
                        if let Some(m) = self.state.monitors.get_mut(id) {
                            m.mark_stale(reason.clone(), self.now);
                        }
                    }
                    return;
                }
            };
        let plan = series::plan(&active, &index, &windows);
        self.log.metric_queries += plan.len() as u64;
        let outcomes = read(self.clients, &plan, &mut self.log).await;
        apply(&mut self.state, windows, &outcomes, self.now);
    }
}

/// What the inventory knows (the pools' clients and providers) and each monitor's window due.
fn windows_due(
    state: &ScopeState,
    config: &CollectorConfig,
    log: &mut PollLog,
    now: DateTime<Utc>,
) -> (PoolIndex, BTreeMap<MonitorId, Window>) {
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
    (index, windows)
}

/// Run the plan's GetMetricData calls, a few at a time, into each monitor's outcome.
async fn read(
    clients: &ScopeClients,
    plan: &[series::Query],
    log: &mut PollLog,
) -> BTreeMap<MonitorId, MonitorMetrics> {
    let calls = series::calls(plan);
    let results: Vec<_> = futures::stream::iter(calls.iter())
        .map(|call| async move { (call, clients.get_metric_data(plan, call).await) })
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
    agg.finish()
}

/// Store each monitor's outcome: its values and its advanced window, or stale and the window
/// where it was.
fn apply(
    state: &mut ScopeState,
    windows: BTreeMap<MonitorId, Window>,
    outcomes: &BTreeMap<MonitorId, MonitorMetrics>,
    now: DateTime<Utc>,
) {
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
