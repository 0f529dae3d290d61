//! Findings about apps: every rule that applies to the app's platform, evaluated on each of
//! its subjects, with the location of what the finding is about.

use super::conditions::{holds, org_count, placeholder, predicate, scope_risk, Facts, Target};
use super::Engine;
use crate::analysis::AppResult;
use crate::finding::{fingerprint, Finding, Location, Severity};
use crate::model::org::OrgAppKind;
use crate::model::{App, InputKind, Pos, Setting};
use crate::rule::{render_template, Rule, SeverityFrom, Subject};
use crate::untrusted::{capped, MAX_REPEATED_CHARS};
use std::collections::BTreeSet;

impl Engine<'_> {
    pub(super) fn app_findings(&self, result: &AppResult) -> Vec<Finding> {
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
            org: self.org,
        };
        let mut out = Vec::new();
        for rule in &self.rules.rules {
            let setting = self.policy.rules.get(&rule.id).copied().unwrap_or_default();
            if setting.disabled || !rule.applies_to(app.platform) {
                continue;
            }
            let severity = setting.severity.unwrap_or(rule.severity);
            let mut emit = |target: Target| {
                // A kind of input note may be set apart: `config-anomaly/repeated` in the policy.
                let mut severity = severity;
                if let Target::Note(n) = target {
                    let kind = format!("{}/{}", rule.id, n.code.as_str());
                    if let Some(of_kind) = self.policy.rules.get(&kind) {
                        if of_kind.disabled {
                            return;
                        }
                        severity = of_kind.severity.unwrap_or(severity);
                    }
                }
                if holds(&rule.when, &|p| predicate(p, &facts, &target)) {
                    // A rule set to follow the scope's risk does so unless the policy fixed a
                    // severity for it.
                    let severity = match (rule.severity_from, setting.severity, &target) {
                        (Some(SeverityFrom::ScopeRisk), None, Target::Scope(_) | Target::Missing(_)) => {
                            scope_risk(&facts, &target).map_or(severity, Severity::from)
                        }
                        (Some(SeverityFrom::TokenActivity), None, _) => match app.org.as_deref() {
                            Some(o) if o.tokens == o.stale_tokens && o.preauthorized.is_empty() => Severity::Low,
                            _ => severity,
                        },
                        _ => severity,
                    };
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
                // Evaluated once per pull, not per app (`org_findings`).
                Subject::Ignore | Subject::Org | Subject::UninstalledApp | Subject::ApprovalUnmatched => {}
            }
        }
        self.drop_superseded(out)
    }

    /// One problem, one finding: where a rule and a rule it supersedes both fire on the same
    /// scope (or both on the app), only the more specific one is kept.
    fn drop_superseded(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let superseding: BTreeSet<(&str, Option<&str>)> = findings
            .iter()
            .filter_map(|f| self.rules.get(&f.rule).map(|r| (r, f.scope.as_deref())))
            .flat_map(|(r, scope)| r.supersedes.iter().map(move |s| (s.as_str(), scope)))
            .collect();
        let keep: Vec<bool> = findings
            .iter()
            .map(|f| !superseding.contains(&(f.rule.as_str(), f.scope.as_deref())))
            .collect();
        findings
            .into_iter()
            .zip(keep)
            .filter_map(|(f, k)| k.then_some(f))
            .collect()
    }

    fn finding(&self, rule: &Rule, severity: Severity, facts: &Facts, target: &Target) -> Finding {
        let app = facts.app;
        let (scope, subject_key, at) = match target {
            Target::App => {
                // The most specific place the condition is about: a setting it tests, the flows,
                // how the app connects, its tools; else where the app is declared.
                let when = &rule.when;
                let integration = || {
                    if when.tests_flows() {
                        app.integration.flows_at.or(app.integration_at)
                    } else if when.tests_integration() {
                        app.integration_at
                    } else {
                        None
                    }
                };
                // A policy weaker than approved: the first weakened setting's line.
                let weakened = || match (&app.approval, when.tests_approval_policy()) {
                    (crate::model::ApprovalState::Approved(a), true) => crate::approval::weakened(app, a)
                        .iter()
                        .find_map(|(s, _)| app.settings.position(*s)),
                    _ => None,
                };
                let at = when
                    .settings()
                    .iter()
                    .find_map(|s| app.settings.position(*s))
                    .or_else(weakened)
                    .or_else(integration)
                    .or_else(|| when.tests_tools().then_some(app.tools_at).flatten())
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
                u.at.or_else(|| app.settings.position(Setting::CallbackUrls)).or(app.at),
            ),
            Target::Note(n) => (None, n.message.clone(), n.at.or(app.at)),
        };
        // A value a message repeats is capped: a megabyte-long name must not grow every finding.
        let message = render_template(&rule.message, &|name| {
            capped(&placeholder(name, facts, target), MAX_REPEATED_CHARS).into_owned()
        });
        // The identity, not the label: renaming an app keeps its findings' fingerprints.
        let app_key = app.identity.key();
        Finding {
            rule: rule.id.clone(),
            severity,
            app: Some(facts.result.id.clone()),
            scope,
            code: match target {
                Target::Note(n) => Some(n.code),
                _ => None,
            },
            message,
            remediation: rule.remediation.trim().to_string(),
            location: app_location(app, at),
            fingerprint: fingerprint(&[&rule.id, app.platform.as_str(), &app_key, &subject_key]),
            counts: match app.org.as_deref() {
                Some(usage) => rule
                    .when
                    .org_counts()
                    .into_iter()
                    .map(|c| (c.as_str().to_string(), org_count(usage, c)))
                    .collect(),
                None => Default::default(),
            },
        }
    }
}

/// Where a finding about an app points: a place in its file, or, for an app read from a live
/// org, its record there (a line in the org means nothing).
fn app_location(app: &App, at: Option<Pos>) -> Location {
    match (app.source.kind, app.org.as_deref()) {
        (InputKind::SalesforceOrg, Some(usage)) => Location::OrgRecord {
            instance: app.source.path.clone(),
            object: match usage.kind {
                OrgAppKind::ConnectedApp => "ConnectedApplication",
                OrgAppKind::ExternalClientApp => "ExternalClientApplication",
            }
            .to_string(),
            record_id: Some(usage.id.clone()),
            record_name: Some(usage.label.clone()),
        },
        _ => Location::file(
            at.map_or(app.source.path.as_str(), |p| app.source.file(p.file)),
            at.map(|p| p.line),
        ),
    }
}
