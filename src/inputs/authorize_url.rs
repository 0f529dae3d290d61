//! OAuth authorize URLs (SPEC section 2): a Salesforce `/services/oauth2/authorize` on any
//! host (login, test, any My Domain or Experience Cloud site), or a HubSpot
//! `/oauth/authorize` or `/oauth/{accountId}/authorize`. Given on the command line, or in a
//! file: one URL per line (`#` comments), or a Windows `.url` shortcut.
//!
//! A URL may carry a client secret; it is recorded as a kind of committed secret and never
//! repeated, and a URL given on the command line is named by its origin and path only.

use crate::model::{
    App, AppSettings, CallbackUrl, Flow, InputKind, Integration, Note, Platform, Pos, RequestedScope, Requirement,
    Source,
};
use crate::source_file::FileError;

/// Whether a command-line input is a URL rather than a path.
pub fn looks_like_url(s: &str) -> bool {
    let s = s.trim_start();
    // `get` rather than slicing: the eighth byte may fall inside a multi-byte character.
    let scheme = |n: usize, want: &str| s.get(..n).is_some_and(|p| p.eq_ignore_ascii_case(want));
    s.len() > 8 && (scheme(8, "https://") || scheme(7, "http://"))
}

/// Decodes `%XX` escapes and `+` (a space in query strings). Invalid escapes stay as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parts of a URL this reader needs.
struct Url<'a> {
    origin: &'a str,
    host: String,
    path: &'a str,
    query: Vec<(String, String)>,
}

fn split_url(url: &str) -> Option<Url<'_>> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    let after = &rest[authority_end..];
    let without_fragment = after.split('#').next().unwrap_or(after);
    let (path, query) = match without_fragment.split_once('?') {
        Some((p, q)) => (p, q),
        None => (without_fragment, ""),
    };
    let query = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(kv), String::new()),
        })
        .collect();
    Some(Url {
        origin: &url[..scheme_end + 3 + authority_end],
        host,
        path,
        query,
    })
}

fn platform_of(url: &Url) -> Option<Platform> {
    let path = url.path.trim_end_matches('/').to_ascii_lowercase();
    if path.ends_with("/services/oauth2/authorize") {
        return Some(Platform::Salesforce);
    }
    let hubspot_host = url.host == "hubspot.com" || url.host.ends_with(".hubspot.com");
    let segments: Vec<&str> = path.split('/').collect();
    let hubspot_path = match segments.as_slice() {
        ["", "oauth", "authorize"] => true,
        ["", "oauth", account, "authorize"] => account.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    (hubspot_host && hubspot_path).then_some(Platform::Hubspot)
}

/// Reads one authorize URL into an app. `path` and `line` say where it was found; a URL from
/// the command line has no line.
pub fn parse_url(path: &str, url: &str, line: Option<u32>) -> Result<App, FileError> {
    let url = url.trim();
    let error = |message: String| match line {
        Some(l) => FileError::at(path, l as usize, None, message),
        None => FileError::new(path, message),
    };
    let parts = split_url(url).ok_or_else(|| error("not a URL with a host".to_string()))?;
    let platform = platform_of(&parts).ok_or_else(|| {
        error(format!(
            "`{}{}` is not a Salesforce (/services/oauth2/authorize) or HubSpot (app.hubspot.com/oauth/authorize) authorize URL",
            parts.origin, parts.path
        ))
    })?;
    let at = line.map(Pos::line);
    let mut notes = Vec::new();
    let mut note = |message: String| notes.push(Note { message, at });
    let values = |key: &str| -> Vec<&str> {
        parts
            .query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let mut scopes = Vec::new();
    let mut read_scopes = |key: &str, requirement: Requirement, note: &mut dyn FnMut(String)| {
        let found = values(key);
        if found.len() > 1 {
            note(format!("`{key}` appears {} times; all were read", found.len()));
        }
        for name in found.iter().flat_map(|v| v.split_whitespace()) {
            scopes.push(RequestedScope {
                name: name.to_string(),
                requirement,
                justification: None,
                at,
            });
        }
        found.len()
    };
    if read_scopes("scope", Requirement::Required, &mut note) == 0 {
        note(match platform {
            Platform::Salesforce => {
                "no `scope` parameter: Salesforce grants every scope the connected app allows".to_string()
            }
            Platform::Hubspot => "no `scope` parameter: HubSpot rejects the install".to_string(),
        });
    }
    match platform {
        Platform::Hubspot => {
            read_scopes("optional_scope", Requirement::Optional, &mut note);
        }
        Platform::Salesforce if !values("optional_scope").is_empty() => {
            note("`optional_scope` is a HubSpot parameter; Salesforce ignores it".to_string());
        }
        Platform::Salesforce => {}
    }
    let mut settings = AppSettings::default();
    for redirect in values("redirect_uri") {
        if redirect.trim().is_empty() {
            note("`redirect_uri` is empty".to_string());
        } else {
            settings.callback_urls.push(CallbackUrl {
                url: redirect.trim().to_string(),
                at,
            });
        }
    }
    let challenge = values("code_challenge");
    settings.pkce_used = Some(challenge.iter().any(|c| !c.trim().is_empty()));
    if values("code_challenge_method")
        .iter()
        .any(|m| m.eq_ignore_ascii_case("plain"))
    {
        note("`code_challenge_method=plain` sends the PKCE verifier in the clear; use S256".to_string());
    }
    if !values("client_secret").is_empty() {
        settings
            .committed_secrets
            .push("client secret in an authorize URL".to_string());
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
    if platform == Platform::Salesforce && response_types.is_empty() {
        note("no `response_type`: Salesforce rejects the request".to_string());
    }
    if let Some(pos) = at {
        for name in ["callback_urls", "pkce_used", "committed_secrets"] {
            settings.at.insert(name.to_string(), pos);
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
        None => format!("{} authorize URL ({})", platform.display_name(), parts.host),
    };
    Ok(App {
        name,
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
    })
}

/// How a URL given on the command line is named in reports: origin and path, never the query
/// (which may hold a secret).
pub fn display_name(url: &str) -> String {
    match split_url(url.trim()) {
        Some(parts) => format!("{}{}", parts.origin, parts.path),
        None => "authorize URL".to_string(),
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
    fn url_detection_survives_multibyte_text() {
        // Found by the authorize_url fuzz target: byte 7 or 8 inside a character.
        assert!(!looks_like_url("httpé://x.example"));
        assert!(!looks_like_url("https:/é.example"));
        assert!(!looks_like_url("ééééééé"));
        assert!(parse_file("f", "#x\nhttps:/é\n").is_err());
        assert!(looks_like_url("https://é.example"));
    }

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(percent_decode("a%20b+c%2Fd"), "a b c/d");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
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
        assert!(parse_url("u", "https://evil.example/oauth/authorize?scope=x", None).is_err());
        let file = "[InternetShortcut]\nURL=https://login.salesforce.com/services/oauth2/authorize?response_type=token&scope=full\nIconIndex=0\n";
        let apps = parse_file("x.url", file).unwrap();
        assert_eq!(apps[0].integration.flows, [Flow::UserAgent]);
        assert_eq!(apps[0].scopes[0].at, Some(Pos::line(2)));
        assert!(looks_like_url_file(file));
        let err = parse_file("x.txt", "# consent links\nnot a url\n").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
