//! The trail function: CloudTrail records and Cognito user logs → 5-minute tallies per app
//! client, source IP, error code and event name, and security detections published to the
//! alert topic once per window and key.
//!
//! Per delivery (see `input`): take every record in (malformed ones are skipped and counted),
//! aggregated in memory; apply the tallies at most once (idempotency records in the same
//! transactions); read back the window totals of what this delivery touched; detect; record
//! each detection once and publish it. Infrastructure failures (DynamoDB, SNS, S3) fail the
//! invocation so the source retries; a retry changes no tally and publishes only what was not
//! published.

/// The payload and file readers: pure code, kept in the core crate, which is built for speed.
pub use cognito_watch_core::trail::{file, input};

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_aws::dynamo::outbox::Delivered;
use cognito_watch_aws::events::Requests;
use cognito_watch_aws::failures::{FailedDelivery, FailureQueue};
use cognito_watch_aws::s3::TrailFiles;
use cognito_watch_aws::trail::{Applied, Claim};
use cognito_watch_aws::{AlertSink, AwsError, StateStore, StatusStore, TrailStore};
use cognito_watch_core::alerting::chat::Links;
use cognito_watch_core::alerting::message::{self as alert_message, Message};
use cognito_watch_core::alerting::notification::{
    Destination, Notice, Notifications, Route, Subject,
};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::config::{Tables, TrailConfig};
use cognito_watch_core::trail::detect::{
    baseline_of, detect, is_candidate, m2m_new_source, seen_in, DetectionThresholds, Finding,
    GUEST_QUIET_DAYS,
};
use cognito_watch_core::trail::intake::{Directory, Intake, IntakeCounts, Part, PART_RECORDS};
use cognito_watch_core::trail::{
    valid_region_scope, valid_scope_id, Counts, TallyId, TallyKey, WINDOW_MINUTES,
};
use serde::Serialize;
use tokio::sync::Mutex;

use input::{Body, Delivery};

#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{failed} of {deliveries} deliveries failed and will be retried by their source; first: {first}")]
    Failed {
        failed: usize,
        deliveries: usize,
        first: String,
        report: Box<TrailReport>,
    },
}

/// What Lambda reports as the invocation's `errorType`: the variant, not a boxed type name.
impl From<TrailError> for lambda_runtime::Diagnostic {
    fn from(e: TrailError) -> lambda_runtime::Diagnostic {
        let kind = match &e {
            TrailError::Input(_) => "UnsupportedInput",
            TrailError::Aws(_) => "AwsCallFailed",
            TrailError::Failed { .. } => "DeliveriesFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: format!("TrailError.{kind}"),
            error_message: e.to_string(),
        }
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TrailReport {
    pub deliveries: usize,
    /// Deliveries seen before: no tally changed.
    pub duplicates: usize,
    /// Deliveries with nothing to do (control messages, test events, digest files).
    pub ignored: usize,
    #[serde(flatten)]
    pub records: IntakeCounts,
    /// Tallies whose app client is not (yet) in the inventory: kept under pool `-`.
    pub unresolved_clients: usize,
    pub tallies_written: usize,
    pub transactions: usize,
    /// Detections raised for the first time.
    pub detections: usize,
    pub alerts_sent: usize,
    pub alerts_pending: usize,
    pub reinventories: usize,
    /// Deliveries that can never succeed (an S3 object gone, access denied): sent to the
    /// failure queue at once, not retried.
    pub permanent_failures: usize,
    /// Queued records another batch had counted already (a redelivered or duplicated message):
    /// not counted again.
    pub already_counted: usize,
    /// Queued records a batch that may still be running holds: given back to the queue.
    pub held_elsewhere: usize,
    /// Items written to the trail table for the tallies (claims, journal parts, tally updates
    /// and idempotency marks), and their write units (a transactional write counts twice, a
    /// tally update once more for the tallies index, a journal part one per KB).
    pub items_written: usize,
    pub write_units: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// An SQS batch's messages given back to the queue (Lambda's partial batch response).
    #[serde(rename = "batchItemFailures", skip_serializing_if = "Option::is_none")]
    pub batch_item_failures: Option<Vec<ItemFailure>>,
}

/// A message of an SQS batch given back to the queue.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Claims of a queued batch's records made at once.
const CLAIMS_AT_ONCE: usize = 32;

/// The S3 object a delivery names.
struct Object<'a> {
    bucket: &'a str,
    key: &'a str,
    version_id: Option<&'a str>,
}

/// What every part of a delivery shares: its key, the account its envelope (or else the
/// function's own) names, the inventory's names, the time it was taken in.
struct DeliveryContext<'a> {
    key: &'a str,
    account: Option<String>,
    directory: &'a Directory,
    now: DateTime<Utc>,
}

/// What a delivery's detections are judged on.
struct Judged<'a> {
    /// The tallies it touched, with its own counts.
    touched: &'a BTreeMap<TallyId, Counts>,
    /// Detections its records raised themselves.
    findings: Vec<Finding>,
    /// Candidates that are detections only the first time in a while.
    first_seen: Vec<Finding>,
    m2m_sources: BTreeMap<cognito_watch_core::trail::intake::M2mSource, String>,
    account: Option<String>,
}

/// Each holding batch's journal, read once: None when it never wrote one.
type Journals = BTreeMap<String, Option<BTreeMap<TallyId, Counts>>>;

/// How long a claimed detection is ours to publish.
const CLAIM_SECONDS: i64 = 60;
/// The client → pool map is refreshed at most this often when a client is missing from it.
const MISS_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Default)]
struct Cache {
    directory: Arc<Directory>,
    directory_at: Option<Instant>,
    thresholds: Option<(DetectionThresholds, Instant)>,
    notifications: Option<(Arc<Notifications>, Instant)>,
    noted_pools: HashSet<String>,
    sent: HashSet<String>,
}

pub struct Trail {
    pub config: TrailConfig,
    pub state: StateStore,
    pub status: StatusStore,
    pub store: TrailStore,
    pub sink: AlertSink,
    pub files: TrailFiles,
    pub requests: Option<Requests>,
    pub failures: Option<FailureQueue>,
    /// Records read so far, for a watcher (the CLI's progress line).
    pub progress: cognito_watch_core::progress::Progress,
    /// Records of a trail file finished at a time ([`PART_RECORDS`]; tests make it small).
    pub part_records: u64,
    cache: Mutex<Cache>,
}

impl Trail {
    pub fn new(config: TrailConfig, base: &SdkConfig) -> Trail {
        let tables = Tables {
            state: config.state_table.clone(),
            history: String::new(),
        };
        Trail {
            state: StateStore::new(base, tables),
            status: StatusStore::new(base, &config.status_table, config.tally_ttl),
            store: TrailStore::new(
                base,
                &config.trail_table,
                config.tally_ttl,
                config.idempotency_ttl,
            ),
            sink: AlertSink::new(base, &config.topic_arn).with_links(Links {
                dashboard: config.dashboard_url.clone(),
            }),
            files: TrailFiles::new(base),
            requests: config.event_bus.as_deref().map(|b| Requests::new(base, b)),
            failures: config
                .failure_queue_url
                .as_deref()
                .map(|u| FailureQueue::new(base, u)),
            config,
            progress: cognito_watch_core::progress::Progress::default(),
            part_records: PART_RECORDS,
            cache: Mutex::new(Cache::default()),
        }
    }

    pub async fn from_env() -> Result<Trail, Box<dyn std::error::Error + Send + Sync>> {
        let config = TrailConfig::from_env()?;
        let base = cognito_watch_aws::sdk::load(config.max_attempts).await;
        Ok(Trail::new(config, &base))
    }

    /// Decode and process one invocation. `account` is the function's own account (from its
    /// ARN), used for detections whose records do not name one.
    pub async fn handle(
        &self,
        payload: impl Into<input::Payload>,
        account: Option<String>,
    ) -> Result<TrailReport, TrailError> {
        let started = Instant::now();
        let deliveries = input::decode(payload, self.config.max_log_batch_bytes)?;
        let source = deliveries.first().map_or("empty", |d| d.source);
        let mut result = if deliveries.iter().any(|d| d.source == "sqs") {
            Ok(Box::pin(self.handle_queue(deliveries, account)).await)
        } else {
            Box::pin(self.handle_deliveries(deliveries, account)).await
        };
        match &mut result {
            Ok(report) => self.note_usage(source, started, report).await,
            Err(TrailError::Failed { report, .. }) => {
                self.note_usage(source, started, report).await;
            }
            Err(_) => {}
        }
        result
    }

    /// Add the invocation to its hour's usage record (what `cognito-watch cost` prices the
    /// trail from), the record's own write counted. A usage record that cannot be written is
    /// logged with its figures, not retried: the invocation's work is done.
    async fn note_usage(&self, source: &'static str, started: Instant, report: &mut TrailReport) {
        use chrono::DurationRound;
        report.items_written += 1;
        report.write_units += 1;
        let now = Utc::now();
        let usage = cognito_watch_core::cost::TrailUsage {
            source: source.to_string(),
            hour: now.duration_trunc(Duration::hours(1)).unwrap_or(now),
            invocations: 1,
            deliveries: report.deliveries as u64,
            records: report.records.cognito_records,
            items_written: report.items_written as u64,
            write_units: report.write_units as u64,
            milliseconds: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(e) = self.store.add_usage(&usage).await {
            tracing::warn!(error = %e, source, records = usage.records, write_units = usage.write_units,
                milliseconds = usage.milliseconds, "the trail's usage record was not written");
        }
    }

    /// Deliveries other than a queued batch: each applied on its own.
    async fn handle_deliveries(
        &self,
        deliveries: Vec<Delivery>,
        account: Option<String>,
    ) -> Result<TrailReport, TrailError> {
        let mut report = TrailReport {
            deliveries: deliveries.len(),
            ..Default::default()
        };
        let mut errors = Vec::new();
        for d in deliveries {
            let key = d.key.clone();
            let source = d.source;
            let object = match &d.body {
                Body::S3 {
                    bucket,
                    key,
                    version_id,
                } => Some(
                    serde_json::json!({"bucket": bucket, "key": key, "version_id": version_id}),
                ),
                _ => None,
            };
            // Boxed: the delivery future is deep, and callers' stacks may be small.
            let processed = Box::pin(self.process(d, account.as_deref(), &mut report)).await;
            let Err(e) = processed else { continue };
            // A detection left pending (its topic missing, say: a mistake to fix, not a lost
            // delivery) is published when the delivery is retried; the source keeps it whole
            // in its own failure destination if the retries run out first.
            let alert_pending = matches!(e.operation, "Publish" | "PutEvents");
            if !e.is_permanent() || alert_pending {
                tracing::error!(delivery = %key, error = %e, "delivery failed; its source will retry");
                errors.push(e.to_string());
                continue;
            }
            // Retrying cannot help: counted, logged, and sent to the failure queue at once.
            report.permanent_failures += 1;
            let failed = FailedDelivery {
                kind: "permanent-failure",
                delivery: key.clone(),
                source,
                object,
                operation: e.operation,
                error_code: e.code.clone(),
                reason: e.to_string(),
            };
            tracing::error!(delivery = %key, error = %e, "delivery can never succeed; sent to the failure queue, not retried");
            if let Some(queue) = &self.failures {
                if let Err(send) = queue.send(&failed).await {
                    // Not recorded anywhere yet: let the source retry it.
                    errors.push(format!("{e} (and the failure queue: {send})"));
                }
            }
        }
        tracing::info!(
            deliveries = report.deliveries,
            duplicates = report.duplicates,
            cognito_records = report.records.cognito_records,
            malformed = report.records.malformed,
            skipped_non_cognito = report.records.skipped_non_cognito,
            tallies_written = report.tallies_written,
            detections = report.detections,
            alerts_sent = report.alerts_sent,
            "trail invocation"
        );
        if let Some(first) = errors.first().cloned() {
            report.errors = errors;
            return Err(TrailError::Failed {
                failed: report.errors.len(),
                deliveries: report.deliveries,
                first,
                report: Box::new(report),
            });
        }
        Ok(report)
    }

    /// An SQS batch (EventBridge → queue → function): each record claimed for this batch
    /// (one plain conditional put each), the claimed records' tallies aggregated, written as
    /// the batch's journal, then applied in idempotent transactions; detections judged on what
    /// the batch touched. A record another batch counted already is not counted again (that
    /// batch's journal is applied again if it stopped before it was); a record a batch that may
    /// still be running holds goes back to the queue, alone. Any failure gives the whole batch
    /// back: what it counted is found counted when the messages return.
    async fn handle_queue(
        &self,
        deliveries: Vec<Delivery>,
        account: Option<String>,
    ) -> TrailReport {
        let mut report = TrailReport {
            deliveries: deliveries.len(),
            ..Default::default()
        };
        let messages: Vec<String> = deliveries
            .iter()
            .filter_map(|d| d.message.clone())
            .collect();
        let given_back = match self
            .queue_batch(deliveries, account.as_deref(), &mut report)
            .await
        {
            Ok(given_back) => given_back,
            Err(e) => {
                tracing::error!(error = %e, messages = messages.len(), "queued batch failed; its messages go back to the queue");
                report.errors.push(e.to_string());
                messages
            }
        };
        report.batch_item_failures = Some(
            given_back
                .into_iter()
                .map(|item_identifier| ItemFailure { item_identifier })
                .collect(),
        );
        tracing::info!(
            deliveries = report.deliveries,
            cognito_records = report.records.cognito_records,
            already_counted = report.already_counted,
            held_elsewhere = report.held_elsewhere,
            tallies_written = report.tallies_written,
            write_units = report.write_units,
            detections = report.detections,
            "trail queue batch"
        );
        report
    }

    /// The work of [`Trail::handle_queue`]; the messages given back to the queue.
    async fn queue_batch(
        &self,
        deliveries: Vec<Delivery>,
        own_account: Option<&str>,
        report: &mut TrailReport,
    ) -> Result<Vec<String>, AwsError> {
        let now = Utc::now();
        let ids: Vec<&str> = deliveries
            .iter()
            .filter_map(|d| d.message.as_deref())
            .collect();
        let batch = format!(
            "{}-{}",
            now.timestamp_micros(),
            cognito_watch_core::trail::digest(&ids)
        );
        let directory = self.directory(false).await?;
        let intake = || {
            let lookup = directory.clone();
            let mut intake = Intake::new(Box::new(move |c: &str| {
                lookup.pool_of_client.get(c).cloned()
            }));
            intake.progress = self.progress.clone();
            intake
        };
        let (mut fresh, mut seen) = (intake(), intake());
        // One claim per record: a message repeated in the batch is a duplicate of the first.
        let mut keys = HashSet::new();
        let mut records = Vec::new();
        for d in deliveries {
            if matches!(d.body, Body::Corrupt(_)) {
                d.body.take_in(&mut fresh);
            } else if keys.insert(d.key.clone()) {
                records.push(d);
            } else {
                report.duplicates += 1;
            }
        }
        let (journals, given_back) = self
            .claim(records, &batch, now, (&mut fresh, &mut seen), report)
            .await?;
        let fresh = fresh.take_part();
        let seen = seen.take_part();
        report.records.absorb(&fresh.counts);
        if !fresh.tallies.counts.is_empty() {
            let bytes = self
                .store
                .write_journal(&batch, &fresh.tallies.counts, now)
                .await?;
            let parts = bytes.div_ceil(cognito_watch_aws::trail::JOURNAL_PART_BYTES);
            report.items_written += parts + 1;
            report.write_units += bytes.div_ceil(1024) + 1;
            self.tally(
                &format!("batch#{batch}"),
                &fresh.tallies.counts,
                now,
                report,
            )
            .await?;
        }
        self.apply_again(journals, now, report).await?;
        let mut touched = fresh.tallies.counts;
        for (id, c) in seen.tallies.counts {
            touched.entry(id).or_insert(c);
        }
        let mut findings = fresh.findings;
        findings.extend(seen.findings);
        let context = DeliveryContext {
            key: &batch,
            account: fresh
                .account
                .clone()
                .or(seen.account.clone())
                .or(own_account.map(str::to_string)),
            directory: &directory,
            now,
        };
        let judged = Judged {
            touched: &touched,
            findings,
            first_seen: fresh.first_seen,
            m2m_sources: fresh.tallies.m2m_sources,
            account: context.account.clone(),
        };
        self.judge(judged, &context, report).await?;
        Ok(given_back)
    }

    /// Claims each record for `batch`. A record it claims, or takes over from a holder that
    /// stopped before writing its journal, is counted in `fresh`; one a journaled batch holds is
    /// only judged, through `seen`; one a live batch holds goes back to the queue. Returns the
    /// holders' journals (None where a holder never wrote one) and the messages given back.
    async fn claim(
        &self,
        records: Vec<Delivery>,
        batch: &str,
        now: DateTime<Utc>,
        (fresh, seen): (&mut Intake, &mut Intake),
        report: &mut TrailReport,
    ) -> Result<(Journals, Vec<String>), AwsError> {
        use futures::StreamExt;
        let claims: Vec<_> = futures::stream::iter(
            records
                .iter()
                .map(|d| async { self.store.claim(&d.key, batch, now).await }),
        )
        .buffered(CLAIMS_AT_ONCE)
        .collect()
        .await;
        report.items_written += claims.len();
        report.write_units += claims.len();
        let mut journals: Journals = BTreeMap::new();
        let mut given_back = Vec::new();
        for (d, claim) in records.into_iter().zip(claims) {
            let ours = match claim? {
                Claim::Ours => true,
                Claim::Held { batch: holder, at } => {
                    if !journals.contains_key(&holder) {
                        let journal = self.store.journal(&holder).await?;
                        journals.insert(holder.clone(), journal);
                    }
                    let journaled = journals.get(&holder).is_some_and(Option::is_some);
                    if journaled {
                        false
                    } else if now - at >= self.config.claim_takeover
                        && self.store.take_over(&d.key, &holder, batch, now).await?
                    {
                        report.items_written += 1;
                        report.write_units += 1;
                        true
                    } else {
                        report.held_elsewhere += 1;
                        given_back.extend(d.message.clone());
                        continue;
                    }
                }
            };
            if ours {
                d.body.take_in(fresh);
            } else {
                report.already_counted += 1;
                d.body.take_in(seen);
            }
        }
        Ok((journals, given_back))
    }

    /// The batches whose records came again, applied again (what they applied is skipped), in
    /// case they stopped between their journal and their last transaction.
    async fn apply_again(
        &self,
        journals: Journals,
        now: DateTime<Utc>,
        report: &mut TrailReport,
    ) -> Result<(), AwsError> {
        for (holder, journal) in journals {
            if let Some(counts) = journal {
                let applied = self
                    .store
                    .apply(&format!("batch#{holder}"), &counts, now)
                    .await?;
                report.items_written += applied.items();
                report.write_units += applied.write_units();
            }
        }
        Ok(())
    }

    async fn process(
        &self,
        d: Delivery,
        own_account: Option<&str>,
        report: &mut TrailReport,
    ) -> Result<(), AwsError> {
        let now = Utc::now();
        let directory = self.directory(false).await?;
        let lookup = directory.clone();
        let mut intake = Intake::new(Box::new(move |c: &str| {
            lookup.pool_of_client.get(c).cloned()
        }));
        intake.progress = self.progress.clone();
        let mut applied = Applied::default();
        let context = DeliveryContext {
            key: &d.key,
            account: d.account.clone().or(own_account.map(str::to_string)),
            directory: &directory,
            now,
        };
        match d.body.take_in(&mut intake) {
            Some(Body::Ignored(why)) => {
                tracing::info!(delivery = %d.key, why = %why, "nothing to do");
                report.ignored += 1;
                return Ok(());
            }
            Some(Body::S3 {
                bucket,
                key,
                version_id,
            }) => {
                let object = Object {
                    bucket: &bucket,
                    key: &key,
                    version_id: version_id.as_deref(),
                };
                intake = self
                    .read_file(object, intake, &context, &mut applied, report)
                    .await?
            }
            // Taken in already.
            _ => {}
        }
        let last = intake.take_part();
        self.finish_part(last, &context, &mut applied, report)
            .await?;
        if applied.duplicate() {
            report.duplicates += 1;
        }
        Ok(())
    }

    /// Apply one part of a delivery (a whole delivery is one part; a trail file one part
    /// every [`PART_RECORDS`] records), detect on what it touched, and deliver the findings.
    async fn finish_part(
        &self,
        part: Part,
        context: &DeliveryContext<'_>,
        applied: &mut Applied,
        report: &mut TrailReport,
    ) -> Result<(), AwsError> {
        if !part.malformed_samples.is_empty() {
            tracing::warn!(
                delivery = %context.key,
                part = part.number,
                malformed = part.counts.malformed,
                samples = ?cognito_watch_aws::logging::Json(&part.malformed_samples),
                "malformed records skipped"
            );
        }
        report.records.absorb(&part.counts);
        let key = part.delivery_key(context.key);
        let tallies = part.tallies;
        let this = self
            .tally(&key, &tallies.counts, context.now, report)
            .await?;
        applied.absorb(&this);
        let account = part.account.or(context.account.clone());
        let judged = Judged {
            touched: &tallies.counts,
            findings: part.findings,
            first_seen: part.first_seen,
            m2m_sources: tallies.m2m_sources,
            account,
        };
        self.judge(judged, context, report).await
    }

    /// Detect on the window totals of the tallies a delivery touched (and the candidates its
    /// records raised), then deliver the findings.
    async fn judge(
        &self,
        judged: Judged<'_>,
        context: &DeliveryContext<'_>,
        report: &mut TrailReport,
    ) -> Result<(), AwsError> {
        let Judged {
            touched,
            findings,
            first_seen,
            m2m_sources,
            account,
        } = judged;
        let mut findings = findings;
        findings.extend(self.detections(touched).await?);
        findings.extend(self.first_in_a_while(first_seen, context.now).await?);
        findings.extend(self.new_m2m_sources(m2m_sources, context.now).await?);
        // Naming the pools is best effort: a failed read never holds a detection back.
        if let Err(e) = self.pools_seen(&mut findings).await {
            tracing::warn!(delivery = %context.key, error = %e, "the pools of a per-IP detection could not be read; it goes out without them");
        }
        for f in &mut findings {
            if f.account.is_none() {
                f.account = account.clone();
            }
            if f.region.is_none() {
                f.region = f.region();
            }
            context.directory.name(f);
        }
        self.deliver(findings, context.now, report).await
    }

    /// The candidates that are detections only the first time in a while (unauthenticated
    /// credentials on an identity pool quiet for a week, identity pool reads by a principal
    /// not seen reading them for a week), each asked once; a trusted principal's reads are
    /// never asked about.
    async fn first_in_a_while(
        &self,
        candidates: Vec<Finding>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>, AwsError> {
        let mut asked = HashSet::new();
        let mut out = Vec::new();
        for f in candidates {
            let trusted = f
                .principal()
                .is_some_and(|p| self.config.trusted_principals.iter().any(|t| t == p));
            if trusted || !asked.insert(f.key()) {
                continue;
            }
            let quiet = Duration::days(f.detection.quiet_days().unwrap_or(GUEST_QUIET_DAYS));
            let (what, subject) = (f.detection.kind(), f.detection.subject());
            if self
                .store
                .first_in_a_while(what, &subject, f.window, now, quiet)
                .await?
            {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// Where each per-IP finding of an account and region was seen: the pools whose own
    /// tally of the address and window is stored (read only when there is such a finding).
    async fn pools_seen(&self, findings: &mut [Finding]) -> Result<(), AwsError> {
        let addresses: Vec<(String, DateTime<Utc>)> = findings
            .iter()
            .filter_map(|f| f.scoped_address().map(|ip| (ip.to_string(), f.window)))
            .collect();
        if addresses.is_empty() {
            return Ok(());
        }
        let pools: Vec<String> = self
            .store
            .pools()
            .await?
            .into_iter()
            .filter(|p| valid_scope_id(p).is_some() && valid_region_scope(p).is_none())
            .collect();
        let ids: Vec<TallyId> = addresses
            .iter()
            .flat_map(|(ip, window)| {
                pools.iter().map(move |p| TallyId {
                    pool: Some(p.clone()),
                    window: *window,
                    key: TallyKey::Ip { ip: ip.clone() },
                })
            })
            .collect();
        let stored = self.store.totals(&ids).await?;
        for f in findings.iter_mut() {
            seen_in(f, &stored);
        }
        Ok(())
    }

    /// `m2m_new_source`: each machine-to-machine client's networks against its memory.
    async fn new_m2m_sources(
        &self,
        sources: BTreeMap<cognito_watch_core::trail::intake::M2mSource, String>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Finding>, AwsError> {
        let quiet = Duration::days(cognito_watch_core::trail::detect::M2M_MEMORY_DAYS);
        let mut out = Vec::new();
        for ((pool, client_id, network, window), ip) in sources {
            let Some(usual) = self
                .store
                .m2m_network(&client_id, &network, window, now, quiet)
                .await?
            else {
                continue;
            };
            out.push(m2m_new_source(pool, window, client_id, network, ip, usual));
        }
        Ok(out)
    }

    /// Stream a trail file from S3 through the intake (on a blocking thread: the reader is
    /// synchronous), finishing it a part at a time (`part_records` records) while the next
    /// part is read, so memory holds a part's tallies, not the file's. A corrupt file is a
    /// malformed record; a read that broke off, or a part that failed, is an error, so the
    /// delivery is retried (its parts already applied are not applied again).
    async fn read_file(
        &self,
        object: Object<'_>,
        mut intake: Intake,
        context: &DeliveryContext<'_>,
        applied: &mut Applied,
        report: &mut TrailReport,
    ) -> Result<Intake, AwsError> {
        let Object {
            bucket,
            key,
            version_id,
        } = object;
        let reader = self.files.open_reader(bucket, key, version_id).await?;
        // One part waits while the next is read; the reader stops when this side has gone.
        let (parts, mut full) = tokio::sync::mpsc::channel::<Part>(1);
        intake.split_every(
            self.part_records,
            Box::new(move |part| parts.blocking_send(part).is_ok()),
        );
        let reading = tokio::task::spawn_blocking(move || {
            let read = file::read_trail_file(reader, &mut intake);
            intake.unsplit();
            (intake, read)
        });
        while let Some(part) = full.recv().await {
            self.finish_part(part, context, applied, report).await?;
        }
        let (mut intake, read) = reading
            .await
            .map_err(|e| AwsError::local("GetObject", "reader task", e))?;
        match read {
            Ok(n) => tracing::info!(bucket = %bucket, key = %key, records = n, "trail file read"),
            Err(file::FileError::Corrupt(why)) => {
                tracing::warn!(bucket = %bucket, key = %key, why = %why, "corrupt trail file");
                intake.malformed(why);
            }
            Err(file::FileError::Io(why)) => {
                return Err(AwsError::other(
                    "GetObject",
                    format!("s3://{bucket}/{key}: {why}"),
                ))
            }
        }
        Ok(intake)
    }

    /// Apply a delivery's tallies once (a redelivery changes nothing), note their pools, and
    /// print them as EMF metrics when asked.
    async fn tally(
        &self,
        delivery: &str,
        counts: &BTreeMap<TallyId, Counts>,
        now: DateTime<Utc>,
        report: &mut TrailReport,
    ) -> Result<Applied, AwsError> {
        let unresolved = counts
            .keys()
            .filter(|id| id.pool.is_none() && matches!(id.key, TallyKey::Client { .. }))
            .count();
        report.unresolved_clients += unresolved;
        if unresolved > 0 {
            // Clients new since the map was read: read it again for the next delivery.
            self.directory(true).await?;
        }
        let applied = self.store.apply(delivery, counts, now).await?;
        report.tallies_written += applied.tallies_written;
        report.transactions += applied.transactions;
        report.items_written += applied.items();
        report.write_units += applied.write_units();
        self.note_pools(counts).await?;
        if self.config.publish_metrics && !applied.duplicate() {
            for doc in cognito_watch_core::emf::tally_documents(counts) {
                println!("{doc}");
            }
        }
        Ok(applied)
    }

    /// The inventory's client → pool map and names: re-read when older than the refresh
    /// interval, or (`missing`) when a client was not in it and the last read is over a
    /// minute old.
    async fn directory(&self, missing: bool) -> Result<Arc<Directory>, AwsError> {
        let mut cache = self.cache.lock().await;
        let age = cache.directory_at.map(|t| t.elapsed());
        let refresh_after = if missing {
            MISS_REFRESH
        } else {
            self.config
                .inventory_refresh
                .to_std()
                .unwrap_or(MISS_REFRESH)
        };
        if age.is_none_or(|a| a >= refresh_after) {
            cache.directory = Arc::new(self.state.directory().await?);
            cache.directory_at = Some(Instant::now());
        }
        Ok(cache.directory.clone())
    }

    /// The detection thresholds (the evaluator's profile store), re-read every refresh
    /// interval; the defaults until stored.
    pub async fn thresholds(&self) -> Result<DetectionThresholds, AwsError> {
        let mut cache = self.cache.lock().await;
        let fresh = self.config.inventory_refresh.to_std().unwrap_or_default();
        if let Some((t, at)) = &cache.thresholds {
            if at.elapsed() < fresh {
                return Ok(t.clone());
            }
        }
        let t = self.status.load_detections().await?;
        cache.thresholds = Some((t.clone(), Instant::now()));
        Ok(t)
    }

    /// The notification profiles (the status table), re-read every refresh interval; the
    /// stack default until stored.
    pub async fn notifications(&self) -> Result<Arc<Notifications>, AwsError> {
        let mut cache = self.cache.lock().await;
        let fresh = self.config.inventory_refresh.to_std().unwrap_or_default();
        if let Some((n, at)) = &cache.notifications {
            if at.elapsed() < fresh {
                return Ok(n.clone());
            }
        }
        let n = Arc::new(self.status.load_notifications().await?);
        cache.notifications = Some((n.clone(), Instant::now()));
        Ok(n)
    }

    async fn note_pools(&self, tallies: &BTreeMap<TallyId, Counts>) -> Result<(), AwsError> {
        let pools: HashSet<String> = tallies
            .keys()
            .map(|id| id.pool.clone().unwrap_or_else(|| "-".into()))
            .collect();
        for p in pools {
            let known = self.cache.lock().await.noted_pools.contains(&p);
            if !known {
                self.store.note_pool(&p).await?;
                self.cache.lock().await.noted_pools.insert(p);
            }
        }
        Ok(())
    }

    /// Detections on the window totals of what this delivery touched.
    async fn detections(
        &self,
        tallies: &BTreeMap<TallyId, Counts>,
    ) -> Result<Vec<Finding>, AwsError> {
        let candidates: Vec<TallyId> = tallies
            .iter()
            .filter(|(id, c)| is_candidate(id, c))
            .map(|(id, _)| id.clone())
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let thresholds = self.thresholds().await?;
        let windows = i64::from(self.config.baseline_windows);
        let trailing = move |id: &TallyId| {
            let id = id.clone();
            (1..=windows).map(move |k| TallyId {
                window: id.window - Duration::minutes(WINDOW_MINUTES * k),
                ..id.clone()
            })
        };
        // The window totals and, for detections against a baseline, their trailing windows:
        // one read.
        let mut wanted = candidates.clone();
        for id in candidates
            .iter()
            .filter(|id| baseline_of(&id.key).is_some())
        {
            wanted.extend(trailing(id));
        }
        wanted.sort();
        wanted.dedup();
        let stored = self.store.totals(&wanted).await?;
        let mut out = Vec::new();
        for id in &candidates {
            let Some(total) = stored.get(id).or_else(|| tallies.get(id)) else {
                continue;
            };
            let baseline = baseline_of(&id.key).map(|of| {
                let sum: u64 = trailing(id).filter_map(|w| stored.get(&w)).map(of).sum();
                sum as f64 / windows as f64
            });
            out.extend(detect(id, total, baseline, &thresholds));
        }
        Ok(out)
    }

    /// Record each detection once, then publish the ones not yet published (and, for a
    /// configuration change, ask the collector to re-inventory).
    async fn deliver(
        &self,
        findings: Vec<Finding>,
        now: DateTime<Utc>,
        report: &mut TrailReport,
    ) -> Result<(), AwsError> {
        let mut first_error = None;
        let mut seen = HashSet::new();
        for f in findings {
            let key = f.key();
            if !seen.insert(key.clone()) || self.cache.lock().await.sent.contains(&key) {
                continue;
            }
            if self.store.record_finding(&f, now).await? {
                report.detections += 1;
                tracing::warn!(detection = f.detection.kind(), key = %key, pool = f.pool.as_deref(), "security detection");
            }
            let claim_for = Duration::seconds(CLAIM_SECONDS);
            let key_of = TrailStore::finding_key(&f);
            let (route, message) = self.route(&f).await?;
            let first = route.destinations.first().cloned();
            let publish = |d: &Destination| {
                let d = d.clone();
                let reinventory = first.as_ref() == Some(&d);
                let (f, message) = (&f, &message);
                async move { self.publish(f, message, &d, reinventory).await }
            };
            match self
                .store
                .outbox
                .deliver(&key_of, now, claim_for, &route, publish)
                .await?
            {
                Delivered::Sent { published, extra } => {
                    report.alerts_sent += 1;
                    report.reinventories += extra.iter().filter(|r| **r).count();
                    for (destination, message_id) in &published {
                        tracing::info!(key = %key, %destination, %message_id, notification_profile = %route.profile, "detection published");
                    }
                    self.remember_sent(key).await;
                }
                Delivered::NotWanted => {
                    tracing::info!(key = %key, notification_profile = %route.profile, "the notification profile does not send this detection");
                    self.remember_sent(key).await;
                }
                Delivered::AlreadySent => self.remember_sent(key).await,
                Delivered::Held => {
                    // Another invocation is publishing it, or stopped before it could: not
                    // sent yet, so the source retries this delivery once the claim runs out.
                    report.alerts_pending += 1;
                    first_error.get_or_insert(AwsError::other(
                        "Publish",
                        format!("detection {key} is claimed by another invocation; retry after its claim"),
                    ));
                }
                Delivered::Failed { published, errors } => {
                    report.reinventories += usize::from(
                        first
                            .as_ref()
                            .is_some_and(|d| published.iter().any(|(k, _)| *k == d.key())),
                    );
                    for (destination, e) in errors {
                        tracing::warn!(key = %key, %destination, error = %e, "publishing a detection failed; it stays pending for this destination");
                        first_error.get_or_insert(e);
                    }
                    report.alerts_pending += 1;
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// A detection's notification route and its message, routed.
    async fn route(&self, f: &Finding) -> Result<(Route, Message), AwsError> {
        let notifications = self.notifications().await?;
        let directory = self.directory(false).await?;
        let pool_tags = f.pool.as_ref().and_then(|p| directory.tags.get(p));
        let monitor_id = match (f.pool.as_deref(), f.client_id()) {
            (Some(pool), Some(client)) => Some(format!("appclient/{pool}/{client}")),
            _ => None,
        };
        let scope = match (&f.account, f.region()) {
            (Some(a), Some(r)) if !r.is_empty() => Some(format!("{a}/{r}")),
            _ => f.scope.clone(),
        };
        let subject = Subject {
            monitor_id: monitor_id.as_deref(),
            tags: None,
            pool: f.pool.as_deref(),
            pool_tags,
            scope,
        };
        let route = notifications.route(
            &subject,
            Notice::Detection {
                severity: Status::from(f.detection.severity()),
            },
        );
        let mut message = alert_message::finding_message(f)
            .map_err(|e| AwsError::local("Publish", "cannot render", e))?;
        message.routed(&route.profile, subject.tag_values());
        Ok((route, message))
    }

    /// Publish to one destination; before the first, ask for the re-inventory a configuration
    /// change needs.
    async fn publish(
        &self,
        f: &Finding,
        message: &Message,
        destination: &Destination,
        reinventory: bool,
    ) -> Result<(String, bool), AwsError> {
        let mut reinventoried = false;
        if reinventory {
            if let (Some((region, pool)), Some(requests)) = (f.reinventory(), &self.requests) {
                requests.reinventory(&region, pool.as_deref()).await?;
                reinventoried = true;
            }
        }
        Ok((
            self.sink.publish_to(message, destination).await?,
            reinventoried,
        ))
    }

    async fn remember_sent(&self, key: String) {
        let mut cache = self.cache.lock().await;
        if cache.sent.len() > 10_000 {
            cache.sent.clear();
        }
        cache.sent.insert(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_reports_the_variant_as_the_error_type() {
        let e = TrailError::Input(input::InputError::Unknown("{}".into()));
        let d = lambda_runtime::Diagnostic::from(e);
        assert_eq!(d.error_type, "TrailError.UnsupportedInput");
        assert!(d
            .error_message
            .contains("not an input the trail function reads"));
    }
}
