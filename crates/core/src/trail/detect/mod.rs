//! Security detections over CloudTrail tallies and records: brute force, account enumeration,
//! credential stuffing, M2M token anomalies and risky configuration changes. Each detection has
//! a key that is unique per kind, pool, window and subject, so it is raised once per window.
//!
//! | module | what |
//! |---|---|
//! | `finding` | the vocabulary: `Detection`, its kind, subject, severity; `Finding` and its key |
//! | `text` | a detection's title and facts, as messages show them |
//! | `window` | detections on a tally's window totals (`detect`), candidates, baselines |
//! | `change` | configuration changes and what weakens security |
//! | `first_seen` | detections of what has not been seen for days |
//!
//! A new detection is a variant of `Detection` (with its text) and one function in the file of
//! its kind, registered where its input is judged (`detect` for tallies, the record functions
//! for CloudTrail requests).

mod change;
mod finding;
mod first_seen;
mod text;
mod window;

pub use super::thresholds::DetectionThresholds;
pub use change::*;
pub use finding::*;
pub use first_seen::*;
pub use window::*;

#[cfg(test)]
mod tests {

    use chrono::Utc;

    use super::*;
    use crate::severity::Severity;
    use crate::trail::record::CloudTrailRecord;
    use crate::trail::tally::{Counts, TallyId, TallyKey};
    use crate::trail::{window_of, TallyKind};
    use chrono::TimeZone;

    fn id(key: TallyKey) -> TallyId {
        TallyId {
            pool: Some("p1".into()),
            window: window_of(Utc.with_ymd_and_hms(2026, 11, 21, 10, 3, 0).unwrap()),
            key,
        }
    }

    #[test]
    fn ip_detections_fire_above_their_thresholds_only() {
        let t = DetectionThresholds::default();
        let ip = id(TallyKey::Ip {
            ip: "198.51.100.7".into(),
        });
        let mut c = Counts {
            attempts: 50,
            failures: 50,
            ..Default::default()
        };
        assert!(detect(&ip, &c, None, &t).is_empty(), "at the threshold: no");
        c.failures = 51;
        c.by_error.insert("UserNotFoundException".into(), 21);
        c.failing_subs = (0..11).collect();
        let found = detect(&ip, &c, None, &t);
        let kinds: Vec<String> = found.iter().map(|f| f.key()).collect();
        assert_eq!(
            kinds,
            vec![
                "brute_force#p1#2026-11-21T10:00Z#198.51.100.7",
                "account_enumeration#p1#2026-11-21T10:00Z#198.51.100.7",
                "credential_stuffing#p1#2026-11-21T10:00Z#198.51.100.7",
            ]
        );
    }

    #[test]
    fn m2m_fires_on_the_cap_or_a_multiple_of_the_baseline() {
        let t = DetectionThresholds::default();
        let client = id(TallyKey::Client {
            client_id: "svc".into(),
        });
        let mut c = Counts::default();
        c.by_grant.insert("client_credentials".into(), 60);
        assert!(detect(&client, &c, Some(20.0), &t).is_empty());
        assert_eq!(detect(&client, &c, Some(10.0), &t).len(), 1, "6x baseline");
        assert!(
            detect(&client, &c, Some(5.0), &t).is_empty(),
            "baseline too small to judge"
        );
        c.by_grant.insert("client_credentials".into(), 5001);
        assert_eq!(detect(&client, &c, None, &t).len(), 1, "over the cap");
    }

    #[test]
    fn a_pool_wide_failure_spike_needs_volume() {
        let t = DetectionThresholds::default();
        let name = id(TallyKey::new(TallyKind::Class, "sign-in"));
        let c = Counts {
            attempts: 99,
            failures: 90,
            ..Default::default()
        };
        assert!(detect(&name, &c, None, &t).is_empty());
        let c = Counts {
            attempts: 200,
            failures: 120,
            ..Default::default()
        };
        assert_eq!(detect(&name, &c, None, &t).len(), 1);
    }

    #[test]
    fn configuration_changes_name_who_where_and_what() {
        let r: CloudTrailRecord = serde_json::from_str(
            r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com",
            "eventName":"UpdateUserPoolClient","sourceIPAddress":"203.0.113.9","eventID":"ev-1",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/admin/jane"},
            "requestParameters":{"userPoolId":"us-east-1_AbC","clientId":"c1"}}"#,
        )
        .unwrap();
        let f = configuration_change(&r).unwrap();
        assert_eq!(f.pool.as_deref(), Some("us-east-1_AbC"));
        assert_eq!(
            f.detection,
            Detection::ConfigurationChange {
                event_name: "UpdateUserPoolClient".into(),
                who: "arn:aws:sts::123456789012:assumed-role/admin/jane".into(),
                source_ip: Some("203.0.113.9".into()),
                target: "us-east-1_AbC/c1".into(),
                event_id: "ev-1".into(),
            }
        );
        let mut failed = r.clone();
        failed.error_code = Some("AccessDeniedException".into());
        assert!(
            configuration_change(&failed).is_none(),
            "a refused change changed nothing"
        );
        let mut read = r;
        read.event_name = "DescribeUserPool".into();
        assert!(configuration_change(&read).is_none());
    }

    /// Ids are not masked as phone numbers (a pool id with 7 digits in a row was shown as
    /// `us-east-1_e4b9fd[phone]de9`); names a person chose are.
    #[test]
    fn a_change_keeps_ids_and_masks_names() {
        let r: CloudTrailRecord = serde_json::from_str(
            r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com",
            "eventName":"CreateUserPoolClient","eventID":"ev-2",
            "requestParameters":{"userPoolId":"us-east-1_e4b9fd4891434de9","clientName":"jane@example.com app"}}"#,
        )
        .unwrap();
        let Detection::ConfigurationChange { target, .. } =
            configuration_change(&r).unwrap().detection
        else {
            panic!("not a configuration change")
        };
        assert_eq!(target, "us-east-1_e4b9fd4891434de9/[email] app");
    }

    fn change(name: &str, params: serde_json::Value) -> CloudTrailRecord<'static> {
        CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
            "eventSource": if name.contains("IdentityPool") { "cognito-identity.amazonaws.com" } else { "cognito-idp.amazonaws.com" },
            "eventName": name, "eventID": "ev-9", "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/ops"},
            "requestParameters": params}))
        .unwrap()
    }

    #[test]
    fn changes_that_weaken_security_are_named_and_others_are_not() {
        let cases = [
            (
                "CreateIdentityPool",
                serde_json::json!({"identityPoolName": "x", "allowUnauthenticatedIdentities": true}),
                "allowUnauthenticatedIdentities",
            ),
            (
                "UpdateIdentityPool",
                serde_json::json!({"identityPoolId": "us-east-1:1a", "allowUnauthenticatedIdentities": true}),
                "allowUnauthenticatedIdentities",
            ),
            (
                "SetUserPoolMfaConfig",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
                "MFA",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
                "MFA",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "deletionProtection": "INACTIVE"}),
                "deletionProtection",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "userPoolAddOns": {"advancedSecurityMode": "OFF"}}),
                "threat protection",
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "preventUserExistenceErrors": "LEGACY"}),
                "LEGACY",
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "callbackURLs": ["https://shop.example", "http://evil.example/cb"]}),
                "http://evil.example/cb",
            ),
            (
                "CreateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientName": "svc", "allowedOAuthFlows": ["client_credentials"]}),
                "client_credentials",
            ),
        ];
        for (name, params, says) in cases {
            let f = risky_configuration(&change(name, params.clone()))
                .unwrap_or_else(|| panic!("{name} {params}: not risky"));
            assert_eq!(f.detection.severity(), Severity::Critical);
            assert!(
                f.detection.facts().iter().any(|l| l.contains(says)),
                "{name}: {:?}",
                f.detection.facts()
            );
        }
        let harmless = [
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "ON", "deletionProtection": "ACTIVE"}),
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "preventUserExistenceErrors": "ENABLED", "callbackURLs": ["https://shop.example", "http://localhost:3000/cb"]}),
            ),
            (
                "CreateIdentityPool",
                serde_json::json!({"identityPoolName": "x", "allowUnauthenticatedIdentities": false}),
            ),
            (
                "CreateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "allowedOAuthFlows": ["code"]}),
            ),
        ];
        for (name, params) in harmless {
            assert!(
                risky_configuration(&change(name, params.clone())).is_none(),
                "{name} {params}"
            );
        }
        let mut failed = change(
            "SetUserPoolMfaConfig",
            serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
        );
        failed.error_code = Some("AccessDeniedException".into());
        assert!(
            risky_configuration(&failed).is_none(),
            "a refused change weakens nothing"
        );
    }

    #[test]
    fn only_a_successful_unauthenticated_credentials_call_is_a_guest_candidate() {
        let pool = "us-east-1:1a234567-8901-2345-6789-0123456789ab";
        let record = |caller: &str, error: Option<&str>| -> CloudTrailRecord {
            CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
                "eventSource": "cognito-identity.amazonaws.com", "eventName": "GetCredentialsForIdentity",
                "eventID": "ev-1", "sourceIPAddress": "203.0.113.40", "errorCode": error,
                "userIdentity": {"type": caller},
                "resources": [{"ARN": format!("arn:aws:cognito-identity:us-east-1:111122223333:identitypool/{pool}")}]}))
            .unwrap()
        };
        let f = guest_credentials(&record("Unknown", None)).expect("a guest");
        assert_eq!(
            f.key(),
            format!("unauthenticated_credentials#{pool}#2026-11-21T10:00Z#{pool}")
        );
        assert!(guest_credentials(&record("AssumedRole", None)).is_none());
        assert!(guest_credentials(&record("Unknown", Some("NotAuthorizedException"))).is_none());
    }

    #[test]
    fn password_resets_fire_per_ip_over_the_cap_or_pool_wide_over_the_baseline() {
        let (t, ip) = (
            DetectionThresholds::default(),
            id(TallyKey::new(TallyKind::Ip, "198.51.100.7")),
        );
        let mut c = Counts {
            password_resets: 20,
            ..Counts::default()
        };
        assert!(detect(&ip, &c, None, &t).is_empty(), "at the cap: no");
        c.password_resets = 21;
        let found = detect(&ip, &c, None, &t);
        assert_eq!(
            found[0].key(),
            "password_reset_abuse#p1#2026-11-21T10:00Z#198.51.100.7"
        );
        let pool = id(TallyKey::new(TallyKind::Class, "reset"));
        c.password_resets = 31;
        assert_eq!(
            detect(&pool, &c, Some(6.0), &t).len(),
            1,
            "over 5x the baseline"
        );
        assert!(detect(&pool, &c, Some(7.0), &t).is_empty(), "under 5x");
        assert!(
            detect(&pool, &c, Some(4.0), &t).is_empty(),
            "a baseline too small to judge"
        );
        assert!(baseline_of(&pool.key).is_some() && baseline_of(&ip.key).is_none());
    }

    #[test]
    fn callback_mismatches_fire_over_their_threshold() {
        let t = DetectionThresholds::default();
        let client = id(TallyKey::new(TallyKind::Client, "web"));
        let mut c = Counts {
            callback_mismatches: 20,
            ..Counts::default()
        };
        assert!(detect(&client, &c, None, &t).is_empty());
        c.callback_mismatches = 21;
        let found = detect(&client, &c, None, &t);
        assert_eq!(found[0].key(), "callback_mismatch#p1#2026-11-21T10:00Z#web");
    }

    /// CloudTrail records of one address in one window, as the trail's intake tallies them.
    fn tallies_of(records: &[serde_json::Value]) -> crate::trail::Tallies {
        let mut tallies = crate::trail::Tallies::default();
        for r in records {
            let r = CloudTrailRecord::from_value(r.clone()).unwrap();
            tallies.add(&r.bounded().unwrap(), &|c: &str| {
                (c == "web").then(|| "us-east-1_B".to_string())
            });
        }
        tallies
    }

    fn sign_in_failure(pool: Option<&str>, client: &str, n: usize) -> serde_json::Value {
        serde_json::json!({"eventTime": "2026-11-21T10:04:00Z", "eventSource": "cognito-idp.amazonaws.com",
            "eventName": "InitiateAuth", "eventID": format!("ev-{client}-{n}"), "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.7",
            "errorCode": "NotAuthorizedException",
            "requestParameters": {"clientId": client, "userPoolId": pool}})
    }

    #[test]
    fn per_ip_detections_judge_the_account_and_region_so_a_spread_attack_is_caught_once() {
        let t = DetectionThresholds::default();
        // 20 failures in pool A (named), 20 in pool B (through its client), 20 whose pool is
        // unknown: no pool is over 50, the account and region is (60).
        let mut records = Vec::new();
        for n in 0..20 {
            records.push(sign_in_failure(Some("us-east-1_A"), "a-client", n));
            records.push(sign_in_failure(None, "web", n));
            records.push(sign_in_failure(None, "unknown-client", n));
        }
        let tallies = tallies_of(&records);
        let judged: Vec<Finding> = tallies
            .counts
            .iter()
            .filter(|(id, c)| is_candidate(id, c))
            .flat_map(|(id, c)| detect(id, c, None, &t))
            .collect();
        let keys: Vec<String> = judged.iter().map(Finding::key).collect();
        assert_eq!(
            keys,
            vec!["brute_force#111122223333/us-east-1#2026-11-21T10:00Z#198.51.100.7"],
            "one finding, keyed by the account and region"
        );
        assert_eq!(judged[0].scope.as_deref(), Some("111122223333/us-east-1"));
        assert_eq!(
            judged[0].pool, None,
            "the trail names the pools it was seen in"
        );
        // A pool's own IP tally is kept (for the CLI and evidence) but never judged.
        let per_pool = tallies
            .counts
            .keys()
            .filter(|id| matches!(id.key, TallyKey::Ip { .. }) && !id.is_region_scope())
            .count();
        assert_eq!(per_pool, 3, "A, B and unknown");
        assert!(tallies
            .counts
            .iter()
            .filter(|(id, _)| !id.is_region_scope())
            .all(|(id, c)| !is_candidate(id, c) || !matches!(id.key, TallyKey::Ip { .. })));
    }

    fn guest_call(event: &str, identity_pool: &str, n: usize) -> serde_json::Value {
        serde_json::json!({"eventTime": "2026-11-21T10:04:00Z", "eventSource": "cognito-identity.amazonaws.com",
            "eventName": event, "eventID": format!("ev-{identity_pool}-{n}"), "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "Unknown"}, "errorCode": "ResourceNotFoundException",
            "requestParameters": {"identityPoolId": identity_pool}})
    }

    #[test]
    fn guest_calls_across_identity_pools_are_enumeration_at_the_threshold() {
        let t = DetectionThresholds::default();
        let pools = [
            "us-east-1:00000000-0000-0000-0000-00000000000a",
            "us-east-1:00000000-0000-0000-0000-00000000000b",
            "us-east-1:00000000-0000-0000-0000-00000000000c",
        ];
        let judge = |records: &[serde_json::Value]| -> Vec<Finding> {
            tallies_of(records)
                .counts
                .iter()
                .filter(|(id, c)| is_candidate(id, c))
                .flat_map(|(id, c)| detect(id, c, None, &t))
                .collect()
        };
        // Many calls on two identity pools: not enumeration (threshold 3).
        let two: Vec<_> = (0..30)
            .map(|n| guest_call("GetId", pools[n % 2], n))
            .collect();
        assert!(judge(&two).is_empty());
        // One call on each of three: enumeration, once.
        let three: Vec<_> = pools
            .iter()
            .enumerate()
            .map(|(n, p)| {
                guest_call(
                    if n == 0 {
                        "GetCredentialsForIdentity"
                    } else {
                        "GetId"
                    },
                    p,
                    n,
                )
            })
            .collect();
        let found = judge(&three);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].key(),
            "identity_pool_enumeration#111122223333/us-east-1#2026-11-21T10:00Z#203.0.113.9"
        );
        assert!(found[0].detection.facts()[0].contains("about 3 distinct identity pools"));
        // Other identity pool calls (an authenticated app's GetOpenIdToken) do not count.
        let other: Vec<_> = pools
            .iter()
            .enumerate()
            .map(|(n, p)| guest_call("GetOpenIdToken", p, n))
            .collect();
        assert!(judge(&other).is_empty());
    }

    #[test]
    fn identity_pool_reads_name_the_principal_and_only_succeeding_reads_count() {
        let record = |event: &str, error: Option<&str>| -> CloudTrailRecord {
            CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
                "eventSource": "cognito-identity.amazonaws.com", "eventName": event,
                "eventID": "ev-r", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
                "sourceIPAddress": "192.0.2.44", "errorCode": error,
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Recon/session-1",
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Recon"}}},
                "requestParameters": {"maxResults": 60}}))
            .unwrap()
        };
        let f = identity_pool_reads(&record("ListIdentityPools", None)).expect("a candidate");
        assert_eq!(f.principal(), Some("arn:aws:iam::111122223333:role/Recon"));
        assert_eq!(
            f.key(),
            "identity_pool_enumeration#111122223333/eu-west-1#2026-11-21T10:00Z#arn:aws:iam::111122223333:role/Recon"
        );
        assert_eq!(f.detection.quiet_days(), Some(READER_QUIET_DAYS));
        assert!(identity_pool_reads(&record("DescribeIdentityPool", None)).is_some());
        assert!(
            identity_pool_reads(&record("ListIdentityPools", Some("AccessDeniedException")))
                .is_none()
        );
        assert!(identity_pool_reads(&record("GetId", None)).is_none());
    }

    #[test]
    fn a_distinct_users_estimate_never_exceeds_its_failures() {
        let c = Counts {
            failures: 3,
            failing_subs: (0..40).collect(),
            ..Default::default()
        };
        assert_eq!(c.distinct_failing_subs(), 3);
    }
}
