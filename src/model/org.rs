//! What an org adds to an app: who holds its tokens, when they were used, who is
//! pre-authorized (SPEC section 6, the per-app `org` object), and the org-wide summary of one
//! pull (the top-level `org` object). Plain data: the org reader and the snapshot reader both
//! produce it, rules and renderers read it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment in UTC, to the second. Salesforce writes `2026-11-23T10:00:00.000+0000`; this is
/// kept and printed as RFC 3339 (`2026-11-23T10:00:00Z`) so snapshots and reports agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(jiff::Timestamp);

impl Stamp {
    /// Reads RFC 3339 and the forms Salesforce uses (`+0000` offsets, milliseconds).
    pub fn parse(s: &str) -> Option<Stamp> {
        let s = s.trim();
        // An org sends a hundred thousand of these in one pull: its own form is read directly.
        if let Some(stamp) = Stamp::parse_salesforce(s) {
            return Some(stamp);
        }
        if let Ok(t) = s.parse::<jiff::Timestamp>() {
            return Some(Stamp::from_timestamp(t));
        }
        // `+0000` (no colon), as the REST API writes offsets.
        let (head, tail) = s.split_at(s.len().checked_sub(5)?);
        if (tail.starts_with('+') || tail.starts_with('-')) && tail[1..].bytes().all(|b| b.is_ascii_digit()) {
            let fixed = format!("{head}{}:{}", &tail[..3], &tail[3..]);
            return fixed.parse::<jiff::Timestamp>().ok().map(Stamp::from_timestamp);
        }
        None
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff](+0000|Z)`, the form the REST API writes, in UTC; None for
    /// anything else (which the general parser then reads).
    fn parse_salesforce(s: &str) -> Option<Stamp> {
        let b = s.as_bytes();
        let zone = if s.ends_with("+0000") {
            5
        } else if s.ends_with('Z') {
            1
        } else {
            return None;
        };
        let body = b.get(..b.len().checked_sub(zone)?)?;
        let (main, fraction) = match body.get(19) {
            None if body.len() == 19 => (body, &[][..]),
            Some(b'.') => (body.get(..19)?, body.get(20..)?),
            _ => return None,
        };
        if main.len() != 19
            || [4, 7].iter().any(|&i| main[i] != b'-')
            || main[10] != b'T'
            || [13, 16].iter().any(|&i| main[i] != b':')
            || !fraction.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            main[from..to]
                .iter()
                .try_fold(0i64, |n, &d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))
        };
        let date = jiff::civil::Date::new(
            i16::try_from(num(0, 4)?).ok()?,
            i8::try_from(num(5, 7)?).ok()?,
            i8::try_from(num(8, 10)?).ok()?,
        )
        .ok()?;
        let time = jiff::civil::Time::new(
            i8::try_from(num(11, 13)?).ok()?,
            i8::try_from(num(14, 16)?).ok()?,
            i8::try_from(num(17, 19)?).ok()?,
            0,
        )
        .ok()?;
        let t = jiff::tz::TimeZone::UTC.to_timestamp(date.to_datetime(time)).ok()?;
        Some(Stamp(t))
    }

    fn from_timestamp(t: jiff::Timestamp) -> Stamp {
        Stamp(jiff::Timestamp::from_second(t.as_second()).unwrap_or(t))
    }

    pub fn from_second(second: i64) -> Option<Stamp> {
        jiff::Timestamp::from_second(second).ok().map(Stamp)
    }

    pub fn now() -> Stamp {
        Stamp::from_timestamp(jiff::Timestamp::now())
    }

    pub fn as_second(self) -> i64 {
        self.0.as_second()
    }

    /// The civil date (UTC) of this moment.
    pub fn date(self) -> super::Date {
        super::Date::from_days(self.0.as_second().div_euclid(86_400))
    }

    /// Whole days from `self` to `later` (0 when `later` is earlier).
    pub fn days_until(self, later: Stamp) -> i64 {
        (later.as_second() - self.as_second()).max(0) / 86_400
    }
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%dT%H:%M:%SZ"))
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Stamp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a UTC date and time: `{s}`")))
    }
}

/// Which kind of org app. Spellings are the JSON `org.kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrgAppKind {
    ConnectedApp,
    ExternalClientApp,
}

impl OrgAppKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn display_name(self) -> &'static str {
        match self {
            OrgAppKind::ConnectedApp => "Connected App",
            OrgAppKind::ExternalClientApp => "External Client App",
        }
    }
}

/// Who may use an app without an admin's say: the JSON `org.permitted_users` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PermittedUsers {
    /// "All users may self-authorize".
    AllUsers,
    /// "Admin approved users are pre-authorized".
    AdminApproved,
}

impl PermittedUsers {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Whether the app's scopes and policies could be read (Connected Apps: through the Metadata
/// API; External Client Apps: their OAuth settings objects). When not, the app's scope list
/// is unknown, never "no scopes".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum ConfigRead {
    Read,
    /// Why not, in words for the report (e.g. "the Metadata API refused the token: INSUFFICIENT_ACCESS").
    Unread(String),
}

/// Who is pre-authorized through profiles and permission sets (SetupEntityAccess).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preauthorized {
    pub profiles: Vec<String>,
    pub permission_sets: Vec<String>,
    /// Distinct active users those profiles and permission sets cover.
    pub users_active: u64,
    /// Distinct users, active or not.
    pub users_all: u64,
}

impl Preauthorized {
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.permission_sets.is_empty()
    }
}

/// An org app's usage: the per-app `org` object of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUsage {
    pub kind: OrgAppKind,
    /// The record Id (ConnectedApplication or ExternalClientApplication).
    pub id: String,
    /// `Name` of a Connected App, `DeveloperName` of an External Client App.
    pub api_name: String,
    /// The current label (the app's `name` in the report).
    pub label: String,
    pub permitted_users: Option<PermittedUsers>,
    pub tokens: u64,
    /// Distinct users holding a token.
    pub users: u64,
    pub last_used: Option<Stamp>,
    /// Sum of the tokens' use counts.
    pub use_count: u64,
    /// Tokens not used for `stale_days` (or never used and created before then).
    pub stale_tokens: u64,
    pub inactive_user_tokens: u64,
    /// Tokens of users whose profile or permission sets grant Modify All Data or View All Data.
    pub privileged_user_tokens: u64,
    pub preauthorized: Preauthorized,
    /// Whether the scopes and policies were read.
    pub config: ConfigRead,
}

/// Tokens whose app is no longer installed (no menu item, no app by that label).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UninstalledApp {
    pub name: String,
    pub tokens: u64,
    pub users: u64,
    pub last_used: Option<Stamp>,
}

/// An object or column the org did not serve, and why (older orgs, editions, permissions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub object: String,
    pub reason: String,
}

/// The org's daily API usage, from `Sforce-Limit-Info` (`api-usage=used/max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiUsage {
    pub used: u64,
    pub max: u64,
}

/// The credential the audit ran with, and what its token may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCredential {
    /// The flow, as `org::token::Flow` spells it (`refresh_token`, `jwt_bearer`, ...).
    pub flow: String,
    /// The `scope` of the token response, when the flow reports one.
    pub scopes: Option<Vec<String>>,
}

/// One org pull, org-wide: the top-level `org` object of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub instance_url: String,
    pub org_id: String,
    pub api_version: String,
    pub taken_at: Stamp,
    /// False when the pull was cut short (`errors` say where); the report is then incomplete.
    pub complete: bool,
    pub api_calls: u64,
    pub api_usage: Option<ApiUsage>,
    pub skipped: Vec<Skipped>,
    pub tokens_total: u64,
    pub uninstalled_apps: Vec<UninstalledApp>,
    /// Days without use after which a token is stale.
    pub stale_days: u32,
    pub credential: Option<AuditCredential>,
    /// Users in the org, and how many are active.
    pub users_total: u64,
    pub users_active: u64,
    /// The snapshot file the pull was read from, with where org-wide findings point in it;
    /// None for a live pull. Not part of the JSON report.
    #[serde(skip)]
    pub snapshot: Option<SnapshotSource>,
}

/// Where the org-wide facts of a snapshot file are, so findings about them can point there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotSource {
    /// The file, as the user named it.
    pub path: String,
    /// The line of its `credential` member.
    pub credential_line: Option<u32>,
    /// The line of the first token row of each uninstalled app, by `UninstalledApp::name`.
    pub uninstalled_lines: std::collections::BTreeMap<String, u32>,
}

#[cfg(test)]
mod tests {
    use super::Stamp;

    #[test]
    fn salesforce_and_rfc3339_forms_read_alike() {
        for (raw, shown) in [
            ("2026-11-23T10:00:00.000+0000", "2026-11-23T10:00:00Z"),
            ("2026-11-23T10:00:00+0000", "2026-11-23T10:00:00Z"),
            ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z"),
            ("2026-11-23T10:00:00.5Z", "2026-11-23T10:00:00Z"),
            ("2026-11-23T12:00:00+02:00", "2026-11-23T10:00:00Z"),
            ("2026-11-23T12:00:00.000+0200", "2026-11-23T10:00:00Z"),
        ] {
            assert_eq!(
                Stamp::parse(raw).map(|s| s.to_string()).as_deref(),
                Some(shown),
                "{raw}"
            );
        }
        for bad in ["2026-13-23T10:00:00Z", "2026-11-23T25:00:00+0000", "x+0000", ""] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
    }
}
