//! The CI recipe as users copy it: the README's workflow is `examples/github-workflow.yml`,
//! actionlint accepts it against this repository's `action.yml`, the action is a well-formed
//! composite action, and its shell half (`.ci/action-gate.sh`) turns exit codes 0, 1 and 2
//! into the right outputs, job summary, uploads and errors, drift gate included. Also the
//! shell completions.
//!
//! actionlint and ShellCheck: `.ci/run` installs them and sets `ACTIONLINT`. Without them the
//! tests that need them say so and pass, unless `CI=true`, where a missing tool is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const WORKFLOW: &str = "examples/github-workflow.yml";

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

/// A tool from the environment variable `env`, else from PATH. `None` means skip, which CI
/// does not allow.
fn tool(name: &str, env: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env).map(PathBuf::from).or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but {name} was not found ({env} or PATH); .ci/run installs it"
        );
        eprintln!("skipped: no {name} ({env} or PATH); .ci/run installs it");
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The README's recipe and the example file

#[test]
fn readme_ci_recipe_is_the_example_workflow() {
    let readme = read("README.md");
    let section = readme
        .split("\n## CI recipe (GitHub Actions)\n")
        .nth(1)
        .expect("README has a CI recipe section");
    let block = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the CI recipe has a yaml block");
    assert_eq!(
        format!("{block}\n"),
        read(WORKFLOW),
        "the README's CI recipe and {WORKFLOW} differ: change both"
    );
}

#[test]
fn example_workflow_uses_this_action_with_declared_inputs() {
    let workflow = yaml(&read(WORKFLOW));
    let action = yaml(&read("action.yml"));
    let declared: BTreeSet<&str> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let steps = workflow["jobs"]["scopes"]["steps"].as_array().unwrap();
    let ours = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("your-org/scopeaudit@"))
        })
        .expect("the recipe uses the scopeaudit action");
    for input in ours["with"].as_object().unwrap().keys() {
        assert!(
            declared.contains(input.as_str()),
            "the recipe passes undeclared input {input}"
        );
    }
    assert!(ours["with"]["diff-base"]
        .as_str()
        .unwrap()
        .contains("pull_request.base.sha"));
    let permissions = &workflow["permissions"];
    assert_eq!(permissions["security-events"], "write");
    assert_eq!(permissions["actions"], "read");
    assert_eq!(permissions["contents"], "read");
    // The drift gate needs the base commit in the checkout.
    assert_eq!(steps[0]["with"]["fetch-depth"], json!(0));
}

// ---------------------------------------------------------------------------------------------
// action.yml

/// Every `${{ ... }}` expression's text in `text`.
fn expressions(text: &str) -> Vec<&str> {
    text.split("${{")
        .skip(1)
        .filter_map(|rest| rest.split("}}").next())
        .collect()
}

/// Names after `prefix` (`inputs.`, `steps.`) in an expression.
fn references<'a>(expression: &'a str, prefix: &str) -> Vec<&'a str> {
    expression
        .match_indices(prefix)
        .filter(|(at, _)| {
            expression[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '.' || c == '_'))
        })
        .map(|(at, _)| {
            let rest = &expression[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn action_yml_is_a_composite_action_whose_references_resolve() {
    let text = read("action.yml");
    let action = yaml(&text);
    for key in ["name", "description"] {
        assert!(
            action[key].as_str().is_some_and(|v| !v.is_empty()),
            "action.yml needs {key}"
        );
    }
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let inputs = action["inputs"].as_object().unwrap();
    for (name, input) in inputs {
        assert!(input["description"].is_string(), "input {name} has no description");
    }

    let mut ids = BTreeSet::new();
    for (i, step) in steps.iter().enumerate() {
        let step = step.as_object().unwrap();
        assert!(
            step.contains_key("run") != step.contains_key("uses"),
            "step {i} needs exactly one of run and uses"
        );
        if let Some(run) = step.get("run") {
            assert_eq!(
                step.get("shell").and_then(Value::as_str),
                Some("bash"),
                "step {i} runs without shell: bash"
            );
            // Inputs reach scripts through env, never spliced into the script text.
            assert!(
                expressions(run.as_str().unwrap()).is_empty(),
                "step {i} puts an expression into its script: pass it through env"
            );
        }
        if let Some(id) = step.get("id") {
            assert!(ids.insert(id.as_str().unwrap().to_string()), "duplicate step id {id}");
        }
    }

    // Every reference resolves, and every input is used.
    let mut used = BTreeSet::new();
    for expression in expressions(&text) {
        for name in references(expression, "inputs.") {
            assert!(
                inputs.contains_key(name),
                "${{{{{expression}}}}} names undeclared input {name}"
            );
            used.insert(name);
        }
        for id in references(expression, "steps.") {
            assert!(ids.contains(id), "${{{{{expression}}}}} names unknown step {id}");
        }
    }
    for name in inputs.keys() {
        assert!(used.contains(name.as_str()), "input {name} is declared but not used");
    }
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert!(
            output["value"]
                .as_str()
                .is_some_and(|v| v.contains("steps.gate.outputs.")),
            "output {name}"
        );
    }

    let upload = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("github/codeql-action/upload-sarif@v4"))
        .expect("SARIF goes to code scanning with upload-sarif@v4");
    let condition = upload["if"].as_str().unwrap();
    for part in [
        "always()",
        "steps.gate.outputs.sarif-upload == 'true'",
        "github.event.pull_request.head.repo.fork != true",
        "inputs.upload-sarif == 'true'",
    ] {
        assert!(
            condition.contains(part),
            "the upload's condition lacks {part}: {condition}"
        );
    }
    for part in ["restore", "save"] {
        let cache = steps
            .iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&format!("actions/cache/{part}@")))
            })
            .unwrap_or_else(|| panic!("the build is cached: no actions/cache/{part}"));
        assert_eq!(cache["with"]["key"], "${{ steps.build-key.outputs.key }}");
        assert_eq!(cache["with"]["path"], "~/.scopeaudit-action");
    }
    let build_key = steps.iter().find(|s| s["id"] == "build-key").unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(build_key.contains("Cargo.lock"), "the cache key covers Cargo.lock");
    // The gate step hands the script every variable it reads, and the script reads them all.
    let script = read(".ci/action-gate.sh");
    let read_by_script: BTreeSet<&str> = script
        .match_indices("SCOPEAUDIT_")
        .map(|(at, _)| {
            let rest = &script[at..];
            &rest[..rest
                .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .unwrap_or(rest.len())]
        })
        .filter(|name| name.len() > "SCOPEAUDIT_".len())
        .collect();
    let gate_step = steps.iter().find(|s| s["id"] == "gate").unwrap();
    let given: BTreeSet<&str> = gate_step["env"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("SCOPEAUDIT_"))
        .collect();
    assert_eq!(
        given, read_by_script,
        "the Audit step's env and what action-gate.sh reads"
    );
    let last = steps.last().unwrap();
    assert_eq!(last["if"], "always()", "the gate step runs whatever happened before");
}

/// The action's steps as a reusable workflow's job, so actionlint checks them too (it checks
/// workflows, not actions): expressions, step references, and ShellCheck on every script.
fn action_as_workflow(action: &Value) -> Value {
    let inputs: serde_json::Map<String, Value> = action["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .map(|name| (name.clone(), json!({"type": "string", "required": false})))
        .collect();
    json!({
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    })
}

fn actionlint(actionlint: &Path, repo: &Path) -> (bool, String) {
    let out = Command::new(actionlint)
        .current_dir(repo)
        .args(["-no-color", "-shellcheck", &tool_or_empty("shellcheck", "SHELLCHECK")])
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn tool_or_empty(name: &str, env: &str) -> String {
    tool(name, env).map(|p| p.display().to_string()).unwrap_or_default()
}

/// A repository laid out as a user's: the recipe under `.github/workflows`, pointing at this
/// action as a local action (`./`) so actionlint checks the inputs against `action.yml`.
fn lint_repo(workflow: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).unwrap();
    let local = workflow.replace("uses: your-org/scopeaudit@v1", "uses: ./");
    assert_ne!(local, workflow, "the recipe uses your-org/scopeaudit@v1");
    write(&dir.path().join(".github/workflows"), "scopeaudit.yml", &local);
    let steps = serde_json::to_string_pretty(&action_as_workflow(&yaml(&read("action.yml")))).unwrap();
    write(&dir.path().join(".github/workflows"), "action-steps.yml", &steps);
    dir
}

/// The yaml block that follows `marker` in the README.
fn readme_yaml_after(marker: &str) -> String {
    let readme = read("README.md");
    let rest = readme
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("README has {marker}"));
    rest.split("```yaml\n")
        .nth(1)
        .and_then(|block| block.split("\n```").next())
        .map(|block| format!("{block}\n"))
        .unwrap_or_else(|| panic!("a yaml block after {marker}"))
}

#[test]
fn the_readme_approval_workflows_are_valid() {
    // The pull-request step passes only inputs the action declares.
    let step = readme_yaml_after("**A DX repository, on every pull request**");
    let step = yaml(&format!("steps:\n{step}"));
    let action = yaml(&read("action.yml"));
    let with = step["steps"][0]["with"].as_object().expect("the step has `with`");
    assert!(with.contains_key("args") && with.contains_key("paths"));
    for input in with.keys() {
        assert!(action["inputs"].get(input).is_some(), "undeclared input {input}");
    }
    // The nightly org job is a workflow actionlint accepts, and the check has teeth.
    let nightly = readme_yaml_after("**The live org, every night**");
    assert!(nightly.contains("scopeaudit org salesforce --approved approved/"));
    let Some(actionlint_bin) = tool("actionlint", "ACTIONLINT") else {
        return;
    };
    for (workflow, good) in [
        (nightly.clone(), true),
        (nightly.replace("runs-on:", "runs_on:"), false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
        write(&dir.path().join(".github/workflows"), "approved-apps.yml", &workflow);
        let (ok, out) = actionlint(&actionlint_bin, dir.path());
        assert_eq!(ok, good, "actionlint:\n{out}");
    }
}

#[test]
fn actionlint_passes_the_recipe_and_the_action_steps() {
    let Some(actionlint_bin) = tool("actionlint", "ACTIONLINT") else {
        return;
    };
    let workflow = read(WORKFLOW);
    let repo = lint_repo(&workflow);
    let (ok, out) = actionlint(&actionlint_bin, repo.path());
    assert!(ok, "actionlint:\n{out}");

    // The check has teeth: a misspelt input of this action, and an unknown step in its steps.
    let repo = lint_repo(&workflow.replace("diff-base:", "diff-bsae:"));
    let (ok, out) = actionlint(&actionlint_bin, repo.path());
    assert!(
        !ok && out.contains("diff-bsae"),
        "actionlint missed an undeclared input:\n{out}"
    );
    let broken = read("action.yml").replace("steps.gate.outputs.sarif }}", "steps.gaet.outputs.sarif }}");
    let mut steps = action_as_workflow(&yaml(&broken));
    steps["jobs"]["action"]["steps"][0]["run"] = json!("echo $UNQUOTED_VARIABLE");
    write(
        &repo.path().join(".github/workflows"),
        "action-steps.yml",
        &serde_json::to_string_pretty(&steps).unwrap(),
    );
    let (ok, out) = actionlint(&actionlint_bin, repo.path());
    assert!(!ok && out.contains("gaet"), "actionlint missed an unknown step:\n{out}");
    if tool("shellcheck", "SHELLCHECK").is_some() {
        assert!(out.contains("SC2086"), "actionlint ran no ShellCheck:\n{out}");
    }
}

#[test]
fn shellcheck_passes_the_ci_scripts() {
    let Some(shellcheck) = tool("shellcheck", "SHELLCHECK") else {
        return;
    };
    let out = Command::new(shellcheck)
        .current_dir(root())
        .args([".ci/action-gate.sh", ".ci/run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn build_key(action_path: &Path) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("output");
    let out = action_step("build-key", &root())
        .env("ACTION_PATH", action_path)
        .env("HOME", dir.path())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("GITHUB_OUTPUT", &output)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&output).unwrap();
    let text = text.replace(&dir.path().display().to_string(), "~");
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn build_cache_key_follows_the_source() {
    let outputs = build_key(&root());
    let key = &outputs["key"];
    let hash = key.strip_prefix("scopeaudit-Linux-X64-").expect(key);
    assert!(hash.len() == 20 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{key}");
    assert_eq!(outputs["root"], "~/.scopeaudit-action");
    assert_eq!(outputs["bin"], "~/.scopeaudit-action/bin/scopeaudit");

    // A change to the lock file, a rule or the code is a new key; a README change is not.
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "Cargo.lock",
        "Cargo.toml",
        "build.rs",
        "README.md",
        "src/lib.rs",
        "rules/a.yaml",
        "scope-catalogs/a.yaml",
        "templates/a.j2",
    ] {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }
    let first = build_key(dir.path())["key"].clone();
    std::fs::write(dir.path().join("README.md"), "y").unwrap();
    assert_eq!(build_key(dir.path())["key"], first);
    for file in ["Cargo.lock", "rules/a.yaml", "src/lib.rs"] {
        let before = build_key(dir.path())["key"].clone();
        std::fs::write(dir.path().join(file), "changed").unwrap();
        assert_ne!(build_key(dir.path())["key"], before, "{file} changed, the key did not");
    }
}

// ---------------------------------------------------------------------------------------------
// The gate script, run as the action runs it

struct Gate {
    /// `::` workflow commands and everything else the step printed.
    log: String,
    outputs: BTreeMap<String, String>,
    summary: String,
    _dir: tempfile::TempDir,
}

/// The `run` script of the action's step `id`, run as GitHub runs a `shell: bash` step, with
/// `ACTION_PATH` (which the step's env sets to `github.action_path`) at this repository.
fn action_step(id: &str, cwd: &Path) -> Command {
    let action = yaml(&read("action.yml"));
    let steps = action["runs"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"));
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().unwrap())
        .current_dir(cwd)
        .env("ACTION_PATH", root());
    cmd
}

fn gate_in(cwd: &Path, env: &[(&str, &str)]) -> Gate {
    let dir = tempfile::tempdir().unwrap();
    let (output, summary) = (dir.path().join("output"), dir.path().join("summary"));
    let out = action_step("gate", cwd)
        .env("SCOPEAUDIT", env!("CARGO_BIN_EXE_scopeaudit"))
        .env("SCOPEAUDIT_TODAY", "2026-11-23")
        .env("NO_COLOR", "1")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("SCOPEAUDIT_REPORT_DIR", dir.path().join("reports"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the gate step itself always succeeds:\n{log}"
    );
    let outputs = std::fs::read_to_string(&output)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let (k, v) = line.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    Gate {
        log,
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        _dir: dir,
    }
}

fn gate(paths: &str, args: &str) -> Gate {
    gate_in(&root(), &[("SCOPEAUDIT_PATHS", paths), ("SCOPEAUDIT_ARGS", args)])
}

fn finish(env: &[(&str, &str)]) -> (i32, String) {
    let out = action_step("finish", &root())
        .env_remove("EXIT_CODE")
        .env_remove("DRIFT_EXIT_CODE")
        .env_remove("SARIF_UPLOADED")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[test]
fn gate_passes_with_every_report_and_an_upload() {
    let g = gate("examples/meeting-assistant-salesforce.yaml\n", "--no-config");
    assert_eq!(g.outputs["exit-code"], "0", "{}", g.log);
    assert_eq!(g.outputs["sarif-upload"], "true");
    for (output, ext) in [
        ("sarif", "sarif"),
        ("markdown", "md"),
        ("html", "html"),
        ("json", "json"),
    ] {
        let path = &g.outputs[output];
        assert!(
            path.ends_with(&format!("scopeaudit.{ext}")) && Path::new(path).is_file(),
            "{output}: {path}"
        );
    }
    assert!(
        g.summary
            .starts_with("# OAuth scope review: Notable Meetings for Salesforce"),
        "{}",
        g.summary
    );
    assert!(
        !g.outputs.contains_key("drift-exit-code"),
        "no diff base, no drift gate"
    );
    // The tool's own output is fenced off from the runner's command parser.
    let fenced = g
        .log
        .lines()
        .skip_while(|l| !l.starts_with("::stop-commands::scopeaudit-"))
        .nth(1);
    assert!(
        fenced.is_some_and(|l| l.starts_with("Notable Meetings for Salesforce by")),
        "{}",
        g.log
    );
    assert!(
        g.log.starts_with("scopeaudit "),
        "the step prints the version first:\n{}",
        g.log
    );
    let (code, out) = finish(&[("EXIT_CODE", "0")]);
    assert_eq!((code, out.trim()), (0, "scopeaudit: the gate passed"));
}

#[test]
fn gate_failure_uploads_and_fails_the_job_with_an_error() {
    let g = gate("examples/over-privileged-salesforce.yaml", "--no-config");
    assert_eq!(g.outputs["exit-code"], "1", "{}", g.log);
    assert_eq!(g.outputs["sarif-upload"], "true");
    assert!(g.summary.contains("Not acceptable as requested"), "{}", g.summary);
    // --fail-on from the input reaches the tool.
    let g = gate_in(
        &root(),
        &[
            ("SCOPEAUDIT_PATHS", "examples/over-privileged-salesforce.yaml"),
            ("SCOPEAUDIT_ARGS", "--no-config"),
            ("SCOPEAUDIT_FAIL_ON", "never"),
        ],
    );
    assert_eq!(g.outputs["exit-code"], "0", "{}", g.log);

    let (code, out) = finish(&[("EXIT_CODE", "1")]);
    assert_eq!(code, 1);
    assert!(out.starts_with("::error title=scopeaudit::the gate failed"), "{out}");
}

#[test]
fn bad_input_writes_no_sarif_and_says_there_is_no_verdict() {
    let g = gate("examples/no-such-app.yaml", "--no-config");
    assert_eq!(g.outputs["exit-code"], "2", "{}", g.log);
    assert_eq!(g.outputs["sarif-upload"], "false");
    assert!(
        !g.outputs.contains_key("sarif"),
        "no SARIF path for a file that does not exist"
    );
    assert!(
        g.log
            .contains("error: examples/no-such-app.yaml: no such file or directory"),
        "{}",
        g.log
    );
    assert!(g.summary.contains("No report: scopeaudit exited 2"), "{}", g.summary);

    let (code, out) = finish(&[("EXIT_CODE", "2")]);
    assert_eq!(code, 1);
    assert!(out.contains("::error title=scopeaudit::no verdict (exit 2)"), "{out}");
    assert!(out.contains("SARIF was not uploaded"), "{out}");
    // No exit code at all (the build failed) and a crash are failures too, never a pass.
    assert_eq!(finish(&[]).0, 1);
    let (code, out) = finish(&[("EXIT_CODE", "101")]);
    assert_eq!(code, 1);
    assert!(out.contains("exited 101 unexpectedly"), "{out}");
}

#[test]
fn incomplete_report_is_summarised_but_not_uploaded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/meeting-assistant-salesforce.yaml"),
        dir.path().join("good.yaml"),
    )
    .unwrap();
    write(
        dir.path(),
        "broken.yaml",
        "app: Broken\nplatform: salesforce\nscopes: [\n",
    );
    let g = gate(dir.path().to_str().unwrap(), "--no-config");
    assert_eq!(g.outputs["exit-code"], "2", "{}", g.log);
    // The SARIF exists (marked unsuccessful) but a partial upload would close alerts.
    assert!(Path::new(&g.outputs["sarif"]).is_file());
    assert_eq!(g.outputs["sarif-upload"], "false");
    assert!(g.summary.contains("Incomplete"), "{}", g.summary);
}

#[test]
fn fork_pull_requests_get_a_notice_instead_of_an_upload() {
    let (code, out) = finish(&[("EXIT_CODE", "0"), ("SARIF_UPLOADED", "skipped-fork")]);
    assert_eq!(code, 0);
    assert!(
        out.contains("::notice title=scopeaudit::SARIF not uploaded: a pull request from a fork"),
        "{out}"
    );
}

#[test]
fn workflow_commands_in_input_text_are_escaped() {
    let (code, out) = finish(&[("EXIT_CODE", "7\n::set-env name=X::y")]);
    assert_eq!(code, 1);
    assert!(!out.lines().any(|l| l.starts_with("::set-env")), "{out}");
    assert!(out.contains("7%0A::set-env"), "{out}");
}

// The drift gate, in a git repository with a base and a pull-request commit.

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn copy(from: &str, repo: &Path, to: &str) {
    let to = repo.join(to);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(root().join(from), to).unwrap();
}

#[test]
fn drift_gate_compares_known_apps_and_reports_new_and_removed_ones() {
    if tool("jq", "JQ").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q"]);
    copy("examples/meeting-assistant-salesforce.yaml", repo, "apps/notable.yaml");
    copy("examples/meeting-assistant-hubspot.yaml", repo, "apps/hubspot.yaml");
    copy("examples/consent-links.url", repo, "apps/links.url");
    write(repo, "README.md", "not an app\n");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "base"]);
    let base = git(repo, &["rev-parse", "HEAD"]);

    // The pull request: the same app (same name) asks for far more, one app is new (a HubSpot
    // project), one is gone.
    let escalated = read("examples/over-privileged-salesforce.yaml")
        .replace("app: QuickDash Widget", "app: Notable Meetings for Salesforce");
    write(&repo.join("apps"), "notable.yaml", &escalated);
    for file in ["hsproject.json", "src/app/app-hsmeta.json"] {
        copy(
            &format!("examples/hubspot-project/{file}"),
            repo,
            &format!("apps/project/{file}"),
        );
    }
    git(repo, &["rm", "-q", "apps/hubspot.yaml"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "pull request"]);

    let g = gate_in(
        repo,
        &[
            ("SCOPEAUDIT_PATHS", "apps/"),
            ("SCOPEAUDIT_ARGS", "--no-config"),
            ("SCOPEAUDIT_DIFF_BASE", &base),
        ],
    );
    assert_eq!(g.outputs["exit-code"], "1", "{}", g.log);
    assert_eq!(g.outputs["drift-exit-code"], "1", "{}\n{}", g.log, g.summary);
    let s = &g.summary;
    let drift = &s[s.find("# Drift gate against").expect(s)..];
    assert!(drift.contains("## New apps (not at the base commit)\n"), "{drift}");
    assert!(
        drift.contains("- **Acme Deal Sync** (hubspot, `apps/project/src/app/app-hsmeta.json`)"),
        "{drift}"
    );
    assert!(drift.contains("## Removed apps\n"), "{drift}");
    assert!(
        drift.contains("- Notable Meetings for HubSpot (hubspot, was "),
        "{drift}"
    );
    assert!(
        drift.contains("# Scope drift: Notable Meetings for Salesforce"),
        "{drift}"
    );
    assert!(drift.contains("New findings at or above high"), "{drift}");
    // Two apps in one .url file cannot be diffed one to one: said, not skipped silently.
    assert!(drift.contains("## Not compared one to one"), "{drift}");
    assert!(drift.contains("its file holds several apps"), "{drift}");
    assert!(
        g.log.contains(
            "::warning title=scopeaudit: new app::Acme Deal Sync (apps/project/src/app/app-hsmeta.json) is new"
        ),
        "{}",
        g.log
    );
    let (code, out) = finish(&[("EXIT_CODE", "1"), ("DRIFT_EXIT_CODE", "1")]);
    assert_eq!(code, 1);
    assert!(
        out.contains("::error title=scopeaudit drift gate::the pull request adds findings"),
        "{out}"
    );

    // A folder that did not exist at the base: every app in it is new, and nothing drifted.
    let g = gate_in(
        repo,
        &[
            ("SCOPEAUDIT_PATHS", "apps/project\napps/notable.yaml"),
            ("SCOPEAUDIT_ARGS", "--no-config"),
            ("SCOPEAUDIT_DIFF_BASE", &base),
            ("SCOPEAUDIT_FAIL_ON", "never"),
        ],
    );
    assert_eq!(g.outputs["drift-exit-code"], "0", "{}\n{}", g.log, g.summary);
    assert!(g.summary.contains("- **Acme Deal Sync**"), "{}", g.summary);
    assert!(
        g.summary.contains("# Scope drift: Notable Meetings for Salesforce"),
        "{}",
        g.summary
    );

    // A base the checkout does not have (a shallow clone) is a failure that says why.
    let g = gate_in(
        repo,
        &[
            ("SCOPEAUDIT_PATHS", "apps/notable.yaml"),
            ("SCOPEAUDIT_ARGS", "--no-config"),
            ("SCOPEAUDIT_DIFF_BASE", "0123456789abcdef0123456789abcdef01234567"),
        ],
    );
    assert_eq!(g.outputs["drift-exit-code"], "2");
    assert!(
        g.log
            .contains("is not a commit in this checkout (check out with fetch-depth: 0)"),
        "{}",
        g.log
    );
    let (code, out) = finish(&[("EXIT_CODE", "1"), ("DRIFT_EXIT_CODE", "2")]);
    assert_eq!(code, 1);
    assert!(out.contains("could not compare every app"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Shell completions

fn completions(shell: &str) -> String {
    let out = run(scopeaudit().args(["completions", shell]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn bash_completion_parses_and_completes_the_subcommands() {
    let script = completions("bash");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "scopeaudit.bash", &script);
    // Load it and ask what completes `scopeaudit d` and `scopeaudit audit --fail-on `.
    let probe = format!(
        "set -e; source {}; \
         COMP_WORDS=(scopeaudit d); COMP_CWORD=1; _scopeaudit scopeaudit d scopeaudit; echo \"1:${{COMPREPLY[*]}}\"; \
         COMP_WORDS=(scopeaudit audit --fail-on ''); COMP_CWORD=3; _scopeaudit scopeaudit '' --fail-on; echo \"2:${{COMPREPLY[*]}}\"",
        file.display()
    );
    let out = Command::new("bash").args(["--norc", "-c", &probe]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1:diff\n"), "{stdout}");
    assert!(stdout.contains("2:info low medium high critical never"), "{stdout}");
}

#[test]
fn zsh_and_fish_completions_name_the_subcommands() {
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let script = completions(shell);
        for word in ["audit", "diff", "completions", "--fail-on"] {
            let word = if shell == "fish" {
                word.trim_start_matches("--")
            } else {
                word
            };
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // Syntax-check it where the shell is installed (.ci/run installs both).
        let Some(bin) = tool(shell, &shell.to_uppercase()) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "completion", &script);
        let out = Command::new(bin).arg(check).arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn completions_reject_an_unknown_shell() {
    let out = run(scopeaudit().args(["completions", "tcsh"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("[possible values: bash, zsh, fish]"),
        "{}",
        out.stderr
    );
}
