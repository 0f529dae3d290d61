//! Evaluation: apps against catalogs, rules and policy, into findings, waivers and grades.
//! The [`crate::session::Session`] drives it. No I/O, nothing async.
//!
//! - `conditions`: rule conditions and message placeholders, one walker for every subject;
//! - `findings`: each rule on each subject of an app, located;
//! - `suppression`: waivers, and findings about expired and unused ones;
//! - [`scoring`]: penalties and grades.

mod approval;
mod conditions;
mod findings;
pub mod org;
pub mod scoring;
mod suppression;

use crate::analysis::{self, AppResult};
use crate::catalog::Catalogs;
use crate::finding::{Finding, Severity};
use crate::model::{App, Date};
use crate::policy::Policy;
use crate::rule::RuleSet;
use scoring::{grade, penalty};
use std::collections::BTreeMap;

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
    /// The org pull the apps came from (live or a snapshot); None for declared apps.
    pub org: Option<&'a crate::model::org::OrgSummary>,
    /// Approved manifests that matched no audited app (`--approved DIR`).
    pub approvals_unmatched: &'a [crate::approval::Unmatched],
}

/// `items` in report order: by app position, then severity (worst first), rule, line and
/// scope of the finding each holds. Positions are computed once per item.
fn in_report_order<T>(items: Vec<T>, finding: fn(&T) -> &Finding, position: &dyn Fn(&Finding) -> usize) -> Vec<T> {
    let mut keyed: Vec<(usize, T)> = items.into_iter().map(|t| (position(finding(&t)), t)).collect();
    keyed.sort_by(|(pa, a), (pb, b)| {
        let (a, b) = (finding(a), finding(b));
        (pa, std::cmp::Reverse(a.severity), &a.rule, a.location.line(), &a.scope).cmp(&(
            pb,
            std::cmp::Reverse(b.severity),
            &b.rule,
            b.location.line(),
            &b.scope,
        ))
    });
    keyed.into_iter().map(|(_, t)| t).collect()
}

/// A finding of `rule` about no app (the org, the policy file, an approved manifest): no
/// scope, input-note code or counts unless the caller adds them.
fn finding_without_app(
    rule: &crate::rule::Rule,
    severity: Severity,
    message: String,
    location: crate::finding::Location,
    fingerprint: String,
) -> Finding {
    Finding {
        rule: rule.id.clone(),
        severity,
        app: None,
        scope: None,
        code: None,
        message,
        remediation: rule.remediation.trim().to_string(),
        location,
        fingerprint,
        counts: Default::default(),
    }
}

pub(crate) fn slug(name: &str) -> String {
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

impl Engine<'_> {
    pub fn evaluate(&self, apps: Vec<App>) -> Evaluation {
        let mut ids = BTreeMap::<String, usize>::new();
        let named: Vec<(String, App)> = apps
            .into_iter()
            .map(|app| {
                let base = format!("{}/{}", app.platform, slug(&app.name));
                let n = ids.entry(base.clone()).or_insert(0);
                *n += 1;
                let id = if *n == 1 { base } else { format!("{base}-{n}") };
                (id, app)
            })
            .collect();
        // Each app is analysed and judged on its own: spread over the cores, kept in order.
        let mut results = crate::parallel::map_owned(named, |(id, app)| {
            let catalog = self.catalogs.get(app.platform);
            analysis::analyze(id, app, catalog, self.policy)
        });
        let mut findings: Vec<Finding> = crate::parallel::map(&results, |result| self.app_findings(result))
            .into_iter()
            .flatten()
            .collect();
        findings.extend(self.org_findings());
        findings.extend(self.unmatched_approval_findings());
        let (mut findings, suppressed, states) = self.suppress(findings, &results);
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
        // Report order: by app (input order), then severity, rule, line and scope. Each
        // finding's app position is looked up once, not once per comparison.
        let order: std::collections::HashMap<&str, usize> =
            results.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        let position = |f: &Finding| {
            f.app
                .as_deref()
                .and_then(|a| order.get(a).copied())
                .unwrap_or(usize::MAX)
        };
        let findings = in_report_order(findings, |f| f, &position);
        let suppressed = in_report_order(suppressed, |s| &s.finding, &position);
        Evaluation {
            apps: results,
            findings,
            suppressed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_stable() {
        assert_eq!(slug("Bliro GmbH — Meeting AI!"), "bliro-gmbh-meeting-ai");
        assert_eq!(slug("***"), "app");
    }
}
