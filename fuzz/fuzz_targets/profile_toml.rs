//! A threshold profile file (TOML), as `thresholds import` reads it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(set) = cognito_watch_core::alerting::profile::ProfileSet::from_toml(text) {
            // What parses and validates also writes back and reads again.
            let again = set.to_toml().ok().map(|t| cognito_watch_core::alerting::profile::ProfileSet::from_toml(&t));
            assert!(matches!(again, Some(Ok(_))), "a valid profile set did not survive a round trip");
        }
    }
});
