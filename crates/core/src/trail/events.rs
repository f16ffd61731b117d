//! What each Cognito event name is: the user pools API's calls, the classic hosted UI's and
//! managed login's endpoint events (AWS's "Amazon Cognito logging in AWS CloudTrail" lists
//! both, with their own spellings: `Login_POST` beside `login_POST`), sorted into the
//! [`EventClass`]es the tallies and detections count. A name not listed is a request only.
//!
//! Managed login's records are service events shaped like the classic hosted UI's (the client
//! in `additionalEventData.requestParameters.client_id[0]`, the user's `sub`, the HTTP status
//! in `additionalEventData.responseParameters.status`), so they are read the same way.

/// The kind of step an event is in a user's authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventClass {
    /// Submits credentials, or starts a sign-in (`sign-in`): what the pool's failure spike
    /// judges.
    SignIn,
    /// Answers a challenge after the credentials: MFA codes, one-time passwords, a chosen
    /// challenge (`challenge`).
    Challenge,
    /// Exchanges a code, an assertion or a refresh token for tokens (`token`).
    Token,
    /// Signs up or confirms a sign-up (`sign-up`).
    SignUp,
    /// Asks for, or confirms, a password reset (`reset`).
    Reset,
    /// Registers a passkey (`passkey`).
    PasskeyRegistration,
}

impl EventClass {
    /// Every class.
    pub const ALL: [EventClass; 6] = [
        EventClass::SignIn,
        EventClass::Challenge,
        EventClass::Token,
        EventClass::SignUp,
        EventClass::Reset,
        EventClass::PasskeyRegistration,
    ];

    /// The class's name, as tallied and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            EventClass::SignIn => "sign-in",
            EventClass::Challenge => "challenge",
            EventClass::Token => "token",
            EventClass::SignUp => "sign-up",
            EventClass::Reset => "reset",
            EventClass::PasskeyRegistration => "passkey",
        }
    }

    /// A shown name back to its class.
    pub fn parse(s: &str) -> Option<EventClass> {
        EventClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The event names of the class: the API's, the classic hosted UI's, managed login's.
    pub fn events(self) -> &'static [&'static str] {
        match self {
            EventClass::SignIn => SIGN_IN_EVENTS,
            EventClass::Challenge => CHALLENGE_EVENTS,
            EventClass::Token => TOKEN_EVENTS,
            EventClass::SignUp => SIGN_UP_EVENTS,
            EventClass::Reset => RESET_EVENTS,
            EventClass::PasskeyRegistration => PASSKEY_EVENTS,
        }
    }

    /// The class of an event name; None for a request that is none of them (page views, the
    /// console's and administrators' calls, sign-outs).
    pub fn of(event_name: &str) -> Option<EventClass> {
        EventClass::ALL
            .into_iter()
            .find(|c| c.events().contains(&event_name))
    }
}

impl std::fmt::Display for EventClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const SIGN_IN_EVENTS: &[&str] = &[
    "InitiateAuth",
    "AdminInitiateAuth",
    // classic hosted UI
    "Login_POST",
    "CognitoAuthentication",
    "Login_OIDC_SAML_POST",
    // managed login
    "login_POST",
    "login_continue_POST",
    "login_passkey_POST",
];

const CHALLENGE_EVENTS: &[&str] = &[
    "RespondToAuthChallenge",
    "AdminRespondToAuthChallenge",
    // classic hosted UI
    "Mfa_POST",
    "MFA_POST",
    "MfaRegister_POST",
    // managed login
    "selectChallenge_POST",
    "verifyCode_POST",
    "mfa_totp_POST",
    "mfa_phone_verify_POST",
    "mfa_phone_register_POST",
];

const TOKEN_EVENTS: &[&str] = &[
    "GetTokensFromRefreshToken",
    // the OAuth endpoints (managed login shares them)
    "Token_POST",
    "Beta_Token_POST",
    "SAML2Response_POST",
    "Beta_SAML2Response_POST",
    "OAuth2Response_GET",
    "OAuth2Response_POST",
];

const SIGN_UP_EVENTS: &[&str] = &[
    "SignUp",
    "ConfirmSignUp",
    // classic hosted UI
    "Signup_POST",
    "Confirm_POST",
    // managed login
    "signup_POST",
    "signup_confirm_POST",
];

const RESET_EVENTS: &[&str] = &[
    "ForgotPassword",
    "ConfirmForgotPassword",
    // classic hosted UI
    "ForgotPassword_POST",
    "ConfirmForgotPassword_POST",
    "ResetPassword_POST",
    // managed login
    "forgotPassword_POST",
];

const PASSKEY_EVENTS: &[&str] = &[
    "StartWebAuthnRegistration",
    "CompleteWebAuthnRegistration",
    // managed login
    "passkeys_add_POST",
];

/// The password reset *requests* (the API's, the classic hosted UI's, managed login's): what
/// a reset flood is made of. Confirmations are resets too, but not requests.
pub const PASSWORD_RESET_EVENTS: &[&str] = &[
    "ForgotPassword",
    "ForgotPassword_POST",
    "forgotPassword_POST",
];

/// The events a guest calls on an identity pool: one source calling them across many
/// identity pools is enumerating them.
pub const IDENTITY_POOL_GUEST_EVENTS: &[&str] = &["GetId", "GetCredentialsForIdentity"];

/// The identity pool reads that list or describe pools: from a principal not seen calling
/// them lately, reconnaissance.
pub const IDENTITY_POOL_READ_EVENTS: &[&str] = &["ListIdentityPools", "DescribeIdentityPool"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_endpoint_event_that_authenticates_has_a_class() {
        // The classic hosted UI's and managed login's events that submit something a user
        // authenticates with (AWS's lists), and what each is.
        let expected = [
            ("Login_POST", EventClass::SignIn),
            ("CognitoAuthentication", EventClass::SignIn),
            ("login_POST", EventClass::SignIn),
            ("login_continue_POST", EventClass::SignIn),
            ("login_passkey_POST", EventClass::SignIn),
            ("selectChallenge_POST", EventClass::Challenge),
            ("verifyCode_POST", EventClass::Challenge),
            ("mfa_totp_POST", EventClass::Challenge),
            ("mfa_phone_verify_POST", EventClass::Challenge),
            ("Mfa_POST", EventClass::Challenge),
            ("Token_POST", EventClass::Token),
            ("SAML2Response_POST", EventClass::Token),
            ("signup_POST", EventClass::SignUp),
            ("signup_confirm_POST", EventClass::SignUp),
            ("Signup_POST", EventClass::SignUp),
            ("forgotPassword_POST", EventClass::Reset),
            ("ForgotPassword_POST", EventClass::Reset),
            ("ConfirmForgotPassword_POST", EventClass::Reset),
            ("passkeys_add_POST", EventClass::PasskeyRegistration),
        ];
        for (name, class) in expected {
            assert_eq!(EventClass::of(name), Some(class), "{name}");
        }
        // Page views, navigation and sign-outs are requests only.
        for name in [
            "Login_GET",
            "passkeys_add_GET",
            "confirmUser_GET",
            "mfa_back_POST",
            "mfa_options_POST",
            "Logout",
            "Error_GET",
            "DescribeUserPool",
        ] {
            assert_eq!(EventClass::of(name), None, "{name}");
        }
    }

    #[test]
    fn no_name_is_in_two_classes_and_every_reset_request_is_a_reset() {
        let mut seen = std::collections::HashMap::new();
        for class in EventClass::ALL {
            for name in class.events() {
                assert_eq!(seen.insert(*name, class), None, "{name} twice");
            }
            assert_eq!(EventClass::parse(class.as_str()), Some(class));
        }
        for name in PASSWORD_RESET_EVENTS {
            assert_eq!(EventClass::of(name), Some(EventClass::Reset), "{name}");
        }
    }
}
