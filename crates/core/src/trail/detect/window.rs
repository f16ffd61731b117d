//! The detections judged on one tally's window totals, against their thresholds and baselines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::trail::events::EventClass;
use crate::trail::record::valid_region_scope;
use crate::trail::tally::{Counts, TallyId, TallyKey};

/// Detections on one tally's window totals. `baseline` is the trailing mean per window of what
/// the detection compares ([`baseline_of`]): a client's client_credentials requests, a pool's
/// password reset requests.
pub fn detect(
    id: &TallyId,
    totals: &Counts,
    baseline: Option<f64>,
    t: &DetectionThresholds,
) -> Vec<Finding> {
    let detections = match &id.key {
        TallyKey::Ip { ip } => per_ip(ip, totals, t),
        TallyKey::Class { class } if class == EventClass::Reset.as_str() => {
            pool_reset_spike(totals, baseline, t).into_iter().collect()
        }
        TallyKey::Class { class }
            if class == EventClass::SignIn.as_str()
                && totals.attempts >= t.pool_min_attempts.max(1) =>
        {
            pool_failure_spike(totals, t).into_iter().collect()
        }
        TallyKey::Client { client_id } => per_client(client_id, totals, baseline, t),
        _ => Vec::new(),
    };
    // A per-IP tally of an account and region scope: the finding is keyed by the scope; the
    // trail names the pools the address was seen in.
    let scope = id
        .pool
        .as_deref()
        .and_then(valid_region_scope)
        .map(str::to_string);
    detections
        .into_iter()
        .map(|detection| {
            let mut f = Finding::new(id.pool.clone(), id.window, detection);
            if scope.is_some() {
                f.pool = None;
                f.scope = scope.clone();
            }
            f
        })
        .collect()
}

/// One address's window: brute force, account enumeration, credential stuffing, password reset
/// abuse and identity pool enumeration.
fn per_ip(ip: &str, totals: &Counts, t: &DetectionThresholds) -> Vec<Detection> {
    let mut out = Vec::new();
    if totals.failures > t.brute_force_failures {
        out.push(Detection::BruteForce {
            ip: ip.to_string(),
            failures: totals.failures,
            threshold: t.brute_force_failures,
        });
    }
    let not_found = totals
        .by_error
        .get("UserNotFoundException")
        .copied()
        .unwrap_or(0);
    if not_found > t.enumeration_user_not_found {
        out.push(Detection::AccountEnumeration {
            ip: ip.to_string(),
            user_not_found: not_found,
            threshold: t.enumeration_user_not_found,
        });
    }
    let distinct = totals.distinct_failing_subs();
    if distinct > t.stuffing_distinct_subs {
        out.push(Detection::CredentialStuffing {
            ip: ip.to_string(),
            distinct_subs: distinct,
            threshold: t.stuffing_distinct_subs,
        });
    }
    if totals.password_resets > t.reset_ip_requests {
        out.push(Detection::PasswordResetAbuse {
            ip: Some(ip.to_string()),
            requests: totals.password_resets,
            baseline: None,
            threshold: t.reset_ip_requests,
            multiple: t.reset_multiple,
        });
    }
    let identity_pools = totals.distinct_identity_pools();
    if !totals.identity_pools.is_empty() && identity_pools >= t.identity_pools_per_source {
        out.push(Detection::IdentityPoolEnumeration {
            source: ip.to_string(),
            how: Enumeration::GuestCalls {
                identity_pools,
                requests: totals.requests,
                failures: totals.failures,
                threshold: t.identity_pools_per_source,
            },
        });
    }
    out
}

/// A pool's password reset requests against a multiple of their baseline.
fn pool_reset_spike(
    totals: &Counts,
    baseline: Option<f64>,
    t: &DetectionThresholds,
) -> Option<Detection> {
    let base = baseline.unwrap_or(0.0);
    let requests = totals.password_resets;
    (base >= t.reset_min_baseline && requests as f64 > t.reset_multiple * base).then_some({
        Detection::PasswordResetAbuse {
            ip: None,
            requests,
            baseline: Some(base),
            threshold: t.reset_ip_requests,
            multiple: t.reset_multiple,
        }
    })
}

/// A pool's sign-in failure rate over its window's attempts.
fn pool_failure_spike(totals: &Counts, t: &DetectionThresholds) -> Option<Detection> {
    let rate = 100.0 * totals.failures as f64 / totals.attempts as f64;
    (rate > t.pool_failure_rate_percent).then_some(Detection::PoolFailureSpike {
        attempts: totals.attempts,
        failures: totals.failures,
        rate_percent: rate,
        threshold_percent: t.pool_failure_rate_percent,
    })
}

/// One app client's window: refused redirects and machine-to-machine token requests.
fn per_client(
    client_id: &str,
    totals: &Counts,
    baseline: Option<f64>,
    t: &DetectionThresholds,
) -> Vec<Detection> {
    let mut out = Vec::new();
    if totals.callback_mismatches > t.callback_mismatches {
        out.push(Detection::CallbackMismatch {
            client_id: client_id.to_string(),
            refused: totals.callback_mismatches,
            threshold: t.callback_mismatches,
        });
    }
    let requests = totals.m2m_requests();
    let base = baseline.unwrap_or(0.0);
    let over_cap = requests > t.m2m_cap;
    let over_baseline = base >= t.m2m_min_baseline && requests as f64 > t.m2m_multiple * base;
    if over_cap || over_baseline {
        out.push(Detection::M2mAnomaly {
            client_id: client_id.to_string(),
            requests,
            baseline: base,
            cap: t.m2m_cap,
            multiple: t.m2m_multiple,
        });
    }
    out
}

/// How long a machine-to-machine client's networks are remembered after its last request.
pub const M2M_MEMORY_DAYS: i64 = 7;

/// Whether a delivery's tally may raise a detection, so its window totals are worth reading:
/// IPs with failures or password resets, a pool's sign-in and reset tallies (every API, hosted UI
/// and managed login event of those classes), clients
/// with M2M token requests or refused redirects.
///
/// Per-IP detections judge the address over its account and region
/// ([`region_scope`](crate::trail::record::region_scope)), never per pool, so one address raises each
/// detection once per window however many pools it touched.
pub fn is_candidate(id: &TallyId, c: &Counts) -> bool {
    match &id.key {
        TallyKey::Ip { .. } => {
            id.pool.as_deref().and_then(valid_region_scope).is_some()
                && (c.failures > 0 || c.password_resets > 0 || !c.identity_pools.is_empty())
        }
        TallyKey::Class { class } => {
            (class == EventClass::SignIn.as_str() && c.attempts > 0) || c.password_resets > 0
        }
        TallyKey::Client { .. } => c.m2m_requests() > 0 || c.callback_mismatches > 0,
        TallyKey::EventName { .. } | TallyKey::ErrorCode { .. } | TallyKey::Caller { .. } => false,
    }
}

/// Where a per-IP finding of an account and region scope was seen: the pools among
/// `tallies` with their own tally of the same address and window (`pools`), and `pool` when
/// that is one.
pub fn seen_in(f: &mut Finding, tallies: &BTreeMap<TallyId, Counts>) {
    let Some(ip) = f.scoped_address().map(str::to_string) else {
        return;
    };
    let pools: Vec<String> = tallies
        .keys()
        .filter(|id| {
            id.window == f.window
                && !id.is_region_scope()
                && matches!(&id.key, TallyKey::Ip { ip: i } if *i == ip)
        })
        .filter_map(|id| id.pool.clone())
        .collect();
    if let [only] = pools.as_slice() {
        f.pool = Some(only.clone());
    }
    f.pools = pools;
}

/// An `m2m_new_source` finding: `client_id` requested tokens from `ip` in a `network` new to
/// it, beside its `usual` ones (at most 10 named).
pub fn m2m_new_source(
    pool: Option<String>,
    window: DateTime<Utc>,
    client_id: String,
    network: String,
    ip: String,
    mut usual: Vec<String>,
) -> Finding {
    usual.truncate(10);
    Finding::new(
        pool,
        window,
        Detection::M2mNewSource {
            client_id,
            network,
            ip,
            usual,
        },
    )
}

/// What a tally's detection compares with its trailing windows, if any: a client's
/// client_credentials requests, a pool's password reset requests.
pub fn baseline_of(key: &TallyKey) -> Option<fn(&Counts) -> u64> {
    match key {
        TallyKey::Client { .. } => Some(Counts::m2m_requests),
        TallyKey::Class { class } if class == EventClass::Reset.as_str() => {
            Some(|c: &Counts| c.password_resets)
        }
        _ => None,
    }
}
