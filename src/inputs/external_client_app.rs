//! Salesforce External Client App metadata: the `.eca`, `.ecaOauth`, `.ecaGlblOauth` and
//! `.ecaOauthPlcy` files of one app (each `-meta.xml` in source format), joined by app name
//! into one `App` (SPEC section 2). Policy values use the PascalCase spelling
//! (`Bypass_2factor`, `SpecificInactivity`).

use super::sf_meta::{self, Reading};
use super::xml::{self, Element};
use crate::model::{App, Flow, InputKind, Integration, IpRelaxation, Note, Platform, Pos, RefreshTokenPolicy, Source};
use crate::source_file::FileError;

/// The four file types of an External Client App.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    App,
    OauthSettings,
    GlobalOauth,
    OauthPolicies,
}

impl PartKind {
    const ALL: [PartKind; 4] = [
        PartKind::App,
        PartKind::OauthSettings,
        PartKind::GlobalOauth,
        PartKind::OauthPolicies,
    ];

    fn suffix(self) -> &'static str {
        match self {
            PartKind::App => ".eca",
            PartKind::OauthSettings => ".ecaOauth",
            PartKind::GlobalOauth => ".ecaGlblOauth",
            PartKind::OauthPolicies => ".ecaOauthPlcy",
        }
    }

    fn root(self) -> &'static str {
        match self {
            PartKind::App => "ExternalClientApplication",
            PartKind::OauthSettings => "ExtlClntAppOauthSettings",
            PartKind::GlobalOauth => "ExtlClntAppGlobalOauthSettings",
            PartKind::OauthPolicies => "ExtlClntAppOauthConfigurablePolicies",
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
        }
    }

    /// The file type a field belongs in, for a field found in the wrong file.
    fn home_of(field: &str) -> Option<PartKind> {
        PartKind::ALL.into_iter().find(|k| k.fields().contains(&field))
    }
}

/// The file type of a name, if it is one of an External Client App's files.
pub fn part_kind(file_name: &str) -> Option<PartKind> {
    let stem = file_name.strip_suffix("-meta.xml").unwrap_or(file_name);
    PartKind::ALL.into_iter().find(|k| stem.ends_with(k.suffix()))
}

/// One parsed file, waiting to be joined with the other files of its app.
#[derive(Debug)]
pub struct Part {
    pub kind: PartKind,
    pub path: String,
    /// The app's API name: the `.eca` file's name, or the `externalClientApplication` the
    /// other files name.
    pub app_name: String,
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
        let Some(actual) = PartKind::ALL.into_iter().find(|k| k.root() == root.name) else {
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
        app_name,
        root,
        notes,
    })
}

/// The External Client App elements; the ones Connected Apps share are in `sf_meta`.
impl Reading {
    fn names(&mut self, e: &Element, what: &str, setting: &str) {
        let Some(text) = e.value() else { return };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let list = if setting == "preauthorized_profiles" {
                &mut self.settings.preauthorized_profiles
            } else {
                &mut self.settings.preauthorized_permission_sets
            };
            sf_meta::add_name(list, name.to_string(), what, e.line, &mut self.notes);
        }
        self.set_at(setting, e.line);
    }

    /// One field, wherever it was found (a field in the wrong file is noted by the caller).
    fn eca_field(&mut self, e: &Element, policy: &mut RefreshParts) {
        let line = e.line;
        if self.common_field(e) {
            return;
        }
        match e.name.as_str() {
            "commaSeparatedOauthScopes" => {
                if e.value().is_none() {
                    self.notes.add(line, "<commaSeparatedOauthScopes> is empty");
                }
                sf_meta::scopes_from(&e.text, line, true, &mut self.notes, &mut self.scopes);
            }
            "trustedIpRanges" => {
                let start = e.child("startIpAddress").and_then(Element::value);
                let end = e.child("endIpAddress").and_then(Element::value);
                match (start, end) {
                    (Some(s), Some(t)) => self.settings.ip_ranges.push(format!("{s}-{t}")),
                    (Some(s), None) | (None, Some(s)) => self.settings.ip_ranges.push(s.to_string()),
                    (None, None) => self.notes.add(line, "<trustedIpRanges> without addresses ignored"),
                }
                self.settings.at.entry("ip_ranges".into()).or_insert(self.notes.pos(line));
                self.settings.at.entry("ip_range_addresses".into()).or_insert(self.notes.pos(line));
            }
            "isClientCredentialsFlowEnabled" => {
                // Stated in both the global settings and the policies; enabled if either says so.
                let value = self.notes.flag(e);
                if let Some(v) = value {
                    if v || self.settings.client_credentials_enabled.is_none() {
                        self.settings.client_credentials_enabled = Some(v);
                        self.set_at("client_credentials_enabled", line);
                    }
                    if v {
                        self.add_flow(Flow::ClientCredentials);
                    }
                }
            }
            "clientCredentialsFlowUser" => {
                self.settings.client_credentials_user = self.notes.text(e);
                self.set_at("client_credentials_user", line);
            }
            "isDeviceFlowEnabled" => {
                let enabled = self.notes.flag(e) == Some(true);
                self.flows.extend(enabled.then_some(Flow::Device));
            }
            "permittedUsersPolicyType" => match e.value() {
                Some("AdminApprovedPreAuthorized") => {
                    self.settings.admin_approved = Some(true);
                    self.set_at("admin_approved", line);
                }
                Some("AllSelfAuthorized") => {
                    self.settings.admin_approved = Some(false);
                    self.set_at("admin_approved", line);
                }
                other => self.notes.add(
                    line,
                    format!(
                        "<permittedUsersPolicyType> `{}` is not AdminApprovedPreAuthorized or AllSelfAuthorized; not audited",
                        other.unwrap_or("")
                    ),
                ),
            },
            "commaSeparatedProfile" => self.names(e, "profile", "preauthorized_profiles"),
            "commaSeparatedPermissionSet" => self.names(e, "permission set", "preauthorized_permission_sets"),
            "ipRelaxationPolicyType" => match e.value().and_then(IpRelaxation::parse) {
                Some(v) => {
                    self.settings.ip_relaxation = Some(v);
                    self.set_at("ip_relaxation", line);
                }
                None => self.notes.add(
                    line,
                    format!(
                        "<ipRelaxationPolicyType> `{}` is not Enforce, Enforce_RelaxRefresh, Bypass_2factor or Bypass; not audited",
                        e.text.trim()
                    ),
                ),
            },
            "refreshTokenPolicyType" => policy.kind = e.value().map(|v| (v.to_string(), line)),
            "refreshTokenValidityPeriod" => policy.period = e.value().map(str::to_string),
            "refreshTokenValidityUnit" => policy.unit = e.value().map(str::to_string),
            _ => {}
        }
    }
}

/// The refresh-token policy is spread over three elements; joined once all are read.
#[derive(Default)]
struct RefreshParts {
    kind: Option<(String, u32)>,
    period: Option<String>,
    unit: Option<String>,
}

impl RefreshParts {
    fn apply(self, r: &mut Reading) {
        let Some((kind, line)) = self.kind else { return };
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
                    self.period.as_deref().unwrap_or("?"),
                    self.unit.as_deref().unwrap_or("?")
                )
            }
            _ => String::new(),
        };
        match RefreshTokenPolicy::parse(&metadata) {
            Some(p) => {
                r.settings.refresh_token_policy = Some(p);
                r.set_at("refresh_token_policy", line);
            }
            None => r.notes.add(
                line,
                format!(
                    "refresh-token policy `{kind}` with period {} and unit {} is not one Salesforce accepts; not audited",
                    self.period.as_deref().map_or("(none)".to_string(), |p| format!("`{p}`")),
                    self.unit.as_deref().map_or("(none)".to_string(), |u| format!("`{u}`"))
                ),
            ),
        }
    }
}

/// Joins parsed files into apps, one per app name, in the order the apps first appear.
pub fn join(parts: Vec<Part>) -> Vec<App> {
    let mut groups: Vec<Vec<Part>> = Vec::new();
    for part in parts {
        match groups.iter_mut().find(|g| g[0].app_name == part.app_name) {
            Some(group) => group.push(part),
            None => groups.push(vec![part]),
        }
    }
    groups.into_iter().map(build).collect()
}

fn build(mut parts: Vec<Part>) -> App {
    // The `.eca` file, when there is one, is the app's main file.
    parts.sort_by_key(|p| PartKind::ALL.iter().position(|k| *k == p.kind));
    let files: Vec<String> = parts.iter().map(|p| p.path.clone()).collect();
    let app_name = parts[0].app_name.clone();
    let mut r = Reading::new();
    let mut label = None;
    let mut description = None;
    let mut seen: Vec<PartKind> = Vec::new();
    let mut oauth_line = None;
    let mut global_seen = false;
    for (index, part) in parts.iter().enumerate() {
        let file = u16::try_from(index).unwrap_or(u16::MAX);
        r.notes.file = file;
        for note in &part.notes {
            r.notes.items.push(Note {
                message: note.message.clone(),
                at: note.at.map(|p| Pos { file, line: p.line }),
            });
        }
        if seen.contains(&part.kind) {
            r.notes.add(
                part.root.line,
                format!(
                    "a second {} file for this app; its settings are read over the first's",
                    part.kind.suffix()
                ),
            );
        }
        seen.push(part.kind);
        match part.kind {
            PartKind::App => {
                label = part.root.child("label").and_then(Element::value).map(str::to_string);
                description = part
                    .root
                    .child("description")
                    .and_then(Element::value)
                    .map(str::to_string);
            }
            PartKind::OauthSettings => {
                oauth_line = oauth_line.or(Some(Pos {
                    file,
                    line: part.root.line,
                }))
            }
            PartKind::GlobalOauth => global_seen = true,
            PartKind::OauthPolicies => {}
        }
        let mut refresh = RefreshParts::default();
        for field in &part.root.children {
            let name = field.name.as_str();
            if part.kind.fields().contains(&name) {
                r.eca_field(field, &mut refresh);
            } else if let Some(home) = PartKind::home_of(name) {
                r.notes.add(
                    field.line,
                    format!(
                        "<{name}> belongs in the {} file, not {}: Salesforce rejects it here; read as if it were there",
                        home.suffix(),
                        part.kind.suffix()
                    ),
                );
                r.eca_field(field, &mut refresh);
            } else if r.notes.unknown(field, part.kind.root(), part.kind.fields()) == Some("commaSeparatedOauthScopes")
            {
                r.eca_field(
                    &Element {
                        name: "commaSeparatedOauthScopes".into(),
                        ..field.clone()
                    },
                    &mut refresh,
                );
            }
        }
        refresh.apply(&mut r);
    }
    if !seen.contains(&PartKind::App) {
        r.notes.items.push(Note {
            message: format!("no .eca file for `{app_name}` among the inputs; audited from the files found"),
            at: Some(Pos::line(parts[0].root.line)),
        });
    }
    if global_seen && r.settings.pkce_required.is_none() {
        // The global OAuth settings default to requiring PKCE.
        r.settings.pkce_required = Some(true);
    }
    // Only the `.eca` file: no OAuth is configured. Policy or global files without the OAuth
    // settings file: OAuth exists, but its scopes were not among the inputs.
    r.settings.oauth_enabled = if oauth_line.is_some() || !r.scopes.is_empty() {
        Some(true)
    } else if seen
        .iter()
        .any(|k| matches!(k, PartKind::GlobalOauth | PartKind::OauthPolicies))
    {
        None
    } else {
        Some(false)
    };
    if let Some(pos) = oauth_line.or(Some(Pos::line(parts[0].root.line))) {
        r.settings.at.insert("oauth_enabled".into(), pos);
    }
    let mut notes = r.notes.items;
    notes.sort_by_key(|n| n.at);
    App {
        name: label.unwrap_or_else(|| app_name.clone()),
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
                "p/LedgerSync_plcy.ecaOauthPlcy-meta.xml",
                POLICY,
                PartKind::OauthPolicies,
            )
            .unwrap(),
            parse_part("e/LedgerSync.eca-meta.xml", ECA, PartKind::App).unwrap(),
            parse_part("o/LedgerSync_oauth.ecaOauth-meta.xml", OAUTH, PartKind::OauthSettings).unwrap(),
        ];
        let apps = join(parts);
        assert_eq!(apps.len(), 1);
        let app = &apps[0];
        assert_eq!(app.name, "LedgerSync");
        assert_eq!(app.source.path, "e/LedgerSync.eca-meta.xml");
        assert_eq!(app.source.files.len(), 3);
        let names: Vec<&str> = app.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Api", "RefreshToken"]);
        assert_eq!(app.scopes[0].at, Some(Pos { file: 1, line: 3 }));
        assert_eq!(app.settings.admin_approved, Some(false));
        assert_eq!(app.settings.at["admin_approved"], Pos { file: 2, line: 3 });
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
}
