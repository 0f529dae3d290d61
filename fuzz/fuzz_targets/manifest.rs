//! The native YAML app manifest: `inputs::manifest::parse` (serde-saphyr through `yaml`, whose
//! error messages walk the parse events again) and `looks_like_manifest` (a text prefilter,
//! then a walk of the parse events).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::manifest;

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The program only parses what looks like a manifest, but `parse` is public and must cope
    // with anything: both are called on every input.
    let _ = manifest::looks_like_manifest(text);
    let _ = manifest::parse("app-manifest.yaml", text);
});
