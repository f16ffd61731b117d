//! Requests to other functions through EventBridge: a configuration change asks the collector
//! to re-inventory a pool now (the template routes `cognito-watch.trail` events to it).

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
        if out.failed_entry_count > 0 {
            let why = out
                .entries()
                .iter()
                .filter_map(|e| e.error_message())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(AwsError::other(
                "PutEvents",
                format!("entry refused: {why}"),
            ));
        }
        Ok(())
    }
}
