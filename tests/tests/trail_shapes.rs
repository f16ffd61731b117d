//! CloudTrail records in AWS's documented field layouts (identity pool calls, hosted
//! UI events, records without `eventID`, EventBridge details without `eventSource`, float HTTP
//! statuses) are tallied, attributed to their pool and counted with one meaning of "attempt",
//! whichever way they arrive: EventBridge, a CloudWatch Logs batch, an S3 trail file.

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::{window_of, Counts, TallyId, TallyKey, TallyKind};
use cognito_watch_testbed::traffic::{
    self, documented_shapes, logs_batch, logs_event, HOSTED_UI_IP, IDENTITY_POOL,
};
use cognito_watch_testbed::TrailSetup;
use serde_json::{json, Value};

/// An EventBridge event around a record, its `detail` without `eventSource` (the envelope's
/// `source` says which service).
fn eventbridge_without_source(record: &Value) -> Value {
    let mut detail = record.clone();
    let source = match detail["eventSource"].as_str() {
        Some("cognito-identity.amazonaws.com") => "aws.cognito-identity",
        _ => "aws.cognito-idp",
    };
    if let Some(d) = detail.as_object_mut() {
        d.remove("eventSource");
    }
    json!({"version": "0", "id": format!("eb-{}", record["eventName"]), "detail-type":
        "AWS API Call via CloudTrail", "source": source, "account": cognito_watch_testbed::ACCOUNT,
        "time": record["eventTime"], "region": "us-east-1", "resources": [], "detail": detail})
}

/// The window's tallies: (pool, key) → counts.
async fn window(trail: &trail::Trail, at: DateTime<Utc>) -> Vec<(TallyId, Counts)> {
    let mut out = Vec::new();
    for pool in trail.store.pools().await.unwrap() {
        for kind in TallyKind::ALL {
            for (id, c) in trail.store.tallies(&pool, kind, at).await.unwrap() {
                if id.window == at {
                    out.push((id, c));
                }
            }
        }
    }
    out
}

/// The detection kind of each alert that reached the inbox.
fn detections_of(alerts: &[Value]) -> Vec<String> {
    alerts
        .iter()
        .map(|a| {
            a["MessageAttributes"]["detection"]["Value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn find<'a>(rows: &'a [(TallyId, Counts)], pool: &str, key: &TallyKey) -> &'a Counts {
    rows.iter()
        .find(|(id, _)| id.pool.as_deref() == Some(pool) && &id.key == key)
        .map(|(_, c)| c)
        .unwrap_or_else(|| panic!("no tally {key:?} under {pool}: {rows:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_record_shapes_are_tallied_and_attributed_through_every_input() {
    let setup = TrailSetup::start(&[]).await;
    let (aws, pool, web, trail) = (&setup.aws, &setup.pool, &setup.web, &setup.trail);
    let base = window_of(Utc::now() - Duration::hours(1));
    let windows = [
        base,
        base + Duration::minutes(5),
        base + Duration::minutes(10),
    ];

    // EventBridge: one event per record, no eventSource in the detail.
    for record in documented_shapes(web, windows[0]) {
        let report = trail
            .handle(eventbridge_without_source(&record), None)
            .await
            .unwrap();
        assert_eq!(
            (report.records.cognito_records, report.records.malformed),
            (1, 0),
            "{record}"
        );
    }
    // A CloudWatch Logs batch.
    let texts: Vec<String> = documented_shapes(web, windows[1])
        .iter()
        .map(Value::to_string)
        .collect();
    let report = trail
        .handle(logs_event(&logs_batch("trail", "s", 1, &texts)), None)
        .await
        .unwrap();
    assert_eq!(
        (report.records.cognito_records, report.records.malformed),
        (4, 0)
    );
    // An S3 trail file.
    let file = traffic::trail_file(&documented_shapes(web, windows[2]));
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/shapes.json.gz";
    aws.put_object("trail", key, file.clone()).await;
    let note = traffic::s3_notification("trail", key, file.len());
    let report = trail.handle(note, None).await.unwrap();
    assert_eq!(
        (report.records.cognito_records, report.records.malformed),
        (4, 0)
    );

    for at in windows {
        let rows = window(trail, at).await;
        // Identity pool calls land under their identity pool, with their callers.
        let identity = |key: TallyKey| find(&rows, IDENTITY_POOL, &key).clone();
        let get_id = identity(TallyKey::new(TallyKind::Event, "GetId"));
        assert_eq!(
            (get_id.requests, get_id.attempts),
            (1, 0),
            "a request, not a sign-in"
        );
        let creds = identity(TallyKey::new(TallyKind::Event, "GetCredentialsForIdentity"));
        assert_eq!(creds.requests, 1, "named only by its resource ARN");
        let guests = identity(TallyKey::new(TallyKind::Caller, "Unknown"));
        assert_eq!(guests.requests, 2, "unauthenticated callers");
        // Hosted UI records land in the user pool (through the client → pool inventory).
        let client = find(&rows, pool, &TallyKey::new(TallyKind::Client, web.as_str()));
        assert_eq!(
            (client.requests, client.attempts, client.failures),
            (2, 1, 1),
            "Login_GET is a request, Confirm_POST an attempt that failed with 400.0"
        );
        assert_eq!(client.by_error.get("HTTP 400"), Some(&1));
        let ip = find(&rows, pool, &TallyKey::new(TallyKind::Ip, HOSTED_UI_IP));
        assert_eq!((ip.requests, ip.attempts, ip.failures), (2, 1, 1));
        assert_eq!(
            ip.distinct_failing_subs(),
            1,
            "the hosted UI user (requestParameters.sub[0]) counts toward credential stuffing"
        );
        assert!(
            rows.iter().all(|(id, _)| id.pool.is_some()),
            "nothing lands in pool -: {rows:#?}"
        );
    }
    // A record without an eventID is still a record once: the same delivery again changes nothing.
    let again = trail
        .handle(
            eventbridge_without_source(&documented_shapes(web, windows[0])[0]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.duplicates, 1);
}

/// `risky_configuration`: a change that weakens security is a critical alert naming what was
/// weakened, beside the generic configuration change; a change that weakens nothing is only
/// the generic one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_weakens_security_is_a_critical_alert_of_its_own() {
    let setup = TrailSetup::start(&[]).await;
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(3);
    let change = |id: &str, params: Value| {
        json!({"eventVersion": "1.08", "eventTime": at.to_rfc3339(), "eventID": id,
            "eventSource": "cognito-idp.amazonaws.com", "eventName": "UpdateUserPool",
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "readOnly": false,
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/Admin/ops"},
            "requestParameters": params, "responseElements": null, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": cognito_watch_testbed::ACCOUNT})
    };
    let weakening = change(
        "ev-mfa-off",
        json!({"userPoolId": setup.pool, "mfaConfiguration": "OFF", "deletionProtection": "INACTIVE"}),
    );
    let harmless = change(
        "ev-mfa-on",
        json!({"userPoolId": setup.pool, "mfaConfiguration": "ON"}),
    );
    for record in [&weakening, &harmless] {
        setup
            .trail
            .handle(traffic::eventbridge(record), None)
            .await
            .unwrap();
    }
    let alerts = setup.inbox.drain().await;
    let mut seen: Vec<(String, String, String)> = alerts
        .iter()
        .map(|a| {
            let attr = |k: &str| {
                a["MessageAttributes"][k]["Value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            (
                attr("detection"),
                attr("severity"),
                a["Message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    seen.sort();
    let kinds: Vec<(&str, &str)> = seen
        .iter()
        .map(|(k, s, _)| (k.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("configuration_change", "trouble"),
            ("configuration_change", "trouble"),
            ("risky_configuration", "critical"),
        ]
    );
    let risky = &seen[2].2;
    assert!(
        risky.contains("MFA (mfaConfiguration) set to OFF"),
        "{risky}"
    );
    assert!(
        risky.contains("deletionProtection set to INACTIVE"),
        "{risky}"
    );
    assert!(risky.contains(&setup.pool), "{risky}");
}

/// `unauthenticated_credentials`: the first time in 7 days an identity pool gives AWS
/// credentials to an unauthenticated caller is an alert; the next ones are not, nor are
/// authenticated callers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_getting_credentials_for_the_first_time_in_a_week_is_an_alert() {
    let setup = TrailSetup::start(&[]).await;
    let at = window_of(Utc::now() - Duration::minutes(40));
    let guest = |at: DateTime<Utc>, id: &str, caller: &str| {
        let mut r = documented_shapes(&setup.web, at)[1].clone();
        r["eventID"] = json!(id);
        r["userIdentity"]["type"] = json!(caller);
        json!({"version": "0", "id": id, "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cognito-identity", "account": cognito_watch_testbed::ACCOUNT,
            "time": r["eventTime"], "region": "us-east-1", "resources": [], "detail": r})
    };
    // An authenticated caller (developer-authenticated identities come as an IAM role): nothing.
    setup
        .trail
        .handle(guest(at, "ev-role", "AssumedRole"), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
    // The first guest: an alert.
    let first = setup
        .trail
        .handle(guest(at, "ev-g1", "Unknown"), None)
        .await
        .unwrap();
    assert_eq!(first.detections, 1);
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["unauthenticated_credentials"]);
    let text = alerts[0]["Message"].as_str().unwrap_or_default();
    assert!(
        text.contains(IDENTITY_POOL) && text.contains("first time in 7 days"),
        "{text}"
    );
    // The same delivery again, another guest in the same window, guests in the next windows:
    // no new alert.
    setup
        .trail
        .handle(guest(at, "ev-g1", "Unknown"), None)
        .await
        .unwrap();
    setup
        .trail
        .handle(guest(at, "ev-g2", "Unknown"), None)
        .await
        .unwrap();
    for k in 1..3 {
        let later = at + Duration::minutes(5 * k);
        setup
            .trail
            .handle(guest(later, &format!("ev-l{k}"), "Unknown"), None)
            .await
            .unwrap();
    }
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
}

/// `password_reset_abuse`: ForgotPassword requests from one IP over the cap, or a pool's over a
/// multiple of its trailing baseline; the usual rate is not an alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_floods_are_detected_per_ip_and_against_the_pool_baseline() {
    let setup = TrailSetup::start(&[]).await;
    let base = window_of(Utc::now() - Duration::hours(3));
    let reset = |at: DateTime<Utc>, ip: String, n: usize| -> String {
        json!({"eventVersion": "1.08", "eventTime": (at + Duration::seconds(n as i64 % 200)).to_rfc3339(),
            "eventID": format!("fp-{}-{ip}-{n}", at.timestamp()), "eventSource": "cognito-idp.amazonaws.com",
            "eventName": "ForgotPassword", "awsRegion": "us-east-1", "sourceIPAddress": ip,
            "userIdentity": {"type": "Unknown", "principalId": "Anonymous"},
            "requestParameters": {"clientId": setup.web, "username": "HIDDEN_DUE_TO_SECURITY_REASONS"},
            "responseElements": null, "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": cognito_watch_testbed::ACCOUNT})
        .to_string()
    };
    let deliver = |records: Vec<String>, stream: String| {
        let trail = &setup.trail;
        async move {
            trail
                .handle(logs_event(&logs_batch("trail", &stream, 1, &records)), None)
                .await
                .unwrap()
        }
    };
    // Twelve quiet windows: 6 resets each, from 6 addresses (the trailing baseline: 6).
    for k in 0..12 {
        let at = base + Duration::minutes(5 * k);
        let records = (0..6)
            .map(|i| reset(at, format!("192.0.2.{i}"), i))
            .collect();
        deliver(records, format!("q{k}")).await;
    }
    assert!(
        detections_of(&setup.inbox.drain().await).is_empty(),
        "the usual rate"
    );
    // Then 40 resets from 40 addresses in one window: over 5x the baseline, pool-wide. And 21
    // from one address in the next: the per-IP cap (the pool's 21 is under 5x its baseline).
    let spike: Vec<String> = (0..40)
        .map(|i| reset(base + Duration::minutes(60), format!("198.51.100.{i}"), i))
        .collect();
    let flood: Vec<String> = (0..21)
        .map(|i| reset(base + Duration::minutes(65), "203.0.113.77".into(), i))
        .collect();
    for (records, says) in [
        (
            spike,
            "40 password reset requests in 5 minutes; trailing baseline 6.0",
        ),
        (flood, "21 password reset requests from 203.0.113.77"),
    ] {
        deliver(records, says.into()).await;
        let alerts = setup.inbox.drain().await;
        assert_eq!(
            detections_of(&alerts),
            vec!["password_reset_abuse"],
            "{says}"
        );
        let text = alerts[0]["Message"].as_str().unwrap_or_default();
        assert!(text.contains(says), "{text}");
    }
}

/// `m2m_new_source`: a machine-to-machine client requesting tokens from a network it has not
/// used is an alert naming its usual networks; its first networks are learned, not alerted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_m2m_client_from_a_new_network_is_an_alert_naming_its_usual_ones() {
    let setup = TrailSetup::start(&[]).await;
    let base = window_of(Utc::now() - Duration::hours(1));
    let token = |k: i64, ip: &str| {
        let at = base + Duration::minutes(5 * k) + Duration::seconds(7);
        let id = format!("tk-{k}-{ip}");
        traffic::eventbridge(&traffic::token_post(
            &id,
            at,
            &setup.pool,
            &setup.m2m,
            "client_credentials",
            ip,
            200,
        ))
    };
    let steps = [
        (0, "192.0.2.10", None),
        (1, "192.0.2.77", None),
        (2, "203.0.113.5", Some("203.0.113.0/24")),
        (2, "203.0.113.5", None),
        (3, "203.0.113.9", None),
    ];
    for (k, ip, alert) in steps {
        setup.trail.handle(token(k, ip), None).await.unwrap();
        let alerts = setup.inbox.drain().await;
        match alert {
            None => assert!(detections_of(&alerts).is_empty(), "window {k} {ip}"),
            Some(network) => {
                assert_eq!(detections_of(&alerts), vec!["m2m_new_source"], "window {k}");
                let text = alerts[0]["Message"].as_str().unwrap_or_default();
                assert!(
                    text.contains(network) && text.contains("its usual networks: 192.0.2.0/24"),
                    "{text}"
                );
            }
        }
    }
}

/// `callback_mismatch`: a client's OAuth endpoint requests refused for their redirect, over the
/// threshold in a window, is an alert; as many refused for another reason are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spike_of_redirect_mismatches_on_a_client_is_an_alert() {
    let setup = TrailSetup::start(&[]).await;
    let at = window_of(Utc::now() - Duration::minutes(30));
    let refused = |n: usize, message: &str| -> String {
        let mut r = documented_shapes(&setup.web, at + Duration::seconds(n as i64))[2].clone();
        r["additionalEventData"]["responseParameters"]["status"] = json!(400.0);
        r["errorMessage"] = json!(message);
        r["sourceIPAddress"] = json!(format!("198.51.100.{}", n % 200));
        r.to_string()
    };
    let other: Vec<String> = (0..25).map(|n| refused(n, "invalid_request")).collect();
    setup
        .trail
        .handle(logs_event(&logs_batch("trail", "other", 1, &other)), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
    let mismatches: Vec<String> = (0..21).map(|n| refused(n, "redirect_mismatch")).collect();
    setup
        .trail
        .handle(
            logs_event(&logs_batch("trail", "mismatch", 1, &mismatches)),
            None,
        )
        .await
        .unwrap();
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["callback_mismatch"]);
    let text = alerts[0]["Message"].as_str().unwrap_or_default();
    assert!(
        text.contains("21 OAuth requests") && text.contains(&setup.web),
        "{text}"
    );
}

/// The JSON form of each alert that reached the inbox.
fn forms(alerts: &[Value]) -> Vec<Value> {
    alerts
        .iter()
        .map(|a| {
            serde_json::from_str(a["Message"].as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("an alert's JSON form: {e}: {a}"))
        })
        .collect()
}

/// Per-IP detections judge the account and region: an address failing 20 times in each of two
/// pools and 20 times through a client no inventory knows (no pool over 50) is one brute
/// force, naming the pools it was seen in by name; it arrives once whichever input carried
/// which part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_spread_over_pools_is_one_brute_force_naming_the_pools() {
    let setup = TrailSetup::start(&[]).await;
    let (admin, console) =
        cognito_watch_testbed::seed::pool_with_client(&setup.aws.idp, "admin", "console")
            .await
            .unwrap();
    setup
        .aws
        .collector(&[])
        .handle(json!({"tasks": ["inventory"]}), None)
        .await
        .unwrap();
    let at = window_of(Utc::now() - Duration::minutes(20));
    let ip = "203.0.113.66";
    let failures = |client: &str, tag: &str| -> Vec<Value> {
        (0..20)
            .map(|n| {
                traffic::initiate_auth(
                    &format!("{tag}-{n}"),
                    at + Duration::seconds(n),
                    client,
                    ip,
                    "one-victim",
                    Some("NotAuthorizedException"),
                    None,
                )
            })
            .collect()
    };
    // The shop's 20 by EventBridge, the admin pool's 20 in a Logs batch: 40, nothing yet.
    for r in failures(&setup.web, "shop") {
        let event = json!({"version": "0", "id": r["eventID"], "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cognito-idp", "account": cognito_watch_testbed::ACCOUNT,
            "time": r["eventTime"], "region": "us-east-1", "resources": [], "detail": r});
        setup.trail.handle(event, None).await.unwrap();
    }
    let texts: Vec<String> = failures(&console, "admin")
        .iter()
        .map(Value::to_string)
        .collect();
    setup
        .trail
        .handle(logs_event(&logs_batch("trail", "s", 1, &texts)), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
    // 20 through an unknown client in an S3 trail file: 60 over the account and region.
    let file = traffic::trail_file(&failures("ghost-client", "ghost"));
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/spread.json.gz";
    setup.aws.put_object("trail", key, file.clone()).await;
    let report = setup
        .trail
        .handle(traffic::s3_notification("trail", key, file.len()), None)
        .await
        .unwrap();
    assert_eq!(report.detections, 1);
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["brute_force"]);
    let form = &forms(&alerts)[0];
    assert_eq!(
        form["scope"],
        format!("{}/us-east-1", cognito_watch_testbed::ACCOUNT)
    );
    let mut pools: Vec<&str> = form["pools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    pools.sort();
    let mut expected = vec![admin.as_str(), setup.pool.as_str()];
    expected.sort();
    assert_eq!(pools, expected);
    assert_eq!(form["names"][&admin], "admin");
    assert_eq!(form["names"][&setup.pool], "shop");
    assert!(
        form["facts"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("60 failed requests from 203.0.113.66"),
        "{form}"
    );
    // Each pool's own tally of the address is kept (20 each), and no pool raised its own.
    let rows = window(&setup.trail, at).await;
    let key = TallyKey::new(TallyKind::Ip, ip);
    assert_eq!(find(&rows, &admin, &key).failures, 20);
    assert_eq!(find(&rows, &setup.pool, &key).failures, 20);
    // More failures in the same window: no second alert.
    let more: Vec<String> = failures(&setup.web, "more")
        .iter()
        .map(Value::to_string)
        .collect();
    setup
        .trail
        .handle(logs_event(&logs_batch("trail", "s2", 1, &more)), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
}

/// `identity_pool_enumeration`: one address calling GetId / GetCredentialsForIdentity on three
/// identity pools in a window, or a principal not seen in a week listing identity pools; an
/// app calling GetId on its one pool all day, and the trusted collector role, are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enumerating_identity_pools_is_an_alert_and_ordinary_use_is_not() {
    let collector_role = "arn:aws:iam::123456789012:role/cognito-watch-CollectorFunctionRole-X";
    let setup = TrailSetup::start(&[("TRUSTED_PRINCIPALS", collector_role)]).await;
    let at = window_of(Utc::now() - Duration::minutes(25));
    let guest_call = |event: &str, identity_pool: &str, ip: &str, n: i64| -> Value {
        json!({"eventVersion": "1.08", "eventTime": (at + Duration::seconds(n)).to_rfc3339(),
            "eventSource": "cognito-identity.amazonaws.com", "eventName": event,
            "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "aws-sdk-js/3",
            "userIdentity": {"type": "Unknown", "principalId": "Unknown"},
            "requestParameters": {"identityPoolId": identity_pool},
            "errorCode": if identity_pool == IDENTITY_POOL { Value::Null } else { json!("ResourceNotFoundException") },
            "eventID": format!("{event}-{ip}-{n}"), "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": cognito_watch_testbed::ACCOUNT,
            "eventCategory": "Management"})
    };
    // An app's guests on its one identity pool, 40 calls from one address: nothing.
    let app: Vec<String> = (0..40)
        .map(|n| guest_call("GetId", IDENTITY_POOL, "198.51.100.20", n).to_string())
        .collect();
    setup
        .trail
        .handle(logs_event(&logs_batch("trail", "app", 1, &app)), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
    // One address guessing identity pool ids: the third distinct pool is an alert.
    let guesses: Vec<Value> = (0..3)
        .map(|n| {
            let pool = format!("us-east-1:00000000-0000-0000-0000-00000000000{n}");
            guest_call(
                if n == 0 {
                    "GetCredentialsForIdentity"
                } else {
                    "GetId"
                },
                &pool,
                "203.0.113.99",
                n,
            )
        })
        .collect();
    let file = traffic::trail_file(&guesses);
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/guesses.json.gz";
    setup.aws.put_object("trail", key, file.clone()).await;
    setup
        .trail
        .handle(traffic::s3_notification("trail", key, file.len()), None)
        .await
        .unwrap();
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["identity_pool_enumeration"]);
    let form = &forms(&alerts)[0];
    assert_eq!(form["detection"]["source"], "203.0.113.99");
    assert_eq!(form["detection"]["how"]["how"], "guest_calls");
    assert_eq!(form["detection"]["how"]["identity_pools"], 3);

    // ListIdentityPools by a principal: an alert the first time in a week, by EventBridge.
    let list = |role: &str, id: &str, at: DateTime<Utc>| -> Value {
        let r = json!({"eventVersion": "1.08", "eventTime": at.to_rfc3339(),
            "eventName": "ListIdentityPools", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.44",
            "userIdentity": {"type": "AssumedRole", "arn": format!("{role}/session"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}},
            "requestParameters": {"maxResults": 60}, "responseElements": null,
            "eventID": id, "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
            "recipientAccountId": cognito_watch_testbed::ACCOUNT, "eventCategory": "Management"});
        json!({"version": "0", "id": id, "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cognito-identity", "account": cognito_watch_testbed::ACCOUNT,
            "time": r["eventTime"], "region": "us-east-1", "resources": [], "detail": r})
    };
    let recon = "arn:aws:iam::123456789012:role/Recon";
    setup
        .trail
        .handle(list(collector_role, "l-c", at), None)
        .await
        .unwrap();
    assert!(
        detections_of(&setup.inbox.drain().await).is_empty(),
        "the collector's own reads are trusted"
    );
    setup
        .trail
        .handle(list(recon, "l-1", at), None)
        .await
        .unwrap();
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["identity_pool_enumeration"]);
    let form = &forms(&alerts)[0];
    assert_eq!(form["detection"]["source"], recon);
    assert_eq!(form["detection"]["how"]["how"], "reads");
    // The same principal again, in the next window: seen within the week, no alert.
    setup
        .trail
        .handle(list(recon, "l-2", at + Duration::minutes(5)), None)
        .await
        .unwrap();
    assert!(detections_of(&setup.inbox.drain().await).is_empty());
}

/// A managed login (or classic hosted UI) service event, in the shape AWS documents for the
/// hosted UI's: the client and the user's sub in `additionalEventData.requestParameters`, the
/// HTTP status (a float) in `additionalEventData.responseParameters`.
fn service_event(
    name: &str,
    client: &str,
    at: DateTime<Utc>,
    ip: &str,
    id: &str,
    status: f64,
) -> Value {
    json!({"eventVersion": "1.08", "userIdentity": {"accountId": cognito_watch_testbed::ACCOUNT},
        "eventTime": at.to_rfc3339(), "eventSource": "cognito-idp.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": "Mozilla/5.0",
        "errorCode": "", "errorMessage": "",
        "additionalEventData": {"responseParameters": {"status": status},
            "requestParameters": {"client_id": [client], "sub": [format!("sub-{id}")]}},
        "eventID": format!("ml-{id}"), "readOnly": false, "eventType": "AwsServiceEvent",
        "managementEvent": true, "recipientAccountId": cognito_watch_testbed::ACCOUNT,
        "serviceEventDetails": {"serviceAccountId": "111122223333"}, "eventCategory": "Management"})
}

/// An EventBridge event around a service event (the detail type the hosted pages' events have).
fn service_eventbridge(record: &Value) -> Value {
    json!({"version": "0", "id": format!("eb-{}", record["eventID"].as_str().unwrap_or_default()),
        "detail-type": "AWS Service Event via CloudTrail", "source": "aws.cognito-idp",
        "account": cognito_watch_testbed::ACCOUNT, "time": record["eventTime"],
        "region": "us-east-1", "resources": [], "detail": record})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_login_is_read_like_the_classic_hosted_ui() {
    let setup = TrailSetup::start(&[]).await;
    let (aws, pool, web, trail) = (&setup.aws, &setup.pool, &setup.web, &setup.trail);
    let base = window_of(Utc::now() - Duration::hours(2));
    // One user's managed login: the page, a wrong password, the right one, a TOTP code, a
    // passkey registered; and a sign-up and a reset request. Through every input.
    let journey = |at: DateTime<Utc>, tag: &str| -> Vec<Value> {
        [
            ("passkeys_add_GET", 200.0),
            ("login_POST", 400.0),
            ("login_POST", 302.0),
            ("mfa_totp_POST", 302.0),
            ("passkeys_add_POST", 200.0),
            ("signup_POST", 302.0),
            ("forgotPassword_POST", 302.0),
        ]
        .iter()
        .enumerate()
        .map(|(i, (name, status))| {
            service_event(
                name,
                web,
                at + Duration::seconds(i as i64),
                "192.0.2.44",
                &format!("{tag}-{i}"),
                *status,
            )
        })
        .collect()
    };
    let windows = [
        base,
        base + Duration::minutes(5),
        base + Duration::minutes(10),
    ];
    for record in journey(windows[0], "eb") {
        let report = trail
            .handle(service_eventbridge(&record), None)
            .await
            .unwrap();
        assert_eq!(report.records.cognito_records, 1, "{record}");
    }
    let texts: Vec<String> = journey(windows[1], "logs")
        .iter()
        .map(Value::to_string)
        .collect();
    trail
        .handle(logs_event(&logs_batch("trail", "ml", 1, &texts)), None)
        .await
        .unwrap();
    let file = traffic::trail_file(&journey(windows[2], "file"));
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/managed.json.gz";
    aws.put_object("trail", key, file.clone()).await;
    trail
        .handle(traffic::s3_notification("trail", key, file.len()), None)
        .await
        .unwrap();
    for at in windows {
        let rows = window(trail, at).await;
        let class = |name: &str| find(&rows, pool, &TallyKey::new(TallyKind::Class, name)).clone();
        let sign_in = class("sign-in");
        assert_eq!(
            (sign_in.attempts, sign_in.failures),
            (2, 1),
            "two login_POST, one answered 400: sign-in attempts, in the client's pool"
        );
        assert_eq!(class("challenge").attempts, 1, "mfa_totp_POST");
        assert_eq!(
            class("passkey").attempts,
            1,
            "passkeys_add_POST (the GET is a page view)"
        );
        assert_eq!(class("sign-up").attempts, 1, "signup_POST");
        let reset = class("reset");
        assert_eq!(
            (reset.attempts, reset.password_resets),
            (1, 1),
            "forgotPassword_POST"
        );
        let client = find(&rows, pool, &TallyKey::new(TallyKind::Client, web.as_str()));
        assert_eq!(
            (client.requests, client.attempts, client.failures),
            (7, 6, 1),
            "every event is the client's; the page view is a request only"
        );
    }
    assert!(detections_of(&setup.inbox.drain().await).is_empty());

    // Credential stuffing through the managed login pages: 120 sign-ins from 120 addresses,
    // 100 refused. No address is over the brute force threshold; the pool's sign-ins are.
    let at = base + Duration::minutes(30);
    let stuffing: Vec<String> = (0..120)
        .map(|i| {
            let status = if i < 100 { 400.0 } else { 302.0 };
            let name = if i % 2 == 0 {
                "login_POST"
            } else {
                "login_continue_POST"
            };
            service_event(
                name,
                web,
                at,
                &format!("198.51.100.{i}"),
                &format!("cs-{i}"),
                status,
            )
            .to_string()
        })
        .collect();
    trail
        .handle(logs_event(&logs_batch("trail", "cs", 1, &stuffing)), None)
        .await
        .unwrap();
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["pool_failure_spike"]);
    let text = alerts[0]["Message"].as_str().unwrap_or_default();
    assert!(
        text.contains("100 of 120 sign-in attempts failed"),
        "{text}"
    );

    // A reset flood through managed login's forgotPassword_POST from one address.
    let at = base + Duration::minutes(40);
    let flood: Vec<String> = (0..21)
        .map(|i| {
            service_event(
                "forgotPassword_POST",
                web,
                at,
                "203.0.113.78",
                &format!("fp-{i}"),
                302.0,
            )
            .to_string()
        })
        .collect();
    trail
        .handle(logs_event(&logs_batch("trail", "fp", 1, &flood)), None)
        .await
        .unwrap();
    let alerts = setup.inbox.drain().await;
    assert_eq!(detections_of(&alerts), vec!["password_reset_abuse"]);
}
