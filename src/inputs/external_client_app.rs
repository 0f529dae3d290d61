//! Salesforce External Client App metadata: the `.eca`, `.ecaOauth`, `.ecaGlblOauth`,
//! `.ecaOauthPlcy` and `.ecaPlcy` files of one app (each `-meta.xml` in source format), joined
//! into one `App` (SPEC section 2). Policy values use the PascalCase spelling
//! (`Bypass_2factor`, `SpecificInactivity`).
//!
//! The `.ecaPlcy` file (`ExtlClntAppConfigurablePolicies`, API 60+) switches the app and its
//! plugins on and off: with `isEnabled` or `isOauthPluginEnabled` false the app issues no OAuth
//! tokens, which is audited as OAuth being off (`oauth_enabled` false), at that line.
//!
//! Files join only when they name the same app *and* sit in the same place (see [`AppKey`]),
//! so a file in an unrelated directory cannot stand in for a vendor's own. Where one app has
//! two files of one kind, or a file states one setting twice, each is a note and the riskier
//! reading is audited (see [`sf_meta::Risk`]).

use super::sf_meta::{self, Reading};
use super::xml::{self, Element};
use crate::model::{
    App, AppIdentity, Flow, IdentityKind, InputKind, Integration, IpRelaxation, Note, NoteCode, Platform, Pos,
    RefreshTokenPolicy, Setting, Source, TimeUnit,
};
use crate::source_file::FileError;
use std::collections::HashMap;
use std::fmt;
use strum::VariantArray as _;

/// The folders Salesforce DX and the Metadata API put each file type in, one per type, side
/// by side in a package directory.
const TYPE_FOLDERS: [&str; 5] = [
    "externalClientApps",
    "extlClntAppOauthSettings",
    "extlClntAppGlobalOauthSets",
    "extlClntAppOauthPolicies",
    "extlClntAppPolicies",
];

/// The five file types of an External Client App, in the order an app's files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray)]
pub enum PartKind {
    App,
    OauthSettings,
    GlobalOauth,
    OauthPolicies,
    /// `ExtlClntAppConfigurablePolicies`: which plugins (OAuth, SAML, ...) are switched on.
    PluginPolicies,
}

impl PartKind {
    fn suffix(self) -> &'static str {
        match self {
            PartKind::App => ".eca",
            PartKind::OauthSettings => ".ecaOauth",
            PartKind::GlobalOauth => ".ecaGlblOauth",
            PartKind::OauthPolicies => ".ecaOauthPlcy",
            PartKind::PluginPolicies => ".ecaPlcy",
        }
    }

    fn root(self) -> &'static str {
        match self {
            PartKind::App => "ExternalClientApplication",
            PartKind::OauthSettings => "ExtlClntAppOauthSettings",
            PartKind::GlobalOauth => "ExtlClntAppGlobalOauthSettings",
            PartKind::OauthPolicies => "ExtlClntAppOauthConfigurablePolicies",
            PartKind::PluginPolicies => "ExtlClntAppConfigurablePolicies",
        }
    }

    /// The elements each file type may hold.
    fn fields(self) -> &'static [&'static str] {
        match self {
            PartKind::App => &[
                "contactEmail",
                "contactPhone",
                "description",
                "distributionState",
                "iconUrl",
                "infoUrl",
                "isProtected",
                "label",
                "logoUrl",
                "managedType",
                "orgScopedExternalApp",
            ],
            PartKind::OauthSettings => &[
                "commaSeparatedOauthScopes",
                "customAttributes",
                "externalClientApplication",
                "isFirstPartyAppEnabled",
                "label",
                "oauthLink",
                "singleLogoutUrl",
                "trustedIpRanges",
                "clientAssertionCertificate",
                "assetTokenConfig",
            ],
            PartKind::GlobalOauth => &[
                "callbackUrl",
                "certificate",
                "consumerKey",
                "consumerSecret",
                "externalClientApplication",
                "idTokenConfig",
                "isClientCredentialsFlowEnabled",
                "isCodeCredFlowEnabled",
                "isCodeCredPostOnly",
                "isConsumerSecretOptional",
                "isDeviceFlowEnabled",
                "isIntrospectAllTokens",
                "isNamedUserJwtEnabled",
                "isPkceRequired",
                "isRefreshTokenRotationEnabled",
                "isSecretRequiredForRefreshToken",
                "isSecretRequiredForTokenExchange",
                "isTokenExchangeEnabled",
                "label",
                "shouldRotateConsumerKey",
                "shouldRotateConsumerSecret",
            ],
            PartKind::OauthPolicies => &[
                "apexHandler",
                "clientCredentialsFlowUser",
                "commaSeparatedCustomScopes",
                "commaSeparatedPermissionSet",
                "commaSeparatedProfile",
                "customAttributes",
                "executeHandlerAs",
                "externalClientApplication",
                "guestJwtSessionTimeoutType",
                "guestJwtTimeout",
                "ipRelaxationPolicyType",
                "isClientCredentialsFlowEnabled",
                "isGuestCodeCredFlowEnabled",
                "isNamedUserJwtEnabled",
                "isTokenExchangeFlowEnabled",
                "label",
                "namedUserJwtSessionTimeoutType",
                "namedUserJwtTimeout",
                "permittedUsersPolicyType",
                "policyAction",
                "refreshTokenPolicyType",
                "refreshTokenValidityPeriod",
                "refreshTokenValidityUnit",
                "requiredSessionLevel",
                "sessionTimeoutInMinutes",
                "singleLogoutUrl",
                "startUrl",
            ],
            // The Metadata API guide's full list (API 67.0): plugins added in 63.0 and 66.0.
            PartKind::PluginPolicies => &[
                "externalClientApplication",
                "isCanvasPluginEnabled",
                "isEnabled",
                "isMobilePluginEnabled",
                "isNotificationPluginEnabled",
                "isOauthPluginEnabled",
                "isPushPluginEnabled",
                "isSamlPluginEnabled",
                "label",
                "startPage",
                "startUrl",
            ],
        }
    }

    /// The file type a field belongs in, for a field found in the wrong file.
    fn home_of(field: &str) -> Option<PartKind> {
        PartKind::VARIANTS.iter().copied().find(|k| k.fields().contains(&field))
    }
}

/// The file type of a name, if it is one of an External Client App's files.
pub fn part_kind(file_name: &str) -> Option<PartKind> {
    // In any case: case-insensitive file systems and zip tools change it.
    let name = file_name.to_ascii_lowercase();
    let stem = name.strip_suffix("-meta.xml").unwrap_or(&name);
    PartKind::VARIANTS
        .iter()
        .copied()
        .find(|k| stem.ends_with(&k.suffix().to_ascii_lowercase()))
}

/// Which app a file belongs to: the app's API name and the place the file sits in. Files
/// join into one app only when both match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppKey {
    /// The app's API name: the `.eca` file's name, or the `externalClientApplication` the
    /// other files name. (First, so that comparing keys of different apps stops early.)
    pub name: String,
    /// The package directory: the parent of the type folder (`externalClientApps`,
    /// `extlClntAppOauthPolicies`, ...) the file is in, or else the file's own directory
    /// (a retrieved or hand-made folder holds the files side by side). `.` for none.
    pub place: String,
}

impl fmt::Display for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` in `{}`", self.name, self.place)
    }
}

/// The place of a file, from the path it is shown as: separators and `.` segments are
/// normalised, so `./a/b` and `a//b` are one place.
pub fn place_of(path: &str) -> String {
    let absolute = path.starts_with(std::path::is_separator);
    let mut dirs: Vec<&str> = path
        .split(std::path::is_separator)
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    dirs.pop();
    if dirs.last().is_some_and(|d| TYPE_FOLDERS.contains(d)) {
        dirs.pop();
    }
    let joined = dirs.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// One parsed file, waiting to be joined with the other files of its app.
#[derive(Debug)]
pub struct Part {
    pub kind: PartKind,
    pub path: String,
    /// The app this file belongs to (its name and place; see [`AppKey`]).
    pub app_name: AppKey,
    root: Element,
    notes: Vec<Note>,
}

fn file_stem(path: &str, kind: PartKind) -> String {
    let file = crate::source_file::file_name(path);
    let stem = file.strip_suffix("-meta.xml").unwrap_or(file);
    stem.strip_suffix(kind.suffix()).unwrap_or(stem).to_string()
}

/// Parses one file of an External Client App.
pub fn parse_part(path: &str, text: &str, kind: PartKind) -> Result<Part, FileError> {
    let root = xml::parse(path, text)?;
    if root.name != kind.root() {
        // A file named for one part may hold another; the root element decides.
        let Some(actual) = PartKind::VARIANTS.iter().copied().find(|k| k.root() == root.name) else {
            return Err(FileError::at(
                path,
                root.line as usize,
                None,
                format!(
                    "not External Client App metadata: the root element is <{}>, not <{}>",
                    root.name,
                    kind.root()
                ),
            ));
        };
        return parse_part(path, text, actual).map(|mut p| {
            p.notes.push(Note {
                code: NoteCode::Misplaced,
                message: format!(
                    "file name says {} but it holds <{}>; read by its content",
                    kind.suffix(),
                    actual.root()
                ),
                at: Some(Pos::line(root.line)),
            });
            p
        });
    }
    let mut notes = Vec::new();
    let app_name = match kind {
        PartKind::App => file_stem(path, kind),
        _ => match root.child("externalClientApplication").and_then(Element::value) {
            Some(name) => name.to_string(),
            None => {
                let stem = file_stem(path, kind);
                // `LedgerSync_oauth.ecaOauth` is the usual name of LedgerSync's file.
                let guess = stem.rsplit_once('_').map_or(stem.as_str(), |(app, _)| app).to_string();
                notes.push(Note {
                    code: NoteCode::Missing,
                    message: format!(
                        "no <externalClientApplication> names the app this file belongs to; joined to `{guess}` by its file name"
                    ),
                    at: Some(Pos::line(root.line)),
                });
                guess
            }
        },
    };
    Ok(Part {
        kind,
        path: path.to_string(),
        app_name: AppKey {
            place: place_of(path),
            name: app_name,
        },
        root,
        notes,
    })
}

/// The External Client App elements; the ones Connected Apps share are in `sf_meta`.
impl Reading {
    fn names(&mut self, e: &Element, what: &str, setting: Setting) {
        let Some(text) = e.value() else { return };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let list = if setting == Setting::PreauthorizedProfiles {
                &mut self.settings.preauthorized_profiles
            } else {
                &mut self.settings.preauthorized_permission_sets
            };
            sf_meta::add_name(list, name.to_string(), what, e.line, &mut self.notes);
        }
        self.set_at(setting, e.line);
    }

    /// One field, wherever it was found (a field in the wrong file is noted by the caller).
    fn eca_field(&mut self, e: &Element, policy: &mut RefreshParts, switches: &mut Switches) {
        let line = e.line;
        if self.common_field(e) {
            return;
        }
        if let Some(slot) = switches.slot(&e.name) {
            if let Some(on) = self.notes.flag(e) {
                let pos = self.notes.pos(line);
                // Two files disagree: the app is audited as on, the riskier reading.
                if slot.is_none_or(|(held, _)| on && !held) {
                    *slot = Some((on, pos));
                }
            }
            return;
        }
        match e.name.as_str() {
            "commaSeparatedOauthScopes" => {
                if e.value().is_none() {
                    self.notes.add(line, NoteCode::EmptyValue, "<commaSeparatedOauthScopes> is empty");
                }
                sf_meta::scopes_from(&e.text, line, true, &mut self.notes, &mut self.scopes);
            }
            "trustedIpRanges" => self.ip_range(
                e,
                "startIpAddress",
                "endIpAddress",
                "<trustedIpRanges> without addresses ignored",
            ),
            "isClientCredentialsFlowEnabled" => {
                // Stated in both the global settings and the policies: enabled if either says so.
                let enabled = self.flag(e, Setting::ClientCredentialsEnabled, |s| &mut s.client_credentials_enabled);
                if enabled == Some(true) {
                    self.add_flow(Flow::ClientCredentials);
                }
            }
            "clientCredentialsFlowUser" => {
                if let Some(user) = self.notes.text(e) {
                    self.offer_text(Setting::ClientCredentialsUser, line, |s| &mut s.client_credentials_user, user);
                }
            }
            "isDeviceFlowEnabled" => {
                let enabled = self.notes.flag(e) == Some(true);
                if enabled {
                    self.add_flow(Flow::Device);
                }
            }
            "permittedUsersPolicyType" => match e.value().map(|v| (v, v.to_ascii_lowercase())) {
                Some((v, lower)) if lower == "adminapprovedpreauthorized" => {
                    self.notes.case(line, &e.name, v, "AdminApprovedPreAuthorized");
                    self.offer_flag(Setting::AdminApproved, line, |s| &mut s.admin_approved, true)
                }
                Some((v, lower)) if lower == "allselfauthorized" => {
                    self.notes.case(line, &e.name, v, "AllSelfAuthorized");
                    self.offer_flag(Setting::AdminApproved, line, |s| &mut s.admin_approved, false)
                }
                other => self.notes.add(
                    line,
                    NoteCode::InvalidValue,
                    format!(
                        "<permittedUsersPolicyType> `{}` is not AdminApprovedPreAuthorized or AllSelfAuthorized; not audited",
                        other.map_or("", |(v, _)| v)
                    ),
                ),
            },
            "commaSeparatedProfile" => self.names(e, "profile", Setting::PreauthorizedProfiles),
            "commaSeparatedPermissionSet" => self.names(e, "permission set", Setting::PreauthorizedPermissionSets),
            "ipRelaxationPolicyType" => match e.value().and_then(IpRelaxation::parse) {
                Some(v) => {
                    self.notes.case(line, &e.name, &e.text, eca_ip_relaxation(v));
                    self.offer(Setting::IpRelaxation, line, |s| &mut s.ip_relaxation, v)
                }
                None => self.notes.add(
                    line,
                    NoteCode::InvalidValue,
                    format!(
                        "<ipRelaxationPolicyType> `{}` is not Enforce, Enforce_RelaxRefresh, Bypass_2factor or Bypass; not audited",
                        e.text.trim()
                    ),
                ),
            },
            "refreshTokenPolicyType" => {
                if let Some(v) = e.value() {
                    if let Some(spelled) = ["Infinite", "SpecificInactivity", "SpecificLifetime", "Zero"]
                        .into_iter()
                        .find(|k| k.eq_ignore_ascii_case(v))
                    {
                        self.notes.case(line, &e.name, v, spelled);
                    }
                    policy.kinds.push((v.to_string(), line));
                }
            }
            "refreshTokenValidityPeriod" => policy.periods.extend(e.value().map(str::to_string)),
            "refreshTokenValidityUnit" => {
                if let Some(v) = e.value() {
                    if let Some(spelled) = ["Hours", "Days", "Months"].into_iter().find(|u| u.eq_ignore_ascii_case(v)) {
                        self.notes.case(line, &e.name, v, spelled);
                    }
                    policy.units.push(v.to_string());
                }
            }
            _ => {}
        }
    }
}

/// How an External Client App policy spells an IP relaxation (`Bypass_2factor`, not the
/// Connected App's `BYPASS_2FACTOR`).
fn eca_ip_relaxation(v: IpRelaxation) -> &'static str {
    match v {
        IpRelaxation::Enforce => "Enforce",
        IpRelaxation::EnforceRelaxRefresh => "Enforce_RelaxRefresh",
        IpRelaxation::Bypass2Factor => "Bypass_2factor",
        IpRelaxation::Bypass => "Bypass",
    }
}

/// The `.ecaPlcy` switches that decide whether the app can issue OAuth tokens at all, each
/// with where it is stated. Both default to on.
#[derive(Default)]
struct Switches {
    app: Option<(bool, Pos)>,
    oauth_plugin: Option<(bool, Pos)>,
}

impl Switches {
    fn slot(&mut self, element: &str) -> Option<&mut Option<(bool, Pos)>> {
        match element {
            "isEnabled" => Some(&mut self.app),
            "isOauthPluginEnabled" => Some(&mut self.oauth_plugin),
            _ => None,
        }
    }

    /// Where the app or its OAuth plugin is switched off, if it is.
    fn off(&self) -> Option<Pos> {
        [self.app, self.oauth_plugin]
            .into_iter()
            .flatten()
            .find(|(on, _)| !on)
            .map(|(_, pos)| pos)
    }
}

/// The refresh-token policy is spread over three elements; joined once a file is read. Each
/// may be repeated (a note says so): every stated kind is read, with the longest valid period
/// and unit, and the riskiest result is audited.
#[derive(Default)]
struct RefreshParts {
    kinds: Vec<(String, u32)>,
    periods: Vec<String>,
    units: Vec<String>,
}

/// A refresh-token validity unit, in the PascalCase spelling or any other case.
fn time_unit(s: &str) -> Option<TimeUnit> {
    match s.trim().to_ascii_lowercase().as_str() {
        "hours" => Some(TimeUnit::Hours),
        "days" => Some(TimeUnit::Days),
        "months" => Some(TimeUnit::Months),
        _ => None,
    }
}

impl RefreshParts {
    fn apply(self, r: &mut Reading) {
        use sf_meta::Risk;
        let period = self
            .periods
            .iter()
            .filter_map(|p| p.trim().parse::<u32>().ok())
            .max()
            .map(|p| p.to_string())
            .or_else(|| self.periods.first().cloned());
        let unit = self
            .units
            .iter()
            .filter(|u| time_unit(u).is_some())
            .max_by_key(|u| time_unit(u).map(|t| t.risk()))
            .or_else(|| self.units.first())
            .cloned();
        for (kind, line) in self.kinds {
            let metadata = match kind.to_ascii_lowercase().as_str() {
                "infinite" => "infinite".to_string(),
                "zero" => "zero".to_string(),
                k @ ("specificinactivity" | "specificlifetime") => {
                    let base = if k == "specificinactivity" {
                        "specific_inactivity"
                    } else {
                        "specific_lifetime"
                    };
                    format!(
                        "{base}:{}:{}",
                        period.as_deref().unwrap_or("?"),
                        unit.as_deref().unwrap_or("?")
                    )
                }
                _ => String::new(),
            };
            match RefreshTokenPolicy::parse(&metadata) {
                Some(p) => r.offer(Setting::RefreshTokenPolicy, line, |s| &mut s.refresh_token_policy, p),
                None => r.notes.add(
                    line,
                    NoteCode::InvalidValue,
                    format!(
                        "refresh-token policy `{kind}` with period {} and unit {} is not one Salesforce accepts; not audited",
                        period.as_deref().map_or("(none)".to_string(), |p| format!("`{p}`")),
                        unit.as_deref().map_or("(none)".to_string(), |u| format!("`{u}`"))
                    ),
                ),
            }
        }
    }
}

/// Joins parsed files into apps, one per app name and place ([`AppKey`]), in the order the
/// apps first appear. Linear in the number of parts: groups are found by hashing the key.
pub fn join(parts: Vec<Part>) -> Vec<App> {
    let mut index: HashMap<AppKey, usize> = HashMap::new();
    let mut groups: Vec<Vec<Part>> = Vec::new();
    for part in parts {
        match index.get(&part.app_name).and_then(|&i| groups.get_mut(i)) {
            Some(group) => group.push(part),
            None => {
                index.insert(part.app_name.clone(), groups.len());
                groups.push(vec![part]);
            }
        }
    }
    groups.into_iter().map(build).collect()
}

/// The note on each of an app's files of one kind, when there are several.
fn conflict_note(key: &AppKey, kind: PartKind, paths: &[&str], this: usize) -> String {
    let others: Vec<String> = paths
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != this)
        .map(|(_, p)| format!("`{p}`"))
        .take(3)
        .collect();
    let more = paths.len().saturating_sub(1 + others.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "{key} has {} {} files (this one and {}{more}), where Salesforce keeps one: they conflict, and the riskier reading of each setting is audited",
        paths.len(),
        kind.suffix(),
        others.join(", "),
    )
}

fn build(mut parts: Vec<Part>) -> App {
    // The `.eca` file, when there is one, is the app's main file.
    parts.sort_by_key(|p| PartKind::VARIANTS.iter().position(|k| *k == p.kind));
    let files: Vec<String> = parts.iter().map(|p| p.path.clone()).collect();
    let key = parts[0].app_name.clone();
    let app_name = key.name.clone();
    let mut r = Reading::new();
    let mut label = None;
    let mut description = None;
    let mut oauth_line = None;
    // The files of each kind, by index into `parts`.
    let mut by_kind: Vec<Vec<usize>> = vec![Vec::new(); PartKind::VARIANTS.len()];
    let mut switches = Switches::default();
    for (index, part) in parts.iter().enumerate() {
        if let Some(slot) = PartKind::VARIANTS
            .iter()
            .position(|k| *k == part.kind)
            .and_then(|k| by_kind.get_mut(k))
        {
            slot.push(index);
        }
    }
    for (kind, indexes) in PartKind::VARIANTS.iter().copied().zip(&by_kind) {
        if indexes.len() < 2 {
            continue;
        }
        let paths: Vec<&str> = indexes.iter().map(|&i| files[i].as_str()).collect();
        for (n, &i) in indexes.iter().enumerate() {
            r.notes.items.push(Note {
                code: NoteCode::Conflicting,
                message: conflict_note(&key, kind, &paths, n),
                at: Some(Pos {
                    file: u16::try_from(i).unwrap_or(u16::MAX),
                    line: parts[i].root.line,
                }),
            });
        }
    }
    for (index, part) in parts.iter().enumerate() {
        let file = u16::try_from(index).unwrap_or(u16::MAX);
        r.notes.file = file;
        for note in &part.notes {
            r.notes.items.push(Note {
                code: note.code,
                message: note.message.clone(),
                at: note.at.map(|p| Pos { file, line: p.line }),
            });
        }
        match part.kind {
            PartKind::App => {
                label = label.or_else(|| part.root.child("label").and_then(Element::value).map(str::to_string));
                description = description.or_else(|| {
                    part.root
                        .child("description")
                        .and_then(Element::value)
                        .map(str::to_string)
                });
            }
            PartKind::OauthSettings => {
                oauth_line = oauth_line.or(Some(Pos {
                    file,
                    line: part.root.line,
                }))
            }
            PartKind::GlobalOauth | PartKind::OauthPolicies | PartKind::PluginPolicies => {}
        }
        let mut refresh = RefreshParts::default();
        for field in &part.root.children {
            let name = field.name.as_str();
            if part.kind.fields().contains(&name) {
                r.check_repeat(part.kind.root(), name, field.line);
                r.eca_field(field, &mut refresh, &mut switches);
            } else if let Some(home) = PartKind::home_of(name) {
                r.notes.add(
                    field.line,
                    NoteCode::Misplaced,
                    format!(
                        "<{name}> belongs in the {} file, not {}: Salesforce rejects it here; read as if it were there",
                        home.suffix(),
                        part.kind.suffix()
                    ),
                );
                r.check_repeat(home.root(), name, field.line);
                r.eca_field(field, &mut refresh, &mut switches);
            } else if r.notes.unknown(field, part.kind.root(), part.kind.fields()) == Some("commaSeparatedOauthScopes")
            {
                r.eca_field(
                    &Element {
                        name: "commaSeparatedOauthScopes".into(),
                        ..field.clone()
                    },
                    &mut refresh,
                    &mut switches,
                );
            }
        }
        refresh.apply(&mut r);
    }
    let has = |kind: PartKind| parts.iter().any(|p| p.kind == kind);
    if !has(PartKind::App) {
        r.notes.items.push(Note {
            code: NoteCode::Missing,
            message: format!("no .eca file for `{app_name}` among the inputs; audited from the files found"),
            at: Some(Pos::line(parts[0].root.line)),
        });
    }
    if has(PartKind::GlobalOauth) && r.settings.pkce_required.is_none() {
        // The global OAuth settings default to requiring PKCE.
        r.settings.pkce_required = Some(true);
    }
    // Only the `.eca` file: no OAuth is configured. Policy or global files without the OAuth
    // settings file: OAuth exists, but its scopes were not among the inputs.
    r.settings.oauth_enabled = if oauth_line.is_some() || !r.scopes.is_empty() {
        Some(true)
    } else if has(PartKind::GlobalOauth) || has(PartKind::OauthPolicies) {
        None
    } else {
        Some(false)
    };
    if let Some(pos) = oauth_line.or(Some(Pos::line(parts[0].root.line))) {
        r.settings.at.insert(Setting::OauthEnabled, pos);
    }
    // A disabled app or OAuth plugin issues no tokens, whatever its OAuth settings say.
    if let Some(pos) = switches.off() {
        r.settings.oauth_enabled = Some(false);
        r.settings.at.insert(Setting::OauthEnabled, pos);
    }
    let mut notes = r.notes.items;
    notes.sort_by_key(|n| n.at);
    App {
        name: label.unwrap_or_else(|| app_name.clone()),
        identity: AppIdentity::new(IdentityKind::ApiName, app_name.clone()),
        vendor: None,
        platform: Platform::Salesforce,
        description,
        source: Source {
            path: files[0].clone(),
            kind: InputKind::ExternalClientApp,
            files,
        },
        at: Some(Pos::line(parts[0].root.line)),
        integration: Integration {
            flows: r.flows,
            ..Integration::default()
        },
        integration_at: oauth_line,
        scopes: r.scopes,
        tools: Vec::new(),
        tools_at: None,
        settings: r.settings,
        notes,
        org: None,
        matches: Vec::new(),
        consumer_key: r.consumer_key,
        approval: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TimeUnit;

    const ECA: &str = "<ExternalClientApplication xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>LedgerSync</label>\n    <distributionState>Local</distributionState>\n</ExternalClientApplication>\n";
    const OAUTH: &str = "<ExtlClntAppOauthSettings>\n    <externalClientApplication>LedgerSync</externalClientApplication>\n    <commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>\n</ExtlClntAppOauthSettings>\n";
    const POLICY: &str = "<ExtlClntAppOauthConfigurablePolicies>\n    <externalClientApplication>LedgerSync</externalClientApplication>\n    <permittedUsersPolicyType>AllSelfAuthorized</permittedUsersPolicyType>\n    <ipRelaxationPolicyType>Bypass_2factor</ipRelaxationPolicyType>\n    <refreshTokenPolicyType>SpecificLifetime</refreshTokenPolicyType>\n    <refreshTokenValidityPeriod>3</refreshTokenValidityPeriod>\n    <refreshTokenValidityUnit>Months</refreshTokenValidityUnit>\n</ExtlClntAppOauthConfigurablePolicies>\n";

    #[test]
    fn joins_the_files_of_one_app() {
        let parts = vec![
            parse_part(
                "pkg/extlClntAppOauthPolicies/LedgerSync_plcy.ecaOauthPlcy-meta.xml",
                POLICY,
                PartKind::OauthPolicies,
            )
            .unwrap(),
            parse_part("pkg/externalClientApps/LedgerSync.eca-meta.xml", ECA, PartKind::App).unwrap(),
            parse_part(
                "./pkg/extlClntAppOauthSettings/LedgerSync_oauth.ecaOauth-meta.xml",
                OAUTH,
                PartKind::OauthSettings,
            )
            .unwrap(),
        ];
        let apps = join(parts);
        assert_eq!(apps.len(), 1);
        let app = &apps[0];
        assert_eq!(app.name, "LedgerSync");
        assert_eq!(app.source.path, "pkg/externalClientApps/LedgerSync.eca-meta.xml");
        assert_eq!(app.source.files.len(), 3);
        let names: Vec<&str> = app.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Api", "RefreshToken"]);
        assert_eq!(app.scopes[0].at, Some(Pos { file: 1, line: 3 }));
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(app.settings.at[&Setting::AdminApproved], Pos { file: 2, line: 3 });
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass2Factor));
        assert_eq!(
            app.settings.refresh_token_policy,
            Some(RefreshTokenPolicy::SpecificLifetime(3, TimeUnit::Months))
        );
        assert!(app.notes.is_empty(), "{:?}", app.notes);
    }

    #[test]
    fn part_kinds_come_from_the_name() {
        assert_eq!(part_kind("A.eca-meta.xml"), Some(PartKind::App));
        assert_eq!(part_kind("A_x.ecaGlblOauth-meta.xml"), Some(PartKind::GlobalOauth));
        assert_eq!(part_kind("A.ecaOauthPlcy"), Some(PartKind::OauthPolicies));
        assert_eq!(part_kind("A.connectedApp-meta.xml"), None);
        assert_eq!(part_kind("A.ECAOAUTH-META.XML"), Some(PartKind::OauthSettings));
        // The plugin policies, beside (and never mistaken for) the OAuth policies.
        assert_eq!(part_kind("A_plcy.ecaPlcy-meta.xml"), Some(PartKind::PluginPolicies));
        assert_eq!(
            part_kind("A_oauthPlcy.ecaOauthPlcy-meta.xml"),
            Some(PartKind::OauthPolicies)
        );
        assert_eq!(
            place_of("pkg/extlClntAppPolicies/A_plcy.ecaPlcy-meta.xml"),
            "pkg",
            "its type folder is a type folder"
        );
    }

    #[test]
    fn a_lone_policy_file_is_still_an_app_with_a_note() {
        let apps = join(vec![parse_part(
            "x.ecaOauthPlcy-meta.xml",
            POLICY,
            PartKind::OauthPolicies,
        )
        .unwrap()]);
        assert_eq!(apps[0].settings.oauth_enabled, None);
        assert!(apps[0].notes[0].message.contains("no .eca file"));
    }

    #[test]
    fn the_place_is_the_package_directory_or_the_files_own() {
        for (path, place) in [
            (
                "force-app/main/default/externalClientApps/A.eca-meta.xml",
                "force-app/main/default",
            ),
            (
                "./force-app//main/default/extlClntAppOauthPolicies/A_p.ecaOauthPlcy-meta.xml",
                "force-app/main/default",
            ),
            (
                "/abs/pkg/extlClntAppGlobalOauthSets/A.ecaGlblOauth-meta.xml",
                "/abs/pkg",
            ),
            ("pkg/extlClntAppOauthSettings/A.ecaOauth-meta.xml", "pkg"),
            ("retrieved/A.ecaOauth-meta.xml", "retrieved"),
            ("A.eca-meta.xml", "."),
            ("externalClientApps/A.eca-meta.xml", "."),
            (
                "other/externalClientApps/deeper/A.eca-meta.xml",
                "other/externalClientApps/deeper",
            ),
        ] {
            assert_eq!(place_of(path), place, "{path}");
        }
    }

    #[test]
    fn the_same_name_in_two_places_is_two_apps() {
        let benign = POLICY
            .replace("AllSelfAuthorized", "AdminApprovedPreAuthorized")
            .replace("Bypass_2factor", "Enforce");
        let apps = join(vec![
            parse_part("vendor/LedgerSync.eca-meta.xml", ECA, PartKind::App).unwrap(),
            parse_part(
                "vendor/LedgerSync_plcy.ecaOauthPlcy-meta.xml",
                POLICY,
                PartKind::OauthPolicies,
            )
            .unwrap(),
            parse_part(
                "elsewhere/LedgerSync_plcy.ecaOauthPlcy-meta.xml",
                &benign,
                PartKind::OauthPolicies,
            )
            .unwrap(),
        ]);
        assert_eq!(apps.len(), 2);
        assert_eq!(
            apps[0].source.files,
            [
                "vendor/LedgerSync.eca-meta.xml",
                "vendor/LedgerSync_plcy.ecaOauthPlcy-meta.xml"
            ]
        );
        assert_eq!(apps[0].settings.ip_relaxation, Some(IpRelaxation::Bypass2Factor));
        assert_eq!(apps[0].settings.admin_approved, Some(false));
        assert!(apps[0].notes.is_empty(), "{:?}", apps[0].notes);
        assert_eq!(
            apps[1].source.files,
            ["elsewhere/LedgerSync_plcy.ecaOauthPlcy-meta.xml"]
        );
        assert_eq!(apps[1].settings.ip_relaxation, Some(IpRelaxation::Enforce));
        assert!(apps[1].notes[0].message.contains("no .eca file"), "{:?}", apps[1].notes);
    }

    #[test]
    fn two_files_of_one_kind_in_one_place_conflict_and_the_riskier_is_audited() {
        let benign = POLICY
            .replace("AllSelfAuthorized", "AdminApprovedPreAuthorized")
            .replace("Bypass_2factor", "Enforce")
            .replace("SpecificLifetime", "Zero");
        let apps = join(vec![
            parse_part("d/LedgerSync_a.ecaOauthPlcy-meta.xml", POLICY, PartKind::OauthPolicies).unwrap(),
            parse_part("d/LedgerSync.eca-meta.xml", ECA, PartKind::App).unwrap(),
            parse_part("d/LedgerSync_b.ecaOauthPlcy-meta.xml", &benign, PartKind::OauthPolicies).unwrap(),
        ]);
        assert_eq!(apps.len(), 1);
        let app = &apps[0];
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass2Factor));
        assert_eq!(app.settings.at[&Setting::IpRelaxation], Pos { file: 1, line: 4 });
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(
            app.settings.refresh_token_policy,
            Some(RefreshTokenPolicy::SpecificLifetime(3, TimeUnit::Months))
        );
        let conflicts: Vec<Pos> = app
            .notes
            .iter()
            .filter(|n| n.message.contains("has 2 .ecaOauthPlcy files"))
            .filter_map(|n| n.at)
            .collect();
        assert_eq!(conflicts, [Pos { file: 1, line: 1 }, Pos { file: 2, line: 1 }]);
        // The benign file is listed too, and its label repeat is not a repeat: another file.
        assert_eq!(app.notes.len(), 2, "{:?}", app.notes);
    }

    #[test]
    fn a_repeated_element_is_noted_and_the_riskier_value_kept() {
        let policy = POLICY.replace(
            "    <ipRelaxationPolicyType>Bypass_2factor</ipRelaxationPolicyType>\n",
            "    <ipRelaxationPolicyType>Bypass_2factor</ipRelaxationPolicyType>\n    <ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>\n    <refreshTokenPolicyType>Infinite</refreshTokenPolicyType>\n",
        );
        let app = &join(vec![
            parse_part("LedgerSync.eca-meta.xml", ECA, PartKind::App).unwrap(),
            parse_part("LedgerSync_p.ecaOauthPlcy-meta.xml", &policy, PartKind::OauthPolicies).unwrap(),
        ])[0];
        assert_eq!(app.settings.ip_relaxation, Some(IpRelaxation::Bypass2Factor));
        assert_eq!(app.settings.refresh_token_policy, Some(RefreshTokenPolicy::Infinite));
        assert_eq!(app.settings.at[&Setting::RefreshTokenPolicy], Pos { file: 1, line: 6 });
        let notes: Vec<(u32, &str)> = app
            .notes
            .iter()
            .map(|n| (n.at.unwrap().line, n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(notes[0].0, 5);
        assert!(notes[0].1.starts_with("<ipRelaxationPolicyType> appears more than once in <ExtlClntAppOauthConfigurablePolicies> (first at line 4)"), "{notes:?}");
        assert!(
            notes[1]
                .1
                .starts_with("<refreshTokenPolicyType> appears more than once"),
            "{notes:?}"
        );
        assert_eq!(notes[1].0, 7);
        assert!(notes[1].1.contains("(first at line 6)"), "{notes:?}");
    }

    /// `join` hashes the app key, so it is linear in the number of parts; 50,000 files of
    /// 25,000 apps join at once (a quadratic search would take minutes here).
    #[test]
    fn joining_many_parts_is_linear() {
        let app = parse_part("d/A.eca-meta.xml", ECA, PartKind::App).unwrap();
        let policy = parse_part("d/A_p.ecaOauthPlcy-meta.xml", POLICY, PartKind::OauthPolicies).unwrap();
        let mut parts = Vec::new();
        for i in 0..25_000 {
            for template in [&app, &policy] {
                parts.push(Part {
                    kind: template.kind,
                    path: format!("d{i}/{}", template.path),
                    app_name: AppKey {
                        place: format!("d{i}"),
                        name: "LedgerSync".to_string(),
                    },
                    root: template.root.clone(),
                    notes: Vec::new(),
                });
            }
        }
        let apps = join(parts);
        assert_eq!(apps.len(), 25_000);
        assert_eq!(
            apps[24_999].source.files,
            ["d24999/d/A.eca-meta.xml", "d24999/d/A_p.ecaOauthPlcy-meta.xml"]
        );
    }
}
