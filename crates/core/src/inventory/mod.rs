//! Polling: what the collector knows and reads. Monitors and their details (`monitor`), the
//! metric catalogue (`catalogue`), GetMetricData planning and aggregation (`series`) over poll
//! windows (`window`), resumable user and identity sweeps (`sweep`), the Cognito API quotas
//! (`quota`), DynamoDB write batching (`batch`), and what a poll records (`record`: the Log
//! Report rows, the poll log, the scope cursor), and how a listing of a pool's children reconciles with the
//! children stored before it (`reconcile`).

pub mod batch;
pub mod catalogue;
pub mod monitor;
pub mod quota;
pub mod reconcile;
pub mod record;
pub mod security;
pub mod series;
pub mod sweep;
pub mod window;
