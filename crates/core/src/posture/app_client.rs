//! App client checks: user existence errors hidden, token revocation on, no plain-HTTP callback
//! other than localhost, refresh tokens within a bound.

use super::{Check, CheckSeverity, Judge, Outcome, PostureSettings};
use crate::inventory::monitor::AppClientDetails;
use crate::inventory::security::Readout;

fn prevent_user_existence_errors(d: &AppClientDetails, _: &PostureSettings) -> Outcome {
    match d.prevent_user_existence_errors.as_deref() {
        Some("ENABLED") => Outcome::pass(),
        setting => Outcome::fail(format!(
            "PreventUserExistenceErrors is {}: sign-in and reset answers tell which users exist",
            setting.unwrap_or("LEGACY")
        )),
    }
}

/// Prowler's user existence check.
pub const PREVENT_USER_EXISTENCE_ERRORS: Check = Check {
    id: "app_client.prevent_user_existence_errors",
    title: "Answers do not reveal whether a user exists",
    severity: CheckSeverity::Medium,
    trail_words: &["preventUserExistenceErrors"],
    references: &["Prowler cognito_user_pool_client_prevent_user_existence_errors"],
    fix: "Set the client's PreventUserExistenceErrors to ENABLED",
    judge: Judge::AppClient(prevent_user_existence_errors),
};

fn token_revocation(d: &AppClientDetails, _: &PostureSettings) -> Outcome {
    if d.enable_token_revocation {
        Outcome::pass()
    } else {
        Outcome::fail("token revocation is off: a leaked refresh token cannot be revoked")
    }
}

/// Prowler's token revocation check.
pub const TOKEN_REVOCATION: Check = Check {
    id: "app_client.token_revocation",
    title: "Refresh tokens can be revoked",
    severity: CheckSeverity::Medium,
    trail_words: &[],
    references: &["Prowler cognito_user_pool_client_token_revocation_enabled"],
    fix: "Set the client's EnableTokenRevocation",
    judge: Judge::AppClient(token_revocation),
};

/// Whether `url` is plain HTTP to a host other than this machine.
fn plain_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    !matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

fn http_callbacks(d: &AppClientDetails, _: &PostureSettings) -> Outcome {
    let plain: Vec<&str> = d
        .callback_urls
        .iter()
        .map(String::as_str)
        .filter(|u| plain_http(u))
        .collect();
    if plain.is_empty() {
        Outcome::pass()
    } else {
        Outcome::fail(format!("plain-HTTP callback URLs: {}", plain.join(", ")))
    }
}

/// The same rule the trail's `risky_configuration` applies to a change.
pub const HTTP_CALLBACKS: Check = Check {
    id: "app_client.http_callbacks",
    title: "No callback URL is plain HTTP, but on localhost",
    severity: CheckSeverity::High,
    trail_words: &["plain-HTTP callback URL"],
    references: &["cognito-watch risky_configuration"],
    fix: "Use https:// callback URLs (http:// is allowed for localhost only)",
    judge: Judge::AppClient(http_callbacks),
};

/// A validity such as `30 days` or `60 minutes`, in days.
fn days(validity: &str) -> Option<f64> {
    let (n, unit) = validity.split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let per_day = match unit {
        "seconds" => 86_400.0,
        "minutes" => 1_440.0,
        "hours" => 24.0,
        "days" => 1.0,
        _ => return None,
    };
    Some(n / per_day)
}

fn refresh_token_validity(d: &AppClientDetails, s: &PostureSettings) -> Outcome {
    // Cognito's default is 30 days when the client sets none.
    let validity = d.refresh_token_validity.as_deref().unwrap_or("30 days");
    match days(validity) {
        Some(v) if v <= f64::from(s.max_refresh_token_days) => Outcome::pass(),
        Some(_) => Outcome::fail(format!(
            "refresh tokens are valid {validity} (the bound is {} days)",
            s.max_refresh_token_days
        )),
        None => Outcome::unknown(format!("a validity this version cannot read: {validity}")),
    }
}

/// A bound the operator sets (`max_refresh_token_days`, default 30: Cognito's default).
pub const REFRESH_TOKEN_VALIDITY: Check = Check {
    id: "app_client.refresh_token_validity",
    title: "Refresh tokens expire within the configured bound",
    severity: CheckSeverity::Low,
    trail_words: &[],
    references: &["cognito-watch posture settings"],
    fix: "Lower the client's RefreshTokenValidity, or raise the bound with a recorded reason",
    judge: Judge::AppClient(refresh_token_validity),
};

fn risk_actions(d: &AppClientDetails, _: &PostureSettings) -> Outcome {
    match &d.risk_actions {
        None => Outcome::Pass {
            note: Some(
                "the pool's risk configuration applies (user_pool.risk_actions); a client's \
                 own is read when the pool's threat protection is on"
                    .into(),
            ),
        },
        Some(Readout::Answered { value: None }) => Outcome::Pass {
            note: Some("no risk configuration of its own: the pool's applies".into()),
        },
        Some(Readout::Answered {
            value: Some(actions),
        }) => {
            let weak = super::user_pool::weak_actions(actions);
            if weak.is_empty() {
                Outcome::Pass {
                    note: Some("its own risk configuration blocks both".into()),
                }
            } else {
                Outcome::fail(format!(
                    "its own risk configuration overrides the pool's: {}",
                    weak.join("; ")
                ))
            }
        }
        Some(Readout::Refused { reason }) => Outcome::unknown(format!(
            "DescribeRiskConfiguration (ClientId) was refused: {reason}"
        )),
    }
}

/// Prowler's risk-action checks, for a client whose own risk configuration overrides the
/// pool's.
pub const RISK_ACTIONS: Check = Check {
    id: "app_client.risk_actions",
    title: "A client's own risk configuration blocks high-risk account takeover and compromised credentials",
    severity: CheckSeverity::Medium,
    trail_words: &[],
    references: &[
        "Prowler cognito_user_pool_blocks_potential_malicious_sign_in_attempts",
        "Prowler cognito_user_pool_blocks_compromised_credentials_sign_in_attempts",
    ],
    fix: "SetRiskConfiguration with the ClientId: BLOCK for high-risk account takeover and compromised credentials, or remove the client's own configuration so the pool's applies",
    judge: Judge::AppClient(risk_actions),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(check: &Check, d: &AppClientDetails) -> Outcome {
        match check.judge {
            Judge::AppClient(f) => f(d, &PostureSettings::default()),
            _ => panic!("{} is not an app client check", check.id),
        }
    }

    fn hardened() -> AppClientDetails {
        AppClientDetails {
            prevent_user_existence_errors: Some("ENABLED".into()),
            enable_token_revocation: true,
            callback_urls: vec![
                "https://shop.example.com/callback".into(),
                "http://localhost:3000/callback".into(),
                "http://127.0.0.1/cb".into(),
            ],
            refresh_token_validity: Some("30 days".into()),
            ..AppClientDetails::default()
        }
    }

    #[test]
    fn a_hardened_client_passes() {
        for c in [
            PREVENT_USER_EXISTENCE_ERRORS,
            TOKEN_REVOCATION,
            HTTP_CALLBACKS,
            REFRESH_TOKEN_VALIDITY,
        ] {
            assert_eq!(judged(&c, &hardened()), Outcome::pass(), "{}", c.id);
        }
    }

    #[test]
    fn each_weakness_fails_with_what_it_found() {
        let mut d = hardened();
        d.prevent_user_existence_errors = None;
        d.enable_token_revocation = false;
        d.callback_urls
            .push("http://shop.example.com:8080/cb".into());
        d.callback_urls
            .push("http://localhost.evil.example/cb".into());
        d.refresh_token_validity = Some("3650 days".into());
        assert_eq!(
            judged(&PREVENT_USER_EXISTENCE_ERRORS, &d),
            Outcome::fail(
                "PreventUserExistenceErrors is LEGACY: sign-in and reset answers tell which \
                 users exist"
            )
        );
        assert!(matches!(
            judged(&TOKEN_REVOCATION, &d),
            Outcome::Fail { .. }
        ));
        assert_eq!(
            judged(&HTTP_CALLBACKS, &d),
            Outcome::fail(
                "plain-HTTP callback URLs: http://shop.example.com:8080/cb, \
                 http://localhost.evil.example/cb"
            )
        );
        assert_eq!(
            judged(&REFRESH_TOKEN_VALIDITY, &d),
            Outcome::fail("refresh tokens are valid 3650 days (the bound is 30 days)")
        );
    }

    #[test]
    fn validities_read_in_every_unit() {
        assert_eq!(days("60 minutes"), Some(60.0 / 1_440.0));
        assert_eq!(days("12 hours"), Some(0.5));
        assert_eq!(days("86400 seconds"), Some(1.0));
        assert_eq!(days("30 days"), Some(30.0));
        assert_eq!(days("30 fortnights"), None);
    }
}
