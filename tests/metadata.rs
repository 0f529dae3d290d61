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
