//! What the human formats say about an org pull, computed once from the report so text,
//! Markdown and HTML cannot disagree: the org summary (apps by grade, tokens, who is
//! pre-authorized), each app's usage in words, and the coverage section (what was read, what
//! was skipped and why, the API calls used). Strings from the org stay as they are here; each
//! format neutralizes them on the way out.

use super::{AppReport, Report};
use crate::labels::{self, TokenCount};
use crate::model::org::{ConfigRead, OrgSummary, OrgUsage, Stamp};
use serde::Serialize;

/// The anchor of the `index`th app's section in Markdown and HTML.
pub fn anchor(index: usize) -> String {
    format!("app-{}", index + 1)
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n word` or `n words`.
pub fn count(n: u64, word: &str) -> String {
    format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// A moment as people read it in a report: the date, and how long before the pull.
pub fn when(stamp: Option<Stamp>, taken_at: Stamp) -> String {
    match stamp {
        None => "never".to_string(),
        Some(stamp) => match stamp.days_until(taken_at) {
            0 => format!("{} (within a day of the pull)", stamp.date()),
            days => format!("{} ({} before the pull)", stamp.date(), count(days as u64, "day")),
        },
    }
}

/// The metadata type an org app is, as the Metadata API names it.
pub fn metadata_type(kind: crate::model::org::OrgAppKind) -> &'static str {
    match kind {
        crate::model::org::OrgAppKind::ConnectedApp => "ConnectedApp",
        crate::model::org::OrgAppKind::ExternalClientApp => "ExternalClientApplication",
    }
}

/// Where an org app lives, as one name: `https://x.my.salesforce.com/ConnectedApp/Ledger_Sync`.
/// The parts are the org's text: each format neutralizes the result.
pub fn record_name(instance: &str, usage: &OrgUsage) -> String {
    format!(
        "{}/{}/{}",
        instance.trim_end_matches('/'),
        metadata_type(usage.kind),
        usage.api_name
    )
}

/// One letter grade and how many apps got it.
#[derive(Debug, Clone, Serialize)]
pub struct GradeCount {
    pub grade: String,
    pub apps: usize,
}

/// An app named in the summary, with the anchor of its section.
#[derive(Debug, Clone, Serialize)]
pub struct AppRef<'a> {
    pub name: &'a str,
    pub anchor: String,
    pub grade: &'a str,
    pub score: u32,
}

/// A token count of the summary, by its closed kind and its words.
#[derive(Debug, Clone, Serialize)]
pub struct TokenLine {
    pub kind: TokenCount,
    pub label: &'static str,
    pub tokens: u64,
    /// Apps with at least one such token.
    pub apps: usize,
}

/// An app that pre-authorizes users through profiles or permission sets.
#[derive(Debug, Clone, Serialize)]
pub struct PreauthorizedApp<'a> {
    pub app: AppRef<'a>,
    pub profiles: &'a [String],
    pub permission_sets: &'a [String],
    pub users_active: u64,
    pub users_all: u64,
    /// Whether the app lets every user self-authorize, so the rows do nothing.
    pub not_enforced: bool,
}

/// Tokens of an app that is no longer installed.
#[derive(Debug, Clone, Serialize)]
pub struct UninstalledView<'a> {
    pub name: &'a str,
    pub tokens: u64,
    pub users: u64,
    pub last_used: String,
}

/// An app whose scopes and policies could not be read, and why.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadApp<'a> {
    pub app: AppRef<'a>,
    pub reason: &'a str,
}

/// The org summary and coverage section every human format shows.
#[derive(Debug, Clone, Serialize)]
pub struct OrgOverview<'a> {
    pub org: &'a OrgSummary,
    pub taken_at: String,
    pub apps: usize,
    pub connected_apps: usize,
    pub external_client_apps: usize,
    /// Grades with at least one app, best first.
    pub grades: Vec<GradeCount>,
    /// Apps whose findings fail the gate.
    pub not_acceptable: usize,
    /// The lowest-scoring apps graded D or F, worst first (at most [`RISKIEST`]).
    pub riskiest: Vec<AppRef<'a>>,
    /// How many apps are graded D or F in all.
    pub risky: usize,
    /// Tokens held for installed apps.
    pub app_tokens: u64,
    pub token_lines: Vec<TokenLine>,
    pub uninstalled_tokens: u64,
    pub uninstalled_users: u64,
    /// The uninstalled apps holding tokens, as the org listed them, with their last use in words.
    pub uninstalled: Vec<UninstalledView<'a>>,
    pub preauthorized: Vec<PreauthorizedApp<'a>>,
    /// Distinct profiles and permission sets that pre-authorize any app.
    pub preauthorizing_profiles: usize,
    pub preauthorizing_permission_sets: usize,
    pub credential_flow: Option<String>,
    pub credential_scopes: Option<String>,
    /// Coverage: apps whose scopes and policies were read, and those that were not.
    pub config_read: usize,
    pub unread: Vec<UnreadApp<'a>>,
    /// The org's daily API usage as a percentage, when the org reported it.
    pub api_usage_percent: Option<u64>,
}

/// How many of the riskiest apps the summary names.
pub const RISKIEST: usize = 5;

fn app_ref(index: usize, app: &AppReport) -> AppRef<'_> {
    AppRef {
        name: &app.name,
        anchor: anchor(index),
        grade: &app.grade,
        score: app.score,
    }
}

impl<'a> OrgOverview<'a> {
    pub fn new(report: &'a Report) -> Option<OrgOverview<'a>> {
        let org = report.org.as_ref()?;
        let org_apps: Vec<(usize, &AppReport, &OrgUsage)> = report
            .apps
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.org.as_ref().map(|o| (i, a, o)))
            .collect();
        let kind = |k| org_apps.iter().filter(|(_, _, o)| o.kind == k).count();
        let grades = ["A", "B", "C", "D", "F"]
            .iter()
            .filter_map(|g| {
                let apps = report.apps.iter().filter(|a| a.grade == *g).count();
                (apps > 0).then(|| GradeCount {
                    grade: (*g).to_string(),
                    apps,
                })
            })
            .collect();
        let mut risky: Vec<(usize, &AppReport)> = report
            .apps
            .iter()
            .enumerate()
            .filter(|(_, a)| a.grade.as_str() >= "D")
            .collect();
        risky.sort_by(|(i, a), (j, b)| a.score.cmp(&b.score).then(i.cmp(j)));
        let token_lines = [TokenCount::Stale, TokenCount::InactiveUser, TokenCount::PrivilegedUser]
            .into_iter()
            .map(|kind| {
                let of = |o: &OrgUsage| match kind {
                    TokenCount::Stale => o.stale_tokens,
                    TokenCount::InactiveUser => o.inactive_user_tokens,
                    TokenCount::PrivilegedUser => o.privileged_user_tokens,
                };
                TokenLine {
                    kind,
                    label: labels::token_count_label(kind),
                    tokens: org_apps.iter().map(|(_, _, o)| of(o)).sum(),
                    apps: org_apps.iter().filter(|(_, _, o)| of(o) > 0).count(),
                }
            })
            .collect();
        let preauthorized: Vec<PreauthorizedApp> = org_apps
            .iter()
            .filter(|(_, _, o)| !o.preauthorized.is_empty())
            .map(|(i, a, o)| PreauthorizedApp {
                app: app_ref(*i, a),
                profiles: &o.preauthorized.profiles,
                permission_sets: &o.preauthorized.permission_sets,
                users_active: o.preauthorized.users_active,
                users_all: o.preauthorized.users_all,
                not_enforced: o.permitted_users == Some(crate::model::org::PermittedUsers::AllUsers),
            })
            .collect();
        let distinct = |pick: fn(&PreauthorizedApp<'a>) -> &'a [String]| {
            preauthorized
                .iter()
                .flat_map(|p| pick(p).iter())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        };
        let preauthorizing_profiles = distinct(|p| p.profiles);
        let preauthorizing_permission_sets = distinct(|p| p.permission_sets);
        let unread: Vec<UnreadApp> = org_apps
            .iter()
            .filter_map(|(i, a, o)| match &o.config {
                ConfigRead::Read => None,
                ConfigRead::Unread(reason) => Some(UnreadApp {
                    app: app_ref(*i, a),
                    reason,
                }),
            })
            .collect();
        Some(OrgOverview {
            org,
            taken_at: org.taken_at.to_string(),
            apps: report.apps.len(),
            connected_apps: kind(crate::model::org::OrgAppKind::ConnectedApp),
            external_client_apps: kind(crate::model::org::OrgAppKind::ExternalClientApp),
            grades,
            not_acceptable: report
                .apps
                .iter()
                .filter(|a| a.verdict == super::ReviewVerdict::NotAcceptable)
                .count(),
            risky: risky.len(),
            riskiest: risky.iter().take(RISKIEST).map(|(i, a)| app_ref(*i, a)).collect(),
            app_tokens: org_apps.iter().map(|(_, _, o)| o.tokens).sum(),
            token_lines,
            uninstalled_tokens: org.uninstalled_apps.iter().map(|u| u.tokens).sum(),
            uninstalled_users: org.uninstalled_apps.iter().map(|u| u.users).sum(),
            uninstalled: org
                .uninstalled_apps
                .iter()
                .map(|u| UninstalledView {
                    name: &u.name,
                    tokens: u.tokens,
                    users: u.users,
                    last_used: when(u.last_used, org.taken_at),
                })
                .collect(),
            preauthorized,
            preauthorizing_profiles,
            preauthorizing_permission_sets,
            credential_flow: org
                .credential
                .as_ref()
                .map(|c| labels::credential_flow_label(&c.flow).into_owned()),
            credential_scopes: org
                .credential
                .as_ref()
                .and_then(|c| c.scopes.as_ref())
                .map(|s| s.join(" ")),
            config_read: org_apps.len() - unread.len(),
            unread,
            api_usage_percent: org
                .api_usage
                .filter(|u| u.max > 0)
                .map(|u| u.used.saturating_mul(100) / u.max),
        })
    }
}

/// One app's org usage in words, for its section.
#[derive(Debug, Clone, Serialize)]
pub struct AppUsage<'a> {
    pub usage: &'a OrgUsage,
    pub kind: &'static str,
    /// Who may use the app; absent when the org did not say.
    pub permitted_users: Option<&'static str>,
    pub last_used: String,
    /// The token counts that are not zero, in words.
    pub counts: Vec<TokenLine>,
    /// Why the scopes and policies could not be read; absent when they were.
    pub unread: Option<&'a str>,
    /// Pre-authorization rows on an app that lets every user self-authorize: they do nothing.
    pub not_enforced: bool,
}

impl<'a> AppUsage<'a> {
    pub fn new(usage: &'a OrgUsage, taken_at: Option<Stamp>) -> AppUsage<'a> {
        let counts = [
            (TokenCount::Stale, usage.stale_tokens),
            (TokenCount::InactiveUser, usage.inactive_user_tokens),
            (TokenCount::PrivilegedUser, usage.privileged_user_tokens),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, tokens)| TokenLine {
            kind,
            label: labels::token_count_label(kind),
            tokens,
            apps: 1,
        })
        .collect();
        AppUsage {
            usage,
            kind: labels::org_app_kind_label(usage.kind),
            permitted_users: usage.permitted_users.map(labels::permitted_users_label),
            last_used: match taken_at {
                Some(taken) => when(usage.last_used, taken),
                None => usage.last_used.map_or("never".to_string(), |s| s.date().to_string()),
            },
            counts,
            unread: match &usage.config {
                ConfigRead::Read => None,
                ConfigRead::Unread(reason) => Some(reason),
            },
            not_enforced: !usage.preauthorized.is_empty()
                && usage.permitted_users == Some(crate::model::org::PermittedUsers::AllUsers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(1, "token"), "1 token");
        assert_eq!(count(2500, "token"), "2,500 tokens");
    }

    #[test]
    fn ages_count_from_the_pull() {
        let taken = Stamp::parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(when(None, taken), "never");
        assert_eq!(
            when(Stamp::parse("2026-11-20T09:00:00Z"), taken),
            "2026-11-20 (3 days before the pull)"
        );
        assert_eq!(
            when(Stamp::parse("2026-11-23T01:00:00Z"), taken),
            "2026-11-23 (within a day of the pull)"
        );
    }
}
