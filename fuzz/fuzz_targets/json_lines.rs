//! The JSON position scanner: `json_lines::locate` and `json_lines::strip_comments`, on the
//! raw text and on the text with its comments blanked (what `inputs::hubspot` does).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::json_lines;

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = json_lines::locate(text);
    if let Some(stripped) = json_lines::strip_comments(text) {
        // Documented: every byte offset, so every line and column, stays put.
        assert_eq!(stripped.len(), text.len(), "strip_comments changed the byte length");
        assert!(
            stripped.bytes().zip(text.bytes()).all(|(s, t)| (s == b'\n') == (t == b'\n')),
            "strip_comments moved a line break"
        );
        let _ = json_lines::locate(&stripped);
    }
});
