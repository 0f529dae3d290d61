//! The native app manifest (`*.yaml` with a top-level `app:`), SPEC section 2.

use crate::model::{
    App, AppIdentity, AppMatch, AppOwner, AppSettings, CallbackUrl, CertificateInfo, Credential, Date, Delegation,
    Flow, IdentityKind, InputKind, Integration, IpRelaxation, MatchKey, Named, Platform, Pos, RefreshTokenPolicy,
    RequestedScope, Requirement, Setting, Source, Tool, ToolAccess,
};
use crate::source_file::FileError;
use crate::yaml::{self, Located, Value};
use serde::de;
use std::collections::BTreeMap;

const MANIFEST_FIELDS: &[&str] = &[
    "app",
    "vendor",
    "platform",
    "description",
    "integration",
    "scopes",
    "tools",
    "settings",
    "match",
];
const INTEGRATION_FIELDS: &[&str] = &[
    "delegation",
    "flows",
    "token_storage",
    "sign_in",
    "identifies_users",
    "app_owner",
    "vendor_holds",
];
const SCOPE_FIELDS: &[&str] = &["scope", "justification", "required"];
const TOOL_FIELDS: &[&str] = &["name", "object", "feature", "of", "access"];
const SETTINGS_FIELDS: &[&str] = &[
    "admin_approved",
    "ip_relaxation",
    "refresh_token_policy",
    "pkce_required",
    "callback_urls",
    "client_credentials_enabled",
    "client_credentials_user",
    "introspect_all_tokens",
    "consumer_secret_optional",
    "secret_required_for_refresh_token",
    "refresh_token_rotation",
    "token_exchange_enabled",
    "preauthorized_profiles",
    "preauthorized_permission_sets",
    "ip_ranges",
    "certificate",
    "canvas_access_method",
    "auth_type",
    "distribution",
    "permitted_urls",
];
const CERTIFICATE_FIELDS: &[&str] = &["not_before", "not_after"];

/// The problems found so far in one manifest, each with its place.
struct Problems<'a> {
    path: &'a str,
    /// The manifest's text, for the spelling of a value YAML read as a number or flag.
    source: &'a str,
    errors: Vec<FileError>,
}

impl Problems<'_> {
    /// A problem with a value or a key at a line and column; `within` says where in the
    /// document (`scopes[0].required`), empty for the document itself.
    fn at<T>(&mut self, node: &Located<T>, within: &str, message: String) {
        let message = if within.is_empty() {
            message
        } else {
            format!("{within}: {message}")
        };
        self.errors.push(FileError::at(
            self.path,
            node.line.max(1),
            Some(node.column.max(1)),
            message,
        ));
    }

    /// A problem known by its line only (a value that parsed but means nothing).
    fn line(&mut self, line: Option<u32>, message: String) {
        self.errors.push(match line {
            Some(l) => FileError::at(self.path, l as usize, None, message),
            None => FileError::new(self.path, message),
        });
    }
}

/// How serde names a value of the wrong type.
fn unexpected(value: &Value) -> String {
    match value {
        Value::Null => "unit value".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::List(_) => "sequence".to_string(),
        Value::Map(_) => "map".to_string(),
    }
}

/// A mapping's entries, checked against the fields it may have: unknown keys (with "did you
/// mean") and missing required ones are problems.
struct Fields<'v> {
    entries: Vec<(&'v Located<String>, &'v Located<Value>)>,
}

impl<'v> Fields<'v> {
    fn get(&self, key: &str) -> Option<&'v Located<Value>> {
        self.entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| *v)
    }

    /// The line of a key, as `Keyed` gave it.
    fn line(&self, key: &str) -> Option<u32> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .and_then(|(k, _)| u32::try_from(k.line).ok())
    }

    /// A field's value, unless it is absent or null.
    fn value(&self, key: &str) -> Option<&'v Located<Value>> {
        self.get(key).filter(|v| v.value != Value::Null)
    }
}

fn fields<'v>(
    problems: &mut Problems,
    node: &'v Located<Value>,
    within: &str,
    expecting: &str,
    allowed: &[&str],
    required: &[&str],
) -> Option<Fields<'v>> {
    let Value::Map(entries) = &node.value else {
        problems.at(
            node,
            within,
            format!("invalid type: {}, expected {expecting}", unexpected(&node.value)),
        );
        return None;
    };
    let mut kept = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if allowed.contains(&key.value.as_str()) {
            kept.push((key, value));
            continue;
        }
        let near = crate::suggest::did_you_mean(&key.value, allowed.iter().copied());
        problems.at(
            key,
            within,
            format!(
                "unknown field `{}`, {}{near}",
                key.value,
                yaml::expected_one_of(allowed)
            ),
        );
    }
    for name in required {
        if !kept.iter().any(|(k, _)| k.value == *name) {
            problems.at(node, within, format!("missing field `{name}`"));
        }
    }
    Some(Fields { entries: kept })
}

/// `scopes[0]` and `required` make `scopes[0].required`.
fn child(within: &str, key: &str) -> String {
    if within.is_empty() {
        key.to_string()
    } else {
        format!("{within}.{key}")
    }
}

/// The plain scalar written at a 1-based line and column: a number or flag as spelled
/// (`1.10`, `yes`), which YAML would otherwise turn into `1.1` or `true`.
fn spelled(source: &str, line: usize, column: usize) -> Option<String> {
    let text = source.lines().nth(line.checked_sub(1)?)?;
    let token: String = text
        .chars()
        .skip(column.checked_sub(1)?)
        .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        .collect();
    (!token.is_empty()).then_some(token)
}

/// A text value (a number or flag written where text goes is its text, as written).
fn text(problems: &mut Problems, node: &Located<Value>, within: &str) -> Option<String> {
    match &node.value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(spelled(problems.source, node.line, node.column).unwrap_or_else(|| n.clone())),
        Value::Bool(b) => Some(spelled(problems.source, node.line, node.column).unwrap_or_else(|| b.to_string())),
        Value::List(_) | Value::Map(_) => {
            problems.at(node, within, "expected a string".to_string());
            None
        }
    }
}

fn flag(problems: &mut Problems, node: &Located<Value>, within: &str) -> Option<bool> {
    match &node.value {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        _ => {
            problems.at(node, within, "expected true or false".to_string());
            None
        }
    }
}

fn list<'v>(problems: &mut Problems, node: &'v Located<Value>, within: &str) -> &'v [Located<Value>] {
    match &node.value {
        Value::List(items) => items,
        Value::Null => &[],
        _ => {
            problems.at(node, within, "expected a list".to_string());
            &[]
        }
    }
}

fn texts(problems: &mut Problems, node: &Located<Value>, within: &str) -> Vec<String> {
    list(problems, node, within)
        .iter()
        .enumerate()
        .filter_map(|(i, item)| text(problems, item, &format!("{within}[{i}]")))
        .collect()
}

/// One of an enum's spellings, worded as serde words a wrong one, with "did you mean" for a
/// slip.
fn word<T>(problems: &mut Problems, node: &Located<Value>, within: &str) -> Option<T>
where
    T: for<'de> serde::Deserialize<'de> + strum::VariantArray + Copy + Into<&'static str>,
{
    let value = text(problems, node, within)?;
    match T::deserialize(de::value::StrDeserializer::<de::value::Error>::new(&value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let near = crate::suggest::did_you_mean(&value, T::VARIANTS.iter().map(|v| (*v).into()));
            problems.at(node, within, format!("{e}{near}"));
            None
        }
    }
}

/// `required: true | false | conditional` (HubSpot's conditionally required scopes).
fn requirement(problems: &mut Problems, node: &Located<Value>, within: &str) -> Option<Requirement> {
    match &node.value {
        Value::Null => None,
        Value::Bool(true) => Some(Requirement::Required),
        Value::Bool(false) => Some(Requirement::Optional),
        Value::String(s) if s.trim() == "conditional" => Some(Requirement::Conditional),
        other => {
            let what = match other {
                Value::String(s) => format!("invalid value: string {s:?}"),
                other => format!("invalid type: {}", unexpected(other)),
            };
            problems.at(node, within, format!("{what}, expected true, false or conditional"));
            None
        }
    }
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

/// The settings a manifest states, as read.
#[derive(Debug, Default)]
struct SettingsFile {
    admin_approved: Option<bool>,
    ip_relaxation: Option<String>,
    refresh_token_policy: Option<String>,
    pkce_required: Option<bool>,
    callback_urls: Vec<String>,
    client_credentials_enabled: Option<bool>,
    client_credentials_user: Option<String>,
    introspect_all_tokens: Option<bool>,
    consumer_secret_optional: Option<bool>,
    secret_required_for_refresh_token: Option<bool>,
    refresh_token_rotation: Option<bool>,
    token_exchange_enabled: Option<bool>,
    preauthorized_profiles: Vec<String>,
    preauthorized_permission_sets: Vec<String>,
    ip_ranges: Vec<String>,
    certificate: Option<(Option<String>, Option<String>)>,
    canvas_access_method: Option<String>,
    auth_type: Option<String>,
    distribution: Option<String>,
    permitted_urls: Vec<String>,
}

fn read_settings(problems: &mut Problems, node: &Located<Value>) -> (SettingsFile, BTreeMap<String, u32>) {
    let within = "settings";
    let Some(f) = fields(problems, node, within, "a map of settings", SETTINGS_FIELDS, &[]) else {
        return (SettingsFile::default(), BTreeMap::new());
    };
    let lines = f
        .entries
        .iter()
        .filter_map(|(k, _)| Some((k.value.clone(), u32::try_from(k.line).ok()?)))
        .collect();
    let mut flag_of = |key: &str| f.value(key).and_then(|v| flag(problems, v, &child(within, key)));
    let admin_approved = flag_of("admin_approved");
    let pkce_required = flag_of("pkce_required");
    let client_credentials_enabled = flag_of("client_credentials_enabled");
    let introspect_all_tokens = flag_of("introspect_all_tokens");
    let consumer_secret_optional = flag_of("consumer_secret_optional");
    let secret_required_for_refresh_token = flag_of("secret_required_for_refresh_token");
    let refresh_token_rotation = flag_of("refresh_token_rotation");
    let token_exchange_enabled = flag_of("token_exchange_enabled");
    let mut text_of = |key: &str| f.value(key).and_then(|v| text(problems, v, &child(within, key)));
    let ip_relaxation = text_of("ip_relaxation");
    let refresh_token_policy = text_of("refresh_token_policy");
    let client_credentials_user = text_of("client_credentials_user");
    let canvas_access_method = text_of("canvas_access_method");
    let auth_type = text_of("auth_type");
    let distribution = text_of("distribution");
    let mut texts_of = |key: &str| {
        f.value(key)
            .map(|v| texts(problems, v, &child(within, key)))
            .unwrap_or_default()
    };
    let callback_urls = texts_of("callback_urls");
    let preauthorized_profiles = texts_of("preauthorized_profiles");
    let preauthorized_permission_sets = texts_of("preauthorized_permission_sets");
    let ip_ranges = texts_of("ip_ranges");
    let permitted_urls = texts_of("permitted_urls");
    let certificate = f.value("certificate").and_then(|v| {
        let within = child(within, "certificate");
        let c = fields(
            problems,
            v,
            &within,
            "a map with `not_before`, `not_after`",
            CERTIFICATE_FIELDS,
            &[],
        )?;
        let not_before = c
            .value("not_before")
            .and_then(|v| text(problems, v, &child(&within, "not_before")));
        let not_after = c
            .value("not_after")
            .and_then(|v| text(problems, v, &child(&within, "not_after")));
        Some((not_before, not_after))
    });
    let file = SettingsFile {
        admin_approved,
        ip_relaxation,
        refresh_token_policy,
        pkce_required,
        callback_urls,
        client_credentials_enabled,
        client_credentials_user,
        introspect_all_tokens,
        consumer_secret_optional,
        secret_required_for_refresh_token,
        refresh_token_rotation,
        token_exchange_enabled,
        preauthorized_profiles,
        preauthorized_permission_sets,
        ip_ranges,
        certificate,
        canvas_access_method,
        auth_type,
        distribution,
        permitted_urls,
    };
    (file, lines)
}

/// Parses a manifest's text. `path` is how the user named the file. Every problem is
/// returned, not just the first, in the order of the file.
pub fn parse(path: &str, text: &str) -> Result<App, Vec<FileError>> {
    // The document as positioned values; what YAML itself refuses (syntax, a repeated key,
    // an alias bomb, deep nesting) is one error: nothing after it can be read.
    let root = match yaml::value_from_str(path, text) {
        Ok(root) => root,
        Err(e) => return Err(vec![e]),
    };
    let mut problems = Problems {
        path,
        source: text,
        errors: Vec::new(),
    };
    let app = read(&mut problems, &root);
    let mut errors = problems.errors;
    if errors.is_empty() {
        if let Some(app) = app {
            return Ok(app);
        }
    }
    errors.sort_by_key(|e| (e.line.unwrap_or(0), e.column.unwrap_or(0)));
    if errors.is_empty() {
        errors.push(FileError::new(path, "not a readable app manifest"));
    }
    Err(errors)
}

/// Reads the document into an app, noting every problem; `None` when a required part could
/// not be read.
fn read(problems: &mut Problems, root: &Located<Value>) -> Option<App> {
    let f = fields(
        problems,
        root,
        "",
        "an app manifest: a map with `app`, `platform`, `scopes`",
        MANIFEST_FIELDS,
        &["app", "platform", "scopes"],
    )?;
    let (app_at, integration_at, tools_at) = (f.line("app"), f.line("integration"), f.line("tools"));
    let scopes_at = f.line("scopes");
    let name = f.get("app").and_then(|v| text(problems, v, "app"));
    if f.get("app").is_some() && name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        problems.line(app_at, "`app` is empty: give the app's display name".to_string());
    }
    let vendor = f.value("vendor").and_then(|v| text(problems, v, "vendor"));
    let description = f.value("description").and_then(|v| text(problems, v, "description"));
    let platform = f.get("platform").and_then(|v| {
        let value = text(problems, v, "platform")?;
        let platform = Platform::named(&value);
        if platform.is_none() {
            problems.at(
                v,
                "platform",
                format!(
                    "unknown variant `{value}`, {}",
                    yaml::expected_one_of(&["salesforce", "hubspot"])
                ),
            );
        }
        platform
    });

    let mut scopes = Vec::new();
    if let Some(node) = f.get("scopes") {
        let entries = list(problems, node, "scopes");
        if entries.is_empty() && matches!(node.value, Value::List(_) | Value::Null) {
            problems.line(
                scopes_at,
                "`scopes` is empty: list the scopes the app requests".to_string(),
            );
        }
        for (i, entry) in entries.iter().enumerate() {
            let within = format!("scopes[{i}]");
            let Some(e) = fields(
                problems,
                entry,
                &within,
                "a scope entry: a map with `scope`, `justification`, `required`",
                SCOPE_FIELDS,
                &["scope"],
            ) else {
                continue;
            };
            let line = e.line("scope").or(scopes_at);
            let Some(scope_node) = e.get("scope") else {
                continue;
            };
            let name = text(problems, scope_node, &child(&within, "scope"))
                .map(|n| n.trim().to_string())
                .unwrap_or_default();
            if name.is_empty() {
                if !matches!(scope_node.value, Value::List(_) | Value::Map(_)) {
                    problems.line(line, format!("scopes[{i}].scope is empty"));
                }
                continue;
            }
            let justification = e
                .value("justification")
                .and_then(|v| text(problems, v, &child(&within, "justification")));
            let requirement = e
                .get("required")
                .and_then(|v| requirement(problems, v, &child(&within, "required")))
                .unwrap_or(Requirement::Required);
            scopes.push(RequestedScope {
                name,
                requirement,
                justification: non_empty(justification),
                at: line.map(Pos::line),
            });
        }
    }

    let mut tools = Vec::new();
    if let Some(node) = f.get("tools") {
        for (i, entry) in list(problems, node, "tools").iter().enumerate() {
            let within = format!("tools[{i}]");
            let Some(t) = fields(
                problems,
                entry,
                &within,
                "a tool entry: a map with `name`, `object` or `feature` (with `of`), `access`",
                TOOL_FIELDS,
                &["name", "access"],
            ) else {
                continue;
            };
            let line = t.line("name").or(tools_at);
            let name = t.get("name").and_then(|v| text(problems, v, &child(&within, "name")));
            // What the tool touches: an object, or a feature (of some objects).
            let named = match (t.get("object"), t.get("feature")) {
                (Some(v), None) => text(problems, v, &child(&within, "object")).map(|o| (Named::Object, o)),
                (None, Some(v)) => text(problems, v, &child(&within, "feature")).map(|f| (Named::Feature, f)),
                (Some(_), Some(_)) => {
                    problems.line(line, format!("{within}: give `object` or `feature`, not both"));
                    None
                }
                (None, None) => {
                    problems.line(
                        line,
                        format!("{within}: say what the tool touches: `object` (a record type) or `feature` (with `of` for per-object features)"),
                    );
                    None
                }
            };
            let of: Vec<String> = match t.get("of") {
                None => Vec::new(),
                Some(v) if matches!(v.value, Value::List(_)) => texts(problems, v, &child(&within, "of")),
                Some(v) => text(problems, v, &child(&within, "of")).into_iter().collect(),
            };
            let of: Vec<String> = of
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            let access = t
                .get("access")
                .and_then(|v| word::<ToolAccess>(problems, v, &child(&within, "access")));
            let name = name.map(|n| n.trim().to_string()).unwrap_or_default();
            let target = named.as_ref().map(|(_, o)| o.trim().to_string()).unwrap_or_default();
            if t.get("name").is_some() && named.is_some() && (name.is_empty() || target.is_empty()) {
                problems.line(
                    line,
                    format!("tools[{i}]: `name` and what it touches must not be empty"),
                );
                continue;
            }
            if let (false, Some(access), Some((named, _))) = (name.is_empty() || target.is_empty(), access, named) {
                tools.push(Tool {
                    name,
                    target,
                    named,
                    of,
                    access,
                    at: line.map(Pos::line),
                });
            }
        }
    }

    let mut ownership = AppSettings::default();
    let integration = match f.value("integration") {
        None => Integration::default(),
        Some(node) => {
            let within = "integration";
            match fields(
                problems,
                node,
                within,
                "a map with `delegation`, `flows`, `token_storage`, `sign_in`, `identifies_users`, `app_owner`, `vendor_holds`",
                INTEGRATION_FIELDS,
                &[],
            ) {
                None => Integration::default(),
                Some(i) => {
                    let delegation = i
                        .value("delegation")
                        .and_then(|v| word::<Delegation>(problems, v, &child(within, "delegation")));
                    let flows = match i.value("flows") {
                        None => Vec::new(),
                        Some(v) => list(problems, v, "integration.flows")
                            .iter()
                            .enumerate()
                            .filter_map(|(n, item)| word::<Flow>(problems, item, &format!("integration.flows[{n}]")))
                            .collect(),
                    };
                    let token_storage = i
                        .value("token_storage")
                        .and_then(|v| text(problems, v, &child(within, "token_storage")));
                    let sign_in = i
                        .value("sign_in")
                        .and_then(|v| flag(problems, v, &child(within, "sign_in")))
                        .unwrap_or(false);
                    let identifies_users = i
                        .value("identifies_users")
                        .and_then(|v| flag(problems, v, &child(within, "identifies_users")))
                        .unwrap_or(false);
                    // Who owns the app and who holds its credentials are stated here but
                    // tested like settings.
                    ownership.app_owner = i
                        .value("app_owner")
                        .and_then(|v| word::<AppOwner>(problems, v, &child(within, "app_owner")));
                    if let Some(v) = i.value("vendor_holds") {
                        ownership.vendor_holds = list(problems, v, "integration.vendor_holds")
                            .iter()
                            .enumerate()
                            .filter_map(|(n, item)| {
                                word::<Credential>(problems, item, &format!("integration.vendor_holds[{n}]"))
                            })
                            .collect();
                    }
                    for (key, setting) in [("app_owner", Setting::AppOwner), ("vendor_holds", Setting::VendorHolds)] {
                        if let Some(line) = i.line(key) {
                            ownership.at.insert(setting, Pos::line(line));
                        }
                    }
                    Integration {
                        delegation,
                        flows,
                        token_storage: non_empty(token_storage),
                        sign_in,
                        identifies_users,
                        flows_at: i.line("flows").map(Pos::line),
                    }
                }
            }
        }
    };

    let (file, lines) = match f.value("settings") {
        Some(node) => read_settings(problems, node),
        None => (SettingsFile::default(), BTreeMap::new()),
    };
    let mut settings = settings(problems, &lines, file);
    settings.app_owner = ownership.app_owner;
    settings.vendor_holds = ownership.vendor_holds;
    settings.at.extend(ownership.at);

    let matches = f
        .value("match")
        .map(|node| app_matches(problems, node, platform))
        .unwrap_or_default();
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty())?;
    let platform = platform?;
    if scopes.is_empty() {
        return None;
    }
    Some(App {
        identity: AppIdentity::new(IdentityKind::Label, name.as_str()),
        name,
        vendor: non_empty(vendor),
        platform,
        description: non_empty(description),
        source: Source::single(problems.path, InputKind::Manifest),
        at: app_at.map(Pos::line),
        integration,
        integration_at: integration_at.map(Pos::line),
        scopes,
        tools_at: tools_at.map(Pos::line),
        tools,
        settings,
        notes: Vec::new(),
        org: None,
        matches,
        consumer_key: None,
        approval: Default::default(),
    })
}

/// The `match:` block of an approved manifest: how it names the live app it approves. Every
/// key is checked against the manifest's platform, each named once.
fn app_matches(problems: &mut Problems, node: &Located<Value>, platform: Option<Platform>) -> Vec<AppMatch> {
    let within = "match";
    let keys: Vec<&str> = <MatchKey as strum::VariantArray>::VARIANTS
        .iter()
        .map(|k| k.as_str())
        .collect();
    let Some(m) = fields(
        problems,
        node,
        within,
        "a map naming the approved app: `salesforce_api_name`, `consumer_key`, `hubspot_app_id` (or `connected_app`, `external_client_app`, `hubspot_uid`, `label`)",
        &keys,
        &[],
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key_node, value) in &m.entries {
        let Some(key) = MatchKey::parse(&key_node.value) else {
            continue;
        };
        let line = u32::try_from(key_node.line).ok();
        if let (Some(wanted), Some(platform)) = (key.platform(), platform) {
            if wanted != platform {
                problems.line(
                    line,
                    format!(
                        "match.{}: names a {} app, but this manifest is for {}",
                        key.as_str(),
                        wanted.display_name(),
                        platform.display_name()
                    ),
                );
                continue;
            }
        }
        let Some(text) = text(problems, value, &format!("{within}.{}", key.as_str())) else {
            continue;
        };
        if text.trim().is_empty() {
            problems.line(line, format!("match.{} is empty", key.as_str()));
            continue;
        }
        out.push(AppMatch {
            key,
            value: text.trim().to_string(),
            at: line.map(Pos::line),
        });
    }
    if out.is_empty() && !m.entries.is_empty() {
        return out;
    }
    if m.entries.is_empty() {
        problems.line(
            u32::try_from(node.line).ok(),
            "`match` is empty: name the approved app by `salesforce_api_name`, `consumer_key` or `hubspot_app_id` (or `label`)".to_string(),
        );
    }
    out
}

fn settings(problems: &mut Problems, lines: &BTreeMap<String, u32>, file: SettingsFile) -> AppSettings {
    // Keys are checked against the settings fields (unknown keys are problems), so each names
    // a setting; one that does not is no position to keep.
    let at = lines
        .iter()
        .filter_map(|(k, &l)| Some((Setting::parse(k)?, Pos::line(l))))
        .collect();
    let mut invalid =
        |key: &str, message: String| problems.line(lines.get(key).copied(), format!("settings.{key}: {message}"));
    let ip_relaxation = file.ip_relaxation.and_then(|v| {
        let parsed = IpRelaxation::parse(&v);
        if parsed.is_none() {
            invalid(
                "ip_relaxation",
                format!("`{v}` is not one of ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR, BYPASS"),
            );
        }
        parsed
    });
    let refresh_token_policy = file.refresh_token_policy.and_then(|v| {
        let parsed = RefreshTokenPolicy::parse(&v);
        if parsed.is_none() {
            invalid(
                "refresh_token_policy",
                format!("`{v}` is not one of infinite, zero, specific_lifetime:N:UNIT, specific_inactivity:N:UNIT (UNIT: HOURS, DAYS, MONTHS)"),
            );
        }
        parsed
    });
    let trimmed = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let mut date = |key: &str, value: Option<String>| -> Option<Date> {
        let v = value?;
        let parsed = Date::parse(&v);
        if parsed.is_none() {
            invalid("certificate", format!("{key} `{v}` is not a date (YYYY-MM-DD)"));
        }
        parsed
    };
    let certificate = file.certificate.map(|(not_before, not_after)| CertificateInfo {
        not_before: date("not_before", not_before),
        not_after: date("not_after", not_after),
        problem: None,
    });
    let callback_at = lines.get("callback_urls").map(|&l| Pos::line(l));
    let mut word = |key: &str, value: Option<String>, allowed: &[&str]| -> Option<String> {
        match non_empty(value) {
            None => None,
            Some(v) if allowed.iter().any(|a| a.eq_ignore_ascii_case(&v)) => Some(v.to_ascii_lowercase()),
            Some(v) => {
                invalid(key, format!("`{v}` is not one of {}", allowed.join(", ")));
                None
            }
        }
    };
    AppSettings {
        oauth_enabled: None,
        pkce_used: None,
        authorize_host: None,
        scope_parameter: None,
        certificate,
        canvas_access_method: word("canvas_access_method", file.canvas_access_method, &["get", "post"]),
        auth_type: word("auth_type", file.auth_type, &["oauth", "static"]),
        distribution: word("distribution", file.distribution, &["marketplace", "private"]),
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
    }
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
    fn numbers_and_flags_where_text_goes_keep_their_spelling() {
        let app = parse(
            "m.yaml",
            "app: 1.10\nvendor: yes\nplatform: hubspot\nscopes:\n  - {scope: oauth, justification: 007}\n",
        )
        .unwrap();
        assert_eq!(app.name, "1.10");
        assert_eq!(app.vendor.as_deref(), Some("yes"));
        assert_eq!(app.scopes[0].justification.as_deref(), Some("007"));
    }

    #[test]
    fn every_problem_is_returned_in_file_order() {
        let text = "app: \"\"\nplatfrom: hubspot\nscopes:\n  - scope: oauth\n    required: maybe\n";
        let errors: Vec<String> = parse("m.yaml", text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "m.yaml:1: `app` is empty: give the app's display name",
                "m.yaml:1:1: missing field `platform`",
                "m.yaml:2:1: unknown field `platfrom`, expected one of `app`, `vendor`, `platform`, `description`, `integration`, `scopes`, `tools`, `settings`, `match`; did you mean `platform`?",
                "m.yaml:5:15: scopes[0].required: invalid value: string \"maybe\", expected true, false or conditional",
            ]
        );
    }

    #[test]
    fn unknown_key_is_located() {
        let err = parse("m.yaml", &GOOD.replace("vendor:", "vendr:"))
            .unwrap_err()
            .remove(0);
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
        let err = parse("m.yaml", &GOOD.replace("BYPASS", "OPEN")).unwrap_err().remove(0);
        assert_eq!(err.to_string().split(": ").next(), Some("m.yaml:18"));
    }
}
