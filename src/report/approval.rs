//! The approval in the report (`--approved DIR`): each live app's standing, and for a matched
//! app what was approved beside what is live, so the report is the record of both and of the
//! difference. Built from the same comparison the rules use (`approval::compare_scopes`).

use crate::approval::{ApprovedFolder, LiveScope, ScopeSide, Standing};
use crate::model::{App, ApprovalState, MatchKey, Platform, Setting, SettingValue};
use serde::Serialize;

/// An app against the approved folder: the per-app `approval` object of the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct AppApproval {
    pub status: Standing,
    /// The approved manifest that matched, as shown; null when none did.
    pub manifest: Option<String>,
    /// The line of the manifest's `app:` key.
    pub line: Option<u32>,
    /// The key the manifest matched by (`label` is the last resort).
    pub matched_by: Option<MatchKey>,
    /// Every scope approved or requested, approved ones first.
    pub scopes: Vec<ScopeComparison>,
    /// Every setting the approval states, and any live setting weaker than it allows.
    pub settings: Vec<SettingComparison>,
}

/// How the live app holds a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LiveHold {
    Requested,
    /// Granted by a broader scope the app requests.
    Implied,
    NotRequested,
    /// The org did not let the audit read the app's scopes.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeComparison {
    /// The catalog id (the name as written when no catalog knows it).
    pub scope: String,
    pub approved: bool,
    /// Why it was approved, as the approved manifest says.
    pub approved_justification: Option<String>,
    pub live: LiveHold,
    /// The name the app requests it by, or the broader scope that grants it.
    pub live_as: Option<String>,
    /// Requested but not approved: an `exceeds-approval` finding.
    pub beyond_approval: bool,
}

impl ScopeComparison {
    /// Approved, and the app no longer holds it (`approved-scope-unrequested`).
    pub fn no_longer_requested(&self) -> bool {
        self.approved && self.live == LiveHold::NotRequested
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SettingComparison {
    pub setting: Setting,
    /// Null when the approval does not state it.
    pub approved: Option<SettingValue>,
    /// Null when the live app does not state it.
    pub live: Option<SettingValue>,
    /// Weaker than approved: a `policy-weaker-than-approved` finding.
    pub weaker: bool,
}

/// The top-level `approvals` object: the folder, the apps by standing, and the approvals that
/// matched nothing.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalsSummary {
    pub directory: String,
    pub manifests: usize,
    pub approved: usize,
    pub exceeds_approval: usize,
    pub unapproved: usize,
    pub unmatched: Vec<UnmatchedApproval>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedApproval {
    pub name: String,
    pub platform: Platform,
    pub manifest: String,
    pub line: Option<u32>,
    /// Why it may match nothing (most often: the approval is stale).
    pub reason: String,
}

fn set(value: SettingValue) -> Option<SettingValue> {
    (value != SettingValue::Unset).then_some(value)
}

/// The app's standing and sides; None when the approved folder was not consulted for it.
pub fn app_approval(
    app: &App,
    scopes: &[crate::analysis::ScopeAnalysis],
    catalog: &crate::catalog::Catalog,
    today: crate::model::Date,
) -> Option<AppApproval> {
    let approval = match &app.approval {
        ApprovalState::NotChecked => return None,
        ApprovalState::Unapproved => {
            return Some(AppApproval {
                status: Standing::Unapproved,
                manifest: None,
                line: None,
                matched_by: None,
                scopes: Vec::new(),
                settings: Vec::new(),
            })
        }
        ApprovalState::Approved(approval) => approval,
    };
    let sides = crate::approval::compare_scopes(app, approval, scopes, catalog);
    let weakened: Vec<Setting> = crate::approval::weakened(app, approval)
        .into_iter()
        .map(|(setting, _)| setting)
        .collect();
    let status = Standing::of(&sides, !weakened.is_empty());
    let settings = <Setting as strum::VariantArray>::VARIANTS
        .iter()
        .filter_map(|&setting| {
            let approved = set(approval.settings.value(setting, today));
            let weaker = weakened.contains(&setting);
            (approved.is_some() || weaker).then(|| SettingComparison {
                setting,
                approved,
                live: set(app.settings.value(setting, today)),
                weaker,
            })
        })
        .collect();
    Some(AppApproval {
        status,
        manifest: Some(approval.manifest.clone()),
        line: approval.manifest_line,
        matched_by: Some(approval.matched_by),
        scopes: sides
            .into_iter()
            .map(|side| {
                let justification = approval
                    .scopes
                    .iter()
                    .find(|a| a.id == side.scope)
                    .and_then(|a| a.justification.clone());
                comparison(side, justification)
            })
            .collect(),
        settings,
    })
}

fn comparison(side: ScopeSide, approved_justification: Option<String>) -> ScopeComparison {
    let beyond_approval = side.beyond();
    let (live, live_as) = match side.live {
        LiveScope::Requested(name) => (LiveHold::Requested, Some(name)),
        LiveScope::Implied(by) => (LiveHold::Implied, Some(by)),
        LiveScope::NotRequested => (LiveHold::NotRequested, None),
        LiveScope::Unknown => (LiveHold::Unknown, None),
    };
    ScopeComparison {
        scope: side.scope,
        approved: side.approved,
        approved_justification,
        live,
        live_as,
        beyond_approval,
    }
}

/// The folder's summary over the report's apps.
pub fn summary(folder: &ApprovedFolder, apps: &[super::AppReport]) -> ApprovalsSummary {
    let count = |standing: Standing| {
        apps.iter()
            .filter(|a| a.approval.as_ref().is_some_and(|x| x.status == standing))
            .count()
    };
    ApprovalsSummary {
        directory: folder.directory.clone(),
        manifests: folder.manifests,
        approved: count(Standing::Approved),
        exceeds_approval: count(Standing::ExceedsApproval),
        unapproved: count(Standing::Unapproved),
        unmatched: folder
            .unmatched
            .iter()
            .map(|m| UnmatchedApproval {
                name: m.manifest.name.clone(),
                platform: m.manifest.platform,
                manifest: m.manifest.source.path.clone(),
                line: m.manifest.at.map(|p| p.line),
                reason: m.reason.clone(),
            })
            .collect(),
    }
}

/// One scope of the side-by-side table, in words every human format shows alike.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeLine {
    pub scope: String,
    /// "yes" or "no", under the heading "approved".
    pub approved: &'static str,
    /// Why it was approved.
    pub justification: Option<String>,
    /// How the live app holds it: "requested", "requested as `Api`", "through `Full`",
    /// "not requested".
    pub live: String,
    /// What the difference means, when there is one.
    pub difference: Option<&'static str>,
}

/// One setting of the side-by-side table.
#[derive(Debug, Clone, Serialize)]
pub struct SettingLine {
    pub label: &'static str,
    pub approved: String,
    pub live: String,
    pub weaker: bool,
}

/// The matched app's approved and live sides, worded.
#[derive(Debug, Clone, Serialize)]
pub struct Sides {
    pub scopes: Vec<ScopeLine>,
    pub settings: Vec<SettingLine>,
}

/// How the human reports name the key a manifest matched by.
pub fn matched_by_words(key: MatchKey) -> &'static str {
    match key {
        MatchKey::SalesforceApiName => "its API name",
        MatchKey::ConnectedApp => "its Connected App API name",
        MatchKey::ConsumerKey => "its consumer key",
        MatchKey::ExternalClientApp => "its External Client App name",
        MatchKey::HubspotAppId => "its HubSpot app id",
        MatchKey::HubspotUid => "its HubSpot project uid",
        MatchKey::Label => "its label only (the last resort)",
    }
}

impl AppApproval {
    pub fn sides(&self) -> Sides {
        let scopes = self
            .scopes
            .iter()
            .map(|s| ScopeLine {
                scope: s.scope.clone(),
                approved: if s.approved { "yes" } else { "no" },
                justification: s.approved_justification.clone(),
                live: match (s.live, s.live_as.as_deref()) {
                    (LiveHold::Requested, Some(name)) if name != s.scope => format!("requested as `{name}`"),
                    (LiveHold::Requested, _) => "requested".to_string(),
                    (LiveHold::Implied, Some(by)) => format!("through `{by}`"),
                    (LiveHold::Implied, None) => "through a broader scope".to_string(),
                    (LiveHold::NotRequested, _) => "not requested".to_string(),
                    (LiveHold::Unknown, _) => "unknown: the scopes could not be read".to_string(),
                },
                difference: if s.beyond_approval {
                    Some("beyond the approval")
                } else if s.no_longer_requested() {
                    Some("no longer requested")
                } else {
                    None
                },
            })
            .collect();
        let worded = |setting: Setting, value: &Option<SettingValue>| match value {
            Some(value) => crate::labels::value_label(setting, value),
            None => "not stated".to_string(),
        };
        let settings = self
            .settings
            .iter()
            .map(|s| SettingLine {
                label: crate::labels::setting_label(s.setting),
                approved: worded(s.setting, &s.approved),
                live: worded(s.setting, &s.live),
                weaker: s.weaker,
            })
            .collect();
        Sides { scopes, settings }
    }
}
