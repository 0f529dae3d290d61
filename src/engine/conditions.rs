//! Rule conditions and messages evaluated against one target (the app, a scope, a missing
//! scope, a callback URL, an input note, or a policy waiver). One walker serves every subject;
//! which predicates and placeholders a subject may use is checked when the rule is loaded.

use crate::analysis::{AppResult, MissingScope, ScopeAnalysis};
use crate::catalog::{Catalog, Catalogs, ScopeEntry};
use crate::model::org::{ConfigRead, OrgSummary, OrgUsage};
use crate::model::{
    App, Approval, ApprovalState, CallbackUrl, Date, MatchKey, Note, PlatformDefault, Requirement, Setting,
    SettingValue,
};
use crate::policy::Ignore;
use crate::rule::{ApprovalStatus, Condition, IgnoreState, OrgCount, Predicate, SettingTest};
use std::collections::BTreeSet;
use strum::VariantArray as _;

/// Everything rules can ask about one app.
pub(super) struct Facts<'a> {
    pub(super) app: &'a App,
    pub(super) catalog: &'a Catalog,
    /// Both catalogs: the other platform's is consulted (and built) only to explain an
    /// unknown scope that belongs to it.
    pub(super) catalogs: &'a Catalogs,
    pub(super) result: &'a AppResult,
    pub(super) requested: BTreeSet<&'a str>,
    pub(super) granted: BTreeSet<String>,
    pub(super) today: Date,
    /// The org pull the app came from, if any.
    pub(super) org: Option<&'a OrgSummary>,
}

/// What one evaluation of a rule is about.
pub(super) enum Target<'a> {
    App,
    Scope(&'a ScopeAnalysis),
    Missing(&'a MissingScope),
    Url(&'a CallbackUrl),
    Note(&'a Note),
}

/// Whether `condition` holds, with `leaf` deciding each predicate: the same walk for every
/// subject.
pub(super) fn holds(condition: &Condition, leaf: &dyn Fn(&Predicate) -> bool) -> bool {
    match condition {
        Condition::All(items) => items.iter().all(|c| holds(c, leaf)),
        Condition::Any(items) => items.iter().any(|c| holds(c, leaf)),
        Condition::Not(inner) => !holds(inner, leaf),
        Condition::Is(p) => leaf(p),
    }
}

/// A predicate about an app or one of its scopes, URLs or notes.
pub(super) fn predicate(p: &Predicate, facts: &Facts, target: &Target) -> bool {
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
        Predicate::NeededForWrite(want) => {
            view.is_some_and(|v| v.analysis.is_some_and(|a| a.needed_for_write) == *want)
        }
        Predicate::ServesANeed(want) => {
            view.is_some_and(|v| v.analysis.is_some_and(|a| !a.needed_by.is_empty()) == *want)
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
        Predicate::Setting(setting, test) => {
            // What the configuration leaves out takes the platform's default, except for the
            // question whether it is stated at all.
            let value = match test {
                SettingTest::IsSet(_) => app.settings.value(*setting, facts.today),
                _ => match setting_state(app, *setting, facts.today) {
                    SettingState::Stated(value) => value,
                    SettingState::Defaulted(default) => default.value,
                },
            };
            setting_holds(&value, test)
        }
        Predicate::UrlMatches(re) => matches!(target, Target::Url(u) if re.is_match(&u.url)),
        // Only a rule about waivers asks this, and it is refused for every other subject at load.
        Predicate::IgnoreState(_) => false,
        Predicate::OrgApp(want) => app.org.is_some() == *want,
        Predicate::OrgConfigRead(want) => app
            .org
            .as_ref()
            .is_some_and(|o| (o.config == ConfigRead::Read) == *want),
        Predicate::OrgCount(count, test) => app.org.as_ref().is_some_and(|o| test.holds(org_count(o, *count))),
        Predicate::PermittedUsers(list) => app
            .org
            .as_ref()
            .and_then(|o| o.permitted_users)
            .is_some_and(|p| list.contains(&p)),
        // Only a rule about the org asks this (checked at load).
        Predicate::CredentialTooBroad(_) => false,
        Predicate::Approval(list) => approval_status(app).is_some_and(|s| list.contains(&s)),
        Predicate::ApprovedScope(want) => match (&app.approval, &view) {
            (ApprovalState::Approved(a), Some(v)) => a.grants(&v.key) == *want,
            _ => false,
        },
        Predicate::WeakerThanApproved(want) => match &app.approval {
            ApprovalState::Approved(a) => crate::approval::weaker(app, a).is_empty() != *want,
            _ => false,
        },
        Predicate::ApprovedUnrequested(want) => match &app.approval {
            ApprovalState::Approved(a) => unrequested(facts, a).is_empty() != *want,
            _ => false,
        },
    }
}

/// Where the app stands against the approved manifests; None when they were not consulted.
fn approval_status(app: &App) -> Option<ApprovalStatus> {
    match &app.approval {
        ApprovalState::NotChecked => None,
        ApprovalState::Unapproved => Some(ApprovalStatus::Unapproved),
        ApprovalState::Approved(a) if a.matched_by == MatchKey::Label => Some(ApprovalStatus::ByLabel),
        ApprovalState::Approved(_) => Some(ApprovalStatus::Approved),
    }
}

/// The approved scopes the app no longer requests, in the approval's order. A scope the app
/// still reaches through a broader one it requests is not gone (the broader one is
/// `exceeds-approval`).
fn unrequested(facts: &Facts, approval: &Approval) -> Vec<String> {
    crate::approval::compare_scopes(facts.app, approval, &facts.result.scopes, facts.catalog)
        .into_iter()
        .filter(crate::approval::ScopeSide::unrequested)
        .map(|s| s.scope)
        .collect()
}

/// An `{approval:NAME}` placeholder.
fn approval_placeholder(name: &str, facts: &Facts) -> String {
    let ApprovalState::Approved(approval) = &facts.app.approval else {
        return String::new();
    };
    match name {
        "manifest" => approval.manifest.clone(),
        "matched_by" => approval.matched_by.as_str().to_string(),
        "weaker" => crate::approval::weaker(facts.app, approval).join("; "),
        "unrequested" => unrequested(facts, approval)
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// One count of an org app's usage.
pub(super) fn org_count(usage: &OrgUsage, count: OrgCount) -> u64 {
    match count {
        OrgCount::Tokens => usage.tokens,
        OrgCount::Users => usage.users,
        OrgCount::UseCount => usage.use_count,
        OrgCount::StaleTokens => usage.stale_tokens,
        OrgCount::InactiveUserTokens => usage.inactive_user_tokens,
        OrgCount::PrivilegedUserTokens => usage.privileged_user_tokens,
        OrgCount::PreauthorizedGrants => {
            (usage.preauthorized.profiles.len() + usage.preauthorized.permission_sets.len()) as u64
        }
        OrgCount::PreauthorizedUsersActive => usage.preauthorized.users_active,
        OrgCount::PreauthorizedUsersAll => usage.preauthorized.users_all,
    }
}

/// An `{org:NAME}` placeholder of an org app's message.
fn org_placeholder(name: &str, app: &App, org: Option<&OrgSummary>) -> String {
    let Some(usage) = app.org.as_deref() else {
        return String::new();
    };
    if let Some(count) = OrgCount::VARIANTS.iter().find(|c| c.as_str() == name) {
        return org_count(usage, *count).to_string();
    }
    match name {
        "stale_days" => org.map_or_else(String::new, |o| o.stale_days.to_string()),
        "instance" => org.map_or_else(String::new, |o| o.instance_url.clone()),
        "last_used" => usage.last_used.map_or_else(|| "never".to_string(), |t| t.to_string()),
        "preauthorized" => {
            let names: Vec<String> = usage
                .preauthorized
                .profiles
                .iter()
                .map(|p| format!("profile `{p}`"))
                .chain(
                    usage
                        .preauthorized
                        .permission_sets
                        .iter()
                        .map(|p| format!("permission set `{p}`")),
                )
                .collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                crate::analysis::join_reasons(&names)
            }
        }
        "config" => match &usage.config {
            ConfigRead::Read => "read".to_string(),
            ConfigRead::Unread(reason) => reason.clone(),
        },
        _ => String::new(),
    }
}

/// A predicate about a policy waiver: the only kind a waiver rule may test (checked at load).
pub(super) fn ignore_predicate(p: &Predicate, state: IgnoreState) -> bool {
    matches!(p, Predicate::IgnoreState(states) if states.contains(&state))
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

/// The catalog's risk tier of the scope a target is about, if it is a known scope.
pub(super) fn scope_risk(facts: &Facts, target: &Target) -> Option<crate::catalog::Risk> {
    scope_view(facts, target).and_then(|v| v.entry).map(|e| e.risk)
}

fn catalog_entry<'a>(catalog: &'a Catalog, canonical: Option<&str>) -> Option<&'a ScopeEntry> {
    canonical.and_then(|c| catalog.resolve(c))
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

/// A setting as the app states it, or the platform's default for it.
enum SettingState {
    Stated(SettingValue),
    Defaulted(PlatformDefault),
}

/// The setting's value, or, where the app's configuration leaves it out, the platform's
/// default: only for inputs that describe the configuration, with OAuth enabled.
fn setting_state(app: &App, setting: Setting, today: Date) -> SettingState {
    let value = app.settings.value(setting, today);
    // An org app whose configuration could not be read has unknown settings, not defaults.
    let unread = app.org.as_ref().is_some_and(|o| o.config != ConfigRead::Read);
    if value != SettingValue::Unset
        || unread
        || !app.source.kind.describes_configuration()
        || app.settings.oauth_enabled == Some(false)
    {
        return SettingState::Stated(value);
    }
    match setting.platform_default(app.platform) {
        Some(default) => SettingState::Defaulted(default),
        None => SettingState::Stated(value),
    }
}

pub(super) fn placeholder(name: &str, facts: &Facts, target: &Target) -> String {
    let app = facts.app;
    // Checked at load: only a known setting reaches here. A default is named as one, never
    // as if the input stated it.
    if let Some(setting) = name.strip_prefix("setting:").and_then(Setting::parse) {
        return match setting_state(app, setting, facts.today) {
            SettingState::Defaulted(default) => format!("not set: {}", default.meaning),
            // Stated values in the reviewer's words, from the one label table.
            SettingState::Stated(value) => crate::labels::value_label(setting, &value),
        };
    }
    if let Some(name) = name.strip_prefix("org:") {
        return org_placeholder(name, app, facts.org);
    }
    if let Some(name) = name.strip_prefix("approval:") {
        return approval_placeholder(name, facts);
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
            Target::Missing(m) => crate::analysis::join_reasons(&m.needed_by),
            _ => analysis.map_or_else(String::new, |a| crate::analysis::join_reasons(&a.needed_by)),
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

/// A message placeholder of a waiver rule.
pub(super) fn ignore_placeholder(name: &str, ignore: &Ignore) -> String {
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
