//! The fault suite: one scenario (an estate polled, evaluated and alerted on; a CloudTrail
//! batch tallied with its detections) on two test beds. On one, nothing fails. On the other,
//! 30% of the calls to Cognito, CloudWatch, DynamoDB and SNS fail, every SDK call makes one
//! attempt (so the product's own recovery is what is exercised), and each function is run
//! until it succeeds, then once more cleanly. Every Log Report total, status, outage, alert and
//! tally must be what the clean local AWS has: nothing lost, nothing doubled (alerts: the only
//! duplicates are documented ones, carrying the same `alert_id`).
//!
//! Kill-and-retry: a handler stopped between two of its writes (every write after the k-th
//! fails, as if the process died) and run again on the same input leaves what one clean run
//! leaves, for every k.

use crate::support::minute;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::trail::window_of;
use cognito_watch_testbed::traffic::{self, logs_batch, logs_event};
use cognito_watch_testbed::{seed, AlertInbox, Fault, LocalAws};
use collector::{CollectorRequest, Task};
use serde_json::Value;

const CLIENTS: [(&str, u32, u32); 4] = [
    // name, sign-in successes, failures (per seeded minute)
    ("web", 1, 9),
    ("mobile", 2, 8),
    ("batch", 10, 0),
    ("admin-ui", 5, 0),
];
/// The services whose calls fail on the faulty local AWS.
const SERVICES: [&str; 4] = [
    "AWSCognitoIdentityProviderService",
    "GraniteServiceVersion20100801",
    "DynamoDB_20120810",
    "Action=Publish",
];
/// Calls that write (a kill point is "every write after the k-th fails").
const WRITES: [&str; 6] = [
    "BatchWriteItem",
    "TransactWriteItems",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Publish",
];
const ATTACKER: &str = "198.51.100.66";

/// A local AWS, its functions with one SDK attempt per call, and what it has seeded.
struct Scenario {
    aws: LocalAws,
    inbox: AlertInbox,
    collector: collector::Collector,
    evaluator: evaluator::Evaluator,
    trail: trail::Trail,
    pool: String,
    /// Client id → name.
    names: BTreeMap<String, String>,
}

async fn scenario(base: DateTime<Utc>) -> Scenario {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let pool = seed::user_pool(&aws.idp, "shop").await.unwrap();
    let mut names = BTreeMap::new();
    let mut data = Vec::new();
    for (name, ok, ko) in CLIENTS {
        let id = seed::app_client(&aws.idp, &pool, name, false)
            .await
            .unwrap();
        for m in [4, 9] {
            data.push(seed::requests(
                "SignInSuccesses",
                &[("UserPool", pool.as_str()), ("UserPoolClient", id.as_str())],
                base - Duration::minutes(m),
                ok,
                ko,
            ));
        }
        names.insert(id, name.to_string());
    }
    seed::put(&aws.cw, data).await.unwrap();
    let sdk = aws.sdk_with_attempts(1);
    let collector =
        collector::Collector::new(cognito_watch_testbed::collector_config(&[]), sdk.clone());
    let evaluator = evaluator::Evaluator::new(
        cognito_watch_testbed::evaluator_config(&inbox.topic_arn),
        &sdk,
    );
    evaluator.status.create_table().await.unwrap();
    let trail = trail::Trail::new(
        cognito_watch_testbed::trail_config(&inbox.topic_arn, &[("EVENT_BUS_NAME", "")]),
        &sdk,
    );
    trail.store.create_table().await.unwrap();
    Scenario {
        aws,
        inbox,
        collector,
        evaluator,
        trail,
        pool,
        names,
    }
}

/// What a local AWS ends with, named by resource names (ids differ between runs).
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Client name → (sign-ins, failed sign-ins) summed over its Log Report.
    log_report: BTreeMap<String, (f64, f64)>,
    statuses: BTreeMap<String, Status>,
    /// Monitor name → outages opened.
    outages: BTreeMap<String, usize>,
    /// (monitor name, from, to) of every alert the evaluator created.
    alerts: BTreeSet<(String, Status, Status)>,
    /// (kind, value with client ids as names) → (attempts, failures).
    tallies: BTreeMap<(String, String), (u64, u64)>,
    /// Detection kinds recorded.
    detections: BTreeSet<String>,
    /// Distinct alert ids among the messages that reached the topic.
    delivered_ids: usize,
}

impl Scenario {
    fn request(tasks: &[Task]) -> CollectorRequest {
        CollectorRequest {
            tasks: Some(tasks.to_vec()),
            ..Default::default()
        }
    }

    /// Scheduled polls until one reads everything (no monitor stale): a failed inventory is
    /// retried for what failed, unread windows are read again.
    async fn poll_until_complete(&self, now: DateTime<Utc>) -> usize {
        let request = CollectorRequest::default();
        for attempt in 1..=500 {
            let result = self.collector.run(&request, now, None).await;
            if attempt > 498 {
                match &result {
                    Ok(r) => eprintln!(
                        "poll {attempt}: {:?} {:?} stale {}",
                        r.scopes[0].tasks, r.scopes[0].errors, r.scopes[0].monitors_stale
                    ),
                    Err(e) => eprintln!("poll {attempt}: {e}"),
                }
            }
            if let Ok(report) = result {
                if report
                    .scopes
                    .iter()
                    .all(|l| l.errors.is_empty() && l.monitors_stale == 0)
                {
                    return attempt;
                }
            }
        }
        panic!("the collector never completed a poll");
    }

    /// Evaluate until every root is evaluated and nothing is pending. A stopped evaluation's
    /// lease and claims run out after `LEASE_SECONDS` / a minute: each try is later.
    async fn evaluate_until_complete(&self, now: DateTime<Utc>) -> usize {
        for attempt in 1..=500 {
            let at = now + Duration::seconds(130 * attempt as i64);
            let Ok(roots) = self.aws.store.roots().await else {
                continue;
            };
            let result = self.evaluator.evaluate(&roots, at).await;
            if attempt > 498 {
                eprintln!("evaluation {attempt}: {result:?}");
            }
            if let Ok(r) = result {
                if !roots.is_empty()
                    && r.roots
                        .iter()
                        .all(|r| r.error.is_none() && !r.busy && r.alerts_pending == 0)
                {
                    return attempt;
                }
            }
        }
        panic!("the evaluator never completed");
    }

    async fn trail_until_ok(&self, event: &Value) -> usize {
        // Bounded by time, not tries: a detection claimed by an attempt that then failed is
        // free again only after its one-minute claim, however often it is retried meanwhile.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(420);
        let mut last = String::new();
        for attempt in 1.. {
            match self.trail.handle(event.clone(), None).await {
                Ok(_) => return attempt,
                Err(e) => last = e.to_string(),
            }
            if std::time::Instant::now() > deadline {
                break;
            }
            let pause = if last.contains("claimed by another invocation") {
                2_000
            } else {
                300
            };
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        panic!("the trail function never succeeded in 7 minutes; last: {last}");
    }

    /// CloudTrail batch `part` of four: 15 failed sign-ins on `web` from one IP (a brute force
    /// once the four are in) and 5 ordinary ones on `batch`.
    fn trail_batch(&self, at: DateTime<Utc>, part: usize) -> Value {
        let id = |name: &str| {
            self.names
                .iter()
                .find(|(_, n)| n.as_str() == name)
                .map(|(id, _)| id.clone())
                .unwrap()
        };
        let (web, batch) = (id("web"), id("batch"));
        let mut records = Vec::new();
        for i in 15 * part..15 * (part + 1) {
            records.push(traffic::initiate_auth(
                &format!("bf-{i}"),
                at,
                &web,
                ATTACKER,
                &format!("sub-{}", i % 3),
                Some("NotAuthorizedException"),
                None,
            ));
        }
        for i in 5 * part..5 * (part + 1) {
            records.push(traffic::initiate_auth(
                &format!("ok-{i}"),
                at,
                &batch,
                "192.0.2.10",
                "sub-ok",
                None,
                None,
            ));
        }
        let texts: Vec<String> = records.iter().map(Value::to_string).collect();
        logs_event(&logs_batch("trail", "stream", 100 * part as u64, &texts))
    }

    async fn outcome(&self, since: DateTime<Utc>) -> Outcome {
        self.aws.moto.disarm();
        let mut log_report = BTreeMap::new();
        for (id, name) in &self.names {
            let rows = self
                .aws
                .store
                .history(&format!("appclient/{}/{id}", self.pool))
                .await
                .unwrap();
            let sum = |m: &str| rows.iter().filter_map(|r| r.metrics.get(m)).sum::<f64>();
            log_report.insert(name.clone(), (sum("SignInTotal"), sum("SignInFailed")));
        }
        let monitors = self.aws.store.load_estate().await.unwrap();
        let name_of = |monitor_id: &str| {
            monitors
                .iter()
                .find(|m| m.monitor_id == monitor_id)
                .map_or_else(|| monitor_id.to_string(), |m| m.name.clone())
        };
        let root = cognito_watch_core::inventory::monitor::MonitorId::UserPool {
            pool: self.pool.clone(),
        };
        let statuses = self
            .evaluator
            .status
            .load_statuses(&root)
            .await
            .unwrap()
            .into_iter()
            .map(|(id, s)| (name_of(&id), s.status))
            .collect();
        let mut outages = BTreeMap::new();
        for o in self.evaluator.status.outages(None).await.unwrap() {
            *outages.entry(name_of(&o.monitor_id)).or_default() += 1;
        }
        let alerts = self
            .evaluator
            .status
            .alerts(&root)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (name_of(&a.alert.monitor_id), a.alert.from, a.alert.to))
            .collect();
        let mut tallies = BTreeMap::new();
        for pool in self.trail.store.pools().await.unwrap() {
            for kind in cognito_watch_core::trail::TallyKind::ALL {
                for (id, c) in self.trail.store.tallies(&pool, kind, since).await.unwrap() {
                    // The account and region totals count the same records again: kept
                    // apart, so they are checked for loss and doubling too.
                    let k = match id.is_region_scope() {
                        true => format!("{}@account-region", id.key.kind()),
                        false => id.key.kind().to_string(),
                    };
                    let v = id.key.value();
                    let v = self.names.get(v).cloned().unwrap_or_else(|| v.to_string());
                    let e: &mut (u64, u64) = tallies.entry((k, v)).or_default();
                    e.0 += c.attempts;
                    e.1 += c.failures;
                }
            }
        }
        let detections = self
            .trail
            .store
            .findings(since)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.finding.detection.kind().to_string())
            .collect();
        let delivered: BTreeSet<String> = self
            .inbox
            .drain()
            .await
            .iter()
            .map(|e| {
                e["MessageAttributes"]["alert_id"]["Value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        Outcome {
            log_report,
            statuses,
            outages,
            alerts,
            tallies,
            detections,
            delivered_ids: delivered.len(),
        }
    }

    /// The whole scenario: poll, evaluate, tally; then one clean run of each.
    async fn scenario(&self, base: DateTime<Utc>, faulty: bool) -> (Outcome, [usize; 3]) {
        if faulty {
            for (n, service) in SERVICES.iter().enumerate() {
                self.aws.moto.arm(
                    &Fault::matching(service)
                        .share(0.3, 7 + n as u64)
                        .times(None),
                );
            }
        }
        let polls = self.poll_until_complete(base + Duration::seconds(5)).await;
        let evaluations = self
            .evaluate_until_complete(base + Duration::seconds(6))
            .await;
        let at = window_of(base - Duration::minutes(10)) + Duration::seconds(5);
        let events: Vec<Value> = (0..4).map(|part| self.trail_batch(at, part)).collect();
        let mut deliveries = 0;
        for event in &events {
            deliveries += self.trail_until_ok(event).await;
        }
        self.aws.moto.disarm();
        // One clean run of each.
        self.collector
            .run(
                &Scenario::request(&[Task::Metrics]),
                base + Duration::minutes(3),
                None,
            )
            .await
            .unwrap();
        self.evaluate_until_complete(base + Duration::hours(3))
            .await;
        for event in events {
            self.trail.handle(event, None).await.unwrap();
        }
        (
            self.outcome(at - Duration::hours(1)).await,
            [polls, evaluations, deliveries],
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_percent_faults_lose_nothing_and_double_nothing() {
    let base = minute();
    let (clean, faulty) = tokio::join!(scenario(base), scenario(base));
    let (expected, _) = clean.scenario(base, false).await;
    let (got, tries) = faulty.scenario(base, true).await;
    let injected = faulty.aws.moto.faults_injected();
    eprintln!("faults injected: {injected}; tries (polls, evaluations, deliveries): {tries:?}");
    eprintln!("clean outcome: {expected:?}");
    assert!(injected > 10, "the faults were felt: {injected}");
    // The clean local AWS's numbers are the seeded ones.
    assert_eq!(expected.log_report["web"], (20.0, 18.0));
    assert_eq!(expected.log_report["batch"], (20.0, 0.0));
    assert!(expected
        .alerts
        .contains(&("web".to_string(), Status::Up, Status::Critical)));
    assert!(expected.detections.contains("brute_force"));
    assert_eq!(expected.tallies[&("ip".into(), ATTACKER.into())], (60, 60));
    assert_eq!(
        expected.tallies[&("ip@account-region".into(), ATTACKER.into())],
        (60, 60)
    );
    assert_eq!(got, expected, "0 lost, 0 doubled");
}

/// The same steps on both: nine polls a minute apart (each followed by an evaluation) and
/// four trail batches. On the killed local AWS, each step is first stopped after its k-th write
/// (every later write fails, as if the process died; k differs from step to step), then run
/// again on the same input.
async fn steps(w: &Scenario, base: DateTime<Utc>, kill: bool) -> (Outcome, usize) {
    let request = Scenario::request(&[Task::Inventory, Task::Metrics]);
    let at = window_of(base - Duration::minutes(10)) + Duration::seconds(5);
    let mut stopped = 0;
    let arm = |k: usize| {
        if kill {
            w.aws
                .moto
                .arm(&Fault::on(&WRITES).skip(k as u32).times(None));
        }
    };
    for i in 0..9usize {
        let now = base - Duration::minutes(8) + Duration::minutes(i as i64) + Duration::seconds(5);
        if kill {
            arm(i % 6);
            stopped += usize::from(w.collector.run(&request, now, None).await.is_err());
            w.aws.moto.disarm();
        }
        w.collector.run(&request, now, None).await.unwrap();
        let roots = w.aws.store.roots().await.unwrap();
        let eval_at = base + Duration::minutes(10 * i as i64);
        if kill {
            arm((i + 2) % 7);
            let r = w.evaluator.evaluate(&roots, eval_at).await;
            stopped += usize::from(r.map_or(true, |r| r.roots.iter().any(|r| r.error.is_some())));
            w.aws.moto.disarm();
        }
        w.evaluate_until_complete(eval_at).await;
        if i < 4 {
            let event = w.trail_batch(at, i);
            if kill {
                arm(i);
                stopped += usize::from(w.trail.handle(event.clone(), None).await.is_err());
                w.aws.moto.disarm();
            }
            w.trail_until_ok(&event).await;
        }
    }
    (w.outcome(at - Duration::hours(1)).await, stopped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_stopped_between_writes_and_rerun_ends_as_a_clean_run() {
    let base = minute();
    let (clean, killed) = tokio::join!(scenario(base), scenario(base));
    let (expected, _) = steps(&clean, base, false).await;
    let (got, stopped) = steps(&killed, base, true).await;
    eprintln!("handlers stopped mid-way: {stopped}");
    assert!(
        stopped >= 12,
        "the handlers were stopped mid-way: {stopped}"
    );
    assert_eq!(expected.log_report["web"], (20.0, 18.0));
    assert_eq!(expected.tallies[&("ip".into(), ATTACKER.into())], (60, 60));
    assert!(expected.detections.contains("brute_force"));
    assert_eq!(got, expected);
}
