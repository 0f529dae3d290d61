//! The org client's credential, token and HTTP layers (`scopeaudit::org`), driven through the
//! library against a tiny HTTP server on 127.0.0.1 written here (only the token endpoint's
//! documented bodies and a few data-API answers; the full fake org lives elsewhere), and a
//! fake `sf` script first on PATH. Nothing leaves 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scopeaudit::org::credentials::{cli_auth, resolve, Credential, CredentialError, Flow, PASSWORD_FLOW_WARNING};
use scopeaudit::org::http::{HttpError, OrgHttp, RetryPolicy, UrlError};
use scopeaudit::org::secret::Secret;
use scopeaudit::org::token::{
    audit_credential_scope, obtain, CredentialFindingKind, Endpoints, JwtClaims, OAuthErrorKind, TokenError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 server: records every request, answers with what a handler says.

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Request {
    fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.body.as_bytes()).into_owned().collect()
    }
}

enum Reply {
    Json(u16, String),
    Raw(u16, &'static str, String, Vec<(&'static str, String)>),
    /// Close the connection without answering (a reset, as the client sees it).
    Drop,
    /// Answer after a delay.
    Slow(Duration, Box<Reply>),
}

type Handler = Arc<dyn Fn(&Request, usize) -> Reply + Send + Sync>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    async fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let seen = seen2.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let n = {
                        let mut s = seen.lock().unwrap();
                        s.push(req.clone());
                        s.len() - 1
                    };
                    let mut reply = handler(&req, n);
                    if let Reply::Slow(d, inner) = reply {
                        tokio::time::sleep(d).await;
                        reply = *inner;
                    }
                    let (status, ctype, body, extra) = match reply {
                        Reply::Drop | Reply::Slow(..) => return,
                        Reply::Json(s, b) => (s, "application/json", b, vec![]),
                        Reply::Raw(s, c, b, h) => (s, c, b, h),
                    };
                    let mut head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in extra {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(body.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Server { url, seen }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

fn token_ok(instance: &str, scope: &str) -> Reply {
    Reply::Json(
        200,
        serde_json::json!({
            "access_token": "00Dxx0000001gPL!AQFAKE4AQFreshAccessToken",
            "instance_url": instance,
            "id": "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
            "token_type": "Bearer",
            "issued_at": "1708058728442",
            "signature": "CBeqtdaVd0pMv8jHZtOeB8IOgSkZb+xFmSF6ZK4HjV8=",
            "scope": scope,
        })
        .to_string(),
    )
}

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::Json(
        status,
        serde_json::json!({"error": error, "error_description": description}).to_string(),
    )
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Sync + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k: &str| map.get(k).cloned()
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..RetryPolicy::default()
    }
}

fn endpoints(login: &str, instance: Option<&str>) -> Endpoints {
    Endpoints::parse(Some(login), instance).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Resolution order and partial sets

#[test]
fn first_match_wins_in_spec_order() {
    use Flow::*;
    let all = [
        ("SF_ACCESS_TOKEN", "at"),
        ("SF_INSTANCE_URL", "https://acme.my.salesforce.com"),
        ("SF_CLIENT_ID", "cid"),
        ("SF_CLIENT_SECRET", "cs"),
        ("SF_REFRESH_TOKEN", "rt"),
        ("SF_USERNAME", "u@example.com"),
        ("SF_JWT_KEY_FILE", "/k.pem"),
        ("SF_PASSWORD", "pw"),
    ];
    // Drop the winner's distinctive variables one at a time: the next set in SPEC order wins.
    let cases: &[(&[&str], Option<&str>, Flow)] = &[
        (&[], Some("myorg"), CliAlias),
        (&[], None, AccessToken),
        (&["SF_ACCESS_TOKEN"], None, RefreshToken),
        (&["SF_ACCESS_TOKEN", "SF_REFRESH_TOKEN"], None, JwtBearer),
        (
            &["SF_ACCESS_TOKEN", "SF_REFRESH_TOKEN", "SF_JWT_KEY_FILE", "SF_PASSWORD"],
            None,
            ClientCredentials,
        ),
        (
            &["SF_ACCESS_TOKEN", "SF_REFRESH_TOKEN", "SF_JWT_KEY_FILE"],
            None,
            UsernamePassword,
        ),
        (
            &[
                "SF_ACCESS_TOKEN",
                "SF_REFRESH_TOKEN",
                "SF_JWT_KEY_FILE",
                "SF_CLIENT_ID",
                "SF_CLIENT_SECRET",
            ],
            None,
            UsernamePassword,
        ),
    ];
    for (drop, alias, want) in cases {
        let pairs: Vec<_> = all.iter().copied().filter(|(k, _)| !drop.contains(k)).collect();
        let got = resolve(&env_of(&pairs), *alias).unwrap();
        assert_eq!(got.credential.flow(), *want, "dropping {drop:?}");
    }
}

#[test]
fn resolved_credentials_carry_their_values_and_report_unused_variables() {
    let r = resolve(
        &env_of(&[
            ("SF_ACCESS_TOKEN", "at"),
            ("SF_INSTANCE_URL", "https://acme.my.salesforce.com"),
            ("SF_CLIENT_ID", "cid"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(
        r.credential,
        Credential::AccessToken {
            token: Secret::new("at"),
            instance_url: "https://acme.my.salesforce.com".into()
        }
    );
    assert_eq!(r.ignored, vec!["SF_CLIENT_ID"]);
    assert!(r.warnings.is_empty());

    let r = resolve(&env_of(&[("SF_CLIENT_ID", "cid"), ("SF_REFRESH_TOKEN", "rt")]), None).unwrap();
    assert_eq!(
        r.credential,
        Credential::RefreshToken {
            client_id: "cid".into(),
            client_secret: None,
            refresh_token: Secret::new("rt")
        }
    );

    let r = resolve(&env_of(&[("SF_USERNAME", "u"), ("SF_PASSWORD", "pw")]), None).unwrap();
    assert_eq!(r.warnings, vec![PASSWORD_FLOW_WARNING.to_string()]);
    assert!(PASSWORD_FLOW_WARNING.contains("deprecated"));
    assert!(PASSWORD_FLOW_WARNING.contains("Summer '23"));

    // The alias wins over everything; the environment is then all ignored.
    let r = resolve(&env_of(&[("SF_ACCESS_TOKEN", "at")]), Some("prod")).unwrap();
    assert_eq!(r.credential, Credential::CliAlias { alias: "prod".into() });
    assert_eq!(r.ignored, vec!["SF_ACCESS_TOKEN"]);
}

#[test]
fn partial_sets_name_what_is_missing_never_values() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "no Salesforce credential"),
        (
            &[("SF_CLIENT_ID", "cid-VALUE")],
            "SF_CLIENT_ID is set but SF_CLIENT_SECRET is not (the client-credentials flow needs SF_CLIENT_ID + SF_CLIENT_SECRET)",
        ),
        (
            &[("SF_ACCESS_TOKEN", "at-VALUE")],
            "SF_ACCESS_TOKEN is set but SF_INSTANCE_URL is not (an access token needs SF_ACCESS_TOKEN + SF_INSTANCE_URL)",
        ),
        (&[("SF_REFRESH_TOKEN", "rt-VALUE")], "SF_CLIENT_ID is not (the refresh-token flow"),
        (
            &[("SF_CLIENT_ID", "cid-VALUE"), ("SF_JWT_KEY_FILE", "/k-VALUE")],
            "SF_CLIENT_ID and SF_JWT_KEY_FILE are set but SF_USERNAME is not (the JWT bearer flow needs SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE)",
        ),
        (&[("SF_PASSWORD", "pw-VALUE")], "SF_USERNAME is not (the username-password flow"),
        (&[("SF_INSTANCE_URL", "https://i-VALUE")], "SF_ACCESS_TOKEN is not"),
    ];
    for (pairs, want) in cases {
        let err = resolve(&env_of(pairs), None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(want), "{pairs:?}: {text}");
        assert!(!text.contains("VALUE"), "{text}");
        assert!(!format!("{err:?}").contains("VALUE"), "{err:?}");
    }
    assert_eq!(
        resolve(&env_of(&[("SF_CLIENT_ID", "")]), None).unwrap_err(),
        CredentialError::Empty { var: "SF_CLIENT_ID" }
    );
    assert_eq!(
        resolve(&env_of(&[]), Some(" ")).unwrap_err(),
        CredentialError::EmptyAlias
    );
}

// ---------------------------------------------------------------------------------------------
// The Salesforce CLI as a token source (a fake `sf` first on PATH)

/// A fake `sf` in a new directory: it logs its arguments and prints `display` for
/// `org display` and `show` for `org auth show-access-token`, exiting with `code`.
fn fake_sf(display: &str, show: &str, code: i32) -> (tempfile::TempDir, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("display.json"), display).unwrap();
    std::fs::write(dir.path().join("show.json"), show).unwrap();
    let d = dir.path().display();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> {d}/args.log\nif [ \"$2\" = display ]; then cat {d}/display.json; else cat {d}/show.json; fi\nexit {code}\n"
    );
    let sf = dir.path().join("sf");
    std::fs::write(&sf, script).unwrap();
    std::fs::set_permissions(&sf, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{d}:/usr/bin:/bin");
    (dir, path)
}

fn args_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("args.log")).unwrap_or_default()
}

#[test]
fn cli_alias_reads_org_display_json() {
    let display = r#"{"status":0,"result":{"id":"00Dxx0000001gPLEAY","apiVersion":"66.0","accessToken":"00Dxx0000001gPL!AQFAKEcliToken","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com","connectedStatus":"Connected","alias":"prod"},"warnings":[]}"#;
    let (dir, path) = fake_sf(display, "{}", 0);
    let auth = cli_auth("prod", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap();
    assert_eq!(auth.access_token.expose(), "00Dxx0000001gPL!AQFAKEcliToken");
    assert_eq!(auth.instance_url, "https://acme.my.salesforce.com");
    assert_eq!(auth.api_version.as_deref(), Some("66.0"));
    assert_eq!(auth.org_id.as_deref(), Some("00Dxx0000001gPLEAY"));
    assert_eq!(args_log(dir.path()), "org display --target-org prod --json\n");
}

#[test]
fn cli_alias_with_a_redacted_token_asks_show_access_token() {
    let display = r#"{"status":0,"result":{"accessToken":"[REDACTED] Use 'sf org auth show-access-token' to view","instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.com"}}"#;
    let show = r#"{"status":0,"result":{"accessToken":"00Dxx0000001gPL!AQFAKEshownToken"},"warnings":["Sharing this access token..."]}"#;
    let (dir, path) = fake_sf(display, show, 0);
    let auth = cli_auth("prod", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap();
    assert_eq!(auth.access_token.expose(), "00Dxx0000001gPL!AQFAKEshownToken");
    assert_eq!(
        args_log(dir.path()),
        "org display --target-org prod --json\norg auth show-access-token --target-org prod --json\n"
    );
}

#[test]
fn cli_alias_errors_are_typed_and_clear() {
    let failure = r#"{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for nope.","exitCode":1}"#;
    let (_dir, path) = fake_sf(failure, "{}", 1);
    let err = cli_auth("nope", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the Salesforce CLI (`sf org display`) failed for org nope: NamedOrgNotFoundError: No authorization information found for nope."
    );

    let (_dir, path) = fake_sf("Error: something odd\n", "{}", 2);
    let err = cli_auth("x", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap_err();
    assert!(matches!(err, CredentialError::CliOutput { .. }), "{err}");
    assert!(!err.to_string().contains("something odd"), "{err}");

    let (_dir, path) = fake_sf(r#"{"status":0,"result":{"accessToken":"00Dxx!AQ"}}"#, "{}", 0);
    let err = cli_auth("x", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap_err();
    assert_eq!(
        err,
        CredentialError::CliMissing {
            field: "instanceUrl",
            alias: "x".into()
        }
    );

    let empty = tempfile::tempdir().unwrap();
    let err = cli_auth(
        "x",
        &env_of(&[("PATH", &empty.path().display().to_string())]),
        Duration::from_secs(20),
    )
    .unwrap_err();
    assert_eq!(err, CredentialError::CliNotFound);
    assert!(err.to_string().contains("`sf`) was not found on PATH"), "{err}");
}

#[tokio::test]
async fn cli_alias_instance_must_be_the_one_named() {
    let display = r#"{"status":0,"result":{"accessToken":"00Dxx0000001gPL!AQFAKEcli","instanceUrl":"https://other.my.salesforce.com"}}"#;
    let (_dir, path) = fake_sf(display, "{}", 0);
    let env = env_of(&[("PATH", &path)]);
    let cred = Credential::CliAlias { alias: "prod".into() };
    let ok = obtain(&cred, &endpoints("https://login.salesforce.com", None), &env, &fast())
        .await
        .unwrap();
    assert_eq!(ok.instance_url.as_str(), "https://other.my.salesforce.com/");
    assert_eq!(ok.scopes, None);
    let err = obtain(
        &cred,
        &endpoints("https://login.salesforce.com", Some("https://acme.my.salesforce.com")),
        &env,
        &fast(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, TokenError::Url(UrlError::InstanceMismatch { .. })),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Token grants: the request each sends, the response each parses

#[tokio::test]
async fn refresh_token_grant_posts_the_documented_form() {
    let srv = Server::start(|_, _| Reply::Drop).await;
    let instance = srv.url.clone();
    let srv = Server::start(move |_, _| token_ok(&instance, "api refresh_token")).await;
    let cred = Credential::RefreshToken {
        client_id: "3MVG9cid".into(),
        client_secret: Some(Secret::new("cs-1")),
        refresh_token: Secret::new("5Aep861rt"),
    };
    let got = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap_err();
    // The token response named another origin (the first server's port): refused.
    assert!(
        matches!(got, TokenError::Url(UrlError::UntrustedInstance { .. })),
        "{got}"
    );

    let srv = Server::start(|_, _| Reply::Drop).await;
    let me = Arc::new(Mutex::new(String::new()));
    let me2 = me.clone();
    let srv2 = Server::start(move |_, _| token_ok(&me2.lock().unwrap(), "api refresh_token")).await;
    *me.lock().unwrap() = srv2.url.clone();
    drop(srv);
    let got = obtain(&cred, &endpoints(&srv2.url, Some(&srv2.url)), &env_of(&[]), &fast())
        .await
        .unwrap();
    assert_eq!(got.flow, Flow::RefreshToken);
    assert_eq!(got.access_token.expose(), "00Dxx0000001gPL!AQFAKE4AQFreshAccessToken");
    assert_eq!(got.instance_url.as_str(), format!("{}/", srv2.url));
    assert_eq!(got.scopes, Some(vec!["api".to_string(), "refresh_token".to_string()]));
    assert_eq!(got.org_id.as_deref(), Some("00Dxx0000001gPLEAY"));
    assert_eq!(got.user_id.as_deref(), Some("005xx000001SwiUAAS"));
    let reqs = srv2.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/services/oauth2/token");
    assert_eq!(reqs[0].headers["content-type"], "application/x-www-form-urlencoded");
    let form = reqs[0].form();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["client_id"], "3MVG9cid");
    assert_eq!(form["client_secret"], "cs-1");
    assert_eq!(form["refresh_token"], "5Aep861rt");
    assert!(!reqs[0].headers.contains_key("authorization"));
}

/// A token server that answers as its own instance.
async fn self_token_server(scope: &'static str, error: Option<(u16, &'static str, &'static str)>) -> Server {
    let me = Arc::new(Mutex::new(String::new()));
    let me2 = me.clone();
    let srv = Server::start(move |_, _| match error {
        Some((s, e, d)) => oauth_error(s, e, d),
        None => token_ok(&me2.lock().unwrap(), scope),
    })
    .await;
    *me.lock().unwrap() = srv.url.clone();
    srv
}

fn openssl_key_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("test-only-key.pem");
    let public = dir.join("test-only-public.pem");
    let st = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(st.success());
    let st = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .status()
        .unwrap();
    assert!(st.success());
    (key, public)
}

#[tokio::test]
async fn jwt_bearer_grant_sends_an_rs256_assertion_with_the_documented_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = openssl_key_pair(dir.path());
    let srv = self_token_server("api", None).await;
    let cred = Credential::JwtBearer {
        client_id: "3MVG9jwt".into(),
        username: "audit@acme.com".into(),
        key_file: key.clone(),
    };
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let got = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap();
    assert_eq!(got.flow, Flow::JwtBearer);
    assert_eq!(got.scopes, Some(vec!["api".to_string()]));
    let form = srv.requests()[0].form();
    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
    assert_eq!(form.len(), 2, "{form:?}");

    let pem = std::fs::read(&public).unwrap();
    let dkey = jsonwebtoken::DecodingKey::from_rsa_pem(&pem).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[srv.url.as_str()]);
    validation.set_issuer(&["3MVG9jwt"]);
    let data = jsonwebtoken::decode::<JwtClaims>(&form["assertion"], &dkey, &validation).unwrap();
    assert_eq!(data.header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(data.claims.iss, "3MVG9jwt");
    assert_eq!(data.claims.sub, "audit@acme.com");
    assert_eq!(data.claims.aud, srv.url);
    assert!(
        data.claims.exp > before && data.claims.exp <= before + 180 + 5,
        "{}",
        data.claims.exp
    );

    // A key that is not a key, and a file that is not there: named, never shown.
    std::fs::write(
        dir.path().join("bad.pem"),
        "-----BEGIN PRIVATE KEY-----\nnot-a-key-VALUE\n",
    )
    .unwrap();
    for (path, want) in [
        ("bad.pem", "is not an unencrypted RSA private key"),
        ("absent.pem", "could not read the JWT key file"),
    ] {
        let cred = Credential::JwtBearer {
            client_id: "c".into(),
            username: "u".into(),
            key_file: dir.path().join(path),
        };
        let err = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
            .await
            .unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
        assert!(err.to_string().contains(path), "{err}");
        assert!(!err.to_string().contains("VALUE"), "{err}");
    }
    assert_eq!(srv.requests().len(), 1, "a bad key sends nothing");
}

#[tokio::test]
async fn client_credentials_grant_posts_its_form_and_is_refused_on_login_and_test_hosts() {
    let srv = self_token_server("api", None).await;
    let cred = Credential::ClientCredentials {
        client_id: "3MVG9cc".into(),
        client_secret: Secret::new("cs-2"),
    };
    let got = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap();
    assert_eq!(got.flow, Flow::ClientCredentials);
    let form = srv.requests()[0].form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "3MVG9cc");
    assert_eq!(form["client_secret"], "cs-2");

    for host in [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        "https://TEST.salesforce.com.",
    ] {
        // Refused before anything is sent: these hosts are never contacted.
        let err = obtain(&cred, &endpoints(host, None), &env_of(&[]), &fast())
            .await
            .unwrap_err();
        assert!(
            matches!(err, TokenError::ClientCredentialsNeedsMyDomain { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("needs the org's My Domain"), "{err}");
    }
}

#[tokio::test]
async fn password_grant_posts_its_form_and_warns() {
    let srv = self_token_server("api", None).await;
    let cred = Credential::UsernamePassword {
        username: "u@acme.com".into(),
        password: Secret::new("pw-3"),
        client_id: Some("3MVG9pw".into()),
        client_secret: Some(Secret::new("cs-3")),
    };
    let got = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap();
    assert_eq!(got.warnings, vec![PASSWORD_FLOW_WARNING.to_string()]);
    let form = srv.requests()[0].form();
    assert_eq!(form["grant_type"], "password");
    assert_eq!(form["username"], "u@acme.com");
    assert_eq!(form["password"], "pw-3");
    assert_eq!(form["client_id"], "3MVG9pw");
    assert_eq!(form["client_secret"], "cs-3");
}

#[tokio::test]
async fn access_token_credential_sends_nothing_and_keeps_its_instance() {
    let cred = Credential::AccessToken {
        token: Secret::new("00Dxx!AQtok"),
        instance_url: "https://acme.my.salesforce.com".into(),
    };
    let got = obtain(
        &cred,
        &endpoints("https://login.salesforce.com", None),
        &env_of(&[]),
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(got.instance_url.as_str(), "https://acme.my.salesforce.com/");
    assert_eq!(got.scopes, None);
    let bad = Credential::AccessToken {
        token: Secret::new("t"),
        instance_url: "http://acme.my.salesforce.com".into(),
    };
    let err = obtain(
        &bad,
        &endpoints("https://login.salesforce.com", None),
        &env_of(&[]),
        &fast(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TokenError::Url(UrlError::NotHttps { .. })), "{err}");
}

#[tokio::test]
async fn error_bodies_become_typed_errors_with_hints() {
    let cases: &[(u16, &str, &str, OAuthErrorKind, &str)] = &[
        (
            400,
            "invalid_grant",
            "authentication failure",
            OAuthErrorKind::InvalidGrant,
            "blocked in this org",
        ),
        (
            400,
            "invalid_grant",
            "expired access/refresh token",
            OAuthErrorKind::InvalidGrant,
            "authorize again",
        ),
        (
            400,
            "invalid_grant",
            "user hasn't approved this consumer",
            OAuthErrorKind::InvalidGrant,
            "pre-authorize",
        ),
        (
            400,
            "invalid_grant",
            "request not supported on this domain",
            OAuthErrorKind::InvalidGrant,
            "My Domain",
        ),
        (
            400,
            "invalid_client_id",
            "client identifier invalid",
            OAuthErrorKind::InvalidClientId,
            "consumer key",
        ),
        (
            401,
            "invalid_client",
            "invalid client credentials",
            OAuthErrorKind::InvalidClient,
            "SF_CLIENT_SECRET",
        ),
        (
            400,
            "unsupported_grant_type",
            "grant type not supported",
            OAuthErrorKind::UnsupportedGrantType,
            "",
        ),
        (
            400,
            "inactive_user",
            "user is inactive",
            OAuthErrorKind::InactiveUser,
            "inactive",
        ),
        (
            403,
            "rate_limit_exceeded",
            "rate limit exceeded",
            OAuthErrorKind::RateLimitExceeded,
            "",
        ),
        (
            400,
            "something_new",
            "??",
            OAuthErrorKind::Other("something_new".into()),
            "",
        ),
    ];
    for (status, code, desc, kind, hint) in cases {
        let srv = Server::start({
            let (status, code, desc) = (*status, code.to_string(), desc.to_string());
            move |_, _| oauth_error(status, &code, &desc)
        })
        .await;
        let cred = Credential::UsernamePassword {
            username: "u".into(),
            password: Secret::new("pw"),
            client_id: Some("c".into()),
            client_secret: None,
        };
        let err = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
            .await
            .unwrap_err();
        match &err {
            TokenError::OAuth {
                status: s,
                kind: k,
                description,
                ..
            } => {
                assert_eq!(s, status);
                assert_eq!(k, kind);
                assert_eq!(description.as_deref(), Some(*desc));
            }
            other => panic!("{code}: {other}"),
        }
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "username-password token request to {}/services/oauth2/token failed: HTTP {status} {code}: {desc}",
                srv.url
            )),
            "{text}"
        );
        assert!(text.contains(hint), "{code}: {text}");
        assert_eq!(srv.requests().len(), 1, "a 4xx is not retried");
    }
}

#[tokio::test]
async fn token_endpoint_non_json_errors_and_outages() {
    let srv = Server::start(|_, _| Reply::Raw(500, "text/html", "<html>oops</html>".into(), vec![])).await;
    let cred = Credential::ClientCredentials {
        client_id: "c".into(),
        client_secret: Secret::new("s"),
    };
    let err = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Malformed { status: 500, .. }), "{err}");
    assert!(!err.to_string().contains("oops"));
    assert_eq!(
        srv.requests().len(),
        1,
        "a 500 from the token endpoint is not retried (a refresh must not be spent twice)"
    );

    let srv = Server::start(|_, _| Reply::Json(503, "{}".into())).await;
    let err = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("gave up after 4 attempts: HTTP 503"), "{err}");
    assert_eq!(srv.requests().len(), 4);

    let srv = Server::start(|_, _| {
        Reply::Raw(
            302,
            "text/plain",
            String::new(),
            vec![("location", "http://127.0.0.1:9/x".into())],
        )
    })
    .await;
    let err = obtain(&cred, &endpoints(&srv.url, None), &env_of(&[]), &fast())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("redirect (not followed with credentials"),
        "{err}"
    );
}

#[test]
fn credential_scope_findings() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let kinds = |flow, v: &[&str]| {
        audit_credential_scope(flow, &s(v))
            .into_iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>()
    };
    assert!(kinds(Flow::JwtBearer, &["api"]).is_empty());
    assert!(kinds(Flow::CliAlias, &["api", "refresh_token"]).is_empty());
    assert_eq!(
        kinds(Flow::AccessToken, &["api", "refresh_token"]),
        vec![CredentialFindingKind::UnneededRefreshToken]
    );
    assert_eq!(
        kinds(Flow::RefreshToken, &["refresh_token", "full", "web"]),
        vec![CredentialFindingKind::FullAccess, CredentialFindingKind::WebAccess]
    );
    let f = &audit_credential_scope(Flow::JwtBearer, &s(&["api", "full"]))[0];
    assert_eq!(f.kind.to_string(), "full-access");
    assert!(f.message.contains("needs only `api`"), "{}", f.message);
}

// ---------------------------------------------------------------------------------------------
// The data-API client: the bearer token only to the instance, retries bounded

fn ok_page(next: Option<&str>) -> Reply {
    let mut v = serde_json::json!({"totalSize": 1, "done": next.is_none(), "records": [{"Id": "0Ci000000000001"}]});
    if let Some(n) = next {
        v["nextRecordsUrl"] = n.into();
    }
    Reply::Raw(
        200,
        "application/json",
        v.to_string(),
        vec![("sforce-limit-info", "api-usage=18/15000".into())],
    )
}

#[tokio::test]
async fn get_sends_the_bearer_token_and_reads_limit_info() {
    let srv = Server::start(|_, _| ok_page(None)).await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("instance URL", &srv.url).unwrap(),
        Secret::new("00Dxx!AQbearer"),
        fast(),
    )
    .unwrap();
    let got = http
        .get_json::<serde_json::Value>("/services/data/v66.0/query?q=SELECT+Id+FROM+User")
        .await
        .unwrap();
    assert_eq!(got.body["totalSize"], 1);
    assert_eq!(got.limit_info.as_deref(), Some("api-usage=18/15000"));
    let reqs = srv.requests();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].headers["authorization"], "Bearer 00Dxx!AQbearer");
    assert_eq!(reqs[0].path, "/services/data/v66.0/query?q=SELECT+Id+FROM+User");
    assert_eq!(http.api_calls(), 1);
}

#[tokio::test]
async fn the_bearer_token_never_goes_to_another_host() {
    let elsewhere = Server::start(|_, _| ok_page(None)).await;
    let next = format!("{}/services/data/v66.0/query/01gxx-2000", elsewhere.url);
    let srv = Server::start({
        let next = next.clone();
        move |_, _| ok_page(Some(&next))
    })
    .await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("instance URL", &srv.url).unwrap(),
        Secret::new("00Dxx!AQbearer"),
        fast(),
    )
    .unwrap();
    let page = http
        .get_json::<serde_json::Value>("/services/data/v66.0/query?q=x")
        .await
        .unwrap();
    let next_url = page.body["nextRecordsUrl"].as_str().unwrap();
    let err = http.get_json::<serde_json::Value>(next_url).await.unwrap_err();
    assert!(matches!(err, HttpError::ForeignHost { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("refused to send the access token to http://127.0.0.1:"),
        "{err}"
    );

    // A redirect to the other host is not followed either.
    let redirecting = Server::start({
        let next = next.clone();
        move |_, _| Reply::Raw(302, "text/plain", String::new(), vec![("location", next.clone())])
    })
    .await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("instance URL", &redirecting.url).unwrap(),
        Secret::new("00Dxx!AQbearer"),
        fast(),
    )
    .unwrap();
    let err = http.get_json::<serde_json::Value>("/services/data/").await.unwrap_err();
    assert!(matches!(err, HttpError::Redirect { .. }), "{err}");
    assert!(elsewhere.requests().is_empty(), "the other host saw a request");
}

#[tokio::test]
async fn server_errors_resets_and_timeouts_are_retried_with_a_bound() {
    // Always 503: first attempt + max_retries, then give up.
    let srv = Server::start(|_, _| Reply::Json(503, "[]".into())).await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        fast(),
    )
    .unwrap();
    let err = http.get_json::<serde_json::Value>("/services/data/").await.unwrap_err();
    assert!(matches!(err, HttpError::GaveUp { attempts: 4, .. }), "{err}");
    assert_eq!(srv.requests().len(), 4);
    assert_eq!(http.api_calls(), 4);

    // 500, a reset, then an answer: recovered.
    let srv = Server::start(|_, n| match n {
        0 => Reply::Json(500, "[]".into()),
        1 => Reply::Drop,
        _ => ok_page(None),
    })
    .await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        fast(),
    )
    .unwrap();
    http.get_json::<serde_json::Value>("/services/data/").await.unwrap();
    assert_eq!(srv.requests().len(), 3);

    // A slow answer times out and counts as a retryable failure.
    let srv = Server::start(|_, n| {
        if n == 0 {
            Reply::Slow(Duration::from_secs(3), Box::new(ok_page(None)))
        } else {
            ok_page(None)
        }
    })
    .await;
    let policy = RetryPolicy {
        timeout: Duration::from_millis(300),
        ..fast()
    };
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        policy,
    )
    .unwrap();
    http.get_json::<serde_json::Value>("/services/data/").await.unwrap();
    assert_eq!(srv.requests().len(), 2);
}

#[tokio::test]
async fn malformed_bodies_are_fetched_once_more_then_refused() {
    let srv = Server::start(|_, n| {
        if n == 0 {
            Reply::Json(200, "{\"records\": [".into())
        } else {
            ok_page(None)
        }
    })
    .await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        fast(),
    )
    .unwrap();
    http.get_json::<serde_json::Value>("/services/data/").await.unwrap();
    assert_eq!(srv.requests().len(), 2);

    let srv = Server::start(|_, _| Reply::Json(200, "not json".into())).await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        fast(),
    )
    .unwrap();
    let err = http.get_json::<serde_json::Value>("/services/data/").await.unwrap_err();
    assert!(matches!(err, HttpError::Malformed { .. }), "{err}");
    assert_eq!(srv.requests().len(), 2);
}

#[tokio::test]
async fn salesforce_error_bodies_are_typed_and_not_retried() {
    for (status, code) in [
        (401, "INVALID_SESSION_ID"),
        (403, "REQUEST_LIMIT_EXCEEDED"),
        (400, "INVALID_TYPE"),
        (400, "INVALID_FIELD"),
    ] {
        let srv =
            Server::start(move |_, _| Reply::Json(status, format!(r#"[{{"message":"m","errorCode":"{code}"}}]"#)))
                .await;
        let http = OrgHttp::new(
            scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
            Secret::new("t"),
            fast(),
        )
        .unwrap();
        let err = http.get_json::<serde_json::Value>("/services/data/").await.unwrap_err();
        assert_eq!(err.api_code(), Some(code));
        assert!(matches!(err, HttpError::Api { status: s, .. } if s == status));
        assert_eq!(srv.requests().len(), 1);
    }
    // After a refresh, the new token is what is sent.
    let srv = Server::start(|_, _| ok_page(None)).await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("old"),
        fast(),
    )
    .unwrap();
    http.set_token(Secret::new("new"));
    http.get_json::<serde_json::Value>("/services/data/").await.unwrap();
    assert_eq!(srv.requests()[0].headers["authorization"], "Bearer new");
}

#[tokio::test]
async fn bodies_are_bounded() {
    let srv = Server::start(|_, _| Reply::Json(200, format!("[{}]", "1,".repeat(5000) + "1"))).await;
    let policy = RetryPolicy {
        max_body_bytes: 1000,
        ..fast()
    };
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &srv.url).unwrap(),
        Secret::new("t"),
        policy,
    )
    .unwrap();
    let err = http.get_json::<serde_json::Value>("/services/data/").await.unwrap_err();
    assert!(matches!(err, HttpError::TooLarge { limit: 1000, .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The canary: a distinctive secret never appears in any error or Debug output

const CANARY_TOKEN: &str = "00DCANARY0000001!AQFAKEcanaryTOKENzq9";
const CANARY: &str = "zq9-CANARY-secret-value";

fn assert_clean(what: &str, text: &str) {
    for c in [CANARY_TOKEN, CANARY, "CANARY"] {
        assert!(!text.contains(c), "{what} leaks {c}: {text}");
    }
    let encoded: String = url::form_urlencoded::byte_serialize(CANARY_TOKEN.as_bytes()).collect();
    assert!(!text.contains(&encoded), "{what} leaks the encoded token: {text}");
}

fn check<E: std::fmt::Display + std::fmt::Debug>(what: &str, e: &E) {
    assert_clean(what, &e.to_string());
    assert_clean(what, &format!("{e:?}"));
}

#[tokio::test]
async fn canary_never_appears_in_errors_or_debug_output() {
    // A hostile token endpoint echoes the whole request (form-encoded and decoded) back.
    let echo = Server::start(|req, _| {
        let decoded: Vec<String> = req.form().into_values().collect();
        oauth_error(400, "invalid_grant", &format!("{} / {}", req.body, decoded.join(" ")))
    })
    .await;
    let echo_500 = Server::start(|req, _| Reply::Raw(500, "text/plain", req.body.clone(), vec![])).await;
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = openssl_key_pair(dir.path());
    let bad_key = dir.path().join("bad.pem");
    std::fs::write(
        &bad_key,
        format!("-----BEGIN PRIVATE KEY-----\n{CANARY}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();

    let creds = vec![
        Credential::RefreshToken {
            client_id: "c".into(),
            client_secret: Some(Secret::new(CANARY)),
            refresh_token: Secret::new(CANARY_TOKEN),
        },
        Credential::ClientCredentials {
            client_id: "c".into(),
            client_secret: Secret::new(CANARY),
        },
        Credential::UsernamePassword {
            username: "u".into(),
            password: Secret::new(CANARY),
            client_id: Some("c".into()),
            client_secret: Some(Secret::new(CANARY_TOKEN)),
        },
        Credential::JwtBearer {
            client_id: "c".into(),
            username: "u".into(),
            key_file: key.clone(),
        },
        Credential::JwtBearer {
            client_id: "c".into(),
            username: "u".into(),
            key_file: bad_key.clone(),
        },
        Credential::AccessToken {
            token: Secret::new(CANARY_TOKEN),
            instance_url: format!("https://{CANARY}:{CANARY}@acme.my.salesforce.com"),
        },
    ];
    for cred in &creds {
        assert_clean("credential", &format!("{cred:?}"));
        for srv in [&echo, &echo_500] {
            if let Err(e) = obtain(cred, &endpoints(&srv.url, None), &env_of(&[]), &fast()).await {
                check(&format!("{:?} error", cred.flow()), &e);
            }
        }
    }
    // Refused on login hosts; a login URL carrying secrets in its user info.
    let e = obtain(
        &creds[1],
        &endpoints("https://test.salesforce.com", None),
        &env_of(&[]),
        &fast(),
    )
    .await
    .unwrap_err();
    check("client credentials on test", &e);
    check(
        "login URL",
        &Endpoints::parse(Some(&format!("https://u:{CANARY}@acme.my.salesforce.com")), None).unwrap_err(),
    );

    // Resolution: values never in errors or Debug.
    let env = env_of(&[("SF_CLIENT_ID", CANARY), ("SF_ACCESS_TOKEN", CANARY_TOKEN)]);
    check("partial", &resolve(&env, None).unwrap_err());
    let r = resolve(
        &env_of(&[
            ("SF_ACCESS_TOKEN", CANARY_TOKEN),
            ("SF_INSTANCE_URL", "https://a.my.salesforce.com"),
            ("SF_PASSWORD", CANARY),
        ]),
        None,
    )
    .unwrap();
    assert_clean("resolved", &format!("{r:?}"));

    // The CLI echoing the token in its error message and in a warning.
    let failure = format!(r#"{{"status":1,"name":"AuthError","message":"token {CANARY_TOKEN} rejected"}}"#);
    let (_d, path) = fake_sf(&failure, "{}", 1);
    check(
        "cli",
        &cli_auth("x", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap_err(),
    );
    let ok = format!(
        r#"{{"status":0,"result":{{"accessToken":"{CANARY_TOKEN}","instanceUrl":"https://a.my.salesforce.com"}}}}"#
    );
    let (_d, path) = fake_sf(&ok, "{}", 0);
    let auth = cli_auth("x", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap();
    assert_clean("cli auth", &format!("{auth:?}"));
    let obtained = obtain(
        &Credential::CliAlias { alias: "x".into() },
        &endpoints("https://login.salesforce.com", None),
        &env_of(&[("PATH", &path)]),
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(obtained.access_token.expose(), CANARY_TOKEN);
    assert_clean("obtained", &format!("{obtained:?}"));

    // Data API: a hostile org echoes the bearer token in error bodies, redirects, next URLs.
    let hostile = Server::start(|req, n| {
        let auth = req.headers.get("authorization").cloned().unwrap_or_default();
        match n % 4 {
            0 => Reply::Json(
                401,
                format!(r#"[{{"message":"{auth}","errorCode":"INVALID_SESSION_ID {auth}"}}]"#),
            ),
            1 => Reply::Raw(
                302,
                "text/plain",
                String::new(),
                vec![("location", format!("http://evil.example/?t={auth}"))],
            ),
            2 => Reply::Json(503, auth),
            _ => Reply::Json(200, format!("{{\"broken\": \"{auth}\"")),
        }
    })
    .await;
    let http = OrgHttp::new(
        scopeaudit::org::http::parse_base_url("i", &hostile.url).unwrap(),
        Secret::new(CANARY_TOKEN),
        RetryPolicy {
            max_retries: 0,
            ..fast()
        },
    )
    .unwrap();
    assert_clean("org http", &format!("{http:?}"));
    for _ in 0..4 {
        if let Err(e) = http.get_json::<serde_json::Value>("/services/data/").await {
            check("org http error", &e);
        }
    }
    for foreign in [
        format!("http://evil.example/{CANARY_TOKEN}"),
        format!("http://{CANARY}@evil.example/x?{CANARY}"),
    ] {
        check(
            "foreign",
            &http.get_json::<serde_json::Value>(&foreign).await.unwrap_err(),
        );
    }
    assert!(hostile.requests().len() >= 4);
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_old_one() {
    let me = Arc::new(Mutex::new(String::new()));
    let me2 = me.clone();
    let srv = Server::start(move |req, n| {
        let url = me2.lock().unwrap().clone();
        let mut v: serde_json::Value = match token_ok(&url, "api refresh_token") {
            Reply::Json(_, b) => serde_json::from_str(&b).unwrap(),
            _ => unreachable!(),
        };
        v["refresh_token"] = format!("rt-rotated-{n}").into();
        assert!(req.form()["refresh_token"].starts_with("rt-"));
        Reply::Json(200, v.to_string())
    })
    .await;
    *me.lock().unwrap() = srv.url.clone();
    let mut cred = Credential::RefreshToken {
        client_id: "c".into(),
        client_secret: None,
        refresh_token: Secret::new("rt-first"),
    };
    let eps = endpoints(&srv.url, None);
    let got = obtain(&cred, &eps, &env_of(&[]), &fast()).await.unwrap();
    assert_eq!(got.refresh_token.as_ref().map(Secret::expose), Some("rt-rotated-0"));
    cred.rotate_refresh_token(got.refresh_token);
    obtain(&cred, &eps, &env_of(&[]), &fast()).await.unwrap();
    let sent: Vec<String> = srv
        .requests()
        .iter()
        .map(|r| r.form()["refresh_token"].clone())
        .collect();
    assert_eq!(sent, vec!["rt-first", "rt-rotated-0"]);
    assert!(
        srv.requests().iter().all(|r| !r.form().contains_key("client_secret")),
        "no secret given, none sent"
    );
}

#[test]
fn cli_alias_with_a_masked_token_asks_show_access_token() {
    let display = r#"{"status":0,"result":{"accessToken":"***","instanceUrl":"https://acme.my.salesforce.com"}}"#;
    let show = r#"{"status":0,"result":{"accessToken":"00Dxx0000001gPL!AQFAKEshown"}}"#;
    let (dir, path) = fake_sf(display, show, 0);
    let auth = cli_auth("prod", &env_of(&[("PATH", &path)]), Duration::from_secs(20)).unwrap();
    assert_eq!(auth.access_token.expose(), "00Dxx0000001gPL!AQFAKEshown");
    assert!(args_log(dir.path()).contains("org auth show-access-token --target-org prod --json"));
}
