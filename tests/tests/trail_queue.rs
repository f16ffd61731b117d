//! CloudTrail records through the queue between EventBridge and the trail function (SQS
//! batches, their tallies aggregated per batch) are counted exactly once however the queue
//! redelivers and regroups them, and when a batch is stopped between any two writes and its
//! messages come back (the burst of 50,000 records is `burst`). The emulator has no SQS →
//! Lambda poller: the tests hand the function the batches the event source mapping would.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::{window_of, Counts, TallyId, TallyKind};
use cognito_watch_testbed::traffic::{eventbridge, initiate_auth, sqs_batch};
use cognito_watch_testbed::workload::cloudtrail_record;
use cognito_watch_testbed::{Fault, TrailSetup};
use serde_json::Value;

/// Calls that write (a kill point is "every write after the k-th fails").
const WRITES: [&str; 5] = [
    "TransactWriteItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Publish",
];

/// Records `from..to` of the generated stream, in `window`, as (message id, EventBridge event).
fn messages(from: usize, to: usize, window: DateTime<Utc>, tag: &str) -> Vec<(String, Value)> {
    (from..to)
        .map(|i| {
            let at = window + Duration::seconds((i % 290) as i64);
            (format!("{tag}-{i}"), eventbridge(&cloudtrail_record(i, at)))
        })
        .collect()
}

/// Every tally the trail table holds from `since` on.
pub(crate) async fn all_tallies(
    setup: &TrailSetup,
    since: DateTime<Utc>,
) -> BTreeMap<TallyId, Counts> {
    let mut out = BTreeMap::new();
    for pool in setup.trail.store.pools().await.unwrap() {
        for kind in TallyKind::ALL {
            out.extend(setup.trail.store.tallies(&pool, kind, since).await.unwrap());
        }
    }
    out
}

/// Hand a batch to the function; the messages it gave back.
pub(crate) async fn deliver(
    setup: &TrailSetup,
    batch: &[(String, Value)],
) -> (trail::TrailReport, Vec<String>) {
    let report = setup.trail.handle(sqs_batch(batch), None).await.unwrap();
    let back = report
        .batch_item_failures
        .clone()
        .expect("a queued batch always answers with its batch item failures")
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    (report, back)
}

/// The records' event tallies' requests: each record once, whatever else it touched.
pub(crate) fn requests(tallies: &BTreeMap<TallyId, Counts>) -> u64 {
    tallies
        .iter()
        .filter(|(id, _)| id.key.kind() == TallyKind::Event)
        .map(|(_, c)| c.requests)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_records_count_once_however_the_queue_redelivers_and_regroups_them() {
    let (clean, dirty) = tokio::join!(TrailSetup::start(&[]), TrailSetup::start(&[]));
    let window = window_of(Utc::now() - Duration::hours(1));
    let all = messages(0, 300, window, "m");
    for batch in all.chunks(100) {
        let (_, back) = deliver(&clean, batch).await;
        assert!(back.is_empty());
    }

    // The first batch, then the same messages again (a redelivery: same message ids).
    let (first, back) = deliver(&dirty, &all[..100]).await;
    assert!(back.is_empty());
    assert!(first.tallies_written > 0 && first.already_counted == 0);
    let (again, back) = deliver(&dirty, &all[..100]).await;
    assert!(back.is_empty());
    assert_eq!(
        (again.already_counted, again.tallies_written),
        (100, 0),
        "a redelivered batch counts nothing"
    );
    // Regrouped: half of the first batch with half of the second, and EventBridge's own
    // duplicates (the same events under new message ids), twice within one batch.
    let mut regrouped: Vec<(String, Value)> = all[50..150].to_vec();
    regrouped.extend(
        all[..10]
            .iter()
            .map(|(id, e)| (format!("{id}-dup"), e.clone())),
    );
    regrouped.extend(
        all[..10]
            .iter()
            .map(|(id, e)| (format!("{id}-dup2"), e.clone())),
    );
    let (mixed, back) = deliver(&dirty, &regrouped).await;
    assert!(back.is_empty());
    assert_eq!(
        (
            mixed.already_counted,
            mixed.duplicates,
            mixed.records.cognito_records
        ),
        (60, 10, 50),
        "50 new records counted; the first batch's 50 and the 10 duplicates were counted before"
    );
    for batch in [&all[100..200], &all[200..300], &all[200..300]] {
        let (_, back) = deliver(&dirty, batch).await;
        assert!(back.is_empty());
    }
    let (want, got) = (
        all_tallies(&clean, window).await,
        all_tallies(&dirty, window).await,
    );
    assert_eq!(requests(&want), 300);
    assert_eq!(got, want, "the same tallies as one clean delivery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stopped_between_any_two_writes_and_redelivered_counts_once() {
    // Past the function's timeout a batch can no longer be running: its unjournaled claims are
    // taken over at once here (the tests stand in for the queue's visibility timeout).
    let takeover = [("CLAIM_TAKEOVER_SECONDS", "0")];
    let (clean, dirty) = tokio::join!(TrailSetup::start(&[]), TrailSetup::start(&takeover));
    let base = window_of(Utc::now() - Duration::hours(3));
    // A batch of 40 records makes 40 claims, 2 journal writes, then its transactions, then
    // its usage record: stop it among the claims, at the journal, at its first and its last
    // tally transaction (the clean run's report says how many it made).
    let points = 8;
    let mut clean_total = BTreeMap::new();
    for n in 0..points {
        let window = base + Duration::minutes(5 * n as i64);
        let batch = messages(1000 * n, 1000 * n + 40, window, &format!("k{n}"));
        let (probe, _) = deliver(&clean, &batch).await;
        let last_transaction = 41 + u32::try_from(probe.transactions).unwrap();
        let k = [0, 1, 20, 39, 40, 41, 42, last_transaction][n];
        dirty.aws.moto.arm(&Fault::on(&WRITES).skip(k).times(None));
        let (stopped, back) = deliver(&dirty, &batch).await;
        dirty.aws.moto.disarm();
        assert_eq!(
            back.len(),
            40,
            "kill at write {k}: every message goes back: {stopped:?}"
        );
        assert!(!stopped.errors.is_empty());
        // The messages come back regrouped (reversed), until none is given back.
        let mut again: Vec<(String, Value)> = batch.iter().rev().cloned().collect();
        for _ in 0..3 {
            let (_, back) = deliver(&dirty, &again).await;
            if back.is_empty() {
                break;
            }
            again.retain(|(id, _)| back.contains(id));
        }
        clean_total = all_tallies(&clean, base).await;
        let got = all_tallies(&dirty, base).await;
        assert_eq!(
            got, clean_total,
            "stopped after write {k}, then redelivered"
        );
    }
    assert_eq!(requests(&clean_total), 40 * points as u64);
}

/// The usage record is the invocation's last write and only accounting: when it cannot be
/// written, the batch is still counted once and none of its messages go back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_record_that_cannot_be_written_loses_nothing_and_returns_nothing() {
    let setup = TrailSetup::start(&[]).await;
    let window = window_of(Utc::now() - Duration::hours(2));
    // Clean sign-ins: nothing else in the batch updates an item (no M2M source, no detection).
    let batch: Vec<(String, Value)> = (0..20)
        .map(|i| {
            let record = initiate_auth(
                &format!("usage-{i}"),
                window + Duration::seconds(i),
                &setup.web,
                &format!("192.0.2.{i}"),
                &format!("sub-{i}"),
                None,
                None,
            );
            (format!("u-{i}"), eventbridge(&record))
        })
        .collect();
    setup.aws.moto.arm(&Fault::on(&["UpdateItem"]).times(None));
    let (report, back) = deliver(&setup, &batch).await;
    setup.aws.moto.disarm();
    assert!(back.is_empty(), "{:?}", report.errors);
    assert_eq!(report.records.cognito_records, 20);
    assert_eq!(requests(&all_tallies(&setup, window).await), 20);
    let usage = setup.trail.store.usage(window).await.unwrap();
    assert!(
        usage.is_empty(),
        "the failed write left no record: {usage:?}"
    );
}

/// Each invocation adds itself to its hour's usage record per source (invocations, records,
/// items and write units, its own write included), and `cognito-watch cost` prices the trail
/// from those records, per million records and per source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_invocation_is_in_its_usage_record_and_cost_prices_the_trail_from_it() {
    use cognito_watch_cli::Env;
    use cognito_watch_testbed::traffic::{logs_batch, logs_event};
    let setup = TrailSetup::start(&[]).await;
    let started = Utc::now();
    let window = window_of(started - Duration::hours(1));
    let (mut units, mut items) = (0, 0);
    for batch in messages(0, 30, window, "u").chunks(15) {
        let (report, back) = deliver(&setup, batch).await;
        assert!(back.is_empty(), "{:?}", report.errors);
        units += report.write_units;
        items += report.items_written;
    }
    let texts: Vec<String> = (100..110)
        .map(|i| cloudtrail_record(i, window + Duration::seconds(i as i64)).to_string())
        .collect();
    let logs = setup
        .trail
        .handle(logs_event(&logs_batch("trail", "s", 0, &texts)), None)
        .await
        .unwrap();

    let usage = setup
        .trail
        .store
        .usage(started - Duration::hours(2))
        .await
        .unwrap();
    let sum = |source: &str| {
        let mut total = cognito_watch_core::cost::TrailUsage::default();
        for u in usage.iter().filter(|u| u.source == source) {
            total.absorb(u);
        }
        total
    };
    let sqs = sum("sqs");
    assert_eq!((sqs.invocations, sqs.deliveries, sqs.records), (2, 30, 30));
    assert_eq!(
        sqs.write_units, units as u64,
        "the reports' write units, the usage writes included"
    );
    assert_eq!(sqs.items_written, items as u64);
    let logged = sum("logs");
    assert_eq!((logged.invocations, logged.records), (1, 10));
    assert_eq!(logged.write_units, logs.write_units as u64);

    let env = Env::from_pairs(setup.aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE),
    ]);
    let report: Value = serde_json::from_str(
        &cognito_watch_testbed::cli_output(&env, &["cost", "--since", "2h", "-o", "json"])
            .await
            .unwrap(),
    )
    .unwrap();
    let rows = report["trail"].as_array().unwrap();
    let row = rows.iter().find(|r| r["source"] == "sqs").unwrap();
    assert_eq!(row["usage"]["records"], 30);
    let per_record = row["write_units_per_record"].as_f64().unwrap();
    assert!((per_record - units as f64 / 30.0).abs() < 1e-9, "{row}");
    let dynamodb = row["dynamodb_per_million"].as_f64().unwrap();
    assert!((dynamodb - per_record * 0.625).abs() < 1e-9, "{row}");
    assert!(row["sqs_per_million"].as_f64().unwrap() > 0.0);
    assert!(rows
        .iter()
        .any(|r| r["source"] == "logs" && r["sqs_per_million"] == 0.0));
    assert_eq!(report["fixed"]["alarms"], 7);
    let text = cognito_watch_testbed::cli_output(
        &env,
        &[
            "cost",
            "--since",
            "2h",
            "--trail-source",
            "Bucket",
            "--derived-metrics",
            "status,trail",
        ],
    )
    .await
    .unwrap();
    assert!(text.contains("Trail (last 2h"), "{text}");
    assert!(text.contains("6 alarms $0.60"), "{text}");
    assert!(text.contains("trail 4 ($1.20, published)"), "{text}");
    let bad = cognito_watch_testbed::cli_output(
        &env,
        &["cost", "--since", "2h", "--derived-metrics", "everything"],
    )
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("PublishDerivedMetrics"), "{bad}");
}
