//! The org reader (`org::pull`) against the fake Salesforce org on 127.0.0.1: planted facts
//! arrive complete, tokens page past the 2,500 cap through ties, every fault of issue 11 ends
//! as documented, only read methods are used, and no secret reaches the snapshot or the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fake_org/mod.rs"]
mod fake_org;

use fake_org::{Edition, FakeOrg, Listener, OrgSpec};
use scopeaudit::model::org::Stamp;
use scopeaudit::org::credentials::Credential;
use scopeaudit::org::http::RetryPolicy;
use scopeaudit::org::pull::{pull_blocking, PullError, PullOptions};
use scopeaudit::org::secret::Secret;
use scopeaudit::org::snapshot::{ConnectedAppMetadata, OrgSnapshot};
use scopeaudit::org::token::Endpoints;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn start(spec: OrgSpec) -> FakeOrg {
    FakeOrg::start(spec).expect("the fake org listens on 127.0.0.1")
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        timeout: Duration::from_secs(10),
        max_body_bytes: 16 * 1024 * 1024,
    }
}

fn options() -> PullOptions {
    let mut o = PullOptions::new(Stamp::parse("2026-11-23T00:00:00Z").unwrap());
    o.retry = fast_retry();
    o
}

fn refresh_credential(org: &FakeOrg) -> Credential {
    let spec = org.spec();
    Credential::RefreshToken {
        client_id: spec.client_id.clone(),
        client_secret: Some(Secret::new(spec.client_secret.clone())),
        refresh_token: Secret::new(spec.refresh_token.clone()),
    }
}

fn access_credential(org: &FakeOrg) -> Credential {
    Credential::AccessToken {
        token: Secret::new(org.access_token()),
        instance_url: org.base_url(),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn pull_with(org: &FakeOrg, credential: Credential, opts: &PullOptions) -> Result<OrgSnapshot, PullError> {
    let endpoints = Endpoints::parse(Some(&org.login_url()), Some(&org.base_url())).unwrap();
    pull_blocking(credential, &endpoints, &no_env, opts)
}

fn pull(org: &FakeOrg) -> OrgSnapshot {
    pull_with(org, refresh_credential(org), &options()).expect("the pull starts")
}

/// The snapshot without what differs between two pulls of the same data.
fn data(s: &OrgSnapshot) -> OrgSnapshot {
    let mut s = s.clone();
    s.api_calls = 0;
    s.api_usage = None;
    s
}

fn assert_complete(s: &OrgSnapshot) {
    assert!(s.complete, "incomplete: {:?}", s.errors);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
}

/// Decoded query strings of the requests the instance saw.
fn queries(org: &FakeOrg) -> Vec<String> {
    org.requests()
        .iter()
        .filter_map(|r| r.path.split_once("?q=").map(|(_, q)| q.to_string()))
        .map(|q| {
            url::form_urlencoded::parse(format!("q={q}").as_bytes())
                .map(|(_, v)| v.into_owned())
                .next()
                .unwrap_or_default()
        })
        .collect()
}

fn token_page_queries(org: &FakeOrg) -> usize {
    queries(org)
        .iter()
        .filter(|q| q.contains("FROM OauthToken") && q.contains("UserId ASC"))
        .count()
}

#[test]
fn planted_facts_arrive_complete() {
    let org = start(OrgSpec::default());
    let s = pull(&org);
    let p = org.planted().clone();
    assert_complete(&s);
    assert_eq!(s.api_version, "67.0");
    assert_eq!(s.org_id, org.org_id());
    assert_eq!(s.tokens_counted, Some(p.tokens_total as u64));
    assert_eq!(s.tokens.len(), p.tokens_total, "every token, no more");
    // The 600-token tie: exactly as many rows with that CreatedDate, none repeated or lost.
    let tie = Stamp::parse(&p.tie_created).unwrap();
    assert_eq!(
        s.tokens.iter().filter(|t| t.created_date == Some(tie)).count(),
        p.tie_count
    );
    assert!(p.tie_count >= 600);
    // Apps and their tokens, joined as the normalizer will (menu item first, label second).
    assert_eq!(s.connected_apps.len(), p.apps_connected);
    assert_eq!(s.external_client_apps.len(), p.apps_external);
    let menu_of = |app_id: &str| {
        s.menu_items
            .iter()
            .find(|m| m.application_id.as_deref() == Some(app_id))
            .map(|m| m.id.clone())
    };
    for facts in [&p.full_app, &p.renamed_app, &p.stale_app, &p.preauthorized_app] {
        let menu = menu_of(&facts.id).expect("a menu item");
        let mine: Vec<_> = s
            .tokens
            .iter()
            .filter(|t| t.app_menu_item_id.as_deref() == Some(menu.as_str()))
            .collect();
        assert_eq!(mine.len(), facts.tokens, "{}", facts.label);
        assert_eq!(
            mine.iter().map(|t| t.use_count).sum::<u64>(),
            facts.use_count,
            "{}",
            facts.label
        );
        let users: HashSet<_> = mine.iter().map(|t| t.user_id.clone()).collect();
        assert_eq!(users.len(), facts.users, "{}", facts.label);
    }
    // The renamed app's older tokens carry the old label.
    assert_eq!(
        s.tokens.iter().filter(|t| t.app_name == p.renamed_old_label).count(),
        40
    );
    assert_eq!(
        s.tokens.iter().filter(|t| t.app_name == p.uninstalled_label).count(),
        p.uninstalled_tokens
    );
    // An External Client App's scope columns.
    let eca = s
        .external_client_apps
        .iter()
        .find(|e| e.id == p.full_eca.id)
        .expect("the planted ECA");
    let settings = eca.oauth_settings.as_ref().expect("its OAuth settings");
    assert!(
        settings.scope_columns.contains(&"OauthScopesFULL".to_string()),
        "{settings:?}"
    );
    assert!(!settings.scope_columns.contains(&"OauthScopesAPI".to_string()));
    assert!(settings.columns_read.len() > 30);
    assert_eq!(
        eca.oauth_policy.as_ref().unwrap().ip_relaxation_policy_type.as_deref(),
        Some("Bypass")
    );
    // Users, profiles, pre-authorization rows.
    assert_eq!(s.users.len(), p.users_total);
    assert_eq!(s.users.iter().filter(|u| u.is_active).count(), p.users_active);
    assert!(s.profiles.iter().any(|pr| pr.modify_all_data));
    assert!(s
        .setup_entity_access
        .iter()
        .any(|e| e.setup_entity_id == p.preauthorized_app.id));
    // Metadata: every Connected App read, and the files' reader reads it.
    for app in &s.connected_apps {
        assert!(
            matches!(app.metadata, ConnectedAppMetadata::Read { .. }),
            "{}: {:?}",
            app.name,
            app.metadata
        );
    }
    let full = s.connected_apps.iter().find(|a| a.id == p.full_app.id).unwrap();
    let ConnectedAppMetadata::Read { full_name, xml } = &full.metadata else {
        unreachable!()
    };
    let parsed = scopeaudit::inputs::connected_app::parse(&format!("{full_name}.connectedApp-meta.xml"), xml)
        .expect("the connectedApp reader reads the rewritten record");
    let scopes: Vec<&str> = parsed.scopes.iter().map(|s| s.name.as_str()).collect();
    assert!(scopes.contains(&"Full"), "{scopes:?}");
    // The hostile label, kept as the org sent it (neutralizing is the renderers' job).
    let hostile = s
        .connected_apps
        .iter()
        .find(|a| a.id == p.hostile_label_app.id)
        .unwrap();
    let label = s
        .menu_items
        .iter()
        .find(|m| m.application_id.as_deref() == Some(hostile.id.as_str()))
        .and_then(|m| m.label.clone())
        .unwrap();
    assert!(label.contains("<b>") && label.contains('\u{1b}'), "{label:?}");
    // Cost: calls counted, usage from Sforce-Limit-Info, the credential recorded.
    assert_eq!(
        s.api_calls,
        org.requests()
            .iter()
            .filter(|r| r.listener == Listener::Instance)
            .count() as u64
    );
    let usage = s.api_usage.expect("api usage");
    assert_eq!(usage.used, org.api_used());
    let cred = s.credential.as_ref().unwrap();
    assert_eq!(cred.flow, "refresh_token");
    assert_eq!(
        cred.scopes.as_deref(),
        Some(&["api".to_string(), "refresh_token".into(), "id".into()][..])
    );
}

/// The calls the data needs at the least: the versions list, a describe per object, the
/// token count and limits, one call per batch of each object, one per 10 Connected Apps.
fn minimum_calls(s: &OrgSnapshot) -> u64 {
    let batches = |n: usize, per: u64| (n as u64).div_ceil(per).max(1);
    1 + 11
        + 2
        + batches(s.connected_apps.len(), 2000)
        + batches(s.menu_items.len(), 2000)
        + 3 * batches(s.external_client_apps.len(), 2000)
        + batches(s.setup_entity_access.len(), 2000)
        + batches(s.profiles.len(), 2000)
        + batches(s.permission_sets.len(), 2000)
        + batches(s.assignments.len(), 2000)
        + batches(s.users.len(), 2000)
        + batches(s.tokens.len(), 500)
        + (s.connected_apps.len() as u64).div_ceil(10)
}

#[test]
fn a_large_org_pages_every_token_with_few_wasted_calls() {
    let org = start(OrgSpec {
        apps: 120,
        users: 3000,
        tokens: 30_000,
        ..OrgSpec::default()
    });
    let s = pull(&org);
    assert_complete(&s);
    let p = org.planted();
    assert_eq!(s.tokens.len(), 30_000);
    let tie = Stamp::parse(&p.tie_created).unwrap();
    assert_eq!(
        s.tokens.iter().filter(|t| t.created_date == Some(tie)).count(),
        p.tie_count
    );
    // Several key ranges, each resuming past the cap.
    assert!(token_page_queries(&org) >= 12, "{}", token_page_queries(&org));
    let min = minimum_calls(&s);
    eprintln!("calls {} minimum {min}", s.api_calls);
    // Overhead: two bound queries and each range's last, partial batch (at most 8 ranges).
    assert!(
        s.api_calls <= min + 2 + 8,
        "{} calls, the data needs {min}",
        s.api_calls
    );
}

#[test]
fn a_key_group_cut_by_the_cap_is_read_again_whole() {
    // 600 tokens of one user for one app in one second, placed (7,000 tokens, two ranges)
    // across the first 2,500-row cut of their range: a reader that keeps the cut group and
    // resumes after its key loses the rest of it (checked: about 500 tokens lost).
    let org = start(OrgSpec {
        tokens: 7000,
        same_key_tokens: 600,
        ..OrgSpec::default()
    });
    let mut opts = options();
    opts.concurrency = 1;
    let s = pull_with(&org, refresh_credential(&org), &opts).unwrap();
    assert_complete(&s);
    assert_eq!(s.tokens.len(), 7000);
    let tie = Stamp::parse(&org.planted().tie_created).unwrap();
    let mut groups: std::collections::HashMap<(Option<String>, String), usize> = Default::default();
    for t in s.tokens.iter().filter(|t| t.created_date == Some(tie)) {
        *groups.entry((t.user_id.clone(), t.app_name.clone())).or_default() += 1;
    }
    assert_eq!(groups.values().max(), Some(&600));
    assert!(token_page_queries(&org) >= 3, "the cap was reached");
}

#[test]
fn concurrency_overlaps_calls() {
    let org = start(OrgSpec::default());
    org.latency(250);
    let started = Instant::now();
    let s = pull_with(&org, access_credential(&org), &options()).unwrap();
    let wall = started.elapsed();
    assert_complete(&s);
    let serial = Duration::from_millis(250) * s.api_calls as u32;
    assert!(wall < serial / 2, "wall {wall:?}, serial sum {serial:?}");
}

#[test]
fn expiry_refreshes_once_and_resumes_with_identical_data() {
    let org = start(OrgSpec::default());
    let baseline = pull(&org);
    assert_complete(&baseline);
    for after in [3u64, 17, 30] {
        org.clear_requests();
        org.expire_tokens_after(after);
        let s = pull(&org);
        assert_complete(&s);
        assert_eq!(data(&s), data(&baseline), "expiry after {after} calls");
        let grants = org
            .requests()
            .iter()
            .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
            .count();
        assert_eq!(grants, 2, "the first token and one refresh");
        // Only the failed call was sent again: one 401 more than the baseline's calls.
        let failed = org.requests().iter().filter(|r| r.status == 401).count()
            + org
                .requests()
                .iter()
                .filter(|r| r.path.starts_with("/services/Soap") && r.status == 500)
                .count();
        assert!(failed >= 1);
        assert!(
            s.api_calls <= baseline.api_calls + 4 + failed as u64,
            "{} vs {}",
            s.api_calls,
            baseline.api_calls
        );
    }
}

#[test]
fn a_second_expiry_stops_the_pull() {
    let org = start(OrgSpec::default());
    org.latency(2);
    org.expire_tokens_after(20);
    let s = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Once the refreshed token is in use for a while, expire it too.
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if org.issued_tokens().len() >= 3 {
                    let used = org.api_used();
                    while org.api_used() < used + 10 && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    org.expire_tokens_now();
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        pull(&org)
    });
    assert!(!s.complete);
    assert!(s.errors.iter().any(|e| e.contains("expired again")), "{:?}", s.errors);
    assert!(
        s.errors.iter().any(|e| e.starts_with("read before stopping")),
        "{:?}",
        s.errors
    );
}

#[test]
fn expiry_with_an_access_token_is_incomplete() {
    let org = start(OrgSpec::default());
    org.expire_tokens_after(25);
    let s = pull_with(&org, access_credential(&org), &options()).expect("starts");
    assert!(!s.complete);
    assert!(
        s.errors.iter().any(|e| e.contains("INVALID_SESSION_ID")),
        "{:?}",
        s.errors
    );
    assert!(
        s.errors.iter().any(|e| e.starts_with("read before stopping")),
        "{:?}",
        s.errors
    );
    assert!(
        org.requests().iter().all(|r| r.grant_type.is_none()),
        "no token request"
    );
    assert_eq!(s.credential.as_ref().unwrap().flow, "access_token");
}

#[test]
fn an_expired_token_at_the_start_is_a_pull_error() {
    let org = start(OrgSpec::default());
    org.expire_tokens_now();
    let err = pull_with(&org, access_credential(&org), &options()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, PullError::AuthRefused(_)), "{text}");
    assert!(!text.contains('\n'));
    assert!(!text.contains(&org.access_token()), "{text}");
}

#[test]
fn transient_faults_are_retried_and_change_nothing() {
    let org = start(OrgSpec::default());
    let pull = |org: &FakeOrg| pull_with(org, access_credential(org), &options()).unwrap();
    let baseline = pull(&org);
    org.fail_5xx(3);
    let s = pull(&org);
    assert_complete(&s);
    assert_eq!(data(&s), data(&baseline), "5xx burst");
    org.reset_connections(2);
    let s = pull(&org);
    assert_complete(&s);
    assert_eq!(data(&s), data(&baseline), "resets");
    org.malformed_body(1);
    let s = pull(&org);
    assert_complete(&s);
    assert_eq!(data(&s), data(&baseline), "a malformed body");
}

#[test]
fn request_limit_stops_with_what_was_read() {
    let org = start(OrgSpec {
        tokens: 20_000,
        ..OrgSpec::default()
    });
    org.latency(2);
    let start_used = org.api_used();
    let s = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(20);
            while org.api_used() < start_used + 40 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            org.request_limit_after(0);
        });
        pull(&org)
    });
    assert!(!s.complete);
    assert!(
        s.errors.iter().any(|e| e.contains("REQUEST_LIMIT_EXCEEDED")),
        "{:?}",
        s.errors
    );
    let summary = s
        .errors
        .iter()
        .find(|e| e.starts_with("read before stopping"))
        .expect("a summary");
    assert!(summary.contains("of 20000 OAuth tokens"), "{summary}");
    assert!(s.tokens.len() < 20_000);
    // Stopped at once: at most the calls in flight (4) answered 403.
    let refused = org.requests().iter().filter(|r| r.status == 403).count();
    assert!(refused <= 4, "{refused} calls after the limit");
}

#[test]
fn too_few_api_requests_left_stops_before_the_tokens() {
    let org = start(OrgSpec {
        tokens: 20_000,
        ..OrgSpec::default()
    });
    org.request_limit_after(40);
    let s = pull(&org);
    assert!(!s.complete);
    let e = s
        .errors
        .iter()
        .find(|e| e.contains("needs at least"))
        .expect("the budget error");
    assert!(e.contains("for 20000 OAuth tokens"), "{e}");
    assert_eq!(token_page_queries(&org), 0, "no token was read");
    assert!(s.tokens.is_empty());
}

#[test]
fn metadata_refused_leaves_apps_unread_and_the_pull_complete() {
    let org = start(OrgSpec::default());
    org.deny_metadata(true);
    let s = pull(&org);
    assert_complete(&s);
    for app in &s.connected_apps {
        match &app.metadata {
            ConnectedAppMetadata::Unread { reason } => assert!(reason.contains("INSUFFICIENT_ACCESS"), "{reason}"),
            other => panic!("{}: {other:?}", app.name),
        }
    }
    let soap = org
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/services/Soap/m/"))
        .count();
    assert!(soap <= 4, "{soap} readMetadata calls after a refusal");
    assert_eq!(s.tokens.len(), org.planted().tokens_total);
}

#[test]
fn missing_objects_and_columns_are_skipped() {
    let org = start(OrgSpec {
        edition: Edition::NoExternalClientApps,
        missing_fields: vec![
            ("ConnectedApplication".into(), "OptionsHasSessionLevelPolicy".into()),
            ("OauthToken".into(), "UseCount".into()),
        ],
        ..OrgSpec::default()
    });
    let s = pull(&org);
    assert_complete(&s);
    for object in [
        "ExternalClientApplication",
        "ExtlClntAppOauthSettings",
        "ExtlClntAppOauthPlcyCnfg",
        "ConnectedApplication.OptionsHasSessionLevelPolicy",
        "OauthToken.UseCount",
    ] {
        assert!(
            s.skipped.iter().any(|k| k.object == object),
            "{object}: {:?}",
            s.skipped
        );
    }
    assert!(s.external_client_apps.is_empty());
    assert!(s.connected_apps.iter().all(|a| a.session_level_policy.is_none()));
    assert_eq!(s.tokens.len(), org.planted().tokens_total);
    assert!(s.tokens.iter().all(|t| t.use_count == 0));
    // Older orgs: the ECA scope columns they have are read and said to be read.
    let org = start(OrgSpec {
        edition: Edition::OlderScopeColumns,
        ..OrgSpec::default()
    });
    let s = pull(&org);
    assert_complete(&s);
    let cols = &s.external_client_apps[0].oauth_settings.as_ref().unwrap().columns_read;
    assert!(!cols.contains(&"OauthScopesMCP_API".to_string()));
    assert!(cols.contains(&"OauthScopesAPI".to_string()));
}

#[test]
fn a_foreign_next_records_url_is_not_followed() {
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    let org = start(OrgSpec::default());
    org.hostile_next_records_url(Some(format!(
        "http://127.0.0.1:{port}/services/data/v67.0/query/01g5g0000000001AAA-500"
    )));
    let s = pull(&org);
    assert!(!s.complete);
    assert!(
        s.errors.iter().any(|e| e.contains("refused to send the access token")),
        "{:?}",
        s.errors
    );
    assert!(trap.accept().is_err(), "a request reached the other host");
}

#[test]
fn looping_pages_end_with_an_error() {
    let org = start(OrgSpec::default());
    org.looping_pages(true);
    let started = Instant::now();
    let s = pull(&org);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!s.complete);
    assert!(s.errors.iter().any(|e| e.contains("a loop")), "{:?}", s.errors);
}

#[test]
fn a_doctype_in_a_soap_answer_is_refused() {
    let org = start(OrgSpec::default());
    org.soap_doctype(100);
    let s = pull(&org);
    assert!(!s.complete);
    assert!(s.errors.iter().any(|e| e.contains("DOCTYPE")), "{:?}", s.errors);
    assert!(s
        .connected_apps
        .iter()
        .all(|a| matches!(&a.metadata, ConnectedAppMetadata::Unread { reason } if reason.contains("DOCTYPE"))));
}

#[test]
fn secrets_in_metadata_are_dropped_at_the_door() {
    let org = start(OrgSpec::default());
    org.metadata_secrets(true);
    let s = pull(&org);
    assert_complete(&s);
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("SECRET-"), "a canary in the snapshot");
    for element in ["consumerSecret", "privateKey", "certificate"] {
        assert!(
            s.skipped.iter().any(|k| k.reason.contains(&format!("<{element}>"))),
            "{element}: {:?}",
            s.skipped
        );
    }
    assert!(s
        .connected_apps
        .iter()
        .all(|a| matches!(a.metadata, ConnectedAppMetadata::Read { .. })));
}

#[test]
fn only_read_methods_reach_the_org() {
    let org = start(OrgSpec::default());
    org.expire_tokens_after(10);
    let s = pull(&org);
    assert_complete(&s);
    for r in org.requests() {
        let ok = match r.listener {
            Listener::Login => r.method == "POST" && r.path == "/services/oauth2/token",
            Listener::Instance => {
                (r.method == "GET" && r.path.starts_with("/services/data/"))
                    || (r.method == "POST" && r.path.starts_with("/services/Soap/m/"))
            }
        };
        assert!(ok, "{} {} on {:?}", r.method, r.path, r.listener);
    }
    for q in queries(&org) {
        for column in ["AccessToken", "DeleteToken", "RequestToken"] {
            assert!(!q.contains(column), "{q}");
        }
    }
}

#[test]
fn no_secret_in_the_snapshot_the_log_or_errors() {
    let org = start(OrgSpec::default());
    org.expire_tokens_after(12);
    org.metadata_secrets(true);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let mut opts = options();
    opts.verbose = true;
    opts.log = Some(Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string())));
    let s = pull_with(&org, refresh_credential(&org), &opts).unwrap();
    assert_complete(&s);
    let mut secrets: Vec<String> = org.issued_tokens();
    secrets.push(org.spec().client_secret.clone());
    secrets.push(org.spec().refresh_token.clone());
    secrets.push("SECRET-".into());
    let json = serde_json::to_string(&s).unwrap();
    let log = lines.lock().unwrap().join("\n");
    assert!(log.lines().count() as u64 >= s.api_calls, "one line per request");
    assert!(log.contains("GET /services/data/v67.0/query?q= 200"), "{log}");
    assert!(!log.contains("SELECT"), "query values in the log");
    for secret in &secrets {
        assert!(!json.contains(secret.as_str()), "{secret} in the snapshot");
        assert!(!log.contains(secret.as_str()), "{secret} in the log");
    }
    // Errors: a refused refresh token, and an access-token pull cut short.
    let bad = Credential::RefreshToken {
        client_id: org.spec().client_id.clone(),
        client_secret: Some(Secret::new(org.spec().client_secret.clone())),
        refresh_token: Secret::new("5Aep861FAKE-NOT-VALID-SECRET-XYZ"),
    };
    let err = pull_with(&org, bad, &options()).unwrap_err().to_string();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("invalid_grant"), "{err}");
    for secret in secrets.iter().chain([&"5Aep861FAKE-NOT-VALID-SECRET-XYZ".to_string()]) {
        assert!(!err.contains(secret.as_str()), "{secret} in {err}");
    }
    let org = start(OrgSpec::default());
    org.expire_tokens_after(20);
    let s = pull_with(&org, access_credential(&org), &options()).unwrap();
    assert!(!s.complete);
    let json = serde_json::to_string(&s).unwrap();
    for secret in &secrets {
        assert!(!json.contains(secret.as_str()), "{secret} in the incomplete snapshot");
    }
}

#[test]
fn slow_and_huge_answers_are_bounded() {
    let org = start(OrgSpec::default());
    // A slow drip outlasting the deadline is cut and retried.
    org.slow_drip(16, 300, 1);
    let mut opts = options();
    opts.retry.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let s = pull_with(&org, access_credential(&org), &opts).unwrap();
    assert_complete(&s);
    assert!(started.elapsed() < Duration::from_secs(30));
    // An endless body stops at the body cap, as an error, not a hang.
    org.huge_body(u64::MAX, 1);
    let mut opts = options();
    opts.retry.max_body_bytes = 1024 * 1024;
    let started = Instant::now();
    let err = pull_with(&org, access_credential(&org), &opts).unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn an_unknown_api_version_is_refused_before_any_read() {
    let org = start(OrgSpec::default());
    let mut opts = options();
    opts.api_version = Some("99.0".into());
    let err = pull_with(&org, access_credential(&org), &opts).unwrap_err();
    assert!(matches!(err, PullError::VersionNotServed { .. }), "{err}");
    opts.api_version = Some("sixty".into());
    let err = pull_with(&org, access_credential(&org), &opts).unwrap_err();
    assert!(matches!(err, PullError::BadApiVersion(_)), "{err}");
    opts.api_version = Some("62.0".into());
    let s = pull_with(&org, access_credential(&org), &opts).unwrap();
    assert_complete(&s);
    assert_eq!(s.api_version, "62.0");
}

/// The benchmark's org (500 apps, 20,000 users, 100,000 tokens): calls within 5% of the
/// minimum the data needs (measured: 296 against 290), and with 50 ms per call the wall time
/// beside the calls' serial sum. Slow in a debug build (the fake sorts 100,000 rows per token
/// query): run with `--ignored`.
#[test]
#[ignore]
fn benchmark_sized_org() {
    let org = start(OrgSpec {
        apps: 500,
        users: 20_000,
        tokens: 100_000,
        ..OrgSpec::default()
    });
    let s = pull(&org);
    assert_complete(&s);
    assert_eq!(s.tokens.len(), 100_000);
    let min = minimum_calls(&s);
    eprintln!(
        "calls {} minimum {min} ({:.1}% over)",
        s.api_calls,
        (s.api_calls as f64 / min as f64 - 1.0) * 100.0
    );
    assert!(s.api_calls as f64 <= min as f64 * 1.05);
    org.latency(50);
    let started = Instant::now();
    let s = pull(&org);
    let wall = started.elapsed();
    let serial = Duration::from_millis(50) * s.api_calls as u32;
    // Printed, not asserted: in a debug build the fake's own sorting dominates the wall time
    // (the benchmark runs it built for release).
    eprintln!("wall {wall:?}, serial sum {serial:?}");
}
