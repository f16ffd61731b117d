//! The shapes the trail function is invoked with, each turned into deliveries: a unit of
//! at-least-once delivery with a stable key (its idempotency key) and a body.
//!
//! - EventBridge: one CloudTrail record in `detail` (detail-type "AWS API Call via
//!   CloudTrail" or "AWS Service Event via CloudTrail"); keyed by the record's `eventID`.
//! - CloudWatch Logs subscription: `awslogs.data`, base64 of gzip of the batch; each
//!   `logEvents[].message` is a CloudTrail record or a Cognito user log; keyed by the log
//!   group, stream and event ids. `CONTROL_MESSAGE` is ignored.
//! - S3 notification: one delivery per created object (a CloudTrail log file), keyed by
//!   bucket, key and version/sequencer; digest files are ignored.
//! - A CloudTrail log file's content `{"Records": [...]}` given directly (`invoke trail`).

use std::io::Read;

use base64::Engine;
use cognito_watch_core::trail::digest;
use serde_json::Value;

/// Detail types of CloudTrail records on EventBridge.
pub const DETAIL_TYPES: [&str; 2] = [
    "AWS API Call via CloudTrail",
    "AWS Service Event via CloudTrail",
];

/// Largest decompressed log batch accepted (CloudWatch Logs sends at most ~1 MB compressed).
const MAX_LOG_BATCH: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Records or messages as JSON (an EventBridge detail, a trail file's records).
    Values(Vec<Value>),
    /// Log messages as text (a CloudWatch Logs batch).
    Texts(Vec<String>),
    /// A CloudTrail log file in S3, read as a stream.
    S3 {
        bucket: String,
        key: String,
        version_id: Option<String>,
    },
    /// A delivery that cannot be read at all: skipped and counted as malformed.
    Corrupt(String),
    /// Nothing to do (a CloudWatch Logs control message, an S3 test event, a digest file).
    Ignored(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The idempotency key.
    pub key: String,
    /// `eventbridge`, `logs`, `s3` or `file`.
    pub source: &'static str,
    /// The account the delivery came from, when its envelope says.
    pub account: Option<String>,
    pub body: Body,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("unsupported EventBridge event: detail-type {0:?} (expected one of {DETAIL_TYPES:?})")]
    DetailType(String),
    #[error("not an input the trail function reads (an EventBridge CloudTrail event, a CloudWatch Logs subscription batch, an S3 notification or a CloudTrail log file): {0}")]
    Unknown(String),
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// The deliveries in one invocation's payload.
pub fn decode(payload: Value) -> Result<Vec<Delivery>, InputError> {
    if payload.get("detail-type").is_some() {
        return eventbridge(payload).map(|d| vec![d]);
    }
    if let Some(data) = payload.get("awslogs").and_then(|a| a.get("data")) {
        return Ok(vec![logs(data.as_str().unwrap_or_default())]);
    }
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        let is_s3 = records
            .iter()
            .any(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:s3"));
        if is_s3 {
            return Ok(records.iter().filter_map(s3_record).collect());
        }
        let key = format!("file#{}", digest(&[&payload.to_string()]));
        return Ok(vec![Delivery {
            key,
            source: "file",
            account: None,
            body: Body::Values(records.clone()),
        }]);
    }
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(vec![Delivery {
            key: "s3-test".into(),
            source: "s3",
            account: None,
            body: Body::Ignored("S3 test event".into()),
        }]);
    }
    let mut shown = payload.to_string();
    if shown.len() > 200 {
        let mut end = 200;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown.truncate(end);
        shown.push('…');
    }
    Err(InputError::Unknown(shown))
}

fn eventbridge(payload: Value) -> Result<Delivery, InputError> {
    let detail_type = text(&payload, "detail-type").unwrap_or_default();
    if !DETAIL_TYPES.contains(&detail_type.as_str()) {
        return Err(InputError::DetailType(detail_type));
    }
    let detail = payload.get("detail").cloned().unwrap_or(Value::Null);
    let id = text(&detail, "eventID")
        .or_else(|| text(&payload, "id"))
        .unwrap_or_else(|| digest(&[&detail.to_string()]));
    Ok(Delivery {
        key: format!("event#{id}"),
        source: "eventbridge",
        account: text(&payload, "account"),
        body: Body::Values(vec![detail]),
    })
}

/// A CloudWatch Logs subscription batch. A payload that does not decode is one corrupt
/// delivery (retrying it would not help), keyed by its own bytes.
pub fn logs(data: &str) -> Delivery {
    let corrupt = |why: String| Delivery {
        key: format!("logs#{}", digest(&[data])),
        source: "logs",
        account: None,
        body: Body::Corrupt(why),
    };
    let bytes = match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
        Ok(b) => b,
        Err(e) => return corrupt(format!("awslogs.data is not base64: {e}")),
    };
    let mut json = Vec::new();
    let read = flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .take(MAX_LOG_BATCH)
        .read_to_end(&mut json);
    if let Err(e) = read {
        return corrupt(format!("awslogs.data is not complete gzip: {e}"));
    }
    let batch: Value = match serde_json::from_slice(&json) {
        Ok(v) => v,
        Err(e) => return corrupt(format!("awslogs.data is not a JSON log batch: {e}")),
    };
    let group = text(&batch, "logGroup").unwrap_or_default();
    let stream = text(&batch, "logStream").unwrap_or_default();
    let account = text(&batch, "owner");
    if text(&batch, "messageType").as_deref() == Some("CONTROL_MESSAGE") {
        return Delivery {
            key: format!("logs#{}", digest(&[data])),
            source: "logs",
            account,
            body: Body::Ignored("CloudWatch Logs control message".into()),
        };
    }
    let events = batch
        .get("logEvents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ids: Vec<String> = events
        .iter()
        .map(|e| text(e, "id").unwrap_or_default())
        .collect();
    let mut parts: Vec<&str> = vec![&group, &stream];
    parts.extend(ids.iter().map(String::as_str));
    let messages = events
        .iter()
        .map(|e| text(e, "message").unwrap_or_default())
        .collect();
    Delivery {
        key: format!("logs#{}", digest(&parts)),
        source: "logs",
        account,
        body: Body::Texts(messages),
    }
}

fn s3_record(r: &Value) -> Option<Delivery> {
    let event = text(r, "eventName").unwrap_or_default();
    let s3 = r.get("s3")?;
    let bucket = text(s3.get("bucket")?, "name")?;
    let object = s3.get("object")?;
    // Keys arrive URL-encoded, spaces as '+'.
    let raw = text(object, "key")?.replace('+', " ");
    let key = percent_encoding::percent_decode_str(&raw)
        .decode_utf8_lossy()
        .into_owned();
    let version_id = text(object, "versionId");
    let tag = version_id
        .clone()
        .or_else(|| text(object, "sequencer"))
        .or_else(|| text(object, "eTag"))
        .unwrap_or_default();
    let delivery_key = format!("s3#{}", digest(&[&bucket, &key, &tag]));
    let account = key
        .split('/')
        .skip_while(|p| *p != "AWSLogs")
        .nth(1)
        .map(str::to_string);
    let body = if !event.starts_with("ObjectCreated") {
        Body::Ignored(format!("S3 event {event}"))
    } else if key.contains("CloudTrail-Digest") || !key.ends_with(".json.gz") {
        Body::Ignored(format!("not a CloudTrail log file: {key}"))
    } else {
        Body::S3 {
            bucket,
            key,
            version_id,
        }
    };
    Some(Delivery {
        key: delivery_key,
        source: "s3",
        account,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip_b64(text: &str) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
    }

    #[test]
    fn a_logs_batch_is_keyed_by_its_events_and_control_messages_are_ignored() {
        let batch = r#"{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s",
            "subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"{}"},{"id":"2","timestamp":1,"message":"x"}]}"#;
        let d = logs(&gzip_b64(batch));
        assert_eq!(d.account.as_deref(), Some("111122223333"));
        assert_eq!(d.body, Body::Texts(vec!["{}".into(), "x".into()]));
        assert_eq!(
            d.key,
            logs(&gzip_b64(batch)).key,
            "the same batch, the same key"
        );
        let control =
            r#"{"messageType":"CONTROL_MESSAGE","logGroup":"","logStream":"","logEvents":[]}"#;
        assert!(matches!(logs(&gzip_b64(control)).body, Body::Ignored(_)));
    }

    #[test]
    fn a_truncated_or_foreign_payload_is_corrupt_not_an_error() {
        let good = gzip_b64(r#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&good)
            .unwrap();
        let cut = base64::engine::general_purpose::STANDARD.encode(&bytes[..bytes.len() / 2]);
        assert!(matches!(logs(&cut).body, Body::Corrupt(ref w) if w.contains("gzip")));
        assert!(matches!(logs("%%%").body, Body::Corrupt(ref w) if w.contains("base64")));
        assert!(matches!(logs(&gzip_b64("[1,2")).body, Body::Corrupt(ref w) if w.contains("JSON")));
    }

    #[test]
    fn s3_keys_are_decoded_and_digest_files_ignored() {
        let n = serde_json::json!({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "trail"}, "object": {"key": "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/a+b%3D.json.gz", "sequencer": "01"}}},
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "trail"}, "object": {"key": "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/x.json.gz"}}}
        ]});
        let d = decode(n).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].account.as_deref(), Some("111122223333"));
        assert!(
            matches!(&d[0].body, Body::S3 { key, .. } if key == "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/a b=.json.gz")
        );
        assert!(matches!(d[1].body, Body::Ignored(_)));
    }

    #[test]
    fn other_eventbridge_events_and_unknown_payloads_are_refused_clearly() {
        let e = decode(serde_json::json!({"detail-type": "Scheduled Event", "detail": {}}));
        assert!(matches!(e, Err(InputError::DetailType(_))));
        let e = decode(serde_json::json!({"hello": "world"}));
        assert!(e.unwrap_err().to_string().contains("not an input"));
    }
}
