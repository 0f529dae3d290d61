//! Hostile and unusual inputs: nothing that might be an app is dropped while walking, nothing
//! from input can forge terminal or report output, reads and outputs are bounded, and reports
//! never replace what they audit. Every case runs the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const GOOD: &str = "app: Fixture
platform: hubspot
scopes:
  - scope: oauth
    justification: Required.
";

fn manifest_named(name: &str) -> String {
    GOOD.replace("Fixture", name)
}

/// Audits a directory as JSON; returns the exit code and report.
fn audit_json(dir: &Path) -> (i32, serde_json::Value, String) {
    let out = audit(&[dir.to_str().unwrap(), "--no-config", "-f", "json", "--fail-on", "never"]);
    (out.code, json(&out.stdout), out.stderr)
}

fn app_names(report: &serde_json::Value) -> Vec<String> {
    report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

fn error_paths(report: &serde_json::Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let path = e["path"].as_str().unwrap();
            path.rsplit('/').next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn a_walk_reads_other_encodings_and_names_and_reports_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Read: UTF-16 with a byte-order mark (both orders), an upper-case extension, a name that
    // is not valid UTF-8, a hidden file.
    let text = manifest_named("Utf16 Little");
    let le: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(d.join("le.yaml"), le).unwrap();
    let text = manifest_named("Utf16 Big");
    let be: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    std::fs::write(d.join("be.yaml"), be).unwrap();
    write(d, "SHOUTING.YAML", &manifest_named("Upper Case"));
    let odd_name = std::ffi::OsStr::from_bytes(b"caf\xe9.yaml");
    std::fs::write(d.join(odd_name), manifest_named("Latin1 Name")).unwrap();
    write(d, ".hidden.yml", &manifest_named("Hidden"));
    // Reported: Latin-1 content, over the size limit, a FIFO and a device behind app names,
    // a dangling link.
    std::fs::write(
        d.join("latin1.yaml"),
        b"app: Caf\xe9 Sync\nplatform: hubspot\nscopes: []\n",
    )
    .unwrap();
    write(
        d,
        "huge.yaml",
        &format!("{GOOD}description: {}\n", "x".repeat(1_100_000)),
    );
    let fifo = d.join("pipe.yaml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink(d.join("gone.yaml"), d.join("dangling.yaml")).unwrap();
    // Not an app at all: passed over, as before.
    write(d, "ci.yml", "jobs:\n  build: {}\n");

    let (code, report, stderr) = audit_json(d);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report["complete"], false);
    let mut names = app_names(&report);
    names.sort();
    assert_eq!(
        names,
        ["Hidden", "Latin1 Name", "Upper Case", "Utf16 Big", "Utf16 Little"]
    );
    let mut errors = error_paths(&report);
    errors.sort();
    assert_eq!(
        errors,
        ["dangling.yaml", "huge.yaml", "latin1.yaml", "pipe.yaml", "zero.yaml"],
        "{}",
        report["errors"]
    );
    let message_of = |file: &str| {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"].as_str().unwrap().ends_with(file))
            .map(|e| e["message"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(message_of("latin1.yaml").contains("not UTF-8 text"));
    assert!(message_of("huge.yaml").contains("more than the 1.0 MiB"));
    assert!(message_of("pipe.yaml").starts_with("not a regular file"));
    assert!(message_of("zero.yaml").starts_with("not a regular file"));
    assert_eq!(message_of("dangling.yaml"), "no such file or directory");
}

#[test]
fn gitignored_app_files_are_listed_not_silently_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).unwrap();
    write(d, ".gitignore", "local/\n");
    std::fs::create_dir(d.join("local")).unwrap();
    write(&d.join("local"), "scratch.yaml", &manifest_named("Scratch"));
    write(d, "app.yaml", &manifest_named("Committed"));
    let (code, report, _) = audit_json(d);
    assert_eq!(code, 0);
    assert_eq!(app_names(&report), ["Committed"]);
    let ignored = report["gitignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1);
    assert!(ignored[0].as_str().unwrap().ends_with("local/scratch.yaml"));
    let text = audit(&[d.to_str().unwrap(), "--no-config"]);
    assert!(
        text.stdout.contains("not audited: 1 app file hidden by .gitignore:"),
        "{}",
        text.stdout
    );
}

#[test]
fn named_devices_and_fifos_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("named.yaml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for input in ["/dev/zero", fifo.to_str().unwrap()] {
        let out = audit(&[input, "--no-config"]);
        assert_eq!(out.code, 2, "{input}");
        assert_eq!(
            out.stderr,
            format!("error: {input}: not a regular file (a device, FIFO or socket); copy its content to a file\n")
        );
        assert!(out.stdout.is_empty());
    }
    let out = audit(&["examples/meeting-assistant-hubspot.yaml", "--config", "/dev/zero"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: /dev/zero: not a regular file"),
        "{}",
        out.stderr
    );
}

/// An app name, scope and URL that try to draw a fake "gate passed" and hide the real verdict.
const FORGER: &str = "app: \"Fixture\\e[2K\\rgate passed (fail-on high)\\e]8;;https://evil.example\\a link\\e]8;;\\a\"
vendor: \"Evil\\u202Egnp.exe\"
platform: salesforce
scopes:
  - scope: full
    justification: \"Needed.\\ngate passed\\u0085x\"
settings:
  callback_urls: [\"https://evil.example/cb\\r\\e[1A\"]
";

#[test]
fn input_cannot_forge_terminal_or_report_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "forger.yaml", FORGER);
    let p = path.to_str().unwrap();
    let out = audit(&[p, "--no-config"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    for hazard in ['\x1b', '\r', '\x07', '\u{202e}', '\u{85}'] {
        assert!(!out.stdout.contains(hazard), "{hazard:?} reached the terminal");
    }
    assert!(
        out.stdout
            .contains("Fixture\\x1b[2K\\rgate passed (fail-on high)\\x1b]8;;https://evil.example\\x07 link"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("by Evil\\u{202e}gnp.exe"));
    // Each line a finding starts is one of ours: no input line break made its own.
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("gate ")).count(),
        1,
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with("gate failed (fail-on high)\n"));

    // Markdown and HTML: hazards visible too, and vendor text makes no autolink.
    let md = dir.path().join("r.md");
    let html = dir.path().join("r.html");
    let sarif = dir.path().join("r.sarif");
    let json_out = audit(&[
        p,
        "--no-config",
        "-f",
        "json",
        "-o",
        md.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "-o",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(json_out.code, 1);
    for file in [&md, &html, &sarif] {
        let text = std::fs::read_to_string(file).unwrap();
        for hazard in ['\x1b', '\r', '\x07', '\u{202e}', '\u{85}'] {
            assert!(!text.contains(hazard), "{hazard:?} in {}", file.display());
        }
    }
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(!md.contains("https://evil.example"), "autolink in Markdown");
    assert!(md.contains("https\\://evil.example"));
    // JSON stays faithful: the name as the file wrote it.
    let report = json(&json_out.stdout);
    assert!(report["apps"][0]["name"].as_str().unwrap().contains("\u{1b}[2K\r"));
}

#[test]
fn error_messages_neutralise_file_names_and_cap_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let sneaky = std::ffi::OsStr::from_bytes(b"x\x1b[2J\rok.yaml");
    std::fs::write(dir.path().join(sneaky), "app: X\nplatform: nowhere\nscopes: []\n").unwrap();
    let out = audit(&[dir.path().to_str().unwrap(), "--no-config", "-f", "json"]);
    assert_eq!(out.code, 2);
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\r'),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("x\\x1b[2J\\rok.yaml"), "{}", out.stderr);

    // A megabyte-scale name is shown once in the header and capped in each message.
    let long = "N".repeat(200_000);
    let path = write(
        dir.path(),
        "long.yaml",
        &format!("app: {long}\nplatform: salesforce\nscopes:\n  - scope: full\n  - scope: api\n  - scope: web\n"),
    );
    let out = audit(&[path.to_str().unwrap(), "--no-config"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.len() < 2 * long.len(),
        "{} bytes for a {}-byte name",
        out.stdout.len(),
        long.len()
    );
    assert!(out.stdout.contains("(199800 more characters)"));
}

#[test]
fn reports_never_replace_inputs_and_failed_writes_fail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // -o naming an input given by name (a manifest recognised by content), or one found by
    // walking (a HubSpot public-app.json).
    let input = write(d, "app.md", GOOD);
    let public_app =
        std::fs::read_to_string(root().join("tests/fixtures/formats/hubspot-public/public-app.json")).unwrap();
    let walked = write(d, "public-app.json", &public_app);
    for (args, target, content) in [
        (vec![input.to_str().unwrap()], &input, GOOD),
        (vec![d.to_str().unwrap()], &walked, public_app.as_str()),
    ] {
        let mut args = args.clone();
        args.extend(["--no-config", "--fail-on", "never", "-o", target.to_str().unwrap()]);
        let out = audit(&args);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(
            out.stderr,
            format!(
                "error: -o {}: is one of the inputs; choose another path\n",
                target.display()
            )
        );
        assert_eq!(std::fs::read_to_string(target).unwrap(), content);
    }
    std::fs::remove_file(&walked).unwrap();
    // A report that cannot be written leaves nothing behind and exits 2.
    let out = audit(&[
        input.to_str().unwrap(),
        "--no-config",
        "-o",
        d.join("missing/dir/report.json").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: -o "), "{}", out.stderr);
    assert!(!d.join("missing").exists());
    // A report written replaces the old one whole, with no temporary file left beside it.
    let report = d.join("report.json");
    std::fs::write(&report, "old").unwrap();
    let out = audit(&[input.to_str().unwrap(), "--no-config", "-o", report.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&std::fs::read_to_string(&report).unwrap())["complete"], true);
    let mut left: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["app.md", "report.json"]);
    // stdout that cannot be written is an error, not a silent success.
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = run(scopeaudit()
        .args(["audit", input.to_str().unwrap(), "--no-config"])
        .stdout(full));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: cannot write to stdout: No space left on device (os error 28)\n"
    );
}

#[test]
fn an_incomplete_report_says_so_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "ok.yaml", GOOD);
    write(d, "broken.yaml", "app: Broken\nplatform: [\n");
    let out_dir = tempfile::tempdir().unwrap();
    let o = |ext: &str| out_dir.path().join(format!("r.{ext}")).to_str().unwrap().to_string();
    let (md, html, sarif) = (o("md"), o("html"), o("sarif"));
    let out = audit(&[d.to_str().unwrap(), "--no-config", "-o", &md, "-o", &html, "-o", &sarif]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.starts_with("INCOMPLETE: 1 input could not be read"));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("**⚠️ Incomplete: no verdict.** 1 input(s) could not be read"));
    assert!(!md.contains("Acceptable"));
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("<strong>Incomplete: no verdict</strong>"));
    assert!(!html.contains("Acceptable"));
    let sarif = json(&std::fs::read_to_string(&sarif).unwrap());
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert!(note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("broken.yaml"));
}

#[test]
fn credentials_in_arguments_that_are_not_consent_links_are_never_echoed() {
    for arg in [
        "ftp://user:s3cretpw@files.example/app.yaml",
        "https:/user:s3cretpw@nowhere",
    ] {
        let out = audit(&[arg, "--no-config"]);
        assert_eq!(out.code, 2, "{arg}");
        assert!(!out.stderr.contains("s3cretpw"), "{}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
    let out = run(scopeaudit().args([
        "diff",
        "ftp://user:s3cretpw@files.example/old.yaml",
        "examples/meeting-assistant-hubspot.yaml",
        "--no-config",
    ]));
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("s3cretpw"), "{}", out.stderr);
}

#[test]
fn a_malformed_secret_element_is_not_echoed_by_the_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    // A `<` inside the secret turns its tail into a tag name that the XML parser would quote.
    for (name, secret_line) in [
        (
            "Leaky.connectedApp-meta.xml",
            "<consumerSecret>9f8e7d6c<TAILofTHEsecret42</consumerSecret>",
        ),
        (
            "Leaky.connectedApp",
            "<consumerSecret>9f8e7d6c</TAILofTHEsecret42></consumerSecret>",
        ),
    ] {
        let path = write(
            dir.path(),
            name,
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Leaky</label>\n    <oauthConfig>\n        {secret_line}\n        <scopes>Api</scopes>\n    </oauthConfig>\n</ConnectedApp>\n"
            ),
        );
        let out = audit(&[path.to_str().unwrap(), "--no-config", "-f", "json"]);
        assert_eq!(out.code, 2, "{name}");
        assert!(out.stderr.contains("malformed XML"), "{}", out.stderr);
        assert!(!out.stderr.contains("TAIL"), "{}", out.stderr);
    }
}
