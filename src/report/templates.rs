//! The justification report, HTML and Markdown, rendered by minijinja from `templates/`.
//! The templates are embedded; `--templates DIR` replaces any of them with the user's file of
//! the same name. Everything from input is escaped: HTML by minijinja's auto-escaping, Markdown
//! by the `md` filter every template applies to input strings.

use super::{AppReport, Report};
use crate::finding::Finding;
use crate::source_file::{self, FileError};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::path::Path;

pub const HTML: &str = "report.html.j2";
pub const MARKDOWN: &str = "report.md.j2";

const EMBEDDED: [(&str, &str); 2] = [
    (HTML, include_str!("../../templates/report.html.j2")),
    (MARKDOWN, include_str!("../../templates/report.md.j2")),
];

/// Templates larger than this are refused: a report template is a few kilobytes.
const MAX_TEMPLATE_BYTES: u64 = 512 * 1024;

/// The template sources in use: the embedded ones, or the user's where given.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<(&'static str, String)>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            sources: EMBEDDED.iter().map(|(n, s)| (*n, (*s).to_string())).collect(),
        }
    }
}

impl Templates {
    /// The embedded templates with any `report.html.j2` / `report.md.j2` found in `dir` in
    /// their place. Each override is compiled now, so a broken template is an error before any
    /// work is done.
    pub fn with_overrides(dir: &Path) -> Result<Templates, Vec<FileError>> {
        let display = dir.display().to_string();
        if !dir.is_dir() {
            return Err(vec![FileError::new(display, "--templates: not a directory")]);
        }
        let mut templates = Templates::default();
        let mut errors = Vec::new();
        let mut found = false;
        for (name, source) in &mut templates.sources {
            let path = dir.join(*name);
            if !path.is_file() {
                continue;
            }
            found = true;
            let shown = path.display().to_string();
            match source_file::read_text(&path, &shown, MAX_TEMPLATE_BYTES) {
                Ok(text) => {
                    let mut env = Environment::new();
                    match env.add_template_owned(name.to_string(), text.clone()) {
                        Ok(()) => *source = text,
                        Err(e) => errors.push(template_error(&shown, &e)),
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if !found {
            errors.push(FileError::new(
                display,
                format!("--templates: no {HTML} or {MARKDOWN} in this directory"),
            ));
        }
        if errors.is_empty() {
            Ok(templates)
        } else {
            Err(errors)
        }
    }

    fn environment(&self) -> Result<Environment<'_>, minijinja::Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.starts_with("report.html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(neutralizing_formatter);
        env.add_filter("md", md_escape);
        env.add_filter("md_code", md_code);
        env.add_filter("code_spans", html_code_spans);
        env.add_filter("safe_url", safe_url);
        env.add_filter("num", |n: u64| super::org::thousands(n));
        env.add_filter("count", |n: u64, word: String| super::org::count(n, &word));
        for (name, source) in &self.sources {
            env.add_template(name, source)?;
        }
        Ok(env)
    }

    pub fn render(&self, name: &str, report: &Report, out: &mut dyn std::io::Write) -> Result<(), TemplateError> {
        let failed = |source| TemplateError {
            name: name.to_string(),
            source,
        };
        let env = self.environment().map_err(failed)?;
        let template = env.get_template(name).map_err(failed)?;
        template
            .render_captured_to(Value::from(minijinja::value::Serde(View::new(report))), out)
            .map(|_| ())
            .map_err(failed)
    }
}

/// A report template that could not be rendered (a user's `--templates`, or a failed write).
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct TemplateError {
    name: String,
    #[source]
    source: minijinja::Error,
}

fn template_error(path: &str, e: &minijinja::Error) -> FileError {
    match e.line() {
        Some(line) => FileError::at(path, line, None, e.to_string()),
        None => FileError::new(path, e.to_string()),
    }
}

/// Every value a template prints passes here first: control characters, escape sequences and
/// bidi overrides from input become visible escapes (a report must read the same in any viewer),
/// then the template's own escaping applies.
fn neutralizing_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if let Some(text) = value.as_str() {
        if let std::borrow::Cow::Owned(shown) = crate::untrusted::visible(text) {
            let shown = if value.is_safe() {
                Value::from_safe_string(shown)
            } else {
                Value::from(shown)
            };
            return minijinja::escape_formatter(out, state, &shown);
        }
    }
    minijinja::escape_formatter(out, state, value)
}

/// Escapes text for Markdown, table cells included: no input can open a link, an HTML tag, a
/// code span or a new table cell, or break the row onto a new line. `:`, `@` and the dot of
/// `www.` are escaped too, so GitHub does not turn vendor text into autolinks.
pub fn md_escape(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '.' if out.len() >= 3 && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") => {
                out.push_str("\\.")
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' | ':' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A piece of text in the rules' and analysis's Markdown-ish convention: `x` is code.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Code(&'a str),
}

/// Splits `text` into prose and code spans as CommonMark does: a run of n backticks opens a
/// span that the next run of exactly n backticks closes; a run with no partner is prose.
fn code_pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let run_at = |i: usize| bytes[i..].iter().take_while(|b| **b == b'`').count();
    let mut pieces = Vec::new();
    let mut prose_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run_at(i);
        // The closing run: the next run of exactly n backticks.
        let mut j = i + n;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(j) => {
                if prose_start < i {
                    pieces.push(Piece::Text(&text[prose_start..i]));
                }
                let inner = &text[i + n..j];
                // One space on both sides is padding, as in CommonMark.
                let inner = match inner.strip_prefix(' ').and_then(|s| s.strip_suffix(' ')) {
                    Some(stripped) if !stripped.trim().is_empty() => stripped,
                    _ => inner,
                };
                pieces.push(Piece::Code(inner));
                i = j + n;
                prose_start = i;
            }
            None => i += n,
        }
    }
    if prose_start < text.len() {
        pieces.push(Piece::Text(&text[prose_start..]));
    }
    pieces
}

fn html_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
}

/// HTML for text in the backtick convention: every character escaped first, then each code
/// span set as `<code>`. Nothing from the text can open a tag: the only markup is ours.
pub fn html_code_spans(value: String) -> Value {
    let text = crate::untrusted::visible(&value);
    let mut out = String::with_capacity(text.len() + 16);
    for piece in code_pieces(&text) {
        match piece {
            Piece::Text(t) => html_escape(t, &mut out),
            Piece::Code(c) => {
                out.push_str("<code>");
                html_escape(c, &mut out);
                out.push_str("</code>");
            }
        }
    }
    Value::from_safe_string(out)
}

/// Markdown for text in the backtick convention: prose escaped as `md` does, each code span
/// written so that GitHub shows exactly its text as code: fenced by more backticks than it
/// holds, padded when it starts or ends with a backtick, and (in a table cell, `table=true`)
/// with `|` as `\|` so the span cannot end the cell.
pub fn md_code(value: String, table: Option<bool>) -> String {
    let table = table.unwrap_or(false);
    let mut out = String::with_capacity(value.len() + 16);
    for piece in code_pieces(&value) {
        match piece {
            Piece::Text(t) => out.push_str(&md_escape(t.to_string())),
            Piece::Code(c) => {
                let code: String = c
                    .chars()
                    .map(|ch| if ch == '\r' || ch == '\n' { ' ' } else { ch })
                    .collect();
                let code = if table { code.replace('|', "\\|") } else { code };
                let longest = code.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest + 1);
                let pad =
                    if code.starts_with('`') || code.ends_with('`') || (code.starts_with(' ') && code.ends_with(' ')) {
                        " "
                    } else {
                        ""
                    };
                out.push_str(&fence);
                out.push_str(pad);
                out.push_str(&code);
                out.push_str(pad);
                out.push_str(&fence);
            }
        }
    }
    out
}

/// Only https links are made links; anything else (`javascript:`, `data:`) renders as
/// nothing, and the template shows the text without a link.
pub fn safe_url(value: String) -> String {
    if value.starts_with("https://") && !value.contains(['"', '\'', '<', '>', ' ', '\\']) {
        value
    } else {
        String::new()
    }
}

/// What the templates see: the report, and per app its own findings and waivers.
#[derive(Serialize)]
struct View<'a> {
    report: &'a Report,
    apps: Vec<AppView<'a>>,
    /// Findings about the policy file (its waivers).
    policy_findings: Vec<&'a Finding>,
    /// The approved folder the apps were held against (`--approved DIR`).
    approvals: Option<ApprovalsView<'a>>,
    /// Findings about the org itself (its credential, tokens of uninstalled apps), each with
    /// where it is as shown.
    org_findings: Vec<OrgFindingView<'a>>,
    worst_grade: &'a str,
    /// The overall verdict in words.
    verdict: &'static str,
    /// Each platform catalog used, by its display name, with the date it was checked.
    catalogs: Vec<CatalogView>,
    /// The rules behind the findings, each with its help link for each platform it fired on.
    rules: Vec<RuleView<'a>>,
    /// The org summary and coverage, when the apps came from an org or a snapshot of one.
    org: Option<super::org::OrgOverview<'a>>,
    /// Whether the org pull stopped before everything was read.
    org_incomplete: bool,
}

#[derive(Serialize)]
struct CatalogView {
    platform_name: &'static str,
    checked: String,
}

#[derive(Serialize)]
struct RuleView<'a> {
    rule: &'a super::RuleInfo,
    links: Vec<LinkView>,
}

#[derive(Serialize)]
struct LinkView {
    /// The platform whose documentation the link is; absent for a standard (an RFC).
    platform_name: Option<&'static str>,
    uri: String,
}

#[derive(Serialize)]
struct AppView<'a> {
    anchor: String,
    platform_name: &'static str,
    /// The app's name with its platform, never said twice.
    title: String,
    /// The app's own verdict in words.
    verdict: &'static str,
    app: &'a AppReport,
    findings: Vec<&'a Finding>,
    waived: Vec<&'a super::SuppressedFinding>,
    offline: bool,
    needs_review: usize,
    /// The app's settings as label and value, from the one label table.
    settings: Vec<SettingView>,
    /// Each scope's verdict reason as a sentence, in the order of `app.scopes`.
    reasons: Vec<String>,
    /// The reviewer's checklist for the app's platform.
    checklist: Vec<super::wording::ChecklistLine>,
    /// Where each of `findings` is, as shown: `path:line`, or for an app read live from an
    /// org the app in the org.
    locations: Vec<PlaceView>,
    /// The app's usage in the org, in words; absent for a declared app.
    org: Option<super::org::AppUsage<'a>>,
    /// Why the app's scopes could not be read from the org, if they could not.
    unread: Option<&'a str>,
    /// The app against the approved folder, when the audit was held against one.
    approval: Option<ApprovalView<'a>>,
}

/// The approved folder, with each unmatched manifest's platform in words.
#[derive(Serialize)]
struct ApprovalsView<'a> {
    #[serde(flatten)]
    summary: &'a super::approval::ApprovalsSummary,
    /// The approved manifests that matched no app (the summary's `unmatched`, worded).
    stale: Vec<UnmatchedView<'a>>,
}

#[derive(Serialize)]
struct UnmatchedView<'a> {
    #[serde(flatten)]
    approval: &'a super::approval::UnmatchedApproval,
    platform_name: &'static str,
}

/// An app's approval as the reports word it: its standing, the manifest, and the approved and
/// live sides.
#[derive(Serialize)]
struct ApprovalView<'a> {
    /// `approved`, `exceeds_approval` or `unapproved` (for CSS classes).
    status: &'static str,
    /// The standing in words.
    standing: &'static str,
    manifest: Option<&'a str>,
    line: Option<u32>,
    /// How the manifest names the app, in words.
    matched_by: Option<&'static str>,
    by_label: bool,
    sides: super::approval::Sides,
    /// Requested scopes the approval does not grant.
    beyond: usize,
    /// Settings weaker than approved.
    weaker: usize,
    /// Approved scopes the app no longer requests.
    unrequested: usize,
}

impl<'a> ApprovalView<'a> {
    fn new(a: &'a super::approval::AppApproval) -> ApprovalView<'a> {
        let sides = a.sides();
        ApprovalView {
            status: a.status.as_str(),
            standing: a.status.label(),
            manifest: a.manifest.as_deref(),
            line: a.line,
            matched_by: a.matched_by.map(super::approval::matched_by_words),
            by_label: a.matched_by == Some(crate::model::MatchKey::Label),
            beyond: a.scopes.iter().filter(|s| s.beyond_approval).count(),
            weaker: a.settings.iter().filter(|s| s.weaker).count(),
            unrequested: a.scopes.iter().filter(|s| s.no_longer_requested()).count(),
            sides,
        }
    }
}

#[derive(Serialize)]
struct OrgFindingView<'a> {
    finding: &'a Finding,
    place: PlaceView,
}

#[derive(Serialize)]
struct SettingView {
    label: &'static str,
    value: String,
}

/// Where a finding is, as the justification report shows it: the file and its line, or for
/// an app read live from an org the app in the org (no line).
#[derive(Serialize)]
struct PlaceView {
    place: String,
    line: Option<u32>,
}

fn shown_location(app: &AppReport, f: &Finding) -> PlaceView {
    match &f.location {
        crate::finding::Location::File { path, line, .. }
            if app.org.is_none() || app.source.kind != crate::model::InputKind::SalesforceOrg =>
        {
            PlaceView {
                place: path.clone(),
                line: *line,
            }
        }
        _ => PlaceView {
            place: super::text::shown_location(Some(app), f),
            line: None,
        },
    }
}

impl<'a> View<'a> {
    fn new(report: &'a Report) -> View<'a> {
        let apps = report
            .apps
            .iter()
            .enumerate()
            .map(|(i, app)| {
                let offline = app
                    .scopes
                    .iter()
                    .any(|s| s.access == Some(crate::catalog::Access::Offline.as_str()));
                let needs_review = app
                    .scopes
                    .iter()
                    .filter(|s| s.verdict != crate::rule::Verdict::Needed)
                    .count();
                let facts = super::wording::ChecklistFacts { needs_review, offline };
                AppView {
                    anchor: super::org::anchor(i),
                    platform_name: app.platform.display_name(),
                    title: super::wording::app_title(&app.name, app.platform),
                    verdict: app.verdict.label(),
                    settings: app
                        .settings
                        .iter()
                        .filter_map(|(name, value)| {
                            let setting = crate::model::Setting::parse(name)?;
                            Some(SettingView {
                                label: crate::labels::setting_label(setting),
                                value: crate::labels::value_label(setting, value),
                            })
                        })
                        .collect(),
                    reasons: app
                        .scopes
                        .iter()
                        .map(|s| super::wording::sentence(&s.verdict_reason))
                        .collect(),
                    checklist: super::wording::checklist(app, &facts),
                    app,
                    findings: report
                        .findings
                        .iter()
                        .filter(|f| f.app.as_deref() == Some(app.id.as_str()))
                        .collect(),
                    locations: report
                        .findings
                        .iter()
                        .filter(|f| f.app.as_deref() == Some(app.id.as_str()))
                        .map(|f| shown_location(app, f))
                        .collect(),
                    org: app
                        .org
                        .as_ref()
                        .map(|usage| super::org::AppUsage::new(usage, report.org.as_ref().map(|o| o.taken_at))),
                    unread: match app.org.as_ref().map(|o| &o.config) {
                        Some(crate::model::org::ConfigRead::Unread(reason)) => Some(reason.as_str()),
                        _ => None,
                    },
                    approval: app.approval.as_ref().map(ApprovalView::new),
                    waived: report
                        .suppressed
                        .iter()
                        .filter(|s| s.finding.app.as_deref() == Some(app.id.as_str()))
                        .collect(),
                    offline,
                    needs_review,
                }
            })
            .collect();
        let worst_grade = report.apps.iter().map(|a| a.grade.as_str()).max().unwrap_or("A");
        View {
            org: super::org::OrgOverview::new(report),
            org_incomplete: report.org.as_ref().is_some_and(|o| !o.complete),
            report,
            apps,
            policy_findings: report.findings.iter().filter(|f| report.is_policy_finding(f)).collect(),
            approvals: report.approvals.as_ref().map(|summary| ApprovalsView {
                summary,
                stale: summary
                    .unmatched
                    .iter()
                    .map(|m| UnmatchedView {
                        approval: m,
                        platform_name: m.platform.display_name(),
                    })
                    .collect(),
            }),
            org_findings: report
                .findings
                .iter()
                .filter(|f| report.is_org_finding(f))
                .map(|finding| OrgFindingView {
                    finding,
                    place: PlaceView {
                        place: super::text::shown_location(None, finding),
                        line: None,
                    },
                })
                .collect(),
            worst_grade,
            verdict: report.verdict.label(),
            catalogs: report
                .catalogs
                .iter()
                .map(|c| CatalogView {
                    platform_name: c.platform.display_name(),
                    checked: c.checked.clone(),
                })
                .collect(),
            rules: report
                .rules
                .iter()
                .map(|rule| RuleView {
                    rule,
                    links: report
                        .help_links(rule)
                        .into_iter()
                        .map(|(_, uri)| LinkView {
                            // Named by where the link leads: a platform's docs, or a standard.
                            platform_name: super::wording::link_platform(&uri).map(|p| p.display_name()),
                            uri,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_closes_every_door() {
        assert_eq!(
            md_escape("a|b <script>x</script> [l](javascript:x) `c` *d*\nnext".into()),
            "a\\|b &lt;script&gt;x&lt;/script&gt; \\[l\\](javascript\\:x) \\`c\\` \\*d\\* next"
        );
    }

    #[test]
    fn markdown_escaping_stops_autolinks() {
        assert_eq!(
            md_escape("see https://evil.example, www.evil.example or a@evil.example".into()),
            "see https\\://evil.example, www\\.evil.example or a\\@evil.example"
        );
    }

    #[test]
    fn code_spans_become_code_after_escaping() {
        assert_eq!(
            html_code_spans("use `api` not `<b>full</b>`, & `unclosed".into()).as_str(),
            Some("use <code>api</code> not <code>&lt;b&gt;full&lt;&#x2f;b&gt;</code>, &amp; `unclosed")
        );
        assert_eq!(
            html_code_spans("`` a`b `` and `x`".into()).as_str(),
            Some("<code>a`b</code> and <code>x</code>")
        );
    }

    #[test]
    fn markdown_code_spans_stay_valid_in_tables() {
        assert_eq!(md_code("use `api` *now*".into(), None), "use `api` \\*now\\*");
        assert_eq!(md_code("`a|b`".into(), Some(true)), "`a\\|b`");
        assert_eq!(md_code("`a|b`".into(), Some(false)), "`a|b`");
        assert_eq!(md_code("`` x`y ``".into(), None), "``x`y``");
        assert_eq!(md_code("```` `x ````".into(), None), "`` `x ``");
        assert_eq!(md_code("`a\nb`".into(), None), "`a b`");
    }

    #[test]
    fn only_https_urls_become_links() {
        assert_eq!(
            safe_url("https://help.salesforce.com/x".into()),
            "https://help.salesforce.com/x"
        );
        assert_eq!(safe_url("javascript:alert(1)".into()), "");
        assert_eq!(safe_url("https://x\" onmouseover=\"y".into()), "");
    }

    #[test]
    fn embedded_templates_compile() {
        let templates = Templates::default();
        assert!(templates.environment().is_ok());
    }
}
