//! Any invocation payload: decoded into deliveries, each delivery's records taken in, and
//! every tally key checked against the storage bounds.
#![no_main]
use cognito_watch_fuzz as support;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The runtime hands over only valid JSON text.
    if let Ok(payload) = serde_json::from_slice::<&serde_json::value::RawValue>(data) {
        if let Ok(deliveries) = trail::input::decode(payload.get(), 4 << 20) {
            for d in deliveries {
                support::take_in(d.body);
            }
        }
    }
});
