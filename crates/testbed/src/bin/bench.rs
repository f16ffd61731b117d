//! The trail paths measured on generated, realistic CloudTrail records (see `scripts/bench`,
//! which runs this beside the Python baseline on the same files and prints the table).
//!
//! `bench gen DIR [N]`   write N records (default 100,000) in each input shape to DIR
//! `bench trail DIR`     parse + tally each shape in this process; one JSON line of figures
//! `bench one SHAPE DIR` one pass over one shape (for peak-memory runs under /usr/bin/time)
//! `bench bounds DIR`    what bounds the parse + tally rate, per shape, on the same files: the
//!                       same bytes only inflated (gzip shapes), only validated and skipped by
//!                       serde_json (no field read), and only read into the record type (no
//!                       tally); one JSON line
//! `bench writes [N]`    the trail table's writes per record and the trail's cost per million
//!                       records, per source, on the test bed (moto): N records (default
//!                       2,000) of the generated stream through SQS batches of 100 and of
//!                       1,000, log group batches of 500 and one trail file, and N/10 through
//!                       EventBridge invoking the function per record (the path before the
//!                       queue, the baseline); one JSON line
//! `bench cold BINARY`   time from a function's process start to its first Runtime API request
//! `bench evaluate`      monitors evaluated per second: 10,000 monitors (1,000 user pools with
//!                       6 app clients and 3 identity providers each), the core alone
//! `bench plan`          one poll's GetMetricData plan for 100 user pools x 10 app clients x 2
//!                       identity providers: queries, calls (against ceil(queries / 500)), time
//! `bench collect`       one collector poll (inventory and metrics) of that estate, answered in
//!                       process by `estate::StubAws` (the real SDK clients, the transport
//!                       replaced; DynamoDB a sink): calls by operation against the formula,
//!                       GetMetricData calls against ceil(queries / 500), each Cognito quota's
//!                       busiest second against half the quota, the poll's in-process time

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, Utc};
use cognito_watch_core::progress::Progress;
use cognito_watch_core::trail::record::CloudTrailRecord;
use cognito_watch_testbed::{traffic, workload};
use serde_json::{json, Value};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir] => generate(Path::new(dir), 100_000),
        ["gen", dir, n] => generate(Path::new(dir), n.parse()?),
        ["trail", dir] => trail(Path::new(dir)),
        ["bounds", dir] => bounds(Path::new(dir)),
        ["one", shape, dir] => {
            let (records, _, tallies) = run_shape(shape, Path::new(dir))?;
            println!("{{\"records\":{records},\"tallies\":{tallies}}}");
            Ok(())
        }
        ["cold", binary] => cold(Path::new(binary)),
        ["evaluate"] => evaluate(),
        ["plan"] => plan(),
        ["collect"] => collect(),
        ["writes"] => writes(2_000),
        ["writes", n] => writes(n.parse()?),
        _ => Err(
            "usage: bench gen DIR [N] | trail DIR | bounds DIR | one SHAPE DIR | cold BINARY | evaluate | plan | collect | writes [N]"
                .into(),
        ),
    }
}

fn generate(dir: &Path, n: usize) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let start = Utc::now() - Duration::hours(1);
    let records: Vec<Value> = (0..n)
        .map(|i| workload::cloudtrail_record(i, start + Duration::milliseconds((i * 30) as i64)))
        .collect();
    let texts: Vec<String> = records.iter().map(Value::to_string).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    // The S3 trail file, gzip, and the direct {"Records": [...]} event.
    let file = format!("{{\"Records\":[{}]}}", texts.join(","));
    std::fs::write(dir.join("records.json"), &file)?;
    std::fs::write(dir.join("trail.json.gz"), traffic::trail_file(&records))?;
    // EventBridge: one event per record, one per line.
    let mut eb = std::io::BufWriter::new(std::fs::File::create(dir.join("eventbridge.jsonl"))?);
    for r in &records {
        writeln!(eb, "{}", traffic::eventbridge(r))?;
    }
    eb.flush()?;
    // CloudWatch Logs subscription deliveries: batches of 1,000 messages, one per line.
    let mut logs = std::io::BufWriter::new(std::fs::File::create(dir.join("logs.jsonl"))?);
    for (n, chunk) in texts.chunks(1_000).enumerate() {
        let batch = traffic::logs_batch("trail", "stream", (n * 1_000) as u64, chunk);
        writeln!(logs, "{}", traffic::logs_event(&batch))?;
    }
    logs.flush()?;
    // The peak-memory inputs: a 1 MB (gzip) Logs batch, a 7 MB direct event, a 50 MB trail
    // file (streamed out, record by record, as CloudTrail writes it).
    let mut take = 0;
    let mut compressed = 0;
    while compressed < 1024 * 1024 && take < texts.len() {
        take = (take + 500).min(texts.len());
        let batch = traffic::logs_batch("trail", "stream", 0, &texts[..take]);
        compressed = traffic::logs_event(&batch)["awslogs"]["data"]
            .as_str()
            .map_or(0, |d| d.len() * 3 / 4);
    }
    let batch = traffic::logs_batch("trail", "stream", 0, &texts[..take]);
    std::fs::write(
        dir.join("logs-1mb.jsonl"),
        traffic::logs_event(&batch).to_string(),
    )?;
    let mut direct = String::from("{\"Records\":[");
    for (i, t) in texts.iter().enumerate() {
        if direct.len() + t.len() > 7 * 1024 * 1024 {
            break;
        }
        if i > 0 {
            direct.push(',');
        }
        direct.push_str(t);
    }
    direct.push_str("]}");
    std::fs::write(dir.join("records-7mb.json"), direct)?;
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("trail-50mb.json.gz"))?,
        flate2::Compression::default(),
    );
    gz.write_all(b"{\"Records\":[")?;
    let mut i = 0usize;
    let mut written = 0u64;
    while written < 50 * 1024 * 1024 {
        if i > 0 {
            gz.write_all(b",")?;
        }
        let r =
            workload::cloudtrail_record(i, start + Duration::milliseconds((i % 3_600_000) as i64));
        gz.write_all(r.to_string().as_bytes())?;
        i += 1;
        if i.is_multiple_of(10_000) {
            gz.flush()?;
            written = gz.get_ref().metadata()?.len();
        }
    }
    gz.write_all(b"]}")?;
    gz.finish()?;
    println!(
        "{{\"records\":{n},\"bytes_per_record\":{:.0}}}",
        bytes as f64 / n as f64
    );
    Ok(())
}

/// Parse and tally one shape from DIR: (records read, seconds, tallies handed over).
fn run_shape(shape: &str, dir: &Path) -> Result<(u64, f64, usize), Failure> {
    let path = |f: &str| -> PathBuf { dir.join(f) };
    match shape {
        "file" | "file-50mb" => {
            let name = if shape == "file" {
                "trail.json.gz"
            } else {
                "trail-50mb.json.gz"
            };
            let reader = std::io::BufReader::new(std::fs::File::open(path(name))?);
            let started = Instant::now();
            let progress = Progress::default();
            let tallies = workload::take_in_file(reader, &progress)?;
            Ok((
                progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
                tallies,
            ))
        }
        "records" | "records-7mb" => {
            let text = std::fs::read_to_string(path(&format!("{shape}.json")))?;
            let started = Instant::now();
            let progress = Progress::default();
            let tallies = workload::take_in(text, &progress)?;
            Ok((
                progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
                tallies,
            ))
        }
        "eventbridge" | "logs" | "logs-1mb" => {
            let text = std::fs::read_to_string(path(&format!("{shape}.jsonl")))?;
            let started = Instant::now();
            let progress = Progress::default();
            let mut tallies = 0;
            for line in text.lines() {
                tallies += workload::take_in(line, &progress)?;
            }
            Ok((
                progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
                tallies,
            ))
        }
        other => Err(format!("unknown shape {other}").into()),
    }
}

fn trail(dir: &Path) -> Result<(), Failure> {
    let mut figures = serde_json::Map::new();
    for shape in ["eventbridge", "logs", "file", "records"] {
        // Best of three: the machine's noise, not the code's.
        let mut best = f64::MAX;
        let mut records = 0;
        let mut tallies = 0;
        for _ in 0..3 {
            let (n, s, t) = run_shape(shape, dir)?;
            (records, tallies) = (n, t);
            best = best.min(s);
        }
        figures.insert(
            shape.into(),
            json!({"records": records, "tallies": tallies, "seconds": best, "per_second": records as f64 / best}),
        );
    }
    println!("{}", Value::Object(figures));
    Ok(())
}

/// How far a pass over a shape's bytes goes: only inflated, also validated and skipped, or
/// also read into the record type.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    Inflate,
    Skip,
    Read,
}

/// The records of a `{"Records": [...]}` document, read into the record type.
#[derive(serde::Deserialize)]
struct TrailDocument<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<CloudTrailRecord<'a>>,
}

/// An EventBridge event's detail, read into the record type.
#[derive(serde::Deserialize)]
#[expect(dead_code, reason = "built to be measured, never looked at")]
struct Event<'a> {
    #[serde(borrow)]
    detail: CloudTrailRecord<'a>,
}

/// A CloudWatch Logs subscription event: `awslogs.data`, base64 of gzip of the batch.
#[derive(serde::Deserialize)]
struct LogsEvent<'a> {
    #[serde(borrow)]
    awslogs: LogsData<'a>,
}

#[derive(serde::Deserialize)]
struct LogsData<'a> {
    data: &'a str,
}

#[derive(serde::Deserialize)]
struct LogBatch {
    #[serde(rename = "logEvents")]
    log_events: Vec<LogEvent>,
}

#[derive(serde::Deserialize)]
struct LogEvent {
    message: String,
}

/// A JSON document validated and skipped, or read as `T`: the records it holds.
fn pass<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    reach: Reach,
    records: impl Fn(&T) -> usize,
) -> Result<usize, Failure> {
    Ok(match reach {
        Reach::Inflate => 0,
        Reach::Skip => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)?;
            1
        }
        Reach::Read => records(&serde_json::from_str::<T>(text)?),
    })
}

fn gunzip(bytes: &[u8]) -> Result<String, Failure> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(bytes), &mut text)?;
    Ok(text)
}

/// One pass over a shape's file (already in memory) to `reach`: seconds, and the records read
/// into the record type (`Reach::Read` only).
fn bounded_pass(shape: &str, input: &[u8], reach: Reach) -> Result<(f64, usize), Failure> {
    let started = Instant::now();
    let mut read = 0;
    match shape {
        "eventbridge" => {
            for line in std::str::from_utf8(input)?.lines() {
                read += pass(line, reach, |_: &Event| 1)?;
            }
        }
        "logs" => {
            for line in std::str::from_utf8(input)?.lines() {
                let event: LogsEvent = serde_json::from_str(line)?;
                let text = gunzip(&base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    event.awslogs.data,
                )?)?;
                if reach == Reach::Inflate {
                    continue;
                }
                let batch: LogBatch = serde_json::from_str(&text)?;
                for e in &batch.log_events {
                    read += pass(&e.message, reach, |_: &CloudTrailRecord| 1)?;
                }
            }
        }
        "file" => read = pass(&gunzip(input)?, reach, |d: &TrailDocument| d.records.len())?,
        "records" => {
            read = pass(std::str::from_utf8(input)?, reach, |d: &TrailDocument| {
                d.records.len()
            })?
        }
        other => return Err(format!("unknown shape {other}").into()),
    }
    Ok((started.elapsed().as_secs_f64(), read))
}

fn bounds(dir: &Path) -> Result<(), Failure> {
    let mut figures = serde_json::Map::new();
    for (shape, file) in [
        ("eventbridge", "eventbridge.jsonl"),
        ("logs", "logs.jsonl"),
        ("file", "trail.json.gz"),
        ("records", "records.json"),
    ] {
        let input = std::fs::read(dir.join(file))?;
        // The records in the file: what each pass's rate is counted in.
        let records = bounded_pass(shape, &input, Reach::Read)?.1;
        if records == 0 {
            return Err(format!("{shape}: no records in {file}").into());
        }
        let mut shape_figures = serde_json::Map::new();
        let reaches = [
            ("inflate", Reach::Inflate),
            ("skip", Reach::Skip),
            ("read", Reach::Read),
        ];
        for (name, reach) in reaches {
            if reach == Reach::Inflate && !matches!(shape, "logs" | "file") {
                continue;
            }
            let mut best = f64::MAX;
            for _ in 0..3 {
                best = best.min(bounded_pass(shape, &input, reach)?.0);
            }
            shape_figures.insert(name.into(), json!(records as f64 / best));
        }
        figures.insert(shape.into(), Value::Object(shape_figures));
    }
    println!("{}", Value::Object(figures));
    Ok(())
}

fn cold(binary: &Path) -> Result<(), Failure> {
    let env: Vec<(String, String)> = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ANOTREAL"),
        ("AWS_SECRET_ACCESS_KEY", "notreal"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", "status"),
        ("TRAIL_TABLE", "trail"),
        (
            "ALERT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:alerts",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        best = best.min(cognito_watch_testbed::runtime::first_request(binary, &env));
    }
    println!(
        "{{\"first_request_ms\":{:.2}}}",
        best.as_secs_f64() * 1_000.0
    );
    Ok(())
}

/// 10,000 monitors in 1,000 roots, each with metrics that breach or not, evaluated with the
/// shipped profiles from no previous status (the most work: every monitor is written).
fn evaluate() -> Result<(), Failure> {
    use cognito_watch_core::alerting::profile::ProfileSet;
    use cognito_watch_core::alerting::status::evaluate_root;
    let profiles = ProfileSet::shipped()?;
    let now = Utc::now();
    let roots = workload::evaluation_roots(1_000, now);
    let monitors: usize = roots.iter().map(Vec::len).sum();
    let previous = std::collections::BTreeMap::new();
    let mut best = f64::MAX;
    let mut changes = 0;
    for _ in 0..5 {
        let started = Instant::now();
        changes = roots
            .iter()
            .map(|r| evaluate_root(r, &previous, &profiles, now).changes.len())
            .sum::<usize>();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{{\"monitors\":{monitors},\"changes\":{changes},\"seconds\":{best},\"per_second\":{}}}",
        monitors as f64 / best
    );
    Ok(())
}

/// One 60-minute poll of 100 user pools x 10 app clients x 2 identity providers, every series
/// active: the planner's queries and GetMetricData calls, and its time.
fn plan() -> Result<(), Failure> {
    use cognito_watch_core::inventory::series;
    let (active, index, windows) = workload::planner_estate(100, 10, 2, 60, Utc::now());
    let mut best = f64::MAX;
    let (mut queries, mut calls) = (0, 0);
    for _ in 0..5 {
        let started = Instant::now();
        let plan = series::plan(&active, &index, &windows);
        calls = series::calls(&plan).len();
        queries = plan.len();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{{\"series\":{},\"queries\":{queries},\"calls\":{calls},\"expected_calls\":{},\"seconds\":{best}}}",
        active.len(),
        queries.div_ceil(series::MAX_QUERIES_PER_CALL)
    );
    Ok(())
}

/// One poll (inventory and metrics, the first: every monitor new, 15 minutes read) of 100 user
/// pools x 10 app clients x 2 identity providers at half the quota.
fn collect() -> Result<(), Failure> {
    use cognito_watch_core::inventory::quota::{self, ApiCategory, EstateShape};
    use cognito_watch_testbed::estate::{self, Estate};
    let estate = Estate {
        pools: 100,
        clients: 10,
        providers: 2,
    };
    let share = 0.5;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (log, seen, elapsed) = estate::poll(estate, share).await?;
        let seconds = elapsed.as_secs_f64();
        let (wire, store) = estate::calls_by_operation(&seen);
        let shape = EstateShape {
            user_pools: vec![(estate.clients as u64, estate.providers as u64); estate.pools],
            identity_pools: 0,
        };
        let mut expected = quota::inventory_calls(&shape);
        expected.extend(quota::metrics_calls(
            estate.series().len() as u64,
            log.metric_queries,
        ));
        let quotas = estate::quota_use(&seen, share);
        let at = |pred: &dyn Fn(&str) -> bool| -> Vec<f64> {
            seen.iter()
                .filter(|s| pred(&s.operation))
                .map(|s| s.at.as_secs_f64())
                .collect()
        };
        let span = |t: Vec<f64>| {
            json!([
                t.iter().copied().fold(f64::MAX, f64::min),
                t.iter().copied().fold(0.0, f64::max)
            ])
        };
        let cognito = at(&|op| ApiCategory::of(op).is_some());
        let cloudwatch = at(&|op| op == "ListMetrics" || op == "GetMetricData");
        // The month at 5-minute polls, priced from this poll (a first one: its inventory's
        // time and writes make the Lambda and DynamoDB lines an upper bound; the metrics
        // requested are every poll's), with no derived metrics and with the status family (one
        // MonitorStatus per pool, app client and IdP).
        use cognito_watch_core::cost;
        let observed = cost::Observed::from_logs(std::slice::from_ref(&log));
        let clients = (estate.pools * estate.clients) as u64;
        let priced = |derived_metrics: u64| {
            let e = cost::Estate {
                app_clients: clients,
                derived_metrics,
                ..cost::Estate::default()
            };
            serde_json::to_value(cost::month(&observed, &e, &cost::US_EAST_1, 300.0))
                .unwrap_or_default()
        };
        let status = (estate.pools * (1 + estate.clients + estate.providers)) as u64;
        let figures = json!({
            "month_at_5_minutes": {"derived_none": priced(0), "derived_status": priced(status),
                "status_metrics": status},
            "cognito_calls_between": span(cognito), "cloudwatch_calls_between": span(cloudwatch),
            "pools": estate.pools, "clients": estate.clients, "providers": estate.providers,
            "seconds": seconds,
            "least_inventory_seconds": quota::least_inventory_seconds(&shape, share),
            "calls": wire, "expected_calls": expected, "counted_by_the_collector": log.calls,
            "metric_queries": log.metric_queries,
            "state_store_calls": store, "write_units": log.write_units,
            "monitors_new": log.monitors_new, "errors": log.errors.len(),
            "quotas": quotas,
        });
        println!("{figures}");
        Ok::<(), Failure>(())
    })
}

/// List prices (us-east-1, the facts file): DynamoDB on-demand per write unit, Lambda per
/// request and per GB-second (arm64), SQS per request.
const WRITE_UNIT_USD: f64 = 0.625e-6;
const LAMBDA_REQUEST_USD: f64 = 0.20e-6;
const LAMBDA_GB_SECOND_USD: f64 = 0.000_013_333_4;
const SQS_REQUEST_USD: f64 = 0.40e-6;
/// The trail function's memory, GB.
const TRAIL_MEMORY_GB: f64 = 0.5;

fn writes(n: usize) -> Result<(), Failure> {
    use cognito_watch_testbed::TrailSetup;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let setup = TrailSetup::start(&[]).await;
        let window = cognito_watch_core::trail::window_of(Utc::now() - Duration::hours(1));
        let record = |i: usize| workload::cloudtrail_record(i, window + Duration::seconds((i % 290) as i64));
        // Disjoint slices of the stream per source, so no source finds another's records.
        let mut rows = Vec::new();
        let measure = |source: &'static str, invocations: Vec<Value>, records: usize, queued: bool| {
            let trail = &setup.trail;
            async move {
                let (mut units, mut items, mut seconds) = (0usize, 0usize, 0.0f64);
                let count = invocations.len();
                for payload in invocations {
                    let started = Instant::now();
                    let report = trail.handle(payload, None).await.map_err(|e| e.to_string())?;
                    seconds += started.elapsed().as_secs_f64();
                    units += report.write_units;
                    items += report.items_written;
                }
                let per = |x: f64| x / records as f64;
                let dynamodb = per(units as f64) * WRITE_UNIT_USD * 1e6;
                let lambda = per(count as f64) * LAMBDA_REQUEST_USD * 1e6
                    + per(seconds) * TRAIL_MEMORY_GB * LAMBDA_GB_SECOND_USD * 1e6;
                // EventBridge's SendMessage per record; the event source mapping's receives
                // and deletes, ten messages each.
                let sqs = if queued { 1.2 * SQS_REQUEST_USD * 1e6 } else { 0.0 };
                Ok::<Value, String>(json!({
                    "source": source, "records": records, "invocations": count,
                    "items_per_record": per(items as f64), "write_units_per_record": per(units as f64),
                    "usd_per_million": {"dynamodb": dynamodb, "lambda": lambda, "sqs": sqs,
                        "total": dynamodb + lambda + sqs},
                    "seconds_on_the_test_bed": seconds,
                }))
            }
        };
        let eventbridge: Vec<Value> = (0..n / 10).map(|i| traffic::eventbridge(&record(i))).collect();
        rows.push(measure("eventbridge (one invocation per record)", eventbridge, n / 10, false).await?);
        for (source, size, offset) in [("sqs batches of 100", 100, n), ("sqs batches of 1,000", 1_000, 2 * n)] {
            let messages: Vec<(String, Value)> = (offset..offset + n)
                .map(|i| (format!("m-{i}"), traffic::eventbridge(&record(i))))
                .collect();
            let batches = messages.chunks(size).map(traffic::sqs_batch).collect();
            rows.push(measure(source, batches, n, true).await?);
        }
        let texts: Vec<String> = (3 * n..4 * n).map(|i| record(i).to_string()).collect();
        let logs = texts
            .chunks(500)
            .enumerate()
            .map(|(k, t)| traffic::logs_event(&traffic::logs_batch("trail", "bench", (k * 500) as u64, t)))
            .collect();
        rows.push(measure("log group batches of 500", logs, n, false).await?);
        let records: Vec<Value> = (4 * n..5 * n).map(record).collect();
        let file = traffic::trail_file(&records);
        let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/06/bench.json.gz";
        setup.aws.put_object("trail", key, file.clone()).await;
        let note = traffic::s3_notification("trail", key, file.len());
        rows.push(measure("one trail file", vec![note], n, false).await?);
        println!("{}", json!({"writes": rows}));
        Ok::<(), Failure>(())
    })
}
