//! The period every command that reads history takes: one syntax, one default, one rule for
//! what is in it.

use chrono::{DateTime, Utc};
use clap::Args;

use crate::error::CliError;

/// Every command's default period.
pub const DEFAULT_SINCE: &str = "24h";

/// `--since`, as every command that reads history takes it.
#[derive(Debug, Clone, Args)]
pub struct Since {
    /// How far back: 90s, 30m, 24h, 7d, 2w or 1y (365 days); at most ten years. Default 24h,
    /// for every command. Something is in the period when any part of it is: a poll whose
    /// window ends in it, a tally window that overlaps it, an outage open at any time in it,
    /// a detection of a window that overlaps it.
    #[arg(long = "since", value_name = "PERIOD", default_value = DEFAULT_SINCE, value_parser = Period::parse)]
    pub period: Period,
}

/// A period back from now.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// As the user wrote it: `24h`.
    pub text: String,
    pub length: chrono::Duration,
}

impl Period {
    pub fn parse(text: &str) -> Result<Period, String> {
        let length = cognito_watch_core::trail::parse_period(text)?;
        Ok(Period {
            text: text.trim().to_string(),
            length,
        })
    }

    /// When the period starts, counted back from `now`.
    pub fn start(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, CliError> {
        now.checked_sub_signed(self.length).ok_or_else(|| {
            CliError::Usage(format!("--since {}: reaches before the year 0", self.text))
        })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
