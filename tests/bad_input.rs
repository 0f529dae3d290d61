//! Bad input: a one-line error naming the file (and line and column where known), exit 2,
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! no report, never a panic.

mod common;
use common::*;
use std::path::Path;

const GOOD: &str = "app: Fixture
platform: hubspot
scopes:
  - scope: oauth
    justification: Required.
";

fn check(dir: &Path, name: &str, content: &[u8], expected_tail: &str) {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    let p = path.to_str().unwrap();
    let out = audit(&[p, "--no-config"]);
    assert_eq!(out.code, 2, "{name}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{name}: no partial report");
    assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{name}: one line: {}", out.stderr);
    let line = out.stderr.trim_end();
    assert!(
        line.starts_with(&format!("error: {p}")),
        "{name}: names the file: {line}"
    );
    assert!(
        line.ends_with(expected_tail),
        "{name}: expected …{expected_tail}\n got {line}"
    );
}

#[test]
fn malformed_and_mistyped_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(
        d,
        "syntax.yaml",
        b"app: X\nplatform: hubspot\nscopes:\n  - scope: oauth\n   justification: x\n",
        ":5:4: while parsing a block collection, did not find expected '-' indicator",
    );
    check(
        d,
        "quote.yaml",
        b"app: \"X\nplatform: hubspot\n",
        ":1:6: unclosed quote",
    );
    check(
        d,
        "type.yaml",
        GOOD.replace("Required.", "Required.\n    required: maybe").as_bytes(),
        ":6:15: scopes[0].required: invalid value: string \"maybe\", expected true, false or conditional",
    );
    check(d, "unknown.yaml", format!("{GOOD}permissions: []\n").as_bytes(), ":6:1: unknown field `permissions`, expected one of `app`, `vendor`, `platform`, `description`, `integration`, `scopes`, `tools`, `settings`, `match`");
    check(
        d,
        "nested-unknown.yaml",
        GOOD.replace("    justification", "    justfication").as_bytes(),
        ":5:5: scopes[0]: unknown field `justfication`, expected one of `scope`, `justification`, `required`; did you mean `justification`?",
    );
    check(
        d,
        "flow.yaml",
        b"{app: X, platform: hubspot,\n scopes: [{scope: oauth, justfication: x}]}\n",
        ":2:26: scopes[0]: unknown field `justfication`, expected one of `scope`, `justification`, `required`; did you mean `justification`?",
    );
    check(
        d,
        "indented.yaml",
        b"---\n  app: X\n  platform: hubspot\n  scopes:\n    - scope: oauth\n      required: maybe\n",
        ":6:17: scopes[0].required: invalid value: string \"maybe\", expected true, false or conditional",
    );
    check(
        d,
        "missing.yaml",
        b"app: X\nscopes:\n  - scope: oauth\n",
        ":1:1: missing field `platform`",
    );
    check(
        d,
        "platform.yaml",
        GOOD.replace("hubspot", "zoho").as_bytes(),
        ":2:11: platform: unknown variant `zoho`, expected `salesforce` or `hubspot`",
    );
    check(
        d,
        "noscopes.yaml",
        b"app: X\nplatform: hubspot\nscopes: []\n",
        ":3: `scopes` is empty: list the scopes the app requests",
    );
    check(
        d,
        "emptyscope.yaml",
        GOOD.replace("scope: oauth", "scope: \"\"").as_bytes(),
        ":4: scopes[0].scope is empty",
    );
    check(d, "setting.yaml", format!("{GOOD}settings:\n  refresh_token_policy: forever\n").as_bytes(), ":7: settings.refresh_token_policy: `forever` is not one of infinite, zero, specific_lifetime:N:UNIT, specific_inactivity:N:UNIT (UNIT: HOURS, DAYS, MONTHS)");
    check(
        d,
        "twodocs.yaml",
        format!("{GOOD}---\n{GOOD}").as_bytes(),
        ":6:1: more than one YAML document (a second `---`): a file holds one document",
    );
    check(
        d,
        "notmanifest.yaml",
        b"name: something else\n",
        ": not an app manifest: no top-level `app:` key",
    );
    check(
        d,
        "notes.txt",
        b"meeting notes\n",
        ": unsupported input: expected an app manifest (.yaml), a *.connectedApp-meta.xml, External Client App files (.eca, .ecaOauth, .ecaGlblOauth, .ecaOauthPlcy), a HubSpot public-app.json, app.json or *-hsmeta.json, or authorize URLs (.url)",
    );
}

#[test]
fn empty_binary_huge_deep_and_bombs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(d, "empty.yaml", b"", ": file is empty");
    check(d, "blank.yaml", b"\n  \n", ": file is empty");
    check(
        d,
        "binary.yaml",
        b"app: X\n\x00\x01\x02",
        ": binary file (NUL byte at offset 7), not text",
    );
    check(
        d,
        "latin1.yaml",
        b"app: Caf\xe9\n",
        ": not UTF-8 text (invalid byte at offset 8); if it is Latin-1 or Windows-1252, save it as UTF-8",
    );
    let mut big = format!("{GOOD}description: ");
    big.push_str(&"x".repeat(10 * 1024 * 1024));
    check(
        d,
        "big.yaml",
        big.as_bytes(),
        ": file is 10.0 MiB, more than the 1.0 MiB this input may be",
    );
    let deep = format!(
        "app: X\nplatform: hubspot\nscopes: []\ndescription: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    // The document is read before its fields are checked: nesting past the parser's limit is
    // the problem reported.
    check(
        d,
        "deep.yaml",
        deep.as_bytes(),
        ":4:269: nested too deeply: more than 255 levels of `[` or `{`",
    );
    // Deep nesting where no field is: still refused cleanly.
    let deep_top = format!("{}{}\n", "[".repeat(5000), "]".repeat(5000));
    check(
        d,
        "deep-top.yaml",
        format!("app: X\nplatform: hubspot\nscopes:\n  - {deep_top}").as_bytes(),
        ":4:260: nested too deeply: more than 255 levels of `[` or `{`",
    );
    let mut bomb = String::from("app: X\nplatform: hubspot\nscopes: []\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (i, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        bomb.push_str(&format!(
            "{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    // The whole document is read before its fields are checked, so the aliases are refused
    // as the bomb they are, whatever key holds them.
    let refused = "aliases (`*name`) expand to more than 100000 values: refused, as an alias bomb would be";
    check(d, "bomb.yaml", bomb.as_bytes(), &format!(":9:8: f[0]: {refused}"));
    bomb.push_str("description: *i\n");
    check(
        d,
        "bomb-used.yaml",
        bomb.replace("\na: &a", "\nx-a: &a").as_bytes(),
        &format!(":9:8: f[0]: {refused}"),
    );
}

#[test]
fn every_bad_file_is_reported_not_just_the_first() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", "app: A\nplatform: nowhere\nscopes: []\n");
    write(dir.path(), "b.yaml", "app: B\n");
    write(dir.path(), "ok.yaml", GOOD);
    write(dir.path(), "other.yaml", "not: a manifest\n");
    let root = dir.path().to_str().unwrap();
    let out = audit(&[root, "--no-config"]);
    // The walk audits what it can read and reports the rest: an incomplete report, exit 2.
    assert_eq!(out.code, 2, "{}", out.stderr);
    let banner: Vec<&str> = out.stdout.lines().take(3).collect();
    assert_eq!(
        banner,
        [
            "INCOMPLETE: 2 inputs could not be read; this report covers only the rest:",
            // One line per unread file: its first problem, and how many more it has.
            &format!("  {root}/a.yaml:2:11: platform: unknown variant `nowhere`, expected `salesforce` or `hubspot` (and 1 more problem in this file: audit it alone to see them all)")[..],
            &format!("  {root}/b.yaml:1:1: missing field `platform` (and 1 more problem in this file: audit it alone to see them all)")[..],
        ],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Fixture (HubSpot)"), "{}", out.stdout);
    assert!(out
        .stdout
        .ends_with("gate not applied: the audit is incomplete (2 inputs not read; exit 2)\n"));
    assert_eq!(
        out.stderr,
        "error: the report is incomplete: 2 input(s) could not be read\n"
    );
    let json_out = audit(&[root, "--no-config", "-f", "json"]);
    assert_eq!(json_out.code, 2);
    let report = json(&json_out.stdout);
    assert_eq!(report["complete"], false);
    assert_eq!(report["gate"]["passed"], false);
    assert_eq!(report["errors"].as_array().unwrap().len(), 2);
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(json_out.stderr.lines().count(), 3, "{}", json_out.stderr);
    let missing = audit(&["no/such/dir", "--no-config"]);
    assert_eq!(missing.stderr, "error: no/such/dir: no such file or directory\n");
}

#[test]
fn byte_order_mark_and_crlf_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
    let path = write(dir.path(), "windows.yaml", &text);
    let out = audit(&[path.to_str().unwrap(), "--no-config", "-f", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out.stdout)["apps"][0]["scopes"][0]["line"], 4);
}

#[test]
fn broken_xml_json_and_urls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = "X.connectedApp-meta.xml";
    check(
        d,
        ca,
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE ConnectedApp [\n  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n<ConnectedApp><label>&xxe;</label></ConnectedApp>\n",
        ":2: DOCTYPE declarations are refused: metadata never needs them, and they allow external entities and entity expansion",
    );
    // The billion-laughs bomb never gets to expand: its DOCTYPE is refused first.
    let mut lol = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", i - 1)
        };
        lol.push_str(&format!(" <!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    lol.push_str("]>\n<ConnectedApp><label>&lol9;</label></ConnectedApp>\n");
    check(d, ca, lol.as_bytes(), ":2: DOCTYPE declarations are refused: metadata never needs them, and they allow external entities and entity expansion");
    check(
        d,
        ca,
        b"<ConnectedApp>\n  <label>&nbsp;</label>\n</ConnectedApp>\n",
        ":2: undefined entity `&nbsp;`: only the five predefined XML entities are allowed",
    );
    check(
        d,
        ca,
        b"<ConnectedApp>\n  <oauthConfig>\n    <scopes>Api</scope>\n  </oauthConfig>\n</ConnectedApp>\n",
        ":3: malformed XML: an end tag does not match the element it closes (a `<` inside a value?)",
    );
    check(
        d,
        ca,
        b"<ConnectedApp>\n  <label>x</label>\n",
        ":1: element <ConnectedApp> is never closed",
    );
    check(
        d,
        ca,
        b"<?xml version=\"1.0\"?>\n<CustomObject><label>x</label></CustomObject>\n",
        ":2: not Connected App metadata: the root element is <CustomObject>, not <ConnectedApp>",
    );
    check(
        d,
        "X.ecaOauth-meta.xml",
        b"<Flow><label>x</label></Flow>",
        ":1: not External Client App metadata: the root element is <Flow>, not <ExtlClntAppOauthSettings>",
    );
    check(
        d,
        "public-app.json",
        b"{\n  \"auth\": {\n    \"requiredScopes\": [\"oauth\",]\n  }\n}\n",
        ":3:32: invalid JSON: trailing comma",
    );
    check(
        d,
        "public-app.json",
        b"[\"oauth\"]\n",
        ":1: expected a JSON object, found a list",
    );
    check(
        d,
        "x-hsmeta.json",
        b"{\"type\": \"app\", \"config\": [1]}",
        ":1: `config` is a list, not an object",
    );
    check(
        d,
        "links.url",
        b"# links\nhttps://accounts.google.com/o/oauth2/v2/auth?scope=email\n",
        ":2: `https://accounts.google.com/o/oauth2/v2/auth` is not a Salesforce (/services/oauth2/authorize) or HubSpot (app.hubspot.com/oauth/authorize) authorize URL",
    );
    check(d, "links.url", b"# nothing here\n", ": no authorize URL in the file");
}
