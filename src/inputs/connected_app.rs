//! Salesforce Connected App metadata (`*.connectedApp-meta.xml`, or `*.connectedApp` in the
//! metadata API format), SPEC section 2.
//!
//! Where the metadata leaves a policy out, the platform's documented default applies
//! (`isAdminApproved` false: all users may self-authorize; `refreshTokenPolicy` infinite;
//! `ipRelaxation` ENFORCE), and the setting points at the element that should have stated it.

use super::sf_meta::{self, AccessMethod, Reading};
use super::xml::{self, Element};
use crate::model::{
    App, AppIdentity, AppSettings, Flow, IdentityKind, InputKind, Integration, IpRelaxation, Note, NoteCode, Pos,
    RefreshTokenPolicy, Setting, Source,
};
use crate::source_file::FileError;

/// The elements of `ConnectedApp`, after the Metadata API Developer Guide (API 67.0,
/// `meta_connectedapp.htm`) and the metadata WSDL (`canvas`, `mobileAppConfig`), plus the
/// `fullName` every type inherits and the elements older retrieves wrote.
const ROOT_CHILDREN: [&str; 26] = [
    "attributes",
    "canvas",
    "canvasConfig",
    "contactEmail",
    "contactPhone",
    "description",
    "developerName",
    "fullName",
    "iconUrl",
    "infoUrl",
    "ipRanges",
    "label",
    "logoUrl",
    "mobileAppConfig",
    "mobileStartUrl",
    "oauthConfig",
    "oauthPolicy",
    "permissionSetName",
    "plugin",
    "pluginExecutionUser",
    "profileName",
    "pushNotificationConfig",
    "samlConfig",
    "sessionPolicy",
    "startUrl",
    "version",
];

/// `ConnectedAppOauthConfig`, the same guide's full list.
const OAUTH_CONFIG_CHILDREN: [&str; 22] = [
    "assetTokenConfig",
    "callbackUrl",
    "certificate",
    "consumerKey",
    "consumerSecret",
    "idTokenConfig",
    "isAdminApproved",
    "isClientCredentialEnabled",
    "isCodeCredentialEnabled",
    "isCodeCredentialPostOnly",
    "isConsumerSecretOptional",
    "isIntrospectAllTokens",
    "isNamedUserJwtEnabled",
    "isPkceRequired",
    "isRefreshTokenRotationEnabled",
    "isSecretRequiredForRefreshToken",
    "isSecretRequiredForTokenExchange",
    "isTokenExchangeEnabled",
    "oauthClientCredentialUser",
    "scopes",
    "singleLogoutUrl",
    "customAttributes",
];

/// `ConnectedAppOauthPolicy`: the guide lists three; retrieves since API 60 also write
/// `isTokenExchangeFlowEnabled` (the admin's switch for the token exchange flow).
const OAUTH_POLICY_CHILDREN: [&str; 4] = [
    "ipRelaxation",
    "isTokenExchangeFlowEnabled",
    "refreshTokenPolicy",
    "singleLogoutUrl",
];

/// Whether a file name is a Connected App's, in any case (case-insensitive file systems and zip
/// tools change it).
pub fn is_connected_app_name(file_name: &str) -> bool {
    let name = file_name.to_ascii_lowercase();
    name.ends_with(".connectedapp-meta.xml") || name.ends_with(".connectedapp")
}

/// The app's API name, from the file name.
fn api_name(path: &str) -> String {
    let file = crate::source_file::file_name(path);
    file.trim_end_matches("-meta.xml")
        .trim_end_matches(".connectedApp")
        .to_string()
}

/// The Connected App elements; the ones External Client Apps share are in `sf_meta`.
impl Reading {
    /// One child of `<oauthConfig>` (or one found in the wrong place and read as if it were).
    fn oauth_config_field(&mut self, name: &str, e: &Element) {
        let line = e.line;
        if name != "scopes" && self.common_field(e) {
            return;
        }
        match name {
            "scopes" => {
                if e.children.is_empty() {
                    if e.value().is_none() {
                        self.notes
                            .add(line, NoteCode::EmptyValue, "empty <scopes> element ignored");
                    }
                    sf_meta::scopes_from(&e.text, line, false, &mut self.notes, &mut self.scopes);
                } else {
                    // `<scopes><scopes>Api</scopes></scopes>` and the like: read what it holds.
                    self.notes.add(
                        line,
                        NoteCode::Misplaced,
                        "<scopes> holds nested elements; their text was read as scopes",
                    );
                    for (text, l) in e.deep_text() {
                        sf_meta::scopes_from(text, l, false, &mut self.notes, &mut self.scopes);
                    }
                }
            }
            "isAdminApproved" => {
                self.flag(e, Setting::AdminApproved, |s| &mut s.admin_approved);
            }
            "isClientCredentialEnabled" => {
                let enabled = self.flag(e, Setting::ClientCredentialsEnabled, |s| {
                    &mut s.client_credentials_enabled
                });
                if enabled == Some(true) {
                    self.add_flow(Flow::ClientCredentials);
                }
            }
            "oauthClientCredentialUser" => {
                if let Some(user) = self.notes.text(e) {
                    self.offer_text(
                        Setting::ClientCredentialsUser,
                        line,
                        |s| &mut s.client_credentials_user,
                        user,
                    );
                }
            }
            // Descriptive or not about scope posture.
            _ => {}
        }
    }

    fn oauth_policy_field(&mut self, name: &str, e: &Element) {
        if name == "isTokenExchangeFlowEnabled" {
            self.common_field(e);
            return;
        }
        let Some(value) = self.notes.text(e) else { return };
        match name {
            "ipRelaxation" => match IpRelaxation::parse(&value) {
                Some(v) => {
                    self.notes.case(e.line, name, &value, v.as_str());
                    self.offer(Setting::IpRelaxation, e.line, |s| &mut s.ip_relaxation, v)
                }
                None => self.notes.add(
                    e.line,
                    NoteCode::InvalidValue,
                    format!("<ipRelaxation> `{value}` is not ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR or BYPASS; not audited"),
                ),
            },
            "refreshTokenPolicy" => match RefreshTokenPolicy::parse(&value) {
                Some(v) => {
                    self.notes.case(e.line, name, &value, &v.to_string());
                    self.offer(Setting::RefreshTokenPolicy, e.line, |s| &mut s.refresh_token_policy, v)
                }
                None => self.notes.add(
                    e.line,
                    NoteCode::InvalidValue,
                    format!("<refreshTokenPolicy> `{value}` is not infinite, zero, specific_lifetime:N:UNIT or specific_inactivity:N:UNIT; not audited"),
                ),
            },
            _ => {}
        }
    }
}

/// Parses a Connected App file. `path` is how the user named it.
pub fn parse(path: &str, text: &str) -> Result<App, FileError> {
    let root = xml::parse(path, text)?;
    if root.name != "ConnectedApp" {
        return Err(FileError::at(
            path,
            root.line as usize,
            None,
            format!(
                "not Connected App metadata: the root element is <{}>, not <ConnectedApp>",
                root.name
            ),
        ));
    }
    let mut r = Reading::new();
    let mut label = None;
    let mut description = None;
    // Every `<oauthConfig>` and `<oauthPolicy>` is read, in document order: a second block
    // must not hide what the first says, nor the other way round. Blocks meant as
    // `<oauthConfig>` but misspelled come after the real ones.
    let mut oauth_configs: Vec<&Element> = Vec::new();
    let mut misspelled_configs: Vec<&Element> = Vec::new();
    let mut oauth_policies: Vec<&Element> = Vec::new();
    for child in &root.children {
        let name = child.name.as_str();
        if ROOT_CHILDREN.contains(&name) {
            r.check_repeat("ConnectedApp", name, child.line);
        }
        match name {
            "label" => label = label.or_else(|| child.value().map(str::to_string)),
            "description" => description = description.or_else(|| child.value().map(str::to_string)),
            "oauthConfig" => oauth_configs.push(child),
            "oauthPolicy" => oauth_policies.push(child),
            "profileName" => {
                if let Some(v) = child.value() {
                    sf_meta::add_name(
                        &mut r.settings.preauthorized_profiles,
                        v.to_string(),
                        "profile",
                        child.line,
                        &mut r.notes,
                    );
                    r.settings
                        .at
                        .entry(Setting::PreauthorizedProfiles)
                        .or_insert(Pos::line(child.line));
                }
            }
            "permissionSetName" => {
                if let Some(v) = child.value() {
                    sf_meta::add_name(
                        &mut r.settings.preauthorized_permission_sets,
                        v.to_string(),
                        "permission set",
                        child.line,
                        &mut r.notes,
                    );
                    r.settings
                        .at
                        .entry(Setting::PreauthorizedPermissionSets)
                        .or_insert(Pos::line(child.line));
                }
            }
            "ipRanges" => r.ip_range(child, "start", "end", "<ipRanges> without <start> or <end> ignored"),
            "canvasConfig" => {
                for method in child.children_named("accessMethod") {
                    r.check_repeat("canvasConfig", "accessMethod", method.line);
                    let Some(v) = method.value() else { continue };
                    if let Some(spelled) = ["Get", "Post"].into_iter().find(|m| m.eq_ignore_ascii_case(v)) {
                        r.notes.case(method.line, "accessMethod", v, spelled);
                    }
                    let riskier = r
                        .settings
                        .canvas_access_method
                        .as_deref()
                        .is_none_or(|held| sf_meta::riskier(&AccessMethod(v), &AccessMethod(held)));
                    if riskier {
                        r.settings.canvas_access_method = Some(v.to_string());
                        r.set_at(Setting::CanvasAccessMethod, child.line);
                    }
                }
            }
            name if ROOT_CHILDREN.contains(&name) => {}
            name if OAUTH_CONFIG_CHILDREN.contains(&name) => {
                r.notes.add(
                    child.line,
                    NoteCode::Misplaced,
                    format!(
                        "<{name}> belongs inside <oauthConfig>: Salesforce rejects it here; read as if it were there"
                    ),
                );
                r.check_repeat("oauthConfig", name, child.line);
                r.oauth_config_field(name, child);
            }
            name if OAUTH_POLICY_CHILDREN.contains(&name) => {
                r.notes.add(
                    child.line,
                    NoteCode::Misplaced,
                    format!(
                        "<{name}> belongs inside <oauthPolicy>: Salesforce rejects it here; read as if it were there"
                    ),
                );
                r.check_repeat("oauthPolicy", name, child.line);
                r.oauth_policy_field(name, child);
            }
            _ => {
                if r.notes.unknown(child, "ConnectedApp", &ROOT_CHILDREN) == Some("oauthConfig") {
                    misspelled_configs.push(child);
                }
            }
        }
    }
    oauth_configs.extend(misspelled_configs);
    match oauth_configs.first().copied() {
        Some(config) => {
            r.settings.oauth_enabled = Some(true);
            r.set_at(Setting::OauthEnabled, config.line);
            for field in oauth_configs.iter().flat_map(|c| &c.children) {
                let name = field.name.as_str();
                if OAUTH_CONFIG_CHILDREN.contains(&name) {
                    r.check_repeat("oauthConfig", name, field.line);
                    r.oauth_config_field(name, field);
                } else if OAUTH_POLICY_CHILDREN.contains(&name) {
                    r.notes.add(
                        field.line,
                        NoteCode::Misplaced,
                        format!("<{name}> belongs inside <oauthPolicy>, not <oauthConfig>: Salesforce rejects it here; read as if it were there"),
                    );
                    r.check_repeat("oauthPolicy", name, field.line);
                    r.oauth_policy_field(name, field);
                } else if let Some(meant) = r.notes.unknown(field, "oauthConfig", &OAUTH_CONFIG_CHILDREN) {
                    // A misspelled `<scope>` still tells what the vendor meant to request.
                    if meant == "scopes" {
                        r.oauth_config_field(meant, field);
                    }
                }
            }
            for field in oauth_policies.iter().flat_map(|p| &p.children) {
                let name = field.name.as_str();
                if OAUTH_POLICY_CHILDREN.contains(&name) {
                    r.check_repeat("oauthPolicy", name, field.line);
                    r.oauth_policy_field(name, field);
                } else {
                    r.notes.unknown(field, "oauthPolicy", &OAUTH_POLICY_CHILDREN);
                }
            }
            apply_defaults(
                &mut r.settings,
                config.line,
                oauth_policies.first().map_or(config.line, |p| p.line),
            );
            if r.scopes.is_empty() {
                r.notes
                    .add(config.line, NoteCode::Missing, "<oauthConfig> selects no scopes");
            }
        }
        None => {
            r.settings.oauth_enabled = Some(false);
            r.set_at(Setting::OauthEnabled, root.line);
            if !r.scopes.is_empty() {
                r.settings.oauth_enabled = Some(true);
            }
        }
    }
    let mut notes: Vec<Note> = r.notes.items;
    let preauthorized =
        !r.settings.preauthorized_profiles.is_empty() || !r.settings.preauthorized_permission_sets.is_empty();
    // Left out, `isAdminApproved` is false: Salesforce's default.
    if preauthorized && r.settings.oauth_enabled != Some(false) && r.settings.admin_approved != Some(true) {
        let stated = match r.settings.admin_approved {
            Some(_) => "isAdminApproved is false",
            None => "isAdminApproved is not set (Salesforce's default: false)",
        };
        notes.push(Note {
            code: NoteCode::Ineffective,
            message: format!("profiles or permission sets are pre-authorized, but {stated}, so Salesforce ignores them and every user may self-authorize"),
            at: r.settings.at.get(&Setting::AdminApproved).copied().or(Some(Pos::line(root.line))),
        });
    }
    notes.sort_by_key(|n| n.at);
    Ok(App {
        name: label.unwrap_or_else(|| api_name(path)),
        identity: AppIdentity::new(IdentityKind::ApiName, api_name(path)),
        vendor: None,
        platform: crate::model::Platform::Salesforce,
        description,
        source: Source::single(path, InputKind::ConnectedApp),
        at: Some(Pos::line(root.line)),
        integration: Integration {
            flows: r.flows,
            ..Integration::default()
        },
        integration_at: oauth_configs.first().map(|c| Pos::line(c.line)),
        scopes: r.scopes,
        tools: Vec::new(),
        tools_at: None,
        settings: r.settings,
        notes,
        org: None,
        matches: Vec::new(),
        consumer_key: r.consumer_key,
        approval: Default::default(),
    })
}

/// Where the metadata should have stated the policies it leaves out: a rule that applies the
/// platform's default (`Setting::platform_default`) points there, and says the value is a
/// default rather than reading as if the file stated it.
fn apply_defaults(settings: &mut AppSettings, config_line: u32, policy_line: u32) {
    for (setting, line) in [
        (Setting::AdminApproved, config_line),
        (Setting::RefreshTokenPolicy, policy_line),
        (Setting::IpRelaxation, policy_line),
    ] {
        settings.at.entry(setting).or_insert(Pos::line(line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Requirement;

    const APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Ledger Sync</label>
    <contactEmail>owner@example.org</contactEmail>
    <oauthConfig>
        <callbackUrl>https://a.example/cb
http://b.example/cb</callbackUrl>
        <consumerKey>3MVG9EXAMPLE</consumerKey>
        <isAdminApproved>true</isAdminApproved>
        <isPkceRequired>false</isPkceRequired>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>BYPASS</ipRelaxation>
        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>
    </oauthPolicy>
    <profileName>System Administrator</profileName>
</ConnectedApp>
"#;

    #[test]
    fn reads_scopes_policy_and_lines() {
        let app = parse("x/Ledger.connectedApp-meta.xml", APP).unwrap();
        assert_eq!(app.name, "Ledger Sync");
        let scopes: Vec<(&str, Option<u32>)> = app
            .scopes
            .iter()
            .map(|s| (s.name.as_str(), s.at.map(|p| p.line)))
            .collect();
        assert_eq!(scopes, [("Api", Some(11)), ("RefreshToken", Some(12))]);
        assert!(app.scopes.iter().all(|s| s.requirement == Requirement::Required));
        let urls: Vec<(&str, u32)> = app
            .settings
            .callback_urls
            .iter()
            .map(|u| (u.url.as_str(), u.at.unwrap().line))
            .collect();
        assert_eq!(urls, [("https://a.example/cb", 6), ("http://b.example/cb", 7)]);
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass));
        assert_eq!(app.settings.at[&Setting::IpRelaxation].line, 15);
        assert_eq!(app.settings.pkce_required, Some(false));
        assert_eq!(app.settings.preauthorized_profiles, ["System Administrator"]);
        assert!(app.notes.is_empty(), "{:?}", app.notes);
    }

    #[test]
    fn policies_left_out_are_unset_but_located() {
        let text = APP.replace("        <isAdminApproved>true</isAdminApproved>\n", "").replace(
            "    <oauthPolicy>\n        <ipRelaxation>BYPASS</ipRelaxation>\n        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>\n    </oauthPolicy>\n",
            "",
        );
        let app = parse("L.connectedApp-meta.xml", &text).unwrap();
        // Not invented: the rules apply Salesforce's default and say it is one.
        assert_eq!(app.settings.admin_approved, None);
        assert_eq!(app.settings.refresh_token_policy, None);
        assert_eq!(app.settings.at[&Setting::AdminApproved].line, 5);
        // Pre-authorized profiles without admin approval do nothing: noted.
        assert!(
            app.notes[0].message.contains("Salesforce ignores them"),
            "{:?}",
            app.notes
        );
    }

    #[test]
    fn no_oauth_config_is_audited_as_no_oauth() {
        let app = parse(
            "Saml.connectedApp-meta.xml",
            "<ConnectedApp><label>SSO</label><samlConfig><acsUrl>https://x</acsUrl></samlConfig></ConnectedApp>",
        )
        .unwrap();
        assert_eq!(app.settings.oauth_enabled, Some(false));
        assert!(app.scopes.is_empty());
    }

    #[test]
    fn misspelled_and_misplaced_elements_are_read_and_noted() {
        let text = APP
            .replace("<scopes>RefreshToken</scopes>", "<scope>RefreshToken</scope>")
            .replace(
                "    <profileName>",
                "    <isIntrospectAllTokens>true</isIntrospectAllTokens>\n    <profileName>",
            );
        let app = parse("L.connectedApp-meta.xml", &text).unwrap();
        assert_eq!(app.scopes.len(), 2);
        assert_eq!(app.settings.introspect_all_tokens, Some(true));
        let notes: Vec<&str> = app.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(notes[0].contains("did you mean <scopes>"), "{notes:?}");
        assert!(notes[1].contains("belongs inside <oauthConfig>"), "{notes:?}");
    }

    #[test]
    fn repeated_bounds_canvas_methods_and_a_misspelled_block_are_read_at_their_riskiest() {
        let text = APP.replace(
            "    <profileName>",
            "    <ipRanges>\n        <start>10.0.0.8</start>\n        <start>10.0.0.0</start>\n        <end>10.0.0.9</end>\n    </ipRanges>\n    <canvasConfig>\n        <accessMethod>Post</accessMethod>\n        <accessMethod>Get</accessMethod>\n    </canvasConfig>\n    <oauthConfg>\n        <isAdminApproved>false</isAdminApproved>\n        <scopes>Full</scopes>\n    </oauthConfg>\n    <profileName>",
        );
        let app = parse("L.connectedApp-meta.xml", &text).unwrap();
        assert_eq!(app.settings.ip_ranges, ["10.0.0.0-10.0.0.9"]);
        assert_eq!(app.settings.canvas_access_method.as_deref(), Some("Post"));
        // The misspelled block is read too: its scope and its weaker admin approval.
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(app.settings.at[&Setting::AdminApproved].line, 28);
        let full = app.scopes.iter().find(|s| s.name == "Full").unwrap();
        assert_eq!(full.at.unwrap().line, 29);
        let noted = |line: u32, start: &str| {
            app.notes
                .iter()
                .any(|n| n.at.unwrap().line == line && n.message.starts_with(start))
        };
        assert!(
            noted(20, "<start> appears more than once in <ipRanges> (first at line 19)"),
            "{:?}",
            app.notes
        );
        assert!(noted(
            25,
            "<accessMethod> appears more than once in <canvasConfig> (first at line 24)"
        ));
        assert!(noted(
            28,
            "<isAdminApproved> appears more than once in <oauthConfig> (first at line 9)"
        ));
    }
}
