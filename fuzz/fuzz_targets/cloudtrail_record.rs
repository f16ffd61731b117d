//! One CloudTrail record (or user log message) as JSON bytes, as a trail file holds it.
#![no_main]
use cognito_watch_core::trail::intake::Intake;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut intake = Intake::new(Box::new(|_| None));
    intake.add_json_bytes(data);
    cognito_watch_fuzz::check(&mut intake);
});
