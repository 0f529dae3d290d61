//! Inputs: finding, detecting and parsing every supported file into normalized apps.

pub mod authorize_url;
pub mod certificate;
pub mod connected_app;
pub mod external_client_app;
pub mod hubspot;
pub mod manifest;
pub mod sf_meta;
pub mod xml;

use crate::model::{App, InputKind, Integration, Platform, RequestedScope, Requirement, Source};
use crate::source_file::{self, FileError};
use std::path::{Path, PathBuf};

/// Inputs larger than this are refused rather than parsed: no real config comes close.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Directories never searched: version control, dependencies and build output.
const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "target"];

/// One file to read, and whether the user named it (an unsupported file named explicitly is an
/// error; one found while walking a directory is skipped).
#[derive(Debug, Clone)]
struct Candidate {
    path: PathBuf,
    display: String,
    explicit: bool,
}

/// The input kinds a file name announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NamedKind {
    Manifest,
    ConnectedApp,
    ExternalClientApp(external_client_app::PartKind),
    Hubspot(InputKind),
    UrlFile,
}

fn kind_of_name(path: &Path) -> Option<NamedKind> {
    let name = path.file_name()?.to_str()?;
    if connected_app::is_connected_app_name(name) {
        return Some(NamedKind::ConnectedApp);
    }
    if let Some(part) = external_client_app::part_kind(name) {
        return Some(NamedKind::ExternalClientApp(part));
    }
    if let Some(kind) = hubspot::kind_of_name(name) {
        return Some(NamedKind::Hubspot(kind));
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Some(NamedKind::Manifest),
        Some("url") => Some(NamedKind::UrlFile),
        _ => None,
    }
}

fn walk(dir: &Path, display: &str, out: &mut Vec<Candidate>) -> Result<(), FileError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FileError::new(display, source_file::io_message(&e)))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        let shown = if display.ends_with('/') {
            format!("{display}{name}")
        } else {
            format!("{display}/{name}")
        };
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&path, &shown, out)?;
            }
        } else if kind.is_file() && kind_of_name(&path).is_some() {
            out.push(Candidate {
                path,
                display: shown,
                explicit: false,
            });
        }
    }
    Ok(())
}

/// What one file turned out to hold.
enum Loaded {
    Apps(Vec<App>),
    /// One file of an External Client App, joined with the others once all are read.
    EcaPart(external_client_app::Part),
    /// Found while walking, and not an app of ours (a YAML file without `app:`, another
    /// tool's `app.json`, a card's `-hsmeta.json`).
    Skipped,
}

/// The kind of an explicitly named file whose name says nothing, from its first bytes.
fn sniff(text: &str) -> Option<NamedKind> {
    let head = text.trim_start();
    if head.starts_with('<') {
        if head.contains("<ConnectedApp") {
            return Some(NamedKind::ConnectedApp);
        }
        use external_client_app::PartKind;
        for (root, part) in [
            ("<ExternalClientApplication", PartKind::App),
            ("<ExtlClntAppOauthSettings", PartKind::OauthSettings),
            ("<ExtlClntAppGlobalOauthSettings", PartKind::GlobalOauth),
            ("<ExtlClntAppOauthConfigurablePolicies", PartKind::OauthPolicies),
        ] {
            if head.contains(root) {
                return Some(NamedKind::ExternalClientApp(part));
            }
        }
        return None;
    }
    if head.starts_with('{') {
        let kind = if head.contains("\"config\"") {
            InputKind::HubspotProjectApp
        } else if head.contains("\"auth\"") {
            InputKind::HubspotPublicApp
        } else {
            InputKind::HubspotPrivateApp
        };
        return Some(NamedKind::Hubspot(kind));
    }
    if authorize_url::looks_like_url_file(text) {
        return Some(NamedKind::UrlFile);
    }
    manifest::looks_like_manifest(text).then_some(NamedKind::Manifest)
}

const SUPPORTED: &str = "expected an app manifest (.yaml), a *.connectedApp-meta.xml, External Client App files (.eca, .ecaOauth, .ecaGlblOauth, .ecaOauthPlcy), a HubSpot public-app.json, app.json or *-hsmeta.json, or authorize URLs (.url)";

fn load_one(candidate: &Candidate) -> Result<Loaded, FileError> {
    let display = candidate.display.as_str();
    let named = kind_of_name(&candidate.path);
    let text = match source_file::read_text(&candidate.path, display, MAX_INPUT_BYTES) {
        Ok(text) => text,
        // While walking, a YAML file we cannot read as text is not a manifest we could audit.
        Err(_) if !candidate.explicit && named == Some(NamedKind::Manifest) => return Ok(Loaded::Skipped),
        Err(e) => return Err(e),
    };
    let kind = match named.or_else(|| sniff(&text)) {
        Some(kind) => kind,
        None => return Err(FileError::new(display, format!("unsupported input: {SUPPORTED}"))),
    };
    match kind {
        NamedKind::Manifest => {
            if !manifest::looks_like_manifest(&text) {
                return if candidate.explicit {
                    Err(FileError::new(display, "not an app manifest: no top-level `app:` key"))
                } else {
                    Ok(Loaded::Skipped)
                };
            }
            manifest::parse(display, &text).map(|app| Loaded::Apps(vec![app]))
        }
        NamedKind::ConnectedApp => connected_app::parse(display, &text).map(|app| Loaded::Apps(vec![app])),
        NamedKind::ExternalClientApp(part) => {
            external_client_app::parse_part(display, &text, part).map(Loaded::EcaPart)
        }
        NamedKind::Hubspot(kind) => match hubspot::parse(display, &text, kind)? {
            hubspot::Parsed::App(app) => Ok(Loaded::Apps(vec![*app])),
            hubspot::Parsed::NotAnApp(_) if !candidate.explicit => Ok(Loaded::Skipped),
            hubspot::Parsed::NotAnApp(why) => Err(FileError::new(display, format!("not a HubSpot app config: {why}"))),
        },
        NamedKind::UrlFile => authorize_url::parse_file(display, &text).map(Loaded::Apps),
    }
}

/// Reads every input (files, directories and authorize URLs), in the order given, directory
/// entries sorted by name. Every unreadable or invalid input is reported, not just the first.
pub fn load_paths(paths: &[String]) -> Result<Vec<App>, Vec<FileError>> {
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    // Apps from URLs on the command line, by the index of the candidate they come before.
    let mut url_apps: Vec<(usize, App)> = Vec::new();
    for raw in paths {
        if authorize_url::looks_like_url(raw) {
            match authorize_url::parse_url(&authorize_url::display_name(raw), raw, None) {
                Ok(app) => url_apps.push((candidates.len(), app)),
                Err(e) => errors.push(e),
            }
            continue;
        }
        let path = PathBuf::from(raw);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                if let Err(e) = walk(&path, raw, &mut candidates) {
                    errors.push(e);
                }
            }
            Ok(_) => candidates.push(Candidate {
                path,
                display: raw.clone(),
                explicit: true,
            }),
            Err(e) => errors.push(FileError::new(raw.as_str(), source_file::io_message(&e))),
        }
    }
    let results = parallel_map(&candidates, load_one);
    // Slots keep input order; an External Client App takes the slot of its first file.
    enum Slot {
        App(Box<App>),
        Eca,
    }
    let mut slots = Vec::new();
    let mut parts = Vec::new();
    let mut url_apps = url_apps.into_iter().peekable();
    for (index, result) in results.into_iter().enumerate() {
        while let Some((_, app)) = url_apps.next_if(|(i, _)| *i <= index) {
            slots.push(Slot::App(Box::new(app)));
        }
        match result {
            Ok(Loaded::Apps(apps)) => slots.extend(apps.into_iter().map(|a| Slot::App(Box::new(a)))),
            Ok(Loaded::EcaPart(part)) => {
                if !parts
                    .iter()
                    .any(|p: &external_client_app::Part| p.app_name == part.app_name)
                {
                    slots.push(Slot::Eca);
                }
                parts.push(part);
            }
            Ok(Loaded::Skipped) => {}
            Err(e) => errors.push(e),
        }
    }
    slots.extend(url_apps.map(|(_, app)| Slot::App(Box::new(app))));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut joined: Vec<Option<App>> = external_client_app::join(parts).into_iter().map(Some).collect();
    let apps = slots
        .into_iter()
        .filter_map(|slot| match slot {
            Slot::App(app) => Some(*app),
            // `join` keeps first-appearance order, the same order the slots were made in.
            Slot::Eca => joined.iter_mut().find_map(Option::take),
        })
        .map(drop_repeated_scopes)
        .collect();
    Ok(apps)
}

/// A scope written twice in exactly the same way is one request: the repeat is noted and
/// dropped. (Two names for one scope, `offline_access` beside `refresh_token`, are kept for
/// the `duplicate-alias` rule.)
fn drop_repeated_scopes(mut app: App) -> App {
    let mut seen: Vec<&str> = Vec::new();
    let mut repeats = Vec::new();
    for (i, scope) in app.scopes.iter().enumerate() {
        if seen.contains(&scope.name.as_str()) {
            repeats.push(i);
        } else {
            seen.push(&scope.name);
        }
    }
    for &i in repeats.iter().rev() {
        let scope = app.scopes.remove(i);
        app.notes.push(crate::model::Note {
            message: format!("`{}` is listed more than once", scope.name),
            at: scope.at,
        });
    }
    if !repeats.is_empty() {
        app.notes.sort_by_key(|n| n.at);
    }
    app
}

/// Maps in order over a few threads: parsing thousands of manifests is CPU-bound.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if items.len() < 64 || threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// An ad-hoc app from `--scopes "a b c" --platform P`: names separated by spaces or commas.
pub fn scope_list(list: &str, platform: Platform) -> Result<App, FileError> {
    let names: Vec<&str> = list
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(FileError::new("--scopes", "no scope names given"));
    }
    Ok(drop_repeated_scopes(App {
        name: format!("Scope list ({})", platform.display_name()),
        vendor: None,
        platform,
        description: None,
        source: Source::single("--scopes", InputKind::ScopeList),
        at: None,
        integration: Integration::default(),
        scopes: names
            .into_iter()
            .map(|n| RequestedScope {
                name: n.to_string(),
                requirement: Requirement::Required,
                justification: None,
                at: None,
            })
            .collect(),
        tools: Vec::new(),
        tools_at: None,
        integration_at: None,
        settings: Default::default(),
        notes: Vec::new(),
    }))
}

/// Cleans one scope name as written in a config: quotes, trailing comments and annotations
/// are taken off (`Api (Access and manage your data)` and Salesforce's Setup label
/// `Manage user data via APIs (api)` both read as the scope they name), and a note says so.
/// Returns None for a name that is empty once cleaned.
pub fn scope_name(raw: &str) -> (Option<String>, Option<String>) {
    let original = raw.trim();
    let mut name = original.trim_matches(|c| matches!(c, '"' | '\'' | '`')).trim();
    for marker in ["//", "#"] {
        if let Some((before, _)) = name.split_once(marker) {
            if !before.trim().is_empty() {
                name = before.trim();
            }
        }
    }
    name = name.trim_matches(|c| matches!(c, '"' | '\'' | '`')).trim();
    if let (Some(open), true) = (name.find('('), name.ends_with(')')) {
        let before = name[..open].trim();
        // Setup labels list synonyms: "Perform requests at any time (refresh_token, offline_access)".
        let inside = name[open + 1..name.len() - 1].split(',').next().unwrap_or("").trim();
        name = if !before.is_empty() && !before.contains(char::is_whitespace) {
            before
        } else if !inside.is_empty() && !inside.contains(char::is_whitespace) {
            inside
        } else {
            name
        };
    }
    if name.is_empty() {
        return (None, Some(format!("empty scope entry `{original}` ignored")));
    }
    let note = (name != original).then(|| format!("scope string `{original}` read as `{name}`"));
    (Some(name.to_string()), note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_lose_quotes_comments_and_annotations() {
        let clean = |s: &str| scope_name(s).0;
        assert_eq!(clean(" Api "), Some("Api".into()));
        assert_eq!(scope_name("Api").1, None);
        assert_eq!(clean("Api (Access and manage your data)"), Some("Api".into()));
        assert_eq!(clean("Manage user data via APIs (api)"), Some("api".into()));
        assert_eq!(
            clean("Perform requests at any time (refresh_token, offline_access)"),
            Some("refresh_token".into())
        );
        assert_eq!(
            clean("\"crm.objects.deals.read\" // deals card"),
            Some("crm.objects.deals.read".into())
        );
        assert_eq!(clean("contacts # legacy"), Some("contacts".into()));
        assert_eq!(
            clean("Access and manage your data"),
            Some("Access and manage your data".into())
        );
        assert_eq!(clean("\"\""), None);
        assert!(scope_name("Api (x y)").1.unwrap().contains("read as `Api`"));
    }
}
