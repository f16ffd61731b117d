//! Requests to other functions through EventBridge: a configuration change asks the collector
//! to re-inventory a pool now (the template routes `cognito-watch.trail` events to it).

use serde::{Deserialize, Serialize};

use crate::error::AwsError;
use crate::wire::{ServiceClient, EVENTBRIDGE};

pub const SOURCE: &str = "cognito-watch.trail";
pub const REINVENTORY: &str = "Re-inventory request";

#[derive(Clone)]
pub struct Requests {
    client: ServiceClient,
    pub bus: String,
}

impl Requests {
    pub fn new(config: &aws_config::SdkConfig, bus: &str) -> Requests {
        Requests {
            client: ServiceClient::new(config, EVENTBRIDGE),
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
        let detail = detail.to_string();
        let input = PutEvents {
            entries: [Entry {
                event_bus_name: &self.bus,
                source: SOURCE,
                detail_type: REINVENTORY,
                detail: &detail,
            }],
        };
        let out: PutEventsAnswer = self.client.call("PutEvents", &input).await?;
        out.refused()
    }
}

/// PutEvents' input, as far as one entry on a named bus needs.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutEvents<'a> {
    entries: [Entry<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry<'a> {
    event_bus_name: &'a str,
    source: &'a str,
    detail_type: &'a str,
    detail: &'a str,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct PutEventsAnswer {
    failed_entry_count: u64,
    entries: Vec<EntryAnswer>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct EntryAnswer {
    error_code: Option<String>,
    error_message: Option<String>,
}

impl PutEventsAnswer {
    /// An answer with refused entries is an error naming why each was refused.
    fn refused(self) -> Result<(), AwsError> {
        if self.failed_entry_count == 0 {
            return Ok(());
        }
        let why = self
            .entries
            .iter()
            .filter_map(|e| match (&e.error_code, &e.error_message) {
                (Some(c), Some(m)) => Some(format!("{c}: {m}")),
                (c, m) => c.clone().or_else(|| m.clone()),
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(AwsError::other(
            "PutEvents",
            format!("entry refused: {why}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_is_written_as_eventbridge_reads_it() {
        let input = PutEvents {
            entries: [Entry {
                event_bus_name: "default",
                source: SOURCE,
                detail_type: REINVENTORY,
                detail: "{}",
            }],
        };
        assert_eq!(
            serde_json::to_value(&input).unwrap(),
            serde_json::json!({"Entries": [{"EventBusName": "default", "Source": SOURCE,
                "DetailType": REINVENTORY, "Detail": "{}"}]})
        );
    }

    #[test]
    fn a_refused_entry_is_an_error_saying_why() {
        let ok: PutEventsAnswer =
            serde_json::from_str(r#"{"FailedEntryCount":0,"Entries":[{"EventId":"e1"}]}"#).unwrap();
        assert!(ok.refused().is_ok());
        let bad: PutEventsAnswer = serde_json::from_str(
            r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"try again"}]}"#,
        )
        .unwrap();
        let e = bad.refused().unwrap_err();
        assert_eq!(
            e.to_string(),
            "PutEvents: entry refused: InternalFailure: try again"
        );
    }
}
