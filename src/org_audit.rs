//! `scopeaudit org salesforce`: a credential, one read-only pull of the org, the same apps and
//! session every audit uses, and the report. The pull is the only async step (`org::pull`);
//! from the snapshot on, an org audit is a snapshot audit, so `audit SNAPSHOT` gives the same
//! findings later.

use crate::app::{self, Failure, Streams, EXIT_BAD_INPUT, EXIT_ORG};
use crate::inputs;
use crate::model::org::Stamp;
use crate::model::Date;
use crate::org::credentials;
use crate::org::pull::{self, PullOptions};
use crate::org::token::Endpoints;
use crate::session::Session;
use crate::source_file::FileError;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct OrgOptions {
    pub instance_url: Option<String>,
    pub login_url: Option<String>,
    pub target_org: Option<String>,
    pub api_version: Option<String>,
    pub stale_days: u32,
    pub save_snapshot: Option<PathBuf>,
    /// Approved manifests to hold the org's apps against (`--approved`).
    pub approved: Option<PathBuf>,
    pub concurrency: usize,
    /// No progress bar.
    pub quiet: bool,
    /// One line per request on stderr.
    pub verbose: bool,
    pub report: app::ReportFlags,
    /// stderr is a terminal (a progress bar is drawn only there).
    pub stderr_is_terminal: bool,
}

/// The moment the pull starts: now, or the start of `today` when the session's day is fixed
/// (`SCOPEAUDIT_TODAY`), so a replayed run ages tokens as the day it stands for.
fn taken_at(today: Date) -> Stamp {
    let now = Stamp::now();
    if now.date() == today {
        now
    } else {
        Stamp::from_second(today.to_days() * 86_400).unwrap_or(now)
    }
}

pub fn run_org_salesforce(
    options: &OrgOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    streams: &mut Streams,
) -> Result<u8, Failure> {
    // Everything that can be checked without the network is checked first, so a typo costs
    // no API call.
    let flags = &options.report;
    let outputs = app::report_output_paths(&flags.outputs)?;
    if let Some(path) = &options.save_snapshot {
        if path.is_dir() {
            return Err(Failure::usage(format!(
                "--save-snapshot {}: is a directory",
                path.display()
            )));
        }
    }
    if options.stale_days == 0 {
        return Err(Failure::usage("--stale-days must be at least 1"));
    }
    let templates = app::load_templates(flags.templates.as_deref())?;
    let mut session = Session::load(&flags.data, Date::today()).map_err(Failure::files)?;
    // The approved folder is read before any API call, so an unreadable approval costs none.
    let approved = match &options.approved {
        Some(dir) => Some(crate::approval::load_approved(dir).map_err(Failure::files)?),
        None => None,
    };
    let endpoints = Endpoints::parse(options.login_url.as_deref(), options.instance_url.as_deref())
        .map_err(|e| Failure::usage(e.to_string()))?;
    let resolved = credentials::resolve(env, options.target_org.as_deref()).map_err(|e| Failure {
        lines: vec![e.to_string()],
        code: match e {
            // Nothing usable was given: a usage problem. A CLI that fails is the org's side.
            credentials::CredentialError::None
            | credentials::CredentialError::Partial { .. }
            | credentials::CredentialError::Empty { .. }
            | credentials::CredentialError::EmptyAlias => EXIT_BAD_INPUT,
            _ => EXIT_ORG,
        },
    })?;
    for warning in &resolved.warnings {
        let _ = writeln!(streams.stderr, "warning: {warning}");
    }
    if !resolved.ignored.is_empty() {
        let _ = writeln!(
            streams.stderr,
            "note: using the {} credential; also set but not used: {}",
            resolved.credential.flow(),
            resolved.ignored.join(", ")
        );
    }
    let pull_options = PullOptions {
        api_version: options.api_version.clone(),
        concurrency: options.concurrency,
        progress: !options.quiet && options.stderr_is_terminal,
        verbose: options.verbose,
        ..PullOptions::new(taken_at(session.today))
    };
    let snapshot = pull::pull_blocking(resolved.credential, &endpoints, env, &pull_options).map_err(|e| Failure {
        lines: vec![format!("cannot audit the org: {e}")],
        code: EXIT_ORG,
    })?;
    for warning in &snapshot.warnings {
        let _ = writeln!(streams.stderr, "warning: {warning}");
    }
    if let Some(path) = &options.save_snapshot {
        app::write_atomically(path, |out| {
            serde_json::to_writer_pretty(&mut *out, &snapshot)?;
            out.write_all(b"\n")
        })?;
    }
    let (mut apps, summary) = inputs::org::normalize(&snapshot, inputs::org::Origin::Live, options.stale_days);
    if let (Some(approved), Some(dir)) = (approved, &options.approved) {
        let approved = crate::approval::approve_in(apps, approved, &session.catalogs).map_err(Failure::files)?;
        let folder;
        (apps, folder) = approved.folder(dir);
        session.approved = Some(folder);
    }
    let errors = snapshot
        .errors
        .iter()
        .map(|e| FileError::new(snapshot.instance_url.clone(), e.clone()))
        .collect();
    let report = session.report_with(apps, errors, Vec::new(), flags.gate, Some(summary));
    app::deliver(&report, &outputs, flags.format, flags.color, &templates, streams)?;
    if !options.quiet {
        if let Some(org) = &report.org {
            let usage = org
                .api_usage
                .map(|u| format!("; the org has used {} of its {} daily API requests", u.used, u.max))
                .unwrap_or_default();
            let _ = writeln!(streams.stderr, "API calls used: {}{usage}", org.api_calls);
        }
    }
    Ok(app::finish(&report, flags.format, streams))
}
