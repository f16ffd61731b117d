//! Failures of the AWS services the functions depend on, on the local AWS test bed: which are
//! retried, which are not, and what an operator sees.

use cognito_watch_testbed::traffic;
use cognito_watch_testbed::{AlertInbox, LocalAws};
use serde_json::Value;

/// Defect: an S3 NoSuchBucket / NoSuchKey was treated as worth retrying, so the notification
/// failed the invocation again and again. Permanent errors are counted, logged and sent to the
/// failure queue at once; the invocation succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_go_to_the_failure_queue_at_once() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let failures = AlertInbox::plain_queue(&aws.sdk, "trail-failures").await;
    aws.inventoried_pool().await;
    let trail = aws
        .trail(
            &inbox.topic_arn,
            &[("FAILURE_QUEUE_URL", failures.queue_url.as_str())],
        )
        .await;
    aws.put_object("trail-bucket", "AWSLogs/other.txt", b"x".to_vec())
        .await;
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/gone.json.gz";
    let mut notification = traffic::s3_notification("trail-bucket", key, 10);
    let mut no_bucket = notification["Records"][0].clone();
    no_bucket["s3"]["bucket"]["name"] = "no-such-bucket".into();
    notification["Records"]
        .as_array_mut()
        .unwrap()
        .push(no_bucket);
    let report = trail
        .handle(notification, None)
        .await
        .expect("nothing to retry: the invocation succeeds");
    assert_eq!(report.permanent_failures, 2);
    let sent = failures.drain().await;
    let codes: Vec<&str> = sent
        .iter()
        .map(|m| m["error_code"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["NoSuchKey", "NoSuchBucket"]);
    for m in &sent {
        assert_eq!(m["kind"], "permanent-failure");
        assert_eq!(m["source"], "s3");
        assert_eq!(m["object"]["key"], Value::from(key));
    }

    // A transient error (a 500 from S3) still fails the invocation, for the source to retry.
    aws.moto.arm(
        &cognito_watch_testbed::Fault::matching("gone.json.gz")
            .times(Some(4))
            .status(500, "InternalError"),
    );
    let err = trail
        .handle(traffic::s3_notification("trail-bucket", key, 10), None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("will be retried"), "{err}");
    assert!(failures.drain().await.is_empty());
}

/// Defect: a missing alert topic (a configuration mistake) was a permanent failure of the
/// delivery: sent to the failure queue, never retried, so the detection was never published.
/// The detection is recorded and stays pending, the invocation fails naming the topic and the
/// fix (the source retries, then keeps the event whole in its own failure destination), and
/// once the topic exists the retried delivery publishes it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_alert_topic_keeps_the_detection_pending_until_it_exists() {
    let aws = LocalAws::start().await;
    let failures = AlertInbox::plain_queue(&aws.sdk, "trail-failures").await;
    let (pool, _, _) = aws.inventoried_pool().await;
    let topic = "arn:aws:sns:us-east-1:123456789012:later-alerts";
    let trail = aws
        .trail(topic, &[("FAILURE_QUEUE_URL", failures.queue_url.as_str())])
        .await;
    let change = traffic::eventbridge(&traffic::config_change(
        "3c3d4e5f-0000-4000-8000-000000000001",
        chrono::Utc::now(),
        "SetUserPoolMfaConfig",
        serde_json::json!({"userPoolId": pool, "mfaConfiguration": "OFF"}),
        "arn:aws:sts::123456789012:assumed-role/admin/jane",
        "203.0.113.50",
    ));
    let err = trail.handle(change.clone(), None).await.unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains(topic) && said.contains("ALERT_TOPIC_ARN"),
        "{said}"
    );
    assert!(failures.drain().await.is_empty(), "not a permanent failure");

    // The topic is made; the source's retry publishes each pending detection once.
    let inbox = AlertInbox::create(&aws.sdk, "later-alerts").await;
    assert_eq!(inbox.topic_arn, topic);
    let report = trail.handle(change.clone(), None).await.unwrap();
    assert_eq!(
        (report.detections, report.alerts_sent),
        (0, 2),
        "{report:?}"
    );
    assert_eq!(inbox.drain().await.len(), 2);
    let again = trail.handle(change, None).await.unwrap();
    assert_eq!(again.alerts_sent, 0);
    assert!(inbox.drain().await.is_empty());
}
