//! An event moved in time: every time in it shifted by one amount, so that its newest is now.
//! The samples in `events/` are dated when they were written; moved to now, what they feed
//! shows in the views' default period (`--since 24h`).
//!
//! A time is an RFC 3339 string (`eventTime`, EventBridge's `time`, S3's `eventTime`) or epoch
//! milliseconds under a `timestamp` or `eventTimestamp` key (CloudWatch Logs' log events, user
//! activity logs; a number or a string of digits). Times are found, and shifted, inside what
//! the event carries encoded: JSON in a string (an SQS message body, a log event's message) and
//! a CloudWatch Logs subscription's `awslogs.data` (gzip, then base64). A trail file in S3 that
//! an S3 notification names is not in the event, and is not moved.

use std::io::{Read, Write};

use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

/// Epoch milliseconds taken as a time: from 2000 to 2100.
const MILLIS: std::ops::RangeInclusive<i64> = 946_684_800_000..=4_102_444_800_000;

/// Keys whose value, in epoch milliseconds, is a time.
const MILLIS_KEYS: [&str; 2] = ["timestamp", "eventTimestamp"];

/// `event` with every time moved by the same amount, so the newest is `now`; the event as it
/// is when it holds no time. Returns the amount moved too.
pub fn to_now(event: &Value, now: DateTime<Utc>) -> (Value, Duration) {
    let mut newest = None;
    walk(&mut event.clone(), &mut |t| {
        newest = newest.max(Some(t));
        t
    });
    let Some(newest) = newest else {
        return (event.clone(), Duration::zero());
    };
    let by = now - newest;
    let mut moved = event.clone();
    walk(&mut moved, &mut |t| t + by);
    (moved, by)
}

/// Apply `f` to every time in `v`, in place (encoded payloads decoded and encoded again).
fn walk(v: &mut Value, f: &mut dyn FnMut(DateTime<Utc>) -> DateTime<Utc>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if MILLIS_KEYS.contains(&key.as_str()) {
                    if let Some(moved) = moved_millis(value, f) {
                        *value = moved;
                        continue;
                    }
                }
                if key == "data" {
                    if let Some(moved) = moved_logs_data(value, f) {
                        *value = Value::String(moved);
                        continue;
                    }
                }
                walk(value, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
        Value::String(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                let moved = f(t.with_timezone(&Utc));
                let precision = if s.contains('.') {
                    SecondsFormat::Millis
                } else {
                    SecondsFormat::Secs
                };
                *s = moved.to_rfc3339_opts(precision, true);
            } else if s.starts_with(['{', '[']) {
                if let Ok(mut inner) = serde_json::from_str::<Value>(s) {
                    walk(&mut inner, f);
                    *s = inner.to_string();
                }
            }
        }
        _ => {}
    }
}

/// Epoch milliseconds (a number, or a string of digits) moved, in the same form.
fn moved_millis(v: &Value, f: &mut dyn FnMut(DateTime<Utc>) -> DateTime<Utc>) -> Option<Value> {
    let (ms, text) = match v {
        Value::Number(n) => (n.as_i64()?, false),
        Value::String(s) => (s.parse::<i64>().ok()?, true),
        _ => return None,
    };
    if !MILLIS.contains(&ms) {
        return None;
    }
    let moved = f(DateTime::from_timestamp_millis(ms)?).timestamp_millis();
    Some(if text {
        Value::String(moved.to_string())
    } else {
        Value::from(moved)
    })
}

/// A CloudWatch Logs subscription's payload (base64 of gzip of JSON) with its times moved.
fn moved_logs_data(v: &Value, f: &mut dyn FnMut(DateTime<Utc>) -> DateTime<Utc>) -> Option<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let zipped = engine.decode(v.as_str()?).ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(zipped.as_slice())
        .read_to_string(&mut text)
        .ok()?;
    let mut inner: Value = serde_json::from_str(&text).ok()?;
    walk(&mut inner, f);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(inner.to_string().as_bytes()).ok()?;
    Some(engine.encode(gz.finish().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn logs(payload: &Value) -> Value {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(payload.to_string().as_bytes()).unwrap();
        let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        serde_json::json!({"awslogs": {"data": data}})
    }

    #[test]
    fn every_time_moves_by_one_amount_and_the_newest_lands_on_now() {
        let record =
            serde_json::json!({"eventTime": "2026-11-21T12:01:02Z", "eventName": "InitiateAuth"});
        let event = serde_json::json!({
            "time": "2026-11-21T12:03:12Z",
            "Records": [{"body": serde_json::json!({"detail": record}).to_string()}],
            "nested": logs(&serde_json::json!({"logEvents": [
                {"timestamp": 1_795_262_460_000_i64, "message": record.to_string()},
                {"timestamp": 1_795_262_460_001_i64,
                 "message": serde_json::json!({"eventTimestamp": "1795262520000"}).to_string()}
            ]})),
            "id": "37190000000000000000000000000000000000000000000000000000",
            "size": 1024
        });
        let now = at("2026-12-06T09:00:00Z");
        let (moved, by) = to_now(&event, now);
        assert_eq!(by, now - at("2026-11-21T12:03:12Z"));
        assert_eq!(moved["time"], "2026-12-06T09:00:00Z");
        let body: Value =
            serde_json::from_str(moved["Records"][0]["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["detail"]["eventTime"], "2026-12-06T08:57:50Z");
        assert_eq!(moved["id"], event["id"], "an id of digits is not a time");
        assert_eq!(moved["size"], 1024);
        // Inside the logs payload: the log events' and the user activity's milliseconds.
        let data = moved["nested"]["awslogs"]["data"].as_str().unwrap();
        let zipped = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(zipped.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        let payload: Value = serde_json::from_str(&text).unwrap();
        let shift = by.num_milliseconds();
        assert_eq!(
            payload["logEvents"][0]["timestamp"],
            1_795_262_460_000_i64 + shift
        );
        let message: Value =
            serde_json::from_str(payload["logEvents"][1]["message"].as_str().unwrap()).unwrap();
        assert_eq!(
            message["eventTimestamp"],
            (1_795_262_520_000_i64 + shift).to_string()
        );
        let first: Value =
            serde_json::from_str(payload["logEvents"][0]["message"].as_str().unwrap()).unwrap();
        assert_eq!(first["eventTime"], "2026-12-06T08:57:50Z");
    }

    #[test]
    fn an_event_without_times_is_left_as_it_is() {
        let event = serde_json::json!({"pools": ["us-east-1_abc"], "n": 3});
        assert_eq!(to_now(&event, Utc::now()), (event, Duration::zero()));
    }
}
