//! `invoke` against a deployed function (Lambda Invoke through aws-smithy-mocks: the emulator
//! cannot run Lambda code without Docker): the request names the function, asks for the log
//! tail and carries the event; the answer and the log tail are shown; a function error is the
//! CLI's error, with the log tail.

use aws_sdk_lambda::operation::invoke::InvokeOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use base64::Engine;
use cognito_watch_cli::deployed;
use serde_json::json;

fn tail(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn a_deployed_function_runs_and_its_answer_and_log_tail_are_shown() {
    let ran = mock!(aws_sdk_lambda::Client::invoke)
        .match_requests(|r| {
            r.function_name() == Some("cognito-watch-collector")
                && r.log_type() == Some(&LogType::Tail)
                && r.payload().map(|p| p.as_ref()) == Some(br#"{"tasks":["inventory"]}"#.as_slice())
        })
        .then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new(br#"{"scopes":[{"region":"us-east-1","pools":3}]}"#.to_vec()))
                .log_result(tail("START RequestId: 1\n{\"level\":\"INFO\",\"message\":\"poll done\"}\nEND RequestId: 1\n"))
                .build()
        });
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&ran]);
    let invoked = deployed::invoke(
        &client,
        "cognito-watch-collector",
        &json!({"tasks": ["inventory"]}),
    )
    .await
    .unwrap();
    assert_eq!(ran.num_calls(), 1);
    assert_eq!(invoked.status, 200);
    assert_eq!(invoked.answer["scopes"][0]["pools"], 3);
    let mut out = Vec::new();
    deployed::print(&invoked, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("\"pools\": 3")
            && text.contains("--- log tail of cognito-watch-collector ---")
            && text.contains("poll done"),
        "{text}"
    );
}

#[tokio::test]
async fn a_deployed_function_that_fails_is_an_error_with_its_log_tail() {
    let failed = mock!(aws_sdk_lambda::Client::invoke).then_output(|| {
        InvokeOutput::builder()
            .status_code(200)
            .function_error("Unhandled")
            .payload(Blob::new(
                br#"{"errorType":"CollectorError.StateStoreFailed","errorMessage":"table gone"}"#
                    .to_vec(),
            ))
            .log_result(tail("ERROR state table gone\n"))
            .build()
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&failed]);
    let err = deployed::invoke(&client, "cognito-watch-collector", &json!({}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("cognito-watch-collector failed (Unhandled)")
            && text.contains("CollectorError.StateStoreFailed")
            && text.contains("ERROR state table gone"),
        "{text}"
    );
    assert_eq!(err.exit_code(), 1);
}
