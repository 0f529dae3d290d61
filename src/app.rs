//! The commands: inputs -> session -> report -> outputs -> exit code. Output goes to the
//! streams as it is produced; a report file appears whole or not at all.

use crate::analysis::AppResult;
use crate::catalog::{Catalog, ScopeEntry};
use crate::data;
use crate::finding::FailOn;
use crate::inputs;
use crate::model::{Date, Platform, ToolAccess};
use crate::report::templates::{self, Templates};
use crate::report::{sarif, text, Report};
pub use crate::session::{ConfigChoice, DataOptions};
use crate::session::{GateOptions, Session};
use crate::source_file::FileError;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit codes: an API, documented in the README.
pub const EXIT_PASSED: u8 = 0;
pub const EXIT_GATE_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
/// The org could not be audited (authentication, network, permissions, API limits), or only
/// in part: the report of what was read is marked incomplete.
pub const EXIT_ORG: u8 = 3;

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

    pub fn files(errors: Vec<FileError>) -> Failure {
        Failure {
            lines: errors.iter().map(ToString::to_string).collect(),
            code: EXIT_BAD_INPUT,
        }
    }

    fn write(what: &str, e: &std::io::Error) -> Failure {
        Failure::usage(format!("{what}: {}", crate::source_file::io_message(e)))
    }
}

/// Where a command writes: standard output and standard error, as the binary gives them.
pub struct Streams<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

impl Streams<'_> {
    /// Writes to stdout; a reader that went away (`| head`) is not an error, anything else
    /// (a full disk) is, since the output is the product.
    pub(crate) fn print(&mut self, produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Failure> {
        match produce(self.stdout).and_then(|()| self.stdout.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::write("cannot write to stdout", &e)),
            _ => Ok(()),
        }
    }
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
    pub(crate) fn from_extension(path: &Path) -> Option<Format> {
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

/// What every command that reports takes alike (`audit`, `org salesforce`): the output, the
/// gate and where the session's data comes from.
#[derive(Debug, Clone)]
pub struct ReportFlags {
    pub format: Format,
    pub outputs: Vec<PathBuf>,
    pub gate: GateOptions,
    pub data: DataOptions,
    /// Where to find replacement report templates.
    pub templates: Option<PathBuf>,
    /// Colour the text on stdout (a terminal, and NO_COLOR unset).
    pub color: bool,
}

#[derive(Debug, Clone)]
pub struct AuditOptions {
    pub inputs: Vec<String>,
    pub scopes: Option<String>,
    pub platform: Option<Platform>,
    pub report: ReportFlags,
    /// Days without use after which an org token is stale (org snapshots).
    pub stale_days: u32,
    /// The directory of approved manifests to hold the audited apps against (`--approved`).
    pub approved: Option<PathBuf>,
}

/// The apps of an audit, and the inputs it could not read.
struct AuditInputs {
    apps: Vec<crate::model::App>,
    errors: Vec<FileError>,
    ignored: Vec<String>,
    files: Vec<PathBuf>,
    org: Option<inputs::OrgInput>,
}

fn read_inputs(options: &AuditOptions) -> Result<AuditInputs, Failure> {
    if options.inputs.is_empty() && options.scopes.is_none() {
        return Err(Failure::usage(
            "nothing to audit: give an INPUT (file or directory) or --scopes \"...\" --platform P",
        ));
    }
    let inputs::Inputs {
        mut apps,
        named_errors,
        walk_errors,
        ignored,
        files,
        org,
    } = inputs::load_paths_with(
        &options.inputs,
        inputs::LoadOptions {
            stale_days: options.stale_days,
        },
    );
    // An input the user named that cannot be read stops the command with its own line; files
    // met while walking are listed in an incomplete report instead.
    if !named_errors.is_empty() {
        return Err(Failure::files(named_errors.into_iter().chain(walk_errors).collect()));
    }
    match (&options.scopes, options.platform) {
        (Some(list), Some(platform)) => {
            apps.push(inputs::scope_list(list, platform).map_err(|e| Failure::files(vec![e]))?)
        }
        (Some(_), None) => return Err(Failure::usage("--scopes needs --platform salesforce|hubspot")),
        (None, Some(_)) => return Err(Failure::usage("--platform goes with --scopes")),
        (None, None) => {}
    }
    if apps.is_empty() && walk_errors.is_empty() {
        return Err(Failure::usage(format!(
            "no apps found in {} (looked for app manifests, Connected App and External Client App metadata, HubSpot app configs and authorize URLs)",
            crate::untrusted::quoted(
                &options
                    .inputs
                    .iter()
                    .map(|i| inputs::authorize_url::shown_argument(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        )));
    }
    Ok(AuditInputs {
        apps,
        errors: walk_errors,
        ignored,
        files,
        org,
    })
}

/// Reads the inputs and runs the audit, returning the report and the files it read.
pub fn audit_report(options: &AuditOptions) -> Result<(Report, Vec<PathBuf>), Failure> {
    let mut session = Session::load(&options.report.data, Date::today()).map_err(Failure::files)?;
    let mut inputs = read_inputs(options)?;
    // An org snapshot is judged as of when it was taken: the same findings any day.
    let org = inputs.org.take().map(|org| {
        session.today = org.summary.taken_at.date();
        inputs.errors.extend(org.errors);
        org.summary
    });
    // A tool the needs table cannot place makes its app bad input: a file the user named
    // stops the command, one met while walking leaves the report incomplete.
    let (apps, refused) = session.check_tools(std::mem::take(&mut inputs.apps));
    inputs.apps = apps;
    let mut named = Vec::new();
    for (app, errors) in refused {
        if options.inputs.contains(&app.source.path) {
            named.extend(errors);
        } else {
            inputs.errors.extend(errors);
        }
    }
    if !named.is_empty() {
        return Err(Failure::files(named));
    }
    if let Some(dir) = &options.approved {
        let approved =
            crate::approval::apply(dir, std::mem::take(&mut inputs.apps), &session.catalogs).map_err(Failure::files)?;
        let (apps, folder) = approved.folder(dir);
        inputs.apps = apps;
        session.approved = Some(folder);
    }
    let mut files = inputs.files;
    if let Some((_, path)) = &session.policy_file {
        files.push(path.clone());
    }
    let report = session.report_with(inputs.apps, inputs.errors, inputs.ignored, options.report.gate, org);
    // The command ends with the report; freeing every catalog entry and rule one by one costs
    // about a tenth of a small audit, and the process is about to exit anyway.
    std::mem::forget(session);
    Ok((report, files))
}

pub(crate) fn render(
    report: &Report,
    format: Format,
    color: bool,
    templates: &Templates,
    out: &mut dyn Write,
) -> Result<(), std::io::Error> {
    let template_failed = std::io::Error::other;
    match format {
        Format::Text => text::render(report, color, out),
        Format::Json => report.write_json(out),
        Format::Sarif => sarif::render(report, out),
        Format::Markdown => templates
            .render(templates::MARKDOWN, report, out)
            .map_err(template_failed),
        Format::Html => templates.render(templates::HTML, report, out).map_err(template_failed),
    }
}

/// The `-o` paths with the format each extension names, checked before any work is done.
pub(crate) fn output_paths<F: Copy>(
    paths: &[PathBuf],
    format_of: impl Fn(&Path) -> Option<F>,
    expected: &str,
) -> Result<Vec<(PathBuf, F)>, Failure> {
    paths
        .iter()
        .map(|path| {
            if path.is_dir() {
                return Err(Failure::usage(format!("-o {}: is a directory", path.display())));
            }
            format_of(path)
                .map(|f| (path.clone(), f))
                .ok_or_else(|| Failure::usage(format!("-o {}: unknown extension; use {expected}", path.display())))
        })
        .collect()
}

/// Refuses an output path that is one of the inputs: a report must never replace what it audits.
fn refuse_overwriting_inputs<F>(outputs: &[(PathBuf, F)], inputs: &[PathBuf]) -> Result<(), Failure> {
    let existing: Vec<(&PathBuf, PathBuf)> = outputs
        .iter()
        .filter_map(|(p, _)| std::fs::canonicalize(p).ok().map(|c| (p, c)))
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    for input in inputs {
        if let Ok(input) = std::fs::canonicalize(input) {
            if let Some((output, _)) = existing.iter().find(|(_, c)| *c == input) {
                return Err(Failure::usage(format!(
                    "-o {}: is one of the inputs; choose another path",
                    output.display()
                )));
            }
        }
    }
    Ok(())
}

/// Writes a report file atomically: into a temporary file beside it, then renamed over it, so a
/// failed write leaves no truncated report and a reader never sees half of one.
pub fn write_atomically(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::write(&format!("-o {}", path.display()), &e);
    // A device or FIFO (`/dev/stdout`, a pipe) is written in place: renaming a file over it
    // would replace the device itself.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(fail)?;
        return produce(&mut file).and_then(|()| file.flush()).map_err(fail);
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    let mut writer = std::io::BufWriter::new(temp);
    produce(&mut writer).map_err(fail)?;
    let temp = writer.into_inner().map_err(|e| fail(e.into_error()))?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

pub fn run_audit(options: &AuditOptions, streams: &mut Streams) -> Result<u8, Failure> {
    // Check output paths before doing the work, so a typo costs nothing.
    let flags = &options.report;
    let outputs = report_output_paths(&flags.outputs)?;
    let templates = load_templates(flags.templates.as_deref())?;
    let (report, inputs) = audit_report(options)?;
    refuse_overwriting_inputs(&outputs, &inputs)?;
    deliver(&report, &outputs, flags.format, flags.color, &templates, streams)?;
    Ok(finish(&report, flags.format, streams))
}

/// The `-o` paths of a report command, each with the format its extension names.
pub(crate) fn report_output_paths(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Format)>, Failure> {
    output_paths(paths, Format::from_extension, ".json, .sarif, .md, .html or .txt")
}

/// The embedded report templates, or those of `--templates DIR`.
pub(crate) fn load_templates(dir: Option<&Path>) -> Result<Templates, Failure> {
    match dir {
        Some(dir) => Templates::with_overrides(dir).map_err(Failure::files),
        None => Ok(Templates::default()),
    }
}

/// Writes the report to each `-o` file (without colour, whole or not at all), then to stdout.
pub(crate) fn deliver(
    report: &Report,
    outputs: &[(PathBuf, Format)],
    format: Format,
    color: bool,
    templates: &Templates,
    streams: &mut Streams,
) -> Result<(), Failure> {
    for (path, file_format) in outputs {
        write_atomically(path, |out| render(report, *file_format, false, templates, out))?;
    }
    streams.print(|out| render(report, format, color, templates, out))
}

/// Says on stderr what an incomplete report left out, and returns the exit code the report
/// ends with: 3 for an org pull cut short, 2 for unreadable files, else the gate's.
pub(crate) fn finish(report: &Report, stdout_format: Format, streams: &mut Streams) -> u8 {
    let org_cut_short = report.org.as_ref().is_some_and(|o| !o.complete);
    if !report.complete {
        // The text report opens with these; a machine format on stdout does not show them to
        // the person running the command, so they go to stderr as well.
        if stdout_format != Format::Text {
            for e in &report.errors {
                let _ = writeln!(streams.stderr, "error: {e}");
            }
        }
        let _ = if org_cut_short {
            writeln!(
                streams.stderr,
                "error: the report is incomplete: the org pull was cut short, so the org was not fully audited"
            )
        } else {
            writeln!(
                streams.stderr,
                "error: the report is incomplete: {} input(s) could not be read",
                report.errors.len()
            )
        };
    }
    if org_cut_short {
        EXIT_ORG
    } else if !report.complete {
        EXIT_BAD_INPUT
    } else if report.gate.passed {
        EXIT_PASSED
    } else {
        EXIT_GATE_FAILED
    }
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
    pub data: DataOptions,
}

fn render_diff(diff: &crate::diff::DiffReport, format: DiffFormat, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(
        match format {
            DiffFormat::Text => diff.to_text(),
            DiffFormat::Json => diff.to_json(),
            DiffFormat::Markdown => diff.to_markdown(),
        }
        .as_bytes(),
    )
}

/// One side of a diff: exactly one app, evaluated on its own. Any input it cannot read stops
/// the diff: a drift gate over half an app would pass what it never saw.
fn diff_side(
    label: &str,
    input: &str,
    session: &Session,
) -> Result<(AppResult, Vec<crate::finding::Finding>, Vec<PathBuf>), Failure> {
    if !(crate::inputs::authorize_url::looks_like_url(input) || Path::new(input).exists()) {
        return Err(Failure::usage(format!(
            "{label} {}: no such file or directory",
            crate::untrusted::quoted(&inputs::authorize_url::shown_argument(input))
        )));
    }
    let loaded = inputs::load_paths(&[input.to_string()]);
    if !loaded.named_errors.is_empty() || !loaded.walk_errors.is_empty() {
        return Err(Failure::files(
            loaded.named_errors.into_iter().chain(loaded.walk_errors).collect(),
        ));
    }
    let count = loaded.apps.len();
    let (apps, refused) = session.check_tools(loaded.apps);
    if !refused.is_empty() {
        return Err(Failure::files(refused.into_iter().flat_map(|(_, e)| e).collect()));
    }
    let mut evaluation = session.evaluate(apps);
    match (count, evaluation.apps.pop()) {
        (1, Some(result)) => {
            let findings = evaluation.findings.into_iter().filter(|f| f.app.is_some()).collect();
            Ok((result, findings, loaded.files))
        }
        _ => Err(Failure::usage(format!(
            "{label} {}: holds {count} apps; diff compares two versions of one app",
            crate::untrusted::quoted(&inputs::authorize_url::shown_argument(input))
        ))),
    }
}

/// `scopeaudit diff OLD NEW`: the drift gate.
pub fn run_diff(options: &DiffOptions, streams: &mut Streams) -> Result<u8, Failure> {
    let outputs = output_paths(
        &options.outputs,
        |path| match Format::from_extension(path) {
            Some(Format::Json) => Some(DiffFormat::Json),
            Some(Format::Markdown) => Some(DiffFormat::Markdown),
            Some(Format::Text) => Some(DiffFormat::Text),
            _ => None,
        },
        ".json, .md or .txt (a diff has no SARIF or HTML form)",
    )?;
    let session = Session::load(&options.data, Date::today()).map_err(Failure::files)?;
    let (old, old_findings, mut files) = diff_side("OLD", &options.old, &session)?;
    let (new, new_findings, new_files) = diff_side("NEW", &options.new, &session)?;
    files.extend(new_files);
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
        catalog: session.catalogs.get(new.app.platform),
        fail_on: session.fail_on(options.fail_on),
        today: session.today,
    });
    refuse_overwriting_inputs(&outputs, &files)?;
    for warning in &diff.warnings {
        let _ = writeln!(streams.stderr, "warning: {}", crate::untrusted::visible(warning));
    }
    for (path, format) in &outputs {
        write_atomically(path, |out| render_diff(&diff, *format, out))?;
    }
    streams.print(|out| render_diff(&diff, options.format, out))?;
    Ok(if diff.gate.passed {
        EXIT_PASSED
    } else {
        EXIT_GATE_FAILED
    })
}

/// `scopeaudit completions SHELL`: the completion script clap_complete generates from the
/// command definition, on stdout.
pub fn run_completions(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
    streams: &mut Streams,
) -> Result<u8, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, command, "scopeaudit", &mut script);
    streams.print(|out| out.write_all(&script))?;
    Ok(EXIT_PASSED)
}

/// `scopeaudit scopes PLATFORM [SCOPE] [--format json]`.
/// What `scopeaudit scopes` prints.
pub enum ScopesQuery {
    /// Every scope.
    Catalog,
    /// One scope, by any name.
    Scope(String),
    /// What a manifest tool may name, and what each access needs (`--objects`).
    Vocabulary,
}

/// `scopeaudit scopes PLATFORM [SCOPE | --objects] [--format json]`.
pub fn run_scopes(
    platform: Platform,
    query: ScopesQuery,
    catalogs_dir: Option<&Path>,
    json: bool,
    streams: &mut Streams,
) -> Result<u8, Failure> {
    let catalogs = data::load_catalogs(catalogs_dir).map_err(Failure::files)?;
    let catalog = catalogs.get(platform);
    let stdout = match (query, json) {
        (ScopesQuery::Catalog, false) => list_scopes(catalog),
        (ScopesQuery::Scope(name), false) => explain_scope(catalog, &name)?,
        (ScopesQuery::Catalog, true) => catalog_json(catalog),
        (ScopesQuery::Scope(name), true) => scope_json(catalog, &name)?,
        (ScopesQuery::Vocabulary, false) => list_vocabulary(catalog),
        (ScopesQuery::Vocabulary, true) => pretty_json(&serde_json::json!({
            "platform": catalog.platform,
            "source": &catalog.needs().source,
            "targets": &catalog.needs().targets,
        })),
    };
    streams.print(|out| out.write_all(stdout.as_bytes()))?;
    Ok(EXIT_PASSED)
}

/// The needs table as text: each target, its kind and names, and per access the scopes it
/// needs ("a + (b | c)") with the source.
fn list_vocabulary(catalog: &Catalog) -> String {
    let table = catalog.needs();
    let mut out = format!(
        "{} tool vocabulary: {} targets, from {} ({}, {})
",
        catalog.platform.display_name(),
        table.targets.len(),
        table.source.title,
        table.source.version,
        table.source.date
    );
    let _ = writeln!(
        out,
        "A tool names an object with `object:`, anything else with `feature:`; a feature listed as `feature:object` takes `of: [object]`.\n"
    );
    for target in &table.targets {
        let mut names = vec![format!("`{}`", target.name)];
        names.extend(target.aliases.iter().map(|a| format!("`{a}`")));
        names.extend(target.shapes.iter().map(|s| format!("like `{}`", s.example)));
        let _ = writeln!(out, "{} ({})", names.join(", "), target.kind.as_str());
        for access in <ToolAccess as strum::VariantArray>::VARIANTS.iter().copied() {
            if let Some(need) = target.access(access) {
                let groups: Vec<String> = need
                    .all_of
                    .iter()
                    .map(|g| match g.as_slice() {
                        [one] => one.clone(),
                        many => format!("({})", many.join(" | ")),
                    })
                    .collect();
                let _ = writeln!(out, "  {:7} {}  [{}]", access.as_str(), groups.join(" + "), need.source);
            }
        }
    }
    out
}

/// The whole catalog as JSON: the file's own fields, every scope with every field (absent
/// optional fields as `null` or `[]`), so a reader needs no knowledge of the YAML defaults.
fn catalog_json(catalog: &Catalog) -> String {
    let value = serde_json::json!({
        "platform": catalog.platform,
        "checked": catalog.checked,
        "scope_count": catalog.scopes.len(),
        "scopes": catalog.scopes,
        "least_privilege": catalog.least_privilege,
        "needs": {"source": &catalog.needs().source, "targets": &catalog.needs().targets},
    });
    pretty_json(&value)
}

/// One scope as JSON: the entry the name (id or alias, any case) belongs to, the canonical id
/// it resolves to, and what holding it grants or is granted by.
fn scope_json(catalog: &Catalog, name: &str) -> Result<String, Failure> {
    let entry = lookup_or_explain(catalog, name)?;
    let canonical = catalog.resolve(name).map_or(entry.id.as_str(), |e| e.id.as_str());
    let also_grants: Vec<String> = catalog
        .grants_of(canonical)
        .into_iter()
        .filter(|g| g != canonical)
        .collect();
    let value = serde_json::json!({
        "platform": catalog.platform,
        "checked": catalog.checked,
        "query": name.trim(),
        "canonical": canonical,
        "scope": entry,
        "also_grants": also_grants,
        "granted_by": catalog.implied_by(canonical),
    });
    Ok(pretty_json(&value))
}

fn pretty_json(value: &serde_json::Value) -> String {
    // A Value built from strings, numbers and lists always serializes.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
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

/// The entry `name` belongs to, or a usage error with a "did you mean" hint.
fn lookup_or_explain<'c>(catalog: &'c Catalog, name: &str) -> Result<&'c ScopeEntry, Failure> {
    catalog.entry(name).ok_or_else(|| {
        let hint = catalog
            .suggest(name)
            .map(|s| format!(" Did you mean `{s}`?"))
            .unwrap_or_default();
        Failure::usage(format!(
            "the {} catalog has no scope `{name}`.{hint} (`scopeaudit scopes {}` lists them)",
            catalog.platform.display_name(),
            catalog.platform
        ))
    })
}

fn explain_scope(catalog: &Catalog, name: &str) -> Result<String, Failure> {
    let entry = lookup_or_explain(catalog, name)?;
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
    if let Some(date) = &entry.sunset {
        field("sunset", date);
    }
    if let Some(source) = &entry.sunset_source {
        field("sunset source", source);
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
pub fn run_rules(
    id: Option<&str>,
    catalogs_dir: Option<&Path>,
    rules_dir: Option<&Path>,
    streams: &mut Streams,
) -> Result<u8, Failure> {
    let catalogs = data::load_catalogs(catalogs_dir).map_err(Failure::files)?;
    let rules = data::load_rules(rules_dir, &catalogs, false).map_err(Failure::files)?;
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
                    // A rule whose findings take the scope's risk has no one severity.
                    match r.severity_from {
                        Some(crate::rule::SeverityFrom::ScopeRisk) => "by risk",
                        // High, low when idle: the rule's own severity is the worst.
                        Some(crate::rule::SeverityFrom::TokenActivity) | None => r.severity.as_str(),
                    },
                    platforms.join(", "),
                    r.title
                );
            }
            out
        }
        Some(id) => {
            let rule = rules.get(id).ok_or_else(|| {
                let nearest = crate::suggest::nearest(id, rules.rules.iter().map(|r| r.id.as_str()));
                let shown = crate::untrusted::quoted(id);
                Failure::usage(match nearest {
                    Some(near) => format!("no rule `{shown}`; did you mean `{near}`? (`scopeaudit rules` lists them)"),
                    None => format!("no rule `{shown}` (`scopeaudit rules` lists them)"),
                })
            })?;
            let platforms: Vec<&str> = rule.platforms.iter().map(|p| p.as_str()).collect();
            let severity = match rule.severity_from {
                Some(crate::rule::SeverityFrom::ScopeRisk) => {
                    format!(
                        "the scope's risk tier ({} for a scope the catalog lacks)",
                        rule.severity
                    )
                }
                Some(crate::rule::SeverityFrom::TokenActivity) => format!(
                    "{}; low for an org app none of whose tokens was used within --stale-days and that nobody is pre-authorized for",
                    rule.severity
                ),
                None => rule.severity.to_string(),
            };
            let mut related = String::new();
            for (label, ids) in [
                ("Replaces on the same subject", &rule.supersedes),
                ("See also", &rule.see_also),
            ] {
                if !ids.is_empty() {
                    let names: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
                    let _ = write!(related, "\n\n{label}: {}.", names.join(", "));
                }
            }
            format!(
                "{} — {}\nseverity: {} · platforms: {} · applies to each: {}\n\n{}{}\n\n## Remediation\n\n{}\n\nMore: {}\n",
                rule.id,
                rule.title,
                severity,
                platforms.join(", "),
                rule.subject.as_str().replace('_', " "),
                rule.docs.trim(),
                related,
                rule.remediation.trim(),
                rule.help_uri
            )
        }
    };
    streams.print(|out| out.write_all(stdout.as_bytes()))?;
    Ok(EXIT_PASSED)
}

/// `scopeaudit init`: writes a commented starter manifest (or prints it, with `-`).
/// What `init` starts from: a blank starter of a platform, or a live app (`--from`).
#[derive(Debug, Default)]
pub struct InitOptions {
    pub platform: Option<Platform>,
    pub from: Option<PathBuf>,
    pub app: Option<String>,
}

pub fn run_init(options: &InitOptions, output: &Path, force: bool, streams: &mut Streams) -> Result<u8, Failure> {
    let text: std::borrow::Cow<'static, str> = match &options.from {
        None => data::starter_manifest(options.platform.unwrap_or(Platform::Salesforce)).into(),
        Some(from) => crate::init::starter_from(from, options.app.as_deref(), options.platform)?.into(),
    };
    if output != Path::new("-") && output.exists() && !force {
        return Err(Failure::usage(format!(
            "{}: already exists (use --force to overwrite)",
            output.display()
        )));
    }
    if output == Path::new("-") {
        streams.print(|out| out.write_all(text.as_bytes()))?;
        return Ok(EXIT_PASSED);
    }
    if let Some(from) = &options.from {
        let same = std::fs::canonicalize(from)
            .ok()
            .zip(std::fs::canonicalize(output).ok())
            .is_some_and(|(a, b)| a == b);
        if same {
            return Err(Failure::usage(format!(
                "{}: is the --from input; write the manifest elsewhere",
                output.display()
            )));
        }
    }
    // A new manifest often starts a new folder (`-o approved/ledger.yaml`): make it.
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure::write(&format!("-o {}", parent.display()), &e))?;
    }
    write_atomically(output, |out| out.write_all(text.as_bytes()))?;
    // Standard error is for people; if it is gone there is nobody to tell.
    let _ = if let Some(from) = &options.from {
        let folder = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| "DIR".to_string(), |p| p.display().to_string());
        writeln!(
            streams.stderr,
            "wrote {}: have the vendor justify each scope and describe its tools, keep it in the approved folder, then run `scopeaudit audit {} --approved {folder}`",
            output.display(),
            from.display()
        )
    } else {
        writeln!(
            streams.stderr,
            "wrote {0}: describe the app, its scopes and tools, then run `scopeaudit audit {0}`",
            output.display()
        )
    };
    Ok(EXIT_PASSED)
}
