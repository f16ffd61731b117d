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
}

impl ApiCategory {
    pub const ALL: [ApiCategory; 6] = [
        ApiCategory::UserList,
        ApiCategory::UserPoolRead,
        ApiCategory::UserPoolClientRead,
        ApiCategory::UserPoolResourceRead,
        ApiCategory::IdentityList,
        ApiCategory::IdentityPoolRead,
    ];

    /// The binding quota in requests per second. For the two categories that also have a
    /// per-pool limit of 5, the per-pool limit is used, so a single pool is never over it.
    pub fn quota_rps(self) -> f64 {
        match self {
            ApiCategory::UserList => 30.0,
            ApiCategory::UserPoolRead => 15.0,
            ApiCategory::UserPoolClientRead => 5.0,
            ApiCategory::UserPoolResourceRead => 5.0,
            ApiCategory::IdentityList => 5.0,
            ApiCategory::IdentityPoolRead => 5.0,
        }
    }

    /// The requests per second the collector allows itself with `share` of the quota
    /// (0 < share <= 1), never below one request per second.
    pub fn budget_rps(self, share: f64) -> u32 {
        let rps = (self.quota_rps() * share).floor();
        if rps < 1.0 {
            1
        } else {
            rps as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_share_keeps_user_list_at_fifteen() {
        assert_eq!(ApiCategory::UserList.budget_rps(0.5), 15);
        assert_eq!(ApiCategory::UserPoolRead.budget_rps(0.5), 7);
        assert_eq!(ApiCategory::UserPoolClientRead.budget_rps(0.5), 2);
        assert_eq!(ApiCategory::IdentityList.budget_rps(0.1), 1);
    }
}
