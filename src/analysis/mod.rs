//! Per-app analysis, before any rule runs: what each requested scope is (its catalog id, a
//! second name for one already asked for, implied by another, forbidden by policy) and, from
//! the declared tools, what the app needs and the least-privilege set. No I/O.

mod least_privilege;

use crate::catalog::Catalog;
use crate::model::{App, Platform, Pos};
use crate::policy::Policy;
use crate::rule::Verdict;
use std::collections::BTreeMap;

/// Why the app needs something: a closed set, worded in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedReason {
    /// Every OAuth app of the platform (HubSpot's `oauth`).
    EveryApp(Platform),
    SignsUsersIn,
    IdentifiesUsers,
    /// The refresh-token flow: the app works while the user is away.
    WorksOffline,
    /// A declared tool: its name, access, what it touches, and the operation or page that
    /// says what that needs.
    Tool {
        name: String,
        access: &'static str,
        touches: String,
        source: String,
    },
}

impl std::fmt::Display for NeedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NeedReason::EveryApp(p) => write!(f, "every {} OAuth app", p.display_name()),
            NeedReason::SignsUsersIn => f.write_str("signing users in"),
            NeedReason::IdentifiesUsers => f.write_str("identifying its users"),
            NeedReason::WorksOffline => f.write_str("working while the user is away (refresh_token flow)"),
            NeedReason::Tool {
                name,
                access,
                touches,
                source,
            } => write!(f, "tool `{name}` ({access} {touches}; per {source})"),
        }
    }
}

/// Reasons as one phrase: "tool `A` (read X), tool `B` (read Y) and signing users in".
pub fn join_reasons(reasons: &[String]) -> String {
    match reasons {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One thing the app must be able to do, and the scopes that let it (any one suffices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Why: "tool `Update Opportunity` (update Opportunity)".
    pub reasons: Vec<NeedReason>,
    /// Canonical ids, narrowest first.
    pub accepted: Vec<String>,
    /// Indexes into `App::tools` of the tools behind this need (none for integration needs).
    pub tools: Vec<usize>,
}

impl Need {
    pub fn preferred(&self) -> &str {
        &self.accepted[0]
    }
}

/// The analysis of one requested scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeAnalysis {
    /// Index into `App::scopes`.
    pub index: usize,
    /// The catalog's canonical id, when the catalog knows the name.
    pub canonical: Option<String>,
    pub verdict: Verdict,
    /// Why the verdict: the needs it serves, or why it is excess.
    pub reason: String,
    pub needed_by: Vec<String>,
    /// Other requested scopes (as written) that already grant this one.
    pub implied_by: Vec<String>,
    /// The earlier request (as written) that names the same scope.
    pub duplicate_of: Option<String>,
    /// Whether a declared tool that creates, updates or deletes needs this scope: its write
    /// access is then accounted for.
    pub needed_for_write: bool,
    pub forbidden: bool,
    pub not_allowed: bool,
}

/// A scope the declared tools need and no requested scope grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingScope {
    pub scope: String,
    pub needed_by: Vec<String>,
    pub at: Option<Pos>,
}

/// A tool and what it needs, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolNeed {
    pub tool: usize,
    /// Scopes that serve it, narrowest first; empty when the catalog maps no scope to it.
    pub accepted: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppResult {
    pub id: String,
    pub app: App,
    pub scopes: Vec<ScopeAnalysis>,
    /// Whether least privilege was computed (the app declares tools).
    pub analyzed: bool,
    pub needs: Vec<Need>,
    pub tool_needs: Vec<ToolNeed>,
    /// The recommended scope set: the requested scopes that are needed, plus what to add.
    pub minimal: Vec<String>,
    pub drop: Vec<String>,
    pub add: Vec<String>,
    pub missing: Vec<MissingScope>,
    pub score: u32,
    pub grade: char,
}

/// Analyses one app: every requested scope, then least privilege where the app declares tools.
pub fn analyze(id: String, app: App, catalog: &Catalog, policy: &Policy) -> AppResult {
    let mut scopes: Vec<ScopeAnalysis> = Vec::with_capacity(app.scopes.len());
    let mut first_of: BTreeMap<String, usize> = BTreeMap::new();
    for (index, requested) in app.scopes.iter().enumerate() {
        let canonical = catalog.resolve(&requested.name).map(|e| e.id.clone());
        let key = canonical.clone().unwrap_or_else(|| requested.name.clone());
        let duplicate_of = match first_of.get(&key) {
            Some(&first) => Some(app.scopes[first].name.clone()),
            None => {
                first_of.insert(key.clone(), index);
                None
            }
        };
        let forbidden = policy
            .forbidden_scopes
            .get(&app.platform)
            .is_some_and(|s| s.contains(&key));
        let not_allowed = policy
            .allowed_scopes
            .get(&app.platform)
            .is_some_and(|s| !s.contains(&key));
        scopes.push(ScopeAnalysis {
            index,
            canonical,
            verdict: Verdict::Unknown,
            reason: String::new(),
            needed_by: Vec::new(),
            implied_by: Vec::new(),
            duplicate_of,
            needed_for_write: false,
            forbidden,
            not_allowed,
        });
    }
    // A scope is redundant when another requested scope already grants it.
    let known: Vec<(usize, String)> = scopes
        .iter()
        .filter_map(|s| s.canonical.clone().map(|c| (s.index, c)))
        .collect();
    for scope in &mut scopes {
        if let Some(c) = &scope.canonical {
            scope.implied_by = known
                .iter()
                .filter(|(_, other)| other != c && catalog.covers(other, c))
                .map(|(i, _)| app.scopes[*i].name.clone())
                .collect();
            scope.implied_by.dedup();
        }
    }

    let analyzed = !app.tools.is_empty();
    let (needs, tool_needs) = if analyzed {
        least_privilege::needs(&app, catalog)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut result = AppResult {
        id,
        scopes,
        analyzed,
        needs,
        tool_needs,
        minimal: Vec::new(),
        drop: Vec::new(),
        add: Vec::new(),
        missing: Vec::new(),
        score: 100,
        grade: 'A',
        app,
    };
    if analyzed {
        least_privilege::recommend(&mut result, catalog);
    } else {
        for scope in &mut result.scopes {
            let requested = &result.app.scopes[scope.index];
            (scope.verdict, scope.reason) = match (&scope.canonical, &requested.justification) {
                (None, _) => (Verdict::Unknown, "the catalog does not know this scope".to_string()),
                (Some(_), Some(_)) => (
                    Verdict::Needed,
                    "justified by the vendor; no tools declared to verify it".to_string(),
                ),
                (Some(_), None) => (
                    Verdict::Unjustified,
                    "no justification and no tools declared".to_string(),
                ),
            };
        }
        full_beside_narrower(&mut result, catalog);
    }
    mark_duplicates(&mut result);
    result
}

/// Without tools, a full-access scope requested beside narrower data scopes it covers (`full`
/// with `api`; identity scopes such as `openid` say nothing about data) is the one to drop: the narrower ones say what the app uses, and `full` adds setup,
/// web sessions and every other API on top. Redundancy then counts only the scopes to keep.
fn full_beside_narrower(result: &mut AppResult, catalog: &Catalog) {
    let firsts = first_requests(&result.scopes);
    let mut excess = Vec::new();
    for scope in &mut result.scopes {
        let Some(id) = scope.canonical.as_deref().filter(|c| catalog.is_full(c)) else {
            continue;
        };
        if scope.duplicate_of.is_some() {
            continue;
        }
        let narrower: Vec<String> = firsts
            .iter()
            .filter(|(_, other)| {
                other != id
                    && !catalog.is_full(other)
                    && catalog.covers(id, other)
                    && catalog.resolve(other).is_some_and(|e| e.access.reaches_data())
            })
            .map(|(i, _)| format!("`{}`", result.app.scopes[*i].name))
            .collect();
        if narrower.is_empty() {
            continue;
        }
        scope.verdict = Verdict::Excess;
        scope.reason = format!(
            "it also requests {}, which says what the app uses; `{id}` adds everything else the user can reach on top",
            narrower.join(", ")
        );
        excess.push(result.app.scopes[scope.index].name.clone());
    }
    for scope in &mut result.scopes {
        scope.implied_by.retain(|name| !excess.contains(name));
    }
}

/// The first request of each known scope, in request order: (index into `App::scopes`,
/// canonical id). A second name for the same scope is left out.
fn first_requests(scopes: &[ScopeAnalysis]) -> Vec<(usize, String)> {
    scopes
        .iter()
        .filter(|s| s.duplicate_of.is_none())
        .filter_map(|s| s.canonical.clone().map(|c| (s.index, c)))
        .collect()
}

/// A second name for an already-requested scope is a duplicate, not a second need.
fn mark_duplicates(result: &mut AppResult) {
    for scope in &mut result.scopes {
        if let Some(first) = &scope.duplicate_of {
            scope.verdict = Verdict::Duplicate;
            scope.reason = format!("the same scope as `{first}`, already requested");
        }
    }
}
