//! `scopeaudit org salesforce` end to end: the real binary against the fake org on 127.0.0.1,
//! with every credential kind, the fault matrix, the read-only and secret guarantees, and
//! snapshots that re-audit identically.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "fake_org/mod.rs"]
mod fake_org;

use common::{json, run, scopeaudit, Run};
use fake_org::{FakeOrg, Listener, OrgSpec};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn start(spec: OrgSpec) -> FakeOrg {
    FakeOrg::start(spec).expect("the fake org listens on 127.0.0.1")
}

/// The binary with no Salesforce variables from the machine running the tests.
fn org_command() -> Command {
    let mut cmd = common::scopeaudit_without_org_credentials();
    cmd.args(["org", "salesforce", "--no-config"]);
    cmd
}

/// The audit of `org` with its default access token, plus `args`.
fn audit_with_token(org: &FakeOrg, args: &[&str]) -> Run {
    run(org_command()
        .env("SF_ACCESS_TOKEN", org.access_token())
        .env("SF_INSTANCE_URL", org.base_url())
        .args(["--login-url", &org.login_url()])
        .args(args))
}

fn app_by_api_name<'a>(report: &'a Value, api_name: &str) -> &'a Value {
    report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["org"]["api_name"] == api_name)
        .unwrap_or_else(|| panic!("no app {api_name} in the report"))
}

fn rules_of(report: &Value, app_name: &str) -> Vec<String> {
    let id = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == app_name)
        .map(|a| a["id"].clone())
        .unwrap_or_else(|| panic!("no app named {app_name}"));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["app"] == id)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// What must be true of any complete audit of a default fake org.
fn assert_planted_facts(org: &FakeOrg, report: &Value) {
    let planted = org.planted();
    assert_eq!(report["org"]["complete"], true, "{}", report["errors"]);
    assert_eq!(report["complete"], true);
    assert_eq!(report["org"]["tokens_total"], planted.tokens_total as u64);
    assert_eq!(report["org"]["org_id"], org.org_id());
    let apps = report["apps"].as_array().unwrap();
    assert_eq!(apps.len(), planted.apps_connected + planted.apps_external);

    let full = app_by_api_name(report, &planted.full_app.api_name);
    assert_eq!(full["org"]["kind"], "connected_app");
    assert_eq!(full["org"]["tokens"], planted.full_app.tokens as u64);
    assert_eq!(full["org"]["users"], planted.full_app.users as u64);
    // The declared-app rules run unchanged: `full` beside `api` is excess (critical), as in a file.
    let full_rules = rules_of(report, &planted.full_app.label);
    for rule in [
        "excess-scope",
        "ip-restrictions-relaxed",
        "non-expiring-refresh-token",
        "privileged-user-token",
    ] {
        assert!(full_rules.iter().any(|r| r == rule), "{rule} not in {full_rules:?}");
    }
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["app"] == full["id"] && f["scope"] == "full" && f["severity"] == "critical"));
    assert_eq!(
        app_by_api_name(report, &planted.full_eca.api_name)["org"]["kind"],
        "external_client_app"
    );
    let eca_rules = rules_of(report, &planted.full_eca.label);
    assert!(
        eca_rules.iter().any(|r| r == "full-access" || r == "excess-scope"),
        "{eca_rules:?}"
    );

    // The renamed app's tokens (issued under its old label) are its own, under its new name.
    let renamed = app_by_api_name(report, &planted.renamed_app.api_name);
    assert_eq!(renamed["name"], planted.renamed_app.label);
    assert_eq!(renamed["org"]["tokens"], planted.renamed_app.tokens as u64);

    assert_eq!(
        app_by_api_name(report, &planted.dormant_app.api_name)["org"]["tokens"],
        0
    );
    assert!(rules_of(report, &planted.dormant_app.label)
        .iter()
        .any(|r| r == "unused-connected-app"));
    let stale = app_by_api_name(report, &planted.stale_app.api_name);
    assert_eq!(stale["org"]["stale_tokens"], planted.stale_app.stale_tokens as u64);
    assert!(rules_of(report, &planted.stale_app.label)
        .iter()
        .any(|r| r == "stale-token"));

    let pre = app_by_api_name(report, &planted.preauthorized_app.api_name);
    assert_eq!(
        pre["org"]["preauthorized"]["users_active"],
        planted.preauthorized_users_active as u64
    );
    assert_eq!(
        pre["org"]["preauthorized"]["users_all"],
        planted.preauthorized_users_all as u64
    );
    assert!(rules_of(report, &planted.preauth_not_enforced_app.label)
        .iter()
        .any(|r| r == "preauthorization-not-enforced"));

    let uninstalled = report["org"]["uninstalled_apps"].as_array().unwrap();
    let gone = uninstalled
        .iter()
        .find(|u| u["name"] == planted.uninstalled_label)
        .expect("the uninstalled app's tokens are listed");
    assert_eq!(gone["tokens"], planted.uninstalled_tokens as u64);
    assert_eq!(gone["users"], planted.uninstalled_users as u64);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "uninstalled-app-tokens"));

    // Per-app counts are the fake's exact planted figures.
    for facts in [
        &planted.full_app,
        &planted.stale_app,
        &planted.renamed_app,
        &planted.preauthorized_app,
    ] {
        let app = app_by_api_name(report, &facts.api_name);
        for (field, expected) in [
            ("tokens", facts.tokens),
            ("users", facts.users),
            ("stale_tokens", facts.stale_tokens),
            ("inactive_user_tokens", facts.inactive_user_tokens),
            ("privileged_user_tokens", facts.privileged_user_tokens),
        ] {
            assert_eq!(app["org"][field], expected as u64, "{} {field}", facts.api_name);
        }
        assert_eq!(app["org"]["use_count"], facts.use_count, "{} use_count", facts.api_name);
    }
}

#[test]
fn an_access_token_audits_the_whole_org() {
    let org = start(OrgSpec::default());
    let out = audit_with_token(&org, &["-f", "json"]);
    assert_eq!(
        out.code, 1,
        "the planted full-access app fails the gate: {}",
        out.stderr
    );
    let report = json(&out.stdout);
    assert_planted_facts(&org, &report);
    assert!(report["org"]["api_calls"].as_u64().unwrap() > 0);
    assert_eq!(report["org"]["api_usage"]["max"], 100_000);
    assert!(out.stderr.contains("API calls used:"), "{}", out.stderr);
}

/// A throw-away RSA key pair for the JWT bearer flow (the fake org decodes the assertion and
/// checks its claims).
fn test_key(dir: &Path) -> std::path::PathBuf {
    let key = dir.join("test-only-key.pem");
    let status = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success());
    key
}

/// A fake `sf` first on PATH that prints `display` for `sf org display --json`.
fn fake_sf(dir: &Path, display: &str) -> String {
    std::fs::write(dir.join("display.json"), display).unwrap();
    let script = dir.join("sf");
    std::fs::write(&script, format!("#!/bin/sh\ncat {}/display.json\n", dir.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn every_credential_kind_audits_the_org() {
    let org = start(OrgSpec::default());
    let spec = org.spec().clone();
    let dir = tempfile::tempdir().unwrap();
    let key = test_key(dir.path());
    let login = org.login_url();
    let base = org.base_url();
    let display = format!(
        r#"{{"status":0,"result":{{"id":"{}","apiVersion":"67.0","accessToken":"{}","instanceUrl":"{}","username":"admin@fake.example","connectedStatus":"Connected","alias":"fake"}},"warnings":[]}}"#,
        org.org_id(),
        org.access_token(),
        base
    );
    let path = fake_sf(dir.path(), &display);
    let admin = org.planted().admin_username.clone();
    /// (credential kind, environment, extra arguments)
    type Kind<'a> = (&'a str, Vec<(&'a str, String)>, Vec<String>);
    let kinds: Vec<Kind> = vec![
        (
            "refresh token",
            vec![
                ("SF_CLIENT_ID", spec.client_id.clone()),
                ("SF_CLIENT_SECRET", spec.client_secret.clone()),
                ("SF_REFRESH_TOKEN", spec.refresh_token.clone()),
            ],
            vec![],
        ),
        (
            "JWT bearer",
            vec![
                ("SF_CLIENT_ID", spec.client_id.clone()),
                ("SF_USERNAME", admin.clone()),
                ("SF_JWT_KEY_FILE", key.display().to_string()),
            ],
            vec![],
        ),
        (
            "client credentials",
            vec![
                ("SF_CLIENT_ID", spec.client_id.clone()),
                ("SF_CLIENT_SECRET", spec.client_secret.clone()),
            ],
            vec![],
        ),
        (
            "username-password",
            vec![
                ("SF_USERNAME", admin.clone()),
                ("SF_PASSWORD", spec.password.clone()),
                ("SF_CLIENT_ID", spec.client_id.clone()),
                ("SF_CLIENT_SECRET", spec.client_secret.clone()),
            ],
            vec![],
        ),
        (
            "Salesforce CLI",
            vec![("PATH", path)],
            vec!["--target-org".into(), "fake".into()],
        ),
    ];
    for (kind, env, args) in kinds {
        let mut cmd = org_command();
        // The client-credentials grant works only on the org's My Domain (the instance).
        let login = if kind == "client credentials" { &base } else { &login };
        cmd.args(["--login-url", login, "--instance-url", &base, "-f", "json"]);
        cmd.args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 1, "{kind}: {}", out.stderr);
        let report = json(&out.stdout);
        assert_planted_facts(&org, &report);
        if kind == "username-password" {
            assert!(out.stderr.contains("deprecated"), "{kind}: {}", out.stderr);
        }
    }
}

#[test]
fn no_credential_is_a_usage_error_and_a_refused_token_is_exit_3() {
    let org = start(OrgSpec::default());
    let out = run(org_command().args(["--login-url", &org.login_url()]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(org.requests().is_empty(), "nothing is sent without a credential");

    assert!(
        out.stderr.starts_with("error: no Salesforce credential"),
        "{}",
        out.stderr
    );

    let out = run(org_command()
        .env("SF_ACCESS_TOKEN", "00DFAKE!not-a-live-token")
        .env("SF_INSTANCE_URL", org.base_url())
        .args(["--login-url", &org.login_url()]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(
        out.stderr.contains("INVALID_SESSION_ID") || out.stderr.contains("expired or invalid"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not-a-live-token"), "{}", out.stderr);
}

#[test]
fn an_expired_token_is_refreshed_once_and_the_pull_resumes() {
    let spec = OrgSpec::default();
    let org = start(spec.clone());
    let env = [
        ("SF_CLIENT_ID", spec.client_id.clone()),
        ("SF_CLIENT_SECRET", spec.client_secret.clone()),
        ("SF_REFRESH_TOKEN", spec.refresh_token.clone()),
    ];
    let audit = |org: &FakeOrg| {
        let mut cmd = org_command();
        cmd.args([
            "--login-url",
            &org.login_url(),
            "--instance-url",
            &org.base_url(),
            "-f",
            "json",
        ]);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let clean = audit(&org);
    assert_eq!(clean.code, 1, "{}", clean.stderr);
    org.clear_requests();
    org.expire_tokens_after(7);
    let resumed = audit(&org);
    assert_eq!(resumed.code, 1, "{}", resumed.stderr);
    let (a, b) = (json(&clean.stdout), json(&resumed.stdout));
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(a["apps"], b["apps"]);
    let grants: Vec<_> = org.requests().into_iter().filter_map(|r| r.grant_type).collect();
    assert_eq!(grants, ["refresh_token", "refresh_token"], "one grant, one refresh");
}

#[test]
fn an_expired_access_token_that_cannot_be_refreshed_leaves_an_incomplete_report() {
    let org = start(OrgSpec::default());
    org.expire_tokens_after(6);
    let out = audit_with_token(&org, &["-f", "json"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["complete"], false);
    assert_eq!(report["org"]["complete"], false);
    assert!(!report["errors"].as_array().unwrap().is_empty());
    assert!(out.stderr.contains("incomplete"), "{}", out.stderr);
}

#[test]
fn the_request_limit_stops_the_pull_with_exit_3_and_says_what_was_read() {
    let org = start(OrgSpec::default());
    org.request_limit_after(5);
    for format in ["text", "json", "sarif", "markdown", "html"] {
        org.clear_requests();
        let out = audit_with_token(&org, &["-f", format]);
        assert_eq!(out.code, 3, "{format}: {}", out.stderr);
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("REQUEST_LIMIT_EXCEEDED"), "{format}: {said}");
        match format {
            "json" => assert_eq!(json(&out.stdout)["complete"], false),
            "sarif" => assert_eq!(
                json(&out.stdout)["runs"][0]["invocations"][0]["executionSuccessful"],
                false
            ),
            _ => assert!(
                out.stdout.to_lowercase().contains("incomplete"),
                "{format}: {}",
                out.stdout
            ),
        }
    }
}

#[test]
fn server_errors_resets_and_a_malformed_body_are_retried_to_a_complete_audit() {
    let org = start(OrgSpec::default());
    let clean = json(&audit_with_token(&org, &["-f", "json"]).stdout);
    org.fail_5xx(2);
    org.reset_connections(2);
    org.malformed_body(1);
    let out = audit_with_token(&org, &["-f", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["complete"], true);
    assert_eq!(report["findings"], clean["findings"]);
}

#[test]
fn when_the_metadata_api_refuses_the_token_scopes_are_unread_never_empty() {
    let org = start(OrgSpec::default());
    org.deny_metadata(true);
    let out = audit_with_token(&org, &["-f", "json"]);
    let report = json(&out.stdout);
    let full = app_by_api_name(&report, &org.planted().full_app.api_name);
    assert_eq!(full["org"]["config"]["status"], "unread", "{full}");
    let text = audit_with_token(&org, &["-f", "text"]);
    assert!(text.stdout.contains("could not be read"), "{}", text.stdout);
}

#[test]
fn the_org_sees_only_reads() {
    let org = start(OrgSpec::default());
    let spec = org.spec().clone();
    let out = run(org_command()
        .env("SF_CLIENT_ID", &spec.client_id)
        .env("SF_CLIENT_SECRET", &spec.client_secret)
        .env("SF_REFRESH_TOKEN", &spec.refresh_token)
        .args(["--login-url", &org.login_url(), "--instance-url", &org.base_url(), "-q"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let requests = org.requests();
    assert!(requests.len() > 10);
    for r in &requests {
        let path = r.path.split('?').next().unwrap_or_default();
        let allowed = match (r.listener, r.method.as_str()) {
            (Listener::Login, "POST") => path == "/services/oauth2/token",
            (Listener::Instance, "GET") => path.starts_with("/services/data"),
            (Listener::Instance, "POST") => path.starts_with("/services/Soap/m/"),
            _ => false,
        };
        assert!(allowed, "the org saw {} {} on {:?}", r.method, r.path, r.listener);
    }
}

#[test]
fn no_secret_reaches_any_output_log_or_snapshot() {
    let spec = OrgSpec::default();
    let org = start(spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let outputs: Vec<String> = ["r.json", "r.sarif", "r.md", "r.html", "r.txt"]
        .iter()
        .map(|n| dir.path().join(n).display().to_string())
        .collect();
    let snapshot = dir.path().join("snap.json").display().to_string();
    let mut cmd = org_command();
    cmd.env("SF_CLIENT_ID", &spec.client_id)
        .env("SF_CLIENT_SECRET", &spec.client_secret)
        .env("SF_REFRESH_TOKEN", &spec.refresh_token)
        .args(["--login-url", &org.login_url(), "--instance-url", &org.base_url(), "-v"])
        .args(["--save-snapshot", &snapshot]);
    for o in &outputs {
        cmd.args(["-o", o]);
    }
    org.expire_tokens_after(9);
    let out = run(&mut cmd);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let mut texts = vec![
        ("stdout".to_string(), out.stdout.clone()),
        ("stderr".to_string(), out.stderr.clone()),
    ];
    for file in outputs.iter().chain([&snapshot]) {
        texts.push((file.clone(), std::fs::read_to_string(file).unwrap()));
    }
    let mut secrets = vec![
        spec.client_secret.clone(),
        spec.refresh_token.clone(),
        "SECRET-".to_string(),
    ];
    secrets.extend(org.issued_tokens());
    secrets.extend(org.refresh_tokens());
    for (name, text) in &texts {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} holds a secret ({secret})");
        }
    }
    assert!(
        out.stderr.contains("GET /services/data"),
        "-v logs requests: {}",
        out.stderr
    );
}

#[test]
fn a_saved_snapshot_re_audits_offline_with_identical_findings_any_day() {
    let org = start(OrgSpec::default());
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("org.json");
    let live = audit_with_token(&org, &["-f", "json", "--save-snapshot", snapshot.to_str().unwrap()]);
    assert_eq!(live.code, 1, "{}", live.stderr);
    drop(org);
    let later = run(scopeaudit()
        .env("SCOPEAUDIT_TODAY", "2027-01-30")
        .args(["audit", "--no-config", "-f", "json"])
        .arg(&snapshot));
    assert_eq!(later.code, 1, "{}", later.stderr);
    let (a, b) = (json(&live.stdout), json(&later.stdout));
    let strip = |findings: &Value| -> Vec<(Value, Value, Value, Value)> {
        findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].clone(),
                    f["app"].clone(),
                    f["scope"].clone(),
                    f["message"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&a["findings"]), strip(&b["findings"]));
    for (x, y) in a["apps"].as_array().unwrap().iter().zip(b["apps"].as_array().unwrap()) {
        assert_eq!(x["org"], y["org"]);
    }
    assert_eq!(a["org"]["taken_at"], b["org"]["taken_at"]);
}

#[test]
fn a_hostile_instance_url_from_the_token_endpoint_gets_no_bearer_token() {
    let spec = OrgSpec::default();
    let org = start(spec.clone());
    org.hostile_instance_url(Some("https://attacker.example".into()));
    let out = run(org_command()
        .env("SF_CLIENT_ID", &spec.client_id)
        .env("SF_CLIENT_SECRET", &spec.client_secret)
        .env("SF_REFRESH_TOKEN", &spec.refresh_token)
        .args(["--login-url", &org.login_url()]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("attacker.example"), "{}", out.stderr);
    assert!(org.requests().iter().all(|r| r.listener == Listener::Login));
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let org = start(OrgSpec::default());
    let out = audit_with_token(&org, &["-f", "json"]);
    assert!(
        !out.stderr.contains('\r') && !out.stderr.contains('\u{1b}'),
        "{:?}",
        out.stderr
    );
}

#[test]
fn approved_manifests_hold_the_live_org_to_what_was_approved() {
    let org = start(OrgSpec::default());
    let full = org.planted().full_app.clone();
    let dir = tempfile::tempdir().unwrap();
    let approved = dir.path().join("approved");
    std::fs::create_dir(&approved).unwrap();
    std::fs::write(
        approved.join("helix.yaml"),
        format!(
            "app: {label}\nplatform: salesforce\nmatch:\n  connected_app: {api}\nscopes:\n  - scope: api\n    justification: Syncs chat transcripts to cases.\n  - scope: refresh_token\n    justification: Syncs while the agent is away.\nsettings:\n  ip_relaxation: ENFORCE\n  refresh_token_policy: specific_inactivity:30:DAYS\n",
            label = full.label,
            api = full.api_name
        ),
    )
    .unwrap();
    std::fs::write(
        approved.join("gone.yaml"),
        "app: Retired Tool\nplatform: salesforce\nmatch:\n  connected_app: Retired_Tool\nscopes:\n  - scope: api\n    justification: Reads accounts.\n",
    )
    .unwrap();
    let out = audit_with_token(&org, &["-f", "json", "--approved", approved.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let app = app_by_api_name(&report, &full.api_name);
    let findings: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["app"] == app["id"])
        .collect();
    let exceeding: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "exceeds-approval")
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert_eq!(exceeding, ["full", "web"], "one finding per scope beyond the approval");
    assert!(findings.iter().any(|f| f["rule"] == "policy-weaker-than-approved"));
    assert!(!findings.iter().any(|f| f["rule"] == "unapproved-app"));
    // The approval's justifications flow into the live app.
    let api = app["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["canonical"] == "api")
        .unwrap();
    assert_eq!(api["justification"], "Syncs chat transcripts to cases.");
    let rules: Vec<String> = common::rules_in(&report);
    assert!(
        rules.iter().any(|r| r == "unapproved-app"),
        "other apps holding tokens are unapproved"
    );
    assert!(
        rules.iter().any(|r| r == "approval-unmatched"),
        "Retired Tool matches nothing"
    );

    // An unreadable approval stops the command before any API call.
    std::fs::write(approved.join("broken.yaml"), "app: [\n").unwrap();
    org.clear_requests();
    let out = audit_with_token(&org, &["--approved", approved.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("broken.yaml"), "{}", out.stderr);
    assert!(org.requests().is_empty(), "no API call before the approvals are read");
}
