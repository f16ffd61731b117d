//! The CloudWatch CBOR bridge: the Rust SDK's Smithy RPC v2 CBOR requests reach moto and come
//! back with values, timestamps and errors intact.

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{Duration, DurationRound, Utc};
use cognito_watch_testbed::{seed, Moto};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cbor_requests_round_trip_through_moto() {
    let moto = Moto::start().expect("moto");
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    let at = (Utc::now() - Duration::minutes(3))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    let dims = [("UserPool", "p1"), ("UserPoolClient", "c1")];
    seed::put(
        &cw,
        vec![
            seed::requests("SignInSuccesses", &dims, at, 7, 3),
            seed::requests("SignInSuccesses", &dims, at - Duration::minutes(1), 4, 0),
            seed::throttles("SignInThrottles", &dims, at, 2),
        ],
    )
    .await
    .expect("PutMetricData over CBOR");

    let listed = cw
        .list_metrics()
        .namespace("AWS/Cognito")
        .send()
        .await
        .expect("ListMetrics over CBOR");
    let names: std::collections::BTreeSet<_> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name())
        .collect();
    assert_eq!(names, ["SignInSuccesses", "SignInThrottles"].into());
    assert!(listed.metrics().iter().all(|m| m.dimensions().len() == 2));

    let q = |id: &str, stat: &str| {
        let metric = Metric::builder()
            .namespace("AWS/Cognito")
            .metric_name("SignInSuccesses")
            .set_dimensions(Some(
                dims.iter()
                    .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
                    .collect(),
            ))
            .build();
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(metric)
                    .period(60)
                    .stat(stat)
                    .build(),
            )
            .build()
    };
    let out = cw
        .get_metric_data()
        .metric_data_queries(q("sum", "Sum"))
        .metric_data_queries(q("n", "SampleCount"))
        .start_time(aws_smithy_types::DateTime::from_secs(
            (at - Duration::minutes(5)).timestamp(),
        ))
        .end_time(aws_smithy_types::DateTime::from_secs(
            (at + Duration::minutes(5)).timestamp(),
        ))
        .send()
        .await
        .expect("GetMetricData over CBOR");
    let by_id = |id: &str| {
        out.metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .expect(id)
            .clone()
    };
    let sum = by_id("sum");
    let n = by_id("n");
    assert_eq!(sum.values().iter().sum::<f64>(), 11.0);
    assert_eq!(n.values().iter().sum::<f64>(), 14.0);
    let stamps: Vec<i64> = sum.timestamps().iter().map(|t| t.secs()).collect();
    assert!(
        stamps.contains(&at.timestamp()),
        "timestamps survive the bridge: {stamps:?}"
    );

    // A service error keeps its code.
    let t = aws_smithy_types::DateTime::from_secs(at.timestamp());
    let err = cw
        .get_metric_data()
        .metric_data_queries(q("x", "Sum"))
        .start_time(t)
        .end_time(t)
        .send()
        .await
        .unwrap_err();
    let meta = aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&err).map(str::to_string);
    assert_eq!(meta.as_deref(), Some("ValidationError"), "{err:?}");
}
