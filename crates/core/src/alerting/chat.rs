//! The chat form of a message: Amazon Q Developer in chat applications (formerly AWS Chatbot)
//! custom notification schema — `version` 1.0, `source` custom, a `content` with a title, a
//! description, next steps and keywords, and `metadata` that threads a monitor's messages
//! together. Other JSON published to a topic that service reads is not shown in the channel.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::text::clean;

/// What the chat form is made of; filled by the message it belongs to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chat {
    /// The message's subject.
    pub title: String,
    /// The message's text: the reason and the evidence.
    pub description: String,
    /// `down`, `critical`, `trouble`, `up` or `info`.
    pub severity: String,
    /// `userpool`, `appclient`, …, `detection` or `posture`.
    pub monitor_type: String,
    /// The detection's or posture notice's kind; empty for a status alert.
    pub event: String,
    /// The monitor it is about, if one.
    pub monitor_id: Option<String>,
    /// The user pool or identity pool it is in, if one.
    pub pool: Option<String>,
    /// The alert id.
    pub alert_id: String,
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
}

/// Links a chat message carries beside its runbook line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    /// The stack's CloudWatch dashboard.
    pub dashboard: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Content<'a> {
    text_type: &'static str,
    title: String,
    description: String,
    next_steps: Vec<String>,
    keywords: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata<'a> {
    thread_id: &'a str,
    summary: &'a str,
    event_type: String,
    related_resources: Vec<&'a str>,
    additional_context: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
struct Form<'a> {
    version: &'static str,
    source: &'static str,
    id: &'a str,
    content: Content<'a>,
    metadata: Metadata<'a>,
}

/// The emoji a chat title starts with, by severity.
fn mark(severity: &str) -> &'static str {
    match severity {
        "down" | "critical" => ":red_circle:",
        "trouble" => ":large_orange_circle:",
        "up" => ":large_green_circle:",
        _ => ":information_source:",
    }
}

/// The runbook line for a kind of message: what the on-call engineer does first.
pub fn runbook(monitor_type: &str, severity: &str, event: &str, subject: &str) -> String {
    let describe = format!("`cognito-watch describe {subject}`");
    match (monitor_type, severity, event) {
        ("detection", _, "brute_force" | "credential_stuffing" | "account_enumeration") => {
            "Rate-limit or block the source address (AWS WAF on the user pool) and check the targeted users: `cognito-watch tallies top-ips`.".into()
        }
        ("detection", _, "pool_failure_spike") => {
            "Find the failing client or error code: `cognito-watch tallies failures --by error-code`; a release or an identity provider outage is the usual cause.".into()
        }
        ("detection", _, "m2m_anomaly" | "m2m_new_source") => {
            "Confirm the client_credentials caller is yours; rotate the app client secret if not: `cognito-watch tallies m2m`.".into()
        }
        ("detection", _, "configuration_change" | "risky_configuration") => {
            "Check who changed the pool (the CloudTrail event id above) and whether it was planned: `cognito-watch posture --failed`.".into()
        }
        ("detection", _, _) => {
            "Read the detection's facts above, then the trail's detections: `cognito-watch tallies detections`.".into()
        }
        ("posture", _, _) => {
            "`cognito-watch posture --failed` lists the failing checks, each with its fix.".into()
        }
        (_, "up", _) => format!("Recovered. {describe} shows the outage it ended."),
        (_, "down", _) => format!(
            "The resource is deleted or cannot be read: {describe} shows the poll error (check the collector's role)."
        ),
        _ => format!(
            "{describe} shows the breached thresholds and their values; the evidence above names the addresses, clients and error codes."
        ),
    }
}

/// The message's text as a code block (its columns line up in Slack and Teams): each line
/// cleaned, at most 60 lines.
fn description(text: &str) -> String {
    let mut out = String::from("```\n");
    for line in text.lines().take(60) {
        out.push_str(&clean(line, 400).replace("```", "'''"));
        out.push('\n');
    }
    out.push_str("```");
    out
}

impl Chat {
    /// The custom notification JSON, with the runbook line and `links`.
    pub fn render(&self, links: &Links, profile: &str) -> Result<String, serde_json::Error> {
        let subject = self
            .monitor_id
            .as_deref()
            .or(self.pool.as_deref())
            .unwrap_or(&self.alert_id);
        let mut next_steps = vec![runbook(
            &self.monitor_type,
            &self.severity,
            &self.event,
            subject,
        )];
        if let Some(d) = &links.dashboard {
            next_steps.push(format!("<{d}|Open the cognito-watch dashboard>"));
        }
        let mut keywords = vec![self.severity.as_str(), self.monitor_type.as_str()];
        if !self.event.is_empty() {
            keywords.push(&self.event);
        }
        let thread = self
            .monitor_id
            .as_deref()
            .or(self.pool.as_deref())
            .unwrap_or(&self.alert_id);
        let related: Vec<&str> = [self.monitor_id.as_deref(), self.pool.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let mut context = BTreeMap::new();
        context.insert("alert_id", self.alert_id.as_str());
        context.insert("account", self.account.as_str());
        context.insert("region", self.region.as_str());
        context.insert("severity", self.severity.as_str());
        context.insert("notification_profile", profile);
        let form = Form {
            version: "1.0",
            source: "custom",
            id: &self.alert_id,
            content: Content {
                text_type: "client-markdown",
                title: format!("{} {}", mark(&self.severity), clean(&self.title, 200)),
                description: description(&self.description),
                next_steps,
                keywords,
            },
            metadata: Metadata {
                thread_id: thread,
                summary: &self.title,
                event_type: format!("cognito-watch.{}", self.monitor_type),
                related_resources: related,
                additional_context: context,
            },
        };
        serde_json::to_string(&form)
    }
}
