//! HubSpot app configs (SPEC section 2): `public-app.json` (projects before 2025.2, `auth` at
//! the top), the legacy private `app.json` (a flat `scopes` list), and `*-hsmeta.json`
//! (developer platform 2025.2 and later, `config.auth`). Required, optional and conditionally
//! required scopes are kept apart. Comments, which HubSpot's own parser rejects, are read
//! past with a note.
//!
//! A file in the other generation's layout is read by its content, with a note, never skipped:
//! a 2025.2 app (`config.auth`) saved as `app.json` or `public-app.json`, and a legacy flat
//! `scopes` list in a `*-hsmeta.json`.

use crate::json_lines;
use crate::model::{
    App, AppIdentity, AppSettings, CallbackUrl, Flow, IdentityKind, InputKind, Integration, Note, NoteCode, Platform,
    Pos, RequestedScope, Requirement, Setting, Source,
};
use crate::source_file::FileError;
use crate::text::closest;
use serde_json::Value;
use std::collections::HashMap;

/// Which config file a name is, if any.
pub fn kind_of_name(file_name: &str) -> Option<InputKind> {
    // In any case: case-insensitive file systems and zip tools change it.
    match file_name.to_ascii_lowercase().as_str() {
        "public-app.json" => Some(InputKind::HubspotPublicApp),
        "app.json" => Some(InputKind::HubspotPrivateApp),
        n if n.ends_with("-hsmeta.json") => Some(InputKind::HubspotProjectApp),
        _ => None,
    }
}

/// What a file holds once read: an app, or a valid file of that name that is not an app
/// (an `app.json` of another tool, a card's `-hsmeta.json`).
pub enum Parsed {
    App(Box<App>),
    NotAnApp(String),
}

const AUTH_KEYS: [&str; 5] = [
    "type",
    "redirectUrls",
    "requiredScopes",
    "optionalScopes",
    "conditionallyRequiredScopes",
];

struct Reader {
    lines: HashMap<String, u32>,
    notes: Vec<Note>,
}

impl Reader {
    fn at(&self, pointer: &str) -> Option<Pos> {
        self.lines.get(pointer).copied().map(Pos::line)
    }

    fn note(&mut self, pointer: &str, code: NoteCode, message: impl Into<String>) {
        let at = self.at(pointer);
        self.notes.push(Note {
            code,
            message: message.into(),
            at,
        });
    }

    /// A list of strings at `pointer`. A space- or comma-separated string is read with a
    /// note; entries that are not strings are noted and skipped.
    fn strings(&mut self, value: Option<&Value>, pointer: &str, what: &str) -> Vec<(String, Option<Pos>)> {
        match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{pointer}/{i}");
                    match item {
                        Value::String(s) => out.push((s.clone(), self.at(&here))),
                        other => self.note(
                            &here,
                            NoteCode::InvalidValue,
                            format!("{what}[{i}] is {}, not a string; skipped", kind(other)),
                        ),
                    }
                }
                out
            }
            Some(Value::String(s)) => {
                self.note(
                    pointer,
                    NoteCode::InvalidValue,
                    format!("{what} is a string, not a list; read as a space-separated list"),
                );
                let at = self.at(pointer);
                s.split([' ', ','])
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| (p.to_string(), at))
                    .collect()
            }
            Some(other) => {
                self.note(
                    pointer,
                    NoteCode::InvalidValue,
                    format!("{what} is {}, not a list; not read", kind(other)),
                );
                Vec::new()
            }
        }
    }

    fn scopes(
        &mut self,
        value: Option<&Value>,
        pointer: &str,
        what: &str,
        requirement: Requirement,
        out: &mut Vec<RequestedScope>,
    ) {
        for (raw, at) in self.strings(value, pointer, what) {
            let (name, note) = super::scope_name(&raw);
            if let Some(note) = note {
                self.notes.push(Note {
                    code: NoteCode::AnnotatedScope,
                    message: note,
                    at,
                });
            }
            if let Some(name) = name {
                out.push(RequestedScope {
                    name,
                    requirement,
                    justification: None,
                    at,
                });
            }
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn json_error(path: &str, e: &serde_json::Error) -> FileError {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    if e.line() == 0 {
        FileError::new(path, format!("invalid JSON: {message}"))
    } else {
        FileError::at(path, e.line(), Some(e.column()), format!("invalid JSON: {message}"))
    }
}

/// Parses a HubSpot config. `kind` comes from the file name.
pub fn parse(path: &str, text: &str, kind: InputKind) -> Result<Parsed, FileError> {
    let stripped = json_lines::strip_comments(text);
    let json_text = stripped.as_deref().unwrap_or(text);
    let root: Value = serde_json::from_str(json_text).map_err(|e| json_error(path, &e))?;
    let mut r = Reader {
        lines: json_lines::locate(json_text),
        notes: Vec::new(),
    };
    if stripped.is_some() {
        r.notes.push(Note {
            code: NoteCode::LenientSyntax,
            message: "the file has comments, which HubSpot's JSON parser rejects; read without them".to_string(),
            at: Some(Pos::line(1)),
        });
    }
    let Value::Object(top) = &root else {
        return Err(FileError::at(
            path,
            1,
            None,
            format!("expected a JSON object, found {}", self::kind(&root)),
        ));
    };
    // The layout decides how the file is read, whatever its name says.
    let named = kind;
    let mut kind = kind;
    let type_is_app = top.get("type").and_then(Value::as_str) == Some("app");
    let config_shaped = matches!(top.get("config"), Some(Value::Object(c)) if type_is_app || c.contains_key("auth"));
    if kind != InputKind::HubspotProjectApp && config_shaped {
        r.note(
            "/config",
            NoteCode::Misplaced,
            format!(
                "`{}` holds a developer platform 2025.2 app (`config.auth`), which HubSpot reads from a `*-hsmeta.json` file; read as one",
                crate::source_file::file_name(path)
            ),
        );
        kind = InputKind::HubspotProjectApp;
    }
    if kind == InputKind::HubspotProjectApp
        && top.get("type").is_none()
        && !top.contains_key("config")
        && !top.contains_key("auth")
        && top.contains_key("scopes")
    {
        // A legacy private app.json under a 2025.2 name: its flat list is noted below.
        kind = InputKind::HubspotPrivateApp;
    }
    // Where the app's fields and its `auth` block live, by shape.
    let (config, config_ptr): (&serde_json::Map<String, Value>, &str) = match kind {
        InputKind::HubspotProjectApp => {
            match top.get("type").and_then(Value::as_str) {
                Some("app") => {}
                Some(other) => {
                    return Ok(Parsed::NotAnApp(format!(
                        "a project component of type `{other}`, not an app"
                    )))
                }
                None if top.contains_key("config") || top.contains_key("auth") => {
                    r.note("", NoteCode::Missing, "no `type`: read as an app component");
                }
                None => {
                    return Ok(Parsed::NotAnApp(
                        "no `type` and no `config`: not an app component".into(),
                    ))
                }
            }
            match top.get("config") {
                Some(Value::Object(c)) => (c, "/config"),
                Some(other) => {
                    return Err(FileError::at(
                        path,
                        r.at("/config").map_or(1, |p| p.line as usize),
                        None,
                        format!("`config` is {}, not an object", self::kind(other)),
                    ))
                }
                None => (top, ""),
            }
        }
        _ => (top, ""),
    };
    let mut auth_ptr = format!("{config_ptr}/auth");
    let mut auth = config.get("auth");
    if auth.is_none() && config_ptr == "/config" && top.contains_key("auth") {
        // Seen in public projects: `auth` beside `config` instead of inside it.
        auth = top.get("auth");
        auth_ptr = "/auth".to_string();
        r.note(
            "/auth",
            NoteCode::Misplaced,
            "`auth` is at the top level, not inside `config`: HubSpot expects config.auth; read as if it were there",
        );
    }
    let mut scopes = Vec::new();
    let mut settings = AppSettings::default();
    let set_at = |settings: &mut AppSettings, r: &Reader, name: Setting, ptr: &str| {
        if let Some(pos) = r.at(ptr) {
            settings.at.insert(name, pos);
        }
    };
    match auth {
        Some(Value::Object(a)) => {
            for (key, req) in [
                ("requiredScopes", Requirement::Required),
                ("conditionallyRequiredScopes", Requirement::Conditional),
                ("optionalScopes", Requirement::Optional),
            ] {
                r.scopes(a.get(key), &format!("{auth_ptr}/{key}"), key, req, &mut scopes);
            }
            for key in a.keys() {
                if AUTH_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let ptr = format!("{auth_ptr}/{}", pointer_escape(key));
                match closest(key, &AUTH_KEYS, 3) {
                    Some(meant) => {
                        r.note(
                            &ptr,
                            NoteCode::UnknownElement,
                            format!(
                                "unknown key `{key}` in auth: did you mean `{meant}`? HubSpot rejects it as written"
                            ),
                        );
                        if let Some(req) = requirement_of(meant) {
                            r.scopes(a.get(key), &ptr, key, req, &mut scopes);
                        }
                    }
                    None => r.note(
                        &ptr,
                        NoteCode::UnknownElement,
                        format!("unknown key `{key}` in auth was not audited"),
                    ),
                }
            }
            let urls_ptr = format!("{auth_ptr}/redirectUrls");
            for (url, at) in r.strings(a.get("redirectUrls"), &urls_ptr, "redirectUrls") {
                let url = url.trim().to_string();
                if !url.is_empty() {
                    settings.callback_urls.push(CallbackUrl { url, at });
                }
            }
            set_at(&mut settings, &r, Setting::CallbackUrls, &urls_ptr);
            match a.get("type") {
                Some(Value::String(t)) if matches!(t.as_str(), "oauth" | "static") => {
                    settings.auth_type = Some(t.clone());
                    set_at(&mut settings, &r, Setting::AuthType, &format!("{auth_ptr}/type"));
                }
                Some(other) => r.note(
                    &format!("{auth_ptr}/type"),
                    NoteCode::InvalidValue,
                    format!("auth type {} is not `oauth` or `static`; not audited", show(other)),
                ),
                // Configs before 2025.2 have no type: every public app is OAuth.
                None if kind == InputKind::HubspotPublicApp => settings.auth_type = Some("oauth".into()),
                None => {}
            }
        }
        Some(other) => r.note(
            &auth_ptr,
            NoteCode::InvalidValue,
            format!("`auth` is {}, not an object; no scopes read from it", self::kind(other)),
        ),
        None => {}
    }
    if let Some(list) = config.get("scopes") {
        // The legacy private app.json: a flat list, all required.
        let ptr = format!("{config_ptr}/scopes");
        if named == InputKind::HubspotProjectApp {
            r.note(
                &ptr,
                NoteCode::Misplaced,
                "a legacy flat `scopes` list in a `*-hsmeta.json`: the developer platform 2025.2 reads scopes only from config.auth (requiredScopes, optionalScopes); read as required scopes",
            );
            if auth.is_none() {
                // No auth block: the list's own generation, a private app with a static token.
                kind = InputKind::HubspotPrivateApp;
            }
        }
        if auth.is_some() {
            r.note(
                &ptr,
                NoteCode::Repeated,
                "both `scopes` and `auth` are present; both were read",
            );
        }
        r.scopes(Some(list), &ptr, "scopes", Requirement::Required, &mut scopes);
    }
    if auth.is_none() && !config.contains_key("scopes") {
        if kind == InputKind::HubspotPrivateApp {
            // `app.json` is a common name; without scopes it is some other tool's file.
            return Ok(Parsed::NotAnApp(
                "no `scopes` and no `auth`: not a HubSpot app config".into(),
            ));
        }
        r.note(
            config_ptr,
            NoteCode::Missing,
            "no `auth` block: the app declares no scopes",
        );
    }
    match config.get("distribution") {
        Some(Value::String(d)) if matches!(d.as_str(), "marketplace" | "private") => {
            settings.distribution = Some(d.clone());
            set_at(
                &mut settings,
                &r,
                Setting::Distribution,
                &format!("{config_ptr}/distribution"),
            );
        }
        Some(other) => r.note(
            &format!("{config_ptr}/distribution"),
            NoteCode::InvalidValue,
            format!(
                "distribution {} is not `marketplace` or `private`; not audited",
                show(other)
            ),
        ),
        None => {}
    }
    if kind == InputKind::HubspotPrivateApp && settings.distribution.is_none() {
        if top.get("public") == Some(&Value::Bool(false)) {
            settings.distribution = Some("private".into());
            set_at(&mut settings, &r, Setting::Distribution, "/public");
        }
        settings.auth_type.get_or_insert_with(|| "static".into());
    }
    let permitted_ptr = format!("{config_ptr}/permittedUrls");
    match config.get("permittedUrls") {
        Some(Value::Object(groups)) => {
            for (group, list) in groups {
                let ptr = format!("{permitted_ptr}/{}", pointer_escape(group));
                let urls = r.strings(Some(list), &ptr, &format!("permittedUrls.{group}"));
                settings.permitted_urls.extend(urls.into_iter().map(|(u, _)| u));
            }
            set_at(&mut settings, &r, Setting::PermittedUrls, &permitted_ptr);
        }
        Some(other) => r.note(
            &permitted_ptr,
            NoteCode::InvalidValue,
            format!("permittedUrls is {}, not an object", self::kind(other)),
        ),
        None => {}
    }
    if let Some(list) = config.get("allowedUrls") {
        let ptr = format!("{config_ptr}/allowedUrls");
        let urls = r.strings(Some(list), &ptr, "allowedUrls");
        settings.permitted_urls.extend(urls.into_iter().map(|(u, _)| u));
        set_at(&mut settings, &r, Setting::PermittedUrls, &ptr);
    }
    consistency_notes(&mut r, &settings, &scopes, &auth_ptr);
    let flows = match settings.auth_type.as_deref() {
        Some("oauth") => vec![Flow::AuthorizationCode, Flow::RefreshToken],
        _ => Vec::new(),
    };
    let name = config
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| top.get("uid").and_then(Value::as_str))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| file_label(path), str::to_string);
    let mut notes = r.notes;
    notes.sort_by_key(|n| n.at);
    let name_at = r.lines.get(&format!("{config_ptr}/name")).copied().map(Pos::line);
    let identity = match top.get("uid").and_then(Value::as_str).map(str::trim) {
        Some(uid) if !uid.is_empty() => AppIdentity::new(IdentityKind::HubspotUid, uid),
        _ => AppIdentity::new(IdentityKind::Label, name.clone()),
    };
    Ok(Parsed::App(Box::new(App {
        name,
        identity,
        vendor: None,
        platform: Platform::Hubspot,
        description: config
            .get("description")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        source: Source::single(path, kind),
        at: name_at.or(Some(Pos::line(1))),
        integration: Integration {
            flows,
            ..Integration::default()
        },
        integration_at: r.lines.get(&auth_ptr).copied().map(Pos::line),
        scopes,
        tools: Vec::new(),
        tools_at: None,
        settings,
        notes,
        org: None,
        matches: Vec::new(),
        consumer_key: None,
        approval: Default::default(),
    })))
}

/// What HubSpot itself would reject or ignore, said where it is.
fn consistency_notes(r: &mut Reader, settings: &AppSettings, scopes: &[RequestedScope], auth_ptr: &str) {
    let is_static = settings.auth_type.as_deref() == Some("static");
    if is_static {
        for s in scopes.iter().filter(|s| s.requirement != Requirement::Required) {
            r.notes.push(Note {
                code: NoteCode::Ineffective,
                message: format!(
                    "`{}` is {} but static-auth apps may only declare required scopes; HubSpot rejects the config",
                    s.name,
                    s.requirement.as_str()
                ),
                at: s.at,
            });
        }
        if settings.distribution.as_deref() == Some("marketplace") {
            r.note(
                &format!("{auth_ptr}/type"),
                NoteCode::InvalidValue,
                "static auth requires private distribution, but distribution is marketplace",
            );
        }
    }
    if settings.auth_type.as_deref() == Some("oauth") && settings.callback_urls.is_empty() {
        r.note(
            auth_ptr,
            NoteCode::Missing,
            "an OAuth app with no redirect URL cannot complete an install",
        );
    }
}

fn requirement_of(key: &str) -> Option<Requirement> {
    match key {
        "requiredScopes" => Some(Requirement::Required),
        "optionalScopes" => Some(Requirement::Optional),
        "conditionallyRequiredScopes" => Some(Requirement::Conditional),
        _ => None,
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => kind(other).to_string(),
    }
}

fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn file_label(path: &str) -> String {
    let file = crate::source_file::file_name(path);
    file.trim_end_matches(".json").trim_end_matches("-hsmeta").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(path: &str, text: &str, kind: InputKind) -> App {
        match parse(path, text, kind).unwrap() {
            Parsed::App(app) => *app,
            Parsed::NotAnApp(why) => panic!("not an app: {why}"),
        }
    }

    const HSMETA: &str = r#"{
  "uid": "acme_deal_sync",
  "type": "app",
  "config": {
    "name": "Acme Deal Sync",
    "distribution": "marketplace",
    "auth": {
      "type": "oauth",
      "redirectUrls": ["https://app.acme.example/hubspot/callback"],
      "requiredScopes": ["oauth", "crm.objects.deals.read"],
      "optionalScopes": ["crm.objects.line_items.read"],
      "conditionallyRequiredScopes": ["crm.schemas.deals.write"]
    },
    "permittedUrls": { "fetch": ["https://api.acme.example"], "iframe": [], "img": [] }
  }
}"#;

    #[test]
    fn reads_an_hsmeta_app_with_requirements_apart() {
        let a = app("src/app/app-hsmeta.json", HSMETA, InputKind::HubspotProjectApp);
        assert_eq!(a.name, "Acme Deal Sync");
        let scopes: Vec<(&str, Requirement, u32)> = a
            .scopes
            .iter()
            .map(|s| (s.name.as_str(), s.requirement, s.at.unwrap().line))
            .collect();
        assert_eq!(
            scopes,
            [
                ("oauth", Requirement::Required, 10),
                ("crm.objects.deals.read", Requirement::Required, 10),
                ("crm.schemas.deals.write", Requirement::Conditional, 12),
                ("crm.objects.line_items.read", Requirement::Optional, 11),
            ]
        );
        assert_eq!(a.settings.auth_type.as_deref(), Some("oauth"));
        assert_eq!(a.settings.distribution.as_deref(), Some("marketplace"));
        assert_eq!(a.settings.callback_urls[0].at, Some(Pos::line(9)));
        assert_eq!(a.settings.permitted_urls, ["https://api.acme.example"]);
        assert!(a.notes.is_empty(), "{:?}", a.notes);
    }

    #[test]
    fn top_level_auth_is_read_with_a_note() {
        let text = r#"{"uid": "doom", "type": "app", "config": {"name": "Doom"},
 "auth": {"type": "static", "requiredScopes": ["crm.objects.contacts.read"], "optionalScopes": ["files"]}}"#;
        let a = app("x-hsmeta.json", text, InputKind::HubspotProjectApp);
        assert_eq!(a.scopes.len(), 2);
        let notes: Vec<&str> = a.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(notes.iter().any(|n| n.contains("top level")), "{notes:?}");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("static-auth apps may only declare required")),
            "{notes:?}"
        );
    }

    #[test]
    fn components_that_are_not_apps_are_told_apart() {
        let card = r#"{"uid": "card", "type": "card", "config": {}}"#;
        assert!(matches!(
            parse("c-hsmeta.json", card, InputKind::HubspotProjectApp).unwrap(),
            Parsed::NotAnApp(_)
        ));
        let other = r#"{"name": "expo app", "expo": {}}"#;
        assert!(matches!(
            parse("app.json", other, InputKind::HubspotPrivateApp).unwrap(),
            Parsed::NotAnApp(_)
        ));
    }

    #[test]
    fn comments_misspelled_keys_and_bad_json() {
        let text = "{\n  // legacy\n  \"name\": \"Old\",\n  \"auth\": {\"requiredScope\": [\"contacts\"]}\n}";
        let a = app("public-app.json", text, InputKind::HubspotPublicApp);
        assert_eq!(a.scopes[0].name, "contacts");
        assert_eq!(a.notes.len(), 3, "{:?}", a.notes);
        let err = parse("public-app.json", "{\n  \"a\": [1,\n}", InputKind::HubspotPublicApp)
            .err()
            .unwrap();
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("invalid JSON"), "{err}");
    }
}
