//! What several test modules share.

use chrono::{DateTime, Duration, DurationRound, Utc};

/// The start of this minute.
pub(crate) fn minute() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|e| panic!("{e}"))
}
