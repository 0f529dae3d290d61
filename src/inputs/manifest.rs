//! The native app manifest (`*.yaml` with a top-level `app:`), SPEC section 2.

use crate::model::{
    App, AppIdentity, AppOwner, AppSettings, CallbackUrl, CertificateInfo, Credential, Date, Delegation, Flow,
    IdentityKind, InputKind, Integration, IpRelaxation, Platform, Pos, RefreshTokenPolicy, RequestedScope, Requirement,
    Setting, Source, Tool, ToolAccess,
};
use crate::source_file::FileError;
use crate::yaml::{self, Keyed};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an app manifest: a map with `app`, `platform`, `scopes`"
)]
struct ManifestFile {
    app: String,
    #[serde(default)]
    vendor: Option<String>,
    platform: Platform,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    integration: Option<Keyed<IntegrationFile>>,
    scopes: Vec<Keyed<ScopeFile>>,
    #[serde(default)]
    tools: Vec<Keyed<ToolFile>>,
    #[serde(default)]
    settings: Option<Keyed<SettingsFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a map with `delegation`, `flows`, `token_storage`, `sign_in`, `identifies_users`, `app_owner`, `vendor_holds`"
)]
struct IntegrationFile {
    /// Reads who the user is (name, email) without signing them in.
    #[serde(default)]
    identifies_users: bool,
    #[serde(default)]
    app_owner: Option<AppOwner>,
    #[serde(default)]
    vendor_holds: Vec<Credential>,
    #[serde(default)]
    delegation: Option<Delegation>,
    #[serde(default)]
    flows: Vec<Flow>,
    #[serde(default)]
    token_storage: Option<String>,
    #[serde(default)]
    sign_in: bool,
}

/// `required: true | false | conditional` (HubSpot's conditionally required scopes).
#[derive(Debug, Clone, Copy, Default)]
struct RequiredValue(Option<Requirement>);

impl<'de> Deserialize<'de> for RequiredValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RequiredValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false or conditional")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<RequiredValue, E> {
                Ok(RequiredValue(Some(if v {
                    Requirement::Required
                } else {
                    Requirement::Optional
                })))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RequiredValue, E> {
                match v.trim() {
                    "conditional" => Ok(RequiredValue(Some(Requirement::Conditional))),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(expecting = "a scope entry: a map with `scope`, `justification`, `required`")]
struct ScopeFile {
    scope: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    required: RequiredValue,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a tool entry: a map with `name`, `object`, `access`"
)]
struct ToolFile {
    name: String,
    object: String,
    access: ToolAccess,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a map of settings")]
struct SettingsFile {
    admin_approved: Option<bool>,
    ip_relaxation: Option<String>,
    refresh_token_policy: Option<String>,
    pkce_required: Option<bool>,
    #[serde(default)]
    callback_urls: Vec<String>,
    client_credentials_enabled: Option<bool>,
    client_credentials_user: Option<String>,
    introspect_all_tokens: Option<bool>,
    consumer_secret_optional: Option<bool>,
    secret_required_for_refresh_token: Option<bool>,
    refresh_token_rotation: Option<bool>,
    token_exchange_enabled: Option<bool>,
    #[serde(default)]
    preauthorized_profiles: Vec<String>,
    #[serde(default)]
    preauthorized_permission_sets: Vec<String>,
    #[serde(default)]
    ip_ranges: Vec<String>,
    #[serde(default)]
    certificate: Option<CertificateFile>,
    canvas_access_method: Option<String>,
    auth_type: Option<String>,
    distribution: Option<String>,
    #[serde(default)]
    permitted_urls: Vec<String>,
}

/// The validity of the certificate the app registers (for the JWT bearer flow).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a map with `not_before`, `not_after`")]
struct CertificateFile {
    not_before: Option<String>,
    not_after: Option<String>,
}

/// Whether a YAML text is an app manifest: the top-level mapping of a document has an `app`
/// key, in any style (block, flow, indented, after `---` or comments). Also true for text that
/// is not valid YAML but has what looks like a top-level `app:` key, so that a broken manifest
/// gets its error reported rather than being skipped. Cheap for other YAML (a CI config, say):
/// text that never has `app` before a `:` is ruled out without parsing, and the rest is only
/// tokenized, never built into values.
pub fn looks_like_manifest(text: &str) -> bool {
    if !mentions_app_key(text) {
        return false;
    }
    yaml::has_top_level_key(text, "app").unwrap_or_else(|| broken_app_key(text))
}

/// `app`, maybe quoted, then `:` (after optional blanks) somewhere in the text.
fn mentions_app_key(text: &str) -> bool {
    text.match_indices("app").any(|(i, _)| {
        let rest = text[i + 3..].trim_start_matches(['"', '\'']);
        rest.trim_start_matches([' ', '\t']).starts_with(':')
    })
}

/// For text that is not valid YAML: a line that is an `app:` key at the indentation of the
/// document's first key, or an `app:` key right after the `{` opening a flow mapping.
fn broken_app_key(text: &str) -> bool {
    let content = |line: &&str| {
        let t = line.trim_start();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with("---") && !t.starts_with('%')
    };
    let Some(first) = text.lines().find(content) else {
        return false;
    };
    let indent = first.len() - first.trim_start().len();
    let is_app_key = |s: &str| {
        let s = s.trim_start();
        let s = s.strip_prefix(['"', '\'']).unwrap_or(s);
        s.strip_prefix("app")
            .map(|rest| rest.trim_start_matches(['"', '\'']).trim_start_matches([' ', '\t']))
            .is_some_and(|rest| rest.starts_with(':'))
    };
    let flow = first.trim_start().strip_prefix('{').is_some_and(is_app_key);
    flow || text
        .lines()
        .filter(content)
        .any(|line| line.len() - line.trim_start().len() == indent && is_app_key(line))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses a manifest's text. `path` is how the user named the file.
pub fn parse(path: &str, text: &str) -> Result<App, FileError> {
    let manifest: Keyed<ManifestFile> = yaml::from_str(path, text)?;
    let line_of = |key: &str| manifest.line(key);
    let at = |line: Option<u32>, message: String| match line {
        Some(l) => FileError::at(path, l as usize, None, message),
        None => FileError::new(path, message),
    };
    let (app_at, integration_at, tools_at) = (line_of("app"), line_of("integration"), line_of("tools"));
    let scopes_at = line_of("scopes");
    let file = manifest.value;
    if file.app.trim().is_empty() {
        return Err(at(app_at, "`app` is empty: give the app's display name".to_string()));
    }
    if file.scopes.is_empty() {
        return Err(at(
            scopes_at,
            "`scopes` is empty: list the scopes the app requests".to_string(),
        ));
    }
    let mut scopes = Vec::with_capacity(file.scopes.len());
    for (i, entry) in file.scopes.into_iter().enumerate() {
        let line = entry.line("scope").or(scopes_at);
        let scope = entry.value;
        let name = scope.scope.trim().to_string();
        if name.is_empty() {
            return Err(at(line, format!("scopes[{i}].scope is empty")));
        }
        let requirement = scope.required.0.unwrap_or(Requirement::Required);
        scopes.push(RequestedScope {
            name,
            requirement,
            justification: non_empty(scope.justification),
            at: line.map(Pos::line),
        });
    }
    let mut tools = Vec::with_capacity(file.tools.len());
    for (i, entry) in file.tools.into_iter().enumerate() {
        let line = entry.line("name").or(tools_at);
        let tool = entry.value;
        if tool.object.trim().is_empty() || tool.name.trim().is_empty() {
            return Err(at(line, format!("tools[{i}]: `name` and `object` must not be empty")));
        }
        tools.push(Tool {
            name: tool.name.trim().to_string(),
            object: tool.object.trim().to_string(),
            access: tool.access,
            at: line.map(Pos::line),
        });
    }
    // Who owns the app and who holds its credentials are stated under `integration` but
    // tested like settings.
    let mut ownership = (None, Vec::new(), BTreeMap::new());
    let integration = file.integration.map_or_else(Integration::default, |keyed| {
        let flows_at = keyed.line("flows").map(Pos::line);
        for (key, setting) in [("app_owner", Setting::AppOwner), ("vendor_holds", Setting::VendorHolds)] {
            if let Some(line) = keyed.line(key) {
                ownership.2.insert(setting, Pos::line(line));
            }
        }
        let i = keyed.value;
        ownership.0 = i.app_owner;
        ownership.1 = i.vendor_holds;
        Integration {
            delegation: i.delegation,
            flows: i.flows,
            token_storage: non_empty(i.token_storage),
            sign_in: i.sign_in,
            identifies_users: i.identifies_users,
            flows_at,
        }
    });
    let mut settings = match file.settings {
        Some(keyed) => settings(
            path,
            &keyed.key_lines().map(|(k, l)| (k.to_string(), l)).collect(),
            keyed.value,
        )?,
        None => settings(path, &BTreeMap::new(), SettingsFile::default())?,
    };
    let (app_owner, vendor_holds, ownership_at) = ownership;
    settings.app_owner = app_owner;
    settings.vendor_holds = vendor_holds;
    settings.at.extend(ownership_at);
    Ok(App {
        name: file.app.trim().to_string(),
        identity: AppIdentity::new(IdentityKind::Label, file.app.trim()),
        vendor: non_empty(file.vendor),
        platform: file.platform,
        description: non_empty(file.description),
        source: Source::single(path, InputKind::Manifest),
        at: app_at.map(Pos::line),
        integration,
        integration_at: integration_at.map(Pos::line),
        scopes,
        tools_at: tools_at.map(Pos::line),
        tools,
        settings,
        notes: Vec::new(),
    })
}

fn settings(path: &str, lines: &BTreeMap<String, u32>, file: SettingsFile) -> Result<AppSettings, FileError> {
    // Keys are checked against the settings struct (unknown keys are errors), so each names a
    // setting; one that does not is no position to keep.
    let at = lines
        .iter()
        .filter_map(|(k, &l)| Some((Setting::parse(k)?, Pos::line(l))))
        .collect();
    let invalid = |key: &str, message: String| match lines.get(key) {
        Some(&l) => FileError::at(path, l as usize, None, format!("settings.{key}: {message}")),
        None => FileError::new(path, format!("settings.{key}: {message}")),
    };
    let ip_relaxation = match file.ip_relaxation {
        None => None,
        Some(v) => Some(IpRelaxation::parse(&v).ok_or_else(|| {
            invalid(
                "ip_relaxation",
                format!("`{v}` is not one of ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR, BYPASS"),
            )
        })?),
    };
    let refresh_token_policy = match file.refresh_token_policy {
        None => None,
        Some(v) => Some(RefreshTokenPolicy::parse(&v).ok_or_else(|| {
            invalid(
                "refresh_token_policy",
                format!("`{v}` is not one of infinite, zero, specific_lifetime:N:UNIT, specific_inactivity:N:UNIT (UNIT: HOURS, DAYS, MONTHS)"),
            )
        })?),
    };
    let trimmed = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let date = |key: &str, value: Option<String>| -> Result<Option<Date>, FileError> {
        match value {
            None => Ok(None),
            Some(v) => Date::parse(&v)
                .map(Some)
                .ok_or_else(|| invalid("certificate", format!("{key} `{v}` is not a date (YYYY-MM-DD)"))),
        }
    };
    let certificate = match file.certificate {
        None => None,
        Some(c) => Some(CertificateInfo {
            not_before: date("not_before", c.not_before)?,
            not_after: date("not_after", c.not_after)?,
            problem: None,
        }),
    };
    let callback_at = lines.get("callback_urls").map(|&l| Pos::line(l));
    let word = |key: &str, value: Option<String>, allowed: &[&str]| -> Result<Option<String>, FileError> {
        match non_empty(value) {
            None => Ok(None),
            Some(v) if allowed.iter().any(|a| a.eq_ignore_ascii_case(&v)) => Ok(Some(v.to_ascii_lowercase())),
            Some(v) => Err(invalid(key, format!("`{v}` is not one of {}", allowed.join(", ")))),
        }
    };
    Ok(AppSettings {
        oauth_enabled: None,
        pkce_used: None,
        authorize_host: None,
        certificate,
        canvas_access_method: word("canvas_access_method", file.canvas_access_method, &["get", "post"])?,
        auth_type: word("auth_type", file.auth_type, &["oauth", "static"])?,
        distribution: word("distribution", file.distribution, &["marketplace", "private"])?,
        permitted_urls: trimmed(file.permitted_urls),
        committed_secrets: Vec::new(),
        app_owner: None,
        vendor_holds: Vec::new(),
        admin_approved: file.admin_approved,
        ip_relaxation,
        refresh_token_policy,
        pkce_required: file.pkce_required,
        callback_urls: trimmed(file.callback_urls)
            .into_iter()
            .map(|url| CallbackUrl { url, at: callback_at })
            .collect(),
        client_credentials_enabled: file.client_credentials_enabled,
        client_credentials_user: non_empty(file.client_credentials_user),
        introspect_all_tokens: file.introspect_all_tokens,
        consumer_secret_optional: file.consumer_secret_optional,
        secret_required_for_refresh_token: file.secret_required_for_refresh_token,
        refresh_token_rotation: file.refresh_token_rotation,
        token_exchange_enabled: file.token_exchange_enabled,
        preauthorized_profiles: trimmed(file.preauthorized_profiles),
        preauthorized_permission_sets: trimmed(file.preauthorized_permission_sets),
        ip_ranges: trimmed(file.ip_ranges),
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "app: Bliro
vendor: Bliro GmbH
platform: salesforce
integration:
  delegation: user
  flows: [authorization_code, refresh_token]
  sign_in: true
scopes:
  - scope: api
    justification: Reads records.
  - scope: refresh_token
    required: false
tools:
  - name: Read Account
    object: Account
    access: read
settings:
  ip_relaxation: BYPASS
  refresh_token_policy: specific_inactivity:30:DAYS
";

    #[test]
    fn parses_a_manifest_with_lines() {
        let app = parse("m.yaml", GOOD).unwrap();
        assert_eq!(app.name, "Bliro");
        assert_eq!(app.scopes[0].at, Some(Pos::line(9)));
        assert_eq!(app.scopes[1].at, Some(Pos::line(11)));
        assert_eq!(app.scopes[1].requirement, Requirement::Optional);
        assert_eq!(app.tools[0].at, Some(Pos::line(14)));
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass));
        assert_eq!(app.settings.at.get(&Setting::RefreshTokenPolicy), Some(&Pos::line(19)));
        assert!(app.integration.sign_in);
    }

    #[test]
    fn unknown_key_is_located() {
        let err = parse("m.yaml", &GOOD.replace("vendor:", "vendr:")).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("unknown field `vendr`"), "{err}");
    }

    #[test]
    fn manifests_are_recognized_in_any_style() {
        for text in [
            GOOD,
            "{app: X, platform: hubspot, scopes: [{scope: oauth}]}",
            "# comment\n---\n  app: X\n  platform: hubspot\n",
            "platform: hubspot\n\"app\" : X\n",
            // Not valid YAML, but with a top-level `app:` key: its error gets reported.
            "platform: hubspot\nscopes: [oauth\napp: X\n",
            "  x: \"unclosed\n  app: X\n",
            "{ app: X, scopes: [\n",
        ] {
            assert!(looks_like_manifest(text), "{text}");
        }
        for text in [
            "name: x\n",
            "jobs:\n  build:\n    app: web\n",
            "kind: Pod\nmetadata:\n  labels: {app: web}\n---\nkind: Service\n",
            "- app: x\n",
            "apps: [a]\nwebapp: b\n",
            // Broken, with `app:` only nested.
            "steps:\n  - run: \"echo\n    app: x\n",
        ] {
            assert!(!looks_like_manifest(text), "{text}");
        }
    }

    #[test]
    fn bad_setting_value_names_the_setting_line() {
        let err = parse("m.yaml", &GOOD.replace("BYPASS", "OPEN")).unwrap_err();
        assert_eq!(err.to_string().split(": ").next(), Some("m.yaml:18"));
    }
}
