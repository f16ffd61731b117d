//! The shapes the trail function is invoked with, each turned into deliveries: a unit of
//! at-least-once delivery with a stable key (its idempotency key) and a body.
//!
//! - EventBridge: one CloudTrail record in `detail` (detail-type "AWS API Call via
//!   CloudTrail" or "AWS Service Event via CloudTrail"); keyed by the record's `eventID`.
//! - SQS: a batch of messages, each an EventBridge event as above (the queue between the
//!   rule and the function), with its `messageId` for partial batch failures.
//! - CloudWatch Logs subscription: `awslogs.data`, base64 of gzip of the batch; each
//!   `logEvents[].message` is a CloudTrail record or a Cognito user log; keyed by the log
//!   group, stream and event ids. `CONTROL_MESSAGE` is ignored.
//! - S3 notification: one delivery per created object (a CloudTrail log file), keyed by
//!   bucket, key and version/sequencer; digest files are ignored.
//! - A CloudTrail log file's content `{"Records": [...]}` given directly (`invoke trail`).

use std::borrow::Cow;
use std::io::Read;

use crate::trail::intake::Intake;

use crate::trail::activity::Defaults;
use crate::trail::digest;
use crate::trail::lenient::{Object, Objects, Str, Text};
use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Detail types of CloudTrail records on EventBridge.
pub const DETAIL_TYPES: [&str; 2] = [
    "AWS API Call via CloudTrail",
    "AWS Service Event via CloudTrail",
];

/// What a delivery holds, as far as the trail reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// One CloudTrail record as JSON text (an EventBridge detail), with what its envelope
    /// says of it.
    Event {
        /// The record's JSON text.
        record: String,
        /// What the envelope says of it (source, time, region, account).
        defaults: Defaults,
    },
    /// Log messages as text (a CloudWatch Logs batch).
    Texts(Vec<String>),
    /// A CloudTrail log file's content given directly (`{"Records": [...]}`), read record by
    /// record like a file.
    File(String),
    /// A CloudTrail log file in S3, read as a stream.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// The object's version, when the notification names one.
        version_id: Option<String>,
    },
    /// A delivery that cannot be read at all: skipped and counted as malformed.
    Corrupt(String),
    /// Nothing to do (a CloudWatch Logs control message, an S3 test event, a digest file).
    Ignored(String),
}

impl Body {
    /// Take a body held in memory into `intake`. An S3 object (which the caller reads) and
    /// an ignored body are handed back.
    pub fn take_in(self, intake: &mut Intake) -> Option<Body> {
        match self {
            Body::Event { record, defaults } => {
                intake.add_text_with(&record, &defaults);
            }
            Body::Texts(texts) => texts.iter().for_each(|t| intake.add_text(t)),
            Body::File(text) => {
                if let Err(super::file::FileError::Corrupt(why) | super::file::FileError::Io(why)) =
                    super::file::read_trail_text(text.as_bytes(), intake)
                {
                    intake.malformed(why);
                }
            }
            Body::Corrupt(why) => intake.malformed(why),
            other @ (Body::S3 { .. } | Body::Ignored(_)) => return Some(other),
        }
        None
    }
}

/// One delivery the trail function received: an event, a log batch, a file, a queue message.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The idempotency key.
    pub key: String,
    /// `eventbridge`, `sqs` (an EventBridge event through the queue), `logs`, `s3` or `file`.
    pub source: &'static str,
    /// The account the delivery came from, when its envelope says.
    pub account: Option<String>,
    /// The SQS message it came in (`messageId`), for a batch's partial failures.
    pub message: Option<String>,
    /// What it holds.
    pub body: Body,
}

/// A payload the trail function does not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// An EventBridge event of a detail-type it does not read.
    #[error("unsupported EventBridge event: detail-type {0:?} (expected one of {DETAIL_TYPES:?})")]
    DetailType(String),
    /// No input shape it reads.
    #[error("not an input the trail function reads (an EventBridge CloudTrail event, a CloudWatch Logs subscription batch, an S3 notification or a CloudTrail log file): {0}")]
    Unknown(String),
}

/// An invocation's payload, as the JSON text the runtime received (never re-serialised:
/// idempotency keys are hashed from these bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Payload(pub Box<str>);

impl From<Box<RawValue>> for Payload {
    fn from(raw: Box<RawValue>) -> Payload {
        Payload(raw.into())
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Payload {
        Payload(text.into_boxed_str())
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Payload {
        Payload(text.into())
    }
}

impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Payload {
        Payload(value.to_string().into_boxed_str())
    }
}

/// What the trail function looks at in a payload to tell its shape; everything else is
/// skipped, and the records are not built here.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Top<'a> {
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Text<'a>>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(borrow)]
    source: Text<'a>,
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(borrow)]
    region: Text<'a>,
    #[serde(borrow)]
    account: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    awslogs: Option<Object<AwsLogs<'a>>>,
    #[serde(rename = "Records", borrow)]
    records: Option<&'a RawValue>,
    #[serde(rename = "Event", borrow)]
    event: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AwsLogs<'a> {
    #[serde(borrow)]
    data: Text<'a>,
}

/// The eventID of an EventBridge detail.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventId<'a> {
    #[serde(rename = "eventID", borrow)]
    event_id: Text<'a>,
}

/// An element of a `Records` array, as far as telling an S3 notification apart needs.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct S3Record<'a> {
    #[serde(borrow)]
    event_source: Text<'a>,
    #[serde(borrow)]
    event_name: Text<'a>,
    #[serde(borrow)]
    s3: Object<S3Entity<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct S3Entity<'a> {
    #[serde(borrow)]
    bucket: Object<Named<'a>>,
    #[serde(borrow)]
    object: Object<S3Object<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct S3Object<'a> {
    #[serde(borrow)]
    key: Text<'a>,
    #[serde(borrow)]
    version_id: Text<'a>,
    #[serde(borrow)]
    sequencer: Text<'a>,
    #[serde(borrow)]
    e_tag: Text<'a>,
}

fn owned(t: &Text<'_>) -> Option<String> {
    t.raw().map(str::to_string)
}

/// The payload cut for an error message.
fn shown(payload: &str) -> String {
    let mut end = payload.len().min(200);
    while !payload.is_char_boundary(end) {
        end -= 1;
    }
    let mut shown = payload[..end].to_string();
    if end < payload.len() {
        shown.push('…');
    }
    shown
}

/// The deliveries in one invocation's payload; a CloudWatch Logs batch may expand to at most
/// `max_log_batch` bytes. A CloudTrail log file given directly moves into its delivery (no
/// copy of a multi-megabyte event).
pub fn decode(
    payload: impl Into<Payload>,
    max_log_batch: u64,
) -> Result<Vec<Delivery>, InputError> {
    let Payload(payload) = payload.into();
    match shape(&payload, max_log_batch)? {
        Shape::Deliveries(deliveries) => Ok(deliveries),
        Shape::File => Ok(vec![Delivery {
            key: format!("file#{}", digest(&[&payload])),
            source: "file",
            message: None,
            account: None,
            body: Body::File(payload.into_string()),
        }]),
    }
}

enum Shape {
    Deliveries(Vec<Delivery>),
    /// A CloudTrail log file's content: the payload itself is the body.
    File,
}

fn shape(payload: &str, max_log_batch: u64) -> Result<Shape, InputError> {
    let top: Top = serde_json::from_str(payload)
        .map_err(|e| InputError::Unknown(format!("{e}: {}", shown(payload))))?;
    if let Some(detail_type) = &top.detail_type {
        return eventbridge(&top, detail_type).map(|d| Shape::Deliveries(vec![d]));
    }
    if let Some(awslogs) = &top.awslogs {
        let data = awslogs.get().and_then(|a| a.data.raw()).unwrap_or_default();
        return Ok(Shape::Deliveries(vec![logs(data, max_log_batch)]));
    }
    if let Some(records) = top.records.map(RawValue::get) {
        if let Some(elements) = records.trim_start().strip_prefix('[') {
            // An S3 notification's records are S3 events: its first tells (a CloudTrail
            // file's records are not read twice to find out).
            let first = serde_json::Deserializer::from_str(elements)
                .into_iter::<S3Record>()
                .next()
                .and_then(Result::ok);
            if first
                .as_ref()
                .is_some_and(|r| r.event_source.raw() == Some("aws:sqs"))
            {
                let messages: Objects<SqsMessage> = serde_json::from_str(records)
                    .map_err(|e| InputError::Unknown(format!("{e}: {}", shown(payload))))?;
                return Ok(Shape::Deliveries(
                    messages.0.iter().map(sqs_message).collect(),
                ));
            }
            if first.is_some_and(|r| r.event_source.raw() == Some("aws:s3")) {
                let notes: Objects<S3Record> = serde_json::from_str(records)
                    .map_err(|e| InputError::Unknown(format!("{e}: {}", shown(payload))))?;
                return Ok(Shape::Deliveries(
                    notes.0.iter().filter_map(s3_record).collect(),
                ));
            }
            return Ok(Shape::File);
        }
    }
    if top.event.raw() == Some("s3:TestEvent") {
        return Ok(Shape::Deliveries(vec![Delivery {
            key: "s3-test".into(),
            source: "s3",
            message: None,
            account: None,
            body: Body::Ignored("S3 test event".into()),
        }]));
    }
    Err(InputError::Unknown(shown(payload)))
}

/// A message of an SQS batch (the queue EventBridge puts Cognito's CloudTrail events on), as
/// far as the trail function reads it.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SqsMessage<'a> {
    #[serde(borrow)]
    message_id: Text<'a>,
    #[serde(borrow)]
    body: Text<'a>,
}

/// One message of an SQS batch: an EventBridge event (keyed by its record's eventID, like the
/// same event invoked directly, so the two never count twice), or, when its body is anything
/// else, a corrupt delivery (counted as malformed, and not given back to the queue: it would
/// never read better).
fn sqs_message(m: &SqsMessage) -> Delivery {
    let message = owned(&m.message_id);
    let body = m.body.raw().unwrap_or_default();
    let event = serde_json::from_str::<Top>(body)
        .map_err(|e| e.to_string())
        .and_then(|top| match &top.detail_type {
            Some(detail_type) => eventbridge(&top, detail_type).map_err(|e| e.to_string()),
            None => Err("not an EventBridge event".into()),
        });
    match event {
        Ok(mut d) => {
            d.source = "sqs";
            d.message = message;
            d
        }
        Err(why) => Delivery {
            key: format!("sqs#{}", message.as_deref().unwrap_or("-")),
            source: "sqs",
            account: None,
            message,
            body: Body::Corrupt(format!("SQS message: {why}: {}", shown(body))),
        },
    }
}

fn eventbridge(top: &Top, detail_type: &Text) -> Result<Delivery, InputError> {
    let detail_type = detail_type.raw().unwrap_or_default();
    if !DETAIL_TYPES.contains(&detail_type) {
        return Err(InputError::DetailType(detail_type.to_string()));
    }
    let record = top.detail.map_or("null", RawValue::get);
    let id = serde_json::from_str::<EventId>(record)
        .ok()
        .and_then(|e| e.event_id.raw().map(str::to_string))
        .or_else(|| owned(&top.id))
        .unwrap_or_else(|| digest(&[record]));
    // What a CloudTrail record in an EventBridge `detail` may lack but its envelope says: the
    // source (`aws.cognito-idp` → `cognito-idp.amazonaws.com`), the time, the region and the
    // account.
    let defaults = Defaults {
        event_source: top
            .source
            .raw()
            .and_then(|s| s.strip_prefix("aws."))
            .map(|s| format!("{s}.amazonaws.com")),
        event_time: owned(&top.time),
        aws_region: owned(&top.region),
        recipient_account_id: owned(&top.account),
    };
    Ok(Delivery {
        key: format!("event#{id}"),
        source: "eventbridge",
        message: None,
        account: owned(&top.account),
        body: Body::Event {
            record: record.to_string(),
            defaults,
        },
    })
}

/// A CloudWatch Logs batch, as far as the trail function reads it.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LogBatch<'a> {
    #[serde(borrow)]
    message_type: Text<'a>,
    #[serde(borrow)]
    owner: Text<'a>,
    #[serde(borrow)]
    log_group: Text<'a>,
    #[serde(borrow)]
    log_stream: Text<'a>,
    #[serde(borrow)]
    log_events: Objects<LogEvent<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogEvent<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    message: Str<'a>,
}

/// A CloudWatch Logs subscription batch. A payload that does not decode, or that expands past
/// `max_batch` bytes (a gzip bomb), is one corrupt delivery (retrying it would not help), keyed
/// by its own bytes. Invalid UTF-8 inside a log event is read leniently (U+FFFD), so one bad
/// byte costs at most its own event.
pub fn logs(data: &str, max_batch: u64) -> Delivery {
    let corrupt = |why: String| Delivery {
        key: format!("logs#{}", digest(&[data])),
        source: "logs",
        message: None,
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
    let text = match String::from_utf8(json) {
        Ok(text) => Cow::Owned(text),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    };
    let batch: LogBatch = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return corrupt(format!("awslogs.data is not a JSON log batch: {e}")),
    };
    let account = owned(&batch.owner);
    if batch.message_type.raw() == Some("CONTROL_MESSAGE") {
        return Delivery {
            key: format!("logs#{}", digest(&[data])),
            source: "logs",
            message: None,
            account,
            body: Body::Ignored("CloudWatch Logs control message".into()),
        };
    }
    let mut parts: Vec<&str> = vec![
        batch.log_group.raw().unwrap_or_default(),
        batch.log_stream.raw().unwrap_or_default(),
    ];
    parts.extend(
        batch
            .log_events
            .0
            .iter()
            .map(|e| e.id.raw().unwrap_or_default()),
    );
    let key = format!("logs#{}", digest(&parts));
    // Messages with escapes (every CloudTrail record has quotes) are already owned: no copy.
    let messages = batch
        .log_events
        .0
        .into_iter()
        .map(|e| e.message.0.map(Cow::into_owned).unwrap_or_default())
        .collect();
    Delivery {
        key,
        source: "logs",
        message: None,
        account,
        body: Body::Texts(messages),
    }
}

fn s3_record(r: &S3Record) -> Option<Delivery> {
    let event = r.event_name.raw().unwrap_or_default();
    let s3 = r.s3.get()?;
    let bucket = owned(&s3.bucket.get()?.name)?;
    let object = s3.object.get()?;
    // Keys arrive URL-encoded, spaces as '+'.
    let raw = object.key.raw()?.replace('+', " ");
    let key = percent_encoding::percent_decode_str(&raw)
        .decode_utf8_lossy()
        .into_owned();
    let version_id = owned(&object.version_id);
    let tag = version_id
        .clone()
        .or_else(|| owned(&object.sequencer))
        .or_else(|| owned(&object.e_tag))
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
        message: None,
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
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = decode(text, 1 << 22);
            }
            let d = logs(&gzip_b64_bytes(&bytes), 1 << 22);
            let _ = logs(&String::from_utf8_lossy(&bytes), 1 << 22);
            let mut intake = crate::trail::intake::Intake::new(Box::new(|_| None));
            if let Body::Texts(texts) = d.body {
                texts.iter().for_each(|t| intake.add_text(t));
            }
            proptest::prop_assert!(intake.tallies().check_bounds().is_ok());
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
            let mut intake = crate::trail::intake::Intake::new(Box::new(|_| None));
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
