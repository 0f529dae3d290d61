//! Untrusted text (app names, URLs, scope strings, file names) on its way to a human: control
//! characters, escape sequences, carriage returns and bidi overrides are shown as visible
//! escapes, so input cannot move the cursor, recolour the screen, hide a line, draw a fake
//! "gate passed" or reorder what a reviewer reads. JSON keeps the text as it is.

use std::borrow::Cow;

/// How many characters of one untrusted value a message repeats before eliding the rest: a
/// megabyte-long app name must not grow every finding that names it.
pub const MAX_REPEATED_CHARS: usize = 200;

/// Whether `c` can change how the surrounding text is displayed rather than being displayed
/// itself: C0 and C1 controls, DEL, and the Unicode bidi embedding, override and isolate
/// controls (Trojan Source, CVE-2021-42574), plus line and paragraph separators.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// `text` with every hazard written as a visible escape (`\n`, `\r`, `\t`, `\x1b`, `\u{202e}`).
/// A backslash stays a backslash: the escapes are for reading, not for round trips.
pub fn visible(text: &str) -> Cow<'_, str> {
    // Printable ASCII, the common case, is checked byte by byte without decoding.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) || !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_hazard(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// At most `max` characters of `text`, with what was left out counted.
pub fn capped(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            Cow::Owned(format!("{}… ({rest} more characters)", &text[..cut]))
        }
    }
}

/// A value quoted in a message: capped, hazards visible.
pub fn quoted(text: &str) -> String {
    visible(&capped(text, MAX_REPEATED_CHARS)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bidi_become_visible() {
        assert_eq!(visible("plain"), "plain");
        assert_eq!(
            visible("a\x1b[32mgate passed\x1b[0m\r\nb"),
            "a\\x1b[32mgate passed\\x1b[0m\\r\\nb"
        );
        assert_eq!(visible("x\u{202e}cod.exe"), "x\\u{202e}cod.exe");
        assert_eq!(visible("osc\u{9d}8;;"), "osc\\x9d8;;");
        assert_eq!(visible("\u{7f}"), "\\x7f");
        // Ordinary non-ASCII text is left alone.
        assert_eq!(visible("Société Générale — 東京"), "Société Générale — 東京");
    }

    #[test]
    fn capping_counts_characters_not_bytes() {
        assert_eq!(capped("abc", 3), "abc");
        assert_eq!(capped("ééééé", 2), "éé… (3 more characters)");
        assert!(quoted(&"x".repeat(1_000_000)).len() < 300);
    }
}
