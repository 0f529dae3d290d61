//! Findings about approved manifests (`--approved DIR`) that match no audited app: the
//! approval may be stale (the app was uninstalled or renamed). They belong to no audited app,
//! so each rule about them runs once per such manifest and points at the manifest itself.

use super::conditions::holds;
use super::Engine;
use crate::finding::{fingerprint, Finding, Location};
use crate::rule::{render_template, Subject};
use crate::untrusted::{capped, MAX_REPEATED_CHARS};

impl Engine<'_> {
    pub(super) fn unmatched_approval_findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for rule in &self.rules.rules {
            if rule.subject != Subject::ApprovalUnmatched {
                continue;
            }
            let setting = self.policy.rules.get(&rule.id).copied().unwrap_or_default();
            if setting.disabled {
                continue;
            }
            let severity = setting.severity.unwrap_or(rule.severity);
            for unmatched in self.approvals_unmatched {
                let manifest = &unmatched.manifest;
                // Nothing to test about a manifest that matched nothing: only all/any/not.
                if !rule.applies_to(manifest.platform) || !holds(&rule.when, &|_| false) {
                    continue;
                }
                out.push(unmatched_finding(rule, severity, unmatched));
            }
        }
        out
    }
}

fn unmatched_finding(
    rule: &crate::rule::Rule,
    severity: crate::finding::Severity,
    unmatched: &crate::approval::Unmatched,
) -> Finding {
    let manifest = &unmatched.manifest;
    let message = render_template(&rule.message, &|name| {
        let value = match name {
            "app" => manifest.name.clone(),
            "platform" => manifest.platform.display_name().to_string(),
            "approval:manifest" => manifest.source.path.clone(),
            // Our own words, which cap the manifest's value they quote.
            "approval:reason" => return unmatched.reason.clone(),
            _ => String::new(),
        };
        capped(&value, MAX_REPEATED_CHARS).into_owned()
    });
    super::finding_without_app(
        rule,
        severity,
        message,
        Location::file(manifest.source.path.clone(), manifest.at.map(|p| p.line)),
        fingerprint(&[
            &rule.id,
            manifest.platform.as_str(),
            &format!("approval:{}", manifest.identity.key()),
        ]),
    )
}
