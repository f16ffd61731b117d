//! Typed configuration, read once at cold start from environment variables. Parsing is a pure
//! function of a lookup, so it is tested without touching the process environment.

use chrono::Duration;

use crate::inventory::window::WindowPolicy;

/// A setting of the environment missing or not valid: the function does not start.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A required setting is not set.
    #[error("{name} is required (the name of {what})")]
    Missing {
        /// The variable's name.
        name: &'static str,
        /// What it names.
        what: &'static str,
    },
    /// A setting's value cannot be used.
    #[error("{name}={value:?} is not valid: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
}

/// Names of the DynamoDB tables, shared by every function and the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    /// `STATE_TABLE`: monitors, checkpoints (streamed to the evaluator).
    pub state: String,
    /// `HISTORY_TABLE`: metric history per monitor per poll and the poll log (TTL'd).
    pub history: String,
}

impl Tables {
    /// Reads `STATE_TABLE` and `HISTORY_TABLE`.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Tables, ConfigError> {
        Ok(Tables {
            state: required(get, "STATE_TABLE", "the DynamoDB state table")?,
            history: required(get, "HISTORY_TABLE", "the DynamoDB history table")?,
        })
    }
}

/// A cross-account role to assume (the Site24x7 cross-account IAM role model), with the
/// external id read at cold start from `EXTERNAL_ID_PARAMETER`.
#[derive(Clone, PartialEq)]
pub struct AssumeRole {
    /// The role's ARN.
    pub role_arn: String,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
}

impl std::fmt::Debug for AssumeRole {
    /// The external id is a shared secret: never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role_arn)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

impl AssumeRole {
    /// The account id in the role ARN (`arn:aws:iam::<account>:role/<name>`).
    pub fn account(&self) -> Option<&str> {
        account_of_role(&self.role_arn)
    }

    /// The partition the role ARN names (`aws`, `aws-cn`, `aws-eusc`, …): a role is assumed
    /// in its own partition only.
    pub fn partition(&self) -> Option<&str> {
        partition_of_arn(&self.role_arn)
    }
}

/// The partition an ARN names (`arn:<partition>:…`), when it is an ARN.
pub fn partition_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(3, ':');
    let (arn_word, partition) = (parts.next()?, parts.next()?);
    (arn_word == "arn" && partition.starts_with("aws") && parts.next().is_some())
        .then_some(partition)
}

/// The account id of an IAM role ARN, when it is one.
pub fn account_of_role(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let well_formed = arn_word == "arn"
        && partition.starts_with("aws")
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.len() > "role/".len()
        && resource.starts_with("role/")
        && resource
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b));
    well_formed.then_some(account)
}

/// The collector's configuration, read once at cold start.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectorConfig {
    /// The tables it writes.
    pub tables: Tables,
    /// `REGIONS`: comma-separated; default the function's own region.
    pub regions: Vec<String>,
    /// `MONITOR_OWN_ACCOUNT` (default true): poll the function's own account.
    pub monitor_own_account: bool,
    /// `MONITORED_ACCOUNT_ROLE_ARNS`: comma-separated role ARNs, one per monitored account.
    pub monitored_roles: Vec<String>,
    /// `EXTERNAL_ID_PARAMETER`: the name of the SSM SecureString parameter holding the external
    /// id the monitored accounts' roles require (read once, at cold start; never in the
    /// environment).
    pub external_id_parameter: Option<String>,
    /// `INVENTORY_INTERVAL_SECONDS` (default 900): Describe*/List* refresh cadence.
    pub inventory_interval: Duration,
    /// `USER_SYNC_INTERVAL_SECONDS` (default 3600): how often a user sweep starts.
    pub user_sync_interval: Duration,
    /// `MAX_USER_MONITORS` (default 1000, 0 disables user sync): user monitors per pool.
    pub max_user_monitors: u64,
    /// `METRIC_DELAY_SECONDS` (default 300) and `MAX_LOOKBACK_SECONDS` (default 86400).
    pub window: WindowPolicy,
    /// `LIST_METRICS_TTL_SECONDS` (default 900): how long a ListMetrics listing is reused.
    pub list_metrics_ttl: Duration,
    /// `QUOTA_SHARE` (default 0.5): share of each Cognito API quota the collector may use.
    pub quota_share: f64,
    /// `HISTORY_TTL_DAYS` (default 30): metric history and poll log retention.
    pub history_ttl: Duration,
    /// `PUBLISH_METRICS` (default true, and only inside Lambda): derived metrics as EMF.
    pub publish_metrics: bool,
    /// `MAX_ATTEMPTS` (default 5): SDK attempts per call (retries throttling and 5xx).
    pub max_attempts: u32,
    /// `POOL_CONCURRENCY` (default 4): user pools inventoried at once.
    pub pool_concurrency: usize,
    /// `SWEEP_PAGES_PER_RUN` (default 0 = as many as time allows): ListUsers / ListIdentities
    /// pages per pool per invocation; a sweep resumes from its checkpoint next time.
    pub sweep_pages_per_run: u64,
    /// Posture alerts: where they go, and how they are judged.
    pub posture: PostureAlerts,
}

/// What the collector needs to alert on posture changes.
#[derive(Debug, Clone, PartialEq)]
pub struct PostureAlerts {
    /// `ALERT_TOPIC_ARN` (optional): the SNS topic posture notices go to. Unset: the checks are
    /// judged (and listed by `cognito-watch posture`) but nothing is remembered or sent.
    pub topic_arn: Option<String>,
    /// `TRAIL_TABLE` (optional): the trail's detections, read so a regression the trail
    /// already raised as `risky_configuration` is not paged twice.
    pub trail_table: Option<String>,
    /// `POSTURE_HOLD_SECONDS` (default 900, only with `TRAIL_TABLE`): how long a regression
    /// waits for CloudTrail to deliver the change that caused it (AWS: typically within 5
    /// minutes) before it is published.
    pub hold: Duration,
    /// `MAX_REFRESH_TOKEN_DAYS` (default 30): the bound the checks judge against.
    pub settings: crate::posture::PostureSettings,
    /// `STATUS_TABLE` (optional): where the notification profiles live that route posture
    /// notices. Unset: every notice goes to `ALERT_TOPIC_ARN`.
    pub status_table: Option<String>,
    /// `DASHBOARD_URL` (optional): the dashboard link chat messages carry.
    pub dashboard_url: Option<String>,
}

/// The bounds the posture checks judge against (`MAX_REFRESH_TOKEN_DAYS`, default 30): the
/// collector's judgement and the CLI's listing read the same.
pub fn posture_settings(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::posture::PostureSettings, ConfigError> {
    Ok(crate::posture::PostureSettings {
        max_refresh_token_days: number::<u32>(get, "MAX_REFRESH_TOKEN_DAYS", 30)?.clamp(1, 3650),
    })
}

/// `REGIONS` (comma-separated), or the function's own region; each a region name.
fn regions(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let own_region = get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION"));
    let regions: Vec<String> = match get("REGIONS").filter(|s| !s.trim().is_empty()) {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        None => vec![own_region.ok_or(ConfigError::Missing {
            name: "REGIONS",
            what: "the regions to poll (or AWS_REGION)",
        })?],
    };
    for r in &regions {
        if !r
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid("REGIONS", r, "not a region name"));
        }
    }
    Ok(regions)
}

/// `EXTERNAL_ID_PARAMETER`: the name of the SSM SecureString holding the external id, if set.
fn external_id_parameter(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    let external_id_parameter = get("EXTERNAL_ID_PARAMETER")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(name) = &external_id_parameter {
        let ok = name.len() <= 2048
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b));
        if !ok {
            return Err(invalid(
                "EXTERNAL_ID_PARAMETER",
                name,
                "not an SSM parameter name (letters, digits, _ . - /)",
            ));
        }
    }
    Ok(external_id_parameter)
}

impl CollectorConfig {
    /// Reads the collector's settings through `get` (a variable's value by name).
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<CollectorConfig, ConfigError> {
        let regions = regions(get)?;
        if get("ASSUME_ROLES").is_some_and(|s| !s.trim().is_empty()) {
            return Err(invalid(
                "ASSUME_ROLES",
                "(set)",
                "replaced: list the role ARNs in MONITORED_ACCOUNT_ROLE_ARNS and keep the \
                 external id in an SSM SecureString named by EXTERNAL_ID_PARAMETER",
            ));
        }
        let monitored_roles: Vec<String> = get("MONITORED_ACCOUNT_ROLE_ARNS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|arn| match account_of_role(arn) {
                Some(_) => Ok(arn.to_string()),
                None if arn.contains('|') => Err(invalid(
                    "MONITORED_ACCOUNT_ROLE_ARNS",
                    arn.split('|').next().unwrap_or_default(),
                    "role ARNs only: the external id belongs in the SSM SecureString named by \
                     EXTERNAL_ID_PARAMETER, not beside the ARN",
                )),
                None => Err(invalid(
                    "MONITORED_ACCOUNT_ROLE_ARNS",
                    arn,
                    "expected arn:aws:iam::<12-digit account>:role/<name>",
                )),
            })
            .collect::<Result<_, _>>()?;
        let external_id_parameter = external_id_parameter(get)?;
        let monitor_own_account = boolean(get, "MONITOR_OWN_ACCOUNT", true)?;
        if !monitor_own_account && monitored_roles.is_empty() {
            return Err(invalid(
                "MONITOR_OWN_ACCOUNT",
                "false",
                "nothing to poll: set MONITORED_ACCOUNT_ROLE_ARNS too",
            ));
        }
        let quota_share = number::<f64>(get, "QUOTA_SHARE", 0.5)?;
        if !(quota_share > 0.0 && quota_share <= 1.0) {
            return Err(invalid(
                "QUOTA_SHARE",
                &quota_share.to_string(),
                "must be in (0, 1]",
            ));
        }
        let max_attempts = number::<u32>(get, "MAX_ATTEMPTS", 5)?.max(1);
        let pool_concurrency = number::<usize>(get, "POOL_CONCURRENCY", 4)?.clamp(1, 32);
        Ok(CollectorConfig {
            tables: Tables::from_lookup(get)?,
            regions,
            monitor_own_account,
            monitored_roles,
            external_id_parameter,
            inventory_interval: seconds(get, "INVENTORY_INTERVAL_SECONDS", 900, 0)?,
            user_sync_interval: seconds(get, "USER_SYNC_INTERVAL_SECONDS", 3600, 0)?,
            max_user_monitors: number(get, "MAX_USER_MONITORS", 1000)?,
            window: WindowPolicy {
                delay: seconds(get, "METRIC_DELAY_SECONDS", 300, 0)?,
                max_lookback: seconds(get, "MAX_LOOKBACK_SECONDS", 86_400, 900)?,
            },
            list_metrics_ttl: seconds(get, "LIST_METRICS_TTL_SECONDS", 900, 0)?,
            quota_share,
            history_ttl: Duration::days(number::<i64>(get, "HISTORY_TTL_DAYS", 30)?.clamp(1, 3650)),
            publish_metrics: publish_metrics(get)?,
            max_attempts,
            pool_concurrency,
            sweep_pages_per_run: number(get, "SWEEP_PAGES_PER_RUN", 0)?,
            posture: PostureAlerts {
                topic_arn: match get("ALERT_TOPIC_ARN").filter(|t| !t.trim().is_empty()) {
                    Some(_) => Some(topic_arn(get)?),
                    None => None,
                },
                trail_table: get("TRAIL_TABLE").filter(|t| !t.trim().is_empty()),
                hold: seconds(get, "POSTURE_HOLD_SECONDS", 900, 0)?,
                settings: posture_settings(get)?,
                status_table: get("STATUS_TABLE").filter(|t| !t.trim().is_empty()),
                dashboard_url: dashboard_url(get)?,
            },
        })
    }

    /// Reads the collector's settings from the process environment.
    pub fn from_env() -> Result<CollectorConfig, ConfigError> {
        CollectorConfig::from_lookup(&|k| std::env::var(k).ok())
    }
}

/// The evaluator's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluatorConfig {
    /// The tables it reads.
    pub tables: Tables,
    /// `STATUS_TABLE`: statuses, outages, alerts and threshold profiles.
    pub status_table: String,
    /// `ALERT_TOPIC_ARN`: the SNS topic alerts are published to.
    pub topic_arn: String,
    /// `LEASE_SECONDS` (default 120): how long one evaluation may hold a root.
    pub lease: Duration,
    /// `ALERT_TTL_DAYS` (default 30): how long delivered alerts and closed outages are kept.
    pub retention: Duration,
    /// `TRANSITION_RETENTION_DAYS` (default 400, at least 90): how long each status
    /// transition is kept, the record availability and the timeline are computed from.
    pub transition_retention: Duration,
    /// `MAX_ATTEMPTS` (default 3): SDK attempts per call.
    pub max_attempts: u32,
    /// `TRAIL_TABLE` (optional): the trail's tallies and detections, read for the evidence
    /// an alert on a user pool or app client carries. Unset: alerts say no trail is wired.
    pub trail_table: Option<String>,
    /// `PUBLISH_METRICS` (default true, and only inside Lambda): each monitor's status as the
    /// EMF metric `MonitorStatus`.
    pub publish_metrics: bool,
    /// `DASHBOARD_URL` (optional): the dashboard link chat messages carry.
    pub dashboard_url: Option<String>,
}

impl EvaluatorConfig {
    /// Reads the evaluator's settings through `get` (a variable's value by name).
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EvaluatorConfig, ConfigError> {
        let topic_arn = topic_arn(get)?;
        Ok(EvaluatorConfig {
            tables: Tables::from_lookup(get)?,
            status_table: required(get, "STATUS_TABLE", "the DynamoDB status table")?,
            topic_arn,
            lease: seconds(get, "LEASE_SECONDS", 120, 10)?,
            retention: Duration::days(number::<i64>(get, "ALERT_TTL_DAYS", 30)?.clamp(1, 3650)),
            transition_retention: transition_retention(get)?,
            max_attempts: number::<u32>(get, "MAX_ATTEMPTS", 3)?.max(1),
            trail_table: get("TRAIL_TABLE").filter(|t| !t.trim().is_empty()),
            publish_metrics: publish_metrics(get)?,
            dashboard_url: dashboard_url(get)?,
        })
    }

    /// Reads the evaluator's settings from the process environment.
    pub fn from_env() -> Result<EvaluatorConfig, ConfigError> {
        EvaluatorConfig::from_lookup(&|k| std::env::var(k).ok())
    }
}

/// `TRANSITION_RETENTION_DAYS`: refused below the longest period the views offer, so a 90-day
/// availability never silently reads a shorter record.
fn transition_retention(get: &dyn Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    use crate::alerting::availability::{DEFAULT_RETENTION_DAYS, LONGEST_PERIOD_DAYS};
    let days = number::<i64>(get, "TRANSITION_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)?;
    if !(LONGEST_PERIOD_DAYS..=3650).contains(&days) {
        return Err(invalid(
            "TRANSITION_RETENTION_DAYS",
            &days.to_string(),
            "expected 90 to 3650 days (the views offer up to 90 days of availability)",
        ));
    }
    Ok(Duration::days(days))
}

/// `DASHBOARD_URL`: an https URL, or unset.
fn dashboard_url(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    match get("DASHBOARD_URL").map(|u| u.trim().to_string()) {
        None => Ok(None),
        Some(u) if u.is_empty() => Ok(None),
        Some(u) if u.starts_with("https://") && !u.contains(char::is_whitespace) => Ok(Some(u)),
        Some(u) => Err(invalid(
            "DASHBOARD_URL",
            &u,
            "expected an https:// URL (the stack's DashboardUrl output)",
        )),
    }
}

fn topic_arn(get: &dyn Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let topic_arn = required(get, "ALERT_TOPIC_ARN", "the SNS topic for alerts")?;
    if !topic_arn.starts_with("arn:") || topic_arn.split(':').count() != 6 {
        return Err(invalid(
            "ALERT_TOPIC_ARN",
            &topic_arn,
            "expected arn:aws:sns:<region>:<account>:<topic>",
        ));
    }
    Ok(topic_arn)
}

/// The trail function's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailConfig {
    /// `STATE_TABLE` (the collector's inventory: which pool an app client belongs to).
    pub state_table: String,
    /// `STATUS_TABLE`: where the detection thresholds live, beside the threshold profiles.
    pub status_table: String,
    /// `TRAIL_TABLE`: tallies, idempotency records and detections.
    pub trail_table: String,
    /// `ALERT_TOPIC_ARN`: the SNS topic detections are published to.
    pub topic_arn: String,
    /// `EVENT_BUS_NAME` (default `default`; empty disables): where re-inventory requests go.
    pub event_bus: Option<String>,
    /// `TALLY_TTL_DAYS` (default 14): how long tallies and detections are kept.
    pub tally_ttl: Duration,
    /// `IDEMPOTENCY_TTL_HOURS` (default 24): how long a delivered batch is remembered, at
    /// least as long as its source retries.
    pub idempotency_ttl: Duration,
    /// `CLAIM_TAKEOVER_SECONDS` (default 360: the function's 300 s timeout and a minute): how
    /// old another batch's claim on a queued record must be, with no journal written, before
    /// this batch takes the record over (its batch can no longer be running).
    pub claim_takeover: Duration,
    /// `BASELINE_WINDOWS` (default 12): trailing 5-minute windows of an M2M client's baseline.
    pub baseline_windows: u32,
    /// `INVENTORY_REFRESH_SECONDS` (default 300): how long the client → pool map is reused.
    pub inventory_refresh: Duration,
    /// `MAX_ATTEMPTS` (default 3): SDK attempts per call.
    pub max_attempts: u32,
    /// `PUBLISH_METRICS` (default true, and only inside Lambda): tallies as EMF metrics.
    pub publish_metrics: bool,
    /// The most a CloudWatch Logs batch may expand to when gunzipped: a sixteenth of the
    /// function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, MB; 512 outside Lambda), between
    /// 4 and 64 MB. CloudWatch Logs sends at most 1 MB of events; more is a gzip bomb.
    pub max_log_batch_bytes: u64,
    /// `FAILURE_QUEUE_URL` (optional): the SQS queue a delivery that can never succeed is
    /// sent to at once (the function's on-failure destination).
    pub failure_queue_url: Option<String>,
    /// `TRUSTED_PRINCIPALS` (comma-separated IAM role or user ARNs; the template passes the
    /// collector's role): principals whose identity pool reads are expected, never
    /// `identity_pool_enumeration`.
    pub trusted_principals: Vec<String>,
    /// `DASHBOARD_URL` (optional): the dashboard link chat messages carry.
    pub dashboard_url: Option<String>,
}

/// The expansion cap of a CloudWatch Logs batch for a function of `memory_mb`.
pub fn max_log_batch_bytes(memory_mb: u64) -> u64 {
    (memory_mb.saturating_mul(1024 * 1024) / 16).clamp(4 << 20, 64 << 20)
}

impl TrailConfig {
    /// Reads the trail function's settings through `get` (a variable's value by name).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<TrailConfig, ConfigError> {
        Ok(TrailConfig {
            state_table: required(get, "STATE_TABLE", "the DynamoDB state table")?,
            status_table: required(get, "STATUS_TABLE", "the DynamoDB status table")?,
            trail_table: required(get, "TRAIL_TABLE", "the DynamoDB trail table")?,
            topic_arn: topic_arn(get)?,
            event_bus: match get("EVENT_BUS_NAME") {
                None => Some("default".to_string()),
                Some(b) if b.trim().is_empty() => None,
                Some(b) => Some(b.trim().to_string()),
            },
            tally_ttl: Duration::days(number::<i64>(get, "TALLY_TTL_DAYS", 14)?.clamp(1, 3650)),
            idempotency_ttl: Duration::hours(
                number::<i64>(get, "IDEMPOTENCY_TTL_HOURS", 24)?.clamp(1, 24 * 30),
            ),
            claim_takeover: seconds(get, "CLAIM_TAKEOVER_SECONDS", 360, 0)?,
            baseline_windows: number::<u32>(get, "BASELINE_WINDOWS", 12)?.clamp(1, 288),
            inventory_refresh: seconds(get, "INVENTORY_REFRESH_SECONDS", 300, 0)?,
            max_attempts: number::<u32>(get, "MAX_ATTEMPTS", 3)?.max(1),
            publish_metrics: publish_metrics(get)?,
            max_log_batch_bytes: max_log_batch_bytes(number::<u64>(
                get,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                512,
            )?),
            failure_queue_url: get("FAILURE_QUEUE_URL").filter(|u| !u.trim().is_empty()),
            trusted_principals: get("TRUSTED_PRINCIPALS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            dashboard_url: dashboard_url(get)?,
        })
    }

    /// Reads the trail function's settings from the process environment.
    pub fn from_env() -> Result<TrailConfig, ConfigError> {
        TrailConfig::from_lookup(&|k| std::env::var(k).ok())
    }
}

/// EMF lines are only worth printing where Lambda turns them into metrics.
fn publish_metrics(get: &dyn Fn(&str) -> Option<String>) -> Result<bool, ConfigError> {
    Ok(boolean(get, "PUBLISH_METRICS", true)? && get("AWS_LAMBDA_FUNCTION_NAME").is_some())
}

fn invalid(name: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn required(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    what: &'static str,
) -> Result<String, ConfigError> {
    get(name)
        .filter(|s| !s.trim().is_empty())
        .ok_or(ConfigError::Missing { name, what })
}

fn number<T: std::str::FromStr>(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(name).filter(|s| !s.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e: T::Err| invalid(name, &v, &e.to_string())),
    }
}

/// The longest interval a setting in seconds may have.
const MAX_SECONDS: i64 = 366 * 86_400;

fn seconds(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: i64,
    min: i64,
) -> Result<Duration, ConfigError> {
    let v = number::<i64>(get, name, default)?;
    if v < min {
        return Err(invalid(
            name,
            &v.to_string(),
            &format!("must be at least {min} seconds"),
        ));
    }
    if v > MAX_SECONDS {
        return Err(invalid(
            name,
            &v.to_string(),
            &format!("must be at most {MAX_SECONDS} seconds (a year)"),
        ));
    }
    Duration::try_seconds(v).ok_or_else(|| invalid(name, &v.to_string(), "out of range"))
}

fn boolean(
    get: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name).map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(s) if s.is_empty() => Ok(default),
        Some(s) if ["1", "true", "yes", "on"].contains(&s.as_str()) => Ok(true),
        Some(s) if ["0", "false", "no", "off"].contains(&s.as_str()) => Ok(false),
        Some(s) => Err(invalid(name, &s, "expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<CollectorConfig, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CollectorConfig::from_lookup(&|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_and_the_functions_own_region() {
        let c = parse(&[
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("AWS_REGION", "eu-west-1"),
        ])
        .unwrap();
        assert_eq!(c.regions, vec!["eu-west-1"]);
        assert_eq!(c.inventory_interval, Duration::minutes(15));
        assert_eq!(c.window.delay, Duration::minutes(5));
        assert_eq!(c.quota_share, 0.5);
        assert!(c.monitor_own_account && c.monitored_roles.is_empty());
        assert_eq!(c.external_id_parameter, None);
    }

    #[test]
    fn an_interval_out_of_range_is_an_error_not_a_panic() {
        let base = [
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("AWS_REGION", "eu-west-1"),
        ];
        for (name, v) in [
            ("INVENTORY_INTERVAL_SECONDS", "9223372036854775807"),
            ("INVENTORY_INTERVAL_SECONDS", "31708800000"),
            ("MAX_LOOKBACK_SECONDS", "99999999999999"),
        ] {
            let mut pairs = base.to_vec();
            pairs.push((name, v));
            let err = parse(&pairs).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn roles_with_external_ids_and_clear_errors() {
        let c = parse(&[
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("REGIONS", "us-east-1, eu-central-1"),
            ("MONITORED_ACCOUNT_ROLE_ARNS", "arn:aws:iam::111122223333:role/CognitoWatch, arn:aws-us-gov:iam::444455556666:role/path/R"),
            ("EXTERNAL_ID_PARAMETER", "/cognito-watch/external-id"),
        ])
        .unwrap();
        assert_eq!(c.regions, vec!["us-east-1", "eu-central-1"]);
        assert_eq!(
            c.monitored_roles,
            vec![
                "arn:aws:iam::111122223333:role/CognitoWatch",
                "arn:aws-us-gov:iam::444455556666:role/path/R"
            ]
        );
        assert_eq!(
            c.external_id_parameter.as_deref(),
            Some("/cognito-watch/external-id")
        );
        assert_eq!(account_of_role(&c.monitored_roles[1]), Some("444455556666"));
        assert_eq!(
            partition_of_arn("arn:aws-eusc:sts::123456789012:assumed-role/r/s"),
            Some("aws-eusc")
        );
        assert_eq!(
            partition_of_arn("arn:aws-iso-b:iam::123456789012:role/r"),
            Some("aws-iso-b")
        );
        assert_eq!(partition_of_arn("aws:iam::123456789012:role/r"), None);
        assert_eq!(
            parse(&[("HISTORY_TABLE", "h"), ("AWS_REGION", "x")]).unwrap_err(),
            ConfigError::Missing {
                name: "STATE_TABLE",
                what: "the DynamoDB state table"
            }
        );
        let err = parse(&[
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("AWS_REGION", "x"),
            ("QUOTA_SHARE", "2"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("QUOTA_SHARE"));
        assert!(parse(&[
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("AWS_REGION", "x"),
            ("MONITORED_ACCOUNT_ROLE_ARNS", "nope")
        ])
        .is_err());
        for (name, value, says) in [
            (
                "MONITORED_ACCOUNT_ROLE_ARNS",
                "arn:aws:iam::111122223333:role/R|s3cret",
                "SSM SecureString",
            ),
            (
                "MONITORED_ACCOUNT_ROLE_ARNS",
                "arn:aws:iam::111122223333:user/R",
                "role/<name>",
            ),
            (
                "ASSUME_ROLES",
                "arn:aws:iam::111122223333:role/R|s3cret",
                "MONITORED_ACCOUNT_ROLE_ARNS",
            ),
            ("EXTERNAL_ID_PARAMETER", "my secret!", "SSM parameter name"),
        ] {
            let err = parse(&[
                ("STATE_TABLE", "s"),
                ("HISTORY_TABLE", "h"),
                ("AWS_REGION", "x"),
                (name, value),
            ])
            .unwrap_err()
            .to_string();
            assert!(err.contains(name) && err.contains(says), "{err}");
            assert!(
                !err.contains("s3cret"),
                "a secret never reaches an error: {err}"
            );
        }
        assert!(parse(&[
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("AWS_REGION", "x"),
            ("METRIC_DELAY_SECONDS", "soon")
        ])
        .is_err());
    }

    #[test]
    fn the_evaluator_needs_its_table_and_a_topic_arn() {
        let env: HashMap<&str, &str> = [
            ("STATE_TABLE", "s"),
            ("HISTORY_TABLE", "h"),
            ("STATUS_TABLE", "st"),
            (
                "ALERT_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:123456789012:alerts",
            ),
        ]
        .into();
        let c = EvaluatorConfig::from_lookup(&|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.status_table, "st");
        assert_eq!(c.lease, Duration::seconds(120));
        let bad = EvaluatorConfig::from_lookup(&|k| {
            if k == "ALERT_TOPIC_ARN" {
                Some("alerts".into())
            } else {
                env.get(k).map(|v| v.to_string())
            }
        })
        .unwrap_err();
        assert!(bad.to_string().contains("arn:aws:sns"), "{bad}");
    }
}
