//! What the Salesforce metadata readers (Connected App, External Client App) share: reading
//! flags and lists from elements, recognising committed secrets, and collecting notes about
//! elements that are misspelled, misplaced or unknown.

use super::certificate;
use super::xml::Element;
use crate::model::{CallbackUrl, CertificateInfo, Note, Pos, RequestedScope, Requirement};
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
