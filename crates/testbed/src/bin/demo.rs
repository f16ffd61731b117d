//! The local demo: start moto (with the CloudWatch bridge) on a free port, create a realistic
//! Cognito estate and Cognito-shaped traffic, then run the real handlers in-process through the
//! CLI (`init`, `invoke collector`, `invoke evaluator`, `status`, `outages`) and print what they
//! show, ending with the alerts that reached the SNS topic (read back from an SQS queue
//! subscribed to it). The server is stopped when the demo ends, whatever happens.

use chrono::{Duration, DurationRound, Utc};
use clap::Parser;
use cognito_watch_cli::{run, Cli, Env};
use cognito_watch_testbed::{seed, AlertInbox, Moto, ACCOUNT, REGION};

const TOPIC: &str = "cognito-watch-alerts";

type DemoResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn main() -> std::process::ExitCode {
    let moto = match Moto::start() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("demo: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The functions read their configuration from the environment, as in Lambda; set it before
    // any thread starts.
    for (k, v) in moto.env() {
        std::env::set_var(k, v);
    }
    for (k, v) in [
        ("STATE_TABLE", "cognito-watch-state"),
        ("HISTORY_TABLE", "cognito-watch-history"),
        ("STATUS_TABLE", "cognito-watch-status"),
        ("TRAIL_TABLE", "cognito-watch-trail"),
        ("ALERT_TOPIC_NAME", TOPIC),
        ("METRIC_DELAY_SECONDS", "60"),
    ] {
        std::env::set_var(k, v);
    }
    std::env::set_var(
        "ALERT_TOPIC_ARN",
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(demo(&moto));
    drop(moto);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn cli(args: &[&str]) -> DemoResult {
    println!("\n$ cognito-watch {}", args.join(" "));
    let cli = Cli::try_parse_from(std::iter::once("cognito-watch").chain(args.iter().copied()))?;
    run(cli, &Env::process(), &mut std::io::stdout().lock()).await?;
    Ok(())
}

/// The demo's pools and app clients, by their ids.
struct Estate {
    shop: String,
    web: String,
    mobile: String,
    m2m: String,
    staff: String,
    portal: String,
}

/// The estate: a shop pool (web, mobile, an M2M client, two IdPs, users), a staff pool, and
/// an identity pool with three identities.
async fn seed_estate(
    sdk: &aws_config::SdkConfig,
) -> Result<Estate, Box<dyn std::error::Error + Send + Sync>> {
    let idp = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let identity = aws_sdk_cognitoidentity::Client::new(sdk);

    let shop = seed::user_pool(&idp, "shop-customers").await?;
    let web = seed::app_client(&idp, &shop, "shop-web", false).await?;
    let mobile = seed::app_client(&idp, &shop, "shop-mobile", false).await?;
    let m2m = seed::app_client(&idp, &shop, "orders-service", true).await?;
    seed::identity_provider(&idp, &shop, "Google").await?;
    seed::identity_provider(&idp, &shop, "CorporateOkta").await?;
    for u in ["alice", "bob", "carol", "dave"] {
        seed::user(&idp, &shop, u).await?;
    }
    let staff = seed::user_pool(&idp, "staff").await?;
    let portal = seed::app_client(&idp, &staff, "staff-portal", false).await?;
    seed::user(&idp, &staff, "erin").await?;
    let idpool = seed::identity_pool(&identity, "shop_identities", &shop, &web).await?;
    for _ in 0..3 {
        seed::identity(&identity, &idpool).await?;
    }
    println!(
        "created pools {shop} (3 app clients, 2 IdPs, 4 users) and {staff}, identity pool {idpool}"
    );

    Ok(Estate {
        shop,
        web,
        mobile,
        m2m,
        staff,
        portal,
    })
}

async fn demo(moto: &Moto) -> DemoResult {
    println!(
        "local AWS (moto + CloudWatch CBOR bridge) at {}",
        moto.endpoint
    );
    let sdk = moto.sdk_config().await;
    let estate = seed_estate(&sdk).await?;
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let data = cognito_traffic(&estate)?;
    let n = data.len();
    seed::put(&cw, data).await?;
    println!("put {n} AWS/Cognito datapoints (normal sign-ins, a failure spike and throttles on shop-mobile)");

    // An SQS queue subscribed to the alert topic stands in for the team's email / chat.
    let inbox = AlertInbox::create(&sdk, TOPIC).await;
    cli(&["init"]).await?;
    // Six earlier polls, five minutes apart, as the schedule would have run them: the Log
    // Reports and the report's charts have a line, not one dot.
    let collector = collector::Collector::new(
        cognito_watch_core::config::CollectorConfig::from_env()?,
        sdk.clone(),
    );
    let now = Utc::now();
    for back in [30, 25, 20, 15, 10, 5] {
        collector
            .run(&Default::default(), now - Duration::minutes(back), None)
            .await?;
    }
    println!("polled 6 times, 5 minutes apart, up to 5 minutes ago");
    cli(&[
        "invoke",
        "collector",
        "--event",
        &events_file("collector/schedule.json"),
    ])
    .await?;
    cli(&[
        "report",
        "--monitor",
        &format!("appclient/{}/{}", estate.shop, estate.mobile),
        "--csv",
    ])
    .await?;
    cli(&["thresholds", "show", "appclient"]).await?;
    // CloudTrail, as a trail's log group delivers it to a subscription: normal sign-ins, a
    // brute-force burst from one IP, an enumeration attempt, an M2M token spike on top of its
    // hour-long baseline, and an UpdateUserPool change; sent before the evaluation, so the
    // alerts carry this evidence.
    let file = std::env::temp_dir().join(format!("cognito-watch-demo-{}.json", std::process::id()));
    let batch = trail_traffic(&estate.shop, &estate.web, &estate.mobile, &estate.m2m);
    std::fs::write(&file, serde_json::to_vec_pretty(&batch)?)?;
    let shown = cli(&["invoke", "trail", "--event", &file.display().to_string()]).await;
    let _ = std::fs::remove_file(&file);
    shown?;
    cli(&[
        "invoke",
        "evaluator",
        "--event",
        &events_file("evaluator/evaluate-all.json"),
    ])
    .await?;
    cli(&["status"]).await?;
    cli(&["outages", "--open"]).await?;

    cli(&["top-ips", "--limit", "5"]).await?;
    cli(&["failures", "--by", "error-code"]).await?;
    cli(&["m2m"]).await?;
    cli(&["detections"]).await?;
    // The whole estate as one page (status tree, charts, outages, IPs, detections).
    let page = std::env::temp_dir().join("cognito-watch-report.html");
    cli(&["report", "--html", &page.display().to_string()]).await?;
    // What this estate would cost per month, priced from the poll log the demo just wrote.
    cli(&["cost"]).await?;

    let alerts = inbox.drain().await;
    println!(
        "\n{} alert(s) reached the SNS topic {TOPIC} (read from the subscribed SQS queue):",
        alerts.len()
    );
    for envelope in &alerts {
        show_alert(envelope);
    }
    Ok(())
}

/// One alert as the inbox got it: its subject and attributes, what an email subscriber reads
/// (rendered from the JSON form a queue receives), and the JSON form.
fn show_alert(envelope: &serde_json::Value) {
    let subject = envelope["Subject"].as_str().unwrap_or_default();
    let json = envelope["Message"].as_str().unwrap_or_default();
    let attributes: Vec<String> = envelope["MessageAttributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v["Value"].as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "\nSubject: {subject}\nAttributes: {}",
        attributes.join(", ")
    );
    // What an email subscriber reads, rendered from the JSON form a queue receives.
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    if value["schema"] == cognito_watch_core::alerting::posture::POSTURE_SCHEMA {
        for l in value["lines"].as_array().into_iter().flatten() {
            println!(
                "  {} on {}: {}",
                l["check"].as_str().unwrap_or_default(),
                l["monitor_id"].as_str().unwrap_or_default(),
                l["why"].as_str().unwrap_or("passes now")
            );
        }
    } else if value["schema"] == cognito_watch_core::alerting::message::DETECTION_SCHEMA {
        for fact in value["facts"].as_array().into_iter().flatten() {
            println!("  {}", fact.as_str().unwrap_or_default());
        }
    } else {
        let evidence = serde_json::from_value::<
            cognito_watch_core::alerting::evidence::TrailEvidence,
        >(value["trail_evidence"].clone())
        .ok();
        match serde_json::from_value::<cognito_watch_core::alerting::status::Alert>(value) {
            Ok(alert) => println!(
                "{}",
                cognito_watch_core::alerting::message::text(&alert, evidence.as_ref())
            ),
            Err(e) => println!("(not an alert: {e})"),
        }
    }
    println!("JSON form: {json}");
}

/// Traffic as Cognito publishes it, over the last ten minutes: normal sign-ins and refreshes,
/// a failure spike with throttling on the mobile client, admin sign-ups, M2M refreshes,
/// federation through Google, and the staff portal's sign-ins.
fn cognito_traffic(
    estate: &Estate,
) -> Result<Vec<aws_sdk_cloudwatch::types::MetricDatum>, chrono::RoundingError> {
    let (shop, web, mobile) = (&*estate.shop, &*estate.web, &*estate.mobile);
    let (m2m, staff, portal) = (&*estate.m2m, &*estate.staff, &*estate.portal);
    let now = Utc::now().duration_trunc(Duration::minutes(1))?;
    let mut data = Vec::new();
    // Forty minutes of traffic, so the polls before the last one have history to chart.
    for m in 2..40 {
        let at = now - Duration::minutes(m);
        let web_d = [("UserPool", shop), ("UserPoolClient", web)];
        let mob_d = [("UserPool", shop), ("UserPoolClient", mobile)];
        let m2m_d = [("UserPool", shop), ("UserPoolClient", m2m)];
        let adm_d = [("UserPool", shop), ("UserPoolClient", "Admin")];
        data.push(seed::requests("SignInSuccesses", &web_d, at, 40, 1));
        data.push(seed::requests("TokenRefreshSuccesses", &web_d, at, 60, 0));
        // A failure spike on the mobile client, with throttling.
        data.push(seed::requests(
            "SignInSuccesses",
            &mob_d,
            at,
            10,
            if m < 5 { 30 } else { 1 },
        ));
        if m < 5 {
            data.push(seed::throttles("SignInThrottles", &mob_d, at, 120));
        }
        data.push(seed::requests("SignUpSuccesses", &adm_d, at, 2, 0));
        data.push(seed::requests("TokenRefreshSuccesses", &m2m_d, at, 5, 0));
        let fed = [
            ("UserPool", shop),
            ("UserPoolClient", web),
            ("IdentityProvider", "Google"),
        ];
        data.push(seed::requests("FederationSuccesses", &fed, at, 5, 1));
        let staff_d = [("UserPool", staff), ("UserPoolClient", portal)];
        data.push(seed::requests("SignInSuccesses", &staff_d, at, 3, 0));
    }
    Ok(data)
}

/// One CloudWatch Logs subscription batch of CloudTrail records for the shop pool.
fn trail_traffic(pool: &str, web: &str, mobile: &str, m2m: &str) -> serde_json::Value {
    use cognito_watch_testbed::traffic as t;
    let now = cognito_watch_core::trail::window_of(Utc::now()) + Duration::seconds(1);
    let mut records = Vec::new();
    for i in 0..40 {
        let failed = (i % 10 == 0).then_some("NotAuthorizedException");
        let ip = format!("198.51.100.{}", i % 8);
        records.push(t::initiate_auth(
            &format!("ok-{i}"),
            now,
            web,
            &ip,
            &format!("user-{i}"),
            failed,
            Some("Mozilla/5.0"),
        ));
    }
    // The mobile client's failing sign-ins (its metrics spike too).
    for i in 0..30 {
        records.push(t::initiate_auth(
            &format!("mob-{i}"),
            now,
            mobile,
            &format!("192.0.2.{}", i % 3),
            &format!("mobile-user-{}", i % 6),
            Some("NotAuthorizedException"),
            Some("ShopApp/4.2 (iOS)"),
        ));
    }
    // A brute-force burst from one IP, and an enumeration attempt (unknown users: no sub).
    let bursts = [
        (
            "bf",
            80,
            "203.0.113.66",
            "4b1c-victim",
            "NotAuthorizedException",
            Some("python-requests/2.32"),
        ),
        (
            "en",
            30,
            "203.0.113.99",
            cognito_watch_core::trail::HIDDEN,
            "UserNotFoundException",
            None,
        ),
    ];
    for (prefix, n, ip, sub, code, agent) in bursts {
        for i in 0..n {
            records.push(t::initiate_auth(
                &format!("{prefix}-{i}"),
                now,
                web,
                ip,
                sub,
                Some(code),
                agent,
            ));
        }
    }
    for k in 0..=12 {
        let n = if k == 0 { 400 } else { 25 };
        for i in 0..n {
            records.push(t::token_post(
                &format!("m2m-{k}-{i}"),
                now - Duration::minutes(5 * k),
                pool,
                m2m,
                "client_credentials",
                "10.20.0.5",
                200,
            ));
        }
    }
    records.push(t::config_change(
        "change-1",
        now,
        "UpdateUserPool",
        serde_json::json!({"userPoolId": pool, "mfaConfiguration": "OFF"}),
        "arn:aws:sts::123456789012:assumed-role/Admin/mallory",
        "203.0.113.200",
    ));
    let messages: Vec<String> = records.iter().map(ToString::to_string).collect();
    t::logs_event(&t::logs_batch(
        "/aws/cloudtrail/cognito",
        "123456789012_CloudTrail_us-east-1",
        1,
        &messages,
    ))
}

fn events_file(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name)
        .display()
        .to_string()
}
