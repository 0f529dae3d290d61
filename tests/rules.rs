//! Every rule has a fixture that fires and one that does not, run through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

fn rule_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("rules"))
        .expect("rules/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().to_string())
        .collect();
    ids.sort();
    ids
}

/// The fixture for a case: `fires.yaml` (a manifest) or the same case in another input format
/// (`fires.connectedApp-meta.xml`, `fires-hsmeta.json`, `fires.url`, an ECA directory `fires/`).
fn fixture(rule: &str, case: &str) -> Option<String> {
    let dir = format!("tests/fixtures/rules/{rule}");
    let mut found: Vec<String> = std::fs::read_dir(root().join(&dir))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            (n == case || n.starts_with(&format!("{case}.")) || n.starts_with(&format!("{case}-")))
                && !n.contains(".policy.")
        })
        .collect();
    found.sort();
    found.first().map(|n| format!("{dir}/{n}"))
}

fn run_fixture(rule: &str, case: &str) -> serde_json::Value {
    let dir = format!("tests/fixtures/rules/{rule}");
    let manifest = fixture(rule, case).unwrap_or_else(|| panic!("{rule}: no {case} fixture"));
    let policy = [format!("{dir}/{case}.policy.yaml"), format!("{dir}/policy.yaml")]
        .into_iter()
        .find(|p| root().join(p).is_file());
    let mut args = vec![manifest.as_str(), "--format", "json", "--fail-on", "never"];
    match &policy {
        Some(p) => args.extend(["--config", p.as_str()]),
        None => args.push("--no-config"),
    }
    // Rules about approvals run with `--approved`: the case's own folder of approved
    // manifests (`approved.fires/`), else the rule's (`approved/`).
    let approved = [format!("{dir}/approved.{case}"), format!("{dir}/approved")]
        .into_iter()
        .find(|p| root().join(p).is_dir());
    if let Some(dir) = &approved {
        args.extend(["--approved", dir.as_str()]);
    }
    let out = audit(&args);
    assert_eq!(out.code, 0, "{rule}/{case}: {}", out.stderr);
    json(&out.stdout)
}

#[test]
fn every_rule_fires_on_its_fixture_and_not_on_the_near_miss() {
    let ids = rule_ids();
    assert!(ids.len() >= 45, "expected every built-in rule, found {}", ids.len());
    let mut failures = Vec::new();
    for rule in &ids {
        let fires = run_fixture(rule, "fires");
        let found: Vec<&serde_json::Value> = fires["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == rule.as_str())
            .collect();
        if found.is_empty() {
            failures.push(format!(
                "{rule}: did not fire on its fires fixture; got {:?}",
                rules_in(&fires)
            ));
        }
        for f in &found {
            // Every finding on a file points at a line of it.
            if f["location"]["line"].as_u64().is_none() {
                failures.push(format!("{rule}: finding without a line: {f}"));
            }
        }
        // The first finding points at the exact line of what it is about: the text of that
        // line is in `expected-line.txt` beside the fixtures.
        let expected_path = root().join(format!("tests/fixtures/rules/{rule}/expected-line.txt"));
        match (std::fs::read_to_string(&expected_path), found.first()) {
            (Err(_), _) => failures.push(format!("{rule}: no expected-line.txt")),
            (Ok(expected), Some(f)) => {
                let path = f["location"]["path"].as_str().unwrap_or_default();
                let line = f["location"]["line"].as_u64().unwrap_or(0) as usize;
                let text = std::fs::read_to_string(root().join(path)).unwrap_or_default();
                let actual = text.lines().nth(line.wrapping_sub(1)).unwrap_or("").trim();
                if !actual.starts_with(expected.trim_end()) {
                    failures.push(format!(
                        "{rule}: points at {path}:{line} `{actual}`, expected a line starting `{}`",
                        expected.trim_end()
                    ));
                }
            }
            (Ok(_), None) => {}
        }
        let passes = run_fixture(rule, "passes");
        if rules_in(&passes).iter().any(|r| r == rule) {
            failures.push(format!("{rule}: fired on its passes fixture"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_fixtures_and_documentation() {
    for rule in rule_ids() {
        let dir = root().join("tests/fixtures/rules").join(&rule);
        assert!(
            fixture(&rule, "fires").is_some() && fixture(&rule, "passes").is_some(),
            "{rule}: fixtures missing in {}",
            dir.display()
        );
        let docs = run(scopeaudit().args(["rules", &rule]));
        assert_eq!(docs.code, 0, "{}", docs.stderr);
        assert!(
            docs.stdout.contains("## Remediation") && docs.stdout.lines().count() > 6,
            "{rule}: thin docs"
        );
    }
}

#[test]
fn findings_point_at_the_line_of_their_scope_or_setting() {
    let out = audit(&[
        "tests/fixtures/rules/ip-restrictions-relaxed/fires.yaml",
        "--format",
        "json",
        "--no-config",
    ]);
    let report = json(&out.stdout);
    let text = std::fs::read_to_string(root().join("tests/fixtures/rules/ip-restrictions-relaxed/fires.yaml")).unwrap();
    for f in report["findings"].as_array().unwrap() {
        let line = f["location"]["line"].as_u64().unwrap() as usize;
        let at = text.lines().nth(line - 1).unwrap();
        match f["rule"].as_str().unwrap() {
            "ip-restrictions-relaxed" => assert!(at.contains("ip_relaxation:"), "{at}"),
            "broad-api-access" | "write-scope" => assert!(at.contains("scope: api"), "{at}"),
            other => panic!("unexpected finding {other}"),
        }
    }
}
