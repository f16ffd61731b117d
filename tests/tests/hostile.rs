//! Hostile input on the local AWS test bed: values too long or too strange for a DynamoDB key,
//! text built to inject lines or reorder what a reader sees, personal data in log fields. The
//! good records beside them are always tallied, and no alert carries the raw input.

use chrono::{Duration, Utc};
use cognito_watch_core::trail::{window_of, TallyKind};
use cognito_watch_testbed::traffic::{self, logs_batch, logs_event};
use cognito_watch_testbed::{seed, TrailSetup};
use serde_json::Value;

const IP: &str = "198.51.100.1";

/// Characters no alert may carry: controls and bidirectional / invisible formatting.
fn has_unsafe_chars(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

/// Every published message's subject, text and JSON form, checked for unsafe characters,
/// raw personal data and injected header lines; returns the JSON forms.
fn checked(envelopes: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for e in envelopes {
        let subject = e["Subject"].as_str().unwrap_or_default();
        let json = e["Message"].as_str().unwrap();
        assert!(
            !has_unsafe_chars(subject) && !subject.contains('\n'),
            "{subject:?}"
        );
        assert!(!has_unsafe_chars(json), "{json}");
        let form: Value = serde_json::from_str(json).unwrap();
        for needle in [
            "jane.doe@example.com",
            "a.b@example.org",
            "206-555-0100",
            "X-Injected: 1\n",
        ] {
            assert!(!json.contains(needle), "{needle} in {json}");
        }
        out.push(form);
    }
    out
}

/// Defect: a 3,000-character clientId, eventName or sourceIPAddress, or a 1 MB errorCode, made
/// TransactWriteItems fail every time, so the whole delivery was retried forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_that_cannot_be_keys_never_block_their_delivery() {
    let setup = TrailSetup::start(&[]).await;
    let (_bed, _inbox, pool, web, trail) = (
        &setup.aws,
        &setup.inbox,
        &setup.pool,
        &setup.web,
        &setup.trail,
    );
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(5);
    let long = "x".repeat(3_000);
    let fail = Some("NotAuthorizedException");
    let good = traffic::initiate_auth("good-1", at, web, IP, "sub-1", fail, None);
    let long_client = traffic::initiate_auth("h-1", at, &long, IP, "sub-2", fail, None);
    let nul_client = traffic::initiate_auth("h-2", at, "abc\u{0}\ndef", IP, "sub-3", fail, None);
    let mut long_name = good.clone();
    long_name["eventID"] = "h-3".into();
    long_name["eventName"] = long.clone().into();
    let long_ip = traffic::initiate_auth("h-4", at, web, &long, "sub-4", fail, None);
    let crlf_ip = traffic::initiate_auth(
        "h-5",
        at,
        web,
        "203.0.113.5\r\nX-Injected: 1",
        "sub-5",
        fail,
        None,
    );
    let mut huge_code = good.clone();
    huge_code["eventID"] = "h-6".into();
    huge_code["errorCode"] = "E".repeat(1_000_000).into();
    let mut long_id = good.clone();
    long_id["eventID"] = long.clone().into();
    let service = traffic::initiate_auth(
        "h-7",
        at,
        web,
        "cognito-idp.amazonaws.com",
        "sub-7",
        None,
        None,
    );
    let messages: Vec<String> = [
        good,
        long_client,
        nul_client,
        long_name,
        long_ip,
        crlf_ip,
        huge_code,
        long_id,
        service,
    ]
    .iter()
    .map(Value::to_string)
    .collect();
    let report = trail
        .handle(logs_event(&logs_batch("trail", "s", 1, &messages)), None)
        .await
        .expect("the delivery is tallied, not failed");
    assert_eq!(report.records.cognito_records, 8);
    assert_eq!(
        report.records.malformed, 1,
        "only the record without an event name"
    );
    let tally = |kind: TallyKind, value: String| {
        let store = &trail.store;
        let pool = pool.clone();
        async move {
            let mut total = cognito_watch_core::trail::Counts::default();
            for (id, c) in store
                .tallies(&pool, kind, at - Duration::hours(1))
                .await
                .unwrap()
            {
                if id.key.value() == value {
                    total.merge(&c);
                }
            }
            total
        }
    };
    // (The records with odd client ids have no pool: their IP counts are under pool "-".)
    assert_eq!(tally(TallyKind::Ip, IP.into()).await.attempts, 3);
    assert_eq!(
        tally(TallyKind::Ip, "invalid".into()).await.attempts,
        2,
        "3,000 characters, CR LF"
    );
    assert_eq!(
        tally(TallyKind::Ip, "cognito-idp.amazonaws.com".into())
            .await
            .attempts,
        1
    );
    assert_eq!(
        tally(TallyKind::Error, "invalid".into()).await.failures,
        1,
        "the 1 MB error code"
    );
    assert_eq!(tally(TallyKind::Client, web.clone()).await.attempts, 6);
    // The unknown ids are kept under pool "-", as `invalid`.
    let unresolved = trail
        .store
        .tallies("-", TallyKind::Client, at - Duration::hours(1))
        .await
        .unwrap();
    let invalid: u64 = unresolved
        .iter()
        .filter(|(id, _)| id.key.value() == "invalid")
        .map(|(_, c)| c.attempts)
        .sum();
    assert_eq!(invalid, 2, "the 3,000-character and the NUL client ids");
    // Delivered again: a duplicate, not a failure.
    let again = trail
        .handle(logs_event(&logs_batch("trail", "s", 1, &messages)), None)
        .await
        .unwrap();
    assert_eq!((again.duplicates, again.tallies_written), (1, 0));
}

/// Defect: detection and alert text carried raw input: header-injection line breaks in a
/// source IP, BEL/ESC, a phone number and an email in a sign-in's location, an SSO session
/// email as "who", and a right-to-left override in a monitor's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_carry_no_raw_input() {
    let setup = TrailSetup::start(&[]).await;
    let (aws, inbox, pool, web, trail) = (
        &setup.aws,
        &setup.inbox,
        &setup.pool,
        &setup.web,
        &setup.trail,
    );
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(5);
    let change = traffic::config_change(
        "c-1",
        at,
        "UpdateUserPool",
        serde_json::json!({"userPoolId": pool}),
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/jane.doe@example.com",
        "203.0.113.5\r\nX-Injected: 1",
    );
    let mut risky = traffic::user_activity("a-1", at, pool, web, "sub-9", ("High", "Block", true));
    risky["message"]["city"] = "Seattle\u{7}\u{1b}[31m call 206-555-0100".into();
    risky["message"]["country"] = "a.b@example.org \u{202E}moc.live".into();
    let messages = vec![change.to_string(), risky.to_string()];
    let report = trail
        .handle(logs_event(&logs_batch("trail", "s", 1, &messages)), None)
        .await
        .unwrap();
    assert_eq!(report.detections, 2);
    let forms = checked(&inbox.drain().await);
    assert_eq!(forms.len(), 2);
    let change = forms
        .iter()
        .find(|f| f["kind"] == "configuration_change")
        .unwrap();
    assert_eq!(
        change["detection"]["who"],
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/[email]"
    );
    assert_eq!(change["detection"]["source_ip"], "invalid");
    let sign_in = forms.iter().find(|f| f["kind"] == "risky_sign_in").unwrap();
    assert_eq!(
        sign_in["detection"]["location"],
        "Seattle[31m call [phone], [email] moc.live"
    );

    // A monitor alert: an app client whose name carries a right-to-left override.
    let evil = seed::app_client(&aws.idp, pool, "\u{202E}lave web", false)
        .await
        .unwrap();
    let now = Utc::now();
    seed::put(
        &aws.cw,
        vec![seed::requests(
            "SignInSuccesses",
            &[
                ("UserPool", pool.as_str()),
                ("UserPoolClient", evil.as_str()),
            ],
            now - Duration::minutes(4),
            1,
            9,
        )],
    )
    .await
    .unwrap();
    let collector = aws.collector(&[]);
    collector
        .handle(serde_json::json!({"tasks": ["inventory", "metrics"]}), None)
        .await
        .unwrap();
    let evaluator = aws.evaluator(&inbox.topic_arn).await;
    let roots = aws.store.roots().await.unwrap();
    evaluator.evaluate(&roots, now).await.unwrap();
    let forms = checked(&inbox.drain().await);
    let alert = forms
        .iter()
        .find(|f| f["monitor_id"].as_str().is_some_and(|m| m.ends_with(&evil)))
        .expect("the client's alert");
    assert_eq!(alert["name"], "lave web");
}

/// Defects: a raw 0xFF byte in one log event made the whole CloudWatch Logs batch malformed;
/// in an S3 trail file a record with invalid UTF-8 or 10,000 levels of nesting stopped the
/// read, losing the records after it; a 205 KB batch expanding to 200 MB was accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_record_costs_only_itself_and_a_gzip_bomb_is_refused() {
    let setup = TrailSetup::start(&[]).await;
    let (aws, _inbox, pool, web, trail) = (
        &setup.aws,
        &setup.inbox,
        &setup.pool,
        &setup.web,
        &setup.trail,
    );
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(5);
    let record = |id: &str| {
        traffic::initiate_auth(
            id,
            at,
            web,
            IP,
            "sub-1",
            Some("NotAuthorizedException"),
            None,
        )
    };
    // A Logs batch: three events, the middle one with a raw 0xFF byte.
    let good = |id: &str| serde_json::to_vec(&record(id).to_string()).unwrap();
    let mut events = Vec::new();
    for (n, id) in ["l-1", "l-2", "l-3"].iter().enumerate() {
        let mut message = good(id);
        if n == 1 {
            // Inside the awsRegion string value.
            let at = message.windows(9).position(|w| w == b"us-east-1").unwrap();
            message.insert(at, 0xFF);
        }
        let mut event = format!(r#"{{"id":"{n}","timestamp":1,"message":"#).into_bytes();
        event.extend_from_slice(&message);
        event.push(b'}');
        events.push(event);
    }
    let mut batch = br#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","logEvents":["#.to_vec();
    batch.extend_from_slice(&events.join(&b","[..]));
    batch.extend_from_slice(b"]}");
    let report = trail
        .handle(traffic::logs_event_raw(&batch), None)
        .await
        .unwrap();
    assert_eq!(
        (report.records.cognito_records, report.records.malformed),
        (3, 0),
        "the event with the bad byte is read leniently, its neighbours untouched"
    );

    // An S3 trail file: good, invalid UTF-8, good, 10,000 levels of nesting, good.
    let mut bad_utf8 = record("s-2").to_string().into_bytes();
    bad_utf8.splice(10..10, [0xFF, 0xFE]);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut file = br#"{"Records":["#.to_vec();
    let parts: Vec<Vec<u8>> = vec![
        record("s-1").to_string().into_bytes(),
        bad_utf8,
        record("s-3").to_string().into_bytes(),
        deep.into_bytes(),
        record("s-5").to_string().into_bytes(),
    ];
    file.extend_from_slice(&parts.join(&b","[..]));
    file.extend_from_slice(b"]}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &file).unwrap();
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/f.json.gz";
    aws.put_object("trail-bucket", key, gz.finish().unwrap())
        .await;
    let report = trail
        .handle(
            traffic::s3_notification("trail-bucket", key, file.len()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.records.cognito_records, report.records.malformed),
        (4, 1),
        "the bad byte is read leniently; the records after the nesting are read"
    );
    let failures: u64 = trail
        .store
        .tallies(pool, TallyKind::Client, at - Duration::hours(1))
        .await
        .unwrap()
        .iter()
        .map(|(_, c)| c.failures)
        .sum();
    assert_eq!(failures, 7, "three from the batch, four from the file");

    // A gzip bomb: ~200 KB of gzip expanding to 200 MB.
    let mut bomb = br#"{"messageType":"DATA_MESSAGE","logEvents":[],"pad":""#.to_vec();
    bomb.resize(bomb.len() + (200 << 20), b' ');
    bomb.extend_from_slice(br#""}"#);
    let event = traffic::logs_event_raw(&bomb);
    drop(bomb);
    let report = trail.handle(event, None).await.unwrap();
    assert_eq!(report.records.malformed, 1, "refused, counted");
    assert_eq!(report.tallies_written, 0);
}
