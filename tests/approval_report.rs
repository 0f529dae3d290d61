//! The approval in the reports (issue 12 point 5): each app's standing in the summary, the
//! approved and live sides of each matched app, and the approved folder's record, in every
//! format, through the real binary: Connected App files, an org snapshot and the fake org.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "fake_org/mod.rs"]
mod fake_org;

use common::*;
use fake_org::{FakeOrg, OrgSpec};
use serde_json::{json as j, Value};

const APPS: &str = "tests/fixtures/approved/apps";
const APPS_APPROVED: &str = "tests/fixtures/approved/approved";
const SNAPSHOT: &str = "tests/fixtures/org/org.json";
const ORG_APPROVED: &str = "tests/fixtures/approved/org";

fn audit_in(args: &[&str], format: &str) -> Run {
    let mut all = args.to_vec();
    all.extend(["--no-config", "--format", format]);
    audit(&all)
}

fn app<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no app {name}"))
}

/// (scope, approved, live, live_as, beyond_approval) of each row of an app's comparison.
fn scope_rows(app: &Value) -> Vec<(String, bool, String, Option<String>, bool)> {
    app["approval"]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["scope"].as_str().unwrap().to_string(),
                s["approved"].as_bool().unwrap(),
                s["live"].as_str().unwrap().to_string(),
                s["live_as"].as_str().map(str::to_string),
                s["beyond_approval"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn row(
    scope: &str,
    approved: bool,
    live: &str,
    live_as: Option<&str>,
    beyond: bool,
) -> (String, bool, String, Option<String>, bool) {
    (scope.into(), approved, live.into(), live_as.map(str::to_string), beyond)
}

#[test]
fn connected_app_files_show_their_approval_in_every_format() {
    let args = [APPS, "--approved", APPS_APPROVED];
    for (format, name) in [
        ("text", "approval-files.txt"),
        ("markdown", "approval-files.md"),
        ("html", "approval-files.html"),
    ] {
        let out = audit_in(&args, format);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_snapshot(name, &out.stdout);
    }
    let out = audit_in(&args, "json");
    let report = json(&out.stdout);
    assert_eq!(
        report["approvals"],
        j!({
            "directory": APPS_APPROVED,
            "manifests": 2,
            "approved": 0,
            "exceeds_approval": 1,
            "unapproved": 1,
            "unmatched": [{
                "name": "Retired CRM",
                "platform": "salesforce",
                "manifest": "tests/fixtures/approved/approved/retired-crm.yaml",
                "line": 1,
                "reason": "the approval may be stale"
            }]
        })
    );
    let ledger = app(&report, "Ledger Sync");
    assert_eq!(ledger["approval"]["status"], "exceeds_approval");
    assert_eq!(
        ledger["approval"]["manifest"],
        "tests/fixtures/approved/approved/ledger-sync.yaml"
    );
    assert_eq!(ledger["approval"]["matched_by"], "connected_app");
    assert_eq!(
        scope_rows(ledger),
        vec![
            row("api", true, "requested", Some("Api"), false),
            row("refresh_token", true, "requested", Some("RefreshToken"), false),
            // Approved openid is still reached through `full`: not "no longer requested".
            row("openid", true, "implied", Some("Full"), false),
            row("full", false, "requested", Some("Full"), true),
        ]
    );
    assert_eq!(
        ledger["approval"]["scopes"][0]["approved_justification"],
        "Reads accounts and updates opportunities."
    );
    assert_eq!(
        ledger["approval"]["settings"],
        j!([
            {"setting": "admin_approved", "approved": true, "live": false, "weaker": true},
            {"setting": "ip_relaxation", "approved": "ENFORCE", "live": "BYPASS", "weaker": true},
            {"setting": "refresh_token_policy", "approved": "specific_inactivity:30:DAYS", "live": "infinite", "weaker": true}
        ])
    );
    assert_eq!(
        app(&report, "Shadow Tool")["approval"],
        j!({"status": "unapproved", "manifest": null, "line": null, "matched_by": null, "scopes": [], "settings": []})
    );
    // The JSON's standing agrees with the findings: one per scope beyond, one for the policy.
    let rules: Vec<String> = rules_in(&report);
    assert_eq!(rules.iter().filter(|r| *r == "exceeds-approval").count(), 1);
    assert_eq!(rules.iter().filter(|r| *r == "policy-weaker-than-approved").count(), 1);
}

#[test]
fn a_snapshot_shows_each_apps_standing_and_the_stale_approval() {
    let args = [SNAPSHOT, "--approved", ORG_APPROVED];
    for (format, name) in [("text", "approval-org.txt"), ("markdown", "approval-org.md")] {
        let out = audit_in(&args, format);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_snapshot(name, &out.stdout);
    }
    let report = json(&audit_in(&args, "json").stdout);
    let standings: Vec<(String, String)> = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["approval"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("Full Sync", "exceeds_approval"),
        ("Dormant Reports", "unapproved"),
        ("Meeting Notes", "approved"),
        ("Locked Box", "unapproved"),
        ("Approved Tool", "approved"),
        ("Open Door", "unapproved"),
        ("Ledger ECA", "approved"),
    ]
    .iter()
    .map(|(a, s)| (a.to_string(), s.to_string()))
    .collect();
    assert_eq!(standings, expected);
    assert_eq!(app(&report, "Approved Tool")["approval"]["matched_by"], "label");
    assert_eq!(
        scope_rows(app(&report, "Ledger ECA")),
        vec![
            row("api", true, "requested", Some("Api"), false),
            row("refresh_token", true, "requested", Some("RefreshToken"), false),
            row("openid", true, "not_requested", None, false),
        ]
    );
    let summary = &report["approvals"];
    assert_eq!(
        (
            &summary["approved"],
            &summary["exceeds_approval"],
            &summary["unapproved"]
        ),
        (&j!(3), &j!(1), &j!(3))
    );
    // The stale approval is listed under the approved folder, not as an org-wide finding
    // nor under the policy file.
    let text = audit_in(&args, "text").stdout;
    let folder = text.find("Approved folder").unwrap();
    let stale = text.find("Retired CRM (Salesforce)").unwrap();
    assert!(stale > folder, "{text}");
    assert!(!text.contains("Policy file"), "{text}");
    let org_wide = text.find("Org-wide findings").unwrap();
    let first_app = text.find("Full Sync (Salesforce)").unwrap();
    assert!(
        !text[org_wide..first_app].contains("approval-unmatched"),
        "{}",
        &text[org_wide..first_app]
    );
}

#[test]
fn an_approved_app_whose_scopes_were_not_read_is_not_said_to_have_dropped_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("locked.yaml"),
        "app: Locked Box\nplatform: salesforce\nmatch:\n  salesforce_api_name: Locked Box\nscopes:\n  - scope: api\n    justification: Reads cases.\n",
    )
    .unwrap();
    let approved = dir.path().to_str().unwrap();
    let report = json(&audit_in(&[SNAPSHOT, "--approved", approved, "--fail-on", "never"], "json").stdout);
    let locked = app(&report, "Locked Box");
    assert_eq!(locked["approval"]["status"], "approved", "{locked}");
    assert_eq!(scope_rows(locked), vec![row("api", true, "unknown", None, false)]);
    let id = locked["id"].clone();
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["app"] == id && f["rule"] == "approved-scope-unrequested"),
        "unread scopes are not missing scopes"
    );
}

#[test]
fn hostile_approved_text_is_neutralized_in_every_human_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ledger.yaml"),
        "app: Ledger\nplatform: salesforce\nmatch:\n  connected_app: Ledger_Sync\nscopes:\n  - scope: api\n    justification: \"<script>alert(1)</script> | [x](javascript:alert(1)) \\e[31mRED\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("gone.yaml"),
        "app: \"<img src=x onerror=alert(1)> | \\e]8;;http://evil\\e\\\\\"\nplatform: salesforce\nmatch:\n  connected_app: Gone\nscopes:\n  - scope: api\n    justification: Reads.\n",
    )
    .unwrap();
    let approved = dir.path().to_str().unwrap();
    let args = [APPS, "--approved", approved, "--fail-on", "never"];
    let text = audit_in(&args, "text").stdout;
    assert!(!text.contains('\u{1b}'), "no escape reaches the terminal");
    let md = audit_in(&args, "markdown").stdout;
    assert!(md.contains("Why it was approved"), "{md}");
    assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
    assert!(!md.contains("](javascript:"), "{md}");
    assert!(!md.contains('\u{1b}'));
    let html = audit_in(&args, "html").stdout;
    assert!(html.contains("Approval record"));
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "raw markup in the HTML"
    );
    assert!(html.contains("&lt;script&gt;") && html.contains("&lt;img"));
    assert!(!html.contains('\u{1b}'));
}

#[test]
fn without_approved_the_reports_say_nothing_of_approvals() {
    let out = audit_in(&[APPS], "json");
    let report = json(&out.stdout);
    assert!(report.get("approvals").is_none());
    assert!(report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a.get("approval").is_none()));
    let md = audit_in(&[APPS], "markdown").stdout;
    assert!(
        !md.contains("| Approval |") && !md.contains("Approved and live"),
        "{md}"
    );
    let html = audit_in(&[APPS], "html").stdout;
    assert!(!html.contains("Approval record"));
}

/// The live org against an approved folder: the fake org's `full` app approved for less.
#[test]
fn the_live_org_report_is_the_record_of_what_was_approved_and_what_is_live() {
    let org = FakeOrg::start(OrgSpec::default()).expect("the fake org listens on 127.0.0.1");
    let full = org.planted().full_app.clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("full.yaml"),
        format!(
            "app: {label}\nplatform: salesforce\nmatch:\n  salesforce_api_name: {api}\nscopes:\n  - scope: api\n    justification: Syncs chat transcripts to cases.\n  - scope: refresh_token\n    justification: Syncs while the agent is away.\nsettings:\n  ip_relaxation: ENFORCE\n",
            label = full.label,
            api = full.api_name
        ),
    )
    .unwrap();
    let approved = dir.path().to_str().unwrap();
    let html_path = dir.path().join("record.html");
    let mut cmd = scopeaudit_without_org_credentials();
    let out = run(cmd
        .args([
            "org",
            "salesforce",
            "--no-config",
            "--format",
            "json",
            "--approved",
            approved,
        ])
        .args(["-o", html_path.to_str().unwrap()])
        .args(["--login-url", &org.login_url()])
        .env("SF_ACCESS_TOKEN", org.access_token())
        .env("SF_INSTANCE_URL", org.base_url()));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let live = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org"]["api_name"] == full.api_name.as_str())
        .unwrap();
    assert_eq!(live["approval"]["status"], "exceeds_approval");
    assert_eq!(live["approval"]["matched_by"], "salesforce_api_name");
    let beyond: Vec<&str> = live["approval"]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["beyond_approval"] == true)
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(beyond, ["full", "web"]);
    let ip = live["approval"]["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["setting"] == "ip_relaxation")
        .unwrap();
    assert_eq!(
        ip,
        &j!({"setting": "ip_relaxation", "approved": "ENFORCE", "live": "BYPASS", "weaker": true})
    );
    let summary = &report["approvals"];
    assert_eq!(summary["manifests"], 1);
    assert_eq!(summary["exceeds_approval"], 1);
    assert_eq!(summary["approved"], 0);
    let apps = report["apps"].as_array().unwrap().len() as u64;
    assert_eq!(
        summary["unapproved"].as_u64().unwrap(),
        apps - 1,
        "every other app is unapproved"
    );
    // The HTML written beside it is the procurement record: the folder, the standing of
    // every app, and the two sides of the matched one.
    let html = std::fs::read_to_string(&html_path).unwrap();
    for part in [
        "<h2 id=\"approvals\">Approval record</h2>",
        "<span class=\"st-exceeds_approval\">exceeds approval</span>",
        "<h3>Approved and live</h3>",
        "<td>Syncs chat transcripts to cases.</td>",
        "<td><b>beyond the approval</b></td>",
        "<td><b>weaker than approved</b></td>",
        "<th>Approval</th>",
    ] {
        assert!(html.contains(part), "missing {part}");
    }
}

#[test]
fn the_approved_folder_says_why_a_manifest_matches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deal-sync.yaml"),
        "app: Acme Deal Sync\nplatform: hubspot\nmatch:\n  hubspot_app_id: \"3141592\"\nscopes:\n  - scope: crm.objects.deals.read\n    justification: Reads deals.\n",
    )
    .unwrap();
    let approved = dir.path().to_str().unwrap();
    let args = ["examples/hubspot-project", "--approved", approved, "--fail-on", "never"];
    let why = "is a number, and HubSpot's numeric app id is in none of the app's files";
    let text = audit_in(&args, "text").stdout;
    let folder = &text[text.find("Approved folder").unwrap()..];
    assert!(
        folder.contains("Acme Deal Sync (HubSpot)") && folder.contains(why),
        "{folder}"
    );
    assert!(audit_in(&args, "markdown").stdout.contains(why));
    assert!(audit_in(&args, "html")
        .stdout
        .contains("is a number, and HubSpot&#x27;s numeric app id"));
    let report = json(&audit_in(&args, "json").stdout);
    assert!(report["approvals"]["unmatched"][0]["reason"]
        .as_str()
        .unwrap()
        .contains(why));
}

#[test]
fn a_consumer_key_that_matches_nothing_says_some_keys_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("locked.yaml"),
        "app: Locked Box\nplatform: salesforce\nmatch:\n  consumer_key: 3MVG9FAKEUNKNOWNKEY\nscopes:\n  - scope: api\n    justification: Reads cases.\n",
    )
    .unwrap();
    let approved = dir.path().to_str().unwrap();
    // The snapshot's Locked Box was refused its metadata: its key is unknown, not absent.
    let report = json(&audit_in(&[SNAPSHOT, "--approved", approved, "--fail-on", "never"], "json").stdout);
    let reason = report["approvals"]["unmatched"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("the org did not let the audit read the metadata of 1 app"),
        "{reason}"
    );
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "approval-unmatched")
        .unwrap();
    assert!(finding["message"].as_str().unwrap().contains(reason));
    // Where every app's key was read, the same manifest is simply stale.
    let report = json(&audit_in(&[APPS, "--approved", approved, "--fail-on", "never"], "json").stdout);
    assert_eq!(
        report["approvals"]["unmatched"][0]["reason"],
        "the approval may be stale"
    );
}
