//! An app's identity (API name, client id, HubSpot uid) outlives its label: fingerprints and
//! waivers follow the identity, so renaming an app does not reset code-scanning alerts or
//! silently drop a waiver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

const LEDGER: &str = "examples/salesforce-dx/force-app/main/default/connectedApps/Ledger_Sync.connectedApp-meta.xml";

fn fingerprints(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn renaming_a_connected_app_keeps_its_fingerprints_and_waivers() {
    let original = std::fs::read_to_string(root().join(LEDGER)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let renamed = write(
        dir.path(),
        "Ledger_Sync.connectedApp-meta.xml",
        &original.replace(
            "<label>Ledger Sync</label>",
            "<label>Ledger Sync (2027 edition)</label>",
        ),
    );
    let before = audit(&[LEDGER, "--no-config", "-f", "json", "--fail-on", "never"]);
    let after = audit(&[
        renamed.to_str().unwrap(),
        "--no-config",
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    let (before, after) = (json(&before.stdout), json(&after.stdout));
    assert_eq!(after["apps"][0]["name"], "Ledger Sync (2027 edition)");
    assert_eq!(after["apps"][0]["identity"]["kind"], "api_name");
    assert_eq!(after["apps"][0]["identity"]["value"], "Ledger_Sync");
    assert!(!fingerprints(&before).is_empty());
    assert_eq!(fingerprints(&before), fingerprints(&after));

    // A waiver naming the API name still applies after the rename.
    let policy = write(
        dir.path(),
        "policy.yaml",
        "ignore:\n  - rule: broad-api-access\n    app: Ledger_Sync\n    reason: Approved in SEC-9.\n",
    );
    let out = audit(&[
        renamed.to_str().unwrap(),
        "--config",
        policy.to_str().unwrap(),
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    let report = json(&out.stdout);
    let waived: Vec<&str> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert_eq!(waived, ["broad-api-access"], "{}", out.stdout);
    assert!(!rules_in(&report).contains(&"unused-ignore".to_string()));
}

#[test]
fn consent_links_are_identified_by_client_id() {
    let link = |scope: &str| {
        format!("https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9FAKEclientFIXTURE&redirect_uri=https%3A%2F%2Fa.example%2Fcb&code_challenge=x&scope={scope}")
    };
    let out = audit(&[&link("api"), "--no-config", "-f", "json", "--fail-on", "never"]);
    let report = json(&out.stdout);
    assert_eq!(report["apps"][0]["identity"]["kind"], "client_id");
    assert_eq!(report["apps"][0]["identity"]["value"], "3MVG9FAKEclientFIXTURE");
}
