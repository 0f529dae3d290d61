//! Where things are in a JSON file. serde_json parses a config into a `Value`, which carries no
//! positions, so findings get their lines from this small scan of the text instead: one pass,
//! an explicit stack (no recursion), and a pointer string built up and cut back as it goes.
//!
//! People also put comments in JSON config files; [`strip_comments`] blanks them out so that
//! serde_json accepts the text while every byte offset, and so every line and column, stays put.

use std::collections::HashMap;
use std::fmt::Write as _;

/// Bytes of pointer text `locate` may hash or store per byte of input, plus a fixed allowance.
/// Real configs use a few bytes per input byte; the cap only stops crafted input (a long key over
/// many members, thousands of nested arrays) from costing time and memory quadratic in its size.
const POINTER_BUDGET_PER_BYTE: usize = 64;
const POINTER_BUDGET_BASE: usize = 1 << 20;

/// Lines (1-based) of every value in a JSON text, by JSON Pointer (RFC 6901: "" for the root,
/// "/config/auth/requiredScopes/0"; keys escaped `~`->`~0`, `/`->`~1`). For an object member the
/// line is where its key starts; for an array element, where the element starts.
///
/// Lines are counted by `\n`, so CRLF text works. `//` and `/* */` comments are skipped. On
/// malformed input the scan stops and returns what it found so far; it never panics. A duplicate
/// key keeps the line of its first occurrence. Keys whose escapes do not decode (a lone surrogate)
/// appear in the pointer with their raw text.
pub fn locate(text: &str) -> HashMap<String, u32> {
    let budget = text
        .len()
        .saturating_mul(POINTER_BUDGET_PER_BYTE)
        .saturating_add(POINTER_BUDGET_BASE);
    let mut locator = Locator {
        lines: HashMap::new(),
        pointer: String::new(),
        stack: Vec::new(),
        line: 1,
        root_seen: false,
        budget,
    };
    locator.run(text);
    locator.lines
}

/// If the text has `//` line comments or `/* */` block comments outside strings, returns the text
/// with each comment replaced by spaces (newlines inside block comments kept), so that line and
/// column numbers of everything else are unchanged; None when there are no comments.
///
/// Each byte of a comment becomes one space, except `\n` and `\r`, which are kept, so byte
/// offsets are unchanged too. A line comment ends before its `\n`; an unterminated block comment
/// runs to the end of the text.
pub fn strip_comments(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // Bytes of `text` already copied (or blanked) into `out`.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => match string_end(bytes, i) {
                Some(end) => i = end + 1,
                // An unterminated string runs to the end: nothing after it is a comment.
                None => break,
            },
            b'/' => match comment_end(bytes, i) {
                Some(end) => {
                    let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    // `i` is at an ASCII `/` and `end` at an ASCII `\n`, just past `*/`, or at the
                    // end, so both are char boundaries.
                    out.push_str(&text[copied..i]);
                    blank(out, &text[i..end]);
                    copied = end;
                    i = end;
                }
                None => i += 1,
            },
            _ => i += 1,
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// An open container, with the length of the pointer of the container itself (`base`): its
/// members' pointers are `base` plus one more segment, and closing it cuts the pointer back.
#[derive(Clone, Copy)]
enum Frame {
    /// `want_key`: the next string is a member name (after `{` or `,`), not a value.
    Object { base: usize, want_key: bool },
    /// `next`: the index the next element gets.
    Array { base: usize, next: usize },
}

struct Locator {
    lines: HashMap<String, u32>,
    /// The pointer of the value being scanned, or of the last one.
    pointer: String,
    stack: Vec<Frame>,
    /// 1-based line at the scan position.
    line: u32,
    /// Whether the root value has started; a second top-level value is malformed.
    root_seen: bool,
    /// Pointer bytes still allowed to be hashed or stored (see `POINTER_BUDGET_PER_BYTE`).
    budget: usize,
}

impl Locator {
    /// Scans the whole text. Every branch advances `i` by at least one byte, so it terminates;
    /// a `return` is a malformed spot, after which the lines found so far are the answer.
    fn run(&mut self, text: &str) {
        let bytes = text.as_bytes();
        // A byte order mark is not JSON, but editors add it; it is on line 1 either way.
        let mut i = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'\n' => {
                    self.line = self.line.saturating_add(1);
                    i += 1;
                }
                b' ' | b'\t' | b'\r' | b':' => i += 1,
                b',' => {
                    if let Some(Frame::Object { want_key, .. }) = self.stack.last_mut() {
                        *want_key = true;
                    }
                    i += 1;
                }
                b'/' => {
                    let Some(end) = comment_end(bytes, i) else { return };
                    self.count_lines(&bytes[i..end]);
                    i = end;
                }
                b'"' => {
                    let Some(end) = string_end(bytes, i) else { return };
                    let start_line = self.line;
                    // Raw newlines are not valid in JSON strings, but keep the count right anyway.
                    self.count_lines(&bytes[i..end]);
                    let is_key = matches!(self.stack.last(), Some(Frame::Object { want_key: true, .. }));
                    // Both quotes are ASCII, so the slice is on char boundaries.
                    let ok = if is_key {
                        self.key(&text[i + 1..end], start_line)
                    } else {
                        self.begin_value(start_line)
                    };
                    if !ok {
                        return;
                    }
                    i = end + 1;
                }
                b'{' | b'[' => {
                    if !self.begin_value(self.line) {
                        return;
                    }
                    let base = self.pointer.len();
                    self.stack.push(if b == b'{' {
                        Frame::Object { base, want_key: true }
                    } else {
                        Frame::Array { base, next: 0 }
                    });
                    i += 1;
                }
                b'}' | b']' => {
                    match (b, self.stack.pop()) {
                        (b'}', Some(Frame::Object { base, .. })) | (b']', Some(Frame::Array { base, .. })) => {
                            // Back to the pointer of the container just closed.
                            self.truncate(base);
                        }
                        _ => return,
                    }
                    i += 1;
                }
                _ => {
                    // A number, true, false or null: one run of bytes up to the next delimiter.
                    if !self.begin_value(self.line) {
                        return;
                    }
                    i += 1;
                    while i < bytes.len() && !is_delimiter(bytes[i]) {
                        i += 1;
                    }
                }
            }
        }
    }

    /// A value starts on `line`. Array elements and the root get their line here; an object
    /// member already got its line at its key. False to stop the scan.
    fn begin_value(&mut self, line: u32) -> bool {
        match self.stack.last_mut() {
            None => {
                if self.root_seen {
                    return false;
                }
                self.root_seen = true;
                self.record(line)
            }
            Some(Frame::Array { base, next }) => {
                let (base, index) = (*base, *next);
                *next = index.saturating_add(1);
                self.truncate(base);
                // Writing to a String cannot fail.
                let _ = write!(self.pointer, "/{index}");
                self.record(line)
            }
            Some(Frame::Object { .. }) => true,
        }
    }

    /// A member name (the raw text between the quotes) starts on `line`. False to stop the scan.
    fn key(&mut self, raw: &str, line: u32) -> bool {
        let Some(Frame::Object { base, want_key }) = self.stack.last_mut() else {
            return true;
        };
        *want_key = false;
        let base = *base;
        self.truncate(base);
        self.pointer.push('/');
        if raw.contains('\\') {
            match decode_escapes(raw) {
                Some(decoded) => push_escaped(&mut self.pointer, &decoded),
                None => push_escaped(&mut self.pointer, raw),
            }
        } else {
            push_escaped(&mut self.pointer, raw);
        }
        self.record(line)
    }

    /// Records the current pointer at `line` unless it is already there (duplicate keys keep the
    /// first). False once the pointer budget is spent.
    fn record(&mut self, line: u32) -> bool {
        // Hashing costs as much as storing, so duplicates are charged too.
        let Some(left) = self.budget.checked_sub(self.pointer.len()) else {
            return false;
        };
        self.budget = left;
        if !self.lines.contains_key(self.pointer.as_str()) {
            self.lines.insert(self.pointer.clone(), line);
        }
        true
    }

    /// Cuts the pointer back to a container's length. The prefix up to an open container's
    /// `base` never changes while it is open, so `len` is a char boundary; the check only keeps
    /// a mistake here from becoming a panic.
    fn truncate(&mut self, len: usize) {
        if self.pointer.is_char_boundary(len) {
            self.pointer.truncate(len);
        }
    }

    fn count_lines(&mut self, bytes: &[u8]) {
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
        self.line = self.line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
    }
}

/// Bytes that end a number or literal.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"' | b'/'
    )
}

/// Index of the quote closing the string opened at `open`, or None when the text ends first.
/// Escapes are skipped two bytes at a time; the byte after `\` may start a multi-byte char, but
/// continuation bytes are never `"` or `\`, so the scan stays in step.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut j = open + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'"' => return Some(j),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
    None
}

/// If a comment starts at `i` (a `/`), the index just past it: a line comment stops before its
/// `\n`, a block comment after its `*/`, and either stops at the end of the text.
fn comment_end(bytes: &[u8], i: usize) -> Option<usize> {
    let rest = bytes.get(i + 2..)?;
    match bytes.get(i + 1) {
        Some(b'/') => Some(rest.iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + 2 + p)),
        Some(b'*') => Some(
            rest.windows(2)
                .position(|w| w == b"*/")
                .map_or(bytes.len(), |p| i + 2 + p + 2),
        ),
        _ => None,
    }
}

/// Appends a comment as spaces, one per byte, keeping its line breaks.
fn blank(out: &mut String, comment: &str) {
    for c in comment.chars() {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
}

/// Appends a member name as a JSON Pointer segment (RFC 6901 escaping).
fn push_escaped(pointer: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Decodes the escapes of a JSON string's raw text; None when one is invalid (an unknown escape,
/// bad hex, a lone surrogate), in which case the caller keeps the raw text.
fn decode_escapes(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = hex4(&mut chars)?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    // A high surrogate must be followed by an escaped low one.
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let low = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return None;
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                // None for a lone low surrogate.
                char::from_u32(code)?
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}

/// The value of the next four hex digits.
fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;
    use std::collections::HashSet;

    const HSMETA: &str = r#"{
  "uid": "deal_insights_app",
  "type": "app",
  "config": {
    "name": "Deal Insights",
    "description": "Scores open deals from CRM activity",
    "distribution": "marketplace",
    "auth": {
      "type": "oauth",
      "redirectUrls": [
        "https://app.example.com/oauth/callback"
      ],
      "requiredScopes": [
        "oauth",
        "crm.objects.deals.read"
      ],
      "optionalScopes": [],
      "conditionallyRequiredScopes": [
        "crm.schemas.deals.write"
      ]
    },
    "permittedUrls": {
      "fetch": [
        "https://api.example.com"
      ]
    },
    "support": {"supportEmail": "help@example.com", "documentationUrl": "https://example.com/docs"}
  }
}
"#;

    /// The same config with comments, as people write them.
    const HSMETA_COMMENTED: &str = r#"// Deal Insights app: see https://developers.hubspot.com/docs
{
  "uid": "deal_insights_app", // must stay stable
  /* the type
     never changes */
  "type": "app",
  "config": {
    "name": "Deal // Insights /* not a comment */",
    "auth": {
      "requiredScopes": [
        "oauth", /* login */ "crm.objects.deals.read"
      ]
    }
  }
}
"#;

    fn lines_of(text: &str, pointers: &[(&str, u32)]) {
        let lines = locate(text);
        for &(pointer, line) in pointers {
            assert_eq!(lines.get(pointer), Some(&line), "pointer {pointer:?} in {lines:?}");
        }
    }

    /// Every pointer of a parsed value, the way serde_json's `Value::pointer` addresses them.
    fn serde_pointers(value: &serde_json::Value, pointer: &mut String, out: &mut HashSet<String>) {
        out.insert(pointer.clone());
        let len = pointer.len();
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    pointer.push('/');
                    push_escaped(pointer, key);
                    serde_pointers(child, pointer, out);
                    pointer.truncate(len);
                }
            }
            serde_json::Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    let _ = write!(pointer, "/{index}");
                    serde_pointers(child, pointer, out);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn pointers_of(text: &str) -> Option<HashSet<String>> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let mut out = HashSet::new();
        serde_pointers(&value, &mut String::new(), &mut out);
        Some(out)
    }

    #[test]
    fn hsmeta_lines() {
        lines_of(
            HSMETA,
            &[
                ("", 1),
                ("/uid", 2),
                ("/type", 3),
                ("/config", 4),
                ("/config/name", 5),
                ("/config/distribution", 7),
                ("/config/auth", 8),
                ("/config/auth/type", 9),
                ("/config/auth/redirectUrls", 10),
                ("/config/auth/redirectUrls/0", 11),
                ("/config/auth/requiredScopes", 13),
                ("/config/auth/requiredScopes/0", 14),
                ("/config/auth/requiredScopes/1", 15),
                ("/config/auth/optionalScopes", 17),
                ("/config/auth/conditionallyRequiredScopes", 18),
                ("/config/auth/conditionallyRequiredScopes/0", 19),
                ("/config/permittedUrls", 22),
                ("/config/permittedUrls/fetch", 23),
                ("/config/permittedUrls/fetch/0", 24),
                ("/config/support", 27),
                ("/config/support/supportEmail", 27),
                ("/config/support/documentationUrl", 27),
            ],
        );
        let lines = locate(HSMETA);
        assert!(!lines.contains_key("/config/auth/optionalScopes/0"));
        assert!(!lines.contains_key("/config/auth/requiredScopes/2"));
    }

    #[test]
    fn pointers_match_serde_json() {
        let lines = locate(HSMETA);
        let found: HashSet<String> = lines.keys().cloned().collect();
        assert_eq!(Some(found), pointers_of(HSMETA));
        let value: serde_json::Value = serde_json::from_str(HSMETA).unwrap();
        for pointer in lines.keys() {
            assert!(value.pointer(pointer).is_some(), "{pointer}");
        }
    }

    #[test]
    fn keys_with_slash_and_tilde_are_escaped() {
        let text = "{\n  \"a/b\": {\n    \"m~n\": 1,\n    \"~1\": 2,\n    \"\": 3\n  }\n}";
        lines_of(
            text,
            &[("/a~1b", 2), ("/a~1b/m~0n", 3), ("/a~1b/~01", 4), ("/a~1b/", 5)],
        );
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value.pointer("/a~1b/~01"), Some(&serde_json::json!(2)));
        assert_eq!(Some(locate(text).into_keys().collect()), pointers_of(text));
    }

    #[test]
    fn escaped_strings_with_brackets_and_quotes() {
        let text = r#"{
  "a": "x\"]}[{\\",
  "b\"}": "\\\"",
  "c": ["[", "]\"", "{\\"],
  "d":
    "//not a comment /*",
  "e": 1
}"#;
        lines_of(
            text,
            &[("/a", 2), ("/b\"}", 3), ("/c", 4), ("/c/2", 4), ("/d", 5), ("/e", 7)],
        );
        assert_eq!(Some(locate(text).into_keys().collect()), pointers_of(text));
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = "{\n\"caf\\u00e9\": 1,\n\"\\ud83d\\ude00\": 2,\n\"a\\/b\\u007e\": 3,\n\"tab\\t\": 4\n}";
        lines_of(text, &[("/café", 2), ("/😀", 3), ("/a~1b~0", 4), ("/tab\t", 5)]);
        assert_eq!(Some(locate(text).into_keys().collect()), pointers_of(text));
    }

    #[test]
    fn undecodable_keys_fall_back_to_raw_text() {
        // serde_json rejects these; locate must still cope.
        let text = "{\"lone\\ud800x\": 1,\n\"low\\udc00\": 2,\n\"bad\\q\": 3,\n\"short\\u12\": 4}";
        lines_of(
            text,
            &[
                ("/lone\\ud800x", 1),
                ("/low\\udc00", 2),
                ("/bad\\q", 3),
                ("/short\\u12", 4),
            ],
        );
    }

    #[test]
    fn arrays_of_arrays() {
        let text = "[\n  [1, [2,\n    3]],\n  [],\n  [[ ]],\n  {\"a\": [[true],\n    null]}\n]";
        lines_of(
            text,
            &[
                ("", 1),
                ("/0", 2),
                ("/0/0", 2),
                ("/0/1", 2),
                ("/0/1/0", 2),
                ("/0/1/1", 3),
                ("/1", 4),
                ("/2", 5),
                ("/2/0", 5),
                ("/3", 6),
                ("/3/a", 6),
                ("/3/a/0", 6),
                ("/3/a/0/0", 6),
                ("/3/a/1", 7),
            ],
        );
        assert_eq!(Some(locate(text).into_keys().collect()), pointers_of(text));
    }

    #[test]
    fn element_line_is_where_it_starts() {
        let text = "{\"list\":\n  [\n    {\n      \"k\": -1.5e3\n    },\n    false\n  ]\n}";
        lines_of(text, &[("/list", 1), ("/list/0", 3), ("/list/0/k", 4), ("/list/1", 6)]);
    }

    #[test]
    fn single_line_json_is_all_line_one() {
        let compact: String =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(HSMETA).unwrap()).unwrap();
        let lines = locate(&compact);
        assert_eq!(Some(lines.keys().cloned().collect()), pointers_of(&compact));
        assert!(lines.values().all(|&line| line == 1), "{lines:?}");
    }

    #[test]
    fn crlf_counts_newlines() {
        let crlf = HSMETA.replace('\n', "\r\n");
        assert_eq!(locate(&crlf), locate(HSMETA));
        lines_of(&crlf, &[("/config/auth/requiredScopes/1", 15)]);
    }

    #[test]
    fn duplicate_keys_keep_first_line() {
        let text = "{\n\"a\": 1,\n\"b\": {\"x\": 1},\n\"a\": 2,\n\"b\": {\"y\": 2}\n}";
        lines_of(text, &[("/a", 2), ("/b", 3), ("/b/x", 3), ("/b/y", 5)]);
    }

    #[test]
    fn scalar_and_empty_roots() {
        lines_of("\n\n  42 \n", &[("", 3)]);
        lines_of("\u{feff}\"s\"", &[("", 1)]);
        lines_of("{}", &[("", 1)]);
        assert!(locate("").is_empty());
        assert!(locate(" \n\t").is_empty());
        assert_eq!(locate("[1, 2]").len(), 3);
    }

    #[test]
    fn locate_skips_comments() {
        lines_of(
            HSMETA_COMMENTED,
            &[
                ("", 2),
                ("/uid", 3),
                ("/type", 6),
                ("/config/name", 8),
                ("/config/auth/requiredScopes", 10),
                ("/config/auth/requiredScopes/0", 11),
                ("/config/auth/requiredScopes/1", 11),
            ],
        );
        assert_eq!(locate("[1//x\n,2/*y*/]").len(), 3);
    }

    #[test]
    fn malformed_input_returns_what_was_found() {
        let lines = locate("{\"a\": 1,\n\"b\": [1, 2,");
        assert_eq!(lines.get("/a"), Some(&1));
        assert_eq!(lines.get("/b/1"), Some(&2));
        // A second root, a mismatched closer, a stray slash: stop there.
        assert_eq!(locate("1 2").len(), 1);
        assert!(!locate("[1]]\n[2]").contains_key("/0/0"));
        assert_eq!(locate("{\"a\": [1}, \"b\": 2}").len(), 3);
        assert_eq!(locate("[1, / 2]").len(), 2);
        assert_eq!(locate("[\"unterminated").len(), 1);
    }

    #[test]
    fn strip_line_comments() {
        let text = "{\n  \"a\": 1, // one\n  // whole line\r\n  \"b\": 2\n}// end";
        let stripped = strip_comments(text).unwrap();
        assert_eq!(
            stripped,
            "{\n  \"a\": 1,       \n               \r\n  \"b\": 2\n}      "
        );
        assert_eq!(stripped.len(), text.len());
        let value: serde_json::Value = serde_json::from_str(&stripped).unwrap();
        assert_eq!(value, serde_json::json!({"a": 1, "b": 2}));
    }

    #[test]
    fn strip_block_comments_keeps_lines() {
        let text = "{/* a\n b\r\n c */\"a\": [1, /* é */ 2], /**/ \"b\": 3 /* unterminated\n still";
        let stripped = strip_comments(text).unwrap();
        assert_eq!(stripped.len(), text.len());
        assert_eq!(stripped.lines().count(), text.lines().count());
        assert_eq!(
            stripped,
            "{    \n  \r\n     \"a\": [1,          2],      \"b\": 3                \n      "
        );
        let closed = strip_comments("/*/ x */ 1").unwrap();
        assert_eq!(closed, "         1");
    }

    #[test]
    fn strip_leaves_strings_alone() {
        let text = "{\"url\": \"https://x.example/*path*/\", \"q\": \"\\\"//\", \"n\": 1}";
        assert_eq!(strip_comments(text), None);
        assert_eq!(strip_comments(HSMETA), None);
        assert_eq!(strip_comments(""), None);
        assert_eq!(strip_comments("[\"//"), None);
        assert_eq!(strip_comments("1 / 2"), None);
        assert_eq!(strip_comments("\"a\\\"\" //c").as_deref(), Some("\"a\\\"\"    "));
    }

    #[test]
    fn stripped_config_parses_with_same_lines() {
        let stripped = strip_comments(HSMETA_COMMENTED).unwrap();
        assert_eq!(stripped.len(), HSMETA_COMMENTED.len());
        let value: serde_json::Value = serde_json::from_str(&stripped).unwrap();
        assert_eq!(value["config"]["name"], "Deal // Insights /* not a comment */");
        assert_eq!(value["config"]["auth"]["requiredScopes"][1], "crm.objects.deals.read");
        assert_eq!(locate(&stripped), locate(HSMETA_COMMENTED));
        assert_eq!(Some(locate(&stripped).into_keys().collect()), pointers_of(&stripped));
    }

    #[test]
    fn prefixes_do_not_panic() {
        for text in [
            HSMETA,
            HSMETA_COMMENTED,
            "{\"caf\\u00e9\\ud83d\\ude00\": [\"é\", 1e5, {\"~/\": null}]}",
        ] {
            for (end, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let prefix = &text[..end];
                let lines = locate(prefix);
                assert!(lines.values().all(|&line| line >= 1));
                if let Some(stripped) = strip_comments(prefix) {
                    assert_eq!(stripped.len(), prefix.len());
                }
            }
        }
    }

    #[test]
    fn mutations_do_not_panic() {
        const BYTES: &[u8] = b"{}[]\":,\\/*~ \nu0aZe-.\r\t";
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let base = if round % 2 == 0 { HSMETA } else { HSMETA_COMMENTED };
            let mut bytes = base.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                let byte = BYTES[rng.below(BYTES.len())];
                match rng.below(3) {
                    0 => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let Ok(text) = String::from_utf8(bytes) else { continue };
            let lines = locate(&text);
            if let Some(stripped) = strip_comments(&text) {
                assert_eq!(stripped.len(), text.len());
                assert_eq!(stripped.matches('\n').count(), text.matches('\n').count());
            }
            // Whatever serde_json accepts, locate finds every value of.
            if let Some(pointers) = pointers_of(&text) {
                for pointer in pointers {
                    assert!(lines.contains_key(&pointer), "{pointer} missing for {text}");
                }
            }
        }
    }

    #[test]
    fn pathological_inputs_stay_cheap() {
        let deep = "[".repeat(200_000);
        assert!(!locate(&deep).is_empty());
        let deep_objects = "{\"a\":".repeat(100_000);
        assert!(!locate(&deep_objects).is_empty());
        // A long key over many members would make quadratic pointer text; the budget stops it.
        let mut wide = format!("{{\"{}\": {{", "k".repeat(300_000));
        for i in 0..100_000 {
            let _ = write!(wide, "\"b{i}\":1,");
        }
        let lines = locate(&wide);
        assert!(lines.len() < 200_000);
        assert!(
            lines.keys().map(String::len).sum::<usize>() < wide.len() * POINTER_BUDGET_PER_BYTE + POINTER_BUDGET_BASE
        );
    }
}
