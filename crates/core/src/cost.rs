//! What the estate's monitoring costs per month, from what the collector's last polls actually
//! did (the poll log) and list prices: CloudWatch GetMetricData (billed per metric requested),
//! Lambda (requests and GB-seconds, arm64), DynamoDB on-demand (request units), SNS (alerts
//! published), KMS (the tables' key) and the derived EMF metrics. Projected at the observed
//! poll rate and at other rates: one poll's work does not depend on the rate (each active
//! series is one query per poll whatever the window), so the cost scales with polls per month.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::record::PollLog;

/// AWS bills a month as 730 hours.
pub const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

/// List prices (USD) of the services the stack uses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// The region the prices are of.
    pub region: &'static str,
    /// CloudWatch GetMetricData, per 1,000 metrics requested.
    pub get_metric_data_per_1000_metrics: f64,
    /// CloudWatch custom metrics (EMF), per metric-month (first tier).
    pub custom_metric_month: f64,
    /// Lambda requests, per million.
    pub lambda_requests_per_million: f64,
    /// Lambda compute on arm64, per GB-second (first tier).
    pub lambda_arm64_gb_second: f64,
    /// DynamoDB on-demand write request units, per million.
    pub dynamodb_write_units_per_million: f64,
    /// DynamoDB on-demand read request units, per million.
    pub dynamodb_read_units_per_million: f64,
    /// SNS publishes, per million.
    pub sns_publishes_per_million: f64,
    /// SNS email deliveries, per 100,000.
    pub sns_emails_per_100k: f64,
    /// A customer managed KMS key, per month.
    pub kms_key_month: f64,
    /// SQS standard requests, per million (a receive or delete of up to 10 messages is one).
    pub sqs_requests_per_million: f64,
    /// A CloudWatch standard-resolution alarm, per month.
    pub alarm_month: f64,
    /// A CloudWatch dashboard, per month (an account's first three are free).
    pub dashboard_month: f64,
}

/// us-east-1 list prices (checked against the AWS pricing pages, 2026).
pub const US_EAST_1: Prices = Prices {
    region: "us-east-1",
    get_metric_data_per_1000_metrics: 0.01,
    custom_metric_month: 0.30,
    lambda_requests_per_million: 0.20,
    lambda_arm64_gb_second: 0.000_013_333_4,
    dynamodb_write_units_per_million: 0.625,
    dynamodb_read_units_per_million: 0.125,
    sns_publishes_per_million: 0.50,
    sns_emails_per_100k: 2.00,
    kms_key_month: 1.00,
    sqs_requests_per_million: 0.40,
    alarm_month: 0.10,
    dashboard_month: 3.00,
};

/// What the poll log shows, summed over the polls read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Observed {
    /// Collector invocations: poll log rows sharing a start time are one invocation polling
    /// several accounts and regions.
    pub invocations: u64,
    /// Poll log rows (one per account × region per invocation).
    pub scope_polls: u64,
    /// The first poll read.
    pub first_at: Option<DateTime<Utc>>,
    /// The last poll read.
    pub last_at: Option<DateTime<Utc>>,
    /// GetMetricData queries: each is one metric requested, the unit CloudWatch bills.
    pub metric_queries: u64,
    /// AWS calls by operation (Cognito, CloudWatch, STS).
    pub calls: BTreeMap<String, u64>,
    /// Seconds the collector spent polling, summed over invocations (the longest scope of each).
    pub collector_seconds: f64,
    /// State items read and DynamoDB write request units spent.
    pub items_read: u64,
    /// DynamoDB write request units spent.
    pub write_units: u64,
}

impl Observed {
    /// Sums the poll log rows read.
    pub fn from_logs(logs: &[PollLog]) -> Observed {
        let mut o = Observed::default();
        let mut invocations: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for log in logs {
            o.scope_polls += 1;
            o.metric_queries += log.metric_queries;
            o.items_read += log.items_read;
            o.write_units += log.write_units;
            for (op, n) in &log.calls {
                *o.calls.entry(op.clone()).or_default() += n;
            }
            let seconds = (log.finished_at - log.started_at).num_milliseconds().max(0) as f64 / 1e3;
            let longest = invocations.entry(log.started_at).or_default();
            *longest = longest.max(seconds);
        }
        o.invocations = invocations.len() as u64;
        o.collector_seconds = invocations.values().sum();
        o.first_at = invocations.keys().next().copied();
        o.last_at = invocations.keys().next_back().copied();
        o
    }

    /// The observed poll interval: the span between the first and last invocations over the
    /// intervals between them. None with fewer than two invocations.
    pub fn interval_seconds(&self) -> Option<f64> {
        let (first, last) = (self.first_at?, self.last_at?);
        let span = (last - first).num_seconds() as f64;
        (self.invocations >= 2 && span > 0.0).then(|| span / (self.invocations - 1) as f64)
    }

    /// GetMetricData calls made.
    pub fn get_metric_data_calls(&self) -> u64 {
        self.calls.get("GetMetricData").copied().unwrap_or(0)
    }

    fn per_invocation(&self, total: f64) -> f64 {
        if self.invocations == 0 {
            0.0
        } else {
            total / self.invocations as f64
        }
    }
}

/// What the trail function did in one hour from one source (its usage record): the unit the
/// trail's cost is priced from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailUsage {
    /// `sqs` (EventBridge through the queue), `eventbridge` (invoked per record), `logs`, `s3`
    /// (a trail file), `file`.
    pub source: String,
    /// The hour it covers.
    pub hour: DateTime<Utc>,
    /// Function invocations.
    pub invocations: u64,
    /// Deliveries taken in (events, log batches, trail files, queue messages).
    pub deliveries: u64,
    /// Cognito records read.
    pub records: u64,
    /// Trail table items written and their write units (the usage record's own included).
    pub items_written: u64,
    /// Their write request units.
    pub write_units: u64,
    /// Milliseconds the invocations ran, summed.
    pub milliseconds: u64,
}

impl TrailUsage {
    /// Another hour's (or invocation's) usage added to this.
    pub fn absorb(&mut self, other: &TrailUsage) {
        self.invocations += other.invocations;
        self.deliveries += other.deliveries;
        self.records += other.records;
        self.items_written += other.items_written;
        self.write_units += other.write_units;
        self.milliseconds += other.milliseconds;
    }
}

/// What the trail function costs from one source, from its usage records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailCost {
    /// The source (as in [`TrailUsage::source`]).
    pub source: String,
    /// Its usage over the period read.
    pub usage: TrailUsage,
    /// DynamoDB write request units per record.
    pub write_units_per_record: f64,
    /// USD per million records: DynamoDB writes, Lambda (requests and GB-seconds), SQS.
    pub dynamodb_per_million: f64,
    /// Lambda's share of the total, per million records.
    pub lambda_per_million: f64,
    /// SQS's share (the queue from EventBridge only), per million records.
    pub sqs_per_million: f64,
    /// The three together, per million records.
    pub total_per_million: f64,
    /// USD a month at the pace the records came in over the period read.
    pub month: f64,
}

/// SQS requests per record through the queue: EventBridge's SendMessage, and the event source
/// mapping's receive and delete of up to ten messages each.
pub const SQS_REQUESTS_PER_RECORD: f64 = 1.2;

/// The trail's cost per source: each source's usage summed over the period (`period_seconds`
/// long) and priced per million records and per month at that pace. `memory_mb`: the trail
/// function's memory.
pub fn trail_costs(
    usage: &[TrailUsage],
    period_seconds: f64,
    prices: &Prices,
    memory_mb: u64,
) -> Vec<TrailCost> {
    let mut by_source: BTreeMap<String, TrailUsage> = BTreeMap::new();
    for u in usage {
        let sum = by_source
            .entry(u.source.clone())
            .or_insert_with(|| TrailUsage {
                source: u.source.clone(),
                hour: u.hour,
                ..TrailUsage::default()
            });
        sum.hour = sum.hour.min(u.hour);
        sum.absorb(u);
    }
    by_source
        .into_values()
        .map(|u| {
            let dynamodb = u.write_units as f64 / 1e6 * prices.dynamodb_write_units_per_million;
            let gb_seconds = u.milliseconds as f64 / 1e3 * memory_mb as f64 / 1024.0;
            let lambda = u.invocations as f64 / 1e6 * prices.lambda_requests_per_million
                + gb_seconds * prices.lambda_arm64_gb_second;
            let sqs = if u.source == "sqs" {
                u.records as f64 * SQS_REQUESTS_PER_RECORD / 1e6 * prices.sqs_requests_per_million
            } else {
                0.0
            };
            let total = dynamodb + lambda + sqs;
            let per_million = |usd: f64| {
                if u.records == 0 {
                    0.0
                } else {
                    usd * 1e6 / u.records as f64
                }
            };
            TrailCost {
                source: u.source.clone(),
                write_units_per_record: if u.records == 0 {
                    0.0
                } else {
                    u.write_units as f64 / u.records as f64
                },
                dynamodb_per_million: per_million(dynamodb),
                lambda_per_million: per_million(lambda),
                sqs_per_million: per_million(sqs),
                total_per_million: per_million(total),
                month: total * SECONDS_PER_MONTH / period_seconds.max(1.0),
                usage: u,
            }
        })
        .collect()
}

/// What the stack costs whatever it watches: the alert topic's KMS key, the alarms, the
/// dashboard and the trail queue's idle polling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fixed {
    /// The alert topic's customer managed KMS key, a month.
    pub alert_key: f64,
    /// How many alarms the stack creates.
    pub alarms: u64,
    /// Their price, a month.
    pub alarms_usd: f64,
    /// The CloudWatch dashboard, a month.
    pub dashboard: f64,
    /// Lambda's pollers' long polls of an idle trail queue (an estimate: 5 pollers, a 20 s
    /// receive each; within SQS's free million a month).
    pub queue_polling: f64,
    /// Everything above, a month.
    pub total: f64,
}

/// The stack's alarms: the three functions' errors, the evaluator's, trail's and events'
/// failure queues, and the trail queue's dead-letter queue when the trail reads EventBridge.
pub fn fixed(prices: &Prices, trail_queue: bool) -> Fixed {
    let alarms = 6 + u64::from(trail_queue);
    let alarms_usd = alarms as f64 * prices.alarm_month;
    let queue_polling = if trail_queue {
        5.0 * 3.0 * 60.0 * 730.0 / 1e6 * prices.sqs_requests_per_million
    } else {
        0.0
    };
    let total = prices.kms_key_month + alarms_usd + prices.dashboard_month + queue_polling;
    Fixed {
        alert_key: prices.kms_key_month,
        alarms,
        alarms_usd,
        dashboard: prices.dashboard_month,
        queue_polling,
        total,
    }
}

/// The families of derived metrics, as the stack's `PublishDerivedMetrics` names them.
pub const FAMILIES: [&str; 3] = ["status", "failures", "trail"];

/// The families a `PublishDerivedMetrics` value publishes (`true`: all, `false`: none, else
/// the families it lists); None for a value the stack does not take.
pub fn families(value: &str) -> Option<Vec<&'static str>> {
    match value.trim() {
        "true" | "all" => Some(FAMILIES.to_vec()),
        "false" | "none" => Some(Vec::new()),
        listed => {
            let mut out = Vec::new();
            for name in listed.split(',').map(str::trim) {
                let family = FAMILIES.iter().find(|f| **f == name)?;
                if !out.contains(family) {
                    out.push(*family);
                }
            }
            Some(out)
        }
    }
}

/// The estate and the deployment, besides what the poll log says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estate {
    /// Active app clients (the unit the README's table prices).
    pub app_clients: u64,
    /// Derived metrics the collector publishes (0 when `PublishDerivedMetrics` is off).
    pub derived_metrics: u64,
    /// Alerts published to the topic per month (those of the period read, scaled to a month).
    pub alerts_per_month: f64,
    /// Email subscriptions on the alert topic.
    pub email_subscriptions: u64,
    /// A customer managed key encrypts the tables.
    pub table_key: bool,
    /// The collector's memory (MB), as the template sets it.
    pub collector_memory_mb: u64,
    /// The evaluator's memory (MB).
    pub evaluator_memory_mb: u64,
    /// The trail function's memory (MB).
    pub trail_memory_mb: u64,
    /// The evaluator's stream batch size (the template's `BatchSize`).
    pub evaluator_batch: u64,
    /// Seconds one evaluator invocation runs (not in the poll log; an estimate).
    pub evaluator_seconds: f64,
}

impl Default for Estate {
    fn default() -> Estate {
        Estate {
            app_clients: 0,
            derived_metrics: 0,
            alerts_per_month: 0.0,
            email_subscriptions: 1,
            table_key: false,
            collector_memory_mb: 256,
            evaluator_memory_mb: 256,
            trail_memory_mb: 512,
            evaluator_batch: 500,
            evaluator_seconds: 0.3,
        }
    }
}

/// One month at one poll rate, in USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Month {
    /// Seconds between polls.
    pub poll_seconds: f64,
    /// Polls a month.
    pub polls: f64,
    /// Metrics requested from GetMetricData a month (the billed unit).
    pub metrics_requested: f64,
    /// GetMetricData calls a month (at most 500 metrics each).
    pub get_metric_data_calls: f64,
    /// CloudWatch, in USD.
    pub cloudwatch: f64,
    /// Lambda, in USD.
    pub lambda: f64,
    /// DynamoDB, in USD.
    pub dynamodb: f64,
    /// SNS, in USD.
    pub sns: f64,
    /// KMS, in USD.
    pub kms: f64,
    /// Derived metrics (custom metrics), in USD.
    pub derived_metrics: f64,
    /// All of the above, in USD.
    pub total: f64,
    /// `total` over the active app clients (None without any).
    pub per_app_client: Option<f64>,
}

/// The month at a poll every `poll_seconds`, from the average observed invocation.
pub fn month(observed: &Observed, estate: &Estate, prices: &Prices, poll_seconds: f64) -> Month {
    let polls = SECONDS_PER_MONTH / poll_seconds.max(1.0);
    let per = |total: f64| observed.per_invocation(total) * polls;
    let metrics_requested = per(observed.metric_queries as f64);
    let cloudwatch = metrics_requested / 1000.0 * prices.get_metric_data_per_1000_metrics;

    let written = per(observed.write_units as f64);
    let read = per(observed.items_read as f64);
    // The evaluator runs on the state table's stream: a batch per `evaluator_batch` items
    // written (at least one per poll), and reads about what was written (the roots' partitions).
    let evaluator_invocations = polls
        * (observed.per_invocation(observed.write_units as f64)
            / estate.evaluator_batch.max(1) as f64)
            .ceil()
            .max(1.0);
    let lambda_requests = polls + evaluator_invocations;
    let gb_seconds = per(observed.collector_seconds) * estate.collector_memory_mb as f64 / 1024.0
        + evaluator_invocations * estate.evaluator_seconds * estate.evaluator_memory_mb as f64
            / 1024.0;
    let lambda = lambda_requests / 1e6 * prices.lambda_requests_per_million
        + gb_seconds * prices.lambda_arm64_gb_second;
    // Eventually consistent reads of items under 4 KB are half a unit each; the evaluator
    // reads about what the collector wrote.
    let dynamodb = written / 1e6 * prices.dynamodb_write_units_per_million
        + (read + written) * 0.5 / 1e6 * prices.dynamodb_read_units_per_million;

    let alerts = estate.alerts_per_month;
    let sns = alerts / 1e6 * prices.sns_publishes_per_million
        + alerts * estate.email_subscriptions as f64 / 1e5 * prices.sns_emails_per_100k;
    let kms = if estate.table_key {
        prices.kms_key_month
    } else {
        0.0
    };
    let derived_metrics = estate.derived_metrics as f64 * prices.custom_metric_month;
    let total = cloudwatch + lambda + dynamodb + sns + kms + derived_metrics;
    Month {
        poll_seconds,
        polls,
        metrics_requested,
        get_metric_data_calls: per(observed.get_metric_data_calls() as f64),
        cloudwatch,
        lambda,
        dynamodb,
        sns,
        kms,
        derived_metrics,
        total,
        per_app_client: (estate.app_clients > 0).then(|| total / estate.app_clients as f64),
    }
}

/// The rates the report compares: the configured (or observed) one and the usual others.
pub const RATES: [f64; 4] = [60.0, 300.0, 900.0, 3600.0];

/// The months at `configured` and at each of `RATES` (the configured rate first, no duplicate).
pub fn months(
    observed: &Observed,
    estate: &Estate,
    prices: &Prices,
    configured: f64,
) -> Vec<Month> {
    let mut seen = BTreeSet::new();
    std::iter::once(configured)
        .chain(RATES)
        .filter(|r| seen.insert(r.to_bits()))
        .map(|r| month(observed, estate, prices, r))
        .collect()
}

/// A poll rate in seconds: the schedule's own form (`rate(5 minutes)`, `rate(1 hour)`,
/// `rate(30 seconds)`), or a period as `--since` takes it (`5m`, `1h`).
pub fn parse_rate(expression: &str) -> Option<f64> {
    let Some(inner) = expression.trim().strip_prefix("rate(") else {
        let period = crate::trail::parse_period(expression).ok()?;
        return Some(period.num_seconds() as f64);
    };
    let inner = inner.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: f64 = n.parse().ok().filter(|n: &f64| *n > 0.0)?;
    let unit = match unit.trim().trim_end_matches('s') {
        "second" => 1.0,
        "minute" => 60.0,
        "hour" => 3600.0,
        "day" => 86400.0,
        _ => return None,
    };
    Some(n * unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn log(at: DateTime<Utc>, account: &str, queries: u64, gmd: u64, seconds: i64) -> PollLog {
        PollLog {
            account: account.into(),
            region: "us-east-1".into(),
            started_at: at,
            finished_at: at + Duration::seconds(seconds),
            metric_queries: queries,
            calls: [
                ("GetMetricData".to_string(), gmd),
                ("ListUserPools".to_string(), 1),
            ]
            .into_iter()
            .collect(),
            items_read: 100,
            write_units: 100,
            ..Default::default()
        }
    }

    #[test]
    fn scopes_of_one_invocation_are_one_invocation_and_its_longest_scope() {
        let t = Utc::now();
        let logs = vec![
            log(t, "111", 1000, 2, 3),
            log(t, "222", 500, 1, 5),
            log(t + Duration::minutes(5), "111", 1000, 2, 2),
        ];
        let o = Observed::from_logs(&logs);
        assert_eq!(o.invocations, 2);
        assert_eq!(o.scope_polls, 3);
        assert_eq!(o.metric_queries, 2500);
        assert_eq!(o.get_metric_data_calls(), 5);
        assert_eq!(o.calls["ListUserPools"], 3);
        assert!((o.collector_seconds - 7.0).abs() < 1e-9);
        assert_eq!(o.interval_seconds(), Some(300.0));
    }

    #[test]
    fn cloudwatch_is_metrics_requested_at_a_cent_per_thousand() {
        let t = Utc::now();
        // 100 app clients x 10 series + pools: 1,200 metrics requested per poll.
        let logs: Vec<_> = (0..12)
            .map(|i| log(t + Duration::minutes(5 * i), "111", 1200, 3, 4))
            .collect();
        let o = Observed::from_logs(&logs);
        let estate = Estate {
            app_clients: 100,
            ..Estate::default()
        };
        let m = month(&o, &estate, &US_EAST_1, 300.0);
        assert!((m.polls - 8760.0).abs() < 1e-6);
        assert!((m.metrics_requested - 1200.0 * 8760.0).abs() < 1e-3);
        assert!((m.cloudwatch - 105.12).abs() < 1e-6);
        assert!((m.get_metric_data_calls - 3.0 * 8760.0).abs() < 1e-6);
        assert!(m.total > m.cloudwatch && m.lambda > 0.0 && m.dynamodb > 0.0);
        assert_eq!(m.per_app_client, Some(m.total / 100.0));
        // A slower poll costs proportionally less CloudWatch.
        let hourly = month(&o, &estate, &US_EAST_1, 3600.0);
        assert!((hourly.cloudwatch * 12.0 - m.cloudwatch).abs() < 1e-6);
    }

    #[test]
    fn fixed_costs_do_not_scale_with_the_rate() {
        let o = Observed::from_logs(&[log(Utc::now(), "111", 10, 1, 1)]);
        let estate = Estate {
            table_key: true,
            derived_metrics: 10,
            ..Estate::default()
        };
        let a = month(&o, &estate, &US_EAST_1, 60.0);
        let b = month(&o, &estate, &US_EAST_1, 3600.0);
        assert_eq!(a.kms, 1.0);
        assert_eq!(a.kms, b.kms);
        assert!((a.derived_metrics - 3.0).abs() < 1e-9);
        assert_eq!(a.derived_metrics, b.derived_metrics);
        assert_eq!(a.per_app_client, None);
    }

    #[test]
    fn sns_prices_each_alert_published_and_emailed() {
        let estate = Estate {
            alerts_per_month: 100_000.0,
            email_subscriptions: 2,
            ..Estate::default()
        };
        let m = month(&Observed::default(), &estate, &US_EAST_1, 300.0);
        assert!((m.sns - (0.05 + 4.0)).abs() < 1e-9, "{}", m.sns);
    }

    #[test]
    fn an_empty_poll_log_costs_only_the_fixed_parts() {
        let m = month(&Observed::default(), &Estate::default(), &US_EAST_1, 300.0);
        assert_eq!(m.cloudwatch, 0.0);
        assert_eq!(m.dynamodb, 0.0);
        assert_eq!(m.sns, 0.0);
    }

    #[test]
    fn months_put_the_configured_rate_first_once() {
        let o = Observed::default();
        let ms = months(&o, &Estate::default(), &US_EAST_1, 300.0);
        let rates: Vec<f64> = ms.iter().map(|m| m.poll_seconds).collect();
        assert_eq!(rates, vec![300.0, 60.0, 900.0, 3600.0]);
        let ms = months(&o, &Estate::default(), &US_EAST_1, 120.0);
        assert_eq!(ms.len(), 5);
    }

    #[test]
    fn the_trail_is_priced_per_source_from_its_usage_records() {
        let hour = Utc::now();
        let usage = |source: &str, records, write_units, ms| TrailUsage {
            source: source.into(),
            hour,
            invocations: 10,
            deliveries: records,
            records,
            items_written: write_units,
            write_units,
            milliseconds: ms,
        };
        let costs = trail_costs(
            &[
                usage("sqs", 500_000, 1_000_000, 20_000),
                usage("sqs", 500_000, 2_000_000, 20_000),
                usage("logs", 1_000, 4_000, 1_000),
            ],
            86_400.0,
            &US_EAST_1,
            512,
        );
        assert_eq!(costs.len(), 2);
        let sqs = costs.iter().find(|c| c.source == "sqs").unwrap();
        assert_eq!(sqs.usage.records, 1_000_000);
        assert!((sqs.write_units_per_record - 3.0).abs() < 1e-9);
        assert!((sqs.dynamodb_per_million - 1.875).abs() < 1e-9);
        assert!((sqs.sqs_per_million - 0.48).abs() < 1e-9);
        // 20 requests and 40 s at 0.5 GB.
        let lambda = 20.0 * 0.2e-6 + 20.0 * 0.000_013_333_4;
        assert!((sqs.lambda_per_million - lambda).abs() < 1e-9);
        let day = 1.875 + 0.48 + lambda;
        assert!(
            (sqs.month - day * 730.0 / 24.0).abs() < 1e-6,
            "{}",
            sqs.month
        );
        let logs = costs.iter().find(|c| c.source == "logs").unwrap();
        assert_eq!(logs.sqs_per_million, 0.0);
    }

    #[test]
    fn fixed_costs_count_the_queue_alarm_only_with_the_queue() {
        let queued = fixed(&US_EAST_1, true);
        let direct = fixed(&US_EAST_1, false);
        assert_eq!((queued.alarms, direct.alarms), (7, 6));
        assert!((direct.total - (1.0 + 0.6 + 3.0)).abs() < 1e-9);
        assert!(queued.queue_polling > 0.25 && queued.queue_polling < 0.27);
    }

    #[test]
    fn derived_metric_families_read_as_the_stack_names_them() {
        assert_eq!(families("true"), Some(vec!["status", "failures", "trail"]));
        assert_eq!(families("false"), Some(vec![]));
        assert_eq!(families("status"), Some(vec!["status"]));
        assert_eq!(families("failures,trail"), Some(vec!["failures", "trail"]));
        assert_eq!(families("status, status"), Some(vec!["status"]));
        assert_eq!(families("statuses"), None);
        assert_eq!(families(""), None);
    }

    #[test]
    fn schedule_rates_parse() {
        assert_eq!(parse_rate("rate(5 minutes)"), Some(300.0));
        assert_eq!(parse_rate("rate(1 minute)"), Some(60.0));
        assert_eq!(parse_rate("rate(1 hour)"), Some(3600.0));
        assert_eq!(parse_rate(" rate(2 days) "), Some(172800.0));
        assert_eq!(parse_rate("rate(0 minutes)"), None);
        assert_eq!(parse_rate("cron(0 * * * ? *)"), None);
        assert_eq!(parse_rate("rate(5 fortnights)"), None);
        assert_eq!(parse_rate("5m"), Some(300.0), "the --since syntax too");
        assert_eq!(parse_rate("1h"), Some(3600.0));
        assert_eq!(parse_rate("5 minutes"), None);
    }
}
