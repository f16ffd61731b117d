//! A local stand-in for the Lambda Runtime API (the endpoint a `bootstrap` polls for
//! invocations), so a function's real binary can run one invocation on this machine: it gets
//! the event with a request id, deadline, function ARN and trace header, and its response (or
//! error) and everything it printed are handed back. Plain HTTP/1.1 on a free port, one thread.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What one invocation of a bootstrap produced.
#[derive(Debug)]
pub struct Invocation {
    pub request_id: String,
    /// `response` or `error`, as the runtime posted it.
    pub outcome: String,
    pub body: serde_json::Value,
    /// What the process wrote to stdout (its log lines) until it was stopped.
    pub stdout: String,
    pub stderr: String,
    /// From the process's start to its first request for an invocation.
    pub first_request_after: Duration,
}

const TRACE_ID: &str = "Root=1-67e0a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";

/// Run `binary` for one invocation of `event`, with `env` (plus the Runtime API's address and
/// the function's name), then stop it. Panics on a fixture failure (test support).
pub fn invoke_once(
    binary: &Path,
    function_name: &str,
    env: &[(String, String)],
    event: &serde_json::Value,
) -> Invocation {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    let request_id = "8f5e2c1a-1b2c-4d3e-9f00-0123456789ab".to_string();
    let payload = serde_json::to_vec(event).expect("an event");
    let (posted, answer) = mpsc::channel();
    let (asked, first_ask) = mpsc::channel();
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}");
    let id = request_id.clone();
    std::thread::spawn(move || serve(listener, &id, &arn, &payload, &asked, &posted));
    let started = Instant::now();
    let mut child = start(
        binary,
        function_name,
        env,
        &address.to_string(),
        Stdio::piped,
    );
    let first_request_after = first_ask
        .recv_timeout(Duration::from_secs(30))
        .map(|at: Instant| at.duration_since(started))
        .unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("{} never asked for an invocation", binary.display())
        });
    let posted: Option<(String, Vec<u8>)> = answer.recv_timeout(Duration::from_secs(120)).ok();
    let _ = child.kill();
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let _ = child.wait();
    let Some((outcome, body)) = posted else {
        panic!("no answer within 2 minutes; stdout: {stdout}; stderr: {stderr}");
    };
    Invocation {
        request_id,
        outcome,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        stdout,
        stderr,
        first_request_after,
    }
}

/// Start `binary` as Lambda would: only `env`, the Runtime API's address, the function's name,
/// JSON logs; its output to `output()`.
fn start(
    binary: &Path,
    function_name: &str,
    env: &[(String, String)],
    runtime_api: &str,
    output: fn() -> Stdio,
) -> std::process::Child {
    Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()))
}

/// Time from `binary`'s process start to its first request for an invocation (its cold start:
/// configuration read, SDK clients built), against a Runtime API that never hands one out.
pub fn first_request(binary: &Path, env: &[(String, String)]) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    let (asked, first_ask) = mpsc::channel();
    let (posted, _answers) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (asked, posted) = (asked.clone(), posted.clone());
            std::thread::spawn(move || connection(stream, false, "", "", &[], &asked, &posted));
        }
    });
    let started = Instant::now();
    let mut child = start(binary, "cold-start", env, &address.to_string(), Stdio::null);
    let at = first_ask.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    match at {
        Ok(at) => at.duration_since(started),
        Err(_) => panic!("{} never asked for an invocation", binary.display()),
    }
}

/// Answer the runtime: the event on the first `next`, then hold every later `next` open; pass
/// the posted response or error back.
fn serve(
    listener: TcpListener,
    request_id: &str,
    arn: &str,
    payload: &[u8],
    asked: &mpsc::Sender<Instant>,
    posted: &mpsc::Sender<(String, Vec<u8>)>,
) {
    let mut handed_out = false;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let asked = asked.clone();
        let posted = posted.clone();
        let first = !handed_out;
        handed_out = true;
        let (request_id, arn, payload) =
            (request_id.to_string(), arn.to_string(), payload.to_vec());
        std::thread::spawn(move || {
            connection(stream, first, &request_id, &arn, &payload, &asked, &posted)
        });
    }
}

fn connection(
    stream: TcpStream,
    mut may_hand_out: bool,
    request_id: &str,
    arn: &str,
    payload: &[u8],
    asked: &mpsc::Sender<Instant>,
    posted: &mpsc::Sender<(String, Vec<u8>)>,
) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut start = String::new();
        if reader.read_line(&mut start).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let path = start
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        if path.ends_with("/invocation/next") {
            let _ = asked.send(Instant::now());
            if !may_hand_out {
                // Lambda freezes the process here; hold the request until it is stopped.
                std::thread::sleep(Duration::from_secs(600));
                return;
            }
            may_hand_out = false;
            let deadline = chrono::Utc::now().timestamp_millis() + 300_000;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Lambda-Runtime-Aws-Request-Id: {request_id}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: {arn}\r\nLambda-Runtime-Trace-Id: {TRACE_ID}\r\n\r\n",
                payload.len()
            );
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(payload);
            continue;
        }
        let outcome = if path.ends_with("/response") {
            "response"
        } else {
            "error"
        };
        let _ = writer.write_all(
            b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n",
        );
        let _ = posted.send((outcome.to_string(), body));
    }
}
