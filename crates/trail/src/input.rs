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

/// The deliveries in one invocation's payload; a CloudWatch Logs batch may expand to at most
/// `max_log_batch` bytes.
pub fn decode(payload: Value, max_log_batch: u64) -> Result<Vec<Delivery>, InputError> {
    if payload.get("detail-type").is_some() {
        return eventbridge(payload).map(|d| vec![d]);
    }
    if let Some(data) = payload.get("awslogs").and_then(|a| a.get("data")) {
        return Ok(vec![logs(data.as_str().unwrap_or_default(), max_log_batch)]);
    }
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        let is_s3 = records
            .iter()
            .any(|r| r.get("eventSource").and_then(Value::as_str) == Some("aws:s3"));
        if is_s3 {
            return Ok(records.iter().filter_map(s3_record).collect());
        }
        let key = format!("file#{}", digest(&[&payload.to_string()]));
        // The records move out of the payload (no copy of a multi-megabyte event).
        let mut payload = payload;
        let records = match payload.get_mut("Records").map(Value::take) {
            Some(Value::Array(records)) => records,
            _ => Vec::new(),
        };
        return Ok(vec![Delivery {
            key,
            source: "file",
            account: None,
            body: Body::Values(records),
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
    let mut detail = payload.get("detail").cloned().unwrap_or(Value::Null);
    fill_from_envelope(&mut detail, &payload);
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

/// What a CloudTrail record in an EventBridge `detail` may lack but its envelope says: the
/// source (`aws.cognito-idp` → `cognito-idp.amazonaws.com`), the time, the region and the
/// account.
fn fill_from_envelope(detail: &mut Value, envelope: &Value) {
    let Some(fields) = detail.as_object_mut() else {
        return;
    };
    let envelope_source = text(envelope, "source")
        .and_then(|s| s.strip_prefix("aws.").map(|s| format!("{s}.amazonaws.com")));
    for (field, value) in [
        ("eventSource", envelope_source),
        ("eventTime", text(envelope, "time")),
        ("awsRegion", text(envelope, "region")),
        ("recipientAccountId", text(envelope, "account")),
    ] {
        let missing = fields
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if let (true, Some(v)) = (missing, value) {
            fields.insert(field.to_string(), Value::String(v));
        }
    }
}

/// A CloudWatch Logs subscription batch. A payload that does not decode, or that expands past
/// `max_batch` bytes (a gzip bomb), is one corrupt delivery (retrying it would not help), keyed
/// by its own bytes. Invalid UTF-8 inside a log event is read leniently (U+FFFD), so one bad
/// byte costs at most its own event.
pub fn logs(data: &str, max_batch: u64) -> Delivery {
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
        .take(max_batch.saturating_add(1))
        .read_to_end(&mut json);
    if let Err(e) = read {
        return corrupt(format!("awslogs.data is not complete gzip: {e}"));
    }
    if json.len() as u64 > max_batch {
        return corrupt(format!(
            "awslogs.data ({} bytes of gzip) expands past {} MB, the most this function \
             accepts (CloudWatch Logs sends at most 1 MB of events): refused as a gzip bomb",
            bytes.len(),
            max_batch >> 20
        ));
    }
    drop(bytes);
    let lenient = String::from_utf8_lossy(&json);
    let batch: Value = match serde_json::from_str(&lenient) {
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
    // The events and their messages move out of the batch (no copy of up to 1 MB of text).
    let mut batch = batch;
    let mut events = match batch.get_mut("logEvents").map(Value::take) {
        Some(Value::Array(events)) => events,
        _ => Vec::new(),
    };
    let ids: Vec<String> = events
        .iter()
        .map(|e| text(e, "id").unwrap_or_default())
        .collect();
    let mut parts: Vec<&str> = vec![&group, &stream];
    parts.extend(ids.iter().map(String::as_str));
    let messages = events
        .iter_mut()
        .map(|e| match e.get_mut("message").map(Value::take) {
            Some(Value::String(message)) => message,
            _ => String::new(),
        })
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
        let d = logs(&gzip_b64(batch), 1 << 22);
        assert_eq!(d.account.as_deref(), Some("111122223333"));
        assert_eq!(d.body, Body::Texts(vec!["{}".into(), "x".into()]));
        assert_eq!(
            d.key,
            logs(&gzip_b64(batch), 1 << 22).key,
            "the same batch, the same key"
        );
        let control =
            r#"{"messageType":"CONTROL_MESSAGE","logGroup":"","logStream":"","logEvents":[]}"#;
        assert!(matches!(
            logs(&gzip_b64(control), 1 << 22).body,
            Body::Ignored(_)
        ));
    }

    fn gzip_b64_bytes(bytes: &[u8]) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
    }

    proptest::proptest! {
        /// Any payload: decoding never panics; any batch bytes, gzip'd and base64'd as
        /// CloudWatch Logs sends them: never a panic, and what is taken in keeps its bounds.
        #[test]
        fn any_payload_decodes_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                let _ = decode(v, 1 << 22);
            }
            let d = logs(&gzip_b64_bytes(&bytes), 1 << 22);
            let _ = logs(&String::from_utf8_lossy(&bytes), 1 << 22);
            let mut intake = cognito_watch_core::trail::intake::Intake::new(Box::new(|_| None));
            if let Body::Texts(texts) = d.body {
                texts.iter().for_each(|t| intake.add_text(t));
            }
            proptest::prop_assert!(intake.tallies.check_bounds().is_ok());
        }

        /// Whatever one log event holds, the events beside it are read.
        #[test]
        fn a_bad_event_never_loses_a_good_one(junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let good = serde_json::to_vec(r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com","eventName":"InitiateAuth","eventID":"e"}"#).unwrap();
            let junk_json = serde_json::to_vec(&String::from_utf8_lossy(&junk)).unwrap();
            let mut batch = br#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"#.to_vec();
            batch.extend_from_slice(&good);
            batch.extend_from_slice(br#"},{"id":"2","timestamp":1,"message":"#);
            batch.extend_from_slice(&junk_json);
            batch.extend_from_slice(br#"},{"id":"3","timestamp":1,"message":"#);
            batch.extend_from_slice(&good);
            batch.extend_from_slice(b"}]}");
            let d = logs(&gzip_b64_bytes(&batch), 1 << 22);
            let Body::Texts(texts) = d.body else {
                return Err(proptest::test_runner::TestCaseError::fail(format!("{:?}", d.body)));
            };
            let mut intake = cognito_watch_core::trail::intake::Intake::new(Box::new(|_| None));
            texts.iter().for_each(|t| intake.add_text(t));
            proptest::prop_assert!(intake.counts.cognito_records >= 2);
        }
    }

    /// Defect: one raw 0xFF byte in one log event made the whole batch one malformed delivery.
    #[test]
    fn a_bad_byte_costs_at_most_its_own_event() {
        let mut batch = br#"{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":"bad "#.to_vec();
        batch.push(0xFF);
        batch.extend_from_slice(br#" byte"},{"id":"2","timestamp":1,"message":"good"}]}"#);
        let d = logs(&gzip_b64_bytes(&batch), 1 << 22);
        assert_eq!(
            d.body,
            Body::Texts(vec!["bad \u{FFFD} byte".into(), "good".into()])
        );
    }

    /// Defect: a 205 KB payload expanding to 200 MB was accepted and held in memory.
    #[test]
    fn a_gzip_bomb_is_refused_and_explained() {
        let mut batch = br#"{"messageType":"DATA_MESSAGE","logEvents":[],"pad":""#.to_vec();
        batch.resize(batch.len() + (8 << 20), b' ');
        batch.extend_from_slice(br#""}"#);
        let d = logs(&gzip_b64_bytes(&batch), 4 << 20);
        assert!(
            matches!(&d.body, Body::Corrupt(why) if why.contains("gzip bomb") && why.contains("4 MB")),
            "{:?}",
            d.body
        );
    }

    #[test]
    fn a_truncated_or_foreign_payload_is_corrupt_not_an_error() {
        let good = gzip_b64(r#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&good)
            .unwrap();
        let cut = base64::engine::general_purpose::STANDARD.encode(&bytes[..bytes.len() / 2]);
        assert!(matches!(logs(&cut, 1 << 22).body, Body::Corrupt(ref w) if w.contains("gzip")));
        assert!(matches!(logs("%%%", 1 << 22).body, Body::Corrupt(ref w) if w.contains("base64")));
        assert!(
            matches!(logs(&gzip_b64("[1,2"), 1 << 22).body, Body::Corrupt(ref w) if w.contains("JSON"))
        );
    }

    #[test]
    fn s3_keys_are_decoded_and_digest_files_ignored() {
        let n = serde_json::json!({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "trail"}, "object": {"key": "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/a+b%3D.json.gz", "sequencer": "01"}}},
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
             "s3": {"bucket": {"name": "trail"}, "object": {"key": "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/x.json.gz"}}}
        ]});
        let d = decode(n, 1 << 22).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].account.as_deref(), Some("111122223333"));
        assert!(
            matches!(&d[0].body, Body::S3 { key, .. } if key == "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/a b=.json.gz")
        );
        assert!(matches!(d[1].body, Body::Ignored(_)));
    }

    #[test]
    fn other_eventbridge_events_and_unknown_payloads_are_refused_clearly() {
        let e = decode(
            serde_json::json!({"detail-type": "Scheduled Event", "detail": {}}),
            1 << 22,
        );
        assert!(matches!(e, Err(InputError::DetailType(_))));
        let e = decode(serde_json::json!({"hello": "world"}), 1 << 22);
        assert!(e.unwrap_err().to_string().contains("not an input"));
    }
}
