//! `scopeaudit init --from SOURCE --app NAME`: an approved manifest started from a live app
//! (an org snapshot of the fake org, a Connected App file), read back by `audit`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "fake_org/mod.rs"]
mod fake_org;

use common::{json, root, rules_in, run, scopeaudit, scopeaudit_without_org_credentials, write, Run};
use fake_org::{FakeOrg, OrgSpec};
use std::path::Path;

const SNAPSHOT: &str = "tests/fixtures/org/org.json";
const HOSTILE: &str = "tests/fixtures/init/hostile.json";
const EVERY_ELEMENT: &str = "tests/fixtures/metadata/connected-app/Every_Element.connectedApp-meta.xml";

fn init(args: &[&str]) -> Run {
    run(scopeaudit().arg("init").args(args))
}

/// `init --from ... -o -`: the manifest on standard output.
fn printed(from: &str, app: Option<&str>) -> String {
    let mut args = vec!["--from", from, "-o", "-"];
    if let Some(app) = app {
        args.extend(["--app", app]);
    }
    let r = init(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

/// Writes the manifest into `dir`, audits it as JSON and returns the report: the round trip.
fn round_trip(dir: &Path, from: &str, app: Option<&str>) -> serde_json::Value {
    let path = dir.join("approved.yaml");
    let shown = path.to_str().expect("UTF-8 temp path");
    let mut args = vec!["--from", from, "-o", shown];
    if let Some(app) = app {
        args.extend(["--app", app]);
    }
    let r = init(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("wrote"), "{}", r.stderr);
    let r = run(scopeaudit().args(["audit", shown, "--format", "json", "--fail-on", "never"]));
    assert_eq!(r.code, 0, "the written manifest audits cleanly:\n{}", r.stderr);
    json(&r.stdout)
}

#[test]
fn picks_an_app_of_a_snapshot_by_label_or_api_name() {
    let by_label = printed(SNAPSHOT, Some("Meeting Notes"));
    assert_eq!(by_label, printed(SNAPSHOT, Some("Meeting_Notes")));
    assert_eq!(
        by_label,
        printed(SNAPSHOT, Some("meeting notes")),
        "case does not matter"
    );
    for line in [
        "# Every value below is from the org snapshot taken 2026-11-23T10:00:00Z",
        "app: \"Meeting Notes\"",
        "platform: salesforce",
        "  salesforce_api_name: \"Meeting_Notes\"",
        "  - scope: \"api\"",
        "  - scope: \"refresh_token\"",
        "    justification: \"\"   # TODO",
        "  admin_approved: true",
        "  ip_relaxation: ENFORCE",
        "  refresh_token_policy: \"specific_inactivity:30:DAYS\"",
        "    - \"https://vendor.example.invalid/oauth/callback\"",
    ] {
        assert!(by_label.contains(line), "no `{line}` in:\n{by_label}");
    }
    assert!(
        !by_label.contains("label:"),
        "a label match only when nothing else is known"
    );
}

#[test]
fn the_manifest_reads_back_with_every_scope_awaiting_its_justification() {
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), SNAPSHOT, Some("Meeting_Notes"));
    let app = &report["apps"][0];
    assert_eq!(app["name"], "Meeting Notes");
    assert_eq!(app["source"]["kind"], "manifest");
    let unjustified: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-justification")
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert_eq!(unjustified, ["api", "refresh_token"]);
    assert_eq!(app["settings"]["refresh_token_policy"], "specific_inactivity:30:DAYS");
    assert_eq!(app["settings"]["ip_relaxation"], "ENFORCE");
}

#[test]
fn pre_authorization_and_the_external_client_app_key_come_from_the_org() {
    let text = printed(SNAPSHOT, Some("Approved Tool"));
    assert!(
        text.contains("  preauthorized_profiles:\n    - \"Standard User\"\n"),
        "{text}"
    );
    assert!(
        text.contains("  preauthorized_permission_sets:\n    - \"Sales_Ops\"\n"),
        "{text}"
    );
    let eca = printed(SNAPSHOT, Some("Ledger_ECA"));
    assert!(eca.contains("  salesforce_api_name: \"Ledger_ECA\""), "{eca}");
    assert!(eca.contains("  ip_relaxation: BYPASS"), "{eca}");
    assert!(!eca.contains("connected_app:"), "{eca}");
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), SNAPSHOT, Some("Ledger ECA"));
    assert_eq!(report["apps"][0]["settings"]["ip_relaxation"], "BYPASS");
}

#[test]
fn a_snapshot_of_several_apps_needs_a_name_that_picks_one() {
    let r = init(&["--from", SNAPSHOT, "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("holds 7 apps; pick one with --app NAME"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Meeting Notes (Meeting_Notes)"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let r = init(&["--from", SNAPSHOT, "--app", "Meting_Note", "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no app named Meting_Note (did you mean Meeting_Notes?)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Ledger ECA (Ledger_ECA)"),
        "the candidates are listed: {}",
        r.stderr
    );

    // An app whose metadata could not be read has no known scopes: no manifest is guessed.
    let r = init(&["--from", SNAPSHOT, "--app", "Locked Box", "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("the scopes of Locked Box could not be read"),
        "{}",
        r.stderr
    );
}

#[test]
fn two_apps_of_one_label_are_ambiguous_and_their_api_names_tell_them_apart() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(root().join(EVERY_ELEMENT)).unwrap();
    write(dir.path(), "Ledger_One.connectedApp-meta.xml", &xml);
    write(dir.path(), "Ledger_Two.connectedApp-meta.xml", &xml);
    let from = dir.path().to_str().unwrap();
    let r = init(&["--from", from, "--app", "Every Element", "-o", "-"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("2 apps are named Every Element"), "{}", r.stderr);
    assert!(r.stderr.contains("Every Element (Ledger_One)"), "{}", r.stderr);
    assert!(r.stderr.contains("Every Element (Ledger_Two)"), "{}", r.stderr);
    let two = printed(from, Some("Ledger_Two"));
    assert!(two.contains("  salesforce_api_name: \"Ledger_Two\""), "{two}");
}

#[test]
fn a_connected_app_file_gives_its_consumer_key_api_name_and_policy() {
    let text = printed(EVERY_ELEMENT, None);
    for line in [
        "# Every value below is from the file tests/fixtures/metadata/connected-app/Every_Element.connectedApp-meta.xml.",
        "  consumer_key: \"3MVG9FAKEKEYforTESTSonlyxxabcdefghijklmnopqrstuvwxyz0123456789\"",
        "  salesforce_api_name: \"Every_Element\"",
        "  - scope: \"api\"",
        "  - scope: \"openid\"",
        "  pkce_required: true",
        "  client_credentials_user: \"integration@example.org\"",
        "  preauthorized_profiles:\n    - \"Ledger Users\"",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), EVERY_ELEMENT, None);
    let settings = &report["apps"][0]["settings"];
    assert_eq!(settings["pkce_required"], true);
    assert_eq!(settings["refresh_token_rotation"], true);
    assert!(rules_in(&report).contains(&"missing-justification".to_string()));
}

#[test]
fn a_hostile_label_is_quoted_and_reads_back_exactly() {
    let text = printed(HOSTILE, Some("Approved_Tool"));
    assert!(
        text.contains(
            "app: \"Evil: \\\"Tool\\\" # not a comment\\u000a  injected: true\\\\ 'x' \\u202eevil\\u0007\"\n"
        ),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("  injected")), "{text}");
    assert!(
        !text.contains('\u{202e}') && !text.contains('\u{7}'),
        "nothing hidden: {text}"
    );
    assert!(text.contains("  consumer_key: \"3MVG9FAKEapproved.tool\""), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), HOSTILE, Some("Approved_Tool"));
    assert_eq!(
        report["apps"][0]["name"],
        "Evil: \"Tool\" # not a comment\n  injected: true\\ 'x' \u{202e}evil\u{7}"
    );
    assert_eq!(report["apps"].as_array().unwrap().len(), 1);
}

#[test]
fn an_existing_file_is_kept_without_force_and_the_input_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "approved.yaml", "keep me\n");
    let shown = out.to_str().unwrap();
    let r = init(&["--from", SNAPSHOT, "--app", "Open Door", "-o", shown]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("already exists (use --force to overwrite)"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");
    let r = init(&["--from", SNAPSHOT, "--app", "Open Door", "-o", shown, "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("salesforce_api_name: \"Open_Door\""));

    let copy = dir.path().join("snapshot.json");
    std::fs::copy(root().join(SNAPSHOT), &copy).unwrap();
    let copy = copy.to_str().unwrap();
    let r = init(&["--from", copy, "--app", "Open Door", "-o", copy, "--force"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is the --from input"), "{}", r.stderr);
    assert!(std::fs::read_to_string(copy)
        .unwrap()
        .contains("scopeaudit-org-snapshot"));
}

#[test]
fn app_needs_from_and_init_without_from_is_unchanged() {
    let r = init(&["--app", "X", "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--from"), "{}", r.stderr);
    let r = init(&["-o", "-"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(root().join("templates/init-salesforce.yaml")).unwrap()
    );
    let r = init(&["--platform", "hubspot", "-o", "-"]);
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(root().join("templates/init-hubspot.yaml")).unwrap()
    );
}

#[test]
fn a_bad_source_is_a_clear_error_naming_it() {
    let r = init(&["--from", "tests/fixtures/init/missing.json", "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("tests/fixtures/init/missing.json"), "{}", r.stderr);
    let r = init(&["--from", SNAPSHOT, "--platform", "hubspot", "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("holds no app of that platform"), "{}", r.stderr);
}

#[test]
fn a_hubspot_project_gives_its_uid_and_keeps_optional_and_conditional_scopes() {
    let text = printed("examples/hubspot-project", None);
    for line in [
        "platform: hubspot",
        "  hubspot_app_id: \"acme_deal_sync\"",
        "  - scope: \"crm.objects.line_items.read\"\n    justification: \"\"   # TODO: why the app needs it\n    required: false\n",
        "  - scope: \"crm.schemas.deals.write\"\n    justification: \"\"   # TODO: why the app needs it\n    required: conditional\n",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), "examples/hubspot-project", None);
    let scopes = report["apps"][0]["scopes"].as_array().unwrap();
    let optional = scopes
        .iter()
        .find(|s| s["scope"] == "crm.objects.line_items.read")
        .unwrap_or_else(|| panic!("{scopes:?}"));
    assert_eq!(optional["requirement"], "optional", "{optional}");
}

#[test]
fn no_secret_or_certificate_of_the_source_is_written() {
    let text = printed(EVERY_ELEMENT, None);
    assert!(!text.contains("MIIC"), "{text}");
    assert!(!text.to_lowercase().contains("secret:"), "{text}");
}

/// The whole bootstrap against the fake org: a live audit saves its snapshot, `init` starts a
/// manifest from each kind of app in it, and each reads back with the live app's scopes.
#[test]
fn bootstraps_from_a_snapshot_of_the_fake_org() {
    let org = FakeOrg::start(OrgSpec {
        apps: 12,
        users: 40,
        tokens: 200,
        ..OrgSpec::default()
    })
    .expect("the fake org listens on 127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("org.json");
    let mut cmd = scopeaudit_without_org_credentials();
    let live = run(cmd
        .args(["org", "salesforce", "--no-config", "-f", "json", "--save-snapshot"])
        .arg(&snapshot)
        .env("SF_ACCESS_TOKEN", org.access_token())
        .env("SF_INSTANCE_URL", org.base_url())
        .args(["--login-url", &org.login_url()]));
    assert!(live.code <= 1, "{}", live.stderr);
    drop(org);
    let live = json(&live.stdout);
    let snapshot = snapshot.to_str().unwrap();

    let r = init(&["--from", snapshot, "-o", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("pick one with --app NAME"), "{}", r.stderr);

    let mut kinds = Vec::new();
    for app in live["apps"].as_array().unwrap() {
        let kind = app["org"]["kind"].as_str().unwrap();
        let scopes: Vec<&str> = app["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["canonical"].as_str().unwrap())
            .collect();
        if app["org"]["config"]["status"] != "read" || scopes.is_empty() || kinds.contains(&kind) {
            continue;
        }
        kinds.push(kind);
        let api_name = app["org"]["api_name"].as_str().unwrap();
        let text = printed(snapshot, Some(api_name));
        assert!(
            text.contains("# Every value below is from the org snapshot taken "),
            "{text}"
        );
        // SPEC section 2's key for either kind of Salesforce app.
        assert!(
            text.contains(&format!("  salesforce_api_name: \"{api_name}\"")),
            "{kind}: the API name key for {api_name}:\n{text}"
        );
        assert!(!text.contains("SECRET") && !text.contains("PRIVATE KEY"), "{text}");
        let out = dir.path().join(format!("{api_name}.yaml"));
        let out = out.to_str().unwrap();
        let r = init(&["--from", snapshot, "--app", api_name, "-o", out]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let back = run(scopeaudit().args(["audit", "--no-config", out, "-f", "json", "--fail-on", "never"]));
        assert_eq!(back.code, 0, "{}", back.stderr);
        let back = json(&back.stdout);
        let mut read: Vec<&str> = back["apps"][0]["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["canonical"].as_str().unwrap())
            .collect();
        let mut want = scopes.clone();
        read.sort_unstable();
        want.sort_unstable();
        want.dedup();
        assert_eq!(read, want, "{api_name}:\n{text}");
        assert_eq!(back["apps"][0]["name"], app["name"]);
    }
    assert_eq!(kinds.len(), 2, "a Connected App and an External Client App: {kinds:?}");
}

#[test]
fn a_manifest_source_keeps_its_justifications() {
    let text = printed("examples/meeting-assistant-salesforce.yaml", None);
    assert!(
        text.contains(
            "  - scope: \"openid\"\n    justification: \"Signs the user in with their Salesforce identity.\"\n"
        ),
        "{text}"
    );
    assert!(text.contains("  label: \"Notable Meetings for Salesforce\""), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let report = round_trip(dir.path(), "examples/meeting-assistant-salesforce.yaml", None);
    assert!(!rules_in(&report).contains(&"missing-justification".to_string()));
}

#[test]
fn a_manifest_source_keeps_its_match_block() {
    let dir = tempfile::tempdir().unwrap();
    let source = write(
        dir.path(),
        "source.yaml",
        "app: Keyed\nplatform: salesforce\nscopes:\n  - scope: api\nmatch:\n  connected_app: Keyed_App\n",
    );
    let text = printed(source.to_str().unwrap(), None);
    assert!(text.contains("  connected_app: \"Keyed_App\""), "{text}");
    assert!(!text.contains("  label:"), "{text}");
}
