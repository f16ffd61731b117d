//! The generated workloads the benchmarks measure (`bench`, the criterion benches): realistic
//! CloudTrail records, an estate of monitors to evaluate, an estate of metric series to plan.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::inventory::monitor::{
    AppClientDetails, IdentityProviderDetails, MonitorId, UserPoolDetails,
};
use cognito_watch_core::inventory::series::{ActiveSeries, PoolIndex, Series};
use cognito_watch_core::inventory::window::Window;
use cognito_watch_core::progress::Progress;
use cognito_watch_core::trail::intake::Intake;
use cognito_watch_core::{Monitor, MonitorDetails};
use serde_json::{json, Value};
use trail::input::Payload;

use crate::traffic;

/// Record `i` of a realistic stream (~1.1 KB, as CloudTrail writes them): sign-ins, refreshes,
/// M2M tokens and failures, from a spread of addresses, clients and users.
pub fn cloudtrail_record(i: usize, at: DateTime<Utc>) -> Value {
    let pool = format!("us-east-1_Pool{:04}", i % 7);
    let client = format!("{:026x}", (i % 23) as u128 * 0x9e37_79b9_7f4a_7c15);
    let ip = format!("198.51.{}.{}", (i / 251) % 200, i % 251);
    let sub = format!("{:08x}-0000-4000-8000-{:012x}", i % 5_000, i % 977);
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-8000-{:012x}",
        i,
        i % 65_536,
        i % 4_096,
        i
    );
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36 aws-amplify/6.6.4 auth/1 framework/2";
    let mut r = match i % 10 {
        0..=5 => traffic::initiate_auth(
            &id,
            at,
            &client,
            &ip,
            &sub,
            i.is_multiple_of(4).then_some("NotAuthorizedException"),
            Some(agent),
        ),
        6 | 7 => traffic::refresh(
            &id,
            at,
            &client,
            &ip,
            i.is_multiple_of(9).then_some("NotAuthorizedException"),
        ),
        8 => traffic::token_post(&id, at, &pool, &client, &ip, "client_credentials", 200),
        _ => traffic::initiate_auth(
            &id,
            at,
            &client,
            &ip,
            &sub,
            Some("UserNotFoundException"),
            Some(agent),
        ),
    };
    r["awsRegion"] = json!("us-east-1");
    r["userAgent"] = json!(agent);
    r["requestID"] = json!(format!("{:08x}-1111-4222-8333-{:012x}", i * 7, i));
    r["tlsDetails"] = json!({"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": "cognito-idp.us-east-1.amazonaws.com"});
    r["sessionCredentialFromConsole"] = json!(false);
    r
}

/// `pools` user pools, each with 6 app clients (one in 7 failing its sign-ins) and 3 identity
/// providers, as roots of monitors with their metrics read: what the evaluator judges.
pub fn evaluation_roots(pools: usize, now: DateTime<Utc>) -> Vec<Vec<Monitor>> {
    (0..pools)
        .map(|p| {
            let pool = format!("us-east-1_Pool{p:05}");
            let mut root = vec![Monitor::new(
                &MonitorId::UserPool { pool: pool.clone() },
                format!("pool-{p}"),
                "123456789012",
                "us-east-1",
                MonitorDetails::UserPool(UserPoolDetails::default()),
                now,
            )];
            for c in 0..6 {
                let mut m = Monitor::new(
                    &MonitorId::AppClient {
                        pool: pool.clone(),
                        client_id: format!("client{p:05}{c}"),
                    },
                    format!("client-{c}"),
                    "123456789012",
                    "us-east-1",
                    MonitorDetails::AppClient(AppClientDetails::default()),
                    now,
                );
                let failing = (p + c) % 7 == 0;
                m.metrics.insert("SignInSuccesses".into(), 80.0);
                m.metrics
                    .insert("SignInFailed".into(), if failing { 95.0 } else { 2.0 });
                m.metrics.insert(
                    "SignInFailurePercentage".into(),
                    if failing { 54.3 } else { 2.4 },
                );
                m.metrics.insert("SignInThrottlesPeakMinute".into(), 0.0);
                m.metrics.insert("TokenRefreshFailed".into(), 1.0);
                root.push(m);
            }
            for i in 0..3 {
                let mut m = Monitor::new(
                    &MonitorId::IdentityProvider {
                        pool: pool.clone(),
                        provider_name: format!("idp{i}"),
                    },
                    format!("idp{i}"),
                    "123456789012",
                    "us-east-1",
                    MonitorDetails::IdentityProvider(IdentityProviderDetails::default()),
                    now,
                );
                m.metrics.insert("FederationFailed".into(), 0.0);
                root.push(m);
            }
            root
        })
        .collect()
}

/// What one poll plans from: an estate of `pools` user pools with `clients` app clients and
/// `providers` identity providers each, every series CloudWatch lists for them active, each
/// monitor due for its last `minutes`.
pub fn planner_estate(
    pools: usize,
    clients: usize,
    providers: usize,
    minutes: i64,
    now: DateTime<Utc>,
) -> (Vec<ActiveSeries>, PoolIndex, BTreeMap<MonitorId, Window>) {
    let mut index = PoolIndex::default();
    let mut active = Vec::new();
    let mut windows = BTreeMap::new();
    let window = Window {
        start: now - Duration::minutes(minutes),
        end: now,
    };
    let mut series = |name: &str, dims: &[(&str, &str)]| {
        active.push(ActiveSeries {
            series: Series::new(name, dims),
            backfill_from: None,
        });
    };
    for p in 0..pools {
        let pool = format!("us-east-1_Pool{p:05}");
        let entry = index.pools.entry(pool.clone()).or_default();
        windows.insert(MonitorId::UserPool { pool: pool.clone() }, window);
        for c in 0..clients {
            let client = format!("client{p:05}{c:02}");
            entry.clients.insert(client.clone());
            windows.insert(
                MonitorId::AppClient {
                    pool: pool.clone(),
                    client_id: client.clone(),
                },
                window,
            );
            for family in ["SignIn", "SignUp", "TokenRefresh"] {
                for suffix in ["Successes", "Throttles"] {
                    series(
                        &format!("{family}{suffix}"),
                        &[("UserPool", &pool), ("UserPoolClient", &client)],
                    );
                }
            }
        }
        // Federation through the pool's first app client.
        let first = format!("client{p:05}00");
        for i in 0..providers {
            let provider = format!("idp{i}");
            entry.identity_providers.insert(provider.clone());
            windows.insert(
                MonitorId::IdentityProvider {
                    pool: pool.clone(),
                    provider_name: provider.clone(),
                },
                window,
            );
            for suffix in ["Successes", "Throttles"] {
                series(
                    &format!("Federation{suffix}"),
                    &[
                        ("UserPool", &pool),
                        ("UserPoolClient", &first),
                        ("IdentityProvider", &provider),
                    ],
                );
            }
        }
    }
    (active, index, windows)
}

fn intake(progress: &Progress) -> Intake {
    let mut i = Intake::new(Box::new(|_: &str| None));
    i.progress = progress.clone();
    i
}

/// What the trail function does with an invocation's payload (its JSON text, as the runtime
/// hands it over), short of the I/O: each delivery into its own intake, and its tallies handed
/// over. Returns the number of tallies.
pub fn take_in(payload: impl Into<Payload>, progress: &Progress) -> Result<usize, String> {
    let mut tallies = 0;
    for d in trail::input::decode(payload, 64 * 1024 * 1024).map_err(|e| e.to_string())? {
        let mut i = intake(progress);
        if let Some(body) = d.body.take_in(&mut i) {
            return Err(format!("unexpected delivery {body:?}"));
        }
        tallies += std::hint::black_box(i.take_tallies()).counts.len();
    }
    Ok(tallies)
}

/// What the trail function does with a trail file read from S3, short of the I/O: each part
/// of `PART_RECORDS` records handed over as it fills, the last at the end. Returns the number
/// of tallies, summed over the parts.
pub fn take_in_file(file: impl std::io::Read, progress: &Progress) -> Result<usize, String> {
    let handed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut i = intake(progress);
    let count = handed.clone();
    i.split_every(
        cognito_watch_core::trail::intake::PART_RECORDS,
        Box::new(move |part| {
            let n = std::hint::black_box(part.tallies).counts.len();
            count.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            true
        }),
    );
    trail::file::read_trail_file(file, &mut i).map_err(|e| format!("{e:?}"))?;
    i.unsplit();
    let last = std::hint::black_box(i.take_part()).tallies.counts.len();
    Ok(handed.load(std::sync::atomic::Ordering::Relaxed) + last)
}
