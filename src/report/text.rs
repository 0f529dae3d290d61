//! Human-readable text: grouped by app, colour only when asked for.

use super::{AppReport, Report};
use crate::finding::{Finding, Severity};
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

fn finding_block(out: &mut dyn Write, paint: &Paint, f: &Finding) -> io::Result<()> {
    let scope = f.scope.as_deref().map(|s| format!("  {}", t(s))).unwrap_or_default();
    writeln!(
        out,
        "  {} {}{}  {}",
        paint.severity(f.severity),
        t(&rule_label(f)),
        scope,
        paint.dim(&t(&f.location.to_string()))
    )?;
    writeln!(out, "           {}", t(&f.message))?;
    let fix = f.remediation.lines().next().unwrap_or("");
    if !fix.is_empty() {
        writeln!(out, "           {} {}", paint.dim("fix:"), t(fix))?;
    }
    Ok(())
}

fn app_block(
    out: &mut dyn Write,
    paint: &Paint,
    app: &AppReport,
    findings: &[&Finding],
    suppressed: usize,
) -> io::Result<()> {
    let vendor = app
        .vendor
        .as_deref()
        .map(|v| format!(" by {}", t(v)))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{} ({}) {}",
        paint.bold(&t(&app.name)),
        vendor,
        app.platform.display_name(),
        paint.dim(&format!("— {}", t(&app.source.path)))
    )?;
    writeln!(
        out,
        "  grade {} ({}/100) · {} scope{} requested · {}",
        paint.bold(&app.grade),
        app.score,
        app.scopes.len(),
        if app.scopes.len() == 1 { "" } else { "s" },
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
    writeln!(out, "  scopes: {}", requested.join(", "))?;
    let names = |scopes: &[String]| scopes.iter().map(|s| t(s).into_owned()).collect::<Vec<_>>().join(" ");
    if app.recommendation.analyzed {
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
    if suppressed > 0 {
        writeln!(
            out,
            "  {} finding{} waived by policy",
            suppressed,
            if suppressed == 1 { "" } else { "s" }
        )?;
    }
    if !findings.is_empty() {
        writeln!(out)?;
    }
    for f in findings {
        finding_block(out, paint, f)?;
    }
    writeln!(out)
}

/// The banner of an incomplete report: what could not be read, before anything else.
fn incomplete_banner(out: &mut dyn Write, paint: &Paint, report: &Report) -> io::Result<()> {
    let n = report.errors.len();
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
    let mut by_app: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
    for f in &report.findings {
        if let Some(app) = f.app.as_deref() {
            by_app.entry(app).or_default().push(f);
        }
    }
    let mut waived: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in &report.suppressed {
        if let Some(app) = s.finding.app.as_deref() {
            *waived.entry(app).or_default() += 1;
        }
    }
    for app in &report.apps {
        let findings = by_app.remove(app.id.as_str()).unwrap_or_default();
        let suppressed = waived.get(app.id.as_str()).copied().unwrap_or(0);
        app_block(out, &paint, app, &findings, suppressed)?;
    }
    let policy: Vec<&Finding> = report.findings.iter().filter(|f| f.app.is_none()).collect();
    if !policy.is_empty() {
        writeln!(out, "{}", paint.bold("Policy file"))?;
        for f in policy {
            finding_block(out, &paint, f)?;
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
    if let Some(policy) = &report.policy {
        writeln!(out, "policy: {}", t(policy))?;
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
    writeln!(out, "gate {gate} (fail-on {})", report.gate.fail_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        let paint = Paint { on: true };
        assert_eq!(paint.severity(Severity::High), "\x1b[1m\x1b[31mHIGH    \x1b[0m");
        assert_eq!(Paint { on: false }.severity(Severity::High), "HIGH    ");
    }
}
