//! `.scopeaudit.yaml`: discovery, overrides, waivers with reason and expiry, strict validation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::Path;

const OVER: &str = "examples/over-privileged-salesforce.yaml";

fn audit_in(dir: &Path, args: &[&str]) -> Run {
    run(scopeaudit().current_dir(dir).arg("audit").args(args))
}

fn copy_example(dir: &Path, name: &str) -> String {
    let target = dir.join(name);
    std::fs::copy(root().join(OVER), &target).unwrap();
    target.to_str().unwrap().to_string()
}

#[test]
fn discovery_stops_at_home_outside_a_repository_and_the_report_names_the_policy() {
    // A policy above the user's home (here a shared /tmp-like parent) belongs to nobody.
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), ".scopeaudit.yaml", "fail_on: never\n");
    let home = outer.path().join("home");
    let project = home.join("vendor-review");
    std::fs::create_dir_all(&project).unwrap();
    let manifest = copy_example(&project, "app.yaml");
    let out = run(scopeaudit()
        .current_dir(&project)
        .env("HOME", &home)
        .args(["audit", &manifest]));
    assert_eq!(out.code, 1, "the policy above home was not used");
    assert!(!out.stdout.contains("\npolicy: "), "{}", out.stdout);
    // In home itself it is used, and the report says which file it applied.
    write(&home, ".scopeaudit.yaml", "fail_on: never\n");
    let out = run(scopeaudit()
        .current_dir(&project)
        .env("HOME", &home)
        .args(["audit", &manifest]));
    assert_eq!(out.code, 0);
    let shown = home.join(".scopeaudit.yaml");
    assert!(
        out.stdout.contains(&format!("\npolicy: {}\n", shown.display())),
        "{}",
        out.stdout
    );
}

#[test]
fn discovered_up_to_the_repository_root_and_no_further() {
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), ".scopeaudit.yaml", "fail_on: never\n");
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("apps/vendor")).unwrap();
    let manifest = copy_example(&repo.join("apps/vendor"), "app.yaml");
    // Above the repository root: not used, so the default gate fails.
    assert_eq!(audit_in(&repo.join("apps/vendor"), &[&manifest]).code, 1);
    write(&repo, ".scopeaudit.yaml", "fail_on: never\n");
    assert_eq!(
        audit_in(&repo.join("apps/vendor"), &[&manifest]).code,
        0,
        "found at the repository root"
    );
    assert_eq!(
        audit_in(&repo.join("apps/vendor"), &[&manifest, "--no-config"]).code,
        1,
        "--no-config skips it"
    );
    assert_eq!(
        audit_in(&repo.join("apps/vendor"), &[&manifest, "--fail-on", "high"]).code,
        1,
        "the flag wins"
    );
}

#[test]
fn rule_severity_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.yaml",
        "rules:\n  write-scope:\n    disabled: true\n  broad-api-access:\n    severity: high\n",
    );
    let out = audit(&[
        "examples/meeting-assistant-salesforce.yaml",
        "--config",
        policy.to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(out.code, 1, "broad-api-access raised to high fails the gate");
    let report = json(&out.stdout);
    assert_eq!(rules_in(&report), ["broad-api-access", "offline-access"]);
    assert_eq!(report["findings"][0]["severity"], "high");
}

#[test]
fn forbidden_and_allowed_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.yaml",
        "forbidden_scopes:\n  salesforce: [Full]\nallowed_scopes:\n  salesforce: [api, refresh_token, openid]\n",
    );
    let report = json(&audit(&[OVER, "--config", policy.to_str().unwrap(), "-f", "json"]).stdout);
    let findings = report["findings"].as_array().unwrap();
    let scoped = |rule: &str| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["scope"].as_str().unwrap())
            .collect()
    };
    assert_eq!(scoped("forbidden-scope"), ["full"]);
    assert_eq!(
        scoped("scope-not-allowed"),
        ["full", "web", "chatter_api", "manage_everything"]
    );
}

#[test]
fn waivers_suppress_report_reasons_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        ".scopeaudit.yaml",
        "ignore:
  - rule: excess-scope
    app: QuickDash Widget
    scope: full
    reason: Vendor contract SEC-7 limits the integration user; re-review at renewal.
    expires: 2027-03-01
  - rule: excess-scope
    app: quickdash-widget
    scope: web
    reason: Dashboard embeds Salesforce pages.
    expires: 2026-01-31
  - rule: full-access
    app: Some Other App
    reason: Left over from an old review.
",
    );
    let out = audit(&[OVER, "--config", policy.to_str().unwrap(), "-f", "json"]);
    let report = json(&out.stdout);
    let suppressed = report["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["rule"], "excess-scope");
    assert_eq!(suppressed[0]["scope"], "full");
    assert_eq!(
        suppressed[0]["reason"],
        "Vendor contract SEC-7 limits the integration user; re-review at renewal."
    );
    assert_eq!(suppressed[0]["expires"], "2027-03-01");
    let scoped: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["rule"].as_str()?, f["scope"].as_str()?)))
        .collect();
    assert!(!scoped.contains(&("excess-scope", "full")));
    assert!(
        scoped.contains(&("excess-scope", "web")),
        "an expired waiver stops suppressing"
    );
    let policy_findings: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["app"].is_null())
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        policy_findings,
        [("expired-ignore".to_string(), 7), ("unused-ignore".to_string(), 12)]
    );

    // The same run in text, after the date moves past the first waiver's expiry too.
    let later = run(scopeaudit().env("SCOPEAUDIT_TODAY", "2027-03-02").args([
        "audit",
        OVER,
        "--config",
        policy.to_str().unwrap(),
    ]));
    assert!(later.stdout.contains("CRITICAL excess-scope  full"), "{}", later.stdout);
    let text = audit(&[OVER, "--config", policy.to_str().unwrap()]);
    assert!(text.stdout.contains("1 finding waived by policy"), "{}", text.stdout);
}

#[test]
fn invalid_policy_reports_every_problem_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "bad.yaml",
        "fail_on: sometimes
rules:
  no-such-rule:
    severity: high
forbidden_scopes:
  salesforce: [fulll]
ignore:
  - rule: full-access
    reason: \"  \"
  - rule: web-session-access
    reason: ok
    expires: next year
",
    );
    let p = policy.to_str().unwrap().to_string();
    let out = audit(&[OVER, "--config", &p]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "no partial report");
    let expected = [
        format!("error: {p}:1: fail_on: `sometimes` is not one of info, low, medium, high, critical, never"),
        format!("error: {p}:3: rules: no rule `no-such-rule` (see `scopeaudit rules`)"),
        format!("error: {p}:5: forbidden_scopes.salesforce: `fulll` is not in the salesforce catalog"),
        format!("error: {p}:8: ignore[0]: `reason` is empty: say why the finding is accepted"),
        format!("error: {p}:10: ignore[1].expires: `next year` is not a date (YYYY-MM-DD)"),
    ];
    assert_eq!(out.stderr.lines().collect::<Vec<_>>(), expected);

    let unknown = write(dir.path(), "unknown.yaml", "fail_on: high\nignores: []\n");
    let out = audit(&[OVER, "--config", unknown.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown.yaml:2:1: unknown field `ignores`"),
        "{}",
        out.stderr
    );
    let missing = audit(&[OVER, "--config", "does/not/exist.yaml"]);
    assert_eq!(
        missing.stderr,
        "error: does/not/exist.yaml: no such file or directory\n"
    );
}

/// The kinds of input note each finding in a report names, sorted.
fn note_kinds(report: &serde_json::Value, list: &str) -> Vec<String> {
    let mut kinds: Vec<String> = report[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "config-anomaly")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds
}

#[test]
fn one_kind_of_input_note_can_be_disabled_or_waived_alone() {
    let input = "tests/fixtures/formats/connected-app";
    let base = json(&audit(&[input, "--no-config", "-f", "json", "--fail-on", "never"]).stdout);
    let all = note_kinds(&base, "findings");
    assert!(all.contains(&"repeated".to_string()) && all.contains(&"misplaced".to_string()));

    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "policy.yaml",
        "rules:\n  config-anomaly/repeated: {disabled: true}\n  config-anomaly/unknown-element: {severity: medium}\nignore:\n  - rule: config-anomaly\n    code: misplaced\n    reason: The vendor's packaging tool writes these; accepted in SEC-7.\n",
    );
    let out = audit(&[
        input,
        "--config",
        policy.to_str().unwrap(),
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    let expected: Vec<String> = all
        .iter()
        .filter(|k| *k != "repeated" && *k != "misplaced")
        .cloned()
        .collect();
    assert_eq!(note_kinds(&report, "findings"), expected);
    assert_eq!(
        note_kinds(&report, "suppressed"),
        ["misplaced", "misplaced", "misplaced"]
    );
    let unknown: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unknown-element")
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(unknown, ["medium", "medium"]);

    // A kind that does not exist, or a kind on a rule that is not about notes, is refused.
    let bad = write(
        dir.path(),
        "bad.yaml",
        "rules:\n  config-anomaly/typo: {disabled: true}\n  full-access/repeated: {disabled: true}\nignore:\n  - rule: config-anomaly\n    code: nope\n    reason: r\n",
    );
    let out = audit(&[input, "--config", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 3, "{}", out.stderr);
    assert!(out
        .stderr
        .contains("rules: `config-anomaly/typo`: only a rule about input notes takes a `/kind`"));
    assert!(out
        .stderr
        .contains("ignore[0].code: `nope` is not one of repeated, conflicting"));
}
