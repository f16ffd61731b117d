//! The trail function's tallies, answered from the trail table: the four CubeAPM Logs
//! Insights queries, continuously (`failures`, `refresh-failures`, `top-ips`, `m2m`), and the
//! security detections raised.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use cognito_watch_aws::TrailStore;
use cognito_watch_core::trail::{
    merge_windows, parse_period, valid_identity_pool_id, valid_region_scope, window_of, Counts,
    TallyKind,
};
use serde_json::{json, Value};

use crate::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    ErrorCode,
    Ip,
    Client,
}

/// What every tally command takes.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Only this user pool (`-`: clients not yet inventoried); every pool by default.
    #[arg(long)]
    pub pool: Option<String>,
    /// How far back: 30m, 1h, 2d... (default 1h; 1d for detections)
    #[arg(long)]
    pub since: Option<String>,
    /// JSON output (the same as `-o json`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TallyCommand {
    /// Failed requests, by error code, source IP or app
    /// client.
    Failures {
        #[command(flatten)]
        query: QueryArgs,
        /// What to count the failures by.
        #[arg(long, value_enum, default_value_t = By::ErrorCode)]
        by: By,
    },
    /// Token refresh failures per 5-minute bin.
    RefreshFailures {
        #[command(flatten)]
        query: QueryArgs,
    },
    /// The source IPs with the most failures (brute force).
    TopIps {
        #[command(flatten)]
        query: QueryArgs,
        /// How many source IPs to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Token requests per app client, client_credentials (machine-to-machine) first.
    M2m {
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Identity pools: requests, failures by error code, source IPs, and guest
    /// (unauthenticated) against authenticated callers.
    IdentityPools {
        #[command(flatten)]
        query: QueryArgs,
    },
    /// Security detections raised by the trail function.
    Detections {
        #[command(flatten)]
        query: QueryArgs,
    },
}

/// Run a tally command against the trail table.
pub async fn run(
    store: &TrailStore,
    command: TallyCommand,
    format: Option<crate::Format>,
    look: &crate::render::Look,
    names: &std::collections::HashMap<String, String>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let q = |a: QueryArgs, default: &str| Query {
        store,
        names,
        pool: a.pool,
        since: a.since.unwrap_or_else(|| default.to_string()),
        format: crate::Format::of(format, a.json, false),
        look,
    };
    match command {
        TallyCommand::Failures { query, by } => failures(&q(query, DEFAULT_SINCE), by, out).await,
        TallyCommand::RefreshFailures { query } => {
            refresh_failures(&q(query, DEFAULT_SINCE), out).await
        }
        TallyCommand::TopIps { query, limit } => {
            top_ips(&q(query, DEFAULT_SINCE), limit, out).await
        }
        TallyCommand::M2m { query } => m2m(&q(query, DEFAULT_SINCE), out).await,
        TallyCommand::IdentityPools { query } => {
            identity_pools(&q(query, DEFAULT_SINCE), out).await
        }
        TallyCommand::Detections { query } => detections(&q(query, "1d"), out).await,
    }
}

/// Which tallies a query reads.
pub struct Query<'a> {
    pub store: &'a TrailStore,
    /// Names of pools and app clients by id (the inventory's), shown beside the ids.
    pub names: &'a std::collections::HashMap<String, String>,
    pub pool: Option<String>,
    pub since: String,
    pub format: crate::Format,
    pub look: &'a crate::render::Look,
}

impl Query<'_> {
    /// An id with its inventory name: `shop (us-east-1_AbC)`; the id alone when unknown.
    fn named(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        }
    }

    fn start(&self) -> Result<DateTime<Utc>, CliError> {
        let period = parse_period(&self.since).map_err(CliError::Usage)?;
        let start = Utc::now().checked_sub_signed(period).ok_or_else(|| {
            CliError::Usage(format!("--since {}: reaches before the year 0", self.since))
        })?;
        Ok(window_of(start))
    }

    /// The pools asked for, or every pool (the account and region totals, which count the
    /// same requests again, only when asked for by `--pool <account>/<region>`).
    ///
    /// `--pool` takes a pool's id or its inventory name; one the trail has no tallies for is
    /// an error naming those it has, never an empty answer.
    async fn pools(&self) -> Result<Vec<String>, CliError> {
        let mut stored = self.store.pools().await?;
        let Some(p) = &self.pool else {
            stored.retain(|p| valid_region_scope(p).is_none());
            return Ok(stored);
        };
        if stored.contains(p) {
            return Ok(vec![p.clone()]);
        }
        let named: Vec<&String> = stored
            .iter()
            .filter(|id| self.names.get(*id).is_some_and(|n| n == p))
            .collect();
        match named.as_slice() {
            [one] => Ok(vec![(*one).clone()]),
            [] => {
                let known: Vec<String> = stored
                    .iter()
                    .filter(|id| valid_region_scope(id).is_none())
                    .map(|id| self.named(id))
                    .collect();
                Err(CliError::Usage(format!(
                    "--pool {p:?}: the trail has no tallies for a pool of that id or name; it has them for: {}",
                    if known.is_empty() { "none yet".to_string() } else { known.join(", ") }
                )))
            }
            many => Err(CliError::Usage(format!(
                "--pool {p:?} names {} pools; give one of their ids: {}",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Tallies of `kind` over the period, merged across windows, per (pool, key).
    async fn merged(&self, kind: TallyKind) -> Result<Vec<(String, String, Counts)>, CliError> {
        let pools = self.pools().await?;
        self.merged_in(kind, &pools).await
    }

    /// Tallies of `kind` in these pools over the period, merged across windows.
    async fn merged_in(
        &self,
        kind: TallyKind,
        pools: &[String],
    ) -> Result<Vec<(String, String, Counts)>, CliError> {
        let since = self.start()?;
        let mut rows = Vec::new();
        for pool in pools {
            rows.extend(self.store.tallies(pool, kind, since).await?);
        }
        Ok(merge_windows(rows)
            .into_iter()
            .map(|((pool, key), c)| {
                (
                    pool.unwrap_or_else(|| "-".into()),
                    key.value().to_string(),
                    c,
                )
            })
            .collect())
    }

    fn emit(
        &self,
        out: &mut dyn std::io::Write,
        header: &[&str],
        rows: Vec<Vec<String>>,
        json_rows: Vec<Value>,
    ) -> Result<(), CliError> {
        let empty = format!("nothing in the last {}", self.since);
        crate::render::emit(out, self.format, self.look, header, rows, json_rows, &empty)
    }
}

/// Rows with failures, most failures first.
fn most_failing(mut rows: Vec<(String, String, Counts)>) -> Vec<(String, String, Counts)> {
    rows.retain(|(_, _, c)| c.failures > 0);
    rows.sort_by(|a, b| b.2.failures.cmp(&a.2.failures).then(a.1.cmp(&b.1)));
    rows
}

/// The most frequent entries (error codes, event names), `name ×n`, at most `max`.
fn top_errors(by_error: &BTreeMap<String, u64>, max: usize) -> String {
    let mut v: Vec<(&String, &u64)> = by_error.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(max)
        .map(|(c, n)| format!("{c} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}", 100.0 * part as f64 / whole as f64)
    }
}

/// Query 1: failures by error code, source IP or app client.
pub async fn failures(q: &Query<'_>, by: By, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let kind = match by {
        By::ErrorCode => TallyKind::Error,
        By::Ip => TallyKind::Ip,
        By::Client => TallyKind::Client,
    };
    let rows = most_failing(q.merged(kind).await?);
    let (header, table, json_rows): (Vec<&str>, Vec<Vec<String>>, Vec<Value>) = match by {
        By::ErrorCode => (
            vec!["Pool", "Error code", "Failures"],
            rows.iter()
                .map(|(p, k, c)| vec![q.named(p), q.named(k), c.failures.to_string()])
                .collect(),
            rows.iter()
                .map(|(p, k, c)| json!({"pool": p, "error_code": k, "failures": c.failures}))
                .collect(),
        ),
        By::Ip | By::Client => (
            vec![
                "Pool",
                if by == By::Ip {
                    "Source IP"
                } else {
                    "App client"
                },
                "Requests",
                "Sign-in attempts",
                "Failures",
                "Failure %",
                "Error codes",
            ],
            rows.iter()
                .map(|(p, k, c)| {
                    vec![
                        q.named(p),
                        q.named(k),
                        c.requests.to_string(),
                        c.attempts.to_string(),
                        c.failures.to_string(),
                        percent(c.failures, c.requests),
                        top_errors(&c.by_error, 3),
                    ]
                })
                .collect(),
            rows.iter()
                .map(|(p, k, c)| {
                    json!({"pool": p, (if by == By::Ip { "ip" } else { "client_id" }): k,
                        "requests": c.requests, "attempts": c.attempts, "failures": c.failures,
                        "by_error": c.by_error})
                })
                .collect(),
        ),
    };
    q.emit(out, &header, table, json_rows)
}

/// Query 2: token refresh failures per 5-minute bin.
pub async fn refresh_failures(q: &Query<'_>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let since = q.start()?;
    let mut bins: BTreeMap<(DateTime<Utc>, String), (u64, u64)> = BTreeMap::new();
    for pool in q.pools().await? {
        for (id, c) in q.store.tallies(&pool, TallyKind::Client, since).await? {
            let bin = bins
                .entry((id.window, id.pool.unwrap_or_else(|| "-".into())))
                .or_default();
            bin.0 += c.refreshes;
            bin.1 += c.refresh_failures;
        }
    }
    bins.retain(|_, (r, f)| *r > 0 || *f > 0);
    let newest_first: Vec<_> = bins.into_iter().rev().collect();
    q.emit(
        out,
        &["5-minute bin (UTC)", "Pool", "Refreshes", "Refresh failures"],
        newest_first
            .iter()
            .map(|((w, p), (r, f))| {
                vec![
                    crate::render::when(*w),
                    q.named(p),
                    r.to_string(),
                    f.to_string(),
                ]
            })
            .collect(),
        newest_first
            .iter()
            .map(|((w, p), (r, f))| json!({"bin": w, "pool": p, "refreshes": r, "refresh_failures": f}))
            .collect(),
    )
}

/// Query 3: the source IPs with the most failures.
pub async fn top_ips(
    q: &Query<'_>,
    limit: usize,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let mut rows = most_failing(q.merged(TallyKind::Ip).await?);
    rows.truncate(limit);
    q.emit(
        out,
        &[
            "Pool",
            "Source IP",
            "Failures",
            "Requests",
            "Distinct users",
            "Error codes",
        ],
        rows.iter()
            .map(|(p, ip, c)| {
                vec![
                    q.named(p),
                    ip.clone(),
                    c.failures.to_string(),
                    c.requests.to_string(),
                    format!("~{}", c.distinct_failing_subs()),
                    top_errors(&c.by_error, 3),
                ]
            })
            .collect(),
        rows.iter()
            .map(|(p, ip, c)| {
                json!({"pool": p, "ip": ip, "failures": c.failures, "attempts": c.attempts,
                    "requests": c.requests,
                    "distinct_failing_users": c.distinct_failing_subs(), "by_error": c.by_error})
            })
            .collect(),
    )
}

/// Query 4: token requests per app client, machine-to-machine first.
pub async fn m2m(q: &Query<'_>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let mut rows = q.merged(TallyKind::Client).await?;
    rows.retain(|(_, _, c)| !c.by_grant.is_empty());
    rows.sort_by(|a, b| {
        b.2.m2m_requests()
            .cmp(&a.2.m2m_requests())
            .then(a.1.cmp(&b.1))
    });
    let grants = |c: &Counts| {
        c.by_grant
            .iter()
            .map(|(g, n)| format!("{g} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    q.emit(
        out,
        &[
            "Pool",
            "App client",
            "client_credentials requests",
            "All token requests",
            "Failures",
        ],
        rows.iter()
            .map(|(p, k, c)| {
                vec![
                    q.named(p),
                    q.named(k),
                    c.m2m_requests().to_string(),
                    grants(c),
                    c.failures.to_string(),
                ]
            })
            .collect(),
        rows.iter()
            .map(|(p, k, c)| {
                json!({"pool": p, "client_id": k, "client_credentials_requests": c.m2m_requests(),
                    "by_grant": c.by_grant, "failures": c.failures})
            })
            .collect(),
    )
}

/// One identity pool's activity over the period.
#[derive(Default)]
struct IdentityPoolActivity {
    requests: u64,
    failures: u64,
    by_error: BTreeMap<String, u64>,
    by_event: BTreeMap<String, u64>,
    addresses: usize,
    failing_addresses: usize,
    /// Requests by CloudTrail `userIdentity.type` (`Unknown`: a guest).
    by_caller: BTreeMap<String, u64>,
}

/// The identity pools' activity: requests, failures by error code, source IPs, guests and
/// authenticated callers.
pub async fn identity_pools(q: &Query<'_>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let mut pools = q.pools().await?;
    pools.retain(|p| valid_identity_pool_id(p).is_some());
    let mut activity: BTreeMap<String, IdentityPoolActivity> = BTreeMap::new();
    for (pool, event, c) in q.merged_in(TallyKind::Event, &pools).await? {
        let a = activity.entry(pool).or_default();
        a.requests += c.requests;
        a.failures += c.failures;
        for (code, n) in &c.by_error {
            *a.by_error.entry(code.clone()).or_default() += n;
        }
        *a.by_event.entry(event).or_default() += c.requests;
    }
    for (pool, _, c) in q.merged_in(TallyKind::Ip, &pools).await? {
        let a = activity.entry(pool).or_default();
        a.addresses += 1;
        a.failing_addresses += usize::from(c.failures > 0);
    }
    for (pool, caller, c) in q.merged_in(TallyKind::Caller, &pools).await? {
        *activity
            .entry(pool)
            .or_default()
            .by_caller
            .entry(caller)
            .or_default() += c.requests;
    }
    let guests = |a: &IdentityPoolActivity| a.by_caller.get("Unknown").copied().unwrap_or(0);
    let authenticated = |a: &IdentityPoolActivity| {
        a.by_caller
            .iter()
            .filter(|(t, _)| t.as_str() != "Unknown")
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    q.emit(
        out,
        &[
            "Identity pool",
            "Requests",
            "Failures",
            "Failure %",
            "Error codes",
            "Source IPs (failing)",
            "Guest calls",
            "Authenticated calls",
            "Calls",
        ],
        activity
            .iter()
            .map(|(pool, a)| {
                vec![
                    pool.clone(),
                    a.requests.to_string(),
                    a.failures.to_string(),
                    percent(a.failures, a.requests),
                    top_errors(&a.by_error, 3),
                    format!("{} ({})", a.addresses, a.failing_addresses),
                    guests(a).to_string(),
                    authenticated(a).to_string(),
                    top_errors(&a.by_event, 4),
                ]
            })
            .collect(),
        activity
            .iter()
            .map(|(pool, a)| {
                json!({"identity_pool": pool, "requests": a.requests, "failures": a.failures,
                    "by_error": a.by_error, "by_event": a.by_event, "source_ips": a.addresses,
                    "failing_source_ips": a.failing_addresses, "by_caller_type": a.by_caller,
                    "guest_requests": guests(a), "authenticated_requests": authenticated(a)})
            })
            .collect(),
    )
}

/// The security detections raised over the period.
pub async fn detections(q: &Query<'_>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let since = q.start()?;
    let mut found = q.store.findings(since).await?;
    if let Some(pool) = &q.pool {
        found.retain(|f| f.finding.concerns(pool) || f.finding.scope.as_deref() == Some(pool));
    }
    found.reverse();
    q.emit(
        out,
        &[
            "Window (UTC)",
            "Detection",
            "Severity",
            "Pool",
            "What",
            "Delivery",
        ],
        found
            .iter()
            .map(|s| {
                let d = &s.finding.detection;
                vec![
                    crate::render::when(s.finding.window),
                    d.kind().to_string(),
                    d.severity().to_string(),
                    match (&s.finding.pool, &s.finding.scope) {
                        (Some(p), _) => q.named(p),
                        (None, Some(scope)) => scope.clone(),
                        (None, None) => "-".into(),
                    },
                    d.facts().join("; "),
                    s.delivery.state.to_string(),
                ]
            })
            .collect(),
        found
            .iter()
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
            .collect(),
    )
}

/// `--since` default: the last hour.
pub const DEFAULT_SINCE: &str = "1h";
