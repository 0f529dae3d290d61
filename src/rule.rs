//! Rules as data: one YAML file per rule, loaded into a closed condition type and validated
//! against the catalogs before anything is evaluated.

use crate::catalog::{Access, Catalogs, Risk, Sensitivity, Status};
use crate::finding::Severity;
use crate::model::{Delegation, Flow, InputKind, Platform, Requirement, Setting, ToolAccess};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use strum::VariantArray as _;

/// What one finding of a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Once per app.
    App,
    /// Once per requested scope.
    Scope,
    /// Once per scope the declared tools need but the app does not request.
    MissingScope,
    /// Once per callback (redirect) URL.
    CallbackUrl,
    /// Once per note the input reader made about the input itself.
    #[serde(rename = "input_note")]
    #[strum(serialize = "input_note")]
    Note,
    /// Once per `ignore` entry of the policy file.
    Ignore,
    /// Once per org pull (live or a snapshot): the org as a whole and the audit's set-up.
    Org,
    /// Once per app of an org pull that is no longer installed but still has tokens.
    UninstalledApp,
    /// Once per approved manifest (`--approved DIR`) that matches no audited app.
    ApprovalUnmatched,
}

/// Where an app stands against the approved manifests (`approval:` in a rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ApprovalStatus {
    /// Matched by an approved manifest's own identifiers.
    Approved,
    /// Matched by an approved manifest, by label only (the last resort).
    ByLabel,
    /// Checked (`--approved` given), and no approved manifest matches it.
    Unapproved,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What an approval placeholder (`{approval:NAME}`) may name.
pub const APPROVAL_PLACEHOLDERS: [&str; 4] = ["manifest", "matched_by", "weaker", "unrequested"];

/// What an approval placeholder may name in a message about an approved manifest that matched
/// nothing: its file, and why it matched nothing (`the approval may be stale`, or why its key
/// can match no app).
pub const UNMATCHED_APPROVAL_PLACEHOLDERS: [&str; 2] = ["manifest", "reason"];

/// A count of an org app's usage (or of an uninstalled app's tokens) a rule may test and a
/// message may quote (`{org:stale_tokens}`). Spellings are the JSON `org` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum OrgCount {
    Tokens,
    Users,
    UseCount,
    StaleTokens,
    InactiveUserTokens,
    PrivilegedUserTokens,
    /// Profiles and permission sets pre-authorized (SetupEntityAccess rows).
    PreauthorizedGrants,
    /// Distinct active users those cover.
    PreauthorizedUsersActive,
    /// Distinct users, active or not.
    PreauthorizedUsersAll,
}

impl OrgCount {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether an uninstalled app has this count (it has tokens and users only).
    pub fn of_uninstalled_app(self) -> bool {
        matches!(self, OrgCount::Tokens | OrgCount::Users)
    }
}

/// A test of an [`OrgCount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountTest {
    AtLeast(u64),
    AtMost(u64),
}

impl CountTest {
    pub fn holds(self, n: u64) -> bool {
        match self {
            CountTest::AtLeast(min) => n >= min,
            CountTest::AtMost(max) => n <= max,
        }
    }
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The least-privilege verdict on a requested scope.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Needed,
    Excess,
    Unjustified,
    Unknown,
    /// A second name for a scope the app already requests (`offline_access` beside
    /// `refresh_token`): it adds nothing, whatever the first one's verdict.
    Duplicate,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreState {
    Expired,
    Unused,
}

/// A regular expression compiled on first use. Compiling the rules' patterns costs more than
/// the rest of start-up, and most runs evaluate few of them.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    /// Patterns that are only a literal (`^full$`, `(?i)^http://`, `\*`) are matched without
    /// building a regex: compiling one costs more than a whole small audit.
    literal: Option<Literal>,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Literal {
    text: String,
    ignore_case: bool,
    start: bool,
    end: bool,
}

impl Literal {
    /// The literal a pattern stands for, when it has no regex operator but anchors and escaped
    /// punctuation.
    fn of(pattern: &str) -> Option<Literal> {
        let (ignore_case, rest) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let (start, rest) = match rest.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (end, rest) = match rest.strip_suffix('$') {
            Some(rest) if !rest.ends_with('\\') => (true, rest),
            _ => (false, rest),
        };
        let mut text = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e) if e.is_ascii_punctuation() => text.push(e),
                    _ => return None,
                },
                '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => return None,
                c => text.push(c),
            }
        }
        // Case folding beyond ASCII is the regex engine's job.
        if ignore_case && !text.is_ascii() {
            return None;
        }
        Some(Literal {
            text,
            ignore_case,
            start,
            end,
        })
    }

    fn is_match(&self, haystack: &str) -> bool {
        let (hay, needle) = if self.ignore_case {
            (haystack.to_ascii_lowercase(), self.text.to_ascii_lowercase())
        } else {
            (haystack.to_string(), self.text.clone())
        };
        match (self.start, self.end) {
            (true, true) => hay == needle,
            (true, false) => hay.starts_with(&needle),
            (false, true) => hay.ends_with(&needle),
            (false, false) => hay.contains(&needle),
        }
    }
}

impl Pattern {
    /// `strict` compiles now and reports a bad pattern; otherwise an invalid pattern (which the
    /// data tests rule out for the embedded rules) never matches.
    fn new(text: &str, strict: bool) -> Result<Pattern, regex::Error> {
        let compiled = std::sync::OnceLock::new();
        if strict {
            let _ = compiled.set(Some(Regex::new(text)?));
        }
        Ok(Pattern {
            text: text.to_string(),
            literal: Literal::of(text),
            compiled,
        })
    }

    pub fn is_match(&self, haystack: &str) -> bool {
        if let Some(literal) = &self.literal {
            return literal.is_match(haystack);
        }
        self.compiled
            .get_or_init(|| Regex::new(&self.text).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(haystack))
    }
}

#[derive(Debug, Clone)]
pub enum SettingTest {
    IsSet(bool),
    Equals(Value),
    In(Vec<String>),
    AnyMatches(Pattern),
    CountAtLeast(usize),
    /// A number (days, addresses) at least / at most this.
    AtLeast(i64),
    AtMost(i64),
}

/// The closed set of predicates a rule condition may use.
#[derive(Debug, Clone)]
pub enum Predicate {
    Scope(BTreeSet<String>),
    ScopeMatches(Pattern),
    Known(bool),
    Access(Vec<Access>),
    RiskAtLeast(Risk),
    Sensitivity(Vec<Sensitivity>),
    Status(Vec<Status>),
    Requirement(Vec<Requirement>),
    Justified(bool),
    Verdict(Vec<Verdict>),
    ImpliedByOther(bool),
    DuplicateName(bool),
    /// A declared tool that creates, updates or deletes needs the scope.
    NeededForWrite(bool),
    /// A declared tool or integration need uses the scope (even if a narrower one would do).
    ServesANeed(bool),
    ForbiddenByPolicy(bool),
    NotAllowedByPolicy(bool),
    AppRequests(BTreeSet<String>),
    AppGrants(BTreeSet<String>),
    HasTools(bool),
    ToolAccess(Vec<ToolAccess>),
    Delegation(Vec<Delegation>),
    Flow(Vec<Flow>),
    /// The kind of input the app was read from (only a manifest carries justifications).
    InputKind(Vec<InputKind>),
    Setting(Setting, SettingTest),
    UrlMatches(Pattern),
    IgnoreState(Vec<IgnoreState>),
    /// The app was read from an org (live or a snapshot).
    OrgApp(bool),
    /// Its scopes and policies could be read (always false for an app not read from an org).
    OrgConfigRead(bool),
    /// A count of the org app's (or uninstalled app's) usage; false for a declared app.
    OrgCount(OrgCount, CountTest),
    /// Who may use the org app without an admin's say, as the org reports it.
    PermittedUsers(Vec<crate::model::org::PermittedUsers>),
    /// The credential the org audit ran with can do more than the audit needs.
    CredentialTooBroad(bool),
    /// Where the app stands against the approved manifests.
    Approval(Vec<ApprovalStatus>),
    /// Whether the scope is among those the matched approval grants (false only for an
    /// approved app).
    ApprovedScope(bool),
    /// Whether a policy of the app is weaker than its approval states.
    WeakerThanApproved(bool),
    /// Whether the approval grants scopes the app no longer requests.
    ApprovedUnrequested(bool),
}

#[derive(Debug, Clone)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Is(Predicate),
}

impl Condition {
    /// The settings the condition tests, in order: findings point at the first one's line.
    pub fn settings(&self) -> Vec<Setting> {
        let mut out = Vec::new();
        self.walk(&mut |p| {
            if let Predicate::Setting(name, _) = p {
                out.push(*name);
            }
        });
        out
    }

    /// Whether the condition asks about the OAuth flows the app uses.
    pub fn tests_flows(&self) -> bool {
        self.asks(|p| matches!(p, Predicate::Flow(_)))
    }

    /// Whether the condition asks how the app connects (delegation, sign-in needs).
    pub fn tests_integration(&self) -> bool {
        self.asks(|p| matches!(p, Predicate::Delegation(_)))
    }

    /// Whether the condition asks whether a policy is weaker than approved.
    pub fn tests_approval_policy(&self) -> bool {
        self.asks(|p| matches!(p, Predicate::WeakerThanApproved(_)))
    }

    /// Whether the condition asks about the declared tools.
    pub fn tests_tools(&self) -> bool {
        self.asks(|p| matches!(p, Predicate::HasTools(_) | Predicate::ToolAccess(_)))
    }

    /// The org counts the condition tests, in order, without repeats: findings carry them.
    pub fn org_counts(&self) -> Vec<OrgCount> {
        let mut out = Vec::new();
        self.walk(&mut |p| {
            if let Predicate::OrgCount(count, _) = p {
                if !out.contains(count) {
                    out.push(*count);
                }
            }
        });
        out
    }

    /// Whether the condition asks about duplicate names; only such rules see the second name
    /// of an already-requested scope.
    pub fn tests_duplicates(&self) -> bool {
        self.asks(|p| matches!(p, Predicate::DuplicateName(_)))
    }

    /// Whether any predicate of the condition is one `kind` accepts.
    fn asks(&self, kind: impl Fn(&Predicate) -> bool) -> bool {
        let mut found = false;
        self.walk(&mut |p| found |= kind(p));
        found
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Predicate)) {
        match self {
            Condition::All(items) | Condition::Any(items) => items.iter().for_each(|c| c.walk(f)),
            Condition::Not(inner) => inner.walk(f),
            Condition::Is(p) => f(p),
        }
    }
}

/// Predicates about the requested (or missing) scope a rule is evaluated on.
const SCOPE_PREDICATES: [&str; 17] = [
    "scope",
    "scope_matches",
    "known",
    "access",
    "risk_at_least",
    "sensitivity",
    "status",
    "requirement",
    "justified",
    "verdict",
    "implied_by_other",
    "duplicate_name",
    "needed_for_write",
    "serves_a_need",
    "forbidden_by_policy",
    "not_allowed_by_policy",
    "approved_scope",
];
/// Predicates about the app as a whole: any subject that belongs to an app may use them.
const APP_PREDICATES: [&str; 15] = [
    "app_requests",
    "app_grants",
    "has_tools",
    "tool_access",
    "delegation",
    "flow",
    "setting",
    "input_kind",
    "org_app",
    "org_config_read",
    "org_count",
    "permitted_users",
    "approval",
    "weaker_than_approved",
    "approved_unrequested",
];
/// Org-wide placeholders (`{org:NAME}`) beside the counts.
const ORG_PLACEHOLDERS: [&str; 5] = ["stale_days", "last_used", "preauthorized", "config", "instance"];
/// Placeholders about the requested (or missing) scope.
const SCOPE_PLACEHOLDERS: [&str; 13] = [
    "scope",
    "name",
    "title",
    "risk",
    "access",
    "status",
    "grants",
    "implied_by",
    "replaced_by",
    "suggestion",
    "needed_by",
    "excess_reason",
    "duplicate_of",
];

impl Subject {
    /// The one table of what a rule about this subject may test: anything else is refused when
    /// the rule is loaded, never silently false at run time.
    pub fn predicates(self) -> Vec<&'static str> {
        match self {
            Subject::App | Subject::Note => APP_PREDICATES.to_vec(),
            Subject::Scope | Subject::MissingScope => [&SCOPE_PREDICATES[..], &APP_PREDICATES[..]].concat(),
            Subject::CallbackUrl => [&APP_PREDICATES[..], &["url_matches"][..]].concat(),
            // A waiver belongs to the policy file, not to an app.
            Subject::Ignore => vec!["ignore_state"],
            Subject::Org => vec!["credential_too_broad"],
            Subject::UninstalledApp => vec!["org_count"],
            // Nothing to test: the manifest matched nothing.
            Subject::ApprovalUnmatched => vec![],
        }
    }

    /// The placeholders its message may use. `{setting:NAME}` is allowed wherever app
    /// predicates are.
    pub fn placeholders(self) -> Vec<&'static str> {
        match self {
            Subject::App => vec!["app", "platform"],
            Subject::Scope | Subject::MissingScope => [&["app", "platform"][..], &SCOPE_PLACEHOLDERS[..]].concat(),
            Subject::CallbackUrl => vec!["app", "platform", "url"],
            Subject::Note => vec!["app", "platform", "note"],
            // `{app}` of a waiver is the app it names, or "any app".
            Subject::Ignore => vec!["app", "ignore_rule", "reason", "expires"],
            // `{credential}`: what the auditing credential can do beyond the audit's needs.
            Subject::Org => vec!["platform", "credential", "flow"],
            // `{app}` of an uninstalled app is the label its tokens carry.
            Subject::UninstalledApp => vec!["app", "platform"],
            // `{app}` is the approved manifest's label, `{approval:manifest}` its file,
            // `{approval:reason}` why it matched nothing.
            Subject::ApprovalUnmatched => vec!["app", "platform"],
        }
    }

    fn has_app(self) -> bool {
        !matches!(
            self,
            Subject::Ignore | Subject::Org | Subject::UninstalledApp | Subject::ApprovalUnmatched
        )
    }

    /// Whether `{org:NAME}` may appear in its messages.
    fn org_placeholder_ok(self, name: &str) -> bool {
        let count = OrgCount::VARIANTS.iter().find(|c| c.as_str() == name);
        match self {
            Subject::Ignore | Subject::ApprovalUnmatched => false,
            Subject::Org => matches!(name, "stale_days" | "instance"),
            Subject::UninstalledApp => {
                count.is_some_and(|c| c.of_uninstalled_app()) || matches!(name, "stale_days" | "last_used" | "instance")
            }
            _ => count.is_some() || ORG_PLACEHOLDERS.contains(&name),
        }
    }
}

/// Where a finding's severity comes from, when not the rule's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SeverityFrom {
    /// The catalog's risk tier of the scope the finding is about: an unneeded `openid` is low,
    /// an unneeded `full` critical. The rule's `severity` applies to scopes the catalog lacks.
    ScopeRisk,
    /// Low for an org app none of whose tokens was used within `--stale-days` (and that
    /// nobody is pre-authorized for); the rule's own severity otherwise.
    TokenActivity,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub severity_from: Option<SeverityFrom>,
    /// Rules this one replaces on the same subject: when both fire on one scope, only this
    /// one is reported (one problem, one finding, by the most specific rule).
    #[serde(default)]
    pub supersedes: Vec<String>,
    /// Rules that speak of the same subject from another angle; documentation cites them.
    #[serde(default)]
    pub see_also: Vec<String>,
    pub platforms: Vec<Platform>,
    pub subject: Subject,
    #[serde(default)]
    pub when: Option<Value>,
    pub message: String,
    pub remediation: String,
    pub docs: String,
    pub help_uri: String,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub severity_from: Option<SeverityFrom>,
    pub supersedes: Vec<String>,
    pub see_also: Vec<String>,
    pub platforms: Vec<Platform>,
    pub subject: Subject,
    pub when: Condition,
    pub message: String,
    pub remediation: String,
    pub docs: String,
    pub help_uri: String,
}

impl Rule {
    pub fn applies_to(&self, platform: Platform) -> bool {
        self.platforms.contains(&platform)
    }

    /// Validates and compiles a parsed rule file. `stem` is the file name without `.yaml`.
    pub fn from_file(file: RuleFile, stem: &str, catalogs: &Catalogs, strict: bool) -> Result<Rule, Vec<String>> {
        let mut problems = Vec::new();
        if file.id != stem {
            problems.push(format!("id `{}` differs from the file name `{stem}.yaml`", file.id));
        }
        if !file
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || file.id.is_empty()
        {
            problems.push(format!("id `{}` must be lower-case words joined by `-`", file.id));
        }
        if file.platforms.is_empty() {
            problems.push("platforms is empty: name salesforce, hubspot or both".to_string());
        }
        for (field, text) in [
            ("title", &file.title),
            ("message", &file.message),
            ("remediation", &file.remediation),
            ("docs", &file.docs),
        ] {
            if text.trim().is_empty() {
                problems.push(format!("`{field}` is empty"));
            }
        }
        if !file.help_uri.starts_with("https://") {
            problems.push(format!("help_uri `{}` must be an https URL", file.help_uri));
        }
        let parser = ConditionParser {
            subject: file.subject,
            platforms: &file.platforms,
            catalogs,
            strict,
        };
        let when = match &file.when {
            None => Condition::All(Vec::new()),
            Some(value) => parser.parse(value, "when", &mut problems),
        };
        check_template(&file.message, file.subject, "message", &mut problems);
        if file.severity_from == Some(SeverityFrom::ScopeRisk)
            && !matches!(file.subject, Subject::Scope | Subject::MissingScope)
        {
            problems.push(format!(
                "severity_from: scope_risk needs a scope subject, not {}",
                file.subject.as_str()
            ));
        }
        for id in file.supersedes.iter().chain(&file.see_also) {
            if *id == file.id {
                problems.push(format!("`{id}` names the rule itself in supersedes or see_also"));
            }
        }
        if problems.is_empty() {
            Ok(Rule {
                id: file.id,
                title: file.title,
                severity: file.severity,
                severity_from: file.severity_from,
                supersedes: file.supersedes,
                see_also: file.see_also,
                platforms: file.platforms,
                subject: file.subject,
                when,
                message: file.message,
                remediation: file.remediation,
                docs: file.docs,
                help_uri: file.help_uri,
            })
        } else {
            Err(problems)
        }
    }
}

/// Checks `{name}` placeholders; `{{` and `}}` are literal braces.
fn check_template(template: &str, subject: Subject, field: &str, problems: &mut Vec<String>) {
    let allowed = subject.placeholders();
    for piece in template_names(template) {
        match piece {
            Ok(name) => {
                let setting_ok = subject.has_app() && name.strip_prefix("setting:").and_then(Setting::parse).is_some();
                let org_ok = name.strip_prefix("org:").is_some_and(|n| subject.org_placeholder_ok(n));
                let approval_ok = name.strip_prefix("approval:").is_some_and(|n| {
                    (subject.has_app() && APPROVAL_PLACEHOLDERS.contains(&n))
                        || (subject == Subject::ApprovalUnmatched && UNMATCHED_APPROVAL_PLACEHOLDERS.contains(&n))
                });
                if !allowed.contains(&name) && !setting_ok && !org_ok && !approval_ok {
                    problems.push(format!(
                        "{field}: unknown placeholder `{{{name}}}` for subject {}; known: {}{}",
                        subject.as_str(),
                        allowed.join(", "),
                        if subject.has_app() {
                            ", setting:NAME, org:NAME"
                        } else {
                            ""
                        }
                    ));
                }
            }
            Err(e) => problems.push(format!("{field}: {e}")),
        }
    }
}

fn template_names(template: &str) -> Vec<Result<&str, String>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find(['{', '}']) {
        let after = &rest[start + 1..];
        if rest[start..].starts_with("{{") || rest[start..].starts_with("}}") {
            rest = &rest[start + 2..];
            continue;
        }
        if rest[start..].starts_with('}') {
            out.push(Err("a `}` with no `{` (write `}}` for a literal brace)".to_string()));
            rest = after;
            continue;
        }
        match after.find('}') {
            Some(end) => {
                out.push(Ok(&after[..end]));
                rest = &after[end + 1..];
            }
            None => {
                out.push(Err(
                    "a `{` with no closing `}` (write `{{` for a literal brace)".to_string()
                ));
                break;
            }
        }
    }
    out
}

/// Fills a validated template. Unknown names cannot occur after validation.
pub fn render_template(template: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find(['{', '}']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            out.push_str(&lookup(&tail[1..end]));
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

struct ConditionParser<'a> {
    strict: bool,
    subject: Subject,
    platforms: &'a [Platform],
    catalogs: &'a Catalogs,
}

impl ConditionParser<'_> {
    fn parse(&self, value: &Value, path: &str, problems: &mut Vec<String>) -> Condition {
        let Some(map) = value.as_object().filter(|m| m.len() == 1) else {
            problems.push(format!(
                "{path}: a condition is a map with exactly one key (all, any, not, or a predicate)"
            ));
            return Condition::All(Vec::new());
        };
        let Some((key, arg)) = map.iter().next() else {
            return Condition::All(Vec::new());
        };
        let here = format!("{path}.{key}");
        match key.as_str() {
            "all" | "any" => {
                let Some(items) = arg.as_array() else {
                    problems.push(format!("{here}: expected a list of conditions"));
                    return Condition::All(Vec::new());
                };
                let parsed = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.parse(item, &format!("{here}[{i}]"), problems))
                    .collect();
                if key == "all" {
                    Condition::All(parsed)
                } else {
                    Condition::Any(parsed)
                }
            }
            "not" => Condition::Not(Box::new(self.parse(arg, &here, problems))),
            name => match self.predicate(name, arg, &here) {
                Ok(p) => Condition::Is(p),
                Err(e) => {
                    problems.push(e);
                    Condition::All(Vec::new())
                }
            },
        }
    }

    fn predicate(&self, name: &str, arg: &Value, here: &str) -> Result<Predicate, String> {
        if !self.subject.predicates().contains(&name) {
            let known: Vec<&str> = [
                &SCOPE_PREDICATES[..],
                &APP_PREDICATES[..],
                &["url_matches", "ignore_state", "credential_too_broad"][..],
            ]
            .concat();
            return Err(if known.contains(&name) {
                format!(
                    "{here}: predicate `{name}` cannot be used with subject {}; it may use: all, any, not, {}",
                    self.subject.as_str(),
                    self.subject.predicates().join(", ")
                )
            } else {
                format!(
                    "{here}: unknown predicate `{name}`; known: all, any, not, {}",
                    known.join(", ")
                )
            });
        }
        let p = match name {
            "scope" => Predicate::Scope(self.scope_ids(arg, here)?),
            "scope_matches" => Predicate::ScopeMatches(regex(arg, here, self.strict)?),
            "known" => Predicate::Known(boolean(arg, here)?),
            "access" => Predicate::Access(words(arg, here, Access::VARIANTS, Access::as_str)?),
            "risk_at_least" => Predicate::RiskAtLeast(one_word(arg, here, Risk::VARIANTS, Risk::as_str)?),
            "sensitivity" => Predicate::Sensitivity(words(arg, here, Sensitivity::VARIANTS, Sensitivity::as_str)?),
            "status" => Predicate::Status(words(arg, here, Status::VARIANTS, Status::as_str)?),
            "requirement" => Predicate::Requirement(words(
                arg,
                here,
                &[Requirement::Required, Requirement::Optional, Requirement::Conditional],
                Requirement::as_str,
            )?),
            "justified" => Predicate::Justified(boolean(arg, here)?),
            "verdict" => Predicate::Verdict(words(arg, here, Verdict::VARIANTS, Verdict::as_str)?),
            "implied_by_other" => Predicate::ImpliedByOther(boolean(arg, here)?),
            "duplicate_name" => Predicate::DuplicateName(boolean(arg, here)?),
            "needed_for_write" => Predicate::NeededForWrite(boolean(arg, here)?),
            "serves_a_need" => Predicate::ServesANeed(boolean(arg, here)?),
            "forbidden_by_policy" => Predicate::ForbiddenByPolicy(boolean(arg, here)?),
            "not_allowed_by_policy" => Predicate::NotAllowedByPolicy(boolean(arg, here)?),
            "app_requests" => Predicate::AppRequests(self.scope_ids(arg, here)?),
            "app_grants" => Predicate::AppGrants(self.scope_ids(arg, here)?),
            "has_tools" => Predicate::HasTools(boolean(arg, here)?),
            "tool_access" => Predicate::ToolAccess(words(
                arg,
                here,
                &[
                    ToolAccess::Read,
                    ToolAccess::Create,
                    ToolAccess::Update,
                    ToolAccess::Delete,
                ],
                ToolAccess::as_str,
            )?),
            "delegation" => Predicate::Delegation(words(
                arg,
                here,
                &[Delegation::User, Delegation::Service],
                Delegation::as_str,
            )?),
            "flow" => Predicate::Flow(words(arg, here, Flow::VARIANTS, Flow::as_str)?),
            "input_kind" => Predicate::InputKind(words(arg, here, InputKind::VARIANTS, InputKind::as_str)?),
            "setting" => setting(arg, here, self.strict)?,
            "url_matches" => Predicate::UrlMatches(regex(arg, here, self.strict)?),
            "ignore_state" => Predicate::IgnoreState(words(
                arg,
                here,
                &[IgnoreState::Expired, IgnoreState::Unused],
                |s| match s {
                    IgnoreState::Expired => "expired",
                    IgnoreState::Unused => "unused",
                },
            )?),
            "org_app" => Predicate::OrgApp(boolean(arg, here)?),
            "org_config_read" => Predicate::OrgConfigRead(boolean(arg, here)?),
            "org_count" => org_count(arg, here, self.subject)?,
            "permitted_users" => {
                use crate::model::org::PermittedUsers;
                Predicate::PermittedUsers(words(
                    arg,
                    here,
                    &[PermittedUsers::AllUsers, PermittedUsers::AdminApproved],
                    PermittedUsers::as_str,
                )?)
            }
            "credential_too_broad" => Predicate::CredentialTooBroad(boolean(arg, here)?),
            "approval" => Predicate::Approval(words(arg, here, ApprovalStatus::VARIANTS, ApprovalStatus::as_str)?),
            "approved_scope" => Predicate::ApprovedScope(boolean(arg, here)?),
            "weaker_than_approved" => Predicate::WeakerThanApproved(boolean(arg, here)?),
            "approved_unrequested" => Predicate::ApprovedUnrequested(boolean(arg, here)?),
            _ => return Err(format!("{here}: unknown predicate `{name}`")),
        };
        Ok(p)
    }

    /// Scope names resolved to canonical ids in every catalog of the rule's platforms; a name
    /// no catalog of those platforms knows is an error.
    fn scope_ids(&self, arg: &Value, here: &str) -> Result<BTreeSet<String>, String> {
        let names = string_list(arg, here)?;
        let mut ids = BTreeSet::new();
        for name in names {
            let mut found = false;
            for platform in self.platforms {
                if let Some(entry) = self.catalogs.get(*platform).resolve(&name) {
                    ids.insert(entry.id.clone());
                    found = true;
                }
            }
            if !found {
                let platforms: Vec<&str> = self.platforms.iter().map(|p| p.as_str()).collect();
                return Err(format!(
                    "{here}: scope `{name}` is not in the {} catalog",
                    platforms.join(" or ")
                ));
            }
        }
        Ok(ids)
    }
}

fn boolean(arg: &Value, here: &str) -> Result<bool, String> {
    arg.as_bool().ok_or_else(|| format!("{here}: expected true or false"))
}

fn regex(arg: &Value, here: &str, strict: bool) -> Result<Pattern, String> {
    let text = arg
        .as_str()
        .ok_or_else(|| format!("{here}: expected a regular expression string"))?;
    Pattern::new(text, strict).map_err(|e| format!("{here}: invalid regular expression: {}", one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn string_list(arg: &Value, here: &str) -> Result<Vec<String>, String> {
    match arg {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{here}: expected strings"))
            })
            .collect(),
        _ => Err(format!("{here}: expected a string or a non-empty list of strings")),
    }
}

fn words<T: Copy>(arg: &Value, here: &str, all: &[T], name: fn(T) -> &'static str) -> Result<Vec<T>, String> {
    string_list(arg, here)?
        .iter()
        .map(|w| {
            all.iter().copied().find(|v| name(*v) == w).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|v| name(*v)).collect();
                format!("{here}: unknown value `{w}`; known: {}", known.join(", "))
            })
        })
        .collect()
}

fn one_word<T: Copy>(arg: &Value, here: &str, all: &[T], name: fn(T) -> &'static str) -> Result<T, String> {
    let list = words(arg, here, all, name)?;
    match list.as_slice() {
        [one] => Ok(*one),
        _ => Err(format!("{here}: expected one value")),
    }
}

/// `org_count: {name: stale_tokens, at_least: 1}` (or `at_most`).
fn org_count(arg: &Value, here: &str, subject: Subject) -> Result<Predicate, String> {
    let Some(map) = arg.as_object() else {
        return Err(format!("{here}: expected a map with `name` and at_least or at_most"));
    };
    let known: Vec<&str> = OrgCount::VARIANTS
        .iter()
        .filter(|c| subject != Subject::UninstalledApp || c.of_uninstalled_app())
        .map(|c| c.as_str())
        .collect();
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{here}: `name` is required"))?;
    let Some(count) = OrgCount::VARIANTS
        .iter()
        .copied()
        .find(|c| c.as_str() == name && known.contains(&c.as_str()))
    else {
        return Err(format!("{here}: unknown count `{name}`; known: {}", known.join(", ")));
    };
    let tests: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| k.as_str() != "name").collect();
    let [(test, value)] = tests.as_slice() else {
        return Err(format!("{here}: give exactly one test: at_least or at_most"));
    };
    let n = value
        .as_u64()
        .ok_or_else(|| format!("{here}: {test} takes a whole number"))?;
    let test = match test.as_str() {
        "at_least" => CountTest::AtLeast(n),
        "at_most" => CountTest::AtMost(n),
        other => return Err(format!("{here}: unknown test `{other}`; use at_least or at_most")),
    };
    Ok(Predicate::OrgCount(count, test))
}

fn setting(arg: &Value, here: &str, strict: bool) -> Result<Predicate, String> {
    let Some(map) = arg.as_object() else {
        return Err(format!("{here}: expected a map with `name` and one test"));
    };
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{here}: `name` is required"))?;
    let Some(setting) = Setting::parse(name) else {
        return Err(format!(
            "{here}: unknown setting `{name}`; known: {}",
            Setting::VARIANTS
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let tests: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| k.as_str() != "name").collect();
    let [(test, value)] = tests.as_slice() else {
        return Err(format!(
            "{here}: give exactly one test: is_set, equals, in, any_matches, count_at_least, at_least or at_most"
        ));
    };
    let test = match test.as_str() {
        "is_set" => SettingTest::IsSet(boolean(value, here)?),
        "equals" if value.is_boolean() || value.is_string() => SettingTest::Equals((*value).clone()),
        "equals" => return Err(format!("{here}: equals takes true, false or a string")),
        "in" => SettingTest::In(string_list(value, here)?),
        "any_matches" => SettingTest::AnyMatches(regex(value, here, strict)?),
        "count_at_least" => SettingTest::CountAtLeast(
            value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| format!("{here}: count_at_least takes a whole number"))?,
        ),
        "at_least" | "at_most" => {
            let n = value
                .as_i64()
                .ok_or_else(|| format!("{here}: {test} takes a whole number"))?;
            if test.as_str() == "at_least" {
                SettingTest::AtLeast(n)
            } else {
                SettingTest::AtMost(n)
            }
        }
        other => return Err(format!("{here}: unknown setting test `{other}`")),
    };
    Ok(Predicate::Setting(setting, test))
}

/// All rules, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Problems across rules, as (rule id, problem): `supersedes` and `see_also` must name
    /// rules that exist, and no two rules may supersede each other (neither would be reported).
    pub fn cross_check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for rule in &self.rules {
            for (field, ids) in [("supersedes", &rule.supersedes), ("see_also", &rule.see_also)] {
                for id in ids {
                    match self.get(id) {
                        None => problems.push((rule.id.clone(), format!("{field}: no rule `{id}`"))),
                        Some(other) if field == "supersedes" && other.supersedes.contains(&rule.id) => problems.push((
                            rule.id.clone(),
                            format!("supersedes `{id}`, which supersedes it in turn"),
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
        problems
    }

    /// Adds a rule, replacing a rule with the same id.
    pub fn insert(&mut self, rule: Rule) {
        match self.rules.binary_search_by(|r| r.id.as_str().cmp(&rule.id)) {
            Ok(i) => self.rules[i] = rule,
            Err(i) => self.rules.insert(i, rule),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_match_exactly_as_the_regex_would() {
        let patterns = [
            "^full$",
            "(?i)^http://",
            "\\*",
            "api",
            "(?i)ENFORCE$",
            "^a\\.b",
            "x\\$$",
            "(?i)^http://(a|b)",
            "^\\s+$",
        ];
        let haystacks = [
            "full",
            "fullx",
            "HTTP://x",
            "http://y",
            "https://*.x",
            "no",
            "xenforce",
            "a.b",
            "axb",
            "x$",
            "",
            "  ",
        ];
        for p in patterns {
            let pattern = Pattern::new(p, false).unwrap();
            let regex = Regex::new(p).unwrap();
            for h in haystacks {
                assert_eq!(pattern.is_match(h), regex.is_match(h), "{p} on {h:?}");
            }
        }
        assert!(Literal::of("^full$").is_some() && Literal::of("\\*").is_some());
        assert!(Literal::of("(?i)^http://(a|b)").is_none() && Literal::of("^\\s+$").is_none());
    }

    #[test]
    fn templates_render_and_keep_literal_braces() {
        let out = render_template("{app} asks for `{scope}` {{literal}}", &|n| n.to_uppercase());
        assert_eq!(out, "APP asks for `SCOPE` {literal}");
    }

    #[test]
    fn template_validation_names_bad_placeholders() {
        let mut problems = Vec::new();
        check_template(
            "{app} {url} {setting:ip_relaxation} {setting:nope} {open",
            Subject::App,
            "message",
            &mut problems,
        );
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("`{url}`"));
        assert!(problems[1].contains("`{setting:nope}`"));
        assert!(problems[2].contains("no closing"));
    }

    #[test]
    fn the_unmatched_approval_reason_is_only_for_unmatched_manifests() {
        let mut problems = Vec::new();
        let message = "{app} {approval:manifest} {approval:reason}";
        check_template(message, Subject::ApprovalUnmatched, "message", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
        check_template(message, Subject::App, "message", &mut problems);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].contains("`{approval:reason}`"));
        check_template(
            "{approval:weaker}",
            Subject::ApprovalUnmatched,
            "message",
            &mut problems,
        );
        assert_eq!(problems.len(), 2, "{problems:#?}");
    }
}
