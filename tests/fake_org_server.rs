//! Tests of the fake Salesforce org itself, over real HTTP on 127.0.0.1 with a plain client.
//! The client code of scopeaudit is not involved: these pin the documented shapes the fake
//! serves, so org tests can trust it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fake_org;

use fake_org::{BodyKind, Edition, FakeOrg, Listener, OrgSpec};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const V: &str = "/services/data/v67.0";

fn start(spec: OrgSpec) -> FakeOrg {
    FakeOrg::start(spec).expect("the fake org listens on 127.0.0.1")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

struct Got {
    status: u16,
    limit_info: Option<String>,
    text: String,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn get(org: &FakeOrg, path: &str, token: Option<&str>) -> Got {
    let mut rq = client().get(format!("{}{path}", org.base_url()));
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    let r = rq.send().await.expect("an answer");
    let status = r.status().as_u16();
    let limit_info = r
        .headers()
        .get("sforce-limit-info")
        .map(|v| v.to_str().unwrap_or("").to_string());
    Got {
        status,
        limit_info,
        text: r.text().await.expect("a body"),
    }
}

fn q(soql: &str) -> String {
    format!(
        "{V}/query?q={}",
        url::form_urlencoded::byte_serialize(soql.as_bytes()).collect::<String>()
    )
}

async fn query(org: &FakeOrg, soql: &str) -> Value {
    let g = get(org, &q(soql), Some(&org.access_token())).await;
    assert_eq!(g.status, 200, "{soql}: {}", g.text);
    g.json()
}

/// Follows nextRecordsUrl to the end; returns the batches' sizes and all records.
async fn query_all_pages(org: &FakeOrg, soql: &str) -> (Vec<usize>, Vec<Value>, Vec<Value>) {
    let mut page = query(org, soql).await;
    let mut sizes = Vec::new();
    let mut records = Vec::new();
    let mut pages = Vec::new();
    loop {
        let recs = page["records"].as_array().expect("records").clone();
        sizes.push(recs.len());
        records.extend(recs);
        let done = page["done"].as_bool().expect("done");
        let next = page.get("nextRecordsUrl").and_then(Value::as_str).map(str::to_string);
        pages.push(page.clone());
        assert_eq!(done, next.is_none(), "done iff no nextRecordsUrl");
        let Some(next) = next else { break };
        let g = get(org, &next, Some(&org.access_token())).await;
        assert_eq!(g.status, 200, "{}", g.text);
        page = g.json();
    }
    (sizes, records, pages)
}

async fn count(org: &FakeOrg, soql: &str) -> u64 {
    let v = query(org, soql).await;
    assert_eq!(v["records"], json!([]));
    assert_eq!(v["done"], json!(true));
    v["totalSize"].as_u64().expect("totalSize")
}

async fn token_request(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .post(format!("{url}/services/oauth2/token"))
        .form(form)
        .send()
        .await
        .expect("an answer");
    let s = r.status().as_u16();
    (s, r.json().await.expect("JSON body"))
}

fn jwt(claims: Value) -> String {
    let h = fake_org::b64url(br#"{"alg":"RS256"}"#);
    let c = fake_org::b64url(claims.to_string().as_bytes());
    format!("{h}.{c}.{}", fake_org::b64url(b"not-verified-signature"))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[tokio::test]
async fn versions_need_no_auth_and_are_not_counted() {
    let org = start(OrgSpec::default());
    let before = org.api_used();
    let g = get(&org, "/services/data/", None).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.limit_info, None, "the versions list carries no Sforce-Limit-Info");
    let v = g.json();
    let list = v.as_array().expect("an array");
    assert_eq!(
        list.first(),
        Some(&json!({"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}))
    );
    assert_eq!(
        list.last(),
        Some(&json!({"label": "Summer '26", "url": "/services/data/v67.0", "version": "67.0"}))
    );
    assert!(list
        .iter()
        .any(|x| x["label"] == "Winter '26" && x["version"] == "65.0"));
    assert_eq!(org.api_used(), before);
    // Retired versions are gone; unknown ones not found.
    assert_eq!(
        get(&org, "/services/data/v30.0/limits", Some(&org.access_token()))
            .await
            .status,
        410
    );
    assert_eq!(
        get(&org, "/services/data/v99.0/limits", Some(&org.access_token()))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn data_calls_need_a_valid_bearer_token() {
    let org = start(OrgSpec::default());
    let expected = json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
    let none = get(&org, &format!("{V}/limits"), None).await;
    assert_eq!((none.status, none.json()), (401, expected.clone()));
    let bad = get(&org, &format!("{V}/limits"), Some("00Dbogus!FAKEtoken")).await;
    assert_eq!((bad.status, bad.json()), (401, expected));
    let good = get(&org, &format!("{V}/limits"), Some(&org.access_token())).await;
    assert_eq!(good.status, 200);
}

#[tokio::test]
async fn refresh_token_grant_and_its_errors() {
    let org = start(OrgSpec::default());
    let s = org.spec().clone();
    let ok = [
        ("grant_type", "refresh_token"),
        ("client_id", s.client_id.as_str()),
        ("client_secret", s.client_secret.as_str()),
        ("refresh_token", s.refresh_token.as_str()),
    ];
    let (st, body) = token_request(&org.login_url(), &ok).await;
    assert_eq!(st, 200, "{body}");
    let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    for k in [
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    ] {
        assert!(keys.contains(&k), "{k} missing from {body}");
    }
    assert!(
        !keys.contains(&"refresh_token"),
        "no new refresh token without rotation"
    );
    assert_eq!(body["instance_url"], json!(org.base_url()));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "api refresh_token id");
    assert!(body["id"]
        .as_str()
        .expect("id")
        .starts_with(&format!("{}/id/{}/005", org.login_url(), org.org_id())));
    assert!(
        body["issued_at"].as_str().expect("ms string").len() >= 13,
        "milliseconds"
    );
    let tok = body["access_token"].as_str().expect("token");
    assert!(tok.starts_with(org.org_id()), "access tokens start with the org id");
    assert_eq!(get(&org, &format!("{V}/limits"), Some(tok)).await.status, 200);
    // The identity URL answers who the token belongs to.
    let id_url = body["id"].as_str().expect("id").to_string();
    let who: Value = client()
        .get(&id_url)
        .bearer_auth(tok)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(who["organization_id"], json!(org.org_id()));
    assert_eq!(who["username"], json!(org.planted().admin_username));
    let denied = client().get(&id_url).bearer_auth("bogus").send().await.expect("answer");
    assert_eq!(denied.status(), 403);

    let err = |e: &str, d: &str| json!({"error": e, "error_description": d});
    let mut bad = ok;
    bad[3].1 = "5Aep861-wrong";
    assert_eq!(
        token_request(&org.login_url(), &bad).await,
        (400, err("invalid_grant", "expired access/refresh token"))
    );
    let mut bad = ok;
    bad[1].1 = "3MVG9-unknown";
    assert_eq!(
        token_request(&org.login_url(), &bad).await,
        (400, err("invalid_client_id", "client identifier invalid"))
    );
    let mut bad = ok;
    bad[2].1 = "wrong-secret";
    assert_eq!(
        token_request(&org.login_url(), &bad).await,
        (400, err("invalid_client", "invalid client credentials"))
    );
    let bad = [("grant_type", "authorization_code"), ("code", "x")];
    assert_eq!(
        token_request(&org.login_url(), &bad).await,
        (400, err("unsupported_grant_type", "grant type not supported"))
    );
}

#[tokio::test]
async fn refresh_token_rotation_invalidates_the_old_one() {
    let org = start(OrgSpec {
        rotate_refresh_tokens: true,
        ..OrgSpec::default()
    });
    let s = org.spec().clone();
    let form = |rt: &str| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("client_id", s.client_id.clone()),
            ("client_secret", s.client_secret.clone()),
            ("refresh_token", rt.to_string()),
        ]
    };
    let f1 = form(&s.refresh_token);
    let f1: Vec<(&str, &str)> = f1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, body) = token_request(&org.base_url(), &f1).await;
    assert_eq!(st, 200);
    let new = body["refresh_token"]
        .as_str()
        .expect("a rotated refresh token")
        .to_string();
    assert_ne!(new, s.refresh_token);
    assert_eq!(
        token_request(&org.base_url(), &f1).await.0,
        400,
        "the old refresh token is dead"
    );
    let f2 = form(&new);
    let f2: Vec<(&str, &str)> = f2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(token_request(&org.base_url(), &f2).await.0, 200);
}

#[tokio::test]
async fn client_credentials_only_on_my_domain() {
    let org = start(OrgSpec::default());
    let s = org.spec().clone();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", &s.client_id),
        ("client_secret", &s.client_secret),
    ];
    let (st, body) = token_request(&org.login_url(), &form).await;
    assert_eq!(
        (st, body),
        (
            400,
            json!({"error": "invalid_grant", "error_description": "request not supported on this domain"})
        )
    );
    let (st, body) = token_request(&org.base_url(), &form).await;
    assert_eq!(st, 200, "{body}");
    assert!(body.get("refresh_token").is_none());
    // HTTP Basic client authentication works too.
    let r = client()
        .post(format!("{}/services/oauth2/token", org.base_url()))
        .basic_auth(&s.client_id, Some(&s.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn password_grant_and_its_block() {
    let s = OrgSpec::default();
    let org = start(s.clone());
    let user = org.planted().admin_username.clone();
    let form = [
        ("grant_type", "password"),
        ("client_id", s.client_id.as_str()),
        ("client_secret", s.client_secret.as_str()),
        ("username", user.as_str()),
        ("password", s.password.as_str()),
    ];
    assert_eq!(token_request(&org.login_url(), &form).await.0, 200);
    let mut wrong = form;
    wrong[4].1 = "nope";
    let failure = json!({"error": "invalid_grant", "error_description": "authentication failure"});
    assert_eq!(token_request(&org.login_url(), &wrong).await, (400, failure.clone()));
    let blocked = start(OrgSpec {
        block_password_flow: true,
        ..s.clone()
    });
    assert_eq!(token_request(&blocked.login_url(), &form).await, (400, failure));
}

#[tokio::test]
async fn jwt_bearer_grant_checks_its_claims() {
    let org = start(OrgSpec::default());
    let s = org.spec().clone();
    let user = org.planted().admin_username.clone();
    let claims = |aud: &str, exp: i64, iss: &str| json!({"iss": iss, "sub": user, "aud": aud, "exp": exp});
    let send = |a: String| {
        let url = org.login_url();
        async move {
            token_request(
                &url,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &a),
                ],
            )
            .await
        }
    };
    let (st, body) = send(jwt(claims(
        "https://login.salesforce.com",
        now_secs() + 120,
        &s.client_id,
    )))
    .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.get("refresh_token").is_none(),
        "JWT bearer issues no refresh token"
    );
    let (st, body) = send(jwt(claims(&org.login_url(), now_secs() + 120, &s.client_id))).await;
    assert_eq!(st, 200, "the fake's own login URL is a valid audience: {body}");
    assert_eq!(
        send(jwt(claims("https://example.com", now_secs() + 120, &s.client_id))).await,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "audience is invalid"})
        )
    );
    assert_eq!(
        send(jwt(claims(
            "https://login.salesforce.com",
            now_secs() - 3600,
            &s.client_id
        )))
        .await
        .0,
        400
    );
    assert_eq!(
        send(jwt(claims(
            "https://login.salesforce.com",
            now_secs() + 120,
            "3MVG9other"
        )))
        .await
        .1["error"],
        "invalid_client_id"
    );
    let unsigned = {
        let j = jwt(claims("https://login.salesforce.com", now_secs() + 120, &s.client_id));
        let mut p: Vec<&str> = j.split('.').collect();
        p[2] = "";
        p.join(".")
    };
    assert_eq!(send(unsigned).await.1["error_description"], "invalid assertion");
    org.allow_jwt(false);
    assert_eq!(
        send(jwt(claims(
            "https://login.salesforce.com",
            now_secs() + 120,
            &s.client_id
        )))
        .await
        .1["error_description"],
        "user hasn't approved this consumer"
    );
}

#[tokio::test]
async fn a_token_without_api_scope_is_refused_by_rest() {
    let org = start(OrgSpec {
        scopes: "id refresh_token".into(),
        ..OrgSpec::default()
    });
    let g = get(&org, &format!("{V}/limits"), Some(&org.access_token())).await;
    assert_eq!(g.status, 401);
    assert_eq!(g.json()[0]["errorCode"], "INVALID_SESSION_ID");
}

#[tokio::test]
async fn query_pages_by_2000_following_next_records_url() {
    let org = start(OrgSpec {
        users: 4500,
        ..OrgSpec::default()
    });
    let (sizes, records, pages) = query_all_pages(&org, "SELECT Id, Username, IsActive FROM User").await;
    assert_eq!(sizes, vec![2000, 2000, 500]);
    for p in &pages {
        assert_eq!(p["totalSize"], 4500, "every batch carries the total");
    }
    assert!(pages[0]["nextRecordsUrl"]
        .as_str()
        .expect("url")
        .starts_with(&format!("{V}/query/01g")));
    let mut ids: Vec<&str> = records.iter().map(|r| r["Id"].as_str().expect("Id")).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4500);
    assert_eq!(records[0]["attributes"]["type"], "User");
    assert_eq!(count(&org, "SELECT COUNT() FROM User").await, 4500);
    // The batch size header is honoured within 200..2000.
    let r = client()
        .get(format!("{}{}", org.base_url(), q("SELECT Id FROM User")))
        .bearer_auth(org.access_token())
        .header("Sforce-Query-Options", "batchSize=300")
        .send()
        .await
        .expect("answer");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["records"].as_array().map(Vec::len), Some(300));
    // A batch can be fetched again (a retry after a fault); an unknown locator is refused.
    let next = pages[0]["nextRecordsUrl"].as_str().expect("url");
    let again = get(&org, next, Some(&org.access_token())).await;
    assert_eq!(again.json()["records"], pages[1]["records"]);
    assert_eq!(
        pages[1]["nextRecordsUrl"]
            .as_str()
            .map(|u| u.rsplit_once('-').map(|x| x.0.to_string())),
        Some(next.rsplit_once('-').map(|x| x.0.to_string())),
        "one locator, several positions"
    );
    let bogus = get(
        &org,
        &format!("{V}/query/01g5g00000000zzAAA-2000"),
        Some(&org.access_token()),
    )
    .await;
    assert_eq!(
        (bogus.status, bogus.json()[0]["errorCode"].clone()),
        (400, json!("INVALID_QUERY_LOCATOR"))
    );
}

#[tokio::test]
async fn query_all_pages_like_query() {
    let org = start(OrgSpec {
        users: 2100,
        ..OrgSpec::default()
    });
    let g = get(
        &org,
        &format!("{V}/queryAll?q=SELECT+Id+FROM+User"),
        Some(&org.access_token()),
    )
    .await;
    let v = g.json();
    assert_eq!(v["records"].as_array().map(Vec::len), Some(2000));
    let next = v["nextRecordsUrl"].as_str().expect("next");
    assert!(next.starts_with(&format!("{V}/queryAll/")));
    let g = get(&org, next, Some(&org.access_token())).await;
    assert_eq!(g.json()["records"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn oauth_token_batches_500_and_stops_at_2500() {
    let org = start(OrgSpec {
        tokens: 4000,
        ..OrgSpec::default()
    });
    let total = count(&org, "SELECT COUNT() FROM OauthToken").await;
    assert_eq!(total, 4000, "COUNT() is not capped");
    assert_eq!(total as usize, org.planted().tokens_total);
    let (sizes, records, pages) = query_all_pages(&org, "SELECT AppName, UserId, CreatedDate FROM OauthToken").await;
    assert_eq!(sizes, vec![500; 5], "500 per batch, no more records after 2,500");
    assert_eq!(records.len(), 2500);
    assert_eq!(pages.last().expect("a page")["done"], true);
    assert_eq!(pages[0]["totalSize"], 2500);
    // Id is always null on OauthToken (Object Reference: reserved for future use).
    let v = query(&org, "SELECT Id, AppName FROM OauthToken LIMIT 1").await;
    assert_eq!(v["records"][0]["Id"], Value::Null);
    // Paging by CreatedDate with a tie-safe key reaches every row: CreatedDate >= last,
    // then drop rows already seen (by UserId+CreatedDate+AppName+LastUsedDate+UseCount).
    let mut seen = std::collections::BTreeSet::new();
    let mut last: Option<String> = None;
    loop {
        let soql = match &last {
            None => "SELECT AppName, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken ORDER BY CreatedDate LIMIT 2500".to_string(),
            Some(t) => format!("SELECT AppName, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken WHERE CreatedDate >= {t} ORDER BY CreatedDate LIMIT 2500"),
        };
        let (_, recs, _) = query_all_pages(&org, &soql).await;
        let before = seen.len();
        for r in &recs {
            seen.insert(r.to_string());
        }
        let newest = recs.last().and_then(|r| r["CreatedDate"].as_str()).map(str::to_string);
        if recs.len() < 2500 || seen.len() == before {
            break;
        }
        last = newest;
    }
    assert_eq!(seen.len(), 4000, "every token reached by paging on CreatedDate");
}

#[tokio::test]
async fn filters_order_and_counts() {
    let org = start(OrgSpec::default());
    let p = org.planted().clone();
    assert_eq!(
        count(&org, "SELECT COUNT() FROM User WHERE IsActive = true").await as usize,
        p.users_active
    );
    assert_eq!(
        count(&org, "SELECT COUNT() FROM User WHERE IsActive = false").await as usize,
        p.users_total - p.users_active
    );
    let v = query(&org, "SELECT Id FROM User ORDER BY Id LIMIT 3").await;
    let first: Vec<&str> = v["records"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["Id"].as_str().expect("id"))
        .collect();
    let after = query(
        &org,
        &format!("SELECT Id FROM User WHERE Id > '{}' ORDER BY Id LIMIT 2", first[0]),
    )
    .await;
    assert_eq!(after["records"][0]["Id"], first[1]);
    assert_eq!(after["records"][1]["Id"], first[2]);
    let v = query(
        &org,
        "SELECT Name FROM Profile WHERE Name IN ('System Administrator', 'Read Only') ORDER BY Name DESC",
    )
    .await;
    assert_eq!(v["totalSize"], 2);
    assert_eq!(v["records"][0]["Name"], "System Administrator");
    let n = count(
        &org,
        &format!("SELECT COUNT() FROM OauthToken WHERE CreatedDate = {}", p.tie_created),
    )
    .await;
    assert_eq!(n as usize, p.tie_count);
    assert!(p.tie_count > 500, "the tie spans more than one OauthToken batch");
    let n = count(
        &org,
        "SELECT COUNT() FROM OauthToken WHERE CreatedDate > 2026-11-22T00:00:00Z",
    )
    .await;
    assert!(n > 0 && (n as usize) < p.tokens_total);
    let o = query(&org, "SELECT Id, Name, OrganizationType, IsSandbox FROM Organization").await;
    assert_eq!(o["totalSize"], 1);
    assert_eq!(o["records"][0]["Id"], json!(org.org_id()));
    let bad = get(&org, &q("SELECT Id FROM User WHERE"), Some(&org.access_token())).await;
    assert_eq!(
        (bad.status, bad.json()[0]["errorCode"].clone()),
        (400, json!("MALFORMED_QUERY"))
    );
    let bad = get(&org, &q("SELECT Id FROM User OFFSET 2001"), Some(&org.access_token())).await;
    assert_eq!(bad.json()[0]["errorCode"], "NUMBER_OUTSIDE_VALID_RANGE");
}

#[tokio::test]
async fn relationship_fields_nest_like_the_rest_api() {
    let org = start(OrgSpec::default());
    let v = query(&org, "SELECT Username, Profile.Name FROM User ORDER BY Id LIMIT 1").await;
    let r = &v["records"][0];
    assert_eq!(r["Profile"]["Name"], "System Administrator");
    assert_eq!(r["Profile"]["attributes"]["type"], "Profile");
    let v = query(
        &org,
        "SELECT SetupEntityId, SetupEntityType, Parent.Name, Parent.IsOwnedByProfile, Parent.Profile.Name FROM SetupEntityAccess WHERE SetupEntityType IN ('ConnectedApplication','ExternalClientApplication')",
    )
    .await;
    let pre = &org.planted().preauthorized_app;
    let rows: Vec<&Value> = v["records"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["SetupEntityId"] == json!(pre.id))
        .collect();
    assert_eq!(rows.len(), 2, "a profile and a permission set pre-authorize it");
    assert!(rows.iter().any(|r| r["Parent"]["IsOwnedByProfile"] == true
        && r["Parent"]["Profile"]["Name"] == json!(org.planted().preauthorized_profile)));
    assert!(rows.iter().any(|r| r["Parent"]["IsOwnedByProfile"] == false
        && r["Parent"].get("Profile") == Some(&Value::Null)
        && r["Parent"]["Name"] == json!(org.planted().preauthorized_permission_set)));
}

#[tokio::test]
async fn missing_objects_and_fields_answer_invalid_type_and_invalid_field() {
    let org = start(OrgSpec {
        edition: Edition::NoExternalClientApps,
        ..OrgSpec::default()
    });
    let g = get(
        &org,
        &q("SELECT Id FROM ExternalClientApplication"),
        Some(&org.access_token()),
    )
    .await;
    assert_eq!(g.status, 400);
    let e = g.json();
    assert_eq!(e[0]["errorCode"], "INVALID_TYPE");
    assert!(e[0]["message"]
        .as_str()
        .expect("msg")
        .contains("sObject type 'ExternalClientApplication' is not supported"));
    let d = get(
        &org,
        &format!("{V}/sobjects/ExtlClntAppOauthSettings/describe"),
        Some(&org.access_token()),
    )
    .await;
    assert_eq!((d.status, d.json()[0]["errorCode"].clone()), (404, json!("NOT_FOUND")));

    let org = start(OrgSpec {
        edition: Edition::OlderScopeColumns,
        ..OrgSpec::default()
    });
    let d = get(
        &org,
        &format!("{V}/sobjects/ExtlClntAppOauthSettings/describe"),
        Some(&org.access_token()),
    )
    .await;
    assert_eq!(d.status, 200);
    let names: Vec<String> = d.json()["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or("").into())
        .collect();
    assert!(names.contains(&"OauthScopesAPI".to_string()));
    assert!(!names.contains(&"OauthScopesMCP_API".to_string()));
    let g = get(
        &org,
        &q("SELECT OauthScopesAPI, OauthScopesMCP_API FROM ExtlClntAppOauthSettings"),
        Some(&org.access_token()),
    )
    .await;
    assert_eq!(g.status, 400);
    let e = g.json();
    assert_eq!(e[0]["errorCode"], "INVALID_FIELD");
    assert!(e[0]["message"]
        .as_str()
        .expect("msg")
        .contains("No such column 'OauthScopesMCP_API' on entity 'ExtlClntAppOauthSettings'"));
    let ok = query(
        &org,
        "SELECT ExternalClientApplicationId, OauthScopesAPI, OauthScopesFULL FROM ExtlClntAppOauthSettings",
    )
    .await;
    assert_eq!(ok["totalSize"].as_u64(), Some(org.planted().apps_external as u64));

    let org = start(OrgSpec {
        missing_fields: vec![("User".into(), "LastLoginDate".into())],
        ..OrgSpec::default()
    });
    let g = get(&org, &q("SELECT LastLoginDate FROM User"), Some(&org.access_token())).await;
    assert_eq!(g.json()[0]["errorCode"], "INVALID_FIELD");
}

#[tokio::test]
async fn describe_lists_the_documented_fields() {
    let org = start(OrgSpec::default());
    let d = get(
        &org,
        &format!("{V}/sobjects/OauthToken/describe"),
        Some(&org.access_token()),
    )
    .await
    .json();
    assert_eq!(d["name"], "OauthToken");
    let f: Vec<&str> = d["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    for name in [
        "Id",
        "AccessToken",
        "AppMenuItemId",
        "AppName",
        "DeleteToken",
        "LastUsedDate",
        "RequestToken",
        "UseCount",
        "UserId",
        "CreatedDate",
    ] {
        assert!(f.contains(&name), "{name}");
    }
    let user = d["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "UserId")
        .cloned()
        .expect("UserId");
    assert_eq!(user["type"], "reference");
    assert_eq!(user["referenceTo"], json!(["User"]));
    assert_eq!(user["relationshipName"], "User");
}

#[tokio::test]
async fn limits_and_the_limit_info_header_count_calls() {
    let org = start(OrgSpec {
        api_used: 100,
        api_max: 5000,
        ..OrgSpec::default()
    });
    let g = get(&org, &format!("{V}/limits"), Some(&org.access_token())).await;
    assert_eq!(g.limit_info.as_deref(), Some("api-usage=101/5000"));
    assert_eq!(g.json()["DailyApiRequests"], json!({"Max": 5000, "Remaining": 4899}));
    let g = get(&org, &q("SELECT COUNT() FROM User"), Some(&org.access_token())).await;
    assert_eq!(g.limit_info.as_deref(), Some("api-usage=102/5000"));
    org.request_limit_after(2);
    assert_eq!(
        get(&org, &format!("{V}/limits"), Some(&org.access_token()))
            .await
            .status,
        200
    );
    let g = get(&org, &format!("{V}/limits"), Some(&org.access_token())).await;
    assert_eq!(g.json()["DailyApiRequests"], json!({"Max": 104, "Remaining": 0}));
    let g = get(&org, &q("SELECT Id FROM User"), Some(&org.access_token())).await;
    assert_eq!(g.status, 403);
    assert_eq!(
        g.json(),
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(org.api_used(), 104);
}

#[tokio::test]
async fn tokens_expire_after_n_calls_and_a_refresh_recovers() {
    let org = start(OrgSpec::default());
    let s = org.spec().clone();
    org.expire_tokens_after(2);
    let t = org.access_token();
    assert_eq!(get(&org, &format!("{V}/limits"), Some(&t)).await.status, 200);
    assert_eq!(get(&org, &format!("{V}/limits"), Some(&t)).await.status, 200);
    let g = get(&org, &format!("{V}/limits"), Some(&t)).await;
    assert_eq!(
        (g.status, g.json()[0]["errorCode"].clone()),
        (401, json!("INVALID_SESSION_ID"))
    );
    let (st, body) = token_request(
        &org.login_url(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &s.client_id),
            ("client_secret", &s.client_secret),
            ("refresh_token", &s.refresh_token),
        ],
    )
    .await;
    assert_eq!(st, 200);
    let fresh = body["access_token"].as_str().expect("token");
    assert_eq!(get(&org, &format!("{V}/limits"), Some(fresh)).await.status, 200);
    assert_eq!(
        get(&org, &format!("{V}/limits"), Some(&t)).await.status,
        401,
        "the old token stays dead"
    );
}

#[tokio::test]
async fn a_5xx_burst_then_recovery() {
    let org = start(OrgSpec::default());
    org.fail_5xx(2);
    assert_eq!(
        get(&org, &format!("{V}/limits"), Some(&org.access_token()))
            .await
            .status,
        503
    );
    assert_eq!(get(&org, "/services/data/", None).await.status, 503);
    assert_eq!(
        get(&org, &format!("{V}/limits"), Some(&org.access_token()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn connection_resets_then_recovery() {
    let org = start(OrgSpec::default());
    org.reset_connections(1);
    let r = client()
        .get(format!("{}{V}/limits", org.base_url()))
        .bearer_auth(org.access_token())
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let e = r.expect_err("the connection is reset");
    assert!(!e.is_timeout(), "a reset, not a hang: {e:?}");
    assert_eq!(
        get(&org, &format!("{V}/limits"), Some(&org.access_token()))
            .await
            .status,
        200
    );
    assert_eq!(
        org.requests().iter().filter(|r| r.status == 0).count(),
        1,
        "the reset request is logged"
    );
}

#[tokio::test]
async fn malformed_bodies_then_recovery() {
    let org = start(OrgSpec::default());
    org.malformed_body(1);
    let g = get(&org, &q("SELECT Id FROM User"), Some(&org.access_token())).await;
    assert_eq!(g.status, 200);
    assert!(
        serde_json::from_str::<Value>(&g.text).is_err(),
        "cut body: {}",
        &g.text[..40.min(g.text.len())]
    );
    let g = get(&org, &q("SELECT Id FROM User"), Some(&org.access_token())).await;
    g.json();
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let org = start(OrgSpec::default());
    // A delay far above what a loaded machine adds, so that "no delay" is told apart from it
    // without a tight bound.
    org.latency(1_500);
    let t = Instant::now();
    assert_eq!(get(&org, "/services/data/", None).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(1_500));
    org.latency(0);
    let t = Instant::now();
    get(&org, "/services/data/", None).await;
    assert!(t.elapsed() < Duration::from_millis(1_500));
}

fn read_metadata_body(session: &str, names: &[String]) -> String {
    let full: String = names.iter().map(|n| format!("<fullNames>{n}</fullNames>")).collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:met="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><met:SessionHeader><met:sessionId>{session}</met:sessionId></met:SessionHeader></soapenv:Header><soapenv:Body><met:readMetadata><met:type>ConnectedApp</met:type>{full}</met:readMetadata></soapenv:Body></soapenv:Envelope>"#
    )
}

async fn soap(org: &FakeOrg, body: String) -> (u16, String) {
    let r = client()
        .post(format!("{}/services/Soap/m/67.0", org.base_url()))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(body)
        .send()
        .await
        .expect("answer");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test]
async fn read_metadata_returns_connected_apps_up_to_ten_per_call() {
    let org = start(OrgSpec::default());
    let p = org.planted().clone();
    let v = query(
        &org,
        "SELECT Name FROM AppMenuItem WHERE Type = 'ConnectedApplication' ORDER BY Name LIMIT 9",
    )
    .await;
    let mut names: Vec<String> = v["records"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["Name"].as_str().expect("name").to_string())
        .collect();
    names.retain(|n| *n != p.full_app.api_name);
    names.truncate(8);
    names.push(p.full_app.api_name.clone());
    names.push("No_Such_App".into());
    assert_eq!(names.len(), 10);
    let (st, xml) = soap(&org, read_metadata_body(&org.access_token(), &names)).await;
    assert_eq!(st, 200, "{xml}");
    assert!(xml.contains("<readMetadataResponse><result>"));
    assert_eq!(xml.matches("<records xsi:type=\"ConnectedApp\"").count(), 10);
    assert_eq!(
        xml.matches("<fullName>").count(),
        9,
        "the unknown name comes back empty"
    );
    let full = xml
        .split("<records")
        .find(|r| r.contains(&format!("<fullName>{}</fullName>", p.full_app.api_name)))
        .expect("full app");
    for needle in [
        "<scopes>Full</scopes>",
        "<ipRelaxation>BYPASS</ipRelaxation>",
        "<refreshTokenPolicy>infinite</refreshTokenPolicy>",
        "<isAdminApproved>false</isAdminApproved>",
    ] {
        assert!(full.contains(needle), "{needle} in {full}");
    }
    assert!(!xml.contains("consumerSecret"), "a retrieve never returns the secret");

    names.push("Eleventh".into());
    let (st, xml) = soap(&org, read_metadata_body(&org.access_token(), &names)).await;
    assert_eq!(st, 500);
    assert!(xml.contains("<faultcode>sf:LIMIT_EXCEEDED</faultcode>"), "{xml}");
}

#[tokio::test]
async fn read_metadata_faults() {
    let org = start(OrgSpec::default());
    let name = vec![org.planted().preauthorized_app.api_name.clone()];
    let (st, xml) = soap(&org, read_metadata_body("00Dbogus", &name)).await;
    assert_eq!(st, 500);
    assert!(
        xml.contains("<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode>"),
        "{xml}"
    );
    org.deny_metadata(true);
    let (st, xml) = soap(&org, read_metadata_body(&org.access_token(), &name)).await;
    assert_eq!(st, 500);
    assert!(xml.contains("<faultcode>sf:INSUFFICIENT_ACCESS</faultcode>"), "{xml}");
    org.deny_metadata(false);
    let (st, xml) = soap(&org, read_metadata_body(&org.access_token(), &name)).await;
    assert_eq!(st, 200);
    assert!(xml.contains("<isAdminApproved>true</isAdminApproved>"));
    assert!(xml.contains(&format!(
        "<profileName>{}</profileName>",
        org.planted().preauthorized_profile
    )));
    let (st, xml) = soap(&org, "<!DOCTYPE x><x/>".into()).await;
    assert_eq!(st, 500);
    assert!(xml.contains("sf:INVALID_XML"));
}

#[tokio::test]
async fn same_seed_same_org_other_seed_other_org() {
    let a = start(OrgSpec {
        seed: 7,
        ..OrgSpec::default()
    });
    let b = start(OrgSpec {
        seed: 7,
        ..OrgSpec::default()
    });
    let c = start(OrgSpec {
        seed: 8,
        ..OrgSpec::default()
    });
    assert_eq!(a.planted(), b.planted());
    let soql = "SELECT AppName, UserId, CreatedDate, LastUsedDate, UseCount FROM OauthToken";
    assert_eq!(query(&a, soql).await["records"], query(&b, soql).await["records"]);
    assert_ne!(query(&a, soql).await["records"], query(&c, soql).await["records"]);
}

#[tokio::test]
async fn planted_facts_hold_in_the_served_data() {
    let org = start(OrgSpec::default());
    let p = org.planted().clone();
    let menu_item = |app_id: String| {
        let org = &org;
        async move {
            let v = query(
                org,
                &format!("SELECT Id FROM AppMenuItem WHERE ApplicationId = '{app_id}'"),
            )
            .await;
            v["records"][0]["Id"].as_str().expect("menu item").to_string()
        }
    };
    let full_item = menu_item(p.full_app.id.clone()).await;
    let n = count(
        &org,
        &format!("SELECT COUNT() FROM OauthToken WHERE AppMenuItemId = '{full_item}'"),
    )
    .await;
    assert_eq!(n as usize, p.full_app.tokens);
    assert!(
        p.full_app.inactive_user_tokens > 0 && p.full_app.privileged_user_tokens > 0,
        "{:?}",
        p.full_app
    );
    let renamed = menu_item(p.renamed_app.id.clone()).await;
    let old = count(
        &org,
        &format!(
            "SELECT COUNT() FROM OauthToken WHERE AppMenuItemId = '{renamed}' AND AppName = '{}'",
            p.renamed_old_label
        ),
    )
    .await;
    assert_eq!(old, 40, "tokens keep the old label");
    let dormant = menu_item(p.dormant_app.id.clone()).await;
    assert_eq!(
        count(
            &org,
            &format!("SELECT COUNT() FROM OauthToken WHERE AppMenuItemId = '{dormant}'")
        )
        .await,
        0
    );
    assert_eq!(p.dormant_app.tokens, 0);
    assert_eq!(p.stale_app.stale_tokens, p.stale_app.tokens);
    let u = count(
        &org,
        &format!(
            "SELECT COUNT() FROM OauthToken WHERE AppName = '{}' AND AppMenuItemId = null",
            p.uninstalled_label
        ),
    )
    .await;
    assert_eq!(u as usize, p.uninstalled_tokens);
    let apps = count(
        &org,
        &format!(
            "SELECT COUNT() FROM ConnectedApplication WHERE Name = '{}'",
            p.uninstalled_label
        ),
    )
    .await;
    assert_eq!(apps, 0, "the uninstalled app is not installed");
    let v = query(
        &org,
        &format!(
            "SELECT OauthScopesFULL FROM ExtlClntAppOauthSettings WHERE ExternalClientApplicationId = '{}'",
            p.full_eca.id
        ),
    )
    .await;
    assert_eq!(v["records"][0]["OauthScopesFULL"], true);
    let v = query(
        &org,
        &format!(
            "SELECT OptionsAllowAdminApprovedUsersOnly FROM ConnectedApplication WHERE Id = '{}'",
            p.preauth_not_enforced_app.id
        ),
    )
    .await;
    assert_eq!(v["records"][0]["OptionsAllowAdminApprovedUsersOnly"], false);
    let n = count(
        &org,
        &format!(
            "SELECT COUNT() FROM SetupEntityAccess WHERE SetupEntityId = '{}'",
            p.preauth_not_enforced_app.id
        ),
    )
    .await;
    assert!(n > 0, "pre-authorization rows that do nothing");
    assert!(p.inactive_user_tokens > 0 && p.privileged_user_tokens > 0);
    assert_eq!(
        (p.uninstalled_tokens, p.renamed_app.tokens, p.stale_app.tokens),
        (35, 65, 12)
    );
}

#[tokio::test]
async fn the_request_log_records_everything() {
    let org = start(OrgSpec::default());
    let s = org.spec().clone();
    get(&org, "/services/data/", None).await;
    get(&org, &format!("{V}/limits"), Some(&org.access_token())).await;
    token_request(
        &org.login_url(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &s.client_id),
            ("client_secret", &s.client_secret),
            ("refresh_token", &s.refresh_token),
        ],
    )
    .await;
    soap(
        &org,
        read_metadata_body(&org.access_token(), &[org.planted().full_app.api_name.clone()]),
    )
    .await;
    let del = client()
        .delete(format!("{}{V}/sobjects/User/005x", org.base_url()))
        .bearer_auth(org.access_token())
        .send()
        .await
        .expect("answer");
    assert_eq!(del.status(), 405, "nothing but reads");
    let log = org.requests();
    assert_eq!(log.len(), 5);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path.as_str(),
            log[0].bearer.clone(),
            log[0].status
        ),
        ("GET", "/services/data/", None, 200)
    );
    assert_eq!(log[1].bearer.as_deref(), Some(org.access_token().as_str()));
    assert_eq!(log[1].listener, Listener::Instance);
    assert_eq!(
        (log[2].listener, log[2].body_kind, log[2].grant_type.as_deref()),
        (Listener::Login, BodyKind::Form, Some("refresh_token"))
    );
    assert_eq!(
        (log[3].body_kind, log[3].soap_session.as_deref()),
        (BodyKind::Xml, Some(org.access_token().as_str()))
    );
    assert_eq!((log[4].method.as_str(), log[4].status), ("DELETE", 405));
    org.clear_requests();
    assert!(org.requests().is_empty());
}

#[test]
fn binds_only_loopback() {
    let org = start(OrgSpec::default());
    assert!(org.instance_addr().ip().is_loopback());
    assert!(org.login_addr().ip().is_loopback());
    assert!(org.base_url().starts_with("http://127.0.0.1:"));
    assert!(org.login_url().starts_with("http://127.0.0.1:"));
}

#[test]
fn a_large_org_generates_quickly_and_counts_exactly() {
    let t = Instant::now();
    let org = start(OrgSpec {
        apps: 500,
        users: 20_000,
        tokens: 100_000,
        ..OrgSpec::default()
    });
    let took = t.elapsed();
    eprintln!("500 apps / 20,000 users / 100,000 tokens generated in {took:?}");
    let p = org.planted();
    assert_eq!(
        (p.apps_connected + p.apps_external, p.users_total, p.tokens_total),
        (500, 20_000, 100_000)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let n = rt.block_on(count(&org, "SELECT COUNT() FROM OauthToken"));
    assert_eq!(n, 100_000);
}

#[tokio::test]
async fn slow_drip_sends_the_same_body_slowly() {
    let org = start(OrgSpec::default());
    let quick = get(&org, &q("SELECT Name FROM Profile"), Some(&org.access_token()))
        .await
        .text;
    org.slow_drip(quick.len() / 4 + 1, 150, 1);
    let t = Instant::now();
    let slow = get(&org, &q("SELECT Name FROM Profile"), Some(&org.access_token()))
        .await
        .text;
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "four chunks, three waits: {:?}",
        t.elapsed()
    );
    assert_eq!(slow, quick);
    // One answer only: the fault is spent (counted, not timed, so a loaded machine cannot
    // fail it).
    assert_eq!(org.slow_drips_left(), 0);
}

#[tokio::test]
async fn huge_and_endless_bodies_stream_without_a_length() {
    let org = start(OrgSpec::default());
    org.huge_body(3_000_000, 1);
    let g = get(&org, &q("SELECT Name FROM Profile"), Some(&org.access_token())).await;
    assert_eq!(g.status, 200);
    assert!(g.text.len() > 3_000_000);
    assert_eq!(g.json()["records"][0]["Name"].as_str().map(str::len), Some(3_000_000));
    org.huge_body(u64::MAX, 1);
    let mut r = client()
        .get(format!("{}{}", org.base_url(), q("SELECT Name FROM Profile")))
        .bearer_auth(org.access_token())
        .send()
        .await
        .expect("answer");
    assert!(r.content_length().is_none());
    let mut read = 0usize;
    while let Some(chunk) = r.chunk().await.expect("a chunk") {
        read += chunk.len();
        if read > 20_000_000 {
            break;
        }
    }
    assert!(read > 20_000_000, "still streaming after 20 MB");
}

#[tokio::test]
async fn hostile_next_records_urls_and_instance_urls() {
    let org = start(OrgSpec {
        users: 4500,
        ..OrgSpec::default()
    });
    let elsewhere = format!("{}/services/data/v67.0/query/01gSTOLEN-2000", org.login_url());
    org.hostile_next_records_url(Some(elsewhere.clone()));
    let v = query(&org, "SELECT Id FROM User").await;
    assert_eq!(v["nextRecordsUrl"], json!(elsewhere));
    org.hostile_next_records_url(None);

    org.looping_pages(true);
    let first = query(&org, "SELECT Id FROM User").await;
    let next = first["nextRecordsUrl"].as_str().expect("next").to_string();
    let second = get(&org, &next, Some(&org.access_token())).await.json();
    assert_eq!(
        second["nextRecordsUrl"],
        json!(next),
        "the second batch points at itself"
    );
    assert_eq!(second["done"], false);
    org.looping_pages(false);

    let s = org.spec().clone();
    org.hostile_instance_url(Some("http://198.51.100.7".into()));
    let (_, body) = token_request(
        &org.login_url(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &s.client_id),
            ("client_secret", &s.client_secret),
            ("refresh_token", &s.refresh_token),
        ],
    )
    .await;
    assert_eq!(body["instance_url"], "http://198.51.100.7");
}
