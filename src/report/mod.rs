//! The one report value every output renders, so no two formats can disagree.

pub mod approval;
pub mod org;
pub mod sarif;
pub mod templates;
pub mod text;
pub mod wording;

use crate::analysis::AppResult;
use crate::catalog::Catalogs;
use crate::engine::Evaluation;
use crate::finding::{FailOn, Finding, Severity};
use crate::rule::{RuleSet, Verdict};
use crate::source_file::FileError;
use serde::Serialize;
use std::collections::BTreeMap;
use strum::VariantArray as _;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// False when some input could not be read: the report covers only what was read, the
    /// gate is not passed, and the exit code is 2 (files) or 3 (org).
    pub complete: bool,
    /// The inputs that could not be read, each with its one-line problem.
    pub errors: Vec<FileError>,
    /// Files whose names announce an input but that `.gitignore` hides: not audited, listed so
    /// that nothing is left out silently.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gitignored: Vec<String>,
    /// The policy file the audit applied, if any.
    pub policy: Option<String>,
    pub apps: Vec<AppReport>,
    /// Unsuppressed findings at or above `--min-severity`.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    /// The rules behind the findings and waived findings, with their documentation: what
    /// SARIF's `tool.driver.rules` and the report's remediation sections show.
    pub rules: Vec<RuleInfo>,
    pub stats: Stats,
    pub gate: Gate,
    /// The overall verdict the human formats lead with (added in 0.1: additive to schema 1).
    pub verdict: ReviewVerdict,
    /// The day of the review: the session's "today" (`SCOPEAUDIT_TODAY` fixes it).
    pub review_date: String,
    /// The catalog of each platform the report's apps are on, with the date it was checked
    /// against the platform's documentation.
    pub catalogs: Vec<CatalogDate>,
    /// The org pull (SPEC section 6): present only when the apps came from an org or a
    /// snapshot of one (additive to schema 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<crate::model::org::OrgSummary>,
    /// The approved folder the apps were held against (`--approved DIR`): present only then
    /// (additive to schema 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvals: Option<approval::ApprovalsSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogDate {
    pub platform: crate::model::Platform,
    pub checked: String,
}

/// What the review concludes, for the whole report and for each app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReviewVerdict {
    /// No finding fails the gate and the grade is A or B.
    Acceptable,
    /// No finding fails the gate, but the grade is C or lower.
    AcceptableWithReservations,
    /// A finding at or above `--fail-on`.
    NotAcceptable,
    /// `--fail-on never`: the reviewer judges the findings.
    NoGate,
    /// Some input could not be read: the whole report, or an org app whose scopes could not
    /// be read.
    Incomplete,
}

impl ReviewVerdict {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The words every human format leads with.
    pub fn label(self) -> &'static str {
        match self {
            ReviewVerdict::Acceptable => "Acceptable as requested",
            ReviewVerdict::AcceptableWithReservations => "Acceptable, with reservations",
            ReviewVerdict::NotAcceptable => "Not acceptable as requested",
            ReviewVerdict::NoGate => "No gate applied: review the findings",
            ReviewVerdict::Incomplete => "Incomplete: no verdict",
        }
    }

    fn judge(complete: bool, fails: bool, fail_on: FailOn, worst_grade: &str) -> ReviewVerdict {
        if !complete {
            ReviewVerdict::Incomplete
        } else if fails {
            ReviewVerdict::NotAcceptable
        } else if fail_on == FailOn::Never {
            ReviewVerdict::NoGate
        } else if worst_grade <= "B" {
            ReviewVerdict::Acceptable
        } else {
            ReviewVerdict::AcceptableWithReservations
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub remediation: String,
    pub docs: String,
    pub help_uri: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub path: String,
    pub kind: crate::model::InputKind,
    /// Every file the app was read from, when there are several (an External Client App).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntegrationInfo {
    pub delegation: Option<&'static str>,
    pub flows: Vec<&'static str>,
    pub token_storage: Option<String>,
    pub sign_in: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScopeRow {
    /// The name as the app wrote it.
    pub scope: String,
    /// The catalog's canonical id; null when the catalog does not know the scope.
    pub canonical: Option<String>,
    pub requirement: &'static str,
    pub justification: Option<String>,
    pub title: Option<String>,
    pub grants: Option<String>,
    pub access: Option<&'static str>,
    pub risk: Option<&'static str>,
    pub sensitivity: Option<&'static str>,
    pub status: Option<&'static str>,
    pub verdict: Verdict,
    pub verdict_reason: String,
    pub line: Option<u32>,
    /// The file that names the scope, when the app was read from several files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolRow {
    pub name: String,
    pub object: String,
    pub access: &'static str,
    /// Scopes that serve the tool, narrowest first; empty when none is known.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Whether least privilege was computed: it needs the app's declared tools.
    pub analyzed: bool,
    pub drop: Vec<String>,
    pub add: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppReport {
    pub id: String,
    pub name: String,
    /// What identifies the app across versions and renames (fingerprints and waivers use it).
    pub identity: crate::model::AppIdentity,
    pub vendor: Option<String>,
    pub platform: crate::model::Platform,
    pub description: Option<String>,
    pub source: SourceInfo,
    pub integration: IntegrationInfo,
    /// The app's policy settings that the input states (or the platform defaults), by name.
    pub settings: BTreeMap<&'static str, crate::model::SettingValue>,
    pub scopes: Vec<ScopeRow>,
    pub tools: Vec<ToolRow>,
    pub minimal_scopes: Vec<String>,
    pub recommendation: Recommendation,
    pub score: u32,
    pub grade: String,
    /// This app's own verdict: whether its findings fail the gate, and its grade.
    pub verdict: ReviewVerdict,
    /// Unsuppressed findings about this app, by severity (all of them, whatever
    /// `--min-severity` hides).
    pub findings_by_severity: BTreeMap<Severity, usize>,
    /// What the org says about the app (SPEC section 6, the per-app `org` object): present only
    /// for an app read from an org or a snapshot of one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<crate::model::org::OrgUsage>,
    /// Where the app stands against the approved folder, and what was approved beside what
    /// is live: present only with `--approved DIR`, for an app an approval speaks about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<approval::AppApproval>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuppressedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub apps: usize,
    /// Every unsuppressed finding, including those `--min-severity` hides.
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<String, usize>,
    pub suppressed: usize,
    pub hidden_below_min_severity: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub fail_on: &'static str,
    pub passed: bool,
}

pub struct ReportOptions {
    pub fail_on: FailOn,
    pub min_severity: Severity,
    /// The inputs that could not be read (the report is then incomplete).
    pub errors: Vec<FileError>,
    /// Files `.gitignore` hid from the walk.
    pub ignored: Vec<String>,
    /// The policy file applied, as shown to the user.
    pub policy: Option<String>,
    /// The date certificate lifetimes are measured against.
    pub today: crate::model::Date,
    /// The org pull the apps came from (live or a snapshot); None for declared apps.
    pub org: Option<crate::model::org::OrgSummary>,
    /// The approved folder the apps were held against (`--approved DIR`).
    pub approved: Option<crate::approval::ApprovedFolder>,
}

impl Report {
    pub fn build(evaluation: Evaluation, catalogs: &Catalogs, rules: &RuleSet, options: &ReportOptions) -> Report {
        let Evaluation {
            apps,
            findings,
            suppressed,
        } = evaluation;
        let mut by_severity: BTreeMap<Severity, usize> = Severity::VARIANTS.iter().map(|s| (*s, 0)).collect();
        let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
        for f in &findings {
            *by_severity.entry(f.severity).or_default() += 1;
            *by_rule.entry(f.rule.clone()).or_default() += 1;
        }
        // A pull cut short is incomplete even when every row it did read was readable.
        let complete = options.errors.is_empty() && options.org.as_ref().is_none_or(|o| o.complete);
        // An incomplete audit never passes: what was not read may hold the dangerous app.
        let passed = complete && !findings.iter().any(|f| options.fail_on.fails(f.severity));
        let mut per_app: BTreeMap<&str, BTreeMap<Severity, usize>> = BTreeMap::new();
        let mut failing_apps: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for f in &findings {
            if let Some(app) = f.app.as_deref() {
                *per_app.entry(app).or_default().entry(f.severity).or_default() += 1;
                if options.fail_on.fails(f.severity) {
                    failing_apps.insert(app);
                }
            }
        }
        let apps: Vec<AppReport> = apps
            .iter()
            .map(|a| {
                let counts = per_app.get(a.id.as_str()).cloned().unwrap_or_default();
                let mut report = app_report(a, catalogs, counts, options.today);
                // A failing app fails whatever else was not read; any other app of an
                // incomplete audit gets no verdict, as the whole report does not.
                let unread = matches!(
                    a.app.org.as_deref().map(|o| &o.config),
                    Some(crate::model::org::ConfigRead::Unread(_))
                );
                report.verdict = if failing_apps.contains(a.id.as_str()) {
                    ReviewVerdict::NotAcceptable
                } else if unread {
                    // Scopes that could not be read cannot be judged acceptable.
                    ReviewVerdict::Incomplete
                } else {
                    ReviewVerdict::judge(complete, false, options.fail_on, &report.grade)
                };
                report
            })
            .collect();
        let worst_grade = apps.iter().map(|a| a.grade.as_str()).max().unwrap_or("A");
        let mut verdict = ReviewVerdict::judge(complete, !passed, options.fail_on, worst_grade);
        // An org app whose scopes could not be read has no verdict of its own: the whole is at
        // best acceptable with reservations.
        if verdict == ReviewVerdict::Acceptable && apps.iter().any(|a| a.verdict == ReviewVerdict::Incomplete) {
            verdict = ReviewVerdict::AcceptableWithReservations;
        }
        let platforms: std::collections::BTreeSet<crate::model::Platform> = apps.iter().map(|a| a.platform).collect();
        let catalog_dates = platforms
            .into_iter()
            .map(|platform| CatalogDate {
                platform,
                checked: catalogs.get(platform).checked.clone(),
            })
            .collect();
        let total = findings.len();
        let shown: Vec<Finding> = findings
            .into_iter()
            .filter(|f| f.severity >= options.min_severity)
            .collect();
        let used: std::collections::BTreeSet<&str> = shown
            .iter()
            .chain(suppressed.iter().map(|s| &s.finding))
            .map(|f| f.rule.as_str())
            .collect();
        let rules = rules
            .rules
            .iter()
            .filter(|r| used.contains(r.id.as_str()))
            .map(|r| RuleInfo {
                id: r.id.clone(),
                title: r.title.clone(),
                severity: r.severity,
                remediation: r.remediation.trim().to_string(),
                docs: r.docs.trim().to_string(),
                help_uri: r.help_uri.clone(),
            })
            .collect();
        let approvals = options.approved.as_ref().map(|folder| approval::summary(folder, &apps));
        Report {
            schema_version: SCHEMA_VERSION,
            complete,
            errors: options.errors.clone(),
            gitignored: options.ignored.clone(),
            org: options.org.clone(),
            policy: options.policy.clone(),
            rules,
            tool: ToolInfo {
                name: "scopeaudit",
                version: env!("CARGO_PKG_VERSION"),
            },
            stats: Stats {
                apps: apps.len(),
                by_severity,
                by_rule,
                suppressed: suppressed.len(),
                hidden_below_min_severity: total - shown.len(),
            },
            apps,
            findings: shown,
            suppressed: suppressed
                .into_iter()
                .map(|s| SuppressedFinding {
                    finding: s.finding,
                    reason: s.reason,
                    expires: s.expires.map(|d| d.to_string()),
                })
                .collect(),
            gate: Gate {
                fail_on: options.fail_on.as_str(),
                passed,
            },
            verdict,
            review_date: options.today.to_string(),
            catalogs: catalog_dates,
            approvals,
        }
    }

    /// The platform of the app a finding is about (none for the policy file's findings).
    pub fn platform_of(&self, finding: &Finding) -> Option<crate::model::Platform> {
        let app = finding.app.as_deref()?;
        self.apps.iter().find(|a| a.id == app).map(|a| a.platform)
    }

    /// A rule's help links for the platforms its findings (and waived findings) are on: one
    /// per distinct link, the rule's own when no finding names a platform.
    pub fn help_links(&self, rule: &RuleInfo) -> Vec<(Option<crate::model::Platform>, String)> {
        let platforms: std::collections::BTreeSet<crate::model::Platform> = self
            .findings
            .iter()
            .chain(self.suppressed.iter().map(|s| &s.finding))
            .filter(|f| f.rule == rule.id)
            .filter_map(|f| self.platform_of(f))
            .collect();
        let mut links: Vec<(Option<crate::model::Platform>, String)> = Vec::new();
        for platform in platforms {
            let uri = wording::help_uri(&rule.help_uri, platform);
            if !links.iter().any(|(_, u)| *u == uri) {
                links.push((Some(platform), uri));
            }
        }
        if links.is_empty() {
            links.push((None, rule.help_uri.clone()));
        }
        links
    }

    /// Whether a finding not about any app is about the approved folder: an approved manifest
    /// that matched no app (`approval-unmatched`) points at that manifest.
    pub fn is_approval_finding(&self, finding: &Finding) -> bool {
        finding.app.is_none()
            && self.approvals.as_ref().is_some_and(|a| {
                a.unmatched.iter().any(
                    |m| matches!(&finding.location, crate::finding::Location::File { path, .. } if *path == m.manifest),
                )
            })
    }

    /// Whether a finding not about any app is about the policy file: neither about the org nor
    /// about the approved folder.
    pub fn is_policy_finding(&self, finding: &Finding) -> bool {
        finding.app.is_none() && !self.is_org_finding(finding) && !self.is_approval_finding(finding)
    }

    /// Whether a finding not about any app is about the org (its credential, tokens of apps
    /// no longer installed) rather than the policy file: in an org report, every app-less
    /// finding that does not point into the policy file.
    pub fn is_org_finding(&self, finding: &Finding) -> bool {
        if self.org.is_none() || finding.app.is_some() || self.is_approval_finding(finding) {
            return false;
        }
        match (&finding.location, self.policy.as_deref()) {
            (crate::finding::Location::File { path, .. }, Some(policy)) => path != policy,
            _ => true,
        }
    }

    /// JSON keeps every input string as it is: escaping is the reader's business.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}

fn app_report(
    result: &AppResult,
    catalogs: &Catalogs,
    by_severity: BTreeMap<Severity, usize>,
    today: crate::model::Date,
) -> AppReport {
    let app = &result.app;
    let catalog = catalogs.get(app.platform);
    let scopes = result
        .scopes
        .iter()
        .map(|s| {
            let requested = &app.scopes[s.index];
            // Show the entry as named: a synonym such as `email` keeps its own title.
            let entry = s.canonical.as_ref().and_then(|_| catalog.entry(&requested.name));
            let canonical_entry = s.canonical.as_deref().and_then(|c| catalog.resolve(c));
            ScopeRow {
                scope: requested.name.clone(),
                canonical: s.canonical.clone(),
                requirement: requested.requirement.as_str(),
                justification: requested.justification.clone(),
                title: entry.map(|e| e.title.clone()),
                grants: entry.map(|e| e.grants.trim().to_string()),
                access: canonical_entry.map(|e| e.access.as_str()),
                risk: canonical_entry.map(|e| e.risk.as_str()),
                sensitivity: canonical_entry.map(|e| e.sensitivity.as_str()),
                status: canonical_entry.map(|e| e.status.as_str()),
                verdict: s.verdict,
                verdict_reason: s.reason.clone(),
                line: requested.at.map(|p| p.line),
                file: requested
                    .at
                    .filter(|_| app.source.files.len() > 1)
                    .map(|p| app.source.file(p.file).to_string()),
            }
        })
        .collect();
    let tools = result
        .tool_needs
        .iter()
        .map(|t| {
            let tool = &app.tools[t.tool];
            ToolRow {
                name: tool.name.clone(),
                object: tool.touches(),
                access: tool.access.as_str(),
                scopes: t.accepted.clone(),
            }
        })
        .collect();
    AppReport {
        id: result.id.clone(),
        name: app.name.clone(),
        identity: app.identity.clone(),
        vendor: app.vendor.clone(),
        platform: app.platform,
        description: app.description.clone(),
        source: SourceInfo {
            path: app.source.path.clone(),
            kind: app.source.kind,
            files: if app.source.files.len() > 1 {
                app.source.files.clone()
            } else {
                Vec::new()
            },
        },
        settings: <crate::model::Setting as strum::VariantArray>::VARIANTS
            .iter()
            .filter_map(|&setting| match app.settings.value(setting, today) {
                crate::model::SettingValue::Unset => None,
                value => Some((setting.as_str(), value)),
            })
            .collect(),
        integration: IntegrationInfo {
            delegation: app.integration.delegation.map(|d| d.as_str()),
            flows: app.integration.flows.iter().map(|f| f.as_str()).collect(),
            token_storage: app.integration.token_storage.clone(),
            sign_in: app.integration.sign_in,
        },
        scopes,
        tools,
        minimal_scopes: result.minimal.clone(),
        recommendation: Recommendation {
            analyzed: result.analyzed,
            drop: result.drop.clone(),
            add: result.add.clone(),
        },
        score: result.score,
        grade: result.grade.to_string(),
        verdict: ReviewVerdict::Acceptable,
        findings_by_severity: by_severity,
        org: app.org.as_deref().cloned(),
        approval: approval::app_approval(app, &result.scopes, catalog, today),
    }
}
