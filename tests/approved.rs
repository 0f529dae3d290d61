//! `--approved DIR`: live apps (an org snapshot, Connected App files) held against the manifests
//! a security team approved, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

const SNAPSHOT: &str = "tests/fixtures/org/org.json";
const ORG_APPROVED: &str = "tests/fixtures/approved/org";
const APPS: &str = "tests/fixtures/approved/apps";
const APPS_APPROVED: &str = "tests/fixtures/approved/approved";

const APPROVAL_RULES: [&str; 6] = [
    "unapproved-app",
    "exceeds-approval",
    "policy-weaker-than-approved",
    "approved-scope-unrequested",
    "approved-by-label",
    "approval-unmatched",
];

fn report(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--no-config", "--fail-on", "never"]);
    let out = audit(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

/// (rule, app id, scope, severity) of every approval finding.
fn approval_findings(report: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| APPROVAL_RULES.contains(&f["rule"].as_str().unwrap()))
        .map(|f| (s(&f["rule"]), s(&f["app"]), s(&f["scope"]), s(&f["severity"])))
        .collect()
}

fn app<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no app {name}"))
}

fn message<'a>(report: &'a Value, rule: &str, app: &str) -> &'a str {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["app"] == app)
        .unwrap_or_else(|| panic!("no {rule} on {app}"))["message"]
        .as_str()
        .unwrap()
}

fn t(rule: &str, app: &str, scope: &str, severity: &str) -> (String, String, String, String) {
    (rule.into(), app.into(), scope.into(), severity.into())
}

#[test]
fn a_snapshot_is_held_against_the_approved_folder() {
    let r = report(&[SNAPSHOT, "--approved", ORG_APPROVED]);
    let mut found = approval_findings(&r);
    found.sort();
    let mut expected = vec![
        // Full Sync asks for `full`, approved for `api` and `refresh_token`, and is looser.
        t("exceeds-approval", "salesforce/full-sync", "full", "high"),
        t("policy-weaker-than-approved", "salesforce/full-sync", "", "high"),
        // Holds a token used recently / is pre-authorized, and nobody approved it.
        t("unapproved-app", "salesforce/locked-box", "", "high"),
        t("unapproved-app", "salesforce/open-door", "", "high"),
        // The manifest has no match: block: matched by label, and said so.
        t("approved-by-label", "salesforce/approved-tool", "", "info"),
        // Approved for openid, which the live External Client App no longer requests.
        t("approved-scope-unrequested", "salesforce/ledger-eca", "", "info"),
        t("approval-unmatched", "", "", "info"),
    ];
    expected.sort();
    assert_eq!(found, expected);
    // Dormant Reports has no token and nobody is pre-authorized: not an approval gap.
    // Meeting Notes is approved for exactly what it asks, with the same policies.
    let weaker = message(&r, "policy-weaker-than-approved", "salesforce/full-sync");
    for part in [
        "IP relaxation is `BYPASS`, approved `ENFORCE`",
        "refresh-token policy is `infinite`, approved `specific_inactivity:30:DAYS`",
        "any user may authorize it",
    ] {
        assert!(weaker.contains(part), "{weaker}");
    }
    assert!(message(&r, "approved-scope-unrequested", "salesforce/ledger-eca").contains("`openid`"));
    // The stale approval points at its manifest's `app:` line.
    let unmatched = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "approval-unmatched")
        .unwrap();
    assert_eq!(
        unmatched["location"]["path"],
        "tests/fixtures/approved/org/retired-crm.yaml"
    );
    assert_eq!(unmatched["location"]["line"], 1);
    assert!(unmatched["message"].as_str().unwrap().contains("Retired CRM"));
}

#[test]
fn an_unapproved_app_none_of_whose_tokens_is_recent_is_low() {
    // With --stale-days 1 every token of Locked Box is stale; Open Door is pre-authorized.
    let r = report(&[SNAPSHOT, "--approved", ORG_APPROVED, "--stale-days", "1"]);
    let found = approval_findings(&r);
    assert!(
        found.contains(&t("unapproved-app", "salesforce/locked-box", "", "low")),
        "{found:?}"
    );
    assert!(
        found.contains(&t("unapproved-app", "salesforce/open-door", "", "high")),
        "{found:?}"
    );
}

#[test]
fn approved_justifications_and_tools_flow_into_the_live_app() {
    let before = report(&[SNAPSHOT]);
    let after = report(&[SNAPSHOT, "--approved", ORG_APPROVED]);
    let verdicts = |r: &Value| -> Vec<(String, String, Value)> {
        app(r, "Meeting Notes")["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["scope"].as_str().unwrap().to_string(),
                    s["verdict"].as_str().unwrap().to_string(),
                    s["justification"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        verdicts(&before),
        vec![
            ("Api".to_string(), "unjustified".to_string(), Value::Null),
            ("RefreshToken".to_string(), "unjustified".to_string(), Value::Null),
        ]
    );
    assert_eq!(
        verdicts(&after),
        vec![
            (
                "Api".to_string(),
                "needed".to_string(),
                "Logs each meeting as an activity on the account.".into()
            ),
            (
                "RefreshToken".to_string(),
                "needed".to_string(),
                "Logs meetings after they end, when the user is gone.".into()
            ),
        ]
    );
    let notes = app(&after, "Meeting Notes");
    assert_eq!(notes["tools"].as_array().unwrap().len(), 2, "{notes}");
    assert_eq!(notes["recommendation"]["analyzed"], true, "{notes}");
    // Where the approved parts came from is on record.
    assert_eq!(
        notes["source"]["files"][1],
        "tests/fixtures/approved/org/meeting-notes.yaml"
    );
}

#[test]
fn connected_app_files_are_held_against_the_approved_folder() {
    let r = report(&[APPS, "--approved", APPS_APPROVED]);
    let mut found = approval_findings(&r);
    found.sort();
    let mut expected = vec![
        t("exceeds-approval", "salesforce/ledger-sync", "full", "high"),
        t("policy-weaker-than-approved", "salesforce/ledger-sync", "", "high"),
        // Approved for openid, which it no longer names but still reaches through `full`: not
        // gone (`full` is the finding), so no approved-scope-unrequested.
        // A file with no approval is about to be deployed: high, whatever its tokens.
        t("unapproved-app", "salesforce/shadow-tool", "", "high"),
        t("approval-unmatched", "", "", "info"),
    ];
    expected.sort();
    assert_eq!(found, expected);
    // The approved tools make least privilege computable: `full` is more than they need.
    let ledger = app(&r, "Ledger Sync");
    assert_eq!(ledger["recommendation"]["analyzed"], true, "{ledger}");
    let exceeds = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "exceeds-approval")
        .unwrap();
    assert_eq!(exceeds["location"]["line"], 11, "points at <scopes>Full</scopes>");
    let weaker = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "policy-weaker-than-approved")
        .unwrap();
    assert_eq!(
        weaker["location"]["line"], 14,
        "points at the first weakened policy, <ipRelaxation>"
    );
}

#[test]
fn without_approved_no_approval_rule_runs() {
    for args in [[SNAPSHOT].as_slice(), [APPS].as_slice()] {
        let r = report(args);
        assert!(approval_findings(&r).is_empty(), "{:?}", approval_findings(&r));
    }
}

fn manifest(label: &str, key: Option<&str>) -> String {
    let m = key.map_or_else(String::new, |k| format!("match:\n  connected_app: {k}\n"));
    format!("app: {label}\nplatform: salesforce\n{m}scopes:\n- scope: api\n  justification: Syncs.\n")
}

#[test]
fn two_manifests_matching_one_app_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &manifest("Ledger Sync", Some("Ledger_Sync")));
    // SPEC's own key, `salesforce_api_name`, names the same Connected App.
    write(
        dir.path(),
        "b.yaml",
        "app: Ledger Sync copy\nplatform: salesforce\nmatch:\n  salesforce_api_name: Ledger_Sync\nscopes:\n- scope: api\n  justification: Syncs.\n",
    );
    let out = audit(&[APPS, "--approved", dir.path().to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("a.yaml") && out.stderr.contains("b.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("more than one approved manifest"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn one_manifest_matching_two_apps_is_an_error_naming_both() {
    let apps = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(APPS).join("Shadow_Tool.connectedApp-meta.xml")).unwrap();
    write(apps.path(), "Shadow_One.connectedApp-meta.xml", &text);
    write(apps.path(), "Shadow_Two.connectedApp-meta.xml", &text);
    let approved = tempfile::tempdir().unwrap();
    // No match: block: the label, which both apps carry.
    write(approved.path(), "shadow.yaml", &manifest("Shadow Tool", None));
    let out = audit(&[
        apps.path().to_str().unwrap(),
        "--approved",
        approved.path().to_str().unwrap(),
        "--no-config",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("shadow.yaml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Shadow_One.connectedApp-meta.xml")
            && out.stderr.contains("Shadow_Two.connectedApp-meta.xml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("matches more than one app"), "{}", out.stderr);
}

#[test]
fn an_unreadable_approved_manifest_stops_the_audit_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", &manifest("Ledger Sync", Some("Ledger_Sync")));
    write(
        dir.path(),
        "broken.yaml",
        "app: Broken\nplatform: salesforce\nscopes: [api\n",
    );
    let out = audit(&[APPS, "--approved", dir.path().to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("broken.yaml"), "{}", out.stderr);

    // Something that is not a native manifest has no place among the approvals.
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(root().join(APPS).join("Shadow_Tool.connectedApp-meta.xml")).unwrap();
    write(dir.path(), "Shadow_Tool.connectedApp-meta.xml", &xml);
    let out = audit(&[APPS, "--approved", dir.path().to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("not an approved manifest"), "{}", out.stderr);

    let out = audit(&[APPS, "--approved", "tests/fixtures/approved/no-such-dir", "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no-such-dir"), "{}", out.stderr);
}

#[test]
fn an_approved_scope_without_a_justification_is_missing_one_on_the_live_app() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ledger.yaml",
        "app: Ledger Sync\nplatform: salesforce\nmatch:\n  connected_app: Ledger_Sync\nscopes:\n- scope: api\n  justification: Syncs.\n- scope: refresh_token\n- scope: full\n  justification: Admin sync.\n",
    );
    let r = report(&[APPS, "--approved", dir.path().to_str().unwrap()]);
    let missing: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-justification")
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    // Only Ledger Sync's approved, unjustified scope; not the unapproved Shadow Tool's.
    assert_eq!(missing, vec!["refresh_token"]);
    let without = report(&[APPS]);
    assert!(!rules_in(&without).contains(&"missing-justification".to_string()));
}
