//! Reads one Salesforce org, read-only, into an [`OrgSnapshot`] (SPEC section 6,
//! reference/salesforce.md section 3).
//!
//! The order of a pull:
//! 1. an access token ([`token::obtain`]) and the API version (`--api-version`, checked
//!    against `GET /services/data/`, or the newest listed there);
//! 2. at once: a describe of every object (only columns that exist are ever selected),
//!    `SELECT COUNT() FROM OauthToken`, the oldest and newest token `CreatedDate`, and
//!    `/limits`; if the org has fewer API requests left today than the rest of the pull needs,
//!    it stops here;
//! 3. at once: every object's query (following `nextRecordsUrl` through [`OrgHttp`], which
//!    refuses other origins), the Connected Apps' `readMetadata` in batches of 10 once their
//!    names are known, and the OAuth tokens split into `CreatedDate` ranges, each paged in
//!    parallel by the key (CreatedDate, UserId, AppName) past the 2,500-rows-per-query cap.
//!
//! At most `concurrency` requests are in flight at any time. Faults: `INVALID_SESSION_ID`
//! refreshes the token once where the credential can, and the failed call alone is sent
//! again; a second expiry, a credential that cannot refresh, or `REQUEST_LIMIT_EXCEEDED` stop
//! the pull (the snapshot says `complete: false` and what was read); objects and columns the
//! org lacks are skipped with a note. The org's answers are untrusted: every page, loop and
//! key is bounded, and secrets that metadata returns are dropped before anything is kept.
//!
//! Never selected: `OauthToken.AccessToken`, `DeleteToken` and `RequestToken`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::credentials::Credential;
use super::http::{HttpError, OrgHttp, RequestLog, RetryPolicy};
use super::progress::Progress;
use super::secret::{scrub, Secret};
use super::snapshot::{
    AssignmentRow, ConnectedAppMetadata, ConnectedApplicationRow, EcaOauthPolicyRow, EcaOauthSettingsRow,
    ExternalClientAppRow, MenuItemRow, OrgSnapshot, PermissionSetRow, ProfileRow, SetupEntityAccessRow, TokenRow,
    UserRow,
};
use super::soap;
use super::token::{self, Endpoints};
use crate::model::org::{ApiUsage, AuditCredential, Skipped, Stamp};

/// OauthToken rows per batch, and per query at most (reference 3.1).
pub const TOKEN_BATCH: u64 = 500;
pub const TOKEN_QUERY_CAP: usize = 2500;
/// Rows per batch of other queries (the default batch size).
pub const QUERY_BATCH: u64 = 2000;
/// Labels and names are kept as the org sent them, up to this many characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// No query may claim or send more rows than this (memory bound against a hostile org).
pub const MAX_ROWS_PER_QUERY: u64 = 20_000_000;
/// Columns that hold token values: never selected.
pub const NEVER_SELECTED: [&str; 3] = ["AccessToken", "DeleteToken", "RequestToken"];

/// Requests in flight at once, unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How to pull.
#[derive(Clone)]
pub struct PullOptions {
    /// `--api-version "N.N"`; else the newest from `GET /services/data/`.
    pub api_version: Option<String>,
    /// `--concurrency` (default 4): requests in flight at once, the token read included.
    pub concurrency: usize,
    /// A progress line on stderr.
    pub progress: bool,
    /// `-v`: one line per request on stderr (method, path without query values, status, ms).
    pub verbose: bool,
    /// The session's clock, written into the snapshot.
    pub taken_at: Stamp,
    /// Retries, the per-request deadline and the body cap.
    pub retry: RetryPolicy,
    /// Where the `-v` lines go instead of stderr (tests); used whenever set.
    pub log: Option<RequestLog>,
}

impl PullOptions {
    /// The defaults: newest API version, concurrency 4, quiet, default retry policy.
    pub fn new(taken_at: Stamp) -> PullOptions {
        PullOptions {
            api_version: None,
            concurrency: DEFAULT_CONCURRENCY,
            progress: false,
            verbose: false,
            taken_at,
            retry: RetryPolicy::default(),
            log: None,
        }
    }
}

impl std::fmt::Debug for PullOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullOptions")
            .field("api_version", &self.api_version)
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress)
            .field("verbose", &self.verbose)
            .field("taken_at", &self.taken_at)
            .field("retry", &self.retry)
            .field("log", &self.log.is_some())
            .finish()
    }
}

/// Why a pull could not start at all. Each message is one line a user can act on, without
/// secrets.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0}")]
    Token(String),
    #[error("could not reach the org at {instance}: {reason}")]
    Unreachable { instance: String, reason: String },
    #[error("--api-version {0} is not an API version like 62.0")]
    BadApiVersion(String),
    #[error("the org at {instance} does not serve API version {asked} (it serves up to {newest})")]
    VersionNotServed {
        instance: String,
        asked: String,
        newest: String,
    },
    #[error("the org refused the access token: {0}")]
    AuthRefused(String),
    #[error("the auditing user may not read the org's connected apps ({0}): it needs API Enabled and View Setup and Configuration")]
    NoPermission(String),
    #[error("could not start the org reader: {0}")]
    Runtime(String),
}

/// Reads the org `credential` opens: see the module doc.
pub async fn pull(
    credential: Credential,
    endpoints: &Endpoints,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    options: &PullOptions,
) -> Result<OrgSnapshot, PullError> {
    let obtained = token::obtain(&credential, endpoints, env, &options.retry)
        .await
        .map_err(|e| PullError::Token(one_line(&e.to_string(), &[])))?;
    let http = OrgHttp::new(
        obtained.instance_url.clone(),
        obtained.access_token.clone(),
        options.retry.clone(),
    )
    .map_err(|e| PullError::Runtime(one_line(&e.to_string(), &[])))?;
    let log: Option<RequestLog> = match (&options.log, options.verbose) {
        (Some(log), _) => Some(log.clone()),
        (None, true) => Some(std::sync::Arc::new(|line: &str| eprintln!("{line}"))),
        (None, false) => None,
    };
    http.set_log(log);
    let instance = obtained.instance_url.as_str().trim_end_matches('/').to_string();
    let version = api_version(&http, &instance, options.api_version.as_deref()).await?;
    let mut snapshot = OrgSnapshot::new(instance.clone(), options.taken_at);
    snapshot.api_version = version.clone();
    snapshot.org_id = obtained
        .org_id
        .clone()
        .or_else(|| org_id_of_token(&obtained.access_token))
        .unwrap_or_default();
    snapshot.credential = Some(AuditCredential {
        flow: obtained.flow.to_string().replace('-', "_"),
        scopes: obtained.scopes.clone(),
    });
    snapshot.warnings = obtained.warnings.clone();
    let secrets = [obtained.access_token.clone()];
    let ctx = Ctx {
        http,
        v: format!("v{version}"),
        soap_path: format!("/services/Soap/m/{version}"),
        sem: tokio::sync::Semaphore::new(options.concurrency.max(1)),
        concurrency: options.concurrency.max(1),
        endpoints,
        env,
        policy: options.retry.clone(),
        auth: tokio::sync::Mutex::new(Auth {
            credential,
            refreshes: 0,
        }),
        generation: AtomicU64::new(0),
        stopped: AtomicBool::new(false),
        stop_kind: Mutex::new(None),
        errors: Mutex::new(Vec::new()),
        skipped: Mutex::new(Vec::new()),
        usage: Mutex::new(None),
        progress: Progress::new(options.progress),
        metadata_refused: Mutex::new(None),
        dropped: Mutex::new(BTreeMap::new()),
    };
    let outcome = ctx.run(&mut snapshot).await;
    ctx.progress.finish();
    outcome?;
    snapshot.api_calls = ctx.http.api_calls();
    snapshot.api_usage = *lock(&ctx.usage);
    let mut skipped = std::mem::take(&mut *lock(&ctx.skipped));
    for (element, apps) in lock(&ctx.dropped).iter() {
        skipped.push(Skipped {
            object: "ConnectedApp metadata".to_string(),
            reason: format!(
                "<{element}> returned by the Metadata API for {apps} app(s) was dropped unread: secrets are never kept"
            ),
        });
    }
    snapshot.skipped = skipped;
    let secret_refs: Vec<&Secret> = secrets.iter().collect();
    snapshot.errors = lock(&ctx.errors).iter().map(|e| one_line(e, &secret_refs)).collect();
    snapshot.complete = snapshot.errors.is_empty();
    Ok(snapshot)
}

/// [`pull`] on a runtime of its own (only `org` starts one).
pub fn pull_blocking(
    credential: Credential,
    endpoints: &Endpoints,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    options: &PullOptions,
) -> Result<OrgSnapshot, PullError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| PullError::Runtime(e.to_string()))?;
    rt.block_on(pull(credential, endpoints, env, options))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// One line, secrets and token shapes removed, control characters made visible.
fn one_line(text: &str, secrets: &[&Secret]) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    scrub(&flat, secrets)
}

/// The org id a session id starts with (`00D...!`), when the token response named none.
fn org_id_of_token(token: &Secret) -> Option<String> {
    let (head, _) = token.expose().split_once('!')?;
    (head.starts_with("00D") && matches!(head.len(), 15 | 18) && head.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| head.to_string())
}

#[derive(Deserialize)]
struct VersionItem {
    version: String,
}

fn version_key(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

async fn api_version(http: &OrgHttp, instance: &str, asked: Option<&str>) -> Result<String, PullError> {
    if let Some(a) = asked {
        if version_key(a).is_none() {
            return Err(PullError::BadApiVersion(one_line(a, &[])));
        }
    }
    let listed = http
        .get_json_public::<Vec<VersionItem>>("/services/data/")
        .await
        .map_err(|e| PullError::Unreachable {
            instance: instance.to_string(),
            reason: one_line(&e.to_string(), &[]),
        })?
        .body;
    let newest = listed
        .iter()
        .filter_map(|v| version_key(&v.version).map(|k| (k, v.version.clone())))
        .max()
        .map(|(_, v)| v)
        .ok_or_else(|| PullError::Unreachable {
            instance: instance.to_string(),
            reason: "the versions list (/services/data/) names no API version".to_string(),
        })?;
    match asked {
        None => Ok(newest),
        Some(a) => {
            if listed.iter().any(|v| version_key(&v.version) == version_key(a)) {
                Ok(a.to_string())
            } else {
                Err(PullError::VersionNotServed {
                    instance: instance.to_string(),
                    asked: a.to_string(),
                    newest,
                })
            }
        }
    }
}

struct Auth {
    credential: Credential,
    refreshes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    Auth,
    Limit,
}

enum CallError {
    Stopped,
    Http(HttpError),
}

/// Why one read ended early.
enum ReadError {
    /// The org lacks the object or column: a note, the pull goes on.
    Skip(String),
    /// The pull was stopped (the reason is recorded once).
    Stopped,
    /// This read failed: an error, the snapshot is incomplete.
    Failed { code: Option<String>, message: String },
}

impl From<CallError> for ReadError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Stopped => ReadError::Stopped,
            CallError::Http(e) => {
                let code = e.api_code().map(str::to_string);
                match code.as_deref() {
                    Some("INVALID_TYPE" | "INVALID_FIELD" | "NOT_FOUND") => ReadError::Skip(format!(
                        "the org does not serve it ({}): {}",
                        code.as_deref().unwrap_or_default(),
                        first_line_of_message(&e)
                    )),
                    _ => ReadError::Failed {
                        code,
                        message: e.to_string(),
                    },
                }
            }
        }
    }
}

fn first_line_of_message(e: &HttpError) -> String {
    match e {
        HttpError::Api { message, .. } => {
            let last = message.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            one_line(last, &[])
        }
        other => one_line(&other.to_string(), &[]),
    }
}

struct Ctx<'a> {
    http: OrgHttp,
    v: String,
    soap_path: String,
    sem: tokio::sync::Semaphore,
    concurrency: usize,
    endpoints: &'a Endpoints,
    env: &'a (dyn Fn(&str) -> Option<String> + Sync),
    policy: RetryPolicy,
    auth: tokio::sync::Mutex<Auth>,
    generation: AtomicU64,
    stopped: AtomicBool,
    stop_kind: Mutex<Option<StopKind>>,
    errors: Mutex<Vec<String>>,
    skipped: Mutex<Vec<Skipped>>,
    usage: Mutex<Option<ApiUsage>>,
    progress: Progress,
    metadata_refused: Mutex<Option<String>>,
    /// Secret element name -> apps it was dropped from.
    dropped: Mutex<BTreeMap<String, u64>>,
}

#[derive(Deserialize)]
#[serde(bound = "R: Deserialize<'de>")]
struct Page<R = Map<String, Value>> {
    #[serde(rename = "totalSize", default)]
    total_size: u64,
    #[serde(default)]
    done: bool,
    #[serde(rename = "nextRecordsUrl", default)]
    next: Option<String>,
    #[serde(default = "Vec::new")]
    records: Vec<R>,
}

/// One OauthToken record, read straight off the page: a pull reads a hundred thousand of
/// them, and a generic JSON map per row costs more than the rest of the audit. Field names
/// match as describe spells them, in any case (as [`Sel::key`] does); a value of another type
/// than expected reads as absent, as the generic path reads it.
#[derive(Default)]
struct TokenRecord {
    created: Option<String>,
    user: Option<String>,
    app: Option<String>,
    menu: Option<String>,
    last_used: Option<String>,
    use_count: Option<Value>,
}

impl<'de> Deserialize<'de> for TokenRecord {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = TokenRecord;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an OauthToken record")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<TokenRecord, A::Error> {
                let mut r = TokenRecord::default();
                let text = |v: Value| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let is = |name: &str| key.eq_ignore_ascii_case(name);
                    if is("CreatedDate") {
                        r.created = text(map.next_value()?);
                    } else if is("UserId") {
                        r.user = text(map.next_value()?);
                    } else if is("AppName") {
                        r.app = text(map.next_value()?);
                    } else if is("AppMenuItemId") {
                        r.menu = text(map.next_value()?);
                    } else if is("LastUsedDate") {
                        r.last_used = text(map.next_value()?);
                    } else if is("UseCount") {
                        r.use_count = Some(map.next_value()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(r)
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

#[derive(Deserialize)]
struct Describe {
    #[serde(default)]
    fields: Vec<DescribeField>,
}

#[derive(Deserialize)]
struct DescribeField {
    name: String,
    #[serde(rename = "type", default)]
    ty: String,
}

/// The columns of one object the org has (from describe), by lower-case name.
#[derive(Default, Clone)]
struct Columns(HashMap<String, (String, String)>);

impl Columns {
    fn has(&self, wanted: &str) -> Option<&str> {
        self.0.get(&wanted.to_ascii_lowercase()).map(|(n, _)| n.as_str())
    }
}

/// The wanted columns the org has, as the org spells them.
struct Sel {
    present: Vec<(String, String)>,
}

impl Sel {
    fn key(&self, wanted: &str) -> Option<&str> {
        self.present
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(wanted))
            .map(|(_, a)| a.as_str())
    }

    fn list(&self) -> String {
        self.present
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const OBJECTS: [&str; 11] = [
    "ConnectedApplication",
    "AppMenuItem",
    "ExternalClientApplication",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppOauthPlcyCnfg",
    "SetupEntityAccess",
    "Profile",
    "PermissionSet",
    "PermissionSetAssignment",
    "User",
    "OauthToken",
];

fn bounded(s: &str) -> String {
    if s.chars().count() <= MAX_TEXT_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_TEXT_CHARS).collect();
        out.push('…');
        out
    }
}

fn text(r: &Map<String, Value>, k: Option<&str>) -> Option<String> {
    k.and_then(|k| r.get(k)).and_then(Value::as_str).map(bounded)
}

fn flag(r: &Map<String, Value>, k: Option<&str>) -> Option<bool> {
    k.and_then(|k| r.get(k)).and_then(Value::as_bool)
}

fn int(r: &Map<String, Value>, k: Option<&str>) -> Option<i64> {
    number(k.and_then(|k| r.get(k))?)
}

/// A whole number, also when written as a float (`12.0`).
fn number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

fn stamp(r: &Map<String, Value>, k: Option<&str>) -> Option<Stamp> {
    k.and_then(|k| r.get(k)).and_then(Value::as_str).and_then(Stamp::parse)
}

/// A SOQL string literal.
fn soql_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('\'');
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('\'');
    o
}

/// Where the token read resumes: the last complete key group's key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    created: Option<Stamp>,
    user: Option<String>,
    app: Option<String>,
}

fn cmp_gt(field: &str, lit: Option<String>) -> String {
    match lit {
        None => format!("{field} != null"),
        Some(l) => format!("{field} > {l}"),
    }
}

fn cmp_eq(field: &str, lit: Option<String>) -> String {
    match lit {
        None => format!("{field} = null"),
        Some(l) => format!("{field} = {l}"),
    }
}

/// Rows strictly after `k` in `ORDER BY CreatedDate, UserId, AppName` (ascending, nulls
/// first).
fn after_key(k: &Key, created: &str, user: &str, app: &str) -> String {
    let c = k.created.map(|s| s.to_string());
    let u = k.user.as_deref().map(soql_str);
    let a = k.app.as_deref().map(soql_str);
    format!(
        "({} OR ({} AND ({} OR ({} AND {}))))",
        cmp_gt(created, c.clone()),
        cmp_eq(created, c),
        cmp_gt(user, u.clone()),
        cmp_eq(user, u),
        cmp_gt(app, a)
    )
}

/// A `CreatedDate` range of the token read: `[lo, hi)`, open where None.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    lo: Option<Stamp>,
    hi: Option<Stamp>,
}

impl Range {
    fn condition(&self, created: &str) -> Option<String> {
        match (self.lo, self.hi) {
            (None, None) => None,
            (None, Some(h)) => Some(format!("({created} < {h} OR {created} = null)")),
            (Some(l), None) => Some(format!("{created} >= {l}")),
            (Some(l), Some(h)) => Some(format!("{created} >= {l} AND {created} < {h}")),
        }
    }
}

/// Splits the token read into `CreatedDate` ranges of equal width, about one per 2,500
/// tokens, at most four per request slot: enough that no one range's chain of pages holds up
/// the end of the pull, few enough that the ranges' last, partial batches cost little (16
/// extra calls at most, against 200 for 100,000 tokens).
fn plan_ranges(count: u64, bounds: Option<(Stamp, Stamp)>, concurrency: usize) -> Vec<Range> {
    let whole = vec![Range { lo: None, hi: None }];
    let Some((min, max)) = bounds else { return whole };
    if count <= TOKEN_QUERY_CAP as u64 || max <= min {
        return whole;
    }
    let n = count
        .div_ceil(TOKEN_QUERY_CAP as u64)
        .min(4 * concurrency as u64)
        .max(1) as i64;
    let span = max.as_second() - min.as_second() + 1;
    let width = (span + n - 1) / n;
    if width < 1 || n == 1 {
        return whole;
    }
    let cuts: Vec<Stamp> = (1..n)
        .filter_map(|i| Stamp::from_second(min.as_second() + i * width))
        .filter(|s| *s <= max)
        .collect();
    let mut ranges = Vec::with_capacity(cuts.len() + 1);
    let mut lo = None;
    for c in cuts {
        ranges.push(Range { lo, hi: Some(c) });
        lo = Some(c);
    }
    ranges.push(Range { lo, hi: None });
    ranges
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `api-usage=used/max` from `Sforce-Limit-Info`.
pub fn parse_api_usage(limit_info: &str) -> Option<ApiUsage> {
    limit_info.split(',').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        if k.trim() != "api-usage" {
            return None;
        }
        let (used, max) = v.trim().split_once('/')?;
        Some(ApiUsage {
            used: used.trim().parse().ok()?,
            max: max.trim().parse().ok()?,
        })
    })
}

impl Ctx<'_> {
    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn stop(&self, kind: StopKind, message: String) {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            *lock(&self.stop_kind) = Some(kind);
            lock(&self.errors).push(message);
        }
    }

    fn error(&self, message: String) {
        lock(&self.errors).push(message);
    }

    fn skip(&self, object: &str, reason: String) {
        lock(&self.skipped).push(Skipped {
            object: object.to_string(),
            reason: one_line(&reason, &[]),
        });
    }

    /// Records why a read ended early.
    fn record(&self, object: &str, e: ReadError) {
        match e {
            ReadError::Skip(reason) => self.skip(object, reason),
            ReadError::Stopped => {}
            ReadError::Failed { message, .. } => self.error(format!("{object}: {message}")),
        }
    }

    fn note_usage(&self, limit_info: Option<&str>) {
        if let Some(u) = limit_info.and_then(parse_api_usage) {
            let mut cur = lock(&self.usage);
            if cur.is_none_or(|c| u.used >= c.used) {
                *cur = Some(u);
            }
        }
    }

    /// After `INVALID_SESSION_ID` on a call made with token generation `generation`: Ok when
    /// the call may be sent again (another call refreshed already, or this one did).
    async fn expired(&self, generation: u64) -> Result<(), CallError> {
        let mut auth = self.auth.lock().await;
        if self.generation.load(Ordering::SeqCst) != generation {
            return Ok(());
        }
        if self.is_stopped() {
            return Err(CallError::Stopped);
        }
        if !auth.credential.can_refresh() {
            self.stop(
                StopKind::Auth,
                "stopped: the access token expired or was revoked (INVALID_SESSION_ID), and an access token given as SF_ACCESS_TOKEN cannot be refreshed; get a new one and run again".to_string(),
            );
            return Err(CallError::Stopped);
        }
        if auth.refreshes >= 1 {
            self.stop(
                StopKind::Auth,
                "stopped: the access token expired again after it was refreshed once (INVALID_SESSION_ID)".to_string(),
            );
            return Err(CallError::Stopped);
        }
        match token::obtain(&auth.credential, self.endpoints, self.env, &self.policy).await {
            Ok(fresh) => {
                auth.credential.rotate_refresh_token(fresh.refresh_token.clone());
                self.http.set_token(fresh.access_token);
                auth.refreshes += 1;
                self.generation.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                self.stop(
                    StopKind::Auth,
                    format!(
                        "stopped: the access token expired (INVALID_SESSION_ID) and getting a new one failed: {}",
                        one_line(&e.to_string(), &[])
                    ),
                );
                Err(CallError::Stopped)
            }
        }
    }

    /// One GET through the request slots, with the refresh and stop rules.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CallError> {
        loop {
            if self.is_stopped() {
                return Err(CallError::Stopped);
            }
            let permit = self.sem.acquire().await.map_err(|_| CallError::Stopped)?;
            if self.is_stopped() {
                return Err(CallError::Stopped);
            }
            let generation = self.generation.load(Ordering::SeqCst);
            let result = self.http.get_json::<T>(path).await;
            drop(permit);
            self.progress.tick(self.http.api_calls());
            match result {
                Ok(fetched) => {
                    self.note_usage(fetched.limit_info.as_deref());
                    return Ok(fetched.body);
                }
                Err(e) => match e.api_code() {
                    Some("INVALID_SESSION_ID") => self.expired(generation).await?,
                    Some("REQUEST_LIMIT_EXCEEDED") => {
                        self.stop(
                            StopKind::Limit,
                            "stopped: the org's daily API request limit is exceeded (REQUEST_LIMIT_EXCEEDED)"
                                .to_string(),
                        );
                        return Err(CallError::Stopped);
                    }
                    _ => return Err(CallError::Http(e)),
                },
            }
        }
    }

    async fn describe(&self, object: &str) -> Result<Columns, ReadError> {
        let d: Describe = self
            .get(&format!("/services/data/{}/sobjects/{object}/describe", self.v))
            .await?;
        let mut cols = Columns::default();
        for f in d.fields {
            cols.0.insert(f.name.to_ascii_lowercase(), (f.name, f.ty));
        }
        Ok(cols)
    }

    /// The wanted columns the org has; a missing required one skips the object, a missing
    /// optional one is noted.
    fn select(&self, object: &str, cols: &Columns, wanted: &[&str], required: &[&str]) -> Result<Sel, ReadError> {
        let mut present = Vec::new();
        let mut missing_required = Vec::new();
        for w in wanted {
            debug_assert!(!NEVER_SELECTED.contains(w));
            match cols.has(w) {
                Some(actual) => present.push((w.to_string(), actual.to_string())),
                None if required.contains(w) => missing_required.push(*w),
                None => self.skip(
                    &format!("{object}.{w}"),
                    "the org has no such column (describe); read as unknown".to_string(),
                ),
            }
        }
        if !missing_required.is_empty() {
            return Err(ReadError::Skip(format!(
                "the org lacks the column(s) {} (describe)",
                missing_required.join(", ")
            )));
        }
        Ok(Sel { present })
    }

    /// Runs a query and follows `nextRecordsUrl` to the end, handing each batch to `each`.
    async fn query(&self, soql: &str, each: impl FnMut(Vec<Map<String, Value>>)) -> Result<u64, ReadError> {
        self.query_as(soql, each).await
    }

    /// [`Ctx::query`] with records read as `R`.
    async fn query_as<R: DeserializeOwned>(&self, soql: &str, mut each: impl FnMut(Vec<R>)) -> Result<u64, ReadError> {
        let path = format!("/services/data/{}/query?q={}", self.v, urlencode(soql));
        let mut page: Page<R> = self.get(&path).await?;
        let total = page.total_size;
        if total > MAX_ROWS_PER_QUERY {
            return Err(ReadError::Failed {
                code: None,
                message: format!(
                    "the org claims {total} rows for one query, more than the {MAX_ROWS_PER_QUERY} read at most"
                ),
            });
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut rows = 0u64;
        loop {
            let n = page.records.len() as u64;
            rows += n;
            if rows > total.max(n) {
                return Err(ReadError::Failed {
                    code: None,
                    message: format!("the org sent more rows than the {total} its answer announced"),
                });
            }
            each(std::mem::take(&mut page.records));
            if page.done {
                return Ok(rows);
            }
            let Some(next) = page.next.take() else {
                return Err(ReadError::Failed {
                    code: None,
                    message: "a batch that is not the last names no nextRecordsUrl".to_string(),
                });
            };
            if n == 0 {
                return Err(ReadError::Failed {
                    code: None,
                    message: "an empty batch that is not the last".to_string(),
                });
            }
            if !seen.insert(next.clone()) {
                return Err(ReadError::Failed {
                    code: None,
                    message: format!(
                        "the org sent a nextRecordsUrl it had sent before ({}): a loop",
                        one_line(&crate::untrusted::capped(&next, 120), &[])
                    ),
                });
            }
            page = self.get(&next).await?;
        }
    }

    async fn run(&self, snap: &mut OrgSnapshot) -> Result<(), PullError> {
        // Stage A: describes, the token count and bounds, and the limits, all at once.
        let created_bounds = async {
            let q = |dir: &str| format!("SELECT CreatedDate FROM OauthToken ORDER BY CreatedDate {dir} LIMIT 1");
            let one = |soql: String| async move {
                let mut found = None;
                self.query(&soql, |recs| {
                    if let Some(r) = recs.first() {
                        found = stamp(r, Some("CreatedDate"));
                    }
                })
                .await
                .ok()?;
                found
            };
            let (min, max) = tokio::join!(one(q("ASC")), one(q("DESC")));
            min.zip(max)
        };
        let count = async {
            let soql = "SELECT COUNT() FROM OauthToken";
            let page: Result<Page, CallError> = self
                .get(&format!("/services/data/{}/query?q={}", self.v, urlencode(soql)))
                .await;
            page.map(|p| p.total_size).map_err(ReadError::from)
        };
        let limits = async {
            self.get::<Value>(&format!("/services/data/{}/limits", self.v))
                .await
                .map_err(ReadError::from)
        };
        let calls_before = self.http.api_calls();
        let (describes, count, bounds, limits) = tokio::join!(
            join_all(OBJECTS.iter().map(|o| self.describe(o))),
            count,
            created_bounds,
            limits
        );
        let stage_a_calls = self.http.api_calls().saturating_sub(calls_before);
        let mut cols: HashMap<&str, Columns> = HashMap::new();
        for (object, d) in OBJECTS.iter().zip(describes) {
            match d {
                Ok(c) => {
                    cols.insert(object, c);
                }
                Err(e) => {
                    if *object == "ConnectedApplication" {
                        let stopped_by = *lock(&self.stop_kind);
                        match (&e, stopped_by) {
                            (ReadError::Stopped, Some(StopKind::Auth)) => {
                                let why = lock(&self.errors).first().cloned().unwrap_or_default();
                                return Err(PullError::AuthRefused(one_line(&why, &[])));
                            }
                            (
                                ReadError::Failed {
                                    code: Some(code),
                                    message,
                                },
                                _,
                            ) => {
                                return Err(PullError::NoPermission(format!("{code}: {}", one_line(message, &[]))));
                            }
                            (ReadError::Failed { code: None, message }, _) => {
                                return Err(PullError::Unreachable {
                                    instance: snap.instance_url.clone(),
                                    reason: one_line(message, &[]),
                                });
                            }
                            _ => {}
                        }
                    }
                    self.record(object, e);
                }
            }
        }
        let count = match count {
            Ok(n) => {
                snap.tokens_counted = Some(n);
                self.progress.set_tokens_total(n);
                Some(n)
            }
            Err(e) => {
                self.record("OauthToken", e);
                None
            }
        };
        if self.is_stopped() {
            self.summarize(snap);
            return Ok(());
        }
        let token_ranges = plan_ranges(count.unwrap_or(0), bounds, self.concurrency);
        match limits {
            Ok(v) => {
                let remaining = v
                    .get("DailyApiRequests")
                    .and_then(|d| d.get("Remaining"))
                    .and_then(Value::as_u64);
                if let (Some(remaining), Some(count)) = (remaining, count) {
                    let token_calls = count.div_ceil(TOKEN_BATCH) + token_ranges.len() as u64;
                    let needed = token_calls + (OBJECTS.len() as u64 - 1);
                    // Calls of stage A may have been counted after /limits answered.
                    let available = remaining.saturating_sub(stage_a_calls.saturating_sub(1));
                    if available < needed {
                        self.stop(
                            StopKind::Limit,
                            format!(
                                "stopped before reading: the pull needs at least {needed} more API calls ({token_calls} for {count} OAuth tokens), but the org has about {available} of its daily API requests left (DailyApiRequests.Remaining was {remaining})"
                            ),
                        );
                        self.summarize(snap);
                        return Ok(());
                    }
                }
            }
            Err(e) => self.record("limits", e),
        }

        // Stage B: every read at once.
        let col = |o: &str| cols.get(o).cloned();
        let apps_and_menus = async {
            let (apps, menus) = tokio::join!(
                self.read_connected_apps(col("ConnectedApplication")),
                self.read_menu_items(col("AppMenuItem"))
            );
            let mut apps = apps;
            self.read_metadata(&mut apps, &menus).await;
            (apps, menus)
        };
        let ecas = self.read_ecas(
            col("ExternalClientApplication"),
            col("ExtlClntAppOauthSettings"),
            col("ExtlClntAppOauthPlcyCnfg"),
        );
        let ((apps, menus), ecas, seas, profiles, permission_sets, assignments, users, tokens) = tokio::join!(
            apps_and_menus,
            ecas,
            self.read_setup_entity_access(col("SetupEntityAccess")),
            self.read_profiles(col("Profile")),
            self.read_permission_sets(col("PermissionSet")),
            self.read_assignments(col("PermissionSetAssignment")),
            self.read_users(col("User")),
            self.read_tokens(col("OauthToken"), count, &token_ranges),
        );
        snap.connected_apps = apps;
        snap.menu_items = menus;
        snap.external_client_apps = ecas;
        snap.setup_entity_access = seas;
        snap.profiles = profiles;
        snap.permission_sets = permission_sets;
        snap.assignments = assignments;
        snap.users = users;
        let (tokens, tokens_whole) = tokens;
        snap.tokens = tokens;
        if let (Some(c), true, false) = (count, tokens_whole, self.is_stopped()) {
            if snap.tokens.len() as u64 != c {
                self.error(format!(
                    "OauthToken: read {} tokens, but COUNT() said {c} (tokens changed during the pull, or the org pages inconsistently)",
                    snap.tokens.len()
                ));
            }
        }
        if self.is_stopped() {
            self.summarize(snap);
        }
        Ok(())
    }

    /// After a stop: what was read, in one error line.
    fn summarize(&self, snap: &OrgSnapshot) {
        let tokens = match snap.tokens_counted {
            Some(c) => format!("{} of {c} OAuth tokens", snap.tokens.len()),
            None => format!("{} OAuth tokens", snap.tokens.len()),
        };
        self.error(format!(
            "read before stopping: {} connected apps, {} menu items, {} External Client Apps, {} pre-authorization rows, {} profiles, {} permission sets, {} assignments, {} users, {tokens}; {} API calls",
            snap.connected_apps.len(),
            snap.menu_items.len(),
            snap.external_client_apps.len(),
            snap.setup_entity_access.len(),
            snap.profiles.len(),
            snap.permission_sets.len(),
            snap.assignments.len(),
            snap.users.len(),
            self.http.api_calls()
        ));
    }

    /// A whole-object read: describe gave `cols` (None: skipped already), `wanted` columns
    /// selected, each record turned into a row by `row`.
    async fn read_object<T>(
        &self,
        object: &str,
        cols: Option<Columns>,
        wanted: &[&str],
        required: &[&str],
        filter: impl Fn(&Sel) -> Option<String>,
        row: impl Fn(&Sel, &Map<String, Value>) -> Option<T>,
    ) -> Vec<T> {
        let Some(cols) = cols else { return Vec::new() };
        let sel = match self.select(object, &cols, wanted, required) {
            Ok(s) => s,
            Err(e) => {
                self.record(object, e);
                return Vec::new();
            }
        };
        let mut soql = format!("SELECT {} FROM {object}", sel.list());
        if let Some(w) = filter(&sel) {
            soql.push_str(" WHERE ");
            soql.push_str(&w);
        }
        let mut out = Vec::new();
        let mut bad = 0u64;
        let result = self
            .query(&soql, |recs| {
                for r in &recs {
                    match row(&sel, r) {
                        Some(t) => out.push(t),
                        None => bad += 1,
                    }
                }
            })
            .await;
        if let Err(e) = result {
            self.record(object, e);
        }
        if bad > 0 {
            self.error(format!(
                "{object}: {bad} row(s) without the Id or key columns the audit needs"
            ));
        }
        out
    }

    async fn read_connected_apps(&self, cols: Option<Columns>) -> Vec<ConnectedApplicationRow> {
        self.read_object(
            "ConnectedApplication",
            cols,
            &[
                "Id",
                "Name",
                "OptionsAllowAdminApprovedUsersOnly",
                "OptionsRefreshTokenValidityMetric",
                "RefreshTokenValidityPeriod",
                "OptionsHasSessionLevelPolicy",
                "CreatedDate",
            ],
            &["Id", "Name"],
            |_| None,
            |s, r| {
                Some(ConnectedApplicationRow {
                    id: text(r, s.key("Id"))?,
                    name: text(r, s.key("Name"))?,
                    admin_approved_only: flag(r, s.key("OptionsAllowAdminApprovedUsersOnly")),
                    refresh_by_inactivity: flag(r, s.key("OptionsRefreshTokenValidityMetric")),
                    refresh_validity_period: int(r, s.key("RefreshTokenValidityPeriod")),
                    session_level_policy: flag(r, s.key("OptionsHasSessionLevelPolicy")),
                    created_date: stamp(r, s.key("CreatedDate")),
                    metadata: ConnectedAppMetadata::Unread {
                        reason: "not read".to_string(),
                    },
                })
            },
        )
        .await
    }

    async fn read_menu_items(&self, cols: Option<Columns>) -> Vec<MenuItemRow> {
        self.read_object(
            "AppMenuItem",
            cols,
            &[
                "Id",
                "ApplicationId",
                "Name",
                "Label",
                "NamespacePrefix",
                "Type",
                "IsUsingAdminAuthorization",
            ],
            &["Id"],
            |s| s.key("Type").map(|t| format!("{t} = 'ConnectedApplication'")),
            |s, r| {
                Some(MenuItemRow {
                    id: text(r, s.key("Id"))?,
                    application_id: text(r, s.key("ApplicationId")),
                    name: text(r, s.key("Name")),
                    label: text(r, s.key("Label")),
                    namespace_prefix: text(r, s.key("NamespacePrefix")),
                    item_type: text(r, s.key("Type")),
                    is_using_admin_authorization: flag(r, s.key("IsUsingAdminAuthorization")),
                })
            },
        )
        .await
    }

    async fn read_ecas(
        &self,
        apps: Option<Columns>,
        settings: Option<Columns>,
        policies: Option<Columns>,
    ) -> Vec<ExternalClientAppRow> {
        let scope_columns: Vec<String> = settings
            .as_ref()
            .map(|c| {
                let mut v: Vec<String> =
                    c.0.values()
                        .filter(|(n, ty)| n.starts_with("OauthScopes") && ty == "boolean")
                        .map(|(n, _)| n.clone())
                        .collect();
                v.sort();
                v
            })
            .unwrap_or_default();
        let mut settings_wanted: Vec<&str> = vec!["ExternalClientApplicationId"];
        settings_wanted.extend(scope_columns.iter().map(String::as_str));
        let (mut rows, settings_rows, policy_rows) = tokio::join!(
            self.read_object(
                "ExternalClientApplication",
                apps,
                &[
                    "Id",
                    "DeveloperName",
                    "MasterLabel",
                    "NamespacePrefix",
                    "DistributionState"
                ],
                &["Id", "DeveloperName"],
                |_| None,
                |s, r| {
                    let developer_name = text(r, s.key("DeveloperName"))?;
                    Some(ExternalClientAppRow {
                        id: text(r, s.key("Id"))?,
                        master_label: text(r, s.key("MasterLabel")).unwrap_or_else(|| developer_name.clone()),
                        developer_name,
                        namespace_prefix: text(r, s.key("NamespacePrefix")),
                        distribution_state: text(r, s.key("DistributionState")),
                        oauth_settings: None,
                        oauth_policy: None,
                    })
                },
            ),
            self.read_object(
                "ExtlClntAppOauthSettings",
                settings,
                &settings_wanted,
                &["ExternalClientApplicationId"],
                |_| None,
                |s, r| {
                    let app = text(r, s.key("ExternalClientApplicationId"))?;
                    let on: Vec<String> = scope_columns
                        .iter()
                        .filter(|c| flag(r, s.key(c)) == Some(true))
                        .cloned()
                        .collect();
                    Some((
                        app,
                        EcaOauthSettingsRow {
                            scope_columns: on,
                            columns_read: scope_columns.clone(),
                        },
                    ))
                },
            ),
            self.read_object(
                "ExtlClntAppOauthPlcyCnfg",
                policies,
                &[
                    "ExternalClientApplicationId",
                    "PermittedUsersPolicyType",
                    "IpRelaxationPolicyType",
                    "RefreshTokenPolicyType",
                    "RefreshTokenValidityPeriod",
                    "RefreshTokenValidityUnit",
                    "IsClientCredentialsFlowEnabled",
                    "ClientCredentialsFlowUser",
                ],
                &["ExternalClientApplicationId"],
                |_| None,
                |s, r| {
                    Some((
                        text(r, s.key("ExternalClientApplicationId"))?,
                        EcaOauthPolicyRow {
                            permitted_users_policy_type: text(r, s.key("PermittedUsersPolicyType")),
                            ip_relaxation_policy_type: text(r, s.key("IpRelaxationPolicyType")),
                            refresh_token_policy_type: text(r, s.key("RefreshTokenPolicyType")),
                            refresh_token_validity_period: int(r, s.key("RefreshTokenValidityPeriod")),
                            refresh_token_validity_unit: text(r, s.key("RefreshTokenValidityUnit")),
                            is_client_credentials_flow_enabled: flag(r, s.key("IsClientCredentialsFlowEnabled")),
                            client_credentials_flow_user: text(r, s.key("ClientCredentialsFlowUser")),
                        },
                    ))
                },
            ),
        );
        for (app, s) in settings_rows {
            if let Some(row) = rows.iter_mut().find(|a| a.id == app) {
                if row.oauth_settings.is_some() {
                    self.skip(
                        "ExtlClntAppOauthSettings",
                        format!(
                            "more than one row for External Client App {}; the first was kept",
                            row.developer_name
                        ),
                    );
                } else {
                    row.oauth_settings = Some(s);
                }
            }
        }
        for (app, p) in policy_rows {
            if let Some(row) = rows.iter_mut().find(|a| a.id == app) {
                if row.oauth_policy.is_some() {
                    self.skip(
                        "ExtlClntAppOauthPlcyCnfg",
                        format!(
                            "more than one row for External Client App {}; the first was kept",
                            row.developer_name
                        ),
                    );
                } else {
                    row.oauth_policy = Some(p);
                }
            }
        }
        rows
    }

    async fn read_setup_entity_access(&self, cols: Option<Columns>) -> Vec<SetupEntityAccessRow> {
        self.read_object(
            "SetupEntityAccess",
            cols,
            &["SetupEntityId", "SetupEntityType", "ParentId"],
            &["SetupEntityId", "SetupEntityType", "ParentId"],
            |s| {
                s.key("SetupEntityType")
                    .map(|t| format!("{t} IN ('ConnectedApplication', 'ExternalClientApplication')"))
            },
            |s, r| {
                Some(SetupEntityAccessRow {
                    setup_entity_id: text(r, s.key("SetupEntityId"))?,
                    setup_entity_type: text(r, s.key("SetupEntityType"))?,
                    parent_id: text(r, s.key("ParentId"))?,
                })
            },
        )
        .await
    }

    async fn read_profiles(&self, cols: Option<Columns>) -> Vec<ProfileRow> {
        self.read_object(
            "Profile",
            cols,
            &["Id", "Name", "PermissionsModifyAllData", "PermissionsViewAllData"],
            &["Id", "Name"],
            |_| None,
            |s, r| {
                Some(ProfileRow {
                    id: text(r, s.key("Id"))?,
                    name: text(r, s.key("Name"))?,
                    modify_all_data: flag(r, s.key("PermissionsModifyAllData")).unwrap_or(false),
                    view_all_data: flag(r, s.key("PermissionsViewAllData")).unwrap_or(false),
                })
            },
        )
        .await
    }

    async fn read_permission_sets(&self, cols: Option<Columns>) -> Vec<PermissionSetRow> {
        self.read_object(
            "PermissionSet",
            cols,
            &[
                "Id",
                "Name",
                "Label",
                "IsOwnedByProfile",
                "ProfileId",
                "PermissionsModifyAllData",
                "PermissionsViewAllData",
            ],
            &["Id", "Name"],
            |_| None,
            |s, r| {
                Some(PermissionSetRow {
                    id: text(r, s.key("Id"))?,
                    name: text(r, s.key("Name"))?,
                    label: text(r, s.key("Label")),
                    is_owned_by_profile: flag(r, s.key("IsOwnedByProfile")).unwrap_or(false),
                    profile_id: text(r, s.key("ProfileId")),
                    modify_all_data: flag(r, s.key("PermissionsModifyAllData")).unwrap_or(false),
                    view_all_data: flag(r, s.key("PermissionsViewAllData")).unwrap_or(false),
                })
            },
        )
        .await
    }

    async fn read_assignments(&self, cols: Option<Columns>) -> Vec<AssignmentRow> {
        self.read_object(
            "PermissionSetAssignment",
            cols,
            &["AssigneeId", "PermissionSetId"],
            &["AssigneeId", "PermissionSetId"],
            |_| None,
            |s, r| {
                Some(AssignmentRow {
                    assignee_id: text(r, s.key("AssigneeId"))?,
                    permission_set_id: text(r, s.key("PermissionSetId"))?,
                })
            },
        )
        .await
    }

    async fn read_users(&self, cols: Option<Columns>) -> Vec<UserRow> {
        self.read_object(
            "User",
            cols,
            &["Id", "IsActive", "ProfileId"],
            &["Id", "IsActive"],
            |_| None,
            |s, r| {
                Some(UserRow {
                    id: text(r, s.key("Id"))?,
                    is_active: flag(r, s.key("IsActive"))?,
                    profile_id: text(r, s.key("ProfileId")),
                })
            },
        )
        .await
    }

    /// Every OauthToken row, its `CreatedDate` ranges paged at once. Returns the rows and
    /// whether every range was read to its end.
    async fn read_tokens(&self, cols: Option<Columns>, count: Option<u64>, ranges: &[Range]) -> (Vec<TokenRow>, bool) {
        let Some(cols) = cols else { return (Vec::new(), false) };
        let sel = match self.select(
            "OauthToken",
            &cols,
            &[
                "AppName",
                "AppMenuItemId",
                "UserId",
                "CreatedDate",
                "LastUsedDate",
                "UseCount",
            ],
            &["AppName", "UserId", "CreatedDate"],
        ) {
            Ok(s) => s,
            Err(e) => {
                self.record("OauthToken", e);
                return (Vec::new(), false);
            }
        };
        let results = join_all(ranges.iter().map(|r| self.read_token_range(&sel, *r, count))).await;
        let mut all = Vec::new();
        let mut whole = true;
        for (rows, err) in results {
            all.extend(rows);
            if let Some(e) = err {
                whole = false;
                self.record("OauthToken", e);
            }
        }
        (all, whole)
    }

    async fn read_token_range(
        &self,
        sel: &Sel,
        range: Range,
        count: Option<u64>,
    ) -> (Vec<TokenRow>, Option<ReadError>) {
        let (Some(created), Some(user), Some(app)) = (sel.key("CreatedDate"), sel.key("UserId"), sel.key("AppName"))
        else {
            return (Vec::new(), None);
        };
        let mut out: Vec<TokenRow> = Vec::new();
        let mut after: Option<Key> = None;
        let limit = count.unwrap_or(0) + TOKEN_QUERY_CAP as u64;
        loop {
            let mut conditions: Vec<String> = Vec::new();
            if let Some(c) = range.condition(created) {
                conditions.push(format!("({c})"));
            }
            if let Some(k) = &after {
                conditions.push(after_key(k, created, user, app));
            }
            let mut soql = format!("SELECT {} FROM OauthToken", sel.list());
            if !conditions.is_empty() {
                soql.push_str(" WHERE ");
                soql.push_str(&conditions.join(" AND "));
            }
            soql.push_str(&format!(" ORDER BY {created} ASC, {user} ASC, {app} ASC"));
            let mut rows: Vec<(Key, TokenRow)> = Vec::new();
            let mut too_long = false;
            let result = self
                .query_as(&soql, |recs: Vec<TokenRecord>| {
                    for r in recs {
                        let created_date = r.created.as_deref().and_then(Stamp::parse);
                        let key = Key {
                            created: created_date,
                            user: r.user,
                            app: r.app,
                        };
                        if key.user.as_ref().is_some_and(|u| u.chars().count() > MAX_TEXT_CHARS)
                            || key.app.as_ref().is_some_and(|a| a.chars().count() > MAX_TEXT_CHARS)
                        {
                            too_long = true;
                        }
                        let row = TokenRow {
                            app_name: key.app.as_deref().map(bounded).unwrap_or_default(),
                            app_menu_item_id: r.menu.as_deref().map(bounded),
                            user_id: key.user.as_deref().map(bounded),
                            created_date,
                            last_used_date: r.last_used.as_deref().and_then(Stamp::parse),
                            use_count: r.use_count.as_ref().and_then(number).unwrap_or(0).max(0) as u64,
                        };
                        rows.push((key, row));
                    }
                })
                .await;
            if let Err(e) = result {
                return (out, Some(e));
            }
            if too_long {
                return (
                    out,
                    Some(ReadError::Failed {
                        code: None,
                        message: format!(
                            "a token's AppName or UserId is longer than {MAX_TEXT_CHARS} characters: the tokens cannot be paged by it"
                        ),
                    }),
                );
            }
            if rows.len() != TOKEN_QUERY_CAP {
                self.progress.add_tokens(rows.len() as u64);
                out.extend(rows.into_iter().map(|(_, t)| t));
                return (out, None);
            }
            // The cap may have cut the last key group: keep what precedes it, resume after.
            let last = rows[rows.len() - 1].0.clone();
            let keep = match rows.iter().rposition(|(k, _)| *k != last) {
                Some(i) if i + 1 >= TOKEN_QUERY_CAP / 2 => i + 1,
                _ => {
                    return (
                        out,
                        Some(ReadError::Failed {
                            code: None,
                            message: format!(
                                "over {} tokens share one CreatedDate, user and app: they cannot be paged past the 2,500-rows-per-query cap",
                                TOKEN_QUERY_CAP / 2
                            ),
                        }),
                    )
                }
            };
            rows.truncate(keep);
            after = rows.last().map(|(k, _)| k.clone());
            self.progress.add_tokens(keep as u64);
            out.extend(rows.into_iter().map(|(_, t)| t));
            if out.len() as u64 > limit {
                return (
                    out,
                    Some(ReadError::Failed {
                        code: None,
                        message: "the org sent more tokens than COUNT() announced: paging stopped".to_string(),
                    }),
                );
            }
        }
    }

    /// `readMetadata` for every Connected App, 10 names per call, the calls at once.
    async fn read_metadata(&self, apps: &mut [ConnectedApplicationRow], menus: &[MenuItemRow]) {
        let full_name = |app: &ConnectedApplicationRow| -> String {
            let menu = menus
                .iter()
                .find(|m| m.application_id.as_deref() == Some(app.id.as_str()));
            match menu.and_then(|m| m.name.clone().map(|n| (n, m.namespace_prefix.clone()))) {
                Some((name, Some(ns))) if !ns.is_empty() && !name.starts_with(&format!("{ns}__")) => {
                    format!("{ns}__{name}")
                }
                Some((name, _)) => name,
                None => app.name.clone(),
            }
        };
        let names: Vec<String> = apps.iter().map(full_name).collect();
        let mut unique: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for n in &names {
            if seen.insert(n.to_ascii_lowercase()) {
                unique.push(n.clone());
            }
        }
        let batches: Vec<&[String]> = unique.chunks(soap::READ_METADATA_MAX_NAMES).collect();
        let results = join_all(batches.iter().map(|b| self.read_metadata_batch(b))).await;
        let mut found: HashMap<String, ConnectedAppMetadata> = HashMap::new();
        for (batch, result) in batches.iter().zip(results) {
            match result {
                Ok(records) => {
                    for name in batch.iter() {
                        let rec = records
                            .iter()
                            .find(|r| r.full_name.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(name)));
                        let md = match rec {
                            Some(r) => {
                                let mut dropped = lock(&self.dropped);
                                for d in &r.dropped {
                                    *dropped.entry(d.clone()).or_insert(0) += 1;
                                }
                                ConnectedAppMetadata::Read {
                                    full_name: bounded(name),
                                    xml: r.xml.clone(),
                                }
                            }
                            None => ConnectedAppMetadata::Unread {
                                reason: format!("the Metadata API returned no ConnectedApp named {}", bounded(name)),
                            },
                        };
                        found.insert(name.to_ascii_lowercase(), md);
                    }
                }
                Err(reason) => {
                    for name in batch.iter() {
                        found.insert(
                            name.to_ascii_lowercase(),
                            ConnectedAppMetadata::Unread { reason: reason.clone() },
                        );
                    }
                }
            }
        }
        for (app, name) in apps.iter_mut().zip(&names) {
            if let Some(md) = found.get(&name.to_ascii_lowercase()) {
                app.metadata = md.clone();
            }
        }
    }

    /// One `readMetadata` call; Err is the reason its apps stay unread.
    async fn read_metadata_batch(&self, names: &[String]) -> Result<Vec<soap::MetadataRecord>, String> {
        loop {
            if self.is_stopped() {
                return Err("not read: the pull stopped first".to_string());
            }
            if let Some(reason) = lock(&self.metadata_refused).clone() {
                return Err(reason);
            }
            let permit = self
                .sem
                .acquire()
                .await
                .map_err(|_| "not read: the pull stopped first".to_string())?;
            if self.is_stopped() {
                return Err("not read: the pull stopped first".to_string());
            }
            if let Some(reason) = lock(&self.metadata_refused).clone() {
                return Err(reason);
            }
            let generation = self.generation.load(Ordering::SeqCst);
            let result = self
                .http
                .post_soap(
                    &self.soap_path,
                    |session| soap::read_metadata_envelope(session, names),
                    soap::parse_read_metadata,
                )
                .await;
            drop(permit);
            self.progress.tick(self.http.api_calls());
            match result {
                Ok(fetched) => {
                    self.note_usage(fetched.limit_info.as_deref());
                    return Ok(fetched.body);
                }
                Err(e) => match e.api_code() {
                    Some("INVALID_SESSION_ID") => {
                        // SOAP refuses JWT-format access tokens too: refresh once where the
                        // credential can; past that, the Metadata API refuses this token.
                        let may_refresh = {
                            let auth = self.auth.lock().await;
                            self.generation.load(Ordering::SeqCst) != generation
                                || (auth.credential.can_refresh() && auth.refreshes == 0)
                        };
                        if may_refresh && self.expired(generation).await.is_ok() {
                            continue;
                        }
                        if self.is_stopped() {
                            return Err("not read: the pull stopped first".to_string());
                        }
                        let reason = "the Metadata API refused the access token (INVALID_SESSION_ID; SOAP refuses JWT-format tokens): scopes and policies could not be read".to_string();
                        *lock(&self.metadata_refused) = Some(reason.clone());
                        return Err(reason);
                    }
                    Some("REQUEST_LIMIT_EXCEEDED") => {
                        self.stop(
                            StopKind::Limit,
                            "stopped: the org's daily API request limit is exceeded (REQUEST_LIMIT_EXCEEDED)"
                                .to_string(),
                        );
                        return Err("not read: the pull stopped first".to_string());
                    }
                    Some(code) => {
                        let reason = format!(
                            "the Metadata API refused the read ({code}: {}): scopes and policies could not be read",
                            first_line_of_message(&e)
                        );
                        let mut refused = lock(&self.metadata_refused);
                        if refused.is_none() {
                            *refused = Some(reason.clone());
                        }
                        return Err(reason);
                    }
                    None => {
                        let message = one_line(&e.to_string(), &[]);
                        self.error(format!("ConnectedApp metadata: {message}"));
                        return Err(format!("the Metadata API read failed: {message}"));
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> Stamp {
        Stamp::parse(s).unwrap()
    }

    #[test]
    fn usage_header() {
        assert_eq!(
            parse_api_usage("api-usage=10018/100000"),
            Some(ApiUsage {
                used: 10018,
                max: 100000
            })
        );
        assert_eq!(
            parse_api_usage("api-bursts=1/750, api-usage=5/15000").map(|u| u.used),
            Some(5)
        );
        assert_eq!(parse_api_usage("per-app-api-usage=1/2"), None);
    }

    #[test]
    fn ranges_partition_and_scale() {
        let b = Some((st("2022-01-01T00:00:00Z"), st("2026-01-01T00:00:00Z")));
        assert_eq!(plan_ranges(2500, b, 4), vec![Range { lo: None, hi: None }]);
        assert_eq!(plan_ranges(90_000, None, 4), vec![Range { lo: None, hi: None }]);
        let r = plan_ranges(100_000, b, 4);
        assert_eq!(r.len(), 16, "four per request slot");
        assert_eq!(r[0].lo, None);
        assert_eq!(r[15].hi, None);
        for w in r.windows(2) {
            assert_eq!(w[0].hi, w[1].lo);
        }
        assert_eq!(plan_ranges(6000, b, 4).len(), 3);
    }

    #[test]
    fn resume_condition_handles_nulls_and_quotes() {
        let k = Key {
            created: Some(st("2026-05-07T12:00:00Z")),
            user: Some("005x".into()),
            app: Some("O'Brien \\ app".into()),
        };
        assert_eq!(
            after_key(&k, "CreatedDate", "UserId", "AppName"),
            "(CreatedDate > 2026-05-07T12:00:00Z OR (CreatedDate = 2026-05-07T12:00:00Z AND (UserId > '005x' OR (UserId = '005x' AND AppName > 'O\\'Brien \\\\ app'))))"
        );
        let k = Key {
            created: Some(st("2026-05-07T12:00:00Z")),
            user: None,
            app: None,
        };
        let c = after_key(&k, "CreatedDate", "UserId", "AppName");
        assert!(
            c.contains("UserId != null OR (UserId = null AND AppName != null)"),
            "{c}"
        );
    }

    #[test]
    fn org_id_from_session_id() {
        assert_eq!(
            org_id_of_token(&Secret::new("00D5g0000001abcEAA!AQ.FAKE")),
            Some("00D5g0000001abcEAA".into())
        );
        assert_eq!(org_id_of_token(&Secret::new("eyJhbGciOi.x.y")), None);
    }

    #[test]
    fn secret_columns_are_never_wanted() {
        let src = include_str!("pull.rs");
        let body = &src[..src.find("#[cfg(test)]").unwrap_or(src.len())];
        for c in NEVER_SELECTED {
            assert_eq!(
                body.matches(&format!("\"{c}\"")).count(),
                1,
                "{c} appears outside NEVER_SELECTED"
            );
        }
    }
}
