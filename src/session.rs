//! One evaluation session: the catalogs, rules, policy and clock that turn apps into findings
//! and a [`Report`]. `audit` and `diff` (and, later, the org audit) all evaluate through it,
//! so no command has its own copy of the set-up. No I/O after loading, nothing async.

use crate::catalog::Catalogs;
use crate::data;
use crate::engine::{Engine, Evaluation};
use crate::finding::{FailOn, Severity};
use crate::model::{App, Date};
use crate::policy::{self, Policy};
use crate::report::{Report, ReportOptions};
use crate::rule::RuleSet;
use crate::source_file::FileError;
use std::path::{Path, PathBuf};

/// Which policy file applies.
#[derive(Debug, Clone)]
pub enum ConfigChoice {
    /// Look for `.scopeaudit.yaml` from the current directory up to the repository root (or
    /// the user's home).
    Discover,
    File(PathBuf),
    Skip,
}

/// Where a session's data comes from: the same flags for every command that evaluates.
#[derive(Debug, Clone)]
pub struct DataOptions {
    pub config: ConfigChoice,
    pub catalogs: Option<PathBuf>,
    pub rules: Option<PathBuf>,
}

/// What the gate and the report show, as the command line asks (the policy fills the rest).
#[derive(Debug, Clone, Copy, Default)]
pub struct GateOptions {
    pub fail_on: Option<FailOn>,
    pub min_severity: Option<Severity>,
}

pub struct Session {
    pub catalogs: Catalogs,
    pub rules: RuleSet,
    pub policy: Policy,
    /// The policy file applied, as shown to the user; its real path, to keep outputs off it.
    pub policy_file: Option<(String, PathBuf)>,
    /// "Today" for this session: expiry of waivers and certificates, token ages.
    pub today: Date,
    /// The approved folder (`--approved DIR`) the apps were held against, if any.
    pub approved: Option<crate::approval::ApprovedFolder>,
}

impl Session {
    /// Loads and validates everything up front; every problem is returned, each naming its file.
    pub fn load(options: &DataOptions, today: Date) -> Result<Session, Vec<FileError>> {
        let catalogs = data::load_catalogs(options.catalogs.as_deref())?;
        let rules = data::load_rules(options.rules.as_deref(), &catalogs, false)?;
        let policy_file = find_policy(&options.config)?;
        let policy = match &policy_file {
            Some((display, path)) => policy::load(path, display, &rules, &catalogs)?,
            None => Policy::default(),
        };
        Ok(Session {
            catalogs,
            rules,
            policy,
            policy_file,
            today,
            approved: None,
        })
    }

    /// Splits off the apps with a tool the needs table cannot place: what such a tool needs
    /// is unknown, so the app cannot be judged. Each becomes an input error at the tool's line
    /// (a near miss gets "did you mean"; anything else names the vocabulary), never a guess.
    pub fn check_tools(&self, apps: Vec<App>) -> (Vec<App>, Vec<(App, Vec<FileError>)>) {
        let mut kept = Vec::with_capacity(apps.len());
        let mut refused = Vec::new();
        for app in apps {
            let table = self.catalogs.get(app.platform).needs();
            let errors: Vec<FileError> = app
                .tools
                .iter()
                .enumerate()
                .filter_map(|(i, tool)| {
                    let problem = match table.resolve(tool, app.platform) {
                        Err(problem) => problem,
                        Ok(targets) => {
                            let missing: Vec<&str> = targets
                                .iter()
                                .filter(|t| t.access(tool.access).is_none())
                                .map(|t| t.name.as_str())
                                .collect();
                            if missing.is_empty() {
                                return None;
                            }
                            format!(
                                "no scope lets an app {} `{}` on {} (the table lists no such operation)",
                                tool.access.as_str(),
                                missing.join("`, `"),
                                app.platform.display_name()
                            )
                        }
                    };
                    let at = tool.at.map(|p| (app.source.file(p.file).to_string(), p.line as usize));
                    let message = format!("tools[{i}] `{}`: {problem}", crate::untrusted::capped(&tool.name, 80));
                    Some(match at {
                        Some((path, line)) => FileError::at(path, line, None, message),
                        None => FileError::new(app.source.path.clone(), message),
                    })
                })
                .collect();
            if errors.is_empty() {
                kept.push(app);
            } else {
                refused.push((app, errors));
            }
        }
        (kept, refused)
    }

    pub fn evaluate(&self, apps: Vec<App>) -> Evaluation {
        self.evaluate_with(apps, None)
    }

    /// [`Session::evaluate`] for apps of an org pull: the rules about the org as a whole
    /// (uninstalled apps' tokens, the audit's credential) run once on `org`.
    pub fn evaluate_with(&self, apps: Vec<App>, org: Option<&crate::model::org::OrgSummary>) -> Evaluation {
        Engine {
            catalogs: &self.catalogs,
            rules: &self.rules,
            policy: &self.policy,
            today: self.today,
            org,
            approvals_unmatched: self.approved.as_ref().map_or(&[], |a| a.unmatched.as_slice()),
        }
        .evaluate(apps)
    }

    /// The threshold in force: the command line's, else the policy's, else `high`.
    pub fn fail_on(&self, flag: Option<FailOn>) -> FailOn {
        flag.or(self.policy.fail_on).unwrap_or(FailOn::At(Severity::High))
    }

    /// Evaluates `apps` into the report every renderer reads. `errors` are the inputs that
    /// could not be read: with any, the report is marked incomplete and does not pass.
    pub fn report(&self, apps: Vec<App>, errors: Vec<FileError>, ignored: Vec<String>, gate: GateOptions) -> Report {
        self.report_with(apps, errors, ignored, gate, None)
    }

    /// [`Session::report`] for apps read from an org (live or a snapshot): `org` is the pull.
    pub fn report_with(
        &self,
        apps: Vec<App>,
        errors: Vec<FileError>,
        ignored: Vec<String>,
        gate: GateOptions,
        org: Option<crate::model::org::OrgSummary>,
    ) -> Report {
        let evaluation = self.evaluate_with(apps, org.as_ref());
        let options = ReportOptions {
            fail_on: self.fail_on(gate.fail_on),
            min_severity: gate.min_severity.or(self.policy.min_severity).unwrap_or(Severity::Info),
            today: self.today,
            errors,
            ignored,
            policy: self.policy_file.as_ref().map(|(display, _)| display.clone()),
            org,
            approved: self.approved.clone(),
        };
        Report::build(evaluation, &self.catalogs, &self.rules, &options)
    }
}

/// The policy file to apply, as (shown, path).
fn find_policy(choice: &ConfigChoice) -> Result<Option<(String, PathBuf)>, Vec<FileError>> {
    match choice {
        ConfigChoice::Skip => Ok(None),
        ConfigChoice::File(path) => Ok(Some((path.display().to_string(), path.clone()))),
        ConfigChoice::Discover => {
            let cwd = std::env::current_dir()
                .map_err(|e| vec![FileError::new(".", format!("cannot read the current directory: {e}"))])?;
            let home = std::env::var_os("HOME").map(PathBuf::from);
            Ok(policy::discover(&cwd, home.as_deref()).map(|path| (shown_from(&cwd, &path), path)))
        }
    }
}

/// A discovered path as the user would write it from `cwd`.
fn shown_from(cwd: &Path, path: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(relative) => relative.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}
