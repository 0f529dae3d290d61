//! `.scopeaudit.yaml`: the team's policy. Validated up front, every problem at once; ignores
//! need a reason, may expire, and are reported when expired or unused.

use crate::catalog::Catalogs;
use crate::finding::{FailOn, Severity};
pub use crate::model::Date;
use crate::model::{NoteCode, Platform};
use crate::rule::RuleSet;
use crate::rule::Subject;
use crate::source_file::{self, FileError};
use crate::yaml::{self, Keyed};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use strum::VariantArray as _;

pub const FILE_NAME: &str = ".scopeaudit.yaml";
const MAX_POLICY_BYTES: u64 = 256 * 1024;

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a policy: a map with `fail_on`, `min_severity`, `rules`, `forbidden_scopes`, `allowed_scopes`, `ignore`"
)]
struct PolicyFile {
    #[serde(default)]
    fail_on: Option<String>,
    #[serde(default)]
    min_severity: Option<String>,
    #[serde(default)]
    rules: Option<Keyed<BTreeMap<String, RuleSettingFile>>>,
    #[serde(default)]
    forbidden_scopes: PlatformLists,
    #[serde(default)]
    allowed_scopes: PlatformLists,
    #[serde(default)]
    ignore: Vec<Keyed<IgnoreFile>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a map with `severity`, `disabled`")]
struct RuleSettingFile {
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    disabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a map with `salesforce`, `hubspot`")]
struct PlatformLists {
    #[serde(default)]
    salesforce: Option<Vec<String>>,
    #[serde(default)]
    hubspot: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an ignore entry: a map with `rule`, `app`, `scope`, `reason`, `expires`"
)]
struct IgnoreFile {
    rule: String,
    #[serde(default)]
    app: Option<String>,
    /// The kind of input note, for a rule about notes (`config-anomaly`).
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: String,
    pub app: Option<String>,
    pub code: Option<NoteCode>,
    pub scope: Option<String>,
    pub reason: String,
    pub expires: Option<Date>,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleSetting {
    pub severity: Option<Severity>,
    pub disabled: bool,
}

/// A validated policy. The default policy changes nothing.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The file it came from, for findings about the policy itself.
    pub path: Option<String>,
    pub fail_on: Option<FailOn>,
    pub min_severity: Option<Severity>,
    pub rules: BTreeMap<String, RuleSetting>,
    /// Canonical ids per platform.
    pub forbidden_scopes: BTreeMap<Platform, BTreeSet<String>>,
    /// Canonical ids per platform; a platform that is absent allows everything.
    pub allowed_scopes: BTreeMap<Platform, BTreeSet<String>>,
    pub ignores: Vec<Ignore>,
}

/// Looks for `.scopeaudit.yaml` in `start` and its parents, stopping at the repository root
/// (the first directory holding `.git`), the user's `home` or the filesystem root: a policy
/// above those belongs to someone else's checkout or to nobody.
pub fn discover(start: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() || home.is_some_and(|h| h == d) {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// Reads and validates a policy file; every problem is returned, each naming file and line.
pub fn load(path: &Path, display: &str, rules: &RuleSet, catalogs: &Catalogs) -> Result<Policy, Vec<FileError>> {
    let text = source_file::read_text(path, display, MAX_POLICY_BYTES).map_err(|e| vec![e])?;
    parse(display, &text, rules, catalogs)
}

pub fn parse(display: &str, text: &str, rules: &RuleSet, catalogs: &Catalogs) -> Result<Policy, Vec<FileError>> {
    let keyed: Keyed<PolicyFile> = yaml::from_str(display, text).map_err(|e| vec![e])?;
    let top_lines: BTreeMap<String, usize> = keyed.key_lines().map(|(k, l)| (k.to_string(), l as usize)).collect();
    let top = |key: &str| top_lines.get(key).copied();
    let file = keyed.value;
    let mut problems = Vec::new();
    let mut problem = |line: Option<usize>, message: String| {
        problems.push(match line {
            Some(l) => FileError::at(display, l, None, message),
            None => FileError::new(display, message),
        });
    };
    let mut policy = Policy {
        path: Some(display.to_string()),
        ..Policy::default()
    };
    if let Some(v) = &file.fail_on {
        match FailOn::parse(v) {
            Some(f) => policy.fail_on = Some(f),
            None => problem(
                top("fail_on"),
                format!("fail_on: `{v}` is not one of info, low, medium, high, critical, never"),
            ),
        }
    }
    if let Some(v) = &file.min_severity {
        match Severity::parse(v) {
            Some(s) => policy.min_severity = Some(s),
            None => problem(
                top("min_severity"),
                format!("min_severity: `{v}` is not one of info, low, medium, high, critical"),
            ),
        }
    }
    let (rule_lines, rule_settings): (BTreeMap<String, u32>, _) = match file.rules {
        Some(keyed) => (
            keyed.key_lines().map(|(k, l)| (k.to_string(), l)).collect(),
            keyed.value,
        ),
        None => Default::default(),
    };
    for (id, setting) in rule_settings {
        let line = rule_lines.get(&id).map(|l| *l as usize).or(top("rules"));
        // `config-anomaly/repeated`: one kind of input note of a rule about notes.
        let (rule_id, code) = match id.split_once('/') {
            Some((rule, code)) => (rule, Some(code)),
            None => (id.as_str(), None),
        };
        let Some(rule) = rules.get(rule_id) else {
            problem(line, format!("rules: no rule `{rule_id}` (see `scopeaudit rules`)"));
            continue;
        };
        if let Some(code) = code {
            if rule.subject != Subject::Note || NoteCode::parse(code).is_none() {
                let codes: Vec<&str> = NoteCode::VARIANTS.iter().map(|c| c.as_str()).collect();
                problem(
                    line,
                    format!(
                        "rules: `{id}`: only a rule about input notes takes a `/kind`, one of {}",
                        codes.join(", ")
                    ),
                );
                continue;
            }
        }
        let severity = match &setting.severity {
            None => None,
            Some(v) => match Severity::parse(v) {
                Some(s) => Some(s),
                None => {
                    problem(
                        line,
                        format!("rules.{id}.severity: `{v}` is not one of info, low, medium, high, critical"),
                    );
                    None
                }
            },
        };
        policy.rules.insert(
            id,
            RuleSetting {
                severity,
                disabled: setting.disabled,
            },
        );
    }
    for (key, lists, target) in [
        ("forbidden_scopes", &file.forbidden_scopes, &mut policy.forbidden_scopes),
        ("allowed_scopes", &file.allowed_scopes, &mut policy.allowed_scopes),
    ] {
        for (platform, list) in [
            (Platform::Salesforce, &lists.salesforce),
            (Platform::Hubspot, &lists.hubspot),
        ] {
            let Some(list) = list else { continue };
            let mut ids = BTreeSet::new();
            for name in list {
                match catalogs.get(platform).resolve(name) {
                    Some(entry) => {
                        ids.insert(entry.id.clone());
                    }
                    None => problem(
                        top(key),
                        format!("{key}.{platform}: `{name}` is not in the {platform} catalog"),
                    ),
                }
            }
            target.insert(platform, ids);
        }
    }
    for (i, entry) in file.ignore.into_iter().enumerate() {
        let line = entry.line("rule");
        let ignore = entry.value;
        let l = line.map(|l| l as usize).or(top("ignore"));
        if rules.get(&ignore.rule).is_none() {
            problem(
                l,
                format!("ignore[{i}]: no rule `{}` (see `scopeaudit rules`)", ignore.rule),
            );
        }
        if ignore.reason.trim().is_empty() {
            problem(
                l,
                format!("ignore[{i}]: `reason` is empty: say why the finding is accepted"),
            );
        }
        let code = match &ignore.code {
            None => None,
            Some(v) => {
                let code = NoteCode::parse(v.trim());
                if code.is_none() {
                    let codes: Vec<&str> = NoteCode::VARIANTS.iter().map(|c| c.as_str()).collect();
                    problem(l, format!("ignore[{i}].code: `{v}` is not one of {}", codes.join(", ")));
                }
                code
            }
        };
        let expires = match &ignore.expires {
            None => None,
            Some(v) => match Date::parse(v) {
                Some(d) => Some(d),
                None => {
                    problem(l, format!("ignore[{i}].expires: `{v}` is not a date (YYYY-MM-DD)"));
                    None
                }
            },
        };
        policy.ignores.push(Ignore {
            rule: ignore.rule,
            app: ignore.app.map(|a| a.trim().to_string()).filter(|a| !a.is_empty()),
            code,
            scope: ignore.scope.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            reason: ignore.reason.trim().to_string(),
            expires,
            line,
        });
    }
    if problems.is_empty() {
        Ok(policy)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_validate_and_convert() {
        assert_eq!(
            Date::parse("2027-02-28").map(|d| d.to_string()),
            Some("2027-02-28".into())
        );
        assert_eq!(Date::parse("2027-02-29"), None);
        assert!(Date::parse("2028-02-29").is_some());
        assert_eq!(Date::parse("27-1-1"), None);
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_780).to_string(), "2026-11-23");
        assert!(Date::parse("2026-11-23") < Date::parse("2027-01-01"));
    }
}
