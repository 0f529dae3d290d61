//! Hostile Salesforce metadata cannot mask a risky setting: a repeated element, a second
//! `<oauthConfig>`, a second policy file of one app, or a benign file of the same app name in
//! another directory. Every repeat is a `config-anomaly` finding at its line, and the riskier
//! reading is what the report audits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::{json, Value};

const DIR: &str = "tests/fixtures/sf-repeats";

fn report(inputs: &[&str]) -> Value {
    let mut args: Vec<String> = inputs.iter().map(|i| format!("{DIR}/{i}")).collect();
    args.extend(["--no-config", "--format", "json", "--fail-on", "never"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = audit(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    json(&out.stdout)
}

/// The `config-anomaly` findings as (file name, line, message), in report order.
fn anomalies(report: &Value) -> Vec<(String, u64, String)> {
    let mut found: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "config-anomaly")
        .map(|f| {
            let path = f["location"]["path"].as_str().unwrap();
            (
                path.rsplit('/').next().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// The repeat findings as (file name, line, element, line of the first occurrence).
fn repeats(report: &Value) -> Vec<(String, u64, String, u64)> {
    anomalies(report)
        .into_iter()
        .filter_map(|(file, line, message)| {
            let (_, rest) = message.split_once(": <")?;
            let (element, rest) = rest.split_once("> appears more than once in <")?;
            let first = rest.split_once("(first at line ")?.1.split_once(')')?.0;
            Some((file, line, element.to_string(), first.parse().unwrap()))
        })
        .collect()
}

fn expect_repeats(file: &str, list: &[(u64, &str, u64)]) -> Vec<(String, u64, String, u64)> {
    list.iter()
        .map(|&(line, element, first)| (file.to_string(), line, element.to_string(), first))
        .collect()
}

#[test]
fn a_connected_app_repeating_every_element_is_audited_at_its_riskiest() {
    let report = report(&["connected-app"]);
    let app = &report["apps"][0];
    let settings = &app["settings"];
    // Whichever of the two comes first, the riskier value is the one audited.
    assert_eq!(settings["admin_approved"], false);
    assert_eq!(settings["consumer_secret_optional"], true);
    assert_eq!(settings["client_credentials_enabled"], true);
    assert_eq!(settings["introspect_all_tokens"], true);
    assert_eq!(settings["pkce_required"], false);
    assert_eq!(settings["secret_required_for_refresh_token"], false);
    assert_eq!(settings["ip_relaxation"], "BYPASS");
    assert_eq!(settings["refresh_token_policy"], "infinite");
    // The certificate valid until 2070, not the one that expired in 2021.
    assert_eq!(settings["certificate_not_after"], "2070-01-01");
    // Both blocks' callback URLs and scopes, each at its own line.
    assert_eq!(
        settings["callback_urls"],
        json!([
            "https://app.repeat.example/oauth/callback",
            "http://legacy.repeat.example/callback"
        ])
    );
    let scopes: Vec<(&str, u64)> = app["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["scope"].as_str().unwrap(), s["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(scopes, [("Api", 23), ("Full", 43)]);
    let located: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            [
                "excess-scope",
                "insecure-callback-url",
                "ip-restrictions-relaxed",
                "introspect-all-tokens",
            ]
            .contains(&f["rule"].as_str().unwrap())
        })
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for expected in [
        // `Full` beside `Api`: the one to drop.
        ("excess-scope", 43),
        ("insecure-callback-url", 26),
        ("ip-restrictions-relaxed", 47),
        ("introspect-all-tokens", 39),
    ] {
        assert!(
            located.contains(&(expected.0.to_string(), expected.1)),
            "{expected:?} in {located:?}"
        );
    }
    let file = "Repeat_Offender.connectedApp-meta.xml";
    let mut expected = expect_repeats(
        file,
        &[
            (19, "isAdminApproved", 18),
            (25, "oauthConfig", 6),
            (26, "callbackUrl", 7),
            (27, "certificate", 8),
            (36, "isClientCredentialEnabled", 35),
            (37, "isConsumerSecretOptional", 20),
            (39, "isIntrospectAllTokens", 38),
            (40, "isPkceRequired", 21),
            (41, "isSecretRequiredForRefreshToken", 22),
            (47, "ipRelaxation", 46),
            (49, "refreshTokenPolicy", 48),
            (51, "oauthPolicy", 45),
            (52, "ipRelaxation", 46),
            (54, "contactEmail", 5),
        ],
    );
    expected.sort();
    assert_eq!(repeats(&report), expected);
    // Nothing else was noted about the file.
    assert_eq!(anomalies(&report).len(), expected.len(), "{:#?}", anomalies(&report));
}

#[test]
fn external_client_app_files_repeating_elements_are_audited_at_their_riskiest() {
    let report = report(&["eca-dx"]);
    assert_eq!(report["apps"].as_array().unwrap().len(), 1);
    let app = &report["apps"][0];
    assert_eq!(app["name"], "Twice Told", "the first label is read");
    assert_eq!(app["source"]["files"].as_array().unwrap().len(), 4);
    let settings = &app["settings"];
    assert_eq!(settings["admin_approved"], false);
    assert_eq!(settings["consumer_secret_optional"], true);
    assert_eq!(settings["client_credentials_enabled"], true);
    assert_eq!(settings["introspect_all_tokens"], true);
    assert_eq!(settings["pkce_required"], false);
    assert_eq!(settings["secret_required_for_refresh_token"], false);
    assert_eq!(settings["ip_relaxation"], "BYPASS");
    assert_eq!(settings["refresh_token_policy"], "infinite");
    assert_eq!(
        settings["callback_urls"],
        json!(["https://twice.example/oauth/callback", "http://twice.example/callback"])
    );
    let scopes: Vec<(&str, u64)> = app["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["scope"].as_str().unwrap(), s["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(scopes, [("Api", 3), ("Full", 4), ("RefreshToken", 4)]);
    let mut expected = [
        expect_repeats("Twice_Told.eca-meta.xml", &[(6, "label", 5)]),
        expect_repeats(
            "Twice_Told_oauth.ecaOauth-meta.xml",
            &[(4, "commaSeparatedOauthScopes", 3)],
        ),
        expect_repeats(
            "Twice_Told_glbl.ecaGlblOauth-meta.xml",
            &[
                (4, "callbackUrl", 3),
                (7, "isClientCredentialsFlowEnabled", 6),
                (9, "isConsumerSecretOptional", 8),
                (11, "isIntrospectAllTokens", 10),
                (13, "isPkceRequired", 12),
                (15, "isSecretRequiredForRefreshToken", 14),
            ],
        ),
        expect_repeats(
            "Twice_Told_plcy.ecaOauthPlcy-meta.xml",
            &[
                (5, "ipRelaxationPolicyType", 4),
                (8, "permittedUsersPolicyType", 7),
                (10, "refreshTokenPolicyType", 9),
            ],
        ),
    ]
    .concat();
    expected.sort();
    assert_eq!(repeats(&report), expected);
    assert_eq!(anomalies(&report).len(), expected.len(), "{:#?}", anomalies(&report));
}

#[test]
fn a_second_policy_file_for_one_app_in_one_place_conflicts_and_cannot_mask() {
    let report = report(&["eca-conflict"]);
    assert_eq!(report["apps"].as_array().unwrap().len(), 1);
    let settings = &report["apps"][0]["settings"];
    assert_eq!(settings["ip_relaxation"], "BYPASS");
    assert_eq!(settings["admin_approved"], false);
    assert_eq!(settings["refresh_token_policy"], "infinite");
    let conflicts: Vec<(String, u64)> = anomalies(&report)
        .into_iter()
        .filter(|(_, _, m)| m.contains("has 2 .ecaOauthPlcy files"))
        .map(|(file, line, _)| (file, line))
        .collect();
    assert_eq!(
        conflicts,
        [
            ("Masked_plcy.ecaOauthPlcy-meta.xml".to_string(), 2),
            ("Masked_zz_override.ecaOauthPlcy-meta.xml".to_string(), 3),
        ]
    );
    assert_eq!(anomalies(&report).len(), 2, "{:#?}", anomalies(&report));
}

#[test]
fn the_same_app_name_in_an_unrelated_directory_is_another_app_not_an_override() {
    for inputs in [["eca-dx", "elsewhere"], ["elsewhere", "eca-dx"]] {
        let report = report(&inputs);
        let apps = report["apps"].as_array().unwrap();
        assert_eq!(apps.len(), 2, "{inputs:?}");
        let (vendor, stray) = if inputs[0] == "eca-dx" {
            (&apps[0], &apps[1])
        } else {
            (&apps[1], &apps[0])
        };
        assert_eq!(vendor["source"]["files"].as_array().unwrap().len(), 4);
        assert_eq!(vendor["settings"]["ip_relaxation"], "BYPASS", "{inputs:?}");
        assert_eq!(vendor["settings"]["admin_approved"], false, "{inputs:?}");
        assert_eq!(vendor["settings"]["refresh_token_policy"], "infinite", "{inputs:?}");
        assert_eq!(
            stray["source"]["path"],
            "tests/fixtures/sf-repeats/elsewhere/Twice_Told_plcy.ecaOauthPlcy-meta.xml"
        );
        assert_eq!(stray["source"]["files"], Value::Null, "one file only");
        assert_eq!(stray["settings"]["ip_relaxation"], "ENFORCE");
        assert_eq!(stray["settings"]["refresh_token_policy"], "zero");
        assert!(
            anomalies(&report)
                .iter()
                .any(|(file, line, m)| file == "Twice_Told_plcy.ecaOauthPlcy-meta.xml"
                    && *line == 3
                    && m.contains("no .eca file for `Twice_Told`")),
            "{:#?}",
            anomalies(&report)
        );
    }
}
