//! Every input format, clean and messy, through the real binary with whole-output snapshots;
//! detection by name and content; secrets never repeated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

/// Audits one fixture (file or directory) under `tests/fixtures/formats/` and compares the
/// whole text report.
fn snapshot_text(fixture: &str, snapshot: &str) -> Run {
    let path = format!("tests/fixtures/formats/{fixture}");
    let out = audit(&[&path, "--no-config", "--fail-on", "never"]);
    assert_eq!(out.code, 0, "{fixture}: {}", out.stderr);
    assert_eq!(out.stderr, "", "{fixture}");
    assert_snapshot(snapshot, &out.stdout);
    out
}

#[test]
fn connected_apps_messy_every_scope_and_saml_only() {
    snapshot_text("connected-app", "formats-connected-app.txt");
}

#[test]
fn external_client_app_files_join_into_one_app() {
    snapshot_text("eca-mess", "formats-eca.txt");
    let out = audit(&[
        "tests/fixtures/formats/eca-mess",
        "--no-config",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let report = json(&out.stdout);
    let app = &report["apps"][0];
    assert_eq!(app["source"]["kind"], "external_client_app");
    assert_eq!(app["source"]["files"].as_array().unwrap().len(), 3);
    // Each finding names the file of the setting or scope it is about.
    let located: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["location"]["path"].as_str().unwrap();
            (
                f["rule"].as_str().unwrap().to_string(),
                path.rsplit('/').next().unwrap().to_string(),
            )
        })
        .collect();
    assert!(located.contains(&(
        "ip-restrictions-relaxed".into(),
        "Field_Notes_plcy.ecaOauthPlcy-meta.xml".into()
    )));
    assert!(located.contains(&("offline-access".into(), "Field_Notes_oauth.ecaOauth-meta.xml".into())));
    assert_snapshot("formats-eca.json", &out.stdout);
}

#[test]
fn hubspot_configs_of_every_generation() {
    snapshot_text("hubspot-public", "formats-hubspot-public.txt");
    snapshot_text("hubspot-private", "formats-hubspot-private.txt");
    snapshot_text("hubspot-project", "formats-hubspot-project.txt");
    let out = audit(&[
        "tests/fixtures/formats/hubspot-project",
        "--no-config",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    let report = json(&out.stdout);
    let requirements: Vec<(&str, &str)> = report["apps"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["scope"].as_str().unwrap(), s["requirement"].as_str().unwrap()))
        .collect();
    assert_eq!(
        requirements,
        [
            ("oauth", "required"),
            ("crm.objects.companies.read", "required"),
            ("crm.schemas.companies.write", "conditional"),
            ("crm.objects.companies.highly_sensitive.read", "optional"),
        ]
    );
}

#[test]
fn authorize_url_files_and_shortcuts() {
    snapshot_text("urls", "formats-urls.txt");
}

#[test]
fn an_authorize_url_on_the_command_line_is_named_without_its_query() {
    let url = "https://app.hubspot.com/oauth/authorize?client_id=abc&scope=oauth%20crm.objects.deals.read&redirect_uri=https%3A%2F%2Fx.example%2Fcb&client_secret=hunter2hunter2";
    let out = audit(&[url, "--no-config", "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("hunter2"), "the secret is never repeated");
    let report = json(&out.stdout);
    assert_eq!(
        report["apps"][0]["source"]["path"],
        "https://app.hubspot.com/oauth/authorize"
    );
    assert_eq!(report["apps"][0]["scopes"].as_array().unwrap().len(), 2);
    assert!(rules_in(&report).contains(&"secret-in-source".to_string()));
}

#[test]
fn secrets_in_inputs_never_reach_any_output() {
    // A private key pasted as the certificate, a consumer secret, a client secret in a URL.
    let key_line =
        std::fs::read_to_string(root().join("tests/fixtures/formats/connected-app/Messy_Sync.connectedApp-meta.xml"))
            .unwrap()
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 64 && !l.contains('<'))
            .expect("a full line of the key's base64")
            .to_string();
    let secrets = [
        key_line.as_str(),
        "4A7F2C9E1B3D5A6F8C0E2B4D6F8A1C3E5B7D9F0A2C4E6B8D0F1A3C5E7B9D2F4",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    ];
    for format in ["text", "json"] {
        let out = audit(&[
            "tests/fixtures/formats/connected-app",
            "tests/fixtures/rules/secret-in-source/fires",
            "tests/fixtures/formats/urls",
            "--no-config",
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout.matches("has a secret in its config").count(), 3, "{format}");
        for secret in secrets {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{format} leaks {secret}"
            );
        }
    }
}

#[test]
fn walking_skips_what_is_not_an_app_and_naming_it_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("src/app/cards")).unwrap();
    std::fs::create_dir_all(d.join("node_modules/x")).unwrap();
    std::fs::write(
        d.join("src/app/cards/card-hsmeta.json"),
        r#"{"uid":"c","type":"card","config":{}}"#,
    )
    .unwrap();
    std::fs::write(d.join("app.json"), r#"{"expo": {"name": "mobile"}}"#).unwrap();
    std::fs::write(d.join("README.md"), "# hi\n").unwrap();
    std::fs::write(d.join("node_modules/x/public-app.json"), "not even json").unwrap();
    std::fs::copy(
        root().join("tests/fixtures/formats/hubspot-private/app.json"),
        d.join("src/app/app.json"),
    )
    .unwrap();
    let out =
        run(scopeaudit()
            .current_dir(d)
            .args(["audit", ".", "--no-config", "--format", "json", "--fail-on", "never"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    let paths: Vec<&str> = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["source"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./src/app/app.json"]);

    for (file, message) in [
        (
            "src/app/cards/card-hsmeta.json",
            "not a HubSpot app config: a project component of type `card`, not an app",
        ),
        (
            "app.json",
            "not a HubSpot app config: no `scopes` and no `auth`: not a HubSpot app config",
        ),
        ("README.md", "unsupported input: expected an app manifest"),
    ] {
        let out = run(scopeaudit().current_dir(d).args(["audit", file, "--no-config"]));
        assert_eq!(out.code, 2, "{file}");
        assert!(
            out.stderr.starts_with(&format!("error: {file}: {message}")),
            "{file}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_file_with_an_unfamiliar_name_is_read_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("vendor-app.xml");
    std::fs::copy(
        root().join("tests/fixtures/rules/no-oauth-config/passes.connectedApp-meta.xml"),
        &xml,
    )
    .unwrap();
    let links = dir.path().join("links.txt");
    std::fs::write(
        &links,
        "https://login.salesforce.com/services/oauth2/authorize?response_type=code&scope=api\n",
    )
    .unwrap();
    let out = audit(&[
        xml.to_str().unwrap(),
        links.to_str().unwrap(),
        "--no-config",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let kinds: Vec<String> = json(&out.stdout)["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["source"]["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["connected_app", "authorize_url"]);
}

#[test]
fn non_ascii_paths_and_lines_are_fine() {
    // Found by fuzzing: input detection once sliced the first bytes of every argument.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("résumé-app.yaml");
    std::fs::copy(root().join("examples/meeting-assistant-hubspot.yaml"), &path).unwrap();
    let out = run(scopeaudit()
        .current_dir(dir.path())
        .args(["audit", "résumé-app.yaml", "--no-config"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let links = dir.path().join("liens.url");
    std::fs::write(
        &links,
        "# Négociée avec le fournisseur\nhttps://app.hubspot.com/oauth/authorize?scope=oauth\nNégociée\n",
    )
    .unwrap();
    let out = audit(&[links.to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .ends_with(":3: expected an authorize URL (https://…) on this line\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_scope_repeated_in_a_list_is_one_request_with_a_note() {
    let out = audit(&[
        "--scopes",
        "api api",
        "--platform",
        "salesforce",
        "--no-config",
        "-f",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["apps"][0]["scopes"].as_array().unwrap().len(), 1);
    let rules = rules_in(&report);
    assert!(
        rules.contains(&"config-anomaly".to_string()) && !rules.contains(&"duplicate-alias".to_string()),
        "{rules:?}"
    );
}

/// A HubSpot install link whose host, as a browser reads it, is evil.example: `\` ends the
/// host of an http(s) URL, so `@app.hubspot.com` is the start of the path.
const BACKSLASH_URL: &str = "https://evil.example\\@app.hubspot.com/oauth/authorize?client_id=5f0c&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=oauth&code_challenge=abc&code_challenge_method=S256";

#[test]
fn a_backslash_consent_link_is_judged_by_the_host_a_browser_visits() {
    // The default gate (`--fail-on high`) fails, and the app is not graded A.
    let out = audit(&[BACKSLASH_URL, "--no-config"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("gate failed (fail-on high)"), "{}", out.stdout);
    assert!(!out.stdout.contains("grade A"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("sends users to `evil.example`, which is not a HubSpot app host"),
        "{}",
        out.stdout
    );
    let out = audit(&[BACKSLASH_URL, "--no-config", "-f", "json", "--fail-on", "never"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = json(&out.stdout);
    let app = &report["apps"][0];
    assert_eq!(app["platform"], "hubspot");
    assert_eq!(
        app["source"]["path"], "https://evil.example/@app.hubspot.com/oauth/authorize",
        "named as the browser reads it"
    );
    assert_eq!(app["settings"]["authorize_host"], "evil.example");
    assert_eq!(app["settings"]["authorize_host_known"], false);
    assert_ne!(app["grade"], "A");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "authorize-host-untrusted")
        .expect("the untrusted-host finding");
    assert_eq!(finding["severity"], "high");
    // The same link on HubSpot's own host passes that rule and the gate.
    let genuine = BACKSLASH_URL.replace("evil.example\\@", "");
    let out = audit(&[&genuine, "--no-config", "-f", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!rules_in(&json(&out.stdout)).contains(&"authorize-host-untrusted".to_string()));
}

#[test]
fn a_salesforce_consent_link_on_a_foreign_host_is_a_medium_finding() {
    let link = |host: &str| {
        format!("https://{host}/services/oauth2/authorize?response_type=code&client_id=3MVG9abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=id&code_challenge=abc&code_challenge_method=S256")
    };
    let foreign = link("login.salesforce.com.sso-acme.example");
    let out = audit(&[&foreign, "--no-config", "-f", "json"]);
    // Medium: below the default gate, but reported.
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = json(&out.stdout);
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "authorize-host-unrecognized")
        .collect();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["severity"], "medium");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`login.salesforce.com.sso-acme.example`")
            && message.contains("confirm this host is your org's custom domain"),
        "{message}"
    );
    let gate = audit(&[&foreign, "--no-config", "--fail-on", "medium"]);
    assert_eq!(gate.code, 1, "{}", gate.stdout);
    // Genuine login, My Domain, sandbox and site hosts pass.
    for host in [
        "login.salesforce.com",
        "acme.my.salesforce.com",
        "acme--uat.sandbox.my.salesforce.com",
        "acme.my.site.com",
    ] {
        let out = audit(&[&link(host), "--no-config", "-f", "json"]);
        assert_eq!(out.code, 0, "{host}: {}", out.stderr);
        let report = json(&out.stdout);
        assert_eq!(report["apps"][0]["settings"]["authorize_host_known"], true, "{host}");
        assert!(
            !rules_in(&report).contains(&"authorize-host-unrecognized".to_string()),
            "{host}"
        );
    }
}

#[test]
fn credentials_in_a_url_never_reach_any_output_or_error() {
    let secrets = ["vendoruser", "Pa55w0rdSecret", "cbuser", "CbS3cretPw"];
    let url = "https://vendoruser:Pa55w0rdSecret@acme.my.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9abc&scope=id&redirect_uri=https%3A%2F%2Fcbuser%3ACbS3cretPw%40cb.example%2Fcb";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("links.url");
    std::fs::write(&file, format!("# from the vendor\n{url}\n")).unwrap();
    let file = file.to_str().unwrap();
    let check = |what: &str, text: &str| {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} leaks {secret}:\n{text}");
        }
    };
    for input in [url, file] {
        let outputs: Vec<String> = ["json", "sarif", "md", "html", "txt"]
            .iter()
            .map(|ext| dir.path().join(format!("report.{ext}")).to_str().unwrap().to_string())
            .collect();
        for format in ["text", "json", "sarif", "markdown", "html"] {
            let mut args = vec![input, "--no-config", "-f", format, "--fail-on", "never"];
            for o in &outputs {
                args.extend(["-o", o.as_str()]);
            }
            let out = audit(&args);
            assert_eq!(out.code, 0, "{format}: {}", out.stderr);
            check(&format!("{format} on stdout"), &out.stdout);
            check("stderr", &out.stderr);
            for o in &outputs {
                check(o, &std::fs::read_to_string(o).unwrap());
            }
            if format == "json" {
                let report = json(&out.stdout);
                assert_eq!(
                    report["apps"][0]["settings"]["callback_urls"][0],
                    "https://cb.example/cb"
                );
                let secret = report["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["rule"] == "secret-in-source")
                    .expect("a committed-secret finding");
                let message = secret["message"].as_str().unwrap();
                assert!(
                    message.contains("user name or password in an authorize URL")
                        && message.contains("user name or password in a redirect_uri"),
                    "{message}"
                );
            }
        }
    }
    // Two versions of the link compared.
    let newer = url.replace("scope=id", "scope=id%20api");
    for format in ["text", "json", "markdown"] {
        let out = run(scopeaudit().args(["diff", url, &newer, "-f", format, "--fail-on", "never"]));
        assert_eq!(out.code, 0, "diff {format}: {}", out.stderr);
        check(&format!("diff {format}"), &out.stdout);
        check("diff stderr", &out.stderr);
    }
    // Errors: a URL that is not an authorize URL, on the command line and in a file.
    let other = "https://vendoruser:Pa55w0rdSecret@evil.example/login";
    let out = audit(&[other, "--no-config"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`https://evil.example/login` is not a Salesforce"),
        "{}",
        out.stderr
    );
    check("error", &out.stderr);
    std::fs::write(dir.path().join("bad.url"), format!("{other}\n")).unwrap();
    let out = audit(&[dir.path().join("bad.url").to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 2);
    check("file error", &out.stderr);
}

/// A manifest in flow style over three lines: each scope on its own line.
const FLOW_MANIFEST: &str = "{app: Flow App, platform: salesforce,
 scopes: [{scope: api, justification: Reads records.},
          {scope: refresh_token, required: false}]}
";

/// A whole manifest indented, after comments and a `---`.
const INDENTED_MANIFEST: &str = "# Vendor manifest
---
    app: Indented App
    platform: hubspot
    scopes:
      - scope: oauth
        justification: Sign-in.
      -   scope: crm.objects.contacts.write
    settings:
      distribution: marketplace
";

/// Each app's name with its scopes and their lines, from a JSON report.
fn scope_lines(report: &serde_json::Value) -> Vec<(String, Vec<(String, u64)>)> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|app| {
            let scopes = app["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["scope"].as_str().unwrap().to_string(), s["line"].as_u64().unwrap()))
                .collect();
            (app["name"].as_str().unwrap().to_string(), scopes)
        })
        .collect()
}

#[test]
fn manifests_in_any_yaml_style_named_or_found_by_walking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "flow.yaml", FLOW_MANIFEST);
    write(d, "indented.yml", INDENTED_MANIFEST);
    // YAML that is not a manifest, with `app:` keys below the top level: skipped while walking.
    write(d, "ci.yaml", "jobs:\n  build:\n    app: web\n");
    write(
        d,
        "k8s.yaml",
        "kind: Service\nmetadata:\n  labels:\n    app: web\n---\nkind: Pod\nmetadata:\n  labels: {app: web}\n",
    );
    let expected = [
        (
            "Flow App".to_string(),
            vec![("api".to_string(), 2), ("refresh_token".to_string(), 3)],
        ),
        (
            "Indented App".to_string(),
            vec![("oauth".to_string(), 6), ("crm.objects.contacts.write".to_string(), 8)],
        ),
    ];
    let json_args = ["--no-config", "--format", "json", "--fail-on", "never"];

    let named = run(scopeaudit()
        .current_dir(d)
        .args(["audit", "flow.yaml", "indented.yml"])
        .args(json_args));
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(scope_lines(&json(&named.stdout)), expected);

    let walked = run(scopeaudit().current_dir(d).args(["audit", "."]).args(json_args));
    assert_eq!((walked.code, walked.stderr.as_str()), (0, ""));
    assert_eq!(scope_lines(&json(&walked.stdout)), expected);

    // Findings in the text report point at the scope's own line in either style.
    let text = run(scopeaudit()
        .current_dir(d)
        .args(["audit", ".", "--no-config", "--fail-on", "never"]));
    for line in [
        "  LOW      missing-justification  refresh_token  ./flow.yaml:3",
        "  LOW      missing-justification  crm.objects.contacts.write  ./indented.yml:8",
    ] {
        assert!(text.stdout.lines().any(|l| l == line), "{line}\n{}", text.stdout);
    }
}

#[test]
fn a_broken_manifest_found_by_walking_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "flow.yaml", FLOW_MANIFEST);
    // Broken before its `app:` key, and a flow mapping never closed.
    write(d, "a.yaml", "platform: hubspot\nscopes: [oauth\napp: Broken\n");
    write(
        d,
        "b.yaml",
        "{app: Broken Flow, platform: hubspot, scopes: [{scope: oauth}]\n",
    );
    // Broken YAML that is not a manifest stays skipped.
    write(d, "ci.yaml", "steps:\n  - run: \"echo\n    app: x\n");
    let out = run(scopeaudit().current_dir(d).args(["audit", ".", "--no-config"]));
    // The rest is audited; the report is incomplete and says which files it could not read.
    assert_eq!(out.code, 2);
    let head: Vec<&str> = out.stdout.lines().take(3).collect();
    assert_eq!(
        head,
        [
            "INCOMPLETE: 2 inputs could not be read; this report covers only the rest:",
            "  ./a.yaml:3:4: illegal placement of ':' indicator",
            "  ./b.yaml:1:1: unclosed bracket '{'",
        ]
    );
    assert!(out.stdout.contains("Flow App (Salesforce) — ./flow.yaml"));
    assert_eq!(
        out.stderr,
        "error: the report is incomplete: 2 input(s) could not be read\n"
    );
}
