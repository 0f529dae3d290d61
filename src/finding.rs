//! Findings as data: what a rule says about one app, where, and how bad.

use serde::{Deserialize, Serialize};
use std::fmt;
use strum::VariantArray;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// A scope's risk tier, as the severity of a finding that follows it.
impl From<crate::catalog::Risk> for Severity {
    fn from(risk: crate::catalog::Risk) -> Severity {
        use crate::catalog::Risk;
        match risk {
            Risk::Low => Severity::Low,
            Risk::Medium => Severity::Medium,
            Risk::High => Severity::High,
            Risk::Critical => Severity::Critical,
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::VARIANTS
            .iter()
            .copied()
            .find(|v| v.as_str() == s.trim().to_ascii_lowercase())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `--fail-on` threshold: a severity, or `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        if s.trim().eq_ignore_ascii_case("never") {
            Some(FailOn::Never)
        } else {
            Severity::parse(s).map(FailOn::At)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::At(s) => s.as_str(),
            FailOn::Never => "never",
        }
    }

    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::At(threshold) => severity >= threshold,
            FailOn::Never => false,
        }
    }
}

/// Where a finding points: a place in a file the user gave, or a record in a live org. JSON
/// shows a file position as `{path, line}` (frozen in schema version 1) and an org record as
/// `{instance, object, record_id, record_name}`; SARIF makes the first a physical location and
/// the second a logical one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Location {
    File {
        path: String,
        line: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<u32>,
    },
    OrgRecord {
        /// The org's instance URL.
        instance: String,
        /// The sObject or metadata type (`ConnectedApplication`, `OauthToken`).
        object: String,
        record_id: Option<String>,
        record_name: Option<String>,
    },
}

impl Location {
    pub fn file(path: impl Into<String>, line: Option<u32>) -> Location {
        Location::File {
            path: path.into(),
            line,
            column: None,
        }
    }

    /// The line in a file, where there is one: what findings sort by within an app.
    pub fn line(&self) -> Option<u32> {
        match self {
            Location::File { line, .. } => *line,
            Location::OrgRecord { .. } => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line, column } => {
                f.write_str(path)?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                    if let Some(column) = column {
                        write!(f, ":{column}")?;
                    }
                }
                Ok(())
            }
            Location::OrgRecord {
                instance,
                object,
                record_id,
                record_name,
            } => {
                write!(f, "{instance} {object}")?;
                match (record_name, record_id) {
                    (Some(name), Some(id)) => write!(f, " {name} ({id})"),
                    (Some(name), None) => write!(f, " {name}"),
                    (None, Some(id)) => write!(f, " {id}"),
                    (None, None) => Ok(()),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// The id of the app the finding is about; `None` for findings about the policy file.
    pub app: Option<String>,
    /// The scope the finding is about: the canonical id when the catalog knows it, else the
    /// name as written.
    pub scope: Option<String>,
    /// The kind of input note a finding about the input itself reports (`repeated`,
    /// `misplaced`, ...), so one kind can be waived or disabled without the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::model::NoteCode>,
    pub message: String,
    pub remediation: String,
    pub location: Location,
    pub fingerprint: String,
    /// For a finding about an org app or org-wide facts: the counts behind it (`tokens`,
    /// `stale_tokens`, ...), also in the message. Empty (and absent from JSON) otherwise.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// A stable identity for a finding that survives line moves and rewording: the rule, the app
/// and what the finding is about, hashed with 64-bit FNV-1a (stable across Rust versions,
/// unlike `DefaultHasher`).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash ^= 0x1f;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_enum_has_one_spelling_for_people_and_for_json() {
        use crate::catalog::{Access, Risk, Sensitivity, Status};
        use crate::model::{Delegation, Flow, InputKind, Platform, Requirement, ToolAccess};
        use crate::rule::Verdict;
        fn same<T: Serialize + Copy + VariantArray>(as_str: fn(T) -> &'static str) {
            for v in T::VARIANTS {
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(*v));
            }
        }
        same(Severity::as_str);
        same(Platform::as_str);
        same(InputKind::as_str);
        same(Requirement::as_str);
        same(ToolAccess::as_str);
        same(Delegation::as_str);
        same(Flow::as_str);
        same(Access::as_str);
        same(Risk::as_str);
        same(Sensitivity::as_str);
        same(Status::as_str);
        same(Verdict::as_str);
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("severe"), None);
    }

    #[test]
    fn fail_on_thresholds() {
        let high = FailOn::parse("high").unwrap();
        assert!(high.fails(Severity::Critical) && high.fails(Severity::High));
        assert!(!high.fails(Severity::Medium));
        assert!(!FailOn::parse("never").unwrap().fails(Severity::Critical));
    }

    #[test]
    fn fingerprint_is_stable_and_separates_parts() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
        // Frozen value: changing the hash would break every user's SARIF baseline.
        assert_eq!(fingerprint(&["full-access", "salesforce", "acme", "full"]).len(), 16);
        assert_eq!(fingerprint(&[""]), "cbf29ce484222325");
    }
}
