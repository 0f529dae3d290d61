//! What the Salesforce metadata readers (Connected App, External Client App) share: reading
//! flags and lists from elements, recognising committed secrets, collecting notes about
//! elements that are misspelled, misplaced, unknown or repeated, and choosing the riskier
//! reading when one setting is stated more than once.

use super::certificate;
use super::xml::Element;
use crate::model::{
    AppSettings, CallbackUrl, CertificateInfo, Flow, IpRelaxation, Note, NoteCode, Pos, RefreshTokenPolicy,
    RequestedScope, Requirement, Setting, TimeUnit,
};
use crate::text::closest;
use std::collections::HashMap;

/// Which reading the audit keeps when an input states one setting more than once (a repeated
/// element, a second `<oauthConfig>`, two policy files of one app): the riskier one, so that a
/// benign repeat can never mask a risky value, wherever it stands. One order per value type,
/// from least to most risky:
/// - a flag: the value that weakens the app beats the other (`true` for the flags in
///   [`RISKY_WHEN_TRUE`], `false` for the rest: admin approval, PKCE, secret for refresh,
///   rotation);
/// - IP relaxation: ENFORCE < ENFORCE_RELAXREFRESH < BYPASS_2FACTOR < BYPASS;
/// - refresh-token policy: zero < specific_lifetime < specific_inactivity (lives as long as it
///   is used) < infinite, and within a kind the longer period;
/// - certificate: one that ends sooner < one that ends later (it mints tokens for longer) <
///   an unreadable one (its validity cannot be checked at all);
/// - canvas access method: anything else < `Post` (signed request: no consent screen);
/// - an IP range bound: the broader range (the lower start, the higher end).
///
/// Lists (scopes, callback URLs, profiles, permission sets, IP ranges, committed secrets) are
/// unions: every value is audited. Free text (label, run-as user) has no order: the first
/// stated value is kept. Every repeat is also a note, so none of this is silent.
pub trait Risk {
    type Rank: Ord;
    fn risk(&self) -> Self::Rank;
}

/// Flags whose `true` weakens the app; for every other flag `false` does.
pub const RISKY_WHEN_TRUE: [Setting; 4] = [
    Setting::ConsumerSecretOptional,
    Setting::ClientCredentialsEnabled,
    Setting::IntrospectAllTokens,
    Setting::TokenExchangeEnabled,
];

/// A flag setting's value with the setting it belongs to, which says which value is risky.
pub struct FlagValue(pub Setting, pub bool);

impl Risk for FlagValue {
    type Rank = bool;
    fn risk(&self) -> bool {
        self.1 == RISKY_WHEN_TRUE.contains(&self.0)
    }
}

impl Risk for IpRelaxation {
    type Rank = u8;
    fn risk(&self) -> u8 {
        match self {
            IpRelaxation::Enforce => 0,
            IpRelaxation::EnforceRelaxRefresh => 1,
            IpRelaxation::Bypass2Factor => 2,
            IpRelaxation::Bypass => 3,
        }
    }
}

impl Risk for TimeUnit {
    type Rank = u64;
    /// Hours in the unit (a month as 31 days).
    fn risk(&self) -> u64 {
        match self {
            TimeUnit::Hours => 1,
            TimeUnit::Days => 24,
            TimeUnit::Months => 24 * 31,
        }
    }
}

impl Risk for RefreshTokenPolicy {
    type Rank = (u8, u64);
    fn risk(&self) -> (u8, u64) {
        match *self {
            RefreshTokenPolicy::Zero => (0, 0),
            RefreshTokenPolicy::SpecificLifetime(n, unit) => (1, u64::from(n) * unit.risk()),
            RefreshTokenPolicy::SpecificInactivity(n, unit) => (2, u64::from(n) * unit.risk()),
            RefreshTokenPolicy::Infinite => (3, 0),
        }
    }
}

impl Risk for CertificateInfo {
    type Rank = (bool, Option<crate::model::Date>);
    fn risk(&self) -> Self::Rank {
        (self.problem.is_some(), self.not_after)
    }
}

/// A canvas app's access method.
pub struct AccessMethod<'a>(pub &'a str);

impl Risk for AccessMethod<'_> {
    type Rank = bool;
    fn risk(&self) -> bool {
        self.0.eq_ignore_ascii_case("post")
    }
}

/// One end of an IP range; the rank is the breadth it gives the range.
pub enum IpBound<'a> {
    Start(&'a str),
    End(&'a str),
}

impl Risk for IpBound<'_> {
    /// An address that does not parse ranks lowest: it is kept only when nothing else is there.
    type Rank = Option<u128>;
    fn risk(&self) -> Option<u128> {
        let number = |a: &str| {
            a.trim().parse::<std::net::IpAddr>().ok().map(|ip| match ip {
                std::net::IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
                std::net::IpAddr::V6(v6) => u128::from(v6),
            })
        };
        match self {
            IpBound::Start(a) => number(a).map(|n| u128::MAX - n),
            IpBound::End(a) => number(a),
        }
    }
}

impl IpBound<'_> {
    fn address(&self) -> &str {
        match self {
            IpBound::Start(a) | IpBound::End(a) => a,
        }
    }
}

/// The note for a repeated element.
pub fn repeat_note(name: &str, section: &str, first: u32, reading: &str) -> String {
    format!(
        "<{name}> appears more than once in <{section}> (first at line {first}): Salesforce expects it once; {reading}"
    )
}

/// Whether `new` is riskier than `old`.
pub fn riskier<T: Risk>(new: &T, old: &T) -> bool {
    new.risk() > old.risk()
}

/// Whether `new` is riskier than what `slot` holds (or the slot is empty); if so it replaces it.
pub fn keep_riskier<T: Risk>(slot: &mut Option<T>, new: T) -> bool {
    let replace = match slot {
        Some(old) => riskier(&new, old),
        None => true,
    };
    if replace {
        *slot = Some(new);
    }
    replace
}

/// How a reader reads an element that appears more than once in one place, or None for the
/// elements that are lists by design and may repeat.
pub fn repeat_reading(name: &str) -> Option<&'static str> {
    Some(match name {
        "scopes" | "profileName" | "permissionSetName" | "ipRanges" | "attributes" | "customAttributes"
        | "trustedIpRanges" => return None,
        "oauthConfig" | "oauthPolicy" | "canvasConfig" => {
            "every one is read, and where they disagree the riskier value is audited"
        }
        "callbackUrl"
        | "commaSeparatedOauthScopes"
        | "commaSeparatedProfile"
        | "commaSeparatedPermissionSet"
        | "consumerSecret" => "every value is audited",
        "label"
        | "description"
        | "oauthClientCredentialUser"
        | "clientCredentialsFlowUser"
        | "consumerKey"
        | "externalClientApplication" => "the first is read",
        "certificate"
        | "isAdminApproved"
        | "isClientCredentialEnabled"
        | "isClientCredentialsFlowEnabled"
        | "isConsumerSecretOptional"
        | "isDeviceFlowEnabled"
        | "isIntrospectAllTokens"
        | "isPkceRequired"
        | "isRefreshTokenRotationEnabled"
        | "isSecretRequiredForRefreshToken"
        | "isTokenExchangeEnabled"
        | "isTokenExchangeFlowEnabled"
        | "ipRelaxation"
        | "ipRelaxationPolicyType"
        | "refreshTokenPolicy"
        | "refreshTokenPolicyType"
        | "refreshTokenValidityPeriod"
        | "refreshTokenValidityUnit"
        | "permittedUsersPolicyType"
        | "isEnabled"
        | "isOauthPluginEnabled"
        | "accessMethod" => "the riskier value is audited",
        _ => "it is not audited either way",
    })
}

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

    pub fn add(&mut self, line: u32, code: NoteCode, message: impl Into<String>) {
        self.items.push(Note {
            code,
            message: message.into(),
            at: Some(self.pos(line)),
        });
    }

    /// Notes a value Salesforce spells in another case: metadata values are case-sensitive, so
    /// `ENFORCE` where `Enforce` is expected (or `True` for `true`) fails the deploy. The value
    /// is still read as the one it names, and the note says so.
    pub fn case(&mut self, line: u32, element: &str, written: &str, expected: &str) {
        let written = written.trim();
        if written != expected && written.eq_ignore_ascii_case(expected) {
            self.add(
                line,
                NoteCode::InvalidValue,
                format!(
                    "<{element}> `{written}` is not how Salesforce spells it: metadata values are case-sensitive and the deploy fails; read as `{expected}`"
                ),
            );
        }
    }

    /// A `true`/`false` element; anything else is noted and read as not stated. `True` or
    /// `FALSE` is read as meant, with a note: Salesforce rejects it.
    pub fn flag(&mut self, e: &Element) -> Option<bool> {
        let value = e.value().map(str::to_ascii_lowercase);
        if let (Some(written), Some(v @ ("true" | "false"))) = (e.value(), value.as_deref()) {
            self.case(e.line, &e.name, written, v);
        }
        match value.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            None => {
                self.add(
                    e.line,
                    NoteCode::EmptyValue,
                    format!("<{}> is empty; read as not stated", e.name),
                );
                None
            }
            Some(_) => {
                self.add(
                    e.line,
                    NoteCode::InvalidValue,
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
            self.add(
                e.line,
                NoteCode::EmptyValue,
                format!("<{}> is empty; read as not stated", e.name),
            );
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
                NoteCode::UnknownElement,
                format!(
                    "unknown element <{}> in <{parent}>: did you mean <{g}>? Salesforce rejects the file as written",
                    e.name
                ),
            ),
            None => self.add(
                e.line,
                NoteCode::UnknownElement,
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
    /// The `<consumerKey>`: the OAuth client id, public (an approved manifest may match the app
    /// by it). The first one stated is kept.
    pub consumer_key: Option<String>,
    /// The line of each single-valued element's first appearance, by file, the element it
    /// belongs in, and its name.
    first: HashMap<(u16, &'static str, String), u32>,
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
            consumer_key: None,
            first: HashMap::new(),
        }
    }

    /// Records where a setting is stated, in the file being read.
    pub fn set_at(&mut self, name: Setting, line: u32) {
        let pos = self.notes.pos(line);
        self.settings.at.insert(name, pos);
    }

    /// Notes a second (third, ...) appearance of a single-valued element `name` in `section`
    /// (the element or file type it belongs in) of the file being read, naming the line of
    /// the first. Returns whether it was a repeat.
    pub fn check_repeat(&mut self, section: &'static str, name: &str, line: u32) -> bool {
        let Some(reading) = repeat_reading(name) else {
            return false;
        };
        let key = (self.notes.file, section, name.to_string());
        match self.first.get(&key) {
            Some(&first) => {
                self.notes
                    .add(line, NoteCode::Repeated, repeat_note(name, section, first, reading));
                true
            }
            None => {
                self.first.insert(key, line);
                false
            }
        }
    }

    /// An IP range element (`<ipRanges>` with `<start>` and `<end>`, `<trustedIpRanges>` with
    /// `<startIpAddress>` and `<endIpAddress>`). A repeated bound is noted, and the broader
    /// range audited.
    pub fn ip_range(&mut self, e: &Element, start: &str, end: &str, empty: &str) {
        let from = self.bound(e, start, |a| IpBound::Start(a));
        let to = self.bound(e, end, |a| IpBound::End(a));
        match (from, to) {
            (Some(s), Some(t)) => self.settings.ip_ranges.push(format!("{s}-{t}")),
            (Some(s), None) | (None, Some(s)) => self.settings.ip_ranges.push(s),
            (None, None) => self.notes.add(e.line, NoteCode::EmptyValue, empty),
        }
        let pos = self.notes.pos(e.line);
        self.settings.at.entry(Setting::IpRanges).or_insert(pos);
        self.settings.at.entry(Setting::IpRangeAddresses).or_insert(pos);
    }

    /// The broadest of the values of one bound of an IP range, noting each repeat.
    fn bound(&mut self, range: &Element, name: &str, bound: fn(&str) -> IpBound<'_>) -> Option<String> {
        let mut first = None;
        let mut broadest = None;
        for b in range.children_named(name) {
            match first {
                Some(first) => self.notes.add(
                    b.line,
                    NoteCode::Repeated,
                    repeat_note(name, &range.name, first, "the broader range is audited"),
                ),
                None => first = Some(b.line),
            }
            if let Some(v) = b.value() {
                keep_riskier(&mut broadest, bound(v));
            }
        }
        broadest.map(|b| b.address().to_string())
    }

    /// Offers a value for a setting: it is kept, and its line recorded, when it is riskier
    /// than what the setting holds (see [`Risk`]).
    pub fn offer<T: Risk>(&mut self, name: Setting, line: u32, slot: fn(&mut AppSettings) -> &mut Option<T>, value: T) {
        if keep_riskier(slot(&mut self.settings), value) {
            self.set_at(name, line);
        }
    }

    /// Offers a text value for a setting: text has no risk order, so the first one stated is
    /// kept.
    pub fn offer_text(
        &mut self,
        name: Setting,
        line: u32,
        slot: fn(&mut AppSettings) -> &mut Option<String>,
        value: String,
    ) {
        let held = slot(&mut self.settings);
        if held.is_none() {
            *held = Some(value);
            self.set_at(name, line);
        }
    }

    /// Reads a flag element into a setting, noting a value that is not true or false. A value
    /// already stated is replaced only by a riskier one.
    pub fn flag(
        &mut self,
        e: &Element,
        name: Setting,
        slot: fn(&mut AppSettings) -> &mut Option<bool>,
    ) -> Option<bool> {
        let value = self.notes.flag(e)?;
        self.offer_flag(name, e.line, slot, value);
        Some(value)
    }

    /// Offers a value for a flag setting: kept when it is riskier than what the setting holds.
    pub fn offer_flag(
        &mut self,
        name: Setting,
        line: u32,
        slot: fn(&mut AppSettings) -> &mut Option<bool>,
        value: bool,
    ) {
        let held = slot(&mut self.settings);
        let mut wrapped = (*held).map(|v| FlagValue(name, v));
        if keep_riskier(&mut wrapped, FlagValue(name, value)) {
            *held = Some(value);
            self.set_at(name, line);
        }
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
                let pos = self.notes.pos(line);
                self.settings.at.entry(Setting::CallbackUrls).or_insert(pos);
            }
            "certificate" => {
                let cert = certificate(e, &mut self.notes, &mut self.settings.committed_secrets);
                if let Some(cert) = cert {
                    self.offer(Setting::Certificate, line, |s| &mut s.certificate, cert);
                }
                if !self.settings.committed_secrets.is_empty() {
                    self.set_at(Setting::CommittedSecrets, line);
                }
            }
            "consumerKey" => {
                // The client id, not the secret: kept for matching an approved manifest.
                if self.consumer_key.is_none() {
                    self.consumer_key = e.value().map(str::to_string);
                }
            }
            "consumerSecret" => {
                // A placeholder secret leaks nothing.
                if e.value().is_some_and(|v| !is_placeholder(v)) {
                    push_unique(&mut self.settings.committed_secrets, "consumer secret");
                    self.set_at(Setting::CommittedSecrets, line);
                }
            }
            "isConsumerSecretOptional" => {
                self.flag(e, Setting::ConsumerSecretOptional, |s| &mut s.consumer_secret_optional);
            }
            "isPkceRequired" => {
                self.flag(e, Setting::PkceRequired, |s| &mut s.pkce_required);
            }
            "isSecretRequiredForRefreshToken" => {
                self.flag(e, Setting::SecretRequiredForRefreshToken, |s| {
                    &mut s.secret_required_for_refresh_token
                });
            }
            "isRefreshTokenRotationEnabled" => {
                self.flag(e, Setting::RefreshTokenRotation, |s| &mut s.refresh_token_rotation);
            }
            "isIntrospectAllTokens" => {
                self.flag(e, Setting::IntrospectAllTokens, |s| &mut s.introspect_all_tokens);
            }
            "isTokenExchangeEnabled" | "isTokenExchangeFlowEnabled" => {
                let enabled = self.flag(e, Setting::TokenExchangeEnabled, |s| &mut s.token_exchange_enabled);
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

/// How a Connected App's `<scopes>` values are spelled: the `ConnectedAppOauthAccessScope`
/// enumeration (Metadata API Developer Guide, `ConnectedApp`; the full list from the metadata
/// type definitions, `reference/salesforce.md` section 1.2).
pub const CONNECTED_APP_SCOPES: [&str; 33] = [
    "Address",
    "Api",
    "Basic",
    "CDP",
    "CDPCalculatedInsight",
    "CDPIdentityResolution",
    "CDPIngest",
    "CDPProfile",
    "CDPQuery",
    "CDPSegment",
    "Chatbot",
    "Chatter",
    "Content",
    "CustomApplications",
    "CustomPermissions",
    "Eclair",
    "EinsteinGPT",
    "Email",
    "ForgotPassword",
    "Full",
    "Interaction",
    "Lightning",
    "OfflineAccess",
    "OpenID",
    "Pardot",
    "Phone",
    "Profile",
    "PwdlessLogin",
    "RefreshToken",
    "SFAP",
    "UserRegistration",
    "Wave",
    "Web",
];

/// How an External Client App's `commaSeparatedOauthScopes` tokens are spelled: the 36 tokens
/// a deploy error enumerates (`reference/salesforce.md` section 1.2).
pub const EXTERNAL_CLIENT_APP_SCOPES: [&str; 36] = [
    "Address",
    "Api",
    "Basic",
    "CDP",
    "CDPCalculatedInsight",
    "CDPIdentityResolution",
    "CDPIngest",
    "CDPProfile",
    "CDPQuery",
    "CDPSegment",
    "Chatbot",
    "Chatter",
    "Content",
    "CustomApplications",
    "CustomPermissions",
    "DataCloudUserClaims",
    "Eclair",
    "EinsteinGPT",
    "Email",
    "ForgotPassword",
    "Full",
    "Interaction",
    "Lightning",
    "MCP",
    "OfflineAccess",
    "OpenID",
    "Pardot",
    "Phone",
    "Profile",
    "PwdlessLogin",
    "RefreshToken",
    "SCRT",
    "SFApiPlatform",
    "UserRegistration",
    "Wave",
    "Web",
];

/// Reads scope names from an element's text, split on commas and whitespace-free segments.
/// Each name goes through [`super::scope_name`], which notes annotations; a name Salesforce
/// spells in another case (`API`, `openid`) is noted, since the deploy fails on it.
pub fn scopes_from(text: &str, line: u32, comma_separated: bool, notes: &mut Notes, out: &mut Vec<RequestedScope>) {
    let (element, spellings): (&str, &[&str]) = if comma_separated {
        ("commaSeparatedOauthScopes", &EXTERNAL_CLIENT_APP_SCOPES)
    } else {
        ("scopes", &CONNECTED_APP_SCOPES)
    };
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
            notes.add(line, NoteCode::AnnotatedScope, note);
        }
        if let Some(name) = name {
            if let Some(spelled) = spellings.iter().find(|s| s.eq_ignore_ascii_case(&name)) {
                notes.case(line, element, &name, spelled);
            }
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
        notes.add(e.line, NoteCode::EmptyValue, format!("<{}> is empty", e.name));
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
    let facts = certificate::inspect(text);
    // Only text that is no certificate at all can be a placeholder: base64 DER may contain
    // `xxx` or `your` by chance.
    if facts.kind == certificate::PemKind::NotPem && is_placeholder(text) {
        notes.add(
            e.line,
            NoteCode::EmptyValue,
            "<certificate> holds a placeholder, not a certificate",
        );
        return None;
    }
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
        notes.add(
            line,
            NoteCode::Repeated,
            format!("{what} `{value}` is listed more than once"),
        );
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

    #[test]
    fn each_value_type_orders_the_riskier_reading_last() {
        use crate::model::Date;
        let riskiest = |a, b| {
            if riskier(
                &FlagValue(Setting::AdminApproved, b),
                &FlagValue(Setting::AdminApproved, a),
            ) {
                b
            } else {
                a
            }
        };
        assert!(!riskiest(true, false) && !riskiest(false, true));
        assert!(riskier(
            &FlagValue(Setting::IntrospectAllTokens, true),
            &FlagValue(Setting::IntrospectAllTokens, false)
        ));
        assert!(riskier(
            &FlagValue(Setting::PkceRequired, false),
            &FlagValue(Setting::PkceRequired, true)
        ));
        let ip = [
            IpRelaxation::Enforce,
            IpRelaxation::EnforceRelaxRefresh,
            IpRelaxation::Bypass2Factor,
            IpRelaxation::Bypass,
        ];
        assert!(ip.windows(2).all(|w| riskier(&w[1], &w[0])));
        let refresh = [
            RefreshTokenPolicy::Zero,
            RefreshTokenPolicy::SpecificLifetime(23, TimeUnit::Hours),
            RefreshTokenPolicy::SpecificLifetime(1, TimeUnit::Days),
            RefreshTokenPolicy::SpecificLifetime(12, TimeUnit::Months),
            RefreshTokenPolicy::SpecificInactivity(1, TimeUnit::Hours),
            RefreshTokenPolicy::SpecificInactivity(2, TimeUnit::Months),
            RefreshTokenPolicy::Infinite,
        ];
        assert!(refresh.windows(2).all(|w| riskier(&w[1], &w[0])), "{refresh:?}");
        let cert = |year, problem: Option<&str>| CertificateInfo {
            not_before: None,
            not_after: Date::from_ymd(year, 1, 1),
            problem: problem.map(str::to_string),
        };
        assert!(riskier(&cert(2070, None), &cert(2021, None)));
        assert!(riskier(&cert(2021, Some("truncated")), &cert(2070, None)));
        assert!(riskier(&AccessMethod("Post"), &AccessMethod("Get")));
        assert!(riskier(&IpBound::Start("10.0.0.0"), &IpBound::Start("10.0.0.8")));
        assert!(riskier(&IpBound::End("10.0.1.0"), &IpBound::End("10.0.0.255")));
        assert!(riskier(&IpBound::End("10.0.0.1"), &IpBound::End("not an address")));
        // Equal values keep the first: no repeat can move a setting's line for nothing.
        let mut slot = Some(IpRelaxation::Bypass);
        assert!(!keep_riskier(&mut slot, IpRelaxation::Bypass));
    }
}
