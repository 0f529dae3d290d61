//! Normalization against the fake org's generated data: its rows, read field by field through
//! the same accessor its REST answers use, become an `OrgSnapshot` as the org reader would
//! fill it; `inputs::org::normalize` must then give exactly the facts the generator planted
//! (token, user, stale, inactive and privileged counts, the renamed app's tokens, the
//! uninstalled app, who is pre-authorized). No server: the conversion is the only glue.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fake_org/mod.rs"]
mod fake_org;

use fake_org::data::{self, AppKind, GenSpec, Obj, Org, ECA_SCOPE_COLUMNS, V};
use scopeaudit::model::org::{ConfigRead, OrgSummary, OrgUsage, Stamp};
use scopeaudit::model::App;
use scopeaudit::org::snapshot::*;

fn text(v: V) -> Option<String> {
    match v {
        V::Str(s) => Some(s.into_owned()),
        _ => None,
    }
}

fn flag(v: V) -> Option<bool> {
    match v {
        V::Bool(b) => Some(b),
        _ => None,
    }
}

fn int(v: V) -> Option<i64> {
    match v {
        V::Int(n) => Some(n),
        _ => None,
    }
}

fn stamp(v: V) -> Option<Stamp> {
    match v {
        V::Date(s) => Stamp::from_second(s),
        V::Str(s) => Stamp::parse(&s),
        _ => None,
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The snapshot the org reader would build from this org (metadata as readMetadata gives it).
fn snapshot_of(org: &Org) -> OrgSnapshot {
    let now = Stamp::from_second(org.now).unwrap();
    let mut s = OrgSnapshot::new("https://fake.my.salesforce.com".into(), now);
    s.org_id = org.org_id.clone();
    s.api_version = "67.0".into();
    let n = |obj| org.row_count(obj);
    for row in 0..n(Obj::ConnectedApplication) {
        let get = |f: &str| org.get(Obj::ConnectedApplication, row, f);
        let a = &org.apps[org.ca_rows[row] as usize];
        let scopes: String = a.scopes.iter().map(|s| format!("<scopes>{s}</scopes>")).collect();
        let doc = format!(
            "<ConnectedApp><label>{}</label><oauthConfig><isAdminApproved>{}</isAdminApproved>{scopes}</oauthConfig><oauthPolicy><ipRelaxation>{}</ipRelaxation><refreshTokenPolicy>{}</refreshTokenPolicy></oauthPolicy></ConnectedApp>",
            xml(&a.label),
            a.admin_approved,
            a.ip_relaxation,
            a.refresh_policy
        );
        s.connected_apps.push(ConnectedApplicationRow {
            id: text(get("Id")).unwrap(),
            name: text(get("Name")).unwrap(),
            admin_approved_only: flag(get("OptionsAllowAdminApprovedUsersOnly")),
            refresh_by_inactivity: flag(get("OptionsRefreshTokenValidityMetric")),
            refresh_validity_period: int(get("RefreshTokenValidityPeriod")),
            session_level_policy: flag(get("OptionsHasSessionLevelPolicy")),
            created_date: stamp(get("CreatedDate")),
            metadata: ConnectedAppMetadata::Read {
                full_name: a.full_name(),
                xml: doc,
            },
        });
    }
    for row in 0..n(Obj::AppMenuItem) {
        let get = |f: &str| org.get(Obj::AppMenuItem, row, f);
        s.menu_items.push(MenuItemRow {
            id: text(get("Id")).unwrap(),
            application_id: text(get("ApplicationId")),
            name: text(get("Name")),
            label: text(get("Label")),
            namespace_prefix: text(get("NamespacePrefix")),
            item_type: text(get("Type")),
            is_using_admin_authorization: flag(get("IsUsingAdminAuthorization")),
        });
    }
    for row in 0..n(Obj::ExternalClientApplication) {
        let get = |f: &str| org.get(Obj::ExternalClientApplication, row, f);
        let set = |f: &str| org.get(Obj::ExtlClntAppOauthSettings, row, f);
        let pol = |f: &str| org.get(Obj::ExtlClntAppOauthPlcyCnfg, row, f);
        s.external_client_apps.push(ExternalClientAppRow {
            id: text(get("Id")).unwrap(),
            developer_name: text(get("DeveloperName")).unwrap(),
            master_label: text(get("MasterLabel")).unwrap(),
            namespace_prefix: text(get("NamespacePrefix")),
            distribution_state: text(get("DistributionState")),
            oauth_settings: Some(EcaOauthSettingsRow {
                scope_columns: ECA_SCOPE_COLUMNS
                    .iter()
                    .filter(|(c, _)| flag(set(c)) == Some(true))
                    .map(|(c, _)| c.to_string())
                    .collect(),
                columns_read: ECA_SCOPE_COLUMNS.iter().map(|(c, _)| c.to_string()).collect(),
            }),
            oauth_policy: Some(EcaOauthPolicyRow {
                permitted_users_policy_type: text(pol("PermittedUsersPolicyType")),
                ip_relaxation_policy_type: text(pol("IpRelaxationPolicyType")),
                refresh_token_policy_type: text(pol("RefreshTokenPolicyType")),
                refresh_token_validity_period: int(pol("RefreshTokenValidityPeriod")),
                refresh_token_validity_unit: text(pol("RefreshTokenValidityUnit")),
                is_client_credentials_flow_enabled: flag(pol("IsClientCredentialsFlowEnabled")),
                client_credentials_flow_user: text(pol("ClientCredentialsFlowUser")),
            }),
        });
    }
    for row in 0..n(Obj::SetupEntityAccess) {
        let get = |f: &str| org.get(Obj::SetupEntityAccess, row, f);
        s.setup_entity_access.push(SetupEntityAccessRow {
            setup_entity_id: text(get("SetupEntityId")).unwrap(),
            setup_entity_type: text(get("SetupEntityType")).unwrap(),
            parent_id: text(get("ParentId")).unwrap(),
        });
    }
    for row in 0..n(Obj::Profile) {
        let get = |f: &str| org.get(Obj::Profile, row, f);
        s.profiles.push(ProfileRow {
            id: text(get("Id")).unwrap(),
            name: text(get("Name")).unwrap(),
            modify_all_data: flag(get("PermissionsModifyAllData")).unwrap(),
            view_all_data: flag(get("PermissionsViewAllData")).unwrap(),
        });
    }
    for row in 0..n(Obj::PermissionSet) {
        let get = |f: &str| org.get(Obj::PermissionSet, row, f);
        s.permission_sets.push(PermissionSetRow {
            id: text(get("Id")).unwrap(),
            name: text(get("Name")).unwrap(),
            label: text(get("Label")),
            is_owned_by_profile: flag(get("IsOwnedByProfile")).unwrap(),
            profile_id: text(get("ProfileId")),
            modify_all_data: flag(get("PermissionsModifyAllData")).unwrap(),
            view_all_data: flag(get("PermissionsViewAllData")).unwrap(),
        });
    }
    for row in 0..n(Obj::PermissionSetAssignment) {
        let get = |f: &str| org.get(Obj::PermissionSetAssignment, row, f);
        s.assignments.push(AssignmentRow {
            assignee_id: text(get("AssigneeId")).unwrap(),
            permission_set_id: text(get("PermissionSetId")).unwrap(),
        });
    }
    for row in 0..n(Obj::User) {
        let get = |f: &str| org.get(Obj::User, row, f);
        s.users.push(UserRow {
            id: text(get("Id")).unwrap(),
            is_active: flag(get("IsActive")).unwrap(),
            profile_id: text(get("ProfileId")),
        });
    }
    for row in 0..n(Obj::OauthToken) {
        let get = |f: &str| org.get(Obj::OauthToken, row, f);
        s.tokens.push(TokenRow {
            app_name: text(get("AppName")).unwrap(),
            app_menu_item_id: text(get("AppMenuItemId")),
            user_id: text(get("UserId")),
            created_date: stamp(get("CreatedDate")),
            last_used_date: stamp(get("LastUsedDate")),
            use_count: int(get("UseCount")).unwrap_or(0) as u64,
        });
    }
    s.tokens_counted = Some(s.tokens.len() as u64);
    s
}

fn generated() -> (Org, Vec<App>, OrgSummary) {
    let org = data::generate(&GenSpec {
        apps: 60,
        users: 400,
        tokens: 4000,
        seed: 1,
        now: 1_795_392_000,
        same_key_tokens: 0,
    });
    let snapshot = snapshot_of(&org);
    // Through JSON and back, as `--save-snapshot` and `audit SNAPSHOT` would.
    let text = serde_json::to_string_pretty(&snapshot).unwrap();
    let read = scopeaudit::inputs::org::read_snapshot("fake.json", &text).unwrap();
    assert_eq!(read, snapshot);
    let (apps, summary) = scopeaudit::inputs::org::normalize(&read, scopeaudit::inputs::org::Origin::Live, 90);
    (org, apps, summary)
}

fn usage<'a>(apps: &'a [App], id: &str) -> &'a OrgUsage {
    apps.iter()
        .filter_map(|a| a.org.as_deref())
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("no app {id}"))
}

#[test]
fn normalization_finds_what_the_generator_planted() {
    let (org, apps, summary) = generated();
    let p = &org.planted;
    assert_eq!(summary.tokens_total as usize, p.tokens_total);
    assert_eq!(summary.users_total as usize, p.users_total);
    assert_eq!(summary.users_active as usize, p.users_active);
    assert_eq!(
        apps.len(),
        p.apps_connected + p.apps_external,
        "every installed app is an app"
    );
    for (what, facts) in [
        ("full", &p.full_app),
        ("full ECA", &p.full_eca),
        ("renamed", &p.renamed_app),
        ("dormant", &p.dormant_app),
        ("stale", &p.stale_app),
        ("preauthorized", &p.preauthorized_app),
        ("not enforced", &p.preauth_not_enforced_app),
        ("hostile label", &p.hostile_label_app),
    ] {
        let u = usage(&apps, &facts.id);
        let got = (
            u.tokens as usize,
            u.users as usize,
            u.stale_tokens as usize,
            u.inactive_user_tokens as usize,
            u.privileged_user_tokens as usize,
            u.use_count,
        );
        let want = (
            facts.tokens,
            facts.users,
            facts.stale_tokens,
            facts.inactive_user_tokens,
            facts.privileged_user_tokens,
            facts.use_count,
        );
        assert_eq!(got, want, "{what}: (tokens, users, stale, inactive, privileged, uses)");
        assert_eq!(u.label, facts.label, "{what}: the current label");
        assert_eq!(u.config, ConfigRead::Read, "{what}");
    }
    let uninstalled = summary
        .uninstalled_apps
        .iter()
        .find(|u| u.name == p.uninstalled_label)
        .expect("the uninstalled app");
    assert_eq!(
        (uninstalled.tokens as usize, uninstalled.users as usize),
        (p.uninstalled_tokens, p.uninstalled_users)
    );
    // The renamed app's old label is not an uninstalled app: its tokens joined by menu item.
    assert!(summary.uninstalled_apps.iter().all(|u| u.name != p.renamed_old_label));
    let pre = &usage(&apps, &p.preauthorized_app.id).preauthorized;
    assert_eq!(pre.profiles, std::slice::from_ref(&p.preauthorized_profile));
    assert_eq!(
        pre.permission_sets,
        std::slice::from_ref(&p.preauthorized_permission_set)
    );
    assert_eq!(
        (pre.users_active as usize, pre.users_all as usize),
        (p.preauthorized_users_active, p.preauthorized_users_all)
    );
    let joined: u64 = apps.iter().filter_map(|a| a.org.as_ref()).map(|o| o.tokens).sum();
    let orphaned: u64 = summary.uninstalled_apps.iter().map(|u| u.tokens).sum();
    assert_eq!(joined + orphaned, summary.tokens_total, "every token counted once");
    assert!(org.apps.iter().any(|a| a.kind == AppKind::ExternalClientApp));
}

#[test]
fn the_planted_apps_get_the_declared_app_findings() {
    use scopeaudit::session::{ConfigChoice, DataOptions, GateOptions, Session};
    let (org, apps, summary) = generated();
    let options = DataOptions {
        config: ConfigChoice::Skip,
        catalogs: None,
        rules: None,
    };
    let session = Session::load(&options, summary.taken_at.date()).unwrap();
    let report = session.report_with(apps, Vec::new(), Vec::new(), GateOptions::default(), Some(summary));
    let findings = serde_json::to_value(&report.findings).unwrap();
    let of = |id: &str| -> Vec<String> {
        findings
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["location"]["record_id"] == id)
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let p = &org.planted;
    let full = of(&p.full_app.id);
    // `full` beside `api` and `web` is reported as the excess scope to drop (excess-scope
    // supersedes full-access there, as for a metadata file).
    assert!(
        full.iter().any(|r| r == "full-access" || r == "excess-scope"),
        "{full:?}"
    );
    for rule in [
        "ip-restrictions-relaxed",
        "non-expiring-refresh-token",
        "self-authorization-allowed",
    ] {
        assert!(full.contains(&rule.to_string()), "{rule} not in {full:?}");
    }
    let eca = of(&p.full_eca.id);
    assert!(eca.iter().any(|r| r == "full-access" || r == "excess-scope"), "{eca:?}");
    assert!(eca.contains(&"ip-restrictions-relaxed".to_string()), "{eca:?}");
    assert!(of(&p.dormant_app.id).contains(&"unused-connected-app".to_string()));
    assert!(of(&p.stale_app.id).contains(&"stale-token".to_string()));
    assert!(of(&p.preauth_not_enforced_app.id).contains(&"preauthorization-not-enforced".to_string()));
    assert!(!of(&p.preauthorized_app.id).contains(&"preauthorization-not-enforced".to_string()));
    let uninstalled: Vec<&serde_json::Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "uninstalled-app-tokens")
        .collect();
    assert!(uninstalled
        .iter()
        .any(|f| f["location"]["record_name"] == p.uninstalled_label.as_str()));
}

/// Writes the snapshot of a benchmark-sized fake org (500 apps, 20,000 users, 100,000 tokens)
/// to `$ORG_SNAPSHOT_OUT`, to time `scopeaudit audit` on it:
/// `ORG_SNAPSHOT_OUT=/tmp/org.json cargo test --test org_planted -- --ignored`.
#[test]
#[ignore = "writes a large file on request"]
fn write_a_benchmark_sized_snapshot() {
    let Some(out) = std::env::var_os("ORG_SNAPSHOT_OUT") else {
        return;
    };
    let org = data::generate(&GenSpec {
        apps: 500,
        users: 20_000,
        tokens: 100_000,
        seed: 1,
        now: 1_795_392_000,
        same_key_tokens: 0,
    });
    let snapshot = snapshot_of(&org);
    std::fs::write(out, serde_json::to_string_pretty(&snapshot).unwrap()).unwrap();
}
