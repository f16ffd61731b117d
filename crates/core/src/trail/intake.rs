//! One delivery's records, taken in: tallied, turned into immediate detections (configuration
//! changes, risky sign-ins), or skipped and counted. A malformed record never stops the rest.

use serde::Serialize;
use serde_json::Value;

use crate::progress::Counted;
use crate::trail::activity::{classify, classify_str_with, risky_sign_in, Defaults, LogRecord};
use crate::trail::detect::{
    configuration_change, guest_credentials, identity_pool_reads, risky_configuration, Finding,
};
use crate::trail::{valid_pool_id, Tallies, TallyBuilder};

/// What a delivery held, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntakeCounts {
    /// CloudTrail records from Cognito, tallied.
    pub cognito_records: u64,
    /// CloudTrail records from other services, skipped.
    pub skipped_non_cognito: u64,
    /// User activity events (threat protection) read.
    pub user_activity: u64,
    /// User notification errors tallied.
    pub notification_errors: u64,
    /// Records or messages that could not be read, skipped.
    pub malformed: u64,
}

impl IntakeCounts {
    /// Add another delivery's (or part's) counts to these.
    pub fn absorb(&mut self, c: &IntakeCounts) {
        self.cognito_records += c.cognito_records;
        self.skipped_non_cognito += c.skipped_non_cognito;
        self.user_activity += c.user_activity;
        self.notification_errors += c.notification_errors;
        self.malformed += c.malformed;
    }
}

/// Resolves an app client id to its user pool (the collector's inventory).
pub type PoolOfClient = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What the trail knows of the inventory: each app client's user pool, and the names of the
/// user pools, identity pools and app clients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    /// Each app client's user pool, by client id.
    pub pool_of_client: std::collections::HashMap<String, String>,
    /// The names of user pools, identity pools and app clients, by id.
    pub names: std::collections::HashMap<String, String>,
    /// The tags of user pools and identity pools, by id (notification profiles assigned by
    /// tag, and the `tags` message attribute).
    pub tags: std::collections::HashMap<String, std::collections::BTreeMap<String, String>>,
}

impl Directory {
    /// Name the pools and app client a finding is about, where the inventory knows them.
    pub fn name(&self, f: &mut Finding) {
        let ids: Vec<String> = f
            .pool
            .iter()
            .chain(f.pools.iter())
            .cloned()
            .chain(f.client_id().map(str::to_string))
            .collect();
        for id in ids {
            if let Some(name) = self.names.get(&id) {
                f.names.insert(id, name.clone());
            }
        }
    }
}

pub use crate::trail::M2mSource;

/// Records a part of a large delivery holds: a trail file is handed over in parts of this
/// many records (see [`Intake::split_every`]), so memory holds one part's tallies, not the
/// whole file's. Part of each part's idempotency key ([`Part::delivery_key`]): a retried file
/// is cut at the same records.
pub const PART_RECORDS: u64 = 20_000;

/// What an intake has gathered since the last part was handed over: its tallies, findings and
/// counts, numbered in reading order.
#[derive(Default)]
pub struct Part {
    /// 0 for the first part (a delivery that is never split is one part, number 0).
    pub number: u32,
    /// The part's tallies.
    pub tallies: Tallies,
    /// The detections its records raised themselves.
    pub findings: Vec<Finding>,
    /// Candidates that are detections only the first time in a while.
    pub first_seen: Vec<Finding>,
    /// What its records were: read, Cognito's, skipped, malformed.
    pub counts: IntakeCounts,
    /// The first few reasons records were skipped as malformed.
    pub malformed_samples: Vec<String>,
    /// The account the records came from, when one of them (in this part or before) said.
    pub account: Option<String>,
}

impl Part {
    /// The idempotency key of this part of `delivery`: the delivery's own for the first part
    /// (so a delivery that is never split keeps its key), `delivery#part-N` after it.
    pub fn delivery_key(&self, delivery: &str) -> String {
        match self.number {
            0 => delivery.to_string(),
            n => format!("{delivery}#part-{n}"),
        }
    }
}

/// Takes each full part of a split intake; false when it can take no more (reading stops).
pub type PartSink = Box<dyn FnMut(Part) -> bool + Send>;

/// The tallies and findings of one delivery.
#[derive(Default)]
pub struct Intake {
    /// The tallies being counted; [`Intake::tallies`] gives them.
    builder: TallyBuilder,
    tallies: Tallies,
    /// The detections records raised themselves (configuration changes, risky sign-ins).
    pub findings: Vec<Finding>,
    /// Findings that are detections only the first time in a while (the trail function asks
    /// its memory): unauthenticated credentials, identity pool reads by a principal.
    pub first_seen: Vec<Finding>,
    /// What the records were: read, Cognito's, skipped, malformed.
    pub counts: IntakeCounts,
    /// The first few reasons records were skipped as malformed (for the log).
    pub malformed_samples: Vec<String>,
    /// The account the records came from, when they say.
    pub account: Option<String>,
    /// Counts every record read, for whoever watches (the CLI's progress line).
    pub progress: crate::progress::Progress,
    pool_of_client: Option<PoolOfClient>,
    /// When split: the part size, the sink, records read into the current part, the next
    /// part's number, and whether the sink refused a part.
    split: Option<(u64, PartSink)>,
    in_part: u64,
    next_part: u32,
    stopped: bool,
}

impl Intake {
    /// An intake that finds each app client's pool through `pool_of_client`.
    pub fn new(pool_of_client: PoolOfClient) -> Intake {
        Intake {
            pool_of_client: Some(pool_of_client),
            ..Default::default()
        }
    }

    /// Hand the tallies, findings and counts over to `sink` every `records` records read
    /// (malformed ones included), in order, so a large file never holds more than one part in
    /// memory. The last part, short of `records`, stays for [`Intake::take_part`].
    pub fn split_every(&mut self, records: u64, sink: PartSink) {
        self.split = Some((records.max(1), sink));
    }

    /// Stop handing parts over (what is read from here on stays for [`Intake::take_part`]),
    /// dropping the sink.
    pub fn unsplit(&mut self) {
        self.split = None;
    }

    /// Whether the sink refused a part: the reader should stop, the delivery has failed.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Everything gathered since the last part, as the next part.
    pub fn take_part(&mut self) -> Part {
        let number = self.next_part;
        self.next_part = self.next_part.saturating_add(1);
        self.in_part = 0;
        Part {
            number,
            tallies: self.take_tallies(),
            findings: std::mem::take(&mut self.findings),
            first_seen: std::mem::take(&mut self.first_seen),
            counts: std::mem::take(&mut self.counts),
            malformed_samples: std::mem::take(&mut self.malformed_samples),
            account: self.account.clone(),
        }
    }

    /// One more record read: hand the part over when it is full.
    fn read_one(&mut self) {
        self.progress.add(Counted::RecordsRead, 1);
        self.in_part += 1;
        let full = matches!(&self.split, Some((every, _)) if self.in_part >= *every);
        if full && !self.stopped {
            let part = self.take_part();
            if let Some((_, sink)) = &mut self.split {
                self.stopped = !sink(part);
            }
        }
    }

    /// Count one record that could not be read.
    pub fn malformed(&mut self, why: impl Into<String>) {
        self.note_malformed(why);
        self.read_one();
    }

    /// Note why a record is skipped (the caller counts it read).
    fn note_malformed(&mut self, why: impl Into<String>) {
        self.counts.malformed += 1;
        if self.malformed_samples.len() < 5 {
            self.malformed_samples.push(why.into());
        }
    }

    /// The tallies counted so far.
    pub fn tallies(&mut self) -> &Tallies {
        let counted = self.builder.finish();
        self.tallies.merge(counted);
        &self.tallies
    }

    /// The tallies counted, taken out of the intake.
    pub fn take_tallies(&mut self) -> Tallies {
        self.tallies();
        std::mem::take(&mut self.tallies)
    }

    /// One log message, as text.
    pub fn add_text(&mut self, text: &str) {
        self.add_text_with(text, &Defaults::default());
    }

    /// One record as text, with what its envelope says of it ([`Defaults`]). Returns whether
    /// the text was JSON (a JSON value that is not a record is still counted as malformed).
    pub fn add_text_with(&mut self, text: &str, defaults: &Defaults) -> bool {
        match classify_str_with(text, defaults) {
            Ok(r) => self.add(r),
            Err(e @ crate::trail::activity::DecodeError::Json(_)) => {
                self.malformed(e.to_string());
                return false;
            }
            Err(e) => self.malformed(e.to_string()),
        }
        true
    }

    /// Read a CloudTrail record from the start of `bytes` (a trail file's records, read in
    /// place), when the typed reader takes it: returns how many bytes it spanned. None: not
    /// read, nothing counted (the caller finds where the record ends and reads it with
    /// [`Intake::add_json_bytes`], which also says why a record is unusable).
    pub fn add_leading_record(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut stream = serde_json::Deserializer::from_slice(bytes)
            .into_iter::<crate::trail::CloudTrailRecord>();
        let mut r = stream.next()?.ok()?;
        if !r.event_source.ends_with(".amazonaws.com") {
            return None;
        }
        let end = stream.byte_offset();
        if r.event_id.is_empty() {
            // As `add_json_bytes` would: a digest of the record's text.
            let text = String::from_utf8_lossy(&bytes[..end]);
            r.event_id = crate::trail::digest(&[&text]).into();
        }
        self.add(LogRecord::CloudTrail(r));
        Some(end)
    }

    /// One record or log message as JSON bytes; invalid UTF-8 is read leniently (each bad
    /// byte becomes U+FFFD) rather than losing the record. Returns whether the bytes were JSON
    /// (a JSON value that is not a record is still counted as malformed).
    pub fn add_json_bytes(&mut self, bytes: &[u8]) -> bool {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.add_text_with(text, &Defaults::default()),
            Err(_) => {
                let text = String::from_utf8_lossy(bytes);
                self.add_text_with(&text, &Defaults::default())
            }
        }
    }

    /// One record or log message, as JSON.
    pub fn add_value(&mut self, value: Value) {
        match classify(value) {
            Ok(r) => self.add(r),
            Err(e) => self.malformed(e.to_string()),
        }
    }

    fn add(&mut self, record: LogRecord<'_>) {
        self.take(record);
        self.read_one();
    }

    fn take(&mut self, record: LogRecord<'_>) {
        match record {
            LogRecord::CloudTrail(r) => {
                if !r.is_cognito() {
                    self.counts.skipped_non_cognito += 1;
                    return;
                }
                let r = match r.bounded() {
                    Ok(r) => r,
                    Err(why) => return self.note_malformed(why),
                };
                self.counts.cognito_records += 1;
                if self.account.is_none() {
                    self.account = r.recipient_account_id.as_deref().map(str::to_string);
                }
                let none = |_: &str| None;
                let resolve: &dyn Fn(&str) -> Option<String> = match &self.pool_of_client {
                    Some(f) => f.as_ref(),
                    None => &none,
                };
                self.builder.add(&r, resolve);
                for mut f in [configuration_change(&r), risky_configuration(&r)]
                    .into_iter()
                    .flatten()
                {
                    if f.pool.is_none() {
                        f.pool = r.client_id().and_then(resolve);
                    }
                    self.findings.push(f);
                }
                self.first_seen.extend(guest_credentials(&r));
                self.first_seen.extend(identity_pool_reads(&r));
                if r.grant_type() == Some("client_credentials") && r.failure().is_none() {
                    self.builder.add_m2m_source(&r, resolve);
                }
            }
            LogRecord::Activity(a) => {
                self.counts.user_activity += 1;
                if let Some(f) = risky_sign_in(&a) {
                    self.findings.push(f);
                }
            }
            LogRecord::Notification(n) => {
                let Some(pool) = valid_pool_id(&n.user_pool_id) else {
                    return self.note_malformed(format!(
                        "user notification from an invalid pool id {:?}",
                        crate::text::clean(&n.user_pool_id, 40)
                    ));
                };
                self.counts.notification_errors += 1;
                self.tallies.add_user_notification_error(pool, n.at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trail::activity::{classify, LogRecord};

    #[test]
    fn every_kind_of_message_lands_somewhere_and_bad_ones_are_counted() {
        let mut intake = Intake::new(Box::new(|c: &str| {
            (c == "c1").then(|| "us-east-1_P".to_string())
        }));
        intake.add_text(
            r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com",
            "eventName":"UpdateUserPoolClient","eventID":"e1","recipientAccountId":"111122223333",
            "requestParameters":{"clientId":"c1"}}"#,
        );
        intake.add_text(r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e2"}"#);
        intake.add_text("{truncated");
        intake.add_text(r#"{"eventTimestamp":"1700000000000","eventSource":"USER_NOTIFICATION","message":{"details":"x"},"logSourceId":{"userPoolId":"us-east-1_P"}}"#);
        assert_eq!(
            intake.counts,
            IntakeCounts {
                cognito_records: 1,
                skipped_non_cognito: 1,
                user_activity: 0,
                notification_errors: 1,
                malformed: 1,
            }
        );
        assert_eq!(intake.account.as_deref(), Some("111122223333"));
        assert_eq!(intake.findings.len(), 1);
        assert_eq!(
            intake.findings[0].pool.as_deref(),
            Some("us-east-1_P"),
            "a client change is resolved to its pool"
        );
        assert!(intake.malformed_samples[0].starts_with("not JSON"));
    }

    /// Defect: a record read but refused (a user notification from an invalid pool id, a
    /// record over the bounds) was counted read twice.
    #[test]
    fn a_refused_record_is_counted_read_once() {
        let mut intake = Intake::new(Box::new(|_: &str| None));
        intake.add_text(r#"{"eventTimestamp":"1700000000000","eventSource":"USER_NOTIFICATION","message":{"details":"x"},"logSourceId":{"userPoolId":"not a pool"}}"#);
        assert_eq!(intake.counts.malformed, 1);
        assert_eq!(intake.progress.snapshot().records_read, 1);
    }

    fn record(name: &str, source: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut r = serde_json::json!({"eventTime": "2026-11-21T10:04:00Z", "eventSource": source,
            "eventName": name, "sourceIPAddress": "198.51.100.7",
            "userIdentity": {"type": "Unknown"}});
        if let (Some(r), Some(e)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(e.clone());
        }
        r
    }

    fn only(intake: &mut Intake, key: &crate::trail::TallyKey) -> crate::trail::Counts {
        intake
            .tallies()
            .counts
            .iter()
            .find(|(id, _)| &id.key == key)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_record_without_an_event_id_is_kept_with_a_stable_one() {
        let r = record(
            "InitiateAuth",
            "cognito-idp.amazonaws.com",
            serde_json::json!({}),
        );
        let mut a = Intake::new(Box::new(|_: &str| None));
        a.add_value(r.clone());
        assert_eq!((a.counts.cognito_records, a.counts.malformed), (1, 0));
        let id = |v: serde_json::Value| match classify(v) {
            Ok(LogRecord::CloudTrail(r)) => r.event_id.to_string(),
            _ => String::new(),
        };
        assert_eq!(id(r.clone()), id(r.clone()), "the same record, the same id");
        assert_eq!(id(r).len(), 32);
    }

    #[test]
    fn a_float_or_text_http_status_is_read() {
        for status in [
            serde_json::json!(400.0),
            serde_json::json!("400"),
            serde_json::json!(400),
        ] {
            let r = record(
                "Token_POST",
                "cognito-idp.amazonaws.com",
                serde_json::json!({"additionalEventData": {"responseParameters": {"status": status},
                    "requestParameters": {"client_id": ["c1"]}}}),
            );
            let mut a = Intake::new(Box::new(|_: &str| None));
            a.add_value(r);
            let c = only(
                &mut a,
                &crate::trail::TallyKey::Client {
                    client_id: "c1".into(),
                },
            );
            assert_eq!(
                (c.failures, c.by_error.get("HTTP 400").copied()),
                (1, Some(1)),
                "{status}"
            );
        }
    }

    #[test]
    fn identity_pool_calls_land_in_their_identity_pool_with_their_callers() {
        let pool = "us-east-1:1a234567-8901-2345-6789-0123456789ab";
        let mut a = Intake::new(Box::new(|_: &str| None));
        a.add_value(record(
            "GetId",
            "cognito-identity.amazonaws.com",
            serde_json::json!({"requestParameters": {"identityPoolId": pool}}),
        ));
        a.add_value(record(
            "GetCredentialsForIdentity",
            "cognito-identity.amazonaws.com",
            serde_json::json!({"resources": [{"ARN": format!("arn:aws:cognito-identity:us-east-1:111122223333:identitypool/{pool}")}]}),
        ));
        assert!(a
            .tallies()
            .counts
            .keys()
            .all(|id| id.pool.as_deref() == Some(pool) || id.is_region_scope()));
        let guests = only(
            &mut a,
            &crate::trail::TallyKey::Caller {
                identity_type: "Unknown".into(),
            },
        );
        assert_eq!((guests.requests, guests.attempts), (2, 0));
        assert!(a.tallies().check_bounds().is_ok());
    }

    #[test]
    fn a_user_pool_named_only_by_a_resource_arn_is_found() {
        let mut a = Intake::new(Box::new(|_: &str| None));
        a.add_value(record(
            "AdminInitiateAuth",
            "cognito-idp.amazonaws.com",
            serde_json::json!({"resources": [{"ARN": "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_AbC"}]}),
        ));
        assert!(a
            .tallies()
            .counts
            .keys()
            .all(|id| id.pool.as_deref() == Some("us-east-1_AbC") || id.is_region_scope()));
    }

    #[test]
    fn requests_and_sign_in_attempts_are_told_apart() {
        let mut a = Intake::new(Box::new(|_: &str| None));
        for name in [
            "Login_GET",
            "CreateIdentityPool",
            "InitiateAuth",
            "Signup_POST",
        ] {
            a.add_value(record(
                name,
                "cognito-idp.amazonaws.com",
                serde_json::json!({}),
            ));
        }
        let ip = only(
            &mut a,
            &crate::trail::TallyKey::Ip {
                ip: "198.51.100.7".into(),
            },
        );
        assert_eq!(
            (ip.requests, ip.attempts),
            (4, 2),
            "InitiateAuth and Signup_POST sign in"
        );
    }

    #[test]
    fn a_hosted_ui_user_is_read_from_the_request_parameters() {
        let mut a = Intake::new(Box::new(|_: &str| None));
        a.add_value(record(
            "Confirm_POST",
            "cognito-idp.amazonaws.com",
            serde_json::json!({"additionalEventData": {"responseParameters": {"status": 400.0},
                "requestParameters": {"sub": ["sub-1"], "client_id": ["c1"]}}}),
        ));
        let ip = only(
            &mut a,
            &crate::trail::TallyKey::Ip {
                ip: "198.51.100.7".into(),
            },
        );
        assert_eq!(ip.distinct_failing_subs(), 1);
    }
}
