//! Orchestration: config -> inputs -> engine -> report -> outputs -> exit code.

use crate::catalog::{Catalog, Catalogs};
use crate::data;
use crate::engine::{AppResult, Engine};
use crate::finding::{FailOn, Severity};
use crate::inputs;
use crate::model::{App, Platform};
use crate::policy::{self, Date, Policy};
use crate::report::templates::{self, Templates};
use crate::report::{sarif, text, Report, ReportOptions};
use crate::rule::RuleSet;
use crate::source_file::FileError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Exit codes: an API, documented in the README.
pub const EXIT_PASSED: u8 = 0;
pub const EXIT_GATE_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

/// Something that stops a command before it has a result: every line is shown, one problem
/// per line, and the process exits with `code`.
#[derive(Debug)]
pub struct Failure {
    pub lines: Vec<String>,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            lines: vec![message.into()],
            code: EXIT_BAD_INPUT,
        }
    }

    fn files(errors: Vec<FileError>) -> Failure {
        Failure {
            lines: errors.iter().map(ToString::to_string).collect(),
            code: EXIT_BAD_INPUT,
        }
    }
}

/// What a command produced: text for stdout, a note for stderr, and the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Markdown,
    Html,
}

impl Format {
    fn from_extension(path: &Path) -> Option<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Some(Format::Json),
            Some("txt") => Some(Format::Text),
            Some("sarif") => Some(Format::Sarif),
            Some("md" | "markdown") => Some(Format::Markdown),
            Some("html" | "htm") => Some(Format::Html),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ConfigChoice {
    /// Look for `.scopeaudit.yaml` from the current directory up to the repository root.
    Discover,
    File(PathBuf),
    Skip,
}

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub inputs: Vec<String>,
    pub scopes: Option<String>,
    pub platform: Option<Platform>,
    pub format: Format,
    pub outputs: Vec<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub min_severity: Option<Severity>,
    pub config: ConfigChoice,
    pub catalogs: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    /// Where to find replacement report templates.
    pub templates: Option<PathBuf>,
    /// Colour the text on stdout (a terminal, and NO_COLOR unset).
    pub color: bool,
}

fn load_data(catalogs: Option<&Path>, rules: Option<&Path>) -> Result<(Catalogs, RuleSet), Failure> {
    let catalogs = data::load_catalogs(catalogs).map_err(Failure::files)?;
    let rules = data::load_rules(rules, &catalogs, false).map_err(Failure::files)?;
    Ok((catalogs, rules))
}

fn load_policy(choice: &ConfigChoice, rules: &RuleSet, catalogs: &Catalogs) -> Result<Policy, Failure> {
    let path = match choice {
        ConfigChoice::Skip => return Ok(Policy::default()),
        ConfigChoice::File(p) => p.clone(),
        ConfigChoice::Discover => {
            let cwd = std::env::current_dir()
                .map_err(|e| Failure::usage(format!("cannot read the current directory: {e}")))?;
            match policy::discover(&cwd) {
                Some(p) => p,
                None => return Ok(Policy::default()),
            }
        }
    };
    let display = match choice {
        ConfigChoice::Discover => std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(|p| p.display().to_string()))
            .unwrap_or_else(|| path.display().to_string()),
        _ => path.display().to_string(),
    };
    policy::load(&path, &display, rules, catalogs).map_err(Failure::files)
}

/// Reads the inputs and runs the audit, returning the report and the apps it covers.
pub fn audit_report(options: &AuditOptions) -> Result<Report, Failure> {
    let (catalogs, rules) = load_data(options.catalogs.as_deref(), options.rules.as_deref())?;
    let policy = load_policy(&options.config, &rules, &catalogs)?;
    let apps = read_inputs(options)?;
    let today = Date::today();
    let engine = Engine {
        catalogs: &catalogs,
        rules: &rules,
        policy: &policy,
        today,
    };
    let evaluation = engine.evaluate(apps);
    let report_options = ReportOptions {
        fail_on: options.fail_on.or(policy.fail_on).unwrap_or(FailOn::At(Severity::High)),
        min_severity: options.min_severity.or(policy.min_severity).unwrap_or(Severity::Info),
        today,
    };
    Ok(Report::build(evaluation, &catalogs, &rules, &report_options))
}

fn read_inputs(options: &AuditOptions) -> Result<Vec<App>, Failure> {
    if options.inputs.is_empty() && options.scopes.is_none() {
        return Err(Failure::usage(
            "nothing to audit: give an INPUT (file or directory) or --scopes \"...\" --platform P",
        ));
    }
    let mut apps = inputs::load_paths(&options.inputs).map_err(Failure::files)?;
    match (&options.scopes, options.platform) {
        (Some(list), Some(platform)) => {
            apps.push(inputs::scope_list(list, platform).map_err(|e| Failure::files(vec![e]))?)
        }
        (Some(_), None) => return Err(Failure::usage("--scopes needs --platform salesforce|hubspot")),
        (None, Some(_)) => return Err(Failure::usage("--platform goes with --scopes")),
        (None, None) => {}
    }
    if apps.is_empty() {
        return Err(Failure::usage(format!(
            "no apps found in {} (looked for app manifests, Connected App and External Client App metadata, HubSpot app configs and authorize URLs)",
            options.inputs.join(", ")
        )));
    }
    Ok(apps)
}

fn render(report: &Report, format: Format, color: bool, templates: &Templates) -> Result<String, Failure> {
    Ok(match format {
        Format::Text => text::render(report, color),
        Format::Json => report.to_json(),
        Format::Sarif => sarif::render(report),
        Format::Markdown => templates.render(templates::MARKDOWN, report).map_err(Failure::usage)?,
        Format::Html => templates.render(templates::HTML, report).map_err(Failure::usage)?,
    })
}

pub fn run_audit(options: &AuditOptions) -> Result<Outcome, Failure> {
    // Check output paths before doing the work, so a typo costs nothing.
    let mut outputs = Vec::new();
    for path in &options.outputs {
        let format = Format::from_extension(path).ok_or_else(|| {
            Failure::usage(format!(
                "-o {}: unknown extension; use .json, .sarif, .md, .html or .txt",
                path.display()
            ))
        })?;
        outputs.push((path, format));
    }
    let templates = match &options.templates {
        Some(dir) => Templates::with_overrides(dir).map_err(Failure::files)?,
        None => Templates::default(),
    };
    let report = audit_report(options)?;
    let stdout = render(&report, options.format, options.color, &templates)?;
    for (path, format) in outputs {
        std::fs::write(path, render(&report, format, false, &templates)?)
            .map_err(|e| Failure::usage(format!("-o {}: {}", path.display(), crate::source_file::io_message(&e))))?;
    }
    let code = if report.gate.passed {
        EXIT_PASSED
    } else {
        EXIT_GATE_FAILED
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub old: String,
    pub new: String,
    pub format: DiffFormat,
    pub outputs: Vec<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub config: ConfigChoice,
    pub catalogs: Option<PathBuf>,
    pub rules: Option<PathBuf>,
}

fn render_diff(diff: &crate::diff::DiffReport, format: DiffFormat) -> String {
    match format {
        DiffFormat::Text => diff.to_text(),
        DiffFormat::Json => diff.to_json(),
        DiffFormat::Markdown => diff.to_markdown(),
    }
}

/// One side of a diff: exactly one app, evaluated on its own.
fn diff_side(label: &str, input: &str, engine: &Engine) -> Result<(AppResult, Vec<crate::finding::Finding>), Failure> {
    let apps = if crate::inputs::authorize_url::looks_like_url(input) || Path::new(input).exists() {
        inputs::load_paths(&[input.to_string()]).map_err(Failure::files)?
    } else {
        return Err(Failure::usage(format!("{label} {input}: no such file or directory")));
    };
    let count = apps.len();
    let mut evaluation = engine.evaluate(apps);
    match (count, evaluation.apps.pop()) {
        (1, Some(result)) => {
            let findings = evaluation.findings.into_iter().filter(|f| f.app.is_some()).collect();
            Ok((result, findings))
        }
        _ => Err(Failure::usage(format!(
            "{label} {input}: holds {count} apps; diff compares two versions of one app"
        ))),
    }
}

/// `scopeaudit diff OLD NEW`: the drift gate.
pub fn run_diff(options: &DiffOptions) -> Result<Outcome, Failure> {
    let mut outputs = Vec::new();
    for path in &options.outputs {
        let format = match Format::from_extension(path) {
            Some(Format::Json) => DiffFormat::Json,
            Some(Format::Markdown) => DiffFormat::Markdown,
            Some(Format::Text) => DiffFormat::Text,
            _ => {
                return Err(Failure::usage(format!(
                    "-o {}: unknown extension for a diff; use .json, .md or .txt",
                    path.display()
                )))
            }
        };
        outputs.push((path, format));
    }
    let (catalogs, rules) = load_data(options.catalogs.as_deref(), options.rules.as_deref())?;
    let policy = load_policy(&options.config, &rules, &catalogs)?;
    let today = Date::today();
    let engine = Engine {
        catalogs: &catalogs,
        rules: &rules,
        policy: &policy,
        today,
    };
    let (old, old_findings) = diff_side("OLD", &options.old, &engine)?;
    let (new, new_findings) = diff_side("NEW", &options.new, &engine)?;
    if old.app.platform != new.app.platform {
        return Err(Failure::usage(format!(
            "OLD is a {} app and NEW a {} app; diff compares two versions of one app",
            old.app.platform.display_name(),
            new.app.platform.display_name()
        )));
    }
    let diff = crate::diff::compare(&crate::diff::DiffInput {
        old: &old,
        old_findings: &old_findings,
        new: &new,
        new_findings: &new_findings,
        catalog: catalogs.get(new.app.platform),
        fail_on: options.fail_on.or(policy.fail_on).unwrap_or(FailOn::At(Severity::High)),
        today,
    });
    for (path, format) in outputs {
        std::fs::write(path, render_diff(&diff, format))
            .map_err(|e| Failure::usage(format!("-o {}: {}", path.display(), crate::source_file::io_message(&e))))?;
    }
    Ok(Outcome {
        stdout: render_diff(&diff, options.format),
        stderr: String::new(),
        code: if diff.gate.passed {
            EXIT_PASSED
        } else {
            EXIT_GATE_FAILED
        },
    })
}

/// `scopeaudit scopes PLATFORM [SCOPE]`.
pub fn run_scopes(platform: Platform, scope: Option<&str>, catalogs_dir: Option<&Path>) -> Result<Outcome, Failure> {
    let catalogs = data::load_catalogs(catalogs_dir).map_err(Failure::files)?;
    let catalog = catalogs.get(platform);
    let stdout = match scope {
        None => list_scopes(catalog),
        Some(name) => explain_scope(catalog, name)?,
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code: EXIT_PASSED,
    })
}

fn list_scopes(catalog: &Catalog) -> String {
    let mut out = format!(
        "{} scope catalog: {} scopes, checked {}\n\n",
        catalog.platform.display_name(),
        catalog.scopes.len(),
        catalog.checked
    );
    let width = catalog.scopes.iter().map(|s| s.id.len()).max().unwrap_or(5).max(5);
    let _ = writeln!(
        out,
        "{:width$}  {:8}  {:10}  {:10}  TITLE",
        "SCOPE", "RISK", "ACCESS", "STATUS"
    );
    for s in &catalog.scopes {
        let _ = writeln!(
            out,
            "{:width$}  {:8}  {:10}  {:10}  {}",
            s.id,
            s.risk.as_str(),
            s.access.as_str(),
            s.status.as_str(),
            s.title
        );
    }
    out
}

fn explain_scope(catalog: &Catalog, name: &str) -> Result<String, Failure> {
    let Some(entry) = catalog.entry(name) else {
        let hint = catalog
            .suggest(name)
            .map(|s| format!(" Did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Failure::usage(format!(
            "the {} catalog has no scope `{name}`.{hint} (`scopeaudit scopes {}` lists them)",
            catalog.platform.display_name(),
            catalog.platform
        )));
    };
    let canonical = catalog.resolve(name).map_or(entry.id.as_str(), |e| e.id.as_str());
    let mut out = format!("{} — {}\n", entry.id, entry.title);
    if !entry.id.eq_ignore_ascii_case(name.trim()) {
        let _ = writeln!(out, "  (`{}` is an alias of `{}`)", name.trim(), entry.id);
    }
    let list = |items: &[String]| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join(", ")
        }
    };
    let mut field = |label: &str, value: &str| {
        let _ = writeln!(out, "  {:<15}{}", format!("{label}:"), value);
    };
    field("platform", catalog.platform.display_name());
    if let Some(target) = &entry.same_as {
        field("same grant as", target);
    }
    field("aliases", &list(&entry.aliases));
    field("grants", entry.grants.trim());
    field("access", entry.access.as_str());
    field("risk", entry.risk.as_str());
    field("sensitivity", entry.sensitivity.as_str());
    let implies: Vec<String> = catalog
        .grants_of(canonical)
        .into_iter()
        .filter(|g| g != canonical)
        .collect();
    field("also grants", &list(&implies));
    let implied: Vec<String> = catalog.implied_by(canonical).into_iter().map(str::to_string).collect();
    field("granted by", &list(&implied));
    field("requires", &list(&entry.requires));
    field("status", entry.status.as_str());
    if !entry.replaced_by.is_empty() {
        field("replaced by", &list(&entry.replaced_by));
    }
    if let Some(tier) = &entry.tier {
        field("tier", tier);
    }
    field("source", &entry.source);
    if let Some(note) = &entry.note {
        field("note", note.trim());
    }
    Ok(out)
}

/// `scopeaudit rules [ID]`.
pub fn run_rules(id: Option<&str>, catalogs_dir: Option<&Path>, rules_dir: Option<&Path>) -> Result<Outcome, Failure> {
    let (_, rules) = load_data(catalogs_dir, rules_dir)?;
    let stdout = match id {
        None => {
            let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(4).max(4);
            let mut out = format!("{:width$}  {:8}  {:20}  TITLE\n", "RULE", "SEVERITY", "PLATFORMS");
            for r in &rules.rules {
                let platforms: Vec<&str> = r.platforms.iter().map(|p| p.as_str()).collect();
                let _ = writeln!(
                    out,
                    "{:width$}  {:8}  {:20}  {}",
                    r.id,
                    r.severity.as_str(),
                    platforms.join(", "),
                    r.title
                );
            }
            out
        }
        Some(id) => {
            let rule = rules
                .get(id)
                .ok_or_else(|| Failure::usage(format!("no rule `{id}` (`scopeaudit rules` lists them)")))?;
            let platforms: Vec<&str> = rule.platforms.iter().map(|p| p.as_str()).collect();
            format!(
                "{} — {}\nseverity: {} · platforms: {} · applies to each: {}\n\n{}\n\n## Remediation\n\n{}\n\nMore: {}\n",
                rule.id,
                rule.title,
                rule.severity,
                platforms.join(", "),
                rule.subject.as_str().replace('_', " "),
                rule.docs.trim(),
                rule.remediation.trim(),
                rule.help_uri
            )
        }
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code: EXIT_PASSED,
    })
}

/// `scopeaudit init`: writes a commented starter manifest (or prints it, with `-`).
pub fn run_init(platform: Platform, output: &Path, force: bool) -> Result<Outcome, Failure> {
    let text = data::starter_manifest(platform);
    if output == Path::new("-") {
        return Ok(Outcome {
            stdout: text.to_string(),
            stderr: String::new(),
            code: EXIT_PASSED,
        });
    }
    if output.exists() && !force {
        return Err(Failure::usage(format!(
            "{}: already exists (use --force to overwrite)",
            output.display()
        )));
    }
    std::fs::write(output, text)
        .map_err(|e| Failure::usage(format!("{}: {}", output.display(), crate::source_file::io_message(&e))))?;
    Ok(Outcome {
        stdout: String::new(),
        stderr: format!(
            "wrote {0}: describe the app, its scopes and tools, then run `scopeaudit audit {0}`\n",
            output.display()
        ),
        code: EXIT_PASSED,
    })
}
