//! `AWS/Cognito` series: routing each series to the monitor it feeds, planning the
//! GetMetricData queries of a poll (batched 500 to a call), and folding the answers into the
//! catalogue's values.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::inventory::catalogue::{
    self, MetricFamily, RiskLevel, RiskMetric, Source, ADMIN_CLIENT,
};
use crate::inventory::monitor::{MonitorId, MonitorKind};
use crate::inventory::window::Window;

/// The CloudWatch namespace Cognito publishes to.
pub const NAMESPACE: &str = "AWS/Cognito";
/// GetMetricData takes at most 500 queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One CloudWatch series of `AWS/Cognito`: a metric name and its dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Series {
    /// The metric's name (`SignInSuccesses`, ...).
    pub metric_name: String,
    /// Its dimensions, by name (`UserPool`, `UserPoolClient`, `IdentityProvider`, ...).
    pub dimensions: BTreeMap<String, String>,
}

impl Series {
    /// A series of `metric_name` with these dimensions.
    pub fn new(metric_name: &str, dims: &[(&str, &str)]) -> Series {
        Series {
            metric_name: metric_name.to_string(),
            dimensions: dims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn dim(&self, name: &str) -> Option<&str> {
        self.dimensions.get(name).map(String::as_str)
    }

    fn has_exactly(&self, names: &[&str]) -> bool {
        self.dimensions.len() == names.len()
            && names.iter().all(|n| self.dimensions.contains_key(*n))
    }
}

/// The statistic a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stat {
    /// The sum of the datapoints' values.
    Sum,
    /// The number of datapoints.
    SampleCount,
}

impl Stat {
    /// The statistic as GetMetricData names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stat::Sum => "Sum",
            Stat::SampleCount => "SampleCount",
        }
    }
}

/// What a series contributes to its monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feed {
    /// A family's `<Family>Successes`: its sum and sample count.
    Successes(MetricFamily),
    /// A family's `<Family>Throttles`.
    Throttles(MetricFamily),
    /// A threat protection metric, at one risk level or over all.
    Risk(RiskMetric, Option<RiskLevel>),
}

/// The user pools, their app clients and identity providers the poll knows about.
#[derive(Debug, Clone, Default)]
pub struct PoolIndex {
    /// Each user pool's entry, by pool id.
    pub pools: BTreeMap<String, PoolEntry>,
}

/// A user pool's children the poll knows about.
#[derive(Debug, Clone, Default)]
pub struct PoolEntry {
    /// Its app client ids.
    pub clients: BTreeSet<String>,
    /// Its identity provider names.
    pub identity_providers: BTreeSet<String>,
}

/// The monitor a series feeds, or None for a series of a resource the inventory does not hold
/// (an unknown pool, the "Invalid" client, a client created since the last inventory).
pub fn route(series: &Series, index: &PoolIndex) -> Option<(MonitorId, Feed)> {
    if let Some((family, throttles)) = MetricFamily::from_metric_name(&series.metric_name) {
        let feed = if throttles {
            Feed::Throttles(family)
        } else {
            Feed::Successes(family)
        };
        let pool_id = series.dim("UserPool")?;
        let pool = index.pools.get(pool_id)?;
        let client = series.dim("UserPoolClient")?;
        let pool_s = pool_id.to_string();
        return match family {
            MetricFamily::Federation => {
                if !series.has_exactly(&["UserPool", "UserPoolClient", "IdentityProvider"]) {
                    return None;
                }
                let idp = series.dim("IdentityProvider")?;
                pool.identity_providers.contains(idp).then(|| {
                    (
                        MonitorId::IdentityProvider {
                            pool: pool_s,
                            provider_name: idp.to_string(),
                        },
                        feed,
                    )
                })
            }
            _ if !series.has_exactly(&["UserPool", "UserPoolClient"]) => None,
            MetricFamily::SignUp if client == ADMIN_CLIENT => {
                Some((MonitorId::UserPool { pool: pool_s }, feed))
            }
            _ => pool.clients.contains(client).then(|| {
                (
                    MonitorId::AppClient {
                        pool: pool_s,
                        client_id: client.to_string(),
                    },
                    feed,
                )
            }),
        };
    }
    let metric = RiskMetric::from_metric_name(&series.metric_name)?;
    let pool_id = series.dim("UserPoolId")?;
    index.pools.contains_key(pool_id).then(|| {
        let level = series.dim("RiskLevel").and_then(RiskLevel::parse);
        (
            MonitorId::UserPool {
                pool: pool_id.to_string(),
            },
            Feed::Risk(metric, level),
        )
    })
}

/// A series ListMetrics reported, and — when it first appeared in a refreshed listing — the
/// time from which it may hold data no earlier poll read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSeries {
    /// The series.
    pub series: Series,
    /// Set when the series first appeared in a refreshed listing: read back to this time.
    pub backfill_from: Option<DateTime<Utc>>,
}

/// One GetMetricData query of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The series to read.
    pub series: Series,
    /// The statistic to read.
    pub stat: Stat,
    /// The monitor the value goes to.
    pub monitor: MonitorId,
    /// What the value means to it.
    pub feed: Feed,
    /// The time it covers.
    pub window: Window,
}

/// Plan the queries of a poll: every active series that feeds a monitor with a window to read,
/// over that monitor's window (widened back for a newly listed series).
pub fn plan(
    active: &[ActiveSeries],
    index: &PoolIndex,
    windows: &BTreeMap<MonitorId, Window>,
) -> Vec<Query> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for a in active {
        if !seen.insert(&a.series) {
            continue;
        }
        let Some((monitor, feed)) = route(&a.series, index) else {
            continue;
        };
        let Some(w) = windows.get(&monitor) else {
            continue;
        };
        let mut window = *w;
        if let Some(from) = a.backfill_from {
            window.start = window.start.min(from);
        }
        let stats: &[Stat] = match feed {
            Feed::Successes(_) => &[Stat::Sum, Stat::SampleCount],
            Feed::Throttles(_) | Feed::Risk(..) => &[Stat::Sum],
        };
        for &stat in stats {
            out.push(Query {
                series: a.series.clone(),
                stat,
                monitor: monitor.clone(),
                feed,
                window,
            });
        }
    }
    out
}

/// One GetMetricData call: a time slice and the indexes (into the plan) of its queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The time slice.
    pub window: Window,
    /// Its queries, as indexes into the plan.
    pub queries: Vec<usize>,
}

/// Batch the plan into calls: queries of the same window together, each window cut into
/// slices the datapoint limit allows, at most 500 queries a call.
pub fn calls(plan: &[Query]) -> Vec<Call> {
    let mut by_window: BTreeMap<Window, Vec<usize>> = BTreeMap::new();
    for (i, q) in plan.iter().enumerate() {
        by_window.entry(q.window).or_default().push(i);
    }
    let mut out = Vec::new();
    for (window, idx) in by_window {
        for slice in window.slices() {
            for chunk in idx.chunks(MAX_QUERIES_PER_CALL) {
                out.push(Call {
                    window: slice,
                    queries: chunk.to_vec(),
                });
            }
        }
    }
    out
}

/// Folds GetMetricData answers into per-monitor values.
#[derive(Debug, Default)]
pub struct Aggregator {
    monitors: BTreeMap<MonitorId, Acc>,
    failed: BTreeMap<MonitorId, BTreeSet<String>>,
}

#[derive(Debug, Default)]
struct Acc {
    sum: BTreeMap<MetricFamily, f64>,
    count: BTreeMap<MetricFamily, f64>,
    throttles: BTreeMap<MetricFamily, BTreeMap<DateTime<Utc>, f64>>,
    risk: BTreeMap<(RiskMetric, Option<RiskLevel>), f64>,
}

/// What the poll learned about one monitor.
#[derive(Debug, Clone, PartialEq)]
pub enum MonitorMetrics {
    /// CloudWatch-sourced values by catalogue id; an id that is absent had no data.
    Values(BTreeMap<String, f64>),
    /// A call this monitor needed failed: keep the last values, with these reasons.
    Failed(Vec<String>),
}

impl Aggregator {
    /// Record the datapoints of query `q` (timestamp, value).
    pub fn add(&mut self, q: &Query, points: &[(DateTime<Utc>, f64)]) {
        let acc = self.monitors.entry(q.monitor.clone()).or_default();
        if points.is_empty() {
            return;
        }
        let total: f64 = points.iter().map(|(_, v)| v).sum();
        match (q.feed, q.stat) {
            (Feed::Successes(f), Stat::Sum) => *acc.sum.entry(f).or_default() += total,
            (Feed::Successes(f), Stat::SampleCount) => *acc.count.entry(f).or_default() += total,
            (Feed::Throttles(f), _) => {
                let per_minute = acc.throttles.entry(f).or_default();
                for (t, v) in points {
                    *per_minute.entry(*t).or_default() += v;
                }
            }
            (Feed::Risk(m, level), _) => {
                *acc.risk.entry((m, None)).or_default() += total;
                if level.is_some() {
                    *acc.risk.entry((m, level)).or_default() += total;
                }
            }
        }
    }

    /// Query `q`'s call failed.
    pub fn fail(&mut self, q: &Query, reason: &str) {
        self.monitors.entry(q.monitor.clone()).or_default();
        self.failed
            .entry(q.monitor.clone())
            .or_default()
            .insert(reason.to_string());
    }

    /// The result for every monitor that had at least one query.
    pub fn finish(self) -> BTreeMap<MonitorId, MonitorMetrics> {
        let mut out = BTreeMap::new();
        for (id, acc) in self.monitors {
            if let Some(reasons) = self.failed.get(&id) {
                out.insert(
                    id,
                    MonitorMetrics::Failed(reasons.iter().cloned().collect()),
                );
                continue;
            }
            out.insert(id.clone(), MonitorMetrics::Values(values(id.kind(), &acc)));
        }
        out
    }
}

fn values(kind: MonitorKind, acc: &Acc) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for def in catalogue::metrics(kind) {
        let v = match def.source {
            Source::Inventory => None,
            Source::Successes(f) => acc.sum.get(&f).copied(),
            Source::Total(f) => acc.count.get(&f).copied(),
            Source::SuccessPercentage(f) => ratio(acc.sum.get(&f), acc.count.get(&f)),
            Source::Failed(f) => match (acc.sum.get(&f), acc.count.get(&f)) {
                (Some(s), Some(c)) => Some((c - s).max(0.0)),
                _ => None,
            },
            Source::FailurePercentage(f) => {
                ratio(acc.sum.get(&f), acc.count.get(&f)).map(|p| (100.0 - p).max(0.0))
            }
            Source::Throttles(f) => acc.throttles.get(&f).map(|m| m.values().sum()),
            Source::ThrottlesPeak(f) => acc
                .throttles
                .get(&f)
                .and_then(|m| m.values().copied().reduce(f64::max)),
            Source::ThrottledMinutes(f) => acc
                .throttles
                .get(&f)
                .map(|m| m.values().filter(|v| **v > 0.0).count() as f64),
            Source::Risk(m, level) => acc.risk.get(&(m, level)).copied(),
        };
        if let Some(v) = v {
            out.insert(def.id.to_string(), v);
        }
    }
    out
}

fn ratio(sum: Option<&f64>, count: Option<&f64>) -> Option<f64> {
    match (sum, count) {
        (Some(s), Some(c)) if *c > 0.0 => Some(100.0 * s / c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn index() -> PoolIndex {
        let mut index = PoolIndex::default();
        index.pools.insert(
            "p1".into(),
            PoolEntry {
                clients: ["c1".to_string(), "c2".to_string()].into(),
                identity_providers: ["Google".to_string()].into(),
            },
        );
        index
    }

    fn window() -> Window {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Window {
            start,
            end: start + Duration::minutes(5),
        }
    }

    #[test]
    fn series_reach_their_monitors() {
        let idx = index();
        let r = |s: Series| route(&s, &idx).map(|(m, f)| (m.to_string(), f));
        assert_eq!(
            r(Series::new(
                "SignInSuccesses",
                &[("UserPool", "p1"), ("UserPoolClient", "c1")]
            )),
            Some((
                "appclient/p1/c1".into(),
                Feed::Successes(MetricFamily::SignIn)
            ))
        );
        assert_eq!(
            r(Series::new(
                "SignUpThrottles",
                &[("UserPool", "p1"), ("UserPoolClient", "Admin")]
            )),
            Some(("userpool/p1".into(), Feed::Throttles(MetricFamily::SignUp)))
        );
        assert_eq!(
            r(Series::new(
                "FederationSuccesses",
                &[
                    ("UserPool", "p1"),
                    ("UserPoolClient", "c2"),
                    ("IdentityProvider", "Google")
                ]
            )),
            Some((
                "idp/p1/Google".into(),
                Feed::Successes(MetricFamily::Federation)
            ))
        );
        assert_eq!(
            r(Series::new(
                "AccountTakeOverRisk",
                &[
                    ("UserPoolId", "p1"),
                    ("Operation", "SignIn"),
                    ("RiskLevel", "High")
                ]
            )),
            Some((
                "userpool/p1".into(),
                Feed::Risk(RiskMetric::AccountTakeoverRisk, Some(RiskLevel::High))
            ))
        );
        // Unknown client, unknown pool, the Invalid client, a pool-only aggregate: not routed.
        assert_eq!(
            r(Series::new(
                "SignInSuccesses",
                &[("UserPool", "p1"), ("UserPoolClient", "c9")]
            )),
            None
        );
        assert_eq!(
            r(Series::new(
                "SignInSuccesses",
                &[("UserPool", "p9"), ("UserPoolClient", "c1")]
            )),
            None
        );
        assert_eq!(
            r(Series::new(
                "SignInSuccesses",
                &[("UserPool", "p1"), ("UserPoolClient", "Invalid")]
            )),
            None
        );
        assert_eq!(
            r(Series::new("SignInSuccesses", &[("UserPool", "p1")])),
            None
        );
    }

    #[test]
    fn failures_are_sample_count_minus_sum_and_no_data_is_absent() {
        let idx = index();
        let s = Series::new(
            "SignInSuccesses",
            &[("UserPool", "p1"), ("UserPoolClient", "c1")],
        );
        let t = Series::new(
            "SignInThrottles",
            &[("UserPool", "p1"), ("UserPoolClient", "c1")],
        );
        let active = vec![
            ActiveSeries {
                series: s.clone(),
                backfill_from: None,
            },
            ActiveSeries {
                series: t,
                backfill_from: None,
            },
            ActiveSeries {
                series: s,
                backfill_from: None,
            },
        ];
        let id = MonitorId::AppClient {
            pool: "p1".into(),
            client_id: "c1".into(),
        };
        let windows = [(id.clone(), window())].into();
        let plan = plan(&active, &idx, &windows);
        assert_eq!(
            plan.len(),
            3,
            "duplicates are planned once; Successes twice, Throttles once"
        );
        let t0 = window().start;
        let t1 = t0 + Duration::minutes(1);
        let mut agg = Aggregator::default();
        for q in &plan {
            let points: Vec<_> = match (q.feed, q.stat) {
                (Feed::Successes(_), Stat::Sum) => vec![(t0, 7.0), (t1, 5.0)],
                (Feed::Successes(_), Stat::SampleCount) => vec![(t0, 10.0), (t1, 5.0)],
                _ => vec![(t0, 3.0), (t1, 40.0)],
            };
            agg.add(q, &points);
        }
        let MonitorMetrics::Values(v) = &agg.finish()[&id] else {
            panic!("failed")
        };
        assert_eq!(v["SignInSuccesses"], 12.0);
        assert_eq!(v["SignInTotal"], 15.0);
        assert_eq!(v["SignInFailed"], 3.0);
        assert_eq!(v["SignInSuccessPercentage"], 80.0);
        assert!((v["SignInFailurePercentage"] - 20.0).abs() < 1e-9);
        assert_eq!(v["SignInThrottles"], 43.0);
        assert_eq!(v["SignInThrottlesPeakMinute"], 40.0);
        assert_eq!(v["SignInThrottledMinutes"], 2.0);
        assert!(
            !v.contains_key("SignUpFailed"),
            "no datapoints is no data, not zero failures"
        );
        assert!(!v.contains_key("TokenRefreshSuccessPercentage"));
    }

    #[test]
    fn federation_is_summed_over_clients_and_peaks_per_minute() {
        let idx = index();
        let mk = |c: &str, m: &str| ActiveSeries {
            series: Series::new(
                m,
                &[
                    ("UserPool", "p1"),
                    ("UserPoolClient", c),
                    ("IdentityProvider", "Google"),
                ],
            ),
            backfill_from: None,
        };
        let active = vec![
            mk("c1", "FederationSuccesses"),
            mk("c2", "FederationSuccesses"),
            mk("c1", "FederationThrottles"),
            mk("c2", "FederationThrottles"),
        ];
        let id = MonitorId::IdentityProvider {
            pool: "p1".into(),
            provider_name: "Google".into(),
        };
        let plan = plan(&active, &idx, &[(id.clone(), window())].into());
        let t0 = window().start;
        let mut agg = Aggregator::default();
        for q in &plan {
            let v = match q.stat {
                Stat::Sum => 2.0,
                Stat::SampleCount => 4.0,
            };
            agg.add(q, &[(t0, v)]);
        }
        let MonitorMetrics::Values(v) = &agg.finish()[&id] else {
            panic!()
        };
        assert_eq!(v["FederationSuccesses"], 4.0);
        assert_eq!(v["FederationTotal"], 8.0);
        assert_eq!(v["FederationFailed"], 4.0);
        assert_eq!(v["FederationThrottles"], 4.0);
        assert_eq!(
            v["FederationThrottlesPeakMinute"], 4.0,
            "same minute of two clients adds up"
        );
    }

    #[test]
    fn a_failed_call_marks_only_its_monitors() {
        let idx = index();
        let a = MonitorId::AppClient {
            pool: "p1".into(),
            client_id: "c1".into(),
        };
        let b = MonitorId::AppClient {
            pool: "p1".into(),
            client_id: "c2".into(),
        };
        let active: Vec<_> = ["c1", "c2"]
            .iter()
            .map(|c| ActiveSeries {
                series: Series::new(
                    "SignInThrottles",
                    &[("UserPool", "p1"), ("UserPoolClient", c)],
                ),
                backfill_from: None,
            })
            .collect();
        let plan = plan(
            &active,
            &idx,
            &[(a.clone(), window()), (b.clone(), window())].into(),
        );
        let mut agg = Aggregator::default();
        agg.add(&plan[0], &[(window().start, 1.0)]);
        agg.fail(&plan[1], "GetMetricData: throttled");
        let out = agg.finish();
        assert!(matches!(out[&a], MonitorMetrics::Values(_)));
        assert_eq!(
            out[&b],
            MonitorMetrics::Failed(vec!["GetMetricData: throttled".into()])
        );
    }

    #[test]
    fn backfill_widens_only_the_new_series() {
        let idx = index();
        let from = window().start - Duration::minutes(30);
        let active = vec![
            ActiveSeries {
                series: Series::new(
                    "SignInThrottles",
                    &[("UserPool", "p1"), ("UserPoolClient", "c1")],
                ),
                backfill_from: Some(from),
            },
            ActiveSeries {
                series: Series::new(
                    "SignUpThrottles",
                    &[("UserPool", "p1"), ("UserPoolClient", "c1")],
                ),
                backfill_from: None,
            },
        ];
        let id = MonitorId::AppClient {
            pool: "p1".into(),
            client_id: "c1".into(),
        };
        let plan = plan(&active, &idx, &[(id, window())].into());
        assert_eq!(plan[0].window.start, from);
        assert_eq!(plan[1].window, window());
        assert_eq!(calls(&plan).len(), 2, "two windows, two calls");
    }

    proptest! {
        /// Every query lands in exactly one call, no call has more than 500 queries, and a
        /// call's queries share its window.
        #[test]
        fn calls_cover_the_plan_once(clients in 1usize..400, minutes in 1i64..1000) {
            let mut idx = PoolIndex::default();
            let entry = idx.pools.entry("p".into()).or_default();
            let mut active = Vec::new();
            let mut windows = BTreeMap::new();
            let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            for c in 0..clients {
                let c = format!("c{c}");
                entry.clients.insert(c.clone());
                windows.insert(MonitorId::AppClient { pool: "p".into(), client_id: c.clone() },
                               Window { start, end: start + Duration::minutes(minutes) });
                for m in ["SignInSuccesses", "SignInThrottles"] {
                    active.push(ActiveSeries { series: Series::new(m, &[("UserPool", "p"), ("UserPoolClient", &c)]), backfill_from: None });
                }
            }
            let plan = plan(&active, &idx, &windows);
            prop_assert_eq!(plan.len(), clients * 3);
            let calls = calls(&plan);
            let slices = (minutes + 199) / 200;
            let mut count = vec![0i64; plan.len()];
            for call in &calls {
                prop_assert!(call.queries.len() <= MAX_QUERIES_PER_CALL);
                for &q in &call.queries {
                    count[q] += 1;
                    prop_assert!(plan[q].window.start <= call.window.start && call.window.end <= plan[q].window.end);
                }
            }
            prop_assert!(count.iter().all(|&c| c == slices));
            prop_assert_eq!(calls.len() as i64, slices * ((plan.len() as i64 + 499) / 500));
        }
    }
}
