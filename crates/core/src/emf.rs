//! Derived metrics in CloudWatch embedded metric format (EMF): one JSON document per line on
//! stdout in Lambda, turned into CloudWatch metrics by the Lambda logs pipeline, so users can
//! alarm natively on what cognito-watch derives (failures, failure %, tallies). Only derived
//! values are published (AWS/Cognito already has the raw counts): each is a custom metric.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::inventory::monitor::{Monitor, MonitorDetails, MonitorKind};
use crate::trail::{Counts, TallyId, TallyKey};

/// The namespace of every derived metric.
pub const NAMESPACE: &str = "CognitoWatch";

/// Metric name → (value, unit).
pub type Metrics = BTreeMap<String, (f64, &'static str)>;

/// One EMF document: `dimensions` name → value, `metrics` name → (value, unit).
pub fn document(at: DateTime<Utc>, dimensions: &[(&str, &str)], metrics: &Metrics) -> Value {
    let mut doc = Map::new();
    for (k, v) in dimensions {
        doc.insert((*k).to_string(), Value::from(*v));
    }
    let mut definitions = Vec::new();
    for (name, (value, unit)) in metrics {
        doc.insert(name.clone(), json!(value));
        definitions.push(json!({"Name": name, "Unit": unit}));
    }
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": definitions,
            }]
        }),
    );
    Value::Object(doc)
}

/// How many custom metrics the documents define: each metric name under each set of dimension
/// values is one (CloudWatch bills each per month).
pub fn custom_metrics(docs: &[Value]) -> u64 {
    let mut seen = std::collections::BTreeSet::new();
    for doc in docs {
        let Some(defs) = doc["_aws"]["CloudWatchMetrics"].as_array() else {
            continue;
        };
        for def in defs {
            let names: Vec<&str> = def["Dimensions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let dims: Vec<String> = names
                .iter()
                .map(|n| format!("{n}={}", doc[*n].as_str().unwrap_or_default()))
                .collect();
            for m in def["Metrics"].as_array().into_iter().flatten() {
                if let Some(name) = m["Name"].as_str() {
                    seen.insert((dims.clone(), name.to_string()));
                }
            }
        }
    }
    seen.len() as u64
}

/// Whether a catalogue metric is derived by cognito-watch (failures and failure rates).
fn derived(id: &str) -> bool {
    id.contains("Fail")
}

/// The derived metrics of the monitors just polled: per user pool, app client and identity
/// provider.
pub fn monitor_documents(monitors: &[Monitor], at: DateTime<Utc>) -> Vec<Value> {
    let mut out = Vec::new();
    for m in monitors {
        let pool = m.user_pool_id.clone().unwrap_or_default();
        let dims: Vec<(&str, String)> = match (&m.kind, &m.details) {
            (MonitorKind::UserPool, _) => vec![("UserPool", pool.clone())],
            (MonitorKind::AppClient, MonitorDetails::AppClient(d)) => {
                vec![
                    ("UserPool", pool.clone()),
                    // CloudWatch's own name for the dimension (AWS/Cognito uses it too).
                    ("UserPoolClient", d.client_id.clone()),
                ]
            }
            (MonitorKind::IdentityProvider, _) => {
                vec![
                    ("UserPool", pool.clone()),
                    ("IdentityProvider", m.name.clone()),
                ]
            }
            _ => continue,
        };
        let metrics: Metrics = m
            .metrics
            .iter()
            .filter(|(id, v)| derived(id) && v.is_finite())
            .map(|(id, v)| {
                let unit = if id.ends_with("Percentage") {
                    "Percent"
                } else {
                    "Count"
                };
                (id.clone(), (*v, unit))
            })
            .collect();
        if metrics.is_empty() || pool.is_empty() {
            continue;
        }
        let dims: Vec<(&str, &str)> = dims.iter().map(|(k, v)| (*k, v.as_str())).collect();
        out.push(document(at, &dims, &metrics));
    }
    out
}

/// `MonitorStatus` (0 up, 1 trouble, 2 critical, 3 down) of each user pool, app client,
/// identity provider and identity pool just evaluated, with the monitor's name, type and pool as
/// dimensions, so a dashboard or an alarm can follow any monitor. Users are left out (one
/// custom metric each would cost more than they tell).
pub fn status_documents(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, crate::alerting::status::Status>,
    at: DateTime<Utc>,
) -> Vec<Value> {
    use crate::alerting::status::Status;
    monitors
        .iter()
        .filter(|m| m.kind != MonitorKind::User)
        .filter_map(|m| {
            let status = statuses.get(&m.monitor_id)?;
            let pool = match m.kind {
                MonitorKind::IdentityPool => m.monitor_id.split_once('/').map(|(_, id)| id),
                _ => m.user_pool_id.as_deref(),
            }?;
            let value = match status {
                Status::Up => 0.0,
                Status::Trouble => 1.0,
                Status::Critical => 2.0,
                Status::Down => 3.0,
            };
            let metrics: Metrics = [("MonitorStatus".to_string(), (value, "None"))].into();
            Some(document(
                at,
                &[
                    ("MonitorType", m.kind.id_prefix()),
                    ("Monitor", &m.name),
                    ("Pool", pool),
                ],
                &metrics,
            ))
        })
        .collect()
}

/// The trail function's tallies per user pool and window: attempts, failures, refresh
/// failures, M2M token requests.
pub fn tally_documents(tallies: &BTreeMap<TallyId, Counts>) -> Vec<Value> {
    let mut per_pool: BTreeMap<(String, DateTime<Utc>), Metrics> = BTreeMap::new();
    // The account and region totals count the pools' requests again: never a pool's metric.
    for (id, c) in tallies.iter().filter(|(id, _)| !id.is_region_scope()) {
        let pool = id.pool.clone().unwrap_or_else(|| "-".into());
        let entry = per_pool.entry((pool, id.window)).or_default();
        let mut add = |name: &str, v: u64| {
            entry.entry(name.to_string()).or_insert((0.0, "Count")).0 += v as f64;
        };
        match &id.key {
            TallyKey::EventName { .. } => {
                add("TrailRequests", c.requests);
                add("TrailFailures", c.failures);
            }
            TallyKey::Client { .. } => {
                add("TokenRefreshFailuresTrail", c.refresh_failures);
                add("M2MTokenRequests", c.m2m_requests());
            }
            _ => {}
        }
    }
    per_pool
        .into_iter()
        .filter(|(_, metrics)| !metrics.is_empty())
        .map(|((pool, window), metrics)| document(window, &[("UserPool", &pool)], &metrics))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_metrics_count_each_name_under_each_dimension_set_once() {
        let at = DateTime::from_timestamp(1_763_726_400, 0).unwrap();
        let two: Metrics = [
            ("SignInFailures".to_string(), (1.0, "Count")),
            ("SignInFailurePercentage".to_string(), (5.0, "Percent")),
        ]
        .into();
        let docs = vec![
            document(at, &[("UserPool", "p"), ("UserPoolClient", "a")], &two),
            document(at, &[("UserPool", "p"), ("UserPoolClient", "b")], &two),
            // The same client again (a later poll): no new metric.
            document(at, &[("UserPool", "p"), ("UserPoolClient", "a")], &two),
            document(at, &[("UserPool", "p")], &two),
        ];
        assert_eq!(custom_metrics(&docs), 6);
        assert_eq!(custom_metrics(&[]), 0);
    }

    #[test]
    fn a_document_declares_its_metrics_and_dimensions() {
        let at = DateTime::from_timestamp(1_763_726_400, 0).unwrap();
        let mut m = BTreeMap::new();
        m.insert("SignInFailurePercentage".to_string(), (35.5, "Percent"));
        let d = document(at, &[("UserPool", "p"), ("UserPoolClient", "c")], &m);
        assert_eq!(d["SignInFailurePercentage"], 35.5);
        assert_eq!(d["UserPoolClient"], "c");
        let cw = &d["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], NAMESPACE);
        assert_eq!(cw["Dimensions"], json!([["UserPool", "UserPoolClient"]]));
        assert_eq!(
            cw["Metrics"][0],
            json!({"Name": "SignInFailurePercentage", "Unit": "Percent"})
        );
        assert_eq!(d["_aws"]["Timestamp"], 1_763_726_400_000i64);
    }

    #[test]
    fn tally_metrics_are_per_pool_and_never_of_an_account_and_region() {
        use crate::trail::{TallyKey, TallyKind};
        let window = DateTime::from_timestamp(1_763_726_400, 0).unwrap();
        let id = |pool: &str, key: TallyKey| TallyId {
            pool: Some(pool.into()),
            window,
            key,
        };
        let c = Counts {
            requests: 3,
            failures: 2,
            ..Default::default()
        };
        let tallies = BTreeMap::from([
            (
                id(
                    "us-east-1_P",
                    TallyKey::new(TallyKind::Event, "InitiateAuth"),
                ),
                c.clone(),
            ),
            (
                id("us-east-1_P", TallyKey::new(TallyKind::Ip, "192.0.2.1")),
                c.clone(),
            ),
            (
                id(
                    "111122223333/us-east-1",
                    TallyKey::new(TallyKind::Ip, "192.0.2.1"),
                ),
                c,
            ),
        ]);
        let docs = tally_documents(&tallies);
        assert_eq!(docs.len(), 1, "{docs:?}");
        assert_eq!(docs[0]["UserPool"], "us-east-1_P");
        assert_eq!(docs[0]["TrailFailures"], 2.0);
    }

    #[test]
    fn every_monitor_but_users_reports_its_status_as_a_number_with_its_name() {
        use crate::alerting::status::Status;
        use crate::inventory::monitor::{
            AppClientDetails, IdentityPoolDetails, MonitorId, UserDetails, UserPoolDetails,
        };
        let at = DateTime::from_timestamp(1_763_726_400, 0).unwrap();
        let make = |id: MonitorId, name: &str, details| {
            Monitor::new(&id, name.into(), "123456789012", "eu-west-1", details, at)
        };
        let monitors = vec![
            make(
                MonitorId::UserPool {
                    pool: "eu-west-1_P".into(),
                },
                "shop",
                MonitorDetails::UserPool(UserPoolDetails::default()),
            ),
            make(
                MonitorId::AppClient {
                    pool: "eu-west-1_P".into(),
                    client_id: "c1".into(),
                },
                "web",
                MonitorDetails::AppClient(AppClientDetails::default()),
            ),
            make(
                MonitorId::User {
                    pool: "eu-west-1_P".into(),
                    username: "alice".into(),
                },
                "alice",
                MonitorDetails::User(UserDetails::default()),
            ),
            make(
                MonitorId::IdentityPool {
                    id: "eu-west-1:abc".into(),
                },
                "guests",
                MonitorDetails::IdentityPool(IdentityPoolDetails::default()),
            ),
        ];
        let statuses: BTreeMap<String, Status> = [
            ("userpool/eu-west-1_P", Status::Critical),
            ("appclient/eu-west-1_P/c1", Status::Down),
            ("user/eu-west-1_P/alice", Status::Trouble),
            ("identitypool/eu-west-1:abc", Status::Up),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let docs = status_documents(&monitors, &statuses, at);
        let seen: Vec<(String, String, String, f64)> = docs
            .iter()
            .map(|d| {
                let s = |k: &str| d[k].as_str().unwrap().to_string();
                (
                    s("MonitorType"),
                    s("Monitor"),
                    s("Pool"),
                    d["MonitorStatus"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("userpool".into(), "shop".into(), "eu-west-1_P".into(), 2.0),
                ("appclient".into(), "web".into(), "eu-west-1_P".into(), 3.0),
                (
                    "identitypool".into(),
                    "guests".into(),
                    "eu-west-1:abc".into(),
                    0.0
                ),
            ]
        );
        assert_eq!(
            docs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["MonitorType", "Monitor", "Pool"]])
        );
    }
}
