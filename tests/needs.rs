//! The needs tables (`scope-catalogs/<platform>-needs.yaml`) through the engine: every row of
//! both tables becomes a manifest tool, audited by the real binary, and the mappings issue 10
//! names are checked one by one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// The table as `scopes PLATFORM --objects --format json` prints it.
fn table(platform: &str) -> Value {
    let out = run(scopeaudit().args(["scopes", platform, "--objects", "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

const ACCESSES: [&str; 4] = ["read", "create", "update", "delete"];

/// The YAML of a tool that touches `target` (a per-object feature as `feature:` with `of:`).
fn tool(target: &Value, access: &str) -> String {
    let name = target["name"].as_str().unwrap();
    let kind = target["kind"].as_str().unwrap();
    // A target that serves custom objects by shape is named by one of its examples.
    let named = target["shapes"]
        .as_array()
        .and_then(|s| s.first())
        .map_or(name.to_string(), |s| s["example"].as_str().unwrap().to_string());
    let touches = match (kind, name.split_once(':')) {
        ("object" | "engagement", _) => format!("object: \"{named}\""),
        (_, Some((feature, object))) => format!("feature: {feature}\n    of: [\"{object}\"]"),
        (_, None) => format!("feature: {name}"),
    };
    format!("  - name: \"{access} {name}\"\n    {touches}\n    access: {access}\n")
}

fn manifest(platform: &str, app: &str, scopes: &BTreeSet<String>, tool: &str) -> String {
    let mut text = format!("app: \"{app}\"\nplatform: {platform}\nscopes:\n");
    for s in scopes {
        text.push_str(&format!("  - scope: {s}\n    justification: row test\n"));
    }
    text.push_str("tools:\n");
    text.push_str(tool);
    text
}

/// Every (target, access) row of a platform's table: an app that requests the preferred scope
/// of each group must have everything it needs (no `missing-scope`, every scope `needed`),
/// and the same app without the first group's scopes must get `missing-scope`.
fn every_row_through_the_engine(platform: &str, always: &[&str]) {
    let table = table(platform);
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for (t, target) in table["targets"].as_array().unwrap().iter().enumerate() {
        for access in ACCESSES {
            let Some(need) = target.get(access).filter(|n| !n.is_null()) else {
                continue;
            };
            let groups: Vec<Vec<String>> = serde_json::from_value(need["all_of"].clone()).unwrap();
            let preferred: BTreeSet<String> = groups
                .iter()
                .map(|g| g[0].clone())
                .chain(always.iter().map(|s| s.to_string()))
                .collect();
            let yaml = tool(target, access);
            let full = format!("row {t} {access} full");
            write(
                dir.path(),
                &format!("row-{t}-{access}-full.yaml"),
                &manifest(platform, &full, &preferred, &yaml),
            );
            // Without the first group (unless another group's preferred scope also serves it).
            let first: BTreeSet<&String> = groups[0].iter().collect();
            let lacking: BTreeSet<String> = preferred.iter().filter(|s| !first.contains(s)).cloned().collect();
            let short = format!("row {t} {access} short");
            let checks_missing = !lacking.is_empty() && lacking.len() < preferred.len();
            if checks_missing {
                write(
                    dir.path(),
                    &format!("row-{t}-{access}-short.yaml"),
                    &manifest(platform, &short, &lacking, &yaml),
                );
            }
            rows.push((
                full,
                short,
                checks_missing,
                target["name"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert!(rows.len() > 50, "{platform}: only {} rows", rows.len());
    let out = audit(&[
        dir.path().to_str().unwrap(),
        "--no-config",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.code, 0, "{platform}: {}", out.stderr);
    let report = json(&out.stdout);
    let apps = report["apps"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    let by_name = |name: &str| {
        apps.iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no app {name}"))
    };
    let missing_of = |app: &Value| -> usize {
        findings
            .iter()
            .filter(|f| f["app"] == app["id"] && f["rule"] == "missing-scope")
            .count()
    };
    let mut failures = Vec::new();
    for (full, short, checks_missing, target) in &rows {
        let app = by_name(full);
        if missing_of(app) != 0 {
            failures.push(format!(
                "{full} ({target}): missing-scope with every group's scope requested"
            ));
        }
        for s in app["scopes"].as_array().unwrap() {
            if s["verdict"] != "needed" {
                failures.push(format!(
                    "{full} ({target}): `{}` is {}: {}",
                    s["scope"], s["verdict"], s["verdict_reason"]
                ));
            }
        }
        if *checks_missing && missing_of(by_name(short)) == 0 {
            failures.push(format!("{short} ({target}): no missing-scope without the first group"));
        }
    }
    assert!(
        failures.is_empty(),
        "{platform}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_hubspot_row_runs_through_the_engine() {
    every_row_through_the_engine("hubspot", &["oauth"]);
}

#[test]
fn every_salesforce_row_runs_through_the_engine() {
    every_row_through_the_engine("salesforce", &[]);
}

/// The groups of one row, as "a|b + c".
fn need(platform: &str, target: &str, access: &str) -> String {
    let table = table(platform);
    let row = table["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == target)
        .unwrap_or_else(|| panic!("{platform}: no target {target}"));
    let groups: Vec<Vec<String>> = serde_json::from_value(row[access]["all_of"].clone()).unwrap();
    groups.iter().map(|g| g.join("|")).collect::<Vec<_>>().join(" + ")
}

#[test]
fn the_mappings_the_fact_check_found_wrong_are_right() {
    // Engagements: every released version of the calls, notes, meetings and tasks endpoints
    // accepts only the contacts scopes.
    for engagement in ["calls", "notes", "meetings", "tasks"] {
        assert_eq!(
            need("hubspot", engagement, "read"),
            "crm.objects.contacts.read",
            "{engagement}"
        );
        assert_eq!(
            need("hubspot", engagement, "create"),
            "crm.objects.contacts.write",
            "{engagement}"
        );
    }
    // Deleting files needs a delete-capable scope, `files.delete` first.
    assert!(need("hubspot", "files", "delete").starts_with("files.delete|"));
    assert!(!need("hubspot", "files", "delete").starts_with("files.write"));
    // Custom object schemas: the schema scopes, not the object scopes.
    assert_eq!(need("hubspot", "schemas", "create"), "crm.schemas.custom.write");
    assert!(need("hubspot", "schemas", "read").starts_with("crm.schemas.custom.read"));
    // Imports and exports.
    assert!(need("hubspot", "imports", "create").contains("crm.import"));
    assert!(need("hubspot", "exports", "create").contains("crm.export"));
    // "All of": changing a list needs both list scopes.
    assert_eq!(
        need("hubspot", "lists", "update"),
        "crm.lists.read + crm.lists.write|cms.membership.access_groups.write"
    );
    // Salesforce: Data Cloud, the Agent API and the Models API need `api` with their own scopes.
    assert_eq!(
        need("salesforce", "data_cloud_query", "read"),
        "api + cdp_query_api|cdp_api"
    );
    assert_eq!(
        need("salesforce", "agent_api", "read"),
        "api + sfap_api + chatbot_api + refresh_token"
    );
    assert_eq!(
        need("salesforce", "models_api", "read"),
        "api + sfap_api + refresh_token"
    );
    // A feature that needs a refresh token whatever the flow.
    assert!(need("salesforce", "mcp", "read").ends_with("+ refresh_token"));
}

#[test]
fn engagements_and_api_families_in_a_manifest_get_their_needs_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "hs.yaml",
        "app: Call Logger
platform: hubspot
scopes:
  - scope: oauth
  - scope: crm.objects.contacts.read
  - scope: crm.objects.contacts.write
  - scope: crm.schemas.deals.read
tools:
  - {name: Log calls, object: calls, access: create}
  - {name: Read call history, object: calls, access: read}
  - {name: Deal fields, feature: properties, of: deals, access: read}
",
    );
    let out = audit(&[
        dir.path().join("hs.yaml").to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    let app = &report["apps"][0];
    for s in app["scopes"].as_array().unwrap() {
        assert_eq!(s["verdict"], "needed", "{s}");
    }
    let write_reason = app["scopes"][2]["verdict_reason"].as_str().unwrap();
    assert!(
        write_reason.contains("tool `Log calls` (create calls; per POST /crm/objects/"),
        "the reason names the tool and the operation: {write_reason}"
    );
    let tools = app["tools"].as_array().unwrap();
    assert_eq!(tools[2]["object"], "properties of deals");

    // Associations of two objects need each object's association access; a custom object
    // by its shape reaches the custom targets.
    write(
        dir.path(),
        "assoc.yaml",
        "app: Linker
platform: hubspot
scopes:
  - scope: oauth
tools:
  - {name: Link deals to companies, feature: associations, of: [deals, companies], access: create}
  - {name: Pet fields, feature: properties, of: p_pets, access: read}
",
    );
    let report = json(
        &audit(&[
            dir.path().join("assoc.yaml").to_str().unwrap(),
            "--no-config",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .stdout,
    );
    let missing: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-scope")
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&"crm.objects.deals.write"), "{missing:?}");
    assert!(missing.contains(&"crm.objects.companies.write"), "{missing:?}");
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("crm.schemas.custom") || m.starts_with("crm.objects.custom")),
        "{missing:?}"
    );

    write(
        dir.path(),
        "sf.yaml",
        "app: Insight Agent
platform: salesforce
scopes:
  - scope: api
  - scope: cdp_query_api
tools:
  - {name: Query unified profiles, feature: data_cloud_query, access: read}
",
    );
    let report = json(
        &audit(&[
            dir.path().join("sf.yaml").to_str().unwrap(),
            "--no-config",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .stdout,
    );
    let app = &report["apps"][0];
    assert_eq!(app["minimal_scopes"], serde_json::json!(["api", "cdp_query_api"]));
    assert!(app["scopes"][1]["verdict_reason"]
        .as_str()
        .unwrap()
        .contains("developer.salesforce.com/docs/data/"));
}

#[test]
fn a_tool_names_its_target_the_way_the_vocabulary_says() {
    let dir = tempfile::tempdir().unwrap();
    let case = |tool: &str| -> String {
        write(
            dir.path(),
            "t.yaml",
            &format!(
                "app: T\nplatform: hubspot\nscopes:\n  - scope: oauth\ntools:\n  - {{name: T, {tool}, access: read}}\n"
            ),
        );
        let out = audit(&[dir.path().join("t.yaml").to_str().unwrap(), "--no-config"]);
        assert_eq!(out.code, 2, "{tool}: {}", out.stdout);
        out.stderr
    };
    assert!(case("object: imports").contains("`imports` is a feature, not an object: write `feature: imports`"));
    assert!(case("feature: calls").contains("`calls` is an object: write `object: calls`"));
    assert!(case("feature: properties").contains("`properties` is about objects: add `of:` naming them"));
    assert!(case("feature: propertes, of: deals").contains("did you mean `properties`?"));
    assert!(case("feature: imprts").contains("did you mean `imports`?"));
    assert!(case("object: calls, of: deals").contains("`of` goes with `feature:`"));

    // The vocabulary command lists objects, features and their needs.
    let vocabulary = run(scopeaudit().args(["scopes", "hubspot", "--objects"])).stdout;
    assert!(vocabulary.contains("`calls`, `call` (engagement)"), "{vocabulary}");
    assert!(vocabulary.contains("  read    crm.objects.contacts.read  [GET /crm/objects/"));
}

#[test]
fn the_readme_examples_are_these_fixtures_and_every_scope_is_needed() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for fixture in [
        "tests/fixtures/needs/readme-hubspot.yaml",
        "tests/fixtures/needs/readme-salesforce.yaml",
    ] {
        let text = std::fs::read_to_string(root().join(fixture)).unwrap();
        assert!(
            readme.contains(&format!("```yaml\n{}```", text)),
            "README shows {fixture} as it is"
        );
        let report = json(&audit(&[fixture, "--no-config", "-f", "json", "--fail-on", "never"]).stdout);
        let app = &report["apps"][0];
        for s in app["scopes"].as_array().unwrap() {
            assert_eq!(s["verdict"], "needed", "{fixture}: {s}");
        }
        assert!(!rules_in(&report).contains(&"missing-scope".to_string()), "{fixture}");
    }
}
