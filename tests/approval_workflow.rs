//! Issue 12 end to end, through the real binary: the live fake org and the example DX project
//! (Connected App and External Client App files) held against approved manifests, and the
//! workflow a team runs: bootstrap the approved folder from a snapshot, review it, gate in CI.
//! Every command of the README's "Approved apps" workflow is run here as a user types it, from
//! a working directory of their own, with relative paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "fake_org/mod.rs"]
mod fake_org;

use common::{json, root, run, scopeaudit, scopeaudit_without_org_credentials, write, Run};
use fake_org::{FakeOrg, OrgSpec};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const APPROVAL_RULES: [&str; 6] = [
    "unapproved-app",
    "exceeds-approval",
    "policy-weaker-than-approved",
    "approved-scope-unrequested",
    "approved-by-label",
    "approval-unmatched",
];

/// The bundled example: the approved folder for the example DX project. (`audit examples/`
/// also reads these as the two manifests they are.)
const EXAMPLE_APPROVED: &str = "examples/approved";
const DX: &str = "examples/salesforce-dx";

/// The approval gate a CI job runs (the README's `.scopeaudit.yaml`): drift from the approved
/// folder fails the job, and so does anything critical; the rest is in the report.
const GATE_POLICY: &str = "\
# The approval gate: an app nobody approved, a scope beyond its approval, a policy weaker than
# approved or an approved scope nobody justified fails the job; so does anything critical.
fail_on: critical
rules:
  unapproved-app: {severity: critical}
  exceeds-approval: {severity: critical}
  policy-weaker-than-approved: {severity: critical}
  missing-justification: {severity: critical}
";

fn start() -> FakeOrg {
    FakeOrg::start(OrgSpec::default()).expect("the fake org listens on 127.0.0.1")
}

/// The binary as a user runs it from `cwd`: no Salesforce variables of the machine running the
/// tests, the policy file of `cwd` (if any) applies.
fn user(cwd: &Path) -> Command {
    let mut cmd = scopeaudit_without_org_credentials();
    cmd.current_dir(cwd);
    cmd
}

/// `scopeaudit ARGS` from `cwd`.
fn sa(cwd: &Path, args: &[&str]) -> Run {
    run(user(cwd).args(args))
}

/// `scopeaudit org salesforce ARGS` from `cwd` against `org` (its access token in the
/// environment, as `SF_ACCESS_TOKEN`/`SF_INSTANCE_URL` from a CI secret would be).
fn live(org: &FakeOrg, cwd: &Path, args: &[&str]) -> Run {
    run(user(cwd)
        .env("SF_ACCESS_TOKEN", org.access_token())
        .env("SF_INSTANCE_URL", org.base_url())
        .args(["org", "salesforce", "--login-url", &org.login_url()])
        .args(args))
}

/// The report of a run that wrote JSON to stdout, with the exit code it must have had.
fn report_of(out: &Run, code: i32) -> Value {
    assert_eq!(out.code, code, "{}", out.stderr);
    json(&out.stdout)
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// (rule, app id, scope, severity) of every approval finding, sorted.
fn approval_findings(report: &Value) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| APPROVAL_RULES.contains(&f["rule"].as_str().unwrap()))
        .map(|f| (s(&f["rule"]), s(&f["app"]), s(&f["scope"]), s(&f["severity"])))
        .collect();
    out.sort();
    out
}

fn t(rule: &str, app: &str, scope: &str, severity: &str) -> (String, String, String, String) {
    (rule.into(), app.into(), scope.into(), severity.into())
}

/// The report's app with this org API name.
fn org_app<'a>(report: &'a Value, api_name: &str) -> &'a Value {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org"]["api_name"] == api_name)
        .unwrap_or_else(|| panic!("no app {api_name} in the report"))
}

/// The (rule, severity) of each finding about the app with this org API name.
fn findings_of(report: &Value, api_name: &str) -> Vec<(String, String)> {
    let id = &org_app(report, api_name)["id"];
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["app"] == *id)
        .map(|f| (s(&f["rule"]), s(&f["severity"])))
        .collect()
}

/// The findings that fail the gate: unsuppressed, at or above `threshold`.
fn gating(report: &Value, threshold: &[&str]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| threshold.contains(&f["severity"].as_str().unwrap()))
        .map(|f| (s(&f["rule"]), s(&f["app"]), s(&f["scope"])))
        .collect();
    out.sort();
    out
}

/// The review: every TODO justification `init` wrote replaced with a real one, as a reviewer
/// edits the file. `justify` gives the justification of a scope.
fn justify_all(path: &Path, justify: &dyn Fn(&str) -> String) {
    let mut text = std::fs::read_to_string(path).unwrap();
    let todo = "\n    justification: \"\"   # TODO: why the app needs it";
    assert!(text.contains(todo), "{text}");
    let mut out = String::new();
    for (i, part) in text.split(todo).enumerate() {
        if i > 0 {
            let scope = out
                .rsplit("- scope: \"")
                .next()
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_string();
            out.push_str(&format!("\n    justification: \"{}\"", justify(&scope)));
        }
        out.push_str(part);
    }
    text = out;
    assert!(!text.contains("TODO: why"), "{text}");
    std::fs::write(path, text).unwrap();
}

/// `text` with the scope entry `- scope: "NAME"` (and its justification line) removed.
fn drop_scope(text: &str, scope: &str) -> String {
    let start = text
        .find(&format!("  - scope: \"{scope}\"\n"))
        .unwrap_or_else(|| panic!("no {scope} in:\n{text}"));
    let rest = &text[start..];
    let end = rest[1..]
        .find("  - scope: ")
        .map_or_else(|| rest.find("\n\n").unwrap() + 1, |i| i + 1);
    format!("{}{}", &text[..start], &rest[end..])
}

// ---------------------------------------------------------------------------------------------
// Point 2 against the live org: who is `unapproved-app`, and how severe.

#[test]
fn live_unapproved_apps_are_high_low_or_absent_by_their_tokens_and_pre_authorization() {
    let org = start();
    let planted = org.planted().clone();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("approved")).unwrap();
    // Only the pre-authorized Finance Ledger Sync is approved.
    write(
        &dir.path().join("approved"),
        "finance.yaml",
        &format!(
            "app: Finance Ledger Sync\nplatform: salesforce\nmatch:\n  salesforce_api_name: {}\nscopes:\n  - scope: api\n    justification: Posts journal entries.\n  - scope: refresh_token\n    justification: Posts them nightly.\n",
            planted.preauthorized_app.api_name
        ),
    );
    let r = report_of(
        &live(
            &org,
            dir.path(),
            &[
                "--no-config",
                "-f",
                "json",
                "--approved",
                "approved",
                "--fail-on",
                "never",
            ],
        ),
        0,
    );
    let unapproved = |r: &Value, api: &str| -> Vec<String> {
        findings_of(r, api)
            .into_iter()
            .filter(|(rule, _)| rule == "unapproved-app")
            .map(|(_, severity)| severity)
            .collect()
    };
    // Recent tokens: high.
    assert!(planted.full_app.tokens > planted.full_app.stale_tokens);
    assert_eq!(unapproved(&r, &planted.full_app.api_name), ["high"]);
    // Every token older than --stale-days (90 by default) and nobody pre-authorized: low.
    let stale = org_app(&r, &planted.stale_app.api_name);
    assert!(planted.stale_app.tokens > 0);
    assert_eq!(planted.stale_app.tokens, planted.stale_app.stale_tokens);
    assert_eq!(stale["org"]["preauthorized"]["users_all"], 0, "{stale}");
    assert_eq!(unapproved(&r, &planted.stale_app.api_name), ["low"]);
    // Pre-authorized through a permission set (though not enforced): high.
    assert_eq!(unapproved(&r, &planted.preauth_not_enforced_app.api_name), ["high"]);
    // No token, nobody pre-authorized: not an approval gap, not reported.
    let dormant = org_app(&r, &planted.dormant_app.api_name);
    assert_eq!(dormant["org"]["tokens"], 0);
    assert_eq!(dormant["org"]["preauthorized"]["users_all"], 0, "{dormant}");
    assert!(unapproved(&r, &planted.dormant_app.api_name).is_empty());
    // The approved app is not unapproved.
    assert!(unapproved(&r, &planted.preauthorized_app.api_name).is_empty());

    // The same stale app counts as active when --stale-days reaches back to its last token
    // (used 400 to 999 days before the org's now).
    let r = report_of(
        &live(
            &org,
            dir.path(),
            &[
                "--no-config",
                "-f",
                "json",
                "--approved",
                "approved",
                "--fail-on",
                "never",
                "--stale-days",
                "1000",
            ],
        ),
        0,
    );
    assert_eq!(unapproved(&r, &planted.stale_app.api_name), ["high"]);
}

// ---------------------------------------------------------------------------------------------
// Point 1 against the live org: ambiguity is an error naming both, never a guess.

#[test]
fn two_manifests_naming_one_live_app_stop_the_audit_before_any_api_call() {
    let org = start();
    let helix = org.planted().full_app.clone();
    let dir = tempfile::tempdir().unwrap();
    let approved = dir.path().join("approved");
    std::fs::create_dir(&approved).unwrap();
    write(
        &approved,
        "helix.yaml",
        &format!(
            "app: Helix\nplatform: salesforce\nmatch:\n  salesforce_api_name: {}\nscopes:\n  - scope: api\n    justification: Syncs chats.\n",
            helix.api_name
        ),
    );
    write(
        &approved,
        "helix-copy.yaml",
        &format!(
            "app: Helix copy\nplatform: salesforce\nmatch:\n  connected_app: {}\nscopes:\n  - scope: api\n    justification: Syncs chats.\n",
            helix.api_name
        ),
    );
    org.clear_requests();
    let out = live(
        &org,
        dir.path(),
        &["--no-config", "--approved", "approved", "--save-snapshot", "org.json"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("approved/helix.yaml") && out.stderr.contains("approved/helix-copy.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("more than one approved manifest"), "{}", out.stderr);
    // Pointing at the `match:` line of the second (by name) of the two.
    assert!(out.stderr.contains("error: approved/helix.yaml:4: "), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(org.requests().is_empty(), "no API call: {:?}", org.requests().len());
    assert!(!dir.path().join("org.json").exists());
}

#[test]
fn manifests_that_meet_on_one_live_app_by_different_keys_are_an_error_after_the_pull() {
    let org = start();
    let helix = org.planted().full_app.clone();
    let dir = tempfile::tempdir().unwrap();
    let approved = dir.path().join("approved");
    std::fs::create_dir(&approved).unwrap();
    // One by API name, one (with no match: block) by label: only the org knows they meet.
    write(
        &approved,
        "helix.yaml",
        &format!(
            "app: Helix\nplatform: salesforce\nmatch:\n  salesforce_api_name: {}\nscopes:\n  - scope: api\n    justification: Syncs chats.\n",
            helix.api_name
        ),
    );
    write(
        &approved,
        "by-label.yaml",
        &format!(
            "app: {}\nplatform: salesforce\nscopes:\n  - scope: api\n    justification: Syncs chats.\n",
            helix.label
        ),
    );
    org.clear_requests();
    let out = live(
        &org,
        dir.path(),
        &["--no-config", "--approved", "approved", "--save-snapshot", "org.json"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("approved/helix.yaml") && out.stderr.contains("approved/by-label.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&helix.label), "names the app: {}", out.stderr);
    assert!(out.stderr.contains("more than one approved manifest"), "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "no report from an ambiguous folder: {}",
        out.stdout
    );
    // The pull was needed to find it, and read only; its snapshot is kept, so fixing the
    // folder costs no second pull.
    assert!(!org.requests().is_empty());
    assert!(dir.path().join("org.json").exists());
    std::fs::remove_file(approved.join("by-label.yaml")).unwrap();
    let r = report_of(
        &sa(
            dir.path(),
            &[
                "audit",
                "org.json",
                "--no-config",
                "-f",
                "json",
                "--approved",
                "approved",
                "--fail-on",
                "never",
            ],
        ),
        0,
    );
    assert!(findings_of(&r, &helix.api_name)
        .iter()
        .any(|(rule, _)| rule == "exceeds-approval"));
}

#[test]
fn one_manifest_matching_two_live_apps_is_an_error_naming_both() {
    let org = start();
    let planted = org.planted().clone();
    let dir = tempfile::tempdir().unwrap();
    let approved = dir.path().join("approved");
    std::fs::create_dir(&approved).unwrap();
    // A manifest kept across a move from a Connected App to an External Client App, naming
    // both: while both are installed it would approve two apps at once.
    write(
        &approved,
        "moving.yaml",
        &format!(
            "app: Moving\nplatform: salesforce\nmatch:\n  connected_app: {}\n  external_client_app: {}\nscopes:\n  - scope: api\n    justification: Reads.\n",
            planted.stale_app.api_name, planted.full_eca.api_name
        ),
    );
    let out = live(&org, dir.path(), &["--no-config", "--approved", "approved"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("approved/moving.yaml"), "{}", out.stderr);
    assert!(out.stderr.contains("matches more than one app"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&planted.stale_app.label) && out.stderr.contains(&planted.full_eca.label),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// Point 3 against the live org, beyond tests/org_audit.rs: scopes approved but no longer
// requested, a label match said to be one, and approved tools making least privilege work.

#[test]
fn live_approval_carries_tools_and_reports_label_matches_and_unrequested_scopes() {
    let org = start();
    let planted = org.planted().clone();
    let dir = tempfile::tempdir().unwrap();
    let approved = dir.path().join("approved");
    std::fs::create_dir(&approved).unwrap();
    // Approved for `web` too, which the app no longer requests; with its tools.
    write(
        &approved,
        "finance.yaml",
        &format!(
            "app: Finance Ledger Sync\nplatform: salesforce\nmatch:\n  salesforce_api_name: {}\nscopes:\n  - scope: api\n    justification: Posts journal entries.\n  - scope: refresh_token\n    justification: Posts them nightly.\n  - scope: web\n    justification: Opened the ledger page in Salesforce.\ntools:\n  - name: Read closed opportunities\n    object: Opportunity\n    access: read\n",
            planted.preauthorized_app.api_name
        ),
    );
    // No match: block: matched by its label, and said so.
    write(
        &approved,
        "archive.yaml",
        &format!(
            "app: {}\nplatform: salesforce\nscopes:\n  - scope: api\n    justification: Archives closed cases.\n  - scope: refresh_token\n    justification: Archives nightly.\n",
            planted.stale_app.label.to_uppercase()
        ),
    );
    let r = report_of(
        &live(
            &org,
            dir.path(),
            &[
                "--no-config",
                "-f",
                "json",
                "--approved",
                "approved",
                "--fail-on",
                "never",
            ],
        ),
        0,
    );
    let finance = org_app(&r, &planted.preauthorized_app.api_name);
    let archive = org_app(&r, &planted.stale_app.api_name);
    let found: Vec<_> = approval_findings(&r)
        .into_iter()
        .filter(|f| f.1 == finance["id"] || f.1 == archive["id"])
        .collect();
    assert_eq!(
        found,
        vec![
            t("approved-by-label", &s(&archive["id"]), "", "info"),
            t("approved-scope-unrequested", &s(&finance["id"]), "", "info"),
        ]
    );
    let unrequested = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "approved-scope-unrequested")
        .unwrap();
    assert!(
        unrequested["message"].as_str().unwrap().contains("`web`"),
        "{unrequested}"
    );
    // The approved tools flow in: least privilege is computed on the live app.
    assert_eq!(finance["tools"].as_array().unwrap().len(), 1, "{finance}");
    assert_eq!(finance["recommendation"]["analyzed"], true, "{finance}");
}

// ---------------------------------------------------------------------------------------------
// The workflow against the live org: bootstrap from a snapshot, review, gate in CI.

#[test]
fn the_approval_workflow_against_the_live_org() {
    let org = start();
    let planted = org.planted().clone();
    let (helix, finance) = (planted.full_app.clone(), planted.preauthorized_app.clone());
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();

    // (i) The snapshot of today's org (the gate fails: nothing is approved yet).
    let out = live(&org, cwd, &["--save-snapshot", "org.json", "-o", "org.html"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(cwd.join("org.json").is_file() && cwd.join("org.html").is_file());

    // (ii) Which apps it holds, then one starter manifest per app.
    let out = sa(cwd, &["init", "--from", "org.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("holds 60 apps; pick one with --app NAME"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("{} ({})", finance.label, finance.api_name)),
        "{}",
        out.stderr
    );
    // `init` makes the folder the first manifest goes into.
    for (app, file) in [
        (helix.api_name.as_str(), "approved/helix-chat-sync.yaml"),
        (finance.label.as_str(), "approved/finance-ledger-sync.yaml"),
    ] {
        let out = sa(cwd, &["init", "--from", "org.json", "--app", app, "-o", file]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stderr.contains(&format!("wrote {file}")), "{}", out.stderr);
        assert!(
            out.stderr.contains("`scopeaudit audit org.json --approved approved`"),
            "the hint says how to hold the app against the folder: {}",
            out.stderr
        );
    }
    // Straight from the snapshot, every scope awaits its justification.
    let out = sa(
        cwd,
        &[
            "audit",
            "org.json",
            "--no-config",
            "-f",
            "json",
            "--approved",
            "approved",
            "--fail-on",
            "never",
        ],
    );
    let r = report_of(&out, 0);
    let missing: Vec<(String, String)> = findings_of(&r, &finance.api_name)
        .into_iter()
        .filter(|(rule, _)| rule == "missing-justification")
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");

    // (iii) The review: real justifications; Finance Ledger Sync is not approved for
    // `refresh_token` (it should post once, while the user is there).
    let helix_file = cwd.join("approved/helix-chat-sync.yaml");
    let finance_file = cwd.join("approved/finance-ledger-sync.yaml");
    justify_all(&helix_file, &|scope| {
        format!("Helix needs {scope}: reviewed in SEC-101.")
    });
    justify_all(&finance_file, &|scope| {
        format!("Posting journal entries needs {scope} (SEC-102).")
    });
    let reviewed = std::fs::read_to_string(&finance_file).unwrap();
    std::fs::write(&finance_file, drop_scope(&reviewed, "refresh_token")).unwrap();

    // (iv) The gate, offline on the snapshot and live: the same approval findings.
    let offline = report_of(
        &sa(
            cwd,
            &[
                "audit",
                "org.json",
                "--no-config",
                "-f",
                "json",
                "--approved",
                "approved/",
            ],
        ),
        1,
    );
    let online = report_of(
        &live(&org, cwd, &["--no-config", "-f", "json", "--approved", "approved"]),
        1,
    );
    assert_eq!(approval_findings(&offline), approval_findings(&online));
    let finance_id = s(&org_app(&online, &finance.api_name)["id"]);
    let helix_id = s(&org_app(&online, &helix.api_name)["id"]);
    let on = |id: &str| -> Vec<(String, String, String, String)> {
        approval_findings(&online).into_iter().filter(|f| f.1 == id).collect()
    };
    assert_eq!(
        on(&finance_id),
        vec![t("exceeds-approval", &finance_id, "refresh_token", "high")]
    );
    assert!(on(&helix_id).is_empty(), "{:?}", on(&helix_id));
    // The finding names the manifest that approved less; the review left nothing unjustified.
    let exceeds = online["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "exceeds-approval")
        .unwrap();
    assert!(
        exceeds["message"]
            .as_str()
            .unwrap()
            .contains("approved/finance-ledger-sync.yaml"),
        "{exceeds}"
    );
    assert!(!findings_of(&online, &finance.api_name)
        .iter()
        .any(|(rule, _)| rule == "missing-justification"));

    // The scope restored (the vendor showed it is needed): what the CI job sees, with the
    // approval gate of the README.
    let restored = std::fs::read_to_string(&finance_file).unwrap().replacen(
        "scopes:\n",
        "scopes:\n  - scope: \"refresh_token\"\n    justification: \"Posts the nightly close while nobody is signed in (SEC-102).\"\n",
        1,
    );
    std::fs::write(&finance_file, restored).unwrap();
    write(cwd, ".scopeaudit.yaml", GATE_POLICY);
    let gate = live(&org, cwd, &["--approved", "approved", "-f", "json", "-o", "org.html"]);
    let report = report_of(&gate, 1);
    assert!(
        report["policy"].as_str().unwrap_or("").ends_with(".scopeaudit.yaml"),
        "{}",
        report["policy"]
    );
    // Both approved apps match what was approved...
    assert!(on_report(&report, &finance_id).is_empty() && on_report(&report, &helix_id).is_empty());
    // ...and the job still fails: every other app that holds tokens or is pre-authorized is
    // unapproved (critical under the gate), and Helix's `full` beside `api` is critical.
    let apps = report["apps"].as_array().unwrap();
    let mut expected: Vec<(String, String, String)> = apps
        .iter()
        .filter(|a| a["id"] != finance_id.as_str() && a["id"] != helix_id.as_str())
        .filter(|a| {
            let pre = &a["org"]["preauthorized"];
            a["org"]["tokens"].as_u64().unwrap() > 0
                || !pre["profiles"].as_array().unwrap().is_empty()
                || !pre["permission_sets"].as_array().unwrap().is_empty()
        })
        .map(|a| ("unapproved-app".to_string(), s(&a["id"]), String::new()))
        .collect();
    assert_eq!(expected.len(), 51, "the fake org's apps in use besides the two");
    let quill = s(&org_app(&report, &planted.full_eca.api_name)["id"]);
    expected.push(("excess-scope".into(), helix_id.clone(), "full".into()));
    expected.push(("full-access".into(), quill.clone(), "full".into()));
    expected.sort();
    assert_eq!(gating(&report, &["critical"]), expected);

    // So a team approves every app it keeps: a manifest per app, each reviewed...
    for app in apps {
        let api = app["org"]["api_name"].as_str().unwrap();
        if api == helix.api_name || api == finance.api_name {
            continue;
        }
        let file = format!("approved/{api}.yaml");
        let out = sa(cwd, &["init", "--from", "org.json", "--app", api, "-o", &file]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        justify_all(&cwd.join(&file), &|scope| {
            format!("Reviewed with the vendor in SEC-200: {scope}.")
        });
    }
    let report = report_of(&live(&org, cwd, &["--approved", "approved", "-f", "json"]), 1);
    // ...and only the two critical risks are left, which the approval accepted: waived, with
    // a reason and a date to look again.
    assert_eq!(
        gating(&report, &["critical"]),
        vec![
            ("excess-scope".into(), helix_id.clone(), "full".into()),
            ("full-access".into(), quill, "full".into()),
        ]
    );
    assert!(
        approval_findings(&report).is_empty(),
        "{:?}",
        approval_findings(&report)
    );
    let policy = format!(
        "{GATE_POLICY}ignore:\n  - rule: excess-scope\n    app: {}\n    scope: full\n    reason: Approved in SEC-101; Helix admins export transcripts.\n    expires: 2027-06-30\n  - rule: full-access\n    app: {}\n    reason: Approved in SEC-214; the vendor is moving to api.\n    expires: 2027-03-31\n",
        helix.api_name, planted.full_eca.api_name
    );
    write(cwd, ".scopeaudit.yaml", &policy);
    // As the CI job runs it: a refresh-token credential from the repository's secrets.
    let spec = org.spec();
    let gate = run(user(cwd)
        .env("SF_CLIENT_ID", &spec.client_id)
        .env("SF_CLIENT_SECRET", &spec.client_secret)
        .env("SF_REFRESH_TOKEN", &spec.refresh_token)
        .args(["org", "salesforce", "--login-url", &org.login_url()])
        .args(["--instance-url", &org.base_url()])
        .args(["--approved", "approved/", "-o", "org.html", "-o", "org.md"]));
    assert_eq!(gate.code, 0, "the CI job passes:\n{}\n{}", gate.stdout, gate.stderr);
    assert!(gate.stdout.contains("gate passed"), "{}", gate.stdout);
    assert!(cwd.join("org.md").is_file());

    // The drift a later CI run catches: a new scope on an approved app.
    let text = std::fs::read_to_string(&finance_file).unwrap();
    std::fs::write(&finance_file, drop_scope(&text, "refresh_token")).unwrap();
    let gate = live(&org, cwd, &["--approved", "approved", "-f", "json"]);
    let report = report_of(&gate, 1);
    assert_eq!(
        gating(&report, &["critical"]),
        vec![("exceeds-approval".into(), finance_id, "refresh_token".into())]
    );

    // Nothing the workflow wrote holds a credential of the org.
    let mut written: Vec<std::path::PathBuf> = ["org.json", "org.html", "org.md"].iter().map(|f| cwd.join(f)).collect();
    written.extend(
        std::fs::read_dir(cwd.join("approved"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    assert_eq!(written.len(), 63);
    for path in written {
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in [
            spec.client_secret.as_str(),
            spec.refresh_token.as_str(),
            org.access_token().as_str(),
            "SECRET-",
        ] {
            assert!(!text.contains(secret), "{} holds {secret}", path.display());
        }
    }
}

fn on_report(report: &Value, id: &str) -> Vec<(String, String, String, String)> {
    approval_findings(report).into_iter().filter(|f| f.1 == id).collect()
}

// ---------------------------------------------------------------------------------------------
// The workflow on Connected App and External Client App files: the example DX project.

/// The action's gate step (`.ci/action-gate.sh gate`, as action.yml runs it) in `cwd` with
/// the README's `paths` and `args`: the exit code it leaves for the job.
fn action_gate(cwd: &Path, paths: &str, args: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let out = Command::new("bash")
        .arg(root().join(".ci/action-gate.sh"))
        .arg("gate")
        .current_dir(cwd)
        .env("SCOPEAUDIT", env!("CARGO_BIN_EXE_scopeaudit"))
        .env("SCOPEAUDIT_TODAY", "2026-11-23")
        .env("NO_COLOR", "1")
        .env("SCOPEAUDIT_PATHS", paths)
        .env("SCOPEAUDIT_ARGS", args)
        .env("SCOPEAUDIT_FAIL_ON", "")
        .env("SCOPEAUDIT_DIFF_BASE", "")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary"))
        .env("SCOPEAUDIT_REPORT_DIR", dir.path().join("reports"))
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = std::fs::read_to_string(&output).unwrap_or_default();
    let code = outputs
        .lines()
        .find_map(|l| l.strip_prefix("exit-code="))
        .unwrap_or_else(|| panic!("no exit-code output:\n{log}"))
        .to_string();
    (code, log)
}

#[test]
fn the_approval_workflow_on_the_example_dx_project() {
    // The team's repository: the example DX project, its approved folder beside force-app/.
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path();
    copy_tree(&root().join(DX), cwd);
    std::fs::create_dir(cwd.join("approved")).unwrap();

    // Bootstrap: a Connected App file, and an External Client App from its project folder.
    let out = sa(
        cwd,
        &[
            "init",
            "--from",
            "force-app/main/default/connectedApps/Ledger_Sync.connectedApp-meta.xml",
            "-o",
            "approved/ledger-sync.yaml",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = sa(
        cwd,
        &[
            "init",
            "--from",
            "force-app",
            "--app",
            "Deal_Desk",
            "-o",
            "approved/deal-desk.yaml",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let deal = std::fs::read_to_string(cwd.join("approved/deal-desk.yaml")).unwrap();
    assert!(deal.contains("  salesforce_api_name: \"Deal_Desk\""), "{deal}");
    assert!(deal.contains("  refresh_token_policy: \"infinite\""), "{deal}");
    let ledger = std::fs::read_to_string(cwd.join("approved/ledger-sync.yaml")).unwrap();
    assert!(ledger.contains("  salesforce_api_name: \"Ledger_Sync\""), "{ledger}");

    // Before the review, under the approval gate, the approved scopes lack justifications.
    write(cwd, ".scopeaudit.yaml", GATE_POLICY);
    let gate = |extra: &[&str]| {
        let mut args = vec!["audit", "force-app", "--approved", "approved/", "-f", "json"];
        args.extend(extra);
        sa(cwd, &args)
    };
    let r = report_of(&gate(&[]), 1);
    let mut unjustified: Vec<(String, String)> = gating(&r, &["critical"])
        .into_iter()
        .map(|(rule, _, scope)| (rule, scope))
        .collect();
    unjustified.sort();
    let want: Vec<(String, String)> = ["api", "api", "openid", "refresh_token", "refresh_token", "web"]
        .iter()
        .map(|s| ("missing-justification".to_string(), s.to_string()))
        .collect();
    assert_eq!(unjustified, want);
    assert!(approval_findings(&r).is_empty(), "{:?}", approval_findings(&r));
    assert_eq!(action_gate(cwd, "force-app/", "--approved approved/").0, "1");

    // Reviewed: the gate passes, from the command line and in the action.
    justify_all(&cwd.join("approved/ledger-sync.yaml"), &|s| {
        format!("Ledger Sync needs {s} (SEC-7).")
    });
    justify_all(&cwd.join("approved/deal-desk.yaml"), &|s| {
        format!("Deal Desk needs {s} (SEC-8).")
    });
    let r = report_of(&gate(&[]), 0);
    assert!(gating(&r, &["critical"]).is_empty());
    assert!(approval_findings(&r).is_empty(), "{:?}", approval_findings(&r));
    let (code, log) = action_gate(cwd, "force-app/", "--approved approved/");
    assert_eq!(code, "0", "{log}");
    // The whole repository, approved folder included (the action's default `paths: .`): the
    // approvals are read as approvals, not audited a second time as declared apps.
    let whole = report_of(&sa(cwd, &["audit", ".", "--approved", "approved/", "-f", "json"]), 0);
    let kinds: Vec<String> = whole["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(&a["source"]["kind"]))
        .collect();
    assert_eq!(kinds, ["connected_app", "external_client_app"]);
    assert_eq!(action_gate(cwd, ".", "--approved approved/").0, "0");
    // The same folder holds the bundled example project (which the files came from).
    let out = sa(
        cwd,
        &[
            "audit",
            root().join(DX).to_str().unwrap(),
            "--approved",
            "approved",
            "-f",
            "json",
        ],
    );
    assert!(approval_findings(&report_of(&out, 0)).is_empty());
    // The default gate would still fail on the apps' own high risks, which stay in the report.
    assert_eq!(gate(&["--fail-on", "high"]).code, 1);

    // A pull request that widens the Connected App fails the gate, at its lines.
    let file = cwd.join("force-app/main/default/connectedApps/Ledger_Sync.connectedApp-meta.xml");
    let xml = std::fs::read_to_string(&file).unwrap();
    let widened = xml
        .replace(
            "<scopes>Web</scopes>",
            "<scopes>Web</scopes>\n        <scopes>Full</scopes>",
        )
        .replace("ENFORCE_RELAXREFRESH", "BYPASS");
    std::fs::write(&file, widened).unwrap();
    let r = report_of(&gate(&[]), 1);
    assert_eq!(
        approval_findings(&r),
        vec![
            t("exceeds-approval", "salesforce/ledger-sync", "full", "critical"),
            t("policy-weaker-than-approved", "salesforce/ledger-sync", "", "critical"),
        ]
    );
    assert_eq!(action_gate(cwd, "force-app/", "--approved approved/").0, "1");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The bundled example approved folder, and point 4 on files.

#[test]
fn the_bundled_example_approved_folder_holds_the_dx_project() {
    let out = run(scopeaudit().args(["audit", DX, "--approved", EXAMPLE_APPROVED, "--no-config", "-f", "json"]));
    let r = report_of(&out, 1);
    assert_eq!(
        approval_findings(&r),
        vec![
            t("exceeds-approval", "salesforce/ledger-sync", "web", "high"),
            t("policy-weaker-than-approved", "salesforce/deal-desk", "", "high"),
        ]
    );
    // Every scope the example approves is justified; the tools make least privilege work.
    assert!(!common::rules_in(&r).contains(&"missing-justification".to_string()));
    for app in r["apps"].as_array().unwrap() {
        assert_eq!(app["recommendation"]["analyzed"], true, "{app}");
    }
}

#[test]
fn an_approval_matching_no_file_is_reported_at_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join(EXAMPLE_APPROVED)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    write(
        dir.path(),
        "retired.yaml",
        "app: Expense Bridge\nplatform: salesforce\nmatch:\n  salesforce_api_name: Expense_Bridge\nscopes:\n  - scope: api\n    justification: Reads expense reports.\n",
    );
    let out = run(scopeaudit().args([
        "audit",
        DX,
        "--approved",
        dir.path().to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
        "--fail-on",
        "never",
    ]));
    let r = report_of(&out, 0);
    let unmatched: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "approval-unmatched")
        .collect();
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert_eq!(unmatched[0]["severity"], "info");
    assert!(unmatched[0]["location"]["path"]
        .as_str()
        .unwrap()
        .ends_with("retired.yaml"));
    assert_eq!(unmatched[0]["location"]["line"], 1);
    assert!(unmatched[0]["message"].as_str().unwrap().contains("Expense Bridge"));
}
