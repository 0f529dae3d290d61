//! SARIF 2.1.0 for code scanning (GitHub and others): one run, the rules behind the results
//! with their documentation, a physical location on every result, waived findings as
//! suppressions with their reason, and partial fingerprints that survive line moves.

use super::{AppReport, Report};
use crate::finding::{Finding, Location, Severity};
use crate::model::InputKind;
use crate::untrusted::visible;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// The key of our partial fingerprint; the value is the finding's fingerprint, which leaves out
/// lines and wording by design.
const FINGERPRINT_KEY: &str = "scopeaudit/v1";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub ranks security alerts by this number: 9.0+ critical, 7.0+ high, 4.0+ medium, else low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Characters outside the URI set percent-encoded; `\\` as `/`.
fn encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => encoded.push(char::from(b)),
            b'\\' => encoded.push('/'),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    encoded
}

/// `path` without `.` and with each `..` taking away the component before it, without asking
/// the file system (for a path that no longer exists).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where artifact URIs are relative to: the git top-level of each input (the nearest folder
/// above it with a `.git`, a directory or a worktree's file), else the current directory.
/// Code scanning resolves `%SRCROOT%` against the checkout, so a URI never climbs out of it
/// with `../`: a file outside the root gets an absolute `file://` URI instead.
struct Roots {
    cwd: Option<PathBuf>,
}

impl Roots {
    fn new() -> Roots {
        Roots {
            cwd: std::env::current_dir().ok().map(|d| d.canonicalize().unwrap_or(d)),
        }
    }

    /// The URI of a file as the user named it, and whether it is relative to `%SRCROOT%`.
    fn artifact_uri(&self, path: &str) -> (String, bool) {
        let given = Path::new(path);
        let absolute = match (&self.cwd, given.is_absolute()) {
            (_, true) => given.to_path_buf(),
            (Some(cwd), false) => cwd.join(given),
            (None, false) => return (encode_path(path.strip_prefix("./").unwrap_or(path)), true),
        };
        let absolute = absolute.canonicalize().unwrap_or_else(|_| lexical(&absolute));
        let root = absolute
            .ancestors()
            .skip(1)
            .find(|dir| dir.join(".git").exists())
            .map(Path::to_path_buf)
            .or_else(|| self.cwd.clone());
        match root.as_deref().and_then(|r| absolute.strip_prefix(r).ok()) {
            Some(relative) => {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                (encode_path(&parts.join("/")), true)
            }
            None => {
                let shown = absolute.to_string_lossy().replace('\\', "/");
                let shown = if shown.starts_with('/') {
                    shown
                } else {
                    format!("/{shown}")
                };
                (format!("file://{}", encode_path(&shown)), false)
            }
        }
    }
}

/// An input that is not a file: an authorize URL given as an argument, or `--scopes`. Results
/// about it get a logical location, never a file path that does not exist.
fn logical_input(path: &str) -> Option<(&'static str, &'static str)> {
    if path.starts_with("https://") || path.starts_with("http://") {
        Some(("resource", "authorize URL"))
    } else if path == "--scopes" {
        Some(("parameter", "command-line scope list"))
    } else {
        None
    }
}

/// The org a report came from, and its apps by id: results about an org app are placed in
/// the org (instance + app), not in a file.
struct OrgPlaces<'a> {
    instance: Option<&'a str>,
    apps: std::collections::HashMap<&'a str, &'a AppReport>,
}

impl<'a> OrgPlaces<'a> {
    fn new(report: &'a Report) -> OrgPlaces<'a> {
        OrgPlaces {
            instance: report.org.as_ref().map(|o| o.instance_url.as_str()),
            apps: report
                .apps
                .iter()
                .filter(|a| a.org.is_some())
                .map(|a| (a.id.as_str(), a))
                .collect(),
        }
    }

    /// The logical location of the finding's org app, and whether the app was read live (so
    /// no file stands for it).
    fn app(&self, finding: &Finding) -> Option<(Value, bool)> {
        let app = self.apps.get(finding.app.as_deref()?)?;
        let usage = app.org.as_ref()?;
        let live = app.source.kind == InputKind::SalesforceOrg;
        let instance = self
            .instance
            .unwrap_or(if live { app.source.path.as_str() } else { "" });
        let name = super::org::record_name(instance, usage);
        Some((
            json!({
                "name": visible(&usage.api_name),
                "fullyQualifiedName": visible(&name),
                "kind": "resource",
                "properties": {
                    "instance": visible(instance),
                    "type": super::org::metadata_type(usage.kind),
                    "recordId": visible(&usage.id),
                    "label": visible(&usage.label),
                },
            }),
            live,
        ))
    }
}

/// Where a result points: for a live org's app, the app in the org; for an app from a
/// snapshot, the snapshot file and the app in the org; otherwise a file and line, or (for an
/// org record, an authorize URL or a scope list) a logical location.
fn result_locations(roots: &Roots, places: &OrgPlaces, finding: &Finding) -> Value {
    match places.app(finding) {
        Some((logical, true)) => {
            json!([{ "logicalLocations": [logical] }])
        }
        Some((logical, false)) => {
            let mut at = locations(roots, places.instance, &finding.location);
            if let Some(first) = at.get_mut(0).and_then(Value::as_object_mut) {
                if !first.contains_key("logicalLocations") {
                    first.insert("logicalLocations".into(), json!([logical]));
                }
            }
            at
        }
        _ => locations(roots, places.instance, &finding.location),
    }
}

/// Where a result points: a file and line, or (for an org record, the org itself, an
/// authorize URL or a scope list) a logical location.
fn locations(roots: &Roots, instance: Option<&str>, location: &Location) -> Value {
    match location {
        Location::File { path, .. } if instance.is_some_and(|i| i == path) => {
            json!([{ "logicalLocations": [{
                "name": visible(path),
                "fullyQualifiedName": visible(path),
                "kind": "resource",
                "properties": { "input": "Salesforce org" },
            }] }])
        }
        Location::File { path, .. } if logical_input(path).is_some() => {
            let (kind, input) = logical_input(path).unwrap_or(("resource", "input"));
            json!([{ "logicalLocations": [{
                "name": visible(path),
                "fullyQualifiedName": visible(path),
                "kind": kind,
                "properties": { "input": input },
            }] }])
        }
        Location::File { path, line, column } => {
            let (uri, relative) = roots.artifact_uri(path);
            let mut artifact = json!({ "uri": uri });
            if relative {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            // A finding without a line still needs a region for code scanning; the first line
            // stands for the whole input.
            let mut region = json!({ "startLine": line.unwrap_or(1) });
            if let Some(column) = column {
                region["startColumn"] = json!(column);
            }
            json!([{ "physicalLocation": { "artifactLocation": artifact, "region": region } }])
        }
        Location::OrgRecord {
            instance,
            object,
            record_id,
            record_name,
        } => {
            let name = record_name.as_deref().or(record_id.as_deref()).unwrap_or(object);
            let qualified = format!("{}/{object}/{name}", instance.trim_end_matches('/'));
            json!([{ "logicalLocations": [{
                "name": visible(name),
                "fullyQualifiedName": visible(&qualified),
                "kind": "resource",
                "properties": { "instance": instance, "object": object, "recordId": record_id },
            }] }])
        }
    }
}

fn result(roots: &Roots, places: &OrgPlaces, finding: &Finding, rule_index: Option<usize>) -> Value {
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        // Viewers show the message to people: hazards made visible.
        "message": { "text": visible(&finding.message) },
        "locations": result_locations(roots, places, finding),
        "partialFingerprints": { FINGERPRINT_KEY: finding.fingerprint },
        "properties": {
            "severity": finding.severity.as_str(),
            "app": finding.app,
            "scope": finding.scope,
            "code": finding.code,
        }
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    result
}

/// The run's invocation: whether every input was read, and a notification per input that was
/// not, so code scanning shows an incomplete run as one.
fn invocation(roots: &Roots, report: &Report) -> Value {
    let instance = report.org.as_ref().map(|o| o.instance_url.as_str());
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let at = Location::File {
                path: e.path.clone(),
                line: e.line.and_then(|l| u32::try_from(l).ok()),
                column: e.column.and_then(|c| u32::try_from(c).ok()),
            };
            json!({
                "level": "error",
                "message": { "text": visible(&e.message) },
                "locations": locations(roots, instance, &at),
            })
        })
        .collect();
    if let Some(org) = &report.org {
        if !org.complete && report.errors.is_empty() {
            notifications.push(json!({
                "level": "error",
                "message": { "text": "the org pull stopped before everything was read; the results cover only what was read" },
            }));
        }
        // What the org did not serve: a note each, so the coverage travels with the results.
        for skipped in &org.skipped {
            notifications.push(json!({
                "level": "note",
                "message": { "text": format!("{} not read: {}", visible(&skipped.object), visible(&skipped.reason)) },
            }));
        }
        for app in report.apps.iter() {
            if let Some(crate::model::org::ConfigRead::Unread(reason)) = app.org.as_ref().map(|o| &o.config) {
                notifications.push(json!({
                    "level": "warning",
                    "message": { "text": format!("scopes of {} could not be read: {}", visible(&app.name), visible(reason)) },
                }));
            }
        }
    }
    json!({
        "executionSuccessful": report.complete,
        "toolExecutionNotifications": notifications,
    })
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let roots = Roots::new();
    let places = OrgPlaces::new(report);
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            let first_paragraph = r
                .docs
                .split("\n\n")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            // The help link of the platform the rule's findings are on; a rule that fired on
            // both platforms with different documentation lists each in its help.
            let links = report.help_links(r);
            let help_uri = match links.as_slice() {
                [(_, uri)] => uri.clone(),
                _ => r.help_uri.clone(),
            };
            let mut markdown = format!("{}\n\n## Remediation\n\n{}", r.docs, r.remediation);
            if links.len() > 1 {
                markdown.push_str("\n\n## Documentation\n");
                for (platform, uri) in &links {
                    let name = platform.map_or("Documentation", |p| p.display_name());
                    markdown.push_str(&format!("\n- {name}: <{uri}>"));
                }
            }
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": first_paragraph },
                "help": { "text": markdown, "markdown": markdown },
                "helpUri": help_uri,
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": ["security", "oauth"],
                    "precision": "high",
                    "security-severity": security_severity(r.severity),
                }
            })
        })
        .collect();
    let index_of = |id: &str| report.rules.iter().position(|r| r.id == id);
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(&roots, &places, f, index_of(&f.rule)))
        .collect();
    for s in &report.suppressed {
        let mut r = result(&roots, &places, &s.finding, index_of(&s.finding.rule));
        let justification = match &s.expires {
            Some(date) => format!("{} (waiver expires {date})", s.reason),
            None => s.reason.clone(),
        };
        r["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": justification }]);
        results.push(r);
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "rules": rules,
                }
            },
            "invocations": [invocation(&roots, report)],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_root_or_file_and_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("repo/.git")).unwrap();
        std::fs::create_dir_all(base.join("repo/my apps")).unwrap();
        std::fs::write(base.join("repo/my apps/x.yaml"), "x").unwrap();
        std::fs::write(base.join("outside.yaml"), "x").unwrap();
        let roots = Roots {
            cwd: Some(base.join("repo/my apps")),
        };
        // Named from a folder below the root: relative to the root, not to the folder.
        assert_eq!(roots.artifact_uri("./x.yaml"), ("my%20apps/x.yaml".into(), true));
        assert_eq!(
            roots.artifact_uri("../my apps/x.yaml"),
            ("my%20apps/x.yaml".into(), true)
        );
        // Outside every root: absolute, never `../`.
        let (uri, relative) = roots.artifact_uri("../../outside.yaml");
        assert!(
            !relative && uri.starts_with("file:///") && uri.ends_with("/outside.yaml"),
            "{uri}"
        );
        assert!(!uri.contains(".."));
    }

    #[test]
    fn urls_and_scope_lists_are_logical_locations() {
        let roots = Roots { cwd: None };
        let at = locations(
            &roots,
            None,
            &Location::file("https://app.hubspot.com/oauth/authorize", None),
        );
        assert_eq!(at[0]["logicalLocations"][0]["kind"], "resource");
        assert!(at[0].get("physicalLocation").is_none());
        let at = locations(&roots, None, &Location::file("--scopes", None));
        assert_eq!(at[0]["logicalLocations"][0]["kind"], "parameter");
    }
}
