//! Org pulls: a saved snapshot (`scopeaudit audit SNAPSHOT.json`) read back, and any pull
//! (live or saved) turned into the same `App`s every rule audits, each with its
//! [`OrgUsage`], plus the org-wide [`OrgSummary`].
//!
//! One code path with the files: a Connected App's `readMetadata` record goes through the
//! `*.connectedApp-meta.xml` reader, and an External Client App's rows are written as the
//! `.eca` / `.ecaOauth` / `.ecaOauthPlcy` documents the ECA file reader joins, so the same
//! settings, defaults and notes come out. Positions inside those documents mean nothing to a
//! reader of an org report and are dropped: a live app is located by its org record, a
//! snapshot app by the line of its row in the snapshot.
//!
//! Joins (SPEC section 6): a token belongs to an installed app through its `AppMenuItemId`
//! (the menu item's `ApplicationId`) first, its `AppName` label second (tokens keep the label
//! the app had when they were issued; External Client App tokens may have no menu item). A
//! token of no installed app is an uninstalled-app token, grouped by its `AppName`.

use super::{connected_app, external_client_app};
use crate::model::org::{
    ConfigRead, OrgAppKind, OrgSummary, OrgUsage, PermittedUsers, Preauthorized, SnapshotSource, Stamp, UninstalledApp,
};
use crate::model::{App, AppIdentity, IdentityKind, InputKind, Integration, NoteCode, Platform, Pos, Source};
use crate::org::snapshot::{
    ConnectedAppMetadata, ConnectedApplicationRow, ExternalClientAppRow, OrgSnapshot, SNAPSHOT_KIND, SNAPSHOT_VERSION,
};
use crate::source_file::FileError;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A snapshot holds every token of the org (100,000 tokens are about 20 MiB of JSON): it may
/// be far larger than an app's config, but not unbounded.
pub const MAX_SNAPSHOT_BYTES: u64 = 512 * 1024 * 1024;

/// How many bytes of a `.json` file are looked at to tell a snapshot: `kind` is its first
/// member as scopeaudit writes it.
pub const SNIFF_BYTES: usize = 4096;

/// Days without use after which a token is stale, unless `--stale-days` says otherwise.
pub const DEFAULT_STALE_DAYS: u32 = 90;

/// Whether the start of a file is an org snapshot's: a JSON object whose `kind` is ours.
pub fn looks_like_snapshot(head: &str) -> bool {
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if !head.starts_with('{') {
        return false;
    }
    let quoted = format!("\"{SNAPSHOT_KIND}\"");
    head.match_indices(&quoted).any(|(at, _)| {
        // `"kind": "scopeaudit-org-snapshot"`, in any spacing.
        let before = head[..at].trim_end();
        before.ends_with(':') && before[..before.len() - 1].trim_end().ends_with("\"kind\"")
    })
}

/// Whether the file at `path` starts like an org snapshot (reads at most [`SNIFF_BYTES`]).
pub fn file_looks_like_snapshot(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    if file.take(SNIFF_BYTES as u64).read_to_end(&mut head).is_err() {
        return false;
    }
    looks_like_snapshot(&String::from_utf8_lossy(&head))
}

/// The members every snapshot starts with, read first so a file from another version says so
/// rather than failing on a member this version does not know.
#[derive(serde::Deserialize)]
struct Head {
    kind: Option<String>,
    version: Option<serde_json::Value>,
}

/// Reads a snapshot file's text: strict JSON (no unknown members), our `kind`, a `version`
/// this build reads. `path` is how the user named the file.
pub fn read_snapshot(path: &str, text: &str) -> Result<OrgSnapshot, FileError> {
    let serde_error = |e: serde_json::Error| {
        if e.line() == 0 {
            FileError::new(path, format!("invalid org snapshot: {e}"))
        } else {
            FileError::at(
                path,
                e.line(),
                Some(e.column()),
                format!("invalid org snapshot: {}", strip_position(&e.to_string())),
            )
        }
    };
    let head: Head = serde_json::from_str(text).map_err(serde_error)?;
    match head.kind.as_deref() {
        Some(SNAPSHOT_KIND) => {}
        Some(other) => {
            return Err(FileError::new(
                path,
                format!("not an org snapshot: `kind` is `{other}`, not `{SNAPSHOT_KIND}`"),
            ))
        }
        None => return Err(FileError::new(path, "not an org snapshot: no `kind` member")),
    }
    match head.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(SNAPSHOT_VERSION) => {}
        Some(v) if v > u64::from(SNAPSHOT_VERSION) => {
            return Err(FileError::new(
                path,
                format!(
                "org snapshot version {v} was written by a newer scopeaudit; this one reads version {SNAPSHOT_VERSION}"
            ),
            ))
        }
        _ => {
            return Err(FileError::new(
                path,
                format!("org snapshot `version` must be {SNAPSHOT_VERSION}"),
            ))
        }
    }
    serde_json::from_str(text).map_err(serde_error)
}

/// serde_json ends its messages with " at line L column C": the error carries them apart.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Where a pull came from: what its apps' `source` says and how their findings are located.
#[derive(Debug, Clone, Copy)]
pub enum Origin<'a> {
    /// A live pull: apps are `InputKind::SalesforceOrg` at the snapshot's `instance_url`,
    /// located by their org record.
    Live,
    /// A snapshot file: apps are `InputKind::OrgSnapshot` at `path`, each at the line of its
    /// row in `text` (the file's text, as read).
    File { path: &'a str, text: &'a str },
}

/// The lines of the rows findings point at, from the snapshot's text.
#[derive(Default)]
struct Lines {
    by_pointer: HashMap<String, u32>,
}

impl Lines {
    fn of(origin: Origin) -> Lines {
        match origin {
            Origin::Live => Lines::default(),
            Origin::File { text, .. } => Lines {
                by_pointer: crate::json_lines::locate(text),
            },
        }
    }

    /// The line of a row's naming member (what a reader looks for), else of the row.
    fn row(&self, list: &str, index: usize, member: &str) -> Option<u32> {
        self.by_pointer
            .get(&format!("/{list}/{index}/{member}"))
            .or_else(|| self.by_pointer.get(&format!("/{list}/{index}")))
            .copied()
    }
}

/// Who the org's users are, as far as the audit needs: active, and privileged (their profile
/// or any assigned permission set grants Modify All Data or View All Data).
struct People<'a> {
    active: HashMap<&'a str, bool>,
    privileged: HashSet<&'a str>,
    /// Users of each permission set: its assignees, and for a profile's own set, the users
    /// with that profile.
    of_permission_set: HashMap<&'a str, HashSet<&'a str>>,
}

impl<'a> People<'a> {
    fn new(s: &'a OrgSnapshot) -> People<'a> {
        let profiles: HashMap<&str, (bool, bool)> = s
            .profiles
            .iter()
            .map(|p| (p.id.as_str(), (p.modify_all_data, p.view_all_data)))
            .collect();
        let sets: HashMap<&str, &crate::org::snapshot::PermissionSetRow> =
            s.permission_sets.iter().map(|p| (p.id.as_str(), p)).collect();
        let mut privileged = HashSet::new();
        let mut of_permission_set: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut by_profile: HashMap<&str, Vec<&str>> = HashMap::new();
        for user in &s.users {
            if let Some(profile) = user.profile_id.as_deref() {
                by_profile.entry(profile).or_default().push(user.id.as_str());
                if profiles.get(profile).is_some_and(|(m, v)| *m || *v) {
                    privileged.insert(user.id.as_str());
                }
            }
        }
        for a in &s.assignments {
            of_permission_set
                .entry(a.permission_set_id.as_str())
                .or_default()
                .insert(a.assignee_id.as_str());
            if sets
                .get(a.permission_set_id.as_str())
                .is_some_and(|p| p.modify_all_data || p.view_all_data)
            {
                privileged.insert(a.assignee_id.as_str());
            }
        }
        for set in &s.permission_sets {
            if let (true, Some(profile)) = (set.is_owned_by_profile, set.profile_id.as_deref()) {
                let users = of_permission_set.entry(set.id.as_str()).or_default();
                users.extend(by_profile.get(profile).into_iter().flatten().copied());
                // A profile's own set that grants the permission makes its users privileged.
                if set.modify_all_data || set.view_all_data {
                    privileged.extend(by_profile.get(profile).into_iter().flatten().copied());
                }
            }
        }
        People {
            active: s.users.iter().map(|u| (u.id.as_str(), u.is_active)).collect(),
            privileged,
            of_permission_set,
        }
    }
}

/// Token counts of one app (or one uninstalled label) as they accumulate.
#[derive(Default)]
struct Tally<'a> {
    tokens: u64,
    users: HashSet<&'a str>,
    last_used: Option<Stamp>,
    use_count: u64,
    stale: u64,
    inactive: u64,
    privileged: u64,
    /// The first token row (its index), where an uninstalled app's finding points.
    first_row: Option<usize>,
}

impl<'a> Tally<'a> {
    fn add(&mut self, row: usize, token: &'a crate::org::snapshot::TokenRow, people: &People, stale_before: i64) {
        self.tokens += 1;
        self.first_row.get_or_insert(row);
        self.use_count = self.use_count.saturating_add(token.use_count);
        if token.last_used_date > self.last_used {
            self.last_used = token.last_used_date;
        }
        // Not used since the cut-off; never used and created before it.
        let reference = token.last_used_date.or(token.created_date);
        if reference.is_some_and(|t| t.as_second() < stale_before) {
            self.stale += 1;
        }
        if let Some(user) = token.user_id.as_deref() {
            self.users.insert(user);
            if people.active.get(user) == Some(&false) {
                self.inactive += 1;
            }
            if people.privileged.contains(user) {
                self.privileged += 1;
            }
        }
    }
}

/// Turns a pull into apps with their usage, and the org-wide summary. A pure function of the
/// snapshot: the live audit and `audit SNAPSHOT` give the same apps. Ages count from
/// `taken_at`, so a snapshot gives the same answer any day.
pub fn normalize(snapshot: &OrgSnapshot, origin: Origin, stale_days: u32) -> (Vec<App>, OrgSummary) {
    let s = snapshot;
    let lines = Lines::of(origin);
    let people = People::new(s);
    let stale_before = s.taken_at.as_second() - i64::from(stale_days) * 86_400;
    let source = match origin {
        Origin::Live => Source::single(s.instance_url.clone(), InputKind::SalesforceOrg),
        Origin::File { path, .. } => Source::single(path, InputKind::OrgSnapshot),
    };

    // An app's App Launcher item carries its current label.
    let mut menu_label: HashMap<&str, &str> = HashMap::new();
    for m in &s.menu_items {
        if let (Some(app), Some(label)) = (m.application_id.as_deref(), m.label.as_deref()) {
            menu_label.entry(app).or_insert(label);
        }
    }
    let mut apps: Vec<App> = Vec::with_capacity(s.connected_apps.len() + s.external_client_apps.len());
    // The labels each app is known by: tokens name their app by one of them.
    let mut labels: Vec<Vec<String>> = Vec::with_capacity(apps.capacity());
    for (i, row) in s.connected_apps.iter().enumerate() {
        let at = lines.row("connected_apps", i, "name");
        let (app, known_as) = connected_app_of(row, &source, at, menu_label.get(row.id.as_str()).copied());
        apps.push(app);
        labels.push(known_as);
    }
    for (i, row) in s.external_client_apps.iter().enumerate() {
        let at = lines.row("external_client_apps", i, "master_label");
        apps.push(external_client_app_of(row, &source, at));
        let mut known_as = vec![row.master_label.clone()];
        if let Some(label) = menu_label.get(row.id.as_str()) {
            crate::inputs::sf_meta::push_unique(&mut known_as, label);
        }
        labels.push(known_as);
    }

    // Joins: record Id and labels to the app; menu item to the record Id.
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    let mut by_label: HashMap<&str, Vec<usize>> = HashMap::new();
    let ids = s
        .connected_apps
        .iter()
        .map(|r| r.id.as_str())
        .chain(s.external_client_apps.iter().map(|r| r.id.as_str()));
    for (index, (id, known_as)) in ids.zip(&labels).enumerate() {
        by_id.entry(id).or_insert(index);
        for label in known_as {
            by_label.entry(label.as_str()).or_default().push(index);
        }
    }
    let menu: HashMap<&str, &str> = s
        .menu_items
        .iter()
        .filter_map(|m| Some((m.id.as_str(), m.application_id.as_deref()?)))
        .collect();

    let mut tallies: Vec<Tally> = (0..apps.len()).map(|_| Tally::default()).collect();
    let mut shared_labels: BTreeMap<&str, u64> = BTreeMap::new();
    let mut uninstalled: BTreeMap<&str, Tally> = BTreeMap::new();
    for (row, token) in s.tokens.iter().enumerate() {
        let through_menu = token
            .app_menu_item_id
            .as_deref()
            .and_then(|m| menu.get(m))
            .and_then(|app| by_id.get(app))
            .copied();
        let through_label = || {
            let candidates = by_label.get(token.app_name.as_str())?;
            if candidates.len() > 1 {
                *shared_labels.entry(token.app_name.as_str()).or_default() += 1;
            }
            candidates.first().copied()
        };
        match through_menu.or_else(through_label) {
            Some(app) => tallies[app].add(row, token, &people, stale_before),
            None => uninstalled
                .entry(token.app_name.as_str())
                .or_default()
                .add(row, token, &people, stale_before),
        }
    }
    // Two installed apps with one label: a token without a menu item is counted for the first,
    // and both say so (never silently).
    for (label, count) in &shared_labels {
        let holders = by_label.get(label).cloned().unwrap_or_default();
        let first = holders
            .first()
            .map(|&i| apps[i].identity.value.clone())
            .unwrap_or_default();
        for &index in &holders {
            apps[index].notes.push(crate::model::Note {
                code: NoteCode::Conflicting,
                message: format!(
                    "{} installed apps are labelled `{label}`: {count} token(s) with that label and no App Launcher item were counted for `{}`",
                    holders.len(),
                    first
                ),
                at: None,
            });
        }
    }

    // Who is pre-authorized: SetupEntityAccess rows, by app record Id.
    let sets: HashMap<&str, &crate::org::snapshot::PermissionSetRow> =
        s.permission_sets.iter().map(|p| (p.id.as_str(), p)).collect();
    let profile_names: HashMap<&str, &str> = s.profiles.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let mut access: Vec<Vec<&str>> = vec![Vec::new(); apps.len()];
    for row in &s.setup_entity_access {
        if let Some(&app) = by_id.get(row.setup_entity_id.as_str()) {
            access[app].push(row.parent_id.as_str());
        }
    }

    let kinds = s
        .connected_apps
        .iter()
        .map(|r| (OrgAppKind::ConnectedApp, r.id.as_str()))
        .chain(
            s.external_client_apps
                .iter()
                .map(|r| (OrgAppKind::ExternalClientApp, r.id.as_str())),
        );
    for (((app, tally), parents), (kind, id)) in apps.iter_mut().zip(tallies).zip(access).zip(kinds) {
        let label = app.name.clone();
        let mut preauthorized = Preauthorized::default();
        let mut covered: HashSet<&str> = HashSet::new();
        for parent in parents {
            match sets.get(parent) {
                Some(set) if set.is_owned_by_profile => {
                    let name = set
                        .profile_id
                        .as_deref()
                        .and_then(|p| profile_names.get(p).copied())
                        .unwrap_or(set.label.as_deref().unwrap_or(&set.name));
                    crate::inputs::sf_meta::push_unique(&mut preauthorized.profiles, name);
                }
                Some(set) => crate::inputs::sf_meta::push_unique(&mut preauthorized.permission_sets, &set.name),
                // A set the pull did not return: named by its Id, so it is not lost.
                None => crate::inputs::sf_meta::push_unique(&mut preauthorized.permission_sets, parent),
            }
            covered.extend(people.of_permission_set.get(parent).into_iter().flatten().copied());
        }
        preauthorized.users_all = covered.len() as u64;
        preauthorized.users_active = covered.iter().filter(|u| people.active.get(*u) == Some(&true)).count() as u64;
        // What rules about pre-authorization read: the org's rows, when the configuration
        // did not name them itself.
        if app.settings.preauthorized_profiles.is_empty() && app.settings.preauthorized_permission_sets.is_empty() {
            app.settings.preauthorized_profiles = preauthorized.profiles.clone();
            app.settings.preauthorized_permission_sets = preauthorized.permission_sets.clone();
        }
        let config = app.org.take().map_or(ConfigRead::Read, |o| o.config);
        let permitted_users = app.settings.admin_approved.map(|approved| {
            if approved {
                PermittedUsers::AdminApproved
            } else {
                PermittedUsers::AllUsers
            }
        });
        app.org = Some(Box::new(OrgUsage {
            kind,
            id: id.to_string(),
            api_name: app.identity.value.clone(),
            label,
            permitted_users,
            tokens: tally.tokens,
            users: tally.users.len() as u64,
            last_used: tally.last_used,
            use_count: tally.use_count,
            stale_tokens: tally.stale,
            inactive_user_tokens: tally.inactive,
            privileged_user_tokens: tally.privileged,
            preauthorized,
            config,
        }));
    }

    let mut uninstalled_lines = BTreeMap::new();
    let uninstalled_apps = uninstalled
        .into_iter()
        .map(|(name, tally)| {
            if let Some(line) = tally.first_row.and_then(|r| lines.row("tokens", r, "app_name")) {
                uninstalled_lines.insert(name.to_string(), line);
            }
            UninstalledApp {
                name: name.to_string(),
                tokens: tally.tokens,
                users: tally.users.len() as u64,
                last_used: tally.last_used,
            }
        })
        .collect();
    let summary = OrgSummary {
        instance_url: s.instance_url.clone(),
        org_id: s.org_id.clone(),
        api_version: s.api_version.clone(),
        taken_at: s.taken_at,
        complete: s.complete,
        api_calls: s.api_calls,
        api_usage: s.api_usage,
        skipped: s.skipped.clone(),
        tokens_total: s.tokens.len() as u64,
        uninstalled_apps,
        stale_days,
        credential: s.credential.clone(),
        users_total: s.users.len() as u64,
        users_active: s.users.iter().filter(|u| u.is_active).count() as u64,
        snapshot: match origin {
            Origin::Live => None,
            Origin::File { path, .. } => Some(SnapshotSource {
                path: path.to_string(),
                credential_line: lines.by_pointer.get("/credential").copied(),
                uninstalled_lines,
            }),
        },
    };
    (apps, summary)
}

/// An app as the org describes it, before its usage is counted: only `config` is set in its
/// `org` (the caller fills the rest).
fn placeholder_usage(config: ConfigRead) -> Option<Box<OrgUsage>> {
    Some(Box::new(OrgUsage {
        kind: OrgAppKind::ConnectedApp,
        id: String::new(),
        api_name: String::new(),
        label: String::new(),
        permitted_users: None,
        tokens: 0,
        users: 0,
        last_used: None,
        use_count: 0,
        stale_tokens: 0,
        inactive_user_tokens: 0,
        privileged_user_tokens: 0,
        preauthorized: Preauthorized::default(),
        config,
    }))
}

/// The app with nothing but what REST says: its scopes and policies are unknown, so nothing
/// is concluded from their absence (OAuth neither on nor off, no platform defaults).
fn bare_app(label: &str, api_name: &str, source: &Source, at: Option<u32>) -> App {
    App {
        name: label.to_string(),
        identity: AppIdentity::new(IdentityKind::ApiName, api_name),
        vendor: None,
        platform: Platform::Salesforce,
        description: None,
        source: source.clone(),
        at: at.map(Pos::line),
        integration: Integration::default(),
        scopes: Vec::new(),
        tools: Vec::new(),
        tools_at: None,
        integration_at: None,
        settings: Default::default(),
        notes: Vec::new(),
        org: None,
        matches: Vec::new(),
        consumer_key: None,
        approval: Default::default(),
    }
}

/// The note the Connected App reader makes about profiles pre-authorized on an app every
/// user may self-authorize: for an org app, `preauthorization-not-enforced` says it with the
/// users it concerns, so the note would repeat it.
const PREAUTHORIZATION_NOTE: &str = "profiles or permission sets are pre-authorized, but";

/// Positions inside a document written from org data point nowhere a reader can look: every
/// finding of the app points at the app itself (its record, or its row in the snapshot).
fn relocate(app: &mut App, source: &Source, at: Option<u32>) {
    app.source = source.clone();
    app.at = at.map(Pos::line);
    app.integration_at = None;
    app.integration.flows_at = None;
    app.tools_at = None;
    for scope in &mut app.scopes {
        scope.at = None;
    }
    for url in &mut app.settings.callback_urls {
        url.at = None;
    }
    app.settings.at.clear();
    // Kinds of secret the reader found in the record: the org reader drops secrets at the
    // door, and a pulled record is not source code someone committed.
    app.settings.committed_secrets.clear();
    app.notes
        .retain(|n| !(n.code == NoteCode::Ineffective && n.message.starts_with(PREAUTHORIZATION_NOTE)));
    for note in &mut app.notes {
        note.at = None;
    }
}

/// A Connected App, and the labels it is known by: its App Launcher item's (the current
/// label), its metadata's `<label>`, and `ConnectedApplication.Name`.
fn connected_app_of(
    row: &ConnectedApplicationRow,
    source: &Source,
    at: Option<u32>,
    menu_label: Option<&str>,
) -> (App, Vec<String>) {
    let (mut app, config) = match &row.metadata {
        ConnectedAppMetadata::Read { full_name, xml } => {
            let path = format!("{}.connectedApp-meta.xml", file_safe(full_name));
            match connected_app::parse(&path, xml) {
                Ok(mut app) => {
                    app.identity = AppIdentity::new(IdentityKind::ApiName, full_name.clone());
                    (app, ConfigRead::Read)
                }
                Err(e) => (
                    bare_app(&row.name, full_name, source, at),
                    ConfigRead::Unread(format!(
                        "its ConnectedApp metadata could not be read: {}{}",
                        e.line.map_or_else(String::new, |l| format!("line {l}: ")),
                        e.message
                    )),
                ),
            }
        }
        ConnectedAppMetadata::Unread { reason } => (
            bare_app(&row.name, &row.name, source, at),
            ConfigRead::Unread(reason.clone()),
        ),
    };
    relocate(&mut app, source, at);
    let mut known_as: Vec<String> = menu_label.map(str::to_string).into_iter().collect();
    if config == ConfigRead::Read {
        crate::inputs::sf_meta::push_unique(&mut known_as, &app.name);
    }
    crate::inputs::sf_meta::push_unique(&mut known_as, &row.name);
    app.name = known_as.first().cloned().unwrap_or_else(|| row.name.clone());
    match config {
        ConfigRead::Read => {
            // Metadata states the policy; where it leaves `isAdminApproved` out, the org's
            // own flag is the fact (not the platform default).
            if app.settings.admin_approved.is_none() {
                app.settings.admin_approved = row.admin_approved_only;
            } else if let (Some(stated), Some(org)) = (app.settings.admin_approved, row.admin_approved_only) {
                if stated != org {
                    app.notes.push(crate::model::Note {
                        code: NoteCode::Conflicting,
                        message: format!(
                            "the metadata says isAdminApproved {stated} but ConnectedApplication says OptionsAllowAdminApprovedUsersOnly {org}; the riskier (every user may self-authorize) is audited"
                        ),
                        at: None,
                    });
                    app.settings.admin_approved = Some(false);
                }
            }
        }
        ConfigRead::Unread(_) => {
            // What REST gives: who may authorize. The refresh-token validity period has no
            // unit in REST, so it is not turned into a policy; nothing else is known.
            app.settings.admin_approved = row.admin_approved_only;
        }
    }
    app.org = placeholder_usage(config);
    (app, known_as)
}

/// A name usable as a file stem in the reader (its API name comes from the file name, and is
/// replaced afterwards).
fn file_safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        "App".to_string()
    } else {
        cleaned
    }
}

fn element(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.push_str(&format!(
            "    <{name}>{}</{name}>\n",
            crate::inputs::xml::escape_text(v)
        ));
    }
}

fn external_client_app_of(row: &ExternalClientAppRow, source: &Source, at: Option<u32>) -> App {
    use external_client_app::PartKind;
    // One app per call: every part names the same placeholder app, in the same place.
    const KEY: &str = "OrgApp";
    let mut docs: Vec<(PartKind, String)> = Vec::new();
    let mut app_doc = String::from("<ExternalClientApplication>\n");
    element(&mut app_doc, "label", Some(&row.master_label));
    element(&mut app_doc, "distributionState", row.distribution_state.as_deref());
    app_doc.push_str("</ExternalClientApplication>\n");
    docs.push((PartKind::App, app_doc));
    if let Some(settings) = &row.oauth_settings {
        let mut doc = String::from("<ExtlClntAppOauthSettings>\n");
        element(&mut doc, "externalClientApplication", Some(KEY));
        let scopes: Vec<String> = settings.scope_columns.iter().map(|c| eca_scope_name(c)).collect();
        let scopes = scopes.join(", ");
        element(
            &mut doc,
            "commaSeparatedOauthScopes",
            Some(scopes.as_str()).filter(|s| !s.is_empty()),
        );
        doc.push_str("</ExtlClntAppOauthSettings>\n");
        docs.push((PartKind::OauthSettings, doc));
    }
    if let Some(policy) = &row.oauth_policy {
        let mut doc = String::from("<ExtlClntAppOauthConfigurablePolicies>\n");
        element(&mut doc, "externalClientApplication", Some(KEY));
        element(
            &mut doc,
            "permittedUsersPolicyType",
            policy.permitted_users_policy_type.as_deref(),
        );
        element(
            &mut doc,
            "ipRelaxationPolicyType",
            policy.ip_relaxation_policy_type.as_deref(),
        );
        element(
            &mut doc,
            "refreshTokenPolicyType",
            policy.refresh_token_policy_type.as_deref(),
        );
        let period = policy.refresh_token_validity_period.map(|p| p.to_string());
        element(&mut doc, "refreshTokenValidityPeriod", period.as_deref());
        element(
            &mut doc,
            "refreshTokenValidityUnit",
            policy.refresh_token_validity_unit.as_deref(),
        );
        let flow = policy.is_client_credentials_flow_enabled.map(|b| b.to_string());
        element(&mut doc, "isClientCredentialsFlowEnabled", flow.as_deref());
        element(
            &mut doc,
            "clientCredentialsFlowUser",
            policy.client_credentials_flow_user.as_deref(),
        );
        doc.push_str("</ExtlClntAppOauthConfigurablePolicies>\n");
        docs.push((PartKind::OauthPolicies, doc));
    }
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    for (kind, doc) in &docs {
        let path = format!("{KEY}{}-meta.xml", kind_suffix(*kind));
        match external_client_app::parse_part(&path, doc, *kind) {
            Ok(part) => parts.push(part),
            Err(e) => problems.push(e.message),
        }
    }
    let mut app = external_client_app::join(parts)
        .into_iter()
        .next()
        .unwrap_or_else(|| bare_app(&row.master_label, &row.developer_name, source, at));
    relocate(&mut app, source, at);
    app.name = row.master_label.clone();
    // The API name as metadata spells it: `ns__Name` for a packaged app.
    let api_name = match row.namespace_prefix.as_deref().filter(|n| !n.is_empty()) {
        Some(ns) => format!("{ns}__{}", row.developer_name),
        None => row.developer_name.clone(),
    };
    app.identity = AppIdentity::new(IdentityKind::ApiName, api_name);
    app.description = None;
    let unread = match (&row.oauth_settings, &row.oauth_policy) {
        (None, None) => Some("its OAuth settings and policies could not be read".to_string()),
        (None, Some(_)) => Some("its OAuth settings (scopes) could not be read".to_string()),
        (Some(s), _) if s.columns_read.is_empty() && s.scope_columns.is_empty() => {
            Some("none of its OauthScopes columns could be read".to_string())
        }
        (Some(_), None) => Some("its OAuth policies could not be read".to_string()),
        _ => None,
    };
    let config = match (unread, problems.is_empty()) {
        (None, true) => ConfigRead::Read,
        (Some(reason), _) => ConfigRead::Unread(reason),
        (None, false) => ConfigRead::Unread(format!("its settings could not be read: {}", problems.join("; "))),
    };
    if matches!(config, ConfigRead::Unread(_)) {
        // Unknown, not off: no "issues no OAuth tokens" from what was not read.
        app.settings.oauth_enabled = None;
    }
    app.org = placeholder_usage(config);
    app
}

/// The `commaSeparatedOauthScopes` spelling of an `OauthScopes*` column (`OauthScopesAPI` ->
/// `Api`, `OauthScopesCHATTER_REST_API` -> `Chatter`), so an org app lists its scopes as the
/// same app's files would. A column no spelling matches (`OauthScopesSSO`, `OauthScopesVF`)
/// keeps its own name, which the catalog also knows as an alias.
pub fn eca_scope_name(column: &str) -> String {
    let Some(bare) = column.strip_prefix("OauthScopes") else {
        return column.to_string();
    };
    let bare = bare
        .strip_suffix("_REST_API")
        .or_else(|| bare.strip_suffix("_API"))
        .unwrap_or(bare);
    let squeezed: String = bare.chars().filter(|c| *c != '_').collect();
    crate::inputs::sf_meta::EXTERNAL_CLIENT_APP_SCOPES
        .iter()
        .find(|s| s.eq_ignore_ascii_case(&squeezed))
        .map_or_else(|| column.to_string(), |s| (*s).to_string())
}

fn kind_suffix(kind: external_client_app::PartKind) -> &'static str {
    use external_client_app::PartKind;
    match kind {
        PartKind::App => ".eca",
        PartKind::OauthSettings => ".ecaOauth",
        PartKind::GlobalOauth => ".ecaGlblOauth",
        PartKind::OauthPolicies => ".ecaOauthPlcy",
        PartKind::PluginPolicies => ".ecaPlcy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IpRelaxation, RefreshTokenPolicy};

    const ORG: &str = include_str!("../../tests/fixtures/org/org.json");

    fn org() -> (Vec<App>, OrgSummary) {
        let snapshot = read_snapshot("org.json", ORG).unwrap();
        normalize(
            &snapshot,
            Origin::File {
                path: "org.json",
                text: ORG,
            },
            90,
        )
    }

    fn usage<'a>(apps: &'a [App], label: &str) -> &'a OrgUsage {
        apps.iter()
            .find(|a| a.name == label)
            .and_then(|a| a.org.as_deref())
            .unwrap_or_else(|| panic!("no org app {label}"))
    }

    #[test]
    fn tokens_join_by_menu_item_first_and_label_second() {
        let (apps, summary) = org();
        // Renamed: the token with the old label joins through its menu item, the never-used
        // one with the current label and no menu item through the label.
        let notes = usage(&apps, "Meeting Notes");
        assert_eq!((notes.tokens, notes.users, notes.stale_tokens), (2, 1, 1));
        // An External Client App's tokens have no menu item: joined by label. Three rows with
        // one user (two identical, sharing a CreatedDate) are three tokens.
        let eca = usage(&apps, "Ledger ECA");
        assert_eq!((eca.tokens, eca.users, eca.use_count), (3, 1, 15));
        assert_eq!(eca.kind, OrgAppKind::ExternalClientApp);
        // The old label without a menu item matches no installed app: uninstalled.
        let names: Vec<(&str, u64, u64)> = summary
            .uninstalled_apps
            .iter()
            .map(|u| (u.name.as_str(), u.tokens, u.users))
            .collect();
        assert_eq!(names, [("Gone Analytics", 2, 2), ("Old Meeting Notes", 1, 1)]);
        assert_eq!(summary.tokens_total, 12);
        let joined: u64 = apps.iter().filter_map(|a| a.org.as_ref()).map(|o| o.tokens).sum();
        assert_eq!(joined + 3, summary.tokens_total, "every token is counted once");
    }

    #[test]
    fn usage_counts_stale_inactive_and_privileged_tokens() {
        let (apps, summary) = org();
        let full = usage(&apps, "Full Sync");
        assert_eq!(full.tokens, 3);
        assert_eq!(full.users, 3);
        assert_eq!(full.stale_tokens, 1);
        assert_eq!(full.inactive_user_tokens, 1);
        // The System Administrator by profile, and a user by the View All Data permission set.
        assert_eq!(full.privileged_user_tokens, 2);
        assert_eq!(full.use_count, 50);
        assert_eq!(full.last_used, Stamp::parse("2026-11-20T12:00:00Z"));
        assert_eq!(full.permitted_users, Some(PermittedUsers::AllUsers));
        assert_eq!(usage(&apps, "Dormant Reports").tokens, 0);
        assert_eq!((summary.users_total, summary.users_active), (4, 3));
        assert_eq!(summary.stale_days, 90);
    }

    #[test]
    fn stale_counts_from_taken_at_and_the_threshold() {
        let snapshot = read_snapshot("org.json", ORG).unwrap();
        let (apps, _) = normalize(&snapshot, Origin::Live, 1000);
        assert_eq!(usage(&apps, "Full Sync").stale_tokens, 0);
        let (apps, _) = normalize(&snapshot, Origin::Live, 2);
        // Used three days before the pull: stale after two days.
        assert_eq!(usage(&apps, "Full Sync").stale_tokens, 3);
    }

    #[test]
    fn preauthorized_users_are_counted_once() {
        let (apps, _) = org();
        let p = &usage(&apps, "Approved Tool").preauthorized;
        assert_eq!(p.profiles, ["Standard User"]);
        assert_eq!(p.permission_sets, ["Sales_Ops"]);
        // Standard User covers users 2, 3 (inactive) and 4; Sales Ops covers user 2 again.
        assert_eq!((p.users_all, p.users_active), (3, 2));
        assert_eq!(
            usage(&apps, "Approved Tool").permitted_users,
            Some(PermittedUsers::AdminApproved)
        );
        let open = &usage(&apps, "Open Door").preauthorized;
        assert_eq!((open.permission_sets.len(), open.users_active), (1, 1));
    }

    #[test]
    fn connected_apps_read_as_their_metadata_files_are() {
        let (apps, _) = org();
        let full = apps.iter().find(|a| a.name == "Full Sync").unwrap();
        let scopes: Vec<&str> = full.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(scopes, ["Full", "RefreshToken"]);
        assert_eq!(full.settings.ip_relaxation, Some(IpRelaxation::Bypass));
        assert_eq!(full.settings.refresh_token_policy, Some(RefreshTokenPolicy::Infinite));
        assert_eq!(full.identity, AppIdentity::new(IdentityKind::ApiName, "Full_Sync"));
        assert_eq!(full.source.kind, InputKind::OrgSnapshot);
        // No position points into the metadata XML: only the row's line remains.
        assert!(full.scopes.iter().all(|s| s.at.is_none()));
        assert!(full.settings.at.is_empty());
        let line = ORG.lines().nth(full.at.unwrap().line as usize - 1).unwrap();
        assert!(line.contains("\"name\": \"Full Sync\""), "{line}");
    }

    #[test]
    fn an_unread_connected_app_keeps_what_rest_says_and_claims_nothing_else() {
        let (apps, _) = org();
        let app = apps.iter().find(|a| a.name == "Locked Box").unwrap();
        assert!(app.scopes.is_empty());
        assert_eq!(app.settings.oauth_enabled, None, "unknown, not off");
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(app.settings.ip_relaxation, None);
        match &app.org.as_ref().unwrap().config {
            ConfigRead::Unread(reason) => assert!(reason.contains("INSUFFICIENT_ACCESS"), "{reason}"),
            ConfigRead::Read => panic!("read"),
        }
        assert_eq!(usage(&apps, "Locked Box").tokens, 1);
    }

    #[test]
    fn external_client_apps_read_as_their_files_are() {
        let (apps, _) = org();
        let app = apps.iter().find(|a| a.name == "Ledger ECA").unwrap();
        let scopes: Vec<&str> = app.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(scopes, ["Api", "RefreshToken"]);
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass));
        assert_eq!(app.settings.refresh_token_policy, Some(RefreshTokenPolicy::Infinite));
        assert_eq!(app.identity.value, "Ledger_ECA");
        assert_eq!(app.settings.oauth_enabled, Some(true));
        assert!(app.notes.is_empty(), "{:?}", app.notes);
    }

    #[test]
    fn an_external_client_app_without_its_settings_is_unread_not_off() {
        let mut snapshot = read_snapshot("org.json", ORG).unwrap();
        snapshot.external_client_apps[0].oauth_settings = None;
        let (apps, _) = normalize(&snapshot, Origin::Live, 90);
        let app = apps.iter().find(|a| a.name == "Ledger ECA").unwrap();
        assert!(app.scopes.is_empty());
        assert_eq!(app.settings.oauth_enabled, None);
        assert!(matches!(app.org.as_ref().unwrap().config, ConfigRead::Unread(_)));
    }

    #[test]
    fn a_live_pull_names_the_instance_and_no_lines() {
        let snapshot = read_snapshot("org.json", ORG).unwrap();
        let (apps, summary) = normalize(&snapshot, Origin::Live, 90);
        assert!(apps.iter().all(|a| a.source.kind == InputKind::SalesforceOrg
            && a.source.path == "https://fake-org.my.salesforce.com"
            && a.at.is_none()));
        assert_eq!(summary.snapshot, None);
        let (file_apps, _) = org();
        // The same apps and usage either way: one pure function of the snapshot.
        for (live, file) in apps.iter().zip(&file_apps) {
            assert_eq!(live.org, file.org);
            assert_eq!(live.settings, file.settings);
        }
    }

    #[test]
    fn two_installed_apps_with_one_label_say_so() {
        let mut snapshot = read_snapshot("org.json", ORG).unwrap();
        snapshot.connected_apps[5].name = "Locked Box".to_string();
        let (apps, _) = normalize(&snapshot, Origin::Live, 90);
        let noted = apps
            .iter()
            .filter(|a| a.notes.iter().any(|n| n.code == NoteCode::Conflicting))
            .count();
        assert_eq!(noted, 2);
    }

    #[test]
    fn snapshots_are_strict() {
        let unknown = ORG.replacen("\"api_calls\"", "\"api_calls_made\"", 1);
        let e = read_snapshot("s.json", &unknown).unwrap_err();
        assert!(e.message.contains("unknown field `api_calls_made`"), "{e}");
        assert!(e.line.is_some() && e.column.is_some());
        let other = ORG.replacen(SNAPSHOT_KIND, "something-else", 1);
        assert!(read_snapshot("s.json", &other)
            .unwrap_err()
            .message
            .contains("not an org snapshot"));
        let newer = ORG.replacen("\"version\": 1", "\"version\": 2", 1);
        assert!(read_snapshot("s.json", &newer)
            .unwrap_err()
            .message
            .contains("newer scopeaudit"));
        let broken = &ORG[..ORG.len() / 2];
        let e = read_snapshot("s.json", broken).unwrap_err();
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn snapshots_are_told_by_their_kind() {
        assert!(looks_like_snapshot(ORG));
        assert!(looks_like_snapshot(
            "{\"kind\" :\"scopeaudit-org-snapshot\", \"version\": 1}"
        ));
        assert!(!looks_like_snapshot("{\"name\": \"scopeaudit-org-snapshot\"}"));
        assert!(!looks_like_snapshot("[\"kind\", \"scopeaudit-org-snapshot\"]"));
    }

    #[test]
    fn eca_columns_take_the_metadata_spelling() {
        for (column, name) in [
            ("OauthScopesAPI", "Api"),
            ("OauthScopesREFRESH_TOKEN", "RefreshToken"),
            ("OauthScopesCHATTER_REST_API", "Chatter"),
            ("OauthScopesCDP_CALCULATED_INSIGHT_API", "CDPCalculatedInsight"),
            ("OauthScopesFULL", "Full"),
            ("OauthScopesSSO", "OauthScopesSSO"),
            ("Unrelated", "Unrelated"),
        ] {
            assert_eq!(eca_scope_name(column), name);
        }
    }
}
