//! Detections of something not seen for days: a guest getting credentials, a new reader of an
//! identity pool.

use super::*;
use crate::trail::record::CloudTrailRecord;

/// How long an identity pool must have given no unauthenticated caller credentials for the
/// next one to be an `unauthenticated_credentials` detection.
pub const GUEST_QUIET_DAYS: i64 = 7;

/// A candidate `unauthenticated_credentials` detection: GetCredentialsForIdentity succeeded for
/// an unauthenticated caller. It is a detection only when the identity pool gave none for
/// [`GUEST_QUIET_DAYS`] (the trail function keeps that memory).
pub fn guest_credentials(r: &CloudTrailRecord) -> Option<Finding> {
    let guest = r.event_name == "GetCredentialsForIdentity"
        && r.failure().is_none()
        && r.caller_type() == Some("Unknown");
    if !guest {
        return None;
    }
    let identity_pool = r.identity_pool_id()?.to_string();
    Some(Finding::of_record(
        r,
        Some(identity_pool.clone()),
        Detection::UnauthenticatedCredentials {
            identity_pool,
            ip: r.source_ip_address.as_deref().map(str::to_string),
            quiet_days: GUEST_QUIET_DAYS,
            event_id: r.event_id.to_string(),
        },
    ))
}

/// How long a principal that lists or describes identity pools is remembered: a read by one
/// not seen for this long is `identity_pool_enumeration`.
pub const READER_QUIET_DAYS: i64 = 7;

/// ListIdentityPools / DescribeIdentityPool by a principal: an `identity_pool_enumeration`
/// candidate, a detection when the principal is not trusted and had not read identity pools
/// for `READER_QUIET_DAYS` (the trail function asks its memory).
pub fn identity_pool_reads(r: &CloudTrailRecord) -> Option<Finding> {
    use crate::trail::record::IDENTITY_POOL_READ_EVENTS;
    if r.event_source != crate::trail::record::COGNITO_IDENTITY
        || !IDENTITY_POOL_READ_EVENTS.contains(&&*r.event_name)
        || r.failure().is_some()
    {
        return None;
    }
    let principal = r.principal()?;
    let identity_pool = r.identity_pool_id().map(str::to_string);
    let mut f = Finding::of_record(
        r,
        identity_pool.clone(),
        Detection::IdentityPoolEnumeration {
            source: principal,
            how: Enumeration::Reads {
                event_name: r.event_name.to_string(),
                identity_pool,
                ip: r.source_ip_address.as_deref().map(str::to_string),
                quiet_days: READER_QUIET_DAYS,
                event_id: r.event_id.to_string(),
            },
        },
    );
    // Keyed by the account and region: one alert per principal and window, whichever pools
    // it read.
    f.scope = r.region_scope(f.pool.as_deref());
    Some(f)
}
