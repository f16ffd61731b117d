//! The CloudWatch metric source: ListMetrics of `AWS/Cognito` (series with data in the last two
//! weeks) and GetMetricData for a planned batch of queries, paged.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use chrono::{DateTime, Utc};
use cognito_watch_core::inventory::series::{Call, Query, Series, NAMESPACE};
use cognito_watch_core::inventory::window::PERIOD_SECONDS;

use crate::error::AwsError;
use crate::sdk::{from_chrono, to_chrono, ScopeClients};

/// Datapoints per query of one GetMetricData call, in plan order of the call's queries.
pub type CallResult = Vec<Vec<(DateTime<Utc>, f64)>>;

impl ScopeClients {
    /// Every `AWS/Cognito` series ListMetrics reports, each once.
    pub async fn list_cognito_series(&self) -> Result<Vec<Series>, AwsError> {
        let mut seen = BTreeSet::new();
        let mut pages = self
            .cloudwatch
            .list_metrics()
            .namespace(NAMESPACE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("ListMetrics", e))?;
            for m in page.metrics() {
                let Some(name) = m.metric_name() else {
                    continue;
                };
                let dimensions: BTreeMap<String, String> = m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name.clone()?, d.value.clone()?)))
                    .collect();
                seen.insert(Series {
                    metric_name: name.to_string(),
                    dimensions,
                });
            }
        }
        Ok(seen.into_iter().collect())
    }

    /// Run one planned GetMetricData call (all its pages); datapoints per query of the call.
    pub async fn get_metric_data(
        &self,
        plan: &[Query],
        call: &Call,
    ) -> Result<CallResult, AwsError> {
        let queries: Vec<MetricDataQuery> = call
            .queries
            .iter()
            .enumerate()
            .map(|(i, &q)| {
                let q = &plan[q];
                let dims = q
                    .series
                    .dimensions
                    .iter()
                    .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                    .collect();
                let metric = Metric::builder()
                    .namespace(NAMESPACE)
                    .metric_name(&q.series.metric_name)
                    .set_dimensions(Some(dims))
                    .build();
                let stat = MetricStat::builder()
                    .metric(metric)
                    .period(PERIOD_SECONDS as i32)
                    .stat(q.stat.as_str())
                    .build();
                MetricDataQuery::builder()
                    .id(format!("q{i}"))
                    .metric_stat(stat)
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut out: CallResult = vec![Vec::new(); queries.len()];
        let mut pages = self
            .cloudwatch
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(from_chrono(call.window.start))
            .end_time(from_chrono(call.window.end))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("GetMetricData", e))?;
            for r in page.metric_data_results() {
                let Some(i) = r
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                let Some(slot) = out.get_mut(i) else { continue };
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    // Only datapoints inside the slice count: a datapoint is never read twice.
                    if let Some(t) =
                        to_chrono(t).filter(|t| *t >= call.window.start && *t < call.window.end)
                    {
                        slot.push((t, *v));
                    }
                }
            }
            if let Some(m) = page
                .messages()
                .iter()
                .find(|m| m.code() == Some("MaxQueryTimeRangeExceed"))
            {
                return Err(AwsError::other(
                    "GetMetricData",
                    m.value().unwrap_or("query time range exceeded").to_string(),
                ));
            }
        }
        Ok(out)
    }
}
