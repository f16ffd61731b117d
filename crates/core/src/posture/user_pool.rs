//! User pool checks: threat protection (Security Hub Cognito.1 and Cognito.4), the password
//! policy (Cognito.3, and Prowler's length of 14), MFA (Cognito.5), deletion protection
//! (Cognito.6), risk actions, self-registration, a WAF web ACL, activity log export and the
//! feature plan.

use super::{Check, CheckSeverity, Judge, Outcome, PostureSettings};
use crate::inventory::monitor::UserPoolDetails;
use crate::inventory::security::{PoolSecurity, Readout, RiskActions};

/// `judge` of the security inputs, or unknown when they are not read yet.
fn with_security(d: &UserPoolDetails, judge: impl FnOnce(&PoolSecurity) -> Outcome) -> Outcome {
    match &d.security {
        Some(s) => judge(s),
        None => Outcome::unknown("not read yet: the next inventory reads it"),
    }
}

/// An answer, or the outcome of not having one.
fn answered<'a, T>(r: &'a Option<Readout<T>>, call: &str) -> Result<&'a T, Outcome> {
    match r {
        Some(Readout::Answered { value }) => Ok(value),
        Some(Readout::Refused { reason }) => {
            Err(Outcome::unknown(format!("{call} was refused: {reason}")))
        }
        None => Err(Outcome::unknown(format!("{call} not read yet"))),
    }
}

/// Why a feature needs the Plus plan, when the pool is not on it.
fn plan_note(d: &UserPoolDetails) -> String {
    match tier(d) {
        "PLUS" => String::new(),
        tier => format!(" (it needs the Plus feature plan; this pool is on {tier})"),
    }
}

/// The pool's feature plan; absent, AWS's default, ESSENTIALS.
fn tier(d: &UserPoolDetails) -> &str {
    d.user_pool_tier.as_deref().unwrap_or("ESSENTIALS")
}

fn threat_protection(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| match s.threat_protection.as_deref() {
        Some("ENFORCED") => Outcome::pass(),
        mode => Outcome::fail(format!(
            "threat protection for standard sign-in is {}{}",
            mode.unwrap_or("OFF"),
            plan_note(d)
        )),
    })
}

/// Security Hub Cognito.1.
pub const THREAT_PROTECTION: Check = Check {
    id: "user_pool.threat_protection",
    title: "Threat protection enforces its actions for standard sign-in (full function)",
    severity: CheckSeverity::Medium,
    trail_words: &["advancedSecurityMode"],
    references: &[
        "Security Hub Cognito.1",
        "AWS Config cognito-user-pool-advanced-security-enabled",
    ],
    fix: "On the Plus plan, set threat protection for standard authentication to full function \
          (AdvancedSecurityMode ENFORCED) and choose its risk actions",
    judge: Judge::UserPool(threat_protection),
};

fn threat_protection_custom_auth(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| match s.threat_protection_custom_auth.as_deref() {
        Some("ENFORCED") => Outcome::pass(),
        mode => Outcome::fail(format!(
            "threat protection for custom authentication is {}{}",
            mode.unwrap_or("not set"),
            plan_note(d)
        )),
    })
}

/// Security Hub Cognito.4.
pub const THREAT_PROTECTION_CUSTOM_AUTH: Check = Check {
    id: "user_pool.threat_protection_custom_auth",
    title: "Threat protection enforces its actions for custom authentication (full function)",
    severity: CheckSeverity::Medium,
    trail_words: &["advancedSecurityMode"],
    references: &[
        "Security Hub Cognito.4",
        "AWS Config cognito-userpool-cust-auth-threat-full-check",
    ],
    fix: "Set AdvancedSecurityAdditionalFlows.CustomAuthMode to ENFORCED (Plus plan)",
    judge: Judge::UserPool(threat_protection_custom_auth),
};

fn password_policy(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| {
        let Some(p) = &s.password_policy else {
            return Outcome::unknown("DescribeUserPool gave no password policy");
        };
        let mut short = Vec::new();
        if p.minimum_length < 8 {
            short.push(format!("minimum length {} (at least 8)", p.minimum_length));
        }
        for (required, what) in [
            (p.require_uppercase, "uppercase"),
            (p.require_lowercase, "lowercase"),
            (p.require_numbers, "numbers"),
            (p.require_symbols, "symbols"),
        ] {
            if !required {
                short.push(format!("{what} not required"));
            }
        }
        if p.temporary_password_validity_days > 7 {
            short.push(format!(
                "temporary passwords valid {} days (at most 7)",
                p.temporary_password_validity_days
            ));
        }
        if short.is_empty() {
            Outcome::pass()
        } else {
            Outcome::fail(short.join("; "))
        }
    })
}

/// Security Hub Cognito.3, with its default parameters.
pub const PASSWORD_POLICY: Check = Check {
    id: "user_pool.password_policy",
    title: "The password policy requires 8 characters, upper and lower case, numbers and \
            symbols, and temporary passwords expire within 7 days",
    severity: CheckSeverity::Medium,
    trail_words: &[],
    references: &[
        "Security Hub Cognito.3",
        "AWS Config cognito-userpool-password-policy-check",
    ],
    fix: "Raise the pool's password policy (Policies.PasswordPolicy) to these requirements",
    judge: Judge::UserPool(password_policy),
};

fn password_length_14(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| match &s.password_policy {
        Some(p) if p.minimum_length >= 14 => Outcome::pass(),
        Some(p) => Outcome::fail(format!("minimum length {}", p.minimum_length)),
        None => Outcome::unknown("DescribeUserPool gave no password policy"),
    })
}

/// Prowler's stricter length.
pub const PASSWORD_LENGTH_14: Check = Check {
    id: "user_pool.password_length_14",
    title: "Passwords are at least 14 characters long",
    severity: CheckSeverity::Low,
    trail_words: &[],
    references: &["Prowler cognito_user_pool_password_policy_minimum_length_14"],
    fix: "Set the password policy's MinimumLength to 14 or more",
    judge: Judge::UserPool(password_length_14),
};

fn mfa(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    match d.mfa_configuration.as_deref() {
        Some("ON") => Outcome::pass(),
        Some("OPTIONAL") => Outcome::Pass {
            note: Some("MFA is optional: each user chooses whether to set it up".into()),
        },
        Some(mode) => Outcome::fail(format!("MFA is {mode}")),
        None => Outcome::unknown("DescribeUserPool gave no MfaConfiguration"),
    }
}

/// Security Hub Cognito.5: MFA required passes, optional passes with a note.
pub const MFA: Check = Check {
    id: "user_pool.mfa",
    title: "Multi-factor authentication is on (required, or optional with a note)",
    severity: CheckSeverity::Medium,
    trail_words: &["mfaConfiguration"],
    references: &[
        "Security Hub Cognito.5",
        "AWS Config cognito-userpool-mfa-enabled",
        "cfn-nag F78",
        "cdk-nag COG2",
    ],
    fix: "Turn MFA on (SetUserPoolMfaConfig MfaConfiguration ON, or OPTIONAL) with TOTP or email",
    judge: Judge::UserPool(mfa),
};

fn deletion_protection(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    // Absent, it is AWS's default: INACTIVE.
    match d.deletion_protection.as_deref() {
        Some("ACTIVE") => Outcome::pass(),
        state => Outcome::fail(format!(
            "deletion protection is {}",
            state.unwrap_or("INACTIVE (the default)")
        )),
    }
}

/// Security Hub Cognito.6.
pub const DELETION_PROTECTION: Check = Check {
    id: "user_pool.deletion_protection",
    title: "Deletion protection is active",
    severity: CheckSeverity::Medium,
    trail_words: &["deletionProtection"],
    references: &[
        "Security Hub Cognito.6",
        "AWS Config cognito-userpool-deletion-protection-enabled",
    ],
    fix: "Set the pool's DeletionProtection to ACTIVE",
    judge: Judge::UserPool(deletion_protection),
};

/// What risk actions fall short of BLOCK for high-risk account takeover and for compromised
/// credentials (Prowler's two checks), one entry each.
pub(super) fn weak_actions(actions: &RiskActions) -> Vec<String> {
    let mut weak = Vec::new();
    match actions.account_takeover_high.as_deref() {
        Some("BLOCK") => {}
        other => weak.push(format!(
            "high-risk account takeover: {}",
            other.unwrap_or("no action")
        )),
    }
    match actions.compromised_credentials.as_deref() {
        Some("BLOCK") => {}
        other => weak.push(format!(
            "compromised credentials: {}",
            other.unwrap_or("no action")
        )),
    }
    weak
}

fn risk_actions(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| {
        if s.threat_protection.as_deref().unwrap_or("OFF") == "OFF" {
            return Outcome::fail(format!(
                "threat protection is off: no risk action is taken{}",
                plan_note(d)
            ));
        }
        let actions = match answered(&s.risk_actions, "DescribeRiskConfiguration") {
            Ok(a) => a,
            Err(o) => return o,
        };
        let weak = weak_actions(actions);
        if weak.is_empty() {
            Outcome::pass()
        } else {
            Outcome::fail(weak.join("; "))
        }
    })
}

/// Prowler's two risk-action checks, the pool's own configuration (a client's own risk
/// configuration, where set, overrides it for that client).
pub const RISK_ACTIONS: Check = Check {
    id: "user_pool.risk_actions",
    title: "Threat protection blocks high-risk account takeover and compromised credentials",
    severity: CheckSeverity::Medium,
    trail_words: &[],
    references: &[
        "Prowler cognito_user_pool_blocks_potential_malicious_sign_in_attempts",
        "Prowler cognito_user_pool_blocks_compromised_credentials_sign_in_attempts",
    ],
    fix: "SetRiskConfiguration: BLOCK for high-risk account takeover and for compromised \
          credentials",
    judge: Judge::UserPool(risk_actions),
};

fn self_registration(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| match s.admin_create_user_only {
        Some(true) => Outcome::pass(),
        Some(false) => Outcome::fail("anyone can sign up (AllowAdminCreateUserOnly is false)"),
        None => Outcome::unknown("DescribeUserPool gave no AdminCreateUserConfig"),
    })
}

/// Prowler's self-registration check: informational (many pools sign up their users).
pub const SELF_REGISTRATION: Check = Check {
    id: "user_pool.self_registration",
    title: "Only administrators create users (self-registration off)",
    severity: CheckSeverity::Informational,
    trail_words: &[],
    references: &["Prowler cognito_user_pool_self_registration_disabled"],
    fix: "If users should not sign themselves up, set AllowAdminCreateUserOnly",
    judge: Judge::UserPool(self_registration),
};

fn waf(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| match answered(&s.web_acl, "GetWebACLForResource") {
        Ok(Some(_)) => Outcome::pass(),
        Ok(None) => Outcome::fail("no AWS WAF web ACL is associated"),
        Err(o) => o,
    })
}

/// Prowler's WAF check.
pub const WAF: Check = Check {
    id: "user_pool.waf",
    title: "An AWS WAF web ACL is associated with the pool",
    severity: CheckSeverity::Medium,
    trail_words: &[],
    references: &["Prowler cognito_user_pool_waf_acl_attached"],
    fix: "Associate a regional AWS WAF web ACL with the user pool",
    judge: Judge::UserPool(waf),
};

fn activity_log_export(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    with_security(d, |s| {
        match answered(&s.activity_log_export, "GetLogDeliveryConfiguration") {
            Ok(true) => Outcome::pass(),
            Ok(false) => Outcome::fail(format!(
                "user activity logs are not exported: risky_sign_in cannot fire{}",
                plan_note(d)
            )),
            Err(o) => o,
        }
    })
}

/// What cognito-watch's `risky_sign_in` detection needs.
pub const ACTIVITY_LOG_EXPORT: Check = Check {
    id: "user_pool.activity_log_export",
    title: "User activity logs are exported (threat protection's risk decisions)",
    severity: CheckSeverity::Low,
    trail_words: &[],
    references: &["cognito-watch risky_sign_in"],
    fix: "SetLogDeliveryConfiguration: userAuthEvents at INFO to the log group the trail \
          function reads (Plus plan)",
    judge: Judge::UserPool(activity_log_export),
};

fn feature_plan(d: &UserPoolDetails, _: &PostureSettings) -> Outcome {
    let note = match tier(d) {
        "PLUS" => "Plus: threat protection and user activity log export are available",
        "ESSENTIALS" => "Essentials: threat protection and user activity log export need Plus",
        "LITE" => "Lite: threat protection, log export and newer features need Plus",
        _ => "a plan this version does not know",
    };
    Outcome::Pass {
        note: Some(note.into()),
    }
}

/// The feature plan and what it implies (Site24x7's licensing column, made useful).
pub const FEATURE_PLAN: Check = Check {
    id: "user_pool.feature_plan",
    title: "The feature plan and what it allows",
    severity: CheckSeverity::Informational,
    trail_words: &[],
    references: &["UserPoolTier"],
    fix: "Choose the plan whose features the pool needs",
    judge: Judge::UserPool(feature_plan),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::security::{PasswordPolicy, RiskActions};

    fn hardened() -> UserPoolDetails {
        UserPoolDetails {
            mfa_configuration: Some("ON".into()),
            deletion_protection: Some("ACTIVE".into()),
            user_pool_tier: Some("PLUS".into()),
            security: Some(PoolSecurity {
                password_policy: Some(PasswordPolicy {
                    minimum_length: 14,
                    require_uppercase: true,
                    require_lowercase: true,
                    require_numbers: true,
                    require_symbols: true,
                    temporary_password_validity_days: 7,
                }),
                threat_protection: Some("ENFORCED".into()),
                threat_protection_custom_auth: Some("ENFORCED".into()),
                admin_create_user_only: Some(true),
                mfa: None,
                risk_actions: Some(Readout::Answered {
                    value: RiskActions {
                        account_takeover_high: Some("BLOCK".into()),
                        compromised_credentials: Some("BLOCK".into()),
                    },
                }),
                activity_log_export: Some(Readout::Answered { value: true }),
                web_acl: Some(Readout::Answered {
                    value: Some("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/1".into()),
                }),
            }),
            ..UserPoolDetails::default()
        }
    }

    fn outcome(check: &Check, d: &UserPoolDetails) -> Outcome {
        match check.judge {
            Judge::UserPool(f) => f(d, &PostureSettings::default()),
            _ => panic!("{} is not a user pool check", check.id),
        }
    }

    const ALL: [Check; 11] = [
        THREAT_PROTECTION,
        THREAT_PROTECTION_CUSTOM_AUTH,
        PASSWORD_POLICY,
        PASSWORD_LENGTH_14,
        MFA,
        DELETION_PROTECTION,
        RISK_ACTIONS,
        SELF_REGISTRATION,
        WAF,
        ACTIVITY_LOG_EXPORT,
        FEATURE_PLAN,
    ];

    #[test]
    fn a_hardened_pool_passes_every_check() {
        let d = hardened();
        for c in ALL {
            assert!(
                matches!(outcome(&c, &d), Outcome::Pass { .. }),
                "{}: {:?}",
                c.id,
                outcome(&c, &d)
            );
        }
    }

    #[test]
    fn a_pool_not_read_yet_never_passes() {
        let d = UserPoolDetails::default();
        // The feature plan only reports the plan (absent: AWS's default).
        for c in ALL.into_iter().filter(|c| c.id != FEATURE_PLAN.id) {
            assert!(
                !matches!(outcome(&c, &d), Outcome::Pass { .. }),
                "{}: {:?}",
                c.id,
                outcome(&c, &d)
            );
        }
    }

    #[test]
    fn each_weakness_fails_its_check_and_says_what_it_found() {
        let weaken = |f: fn(&mut UserPoolDetails)| {
            let mut d = hardened();
            f(&mut d);
            d
        };
        let cases: Vec<(Check, UserPoolDetails, &str)> = vec![
            (
                THREAT_PROTECTION,
                weaken(|d| {
                    d.user_pool_tier = Some("ESSENTIALS".into());
                    d.security.as_mut().unwrap().threat_protection = Some("AUDIT".into());
                }),
                "threat protection for standard sign-in is AUDIT (it needs the Plus feature plan; this pool is on ESSENTIALS)",
            ),
            (
                THREAT_PROTECTION_CUSTOM_AUTH,
                weaken(|d| d.security.as_mut().unwrap().threat_protection_custom_auth = None),
                "threat protection for custom authentication is not set",
            ),
            (
                PASSWORD_POLICY,
                weaken(|d| {
                    let p = d.security.as_mut().unwrap().password_policy.as_mut().unwrap();
                    p.minimum_length = 6;
                    p.require_symbols = false;
                    p.temporary_password_validity_days = 30;
                }),
                "minimum length 6 (at least 8); symbols not required; temporary passwords valid 30 days (at most 7)",
            ),
            (
                PASSWORD_LENGTH_14,
                weaken(|d| {
                    d.security.as_mut().unwrap().password_policy.as_mut().unwrap().minimum_length = 12
                }),
                "minimum length 12",
            ),
            (MFA, weaken(|d| d.mfa_configuration = Some("OFF".into())), "MFA is OFF"),
            (
                DELETION_PROTECTION,
                weaken(|d| d.deletion_protection = Some("INACTIVE".into())),
                "deletion protection is INACTIVE",
            ),
            (
                RISK_ACTIONS,
                weaken(|d| {
                    d.security.as_mut().unwrap().risk_actions = Some(Readout::Answered {
                        value: RiskActions {
                            account_takeover_high: Some("MFA_IF_CONFIGURED".into()),
                            compromised_credentials: None,
                        },
                    })
                }),
                "high-risk account takeover: MFA_IF_CONFIGURED; compromised credentials: no action",
            ),
            (
                RISK_ACTIONS,
                weaken(|d| d.security.as_mut().unwrap().threat_protection = Some("OFF".into())),
                "threat protection is off: no risk action is taken",
            ),
            (
                SELF_REGISTRATION,
                weaken(|d| d.security.as_mut().unwrap().admin_create_user_only = Some(false)),
                "anyone can sign up (AllowAdminCreateUserOnly is false)",
            ),
            (
                WAF,
                weaken(|d| {
                    d.security.as_mut().unwrap().web_acl = Some(Readout::Answered { value: None })
                }),
                "no AWS WAF web ACL is associated",
            ),
            (
                ACTIVITY_LOG_EXPORT,
                weaken(|d| {
                    d.security.as_mut().unwrap().activity_log_export =
                        Some(Readout::Answered { value: false })
                }),
                "user activity logs are not exported: risky_sign_in cannot fire",
            ),
        ];
        for (check, d, why) in cases {
            assert_eq!(outcome(&check, &d), Outcome::fail(why), "{}", check.id);
            // Only that check fails.
            let failing: Vec<&str> = ALL
                .iter()
                .filter(|c| matches!(outcome(c, &d), Outcome::Fail { .. }))
                .map(|c| c.id)
                .collect();
            assert!(failing.contains(&check.id), "{failing:?}");
        }
    }

    #[test]
    fn a_refused_call_makes_its_check_unknown() {
        let mut d = hardened();
        let s = d.security.as_mut().unwrap();
        s.web_acl = Some(Readout::Refused {
            reason: "AccessDeniedException: not authorized to perform wafv2:GetWebACLForResource"
                .into(),
        });
        assert_eq!(
            outcome(&WAF, &d),
            Outcome::unknown(
                "GetWebACLForResource was refused: AccessDeniedException: not authorized to \
                 perform wafv2:GetWebACLForResource"
            )
        );
    }

    #[test]
    fn optional_mfa_passes_with_a_note() {
        let mut d = hardened();
        d.mfa_configuration = Some("OPTIONAL".into());
        assert!(
            matches!(outcome(&MFA, &d), Outcome::Pass { note: Some(n) } if n.contains("optional"))
        );
    }
}
