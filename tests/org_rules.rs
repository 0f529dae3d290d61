//! Org snapshots through the real binary: `scopeaudit audit SNAPSHOT.json` gives each org
//! rule's finding once per app (with its counts), the declared-app rules on org apps, an
//! incomplete pull as exit 3, and the same answer any day. The snapshots are the hand-made
//! fixtures in tests/fixtures/org (see generate.py there) and the org rules' fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

const ORG: &str = "tests/fixtures/org/org.json";

const ORG_RULES: [&str; 7] = [
    "stale-token",
    "unused-connected-app",
    "token-of-inactive-user",
    "privileged-user-token",
    "uninstalled-app-tokens",
    "preauthorization-not-enforced",
    "audit-credential-too-broad",
];

fn report(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-f", "json", "--no-config", "--fail-on", "never"]);
    let out = audit(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

fn app_id(report: &Value, name: &str) -> String {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no app {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The findings of one app (by name), or of the org as a whole (`None`).
fn findings<'a>(report: &'a Value, app: Option<&str>) -> Vec<&'a Value> {
    let id = app.map(|n| app_id(report, n));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["app"].as_str().map(str::to_string) == id)
        .collect()
}

fn rules_of(found: &[&Value]) -> Vec<String> {
    let mut rules: Vec<String> = found.iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    rules.sort();
    rules
}

fn line_of(path: &str, line: u64) -> String {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines().nth(line as usize - 1).unwrap().trim().to_string()
}

#[test]
fn each_org_rule_fires_on_its_fixture_at_its_row_and_not_on_the_near_miss() {
    for rule in ORG_RULES {
        let dir = format!("tests/fixtures/rules/{rule}");
        let fires = report(&[&format!("{dir}/fires.json")]);
        let found: Vec<&Value> = fires["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .collect();
        assert_eq!(found.len(), 1, "{rule}: one finding per app or org, got {found:?}");
        let f = found[0];
        let path = f["location"]["path"].as_str().unwrap();
        assert_eq!(path, format!("{dir}/fires.json"), "{rule}");
        let expected = std::fs::read_to_string(root().join(format!("{dir}/expected-line.txt"))).unwrap();
        let line = line_of(path, f["location"]["line"].as_u64().unwrap());
        assert!(line.starts_with(expected.trim_end()), "{rule}: points at `{line}`");
        let passes = report(&[&format!("{dir}/passes.json")]);
        assert!(
            !rules_in(&passes).contains(&rule.to_string()),
            "{rule} fired on its passes fixture"
        );
    }
}

#[test]
fn the_whole_org_gives_one_finding_per_app_and_rule_with_counts() {
    let r = report(&[ORG]);
    let full = findings(&r, Some("Full Sync"));
    let rules = rules_of(&full);
    // The planted app: `full`, BYPASS and infinite refresh tokens get the declared-app rules.
    for rule in [
        "full-access",
        "ip-restrictions-relaxed",
        "non-expiring-refresh-token",
        "self-authorization-allowed",
        "stale-token",
        "token-of-inactive-user",
        "privileged-user-token",
    ] {
        assert_eq!(rules.iter().filter(|r| *r == rule).count(), 1, "{rule} in {rules:?}");
    }
    let by_rule = |rule: &str| *full.iter().find(|f| f["rule"] == rule).unwrap();
    let privileged = by_rule("privileged-user-token");
    assert_eq!(privileged["counts"]["privileged_user_tokens"], 2);
    assert!(
        privileged["message"].as_str().unwrap().contains("2 of its 3 token(s)"),
        "{privileged}"
    );
    assert_eq!(by_rule("stale-token")["counts"]["stale_tokens"], 1);
    assert_eq!(by_rule("token-of-inactive-user")["counts"]["inactive_user_tokens"], 1);
    // Every finding of a snapshot app points at its row.
    for f in &full {
        assert_eq!(
            line_of(ORG, f["location"]["line"].as_u64().unwrap()),
            "\"name\": \"Full Sync\","
        );
    }

    assert_eq!(
        rules_of(&findings(&r, Some("Dormant Reports"))),
        ["broad-api-access", "unused-connected-app"]
    );
    assert!(rules_of(&findings(&r, Some("Open Door"))).contains(&"preauthorization-not-enforced".to_string()));
    assert!(!rules_of(&findings(&r, Some("Approved Tool"))).contains(&"preauthorization-not-enforced".to_string()));
    let eca = rules_of(&findings(&r, Some("Ledger ECA")));
    for rule in [
        "ip-restrictions-relaxed",
        "non-expiring-refresh-token",
        "self-authorization-allowed",
    ] {
        assert!(eca.contains(&rule.to_string()), "{rule} in {eca:?}");
    }

    let org = findings(&r, None);
    assert_eq!(
        rules_of(&org),
        [
            "audit-credential-too-broad",
            "uninstalled-app-tokens",
            "uninstalled-app-tokens"
        ]
    );
    let gone = org
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("`Gone Analytics`"))
        .unwrap();
    assert_eq!(
        (gone["counts"]["tokens"].as_u64(), gone["counts"]["users"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        line_of(ORG, gone["location"]["line"].as_u64().unwrap()),
        "\"app_name\": \"Gone Analytics\","
    );
    let credential = org.iter().find(|f| f["rule"] == "audit-credential-too-broad").unwrap();
    let message = credential["message"].as_str().unwrap();
    assert!(
        message.contains("`full`") && message.contains("`refresh_token`"),
        "{message}"
    );

    assert_eq!(r["org"]["tokens_total"], 12);
    assert_eq!(r["org"]["uninstalled_apps"].as_array().unwrap().len(), 2);
    assert_eq!(r["complete"], true);
}

#[test]
fn an_app_whose_scopes_could_not_be_read_is_not_judged_on_them() {
    let r = report(&[ORG]);
    // The Metadata API refused the token: only what REST says is audited (every user may
    // self-authorize); no "no OAuth", no defaults, no scope verdicts.
    assert_eq!(
        rules_of(&findings(&r, Some("Locked Box"))),
        ["self-authorization-allowed"]
    );
    let app = r["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Locked Box")
        .unwrap();
    assert_eq!(app["scopes"].as_array().unwrap().len(), 0);
    // No least-privilege verdict ("drop nothing") from an empty scope list nobody read.
    assert_eq!(app["recommendation"]["analyzed"], false, "{}", app["recommendation"]);
}

#[test]
fn an_unread_policy_takes_no_platform_default() {
    // Neither the metadata nor REST says who may authorize: "not set, so every user may" would
    // be a guess about an org, not a reading of it.
    let r = report(&["tests/fixtures/org/unread-policy.json"]);
    assert_eq!(rules_of(&findings(&r, Some("Field Sync"))), Vec::<String>::new());
}

#[test]
fn a_snapshot_gives_the_same_findings_any_day() {
    let at = |today: &str| {
        let out = run(scopeaudit().env("SCOPEAUDIT_TODAY", today).args([
            "audit",
            ORG,
            "-f",
            "json",
            "--no-config",
            "--fail-on",
            "never",
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)["findings"].clone()
    };
    assert_eq!(at("2026-11-23"), at("2031-06-01"));
}

#[test]
fn stale_days_sets_the_threshold() {
    let stale = |args: &[&str]| {
        let mut all = vec![ORG];
        all.extend(args);
        rules_in(&report(&all)).iter().filter(|r| *r == "stale-token").count()
    };
    assert_eq!(stale(&[]), 2);
    assert_eq!(stale(&["--stale-days", "1000"]), 0);
    // Every app with a token: each had one used three days before the pull.
    assert_eq!(stale(&["--stale-days", "2"]), 4);
    let bad = audit(&[ORG, "--stale-days", "soon"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn a_pull_cut_short_is_an_incomplete_report_and_exit_3() {
    let out = audit(&["tests/fixtures/org/cut-short.json", "-f", "json", "--no-config"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let r = json(&out.stdout);
    assert_eq!(r["complete"], false);
    assert_eq!(r["org"]["complete"], false);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("REQUEST_LIMIT_EXCEEDED"));
    assert!(out.stderr.contains("cut short"), "{}", out.stderr);
    // Everything that was read is still audited.
    assert!(rules_in(&r).contains(&"privileged-user-token".to_string()));
}

#[test]
fn a_directory_walk_finds_snapshots_by_their_content() {
    let r = report(&["tests/fixtures/org/walk"]);
    let apps = r["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["name"], "Field Sync");
    assert!(rules_in(&r).contains(&"token-of-inactive-user".to_string()));
    assert_eq!(r["org"]["org_id"], "00DFAKE000000001AA");
}

#[test]
fn a_snapshot_is_strict_json_and_errors_name_the_place() {
    let out = audit(&["tests/fixtures/org/unknown-member.json", "--no-config"]);
    assert_eq!(out.code, 2);
    let line = out.stderr.lines().next().unwrap();
    assert!(
        line.starts_with("error: tests/fixtures/org/unknown-member.json:")
            && line.contains("unknown field `consumer_secret`"),
        "{line}"
    );
    assert!(!out.stderr.contains("FAKE-NOT-A-SECRET"), "{}", out.stderr);
    let out = audit(&["tests/fixtures/org/newer-version.json", "--no-config"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("newer scopeaudit"), "{}", out.stderr);
}

#[test]
fn two_snapshots_in_one_audit_are_refused() {
    let out = audit(&[ORG, "tests/fixtures/org/cut-short.json", "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("a second org snapshot"), "{}", out.stderr);
}

#[test]
fn live_org_apps_are_located_by_their_record() {
    use scopeaudit::inputs::org::{normalize, read_snapshot, Origin};
    use scopeaudit::session::{ConfigChoice, DataOptions, GateOptions, Session};
    let text = std::fs::read_to_string(root().join(ORG)).unwrap();
    let snapshot = read_snapshot(ORG, &text).unwrap();
    let (apps, summary) = normalize(&snapshot, Origin::Live, 90);
    let options = DataOptions {
        config: ConfigChoice::Skip,
        catalogs: None,
        rules: None,
    };
    let session = Session::load(&options, summary.taken_at.date()).unwrap();
    let report = session.report_with(apps, Vec::new(), Vec::new(), GateOptions::default(), Some(summary));
    let value = serde_json::to_value(&report.findings).unwrap();
    let full = value
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "privileged-user-token")
        .unwrap();
    assert_eq!(full["location"]["instance"], "https://fake-org.my.salesforce.com");
    assert_eq!(full["location"]["object"], "ConnectedApplication");
    assert_eq!(full["location"]["record_id"], "0H4FAKE00000001AAA");
    assert_eq!(full["location"]["record_name"], "Full Sync");
    let gone = value
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "uninstalled-app-tokens")
        .unwrap();
    assert_eq!(gone["location"]["object"], "OauthToken");
    let credential = value
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "audit-credential-too-broad")
        .unwrap();
    assert_eq!(credential["location"]["object"], "Organization");
    assert_eq!(credential["location"]["record_id"], "00DFAKE000000001AA");
}
