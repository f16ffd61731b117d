//! Multi-account, multi-region, end to end on the emulator: the collector of the monitoring
//! account (123456789012) reads the external id from an SSM SecureString, assumes the monitored
//! account's role (STS AssumeRole; moto keeps one backend per account, so the assumed-role
//! credentials see only that account's pools and metrics) and polls both accounts in two
//! regions. The status tree shows each pool under its own account and region.

use chrono::{Duration, DurationRound, Utc};

use cognito_watch_cli::{run, Env};
use cognito_watch_testbed::{seed, AlertInbox, Fault, LocalAws, ACCOUNT};

use crate::support::cli;

const PARTNER: &str = "222233334444";
const ROLE: &str = "arn:aws:iam::222233334444:role/cognito-watch-read-123456789012";
const PARAMETER: &str = "/cognito-watch/external-id";
const EXTERNAL_ID: &str = "ext-7d1c2f9a0b6e4c3d";

/// The local AWS's SDK configuration in `region`, as the monitored account (credentials from STS
/// AssumeRole, which moto ties to the role's account).
async fn partner_sdk(aws: &LocalAws, region: &str) -> aws_config::SdkConfig {
    let creds = aws_sdk_sts::Client::new(&aws.sdk)
        .assume_role()
        .role_arn(ROLE)
        .role_session_name("seeding")
        .external_id(EXTERNAL_ID)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    aws.sdk
        .to_builder()
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    creds.access_key_id,
                    creds.secret_access_key,
                    Some(creds.session_token),
                    None,
                    "assumed",
                ),
            ),
        )
        .build()
}

fn in_region(aws: &LocalAws, region: &str) -> aws_config::SdkConfig {
    aws.sdk
        .to_builder()
        .region(aws_config::Region::new(region.to_string()))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_and_two_regions_each_pool_under_its_own_account() {
    let aws = LocalAws::start().await;
    aws_sdk_ssm::Client::new(&aws.sdk)
        .put_parameter()
        .name(PARAMETER)
        .value(EXTERNAL_ID)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();

    // One pool per account and region; the monitored account's east pool has sign-ins.
    let mut pools = Vec::new();
    for (account, region, name) in [
        (ACCOUNT, "us-east-1", "home-east"),
        (ACCOUNT, "eu-west-1", "home-west"),
        (PARTNER, "us-east-1", "partner-east"),
        (PARTNER, "eu-west-1", "partner-west"),
    ] {
        let sdk = if account == ACCOUNT {
            in_region(&aws, region)
        } else {
            partner_sdk(&aws, region).await
        };
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        let (pool, client) = seed::pool_with_client(&idp, name, &format!("{name}-web"))
            .await
            .unwrap();
        if name == "partner-east" {
            let at = (Utc::now() - Duration::minutes(4))
                .duration_trunc(Duration::minutes(1))
                .unwrap();
            let dims = [
                ("UserPool", pool.as_str()),
                ("UserPoolClient", client.as_str()),
            ];
            seed::put(
                &aws_sdk_cloudwatch::Client::new(&sdk),
                vec![seed::requests("SignInSuccesses", &dims, at, 7, 3)],
            )
            .await
            .unwrap();
        }
        pools.push((account, region, name, pool, client));
    }

    // Count what goes over the wire: role assumptions carrying the external id, and any
    // that do not.
    aws.moto.disarm();
    aws.moto.arm(
        &Fault::on(&["AssumeRole"])
            .and_matching(&format!("ExternalId={EXTERNAL_ID}"))
            .watch(),
    );
    aws.moto.arm(&Fault::on(&["AssumeRole"]).watch());

    let collector = aws.collector(&[
        ("REGIONS", "us-east-1,eu-west-1"),
        ("MONITORED_ACCOUNT_ROLE_ARNS", ROLE),
        ("EXTERNAL_ID_PARAMETER", PARAMETER),
    ]);
    let report = collector
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    let mut scopes: Vec<(String, String)> = report
        .scopes
        .iter()
        .map(|s| (s.account.clone(), s.region.clone()))
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        vec![
            (ACCOUNT.to_string(), "eu-west-1".to_string()),
            (ACCOUNT.to_string(), "us-east-1".to_string()),
            (PARTNER.to_string(), "eu-west-1".to_string()),
            (PARTNER.to_string(), "us-east-1".to_string()),
        ]
    );
    for s in &report.scopes {
        assert!(
            s.errors.is_empty(),
            "{}/{}: {:?}",
            s.account,
            s.region,
            s.errors
        );
    }
    let seen = aws.moto.seen();
    assert!(seen[1] >= 1, "the collector assumed the role: {seen:?}");
    assert_eq!(
        seen[0], seen[1],
        "every AssumeRole carried the external id from SSM: {seen:?}"
    );
    let logged = serde_json::to_string(&report).unwrap();
    assert!(
        !logged.contains(EXTERNAL_ID),
        "the external id is in no report"
    );

    // Every monitor sits in the account and region its pool was created in.
    for (account, region, name, pool, client) in &pools {
        for id in [
            format!("userpool/{pool}"),
            format!("appclient/{pool}/{client}"),
        ] {
            let m = aws.monitor(&id).await;
            assert_eq!(
                (m.account.as_str(), m.region.as_str()),
                (*account, *region),
                "{name}: {id}"
            );
        }
    }
    // The monitored account's metrics were read through the assumed role.
    let (.., pool, client) = &pools[2];
    let web = aws.monitor(&format!("appclient/{pool}/{client}")).await;
    assert_eq!(
        web.metrics.get("SignInSuccesses"),
        Some(&7.0),
        "{:?}",
        web.metrics
    );
    assert_eq!(
        web.metrics.get("SignInFailed"),
        Some(&3.0),
        "{:?}",
        web.metrics
    );

    // Statuses for both accounts, then the tree as the CLI shows it.
    let inbox = AlertInbox::create(&aws.sdk, "alerts").await;
    aws.evaluator(&inbox.topic_arn)
        .await
        .handle(serde_json::json!({}))
        .await
        .unwrap();
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", cognito_watch_testbed::STATUS_TABLE),
        ("COLUMNS", "80"),
    ]);
    let mut out = Vec::new();
    run(cli(&["status", "--all", "-o", "json"]), &env, &mut out)
        .await
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for (account, region, name, _, _) in &pools {
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == *name)
            .unwrap_or_else(|| panic!("{name} in {rows}"));
        assert_eq!(
            (row["account"].as_str(), row["region"].as_str()),
            (Some(*account), Some(*region)),
            "{row}"
        );
        // 3 of 10 sign-ins failed in the monitored account's east pool: above 20%.
        let expected = if *name == "partner-east" {
            "critical"
        } else {
            "up"
        };
        assert_eq!(row["status"], expected, "{row}");
    }
    // The alert says which account and region it is about.
    let alerts = inbox.drain().await;
    let about: Vec<(String, String, String)> = alerts
        .iter()
        .map(|a| {
            let attribute = |k: &str| {
                a["MessageAttributes"][k]["Value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            let subject = a["Subject"].as_str().unwrap_or_default();
            let name = ["partner-east-web", "partner-east"]
                .into_iter()
                .find(|n| subject.contains(&format!(" {n} ")))
                .unwrap_or(subject);
            (name.to_string(), attribute("account"), attribute("region"))
        })
        .collect();
    assert!(
        about.contains(&(
            "partner-east-web".to_string(),
            PARTNER.to_string(),
            "us-east-1".to_string()
        )),
        "{about:?}"
    );
    assert!(
        about.iter().all(|(_, account, _)| account == PARTNER),
        "only the monitored account's pool is in trouble: {about:?}"
    );
    let mut out = Vec::new();
    run(cli(&["status", "--all"]), &env, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    println!("{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // The tree below the summary, its cells read in order (a heading may wrap in 80 columns).
    let table = text[text.find('┌').unwrap()..]
        .split_whitespace()
        .filter(|w| !["│", "┆"].contains(w))
        .collect::<Vec<_>>()
        .join(" ");
    // Each pool appears below the heading of its own account and region.
    let heading = |account: &str, region: &str| {
        table
            .find(&format!("{account} / {region}"))
            .unwrap_or_else(|| panic!("no heading {account} / {region}:\n{table}"))
    };
    let mut headings: Vec<(usize, &str, &str)> = pools
        .iter()
        .map(|(a, r, ..)| (heading(a, r), *a, *r))
        .collect();
    headings.sort();
    headings.dedup();
    for (account, region, name, ..) in &pools {
        let at = table.find(name).unwrap();
        let under = headings
            .iter()
            .rev()
            .find(|(h, ..)| *h < at)
            .map(|(_, a, r)| (*a, *r));
        assert_eq!(under, Some((*account, *region)), "{name}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_external_id_fails_the_poll_naming_the_parameter() {
    let aws = LocalAws::start().await;
    let collector = aws.collector(&[
        ("MONITORED_ACCOUNT_ROLE_ARNS", ROLE),
        ("EXTERNAL_ID_PARAMETER", "/cognito-watch/missing"),
    ]);
    let err = collector
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, collector::CollectorError::ExternalId { .. })
            && text.contains("/cognito-watch/missing")
            && text.contains("ParameterNotFound"),
        "{text}"
    );
}
