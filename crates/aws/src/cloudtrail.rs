//! CloudTrail, read for `doctor`: the trails that apply to a region (DescribeTrails with shadow
//! trails, so multi-region and organization trails of other home regions count), whether each
//! is logging (GetTrailStatus), and which events its selectors log (GetEventSelectors, basic
//! and advanced).

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};
use cognito_watch_core::doctor::{Management, Trail};

use crate::error::AwsError;

/// The resource type of Cognito identity pools' data events.
pub const IDENTITY_POOL_DATA: &str = "AWS::Cognito::IdentityPool";

/// Every trail that applies to the client's region. A refused GetTrailStatus or
/// GetEventSelectors leaves that trail's logging unknown; a refused DescribeTrails fails.
pub async fn trails(config: &aws_config::SdkConfig) -> Result<Vec<Trail>, AwsError> {
    let client = &aws_sdk_cloudtrail::Client::new(config);
    let listed = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeTrails", e))?
        .trail_list
        .unwrap_or_default();
    let mut out = Vec::new();
    for t in listed {
        let Some(id) = t.trail_arn.clone().or(t.name.clone()) else {
            continue;
        };
        let logging = client
            .get_trail_status()
            .name(&id)
            .send()
            .await
            .ok()
            .map(|s| s.is_logging.unwrap_or(false));
        let selectors = client.get_event_selectors().trail_name(&id).send().await;
        let (management, data, logging) = match selectors {
            Ok(s) => {
                let basic = s.event_selectors.unwrap_or_default();
                let advanced = s.advanced_event_selectors.unwrap_or_default();
                let (m, d) = judge_selectors(&basic, &advanced);
                (m, d, logging)
            }
            Err(_) => (Management::Off, false, None),
        };
        out.push(Trail {
            name: t.name.unwrap_or(id),
            home_region: t.home_region.unwrap_or_default(),
            multi_region: t.is_multi_region_trail.unwrap_or(false),
            organization: t.is_organization_trail.unwrap_or(false),
            logging,
            management,
            identity_pool_data_events: data,
        });
    }
    Ok(out)
}

/// Which management events the selectors log, and whether they log identity pools' data
/// events. No selector at all is CloudTrail's default: management events, read and write.
pub fn judge_selectors(
    basic: &[EventSelector],
    advanced: &[AdvancedEventSelector],
) -> (Management, bool) {
    if basic.is_empty() && advanced.is_empty() {
        return (Management::All, false);
    }
    let (mut read, mut write) = (false, false);
    for s in basic {
        if s.include_management_events == Some(false) {
            continue;
        }
        match s.read_write_type.as_ref().unwrap_or(&ReadWriteType::All) {
            ReadWriteType::ReadOnly => read = true,
            ReadWriteType::WriteOnly => write = true,
            _ => (read, write) = (true, true),
        }
    }
    let mut data = false;
    for s in advanced {
        let equals = |field: &str| -> Option<&Vec<String>> {
            s.field_selectors
                .iter()
                .find(|f| f.field == field)
                .and_then(|f| f.equals.as_ref())
        };
        let category = equals("eventCategory");
        if category.is_some_and(|c| c.iter().any(|v| v == "Management")) {
            match equals("readOnly").map(|v| v.iter().map(String::as_str).collect::<Vec<_>>()) {
                Some(v) if v == ["true"] => read = true,
                Some(v) if v == ["false"] => write = true,
                _ => (read, write) = (true, true),
            }
        }
        if category.is_some_and(|c| c.iter().any(|v| v == "Data"))
            && equals("resources.type").is_some_and(|t| t.iter().any(|v| v == IDENTITY_POOL_DATA))
        {
            data = true;
        }
    }
    let management = match (read, write) {
        (true, true) => Management::All,
        (true, false) => Management::ReadOnly,
        (false, true) => Management::WriteOnly,
        (false, false) => Management::Off,
    };
    (management, data)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::types::AdvancedFieldSelector;

    use super::*;

    fn field(name: &str, values: &[&str]) -> AdvancedFieldSelector {
        AdvancedFieldSelector::builder()
            .field(name)
            .set_equals(Some(values.iter().map(|v| v.to_string()).collect()))
            .build()
            .unwrap()
    }

    #[test]
    fn selectors_say_what_is_logged() {
        assert_eq!(judge_selectors(&[], &[]), (Management::All, false));
        let writes = EventSelector::builder()
            .read_write_type(ReadWriteType::WriteOnly)
            .include_management_events(true)
            .build();
        assert_eq!(
            judge_selectors(&[writes], &[]),
            (Management::WriteOnly, false)
        );
        let data_only = EventSelector::builder()
            .include_management_events(false)
            .build();
        assert_eq!(judge_selectors(&[data_only], &[]), (Management::Off, false));
        let management = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Management"]))
            .build()
            .unwrap();
        let identity = AdvancedEventSelector::builder()
            .field_selectors(field("eventCategory", &["Data"]))
            .field_selectors(field("resources.type", &[IDENTITY_POOL_DATA]))
            .build()
            .unwrap();
        assert_eq!(
            judge_selectors(&[], &[management, identity]),
            (Management::All, true)
        );
    }
}
