//! The end-to-end tests: one binary, a module per area (as ripgrep's tests are laid out), so the
//! SDK's dependency graph is linked once. Each runs on the local AWS test bed (moto and the
//! CloudWatch bridge, started per test on free ports) unless its line says otherwise.
//! `aws_clients` is a binary of its own: it sets Lambda's environment variables in its process.

mod support;

// The functions, one at a time.
mod bootstrap; // each function's real binary against a local Lambda Runtime API: answers, JSON logs
mod burst; // 50,000 records through the queue, each once (the longest: it sorts early, runs beside the rest)
mod cognito_answers; // Cognito's documented answers read through the SDK crates (no test bed)
mod collector; // discovery, metrics, Log Report and poll log, read back through the SDK
mod doctor; // the monitor's inputs: a working account, a broken one, each missing part named
mod evaluator; // profiles, statuses, propagation, outages, alerts through a subscribed queue
mod multi_account; // two accounts and two regions, roles assumed with the external id
mod notifications; // two profiles, three topics: each its pools' alerts and detections, once
mod posture; // pools created weak and hardened, read by the inventory, judged by the checks
mod trail; // every input shape, duplicates, write counts, detections once per window
mod trail_queue; // the queue between EventBridge and the trail: each record counted once
mod trail_shapes; // CloudTrail records in every documented field layout

// What goes wrong.
mod fault_suite; // one scenario on a clean local AWS and on one where 30% of calls fail
mod hostile; // values too long or too strange for a key, injected text, personal data
mod integrity; // a Log Report row never lost or doubled under faults
mod moto_gaps; // what moto cannot show, answered in AWS's shape; GetMetricData recovering
mod service_faults; // each AWS service failing: retried or not, and what an operator sees

// The operator's side.
mod cli_invoke; // `invoke` against a deployed function (aws-smithy-mocks)
mod events_and_cli; // every events/ file fed to its function; the CLI reads what they wrote
mod layout; // the rules the layout keeps, read from the sources (no test bed)
mod report_browser; // the HTML report in headless Chromium: loads, charts drawn, no console error (no test bed)
mod template; // the SAM templates as an experienced SAM user reads them (no test bed)
mod trail_cli; // the tally commands, `invoke trail`, the samples fed now
mod views; // what on-call opens first: the status summary, availability, the timeline

// The test bed itself.
mod bridge; // the CloudWatch CBOR bridge: values, timestamps and errors intact
