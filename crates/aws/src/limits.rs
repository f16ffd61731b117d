//! Per-scope request budgets for the Cognito API quota categories (facts file §3): each
//! request is booked under its category's budget in the account and, for the categories with
//! a per-pool quota, its budget about that pool too (the core's [`Pacer`]), then sent at the
//! booked time. Requests are spaced evenly (no burst), so no second holds more than a budget.

use std::sync::{Arc, Mutex};

use cognito_watch_core::inventory::quota::{spacing, ApiCategory, Pacer};
use tokio::time::Instant;

/// A budget: a category in the account, or a category about one user pool.
type Budget = (ApiCategory, Option<String>);

/// The request pacing of one account and region.
#[derive(Clone)]
pub struct Limits {
    share: f64,
    origin: Instant,
    pacer: Arc<Mutex<Pacer<Budget>>>,
}

impl Limits {
    pub fn new(share: f64) -> Limits {
        Limits {
            share,
            origin: Instant::now(),
            pacer: Arc::default(),
        }
    }

    /// Wait for a request slot of this category, about `pool` when the request names one.
    pub async fn acquire(&self, category: ApiCategory, pool: Option<&str>) {
        let mut budgets = vec![((category, None), spacing(category.budget_rps(self.share)))];
        if let (Some(pool), Some(rps)) = (pool, category.pool_budget_rps(self.share)) {
            budgets.push(((category, Some(pool.to_string())), spacing(rps)));
        }
        let at = self
            .pacer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .book(self.origin.elapsed(), &budgets);
        tokio::time::sleep_until(self.origin + at).await;
    }
}
