//! The catalogs and rules as data: complete, unambiguous, consistent with the reference.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use scopeaudit::catalog::{Sensitivity, Status};
use scopeaudit::data;
use scopeaudit::model::Platform;
use strum::VariantArray as _;

const OIDC_SCOPES: [&str; 36] = [
    "address",
    "api",
    "cdp_api",
    "cdp_calculated_insight_api",
    "cdp_identityresolution_api",
    "cdp_ingest_api",
    "cdp_profile_api",
    "cdp_query_api",
    "cdp_segment_api",
    "chatbot_api",
    "chatter_api",
    "content",
    "custom_permissions",
    "data_cloud_user_claims",
    "eclair_api",
    "einstein_gpt_api",
    "email",
    "forgot_password",
    "full",
    "id",
    "interaction_api",
    "lightning",
    "mcp_api",
    "offline_access",
    "openid",
    "pardot_api",
    "phone",
    "profile",
    "pwdless_login_api",
    "refresh_token",
    "scrt_api",
    "sfap_api",
    "user_registration_api",
    "visualforce",
    "wave_api",
    "web",
];

/// Every `ConnectedAppOauthAccessScope` metadata value and the scope it means.
const CONNECTED_APP_VALUES: [(&str, &str); 33] = [
    ("Basic", "id"),
    ("Api", "api"),
    ("Web", "web"),
    ("Full", "full"),
    ("Chatter", "chatter_api"),
    ("CustomApplications", "visualforce"),
    ("RefreshToken", "refresh_token"),
    ("OpenID", "openid"),
    ("Profile", "id"),
    ("Email", "id"),
    ("Address", "id"),
    ("Phone", "id"),
    ("OfflineAccess", "refresh_token"),
    ("CustomPermissions", "custom_permissions"),
    ("Wave", "wave_api"),
    ("Eclair", "eclair_api"),
    ("Pardot", "pardot_api"),
    ("Lightning", "lightning"),
    ("Content", "content"),
    ("CDPIngest", "cdp_ingest_api"),
    ("CDPProfile", "cdp_profile_api"),
    ("CDPQuery", "cdp_query_api"),
    ("Chatbot", "chatbot_api"),
    ("CDPSegment", "cdp_segment_api"),
    ("CDPIdentityResolution", "cdp_identityresolution_api"),
    ("CDPCalculatedInsight", "cdp_calculated_insight_api"),
    ("ForgotPassword", "forgot_password"),
    ("UserRegistration", "user_registration_api"),
    ("PwdlessLogin", "pwdless_login_api"),
    ("SFAP", "sfap_api"),
    ("Interaction", "interaction_api"),
    ("CDP", "cdp_api"),
    ("EinsteinGPT", "einstein_gpt_api"),
];

#[test]
fn embedded_catalogs_and_rules_load_and_validate() {
    let catalogs = data::load_catalogs(None).expect("embedded catalogs are valid");
    for &platform in Platform::VARIANTS {
        data::embedded_catalog_strict(platform).expect("embedded catalog is valid");
    }
    let rules = data::load_rules(None, &catalogs, true).expect("embedded rules are valid, patterns compiled");
    assert!(rules.rules.len() >= 28);
    // The YAML path (used for --catalogs) reads the same files to the same result.
    let from_yaml = data::load_catalogs(Some(&root().join("scope-catalogs"))).expect("YAML catalogs load");
    for &platform in Platform::VARIANTS {
        assert_eq!(from_yaml.get(platform).scopes, catalogs.get(platform).scopes);
    }
}

#[test]
fn salesforce_catalog_is_exactly_the_discovery_list_with_every_metadata_value() {
    let catalogs = data::load_catalogs(None).unwrap();
    let sf = catalogs.get(Platform::Salesforce);
    let mut ids: Vec<&str> = sf.scopes.iter().map(|s| s.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, OIDC_SCOPES);
    for (value, scope) in CONNECTED_APP_VALUES {
        assert_eq!(sf.resolve(value).map(|e| e.id.as_str()), Some(scope), "{value}");
    }
    for (token, scope) in [
        ("SFApiPlatform", "sfap_api"),
        ("MCP", "mcp_api"),
        ("SCRT", "scrt_api"),
        ("DataCloudUserClaims", "data_cloud_user_claims"),
        ("OauthScopesSSO", "id"),
        ("OauthScopesVF", "visualforce"),
    ] {
        assert_eq!(sf.resolve(token).map(|e| e.id.as_str()), Some(scope), "{token}");
    }
    // Implications from the reference.
    for other in OIDC_SCOPES
        .iter()
        .filter(|s| !["full", "refresh_token", "offline_access"].contains(s))
    {
        let canonical = sf.resolve(other).unwrap().id.clone();
        assert!(sf.covers("full", &canonical), "full covers {other}");
    }
    assert!(!sf.covers("full", "refresh_token"));
    assert!(sf.covers("api", "chatter_api") && sf.covers("web", "visualforce"));
    assert!(!sf.covers("api", "web"));
    assert_eq!(sf.entry("lightning").unwrap().requires, ["web"]);
}

#[test]
fn hubspot_catalog_covers_sensitive_coarse_and_removed_scopes() {
    let catalogs = data::load_catalogs(None).unwrap();
    let hs = catalogs.get(Platform::Hubspot);
    assert!(hs.scopes.len() >= 200, "{}", hs.scopes.len());
    for object in ["contacts", "companies", "deals", "appointments", "custom", "projects"] {
        let id = format!("crm.objects.{object}.sensitive.read");
        assert_eq!(
            hs.resolve(&id).map(|e| e.sensitivity),
            Some(Sensitivity::Sensitive),
            "{id}"
        );
    }
    for object in ["contacts", "companies", "deals", "custom", "projects"] {
        for dir in ["read", "write"] {
            let id = format!("crm.objects.{object}.highly_sensitive.{dir}");
            assert_eq!(
                hs.resolve(&id).map(|e| e.sensitivity),
                Some(Sensitivity::HighlySensitive),
                "{id}"
            );
        }
    }
    assert_eq!(
        hs.resolve("tickets.highly_sensitive.v2").unwrap().id,
        "tickets.highly_sensitive"
    );
    assert_eq!(hs.resolve("contacts").unwrap().status, Status::Removed);
    assert_eq!(hs.resolve("reports").unwrap().status, Status::Removed);
    for coarse in ["content", "hubdb", "files", "tickets", "e-commerce"] {
        assert_eq!(hs.resolve(coarse).unwrap().status, Status::Coarse, "{coarse}");
    }
    // Coarse means a granular replacement exists (SCHEMA.md); workflows and forms have none.
    for current in ["automation", "forms"] {
        assert_eq!(hs.resolve(current).unwrap().status, Status::Current, "{current}");
    }
    assert!(hs
        .resolve("hubdb")
        .unwrap()
        .replaced_by
        .contains(&"hubdb.tables.read".to_string()));
    assert_eq!(
        hs.resolve("crm.objects.feedback_submission.read").unwrap().id,
        "crm.objects.feedback_submissions.read"
    );
    assert_eq!(hs.least_privilege.always, ["oauth"]);
    let read = |name: &str| hs.needs().target(name).and_then(|t| t.read.clone()).map(|n| n.all_of);
    assert_eq!(
        read("Contact"),
        Some(vec![vec!["crm.objects.contacts.read".to_string()]])
    );
    // Custom objects by the shapes HubSpot names them with; a bare unknown name is not one.
    for custom in ["p_pets", "p12345_pets", "2-3465404"] {
        assert_eq!(
            read(custom),
            Some(vec![vec!["crm.objects.custom.read".to_string()]]),
            "{custom}"
        );
    }
    assert!(
        hs.needs().target("pets").is_none(),
        "an unknown name is never taken for a custom object"
    );
}

#[test]
fn every_entry_has_its_own_words_and_a_source() {
    let catalogs = data::load_catalogs(None).unwrap();
    for catalog in [catalogs.get(Platform::Salesforce), catalogs.get(Platform::Hubspot)] {
        let mut seen = std::collections::BTreeSet::new();
        for entry in &catalog.scopes {
            assert!(
                entry.source.starts_with("https://"),
                "{}: source {}",
                entry.id,
                entry.source
            );
            assert!(
                entry.grants.split_whitespace().count() >= 6,
                "{}: grants too thin",
                entry.id
            );
            assert!(
                seen.insert(entry.grants.clone()),
                "{}: grants text repeats another entry's",
                entry.id
            );
        }
        assert_eq!(catalog.checked.len(), 10, "checked date YYYY-MM-DD");
    }
}

#[test]
fn catalogs_flag_overrides_the_embedded_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join("scope-catalogs/salesforce.yaml")).unwrap();
    text = text.replacen(
        "scopes:\n",
        "scopes:\n  - id: acme_reports\n    title: Acme custom reports\n    grants: Runs the org-defined Acme reporting API for the signed-in user.\n    access: read\n    risk: low\n    sensitivity: business\n    status: current\n    source: https://example.com/acme\n",
        1,
    );
    write(dir.path(), "salesforce.yaml", &text);
    let d = dir.path().to_str().unwrap();
    let report = |extra: &[&str]| {
        let mut args = vec![
            "--scopes",
            "acme_reports",
            "--platform",
            "salesforce",
            "--no-config",
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        json(&audit(&args).stdout)
    };
    assert_eq!(rules_in(&report(&[])), ["unknown-scope"]);
    let after = report(&["--catalogs", d]);
    assert!(!rules_in(&after).contains(&"unknown-scope".to_string()));

    write(dir.path(), "hubspot.yaml", "platform: hubspot\nchecked: \"2026-11-23\"\nscopes:\n  - id: a\n    title: A\n    aliases: [B]\n    grants: g\n    access: read\n    risk: low\n    sensitivity: none\n    status: current\n    source: s\n    implies: [nope]\n  - id: b\n    title: B\n    grants: g\n    access: read\n    risk: low\n    sensitivity: none\n    status: current\n    source: s\n");
    let bad = audit(&[
        "--scopes",
        "api",
        "--platform",
        "salesforce",
        "--no-config",
        "--catalogs",
        d,
    ]);
    assert_eq!(bad.code, 2);
    let hubspot_path = dir.path().join("hubspot.yaml");
    let h = hubspot_path.display();
    let lines: Vec<&str> = bad.stderr.lines().collect();
    assert_eq!(
        lines[..2],
        [
            format!("error: {h}: scope `b`: name `b` is also used by `a`"),
            format!("error: {h}: scope `a`: implies names `nope`, which is not a scope id"),
        ]
    );
    // The embedded needs table names scopes this catalog lacks: one line, not hundreds.
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[2].starts_with(&format!(
        "error: {h}: the embedded needs table does not fit this catalog ("
    )));
    assert!(lines[2].ends_with("; give hubspot-needs.yaml too"), "{}", lines[2]);
}

#[test]
fn rules_flag_adds_rules_and_validates_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "no-chatter.yaml",
        "id: no-chatter\ntitle: Chatter is not allowed here\nseverity: critical\nplatforms: [salesforce]\nsubject: scope\nwhen:\n  scope: [Chatter]\nmessage: \"{app} asks for {scope}\"\nremediation: Remove it.\ndocs: Our policy bans Chatter access.\nhelp_uri: https://example.com/policy\n",
    );
    let d = dir.path().to_str().unwrap();
    let out = audit(&[
        "--scopes",
        "chatter_api",
        "--platform",
        "salesforce",
        "--no-config",
        "-f",
        "json",
        "--rules",
        d,
    ]);
    assert_eq!(out.code, 1);
    let report = json(&out.stdout);
    assert_eq!(report["findings"][0]["rule"], "no-chatter");
    assert_eq!(
        report["findings"][0]["message"],
        "Scope list (Salesforce) asks for chatter_api"
    );

    write(
        dir.path(),
        "broken.yaml",
        "id: broken-rule\ntitle: T\nseverity: high\nplatforms: [hubspot]\nsubject: app\nwhen:\n  all:\n    - scope_is: [x]\n    - verdict: [excess]\n    - app_requests: [not.a.scope]\n    - setting: {name: colour, equals: red}\nmessage: \"{app} {url}\"\nremediation: R\ndocs: D\nhelp_uri: http://example.com\n",
    );
    let bad = audit(&["examples/", "--no-config", "--rules", d]);
    assert_eq!(bad.code, 2);
    let lines: Vec<&str> = bad.stderr.lines().collect();
    assert_eq!(lines.len(), 7, "every problem at once:\n{}", bad.stderr);
    assert!(
        lines[0].ends_with("broken.yaml: id `broken-rule` differs from the file name `broken.yaml`"),
        "{}",
        lines[0]
    );
    assert!(bad
        .stderr
        .contains("when.all[0].scope_is: unknown predicate `scope_is`"));
    assert!(bad
        .stderr
        .contains("when.all[1].verdict: predicate `verdict` cannot be used with subject app"));
    assert!(bad
        .stderr
        .contains("when.all[2].app_requests: scope `not.a.scope` is not in the hubspot catalog"));
    assert!(bad.stderr.contains("when.all[3].setting: unknown setting `colour`"));
    assert!(bad
        .stderr
        .contains("message: unknown placeholder `{url}` for subject app"));
    assert!(bad
        .stderr
        .contains("help_uri `http://example.com` must be an https URL"));
}

#[test]
fn a_waiver_rule_may_use_only_what_a_waiver_has() {
    // App predicates and {platform} used to be silently false and empty for waiver rules.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "waiver-check.yaml",
        "id: waiver-check\ntitle: T\nseverity: low\nplatforms: [salesforce]\nsubject: ignore\nwhen:\n  all:\n    - ignore_state: [unused]\n    - has_tools: true\nmessage: \"{ignore_rule} on {platform} ({setting:admin_approved})\"\nremediation: R\ndocs: D\nhelp_uri: https://example.com\n",
    );
    let out = audit(&["examples/", "--no-config", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    assert!(lines[0].ends_with(
        "when.all[1].has_tools: predicate `has_tools` cannot be used with subject ignore; it may use: all, any, not, ignore_state"
    ), "{}", lines[0]);
    assert!(
        lines[1].ends_with(
            "message: unknown placeholder `{platform}` for subject ignore; known: app, ignore_rule, reason, expires"
        ),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("unknown placeholder `{setting:admin_approved}` for subject ignore"));
}

#[test]
fn alias_bomb_in_a_rule_is_refused() {
    // `when` takes any YAML value, so aliases inside it really are expanded (a manifest's
    // typed fields reject them before that): a billion-laughs document must be refused.
    let mut when = String::from("when:\n  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        when.push_str(&format!(
            "  - &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let rule = format!("id: bomb\ntitle: T\nseverity: low\nplatforms: [hubspot]\nsubject: app\n{when}message: m\nremediation: r\ndocs: d\nhelp_uri: https://example.com\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bomb.yaml", &rule);
    let out = audit(&["examples/", "--no-config", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: ")
            && out.stderr.ends_with("bomb.yaml:11:45: when[4][7]: aliases (`*name`) expand to more than 100000 values: refused, as an alias bomb would be\n"),
        "{}",
        out.stderr
    );
}
