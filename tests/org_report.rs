//! The org audit in every report format (issue 11 point 10, SPEC section 6): apps with org
//! usage and an org summary, built here through the public library (the reader and the
//! normalizer are tested on their own), evaluated through `Session` as the binary does, and
//! each output compared whole with a snapshot. JSON key sets are asserted exactly, so a
//! renamed field fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_snapshot, json};
use scopeaudit::model::org::{
    ApiUsage, AuditCredential, ConfigRead, OrgAppKind, OrgSummary, OrgUsage, PermittedUsers, Preauthorized, Skipped,
    Stamp, UninstalledApp,
};
use scopeaudit::model::{App, Date, InputKind, Source};
use scopeaudit::report::{sarif, templates, text, Report};
use scopeaudit::session::{ConfigChoice, DataOptions, GateOptions, Session};
use scopeaudit::source_file::FileError;
use std::collections::BTreeSet;

const INSTANCE: &str = "https://acme.my.salesforce.com";
const SNAPSHOT: &str = "tests/fixtures/org/acme.snapshot.json";

/// Markup, Markdown table and code breakers, terminal escapes, a bidi override and a line break.
const HOSTILE: &str =
    "Evil <script>alert(1)</script> | `tick` *b* [x](javascript:alert(1)) \u{1b}[32mgate passed\u{1b}[0m \u{202e}txt\r\nnext";

fn stamp(s: &str) -> Stamp {
    Stamp::parse(s).expect("a test date")
}

/// One org app: a Connected App file read by the real reader (as `readMetadata` answers are),
/// then placed in the org with its usage.
struct OrgApp {
    label: String,
    api_name: String,
    kind: OrgAppKind,
    scopes: Vec<&'static str>,
    usage: OrgUsage,
}

impl OrgApp {
    fn new(label: &str, api_name: &str, scopes: &[&'static str]) -> OrgApp {
        OrgApp {
            label: label.to_string(),
            api_name: api_name.to_string(),
            kind: OrgAppKind::ConnectedApp,
            scopes: scopes.to_vec(),
            usage: OrgUsage {
                kind: OrgAppKind::ConnectedApp,
                id: format!("0H4000000000{:03}", api_name.len()),
                api_name: api_name.to_string(),
                label: label.to_string(),
                permitted_users: Some(PermittedUsers::AdminApproved),
                tokens: 0,
                users: 0,
                last_used: None,
                use_count: 0,
                stale_tokens: 0,
                inactive_user_tokens: 0,
                privileged_user_tokens: 0,
                preauthorized: Preauthorized::default(),
                config: ConfigRead::Read,
            },
        }
    }

    fn eca(mut self) -> OrgApp {
        self.kind = OrgAppKind::ExternalClientApp;
        self.usage.kind = OrgAppKind::ExternalClientApp;
        self.usage.id = format!("0xI000000000{:03}", self.api_name.len());
        self
    }

    fn tokens(mut self, tokens: u64, users: u64, last_used: &str, use_count: u64) -> OrgApp {
        self.usage.tokens = tokens;
        self.usage.users = users;
        self.usage.last_used = Some(stamp(last_used));
        self.usage.use_count = use_count;
        self
    }

    fn risky(mut self, stale: u64, inactive: u64, privileged: u64) -> OrgApp {
        self.usage.stale_tokens = stale;
        self.usage.inactive_user_tokens = inactive;
        self.usage.privileged_user_tokens = privileged;
        self
    }

    fn preauthorized(mut self, profiles: &[&str], permission_sets: &[&str], active: u64, all: u64) -> OrgApp {
        self.usage.preauthorized = Preauthorized {
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
            permission_sets: permission_sets.iter().map(|s| s.to_string()).collect(),
            users_active: active,
            users_all: all,
        };
        self
    }

    fn permitted(mut self, permitted: Option<PermittedUsers>) -> OrgApp {
        self.usage.permitted_users = permitted;
        self
    }

    fn unread(mut self, reason: &str) -> OrgApp {
        self.usage.config = ConfigRead::Unread(reason.to_string());
        self.scopes.clear();
        self
    }

    /// The app as the normalizer gives it: from `source` (the instance, or a snapshot file).
    fn build(self, source: &str, kind: InputKind) -> App {
        let scopes: String = self
            .scopes
            .iter()
            .map(|s| format!("        <scopes>{s}</scopes>\n"))
            .collect();
        // The app's policy as the org states it, so the declared-app rules see what the usage says.
        let approved = match self.usage.permitted_users {
            Some(PermittedUsers::AdminApproved) => "        <isAdminApproved>true</isAdminApproved>\n",
            Some(PermittedUsers::AllUsers) => "        <isAdminApproved>false</isAdminApproved>\n",
            None => "",
        };
        let config = if scopes.is_empty() {
            String::new()
        } else {
            format!(
                "    <oauthConfig>\n        <callbackUrl>https://vendor.example/cb</callbackUrl>\n{approved}{scopes}    </oauthConfig>\n"
            )
        };
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>{}</label>\n{config}</ConnectedApp>\n",
            self.api_name
        );
        let mut app = scopeaudit::inputs::connected_app::parse(source, &xml).expect("the test app parses");
        // The label may hold what no XML file can (control characters): it is the org's.
        app.name = self.label.clone();
        app.source = Source::single(source, kind);
        let mut usage = self.usage;
        usage.label = self.label;
        usage.kind = self.kind;
        // As the normalizer leaves an app whose configuration could not be read: whether OAuth
        // is on is unknown, not "off".
        if matches!(usage.config, ConfigRead::Unread(_)) {
            app.settings.oauth_enabled = None;
        }
        app.org = Some(Box::new(usage));
        app
    }
}

fn summary(complete: bool) -> OrgSummary {
    OrgSummary {
        instance_url: INSTANCE.to_string(),
        org_id: "00D000000000001EAA".to_string(),
        api_version: "62.0".to_string(),
        taken_at: stamp("2026-11-23T10:00:00Z"),
        complete,
        api_calls: 42,
        api_usage: Some(ApiUsage {
            used: 1_234,
            max: 15_000,
        }),
        skipped: vec![Skipped {
            object: "ExternalClientOauthPolicy".to_string(),
            reason: "INVALID_TYPE: the org has no such object (an edition without External Client Apps)".to_string(),
        }],
        tokens_total: 1_391,
        uninstalled_apps: vec![UninstalledApp {
            name: "Old Exporter".to_string(),
            tokens: 40,
            users: 12,
            last_used: Some(stamp("2026-03-02T08:00:00Z")),
        }],
        stale_days: 90,
        credential: Some(AuditCredential {
            flow: "refresh_token".to_string(),
            scopes: Some(vec!["api".to_string(), "refresh_token".to_string()]),
        }),
        users_total: 2_000,
        users_active: 1_800,
        snapshot: None,
    }
}

/// An org with a broad app, a dormant External Client App, an app whose scopes could not be
/// read, and a quiet well-behaved one.
fn org_apps(source: &str, kind: InputKind) -> Vec<App> {
    vec![
        OrgApp::new("Ledger Sync", "Ledger_Sync", &["Api", "RefreshToken", "Full"])
            .tokens(1_200, 800, "2026-11-22T17:30:00Z", 345_678)
            .risky(310, 12, 45)
            .preauthorized(&["System Administrator", "Finance"], &["Ledger Access"], 140, 155)
            .build(source, kind),
        OrgApp::new("Dormant Dashboard", "Dormant_Dashboard", &["Api"])
            .eca()
            .tokens(150, 9, "2026-05-01T00:00:00Z", 20)
            .risky(150, 0, 0)
            .permitted(Some(PermittedUsers::AllUsers))
            .preauthorized(&[], &["Dashboard Users"], 30, 31)
            .build(source, kind),
        OrgApp::new("Locked Box", "Locked_Box", &["Api"])
            .unread("the Metadata API refused the token: INSUFFICIENT_ACCESS")
            .permitted(None)
            .tokens(1, 1, "2026-11-23T09:00:00Z", 1)
            .build(source, kind),
        OrgApp::new("Quiet Helper", "Quiet_Helper", &["OpenID"]).build(source, kind),
    ]
}

fn session() -> Session {
    let options = DataOptions {
        config: ConfigChoice::Skip,
        catalogs: None,
        rules: None,
    };
    Session::load(&options, Date::parse("2026-11-23").expect("a date")).expect("the embedded data loads")
}

fn report(apps: Vec<App>, errors: Vec<FileError>, org: OrgSummary) -> Report {
    session().report_with(apps, errors, Vec::new(), GateOptions::default(), Some(org))
}

/// A finding about the org itself, as the org rules give one (tokens of an app no longer
/// installed): no app, placed at the instance.
fn org_wide_finding(message: &str) -> scopeaudit::finding::Finding {
    scopeaudit::finding::Finding {
        rule: "uninstalled-app-tokens".to_string(),
        severity: scopeaudit::finding::Severity::Medium,
        app: None,
        scope: None,
        code: None,
        message: message.to_string(),
        remediation: "Revoke the tokens under Setup → Connected Apps OAuth Usage.".to_string(),
        location: scopeaudit::finding::Location::file(INSTANCE, None),
        fingerprint: "0123456789abcdef".to_string(),
        counts: Default::default(),
    }
}

struct Rendered {
    text: String,
    json: String,
    sarif: String,
    markdown: String,
    html: String,
}

fn render(report: &Report) -> Rendered {
    let mut text = Vec::new();
    text::render(report, false, &mut text).expect("text renders");
    let mut json = Vec::new();
    report.write_json(&mut json).expect("JSON renders");
    let mut sarif = Vec::new();
    sarif::render(report, &mut sarif).expect("SARIF renders");
    let templates = templates::Templates::default();
    let mut markdown = Vec::new();
    templates
        .render(templates::MARKDOWN, report, &mut markdown)
        .expect("Markdown renders");
    let mut html = Vec::new();
    templates
        .render(templates::HTML, report, &mut html)
        .expect("HTML renders");
    let utf8 = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    Rendered {
        text: utf8(text),
        json: utf8(json),
        sarif: utf8(sarif),
        markdown: utf8(markdown),
        html: utf8(html),
    }
}

fn snapshot_all(case: &str, out: &Rendered) {
    assert_snapshot(&format!("org-{case}.txt"), &out.text);
    assert_snapshot(&format!("org-{case}.json"), &out.json);
    assert_snapshot(&format!("org-{case}.sarif"), &out.sarif);
    assert_snapshot(&format!("org-{case}.md"), &out.markdown);
    assert_snapshot(&format!("org-{case}.html"), &out.html);
}

fn keys(value: &serde_json::Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn a_live_org_in_every_format() {
    let mut report = report(org_apps(INSTANCE, InputKind::SalesforceOrg), Vec::new(), summary(true));
    report.findings.push(org_wide_finding(
        "40 tokens of 12 users belong to `Old Exporter`, which is no longer installed.",
    ));
    let out = render(&report);
    snapshot_all("live", &out);
    // A finding about the org is shown with the org, not as the policy file's.
    for shown in [&out.text, &out.markdown, &out.html] {
        assert!(shown.contains("Org-wide findings"));
        assert!(!shown.contains("Policy file"));
    }
    let text_org = &out.text[..out.text.find("Ledger Sync (Salesforce)").expect("the first app")];
    assert!(text_org.contains("uninstalled-app-tokens"), "{text_org}");
    let sarif = json(&out.sarif);
    let result = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "uninstalled-app-tokens")
        .expect("the org-wide finding");
    let qualified = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        .as_str()
        .expect("a name");
    assert!(qualified.starts_with(INSTANCE), "{qualified}");
    assert!(result["locations"][0].get("physicalLocation").is_none());
    assert_valid_sarif(&sarif);
}

#[test]
fn json_uses_the_spec_field_names() {
    let out = render(&report(
        org_apps(INSTANCE, InputKind::SalesforceOrg),
        Vec::new(),
        summary(true),
    ));
    let report = json(&out.json);
    let org = &report["org"];
    assert_eq!(
        keys(org),
        BTreeSet::from([
            "instance_url",
            "org_id",
            "api_version",
            "taken_at",
            "complete",
            "api_calls",
            "api_usage",
            "skipped",
            "tokens_total",
            "uninstalled_apps",
            // Beyond SPEC section 6's list (additive):
            "stale_days",
            "credential",
            "users_total",
            "users_active",
        ])
    );
    assert_eq!(keys(&org["api_usage"]), BTreeSet::from(["used", "max"]));
    assert_eq!(keys(&org["skipped"][0]), BTreeSet::from(["object", "reason"]));
    assert_eq!(
        keys(&org["uninstalled_apps"][0]),
        BTreeSet::from(["name", "tokens", "users", "last_used"])
    );
    assert_eq!(org["taken_at"], "2026-11-23T10:00:00Z");
    assert_eq!(org["uninstalled_apps"][0]["last_used"], "2026-03-02T08:00:00Z");
    let apps = report["apps"].as_array().expect("apps");
    assert_eq!(apps.len(), 4);
    for app in apps {
        let usage = &app["org"];
        assert_eq!(
            keys(usage),
            BTreeSet::from([
                "kind",
                "id",
                "api_name",
                "label",
                "permitted_users",
                "tokens",
                "users",
                "last_used",
                "use_count",
                "stale_tokens",
                "inactive_user_tokens",
                "privileged_user_tokens",
                "preauthorized",
                // Beyond SPEC section 6's list (additive): whether the scopes were read.
                "config",
            ]),
            "{app}"
        );
        assert_eq!(
            keys(&usage["preauthorized"]),
            BTreeSet::from(["profiles", "permission_sets", "users_active", "users_all"])
        );
        // App `name` is the app's current label.
        assert_eq!(app["name"], usage["label"]);
    }
    let ledger = &apps[0]["org"];
    assert_eq!(ledger["kind"], "connected_app");
    assert_eq!(ledger["permitted_users"], "admin_approved");
    assert_eq!(ledger["tokens"], 1_200);
    assert_eq!(ledger["last_used"], "2026-11-22T17:30:00Z");
    assert_eq!(ledger["preauthorized"]["profiles"][1], "Finance");
    assert_eq!(apps[1]["org"]["kind"], "external_client_app");
    assert_eq!(apps[1]["org"]["permitted_users"], "all_users");
    assert_eq!(apps[3]["org"]["last_used"], serde_json::Value::Null);
    assert_eq!(
        apps[2]["org"]["config"],
        serde_json::json!({"status": "unread", "reason": "the Metadata API refused the token: INSUFFICIENT_ACCESS"})
    );
    assert_eq!(apps[0]["org"]["config"], serde_json::json!({"status": "read"}));
}

#[test]
fn an_incomplete_pull_says_so_everywhere() {
    let errors = vec![FileError::new(
        INSTANCE,
        "REQUEST_LIMIT_EXCEEDED: the org's daily API limit was reached while reading OauthToken (1,000 of 1,391 tokens read)",
    )];
    let mut apps = org_apps(INSTANCE, InputKind::SalesforceOrg);
    apps.truncate(2);
    let report = report(apps, errors, summary(false));
    assert!(!report.complete && !report.gate.passed);
    let out = render(&report);
    snapshot_all("incomplete", &out);
    assert!(out.text.starts_with("INCOMPLETE: the org pull stopped"), "{}", out.text);
    assert!(out.text.contains("the pull is incomplete"));
    assert!(out.text.contains("(the org pull stopped early; exit 3)"));
    assert!(out.markdown.contains("The org pull stopped before everything was read"));
    assert!(out.html.contains("The org pull stopped before everything was read"));
    for shown in [&out.text, &out.markdown, &out.html] {
        assert!(
            shown.contains("ExternalClientOauthPolicy"),
            "the skipped object is named"
        );
        assert!(shown.contains("daily API limit was reached"), "the error is shown");
    }
    // The banner names what stopped the pull before anything else.
    for (shown, error) in [
        (&out.text, "REQUEST_LIMIT_EXCEEDED"),
        (&out.markdown, "REQUEST\\_LIMIT\\_EXCEEDED"),
        (&out.html, "REQUEST_LIMIT_EXCEEDED"),
    ] {
        let error = shown.find(error).expect("the error is shown");
        assert!(
            error < shown.find("Salesforce org").expect("the org summary"),
            "{shown}"
        );
    }
    let sarif = json(&out.sarif);
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], false);
    assert_eq!(json(&out.json)["org"]["complete"], false);
}

#[test]
fn an_incomplete_pull_without_errors_is_still_incomplete() {
    let report = report(org_apps(INSTANCE, InputKind::SalesforceOrg), Vec::new(), summary(false));
    let out = render(&report);
    assert!(out.text.starts_with("INCOMPLETE: the org pull stopped"), "{}", out.text);
    assert!(!out.text.contains("0 inputs could not be read"));
    let sarif = json(&out.sarif);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .any(|n| n["level"] == "error"));
}

#[test]
fn an_app_whose_scopes_could_not_be_read_never_reads_as_requesting_nothing() {
    let apps = vec![OrgApp::new("Locked Box", "Locked_Box", &[])
        .unread("the Metadata API refused the token: INSUFFICIENT_ACCESS")
        .build(INSTANCE, InputKind::SalesforceOrg)];
    // An org with nothing else to say (no uninstalled app's tokens, whose finding would fail
    // the gate on its own).
    let mut quiet = summary(true);
    quiet.uninstalled_apps.clear();
    let report = report(apps, Vec::new(), quiet);
    // Unknown scopes cannot be judged: the app has no verdict, the whole has reservations.
    assert_eq!(report.apps[0].verdict, scopeaudit::report::ReviewVerdict::Incomplete);
    assert_eq!(
        report.verdict,
        scopeaudit::report::ReviewVerdict::AcceptableWithReservations
    );
    let out = render(&report);
    for (format, shown) in [("text", &out.text), ("markdown", &out.markdown), ("html", &out.html)] {
        assert!(
            shown.contains("the Metadata API refused the token"),
            "{format} does not say why the scopes are unknown"
        );
        for wrong in [
            "requests no OAuth scopes",
            "none requested",
            "0 scopes requested",
            "requests exactly what",
            "no scopes",
        ] {
            assert!(!shown.contains(wrong), "{format} says `{wrong}`:\n{shown}");
        }
    }
    assert!(out
        .text
        .contains("scopes: could not be read (the Metadata API refused the token"));
    assert!(out
        .text
        .contains("least privilege: not computed (the app's scopes could not be read)"));
    assert!(out.markdown.contains("could not be read"));
    assert!(out.html.contains("could not be read"));
}

/// Every string the org gives: the app's label and API name, profile and permission set
/// names, reasons, uninstalled apps' names.
fn hostile_report() -> Report {
    let apps = vec![
        OrgApp::new(HOSTILE, "Evil_App", &["Api", "Full"])
            .tokens(5, 2, "2026-11-01T00:00:00Z", 9)
            .risky(1, 1, 1)
            .preauthorized(&[HOSTILE], &[HOSTILE], 3, 4)
            .build(INSTANCE, InputKind::SalesforceOrg),
        OrgApp::new(&format!("Unread {HOSTILE}"), "Unread_App", &[])
            .unread(HOSTILE)
            .build(INSTANCE, InputKind::SalesforceOrg),
    ];
    let mut org = summary(false);
    org.skipped[0].reason = HOSTILE.to_string();
    org.uninstalled_apps[0].name = HOSTILE.to_string();
    let mut report = report(apps, Vec::new(), org);
    report
        .findings
        .push(org_wide_finding(&format!("tokens of `{HOSTILE}`")));
    report
}

#[test]
fn hostile_org_strings_are_neutralized_in_every_format() {
    let out = render(&hostile_report());
    snapshot_all("hostile", &out);
    // No raw escape, carriage return or bidi override reaches a person.
    for (format, shown) in [
        ("text", &out.text),
        ("markdown", &out.markdown),
        ("html", &out.html),
        ("sarif", &out.sarif),
    ] {
        assert!(!shown.contains('\u{1b}'), "{format} has a raw escape");
        assert!(!shown.contains('\u{202e}'), "{format} has a bidi override");
        assert!(!shown.contains('\r'), "{format} has a carriage return");
    }
    assert!(out.text.contains("\\x1b[32mgate passed"));
    // HTML: our tags only.
    assert!(!out.html.contains("<script"), "markup from the org became a tag");
    assert!(out.html.contains("&lt;script&gt;"));
    assert!(!out.html.contains("href=\"javascript"));
    // Markdown: no input opens markup, a link, a code span or a table cell.
    // Outside code spans (where CommonMark shows text as it is) nothing is markup or a link.
    for line in out.markdown.lines() {
        let prose = markdown_prose(line);
        assert!(
            !prose.contains("<script") && !prose.contains("[x](javascript"),
            "markup in prose: {line}"
        );
    }
    assert_tables_keep_their_columns(&out.markdown);
    // The org summary and coverage quote the org's names as text: every backtick escaped.
    // (Findings, ours or the rules', show their code as code: they are left out here.)
    let md = &out.markdown;
    let at = |heading: &str| md.find(heading).unwrap_or_else(|| panic!("{heading}"));
    for (from, to) in [
        (at("## Salesforce org"), at("### Org-wide findings")),
        (at("### Coverage"), at("## Summary")),
    ] {
        let part = &md[from..to];
        assert!(part.contains("\\`tick\\`"), "{part}");
        assert!(
            !part.replace("\\`", "").contains('`'),
            "a code span opened from input: {part}"
        );
    }
    // JSON keeps the org's text as it is.
    let report = json(&out.json);
    assert_eq!(report["apps"][0]["name"], HOSTILE);
    assert_eq!(report["org"]["uninstalled_apps"][0]["name"], HOSTILE);
}

/// A Markdown line without its code spans, paired as CommonMark pairs them (backtick runs of
/// the same length); an unpaired run is prose.
fn markdown_prose(line: &str) -> String {
    let mut rest = line;
    let mut prose = String::new();
    while let Some(open) = rest.find('`') {
        let run = rest[open..].chars().take_while(|c| *c == '`').count();
        prose.push_str(&rest[..open]);
        let after = &rest[open + run..];
        match after.find(&"`".repeat(run)) {
            Some(close) => rest = &after[close + run..],
            None => rest = after,
        }
    }
    prose.push_str(rest);
    prose.replace("\\`", "")
}

/// Every row of every Markdown table has as many cells as its header: no input opened a cell.
fn assert_tables_keep_their_columns(markdown: &str) {
    let cells = |line: &str| line.replace("\\|", "").matches('|').count();
    let mut expected = None;
    let mut previous = "";
    let mut tables = 0;
    for line in markdown.lines() {
        if line.starts_with("|---") {
            expected = Some(cells(previous));
            tables += 1;
        } else if !line.starts_with('|') {
            expected = None;
        } else if let Some(n) = expected {
            assert_eq!(cells(line), n, "a table row grew a cell: {line}");
        }
        previous = line;
    }
    assert!(tables >= 3, "the org tables are there");
}

/// The official SARIF 2.1.0 schema, as tests/reports.rs reads it (its `language` pattern has
/// a stray `]` that strict regex engines reject; corrected in memory).
fn sarif_validator() -> jsonschema::Validator {
    fn fix_language_pattern(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                if m.get("pattern").and_then(|p| p.as_str()) == Some("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$") {
                    m.insert("pattern".into(), "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into());
                }
                m.values_mut().for_each(fix_language_pattern)
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(fix_language_pattern),
            _ => {}
        }
    }
    let mut schema = json(&std::fs::read_to_string(common::root().join("tests/sarif-schema-2.1.0.json")).unwrap());
    fix_language_pattern(&mut schema);
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

fn assert_valid_sarif(sarif: &serde_json::Value) {
    let errors: Vec<String> = sarif_validator()
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations:\n{}", errors.join("\n"));
}

#[test]
fn sarif_for_a_live_org_uses_logical_locations() {
    let out = render(&report(
        org_apps(INSTANCE, InputKind::SalesforceOrg),
        Vec::new(),
        summary(true),
    ));
    let sarif = json(&out.sarif);
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let location = &r["locations"][0];
        assert!(location.get("physicalLocation").is_none(), "a file for a live org: {r}");
        let logical = &location["logicalLocations"][0];
        assert_eq!(logical["kind"], "resource");
        let name = logical["fullyQualifiedName"].as_str().expect("a name");
        assert!(name.starts_with(&format!("{INSTANCE}/")), "{name}");
    }
    let ledger = results
        .iter()
        .find(|r| r["properties"]["app"].as_str().is_some_and(|a| a.contains("ledger")))
        .expect("a finding about Ledger Sync");
    assert_eq!(
        ledger["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("{INSTANCE}/ConnectedApp/Ledger_Sync")
    );
    let dormant = results
        .iter()
        .find(|r| r["properties"]["app"].as_str().is_some_and(|a| a.contains("dormant")));
    if let Some(dormant) = dormant {
        assert_eq!(
            dormant["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            format!("{INSTANCE}/ExternalClientApplication/Dormant_Dashboard")
        );
    }
    assert_eq!(sarif["runs"][0]["invocations"][0]["executionSuccessful"], true);
    // The hostile and incomplete runs are valid too.
    assert_valid_sarif(&json(&render(&hostile_report()).sarif));
}

#[test]
fn sarif_for_a_snapshot_points_at_the_snapshot_file() {
    // As the snapshot reader gives it: where the org-wide facts are in the file.
    let mut from_file = summary(true);
    from_file.snapshot = Some(scopeaudit::model::org::SnapshotSource {
        path: SNAPSHOT.to_string(),
        credential_line: Some(12),
        uninstalled_lines: [("Old Exporter".to_string(), 40)].into_iter().collect(),
    });
    let out = render(&report(
        org_apps(SNAPSHOT, InputKind::OrgSnapshot),
        Vec::new(),
        from_file,
    ));
    snapshot_all("snapshot", &out);
    let sarif = json(&out.sarif);
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let physical = &r["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], SNAPSHOT, "{r}");
        assert!(physical["region"]["startLine"].as_u64().is_some());
        // The app in the org it was taken from, beside the file (org-wide findings have no app).
        if r["properties"]["app"].is_null() {
            continue;
        }
        let logical = &r["locations"][0]["logicalLocations"][0];
        assert!(logical["fullyQualifiedName"]
            .as_str()
            .is_some_and(|n| n.starts_with(INSTANCE)));
    }
}

#[test]
fn declared_apps_show_no_org_sections() {
    let apps = scopeaudit::inputs::load_paths(&["examples/over-privileged-salesforce.yaml".to_string()]);
    let report = session().report(apps.apps, Vec::new(), Vec::new(), GateOptions::default());
    let out = render(&report);
    let json = json(&out.json);
    assert!(json.get("org").is_none());
    assert!(json["apps"][0].get("org").is_none());
    assert!(!out.text.contains("Salesforce org") && !out.text.contains("Coverage"));
    assert!(!out.markdown.contains("## Salesforce org") && !out.markdown.contains("Coverage"));
    assert!(!out.html.contains("Salesforce org") && !out.html.contains("Coverage"));
}

#[test]
fn a_large_org_keeps_usage_in_the_compact_markdown() {
    // Past 25 apps the Markdown report is compact (it must fit a GitHub job summary); each
    // app's line still carries its org usage, and the org summary still comes first.
    let apps: Vec<App> = (0..30)
        .map(|i| {
            let app = OrgApp::new(
                &format!("Vendor App {i:02}"),
                &format!("Vendor_App_{i:02}"),
                &["Api", "Full"],
            )
            .tokens(100 + i, 10, "2026-06-01T00:00:00Z", 1_000)
            .risky(100 + i, 0, 1);
            let app = if i == 7 { app.unread("INSUFFICIENT_ACCESS") } else { app };
            app.build(INSTANCE, InputKind::SalesforceOrg)
        })
        .collect();
    let out = render(&report(apps, Vec::new(), summary(true)));
    let md = &out.markdown;
    assert!(md.contains("## Remediation by rule"), "not compact");
    assert!(md.find("## Salesforce org") < md.find("## Summary"));
    assert_eq!(md.matches("· Connected App Vendor\\_App\\_").count(), 30, "{md}");
    assert!(md.contains("· 129 tokens held by 10 users, last used 2026-06-01 (175 days before the pull) (129 stale, 1 of privileged users (Modify or View All Data))"));
    assert!(md.contains("scopes: could not be read (INSUFFICIENT\\_ACCESS)"));
    // The section names the app; its findings need no place (nor a line, which it has not).
    assert!(md.contains("- **CRITICAL** `excess-scope` full\n"), "{md}");
    assert!(!md.contains(" · line "));
    assert!(md.contains("- **Highest risk:** [Vendor App "));
    assert!(md.contains(", and 24 more graded D or F."), "{md}");
}
