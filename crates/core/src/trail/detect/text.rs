//! What a detection says: its title and the facts of its message.

use super::*;

impl Detection {
    /// A short title: what and where from.
    pub fn title(&self) -> String {
        match self {
            Detection::BruteForce { ip, .. } => format!("Brute force from {ip}"),
            Detection::AccountEnumeration { ip, .. } => format!("Account enumeration from {ip}"),
            Detection::CredentialStuffing { ip, .. } => format!("Credential stuffing from {ip}"),
            Detection::PoolFailureSpike { .. } => "Sign-in failure spike".to_string(),
            Detection::PasswordResetAbuse { ip: Some(ip), .. } => {
                format!("Password reset abuse from {ip}")
            }
            Detection::PasswordResetAbuse { ip: None, .. } => "Password reset spike".to_string(),
            Detection::M2mAnomaly { client_id, .. } => {
                format!("M2M token spike on client {client_id}")
            }
            Detection::M2mNewSource {
                client_id, network, ..
            } => format!("M2M client {client_id} from a new network {network}"),
            Detection::CallbackMismatch { client_id, .. } => {
                format!("Callback URL mismatches on client {client_id}")
            }
            Detection::ConfigurationChange { event_name, .. } => {
                format!("Configuration change {event_name}")
            }
            Detection::RiskyConfiguration { event_name, .. } => {
                format!("Security weakened by {event_name}")
            }
            Detection::UnauthenticatedCredentials { identity_pool, .. } => {
                format!("Unauthenticated credentials from {identity_pool}")
            }
            Detection::IdentityPoolEnumeration { source, .. } => {
                format!("Identity pool enumeration by {source}")
            }
            Detection::RiskySignIn { risk_decision, .. } => format!(
                "Risky sign-in ({})",
                risk_decision.as_deref().unwrap_or("high risk")
            ),
        }
    }

    /// What was seen, against which threshold, one fact per line.
    pub fn facts(&self) -> Vec<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        match self {
            Detection::ConfigurationChange {
                event_name,
                who,
                source_ip,
                target,
                event_id,
            } => change_facts(event_name, target, &[], who, source_ip, event_id),
            Detection::RiskyConfiguration {
                event_name,
                who,
                source_ip,
                target,
                weakened,
                event_id,
            } => change_facts(event_name, target, weakened, who, source_ip, event_id),
            Detection::UnauthenticatedCredentials {
                identity_pool,
                ip,
                quiet_days,
                event_id,
            } => vec![
                format!(
                    "GetCredentialsForIdentity succeeded for an unauthenticated caller (userIdentity.type Unknown) on {identity_pool} from {}",
                    opt(ip)
                ),
                format!("the first time in {quiet_days} days on this identity pool"),
                format!("CloudTrail event {event_id}"),
            ],
            Detection::IdentityPoolEnumeration {
                source,
                how:
                    Enumeration::Reads {
                        event_name,
                        identity_pool,
                        ip,
                        quiet_days,
                        event_id,
                    },
            } => vec![
                format!(
                    "{event_name}{} by {source} from {}",
                    identity_pool
                        .as_deref()
                        .map(|p| format!(" on {p}"))
                        .unwrap_or_default(),
                    opt(ip)
                ),
                format!("the first time in {quiet_days} days this principal read identity pools"),
                format!("CloudTrail event {event_id}"),
            ],
            Detection::RiskySignIn {
                user_sub,
                client_id,
                ip,
                event_type,
                event_response,
                risk_level,
                risk_decision,
                compromised_credentials,
                location,
                event_id,
            } => vec![
                format!(
                    "{} ({}) by user sub {} via client {}",
                    opt(event_type),
                    opt(event_response),
                    opt(user_sub),
                    opt(client_id)
                ),
                format!(
                    "risk level {}, decision {}, compromised credentials {}",
                    opt(risk_level),
                    opt(risk_decision),
                    if *compromised_credentials { "yes" } else { "no" }
                ),
                format!("from {} ({})", opt(ip), opt(location)),
                format!("activity event {}", opt(event_id)),
            ],
            _ => self.window_facts(),
        }
    }

    /// The facts of a detection judged on a window's totals.
    fn window_facts(&self) -> Vec<String> {
        match self {
            Detection::BruteForce {
                ip,
                failures,
                threshold,
            } => vec![format!(
                "{failures} failed requests from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::AccountEnumeration {
                ip,
                user_not_found,
                threshold,
            } => vec![format!(
                "{user_not_found} UserNotFoundException from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::CredentialStuffing {
                ip,
                distinct_subs,
                threshold,
            } => vec![format!(
                "about {distinct_subs} distinct users failing from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::PoolFailureSpike {
                attempts,
                failures,
                rate_percent,
                threshold_percent,
            } => vec![format!(
                "{failures} of {attempts} sign-in attempts failed ({rate_percent:.1}%, threshold > {threshold_percent}%)"
            )],
            Detection::CallbackMismatch {
                client_id,
                refused,
                threshold,
            } => vec![format!(
                "{refused} OAuth requests of {client_id} refused for their redirect in 5 minutes (threshold > {threshold}): a misconfigured callback URL, or redirect URI manipulation"
            )],
            Detection::M2mNewSource {
                client_id,
                network,
                ip,
                usual,
            } => vec![
                format!("client_credentials token requests by {client_id} from {ip} ({network})"),
                format!("its usual networks: {}", usual.join(", ")),
            ],
            Detection::PasswordResetAbuse {
                ip: Some(ip),
                requests,
                threshold,
                ..
            } => vec![format!(
                "{requests} password reset requests from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::PasswordResetAbuse {
                ip: None,
                requests,
                baseline,
                multiple,
                ..
            } => vec![format!(
                "{requests} password reset requests in 5 minutes; trailing baseline {:.1} per window (alert above {multiple}x)",
                baseline.unwrap_or(0.0)
            )],
            Detection::M2mAnomaly {
                client_id,
                requests,
                baseline,
                cap,
                multiple,
            } => vec![format!(
                "{requests} client_credentials token requests by {client_id} in 5 minutes (cap {cap}; trailing baseline {baseline:.1} per window, alert above {multiple}x)"
            )],
            Detection::IdentityPoolEnumeration {
                source,
                how:
                    Enumeration::GuestCalls {
                        identity_pools,
                        requests,
                        failures,
                        threshold,
                    },
            } => vec![format!(
                "GetId / GetCredentialsForIdentity on about {identity_pools} distinct identity pools from {source} in 5 minutes ({requests} requests, {failures} failed; threshold {threshold} pools)"
            )],
            _ => Vec::new(),
        }
    }
}

/// A configuration change's facts: the call and its target, what it weakened, who made it
/// from where, and its CloudTrail event.
fn change_facts(
    event_name: &str,
    target: &str,
    weakened: &[String],
    who: &str,
    source_ip: &Option<String>,
    event_id: &str,
) -> Vec<String> {
    let mut facts = vec![format!("{event_name} on {target}")];
    facts.extend(weakened.iter().cloned());
    let from = source_ip.as_deref().unwrap_or("-");
    facts.push(format!("by {who} from {from}"));
    facts.push(format!("CloudTrail event {event_id}"));
    facts
}
