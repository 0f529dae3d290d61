//! `scopeaudit init --from SOURCE --app NAME`: a starter approved manifest written from a live
//! app (an org snapshot, or any single-app input the audit reads), so a security team can
//! bootstrap its approved folder from what is connected today. The vendor's justifications are
//! left empty, which the audit reports as `missing-justification` until they are filled in.
//!
//! Everything taken from the source is untrusted (an org admin or a vendor chose it): every
//! value is written as a YAML double-quoted scalar with every character that could end it,
//! start a comment or hide text escaped, and no untrusted text goes into a comment.

use crate::app::Failure;
use crate::inputs;
use crate::model::org::{OrgAppKind, OrgSummary};
use crate::model::{App, IdentityKind, InputKind, MatchKey, Platform, Requirement};
use crate::source_file::FileError;
use std::fmt::Write as _;
use std::path::Path;

/// Where the apps came from, for the comments of the manifest.
enum Provenance {
    Snapshot {
        path: String,
        taken_at: String,
        org_id: String,
    },
    File {
        path: String,
    },
}

/// The apps a source holds, and where they came from.
struct Source {
    apps: Vec<App>,
    provenance: Provenance,
}

/// The starter manifest for the app `name` (by label or API name) in `from`.
pub fn starter_from(from: &Path, name: Option<&str>, platform: Option<Platform>) -> Result<String, Failure> {
    let source = load(from)?;
    let shown = from.display().to_string();
    let apps: Vec<&App> = source
        .apps
        .iter()
        .filter(|a| platform.is_none_or(|p| a.platform == p))
        .collect();
    let app = pick(&shown, &apps, name)?;
    if let Some(org) = &app.org {
        if let crate::model::org::ConfigRead::Unread(reason) = &org.config {
            return Err(Failure::usage(format!(
                "{shown}: the scopes of {} could not be read ({}): take a new snapshot with a user who may read its metadata",
                crate::untrusted::quoted(&app.name),
                crate::untrusted::quoted(reason)
            )));
        }
    }
    if app.scopes.is_empty() {
        return Err(Failure::usage(format!(
            "{shown}: {} requests no scopes; a manifest lists at least one",
            crate::untrusted::quoted(&app.name)
        )));
    }
    Ok(render(app, &source))
}

fn load(from: &Path) -> Result<Source, Failure> {
    let path = from.display().to_string();
    if from.is_file() && inputs::org::file_looks_like_snapshot(from) {
        let text = std::fs::read_to_string(from)
            .map_err(|e| Failure::files(vec![FileError::new(path.as_str(), crate::source_file::io_message(&e))]))?;
        let snapshot = inputs::org::read_snapshot(&path, &text).map_err(|e| Failure::files(vec![e]))?;
        let (apps, summary): (Vec<App>, OrgSummary) = inputs::org::normalize(
            &snapshot,
            inputs::org::Origin::File {
                path: &path,
                text: &text,
            },
            inputs::org::DEFAULT_STALE_DAYS,
        );
        return Ok(Source {
            apps,
            provenance: Provenance::Snapshot {
                path,
                taken_at: summary.taken_at.to_string(),
                org_id: summary.org_id,
            },
        });
    }
    let loaded = inputs::load_paths(std::slice::from_ref(&path));
    let mut errors = loaded.named_errors;
    errors.extend(loaded.walk_errors);
    if !errors.is_empty() {
        return Err(Failure::files(errors));
    }
    if loaded.apps.is_empty() {
        return Err(Failure::usage(format!(
            "{path}: holds no app scopeaudit reads (an org snapshot, a *.connectedApp-meta.xml, External Client App files or a HubSpot app config)"
        )));
    }
    Ok(Source {
        apps: loaded.apps,
        provenance: Provenance::File { path },
    })
}

/// The names an app answers to: its label and its API name (or uid).
fn names(app: &App) -> Vec<&str> {
    let mut names = vec![app.name.as_str()];
    if let Some(org) = &app.org {
        names.push(org.api_name.as_str());
    }
    if app.identity.kind != IdentityKind::Label {
        names.push(app.identity.value.as_str());
    }
    names.dedup();
    names
}

fn pick<'a>(shown: &str, apps: &[&'a App], name: Option<&str>) -> Result<&'a App, Failure> {
    let listing = |apps: &[&App]| -> String {
        apps.iter()
            .map(|a| {
                let names = names(a);
                match names.get(1) {
                    Some(api) => format!(
                        "{} ({})",
                        crate::untrusted::quoted(names[0]),
                        crate::untrusted::quoted(api)
                    ),
                    None => crate::untrusted::quoted(names[0]),
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if apps.is_empty() {
        return Err(Failure::usage(format!("{shown}: holds no app of that platform")));
    }
    let Some(name) = name else {
        if let [only] = apps {
            return Ok(only);
        }
        return Err(Failure::usage(format!(
            "{shown}: holds {} apps; pick one with --app NAME (label or API name): {}",
            apps.len(),
            listing(apps)
        )));
    };
    let wanted = name.trim();
    let exact: Vec<&App> = apps.iter().copied().filter(|a| names(a).contains(&wanted)).collect();
    let found = if exact.is_empty() {
        apps.iter()
            .copied()
            .filter(|a| names(a).iter().any(|n| n.eq_ignore_ascii_case(wanted)))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            let suggestion = apps
                .iter()
                .flat_map(|a| names(a))
                .map(|n| (strsim::jaro_winkler(&n.to_lowercase(), &wanted.to_lowercase()), n))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| format!(" (did you mean {}?)", crate::untrusted::quoted(n)))
                .unwrap_or_default();
            Err(Failure::usage(format!(
                "{shown}: no app named {}{suggestion}; the apps: {}",
                crate::untrusted::quoted(wanted),
                listing(apps)
            )))
        }
        several => Err(Failure::usage(format!(
            "{shown}: {} apps are named {}: {}; give the API name",
            several.len(),
            crate::untrusted::quoted(wanted),
            listing(several)
        ))),
    }
}

/// A YAML double-quoted scalar that reads back as exactly `text`: quotes and backslashes are
/// escaped, and so is every character YAML does not print (controls, line breaks, DEL, C1,
/// non-characters) or that hides text (bidirectional overrides), so nothing ends the scalar,
/// opens a comment or a new key, or shows other than it reads.
pub fn yaml_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        let code = c as u32;
        let printable = matches!(code, 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if !printable || crate::untrusted::is_hazard(c) || c == '\u{feff}' => {
                if code <= 0xffff {
                    let _ = write!(out, "\\u{code:04x}");
                } else {
                    let _ = write!(out, "\\U{code:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render(app: &App, source: &Source) -> String {
    let mut out = String::new();
    let from = match &source.provenance {
        Provenance::Snapshot { path, taken_at, org_id } => {
            format!(
                "the org snapshot taken {taken_at} (org {}, file {})",
                crate::untrusted::quoted(org_id),
                crate::untrusted::quoted(path)
            )
        }
        Provenance::File { path } => format!("the file {}", crate::untrusted::quoted(&app_file(app, path))),
    };
    // Comments hold only text made printable on one line (no line break can end one).
    let from = crate::untrusted::visible(&from).replace(['\n', '\r'], " ");
    let _ = writeln!(
        out,
        "# scopeaudit approved manifest, started by `scopeaudit init --from`."
    );
    let _ = writeln!(out, "# Every value below is from {from}.");
    let _ = writeln!(
        out,
        "# Review it, have the vendor justify each scope and describe its tools, then keep it in"
    );
    let _ = writeln!(
        out,
        "# the approved folder. Until then the audit reports each scope as missing-justification."
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "app: {}", yaml_quoted(&app.name));
    match &app.vendor {
        Some(vendor) => {
            let _ = writeln!(out, "vendor: {}", yaml_quoted(vendor));
        }
        None => {
            let _ = writeln!(out, "vendor: \"\"                  # TODO: the vendor's name");
        }
    }
    let _ = writeln!(out, "platform: {}", app.platform.as_str());
    if let Some(description) = &app.description {
        let _ = writeln!(out, "description: {}", yaml_quoted(description));
    }

    let _ = writeln!(out);
    let _ = writeln!(out, "# How the audit finds the live app this manifest approves.");
    let _ = writeln!(out, "match:");
    for (key, value, note) in match_keys(app) {
        let _ = writeln!(out, "  {}: {}   # {note}", key.as_str(), yaml_quoted(&value));
    }

    let catalogs = crate::data::load_catalogs(None).ok();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# The scopes the app holds today. TODO for the vendor: a justification for each one;"
    );
    let _ = writeln!(out, "# remove any scope the app does not need.");
    let _ = writeln!(out, "scopes:");
    let mut seen = Vec::new();
    for scope in &app.scopes {
        let id = catalogs
            .as_ref()
            .and_then(|c| c.get(app.platform).resolve(&scope.name))
            .map_or_else(|| scope.name.clone(), |entry| entry.id.clone());
        if seen.contains(&id) {
            continue;
        }
        let _ = writeln!(out, "  - scope: {}", yaml_quoted(&id));
        match &scope.justification {
            // A source that states a reason (a manifest) keeps it; the org states none.
            Some(reason) => {
                let _ = writeln!(out, "    justification: {}", yaml_quoted(reason));
            }
            None => {
                let _ = writeln!(out, "    justification: \"\"   # TODO: why the app needs it");
            }
        }
        match scope.requirement {
            Requirement::Required => {}
            Requirement::Optional => {
                let _ = writeln!(out, "    required: false");
            }
            Requirement::Conditional => {
                let _ = writeln!(out, "    required: conditional");
            }
        }
        seen.push(id);
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "# TODO for the vendor: what the app does, e.g. `- name: Read accounts`, `object: Account`, `access: read`."
    );
    let _ = writeln!(out, "tools: []");

    let settings = settings(app);
    if !settings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "# The app's policy today: the approved policy the live app is held to."
        );
        let _ = writeln!(out, "settings:");
        out.push_str(&settings);
    }
    out
}

/// A file input's own file: an External Client App is several files.
fn app_file(app: &App, given: &str) -> String {
    if app.source.files.len() > 1 {
        given.to_string()
    } else {
        app.source.path.clone()
    }
}

/// The strongest keys the source gives: the platform's identifiers first, the label only when
/// there is nothing else.
fn match_keys(app: &App) -> Vec<(MatchKey, String, &'static str)> {
    // A manifest that already says how it matches keeps its keys.
    if !app.matches.is_empty() {
        return app
            .matches
            .iter()
            .map(|m| (m.key, m.value.clone(), "as the source manifest gives it"))
            .collect();
    }
    let mut keys = Vec::new();
    let api_name = match &app.org {
        Some(org) => Some((org.kind, org.api_name.clone())),
        None => match (app.source.kind, app.identity.kind) {
            (InputKind::ConnectedApp, IdentityKind::ApiName) => {
                Some((OrgAppKind::ConnectedApp, app.identity.value.clone()))
            }
            (InputKind::ExternalClientApp, IdentityKind::ApiName) => {
                Some((OrgAppKind::ExternalClientApp, app.identity.value.clone()))
            }
            _ => None,
        },
    };
    match api_name {
        Some((OrgAppKind::ConnectedApp, name)) if !name.trim().is_empty() => {
            if let Some(key) = &app.consumer_key {
                keys.push((MatchKey::ConsumerKey, key.clone(), "the consumer key (OAuth client id)"));
            }
            keys.push((MatchKey::SalesforceApiName, name, "the Connected App's API name"));
        }
        Some((OrgAppKind::ExternalClientApp, name)) if !name.trim().is_empty() => {
            if let Some(key) = &app.consumer_key {
                keys.push((MatchKey::ConsumerKey, key.clone(), "the consumer key (OAuth client id)"));
            }
            keys.push((
                MatchKey::SalesforceApiName,
                name,
                "the External Client App's developer name",
            ));
        }
        _ => {}
    }
    if app.identity.kind == IdentityKind::HubspotUid && app.platform == Platform::Hubspot {
        keys.push((
            MatchKey::HubspotAppId,
            app.identity.value.clone(),
            "the HubSpot project app's uid",
        ));
    }
    if keys.is_empty() {
        keys.push((
            MatchKey::Label,
            app.name.clone(),
            "the label: the last resort, nothing stronger was known",
        ));
    }
    keys
}

/// The `settings:` lines the app's known policy gives, each indented under `settings:`.
fn settings(app: &App) -> String {
    let s = &app.settings;
    let mut out = String::new();
    let flag = |out: &mut String, key: &str, value: Option<bool>| {
        if let Some(v) = value {
            let _ = writeln!(out, "  {key}: {v}");
        }
    };
    let list = |out: &mut String, key: &str, values: &[String]| {
        if !values.is_empty() {
            let _ = writeln!(out, "  {key}:");
            for v in values {
                let _ = writeln!(out, "    - {}", yaml_quoted(v));
            }
        }
    };
    flag(&mut out, "admin_approved", s.admin_approved);
    if let Some(ip) = s.ip_relaxation {
        let _ = writeln!(out, "  ip_relaxation: {}", ip.as_str());
    }
    if let Some(policy) = s.refresh_token_policy {
        let _ = writeln!(out, "  refresh_token_policy: \"{policy}\"");
    }
    flag(&mut out, "pkce_required", s.pkce_required);
    let callbacks: Vec<String> = s.callback_urls.iter().map(|c| c.url.clone()).collect();
    list(&mut out, "callback_urls", &callbacks);
    flag(&mut out, "client_credentials_enabled", s.client_credentials_enabled);
    if let Some(user) = &s.client_credentials_user {
        let _ = writeln!(out, "  client_credentials_user: {}", yaml_quoted(user));
    }
    flag(&mut out, "introspect_all_tokens", s.introspect_all_tokens);
    flag(&mut out, "consumer_secret_optional", s.consumer_secret_optional);
    flag(
        &mut out,
        "secret_required_for_refresh_token",
        s.secret_required_for_refresh_token,
    );
    flag(&mut out, "refresh_token_rotation", s.refresh_token_rotation);
    flag(&mut out, "token_exchange_enabled", s.token_exchange_enabled);
    // Who is pre-authorized: the org's SetupEntityAccess when the source is an org.
    let (profiles, permission_sets) = match &app.org {
        Some(org) => (
            org.preauthorized.profiles.clone(),
            org.preauthorized.permission_sets.clone(),
        ),
        None => (
            s.preauthorized_profiles.clone(),
            s.preauthorized_permission_sets.clone(),
        ),
    };
    list(&mut out, "preauthorized_profiles", &profiles);
    list(&mut out, "preauthorized_permission_sets", &permission_sets);
    list(&mut out, "ip_ranges", &s.ip_ranges);
    for (key, value) in [
        ("canvas_access_method", &s.canvas_access_method),
        ("auth_type", &s.auth_type),
        ("distribution", &s.distribution),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "  {key}: {}", yaml_quoted(v));
        }
    }
    list(&mut out, "permitted_urls", &s.permitted_urls);
    out
}

#[cfg(test)]
mod tests {
    use super::yaml_quoted;

    #[test]
    fn quoted_values_escape_what_would_end_or_hide_them() {
        assert_eq!(yaml_quoted("a: b # c"), "\"a: b # c\"");
        assert_eq!(yaml_quoted("x\"\n\\y"), "\"x\\\"\\u000a\\\\y\"");
        assert_eq!(yaml_quoted("\u{202e}\u{7f}\u{85}"), "\"\\u202e\\u007f\\u0085\"");
    }
}
