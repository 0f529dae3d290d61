//! The org's HTTP layer: which hosts may be contacted, and a typed client for the data API
//! that retries what is worth retrying and never sends the bearer token anywhere but the
//! instance.
//!
//! URL rules: login and instance URLs are `https://` (no user info, no query), or
//! `http://127.0.0.1:PORT` for tests, so a test never leaves the machine. The bearer token is
//! sent only to the instance origin chosen by [`choose_instance`]; every request, including a
//! `nextRecordsUrl` the org hands back, is checked against it ([`OrgHttp::resolve`]), and
//! redirects are never followed (a redirect is an error naming where it pointed).
//!
//! Retries ([`RetryPolicy`]): 5xx answers, connection resets and timeouts get bounded
//! exponential back-off with jitter; a success whose body is not the JSON expected is fetched
//! once more; nothing else is retried (a 4xx is the org's answer).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use super::secret::{scrub, Secret};

/// The default login URL (production). Sandboxes use `https://test.salesforce.com`.
pub const DEFAULT_LOGIN_URL: &str = "https://login.salesforce.com";

/// The most a single response body may hold before the read is abandoned: a page of 2,000
/// records is a few megabytes, an endless body must not fill memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("{what} {url} is not a URL: {reason}")]
    Invalid {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error("{what} {url} must use https:// (plain http is allowed only for http://127.0.0.1:PORT, for tests)")]
    NotHttps { what: &'static str, url: String },
    #[error("{what} {url} must not carry a user name or password: secrets come from the environment, files or the Salesforce CLI")]
    UserInfo { what: &'static str, url: String },
    #[error("{what} {url} must be a bare origin (scheme, host, port), without a query or fragment")]
    NotOrigin { what: &'static str, url: String },
    #[error("the token endpoint named instance {offered}, but the instance is {named}: the access token is sent only to the instance you named")]
    InstanceMismatch { named: String, offered: String },
    #[error("the token endpoint named instance {offered}, which is not a Salesforce host nor the login host {login}: the access token is not sent there (pass --instance-url to name the instance)")]
    UntrustedInstance { offered: String, login: String },
    #[error("no instance URL: the token response named none (pass --instance-url)")]
    NoInstance,
}

/// A URL shown in a message: user info dropped, hazards visible, capped.
pub fn shown_url(raw: &str) -> String {
    let shown = match Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        // Unparsable: keep what is before any '@' out of the message.
        Err(_) => match raw.rfind('@') {
            Some(at) => format!("…{}", &raw[at + 1..]),
            None => raw.to_string(),
        },
    };
    scrub(&shown, &[])
}

/// Parses a login or instance URL by the rules above; returns its origin (no path).
pub fn parse_base_url(what: &'static str, raw: &str) -> Result<Url, UrlError> {
    let url = Url::parse(raw.trim()).map_err(|e| UrlError::Invalid {
        what,
        url: shown_url(raw),
        reason: e.to_string(),
    })?;
    let shown = shown_url(raw);
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::UserInfo { what, url: shown });
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_test_host(&url) => {}
        _ => return Err(UrlError::NotHttps { what, url: shown }),
    }
    if url.query().is_some() || url.fragment().is_some() || url.host_str().is_none() {
        return Err(UrlError::NotOrigin { what, url: shown });
    }
    if !matches!(url.path(), "" | "/") {
        return Err(UrlError::NotOrigin { what, url: shown });
    }
    let mut origin = url;
    origin.set_path("/");
    Ok(origin)
}

fn is_loopback_test_host(url: &Url) -> bool {
    url.host_str() == Some("127.0.0.1") && url.port().is_some()
}

/// Whether two URLs share scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Hosts Salesforce serves instances and My Domains from.
const SALESFORCE_DOMAINS: &[&str] = &[
    "salesforce.com",
    "force.com",
    "cloudforce.com",
    "salesforce.mil",
    "sfcrmproducts.cn",
];

fn is_salesforce_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    SALESFORCE_DOMAINS.iter().any(|d| host.ends_with(&format!(".{d}")))
}

/// The instance the bearer token goes to.
/// - `named` (`--instance-url`, or `SF_INSTANCE_URL` with an access token) wins; a token
///   response naming another origin is an error, not a silent switch.
/// - Otherwise the token response's `instance_url`, if it is https on a Salesforce domain or
///   the login URL's own origin (a My Domain login, or 127.0.0.1 in tests).
/// - Otherwise a My Domain (or test) login URL is its own instance.
pub fn choose_instance(named: Option<&Url>, login: &Url, from_token: Option<&str>) -> Result<Url, UrlError> {
    let offered = match from_token {
        Some(raw) if !raw.trim().is_empty() => {
            Some(
                parse_base_url("instance_url", raw).map_err(|_| UrlError::UntrustedInstance {
                    offered: shown_url(raw),
                    login: login.to_string(),
                })?,
            )
        }
        _ => None,
    };
    match (named, offered) {
        (Some(named), Some(offered)) if !same_origin(named, &offered) => Err(UrlError::InstanceMismatch {
            named: named.to_string(),
            offered: offered.to_string(),
        }),
        (Some(named), _) => Ok(named.clone()),
        (None, Some(offered)) => {
            if same_origin(&offered, login) || (offered.scheme() == "https" && is_salesforce_host(&offered)) {
                Ok(offered)
            } else {
                Err(UrlError::UntrustedInstance {
                    offered: offered.to_string(),
                    login: login.to_string(),
                })
            }
        }
        (None, None) => {
            if is_generic_login_host(login) {
                Err(UrlError::NoInstance)
            } else {
                Ok(login.clone())
            }
        }
    }
}

/// `login.salesforce.com` or `test.salesforce.com`: shared login hosts, never an instance.
pub fn is_generic_login_host(url: &Url) -> bool {
    matches!(
        url.host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            .as_deref(),
        Some("login.salesforce.com") | Some("test.salesforce.com")
    )
}

/// How many times and how patiently to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt for 5xx, resets and timeouts.
    pub max_retries: u32,
    /// The first back-off; each retry doubles it, up to `max_delay`, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The whole of one request (connect, send, headers, body): a slow drip ends here.
    pub timeout: Duration,
    /// The most one body may hold.
    pub max_body_bytes: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            timeout: Duration::from_secs(120),
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): `base * 2^retry`, capped, then a
    /// random point in its upper half, so clients that failed together do not retry together.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(2u32.saturating_pow(retry.min(20)));
        let capped = exp.min(self.max_delay);
        let half = capped / 2;
        let nanos = half.as_nanos() as u64;
        let jitter = if nanos == 0 { 0 } else { random_u64() % (nanos + 1) };
        half + Duration::from_nanos(jitter)
    }
}

/// A random number from the standard library's per-process hasher keys (no crate needed for
/// jitter).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// One element of a Salesforce REST error body (`[{"message", "errorCode", "fields"}]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ApiErrorItem {
    #[serde(default)]
    pub message: String,
    #[serde(rename = "errorCode", default)]
    pub error_code: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("refused to send the access token to {url}: only the instance {instance} receives it")]
    ForeignHost { url: String, instance: String },
    #[error("{url} answered with a redirect to {location}; redirects are not followed with the access token")]
    Redirect { url: String, location: String },
    #[error("{url}: HTTP {status} {code}: {message}")]
    Api {
        url: String,
        status: u16,
        /// `errorCode` of the first error (`INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`,
        /// `INVALID_TYPE`, `INVALID_FIELD`, ...), or empty when the body had none.
        code: String,
        message: String,
    },
    #[error("{url}: gave up after {attempts} attempts: {last}")]
    GaveUp { url: String, attempts: u32, last: String },
    #[error("{url}: the response body is not the JSON expected ({reason}), twice")]
    Malformed { url: String, reason: String },
    #[error("{url}: the response body exceeds {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    /// The answer was refused outright (a SOAP answer with a DOCTYPE, ...): not retried.
    #[error("{url}: answer refused: {reason}")]
    Refused { url: String, reason: String },
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

impl HttpError {
    /// The Salesforce `errorCode`, when the org answered with one.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            HttpError::Api { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }
}

/// A reqwest error in words, without its URL (which the caller names, shown safely).
pub(crate) fn transport_reason(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the body"
    } else if e.is_request() {
        "the request failed (connection reset or closed)"
    } else {
        "HTTP error"
    };
    kind.to_string()
}

/// An HTTP client with the org's rules: no redirects, a whole-request timeout, no cookies.
///
/// `target` is the one origin the client talks to: for a 127.0.0.1 test server no proxy from
/// the environment is used (a proxy would see plain-http test traffic, bearer token and all).
pub fn build_client(policy: &RetryPolicy, target: &Url) -> Result<reqwest::Client, HttpError> {
    let builder = reqwest::Client::builder();
    let builder = if target.host_str() == Some("127.0.0.1") {
        builder.no_proxy()
    } else {
        builder
    };
    builder
        .redirect(reqwest::redirect::Policy::none())
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(Duration::from_secs(30)))
        .user_agent(concat!("scopeaudit/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HttpError::Client(transport_reason(&e)))
}

/// Reads a body up to `limit` bytes.
pub(crate) async fn read_bounded(mut resp: reqwest::Response, limit: usize, url: &str) -> Result<Vec<u8>, HttpError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(HttpError::TooLarge {
            url: url.to_string(),
            limit,
        });
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(HttpError::TooLarge {
                        url: url.to_string(),
                        limit,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(HttpError::Transport {
                    url: url.to_string(),
                    reason: transport_reason(&e),
                })
            }
        }
    }
}

/// One successful GET.
#[derive(Debug)]
pub struct Fetched<T> {
    pub body: T,
    /// `Sforce-Limit-Info` (e.g. `api-usage=10018/100000`), when sent.
    pub limit_info: Option<String>,
}

/// Where the `-v` request log goes: one line per HTTP request (method, path without query
/// values, status, milliseconds), never a token or query value.
pub type RequestLog = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// What a SOAP body parser found wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyProblem {
    /// A SOAP fault: its code without the `sf:` prefix, and its message.
    Fault { code: String, message: String },
    /// Not the XML expected (cut short, ...): fetched once more.
    Malformed(String),
    /// Refused outright (a DOCTYPE, ...): not retried.
    Refused(String),
}

/// The data-API client: GETs on the instance with the bearer token, SOAP read calls with the
/// session header, and nothing else.
pub struct OrgHttp {
    client: reqwest::Client,
    instance: Url,
    token: RwLock<Secret>,
    policy: RetryPolicy,
    calls: AtomicU64,
    log: RwLock<Option<RequestLog>>,
}

/// A URL as the request log shows it: the path, and the query's keys without their values.
pub fn logged_path(url: &Url) -> String {
    let mut out = url.path().to_string();
    if let Some(q) = url.query() {
        let keys: Vec<String> = url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, _)| format!("{}=", crate::untrusted::capped(&crate::untrusted::visible(&k), 40)))
            .collect();
        out.push('?');
        out.push_str(&keys.join("&"));
    }
    scrub(&out, &[])
}

impl std::fmt::Debug for OrgHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgHttp")
            .field("instance", &self.instance.as_str())
            .field("token", &"[REDACTED]")
            .field("calls", &self.api_calls())
            .finish()
    }
}

enum Attempt<T> {
    Done(Result<Fetched<T>, HttpError>),
    Retry(String),
    Malformed(String),
}

impl OrgHttp {
    /// `instance` must already have passed [`parse_base_url`] / [`choose_instance`].
    pub fn new(instance: Url, token: Secret, policy: RetryPolicy) -> Result<Self, HttpError> {
        let client = build_client(&policy, &instance)?;
        Ok(OrgHttp {
            client,
            instance,
            token: RwLock::new(token),
            policy,
            calls: AtomicU64::new(0),
            log: RwLock::new(None),
        })
    }

    /// Sends one line per request to `log` (the `-v` log).
    pub fn set_log(&self, log: Option<RequestLog>) {
        match self.log.write() {
            Ok(mut l) => *l = log,
            Err(poisoned) => *poisoned.into_inner() = log,
        }
    }

    fn log_request(&self, method: &str, url: &Url, outcome: &str, started: std::time::Instant) {
        let log = match self.log.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if let Some(log) = log {
            let line = format!(
                "{method} {} {outcome} {}ms",
                logged_path(url),
                started.elapsed().as_millis()
            );
            log(&scrub(&line, &[&self.current_token()]));
        }
    }

    pub fn instance(&self) -> &Url {
        &self.instance
    }

    /// Replaces the access token (after a refresh).
    pub fn set_token(&self, token: Secret) {
        match self.token.write() {
            Ok(mut t) => *t = token,
            Err(poisoned) => *poisoned.into_inner() = token,
        }
    }

    fn current_token(&self) -> Secret {
        match self.token.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// HTTP requests sent so far (each attempt counts: the org counts them too).
    pub fn api_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// A path (`/services/data/...`) or absolute URL (a `nextRecordsUrl`) as a URL on the
    /// instance; anything on another origin is refused.
    pub fn resolve(&self, path_or_url: &str) -> Result<Url, HttpError> {
        let url = self.instance.join(path_or_url).map_err(|e| HttpError::Transport {
            url: scrub(&shown_url(path_or_url), &[&self.current_token()]),
            reason: format!("not a URL: {e}"),
        })?;
        if !same_origin(&url, &self.instance) || !url.username().is_empty() || url.password().is_some() {
            return Err(HttpError::ForeignHost {
                url: scrub(&shown_url(url.as_str()), &[&self.current_token()]),
                instance: self.instance.to_string(),
            });
        }
        Ok(url)
    }

    /// GET `path_or_url` on the instance and parse its JSON body as `T`, retrying by the
    /// policy.
    pub async fn get_json<T: DeserializeOwned>(&self, path_or_url: &str) -> Result<Fetched<T>, HttpError> {
        self.get_json_with(path_or_url, true).await
    }

    /// GET without the bearer token (`/services/data/`, the versions list, needs none).
    pub async fn get_json_public<T: DeserializeOwned>(&self, path_or_url: &str) -> Result<Fetched<T>, HttpError> {
        self.get_json_with(path_or_url, false).await
    }

    async fn get_json_with<T: DeserializeOwned>(
        &self,
        path_or_url: &str,
        with_token: bool,
    ) -> Result<Fetched<T>, HttpError> {
        let url = self.resolve(path_or_url)?;
        let shown = scrub(&shown_url(url.as_str()), &[&self.current_token()]);
        let mut retries = 0u32;
        let mut malformed_retried = false;
        loop {
            let outcome = self.attempt::<T>(&url, &shown, with_token).await;
            match outcome {
                Attempt::Done(result) => return result,
                Attempt::Malformed(reason) => {
                    if malformed_retried {
                        return Err(HttpError::Malformed { url: shown, reason });
                    }
                    malformed_retried = true;
                }
                Attempt::Retry(last) => {
                    if retries >= self.policy.max_retries {
                        return Err(HttpError::GaveUp {
                            url: shown,
                            attempts: retries + 1,
                            last,
                        });
                    }
                    tokio::time::sleep(self.policy.delay(retries)).await;
                    retries += 1;
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(&self, url: &Url, shown: &str, with_token: bool) -> Attempt<T> {
        let started = std::time::Instant::now();
        let outcome = self.attempt_inner::<T>(url, shown, with_token).await;
        let status = match &outcome.1 {
            Some(status) => status.to_string(),
            None => "failed".to_string(),
        };
        self.log_request("GET", url, &status, started);
        outcome.0
    }

    async fn attempt_inner<T: DeserializeOwned>(
        &self,
        url: &Url,
        shown: &str,
        with_token: bool,
    ) -> (Attempt<T>, Option<u16>) {
        let token = self.current_token();
        let mut auth = {
            match HeaderValue::from_str(&format!("Bearer {}", token.expose())) {
                Ok(v) => v,
                Err(_) => {
                    return (
                        Attempt::Done(Err(HttpError::Transport {
                            url: shown.to_string(),
                            reason: "the access token holds characters a header cannot carry".to_string(),
                        })),
                        None,
                    )
                }
            }
        };
        auth.set_sensitive(true);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if with_token {
            request = request.header(AUTHORIZATION, auth);
        }
        let sent = request.send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return (Attempt::Retry(transport_reason(&e)), None),
        };
        let status = resp.status();
        let code = Some(status.as_u16());
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|l| scrub(&shown_url(l), &[&token]))
                .unwrap_or_else(|| "(no Location)".to_string());
            return (
                Attempt::Done(Err(HttpError::Redirect {
                    url: shown.to_string(),
                    location,
                })),
                code,
            );
        }
        let limit_info = resp
            .headers()
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .map(|s| scrub(s, &[&token]));
        let body = match read_bounded(resp, self.policy.max_body_bytes, shown).await {
            Ok(b) => b,
            Err(HttpError::Transport { reason, .. }) => return (Attempt::Retry(reason), code),
            Err(e) => return (Attempt::Done(Err(e)), code),
        };
        if status.is_server_error() {
            return (Attempt::Retry(format!("HTTP {}", status.as_u16())), code);
        }
        if !status.is_success() {
            let (code, message) = match serde_json::from_slice::<Vec<ApiErrorItem>>(&body) {
                Ok(items) if !items.is_empty() => (
                    scrub(&items[0].error_code, &[&token]),
                    scrub(&items[0].message, &[&token]),
                ),
                _ => (String::new(), "(no Salesforce error body)".to_string()),
            };
            return (
                Attempt::Done(Err(HttpError::Api {
                    url: shown.to_string(),
                    status: status.as_u16(),
                    code,
                    message,
                })),
                Some(status.as_u16()),
            );
        }
        let outcome = match serde_json::from_slice::<T>(&body) {
            Ok(body) => Attempt::Done(Ok(Fetched { body, limit_info })),
            Err(e) => Attempt::Malformed(format!("line {} column {}", e.line(), e.column())),
        };
        (outcome, code)
    }
}

impl OrgHttp {
    /// POST a SOAP request to `path` on the instance (the Metadata API's read calls), its
    /// envelope built by `envelope` around the current session id, and parse the answer with
    /// `parse`. 502-504, resets and timeouts are retried like GETs, and so is a 500 without a
    /// SOAP fault; a fault is the org's answer ([`HttpError::Api`], its code without `sf:`); a
    /// malformed answer is fetched once more; a refused one ([`BodyProblem::Refused`]) is not.
    pub async fn post_soap<T>(
        &self,
        path: &str,
        envelope: impl Fn(&Secret) -> String,
        parse: impl Fn(&[u8]) -> Result<T, BodyProblem>,
    ) -> Result<Fetched<T>, HttpError> {
        let url = self.resolve(path)?;
        let shown = scrub(&shown_url(url.as_str()), &[&self.current_token()]);
        let mut retries = 0u32;
        let mut malformed_retried = false;
        loop {
            let started = std::time::Instant::now();
            let token = self.current_token();
            self.calls.fetch_add(1, Ordering::Relaxed);
            let sent = self
                .client
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=UTF-8")
                .header("SOAPAction", "\"\"")
                .body(envelope(&token))
                .send()
                .await;
            let (retry, status) = match sent {
                Err(e) => (transport_reason(&e), None),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let limit_info = resp
                        .headers()
                        .get("sforce-limit-info")
                        .and_then(|v| v.to_str().ok())
                        .map(|s| scrub(s, &[&token]));
                    if resp.status().is_redirection() {
                        self.log_request("POST", &url, &status.to_string(), started);
                        return Err(HttpError::Redirect {
                            url: shown,
                            location: "(not followed)".to_string(),
                        });
                    }
                    match read_bounded(resp, self.policy.max_body_bytes, &shown).await {
                        Err(HttpError::Transport { reason, .. }) => (reason, Some(status)),
                        Err(e) => {
                            self.log_request("POST", &url, &status.to_string(), started);
                            return Err(e);
                        }
                        Ok(body) => {
                            self.log_request("POST", &url, &status.to_string(), started);
                            let parsed = if matches!(status, 502..=504) {
                                Err(BodyProblem::Malformed(String::new()))
                            } else {
                                parse(&body)
                            };
                            match parsed {
                                Ok(body) if (200..300).contains(&status) => {
                                    return Ok(Fetched { body, limit_info });
                                }
                                Ok(_) => {
                                    if status >= 500 {
                                        (format!("HTTP {status}"), Some(status))
                                    } else {
                                        return Err(HttpError::Api {
                                            url: shown,
                                            status,
                                            code: String::new(),
                                            message: "(no SOAP fault in the answer)".to_string(),
                                        });
                                    }
                                }
                                Err(BodyProblem::Fault { code, message }) => {
                                    return Err(HttpError::Api {
                                        url: shown,
                                        status,
                                        code: scrub(&code, &[&token]),
                                        message: scrub(&message, &[&token]),
                                    });
                                }
                                Err(BodyProblem::Refused(reason)) => {
                                    return Err(HttpError::Refused { url: shown, reason });
                                }
                                Err(BodyProblem::Malformed(reason)) => {
                                    if status >= 500 {
                                        (format!("HTTP {status}"), Some(status))
                                    } else {
                                        if malformed_retried {
                                            return Err(HttpError::Malformed { url: shown, reason });
                                        }
                                        malformed_retried = true;
                                        continue;
                                    }
                                }
                            }
                        }
                    }
                }
            };
            if status.is_none() {
                self.log_request("POST", &url, "failed", started);
            }
            if retries >= self.policy.max_retries {
                return Err(HttpError::GaveUp {
                    url: shown,
                    attempts: retries + 1,
                    last: retry,
                });
            }
            tokio::time::sleep(self.policy.delay(retries)).await;
            retries += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        parse_base_url("test URL", s).unwrap()
    }

    #[test]
    fn base_url_rules() {
        assert!(parse_base_url("x", "https://login.salesforce.com").is_ok());
        assert!(parse_base_url("x", "http://127.0.0.1:8080").is_ok());
        assert!(matches!(
            parse_base_url("x", "http://login.salesforce.com"),
            Err(UrlError::NotHttps { .. })
        ));
        assert!(matches!(
            parse_base_url("x", "http://127.0.0.1"),
            Err(UrlError::NotHttps { .. })
        ));
        assert!(matches!(
            parse_base_url("x", "http://localhost:80"),
            Err(UrlError::NotHttps { .. })
        ));
        let e = parse_base_url("x", "https://bob:pa55word@acme.my.salesforce.com").unwrap_err();
        assert!(matches!(e, UrlError::UserInfo { .. }));
        assert!(!e.to_string().contains("pa55word"), "{e}");
        assert!(matches!(
            parse_base_url("x", "https://acme.my.salesforce.com/?q=1"),
            Err(UrlError::NotOrigin { .. })
        ));
        assert!(matches!(
            parse_base_url("x", "https://acme.my.salesforce.com/services"),
            Err(UrlError::NotOrigin { .. })
        ));
    }

    #[test]
    fn instance_choice() {
        let login = u("https://login.salesforce.com");
        let mine = u("https://acme.my.salesforce.com");
        assert_eq!(
            choose_instance(None, &login, Some("https://acme.my.salesforce.com")).unwrap(),
            mine
        );
        assert!(matches!(
            choose_instance(None, &login, Some("https://evil.example.com")),
            Err(UrlError::UntrustedInstance { .. })
        ));
        assert!(matches!(
            choose_instance(None, &login, Some("https://salesforce.com.evil.example")),
            Err(UrlError::UntrustedInstance { .. })
        ));
        assert!(matches!(
            choose_instance(Some(&mine), &login, Some("https://other.my.salesforce.com")),
            Err(UrlError::InstanceMismatch { .. })
        ));
        assert_eq!(
            choose_instance(Some(&mine), &login, Some("https://acme.my.salesforce.com/")).unwrap(),
            mine
        );
        assert_eq!(choose_instance(None, &login, None), Err(UrlError::NoInstance));
        assert_eq!(choose_instance(None, &mine, None).unwrap(), mine);
        let local = u("http://127.0.0.1:4000");
        assert_eq!(
            choose_instance(None, &local, Some("http://127.0.0.1:4000")).unwrap(),
            local
        );
        assert!(choose_instance(None, &local, Some("http://127.0.0.1:4001")).is_err());
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            ..RetryPolicy::default()
        };
        for retry in 0..10 {
            let full = (Duration::from_millis(100) * 2u32.pow(retry.min(10))).min(Duration::from_millis(700));
            let d = p.delay(retry);
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?} vs {full:?}");
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| p.delay(3)).collect();
        assert!(samples.len() > 1, "no jitter");
    }

    #[test]
    fn the_request_log_shows_query_keys_without_values() {
        let url = Url::parse(
            "http://127.0.0.1:4000/services/data/v67.0/query?q=SELECT+Id+FROM+User&x=00D5g000001abcd!AQFAKE",
        )
        .unwrap();
        assert_eq!(logged_path(&url), "/services/data/v67.0/query?q=&x=");
        let url = Url::parse("http://127.0.0.1:4000/services/data/v67.0/query/01g5g0000000001AAA-2000").unwrap();
        assert_eq!(logged_path(&url), "/services/data/v67.0/query/01g5g0000000001AAA-2000");
    }

    #[test]
    fn resolve_refuses_other_origins() {
        let http = OrgHttp::new(u("http://127.0.0.1:4000"), Secret::new("tok"), RetryPolicy::default()).unwrap();
        assert!(http.resolve("/services/data/v62.0/query/01g-2000").is_ok());
        assert!(http
            .resolve("http://127.0.0.1:4000/services/data/v62.0/query/01g-2000")
            .is_ok());
        for bad in [
            "http://127.0.0.1:4001/services/data/",
            "https://127.0.0.1:4000/services/data/",
            "http://evil.example/services/data/",
            "//evil.example/services/data/",
            "http://user@127.0.0.1:4000/x",
        ] {
            assert!(matches!(http.resolve(bad), Err(HttpError::ForeignHost { .. })), "{bad}");
        }
        assert!(!format!("{http:?}").contains("tok\""));
    }
}
