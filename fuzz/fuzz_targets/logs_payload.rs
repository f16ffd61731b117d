//! A CloudWatch Logs subscription batch (the JSON inside `awslogs.data`): gzip'd and base64'd
//! as CloudWatch Logs sends it, then decoded and taken in.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let encoded = base64::engine::general_purpose::STANDARD.encode(cognito_watch_fuzz::gzip(data));
    let delivery = trail::input::logs(&encoded, 4 << 20);
    cognito_watch_fuzz::take_in(delivery.body);
    // And the raw bytes as if they were the base64 text itself.
    let delivery = trail::input::logs(&String::from_utf8_lossy(data), 4 << 20);
    cognito_watch_fuzz::take_in(delivery.body);
});
