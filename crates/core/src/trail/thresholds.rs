//! The security detections' thresholds, per 5-minute window (stored with the threshold
//! profiles, in the `[detections]` table of the profile document).

use serde::{Deserialize, Serialize};

/// A detection threshold that cannot be used, and why.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("detections: {0}")]
pub struct InvalidThreshold(pub String);

/// Detection thresholds, per 5-minute window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionThresholds {
    /// Brute force: failures from one IP.
    pub brute_force_failures: u64,
    /// Account enumeration: UserNotFoundException from one IP.
    pub enumeration_user_not_found: u64,
    /// Credential stuffing: distinct subs failing from one IP.
    pub stuffing_distinct_subs: usize,
    /// Credential stuffing, pool-wide: failure rate (percent) over at least `pool_min_attempts`.
    pub pool_failure_rate_percent: f64,
    /// The sign-in attempts a pool needs in a window for its failure rate to be judged.
    pub pool_min_attempts: u64,
    /// M2M: client_credentials token requests of one client above this cap...
    pub m2m_cap: u64,
    /// ...or above this multiple of its trailing baseline (when the baseline is at least
    /// `m2m_min_baseline` per window).
    pub m2m_multiple: f64,
    /// The baseline (requests per window) below which the multiple is not judged.
    pub m2m_min_baseline: f64,
    /// Password reset abuse: ForgotPassword requests from one IP...
    pub reset_ip_requests: u64,
    /// ...or a pool's ForgotPassword requests above this multiple of its trailing baseline
    /// (when the baseline is at least `reset_min_baseline` per window).
    pub reset_multiple: f64,
    /// The baseline (requests per window) below which the multiple is not judged.
    pub reset_min_baseline: f64,
    /// Callback mismatch: OAuth endpoint requests of one client refused for their redirect.
    pub callback_mismatches: u64,
    /// Identity pool enumeration: distinct identity pools one address calls GetId or
    /// GetCredentialsForIdentity on (at least this many; 2 or more).
    pub identity_pools_per_source: usize,
}

impl Default for DetectionThresholds {
    fn default() -> Self {
        DetectionThresholds {
            brute_force_failures: 50,
            enumeration_user_not_found: 20,
            stuffing_distinct_subs: 10,
            pool_failure_rate_percent: 50.0,
            pool_min_attempts: 100,
            m2m_cap: 5000,
            m2m_multiple: 5.0,
            m2m_min_baseline: 10.0,
            reset_ip_requests: 20,
            reset_multiple: 5.0,
            reset_min_baseline: 5.0,
            callback_mismatches: 20,
            identity_pools_per_source: 3,
        }
    }
}

impl DetectionThresholds {
    /// Checks each threshold is in its range.
    pub fn validate(&self) -> Result<(), InvalidThreshold> {
        let bad = |what: &str| Err(InvalidThreshold(format!("detections: {what}")));
        if !(0.0..=100.0).contains(&self.pool_failure_rate_percent) {
            return bad("pool_failure_rate_percent must be between 0 and 100");
        }
        if !(self.m2m_multiple.is_finite() && self.m2m_multiple > 1.0) {
            return bad("m2m_multiple must be greater than 1");
        }
        if !(self.m2m_min_baseline.is_finite() && self.m2m_min_baseline >= 0.0) {
            return bad("m2m_min_baseline must be 0 or more");
        }
        if !(self.reset_multiple.is_finite() && self.reset_multiple > 1.0) {
            return bad("reset_multiple must be greater than 1");
        }
        if !(self.reset_min_baseline.is_finite() && self.reset_min_baseline >= 0.0) {
            return bad("reset_min_baseline must be 0 or more");
        }
        if self.identity_pools_per_source < 2 {
            return bad("identity_pools_per_source must be 2 or more");
        }
        Ok(())
    }

    /// Set one threshold by its name (the CLI).
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), InvalidThreshold> {
        let whole = || {
            if value >= 0.0 && value.fract() == 0.0 {
                Ok(value as u64)
            } else {
                Err(InvalidThreshold(format!("{name} must be a whole number")))
            }
        };
        match name {
            "brute_force_failures" => self.brute_force_failures = whole()?,
            "enumeration_user_not_found" => self.enumeration_user_not_found = whole()?,
            "stuffing_distinct_subs" => self.stuffing_distinct_subs = whole()? as usize,
            "pool_failure_rate_percent" => self.pool_failure_rate_percent = value,
            "pool_min_attempts" => self.pool_min_attempts = whole()?,
            "m2m_cap" => self.m2m_cap = whole()?,
            "m2m_multiple" => self.m2m_multiple = value,
            "m2m_min_baseline" => self.m2m_min_baseline = value,
            "reset_ip_requests" => self.reset_ip_requests = whole()?,
            "reset_multiple" => self.reset_multiple = value,
            "reset_min_baseline" => self.reset_min_baseline = value,
            "callback_mismatches" => self.callback_mismatches = whole()?,
            "identity_pools_per_source" => self.identity_pools_per_source = whole()? as usize,
            other => {
                return Err(InvalidThreshold(format!(
                    "no detection threshold {other:?}; known: brute_force_failures, enumeration_user_not_found, stuffing_distinct_subs, pool_failure_rate_percent, pool_min_attempts, m2m_cap, m2m_multiple, m2m_min_baseline, reset_ip_requests, reset_multiple, reset_min_baseline, callback_mismatches, identity_pools_per_source"
                )))
            }
        }
        self.validate()
    }
}
