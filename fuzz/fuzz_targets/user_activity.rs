//! A Cognito user activity or notification log message, as text.
#![no_main]
use cognito_watch_core::trail::intake::Intake;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut intake = Intake::new(Box::new(|_| None));
    intake.add_text(&String::from_utf8_lossy(data));
    cognito_watch_fuzz::check(&mut intake);
});
