//! A listing: rows of typed cells under named fields. Every list the CLI prints is one, so its
//! table, CSV and JSON are the same rows with the same fields:
//!
//! - CSV's header and JSON's keys are the field names; a named field (a pool
//!   or app client id with its inventory name) is two, `<field>` (the id) and `<field>_name`.
//! - `-o wide` shows every field under its title (a named field as `name (id)` in one column);
//!   `-o table` shows the fields marked `compact`, so it fits a terminal.
//! - Times are UTC to the second: `2026-12-06 09:43:41` in CSV (a spreadsheet reads it as a
//!   date), RFC 3339 in JSON, to the minute in a table.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cognito_watch_core::inventory::record::format_value;
use serde_json::{json, Map, Value};

use crate::error::CliError;
use crate::format::Format;
use crate::style::{csv_text, sparkline, Style};

/// One field of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The CSV header and the JSON key.
    pub name: String,
    /// The table's column title.
    pub title: String,
    /// Shown in the compact table (`-o table`); `-o wide` shows every field.
    pub compact: bool,
    /// An id with a name beside it: `<name>` and `<name>_name` in CSV and JSON.
    pub named: bool,
    /// In the compact table, one of the lines `title: value` (where it has a value) of the
    /// column so titled (the Log Report's metrics).
    pub fold: Option<String>,
}

impl Field {
    pub fn new(name: impl Into<String>, title: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            title: title.into(),
            compact: true,
            named: false,
            fold: None,
        }
    }

    /// Only in `-o wide` (and CSV and JSON).
    pub fn wide(mut self) -> Field {
        self.compact = false;
        self
    }

    /// In the compact table, a line of the column `column` (see [`Field::fold`]).
    pub fn folded(mut self, column: &str) -> Field {
        self.fold = Some(column.to_string());
        self
    }

    /// An id with its name (see [`Cell::Named`]).
    pub fn named(mut self) -> Field {
        self.named = true;
        self
    }

    /// The CSV columns and JSON keys this field is.
    fn columns(&self) -> Vec<String> {
        if self.named {
            vec![self.name.clone(), format!("{}_name", self.name)]
        } else {
            vec![self.name.clone()]
        }
    }
}

/// Values over time: (when, the value or none for no data).
pub type Points = Vec<(DateTime<Utc>, Option<f64>)>;

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A status word, coloured in a table.
    Status(String),
    /// Text indented under its parent in a table (`└ web`); the text alone elsewhere.
    Child {
        text: String,
        depth: usize,
    },
    /// An id with its inventory name, when known: `shop (us-east-1_AbC)` in a table.
    Named {
        id: String,
        name: Option<String>,
    },
    Count(u64),
    /// A measured value (none: no data, `-` in a table, empty in CSV, null in JSON).
    Number(Option<f64>),
    /// A share in percent, one decimal (none: nothing to divide by).
    Percent(Option<f64>),
    Time(Option<DateTime<Utc>>),
    /// When something ended; none: it has not (`open` in a table).
    Until(Option<DateTime<Utc>>),
    /// A duration: `2h05m` in a table, whole seconds in CSV and JSON.
    Seconds(u64),
    /// Counts by name (error codes, grant types): the three largest in a table.
    Tally(BTreeMap<String, u64>),
    /// Several lines of text (reasons, facts): one per line in a table, `; ` between in CSV.
    List(Vec<String>),
    /// Values over time: a sparkline in a table, the values in CSV, `{at, value}` in JSON.
    Trend(Points),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn named(id: impl Into<String>, names: &std::collections::HashMap<String, String>) -> Cell {
        let id = id.into();
        Cell::Named {
            name: names.get(&id).cloned(),
            id,
        }
    }

    /// The share `part` of `whole` in percent.
    pub fn percent(part: u64, whole: u64) -> Cell {
        Cell::Percent((whole > 0).then(|| 100.0 * part as f64 / whole as f64))
    }

    /// No value: no data, no text.
    fn is_empty(&self) -> bool {
        match self {
            Cell::Text(s) => s.is_empty(),
            Cell::Number(v) | Cell::Percent(v) => v.is_none(),
            Cell::Time(t) => t.is_none(),
            Cell::List(l) => l.is_empty(),
            _ => false,
        }
    }

    fn table_text(&self, trend_width: usize) -> String {
        match self {
            Cell::Text(s) | Cell::Status(s) => s.clone(),
            Cell::Child { text, depth: 0 } => text.clone(),
            Cell::Child { text, .. } => format!("└ {text}"),
            Cell::Named { id, name: Some(n) } if n != id => format!("{n} ({id})"),
            Cell::Named { id, .. } => id.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(v) => v.map_or_else(|| "-".into(), format_value),
            Cell::Percent(v) => v.map_or_else(|| "-".into(), |v| format!("{v:.1}")),
            Cell::Time(t) => t.map_or_else(|| "-".into(), crate::style::when),
            Cell::Until(t) => t.map_or_else(|| "open".into(), crate::style::when),
            Cell::Seconds(s) => {
                let s = i64::try_from(*s).unwrap_or(i64::MAX);
                crate::style::duration(
                    chrono::Duration::try_seconds(s).unwrap_or(chrono::Duration::MAX),
                )
            }
            Cell::Tally(by) => {
                let mut v: Vec<(&String, &u64)> = by.iter().collect();
                v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                let mut text: Vec<String> =
                    v.iter().take(3).map(|(k, n)| format!("{k} ×{n}")).collect();
                if v.len() > 3 {
                    text.push(format!("+{} more", v.len() - 3));
                }
                text.join(", ")
            }
            Cell::List(lines) => lines.join("\n"),
            Cell::Trend(points) => {
                let values: Vec<Option<f64>> = points.iter().map(|(_, v)| *v).collect();
                sparkline(&values, trend_width)
            }
        }
    }

    /// The CSV cells (two for a named field).
    fn csv_cells(&self, named: bool) -> Vec<String> {
        let one = match self {
            Cell::Named { id, name } if named => {
                return vec![id.clone(), name.clone().unwrap_or_default()]
            }
            Cell::Named { id, .. } => id.clone(),
            Cell::Text(s) | Cell::Status(s) | Cell::Child { text: s, .. } => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(v) => v.map(format_value).unwrap_or_default(),
            Cell::Percent(v) => v.map(|v| format!("{v:.1}")).unwrap_or_default(),
            Cell::Seconds(s) => s.to_string(),
            Cell::Time(t) | Cell::Until(t) => t
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            Cell::Tally(by) => by
                .iter()
                .map(|(k, n)| format!("{k}={n}"))
                .collect::<Vec<_>>()
                .join("; "),
            Cell::List(lines) => lines.join("; "),
            Cell::Trend(points) => points
                .iter()
                .map(|(_, v)| v.map(format_value).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" "),
        };
        if named {
            vec![one, String::new()]
        } else {
            vec![one]
        }
    }

    /// The JSON values (two for a named field).
    fn json_values(&self, named: bool) -> Vec<Value> {
        let time =
            |t: &DateTime<Utc>| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let one = match self {
            Cell::Named { id, name } if named => {
                return vec![json!(id), name.as_ref().map_or(Value::Null, |n| json!(n))]
            }
            Cell::Named { id, .. } => json!(id),
            Cell::Text(s) | Cell::Status(s) | Cell::Child { text: s, .. } => json!(s),
            Cell::Count(n) => json!(n),
            Cell::Number(v) | Cell::Percent(v) => v
                .filter(|v| v.is_finite())
                .map_or(Value::Null, |v| json!(v)),
            Cell::Seconds(s) => json!(s),
            Cell::Time(t) | Cell::Until(t) => t.as_ref().map_or(Value::Null, time),
            Cell::Tally(by) => json!(by),
            Cell::List(lines) => json!(lines),
            Cell::Trend(points) => Value::Array(
                points
                    .iter()
                    .map(|(at, v)| json!({"at": time(at), "value": v}))
                    .collect(),
            ),
        };
        if named {
            vec![one, Value::Null]
        } else {
            vec![one]
        }
    }
}

/// Rows under fields, and what a table says when there are none.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub fields: Vec<Field>,
    pub rows: Vec<Vec<Cell>>,
    /// A compact table starts a titled group where this field's value changes (the status
    /// tree's account and region); the field itself is then not repeated in the rows.
    pub group_by: Option<Vec<usize>>,
}

impl Listing {
    pub fn new(fields: Vec<Field>) -> Listing {
        Listing {
            fields,
            rows: Vec::new(),
            group_by: None,
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The CSV header and JSON keys, in order.
    pub fn columns(&self) -> Vec<String> {
        self.fields.iter().flat_map(Field::columns).collect()
    }

    pub fn csv(&self) -> Result<String, CliError> {
        let header = self.columns();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        csv_text(
            &header,
            self.rows.iter().map(|row| {
                self.fields
                    .iter()
                    .zip(row)
                    .flat_map(|(f, c)| c.csv_cells(f.named))
                    .collect::<Vec<String>>()
            }),
        )
    }

    pub fn json(&self) -> Vec<Value> {
        let columns = self.columns();
        self.rows
            .iter()
            .map(|row| {
                let values = self
                    .fields
                    .iter()
                    .zip(row)
                    .flat_map(|(f, c)| c.json_values(f.named));
                Value::Object(columns.iter().cloned().zip(values).collect::<Map<_, _>>())
            })
            .collect()
    }

    pub fn table(&self, style: &Style, wide: bool) -> String {
        let trend_width = style
            .width
            .map_or(24, |w| (usize::from(w) / 5).clamp(8, 48));
        let grouped = if wide { None } else { self.group_by.as_ref() };
        let shown: Vec<usize> = (0..self.fields.len())
            .filter(|i| wide || self.fields[*i].compact)
            .filter(|i| grouped.is_none_or(|g| !g.contains(i)))
            .collect();
        // The table's columns: a field each, but in the compact table one per fold.
        let fold = |i: usize| self.fields[i].fold.as_deref().filter(|_| !wide);
        let mut columns: Vec<Vec<usize>> = Vec::new();
        for i in shown {
            match columns
                .iter_mut()
                .find(|c| fold(i).is_some() && fold(c[0]) == fold(i))
            {
                Some(column) => column.push(i),
                None => columns.push(vec![i]),
            }
        }
        let mut table = style.table(
            columns
                .iter()
                .map(|c| fold(c[0]).unwrap_or(&self.fields[c[0]].title).to_string()),
        );
        let mut group: Option<Vec<String>> = None;
        for row in &self.rows {
            if let Some(g) = grouped {
                let here: Vec<String> = g
                    .iter()
                    .filter_map(|i| row.get(*i))
                    .map(|c| c.table_text(trend_width))
                    .collect();
                if group.as_ref() != Some(&here) {
                    table.add_row([here.join(" / ")]);
                    group = Some(here);
                }
            }
            table.add_row(columns.iter().map(|c| {
                match (fold(c[0]), row.get(c[0])) {
                    (None, Some(Cell::Status(s))) => style.status_cell(s),
                    (None, cell) => comfy_table::Cell::new(
                        cell.map(|c| c.table_text(trend_width)).unwrap_or_default(),
                    ),
                    (Some(_), _) => comfy_table::Cell::new(
                        c.iter()
                            .filter_map(|i| Some((&self.fields[*i], row.get(*i)?)))
                            .filter(|(_, cell)| !cell.is_empty())
                            .map(|(f, cell)| {
                                format!("{}: {}", f.title, cell.table_text(trend_width))
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                }
            }));
        }
        table.to_string()
    }

    /// The listing in `format`; a table says `empty` when there are no rows.
    pub fn emit(
        &self,
        out: &mut dyn std::io::Write,
        format: Format,
        style: &Style,
        empty: &str,
    ) -> Result<(), CliError> {
        let text = match format {
            Format::Json => serde_json::to_string_pretty(&self.json()).map_err(CliError::output)?,
            Format::Csv => return write!(out, "{}", self.csv()?).map_err(CliError::output),
            Format::Table | Format::Wide if self.rows.is_empty() => empty.to_string(),
            Format::Table => self.table(style, false),
            Format::Wide => self.table(style, true),
        };
        writeln!(out, "{text}").map_err(CliError::output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Listing {
        let mut l = Listing::new(vec![
            Field::new("pool", "Pool").named(),
            Field::new("failures", "Failures"),
            Field::new("by_error", "Error codes").wide(),
            Field::new("at", "At"),
        ]);
        let at = DateTime::parse_from_rfc3339("2026-12-06T09:43:41.987278520Z")
            .unwrap()
            .with_timezone(&Utc);
        l.push(vec![
            Cell::Named {
                id: "us-east-1_AbC".into(),
                name: Some("shop".into()),
            },
            Cell::Count(7),
            Cell::Tally([("NotAuthorizedException".to_string(), 7)].into()),
            Cell::Time(Some(at)),
        ]);
        l
    }

    #[test]
    fn csv_header_and_json_keys_are_the_same_fields_in_the_same_order() {
        let l = sample();
        let csv = l.csv().unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        assert_eq!(header, ["pool", "pool_name", "failures", "by_error", "at"]);
        let json = l.json();
        let mut keys: Vec<&str> = json[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut fields = header.clone();
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
        assert_eq!(json[0]["failures"], 7);
        assert_eq!(json[0]["pool_name"], "shop");
        assert_eq!(json[0]["at"], "2026-12-06T09:43:41Z");
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "us-east-1_AbC,shop,7,NotAuthorizedException=7,2026-12-06 09:43:41"
        );
    }

    #[test]
    fn the_wide_table_shows_every_field_and_the_compact_one_those_marked() {
        let l = sample();
        let style = Style::default();
        let wide = l.table(&style, true);
        assert!(wide.contains("Error codes") && wide.contains("shop (us-east-1_AbC)"));
        let compact = l.table(&style, false);
        assert!(!compact.contains("Error codes") && compact.contains("Failures"));
    }
}
