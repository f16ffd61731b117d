//! Reading and counting a CloudTrail record allocates nothing once its pool, window, keys and
//! error codes have been seen: the record is read straight from its bytes (strings borrowed),
//! and the tallies are keyed by interned names. (Before: a `serde_json::Value` per record, a
//! copy of each string into the record, and a cloned pool and key per tally updated.)

use cognito_watch_core::trail::intake::Intake;

/// A failed sign-in through the hosted UI: every tally kind a user pool record reaches (event,
/// error, client, IP and its account-and-region scope, the failing user's sketch bucket).
const FAILED_SIGN_IN: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Unknown","principalId":"Anonymous"},"eventTime":"2026-11-21T10:04:31Z","eventSource":"cognito-idp.amazonaws.com","eventName":"InitiateAuth","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) aws-amplify/6.6.4","errorCode":"NotAuthorizedException","errorMessage":"Incorrect username or password.","requestParameters":{"authFlow":"USER_SRP_AUTH","authParameters":"HIDDEN_DUE_TO_SECURITY_REASONS","clientId":"4u37654rhubjei088dj85clscq","userPoolId":"us-east-1_AbCdEf123"},"responseElements":null,"additionalEventData":{"sub":"5f3c1a2b-0000-4000-8000-000000000001"},"requestID":"8a1f","eventID":"3a2b9c1d-0000-4000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"cognito-idp.us-east-1.amazonaws.com"}}"#;

/// A machine-to-machine token request at the token endpoint.
const M2M_TOKEN: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"Unknown","principalId":"Anonymous"},"eventTime":"2026-11-21T10:04:32Z","eventSource":"cognito-idp.amazonaws.com","eventName":"Token_POST","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"curl/8.5","requestParameters":null,"responseElements":null,"additionalEventData":{"responseParameters":{"status":200},"requestParameters":{"grant_type":["client_credentials"],"client_id":["1example23456789"]},"userPoolDomain":"auth.example.com","userPoolId":"us-east-1_AbCdEf123"},"eventID":"473e5cbc-0000-4000-8000-000000000002","readOnly":false,"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;

#[test]
fn a_record_like_one_already_counted_is_read_and_counted_without_allocating() {
    let mut intake = Intake::new(Box::new(|_: &str| None));
    for record in [FAILED_SIGN_IN, M2M_TOKEN] {
        // The first of its kind: its names are interned, its tallies created.
        intake.add_text(record);
        let again = allocation_counter::measure(|| intake.add_text(record));
        assert_eq!(
            again.count_total, 0,
            "reading and counting a record like one already counted allocated {} times",
            again.count_total
        );
    }
    assert_eq!(intake.counts.cognito_records, 4);
    assert_eq!(intake.counts.malformed, 0);
    let tallies = intake.tallies();
    let ip = tallies
        .counts
        .iter()
        .find(|(id, _)| {
            id.pool.as_deref() == Some("us-east-1_AbCdEf123") && id.key.value() == "198.51.100.7"
        })
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    assert_eq!(
        (ip.requests, ip.failures, ip.distinct_failing_subs()),
        (2, 2, 1)
    );
    let scope = tallies
        .counts
        .keys()
        .find(|id| id.pool.as_deref() == Some("111122223333/us-east-1"));
    assert!(scope.is_some(), "the account and region scope is counted");
}
