//! Pure evaluation: apps against catalogs, rules and policy. No I/O, nothing async.

use crate::catalog::{Catalog, Catalogs, ScopeEntry};
use crate::finding::{fingerprint, Finding, Location, Severity};
use crate::model::{App, CallbackUrl, Date, Flow, Note, Pos, Requirement, SettingValue};
use crate::policy::{Ignore, Policy};
use crate::rule::{render_template, Condition, IgnoreState, Predicate, Rule, RuleSet, SettingTest, Subject, Verdict};
use crate::untrusted::{capped, MAX_REPEATED_CHARS};
use std::collections::{BTreeMap, BTreeSet};

/// One thing the app must be able to do, and the scopes that let it (any one suffices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Why: "tool `Update Opportunity` (update Opportunity)".
    pub reasons: Vec<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub finding: Finding,
    pub reason: String,
    pub expires: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub apps: Vec<AppResult>,
    /// Unsuppressed findings, in report order.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

pub struct Engine<'a> {
    pub catalogs: &'a Catalogs,
    pub rules: &'a RuleSet,
    pub policy: &'a Policy,
    pub today: Date,
}

/// Penalty points per unsuppressed finding; the grade comes from 100 minus their sum.
pub fn penalty(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 20,
        Severity::Medium => 7,
        Severity::Low => 2,
        Severity::Info => 0,
    }
}

/// Letter grade from a score; any critical finding caps the grade at D.
pub fn grade(score: u32, has_critical: bool) -> char {
    let letter = match score {
        90.. => 'A',
        75..=89 => 'B',
        60..=74 => 'C',
        40..=59 => 'D',
        _ => 'F',
    };
    if has_critical && letter < 'D' {
        'D'
    } else {
        letter
    }
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "app".to_string()
    } else {
        trimmed
    }
}

/// Everything rules can ask about one app.
struct Facts<'a> {
    app: &'a App,
    catalog: &'a Catalog,
    /// Both catalogs: the other platform's is consulted (and built) only to explain an
    /// unknown scope that belongs to it.
    catalogs: &'a Catalogs,
    result: &'a AppResult,
    requested: BTreeSet<&'a str>,
    granted: BTreeSet<String>,
    today: Date,
}

/// What one evaluation of a rule is about.
enum Target<'a> {
    App,
    Scope(&'a ScopeAnalysis),
    Missing(&'a MissingScope),
    Url(&'a CallbackUrl),
    Note(&'a Note),
    Ignore(&'a Ignore, IgnoreState),
}

impl Engine<'_> {
    pub fn evaluate(&self, apps: Vec<App>) -> Evaluation {
        let mut ids = BTreeMap::<String, usize>::new();
        let mut results = Vec::with_capacity(apps.len());
        for app in apps {
            let base = format!("{}/{}", app.platform, slug(&app.name));
            let n = ids.entry(base.clone()).or_insert(0);
            *n += 1;
            let id = if *n == 1 { base } else { format!("{base}-{n}") };
            results.push(self.analyze(id, app));
        }
        let mut findings = Vec::new();
        for result in &results {
            findings.extend(self.app_findings(result));
        }
        let (mut findings, suppressed, states) = self.suppress(findings);
        findings.extend(self.ignore_findings(&states));
        // One pass over the findings: (penalty, has critical) per app id.
        let mut per_app: BTreeMap<&str, (u32, bool)> = BTreeMap::new();
        for f in &findings {
            if let Some(app) = f.app.as_deref() {
                let entry = per_app.entry(app).or_default();
                entry.0 += penalty(f.severity);
                entry.1 |= f.severity == Severity::Critical;
            }
        }
        for result in &mut results {
            let (total, critical) = per_app.get(result.id.as_str()).copied().unwrap_or_default();
            result.score = 100u32.saturating_sub(total);
            result.grade = grade(result.score, critical);
        }
        let order: BTreeMap<&str, usize> = results.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        let key = |f: &Finding| {
            (
                f.app
                    .as_deref()
                    .and_then(|a| order.get(a).copied())
                    .unwrap_or(usize::MAX),
                std::cmp::Reverse(f.severity),
                f.rule.clone(),
                f.location.line(),
                f.scope.clone(),
            )
        };
        findings.sort_by_key(key);
        let mut suppressed = suppressed;
        suppressed.sort_by_key(|s| key(&s.finding));
        Evaluation {
            apps: results,
            findings,
            suppressed,
        }
    }

    fn analyze(&self, id: String, app: App) -> AppResult {
        let catalog = self.catalogs.get(app.platform);
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
            let forbidden = self
                .policy
                .forbidden_scopes
                .get(&app.platform)
                .is_some_and(|s| s.contains(&key));
            let not_allowed = self
                .policy
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
            self.needs(&app, catalog)
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
            least_privilege(&mut result, catalog);
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
        }
        result
    }

    /// What the app needs, from its tools and integration.
    fn needs(&self, app: &App, catalog: &Catalog) -> (Vec<Need>, Vec<ToolNeed>) {
        let lp = &catalog.least_privilege;
        let mut needs: Vec<Need> = Vec::new();
        let mut add = |accepted: &[String], reason: String, tool: Option<usize>| {
            if accepted.is_empty() {
                return;
            }
            let need = match needs.iter_mut().position(|n| n.accepted == accepted) {
                Some(i) => &mut needs[i],
                None => {
                    needs.push(Need {
                        reasons: Vec::new(),
                        accepted: accepted.to_vec(),
                        tools: Vec::new(),
                    });
                    let last = needs.len() - 1;
                    &mut needs[last]
                }
            };
            need.reasons.push(reason);
            need.tools.extend(tool);
        };
        for id in &lp.always {
            add(
                std::slice::from_ref(id),
                format!("every {} OAuth app", app.platform.display_name()),
                None,
            );
        }
        if app.integration.sign_in {
            add(&lp.sign_in, "signs users in".to_string(), None);
        }
        if app.integration.flows.contains(&Flow::RefreshToken) {
            add(
                &lp.offline,
                "works while the user is away (refresh_token flow)".to_string(),
                None,
            );
        }
        let mut tool_needs = Vec::new();
        for (i, tool) in app.tools.iter().enumerate() {
            let accepted = catalog
                .object(&tool.object)
                .map(|o| {
                    if tool.access.writes() {
                        o.write.clone()
                    } else {
                        o.read.clone()
                    }
                })
                .unwrap_or_default();
            add(
                &accepted,
                format!("tool `{}` ({} {})", tool.name, tool.access.as_str(), tool.object),
                Some(i),
            );
            tool_needs.push(ToolNeed { tool: i, accepted });
        }
        (needs, tool_needs)
    }

    fn app_findings(&self, result: &AppResult) -> Vec<Finding> {
        let app = &result.app;
        let catalog = self.catalogs.get(app.platform);
        let requested: BTreeSet<&str> = result.scopes.iter().filter_map(|s| s.canonical.as_deref()).collect();
        let granted: BTreeSet<String> = requested.iter().flat_map(|c| catalog.grants_of(c)).collect();
        let facts = Facts {
            app,
            catalog,
            catalogs: self.catalogs,
            result,
            requested,
            granted,
            today: self.today,
        };
        let mut out = Vec::new();
        for rule in &self.rules.rules {
            let setting = self.policy.rules.get(&rule.id).copied().unwrap_or_default();
            if setting.disabled || !rule.applies_to(app.platform) {
                continue;
            }
            let severity = setting.severity.unwrap_or(rule.severity);
            let mut emit = |target: Target| {
                if holds(&rule.when, &facts, &target) {
                    out.push(self.finding(rule, severity, &facts, &target));
                }
            };
            match rule.subject {
                Subject::App => emit(Target::App),
                // A second name for an already-requested scope is one finding (duplicate-alias),
                // not a repeat of every finding about the scope.
                Subject::Scope => result
                    .scopes
                    .iter()
                    .filter(|s| s.duplicate_of.is_none() || rule.when.tests_duplicates())
                    .for_each(|s| emit(Target::Scope(s))),
                Subject::MissingScope => result.missing.iter().for_each(|m| emit(Target::Missing(m))),
                Subject::CallbackUrl => app.settings.callback_urls.iter().for_each(|u| emit(Target::Url(u))),
                Subject::Note => app.notes.iter().for_each(|n| emit(Target::Note(n))),
                Subject::Ignore => {}
            }
        }
        out
    }

    fn finding(&self, rule: &Rule, severity: Severity, facts: &Facts, target: &Target) -> Finding {
        let app = facts.app;
        let (scope, subject_key, at) = match target {
            Target::App => {
                let at = rule
                    .when
                    .settings()
                    .iter()
                    .find_map(|s| app.settings.at.get(*s).copied())
                    .or(app.at);
                (None, String::new(), at)
            }
            Target::Scope(s) => {
                let requested = &app.scopes[s.index];
                let key = s.canonical.clone().unwrap_or_else(|| requested.name.clone());
                // Duplicates differ by the name as written, so each keeps its own fingerprint.
                let subject = if s.duplicate_of.is_some() {
                    format!("{key}#{}", requested.name)
                } else {
                    key.clone()
                };
                (Some(key), subject, requested.at.or(app.at))
            }
            Target::Missing(m) => (Some(m.scope.clone()), m.scope.clone(), m.at.or(app.tools_at).or(app.at)),
            Target::Url(u) => (
                None,
                u.url.clone(),
                u.at.or_else(|| app.settings.at.get("callback_urls").copied())
                    .or(app.at),
            ),
            Target::Note(n) => (None, n.message.clone(), n.at.or(app.at)),
            Target::Ignore(..) => (None, String::new(), None),
        };
        // A value a message repeats is capped: a megabyte-long name must not grow every finding.
        let message = render_template(&rule.message, &|name| {
            capped(&placeholder(name, facts, target), MAX_REPEATED_CHARS).into_owned()
        });
        let app_key = app.name.to_lowercase();
        Finding {
            rule: rule.id.clone(),
            severity,
            app: Some(facts.result.id.clone()),
            scope,
            message,
            remediation: rule.remediation.trim().to_string(),
            location: Location::file(
                at.map_or(app.source.path.as_str(), |p| app.source.file(p.file)),
                at.map(|p| p.line),
            ),
            fingerprint: fingerprint(&[&rule.id, app.platform.as_str(), &app_key, &subject_key]),
        }
    }

    /// Applies the policy's ignores. Returns the findings still in force, the suppressed ones,
    /// and the state of each ignore (None when it was used and is in force).
    fn suppress(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Suppressed>, Vec<Option<IgnoreState>>) {
        let ignores = &self.policy.ignores;
        let mut used = vec![false; ignores.len()];
        let expired: Vec<bool> = ignores
            .iter()
            .map(|i| i.expires.is_some_and(|d| d < self.today))
            .collect();
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        'findings: for finding in findings {
            for (i, ignore) in ignores.iter().enumerate() {
                if !ignore_matches(ignore, &finding) {
                    continue;
                }
                used[i] = true;
                if !expired[i] {
                    suppressed.push(Suppressed {
                        finding,
                        reason: ignore.reason.clone(),
                        expires: ignore.expires,
                    });
                    continue 'findings;
                }
            }
            kept.push(finding);
        }
        let states = (0..ignores.len())
            .map(|i| {
                if expired[i] {
                    Some(IgnoreState::Expired)
                } else if !used[i] {
                    Some(IgnoreState::Unused)
                } else {
                    None
                }
            })
            .collect();
        (kept, suppressed, states)
    }

    fn ignore_findings(&self, states: &[Option<IgnoreState>]) -> Vec<Finding> {
        let path = self
            .policy
            .path
            .clone()
            .unwrap_or_else(|| ".scopeaudit.yaml".to_string());
        let mut out = Vec::new();
        for rule in self.rules.rules.iter().filter(|r| r.subject == Subject::Ignore) {
            let setting = self.policy.rules.get(&rule.id).copied().unwrap_or_default();
            if setting.disabled {
                continue;
            }
            for (ignore, state) in self.policy.ignores.iter().zip(states) {
                let Some(state) = *state else { continue };
                let target = Target::Ignore(ignore, state);
                if !holds_ignore(&rule.when, state) {
                    continue;
                }
                let message = render_template(&rule.message, &|name| {
                    capped(&ignore_placeholder(name, &target), MAX_REPEATED_CHARS).into_owned()
                });
                let subject = format!(
                    "{}|{}|{}",
                    ignore.rule,
                    ignore.app.as_deref().unwrap_or(""),
                    ignore.scope.as_deref().unwrap_or("")
                );
                out.push(Finding {
                    rule: rule.id.clone(),
                    severity: setting.severity.unwrap_or(rule.severity),
                    app: None,
                    scope: ignore.scope.clone(),
                    message,
                    remediation: rule.remediation.trim().to_string(),
                    location: Location::file(path.clone(), ignore.line),
                    fingerprint: fingerprint(&[&rule.id, "policy", &subject]),
                });
            }
        }
        out
    }
}

fn ignore_matches(ignore: &Ignore, finding: &Finding) -> bool {
    if ignore.rule != finding.rule || finding.app.is_none() {
        return false;
    }
    let app_ok = ignore.app.as_deref().is_none_or(|want| {
        let id = finding.app.as_deref().unwrap_or("");
        // Match the app's id, its name part, or its display name (the id's slug).
        id.eq_ignore_ascii_case(want) || id.rsplit('/').next().is_some_and(|s| s == slug(want))
    });
    let scope_ok = ignore
        .scope
        .as_deref()
        .is_none_or(|want| finding.scope.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(want)));
    app_ok && scope_ok
}

/// Least privilege for an app that declares tools: verdicts, the recommended set, what to add
/// and drop, and what is missing.
fn least_privilege(result: &mut AppResult, catalog: &Catalog) {
    let risk_of = |id: &str| catalog.resolve(id).map(|e| e.risk);
    // The narrowest scope for each need, without scopes another of them already grants.
    let preferred: BTreeSet<&str> = result.needs.iter().map(Need::preferred).collect();
    let narrowest: BTreeSet<&str> = preferred
        .iter()
        .copied()
        .filter(|p| !preferred.iter().any(|q| q != p && catalog.covers(q, p)))
        .collect();

    // First request of each known scope, in request order.
    let firsts: Vec<(usize, String)> = result
        .scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.duplicate_of.is_none())
        .filter_map(|(i, s)| s.canonical.clone().map(|c| (i, c)))
        .collect();
    let mut picked: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut unmet: Vec<usize> = Vec::new();
    for (n, need) in result.needs.iter().enumerate() {
        let candidates: Vec<(usize, &str)> = firsts
            .iter()
            .map(|(i, c)| (*i, c.as_str()))
            .filter(|(_, c)| need.accepted.iter().any(|a| catalog.covers(c, a)))
            .collect();
        let choice = candidates
            .iter()
            .find(|(_, c)| narrowest.contains(c))
            .or_else(|| candidates.iter().min_by_key(|(i, c)| (risk_of(c), *i)));
        match choice {
            Some((i, _)) => picked.entry(*i).or_default().push(n),
            None => unmet.push(n),
        }
    }

    let mut needed_ids: BTreeSet<String> = BTreeSet::new();
    let mut add: Vec<String> = Vec::new();
    for (i, needs) in &picked {
        let canonical = result.scopes[*i].canonical.clone().unwrap_or_default();
        let widest_needed = needs.iter().filter_map(|n| risk_of(result.needs[*n].preferred())).max();
        let reasons: Vec<String> = needs.iter().flat_map(|n| result.needs[*n].reasons.clone()).collect();
        let scope = &mut result.scopes[*i];
        scope.needed_by = reasons.clone();
        if risk_of(&canonical) <= widest_needed {
            scope.verdict = Verdict::Needed;
            scope.reason = format!("needed by {}", reasons.join("; "));
            needed_ids.insert(canonical);
        } else {
            let narrower: Vec<&str> = needs.iter().map(|n| result.needs[*n].preferred()).collect();
            scope.verdict = Verdict::Excess;
            scope.reason = format!(
                "a narrower scope would do: {} serves {}",
                narrower.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
                reasons.join("; ")
            );
            for id in narrower {
                if !add.iter().any(|a| a == id) {
                    add.push(id.to_string());
                }
            }
        }
    }
    let mut missing: Vec<MissingScope> = Vec::new();
    for n in unmet {
        let need = &result.needs[n];
        let scope = need.preferred().to_string();
        // Needs from tools point at the first tool; needs from sign-in or offline work at the
        // integration that declares them.
        let at = match need.tools.first() {
            Some(&t) => result.app.tools[t].at,
            None => result.app.integration_at,
        };
        match missing.iter_mut().find(|m| m.scope == scope) {
            Some(m) => m.needed_by.extend(need.reasons.clone()),
            None => missing.push(MissingScope {
                scope: scope.clone(),
                needed_by: need.reasons.clone(),
                at,
            }),
        }
        if !add.contains(&scope) {
            add.push(scope);
        }
    }

    let firsts_index: BTreeSet<usize> = firsts.iter().map(|(i, _)| *i).collect();
    let picked_ids: Vec<String> = picked
        .keys()
        .filter_map(|i| result.scopes[*i].canonical.clone())
        .collect();
    for (i, scope) in result.scopes.iter_mut().enumerate() {
        let Some(canonical) = scope.canonical.clone() else {
            scope.verdict = Verdict::Unknown;
            scope.reason = "the catalog does not know this scope".to_string();
            continue;
        };
        if firsts_index.contains(&i) && !picked.contains_key(&i) {
            scope.verdict = Verdict::Excess;
            // Name the narrower requested scopes that already serve what this one could.
            let serving: Vec<String> = result
                .needs
                .iter()
                .filter(|n| n.accepted.iter().any(|a| catalog.covers(&canonical, a)))
                .flat_map(|n| {
                    picked_ids
                        .iter()
                        .filter(|p| n.accepted.iter().any(|a| catalog.covers(p, a)))
                })
                .map(|p| format!("`{p}`"))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            scope.reason = if serving.is_empty() {
                "no declared tool or integration need uses it".to_string()
            } else {
                format!(
                    "narrower scopes it also requests ({}) already cover every declared need it could serve",
                    serving.join(", ")
                )
            };
        }
    }
    // A second name for a scope shares the first request's verdict; `duplicate-alias` reports it.
    for i in 0..result.scopes.len() {
        if result.scopes[i].canonical.is_some() && !firsts_index.contains(&i) {
            let canonical = result.scopes[i].canonical.clone();
            if let Some(first) = firsts
                .iter()
                .find(|(_, c)| Some(c) == canonical.as_ref())
                .map(|(f, _)| *f)
            {
                result.scopes[i].verdict = result.scopes[first].verdict;
                result.scopes[i].needed_by = result.scopes[first].needed_by.clone();
                result.scopes[i].reason = format!(
                    "the same scope as `{}`, already requested",
                    result.scopes[i].duplicate_of.clone().unwrap_or_default()
                );
            }
        }
    }
    // Redundancy only counts grants from scopes the app should keep: `api` is not redundant
    // because of a `full` that the recommendation drops.
    let excess: BTreeSet<String> = result
        .scopes
        .iter()
        .filter(|s| s.verdict == Verdict::Excess)
        .map(|s| result.app.scopes[s.index].name.clone())
        .collect();
    for scope in &mut result.scopes {
        scope.implied_by.retain(|name| !excess.contains(name));
    }
    let mut drop: Vec<String> = Vec::new();
    for scope in &result.scopes {
        if scope.verdict == Verdict::Excess {
            let name = scope.canonical.clone().unwrap_or_default();
            if !drop.contains(&name) && !needed_ids.contains(&name) {
                drop.push(name);
            }
        }
    }
    let mut minimal: Vec<String> = needed_ids.into_iter().collect();
    minimal.extend(add.iter().cloned());
    minimal.sort();
    minimal.dedup();
    // Keep only the narrowest: drop anything another member already grants.
    let all = minimal.clone();
    minimal.retain(|m| !all.iter().any(|o| o != m && catalog.covers(o, m)));
    result.minimal = minimal;
    result.drop = drop;
    result.add = add;
    result.missing = missing;
}

fn holds(condition: &Condition, facts: &Facts, target: &Target) -> bool {
    match condition {
        Condition::All(items) => items.iter().all(|c| holds(c, facts, target)),
        Condition::Any(items) => items.iter().any(|c| holds(c, facts, target)),
        Condition::Not(inner) => !holds(inner, facts, target),
        Condition::Is(p) => predicate(p, facts, target),
    }
}

fn holds_ignore(condition: &Condition, state: IgnoreState) -> bool {
    match condition {
        Condition::All(items) => items.iter().all(|c| holds_ignore(c, state)),
        Condition::Any(items) => items.iter().any(|c| holds_ignore(c, state)),
        Condition::Not(inner) => !holds_ignore(inner, state),
        Condition::Is(Predicate::IgnoreState(states)) => states.contains(&state),
        Condition::Is(_) => false,
    }
}

/// The scope a target is about: canonical id (or the raw name), entry, and its analysis.
struct ScopeView<'a> {
    key: String,
    entry: Option<&'a ScopeEntry>,
    analysis: Option<&'a ScopeAnalysis>,
    requirement: Requirement,
    justified: bool,
    forbidden: bool,
    not_allowed: bool,
}

fn scope_view<'a>(facts: &Facts<'a>, target: &Target<'a>) -> Option<ScopeView<'a>> {
    match target {
        Target::Scope(s) => {
            let requested = &facts.app.scopes[s.index];
            Some(ScopeView {
                key: s.canonical.clone().unwrap_or_else(|| requested.name.clone()),
                entry: catalog_entry(facts.catalog, s.canonical.as_deref()),
                analysis: Some(s),
                requirement: requested.requirement,
                justified: requested.justification.is_some(),
                forbidden: s.forbidden,
                not_allowed: s.not_allowed,
            })
        }
        Target::Missing(m) => Some(ScopeView {
            key: m.scope.clone(),
            entry: facts.catalog.resolve(&m.scope),
            analysis: None,
            requirement: Requirement::Required,
            justified: false,
            forbidden: false,
            not_allowed: false,
        }),
        _ => None,
    }
}

fn catalog_entry<'a>(catalog: &'a Catalog, canonical: Option<&str>) -> Option<&'a ScopeEntry> {
    canonical.and_then(|c| catalog.resolve(c))
}

fn predicate(p: &Predicate, facts: &Facts, target: &Target) -> bool {
    let app = facts.app;
    let view = scope_view(facts, target);
    let entry = view.as_ref().and_then(|v| v.entry);
    match p {
        Predicate::Scope(ids) => view.is_some_and(|v| ids.contains(&v.key)),
        Predicate::ScopeMatches(re) => view.is_some_and(|v| re.is_match(&v.key)),
        Predicate::Known(want) => view.is_some() && entry.is_some() == *want,
        Predicate::Access(list) => entry.is_some_and(|e| list.contains(&e.access)),
        Predicate::RiskAtLeast(risk) => entry.is_some_and(|e| e.risk >= *risk),
        Predicate::Sensitivity(list) => entry.is_some_and(|e| list.contains(&e.sensitivity)),
        Predicate::Status(list) => entry.is_some_and(|e| list.contains(&e.status)),
        Predicate::Requirement(list) => view.is_some_and(|v| list.contains(&v.requirement)),
        Predicate::Justified(want) => view.is_some_and(|v| v.justified == *want),
        Predicate::Verdict(list) => view.and_then(|v| v.analysis).is_some_and(|a| list.contains(&a.verdict)),
        Predicate::ImpliedByOther(want) => {
            view.is_some_and(|v| v.analysis.is_some_and(|a| !a.implied_by.is_empty()) == *want)
        }
        Predicate::DuplicateName(want) => {
            view.is_some_and(|v| v.analysis.is_some_and(|a| a.duplicate_of.is_some()) == *want)
        }
        Predicate::ForbiddenByPolicy(want) => view.is_some_and(|v| v.forbidden == *want),
        Predicate::NotAllowedByPolicy(want) => view.is_some_and(|v| v.not_allowed == *want),
        Predicate::AppRequests(ids) => ids.iter().any(|id| facts.requested.contains(id.as_str())),
        Predicate::AppGrants(ids) => ids.iter().any(|id| facts.granted.contains(id)),
        Predicate::HasTools(want) => app.tools.is_empty() != *want,
        Predicate::ToolAccess(list) => app.tools.iter().any(|t| list.contains(&t.access)),
        Predicate::Delegation(list) => app.integration.delegation.is_some_and(|d| list.contains(&d)),
        Predicate::Flow(list) => app.integration.flows.iter().any(|f| list.contains(f)),
        Predicate::InputKind(list) => list.contains(&app.source.kind),
        Predicate::Setting(name, test) => setting_holds(&app.settings.value(name, facts.today), test),
        Predicate::UrlMatches(re) => matches!(target, Target::Url(u) if re.is_match(&u.url)),
        Predicate::IgnoreState(list) => matches!(target, Target::Ignore(_, s) if list.contains(s)),
    }
}

fn setting_holds(value: &SettingValue, test: &SettingTest) -> bool {
    let words: Vec<String> = match value {
        SettingValue::Unset => Vec::new(),
        SettingValue::Bool(b) => vec![b.to_string()],
        SettingValue::Number(n) => vec![n.to_string()],
        SettingValue::Text(t) => vec![t.clone()],
        SettingValue::List(items) => items.clone(),
    };
    match test {
        SettingTest::IsSet(want) => (*value != SettingValue::Unset) == *want,
        SettingTest::Equals(expected) => match (value, expected) {
            (SettingValue::Bool(b), serde_json::Value::Bool(e)) => b == e,
            (_, serde_json::Value::String(e)) => words.iter().any(|w| w.eq_ignore_ascii_case(e)),
            _ => false,
        },
        // A refresh-token policy `specific_lifetime:3:DAYS` is `in: [specific_lifetime]`.
        SettingTest::In(items) => words.iter().any(|w| {
            items.iter().any(|i| {
                w.eq_ignore_ascii_case(i)
                    || w.len() > i.len()
                        && w.is_char_boundary(i.len())
                        && w[..i.len()].eq_ignore_ascii_case(i)
                        && w[i.len()..].starts_with(':')
            })
        }),
        SettingTest::AnyMatches(re) => !matches!(value, SettingValue::Bool(_)) && words.iter().any(|w| re.is_match(w)),
        SettingTest::CountAtLeast(n) => words.len() >= *n,
        SettingTest::AtLeast(n) => matches!(value, SettingValue::Number(v) if v >= n),
        SettingTest::AtMost(n) => matches!(value, SettingValue::Number(v) if v <= n),
    }
}

fn placeholder(name: &str, facts: &Facts, target: &Target) -> String {
    let app = facts.app;
    if let Some(setting) = name.strip_prefix("setting:") {
        return app.settings.value(setting, facts.today).to_string();
    }
    let view = scope_view(facts, target);
    let entry = view.as_ref().and_then(|v| v.entry);
    let analysis = view.as_ref().and_then(|v| v.analysis);
    let list = |items: &[String]| items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    match name {
        "app" => app.name.clone(),
        "platform" => app.platform.display_name().to_string(),
        "scope" => view.as_ref().map(|v| v.key.clone()).unwrap_or_default(),
        "name" => match target {
            Target::Scope(s) => app.scopes[s.index].name.clone(),
            Target::Missing(m) => m.scope.clone(),
            _ => String::new(),
        },
        "title" => entry.map_or_else(|| "unknown scope".to_string(), |e| e.title.clone()),
        "risk" => entry.map_or_else(|| "unknown".to_string(), |e| e.risk.to_string()),
        "access" => entry.map_or_else(|| "unknown".to_string(), |e| e.access.as_str().to_string()),
        "status" => entry.map_or_else(|| "unknown".to_string(), |e| e.status.as_str().to_string()),
        "grants" => entry.map_or_else(String::new, |e| e.grants.trim().to_string()),
        "implied_by" => analysis.map_or_else(String::new, |a| list(&a.implied_by)),
        "replaced_by" => match entry {
            Some(e) if !e.replaced_by.is_empty() => list(&e.replaced_by),
            Some(_) => "none listed yet".to_string(),
            None => String::new(),
        },
        "suggestion" => match target {
            Target::Scope(s) if s.canonical.is_none() => {
                let name = &app.scopes[s.index].name;
                let other = facts.catalogs.get(app.platform.other());
                match other.resolve(name) {
                    Some(e) => format!(
                        " It is a {} scope (`{}`): is the app's platform right?",
                        other.platform.display_name(),
                        e.id
                    ),
                    None => facts
                        .catalog
                        .suggest(name)
                        .map_or_else(String::new, |id| format!(" Did you mean `{id}`?")),
                }
            }
            _ => String::new(),
        },
        "needed_by" => match target {
            Target::Missing(m) => m.needed_by.join("; "),
            _ => analysis.map_or_else(String::new, |a| a.needed_by.join("; ")),
        },
        "excess_reason" => analysis.map_or_else(String::new, |a| a.reason.clone()),
        "duplicate_of" => analysis.and_then(|a| a.duplicate_of.clone()).unwrap_or_default(),
        "url" => match target {
            Target::Url(u) => u.url.clone(),
            _ => String::new(),
        },
        "note" => match target {
            Target::Note(n) => n.message.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

fn ignore_placeholder(name: &str, target: &Target) -> String {
    let Target::Ignore(ignore, _) = target else {
        return String::new();
    };
    match name {
        "ignore_rule" => ignore.rule.clone(),
        "reason" => ignore.reason.clone(),
        "expires" => ignore.expires.map_or_else(|| "never".to_string(), |d| d.to_string()),
        "app" => ignore.app.clone().unwrap_or_else(|| "any app".to_string()),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_follow_score_and_cap_on_critical() {
        assert_eq!(grade(100, false), 'A');
        assert_eq!(grade(86, false), 'B');
        assert_eq!(grade(60, false), 'C');
        assert_eq!(grade(59, false), 'D');
        assert_eq!(grade(39, false), 'F');
        assert_eq!(grade(95, true), 'D');
        assert_eq!(grade(10, true), 'F');
    }

    #[test]
    fn slugs_are_stable() {
        assert_eq!(slug("Bliro GmbH — Meeting AI!"), "bliro-gmbh-meeting-ai");
        assert_eq!(slug("***"), "app");
    }

    #[test]
    fn setting_tests() {
        let policy = SettingValue::Text("specific_lifetime:3:DAYS".into());
        assert!(setting_holds(
            &policy,
            &SettingTest::In(vec!["specific_lifetime".into()])
        ));
        assert!(!setting_holds(&policy, &SettingTest::In(vec!["specific".into()])));
        assert!(setting_holds(
            &SettingValue::Bool(false),
            &SettingTest::Equals(serde_json::Value::Bool(false))
        ));
        assert!(!setting_holds(
            &SettingValue::Unset,
            &SettingTest::Equals(serde_json::Value::Bool(false))
        ));
        assert!(setting_holds(
            &SettingValue::List(vec!["a".into(), "b".into()]),
            &SettingTest::CountAtLeast(2)
        ));
    }
}
