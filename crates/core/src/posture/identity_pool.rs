//! Identity pool checks: guest access off (Security Hub Cognito.2), the classic flow off.

use super::{Check, CheckSeverity, Judge, Outcome, PostureSettings};
use crate::inventory::monitor::IdentityPoolDetails;

fn guest_access(d: &IdentityPoolDetails, _: &PostureSettings) -> Outcome {
    if d.allow_unauthenticated_identities {
        Outcome::fail("guests (unauthenticated identities) get AWS credentials")
    } else {
        Outcome::pass()
    }
}

/// Security Hub Cognito.2.
pub const GUEST_ACCESS: Check = Check {
    id: "identity_pool.guest_access",
    title: "Guests (unauthenticated identities) get no AWS credentials",
    severity: CheckSeverity::Medium,
    trail_words: &["allowUnauthenticatedIdentities"],
    references: &[
        "Security Hub Cognito.2",
        "AWS Config cognito-identity-pool-unauth-access-check",
        "Checkov CKV_AWS_366",
        "cfn-nag W57",
    ],
    fix: "Set AllowUnauthenticatedIdentities to false, or scope the guest role to the least it \
          needs and record the reason",
    judge: Judge::IdentityPool(guest_access),
};

fn classic_flow(d: &IdentityPoolDetails, _: &PostureSettings) -> Outcome {
    if d.allow_classic_flow == Some(true) {
        Outcome::fail("the basic (classic) authentication flow is on")
    } else {
        Outcome::pass()
    }
}

/// The basic flow hands out the role a client asks for (GetOpenIdToken, then
/// AssumeRoleWithWebIdentity), bypassing the pool's role rules.
pub const CLASSIC_FLOW: Check = Check {
    id: "identity_pool.classic_flow",
    title: "The basic (classic) authentication flow is off",
    severity: CheckSeverity::Low,
    trail_words: &[],
    references: &["AllowClassicFlow"],
    fix: "Set AllowClassicFlow to false and use the enhanced flow",
    judge: Judge::IdentityPool(classic_flow),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guests_and_the_classic_flow_fail_and_their_absence_passes() {
        let mut d = IdentityPoolDetails::default();
        assert_eq!(
            guest_access(&d, &PostureSettings::default()),
            Outcome::pass()
        );
        assert_eq!(
            classic_flow(&d, &PostureSettings::default()),
            Outcome::pass()
        );
        d.allow_unauthenticated_identities = true;
        d.allow_classic_flow = Some(true);
        assert!(matches!(
            guest_access(&d, &PostureSettings::default()),
            Outcome::Fail { .. }
        ));
        assert!(matches!(
            classic_flow(&d, &PostureSettings::default()),
            Outcome::Fail { .. }
        ));
    }
}
