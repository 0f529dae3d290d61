//! Salesforce Connected App metadata: `inputs::connected_app::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::connected_app;

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = connected_app::parse("force-app/main/default/connectedApps/Fuzz.connectedApp-meta.xml", text);
});
