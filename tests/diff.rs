//! `scopeaudit diff OLD NEW`: the drift gate across input formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn diff(args: &[&str]) -> Run {
    run(scopeaudit().arg("diff").args(args))
}

#[test]
fn hubspot_public_app_to_project_app_escalates_and_fails_the_gate() {
    let args = [
        "tests/fixtures/diff/hubspot-v1/public-app.json",
        "tests/fixtures/diff/hubspot-v2",
        "--no-config",
    ];
    let text = diff(&args);
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert_snapshot("diff-hubspot.txt", &text.stdout);
    let md = diff(&[&args[..], &["-f", "markdown"]].concat());
    assert_snapshot("diff-hubspot.md", &md.stdout);
    let out = diff(&[&args[..], &["-f", "json"]].concat());
    assert_snapshot("diff-hubspot.json", &out.stdout);
    let report = json(&out.stdout);
    assert_eq!(report["escalations"][0]["kind"], "read_to_write");
    assert_eq!(report["escalations"][0]["from"], "crm.objects.deals.read");
    let added: Vec<&str> = report["added_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        added,
        ["crm.objects.contacts.sensitive.read", "crm.objects.deals.write"]
    );
    assert_eq!(report["removed_scopes"][0]["scope"], "crm.objects.contacts.read");
    // Only high findings fail the default gate; with --fail-on critical it passes.
    let lenient = diff(&[&args[..], &["--fail-on", "critical"]].concat());
    assert_eq!(lenient.code, 0, "{}", lenient.stdout);
}

#[test]
fn manifest_to_connected_app_reports_full_access_and_policy_changes() {
    let out = diff(&[
        "examples/meeting-assistant-salesforce.yaml",
        "tests/fixtures/diff/salesforce-v2/Notable_Meetings.connectedApp-meta.xml",
        "--no-config",
        "-f",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let kinds: Vec<&str> = report["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["full_access"]);
    let settings: Vec<(&str, &str, &str)> = report["changed_settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["setting"].as_str().unwrap(),
                s["old"].as_str().unwrap(),
                s["new"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            ("ip_relaxation", "ENFORCE", "BYPASS"),
            ("refresh_token_policy", "specific_inactivity:30:DAYS", "infinite")
        ]
    );
    // `Api` in the XML is `api` in the manifest: not a new finding, nor a resolved one.
    let new_rules: Vec<&str> = report["new_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!new_rules.contains(&"broad-api-access"), "{new_rules:?}");
    assert_eq!(report["resolved_findings"].as_array().unwrap().len(), 0);
}

#[test]
fn the_same_app_twice_has_no_drift_and_writes_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("drift.md");
    let out = diff(&[
        "examples/meeting-assistant-hubspot.yaml",
        "examples/meeting-assistant-hubspot.yaml",
        "--no-config",
        "-o",
        md.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("new findings (0)"), "{}", out.stdout);
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("# Scope drift: Notable Meetings for HubSpot"));
}

#[test]
fn diff_needs_one_app_per_side_of_one_platform() {
    let many = diff(&["examples/", "examples/meeting-assistant-hubspot.yaml", "--no-config"]);
    assert_eq!(many.code, 2);
    assert_eq!(
        many.stderr,
        "error: OLD examples/: holds 10 apps; diff compares two versions of one app\n"
    );
    let platforms = diff(&[
        "examples/meeting-assistant-hubspot.yaml",
        "examples/meeting-assistant-salesforce.yaml",
        "--no-config",
    ]);
    assert_eq!(platforms.code, 2);
    assert!(
        platforms
            .stderr
            .contains("OLD is a HubSpot app and NEW a Salesforce app"),
        "{}",
        platforms.stderr
    );
    let missing = diff(&["nope.yaml", "examples/meeting-assistant-hubspot.yaml", "--no-config"]);
    assert_eq!(missing.code, 2);
    assert_eq!(missing.stderr, "error: OLD nope.yaml: no such file or directory\n");
}
