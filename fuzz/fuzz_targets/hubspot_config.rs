//! HubSpot app configs: `inputs::hubspot::parse` for `public-app.json`, the legacy private
//! `app.json`, and project `*-hsmeta.json` components.
//!
//! Input layout: byte 0 picks the kind (modulo 3), the rest is the UTF-8 JSON text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::hubspot;
use scopeaudit::model::InputKind;

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;

const KINDS: [(InputKind, &str); 3] = [
    (InputKind::HubspotPublicApp, "hubspot/public-app.json"),
    (InputKind::HubspotPrivateApp, "hubspot/app.json"),
    (InputKind::HubspotProjectApp, "hubspot/src/app/app-hsmeta.json"),
];

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&selector, rest)) = data.split_first() else { return };
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (kind, path) = KINDS[usize::from(selector) % KINDS.len()];
    let _ = hubspot::parse(path, text, kind);
});
