//! Waivers: the policy's `ignore` entries suppress matching findings until they expire, and
//! rules about the waivers themselves report the expired and the unused.

use super::conditions::{holds, ignore_placeholder, ignore_predicate};
use super::{slug, Engine, Suppressed};
use crate::analysis::AppResult;
use crate::finding::{fingerprint, Finding, Location};
use crate::model::App;
use crate::policy::Ignore;
use crate::rule::{render_template, IgnoreState, Subject};
use crate::untrusted::{capped, MAX_REPEATED_CHARS};
use std::collections::HashMap;

impl Engine<'_> {
    /// Applies the policy's ignores. Returns the findings still in force, the suppressed ones,
    /// and the state of each ignore (None when it was used and is in force).
    pub(super) fn suppress(
        &self,
        findings: Vec<Finding>,
        results: &[AppResult],
    ) -> (Vec<Finding>, Vec<Suppressed>, Vec<Option<IgnoreState>>) {
        let apps: HashMap<&str, &App> = results.iter().map(|r| (r.id.as_str(), &r.app)).collect();
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
                if !ignore_matches(ignore, &finding, &apps) {
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

    pub(super) fn ignore_findings(&self, states: &[Option<IgnoreState>]) -> Vec<Finding> {
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
                if !holds(&rule.when, &|p| ignore_predicate(p, state)) {
                    continue;
                }
                let message = render_template(&rule.message, &|name| {
                    capped(&ignore_placeholder(name, ignore), MAX_REPEATED_CHARS).into_owned()
                });
                let subject = format!(
                    "{}|{}|{}",
                    ignore.rule,
                    ignore.app.as_deref().unwrap_or(""),
                    ignore.scope.as_deref().unwrap_or("")
                );
                out.push(Finding {
                    scope: ignore.scope.clone(),
                    ..super::finding_without_app(
                        rule,
                        setting.severity.unwrap_or(rule.severity),
                        message,
                        Location::file(path.clone(), ignore.line),
                        fingerprint(&[&rule.id, "policy", &subject]),
                    )
                });
            }
        }
        out
    }
}

fn ignore_matches(ignore: &Ignore, finding: &Finding, apps: &HashMap<&str, &App>) -> bool {
    if ignore.rule != finding.rule || finding.app.is_none() {
        return false;
    }
    let app_ok = ignore.app.as_deref().is_none_or(|want| {
        let id = finding.app.as_deref().unwrap_or("");
        // Match the app's identity (API name, client id, uid: it survives a new label), its
        // report id, or its display name (the id's slug).
        let identity = apps.get(id).map(|a| a.identity.value.as_str());
        identity.is_some_and(|v| v.eq_ignore_ascii_case(want))
            || id.eq_ignore_ascii_case(want)
            || id.rsplit('/').next().is_some_and(|s| s == slug(want))
    });
    let code_ok = ignore.code.is_none_or(|want| finding.code == Some(want));
    let scope_ok = ignore
        .scope
        .as_deref()
        .is_none_or(|want| finding.scope.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(want)));
    app_ok && code_ok && scope_ok
}
