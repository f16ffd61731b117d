//! How bad something is: shared by the threshold profiles (a breach's severity) and the
//! security detections.

use serde::{Deserialize, Serialize};

/// How bad a breach is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look: the monitor is in trouble.
    Trouble,
    /// Act now.
    Critical,
}

impl Severity {
    /// The word alerts, tables and message attributes use.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Trouble => "trouble",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
