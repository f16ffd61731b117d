//! A CloudTrail log file from S3, plain and gzip'd.
#![no_main]
use cognito_watch_core::trail::intake::Intake;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for bytes in [data.to_vec(), cognito_watch_fuzz::gzip(data)] {
        let mut intake = Intake::new(Box::new(|_| None));
        let _ = trail::file::read_trail_file(bytes.as_slice(), &mut intake);
        cognito_watch_fuzz::check(&mut intake);
    }
});
