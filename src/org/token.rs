//! Token requests: each OAuth grant a headless audit can use, posted as a form to
//! `{login_url}/services/oauth2/token`, and the answer parsed into a [`TokenResponse`] or a
//! typed [`TokenError`] (salesforce.md section 4). The granted `scope` is recorded, and
//! [`audit_credential_scope`] says where the auditing credential is broader than the audit
//! needs.
//!
//! Secrets travel only in the form body; every error is built from the OAuth error code, a
//! scrubbed `error_description` and the login URL, never from the secrets or the raw body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use url::Url;

use super::credentials::{self, CliAuth, Credential, CredentialError, Flow, PASSWORD_FLOW_WARNING};
use super::http::{
    build_client, choose_instance, is_generic_login_host, parse_base_url, read_bounded, shown_url, transport_reason,
    HttpError, RetryPolicy, UrlError, DEFAULT_LOGIN_URL,
};
use super::secret::{scrub, Secret};

pub const TOKEN_PATH: &str = "/services/oauth2/token";
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// JWT lifetime: Salesforce allows about three minutes.
pub const JWT_LIFETIME_SECS: u64 = 170;
/// The most a token response may hold.
const MAX_TOKEN_BODY: usize = 256 * 1024;

/// A successful token response. `access_token` and `refresh_token` are [`Secret`]s.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    #[serde(deserialize_with = "secret_de")]
    pub access_token: Secret,
    #[serde(default)]
    pub instance_url: Option<String>,
    /// Identity URL `https://login.salesforce.com/id/<org id>/<user id>`.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Milliseconds since the epoch, as a string.
    #[serde(default)]
    pub issued_at: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
    /// Space-separated granted scopes.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "opt_secret_de")]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub api_instance_url: Option<String>,
}

fn secret_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

fn opt_secret_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Option::<String>::deserialize(d).map(|o| o.map(Secret::new))
}

impl TokenResponse {
    /// The granted scopes, in order, without repeats.
    pub fn scopes(&self) -> Vec<String> {
        split_scopes(self.scope.as_deref().unwrap_or(""))
    }

    /// `(org id, user id)` from the identity URL.
    pub fn org_and_user(&self) -> Option<(String, String)> {
        let id = self.id.as_deref()?;
        let mut parts = id.trim_end_matches('/').rsplit('/');
        let user = parts.next()?;
        let org = parts.next()?;
        (org.starts_with("00D") && user.starts_with("005")).then(|| (org.to_string(), user.to_string()))
    }
}

pub fn split_scopes(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// The OAuth `error` codes Salesforce returns (salesforce.md 4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthErrorKind {
    InvalidGrant,
    InvalidClientId,
    InvalidClient,
    InvalidRequest,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InactiveUser,
    InactiveOrg,
    RateLimitExceeded,
    Other(String),
}

impl OAuthErrorKind {
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_grant" => Self::InvalidGrant,
            "invalid_client_id" => Self::InvalidClientId,
            "invalid_client" => Self::InvalidClient,
            "invalid_request" => Self::InvalidRequest,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "inactive_user" => Self::InactiveUser,
            "inactive_org" => Self::InactiveOrg,
            "rate_limit_exceeded" => Self::RateLimitExceeded,
            other => Self::Other(scrub(other, &[])),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClientId => "invalid_client_id",
            Self::InvalidClient => "invalid_client",
            Self::InvalidRequest => "invalid_request",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InactiveUser => "inactive_user",
            Self::InactiveOrg => "inactive_org",
            Self::RateLimitExceeded => "rate_limit_exceeded",
            Self::Other(code) => code,
        }
    }
}

impl std::fmt::Display for OAuthErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("the client-credentials flow needs the org's My Domain as the login URL (e.g. https://yourcompany.my.salesforce.com): Salesforce refuses it on {host} (\"request not supported on this domain\")")]
    ClientCredentialsNeedsMyDomain { host: String },
    #[error("{flow} token request to {url} failed: HTTP {status} {kind}{}{hint}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        flow: Flow,
        url: String,
        status: u16,
        kind: OAuthErrorKind,
        /// The scrubbed `error_description`.
        description: Option<String>,
        /// What to do about it, when known (empty or starting with "; ").
        hint: String,
    },
    #[error("{flow} token request to {url}: HTTP {status} with a body that is not a token response ({reason})")]
    Malformed {
        flow: Flow,
        url: String,
        status: u16,
        reason: String,
    },
    #[error("{flow} token request to {url}: {reason}")]
    Transport { flow: Flow, url: String, reason: String },
    #[error("could not read the JWT key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("the JWT key file {path} is not an unencrypted RSA private key in PEM form (PKCS#1 or PKCS#8)")]
    KeyInvalid { path: String },
    #[error("could not sign the JWT assertion: {0}")]
    Sign(String),
    #[error("the token endpoint's answer has no access token")]
    NoAccessToken,
}

impl TokenError {
    /// The OAuth error kind, when the token endpoint answered with one.
    pub fn oauth_kind(&self) -> Option<&OAuthErrorKind> {
        match self {
            TokenError::OAuth { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// What to do about a known error, by flow and description (salesforce.md 4.1).
fn hint_for(flow: Flow, kind: &OAuthErrorKind, description: &str) -> String {
    let d = description.to_ascii_lowercase();
    let hint = match kind {
        OAuthErrorKind::InvalidGrant if d.contains("not supported on this domain") => {
            "the client-credentials flow works only on the org's My Domain login URL"
        }
        OAuthErrorKind::InvalidGrant if d.contains("authentication failure") && flow == Flow::UsernamePassword => {
            "the username or password is wrong, or the username-password flow is blocked in this org (the default for orgs created in Summer '23 or later)"
        }
        OAuthErrorKind::InvalidGrant if d.contains("approved") => {
            "pre-authorize the auditing user for the app (Admin approved users are pre-authorized, then a profile or permission set)"
        }
        OAuthErrorKind::InvalidGrant if d.contains("audience") => {
            "the JWT audience must be https://login.salesforce.com (production) or https://test.salesforce.com (sandbox): check --login-url"
        }
        OAuthErrorKind::InvalidGrant if d.contains("expired") => {
            "the refresh token has expired or was revoked: authorize again"
        }
        OAuthErrorKind::InvalidGrant if d.contains("client credentials user") => {
            "enable the client-credentials flow and set its Run As user on the app"
        }
        OAuthErrorKind::InvalidClient if d.contains("installed") => {
            "the app must be installed in the org (uninstalled connected apps are restricted)"
        }
        OAuthErrorKind::InvalidClientId => "SF_CLIENT_ID is not the consumer key of an app in this org",
        OAuthErrorKind::InvalidClient => "check SF_CLIENT_ID and SF_CLIENT_SECRET",
        OAuthErrorKind::InactiveUser => "the auditing user is inactive",
        OAuthErrorKind::InactiveOrg => "the org is inactive or locked",
        _ => "",
    };
    if hint.is_empty() {
        String::new()
    } else {
        format!("; {hint}")
    }
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The login URL (`--login-url`), by the URL rules; [`DEFAULT_LOGIN_URL`] when none.
pub fn login_url(raw: Option<&str>) -> Result<Url, UrlError> {
    parse_base_url("login URL", raw.unwrap_or(DEFAULT_LOGIN_URL))
}

fn token_url(login: &Url) -> Result<Url, UrlError> {
    login.join(TOKEN_PATH).map_err(|e| UrlError::Invalid {
        what: "login URL",
        url: login.to_string(),
        reason: e.to_string(),
    })
}

/// The token-endpoint client: the org's HTTP rules (no redirects, bounded time and body).
#[derive(Debug, Clone)]
pub struct TokenClient {
    client: reqwest::Client,
    login: Url,
    policy: RetryPolicy,
}

impl TokenClient {
    pub fn new(login: Url, policy: RetryPolicy) -> Result<Self, TokenError> {
        Ok(TokenClient {
            client: build_client(&policy, &login)?,
            login,
            policy,
        })
    }

    pub fn login_url(&self) -> &Url {
        &self.login
    }

    /// POSTs one grant. Only connection failures before an answer and 502/503/504 (the
    /// request did not reach the authorization server) are retried: a refresh token with
    /// rotation must not be spent twice.
    async fn post(&self, flow: Flow, form: &[(&str, &str)], secrets: &[&Secret]) -> Result<TokenResponse, TokenError> {
        let url = token_url(&self.login)?;
        let shown = shown_url(url.as_str());
        let mut retries = 0;
        loop {
            let sent = self
                .client
                .post(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .form(form)
                .send()
                .await;
            let retry_reason = match sent {
                Err(e) if e.is_connect() || e.is_timeout() => transport_reason(&e),
                Err(e) => {
                    return Err(TokenError::Transport {
                        flow,
                        url: shown,
                        reason: transport_reason(&e),
                    })
                }
                Ok(resp) if matches!(resp.status().as_u16(), 502..=504) => {
                    format!("HTTP {}", resp.status().as_u16())
                }
                Ok(resp) => return self.parse(flow, &shown, resp, secrets).await,
            };
            if retries >= self.policy.max_retries {
                return Err(TokenError::Transport {
                    flow,
                    url: shown,
                    reason: format!("gave up after {} attempts: {retry_reason}", retries + 1),
                });
            }
            tokio::time::sleep(self.policy.delay(retries)).await;
            retries += 1;
        }
    }

    async fn parse(
        &self,
        flow: Flow,
        shown: &str,
        resp: reqwest::Response,
        secrets: &[&Secret],
    ) -> Result<TokenResponse, TokenError> {
        let status = resp.status();
        if status.is_redirection() {
            return Err(TokenError::Transport {
                flow,
                url: shown.to_string(),
                reason: format!(
                    "HTTP {} redirect (not followed with credentials; is --login-url right?)",
                    status.as_u16()
                ),
            });
        }
        let body = read_bounded(resp, MAX_TOKEN_BODY, shown).await?;
        if status.is_success() {
            return match serde_json::from_slice::<TokenResponse>(&body) {
                Ok(t) if t.access_token.is_empty() => Err(TokenError::NoAccessToken),
                Ok(t) => Ok(t),
                Err(e) => Err(TokenError::Malformed {
                    flow,
                    url: shown.to_string(),
                    status: status.as_u16(),
                    reason: format!("line {} column {}", e.line(), e.column()),
                }),
            };
        }
        match serde_json::from_slice::<OAuthErrorBody>(&body) {
            Ok(err) => {
                let kind = OAuthErrorKind::parse(&err.error);
                let description = err
                    .error_description
                    .as_deref()
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| scrub(d, secrets));
                let hint = hint_for(flow, &kind, description.as_deref().unwrap_or(""));
                Err(TokenError::OAuth {
                    flow,
                    url: shown.to_string(),
                    status: status.as_u16(),
                    kind,
                    description,
                    hint,
                })
            }
            Err(_) => Err(TokenError::Malformed {
                flow,
                url: shown.to_string(),
                status: status.as_u16(),
                reason: "no OAuth error body".to_string(),
            }),
        }
    }

    /// `grant_type=refresh_token` (salesforce.md 4.2).
    pub async fn refresh_token(
        &self,
        client_id: &str,
        client_secret: Option<&Secret>,
        refresh_token: &Secret,
    ) -> Result<TokenResponse, TokenError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token.expose()),
            ("format", "json"),
        ];
        let mut secrets = vec![refresh_token];
        if let Some(s) = client_secret {
            form.push(("client_secret", s.expose()));
            secrets.push(s);
        }
        self.post(Flow::RefreshToken, &form, &secrets).await
    }

    /// The JWT bearer grant (salesforce.md 4.4): an RS256 assertion signed with `key_pem`.
    pub async fn jwt_bearer(
        &self,
        client_id: &str,
        username: &str,
        key_pem: &Secret,
        key_path: &str,
        now: SystemTime,
    ) -> Result<TokenResponse, TokenError> {
        let assertion = Secret::new(jwt_assertion(
            client_id,
            username,
            &jwt_audience(&self.login),
            key_pem,
            key_path,
            now,
        )?);
        let form = [("grant_type", JWT_BEARER_GRANT), ("assertion", assertion.expose())];
        self.post(Flow::JwtBearer, &form, &[key_pem, &assertion]).await
    }

    /// `grant_type=client_credentials` (salesforce.md 4.3): My Domain hosts only.
    pub async fn client_credentials(
        &self,
        client_id: &str,
        client_secret: &Secret,
    ) -> Result<TokenResponse, TokenError> {
        if is_generic_login_host(&self.login) {
            return Err(TokenError::ClientCredentialsNeedsMyDomain {
                host: self.login.host_str().unwrap_or_default().to_string(),
            });
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
        ];
        self.post(Flow::ClientCredentials, &form, &[client_secret]).await
    }

    /// `grant_type=password` (salesforce.md 4.5). Deprecated: the caller shows
    /// [`PASSWORD_FLOW_WARNING`] (returned in [`Obtained::warnings`] by [`obtain`]).
    pub async fn password(
        &self,
        username: &str,
        password: &Secret,
        client_id: Option<&str>,
        client_secret: Option<&Secret>,
    ) -> Result<TokenResponse, TokenError> {
        let mut form = vec![
            ("grant_type", "password"),
            ("username", username),
            ("password", password.expose()),
        ];
        let mut secrets = vec![password];
        if let Some(id) = client_id {
            form.push(("client_id", id));
        }
        if let Some(s) = client_secret {
            form.push(("client_secret", s.expose()));
            secrets.push(s);
        }
        self.post(Flow::UsernamePassword, &form, &secrets).await
    }
}

/// The JWT `aud`: `https://test.salesforce.com` for sandboxes (the test host or a
/// `*.sandbox.my.salesforce.com` My Domain), `https://login.salesforce.com` for production
/// hosts (login and `*.my.salesforce.com`), otherwise the login URL's own origin (an
/// Experience Cloud site, or 127.0.0.1 in tests).
pub fn jwt_audience(login: &Url) -> String {
    let host = login
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") {
        "https://test.salesforce.com".to_string()
    } else if host == "login.salesforce.com" || host.ends_with(".my.salesforce.com") {
        "https://login.salesforce.com".to_string()
    } else {
        login.as_str().trim_end_matches('/').to_string()
    }
}

/// The claims Salesforce reads from the assertion.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct JwtClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: u64,
}

/// Signs the assertion (RS256). Key errors name the file, never its contents.
pub fn jwt_assertion(
    client_id: &str,
    username: &str,
    audience: &str,
    key_pem: &Secret,
    key_path: &str,
    now: SystemTime,
) -> Result<String, TokenError> {
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.expose().as_bytes()).map_err(|_| TokenError::KeyInvalid {
            path: scrub(key_path, &[]),
        })?;
    let now = now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs();
    let claims = JwtClaims {
        iss: client_id.to_string(),
        sub: username.to_string(),
        aud: audience.to_string(),
        exp: now + JWT_LIFETIME_SECS,
    };
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_) | jsonwebtoken::errors::ErrorKind::InvalidKeyFormat => {
            TokenError::KeyInvalid {
                path: scrub(key_path, &[]),
            }
        }
        _ => TokenError::Sign(scrub(&e.to_string(), &[key_pem])),
    })
}

/// An access token in hand, where it goes, and what it can do.
#[derive(Debug, Clone)]
pub struct Obtained {
    pub flow: Flow,
    pub access_token: Secret,
    /// The instance the bearer token (and only it) goes to.
    pub instance_url: Url,
    /// Granted scopes; `None` when the flow does not say (an access token or CLI alias).
    pub scopes: Option<Vec<String>>,
    /// A rotated refresh token, when the response carried one (use it for the next refresh).
    pub refresh_token: Option<Secret>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub api_version: Option<String>,
    /// For the user (the username-password deprecation, ...).
    pub warnings: Vec<String>,
}

/// Where token and data requests go: `--login-url` and `--instance-url`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub login_url: Url,
    pub instance_url: Option<Url>,
}

impl Endpoints {
    pub fn parse(login_url: Option<&str>, instance_url: Option<&str>) -> Result<Self, UrlError> {
        Ok(Endpoints {
            login_url: login_url_from(login_url)?,
            instance_url: instance_url.map(|u| parse_base_url("instance URL", u)).transpose()?,
        })
    }
}

fn login_url_from(raw: Option<&str>) -> Result<Url, UrlError> {
    login_url(raw)
}

/// Gets an access token for `credential`: runs the CLI, takes the token from the
/// environment, or posts the grant. Call it again on `INVALID_SESSION_ID` when
/// [`Credential::can_refresh`].
pub async fn obtain(
    credential: &Credential,
    endpoints: &Endpoints,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    policy: &RetryPolicy,
) -> Result<Obtained, TokenError> {
    let flow = credential.flow();
    let named = endpoints.instance_url.as_ref();
    let from_cli = |auth: CliAuth| -> Result<Obtained, TokenError> {
        let instance = choose_instance(named, &endpoints.login_url, Some(&auth.instance_url))?;
        Ok(Obtained {
            flow,
            access_token: auth.access_token,
            instance_url: instance,
            scopes: None,
            refresh_token: None,
            org_id: auth.org_id,
            user_id: None,
            api_version: auth.api_version,
            warnings: Vec::new(),
        })
    };
    let client = || TokenClient::new(endpoints.login_url.clone(), policy.clone());
    let response = match credential {
        Credential::CliAlias { alias } => {
            let auth = credentials::cli_auth(alias, env, credentials::CLI_TIMEOUT)?;
            return from_cli(auth);
        }
        Credential::AccessToken { token, instance_url } => {
            // SF_INSTANCE_URL is the user's own word for the instance, as --instance-url is:
            // trusted like it (the two must agree when both are given).
            let from_env = parse_base_url("SF_INSTANCE_URL", instance_url)?;
            let instance = choose_instance(
                Some(named.unwrap_or(&from_env)),
                &endpoints.login_url,
                Some(from_env.as_str()),
            )?;
            return Ok(Obtained {
                flow,
                access_token: token.clone(),
                instance_url: instance,
                scopes: None,
                refresh_token: None,
                org_id: None,
                user_id: None,
                api_version: None,
                warnings: Vec::new(),
            });
        }
        Credential::RefreshToken {
            client_id,
            client_secret,
            refresh_token,
        } => {
            client()?
                .refresh_token(client_id, client_secret.as_ref(), refresh_token)
                .await?
        }
        Credential::JwtBearer {
            client_id,
            username,
            key_file,
        } => {
            let shown_path = scrub(&key_file.display().to_string(), &[]);
            let key = credentials::read_key_file(key_file).map_err(|e| TokenError::KeyFile {
                path: shown_path.clone(),
                reason: e.kind().to_string(),
            })?;
            client()?
                .jwt_bearer(client_id, username, &key, &shown_path, SystemTime::now())
                .await?
        }
        Credential::ClientCredentials {
            client_id,
            client_secret,
        } => client()?.client_credentials(client_id, client_secret).await?,
        Credential::UsernamePassword {
            username,
            password,
            client_id,
            client_secret,
        } => {
            client()?
                .password(username, password, client_id.as_deref(), client_secret.as_ref())
                .await?
        }
    };
    let instance = choose_instance(named, &endpoints.login_url, response.instance_url.as_deref())?;
    let ids = response.org_and_user();
    let mut warnings = Vec::new();
    if flow == Flow::UsernamePassword {
        warnings.push(PASSWORD_FLOW_WARNING.to_string());
    }
    Ok(Obtained {
        flow,
        scopes: Some(response.scopes()),
        access_token: response.access_token,
        instance_url: instance,
        refresh_token: response.refresh_token,
        org_id: ids.as_ref().map(|(o, _)| o.clone()),
        user_id: ids.map(|(_, u)| u),
        api_version: None,
        warnings,
    })
}

/// Why the auditing credential is broader than the audit needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum CredentialFindingKind {
    /// `full`: everything the user can do, including what `api` does not cover.
    FullAccess,
    /// `web`: the user's browser session.
    WebAccess,
    /// `refresh_token` / `offline_access` on a flow that never refreshes with it.
    UnneededRefreshToken,
    /// `api` missing: the audit's reads will be refused.
    MissingApi,
}

/// A finding about the audit set-up itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialFinding {
    pub kind: CredentialFindingKind,
    pub severity: crate::finding::Severity,
    /// The scope concerned.
    pub scope: String,
    pub message: String,
}

/// What the auditing credential can do beyond what the audit needs (`api`, plus
/// `refresh_token` for the refresh-token flow and the CLI, which refreshes its own tokens).
pub fn audit_credential_scope(flow: Flow, scopes: &[String]) -> Vec<CredentialFinding> {
    use crate::finding::Severity;
    let mut out = Vec::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("full") {
        out.push(CredentialFinding {
            kind: CredentialFindingKind::FullAccess,
            severity: Severity::High,
            scope: "full".into(),
            message:
                "the auditing credential holds `full` (all of the user's data and settings); the audit needs only `api`"
                    .into(),
        });
    }
    if has("web") {
        out.push(CredentialFinding {
            kind: CredentialFindingKind::WebAccess,
            severity: Severity::Medium,
            scope: "web".into(),
            message: "the auditing credential holds `web` (the user's browser session); the audit needs only `api`"
                .into(),
        });
    }
    let refresh_needed = matches!(flow, Flow::RefreshToken | Flow::CliAlias);
    for s in ["refresh_token", "offline_access"] {
        if has(s) && !refresh_needed {
            out.push(CredentialFinding {
                kind: CredentialFindingKind::UnneededRefreshToken,
                severity: Severity::Medium,
                scope: s.into(),
                message: format!("the auditing credential ({flow}) holds `{s}`, which this flow never uses: a long-lived token the audit does not need"),
            });
        }
    }
    if !has("api") && !has("full") {
        out.push(CredentialFinding {
            kind: CredentialFindingKind::MissingApi,
            severity: Severity::Info,
            scope: "api".into(),
            message: "the auditing credential lacks `api`: the org will refuse the audit's REST and Metadata reads"
                .into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn audience_by_host() {
        let a = |u: &str| jwt_audience(&login_url(Some(u)).unwrap());
        assert_eq!(a("https://login.salesforce.com"), "https://login.salesforce.com");
        assert_eq!(a("https://test.salesforce.com"), "https://test.salesforce.com");
        assert_eq!(a("https://acme.my.salesforce.com"), "https://login.salesforce.com");
        assert_eq!(
            a("https://acme--uat.sandbox.my.salesforce.com"),
            "https://test.salesforce.com"
        );
        assert_eq!(a("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(login_url(None).unwrap().as_str(), "https://login.salesforce.com/");
    }

    #[test]
    fn scope_findings() {
        use CredentialFindingKind::*;
        let kinds = |flow, v: &[&str]| -> Vec<CredentialFindingKind> {
            audit_credential_scope(flow, &s(v))
                .into_iter()
                .map(|f| f.kind)
                .collect()
        };
        assert_eq!(kinds(Flow::JwtBearer, &["api"]), vec![]);
        assert_eq!(kinds(Flow::RefreshToken, &["api", "refresh_token"]), vec![]);
        assert_eq!(
            kinds(Flow::JwtBearer, &["api", "refresh_token"]),
            vec![UnneededRefreshToken]
        );
        assert_eq!(
            kinds(Flow::ClientCredentials, &["full", "web", "refresh_token"]),
            vec![FullAccess, WebAccess, UnneededRefreshToken]
        );
        assert_eq!(kinds(Flow::RefreshToken, &["id"]), vec![MissingApi]);
    }

    #[test]
    fn identity_url_gives_org_and_user() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"x","id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS","scope":"api api refresh_token"}"#,
        )
        .unwrap();
        assert_eq!(
            t.org_and_user(),
            Some(("00Dxx0000001gPLEAY".into(), "005xx000001SwiUAAS".into()))
        );
        assert_eq!(t.scopes(), s(&["api", "refresh_token"]));
        assert!(!format!("{t:?}").contains("\"x\""));
    }

    #[test]
    fn error_codes_round_trip() {
        for code in [
            "invalid_grant",
            "invalid_client_id",
            "invalid_client",
            "invalid_request",
            "unsupported_grant_type",
            "unsupported_response_type",
            "inactive_user",
            "inactive_org",
            "rate_limit_exceeded",
        ] {
            let k = OAuthErrorKind::parse(code);
            assert!(!matches!(k, OAuthErrorKind::Other(_)), "{code}");
            assert_eq!(k.code(), code);
        }
    }
}
