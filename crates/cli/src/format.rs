//! How a list is printed: `-o table|wide|json|csv`, or a command's own `--json` / `--csv`.

use clap::ValueEnum;

/// How a list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table as wide as the terminal.
    Table,
    /// A table with every field.
    Wide,
    /// A JSON list: a row an object, its fields the keys.
    Json,
    /// CSV: a header of the fields, then a line per row.
    Csv,
}

impl Format {
    /// The format asked for with `-o`, else the one a command's own `--json` / `--csv` flag
    /// names, else a table.
    pub fn of(output: Option<Format>, json: bool, csv: bool) -> Format {
        match (output, json, csv) {
            (Some(f), _, _) => f,
            (None, true, _) => Format::Json,
            (None, _, true) => Format::Csv,
            _ => Format::Table,
        }
    }
}
