//! A fake Salesforce org on 127.0.0.1, for tests and benchmarks of the live org audit.
//!
//! Written from Salesforce's documentation (sources cited at each endpoint and in
//! shared/reference/salesforce.md §3–4), never from scopeaudit's client. Two listeners share
//! one org: `base_url()` is the org's instance (its My Domain: data API, SOAP Metadata API and
//! a token endpoint that takes every grant) and `login_url()` stands for
//! `login.salesforce.com` (a token endpoint that refuses the client-credentials grant, as
//! the generic login hosts do). Both bind 127.0.0.1 on ephemeral ports and run on their own
//! tokio runtime thread, so blocking tests that run the scopeaudit binary can use them.
//!
//! JWT bearer: the assertion is decoded and its header and claims checked (`alg` RS256,
//! `iss` = client id, `sub` = a known active username, `aud` = the login URL or
//! `https://login.salesforce.com` / `https://test.salesforce.com`, `exp` in the future with
//! the documented 3-minute allowance). The RS256 signature is NOT verified (no RSA crate in
//! the dev tree); a JWT with an empty signature segment is refused.
//!
//! Faults are counters set through the handle (`expire_tokens_after`, `fail_5xx`,
//! `reset_connections`, `request_limit_after`, `malformed_body`, `latency`, `deny_metadata`)
//! and hostile answers for the client's robustness tests (`slow_drip`, `huge_body`,
//! `hostile_next_records_url`, `looping_pages`, `hostile_instance_url`).
//!
//! Choices where the documentation is silent or conflicting (a client must cope either way):
//! - OauthToken: 500 per batch, no row after the 2,500th, and `totalSize` says 2,500 then
//!   (only `COUNT()` gives the true number). OFFSET over 2,000 is refused on every object
//!   (`NUMBER_OUTSIDE_VALID_RANGE`, the SOQL reference's general limit), although the
//!   OauthToken page suggests `LIMIT 2500 OFFSET n`: a client must page by a key instead.
//! - Describe of an object the org lacks answers 404 `NOT_FOUND`; a query on it answers 400
//!   `INVALID_TYPE`.
//! - Every issued token gets `OrgSpec::scopes`; a token without `api` or `full` is refused by
//!   the REST API with 401 `INVALID_SESSION_ID`.
//! - The generator's field values and where they come from are described in `data.rs`.
#![allow(dead_code)]

pub mod data;
mod soap;
pub mod soql;

use data::{fields, fmt_datetime, AppKind, GenSpec, Obj, Org, Ty, ALL_OBJECTS, NEWER_SCOPE_COLUMNS, V};
#[allow(unused_imports)]
pub use data::{AppFacts, Planted};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which object set the org has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edition {
    /// Every object and column the fake knows.
    Full,
    /// No External Client App objects (older orgs, or without the ECA opt-in): queries on
    /// them answer `INVALID_TYPE`, describe answers `NOT_FOUND`.
    NoExternalClientApps,
    /// ECA objects without the newest scope columns (`OauthScopesMCP_API`, `..SCRT_API`,
    /// `..DATA_CLOUD_USER_CLAIMS`): selecting them answers `INVALID_FIELD`.
    OlderScopeColumns,
}

/// What the org holds and which credentials it accepts.
#[derive(Clone, Debug)]
pub struct OrgSpec {
    pub apps: usize,
    pub users: usize,
    pub tokens: usize,
    pub seed: u64,
    /// The org's "now" (seconds since the epoch): token ages count from it. Default
    /// 2026-11-23T00:00:00Z, the date the test suite pins with SCOPEAUDIT_TODAY.
    pub now: i64,
    pub edition: Edition,
    /// Further (object, field) pairs this org lacks.
    pub missing_fields: Vec<(String, String)>,
    /// Highest API version served (`/services/data/` lists 31.0 up to it).
    pub max_version: u32,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    /// Username of the auditing user (defaults to the generated admin) and its password.
    pub username: String,
    pub password: String,
    /// The scope string of every token issued, space-separated.
    pub scopes: String,
    /// The username-password flow is blocked (orgs created since Summer '23).
    pub block_password_flow: bool,
    /// The refresh-token grant requires the client secret (`isSecretRequiredForRefreshToken`).
    pub secret_required_for_refresh: bool,
    /// Refresh-token rotation: each refresh returns a new refresh token, the old one dies.
    pub rotate_refresh_tokens: bool,
    /// DailyApiRequests: used at start, and the maximum.
    pub api_used: u64,
    pub api_max: u64,
    /// See `data::GenSpec::same_key_tokens` (default 0).
    pub same_key_tokens: usize,
}

impl Default for OrgSpec {
    fn default() -> Self {
        OrgSpec {
            apps: 60,
            users: 400,
            tokens: 4000,
            seed: 1,
            now: 1_795_392_000, // 2026-11-23T00:00:00Z
            edition: Edition::Full,
            missing_fields: Vec::new(),
            max_version: 67,
            client_id: "3MVG9FAKEORGCLIENTIDxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into(),
            client_secret: "FAKE-CLIENT-SECRET-0001".into(),
            refresh_token: "5Aep861FAKE-REFRESH-TOKEN-0001".into(),
            username: String::new(),
            password: "FAKE-PASSWORD-0001".into(),
            scopes: "api refresh_token id".into(),
            block_password_flow: false,
            secret_required_for_refresh: true,
            rotate_refresh_tokens: false,
            api_used: 1200,
            api_max: 100_000,
            same_key_tokens: 0,
        }
    }
}

/// Which listener a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    Instance,
    Login,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    None,
    Form,
    Xml,
    Json,
    Other,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    pub listener: Listener,
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The bearer token of the Authorization header, if any.
    pub bearer: Option<String>,
    /// The SOAP SessionHeader's sessionId, if any.
    pub soap_session: Option<String>,
    pub body_kind: BodyKind,
    /// `grant_type` of a token request.
    pub grant_type: Option<String>,
    pub status: u16,
}

struct Issued {
    scopes: String,
    expired: bool,
}

struct Cursor {
    version: String,
    all: bool,
    obj: Obj,
    fields: Vec<soql::Path>,
    rows: Vec<u32>,
    batch: usize,
}

struct State {
    log: Vec<RequestRecord>,
    tokens: HashMap<String, Issued>,
    refresh_tokens: Vec<String>,
    seq: u64,
    expire_after: Option<u64>,
    fail_5xx: u32,
    resets: u32,
    malformed: u32,
    latency_ms: u64,
    api_used: u64,
    api_max: u64,
    metadata_denied: bool,
    cursors: HashMap<String, Arc<Cursor>>,
    cursor_order: VecDeque<String>,
    cursor_seq: u64,
    jwt_allowed: bool,
    drip: Option<(usize, u64, u32)>,
    huge: Option<(u64, u32)>,
    next_url_override: Option<String>,
    looping_pages: bool,
    instance_url_override: Option<String>,
    metadata_secrets: bool,
    soap_doctype: u32,
}

struct Shared {
    spec: OrgSpec,
    org: Org,
    state: Mutex<State>,
    base_url: String,
    login_url: String,
}

impl Shared {
    fn st(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn object_exists(&self, name: &str) -> Option<Obj> {
        let o = Obj::from_name(name)?;
        if o.is_eca() && self.spec.edition == Edition::NoExternalClientApps {
            return None;
        }
        Some(o)
    }

    fn fields_of(&self, obj: Obj) -> Vec<(&'static str, Ty)> {
        fields(obj)
            .into_iter()
            .filter(|(f, _)| {
                let newer = self.spec.edition == Edition::OlderScopeColumns && NEWER_SCOPE_COLUMNS.contains(f);
                !newer
                    && !self
                        .spec
                        .missing_fields
                        .iter()
                        .any(|(o, m)| o.eq_ignore_ascii_case(obj.name()) && m.eq_ignore_ascii_case(f))
            })
            .filter(|(_, t)| match t {
                Ty::Ref(_, target) => self.object_exists(target.name()).is_some(),
                _ => true,
            })
            .collect()
    }

    fn issue(&self, st: &mut State) -> String {
        st.seq += 1;
        let mut r = data::Rng::new(self.spec.seed.wrapping_mul(31).wrapping_add(st.seq));
        let tok = format!("{}!AQ{:04}.FAKE{:016x}", self.org.org_id, st.seq, r.next());
        st.tokens.insert(
            tok.clone(),
            Issued {
                scopes: self.spec.scopes.clone(),
                expired: false,
            },
        );
        tok
    }
}

/// A running fake org. Dropping it stops the server.
pub struct FakeOrg {
    shared: Arc<Shared>,
    default_token: String,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
    instance_addr: SocketAddr,
    login_addr: SocketAddr,
}

impl FakeOrg {
    /// Generates the org and serves it on two ephemeral ports of 127.0.0.1.
    pub fn start(spec: OrgSpec) -> std::io::Result<FakeOrg> {
        Self::start_on(spec, 0)
    }

    /// As `start`, with the instance on `port` (0: ephemeral); the login host takes the next
    /// free port.
    pub fn start_on(mut spec: OrgSpec, port: u16) -> std::io::Result<FakeOrg> {
        let org = data::generate(&GenSpec {
            apps: spec.apps,
            users: spec.users,
            tokens: spec.tokens,
            seed: spec.seed,
            now: spec.now,
            same_key_tokens: spec.same_key_tokens,
        });
        if spec.username.is_empty() {
            spec.username = org.planted.admin_username.clone();
        }
        let inst = std::net::TcpListener::bind(("127.0.0.1", port))?;
        let login = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        inst.set_nonblocking(true)?;
        login.set_nonblocking(true)?;
        let instance_addr = inst.local_addr()?;
        let login_addr = login.local_addr()?;
        let state = State {
            log: Vec::new(),
            tokens: HashMap::new(),
            refresh_tokens: vec![spec.refresh_token.clone()],
            seq: 0,
            expire_after: None,
            fail_5xx: 0,
            resets: 0,
            malformed: 0,
            latency_ms: 0,
            api_used: spec.api_used,
            api_max: spec.api_max,
            metadata_denied: false,
            cursors: HashMap::new(),
            cursor_order: VecDeque::new(),
            cursor_seq: 0,
            jwt_allowed: true,
            drip: None,
            huge: None,
            next_url_override: None,
            looping_pages: false,
            instance_url_override: None,
            metadata_secrets: false,
            soap_doctype: 0,
        };
        let shared = Arc::new(Shared {
            org,
            state: Mutex::new(state),
            base_url: format!("http://{instance_addr}"),
            login_url: format!("http://{login_addr}"),
            spec,
        });
        let default_token = {
            let mut st = shared.st();
            shared.issue(&mut st)
        };
        let (tx, rx) = tokio::sync::watch::channel(false);
        let sh = shared.clone();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let inst = match tokio::net::TcpListener::from_std(inst) {
                    Ok(l) => l,
                    Err(_) => return,
                };
                let login = match tokio::net::TcpListener::from_std(login) {
                    Ok(l) => l,
                    Err(_) => return,
                };
                let a = tokio::spawn(accept_loop(inst, Listener::Instance, sh.clone(), rx.clone()));
                let b = tokio::spawn(accept_loop(login, Listener::Login, sh, rx));
                let _ = a.await;
                let _ = b.await;
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        Ok(FakeOrg {
            shared,
            default_token,
            shutdown: Some(tx),
            thread: Some(thread),
            instance_addr,
            login_addr,
        })
    }

    /// The instance URL (My Domain): data API, SOAP and a token endpoint for every grant.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }
    /// The generic login host's URL (stands for https://login.salesforce.com).
    pub fn login_url(&self) -> String {
        self.shared.login_url.clone()
    }
    pub fn instance_addr(&self) -> SocketAddr {
        self.instance_addr
    }
    pub fn login_addr(&self) -> SocketAddr {
        self.login_addr
    }
    pub fn spec(&self) -> &OrgSpec {
        &self.shared.spec
    }
    pub fn org_id(&self) -> &str {
        &self.shared.org.org_id
    }
    /// An access token valid from the start (for the access-token + instance-URL credential).
    pub fn access_token(&self) -> String {
        self.default_token.clone()
    }
    pub fn planted(&self) -> &Planted {
        &self.shared.org.planted
    }
    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.st().log.clone()
    }
    pub fn clear_requests(&self) {
        self.shared.st().log.clear();
    }
    /// DailyApiRequests used so far.
    pub fn api_used(&self) -> u64 {
        self.shared.st().api_used
    }
    /// Every access token issued so far (the default one included).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.st().tokens.keys().cloned().collect()
    }
    /// The refresh tokens currently valid (changes with rotation).
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.shared.st().refresh_tokens.clone()
    }

    /// After `n` more authenticated calls (data API and SOAP), every access token issued so
    /// far expires; tokens issued later (a refresh) work.
    pub fn expire_tokens_after(&self, n: u64) {
        self.shared.st().expire_after = Some(n);
    }
    /// Expires every access token issued so far, now.
    pub fn expire_tokens_now(&self) {
        for t in self.shared.st().tokens.values_mut() {
            t.expired = true;
        }
    }
    /// The next `n` requests (any endpoint) answer 503 Service Unavailable.
    pub fn fail_5xx(&self, n: u32) {
        self.shared.st().fail_5xx = n;
    }
    /// The next `n` requests get their connection reset (TCP RST) instead of an answer.
    pub fn reset_connections(&self, n: u32) {
        self.shared.st().resets = n;
    }
    /// After `n` more counted API calls, the org's daily limit is reached: data calls answer
    /// 403 `REQUEST_LIMIT_EXCEEDED` and `/limits` shows `Remaining: 0`.
    pub fn request_limit_after(&self, n: u64) {
        let mut st = self.shared.st();
        st.api_max = st.api_used + n;
    }
    /// The next `n` successful answers (any endpoint) have their body cut in half.
    pub fn malformed_body(&self, n: u32) {
        self.shared.st().malformed = n;
    }
    /// Every answer waits this long first.
    pub fn latency(&self, ms: u64) {
        self.shared.st().latency_ms = ms;
    }
    /// The auditing user lacks metadata access: `readMetadata` answers a SOAP fault.
    pub fn deny_metadata(&self, denied: bool) {
        self.shared.st().metadata_denied = denied;
    }
    /// The next `n` successful answers are sent `chunk` bytes at a time, `interval_ms` apart
    /// (a slow-drip server).
    pub fn slow_drip(&self, chunk: usize, interval_ms: u64, n: u32) {
        self.shared.st().drip = Some((chunk.max(1), interval_ms, n));
    }
    /// How many slow-drip answers are still to come.
    pub fn slow_drips_left(&self) -> u32 {
        self.shared.st().drip.map_or(0, |(_, _, n)| n)
    }
    /// The next `n` successful answers are replaced by a well-formed body of about `bytes`
    /// bytes (one record whose name is that long), streamed without a Content-Length;
    /// `u64::MAX` is an endless body.
    pub fn huge_body(&self, bytes: u64, n: u32) {
        self.shared.st().huge = Some((bytes, n));
    }
    /// Every query batch that has a next batch names this `nextRecordsUrl` instead (e.g. an
    /// absolute URL on another host, to check the bearer token never follows it).
    pub fn hostile_next_records_url(&self, url: Option<String>) {
        self.shared.st().next_url_override = url;
    }
    /// Query batches point back to the second batch forever (`done` stays false).
    pub fn looping_pages(&self, on: bool) {
        self.shared.st().looping_pages = on;
    }
    /// Token responses name this `instance_url` instead of the fake's own.
    pub fn hostile_instance_url(&self, url: Option<String>) {
        self.shared.st().instance_url_override = url;
    }
    /// `readMetadata` records also carry secrets, as a careless org customisation or a future
    /// API version might: `<consumerSecret>`, a `<privateKey>` and a `<certificate>` holding a
    /// PEM private key, each value a `SECRET-` canary.
    pub fn metadata_secrets(&self, on: bool) {
        self.shared.st().metadata_secrets = on;
    }
    /// The next `n` successful `readMetadata` answers declare a DOCTYPE with an entity.
    pub fn soap_doctype(&self, n: u32) {
        self.shared.st().soap_doctype = n;
    }
    /// The JWT bearer grant answers `user hasn't approved this consumer` when false.
    pub fn allow_jwt(&self, allowed: bool) {
        self.shared.st().jwt_allowed = allowed;
    }
}

impl Drop for FakeOrg {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    which: Listener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            // A duplicate of the socket lets a reset fault set SO_LINGER 0 and drop it (RST).
            let Ok(std_stream) = stream.into_std() else { return };
            let Ok(killer) = std_stream.try_clone() else { return };
            let Ok(stream) = tokio::net::TcpStream::from_std(std_stream) else {
                return;
            };
            let kill = Arc::new(tokio::sync::Notify::new());
            let k2 = kill.clone();
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let kill = k2.clone();
                async move {
                    let r = handle(shared.clone(), which, req, kill).await;
                    Ok::<_, std::convert::Infallible>(shape(&shared, r).await)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {
                    let _ = socket2::SockRef::from(&killer).set_linger(Some(Duration::ZERO));
                }
                _ = stop.changed() => {}
            }
            drop(killer);
        });
    }
}

type Resp = Response<Full<Bytes>>;

/// The body actually sent: whole, dripped, or a huge (possibly endless) stream.
pub struct FakeBody {
    state: BodyState,
}

enum BodyState {
    Once(Option<Bytes>),
    Drip {
        data: Bytes,
        chunk: usize,
        interval: Duration,
        sleep: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    },
    Huge {
        prefix: Option<Bytes>,
        left: u64,
        filler: Bytes,
        suffix: Option<Bytes>,
    },
}

impl hyper::body::Body for FakeBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::task::Poll;
        let frame = |b: Bytes| Poll::Ready(Some(Ok(hyper::body::Frame::data(b))));
        match &mut self.get_mut().state {
            BodyState::Once(b) => match b.take() {
                Some(b) if !b.is_empty() => frame(b),
                _ => Poll::Ready(None),
            },
            BodyState::Drip {
                data,
                chunk,
                interval,
                sleep,
            } => {
                if data.is_empty() {
                    return Poll::Ready(None);
                }
                if let Some(s) = sleep {
                    if s.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                *sleep = Some(Box::pin(tokio::time::sleep(*interval)));
                let n = (*chunk).min(data.len());
                frame(data.split_to(n))
            }
            BodyState::Huge {
                prefix,
                left,
                filler,
                suffix,
            } => {
                if let Some(p) = prefix.take() {
                    return frame(p);
                }
                if *left > 0 {
                    let n = (filler.len() as u64).min(*left);
                    *left -= n;
                    return frame(filler.slice(0..n as usize));
                }
                match suffix.take() {
                    Some(s) => frame(s),
                    None => Poll::Ready(None),
                }
            }
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match &self.state {
            BodyState::Once(b) => hyper::body::SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            BodyState::Drip { data, .. } => hyper::body::SizeHint::with_exact(data.len() as u64),
            BodyState::Huge { .. } => hyper::body::SizeHint::default(),
        }
    }
}

use std::future::Future as _;

/// Applies the slow-drip and huge-body faults to a successful answer.
async fn shape(shared: &Shared, r: Resp) -> Response<FakeBody> {
    let (parts, body) = r.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let (drip, huge) = if parts.status == StatusCode::OK {
        let mut st = shared.st();
        let drip = match st.drip {
            Some((c, ms, n)) if n > 0 => {
                st.drip = if n > 1 { Some((c, ms, n - 1)) } else { None };
                Some((c, ms))
            }
            _ => None,
        };
        let huge = match st.huge {
            Some((b, n)) if n > 0 => {
                st.huge = if n > 1 { Some((b, n - 1)) } else { None };
                Some(b)
            }
            _ => None,
        };
        (drip, huge)
    } else {
        (None, None)
    };
    let xml = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().windows(3).any(|w| w == b"xml"));
    let state = if let Some(left) = huge {
        let (prefix, suffix): (&str, &str) = if xml {
            (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns=\"http://soap.sforce.com/2006/04/metadata\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><readMetadataResponse><result><records xsi:type=\"ConnectedApp\"><fullName>",
                "</fullName></records></result></readMetadataResponse></soapenv:Body></soapenv:Envelope>",
            )
        } else {
            (
                "{\"totalSize\":1,\"done\":true,\"records\":[{\"attributes\":{\"type\":\"User\"},\"Name\":\"",
                "\"}]}",
            )
        };
        BodyState::Huge {
            prefix: Some(Bytes::from_static(prefix.as_bytes())),
            left,
            filler: Bytes::from(vec![b'A'; 64 * 1024]),
            suffix: Some(Bytes::from_static(suffix.as_bytes())),
        }
    } else if let Some((chunk, ms)) = drip {
        BodyState::Drip {
            data: bytes,
            chunk,
            interval: Duration::from_millis(ms),
            sleep: None,
        }
    } else {
        BodyState::Once(Some(bytes))
    };
    let mut parts = parts;
    if matches!(state, BodyState::Huge { .. }) {
        parts.headers.remove(hyper::header::CONTENT_LENGTH);
    }
    Response::from_parts(parts, FakeBody { state })
}

fn resp(status: StatusCode, ctype: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = ctype.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn json_resp(status: StatusCode, v: &Value) -> Resp {
    resp(status, "application/json;charset=UTF-8", v.to_string())
}

/// The REST error body: a JSON array of {message, errorCode}
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
fn rest_error(status: StatusCode, code: &str, message: &str) -> Resp {
    json_resp(status, &json!([{ "message": message, "errorCode": code }]))
}

fn session_invalid() -> Resp {
    rest_error(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
}

async fn handle(shared: Arc<Shared>, which: Listener, req: Request<Incoming>, kill: Arc<tokio::sync::Notify>) -> Resp {
    let method = req.method().as_str().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let ctype = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body_kind = if body.is_empty() {
        BodyKind::None
    } else if ctype.starts_with("application/x-www-form-urlencoded") {
        BodyKind::Form
    } else if ctype.contains("xml") {
        BodyKind::Xml
    } else if ctype.contains("json") {
        BodyKind::Json
    } else {
        BodyKind::Other
    };
    let bearer = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")))
        .map(|s| s.trim().to_string());
    let form: HashMap<String, String> = if body_kind == BodyKind::Form {
        url::form_urlencoded::parse(&body).into_owned().collect()
    } else {
        HashMap::new()
    };
    let soap_session = if body_kind == BodyKind::Xml {
        soap::session_id(&body)
    } else {
        None
    };
    let record = RequestRecord {
        listener: which,
        method: method.clone(),
        path: path.clone(),
        bearer: bearer.clone(),
        soap_session: soap_session.clone(),
        body_kind,
        grant_type: form.get("grant_type").cloned(),
        status: 0,
    };
    let (latency, reset, fail) = {
        let mut st = shared.st();
        st.log.push(record);
        let reset = st.resets > 0;
        if reset {
            st.resets -= 1;
        }
        let fail = !reset && st.fail_5xx > 0;
        if fail {
            st.fail_5xx -= 1;
        }
        (st.latency_ms, reset, fail)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if reset {
        set_status(&shared, 0);
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    let mut r = if fail {
        rest_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVER_UNAVAILABLE",
            "Service temporarily unavailable",
        )
    } else {
        route(
            &shared,
            which,
            &method,
            &path,
            &headers,
            &body,
            &form,
            bearer.as_deref(),
            soap_session.as_deref(),
        )
    };
    if r.status() == StatusCode::OK {
        let cut = {
            let mut st = shared.st();
            let c = st.malformed > 0;
            if c {
                st.malformed -= 1;
            }
            c
        };
        if cut {
            let full = r
                .body()
                .clone()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let half = full.slice(0..full.len() / 2);
            let headers = r.headers().clone();
            r = Response::new(Full::new(half));
            *r.headers_mut() = headers;
        }
    }
    set_status(&shared, r.status().as_u16());
    r
}

fn set_status(shared: &Shared, status: u16) {
    // The last record is not necessarily ours under concurrency; find the latest unset one.
    let mut st = shared.st();
    if let Some(rec) = st.log.iter_mut().rev().find(|r| r.status == 0) {
        rec.status = status;
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    shared: &Shared,
    which: Listener,
    method: &str,
    path: &str,
    headers: &hyper::HeaderMap,
    body: &Bytes,
    form: &HashMap<String, String>,
    bearer: Option<&str>,
    soap_session: Option<&str>,
) -> Resp {
    let (p, query) = path.split_once('?').unwrap_or((path, ""));
    if p == "/services/oauth2/token" {
        return if method == "POST" {
            token_endpoint(shared, which, form, headers)
        } else {
            rest_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "HTTP Method 'GET' not allowed. Allowed are POST",
            )
        };
    }
    if let Some(rest) = p.strip_prefix("/id/") {
        return identity(shared, rest, bearer);
    }
    if which == Listener::Login {
        return rest_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    }
    if p == "/services/data" || p == "/services/data/" {
        return versions(shared);
    }
    if let Some(rest) = p.strip_prefix("/services/Soap/m/") {
        if method != "POST" {
            return rest_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "Only POST is allowed",
            );
        }
        return soap::handle(shared, rest, body, soap_session);
    }
    let Some(rest) = p.strip_prefix("/services/data/v") else {
        return rest_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    };
    let (ver, sub) = rest.split_once('/').unwrap_or((rest, ""));
    let major: u32 = ver.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if !ver.ends_with(".0") || major > shared.spec.max_version || major < 21 {
        return rest_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    }
    if major <= 30 {
        // Versions 21.0-30.0 are retired (Summer '25): 410 GONE.
        return rest_error(
            StatusCode::GONE,
            "API_VERSION_RETIRED",
            "This API version has been retired.",
        );
    }
    // Authentication (REST "Status Codes and Error Responses": 401 INVALID_SESSION_ID).
    let Some(token) = bearer else {
        return session_invalid();
    };
    let version = format!("v{ver}");
    let limit_info;
    {
        let mut st = shared.st();
        if let Some(n) = st.expire_after {
            if n == 0 {
                for t in st.tokens.values_mut() {
                    t.expired = true;
                }
                st.expire_after = None;
            } else {
                st.expire_after = Some(n - 1);
            }
        }
        match st.tokens.get(token) {
            Some(t) if !t.expired => {
                let s = &t.scopes;
                if !s.split(' ').any(|x| x == "api" || x == "full") {
                    // Reference §1.3: a token without api/full on a REST endpoint.
                    return rest_error(
                        StatusCode::UNAUTHORIZED,
                        "INVALID_SESSION_ID",
                        "This session is not valid for use with the REST API",
                    );
                }
            }
            _ => return session_invalid(),
        }
        if method != "GET" {
            return rest_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                &format!("HTTP Method '{method}' not allowed. Allowed are GET,HEAD"),
            );
        }
        // REST "Limit Info Header": every data response carries api-usage=used/max.
        if st.api_used >= st.api_max {
            let mut r = rest_error(
                StatusCode::FORBIDDEN,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded.",
            );
            if let Ok(v) = format!("api-usage={}/{}", st.api_used, st.api_max).parse() {
                r.headers_mut().insert("sforce-limit-info", v);
            }
            return r;
        }
        st.api_used += 1;
        limit_info = format!("api-usage={}/{}", st.api_used, st.api_max);
    }
    let mut r = data_route(shared, &version, sub, query, headers);
    if let Ok(v) = limit_info.parse() {
        r.headers_mut().insert("sforce-limit-info", v);
    }
    r
}

/// The identity URL a token response names in `id` (`/id/<00D org>/<005 user>`, with the
/// bearer token), answering who the token belongs to
/// (<https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm>).
/// Not counted against the API limit.
fn identity(shared: &Shared, rest: &str, bearer: Option<&str>) -> Resp {
    let valid = bearer.is_some_and(|t| shared.st().tokens.get(t).is_some_and(|i| !i.expired));
    if !valid {
        return resp(StatusCode::FORBIDDEN, "text/plain", "Bad_OAuth_Token");
    }
    let org = &shared.org;
    let user_id = org.id(Obj::User, 0);
    if rest != format!("{}/{user_id}", org.org_id) {
        return resp(StatusCode::NOT_FOUND, "text/plain", "Bad_Id");
    }
    let u = &org.users[0];
    json_resp(
        StatusCode::OK,
        &json!({
            "id": format!("{}/id/{}/{user_id}", shared.login_url, org.org_id),
            "asserted_user": true,
            "user_id": user_id,
            "organization_id": org.org_id,
            "username": u.username,
            "nick_name": "admin",
            "display_name": u.name,
            "email": u.username,
            "active": u.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "urls": {
                "rest": format!("{}/services/data/v{{version}}/", shared.base_url),
                "query": format!("{}/services/data/v{{version}}/query/", shared.base_url),
                "metadata": format!("{}/services/Soap/m/{{version}}/{}", shared.base_url, org.org_id),
            },
        }),
    )
}

/// `GET /services/data/`: no authentication, not counted
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm>).
fn versions(shared: &Shared) -> Resp {
    let list: Vec<Value> = (31..=shared.spec.max_version)
        .map(|v| {
            let k = (v - 20) / 3;
            let season = ["Winter", "Spring", "Summer"][((v - 20) % 3) as usize];
            json!({
                "label": format!("{season} '{:02}", 11 + k),
                "url": format!("/services/data/v{v}.0"),
                "version": format!("{v}.0"),
            })
        })
        .collect();
    json_resp(StatusCode::OK, &Value::Array(list))
}

fn data_route(shared: &Shared, version: &str, sub: &str, query: &str, headers: &hyper::HeaderMap) -> Resp {
    let sub = sub.trim_end_matches('/');
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    if sub == "limits" {
        return limits(shared);
    }
    if let Some(obj) = sub.strip_prefix("sobjects/").and_then(|s| s.strip_suffix("/describe")) {
        return describe(shared, version, obj);
    }
    for (prefix, all) in [("query", false), ("queryAll", true)] {
        if sub == prefix {
            let Some(q) = params.get("q") else {
                return rest_error(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED_QUERY",
                    "A query string has to be specified",
                );
            };
            let batch = headers
                .get("sforce-query-options")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').find_map(|kv| kv.trim().strip_prefix("batchSize=")))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .map(|n| n.clamp(200, 2000))
                .unwrap_or(2000);
            return run_query(shared, version, q, all, batch);
        }
        if let Some(loc) = sub.strip_prefix(&format!("{prefix}/")) {
            return next_page(shared, loc);
        }
    }
    rest_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// `GET /limits` (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm>).
fn limits(shared: &Shared) -> Resp {
    let st = shared.st();
    let rem = st.api_max.saturating_sub(st.api_used);
    json_resp(
        StatusCode::OK,
        &json!({
            "DailyApiRequests": {"Max": st.api_max, "Remaining": rem},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DataStorageMB": {"Max": 1024, "Remaining": 980},
            "FileStorageMB": {"Max": 1024, "Remaining": 1000},
            "HourlyTimeBasedWorkflow": {"Max": 1000, "Remaining": 1000},
        }),
    )
}

/// `GET /sobjects/{Obj}/describe`
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm>).
/// An object the org lacks answers 404 NOT_FOUND, as for any unknown resource.
fn describe(shared: &Shared, version: &str, name: &str) -> Resp {
    let Some(obj) = shared.object_exists(name) else {
        return rest_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    };
    let fields: Vec<Value> = shared
        .fields_of(obj)
        .into_iter()
        .map(|(f, t)| {
            let (refs, rel) = match t {
                Ty::Ref(r, target) => (vec![target.name()], Value::String(r.to_string())),
                _ => (vec![], Value::Null),
            };
            json!({
                "name": f,
                "label": f,
                "type": t.rest_type(),
                "soapType": t.soap_type(),
                "nillable": !matches!(t, Ty::Bool | Ty::Id),
                "filterable": true,
                "sortable": true,
                "groupable": !matches!(t, Ty::DateTime),
                "createable": false,
                "updateable": false,
                "custom": false,
                "length": if matches!(t, Ty::Str | Ty::Picklist) { 255 } else { 0 },
                "referenceTo": refs,
                "relationshipName": rel,
            })
        })
        .collect();
    json_resp(
        StatusCode::OK,
        &json!({
            "name": obj.name(),
            "label": obj.label(),
            "labelPlural": format!("{}s", obj.label()),
            "keyPrefix": obj.prefix(),
            "custom": false,
            "queryable": true,
            "retrieveable": obj != Obj::OauthToken,
            "createable": false,
            "updateable": false,
            "deletable": false,
            "fields": fields,
            "urls": {
                "describe": format!("/services/data/{version}/sobjects/{}/describe", obj.name()),
                "sobject": format!("/services/data/{version}/sobjects/{}", obj.name()),
            },
        }),
    )
}

/// `GET /query?q=` and `/queryAll?q=`
/// (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).
/// Batches of 2,000 (or `Sforce-Query-Options: batchSize`, 200-2,000); OauthToken: 500 per
/// batch and no more than 2,500 rows per query ("No more records are returned after 2500",
/// Object Reference, OauthToken, API 34+), so `totalSize` is at most 2,500 there too.
fn run_query(shared: &Shared, version: &str, q: &str, all: bool, batch: usize) -> Resp {
    let fo = |o: Obj| shared.fields_of(o);
    let oe = |n: &str| shared.object_exists(n);
    let parsed = match soql::Parser::parse(q, &fo, &oe) {
        Ok(p) => p,
        Err(e) => return rest_error(StatusCode::BAD_REQUEST, e.code, &e.message),
    };
    if parsed.offset.is_some_and(|o| o > 2000) {
        // SOQL reference, OFFSET: the maximum offset is 2,000 rows.
        return rest_error(
            StatusCode::BAD_REQUEST,
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        );
    }
    let org = &shared.org;
    let obj = parsed.object;
    let get = |row: usize, p: &soql::Path| -> V<'static> { value_at(org, obj, row, p) };
    let mut rows: Vec<u32> = (0..org.row_count(obj))
        .filter(|&r| match &parsed.filter {
            Some(f) => soql::eval(f, &|p| get(r, p)),
            None => true,
        })
        .map(|r| r as u32)
        .collect();
    if parsed.count {
        // COUNT(): totalSize is the count, records empty; the OauthToken cap does not apply.
        let n = rows.len();
        return json_resp(StatusCode::OK, &json!({"totalSize": n, "done": true, "records": []}));
    }
    if !parsed.order.is_empty() {
        rows.sort_by(|&a, &b| {
            for (p, desc, nulls_last) in &parsed.order {
                let va = get(a as usize, p);
                let vb = get(b as usize, p);
                let o = match (matches!(va, V::Null), matches!(vb, V::Null)) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => {
                        if *nulls_last {
                            std::cmp::Ordering::Greater
                        } else {
                            std::cmp::Ordering::Less
                        }
                    }
                    (false, true) => {
                        if *nulls_last {
                            std::cmp::Ordering::Less
                        } else {
                            std::cmp::Ordering::Greater
                        }
                    }
                    (false, false) => {
                        let o = soql::order_values(&va, &vb);
                        if *desc {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let off = parsed.offset.unwrap_or(0).min(rows.len());
    rows.drain(..off);
    if let Some(l) = parsed.limit {
        rows.truncate(l);
    }
    let batch = if obj == Obj::OauthToken {
        rows.truncate(2500);
        500
    } else {
        batch
    };
    let cursor = Cursor {
        version: version.to_string(),
        all,
        obj,
        fields: parsed.fields,
        rows,
        batch,
    };
    let loc = if cursor.rows.len() > cursor.batch {
        let mut st = shared.st();
        st.cursor_seq += 1;
        let loc = data::sfid("01g", st.cursor_seq);
        st.cursor_order.push_back(loc.clone());
        // Open cursors are bounded; the oldest go first (INVALID_QUERY_LOCATOR afterwards).
        while st.cursor_order.len() > 64 {
            if let Some(old) = st.cursor_order.pop_front() {
                st.cursors.remove(&old);
            }
        }
        let c = Arc::new(cursor);
        st.cursors.insert(loc.clone(), c.clone());
        drop(st);
        return page(shared, &c, &loc, 0);
    } else {
        String::new()
    };
    page(shared, &Arc::new(cursor), &loc, 0)
}

fn value_at(org: &Org, obj: Obj, row: usize, p: &soql::Path) -> V<'static> {
    let mut cur = (obj, row);
    for hop in &p.hops {
        match org.follow(cur.0, cur.1, hop) {
            Some(next) => cur = next,
            None => return V::Null,
        }
    }
    soql::owned(org.get(cur.0, cur.1, p.field))
}

fn to_json(v: V<'_>) -> Value {
    match v {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(b),
        V::Int(i) => json!(i),
        V::Str(s) => Value::String(s.into_owned()),
        V::Date(d) => Value::String(fmt_datetime(d)),
    }
}

fn attributes(org: &Org, version: &str, obj: Obj, row: usize) -> Value {
    match org.get(obj, row, "Id") {
        V::Str(id) => {
            json!({"type": obj.name(), "url": format!("/services/data/{version}/sobjects/{}/{id}", obj.name())})
        }
        _ => json!({"type": obj.name()}),
    }
}

fn record(org: &Org, version: &str, obj: Obj, row: usize, fields: &[soql::Path]) -> Value {
    let mut m = Map::new();
    m.insert("attributes".into(), attributes(org, version, obj, row));
    for p in fields {
        insert_path(&mut m, org, version, (obj, row), &p.hops, p.field);
    }
    Value::Object(m)
}

/// Puts a field reached through relationship hops into nested records, as the REST API does
/// (`"User": {"attributes": ..., "Profile": {"attributes": ..., "Name": ...}}`); an empty
/// lookup gives `"Rel": null`.
fn insert_path(m: &mut Map<String, Value>, org: &Org, version: &str, cur: (Obj, usize), hops: &[&str], field: &str) {
    let Some((hop, rest)) = hops.split_first() else {
        m.insert(field.to_string(), to_json(org.get(cur.0, cur.1, field)));
        return;
    };
    let rel = fields_rel_name(cur.0, hop).unwrap_or_else(|| hop.to_string());
    match org.follow(cur.0, cur.1, hop) {
        None => {
            m.entry(rel).or_insert(Value::Null);
        }
        Some(next) => {
            let entry = m.entry(rel).or_insert_with(|| {
                let mut sub = Map::new();
                sub.insert("attributes".into(), attributes(org, version, next.0, next.1));
                Value::Object(sub)
            });
            if let Some(sub) = entry.as_object_mut() {
                insert_path(sub, org, version, next, rest, field);
            }
        }
    }
}

fn fields_rel_name(obj: Obj, field: &str) -> Option<String> {
    fields(obj).into_iter().find_map(|(f, t)| match t {
        Ty::Ref(r, _) if f == field => Some(r.to_string()),
        _ => None,
    })
}

/// One batch of a query. The locator stays valid for every position (as the API's
/// `01g...-2000`, `01g...-4000` do), so a client may retry a batch after a fault.
fn page(shared: &Shared, cursor: &Cursor, loc: &str, start: usize) -> Resp {
    let org = &shared.org;
    let total = cursor.rows.len();
    let end = (start + cursor.batch).min(total);
    let records: Vec<Value> = cursor.rows[start.min(total)..end]
        .iter()
        .map(|&r| record(org, &cursor.version, cursor.obj, r as usize, &cursor.fields))
        .collect();
    let mut body = json!({"totalSize": total, "done": end >= total, "records": records});
    let (looping, next_override) = {
        let st = shared.st();
        (st.looping_pages, st.next_url_override.clone())
    };
    if end < total {
        // A looping org sends the client back to the second batch forever.
        let next = if looping { cursor.batch } else { end };
        let url = format!(
            "/services/data/{}/{}/{loc}-{next}",
            cursor.version,
            if cursor.all { "queryAll" } else { "query" }
        );
        body["nextRecordsUrl"] = Value::String(next_override.unwrap_or(url));
        body["done"] = Value::Bool(false);
    }
    json_resp(StatusCode::OK, &body)
}

fn next_page(shared: &Shared, loc: &str) -> Resp {
    let bad = || {
        rest_error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        )
    };
    let Some((id, pos)) = loc.rsplit_once('-') else {
        return bad();
    };
    let Ok(pos) = pos.parse::<usize>() else { return bad() };
    let Some(cursor) = shared.st().cursors.get(id).cloned() else {
        return bad();
    };
    if pos == 0 || pos >= cursor.rows.len() || pos % cursor.batch != 0 {
        return bad();
    }
    page(shared, &cursor, id, pos)
}

/// The token endpoint (<https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_flows.htm>,
/// reference §4). Errors are `{"error": ..., "error_description": ...}` with HTTP 400.
fn token_endpoint(
    shared: &Shared,
    which: Listener,
    form: &HashMap<String, String>,
    headers: &hyper::HeaderMap,
) -> Resp {
    let spec = &shared.spec;
    let err = |e: &str, d: &str| json_resp(StatusCode::BAD_REQUEST, &json!({"error": e, "error_description": d}));
    // Client authentication: body or HTTP Basic.
    let (mut cid, mut secret) = (form.get("client_id").cloned(), form.get("client_secret").cloned());
    if let Some(basic) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if let Some((u, p)) = b64_decode(basic.trim())
            .and_then(|d| String::from_utf8(d).ok())
            .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())))
        {
            cid = Some(u);
            secret = Some(p);
        }
    }
    let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
    let client_ok = |cid: &Option<String>| cid.as_deref() == Some(spec.client_id.as_str());
    let secret_ok = |s: &Option<String>| s.as_deref() == Some(spec.client_secret.as_str());
    let mut refresh_out = None;
    match grant {
        "refresh_token" => {
            if !client_ok(&cid) {
                return err("invalid_client_id", "client identifier invalid");
            }
            if (spec.secret_required_for_refresh || secret.is_some()) && !secret_ok(&secret) {
                return err("invalid_client", "invalid client credentials");
            }
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            let mut st = shared.st();
            if !st.refresh_tokens.contains(&rt) {
                return err("invalid_grant", "expired access/refresh token");
            }
            if spec.rotate_refresh_tokens {
                st.seq += 1;
                let new = format!("5Aep861FAKE-REFRESH-ROTATED-{:04}", st.seq);
                st.refresh_tokens = vec![new.clone()];
                refresh_out = Some(new);
            }
        }
        "password" => {
            if !client_ok(&cid) {
                return err("invalid_client_id", "client identifier invalid");
            }
            if !secret_ok(&secret) {
                return err("invalid_client", "invalid client credentials");
            }
            let user = form.get("username").map(String::as_str).unwrap_or("");
            let pw = form.get("password").map(String::as_str).unwrap_or("");
            if spec.block_password_flow || user != spec.username || !pw.starts_with(spec.password.as_str()) {
                return err("invalid_grant", "authentication failure");
            }
        }
        "client_credentials" => {
            if which == Listener::Login {
                // Client credentials only work on the org's My Domain host.
                return err("invalid_grant", "request not supported on this domain");
            }
            if !client_ok(&cid) {
                return err("invalid_client_id", "client identifier invalid");
            }
            if !secret_ok(&secret) {
                return err("invalid_client", "invalid client credentials");
            }
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = form.get("assertion").map(String::as_str).unwrap_or("");
            if let Err((e, d)) = check_jwt(shared, assertion) {
                return err(e, d);
            }
            if !shared.st().jwt_allowed {
                return err("invalid_grant", "user hasn't approved this consumer");
            }
        }
        "" => return err("unsupported_grant_type", "grant type not supported"),
        _ => return err("unsupported_grant_type", "grant type not supported"),
    }
    let mut st = shared.st();
    let token = shared.issue(&mut st);
    drop(st);
    let issued_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let user_id = shared.org.id(Obj::User, 0);
    let id_host = match which {
        Listener::Login => &shared.login_url,
        Listener::Instance => &shared.login_url,
    };
    let mut body = json!({
        "access_token": token,
        "instance_url": shared.st().instance_url_override.clone().unwrap_or_else(|| shared.base_url.clone()),
        "id": format!("{id_host}/id/{}/{user_id}", shared.org.org_id),
        "token_type": "Bearer",
        "issued_at": issued_at.to_string(),
        "signature": "FAKESIGNATUREbase64HMACSHA256AAAAAAAAAAAAAA=",
        "scope": spec.scopes,
    });
    if let Some(rt) = refresh_out {
        body["refresh_token"] = Value::String(rt);
    }
    json_resp(StatusCode::OK, &body)
}

fn check_jwt(shared: &Shared, assertion: &str) -> Result<(), (&'static str, &'static str)> {
    let invalid = ("invalid_grant", "invalid assertion");
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 || parts[2].is_empty() {
        return Err(invalid);
    }
    let header: Value = b64_decode(parts[0])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(invalid)?;
    let claims: Value = b64_decode(parts[1])
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(invalid)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(("invalid_grant", "invalid assertion"));
    }
    if claims.get("iss").and_then(Value::as_str) != Some(shared.spec.client_id.as_str()) {
        return Err(("invalid_client_id", "client identifier invalid"));
    }
    let aud_ok = |a: &str| {
        let a = a.trim_end_matches('/');
        a == shared.login_url || a == "https://login.salesforce.com" || a == "https://test.salesforce.com"
    };
    let aud = match claims.get("aud") {
        Some(Value::String(s)) => aud_ok(s),
        Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).any(aud_ok),
        _ => false,
    };
    if !aud {
        return Err(("invalid_grant", "audience is invalid"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + 180 >= now => {}
        _ => return Err(("invalid_grant", "expired authorization code")),
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    if !shared.org.users.iter().any(|u| u.active && u.username == sub) {
        return Err(("invalid_grant", "user hasn't approved this consumer"));
    }
    Ok(())
}

/// Base64 (standard or URL-safe, padding optional).
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => continue,
            _ => return None,
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Base64url without padding (for tests building JWTs).
pub fn b64url(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    s
}

/// The objects this org serves (edition-aware), for the runner's summary.
pub fn served_objects(org: &FakeOrg) -> Vec<&'static str> {
    ALL_OBJECTS
        .iter()
        .filter(|o| org.shared.object_exists(o.name()).is_some())
        .map(|o| o.name())
        .collect()
}

/// Kinds of installed apps, for the runner's summary.
pub fn app_counts(org: &FakeOrg) -> (usize, usize) {
    let ca = org
        .shared
        .org
        .apps
        .iter()
        .filter(|a| a.kind == AppKind::ConnectedApp)
        .count();
    (ca, org.shared.org.apps.len() - ca)
}
