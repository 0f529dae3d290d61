//! Runs the fake Salesforce org by itself, for trying the client or benchmarking:
//!
//! ```text
//! cargo run --example fake-org -- --apps 500 --users 20000 --tokens 100000 [--port 8443]
//!     [--seed 1] [--latency-ms 50] [--edition full|no-eca|older-scope-columns]
//! ```
//!
//! It prints the instance URL, the login URL, an access token and the credentials it accepts,
//! then `ready`, then serves on 127.0.0.1 until interrupted. Nothing else is contacted.
//!
//! Control lines on standard input (the org benchmark, `benches/org/`, drives it this way;
//! at end of input it just keeps serving):
//! - `stats`: one line `stats {"api_used":N,"api_max":N,"requests":N,"errors":N,"by_kind":{..}}`:
//!   the org's DailyApiRequests used so far, and the requests received since the last `reset`
//!   counted by kind (`versions`, `limits`, `describe`, `count`, `query`, `query_more`,
//!   `read_metadata`, `token`, `identity`, `other`; `errors`: answers other than 200).
//! - `reset`: forgets the requests received so far.
//! - `latency N`: every answer waits N ms from now on.

#[path = "../tests/fake_org/mod.rs"]
mod fake_org;

use fake_org::{Edition, FakeOrg, OrgSpec};

fn main() {
    if let Err(e) = run() {
        eprintln!("fake-org: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut spec = OrgSpec {
        apps: 500,
        users: 20_000,
        tokens: 100_000,
        ..OrgSpec::default()
    };
    let mut port = 0u16;
    let mut latency = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| v.parse::<u64>().map_err(|_| format!("{name}: not a number: {v}"));
        match flag.as_str() {
            "--apps" => spec.apps = num(value("--apps")?, "--apps")? as usize,
            "--users" => spec.users = num(value("--users")?, "--users")? as usize,
            "--tokens" => spec.tokens = num(value("--tokens")?, "--tokens")? as usize,
            "--seed" => spec.seed = num(value("--seed")?, "--seed")?,
            "--port" => port = num(value("--port")?, "--port")? as u16,
            "--latency-ms" => latency = num(value("--latency-ms")?, "--latency-ms")?,
            "--edition" => {
                spec.edition = match value("--edition")?.as_str() {
                    "full" => Edition::Full,
                    "no-eca" => Edition::NoExternalClientApps,
                    "older-scope-columns" => Edition::OlderScopeColumns,
                    other => return Err(format!("--edition: unknown edition {other}")),
                }
            }
            "-h" | "--help" => {
                println!("usage: fake-org [--apps N] [--users N] [--tokens N] [--seed S] [--port P] [--latency-ms N] [--edition full|no-eca|older-scope-columns]");
                return Ok(());
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let started = std::time::Instant::now();
    let org = FakeOrg::start_on(spec, port).map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    org.latency(latency);
    let p = org.planted();
    let s = org.spec();
    println!("fake Salesforce org ready in {} ms", started.elapsed().as_millis());
    println!("instance url:  {}", org.base_url());
    println!("login url:     {}", org.login_url());
    println!("org id:        {}", org.org_id());
    println!("objects:       {}", fake_org::served_objects(&org).join(", "));
    println!(
        "data:          {} connected apps, {} external client apps, {} users, {} tokens",
        p.apps_connected, p.apps_external, p.users_total, p.tokens_total
    );
    println!("SF_ACCESS_TOKEN={}", org.access_token());
    println!("SF_INSTANCE_URL={}", org.base_url());
    println!("SF_CLIENT_ID={}", s.client_id);
    println!("SF_CLIENT_SECRET={}", s.client_secret);
    println!("SF_REFRESH_TOKEN={}", s.refresh_token);
    println!("SF_USERNAME={}", s.username);
    println!("SF_PASSWORD={}", s.password);
    println!("planted: {p:#?}");
    println!("ready");
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("stats"), None) => println!("stats {}", stats(&org)),
            (Some("reset"), None) => org.clear_requests(),
            (Some("latency"), Some(ms)) => match ms.parse::<u64>() {
                Ok(ms) => {
                    org.latency(ms);
                    println!("latency {ms}");
                }
                Err(_) => eprintln!("fake-org: latency: not a number: {ms}"),
            },
            (None, _) => {}
            _ => eprintln!("fake-org: unknown control line (stats, reset, latency N): {line}"),
        }
    }
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// What kind of call a request was, from its path (and, for a query, its SOQL).
fn kind(r: &fake_org::RequestRecord) -> &'static str {
    let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
    let path = path.trim_end_matches('/');
    if path == "/services/oauth2/token" {
        "token"
    } else if path.starts_with("/id/") {
        "identity"
    } else if path == "/services/data" {
        "versions"
    } else if path.starts_with("/services/Soap/m/") {
        "read_metadata"
    } else if !path.starts_with("/services/data/v") {
        "other"
    } else if path.ends_with("/limits") {
        "limits"
    } else if path.ends_with("/describe") {
        "describe"
    } else if path.ends_with("/query") || path.ends_with("/queryAll") {
        let soql: String = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.to_ascii_uppercase())
            .unwrap_or_default();
        if soql.split_whitespace().collect::<String>().contains("COUNT()") {
            "count"
        } else {
            "query"
        }
    } else if path.contains("/query/") || path.contains("/queryAll/") {
        "query_more"
    } else {
        "other"
    }
}

fn stats(org: &FakeOrg) -> String {
    let requests = org.requests();
    let mut by_kind = std::collections::BTreeMap::<&str, u64>::new();
    for r in &requests {
        *by_kind.entry(kind(r)).or_default() += 1;
    }
    let errors = requests.iter().filter(|r| r.status != 200).count();
    let by_kind: Vec<String> = by_kind.iter().map(|(k, n)| format!("\"{k}\":{n}")).collect();
    format!(
        "{{\"api_used\":{},\"api_max\":{},\"requests\":{},\"errors\":{errors},\"by_kind\":{{{}}}}}",
        org.api_used(),
        org.spec().api_max,
        requests.len(),
        by_kind.join(",")
    )
}
