//! Salesforce External Client App metadata: `inputs::external_client_app::parse_part` on one
//! or several files, then `join` on the parts that parsed.
//!
//! Input layout: byte 0 is a selector, the rest is UTF-8 text.
//! - selector bits 0-1: the `PartKind` of the first file (App, OauthSettings, GlobalOauth,
//!   OauthPolicies); each following file takes the next kind, wrapping around.
//! - selector bit 2: give every file its own app stem in its name (`Fuzz_App0`, `Fuzz_App1`,
//!   ...), so files without `<externalClientApplication>` land in different groups.
//!
//! The `.eca` file's name gives the app's API name, so the seeds' other files name
//! `<externalClientApplication>Fuzz_App</externalClientApplication>` to join with it.
//! - the text is split on NUL (`\0`, never valid in XML) into at most `MAX_PARTS` files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scopeaudit::inputs::external_client_app::{self, PartKind};

/// The real program refuses inputs over 1 MiB before parsing (`inputs::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 1024 * 1024;
const MAX_PARTS: usize = 8;
const SEPARATOR: char = '\0';
/// The app's API name in every file name (see the seeds).
const STEM: &str = "Fuzz_App";

const KINDS: [PartKind; 4] = [
    PartKind::App,
    PartKind::OauthSettings,
    PartKind::GlobalOauth,
    PartKind::OauthPolicies,
];

/// A realistic source-format path for a part, as `sf project retrieve` lays them out.
fn path_for(kind: PartKind, stem: &str) -> String {
    match kind {
        PartKind::App => format!("force-app/main/default/externalClientApps/{stem}.eca-meta.xml"),
        PartKind::OauthSettings => {
            format!("force-app/main/default/extlClntAppOauthSettings/{stem}_oauth.ecaOauth-meta.xml")
        }
        PartKind::GlobalOauth => {
            format!("force-app/main/default/extlClntAppGlobalOauthSets/{stem}_glbl.ecaGlblOauth-meta.xml")
        }
        PartKind::OauthPolicies => {
            format!("force-app/main/default/extlClntAppOauthPolicies/{stem}_plcy.ecaOauthPlcy-meta.xml")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&selector, rest)) = data.split_first() else { return };
    // The real readers reject non-UTF-8 before any parser sees the text.
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let first = usize::from(selector & 0b11);
    let own_stems = selector & 0b100 != 0;

    let mut parts = Vec::new();
    for (i, file) in text.split(SEPARATOR).take(MAX_PARTS).enumerate() {
        let kind = KINDS[(first + i) % KINDS.len()];
        let stem = if own_stems { format!("{STEM}{i}") } else { STEM.to_string() };
        if let Ok(part) = external_client_app::parse_part(&path_for(kind, &stem), file, kind) {
            parts.push(part);
        }
    }
    let _ = external_client_app::join(parts);
});
