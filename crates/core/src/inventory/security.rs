//! What the inventory reads of a user pool's security configuration, for the posture checks:
//! the password policy, threat protection's modes and risk actions, the admin-create-only flag,
//! the MFA configuration, the log export and the WAF web ACL. A call the account refuses is kept
//! as refused, so the checks that need it are unknown, never passed.

use serde::{Deserialize, Serialize};

/// What a call the account may refuse returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "read", rename_all = "snake_case")]
pub enum Readout<T> {
    /// The answer.
    Answered {
        /// What it said.
        value: T,
    },
    /// The call was refused (AccessDenied, not available in the region or plan).
    Refused {
        /// The error, as the service gave it.
        reason: String,
    },
}

impl<T> Readout<T> {
    /// The answer changed by `f`; a refusal stays one.
    pub fn map_answer<U>(self, f: impl FnOnce(T) -> U) -> Readout<U> {
        match self {
            Readout::Answered { value } => Readout::Answered { value: f(value) },
            Readout::Refused { reason } => Readout::Refused { reason },
        }
    }
}

/// `Policies.PasswordPolicy` of DescribeUserPool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// `MinimumLength`.
    pub minimum_length: u32,
    /// `RequireUppercase`.
    pub require_uppercase: bool,
    /// `RequireLowercase`.
    pub require_lowercase: bool,
    /// `RequireNumbers`.
    pub require_numbers: bool,
    /// `RequireSymbols`.
    pub require_symbols: bool,
    /// `TemporaryPasswordValidityDays`.
    pub temporary_password_validity_days: u32,
}

/// GetUserPoolMfaConfig's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaConfig {
    /// `MfaConfiguration`: OFF, ON or OPTIONAL.
    pub mode: String,
    /// TOTP (authenticator apps) is on.
    pub totp: bool,
    /// SMS is on.
    pub sms: bool,
    /// Email is on.
    pub email: bool,
}

/// DescribeRiskConfiguration's actions, as threat protection takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskActions {
    /// The account-takeover action at high risk: BLOCK, MFA_IF_CONFIGURED, MFA_REQUIRED or
    /// NO_ACTION; none when no account-takeover configuration is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_takeover_high: Option<String>,
    /// The compromised-credentials action: BLOCK or NO_ACTION; none when not configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compromised_credentials: Option<String>,
}

/// What a user pool's security configuration holds, beyond DescribeUserPool's basics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolSecurity {
    /// The password policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<PasswordPolicy>,
    /// `UserPoolAddOns.AdvancedSecurityMode`: OFF, AUDIT or ENFORCED (standard sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_protection: Option<String>,
    /// `UserPoolAddOns.AdvancedSecurityAdditionalFlows.CustomAuthMode`: AUDIT or ENFORCED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_protection_custom_auth: Option<String>,
    /// `AdminCreateUserConfig.AllowAdminCreateUserOnly`: users cannot sign themselves up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_create_user_only: Option<bool>,
    /// GetUserPoolMfaConfig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<Readout<MfaConfig>>,
    /// DescribeRiskConfiguration (the pool's own, not a client's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_actions: Option<Readout<RiskActions>>,
    /// GetLogDeliveryConfiguration: whether user activity logs are exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_log_export: Option<Readout<bool>>,
    /// WAFv2 GetWebACLForResource: the web ACL's ARN, or none associated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_acl: Option<Readout<Option<String>>>,
}
