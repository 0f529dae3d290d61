//! The command line: clap definitions, turned into the plain options `app` takes.

use crate::app::{self, AuditOptions, ConfigChoice, DataOptions, DiffFormat, DiffOptions, Failure, Format, Streams};
use crate::finding::{FailOn, Severity};
use crate::model::Platform;
use crate::session::GateOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "scopeaudit",
    version,
    about = "Audits the OAuth scopes that vendor apps request from Salesforce and HubSpot",
    long_about = "Audits the OAuth scopes that vendor apps request from Salesforce and HubSpot, and \
                  says, with evidence, which grants are more than the app needs.\n\n\
                  Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or invalid input, 3 the org could \
                  not be audited (authentication, network, permissions, API limits) or only in part."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit apps from files, directories or authorize URLs, or an ad-hoc scope list.
    Audit(AuditArgs),
    /// Audit what is connected to a live org (read-only).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Compare two versions of one app (any input formats): added and removed scopes,
    /// escalations, changed policies and new findings. Exit 1 when NEW adds a finding at or
    /// above --fail-on.
    Diff(DiffArgs),
    /// List a platform's scope catalog, or explain one scope (any alias works).
    Scopes {
        #[arg(value_enum, ignore_case = true)]
        platform: PlatformArg,
        /// A scope id or alias, e.g. `api`, `Api`, `offline_access`.
        scope: Option<String>,
        /// Load `<platform>.yaml` from this directory instead of the embedded catalog.
        #[arg(long, value_name = "DIR")]
        catalogs: Option<PathBuf>,
        /// `json` prints the catalog (or the one scope) as JSON for other tools.
        #[arg(long, value_enum, default_value_t = ScopesFormatArg::Text)]
        format: ScopesFormatArg,
        /// List what a manifest tool may name (objects, features, API families) and what each
        /// access needs, with the source of each need.
        #[arg(long, conflicts_with = "scope")]
        objects: bool,
    },
    /// List the rules, or print one rule's documentation.
    Rules {
        rule: Option<String>,
        /// Add or override rules with the `*.yaml` files in this directory.
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        catalogs: Option<PathBuf>,
    },
    /// Write a commented starter manifest, or (with --from) an approved manifest pre-filled
    /// from a live app: its scopes, settings and match keys, justifications left to the vendor.
    Init {
        /// The platform of a blank starter; with --from, only that platform's apps are picked.
        #[arg(long, value_enum, ignore_case = true)]
        platform: Option<PlatformArg>,
        /// An org snapshot (`--save-snapshot`) or an app file the audit reads
        /// (`*.connectedApp-meta.xml`, External Client App files, a HubSpot app config).
        #[arg(long, value_name = "SNAPSHOT_OR_FILE")]
        from: Option<PathBuf>,
        /// The app to start from, by label or API name (needed when the source holds several).
        #[arg(long, value_name = "NAME", requires = "from")]
        app: Option<String>,
        /// Where to write it; `-` prints it.
        #[arg(short, long, value_name = "PATH", default_value = "scopeaudit-app.yaml")]
        output: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script (e.g. `scopeaudit completions bash > ~/.local/share/bash-completion/completions/scopeaudit`).
    Completions { shell: ShellArg },
}

/// The shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

impl From<ShellArg> for clap_complete::Shell {
    fn from(shell: ShellArg) -> clap_complete::Shell {
        match shell {
            ShellArg::Bash => clap_complete::Shell::Bash,
            ShellArg::Zsh => clap_complete::Shell::Zsh,
            ShellArg::Fish => clap_complete::Shell::Fish,
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The app as approved (a manifest, Connected App, ECA directory, HubSpot config or URL).
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The app as it is now, in any input format.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// What to print on stdout.
    #[arg(short, long, value_enum, default_value_t = DiffFormatArg::Text)]
    pub format: DiffFormatArg,
    /// Also write the diff to PATH, in the format its extension names (.json, .md, .txt).
    #[arg(short, long, value_name = "PATH")]
    pub output: Vec<PathBuf>,
    /// Exit 1 when NEW adds a finding at or above this severity [default: high].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,
    #[command(flatten)]
    pub data: DataArgs,
}

/// The policy, catalogs and rules a command evaluates with: the same flags for audit and diff.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Policy file to use instead of discovering .scopeaudit.yaml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any .scopeaudit.yaml.
    #[arg(long)]
    pub no_config: bool,
    /// Load `<platform>.yaml` catalogs from this directory instead of the embedded ones.
    #[arg(long, value_name = "DIR")]
    pub catalogs: Option<PathBuf>,
    /// Add or override rules with the `*.yaml` files in this directory.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlatformArg {
    Salesforce,
    Hubspot,
}

impl From<PlatformArg> for Platform {
    fn from(p: PlatformArg) -> Platform {
        match p {
            PlatformArg::Salesforce => Platform::Salesforce,
            PlatformArg::Hubspot => Platform::Hubspot,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Sarif,
    Markdown,
    Html,
}

/// Output of `scopes`: the human listing or the catalog as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopesFormatArg {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// App files (manifests, Connected App and External Client App metadata, HubSpot configs,
    /// .url files), directories to search for them, or OAuth authorize URLs.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Audit an ad-hoc list of scopes ("api refresh_token"); needs --platform.
    #[arg(long, value_name = "SCOPES")]
    pub scopes: Option<String>,
    #[arg(long, value_enum, ignore_case = true)]
    pub platform: Option<PlatformArg>,
    /// Org snapshots: a token not used for this many days (before the snapshot was taken) is
    /// stale.
    #[arg(long, value_name = "N", default_value_t = crate::inputs::org::DEFAULT_STALE_DAYS, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub stale_days: u32,
    /// A directory of approved manifests: each audited Connected App, External Client App,
    /// HubSpot app or org app is held against the one whose `match:` names it.
    #[arg(long, value_name = "DIR")]
    pub approved: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What a report command prints and writes, and its gate: the same flags for `audit` and `org`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to print on stdout.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Also write a report to PATH, in the format its extension names (.json, .sarif, .md, .html,
    /// .txt). Repeatable.
    #[arg(short, long, value_name = "PATH")]
    pub output: Vec<PathBuf>,
    /// Exit 1 when an unsuppressed finding is at or above this severity [default: high].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,
    /// Hide findings below this severity (they still count in the JSON stats and the gate).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityArg>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Use report.html.j2 / report.md.j2 from this directory instead of the embedded templates.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// `scopeaudit org PLATFORM`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Audit a live Salesforce org, read-only: every Connected App and External Client App,
    /// every OAuth token, who is pre-authorized. Credentials come from --target-org (the
    /// Salesforce CLI) or the environment (SF_ACCESS_TOKEN + SF_INSTANCE_URL, SF_CLIENT_ID +
    /// SF_CLIENT_SECRET + SF_REFRESH_TOKEN, SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE,
    /// SF_CLIENT_ID + SF_CLIENT_SECRET, SF_USERNAME + SF_PASSWORD), never from flags.
    Salesforce(OrgSalesforceArgs),
}

#[derive(Debug, Args)]
pub struct OrgSalesforceArgs {
    /// Where data requests go [default: the instance the token response names].
    #[arg(long, value_name = "URL")]
    pub instance_url: Option<String>,
    /// Where token requests go: https://login.salesforce.com (default), https://test.salesforce.com
    /// for sandboxes, or the org's My Domain.
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,
    /// Use the Salesforce CLI's stored authorization for this alias or username.
    #[arg(long, value_name = "ALIAS")]
    pub target_org: Option<String>,
    /// REST and Metadata API version, e.g. 66.0 [default: the newest the org serves].
    #[arg(long, value_name = "N.N", value_parser = api_version)]
    pub api_version: Option<String>,
    /// A token unused for this many days is stale.
    #[arg(long, value_name = "N", default_value_t = crate::inputs::org::DEFAULT_STALE_DAYS, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub stale_days: u32,
    /// Also write what was read (no token values or secrets) to FILE, for `scopeaudit audit FILE` later.
    #[arg(long, value_name = "FILE")]
    pub save_snapshot: Option<PathBuf>,
    /// Hold every app against the approved manifests in DIR (each names its app in `match:`).
    #[arg(long, value_name = "DIR")]
    pub approved: Option<PathBuf>,
    /// Independent API reads at once.
    #[arg(long, value_name = "N", default_value_t = crate::org::pull::DEFAULT_CONCURRENCY, value_parser = concurrency)]
    pub concurrency: usize,
    /// No progress bar and no API call summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// One line per API request on stderr (method, path, status, time; never a token).
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `--concurrency`: 1 to 16 reads at once (more only meets the org's concurrency limits).
fn concurrency(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(n @ 1..=16) => Ok(n),
        _ => Err(format!("`{raw}` is not a number from 1 to 16")),
    }
}

/// `--api-version`: `N.N`, as the REST paths spell it (`v66.0`).
fn api_version(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_start_matches(['v', 'V']);
    match trimmed.split_once('.') {
        Some((major, minor))
            if !major.is_empty()
                && major.len() <= 3
                && minor.len() == 1
                && major.bytes().chain(minor.bytes()).all(|b| b.is_ascii_digit()) =>
        {
            Ok(trimmed.to_string())
        }
        _ => Err(format!("`{raw}` is not an API version like 66.0")),
    }
}

fn fail_on(arg: FailOnArg) -> FailOn {
    match arg {
        FailOnArg::Never => FailOn::Never,
        FailOnArg::Info => FailOn::At(Severity::Info),
        FailOnArg::Low => FailOn::At(Severity::Low),
        FailOnArg::Medium => FailOn::At(Severity::Medium),
        FailOnArg::High => FailOn::At(Severity::High),
        FailOnArg::Critical => FailOn::At(Severity::Critical),
    }
}

fn config_choice(config: Option<PathBuf>, no_config: bool) -> ConfigChoice {
    match (config, no_config) {
        (_, true) => ConfigChoice::Skip,
        (Some(path), false) => ConfigChoice::File(path),
        (None, false) => ConfigChoice::Discover,
    }
}

impl DiffArgs {
    pub fn into_options(self) -> DiffOptions {
        DiffOptions {
            old: self.old,
            new: self.new,
            format: match self.format {
                DiffFormatArg::Text => DiffFormat::Text,
                DiffFormatArg::Json => DiffFormat::Json,
                DiffFormatArg::Markdown => DiffFormat::Markdown,
            },
            outputs: self.output,
            fail_on: self.fail_on.map(fail_on),
            data: self.data.into_options(),
        }
    }
}

impl DataArgs {
    fn into_options(self) -> DataOptions {
        DataOptions {
            config: config_choice(self.config, self.no_config),
            catalogs: self.catalogs,
            rules: self.rules,
        }
    }
}

/// Whether stdout takes colour, as anstream reads it: a terminal, `NO_COLOR` unset (or
/// `CLICOLOR_FORCE` set), `TERM` not `dumb`.
fn use_color() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

impl AuditArgs {
    pub fn into_options(self) -> AuditOptions {
        AuditOptions {
            inputs: self.inputs,
            scopes: self.scopes,
            platform: self.platform.map(Platform::from),
            report: self.report.into_flags(),
            stale_days: self.stale_days,
            approved: self.approved,
        }
    }
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
        }
    }
}

impl ReportArgs {
    fn into_flags(self) -> app::ReportFlags {
        app::ReportFlags {
            format: self.format.into(),
            gate: GateOptions {
                fail_on: self.fail_on.map(fail_on),
                min_severity: self.min_severity.map(Severity::from),
            },
            outputs: self.output,
            data: self.data.into_options(),
            templates: self.templates,
            color: use_color(),
        }
    }
}

impl OrgSalesforceArgs {
    pub fn into_options(self) -> crate::org_audit::OrgOptions {
        use std::io::IsTerminal;
        crate::org_audit::OrgOptions {
            instance_url: self.instance_url,
            login_url: self.login_url,
            target_org: self.target_org,
            api_version: self.api_version,
            stale_days: self.stale_days,
            save_snapshot: self.save_snapshot,
            approved: self.approved,
            concurrency: self.concurrency,
            quiet: self.quiet,
            verbose: self.verbose,
            report: self.report.into_flags(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }
}

/// Runs a command, writing to `streams`; returns the exit code.
pub fn run(cli: Cli, streams: &mut Streams) -> Result<u8, Failure> {
    match cli.command {
        Command::Audit(args) => app::run_audit(&args.into_options(), streams),
        Command::Org(OrgCommand::Salesforce(args)) => {
            let env = |name: &str| std::env::var(name).ok();
            crate::org_audit::run_org_salesforce(&args.into_options(), &env, streams)
        }
        Command::Diff(args) => app::run_diff(&args.into_options(), streams),
        Command::Scopes {
            platform,
            scope,
            catalogs,
            format,
            objects,
        } => app::run_scopes(
            platform.into(),
            if objects {
                app::ScopesQuery::Vocabulary
            } else {
                scope.map_or(app::ScopesQuery::Catalog, app::ScopesQuery::Scope)
            },
            catalogs.as_deref(),
            format == ScopesFormatArg::Json,
            streams,
        ),
        Command::Rules { rule, rules, catalogs } => {
            app::run_rules(rule.as_deref(), catalogs.as_deref(), rules.as_deref(), streams)
        }
        Command::Init {
            platform,
            from,
            app,
            output,
            force,
        } => app::run_init(
            &app::InitOptions {
                platform: platform.map(Into::into),
                from,
                app,
            },
            &output,
            force,
            streams,
        ),
        Command::Completions { shell } => {
            app::run_completions(shell.into(), &mut <Cli as clap::CommandFactory>::command(), streams)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
