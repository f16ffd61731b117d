//! A burst of 50,000 CloudTrail records through the queue: every record tallied once, nothing
//! failed, the burst detected. The longest test (734 s alone on 2 cores against moto): its
//! module sorts early, so it runs beside the others rather than after them.

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::{window_of, TallyKind};
use cognito_watch_testbed::traffic::{eventbridge, initiate_auth};
use cognito_watch_testbed::TrailSetup;
use serde_json::Value;

use crate::trail_queue::{all_tallies, deliver, requests};

/// A credential stuffing burst: `total` failed sign-ins from 250 addresses against the shop's
/// web client, a thousand users, in one window.
fn stuffing(setup: &TrailSetup, total: usize, window: DateTime<Utc>) -> Vec<(String, Value)> {
    (0..total)
        .map(|i| {
            let record = initiate_auth(
                &format!("burst-{i:06}"),
                window + Duration::milliseconds((i % 290_000) as i64),
                &setup.web,
                &format!("203.0.113.{}", i % 250),
                &format!("sub-{}", i % 1_000),
                Some("NotAuthorizedException"),
                Some("python-requests/2.32"),
            );
            (format!("b-{i}"), eventbridge(&record))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_fifty_thousand_records_is_tallied_once_with_nothing_failed() {
    let setup = TrailSetup::start(&[]).await;
    let window = window_of(Utc::now() - Duration::hours(5));
    let total: usize = std::env::var("BURST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let burst = stuffing(&setup, total, window);
    let (mut written, mut detections) = (0, 0);
    for batch in burst.chunks(1_000) {
        let (report, back) = deliver(&setup, batch).await;
        assert!(back.is_empty(), "{:?}", report.errors);
        assert_eq!(report.records.cognito_records, batch.len() as u64);
        written += report.write_units;
        detections += report.detections;
    }
    let tallies = all_tallies(&setup, window).await;
    assert_eq!(requests(&tallies), total as u64, "every record once");
    let failures: u64 = tallies
        .iter()
        .filter(|(id, _)| id.key.kind() == TallyKind::Ip && !id.is_region_scope())
        .map(|(_, c)| c.failures)
        .sum();
    assert_eq!(
        failures, total as u64,
        "each failure once, under its address"
    );
    assert!(detections > 0, "the burst is detected");
    eprintln!(
        "{total} records in batches of 1,000: {written} write units ({:.2} per record), {detections} detections",
        written as f64 / total as f64
    );
}
