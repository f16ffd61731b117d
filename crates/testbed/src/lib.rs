//! The local AWS test bed: moto's server behind the project's CloudWatch CBOR bridge
//! (`moto_bridge.py`), started on a free loopback port and stopped on drop; SDK configuration
//! pointing at it; and helpers that seed a Cognito estate and Cognito-shaped metric datapoints
//! through the SDK.

pub mod estate;
pub mod runtime;
pub mod seed;
pub mod traffic;
pub mod workload;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// The partition of moto's caller (`arn:aws:sts::123456789012:user/moto`).
pub const PARTITION: &str = "aws";

#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    #[error("cannot start the moto bridge ({python} {script}): {source}. Install the pinned moto: pip install -r requirements-dev.txt")]
    Spawn {
        python: String,
        script: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the moto bridge did not become ready: {0}")]
    NotReady(String),
}

/// A running moto server with the CBOR bridge. Stopped (killed and reaped, or its container
/// removed) on drop.
pub struct Moto {
    server: Server,
    pub port: u16,
    /// Where this machine reaches it (loopback).
    pub endpoint: String,
}

/// Where a moto server runs.
enum Server {
    /// A child process on this machine's loopback.
    Process(Child),
    /// A Docker container (its name) on a Docker network of this test bed's making.
    Container(String),
}

/// The bridge script, next to this crate's manifest.
pub fn bridge_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("moto_bridge.py")
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Moto {
    /// Start a fresh server (fresh state) on a free port; retried if the port was taken between
    /// finding it and binding it.
    pub fn start() -> Result<Moto, TestbedError> {
        let mut last = String::new();
        for _ in 0..3 {
            match Moto::try_start() {
                Ok(m) => return Ok(m),
                Err(TestbedError::NotReady(why)) => last = why,
                Err(e) => return Err(e),
            }
        }
        Err(TestbedError::NotReady(last))
    }

    fn try_start() -> Result<Moto, TestbedError> {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = bridge_script();
        let port = free_port().map_err(|e| TestbedError::NotReady(e.to_string()))?;
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| TestbedError::Spawn {
                python: python.clone(),
                script: script.display().to_string(),
                source,
            })?;
        let stdout = child.stdout.take();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Some(out) = stdout else { return };
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let kill = |mut child: Child, why: String| {
            let _ = child.kill();
            let _ = child.wait();
            TestbedError::NotReady(why)
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.starts_with("ready") => {}
            Ok(line) => {
                return Err(kill(
                    child,
                    format!("bridge said {line:?} (is moto installed for {python}?)"),
                ))
            }
            Err(_) => return Err(kill(child, "no answer within 60 s".into())),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(kill(
                    child,
                    format!("port {port} not accepting connections"),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Moto {
            server: Server::Process(child),
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }

    /// Start a fresh server in a Docker container named `name` on the Docker network
    /// `network`, where other containers reach it as `http://<name>:5000`; this machine reaches
    /// it on a loopback port Docker publishes. The container runs this machine's own Python and
    /// moto (its `/usr`, `/root`, `/etc` and this crate's folder mounted read-only) from
    /// `image`, an empty image: nothing is pulled.
    pub fn in_container(image: &str, network: &str, name: &str) -> Result<Moto, TestbedError> {
        let not_ready = |why: String| TestbedError::NotReady(why);
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let executable = Command::new(&python)
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .map_err(|source| TestbedError::Spawn {
                python: python.clone(),
                script: "-c sys.executable".into(),
                source,
            })?;
        let executable = String::from_utf8_lossy(&executable.stdout)
            .trim()
            .to_string();
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut mounts = vec![
            ("/usr".to_string(), "/usr".to_string()),
            ("/etc".to_string(), "/etc".to_string()),
            ("/root".to_string(), "/root".to_string()),
            (here.display().to_string(), here.display().to_string()),
        ];
        for dir in ["/lib", "/lib64", "/bin"] {
            if let Ok(real) = std::fs::canonicalize(dir) {
                mounts.push((real.display().to_string(), dir.to_string()));
            }
        }
        let _ = Command::new("docker").args(["rm", "-f", name]).output();
        let mut run = Command::new("docker");
        run.args(["run", "-d", "--rm", "--name", name, "--network", network])
            .args([
                "-p",
                "127.0.0.1::5000",
                "--tmpfs",
                "/tmp",
                "-e",
                "HOME=/tmp",
            ]);
        for (from, to) in &mounts {
            run.arg("-v").arg(format!("{from}:{to}:ro"));
        }
        let started = run
            .arg(image)
            .arg(&executable)
            .arg(bridge_script())
            .args(["--host", "0.0.0.0", "--port", "5000"])
            .output()
            .map_err(|e| not_ready(format!("docker run: {e}")))?;
        if !started.status.success() {
            return Err(not_ready(format!(
                "docker run: {}",
                String::from_utf8_lossy(&started.stderr).trim()
            )));
        }
        let moto = |port| Moto {
            server: Server::Container(name.to_string()),
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let published = Command::new("docker")
            .args(["port", name, "5000/tcp"])
            .output()
            .map_err(|e| not_ready(format!("docker port: {e}")))?;
        let port = String::from_utf8_lossy(&published.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("127.0.0.1:")
                    .and_then(|p| p.trim().parse().ok())
            })
            .ok_or_else(|| not_ready(format!("{name}: no port published")))?;
        let server = moto(port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let logs = Command::new("docker")
                .args(["logs", name])
                .output()
                .map_err(|e| not_ready(format!("docker logs: {e}")))?;
            if String::from_utf8_lossy(&logs.stdout)
                .lines()
                .any(|l| l.starts_with("ready"))
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                let why = String::from_utf8_lossy(&logs.stderr).to_string();
                return Err(not_ready(format!("{name}: not ready within 60 s: {why}")));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SDK configuration for this server: fixed test credentials (moto's default account),
    /// `us-east-1`, few retries so fault paths stay quick.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_in(REGION).await
    }

    pub async fn sdk_config_in(&self, region: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(cognito_watch_aws::sdk::https_client())
            .endpoint_url(&self.endpoint)
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::for_tests())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
            .load()
            .await
    }

    /// The environment a function or the CLI needs to use this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "ANOTREAL".into()),
            (
                "AWS_SECRET_ACCESS_KEY",
                "notrealrnrELgWzOk3IfjzDKtFBhDby".into(),
            ),
            ("AWS_REGION", REGION.into()),
        ]
    }
}

/// A fault the bridge injects (see `moto_bridge.py`): which requests, how many, and how they
/// fail. Build with `Fault::on`/`Fault::matching`, then arm with `Moto::arm`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fault {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    operation: Vec<String>,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    needle: Option<String>,
    skip: u32,
    every: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    share: Option<f64>,
    seed: u64,
    count: Option<u32>,
    through: bool,
    status: u16,
    code: String,
}

impl Fault {
    /// Requests of these exact operations (e.g. `["BatchWriteItem"]`); once, with a 500.
    pub fn on(operations: &[&str]) -> Fault {
        Fault {
            operation: operations.iter().map(|o| o.to_string()).collect(),
            needle: None,
            skip: 0,
            every: 1,
            share: None,
            seed: 1,
            count: Some(1),
            through: false,
            status: 500,
            code: "InternalError".into(),
        }
    }

    /// Requests whose target, path or body contains `needle`.
    pub fn matching(needle: &str) -> Fault {
        Fault::on(&[]).and_matching(needle)
    }

    /// Also require `needle` in the target, path or body.
    pub fn and_matching(mut self, needle: &str) -> Fault {
        self.needle = Some(needle.to_string());
        self
    }

    /// Fail at most `n` requests (`None`: no limit).
    pub fn times(mut self, n: Option<u32>) -> Fault {
        self.count = n;
        self
    }

    /// Let the first `n` matching requests through.
    pub fn skip(mut self, n: u32) -> Fault {
        self.skip = n;
        self
    }

    /// Fail every `n`th matching request.
    pub fn every(mut self, n: u32) -> Fault {
        self.every = n.max(1);
        self
    }

    /// Fail a seeded share (0..1) of matching requests, repeatably.
    pub fn share(mut self, share: f64, seed: u64) -> Fault {
        self.share = Some(share);
        self.seed = seed;
        self
    }

    /// Never fail: only count the matching requests (read back with `Moto::seen`), so a test
    /// can tell what went over the wire.
    pub fn watch(self) -> Fault {
        self.skip(u32::MAX).times(None)
    }

    /// The request takes effect; its answer is replaced by the error.
    pub fn through(mut self) -> Fault {
        self.through = true;
        self
    }

    /// Fail with this HTTP status and AWS error code.
    pub fn status(mut self, status: u16, code: &str) -> Fault {
        self.status = status;
        self.code = code.to_string();
        self
    }
}

impl Moto {
    /// Arm a fault in the bridge: the next `count` requests containing `needle` (in the
    /// X-Amz-Target header, path or body) fail with HTTP `status` and AWS error `code`.
    pub fn inject_fault(&self, needle: &str, count: u32, status: u16, code: &str) {
        self.arm(
            &Fault::matching(needle)
                .times(Some(count))
                .status(status, code),
        );
    }

    /// Arm `fault` (panics if the bridge refuses: test fixture).
    pub fn arm(&self, fault: &Fault) {
        let body = match serde_json::to_string(fault) {
            Ok(b) => b,
            Err(e) => panic!("encoding a fault: {e}"),
        };
        if let Err(e) = self.control("POST", &body) {
            panic!("arming a fault: {e}");
        }
    }

    /// Disarm every fault.
    pub fn disarm(&self) {
        if let Err(e) = self.control("DELETE", "") {
            panic!("disarming faults: {e}");
        }
    }

    /// How many requests each armed fault has matched so far, in the order they were armed.
    pub fn seen(&self) -> Vec<u64> {
        match self.control("GET", "") {
            Ok(v) => v["armed"]
                .as_array()
                .map(|a| a.iter().map(|f| f["seen"].as_u64().unwrap_or(0)).collect())
                .unwrap_or_default(),
            Err(e) => panic!("reading faults: {e}"),
        }
    }

    /// How many requests the bridge has failed on purpose so far.
    pub fn faults_injected(&self) -> u64 {
        match self.control("GET", "") {
            Ok(v) => v["injected"].as_u64().unwrap_or(0),
            Err(e) => panic!("reading faults: {e}"),
        }
    }

    fn control(&self, method: &str, body: &str) -> std::io::Result<serde_json::Value> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "{method} /__faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        let json = answer.split("\r\n\r\n").nth(1).unwrap_or("{}");
        serde_json::from_str(json).map_err(std::io::Error::other)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        match &mut self.server {
            Server::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Server::Container(name) => {
                let _ = Command::new("docker").args(["rm", "-f", name]).output();
            }
        }
    }
}

/// A function's configuration on the test bed: `defaults`, then `extra`, as its environment
/// (panics: test fixture).
fn test_config<T>(
    defaults: &[(&str, &str)],
    extra: &[(&str, &str)],
    parse: impl Fn(
        &dyn Fn(&str) -> Option<String>,
    ) -> Result<T, cognito_watch_core::config::ConfigError>,
) -> T {
    let env: std::collections::HashMap<String, String> = defaults
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    match parse(&|k| env.get(k).cloned()) {
        Ok(c) => c,
        Err(e) => panic!("test configuration is invalid: {e}"),
    }
}

/// A collector configuration for the test bed: tables `state` / `history`, one-minute delay,
/// the whole quota, and `extra` on top.
pub fn collector_config(extra: &[(&str, &str)]) -> cognito_watch_core::config::CollectorConfig {
    test_config(
        &[
            ("STATE_TABLE", "state"),
            ("HISTORY_TABLE", "history"),
            ("AWS_REGION", REGION),
            ("METRIC_DELAY_SECONDS", "60"),
            ("QUOTA_SHARE", "1"),
            ("MAX_ATTEMPTS", "2"),
        ],
        extra,
        cognito_watch_core::config::CollectorConfig::from_lookup,
    )
}

/// An evaluator configuration for the test bed: the collector's tables, status table
/// `status`, the trail's table `trail` for evidence, alerts to `topic_arn`.
pub fn evaluator_config(topic_arn: &str) -> cognito_watch_core::config::EvaluatorConfig {
    test_config(
        &[
            ("STATE_TABLE", "state"),
            ("HISTORY_TABLE", "history"),
            ("STATUS_TABLE", STATUS_TABLE),
            ("TRAIL_TABLE", TRAIL_TABLE),
            ("ALERT_TOPIC_ARN", topic_arn),
            ("MAX_ATTEMPTS", "2"),
        ],
        &[],
        cognito_watch_core::config::EvaluatorConfig::from_lookup,
    )
}

pub const STATUS_TABLE: &str = "status";
pub const TRAIL_TABLE: &str = "trail";

/// The trail function's configuration on the test bed (`extra` overrides).
pub fn trail_config(
    topic_arn: &str,
    extra: &[(&str, &str)],
) -> cognito_watch_core::config::TrailConfig {
    test_config(
        &[
            ("STATE_TABLE", "state"),
            ("STATUS_TABLE", STATUS_TABLE),
            ("TRAIL_TABLE", TRAIL_TABLE),
            ("ALERT_TOPIC_ARN", topic_arn),
            ("MAX_ATTEMPTS", "2"),
        ],
        extra,
        cognito_watch_core::config::TrailConfig::from_lookup,
    )
}

/// An SNS topic with an SQS queue subscribed to it: what reached the topic can be read back.
pub struct AlertInbox {
    pub topic_arn: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl AlertInbox {
    /// Create topic `name` and queue `<name>-inbox`, subscribed (panics: test fixture).
    pub async fn create(sdk: &SdkConfig, name: &str) -> AlertInbox {
        let topic_arn = match cognito_watch_aws::AlertSink::create_topic(sdk, name).await {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        let (sqs, queue_url, queue_arn) = Self::queue(sdk, &format!("{name}-inbox")).await;
        aws_sdk_sns::Client::new(sdk)
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("Subscribe: {e}"));
        AlertInbox {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// Create queue `name`: the client, its URL and its ARN.
    async fn queue(sdk: &SdkConfig, name: &str) -> (aws_sdk_sqs::Client, String, String) {
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .ok()
            .and_then(|o| o.queue_url)
            .unwrap_or_else(|| panic!("CreateQueue failed"));
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GetQueueAttributes: {e}"));
        let queue_arn = attrs
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_else(|| panic!("no queue ARN"));
        (sqs, queue_url, queue_arn)
    }

    /// A plain queue `name` (a failure destination, say); `queue_url` is where it is.
    /// Queue `name` subscribed to `topic_arn` with the filter policy `policy` (on message
    /// attributes, SNS's default scope) (panics: test fixture).
    pub async fn filtered(
        sdk: &SdkConfig,
        topic_arn: &str,
        name: &str,
        policy: &serde_json::Value,
    ) -> AlertInbox {
        let (sqs, queue_url, queue_arn) = Self::queue(sdk, name).await;
        aws_sdk_sns::Client::new(sdk)
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("FilterPolicy", policy.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("Subscribe: {e}"));
        AlertInbox {
            topic_arn: topic_arn.to_string(),
            queue_url,
            sqs,
        }
    }

    pub async fn plain_queue(sdk: &SdkConfig, name: &str) -> AlertInbox {
        let (sqs, queue_url, _) = Self::queue(sdk, name).await;
        AlertInbox {
            topic_arn: String::new(),
            queue_url,
            sqs,
        }
    }

    /// A queue `name` receiving the events of `source` on the default EventBridge bus.
    pub async fn for_events(sdk: &SdkConfig, name: &str, source: &str) -> AlertInbox {
        let (sqs, queue_url, queue_arn) = Self::queue(sdk, name).await;
        let events = aws_sdk_eventbridge::Client::new(sdk);
        events
            .put_rule()
            .name(name)
            .event_pattern(serde_json::json!({"source": [source]}).to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutRule: {e}"));
        events
            .put_targets()
            .rule(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutTargets: {e}"));
        AlertInbox {
            topic_arn: String::new(),
            queue_url,
            sqs,
        }
    }

    /// Everything that arrived since the last call, as SNS envelopes (received and deleted).
    pub async fn drain(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        loop {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .unwrap_or_else(|e| panic!("ReceiveMessage: {e}"));
            let messages = got.messages.unwrap_or_default();
            if messages.is_empty() {
                return out;
            }
            for m in messages {
                let body = m.body.clone().unwrap_or_default();
                out.push(
                    serde_json::from_str(&body)
                        .unwrap_or_else(|e| panic!("not an SNS envelope: {e}: {body}")),
                );
                if let Some(handle) = m.receipt_handle {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("DeleteMessage: {e}"));
                }
            }
        }
    }
}

/// Everything an end-to-end test needs: a fresh moto, SDK clients for it, the tables created.
pub struct LocalAws {
    pub moto: Moto,
    pub sdk: SdkConfig,
    pub store: cognito_watch_aws::StateStore,
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    pub identity: aws_sdk_cognitoidentity::Client,
    pub cw: aws_sdk_cloudwatch::Client,
}

impl LocalAws {
    /// [`LocalAws::start`], with an alert topic named `alerts` and a queue subscribed to it
    /// (panics: test fixture).
    pub async fn with_inbox() -> (LocalAws, AlertInbox) {
        let aws = LocalAws::start().await;
        let inbox = AlertInbox::create(&aws.sdk, "alerts").await;
        (aws, inbox)
    }

    /// Start moto and create the state and history tables (panics: test fixture).
    pub async fn start() -> LocalAws {
        match Moto::start() {
            Ok(m) => LocalAws::on(m).await,
            Err(e) => panic!("{e}"),
        }
    }

    /// A local AWS on this moto: the state and history tables created (panics: test fixture).
    pub async fn on(moto: Moto) -> LocalAws {
        let sdk = moto.sdk_config().await;
        let store = cognito_watch_aws::StateStore::new(&sdk, collector_config(&[]).tables);
        if let Err(e) = store.create_tables().await {
            panic!("creating tables: {e}");
        }
        LocalAws {
            idp: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            identity: aws_sdk_cognitoidentity::Client::new(&sdk),
            cw: aws_sdk_cloudwatch::Client::new(&sdk),
            moto,
            sdk,
            store,
        }
    }

    /// This local AWS's SDK configuration with `attempts` SDK attempts per call (1: no SDK retry, so
    /// a fault reaches the product's own recovery).
    pub fn sdk_with_attempts(&self, attempts: u32) -> SdkConfig {
        self.sdk
            .to_builder()
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts))
            .build()
    }

    /// An S3 client for this local AWS (path-style: the emulator has no per-bucket host names).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(true)
                .build(),
        )
    }

    /// A CloudFormation stack `name` whose outputs are `outputs` (key, value), as `sam deploy`
    /// leaves one for the CLI to find (panics: test fixture).
    pub async fn stack(&self, name: &str, outputs: &[(&str, &str)]) {
        let outputs: serde_json::Map<String, serde_json::Value> = outputs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!({"Value": v})))
            .collect();
        let template = serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Marker": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": format!("{name}-marker")}}},
            "Outputs": outputs,
        });
        aws_sdk_cloudformation::Client::new(&self.sdk)
            .create_stack()
            .stack_name(name)
            .template_body(template.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateStack: {e:?}"));
    }

    /// Put `body` at `bucket`/`key`, creating the bucket if needed (panics: test fixture).
    pub async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) {
        let s3 = self.s3();
        if s3.head_bucket().bucket(bucket).send().await.is_err() {
            s3.create_bucket()
                .bucket(bucket)
                .send()
                .await
                .unwrap_or_else(|e| panic!("CreateBucket: {e}"));
        }
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutObject: {e}"));
    }

    /// A user pool `shop` with a `web` and an M2M `backend` client, inventoried by the
    /// collector: (pool, web client id, M2M client id) (panics: test fixture).
    pub async fn inventoried_pool(&self) -> (String, String, String) {
        let seeded = async {
            let pool = seed::user_pool(&self.idp, "shop").await?;
            let web = seed::app_client(&self.idp, &pool, "web", false).await?;
            let m2m = seed::app_client(&self.idp, &pool, "backend", true).await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((pool, web, m2m))
        };
        let ids = seeded.await.unwrap_or_else(|e| panic!("seeding: {e}"));
        if let Err(e) = self
            .collector(&[])
            .handle(serde_json::json!({"tasks": ["inventory"]}), None)
            .await
        {
            panic!("inventory: {e}");
        }
        ids
    }

    /// A trail function on this local AWS, alerting to `topic_arn`; creates the status and trail
    /// tables.
    pub async fn trail(&self, topic_arn: &str, extra: &[(&str, &str)]) -> trail::Trail {
        let t = trail::Trail::new(trail_config(topic_arn, extra), &self.sdk);
        if let Err(err) = t.status.create_table().await {
            panic!("creating the status table: {err}");
        }
        if let Err(err) = t.store.create_table().await {
            panic!("creating the trail table: {err}");
        }
        t
    }

    /// An evaluator on this local AWS, alerting to `topic_arn`; creates the status and trail tables.
    pub async fn evaluator(&self, topic_arn: &str) -> evaluator::Evaluator {
        let e = evaluator::Evaluator::new(evaluator_config(topic_arn), &self.sdk);
        if let Err(err) = e.status.create_table().await {
            panic!("creating the status table: {err}");
        }
        if let Some(trail) = &e.trail {
            if let Err(err) = trail.create_table().await {
                panic!("creating the trail table: {err}");
            }
        }
        e
    }

    /// A collector on this local AWS with the test configuration plus `extra`.
    pub fn collector(&self, extra: &[(&str, &str)]) -> collector::Collector {
        collector::Collector::new(collector_config(extra), self.sdk.clone())
    }

    /// The clients of the local AWS's own scope (for `Collector::poll`, where a test swaps one).
    pub fn scope_clients(&self) -> cognito_watch_aws::ScopeClients {
        cognito_watch_aws::ScopeClients::new(
            cognito_watch_aws::Scope {
                account: ACCOUNT.into(),
                region: REGION.into(),
            },
            PARTITION,
            &self.sdk,
            1.0,
        )
    }

    /// A stored monitor (panics if absent: test fixture).
    pub async fn monitor(&self, id: &str) -> cognito_watch_core::Monitor {
        let parsed = match cognito_watch_core::inventory::monitor::MonitorId::parse(id) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        match self.store.get_monitor(&parsed).await {
            Ok(Some(m)) => m,
            other => panic!("monitor {id}: {other:?}"),
        }
    }
}

/// The usual trail test setup: local AWS, an alert inbox, an inventoried pool (with a web and
/// an M2M client) and the trail function publishing to the inbox's topic.
pub struct TrailSetup {
    pub aws: LocalAws,
    pub inbox: AlertInbox,
    pub pool: String,
    pub web: String,
    pub m2m: String,
    pub trail: trail::Trail,
}

impl TrailSetup {
    /// Start it, the trail function configured with `extra` settings.
    pub async fn start(extra: &[(&str, &str)]) -> TrailSetup {
        let (aws, inbox) = LocalAws::with_inbox().await;
        let (pool, web, m2m) = aws.inventoried_pool().await;
        let trail = aws.trail(&inbox.topic_arn, extra).await;
        TrailSetup {
            aws,
            inbox,
            pool,
            web,
            m2m,
            trail,
        }
    }
}

/// What `cognito-watch <args>` prints against `env`, or its error (the CLI in process).
pub async fn cli_output(
    env: &cognito_watch_cli::Env,
    args: &[&str],
) -> Result<String, cognito_watch_cli::CliError> {
    use clap::Parser;
    let cli = cognito_watch_cli::Cli::try_parse_from(
        std::iter::once("cognito-watch").chain(args.iter().copied()),
    )
    .map_err(|e| cognito_watch_cli::CliError::Usage(e.to_string()))?;
    let mut out = Vec::new();
    Box::pin(cognito_watch_cli::run(cli, env, &mut out)).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The CLI's output contract: `cognito-watch -o csv|json|wide <args>` print the same
/// rows with the same fields. The CSV has as many rows as the JSON list, its header is every
/// JSON row's keys, and the wide table has a column per field (a named field's `_name` beside
/// its id in one column). Returns the JSON rows, which must not be empty (so there is
/// something to compare).
pub async fn same_rows_in_every_format(
    env: &cognito_watch_cli::Env,
    args: &[&str],
) -> Vec<serde_json::Value> {
    let env = env.clone().with([("COLUMNS", "4000")]);
    let as_format = |format: &'static str| {
        let args: Vec<&str> = ["-o", format]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let env = env.clone();
        async move {
            cli_output(&env, &args)
                .await
                .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        }
    };
    let csv = as_format("csv").await;
    let json: serde_json::Value = serde_json::from_str(&as_format("json").await)
        .unwrap_or_else(|e| panic!("{args:?} -o json: {e}"));
    let rows = json.as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "{args:?}: rows to compare: {json}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .unwrap_or_default();
    assert_eq!(
        reader.records().count(),
        rows.len(),
        "{args:?}: as many CSV rows as JSON rows\n{csv}"
    );
    let fields = header
        .iter()
        .filter(|h| {
            h.strip_suffix("_name")
                .is_none_or(|id| !header.iter().any(|o| o == id))
        })
        .count();
    header.sort();
    for row in &rows {
        let mut keys: Vec<String> = row
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(
            keys, header,
            "{args:?}: the JSON row's keys are the CSV's header"
        );
    }
    let wide = as_format("wide").await;
    let title = wide.lines().nth(1).unwrap_or_default();
    assert_eq!(
        title.matches('┆').count() + 1,
        fields,
        "{args:?}: the wide table has a column per field\n{wide}"
    );
    rows
}
