//! The drift gate: what changed between two versions of one app (any two inputs, any
//! formats), and which findings are new. Pure: it compares two evaluations.

use crate::analysis::AppResult;
use crate::catalog::Catalog;
use crate::finding::{FailOn, Finding};
use crate::model::{Date, Setting, SettingValue};
use crate::report::templates::md_escape;
use crate::untrusted::visible;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use strum::VariantArray as _;

#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub name: String,
    pub source: String,
    pub kind: &'static str,
    pub grade: String,
    pub score: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeChange {
    /// The scope as the catalog names it (as written, when unknown).
    pub scope: String,
    pub access: Option<&'static str>,
    pub risk: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// `read_to_write`, `new_write_access`, `offline_access`, `full_access`.
    pub kind: &'static str,
    pub scope: String,
    /// The scope it grows from, for `read_to_write`.
    pub from: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettingChange {
    pub setting: Setting,
    pub old: SettingValue,
    pub new: SettingValue,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffGate {
    pub fail_on: &'static str,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    pub old: Side,
    pub new: Side,
    pub added_scopes: Vec<ScopeChange>,
    pub removed_scopes: Vec<ScopeChange>,
    pub escalations: Vec<Escalation>,
    pub changed_settings: Vec<SettingChange>,
    /// Findings on NEW that OLD does not have (waived ones excluded).
    pub new_findings: Vec<Finding>,
    /// Findings on OLD that NEW no longer has.
    pub resolved_findings: Vec<Finding>,
    /// What the reader of the diff should know first: the two sides look like different apps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub gate: DiffGate,
}

/// A name compared loosely: case, spaces and punctuation aside (`Notable_Meetings` is
/// `Notable Meetings`).
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Why OLD and NEW look like two different apps, when they do: neither their identity (API
/// name, HubSpot uid, client id or label) nor their name matches. A renamed app keeps its
/// identity, and one app read from two formats (a manifest and its connected app) keeps its
/// name, so neither is warned about; nor is an authorize URL beside another kind of input.
pub fn different_apps(old: &AppResult, new: &AppResult) -> Option<String> {
    let (a, b) = (&old.app, &new.app);
    let same_identity = a.identity.key() == b.identity.key();
    let same_name = loose(&a.name) == loose(&b.name)
        || loose(&a.name) == loose(&b.identity.value)
        || loose(&a.identity.value) == loose(&b.name);
    // An authorize URL has no name of its own, only a client id: beside another kind of input
    // there is nothing to compare.
    let url = |app: &crate::model::App| app.source.kind == crate::model::InputKind::AuthorizeUrl;
    let comparable = a.identity.kind == b.identity.kind || !(url(a) || url(b));
    if same_identity || same_name || !comparable {
        return None;
    }
    let who = |app: &crate::model::App| {
        let kind = <&str>::from(app.identity.kind).replace('_', " ");
        if app.identity.value == app.name {
            format!("`{}`", app.name)
        } else {
            format!("`{}` ({kind} `{}`)", app.name, app.identity.value)
        }
    };
    Some(format!(
        "OLD is {} and NEW is {}: they look like different apps, so what changed below may be the difference between two apps rather than two versions of one",
        who(a),
        who(b)
    ))
}

fn side(result: &AppResult) -> Side {
    Side {
        name: result.app.name.clone(),
        source: result.app.source.path.clone(),
        kind: result.app.source.kind.as_str(),
        grade: result.grade.to_string(),
        score: result.score,
    }
}

/// The scopes an app requests, by catalog id (as written when unknown).
fn requested(result: &AppResult) -> BTreeSet<String> {
    result
        .scopes
        .iter()
        .map(|s| {
            s.canonical
                .clone()
                .unwrap_or_else(|| result.app.scopes[s.index].name.clone())
        })
        .collect()
}

fn change(catalog: &Catalog, scope: &str) -> ScopeChange {
    let entry = catalog.resolve(scope);
    ScopeChange {
        scope: scope.to_string(),
        access: entry.map(|e| e.access.as_str()),
        risk: entry.map(|e| e.risk.as_str()),
    }
}

/// A finding's identity across versions: the rule and the scope (by catalog id, so `Api` in
/// XML and `api` in a manifest match), or for findings about no scope, the message with the
/// app's name taken out (a renamed app keeps its findings).
fn key(f: &Finding, app_name: &str) -> (String, Option<String>, String) {
    match &f.scope {
        Some(scope) => (f.rule.clone(), Some(scope.clone()), String::new()),
        None => (f.rule.clone(), None, f.message.replace(app_name, "{app}")),
    }
}

pub struct DiffInput<'a> {
    pub old: &'a AppResult,
    pub old_findings: &'a [Finding],
    pub new: &'a AppResult,
    pub new_findings: &'a [Finding],
    pub catalog: &'a Catalog,
    pub fail_on: FailOn,
    pub today: Date,
}

pub fn compare(input: &DiffInput) -> DiffReport {
    let catalog = input.catalog;
    let old_scopes = requested(input.old);
    let new_scopes = requested(input.new);
    let added: Vec<&String> = new_scopes.difference(&old_scopes).collect();
    let removed: Vec<&String> = old_scopes.difference(&new_scopes).collect();
    let grants =
        |scopes: &BTreeSet<String>| -> BTreeSet<String> { scopes.iter().flat_map(|s| catalog.grants_of(s)).collect() };
    let (old_grants, new_grants) = (grants(&old_scopes), grants(&new_scopes));
    let mut escalations = Vec::new();
    let old_writes = old_scopes.iter().any(|s| catalog.writes(s));
    for scope in &added {
        if !catalog.writes(scope) {
            continue;
        }
        let resource = catalog.resource_of(scope);
        let from = old_scopes
            .iter()
            .find(|o| catalog.resource_of(o) == resource && !catalog.writes(o) && *o != *scope);
        if let Some(from) = from {
            escalations.push(Escalation {
                kind: "read_to_write",
                scope: (*scope).clone(),
                from: Some(from.clone()),
                message: format!("`{from}` grows to `{scope}`: the app can now change what it could only read"),
            });
        } else if !old_writes {
            escalations.push(Escalation {
                kind: "new_write_access",
                scope: (*scope).clone(),
                from: None,
                message: format!("`{scope}` can change data; the old version could only read"),
            });
        }
    }
    let had_offline = old_grants.iter().any(|s| catalog.is_offline(s));
    if let Some(scope) = new_grants
        .iter()
        .find(|s| catalog.is_offline(s))
        .filter(|_| !had_offline)
    {
        escalations.push(Escalation {
            kind: "offline_access",
            scope: scope.clone(),
            from: None,
            message: "newly requests offline access: it can act while users are away".to_string(),
        });
    }
    for scope in added.iter().filter(|s| catalog.is_full(s)) {
        escalations.push(Escalation {
            kind: "full_access",
            scope: (*scope).clone(),
            from: None,
            message: format!("newly requests `{scope}`: everything the user can reach"),
        });
    }
    let changed_settings = Setting::VARIANTS
        .iter()
        .copied()
        // Days left change every day without the app changing.
        .filter(|setting| *setting != Setting::CertificateDaysLeft)
        .filter_map(|setting| {
            let old = input.old.app.settings.value(setting, input.today);
            let new = input.new.app.settings.value(setting, input.today);
            // Whether OAuth is configured at all only means something when both inputs say.
            let unstated =
                setting == Setting::OauthEnabled && (old == SettingValue::Unset || new == SettingValue::Unset);
            (old != new && !unstated).then_some(SettingChange { setting, old, new })
        })
        .collect();
    let old_keys: BTreeSet<_> = input.old_findings.iter().map(|f| key(f, &input.old.app.name)).collect();
    let new_keys: BTreeSet<_> = input.new_findings.iter().map(|f| key(f, &input.new.app.name)).collect();
    let new_findings: Vec<Finding> = input
        .new_findings
        .iter()
        .filter(|f| !old_keys.contains(&key(f, &input.new.app.name)))
        .cloned()
        .collect();
    let resolved_findings = input
        .old_findings
        .iter()
        .filter(|f| !new_keys.contains(&key(f, &input.old.app.name)))
        .cloned()
        .collect();
    let passed = !new_findings.iter().any(|f| input.fail_on.fails(f.severity));
    DiffReport {
        schema_version: 1,
        old: side(input.old),
        new: side(input.new),
        added_scopes: added.iter().map(|s| change(catalog, s)).collect(),
        removed_scopes: removed.iter().map(|s| change(catalog, s)).collect(),
        escalations,
        changed_settings,
        new_findings,
        resolved_findings,
        warnings: different_apps(input.old, input.new).into_iter().collect(),
        gate: DiffGate {
            fail_on: input.fail_on.as_str(),
            passed,
        },
    }
}

impl DiffReport {
    pub fn to_json(&self) -> String {
        // Serializing plain structs cannot fail.
        let mut out = serde_json::to_string_pretty(self).unwrap_or_default();
        out.push('\n');
        out
    }

    /// Plain text for the terminal: every value from input has its hazards made visible.
    pub fn to_text(&self) -> String {
        let v = |text: &str| visible(text).into_owned();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}, grade {}) -> {} ({}, grade {})",
            v(&self.old.name),
            v(&self.old.source),
            self.old.grade,
            v(&self.new.name),
            v(&self.new.source),
            self.new.grade
        );
        for w in &self.warnings {
            let _ = writeln!(out, "  WARNING: {}", v(w));
        }
        let list = |items: &[ScopeChange]| items.iter().map(|s| v(&s.scope)).collect::<Vec<_>>().join(" ");
        let _ = writeln!(out, "  added scopes:   {}", or_none(&list(&self.added_scopes)));
        let _ = writeln!(out, "  removed scopes: {}", or_none(&list(&self.removed_scopes)));
        for e in &self.escalations {
            let _ = writeln!(out, "  ESCALATION {}: {}", e.kind, v(&e.message));
        }
        for s in &self.changed_settings {
            let _ = writeln!(
                out,
                "  setting {}: {} -> {}",
                s.setting,
                v(&s.old.to_string()),
                v(&s.new.to_string())
            );
        }
        let _ = writeln!(out, "\nnew findings ({}):", self.new_findings.len());
        for f in &self.new_findings {
            let _ = writeln!(
                out,
                "  {:8} {}  {}\n           {}",
                f.severity.as_str().to_uppercase(),
                v(&f.rule),
                v(&f.location.to_string()),
                v(&f.message)
            );
        }
        let _ = writeln!(out, "resolved findings: {}", self.resolved_findings.len());
        for f in &self.resolved_findings {
            let _ = writeln!(
                out,
                "  {:8} {}  {}",
                f.severity.as_str().to_uppercase(),
                v(&f.rule),
                v(&f.message)
            );
        }
        let _ = writeln!(
            out,
            "\ndrift gate {} (fail-on {})",
            if self.gate.passed { "passed" } else { "failed" },
            self.gate.fail_on
        );
        out
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = if self.gate.passed {
            "✅ No new finding at or above"
        } else {
            "❌ New findings at or above"
        };
        let _ = writeln!(out, "# Scope drift: {}\n", md_escape(self.new.name.clone()));
        let _ = writeln!(
            out,
            "**{verdict} {}.** Grade {} → {}.\n",
            self.gate.fail_on, self.old.grade, self.new.grade
        );
        for w in &self.warnings {
            let _ = writeln!(out, "> **Warning:** {}\n", md_escape(w.clone()));
        }
        let scopes = |items: &[ScopeChange]| {
            if items.is_empty() {
                "none".to_string()
            } else {
                items
                    .iter()
                    .map(|s| md_escape(s.scope.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(out, "| | |\n|---|---|");
        let _ = writeln!(out, "| Added scopes | {} |", scopes(&self.added_scopes));
        let _ = writeln!(out, "| Removed scopes | {} |", scopes(&self.removed_scopes));
        for e in &self.escalations {
            let _ = writeln!(
                out,
                "| Escalation ({}) | {} |",
                e.kind.replace('_', " "),
                md_escape(e.message.clone())
            );
        }
        for s in &self.changed_settings {
            let _ = writeln!(
                out,
                "| Setting {} | {} → {} |",
                s.setting,
                md_escape(s.old.to_string()),
                md_escape(s.new.to_string())
            );
        }
        let _ = writeln!(out, "\n## New findings ({})\n", self.new_findings.len());
        for f in &self.new_findings {
            let _ = writeln!(
                out,
                "- **{}** `{}` · {}: {}",
                f.severity.as_str().to_uppercase(),
                f.rule,
                md_escape(f.location.to_string()),
                md_escape(f.message.clone())
            );
        }
        if !self.resolved_findings.is_empty() {
            let _ = writeln!(out, "\n## Resolved ({})\n", self.resolved_findings.len());
            for f in &self.resolved_findings {
                let _ = writeln!(out, "- ~~`{}`: {}~~", f.rule, md_escape(f.message.clone()));
            }
        }
        out
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "none"
    } else {
        s
    }
}
