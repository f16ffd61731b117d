//! One poll of one account and region: what each of its steps reads (the scope's clients, the
//! configuration, the progress counter, the time the poll started) and what they change (the
//! scope's state and the poll log). The steps are its methods, one module each: `inventory`,
//! `sweeps`, `metrics`, and here the writes that end it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use cognito_watch_aws::sdk::ScopeClients;
use cognito_watch_aws::state::{ScopeState, StateStore, Write};
use cognito_watch_aws::AwsError;
use cognito_watch_core::config::CollectorConfig;
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{MonitorId, MonitorKind, PollOutcome};
use cognito_watch_core::inventory::record::{HistoryRow, PollLog};
use cognito_watch_core::inventory::window::Window;
use cognito_watch_core::progress::Progress;

/// One poll of one scope.
pub(crate) struct Poll<'a> {
    /// The scope's clients; they count their calls for the poll log.
    pub(crate) clients: &'a ScopeClients,
    pub(crate) config: &'a CollectorConfig,
    /// How far long work has come (users swept), for whoever shows it.
    pub(crate) progress: &'a Progress,
    /// When the poll started: what it marks monitors with, and where its windows end.
    pub(crate) now: DateTime<Utc>,
    /// The scope's monitors, sweeps and cursor, as the poll changes them.
    pub(crate) state: ScopeState,
    /// What the poll did.
    pub(crate) log: PollLog,
}

impl Poll<'_> {
    /// Every item this poll writes: non-user monitors each poll, user monitors when a sweep
    /// touched them, checkpoints, the cursor and the poll log. A Log Report row is written only
    /// for a window this poll read, in one transaction with the monitor whose window it
    /// advances; monitors read without windows (identity pools, users) get a snapshot row.
    /// `before` holds each monitor's window as the poll found it.
    pub(crate) fn writes(
        &mut self,
        before: &HashMap<MonitorId, Option<Window>>,
        touched_users: &[MonitorId],
        sweep_writes: Vec<Write>,
    ) -> Result<Vec<Write>, AwsError> {
        let (now, ttl) = (self.now, self.config.history_ttl);
        let log = &mut self.log;
        let mut writes = sweep_writes;
        let touched: HashSet<_> = touched_users.iter().collect();
        for (id, m) in &self.state.monitors {
            let newly_deleted = m.is_deleted() && m.deleted_at == Some(now);
            let is_user = m.kind == MonitorKind::User;
            if (m.is_deleted() && !newly_deleted)
                || (is_user && !touched.contains(id) && !newly_deleted)
            {
                continue;
            }
            match m.poll.outcome {
                PollOutcome::Ok => log.monitors_ok += 1,
                PollOutcome::Stale => log.monitors_stale += 1,
                PollOutcome::Deleted => log.monitors_deleted += 1,
            }
            if !before.contains_key(id) {
                log.monitors_new += 1;
            }
            let item = StateStore::monitor_item(m)?;
            let row = || StateStore::history_item(&HistoryRow::of(m, now), ttl);
            if catalogue::families(m.kind).is_empty() {
                writes.push(Write::State(item));
                writes.push(Write::History(row()?));
                continue;
            }
            let read_window = m.metrics_window.filter(|w| w.start < w.end);
            let previous = before.get(id).copied().flatten();
            if read_window.is_some() && read_window != previous {
                writes.push(Write::MonitorWithRow {
                    monitor: item,
                    row: row()?,
                });
            } else {
                writes.push(Write::State(item));
            }
        }
        writes.push(Write::Checkpoint(StateStore::cursor_item(
            &self.clients.scope,
            &self.state.cursor,
        )?));
        log.write_units = writes.iter().map(Write::units).sum::<u64>() + 1;
        writes.push(Write::PollLog(StateStore::poll_log_item(log, ttl)?));
        Ok(writes)
    }
}
