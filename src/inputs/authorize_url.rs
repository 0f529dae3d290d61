//! OAuth authorize URLs (SPEC section 2): a Salesforce `/services/oauth2/authorize` or a HubSpot
//! `/oauth/authorize` or `/oauth/{accountId}/authorize`, recognized by the path on any host.
//! Given on the command line, or in a file: one URL per line (`#` comments), or a Windows
//! `.url` shortcut.
//!
//! URLs are read as a browser reads them (the WHATWG URL Standard, through the `url` crate), so
//! the host reported and checked is the host the browser visits: in
//! `https://evil.example\@app.hubspot.com/oauth/authorize` that is `evil.example`, since `\` ends
//! the host of an http(s) URL. Whether the host is one of the platform's own is recorded as the
//! `authorize_host_known` setting, for the `authorize-host-*` rules.
//!
//! A URL may carry a client secret, or a user name and password before the host; each is
//! recorded as a kind of committed secret and never repeated. A URL is named by its origin and
//! path only: never its user name, password or query.

use crate::model::{
    App, AppIdentity, AppSettings, AuthorizeHost, CallbackUrl, Flow, IdentityKind, InputKind, Integration, Note,
    NoteCode, Platform, Pos, RequestedScope, Requirement, Setting, Source,
};
use crate::source_file::FileError;
use crate::untrusted::capped;
use url::{Host, Url};

/// Whether a command-line input is a URL rather than a path.
pub fn looks_like_url(s: &str) -> bool {
    let s = s.trim_start();
    // `get` rather than slicing: the eighth byte may fall inside a multi-byte character.
    let scheme = |n: usize, want: &str| s.get(..n).is_some_and(|p| p.eq_ignore_ascii_case(want));
    s.len() > 8 && (scheme(8, "https://") || scheme(7, "http://"))
}

/// The longest path shown in a name or an error; a longer one is cut with `…`.
const MAX_SHOWN_PATH: usize = 200;

/// Reads an http(s) URL with a host, as a browser would. The error never repeats the input.
fn read(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        // The scheme is letters, digits, `+`, `-` and `.` only, so it is safe to show.
        return Err(format!(
            "a `{}:` URL is not an authorize URL; expected https://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("not a URL with a host".to_string());
    }
    Ok(url)
}

/// The host and, when it is not the scheme's default, the port: what the browser connects to.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Scheme, host, port and path: no user name, password, query or fragment. The `url` crate
/// has already percent-encoded spaces, controls and non-ASCII characters in the path.
fn origin_and_path(url: &Url) -> String {
    let path = url.path();
    let path = match path.char_indices().nth(MAX_SHOWN_PATH) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path.to_string(),
    };
    format!("{}://{}{path}", url.scheme(), authority(url))
}

/// The platform an authorize URL is for, by the end of its path (as the browser sends it,
/// after `\` became `/` and dot segments were resolved). Salesforce serves the endpoint under
/// any prefix (an Experience Cloud site's path); HubSpot's forms are matched the same way, so a
/// consent link that only looks like HubSpot's is audited (and its host reported) rather than
/// refused.
fn platform_of(url: &Url) -> Option<Platform> {
    let path = url.path().trim_end_matches('/').to_ascii_lowercase();
    if path.ends_with("/services/oauth2/authorize") {
        return Some(Platform::Salesforce);
    }
    let segments: Vec<&str> = path.rsplit('/').take(3).collect();
    let hubspot = match segments.as_slice() {
        ["authorize", "oauth", ..] => true,
        ["authorize", account, "oauth"] => !account.is_empty() && account.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    hubspot.then_some(Platform::Hubspot)
}

/// Whether the URL sends the browser to one of the platform's own consent hosts, on the
/// scheme's default port. HubSpot: `app.hubspot.com` and the regional `app-<region>.hubspot.com`
/// (`app-eu1`). Salesforce: `login.salesforce.com`, `test.salesforce.com`, My Domain hosts
/// (`*.my.salesforce.com`, sandbox forms included), Experience Cloud sites (`*.my.site.com`)
/// and `*.force.com`. Addresses and every other name are not known, whatever they look like.
fn is_known_host(platform: Platform, url: &Url) -> bool {
    let Some(Host::Domain(domain)) = url.host() else {
        return false;
    };
    if url.port().is_some() {
        return false;
    }
    // A fully qualified name (`app.hubspot.com.`) is the same host.
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let under = |suffix: &str| domain.strip_suffix(suffix).is_some_and(|sub| !sub.is_empty());
    match platform {
        Platform::Hubspot => domain
            .strip_suffix(".hubspot.com")
            .is_some_and(|label| label == "app" || label.strip_prefix("app-").is_some_and(is_region)),
        Platform::Salesforce => {
            matches!(domain, "login.salesforce.com" | "test.salesforce.com")
                || under(".my.salesforce.com")
                || under(".my.site.com")
                || under(".force.com")
        }
    }
}

/// A HubSpot region label: letters then digits (`eu1`, `na2`).
fn is_region(label: &str) -> bool {
    let digits = label.trim_start_matches(|c: char| c.is_ascii_lowercase());
    digits.len() < label.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// The parameters this reader knows an authorize request to have (Salesforce's and HubSpot's
/// together: a near miss of either is a slip).
const PARAMETERS: [&str; 14] = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "scope",
    "optional_scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "nonce",
    "display",
    "immediate",
];

/// The longest parameter or scope name repeated in a note.
const MAX_SHOWN_NAME: usize = 80;

/// Parameters that are a slip of a known one (`scopes`, `redirect_url`, `Scope`), each once,
/// with the one meant. Parameters far from every known one (`utm_source`) are the vendor's own
/// and left alone.
fn misspelled_parameters(query: &[(String, String)]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for (key, _) in query {
        if PARAMETERS.contains(&key.as_str()) || out.iter().any(|(k, _)| k == key) {
            continue;
        }
        if let Some(meant) = crate::suggest::nearest(key, PARAMETERS) {
            out.push((key.clone(), meant));
        }
    }
    out
}

/// Whether a URL names a user or password before its host.
fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// A redirect URI with its user name and password removed, when it has them.
fn without_credentials(redirect: &str) -> Option<String> {
    let mut url = Url::parse(redirect).ok()?;
    if !has_credentials(&url) {
        return None;
    }
    // Both succeed whenever the URL has credentials, since credentials need a host.
    let stripped = url.set_username("").is_ok() && url.set_password(None).is_ok();
    Some(if stripped {
        url.into()
    } else {
        "(a redirect URI with credentials)".to_string()
    })
}

/// Reads one authorize URL into an app. `path` and `line` say where it was found; a URL from
/// the command line has no line.
pub fn parse_url(path: &str, url: &str, line: Option<u32>) -> Result<App, FileError> {
    let url = url.trim();
    let error = |message: String| match line {
        Some(l) => FileError::at(path, l as usize, None, message),
        None => FileError::new(path, message),
    };
    let parsed = read(url).map_err(error)?;
    let platform = platform_of(&parsed).ok_or_else(|| {
        error(format!(
            "`{}` is not a Salesforce (/services/oauth2/authorize) or HubSpot (app.hubspot.com/oauth/authorize) authorize URL",
            origin_and_path(&parsed)
        ))
    })?;
    let host = authority(&parsed);
    let mut query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let at = line.map(Pos::line);
    let mut notes = Vec::new();
    // Whether the platform sees `scope`: a misspelled one is read below, but not by it.
    let scope_given = query.iter().any(|(k, _)| k == "scope");
    let response_type_given = query.iter().any(|(k, _)| k == "response_type");
    for (key, meant) in misspelled_parameters(&query) {
        let read_as = matches!(meant, "scope" | "optional_scope" | "redirect_uri" | "client_secret");
        let how = if read_as {
            format!(" (audited here as `{meant}`)")
        } else {
            String::new()
        };
        notes.push(Note {
            code: NoteCode::UnknownElement,
            message: format!(
                "`{}` is not a parameter {} reads; did you mean `{meant}`?{how}",
                capped(&key, MAX_SHOWN_NAME),
                platform.display_name()
            ),
            at,
        });
        if read_as {
            for (k, _) in query.iter_mut().filter(|(k, _)| *k == key) {
                *k = meant.to_string();
            }
        }
    }
    let mut note = |code: NoteCode, message: String| notes.push(Note { code, message, at });
    let values = |key: &str| -> Vec<&str> {
        query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let mut scopes = Vec::new();
    let mut read_scopes = |key: &str, requirement: Requirement, note: &mut dyn FnMut(NoteCode, String)| {
        let found = values(key);
        if found.len() > 1 {
            note(
                NoteCode::Repeated,
                format!("`{key}` appears {} times; all were read", found.len()),
            );
        }
        let mut comma_joined: Option<&str> = None;
        for name in found.iter().flat_map(|v| v.split_whitespace()) {
            // `api,refresh_token`: one name to the platform, two scopes to the vendor. Each
            // is audited, and the separator is reported.
            if name.contains(',') {
                comma_joined.get_or_insert(name);
            }
            for name in name.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                scopes.push(RequestedScope {
                    name: name.to_string(),
                    requirement,
                    justification: None,
                    at,
                });
            }
        }
        if let Some(joined) = comma_joined {
            let joined = capped(joined, MAX_SHOWN_NAME);
            note(
                NoteCode::InvalidValue,
                match platform {
                    Platform::Salesforce => format!(
                        "`{key}` separates scopes with commas (`{joined}`), but Salesforce splits on spaces: it sees one scope no app allows and fails with `invalid_scope`"
                    ),
                    Platform::Hubspot => format!(
                        "`{key}` separates scopes with commas (`{joined}`), but HubSpot splits on spaces: it sees one scope the app is not configured with and fails the install"
                    ),
                },
            );
        }
        found.len()
    };
    read_scopes("scope", Requirement::Required, &mut note);
    match platform {
        Platform::Hubspot => {
            read_scopes("optional_scope", Requirement::Optional, &mut note);
        }
        Platform::Salesforce if !values("optional_scope").is_empty() => {
            note(
                NoteCode::Ineffective,
                "`optional_scope` is a HubSpot parameter; Salesforce ignores it".to_string(),
            );
        }
        Platform::Salesforce => {}
    }
    let mut settings = AppSettings {
        authorize_host: Some(AuthorizeHost {
            known: is_known_host(platform, &parsed),
            host: host.clone(),
        }),
        scope_parameter: Some(scope_given),
        ..AppSettings::default()
    };
    // Kinds of secret, in the order found; the values are never kept.
    let mut secrets = Vec::new();
    if has_credentials(&parsed) {
        secrets.push("user name or password in an authorize URL");
    }
    if !values("client_secret").is_empty() {
        secrets.push("client secret in an authorize URL");
    }
    for redirect in values("redirect_uri") {
        let redirect = redirect.trim();
        if redirect.is_empty() {
            note(NoteCode::EmptyValue, "`redirect_uri` is empty".to_string());
            continue;
        }
        let url = match without_credentials(redirect) {
            Some(stripped) => {
                secrets.push("user name or password in a redirect_uri");
                stripped
            }
            None => redirect.to_string(),
        };
        settings.callback_urls.push(CallbackUrl { url, at });
    }
    for kind in secrets {
        if !settings.committed_secrets.iter().any(|k| k == kind) {
            settings.committed_secrets.push(kind.to_string());
        }
    }
    let challenge = values("code_challenge");
    settings.pkce_used = Some(challenge.iter().any(|c| !c.trim().is_empty()));
    if values("code_challenge_method")
        .iter()
        .any(|m| m.eq_ignore_ascii_case("plain"))
    {
        note(
            NoteCode::Ineffective,
            "`code_challenge_method=plain` sends the PKCE verifier in the clear; use S256".to_string(),
        );
    }
    let mut flows = Vec::new();
    let response_types: Vec<&str> = values("response_type")
        .iter()
        .flat_map(|v| v.split_whitespace())
        .collect();
    if response_types.contains(&"token") {
        flows.push(Flow::UserAgent);
    }
    if response_types.contains(&"code") || (platform == Platform::Hubspot && response_types.is_empty()) {
        flows.push(Flow::AuthorizationCode);
    }
    if platform == Platform::Salesforce && !response_type_given {
        note(
            NoteCode::Missing,
            "no `response_type`: Salesforce rejects the request".to_string(),
        );
    }
    if let Some(pos) = at {
        for name in [
            Setting::CallbackUrls,
            Setting::PkceUsed,
            Setting::CommittedSecrets,
            Setting::AuthorizeHost,
            Setting::AuthorizeHostKnown,
            Setting::ScopeParameter,
        ] {
            settings.at.insert(name, pos);
        }
    }
    let client = values("client_id")
        .first()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let name = match &client {
        Some(c) if c.chars().count() > 12 => {
            let head: String = c.chars().take(12).collect();
            format!("{} authorize URL (client {head}…)", platform.display_name())
        }
        Some(c) => format!("{} authorize URL (client {c})", platform.display_name()),
        None => format!("{} authorize URL ({host})", platform.display_name()),
    };
    let identity = match client {
        Some(c) => AppIdentity::new(IdentityKind::ClientId, c),
        None => AppIdentity::new(IdentityKind::Label, name.clone()),
    };
    Ok(App {
        name,
        identity,
        vendor: None,
        platform,
        description: None,
        source: Source::single(path, InputKind::AuthorizeUrl),
        at,
        integration: Integration {
            flows,
            ..Integration::default()
        },
        integration_at: at,
        scopes,
        tools: Vec::new(),
        tools_at: None,
        settings,
        notes,
        org: None,
        matches: Vec::new(),
        consumer_key: None,
        approval: Default::default(),
    })
}

/// How a URL given on the command line is named in reports: scheme, host, port and path as the
/// browser reads them, never the user name, password or query (which may hold secrets).
pub fn display_name(url: &str) -> String {
    match read(url) {
        Ok(parsed) => origin_and_path(&parsed),
        Err(_) => "authorize URL".to_string(),
    }
}

/// A command-line argument as it may be shown in an error: any `user:password@` of something
/// URL-shaped is taken out, even when it is not an authorize URL (`ftp://user:pass@host`).
pub fn shown_argument(raw: &str) -> std::borrow::Cow<'_, str> {
    let Some(scheme_end) = raw.find(':') else {
        return std::borrow::Cow::Borrowed(raw);
    };
    let url_shaped = raw.contains('@')
        && scheme_end > 0
        && raw[..scheme_end]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !url_shaped {
        return std::borrow::Cow::Borrowed(raw);
    }
    match url::Url::parse(raw) {
        Ok(mut url) if has_credentials(&url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            std::borrow::Cow::Owned(url.to_string())
        }
        Ok(_) => std::borrow::Cow::Borrowed(raw),
        // Not parseable: whatever stands before the last `@` may be a credential.
        Err(_) => std::borrow::Cow::Owned(format!(
            "{}://…@{}",
            &raw[..scheme_end],
            raw.rsplit('@').next().unwrap_or("")
        )),
    }
}

/// Reads a file of authorize URLs: one per line, blank lines and `#` comments skipped, or a
/// Windows internet shortcut (`[InternetShortcut]` with `URL=`).
pub fn parse_file(path: &str, text: &str) -> Result<Vec<App>, FileError> {
    let mut apps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut entry = raw.trim();
        if entry.is_empty() || entry.starts_with('#') || entry.starts_with('[') {
            continue;
        }
        if let Some(rest) = entry.strip_prefix("URL=").or_else(|| entry.strip_prefix("url=")) {
            entry = rest.trim();
        } else if entry.contains('=') && !looks_like_url(entry) {
            // Other keys of an internet shortcut (IconIndex=0 and the like).
            continue;
        }
        if !looks_like_url(entry) {
            return Err(FileError::at(
                path,
                i + 1,
                None,
                "expected an authorize URL (https://…) on this line",
            ));
        }
        apps.push(parse_url(path, entry, Some(line))?);
    }
    if apps.is_empty() {
        return Err(FileError::new(path, "no authorize URL in the file"));
    }
    Ok(apps)
}

/// Whether a text is a file of authorize URLs, by its first meaningful line.
pub fn looks_like_url_file(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| looks_like_url(l) || l.eq_ignore_ascii_case("[InternetShortcut]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_lose_their_credentials_before_being_shown() {
        assert_eq!(shown_argument("ftp://user:pass@host/x"), "ftp://host/x");
        assert_eq!(shown_argument("https:/user:pass@host/x"), "https://host/x");
        assert_eq!(
            shown_argument("node_modules/@scope/app.yaml"),
            "node_modules/@scope/app.yaml"
        );
        assert_eq!(shown_argument("plain.yaml"), "plain.yaml");
        assert!(!shown_argument("weird://us er:pa ss@[bad").contains("pa ss"));
    }

    #[test]
    fn url_detection_survives_multibyte_text() {
        // Found by the authorize_url fuzz target: byte 7 or 8 inside a character.
        assert!(!looks_like_url("httpé://x.example"));
        assert!(!looks_like_url("https:/é.example"));
        assert!(!looks_like_url("ééééééé"));
        assert!(parse_file("f", "#x\nhttps:/é\n").is_err());
        assert!(looks_like_url("https://é.example"));
    }

    /// The host the app reports, and whether it is the platform's own.
    fn host_of(app: &App) -> (&str, bool) {
        let host = app.settings.authorize_host.as_ref().expect("an authorize host");
        (host.host.as_str(), host.known)
    }

    #[test]
    fn query_values_decode_percent_and_plus() {
        let url = "https://app.hubspot.com/oauth/authorize?scope=a%20b+c%2Fd+%C3%A9t%C3%A9+100%&optional_scope=%zz";
        let app = parse_url("u", url, None).unwrap();
        let names: Vec<&str> = app.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c/d", "été", "100%", "%zz"]);
    }

    #[test]
    fn a_backslash_ends_the_host_as_in_a_browser() {
        // `\` is a path separator in http(s) URLs: the browser goes to evil.example.
        let url = "https://evil.example\\@app.hubspot.com/oauth/authorize?client_id=x&scope=oauth";
        let app = parse_url("u", url, Some(1)).unwrap();
        assert_eq!(app.platform, Platform::Hubspot);
        assert_eq!(host_of(&app), ("evil.example", false));
        assert_eq!(app.settings.at.get(&Setting::AuthorizeHostKnown), Some(&Pos::line(1)));
        assert_eq!(
            display_name(url),
            "https://evil.example/@app.hubspot.com/oauth/authorize"
        );
        // The mirror image goes to HubSpot, whatever the text after the host says.
        let app = parse_url(
            "u",
            "https://app.hubspot.com\\@evil.example/oauth/authorize?scope=oauth",
            None,
        )
        .unwrap();
        assert_eq!(host_of(&app), ("app.hubspot.com", true));
        // Backslashes throughout still form the HubSpot path.
        let app = parse_url("u", "https://evil.example\\oauth\\authorize?scope=oauth", None).unwrap();
        assert_eq!(
            (app.platform, host_of(&app)),
            (Platform::Hubspot, ("evil.example", false))
        );
    }

    #[test]
    fn credentials_before_the_host_are_a_secret_never_kept() {
        let url = "https://app.hubspot.com:hunter2pass@evil.example/oauth/authorize?client_id=x&scope=oauth&redirect_uri=https%3A%2F%2Fbob%3Aredirectpw%40cb.example%2Fcb";
        let app = parse_url("u", url, Some(4)).unwrap();
        assert_eq!(host_of(&app), ("evil.example", false));
        assert_eq!(
            app.settings.committed_secrets,
            [
                "user name or password in an authorize URL",
                "user name or password in a redirect_uri"
            ]
        );
        assert_eq!(app.settings.callback_urls[0].url, "https://cb.example/cb");
        let name = display_name(url);
        assert_eq!(name, "https://evil.example/oauth/authorize");
        // Nothing kept about the app holds the password or user name.
        let everything = format!("{app:?} {name}");
        for secret in ["hunter2pass", "redirectpw", "bob", "app.hubspot.com"] {
            assert!(!everything.contains(secret), "{secret} kept: {everything}");
        }
        // A user name alone is userinfo too; an empty one is nothing.
        let app = parse_url(
            "u",
            "https://token@acme.my.salesforce.com/services/oauth2/authorize?response_type=code",
            None,
        )
        .unwrap();
        assert_eq!(host_of(&app), ("acme.my.salesforce.com", true));
        assert_eq!(
            app.settings.committed_secrets,
            ["user name or password in an authorize URL"]
        );
        let app = parse_url("u", "https://@app.hubspot.com/oauth/authorize?scope=oauth", None).unwrap();
        assert!(app.settings.committed_secrets.is_empty());
        // Errors name the URL without its credentials either.
        let err = parse_url("u", "https://user:hunter2pass@evil.example/other", None).unwrap_err();
        assert!(err.message.contains("`https://evil.example/other`"), "{err}");
        assert!(!err.to_string().contains("hunter2pass"), "{err}");
    }

    #[test]
    fn international_and_encoded_hosts_are_read_as_the_browser_reads_them() {
        let host = |url: &str| {
            let app = parse_url("u", url, None).unwrap();
            let (host, known) = host_of(&app);
            (host.to_string(), known)
        };
        // A Cyrillic `а` is another host (punycode); full-width letters and upper case are the
        // same host after IDNA mapping.
        let (cyrillic, known) = host("https://\u{430}pp.hubspot.com/oauth/authorize?scope=oauth");
        assert!(
            cyrillic.starts_with("xn--") && cyrillic.ends_with(".hubspot.com") && !known,
            "{cyrillic}"
        );
        assert_eq!(
            host("https://\u{ff41}\u{ff50}\u{ff50}.hubspot.com/oauth/authorize?scope=oauth"),
            ("app.hubspot.com".to_string(), true)
        );
        assert_eq!(
            host("HTTPS://APP-EU1.HubSpot.COM/oauth/authorize?scope=oauth"),
            ("app-eu1.hubspot.com".to_string(), true)
        );
        // Percent-encoding in a host is decoded before the host is read.
        assert_eq!(
            host("https://app%2Ehubspot%2Ecom/oauth/authorize?scope=oauth"),
            ("app.hubspot.com".to_string(), true)
        );
        assert!(parse_url("u", "https://app.hubspot.com%2F.evil.example/oauth/authorize", None).is_err());
        // Addresses, ports and look-alikes are not HubSpot's hosts.
        assert_eq!(
            host("https://[::1]/oauth/authorize?scope=oauth"),
            ("[::1]".to_string(), false)
        );
        assert_eq!(
            host("https://0x7f.1/services/oauth2/authorize?response_type=code"),
            ("127.0.0.1".to_string(), false)
        );
        assert_eq!(
            host("https://app.hubspot.com:8443/oauth/authorize?scope=oauth"),
            ("app.hubspot.com:8443".to_string(), false)
        );
        assert_eq!(
            host("https://app.hubspot.com:443/oauth/authorize?scope=oauth"),
            ("app.hubspot.com".to_string(), true)
        );
        assert_eq!(
            host("https://app.hubspot.com./oauth/authorize?scope=oauth"),
            ("app.hubspot.com.".to_string(), true)
        );
        assert!(parse_url("u", "https://[::1/oauth/authorize", None).is_err());
    }

    #[test]
    fn known_hosts_are_the_platforms_own() {
        let known = |platform: Platform, host: &str| {
            let path = match platform {
                Platform::Salesforce => "services/oauth2/authorize?response_type=code",
                Platform::Hubspot => "oauth/authorize?scope=oauth",
            };
            let app = parse_url("u", &format!("https://{host}/{path}"), None).unwrap();
            assert_eq!(app.platform, platform);
            host_of(&app).1
        };
        for host in [
            "app.hubspot.com",
            "app-eu1.hubspot.com",
            "app-na2.hubspot.com",
            "app-ap1.hubspot.com",
        ] {
            assert!(known(Platform::Hubspot, host), "{host}");
        }
        for host in [
            "api.hubspot.com",
            "hubspot.com",
            "app-.hubspot.com",
            "app-eu.hubspot.com",
            "app-1.hubspot.com",
            "app-eu1x.hubspot.com",
            "x.app.hubspot.com",
            "app.hubspot.com.evil.example",
            "evilhubspot.com",
            "app.hubspot.co",
        ] {
            assert!(!known(Platform::Hubspot, host), "{host}");
        }
        for host in [
            "login.salesforce.com",
            "test.salesforce.com",
            "acme.my.salesforce.com",
            "acme--uat.sandbox.my.salesforce.com",
            "acme.my.site.com",
            "acme--uat.sandbox.my.site.com",
            "acme.lightning.force.com",
            "acme.force.com",
        ] {
            assert!(known(Platform::Salesforce, host), "{host}");
        }
        for host in [
            "evil.example",
            "login.salesforce.com.evil.example",
            "my.salesforce.com",
            "na1.salesforce.com",
            "salesforce.com",
            "force.com",
            "evil-force.com",
            "visualforce.com",
            "acme.my.salesforce.com.evil.example",
        ] {
            assert!(!known(Platform::Salesforce, host), "{host}");
        }
    }

    #[test]
    fn hostile_urls_never_panic_and_never_pass_as_authorize_urls() {
        for bad in [
            "javascript:alert(1)//app.hubspot.com/oauth/authorize",
            "data:text/html,https://app.hubspot.com/oauth/authorize",
            "file:///oauth/authorize",
            "https://",
            "",
            "https://exa mple.com/oauth/authorize",
            "https://\u{1b}[31m.example/oauth/authorize",
            "https://a\u{0}b/oauth/authorize",
        ] {
            assert!(parse_url("u", bad, Some(1)).is_err(), "{bad:?}");
            assert_eq!(display_name(bad), "authorize URL", "{bad:?}");
        }
        // As in a browser, extra slashes before the host are skipped: the host is `oauth`.
        assert_eq!(display_name("https:///oauth/authorize"), "https://oauth/authorize");
        assert!(parse_url("u", "https:///oauth/authorize", None).is_err());
        let err = parse_url("u", "javascript:alert(1)//app.hubspot.com/oauth/authorize", None).unwrap_err();
        assert!(err.message.contains("`javascript:`"), "{err}");
        assert!(!looks_like_url(
            "javascript:alert(1)//https://app.hubspot.com/oauth/authorize"
        ));
        // Tabs and newlines inside a URL are dropped (as browsers do); other controls and
        // non-ASCII in the path are percent-encoded, so names stay printable.
        let url = "https://app.hub\tspot.com/oauth/\u{1b}[2J/../authorize\n?scope=oauth%20crm.objects.deals.read";
        let app = parse_url("u", url, None).unwrap();
        assert_eq!(host_of(&app), ("app.hubspot.com", true));
        assert_eq!(app.scopes.len(), 2);
        let name = display_name("https://app.hubspot.com/\u{1b}[2J\u{7}é/oauth/authorize?scope=x");
        assert_eq!(name, "https://app.hubspot.com/%1B[2J%07%C3%A9/oauth/authorize");
        assert!(parse_url(
            "u",
            "https://app.hubspot.com/\u{1b}]8;;x\u{7}/oauth/authorize?scope=%1B",
            None
        )
        .is_ok());
        // A very long path is cut in names and errors.
        let long = format!("https://evil.example/{}", "a".repeat(100_000));
        let err = parse_url("u", &long, None).unwrap_err();
        assert!(
            err.message.len() < 400 && err.message.contains('…'),
            "{}",
            err.message.len()
        );
    }

    #[test]
    fn a_hundred_thousand_scopes_read_in_linear_time() {
        let names: Vec<String> = (0..100_000).map(|i| format!("s{i}")).collect();
        let url = format!(
            "https://app.hubspot.com/oauth/authorize?scope={}&scope=again&optional_scope={}",
            names.join("+"),
            names.join("%20")
        );
        let started = std::time::Instant::now();
        let app = parse_url("u", &url, Some(1)).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(app.scopes.len(), 200_001);
        assert!(app.notes.iter().any(|n| n.message.contains("`scope` appears 2 times")));
        // Linear work takes milliseconds even unoptimized; quadratic work takes minutes.
        assert!(elapsed < std::time::Duration::from_secs(3), "{elapsed:?}");
    }

    #[test]
    fn reads_a_salesforce_url_on_a_my_domain_host() {
        let url = "https://acme.my.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9abcdefghijklmnop&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=api%20refresh_token+openid&code_challenge=abc&code_challenge_method=S256";
        let app = parse_url("u", url, Some(3)).unwrap();
        assert_eq!(app.platform, Platform::Salesforce);
        assert_eq!(app.name, "Salesforce authorize URL (client 3MVG9abcdefg…)");
        let names: Vec<&str> = app.scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["api", "refresh_token", "openid"]);
        assert_eq!(app.settings.callback_urls[0].url, "https://app.example/cb");
        assert_eq!(app.settings.pkce_used, Some(true));
        assert_eq!(app.integration.flows, [Flow::AuthorizationCode]);
        assert!(app.notes.is_empty(), "{:?}", app.notes);
    }

    #[test]
    fn reads_a_hubspot_url_with_optional_scopes() {
        let url = "https://app-eu1.hubspot.com/oauth/12345/authorize?client_id=5f0c&redirect_uri=https://a.example/cb&scope=oauth%20crm.objects.deals.read&optional_scope=automation+content&client_secret=s3cr3tvalue";
        let app = parse_url("u", url, None).unwrap();
        assert_eq!(app.platform, Platform::Hubspot);
        let scopes: Vec<(&str, Requirement)> = app.scopes.iter().map(|s| (s.name.as_str(), s.requirement)).collect();
        assert_eq!(
            scopes,
            [
                ("oauth", Requirement::Required),
                ("crm.objects.deals.read", Requirement::Required),
                ("automation", Requirement::Optional),
                ("content", Requirement::Optional),
            ]
        );
        assert_eq!(app.settings.pkce_used, Some(false));
        assert_eq!(app.settings.committed_secrets, ["client secret in an authorize URL"]);
        assert_eq!(display_name(url), "https://app-eu1.hubspot.com/oauth/12345/authorize");
    }

    #[test]
    fn refuses_other_urls_and_reads_files() {
        let err = parse_url("u", "https://accounts.google.com/o/oauth2/auth?scope=x", None).unwrap_err();
        assert!(err.message.contains("not a Salesforce"), "{err}");
        // A platform's path on another host is read, so that the host can be reported.
        let app = parse_url("u", "https://evil.example/oauth/authorize?scope=x", None).unwrap();
        assert_eq!(
            (app.platform, host_of(&app)),
            (Platform::Hubspot, ("evil.example", false))
        );
        assert_eq!(app.name, "HubSpot authorize URL (evil.example)");
        assert!(parse_url("u", "https://evil.example/oauth/12ab/authorize?scope=x", None).is_err());
        let file = "[InternetShortcut]\nURL=https://login.salesforce.com/services/oauth2/authorize?response_type=token&scope=full\nIconIndex=0\n";
        let apps = parse_file("x.url", file).unwrap();
        assert_eq!(apps[0].integration.flows, [Flow::UserAgent]);
        assert_eq!(apps[0].scopes[0].at, Some(Pos::line(2)));
        assert!(looks_like_url_file(file));
        let err = parse_file("x.txt", "# consent links\nnot a url\n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
