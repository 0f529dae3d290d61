//! The normalized app: what every input format is turned into before the engine sees it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Salesforce,
    Hubspot,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::Salesforce, Platform::Hubspot];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Salesforce => "salesforce",
            Platform::Hubspot => "hubspot",
        }
    }

    /// The other platform: where a scope unknown to this one may belong.
    pub fn other(self) -> Platform {
        match self {
            Platform::Salesforce => Platform::Hubspot,
            Platform::Hubspot => Platform::Salesforce,
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Salesforce => "Salesforce",
            Platform::Hubspot => "HubSpot",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        match s.trim().to_ascii_lowercase().as_str() {
            "salesforce" | "sfdc" => Some(Platform::Salesforce),
            "hubspot" => Some(Platform::Hubspot),
            _ => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an app came from: the path as the user named it, and the kind of input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub path: String,
    pub kind: InputKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Manifest,
    ScopeList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Optional,
    Conditional,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Required => "required",
            Requirement::Optional => "optional",
            Requirement::Conditional => "conditional",
        }
    }
}

/// One scope as the app asks for it, before the catalog is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedScope {
    /// The name exactly as written in the input.
    pub name: String,
    pub requirement: Requirement,
    pub justification: Option<String>,
    /// 1-based line in the source file, where the input has lines.
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolAccess {
    Read,
    Create,
    Update,
    Delete,
}

impl ToolAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolAccess::Read => "read",
            ToolAccess::Create => "create",
            ToolAccess::Update => "update",
            ToolAccess::Delete => "delete",
        }
    }

    pub fn writes(self) -> bool {
        !matches!(self, ToolAccess::Read)
    }
}

/// Something the app does, which drives the least-privilege analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub object: String,
    pub access: ToolAccess,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delegation {
    /// Acts as the signed-in user.
    User,
    /// Acts as one integration user.
    Service,
}

impl Delegation {
    pub fn as_str(self) -> &'static str {
        match self {
            Delegation::User => "user",
            Delegation::Service => "service",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    JwtBearer,
    UsernamePassword,
    Device,
    UserAgent,
    TokenExchange,
}

impl Flow {
    pub const ALL: [Flow; 8] = [
        Flow::AuthorizationCode,
        Flow::RefreshToken,
        Flow::ClientCredentials,
        Flow::JwtBearer,
        Flow::UsernamePassword,
        Flow::Device,
        Flow::UserAgent,
        Flow::TokenExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flow::AuthorizationCode => "authorization_code",
            Flow::RefreshToken => "refresh_token",
            Flow::ClientCredentials => "client_credentials",
            Flow::JwtBearer => "jwt_bearer",
            Flow::UsernamePassword => "username_password",
            Flow::Device => "device",
            Flow::UserAgent => "user_agent",
            Flow::TokenExchange => "token_exchange",
        }
    }

    pub fn parse(s: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Integration {
    pub delegation: Option<Delegation>,
    pub flows: Vec<Flow>,
    pub token_storage: Option<String>,
    /// The app signs users in with the platform (OpenID Connect / identity URL).
    pub sign_in: bool,
}

/// Salesforce `oauthPolicy.ipRelaxation` (and the External Client App equivalents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpRelaxation {
    Enforce,
    EnforceRelaxRefresh,
    Bypass2Factor,
    Bypass,
}

impl IpRelaxation {
    pub fn as_str(self) -> &'static str {
        match self {
            IpRelaxation::Enforce => "ENFORCE",
            IpRelaxation::EnforceRelaxRefresh => "ENFORCE_RELAXREFRESH",
            IpRelaxation::Bypass2Factor => "BYPASS_2FACTOR",
            IpRelaxation::Bypass => "BYPASS",
        }
    }

    /// Accepts the metadata spelling and the External Client App PascalCase spelling.
    pub fn parse(s: &str) -> Option<IpRelaxation> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ENFORCE" => Some(IpRelaxation::Enforce),
            "ENFORCE_RELAXREFRESH" => Some(IpRelaxation::EnforceRelaxRefresh),
            "BYPASS_2FACTOR" => Some(IpRelaxation::Bypass2Factor),
            "BYPASS" => Some(IpRelaxation::Bypass),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Hours,
    Days,
    Months,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Hours => "HOURS",
            TimeUnit::Days => "DAYS",
            TimeUnit::Months => "MONTHS",
        }
    }

    fn parse(s: &str) -> Option<TimeUnit> {
        match s.trim().to_ascii_uppercase().as_str() {
            "HOURS" => Some(TimeUnit::Hours),
            "DAYS" => Some(TimeUnit::Days),
            "MONTHS" => Some(TimeUnit::Months),
            _ => None,
        }
    }
}

/// Salesforce `oauthPolicy.refreshTokenPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenPolicy {
    Infinite,
    Zero,
    SpecificLifetime(u32, TimeUnit),
    SpecificInactivity(u32, TimeUnit),
}

impl RefreshTokenPolicy {
    /// The policy kind without its period: what rules compare against.
    pub fn kind(self) -> &'static str {
        match self {
            RefreshTokenPolicy::Infinite => "infinite",
            RefreshTokenPolicy::Zero => "zero",
            RefreshTokenPolicy::SpecificLifetime(..) => "specific_lifetime",
            RefreshTokenPolicy::SpecificInactivity(..) => "specific_inactivity",
        }
    }

    /// Parses the metadata form: `infinite`, `zero`, `specific_lifetime:N:UNIT`,
    /// `specific_inactivity:N:UNIT`.
    pub fn parse(s: &str) -> Option<RefreshTokenPolicy> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "infinite" => return Some(RefreshTokenPolicy::Infinite),
            "zero" => return Some(RefreshTokenPolicy::Zero),
            _ => {}
        }
        let mut parts = s.split(':');
        let kind = parts.next()?.to_ascii_lowercase();
        let n: u32 = parts.next()?.trim().parse().ok()?;
        let unit = TimeUnit::parse(parts.next()?)?;
        if parts.next().is_some() || n == 0 {
            return None;
        }
        match kind.as_str() {
            "specific_lifetime" => Some(RefreshTokenPolicy::SpecificLifetime(n, unit)),
            "specific_inactivity" => Some(RefreshTokenPolicy::SpecificInactivity(n, unit)),
            _ => None,
        }
    }
}

impl fmt::Display for RefreshTokenPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefreshTokenPolicy::SpecificLifetime(n, u) | RefreshTokenPolicy::SpecificInactivity(n, u) => {
                write!(f, "{}:{}:{}", self.kind(), n, u.as_str())
            }
            _ => f.write_str(self.kind()),
        }
    }
}

/// Connected-app policy as far as the input states it. `None` means "not stated".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSettings {
    pub admin_approved: Option<bool>,
    pub ip_relaxation: Option<IpRelaxation>,
    pub refresh_token_policy: Option<RefreshTokenPolicy>,
    pub pkce_required: Option<bool>,
    pub callback_urls: Vec<String>,
    pub client_credentials_enabled: Option<bool>,
    pub client_credentials_user: Option<String>,
    pub introspect_all_tokens: Option<bool>,
    pub consumer_secret_optional: Option<bool>,
    pub secret_required_for_refresh_token: Option<bool>,
    pub refresh_token_rotation: Option<bool>,
    pub token_exchange_enabled: Option<bool>,
    pub preauthorized_profiles: Vec<String>,
    pub preauthorized_permission_sets: Vec<String>,
    pub ip_ranges: Vec<String>,
    /// 1-based line of each setting that the input states, by setting name.
    pub lines: BTreeMap<String, u32>,
}

/// A setting value as rules see it: absent, a flag, a word, or a list of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Unset,
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Unset => f.write_str("not set"),
            SettingValue::Bool(b) => write!(f, "{b}"),
            SettingValue::Text(t) => f.write_str(t),
            SettingValue::List(items) => f.write_str(&items.join(", ")),
        }
    }
}

impl AppSettings {
    /// Every setting name rules may refer to, in the order the docs list them.
    pub const NAMES: [&'static str; 15] = [
        "admin_approved",
        "ip_relaxation",
        "refresh_token_policy",
        "pkce_required",
        "callback_urls",
        "client_credentials_enabled",
        "client_credentials_user",
        "introspect_all_tokens",
        "consumer_secret_optional",
        "secret_required_for_refresh_token",
        "refresh_token_rotation",
        "token_exchange_enabled",
        "preauthorized_profiles",
        "preauthorized_permission_sets",
        "ip_ranges",
    ];

    pub fn value(&self, name: &str) -> SettingValue {
        fn flag(v: Option<bool>) -> SettingValue {
            v.map_or(SettingValue::Unset, SettingValue::Bool)
        }
        fn list(v: &[String]) -> SettingValue {
            if v.is_empty() {
                SettingValue::Unset
            } else {
                SettingValue::List(v.to_vec())
            }
        }
        match name {
            "admin_approved" => flag(self.admin_approved),
            "ip_relaxation" => self
                .ip_relaxation
                .map_or(SettingValue::Unset, |v| SettingValue::Text(v.as_str().to_string())),
            "refresh_token_policy" => self
                .refresh_token_policy
                .map_or(SettingValue::Unset, |v| SettingValue::Text(v.to_string())),
            "pkce_required" => flag(self.pkce_required),
            "callback_urls" => list(&self.callback_urls),
            "client_credentials_enabled" => flag(self.client_credentials_enabled),
            "client_credentials_user" => self
                .client_credentials_user
                .clone()
                .map_or(SettingValue::Unset, SettingValue::Text),
            "introspect_all_tokens" => flag(self.introspect_all_tokens),
            "consumer_secret_optional" => flag(self.consumer_secret_optional),
            "secret_required_for_refresh_token" => flag(self.secret_required_for_refresh_token),
            "refresh_token_rotation" => flag(self.refresh_token_rotation),
            "token_exchange_enabled" => flag(self.token_exchange_enabled),
            "preauthorized_profiles" => list(&self.preauthorized_profiles),
            "preauthorized_permission_sets" => list(&self.preauthorized_permission_sets),
            "ip_ranges" => list(&self.ip_ranges),
            _ => SettingValue::Unset,
        }
    }
}

/// A vendor app, normalized from any input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub name: String,
    pub vendor: Option<String>,
    pub platform: Platform,
    pub description: Option<String>,
    pub source: Source,
    /// 1-based line of the app's declaration (the `app:` key of a manifest).
    pub line: Option<u32>,
    pub integration: Integration,
    pub scopes: Vec<RequestedScope>,
    pub tools: Vec<Tool>,
    /// Line of the `tools:` key, where findings about the tool list as a whole point.
    pub tools_line: Option<u32>,
    pub settings: AppSettings,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_token_policy_round_trips_metadata_values() {
        for s in [
            "infinite",
            "zero",
            "specific_lifetime:3:MONTHS",
            "specific_inactivity:30:DAYS",
        ] {
            let p = RefreshTokenPolicy::parse(s).unwrap();
            assert_eq!(p.to_string(), s);
        }
        assert_eq!(
            RefreshTokenPolicy::parse("specific_inactivity:30:days"),
            Some(RefreshTokenPolicy::SpecificInactivity(30, TimeUnit::Days))
        );
        for bad in [
            "forever",
            "specific_lifetime:0:DAYS",
            "specific_lifetime:x:DAYS",
            "specific_lifetime:3:YEARS",
            "specific_lifetime:3:DAYS:1",
        ] {
            assert_eq!(RefreshTokenPolicy::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ip_relaxation_accepts_both_spellings() {
        assert_eq!(IpRelaxation::parse("BYPASS_2FACTOR"), Some(IpRelaxation::Bypass2Factor));
        assert_eq!(
            IpRelaxation::parse("Enforce_RelaxRefresh"),
            Some(IpRelaxation::EnforceRelaxRefresh)
        );
        assert_eq!(IpRelaxation::parse("ENFORCE_ACTIVATED_DEVICES"), None);
    }
}
