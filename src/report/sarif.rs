//! SARIF 2.1.0 for code scanning (GitHub and others): one run, the rules behind the results
//! with their documentation, a physical location on every result, waived findings as
//! suppressions with their reason, and partial fingerprints that survive line moves.

use super::Report;
use crate::finding::{Finding, Location, Severity};
use crate::untrusted::visible;
use serde_json::{json, Value};
use std::io::Write;

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

/// A path as the user named it, as a URI reference: relative paths stay relative to the
/// source root (GitHub resolves them against the checkout); absolute paths become `file:`
/// URIs. Characters outside the URI set are percent-encoded.
fn artifact_uri(path: &str) -> (String, bool) {
    if path.starts_with("https://") || path.starts_with("http://") {
        return (path.to_string(), false);
    }
    let trimmed = path.strip_prefix("./").unwrap_or(path);
    let mut encoded = String::with_capacity(trimmed.len());
    for b in trimmed.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => encoded.push(char::from(b)),
            b'\\' => encoded.push('/'),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    if trimmed.starts_with('/') {
        (format!("file://{encoded}"), false)
    } else {
        (encoded, true)
    }
}

/// Where a result points: a file and line, or (for an org record) a logical location.
fn locations(location: &Location) -> Value {
    match location {
        Location::File { path, line, column } => {
            let (uri, relative) = artifact_uri(path);
            let mut artifact = json!({ "uri": uri });
            if relative {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            // A finding without a line (an ad-hoc scope list) still needs a region for code
            // scanning; the first line stands for the whole input.
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
            json!([{ "logicalLocations": [{
                "name": visible(name),
                "fullyQualifiedName": visible(&location.to_string()),
                "kind": "resource",
                "properties": { "instance": instance, "object": object, "recordId": record_id },
            }] }])
        }
    }
}

fn result(finding: &Finding, rule_index: Option<usize>) -> Value {
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        // Viewers show the message to people: hazards made visible.
        "message": { "text": visible(&finding.message) },
        "locations": locations(&finding.location),
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
fn invocation(report: &Report) -> Value {
    let notifications: Vec<Value> = report
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
                "locations": locations(&at),
            })
        })
        .collect();
    json!({
        "executionSuccessful": report.complete,
        "toolExecutionNotifications": notifications,
    })
}

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
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
            let markdown = format!("{}\n\n## Remediation\n\n{}", r.docs, r.remediation);
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": first_paragraph },
                "help": { "text": markdown, "markdown": markdown },
                "helpUri": r.help_uri,
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
    let mut results: Vec<Value> = report.findings.iter().map(|f| result(f, index_of(&f.rule))).collect();
    for s in &report.suppressed {
        let mut r = result(&s.finding, index_of(&s.finding.rule));
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
            "invocations": [invocation(report)],
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
    fn uris_are_relative_or_file_and_encoded() {
        assert_eq!(
            artifact_uri("./src/app/app-hsmeta.json"),
            ("src/app/app-hsmeta.json".into(), true)
        );
        assert_eq!(artifact_uri("my apps/x.yaml"), ("my%20apps/x.yaml".into(), true));
        assert_eq!(artifact_uri("/tmp/a b.xml"), ("file:///tmp/a%20b.xml".into(), false));
        assert_eq!(
            artifact_uri("https://app.hubspot.com/oauth/authorize"),
            ("https://app.hubspot.com/oauth/authorize".into(), false)
        );
    }
}
