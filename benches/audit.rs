//! Wall-time benchmark of `scopeaudit audit` (run: `cargo bench --bench audit`).
//!
//! Targets (issue 2): one manifest within 2x of starting an empty process; 10,000 manifests
//! in one run in under 2 s on 2 cores. Prints medians; it measures, it does not assert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(runs: usize, mut make: impl FnMut() -> Command) -> Duration {
    // One warm-up run so the page cache holds the binary and inputs.
    make().stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = make().stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap();
            let elapsed = start.elapsed();
            assert!(
                status.code().is_some_and(|c| c <= 1),
                "benchmark command failed: {status}"
            );
            elapsed
        })
        .collect();
    median(samples)
}

const OBJECTS_SF: [&str; 6] = ["Account", "Contact", "Opportunity", "Lead", "Case", "Event"];
const OBJECTS_HS: [&str; 6] = ["contacts", "companies", "deals", "tickets", "owners", "line_items"];
const ACCESS: [&str; 4] = ["read", "create", "update", "delete"];

/// A realistic manifest: 3-8 scopes with justifications, 2-6 tools, some settings.
fn manifest(i: usize) -> String {
    let salesforce = i.is_multiple_of(2);
    let mut out = format!(
        "app: Generated App {i}\nvendor: Vendor {v}\nplatform: {p}\ndescription: Generated for the benchmark.\n\
         integration:\n  delegation: user\n  flows: [authorization_code, refresh_token]\n  sign_in: {s}\nscopes:\n",
        v = i % 97,
        p = if salesforce { "salesforce" } else { "hubspot" },
        s = salesforce
    );
    let scopes: Vec<String> = if salesforce {
        let pool = [
            "openid",
            "api",
            "refresh_token",
            "web",
            "full",
            "chatter_api",
            "visualforce",
            "id",
        ];
        pool.iter().take(3 + i % 6).map(|s| s.to_string()).collect()
    } else {
        let mut v = vec!["oauth".to_string()];
        for (k, o) in OBJECTS_HS.iter().enumerate().take(2 + i % 5) {
            v.push(if *o == "tickets" {
                "tickets".into()
            } else {
                format!("crm.objects.{o}.read")
            });
            if k % 2 == 0 && *o != "owners" && *o != "tickets" {
                v.push(format!("crm.objects.{o}.write"));
            }
        }
        v
    };
    for s in &scopes {
        out.push_str(&format!("  - scope: {s}\n    justification: Needed for feature {s}.\n"));
    }
    out.push_str("tools:\n");
    for t in 0..2 + i % 5 {
        let objects = if salesforce { OBJECTS_SF } else { OBJECTS_HS };
        out.push_str(&format!(
            "  - name: Tool {t}\n    object: {}\n    access: {}\n",
            objects[(i + t) % objects.len()],
            if objects[(i + t) % objects.len()] == "owners" {
                "read"
            } else {
                ACCESS[(i * 7 + t) % 4]
            }
        ));
    }
    if salesforce {
        out.push_str(&format!(
            "settings:\n  admin_approved: {}\n  ip_relaxation: {}\n  refresh_token_policy: infinite\n  callback_urls: [https://app{i}.example.com/cb]\n",
            !i.is_multiple_of(3),
            if i.is_multiple_of(4) { "BYPASS" } else { "ENFORCE" }
        ));
    }
    out
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_scopeaudit");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("examples/meeting-assistant-salesforce.yaml");

    let empty = time(50, || Command::new("true"));
    let version = time(50, || {
        let mut c = Command::new(bin);
        c.arg("--version");
        c
    });
    let one = time(50, || {
        let mut c = Command::new(bin);
        c.args(["audit", "--no-config"]).arg(&example);
        c
    });
    let one_json = time(50, || {
        let mut c = Command::new(bin);
        c.args(["audit", "--no-config", "-f", "json"]).arg(&example);
        c
    });

    let dir = tempfile::tempdir().unwrap();
    let count = 10_000;
    for i in 0..count {
        std::fs::write(dir.path().join(format!("app-{i:05}.yaml")), manifest(i)).unwrap();
    }
    let many_text = time(5, || {
        let mut c = Command::new(bin);
        c.args(["audit", "--no-config", "--fail-on", "never"]).arg(dir.path());
        c
    });
    let many_json = time(5, || {
        let mut c = Command::new(bin);
        c.args(["audit", "--no-config", "--fail-on", "never", "-f", "json"])
            .arg(dir.path());
        c
    });

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("scopeaudit benchmark ({cores} cores, medians)");
    println!("  empty process (`true`)            {:8.2} ms", ms(empty));
    println!("  scopeaudit --version              {:8.2} ms", ms(version));
    println!(
        "  audit one manifest (text)         {:8.2} ms  {:.2}x empty process  target <= 2x: {}",
        ms(one),
        ms(one) / ms(empty),
        if ms(one) <= 2.0 * ms(empty) { "met" } else { "MISSED" }
    );
    println!("  audit one manifest (json)         {:8.2} ms", ms(one_json));
    println!(
        "  one manifest vs `scopeaudit --version` (the binary's own start-up): {:.2}x",
        ms(one) / ms(version)
    );
    println!(
        "  audit {count} manifests (text)    {:8.2} ms  target < 2000 ms: {}",
        ms(many_text),
        if ms(many_text) < 2000.0 { "met" } else { "MISSED" }
    );
    println!(
        "  audit {count} manifests (json)    {:8.2} ms  target < 2000 ms: {}",
        ms(many_json),
        if ms(many_json) < 2000.0 { "met" } else { "MISSED" }
    );
}
