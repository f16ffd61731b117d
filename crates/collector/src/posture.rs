//! The poll's posture step: after an inventory, judge every check on the scope's resources,
//! record what changed (the first judgement is the baseline: one summary), and deliver the
//! scope's pending notices. A regression waits `POSTURE_HOLD_SECONDS` for CloudTrail when the
//! trail is wired, and is not published when the trail's `risky_configuration` already raised
//! it: its notice names the detection instead.

use chrono::Duration;
use cognito_watch_aws::dynamo::outbox::Delivered;
use cognito_watch_aws::state::posture::{PostureMemory, StoredNotice};
use cognito_watch_aws::state::StateStore;
use cognito_watch_aws::{AlertSink, AwsError, StatusStore, TrailStore};
use cognito_watch_core::alerting::notification::{
    Destination, Notice, Notifications, Route, Subject,
};
use cognito_watch_core::alerting::posture::{self as notice, NoticeKind};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::inventory::monitor::MonitorId;
use cognito_watch_core::inventory::record::PosturePoll;
use cognito_watch_core::posture::{change, judge_all, Outcome};
use cognito_watch_core::trail::detect::Finding;

use crate::poll::Poll;

/// Where posture notices go: the state table's outbox, the topic, and the trail's detections.
pub(crate) struct PostureOut<'a> {
    pub(crate) store: &'a StateStore,
    pub(crate) sink: &'a AlertSink,
    pub(crate) trail: Option<&'a TrailStore>,
    /// The notification profiles (`STATUS_TABLE`); none: every notice to the stack's topic.
    pub(crate) notifications: Option<&'a StatusStore>,
}

/// How long a claimed notice is ours to publish.
const CLAIM_SECONDS: i64 = 60;

impl Poll<'_> {
    /// Judge (when `judged`: the inventory ran; `full`: it listed every pool) and deliver. A
    /// failing store or topic is a note in the poll log: posture never makes a monitor stale.
    pub(crate) async fn posture(&mut self, out: &PostureOut<'_>, (judge_now, full): (bool, bool)) {
        let mut tally = PosturePoll::default();
        if judge_now {
            if let Err(e) = self.judge_posture(out, full, &mut tally).await {
                self.log
                    .notes
                    .push(format!("posture judgement not recorded: {e}"));
            }
        }
        if let Err(e) = self.deliver_posture(out, &mut tally).await {
            self.log
                .notes
                .push(format!("posture notices not delivered: {e}"));
        }
        if judge_now || tally != PosturePoll::default() {
            self.log.posture = Some(tally);
        }
    }

    async fn judge_posture(
        &mut self,
        out: &PostureOut<'_>,
        full: bool,
        tally: &mut PosturePoll,
    ) -> Result<(), AwsError> {
        let settings = &self.config.posture.settings;
        let overrides = out.store.posture_overrides().await?.overrides;
        let live: Vec<&cognito_watch_core::Monitor> = self
            .state
            .monitors
            .values()
            .filter(|m| !m.is_deleted())
            .collect();
        let all = judge_all(&live, settings, &overrides);
        let monitors: notice::Monitors = live
            .iter()
            .map(|m| (m.monitor_id.clone(), m.name.clone()))
            .collect();
        let mut severities = notice::Severities::new();
        let judged: Vec<_> = all
            .iter()
            .map(|j| {
                let key = (j.check.id.to_string(), j.monitor_id.clone());
                severities.insert(key.clone(), j.effective.severity);
                (key, j.effective.alerts, j.outcome.clone())
            })
            .collect();
        tally.judged = judged.len();
        tally.failing = judged
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Fail { .. }))
            .count();
        let scope = &self.clients.scope;
        let previous = out.store.posture_memory(scope).await?;
        // The baseline is taken from a full inventory that found something to judge: a pool's
        // re-inventory or an empty scope first would make every later failure a regression.
        if previous.is_none() && (!full || judged.is_empty()) {
            return Ok(());
        }
        let known = previous.as_ref().map(PostureMemory::known);
        let (next, decided) = change::changes(known.as_ref(), &judged);
        let base = previous.clone().unwrap_or_default();
        let memory = base.next(&next, self.now);
        if previous.as_ref().map(|p| &p.failing) == Some(&memory.failing) && decided.is_empty() {
            return Ok(());
        }
        let notices = notice::notices(
            (&scope.account, &scope.region),
            (self.now, memory.generation),
            &decided,
            &monitors,
            &severities,
        );
        if out
            .store
            .record_posture(scope, previous.as_ref(), &memory, &notices)
            .await?
        {
            tally.notices = notices.len();
        } else {
            self.log.notes.push(
                "posture: another poll recorded a judgement of this scope first; this one's \
                 memory was not written"
                    .into(),
            );
        }
        Ok(())
    }

    async fn deliver_posture(
        &mut self,
        out: &PostureOut<'_>,
        tally: &mut PosturePoll,
    ) -> Result<(), AwsError> {
        let scope = &self.clients.scope;
        let pending = out.store.posture_notices(scope, true).await?;
        let outbox = out.store.posture_outbox(self.config.history_ttl);
        let hold = self.config.posture.hold;
        let mut findings: Option<Vec<Finding>> = None;
        let notifications = match (out.notifications, pending.is_empty()) {
            (Some(status), false) => status.load_notifications().await?,
            _ => Notifications::default(),
        };
        for StoredNotice { notice: n, .. } in pending {
            let key = StateStore::notice_key(scope, &n.notice_id);
            if let (NoticeKind::Regressed, Some(trail)) = (n.kind, out.trail) {
                if self.now < n.at + hold {
                    tally.waiting += 1;
                    continue;
                }
                if findings.is_none() {
                    let since = n.at - self.config.inventory_interval - hold - Duration::hours(1);
                    findings = Some(
                        trail
                            .findings(since)
                            .await?
                            .into_iter()
                            .map(|s| s.finding)
                            .collect(),
                    );
                }
                let seen = findings.as_deref().unwrap_or_default();
                if let Some(f) = notice::covering(&n, seen) {
                    let by = format!("risky_configuration {}", f.key());
                    if outbox.settle(&key, &by, self.now).await? {
                        tracing::info!(alert_id = %n.notice_id, covered_by = %by, "posture regression already raised by the trail");
                        tally.covered += 1;
                    } else {
                        tally.waiting += 1;
                    }
                    continue;
                }
            }
            let (route, message) = self.route(&n, &notifications)?;
            let publish = |d: &Destination| {
                let d = d.clone();
                let message = &message;
                async move { Ok((out.sink.publish_to(message, &d).await?, ())) }
            };
            match outbox
                .deliver(
                    &key,
                    self.now,
                    Duration::seconds(CLAIM_SECONDS),
                    &route,
                    publish,
                )
                .await?
            {
                Delivered::Sent { published, .. } => {
                    for (destination, message_id) in &published {
                        tracing::info!(alert_id = %n.notice_id, %destination, %message_id, notification_profile = %route.profile, "posture notice published");
                    }
                    tally.sent += 1;
                }
                Delivered::NotWanted => {
                    tracing::info!(alert_id = %n.notice_id, notification_profile = %route.profile, "the notification profile does not send this posture notice");
                }
                Delivered::AlreadySent => {}
                Delivered::Held => tally.waiting += 1,
                Delivered::Failed { errors, .. } => {
                    for (destination, e) in &errors {
                        tracing::warn!(alert_id = %n.notice_id, %destination, error = %e, "posture notice publish failed; it stays pending for this destination");
                    }
                    tally.waiting += 1;
                }
            }
        }
        Ok(())
    }
}

impl Poll<'_> {
    /// A notice's notification route (by the resource of a one-check notice, its pool, the
    /// pool's tags, then the account and region) and its message, routed.
    fn route(
        &self,
        n: &notice::PostureNotice,
        notifications: &Notifications,
    ) -> Result<(Route, cognito_watch_core::alerting::message::Message), AwsError> {
        let monitors = &self.state.monitors;
        let find = |id: &str| MonitorId::parse(id).ok().and_then(|id| monitors.get(&id));
        let one = match (n.kind, n.lines.as_slice()) {
            (NoticeKind::Baseline, _) => None,
            (_, [l]) => Some(l.monitor_id.as_str()),
            _ => None,
        };
        let subject = match one.and_then(find) {
            Some(m) => {
                let root = m.parent_id.as_deref().and_then(find);
                Subject::of_monitor(m, root)
            }
            None => Subject {
                monitor_id: one,
                scope: Some(format!("{}/{}", n.account, n.region)),
                ..Subject::default()
            },
        };
        let severity = match n.alert_severity() {
            "critical" => Some(Status::Critical),
            "up" => Some(Status::Up),
            "info" => None,
            _ => Some(Status::Trouble),
        };
        let route = notifications.route(&subject, Notice::Posture { severity });
        let mut message = notice::posture_message(n)
            .map_err(|e| AwsError::local("Publish", "cannot render", e))?;
        message.routed(&route.profile, subject.tag_values());
        Ok((route, message))
    }
}
