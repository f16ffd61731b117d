//! The trail function's tallies, answered from the trail table: the four CubeAPM Logs
//! Insights queries, continuously (`failures`, `refresh-failures`, `top-ips`, `m2m`), and the
//! security detections raised.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use cognito_watch_aws::TrailStore;
use cognito_watch_core::trail::{
    merge_windows, valid_identity_pool_id, valid_region_scope, window_of, Counts, TallyKind,
};

use crate::env::Env;
use crate::error::CliError;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::trail_store;
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

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
    #[command(flatten)]
    pub since: crate::period::Since,
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
    format: Option<crate::format::Format>,
    style: &crate::style::Style,
    names: &std::collections::HashMap<String, String>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let q = |a: QueryArgs| Query {
        store,
        names,
        pool: a.pool,
        since: a.since.period,
        format: crate::format::Format::of(format, a.json, false),
        style,
    };
    match command {
        TallyCommand::Failures { query, by } => failures(&q(query), by, out).await,
        TallyCommand::RefreshFailures { query } => refresh_failures(&q(query), out).await,
        TallyCommand::TopIps { query, limit } => top_ips(&q(query), limit, out).await,
        TallyCommand::M2m { query } => m2m(&q(query), out).await,
        TallyCommand::IdentityPools { query } => identity_pools(&q(query), out).await,
        TallyCommand::Detections { query } => detections(&q(query), out).await,
    }
}

/// Which tallies a query reads.
pub struct Query<'a> {
    pub store: &'a TrailStore,
    /// Names of pools and app clients by id (the inventory's), shown beside the ids.
    pub names: &'a std::collections::HashMap<String, String>,
    pub pool: Option<String>,
    pub since: crate::period::Period,
    pub format: crate::format::Format,
    pub style: &'a crate::style::Style,
}

impl Query<'_> {
    /// An id with its inventory name: `shop (us-east-1_AbC)`; the id alone when unknown.
    fn named(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        }
    }

    /// The first tally window that overlaps the period.
    fn start(&self) -> Result<DateTime<Utc>, CliError> {
        Ok(window_of(self.since.start(Utc::now())?))
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

    fn emit(&self, out: &mut dyn std::io::Write, listing: &Listing) -> Result<(), CliError> {
        let empty = format!("nothing in the last {}", self.since);
        listing.emit(out, self.format, self.style, &empty)
    }

    /// A pool or app client id with its inventory name.
    fn cell(&self, id: &str) -> Cell {
        Cell::named(id, self.names)
    }
}

/// Rows with failures, most failures first.
fn most_failing(mut rows: Vec<(String, String, Counts)>) -> Vec<(String, String, Counts)> {
    rows.retain(|(_, _, c)| c.failures > 0);
    rows.sort_by(|a, b| b.2.failures.cmp(&a.2.failures).then(a.1.cmp(&b.1)));
    rows
}

/// Query 1: failures by error code, source IP or app client.
pub async fn failures(q: &Query<'_>, by: By, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let kind = match by {
        By::ErrorCode => TallyKind::Error,
        By::Ip => TallyKind::Ip,
        By::Client => TallyKind::Client,
    };
    let rows = most_failing(q.merged(kind).await?);
    let mut listing = match by {
        By::ErrorCode => Listing::new(vec![
            Field::new("pool", "Pool").named(),
            Field::new("error_code", "Error code"),
            Field::new("failures", "Failures"),
        ]),
        By::Ip | By::Client => Listing::new(vec![
            Field::new("pool", "Pool").named(),
            match by {
                By::Ip => Field::new("ip", "Source IP"),
                _ => Field::new("client", "App client").named(),
            },
            Field::new("requests", "Requests"),
            Field::new("attempts", "Sign-in attempts"),
            Field::new("failures", "Failures"),
            Field::new("failure_percent", "Failure %"),
            Field::new("by_error", "Error codes"),
        ]),
    };
    for (p, k, c) in &rows {
        listing.push(match by {
            By::ErrorCode => vec![q.cell(p), Cell::text(k.clone()), Cell::Count(c.failures)],
            By::Ip | By::Client => vec![
                q.cell(p),
                match by {
                    By::Ip => Cell::text(k.clone()),
                    _ => q.cell(k),
                },
                Cell::Count(c.requests),
                Cell::Count(c.attempts),
                Cell::Count(c.failures),
                Cell::percent(c.failures, c.requests),
                Cell::Tally(c.by_error.clone()),
            ],
        });
    }
    q.emit(out, &listing)
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
    let mut listing = Listing::new(vec![
        Field::new("bin", "5-minute bin (UTC)"),
        Field::new("pool", "Pool").named(),
        Field::new("refreshes", "Refreshes"),
        Field::new("refresh_failures", "Refresh failures"),
    ]);
    for ((w, p), (r, f)) in bins.into_iter().rev() {
        listing.push(vec![
            Cell::Time(Some(w)),
            q.cell(&p),
            Cell::Count(r),
            Cell::Count(f),
        ]);
    }
    q.emit(out, &listing)
}

/// Query 3: the source IPs with the most failures.
pub async fn top_ips(
    q: &Query<'_>,
    limit: usize,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let mut rows = most_failing(q.merged(TallyKind::Ip).await?);
    rows.truncate(limit);
    let mut listing = Listing::new(vec![
        Field::new("pool", "Pool").named(),
        Field::new("ip", "Source IP"),
        Field::new("failures", "Failures"),
        Field::new("attempts", "Sign-in attempts").wide(),
        Field::new("requests", "Requests"),
        Field::new("distinct_failing_users", "Distinct users (~)"),
        Field::new("by_error", "Error codes"),
    ]);
    for (p, ip, c) in &rows {
        listing.push(vec![
            q.cell(p),
            Cell::text(ip.clone()),
            Cell::Count(c.failures),
            Cell::Count(c.attempts),
            Cell::Count(c.requests),
            Cell::Count(c.distinct_failing_subs() as u64),
            Cell::Tally(c.by_error.clone()),
        ]);
    }
    q.emit(out, &listing)
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
    let mut listing = Listing::new(vec![
        Field::new("pool", "Pool").named(),
        Field::new("client", "App client").named(),
        Field::new("client_credentials_requests", "client_credentials requests"),
        Field::new("by_grant", "All token requests"),
        Field::new("failures", "Failures"),
    ]);
    for (p, k, c) in &rows {
        listing.push(vec![
            q.cell(p),
            q.cell(k),
            Cell::Count(c.m2m_requests()),
            Cell::Tally(c.by_grant.clone()),
            Cell::Count(c.failures),
        ]);
    }
    q.emit(out, &listing)
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
    let mut listing = Listing::new(vec![
        Field::new("identity_pool", "Identity pool"),
        Field::new("requests", "Requests"),
        Field::new("failures", "Failures"),
        Field::new("failure_percent", "Failure %"),
        Field::new("by_error", "Error codes"),
        Field::new("source_ips", "Source IPs"),
        Field::new("failing_source_ips", "Failing source IPs"),
        Field::new("guest_requests", "Guest calls"),
        Field::new("authenticated_requests", "Authenticated calls"),
        Field::new("by_event", "Calls"),
    ]);
    for (pool, a) in &activity {
        listing.push(vec![
            Cell::text(pool.clone()),
            Cell::Count(a.requests),
            Cell::Count(a.failures),
            Cell::percent(a.failures, a.requests),
            Cell::Tally(a.by_error.clone()),
            Cell::Count(a.addresses as u64),
            Cell::Count(a.failing_addresses as u64),
            Cell::Count(guests(a)),
            Cell::Count(authenticated(a)),
            Cell::Tally(a.by_event.clone()),
        ]);
    }
    q.emit(out, &listing)
}

/// The security detections raised over the period.
pub async fn detections(q: &Query<'_>, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let since = q.start()?;
    let mut found = q.store.findings(since).await?;
    if let Some(pool) = &q.pool {
        found.retain(|f| f.finding.concerns(pool) || f.finding.scope.as_deref() == Some(pool));
    }
    found.reverse();
    let mut listing = Listing::new(vec![
        Field::new("window", "Window (UTC)"),
        Field::new("detection", "Detection"),
        Field::new("severity", "Severity"),
        Field::new("pool", "Pool").named(),
        Field::new("facts", "What"),
        Field::new("delivery", "Delivery"),
    ]);
    for s in &found {
        let d = &s.finding.detection;
        listing.push(vec![
            Cell::Time(Some(s.finding.window)),
            Cell::text(d.kind().to_string()),
            Cell::Status(d.severity().to_string()),
            match (&s.finding.pool, &s.finding.scope) {
                (Some(p), _) => q.cell(p),
                (None, Some(scope)) => q.cell(scope),
                (None, None) => q.cell("-"),
            },
            Cell::List(d.facts()),
            Cell::text(s.delivery.state.to_string()),
        ]);
    }
    q.emit(out, &listing)
}

/// A tally command: the trail table's tallies, with names beside ids when the inventory can be
/// read.
pub(crate) async fn dispatch(
    env: &Env,
    command: TallyCommand,
    format: Option<crate::format::Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let store = trail_store(env, &env.sdk(3).await)?;
    let names = match env.get("STATE_TABLE") {
        Some(state) => {
            let tables = Tables {
                state,
                history: String::new(),
            };
            match StateStore::new(&env.sdk(3).await, tables).directory().await {
                Ok(d) => d.names,
                Err(e) => {
                    tracing::warn!(error = %e, "names not shown: the inventory cannot be read");
                    Default::default()
                }
            }
        }
        None => Default::default(),
    };
    let style = crate::style::Style::of(env);
    Box::pin(run(&store, command, format, &style, &names, out)).await
}
