//! CloudTrail records for Cognito: our own record type (`aws_lambda_events`' CloudTrail detail
//! lacks `errorCode`, `readOnly` and `managementEvent`, facts file §5), where each value sits
//! (facts file §4: API calls carry `requestParameters.clientId`, OAuth endpoint events
//! `additionalEventData.requestParameters.client_id[0]`), and the bounds every value that
//! reaches a storage key is held to.

use std::borrow::Cow;

use chrono::{DateTime, DurationRound, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::lenient::{Flag, Object, Objects, Strings, Text, WholeNumber};

/// The tally window.
pub const WINDOW_MINUTES: i64 = 5;

/// One CloudTrail record, as CloudTrail writes it, with only the fields cognito-watch reads,
/// deserialised straight from the record's bytes (strings borrowed where they have no
/// escapes; every other field skipped, never built).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTrailRecord<'a> {
    /// `eventTime`.
    #[serde(deserialize_with = "event_time")]
    pub event_time: DateTime<Utc>,
    /// `eventSource`: `cognito-idp.amazonaws.com`, `cognito-identity.amazonaws.com`, ...
    #[serde(borrow)]
    pub event_source: Cow<'a, str>,
    /// `eventName`: the API call or hosted UI / OAuth endpoint event.
    #[serde(borrow)]
    pub event_name: Cow<'a, str>,
    /// `awsRegion`.
    #[serde(default, borrow, deserialize_with = "string")]
    pub aws_region: Option<Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        rename = "sourceIPAddress",
        deserialize_with = "string"
    )]
    /// `sourceIPAddress`.
    pub source_ip_address: Option<Cow<'a, str>>,
    /// `userAgent`.
    #[serde(default, borrow, deserialize_with = "string")]
    pub user_agent: Option<Cow<'a, str>>,
    /// `errorCode`, on a failed call.
    #[serde(default, borrow, deserialize_with = "string")]
    pub error_code: Option<Cow<'a, str>>,
    /// `errorMessage`, on a failed call.
    #[serde(default, borrow, deserialize_with = "string")]
    pub error_message: Option<Cow<'a, str>>,
    /// `requestParameters`, as far as the tallies and detections read them.
    #[serde(default, borrow)]
    pub request_parameters: Object<RequestParameters<'a>>,
    /// `additionalEventData`, as far as they read it.
    #[serde(default, borrow)]
    pub additional_event_data: Object<AdditionalEventData<'a>>,
    /// `userIdentity`: who called.
    #[serde(default, borrow)]
    pub user_identity: Object<UserIdentity<'a>>,
    /// The record's id. Records copied from consoles and exports may lack it: the decoder
    /// then sets a digest of the record's bytes (see `activity::classify_str`).
    #[serde(rename = "eventID", default, borrow)]
    pub event_id: Cow<'a, str>,
    /// `recipientAccountId`: the account the record belongs to.
    #[serde(default, borrow, deserialize_with = "string")]
    pub recipient_account_id: Option<Cow<'a, str>>,
    /// The resources the call touched (identity pool calls name their pool here).
    #[serde(default, borrow)]
    pub resources: Objects<Resource<'a>>,
}

/// A string field, borrowed where it has no escapes (serde borrows a bare `Cow<str>` but
/// copies one inside an `Option`); a value of another type reads as absent.
fn string<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    super::lenient::Str::deserialize(d).map(|s| s.0)
}

/// `eventTime`: CloudTrail's `YYYY-MM-DDTHH:MM:SSZ` read by position (chrono's general
/// parser cost ~3% of a record's read), any other RFC 3339 form through chrono.
fn event_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 time")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<DateTime<Utc>, E> {
            parse_event_time(s).ok_or_else(|| E::custom(format!("not an RFC 3339 time: {s:?}")))
        }
    }
    d.deserialize_str(Visitor)
}

/// A CloudTrail event time.
pub fn parse_event_time(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let fixed = b.len() == 20
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .all(|&(i, c)| b[i] == c);
    if fixed {
        let date = chrono::NaiveDate::from_ymd_opt(
            i32::try_from(digits(0..4)?).ok()?,
            digits(5..7)?,
            digits(8..10)?,
        )?;
        let time =
            chrono::NaiveTime::from_hms_opt(digits(11..13)?, digits(14..16)?, digits(17..19)?)?;
        return Some(date.and_time(time).and_utc());
    }
    s.parse().ok()
}

/// The request parameters cognito-watch reads (AWS's names).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RequestParameters<'a> {
    /// `clientId`.
    #[serde(borrow)]
    pub client_id: Text<'a>,
    /// `userPoolId`.
    #[serde(borrow)]
    pub user_pool_id: Text<'a>,
    /// `identityPoolId`.
    #[serde(borrow)]
    pub identity_pool_id: Text<'a>,
    /// `authFlow` (USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH, ...).
    #[serde(borrow)]
    pub auth_flow: Text<'a>,
    /// `clientName`.
    #[serde(borrow)]
    pub client_name: Text<'a>,
    /// `providerName`.
    #[serde(borrow)]
    pub provider_name: Text<'a>,
    /// `allowUnauthenticatedIdentities`.
    pub allow_unauthenticated_identities: Flag,
    /// `mfaConfiguration`.
    #[serde(borrow)]
    pub mfa_configuration: Text<'a>,
    /// `deletionProtection`.
    #[serde(borrow)]
    pub deletion_protection: Text<'a>,
    /// `userPoolAddOns`.
    #[serde(borrow)]
    pub user_pool_add_ons: Object<UserPoolAddOns<'a>>,
    /// `preventUserExistenceErrors`.
    #[serde(borrow)]
    pub prevent_user_existence_errors: Text<'a>,
    /// `callbackURLs`.
    #[serde(borrow, rename = "callbackURLs")]
    pub callback_urls: Strings<'a>,
    /// `allowedOAuthFlows`.
    #[serde(borrow, rename = "allowedOAuthFlows")]
    pub allowed_oauth_flows: Strings<'a>,
}

/// `userPoolAddOns`: threat protection's settings.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserPoolAddOns<'a> {
    /// `advancedSecurityMode`: OFF, AUDIT or ENFORCED.
    #[serde(borrow)]
    pub advanced_security_mode: Text<'a>,
}

/// `additionalEventData`: the user pool and sub of hosted UI and OAuth endpoint events, and
/// their request and response.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AdditionalEventData<'a> {
    /// `userPoolId`.
    #[serde(borrow)]
    pub user_pool_id: Text<'a>,
    /// The user's `sub`.
    #[serde(borrow)]
    pub sub: Text<'a>,
    /// The OAuth request's parameters.
    #[serde(borrow)]
    pub request_parameters: Object<OAuthParameters<'a>>,
    /// The OAuth response's parameters.
    pub response_parameters: Object<ResponseParameters>,
}

/// An OAuth endpoint request's parameters (each an array of one string).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct OAuthParameters<'a> {
    /// `client_id`.
    #[serde(borrow)]
    pub client_id: Text<'a>,
    /// `grant_type` (authorization_code, refresh_token, client_credentials).
    #[serde(borrow)]
    pub grant_type: Text<'a>,
    /// The user's `sub`.
    #[serde(borrow)]
    pub sub: Text<'a>,
}

/// An OAuth endpoint response's parameters.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResponseParameters {
    /// The HTTP status the endpoint answered.
    pub status: WholeNumber,
}

/// `userIdentity`: who called.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    /// `type`: IAMUser, AssumedRole, Root, AWSService, Unknown (an unauthenticated caller), ...
    #[serde(borrow, rename = "type")]
    pub identity_type: Text<'a>,
    /// `arn`.
    #[serde(borrow)]
    pub arn: Text<'a>,
    /// `principalId`.
    #[serde(borrow)]
    pub principal_id: Text<'a>,
    /// `sessionContext`, for assumed roles.
    #[serde(borrow)]
    pub session_context: Object<SessionContext<'a>>,
}

/// `sessionContext`: the role a session was issued by.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SessionContext<'a> {
    /// `sessionIssuer`.
    #[serde(borrow)]
    pub session_issuer: Object<SessionIssuer<'a>>,
}

/// `sessionIssuer`: the role.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct SessionIssuer<'a> {
    /// The role's ARN.
    #[serde(borrow)]
    pub arn: Text<'a>,
}

/// One of `resources`: its ARN (`ARN`, or `arn` in some records).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    /// `ARN`, as most records spell it.
    #[serde(borrow, rename = "ARN")]
    pub upper: Text<'a>,
    /// `arn`, as some records spell it.
    #[serde(borrow)]
    pub arn: Text<'a>,
}

/// The `eventSource` of user pool calls.
pub const COGNITO_IDP: &str = "cognito-idp.amazonaws.com";
/// The `eventSource` of identity pool calls.
pub const COGNITO_IDENTITY: &str = "cognito-identity.amazonaws.com";
pub use super::lenient::HIDDEN;

/// Longest event name, error code, client id or grant type kept in a tally key.
pub const MAX_NAME: usize = 128;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.:-".contains(c)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-+".contains(c)
}

/// A user pool id as Cognito writes it (`<region>_<id>`), or None.
pub fn valid_pool_id(s: &str) -> Option<&str> {
    crate::text::token(s, 64, is_id_char).filter(|p| p.contains('_'))
}

/// An identity pool id as Cognito writes it (`<region>:<uuid>`), or None.
pub fn valid_identity_pool_id(s: &str) -> Option<&str> {
    crate::text::token(s, 64, |c| c.is_ascii_alphanumeric() || c == '-' || c == ':').filter(|p| {
        p.split_once(':')
            .is_some_and(|(region, id)| !region.is_empty() && !id.is_empty() && !id.contains(':'))
    })
}

/// A tally's scope: a user pool or an identity pool id, or an account and region
/// ([`region_scope`]).
pub fn valid_scope_id(s: &str) -> Option<&str> {
    valid_pool_id(s)
        .or_else(|| valid_identity_pool_id(s))
        .or_else(|| valid_region_scope(s))
}

/// The scope of every pool in one account and region, `<account>/<region>` (`-/<region>` when
/// the records do not name the account): the per-IP tallies the per-IP detections judge, so an
/// address spread over several pools, or over records whose pool is unknown, is still caught.
pub fn region_scope(account: Option<&str>, region: &str) -> Option<String> {
    let account = account.filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    let scope = format!("{}/{region}", account.unwrap_or("-"));
    valid_region_scope(&scope).map(str::to_string)
}

/// Whether `s` is an account and region scope ([`region_scope`]).
pub fn valid_region_scope(s: &str) -> Option<&str> {
    let (account, region) = s.split_once('/')?;
    let account_ok =
        account == "-" || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (account_ok && region_ok).then_some(s)
}

pub use super::events::{
    EventClass, IDENTITY_POOL_GUEST_EVENTS, IDENTITY_POOL_READ_EVENTS, PASSWORD_RESET_EVENTS,
};

impl<'a> CloudTrailRecord<'a> {
    /// A record read from a JSON value (tests, and the lenient path for records the typed
    /// reader refuses): every string owned.
    pub fn from_value(
        value: serde_json::Value,
    ) -> Result<CloudTrailRecord<'static>, serde_json::Error> {
        CloudTrailRecord::deserialize(value)
    }

    /// The record with every value that can reach a storage key or an item bounded: an
    /// address that is not an IP or an AWS service, an error code that is too long or has
    /// characters outside its alphabet become `invalid`; an unusable region or account is
    /// dropped; free text is cleaned and cut; an odd event id is replaced by its digest.
    /// Err (the record is malformed) only when its event name is not a name. (Client ids and
    /// grant types are bounded where they are read.)
    pub fn bounded(mut self) -> Result<CloudTrailRecord<'a>, String> {
        use crate::text::{clean, clean_cow, ip_or_service, token, INVALID};
        if token(&self.event_name, MAX_NAME, is_name_char).is_none() {
            return Err(format!(
                "eventName is not an event name ({} bytes: {:?})",
                self.event_name.len(),
                clean(&self.event_name, 40)
            ));
        }
        if token(&self.event_id, MAX_NAME, |c| {
            c.is_ascii_alphanumeric() || c == '-'
        })
        .is_none()
        {
            self.event_id = Cow::Owned(digest(&[&self.event_id]));
        }
        if let Some(ip) = &mut self.source_ip_address {
            if ip_or_service(ip) == INVALID {
                *ip = Cow::Borrowed(INVALID);
            }
        }
        if let Some(code) = &mut self.error_code {
            if !code.is_empty() && token(code, MAX_NAME, is_code_char).is_none() {
                *code = Cow::Borrowed(INVALID);
            }
        }
        self.aws_region = self
            .aws_region
            .filter(|r| token(r, 32, |c| c.is_ascii_alphanumeric() || c == '-').is_some());
        self.recipient_account_id = self
            .recipient_account_id
            .filter(|a| token(a, 12, |c| c.is_ascii_digit()).is_some());
        self.error_message = self.error_message.map(|m| clean_cow(m, 512));
        self.user_agent = self.user_agent.map(|m| clean_cow(m, 256));
        Ok(self)
    }

    /// Whether the record is a Cognito user pool or identity pool call.
    pub fn is_cognito(&self) -> bool {
        self.event_source == COGNITO_IDP || self.event_source == COGNITO_IDENTITY
    }

    fn request(&self) -> Option<&RequestParameters<'a>> {
        self.request_parameters.get()
    }

    fn oauth_request(&self) -> Option<&OAuthParameters<'a>> {
        self.additional_event_data.get()?.request_parameters.get()
    }

    /// The app client: `requestParameters.clientId` for API calls,
    /// `additionalEventData.requestParameters.client_id[0]` for OAuth endpoint events.
    /// An id that is too long or has odd characters is `invalid`.
    pub fn client_id(&self) -> Option<&str> {
        self.request()
            .and_then(|p| p.client_id.get())
            .or_else(|| self.oauth_request()?.client_id.get())
            .map(|c| bounded_token(c, is_id_char))
    }

    /// The OAuth grant type of a token request (`client_credentials` is machine-to-machine).
    pub fn grant_type(&self) -> Option<&str> {
        self.oauth_request()?
            .grant_type
            .get()
            .map(|g| bounded_token(g, is_name_char))
    }

    /// The user pool, when the record names a valid one: `requestParameters.userPoolId`,
    /// `additionalEventData.userPoolId`, or a `userpool/<id>` resource ARN.
    pub fn user_pool_id(&self) -> Option<&str> {
        self.request()
            .and_then(|p| p.user_pool_id.get())
            .and_then(valid_pool_id)
            .or_else(|| {
                self.additional_event_data
                    .get()?
                    .user_pool_id
                    .get()
                    .and_then(valid_pool_id)
            })
            .or_else(|| self.resource_id("userpool/").and_then(valid_pool_id))
    }

    /// The pool a record belongs to: the user pool it names, else its app client's pool (from
    /// the inventory, `pool_of_client`), else the identity pool it names.
    pub fn pool(&self, pool_of_client: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.user_pool_id()
            .map(str::to_string)
            .or_else(|| self.client_id().and_then(pool_of_client))
            .or_else(|| self.identity_pool_id().map(str::to_string))
    }

    /// The identity pool, when the record names a valid one: `requestParameters.identityPoolId`
    /// or an `identitypool/<id>` resource ARN.
    pub fn identity_pool_id(&self) -> Option<&str> {
        self.request()
            .and_then(|p| p.identity_pool_id.get())
            .and_then(valid_identity_pool_id)
            .or_else(|| {
                self.resource_id("identitypool/")
                    .and_then(valid_identity_pool_id)
            })
    }

    /// The id after `kind` in the first resource ARN of that kind (`resources[].ARN`).
    fn resource_id(&self, kind: &str) -> Option<&str> {
        self.resources.0.iter().find_map(|r| {
            let arn = r.upper.raw().or(r.arn.raw())?;
            let (_, id) = arn.rsplit_once(kind)?;
            (!id.is_empty()).then_some(id)
        })
    }

    /// The region a record is about: `awsRegion`, else the region of the user or identity
    /// pool id it names.
    pub fn region<'s>(&'s self, pool: Option<&'s str>) -> Option<&'s str> {
        self.aws_region.as_deref().or_else(|| {
            let p = pool?;
            p.split_once('_')
                .or_else(|| p.split_once(':'))
                .map(|(r, _)| r)
        })
    }

    /// The record's account and region scope ([`region_scope`]): `recipientAccountId` and
    /// `awsRegion`, the region else from the user or identity pool id it names.
    pub fn region_scope(&self, pool: Option<&str>) -> Option<String> {
        region_scope(self.recipient_account_id.as_deref(), self.region(pool)?)
    }

    /// The principal that called (for an assumed role, the role: `sessionContext.sessionIssuer.arn`;
    /// else `userIdentity.arn`, else its type), cleaned and bounded.
    pub fn principal(&self) -> Option<String> {
        let identity = self.user_identity.get()?;
        let issuer = identity
            .session_context
            .get()
            .and_then(|c| c.session_issuer.get())
            .and_then(|i| i.arn.get());
        issuer
            .or_else(|| identity.arn.get())
            .or_else(|| identity.identity_type.get())
            .map(|p| crate::text::clean(p, MAX_NAME))
            .filter(|p| !p.is_empty())
    }

    /// Who called, as CloudTrail's `userIdentity.type` says (`Unknown`: an unauthenticated
    /// caller, e.g. an identity pool's guest).
    pub fn caller_type(&self) -> Option<&str> {
        self.user_identity
            .get()?
            .identity_type
            .get()
            .map(|t| bounded_token(t, is_name_char))
    }

    /// The user's `sub` (CloudTrail records the sub, not the username): `additionalEventData.sub`,
    /// or `additionalEventData.requestParameters.sub[0]` on hosted UI events.
    pub fn sub(&self) -> Option<&str> {
        self.additional_event_data
            .get()?
            .sub
            .get()
            .or_else(|| self.oauth_request()?.sub.get())
    }

    /// HTTP status of an OAuth endpoint event, however the number is written (`400`, `400.0`,
    /// `"400"`).
    pub fn http_status(&self) -> Option<u16> {
        let status = self
            .additional_event_data
            .get()?
            .response_parameters
            .get()?
            .status
            .0?;
        u16::try_from(status).ok()
    }

    /// The error code of a failed request: `errorCode`, or `HTTP <status>` for an OAuth
    /// endpoint event answered with 4xx/5xx.
    pub fn failure(&self) -> Option<Cow<'_, str>> {
        if let Some(code) = self.error_code.as_deref().filter(|c| !c.is_empty()) {
            return Some(Cow::Borrowed(code));
        }
        self.http_status()
            .filter(|s| *s >= 400)
            .map(|s| Cow::Owned(format!("HTTP {s}")))
    }

    /// What step of a user's authentication this is, if any ([`EventClass`]).
    pub fn class(&self) -> Option<EventClass> {
        EventClass::of(&self.event_name)
    }

    /// Whether this is an authentication attempt: an event of any [`EventClass`].
    pub fn is_authentication(&self) -> bool {
        self.class().is_some()
    }

    /// A hosted UI / OAuth endpoint request refused for its redirect: `redirect_mismatch` in
    /// the error, or InvalidParameterException on an endpoint event (`*_GET`, `*_POST`).
    pub fn is_callback_mismatch(&self) -> bool {
        let endpoint = self.event_name.ends_with("_GET") || self.event_name.ends_with("_POST");
        if !endpoint {
            return false;
        }
        let code = self.error_code.as_deref().unwrap_or_default();
        let message = self
            .error_message
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        code == "InvalidParameterException"
            || message.contains("redirect_mismatch")
            || message.contains("redirect mismatch")
    }

    /// A password reset request (the API's, the classic hosted UI's or managed login's).
    pub fn is_password_reset(&self) -> bool {
        PASSWORD_RESET_EVENTS.contains(&&*self.event_name)
    }

    /// A token refresh: `InitiateAuth` with `REFRESH_TOKEN_AUTH` / `REFRESH_TOKEN`, or a
    /// `refresh_token` grant at the token endpoint.
    pub fn is_token_refresh(&self) -> bool {
        let flow = self
            .request()
            .and_then(|p| p.auth_flow.get())
            .unwrap_or_default();
        flow == "REFRESH_TOKEN_AUTH"
            || flow == "REFRESH_TOKEN"
            || self.event_name == "GetTokensFromRefreshToken"
            || self.grant_type() == Some("refresh_token")
    }

    /// A failed token refresh: a failed refresh request, or (the CubeAPM query) an
    /// `InitiateAuth` failing with a token error.
    pub fn is_refresh_failure(&self) -> bool {
        let Some(code) = self.failure() else {
            return false;
        };
        self.is_token_refresh() || (self.event_name == "InitiateAuth" && code.contains("Token"))
    }

    /// The start of the 5-minute window the record falls in.
    pub fn window(&self) -> DateTime<Utc> {
        window_of(self.event_time)
    }
}

/// `s` if it is a token of `ok` characters of at most `MAX_NAME`, else `invalid`.
fn bounded_token(s: &str, ok: fn(char) -> bool) -> &str {
    if crate::text::token(s, MAX_NAME, ok).is_some() {
        s
    } else {
        crate::text::INVALID
    }
}

/// The start of the 5-minute window `t` falls in.
pub fn window_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(chrono::Duration::minutes(WINDOW_MINUTES))
        .unwrap_or(t)
}

/// A stable short hash (hex) of some parts, for idempotency keys.
pub fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_event_time_reads_as_chrono_reads_it() {
        for s in [
            "2026-11-21T10:04:00Z",
            "2026-02-30T10:04:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T10:04:00.123Z",
            "2026-11-21T10:04:00+02:00",
            "2026-11-21 10:04:00Z",
            "２026-11-21T10:04:00Z",
            "",
        ] {
            assert_eq!(
                parse_event_time(s),
                s.parse::<DateTime<Utc>>().ok(),
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_second_reads_back(secs in 0i64..253_402_300_799, noise in "[0-9TZ:-]{20}") {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let s = t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            prop_assert_eq!(parse_event_time(&s), Some(t));
            prop_assert_eq!(parse_event_time(&noise), noise.parse::<DateTime<Utc>>().ok());
        }
    }
}
