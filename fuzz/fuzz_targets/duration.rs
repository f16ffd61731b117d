//! A `--since` period as the CLI reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(d) = cognito_watch_core::trail::parse_period(text) {
            assert!(d > chrono::Duration::zero());
            assert!(d.num_days() <= cognito_watch_core::trail::MAX_PERIOD_DAYS);
            // Whatever parses can be subtracted from now without a panic.
            assert!(chrono::Utc::now().checked_sub_signed(d).is_some());
        }
    }
});
