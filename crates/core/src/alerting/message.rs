//! The alert message: an SNS message with `MessageStructure = json`, so each subscriber gets
//! its own form: email and SMS get readable text, SQS, Lambda and HTTP(S) get the alert as a
//! JSON document. Message attributes carry what SNS filter policies need.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alerting::chat::{Chat, Links};
use crate::alerting::evidence::TrailEvidence;
use crate::alerting::status::{Alert, Status};
use crate::text::{ascii, clean, clean_json};
use crate::trail::detect::Finding;

/// The JSON form's schema tag.
pub const SCHEMA: &str = "cognito-watch.alert/1";

/// Everything one SNS Publish needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// At most 99 ASCII characters, no line breaks.
    pub subject: String,
    /// The `Message` with `MessageStructure = json`: one entry per protocol.
    pub body: String,
    /// The plain text, for email and SMS.
    pub text: String,
    /// The alert as JSON, for HTTPS, SQS and Lambda subscribers.
    pub json: String,
    /// Message attributes (String type), every value non-empty.
    pub attributes: BTreeMap<String, String>,
    /// Message attributes of type `String.Array` (the `tags` a filter policy matches).
    pub arrays: BTreeMap<String, Vec<String>>,
    /// What its chat form is made of.
    pub chat: Chat,
}

/// The most message attributes a message may carry: SNS discards a message with more that is
/// headed for an SQS subscription with raw message delivery.
pub const MAX_ATTRIBUTES: usize = 10;

impl Message {
    /// Say which notification profile routed it (`notification_profile`) and the tags of the
    /// monitor and its pool (`tags`, one `String.Array` of `key=value`), for filter policies.
    pub fn routed(&mut self, profile: &str, tags: Vec<String>) {
        self.attributes
            .insert("notification_profile".to_string(), ascii(profile, 256));
        let tags: Vec<String> = tags.iter().map(|t| ascii(t, 256)).collect();
        if tags.is_empty() {
            self.arrays.remove("tags");
        } else {
            self.arrays.insert("tags".to_string(), tags);
        }
    }

    /// How many message attributes it carries.
    pub fn attribute_count(&self) -> usize {
        self.attributes.len() + self.arrays.len()
    }

    /// The chat form (Amazon Q Developer in chat applications' custom notification).
    pub fn chat_json(&self, links: &Links) -> Result<String, serde_json::Error> {
        let profile = self
            .attributes
            .get("notification_profile")
            .map_or("default", String::as_str);
        self.chat.render(links, profile)
    }
}

#[derive(Serialize)]
struct JsonForm<'a> {
    schema: &'static str,
    subject: &'a str,
    #[serde(flatten)]
    alert: &'a Alert,
    reason_text: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trail_evidence: Option<&'a TrailEvidence>,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn kind_word(alert: &Alert) -> &'static str {
    alert
        .kind
        .label()
        .strip_prefix("Cognito ")
        .unwrap_or(alert.kind.label())
}

/// The most specific subject that fits SNS's limit (under 100 ASCII characters): what, its
/// new and old status, then its pool and region if there is room.
pub fn subject(alert: &Alert) -> String {
    const MAX: usize = 99;
    let head = if alert.to == Status::Up {
        "RECOVERED".to_string()
    } else {
        alert.to.as_str().to_uppercase()
    };
    let name = ascii(&alert.name, 200);
    let core = |name: &str| {
        format!(
            "{head}: {} {name} is {} (was {})",
            kind_word(alert),
            alert.to,
            alert.from
        )
    };
    let pool = match &alert.user_pool_id {
        Some(p) if alert.kind != crate::inventory::monitor::MonitorKind::UserPool => {
            format!(" in {}", ascii(p, 60))
        }
        _ => String::new(),
    };
    let region = format!(" [{}]", ascii(&alert.region, 20));
    let full = core(&name);
    for candidate in [
        format!("{full}{pool}{region}"),
        format!("{full}{pool}"),
        format!("{full}{region}"),
        full.clone(),
    ] {
        if candidate.len() <= MAX {
            return candidate;
        }
    }
    let room = MAX.saturating_sub(core("").len());
    ascii(&core(&ascii(&name, room.max(4))), MAX)
}

/// The alert's text for email and the default protocol, with the trail's `evidence` when
/// the alert carries it.
pub fn text(alert: &Alert, evidence: Option<&TrailEvidence>) -> String {
    let mut out = String::new();
    let name = clean(&alert.name, 128);
    out.push_str(&format!(
        "{} \"{name}\" is {} (was {} since {}).\n\n",
        alert.kind.label(),
        alert.to,
        alert.from,
        when(alert.previous_since)
    ));
    if alert.to == Status::Up {
        let started = alert.outage_started_at.unwrap_or(alert.previous_since);
        out.push_str(&format!(
            "What:      recovered; the outage lasted {} ({} to {})\n",
            human(alert.at - started),
            when(started),
            when(alert.at)
        ));
    } else {
        for (i, r) in alert.reasons.iter().enumerate() {
            let label = if i == 0 { "What:" } else { "" };
            out.push_str(&format!("{label:<10} {}\n", clean(&r.to_string(), 400)));
        }
    }
    out.push_str(&format!(
        "Where:     {} {}, account {}, region {}{}\n",
        kind_word(alert).to_lowercase(),
        clean(&alert.monitor_id, 200),
        alert.account,
        alert.region,
        alert
            .user_pool_id
            .as_deref()
            .map(|p| format!(", user pool {p}"))
            .unwrap_or_default()
    ));
    out.push_str(&format!("Since:     {}\n", when(alert.at)));
    if let Some(pool) = &alert.pool {
        let moved = if pool.from == pool.to {
            format!("stays {}", pool.to)
        } else {
            format!("{} -> {}", pool.from, pool.to)
        };
        out.push_str(&format!(
            "User pool: \"{}\" ({}) {moved} (Notify for Any Child Monitor Status Changes)\n",
            clean(&pool.name, 128),
            pool.monitor_id
        ));
    }
    if let Some(evidence) = evidence {
        for (i, l) in evidence.lines().iter().enumerate() {
            let label = if i == 0 { "Evidence:" } else { "" };
            out.push_str(&format!("{label:<10} {}\n", clean(l, 400)));
        }
    }
    out.push_str(&format!("Profile:   {}\n", clean(&alert.profile, 64)));
    out.push_str(&format!("Alert id:  {}\n", alert.alert_id));
    out
}

/// The whole message for `alert`, with the trail's `evidence` when it carries it.
pub fn message(
    alert: &Alert,
    evidence: Option<&TrailEvidence>,
) -> Result<Message, serde_json::Error> {
    let subject = subject(alert);
    let text = text(alert, evidence);
    let json = json_form(&JsonForm {
        schema: SCHEMA,
        subject: &subject,
        alert,
        reason_text: alert.reasons.iter().map(ToString::to_string).collect(),
        trail_evidence: evidence,
    })?;
    let mut attributes = BTreeMap::new();
    attributes.insert("severity".to_string(), alert.to.as_str().to_string());
    attributes.insert(
        "previous_status".to_string(),
        alert.from.as_str().to_string(),
    );
    attributes.insert(
        "monitor_type".to_string(),
        alert.kind.id_prefix().to_string(),
    );
    attributes.insert("monitor_id".to_string(), ascii(&alert.monitor_id, 256));
    attributes.insert("alert_id".to_string(), ascii(&alert.alert_id, 256));
    attributes.insert("region".to_string(), alert.region.clone());
    attributes.insert("account".to_string(), alert.account.clone());
    if let Some(pool) = &alert.user_pool_id {
        attributes.insert("user_pool_id".to_string(), pool.clone());
    }
    envelope(subject, text, json, attributes)
}

/// The JSON form's schema tag of a security detection.
pub const DETECTION_SCHEMA: &str = "cognito-watch.detection/1";

#[derive(Serialize)]
struct DetectionJson<'a> {
    schema: &'static str,
    subject: &'a str,
    alert_id: String,
    kind: &'static str,
    severity: &'static str,
    title: String,
    facts: Vec<String>,
    #[serde(flatten)]
    finding: &'a Finding,
}

/// The message for a security detection: the same envelope, protocols and attribute names
/// as a status alert (`monitor_type` = `detection`, `detection` = its kind), so one topic
/// and one set of filter policies serve both.
pub fn finding_message(f: &Finding) -> Result<Message, serde_json::Error> {
    let d = &f.detection;
    let severity = Status::from(d.severity());
    let region = f.region().unwrap_or_default();
    let head = format!(
        "{}: {}",
        severity.as_str().to_uppercase(),
        ascii(&d.title(), 70)
    );
    let subject = [
        format!(
            "{head}{}{}",
            f.pool
                .as_deref()
                .map(|p| format!(" in {}", ascii(p, 60)))
                .unwrap_or_default(),
            if region.is_empty() {
                String::new()
            } else {
                format!(" [{}]", ascii(&region, 20))
            }
        ),
        format!(
            "{head}{}",
            f.pool
                .as_deref()
                .map(|p| format!(" in {}", ascii(p, 60)))
                .unwrap_or_default()
        ),
    ]
    .into_iter()
    .find(|s| s.len() <= 99)
    .unwrap_or_else(|| ascii(&head, 99));
    let mut text = format!("Security detection: {}.\n\n", clean(&d.title(), 200));
    for (i, fact) in d.facts().iter().enumerate() {
        let label = if i == 0 { "What:" } else { "" };
        text.push_str(&format!("{label:<10} {}\n", clean(fact, 400)));
    }
    let named = |id: &str| match f.names.get(id) {
        Some(name) => format!("\"{}\" ({id})", clean(name, 128)),
        None => id.to_string(),
    };
    let pool_word = |id: &str| {
        if crate::trail::valid_identity_pool_id(id).is_some() {
            "identity pool"
        } else {
            "user pool"
        }
    };
    let location = match (&f.pool, &f.scope) {
        (Some(p), _) => format!("{} {}", pool_word(p), named(p)),
        (None, Some(_)) if f.pools.is_empty() => {
            "every pool of the account and region (no pool named)".to_string()
        }
        (None, Some(_)) => format!(
            "every pool of the account and region; seen in {}",
            f.pools
                .iter()
                .take(10)
                .map(|p| named(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, None) => "user pool (not yet in the inventory)".to_string(),
    };
    text.push_str(&format!(
        "Where:     {location}, account {}, region {}\n",
        f.account.as_deref().unwrap_or("-"),
        if region.is_empty() { "-" } else { &region }
    ));
    if let Some(client) = f.client_id() {
        text.push_str(&format!("App client: {}\n", named(client)));
    }
    text.push_str(&format!(
        "When:      5-minute window from {}\n",
        when(f.window)
    ));
    text.push_str(&format!("Alert id:  {}\n", f.key()));
    let json = json_form(&DetectionJson {
        schema: DETECTION_SCHEMA,
        subject: &subject,
        alert_id: f.key(),
        kind: d.kind(),
        severity: severity.as_str(),
        title: d.title(),
        facts: d.facts(),
        finding: f,
    })?;
    let mut attributes = BTreeMap::new();
    attributes.insert("severity".to_string(), severity.as_str().to_string());
    attributes.insert("monitor_type".to_string(), "detection".to_string());
    attributes.insert("detection".to_string(), d.kind().to_string());
    attributes.insert("alert_id".to_string(), ascii(&f.key(), 256));
    attributes.insert("region".to_string(), region);
    attributes.insert("account".to_string(), f.account.clone().unwrap_or_default());
    if let Some(pool) = &f.pool {
        attributes.insert("user_pool_id".to_string(), pool.clone());
    }
    envelope(subject, text, json, attributes)
}

/// The JSON form of a message: every string cleaned (control and bidirectional characters
/// removed, each at most 2,000 characters).
pub(crate) fn json_form<T: Serialize>(form: &T) -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(form)?;
    clean_json(&mut v, 2_000);
    serde_json::to_string(&v)
}

/// One SNS message: text for email and the default, the subject for SMS, JSON for machines.
pub(crate) fn envelope(
    subject: String,
    text: String,
    json: String,
    mut attributes: BTreeMap<String, String>,
) -> Result<Message, serde_json::Error> {
    let mut per_protocol = BTreeMap::new();
    for p in ["default", "email"] {
        per_protocol.insert(p, text.clone());
    }
    per_protocol.insert("sms", subject.clone());
    for p in ["email-json", "sqs", "lambda", "http", "https", "firehose"] {
        per_protocol.insert(p, json.clone());
    }
    let body = serde_json::to_string(&per_protocol)?;
    attributes.retain(|_, v| !v.is_empty());
    let get = |name: &str| attributes.get(name).cloned();
    let monitor_type = get("monitor_type").unwrap_or_default();
    let chat = Chat {
        title: subject.clone(),
        description: text.clone(),
        severity: get("severity").unwrap_or_default(),
        event: get("detection")
            .or_else(|| get("posture"))
            .unwrap_or_default(),
        monitor_type,
        monitor_id: get("monitor_id"),
        pool: get("user_pool_id"),
        alert_id: get("alert_id").unwrap_or_default(),
        account: get("account").unwrap_or_default(),
        region: get("region").unwrap_or_default(),
    };
    Ok(Message {
        subject,
        body,
        text,
        json,
        attributes,
        arrays: BTreeMap::new(),
        chat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::profile::{Comparator, Severity};
    use crate::alerting::status::{PoolChange, Reason};
    use crate::inventory::monitor::MonitorKind;
    use chrono::TimeZone;

    fn alert(name: &str) -> Alert {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 10, 5, 0).unwrap();
        Alert {
            alert_id: "appclient/eu-west-1_abc/c0#1".into(),
            monitor_id: "appclient/eu-west-1_abc/c0".into(),
            kind: MonitorKind::AppClient,
            name: name.into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            user_pool_id: Some("eu-west-1_abc".into()),
            from: Status::Up,
            to: Status::Critical,
            at: t,
            previous_since: t - chrono::Duration::hours(2),
            reasons: vec![Reason::Breach {
                metric: "SignInFailurePercentage".into(),
                label: "Sign In Failure Percentage".into(),
                value: 35.5,
                comparator: Comparator::Gt,
                threshold: 20.0,
                severity: Severity::Critical,
                polls: 1,
            }],
            pool: Some(PoolChange {
                monitor_id: "userpool/eu-west-1_abc".into(),
                name: "prod".into(),
                from: Status::Up,
                to: Status::Critical,
            }),
            outage_started_at: None,
            profile: "default".into(),
        }
    }

    #[test]
    fn the_subject_is_short_ascii_and_specific() {
        let s = subject(&alert("shop-web"));
        assert_eq!(
            s,
            "CRITICAL: App Client shop-web is Critical (was Up) in eu-west-1_abc [eu-west-1]"
        );
        let long = subject(&alert(&"é\n".repeat(300)));
        assert!(long.len() < 100, "{long}");
        assert!(long.is_ascii() && !long.contains('\n'), "{long}");
        assert!(
            long.starts_with("CRITICAL: App Client ?")
                && long.ends_with("... is Critical (was Up)"),
            "{long}"
        );
        let mut a = alert("shop-mobile");
        a.user_pool_id = Some("us-east-1_AbCdEfGhI".into());
        let s = subject(&a);
        assert!(s.len() < 100 && s.contains(" in us-east-1_"), "{s}");
        a.user_pool_id = Some("x".repeat(80));
        assert_eq!(
            subject(&a),
            "CRITICAL: App Client shop-mobile is Critical (was Up) [eu-west-1]"
        );
    }

    #[test]
    fn the_body_says_what_where_since_and_which_pool() {
        let m = message(&alert("shop-web"), None).unwrap();
        assert!(m.text.contains(
            "What:      Sign In Failure Percentage = 35.50 (threshold > 20, critical, 1 consecutive poll)"
        ), "{}", m.text);
        assert!(m.text.contains("Since:     2026-11-21 10:05 UTC"));
        assert!(m
            .text
            .contains("User pool: \"prod\" (userpool/eu-west-1_abc) Up -> Critical"));
        let body: serde_json::Value = serde_json::from_str(&m.body).unwrap();
        assert_eq!(body["default"], m.text);
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["schema"], SCHEMA);
        assert_eq!(json["to"], "critical");
        assert_eq!(json["reasons"][0]["value"], 35.5);
        assert_eq!(m.attributes["severity"], "critical");
        assert_eq!(m.attributes["monitor_type"], "appclient");
        assert_eq!(m.attributes["user_pool_id"], "eu-west-1_abc");
    }

    #[test]
    fn a_detection_uses_the_same_envelope_and_attributes() {
        let mut f = Finding::new(
            Some("eu-west-1_abc".into()),
            Utc.with_ymd_and_hms(2026, 11, 21, 10, 5, 0).unwrap(),
            crate::trail::detect::Detection::BruteForce {
                ip: "198.51.100.7".into(),
                failures: 75,
                threshold: 50,
            },
        );
        f.account = Some("123456789012".into());
        let m = finding_message(&f).unwrap();
        assert_eq!(
            m.subject,
            "CRITICAL: Brute force from 198.51.100.7 in eu-west-1_abc [eu-west-1]"
        );
        assert!(
            m.text.contains(
                "What:      75 failed requests from 198.51.100.7 in 5 minutes (threshold > 50)"
            ),
            "{}",
            m.text
        );
        assert_eq!(m.attributes["monitor_type"], "detection");
        assert_eq!(m.attributes["detection"], "brute_force");
        assert_eq!(m.attributes["region"], "eu-west-1");
        let body: serde_json::Value = serde_json::from_str(&m.body).unwrap();
        let json: serde_json::Value = serde_json::from_str(body["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["schema"], DETECTION_SCHEMA);
        assert_eq!(json["kind"], "brute_force");
        assert_eq!(json["detection"]["ip"], "198.51.100.7");
        assert_eq!(json["alert_id"], f.key());
    }

    #[test]
    fn a_recovery_says_how_long_the_outage_lasted() {
        let mut a = alert("shop-web");
        a.from = Status::Critical;
        a.to = Status::Up;
        a.outage_started_at = Some(a.at - chrono::Duration::minutes(50));
        a.reasons.clear();
        let m = message(&a, None).unwrap();
        assert!(m
            .subject
            .starts_with("RECOVERED: App Client shop-web is Up (was Critical)"));
        assert!(m.text.contains("the outage lasted 50m"), "{}", m.text);
        assert_eq!(m.attributes["severity"], "up");
    }

    #[test]
    fn a_detection_names_its_pools_and_client_from_the_inventory() {
        use crate::trail::detect::Detection;
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 10, 5, 0).unwrap();
        let mut f = Finding::new(
            None,
            at,
            Detection::BruteForce {
                ip: "198.51.100.7".into(),
                failures: 75,
                threshold: 50,
            },
        );
        f.scope = Some("111122223333/us-east-1".into());
        f.pools = vec!["us-east-1_A".into(), "us-east-1_B".into()];
        f.names.insert("us-east-1_A".into(), "Shop".into());
        let text = finding_message(&f).unwrap().text;
        assert!(
            text.contains(
                "Where:     every pool of the account and region; seen in \"Shop\" (us-east-1_A), us-east-1_B"
            ),
            "{text}"
        );
        let mut m2m = Finding::new(
            Some("us-east-1_A".into()),
            at,
            Detection::CallbackMismatch {
                client_id: "web".into(),
                refused: 30,
                threshold: 20,
            },
        );
        m2m.names.insert("us-east-1_A".into(), "Shop".into());
        m2m.names.insert("web".into(), "Storefront".into());
        let text = finding_message(&m2m).unwrap().text;
        assert!(
            text.contains("Where:     user pool \"Shop\" (us-east-1_A)"),
            "{text}"
        );
        assert!(text.contains("App client: \"Storefront\" (web)"), "{text}");
    }

    #[test]
    fn every_kind_of_message_routed_stays_within_snss_ten_attributes() {
        let tags = vec!["team=payments".to_string(), "env=prod".to_string()];
        let mut status = message(&alert("shop-web"), None).unwrap();
        status.routed("payments", tags.clone());
        assert_eq!(
            status.attribute_count(),
            MAX_ATTRIBUTES,
            "{:?}",
            status.attributes
        );
        assert_eq!(status.attributes["notification_profile"], "payments");
        assert_eq!(status.arrays["tags"], tags);
        let mut f = Finding::new(
            Some("eu-west-1_abc".into()),
            Utc.with_ymd_and_hms(2026, 11, 21, 10, 5, 0).unwrap(),
            crate::trail::detect::Detection::CallbackMismatch {
                client_id: "web".into(),
                refused: 30,
                threshold: 20,
            },
        );
        f.account = Some("123456789012".into());
        let mut detection = finding_message(&f).unwrap();
        detection.routed("payments", tags.clone());
        assert!(detection.attribute_count() <= MAX_ATTRIBUTES);
        let mut untagged = message(&alert("shop-web"), None).unwrap();
        untagged.routed("default", Vec::new());
        assert!(!untagged.arrays.contains_key("tags"), "no empty array");
    }

    #[test]
    fn the_chat_form_is_amazon_q_developers_custom_notification_schema() {
        let mut m = message(&alert("shop-web"), None).unwrap();
        m.routed("payments", vec!["team=payments".into()]);
        let links = crate::alerting::chat::Links {
            dashboard: Some(
                "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=cw"
                    .into(),
            ),
        };
        let chat: serde_json::Value = serde_json::from_str(&m.chat_json(&links).unwrap()).unwrap();
        assert_eq!(chat["version"], "1.0");
        assert_eq!(chat["source"], "custom");
        assert_eq!(chat["id"], "appclient/eu-west-1_abc/c0#1");
        let content = &chat["content"];
        assert_eq!(content["textType"], "client-markdown");
        assert_eq!(
            content["title"],
            format!(":red_circle: {}", m.subject),
            "severity leads the title"
        );
        let description = content["description"].as_str().unwrap();
        assert!(
            description.starts_with("```\n") && description.ends_with("```"),
            "{description}"
        );
        assert!(
            description.contains("Sign In Failure Percentage = 35.50 (threshold > 20"),
            "the reason: {description}"
        );
        let steps: Vec<&str> = content["nextSteps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            steps[0].contains("`cognito-watch describe appclient/eu-west-1_abc/c0`"),
            "{steps:?}"
        );
        assert!(steps[1].starts_with("<https://eu-west-1.console.aws.amazon.com/"));
        assert_eq!(
            content["keywords"],
            serde_json::json!(["critical", "appclient"])
        );
        let meta = &chat["metadata"];
        assert_eq!(
            meta["threadId"], "appclient/eu-west-1_abc/c0",
            "a monitor's messages thread"
        );
        assert_eq!(meta["eventType"], "cognito-watch.appclient");
        assert_eq!(
            meta["additionalContext"]["notification_profile"],
            "payments"
        );
        let allowed = ["version", "source", "id", "content", "metadata"];
        for key in chat.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "{key} is not in the schema"
            );
        }
        for key in content.as_object().unwrap().keys() {
            assert!(
                ["textType", "title", "description", "nextSteps", "keywords"]
                    .contains(&key.as_str()),
                "{key}"
            );
        }
        for key in meta.as_object().unwrap().keys() {
            assert!(
                [
                    "threadId",
                    "summary",
                    "eventType",
                    "relatedResources",
                    "additionalContext"
                ]
                .contains(&key.as_str()),
                "{key}"
            );
        }
        let no_links = m
            .chat_json(&crate::alerting::chat::Links::default())
            .unwrap();
        let no_links: serde_json::Value = serde_json::from_str(&no_links).unwrap();
        assert_eq!(
            no_links["content"]["nextSteps"].as_array().unwrap().len(),
            1
        );
    }

    #[test]
    fn a_detections_chat_form_carries_its_runbook_line() {
        let f = Finding::new(
            Some("eu-west-1_abc".into()),
            Utc.with_ymd_and_hms(2026, 11, 21, 10, 5, 0).unwrap(),
            crate::trail::detect::Detection::BruteForce {
                ip: "198.51.100.7".into(),
                failures: 75,
                threshold: 50,
            },
        );
        let m = finding_message(&f).unwrap();
        let chat: serde_json::Value = serde_json::from_str(
            &m.chat_json(&crate::alerting::chat::Links::default())
                .unwrap(),
        )
        .unwrap();
        assert!(chat["content"]["nextSteps"][0]
            .as_str()
            .unwrap()
            .contains("cognito-watch tallies top-ips"));
        assert_eq!(
            chat["content"]["keywords"],
            serde_json::json!(["critical", "detection", "brute_force"])
        );
        assert_eq!(chat["metadata"]["threadId"], "eu-west-1_abc");
    }
}
