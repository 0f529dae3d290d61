//! Holding live apps against the manifests a security team approved (`--approved DIR`).
//!
//! Pure: the live apps and the approved manifests go in, the live apps come out with their
//! [`ApprovalState`] set and the approved justifications, tools and integration carried in, so
//! the rules (which know only apps, never files) can compare what is connected with what was
//! approved. Ambiguity is an error, never a guess.

use crate::model::org::{OrgAppKind, PermittedUsers};
use crate::model::{
    App, Approval, ApprovalState, ApprovedScope, IdentityKind, InputKind, IpRelaxation, MatchKey, Platform, Pos,
    RefreshTokenPolicy, Setting, TimeUnit,
};
use crate::source_file::FileError;

/// The live apps, each with its approval state, and the approved manifests that matched
/// nothing (the approval may be stale).
#[derive(Debug)]
pub struct Approved {
    pub apps: Vec<App>,
    pub unmatched: Vec<Unmatched>,
    /// How many approved manifests were matched against.
    pub manifests: usize,
}

impl Approved {
    /// The folder as the report states it, `directory` as the user gave it.
    pub fn folder(self, directory: &std::path::Path) -> (Vec<App>, ApprovedFolder) {
        let folder = ApprovedFolder {
            directory: directory.display().to_string(),
            manifests: self.manifests,
            unmatched: self.unmatched,
        };
        (self.apps, folder)
    }
}

/// Whether an app is one an approval speaks about: an app read from an org, or a Connected
/// App / External Client App / HubSpot app configuration. Declared manifests, scope lists and
/// authorize URLs are left as they are.
pub fn is_live(app: &App) -> bool {
    app.org.is_some()
        || matches!(
            app.source.kind,
            InputKind::ConnectedApp
                | InputKind::ExternalClientApp
                | InputKind::HubspotPublicApp
                | InputKind::HubspotPrivateApp
                | InputKind::HubspotProjectApp
                | InputKind::SalesforceOrg
                | InputKind::OrgSnapshot
        )
}

/// The keys a live app can be matched by, most stable first; the label always last.
pub fn keys_of(app: &App) -> Vec<(MatchKey, String)> {
    let mut keys = Vec::new();
    if let Some(org) = app.org.as_deref() {
        let key = match org.kind {
            OrgAppKind::ConnectedApp => MatchKey::ConnectedApp,
            OrgAppKind::ExternalClientApp => MatchKey::ExternalClientApp,
        };
        keys.push((key, org.api_name.clone()));
    } else if app.identity.kind == IdentityKind::ApiName {
        match app.source.kind {
            InputKind::ConnectedApp => keys.push((MatchKey::ConnectedApp, app.identity.value.clone())),
            InputKind::ExternalClientApp => keys.push((MatchKey::ExternalClientApp, app.identity.value.clone())),
            _ => {}
        }
    }
    // The OAuth client id (public; never the secret), when the app's metadata states it.
    if let Some(key) = app.consumer_key.as_deref().filter(|k| !k.trim().is_empty()) {
        if app.platform == Platform::Salesforce {
            keys.push((MatchKey::ConsumerKey, key.to_string()));
        }
    }
    if app.identity.kind == IdentityKind::HubspotUid {
        keys.push((MatchKey::HubspotUid, app.identity.value.clone()));
    }
    keys.push((MatchKey::Label, app.name.clone()));
    keys
}

/// Why an approved manifest that matched nothing did not match, for `approval-unmatched`
/// (`{approval:reason}`). A HubSpot manifest whose only HubSpot key is a numeric
/// `hubspot_app_id` can match no app: HubSpot assigns that id when the project is uploaded, and
/// no app file (`app-hsmeta.json`, `public-app.json`, `app.json`) carries it; the files name
/// the app by its project `uid`. Anything else may be a stale approval.
/// `unread_keys` is how many audited apps the manifest's platform has whose consumer key could
/// not be read (the org refused their metadata): a manifest named by `consumer_key` may be one
/// of them.
pub fn unmatched_reason(manifest: &App, unread_keys: usize) -> String {
    let numeric = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    let hubspot: Vec<&crate::model::AppMatch> = manifest
        .matches
        .iter()
        .filter(|m| matches!(m.key, MatchKey::HubspotAppId | MatchKey::HubspotUid))
        .collect();
    let only_numeric_ids = manifest.platform == Platform::Hubspot
        && hubspot
            .iter()
            .all(|m| m.key == MatchKey::HubspotAppId && numeric(m.value.trim()));
    match hubspot.first() {
        Some(m) if only_numeric_ids => format!(
            "its `hubspot_app_id` `{}` is a number, and HubSpot's numeric app id is in none of the app's files (HubSpot assigns it on upload), so it can match no app; name the app by its project `uid` instead",
            crate::untrusted::capped(m.value.trim(), 40)
        ),
        _ if unread_keys > 0 && manifest.matches.iter().any(|m| m.key == MatchKey::ConsumerKey) => format!(
            "its `consumer_key` matches no app whose key was read, and the org did not let the audit read the metadata of {}, so it may be one of them; name the app by `salesforce_api_name` as well",
            if unread_keys == 1 {
                "1 app".to_string()
            } else {
                format!("{unread_keys} apps")
            }
        ),
        _ => "the approval may be stale".to_string(),
    }
}

/// An approved manifest that matched no audited app, and why it may not have.
#[derive(Debug, Clone)]
pub struct Unmatched {
    pub manifest: App,
    pub reason: String,
}

/// How a manifest names the app it approves: its `match:` block, or its label when it has none.
/// Each with where the manifest says it (the `match:` line, or the `app:` line for the label).
fn wanted(manifest: &App) -> Vec<(MatchKey, &str, Option<Pos>)> {
    if manifest.matches.is_empty() {
        vec![(MatchKey::Label, manifest.name.as_str(), manifest.at)]
    } else {
        manifest
            .matches
            .iter()
            .map(|m| (m.key, m.value.as_str(), m.at))
            .collect()
    }
}

/// The key `manifest` matches `app` by, if it does.
fn match_key(manifest: &App, app: &App) -> Option<MatchKey> {
    if manifest.platform != app.platform {
        return None;
    }
    let have = keys_of(app);
    // Keys match exactly (SPEC section 2); only the last-resort label ignores case.
    wanted(manifest).into_iter().find_map(|(key, value, _)| {
        have.iter()
            .any(|(k, v)| key.covers(*k) && same_value(key, v, value))
            .then_some(key)
    })
}

/// An error about a manifest, at `at` when its line is known.
fn error_at(manifest: &App, at: Option<Pos>, message: String) -> FileError {
    match at {
        Some(at) => FileError::at(manifest.source.path.clone(), at.line as usize, None, message),
        None => FileError::new(manifest.source.path.clone(), message),
    }
}

fn manifest_error(manifest: &App, message: String) -> FileError {
    error_at(manifest, manifest.at, message)
}

fn describe(app: &App) -> String {
    format!("`{}` ({})", app.name, app.source.path)
}

/// Matches every live app against the approved manifests. `canonical` gives a scope's
/// catalog id on a platform (or the name itself when no catalog knows it), so scopes compare
/// by what they grant, not by spelling.
pub fn approve(
    apps: Vec<App>,
    approved: Vec<App>,
    canonical: &dyn Fn(Platform, &str) -> String,
) -> Result<Approved, Vec<FileError>> {
    let mut errors = Vec::new();
    // For each live app, the manifests that match it (index, key).
    let mut by_app: Vec<Vec<(usize, MatchKey)>> = vec![Vec::new(); apps.len()];
    let mut matched = vec![false; approved.len()];
    for (m, manifest) in approved.iter().enumerate() {
        let hits: Vec<(usize, MatchKey)> = apps
            .iter()
            .enumerate()
            .filter(|(_, app)| is_live(app))
            .filter_map(|(i, app)| match_key(manifest, app).map(|k| (i, k)))
            .collect();
        if hits.len() > 1 {
            let names: Vec<String> = hits.iter().map(|(i, _)| describe(&apps[*i])).collect();
            errors.push(manifest_error(
                manifest,
                format!(
                    "approved manifest `{}` matches more than one app: {}; name one app in its `match:` block",
                    manifest.name,
                    names.join(" and ")
                ),
            ));
        }
        matched[m] = !hits.is_empty();
        for (i, key) in hits {
            by_app[i].push((m, key));
        }
    }
    for (i, hits) in by_app.iter().enumerate() {
        if hits.len() > 1 {
            let names: Vec<String> = hits.iter().map(|(m, _)| approved[*m].source.path.clone()).collect();
            errors.push(manifest_error(
                &approved[hits[0].0],
                format!(
                    "app {} is matched by more than one approved manifest: {}; keep one",
                    describe(&apps[i]),
                    names.join(" and ")
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let manifests = approved.len();
    let mut out = Vec::with_capacity(apps.len());
    for (mut app, hits) in apps.into_iter().zip(by_app) {
        if let Some((m, key)) = hits.first() {
            carry_in(&mut app, &approved[*m], *key, canonical);
        } else if is_live(&app) {
            app.approval = ApprovalState::Unapproved;
        }
        out.push(app);
    }
    // Apps whose metadata the org refused have no consumer key to match.
    let unread_keys = |platform: Platform| {
        out.iter()
            .filter(|a| {
                a.platform == platform
                    && a.org
                        .as_deref()
                        .is_some_and(|o| matches!(o.config, crate::model::org::ConfigRead::Unread(_)))
            })
            .count()
    };
    let unmatched = approved
        .into_iter()
        .zip(matched)
        .filter_map(|(manifest, hit)| {
            (!hit).then(|| Unmatched {
                reason: unmatched_reason(&manifest, unread_keys(manifest.platform)),
                manifest,
            })
        })
        .collect();
    Ok(Approved {
        apps: out,
        unmatched,
        manifests,
    })
}

/// Sets the approval on `app` and carries the manifest's justifications, tools and integration
/// into it, where the live app says nothing of its own. What is carried in points at the
/// manifest (added to the app's source files).
fn carry_in(app: &mut App, manifest: &App, key: MatchKey, canonical: &dyn Fn(Platform, &str) -> String) {
    let platform = app.platform;
    let file = u16::try_from(app.source.files.len()).unwrap_or(u16::MAX);
    app.source.files.push(manifest.source.path.clone());
    let remap = |at: Option<Pos>| at.map(|p| Pos { file, line: p.line });
    let approved: Vec<(String, Option<String>)> = manifest
        .scopes
        .iter()
        .map(|s| (canonical(platform, &s.name), s.justification.clone()))
        .collect();
    for scope in &mut app.scopes {
        if scope.justification.is_some() {
            continue;
        }
        let id = canonical(platform, &scope.name);
        scope.justification = approved
            .iter()
            .find(|(a, j)| *a == id && j.is_some())
            .and_then(|(_, j)| j.clone());
    }
    if app.tools.is_empty() && !manifest.tools.is_empty() {
        app.tools = manifest
            .tools
            .iter()
            .cloned()
            .map(|mut t| {
                t.at = remap(t.at);
                t
            })
            .collect();
        app.tools_at = remap(manifest.tools_at);
    }
    let live = &mut app.integration;
    let declared = &manifest.integration;
    let mut carried = false;
    if live.delegation.is_none() && declared.delegation.is_some() {
        live.delegation = declared.delegation;
        carried = true;
    }
    if live.flows.is_empty() && !declared.flows.is_empty() {
        live.flows = declared.flows.clone();
        live.flows_at = remap(declared.flows_at);
        carried = true;
    }
    if live.token_storage.is_none() {
        live.token_storage = declared.token_storage.clone();
    }
    live.sign_in |= declared.sign_in;
    live.identifies_users |= declared.identifies_users;
    if carried && app.integration_at.is_none() {
        app.integration_at = remap(manifest.integration_at);
    }
    app.approval = ApprovalState::Approved(Box::new(Approval {
        manifest: manifest.source.path.clone(),
        manifest_line: manifest.at.map(|p| p.line),
        matched_by: key,
        scopes: approved
            .into_iter()
            .map(|(id, justification)| ApprovedScope { id, justification })
            .collect(),
        settings: manifest.settings.clone(),
    }));
}

fn ip_rank(v: IpRelaxation) -> u8 {
    match v {
        IpRelaxation::Enforce => 0,
        IpRelaxation::EnforceRelaxRefresh => 1,
        IpRelaxation::Bypass2Factor => 2,
        IpRelaxation::Bypass => 3,
    }
}

/// A refresh-token policy as (rank, hours): never kept < expires < infinite; among policies
/// that expire, a longer period is weaker.
fn refresh_rank(p: RefreshTokenPolicy) -> (u8, u64) {
    let hours = |n: u32, unit: TimeUnit| {
        u64::from(n)
            * match unit {
                TimeUnit::Hours => 1,
                TimeUnit::Days => 24,
                TimeUnit::Months => 730,
            }
    };
    match p {
        RefreshTokenPolicy::Zero => (0, 0),
        RefreshTokenPolicy::SpecificLifetime(n, u) | RefreshTokenPolicy::SpecificInactivity(n, u) => (1, hours(n, u)),
        RefreshTokenPolicy::Infinite => (2, 0),
    }
}

/// The app's policies that are weaker than its approval states, one phrase each. Only what the
/// approved manifest states is compared, and only against what the live app states (a policy
/// the org did not let the audit read is not guessed).
pub fn weaker(app: &App, approval: &Approval) -> Vec<String> {
    weakened(app, approval).into_iter().map(|(_, phrase)| phrase).collect()
}

/// [`weaker`], each phrase with the setting it is about (findings point at its line).
pub fn weakened(app: &App, approval: &Approval) -> Vec<(Setting, String)> {
    let (live, approved) = (&app.settings, &approval.settings);
    let mut out = Vec::new();
    if let (Some(a), Some(l)) = (approved.ip_relaxation, live.ip_relaxation) {
        if ip_rank(l) > ip_rank(a) {
            out.push((
                Setting::IpRelaxation,
                format!("IP relaxation is `{}`, approved `{}`", l.as_str(), a.as_str()),
            ));
        }
    }
    if let (Some(a), Some(l)) = (approved.refresh_token_policy, live.refresh_token_policy) {
        if refresh_rank(l) > refresh_rank(a) {
            out.push((
                Setting::RefreshTokenPolicy,
                format!("refresh-token policy is `{l}`, approved `{a}`"),
            ));
        }
    }
    let live_admin = live.admin_approved.or_else(|| {
        app.org
            .as_deref()
            .and_then(|o| o.permitted_users)
            .map(|p| p == PermittedUsers::AdminApproved)
    });
    if approved.admin_approved == Some(true) && live_admin == Some(false) {
        out.push((
            Setting::AdminApproved,
            "any user may authorize it, approved for admin-approved users only".to_string(),
        ));
    }
    if live.client_credentials_enabled == Some(true) && approved.client_credentials_enabled != Some(true) {
        out.push((
            Setting::ClientCredentialsEnabled,
            "the client credentials flow is enabled, which the approval does not allow".to_string(),
        ));
    }
    out
}

/// Reads every approved manifest in `dir`. Anything that cannot be read, or that is not a
/// native manifest, is an error naming the file: an approval is never silently skipped.
pub fn load_approved(dir: &std::path::Path) -> Result<Vec<App>, Vec<FileError>> {
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(vec![FileError::new(
            shown,
            "--approved needs a directory of approved manifests",
        )]);
    }
    let inputs = crate::inputs::load_paths(std::slice::from_ref(&shown));
    let mut errors = inputs.named_errors;
    errors.extend(inputs.walk_errors);
    for app in &inputs.apps {
        if app.source.kind != InputKind::Manifest {
            errors.push(FileError::new(
                app.source.path.clone(),
                format!(
                    "not an approved manifest (read as {}): the --approved directory holds native manifests only",
                    app.source.kind.as_str()
                ),
            ));
        }
    }
    if errors.is_empty() {
        errors = named_twice(&inputs.apps);
    }
    if errors.is_empty() {
        Ok(inputs.apps)
    } else {
        Err(errors)
    }
}

/// Whether two `match:` values are the same: exactly, but for the label, which ignores case.
fn same_value(key: MatchKey, a: &str, b: &str) -> bool {
    if key == MatchKey::Label {
        a.trim().eq_ignore_ascii_case(b.trim())
    } else {
        a.trim() == b.trim()
    }
}

/// Two manifests that name an app by the same key and value would both match it, whatever the
/// org holds: an error the folder alone shows, so `org salesforce` reports it before any API
/// call. (Manifests naming one app by different keys are found when the apps are matched.)
fn named_twice(approved: &[App]) -> Vec<FileError> {
    let mut errors = Vec::new();
    for (i, first) in approved.iter().enumerate() {
        let keys = wanted(first);
        for second in &approved[i + 1..] {
            if first.platform != second.platform {
                continue;
            }
            for (key, value, at) in wanted(second) {
                let clash = keys
                    .iter()
                    .any(|(k, v, _)| (k.covers(key) || key.covers(*k)) && same_value(key, v, value));
                if clash {
                    let message = format!(
                        "approved manifests {} and {} both match the app `{}: {}`: one app would have more than one approved manifest; keep one",
                        first.source.path,
                        second.source.path,
                        key.as_str(),
                        value.trim()
                    );
                    errors.push(error_at(second, at, message));
                    break;
                }
            }
        }
    }
    errors
}

/// `--approved DIR` for any command: reads the approved manifests and matches `apps` against
/// them, scopes compared by their ids in `catalogs`.
pub fn apply(
    dir: &std::path::Path,
    apps: Vec<App>,
    catalogs: &crate::catalog::Catalogs,
) -> Result<Approved, Vec<FileError>> {
    let approved = load_approved(dir)?;
    // A directory audited with its approved folder inside it (`audit . --approved approved/`)
    // read the approvals as declared apps too: they are the approvals, not apps to audit twice.
    let files: std::collections::HashSet<std::path::PathBuf> = approved
        .iter()
        .filter_map(|m| std::fs::canonicalize(&m.source.path).ok())
        .collect();
    let apps = apps
        .into_iter()
        .filter(|app| {
            app.source.kind != InputKind::Manifest
                || !std::fs::canonicalize(&app.source.path).is_ok_and(|p| files.contains(&p))
        })
        .collect();
    approve_in(apps, approved, catalogs)
}

/// [`approve`] with scopes compared by their ids in `catalogs`, for manifests already read
/// with [`load_approved`].
pub fn approve_in(
    apps: Vec<App>,
    approved: Vec<App>,
    catalogs: &crate::catalog::Catalogs,
) -> Result<Approved, Vec<FileError>> {
    approve(apps, approved, &|platform, name| {
        catalogs
            .get(platform)
            .resolve(name)
            .map_or_else(|| name.to_string(), |e| e.id.clone())
    })
}

/// The approved folder an audit was held against (`--approved DIR`), as the report states it.
#[derive(Debug, Clone, Default)]
pub struct ApprovedFolder {
    /// The directory as the user gave it.
    pub directory: String,
    /// How many approved manifests it holds.
    pub manifests: usize,
    /// The manifests that matched no audited app: each is an `approval-unmatched` finding.
    pub unmatched: Vec<Unmatched>,
}

/// Where the live app stands on one scope that the approval or the app names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveScope {
    /// The app requests it (as written).
    Requested(String),
    /// The app does not request it, but a broader scope it requests (as written) grants it.
    Implied(String),
    /// The app neither requests it nor reaches it through another scope.
    NotRequested,
    /// The org did not let the audit read the app's scopes.
    Unknown,
}

/// One scope, approved and live side by side, compared by catalog id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSide {
    /// The catalog id (the name as written when no catalog knows it).
    pub scope: String,
    pub approved: bool,
    pub live: LiveScope,
}

impl ScopeSide {
    /// A scope the app requests that the approval does not grant (`exceeds-approval`).
    pub fn beyond(&self) -> bool {
        !self.approved && matches!(self.live, LiveScope::Requested(_))
    }

    /// An approved scope the app no longer reaches (`approved-scope-unrequested`).
    pub fn unrequested(&self) -> bool {
        self.approved && self.live == LiveScope::NotRequested
    }
}

/// Every scope of the approval and of the live app, approved ones first in the approval's
/// order, then the rest in the app's: one comparison for the rules and every report.
/// `scopes` is the analysis of `app.scopes` (each with its catalog id, when known).
pub fn compare_scopes(
    app: &App,
    approval: &Approval,
    scopes: &[crate::analysis::ScopeAnalysis],
    catalog: &crate::catalog::Catalog,
) -> Vec<ScopeSide> {
    // (id, as written), first request of each id only.
    let mut requested: Vec<(String, &str)> = Vec::new();
    for s in scopes {
        let Some(written) = app.scopes.get(s.index).map(|r| r.name.as_str()) else {
            continue;
        };
        let id = s.canonical.clone().unwrap_or_else(|| written.to_string());
        if !requested.iter().any(|(r, _)| *r == id) {
            requested.push((id, written));
        }
    }
    let unread = app
        .org
        .as_deref()
        .is_some_and(|o| matches!(o.config, crate::model::org::ConfigRead::Unread(_)));
    let live = |id: &str| -> LiveScope {
        if unread {
            return LiveScope::Unknown;
        }
        if let Some((_, written)) = requested.iter().find(|(r, _)| r == id) {
            return LiveScope::Requested((*written).to_string());
        }
        requested
            .iter()
            .find(|(r, _)| catalog.covers(r, id))
            .map_or(LiveScope::NotRequested, |(_, written)| {
                LiveScope::Implied((*written).to_string())
            })
    };
    let mut out: Vec<ScopeSide> = Vec::new();
    for approved in &approval.scopes {
        if out.iter().any(|s| s.scope == approved.id) {
            continue;
        }
        out.push(ScopeSide {
            scope: approved.id.clone(),
            approved: true,
            live: live(&approved.id),
        });
    }
    for (id, written) in &requested {
        if !approval.grants(id) {
            out.push(ScopeSide {
                scope: id.clone(),
                approved: false,
                live: LiveScope::Requested((*written).to_string()),
            });
        }
    }
    out
}

/// Where an app stands against the approved folder, as the report's approval column says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Standing {
    /// Matched, and asks for nothing beyond its approval.
    Approved,
    /// Matched, but requests scopes beyond its approval or has a weaker policy.
    ExceedsApproval,
    /// No approved manifest matches it.
    Unapproved,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The words the human reports use.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Approved => "approved",
            Standing::ExceedsApproval => "exceeds approval",
            Standing::Unapproved => "unapproved",
        }
    }

    /// The standing of a matched app, given its scope comparison and whether any of its
    /// policies is weaker than approved ([`weakened`]).
    pub fn of(sides: &[ScopeSide], weaker_policy: bool) -> Standing {
        if weaker_policy || sides.iter().any(ScopeSide::beyond) {
            Standing::ExceedsApproval
        } else {
            Standing::Approved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppMatch, RefreshTokenPolicy as R, TimeUnit as U};

    fn app(name: &str, kind: InputKind, api_name: &str) -> App {
        let mut app = crate::inputs::scope_list("api", Platform::Salesforce).unwrap();
        app.name = name.to_string();
        app.source = crate::model::Source::single(format!("{api_name}.connectedApp-meta.xml"), kind);
        app.identity = crate::model::AppIdentity::new(IdentityKind::ApiName, api_name);
        app
    }

    fn manifest(name: &str, key: Option<(MatchKey, &str)>) -> App {
        let mut m = app(name, InputKind::Manifest, "unused");
        m.source = crate::model::Source::single(format!("{name}.yaml"), InputKind::Manifest);
        m.identity = crate::model::AppIdentity::new(IdentityKind::Label, name);
        m.matches = key
            .map(|(key, value)| AppMatch {
                key,
                value: value.to_string(),
                at: None,
            })
            .into_iter()
            .collect();
        m
    }

    fn same(_: Platform, name: &str) -> String {
        name.to_string()
    }

    #[test]
    fn the_api_name_wins_and_the_label_is_the_last_resort() {
        let live = vec![
            app("Ledger", InputKind::ConnectedApp, "Ledger_Sync"),
            app("Notes", InputKind::ConnectedApp, "Notes"),
        ];
        let approved = vec![
            manifest("Anything", Some((MatchKey::ConnectedApp, "Ledger_Sync"))),
            manifest("notes", None),
            manifest("Gone", Some((MatchKey::ConnectedApp, "Gone"))),
        ];
        let out = approve(live, approved, &same).unwrap();
        let by: Vec<Option<MatchKey>> = out
            .apps
            .iter()
            .map(|a| match &a.approval {
                ApprovalState::Approved(a) => Some(a.matched_by),
                _ => None,
            })
            .collect();
        assert_eq!(by, vec![Some(MatchKey::ConnectedApp), Some(MatchKey::Label)]);
        assert_eq!(out.unmatched.len(), 1);
        assert_eq!(out.unmatched[0].manifest.name, "Gone");
        assert_eq!(out.unmatched[0].reason, "the approval may be stale");
    }

    #[test]
    fn an_external_client_app_key_does_not_match_a_connected_app() {
        let live = vec![app("Ledger", InputKind::ConnectedApp, "Ledger")];
        let approved = vec![manifest("X", Some((MatchKey::ExternalClientApp, "Ledger")))];
        let out = approve(live, approved, &same).unwrap();
        assert_eq!(out.apps[0].approval, ApprovalState::Unapproved);
    }

    #[test]
    fn declared_manifests_are_not_held_against_approvals() {
        let live = vec![manifest("Ledger", None)];
        let out = approve(live, vec![manifest("Ledger", None)], &same).unwrap();
        assert_eq!(out.apps[0].approval, ApprovalState::NotChecked);
    }

    #[test]
    fn the_folder_alone_shows_two_manifests_naming_one_app_by_one_key() {
        let clash = |a: App, b: App| named_twice(&[a, b]).len();
        let broad = manifest("A", Some((MatchKey::SalesforceApiName, "Ledger")));
        assert_eq!(
            clash(broad.clone(), manifest("B", Some((MatchKey::ConnectedApp, "Ledger")))),
            1
        );
        assert_eq!(clash(broad, manifest("B", Some((MatchKey::ConnectedApp, "ledger")))), 0);
        let ca = manifest("A", Some((MatchKey::ConnectedApp, "Ledger")));
        assert_eq!(
            clash(ca.clone(), manifest("B", Some((MatchKey::ExternalClientApp, "Ledger")))),
            0
        );
        // By different keys only the org can tell; by label, case does not matter.
        assert_eq!(clash(ca, manifest("Ledger", None)), 0);
        assert_eq!(clash(manifest("Ledger", None), manifest("LEDGER", None)), 1);
    }

    #[test]
    fn refresh_token_policies_order_from_strict_to_loose() {
        let order = [
            R::Zero,
            R::SpecificInactivity(1, U::Hours),
            R::SpecificLifetime(30, U::Days),
            R::SpecificInactivity(2, U::Months),
            R::Infinite,
        ];
        for pair in order.windows(2) {
            assert!(refresh_rank(pair[0]) < refresh_rank(pair[1]), "{:?}", pair);
        }
    }
}
