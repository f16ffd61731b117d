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
    protect_with_waf(aws, &pool).await;
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

/// A regional web ACL, associated with the pool (moto's WAFv2).
async fn protect_with_waf(aws: &LocalAws, pool: &str) {
    use aws_sdk_wafv2::types::{AllowAction, DefaultAction, Scope, VisibilityConfig};
    let waf = aws_sdk_wafv2::Client::new(&aws.sdk);
    let arn = aws
        .idp
        .describe_user_pool()
        .user_pool_id(pool)
        .send()
        .await
        .unwrap()
        .user_pool
        .and_then(|p| p.arn)
        .unwrap();
    let acl = waf
        .create_web_acl()
        .name(format!("acl-{}", &pool[pool.len() - 6..]))
        .scope(Scope::Regional)
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            VisibilityConfig::builder()
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .metric_name("acl")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .summary
        .and_then(|s| s.arn)
        .unwrap();
    waf.associate_web_acl()
        .web_acl_arn(acl)
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
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
    assert!(not_passing.is_empty(), "{hardened:#?}");

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
            "user_pool.waf",
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
/// "not implemented") leaves its checks unknown, never passed, and says so in the poll log; the
/// poll does not ask again for the next pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_read_makes_its_checks_unknown_and_is_noted() {
    let aws = LocalAws::start().await;
    let pool = hardened_pool(&aws).await;
    let other = hardened_pool(&aws).await;
    aws.moto.arm(
        &cognito_watch_testbed::Fault::on(&["DescribeRiskConfiguration"])
            .status(400, "AccessDeniedException")
            .times(None),
    );
    let logs = aws
        .collector(&[("POOL_CONCURRENCY", "1")])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    for p in [&pool, &other] {
        let results = results(&aws, p).await;
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
    }
    let log = &logs.scopes[0];
    assert_eq!(
        log.calls.get("DescribeRiskConfiguration"),
        Some(&1),
        "asked once, refused, not asked again: {:?}",
        log.calls
    );
    assert_eq!(
        log.calls.get("GetWebACLForResource"),
        Some(&2),
        "{:?}",
        log.calls
    );
    let notes: Vec<&String> = log.notes.iter().collect();
    for p in [&pool, &other] {
        assert!(
            notes
                .iter()
                .any(|n| n.contains(p.as_str()) && n.contains("its posture checks are unknown")),
            "{notes:?}"
        );
    }
    assert!(
        notes
            .iter()
            .any(|n| n.contains("not asked again in this poll")),
        "{notes:?}"
    );
}

/// The posture notices that reached the inbox: (subject, the JSON form).
async fn posture_messages(
    inbox: &cognito_watch_testbed::AlertInbox,
) -> Vec<(String, serde_json::Value)> {
    inbox
        .drain()
        .await
        .into_iter()
        .map(|envelope| {
            let subject = envelope["Subject"].as_str().unwrap_or_default().to_string();
            let body: serde_json::Value =
                serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
            assert_eq!(body["schema"], "cognito-watch.posture/1", "{body}");
            (subject, body)
        })
        .collect()
}

/// (kind, check, monitor) of each line of each notice.
fn lines(messages: &[(String, serde_json::Value)]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = messages
        .iter()
        .flat_map(|(_, m)| {
            m["lines"].as_array().unwrap().iter().map(move |l| {
                (
                    m["kind"].as_str().unwrap().to_string(),
                    l["check"].as_str().unwrap().to_string(),
                    l["monitor_id"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out
}

/// The first inventory sends one summary; the same estate again sends nothing; hardening a
/// pool sends one recovery per check fixed; weakening it again one regression.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posture_alerts_a_baseline_once_then_each_regression_and_fix_once() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let weak = seed::user_pool(&aws.idp, "weak").await.unwrap();
    let pool = format!("userpool/{weak}");
    let collector = aws.collector(&[
        ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("INVENTORY_INTERVAL_SECONDS", "0"),
    ]);
    let run = || async {
        collector
            .run(&Default::default(), Utc::now(), None)
            .await
            .unwrap()
    };

    let logs = run().await;
    let first = posture_messages(&inbox).await;
    assert_eq!(first.len(), 1, "{first:#?}");
    let (subject, baseline) = &first[0];
    assert_eq!(baseline["kind"], "baseline");
    // Eight failing checks alert; self-registration fails too but is informational.
    let expected: Vec<(String, String, String)> = [
        "user_pool.activity_log_export",
        "user_pool.deletion_protection",
        "user_pool.mfa",
        "user_pool.password_length_14",
        "user_pool.risk_actions",
        "user_pool.threat_protection",
        "user_pool.threat_protection_custom_auth",
        "user_pool.waf",
    ]
    .iter()
    .map(|c| ("baseline".to_string(), c.to_string(), pool.clone()))
    .collect();
    assert_eq!(lines(&first), expected);
    assert_eq!(
        subject,
        &format!(
            "POSTURE: 8 of {} checks fail [us-east-1]",
            baseline["judged"]
        ),
    );
    let tally = logs.scopes[0].posture.clone().unwrap();
    assert_eq!(
        (tally.notices, tally.sent, tally.failing),
        (1, 1, 9),
        "{tally:?}"
    );

    run().await;
    let again = posture_messages(&inbox).await;
    assert!(again.is_empty(), "{again:#?}");

    // Hardened: MFA on and deletion protection active, one recovery each.
    aws.idp
        .update_user_pool()
        .user_pool_id(&weak)
        .mfa_configuration(UserPoolMfaType::On)
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .unwrap();
    run().await;
    let fixed = posture_messages(&inbox).await;
    assert_eq!(
        lines(&fixed),
        [
            (
                "fixed".to_string(),
                "user_pool.deletion_protection".to_string(),
                pool.clone()
            ),
            (
                "fixed".to_string(),
                "user_pool.mfa".to_string(),
                pool.clone()
            ),
        ],
        "{fixed:#?}"
    );
    assert!(
        fixed
            .iter()
            .all(|(s, m)| s.starts_with("FIXED: posture ") && m["severity"] == "up"),
        "{fixed:#?}"
    );

    // Weakened again: one regression, with what to do.
    aws.idp
        .update_user_pool()
        .user_pool_id(&weak)
        .mfa_configuration(UserPoolMfaType::On)
        .deletion_protection(DeletionProtectionType::Inactive)
        .send()
        .await
        .unwrap();
    run().await;
    let regressed = posture_messages(&inbox).await;
    assert_eq!(
        lines(&regressed),
        [(
            "regressed".to_string(),
            "user_pool.deletion_protection".to_string(),
            pool.clone()
        )],
        "{regressed:#?}"
    );
    let (subject, body) = &regressed[0];
    // moto's pool ids are 42 characters: the subject drops the resource to fit SNS's 99.
    assert!(
        subject.starts_with("TROUBLE: posture user_pool.deletion_protection fails")
            && subject.len() <= 99,
        "{subject}"
    );
    assert_eq!(body["lines"][0]["monitor_id"], pool.as_str());
    assert!(
        body["lines"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("DeletionProtection"),
        "{body}"
    );
    run().await;
    assert!(posture_messages(&inbox).await.is_empty());
}

/// A regression the trail already raised as `risky_configuration` for the same pool is not
/// paged twice: its notice is settled naming the detection. Until CloudTrail has had time to
/// deliver the change (`POSTURE_HOLD_SECONDS`), a regression waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_the_trail_raised_is_not_paged_twice() {
    use cognito_watch_core::trail::detect::{Detection, Finding};
    let (aws, inbox) = LocalAws::with_inbox().await;
    let weak = seed::user_pool(&aws.idp, "weak").await.unwrap();
    aws.idp
        .update_user_pool()
        .user_pool_id(&weak)
        .mfa_configuration(UserPoolMfaType::On)
        .send()
        .await
        .unwrap();
    let trail = cognito_watch_aws::TrailStore::new(
        &aws.sdk,
        cognito_watch_testbed::TRAIL_TABLE,
        chrono::Duration::days(1),
        chrono::Duration::hours(1),
    );
    trail.create_table().await.unwrap();
    let collector = aws.collector(&[
        ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE),
        ("INVENTORY_INTERVAL_SECONDS", "0"),
        ("POSTURE_HOLD_SECONDS", "900"),
    ]);
    let t0 = Utc::now();
    collector.run(&Default::default(), t0, None).await.unwrap();
    assert_eq!(posture_messages(&inbox).await.len(), 1, "the baseline");

    // MFA turned off: the trail saw the change and raised it.
    aws.idp
        .update_user_pool()
        .user_pool_id(&weak)
        .mfa_configuration(UserPoolMfaType::Off)
        .deletion_protection(DeletionProtectionType::Active)
        .send()
        .await
        .unwrap();
    let t1 = t0 + chrono::Duration::minutes(1);
    let finding = Finding {
        pool: Some(weak.clone()),
        window: t1,
        account: None,
        region: Some("us-east-1".into()),
        scope: None,
        pools: Vec::new(),
        names: Default::default(),
        detection: Detection::RiskyConfiguration {
            event_name: "SetUserPoolMfaConfig".into(),
            who: "arn:aws:iam::123456789012:user/ops".into(),
            source_ip: None,
            target: weak.clone(),
            weakened: vec!["MFA (mfaConfiguration) set to OFF".into()],
            event_id: "e-1".into(),
        },
    };
    assert!(trail.record_finding(&finding, t1).await.unwrap());
    let logs = collector.run(&Default::default(), t1, None).await.unwrap();
    let tally = logs.scopes[0].posture.clone().unwrap();
    // Within the hold: nothing yet (deletion protection's fix is no regression: it goes now).
    let now = posture_messages(&inbox).await;
    assert_eq!(
        lines(&now),
        [(
            "fixed".to_string(),
            "user_pool.deletion_protection".to_string(),
            format!("userpool/{weak}")
        )],
        "{now:#?}"
    );
    assert_eq!((tally.waiting, tally.covered), (1, 0), "{tally:?}");

    let t2 = t1 + chrono::Duration::minutes(16);
    let logs = collector.run(&Default::default(), t2, None).await.unwrap();
    let tally = logs.scopes[0].posture.clone().unwrap();
    assert!(posture_messages(&inbox).await.is_empty(), "paged twice");
    assert_eq!((tally.waiting, tally.covered), (0, 1), "{tally:?}");
    let scope = cognito_watch_aws::sdk::Scope {
        account: logs.scopes[0].account.clone(),
        region: logs.scopes[0].region.clone(),
    };
    let notices = aws.store.posture_notices(&scope, false).await.unwrap();
    let covered: Vec<_> = notices
        .iter()
        .filter_map(|n| n.covered_by.clone())
        .collect();
    assert_eq!(covered, [format!("risky_configuration {}", finding.key())]);
}

/// An accepted risk is recorded with its reason, listed beside the failure, and never
/// alerted; the baseline leaves it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_risk_is_listed_with_its_reason_and_never_alerted() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let weak = seed::user_pool(&aws.idp, "weak").await.unwrap();
    let env = Env::from_pairs(aws.moto.env())
        .with([("STATE_TABLE", "state"), ("HISTORY_TABLE", "history")]);
    let said = cli_text(
        &env,
        &[
            "posture",
            "accept",
            "user_pool.mfa",
            "--for-pool",
            &weak,
            "--reason",
            "SSO-only pool: MFA is enforced at the IdP",
        ],
    )
    .await;
    assert!(
        said.starts_with("recorded: user_pool.mfa on accepted risk"),
        "{said}"
    );
    let said = cli_text(
        &env,
        &[
            "posture",
            "accept",
            "user_pool.password_length_14",
            "--tag",
            "env=dev",
            "--severity",
            "high",
            "--reason",
            "dev pools copy production's policy",
        ],
    )
    .await;
    assert!(said.contains("severity high (tag env=dev)"), "{said}");
    let overrides: serde_json::Value =
        serde_json::from_str(&cli_text(&env, &["posture", "overrides", "-o", "json"]).await)
            .unwrap();
    assert_eq!(overrides.as_array().unwrap().len(), 2, "{overrides}");

    aws.collector(&[
        ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("INVENTORY_INTERVAL_SECONDS", "0"),
    ])
    .run(&Default::default(), Utc::now(), None)
    .await
    .unwrap();
    let baseline = posture_messages(&inbox).await;
    let checks: Vec<String> = lines(&baseline).into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(checks.len(), 7, "{checks:?}");
    assert!(!checks.contains(&"user_pool.mfa".to_string()), "{checks:?}");

    let text = cli_text(&env, &["posture", "--failed", "-o", "json"]).await;
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mfa = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "user_pool.mfa")
        .unwrap();
    assert_eq!(mfa["result"], "fail");
    assert_eq!(
        mfa["override"],
        format!("accepted risk (pool {weak}): SSO-only pool: MFA is enforced at the IdP")
    );
    // The tag override does not apply: the pool has no tag env=dev.
    let length = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "user_pool.password_length_14")
        .unwrap();
    assert_eq!(length["severity"], "low", "{length}");

    let said = cli_text(
        &env,
        &["posture", "revoke", "user_pool.mfa", "--for-pool", &weak],
    )
    .await;
    assert!(said.starts_with("revoked: user_pool.mfa"), "{said}");
    let overrides: serde_json::Value =
        serde_json::from_str(&cli_text(&env, &["posture", "overrides", "-o", "json"]).await)
            .unwrap();
    assert_eq!(overrides.as_array().unwrap().len(), 1, "{overrides}");
}

/// Where the pool's threat protection is on, each app client's own risk configuration is read:
/// one that falls short of BLOCK fails `app_client.risk_actions` even though the pool's blocks;
/// a client without one inherits the pool's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_own_risk_configuration_overrides_the_pools() {
    let aws = LocalAws::start().await;
    let pool = hardened_pool(&aws).await;
    let own = seed::app_client(&aws.idp, &pool, "own", false)
        .await
        .unwrap();
    let inherits = seed::app_client(&aws.idp, &pool, "inherits", false)
        .await
        .unwrap();
    let audit = AccountTakeoverActionType::builder()
        .notify(true)
        .event_action(AccountTakeoverEventActionType::NoAction)
        .build()
        .unwrap();
    aws.idp
        .set_risk_configuration()
        .user_pool_id(&pool)
        .client_id(&own)
        .account_takeover_risk_configuration(
            AccountTakeoverRiskConfigurationType::builder()
                .actions(
                    AccountTakeoverActionsType::builder()
                        .high_action(audit)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let logs = aws
        .collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    let check = |client: &str| {
        let id = format!("appclient/{pool}/{client}");
        let aws = &aws;
        async move {
            let m = aws.monitor(&id).await;
            judge(&m, &PostureSettings::default())
                .into_iter()
                .find(|(c, _)| c.id == "app_client.risk_actions")
                .map(|(_, o)| o)
                .unwrap()
        }
    };
    assert_eq!(
        check(&own).await,
        Outcome::fail(
            "its own risk configuration overrides the pool's: high-risk account takeover: \
             NO_ACTION; compromised credentials: no action"
        )
    );
    assert!(
        matches!(check(&inherits).await, Outcome::Pass { note: Some(n) } if n.contains("the pool's applies")),
        "{:?}",
        check(&inherits).await
    );
    // The pool's own read and one per client.
    assert_eq!(
        logs.scopes[0].calls.get("DescribeRiskConfiguration"),
        Some(&3),
        "{:?}",
        logs.scopes[0].calls
    );
}

/// The baseline comes from a full inventory that found something: an empty scope, or one
/// pool's re-inventory before the first full inventory, records nothing, so the pools the
/// full inventory then finds are in the one summary, not paged one failure at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baseline_waits_for_a_full_inventory_of_something() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let collector = aws.collector(&[
        ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("INVENTORY_INTERVAL_SECONDS", "0"),
    ]);
    collector
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    assert!(posture_messages(&inbox).await.is_empty(), "an empty scope");
    let first = seed::user_pool(&aws.idp, "first").await.unwrap();
    let second = seed::user_pool(&aws.idp, "second").await.unwrap();
    let one_pool = collector::CollectorRequest {
        user_pool_ids: Some(vec![first.clone()]),
        ..Default::default()
    };
    collector.run(&one_pool, Utc::now(), None).await.unwrap();
    assert!(posture_messages(&inbox).await.is_empty(), "a re-inventory");
    collector
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    let got = posture_messages(&inbox).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let pools: std::collections::BTreeSet<String> = lines(&got)
        .into_iter()
        .map(|(kind, _, m)| format!("{kind} {m}"))
        .collect();
    assert_eq!(
        pools,
        [
            format!("baseline userpool/{first}"),
            format!("baseline userpool/{second}")
        ]
        .into_iter()
        .collect()
    );
}
