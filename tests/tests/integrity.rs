//! Data integrity of the collector and evaluator on the local AWS test bed, under injected
//! faults: a Log Report row is never lost, never doubled, and a poll that read no new window
//! never counts as another breaching poll.

use crate::support::minute;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_testbed::{seed, Fault, LocalAws};
use collector::{CollectorRequest, Task};

fn metrics_only() -> CollectorRequest {
    CollectorRequest {
        tasks: Some(vec![Task::Metrics]),
        ..Default::default()
    }
}

/// A pool with `n` app clients, inventoried: (pool, client ids).
async fn estate(aws: &LocalAws, n: usize) -> (String, Vec<String>) {
    let pool = seed::user_pool(&aws.idp, "shop").await.unwrap();
    let mut clients = Vec::new();
    for i in 0..n {
        clients.push(
            seed::app_client(&aws.idp, &pool, &format!("c{i}"), false)
                .await
                .unwrap(),
        );
    }
    aws.collector(&[])
        .handle(serde_json::json!({"tasks": ["inventory"]}), None)
        .await
        .unwrap();
    (pool, clients)
}

/// Sign-ins (`successes`, `failures`) for every client at `at`.
async fn sign_ins(
    aws: &LocalAws,
    pool: &str,
    clients: &[String],
    at: DateTime<Utc>,
    ok: u32,
    ko: u32,
) {
    let data = clients
        .iter()
        .map(|c| {
            seed::requests(
                "SignInSuccesses",
                &[("UserPool", pool), ("UserPoolClient", c.as_str())],
                at,
                ok,
                ko,
            )
        })
        .collect();
    seed::put(&aws.cw, data).await.unwrap();
}

/// The Log Report of a client: (rows, sum of SignInTotal over the rows).
async fn report(aws: &LocalAws, pool: &str, client: &str) -> (usize, f64) {
    let rows = aws
        .store
        .history(&format!("appclient/{pool}/{client}"))
        .await
        .unwrap();
    let total = rows
        .iter()
        .map(|r| r.metrics.get("SignInTotal").copied().unwrap_or(0.0))
        .sum();
    (rows.len(), total)
}

/// Defect: the collector wrote monitor state before history, so a failing history write (or a
/// failing later state batch) advanced windows whose rows were never written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_never_loses_a_log_report_row() {
    let aws = LocalAws::start().await;
    // 60 clients: more than one BatchWriteItem and more than one transaction of monitors.
    let (pool, clients) = estate(&aws, 60).await;
    let base = minute();
    sign_ins(&aws, &pool, &clients, base - Duration::minutes(10), 4, 1).await;
    sign_ins(&aws, &pool, &clients, base - Duration::minutes(3), 2, 1).await;
    let collector = aws.collector(&[]);

    // The history write fails every attempt.
    aws.moto.arm(
        &Fault::on(&["BatchWriteItem", "TransactWriteItems"])
            .and_matching("\"history\"")
            .times(Some(2)),
    );
    let first = collector
        .run(&metrics_only(), base - Duration::minutes(5), None)
        .await;
    assert!(first.is_err(), "the poll reports the failed write");
    // The second write of monitors to the state table fails every attempt.
    aws.moto.arm(
        &Fault::on(&["BatchWriteItem", "TransactWriteItems"])
            .and_matching("\"state\"")
            .skip(1)
            .times(Some(2)),
    );
    let second = collector
        .run(
            &metrics_only(),
            base - Duration::minutes(5) + Duration::seconds(30),
            None,
        )
        .await;
    assert!(second.is_err(), "the poll reports the failed write");
    assert!(aws.moto.faults_injected() >= 4);
    // A clean poll later.
    collector
        .run(&metrics_only(), base + Duration::seconds(30), None)
        .await
        .unwrap();
    for c in &clients {
        let (_, total) = report(&aws, &pool, c).await;
        assert_eq!(
            total, 8.0,
            "client {c}: every sign-in in the Log Report once"
        );
    }
}

/// Defect: a poll without a new whole minute (a second poll in the minute, a re-inventory)
/// wrote rows repeating the previous window: one poll plus two re-inventories summed to 3×.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_without_a_new_window_write_no_rows() {
    let aws = LocalAws::start().await;
    let (pool, clients) = estate(&aws, 2).await;
    let base = minute();
    sign_ins(&aws, &pool, &clients, base - Duration::minutes(4), 150, 50).await;
    let collector = aws.collector(&[]);
    let now = base + Duration::seconds(5);
    collector.run(&metrics_only(), now, None).await.unwrap();
    // A second poll in the same minute, then two re-inventory requests (the trail's
    // configuration-change detection sends these).
    collector
        .run(
            &CollectorRequest::default(),
            now + Duration::seconds(20),
            None,
        )
        .await
        .unwrap();
    for _ in 0..2 {
        collector
            .handle(
                serde_json::json!({"tasks": ["inventory"], "user_pool_ids": [pool]}),
                None,
            )
            .await
            .unwrap();
    }
    for c in &clients {
        assert_eq!(report(&aws, &pool, c).await, (1, 200.0), "client {c}");
    }
    // The same window read again (its state write was lost) overwrites its row.
    let row = &aws
        .store
        .history(&format!("appclient/{pool}/{}", clients[0]))
        .await
        .unwrap()[0];
    let item = cognito_watch_aws::StateStore::history_item(row, Duration::days(1)).unwrap();
    aws.store
        .write_all(vec![cognito_watch_aws::state::Write::History(item)])
        .await
        .unwrap();
    assert_eq!(report(&aws, &pool, &clients[0]).await, (1, 200.0));
}
