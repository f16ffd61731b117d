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
}
