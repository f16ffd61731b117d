//! `cognito-watch cost`: the estate's monthly cost from what the last polls actually did (each
//! scope's poll log) and list prices, per estate and per active app client, at the configured
//! poll rate and at others.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use cognito_watch_aws::trail::TrailStore;
use cognito_watch_aws::{Scope, StateStore, StatusStore};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::cost::{self, Estate, Month, Observed};
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};
use cognito_watch_core::progress::thousands;
use serde::Serialize;

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::{status_store, trail_store};
use crate::period;
use cognito_watch_core::config::Tables;

/// `cost`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CostCommand {
    /// How much of the poll log to read (the polls of the period).
    #[command(flatten)]
    pub since: period::Since,
    /// The configured poll rate: 5m, 1h, or as the stack's PollRate, "rate(5 minutes)"
    /// (default: the interval the poll log shows, else 5 minutes).
    #[arg(long)]
    pub rate: Option<String>,
    /// The tables are encrypted with a customer managed KMS key (TableKmsKeyArn): $1 a month.
    #[arg(long)]
    pub table_key: bool,
    /// The stack's PublishDerivedMetrics: true, false, or families of status, failures
    /// and trail separated by commas (the template's default: false).
    #[arg(long, default_value = "false")]
    pub derived_metrics: String,
    /// The same as --derived-metrics false.
    #[arg(long, conflicts_with = "derived_metrics")]
    pub no_derived_metrics: bool,
    /// The stack's TrailSource: EventBridge (the queue and its alarm), LogGroup or Bucket.
    #[arg(long, default_value = "EventBridge")]
    pub trail_source: String,
}

/// `cost`: the report for the stack settings its flags name.
pub(crate) async fn command(
    env: &Env,
    args: CostCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let args = CostArgs {
        since: args.since.period,
        rate: args.rate,
        table_key: args.table_key,
        derived_metrics: if args.no_derived_metrics {
            "false".into()
        } else {
            args.derived_metrics
        },
        trail_source: args.trail_source,
    };
    Box::pin(run(env, &args, Format::of(output, false, false), out)).await
}

/// What the command prints with `-o json`.
#[derive(Debug, Serialize)]
pub struct CostReport {
    pub prices: cost::Prices,
    pub since: String,
    pub observed: Observed,
    pub estate: Estate,
    pub user_pools: u64,
    pub months: Vec<Month>,
    /// Each family of derived metrics: its metrics and their price, published or not.
    pub derived: Vec<DerivedFamily>,
    /// What the stack costs whatever it watches.
    pub fixed: cost::Fixed,
    /// The trail per source, from its usage records (empty without the trail table or usage).
    pub trail: Vec<cost::TrailCost>,
    /// Whether the trail table was read.
    pub trail_read: bool,
    /// The configured rate's month, the fixed costs and the trail at its pace.
    pub all_in: f64,
}

/// One family of derived metrics.
#[derive(Debug, Serialize)]
pub struct DerivedFamily {
    pub family: &'static str,
    pub metrics: u64,
    pub usd_per_month: f64,
    pub published: bool,
}

pub struct CostArgs {
    pub since: crate::period::Period,
    pub rate: Option<String>,
    pub table_key: bool,
    /// The stack's `PublishDerivedMetrics` value.
    pub derived_metrics: String,
    /// The stack's `TrailSource`.
    pub trail_source: String,
}

/// Read the poll logs of every scope the estate spans (within `since`), the estate itself and
/// the alerts published over the same span, and price a month.
pub async fn report(
    state: &StateStore,
    status: Option<&StatusStore>,
    trail: Option<&TrailStore>,
    args: &CostArgs,
) -> Result<CostReport, CliError> {
    let (published, trail_queue) = stack_settings(args)?;
    let period = args.since.length;
    let from = args.since.start(Utc::now())?;
    let monitors: Vec<_> = state
        .load_estate()
        .await?
        .into_iter()
        .filter(|m| !m.is_deleted())
        .collect();
    let observed = observed(state, &monitors, from).await?;
    let count = |kind: MonitorKind| monitors.iter().filter(|m| m.kind == kind).count() as u64;

    let alerts = alerts_since(state, status, from).await?;
    let derived = derived_families(&monitors, &published);
    let derived_metrics = derived
        .iter()
        .filter(|f| f.published)
        .map(|f| f.metrics)
        .sum();
    let estate = Estate {
        app_clients: count(MonitorKind::AppClient),
        derived_metrics,
        alerts_per_month: alerts as f64 * cost::SECONDS_PER_MONTH
            / (period.num_seconds().max(1) as f64),
        table_key: args.table_key,
        ..Estate::default()
    };
    let configured = match &args.rate {
        Some(r) => cost::parse_rate(r).ok_or_else(|| {
            CliError::Usage(format!(
                "--rate {r:?}: expected a rate such as 5m, 1h or \"rate(5 minutes)\""
            ))
        })?,
        None => observed.interval_seconds().unwrap_or(300.0),
    };
    let months = cost::months(&observed, &estate, &cost::US_EAST_1, configured);
    let usage = match trail {
        Some(store) => {
            use chrono::DurationRound;
            let hour = from
                .duration_trunc(chrono::Duration::hours(1))
                .unwrap_or(from);
            store.usage(hour).await?
        }
        None => Vec::new(),
    };
    let trail_costs = cost::trail_costs(
        &usage,
        period.num_seconds() as f64,
        &cost::US_EAST_1,
        estate.trail_memory_mb,
    );
    let fixed = cost::fixed(&cost::US_EAST_1, trail_queue);
    let all_in = months.first().map_or(0.0, |m| m.total)
        + fixed.total
        + trail_costs.iter().map(|t| t.month).sum::<f64>();
    Ok(CostReport {
        prices: cost::US_EAST_1,
        since: args.since.text.clone(),
        observed,
        estate,
        user_pools: count(MonitorKind::UserPool),
        months,
        derived,
        fixed,
        trail: trail_costs,
        trail_read: trail.is_some(),
        all_in,
    })
}

/// The report as text (a table per rate), JSON (the report whole) or CSV (its line items).
pub fn render(report: &CostReport, format: Format) -> Result<String, CliError> {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(report).map_err(CliError::output)?;
            text.push('\n');
            return Ok(text);
        }
        Format::Csv => return line_items(report).csv(),
        Format::Table | Format::Wide => {}
    }
    let mut text = String::new();
    summary(report, &mut text);
    months_table(report, &mut text);
    trail_section(report, &mut text);
    text.push_str(
        "Not priced: the functions' log ingestion ($0.50 per GB) and CloudTrail's own charges \
         (data events: $0.10 per 100,000).\n",
    );
    Ok(text)
}

/// The stack settings the report is asked for: the derived metric families published, and
/// whether the trail's source is the EventBridge queue.
fn stack_settings(args: &CostArgs) -> Result<(Vec<&'static str>, bool), CliError> {
    let published = cost::families(&args.derived_metrics).ok_or_else(|| {
        CliError::Usage(format!(
            "--derived-metrics {:?}: expected the stack's PublishDerivedMetrics value: true, \
             false, or families of {} separated by commas",
            args.derived_metrics,
            cost::FAMILIES.join(", ")
        ))
    })?;
    let trail_queue = match args.trail_source.as_str() {
        "EventBridge" => true,
        "LogGroup" | "Bucket" => false,
        other => {
            return Err(CliError::Usage(format!(
                "--trail-source {other:?}: expected the stack's TrailSource: EventBridge, \
                 LogGroup or Bucket"
            )))
        }
    };
    Ok((published, trail_queue))
}

/// What the poll logs of every scope the estate spans say since `from`.
async fn observed(
    state: &StateStore,
    monitors: &[Monitor],
    from: DateTime<Utc>,
) -> Result<Observed, CliError> {
    let scopes: BTreeSet<(String, String)> = monitors
        .iter()
        .map(|m| (m.account.clone(), m.region.clone()))
        .collect();
    let mut logs = Vec::new();
    for (account, region) in scopes {
        let scope = Scope { account, region };
        logs.extend(
            state
                .poll_log(&scope)
                .await?
                .into_iter()
                .filter(|l| l.started_at >= from),
        );
    }
    Ok(Observed::from_logs(&logs))
}

/// How many alerts were published since `from`, over every pool.
async fn alerts_since(
    state: &StateStore,
    status: Option<&StatusStore>,
    from: DateTime<Utc>,
) -> Result<u64, CliError> {
    let mut alerts = 0;
    if let Some(status) = status {
        for root in state.roots().await? {
            alerts += status
                .alerts(&root)
                .await?
                .iter()
                .filter(|a| a.alert.at >= from)
                .count() as u64;
        }
    }
    Ok(alerts)
}

/// Each derived metric family priced: each metric (name × dimensions) is one custom metric:
/// the evaluator's MonitorStatus per monitor, the collector's failure metrics, the trail's four
/// per pool.
fn derived_families(monitors: &[Monitor], published: &[&str]) -> Vec<DerivedFamily> {
    let now = Utc::now();
    let up: BTreeMap<String, Status> = monitors
        .iter()
        .map(|m| (m.monitor_id.clone(), Status::Up))
        .collect();
    let user_pools = monitors
        .iter()
        .filter(|m| m.kind == MonitorKind::UserPool)
        .count() as u64;
    cost::FAMILIES
        .iter()
        .map(|&family| {
            let metrics = match family {
                "status" => cognito_watch_core::emf::custom_metrics(
                    &cognito_watch_core::emf::status_documents(monitors, &up, now),
                ),
                "failures" => cognito_watch_core::emf::custom_metrics(
                    &cognito_watch_core::emf::monitor_documents(monitors, now),
                ),
                _ => 4 * user_pools,
            };
            DerivedFamily {
                family,
                metrics,
                usd_per_month: metrics as f64 * cost::US_EAST_1.custom_metric_month,
                published: published.contains(&family),
            }
        })
        .collect()
}

/// The poll log, per poll figures and the estate, as lines of text.
fn summary(report: &CostReport, text: &mut String) {
    let o = &report.observed;
    let per = |n: u64| {
        if o.invocations == 0 {
            0.0
        } else {
            n as f64 / o.invocations as f64
        }
    };
    let cognito: u64 = o
        .calls
        .iter()
        .filter(|(op, _)| op.as_str() != "GetMetricData")
        .map(|(_, n)| n)
        .sum();
    text.push_str(&format!(
        "Poll log (last {}): {} collector invocation(s), {} account/region poll(s){}.\n",
        report.since,
        o.invocations,
        o.scope_polls,
        match o.interval_seconds() {
            Some(s) => format!(", one every {}", seconds(s)),
            None => String::new(),
        }
    ));
    if o.invocations == 0 {
        text.push_str(
            "No polls in that period: only the fixed costs below are known. Run the collector \
             (or widen --since) and ask again.\n",
        );
    } else {
        text.push_str(&format!(
            "Per poll: {:.0} metrics requested in {:.1} GetMetricData calls, {:.1} other AWS calls, \
             {:.2} s of collector time, {:.0} state items read, {:.0} write units.\n",
            per(o.metric_queries),
            per(o.get_metric_data_calls()),
            per(cognito),
            o.collector_seconds / o.invocations as f64,
            per(o.items_read),
            per(o.write_units),
        ));
    }
    let e = &report.estate;
    text.push_str(&format!(
        "Estate: {} user pools, {} app clients; {} derived metrics; {:.0} alerts a month (at the \
         period's pace); {} table key.\nPrices: {} list prices (USD per month; the evaluator's time is an estimate \
         of {} s per stream batch).\n\n",
        report.user_pools,
        e.app_clients,
        e.derived_metrics,
        e.alerts_per_month,
        if e.table_key {
            "a customer managed"
        } else {
            "no"
        },
        report.prices.region,
        e.evaluator_seconds,
    ));
}

/// The month at each poll rate, by service, as a table.
fn months_table(report: &CostReport, text: &mut String) {
    let head = [
        "poll rate",
        "metrics/month",
        "CloudWatch",
        "Lambda",
        "DynamoDB",
        "SNS",
        "KMS",
        "derived metrics",
        "total",
        "per app client",
    ];
    let mut rows = vec![head.map(str::to_string).to_vec()];
    for (i, m) in report.months.iter().enumerate() {
        let mut rate = format!("every {}", seconds(m.poll_seconds));
        if i == 0 {
            rate.push_str(" (configured)");
        }
        rows.push(vec![
            rate,
            grouped(m.metrics_requested),
            dollars(m.cloudwatch),
            dollars(m.lambda),
            dollars(m.dynamodb),
            dollars(m.sns),
            dollars(m.kms),
            dollars(m.derived_metrics),
            dollars(m.total),
            m.per_app_client.map(dollars).unwrap_or_else(|| "—".into()),
        ]);
    }
    table(&rows, text);
}

/// Every priced line of the report, one per row (for a spreadsheet's pivot): the month at each
/// poll rate by service, each derived metric family, the fixed costs, the trail per source,
/// and the month all in. USD per month, except a trail source's `per million` (records).
pub fn line_items(report: &CostReport) -> crate::listing::Listing {
    use crate::listing::{Cell, Field, Listing};
    let mut listing = Listing::new(vec![
        Field::new("section", "Section"),
        Field::new("item", "Item"),
        Field::new("cost", "Cost"),
        Field::new("usd", "USD"),
    ]);
    let mut add = |section: &str, item: &str, cost: &str, usd: f64| {
        listing.push(vec![
            Cell::text(section),
            Cell::text(item),
            Cell::text(cost),
            Cell::Number(Some((usd * 10_000.0).round() / 10_000.0)),
        ]);
    };
    for (i, m) in report.months.iter().enumerate() {
        let mut rate = format!("every {}", seconds(m.poll_seconds));
        if i == 0 {
            rate.push_str(" (configured)");
        }
        for (cost, usd) in [
            ("CloudWatch", m.cloudwatch),
            ("Lambda", m.lambda),
            ("DynamoDB", m.dynamodb),
            ("SNS", m.sns),
            ("KMS", m.kms),
            ("derived metrics", m.derived_metrics),
            ("total", m.total),
        ] {
            add("poll rate", &rate, cost, usd);
        }
        if let Some(usd) = m.per_app_client {
            add("poll rate", &rate, "per app client", usd);
        }
    }
    for f in &report.derived {
        let state = if f.published {
            "published"
        } else {
            "not published"
        };
        add(
            "derived metrics",
            f.family,
            &format!("{} metrics, {state}", f.metrics),
            f.usd_per_month,
        );
    }
    let f = &report.fixed;
    add("fixed", "alert topic KMS key", "month", f.alert_key);
    add(
        "fixed",
        &format!("{} alarms", f.alarms),
        "month",
        f.alarms_usd,
    );
    add("fixed", "dashboard", "month", f.dashboard);
    add(
        "fixed",
        "trail queue idle polling",
        "month",
        f.queue_polling,
    );
    add("fixed", "total", "month", f.total);
    for t in &report.trail {
        for (cost, usd) in [
            ("DynamoDB per million records", t.dynamodb_per_million),
            ("Lambda per million records", t.lambda_per_million),
            ("SQS per million records", t.sqs_per_million),
            ("per million records", t.total_per_million),
            ("month", t.month),
        ] {
            add("trail", &t.source, cost, usd);
        }
    }
    add(
        "all in",
        "configured poll rate, fixed, trail",
        "month",
        report.all_in,
    );
    listing
}

/// The derived metric families, the fixed costs, the trail per source and the month all in.
fn trail_section(report: &CostReport, text: &mut String) {
    let families: Vec<String> = report
        .derived
        .iter()
        .map(|f| {
            format!(
                "{} {} ({}{})",
                f.family,
                f.metrics,
                dollars(f.usd_per_month),
                if f.published { ", published" } else { "" }
            )
        })
        .collect();
    text.push_str(&format!(
        "\nDerived metrics by family (PublishDerivedMetrics; $0.30 each a month): {}.\n",
        families.join(", ")
    ));
    let f = &report.fixed;
    text.push_str(&format!(
        "Fixed: the alert topic's KMS key {}, {} alarms {}, the dashboard {} (free within an \
         account's first three){}; {} a month.\n",
        dollars(f.alert_key),
        f.alarms,
        dollars(f.alarms_usd),
        dollars(f.dashboard),
        if f.queue_polling > 0.0 {
            format!(
                ", the trail queue's idle polling ≈ {} (5 pollers' 20 s receives; within SQS's \
                 free million)",
                dollars(f.queue_polling)
            )
        } else {
            String::new()
        },
        dollars(f.total),
    ));
    if !report.trail_read {
        text.push_str(
            "Trail: not read (no TRAIL_TABLE and no stack output naming it): its cost is per \
             CloudTrail record.\n",
        );
    } else if report.trail.is_empty() {
        text.push_str(&format!(
            "Trail: no usage records in the last {} (the trail function writes one per hour and \
             source it runs in).\n",
            report.since
        ));
    } else {
        text.push_str(&format!(
            "\nTrail (last {}, from its usage records; per million records and a month at this \
             pace):\n",
            report.since
        ));
        let mut rows = vec![[
            "source",
            "records",
            "invocations",
            "write units/record",
            "DynamoDB",
            "Lambda",
            "SQS",
            "per million",
            "a month",
        ]
        .map(str::to_string)
        .to_vec()];
        for t in &report.trail {
            rows.push(vec![
                t.source.clone(),
                thousands(t.usage.records),
                thousands(t.usage.invocations),
                format!("{:.2}", t.write_units_per_record),
                dollars(t.dynamodb_per_million),
                dollars(t.lambda_per_million),
                dollars(t.sqs_per_million),
                dollars(t.total_per_million),
                dollars(t.month),
            ]);
        }
        table(&rows, text);
    }
    text.push_str(&format!(
        "\nAll in at the configured rate: {} a month (the estate, the fixed costs and the trail \
         at this pace).\n",
        dollars(report.all_in)
    ));
}

/// Rows as aligned columns: the first left-aligned, the others right-aligned.
fn table(rows: &[Vec<String>], text: &mut String) {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = w - cell.chars().count();
                if c == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
}

fn seconds(s: f64) -> String {
    match s {
        s if s >= 3600.0 && s % 3600.0 == 0.0 => format!("{} h", s / 3600.0),
        s if s >= 60.0 && s % 60.0 == 0.0 => format!("{} min", s / 60.0),
        s => format!("{s:.0} s"),
    }
}

fn dollars(v: f64) -> String {
    if v > 0.0 && v < 0.01 {
        "<$0.01".into()
    } else {
        format!("${}", grouped_2(v))
    }
}

fn grouped(v: f64) -> String {
    thousands(v.round().max(0.0) as u64)
}

fn grouped_2(v: f64) -> String {
    let cents = (v.max(0.0) * 100.0).round() as u64;
    format!("{}.{:02}", thousands(cents / 100), cents % 100)
}

/// `cost`: the report priced from the state table, and from the status and trail tables when
/// the environment names them (the report says what it could not read).
pub(crate) async fn run(
    env: &Env,
    args: &CostArgs,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let state = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let status = status_store(env, &base).ok();
    let trail = trail_store(env, &base).ok();
    let report = Box::pin(report(&state, status.as_ref(), trail.as_ref(), args)).await?;
    let text = render(&report, format)?;
    write!(out, "{text}").map_err(CliError::output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(grouped(1234567.4), "1,234,567");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(dollars(1234.5), "$1,234.50");
        assert_eq!(dollars(0.004), "<$0.01");
        assert_eq!(dollars(0.0), "$0.00");
        assert_eq!(seconds(300.0), "5 min");
        assert_eq!(seconds(3600.0), "1 h");
        assert_eq!(seconds(90.0), "90 s");
    }

    #[test]
    fn the_text_has_a_row_per_rate_and_says_when_nothing_was_polled() {
        let observed = Observed::default();
        let estate = Estate::default();
        let report = CostReport {
            prices: cost::US_EAST_1,
            since: "24h".into(),
            months: cost::months(&observed, &estate, &cost::US_EAST_1, 300.0),
            observed,
            estate,
            user_pools: 0,
            derived: Vec::new(),
            fixed: cost::fixed(&cost::US_EAST_1, true),
            trail: Vec::new(),
            trail_read: true,
            all_in: 0.0,
        };
        let text = render(&report, Format::Table).unwrap();
        assert!(text.contains("No polls in that period"), "{text}");
        assert!(
            text.contains("Trail: no usage records in the last 24h"),
            "{text}"
        );
        assert!(text.contains("7 alarms $0.70"), "{text}");
        assert!(text.contains("every 5 min (configured)"), "{text}");
        assert!(text.contains("every 1 h "), "{text}");
        let json: serde_json::Value =
            serde_json::from_str(&render(&report, Format::Json).unwrap()).unwrap();
        assert_eq!(json["months"].as_array().unwrap().len(), 4);
    }
}
