//! Logs of a Lambda function as CloudWatch Logs reads them best: one flat JSON object per line
//! with `timestamp` (RFC 3339), `level`, `message`, `functionName`, the invocation's `requestId`
//! (and `xrayTraceId` when traced) from the runtime's span, then the event's own fields as real
//! JSON values (numbers, booleans, and objects or arrays for fields recorded with [`Json`]).
//! The level follows Lambda's advanced logging controls: `AWS_LAMBDA_LOG_LEVEL` (the
//! `ApplicationLogLevel` of the function) wins, else `RUST_LOG`, else INFO. With
//! `AWS_LAMBDA_LOG_FORMAT=Text` the lines are plain text instead.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// A field recorded as its JSON form (`tasks = ?Json(&log.tasks)`): an object or array in the
/// log line, not a debug string.
pub struct Json<'a, T: serde::Serialize>(pub &'a T);

impl<T: serde::Serialize> fmt::Debug for Json<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self.0) {
            Ok(text) => f.write_str(&text),
            Err(e) => write!(f, "\"unserialisable: {e}\""),
        }
    }
}

/// The filter directives for Lambda's level (`AWS_LAMBDA_LOG_LEVEL`: TRACE, DEBUG, INFO, WARN,
/// ERROR, FATAL) or else `RUST_LOG`. DEBUG opens this project's crates and the runtime, not
/// the HTTP and TLS stacks underneath (TRACE opens everything).
pub fn directives(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
    let level = match lambda_level.map(|l| l.trim().to_ascii_uppercase()) {
        Some(l) if !l.is_empty() => l,
        _ => {
            return rust_log
                .filter(|r| !r.trim().is_empty())
                .unwrap_or("info")
                .to_string()
        }
    };
    match level.as_str() {
        "TRACE" => "trace".into(),
        "DEBUG" => [
            "info",
            "collector=debug",
            "evaluator=debug",
            "trail=debug",
            "cognito_watch_core=debug",
            "cognito_watch_aws=debug",
            "lambda_runtime=debug",
        ]
        .join(","),
        "WARN" => "warn".into(),
        "ERROR" | "FATAL" => "error".into(),
        _ => "info".into(),
    }
}

/// The filter of [`directives`]: targets and levels (`info,collector=debug`), the syntax of
/// `RUST_LOG` without its span and regex forms, which would link a regex engine into every
/// function (~0.3 MB). Directives it cannot read give INFO and say why, in the second value.
pub fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> (Targets, Option<String>) {
    targets(&directives(lambda_level, rust_log), "info")
}

/// `wanted` as target=level directives; when it does not read, `fallback` (directives known to
/// read) and why, in the second value. The functions' filter and the CLI's `LOG=` both use it.
pub fn targets(wanted: &str, fallback: &str) -> (Targets, Option<String>) {
    match wanted.parse::<Targets>() {
        Ok(targets) => (targets, None),
        Err(e) => {
            // A bare level reads as Lambda's names it (INFO); directives as written.
            let shown = if fallback.contains(['=', ',']) {
                format!("{fallback:?}")
            } else {
                fallback.to_ascii_uppercase()
            };
            (
                fallback.parse().unwrap_or_default(),
                Some(format!(
                    "log filter {wanted:?} not understood ({e}); logging at {shown}. Use \
                     target=level directives, e.g. info,collector=debug"
                )),
            )
        }
    }
}

/// Install the subscriber of a Lambda function (cold start; once).
pub fn init_lambda() {
    let get = |k: &str| std::env::var(k).ok();
    let (filter, refused) = filter(
        get("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        get("RUST_LOG").as_deref(),
    );
    let text = get("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("text"));
    if text {
        tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .finish()
            .with(filter)
            .init();
    } else {
        tracing_subscriber::registry()
            .with(FlatJson::new(
                get("AWS_LAMBDA_FUNCTION_NAME"),
                std::io::stdout,
            ))
            .with(filter)
            .init();
    }
    if let Some(refused) = refused {
        tracing::warn!("{refused}");
    }
}

/// The layer writing one flat JSON object per event.
pub struct FlatJson<W> {
    function_name: Option<String>,
    writer: W,
}

impl<W> FlatJson<W> {
    pub fn new(function_name: Option<String>, writer: W) -> FlatJson<W> {
        FlatJson {
            function_name,
            writer,
        }
    }
}

/// A span's fields, kept in its extensions.
struct SpanFields(Map<String, Value>);

/// Fields as JSON values.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        self.0.insert(field.name().to_string(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.put(field, v);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(s) = source {
            let _ = write!(text, ": {s}");
            source = s.source();
        }
        self.put(field, Value::String(text));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        // A `Json` field (an object or an array) goes in as itself; anything else is text.
        let structured = (field.name() != "message"
            && (text.starts_with('{') || text.starts_with('[')))
        .then(|| serde_json::from_str::<Value>(&text).ok())
        .flatten()
        .filter(|v| v.is_object() || v.is_array());
        self.put(field, structured.unwrap_or(Value::String(text)));
    }
}

/// Keys the line's own fields take first; an event field of the same name is renamed.
const RESERVED: [&str; 4] = ["timestamp", "level", "message", "functionName"];

impl<S, W> Layer<S> for FlatJson<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Map::new();
        attrs.record(&mut Fields(&mut fields));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut Fields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        );
        line.insert(
            "level".into(),
            Value::String(event.metadata().level().to_string()),
        );
        let mut own = Map::new();
        event.record(&mut Fields(&mut own));
        line.insert(
            "message".into(),
            own.remove("message")
                .unwrap_or(Value::String(String::new())),
        );
        if let Some(name) = &self.function_name {
            line.insert("functionName".into(), Value::String(name.clone()));
        }
        // The spans' fields (the runtime's requestId and xrayTraceId), outermost first.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    for (k, v) in fields {
                        line.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        for (k, v) in own {
            let key = if RESERVED.contains(&k.as_str()) {
                format!("field.{k}")
            } else {
                k
            };
            line.insert(key, v);
        }
        let Ok(mut text) = serde_json::to_vec(&Value::Object(line)) else {
            return;
        };
        text.push(b'\n');
        // One write per line, so lines of concurrent tasks never interleave.
        let _ = self.writer.make_writer().write_all(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    fn lines(capture: &Capture) -> Vec<Value> {
        let bytes = capture.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect()
    }

    #[test]
    fn every_line_is_flat_json_with_the_request_id_function_name_and_real_values() {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry()
            .with(FlatJson::new(
                Some("cognito-watch-collector".into()),
                capture.clone(),
            ))
            .with(filter(Some("INFO"), None).0);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "8f5e2c1a-1b2c-4d3e-9f00-0123456789ab",
                xrayTraceId = "1-67e0a1b2-0123456789abcdef01234567"
            );
            let _in = span.enter();
            let calls: std::collections::BTreeMap<&str, u64> =
                [("GetMetricData", 2), ("ListUserPools", 1)].into();
            let pool: Option<&str> = Some("us-east-1_X");
            let missing: Option<&str> = None;
            tracing::info!(
                account = "123456789012",
                ok = 8_u64,
                share = 0.5,
                done = true,
                tasks = ?Json(&vec!["inventory", "metrics"]),
                calls = ?Json(&calls),
                pool,
                missing,
                level = "spoofed",
                "poll finished"
            );
            tracing::debug!("not at INFO");
        });
        let lines = lines(&capture);
        assert_eq!(lines.len(), 1, "DEBUG is filtered at INFO: {lines:?}");
        let l = &lines[0];
        assert_eq!(l["message"], "poll finished");
        assert_eq!(l["level"], "INFO");
        assert_eq!(l["functionName"], "cognito-watch-collector");
        assert_eq!(l["requestId"], "8f5e2c1a-1b2c-4d3e-9f00-0123456789ab");
        assert_eq!(l["xrayTraceId"], "1-67e0a1b2-0123456789abcdef01234567");
        assert_eq!(l["ok"], 8);
        assert_eq!(l["share"], 0.5);
        assert_eq!(l["done"], true);
        assert_eq!(l["tasks"], serde_json::json!(["inventory", "metrics"]));
        assert_eq!(l["calls"]["GetMetricData"], 2);
        assert_eq!(
            l["pool"], "us-east-1_X",
            "an Option is its value, not Some(..)"
        );
        assert!(l.get("missing").is_none());
        assert_eq!(
            l["field.level"], "spoofed",
            "a field never overwrites the level"
        );
        assert!(
            chrono::DateTime::parse_from_rfc3339(l["timestamp"].as_str().unwrap()).is_ok(),
            "{l}"
        );
        for (k, v) in l.as_object().unwrap() {
            let text = v.to_string();
            assert!(!text.contains("Some("), "{k}: {text}");
            assert!(!k.contains('.') || k == "field.level", "flat: {k}");
        }
    }

    #[test]
    fn lambdas_log_level_wins_over_rust_log() {
        assert_eq!(directives(Some("WARN"), Some("debug")), "warn");
        assert_eq!(directives(Some("fatal"), None), "error");
        assert_eq!(directives(Some("TRACE"), None), "trace");
        assert!(directives(Some("DEBUG"), None).contains("collector=debug"));
        assert!(directives(Some("DEBUG"), None).starts_with("info,"));
        assert_eq!(directives(None, Some("trail=debug")), "trail=debug");
        assert_eq!(directives(Some(""), None), "info");
        assert_eq!(directives(None, None), "info");
    }

    #[test]
    fn the_filter_opens_what_the_level_asks_and_no_more() {
        use tracing::Level;
        use tracing_subscriber::filter::Targets;
        let on = |f: &Targets, target: &str, level: Level| f.would_enable(target, &level);

        let (debug, refused) = filter(Some("DEBUG"), None);
        assert!(refused.is_none());
        assert!(on(&debug, "collector", Level::DEBUG));
        assert!(on(&debug, "cognito_watch_aws::sdk", Level::DEBUG));
        assert!(on(&debug, "lambda_runtime::runtime", Level::DEBUG));
        assert!(!on(&debug, "hyper_util::client", Level::DEBUG));
        assert!(on(&debug, "hyper_util::client", Level::INFO));

        let (warn, _) = filter(Some("WARN"), Some("trace"));
        assert!(!on(&warn, "collector", Level::INFO));
        assert!(on(&warn, "collector", Level::WARN));

        let (rust_log, refused) = filter(None, Some("warn,trail=trace"));
        assert!(refused.is_none());
        assert!(on(&rust_log, "trail::reader", Level::TRACE));
        assert!(!on(&rust_log, "evaluator", Level::INFO));
    }

    #[test]
    fn a_rust_log_it_cannot_read_logs_at_info_and_says_why() {
        use tracing::Level;
        let (f, refused) = filter(None, Some("collector[poll{pool=x}]=debug"));
        let why = refused.expect("a span filter is refused");
        assert!(why.contains("collector[poll{pool=x}]=debug"), "{why}");
        assert!(why.contains("INFO"), "{why}");
        assert!(f.would_enable("collector", &Level::INFO));
        assert!(!f.would_enable("collector", &Level::DEBUG));
    }
}
