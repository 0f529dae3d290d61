//! Calibrated findings (issue 9, section 1): severity follows what is at risk, one problem is
//! one finding, and the advice points the right way. Every case runs the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

/// (rule, scope or "", severity) of every finding, in report order.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["scope"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn about<'a>(all: &'a [(String, String, String)], scope: &str) -> Vec<(&'a str, &'a str)> {
    // Manifests written here leave out justifications; that finding is not what is tested.
    all.iter()
        .filter(|(r, s, _)| s == scope && r != "missing-justification")
        .map(|(r, _, sev)| (r.as_str(), sev.as_str()))
        .collect()
}

fn audit_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json", "--fail-on", "never", "--no-config"];
    all.extend(args);
    let out = run(scopeaudit().current_dir(dir).arg("audit").args(&all));
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

const SALESFORCE_TOOLS: &str = "tools:
  - name: Read accounts
    object: Account
    access: read
";

fn salesforce_manifest(scopes: &[&str], extra: &str) -> String {
    let mut text = String::from(
        "app: Calibration
platform: salesforce
integration:
  delegation: user
  flows: [authorization_code]
scopes:
",
    );
    for s in scopes {
        text.push_str(&format!("  - scope: {s}\n    justification: asked for\n"));
    }
    text.push_str(SALESFORCE_TOOLS);
    text.push_str(
        "settings:
  admin_approved: true
  ip_relaxation: ENFORCE
  refresh_token_policy: specific_inactivity:30:DAYS
",
    );
    text.push_str(extra);
    text
}

#[test]
fn an_excess_scope_takes_the_severity_of_what_is_excess() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        &salesforce_manifest(&["api", "openid", "web", "full"], ""),
    );
    let report = audit_json(dir.path(), &["app.yaml"]);
    let all = findings(&report);
    // One finding per excess scope: the risk rules (full-access, web-session-access) stay
    // silent where excess-scope speaks.
    assert_eq!(about(&all, "openid"), [("excess-scope", "low")]);
    assert_eq!(about(&all, "web"), [("excess-scope", "high")]);
    assert_eq!(about(&all, "full"), [("excess-scope", "critical")]);
    // An excess openid alone no longer fails the default gate (high).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.yaml", &salesforce_manifest(&["api", "openid"], ""));
    let out = run(scopeaudit()
        .current_dir(dir.path())
        .args(["audit", "app.yaml", "--no-config"]));
    assert!(out.stdout.contains("LOW      excess-scope  openid"), "{}", out.stdout);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn write_access_a_tool_needs_is_not_reported_and_api_gets_no_write_scope_finding() {
    let dir = tempfile::tempdir().unwrap();
    // A HubSpot write scope that a declared update tool needs: nothing to say about writing.
    write(
        dir.path(),
        "hs.yaml",
        "app: Writer
platform: hubspot
scopes:
  - scope: oauth
  - scope: crm.objects.contacts.read
  - scope: crm.objects.contacts.write
tools:
  - {name: Read contacts, object: contacts, access: read}
  - {name: Update contact, object: contacts, access: update}
",
    );
    let all = findings(&audit_json(dir.path(), &["hs.yaml"]));
    assert_eq!(about(&all, "crm.objects.contacts.write"), []);

    // Only read tools: the write scope gets write-without-write-tool, not also write-scope.
    write(
        dir.path(),
        "hs.yaml",
        "app: Reader
platform: hubspot
scopes:
  - scope: oauth
  - scope: crm.objects.contacts.read
  - scope: crm.objects.contacts.write
tools:
  - {name: Read contacts, object: contacts, access: read}
",
    );
    let all = findings(&audit_json(dir.path(), &["hs.yaml"]));
    assert_eq!(about(&all, "crm.objects.contacts.write"), [("excess-scope", "high")]);

    // Salesforce `api` with read-only tools: breadth and unneeded write, two different
    // statements that cite each other; never also write-scope.
    write(dir.path(), "sf.yaml", &salesforce_manifest(&["api"], ""));
    let all = findings(&audit_json(dir.path(), &["sf.yaml"]));
    assert_eq!(
        about(&all, "api"),
        [("broad-api-access", "medium"), ("write-without-write-tool", "medium")]
    );
    for (rule, other) in [
        ("broad-api-access", "write-without-write-tool"),
        ("write-without-write-tool", "broad-api-access"),
    ] {
        let doc = run(scopeaudit().args(["rules", rule]));
        assert!(doc.stdout.contains(&format!("See also: `{other}`")), "{}", doc.stdout);
    }
    // A scope list with no tools: `api` is still one finding.
    let all = findings(&audit_json(
        dir.path(),
        &["--scopes", "api", "--platform", "salesforce"],
    ));
    assert_eq!(about(&all, "api"), [("broad-api-access", "medium")]);
}

#[test]
fn with_full_and_api_the_advice_is_to_drop_full_even_without_tools() {
    let dir = tempfile::tempdir().unwrap();
    let report = audit_json(
        dir.path(),
        &["--scopes", "full api refresh_token", "--platform", "salesforce"],
    );
    let all = findings(&report);
    assert_eq!(about(&all, "full"), [("excess-scope", "critical")]);
    // Not "api is redundant because full grants it": that would advise keeping full.
    assert!(!all.iter().any(|(r, _, _)| r == "redundant-scope"), "{all:?}");
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scope"] == "full")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("it also requests `api`"), "{message}");
    let verdicts: Vec<&str> = report["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["excess", "unjustified", "unjustified"]);

    // `full` beside an identity scope only: nothing says what data the app uses.
    let all = findings(&audit_json(
        dir.path(),
        &["--scopes", "full openid", "--platform", "salesforce"],
    ));
    assert_eq!(about(&all, "full"), [("full-access", "critical")]);
}

#[test]
fn a_second_name_for_a_scope_is_a_duplicate_not_a_need() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        &salesforce_manifest(&["api", "refresh_token", "offline_access"], "").replace(
            "flows: [authorization_code]",
            "flows: [authorization_code, refresh_token]",
        ),
    );
    let report = audit_json(dir.path(), &["app.yaml"]);
    let verdicts: Vec<(&str, &str)> = report["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["scope"].as_str().unwrap(), s["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("api", "needed"),
            ("refresh_token", "needed"),
            ("offline_access", "duplicate")
        ]
    );
    assert_eq!(
        about(&findings(&report), "refresh_token"),
        [("offline-access", "medium"), ("duplicate-alias", "low")]
    );
}

#[test]
fn a_coarse_scope_is_replaced_by_the_granular_scopes_the_tools_need() {
    let dir = tempfile::tempdir().unwrap();
    // HubSpot's product endpoints accept `crm.objects.products.read` or the coarse `e-commerce`.
    write(
        dir.path(),
        "hs.yaml",
        "app: Catalog Reader
platform: hubspot
scopes:
  - scope: oauth
  - scope: e-commerce
tools:
  - {name: Read products, object: products, access: read}
",
    );
    let report = audit_json(dir.path(), &["hs.yaml"]);
    let app = &report["apps"][0];
    assert_eq!(
        app["minimal_scopes"],
        serde_json::json!(["crm.objects.products.read", "oauth"])
    );
    assert_eq!(app["recommendation"]["drop"], serde_json::json!(["e-commerce"]));
    assert_eq!(app["scopes"][1]["verdict"], "excess");
    let all = findings(&report);
    // The coarse scope is to be replaced, not dropped: coarse-legacy-scope says so, once.
    assert_eq!(about(&all, "e-commerce"), [("coarse-legacy-scope", "medium")]);
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "coarse-legacy-scope")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("it works, but grants more"), "{message}");

    // A removed scope is told apart: installs fail.
    let out = audit_json(dir.path(), &["--scopes", "oauth contacts", "--platform", "hubspot"]);
    let retired = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scope"] == "contacts")
        .unwrap();
    assert_eq!(retired["rule"], "retired-scope");
    assert!(retired["message"]
        .as_str()
        .unwrap()
        .contains("installs that ask for a removed scope fail"));
}

#[test]
fn relaxing_ip_rules_for_refresh_tokens_is_not_reported_as_bypass() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = salesforce_manifest(&["api", "refresh_token"], "").replace(
        "flows: [authorization_code]",
        "flows: [authorization_code, refresh_token]",
    );
    write(
        dir.path(),
        "relax.yaml",
        &manifest.replace("ENFORCE\n", "ENFORCE_RELAXREFRESH\n"),
    );
    write(dir.path(), "bypass.yaml", &manifest.replace("ENFORCE\n", "BYPASS\n"));
    let relax = findings(&audit_json(dir.path(), &["relax.yaml"]));
    let bypass = findings(&audit_json(dir.path(), &["bypass.yaml"]));
    assert!(relax.contains(&("ip-restrictions-relaxed-refresh".into(), String::new(), "medium".into())));
    assert!(!relax.iter().any(|(r, _, _)| r == "ip-restrictions-relaxed"));
    assert!(bypass.contains(&("ip-restrictions-relaxed".into(), String::new(), "high".into())));
    assert!(!bypass.iter().any(|(r, _, _)| r == "ip-restrictions-relaxed-refresh"));
}

#[test]
fn a_manifest_and_connected_app_xml_name_the_same_platform_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        "app: Defaults
platform: salesforce
integration:
  flows: [authorization_code, refresh_token]
scopes:
  - scope: api
  - scope: refresh_token
",
    );
    write(
        dir.path(),
        "Defaults.connectedApp-meta.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>admin@example.com</contactEmail>
    <label>Defaults</label>
    <oauthConfig>
        <callbackUrl>https://example.com/cb</callbackUrl>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
</ConnectedApp>
"#,
    );
    let messages = |file: &str| -> Vec<(String, String)> {
        audit_json(dir.path(), &[file])["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["scope"].is_null())
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(r, _)| r != "pkce-not-required" && r != "insecure-callback-url")
            .collect()
    };
    let manifest = messages("app.yaml");
    let xml = messages("Defaults.connectedApp-meta.xml");
    assert_eq!(manifest, xml);
    let self_auth = &manifest
        .iter()
        .find(|(r, _)| r == "self-authorization-allowed")
        .unwrap()
        .1;
    assert!(
        self_auth.contains("not set: Salesforce's default lets every user self-authorize"),
        "{self_auth}"
    );
    assert!(manifest.iter().any(|(r, m)| r == "non-expiring-refresh-token"
        && m.contains("not set: Salesforce's default keeps refresh tokens valid until revoked")));
    // Stated, it reads as stated.
    let stated = audit_json(dir.path(), &["--scopes", "api", "--platform", "salesforce"]);
    assert!(
        !rules_in(&stated).contains(&"self-authorization-allowed".to_string()),
        "a scope list says nothing about policies: no default is assumed"
    );
}

#[test]
fn identifying_users_needs_the_identity_url_not_data_access() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        &salesforce_manifest(&["api", "id"], "").replace(
            "  flows: [authorization_code]\n",
            "  flows: [authorization_code]\n  identifies_users: true\n",
        ),
    );
    let report = audit_json(dir.path(), &["app.yaml"]);
    let app = &report["apps"][0];
    assert_eq!(app["minimal_scopes"], serde_json::json!(["api", "id"]));
    assert_eq!(app["scopes"][1]["verdict"], "needed");
    assert!(app["scopes"][1]["verdict_reason"]
        .as_str()
        .unwrap()
        .contains("identifying its users"));
}

#[test]
fn a_customer_owned_app_with_handed_over_tokens_is_a_finding_and_a_checklist_question() {
    let fixture = "tests/fixtures/rules/customer-app-credentials-shared/fires.yaml";
    let report = json(&audit(&[fixture, "--no-config", "--format", "json", "--fail-on", "never"]).stdout);
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "customer-app-credentials-shared")
        .expect("the finding");
    assert_eq!(finding["severity"], "high");
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("(consumer secret, refresh token)"));
    let markdown = audit(&[fixture, "--no-config", "--format", "markdown", "--fail-on", "never"]).stdout;
    assert!(
        markdown.contains("- [ ] **Credentials:** the customer creates the app and hands the vendor its consumer secret, refresh token"),
        "{markdown}"
    );
    // The vendor's own app: no finding, and the checklist still asks who holds the secret.
    let own = "tests/fixtures/rules/customer-app-credentials-shared/passes.yaml";
    let markdown = audit(&[own, "--no-config", "--format", "markdown", "--fail-on", "never"]).stdout;
    assert!(
        markdown.contains("- [ ] **Credentials:** the vendor's own app; confirm who in the vendor holds"),
        "{markdown}"
    );
}

#[test]
fn a_tool_on_an_unknown_object_is_refused_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        &salesforce_manifest(&["api"], "").replace("object: Account", "object: FieldServiceMobileSettings"),
    );
    // What the tool needs is unknown: judging the app would call `api` excess and advise a
    // drop that breaks the tool. The app is bad input instead, naming the vocabulary.
    let out = run(scopeaudit()
        .current_dir(dir.path())
        .args(["audit", "app.yaml", "--no-config"]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.is_empty(), "no verdict: {}", out.stdout);
    assert!(
        out.stderr
            .contains("app.yaml:10: tools[0] `Read accounts`: `FieldServiceMobileSettings` is not a Salesforce object"),
        "{}",
        out.stderr
    );
    assert!(out
        .stderr
        .contains("`scopeaudit scopes salesforce --objects` lists what a tool may name"));
}
