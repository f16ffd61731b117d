use super::*;

const PAYMENTS: &str = "arn:aws:sns:eu-west-1:123456789012:payments-oncall";
const CHAT: &str = "arn:aws:sns:eu-west-1:123456789012:payments-chat";

fn profile(name: &str, destinations: &[&str]) -> NotificationProfile {
    NotificationProfile {
        name: name.into(),
        description: None,
        destinations: destinations
            .iter()
            .map(|d| Destination::parse(d).unwrap())
            .collect(),
        severities: vec![Status::Down, Status::Critical, Status::Trouble],
        recoveries: true,
        detections: true,
        posture: true,
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_destination_reads_format_and_topic_and_refuses_what_is_not_a_topic() {
    let d = Destination::parse(&format!("chat:{CHAT}")).unwrap();
    assert_eq!((d.format, d.topic.as_str()), (Format::Chat, CHAT));
    assert_eq!(d.key(), format!("chat:{CHAT}"));
    let plain = Destination::parse(PAYMENTS).unwrap();
    assert_eq!(plain.format, Format::Sns);
    assert_eq!(Destination::parse("default").unwrap(), Destination::stack());
    assert_eq!(Destination::stack().arn("arn:stack"), "arn:stack");
    assert_eq!(plain.arn("arn:stack"), PAYMENTS);
    for bad in [
        "payments",
        "arn:aws:sqs:eu-west-1:123456789012:q",
        "arn:aws:sns:eu-west-1:12345:t",
        "chat:",
        "arn:aws:sns:eu-west-1:123456789012:a b",
    ] {
        assert!(Destination::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn nothing_stored_sends_everything_to_the_stack_topic() {
    let n = Notifications::default();
    let route = n.route(
        &Subject::default(),
        Notice::Status {
            to: Status::Trouble,
        },
    );
    assert_eq!(route.profile, "default");
    assert_eq!(route.destinations, vec![Destination::stack()]);
    for notice in [
        Notice::Status { to: Status::Up },
        Notice::Detection {
            severity: Status::Critical,
        },
        Notice::Posture { severity: None },
    ] {
        assert_eq!(n.route(&Subject::default(), notice).destinations.len(), 1);
    }
}

#[test]
fn a_profile_wants_its_severities_and_recoveries_and_posture_only_when_it_says() {
    let mut p = profile("pager", &["default"]);
    p.severities = vec![Status::Down, Status::Critical];
    p.recoveries = false;
    p.posture = false;
    assert!(p.wants(Notice::Status { to: Status::Down }));
    assert!(!p.wants(Notice::Status {
        to: Status::Trouble
    }));
    assert!(!p.wants(Notice::Status { to: Status::Up }));
    assert!(p.wants(Notice::Detection {
        severity: Status::Critical
    }));
    assert!(!p.wants(Notice::Detection {
        severity: Status::Trouble
    }));
    assert!(!p.wants(Notice::Posture {
        severity: Some(Status::Critical)
    }));
    p.posture = true;
    assert!(p.wants(Notice::Posture { severity: None }));
    assert!(
        !p.wants(Notice::Posture {
            severity: Some(Status::Up)
        }),
        "a fix is a recovery"
    );
    p.detections = false;
    assert!(!p.wants(Notice::Detection {
        severity: Status::Critical
    }));
}

#[test]
fn the_narrowest_assignment_chooses() {
    let n = Notifications {
        profiles: vec![
            profile("payments", &[PAYMENTS, &format!("chat:{CHAT}")]),
            profile("platform", &["default"]),
            profile("one-client", &["default"]),
        ],
        assignments: vec![
            NotificationAssignment {
                tag: Some("team=payments".into()),
                ..assignment("payments")
            },
            NotificationAssignment {
                pool: Some("eu-west-1_pay".into()),
                ..assignment("platform")
            },
            NotificationAssignment {
                monitor: Some("appclient/eu-west-1_pay/c1".into()),
                ..assignment("one-client")
            },
            NotificationAssignment {
                scope: Some("123456789012/eu-west-1".into()),
                ..assignment("platform")
            },
        ],
    };
    n.validate().unwrap();
    let pool_tags = tags(&[("team", "payments")]);
    let client = |id: &'static str| Subject {
        monitor_id: Some(id),
        pool: Some("eu-west-1_pay"),
        pool_tags: Some(&pool_tags),
        scope: Some("123456789012/eu-west-1".into()),
        ..Subject::default()
    };
    let by_monitor = n.profile_for(&client("appclient/eu-west-1_pay/c1"));
    assert_eq!(
        (by_monitor.0.name.as_str(), by_monitor.1.as_str()),
        ("one-client", "monitor appclient/eu-west-1_pay/c1")
    );
    // The pool's own assignment is narrower than its tag.
    assert_eq!(
        n.profile_for(&client("appclient/eu-west-1_pay/c2")).0.name,
        "platform"
    );
    let other_pool = Subject {
        monitor_id: Some("userpool/eu-west-1_shop"),
        tags: Some(&pool_tags),
        pool: Some("eu-west-1_shop"),
        pool_tags: Some(&pool_tags),
        scope: Some("123456789012/eu-west-1".into()),
    };
    let route = n.route(&other_pool, Notice::Status { to: Status::Down });
    assert_eq!(route.profile, "payments");
    assert_eq!(route.by, "tag team=payments");
    assert_eq!(route.destinations.len(), 2);
    let unpooled = Subject {
        scope: Some("123456789012/eu-west-1".into()),
        ..Subject::default()
    };
    assert_eq!(n.profile_for(&unpooled).0.name, "platform");
    let elsewhere = Subject {
        scope: Some("210987654321/us-east-1".into()),
        ..Subject::default()
    };
    assert_eq!(n.profile_for(&elsewhere).1, "default");
    assert_eq!(n.topics(), vec![CHAT.to_string(), PAYMENTS.to_string()]);
}

fn assignment(profile: &str) -> NotificationAssignment {
    NotificationAssignment {
        monitor: None,
        tag: None,
        pool: None,
        scope: None,
        profile: profile.into(),
    }
}

#[test]
fn invalid_profiles_and_assignments_are_refused_with_the_reason() {
    let mut n = Notifications {
        profiles: vec![profile("a", &["default"])],
        assignments: vec![],
    };
    n.validate().unwrap();
    let err = |n: &Notifications| n.validate().unwrap_err().to_string();
    let mut empty = profile("b", &[]);
    empty.destinations.clear();
    n.profiles.push(empty);
    assert!(err(&n).contains("has no destination"), "{}", err(&n));
    n.profiles.pop();
    n.profiles.push(profile("a", &["default"]));
    assert!(err(&n).contains("two notification profiles"));
    n.profiles.pop();
    let mut up = profile("c", &["default"]);
    up.severities.push(Status::Up);
    n.profiles.push(up);
    assert!(err(&n).contains("recoveries"));
    n.profiles.pop();
    n.assignments.push(NotificationAssignment {
        pool: Some("p".into()),
        tag: Some("a=b".into()),
        ..assignment("a")
    });
    assert!(err(&n).contains("exactly one"));
    n.assignments = vec![NotificationAssignment {
        scope: Some("eu-west-1".into()),
        ..assignment("a")
    }];
    assert!(err(&n).contains("exactly one"));
    n.assignments = vec![NotificationAssignment {
        pool: Some("p".into()),
        ..assignment("missing")
    }];
    assert!(err(&n).contains("does not exist"));
    n.assignments.clear();
    n.assign(NotificationAssignment {
        pool: Some("p".into()),
        ..assignment("a")
    })
    .unwrap();
    n.assign(NotificationAssignment {
        pool: Some("p".into()),
        ..assignment("default")
    })
    .unwrap();
    assert_eq!(
        n.assignments.len(),
        1,
        "a second assignment replaces the first"
    );
    assert_eq!(n.assignments[0].profile, "default");
}

#[test]
fn the_tags_attribute_merges_the_pools_and_the_monitors_own() {
    let pool = tags(&[("team", "payments"), ("env", "prod")]);
    let own = tags(&[("env", "staging")]);
    let s = Subject {
        tags: Some(&own),
        pool_tags: Some(&pool),
        ..Subject::default()
    };
    assert_eq!(s.tag_values(), vec!["env=staging", "team=payments"]);
}
