//! `sam local invoke` of every file in `events/`, each through its function's arm64 bootstrap in
//! Docker (SAM's Runtime Interface Emulator), against the test bed's moto with the CloudWatch
//! bridge; each answer and its effect checked through the SDK. Run by `scripts/sam-local`,
//! which installs and starts what this needs (Docker, arm64 emulation, the stand-in base image,
//! `sam build`). Usage: `sam-local <workspace root> [--serve]`; with `--serve`, the emulator is
//! seeded and left up, the commands to invoke and read it by hand are printed, and Enter stops
//! it.
//!
//! The emulator runs in a container on a Docker network of its own (`cognito-watch-local`),
//! which `sam local invoke --docker-network` joins each function's container to: SAM ignores
//! `--docker-network host` (aws/aws-sam-cli#3609), so a function cannot reach this machine's
//! loopback. This program reaches the emulator on the loopback port Docker publishes.
//!
//! The emulator is seeded so each event means something: a pool `shop` whose app client `web`
//! fails most sign-ins (the collector inventories it, the evaluator raises an alert), the trail
//! file the S3 notification names, the tables, topic and queues of the stack. The functions
//! reach the emulator through `AWS_ENDPOINT_URL`, which only a local copy of the built template
//! declares (`.aws-sam/build/template.local.yaml`): `sam local invoke --env-vars` sets only
//! variables a function declares, and `--container-env-vars` applies to debugging sessions
//! only, which SAM does not offer for `provided.al2023`. The deployed template is unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use chrono::{Duration, DurationRound, Utc};
use cognito_watch_testbed::{
    seed, traffic, AlertInbox, LocalAws, REGION, STATUS_TABLE, TRAIL_TABLE,
};
use serde_json::{json, Value};

/// The Docker network the emulator and the functions share, the emulator's name on it, and
/// the empty image it runs from (this machine's Python mounted in: nothing is pulled).
const NETWORK: &str = "cognito-watch-local";
const EMULATOR: &str = "cognito-watch-emulator";
const EMPTY_IMAGE: &str = "cognito-watch/empty:local";

/// The functions, in the order their events are invoked: the collector inventories what the
/// evaluator then judges; the trail's tallies name the collector's pool.
const FUNCTIONS: [(&str, &str); 3] = [
    ("collector", "CollectorFunction"),
    ("evaluator", "EvaluatorFunction"),
    ("trail", "TrailFunction"),
];

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.iter().any(|a| a == "--serve");
    let root = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    if serve {
        return match serve_by_hand(&root).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sam-local: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&root).await {
        Ok(n) => {
            println!("sam-local: {n} passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sam-local: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the emulator holds for the events to act on.
struct Seeded {
    aws: LocalAws,
    inbox: AlertInbox,
    failures: AlertInbox,
    pool: String,
    client: String,
}

impl Seeded {
    /// Twelve minutes of the client `web` failing three sign-ins in four, up to this minute:
    /// put again before each collector invocation, so a slow one (an emulated container that
    /// took minutes to answer) still finds them in its window. The last minutes matter: a
    /// container that starts in the next minute reads a window of the minute before, and a
    /// window without a datapoint would read zero requests and clear the client's status.
    async fn traffic(&self) -> Result<(), Failure> {
        let now = Utc::now().duration_trunc(Duration::minutes(1))?;
        let dims = [
            ("UserPool", self.pool.as_str()),
            ("UserPoolClient", self.client.as_str()),
        ];
        let data = (0..12)
            .map(|m| seed::requests("SignInSuccesses", &dims, now - Duration::minutes(m), 4, 12))
            .collect();
        seed::put(&self.aws.cw, data).await?;
        Ok(())
    }
}

/// Run `docker` with `args`; its output, or an error saying what failed.
fn docker(args: &[&str], input: Option<&[u8]>) -> Result<String, Failure> {
    use std::io::Write;
    let mut child = Command::new("docker")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("docker {}: {e}", args.join(" ")))?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(bytes)?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(format!("docker {}: {}", args.join(" "), why.trim()).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The network and the empty image, made when missing.
fn docker_setup() -> Result<(), Failure> {
    if docker(&["network", "inspect", NETWORK], None).is_err() {
        docker(&["network", "create", NETWORK], None)?;
    }
    if docker(&["image", "inspect", EMPTY_IMAGE], None).is_err() {
        // An empty tar archive: two 512-byte zero blocks.
        docker(&["import", "-", EMPTY_IMAGE], Some(&[0u8; 1024]))?;
    }
    Ok(())
}

async fn seed_emulator(root: &Path) -> Result<Seeded, Failure> {
    docker_setup()?;
    let aws = LocalAws::on(cognito_watch_testbed::Moto::in_container(
        EMPTY_IMAGE,
        NETWORK,
        EMULATOR,
    )?)
    .await;
    let inbox = AlertInbox::create(&aws.sdk, "alerts").await;
    let failures = AlertInbox::plain_queue(&aws.sdk, "trail-failures").await;
    // The status and trail tables (the state and history tables come with the local AWS).
    aws.evaluator(&inbox.topic_arn).await;
    let (pool, client) = seed::pool_with_client(&aws.idp, "shop", "web").await?;
    // The trail file the S3 notification names: the records of trail-file.json.
    let file = read_json(&root.join("events/trail/trail-file.json"))?;
    let note = read_json(&root.join("events/trail/s3-notification.json"))?;
    let object = &note["Records"][0]["s3"];
    let records = file["Records"]
        .as_array()
        .ok_or("trail-file.json: no Records")?;
    aws.put_object(
        object["bucket"]["name"].as_str().ok_or("no bucket")?,
        object["object"]["key"].as_str().ok_or("no key")?,
        traffic::trail_file(records),
    )
    .await;
    Ok(Seeded {
        aws,
        inbox,
        failures,
        pool,
        client,
    })
}

/// Where `sam local invoke` runs and what it is given.
struct Local {
    /// The workspace root.
    root: PathBuf,
    /// `.aws-sam/build/template.local.yaml`.
    template: PathBuf,
    /// The `--env-vars` file.
    env_file: PathBuf,
    /// Where the functions reach the emulator, on the shared network.
    endpoint: String,
}

/// The emulator seeded, the local template and the `--env-vars` file written.
async fn prepare(root: &Path) -> Result<(Seeded, Local), Failure> {
    let built = root.join(".aws-sam/build/template.yaml");
    let seeded = seed_emulator(root).await?;
    let endpoint = format!("http://{EMULATOR}:5000");
    let template = local_template(&built, &endpoint)?;
    let env_file = root.join(".aws-sam/build/env.local.json");
    std::fs::write(
        &env_file,
        serde_json::to_vec_pretty(&env_vars(
            &seeded.inbox.topic_arn,
            &seeded.failures.queue_url,
        ))?,
    )?;
    let local = Local {
        root: root.to_path_buf(),
        template,
        env_file,
        endpoint,
    };
    Ok((seeded, local))
}

/// The emulator up and seeded until Enter, with what to type to use it.
async fn serve_by_hand(root: &Path) -> Result<(), Failure> {
    let (
        seeded,
        Local {
            template, env_file, ..
        },
    ) = prepare(root).await?;
    seeded.traffic().await?;
    let local = &seeded.aws.moto.endpoint;
    println!(
        "The emulator is up ({local} here, http://{EMULATOR}:5000 on the Docker network {NETWORK}),\n\
         seeded with the pool shop ({}). Invoke a function:\n\n  \
         AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x sam local invoke TrailFunction --skip-pull-image \\\n    \
         -t {} --env-vars {} \\\n    \
         --docker-network {NETWORK} --region {REGION} -e events/trail/eventbridge-config-change.json\n\n\
         Read what it did:\n\n  \
         export AWS_ENDPOINT_URL={local} AWS_REGION={REGION} AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x\n  \
         export STATE_TABLE=state HISTORY_TABLE=history STATUS_TABLE={STATUS_TABLE} TRAIL_TABLE={TRAIL_TABLE}\n  \
         cognito-watch detections --since 30d\n\n\
         Press Enter to stop the emulator.",
        seeded.pool,
        template.display(),
        env_file.display(),
    );
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(())
}

async fn run(root: &Path) -> Result<usize, Failure> {
    let (seeded, local) = prepare(root).await?;
    let mut passed = 0;
    let mut alerts = Vec::new();
    for (dir, function) in FUNCTIONS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("events").join(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("events/{dir}: no event files").into());
        }
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let started = Instant::now();
            let answer = invoke(&local, &seeded, function, &file).await?;
            check(dir, &name, &answer, &seeded)
                .await
                .map_err(|e| format!("{dir}/{name}: {e}\nanswer: {answer}"))?;
            println!(
                "ok  {function:<18} events/{dir}/{name} ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
            passed += 1;
        }
        alerts.extend(seeded.inbox.drain().await);
        if dir == "evaluator" {
            let critical = alerts
                .iter()
                .any(|a| a.to_string().contains("shop") && a.to_string().contains("CRITICAL"));
            if !critical {
                return Err(format!(
                    "the evaluator's events raised no CRITICAL alert for the shop pool's client: {alerts:?}"
                )
                .into());
            }
            alerts.clear();
        }
    }
    // The trail's events: the risky sign-in, and the MFA change as a change and as a weakening.
    if alerts.len() != 3 {
        return Err(format!(
            "the trail's events published {} alerts, not 3: {alerts:?}",
            alerts.len()
        )
        .into());
    }
    let lost = seeded.failures.drain().await;
    if !lost.is_empty() {
        return Err(format!("deliveries in the failure queue: {lost:?}").into());
    }
    Ok(passed)
}

/// The built template with `AWS_ENDPOINT_URL` declared in every function's environment, next
/// to it (its `CodeUri`s are relative to its folder).
fn local_template(built: &Path, endpoint: &str) -> Result<PathBuf, Failure> {
    let text = std::fs::read_to_string(built)
        .map_err(|e| format!("{}: {e} (run sam build first)", built.display()))?;
    let mut template: serde_yaml::Value = serde_yaml::from_str(&text)?;
    let resources = template
        .get_mut("Resources")
        .and_then(serde_yaml::Value::as_mapping_mut)
        .ok_or("the built template has no Resources")?;
    let mut functions = 0;
    for (_, resource) in resources.iter_mut() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let variables = &mut resource["Properties"]["Environment"]["Variables"];
        let Some(variables) = variables.as_mapping_mut() else {
            return Err("a function without environment variables".into());
        };
        variables.insert("AWS_ENDPOINT_URL".into(), endpoint.into());
        functions += 1;
    }
    if functions != FUNCTIONS.len() {
        return Err(format!("{functions} functions in the built template").into());
    }
    let local = built.with_file_name("template.local.yaml");
    std::fs::write(&local, serde_yaml::to_string(&template)?)?;
    Ok(local)
}

/// `--env-vars`: each function's declared variables, set to the emulator's resources (SAM
/// would otherwise pass a `!Ref` as the resource's logical id).
fn env_vars(topic_arn: &str, failure_queue_url: &str) -> Value {
    let tables = json!({
        "STATE_TABLE": "state", "HISTORY_TABLE": "history",
        "STATUS_TABLE": STATUS_TABLE, "TRAIL_TABLE": TRAIL_TABLE,
        "DASHBOARD_URL": "",
    });
    let mut collector = tables.clone();
    merge(
        &mut collector,
        json!({
            "REGIONS": REGION, "MONITORED_ACCOUNT_ROLE_ARNS": "", "EXTERNAL_ID_PARAMETER": "",
            "METRIC_DELAY_SECONDS": "60", "QUOTA_SHARE": "1", "ALERT_TOPIC_ARN": topic_arn,
        }),
    );
    let mut evaluator = tables.clone();
    merge(&mut evaluator, json!({ "ALERT_TOPIC_ARN": topic_arn }));
    let mut trail = tables;
    merge(
        &mut trail,
        json!({
            "ALERT_TOPIC_ARN": topic_arn, "EVENT_BUS_NAME": "default",
            "FAILURE_QUEUE_URL": failure_queue_url,
            "TRUSTED_PRINCIPALS": "arn:aws:iam::123456789012:role/cognito-watch-CollectorFunctionRole",
        }),
    );
    json!({
        "CollectorFunction": collector,
        "EvaluatorFunction": evaluator,
        "TrailFunction": trail,
    })
}

fn merge(into: &mut Value, more: Value) {
    if let (Some(into), Value::Object(more)) = (into.as_object_mut(), more) {
        into.extend(more);
    }
}

/// One `sam local invoke`; the function's answer (SAM prints it on stdout, the function's
/// logs on stderr). The collector's traffic is put again just before each attempt.
async fn invoke(
    local: &Local,
    seeded: &Seeded,
    function: &str,
    event: &Path,
) -> Result<Value, Failure> {
    let credentials: BTreeMap<&str, String> = [
        ("AWS_ACCESS_KEY_ID", "ANOTREAL".to_string()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "notrealrnrELgWzOk3IfjzDKtFBhDby".to_string(),
        ),
        ("AWS_REGION", REGION.to_string()),
        ("AWS_DEFAULT_REGION", REGION.to_string()),
    ]
    .into();
    // SAM posts the event once its container's published port accepts a connection, and gives
    // up after three tries within 0.7 s. Docker's userland proxy accepts before the emulated
    // Runtime Interface Emulator listens, which under qemu can take longer (scripts/sam-local
    // starts dockerd without that proxy, so the port accepts only once the emulator listens;
    // a daemon already running may have it). SAM then removes the container at once but exits
    // only when the function's timer runs out (600 s for the collector), so the invocation is
    // stopped as soon as SAM says so, and made again.
    for attempt in 1..=3 {
        if function == "CollectorFunction" {
            seeded.traffic().await?;
        }
        match sam_invoke(local, function, event, &credentials)? {
            Invoked::Answered(out) => return answer_of(function, event, &local.endpoint, &out),
            Invoked::Unanswered(stderr) => {
                let log = local.root.join(format!(
                    "target/sam-local/unanswered-{function}-{attempt}.log"
                ));
                std::fs::create_dir_all(log.parent().unwrap_or(&local.root))?;
                std::fs::write(&log, stderr)?;
                println!(
                    "    {function}: the emulator's container was not listening yet ({}); again",
                    log.display()
                );
            }
        }
    }
    Err(format!(
        "sam local invoke {function} -e {}: the container never took the event in 3 tries",
        event.display()
    )
    .into())
}

/// What came of one `sam local invoke`.
enum Invoked {
    /// SAM ran to its end: its output.
    Answered(std::process::Output),
    /// The event never reached the function: what SAM said before it was stopped.
    Unanswered(String),
}

fn sam_invoke(
    local: &Local,
    function: &str,
    event: &Path,
    credentials: &BTreeMap<&str, String>,
) -> Result<Invoked, Failure> {
    use std::io::{BufRead, Read};
    let mut child = Command::new("sam")
        .current_dir(&local.root)
        .args(["local", "invoke", function, "--skip-pull-image"])
        .args(["--docker-network", NETWORK])
        .arg("--template")
        .arg(&local.template)
        .arg("--event")
        .arg(event)
        .arg("--env-vars")
        .arg(&local.env_file)
        .args(["--region", REGION])
        .envs(credentials)
        .args(std::env::var_os("SAM_LOCAL_DEBUG").map(|_| "--debug"))
        .env_remove("AWS_PROFILE")
        .env("SAM_CLI_TELEMETRY", "0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run sam (is the SAM CLI on PATH?): {e}"))?;
    let mut stdout = child.stdout.take().ok_or("sam's stdout")?;
    let stderr = child.stderr.take().ok_or("sam's stderr")?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let mut said = String::new();
    let mut started = false;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line?;
        started |= line.contains("START RequestId");
        said.push_str(&line);
        said.push('\n');
        if !started && line.contains("No response from invoke container") {
            child.kill()?;
            child.wait()?;
            return Ok(Invoked::Unanswered(said));
        }
    }
    let status = child.wait()?;
    let stdout = reader
        .join()
        .map_err(|_| "reading sam's output panicked")??;
    Ok(Invoked::Answered(std::process::Output {
        status,
        stdout,
        stderr: said.into_bytes(),
    }))
}

/// The function's answer in `sam local invoke`'s output, or an error with all it said.
fn answer_of(
    function: &str,
    event: &Path,
    endpoint: &str,
    out: &std::process::Output,
) -> Result<Value, Failure> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let answer = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .and_then(|l| serde_json::from_str::<Value>(l).ok());
    match answer {
        Some(a) if out.status.success() && a.get("errorType").is_none() => Ok(a),
        _ => Err(format!(
            "sam local invoke {function} -e {} (emulator {endpoint}) failed: {}\nstdout: {stdout}\nstderr: {stderr}",
            event.display(),
            out.status
        )
        .into()),
    }
}

/// What each event's answer must say, and what it must have left in the emulator.
async fn check(dir: &str, name: &str, answer: &Value, seeded: &Seeded) -> Result<(), Failure> {
    match dir {
        "collector" => {
            let scopes = answer["scopes"].as_array().ok_or("no scopes polled")?;
            let [scope] = scopes.as_slice() else {
                return Err(format!("{} scopes, not 1", scopes.len()).into());
            };
            let tasks = scope["tasks"].as_array().map_or(0, Vec::len);
            if tasks == 0 {
                return Err("no task ran".into());
            }
            if scope["errors"].as_array().is_some_and(|e| !e.is_empty()) {
                return Err("the poll logged errors".into());
            }
            if name == "reinventory.json" {
                // A re-inventory request for one pool (the sample's, which no account has):
                // that pool alone is described, and nothing else is read.
                return match scope["calls"].as_object() {
                    Some(calls)
                        if calls.len() == 1 && calls.get("DescribeUserPool") == Some(&json!(1)) =>
                    {
                        Ok(())
                    }
                    _ => Err("not one DescribeUserPool of the named pool".into()),
                };
            }
            let estate = seeded.aws.store.load_estate().await?;
            let pool = format!("userpool/{}", seeded.pool);
            if !estate.iter().any(|m| m.monitor_id == pool) {
                return Err(format!("{pool} is not in the state table").into());
            }
        }
        "evaluator" if name.contains("stream") => {
            if answer != &json!({"batchItemFailures": []}) {
                return Err("a stream record was refused".into());
            }
        }
        "evaluator" => {
            let roots = answer["roots"].as_array().ok_or("no roots")?;
            if let Some(r) = roots
                .iter()
                .find(|r| r.get("error").is_some() || r["busy"] != false)
            {
                return Err(format!("a root was not evaluated: {r}").into());
            }
        }
        _ => trail_answer(name, answer)?,
    }
    Ok(())
}

/// The trail's report for each event file (as the in-process test of the same files expects).
fn trail_answer(name: &str, a: &Value) -> Result<(), Failure> {
    let n = |k: &str| a[k].as_u64().unwrap_or(0);
    let expect = |what: &str, ok: bool| -> Result<(), Failure> {
        if ok {
            Ok(())
        } else {
            Err(what.to_string().into())
        }
    };
    expect("malformed records", n("malformed") == 0)?;
    expect("permanent failures", n("permanent_failures") == 0)?;
    match name {
        "logs-user-activity.json" => {
            expect(
                "one activity and one notification error",
                (n("user_activity"), n("notification_errors")) == (1, 1),
            )?;
            expect("one detection (a risky sign-in)", n("detections") == 1)?;
        }
        "eventbridge-config-change.json" => {
            expect(
                "two detections (a change, a weakening)",
                n("detections") == 2,
            )?;
            expect("one re-inventory request", n("reinventories") == 1)?;
        }
        "logs-subscription.json" => expect("four Cognito records", n("cognito_records") == 4)?,
        "sqs-batch.json" => {
            expect("two Cognito records", n("cognito_records") == 2)?;
            expect(
                "no message given back to the queue",
                a["batchItemFailures"] == json!([]),
            )?;
        }
        _ => expect("a Cognito record", n("cognito_records") >= 1)?,
    }
    expect(
        "nothing written",
        n("tallies_written") > 0 || n("detections") > 0,
    )
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}
