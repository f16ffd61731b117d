//! Text that leaves the product (alert subjects, bodies and JSON forms, detections, logs) and
//! values that become storage keys. One sanitizer for every message builder:
//! - `clean`: control characters (line breaks included) and bidirectional / invisible
//!   formatting characters are removed (whitespace ones become a space), the length is bounded;
//! - `clean_masked`: `clean`, then email addresses and phone numbers are masked (for free text
//!   and identities: names, who made a change, a sign-in's location);
//! - `ascii`: `clean`, then ASCII only (SNS subjects);
//! - `clean_json`: `clean` applied to every string of a JSON document.
//!
//! And the bounds of values that become part of a DynamoDB key: `token`, `ip_or_service`.

use serde_json::Value;

/// What a value that cannot be stored as it is becomes in a tally key.
pub const INVALID: &str = "invalid";

/// Characters that reorder or hide text: bidirectional controls, zero-width characters, the
/// byte-order mark and the other invisible format characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Whether `c` survives `clean`.
pub fn is_clean_char(c: char) -> bool {
    !c.is_control() && !is_invisible(c) && c != '\u{2028}' && c != '\u{2029}'
}

/// Control and formatting characters removed (line breaks and tabs become a space), runs of
/// spaces collapsed, trimmed, and at most `max` characters ("…" marks a cut).
pub fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let mut space = false;
    for c in s.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if !is_clean_char(c) {
            continue;
        }
        if c == ' ' {
            if space || out.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        out.push(c);
    }
    bound(out.trim_end(), max)
}

/// [`clean`], without a copy when the text is clean already (no character removed or
/// changed, no run of spaces, no space at either end, at most `max` characters).
pub fn clean_cow(s: std::borrow::Cow<'_, str>, max: usize) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        // Printable ASCII and single inner spaces only: a byte loop.
        let bytes = s.as_bytes();
        let clean_already = bytes.len() <= max
            && bytes.first() != Some(&b' ')
            && bytes.last() != Some(&b' ')
            && bytes.iter().all(|b| (b' '..=b'~').contains(b))
            && memchr_pair(bytes).is_none();
        return if clean_already {
            s
        } else {
            std::borrow::Cow::Owned(clean(&s, max))
        };
    }
    let mut previous_space = true;
    let mut chars = 0usize;
    let clean_already = s.chars().all(|c| {
        chars += 1;
        let space = c == ' ';
        let ok = chars <= max
            && (space || (!c.is_whitespace() && is_clean_char(c)))
            && !(space && previous_space);
        previous_space = space;
        ok
    }) && !s.ends_with(' ');
    if clean_already {
        s
    } else {
        std::borrow::Cow::Owned(clean(&s, max))
    }
}

/// Where two spaces meet, if anywhere.
fn memchr_pair(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"  ")
}

/// At most `max` characters, "…" marking a cut.
fn bound(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `clean`, with email addresses and phone numbers masked. An ARN keeps its partition,
/// service, region and account; only its resource part is masked.
pub fn clean_masked(s: &str, max: usize) -> String {
    let cleaned = clean(s, usize::MAX);
    let masked = match arn_head(&cleaned) {
        Some(head) => format!("{head}{}", mask(&cleaned[head.len()..])),
        None => mask(&cleaned),
    };
    bound(&masked, max)
}

/// `arn:partition:service:region:account:` of an ARN.
fn arn_head(s: &str) -> Option<&str> {
    if !s.starts_with("arn:") {
        return None;
    }
    let mut colons = 0;
    for (i, c) in s.char_indices() {
        if c == ':' {
            colons += 1;
            if colons == 5 {
                return Some(&s[..=i]);
            }
        }
    }
    None
}

/// Emails become `[email]`, phone numbers `[phone]`.
pub fn mask(s: &str) -> String {
    mask_phones(&mask_emails(s))
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-'".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

fn mask_emails(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > copied && is_local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < chars.len() && is_domain_char(chars[end]) {
            end += 1;
        }
        while end > i + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[i + 1..end].iter().collect();
        let is_email = start < i
            && domain
                .rsplit_once('.')
                .is_some_and(|(host, tld)| !host.is_empty() && tld.len() >= 2);
        if is_email {
            out.extend(&chars[copied..start]);
            out.push_str("[email]");
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    out.extend(&chars[copied..]);
    out
}

/// Runs of at least 7 digits, possibly broken by spaces, dashes, dots, slashes, parentheses
/// or a leading plus, become `[phone]`.
fn mask_phones(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() && (chars[j].is_ascii_digit() || " -.()+/".contains(chars[j])) {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                }
                j += 1;
            }
            if digits >= 7 {
                // Keep trailing separators out of the mask.
                let mut end = j;
                while end > i && !chars[end - 1].is_ascii_digit() {
                    end -= 1;
                }
                out.push_str("[phone]");
                out.extend(&chars[end..j]);
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `clean`, then ASCII only (others become `?`), at most `max` bytes ("..." marks a cut):
/// SNS subjects.
pub fn ascii(s: &str, max: usize) -> String {
    let clean: String = clean(s, usize::MAX)
        .chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .collect();
    if clean.len() <= max {
        return clean;
    }
    format!("{}...", &clean[..max.saturating_sub(3)])
}

/// `clean` every string (and object key) of a JSON document, each to at most `max`
/// characters.
pub fn clean_json(v: &mut Value, max: usize) {
    match v {
        Value::String(s)
            if s.chars()
                .any(|c| !is_clean_char(c) || (c.is_whitespace() && c != ' '))
                || s.chars().count() > max =>
        {
            *s = clean(s, max);
        }
        Value::Array(items) => items.iter_mut().for_each(|i| clean_json(i, max)),
        Value::Object(map) => {
            let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            for (k, mut item) in entries {
                clean_json(&mut item, max);
                map.insert(clean(&k, 128), item);
            }
        }
        _ => {}
    }
}

/// `s` when it is 1..=`max` characters, each allowed by `ok`; None otherwise. For values that
/// become part of a storage key (event names, error codes, client and pool ids).
pub fn token(s: &str, max: usize, ok: impl Fn(char) -> bool) -> Option<&str> {
    (!s.is_empty() && s.len() <= max && s.chars().all(ok)).then_some(s)
}

/// A source address as CloudTrail writes it: an IPv4 or IPv6 address, or an AWS service
/// name such as `cognito-idp.amazonaws.com`; anything else is `invalid`.
pub fn ip_or_service(s: &str) -> &str {
    if s.len() <= 64 && s.parse::<std::net::IpAddr>().is_ok() {
        return s;
    }
    let service = s.len() <= 128
        && s.ends_with(".amazonaws.com")
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if service {
        s
    } else {
        INVALID
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_addresses_and_numbers_and_cuts() {
        assert_eq!(mask("contact jane@example.com now"), "contact [email] now");
        assert_eq!(mask("call +44 7700 900123."), "call [phone].");
        assert_eq!(mask("client-42 v2"), "client-42 v2");
        assert_eq!(clean("a\nb\u{7}c", 10), "a bc");
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(
            clean_masked(
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/jane.doe@example.com",
                200
            ),
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/[email]"
        );
        assert_eq!(
            clean_masked("Seattle\u{7}\u{1b}[31m, call 206-555-0100, a@b.io", 100),
            "Seattle[31m, call [phone], [email]"
        );
        assert_eq!(
            clean("203.0.113.5\r\nX-Injected: 1", 100),
            "203.0.113.5 X-Injected: 1"
        );
        assert_eq!(clean("\u{202E}evil\u{202C} name", 100), "evil name");
    }

    #[test]
    fn keys_are_bounded() {
        assert_eq!(ip_or_service("203.0.113.5"), "203.0.113.5");
        assert_eq!(ip_or_service("2001:db8::1"), "2001:db8::1");
        assert_eq!(
            ip_or_service("cognito-idp.amazonaws.com"),
            "cognito-idp.amazonaws.com"
        );
        assert_eq!(ip_or_service("203.0.113.5\r\nX: 1"), INVALID);
        assert_eq!(ip_or_service(&"1".repeat(3000)), INVALID);
        assert_eq!(ip_or_service("evil.com"), INVALID);
        assert_eq!(
            token("InitiateAuth", 64, |c| c.is_ascii_alphanumeric()),
            Some("InitiateAuth")
        );
        assert_eq!(
            token(&"a".repeat(65), 64, |c| c.is_ascii_alphanumeric()),
            None
        );
        assert_eq!(token("a\0b", 64, |c| c.is_ascii_alphanumeric()), None);
    }

    #[test]
    fn every_string_of_a_json_document_is_cleaned() {
        let mut v =
            serde_json::json!({"name": "\u{202E}web", "facts": ["a\r\nb"], "n": 1, "k\n": "x"});
        clean_json(&mut v, 100);
        assert_eq!(
            v,
            serde_json::json!({"name": "web", "facts": ["a b"], "n": 1, "k": "x"})
        );
    }

    /// An address as `mask` understands one: a local part, `@`, a host of domain characters
    /// and a top-level label of at least two.
    fn has_email(s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        (0..chars.len()).filter(|&i| chars[i] == '@').any(|i| {
            let local = i > 0 && is_local_char(chars[i - 1]);
            let domain: String = chars[i + 1..]
                .iter()
                .take_while(|c| is_domain_char(**c))
                .collect();
            let domain = domain.trim_end_matches(['.', '-']);
            local
                && domain
                    .rsplit_once('.')
                    .is_some_and(|(h, t)| !h.is_empty() && t.len() >= 2)
        })
    }

    fn longest_digit_run(s: &str) -> usize {
        let mut best = 0;
        let mut digits = 0;
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits += 1;
                best = best.max(digits);
            } else if !" -.()+/".contains(c) {
                digits = 0;
            }
        }
        best
    }

    proptest! {
        /// Whatever comes in: no control or invisible character, never longer than asked,
        /// cleaning twice changes nothing, and masked text shows no email or phone number.
        #[test]
        fn cleaned_text_is_safe(s in any::<String>(), extra in "[a-z0-9.@+ ()\\-\u{202E}\r\n]{0,60}", max in 1usize..300) {
            let input = format!("{s}{extra}");
            let c = clean(&input, max);
            prop_assert!(c.chars().all(|ch| is_clean_char(ch) && (ch == ' ' || !ch.is_whitespace())));
            prop_assert!(c.chars().count() <= max);
            prop_assert_eq!(clean(&c, max), c.clone());
            // The copy-free form agrees, borrowing only what was clean already.
            prop_assert_eq!(clean_cow(std::borrow::Cow::Borrowed(&input), max), c.clone());
            prop_assert_eq!(clean_cow(std::borrow::Cow::Borrowed(&c), max), std::borrow::Cow::Borrowed(c.as_str()));
            let m = clean_masked(&input, 10_000);
            prop_assert!(m.chars().all(is_clean_char));
            let body = arn_head(&m).map_or(m.as_str(), |h| &m[h.len()..]);
            prop_assert!(!has_email(body), "email left in {:?}", m);
            prop_assert!(longest_digit_run(body) < 7, "phone left in {:?}", m);
            let a = ascii(&input, 99);
            prop_assert!(a.is_ascii() && a.len() <= 99 && !a.contains('\n') && !a.contains('\r'));
        }

        #[test]
        fn an_address_is_kept_or_invalid(s in any::<String>()) {
            let v = ip_or_service(&s);
            prop_assert!(v == INVALID || v == s);
            prop_assert!(v.len() <= 128 && !v.contains('\0') && !v.contains('\n'));
        }
    }
}
