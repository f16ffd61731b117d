//! What arrives as one log message: a CloudTrail record, or a Cognito user pool log (facts
//! file §6: user activity logs from threat protection and user notification logs, every value
//! a string, booleans and the millisecond timestamp included). `classify` tells them apart;
//! `risky_sign_in` turns an activity event into a detection.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text::{clean, clean_masked, ip_or_service, token, INVALID};
use crate::trail::detect::{Detection, Finding};
use crate::trail::{valid_pool_id, window_of, CloudTrailRecord};

/// One user activity event (`eventSource` `USER_ACTIVITY`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserActivity {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The user pool it belongs to.
    pub user_pool_id: Option<String>,
    /// The event's id.
    pub event_id: Option<String>,
    /// `eventType`: SignIn, SignUp, ForgotPassword, ...
    pub event_type: Option<String>,
    /// `eventResponse`: Pass, Fail, InProgress.
    pub event_response: Option<String>,
    /// The user's `sub`.
    pub user_sub: Option<String>,
    /// The app client id.
    pub client_id: Option<String>,
    /// The source address.
    pub ip_address: Option<String>,
    /// Threat protection's risk level: Low, Medium, High.
    pub risk_level: Option<String>,
    /// Its risk decision: NoRisk, AccountTakeover, Block, ...
    pub risk_decision: Option<String>,
    /// The password was found among compromised credentials.
    pub compromised_credential_detected: bool,
    /// The address's city, when the log says.
    pub city: Option<String>,
    /// The address's country, when the log says.
    pub country: Option<String>,
}

/// One user notification error (`eventSource` `USER_NOTIFICATION`, ERROR level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserNotification {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The user pool it belongs to.
    pub user_pool_id: String,
    /// What the message delivery error says.
    pub details: Option<String>,
}

/// One log message, classified.
#[derive(Debug, Clone, PartialEq)]
// A CloudTrail record is moved once and read in place: not boxed, so reading one allocates
// nothing.
#[allow(clippy::large_enum_variant)]
pub enum LogRecord<'a> {
    /// A CloudTrail record (a user pool or identity pool call, or a hosted UI event).
    CloudTrail(CloudTrailRecord<'a>),
    /// A user activity log event (threat protection).
    Activity(Box<UserActivity>),
    /// A user notification error (a message Cognito could not deliver).
    Notification(UserNotification),
}

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The message is not JSON; says why.
    #[error("not JSON: {0}")]
    Json(String),
    /// JSON, but not a CloudTrail record's shape; says why.
    #[error("not a CloudTrail record: {0}")]
    Record(String),
    /// A user log without a field it must have; names it.
    #[error("a user log without {0}")]
    UserLog(&'static str),
    /// Neither a CloudTrail record nor a Cognito user log.
    #[error("neither a CloudTrail record nor a Cognito user log")]
    Unknown,
}

/// A string, a number or a boolean, as a string (user logs write every value as a string;
/// be lenient with the ones that are not).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn millis(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let ms: i64 = text(v)?.parse().ok()?;
    Utc.timestamp_millis_opt(ms).single()
}

/// Classify one message (a log event's `message`, or a record from a trail file) given as a
/// JSON value.
pub fn classify(value: Value) -> Result<LogRecord<'static>, DecodeError> {
    let source = value
        .get("eventSource")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match source.as_str() {
        "USER_ACTIVITY" | "USER_NOTIFICATION" => user_log(&source, &value),
        s if s.ends_with(".amazonaws.com") => {
            // A record without an id (copied from a console or an export) keeps a stable one: a
            // digest of the record itself.
            let missing_id = value
                .get("eventID")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            let id = missing_id.then(|| crate::trail::digest(&[&value.to_string()]));
            let mut r = CloudTrailRecord::from_value(value)
                .map_err(|e| DecodeError::Record(e.to_string()))?;
            if let Some(id) = id {
                r.event_id = id.into();
            }
            Ok(LogRecord::CloudTrail(r))
        }
        _ => Err(DecodeError::Unknown),
    }
}

/// Classify one message given as text. A CloudTrail record is read straight from the text
/// into its typed form (strings borrowed from `text`); anything else (a user log, a record
/// the typed reader refuses) goes through a JSON value, which also says why a message is
/// unusable.
pub fn classify_str(text: &str) -> Result<LogRecord<'_>, DecodeError> {
    classify_str_with(text, &Defaults::default())
}

/// What a record lacks but its envelope says (an EventBridge event's source, time, region and
/// account): filled in before the record is judged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    /// `source`, as CloudTrail's `eventSource` (`aws.cognito-idp` → `cognito-idp.amazonaws.com`).
    pub event_source: Option<String>,
    /// `time`.
    pub event_time: Option<String>,
    /// `region`.
    pub aws_region: Option<String>,
    /// `account`.
    pub recipient_account_id: Option<String>,
}

impl Defaults {
    /// Fill the fields of a typed record that are missing or empty.
    pub fn fill_record(&self, r: &mut CloudTrailRecord<'_>) {
        let fill = |field: &mut Option<std::borrow::Cow<'_, str>>, v: &Option<String>| {
            if field.as_deref().is_none_or(str::is_empty) {
                if let Some(v) = v {
                    *field = Some(v.clone().into());
                }
            }
        };
        fill(&mut r.aws_region, &self.aws_region);
        fill(&mut r.recipient_account_id, &self.recipient_account_id);
        if let (true, Some(v)) = (r.event_source.is_empty(), &self.event_source) {
            r.event_source = v.clone().into();
        }
    }

    /// Fill the fields of a JSON record that are missing or empty.
    pub fn fill(&self, value: &mut Value) {
        let Some(fields) = value.as_object_mut() else {
            return;
        };
        for (field, v) in [
            ("eventSource", &self.event_source),
            ("eventTime", &self.event_time),
            ("awsRegion", &self.aws_region),
            ("recipientAccountId", &self.recipient_account_id),
        ] {
            let missing = fields
                .get(field)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if let (true, Some(v)) = (missing, v) {
                fields.insert(field.to_string(), Value::String(v.clone()));
            }
        }
    }
}

/// [`classify_str`], with the envelope's [`Defaults`].
pub fn classify_str_with<'a>(
    text: &'a str,
    defaults: &Defaults,
) -> Result<LogRecord<'a>, DecodeError> {
    if let Ok(mut r) = serde_json::from_str::<CloudTrailRecord<'a>>(text) {
        defaults.fill_record(&mut r);
        if r.event_source.ends_with(".amazonaws.com") {
            if r.event_id.is_empty() {
                r.event_id = crate::trail::digest(&[text]).into();
            }
            return Ok(LogRecord::CloudTrail(r));
        }
    }
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string()))?;
    defaults.fill(&mut value);
    classify(value)
}

fn user_log(source: &str, v: &Value) -> Result<LogRecord<'static>, DecodeError> {
    let at = millis(v.get("eventTimestamp")).ok_or(DecodeError::UserLog("eventTimestamp"))?;
    let message = v.get("message");
    let field = |k: &str| text(message.and_then(|m| m.get(k)));
    let pool = text(v.get("logSourceId").and_then(|l| l.get("userPoolId")))
        .or_else(|| field("userPoolId"));
    if source == "USER_NOTIFICATION" {
        let details = match message {
            Some(Value::String(s)) => Some(s.clone()),
            Some(m) => text(m.get("details")).or_else(|| Some(m.to_string())),
            None => None,
        };
        return Ok(LogRecord::Notification(UserNotification {
            at,
            user_pool_id: pool.ok_or(DecodeError::UserLog("userPoolId"))?,
            details,
        }));
    }
    if message.is_none_or(|m| !m.is_object()) {
        return Err(DecodeError::UserLog("message"));
    }
    Ok(LogRecord::Activity(Box::new(UserActivity {
        at,
        user_pool_id: pool,
        event_id: field("eventId"),
        event_type: field("eventType"),
        event_response: field("eventResponse"),
        user_sub: field("userSub"),
        client_id: field("clientId"),
        ip_address: field("ipAddress"),
        risk_level: field("riskLevel"),
        risk_decision: field("riskDecision"),
        compromised_credential_detected: field("compromisedCredentialDetected")
            .is_some_and(|s| s.eq_ignore_ascii_case("true")),
        city: field("city"),
        country: field("country"),
    })))
}

/// A risky sign-in: threat protection decided AccountTakeover or Block, rated the risk
/// High, or found the credentials compromised.
pub fn risky_sign_in(a: &UserActivity) -> Option<Finding> {
    let decision = a.risk_decision.clone().unwrap_or_default();
    let level = a.risk_level.clone().unwrap_or_default();
    let risky = decision.eq_ignore_ascii_case("AccountTakeover")
        || decision.eq_ignore_ascii_case("Block")
        || level.eq_ignore_ascii_case("High")
        || a.compromised_credential_detected;
    if !risky {
        return None;
    }
    let text = |v: &Option<String>| v.as_deref().map(|s| clean(s, 128));
    let location = match (&a.city, &a.country) {
        (Some(c), Some(k)) => Some(format!("{c}, {k}")),
        (None, Some(k)) => Some(k.clone()),
        (Some(c), None) => Some(c.clone()),
        (None, None) => None,
    };
    let pool = a
        .user_pool_id
        .as_deref()
        .and_then(valid_pool_id)
        .map(str::to_string);
    Some(Finding::new(
        pool,
        window_of(a.at),
        Detection::RiskySignIn {
            user_sub: a
                .user_sub
                .as_deref()
                .and_then(|s| token(s, 128, |c| c.is_ascii_alphanumeric() || c == '-'))
                .map(str::to_string),
            client_id: a.client_id.as_deref().map(|c| {
                token(c, 128, |c| c.is_ascii_alphanumeric() || "_-+".contains(c))
                    .unwrap_or(INVALID)
                    .to_string()
            }),
            ip: a
                .ip_address
                .as_deref()
                .map(|ip| ip_or_service(ip).to_string()),
            event_type: text(&a.event_type),
            event_response: text(&a.event_response),
            risk_level: text(&a.risk_level),
            risk_decision: text(&a.risk_decision),
            compromised_credentials: a.compromised_credential_detected,
            location: location.map(|l| clean_masked(&l, 128)),
            event_id: a.event_id.as_deref().map(|e| {
                match token(e, 128, |c| c.is_ascii_alphanumeric() || c == '-') {
                    Some(e) => e.to_string(),
                    None => crate::trail::digest(&[e]),
                }
            }),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const ACTIVITY: &str = r#"{"eventTimestamp":"1687297330677","eventSource":"USER_ACTIVITY","logLevel":"INFO",
 "message":{"version":"1","eventId":"e-1","eventType":"SignIn","userSub":"sub-1","userName":"test-user",
  "userPoolId":"us-west-2_EXAMPLE","clientId":"1example23456789","eventResponse":"Fail",
  "riskLevel":"High","riskDecision":"AccountTakeover","challenges":[],"ipAddress":"192.0.2.1",
  "compromisedCredentialDetected":"false","city":"Seattle","country":"United States","hasContextData":"true"},
 "logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#;

    const NOTIFICATION: &str = r#"{"eventTimestamp":"1687297330677","eventSource":"USER_NOTIFICATION","logLevel":"ERROR",
 "message":{"details":"SMS delivery failed"},"logSourceId":{"userPoolId":"us-west-2_EXAMPLE"}}"#;

    #[test]
    fn user_logs_are_read_with_every_value_a_string() {
        let LogRecord::Activity(a) = classify_str(ACTIVITY).unwrap() else {
            panic!("not an activity event")
        };
        assert_eq!(a.at.timestamp_millis(), 1_687_297_330_677);
        assert_eq!(a.user_pool_id.as_deref(), Some("us-west-2_EXAMPLE"));
        assert!(!a.compromised_credential_detected, "\"false\" is false");
        let f = risky_sign_in(&a).unwrap();
        assert!(f.key().starts_with("risky_sign_in#us-west-2_EXAMPLE#"));
        assert!(matches!(
            f.detection,
            Detection::RiskySignIn { ref location, .. } if location.as_deref() == Some("Seattle, United States")
        ));
        let LogRecord::Notification(n) = classify_str(NOTIFICATION).unwrap() else {
            panic!("not a notification")
        };
        assert_eq!(n.details.as_deref(), Some("SMS delivery failed"));
    }

    #[test]
    fn only_risky_sign_ins_are_findings() {
        let LogRecord::Activity(mut a) = classify_str(ACTIVITY).unwrap() else {
            panic!()
        };
        a.risk_level = Some("Low".into());
        a.risk_decision = Some("NoRisk".into());
        assert!(risky_sign_in(&a).is_none());
        a.compromised_credential_detected = true;
        assert!(risky_sign_in(&a).is_some());
        a.compromised_credential_detected = false;
        a.risk_decision = Some("Block".into());
        assert!(risky_sign_in(&a).is_some());
    }

    #[test]
    fn other_messages_are_refused_with_a_reason() {
        assert!(matches!(
            classify_str("{not json"),
            Err(DecodeError::Json(_))
        ));
        assert_eq!(classify_str(r#"{"a":1}"#), Err(DecodeError::Unknown));
        assert!(matches!(
            classify_str(r#"{"eventSource":"s3.amazonaws.com"}"#),
            Err(DecodeError::Record(_))
        ));
        assert_eq!(
            classify_str(r#"{"eventSource":"USER_ACTIVITY","message":{}}"#),
            Err(DecodeError::UserLog("eventTimestamp"))
        );
    }

    proptest! {
        #[test]
        fn classifying_never_panics(cut in 0usize..700, junk in ".{0,40}") {
            let text: String = ACTIVITY.chars().take(cut).collect();
            let _ = classify_str(&format!("{text}{junk}"));
            let mut v: Value = serde_json::from_str(ACTIVITY).unwrap();
            v["message"]["riskLevel"] = Value::from(junk.clone());
            v["eventTimestamp"] = Value::from(junk);
            if let Ok(LogRecord::Activity(a)) = classify(v) {
                let _ = risky_sign_in(&a);
            }
        }
    }
}
