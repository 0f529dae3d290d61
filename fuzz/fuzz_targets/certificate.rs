//! The `<certificate>` element reader: `inputs::certificate::inspect` (PEM framing, base64 and
//! the few DER structures around a certificate's validity, all read by hand).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::certificate::{self, PemKind};

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let facts = certificate::inspect(text);
    // Documented: a text that is not PEM always says why.
    if facts.kind == PemKind::NotPem {
        assert!(facts.problem.is_some(), "NotPem without a problem");
    }
    // Both validity dates come from one successful read, or neither does.
    assert_eq!(facts.not_before.is_some(), facts.not_after.is_some(), "half a validity period");
});
