//! The trail paths measured on generated, realistic CloudTrail records (see `scripts/bench`,
//! which runs this beside the Python baseline on the same files and prints the table).
//!
//! `bench gen DIR [N]`   write N records (default 100,000) in each input shape to DIR
//! `bench trail DIR`     parse + tally each shape in this process; one JSON line of figures
//! `bench one SHAPE DIR` one pass over one shape (for peak-memory runs under /usr/bin/time)
//! `bench cold BINARY`   time from a function's process start to its first Runtime API request
//! `bench evaluate`      monitors evaluated per second: 10,000 monitors (1,000 user pools with
//!                       6 app clients and 3 identity providers each), the core alone

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::intake::Intake;
use cognito_watch_testbed::traffic;
use serde_json::{json, Value};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir] => generate(Path::new(dir), 100_000),
        ["gen", dir, n] => generate(Path::new(dir), n.parse()?),
        ["trail", dir] => trail(Path::new(dir)),
        ["one", shape, dir] => {
            let (records, _) = run_shape(shape, Path::new(dir))?;
            println!("{records}");
            Ok(())
        }
        ["cold", binary] => cold(Path::new(binary)),
        ["evaluate"] => evaluate(),
        _ => Err(
            "usage: bench gen DIR [N] | trail DIR | one SHAPE DIR | cold BINARY | evaluate".into(),
        ),
    }
}

/// One realistic record (~1.1 KB, as CloudTrail writes them): sign-ins, refreshes, M2M
/// tokens and a few configuration reads, from a spread of addresses, clients and users.
fn record(i: usize, at: DateTime<Utc>) -> Value {
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

fn generate(dir: &Path, n: usize) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let start = Utc::now() - Duration::hours(1);
    let records: Vec<Value> = (0..n)
        .map(|i| record(i, start + Duration::milliseconds((i * 30) as i64)))
        .collect();
    let texts: Vec<String> = records.iter().map(Value::to_string).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    // The S3 trail file, gzip, and the direct {"Records": [...]} event.
    let file = format!("{{\"Records\":[{}]}}", texts.join(","));
    std::fs::write(dir.join("records.json"), &file)?;
    std::fs::write(dir.join("trail.json.gz"), traffic::trail_file(&records))?;
    // EventBridge: one event per record, one per line.
    let mut eb = std::io::BufWriter::new(std::fs::File::create(dir.join("eventbridge.jsonl"))?);
    for r in &records {
        writeln!(eb, "{}", traffic::eventbridge(r))?;
    }
    eb.flush()?;
    // CloudWatch Logs subscription deliveries: batches of 1,000 messages, one per line.
    let mut logs = std::io::BufWriter::new(std::fs::File::create(dir.join("logs.jsonl"))?);
    for (n, chunk) in texts.chunks(1_000).enumerate() {
        let batch = traffic::logs_batch("trail", "stream", (n * 1_000) as u64, chunk);
        writeln!(logs, "{}", traffic::logs_event(&batch))?;
    }
    logs.flush()?;
    // The peak-memory inputs: a 1 MB (gzip) Logs batch, a 7 MB direct event, a 50 MB trail
    // file (streamed out, record by record, as CloudTrail writes it).
    let mut take = 0;
    let mut compressed = 0;
    while compressed < 1024 * 1024 && take < texts.len() {
        take = (take + 500).min(texts.len());
        let batch = traffic::logs_batch("trail", "stream", 0, &texts[..take]);
        compressed = traffic::logs_event(&batch)["awslogs"]["data"]
            .as_str()
            .map_or(0, |d| d.len() * 3 / 4);
    }
    let batch = traffic::logs_batch("trail", "stream", 0, &texts[..take]);
    std::fs::write(
        dir.join("logs-1mb.jsonl"),
        traffic::logs_event(&batch).to_string(),
    )?;
    let mut direct = String::from("{\"Records\":[");
    for (i, t) in texts.iter().enumerate() {
        if direct.len() + t.len() > 7 * 1024 * 1024 {
            break;
        }
        if i > 0 {
            direct.push(',');
        }
        direct.push_str(t);
    }
    direct.push_str("]}");
    std::fs::write(dir.join("records-7mb.json"), direct)?;
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("trail-50mb.json.gz"))?,
        flate2::Compression::default(),
    );
    gz.write_all(b"{\"Records\":[")?;
    let mut i = 0usize;
    let mut written = 0u64;
    while written < 50 * 1024 * 1024 {
        if i > 0 {
            gz.write_all(b",")?;
        }
        let r = record(i, start + Duration::milliseconds((i % 3_600_000) as i64));
        gz.write_all(r.to_string().as_bytes())?;
        i += 1;
        if i.is_multiple_of(10_000) {
            gz.flush()?;
            written = gz.get_ref().metadata()?.len();
        }
    }
    gz.write_all(b"]}")?;
    gz.finish()?;
    println!(
        "{{\"records\":{n},\"bytes_per_record\":{:.0}}}",
        bytes as f64 / n as f64
    );
    Ok(())
}

fn intake() -> Intake {
    Intake::new(Box::new(|_: &str| None))
}

/// Parse and tally one shape from DIR: (records read, seconds).
fn run_shape(shape: &str, dir: &Path) -> Result<(u64, f64), Failure> {
    let path = |f: &str| -> PathBuf { dir.join(f) };
    match shape {
        "file" | "file-50mb" => {
            let name = if shape == "file" {
                "trail.json.gz"
            } else {
                "trail-50mb.json.gz"
            };
            let reader = std::io::BufReader::new(std::fs::File::open(path(name))?);
            let started = Instant::now();
            let mut i = intake();
            trail::file::read_trail_file(reader, &mut i).map_err(|e| format!("{e:?}"))?;
            Ok((
                i.progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
            ))
        }
        "records" | "records-7mb" => {
            let text = std::fs::read_to_string(path(&format!("{shape}.json")))?;
            let started = Instant::now();
            let payload: Value = serde_json::from_str(&text)?;
            let mut i = intake();
            feed(payload, &mut i)?;
            Ok((
                i.progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
            ))
        }
        "eventbridge" | "logs" | "logs-1mb" => {
            let text = std::fs::read_to_string(path(&format!("{shape}.jsonl")))?;
            let started = Instant::now();
            let mut i = intake();
            for line in text.lines() {
                feed(serde_json::from_str(line)?, &mut i)?;
            }
            Ok((
                i.progress.snapshot().records_read,
                started.elapsed().as_secs_f64(),
            ))
        }
        other => Err(format!("unknown shape {other}").into()),
    }
}

/// What the trail function does with an invocation's payload, short of the I/O.
fn feed(payload: Value, intake: &mut Intake) -> Result<(), Failure> {
    for d in trail::input::decode(payload, 64 * 1024 * 1024)? {
        match d.body {
            trail::input::Body::Values(values) => {
                values.into_iter().for_each(|v| intake.add_value(v));
            }
            trail::input::Body::Texts(texts) => texts.iter().for_each(|t| intake.add_text(t)),
            _ => return Err("unexpected delivery".into()),
        }
    }
    Ok(())
}

fn trail(dir: &Path) -> Result<(), Failure> {
    let mut figures = serde_json::Map::new();
    for shape in ["eventbridge", "logs", "file", "records"] {
        // Best of three: the machine's noise, not the code's.
        let mut best = f64::MAX;
        let mut records = 0;
        for _ in 0..3 {
            let (n, s) = run_shape(shape, dir)?;
            records = n;
            best = best.min(s);
        }
        figures.insert(
            shape.into(),
            json!({"records": records, "seconds": best, "per_second": records as f64 / best}),
        );
    }
    println!("{}", Value::Object(figures));
    Ok(())
}

fn cold(binary: &Path) -> Result<(), Failure> {
    let env: Vec<(String, String)> = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ANOTREAL"),
        ("AWS_SECRET_ACCESS_KEY", "notreal"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", "status"),
        ("TRAIL_TABLE", "trail"),
        (
            "ALERT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:alerts",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        best = best.min(cognito_watch_testbed::runtime::first_request(binary, &env));
    }
    println!(
        "{{\"first_request_ms\":{:.2}}}",
        best.as_secs_f64() * 1_000.0
    );
    Ok(())
}

/// 10,000 monitors in 1,000 roots, each with metrics that breach or not, evaluated with the
/// shipped profiles from no previous status (the most work: every monitor is written).
fn evaluate() -> Result<(), Failure> {
    use cognito_watch_core::alerting::profile::ProfileSet;
    use cognito_watch_core::alerting::status::evaluate_root;
    use cognito_watch_core::inventory::monitor::{
        AppClientDetails, IdentityProviderDetails, MonitorId, UserPoolDetails,
    };
    use cognito_watch_core::{Monitor, MonitorDetails};
    let profiles = ProfileSet::shipped()?;
    let now = Utc::now();
    let roots: Vec<Vec<Monitor>> = (0..1_000)
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
        .collect();
    let monitors: usize = roots.iter().map(Vec::len).sum();
    let previous = std::collections::BTreeMap::new();
    let mut best = f64::MAX;
    let mut changes = 0;
    for _ in 0..5 {
        let started = Instant::now();
        changes = roots
            .iter()
            .map(|r| evaluate_root(r, &previous, &profiles, now).changes.len())
            .sum::<usize>();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{{\"monitors\":{monitors},\"changes\":{changes},\"seconds\":{best},\"per_second\":{}}}",
        monitors as f64 / best
    );
    Ok(())
}
