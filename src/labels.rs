//! The one table of what people read for an app setting and its value: "IP restrictions:
//! relaxed for refresh tokens", not `ip_relaxation ENFORCE_RELAXREFRESH`. Every report format
//! takes its wording from here; JSON keeps the machine spellings. Both functions match every
//! `Setting`, so a new setting does not compile until it has a label.

use crate::model::org::{OrgAppKind, PermittedUsers};
use crate::model::{AppOwner, Credential, IpRelaxation, RefreshTokenPolicy, Setting, SettingValue, TimeUnit};

/// What a reviewer calls the setting.
pub fn setting_label(setting: Setting) -> &'static str {
    match setting {
        Setting::OauthEnabled => "OAuth",
        Setting::AdminApproved => "Who may authorize",
        Setting::IpRelaxation => "IP restrictions",
        Setting::RefreshTokenPolicy => "Refresh tokens",
        Setting::PkceRequired => "PKCE",
        Setting::PkceUsed => "PKCE in the authorize link",
        Setting::AuthorizeHost => "Authorize host",
        Setting::AuthorizeHostKnown => "Authorize host recognized",
        Setting::CallbackUrls => "Callback URLs",
        Setting::ClientCredentialsEnabled => "Client credentials flow",
        Setting::ClientCredentialsUser => "Client credentials run as",
        Setting::IntrospectAllTokens => "Token introspection",
        Setting::ConsumerSecretOptional => "Consumer secret for the web server flow",
        Setting::SecretRequiredForRefreshToken => "Secret to use a refresh token",
        Setting::RefreshTokenRotation => "Refresh token rotation",
        Setting::TokenExchangeEnabled => "Token exchange",
        Setting::PreauthorizedProfiles => "Pre-authorized profiles",
        Setting::PreauthorizedPermissionSets => "Pre-authorized permission sets",
        Setting::IpRanges => "Trusted IP ranges",
        Setting::IpRangeAddresses => "Addresses in the trusted IP ranges",
        Setting::Certificate => "Certificate",
        Setting::CertificateNotAfter => "Certificate valid until",
        Setting::CertificateDaysLeft => "Certificate days left",
        Setting::CertificateLifetimeDays => "Certificate lifetime in days",
        Setting::CertificateProblem => "Certificate problem",
        Setting::CanvasAccessMethod => "Canvas access",
        Setting::AuthType => "Authentication",
        Setting::Distribution => "Distribution",
        Setting::PermittedUrls => "Permitted fetch URLs",
        Setting::CommittedSecrets => "Secrets committed in the input",
        Setting::ScopeParameter => "Scope parameter in the authorize link",
        Setting::AppOwner => "Whose app it is",
        Setting::VendorHolds => "Credentials the customer hands the vendor",
    }
}

/// A setting's value as a reviewer reads it. Words the platform defines become plain English;
/// text from the input (hosts, URLs, profile names) is returned as it is, for the format's
/// own escaping.
pub fn value_label(setting: Setting, value: &SettingValue) -> String {
    let flag = |yes: &str, no: &str| match value {
        SettingValue::Bool(true) => Some(yes.to_string()),
        SettingValue::Bool(false) => Some(no.to_string()),
        _ => None,
    };
    let worded = match setting {
        Setting::OauthEnabled => flag("enabled", "not configured"),
        Setting::AdminApproved => flag("admin-approved users only", "any user may self-authorize"),
        Setting::IpRelaxation => text(value)
            .and_then(IpRelaxation::parse)
            .map(|r| ip_relaxation(r).to_string()),
        Setting::RefreshTokenPolicy => text(value).and_then(RefreshTokenPolicy::parse).map(refresh_policy),
        Setting::PkceRequired => flag("required", "not required"),
        Setting::PkceUsed => flag("used", "not used"),
        Setting::ScopeParameter => flag("present", "missing: the app gets every scope it is allowed"),
        Setting::AppOwner => text(value).and_then(variant::<AppOwner>).map(|owner| {
            match owner {
                AppOwner::Vendor => "the vendor's own app",
                AppOwner::Customer => "created by the customer for the vendor",
            }
            .to_string()
        }),
        Setting::VendorHolds => match value {
            SettingValue::List(items) => Some(
                items
                    .iter()
                    .map(|c| match variant::<Credential>(c) {
                        Some(Credential::ConsumerSecret) => "consumer secret",
                        Some(Credential::RefreshToken) => "refresh token",
                        Some(Credential::PrivateKey) => "private key",
                        Some(Credential::Password) => "password",
                        None => c.as_str(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        },
        Setting::AuthorizeHostKnown => flag("yes, one of the platform's own", "no, not one of the platform's own"),
        Setting::ClientCredentialsEnabled | Setting::TokenExchangeEnabled => flag("enabled", "disabled"),
        Setting::IntrospectAllTokens => flag("may introspect every token of the org", "own tokens only"),
        Setting::ConsumerSecretOptional => flag("optional", "required"),
        Setting::SecretRequiredForRefreshToken => flag("required", "not required"),
        Setting::RefreshTokenRotation => flag("on", "off"),
        Setting::CanvasAccessMethod => text(value).and_then(|m| match m.to_ascii_lowercase().as_str() {
            "get" => Some("OAuth (GET)".to_string()),
            "post" => Some("signed request (POST)".to_string()),
            _ => None,
        }),
        Setting::AuthType => text(value).and_then(|m| match m.to_ascii_lowercase().as_str() {
            "oauth" => Some("OAuth".to_string()),
            "static" => Some("static access token".to_string()),
            _ => None,
        }),
        Setting::Distribution => text(value).and_then(|m| match m.to_ascii_lowercase().as_str() {
            "marketplace" => Some("HubSpot App Marketplace".to_string()),
            "private" => Some("private".to_string()),
            _ => None,
        }),
        Setting::Certificate
        | Setting::AuthorizeHost
        | Setting::CallbackUrls
        | Setting::ClientCredentialsUser
        | Setting::PreauthorizedProfiles
        | Setting::PreauthorizedPermissionSets
        | Setting::IpRanges
        | Setting::IpRangeAddresses
        | Setting::CertificateNotAfter
        | Setting::CertificateDaysLeft
        | Setting::CertificateLifetimeDays
        | Setting::CertificateProblem
        | Setting::PermittedUrls
        | Setting::CommittedSecrets => None,
    };
    worded.unwrap_or_else(|| match value {
        SettingValue::Unset => "not stated".to_string(),
        SettingValue::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
        other => other.to_string(),
    })
}

/// `label: value`, the way reports list a setting.
pub fn setting_line(setting: Setting, value: &SettingValue) -> String {
    format!("{}: {}", setting_label(setting), value_label(setting, value))
}

/// The variant of a closed enum a setting's value spells (its strum spelling).
fn variant<T: strum::VariantArray + Copy + Into<&'static str>>(spelled: &str) -> Option<T> {
    T::VARIANTS.iter().copied().find(|v| (*v).into() == spelled)
}

fn text(value: &SettingValue) -> Option<&str> {
    match value {
        SettingValue::Text(t) => Some(t.as_str()),
        _ => None,
    }
}

/// Salesforce's IP relaxation, in the words of its setup page.
pub fn ip_relaxation(relaxation: IpRelaxation) -> &'static str {
    match relaxation {
        IpRelaxation::Enforce => "enforced",
        IpRelaxation::EnforceRelaxRefresh => "relaxed for refresh tokens",
        IpRelaxation::Bypass2Factor => "relaxed for activated devices (second factor)",
        IpRelaxation::Bypass => "relaxed",
    }
}

fn refresh_policy(policy: RefreshTokenPolicy) -> String {
    let period = |n: u32, unit: TimeUnit| {
        let word = match unit {
            TimeUnit::Hours => "hour",
            TimeUnit::Days => "day",
            TimeUnit::Months => "month",
        };
        format!("{n} {word}{}", if n == 1 { "" } else { "s" })
    };
    match policy {
        RefreshTokenPolicy::Infinite => "valid until revoked".to_string(),
        RefreshTokenPolicy::Zero => "expire at once (no refresh)".to_string(),
        RefreshTokenPolicy::SpecificLifetime(n, unit) => format!("expire {} after issue", period(n, unit)),
        RefreshTokenPolicy::SpecificInactivity(n, unit) => {
            format!("expire after {} unused", period(n, unit))
        }
    }
}

/// Which kind of org app, as Salesforce's setup pages name it.
pub fn org_app_kind_label(kind: OrgAppKind) -> &'static str {
    match kind {
        OrgAppKind::ConnectedApp => "Connected App",
        OrgAppKind::ExternalClientApp => "External Client App",
    }
}

/// The app's "Permitted Users" policy, in the words of its setup page.
pub fn permitted_users_label(permitted: PermittedUsers) -> &'static str {
    match permitted {
        PermittedUsers::AllUsers => "All users may self-authorize",
        PermittedUsers::AdminApproved => "Admin approved users are pre-authorized",
    }
}

/// The kinds of token an org report counts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::VariantArray, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TokenCount {
    /// Not used for the report's stale days (or never used and older than that).
    Stale,
    /// Held by a user who is no longer active.
    InactiveUser,
    /// Held by a user whose profile or permission sets grant Modify or View All Data.
    PrivilegedUser,
}

/// What a reviewer calls each kind of token ("12 stale").
pub fn token_count_label(kind: TokenCount) -> &'static str {
    match kind {
        TokenCount::Stale => "stale",
        TokenCount::InactiveUser => "of inactive users",
        TokenCount::PrivilegedUser => "of privileged users (Modify or View All Data)",
    }
}

/// The OAuth flow the audit's own credential used. The snapshot records it as text
/// (`refresh_token` or `refresh-token`); a flow this table does not know is shown as it is,
/// for the format's own escaping.
pub fn credential_flow_label(flow: &str) -> std::borrow::Cow<'_, str> {
    use crate::org::credentials::Flow;
    let Some(known) = Flow::parse(flow) else {
        return std::borrow::Cow::Borrowed(flow);
    };
    std::borrow::Cow::Borrowed(match known {
        Flow::CliAlias => "Salesforce CLI stored authorization",
        Flow::AccessToken => "access token",
        Flow::RefreshToken => "refresh token flow",
        Flow::JwtBearer => "JWT bearer flow",
        Flow::ClientCredentials => "client credentials flow",
        Flow::UsernamePassword => "username-password flow (deprecated)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray as _;

    #[test]
    fn settings_read_as_words() {
        assert_eq!(
            setting_line(
                Setting::IpRelaxation,
                &SettingValue::Text("ENFORCE_RELAXREFRESH".into())
            ),
            "IP restrictions: relaxed for refresh tokens"
        );
        assert_eq!(
            setting_line(
                Setting::RefreshTokenPolicy,
                &SettingValue::Text("specific_inactivity:90:DAYS".into())
            ),
            "Refresh tokens: expire after 90 days unused"
        );
        assert_eq!(
            setting_line(Setting::AdminApproved, &SettingValue::Bool(false)),
            "Who may authorize: any user may self-authorize"
        );
        // Input text is kept as it is (the format escapes it).
        assert_eq!(
            value_label(Setting::CallbackUrls, &SettingValue::List(vec!["a".into(), "b".into()])),
            "a, b"
        );
    }

    #[test]
    fn no_label_is_a_machine_spelling() {
        for setting in Setting::VARIANTS {
            let label = setting_label(*setting);
            assert!(!label.contains('_'), "{label}");
            assert!(label.starts_with(|c: char| c.is_ascii_uppercase()), "{label}");
        }
        let labels: std::collections::BTreeSet<&str> = Setting::VARIANTS.iter().map(|s| setting_label(*s)).collect();
        assert_eq!(labels.len(), Setting::VARIANTS.len(), "two settings share a label");
        for relaxation in ["ENFORCE", "ENFORCE_RELAXREFRESH", "BYPASS_2FACTOR", "BYPASS"] {
            let shown = value_label(Setting::IpRelaxation, &SettingValue::Text(relaxation.into()));
            assert!(!shown.contains('_') && shown != relaxation, "{shown}");
        }
    }

    #[test]
    fn org_words_come_from_the_table() {
        assert_eq!(credential_flow_label("refresh_token"), "refresh token flow");
        assert_eq!(credential_flow_label("jwt-bearer"), "JWT bearer flow");
        assert_eq!(credential_flow_label("something_new"), "something_new");
        for kind in TokenCount::VARIANTS {
            assert!(!token_count_label(*kind).contains('_'));
        }
        assert_eq!(
            permitted_users_label(PermittedUsers::AllUsers),
            "All users may self-authorize"
        );
    }
}
