//! What the Salesforce metadata readers (Connected App, External Client App) share: reading
//! flags and lists from elements, recognising committed secrets, and collecting notes about
//! elements that are misspelled, misplaced or unknown.

use super::certificate;
use super::xml::Element;
use crate::model::{AppSettings, CallbackUrl, CertificateInfo, Flow, Note, Pos, RequestedScope, Requirement};
use crate::text::closest;

/// Collects what a reader notices about one file, positioned in that file.
pub struct Notes {
    pub file: u16,
    pub items: Vec<Note>,
}

impl Notes {
    pub fn new(file: u16) -> Notes {
        Notes {
            file,
            items: Vec::new(),
        }
    }

    pub fn pos(&self, line: u32) -> Pos {
        Pos { file: self.file, line }
    }

    pub fn add(&mut self, line: u32, message: impl Into<String>) {
        self.items.push(Note {
            message: message.into(),
            at: Some(self.pos(line)),
        });
    }

    /// A `true`/`false` element; anything else is noted and read as not stated.
    pub fn flag(&mut self, e: &Element) -> Option<bool> {
        match e.value().map(str::to_ascii_lowercase).as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            None => {
                self.add(e.line, format!("<{}> is empty; read as not stated", e.name));
                None
            }
            Some(_) => {
                self.add(
                    e.line,
                    format!(
                        "<{}> is `{}`, not true or false; read as not stated",
                        e.name,
                        e.text.trim()
                    ),
                );
                None
            }
        }
    }

    /// A text element's trimmed value; an empty one is noted.
    pub fn text(&mut self, e: &Element) -> Option<String> {
        let value = e.value().map(str::to_string);
        if value.is_none() {
            self.add(e.line, format!("<{}> is empty; read as not stated", e.name));
        }
        value
    }

    /// Notes an element the reader does not know, with the nearest known name when there is
    /// one within two edits. Returns that name, so a caller may read a misspelled element as
    /// the one it was meant to be.
    pub fn unknown<'a>(&mut self, e: &Element, parent: &str, known: &[&'a str]) -> Option<&'a str> {
        let guess = closest(&e.name, known, 2);
        match guess {
            Some(g) => self.add(
                e.line,
                format!(
                    "unknown element <{}> in <{parent}>: did you mean <{g}>? Salesforce rejects the file as written",
                    e.name
                ),
            ),
            None => self.add(
                e.line,
                format!(
                    "unknown element <{}> in <{parent}> was not audited (metadata newer than this tool knows?)",
                    e.name
                ),
            ),
        }
        guess
    }
}

/// What a Salesforce metadata reader gathers for one app before it becomes an `App`.
pub struct Reading {
    pub notes: Notes,
    pub scopes: Vec<RequestedScope>,
    pub settings: AppSettings,
    pub flows: Vec<Flow>,
}

impl Default for Reading {
    fn default() -> Self {
        Reading::new()
    }
}

impl Reading {
    pub fn new() -> Reading {
        Reading {
            notes: Notes::new(0),
            scopes: Vec::new(),
            settings: AppSettings::default(),
            flows: Vec::new(),
        }
    }

    /// Records where a setting is stated, in the file being read.
    pub fn set_at(&mut self, name: &str, line: u32) {
        let pos = self.notes.pos(line);
        self.settings.at.insert(name.to_string(), pos);
    }

    /// Reads a flag element into a setting, noting a value that is not true or false.
    pub fn flag(&mut self, e: &Element, name: &str, set: impl FnOnce(&mut AppSettings, Option<bool>)) -> Option<bool> {
        let value = self.notes.flag(e);
        set(&mut self.settings, value);
        if value.is_some() {
            self.set_at(name, e.line);
        }
        value
    }

    pub fn add_flow(&mut self, flow: Flow) {
        if !self.flows.contains(&flow) {
            self.flows.push(flow);
        }
    }

    /// The elements Connected Apps and External Client Apps spell the same way. Returns false
    /// for any other element, for the caller to read.
    pub fn common_field(&mut self, e: &Element) -> bool {
        let line = e.line;
        match e.name.as_str() {
            "callbackUrl" => {
                callback_urls(e, &mut self.notes, &mut self.settings.callback_urls);
                self.set_at("callback_urls", line);
            }
            "certificate" => {
                let cert = certificate(e, &mut self.notes, &mut self.settings.committed_secrets);
                if cert.is_some() {
                    self.settings.certificate = cert;
                    self.set_at("certificate", line);
                }
                if !self.settings.committed_secrets.is_empty() {
                    self.set_at("committed_secrets", line);
                }
            }
            "consumerSecret" => {
                // A placeholder secret leaks nothing.
                if e.value().is_some_and(|v| !is_placeholder(v)) {
                    push_unique(&mut self.settings.committed_secrets, "consumer secret");
                    self.set_at("committed_secrets", line);
                }
            }
            "isConsumerSecretOptional" => {
                self.flag(e, "consumer_secret_optional", |s, v| s.consumer_secret_optional = v);
            }
            "isPkceRequired" => {
                self.flag(e, "pkce_required", |s, v| s.pkce_required = v);
            }
            "isSecretRequiredForRefreshToken" => {
                self.flag(e, "secret_required_for_refresh_token", |s, v| {
                    s.secret_required_for_refresh_token = v
                });
            }
            "isRefreshTokenRotationEnabled" => {
                self.flag(e, "refresh_token_rotation", |s, v| s.refresh_token_rotation = v);
            }
            "isIntrospectAllTokens" => {
                self.flag(e, "introspect_all_tokens", |s, v| s.introspect_all_tokens = v);
            }
            "isTokenExchangeEnabled" | "isTokenExchangeFlowEnabled" => {
                let enabled = self.flag(e, "token_exchange_enabled", |s, v| s.token_exchange_enabled = v);
                if enabled == Some(true) {
                    self.add_flow(Flow::TokenExchange);
                }
            }
            _ => return false,
        }
        true
    }
}

/// Whether a configured secret is a placeholder rather than a real value: templates and
/// examples commit `REPLACE_ME`, `${SECRET}`, `xxxx` and the like, which leak nothing.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let markers = [
        "${",
        "{{",
        "<",
        "%",
        "replace",
        "change",
        "placeholder",
        "todo",
        "your",
        "example",
        "secret",
        "redacted",
        "dummy",
        "sample",
        "xxx",
        "***",
        "...",
    ];
    let mut chars = v.chars();
    let first = chars.next();
    v.len() < 8 || markers.iter().any(|m| lower.contains(m)) || chars.all(|c| Some(c) == first)
}

/// Reads scope names from an element's text, split on commas and whitespace-free segments.
/// Each name goes through [`super::scope_name`], which notes annotations.
pub fn scopes_from(text: &str, line: u32, comma_separated: bool, notes: &mut Notes, out: &mut Vec<RequestedScope>) {
    let parts: Vec<&str> = if comma_separated {
        text.split([',', ';']).collect()
    } else {
        vec![text]
    };
    for raw in parts {
        if raw.trim().is_empty() {
            continue;
        }
        let (name, note) = super::scope_name(raw);
        if let Some(note) = note {
            notes.add(line, note);
        }
        if let Some(name) = name {
            out.push(RequestedScope {
                name,
                requirement: Requirement::Required,
                justification: None,
                at: Some(notes.pos(line)),
            });
        }
    }
}

/// Callback URLs: the element holds one per line (Salesforce's newline-separated list); each
/// URL gets its own line.
pub fn callback_urls(e: &Element, notes: &mut Notes, out: &mut Vec<CallbackUrl>) {
    if e.value().is_none() {
        notes.add(e.line, format!("<{}> is empty", e.name));
        return;
    }
    // The text starts right after the start tag, on the tag's line.
    let mut line = e.line;
    for part in e.text.split('\n') {
        for url in part.split([' ', '\t', ',']).map(str::trim).filter(|u| !u.is_empty()) {
            out.push(CallbackUrl {
                url: url.to_string(),
                at: Some(notes.pos(line)),
            });
        }
        line = line.saturating_add(1);
    }
}

/// Reads a certificate element: its validity when it is a certificate; a private key pasted
/// in its place is a committed secret (its kind is recorded, never its value).
pub fn certificate(e: &Element, notes: &mut Notes, secrets: &mut Vec<String>) -> Option<CertificateInfo> {
    let text = e.value()?;
    if is_placeholder(text) && !text.contains("-----BEGIN") {
        notes.add(e.line, "<certificate> holds a placeholder, not a certificate");
        return None;
    }
    let facts = certificate::inspect(text);
    match facts.kind {
        certificate::PemKind::PrivateKey => {
            push_unique(secrets, "private key");
            None
        }
        _ => Some(CertificateInfo {
            not_before: facts.not_before,
            not_after: facts.not_after,
            problem: facts.problem,
        }),
    }
}

pub fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

/// Names listed one per element (profiles, permission sets): duplicates are noted once and
/// kept once.
pub fn add_name(list: &mut Vec<String>, value: String, what: &str, line: u32, notes: &mut Notes) {
    if list.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
        notes.add(line, format!("{what} `{value}` is listed more than once"));
    } else {
        list.push(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_secrets() {
        for p in [
            "REPLACE_ME",
            "${SF_SECRET}",
            "xxxxxxxxxxxx",
            "<your secret>",
            "short",
            "0000000000000",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for real in [
            "8C3B0F6B2E1A4D5F9A7E6C5B4A3F2E1D0C9B8A7F6E5D4C3B2A1F0E9D8C7B6A5",
            "Zq8Rm2Kx7Lp4Wn9T",
        ] {
            assert!(!is_placeholder(real), "{real}");
        }
    }
}
