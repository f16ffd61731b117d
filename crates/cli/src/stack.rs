//! Finding the deployment: the settings a command needs (tables, topic, functions) read from
//! the outputs of the stack `sam deploy` made, unless the environment already names them.

use aws_config::SdkConfig;

use crate::env::Env;
use crate::error::CliError;

/// The stack name when none is given (`samconfig.toml`'s).
pub const DEFAULT_STACK: &str = "cognito-watch";

/// Each setting the CLI reads and the stack output that carries it.
pub const OUTPUTS: [(&str, &str); 11] = [
    ("STATE_TABLE", "StateTableName"),
    ("HISTORY_TABLE", "HistoryTableName"),
    ("STATUS_TABLE", "StatusTableName"),
    ("TRAIL_TABLE", "TrailTableName"),
    ("ALERT_TOPIC_ARN", "AlertTopicArn"),
    ("DESTINATION_TOPIC_ARNS", "AllowedDestinationTopicArns"),
    ("COLLECTOR_FUNCTION", "CollectorFunctionName"),
    ("EVALUATOR_FUNCTION", "EvaluatorFunctionName"),
    ("TRAIL_FUNCTION", "TrailFunctionName"),
    ("TRAIL_SOURCE", "TrailSourceName"),
    ("CLOUDTRAIL_RULE", "CloudTrailRuleName"),
];

/// Where the settings came from, for the messages that need to say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// The stack read (its name), if one was.
    pub stack: Option<String>,
    /// Why no stack was read, if a setting was missing and none could be.
    pub problem: Option<String>,
}

impl Found {
    /// What to add to "`NAME` is required": where it could have come from.
    pub fn hint(&self, name: &str) -> String {
        let output = OUTPUTS
            .iter()
            .find(|(var, _)| *var == name)
            .map(|(_, o)| *o);
        match (&self.stack, &self.problem, output) {
            (Some(stack), _, Some(output)) => {
                format!("set it, or add the output {output} to stack {stack}")
            }
            (_, Some(problem), _) => format!("set it, or deploy the stack: {problem}"),
            _ => "set it".to_string(),
        }
    }
}

/// The environment with `--region` and `--profile` applied and every missing setting filled
/// from the stack's outputs. The stack is read only when a setting is missing; a stack named
/// with `--stack` that cannot be read is an error, the default one only a note for later.
pub async fn settle(
    env: &Env,
    stack: Option<&str>,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<(Env, Found), CliError> {
    let mut env = env.clone();
    if let Some(r) = region {
        env.set("AWS_REGION", r);
    }
    if let Some(p) = profile {
        env.set("AWS_PROFILE", p);
    }
    // The region is settled here, so the SDK never asks the EC2 metadata service (slow and
    // noisy on a laptop).
    if env.get("AWS_REGION").is_none() && env.get("AWS_DEFAULT_REGION").is_none() {
        let mut provider = aws_config::profile::ProfileFileRegionProvider::builder();
        if let Some(p) = env.get("AWS_PROFILE") {
            provider = provider.profile_name(p);
        }
        match aws_config::meta::region::ProvideRegion::region(&provider.build()).await {
            Some(r) => env.set("AWS_REGION", r.to_string()),
            None => return Err(CliError::Usage(
                "no AWS region: pass --region, set AWS_REGION, or give your AWS profile a region"
                    .into(),
            )),
        }
    }
    let named = stack
        .map(str::to_string)
        .or_else(|| env.get("COGNITO_WATCH_STACK"));
    let missing = OUTPUTS.iter().any(|(var, _)| env.get(var).is_none());
    if !missing {
        return Ok((env, Found::default()));
    }
    let name = named.clone().unwrap_or_else(|| DEFAULT_STACK.to_string());
    let sdk = env.sdk(2).await;
    let region = sdk
        .region()
        .map(ToString::to_string)
        .unwrap_or_else(|| "(no region)".into());
    match outputs(&sdk, &name).await {
        Ok(outputs) => {
            for (var, output) in OUTPUTS {
                if env.get(var).is_none() {
                    if let Some(v) = outputs.iter().find(|(k, _)| k == output).map(|(_, v)| v) {
                        env.set(var, v.clone());
                    }
                }
            }
            Ok((
                env,
                Found {
                    stack: Some(name),
                    problem: None,
                },
            ))
        }
        Err(e) if named.is_some() => Err(CliError::Stack {
            stack: name,
            region,
            source: Box::new(e),
        }),
        Err(e) => Ok((
            env,
            Found {
                stack: None,
                problem: Some(format!("stack {name} in {region}: {}", e.summary)),
            },
        )),
    }
}

/// The outputs of a stack: (key, value) pairs.
pub async fn outputs(
    sdk: &SdkConfig,
    stack: &str,
) -> Result<Vec<(String, String)>, cognito_watch_aws::AwsError> {
    let answer = aws_sdk_cloudformation::Client::new(sdk)
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| cognito_watch_aws::AwsError::from_sdk("DescribeStacks", e))?;
    Ok(answer
        .stacks()
        .iter()
        .flat_map(|s| s.outputs())
        .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_the_cli_reads_is_in_the_template() {
        let template = include_str!("../../../template.yaml");
        let outputs = format!(
            "\n{}",
            template
                .split("\nOutputs:\n")
                .nth(1)
                .expect("an Outputs section")
        );
        for (var, output) in OUTPUTS {
            assert!(
                outputs.contains(&format!("\n  {output}:\n")),
                "{var}: no output {output} in template.yaml"
            );
        }
    }

    #[test]
    fn a_missing_setting_says_where_it_could_come_from() {
        let found = Found {
            stack: None,
            problem: Some(
                "stack cognito-watch in eu-west-1: Stack with id cognito-watch does not exist"
                    .into(),
            ),
        };
        assert!(found.hint("STATE_TABLE").contains("deploy the stack"));
        let found = Found {
            stack: Some("prod-watch".into()),
            problem: None,
        };
        assert_eq!(
            found.hint("TRAIL_TABLE"),
            "set it, or add the output TrailTableName to stack prod-watch"
        );
    }
}
