//! Findings about an org pull as a whole: the apps no longer installed that still have
//! tokens, and the credential the audit ran with. They belong to no app, so each rule about
//! them runs once per pull (`org`) or once per uninstalled app (`uninstalled_app`). The facts
//! come from the [`OrgSummary`] alone; where they came from (a live org or a snapshot file)
//! only decides where the finding points.

use super::conditions::holds;
use super::Engine;
use crate::finding::{fingerprint, Finding, Location};
use crate::model::org::{AuditCredential, OrgSummary, UninstalledApp};
use crate::model::Platform;
use crate::org::credentials::Flow;
use crate::rule::{render_template, OrgCount, Predicate, Rule, Subject};
use crate::untrusted::{capped, MAX_REPEATED_CHARS};

/// What the auditing credential can do beyond what the audit needs, one phrase per scope.
pub fn credential_excess(credential: &AuditCredential) -> Vec<String> {
    let Some(scopes) = &credential.scopes else {
        return Vec::new();
    };
    // An unknown flow: judged as one that does not refresh (the stricter reading).
    let flow = Flow::parse(&credential.flow).unwrap_or(Flow::AccessToken);
    crate::org::token::audit_credential_scope(flow, scopes)
        .into_iter()
        .map(|f| f.message)
        .collect()
}

enum OrgTarget<'a> {
    Org,
    Uninstalled(&'a UninstalledApp),
}

impl Engine<'_> {
    pub(super) fn org_findings(&self) -> Vec<Finding> {
        let Some(org) = self.org else {
            return Vec::new();
        };
        let excess = org.credential.as_ref().map(credential_excess).unwrap_or_default();
        let mut out = Vec::new();
        for rule in &self.rules.rules {
            let setting = self.policy.rules.get(&rule.id).copied().unwrap_or_default();
            if setting.disabled || !rule.applies_to(Platform::Salesforce) {
                continue;
            }
            let severity = setting.severity.unwrap_or(rule.severity);
            let targets: Vec<OrgTarget> = match rule.subject {
                Subject::Org => vec![OrgTarget::Org],
                Subject::UninstalledApp => org.uninstalled_apps.iter().map(OrgTarget::Uninstalled).collect(),
                _ => continue,
            };
            for target in targets {
                let leaf = |p: &Predicate| match (p, &target) {
                    (Predicate::CredentialTooBroad(want), OrgTarget::Org) => excess.is_empty() != *want,
                    (Predicate::OrgCount(count, test), OrgTarget::Uninstalled(u)) => {
                        test.holds(uninstalled_count(u, *count))
                    }
                    _ => false,
                };
                if holds(&rule.when, &leaf) {
                    out.push(org_finding(rule, severity, org, &target, &excess));
                }
            }
        }
        out
    }
}

fn uninstalled_count(app: &UninstalledApp, count: OrgCount) -> u64 {
    match count {
        OrgCount::Tokens => app.tokens,
        OrgCount::Users => app.users,
        _ => 0,
    }
}

fn org_finding(
    rule: &Rule,
    severity: crate::finding::Severity,
    org: &OrgSummary,
    target: &OrgTarget,
    excess: &[String],
) -> Finding {
    let message = render_template(&rule.message, &|name| {
        let value = match (name, target) {
            ("platform", _) => Platform::Salesforce.display_name().to_string(),
            ("app", OrgTarget::Uninstalled(u)) => u.name.clone(),
            ("credential", _) => excess.join("; "),
            ("flow", _) => org.credential.as_ref().map(|c| c.flow.clone()).unwrap_or_default(),
            ("org:stale_days", _) => org.stale_days.to_string(),
            ("org:instance", _) => org.instance_url.clone(),
            ("org:last_used", OrgTarget::Uninstalled(u)) => {
                u.last_used.map_or_else(|| "never".to_string(), |t| t.to_string())
            }
            ("org:tokens", OrgTarget::Uninstalled(u)) => u.tokens.to_string(),
            ("org:users", OrgTarget::Uninstalled(u)) => u.users.to_string(),
            _ => String::new(),
        };
        capped(&value, MAX_REPEATED_CHARS).into_owned()
    });
    let (subject, location, counts) = match target {
        OrgTarget::Org => (
            "org".to_string(),
            match &org.snapshot {
                Some(s) => Location::file(s.path.clone(), s.credential_line),
                None => Location::OrgRecord {
                    instance: org.instance_url.clone(),
                    object: "Organization".to_string(),
                    record_id: Some(org.org_id.clone()).filter(|id| !id.is_empty()),
                    record_name: None,
                },
            },
            Default::default(),
        ),
        OrgTarget::Uninstalled(u) => (
            format!("uninstalled:{}", u.name),
            match &org.snapshot {
                Some(s) => Location::file(s.path.clone(), s.uninstalled_lines.get(&u.name).copied()),
                None => Location::OrgRecord {
                    instance: org.instance_url.clone(),
                    object: "OauthToken".to_string(),
                    record_id: None,
                    record_name: Some(u.name.clone()),
                },
            },
            [("tokens".to_string(), u.tokens), ("users".to_string(), u.users)]
                .into_iter()
                .collect(),
        ),
    };
    Finding {
        counts,
        ..super::finding_without_app(
            rule,
            severity,
            message,
            location,
            // The org, not its instance host: a My Domain rename keeps the alerts.
            fingerprint(&[&rule.id, "salesforce", &format!("org:{}", org.org_id), &subject]),
        )
    }
}
