//! CloudTrail records, Cognito user logs and the envelopes they arrive in, in the real
//! formats (facts file §4–6), for tests, the demo and the `events/` samples.

use std::io::Write;

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

fn t(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An API-call sign-in (`InitiateAuth`): the client in `requestParameters.clientId`, secrets
/// hidden, the user's sub in `additionalEventData`; no userAgent when `user_agent` is None.
pub fn initiate_auth(
    id: &str,
    at: DateTime<Utc>,
    client_id: &str,
    ip: &str,
    sub: &str,
    error: Option<&str>,
    user_agent: Option<&str>,
) -> Value {
    let mut r = json!({
        "eventVersion": "1.10", "eventTime": t(at), "eventSource": "cognito-idp.amazonaws.com",
        "eventName": "InitiateAuth", "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "requestParameters": {"authFlow": "USER_PASSWORD_AUTH",
            "authParameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "clientId": client_id},
        "responseElements": null,
        "additionalEventData": {"sub": sub},
        "userIdentity": {"type": "Unknown", "principalId": "Anonymous"},
        "eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": crate::ACCOUNT, "eventCategory": "Management"
    });
    if let Some(code) = error {
        r["errorCode"] = code.into();
        r["errorMessage"] = "Incorrect username or password.".into();
    }
    if let Some(ua) = user_agent {
        r["userAgent"] = ua.into();
    }
    r
}

/// A token refresh (`InitiateAuth` with `REFRESH_TOKEN_AUTH`).
pub fn refresh(
    id: &str,
    at: DateTime<Utc>,
    client_id: &str,
    ip: &str,
    error: Option<&str>,
) -> Value {
    let mut r = initiate_auth(
        id,
        at,
        client_id,
        ip,
        "HIDDEN_DUE_TO_SECURITY_REASONS",
        error,
        Some("aws-sdk-js/3"),
    );
    r["requestParameters"]["authFlow"] = "REFRESH_TOKEN_AUTH".into();
    r
}

/// An OAuth token endpoint request (`Token_POST`, a service event): the client in
/// `additionalEventData.requestParameters.client_id[0]` (an array), the grant type likewise.
pub fn token_post(
    id: &str,
    at: DateTime<Utc>,
    pool: &str,
    client_id: &str,
    grant: &str,
    ip: &str,
    status: u16,
) -> Value {
    json!({
        "eventVersion": "1.08", "eventTime": t(at), "eventSource": "cognito-idp.amazonaws.com",
        "eventName": "Token_POST", "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "userAgent": "python-requests/2.32", "requestParameters": null, "responseElements": null,
        "additionalEventData": {"responseParameters": {"status": status},
            "requestParameters": {"grant_type": [grant], "client_id": [client_id]},
            "userPoolDomain": "auth.example.com", "userPoolId": pool},
        "eventID": id, "readOnly": false, "eventType": "AwsServiceEvent", "managementEvent": true,
        "recipientAccountId": crate::ACCOUNT, "eventCategory": "Management"
    })
}

/// A management API call that changes configuration (`UpdateUserPool`, ...).
pub fn config_change(
    id: &str,
    at: DateTime<Utc>,
    event_name: &str,
    request: Value,
    who: &str,
    ip: &str,
) -> Value {
    json!({
        "eventVersion": "1.10", "eventTime": t(at), "eventSource": "cognito-idp.amazonaws.com",
        "eventName": event_name, "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.17", "requestParameters": request, "responseElements": null,
        "userIdentity": {"type": "AssumedRole", "arn": who, "accountId": crate::ACCOUNT},
        "eventID": id, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": crate::ACCOUNT, "eventCategory": "Management"
    })
}

/// A record of another service (skipped and counted by the trail function).
pub fn other_service(id: &str, at: DateTime<Utc>) -> Value {
    json!({"eventVersion": "1.10", "eventTime": t(at), "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "eventID": id})
}

/// A user activity event (threat protection); every value a string. `risk` is the risk
/// level, the risk decision and whether the credentials were found compromised.
pub fn user_activity(
    id: &str,
    at: DateTime<Utc>,
    pool: &str,
    client_id: &str,
    sub: &str,
    risk: (&str, &str, bool),
) -> Value {
    let (risk_level, risk_decision, compromised) = risk;
    json!({"eventTimestamp": at.timestamp_millis().to_string(), "eventSource": "USER_ACTIVITY",
        "logLevel": "INFO",
        "message": {"version": "1", "eventId": id, "eventType": "SignIn", "userSub": sub,
            "userName": "someone", "userPoolId": pool, "clientId": client_id,
            "eventResponse": "Fail", "riskLevel": risk_level, "riskDecision": risk_decision,
            "challenges": [], "ipAddress": "203.0.113.77",
            "compromisedCredentialDetected": compromised.to_string(), "city": "Seattle",
            "country": "United States", "hasContextData": "true"},
        "logSourceId": {"userPoolId": pool}})
}

/// A user notification error log.
pub fn user_notification(at: DateTime<Utc>, pool: &str, details: &str) -> Value {
    json!({"eventTimestamp": at.timestamp_millis().to_string(), "eventSource": "USER_NOTIFICATION",
        "logLevel": "ERROR", "message": {"details": details}, "logSourceId": {"userPoolId": pool}})
}

/// An EventBridge event carrying a CloudTrail record.
pub fn eventbridge(record: &Value) -> Value {
    let detail_type = if record["eventType"] == "AwsServiceEvent" {
        "AWS Service Event via CloudTrail"
    } else {
        "AWS API Call via CloudTrail"
    };
    json!({"version": "0", "id": format!("eb-{}", record["eventID"].as_str().unwrap_or("x")),
        "detail-type": detail_type, "source": "aws.cognito-idp", "account": crate::ACCOUNT,
        "time": record["eventTime"], "region": "us-east-1", "resources": [], "detail": record})
}

/// An SQS batch as the trail queue's event source mapping delivers it: one message per
/// `(messageId, EventBridge event)`, the event as the message body.
pub fn sqs_batch(messages: &[(String, Value)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, event)| {
            json!({"messageId": id, "receiptHandle": format!("AQEB{id}"), "body": event.to_string(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764230400000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1764230400005"},
                "messageAttributes": {}, "md5OfBody": "0b4f1d6c0e4f8d1a4a3f0b1c2d3e4f50",
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:{}:cognito-watch-TrailQueue-EXAMPLE", crate::ACCOUNT),
                "awsRegion": "us-east-1"})
        })
        .collect();
    json!({"Records": records})
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

/// The CloudWatch Logs batch itself (before gzip and base64).
pub fn logs_batch(group: &str, stream: &str, first_id: u64, messages: &[String]) -> Value {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"id": format!("{:056}", first_id + i as u64), "timestamp": 1_763_719_200_000u64 + i as u64, "message": m})
        })
        .collect();
    json!({"messageType": "DATA_MESSAGE", "owner": crate::ACCOUNT, "logGroup": group,
        "logStream": stream, "subscriptionFilters": ["cognito-watch"], "logEvents": events})
}

/// A CloudWatch Logs subscription event: `{"awslogs": {"data": base64(gzip(batch))}}`.
pub fn logs_event(batch: &Value) -> Value {
    logs_event_raw(batch.to_string().as_bytes())
}

/// A CloudWatch Logs subscription event around any bytes (for corrupt batches).
pub fn logs_event_raw(batch: &[u8]) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(gzip(batch));
    json!({"awslogs": {"data": data}})
}

/// A CloudTrail log file, gzip of `{"Records": [...]}`.
pub fn trail_file(records: &[Value]) -> Vec<u8> {
    gzip(json!({"Records": records}).to_string().as_bytes())
}

/// An S3 object-created notification for `bucket`/`key`.
pub fn s3_notification(bucket: &str, key: &str, size: usize) -> Value {
    json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-21T12:05:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "cognito-watch-trail",
            "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": key, "size": size, "sequencer": "0055AED6DCD90281E5"}}}]})
}

/// An identity pool id for the documented-shape records.
pub const IDENTITY_POOL: &str = "us-east-1:1a234567-8901-2345-6789-0123456789ab";
/// The hosted UI user's IP in the documented-shape records.
pub const HOSTED_UI_IP: &str = "198.51.100.7";

/// Records in AWS's documented field layouts that differ from the API-call samples (facts file
/// §8), for `client` of a user pool at `at`, none with an `eventID`:
/// - GetId with `requestParameters.identityPoolId`, an unauthenticated caller;
/// - GetCredentialsForIdentity naming its identity pool only in `resources[].ARN`;
/// - a hosted UI `Login_GET` without `userPoolId`, status `200.0`;
/// - a hosted UI `Confirm_POST` answered `400.0`, its user at
///   `additionalEventData.requestParameters.sub[0]`.
pub fn documented_shapes(client: &str, at: DateTime<Utc>) -> Vec<Value> {
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let identity = |name: &str, extra: Value| {
        let mut r = json!({"eventVersion": "1.08",
            "userIdentity": {"type": "Unknown", "principalId": "Unknown"},
            "eventTime": time, "eventSource": "cognito-identity.amazonaws.com", "eventName": name,
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.40", "userAgent": "aws-sdk-js",
            "responseElements": null, "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": crate::ACCOUNT,
            "eventCategory": "Management"});
        if let (Some(r), Some(e)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(e.clone());
        }
        r
    };
    let hosted = |name: &str, status: f64, extra: Value| {
        let mut data = json!({"responseParameters": {"status": status},
            "requestParameters": {"client_id": [client], "response_type": ["code"]},
            "userPoolDomain": "shop.auth.us-east-1.amazoncognito.com"});
        if let (Some(d), Some(e)) = (
            data.pointer_mut("/requestParameters")
                .and_then(Value::as_object_mut),
            extra.as_object(),
        ) {
            d.extend(e.clone());
        }
        json!({"eventVersion": "1.08", "userIdentity": {"type": "Unknown", "principalId": "Anonymous"},
            "eventTime": time, "eventSource": "cognito-idp.amazonaws.com", "eventName": name,
            "awsRegion": "us-east-1", "sourceIPAddress": HOSTED_UI_IP, "userAgent": "Mozilla/5.0",
            "requestParameters": null, "responseElements": null, "additionalEventData": data,
            "readOnly": false, "eventType": "AwsServiceEvent", "managementEvent": true,
            "recipientAccountId": crate::ACCOUNT, "eventCategory": "Management"})
    };
    vec![
        identity(
            "GetId",
            json!({"requestParameters": {"identityPoolId": IDENTITY_POOL, "logins": {}}}),
        ),
        identity(
            "GetCredentialsForIdentity",
            json!({"requestParameters": {"identityId": "us-east-1:0000-guest"},
                "resources": [{"accountId": crate::ACCOUNT, "type": "AWS::Cognito::IdentityPool",
                    "ARN": format!("arn:aws:cognito-identity:us-east-1:{}:identitypool/{IDENTITY_POOL}", crate::ACCOUNT)}]}),
        ),
        hosted("Login_GET", 200.0, json!({})),
        hosted(
            "Confirm_POST",
            400.0,
            json!({"sub": ["4b1c5f3e-0000-0000-0000-00000000abcd"], "confirmation_code": ["HIDDEN_DUE_TO_SECURITY_REASONS"]}),
        ),
    ]
}
