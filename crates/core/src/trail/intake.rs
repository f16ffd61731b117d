//! One delivery's records, taken in: tallied, turned into immediate detections (configuration
//! changes, risky sign-ins), or skipped and counted. A malformed record never stops the rest.

use serde::Serialize;
use serde_json::Value;

use crate::trail::activity::{classify, classify_str, risky_sign_in, LogRecord};
use crate::trail::detect::{configuration_change, Finding};
use crate::trail::{valid_pool_id, Tallies};

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

/// Resolves an app client id to its user pool (the collector's inventory).
pub type PoolOfClient = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The tallies and findings of one delivery.
#[derive(Default)]
pub struct Intake {
    pub tallies: Tallies,
    pub findings: Vec<Finding>,
    pub counts: IntakeCounts,
    /// The first few reasons records were skipped as malformed (for the log).
    pub malformed_samples: Vec<String>,
    /// The account the records came from, when they say.
    pub account: Option<String>,
    pool_of_client: Option<PoolOfClient>,
}

impl Intake {
    pub fn new(pool_of_client: PoolOfClient) -> Intake {
        Intake {
            pool_of_client: Some(pool_of_client),
            ..Default::default()
        }
    }

    /// Count one record that could not be read.
    pub fn malformed(&mut self, why: impl Into<String>) {
        self.counts.malformed += 1;
        if self.malformed_samples.len() < 5 {
            self.malformed_samples.push(why.into());
        }
    }

    /// One log message, as text.
    pub fn add_text(&mut self, text: &str) {
        match classify_str(text) {
            Ok(r) => self.add(r),
            Err(e) => self.malformed(e.to_string()),
        }
    }

    /// One record or log message as JSON bytes; invalid UTF-8 is read leniently (each bad
    /// byte becomes U+FFFD) rather than losing the record. Returns whether the bytes were JSON
    /// (a JSON value that is not a record is still counted as malformed).
    pub fn add_json_bytes(&mut self, bytes: &[u8]) -> bool {
        let text = String::from_utf8_lossy(bytes);
        match serde_json::from_str::<Value>(&text) {
            Ok(v) => {
                self.add_value(v);
                true
            }
            Err(e) => {
                self.malformed(format!("not JSON: {e}"));
                false
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

    fn add(&mut self, record: LogRecord) {
        match record {
            LogRecord::CloudTrail(r) => {
                if !r.is_cognito() {
                    self.counts.skipped_non_cognito += 1;
                    return;
                }
                let r = match r.bounded() {
                    Ok(r) => r,
                    Err(why) => return self.malformed(why),
                };
                self.counts.cognito_records += 1;
                if self.account.is_none() {
                    self.account = r.recipient_account_id.clone();
                }
                let none = |_: &str| None;
                let resolve: &dyn Fn(&str) -> Option<String> = match &self.pool_of_client {
                    Some(f) => f.as_ref(),
                    None => &none,
                };
                self.tallies.add(&r, resolve);
                if let Some(mut f) = configuration_change(&r) {
                    if f.pool.is_none() {
                        f.pool = r.client_id().as_deref().and_then(resolve);
                    }
                    self.findings.push(f);
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
                    return self.malformed(format!(
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
}
