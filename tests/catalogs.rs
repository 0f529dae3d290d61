//! The scope catalogs as the binary prints them: `scopes PLATFORM --format json`, checked
//! against the schema's promises and against the list of every scope HubSpot's specs name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Every field a scope entry has, present in the JSON even when unset.
const FIELDS: [&str; 18] = [
    "id",
    "title",
    "aliases",
    "grants",
    "access",
    "risk",
    "sensitivity",
    "implies",
    "implies_all_except",
    "same_as",
    "requires",
    "replaced_by",
    "status",
    "tier",
    "source",
    "sunset",
    "sunset_source",
    "note",
];

fn catalog_json(platform: &str) -> Value {
    let out = run(scopeaudit().args(["scopes", platform, "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

fn scope_json(platform: &str, name: &str) -> Value {
    let out = run(scopeaudit().args(["scopes", platform, name, "--format", "json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

fn scopes(catalog: &Value) -> &Vec<Value> {
    catalog["scopes"].as_array().expect("scopes array")
}

/// Lower-cased id or alias -> canonical id.
fn names(catalog: &Value) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for s in scopes(catalog) {
        let id = s["id"].as_str().unwrap().to_string();
        names.insert(id.to_lowercase(), id.clone());
        for alias in s["aliases"].as_array().unwrap() {
            names.insert(alias.as_str().unwrap().to_lowercase(), id.clone());
        }
    }
    names
}

#[test]
fn json_lists_every_scope_with_every_field() {
    for platform in ["salesforce", "hubspot"] {
        let catalog = catalog_json(platform);
        assert_eq!(catalog["platform"], platform);
        let yaml = std::fs::read_to_string(root().join(format!("scope-catalogs/{platform}.yaml"))).unwrap();
        let in_file: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.strip_prefix("  - id: "))
            .map(str::trim)
            .collect();
        let printed: Vec<&str> = scopes(&catalog).iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(printed, in_file, "{platform}: every scope, in file order");
        assert_eq!(catalog["scope_count"], in_file.len());
        let checked = yaml.lines().find_map(|l| l.strip_prefix("checked: ")).unwrap();
        assert_eq!(catalog["checked"], checked.trim_matches('"'));
        for s in scopes(&catalog) {
            let object = s.as_object().unwrap();
            for field in FIELDS {
                assert!(object.contains_key(field), "{platform} {}: no `{field}`", s["id"]);
            }
            assert_eq!(object.len(), FIELDS.len(), "{platform} {}: unexpected fields", s["id"]);
        }
        assert!(catalog["least_privilege"].is_object() && catalog["needs"]["targets"].is_array());
    }
}

#[test]
fn one_scope_by_alias_is_its_canonical_entry() {
    let brands = scope_json("hubspot", "BUSINESS_UNITS.VIEW.READ");
    assert_eq!(brands["query"], "BUSINESS_UNITS.VIEW.READ");
    assert_eq!(brands["canonical"], "business_units_view.read");
    assert_eq!(brands["scope"]["id"], "business_units_view.read");
    assert_eq!(brands["scope"]["aliases"][0], "business_units.view.read");

    let api = scope_json("salesforce", "Api");
    assert_eq!(api["canonical"], "api");
    assert_eq!(api["scope"]["risk"], "high");
    assert_eq!(api["also_grants"], serde_json::json!(["chatter_api"]));
    assert_eq!(api["granted_by"], serde_json::json!(["full"]));

    // A synonym is printed as itself, with the entry it stands for.
    let offline = scope_json("salesforce", "OfflineAccess");
    assert_eq!(offline["scope"]["id"], "offline_access");
    assert_eq!(offline["scope"]["same_as"], "refresh_token");
    assert_eq!(offline["canonical"], "refresh_token");

    let unknown = run(scopeaudit().args(["scopes", "hubspot", "crm.objects.contact.read", "--format", "json"]));
    assert_eq!(unknown.code, 2);
    assert!(unknown.stdout.is_empty());
    assert!(
        unknown.stderr.contains("Did you mean `crm.objects.contacts.read`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_removed_scope_shows_its_sunset_date_and_source() {
    let accounting = scope_json("hubspot", "accounting");
    let entry = &accounting["scope"];
    assert_eq!(entry["status"], "removed");
    assert_eq!(entry["sunset"], "2023-02-28");
    assert_eq!(
        entry["sunset_source"],
        "https://developers.hubspot.com/changelog/upcoming-ecommerce-bridge-and-accounting-extension-sunsets"
    );
    let text = run(scopeaudit().args(["scopes", "hubspot", "accounting"]));
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("  sunset:        2023-02-28\n"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("  sunset source: https://developers.hubspot.com/changelog/"),
        "{}",
        text.stdout
    );
    // A current scope has none.
    let oauth = scope_json("hubspot", "oauth");
    assert!(oauth["scope"]["sunset"].is_null() && oauth["scope"]["sunset_source"].is_null());
}

#[test]
fn statuses_follow_the_schema_definitions() {
    for platform in ["salesforce", "hubspot"] {
        let catalog = catalog_json(platform);
        let ids: BTreeSet<&str> = scopes(&catalog).iter().map(|s| s["id"].as_str().unwrap()).collect();
        for s in scopes(&catalog) {
            let id = s["id"].as_str().unwrap();
            let replaced: Vec<&str> = s["replaced_by"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            match s["status"].as_str().unwrap() {
                "coarse" => assert!(!replaced.is_empty(), "{id}: coarse without a granular replacement"),
                "deprecated" | "removed" => {
                    let date = s["sunset"].as_str().unwrap_or_else(|| panic!("{id}: no sunset date"));
                    assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "{id}: sunset {date}");
                    assert!(s["sunset_source"].as_str().unwrap().starts_with("https://"), "{id}");
                }
                _ => assert!(s["sunset"].is_null(), "{id}: a current scope with a sunset"),
            }
            for r in replaced {
                assert!(ids.contains(r), "{id}: replacement `{r}` is not a catalog id");
                let status = scopes(&catalog).iter().find(|e| e["id"] == r).unwrap()["status"].clone();
                assert_eq!(status, "current", "{id}: replacement `{r}` is itself retired or coarse");
            }
        }
    }
}

#[test]
fn every_scope_in_hubspots_specs_is_in_the_catalog() {
    let list = std::fs::read_to_string(root().join("scope-catalogs/hubspot-spec-scopes.txt")).unwrap();
    let spec: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert!(spec.len() > 250, "the extracted list looks truncated: {}", spec.len());
    let names = names(&catalog_json("hubspot"));
    let missing: Vec<&&str> = spec.iter().filter(|s| !names.contains_key(&s.to_lowercase())).collect();
    assert!(missing.is_empty(), "spec scopes missing from hubspot.yaml: {missing:?}");
    // Where the spec spells a scope one way and the scope table another, the spec's is the id.
    assert_eq!(names["business_units_view.read"], "business_units_view.read");
    assert_eq!(names["business_units.view.read"], "business_units_view.read");
    assert_eq!(names["settings.users.team.write"], "settings.users.teams.write");
}

#[test]
fn hubspots_stated_implications_are_recorded() {
    for (holder, granted) in [
        (
            "cms.knowledge_base.articles.publish",
            "cms.knowledge_base.articles.write",
        ),
        ("cms.knowledge_base.settings.write", "cms.knowledge_base.articles.write"),
        (
            "communication_preferences.read_write",
            "communication_preferences.write",
        ),
        ("tickets.sensitive", "crm.objects.tickets.sensitive.read"),
        ("hubdb", "hubdb.rows.write"),
        ("content", "marketing.email.read"),
    ] {
        let scope = scope_json("hubspot", holder);
        let grants: Vec<&str> = scope["also_grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap())
            .collect();
        assert!(grants.contains(&granted), "{holder} should grant {granted}: {grants:?}");
    }
}

#[test]
fn salesforce_data_bulk_scopes_carry_a_reasoned_risk() {
    let catalog = catalog_json("salesforce");
    let bulk: Vec<&Value> = scopes(&catalog)
        .iter()
        .filter(|s| {
            let id = s["id"].as_str().unwrap();
            id == "pardot_api" || id == "wave_api" || id.starts_with("cdp_") || id.starts_with("data_cloud")
        })
        .collect();
    assert_eq!(bulk.len(), 10);
    for s in bulk {
        let note = s["note"].as_str().unwrap_or_default();
        let risk = s["risk"].as_str().unwrap();
        assert!(
            note.contains(&format!("Data-bulk risk {risk}:")),
            "{}: the note gives no reason for risk {risk}",
            s["id"]
        );
    }
    let risk = |id: &str| scopes(&catalog).iter().find(|s| s["id"] == id).unwrap()["risk"].clone();
    assert_eq!(risk("pardot_api"), "high");
    assert_eq!(risk("wave_api"), "high");
    assert_eq!(risk("cdp_query_api"), "high");
    assert_eq!(risk("cdp_ingest_api"), "medium");
}

#[test]
fn a_catalog_breaking_a_status_promise_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("scope-catalogs/hubspot.yaml")).unwrap();
    // A bad sunset date, and `forms` called coarse though nothing replaces it.
    let (before, forms) = text.split_once("  - id: forms\n").unwrap();
    let forms = forms.replacen("    status: current\n", "    status: coarse\n", 1);
    let broken = format!("{before}  - id: forms\n{forms}").replacen(
        "    sunset: \"2023-02-28\"\n",
        "    sunset: \"2023-02-30\"\n",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(dir.path().join("hubspot.yaml"), &broken).unwrap();
    let out = run(scopeaudit().args(["scopes", "hubspot", "--catalogs", dir.path().to_str().unwrap()]));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stderr.contains("hubspot.yaml"), "{}", out.stderr);
    assert!(
        out.stderr.contains("sunset `2023-02-30` is not a YYYY-MM-DD date"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("scope `forms`: status coarse needs `replaced_by`"),
        "{}",
        out.stderr
    );
}
