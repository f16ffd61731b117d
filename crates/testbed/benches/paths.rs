//! Criterion benchmarks of the hot paths: the trail's parse + tally for each input shape, the
//! evaluator's core, the collector's poll planner. `cargo bench -p cognito-watch-testbed`;
//! `scripts/bench` prints the figures beside their peers.

use chrono::{Duration, Utc};
use cognito_watch_core::alerting::profile::ProfileSet;
use cognito_watch_core::alerting::status::evaluate_root;
use cognito_watch_core::inventory::series;
use cognito_watch_core::progress::Progress;
use cognito_watch_testbed::{traffic, workload};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const RECORDS: usize = 2_000;

fn trail(c: &mut Criterion) {
    let start = Utc::now() - Duration::hours(1);
    let values: Vec<serde_json::Value> = (0..RECORDS)
        .map(|i| workload::cloudtrail_record(i, start + Duration::milliseconds(i as i64 * 30)))
        .collect();
    let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
    let eventbridge: Vec<String> = values
        .iter()
        .map(|r| traffic::eventbridge(r).to_string())
        .collect();
    let logs = traffic::logs_event(&traffic::logs_batch("trail", "stream", 0, &texts)).to_string();
    let direct = format!("{{\"Records\":[{}]}}", texts.join(","));
    let gzip = traffic::trail_file(&values);
    let progress = Progress::default();

    let mut g = c.benchmark_group("trail parse + tally");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.bench_function("EventBridge events", |b| {
        b.iter(|| {
            for e in &eventbridge {
                workload::take_in(e.as_str(), &progress).ok();
            }
        })
    });
    g.bench_function("CloudWatch Logs batch", |b| {
        b.iter(|| workload::take_in(logs.as_str(), &progress).ok())
    });
    g.bench_function("direct Records event", |b| {
        b.iter(|| workload::take_in(direct.as_str(), &progress).ok())
    });
    g.bench_function("S3 trail file (gzip)", |b| {
        b.iter(|| workload::take_in_file(gzip.as_slice(), &progress).ok())
    });
    g.finish();
}

fn evaluator(c: &mut Criterion) {
    let Ok(profiles) = ProfileSet::shipped() else {
        panic!("the shipped profiles do not load");
    };
    let now = Utc::now();
    let roots = workload::evaluation_roots(100, now);
    let monitors: usize = roots.iter().map(Vec::len).sum();
    let previous = std::collections::BTreeMap::new();
    let mut g = c.benchmark_group("evaluator");
    g.throughput(Throughput::Elements(monitors as u64));
    g.bench_function("evaluate 1,000 monitors", |b| {
        b.iter(|| {
            roots
                .iter()
                .map(|r| evaluate_root(r, &previous, &profiles, now).changes.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn planner(c: &mut Criterion) {
    let (active, index, windows) = workload::planner_estate(100, 10, 2, 60, Utc::now());
    let mut g = c.benchmark_group("collector planner");
    g.throughput(Throughput::Elements(active.len() as u64));
    g.bench_function("plan + batch 100 pools x 10 clients x 2 IdPs", |b| {
        b.iter(|| {
            let plan = series::plan(&active, &index, &windows);
            series::calls(&plan).len()
        })
    });
    g.finish();
}

criterion_group!(benches, trail, evaluator, planner);
criterion_main!(benches);
