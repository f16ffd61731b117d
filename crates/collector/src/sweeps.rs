//! User and identity sweeps: ListUsers of every pool and ListIdentities of every identity pool,
//! a page at a time within the UserList / ListIdentities budgets, checkpointed so a pool of a
//! million users is covered across invocations. User monitors are kept up to the configured cap
//! per pool; the census counts everyone.

use std::collections::BTreeSet;

use crate::poll::Poll;
use chrono::{DateTime, Utc};
use cognito_watch_aws::sdk::ScopeClients;
use cognito_watch_aws::state::{ScopeState, StateStore, Write};
use cognito_watch_aws::AwsError;
use cognito_watch_core::config::CollectorConfig;
use cognito_watch_core::inventory::monitor::{
    inventory_metrics, IdentitySample, Monitor, MonitorDetails, MonitorId, MonitorKind, UserDetails,
};
use cognito_watch_core::inventory::sweep::{IdentitySweep, Step, Sweep, UserSweep};
use cognito_watch_core::progress::Counted;

/// Identities kept per identity pool for the Identities tab.
pub(crate) const IDENTITY_SAMPLE: usize = 50;

impl Poll<'_> {
    /// Run the sweeps until done or `until`; returns the user monitors touched. Checkpoints go to
    /// `writes`, to be written with the monitors they describe.
    pub(crate) async fn sweeps(
        &mut self,
        writes: &mut Vec<Write>,
        until: DateTime<Utc>,
    ) -> Result<Vec<MonitorId>, AwsError> {
        let starting_new = !self.state.user_sweeps.values().any(|s| s.in_progress())
            && !self.state.identity_sweeps.values().any(|s| s.in_progress());
        if starting_new {
            self.state.cursor.last_user_sync_at = Some(self.now);
        }
        let mut touched = Vec::new();
        if self.config.max_user_monitors > 0 {
            let pools: Vec<String> = self
                .state
                .monitors
                .iter()
                .filter(|(id, m)| id.kind() == MonitorKind::UserPool && !m.is_deleted())
                .filter_map(|(id, _)| id.user_pool_id().map(str::to_string))
                .collect();
            for pool in pools {
                let in_progress = self
                    .state
                    .user_sweeps
                    .get(&pool)
                    .is_some_and(|s| s.in_progress());
                if !starting_new && !in_progress {
                    continue;
                }
                let sweep = self.user_sweep(&pool, &mut touched, until).await;
                writes.push(Write::Checkpoint(StateStore::user_sweep_item(
                    &pool, &sweep,
                )?));
                self.state.user_sweeps.insert(pool, sweep);
            }
        }
        let idpools: Vec<String> = self
            .state
            .monitors
            .iter()
            .filter(|(_, m)| m.kind == MonitorKind::IdentityPool && !m.is_deleted())
            .filter_map(|(id, _)| match id {
                MonitorId::IdentityPool { id } => Some(id.clone()),
                _ => None,
            })
            .collect();
        for pool in idpools {
            let in_progress = self
                .state
                .identity_sweeps
                .get(&pool)
                .is_some_and(|s| s.in_progress());
            if !starting_new && !in_progress {
                continue;
            }
            let sweep = self.identity_sweep(&pool, until).await;
            writes.push(Write::Checkpoint(StateStore::identity_sweep_item(
                &pool, &sweep,
            )?));
            self.state.identity_sweeps.insert(pool, sweep);
        }
        Ok(touched)
    }

    async fn user_sweep(
        &mut self,
        pool: &str,
        touched: &mut Vec<MonitorId>,
        until: DateTime<Utc>,
    ) -> UserSweep {
        let previous = self.state.user_sweeps.get(pool);
        let mut sweep = match previous {
            Some(s) if s.in_progress() => s.clone(),
            other => Sweep::begin(other, self.now),
        };
        let mut monitored: BTreeSet<MonitorId> = self
            .state
            .monitors
            .iter()
            .filter(|(id, m)| {
                id.kind() == MonitorKind::User && id.user_pool_id() == Some(pool) && !m.is_deleted()
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut pages = 0;
        loop {
            if Utc::now() >= until || out_of_pages(self.config, pages) {
                self.log.notes.push(format!(
                    "{pool}: user sweep {} paused after {} pages; resumes next run",
                    sweep.number, sweep.pages
                ));
                return sweep;
            }
            pages += 1;
            match self
                .clients
                .list_users_page(pool, sweep.next_token.clone())
                .await
            {
                Ok((users, next)) => {
                    self.progress.add(Counted::UsersSwept, users.len() as u64);
                    for mut user in users {
                        let t = &mut sweep.tally;
                        t.listed += 1;
                        if user.enabled {
                            t.enabled += 1;
                        } else {
                            t.disabled += 1;
                        }
                        *t.by_status
                            .entry(user.user_status.clone().unwrap_or_else(|| "UNKNOWN".into()))
                            .or_default() += 1;
                        let id = MonitorId::User {
                            pool: pool.to_string(),
                            username: user.username.clone(),
                        };
                        if !monitored.contains(&id)
                            && monitored.len() as u64 >= self.config.max_user_monitors
                        {
                            continue;
                        }
                        t.monitored += 1;
                        user.sweep = sweep.number;
                        upsert_user(self.clients, &mut self.state, &id, user, self.now);
                        monitored.insert(id.clone());
                        touched.push(id);
                    }
                    if sweep.page_done(next) == Step::Complete {
                        finish_user_sweep(&mut self.state, pool, &mut sweep, touched, self.now);
                        return sweep;
                    }
                }
                Err(e) if e.is_bad_token() && sweep.next_token.is_some() => {
                    self.log
                        .notes
                        .push(format!("{pool}: {e}; the user sweep restarts"));
                    sweep = Sweep::begin(Some(&sweep), self.now);
                }
                Err(e) => {
                    self.log.errors.push(format!(
                        "{pool}: {e} (user sweep {} resumes from its checkpoint next run)",
                        sweep.number
                    ));
                    return sweep;
                }
            }
        }
    }

    async fn identity_sweep(&mut self, pool: &str, until: DateTime<Utc>) -> IdentitySweep {
        let previous = self.state.identity_sweeps.get(pool);
        let mut sweep = match previous {
            Some(s) if s.in_progress() => s.clone(),
            other => Sweep::begin(other, self.now),
        };
        let mut pages = 0;
        loop {
            if Utc::now() >= until || out_of_pages(self.config, pages) {
                self.log.notes.push(format!(
                    "{pool}: identity sweep {} paused after {} pages; resumes next run",
                    sweep.number, sweep.pages
                ));
                return sweep;
            }
            pages += 1;
            match self
                .clients
                .list_identities_page(pool, sweep.next_token.clone())
                .await
            {
                Ok((identities, next)) => {
                    self.progress
                        .add(Counted::IdentitiesSampled, identities.len() as u64);
                    for i in identities {
                        tally_identity(&mut sweep, i);
                    }
                    if sweep.page_done(next) == Step::Complete {
                        sweep.tally.completed_at = self.now;
                        let id = MonitorId::IdentityPool {
                            id: pool.to_string(),
                        };
                        if let Some(m) = self.state.monitors.get_mut(&id) {
                            if let MonitorDetails::IdentityPool(d) = &mut m.details {
                                d.identity_census = Some(sweep.tally.clone());
                            }
                            let inv = inventory_metrics(&m.details);
                            m.metrics.extend(inv);
                        }
                        return sweep;
                    }
                }
                Err(e) if e.is_bad_token() && sweep.next_token.is_some() => {
                    self.log
                        .notes
                        .push(format!("{pool}: {e}; the identity sweep restarts"));
                    sweep = Sweep::begin(Some(&sweep), self.now);
                }
                Err(e) => {
                    self.log.errors.push(format!(
                        "{pool}: {e} (identity sweep {} resumes from its checkpoint next run)",
                        sweep.number
                    ));
                    return sweep;
                }
            }
        }
    }
}

fn out_of_pages(config: &CollectorConfig, pages: u64) -> bool {
    config.sweep_pages_per_run > 0 && pages >= config.sweep_pages_per_run
}

fn upsert_user(
    clients: &ScopeClients,
    state: &mut ScopeState,
    id: &MonitorId,
    user: UserDetails,
    now: DateTime<Utc>,
) {
    let mut fresh = Monitor::new(
        id,
        user.username.clone(),
        &clients.scope.account,
        &clients.scope.region,
        MonitorDetails::User(user),
        now,
    );
    fresh.metrics = inventory_metrics(&fresh.details);
    let mut m = Monitor::refreshed(state.monitors.get(id), fresh);
    m.seen(now);
    state.monitors.insert(id.clone(), m);
}

/// The sweep saw every user: publish the census and mark the user monitors it did not see as
/// deleted.
fn finish_user_sweep(
    state: &mut ScopeState,
    pool: &str,
    sweep: &mut UserSweep,
    touched: &mut Vec<MonitorId>,
    now: DateTime<Utc>,
) {
    sweep.tally.completed_at = now;
    for (id, m) in state.monitors.iter_mut() {
        if id.kind() != MonitorKind::User || id.user_pool_id() != Some(pool) || m.is_deleted() {
            continue;
        }
        if let MonitorDetails::User(d) = &m.details {
            if d.sweep < sweep.number {
                m.mark_deleted("not listed by a complete ListUsers sweep", now);
                touched.push(id.clone());
            }
        }
    }
    let pool_id = MonitorId::UserPool {
        pool: pool.to_string(),
    };
    if let Some(m) = state.monitors.get_mut(&pool_id) {
        if let MonitorDetails::UserPool(d) = &mut m.details {
            d.user_census = Some(sweep.tally.clone());
        }
    }
}

fn tally_identity(sweep: &mut IdentitySweep, i: IdentitySample) {
    let t = &mut sweep.tally;
    t.total += 1;
    if i.logins.is_empty() {
        t.unauthenticated += 1;
    } else {
        t.authenticated += 1;
    }
    for l in &i.logins {
        *t.per_provider.entry(l.clone()).or_default() += 1;
    }
    if let Some(c) = i.creation_date {
        t.oldest_creation_date = Some(t.oldest_creation_date.map_or(c, |o| o.min(c)));
    }
    if let Some(m) = i.last_modified_date {
        t.latest_modified_date = Some(t.latest_modified_date.map_or(m, |o| o.max(m)));
    }
    if t.sample.len() < IDENTITY_SAMPLE {
        t.sample.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_split_by_logins() {
        let mut s: IdentitySweep = Sweep::begin(None, Utc::now());
        let mk = |id: &str, logins: &[&str]| IdentitySample {
            identity_id: id.into(),
            logins: logins.iter().map(|s| s.to_string()).collect(),
            creation_date: None,
            last_modified_date: None,
        };
        tally_identity(&mut s, mk("a", &["accounts.google.com"]));
        tally_identity(&mut s, mk("b", &[]));
        tally_identity(
            &mut s,
            mk("c", &["accounts.google.com", "graph.facebook.com"]),
        );
        assert_eq!(
            (
                s.tally.total,
                s.tally.authenticated,
                s.tally.unauthenticated
            ),
            (3, 2, 1)
        );
        assert_eq!(s.tally.per_provider["accounts.google.com"], 2);
    }
}
