//! The HTML report in a real browser: headless Chromium renders the report of a hostile
//! manifest, takes a screenshot, and the DOM after load shows that no script ran.
//!
//! Needs Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the test
//! says so and passes, unless `SCOPEAUDIT_REQUIRE_BROWSER=1` (set by `.ci/run`) makes a
//! missing browser a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The browser, found as `.ci/run` finds it: `SCOPEAUDIT_CHROMIUM`, else the first name in
/// `.ci/browsers` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCOPEAUDIT_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    include_str!("../.ci/browsers")
        .lines()
        .map(str::trim)
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
}

/// Runs headless Chromium on a local file with the flags this sandboxed, offline machine
/// needs (no sandbox as root, no background networking).
fn headless(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn hostile_report_renders_and_runs_no_script() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("SCOPEAUDIT_REQUIRE_BROWSER").is_none(),
            "SCOPEAUDIT_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium); .ci/run installs it");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let out = audit(&[
        "tests/fixtures/reports/hostile.yaml",
        "examples/over-privileged-salesforce.yaml",
        "--no-config",
        "--fail-on",
        "never",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The DOM after the page has loaded and any script had its chance to run.
    let dom = headless(&browser, &dir.path().join("profile-dom"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    assert!(dom.contains("OAuth scope review"), "the report rendered:\n{dom:.500}");
    assert!(
        dom.contains("Evil&lt;/title&gt;&lt;script&gt;"),
        "hostile text shown as text"
    );
    assert!(!dom.contains("data-pwned=\""), "a hostile script ran:\n{dom:.2000}");
    for element in ["<script", "<img", "<svg", "<iframe"] {
        assert!(!dom.contains(element), "the DOM has a {element} element");
    }

    // A screenshot, kept under target/ for a human to look at.
    let shot = dir.path().join("report.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let result = headless(
        &browser,
        &dir.path().join("profile-shot"),
        &[&shot_arg, "--window-size=1280,2400"],
        &page,
    );
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
    let keep = root().join("target/browser-report.png");
    let _ = std::fs::copy(&shot, keep);
}
