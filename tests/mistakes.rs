//! Mistakes get a clear answer: every problem of a manifest in one run, "did you mean" for
//! slips, nothing misspelled silently turned into something else. All through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

/// The findings of a JSON report as (rule or rule/code, message, line).
fn findings(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rule = match f["code"].as_str() {
                Some(code) => format!("{}/{code}", f["rule"].as_str().unwrap()),
                None => f["rule"].as_str().unwrap().to_string(),
            };
            (
                rule,
                f["message"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn audit_json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--no-config", "--fail-on", "never"]);
    let out = audit(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

const MANY_MISTAKES: &str = "app: Bliro
vendr: Bliro GmbH
platform: salesforce
integration:
  delegation: usr
scopes:
  - scope: api
    justfication: Reads records.
  - scope: \"\"
  - scope: refresh_token
    required: maybe
tools:
  - name: Read Account
    object: Account
    access: reed
  - name: No object
settings:
  ip_relaxation: OPEN
";

#[test]
fn every_problem_of_a_manifest_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bliro.yaml", MANY_MISTAKES);
    let p = path.to_str().unwrap();
    let out = audit(&[p, "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "no report: {}", out.stdout);
    let expected = [
        format!("error: {p}:2:1: unknown field `vendr`, expected one of `app`, `vendor`, `platform`, `description`, `integration`, `scopes`, `tools`, `settings`, `match`; did you mean `vendor`?"),
        format!("error: {p}:5:15: integration.delegation: unknown variant `usr`, expected `user` or `service`; did you mean `user`?"),
        format!("error: {p}:8:5: scopes[0]: unknown field `justfication`, expected one of `scope`, `justification`, `required`; did you mean `justification`?"),
        format!("error: {p}:9: scopes[1].scope is empty"),
        format!("error: {p}:11:15: scopes[2].required: invalid value: string \"maybe\", expected true, false or conditional"),
        format!("error: {p}:15:13: tools[0].access: unknown variant `reed`, expected one of `read`, `create`, `update`, `delete`; did you mean `read`?"),
        format!("error: {p}:16: tools[1]: say what the tool touches: `object` (a record type) or `feature` (with `of` for per-object features)"),
        format!("error: {p}:16:5: tools[1]: missing field `access`"),
        format!("error: {p}:18: settings.ip_relaxation: `OPEN` is not one of ENFORCE, ENFORCE_RELAXREFRESH, BYPASS_2FACTOR, BYPASS"),
    ];
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines, expected, "{}", out.stderr);
}

#[test]
fn a_manifest_full_of_mistakes_lists_fifty_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("app: X\nplatform: hubspot\nscopes:\n");
    for _ in 0..60 {
        text.push_str("  - scope: oauth\n    required: maybe\n");
    }
    let path = write(dir.path(), "many.yaml", &text);
    let p = path.to_str().unwrap();
    let out = audit(&[p, "--no-config"]);
    assert_eq!(out.code, 2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 51, "{}", out.stderr);
    assert!(lines[0].starts_with(&format!("error: {p}:5:15: scopes[0].required: invalid value")));
    assert_eq!(lines[50], format!("error: {p}: and 10 more problems"));
}

#[test]
fn a_broken_manifest_met_in_a_directory_is_one_line_with_a_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bliro.yaml", MANY_MISTAKES);
    write(
        dir.path(),
        "ok.yaml",
        "app: Fine\nplatform: hubspot\nscopes:\n  - scope: oauth\n",
    );
    let root = dir.path().to_str().unwrap();
    let out = audit(&[root, "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let banner: Vec<&str> = out.stdout.lines().take(2).collect();
    assert_eq!(
        banner,
        [
            "INCOMPLETE: 1 input could not be read; this report covers only the rest:",
            &format!("  {root}/bliro.yaml:2:1: unknown field `vendr`, expected one of `app`, `vendor`, `platform`, `description`, `integration`, `scopes`, `tools`, `settings`, `match`; did you mean `vendor`? (and 8 more problems in this file: audit it alone to see them all)")[..],
        ]
    );
}

#[test]
fn authorize_url_parameters_that_are_slips_get_did_you_mean() {
    let url = "https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9slip&scopes=api%20refresh_token&redirect_url=https%3A%2F%2Fapp.example.com%2Fcb&respone_type=code&utm_source=mail";
    let report = audit_json(&[url]);
    let found = findings(&report);
    let slips: Vec<&str> = found
        .iter()
        .filter(|(rule, _, _)| rule == "config-anomaly/unknown-element")
        .map(|(_, m, _)| m.as_str())
        .collect();
    assert_eq!(slips.len(), 3, "{found:?}");
    assert!(
        slips[0]
            .contains("`scopes` is not a parameter Salesforce reads; did you mean `scope`? (audited here as `scope`)"),
        "{slips:?}"
    );
    assert!(slips[1].contains("`redirect_url` is not a parameter Salesforce reads; did you mean `redirect_uri`? (audited here as `redirect_uri`)"), "{slips:?}");
    assert!(
        slips[2].contains("`respone_type` is not a parameter Salesforce reads; did you mean `response_type`?"),
        "{slips:?}"
    );
    // The misspelled scopes are still audited; the platform sees no `scope`, so the missing
    // scope is reported too.
    let scopes: Vec<&str> = report["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["api", "refresh_token"]);
    assert!(
        found.iter().any(|(rule, _, _)| rule == "authorize-scope-missing"),
        "{found:?}"
    );
    assert_eq!(
        report["apps"][0]["settings"]["callback_urls"][0],
        "https://app.example.com/cb"
    );
}

#[test]
fn an_authorize_url_without_scope_is_at_least_medium() {
    for (url, platform) in [
        (
            "https://acme.my.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9none",
            "Salesforce grants every scope the connected app allows",
        ),
        (
            "https://app.hubspot.com/oauth/authorize?client_id=5f0c-none&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb",
            "HubSpot requires `scope`",
        ),
    ] {
        let report = audit_json(&[url]);
        let finding = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "authorize-scope-missing")
            .unwrap_or_else(|| panic!("no authorize-scope-missing for {url}: {report}"));
        assert_eq!(finding["severity"], "medium");
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("has no `scope` parameter") && message.contains(platform), "{message}");
        assert_eq!(report["apps"][0]["settings"]["scope_parameter"], false);
    }
    // With `scope`, no such finding.
    let report = audit_json(&["https://app.hubspot.com/oauth/authorize?client_id=5f0c&scope=oauth"]);
    assert!(!findings(&report).iter().any(|(r, _, _)| r == "authorize-scope-missing"));
}

#[test]
fn comma_separated_scopes_are_split_and_reported_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "links.url",
        "# from the vendor's setup guide\n\nhttps://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9comma&scope=api,refresh_token\n",
    );
    let report = audit_json(&[path.to_str().unwrap()]);
    let scopes: Vec<&str> = report["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["api", "refresh_token"]);
    let found = findings(&report);
    let comma = found
        .iter()
        .find(|(rule, _, _)| rule == "config-anomaly/invalid-value")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert!(
        comma
            .1
            .contains("`scope` separates scopes with commas (`api,refresh_token`), but Salesforce splits on spaces")
            && comma.1.contains("`invalid_scope`"),
        "{comma:?}"
    );
    assert_eq!(comma.2, 3);
    // No unknown scope named `api,refresh_token`.
    assert!(!found.iter().any(|(r, _, _)| r == "unknown-scope"), "{found:?}");
}

fn tool_manifest(platform: &str, scopes: &[&str], objects: &[&str]) -> String {
    let mut text = format!("app: Tools\nplatform: {platform}\nscopes:\n");
    for s in scopes {
        text.push_str(&format!("  - scope: {s}\n    justification: needed\n"));
    }
    text.push_str("tools:\n");
    for o in objects {
        text.push_str(&format!("  - name: Read {o}\n    object: {o}\n    access: read\n"));
    }
    text
}

#[test]
fn a_misspelled_object_is_answered_and_not_taken_for_a_custom_object() {
    let dir = tempfile::tempdir().unwrap();
    let hs = write(
        dir.path(),
        "hs.yaml",
        &tool_manifest("hubspot", &["oauth", "crm.objects.contacts.read"], &["contcts"]),
    );
    // What the tool needs is unknown, so the app cannot be judged: an input error at the
    // tool's line, exit 2, never a guessed custom object.
    let out = audit(&[hs.to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "hs.yaml:9: tools[0] `Read contcts`: `contcts` is not a HubSpot object: did you mean `contacts`?"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    // Met while walking a directory, the same file leaves the report incomplete.
    let walked = audit(&[dir.path().to_str().unwrap(), "--no-config", "--format", "json"]);
    assert_eq!(walked.code, 2);
    let report = json(&walked.stdout);
    assert_eq!(report["complete"], false);
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `contacts`?"));

    let sf = write(
        dir.path(),
        "sf.yaml",
        &tool_manifest("salesforce", &["api"], &["Acount"]),
    );
    let out = audit(&[sf.to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `Account`?"), "{}", out.stderr);
}

#[test]
fn custom_objects_are_known_by_their_shapes_and_strangers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sf = write(
        dir.path(),
        "sf.yaml",
        &tool_manifest(
            "salesforce",
            &["api"],
            &["Invoice__c", "acme__Invoice__c", "Opportunity"],
        ),
    );
    let report = audit_json(&[sf.to_str().unwrap()]);
    for tool in report["apps"][0]["tools"].as_array().unwrap() {
        assert_eq!(tool["scopes"], serde_json::json!(["api"]), "{tool}");
    }

    let hs = write(
        dir.path(),
        "hs.yaml",
        &tool_manifest("hubspot", &["oauth"], &["p_pets", "p12345_pets", "2-3465404"]),
    );
    let report = audit_json(&[hs.to_str().unwrap()]);
    let tools = report["apps"][0]["tools"].as_array().unwrap();
    for tool in tools {
        assert_eq!(tool["scopes"], serde_json::json!(["crm.objects.custom.read"]), "{tool}");
    }
    // A name that is neither listed nor custom-shaped names the vocabulary.
    let stranger = write(
        dir.path(),
        "stranger.yaml",
        &tool_manifest("hubspot", &["oauth"], &["pets"]),
    );
    let out = audit(&[stranger.to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`pets` is not a HubSpot object, nor a custom-object name (`p_pets`, `2-3465404`); `scopeaudit scopes hubspot --objects` lists what a tool may name"),
        "{}",
        out.stderr
    );
}

#[test]
fn platform_names_are_read_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "m.yaml",
        "app: Cased\nplatform: Salesforce\nscopes:\n  - scope: api\n    justification: x\n",
    );
    let report = audit_json(&[path.to_str().unwrap()]);
    assert_eq!(report["apps"][0]["platform"], "salesforce");
    let report = audit_json(&["--scopes", "oauth", "--platform", "HubSpot"]);
    assert_eq!(report["apps"][0]["platform"], "hubspot");
    let out = run(scopeaudit().args(["scopes", "SALESFORCE", "api"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("api"), "{}", out.stdout);
    let out = run(scopeaudit().args(["init", "--platform", "HubSpot", "-o", "-"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("platform: hubspot"), "{}", out.stdout);
}

#[test]
fn rules_suggests_the_rule_meant() {
    let out = run(scopeaudit().args(["rules", "excess-scop"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no rule `excess-scop`; did you mean `excess-scope`? (`scopeaudit rules` lists them)\n"
    );
    let out = run(scopeaudit().args(["rules", "nothing-like-it"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: no rule `nothing-like-it` (`scopeaudit rules` lists them)\n"
    );
}

#[test]
fn diff_warns_when_the_two_sides_are_different_apps() {
    let args = [
        "diff",
        "examples/meeting-assistant-hubspot.yaml",
        "tests/fixtures/diff/hubspot-v1/public-app.json",
        "--no-config",
        "--fail-on",
        "never",
    ];
    let out = run(scopeaudit().args(args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let warning = out.stderr.lines().next().unwrap_or_default();
    assert!(
        warning.starts_with("warning: OLD is `")
            && warning.contains("NEW is `Acme Deal Sync` (hubspot uid `acme-deal-sync`)")
            && warning.contains("look like different apps"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .lines()
            .nth(1)
            .unwrap_or_default()
            .starts_with("  WARNING: OLD is `"),
        "{}",
        out.stdout
    );
    let json_out = run(scopeaudit().args(args).args(["-f", "json"]));
    let report = json(&json_out.stdout);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1, "{report}");

    // One app in two formats (a manifest and its connected app): no warning.
    let same = run(scopeaudit().args([
        "diff",
        "examples/meeting-assistant-salesforce.yaml",
        "tests/fixtures/diff/salesforce-v2/Notable_Meetings.connectedApp-meta.xml",
        "--no-config",
        "--fail-on",
        "never",
    ]));
    assert!(!same.stderr.contains("warning"), "{}", same.stderr);
    assert!(!same.stdout.contains("WARNING"), "{}", same.stdout);

    // Two consent links for different clients are different apps; a link beside a manifest
    // has no name to compare, so no warning.
    let link = |client: &str| format!("https://app.hubspot.com/oauth/authorize?client_id={client}&scope=oauth");
    let (one, other) = (link("5f0c-one"), link("9a9a-other"));
    let urls = run(scopeaudit().args(["diff", &one, &other, "--no-config"]));
    assert!(
        urls.stderr
            .starts_with("warning: OLD is `HubSpot authorize URL (client 5f0c-one)` (client id `5f0c-one`)"),
        "{}",
        urls.stderr
    );
    let mixed = run(scopeaudit().args(["diff", "examples/meeting-assistant-hubspot.yaml", &one, "--no-config"]));
    assert!(!mixed.stderr.contains("warning"), "{}", mixed.stderr);
}

#[test]
fn a_match_block_is_checked_key_by_key_against_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let base = "app: Acme Sync\nplatform: salesforce\nscopes:\n  - scope: api\n    justification: Reads accounts.\n";
    let good = write(
        dir.path(),
        "good.yaml",
        &format!("{base}match:\n  connected_app: Acme_Sync\n  consumer_key: 3MVG9FAKEKEY\n"),
    );
    let out = audit(&["--no-config", "--fail-on", "never", good.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let bad = write(
        dir.path(),
        "bad.yaml",
        &format!("{base}match:\n  consumr_key: x\n  hubspot_uid: acme\n  label: \"\"\n"),
    );
    let out = audit(&["--no-config", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    let path = bad.display().to_string();
    assert_eq!(
        out.stderr,
        format!(
            "error: {path}:7:3: match: unknown field `consumr_key`, expected one of `salesforce_api_name`, `connected_app`, `consumer_key`, `external_client_app`, `hubspot_app_id`, `hubspot_uid`, `label`; did you mean `consumer_key`?\n\
             error: {path}:8: match.hubspot_uid: names a HubSpot app, but this manifest is for Salesforce\n\
             error: {path}:9: match.label is empty\n"
        )
    );
}
