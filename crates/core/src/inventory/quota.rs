//! Cognito API quota categories (requests per second, per account and region) and the share of
//! each that the collector allows itself. See the facts file §3.

/// A Cognito API quota category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiCategory {
    /// ListUsers, ListUsersInGroup: 30 RPS.
    UserList,
    /// DescribeUserPool, ListUserPools: 15 RPS.
    UserPoolRead,
    /// DescribeUserPoolClient, ListUserPoolClients: 15 RPS and 5 per pool.
    UserPoolClientRead,
    /// ListIdentityProviders, DescribeIdentityProvider, ListTagsForResource: 20 RPS and 5 per pool.
    UserPoolResourceRead,
    /// cognito-identity ListIdentities: 5 RPS.
    IdentityList,
    /// Other cognito-identity reads (ListIdentityPools, DescribeIdentityPool, GetIdentityPoolRoles).
    IdentityPoolRead,
    /// AWS WAF's GetWebACLForResource: WAF publishes no rate for it; paced at 5 RPS.
    WebAclRead,
}

impl ApiCategory {
    /// Every category.
    pub const ALL: [ApiCategory; 7] = [
        ApiCategory::UserList,
        ApiCategory::UserPoolRead,
        ApiCategory::UserPoolClientRead,
        ApiCategory::UserPoolResourceRead,
        ApiCategory::IdentityList,
        ApiCategory::IdentityPoolRead,
        ApiCategory::WebAclRead,
    ];

    /// The account's quota in requests per second (per account and region).
    pub fn quota_rps(self) -> f64 {
        match self {
            ApiCategory::UserList => 30.0,
            ApiCategory::UserPoolRead => 15.0,
            ApiCategory::UserPoolClientRead => 15.0,
            ApiCategory::UserPoolResourceRead => 20.0,
            ApiCategory::IdentityList => 5.0,
            ApiCategory::IdentityPoolRead => 5.0,
            ApiCategory::WebAclRead => 5.0,
        }
    }

    /// The quota of requests per second about one user pool, for the two categories that
    /// have one besides the account's.
    pub fn pool_quota_rps(self) -> Option<f64> {
        match self {
            ApiCategory::UserPoolClientRead | ApiCategory::UserPoolResourceRead => Some(5.0),
            _ => None,
        }
    }

    /// The requests per second the collector allows itself in the account with `share` of
    /// the quota (0 < share <= 1), never below one request per second.
    pub fn budget_rps(self, share: f64) -> u32 {
        budget(self.quota_rps(), share)
    }

    /// The requests per second the collector allows itself about one user pool, where the
    /// category has a per-pool quota.
    pub fn pool_budget_rps(self, share: f64) -> Option<u32> {
        self.pool_quota_rps().map(|q| budget(q, share))
    }

    /// The category of a Cognito operation the collector calls (`None`: not a Cognito
    /// quota the collector paces, e.g. CloudWatch's).
    pub fn of(operation: &str) -> Option<ApiCategory> {
        Some(match operation {
            "ListUsers" | "ListUsersInGroup" => ApiCategory::UserList,
            "ListUserPools"
            | "DescribeUserPool"
            | "GetUserPoolMfaConfig"
            | "DescribeRiskConfiguration"
            | "GetLogDeliveryConfiguration" => ApiCategory::UserPoolRead,
            "ListUserPoolClients" | "DescribeUserPoolClient" => ApiCategory::UserPoolClientRead,
            "ListIdentityProviders" | "DescribeIdentityProvider" | "ListTagsForResource" => {
                ApiCategory::UserPoolResourceRead
            }
            "ListIdentities" => ApiCategory::IdentityList,
            "ListIdentityPools" | "DescribeIdentityPool" | "GetIdentityPoolRoles" => {
                ApiCategory::IdentityPoolRead
            }
            "GetWebACLForResource" => ApiCategory::WebAclRead,
            _ => return None,
        })
    }

    /// The category's name, as AWS's quota table names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiCategory::UserList => "UserList",
            ApiCategory::UserPoolRead => "UserPoolRead",
            ApiCategory::UserPoolClientRead => "UserPoolClientRead",
            ApiCategory::UserPoolResourceRead => "UserPoolResourceRead",
            ApiCategory::IdentityList => "IdentityList",
            ApiCategory::IdentityPoolRead => "IdentityPoolRead",
            ApiCategory::WebAclRead => "WebAclRead",
        }
    }
}

fn budget(quota_rps: f64, share: f64) -> u32 {
    let rps = (quota_rps * share).floor();
    if rps < 1.0 {
        1
    } else {
        rps as u32
    }
}

/// Slack added to each request's spacing, so a late wake-up (a timer's granularity, a busy
/// runtime) never puts one request more into a second than the budget.
pub const PACE_GUARD: std::time::Duration = std::time::Duration::from_millis(20);

/// The spacing of requests at `rps` a second: one every (1 s + guard) / rps.
pub fn spacing(rps: u32) -> std::time::Duration {
    (std::time::Duration::from_secs(1) + PACE_GUARD) / rps.max(1)
}

/// Paces requests under several budgets at once (a category's in the account and its budget
/// about one pool): a request is booked at the earliest time every one of its budgets allows,
/// and that time is taken from all of them together, so each budget's requests are spaced at
/// the moment they are sent, not when one of the budgets let them through. Requests are served
/// in the order they book (no starvation). Times are offsets from any fixed origin.
#[derive(Debug)]
pub struct Pacer<K> {
    next: std::collections::HashMap<K, std::time::Duration>,
}

impl<K> Default for Pacer<K> {
    fn default() -> Self {
        Pacer {
            next: std::collections::HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Pacer<K> {
    /// Book a request at `now` under `budgets` (each a key and its spacing): returns when to
    /// send it (never before `now`).
    pub fn book(
        &mut self,
        now: std::time::Duration,
        budgets: &[(K, std::time::Duration)],
    ) -> std::time::Duration {
        let at = budgets
            .iter()
            .filter_map(|(k, _)| self.next.get(k))
            .fold(now, |at, next| at.max(*next));
        for (k, spacing) in budgets {
            self.next.insert(k.clone(), at + *spacing);
        }
        at
    }
}

/// What the number of calls per poll depends on: per user pool its app clients and identity
/// providers, and the identity pools.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EstateShape {
    /// (app clients, identity providers) of each user pool.
    pub user_pools: Vec<(u64, u64)>,
    /// Identity pools.
    pub identity_pools: u64,
}

/// Pages of a listing of `n` items, `size` a page: at least one (an empty listing is a call).
fn pages(n: u64, size: u64) -> u64 {
    n.div_ceil(size).max(1)
}

/// Cognito's listings page size (the collector asks for the maximum, 60).
pub const COGNITO_PAGE: u64 = 60;
/// ListMetrics answers up to 500 metrics a page.
pub const LIST_METRICS_PAGE: u64 = 500;
/// GetMetricData takes up to 500 queries a call.
pub const QUERIES_PER_CALL: u64 = 500;

/// The calls one inventory of a scope makes, by operation (the README's formula): the user
/// pools listed, each described, its posture read (MFA, risk configuration, log delivery, web
/// ACL) and its tags read; each pool's app clients and identity
/// providers listed and each described; the identity pools listed, each described and its
/// roles read.
pub fn inventory_calls(shape: &EstateShape) -> std::collections::BTreeMap<&'static str, u64> {
    let p = shape.user_pools.len() as u64;
    let sum = |f: &dyn Fn(&(u64, u64)) -> u64| shape.user_pools.iter().map(f).sum::<u64>();
    let i = shape.identity_pools;
    [
        ("ListUserPools", pages(p, COGNITO_PAGE)),
        ("DescribeUserPool", p),
        // The posture checks' reads, one each per pool.
        ("GetUserPoolMfaConfig", p),
        ("DescribeRiskConfiguration", p),
        ("GetLogDeliveryConfiguration", p),
        ("GetWebACLForResource", p),
        ("ListTagsForResource", p),
        (
            "ListUserPoolClients",
            sum(&|(c, _)| pages(*c, COGNITO_PAGE)),
        ),
        ("DescribeUserPoolClient", sum(&|(c, _)| *c)),
        (
            "ListIdentityProviders",
            sum(&|(_, d)| pages(*d, COGNITO_PAGE)),
        ),
        ("DescribeIdentityProvider", sum(&|(_, d)| *d)),
        ("ListIdentityPools", pages(i, COGNITO_PAGE)),
        ("DescribeIdentityPool", i),
        ("GetIdentityPoolRoles", i),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// The calls one metrics read makes when its ListMetrics listing is not cached: the listing's
/// pages and one GetMetricData call per 500 queries (while a call's datapoints fit its limit).
pub fn metrics_calls(
    listed_series: u64,
    queries: u64,
) -> std::collections::BTreeMap<&'static str, u64> {
    [
        ("ListMetrics", pages(listed_series, LIST_METRICS_PAGE)),
        ("GetMetricData", queries.div_ceil(QUERIES_PER_CALL)),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// The least time the calls of one inventory can take paced at the budgets of `share`: the
/// slowest category in the account, or the slowest pool in a category with a per-pool budget
/// (a pool's calls are made one after another).
pub fn least_inventory_seconds(shape: &EstateShape, share: f64) -> f64 {
    let mut by_category: std::collections::HashMap<ApiCategory, u64> = Default::default();
    for (op, n) in inventory_calls(shape) {
        if let Some(c) = ApiCategory::of(op) {
            *by_category.entry(c).or_default() += n;
        }
    }
    let account = by_category
        .iter()
        .map(|(c, n)| *n as f64 * spacing(c.budget_rps(share)).as_secs_f64())
        .fold(0.0, f64::max);
    let one = |pool: &(u64, u64)| {
        inventory_calls(&EstateShape {
            user_pools: vec![*pool],
            identity_pools: 0,
        })
    };
    let pool = shape
        .user_pools
        .iter()
        .map(|p| {
            one(p)
                .into_iter()
                .filter(|(op, _)| *op != "ListUserPools" && *op != "ListIdentityPools")
                .filter_map(|(op, n)| {
                    let c = ApiCategory::of(op)?;
                    Some(n as f64 * spacing(c.pool_budget_rps(share)?).as_secs_f64())
                })
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    account.max(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_share_keeps_user_list_at_fifteen() {
        assert_eq!(ApiCategory::UserList.budget_rps(0.5), 15);
        assert_eq!(ApiCategory::UserPoolRead.budget_rps(0.5), 7);
        assert_eq!(ApiCategory::UserPoolClientRead.budget_rps(0.5), 7);
        assert_eq!(
            ApiCategory::UserPoolClientRead.pool_budget_rps(0.5),
            Some(2)
        );
        assert_eq!(ApiCategory::UserPoolResourceRead.budget_rps(0.5), 10);
        assert_eq!(
            ApiCategory::UserPoolResourceRead.pool_budget_rps(0.5),
            Some(2)
        );
        assert_eq!(ApiCategory::UserPoolRead.pool_budget_rps(0.5), None);
        assert_eq!(ApiCategory::IdentityList.budget_rps(0.1), 1);
    }

    /// The two categories with a per-pool quota are paced by the account's quota too: the
    /// per-pool quota alone (5 RPS) held an estate's inventory to 2 client reads a second.
    #[test]
    fn per_pool_quota_is_kept_beside_the_account_quota_not_instead_of_it() {
        for c in [
            ApiCategory::UserPoolClientRead,
            ApiCategory::UserPoolResourceRead,
        ] {
            let (account, pool) = (c.budget_rps(0.5), c.pool_budget_rps(0.5));
            assert!(
                pool.is_some_and(|p| p < account),
                "{c:?}: {account} vs {pool:?}"
            );
        }
    }

    #[test]
    fn every_operation_the_collector_paces_has_its_category() {
        for (op, c) in [
            ("ListUsers", ApiCategory::UserList),
            ("DescribeUserPool", ApiCategory::UserPoolRead),
            ("DescribeUserPoolClient", ApiCategory::UserPoolClientRead),
            ("ListTagsForResource", ApiCategory::UserPoolResourceRead),
            ("ListIdentities", ApiCategory::IdentityList),
            ("GetIdentityPoolRoles", ApiCategory::IdentityPoolRead),
        ] {
            assert_eq!(ApiCategory::of(op), Some(c));
        }
        assert_eq!(ApiCategory::of("GetMetricData"), None);
    }

    #[test]
    fn an_estates_inventory_calls_follow_the_formula() {
        let shape = EstateShape {
            user_pools: vec![(10, 2); 100],
            identity_pools: 0,
        };
        let calls = inventory_calls(&shape);
        assert_eq!(calls["ListUserPools"], 2);
        assert_eq!(calls["DescribeUserPool"], 100);
        for posture in [
            "GetUserPoolMfaConfig",
            "DescribeRiskConfiguration",
            "GetLogDeliveryConfiguration",
        ] {
            assert_eq!(calls[posture], 100, "{posture}");
            assert_eq!(ApiCategory::of(posture), Some(ApiCategory::UserPoolRead));
        }
        assert_eq!(calls["GetWebACLForResource"], 100);
        assert_eq!(
            ApiCategory::of("GetWebACLForResource"),
            Some(ApiCategory::WebAclRead)
        );
        assert_eq!(calls["ListTagsForResource"], 100);
        assert_eq!(calls["ListUserPoolClients"], 100);
        assert_eq!(calls["DescribeUserPoolClient"], 1000);
        assert_eq!(calls["ListIdentityProviders"], 100);
        assert_eq!(calls["DescribeIdentityProvider"], 200);
        assert_eq!(calls["ListIdentityPools"], 1);
        assert!(!calls.contains_key("DescribeIdentityPool"));
        let with_many = EstateShape {
            user_pools: vec![(61, 0)],
            identity_pools: 61,
        };
        let calls = inventory_calls(&with_many);
        assert_eq!(calls["ListUserPoolClients"], 2);
        assert_eq!(calls["ListIdentityProviders"], 1);
        assert_eq!(calls["ListIdentityPools"], 2);
        assert_eq!(calls["GetIdentityPoolRoles"], 61);
        let m = metrics_calls(6400, 9600);
        assert_eq!((m["ListMetrics"], m["GetMetricData"]), (13, 20));
    }

    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        /// Whatever the order and timing of requests over two pools, every budget's requests
        /// are at least its spacing apart, none is sent before it asked, and a request whose
        /// budgets are all idle is sent at once.
        #[test]
        fn paced_requests_keep_every_budgets_spacing(
            asks in proptest::collection::vec((0u64..3_000, 0usize..3), 1..60),
        ) {
            let account = spacing(7);
            let pool = spacing(2);
            let mut pacer = Pacer::default();
            let mut sent: Vec<(Duration, usize)> = Vec::new();
            let mut now = Duration::ZERO;
            for (gap, p) in asks {
                now += Duration::from_millis(gap);
                let idle = sent.iter().all(|(t, q)| {
                    *t + account <= now && (*q != p || *t + pool <= now)
                });
                let at = pacer.book(now, &[("account".to_string(), account), (format!("pool{p}"), pool)]);
                prop_assert!(at >= now);
                if idle {
                    prop_assert_eq!(at, now);
                }
                sent.push((at, p));
            }
            sent.sort();
            for w in sent.windows(2) {
                prop_assert!(w[1].0 - w[0].0 >= account);
            }
            for p in 0..3 {
                let times: Vec<_> = sent.iter().filter(|(_, q)| *q == p).map(|(t, _)| *t).collect();
                for w in times.windows(2) {
                    prop_assert!(w[1] - w[0] >= pool);
                }
            }
        }
    }

    /// At its budget, no one-second window holds more requests than the budget, even when
    /// every request is sent a little late.
    #[test]
    fn a_second_never_holds_more_than_the_budget() {
        for rps in [1, 2, 7, 10, 15] {
            let mut pacer = Pacer::default();
            let times: Vec<Duration> = (0..50)
                .map(|i| {
                    let at = pacer.book(Duration::ZERO, &[((), spacing(rps))]);
                    // every other request sent late, by up to the guard
                    at + if i % 2 == 0 {
                        PACE_GUARD / 2
                    } else {
                        Duration::ZERO
                    }
                })
                .collect();
            for (i, t) in times.iter().enumerate() {
                let in_second = times[i..]
                    .iter()
                    .take_while(|u| **u - *t < Duration::from_secs(1))
                    .count();
                assert!(
                    in_second <= rps as usize,
                    "{rps}/s: {in_second} in a second"
                );
            }
        }
    }

    /// 1,100 client reads at 7 a second bind the 100-pool estate; one pool alone is bound by
    /// its per-pool budget of 2 a second (11 client reads + 4 resource reads).
    #[test]
    fn the_least_inventory_time_is_the_slowest_budget() {
        let estate = EstateShape {
            user_pools: vec![(10, 2); 100],
            identity_pools: 0,
        };
        let t = least_inventory_seconds(&estate, 0.5);
        assert!((t - 1100.0 * 1.02 / 7.0).abs() < 1e-6, "{t}");
        let one = EstateShape {
            user_pools: vec![(10, 2)],
            identity_pools: 0,
        };
        let t = least_inventory_seconds(&one, 0.5);
        assert!((t - 15.0 * 0.51).abs() < 1e-6, "{t}");
    }
}
