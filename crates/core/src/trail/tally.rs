//! 5-minute tallies of CloudTrail records per app client, source IP, error code and event name,
//! aggregated in memory per invocation, so a batch costs one update per (window, key), not one
//! per record.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use foldhash::fast::RandomState;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::{
    valid_scope_id, window_of, CloudTrailRecord, IDENTITY_POOL_GUEST_EVENTS, MAX_NAME,
};

/// What a tally counts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum TallyKey {
    /// An app client's requests.
    Client {
        /// The app client id.
        client_id: String,
    },
    /// An address's requests (per pool, and per account and region scope).
    Ip {
        /// The source address.
        ip: String,
    },
    /// A pool's requests answered with one error code.
    ErrorCode {
        /// The error code (`NotAuthorizedException`, ...).
        code: String,
    },
    /// A pool's requests of one API call or event.
    EventName {
        /// The event name (`InitiateAuth`, `Login_POST`, ...).
        name: String,
    },
    /// An identity pool's callers by CloudTrail's `userIdentity.type` (`Unknown`: an
    /// unauthenticated guest).
    Caller {
        /// `userIdentity.type`.
        identity_type: String,
    },
    /// A user pool's authentication events of one [`EventClass`](super::events::EventClass)
    /// (`sign-in`, `reset`, ...), whatever the API, hosted UI or managed login event.
    Class {
        /// The class (`sign-in`, `reset`, ...).
        class: String,
    },
}

/// The kind of a tally key, as stored and as the CLI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TallyKind {
    /// Per app client (`client`).
    Client,
    /// Per source IP (`ip`).
    Ip,
    /// Per error code (`error`).
    Error,
    /// Per event name (`event`).
    Event,
    /// Per caller type, identity pools only (`caller`).
    Caller,
    /// Per class of authentication event (`class`).
    Class,
}

impl TallyKind {
    /// Every kind.
    pub const ALL: [TallyKind; 6] = [
        TallyKind::Client,
        TallyKind::Ip,
        TallyKind::Error,
        TallyKind::Event,
        TallyKind::Caller,
        TallyKind::Class,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TallyKind::Client => "client",
            TallyKind::Ip => "ip",
            TallyKind::Error => "error",
            TallyKind::Event => "event",
            TallyKind::Caller => "caller",
            TallyKind::Class => "class",
        }
    }

    /// A stored name back to its kind.
    pub fn parse(s: &str) -> Option<TallyKind> {
        TallyKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for TallyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TallyKey {
    /// A key of `kind` with `value`.
    pub fn new(kind: TallyKind, value: impl Into<String>) -> TallyKey {
        let value = value.into();
        match kind {
            TallyKind::Client => TallyKey::Client { client_id: value },
            TallyKind::Ip => TallyKey::Ip { ip: value },
            TallyKind::Error => TallyKey::ErrorCode { code: value },
            TallyKind::Event => TallyKey::EventName { name: value },
            TallyKind::Caller => TallyKey::Caller {
                identity_type: value,
            },
            TallyKind::Class => TallyKey::Class { class: value },
        }
    }

    /// The key's kind.
    pub fn kind(&self) -> TallyKind {
        match self {
            TallyKey::Client { .. } => TallyKind::Client,
            TallyKey::Ip { .. } => TallyKind::Ip,
            TallyKey::ErrorCode { .. } => TallyKind::Error,
            TallyKey::EventName { .. } => TallyKind::Event,
            TallyKey::Caller { .. } => TallyKind::Caller,
            TallyKey::Class { .. } => TallyKind::Class,
        }
    }

    /// The client id, IP, error code or event name.
    pub fn value(&self) -> &str {
        match self {
            TallyKey::Client { client_id } => client_id,
            TallyKey::Ip { ip } => ip,
            TallyKey::ErrorCode { code } => code,
            TallyKey::EventName { name } => name,
            TallyKey::Caller { identity_type } => identity_type,
            TallyKey::Class { class } => class,
        }
    }
}

/// The counts of one (pool, window, key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Authentication attempts: events of any [`EventClass`](super::events::EventClass).
    pub attempts: u64,
    /// Failed requests (any call answered with an error).
    pub failures: u64,
    /// Every request, authentication or not.
    #[serde(default)]
    pub requests: u64,
    /// Failed requests by error code.
    #[serde(default)]
    pub by_error: BTreeMap<String, u64>,
    /// Token requests by grant type (clients only).
    #[serde(default)]
    pub by_grant: BTreeMap<String, u64>,
    /// Token refresh attempts and failures (clients only).
    #[serde(default)]
    pub refreshes: u64,
    /// Token refreshes that failed (clients only).
    #[serde(default)]
    pub refresh_failures: u64,
    /// Password reset requests (ForgotPassword, ForgotPassword_POST).
    #[serde(default)]
    pub password_resets: u64,
    /// OAuth endpoint requests refused for their redirect (clients only).
    #[serde(default)]
    pub callback_mismatches: u64,
    /// Distinct subs seen failing (IPs only), as a linear-counting sketch: the set of
    /// `sub_bucket`s hit. Bounded (at most `SUB_BUCKETS` numbers) and a set union, so it
    /// merges across invocations with DynamoDB's `ADD`.
    #[serde(default)]
    pub failing_subs: BTreeSet<u16>,
    /// Distinct identity pools called with GetId or GetCredentialsForIdentity (IPs of an
    /// account and region scope only), as the same kind of sketch.
    #[serde(default)]
    pub identity_pools: BTreeSet<u16>,
}

/// Buckets of the distinct-sub sketch.
pub const SUB_BUCKETS: u16 = 1024;

/// The sketch bucket of a sub or an identity pool id: FNV-1a (64-bit), a fast,
/// non-cryptographic hash fixed by its specification, so the same value lands in the same
/// bucket in every invocation and release and sketches keep merging by set union.
pub fn sub_bucket(sub: &str) -> u16 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sub.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Fold the high bits in: FNV's low bits mix less.
    ((h ^ (h >> 32)) % u64::from(SUB_BUCKETS)) as u16
}

/// The distinct values a sketch of `SUB_BUCKETS` buckets holds, estimated by linear counting
/// (exact in practice for the small numbers the detections compare against), and never more
/// than `at_most` (the requests it was built from).
fn estimate(sketch: &BTreeSet<u16>, at_most: u64) -> usize {
    let m = f64::from(SUB_BUCKETS);
    let hit = sketch.len().min(usize::from(SUB_BUCKETS)) as f64;
    let estimate = if hit >= m {
        // Every bucket hit: at least this many.
        usize::from(SUB_BUCKETS) * 8
    } else {
        (-m * (1.0 - hit / m).ln()).round() as usize
    };
    estimate
        .min(usize::try_from(at_most).unwrap_or(usize::MAX))
        .max(sketch.len().min(1))
}

impl Counts {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Counts) {
        self.attempts += other.attempts;
        self.failures += other.failures;
        self.requests += other.requests;
        for (k, v) in &other.by_error {
            *self.by_error.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.by_grant {
            *self.by_grant.entry(k.clone()).or_default() += v;
        }
        self.refreshes += other.refreshes;
        self.refresh_failures += other.refresh_failures;
        self.password_resets += other.password_resets;
        self.callback_mismatches += other.callback_mismatches;
        self.failing_subs.extend(other.failing_subs.iter().cloned());
        self.identity_pools
            .extend(other.identity_pools.iter().cloned());
    }

    /// The estimated number of distinct subs seen failing, never more than the failures.
    pub fn distinct_failing_subs(&self) -> usize {
        estimate(&self.failing_subs, self.failures)
    }

    /// The estimated number of distinct identity pools called with GetId or
    /// GetCredentialsForIdentity, never more than the requests.
    pub fn distinct_identity_pools(&self) -> usize {
        estimate(&self.identity_pools, self.requests)
    }

    /// Client-credentials (machine-to-machine) token requests.
    pub fn m2m_requests(&self) -> u64 {
        self.by_grant
            .get("client_credentials")
            .copied()
            .unwrap_or(0)
    }
}

/// Where a tally belongs: the user pool (None while the client is not in the inventory, so
/// the tally is kept under the client rather than dropped), the window and the key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TallyId {
    /// The user pool it counts; none for an account and region's per-IP tallies of no pool.
    pub pool: Option<String>,
    /// The start of its 5-minute window.
    pub window: DateTime<Utc>,
    /// What it counts.
    pub key: TallyKey,
}

impl TallyId {
    /// Whether this is a per-IP tally of an account and region
    /// ([`region_scope`](super::record::region_scope)) rather than of one pool.
    pub fn is_region_scope(&self) -> bool {
        self.pool
            .as_deref()
            .and_then(super::record::valid_region_scope)
            .is_some()
    }
}

/// Where a machine-to-machine client requested tokens from: (pool, client, network, window).
pub type M2mSource = (Option<String>, String, String, DateTime<Utc>);

/// In-memory tallies of one invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tallies {
    /// Each tally's counts.
    pub counts: BTreeMap<TallyId, Counts>,
    /// Machine-to-machine token requests by (pool, client, network, window), with one address
    /// of each: the trail function checks each network against the client's memory.
    pub m2m_sources: BTreeMap<M2mSource, String>,
    /// Records skipped because they were not from Cognito.
    pub skipped_non_cognito: u64,
}

/// The event name and error code user notification (delivery) errors are counted under.
pub const USER_NOTIFICATION: &str = "UserNotification";
/// See [`USER_NOTIFICATION`].
pub const USER_NOTIFICATION_ERROR: &str = "UserNotificationError";

impl Tallies {
    /// Count one record (through a [`TallyBuilder`]; an intake keeps one builder for all its
    /// records).
    pub fn add(&mut self, r: &CloudTrailRecord, pool_of_client: &dyn Fn(&str) -> Option<String>) {
        let mut b = TallyBuilder::default();
        b.add(r, pool_of_client);
        self.merge(b.finish());
    }

    /// Add another invocation's tallies to these.
    pub fn merge(&mut self, mut other: Tallies) {
        if self.counts.is_empty() {
            std::mem::swap(&mut self.counts, &mut other.counts);
        }
        for (id, c) in other.counts {
            match self.counts.get_mut(&id) {
                Some(mine) => mine.merge(&c),
                None => {
                    self.counts.insert(id, c);
                }
            }
        }
        for (source, ip) in other.m2m_sources {
            self.m2m_sources.entry(source).or_insert(ip);
        }
        self.skipped_non_cognito += other.skipped_non_cognito;
    }
}

/// Each distinct string once, numbered; looked up by `&str` without allocating.
#[derive(Debug, Default)]
struct Interner {
    index: HashMap<Box<str>, u32, RandomState>,
    all: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.all.len()).unwrap_or(u32::MAX - 1);
        self.all.push(s.into());
        self.index.insert(s.into(), i);
        i
    }

    fn get(&self, i: u32) -> &str {
        self.all.get(i as usize).map_or("", |s| s)
    }

    fn clear(&mut self) {
        self.index.clear();
        self.all.clear();
    }

    /// Each name's place in the names sorted as strings.
    fn ranks(&self) -> Vec<u32> {
        let mut by_name: Vec<u32> = (0..self.all.len() as u32).collect();
        by_name.sort_unstable_by(|a, b| self.get(*a).cmp(self.get(*b)));
        let mut rank = vec![0; self.all.len()];
        for (place, name) in by_name.into_iter().enumerate() {
            rank[name as usize] = place as u32;
        }
        rank
    }
}

/// No pool.
const NO_POOL: u32 = u32::MAX;

/// A tally's place while counting: interned pool and value, the window in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot {
    pool: u32,
    window: i64,
    kind: TallyKind,
    value: u32,
}

/// Tallies being counted. Pools, keys and the account and region scope are interned and each
/// app client's pool is asked of the inventory once, so counting a record allocates nothing
/// once its pool, window and keys have been seen. [`TallyBuilder::finish`] gives the
/// [`Tallies`].
#[derive(Debug, Default)]
pub struct TallyBuilder {
    names: Interner,
    /// Each slot's counts, by their index in `counts` (the map moves 4 bytes a slot when it
    /// grows, not the counts).
    slots: HashMap<Slot, u32, RandomState>,
    counts: Vec<Counts>,
    /// Each app client's pool (by interned id), from the inventory.
    clients: HashMap<u32, u32, RandomState>,
    /// The last (account, region) seen and its scope.
    scope: Option<(Option<String>, String, u32)>,
    /// (pool, client, network, window) → the first address seen.
    m2m: HashMap<(u32, u32, Network, i64), u32, RandomState>,
    skipped_non_cognito: u64,
}

/// Count one more of `name` (allocating only for a name not yet counted).
fn count_name(map: &mut BTreeMap<String, u64>, name: &str) {
    match map.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            map.insert(name.to_string(), 1);
        }
    }
}

impl TallyBuilder {
    fn counts(&mut self, pool: u32, window: i64, kind: TallyKind, value: &str) -> &mut Counts {
        let value = self.names.id(value);
        let slot = Slot {
            pool,
            window,
            kind,
            value,
        };
        let next = self.counts.len();
        let i = *self
            .slots
            .entry(slot)
            .or_insert_with(|| u32::try_from(next).unwrap_or(u32::MAX)) as usize;
        if i == next {
            self.counts.push(Counts::default());
        }
        // An index past u32::MAX (never: 4 billion tallies) counts into the last.
        let last = self.counts.len().saturating_sub(1);
        &mut self.counts[i.min(last)]
    }

    fn pool_of(&mut self, client: &str, pool_of_client: &dyn Fn(&str) -> Option<String>) -> u32 {
        let c = self.names.id(client);
        if let Some(&p) = self.clients.get(&c) {
            return p;
        }
        let p = pool_of_client(client).map_or(NO_POOL, |p| self.names.id(&p));
        self.clients.insert(c, p);
        p
    }

    /// The record's account and region scope ([`region_scope`](super::record::region_scope)).
    fn scope(&mut self, r: &CloudTrailRecord, pool: u32) -> u32 {
        let pool = (pool != NO_POOL).then(|| self.names.get(pool));
        let Some(region) = r.region(pool) else {
            return NO_POOL;
        };
        let account = r.recipient_account_id.as_deref();
        if let Some((a, reg, scope)) = &self.scope {
            if a.as_deref() == account && reg == region {
                return *scope;
            }
        }
        let scope = super::record::region_scope(account, region);
        let (account, region) = (account.map(str::to_string), region.to_string());
        let scope = scope.map_or(NO_POOL, |s| self.names.id(&s));
        self.scope = Some((account, region, scope));
        scope
    }

    /// The pool a record belongs to ([`CloudTrailRecord::pool`]), interned.
    fn pool(
        &mut self,
        r: &CloudTrailRecord,
        pool_of_client: &dyn Fn(&str) -> Option<String>,
    ) -> u32 {
        if let Some(p) = r.user_pool_id() {
            return self.names.id(p);
        }
        let by_client = r
            .client_id()
            .map_or(NO_POOL, |c| self.pool_of(c, pool_of_client));
        match (by_client, r.identity_pool_id()) {
            (NO_POOL, Some(p)) => self.names.id(p),
            (p, _) => p,
        }
    }

    /// Note a successful machine-to-machine token request: the first address of each (pool,
    /// client, network, window) is kept.
    pub fn add_m2m_source(
        &mut self,
        r: &CloudTrailRecord,
        pool_of_client: &dyn Fn(&str) -> Option<String>,
    ) {
        let (Some(client), Some(ip)) = (r.client_id(), r.source_ip_address.as_deref()) else {
            return;
        };
        let Some(network) = Network::of(ip) else {
            return;
        };
        let pool = self.pool(r, pool_of_client);
        let source = (pool, self.names.id(client), network, r.window().timestamp());
        if !self.m2m.contains_key(&source) {
            let ip = self.names.id(ip);
            self.m2m.insert(source, ip);
        }
    }

    /// Count one record. `pool_of_client` resolves a client id to its pool (the collector's
    /// inventory) for records that name only the client.
    pub fn add(&mut self, r: &CloudTrailRecord, pool_of_client: &dyn Fn(&str) -> Option<String>) {
        if !r.is_cognito() {
            self.skipped_non_cognito += 1;
            return;
        }
        let client = r.client_id();
        let pool = self.pool(r, pool_of_client);
        let window = r.window().timestamp();
        let failure = r.failure();
        let failure = failure.as_deref();
        let class = r.class();
        let auth = u64::from(class.is_some());
        let reset = u64::from(r.is_password_reset());
        // Every tally counts the request, an attempt when it authenticates, and its failure.
        let base = |c: &mut Counts| {
            c.requests += 1;
            c.attempts += auth;
            c.password_resets += reset;
            if let Some(code) = failure {
                c.failures += 1;
                count_name(&mut c.by_error, code);
            }
        };
        base(self.counts(pool, window, TallyKind::Event, &r.event_name));
        if let Some(class) = class {
            base(self.counts(pool, window, TallyKind::Class, class.as_str()));
        }
        if let Some(code) = failure {
            base(self.counts(pool, window, TallyKind::Error, code));
        }
        if r.event_source == super::record::COGNITO_IDENTITY {
            if let Some(identity_type) = r.caller_type() {
                base(self.counts(pool, window, TallyKind::Caller, identity_type));
            }
        }
        if let Some(client_id) = client {
            let grant = r.grant_type();
            let refresh = u64::from(r.is_token_refresh());
            let refresh_failure = u64::from(r.is_refresh_failure());
            let mismatch = u64::from(r.is_callback_mismatch());
            let c = self.counts(pool, window, TallyKind::Client, client_id);
            base(c);
            c.callback_mismatches += mismatch;
            if let Some(g) = grant {
                count_name(&mut c.by_grant, g);
            }
            c.refreshes += refresh;
            c.refresh_failures += refresh_failure;
        }
        if let Some(ip) = r.source_ip_address.as_deref().filter(|ip| !ip.is_empty()) {
            let failing_sub = failure.and(r.sub()).map(sub_bucket);
            let per_ip = |c: &mut Counts| {
                base(c);
                if let Some(b) = failing_sub {
                    c.failing_subs.insert(b);
                }
            };
            per_ip(self.counts(pool, window, TallyKind::Ip, ip));
            // The same address over its account and region, whatever the pool: what the
            // per-IP detections judge, so only the requests they can judge (a failure, a
            // password reset, a guest's identity pool call). A clean sign-in from an address of
            // its own would otherwise cost a second new item per record.
            let guest_call = IDENTITY_POOL_GUEST_EVENTS.contains(&&*r.event_name);
            let judged = failure.is_some() || reset > 0 || guest_call;
            let scope = if judged { self.scope(r, pool) } else { NO_POOL };
            if scope != NO_POOL {
                let identity_pool = r.identity_pool_id().filter(|_| guest_call).map(sub_bucket);
                let c = self.counts(scope, window, TallyKind::Ip, ip);
                per_ip(c);
                if let Some(p) = identity_pool {
                    c.identity_pools.insert(p);
                }
            }
        }
    }

    /// The tallies counted.
    pub fn finish(&mut self) -> Tallies {
        let TallyBuilder {
            names,
            slots,
            counts,
            clients,
            scope,
            m2m,
            skipped_non_cognito,
        } = self;
        let pool = |p: u32| (p != NO_POOL).then(|| names.get(p).to_string());
        let window = |w: i64| DateTime::from_timestamp(w, 0).unwrap_or_default();
        let m2m_sources = m2m
            .drain()
            .map(|((p, client, network, w), ip)| {
                let source = (
                    pool(p),
                    names.get(client).to_string(),
                    network.to_string(),
                    window(w),
                );
                (source, names.get(ip).to_string())
            })
            .collect();
        // The slots sorted by the names' order (numbers compared, not strings), which is the
        // map's own order (a pool's rank, the window, the kind in `TallyKey`'s variant order,
        // the value's rank), so the map is built in one pass, not searched per tally; each
        // tally's counts moved out once.
        let rank = names.ranks();
        let order = |s: &Slot| {
            let pool = (s.pool != NO_POOL).then(|| rank[s.pool as usize]);
            (pool, s.window, s.kind, rank[s.value as usize])
        };
        let mut sorted: Vec<(Slot, u32)> = slots.drain().collect();
        sorted.sort_unstable_by_key(|(s, _)| order(s));
        let tallies: BTreeMap<TallyId, Counts> = sorted
            .into_iter()
            .filter_map(|(slot, i)| {
                let c = std::mem::take(counts.get_mut(i as usize)?);
                let id = TallyId {
                    pool: pool(slot.pool),
                    window: window(slot.window),
                    key: TallyKey::new(slot.kind, names.get(slot.value)),
                };
                Some((id, c))
            })
            .collect();
        // Emptied, its room kept for the next part: a long file's parts reuse the same pages.
        counts.clear();
        names.clear();
        clients.clear();
        *scope = None;
        Tallies {
            counts: tallies,
            m2m_sources,
            skipped_non_cognito: std::mem::take(skipped_non_cognito),
        }
    }
}

impl Tallies {
    /// The storage invariant every tally key keeps, whatever the records held: the pool a
    /// valid user or identity pool id, each key value at most `MAX_NAME` bytes with no control character, the
    /// map keys inside an item likewise. (Checked by the fuzz targets and property tests.)
    pub fn check_bounds(&self) -> Result<(), String> {
        let ok = |s: &str| s.len() <= MAX_NAME && !s.is_empty() && !s.chars().any(char::is_control);
        for (id, c) in &self.counts {
            if let Some(pool) = &id.pool {
                if valid_scope_id(pool).is_none() {
                    return Err(format!("a tally under an invalid pool id {pool:?}"));
                }
            }
            let value = id.key.value();
            if !ok(value) {
                return Err(format!("an unbounded tally key {value:?}"));
            }
            if let Some(k) = c.by_error.keys().chain(c.by_grant.keys()).find(|k| !ok(k)) {
                return Err(format!("an unbounded counter name {k:?}"));
            }
        }
        Ok(())
    }
}

/// Tallies read back over a period, merged across windows: (pool, key) → counts.
pub fn merge_windows(
    rows: impl IntoIterator<Item = (TallyId, Counts)>,
) -> BTreeMap<(Option<String>, TallyKey), Counts> {
    let mut out: BTreeMap<(Option<String>, TallyKey), Counts> = BTreeMap::new();
    for (id, c) in rows {
        out.entry((id.pool, id.key)).or_default().merge(&c);
    }
    out
}

/// The longest period a query may cover (tallies are kept far less long).
pub const MAX_PERIOD_DAYS: i64 = 3650;

/// A period like `90s`, `30m`, `1h`, `2d`, `1w` or `1y` (365 days): positive, at most ten
/// years. Never panics: an out-of-range number is an error that says so. The CLI's one syntax
/// for a duration (`--since`, and `cost --rate` beside the schedule's `rate(5 minutes)`).
pub fn parse_period(text: &str) -> Result<chrono::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let seconds_per_unit: i64 = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        "y" => 31_536_000,
        _ if n.is_empty() => return Err(format!("{text:?} is not a period like 30m, 1h or 2d")),
        _ => return Err(format!("{text:?}: the unit is one of s, m, h, d, w, y")),
    };
    let too_long = || format!("{text:?}: a period is at most {MAX_PERIOD_DAYS} days");
    let n: i64 = match n.parse::<u64>() {
        Ok(v) => i64::try_from(v).map_err(|_| too_long())?,
        Err(_) if n.is_empty() => {
            return Err(format!("{text:?} is not a period like 30m, 1h or 2d"))
        }
        Err(_) => return Err(too_long()),
    };
    if n == 0 {
        return Err(format!("{text:?}: the period must be positive"));
    }
    let seconds = n.checked_mul(seconds_per_unit).ok_or_else(too_long)?;
    if seconds > MAX_PERIOD_DAYS * 86_400 {
        return Err(too_long());
    }
    chrono::Duration::try_seconds(seconds).ok_or_else(too_long)
}

impl Tallies {
    /// Count a user notification (email/SMS delivery) error from a pool's user logs.
    pub fn add_user_notification_error(&mut self, pool: &str, at: DateTime<Utc>) {
        let window = window_of(at);
        for key in [
            TallyKey::EventName {
                name: USER_NOTIFICATION.into(),
            },
            TallyKey::ErrorCode {
                code: USER_NOTIFICATION_ERROR.into(),
            },
        ] {
            let c = self
                .counts
                .entry(TallyId {
                    pool: Some(pool.to_string()),
                    window,
                    key,
                })
                .or_default();
            c.requests += 1;
            c.failures += 1;
            *c.by_error
                .entry(USER_NOTIFICATION_ERROR.to_string())
                .or_default() += 1;
        }
    }
}

/// The network an address belongs to for `m2m_new_source`: its /24 (IPv4) or /48 (IPv6).
/// None for what is not an IP address (an AWS service name).
pub fn network_of(ip: &str) -> Option<String> {
    Network::of(ip).map(|n| n.to_string())
}

/// An address's network as a number: its IPv4 /24 or IPv6 /48 (see [`network_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    /// An IPv4 address's /24: its first three octets.
    V4([u8; 3]),
    /// An IPv6 address's /48: its first three groups.
    V6([u16; 3]),
}

impl Network {
    /// The network of `ip`, if it is an address.
    pub fn of(ip: &str) -> Option<Network> {
        Some(match ip.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                Network::V4([a, b, c])
            }
            std::net::IpAddr::V6(v6) => {
                let s = v6.segments();
                Network::V6([s[0], s[1], s[2]])
            }
        })
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Network::V4([a, b, c]) => write!(f, "{a}.{b}.{c}.0/24"),
            Network::V6([a, b, c]) => write!(f, "{a:x}:{b:x}:{c:x}::/48"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::*;
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const INITIATE_AUTH_FAILURE: &str = r#"{"eventVersion":"1.10","eventTime":"2025-10-09T07:57:09Z","eventSource":"cognito-idp.amazonaws.com",
 "eventName":"InitiateAuth","awsRegion":"ap-northeast-1","sourceIPAddress":"198.51.100.7",
 "errorCode":"NotAuthorizedException","errorMessage":"Incorrect username or password.",
 "requestParameters":{"authFlow":"USER_PASSWORD_AUTH","authParameters":"HIDDEN_DUE_TO_SECURITY_REASONS",
   "clientId":"4u37654rhubjei088dj85clscq"},
 "additionalEventData":{"sub":"87a42a58-0000-0000-0000-000000000000"},
 "eventID":"2f1c","eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"}"#;

    const TOKEN_POST: &str = r#"{"eventVersion":"1.08","eventTime":"2022-05-12T21:07:05Z","eventSource":"cognito-idp.amazonaws.com",
 "eventName":"Token_POST","awsRegion":"us-west-2","sourceIPAddress":"192.0.2.1","userAgent":"Mozilla/5.0",
 "requestParameters":null,"responseElements":null,
 "additionalEventData":{"responseParameters":{"status":200},
   "requestParameters":{"grant_type":["client_credentials"],"client_id":["1example23456789"]},
   "userPoolDomain":"mydomain.auth.us-west-2.amazoncognito.com","userPoolId":"us-west-2_EXAMPLE"},
 "eventID":"473e5cbc-0000-0000-0000-000000000000","readOnly":false,"eventType":"AwsServiceEvent",
 "managementEvent":true,"eventCategory":"Management"}"#;

    fn record(s: &str) -> CloudTrailRecord<'_> {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn client_ids_come_from_where_each_origin_puts_them() {
        let api = record(INITIATE_AUTH_FAILURE);
        assert_eq!(api.client_id(), Some("4u37654rhubjei088dj85clscq"));
        assert_eq!(api.failure().as_deref(), Some("NotAuthorizedException"));
        assert_eq!(api.sub(), Some("87a42a58-0000-0000-0000-000000000000"));
        assert_eq!(
            api.user_pool_id(),
            None,
            "API calls name the client, not the pool"
        );
        let oauth = record(TOKEN_POST);
        assert_eq!(oauth.client_id(), Some("1example23456789"));
        assert_eq!(oauth.grant_type(), Some("client_credentials"));
        assert_eq!(oauth.user_pool_id(), Some("us-west-2_EXAMPLE"));
        assert_eq!(oauth.failure(), None);
        // A client id written as a plain string where an array is usual, and a hidden one.
        let mut v: Value = serde_json::from_str(TOKEN_POST).unwrap();
        v["additionalEventData"]["requestParameters"]["client_id"] = "plain".into();
        assert_eq!(record(&v.to_string()).client_id(), Some("plain"));
        v["additionalEventData"]["requestParameters"]["client_id"] = HIDDEN.into();
        assert_eq!(record(&v.to_string()).client_id(), None);
    }

    #[test]
    fn a_batch_aggregates_to_one_tally_per_window_and_key() {
        let mut tallies = Tallies::default();
        let pools = |c: &str| (c == "4u37654rhubjei088dj85clscq").then(|| "pool-1".to_string());
        let base: Value = serde_json::from_str(INITIATE_AUTH_FAILURE).unwrap();
        for i in 0..10_000 {
            let mut v = base.clone();
            v["eventID"] = format!("e{i}").into();
            v["additionalEventData"]["sub"] = format!("sub-{}", i % 50).into();
            tallies.add(&record(&v.to_string()), &pools);
        }
        // Event name, its class (sign-in), error code, client and IP, and the IP over its
        // account and region: six tallies for 10,000 records.
        assert_eq!(tallies.counts.len(), 6);
        let ip_in = |pool: &str| {
            &tallies.counts[&TallyId {
                pool: Some(pool.into()),
                window: record(INITIATE_AUTH_FAILURE).window(),
                key: TallyKey::Ip {
                    ip: "198.51.100.7".into(),
                },
            }]
        };
        let ip = ip_in("pool-1");
        assert_eq!(ip_in("-/ap-northeast-1"), ip);
        assert_eq!((ip.attempts, ip.failures), (10_000, 10_000));
        assert_eq!(ip.by_error["NotAuthorizedException"], 10_000);
        let distinct = ip.distinct_failing_subs();
        assert!((48..=52).contains(&distinct), "{distinct}");
    }

    #[test]
    fn an_address_is_tallied_over_its_region_only_for_what_a_detection_judges() {
        let pools = |c: &str| (c == "4u37654rhubjei088dj85clscq").then(|| "pool-1".to_string());
        let scoped = |t: &Tallies| {
            t.counts
                .iter()
                .filter(|(id, _)| id.is_region_scope())
                .map(|(_, c)| (c.requests, c.failures))
                .collect::<Vec<_>>()
        };
        let mut clean: Value = serde_json::from_str(INITIATE_AUTH_FAILURE).unwrap();
        clean.as_object_mut().unwrap().remove("errorCode");
        clean.as_object_mut().unwrap().remove("errorMessage");
        let mut t = Tallies::default();
        t.add(&record(&clean.to_string()), &pools);
        // The clean sign-in: counted for the pool's address, no region-wide item.
        assert!(t.counts.keys().any(
            |id| matches!(id.key, TallyKey::Ip { .. }) && id.pool.as_deref() == Some("pool-1")
        ));
        assert_eq!(scoped(&t), vec![]);
        // Its failure next: both, the region-wide one counting only the failure.
        t.add(&record(INITIATE_AUTH_FAILURE), &pools);
        assert_eq!(scoped(&t), vec![(1, 1)]);
    }

    #[test]
    fn unknown_clients_are_kept_and_non_cognito_records_counted() {
        let mut tallies = Tallies::default();
        tallies.add(&record(INITIATE_AUTH_FAILURE), &|_| None);
        assert!(tallies
            .counts
            .keys()
            .all(|k| k.pool.is_none() || k.is_region_scope()));
        assert!(tallies.counts.keys().any(|k| matches!(&k.key, TallyKey::Client { client_id } if client_id == "4u37654rhubjei088dj85clscq")));
        let mut v: Value = serde_json::from_str(TOKEN_POST).unwrap();
        v["eventSource"] = "s3.amazonaws.com".into();
        tallies.add(&record(&v.to_string()), &|_| None);
        assert_eq!(tallies.skipped_non_cognito, 1);
    }

    #[test]
    fn m2m_token_requests_are_counted_by_grant_type() {
        let mut tallies = Tallies::default();
        tallies.add(&record(TOKEN_POST), &|_| None);
        let client = tallies
            .counts
            .iter()
            .find(|(k, _)| matches!(k.key, TallyKey::Client { .. }))
            .unwrap()
            .1;
        assert_eq!(client.by_grant["client_credentials"], 1);
        assert_eq!(client.attempts, 1);
    }

    #[test]
    fn periods_and_merging() {
        assert_eq!(parse_period("90m"), Ok(chrono::Duration::minutes(90)));
        assert_eq!(parse_period("2d"), Ok(chrono::Duration::days(2)));
        // Out of range is an error, never a panic (it was "TimeDelta::hours out of bounds").
        for text in [
            "999999999999999991h",
            "9223372036854775807s",
            "99999999999999999999999d",
            "3651d",
            "0m",
            "h",
            "-5m",
            "11y",
            "5mo",
        ] {
            assert!(parse_period(text).is_err(), "{text}");
        }
        assert_eq!(parse_period("3650d"), Ok(chrono::Duration::days(3650)));
        assert_eq!(parse_period("1y"), Ok(chrono::Duration::days(365)));
        assert_eq!(parse_period("10y"), Ok(chrono::Duration::days(3650)));
        assert!(parse_period("h").is_err() && parse_period("0h").is_err());
        let mut tallies = Tallies::default();
        let mut second: Value = serde_json::from_str(INITIATE_AUTH_FAILURE).unwrap();
        second["eventTime"] = "2025-10-09T08:07:09Z".into();
        tallies.add(&record(INITIATE_AUTH_FAILURE), &|_| None);
        tallies.add(&record(&second.to_string()), &|_| None);
        let merged = merge_windows(tallies.counts.clone());
        assert_eq!(tallies.counts.len(), 12, "two windows");
        assert_eq!(merged.len(), 6);
        assert!(merged.values().all(|c| c.failures == 2));
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_json_never_panics(s in ".{0,400}") {
            if let Ok(r) = serde_json::from_str::<CloudTrailRecord>(&s) {
                let mut t = Tallies::default();
                t.add(&r, &|_| None);
            }
        }

        /// Whatever strings a record carries where keys come from, once bounded its tallies
        /// keep the storage bounds.
        #[test]
        fn bounded_records_make_bounded_keys(
            field in prop::sample::select(vec!["clientId", "client_id", "userPoolId", "errorCode", "sourceIPAddress", "eventName", "grant_type", "eventID"]),
            value in any::<String>(),
            long in 0usize..3000,
        ) {
            let mut v: Value = serde_json::from_str(INITIATE_AUTH_FAILURE).unwrap();
            let value = format!("{value}{}", "x".repeat(long));
            v["requestParameters"][field] = Value::from(value.clone());
            v["additionalEventData"]["requestParameters"][field] = Value::from(vec![value.clone()]);
            v["additionalEventData"][field] = Value::from(value.clone());
            v[field] = Value::from(value);
            if let Ok(r) = CloudTrailRecord::from_value(v) {
                if let Ok(r) = r.bounded() {
                    let mut t = Tallies::default();
                    t.add(&r, &|_| None);
                    prop_assert!(t.check_bounds().is_ok(), "{:?}", t.check_bounds());
                }
            }
        }

        #[test]
        fn decoding_mutated_records_never_panics(
            cut in 0usize..600,
            field in prop::sample::select(vec!["clientId", "client_id", "sub", "errorCode", "sourceIPAddress", "eventTime"]),
            value in prop_oneof![Just(Value::Null), Just(Value::from(3)), Just(Value::from(vec![1, 2])), Just(Value::from("x"))],
        ) {
            let text: String = TOKEN_POST.chars().take(cut).collect();
            let _ = serde_json::from_str::<CloudTrailRecord>(&text);
            let mut v: Value = serde_json::from_str(INITIATE_AUTH_FAILURE).unwrap();
            v["requestParameters"][field] = value.clone();
            v["additionalEventData"][field] = value.clone();
            v[field] = value;
            if let Ok(r) = CloudTrailRecord::from_value(v) {
                let mut t = Tallies::default();
                t.add(&r, &|_| None);
                let _ = (r.client_id(), r.grant_type(), r.sub(), r.failure(), r.is_token_refresh());
            }
        }
    }

    #[test]
    fn a_network_is_the_24_or_the_48_and_a_service_has_none() {
        assert_eq!(
            network_of("203.0.113.77").as_deref(),
            Some("203.0.113.0/24")
        );
        assert_eq!(
            network_of("2001:db8:abcd:12::1").as_deref(),
            Some("2001:db8:abcd::/48")
        );
        assert_eq!(network_of("cognito-idp.amazonaws.com"), None);
    }
}
