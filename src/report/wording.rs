//! What the human formats say in their own words, shared so text, Markdown and HTML say the
//! same: app titles without repeats, verdict reasons as sentences, the reviewer's checklist
//! for the app's platform, and help links for the finding's platform.

use super::AppReport;
use crate::labels::{setting_label, value_label};
use crate::model::{Platform, Setting, SettingValue};
use serde::Serialize;

/// The app's name with its platform, unless the name already says it: "Scope list
/// (Salesforce)", never "Scope list (Salesforce) (Salesforce)". A name that names another
/// platform still gets its own.
pub fn app_title(name: &str, platform: Platform) -> String {
    let platform_name = platform.display_name();
    if name.to_lowercase().contains(&platform_name.to_lowercase()) {
        name.to_string()
    } else {
        format!("{name} ({platform_name})")
    }
}

/// A verdict reason from the analysis (a clause: "needed for tool `A` (read X) and signing
/// users in") as a sentence: capital first letter and a full stop.
pub fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    let mut chars = reason.chars();
    let mut out = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// One line of the reviewer's checklist. `text` uses the backtick convention for code; each
/// format renders it (`code_spans`, `md_code`).
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistLine {
    pub topic: &'static str,
    pub text: String,
}

/// What a checklist item may look at besides the app.
pub struct ChecklistFacts {
    pub needs_review: usize,
    pub offline: bool,
}

struct ChecklistItem {
    topic: &'static str,
    /// The platforms the item belongs to: no IP item for HubSpot, which has no IP policy.
    platforms: &'static [Platform],
    text: fn(&AppReport, &ChecklistFacts) -> String,
}

const BOTH: &[Platform] = &[Platform::Salesforce, Platform::Hubspot];

const CHECKLIST: &[ChecklistItem] = &[
    ChecklistItem {
        topic: "Scopes",
        platforms: BOTH,
        text: scopes_item,
    },
    ChecklistItem {
        topic: "Offline access",
        platforms: &[Platform::Salesforce],
        text: salesforce_offline_item,
    },
    ChecklistItem {
        topic: "Offline access",
        platforms: &[Platform::Hubspot],
        text: hubspot_offline_item,
    },
    ChecklistItem {
        topic: "IP policy",
        platforms: &[Platform::Salesforce],
        text: ip_item,
    },
    ChecklistItem {
        topic: "Credentials",
        platforms: BOTH,
        text: credentials_item,
    },
    ChecklistItem {
        topic: "Vendor posture",
        platforms: BOTH,
        text: posture_item,
    },
    ChecklistItem {
        topic: "Value against risk",
        platforms: BOTH,
        text: value_item,
    },
];

/// The checklist for `app`, its platform's items only.
pub fn checklist(app: &AppReport, facts: &ChecklistFacts) -> Vec<ChecklistLine> {
    CHECKLIST
        .iter()
        .filter(|item| item.platforms.contains(&app.platform))
        .map(|item| ChecklistLine {
            topic: item.topic,
            text: (item.text)(app, facts),
        })
        .collect()
}

fn setting(app: &AppReport, setting: Setting) -> Option<&SettingValue> {
    app.settings.get(setting.as_str())
}

/// Why the app's scopes could not be read from the org, if they could not.
fn unread(app: &AppReport) -> Option<&str> {
    match app.org.as_ref().map(|o| &o.config) {
        Some(crate::model::org::ConfigRead::Unread(reason)) => Some(reason),
        _ => None,
    }
}

fn scopes_item(app: &AppReport, facts: &ChecklistFacts) -> String {
    if unread(app).is_some() {
        return "could not be read from the org: get the app's scopes from an admin who can read its configuration, or from the vendor, before approving it.".to_string();
    }
    let n = app.scopes.len();
    if n == 0 {
        return "none requested.".to_string();
    }
    if facts.needs_review > 0 {
        format!(
            "{n} requested; {} not shown to be needed (excess, unjustified or unknown): get a reason or a removal for each.",
            facts.needs_review
        )
    } else {
        format!("{n} requested; each is needed by a declared feature.")
    }
}

fn salesforce_offline_item(app: &AppReport, facts: &ChecklistFacts) -> String {
    if unread(app).is_some() {
        return "unknown: the app's scopes could not be read.".to_string();
    }
    if !facts.offline {
        return "not requested.".to_string();
    }
    let policy = setting(app, Setting::RefreshTokenPolicy)
        .map(|v| {
            format!(
                "; {}: {}",
                setting_label(Setting::RefreshTokenPolicy).to_lowercase(),
                value_label(Setting::RefreshTokenPolicy, v)
            )
        })
        .unwrap_or_default();
    format!("requested: the app keeps working while users are away{policy}. Confirm it is needed and that idle tokens expire.")
}

fn hubspot_offline_item(app: &AppReport, _: &ChecklistFacts) -> String {
    if matches!(setting(app, Setting::AuthType), Some(SettingValue::Text(t)) if t.eq_ignore_ascii_case("static")) {
        return "the app uses a static access token, which works until it is rotated: confirm who holds it and how often it is rotated.".to_string();
    }
    "HubSpot OAuth apps always receive refresh tokens: confirm the vendor stores them encrypted and that uninstalling the app ends its access.".to_string()
}

fn ip_item(app: &AppReport, _: &ChecklistFacts) -> String {
    match setting(app, Setting::IpRelaxation) {
        Some(value) => {
            let shown = value_label(Setting::IpRelaxation, value);
            if matches!(value, SettingValue::Text(t) if t == crate::model::IpRelaxation::Enforce.as_str()) {
                format!("IP restrictions {shown}.")
            } else {
                format!("IP restrictions {shown}: ask for the vendor's egress IP ranges and enforce them.")
            }
        }
        None => "not stated; confirm IP restrictions are enforced for the users who authorize it.".to_string(),
    }
}

fn posture_item(app: &AppReport, _: &ChecklistFacts) -> String {
    let mut parts = vec![format!(
        "token storage {}",
        if app.integration.token_storage.is_some() {
            "described"
        } else {
            "not described"
        }
    )];
    if let Some(v) = setting(app, Setting::AdminApproved) {
        parts.push(value_label(Setting::AdminApproved, v));
    }
    if let Some(v) = setting(app, Setting::PkceRequired) {
        parts.push(format!("PKCE {}", value_label(Setting::PkceRequired, v)));
    }
    format!(
        "{}. Check the vendor's security report (SOC 2 or ISO 27001), breach history and sub-processors.",
        parts.join("; ")
    )
}

/// Who owns the app and who holds its secret and tokens: a vendor acting on a customer's own
/// app with a customer-minted refresh token has no app of its own to uninstall.
fn credentials_item(app: &AppReport, _: &ChecklistFacts) -> String {
    let owner = setting(app, Setting::AppOwner);
    let holds = setting(app, Setting::VendorHolds);
    let customer = matches!(owner, Some(SettingValue::Text(t)) if t == crate::model::AppOwner::Customer.as_str());
    match (owner, holds) {
        (Some(_), Some(held)) if customer => format!(
            "the customer creates the app and hands the vendor its {}: record who minted the token (as which user), who holds each credential, and how to revoke them; the customer's own app policies are the only limit.",
            value_label(Setting::VendorHolds, held)
        ),
        (Some(owner), _) => format!(
            "{}; confirm who in the vendor holds its secret and tokens, and how access ends when the contract does.",
            value_label(Setting::AppOwner, owner)
        ),
        (None, _) => "not stated: ask whose app it is (the vendor's own, or one the customer creates) and who holds its consumer secret and tokens.".to_string(),
    }
}

fn value_item(app: &AppReport, _: &ChecklistFacts) -> String {
    format!(
        "grade {}; decide whether what the app does is worth the highest-risk grant it asks for, and record the decision.",
        app.grade
    )
}

/// Where a rule's documentation lives for a finding on `platform`. A rule that applies to
/// both platforms has one `help_uri`; when that link is the other platform's documentation,
/// the platform's own scope reference stands in. Platform-neutral links (RFCs) are kept.
pub fn help_uri(rule_help: &str, platform: Platform) -> String {
    match link_platform(rule_help) {
        Some(p) if p != platform => platform_docs(platform).to_string(),
        _ => rule_help.to_string(),
    }
}

/// The platform whose documentation a link points into, if any.
pub fn link_platform(link: &str) -> Option<Platform> {
    let host = url::Url::parse(link).ok()?.host_str()?.to_ascii_lowercase();
    let on = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if on("salesforce.com") {
        Some(Platform::Salesforce)
    } else if on("hubspot.com") {
        Some(Platform::Hubspot)
    } else {
        None
    }
}

/// Each platform's reference for OAuth scopes.
pub fn platform_docs(platform: Platform) -> &'static str {
    match platform {
        Platform::Salesforce => {
            "https://developer.salesforce.com/docs/platform/mobile-sdk/guide/oauth-scope-parameter-values.html"
        }
        Platform::Hubspot => {
            "https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_do_not_repeat_the_platform() {
        assert_eq!(
            app_title("Scope list (Salesforce)", Platform::Salesforce),
            "Scope list (Salesforce)"
        );
        assert_eq!(
            app_title("Ledger Sync", Platform::Salesforce),
            "Ledger Sync (Salesforce)"
        );
        // A name that claims another platform still shows the real one.
        assert_eq!(
            app_title("Sync for HubSpot", Platform::Salesforce),
            "Sync for HubSpot (Salesforce)"
        );
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("needed for tool `A` (read X) and signing users in"),
            "Needed for tool `A` (read X) and signing users in."
        );
        assert_eq!(
            sentence("the catalog does not know this scope"),
            "The catalog does not know this scope."
        );
        assert_eq!(sentence("Already one."), "Already one.");
    }

    #[test]
    fn help_links_fit_the_platform() {
        let hubspot = "https://developers.hubspot.com/docs/apps/x";
        assert_eq!(help_uri(hubspot, Platform::Hubspot), hubspot);
        assert_eq!(
            help_uri(hubspot, Platform::Salesforce),
            platform_docs(Platform::Salesforce)
        );
        let rfc = "https://datatracker.ietf.org/doc/html/rfc7636";
        assert_eq!(help_uri(rfc, Platform::Salesforce), rfc);
        assert_eq!(
            help_uri("https://help.salesforce.com/s/x", Platform::Hubspot),
            platform_docs(Platform::Hubspot)
        );
    }
}
