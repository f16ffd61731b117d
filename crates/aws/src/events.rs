//! Requests to other functions through EventBridge: a configuration change asks the collector
//! to re-inventory a pool now (the template routes `cognito-watch.trail` events to it); and, for
//! `doctor`, the state of the rule that brings CloudTrail to the trail function.

use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::error::AwsError;

pub const SOURCE: &str = "cognito-watch.trail";
pub const REINVENTORY: &str = "Re-inventory request";

#[derive(Clone)]
pub struct Requests {
    pub client: aws_sdk_eventbridge::Client,
    pub bus: String,
}

impl Requests {
    pub fn new(config: &aws_config::SdkConfig, bus: &str) -> Requests {
        Requests {
            client: aws_sdk_eventbridge::Client::new(config),
            bus: bus.to_string(),
        }
    }

    /// Ask the collector to inventory `region` now (only `pool` when given). The detail is a
    /// collector request, as the collector decodes it from an EventBridge envelope.
    pub async fn reinventory(&self, region: &str, pool: Option<&str>) -> Result<(), AwsError> {
        let mut detail = serde_json::json!({"tasks": ["inventory"], "regions": [region]});
        if let Some(p) = pool {
            detail["user_pool_ids"] = serde_json::json!([p]);
        }
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(REINVENTORY)
            .detail(detail.to_string())
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutEvents", e))?;
        refused(&out)
    }
}

/// An answer with refused entries is an error naming why each was refused.
fn refused(out: &PutEventsOutput) -> Result<(), AwsError> {
    if out.failed_entry_count == 0 {
        return Ok(());
    }
    let why = out
        .entries()
        .iter()
        .filter_map(|e| match (e.error_code(), e.error_message()) {
            (Some(c), Some(m)) => Some(format!("{c}: {m}")),
            (c, m) => c.or(m).map(str::to_string),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(AwsError::other(
        "PutEvents",
        format!("entry refused: {why}"),
    ))
}

/// An EventBridge rule's state (`ENABLED`, `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`,
/// `DISABLED`), for `doctor`.
pub async fn rule_state(config: &aws_config::SdkConfig, name: &str) -> Result<String, AwsError> {
    let out = aws_sdk_eventbridge::Client::new(config)
        .describe_rule()
        .name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeRule", e))?;
    Ok(out
        .state
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".to_string()))
}

#[cfg(test)]
mod tests {
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;

    #[tokio::test]
    async fn the_request_names_the_bus_source_and_collector_request() {
        let put = mock!(aws_sdk_eventbridge::Client::put_events)
            .match_requests(|input| {
                let [entry] = input.entries() else {
                    return false;
                };
                let detail: serde_json::Value =
                    serde_json::from_str(entry.detail().unwrap_or_default()).unwrap_or_default();
                entry.event_bus_name() == Some("cognito-watch")
                    && entry.source() == Some(SOURCE)
                    && entry.detail_type() == Some(REINVENTORY)
                    && detail
                        == serde_json::json!({"tasks": ["inventory"], "regions": ["eu-west-1"],
                            "user_pool_ids": ["eu-west-1_Abc"]})
            })
            .then_output(|| PutEventsOutput::builder().failed_entry_count(0).build());
        let requests = Requests {
            client: mock_client!(aws_sdk_eventbridge, [&put]),
            bus: "cognito-watch".into(),
        };
        requests
            .reinventory("eu-west-1", Some("eu-west-1_Abc"))
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_entry_is_an_error_saying_why() {
        let put = mock!(aws_sdk_eventbridge::Client::put_events).then_output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(
                    PutEventsResultEntry::builder()
                        .error_code("InternalFailure")
                        .error_message("try again")
                        .build(),
                )
                .build()
        });
        let requests = Requests {
            client: mock_client!(aws_sdk_eventbridge, [&put]),
            bus: "default".into(),
        };
        let e = requests.reinventory("eu-west-1", None).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "PutEvents: entry refused: InternalFailure: try again"
        );
    }
}
