//! Which credential the org audit uses, first match wins (SPEC section 6):
//!
//! 1. `--target-org ALIAS`: the Salesforce CLI's stored auth (`sf org display --json`);
//! 2. `SF_ACCESS_TOKEN` + `SF_INSTANCE_URL`;
//! 3. `SF_CLIENT_ID` + `SF_CLIENT_SECRET` + `SF_REFRESH_TOKEN` (refresh-token flow);
//! 4. `SF_CLIENT_ID` + `SF_USERNAME` + `SF_JWT_KEY_FILE` (JWT bearer);
//! 5. `SF_CLIENT_ID` + `SF_CLIENT_SECRET` (client credentials, My Domain only);
//! 6. `SF_USERNAME` + `SF_PASSWORD` (username-password, deprecated).
//!
//! Secrets come only from the environment, files (`SF_JWT_KEY_FILE`) or the CLI, never from
//! flags. Errors name variables, never their values. A variable that is set but not used by
//! the credential that matched is reported in [`Resolved::ignored`], not dropped silently.
//!
//! One reading of the order: `SF_PASSWORD` marks the username-password set. Salesforce's
//! username-password flow needs the client id and secret too, so a user of it sets
//! `SF_CLIENT_ID` + `SF_CLIENT_SECRET` + `SF_USERNAME` + `SF_PASSWORD`; read literally, rule 5
//! would turn that into a client-credentials login the user never asked for. Client
//! credentials never uses a password, so rule 5 matches only when `SF_PASSWORD` is unset.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::secret::{scrub, Secret};

pub const SF_ACCESS_TOKEN: &str = "SF_ACCESS_TOKEN";
pub const SF_INSTANCE_URL: &str = "SF_INSTANCE_URL";
pub const SF_CLIENT_ID: &str = "SF_CLIENT_ID";
pub const SF_CLIENT_SECRET: &str = "SF_CLIENT_SECRET";
pub const SF_REFRESH_TOKEN: &str = "SF_REFRESH_TOKEN";
pub const SF_USERNAME: &str = "SF_USERNAME";
pub const SF_JWT_KEY_FILE: &str = "SF_JWT_KEY_FILE";
pub const SF_PASSWORD: &str = "SF_PASSWORD";

/// Every variable the resolution reads, in SPEC order.
pub const ALL_VARS: &[&str] = &[
    SF_ACCESS_TOKEN,
    SF_INSTANCE_URL,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_REFRESH_TOKEN,
    SF_USERNAME,
    SF_JWT_KEY_FILE,
    SF_PASSWORD,
];

/// The deprecation warning every username-password login carries.
pub const PASSWORD_FLOW_WARNING: &str = "the username-password OAuth flow is deprecated by Salesforce and blocked by default in orgs created in Summer '23 or later (External Client Apps do not support it); use JWT bearer (SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE) or client credentials instead";

/// A credential, with its secrets behind [`Secret`]; `Debug` shows URLs without user info.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    CliAlias {
        alias: String,
    },
    AccessToken {
        token: Secret,
        instance_url: String,
    },
    RefreshToken {
        client_id: String,
        client_secret: Option<Secret>,
        refresh_token: Secret,
    },
    JwtBearer {
        client_id: String,
        username: String,
        /// `SF_JWT_KEY_FILE`: read when the token is requested.
        key_file: PathBuf,
    },
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    UsernamePassword {
        username: String,
        password: Secret,
        client_id: Option<String>,
        client_secret: Option<Secret>,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::CliAlias { alias } => f.debug_struct("CliAlias").field("alias", alias).finish(),
            Credential::AccessToken { token, instance_url } => f
                .debug_struct("AccessToken")
                .field("token", token)
                .field("instance_url", &super::http::shown_url(instance_url))
                .finish(),
            Credential::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => f
                .debug_struct("RefreshToken")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .field("refresh_token", refresh_token)
                .finish(),
            Credential::JwtBearer {
                client_id,
                username,
                key_file,
            } => f
                .debug_struct("JwtBearer")
                .field("client_id", client_id)
                .field("username", username)
                .field("key_file", key_file)
                .finish(),
            Credential::ClientCredentials {
                client_id,
                client_secret,
            } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .finish(),
            Credential::UsernamePassword {
                username,
                password,
                client_id,
                client_secret,
            } => f
                .debug_struct("UsernamePassword")
                .field("username", username)
                .field("password", password)
                .field("client_id", client_id)
                .field("client_secret", client_secret)
                .finish(),
        }
    }
}

/// The OAuth flow behind a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::Display, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum Flow {
    /// The Salesforce CLI's stored auth (the CLI refreshes it itself).
    CliAlias,
    AccessToken,
    RefreshToken,
    JwtBearer,
    ClientCredentials,
    UsernamePassword,
}

impl Flow {
    /// The flow a snapshot names: the spelling this type prints (`jwt-bearer`), or snake case
    /// (`jwt_bearer`), in any case.
    pub fn parse(name: &str) -> Option<Flow> {
        let wanted = name.trim().replace('_', "-").to_ascii_lowercase();
        <Flow as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .find(|f| <&'static str>::from(*f) == wanted)
    }
}

impl Credential {
    pub fn flow(&self) -> Flow {
        match self {
            Credential::CliAlias { .. } => Flow::CliAlias,
            Credential::AccessToken { .. } => Flow::AccessToken,
            Credential::RefreshToken { .. } => Flow::RefreshToken,
            Credential::JwtBearer { .. } => Flow::JwtBearer,
            Credential::ClientCredentials { .. } => Flow::ClientCredentials,
            Credential::UsernamePassword { .. } => Flow::UsernamePassword,
        }
    }

    /// After a refresh with rotation on, the response carries a new refresh token and the old
    /// one is invalidated (reusing it deletes the current one): keep the new one.
    pub fn rotate_refresh_token(&mut self, new: Option<Secret>) {
        if let (Credential::RefreshToken { refresh_token, .. }, Some(new)) = (self, new) {
            if !new.is_empty() {
                *refresh_token = new;
            }
        }
    }

    /// Whether an expired access token can be replaced without the user (a new grant).
    pub fn can_refresh(&self) -> bool {
        !matches!(self, Credential::AccessToken { .. })
    }
}

/// The credential that matched, what was set but not used, and warnings for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub credential: Credential,
    /// Variables that were set but that the matched credential does not use.
    pub ignored: Vec<&'static str>,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error("no Salesforce credential: pass --target-org ALIAS (Salesforce CLI), or set SF_ACCESS_TOKEN + SF_INSTANCE_URL, SF_CLIENT_ID + SF_CLIENT_SECRET + SF_REFRESH_TOKEN, SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE, SF_CLIENT_ID + SF_CLIENT_SECRET (My Domain only) or SF_USERNAME + SF_PASSWORD")]
    None,
    #[error("incomplete Salesforce credential: {set} {set_verb} set but {missing} {verb} not ({flow} needs {needs})", set_verb = are(set), verb = are(missing))]
    Partial {
        set: String,
        missing: String,
        flow: &'static str,
        needs: String,
    },
    #[error("{var} is set but empty")]
    Empty { var: &'static str },
    #[error("--target-org is empty")]
    EmptyAlias,
    #[error("the Salesforce CLI (`sf`) was not found on PATH: install it, or use SF_ACCESS_TOKEN + SF_INSTANCE_URL or another credential instead of --target-org")]
    CliNotFound,
    #[error("could not run the Salesforce CLI (`sf`): {0}")]
    CliSpawn(String),
    #[error("the Salesforce CLI (`sf {command}`) did not finish within {seconds} s")]
    CliTimeout { command: &'static str, seconds: u64 },
    #[error("the Salesforce CLI (`sf {command}`) failed for org {alias}: {name}: {message}")]
    CliFailed {
        command: &'static str,
        alias: String,
        name: String,
        message: String,
    },
    #[error("the Salesforce CLI (`sf {command}`) printed no JSON the tool understands ({reason})")]
    CliOutput { command: &'static str, reason: String },
    #[error("the Salesforce CLI gave no {field} for org {alias}")]
    CliMissing { field: &'static str, alias: String },
}

fn are(list: &str) -> &'static str {
    if list.contains(" and ") {
        "are"
    } else {
        "is"
    }
}

/// Picks the credential (see the module doc). `env` reads one variable; an empty value is an
/// error, not "unset", so a typo in a CI secret name does not fall through to another login.
pub fn resolve(env: &dyn Fn(&str) -> Option<String>, target_org: Option<&str>) -> Result<Resolved, CredentialError> {
    let mut values: Vec<(&'static str, String)> = Vec::new();
    for var in ALL_VARS {
        if let Some(v) = env(var) {
            if v.trim().is_empty() {
                return Err(CredentialError::Empty { var });
            }
            values.push((var, v));
        }
    }
    let get = |var: &str| values.iter().find(|(k, _)| *k == var).map(|(_, v)| v.clone());
    let has = |var: &str| get(var).is_some();
    let finish = |credential: Credential, used: &[&str]| {
        let ignored = ALL_VARS
            .iter()
            .copied()
            .filter(|v| has(v) && !used.contains(v))
            .collect();
        let mut warnings = Vec::new();
        if credential.flow() == Flow::UsernamePassword {
            warnings.push(PASSWORD_FLOW_WARNING.to_string());
        }
        Ok(Resolved {
            credential,
            ignored,
            warnings,
        })
    };
    let need = |var: &str| get(var).unwrap_or_default();

    if let Some(alias) = target_org {
        let alias = alias.trim();
        if alias.is_empty() {
            return Err(CredentialError::EmptyAlias);
        }
        return finish(
            Credential::CliAlias {
                alias: alias.to_string(),
            },
            &[],
        );
    }
    if has(SF_ACCESS_TOKEN) && has(SF_INSTANCE_URL) {
        return finish(
            Credential::AccessToken {
                token: Secret::new(need(SF_ACCESS_TOKEN)),
                instance_url: need(SF_INSTANCE_URL),
            },
            &[SF_ACCESS_TOKEN, SF_INSTANCE_URL],
        );
    }
    if has(SF_CLIENT_ID) && has(SF_REFRESH_TOKEN) {
        // The secret is optional: an app may not require it for refresh.
        return finish(
            Credential::RefreshToken {
                client_id: need(SF_CLIENT_ID),
                client_secret: get(SF_CLIENT_SECRET).map(Secret::new),
                refresh_token: Secret::new(need(SF_REFRESH_TOKEN)),
            },
            &[SF_CLIENT_ID, SF_CLIENT_SECRET, SF_REFRESH_TOKEN],
        );
    }
    if has(SF_CLIENT_ID) && has(SF_USERNAME) && has(SF_JWT_KEY_FILE) {
        return finish(
            Credential::JwtBearer {
                client_id: need(SF_CLIENT_ID),
                username: need(SF_USERNAME),
                key_file: PathBuf::from(need(SF_JWT_KEY_FILE)),
            },
            &[SF_CLIENT_ID, SF_USERNAME, SF_JWT_KEY_FILE],
        );
    }
    if has(SF_CLIENT_ID) && has(SF_CLIENT_SECRET) && !has(SF_PASSWORD) {
        return finish(
            Credential::ClientCredentials {
                client_id: need(SF_CLIENT_ID),
                client_secret: Secret::new(need(SF_CLIENT_SECRET)),
            },
            &[SF_CLIENT_ID, SF_CLIENT_SECRET],
        );
    }
    if has(SF_USERNAME) && has(SF_PASSWORD) {
        return finish(
            Credential::UsernamePassword {
                username: need(SF_USERNAME),
                password: Secret::new(need(SF_PASSWORD)),
                client_id: get(SF_CLIENT_ID),
                client_secret: get(SF_CLIENT_SECRET).map(Secret::new),
            },
            &[SF_USERNAME, SF_PASSWORD, SF_CLIENT_ID, SF_CLIENT_SECRET],
        );
    }
    Err(partial_error(&|v| has(v)))
}

/// The closest incomplete set, named by what is set and what is missing.
fn partial_error(has: &dyn Fn(&str) -> bool) -> CredentialError {
    const SETS: &[(&str, &[&str])] = &[
        ("an access token", &[SF_ACCESS_TOKEN, SF_INSTANCE_URL]),
        // SF_CLIENT_SECRET only when the app requires it for refresh.
        ("the refresh-token flow", &[SF_CLIENT_ID, SF_REFRESH_TOKEN]),
        ("the JWT bearer flow", &[SF_CLIENT_ID, SF_USERNAME, SF_JWT_KEY_FILE]),
        ("the client-credentials flow", &[SF_CLIENT_ID, SF_CLIENT_SECRET]),
        ("the username-password flow", &[SF_USERNAME, SF_PASSWORD]),
    ];
    if !ALL_VARS.iter().any(|v| has(v)) {
        return CredentialError::None;
    }
    // The set with most of its variables present (ties: SPEC order), among those that a
    // distinctive variable points to first.
    let distinctive = [
        (SF_ACCESS_TOKEN, 0usize),
        (SF_INSTANCE_URL, 0),
        (SF_REFRESH_TOKEN, 1),
        (SF_JWT_KEY_FILE, 2),
        (SF_PASSWORD, 4),
    ];
    let pick = distinctive
        .iter()
        .find(|(v, _)| has(v))
        .map(|(_, i)| *i)
        .unwrap_or_else(|| {
            // Most variables present wins; ties go to client credentials, then refresh
            // token, then JWT bearer (SF_CLIENT_ID alone: a secret is the likeliest miss).
            let mut best = 3usize;
            let mut best_n = 0;
            for i in [3usize, 1, 2, 4, 0] {
                let n = SETS[i].1.iter().filter(|v| has(v)).count();
                if n > best_n {
                    best = i;
                    best_n = n;
                }
            }
            best
        });
    let (flow, vars) = SETS[pick];
    let join = |list: Vec<&str>| list.join(" and ");
    CredentialError::Partial {
        set: join(vars.iter().copied().filter(|v| has(v)).collect()),
        missing: join(vars.iter().copied().filter(|v| !has(v)).collect()),
        flow,
        needs: vars.join(" + "),
    }
}

/// What the Salesforce CLI knows about an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliAuth {
    pub access_token: Secret,
    pub instance_url: String,
    pub username: Option<String>,
    pub org_id: Option<String>,
    pub api_version: Option<String>,
}

#[derive(Deserialize)]
struct CliEnvelope {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    result: Option<CliResult>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CliResult {
    access_token: Option<String>,
    instance_url: Option<String>,
    username: Option<String>,
    id: Option<String>,
    api_version: Option<String>,
}

/// How long one `sf` command may take (it may refresh the token first).
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);
const CLI_MAX_OUTPUT: u64 = 4 * 1024 * 1024;

/// The access token and instance of a CLI alias: `sf org display --target-org ALIAS --json`
/// (`result.instanceUrl`, `result.accessToken`). Since CLI 2.136.8 `org display` redacts the
/// token (`[REDACTED] Use 'sf org auth show-access-token' ...`); then
/// `sf org auth show-access-token --target-org ALIAS --json` gives it. `sf` is looked up on
/// the `PATH` that `env` gives (the process's own when unset).
pub fn cli_auth(
    alias: &str,
    env: &dyn Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<CliAuth, CredentialError> {
    let path = env("PATH");
    let display = run_sf(
        "org display",
        &["org", "display", "--target-org", alias, "--json"],
        alias,
        path.as_deref(),
        timeout,
    )?;
    let instance_url =
        display
            .instance_url
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CredentialError::CliMissing {
                field: "instanceUrl",
                alias: scrub(alias, &[]),
            })?;
    // A session id is `00D…!…`; anything else (`[REDACTED] Use …`, an older `***` mask) means
    // the token must be asked for explicitly.
    let token = match display.access_token {
        Some(t) if usable_cli_token(&t) && t.contains('!') => t,
        _ => {
            let shown = run_sf(
                "org auth show-access-token",
                &["org", "auth", "show-access-token", "--target-org", alias, "--json"],
                alias,
                path.as_deref(),
                timeout,
            )?;
            match shown.access_token {
                Some(t) if usable_cli_token(&t) => t,
                _ => {
                    return Err(CredentialError::CliMissing {
                        field: "accessToken",
                        alias: scrub(alias, &[]),
                    })
                }
            }
        }
    };
    Ok(CliAuth {
        access_token: Secret::new(token),
        instance_url,
        username: display.username,
        org_id: display.id,
        api_version: display.api_version,
    })
}

fn usable_cli_token(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty() && !t.contains("REDACTED") && !t.contains(char::is_whitespace)
}

fn run_sf(
    command: &'static str,
    args: &[&str],
    alias: &str,
    path: Option<&str>,
    timeout: Duration,
) -> Result<CliResult, CredentialError> {
    let mut cmd = Command::new("sf");
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // JSON errors on stdout too (newer CLIs write them to stderr otherwise), no colour,
        // no update check or telemetry noise.
        .env("SF_JSON_TO_STDOUT", "true")
        .env("NO_COLOR", "1")
        .env("SF_DISABLE_AUTOUPDATE", "true")
        .env("SF_DISABLE_TELEMETRY", "true");
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CredentialError::CliNotFound
        } else {
            CredentialError::CliSpawn(e.kind().to_string())
        }
    })?;
    let stdout = child.stdout.take().map(read_in_thread);
    let stderr = child.stderr.take().map(read_in_thread);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CredentialError::CliTimeout {
                    command,
                    seconds: timeout.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(CredentialError::CliSpawn(e.kind().to_string())),
        }
    };
    let out = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    let text = if out.iter().any(|b| !b.is_ascii_whitespace()) {
        out
    } else {
        err
    };
    let envelope: CliEnvelope = match serde_json::from_slice(&text) {
        Ok(e) => e,
        Err(e) => {
            let reason = if status.success() {
                format!("line {} column {}", e.line(), e.column())
            } else {
                format!("it exited with {status}")
            };
            return Err(CredentialError::CliOutput { command, reason });
        }
    };
    let failed = envelope.status != 0 || !status.success();
    if failed {
        // The CLI's message is untrusted text and might echo a token: scrubbed.
        return Err(CredentialError::CliFailed {
            command,
            alias: scrub(alias, &[]),
            name: scrub(envelope.name.as_deref().unwrap_or("error"), &[]),
            message: scrub(envelope.message.as_deref().unwrap_or("(no message)"), &[]),
        });
    }
    envelope.result.ok_or(CredentialError::CliOutput {
        command,
        reason: "no `result`".to_string(),
    })
}

fn read_in_thread<R: Read + Send + 'static>(r: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.take(CLI_MAX_OUTPUT).read_to_end(&mut buf);
        buf
    })
}

/// Reads the JWT key file (`SF_JWT_KEY_FILE`); errors name the file, never its contents.
pub fn read_key_file(path: &Path) -> Result<Secret, std::io::Error> {
    let bytes = std::fs::read(path)?;
    Ok(Secret::new(String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_snapshot_names_a_flow_in_either_spelling() {
        for (name, flow) in [
            ("jwt-bearer", Flow::JwtBearer),
            (" JWT_Bearer ", Flow::JwtBearer),
            ("refresh_token", Flow::RefreshToken),
            ("cli-alias", Flow::CliAlias),
        ] {
            assert_eq!(Flow::parse(name), Some(flow), "{name}");
        }
        assert_eq!(Flow::parse("device"), None);
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn token_like_cli_values() {
        assert!(usable_cli_token("00Dxx0000001gPL!AR8AQFAKE"));
        assert!(!usable_cli_token(
            "[REDACTED] Use 'sf org auth show-access-token' to view"
        ));
        assert!(!usable_cli_token(""));
        assert!(usable_cli_token("***"), "only display's value also needs a '!'");
    }

    #[test]
    fn flow_names() {
        assert_eq!(Flow::JwtBearer.to_string(), "jwt-bearer");
        assert_eq!(Flow::CliAlias.to_string(), "cli-alias");
    }

    #[test]
    fn empty_value_is_an_error_naming_the_variable() {
        let env = env_of(&[(SF_ACCESS_TOKEN, " "), (SF_INSTANCE_URL, "https://x")]);
        assert_eq!(
            resolve(&env, None).unwrap_err(),
            CredentialError::Empty { var: SF_ACCESS_TOKEN }
        );
    }
}
