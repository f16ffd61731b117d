use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn t(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::hours(h)
}

fn moved(id: &str, at: DateTime<Utc>, from: Status, to: Status, number: u64) -> Transition {
    Transition {
        monitor_id: id.into(),
        kind: MonitorKind::AppClient,
        name: id.into(),
        at,
        from,
        to,
        number,
        reasons: vec![],
    }
}

fn status(at: DateTime<Utc>, st: Status, transitions: u64) -> MonitorStatus {
    MonitorStatus {
        monitor_id: "c".into(),
        kind: MonitorKind::AppClient,
        status: st,
        own_status: st,
        reasons: vec![],
        since: at,
        evaluated_at: at,
        evaluated_poll_at: None,
        evaluated_window_end: None,
        streaks: BTreeMap::new(),
        failed_polls: 0,
        transitions,
        profile: "default".into(),
        outage_started_at: None,
        recorded_since: None,
    }
}

fn record<'a>(since: DateTime<Utc>, now: Status, kept: &'a [&'a Transition]) -> Record<'a> {
    Record {
        since,
        now,
        transitions: kept,
    }
}

/// A scripted day: first seen at 0h, trouble 2h–5h, critical 5h–6h, up, down 10h–12h, up.
fn scripted() -> Vec<Transition> {
    vec![
        moved("c", t(2), Status::Up, Status::Trouble, 1),
        moved("c", t(5), Status::Trouble, Status::Critical, 2),
        moved("c", t(6), Status::Critical, Status::Up, 3),
        moved("c", t(10), Status::Up, Status::Down, 4),
        moved("c", t(12), Status::Down, Status::Up, 5),
    ]
}

#[test]
fn a_scripted_day_gives_exact_durations_and_availability() {
    let kept = scripted();
    let refs: Vec<&Transition> = kept.iter().collect();
    let r = record(t(0), Status::Up, &refs);
    let d = durations(&segments(Some(&r), t(0), t(24)));
    let h = 3600;
    assert_eq!(
        d,
        Durations {
            up: 18 * h,
            trouble: 3 * h,
            critical: h,
            down: 2 * h,
            unknown: 0
        }
    );
    assert_eq!(d.availability(), Some(75.0));
    assert_eq!(percent_text(&d), "75.00%");
    // A period that starts inside the critical hour reads only the transitions from its start
    // on: the status at its start is the one the first of them left.
    let from = t(5) + Duration::minutes(30);
    let later: Vec<&Transition> = kept.iter().filter(|k| k.at >= from).collect();
    let r = record(t(0), Status::Up, &later);
    let d = durations(&segments(Some(&r), from, t(11)));
    assert_eq!((d.critical, d.up, d.down), (1800, 4 * h, h));
    // Before the monitor was first seen nothing is known.
    let r = record(t(0), Status::Up, &refs);
    let d = durations(&segments(Some(&r), t(-6), t(1)));
    assert_eq!((d.unknown, d.up), (6 * h, h));
    assert_eq!(d.availability(), Some(100.0));
}

#[test]
fn a_monitor_that_never_moved_is_up_from_its_first_sighting() {
    let current = status(t(3), Status::Up, 0);
    assert_eq!(recorded_since(Some(&current), t(3)), t(3));
    let r = Record::of(Some(&current), t(3), &[]).unwrap();
    let d = durations(&segments(Some(&r), t(0), t(24)));
    assert_eq!((d.unknown, d.up), (3 * 3600, 21 * 3600));
    // Never judged: nothing known.
    assert!(Record::of(None, t(3), &[]).is_none());
    let d = durations(&segments(None, t(0), t(24)));
    assert_eq!(d.unknown, 24 * 3600);
    assert_eq!(percent_text(&d), "no record");
}

#[test]
fn a_monitor_judged_before_the_record_existed_is_known_from_its_current_status() {
    // Moved five times before the upgrade, up since 12h, no transition recorded.
    let mut current = status(t(12), Status::Up, 5);
    assert_eq!(recorded_since(Some(&current), t(0)), t(12));
    let r = Record::of(Some(&current), t(0), &[]).unwrap();
    let d = durations(&segments(Some(&r), t(0), t(24)));
    assert_eq!((d.unknown, d.up), (12 * 3600, 12 * 3600));
    // Once an evaluator that records has judged it, the record's start stays put.
    current.recorded_since = Some(t(12));
    current.since = t(20);
    current.status = Status::Trouble;
    let moved_later = [moved("c", t(20), Status::Up, Status::Trouble, 6)];
    let refs: Vec<&Transition> = moved_later.iter().collect();
    let r = Record::of(Some(&current), t(0), &refs).unwrap();
    let d = durations(&segments(Some(&r), t(0), t(24)));
    assert_eq!(
        (d.unknown, d.up, d.trouble),
        (12 * 3600, 8 * 3600, 4 * 3600)
    );
}

#[test]
fn a_roll_up_is_the_worst_known_status_at_each_instant() {
    let a = scripted();
    let b = [
        moved("b", t(4), Status::Up, Status::Critical, 1),
        moved("b", t(8), Status::Critical, Status::Up, 2),
    ];
    let (ra, rb): (Vec<&Transition>, Vec<&Transition>) = (a.iter().collect(), b.iter().collect());
    let sa = segments(Some(&record(t(0), Status::Up, &ra)), t(0), t(24));
    // b was first seen at 1h: unknown before, which does not make the roll-up unknown.
    let sb = segments(Some(&record(t(1), Status::Up, &rb)), t(0), t(24));
    let d = durations(&roll_up(&[sa, sb], t(0), t(24)));
    let h = 3600;
    // up 0–2, trouble 2–4, critical 4–8 (b critical, a trouble then critical), up 8–10,
    // down 10–12, up 12–24.
    assert_eq!(
        d,
        Durations {
            up: 16 * h,
            trouble: 2 * h,
            critical: 4 * h,
            down: 2 * h,
            unknown: 0
        }
    );
    assert_eq!(roll_up(&[], t(0), t(1))[0].status, None);
}

#[test]
fn durations_read_as_people_read_them() {
    assert_eq!(duration_text(0), "0s");
    assert_eq!(duration_text(240), "4m");
    assert_eq!(duration_text(2 * 3600 + 300), "2h 5m");
    assert_eq!(duration_text(3 * 86_400 + 4 * 3600 + 60), "3d 4h");
    let nearly = Durations {
        up: 999_999,
        down: 1,
        ..Durations::default()
    };
    assert_eq!(percent_text(&nearly), "99.99%");
}

proptest! {
    /// Whatever the history, the segments tile the period (durations add up to its length, no
    /// two neighbours alike), reading the transitions from the period's start gives what
    /// reading all of them gives, and a roll-up of one monitor is that monitor.
    #[test]
    fn segments_tile_the_period(
        steps in proptest::collection::vec((1i64..600, 0usize..4), 0..12),
        seen in -300i64..=0,
        from in -400i64..200,
        len in 1i64..900,
    ) {
        let all = [Status::Up, Status::Trouble, Status::Critical, Status::Down];
        let mut kept = Vec::new();
        let (mut at, mut prev) = (t(0), Status::Up);
        for (gap, s) in &steps {
            at += Duration::minutes(*gap);
            if all[*s] != prev {
                let number = kept.len() as u64 + 1;
                kept.push(moved("c", at, prev, all[*s], number));
                prev = all[*s];
            }
        }
        let since = t(0) + Duration::minutes(seen);
        let (start, end) = (t(0) + Duration::minutes(from), t(0) + Duration::minutes(from + len));
        let every: Vec<&Transition> = kept.iter().collect();
        let in_period: Vec<&Transition> = kept.iter().filter(|k| k.at >= start).collect();
        let whole = segments(Some(&record(since, prev, &every)), start, end);
        let segs = segments(Some(&record(since, prev, &in_period)), start, end);
        prop_assert_eq!(&segs, &whole);
        let d = durations(&segs);
        prop_assert_eq!(d.known() + d.unknown, len * 60);
        prop_assert!(segs.windows(2).all(|w| w[0].end == w[1].start && w[0].status != w[1].status));
        prop_assert_eq!(durations(&roll_up(std::slice::from_ref(&segs), start, end)), d);
    }
}
