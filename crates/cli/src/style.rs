//! How output looks: the terminal's width and colour, the tables' time and duration formats,
//! sparklines, and CSV text a spreadsheet opens safely.

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::env::Env;
use crate::error::CliError;

/// How tables look on this output: how wide they may be, and whether statuses are coloured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Style {
    /// `COLUMNS` when set; otherwise the terminal's width (comfy-table asks it), or no limit
    /// when the output is not a terminal.
    pub width: Option<u16>,
    /// Statuses in colour: the output is a terminal (`COGNITO_WATCH_TTY`, set by the binary)
    /// and `NO_COLOR` is not set.
    pub colour: bool,
}

impl Style {
    pub fn of(env: &Env) -> Style {
        Style {
            width: env
                .get("COLUMNS")
                .and_then(|c| c.trim().parse().ok())
                .filter(|w| *w >= 20),
            colour: env.get("COGNITO_WATCH_TTY").as_deref() == Some("1")
                && env.get("NO_COLOR").is_none(),
        }
    }

    /// A table with this look and `header`.
    pub fn table<I: Into<comfy_table::Cell>>(&self, header: impl IntoIterator<Item = I>) -> Table {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        let header: Vec<comfy_table::Cell> = header.into_iter().map(Into::into).collect();
        if !header.is_empty() {
            table.set_header(header);
        }
        if let Some(w) = self.width {
            table.set_width(w);
        }
        if !self.colour {
            table.force_no_tty();
        }
        table
    }

    /// A status word, coloured by how bad it is when colour is on.
    pub fn status_cell(&self, text: &str) -> comfy_table::Cell {
        use comfy_table::Color;
        let cell = comfy_table::Cell::new(text);
        if !self.colour {
            return cell;
        }
        let word = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        match word.as_str() {
            "up" | "ok" | "pass" => cell.fg(Color::Green),
            "trouble" | "stale" | "warn" | "unknown" => cell.fg(Color::Yellow),
            "critical" | "down" | "deleted" | "fail" => cell.fg(Color::Red),
            _ => cell,
        }
    }
}

/// CSV text: a header, then the rows. A text cell a spreadsheet would evaluate as a formula
/// (one beginning with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's CSV injection
/// rule, CWE-1236) is written behind a single quote, so it opens as the text it is; a number,
/// negative or signed, is written as it is, and so is a lone `-` (the pool of clients not yet
/// inventoried), which no spreadsheet evaluates. Every CSV the CLI writes goes through here.
pub fn csv_text<S: AsRef<str>>(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<S>>,
) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = CliError::output::<csv::Error>;
    w.write_record(header.iter().map(|h| neutralised(h).into_owned()))
        .map_err(io)?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralised(c.as_ref()).into_owned()))
            .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::output(e.into_error()))?;
    String::from_utf8(bytes).map_err(CliError::output)
}

/// A cell as a spreadsheet may safely read it (see [`csv_text`]).
fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && cell != "-"
        && !cell.parse::<f64>().is_ok_and(f64::is_finite);
    if formula {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The bars of a sparkline, lowest to highest.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of `values` (None: no data, a blank), at most `width` characters: when there
/// are more values, each character stands for a run of them and shows the run's highest.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    let width = width.max(1);
    let per = values.len().div_ceil(width).max(1);
    let runs: Vec<Option<f64>> = values
        .chunks(per)
        .map(|run| run.iter().flatten().copied().reduce(f64::max))
        .collect();
    let known: Vec<f64> = runs.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    runs.iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[BARS.len() / 2],
            Some(v) => {
                let step = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
                BARS[step.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The cells of CSV text, as a spreadsheet's importer reads them.
    fn cells(text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    fn emitted_csv(rows: Vec<Vec<String>>) -> String {
        csv_text(&["name", "value"], rows).unwrap()
    }

    /// A cell a spreadsheet would read as a formula (OWASP's list: `=`, `+`, `-`, `@`, tab,
    /// carriage return), other than a number.
    fn formula(cell: &str) -> bool {
        cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && cell != "-"
            && !cell.parse::<f64>().is_ok_and(f64::is_finite)
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_evaluate_are_neutralised_and_numbers_kept() {
        let rows = vec![
            vec![
                "=HYPERLINK(\"http://x\",\"y\")".to_string(),
                "-2.5".to_string(),
            ],
            vec!["+shop".to_string(), "@SUM(A1)".to_string()],
            vec!["-admin".to_string(), "\tweb".to_string()],
            vec!["shop".to_string(), "+1".to_string()],
            vec!["-".to_string(), "-0.0".to_string()],
        ];
        let read = cells(&emitted_csv(rows));
        assert_eq!(
            read[1..],
            [
                vec!["'=HYPERLINK(\"http://x\",\"y\")", "-2.5"],
                vec!["'+shop", "'@SUM(A1)"],
                vec!["'-admin", "'\tweb"],
                vec!["shop", "+1"],
                vec!["-", "-0.0"],
            ]
        );
    }

    proptest! {
        #[test]
        fn no_csv_cell_reads_as_a_formula(names in proptest::collection::vec("[=+@\t\r-]?[ -~]{0,12}", 1..8)) {
            let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone(), n.clone()]).collect();
            let read = cells(&emitted_csv(rows));
            for (row, name) in read[1..].iter().zip(&names) {
                for cell in row {
                    prop_assert!(!formula(cell), "{cell:?}");
                    // Nothing else changes: the text is the name, or the name behind one quote.
                    prop_assert!(cell == name || cell.strip_prefix('\'') == Some(name.as_str()), "{cell:?} {name:?}");
                }
            }
        }
    }

    #[test]
    fn a_sparkline_scales_from_lowest_to_highest_and_leaves_gaps_blank() {
        let v = [Some(0.0), Some(5.0), None, Some(10.0)];
        assert_eq!(sparkline(&v, 10), "▁▅ █");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)], 10), "▅▅", "flat");
        // Eight values in four characters: each shows its pair's highest.
        let v: Vec<Option<f64>> = (0..8).map(|i| Some(f64::from(i))).collect();
        assert_eq!(sparkline(&v, 4), "▁▃▆█");
        assert_eq!(sparkline(&[], 4), "");
    }
}

/// The one time format of tables: `2026-11-21 10:05` (UTC; JSON keeps RFC 3339).
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A duration as people read it: `45s`, `12m`, `2h05m`, `3d04h`.
pub fn duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        let d = chrono::Duration::seconds;
        assert_eq!(duration(d(45)), "45s");
        assert_eq!(duration(d(12 * 60 + 5)), "12m");
        assert_eq!(duration(d(2 * 3600 + 5 * 60)), "2h05m");
        assert_eq!(duration(d(3 * 86_400 + 4 * 3600)), "3d04h");
    }
}
