//! The normalized app: what every input format is turned into before the engine sees it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use strum::VariantArray as _;

pub mod org;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, strum::VariantArray, strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Salesforce,
    Hubspot,
}

/// A platform's name in any case (`Salesforce`, `HUBSPOT`): in manifests, rules, catalogs,
/// policies and snapshots alike.
impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Platform;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("salesforce or hubspot")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Platform, E> {
                Platform::named(v).ok_or_else(|| E::unknown_variant(v, &["salesforce", "hubspot"]))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Platform {
    /// The platform a name means, in any case: `salesforce` or `hubspot` only (no nicknames).
    pub fn named(name: &str) -> Option<Platform> {
        Platform::VARIANTS
            .iter()
            .copied()
            .find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }

    pub fn as_str(self) -> &'static str {
        self.into()
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

/// Where an app came from: the path as the user named it, the kind of input, and every file
/// the app was read from (an External Client App is several files; `files[0]` is `path`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub path: String,
    pub kind: InputKind,
    #[serde(skip_serializing_if = "is_single")]
    pub files: Vec<String>,
}

fn is_single(files: &[String]) -> bool {
    files.len() <= 1
}

impl Source {
    pub fn single(path: impl Into<String>, kind: InputKind) -> Source {
        let path = path.into();
        Source {
            files: vec![path.clone()],
            path,
            kind,
        }
    }

    /// The path of file `index`; out-of-range indexes fall back to the main path.
    pub fn file(&self, index: u16) -> &str {
        self.files
            .get(usize::from(index))
            .map_or(self.path.as_str(), String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Manifest,
    ScopeList,
    ConnectedApp,
    ExternalClientApp,
    HubspotPublicApp,
    HubspotPrivateApp,
    HubspotProjectApp,
    AuthorizeUrl,
    /// An app read from a live Salesforce org (`source.path` is the instance URL).
    SalesforceOrg,
    /// An app read from a saved org snapshot (`source.path` is the snapshot file).
    OrgSnapshot,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the input describes the app's configuration, so that what it leaves out takes
    /// the platform's default. An authorize URL or a scope list says nothing about policies.
    pub fn describes_configuration(self) -> bool {
        !matches!(self, InputKind::ScopeList | InputKind::AuthorizeUrl)
    }
}

/// A place in an app's source: which of `Source::files`, and the 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub file: u16,
    pub line: u32,
}

impl Pos {
    /// A line of the app's main (or only) file.
    pub fn line(line: u32) -> Pos {
        Pos { file: 0, line }
    }
}

/// The kind of a [`Note`]: each kind can be waived or disabled without hiding the others
/// (`config-anomaly/repeated` in a policy's `rules`, or `code:` on an ignore).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NoteCode {
    /// An element, parameter or scope stated more than once (the riskier reading is audited).
    Repeated,
    /// Two files disagree about one app.
    Conflicting,
    /// Something the platform needs is absent.
    Missing,
    /// Stated, but the platform ignores it or it does not do what it seems to.
    Ineffective,
    /// An element or value that is empty.
    EmptyValue,
    /// A value the platform does not accept.
    InvalidValue,
    /// A setting in the wrong element or file, read as if in place.
    Misplaced,
    /// An element or key this tool does not know (misspelled, or newer than the tool).
    UnknownElement,
    /// A scope written with a label, quotes or a comment, read as the scope it names.
    AnnotatedScope,
    /// Syntax the platform's own parser rejects (comments in JSON), read leniently.
    LenientSyntax,
}

impl NoteCode {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(code: &str) -> Option<NoteCode> {
        code.parse().ok()
    }
}

/// Something the reader noticed about the input itself (a misspelled element, a setting in the
/// wrong place, an annotated scope string): reported as a finding, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub code: NoteCode,
    pub message: String,
    pub at: Option<Pos>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Optional,
    Conditional,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One scope as the app asks for it, before the catalog is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedScope {
    /// The name exactly as written in the input.
    pub name: String,
    pub requirement: Requirement,
    pub justification: Option<String>,
    /// Where the input names it, where the input has lines.
    pub at: Option<Pos>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ToolAccess {
    Read,
    Create,
    Update,
    Delete,
}

impl ToolAccess {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn writes(self) -> bool {
        !matches!(self, ToolAccess::Read)
    }
}

/// Something the app does, which drives the least-privilege analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    /// What it touches, as the manifest names it: `contacts`, `Account`, `imports`,
    /// `properties`.
    pub target: String,
    /// Whether the manifest named it as an `object` or a `feature`.
    pub named: Named,
    /// For a per-object feature, the objects it is about (`properties` of `deals`; the two
    /// objects of `associations`).
    pub of: Vec<String>,
    pub access: ToolAccess,
    pub at: Option<Pos>,
}

impl Tool {
    /// How reports show what the tool touches: `contacts`, `properties of deals`.
    pub fn touches(&self) -> String {
        if self.of.is_empty() {
            self.target.clone()
        } else {
            format!("{} of {}", self.target, self.of.join(" and "))
        }
    }
}

/// The key a manifest tool names what it touches with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Named {
    Object,
    Feature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Delegation {
    /// Acts as the signed-in user.
    User,
    /// Acts as one integration user.
    Service,
}

impl Delegation {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
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
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Flow> {
        Flow::VARIANTS.iter().copied().find(|f| f.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Integration {
    pub delegation: Option<Delegation>,
    pub flows: Vec<Flow>,
    pub token_storage: Option<String>,
    /// The app signs users in with the platform (OpenID Connect / identity URL).
    pub sign_in: bool,
    /// The app reads who the user is (name, email) without signing them in: an identity need,
    /// distinct from access to data.
    pub identifies_users: bool,
    /// Where the input lists the flows, where it does (findings about a flow point here).
    pub flows_at: Option<Pos>,
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

/// A callback (redirect) URL and where the input lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    pub url: String,
    pub at: Option<Pos>,
}

/// What could be read of a certificate configured on the app (it enables the JWT bearer flow).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateInfo {
    pub not_before: Option<Date>,
    pub not_after: Option<Date>,
    /// Why the validity period could not be read, when it could not.
    pub problem: Option<String>,
}

/// The host an authorize URL sends the browser to, as a browser reads the URL (WHATWG URL
/// Standard): lower case, international names in punycode, with the port when it is not the
/// scheme's default. Never the user name or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeHost {
    pub host: String,
    /// Whether it is one of the platform's own consent hosts (HubSpot's app hosts; Salesforce's
    /// login, My Domain and site hosts).
    pub known: bool,
}

/// App policy as far as the input states it (or, for platform metadata, as the platform's
/// documented default makes it). `None` and empty lists mean "not stated".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSettings {
    /// Whether the app can issue OAuth tokens at all: false for a SAML-only connected app (no
    /// OAuth configuration), or an External Client App switched off (`isEnabled`) or with its
    /// OAuth plugin switched off (`isOauthPluginEnabled`).
    pub oauth_enabled: Option<bool>,
    pub admin_approved: Option<bool>,
    pub ip_relaxation: Option<IpRelaxation>,
    pub refresh_token_policy: Option<RefreshTokenPolicy>,
    pub pkce_required: Option<bool>,
    /// Whether an authorization request carries a PKCE `code_challenge` (authorize URLs).
    pub pkce_used: Option<bool>,
    /// Where an authorize URL sends the browser (authorize URLs only).
    pub authorize_host: Option<AuthorizeHost>,
    /// Whether an authorize URL has a `scope` parameter (authorize URLs only).
    pub scope_parameter: Option<bool>,
    pub callback_urls: Vec<CallbackUrl>,
    pub client_credentials_enabled: Option<bool>,
    pub client_credentials_user: Option<String>,
    pub introspect_all_tokens: Option<bool>,
    pub consumer_secret_optional: Option<bool>,
    pub secret_required_for_refresh_token: Option<bool>,
    pub refresh_token_rotation: Option<bool>,
    pub token_exchange_enabled: Option<bool>,
    pub preauthorized_profiles: Vec<String>,
    pub preauthorized_permission_sets: Vec<String>,
    /// IP ranges as `start-end`, or a single address.
    pub ip_ranges: Vec<String>,
    pub certificate: Option<CertificateInfo>,
    /// Salesforce canvas app access method: `Get` (OAuth) or `Post` (signed request).
    pub canvas_access_method: Option<String>,
    /// HubSpot auth type: `oauth` or `static`.
    pub auth_type: Option<String>,
    /// HubSpot distribution: `marketplace` or `private`.
    pub distribution: Option<String>,
    /// HubSpot `permittedUrls` / `allowedUrls`: where the app's extensions may call.
    pub permitted_urls: Vec<String>,
    /// Kinds of secret found committed in the input (`consumer secret`, `private key`): names
    /// only, never the values.
    pub committed_secrets: Vec<String>,
    pub app_owner: Option<AppOwner>,
    /// Credentials of the app the customer hands to the vendor.
    pub vendor_holds: Vec<Credential>,
    /// Where each setting is stated.
    pub at: BTreeMap<Setting, Pos>,
}

/// A setting value as rules see it: absent, a flag, a number, a word, or a list of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Unset,
    Bool(bool),
    Number(i64),
    Text(String),
    List(Vec<String>),
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Unset => f.write_str("not set"),
            SettingValue::Bool(b) => write!(f, "{b}"),
            SettingValue::Number(n) => write!(f, "{n}"),
            SettingValue::Text(t) => f.write_str(t),
            SettingValue::List(items) => f.write_str(&items.join(", ")),
        }
    }
}

/// Every app setting that rules, reports and `diff` may name, stated by an input or derived
/// from one (`certificate_days_left` from the certificate). The spelling is derived once.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Setting {
    OauthEnabled,
    AdminApproved,
    IpRelaxation,
    RefreshTokenPolicy,
    PkceRequired,
    PkceUsed,
    AuthorizeHost,
    AuthorizeHostKnown,
    ScopeParameter,
    CallbackUrls,
    ClientCredentialsEnabled,
    ClientCredentialsUser,
    IntrospectAllTokens,
    ConsumerSecretOptional,
    SecretRequiredForRefreshToken,
    RefreshTokenRotation,
    TokenExchangeEnabled,
    PreauthorizedProfiles,
    PreauthorizedPermissionSets,
    IpRanges,
    IpRangeAddresses,
    Certificate,
    CertificateNotAfter,
    CertificateDaysLeft,
    CertificateLifetimeDays,
    CertificateProblem,
    CanvasAccessMethod,
    AuthType,
    Distribution,
    PermittedUrls,
    CommittedSecrets,
    /// Whose connected app it is: `vendor` (the vendor's own, installed from its listing) or
    /// `customer` (created in the customer's org for the vendor to use).
    AppOwner,
    /// Credentials of the app the customer hands to the vendor: `consumer_secret`,
    /// `refresh_token`, `private_key`, `password` (names only).
    VendorHolds,
}

/// Whose connected app (or HubSpot app) it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AppOwner {
    /// The vendor's own app: the customer authorizes it; the vendor's secret stays with it.
    Vendor,
    /// An app the customer creates in its own org (some vendors' setup guides ask for one) and
    /// whose credentials it then hands to the vendor.
    Customer,
}

impl AppOwner {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A credential of an app, by kind: what a customer may hand to a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Credential {
    ConsumerSecret,
    /// A refresh token an admin minted by authorizing the app as some user.
    RefreshToken,
    PrivateKey,
    Password,
}

impl Credential {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a platform does when an app's configuration leaves a setting out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformDefault {
    /// The value rules see.
    pub value: SettingValue,
    /// What that means, for messages: "Salesforce's default lets every user self-authorize".
    pub meaning: &'static str,
}

impl Setting {
    /// The documented default for a setting the app's configuration does not state, on
    /// `platform` (reference/salesforce.md section 2: `isAdminApproved` false,
    /// `refreshTokenPolicy` infinite, `ipRelaxation` ENFORCE).
    pub fn platform_default(self, platform: Platform) -> Option<PlatformDefault> {
        let (value, meaning) = match (platform, self) {
            (Platform::Salesforce, Setting::AdminApproved) => (
                SettingValue::Bool(false),
                "Salesforce's default lets every user self-authorize",
            ),
            (Platform::Salesforce, Setting::RefreshTokenPolicy) => (
                SettingValue::Text("infinite".to_string()),
                "Salesforce's default keeps refresh tokens valid until revoked",
            ),
            (Platform::Salesforce, Setting::IpRelaxation) => (
                SettingValue::Text("ENFORCE".to_string()),
                "Salesforce's default enforces the org's IP restrictions",
            ),
            _ => return None,
        };
        Some(PlatformDefault { value, meaning })
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Setting> {
        name.parse().ok()
    }

    /// The stated setting a derived one is read from: a finding about a certificate's days left
    /// points at the certificate, one about the addresses a range covers at the range.
    pub fn source(self) -> Setting {
        match self {
            Setting::IpRangeAddresses => Setting::IpRanges,
            Setting::CertificateNotAfter
            | Setting::CertificateDaysLeft
            | Setting::CertificateLifetimeDays
            | Setting::CertificateProblem => Setting::Certificate,
            Setting::AuthorizeHostKnown => Setting::AuthorizeHost,
            stated => stated,
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AppSettings {
    /// Where the input states `setting`, or (for a derived one) the setting it comes from.
    pub fn position(&self, setting: Setting) -> Option<Pos> {
        self.at
            .get(&setting)
            .or_else(|| self.at.get(&setting.source()))
            .copied()
    }

    /// The value of a setting; `today` dates the certificate's remaining days.
    pub fn value(&self, setting: Setting, today: Date) -> SettingValue {
        fn flag(v: Option<bool>) -> SettingValue {
            v.map_or(SettingValue::Unset, SettingValue::Bool)
        }
        fn text(v: Option<&str>) -> SettingValue {
            v.map_or(SettingValue::Unset, |s| SettingValue::Text(s.to_string()))
        }
        fn list(v: &[String]) -> SettingValue {
            if v.is_empty() {
                SettingValue::Unset
            } else {
                SettingValue::List(v.to_vec())
            }
        }
        let cert = self.certificate.as_ref();
        let number = |v: Option<i64>| v.map_or(SettingValue::Unset, SettingValue::Number);
        match setting {
            Setting::OauthEnabled => flag(self.oauth_enabled),
            Setting::AdminApproved => flag(self.admin_approved),
            Setting::IpRelaxation => text(self.ip_relaxation.map(IpRelaxation::as_str)),
            Setting::RefreshTokenPolicy => self
                .refresh_token_policy
                .map_or(SettingValue::Unset, |v| SettingValue::Text(v.to_string())),
            Setting::PkceRequired => flag(self.pkce_required),
            Setting::PkceUsed => flag(self.pkce_used),
            Setting::AuthorizeHost => text(self.authorize_host.as_ref().map(|h| h.host.as_str())),
            Setting::AuthorizeHostKnown => flag(self.authorize_host.as_ref().map(|h| h.known)),
            Setting::ScopeParameter => flag(self.scope_parameter),
            Setting::CallbackUrls => {
                SettingValue::List(self.callback_urls.iter().map(|u| u.url.clone()).collect()).non_empty()
            }
            Setting::ClientCredentialsEnabled => flag(self.client_credentials_enabled),
            Setting::ClientCredentialsUser => text(self.client_credentials_user.as_deref()),
            Setting::IntrospectAllTokens => flag(self.introspect_all_tokens),
            Setting::ConsumerSecretOptional => flag(self.consumer_secret_optional),
            Setting::SecretRequiredForRefreshToken => flag(self.secret_required_for_refresh_token),
            Setting::RefreshTokenRotation => flag(self.refresh_token_rotation),
            Setting::TokenExchangeEnabled => flag(self.token_exchange_enabled),
            Setting::PreauthorizedProfiles => list(&self.preauthorized_profiles),
            Setting::PreauthorizedPermissionSets => list(&self.preauthorized_permission_sets),
            Setting::IpRanges => list(&self.ip_ranges),
            Setting::IpRangeAddresses => number(
                (!self.ip_ranges.is_empty())
                    .then(|| self.ip_ranges.iter().filter_map(|r| ipv4_range_size(r)).sum::<i64>()),
            ),
            Setting::Certificate => text(cert.map(|c| if c.problem.is_some() { "unreadable" } else { "present" })),
            Setting::CertificateNotAfter => text(cert.and_then(|c| c.not_after).map(|d| d.to_string()).as_deref()),
            Setting::CertificateDaysLeft => {
                number(cert.and_then(|c| c.not_after).map(|d| d.to_days() - today.to_days()))
            }
            Setting::CertificateLifetimeDays => {
                number(cert.and_then(|c| Some(c.not_after?.to_days() - c.not_before?.to_days())))
            }
            Setting::CertificateProblem => text(cert.and_then(|c| c.problem.as_deref())),
            Setting::CanvasAccessMethod => text(self.canvas_access_method.as_deref()),
            Setting::AuthType => text(self.auth_type.as_deref()),
            Setting::Distribution => text(self.distribution.as_deref()),
            Setting::PermittedUrls => list(&self.permitted_urls),
            Setting::CommittedSecrets => list(&self.committed_secrets),
            Setting::AppOwner => text(self.app_owner.map(AppOwner::as_str)),
            Setting::VendorHolds => {
                SettingValue::List(self.vendor_holds.iter().map(|c| c.as_str().to_string()).collect()).non_empty()
            }
        }
    }
}

/// JSON keeps each value's type: flags as booleans, lists as arrays.
impl Serialize for SettingValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SettingValue::Unset => serializer.serialize_none(),
            SettingValue::Bool(b) => serializer.serialize_bool(*b),
            SettingValue::Number(n) => serializer.serialize_i64(*n),
            SettingValue::Text(t) => serializer.serialize_str(t),
            SettingValue::List(items) => items.serialize(serializer),
        }
    }
}

impl SettingValue {
    fn non_empty(self) -> SettingValue {
        match self {
            SettingValue::List(items) if items.is_empty() => SettingValue::Unset,
            other => other,
        }
    }
}

/// How many IPv4 addresses a `start-end` range (or single address) covers; None when it is
/// not an IPv4 range (IPv6 ranges are not sized).
pub fn ipv4_range_size(range: &str) -> Option<i64> {
    let (start, end) = match range.split_once('-') {
        Some((s, e)) => (s.trim(), e.trim()),
        None => (range.trim(), range.trim()),
    };
    let start: std::net::Ipv4Addr = start.parse().ok()?;
    let end: std::net::Ipv4Addr = end.parse().ok()?;
    let (start, end) = (i64::from(u32::from(start)), i64::from(u32::from(end)));
    (end >= start).then_some(end - start + 1)
}

/// A calendar date (no time zone), as in waiver expiry and certificate validity. Arithmetic
/// and parsing are jiff's; this type keeps the few operations the audit needs in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

impl Date {
    /// Parses exactly `YYYY-MM-DD` (a real day: no 2027-02-29).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
        shaped.then(|| s.parse::<jiff::civil::Date>().ok().map(Date)).flatten()
    }

    pub fn from_ymd(year: u32, month: u32, day: u32) -> Option<Date> {
        let (year, month, day) = (
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
        );
        jiff::civil::Date::new(year, month, day).ok().map(Date)
    }

    fn epoch() -> jiff::civil::Date {
        jiff::civil::date(1970, 1, 1)
    }

    /// The date a number of days after 1970-01-01, clamped to jiff's range (years -9999..=9999).
    pub fn from_days(days: i64) -> Date {
        let days = days.clamp(-4_371_587, 2_932_896);
        Date(
            Date::epoch()
                .checked_add(jiff::SignedDuration::from_hours(days * 24))
                .unwrap_or(Date::epoch()),
        )
    }

    /// Days since 1970-01-01: the inverse of [`Date::from_days`].
    pub fn to_days(self) -> i64 {
        self.0.duration_since(Date::epoch()).as_secs() / 86_400
    }

    /// Today in UTC, or `SCOPEAUDIT_TODAY` (YYYY-MM-DD) so expiry can be tested and replayed.
    /// Only the command line asks; a session is handed its "today".
    pub fn today() -> Date {
        if let Some(date) = std::env::var("SCOPEAUDIT_TODAY").ok().and_then(|s| Date::parse(&s)) {
            return date;
        }
        Date::from_days(jiff::Timestamp::now().as_second().div_euclid(86_400))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What identifies an app, from most to least stable: what the platform calls it (a
/// Connected App's or External Client App's API name, a HubSpot project's uid), the OAuth
/// client id of a consent link, and only when the input has nothing better, its display label.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, strum::VariantArray, strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IdentityKind {
    ApiName,
    HubspotUid,
    ClientId,
    Label,
}

/// An app's identity: fingerprints, waivers and `diff` use it, so renaming an app's label
/// does not reset its SARIF alerts or its waivers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AppIdentity {
    pub kind: IdentityKind,
    pub value: String,
}

impl AppIdentity {
    pub fn new(kind: IdentityKind, value: impl Into<String>) -> AppIdentity {
        AppIdentity {
            kind,
            value: value.into(),
        }
    }

    /// The key findings are fingerprinted with. A label keys as its lower-case self, as every
    /// fingerprint did before identities, so manifests keep their SARIF history.
    pub fn key(&self) -> String {
        match self.kind {
            IdentityKind::Label => self.value.to_lowercase(),
            kind => format!("{}:{}", <&str>::from(kind), self.value),
        }
    }
}

/// How an approved manifest names the live app it approves (its `match:` block): the org's
/// or platform's own identifiers first, the label only as a last resort.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MatchKey {
    /// SPEC section 2's key: a Connected App's API name (`fullName`) or an External Client
    /// App's developer name.
    SalesforceApiName,
    /// A Connected App's API name (`fullName`, `ConnectedApplication` record's app).
    ConnectedApp,
    /// A Connected App's consumer key (OAuth client id).
    ConsumerKey,
    /// An External Client App's developer name.
    ExternalClientApp,
    /// SPEC section 2's key: a HubSpot app id, or a project app's uid.
    HubspotAppId,
    /// A HubSpot project app's uid.
    HubspotUid,
    /// The app's label: the last resort, and reported as one.
    Label,
}

impl MatchKey {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(key: &str) -> Option<MatchKey> {
        key.parse().ok()
    }

    /// Whether a manifest's key `self` names an app by the app's key `have`: SPEC's broad keys
    /// cover the narrower ones (`salesforce_api_name` is a Connected App's or External Client
    /// App's name, `hubspot_app_id` an app id or a project's uid).
    pub fn covers(self, have: MatchKey) -> bool {
        self == have
            || matches!(
                (self, have),
                (
                    MatchKey::SalesforceApiName,
                    MatchKey::ConnectedApp | MatchKey::ExternalClientApp
                ) | (MatchKey::HubspotAppId, MatchKey::HubspotUid)
            )
    }

    /// The platform whose apps carry this key; None for the label, which any app has.
    pub fn platform(self) -> Option<Platform> {
        match self {
            MatchKey::SalesforceApiName
            | MatchKey::ConnectedApp
            | MatchKey::ConsumerKey
            | MatchKey::ExternalClientApp => Some(Platform::Salesforce),
            MatchKey::HubspotAppId | MatchKey::HubspotUid => Some(Platform::Hubspot),
            MatchKey::Label => None,
        }
    }
}

/// One line of a manifest's `match:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMatch {
    pub key: MatchKey,
    pub value: String,
    pub at: Option<Pos>,
}

/// A vendor app, normalized from any input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub name: String,
    /// What identifies the app across versions and renames.
    pub identity: AppIdentity,
    pub vendor: Option<String>,
    pub platform: Platform,
    pub description: Option<String>,
    pub source: Source,
    /// Where the app is declared (the `app:` key of a manifest, the root element of XML).
    pub at: Option<Pos>,
    pub integration: Integration,
    pub scopes: Vec<RequestedScope>,
    pub tools: Vec<Tool>,
    /// Where the `tools:` key is, where findings about the tool list as a whole point.
    pub tools_at: Option<Pos>,
    /// Where the integration (flows, sign-in) is described: findings about needs that come
    /// from it point here.
    pub integration_at: Option<Pos>,
    pub settings: AppSettings,
    pub notes: Vec<Note>,
    /// For an app read from an org (live or a snapshot): its tokens, users and
    /// pre-authorization. None for a declared app.
    pub org: Option<Box<org::OrgUsage>>,
    /// For an approved manifest: how it names the live app it approves (`match:`). Empty for
    /// every other input.
    pub matches: Vec<AppMatch>,
    /// A Salesforce app's consumer key (`<consumerKey>`): the OAuth client id, which is
    /// public, so an approved manifest can match the app by it. Never the consumer secret.
    pub consumer_key: Option<String>,
    /// Whether an approved manifest (`--approved DIR`) matched the app, and what it approved.
    pub approval: ApprovalState,
}

/// An app held against the approved manifests: not checked (no `--approved`), unapproved, or
/// approved by one manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ApprovalState {
    #[default]
    NotChecked,
    Unapproved,
    Approved(Box<Approval>),
}

/// What an approved manifest approved, carried on the live app it matched, so rules compare
/// the two without knowing about files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The manifest's path, as shown.
    pub manifest: String,
    /// The line of the manifest's `app:` key, where findings about the approval point.
    pub manifest_line: Option<u32>,
    /// The key it matched by (`label` is the last resort).
    pub matched_by: MatchKey,
    /// The approved scopes, in the manifest's order.
    pub scopes: Vec<ApprovedScope>,
    /// The approved settings (only what the manifest states is compared).
    pub settings: AppSettings,
}

impl Approval {
    /// Whether the approval lists the scope with catalog id `id`.
    pub fn grants(&self, id: &str) -> bool {
        self.scopes.iter().any(|s| s.id == id)
    }
}

/// One scope of an approved manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedScope {
    /// The catalog id, or the name as written when no catalog knows it.
    pub id: String,
    /// Why the security team approved it, as the manifest says.
    pub justification: Option<String>,
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
    fn date_days_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 20_780, 2_932_896] {
            assert_eq!(Date::from_days(days).to_days(), days, "{days}");
        }
        assert_eq!(Date::parse("2026-11-23").unwrap().to_days(), 20_780);
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
