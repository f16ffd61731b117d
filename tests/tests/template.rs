//! The deployment templates read as an experienced SAM user reads them: cross-account access
//! granted on exact role ARNs with the external id out of plain text, every function logging
//! at the level the operator picks, the saved Logs Insights queries, and the console labels.

use serde_yaml::Value;

fn template(file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `!Ref X` as the name X.
fn reference(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str(),
        _ => None,
    }
}

/// Every policy statement of a function, looking through `!If [cond, then, else]`.
fn statements(function: &Value) -> Vec<&Value> {
    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Tagged(t) if t.tag == "!If" => {
                if let Some(branches) = t.value.as_sequence() {
                    branches.iter().skip(1).for_each(|b| walk(b, out));
                }
            }
            Value::Mapping(m) => {
                if let Some(Value::Sequence(s)) = m.get("Statement") {
                    out.extend(s.iter());
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(Value::Sequence(policies)) = function["Properties"].get("Policies") {
        policies.iter().for_each(|p| walk(p, &mut out));
    }
    out
}

fn actions(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::String(s) => vec![s.as_str()],
        Value::Sequence(s) => s.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

#[test]
fn cross_account_access_is_granted_on_exact_role_arns_and_the_external_id_is_never_plain_text() {
    let t = template("template.yaml");
    let params = &t["Parameters"];
    assert_eq!(
        params["MonitoredAccountRoleArns"]["Type"], "CommaDelimitedList",
        "one role ARN per monitored account"
    );
    let collector = &t["Resources"]["CollectorFunction"];
    let assume: Vec<&Value> = statements(collector)
        .into_iter()
        .filter(|s| actions(s).contains(&"sts:AssumeRole"))
        .collect();
    assert_eq!(assume.len(), 1);
    assert_eq!(
        reference(&assume[0]["Resource"]),
        Some("MonitoredAccountRoleArns"),
        "sts:AssumeRole on exactly the listed ARNs: {:?}",
        assume[0]
    );
    // No parameter, environment variable or output carries an external id itself.
    for (name, p) in params.as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if name.to_lowercase().contains("externalid") {
            assert_eq!(
                name, "ExternalIdParameterName",
                "only the SSM name is a parameter"
            );
            assert_eq!(p["Type"], "String");
        }
    }
    let env = &collector["Properties"]["Environment"]["Variables"];
    assert!(env.get("ASSUME_ROLES").is_none());
    assert_eq!(
        reference(&env["EXTERNAL_ID_PARAMETER"]),
        Some("ExternalIdParameterName")
    );
    let read: Vec<&Value> = statements(collector)
        .into_iter()
        .filter(|s| actions(s).contains(&"ssm:GetParameter"))
        .collect();
    assert_eq!(read.len(), 1);
    let Value::Tagged(sub) = &read[0]["Resource"] else {
        panic!("{:?}", read[0]);
    };
    let arn = sub.value.as_str().unwrap();
    assert!(
        sub.tag == "!Sub" && arn.ends_with(":parameter${ExternalIdParameterName}"),
        "exactly that one parameter: {arn}"
    );
    assert_eq!(actions(read[0]), vec!["ssm:GetParameter"]);

    // The role each monitored account deploys trusts exactly the collector's role, with the
    // external id, which is NoEcho there.
    let role_template = template("cross-account-role.yaml");
    assert_eq!(role_template["Parameters"]["ExternalId"]["NoEcho"], true);
    let role = &role_template["Resources"]["CognitoWatchReadRole"]["Properties"];
    let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        reference(&trust["Principal"]["AWS"]),
        Some("CollectorRoleArn")
    );
    assert_eq!(
        reference(&trust["Condition"]["StringEquals"]["sts:ExternalId"]),
        Some("ExternalId")
    );
    assert_eq!(trust["Action"], "sts:AssumeRole");
}

#[test]
fn every_function_logs_json_at_the_operators_level_and_can_be_traced() {
    let t = template("template.yaml");
    let params = &t["Parameters"];
    let levels: Vec<&str> = params["ApplicationLogLevel"]["AllowedValues"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(levels, ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]);
    assert_eq!(
        reference(&t["Globals"]["Function"]["Tracing"]),
        Some("Tracing")
    );
    for function in ["CollectorFunction", "EvaluatorFunction", "TrailFunction"] {
        let p = &t["Resources"][function]["Properties"];
        let logging = &p["LoggingConfig"];
        assert_eq!(logging["LogFormat"], "JSON", "{function}");
        assert_eq!(
            reference(&logging["ApplicationLogLevel"]),
            Some("ApplicationLogLevel"),
            "{function}"
        );
        assert!(
            p["Environment"]["Variables"].get("RUST_LOG").is_none(),
            "{function}: RUST_LOG would fight the console's level"
        );
    }
    // The evaluator's own role may write traces when tracing is on.
    let policies = t["Resources"]["EvaluatorRole"]["Properties"]["Policies"]
        .as_sequence()
        .unwrap();
    let xray = policies.iter().any(|p| match p {
        Value::Tagged(t) if t.tag == "!If" => {
            t.value[0] == "IsTracingActive"
                && t.value[1]["PolicyDocument"]["Statement"][0]["Action"]
                    .as_sequence()
                    .is_some_and(|a| a.iter().any(|a| a == "xray:PutTraceSegments"))
        }
        _ => false,
    });
    assert!(
        xray,
        "the evaluator role grants X-Ray when Tracing is Active"
    );
}
