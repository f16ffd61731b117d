use super::*;
use crate::alerting::profile::{Threshold, DEFAULT_PROFILE};
use crate::inventory::monitor::{
    AppClientDetails, MonitorId, UserAttribute, UserDetails, UserPoolDetails,
};
use chrono::{Duration, TimeZone};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
}

fn pool() -> Monitor {
    Monitor::new(
        &MonitorId::UserPool { pool: "p1".into() },
        "prod".into(),
        "123456789012",
        "eu-west-1",
        MonitorDetails::UserPool(UserPoolDetails::default()),
        t0(),
    )
}

fn client(id: &str) -> Monitor {
    Monitor::new(
        &MonitorId::AppClient {
            pool: "p1".into(),
            client_id: id.into(),
        },
        format!("web-{id}"),
        "123456789012",
        "eu-west-1",
        MonitorDetails::AppClient(AppClientDetails::default()),
        t0(),
    )
}

fn profiles(propagate: bool, polls: u32) -> ProfileSet {
    let mut pool = Profile::empty(MonitorKind::UserPool, DEFAULT_PROFILE);
    pool.notify_child_status_changes = propagate;
    pool.set(Threshold {
        metric: "AdminSignUpFailed".into(),
        comparator: Comparator::Gt,
        value: 10.0,
        severity: Severity::Trouble,
        consecutive_polls: 1,
        missing_data: None,
    });
    let mut client = Profile::empty(MonitorKind::AppClient, DEFAULT_PROFILE);
    client.set(Threshold {
        metric: "SignInFailurePercentage".into(),
        comparator: Comparator::Gt,
        value: 20.0,
        severity: Severity::Critical,
        missing_data: None,
        consecutive_polls: polls,
    });
    ProfileSet {
        profiles: vec![pool, client],
        assignments: vec![],
        ..Default::default()
    }
}

/// Run polls: each step sets the client's failure percentage (None: no data) and evaluates.
struct Run {
    monitors: Vec<Monitor>,
    statuses: BTreeMap<String, MonitorStatus>,
    profiles: ProfileSet,
    at: DateTime<Utc>,
    alerts: Vec<Alert>,
    outages: Vec<OutageWrite>,
}

impl Run {
    fn new(profiles: ProfileSet, children: usize) -> Run {
        let mut monitors = vec![pool()];
        for i in 0..children {
            monitors.push(client(&format!("c{i}")));
        }
        Run {
            monitors,
            statuses: BTreeMap::new(),
            profiles,
            at: t0(),
            alerts: Vec::new(),
            outages: Vec::new(),
        }
    }

    fn set(&mut self, index: usize, metric: &str, value: Option<f64>) {
        let m = &mut self.monitors[index];
        match value {
            Some(v) => m.metrics.insert(metric.into(), v),
            None => m.metrics.remove(metric),
        };
    }

    /// A new collector poll that read the next five minutes, then an evaluation.
    fn poll(&mut self) -> Evaluation {
        let start = self.at;
        self.at += Duration::minutes(5);
        for m in &mut self.monitors {
            m.begin_poll(self.at);
            m.metrics_window = Some(crate::inventory::window::Window {
                start,
                end: self.at,
            });
        }
        self.evaluate()
    }

    /// A collector poll that read no new window (a re-inventory, or a second poll within the
    /// same minute), then an evaluation.
    fn poll_without_new_window(&mut self) -> Evaluation {
        self.at += Duration::seconds(20);
        for m in &mut self.monitors {
            m.begin_poll(self.at);
        }
        self.evaluate()
    }

    fn evaluate(&mut self) -> Evaluation {
        let e = evaluate_root(&self.monitors, &self.statuses, &self.profiles, self.at);
        for c in &e.changes {
            self.statuses
                .insert(c.status.monitor_id.clone(), c.status.clone());
            self.alerts.extend(c.alert.clone());
            self.outages.extend(c.outage.clone());
        }
        e
    }

    fn status(&self, id: &str) -> Status {
        self.statuses[id].status
    }
}

#[test]
fn a_breach_lasting_many_polls_alerts_once_and_recovery_alerts_once() {
    let mut run = Run::new(profiles(false, 1), 1);
    run.poll();
    assert!(run.alerts.is_empty(), "all up: no alert");
    run.set(1, "SignInFailurePercentage", Some(35.0));
    for _ in 0..10 {
        run.poll();
    }
    assert_eq!(run.alerts.len(), 1);
    let a = run.alerts[0].clone();
    assert_eq!((a.from, a.to), (Status::Up, Status::Critical));
    assert_eq!(a.alert_id, "appclient/p1/c0#1");
    assert!(a.reasons[0]
        .to_string()
        .contains("Sign In Failure Percentage = 35"));
    assert!(a.reasons[0].to_string().contains("threshold > 20"));
    run.set(1, "SignInFailurePercentage", Some(5.0));
    run.poll();
    assert_eq!(run.alerts.len(), 2);
    let r = &run.alerts[1];
    assert_eq!((r.from, r.to), (Status::Critical, Status::Up));
    assert_eq!(r.alert_id, "appclient/p1/c0#2");
    let opened = t0() + Duration::minutes(10);
    assert_eq!(r.outage_started_at, Some(opened));
    assert_eq!(
        run.outages,
        vec![
            OutageWrite::Open(Outage {
                monitor_id: "appclient/p1/c0".into(),
                kind: MonitorKind::AppClient,
                name: "web-c0".into(),
                account: "123456789012".into(),
                region: "eu-west-1".into(),
                user_pool_id: Some("p1".into()),
                started_at: opened,
                ended_at: None,
                status: Status::Critical,
                reason: a.reasons[0].to_string(),
                comment: None,
            }),
            OutageWrite::Close {
                monitor_id: "appclient/p1/c0".into(),
                started_at: opened,
                ended_at: t0() + Duration::minutes(60),
            }
        ]
    );
}

#[test]
fn breach_only_after_n_consecutive_polls_and_a_poll_counts_once() {
    let mut run = Run::new(profiles(false, 3), 1);
    run.set(1, "SignInFailurePercentage", Some(50.0));
    run.poll();
    run.evaluate();
    run.evaluate();
    assert_eq!(
        run.status("appclient/p1/c0"),
        Status::Up,
        "one poll, evaluated three times"
    );
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Up);
    // A quiet poll resets the streak.
    run.set(1, "SignInFailurePercentage", Some(0.0));
    run.poll();
    run.set(1, "SignInFailurePercentage", Some(50.0));
    run.poll();
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Up);
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Critical);
    assert!(matches!(
        run.statuses["appclient/p1/c0"].reasons[0],
        Reason::Breach { polls: 3, .. }
    ));
}

#[test]
fn a_poll_without_a_new_window_does_not_count_toward_a_streak() {
    let mut run = Run::new(profiles(false, 2), 1);
    run.set(1, "SignInFailurePercentage", Some(50.0));
    run.poll();
    run.poll_without_new_window();
    run.poll_without_new_window();
    assert_eq!(
        run.status("appclient/p1/c0"),
        Status::Up,
        "one breaching window and two re-inventories are one breaching poll"
    );
    assert_eq!(
        run.statuses["appclient/p1/c0"].streaks.values().max(),
        Some(&1)
    );
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Critical);
}

#[test]
fn no_data_is_not_a_breach() {
    let mut run = Run::new(profiles(false, 1), 1);
    run.set(1, "SignInFailurePercentage", None);
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Up);
}

#[test]
fn propagation_on_makes_the_pool_the_worst_and_names_the_child_in_one_alert() {
    let mut run = Run::new(profiles(true, 1), 3);
    run.poll();
    run.set(2, "SignInFailurePercentage", Some(90.0));
    run.poll();
    assert_eq!(run.status("userpool/p1"), Status::Critical);
    assert_eq!(run.statuses["userpool/p1"].own_status, Status::Up);
    assert_eq!(run.alerts.len(), 1, "{:#?}", run.alerts);
    let a = &run.alerts[0];
    assert_eq!(a.monitor_id, "appclient/p1/c1");
    let pool = a.pool.as_ref().expect("pool change");
    assert_eq!((pool.from, pool.to), (Status::Up, Status::Critical));
    assert!(run.statuses["userpool/p1"]
        .reasons
        .iter()
        .any(|r| r.to_string() == "Cognito App Client web-c1 is Critical"));
    // The pool's outage opened too.
    assert!(run
        .outages
        .iter()
        .any(|o| matches!(o, OutageWrite::Open(o) if o.monitor_id == "userpool/p1")));
    // A second child going critical: its alert, the pool does not move.
    run.set(3, "SignInFailurePercentage", Some(90.0));
    run.poll();
    assert_eq!(run.alerts.len(), 2);
    let p = run.alerts[1].pool.as_ref().unwrap();
    assert_eq!((p.from, p.to), (Status::Critical, Status::Critical));
    // Both recover: two alerts, and the pool is up again, told in them.
    run.set(2, "SignInFailurePercentage", Some(0.0));
    run.set(3, "SignInFailurePercentage", Some(0.0));
    run.poll();
    assert_eq!(run.alerts.len(), 4);
    assert_eq!(run.status("userpool/p1"), Status::Up);
    assert_eq!(run.alerts[3].pool.as_ref().unwrap().to, Status::Up);
}

#[test]
fn propagation_off_judges_the_pool_on_its_own_metrics() {
    let mut run = Run::new(profiles(false, 1), 2);
    run.set(1, "SignInFailurePercentage", Some(90.0));
    run.poll();
    assert_eq!(run.status("userpool/p1"), Status::Up);
    assert_eq!(run.alerts.len(), 1);
    assert!(run.alerts[0].pool.is_none());
    run.set(0, "AdminSignUpFailed", Some(11.0));
    run.poll();
    assert_eq!(run.status("userpool/p1"), Status::Trouble);
    assert_eq!(run.alerts.len(), 2);
    assert_eq!(run.alerts[1].monitor_id, "userpool/p1");
}

#[test]
fn a_pool_breaching_on_its_own_with_propagation_gets_its_own_alert() {
    let mut run = Run::new(profiles(true, 1), 1);
    run.set(0, "AdminSignUpFailed", Some(11.0));
    run.poll();
    assert_eq!(run.alerts.len(), 1);
    assert_eq!(run.alerts[0].monitor_id, "userpool/p1");
    assert_eq!(run.alerts[0].to, Status::Trouble);
}

#[test]
fn a_failing_poll_is_down_after_the_profiles_count_and_deletion_at_once() {
    let mut run = Run::new(profiles(false, 1), 2);
    run.poll();
    run.at += Duration::minutes(5);
    let at = run.at;
    run.monitors[1].begin_poll(at);
    run.monitors[1].mark_stale("GetMetricData: ThrottlingException", at);
    run.evaluate();
    assert_eq!(run.status("appclient/p1/c0"), Status::Up, "one failed poll");
    run.at += Duration::minutes(5);
    let at = run.at;
    run.monitors[1].begin_poll(at);
    run.monitors[1].mark_stale("GetMetricData: ThrottlingException", at);
    run.evaluate();
    assert_eq!(run.status("appclient/p1/c0"), Status::Down);
    assert!(run.alerts[0].reasons[0]
        .to_string()
        .contains("poll failing (2 consecutive): GetMetricData: ThrottlingException"));
    run.monitors[2].mark_deleted("gone", at);
    run.evaluate();
    assert_eq!(run.status("appclient/p1/c1"), Status::Down);
    assert_eq!(run.alerts.len(), 2);
    run.poll();
    assert_eq!(
        run.alerts.len(),
        3,
        "c0 recovers, the deleted c1 stays down silently"
    );
}

#[test]
fn deleted_children_do_not_hold_the_pool_down() {
    let mut run = Run::new(profiles(true, 1), 1);
    run.poll();
    let at = run.at;
    run.monitors[1].mark_deleted("gone", at);
    run.evaluate();
    assert_eq!(run.status("appclient/p1/c0"), Status::Down);
    assert_eq!(run.status("userpool/p1"), Status::Up);
}

#[test]
fn an_unchanged_status_is_not_rewritten() {
    let mut run = Run::new(profiles(false, 1), 1);
    run.poll();
    let e = run.poll();
    assert!(e.changes.iter().all(|c| !c.write_status));
    run.set(1, "SignInFailurePercentage", Some(90.0));
    let e = run.poll();
    assert!(e.changes.iter().any(|c| c.write_status));
}

#[test]
fn user_alerts_name_the_sub_never_the_email() {
    let mut user = Monitor::new(
        &MonitorId::User {
            pool: "p1".into(),
            username: "jane.doe@example.com".into(),
        },
        "jane.doe@example.com".into(),
        "1",
        "r",
        MonitorDetails::User(UserDetails {
            username: "jane.doe@example.com".into(),
            user_pool_id: "p1".into(),
            enabled: true,
            attributes: vec![
                UserAttribute {
                    name: "sub".into(),
                    value: "0f1e-42".into(),
                    verified: None,
                },
                UserAttribute {
                    name: "phone_number".into(),
                    value: "+447700900123".into(),
                    verified: Some(true),
                },
            ],
            ..Default::default()
        }),
        t0(),
    );
    user.mark_deleted("gone", t0());
    let e = evaluate_root(&[pool(), user], &BTreeMap::new(), &profiles(true, 1), t0());
    let alerts: Vec<_> = e.alerts().collect();
    assert_eq!(alerts.len(), 1);
    let json = serde_json::to_string(alerts[0]).unwrap();
    assert!(!json.contains("jane"), "{json}");
    assert!(!json.contains("7700900123"), "{json}");
    assert_eq!(alerts[0].monitor_id, "user/p1/0f1e-42");
    assert_eq!(alerts[0].name, "sub 0f1e-42");
}

#[test]
fn no_data_on_a_rate_keeps_the_state_so_a_breach_across_it_is_one_outage_and_one_alert() {
    let mut run = Run::new(profiles(false, 1), 1);
    run.set(1, "SignInFailurePercentage", Some(35.0));
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Critical);
    // One poll without a datapoint (nobody signed in): the rate says nothing, the outage stays.
    run.set(1, "SignInFailurePercentage", None);
    run.poll();
    assert_eq!(run.status("appclient/p1/c0"), Status::Critical);
    run.set(1, "SignInFailurePercentage", Some(40.0));
    run.poll();
    assert_eq!(run.alerts.len(), 1, "{:?}", run.alerts);
    assert_eq!(
        run.outages.len(),
        1,
        "one outage, still open: {:?}",
        run.outages
    );
    run.set(1, "SignInFailurePercentage", Some(2.0));
    run.poll();
    assert_eq!(run.alerts.len(), 2);
    assert!(matches!(run.outages[1], OutageWrite::Close { .. }));
}

#[test]
fn no_data_is_judged_as_each_threshold_says() {
    let with = |treat: MissingData| {
        let mut set = profiles(false, 1);
        set.profiles[1].thresholds[0].missing_data = Some(treat);
        let mut run = Run::new(set, 1);
        run.set(1, "SignInFailurePercentage", Some(35.0));
        run.poll();
        run.set(1, "SignInFailurePercentage", None);
        run.poll();
        run
    };
    let not_breaching = with(MissingData::NotBreaching);
    assert_eq!(not_breaching.status("appclient/p1/c0"), Status::Up);
    let breaching = with(MissingData::Breaching);
    assert_eq!(breaching.status("appclient/p1/c0"), Status::Critical);
    let reason = &breaching.statuses["appclient/p1/c0"].reasons[0];
    assert!(
        matches!(reason, Reason::NoData { polls: 2, .. }),
        "{reason:?}"
    );
    assert!(
        reason.to_string().contains("no data, treated as breaching"),
        "{reason}"
    );
    let ignore = with(MissingData::Ignore);
    assert_eq!(ignore.status("appclient/p1/c0"), Status::Critical);
    assert!(matches!(
        ignore.statuses["appclient/p1/c0"].reasons[0],
        Reason::Breach { value, .. } if value == 35.0
    ));
}
