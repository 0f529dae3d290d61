//! Inputs: finding, detecting and parsing every supported file into normalized apps.

pub mod authorize_url;
pub mod certificate;
pub mod connected_app;
pub mod external_client_app;
pub mod hubspot;
pub mod manifest;
pub mod org;
pub mod sf_meta;
pub mod xml;

use crate::model::{
    App, AppIdentity, IdentityKind, InputKind, Integration, Platform, RequestedScope, Requirement, Source,
};
use crate::source_file::{self, FileError};
use std::path::{Path, PathBuf};

/// Inputs larger than this are refused rather than parsed: no real config comes close.
pub const MAX_INPUT_BYTES: u64 = 1024 * 1024;

/// Directories never searched: version control, dependencies and build output.
const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "target"];

/// One file to read, and whether the user named it (an unsupported file named explicitly is an
/// error; one found while walking a directory is read only when its name announces an input).
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
    /// A saved org pull (`--save-snapshot`), told by its content: a JSON object whose `kind`
    /// is [`crate::org::snapshot::SNAPSHOT_KIND`].
    OrgSnapshot,
}

fn kind_of_name(path: &Path) -> Option<NamedKind> {
    // A name that is not valid Unicode is still a name: judge it by its readable part. Each
    // reader matches its endings in any case.
    let name = path.file_name()?.to_string_lossy();
    if connected_app::is_connected_app_name(&name) {
        return Some(NamedKind::ConnectedApp);
    }
    if let Some(part) = external_client_app::part_kind(&name) {
        return Some(NamedKind::ExternalClientApp(part));
    }
    if let Some(kind) = hubspot::kind_of_name(&name) {
        return Some(NamedKind::Hubspot(kind));
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return Some(NamedKind::Manifest);
    }
    lower.ends_with(".url").then_some(NamedKind::UrlFile)
}

/// Whether a `.json` file is an org snapshot, from its first bytes (its name says nothing
/// more than `.json`).
fn is_snapshot_file(path: &Path) -> bool {
    let json = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".json"));
    json && org::file_looks_like_snapshot(path)
}

/// The path as shown: the directory as the user named it, then the walked part.
fn shown_path(root: &Path, root_display: &str, path: &Path) -> String {
    let rest = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    if rest.is_empty() {
        root_display.to_string()
    } else if root_display.ends_with('/') {
        format!("{root_display}{rest}")
    } else {
        format!("{root_display}/{rest}")
    }
}

/// Walks `dir` (sorted by name, following links, never into [`SKIPPED_DIRS`]) and returns every
/// file whose name announces an input, honouring `.gitignore` inside a git checkout. Files an
/// ignore rule hides are returned apart, so the report can say they were left out; entries that
/// cannot be read (permissions, link loops, broken links) are errors.
fn walk(dir: &Path, display: &str, out: &mut Vec<Candidate>, ignored: &mut Vec<String>, errors: &mut Vec<FileError>) {
    let found = |respect_gitignore: bool, errors: &mut Vec<FileError>| {
        let mut builder = ignore::WalkBuilder::new(dir);
        builder
            .standard_filters(false)
            .git_ignore(respect_gitignore)
            .git_exclude(respect_gitignore)
            .parents(respect_gitignore)
            .require_git(true)
            .follow_links(true)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(|entry| {
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && entry.depth() > 0
                    && SKIPPED_DIRS.iter().any(|d| entry.file_name() == *d))
            });
        let mut paths = Vec::new();
        for entry in builder.build() {
            match entry {
                Ok(entry) => {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    if !is_dir && (kind_of_name(entry.path()).is_some() || is_snapshot_file(entry.path())) {
                        paths.push(entry.into_path());
                    }
                }
                Err(e) => {
                    let path = error_path(&e).map_or_else(|| display.to_string(), |p| shown_path(dir, display, p));
                    errors.push(FileError::new(path, walk_error_message(&e)));
                }
            }
        }
        paths
    };
    let kept = found(true, errors);
    // The second walk only names what .gitignore hid (its errors were reported by the first);
    // outside a git checkout nothing was hidden, so it is not needed.
    let in_checkout = in_git_checkout(dir);
    let all = if in_checkout {
        found(false, &mut Vec::new())
    } else {
        Vec::new()
    };
    if in_checkout && all.len() != kept.len() {
        let kept_set: std::collections::HashSet<&PathBuf> = kept.iter().collect();
        ignored.extend(
            all.iter()
                .filter(|p| !kept_set.contains(p))
                .map(|p| shown_path(dir, display, p)),
        );
    }
    out.extend(kept.into_iter().map(|path| Candidate {
        display: shown_path(dir, display, &path),
        path,
        explicit: false,
    }));
}

/// Whether `dir` is inside a git checkout, where `.gitignore` applies.
fn in_git_checkout(dir: &Path) -> bool {
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    absolute.ancestors().any(|d| d.join(".git").exists())
}

fn error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn walk_error_message(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err),
        ignore::Error::Loop { ancestor, .. } => {
            format!("symbolic link loop back to {}; not followed", ancestor.display())
        }
        ignore::Error::Io(io) => source_file::io_message(io),
        other => other.to_string(),
    }
}

/// What one file turned out to hold.
enum Loaded {
    Apps(Vec<App>),
    /// One file of an External Client App, joined with the others once all are read.
    EcaPart(external_client_app::Part),
    /// An org snapshot: its apps, the pull's summary and what the pull could not read.
    Org(Vec<App>, Box<OrgInput>),
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
            ("<ExtlClntAppConfigurablePolicies", PartKind::PluginPolicies),
        ] {
            if head.contains(root) {
                return Some(NamedKind::ExternalClientApp(part));
            }
        }
        return None;
    }
    if org::looks_like_snapshot(head) {
        return Some(NamedKind::OrgSnapshot);
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

/// The problems of one file: one for most formats, every one for a manifest.
struct FileErrors(Vec<FileError>);

impl From<FileError> for FileErrors {
    fn from(e: FileError) -> FileErrors {
        FileErrors(vec![e])
    }
}

/// At most this many problems of one file are listed; the rest are counted.
const MAX_FILE_ERRORS: usize = 50;

impl FileErrors {
    /// Every problem of a file the user named, up to [`MAX_FILE_ERRORS`], then how many more.
    fn all(self) -> Vec<FileError> {
        let mut errors = self.0;
        if errors.len() > MAX_FILE_ERRORS {
            let more = errors.len() - MAX_FILE_ERRORS;
            let path = errors[0].path.clone();
            errors.truncate(MAX_FILE_ERRORS);
            errors.push(FileError::new(
                path,
                format!("and {more} more problem{}", if more == 1 { "" } else { "s" }),
            ));
        }
        errors
    }

    /// One line for a file met while walking (the report lists one per unread input): the
    /// first problem, and how many more there are.
    fn first(self) -> Option<FileError> {
        let mut errors = self.0.into_iter();
        let mut first = errors.next()?;
        let more = errors.count();
        if more > 0 {
            first.message = format!(
                "{} (and {more} more problem{} in this file: audit it alone to see them all)",
                first.message,
                if more == 1 { "" } else { "s" }
            );
        }
        Some(first)
    }
}

fn load_one(candidate: &Candidate, stale_days: u32) -> Result<Loaded, FileErrors> {
    let display = candidate.display.as_str();
    let named = kind_of_name(&candidate.path);
    // A snapshot is told by its first bytes, and may be far larger than an app's config.
    let snapshot = (named.is_none() || matches!(named, Some(NamedKind::Hubspot(_))))
        && org::file_looks_like_snapshot(&candidate.path);
    let named = if snapshot { Some(NamedKind::OrgSnapshot) } else { named };
    let limit = if snapshot {
        org::MAX_SNAPSHOT_BYTES
    } else {
        MAX_INPUT_BYTES
    };
    // A file that cannot be read is reported, whether named or found: it may be the app.
    let text = source_file::read_text(&candidate.path, display, limit)?;
    let kind = match named.or_else(|| sniff(&text)) {
        Some(kind) => kind,
        None => return Err(FileError::new(display, format!("unsupported input: {SUPPORTED}")).into()),
    };
    match kind {
        NamedKind::Manifest => {
            if !manifest::looks_like_manifest(&text) {
                return if candidate.explicit {
                    Err(FileError::new(display, "not an app manifest: no top-level `app:` key").into())
                } else {
                    Ok(Loaded::Skipped)
                };
            }
            manifest::parse(display, &text)
                .map(|app| Loaded::Apps(vec![app]))
                .map_err(FileErrors)
        }
        NamedKind::ConnectedApp => Ok(connected_app::parse(display, &text).map(|app| Loaded::Apps(vec![app]))?),
        NamedKind::ExternalClientApp(part) => {
            Ok(external_client_app::parse_part(display, &text, part).map(Loaded::EcaPart)?)
        }
        NamedKind::Hubspot(kind) => match hubspot::parse(display, &text, kind)? {
            hubspot::Parsed::App(app) => Ok(Loaded::Apps(vec![*app])),
            hubspot::Parsed::NotAnApp(_) if !candidate.explicit => Ok(Loaded::Skipped),
            hubspot::Parsed::NotAnApp(why) => {
                Err(FileError::new(display, format!("not a HubSpot app config: {why}")).into())
            }
        },
        NamedKind::UrlFile => Ok(authorize_url::parse_file(display, &text).map(Loaded::Apps)?),
        NamedKind::OrgSnapshot => {
            let snapshot = org::read_snapshot(display, &text)?;
            let (apps, summary) = org::normalize(
                &snapshot,
                org::Origin::File {
                    path: display,
                    text: &text,
                },
                stale_days,
            );
            let errors = snapshot
                .errors
                .iter()
                .map(|e| FileError::new(display, format!("the org pull was cut short: {e}")))
                .collect();
            Ok(Loaded::Org(apps, Box::new(OrgInput { summary, errors })))
        }
    }
}

/// What an org snapshot adds to the inputs: the pull's summary (the report's `org` object)
/// and, when the pull was cut short, what stopped it (the report is then incomplete).
#[derive(Debug)]
pub struct OrgInput {
    pub summary: crate::model::org::OrgSummary,
    pub errors: Vec<FileError>,
}

/// Everything the inputs held: the apps, and every input that could not be read.
#[derive(Debug, Default)]
pub struct Inputs {
    pub apps: Vec<App>,
    /// Problems with inputs the user named (a file, a URL): the command stops on these.
    pub named_errors: Vec<FileError>,
    /// Problems with files met while walking a directory: the rest is still audited, and the
    /// report is marked incomplete.
    pub walk_errors: Vec<FileError>,
    /// Files whose names announce an input but that `.gitignore` hides, as shown.
    pub ignored: Vec<String>,
    /// Every file read or considered, so outputs never overwrite an input.
    pub files: Vec<PathBuf>,
    /// The org snapshot among the inputs, if any (one per audit: a report has one org).
    pub org: Option<OrgInput>,
}

/// How inputs are read, beyond which ones.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Days without use after which an org token is stale (`--stale-days`).
    pub stale_days: u32,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            stale_days: org::DEFAULT_STALE_DAYS,
        }
    }
}

/// Reads every input (files, directories and authorize URLs), in the order given, directory
/// entries sorted by name. Every unreadable or invalid input is reported, not just the first.
pub fn load_paths(paths: &[String]) -> Inputs {
    load_paths_with(paths, LoadOptions::default())
}

/// [`load_paths`], with options.
pub fn load_paths_with(paths: &[String], options: LoadOptions) -> Inputs {
    let mut inputs = Inputs::default();
    let mut candidates = Vec::new();
    // Apps from URLs on the command line, by the index of the candidate they come before.
    let mut url_apps: Vec<(usize, App)> = Vec::new();
    for raw in paths {
        if authorize_url::looks_like_url(raw) {
            match authorize_url::parse_url(&authorize_url::display_name(raw), raw, None) {
                Ok(app) => url_apps.push((candidates.len(), app)),
                Err(e) => inputs.named_errors.push(e),
            }
            continue;
        }
        let path = PathBuf::from(raw);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(
                &path,
                raw,
                &mut candidates,
                &mut inputs.ignored,
                &mut inputs.walk_errors,
            ),
            Ok(_) => candidates.push(Candidate {
                path,
                display: raw.clone(),
                explicit: true,
            }),
            Err(e) => inputs.named_errors.push(FileError::new(
                authorize_url::shown_argument(raw),
                source_file::io_message(&e),
            )),
        }
    }
    inputs.files = candidates.iter().map(|c| c.path.clone()).collect();
    let results = crate::parallel::map(&candidates, |c| load_one(c, options.stale_days));
    // Apps keep input order: each sorts by the index of the candidate it came from (a URL
    // argument by the candidate it was given before), then by when it was made.
    let mut ordered: Vec<((usize, usize), App)> = Vec::with_capacity(candidates.len() + url_apps.len());
    let mut made = 0usize;
    for (index, app) in url_apps {
        ordered.push(((index, made), app));
        made += 1;
    }
    let mut parts = Vec::new();
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(Loaded::Apps(apps)) => {
                for app in apps {
                    ordered.push(((index, made), app));
                    made += 1;
                }
            }
            Ok(Loaded::EcaPart(part)) => parts.push(part),
            Ok(Loaded::Org(apps, org)) => {
                if let Some(first) = &inputs.org {
                    let first = first.summary.snapshot.as_ref().map_or("", |s| s.path.as_str());
                    let e = FileError::new(
                        candidates[index].display.as_str(),
                        format!("a second org snapshot; a report covers one org pull: audit it apart from `{first}`"),
                    );
                    if candidates[index].explicit {
                        inputs.named_errors.push(e);
                    } else {
                        inputs.walk_errors.push(e);
                    }
                    continue;
                }
                for app in apps {
                    ordered.push(((index, made), app));
                    made += 1;
                }
                inputs.org = Some(*org);
            }
            Ok(Loaded::Skipped) => {}
            Err(e) if candidates[index].explicit => inputs.named_errors.extend(e.all()),
            Err(e) => inputs.walk_errors.extend(e.first()),
        }
    }
    // An External Client App stands where its first file was found.
    let index_of: std::collections::HashMap<&str, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.display.as_str(), i))
        .collect();
    for app in external_client_app::join(parts) {
        let index = app
            .source
            .files
            .iter()
            .filter_map(|f| index_of.get(f.as_str()).copied())
            .min()
            .unwrap_or(usize::MAX);
        ordered.push(((index, made), app));
        made += 1;
    }
    ordered.sort_by_key(|(key, _)| *key);
    inputs.apps = ordered.into_iter().map(|(_, app)| drop_repeated_scopes(app)).collect();
    inputs
}

/// A scope written twice in exactly the same way is one request: the repeat is noted and
/// dropped. (Two names for one scope, `offline_access` beside `refresh_token`, are kept for
/// the `duplicate-alias` rule.)
fn drop_repeated_scopes(mut app: App) -> App {
    let mut seen = std::collections::HashSet::with_capacity(app.scopes.len());
    let mut kept = Vec::with_capacity(app.scopes.len());
    let mut repeated = false;
    for scope in std::mem::take(&mut app.scopes) {
        if seen.contains(scope.name.as_str()) {
            repeated = true;
            app.notes.push(crate::model::Note {
                code: crate::model::NoteCode::Repeated,
                message: format!("`{}` is listed more than once", scope.name),
                at: scope.at,
            });
        } else {
            seen.insert(scope.name.clone());
            kept.push(scope);
        }
    }
    app.scopes = kept;
    if repeated {
        app.notes.sort_by_key(|n| n.at);
    }
    app
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
    let name = format!("Scope list ({})", platform.display_name());
    Ok(drop_repeated_scopes(App {
        identity: AppIdentity::new(IdentityKind::Label, name.clone()),
        name,
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
        org: None,
        matches: Vec::new(),
        consumer_key: None,
        approval: Default::default(),
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
