//! Every key of an approved manifest's `match:` block matches: the consumer key (the public
//! OAuth client id, never the secret) of Connected App files, External Client App files, the
//! live org and a snapshot of it; and a numeric `hubspot_app_id`, which no HubSpot app file
//! carries, is said to be unmatchable rather than silently matching nothing. Through the real
//! binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "fake_org/mod.rs"]
mod fake_org;

use common::*;
use fake_org::{FakeOrg, OrgSpec};
use serde_json::Value;
use std::path::Path;

const APPROVAL_RULES: [&str; 6] = [
    "unapproved-app",
    "exceeds-approval",
    "policy-weaker-than-approved",
    "approved-scope-unrequested",
    "approved-by-label",
    "approval-unmatched",
];

/// A Connected App file with a consumer key and a (fake) consumer secret.
fn connected_app(label: &str, key: &str, secret: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>integrations@example.com</contactEmail>
    <label>{label}</label>
    <oauthConfig>
        <callbackUrl>https://vendor.example.com/oauth/callback</callbackUrl>
        <consumerKey>{key}</consumerKey>
        <consumerSecret>{secret}</consumerSecret>
        <isAdminApproved>true</isAdminApproved>
        <isPkceRequired>true</isPkceRequired>
        <scopes>Api</scopes>
        <scopes>Full</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>ENFORCE</ipRelaxation>
        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>
    </oauthPolicy>
</ConnectedApp>
"#
    )
}

const LEDGER_KEY: &str = "3MVG9FAKEledgerSYNCkeyFORtestsONLYabcdefghijklmnop";
const LEDGER_SECRET: &str = "SECRET-LEDGER-FAKE-9f8e7d6c5b4a";
const OTHER_KEY: &str = "3MVG9FAKEotherTOOLkeyFORtestsONLYabcdefghijklmnop";

/// A Salesforce manifest approving `api` only, named by `match:` `key: value` and a label no
/// live app carries (so nothing but the key can match it).
fn manifest_by(key: &str, value: &str) -> String {
    format!(
        "app: Vendor Name From Procurement\nplatform: salesforce\nmatch:\n  {key}: \"{value}\"\nscopes:\n- scope: api\n  justification: Reads accounts.\n"
    )
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn report_of(out: &Run) -> Value {
    assert!(out.code == 0 || out.code == 1, "exit {}: {}", out.code, out.stderr);
    json(&out.stdout)
}

fn audit_json(input: &Path, approved: &Path) -> (Value, String) {
    let out = audit(&[
        input.to_str().unwrap(),
        "--approved",
        approved.to_str().unwrap(),
        "--format",
        "json",
        "--no-config",
        "--fail-on",
        "never",
    ]);
    (report_of(&out), out.stdout)
}

/// (rule, app id) of every approval finding, sorted.
fn approval_findings(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| APPROVAL_RULES.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["app"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(rule: &str, app: &str) -> (String, String) {
    (rule.to_string(), app.to_string())
}

fn unmatched_message(report: &Value) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "approval-unmatched")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no approval-unmatched in {report}"))
}

#[test]
fn connected_app_files_match_by_consumer_key_and_never_by_the_secret() {
    let apps = dir_with(&[
        (
            "Ledger_Sync.connectedApp-meta.xml",
            &connected_app("Ledger Sync", LEDGER_KEY, LEDGER_SECRET),
        ),
        (
            "Other_Tool.connectedApp-meta.xml",
            &connected_app("Other Tool", OTHER_KEY, "${OTHER_SECRET}"),
        ),
    ]);
    let approved = dir_with(&[("ledger.yaml", &manifest_by("consumer_key", LEDGER_KEY))]);
    let (r, _) = audit_json(apps.path(), approved.path());
    // Ledger Sync is approved by its consumer key alone: only `full`, beyond the approved
    // `api`, is a finding; Other Tool (another key) stays unapproved.
    assert_eq!(
        approval_findings(&r),
        vec![
            pair("exceeds-approval", "salesforce/ledger-sync"),
            pair("unapproved-app", "salesforce/other-tool"),
        ]
    );

    // A wrong key, the key in another case, or the consumer SECRET: nothing matches.
    for wrong in ["3MVG9FAKEnotANYappsKEY", &LEDGER_KEY.to_lowercase(), LEDGER_SECRET] {
        let approved = dir_with(&[("ledger.yaml", &manifest_by("consumer_key", wrong))]);
        let (r, stdout) = audit_json(apps.path(), approved.path());
        assert_eq!(
            approval_findings(&r),
            vec![
                pair("approval-unmatched", ""),
                pair("unapproved-app", "salesforce/ledger-sync"),
                pair("unapproved-app", "salesforce/other-tool"),
            ],
            "{wrong}"
        );
        assert!(
            unmatched_message(&r).ends_with("the approval may be stale."),
            "{}",
            unmatched_message(&r)
        );
        assert!(!stdout.contains(LEDGER_SECRET), "the secret is never output");
    }
}

/// The four files of an External Client App whose global OAuth settings state a consumer key.
const ECA: &str = "tests/fixtures/rules/secret-in-source/passes";
const ECA_KEY: &str = "3MVG9FIXTUREKEYabcdefghijklmnop";

#[test]
fn external_client_app_files_match_by_the_global_oauth_consumer_key() {
    let eca = root().join(ECA);
    let approved = dir_with(&[("ledger.yaml", &manifest_by("consumer_key", ECA_KEY))]);
    let (r, _) = audit_json(&eca, approved.path());
    let found = approval_findings(&r);
    assert!(
        !found
            .iter()
            .any(|(rule, _)| rule == "unapproved-app" || rule == "approval-unmatched" || rule == "approved-by-label"),
        "matched by its consumer key: {found:?}"
    );
    assert_eq!(r["apps"].as_array().unwrap().len(), 1, "{r}");

    let approved = dir_with(&[("ledger.yaml", &manifest_by("consumer_key", "3MVG9FIXTUREKEYother"))]);
    let (r, _) = audit_json(&eca, approved.path());
    let found = approval_findings(&r);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0], pair("approval-unmatched", ""));
    assert_eq!(found[1].0, "unapproved-app");
}

fn org_command() -> std::process::Command {
    let mut cmd = scopeaudit_without_org_credentials();
    cmd.args(["org", "salesforce", "--no-config"]);
    cmd
}

fn live_audit(org: &FakeOrg, approved: &Path, snapshot: &Path) -> Value {
    let out = run(org_command()
        .env("SF_ACCESS_TOKEN", org.access_token())
        .env("SF_INSTANCE_URL", org.base_url())
        .args(["--login-url", &org.login_url()])
        .args(["-f", "json", "--approved"])
        .arg(approved)
        .arg("--save-snapshot")
        .arg(snapshot));
    report_of(&out)
}

fn app_id(report: &Value, api_name: &str) -> String {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org"]["api_name"] == api_name)
        .unwrap_or_else(|| panic!("no app {api_name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The approval rules on one app.
fn rules_on(report: &Value, id: &str) -> Vec<String> {
    approval_findings(report)
        .into_iter()
        .filter(|(_, app)| app == id)
        .map(|(rule, _)| rule)
        .collect()
}

#[test]
fn the_live_org_and_its_snapshot_match_by_consumer_key() {
    let org = FakeOrg::start(OrgSpec::default()).expect("the fake org listens on 127.0.0.1");
    let full = org.planted().full_app.clone();
    assert!(full.consumer_key.starts_with("3MVG9FAKE"), "{}", full.consumer_key);
    let work = tempfile::tempdir().unwrap();
    let snapshot = work.path().join("org.json");

    let approved = dir_with(&[("helix.yaml", &manifest_by("consumer_key", &full.consumer_key))]);
    let live = live_audit(&org, approved.path(), &snapshot);
    let offline = report_of(&audit(&[
        snapshot.to_str().unwrap(),
        "--approved",
        approved.path().to_str().unwrap(),
        "-f",
        "json",
        "--no-config",
    ]));
    for r in [&live, &offline] {
        let id = app_id(r, &full.api_name);
        // Approved for `api` only: the scopes beyond it are findings, so the approval holds.
        let mut rules = rules_on(r, &id);
        rules.dedup();
        assert_eq!(rules, ["exceeds-approval"], "{id}");
        assert!(
            !rules_in(r).iter().any(|rule| rule == "approval-unmatched"),
            "the manifest matched"
        );
    }

    let wrong = dir_with(&[("helix.yaml", &manifest_by("consumer_key", "3MVG9FAKEnoSUCHapp"))]);
    let live = live_audit(&org, wrong.path(), &snapshot);
    let offline = report_of(&audit(&[
        snapshot.to_str().unwrap(),
        "--approved",
        wrong.path().to_str().unwrap(),
        "-f",
        "json",
        "--no-config",
    ]));
    for r in [&live, &offline] {
        let id = app_id(r, &full.api_name);
        assert_eq!(rules_on(r, &id), ["unapproved-app"], "{id}");
        assert!(rules_in(r).iter().any(|rule| rule == "approval-unmatched"));
    }
}

const HUBSPOT: &str = "examples/hubspot-project";

fn hubspot_manifest(match_line: &str) -> String {
    format!(
        "app: Acme Deal Sync\nplatform: hubspot\nmatch:\n  {match_line}\nscopes:\n- scope: crm.objects.deals.read\n  justification: Reads deals.\n"
    )
}

#[test]
fn a_numeric_hubspot_app_id_is_said_to_match_nothing_and_the_uid_matches() {
    let project = root().join(HUBSPOT);
    // The project uid, under SPEC's key or the narrow one: matched.
    for line in ["hubspot_app_id: acme_deal_sync", "hubspot_uid: acme_deal_sync"] {
        let approved = dir_with(&[("acme.yaml", &hubspot_manifest(line))]);
        let (r, _) = audit_json(&project, approved.path());
        let found = approval_findings(&r);
        assert!(
            !found
                .iter()
                .any(|(rule, _)| rule == "unapproved-app" || rule == "approval-unmatched"),
            "{line}: {found:?}"
        );
        assert!(
            found.iter().any(|(rule, _)| rule == "exceeds-approval"),
            "{line}: {found:?}"
        );
    }
    // HubSpot's numeric app id, as a YAML number or a string: accepted, matches nothing, and
    // the finding says why and what to use instead.
    for line in ["hubspot_app_id: 3141592", "hubspot_app_id: \"3141592\""] {
        let approved = dir_with(&[("acme.yaml", &hubspot_manifest(line))]);
        let (r, _) = audit_json(&project, approved.path());
        assert_eq!(
            approval_findings(&r),
            vec![
                pair("approval-unmatched", ""),
                pair("unapproved-app", "hubspot/acme-deal-sync")
            ],
            "{line}"
        );
        let message = unmatched_message(&r);
        assert!(
            message.contains("`hubspot_app_id` `3141592` is a number")
                && message.contains("numeric app id is in none of the app's files")
                && message.contains("project `uid`"),
            "{message}"
        );
    }
    // A uid that names no app is an ordinary stale approval.
    let approved = dir_with(&[("acme.yaml", &hubspot_manifest("hubspot_app_id: acme_old_sync"))]);
    let (r, _) = audit_json(&project, approved.path());
    assert!(
        unmatched_message(&r).ends_with("matches none of the audited apps: the approval may be stale."),
        "{}",
        unmatched_message(&r)
    );
}

#[test]
fn init_writes_the_consumer_key_an_approval_then_matches_by() {
    // External Client App files and a Connected App file: `init` writes each one's consumer
    // key; kept as the only key, it matches the app it came from.
    let cases = [
        (root().join(ECA), ECA_KEY),
        (
            root().join("tests/fixtures/metadata/connected-app/Every_Element.connectedApp-meta.xml"),
            "3MVG9FAKEKEYforTESTSonlyxxabcdefghijklmnopqrstuvwxyz0123456789",
        ),
    ];
    for (from, key) in cases {
        let out = run(scopeaudit().args(["init", "--from"]).arg(&from).args(["-o", "-"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let wanted = format!("  consumer_key: \"{key}\"");
        assert!(out.stdout.lines().any(|l| l.starts_with(&wanted)), "{}", out.stdout);
        let only_the_key: String = out
            .stdout
            .lines()
            .filter(|l| !l.trim_start().starts_with("salesforce_api_name:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let approved = dir_with(&[("app.yaml", &only_the_key)]);
        let (r, _) = audit_json(&from, approved.path());
        let found = approval_findings(&r);
        assert!(
            !found.iter().any(|(rule, _)| rule == "unapproved-app"
                || rule == "approval-unmatched"
                || rule == "approved-by-label"),
            "{}: {found:?}",
            from.display()
        );
    }
}
