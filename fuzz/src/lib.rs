//! What every fuzz target checks after decoding: the records were taken in without a panic,
//! every tally key is within the storage bounds, and every message built from what was read
//! is clean.

use cognito_watch_core::trail::intake::Intake;
use trail::input::Body;

/// Take a delivery's body in and check what came out (panics on a broken invariant: a crash
/// for libFuzzer).
pub fn take_in(body: Body) -> Intake {
    let mut intake = Intake::new(Box::new(|_| None));
    // An S3 object or an ignored body is handed back: nothing to take in here.
    let _ = body.take_in(&mut intake);
    check(&mut intake);
    intake
}

/// The invariants of what an intake holds.
pub fn check(intake: &mut Intake) {
    if let Err(why) = intake.tallies().check_bounds() {
        panic!("{why}");
    }
    for f in &intake.findings {
        let message = match cognito_watch_core::alerting::message::finding_message(f) {
            Ok(m) => m,
            Err(e) => panic!("a finding that cannot be rendered: {e}"),
        };
        assert!(message.subject.is_ascii() && message.subject.len() < 100);
        assert!(!message.subject.contains(['\r', '\n']));
        assert!(f.key().len() <= 1024, "a finding key over 1,024 bytes");
        let json: serde_json::Value = match serde_json::from_str(&message.json) {
            Ok(v) => v,
            Err(e) => panic!("the JSON form does not parse: {e}"),
        };
        assert_clean(&json);
        assert!(message
            .text
            .lines()
            .all(|l| l.chars().all(cognito_watch_core::text::is_clean_char)));
    }
}

fn assert_clean(v: &serde_json::Value) {
    match v {
        serde_json::Value::String(s) => assert!(
            s.chars().all(cognito_watch_core::text::is_clean_char),
            "an unclean string in a message: {s:?}"
        ),
        serde_json::Value::Array(a) => a.iter().for_each(assert_clean),
        serde_json::Value::Object(o) => o.values().for_each(assert_clean),
        _ => {}
    }
}

/// gzip of `data` (for the targets whose input format is compressed).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = gz.write_all(data);
    gz.finish().unwrap_or_default()
}
