//! OAuth authorize URLs: `inputs::authorize_url::parse_file` on the whole text (a file of
//! URLs or a Windows `.url` shortcut), and `parse_url` on the text as one command-line URL,
//! plus the helpers the command line uses on the same string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::authorize_url;

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };

    // As a file.
    let _ = authorize_url::looks_like_url_file(text);
    let _ = authorize_url::parse_file("consent-links.url", text);

    // As a command-line argument: what `inputs::load_paths` does with one.
    if authorize_url::looks_like_url(text) {
        let name = authorize_url::display_name(text);
        let _ = authorize_url::parse_url(&name, text, None);
    }
    // `parse_url` is public and must cope with anything, URL-shaped or not.
    let _ = authorize_url::parse_url("consent-links.url", text, Some(1));
});
