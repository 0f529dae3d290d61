//! Secrets (access and refresh tokens, client secrets, passwords, private keys) as a type that
//! cannot be printed by accident: `Debug` and `Display` both write `[REDACTED]`, and the value
//! is reachable only through [`Secret::expose`], which every caller names on purpose.
//!
//! Text that comes back from the org or the Salesforce CLI (an `error_description`, a CLI
//! message) may echo a secret; [`scrub`] removes the secrets in hand and anything shaped like a
//! Salesforce access token before such text reaches an error.

use std::fmt;

/// What a redacted value prints as.
pub const REDACTED: &str = "[REDACTED]";

/// A secret value. Compared by value, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send it (a header, a form field, a
    /// signature). Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// `text` with every secret in `secrets` (and each of its lines, for multi-line keys) and
/// anything shaped like a Salesforce access token (`00D` + org id + `!` + token) replaced by
/// `[REDACTED]`, then neutralized for a terminal (control characters made visible) and capped.
pub fn scrub(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        let value = secret.expose();
        if value.len() >= 4 {
            out = out.replace(value, REDACTED);
            // As a form body or query string carries it (a server may echo the request).
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            if encoded != value {
                out = out.replace(&encoded, REDACTED);
                out = out.replace(&encoded.replace('+', "%20"), REDACTED);
            }
        }
        // A key file's body may come back one line at a time.
        for line in value.lines().map(str::trim) {
            if line.len() >= 16 {
                out = out.replace(line, REDACTED);
            }
        }
    }
    let out = redact_token_like(&out);
    crate::untrusted::capped(&crate::untrusted::visible(&out), 300).into_owned()
}

/// Replaces substrings shaped like a Salesforce session id: `00D`, 12 or 15 more alphanumeric
/// characters, `!`, then the token's alphabet.
fn redact_token_like(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 3 <= bytes.len() {
        if &bytes[i..i + 3] == b"00D" && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 3;
            while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                j += 1;
            }
            let id_len = j - i;
            if (12..=18).contains(&id_len) && j < bytes.len() && bytes[j] == b'!' {
                let mut k = j + 1;
                while k < bytes.len() && (bytes[k].is_ascii_alphanumeric() || matches!(bytes[k], b'.' | b'_' | b'-')) {
                    k += 1;
                }
                if k > j + 1 {
                    out.push_str(&text[copied..i]);
                    out.push_str(REDACTED);
                    copied = k;
                    i = k;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2-canary");
        assert_eq!(format!("{s}"), "[REDACTED]");
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
        assert_eq!(s.expose(), "hunter2-canary");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: Secret,
        }
        let h = Holder { token: s };
        assert!(!format!("{h:?}").contains("hunter2"));
        assert!(!format!("{h:#?}").contains("hunter2"));
    }

    #[test]
    fn scrub_removes_secrets_in_hand_and_token_shapes() {
        let s = Secret::new("s3cr3t-value");
        let text = "bad s3cr3t-value and 00D5g000001abcd!AQFAKE4AQ.x_y-z here";
        let got = scrub(text, &[&s]);
        assert_eq!(got, "bad [REDACTED] and [REDACTED] here");
        // An org id alone is not a token.
        assert_eq!(scrub("org 00D5g000001abcdEAA", &[]), "org 00D5g000001abcdEAA");
    }

    #[test]
    fn scrub_removes_encoded_secrets() {
        let s = Secret::new("p@ss word!/x");
        let got = scrub("echo password=p%40ss+word%21%2Fx and p%40ss%20word%21%2Fx", &[&s]);
        assert_eq!(got, "echo password=[REDACTED] and [REDACTED]");
    }

    #[test]
    fn scrub_removes_key_lines_and_control_characters() {
        let key =
            Secret::new("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n");
        let got = scrub("echo MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\x1b[31m", &[&key]);
        assert!(!got.contains("MIIEvQ"), "{got}");
        assert!(!got.contains('\x1b'), "{got}");
    }
}
