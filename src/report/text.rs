//! Human-readable text: grouped by app, colour only when asked for.

use super::{AppReport, Report};
use crate::finding::{Finding, Severity};
use std::fmt::Write;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let label = format!("{:<8}", severity.as_str().to_uppercase());
        let code = match severity {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &label)
    }

    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

fn counts(by_severity: &std::collections::BTreeMap<Severity, usize>) -> String {
    let parts: Vec<String> = Severity::ALL
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

fn finding_block(out: &mut String, paint: &Paint, f: &Finding) {
    let scope = f.scope.as_deref().map(|s| format!("  {s}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {}{}  {}",
        paint.severity(f.severity),
        f.rule,
        scope,
        paint.dim(&f.location.to_string())
    );
    let _ = writeln!(out, "           {}", f.message);
    let fix = f.remediation.lines().next().unwrap_or("");
    if !fix.is_empty() {
        let _ = writeln!(out, "           {} {}", paint.dim("fix:"), fix);
    }
}

fn app_block(out: &mut String, paint: &Paint, app: &AppReport, findings: &[&Finding], suppressed: usize) {
    let vendor = app.vendor.as_deref().map(|v| format!(" by {v}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{}{} ({}) {}",
        paint.bold(&app.name),
        vendor,
        app.platform.display_name(),
        paint.dim(&format!("— {}", app.source.path))
    );
    let _ = writeln!(
        out,
        "  grade {} ({}/100) · {} scope{} requested · {}",
        paint.bold(&app.grade),
        app.score,
        app.scopes.len(),
        if app.scopes.len() == 1 { "" } else { "s" },
        counts(&app.findings_by_severity)
    );
    let requested: Vec<String> = app
        .scopes
        .iter()
        .map(|s| match s.requirement {
            "required" => format!("{} [{}]", s.scope, s.verdict.as_str()),
            other => format!("{} ({other}) [{}]", s.scope, s.verdict.as_str()),
        })
        .collect();
    let _ = writeln!(out, "  scopes: {}", requested.join(", "));
    if app.recommendation.analyzed {
        let _ = writeln!(
            out,
            "  least privilege: {}",
            if app.minimal_scopes.is_empty() {
                "(none)".to_string()
            } else {
                app.minimal_scopes.join(" ")
            }
        );
        if !app.recommendation.drop.is_empty() {
            let _ = writeln!(out, "    drop: {}", app.recommendation.drop.join(" "));
        }
        if !app.recommendation.add.is_empty() {
            let _ = writeln!(out, "    add:  {}", app.recommendation.add.join(" "));
        }
    } else {
        let _ = writeln!(out, "  least privilege: not computed (the app declares no tools)");
    }
    if suppressed > 0 {
        let _ = writeln!(
            out,
            "  {} finding{} waived by policy",
            suppressed,
            if suppressed == 1 { "" } else { "s" }
        );
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    for f in findings {
        finding_block(out, paint, f);
    }
    out.push('\n');
}

pub fn render(report: &Report, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
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
        app_block(&mut out, &paint, app, &findings, suppressed);
    }
    let policy: Vec<&Finding> = report.findings.iter().filter(|f| f.app.is_none()).collect();
    if !policy.is_empty() {
        let _ = writeln!(out, "{}", paint.bold("Policy file"));
        for f in policy {
            finding_block(&mut out, &paint, f);
        }
        out.push('\n');
    }
    let stats = &report.stats;
    let mut summary = format!(
        "{} app{}, {}",
        stats.apps,
        if stats.apps == 1 { "" } else { "s" },
        counts(&stats.by_severity)
    );
    if stats.suppressed > 0 {
        let _ = write!(summary, ", {} waived", stats.suppressed);
    }
    if stats.hidden_below_min_severity > 0 {
        let _ = write!(
            summary,
            ", {} below --min-severity not shown",
            stats.hidden_below_min_severity
        );
    }
    let _ = writeln!(out, "{summary}");
    let gate = if report.gate.passed {
        paint.wrap("32", "passed")
    } else {
        paint.wrap("1;31", "failed")
    };
    let _ = writeln!(out, "gate {gate} (fail-on {})", report.gate.fail_on);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        let paint = Paint { on: true };
        assert_eq!(paint.severity(Severity::High), "\x1b[1;31mHIGH    \x1b[0m");
        assert_eq!(Paint { on: false }.severity(Severity::High), "HIGH    ");
    }
}
