//! A table's shape, declared once: `init` creates the table from it, and a test checks
//! `template.yaml` declares the same.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, SseSpecification, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::{built, PK, SK, TTL_ATTRIBUTE};
use crate::error::AwsError;

/// What a global secondary index carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projected {
    /// Only the keys.
    KeysOnly,
    /// Every attribute.
    All,
}

impl Projected {
    /// CloudFormation's and DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Projected::KeysOnly => "KEYS_ONLY",
            Projected::All => "ALL",
        }
    }
}

/// A global secondary index (string keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: &'static str,
    pub hash: &'static str,
    pub range: &'static str,
    pub projection: Projected,
}

impl IndexSpec {
    /// An index `name` on (`hash`, `range`).
    pub const fn new(
        name: &'static str,
        (hash, range): (&'static str, &'static str),
        projection: Projected,
    ) -> IndexSpec {
        IndexSpec {
            name,
            hash,
            range,
            projection,
        }
    }
}

/// A table: `pk`/`sk` string keys, on-demand, encrypted, TTL on `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    /// The table's logical id in `template.yaml`.
    pub logical_id: &'static str,
    pub indexes: &'static [IndexSpec],
    /// Streamed with new and old images (the evaluator's trigger).
    pub streamed: bool,
}

impl TableSpec {
    /// A table with these global secondary indexes, streamed or not.
    pub const fn indexed(
        logical_id: &'static str,
        index: &'static [IndexSpec],
        streamed: bool,
    ) -> TableSpec {
        TableSpec {
            logical_id,
            indexes: index,
            streamed,
        }
    }

    /// The key schema: partition and sort key.
    pub fn key(&self) -> [&'static str; 2] {
        [PK, SK]
    }

    /// The TTL attribute.
    pub fn ttl(&self) -> &'static str {
        TTL_ATTRIBUTE
    }

    /// Every attribute a key or index names, each once, in declaration order.
    pub fn attributes(&self) -> Vec<&'static str> {
        let mut out = vec![PK, SK];
        for i in self.indexes {
            for a in [i.hash, i.range] {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Create the table named `name` if missing, then turn its TTL on. Returns whether it was
    /// created (false: it existed).
    pub async fn create(
        &self,
        client: &aws_sdk_dynamodb::Client,
        name: &str,
    ) -> Result<bool, AwsError> {
        const OP: &str = "CreateTable";
        let key = |attr: &str, t: KeyType| {
            built(
                OP,
                KeySchemaElement::builder()
                    .attribute_name(attr)
                    .key_type(t)
                    .build(),
            )
        };
        let mut req = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .sse_specification(SseSpecification::builder().enabled(true).build());
        for attr in self.attributes() {
            req = req.attribute_definitions(built(
                OP,
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::S)
                    .build(),
            )?);
        }
        for i in self.indexes {
            let projection = match i.projection {
                Projected::KeysOnly => ProjectionType::KeysOnly,
                Projected::All => ProjectionType::All,
            };
            req = req.global_secondary_indexes(built(
                OP,
                GlobalSecondaryIndex::builder()
                    .index_name(i.name)
                    .key_schema(key(i.hash, KeyType::Hash)?)
                    .key_schema(key(i.range, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(projection).build())
                    .build(),
            )?);
        }
        if self.streamed {
            req = req.stream_specification(built(
                OP,
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )?);
        }
        match req.send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return Ok(false)
            }
            Err(e) => return Err(AwsError::from_sdk(OP, e)),
        }
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(built(
                "UpdateTimeToLive",
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL_ATTRIBUTE)
                    .build(),
            )?)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateTimeToLive", e))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_yaml::Value;

    use super::*;

    /// A key schema: (attribute, HASH or RANGE).
    type Keys = Vec<(String, String)>;

    /// What a table declaration says, in one comparable shape.
    #[derive(Debug, PartialEq)]
    struct Shape {
        billing: String,
        key: Keys,
        attributes: BTreeSet<(String, String)>,
        /// (name, key schema, projection type)
        indexes: Vec<(String, Keys, String)>,
        stream: Option<String>,
        ttl: Option<(String, bool)>,
    }

    fn key(hash: &str, range: &str) -> Keys {
        vec![(hash.into(), "HASH".into()), (range.into(), "RANGE".into())]
    }

    fn of_spec(spec: &TableSpec) -> Shape {
        Shape {
            billing: "PAY_PER_REQUEST".into(),
            key: key(spec.key()[0], spec.key()[1]),
            attributes: spec
                .attributes()
                .into_iter()
                .map(|a| (a.to_string(), "S".to_string()))
                .collect(),
            indexes: spec
                .indexes
                .iter()
                .map(|i| {
                    (
                        i.name.to_string(),
                        key(i.hash, i.range),
                        i.projection.as_str().to_string(),
                    )
                })
                .collect(),
            stream: spec.streamed.then(|| "NEW_AND_OLD_IMAGES".to_string()),
            ttl: Some((spec.ttl().to_string(), true)),
        }
    }

    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            other => format!("{other:?}"),
        }
    }

    fn key_schema(v: &Value) -> Keys {
        v.as_sequence()
            .into_iter()
            .flatten()
            .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
            .collect()
    }

    fn of_template(p: &Value) -> Shape {
        Shape {
            billing: text(&p["BillingMode"]),
            key: key_schema(&p["KeySchema"]),
            attributes: p["AttributeDefinitions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|a| (text(&a["AttributeName"]), text(&a["AttributeType"])))
                .collect(),
            indexes: p["GlobalSecondaryIndexes"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|i| {
                    (
                        text(&i["IndexName"]),
                        key_schema(&i["KeySchema"]),
                        text(&i["Projection"]["ProjectionType"]),
                    )
                })
                .collect(),
            stream: p
                .get("StreamSpecification")
                .map(|s| text(&s["StreamViewType"])),
            ttl: p.get("TimeToLiveSpecification").map(|t| {
                (
                    text(&t["AttributeName"]),
                    t["Enabled"].as_bool().unwrap_or(false),
                )
            }),
        }
    }

    #[test]
    fn the_template_declares_every_table_as_the_code_does() {
        let template: Value =
            serde_yaml::from_str(include_str!("../../../../template.yaml")).expect("YAML");
        let resources = template["Resources"].as_mapping().expect("Resources");
        let specs = [
            crate::state::table::SPEC,
            crate::state::history::SPEC,
            crate::status::table::SPEC,
            crate::trail::table::SPEC,
        ];
        for spec in &specs {
            let declared = &template["Resources"][spec.logical_id];
            assert_eq!(
                text(&declared["Type"]),
                "AWS::DynamoDB::Table",
                "{}",
                spec.logical_id
            );
            assert_eq!(
                of_template(&declared["Properties"]),
                of_spec(spec),
                "{} in template.yaml differs from its TableSpec",
                spec.logical_id
            );
        }
        // And no table the code does not know.
        let tables: BTreeSet<String> = resources
            .iter()
            .filter(|(_, r)| text(&r["Type"]) == "AWS::DynamoDB::Table")
            .map(|(k, _)| text(k))
            .collect();
        let known: BTreeSet<String> = specs.iter().map(|s| s.logical_id.to_string()).collect();
        assert_eq!(tables, known);
    }

    #[test]
    fn every_output_of_the_template_says_what_it_is() {
        let template: Value =
            serde_yaml::from_str(include_str!("../../../../template.yaml")).expect("YAML");
        let outputs = template["Outputs"].as_mapping().expect("Outputs");
        let bare: Vec<String> = outputs
            .iter()
            .filter(|(_, o)| {
                text(&o["Description"]).trim().is_empty() || o.get("Description").is_none()
            })
            .map(|(k, _)| text(k))
            .collect();
        assert!(bare.is_empty(), "outputs without a Description: {bare:?}");
    }
}
