//! The report formats: whole-output snapshots of every format for one app, many apps, an app
//! with no findings and an app with waived findings; escaping of hostile input; SARIF
//! structure and stable fingerprints; several outputs from one run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

const FORMATS: [(&str, &str); 5] = [
    ("text", "txt"),
    ("json", "json"),
    ("sarif", "sarif"),
    ("markdown", "md"),
    ("html", "html"),
];

fn report(args: &[&str], format: &str) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", format]);
    let out = audit(&all);
    // The default gate applies, so the reports show real verdicts; 1 is a failed gate.
    assert!(out.code == 0 || out.code == 1, "{args:?} {format}: {}", out.stderr);
    assert_eq!(out.stderr, "", "{args:?} {format}");
    out
}

fn snapshot_every_format(case: &str, args: &[&str]) {
    for (format, ext) in FORMATS {
        let out = report(args, format);
        assert_snapshot(&format!("report-{case}.{ext}"), &out.stdout);
    }
}

#[test]
fn one_app_in_every_format() {
    snapshot_every_format(
        "one-app",
        &["examples/meeting-assistant-salesforce.yaml", "--no-config"],
    );
}

#[test]
fn many_apps_in_every_format() {
    snapshot_every_format("many-apps", &["examples/", "--no-config"]);
    let html = report(&["examples/", "--no-config"], "html").stdout;
    // A summary table links to one section per app.
    for i in 1..=8 {
        assert!(html.contains(&format!("<a href=\"#app-{i}\">")), "link {i}");
        assert!(
            html.contains(&format!("<section class=\"app\" id=\"app-{i}\">")),
            "section {i}"
        );
    }
}

#[test]
fn an_app_with_no_findings_in_every_format() {
    snapshot_every_format("no-findings", &["tests/fixtures/reports/clean.yaml", "--no-config"]);
    let json = json(&report(&["tests/fixtures/reports/clean.yaml", "--no-config"], "json").stdout);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    let sarif = json_of(&report(&["tests/fixtures/reports/clean.yaml", "--no-config"], "sarif").stdout);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn an_app_with_waived_findings_in_every_format() {
    let args = [
        "examples/meeting-assistant-salesforce.yaml",
        "--config",
        "tests/fixtures/reports/waived.policy.yaml",
    ];
    snapshot_every_format("waived", &args);
    let sarif = json_of(&report(&args, "sarif").stdout);
    let suppressed: Vec<&serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    assert!(suppressed[0]["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .contains("SEC-123"));
}

fn json_of(text: &str) -> serde_json::Value {
    json(text)
}

#[test]
fn hostile_input_is_text_in_html() {
    let html = report(&["tests/fixtures/reports/hostile.yaml", "--no-config"], "html").stdout;
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"));
    // Every tag in the document is one the template writes, and every link is internal or
    // https: nothing from input became markup.
    let allowed = [
        "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section", "div",
        "p", "strong", "span", "b", "i", "h1", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "a", "br",
        "code", "dl", "dt", "dd", "ul", "li", "time",
    ];
    for (i, _) in html.match_indices('<') {
        let rest = &html[i + 1..];
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == 'D')
            .collect();
        assert!(
            allowed.contains(&name.as_str()),
            "unexpected tag <{name} at {}",
            &html[i..(i + 60).min(html.len())]
        );
        if let Some(attrs) = rest.strip_prefix("a ") {
            // Browsers decode entities in attributes before they look at the scheme.
            let href = attrs
                .split('"')
                .nth(1)
                .unwrap()
                .replace("&#x2f;", "/")
                .replace("&#x3a;", ":")
                .replace("&amp;", "&");
            assert!(href.starts_with('#') || href.starts_with("https://"), "link to {href}");
        }
    }
    for forbidden in ["@import", "url("] {
        assert!(!html.contains(forbidden), "HTML contains {forbidden}");
    }
    // The hostile strings are there, as text.
    assert!(html.contains("&lt;script&gt;document.body.setAttribute("));
    assert!(html.contains("Evil&lt;&#x2f;title&gt;"));
}

#[test]
fn hostile_input_cannot_break_markdown_tables_or_links() {
    let md = report(&["tests/fixtures/reports/hostile.yaml", "--no-config"], "markdown").stdout;
    // An escaped bracket cannot close a link text.
    let unescaped = md.replace("\\]", "").replace("\\[", "");
    for forbidden in ["<script", "<img", "<svg", "<iframe", "](javascript:"] {
        assert!(!unescaped.contains(forbidden), "Markdown contains {forbidden}");
    }
    // Every table row has as many cell separators as its header.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let separators = line.replace("\\|", "").matches('|').count();
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "broken row: {line}"),
        }
    }
}

#[test]
fn sarif_results_have_locations_rules_and_stable_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(root().join("examples/over-privileged-salesforce.yaml")).unwrap();
    let moved = format!("# moved down\n\n\n{original}");
    let a = dir.path().join("a.yaml");
    std::fs::write(&a, &original).unwrap();
    let before = json_of(&report(&[a.to_str().unwrap(), "--no-config"], "sarif").stdout);
    std::fs::write(&a, &moved).unwrap();
    let after = json_of(&report(&[a.to_str().unwrap(), "--no-config"], "sarif").stdout);
    let run = &before["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(rules[index]["helpUri"].as_str().unwrap().starts_with("https://"));
        assert!(rules[index]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Remediation"));
        let severity: f64 = rules[index]["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity));
        let location = &r["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("file:///"));
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let prints = |s: &serde_json::Value| -> Vec<String> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["scopeaudit/v1"].as_str().unwrap().to_string())
            .collect()
    };
    let lines = |s: &serde_json::Value| -> Vec<u64> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(prints(&before), prints(&after), "fingerprints survive a line move");
    assert_ne!(lines(&before), lines(&after));
}

#[test]
fn one_run_writes_every_format_and_they_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = |ext: &str| dir.path().join(format!("report.{ext}")).to_str().unwrap().to_string();
    let outputs: Vec<String> = ["json", "sarif", "md", "html", "txt"].iter().map(|e| path(e)).collect();
    let mut args = vec!["examples/", "--no-config", "--fail-on", "never"];
    for o in &outputs {
        args.extend(["-o", o.as_str()]);
    }
    let out = audit(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = json_of(&std::fs::read_to_string(path("json")).unwrap());
    let sarif = json_of(&std::fs::read_to_string(path("sarif")).unwrap());
    let findings = json["findings"].as_array().unwrap().len();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), findings);
    let md = std::fs::read_to_string(path("md")).unwrap();
    let html = std::fs::read_to_string(path("html")).unwrap();
    let text = std::fs::read_to_string(path("txt")).unwrap();
    assert_eq!(text, out.stdout, "the text file is what stdout shows");
    for app in json["apps"].as_array().unwrap() {
        let grade = app["grade"].as_str().unwrap();
        assert!(md.contains(&format!("— grade {grade}")), "{}", app["name"]);
        assert!(html.contains(&format!("grade-{grade}")), "{}", app["name"]);
    }
    let bad = audit(&["examples/", "--no-config", "-o", "report.pdf"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("use .json, .sarif, .md, .html or .txt"),
        "{}",
        bad.stderr
    );
}

#[test]
fn templates_can_be_replaced_and_a_broken_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("report.md.j2"),
        "{% for a in apps %}{{ a.app.name|md }}: {{ a.app.grade }}\n{% endfor %}",
    )
    .unwrap();
    let out = audit(&[
        "examples/meeting-assistant-salesforce.yaml",
        "--no-config",
        "-f",
        "markdown",
        "--templates",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "Notable Meetings for Salesforce: B\n");
    std::fs::write(dir.path().join("report.md.j2"), "line one\n{% for a in apps %}").unwrap();
    let out = audit(&["examples/", "--no-config", "--templates", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: ") && out.stderr.contains("report.md.j2"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn two_hundred_apps_stay_navigable() {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(root().join("examples/over-privileged-salesforce.yaml")).unwrap();
    for i in 0..200 {
        let text = template.replace("app: QuickDash Widget", &format!("app: Vendor App {i:03}"));
        std::fs::write(dir.path().join(format!("app-{i:03}.yaml")), text).unwrap();
    }
    let html = report(&[dir.path().to_str().unwrap(), "--no-config"], "html").stdout;
    let md = report(&[dir.path().to_str().unwrap(), "--no-config"], "markdown").stdout;
    assert_eq!(html.matches("<section class=\"app\"").count(), 200);
    assert!(html.contains("<a href=\"#app-200\">Vendor App 199</a>"));
    assert_eq!(md.matches("<a id=\"app-").count(), 200);
    // GitHub caps a job summary at 1 MiB; 200 apps with two dozen findings each fit in it.
    assert!(md.len() < 1024 * 1024, "markdown is {} bytes", md.len());
}

/// The official SARIF 2.1.0 schema (from the `serde-sarif` 0.8.0 crate, `src/schema.json`;
/// sha256 af47e7b6...). Its `language` pattern has a stray `]` that strict regex engines
/// reject; it is corrected in memory, the file stays as published.
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
    let mut schema = json_of(&std::fs::read_to_string(root().join("tests/sarif-schema-2.1.0.json")).unwrap());
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    fix_language_pattern(&mut schema);
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

#[test]
fn sarif_output_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    let cases: [&[&str]; 6] = [
        &["examples/", "--no-config"],
        &[
            "examples/meeting-assistant-salesforce.yaml",
            "--config",
            "tests/fixtures/reports/waived.policy.yaml",
        ],
        &["tests/fixtures/reports/clean.yaml", "--no-config"],
        &["tests/fixtures/reports/hostile.yaml", "--no-config"],
        &["tests/fixtures/formats", "--no-config"],
        &[
            "--scopes",
            "api refresh_token",
            "--platform",
            "salesforce",
            "--no-config",
        ],
    ];
    for args in cases {
        let sarif = json_of(&report(args, "sarif").stdout);
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{args:?}: SARIF schema violations:\n{}",
            errors.join("\n")
        );
    }
    // The validator does reject what the schema forbids.
    let mut broken = json_of(&report(&["examples/over-privileged-salesforce.yaml", "--no-config"], "sarif").stdout);
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn backticks_in_input_cannot_open_markup_or_break_code_spans() {
    let args = ["tests/fixtures/reports/backticks.yaml", "--no-config"];
    let html = report(&args, "html").stdout;
    assert!(!html.contains("<script"), "HTML carries input markup");
    assert!(!html.contains("<b>App"), "HTML carries input markup");
    assert_eq!(html.matches("<code>").count(), html.matches("</code>").count());
    // Rule texts show their code as code, not as backticks.
    assert!(html.contains("<code>api</code>"));
    // Waived, the messages quoting those names sit in a table.
    let waived = [
        "tests/fixtures/reports/backticks.yaml",
        "--config",
        "tests/fixtures/reports/backticks.policy.yaml",
    ];
    let md = report(&args, "markdown").stdout + &report(&waived, "markdown").stdout;
    assert!(md.contains("| MEDIUM `unknown-scope`: "), "{md}");
    // Every table row keeps its cells: a pipe inside a code span in a cell is escaped.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let separators = line.replace("\\|", "").matches('|').count();
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "broken row: {line}"),
        }
    }
    // Outside code spans nothing from input is markup.
    for line in md.lines() {
        let mut rest = line;
        let mut prose = String::new();
        // Drop code spans the way CommonMark pairs them (same-length backtick runs).
        while let Some(open) = rest.find('`') {
            let run = rest[open..].chars().take_while(|c| *c == '`').count();
            prose.push_str(&rest[..open]);
            let after = &rest[open + run..];
            let fence = "`".repeat(run);
            match after.find(&fence) {
                Some(close) => rest = &after[close + run..],
                None => {
                    rest = after;
                }
            }
        }
        prose.push_str(rest);
        let prose = prose.replace("\\<", "").replace("\\`", "");
        assert!(
            !prose.contains("<script") && !prose.contains("<b>"),
            "markup in prose: {line}"
        );
    }
}

#[test]
fn the_platform_is_never_said_twice() {
    let scope_list = ["--scopes", "api web", "--platform", "salesforce", "--no-config"];
    let cases: [&[&str]; 3] = [
        &["examples/", "--no-config"],
        &scope_list,
        &["tests/fixtures/formats", "--no-config"],
    ];
    for args in cases {
        for (format, _) in FORMATS {
            let out = report(args, format).stdout;
            for platform in ["Salesforce", "HubSpot"] {
                let twice = format!("({platform}) ({platform})");
                assert!(!out.contains(&twice), "{args:?} {format} says {twice}");
            }
        }
    }
    let text = report(&scope_list, "text").stdout;
    assert!(text.starts_with("Scope list (Salesforce) — --scopes\n"), "{text}");
}

#[test]
fn the_checklist_fits_the_platform() {
    let hubspot = report(&["tests/fixtures/reports/clean.yaml", "--no-config"], "markdown").stdout;
    assert!(hubspot.contains("- [ ] **Scopes:**"));
    assert!(!hubspot.contains("IP policy"), "HubSpot has no IP policy:\n{hubspot}");
    let salesforce = report(&["examples/meeting-assistant-salesforce.yaml", "--no-config"], "html").stdout;
    assert!(salesforce.contains("<li><b>IP policy:</b> IP restrictions enforced.</li>"));
    let hubspot = report(&["tests/fixtures/reports/clean.yaml", "--no-config"], "html").stdout;
    assert!(!hubspot.contains("IP policy"));
}

#[test]
fn every_human_format_states_the_review_date_and_each_catalog_date() {
    let out = run(scopeaudit().env("SCOPEAUDIT_TODAY", "2027-02-03").args([
        "audit",
        "examples/",
        "--no-config",
        "--format",
        "text",
    ]));
    assert!(out.stdout.contains(
        "reviewed 2027-02-03 · Salesforce catalog checked 2026-11-30 · HubSpot catalog checked 2026-11-30\n"
    ));
    for format in ["markdown", "html", "json"] {
        let out = run(scopeaudit().env("SCOPEAUDIT_TODAY", "2027-02-03").args([
            "audit",
            "examples/",
            "--no-config",
            "--format",
            format,
        ]));
        assert!(out.stdout.contains("2027-02-03"), "{format}");
        if format != "json" {
            assert!(out.stdout.contains("HubSpot scope catalog checked on"), "{format}");
            assert!(out.stdout.contains("Salesforce scope catalog checked on"), "{format}");
        }
    }
}

#[test]
fn each_app_has_its_own_verdict_beside_the_overall_one() {
    let json = json_of(&report(&["examples/", "--no-config"], "json").stdout);
    assert_eq!(json["verdict"], "not_acceptable");
    let verdicts: Vec<&str> = json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["verdict"].as_str().unwrap())
        .collect();
    assert!(
        verdicts.contains(&"acceptable") && verdicts.contains(&"not_acceptable"),
        "{verdicts:?}"
    );
    let text = report(&["examples/", "--no-config"], "text").stdout;
    assert!(text.contains("\n  Acceptable as requested · grade"));
    assert!(text.contains("\n  Not acceptable as requested · grade"));
    assert!(text.contains("\nverdict: Not acceptable as requested\n"));
}

#[test]
fn text_shows_the_source_line_but_never_a_secret() {
    let out = report(
        &[
            "tests/fixtures/formats/urls/links.url",
            "--no-config",
            "--fail-on",
            "never",
        ],
        "text",
    )
    .stdout;
    // A snippet with its line number and a marker under the scope.
    assert!(out.contains("           2 | "), "{out}");
    assert!(out.contains("^^^"), "{out}");
    // The client secret on line 4 is never shown.
    assert!(!out.contains("9f8e7d6c5b4a"), "{out}");
    assert!(!out.contains("client_secret="), "{out}");
    let out = report(
        &[
            "tests/fixtures/formats/connected-app",
            "--no-config",
            "--fail-on",
            "never",
        ],
        "text",
    )
    .stdout;
    assert!(!out.contains("REPLACE_ME") && !out.contains("PRIVATE KEY"), "{out}");
}

#[test]
fn snippets_are_coloured_only_when_asked() {
    let args = ["audit", "examples/meeting-assistant-salesforce.yaml", "--no-config"];
    let plain = run(scopeaudit().args(args));
    assert!(!plain.stdout.contains('\u{1b}'));
    let coloured = run(scopeaudit()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(args));
    let snippet_line = coloured
        .stdout
        .lines()
        .find(|l| l.contains("- scope: api"))
        .expect("a snippet line");
    assert!(snippet_line.contains('\u{1b}'), "{snippet_line:?}");
}

#[test]
fn waived_findings_are_listed_with_their_reason_in_text() {
    let out = report(
        &[
            "examples/meeting-assistant-salesforce.yaml",
            "--config",
            "tests/fixtures/reports/waived.policy.yaml",
        ],
        "text",
    )
    .stdout;
    assert!(out.contains("  2 findings waived by policy:\n"));
    assert!(out.contains("waived: Approved in SEC-123"));
    assert!(out.contains("(until 2027-06-30)"));
}

#[test]
fn sarif_uris_stay_inside_the_repository_and_non_files_are_logical() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let repo = base.join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("apps")).unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    let manifest = std::fs::read_to_string(root().join("examples/over-privileged-salesforce.yaml")).unwrap();
    write(&repo.join("apps"), "x.yaml", &manifest);
    write(&base, "outside.yaml", &manifest);
    let sarif = |cwd: &std::path::Path, args: &[&str]| {
        let out = run(scopeaudit()
            .current_dir(cwd)
            .arg("audit")
            .args(args)
            .args(["--no-config", "--format", "sarif"]));
        assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
        json_of(&out.stdout)
    };
    let uris = |sarif: &serde_json::Value| -> Vec<String> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // From a subfolder, `../apps/x.yaml` is `apps/x.yaml` from the repository root.
    let inside = sarif(&repo.join("sub"), &["../apps/x.yaml"]);
    let found = uris(&inside);
    assert!(!found.is_empty());
    assert!(found.iter().all(|u| u == "apps/x.yaml"), "{found:?}");
    let base_id = &inside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"];
    assert_eq!(base_id, "%SRCROOT%");
    // A file outside the repository: an absolute file URI, never `../`.
    let outside = sarif(&repo.join("sub"), &["../../outside.yaml"]);
    for uri in uris(&outside) {
        assert!(uri.starts_with("file:///") && !uri.contains(".."), "{uri}");
    }
    // An authorize URL and a scope list are not files: logical locations.
    let url = "https://app.hubspot.com/oauth/authorize?client_id=abc&redirect_uri=https://a.example/cb&scope=oauth%20crm.objects.contacts.write";
    for args in [vec![url], vec!["--scopes", "api web", "--platform", "salesforce"]] {
        let out = sarif(&root(), &args);
        let results = out["runs"][0]["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{args:?}");
        for r in results {
            assert!(r["locations"][0].get("physicalLocation").is_none(), "{args:?}: {r}");
            let logical = &r["locations"][0]["logicalLocations"][0];
            assert!(logical["name"].is_string(), "{args:?}: {r}");
        }
        let errors: Vec<String> = sarif_validator().iter_errors(&out).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{args:?}: {errors:?}");
    }
}

#[test]
fn sarif_help_links_fit_the_platform_of_the_findings() {
    // `write-scope` applies to both platforms; its one link is HubSpot's documentation.
    // Scope lists without tools, so that nothing more specific speaks of the write scope.
    let sf = json_of(
        &report(
            &["--scopes", "chatter_api", "--platform", "salesforce", "--no-config"],
            "sarif",
        )
        .stdout,
    );
    let hs = json_of(
        &report(
            &[
                "--scopes",
                "oauth crm.objects.contacts.write",
                "--platform",
                "hubspot",
                "--no-config",
            ],
            "sarif",
        )
        .stdout,
    );
    let help = |sarif: &serde_json::Value| {
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "write-scope")
            .map(|r| r["helpUri"].as_str().unwrap().to_string())
            .expect("write-scope fired")
    };
    assert!(help(&sf).contains("salesforce.com"), "{}", help(&sf));
    assert!(help(&hs).contains("hubspot.com"), "{}", help(&hs));
}
