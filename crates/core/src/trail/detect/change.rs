//! Configuration changes read from a CloudTrail request: which are worth an alert, and which
//! weaken security.

use super::*;
use crate::text::{clean, clean_masked};
use crate::trail::record::{CloudTrailRecord, RequestParameters};

/// The configuration changes worth an alert (and a re-inventory of the pool).
pub const RISKY_CHANGES: [&str; 13] = [
    "UpdateUserPool",
    "SetUserPoolMfaConfig",
    "CreateUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPool",
    "DeleteUserPoolClient",
    "CreateIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "SetRiskConfiguration",
    "UpdateIdentityPool",
    "SetIdentityPoolRoles",
    "DeleteIdentityPool",
];

/// Who made a change (`userIdentity`'s ARN, principal or type; masked: an SSO session name is
/// often the person's email address) and what it targets (ids as they are, cleaned; names a
/// person chose masked).
fn who_and_target(r: &CloudTrailRecord) -> (String, String) {
    let identity = r.user_identity.get();
    let who = identity
        .and_then(|u| {
            u.arn
                .raw()
                .or(u.principal_id.raw())
                .or(u.identity_type.raw())
        })
        .unwrap_or("unknown");
    let params = r.request_parameters.get();
    let field = |k: for<'p> fn(&'p RequestParameters<'_>) -> Option<&'p str>| params.and_then(k);
    let target = [
        field(|p| p.user_pool_id.raw()).map(|v| clean(v, 64)),
        field(|p| p.client_id.raw())
            .map(|v| clean(v, 128))
            .or(field(|p| p.client_name.raw()).map(|v| clean_masked(v, 128))),
        field(|p| p.provider_name.raw()).map(|v| clean_masked(v, 128)),
        field(|p| p.identity_pool_id.raw()).map(|v| clean(v, 64)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    (clean_masked(who, 256), clean(&target, 256))
}

/// A configuration change worth an alert: who (userIdentity), from where, what.
pub fn configuration_change(r: &CloudTrailRecord) -> Option<Finding> {
    if !r.is_cognito() || !RISKY_CHANGES.contains(&&*r.event_name) || r.failure().is_some() {
        return None;
    }
    let (who, target) = who_and_target(r);
    Some(Finding::of_record(
        r,
        r.user_pool_id().map(str::to_string),
        Detection::ConfigurationChange {
            event_name: r.event_name.to_string(),
            who,
            source_ip: r.source_ip_address.as_deref().map(str::to_string),
            target,
            event_id: r.event_id.to_string(),
        },
    ))
}

/// What a successful change weakens, judged on its request parameters (AWS's parameter
/// names): unauthenticated identities allowed, MFA off, user existence errors back to LEGACY,
/// threat protection off, deletion protection off, a plain-HTTP callback URL that is not
/// localhost, the client_credentials flow granted.
pub fn weakened(r: &CloudTrailRecord) -> Vec<String> {
    let Some(p) = r.request_parameters.get() else {
        return Vec::new();
    };
    fn text<'t>(v: &'t crate::trail::lenient::Text<'_>) -> &'t str {
        v.raw().unwrap_or_default()
    }
    let mut out = Vec::new();
    let name = &*r.event_name;
    if matches!(name, "CreateIdentityPool" | "UpdateIdentityPool")
        && p.allow_unauthenticated_identities.0 == Some(true)
    {
        out.push("allowUnauthenticatedIdentities set to true (guests get AWS credentials)".into());
    }
    if matches!(name, "SetUserPoolMfaConfig" | "UpdateUserPool")
        && text(&p.mfa_configuration) == "OFF"
    {
        out.push("MFA (mfaConfiguration) set to OFF".into());
    }
    if name == "UpdateUserPool" {
        if text(&p.deletion_protection) == "INACTIVE" {
            out.push("deletionProtection set to INACTIVE".into());
        }
        let mode = p
            .user_pool_add_ons
            .get()
            .and_then(|a| a.advanced_security_mode.raw());
        if mode == Some("OFF") {
            out.push("threat protection (userPoolAddOns.advancedSecurityMode) set to OFF".into());
        }
    }
    if matches!(name, "CreateUserPoolClient" | "UpdateUserPoolClient") {
        if text(&p.prevent_user_existence_errors) == "LEGACY" {
            out.push("preventUserExistenceErrors set to LEGACY (reveals which users exist)".into());
        }
        let list = |l: &crate::trail::lenient::Strings<'_>| -> Vec<String> {
            l.0.iter().map(|s| clean(s, 200)).collect()
        };
        for url in list(&p.callback_urls) {
            let plain = url.to_ascii_lowercase();
            let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
                .iter()
                .any(|l| plain.starts_with(l));
            if plain.starts_with("http://") && !local {
                out.push(format!("plain-HTTP callback URL {url} allowed"));
            }
        }
        if list(&p.allowed_oauth_flows)
            .iter()
            .any(|f| f == "client_credentials")
        {
            out.push("client_credentials flow (machine-to-machine tokens) allowed".into());
        }
    }
    out
}

/// A successful configuration change that weakens security (critical), beside the generic
/// configuration change.
pub fn risky_configuration(r: &CloudTrailRecord) -> Option<Finding> {
    if !r.is_cognito() || r.failure().is_some() {
        return None;
    }
    let weakened = weakened(r);
    if weakened.is_empty() {
        return None;
    }
    let (who, target) = who_and_target(r);
    Some(Finding::of_record(
        r,
        r.user_pool_id()
            .or_else(|| r.identity_pool_id())
            .map(str::to_string),
        Detection::RiskyConfiguration {
            event_name: r.event_name.to_string(),
            who,
            source_ip: r.source_ip_address.as_deref().map(str::to_string),
            target,
            weakened,
            event_id: r.event_id.to_string(),
        },
    ))
}
