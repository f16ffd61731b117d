//! `describe`: one monitor the way its console tabs show it — its configuration, permissions
//! and mappings, users' attributes, an identity pool's providers, roles and identities, where
//! it sits in the inventory (type, account, region, threshold profile, alert routing), its
//! posture checks, its latest metrics and its recent outages.

use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

use crate::commands::posture::{rows as posture_rows, PostureRow};
use crate::env::Env;
use crate::format::Format;
use crate::lookup::{find_monitor, status_store};
use crate::style;
use cognito_watch_core::alerting::availability::{percent_text, Durations};
use std::collections::BTreeMap;

use cognito_watch_core::alerting::status::Outage;
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{IdentityPoolDetails, Monitor, MonitorDetails};
use cognito_watch_core::inventory::record::format_value;
use serde_json::Value;

use crate::error::CliError;
use crate::style::{duration, when, Style};

/// A value as one line of text: lists joined, maps as `key=value`, nothing for null.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// A field name as a label: `read_attributes` → `Read attributes`.
fn label(field: &str) -> String {
    let mut s = field.replace('_', " ");
    if let Some(first) = s.get(..1) {
        s.replace_range(..1, &first.to_uppercase());
    }
    s
}

/// What `describe` shows, section by section: (title, header, rows).
pub type Section = (String, Vec<String>, Vec<Vec<String>>);

/// A census (of users, of identities) as a section of label / value rows.
fn census_section(title: &str, census: Value) -> Section {
    let rows = census
        .as_object()
        .map(|o| o.iter().map(|(k, v)| vec![label(k), text(v)]).collect())
        .unwrap_or_default();
    (title.to_string(), vec![String::new(), String::new()], rows)
}

/// The sections of one monitor's description; `posture` holds the checks judged on it (a
/// user pool, app client or identity pool).
pub fn sections(
    m: &Monitor,
    (profile, routing): (Option<&str>, Option<&str>),
    posture: &[PostureRow],
    (outages, availability): (&[Outage], &[Availability]),
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Section> {
    let mut out = vec![configuration(m)];
    out.extend(kind_sections(m));
    if !posture.is_empty() {
        out.push(posture_section(posture));
    }
    out.push(inventory(m, profile, routing));
    out.push(metrics(m));
    out.push(availability_section(availability));
    out.push(recent_outages(outages, now));
    out
}

/// The monitor's availability over one period: the period as written (`24h`), its durations
/// (for a pool: rolled up with its children) and its status changes.
pub type Availability = (String, Durations, usize);

/// Availability over the last day, week and month (`cognito-watch availability` for any
/// period; a pool's rolled up with its children).
fn availability_section(rows: &[Availability]) -> Section {
    let secs = |s: i64| duration(chrono::Duration::seconds(s.max(0)));
    (
        "Availability".to_string(),
        [
            "Period",
            "Up %",
            "Up",
            "Trouble",
            "Critical",
            "Down",
            "No record",
            "Changes",
        ]
        .map(String::from)
        .to_vec(),
        rows.iter()
            .map(|(period, d, changes)| {
                vec![
                    period.clone(),
                    percent_text(d),
                    secs(d.up),
                    secs(d.trouble),
                    secs(d.critical),
                    secs(d.down),
                    secs(d.unknown),
                    changes.to_string(),
                ]
            })
            .collect(),
    )
}

/// Posture: each check on the monitor, its result, severity, what was found and its override
/// (`cognito-watch posture` lists the estate).
fn posture_section(rows: &[PostureRow]) -> Section {
    (
        "Posture".to_string(),
        ["Check", "Result", "Severity", "Why", "Override"]
            .map(String::from)
            .to_vec(),
        rows.iter()
            .map(|r| {
                vec![
                    r.check.to_string(),
                    r.result.to_string(),
                    r.severity.clone(),
                    r.why.clone(),
                    r.by.clone(),
                ]
            })
            .collect(),
    )
}

/// Configuration: every scalar and list of the details, as read from Cognito.
fn configuration(m: &Monitor) -> Section {
    let details = serde_json::to_value(&m.details).unwrap_or_default();
    // Externally tagged (`{"AppClient": {...}}`) or internally (`{"type": ..., ...}`).
    let object = details.as_object().cloned().unwrap_or_default();
    let fields = match object.values().next() {
        Some(Value::Object(inner)) if object.len() == 1 => inner.clone(),
        _ => object,
    };
    let skip = [
        "type",
        "read_attributes",
        "write_attributes",
        "attribute_mapping",
        "attributes",
        "supported_login_providers",
        "cognito_identity_providers",
        "open_id_connect_provider_arns",
        "saml_provider_arns",
        "roles",
        "role_mappings",
        "identity_census",
        "user_census",
    ];
    let config: Vec<Vec<String>> = fields
        .iter()
        .filter(|(k, v)| !skip.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| vec![label(k), text(v)])
        .collect();
    (
        "Configuration".to_string(),
        vec!["Setting".into(), "Value".into()],
        config,
    )
}

/// What only this kind of resource has: an app client's attribute permissions, a provider's
/// attribute mapping, a user's attributes, an identity pool's providers and roles, a census.
fn kind_sections(m: &Monitor) -> Vec<Section> {
    let mut out = Vec::new();
    match &m.details {
        MonitorDetails::AppClient(c) => {
            let mut attributes: Vec<&String> = c
                .read_attributes
                .iter()
                .chain(&c.write_attributes)
                .collect();
            attributes.sort();
            attributes.dedup();
            let yes = |b: bool| if b { "yes" } else { "" }.to_string();
            out.push((
                "Permissions".into(),
                vec!["Attribute".into(), "Read".into(), "Write".into()],
                attributes
                    .into_iter()
                    .map(|a| {
                        vec![
                            a.clone(),
                            yes(c.read_attributes.contains(a)),
                            yes(c.write_attributes.contains(a)),
                        ]
                    })
                    .collect(),
            ));
        }
        MonitorDetails::IdentityProvider(p) => out.push((
            "Attribute Mapping".into(),
            vec!["User pool attribute".into(), "Provider attribute".into()],
            p.attribute_mapping
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()])
                .collect(),
        )),
        MonitorDetails::User(u) => out.push((
            "User Attributes".into(),
            vec!["Attribute".into(), "Value".into(), "Verified".into()],
            u.attributes
                .iter()
                .map(|a| {
                    vec![
                        a.name.clone(),
                        a.value.clone(),
                        a.verified.map(|v| v.to_string()).unwrap_or_default(),
                    ]
                })
                .collect(),
        )),
        MonitorDetails::IdentityPool(p) => out.extend(identity_pool(p)),
        MonitorDetails::UserPool(p) => {
            if let Some(census) = &p.user_census {
                out.push(census_section(
                    "Users",
                    serde_json::to_value(census).unwrap_or_default(),
                ));
            }
        }
    }
    out
}

/// An identity pool's providers, its roles and rules, and its census of identities.
fn identity_pool(p: &IdentityPoolDetails) -> Vec<Section> {
    let mut out = Vec::new();
    let mut providers: Vec<Vec<String>> = p
        .supported_login_providers
        .iter()
        .map(|(k, v)| vec!["social".into(), k.clone(), v.clone()])
        .collect();
    providers.extend(p.cognito_identity_providers.iter().map(|c| {
        let v = serde_json::to_value(c).unwrap_or_default();
        vec!["user pool".into(), text(&v), String::new()]
    }));
    providers.extend(
        p.open_id_connect_provider_arns
            .iter()
            .map(|a| vec!["OpenID Connect".into(), a.clone(), String::new()]),
    );
    providers.extend(
        p.saml_provider_arns
            .iter()
            .map(|a| vec!["SAML".into(), a.clone(), String::new()]),
    );
    out.push((
        "Identity Providers".into(),
        vec!["Kind".into(), "Provider".into(), "App id".into()],
        providers,
    ));
    let mut roles: Vec<Vec<String>> = p
        .roles
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    if let Some(rules) = &p.role_mappings {
        roles.push(vec!["rules".into(), rules.clone()]);
    }
    out.push((
        "Roles and Rules".into(),
        vec!["Role".into(), "ARN / rules".into()],
        roles,
    ));
    if let Some(census) = &p.identity_census {
        out.push(census_section(
            "Identities",
            serde_json::to_value(census).unwrap_or_default(),
        ));
    }
    out
}

/// Where the monitor sits: its ids, its profile and routing, its tags and its last poll.
fn inventory(m: &Monitor, profile: Option<&str>, routing: Option<&str>) -> Section {
    let pair = |k: &str, v: String| vec![k.to_string(), v];
    (
        "Inventory".into(),
        vec!["".into(), "".into()],
        vec![
            pair("Monitor id", m.monitor_id.clone()),
            pair("Type", m.kind.label().to_string()),
            pair("Account", m.account.clone()),
            pair("Region", m.region.clone()),
            pair("Parent", m.parent_id.clone().unwrap_or_else(|| "-".into())),
            pair("Threshold profile", profile.unwrap_or("-").to_string()),
            pair("Alert routing", routing.unwrap_or("-").to_string()),
            pair(
                "Tags",
                m.tags
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            pair(
                "Last poll",
                format!("{:?} at {}", m.poll.outcome, when(m.poll.at)),
            ),
        ],
    )
}

/// The last poll's value of every metric of the catalogue it has.
fn metrics(m: &Monitor) -> Section {
    (
        "Metrics".into(),
        vec!["Metric".into(), "Value".into()],
        catalogue::metrics(m.kind)
            .iter()
            .filter_map(|d| {
                m.metrics
                    .get(d.id)
                    .map(|v| vec![d.label.to_string(), format_value(*v)])
            })
            .collect(),
    )
}

/// The five latest outages, newest first.
fn recent_outages(outages: &[Outage], now: chrono::DateTime<chrono::Utc>) -> Section {
    let mut recent: Vec<&Outage> = outages.iter().collect();
    recent.sort_by_key(|o| std::cmp::Reverse(o.started_at));
    (
        "Recent outages".into(),
        vec![
            "Id".into(),
            "Start (UTC)".into(),
            "Duration".into(),
            "Worst status".into(),
            "Reason".into(),
        ],
        recent
            .into_iter()
            .take(5)
            .map(|o| {
                vec![
                    o.short_id(),
                    when(o.started_at),
                    duration(o.duration(now)),
                    o.status.to_string(),
                    o.reason.clone(),
                ]
            })
            .collect(),
    )
}

/// Every cell of the sections, one per row: the monitor, the section, the row's number in it,
/// the field (its column's header, or `value` where the section has none) and the value.
fn cells(m: &Monitor, sections: &[Section]) -> crate::listing::Listing {
    use crate::listing::{Cell, Field, Listing};
    let mut listing = Listing::new(vec![
        Field::new("monitor_id", "Monitor id"),
        Field::new("section", "Section"),
        Field::new("row", "Row"),
        Field::new("field", "Field"),
        Field::new("value", "Value"),
    ]);
    for (title, header, rows) in sections {
        for (n, r) in rows.iter().enumerate() {
            for (i, value) in r.iter().enumerate() {
                let field = header
                    .get(i)
                    .filter(|h| !h.is_empty())
                    .cloned()
                    .unwrap_or_else(|| {
                        if i == 0 {
                            "name".into()
                        } else {
                            "value".into()
                        }
                    });
                listing.push(vec![
                    Cell::text(m.monitor_id.clone()),
                    Cell::text(title.clone()),
                    Cell::Count(n as u64 + 1),
                    Cell::text(field),
                    Cell::text(value.clone()),
                ]);
            }
        }
    }
    listing
}

/// The sections as tables (an empty one says so), one JSON object, or CSV (see [`cells`]).
pub fn print(
    out: &mut dyn std::io::Write,
    format: crate::format::Format,
    style: &Style,
    m: &Monitor,
    sections: &[Section],
) -> Result<(), CliError> {
    if format == crate::format::Format::Csv {
        return write!(out, "{}", cells(m, sections).csv()?).map_err(CliError::output);
    }
    if format == crate::format::Format::Json {
        let mut doc = BTreeMap::new();
        for (title, header, rows) in sections {
            let rows: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let named = header.iter().any(|h| !h.is_empty());
                    if named {
                        Value::Object(
                            header
                                .iter()
                                .cloned()
                                .zip(r.iter().cloned().map(Value::String))
                                .collect(),
                        )
                    } else {
                        Value::Array(r.iter().cloned().map(Value::String).collect())
                    }
                })
                .collect();
            doc.insert(title.clone(), Value::Array(rows));
        }
        let text = serde_json::to_string_pretty(&doc).map_err(CliError::output)?;
        return writeln!(out, "{text}").map_err(CliError::output);
    }
    writeln!(out, "{} \"{}\"\n{}", m.kind.label(), m.name, m.monitor_id)
        .map_err(CliError::output)?;
    for (title, header, rows) in sections {
        writeln!(out, "\n{title}").map_err(CliError::output)?;
        if rows.is_empty() {
            writeln!(out, "  none").map_err(CliError::output)?;
            continue;
        }
        let mut table = if header.iter().all(String::is_empty) {
            let mut t = style.table(Vec::<String>::new());
            t.load_preset(comfy_table::presets::NOTHING);
            t
        } else {
            style.table(header.iter().cloned())
        };
        for r in rows {
            table.add_row(r.clone());
        }
        writeln!(out, "{table}").map_err(CliError::output)?;
    }
    Ok(())
}

/// `describe`: one monitor, found by id or name.
pub(crate) async fn run(
    env: &Env,
    what: &str,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let monitors = store.load_estate().await?;
    let m = find_monitor(&monitors, what)?;
    let topic = env.get("ALERT_TOPIC_ARN");
    let (profile, routing, outages, availability) = match env.get("STATUS_TABLE") {
        Some(_) => {
            let status = status_store(env, &base)?;
            let (profiles, _) = status.load_profiles().await?;
            let routing = super::notifications::routing_text(
                &profiles.notifications,
                m,
                &monitors,
                topic.as_deref(),
            );
            let pool_tags = m
                .parent_id
                .as_ref()
                .and_then(|p| monitors.iter().find(|r| &r.monitor_id == p))
                .map(|r| r.tags.clone())
                .unwrap_or_default();
            let profile = profiles.resolve(m, &pool_tags).name;
            let outages = status.outages(Some(&m.monitor_id)).await?;
            let availability = Box::pin(availability_of(env, &base, &status, &monitors, m)).await?;
            (Some(profile), Some(routing), outages, availability)
        }
        None => (
            None,
            topic.as_ref().map(|t| format!("SNS topic {t}")),
            Vec::new(),
            Vec::new(),
        ),
    };
    let settings = cognito_watch_core::config::posture_settings(&env.lookup())?;
    let overrides = Box::pin(store.posture_overrides()).await?.overrides;
    let posture: Vec<PostureRow> = posture_rows(&monitors, &settings, &overrides)
        .into_iter()
        .filter(|r| r.monitor_id == m.monitor_id)
        .collect();
    let sections = sections(
        m,
        (profile.as_deref(), routing.as_deref()),
        &posture,
        (&outages, &availability),
        chrono::Utc::now(),
    );
    print(out, format, &style::Style::of(env), m, &sections)
}

/// The monitor's availability over the last 24 hours, 7 days and 30 days (a root's rolled up
/// with its children), from its root's transitions.
async fn availability_of(
    env: &Env,
    base: &aws_config::SdkConfig,
    status: &cognito_watch_aws::StatusStore,
    estate: &[Monitor],
    m: &Monitor,
) -> Result<Vec<Availability>, CliError> {
    let root = m.parent_id.as_deref().unwrap_or(&m.monitor_id);
    let family: Vec<Monitor> = estate
        .iter()
        .filter(|c| c.monitor_id == root || c.parent_id.as_deref() == Some(root))
        .cloned()
        .collect();
    let statuses = crate::lookup::statuses_of(env, base, &family).await?;
    let now = chrono::Utc::now();
    let scope = if m.parent_id.is_none() && family.len() > 1 {
        "pool"
    } else {
        "monitor"
    };
    let mut out = Vec::new();
    for (period, days) in [("24h", 1), ("7d", 7), ("30d", 30)] {
        let start = now - chrono::Duration::days(days);
        let estate = Box::pin(crate::commands::availability::measure(
            status, &family, &statuses, start, now,
        ))
        .await?;
        if let Some(r) = estate
            .rows
            .iter()
            .find(|r| r.scope == scope && r.monitor_id.as_deref() == Some(m.monitor_id.as_str()))
        {
            out.push((period.to_string(), r.durations, r.transitions));
        }
    }
    Ok(out)
}
