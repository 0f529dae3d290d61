//! The element tree under every Salesforce metadata reader: `inputs::xml::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::xml::{self, Element};

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(root) = xml::parse("fuzz.xml", text) {
        // What the metadata readers do with a tree.
        let _ = root.value();
        let _ = root.deep_text();
        let _ = root.child("oauthConfig").and_then(Element::value);
        let _ = root.children_named("scopes").count();
    }
});
