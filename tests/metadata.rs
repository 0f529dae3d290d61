//! Metadata as Salesforce and HubSpot really write it: certificates as retrieves store them,
//! the External Client App's plugin policies, the full Connected App element list, values in
//! the wrong case, localized profile names and HubSpot configs in the other generation's
//! layout. Every test runs the real binary on real-format files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

/// The JSON report of auditing `inputs`, with no policy and no gate.
fn report(inputs: &[&str]) -> Value {
    let mut args: Vec<&str> = inputs.to_vec();
    args.extend(["--format", "json", "--no-config", "--fail-on", "never"]);
    let out = audit(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

/// The findings of one rule; `config-anomaly/<code>` picks the input notes of one code.
fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    let (id, code) = match rule.split_once('/') {
        Some((id, code)) => (id, Some(code)),
        None => (rule, None),
    };
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == id && code.is_none_or(|c| f["code"] == c))
        .collect()
}

/// The trimmed text of the line a finding points at.
fn line_of(finding: &Value) -> String {
    let path = finding["location"]["path"].as_str().unwrap();
    let line = finding["location"]["line"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.lines().nth(line - 1).unwrap().trim().to_string()
}

/// Every message of every finding, one per line, for "is it said anywhere" checks.
fn messages(report: &Value) -> String {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}: {}", f["rule"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect::<Vec<_>>()
        .join("\n")
}

const CERTS: &str = "tests/fixtures/metadata/certificates";

#[test]
fn a_retrieved_bare_base64_der_certificate_that_expired_is_reported_at_its_line() {
    let r = report(&[&format!("{CERTS}/Expired_Jwt.connectedApp-meta.xml")]);
    let expired = findings(&r, "certificate-expired");
    assert_eq!(expired.len(), 1, "{}", messages(&r));
    assert!(
        line_of(expired[0]).starts_with("<certificate>MII"),
        "{}",
        line_of(expired[0])
    );
    assert!(expired[0]["message"].as_str().unwrap().contains("2024-01-01"));
    assert!(findings(&r, "certificate-unreadable").is_empty(), "{}", messages(&r));
}

#[test]
fn a_century_long_certificate_is_reported_in_every_real_form() {
    // Bare base64 DER, and the base64 of an OpenSSL PKCS#12 export with its Bag Attributes.
    for file in ["Century_Jwt", "Wrapped_Export"] {
        let r = report(&[&format!("{CERTS}/{file}.connectedApp-meta.xml")]);
        let long = findings(&r, "certificate-long-lived");
        assert_eq!(long.len(), 1, "{file}: {}", messages(&r));
        assert!(long[0]["message"].as_str().unwrap().contains("36500 days"), "{file}");
        assert!(line_of(long[0]).starts_with("<certificate>"), "{file}");
        assert!(
            findings(&r, "certificate-unreadable").is_empty(),
            "{file}: {}",
            messages(&r)
        );
    }
}

#[test]
fn a_pem_export_with_bag_attributes_is_read() {
    let r = report(&[&format!("{CERTS}/Bag_Export.connectedApp-meta.xml")]);
    let expired = findings(&r, "certificate-expired");
    assert_eq!(expired.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(expired[0]), "<certificate>Bag Attributes");
}

#[test]
fn a_current_short_lived_certificate_raises_nothing() {
    let r = report(&[&format!("{CERTS}/Current_Jwt.connectedApp-meta.xml")]);
    for rule in [
        "certificate-expired",
        "certificate-long-lived",
        "certificate-unreadable",
    ] {
        assert!(findings(&r, rule).is_empty(), "{rule}: {}", messages(&r));
    }
}

const ECA: &str = "tests/fixtures/metadata/eca-disabled";

/// A copy of the disabled External Client App with its `.ecaPlcy` file rewritten.
fn eca_with_switches(dir: &std::path::Path, app: &str, oauth_plugin: &str) -> String {
    let copy = dir.join("force-app/main/default");
    for folder in [
        "externalClientApps",
        "extlClntAppOauthSettings",
        "extlClntAppGlobalOauthSets",
        "extlClntAppOauthPolicies",
        "extlClntAppPolicies",
    ] {
        let from = root().join(ECA).join("force-app/main/default").join(folder);
        std::fs::create_dir_all(copy.join(folder)).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let text = text
                .replace("<isEnabled>true</isEnabled>", &format!("<isEnabled>{app}</isEnabled>"))
                .replace(
                    "<isOauthPluginEnabled>false</isOauthPluginEnabled>",
                    &format!("<isOauthPluginEnabled>{oauth_plugin}</isOauthPluginEnabled>"),
                );
            write(&copy.join(folder), &entry.file_name().to_string_lossy(), &text);
        }
    }
    dir.to_string_lossy().to_string()
}

#[test]
fn an_eca_whose_oauth_plugin_is_disabled_issues_no_tokens_and_says_where() {
    let r = report(&[ECA]);
    assert_eq!(
        r["apps"].as_array().unwrap().len(),
        1,
        "the .ecaPlcy file joins its app"
    );
    let off = findings(&r, "no-oauth-config");
    assert_eq!(off.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(off[0]), "<isOauthPluginEnabled>false</isOauthPluginEnabled>");
    assert!(off[0]["location"]["path"]
        .as_str()
        .unwrap()
        .ends_with("Ledger_Sync_plcy.ecaPlcy-meta.xml"));
    // Nobody can authorize it or redeem its tokens while it is off...
    for rule in [
        "self-authorization-allowed",
        "pkce-not-required",
        "refresh-without-secret",
    ] {
        assert!(findings(&r, rule).is_empty(), "{rule}: {}", messages(&r));
    }
    // ...but what it requests is still audited: re-enabling it is one click.
    assert_eq!(findings(&r, "offline-access").len(), 1, "{}", messages(&r));
    // Every element of the .ecaPlcy file is known.
    assert!(findings(&r, "config-anomaly").is_empty(), "{}", messages(&r));
}

#[test]
fn a_disabled_app_is_off_whatever_its_oauth_plugin_says_and_an_enabled_one_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let off = report(&[&eca_with_switches(dir.path(), "false", "true")]);
    let found = findings(&off, "no-oauth-config");
    assert_eq!(found.len(), 1, "{}", messages(&off));
    assert_eq!(line_of(found[0]), "<isEnabled>false</isEnabled>");
    assert!(
        findings(&off, "self-authorization-allowed").is_empty(),
        "{}",
        messages(&off)
    );

    let dir = tempfile::tempdir().unwrap();
    let on = report(&[&eca_with_switches(dir.path(), "true", "true")]);
    assert!(findings(&on, "no-oauth-config").is_empty(), "{}", messages(&on));
    for (rule, line) in [
        (
            "self-authorization-allowed",
            "<permittedUsersPolicyType>AllSelfAuthorized</permittedUsersPolicyType>",
        ),
        ("pkce-not-required", "<isPkceRequired>false</isPkceRequired>"),
        (
            "refresh-without-secret",
            "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>",
        ),
    ] {
        let found = findings(&on, rule);
        assert_eq!(found.len(), 1, "{rule}: {}", messages(&on));
        assert_eq!(line_of(found[0]), line, "{rule}");
    }
}

#[test]
fn an_eca_plugin_policy_file_named_explicitly_is_read_by_its_content() {
    // Named explicitly with no telling suffix: recognised by its root element.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        root()
            .join(ECA)
            .join("force-app/main/default/extlClntAppPolicies/Ledger_Sync_plcy.ecaPlcy-meta.xml"),
    )
    .unwrap();
    let path = write(dir.path(), "policies.xml", &text);
    let r = report(&[path.to_str().unwrap()]);
    let apps = r["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "{r}");
    assert_eq!(findings(&r, "no-oauth-config").len(), 1, "{}", messages(&r));
}

const CA: &str = "tests/fixtures/metadata/connected-app";

#[test]
fn every_element_of_the_connected_app_type_is_known() {
    let r = report(&[&format!("{CA}/Every_Element.connectedApp-meta.xml")]);
    assert!(
        findings(&r, "config-anomaly").is_empty(),
        "every documented element is known: {}",
        messages(&r)
    );
    // The retrieves' oauthPolicy/isTokenExchangeFlowEnabled is read, not skipped: switched on,
    // it enables the token exchange flow.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(CA).join("Every_Element.connectedApp-meta.xml"))
        .unwrap()
        .replace(
            "<isTokenExchangeFlowEnabled>false</isTokenExchangeFlowEnabled>",
            "<isTokenExchangeFlowEnabled>true</isTokenExchangeFlowEnabled>",
        );
    let path = write(dir.path(), "Every_Element.connectedApp-meta.xml", &text);
    let r = report(&[path.to_str().unwrap()]);
    assert!(findings(&r, "config-anomaly").is_empty(), "{}", messages(&r));
    let app = &r["apps"][0];
    assert!(app.to_string().contains("token_exchange"), "{app}");
}

#[test]
fn refresh_without_secret_fires_only_where_refresh_tokens_can_be_issued() {
    // The secret is not required for refresh, but the app asks for no refresh token.
    let r = report(&[&format!("{CA}/No_Refresh.connectedApp-meta.xml")]);
    assert!(findings(&r, "refresh-without-secret").is_empty(), "{}", messages(&r));
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join(CA).join("No_Refresh.connectedApp-meta.xml")).unwrap();
    // With RefreshToken requested it fires, at the setting's line...
    let with_refresh = base.replace("<scopes>Web</scopes>", "<scopes>RefreshToken</scopes>");
    let path = write(dir.path(), "A.connectedApp-meta.xml", &with_refresh);
    let r = report(&[path.to_str().unwrap()]);
    let found = findings(&r, "refresh-without-secret");
    assert_eq!(found.len(), 1, "{}", messages(&r));
    assert_eq!(
        line_of(found[0]),
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>"
    );
    // ...unless refresh tokens expire as soon as they are issued.
    let zero = with_refresh.replace(">infinite<", ">zero<");
    let path = write(dir.path(), "B.connectedApp-meta.xml", &zero);
    let r = report(&[path.to_str().unwrap()]);
    assert!(findings(&r, "refresh-without-secret").is_empty(), "{}", messages(&r));
}

#[test]
fn pkce_not_required_weighs_whether_the_authorization_code_flow_can_run() {
    // A client-credentials app with no callback URL cannot run the authorization-code flow.
    let r = report(&[&format!("{CA}/Jwt_Only.connectedApp-meta.xml")]);
    assert!(findings(&r, "pkce-not-required").is_empty(), "{}", messages(&r));
    // Given a callback URL, it can.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(CA).join("Jwt_Only.connectedApp-meta.xml"))
        .unwrap()
        .replace(
            "<oauthConfig>\n",
            "<oauthConfig>\n        <callbackUrl>https://ledger.example.org/cb</callbackUrl>\n",
        );
    let path = write(dir.path(), "Jwt_Only.connectedApp-meta.xml", &text);
    let r = report(&[path.to_str().unwrap()]);
    let found = findings(&r, "pkce-not-required");
    assert_eq!(found.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(found[0]), "<isPkceRequired>false</isPkceRequired>");
    // A manifest without callback URLs that lists only server-to-server flows: not reported;
    // one that lists the authorization-code flow: reported.
    for (flows, fires) in [("[client_credentials]", false), ("[authorization_code]", true)] {
        let manifest = format!(
            "app: Ledger\nplatform: salesforce\nintegration:\n  flows: {flows}\nscopes:\n  - scope: api\n    justification: Reads records.\nsettings:\n  pkce_required: false\n"
        );
        let path = write(dir.path(), "ledger.yaml", &manifest);
        let r = report(&[path.to_str().unwrap()]);
        assert_eq!(
            !findings(&r, "pkce-not-required").is_empty(),
            fires,
            "{flows}: {}",
            messages(&r)
        );
    }
}

/// The names Salesforce gives the System Administrator profile in other user languages; the
/// rule keeps the list, this test checks each is recognised where a retrieve writes it.
const LOCALIZED_ADMIN: [&str; 14] = [
    "Administrateur système",
    "Systemadministrator",
    "Administrador del sistema",
    "Amministratore del sistema",
    "Administrador do sistema",
    "Systeembeheerder",
    "Systemadministratör",
    "Järjestelmänvalvoja",
    "Системный администратор",
    "システム管理者",
    "系统管理员",
    "系統管理員",
    "시스템 관리자",
    "System Administrator",
];

#[test]
fn the_system_administrator_profile_is_recognised_in_any_language() {
    let r = report(&[&format!("{CA}/Administrateur.connectedApp-meta.xml")]);
    let found = findings(&r, "broad-preauthorization");
    assert_eq!(found.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(found[0]), "<profileName>Administrateur système</profileName>");

    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join(CA).join("Administrateur.connectedApp-meta.xml")).unwrap();
    for (i, name) in LOCALIZED_ADMIN.iter().enumerate() {
        let text = base.replace("Administrateur système", name);
        let path = write(dir.path(), &format!("L{i}.connectedApp-meta.xml"), &text);
        let r = report(&[path.to_str().unwrap()]);
        assert_eq!(
            findings(&r, "broad-preauthorization").len(),
            1,
            "{name}: {}",
            messages(&r)
        );
    }
    // A custom profile that merely contains the words is not a standard profile.
    for custom in ["Administrateur système Comptable", "Finance Systemadministrator"] {
        let path = write(
            dir.path(),
            "Custom.connectedApp-meta.xml",
            &base.replace("Administrateur système", custom),
        );
        let r = report(&[path.to_str().unwrap()]);
        assert!(
            findings(&r, "broad-preauthorization").is_empty(),
            "{custom}: {}",
            messages(&r)
        );
    }
}

#[test]
fn a_value_in_the_wrong_case_is_reported_at_its_line_and_read_as_meant() {
    let r = report(&[&format!("{CA}/Wrong_Case.connectedApp-meta.xml")]);
    let mut noted: Vec<String> = findings(&r, "config-anomaly/invalid-value")
        .iter()
        .map(|f| line_of(f))
        .collect();
    noted.sort();
    assert_eq!(
        noted,
        [
            "<ipRelaxation>Enforce</ipRelaxation>",
            "<isAdminApproved>True</isAdminApproved>",
            "<refreshTokenPolicy>Specific_Inactivity:30:days</refreshTokenPolicy>",
            "<scopes>API</scopes>",
            "<scopes>OpenId</scopes>",
        ],
        "{}",
        messages(&r)
    );
    let text = messages(&r);
    assert!(text.contains("`API` is not how Salesforce spells it"), "{text}");
    assert!(text.contains("read as `Api`"), "{text}");
    assert!(text.contains("read as `specific_inactivity:30:DAYS`"), "{text}");
    // Read as meant: admin-approved, so no self-authorization finding; `API` is `api`.
    assert!(findings(&r, "self-authorization-allowed").is_empty(), "{text}");
    assert_eq!(findings(&r, "broad-api-access").len(), 1, "{text}");
    // The same values spelled right raise nothing.
    let dir = tempfile::tempdir().unwrap();
    let right = std::fs::read_to_string(root().join(CA).join("Wrong_Case.connectedApp-meta.xml"))
        .unwrap()
        .replace(">True<", ">true<")
        .replace(">API<", ">Api<")
        .replace(">OpenId<", ">OpenID<")
        .replace(">Enforce<", ">ENFORCE<")
        .replace("Specific_Inactivity:30:days", "specific_inactivity:30:DAYS");
    let path = write(dir.path(), "Right_Case.connectedApp-meta.xml", &right);
    let r = report(&[path.to_str().unwrap()]);
    assert!(findings(&r, "config-anomaly").is_empty(), "{}", messages(&r));
}

#[test]
fn an_external_client_app_value_in_the_connected_app_spelling_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = eca_with_switches(dir.path(), "true", "true");
    let base = dir.path().join("force-app/main/default");
    let policy = base.join("extlClntAppOauthPolicies/Ledger_Sync_oauthPlcy.ecaOauthPlcy-meta.xml");
    let text = std::fs::read_to_string(&policy)
        .unwrap()
        .replace(">Enforce<", ">ENFORCE<")
        .replace(">AllSelfAuthorized<", ">allselfauthorized<")
        .replace(">Days<", ">DAYS<");
    std::fs::write(&policy, text).unwrap();
    let settings = base.join("extlClntAppOauthSettings/Ledger_Sync_oauth.ecaOauth-meta.xml");
    let text = std::fs::read_to_string(&settings)
        .unwrap()
        .replace("Api, RefreshToken", "api, RefreshToken");
    std::fs::write(&settings, text).unwrap();
    let r = report(&[&root_dir]);
    let mut noted: Vec<String> = findings(&r, "config-anomaly/invalid-value")
        .iter()
        .map(|f| line_of(f))
        .collect();
    noted.sort();
    assert_eq!(
        noted,
        [
            "<commaSeparatedOauthScopes>api, RefreshToken</commaSeparatedOauthScopes>",
            "<ipRelaxationPolicyType>ENFORCE</ipRelaxationPolicyType>",
            "<permittedUsersPolicyType>allselfauthorized</permittedUsersPolicyType>",
            "<refreshTokenValidityUnit>DAYS</refreshTokenValidityUnit>",
        ],
        "{}",
        messages(&r)
    );
    // Read as meant: every user may self-authorize.
    assert_eq!(findings(&r, "self-authorization-allowed").len(), 1, "{}", messages(&r));
}

const HUBSPOT: &str = "tests/fixtures/metadata/hubspot";

/// The app read from `dir`, with its scopes as (name, requirement).
fn hubspot_app(dir: &str) -> (Value, Vec<(String, String)>) {
    let r = report(&[dir]);
    let apps = r["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "found while walking, not skipped: {r}");
    let scopes = apps[0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["scope"].as_str().unwrap().to_string(),
                s["requirement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (r, scopes)
}

#[test]
fn a_legacy_scopes_list_in_an_hsmeta_file_is_read_with_a_note() {
    let (r, scopes) = hubspot_app(&format!("{HUBSPOT}/legacy-in-hsmeta"));
    let names: Vec<(&str, &str)> = scopes.iter().map(|(s, q)| (s.as_str(), q.as_str())).collect();
    assert_eq!(
        names,
        [
            ("crm.objects.deals.read", "required"),
            ("crm.objects.contacts.write", "required")
        ]
    );
    let noted = findings(&r, "config-anomaly/misplaced");
    assert_eq!(noted.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(noted[0]), "\"scopes\": [");
    assert!(noted[0]["message"]
        .as_str()
        .unwrap()
        .contains("legacy flat `scopes` list"));
    // Its own generation's meaning: a private app with a static token.
    assert_eq!(findings(&r, "static-auth-app").len(), 1, "{}", messages(&r));
}

#[test]
fn a_2025_2_config_auth_in_app_json_is_read_with_a_note() {
    let (r, scopes) = hubspot_app(&format!("{HUBSPOT}/config-in-app-json"));
    let names: Vec<(&str, &str)> = scopes.iter().map(|(s, q)| (s.as_str(), q.as_str())).collect();
    assert_eq!(
        names,
        [
            ("oauth", "required"),
            ("crm.objects.deals.read", "required"),
            ("crm.objects.companies.read", "optional")
        ]
    );
    let noted = findings(&r, "config-anomaly/misplaced");
    assert_eq!(noted.len(), 1, "{}", messages(&r));
    assert_eq!(line_of(noted[0]), "\"config\": {");
    assert!(noted[0]["message"]
        .as_str()
        .unwrap()
        .contains("`app.json` holds a developer platform 2025.2 app"));
    // Read as what it is: an OAuth app, not a static-token private app.
    assert!(findings(&r, "static-auth-app").is_empty(), "{}", messages(&r));
}
