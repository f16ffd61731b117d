//! Security posture on the local AWS test bed: a pool created weak and a hardened one, read by
//! the collector's inventory through the SDK, judged by the core's checks. moto lacks
//! DescribeRiskConfiguration and GetLogDeliveryConfiguration (and their setters): the bridge
//! keeps them in AWS's documented shape.

use aws_sdk_cognitoidentityprovider::types::{
    AccountTakeoverActionType, AccountTakeoverActionsType, AccountTakeoverEventActionType,
    AccountTakeoverRiskConfigurationType, AdminCreateUserConfigType,
    AdvancedSecurityAdditionalFlowsType, AdvancedSecurityEnabledModeType, AdvancedSecurityModeType,
    CloudWatchLogsConfigurationType, CompromisedCredentialsActionsType,
    CompromisedCredentialsEventActionType, CompromisedCredentialsRiskConfigurationType,
    DeletionProtectionType, EventSourceName, LogConfigurationType, LogLevel, PasswordPolicyType,
    UserPoolAddOnsType, UserPoolMfaType, UserPoolPolicyType, UserPoolTierType,
};
use chrono::Utc;
use cognito_watch_cli::Env;
use cognito_watch_core::posture::{judge, Outcome, PostureSettings};
use cognito_watch_testbed::{seed, LocalAws};

use crate::support::cli_text;

async fn hardened_pool(aws: &LocalAws) -> String {
    let policy = PasswordPolicyType::builder()
        .minimum_length(14)
        .require_uppercase(true)
        .require_lowercase(true)
        .require_numbers(true)
        .require_symbols(true)
        .temporary_password_validity_days(7)
        .build();
    let add_ons = UserPoolAddOnsType::builder()
        .advanced_security_mode(AdvancedSecurityModeType::Enforced)
        .advanced_security_additional_flows(
            AdvancedSecurityAdditionalFlowsType::builder()
                .custom_auth_mode(AdvancedSecurityEnabledModeType::Enforced)
                .build(),
        )
        .build()
        .unwrap();
    let pool = aws
        .idp
        .create_user_pool()
        .pool_name("hardened")
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(policy)
                .build(),
        )
        .mfa_configuration(UserPoolMfaType::On)
        .deletion_protection(DeletionProtectionType::Active)
        .user_pool_add_ons(add_ons)
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .user_pool_tier(UserPoolTierType::Plus)
        .send()
        .await
        .unwrap()
        .user_pool
        .and_then(|p| p.id)
        .unwrap();
    let block = AccountTakeoverActionType::builder()
        .notify(true)
        .event_action(AccountTakeoverEventActionType::Block)
        .build()
        .unwrap();
    aws.idp
        .set_risk_configuration()
        .user_pool_id(&pool)
        .account_takeover_risk_configuration(
            AccountTakeoverRiskConfigurationType::builder()
                .actions(
                    AccountTakeoverActionsType::builder()
                        .high_action(block)
                        .build(),
                )
                .build(),
        )
        .compromised_credentials_risk_configuration(
            CompromisedCredentialsRiskConfigurationType::builder()
                .actions(
                    CompromisedCredentialsActionsType::builder()
                        .event_action(CompromisedCredentialsEventActionType::Block)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    aws.idp
        .set_log_delivery_configuration()
        .user_pool_id(&pool)
        .log_configurations(
            LogConfigurationType::builder()
                .log_level(LogLevel::Info)
                .event_source(EventSourceName::UserAuthEvents)
                .cloud_watch_logs_configuration(
                    CloudWatchLogsConfigurationType::builder()
                        .log_group_arn(
                            "arn:aws:logs:us-east-1:123456789012:log-group:/cognito/activity",
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    pool
}

/// Each check's result on a pool, by check id.
async fn results(aws: &LocalAws, pool: &str) -> Vec<(String, String, String)> {
    let m = aws.monitor(&format!("userpool/{pool}")).await;
    judge(&m, &PostureSettings::default())
        .into_iter()
        .map(|(c, o)| {
            let why = match &o {
                Outcome::Pass { note } => note.clone().unwrap_or_default(),
                Outcome::Fail { why } | Outcome::Unknown { why } => why.clone(),
            };
            (c.id.to_string(), o.as_str().to_string(), why)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_pool_fails_exactly_its_checks_and_a_hardened_one_passes_them() {
    let aws = LocalAws::start().await;
    let weak = seed::user_pool(&aws.idp, "weak").await.unwrap();
    let hardened = hardened_pool(&aws).await;
    aws.collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();

    let hardened = results(&aws, &hardened).await;
    let not_passing: Vec<_> = hardened.iter().filter(|(_, r, _)| r != "pass").collect();
    assert_eq!(
        not_passing,
        [&(
            "user_pool.waf".to_string(),
            "unknown".to_string(),
            "GetWebACLForResource not read yet".to_string()
        )],
        "{hardened:#?}"
    );

    let weak = results(&aws, &weak).await;
    let failing: Vec<&str> = weak
        .iter()
        .filter(|(_, r, _)| r == "fail")
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(
        failing,
        [
            "user_pool.threat_protection",
            "user_pool.threat_protection_custom_auth",
            "user_pool.password_length_14",
            "user_pool.mfa",
            "user_pool.deletion_protection",
            "user_pool.risk_actions",
            "user_pool.self_registration",
            "user_pool.activity_log_export",
        ],
        "{weak:#?}"
    );

    // The same through the CLI: the failing and unknown checks of the weak pool, as JSON.
    let env = Env::from_pairs(aws.moto.env())
        .with([("STATE_TABLE", "state"), ("HISTORY_TABLE", "history")]);
    let text = cli_text(
        &env,
        &["posture", "--pool", "weak", "--failed", "-o", "json"],
    )
    .await;
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = rows.as_array().unwrap();
    let listed: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["check"].as_str().unwrap(), r["result"].as_str().unwrap()))
        .collect();
    let mut expected: Vec<(&str, &str)> = failing.iter().map(|id| (*id, "fail")).collect();
    expected.push(("user_pool.waf", "unknown"));
    expected.sort_unstable();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_unstable();
    assert_eq!(listed_sorted, expected, "{text}");
    let mfa = rows.iter().find(|r| r["check"] == "user_pool.mfa").unwrap();
    assert_eq!(mfa["resource_name"], "weak");
    assert_eq!(mfa["why"], "MFA is OFF");
    assert_eq!(mfa["severity"], "medium");
    assert!(
        mfa["references"]
            .to_string()
            .contains("Security Hub Cognito.5"),
        "{mfa}"
    );
}

/// A call the account refuses (AccessDenied, injected by the bridge's fault rules, not moto's
/// "not implemented") leaves its checks unknown, never passed, and says so in the poll log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_read_makes_its_checks_unknown_and_is_noted() {
    let aws = LocalAws::start().await;
    let pool = hardened_pool(&aws).await;
    aws.moto.arm(
        &cognito_watch_testbed::Fault::on(&["DescribeRiskConfiguration"])
            .status(400, "AccessDeniedException")
            .times(None),
    );
    let logs = aws
        .collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    let results = results(&aws, &pool).await;
    let risk = results
        .iter()
        .find(|(id, _, _)| id == "user_pool.risk_actions")
        .unwrap();
    assert_eq!(risk.1, "unknown", "{risk:?}");
    assert!(
        risk.2.starts_with("DescribeRiskConfiguration was refused")
            && risk.2.contains("AccessDenied"),
        "{risk:?}"
    );
    let notes: Vec<&String> = logs.scopes.iter().flat_map(|l| l.notes.iter()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&pool) && n.contains("its posture checks are unknown")),
        "{notes:?}"
    );
}
