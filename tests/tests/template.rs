//! The deployment templates read as an experienced SAM user reads them: cross-account access
//! granted on exact role ARNs with the external id out of plain text, every function logging
//! at the level the operator picks, the saved Logs Insights queries, and the console labels.

use std::collections::BTreeSet;

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

/// A template value rendered as CloudFormation would: `!Join`, `!Sub` (every `${X}` or
/// `${X.Attr}` becomes `X`), `!If` by `conditions`, `!Ref` to the name.
fn render(v: &Value, conditions: &dyn Fn(&str) -> bool) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Tagged(t) if t.tag == "!Join" => {
            let parts = t.value.as_sequence().unwrap();
            let separator = parts[0].as_str().unwrap();
            parts[1]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|p| render(p, conditions))
                .collect::<Vec<_>>()
                .join(separator)
        }
        Value::Tagged(t) if t.tag == "!Sub" => {
            let (text, variables) = match &t.value {
                Value::String(s) => (s.clone(), None),
                Value::Sequence(s) => (s[0].as_str().unwrap().to_string(), s.get(1)),
                other => panic!("{other:?}"),
            };
            let mut out = String::new();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("${") {
                out.push_str(&rest[..i]);
                let end = rest[i..].find('}').unwrap() + i;
                let name = &rest[i + 2..end];
                match variables.and_then(|v| v.get(name)) {
                    Some(value) => out.push_str(&render(value, conditions)),
                    None => {
                        out.push_str(name.split('.').next().unwrap().replace("::", "-").as_str())
                    }
                }
                rest = &rest[end + 1..];
            }
            out.push_str(rest);
            out
        }
        Value::Tagged(t) if t.tag == "!If" => {
            let s = t.value.as_sequence().unwrap();
            let pick = if conditions(s[0].as_str().unwrap()) {
                1
            } else {
                2
            };
            render(&s[pick], conditions)
        }
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str().unwrap().to_string(),
        other => panic!("cannot render {other:?}"),
    }
}

#[test]
fn the_dashboard_is_valid_json_with_a_status_an_alarm_and_a_failing_ips_widget() {
    let t = template("template.yaml");
    let body = &t["Resources"]["Dashboard"]["Properties"]["DashboardBody"];
    for (trail_log_group, queue, derived) in [
        (true, true, true),
        (false, true, false),
        (false, false, true),
    ] {
        let text = render(body, &|c| match c {
            "HasTrailLogGroup" => trail_log_group,
            "FromEventBridge" => queue,
            "PublishStatus" | "PublishFailures" | "PublishTrail" => derived,
            other => panic!("the dashboard reads condition {other}: say here when it holds"),
        });
        let dashboard: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("the dashboard body is not JSON ({e}):\n{text}"));
        let widgets = dashboard["widgets"].as_array().unwrap();
        let titled = |needle: &str| {
            widgets
                .iter()
                .find(|w| {
                    w["properties"]["title"]
                        .as_str()
                        .is_some_and(|t| t.contains(needle))
                        || w["properties"]["markdown"]
                            .as_str()
                            .is_some_and(|t| t.contains(needle))
                })
                .unwrap_or_else(|| panic!("no widget {needle:?} in {text}"))
        };
        let status = titled("Status per monitor");
        if derived {
            let search = status["properties"]["metrics"][0][0]["expression"]
                .as_str()
                .unwrap();
            assert!(
                search.contains("{CognitoWatch,MonitorType,Monitor,Pool}")
                    && search.contains("MetricName=\"MonitorStatus\""),
                "{search}"
            );
        }
        let alarms = titled("alarms");
        assert_eq!(alarms["type"], "alarm");
        // Every alarm the stack creates, the trail queue's dead letters only with the queue.
        let listed: BTreeSet<String> = alarms["properties"]["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let created: BTreeSet<String> = t["Resources"]
            .as_mapping()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
            .filter(|(_, r)| match r["Condition"].as_str() {
                None => true,
                Some("FromEventBridge") => queue,
                Some(other) => panic!("an alarm under {other}: say in this test when it is made"),
            })
            .map(|(name, _)| name.as_str().unwrap().to_string())
            .collect();
        assert_eq!(listed, created);
        assert_eq!(listed.len(), if queue { 7 } else { 6 });
        // Every queue of the stack is on the queues widget (the trail queue's own is drained
        // by the function: its dead letters are what should stay 0).
        let queues = titled("dead-letter queues")["properties"]["metrics"].to_string();
        assert_eq!(queues.contains("TrailQueueDeadLetter"), queue, "{queues}");
        // A derived metric family not published: the widget says how to turn it on.
        for (needle, family) in [
            ("Status per monitor", "status"),
            ("failure %", "failures"),
            ("M2M token requests per pool", "trail"),
        ] {
            let w = titled(needle);
            if derived {
                assert_eq!(w["type"], "metric", "{w}");
            } else {
                assert_eq!(w["type"], "text", "{w}");
                let md = w["properties"]["markdown"].as_str().unwrap();
                assert!(
                    md.contains("PublishDerivedMetrics") && md.contains(family),
                    "{md}"
                );
            }
        }
        let ips = titled("failing source IPs");
        if trail_log_group {
            assert_eq!(ips["type"], "log");
            let q = ips["properties"]["query"].as_str().unwrap();
            assert!(q.starts_with("SOURCE 'TrailLogGroupName'"), "{q}");
        } else {
            assert_eq!(ips["type"], "text");
        }
        // The app client dimension is AWS's own name; labels name no source document.
        assert!(
            !text.contains("AppClient}") && !text.contains(",AppClient"),
            "{text}"
        );
        for source in ["CubeAPM", "Site24x7", "Sumo"] {
            assert!(!text.contains(source), "{source} in a label: {text}");
        }
        // No widget overlaps another.
        let mut cells = std::collections::HashSet::new();
        for w in widgets {
            let n = |k: &str| w[k].as_u64().unwrap();
            for x in n("x")..n("x") + n("width") {
                for y in n("y")..n("y") + n("height") {
                    assert!(cells.insert((x, y)), "overlap at {x},{y}: {w}");
                }
            }
        }
    }
}

/// A region of every partition AWS's SDK knows (its partition data, as of the locked crates).
const A_REGION_OF_EVERY_PARTITION: [(&str, &str); 8] = [
    ("aws", "us-east-1"),
    ("aws-cn", "cn-north-1"),
    ("aws-us-gov", "us-gov-west-1"),
    ("aws-eusc", "eusc-de-east-1"),
    ("aws-iso", "us-iso-east-1"),
    ("aws-iso-b", "us-isob-east-1"),
    ("aws-iso-e", "eu-isoe-west-1"),
    ("aws-iso-f", "us-isof-south-1"),
];

#[test]
fn the_dashboard_url_follows_the_partition_and_no_partition_fails_the_deploy() {
    let t = template("template.yaml");
    let url = &t["Outputs"]["DashboardUrl"]["Value"];
    let Value::Tagged(choice) = url else {
        panic!("{url:?}")
    };
    assert_eq!(choice.tag, "!If");
    let branches = choice.value.as_sequence().unwrap();
    assert_eq!(branches[0], "HasConsoleHost");
    let Value::Tagged(sub) = &branches[1] else {
        panic!("{url:?}")
    };
    let parts = sub.value.as_sequence().unwrap();
    assert_eq!(
        parts[0].as_str().unwrap(),
        "https://${Console}/cloudwatch/home?region=${AWS::Region}#dashboards:name=${Dashboard}"
    );
    let hosts = t["Mappings"]["Console"].as_mapping().unwrap();
    assert_eq!(hosts["aws"]["Host"], "console.aws.amazon.com");
    assert_eq!(hosts["aws-cn"]["Host"], "console.amazonaws.cn");
    assert_eq!(hosts["aws-us-gov"]["Host"], "console.amazonaws-us-gov.com");
    assert_eq!(hosts["aws-eusc"]["Host"], "console.amazonaws-eusc.eu");
    // The map is read only where the condition names the partition (FindInMap fails the deploy
    // on a missing key): the condition's partitions are exactly the map's.
    let condition = t["Conditions"]["HasConsoleHost"].to_owned();
    let Value::Tagged(or) = condition else {
        panic!("{condition:?}")
    };
    let named: Vec<String> = or
        .value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            let Value::Tagged(eq) = e else {
                panic!("{e:?}")
            };
            eq.value.as_sequence().unwrap()[1]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mapped: Vec<String> = hosts
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(named, mapped);
    for (partition, _) in A_REGION_OF_EVERY_PARTITION {
        let linked = named.iter().any(|p| p == partition);
        assert!(
            linked || !hosts.contains_key(partition),
            "{partition}: the output names the dashboard there"
        );
    }
}

#[test]
fn the_regions_parameter_takes_a_region_of_every_partition() {
    let t = template("template.yaml");
    let pattern = t["Parameters"]["Regions"]["AllowedPattern"]
        .as_str()
        .unwrap();
    let pattern = regex::Regex::new(pattern).unwrap();
    let all: Vec<&str> = A_REGION_OF_EVERY_PARTITION
        .iter()
        .map(|(_, r)| *r)
        .collect();
    for region in &all {
        assert!(pattern.is_match(region), "{region}");
    }
    assert!(pattern.is_match(""));
    assert!(pattern.is_match(&all.join(",")));
    for wrong in [
        "us-east-1, eu-west-1",
        "US-EAST-1",
        "us-east",
        "eu-west-1,",
        "arn:aws",
    ] {
        assert!(!pattern.is_match(wrong), "{wrong}");
    }
}

#[test]
fn the_four_saved_queries_sit_on_the_trail_log_group_and_read_the_fields_cloudtrail_writes() {
    let t = template("template.yaml");
    let resources = t["Resources"].as_mapping().unwrap();
    let queries: Vec<(&str, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Logs::QueryDefinition")
        .map(|(k, r)| (k.as_str().unwrap(), &r["Properties"]))
        .collect();
    let names: Vec<&str> = queries.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        names,
        [
            "FailedSignInsQuery",
            "TokenRefreshFailuresQuery",
            "TopFailingIpsQuery",
            "M2mTokenRequestsQuery"
        ]
    );
    for (name, p) in &queries {
        assert_eq!(resources[*name]["Condition"], "HasTrailLogGroup", "{name}");
        assert_eq!(
            reference(&p["LogGroupNames"][0]),
            Some("TrailLogGroupName"),
            "{name}"
        );
        let q = p["QueryString"].as_str().unwrap();
        assert!(
            q.contains("filter eventSource = 'cognito-idp.amazonaws.com'"),
            "{name}: {q}"
        );
        assert!(!q.contains('\n'), "{name}: one line of pipes");
    }
    let query = |name: &str| {
        queries
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, p)| p["QueryString"].as_str().unwrap())
            .unwrap()
    };
    assert!(query("FailedSignInsQuery").contains("by errorCode, sourceIPAddress"));
    assert!(query("TokenRefreshFailuresQuery").contains("by bin(5m)"));
    assert!(query("TopFailingIpsQuery").contains("by sourceIPAddress"));
    // The OAuth token endpoint is Token_POST, its client id an array (CloudTrail's layout).
    let m2m = query("M2mTokenRequestsQuery");
    assert!(
        m2m.contains("eventName = 'Token_POST'")
            && m2m.contains("additionalEventData.requestParameters.client_id.0")
            && m2m.contains("grant_type.0 = 'client_credentials'"),
        "{m2m}"
    );
}

#[test]
fn every_parameter_is_grouped_labelled_and_free_text_is_constrained() {
    let t = template("template.yaml");
    let params = t["Parameters"].as_mapping().unwrap();
    let interface = &t["Metadata"]["AWS::CloudFormation::Interface"];
    let grouped: Vec<&str> = interface["ParameterGroups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["Parameters"].as_sequence().unwrap())
        .filter_map(Value::as_str)
        .collect();
    for (name, p) in params {
        let name = name.as_str().unwrap();
        assert_eq!(
            grouped.iter().filter(|g| **g == name).count(),
            1,
            "{name} in exactly one group"
        );
        assert!(
            interface["ParameterLabels"][name]["default"].is_string(),
            "{name} has a label"
        );
        assert!(p["Description"].is_string(), "{name} has a description");
        let constrained = p.get("AllowedPattern").is_some()
            || p.get("AllowedValues").is_some()
            || p["Type"] != "String";
        assert!(constrained, "{name}: free text without a pattern");
    }
    let sar = &t["Metadata"]["AWS::ServerlessRepo::Application"];
    for key in [
        "Name",
        "Description",
        "Author",
        "SpdxLicenseId",
        "LicenseUrl",
        "ReadmeUrl",
        "SemanticVersion",
    ] {
        assert!(sar[key].is_string(), "SAR metadata {key}");
    }
    for file in ["LicenseUrl", "ReadmeUrl"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(sar[file].as_str().unwrap());
        assert!(path.exists(), "{}", path.display());
    }
}

/// `sam build` builds each function through its `build-<LogicalId>` target in the Makefile, which
/// runs one cargo-lambda build of all three binaries (linked side by side, not in turns) and
/// copies the function's own; SAM runs it in the source directory (`build_in_source`), so the
/// workspace's target/ is neither copied nor rebuilt.
#[test]
fn every_function_is_built_by_its_makefile_target_from_one_build_of_all_three() {
    let t = template("template.yaml");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    let resources = t["Resources"].as_mapping().unwrap();
    let functions: Vec<&str> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        ["CollectorFunction", "EvaluatorFunction", "TrailFunction"]
    );
    let build = makefile
        .lines()
        .find_map(|l| l.strip_prefix("LAMBDA_BUILD = "))
        .expect("the Makefile's LAMBDA_BUILD");
    let functions_line = makefile
        .lines()
        .find_map(|l| l.strip_prefix("FUNCTIONS = "))
        .expect("the Makefile's FUNCTIONS");
    // Every target builds every binary: whichever SAM runs first builds all three.
    let bins: Vec<String> = build
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == "--bin")
        .map(|w| w[1].to_string())
        .collect();
    assert_eq!(bins, ["collector", "evaluator", "trail"], "{build}");
    for id in &functions {
        let f = &resources[*id];
        assert_eq!(f["Metadata"]["BuildMethod"], "makefile", "{id}");
        assert_eq!(f["Properties"]["CodeUri"], ".", "{id}");
        let binary = id.strip_suffix("Function").unwrap().to_lowercase();
        let package = std::fs::read_to_string(root.join("crates").join(&binary).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{id}: crates/{binary}: {e}"));
        assert!(
            package.contains(&format!("name = \"{binary}\"")),
            "{id}: crates/{binary} is not the package {binary}"
        );
        assert!(
            makefile
                .lines()
                .any(|l| l == format!("build-{id}: BINARY = {binary}")),
            "no `build-{id}: BINARY = {binary}` in the Makefile"
        );
        assert!(
            functions_line.contains(&format!("build-{id}")),
            "{id} is not in the Makefile's FUNCTIONS"
        );
    }
    // The one recipe of every target: build all three, copy the function's own.
    let recipe: Vec<&str> = makefile
        .split("\n$(FUNCTIONS):\n")
        .nth(1)
        .expect("the Makefile's $(FUNCTIONS) recipe")
        .lines()
        .take_while(|l| l.starts_with('\t'))
        .map(str::trim)
        .collect();
    assert_eq!(
        recipe,
        [
            "mkdir -p \"$(CARGO_TARGET_DIR)\"",
            "$(LOCK) sh -c '$(LAMBDA_BUILD) && cp \"$(CARGO_TARGET_DIR)/lambda/$(BINARY)/bootstrap\" \"$(ARTIFACTS_DIR)/bootstrap\"'",
        ]
    );
    let samconfig: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("samconfig.toml")).unwrap()).unwrap();
    assert_eq!(
        samconfig["default"]["build"]["parameters"]["build_in_source"].as_bool(),
        Some(true)
    );
}

/// A condition of `template` under `params` (unset parameters take their defaults): `!Equals`,
/// `!Not`, `!And`, `!Or`, `!Condition`, over `!Ref`s and strings.
fn holds(template: &Value, v: &Value, params: &[(&str, &str)]) -> bool {
    let value = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Tagged(t) if t.tag == "!Ref" => {
                let name = t.value.as_str().unwrap();
                params
                    .iter()
                    .find(|(p, _)| *p == name)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| match &template["Parameters"][name]["Default"] {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        other => panic!("{name}: no default ({other:?})"),
                    })
            }
            other => panic!("cannot compare {other:?}"),
        }
    };
    let Value::Tagged(t) = v else {
        panic!("not a condition: {v:?}")
    };
    let args = || t.value.as_sequence().unwrap().iter();
    match t.tag.to_string().as_str() {
        "!Equals" => {
            let both: Vec<String> = args().map(value).collect();
            both[0] == both[1]
        }
        "!Not" => !holds(template, args().next().unwrap(), params),
        "!And" => args().all(|c| holds(template, c, params)),
        "!Or" => args().any(|c| holds(template, c, params)),
        "!Condition" => {
            let name = t.value.as_str().unwrap();
            holds(template, &template["Conditions"][name], params)
        }
        other => panic!("condition {other}"),
    }
}

/// The ways CloudTrail records reach the trail function under `params`: the resources whose
/// condition holds and which deliver them (an EventBridge rule on Cognito's sources, a log
/// group subscription, S3's right to invoke it), by kind.
fn trail_sources(template: &Value, params: &[(&str, &str)]) -> Vec<&'static str> {
    let resources = template["Resources"].as_mapping().unwrap();
    let mut out = Vec::new();
    let trail = &template["Resources"]["TrailFunction"];
    assert!(
        trail["Properties"].get("Events").is_none(),
        "the trail function's sources are conditional resources, not SAM events"
    );
    for (_, r) in resources {
        if let Some(Value::String(condition)) = r.get("Condition") {
            let c = &template["Conditions"][condition.as_str()];
            if !holds(template, c, params) {
                continue;
            }
        }
        let props = &r["Properties"];
        let to_trail = |v: &Value| format!("{v:?}").contains("TrailFunction");
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::Events::Rule"
                if format!("{:?}", props["EventPattern"]["source"]).contains("aws.cognito-idp") =>
            {
                out.push("EventBridge");
            }
            "AWS::Logs::SubscriptionFilter"
                if to_trail(&props["DestinationArn"])
                    && reference(&props["LogGroupName"]) == Some("TrailLogGroupName") =>
            {
                out.push("LogGroup");
            }
            "AWS::Lambda::Permission"
                if to_trail(&props["FunctionName"])
                    && props["Principal"].as_str() == Some("s3.amazonaws.com") =>
            {
                out.push("Bucket");
            }
            _ => {}
        }
    }
    out
}

#[test]
fn each_trail_source_wires_exactly_that_source_and_contradictions_are_refused() {
    let t = template("template.yaml");
    let named = [
        ("TrailLogGroupName", "aws-cloudtrail-logs"),
        ("TrailBucketName", "my-trail-bucket"),
    ];
    for source in ["EventBridge", "LogGroup", "Bucket"] {
        // Even with the log group and the bucket both named (a user with an existing trail):
        // one source, the one chosen.
        let mut params = vec![("TrailSource", source)];
        params.extend(named);
        assert_eq!(
            trail_sources(&t, &params),
            vec![source],
            "TrailSource={source}"
        );
    }
    assert_eq!(
        trail_sources(&t, &[]),
        vec!["EventBridge"],
        "the default: EventBridge, nothing else"
    );
    // The saved queries still sit on the named log group whatever the source.
    let query = &t["Resources"]["FailedSignInsQuery"];
    let condition = &t["Conditions"][query["Condition"].as_str().unwrap()];
    assert!(holds(
        &t,
        condition,
        &[("TrailSource", "EventBridge"), named[0]]
    ));
    // The Rules refuse what cannot work: a source without its name, read-only events away
    // from EventBridge.
    let rules = t["Rules"].as_mapping().unwrap();
    let refused = |params: &[(&str, &str)]| -> Vec<String> {
        rules
            .iter()
            .filter(|(_, r)| holds(&t, &r["RuleCondition"], params))
            .filter(|(_, r)| {
                r["Assertions"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|a| !holds(&t, &a["Assert"], params))
            })
            .map(|(name, _)| name.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        refused(&[("TrailSource", "LogGroup")]),
        vec!["LogGroupSourceNamesItsGroup"]
    );
    assert_eq!(
        refused(&[("TrailSource", "Bucket")]),
        vec!["BucketSourceNamesItsBucket"]
    );
    assert_eq!(
        refused(&[
            ("TrailSource", "LogGroup"),
            named[0],
            ("ReadOnlyEvents", "true")
        ]),
        vec!["ReadOnlyEventsComeThroughEventBridge"]
    );
    for ok in [
        vec![("ReadOnlyEvents", "true")],
        vec![("TrailSource", "LogGroup"), named[0]],
        vec![("TrailSource", "Bucket"), named[1]],
    ] {
        assert!(refused(&ok).is_empty(), "{ok:?}");
    }
    // The rule's read-only state, and the collector's own calls left out of it.
    let rule = &t["Resources"]["CloudTrailRule"]["Properties"];
    let state = |value: &str| {
        render(&rule["State"], &|c| {
            holds(&t, &t["Conditions"][c], &[("ReadOnlyEvents", value)])
        })
    };
    assert_eq!(state("false"), "ENABLED");
    assert_eq!(
        state("true"),
        "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    );
    let pattern = format!("{:?}", rule["EventPattern"]);
    assert!(
        pattern.contains("anything-but") && pattern.contains("CollectorFunctionRole"),
        "{pattern}"
    );
}

#[test]
fn each_derived_metric_family_is_published_by_its_function_when_the_parameter_names_it() {
    let t = template("template.yaml");
    let allowed: Vec<String> = t["Parameters"]["PublishDerivedMetrics"]["AllowedValues"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for (function, condition, family) in [
        ("CollectorFunction", "PublishFailures", "failures"),
        ("EvaluatorFunction", "PublishStatus", "status"),
        ("TrailFunction", "PublishTrail", "trail"),
    ] {
        let env = &t["Resources"][function]["Properties"]["Environment"]["Variables"];
        let Value::Tagged(publish) = &env["PUBLISH_METRICS"] else {
            panic!("{function}: PUBLISH_METRICS is not an !If");
        };
        assert_eq!(publish.tag, "!If");
        let branches = publish.value.as_sequence().unwrap();
        assert_eq!(branches[0].as_str(), Some(condition), "{function}");
        assert_eq!(
            (branches[1].as_str(), branches[2].as_str()),
            (Some("true"), Some("false"))
        );
        // The condition holds for exactly the values that name the family, and for true.
        let Value::Tagged(or) = &t["Conditions"][condition] else {
            panic!("{condition} is not a condition");
        };
        let mut named: Vec<String> = or
            .value
            .as_sequence()
            .unwrap()
            .iter()
            .map(|eq| {
                let Value::Tagged(eq) = eq else {
                    panic!("{eq:?}")
                };
                eq.value.as_sequence().unwrap()[1]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let mut expected: Vec<String> = allowed
            .iter()
            .filter(|v| *v == "true" || v.split(',').any(|f| f == family))
            .cloned()
            .collect();
        named.sort();
        expected.sort();
        assert_eq!(named, expected, "{condition}");
    }
}

/// Every (namespace, dimension names, metric) a query of the dashboard reads: a `SEARCH`'s
/// schema `{namespace,dim,...}` with its `MetricName="..."` terms, or a Metrics Insights
/// `SELECT FN(metric) FROM SCHEMA(namespace, dim, ...)`.
fn dashboard_queries(expression: &str) -> Vec<(String, BTreeSet<String>, String)> {
    let search = regex::Regex::new(r#"SEARCH\('\{([^}]*)\}\s*([^']*)'"#).unwrap();
    let name = regex::Regex::new(r#"MetricName="([A-Za-z0-9]+)""#).unwrap();
    let select =
        regex::Regex::new(r"SELECT\s+[A-Z]+\(([A-Za-z0-9]+)\)\s+FROM\s+SCHEMA\(([^)]*)\)").unwrap();
    let schema = |s: &str| {
        let mut parts = s.split(',').map(|p| p.trim().trim_matches('"').to_string());
        let namespace = parts.next().unwrap();
        (namespace, parts.collect::<BTreeSet<String>>())
    };
    let mut out = Vec::new();
    for c in search.captures_iter(expression) {
        let (namespace, dims) = schema(&c[1]);
        let names: Vec<String> = name
            .captures_iter(&c[2])
            .map(|n| n[1].to_string())
            .collect();
        assert!(
            !names.is_empty(),
            "a SEARCH of no metric name: {expression}"
        );
        out.extend(
            names
                .into_iter()
                .map(|n| (namespace.clone(), dims.clone(), n)),
        );
    }
    for c in select.captures_iter(expression) {
        let (namespace, dims) = schema(&c[2]);
        out.push((namespace, dims, c[1].to_string()));
    }
    assert!(
        !out.is_empty(),
        "a query this test cannot read: {expression}"
    );
    out
}

/// What the functions' EMF documents emit, as (namespace, dimension names, metric): every
/// kind of monitor with every derived metric of the catalogue, their statuses, and the trail's
/// tallies of each kind.
fn emitted_by_the_functions() -> BTreeSet<(String, BTreeSet<String>, String)> {
    use cognito_watch_core::alerting::status::Status;
    use cognito_watch_core::emf;
    use cognito_watch_core::inventory::catalogue;
    use cognito_watch_core::inventory::monitor::{
        AppClientDetails, IdentityPoolDetails, IdentityProviderDetails, Monitor, MonitorDetails,
        MonitorId, UserPoolDetails,
    };
    use cognito_watch_core::trail::tally::{Counts, TallyId, TallyKey};
    let at = chrono::DateTime::from_timestamp(1_765_000_000, 0).unwrap();
    let pool = "eu-west-1_P".to_string();
    let mut monitors: Vec<Monitor> = [
        (
            MonitorId::UserPool { pool: pool.clone() },
            MonitorDetails::UserPool(UserPoolDetails::default()),
        ),
        (
            MonitorId::AppClient {
                pool: pool.clone(),
                client_id: "c1".into(),
            },
            MonitorDetails::AppClient(AppClientDetails {
                client_id: "c1".into(),
                ..AppClientDetails::default()
            }),
        ),
        (
            MonitorId::IdentityProvider {
                pool: pool.clone(),
                provider_name: "Google".into(),
            },
            MonitorDetails::IdentityProvider(IdentityProviderDetails::default()),
        ),
        (
            MonitorId::IdentityPool {
                id: "eu-west-1:abc".into(),
            },
            MonitorDetails::IdentityPool(IdentityPoolDetails::default()),
        ),
    ]
    .into_iter()
    .map(|(id, details)| Monitor::new(&id, "m".into(), "123456789012", "eu-west-1", details, at))
    .collect();
    for m in &mut monitors {
        for def in catalogue::metrics(m.kind) {
            m.metrics.insert(def.id.to_string(), 1.0);
        }
    }
    let statuses = monitors
        .iter()
        .map(|m| (m.monitor_id.clone(), Status::Trouble))
        .collect();
    let tallies = [
        TallyKey::Client {
            client_id: "c1".into(),
        },
        TallyKey::Ip {
            ip: "192.0.2.1".into(),
        },
        TallyKey::ErrorCode {
            code: "NotAuthorizedException".into(),
        },
        TallyKey::EventName {
            name: "InitiateAuth".into(),
        },
        TallyKey::Class {
            class: "sign-in".into(),
        },
    ]
    .into_iter()
    .map(|key| {
        (
            TallyId {
                pool: Some(pool.clone()),
                window: at,
                key,
            },
            Counts::default(),
        )
    })
    .collect();
    let mut docs = emf::monitor_documents(&monitors, at);
    docs.extend(emf::status_documents(&monitors, &statuses, at));
    docs.extend(emf::tally_documents(&tallies));
    let mut out = BTreeSet::new();
    for doc in docs {
        for def in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            let namespace = def["Namespace"].as_str().unwrap().to_string();
            for dims in def["Dimensions"].as_array().unwrap() {
                let dims: BTreeSet<String> = dims
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap().to_string())
                    .collect();
                for m in def["Metrics"].as_array().unwrap() {
                    let name = m["Name"].as_str().unwrap().to_string();
                    out.insert((namespace.clone(), dims.clone(), name));
                }
            }
        }
    }
    out
}

/// AWS/Cognito's metrics and the exact dimensions it publishes them with (the facts file, §1).
fn published_by_cognito(metric: &str) -> Option<BTreeSet<String>> {
    let dims: &[&str] = match metric {
        "SignUpSuccesses"
        | "SignUpThrottles"
        | "SignInSuccesses"
        | "SignInThrottles"
        | "TokenRefreshSuccesses"
        | "TokenRefreshThrottles" => &["UserPool", "UserPoolClient"],
        "FederationSuccesses" | "FederationThrottles" => {
            &["UserPool", "UserPoolClient", "IdentityProvider"]
        }
        _ => return None,
    };
    Some(dims.iter().map(|d| d.to_string()).collect())
}

#[test]
fn every_dashboard_query_matches_the_dimensions_its_metrics_are_published_with() {
    let t = template("template.yaml");
    let body = &t["Resources"]["Dashboard"]["Properties"]["DashboardBody"];
    let text = render(body, &|_| true);
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let emitted = emitted_by_the_functions();
    assert!(
        emitted.iter().any(|(_, _, m)| m == "SignInFailed")
            && emitted.iter().any(|(_, _, m)| m == "MonitorStatus")
            && emitted.iter().any(|(_, _, m)| m == "TrailRequests"),
        "{emitted:?}"
    );
    let mut read = 0;
    for w in dashboard["widgets"].as_array().unwrap() {
        let title = w["properties"]["title"].as_str().unwrap_or_default();
        for line in w["properties"]["metrics"].as_array().into_iter().flatten() {
            let Some(expression) = line[0]["expression"].as_str() else {
                continue;
            };
            for (namespace, dims, metric) in dashboard_queries(expression) {
                read += 1;
                match namespace.as_str() {
                    "CognitoWatch" => assert!(
                        emitted.contains(&(namespace.clone(), dims.clone(), metric.clone())),
                        "{title:?}: {metric} under {dims:?} is never emitted; the functions emit \
                         {:?}",
                        emitted
                            .iter()
                            .filter(|(_, _, m)| *m == metric)
                            .collect::<Vec<_>>()
                    ),
                    "AWS/Cognito" => assert_eq!(
                        published_by_cognito(&metric).as_ref(),
                        Some(&dims),
                        "{title:?}: AWS/Cognito publishes {metric} under other dimensions"
                    ),
                    other => panic!("{title:?} reads {other}: say here what it publishes"),
                }
            }
        }
    }
    // Status, requests, failure %, sign-in failures per pool, the other failures (4), throttles
    // (4), the trail's tallies (4).
    assert_eq!(read, 16, "{text}");
}

/// The SAM CLI resolves an output's name like a `!Ref`: an output named like a parameter
/// becomes the parameter's value, and a list parameter's breaks `sam build` ("unhashable type:
/// 'list'").
#[test]
fn no_output_is_named_like_a_parameter() {
    for file in ["template.yaml", "cross-account-role.yaml"] {
        let t = template(file);
        let parameters: Vec<&str> = t["Parameters"]
            .as_mapping()
            .map(|m| m.keys().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let outputs: Vec<&str> = t["Outputs"]
            .as_mapping()
            .map(|m| m.keys().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(!outputs.is_empty(), "{file} has outputs");
        let clashing: Vec<&&str> = outputs.iter().filter(|o| parameters.contains(o)).collect();
        assert!(clashing.is_empty(), "{file}: {clashing:?}");
    }
}

/// Notification profiles' topics: the functions may publish to exactly the listed topics and
/// use exactly the listed keys, and the CLI can read the list from the stack.
#[test]
fn destination_topics_are_granted_exactly_and_named_in_an_output() {
    let t = template("template.yaml");
    assert_eq!(
        t["Parameters"]["DestinationTopicArns"]["Type"],
        "CommaDelimitedList"
    );
    let output =
        serde_yaml::to_string(&t["Outputs"]["AllowedDestinationTopicArns"]["Value"]).unwrap();
    assert!(
        output.contains("!Join") && output.contains("!Ref DestinationTopicArns"),
        "{output}"
    );
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
    )
    .unwrap();
    for sid in ["Sid: DestinationTopics", "Sid: DestinationTopicKeys"] {
        assert_eq!(text.matches(sid).count(), 3, "{sid}: one per function");
    }
    assert_eq!(
        text.matches("Resource: !Ref DestinationTopicArns").count(),
        3
    );
    assert_eq!(
        text.matches("Resource: !Ref DestinationKmsKeyArns").count(),
        3
    );
    assert_eq!(text.matches("DASHBOARD_URL: !If").count(), 3);
}
