//! Per-scope request budgets for the Cognito API quota categories (facts file §3).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use cognito_watch_core::inventory::quota::ApiCategory;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Rate limiters of one account and region.
#[derive(Clone)]
pub struct Limits {
    limiters: Arc<HashMap<ApiCategory, DefaultDirectRateLimiter>>,
}

impl Limits {
    pub fn new(share: f64) -> Limits {
        let limiters = ApiCategory::ALL
            .into_iter()
            .map(|c| {
                let rps = NonZeroU32::new(c.budget_rps(share)).unwrap_or(NonZeroU32::MIN);
                (c, RateLimiter::direct(Quota::per_second(rps)))
            })
            .collect();
        Limits {
            limiters: Arc::new(limiters),
        }
    }

    /// Wait for a request slot of this category.
    pub async fn acquire(&self, category: ApiCategory) {
        if let Some(l) = self.limiters.get(&category) {
            l.until_ready().await;
        }
    }
}
