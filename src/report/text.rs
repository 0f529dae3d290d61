//! Human-readable text: grouped by app, colour only when asked for.

use super::org::{count, thousands, AppUsage, OrgOverview};
use super::{AppReport, Report};
use crate::finding::{Finding, Severity};
use crate::model::org::{OrgUsage, Stamp};
use crate::untrusted::visible;
use anstyle::{AnsiColor, Color, Style};
use std::io::{self, Write};
use strum::VariantArray as _;

/// Styles, from anstyle: the escape codes are written by the library, never by hand.
const CRITICAL: Style = Style::new().bold().fg_color(Some(Color::Ansi(AnsiColor::Magenta)));
const HIGH: Style = Style::new().bold().fg_color(Some(Color::Ansi(AnsiColor::Red)));
const MEDIUM: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Yellow)));
const LOW: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Cyan)));
const FAINT: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const PASSED: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Green)));

/// Colour only when asked: `on` comes from anstream's reading of the terminal, `NO_COLOR`,
/// `CLICOLOR` and `CLICOLOR_FORCE`. Input text is made visible before it is painted.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let label = format!("{:<8}", severity.as_str().to_uppercase());
        let style = match severity {
            Severity::Critical => CRITICAL,
            Severity::High => HIGH,
            Severity::Medium => MEDIUM,
            Severity::Low => LOW,
            Severity::Info => FAINT,
        };
        self.wrap(style, &label)
    }

    fn bold(&self, text: &str) -> String {
        self.wrap(BOLD, text)
    }

    fn dim(&self, text: &str) -> String {
        self.wrap(FAINT, text)
    }
}

fn counts(by_severity: &std::collections::BTreeMap<Severity, usize>) -> String {
    let parts: Vec<String> = Severity::VARIANTS
        .iter()
        .rev()
        .filter_map(|s| by_severity.get(s).filter(|n| **n > 0).map(|n| format!("{n} {s}")))
        .collect();
    if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    }
}

/// Untrusted text for the terminal: hazards visible.
fn t(text: &str) -> std::borrow::Cow<'_, str> {
    visible(text)
}

/// The rule, and for a finding about the input itself its kind: `config-anomaly/repeated`, the
/// name a policy uses to set that kind apart.
fn rule_label(f: &Finding) -> String {
    match f.code {
        Some(code) => format!("{}/{}", f.rule, code.as_str()),
        None => f.rule.clone(),
    }
}

/// Where finding text starts, under the severity column.
const INDENT: &str = "           ";

/// The source files findings point into, each read once up front (through the same bounded
/// read as the inputs, over the cores) and kept as lines; a file that cannot be read again
/// shows no snippet.
#[derive(Default)]
struct Sources {
    files: std::collections::HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    fn read(report: &Report) -> Sources {
        let paths: std::collections::BTreeSet<&str> = report
            .findings
            .iter()
            .filter_map(|f| match &f.location {
                crate::finding::Location::File {
                    path, line: Some(_), ..
                } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        let paths: Vec<&str> = paths.into_iter().collect();
        let lines = crate::parallel::map(&paths, |path| {
            let file = std::path::Path::new(path);
            if path.is_empty() || !file.is_file() {
                return None;
            }
            crate::source_file::read_text(file, path, crate::inputs::MAX_INPUT_BYTES)
                .ok()
                .map(|text| text.lines().map(str::to_string).collect())
        });
        Sources {
            files: paths.into_iter().map(str::to_string).zip(lines).collect(),
        }
    }

    fn line(&self, path: &str, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        self.files.get(path)?.as_ref()?.get(index).map(String::as_str)
    }
}

/// The longest source line a snippet shows; the rest is elided (a URL input's line can be
/// kilobytes).
const MAX_SNIPPET_CHARS: usize = 160;

/// Whether a source line may hold a secret: such a line is never shown, whatever the finding.
/// A secret is a value given to a key that names one (`consumer_secret: x`,
/// `<consumerSecret>x</consumerSecret>`, `client_secret=x` in a URL, `"password": "x"`) unless
/// the value is a flag, a PEM block, or credentials in a URL's authority.
fn may_hold_secret(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    if lower.contains("-----begin") {
        return true;
    }
    if lower.split("://").skip(1).any(|rest| {
        rest.split(['/', '?', '#'])
            .next()
            .is_some_and(|authority| authority.contains('@'))
    }) {
        return true;
    }
    // Keys whose name holds one of these words (`consumerSecret`, `client_secret`).
    const KEYS: [&str; 9] = [
        "secret",
        "password",
        "passwd",
        "privatekey",
        "private_key",
        "apikey",
        "api_key",
        "access_token",
        "accesstoken",
    ];
    // Keys that are secrets only under exactly this name (`token: x`, not `token_storage`).
    const EXACT: [&str; 3] = ["token", "authorization", "bearer"];
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let given_value = |at: usize, key: &str, exact: bool| {
        let rest = &lower[at + key.len()..];
        if exact && (rest.starts_with(name_char) || lower[..at].ends_with(name_char)) {
            return false;
        }
        // The rest of the key's name, a closing quote, then what gives it a value.
        let rest = rest.trim_start_matches(name_char);
        let rest = rest.trim_start_matches(['"', '\'']).trim_start();
        let Some(value) = rest.strip_prefix([':', '=', '>']) else {
            return false;
        };
        let value = value.split('<').next().unwrap_or("");
        let value = value.split('&').next().unwrap_or("");
        let value = value.trim().trim_matches(['"', '\'', ',']).trim();
        !matches!(value, "" | "true" | "false" | "yes" | "no" | "null" | "~")
    };
    let keyed = |keys: &[&str], exact: bool| {
        keys.iter()
            .any(|key| lower.match_indices(key).any(|(at, _)| given_value(at, key, exact)))
    };
    keyed(&KEYS, false) || keyed(&EXACT, true)
}

/// The finding's source line with a marker under it and its line number, drawn by
/// annotate-snippets as rustc draws its diagnostics. The line is untrusted: hazards are made
/// visible before it is drawn.
fn snippet(sources: &Sources, paint: &Paint, app: Option<&AppReport>, f: &Finding) -> Option<String> {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
    let crate::finding::Location::File {
        path,
        line: Some(line),
        column,
    } = &f.location
    else {
        return None;
    };
    let source = sources.line(path, *line)?;
    if source.trim().is_empty() || may_hold_secret(source) {
        return None;
    }
    let visible = t(source);
    // The scope as the finding names it (its canonical id), then as the app wrote it on this
    // line (`RefreshToken`, `OfflineAccess`).
    let mut names: Vec<&str> = f.scope.as_deref().into_iter().collect();
    if let (Some(app), Some(scope)) = (app, f.scope.as_deref()) {
        names.extend(
            app.scopes
                .iter()
                .filter(|s| s.canonical.as_deref() == Some(scope) && s.line == Some(*line))
                .map(|s| s.scope.as_str()),
        );
    }
    let (shown, start, end) = marked(&visible, &names, column.and_then(|c| usize::try_from(c).ok()));
    // The line is already cut to a window around the mark (`marked`): the renderer must not
    // cut it again.
    let renderer = if paint.on {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .term_width(usize::MAX / 2);
    // The marker takes the finding's colour, as rustc's takes the diagnostic's.
    let level = match f.severity {
        Severity::Critical | Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low => Level::NOTE,
        Severity::Info => Level::INFO,
    };
    let group = Group::with_level(level).element(
        Snippet::source(shown.as_str())
            .line_start(usize::try_from(*line).ok()?)
            .annotation(AnnotationKind::Primary.span(start..end)),
    );
    Some(renderer.render(&[group]))
}

/// Whether `text[at..]` starts a whole word: what precedes is no part of a name (a URL's `%20`
/// or `+` between scopes counts as a separator).
fn word_at(text: &str, at: usize, len: usize) -> bool {
    let name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '-';
    let before = &text[..at];
    let starts = before.chars().next_back().is_none_or(|c| !name_char(c))
        || ["%20", "%2C", "%2c", "%3A", "%3a"]
            .iter()
            .any(|sep| before.ends_with(sep));
    starts && text[at + len..].chars().next().is_none_or(|c| !name_char(c))
}

/// The line as shown and the byte range the marker underlines: the scope the finding is about
/// where the line names it, else from the column (or the first non-blank character) to the
/// end. A long line is cut to a window around the mark, each cut shown as `…`.
fn marked(line: &str, names: &[&str], column: Option<usize>) -> (String, usize, usize) {
    let indent = line.len() - line.trim_start().len();
    let found = names.iter().filter(|s| !s.is_empty()).find_map(|scope| {
        let (lower, scope) = (line.to_ascii_lowercase(), scope.to_ascii_lowercase());
        lower
            .match_indices(scope.as_str())
            .map(|(i, _)| i)
            .find(|i| word_at(line, *i, scope.len()))
            .map(|i| (i, i + scope.len()))
    });
    let (start, end) = found.unwrap_or_else(|| {
        let start = column
            .and_then(|c| c.checked_sub(1))
            .and_then(|c| line.char_indices().nth(c).map(|(i, _)| i))
            .filter(|i| *i >= indent)
            .unwrap_or(indent);
        (start, line.trim_end().len().max(start))
    });
    if line.chars().count() <= MAX_SNIPPET_CHARS {
        return (
            line.to_string(),
            start,
            end.max(start + 1).min(line.len().max(start + 1)),
        );
    }
    // A window of MAX_SNIPPET_CHARS characters that starts a little before the mark.
    let char_start = line[..start].chars().count();
    let total = line.chars().count();
    let window_start = char_start.saturating_sub(40).min(total - MAX_SNIPPET_CHARS);
    let byte_at = |n: usize| line.char_indices().nth(n).map_or(line.len(), |(i, _)| i);
    let from = byte_at(window_start);
    let to = byte_at(window_start + MAX_SNIPPET_CHARS);
    let mut shown = String::new();
    if from > 0 {
        shown.push('…');
    }
    let offset = shown.len();
    shown.push_str(&line[from..to]);
    let cut_end = shown.len();
    if to < line.len() {
        shown.push('…');
    }
    let start = start - from + offset;
    let end = (end - from + offset).min(cut_end).max(start + 1);
    (shown, start, end)
}

fn finding_block(
    out: &mut dyn Write,
    paint: &Paint,
    sources: &Sources,
    app: Option<&AppReport>,
    f: &Finding,
) -> io::Result<()> {
    let scope = f.scope.as_deref().map(|s| format!("  {}", t(s))).unwrap_or_default();
    writeln!(
        out,
        "  {} {}{}  {}",
        paint.severity(f.severity),
        t(&rule_label(f)),
        scope,
        paint.dim(&t(&shown_location(app, f)))
    )?;
    writeln!(out, "{INDENT}{}", t(&f.message))?;
    if let Some(snippet) = snippet(sources, paint, app, f) {
        for line in snippet.lines() {
            writeln!(out, "{INDENT}{}", line.trim_end())?;
        }
    }
    let fix = f.remediation.lines().next().unwrap_or("");
    if !fix.is_empty() {
        writeln!(out, "{INDENT}{} {}", paint.dim("fix:"), t(fix))?;
    }
    Ok(())
}

/// A waived finding: what it was, and the waiver's reason and expiry.
fn waived_block(out: &mut dyn Write, paint: &Paint, w: &super::SuppressedFinding) -> io::Result<()> {
    let f = &w.finding;
    let scope = f.scope.as_deref().map(|s| format!("  {}", t(s))).unwrap_or_default();
    writeln!(
        out,
        "    {} {}{}  {}",
        paint.dim(&format!("{:<8}", f.severity.as_str().to_uppercase())),
        t(&rule_label(f)),
        scope,
        paint.dim(&t(&f.location.to_string()))
    )?;
    let expires = match &w.expires {
        Some(date) => format!(" (until {date})"),
        None => " (no expiry)".to_string(),
    };
    writeln!(out, "    {INDENT}waived: {}{expires}", t(&w.reason))
}

fn app_block(
    out: &mut dyn Write,
    paint: &Paint,
    sources: &Sources,
    app: &AppReport,
    findings: &[&Finding],
    waived: &[&super::SuppressedFinding],
    taken_at: Option<Stamp>,
) -> io::Result<()> {
    let vendor = app
        .vendor
        .as_deref()
        .map(|v| format!(" by {}", t(v)))
        .unwrap_or_default();
    let platform = if super::wording::app_title(&app.name, app.platform) == app.name {
        String::new()
    } else {
        format!(" ({})", app.platform.display_name())
    };
    writeln!(
        out,
        "{}{}{} {}",
        paint.bold(&t(&app.name)),
        vendor,
        platform,
        paint.dim(&format!("— {}", t(&app.source.path)))
    )?;
    let unread = unread_reason(app);
    let requested = match unread {
        Some(_) => "scopes unknown".to_string(),
        None => format!(
            "{} scope{} requested",
            app.scopes.len(),
            if app.scopes.len() == 1 { "" } else { "s" }
        ),
    };
    writeln!(
        out,
        "  {} · grade {} ({}/100) · {requested} · {}",
        verdict(paint, app.verdict),
        paint.bold(&app.grade),
        app.score,
        counts(&app.findings_by_severity)
    )?;
    let requested: Vec<String> = app
        .scopes
        .iter()
        .map(|s| match s.requirement {
            "required" => format!("{} [{}]", t(&s.scope), s.verdict.as_str()),
            other => format!("{} ({other}) [{}]", t(&s.scope), s.verdict.as_str()),
        })
        .collect();
    match unread {
        // Never "no scopes": what the app may do is not known.
        Some(reason) if requested.is_empty() => writeln!(out, "  scopes: could not be read ({})", t(reason))?,
        Some(reason) => writeln!(
            out,
            "  scopes: {} (the app's configuration could not be read: {})",
            requested.join(", "),
            t(reason)
        )?,
        None => writeln!(out, "  scopes: {}", requested.join(", "))?,
    }
    if let Some(usage) = &app.org {
        org_usage_block(out, paint, usage, taken_at)?;
    }
    if let Some(approval) = &app.approval {
        approval_block(out, paint, approval)?;
    }
    let names = |scopes: &[String]| scopes.iter().map(|s| t(s).into_owned()).collect::<Vec<_>>().join(" ");
    if unread.is_some() {
        writeln!(
            out,
            "  least privilege: not computed (the app's scopes could not be read)"
        )?;
    } else if app.recommendation.analyzed {
        writeln!(
            out,
            "  least privilege: {}",
            if app.minimal_scopes.is_empty() {
                "(none)".to_string()
            } else {
                names(&app.minimal_scopes)
            }
        )?;
        if !app.recommendation.drop.is_empty() {
            writeln!(out, "    drop: {}", names(&app.recommendation.drop))?;
        }
        if !app.recommendation.add.is_empty() {
            writeln!(out, "    add:  {}", names(&app.recommendation.add))?;
        }
    } else {
        writeln!(out, "  least privilege: not computed (the app declares no tools)")?;
    }
    if !findings.is_empty() {
        writeln!(out)?;
    }
    for f in findings {
        finding_block(out, paint, sources, Some(app), f)?;
    }
    if !waived.is_empty() {
        let n = waived.len();
        writeln!(out)?;
        writeln!(out, "  {n} finding{} waived by policy:", if n == 1 { "" } else { "s" })?;
        for w in waived {
            waived_block(out, paint, w)?;
        }
    }
    writeln!(out)
}

fn standing(paint: &Paint, standing: crate::approval::Standing) -> String {
    use crate::approval::Standing;
    let style = match standing {
        Standing::Approved => PASSED,
        Standing::ExceedsApproval | Standing::Unapproved => HIGH,
    };
    paint.wrap(style, standing.label())
}

/// A live app against its approval: the standing, then what was approved beside what is live.
fn approval_block(out: &mut dyn Write, paint: &Paint, approval: &super::approval::AppApproval) -> io::Result<()> {
    let (Some(manifest), Some(key)) = (&approval.manifest, approval.matched_by) else {
        return writeln!(
            out,
            "  approval: {} (no approved manifest matches it)",
            standing(paint, approval.status)
        );
    };
    let at = approval.line.map(|l| format!(":{l}")).unwrap_or_default();
    writeln!(
        out,
        "  approval: {} · {}{at}, matched by {}",
        standing(paint, approval.status),
        t(manifest),
        super::approval::matched_by_words(key)
    )?;
    let sides = approval.sides();
    let scope_width = sides
        .scopes
        .iter()
        .map(|s| t(&s.scope).chars().count())
        .chain(["scope".len()])
        .max()
        .unwrap_or(0);
    let live_width = sides
        .scopes
        .iter()
        .map(|s| t(&s.live).chars().count())
        .max()
        .unwrap_or(0);
    if !sides.scopes.is_empty() {
        writeln!(
            out,
            "    {}",
            paint.dim(&format!("{:<scope_width$}  approved  live", "scope"))
        )?;
    }
    for s in &sides.scopes {
        let line = format!(
            "    {:<scope_width$}  {:<8}  {:<live_width$}",
            t(&s.scope),
            s.approved,
            t(&s.live)
        );
        match s.difference {
            Some(difference) => writeln!(out, "{line}  {}", paint.wrap(HIGH, &format!("<- {difference}")))?,
            None => writeln!(out, "{}", line.trim_end())?,
        }
    }
    let label_width = sides.settings.iter().map(|s| s.label.len()).max().unwrap_or(0);
    for s in &sides.settings {
        let line = format!(
            "    {:<label_width$}  approved: {}; live: {}",
            s.label,
            t(&s.approved),
            t(&s.live)
        );
        if s.weaker {
            writeln!(out, "{line}  {}", paint.wrap(HIGH, "<- weaker than approved"))?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The apps by standing, as the summary says it.
fn approval_counts(a: &super::approval::ApprovalsSummary) -> String {
    format!(
        "{} approved, {} exceeding the approval, {} unapproved",
        a.approved, a.exceeds_approval, a.unapproved
    )
}

/// The approved folder: what it holds, the apps by standing, and the approvals that matched
/// no app.
fn approvals_section(out: &mut dyn Write, paint: &Paint, a: &super::approval::ApprovalsSummary) -> io::Result<()> {
    writeln!(
        out,
        "{} {} · {}",
        paint.bold("Approved folder"),
        t(&a.directory),
        count(a.manifests as u64, "approved manifest")
    )?;
    writeln!(out, "  apps: {}", approval_counts(a))?;
    if a.unmatched.is_empty() {
        writeln!(out, "  every approved manifest matches an audited app")?;
    } else {
        writeln!(
            out,
            "  {} no audited app:",
            if a.unmatched.len() == 1 {
                "1 approved manifest matches".to_string()
            } else {
                format!("{} approved manifests match", a.unmatched.len())
            }
        )?;
        for m in &a.unmatched {
            let at = m.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "    {} ({}) {}: {}",
                t(&m.name),
                m.platform.display_name(),
                paint.dim(&format!("— {}{at}", t(&m.manifest))),
                t(&m.reason)
            )?;
        }
    }
    writeln!(out)
}

/// Where a finding is, as people read it: an app read live from an org is in the org
/// (`https://x.my.salesforce.com/ConnectedApp/Ledger_Sync`), not at a line of a file.
pub(crate) fn shown_location(app: Option<&AppReport>, f: &Finding) -> String {
    match app.and_then(|a| a.org.as_ref().map(|o| (a, o))) {
        Some((app, usage))
            if app.source.kind == crate::model::InputKind::SalesforceOrg
                && matches!(f.location, crate::finding::Location::File { .. }) =>
        {
            super::org::record_name(&app.source.path, usage)
        }
        _ => f.location.to_string(),
    }
}

/// Why an org app's scopes and policies could not be read, if they could not.
fn unread_reason(app: &AppReport) -> Option<&str> {
    match app.org.as_ref().map(|o| &o.config) {
        Some(crate::model::org::ConfigRead::Unread(reason)) => Some(reason),
        _ => None,
    }
}

/// A list of names from the org, each made visible.
fn names_of(list: &[String]) -> String {
    list.iter().map(|s| t(s).into_owned()).collect::<Vec<_>>().join(", ")
}

/// Who is pre-authorized, and how many users that covers.
fn preauthorized_line(profiles: &[String], permission_sets: &[String], active: u64, all: u64) -> String {
    let mut through = Vec::new();
    if !profiles.is_empty() {
        through.push(format!(
            "profile{} {}",
            if profiles.len() == 1 { "" } else { "s" },
            names_of(profiles)
        ));
    }
    if !permission_sets.is_empty() {
        through.push(format!(
            "permission set{} {}",
            if permission_sets.len() == 1 { "" } else { "s" },
            names_of(permission_sets)
        ));
    }
    format!(
        "{}: {} ({} in all)",
        through.join("; "),
        count(active, "active user"),
        thousands(all)
    )
}

/// An org app's usage, under its scopes.
fn org_usage_block(out: &mut dyn Write, paint: &Paint, usage: &OrgUsage, taken_at: Option<Stamp>) -> io::Result<()> {
    let words = AppUsage::new(usage, taken_at);
    let permitted = words.permitted_users.map(|p| format!(" · {p}")).unwrap_or_default();
    writeln!(
        out,
        "  org: {} {} {}{permitted}",
        words.kind,
        t(&usage.api_name),
        paint.dim(&format!("({})", t(&usage.id)))
    )?;
    if usage.tokens == 0 {
        writeln!(out, "    tokens: none · last used {}", words.last_used)?;
    } else {
        writeln!(
            out,
            "    tokens: {} held by {} · last used {} · {}",
            thousands(usage.tokens),
            count(usage.users, "user"),
            words.last_used,
            match usage.use_count {
                1 => "used once".to_string(),
                n => format!("used {} times", thousands(n)),
            }
        )?;
    }
    if !words.counts.is_empty() {
        let parts: Vec<String> = words
            .counts
            .iter()
            .map(|c| format!("{} {}", thousands(c.tokens), c.label))
            .collect();
        writeln!(out, "    of them: {}", parts.join(", "))?;
    }
    let pre = &usage.preauthorized;
    if pre.is_empty() {
        writeln!(out, "    pre-authorized: no profile or permission set")
    } else {
        writeln!(
            out,
            "    pre-authorized: {}{}",
            preauthorized_line(&pre.profiles, &pre.permission_sets, pre.users_active, pre.users_all),
            if words.not_enforced {
                " (not enforced: all users may self-authorize)"
            } else {
                ""
            }
        )
    }
}

/// The org summary, before the apps: which org, when, the apps by grade, the tokens and who
/// is pre-authorized.
fn org_summary(out: &mut dyn Write, paint: &Paint, o: &OrgOverview) -> io::Result<()> {
    let org = o.org;
    writeln!(
        out,
        "{} {} · org {} · API v{} · taken {}",
        paint.bold("Salesforce org"),
        t(&org.instance_url),
        t(&org.org_id),
        t(&org.api_version),
        o.taken_at
    )?;
    let mut kinds = Vec::new();
    if o.connected_apps > 0 {
        kinds.push(count(o.connected_apps as u64, "Connected App"));
    }
    if o.external_client_apps > 0 {
        kinds.push(count(o.external_client_apps as u64, "External Client App"));
    }
    let grades: Vec<String> = o.grades.iter().map(|g| format!("{} {}", g.apps, g.grade)).collect();
    writeln!(
        out,
        "  apps: {}{}{} · {} not acceptable",
        thousands(o.apps as u64),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        },
        if grades.is_empty() {
            String::new()
        } else {
            format!(" · grades {}", grades.join(", "))
        },
        thousands(o.not_acceptable as u64)
    )?;
    if !o.riskiest.is_empty() {
        let named: Vec<String> = o
            .riskiest
            .iter()
            .map(|a| format!("{} ({} {}/100)", t(a.name), a.grade, a.score))
            .collect();
        let more = o.risky - o.riskiest.len();
        writeln!(
            out,
            "  highest risk: {}{}",
            named.join(", "),
            if more > 0 {
                format!(", and {more} more graded D or F")
            } else {
                String::new()
            }
        )?;
    }
    writeln!(
        out,
        "  tokens: {} ({} of installed apps, {} of {} no longer installed)",
        thousands(org.tokens_total),
        thousands(o.app_tokens),
        thousands(o.uninstalled_tokens),
        count(org.uninstalled_apps.len() as u64, "app")
    )?;
    for line in &o.token_lines {
        let label = match line.kind {
            crate::labels::TokenCount::Stale => format!("{} (unused for {} days)", line.label, org.stale_days),
            _ => line.label.to_string(),
        };
        writeln!(
            out,
            "    {} {label}{}",
            thousands(line.tokens),
            if line.apps > 0 {
                format!(", in {}", count(line.apps as u64, "app"))
            } else {
                String::new()
            }
        )?;
    }
    for u in &org.uninstalled_apps {
        writeln!(
            out,
            "    {} of uninstalled app {}: {} · last used {}",
            count(u.tokens, "token"),
            t(&u.name),
            count(u.users, "user"),
            super::org::when(u.last_used, org.taken_at)
        )?;
    }
    if o.preauthorized.is_empty() {
        writeln!(
            out,
            "  pre-authorized: no app pre-authorizes users through a profile or permission set"
        )?;
    } else {
        writeln!(
            out,
            "  pre-authorized: {} through {} and {}:",
            count(o.preauthorized.len() as u64, "app"),
            count(o.preauthorizing_profiles as u64, "profile"),
            count(o.preauthorizing_permission_sets as u64, "permission set")
        )?;
        for p in &o.preauthorized {
            writeln!(
                out,
                "    {}: {}{}",
                t(p.app.name),
                preauthorized_line(p.profiles, p.permission_sets, p.users_active, p.users_all),
                if p.not_enforced {
                    " (not enforced: all users may self-authorize)"
                } else {
                    ""
                }
            )?;
        }
    }
    writeln!(
        out,
        "  users: {} ({} active)",
        thousands(org.users_total),
        thousands(org.users_active)
    )?;
    if let Some(flow) = &o.credential_flow {
        let scopes = o
            .credential_scopes
            .as_deref()
            .map(|s| format!(" (token scopes: {})", t(s)))
            .unwrap_or_default();
        writeln!(out, "  audited with: {}{scopes}", t(flow))?;
    }
    writeln!(out)
}

/// What was read, what was skipped and why, whether the pull is complete, and what it cost.
fn org_coverage(out: &mut dyn Write, paint: &Paint, o: &OrgOverview) -> io::Result<()> {
    let org = o.org;
    writeln!(out, "{}", paint.bold("Coverage"))?;
    writeln!(
        out,
        "  read: {} (scopes and policies of {}), {}, {}",
        count(o.apps as u64, "app"),
        thousands(o.config_read as u64),
        count(org.tokens_total, "token"),
        count(org.users_total, "user")
    )?;
    for u in &o.unread {
        writeln!(out, "  scopes not read: {}: {}", t(u.app.name), t(u.reason))?;
    }
    for s in &org.skipped {
        writeln!(out, "  skipped: {}: {}", t(&s.object), t(&s.reason))?;
    }
    if org.complete {
        writeln!(out, "  the pull is complete")?;
    } else {
        writeln!(
            out,
            "  the pull is {}: it stopped before everything was read",
            paint.wrap(HIGH, "incomplete")
        )?;
    }
    let usage = match (org.api_usage, o.api_usage_percent) {
        (Some(u), Some(pct)) => format!(
            " · the org's daily API usage: {} of {} ({pct}%)",
            thousands(u.used),
            thousands(u.max)
        ),
        (Some(u), None) => format!(
            " · the org's daily API usage: {} of {}",
            thousands(u.used),
            thousands(u.max)
        ),
        (None, _) => " · the org's daily API usage: not reported".to_string(),
    };
    writeln!(out, "  API calls: {}{usage}", thousands(org.api_calls))?;
    writeln!(out)
}

fn verdict(paint: &Paint, verdict: super::ReviewVerdict) -> String {
    use super::ReviewVerdict;
    let style = match verdict {
        ReviewVerdict::Acceptable => PASSED,
        ReviewVerdict::AcceptableWithReservations => MEDIUM,
        ReviewVerdict::NotAcceptable | ReviewVerdict::Incomplete => HIGH,
        ReviewVerdict::NoGate => BOLD,
    };
    paint.wrap(style, verdict.label())
}

/// The banner of an incomplete report: what could not be read, before anything else.
fn incomplete_banner(out: &mut dyn Write, paint: &Paint, report: &Report) -> io::Result<()> {
    let n = report.errors.len();
    if report.org.as_ref().is_some_and(|o| !o.complete) {
        writeln!(
            out,
            "{} the org pull stopped before everything was read; this report covers only what was read{}",
            paint.wrap(HIGH, "INCOMPLETE:"),
            if n == 0 { "." } else { ":" }
        )?;
        for e in &report.errors {
            writeln!(out, "  {e}")?;
        }
        return writeln!(out);
    }
    writeln!(
        out,
        "{} {} input{} could not be read; this report covers only the rest:",
        paint.wrap(HIGH, "INCOMPLETE:"),
        n,
        if n == 1 { "" } else { "s" }
    )?;
    for e in &report.errors {
        // FileError's Display makes its untrusted parts visible.
        writeln!(out, "  {e}")?;
    }
    writeln!(out)
}

pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: color };
    if !report.complete {
        incomplete_banner(out, &paint, report)?;
    }
    let overview = OrgOverview::new(report);
    let sources = Sources::read(report);
    if let Some(overview) = &overview {
        org_summary(out, &paint, overview)?;
        let org_wide: Vec<&Finding> = report.findings.iter().filter(|f| report.is_org_finding(f)).collect();
        if !org_wide.is_empty() {
            writeln!(out, "{}", paint.bold("Org-wide findings"))?;
            for f in org_wide {
                finding_block(out, &paint, &sources, None, f)?;
            }
            writeln!(out)?;
        }
    }
    let taken_at = report.org.as_ref().map(|o| o.taken_at);
    let mut by_app: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
    for f in &report.findings {
        if let Some(app) = f.app.as_deref() {
            by_app.entry(app).or_default().push(f);
        }
    }
    let mut waived: std::collections::HashMap<&str, Vec<&super::SuppressedFinding>> = std::collections::HashMap::new();
    for s in &report.suppressed {
        if let Some(app) = s.finding.app.as_deref() {
            waived.entry(app).or_default().push(s);
        }
    }
    // Each app's block is its own text: rendered over the cores, written in order.
    let blocks = crate::parallel::map(&report.apps, |app| {
        let mut block = Vec::new();
        let findings = by_app.get(app.id.as_str()).map_or(&[][..], Vec::as_slice);
        let app_waived = waived.get(app.id.as_str()).map_or(&[][..], Vec::as_slice);
        app_block(&mut block, &paint, &sources, app, findings, app_waived, taken_at).map(|()| block)
    });
    for block in blocks {
        out.write_all(&block?)?;
    }
    if let Some(approvals) = &report.approvals {
        approvals_section(out, &paint, approvals)?;
    }
    let policy: Vec<&Finding> = report.findings.iter().filter(|f| report.is_policy_finding(f)).collect();
    if !policy.is_empty() {
        writeln!(out, "{}", paint.bold("Policy file"))?;
        for f in policy {
            finding_block(out, &paint, &sources, None, f)?;
        }
        writeln!(out)?;
    }
    if !report.gitignored.is_empty() {
        let n = report.gitignored.len();
        writeln!(
            out,
            "not audited: {n} app file{} hidden by .gitignore:",
            if n == 1 { "" } else { "s" }
        )?;
        for path in &report.gitignored {
            writeln!(out, "  {}", t(path))?;
        }
        writeln!(out)?;
    }
    if let Some(overview) = &overview {
        org_coverage(out, &paint, overview)?;
    }
    let stats = &report.stats;
    let mut summary = format!(
        "{} app{}, {}",
        stats.apps,
        if stats.apps == 1 { "" } else { "s" },
        counts(&stats.by_severity)
    );
    if stats.suppressed > 0 {
        summary.push_str(&format!(", {} waived", stats.suppressed));
    }
    if stats.hidden_below_min_severity > 0 {
        summary.push_str(&format!(
            ", {} below --min-severity not shown",
            stats.hidden_below_min_severity
        ));
    }
    writeln!(out, "{summary}")?;
    if let Some(a) = &report.approvals {
        writeln!(out, "approvals: {}", approval_counts(a))?;
    }
    let catalogs: Vec<String> = report
        .catalogs
        .iter()
        .map(|c| format!("{} catalog checked {}", c.platform.display_name(), c.checked))
        .collect();
    if catalogs.is_empty() {
        writeln!(out, "reviewed {}", report.review_date)?;
    } else {
        writeln!(out, "reviewed {} · {}", report.review_date, catalogs.join(" · "))?;
    }
    if let Some(policy) = &report.policy {
        writeln!(out, "policy: {}", t(policy))?;
    }
    if report.org.as_ref().is_some_and(|o| !o.complete) {
        return writeln!(
            out,
            "gate {} (the org pull stopped early; exit 3)",
            paint.wrap(HIGH, "not applied: the audit is incomplete")
        );
    }
    if !report.complete {
        let n = report.errors.len();
        return writeln!(
            out,
            "gate {} ({n} input{} not read; exit 2)",
            paint.wrap(HIGH, "not applied: the audit is incomplete"),
            if n == 1 { "" } else { "s" }
        );
    }
    let gate = if report.gate.passed {
        paint.wrap(PASSED, "passed")
    } else {
        paint.wrap(HIGH, "failed")
    };
    writeln!(out, "verdict: {}", verdict(&paint, report.verdict))?;
    writeln!(out, "gate {gate} (fail-on {})", report.gate.fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_finds_the_scope_as_a_word() {
        let line = "  - scope: api_full api";
        let (shown, start, end) = marked(line, &["api"], None);
        assert_eq!((&shown[start..end], start), ("api", line.len() - 3));
        let url = format!("https://x/authorize?{}&scope=api%20full", "a".repeat(300));
        let (shown, start, end) = marked(&url, &["full"], None);
        assert_eq!(&shown[start..end], "full");
        assert!(shown.starts_with('…') && shown.chars().count() <= MAX_SNIPPET_CHARS + 2);
        // The name as written, when the canonical id is not on the line.
        let (shown, start, end) = marked(
            "  <scopes>RefreshToken</scopes>",
            &["refresh_token", "RefreshToken"],
            None,
        );
        assert_eq!(&shown[start..end], "RefreshToken");
        // No scope: from the first non-blank character to the end of the line.
        let (shown, start, end) = marked("    key: value", &[], None);
        assert_eq!(&shown[start..end], "key: value");
    }

    #[test]
    fn lines_that_may_hold_secrets_are_never_shown() {
        assert!(may_hold_secret("  consumer_secret: abc"));
        assert!(may_hold_secret("https://user:pw@host/authorize?scope=api"));
        assert!(may_hold_secret("<privateKey>x</privateKey>"));
        assert!(may_hold_secret("  <consumerSecret>ABC123</consumerSecret>"));
        assert!(may_hold_secret("https://h/authorize?client_secret=abc&scope=api"));
        assert!(may_hold_secret(r#"  "clientSecret": "abc","#));
        assert!(may_hold_secret("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(!may_hold_secret("        <scopes>ForgotPassword</scopes>"));
        assert!(!may_hold_secret("  consumer_secret_optional: true"));
        assert!(!may_hold_secret(
            "    <isConsumerSecretOptional>false</isConsumerSecretOptional>"
        ));
        assert!(!may_hold_secret(
            "https://host/authorize?scope=api&redirect_uri=https%3A%2F%2Fa%40b"
        ));
        assert!(!may_hold_secret("  - scope: refresh_token"));
        assert!(may_hold_secret("  token: pat-na1-1234"));
        assert!(may_hold_secret("Authorization: Bearer abc"));
        assert!(!may_hold_secret("  refresh_token_policy: infinite"));
        assert!(!may_hold_secret("  token_storage: encrypted at rest"));
    }

    #[test]
    fn colour_only_when_asked() {
        let paint = Paint { on: true };
        assert_eq!(paint.severity(Severity::High), "\x1b[1m\x1b[31mHIGH    \x1b[0m");
        assert_eq!(Paint { on: false }.severity(Severity::High), "HIGH    ");
    }
}
