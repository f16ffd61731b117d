//! The metric catalogue: every metric of the spec's tables, per monitor kind, with its display
//! name, the statistic the spec names, its unit and where its value comes from.
//!
//! Cognito publishes no "failed" metric. Each `*Successes` request emits one datapoint, 1 on
//! success and 0 on failure, so Sum = successes, SampleCount = requests, and
//! failures = SampleCount - Sum (facts file §1). `*Throttles` is read with Sum.

use crate::inventory::monitor::MonitorKind;

/// A CloudWatch metric family of `AWS/Cognito`: a `<Family>Successes` and a `<Family>Throttles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricFamily {
    /// `SignUpSuccesses` / `SignUpThrottles`.
    SignUp,
    /// `SignInSuccesses` / `SignInThrottles`.
    SignIn,
    /// `TokenRefreshSuccesses` / `TokenRefreshThrottles`.
    TokenRefresh,
    /// `FederationSuccesses` / `FederationThrottles`.
    Federation,
}

impl MetricFamily {
    /// Every family, in the spec's order.
    pub const ALL: [MetricFamily; 4] = [
        MetricFamily::SignUp,
        MetricFamily::SignIn,
        MetricFamily::TokenRefresh,
        MetricFamily::Federation,
    ];

    /// AWS's name stem: `SignIn` for `SignInSuccesses` / `SignInThrottles`.
    pub fn stem(self) -> &'static str {
        match self {
            MetricFamily::SignUp => "SignUp",
            MetricFamily::SignIn => "SignIn",
            MetricFamily::TokenRefresh => "TokenRefresh",
            MetricFamily::Federation => "Federation",
        }
    }

    /// The family's `<Family>Successes` metric name.
    pub fn successes_metric(self) -> &'static str {
        match self {
            MetricFamily::SignUp => "SignUpSuccesses",
            MetricFamily::SignIn => "SignInSuccesses",
            MetricFamily::TokenRefresh => "TokenRefreshSuccesses",
            MetricFamily::Federation => "FederationSuccesses",
        }
    }

    /// The family's `<Family>Throttles` metric name.
    pub fn throttles_metric(self) -> &'static str {
        match self {
            MetricFamily::SignUp => "SignUpThrottles",
            MetricFamily::SignIn => "SignInThrottles",
            MetricFamily::TokenRefresh => "TokenRefreshThrottles",
            MetricFamily::Federation => "FederationThrottles",
        }
    }

    /// Which family a CloudWatch metric name belongs to, and whether it is the throttles half.
    pub fn from_metric_name(name: &str) -> Option<(MetricFamily, bool)> {
        MetricFamily::ALL.into_iter().find_map(|f| {
            if name == f.successes_metric() {
                Some((f, false))
            } else if name == f.throttles_metric() {
                Some((f, true))
            } else {
                None
            }
        })
    }
}

/// Where a catalogue metric's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From the resource's configuration (Describe*/List* calls), e.g. Number of Users.
    Inventory,
    /// `<family>Successes` Sum.
    Successes(MetricFamily),
    /// `<family>Successes` SampleCount.
    Total(MetricFamily),
    /// 100 * Sum / SampleCount of `<family>Successes`.
    SuccessPercentage(MetricFamily),
    /// SampleCount - Sum of `<family>Successes`.
    Failed(MetricFamily),
    /// 100 * (SampleCount - Sum) / SampleCount of `<family>Successes`.
    FailurePercentage(MetricFamily),
    /// `<family>Throttles` Sum.
    Throttles(MetricFamily),
    /// The largest one-minute `<family>Throttles` Sum within the window.
    ThrottlesPeak(MetricFamily),
    /// How many one-minute `<family>Throttles` periods within the window had a Sum above zero
    /// (AWS's recommended throttle alarms: 5 of 5 one-minute datapoints above 0).
    ThrottledMinutes(MetricFamily),
    /// A threat protection metric (Sum), optionally only one RiskLevel.
    Risk(RiskMetric, Option<RiskLevel>),
}

impl MetricDef {
    /// A count of events over the poll's window (a Sum or SampleCount of it), which a
    /// per-minute rate makes comparable across windows of different lengths; not a gauge, a
    /// percentage, a one-minute peak or a count of minutes.
    pub fn counts_the_window(&self) -> bool {
        matches!(
            self.source,
            Source::Successes(_)
                | Source::Total(_)
                | Source::Failed(_)
                | Source::Throttles(_)
                | Source::Risk(..)
        )
    }
}

/// Threat protection (Plus plan) metrics, dimensions Operation, UserPoolId, RiskLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskMetric {
    /// `AccountTakeoverRisk`: sign-ins judged an account takeover risk.
    AccountTakeoverRisk,
    /// `CompromisedCredentialRisk`: sign-ins with compromised credentials.
    CompromisedCredentialRisk,
    /// `OverrideBlock`: requests blocked because of the pool's own configuration.
    OverrideBlock,
    /// `Risk`: requests judged risky.
    Risk,
    /// `NoRisk`: requests judged without risk.
    NoRisk,
}

impl RiskMetric {
    /// Every threat protection metric.
    pub const ALL: [RiskMetric; 5] = [
        RiskMetric::AccountTakeoverRisk,
        RiskMetric::CompromisedCredentialRisk,
        RiskMetric::OverrideBlock,
        RiskMetric::Risk,
        RiskMetric::NoRisk,
    ];

    /// The metric a CloudWatch name stands for. Both spellings seen in sources are accepted
    /// (facts file §1 marks the spelling UNVERIFIED).
    pub fn from_metric_name(name: &str) -> Option<RiskMetric> {
        match name {
            "AccountTakeoverRisk" | "AccountTakeOverRisk" => Some(RiskMetric::AccountTakeoverRisk),
            "CompromisedCredentialRisk" | "CompromisedCredentialsRisk" => {
                Some(RiskMetric::CompromisedCredentialRisk)
            }
            "OverrideBlock" => Some(RiskMetric::OverrideBlock),
            "Risk" => Some(RiskMetric::Risk),
            "NoRisk" => Some(RiskMetric::NoRisk),
            _ => None,
        }
    }
}

/// The `RiskLevel` dimension of a threat protection metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskLevel {
    /// `High`.
    High,
    /// `Medium`.
    Medium,
    /// `Low`.
    Low,
}

impl RiskLevel {
    /// Reads the dimension's value.
    pub fn parse(s: &str) -> Option<RiskLevel> {
        match s {
            "High" => Some(RiskLevel::High),
            "Medium" => Some(RiskLevel::Medium),
            "Low" => Some(RiskLevel::Low),
            _ => None,
        }
    }
}

/// The unit of a catalogue metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count.
    Count,
    /// A percentage.
    Percent,
}

/// One metric of a monitor kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricDef {
    /// Stable key, used in state, thresholds and reports.
    pub id: &'static str,
    /// The spec's display name.
    pub label: &'static str,
    /// The statistic the spec names.
    pub statistic: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// Where its value comes from.
    pub source: Source,
}

macro_rules! family_metrics {
    ($fam:expr, $succ:literal, $succ_label:literal, $total:literal, $total_label:literal,
     $pct:literal, $pct_label:literal, $failed:literal, $failed_label:literal,
     $fpct:literal, $fpct_label:literal, $thr:literal, $thr_label:literal,
     $peak:literal, $peak_label:literal, $mins:literal, $mins_label:literal) => {
        [
            MetricDef {
                id: $succ,
                label: $succ_label,
                statistic: "Sum",
                unit: Unit::Count,
                source: Source::Successes($fam),
            },
            MetricDef {
                id: $total,
                label: $total_label,
                statistic: "SampleCount",
                unit: Unit::Count,
                source: Source::Total($fam),
            },
            MetricDef {
                id: $pct,
                label: $pct_label,
                statistic: "Average",
                unit: Unit::Percent,
                source: Source::SuccessPercentage($fam),
            },
            MetricDef {
                id: $failed,
                label: $failed_label,
                statistic: "SampleCount - Sum",
                unit: Unit::Count,
                source: Source::Failed($fam),
            },
            MetricDef {
                id: $fpct,
                label: $fpct_label,
                statistic: "(SampleCount - Sum) / SampleCount",
                unit: Unit::Percent,
                source: Source::FailurePercentage($fam),
            },
            MetricDef {
                id: $thr,
                label: $thr_label,
                statistic: "Sum",
                unit: Unit::Count,
                source: Source::Throttles($fam),
            },
            MetricDef {
                id: $peak,
                label: $peak_label,
                statistic: "Maximum of 1-minute Sum",
                unit: Unit::Count,
                source: Source::ThrottlesPeak($fam),
            },
            MetricDef {
                id: $mins,
                label: $mins_label,
                statistic: "1-minute periods with Sum > 0",
                unit: Unit::Count,
                source: Source::ThrottledMinutes($fam),
            },
        ]
    };
}

const ADMIN_SIGN_UP: [MetricDef; 8] = family_metrics!(
    MetricFamily::SignUp,
    "AdminSignUpSuccesses",
    "Admin SignUp Successes",
    "AdminSignUpTotal",
    "Total Admin SignUp Request",
    "AdminSignUpSuccessPercentage",
    "Admin Success SignUp Percentage",
    "AdminSignUpFailed",
    "Admin Failed SignUp",
    "AdminSignUpFailurePercentage",
    "Admin SignUp Failure Percentage",
    "AdminSignUpThrottles",
    "Admin SignUp Throttles",
    "AdminSignUpThrottlesPeakMinute",
    "Admin SignUp Throttles (peak minute)",
    "AdminSignUpThrottledMinutes",
    "Admin SignUp Throttled Minutes"
);

const SIGN_UP: [MetricDef; 8] = family_metrics!(
    MetricFamily::SignUp,
    "SignUpSuccesses",
    "Sign Up Successes",
    "SignUpTotal",
    "Total Sign Up Request",
    "SignUpSuccessPercentage",
    "Sign Up Success Percentage",
    "SignUpFailed",
    "Sign Up Failed",
    "SignUpFailurePercentage",
    "Sign Up Failure Percentage",
    "SignUpThrottles",
    "Sign Up Throttles",
    "SignUpThrottlesPeakMinute",
    "Sign Up Throttles (peak minute)",
    "SignUpThrottledMinutes",
    "Sign Up Throttled Minutes"
);

const SIGN_IN: [MetricDef; 8] = family_metrics!(
    MetricFamily::SignIn,
    "SignInSuccesses",
    "Sign In Successes",
    "SignInTotal",
    "Total Sign In Request",
    "SignInSuccessPercentage",
    "Sign In Success Percentage",
    "SignInFailed",
    "Sign In Failed",
    "SignInFailurePercentage",
    "Sign In Failure Percentage",
    "SignInThrottles",
    "Sign In Throttles",
    "SignInThrottlesPeakMinute",
    "Sign In Throttles (peak minute)",
    "SignInThrottledMinutes",
    "Sign In Throttled Minutes"
);

const TOKEN_REFRESH: [MetricDef; 8] = family_metrics!(
    MetricFamily::TokenRefresh,
    "TokenRefreshSuccesses",
    "Token Refresh Successes",
    "TokenRefreshTotal",
    "Total Token Refresh Request",
    "TokenRefreshSuccessPercentage",
    "Token Refresh Success Percentage",
    "TokenRefreshFailed",
    "Token Refresh Failed",
    "TokenRefreshFailurePercentage",
    "Token Refresh Failure Percentage",
    "TokenRefreshThrottles",
    "Token Refresh Throttles",
    "TokenRefreshThrottlesPeakMinute",
    "Token Refresh Throttles (peak minute)",
    "TokenRefreshThrottledMinutes",
    "Token Refresh Throttled Minutes"
);

const FEDERATION: [MetricDef; 8] = family_metrics!(
    MetricFamily::Federation,
    "FederationSuccesses",
    "Federation Successes",
    "FederationTotal",
    "Total Federation Request",
    "FederationSuccessPercentage",
    "Federation Success Percentage",
    "FederationFailed",
    "Federation Failed",
    "FederationFailurePercentage",
    "Federation Failure Percentage",
    "FederationThrottles",
    "Federation Throttles",
    "FederationThrottlesPeakMinute",
    "Federation Throttles (peak minute)",
    "FederationThrottledMinutes",
    "Federation Throttled Minutes"
);

const fn inventory(id: &'static str, label: &'static str) -> MetricDef {
    MetricDef {
        id,
        label,
        statistic: "Maximum",
        unit: Unit::Count,
        source: Source::Inventory,
    }
}

const fn risk(
    id: &'static str,
    label: &'static str,
    m: RiskMetric,
    level: Option<RiskLevel>,
) -> MetricDef {
    MetricDef {
        id,
        label,
        statistic: "Sum",
        unit: Unit::Count,
        source: Source::Risk(m, level),
    }
}

const USER_POOL_INVENTORY: [MetricDef; 3] = [
    inventory("NumberOfUsers", "Number of Users"),
    inventory("AppClients", "App Clients"),
    inventory("FederatedIdentityProviders", "Federated Identity Providers"),
];

const USER_POOL_RISK: [MetricDef; 11] = [
    risk(
        "AccountTakeoverRisk",
        "Account Takeover Risk",
        RiskMetric::AccountTakeoverRisk,
        None,
    ),
    risk(
        "AccountTakeoverRiskHigh",
        "Account Takeover Risk (High)",
        RiskMetric::AccountTakeoverRisk,
        Some(RiskLevel::High),
    ),
    risk(
        "AccountTakeoverRiskMedium",
        "Account Takeover Risk (Medium)",
        RiskMetric::AccountTakeoverRisk,
        Some(RiskLevel::Medium),
    ),
    risk(
        "AccountTakeoverRiskLow",
        "Account Takeover Risk (Low)",
        RiskMetric::AccountTakeoverRisk,
        Some(RiskLevel::Low),
    ),
    risk(
        "CompromisedCredentialRisk",
        "Compromised Credential Risk",
        RiskMetric::CompromisedCredentialRisk,
        None,
    ),
    risk(
        "CompromisedCredentialRiskHigh",
        "Compromised Credential Risk (High)",
        RiskMetric::CompromisedCredentialRisk,
        Some(RiskLevel::High),
    ),
    risk(
        "CompromisedCredentialRiskMedium",
        "Compromised Credential Risk (Medium)",
        RiskMetric::CompromisedCredentialRisk,
        Some(RiskLevel::Medium),
    ),
    risk(
        "CompromisedCredentialRiskLow",
        "Compromised Credential Risk (Low)",
        RiskMetric::CompromisedCredentialRisk,
        Some(RiskLevel::Low),
    ),
    risk(
        "OverrideBlock",
        "Override Block",
        RiskMetric::OverrideBlock,
        None,
    ),
    risk("Risk", "Risk", RiskMetric::Risk, None),
    risk("NoRisk", "No Risk", RiskMetric::NoRisk, None),
];

const USER: [MetricDef; 2] = [
    MetricDef {
        id: "Enabled",
        label: "Enabled",
        statistic: "Maximum",
        unit: Unit::Count,
        source: Source::Inventory,
    },
    MetricDef {
        id: "Confirmed",
        label: "Confirmed",
        statistic: "Maximum",
        unit: Unit::Count,
        source: Source::Inventory,
    },
];

const IDENTITY_POOL: [MetricDef; 4] = [
    inventory("TotalIdentities", "Total Identities"),
    inventory("AuthenticatedIdentities", "Authenticated Identities"),
    inventory("UnauthenticatedIdentities", "Unauthenticated Identities"),
    inventory("TotalIdentityProviders", "Total Identity Providers"),
];

/// Every metric a monitor of `kind` can carry, in the spec's order.
pub fn metrics(kind: MonitorKind) -> Vec<&'static MetricDef> {
    match kind {
        MonitorKind::UserPool => USER_POOL_INVENTORY
            .iter()
            .chain(ADMIN_SIGN_UP.iter())
            .chain(USER_POOL_RISK.iter())
            .collect(),
        MonitorKind::AppClient => SIGN_UP
            .iter()
            .chain(SIGN_IN.iter())
            .chain(TOKEN_REFRESH.iter())
            .collect(),
        MonitorKind::IdentityProvider => FEDERATION.iter().collect(),
        MonitorKind::User => USER.iter().collect(),
        MonitorKind::IdentityPool => IDENTITY_POOL.iter().collect(),
    }
}

/// The catalogue entry of `kind` with this id.
pub fn find(kind: MonitorKind, id: &str) -> Option<&'static MetricDef> {
    metrics(kind).into_iter().find(|m| m.id == id)
}

/// The CloudWatch metric families a monitor kind reads, and for user pools the fixed
/// `UserPoolClient` value ("Admin").
pub fn families(kind: MonitorKind) -> &'static [MetricFamily] {
    match kind {
        MonitorKind::UserPool => &[MetricFamily::SignUp],
        MonitorKind::AppClient => &[
            MetricFamily::SignUp,
            MetricFamily::SignIn,
            MetricFamily::TokenRefresh,
        ],
        MonitorKind::IdentityProvider => &[MetricFamily::Federation],
        MonitorKind::User | MonitorKind::IdentityPool => &[],
    }
}

/// `UserPoolClient` dimension value under which admin sign-ups are published.
pub const ADMIN_CLIENT: &str = "Admin";
/// `UserPoolClient` dimension value for requests that named an unknown client.
pub const INVALID_CLIENT: &str = "Invalid";

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_spec_metric_is_in_the_catalogue() {
        let labels = |k| {
            metrics(k)
                .into_iter()
                .map(|m| m.label)
                .collect::<HashSet<_>>()
        };
        let pool = labels(MonitorKind::UserPool);
        for l in [
            "Number of Users",
            "App Clients",
            "Federated Identity Providers",
            "Admin SignUp Successes",
            "Total Admin SignUp Request",
            "Admin Success SignUp Percentage",
            "Admin Failed SignUp",
            "Admin SignUp Throttles",
        ] {
            assert!(pool.contains(l), "user pool lacks {l}");
        }
        let idp = labels(MonitorKind::IdentityProvider);
        for l in [
            "Federation Successes",
            "Total Federation Request",
            "Federation Success Percentage",
            "Federation Failed",
            "Federation Throttles",
        ] {
            assert!(idp.contains(l), "identity provider lacks {l}");
        }
        let client = labels(MonitorKind::AppClient);
        for fam in ["Sign Up", "Sign In", "Token Refresh"] {
            for l in [
                format!("{fam} Successes"),
                format!("Total {fam} Request"),
                format!("{fam} Success Percentage"),
                format!("{fam} Failed"),
                format!("{fam} Throttles"),
            ] {
                assert!(client.contains(l.as_str()), "app client lacks {l}");
            }
        }
        let idpool = labels(MonitorKind::IdentityPool);
        for l in [
            "Total Identities",
            "Authenticated Identities",
            "Unauthenticated Identities",
            "Total Identity Providers",
        ] {
            assert!(idpool.contains(l), "identity pool lacks {l}");
        }
    }

    #[test]
    fn ids_are_unique_per_kind() {
        for kind in MonitorKind::ALL {
            let ids: Vec<_> = metrics(kind).into_iter().map(|m| m.id).collect();
            let set: HashSet<_> = ids.iter().collect();
            assert_eq!(ids.len(), set.len(), "{kind:?}");
        }
    }

    #[test]
    fn both_risk_spellings_are_accepted() {
        assert_eq!(
            RiskMetric::from_metric_name("AccountTakeOverRisk"),
            Some(RiskMetric::AccountTakeoverRisk)
        );
        assert_eq!(
            RiskMetric::from_metric_name("CompromisedCredentialsRisk"),
            Some(RiskMetric::CompromisedCredentialRisk)
        );
        assert_eq!(
            MetricFamily::from_metric_name("TokenRefreshThrottles"),
            Some((MetricFamily::TokenRefresh, true))
        );
        assert_eq!(MetricFamily::from_metric_name("Nope"), None);
    }
}
