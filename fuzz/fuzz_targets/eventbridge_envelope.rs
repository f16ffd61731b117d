//! Any invocation payload: decoded into deliveries, each delivery's records taken in, and
//! every tally key checked against the storage bounds.
#![no_main]
use cognito_watch_fuzz as support;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(deliveries) = trail::input::decode(payload, 4 << 20) {
            for d in deliveries {
                support::take_in(d.body);
            }
        }
    }
});
