//! Scope catalogs: every scope a platform documents, its aliases, what it grants and its risk.

use crate::model::Platform;
use crate::needs::{NeedsFile, NeedsTable};
use crate::text::edit_distance;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

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
pub enum Access {
    Identity,
    Read,
    Write,
    ReadWrite,
    Admin,
    Session,
    Offline,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the scope reaches records or sessions, rather than only who the user is or
    /// when the app may act.
    pub fn reaches_data(self) -> bool {
        !matches!(self, Access::Identity | Access::Offline)
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
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
pub enum Sensitivity {
    None,
    Identity,
    Business,
    Sensitive,
    HighlySensitive,
}

impl Sensitivity {
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
pub enum Status {
    Current,
    Coarse,
    Deprecated,
    Removed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntry {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub grants: String,
    pub access: Access,
    pub risk: Risk,
    pub sensitivity: Sensitivity,
    #[serde(default)]
    pub implies: Vec<String>,
    #[serde(default)]
    pub implies_all_except: Option<Vec<String>>,
    #[serde(default)]
    pub same_as: Option<String>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub replaced_by: Vec<String>,
    pub status: Status,
    #[serde(default)]
    pub tier: Option<String>,
    pub source: String,
    /// For deprecated and removed scopes: the date (YYYY-MM-DD) the platform retired or will
    /// retire the scope or its API.
    #[serde(default)]
    pub sunset: Option<String>,
    /// Where the platform announced that date.
    #[serde(default)]
    pub sunset_source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeastPrivilege {
    #[serde(default)]
    pub always: Vec<String>,
    #[serde(default)]
    pub sign_in: Vec<String>,
    /// Reading who the user is without signing them in (the identity URL).
    #[serde(default)]
    pub identify: Vec<String>,
    #[serde(default)]
    pub offline: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub platform: Platform,
    pub checked: String,
    pub scopes: Vec<ScopeEntry>,
    #[serde(default)]
    pub least_privilege: LeastPrivilege,
}

/// A validated catalog with its lookup tables.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub platform: Platform,
    pub checked: String,
    pub scopes: Vec<ScopeEntry>,
    pub least_privilege: LeastPrivilege,
    /// What each object, feature or API a tool can touch needs (`<platform>-needs.yaml`):
    /// built on first use ([`Catalog::needs`]), since only apps with tools ask, and the
    /// table is the larger half of the data.
    needs: std::sync::OnceLock<NeedsTable>,
    /// Where an unbuilt table comes from: the embedded file, parsed and checked against this
    /// catalog on first use (the data tests check it strictly).
    needs_from: Option<fn(Platform) -> Option<NeedsFile>>,
    /// Lower-cased id or alias -> index of the entry that carries it.
    names: HashMap<String, usize>,
    /// Canonical id -> every id that holding it grants (itself, synonyms, implications).
    grants: HashMap<String, BTreeSet<String>>,
}

impl Catalog {
    /// A catalog with no scopes: what a broken embedded catalog degrades to (every scope is
    /// then reported unknown, never silently accepted). The data tests keep this unreachable.
    pub fn empty(platform: Platform) -> Catalog {
        Catalog {
            platform,
            checked: String::new(),
            scopes: Vec::new(),
            least_privilege: LeastPrivilege::default(),
            needs: std::sync::OnceLock::new(),
            needs_from: None,
            names: HashMap::new(),
            grants: HashMap::new(),
        }
    }

    /// Validates a parsed catalog file and its needs table; every problem is reported, not
    /// just the first (the needs table's prefixed `needs:`).
    pub fn from_file(file: CatalogFile, needs: NeedsFile) -> Result<Catalog, Vec<String>> {
        Catalog::build(file, Some(needs))
    }

    /// A catalog whose needs table is read from `needs_from` on first use. A table that fails
    /// its checks then degrades to an empty one (every tool is then refused as unknown, never
    /// guessed at); the data tests keep that unreachable for the embedded tables.
    pub fn with_lazy_needs(
        file: CatalogFile,
        needs_from: fn(Platform) -> Option<NeedsFile>,
    ) -> Result<Catalog, Vec<String>> {
        let mut catalog = Catalog::build(file, None)?;
        catalog.needs_from = Some(needs_from);
        Ok(catalog)
    }

    /// Validates the catalog and, when given, its needs table now.
    fn build(file: CatalogFile, needs: Option<NeedsFile>) -> Result<Catalog, Vec<String>> {
        let mut problems = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, entry) in file.scopes.iter().enumerate() {
            if entry.id.trim().is_empty() || entry.id.chars().any(char::is_whitespace) {
                problems.push(format!("scope #{}: id `{}` must be one word", i + 1, entry.id));
            }
            for field in [
                ("title", &entry.title),
                ("grants", &entry.grants),
                ("source", &entry.source),
            ] {
                if field.1.trim().is_empty() {
                    problems.push(format!("scope `{}`: `{}` is empty", entry.id, field.0));
                }
            }
            problems.extend(status_problems(entry));
            for name in std::iter::once(&entry.id).chain(entry.aliases.iter()) {
                let key = name.to_ascii_lowercase();
                if let Some(&other) = names.get(&key) {
                    let what = if other == i { "twice" } else { "also" };
                    problems.push(format!(
                        "scope `{}`: name `{}` is {} used by `{}`",
                        entry.id, name, what, file.scopes[other].id
                    ));
                } else {
                    names.insert(key, i);
                }
            }
        }
        let known = |id: &str| {
            names
                .get(&id.to_ascii_lowercase())
                .map(|&i| file.scopes[i].id == id)
                .unwrap_or(false)
        };
        for entry in &file.scopes {
            let mut refs: Vec<(&str, &String)> = Vec::new();
            refs.extend(entry.implies.iter().map(|r| ("implies", r)));
            refs.extend(
                entry
                    .implies_all_except
                    .iter()
                    .flatten()
                    .map(|r| ("implies_all_except", r)),
            );
            refs.extend(entry.same_as.iter().map(|r| ("same_as", r)));
            refs.extend(entry.requires.iter().map(|r| ("requires", r)));
            refs.extend(entry.replaced_by.iter().map(|r| ("replaced_by", r)));
            for (field, target) in refs {
                if !known(target) {
                    problems.push(format!(
                        "scope `{}`: {field} names `{target}`, which is not a scope id",
                        entry.id
                    ));
                } else if target == &entry.id {
                    problems.push(format!("scope `{}`: {field} names itself", entry.id));
                }
            }
            if let Some(target) = &entry.same_as {
                let chained = file.scopes.iter().any(|e| &e.id == target && e.same_as.is_some());
                if chained {
                    problems.push(format!(
                        "scope `{}`: same_as `{target}`, which is itself a synonym",
                        entry.id
                    ));
                }
            }
        }
        let lp = &file.least_privilege;
        for (field, list) in [
            ("always", &lp.always),
            ("sign_in", &lp.sign_in),
            ("identify", &lp.identify),
            ("offline", &lp.offline),
        ] {
            for id in list {
                if !known(id) {
                    problems.push(format!("least_privilege.{field} names `{id}`, which is not a scope id"));
                }
            }
        }
        let needs = needs.map(|needs| {
            if needs.platform != file.platform {
                problems.push(format!(
                    "needs: the table is for {}, the catalog for {}",
                    needs.platform, file.platform
                ));
            }
            match NeedsTable::from_file(needs, &known, true) {
                Ok(n) => n,
                Err(p) => {
                    problems.extend(p.into_iter().map(|p| format!("needs: {p}")));
                    NeedsTable::default()
                }
            }
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut catalog = Catalog {
            platform: file.platform,
            checked: file.checked,
            scopes: file.scopes,
            least_privilege: file.least_privilege,
            needs: needs.map_or_else(std::sync::OnceLock::new, std::sync::OnceLock::from),
            needs_from: None,
            names,
            grants: HashMap::new(),
        };
        catalog.grants = catalog.compute_grants();
        Ok(catalog)
    }

    /// The needs table, built on first use.
    pub fn needs(&self) -> &NeedsTable {
        self.needs.get_or_init(|| {
            let file = self.needs_from.and_then(|load| load(self.platform));
            file.filter(|f| f.platform == self.platform)
                .and_then(|f| NeedsTable::from_file(f, &|id| self.resolve(id).is_some(), false).ok())
                .unwrap_or_default()
        })
    }

    /// The entry a name (id or alias, any case) refers to, before following `same_as`.
    fn lookup(&self, name: &str) -> Option<&ScopeEntry> {
        self.names
            .get(&name.trim().to_ascii_lowercase())
            .map(|&i| &self.scopes[i])
    }

    /// The entry a name means, following `same_as` to the canonical entry.
    pub fn resolve(&self, name: &str) -> Option<&ScopeEntry> {
        let entry = self.lookup(name)?;
        match &entry.same_as {
            Some(target) => self.lookup(target),
            None => Some(entry),
        }
    }

    /// Whether `name` lets the app act while the user is away (it issues a refresh token).
    pub fn is_offline(&self, name: &str) -> bool {
        self.resolve(name).is_some_and(|e| e.access == Access::Offline)
    }

    /// Whether `name` grants everything the user can reach: it covers every other scope but the
    /// ones it names as exceptions (Salesforce `full`).
    pub fn is_full(&self, name: &str) -> bool {
        self.resolve(name).is_some_and(|e| e.implies_all_except.is_some())
    }

    /// Whether `name` can change data (write, read-write or admin access).
    pub fn writes(&self, name: &str) -> bool {
        self.resolve(name)
            .is_some_and(|e| matches!(e.access, Access::Write | Access::ReadWrite | Access::Admin))
    }

    /// The resource a scope is about, without its access suffix: HubSpot's
    /// `crm.objects.deals.read` and `crm.objects.deals.write` share `crm.objects.deals`, so a
    /// change from one to the other is read growing to write.
    pub fn resource_of<'a>(&self, scope: &'a str) -> &'a str {
        for suffix in [".read_write", ".read", ".write"] {
            if let Some(stem) = scope.strip_suffix(suffix) {
                return stem;
            }
        }
        scope
    }

    /// The entry exactly as named (a synonym keeps its own title and text).
    pub fn entry(&self, name: &str) -> Option<&ScopeEntry> {
        self.lookup(name)
    }

    /// Every canonical id that holding `id` grants, including itself.
    pub fn grants_of(&self, id: &str) -> BTreeSet<String> {
        self.grants
            .get(id)
            .cloned()
            .unwrap_or_else(|| BTreeSet::from([id.to_string()]))
    }

    /// Whether holding `holder` also grants `target` (both canonical ids).
    pub fn covers(&self, holder: &str, target: &str) -> bool {
        holder == target || self.grants.get(holder).is_some_and(|set| set.contains(target))
    }

    /// Canonical ids that name `id` in `implies` or cover it through `implies_all_except`.
    pub fn implied_by(&self, id: &str) -> Vec<&str> {
        self.scopes
            .iter()
            .filter(|e| e.same_as.is_none() && e.id != id && self.covers(&e.id, id))
            .map(|e| e.id.as_str())
            .collect()
    }

    fn canonical_of(&self, id: &str) -> String {
        self.resolve(id).map_or_else(|| id.to_string(), |e| e.id.clone())
    }

    /// What holding each canonical id grants, itself included: the transitive closure of
    /// `implies` and `implies_all_except`, found by one depth-first walk per scope over indexes
    /// (O(n·(n+edges)); a fixed point over cloned maps was cubic on long implication chains).
    fn compute_grants(&self) -> HashMap<String, BTreeSet<String>> {
        let canonical_ids: Vec<&str> = self
            .scopes
            .iter()
            .filter(|e| e.same_as.is_none())
            .map(|e| e.id.as_str())
            .collect();
        let index: HashMap<&str, usize> = canonical_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); canonical_ids.len()];
        for entry in &self.scopes {
            let from = self.canonical_of(&entry.id);
            let Some(&from) = index.get(from.as_str()) else {
                continue;
            };
            for target in &entry.implies {
                if let Some(&to) = index.get(self.canonical_of(target).as_str()) {
                    edges[from].push(to);
                }
            }
            if let Some(except) = &entry.implies_all_except {
                let except: BTreeSet<String> = except.iter().map(|e| self.canonical_of(e)).collect();
                edges[from].extend((0..canonical_ids.len()).filter(|&c| !except.contains(canonical_ids[c])));
            }
        }
        let mut grants = HashMap::with_capacity(canonical_ids.len());
        let mut seen = vec![usize::MAX; canonical_ids.len()];
        let mut stack = Vec::new();
        for (source, id) in canonical_ids.iter().enumerate() {
            let mut reached = BTreeSet::new();
            stack.push(source);
            seen[source] = source;
            while let Some(node) = stack.pop() {
                reached.insert(canonical_ids[node].to_string());
                for &next in &edges[node] {
                    if seen[next] != source {
                        seen[next] = source;
                        stack.push(next);
                    }
                }
            }
            grants.insert((*id).to_string(), reached);
        }
        grants
    }

    /// Catalog ids close to an unknown name, for "did you mean" hints.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        let needle = name.trim().to_ascii_lowercase();
        // No scope name is this long; a hostile list of 100k such names must stay cheap.
        if needle.len() > MAX_SUGGESTED_NAME {
            return None;
        }
        let limit = (needle.len() / 4).clamp(1, 4);
        let mut best: Option<(usize, &str)> = None;
        for (key, &i) in &self.names {
            // Lengths that differ by more than the limit cannot be within it.
            if key.len().abs_diff(needle.len()) > limit {
                continue;
            }
            let distance = edit_distance(&needle, key);
            if distance <= limit && best.is_none_or(|(d, id)| (distance, self.scopes[i].id.as_str()) < (d, id)) {
                best = Some((distance, self.scopes[i].id.as_str()));
            }
        }
        best.map(|(_, id)| self.resolve(id).map_or(id, |e| e.id.as_str()))
    }
}

/// What a scope's status promises, checked: a coarse scope names the granular scopes that
/// replace it; a deprecated or removed one carries the sunset date and where it was announced;
/// a sunset belongs only to those two statuses.
fn status_problems(entry: &ScopeEntry) -> Vec<String> {
    let mut problems = Vec::new();
    let id = &entry.id;
    let retired = matches!(entry.status, Status::Deprecated | Status::Removed);
    if entry.status == Status::Coarse && entry.replaced_by.is_empty() {
        problems.push(format!(
            "scope `{id}`: status coarse needs `replaced_by` (the granular scopes that replace it)"
        ));
    }
    if retired && (entry.sunset.is_none() || entry.sunset_source.is_none()) {
        problems.push(format!(
            "scope `{id}`: status {} needs `sunset` (the date) and `sunset_source`",
            entry.status.as_str()
        ));
    }
    if !retired && (entry.sunset.is_some() || entry.sunset_source.is_some()) {
        problems.push(format!(
            "scope `{id}`: `sunset` belongs only to deprecated or removed scopes, not {}",
            entry.status.as_str()
        ));
    }
    if let Some(date) = &entry.sunset {
        if crate::model::Date::parse(date).is_none() {
            problems.push(format!("scope `{id}`: sunset `{date}` is not a YYYY-MM-DD date"));
        }
    }
    if let Some(source) = &entry.sunset_source {
        if source.trim().is_empty() {
            problems.push(format!("scope `{id}`: `sunset_source` is empty"));
        }
    }
    problems
}

/// Names longer than this get no "did you mean": the longest scope id is under 70 characters.
const MAX_SUGGESTED_NAME: usize = 80;

/// Where a platform's catalog comes from: already validated (a user's file), or built on
/// first use (the embedded one: a Salesforce audit never pays for parsing HubSpot's 225
/// scopes; the data tests validate the embedded catalogs strictly).
#[derive(Debug)]
pub enum CatalogSource {
    Ready(Box<Catalog>),
    Lazy(fn(Platform) -> Catalog),
}

#[derive(Debug)]
struct Slot {
    platform: Platform,
    source: CatalogSource,
    built: std::sync::OnceLock<Catalog>,
}

impl Slot {
    fn get(&self) -> &Catalog {
        match &self.source {
            CatalogSource::Ready(c) => c.as_ref(),
            CatalogSource::Lazy(build) => self.built.get_or_init(|| build(self.platform)),
        }
    }
}

/// Both platforms' catalogs.
#[derive(Debug)]
pub struct Catalogs {
    salesforce: Slot,
    hubspot: Slot,
}

impl Catalogs {
    pub fn new(salesforce: CatalogSource, hubspot: CatalogSource) -> Catalogs {
        let slot = |platform, source| Slot {
            platform,
            source,
            built: std::sync::OnceLock::new(),
        };
        Catalogs {
            salesforce: slot(Platform::Salesforce, salesforce),
            hubspot: slot(Platform::Hubspot, hubspot),
        }
    }

    pub fn get(&self, platform: Platform) -> &Catalog {
        match platform {
            Platform::Salesforce => self.salesforce.get(),
            Platform::Hubspot => self.hubspot.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> ScopeEntry {
        ScopeEntry {
            id: id.into(),
            title: id.into(),
            aliases: vec![],
            grants: format!("grants {id}"),
            access: Access::Read,
            risk: Risk::Low,
            sensitivity: Sensitivity::None,
            implies: vec![],
            implies_all_except: None,
            same_as: None,
            requires: vec![],
            replaced_by: vec![],
            status: Status::Current,
            tier: None,
            source: "https://example.org".into(),
            sunset: None,
            sunset_source: None,
            note: None,
        }
    }

    fn file(scopes: Vec<ScopeEntry>) -> CatalogFile {
        CatalogFile {
            platform: Platform::Salesforce,
            checked: "2026-11-23".into(),
            scopes,
            least_privilege: LeastPrivilege::default(),
        }
    }

    /// A catalog of these scopes with an empty needs table.
    fn load(scopes: Vec<ScopeEntry>) -> Result<Catalog, Vec<String>> {
        let needs = NeedsFile {
            platform: Platform::Salesforce,
            source: crate::needs::NeedsSource {
                title: "test".into(),
                url: "https://example.org".into(),
                version: "1".into(),
                date: "2026-11-30".into(),
                generator: None,
                follows: None,
            },
            targets: Vec::new(),
        };
        Catalog::from_file(file(scopes), needs)
    }

    #[test]
    fn domain_facts_come_from_the_catalog() {
        let catalogs = crate::data::load_catalogs(None).unwrap();
        let sf = catalogs.get(Platform::Salesforce);
        assert!(sf.is_offline("offline_access") && sf.is_offline("RefreshToken") && !sf.is_offline("api"));
        assert!(sf.is_full("Full") && !sf.is_full("api"));
        assert!(sf.writes("api") && !sf.writes("openid"));
        let hs = catalogs.get(Platform::Hubspot);
        assert_eq!(
            hs.resource_of("crm.objects.deals.read"),
            hs.resource_of("crm.objects.deals.write")
        );
        assert_eq!(hs.resource_of("oauth"), "oauth");
    }

    #[test]
    fn implication_is_transitive_and_all_except_excludes() {
        let mut full = entry("full");
        full.implies_all_except = Some(vec!["refresh_token".into()]);
        let mut api = entry("api");
        api.implies = vec!["chatter_api".into()];
        let mut offline = entry("offline_access");
        offline.same_as = Some("refresh_token".into());
        let catalog = load(vec![full, api, entry("chatter_api"), entry("refresh_token"), offline]).unwrap();
        assert!(catalog.covers("full", "chatter_api"));
        assert!(catalog.covers("api", "chatter_api"));
        assert!(!catalog.covers("full", "refresh_token"));
        assert_eq!(catalog.resolve("OFFLINE_ACCESS").unwrap().id, "refresh_token");
        assert_eq!(catalog.implied_by("chatter_api"), vec!["full", "api"]);
    }

    #[test]
    fn a_long_implication_chain_closes_in_one_walk_per_scope() {
        // s0 implies s1 implies ... s1999: the first grants all 2,000, the last only itself.
        let n = 2_000;
        let scopes: Vec<ScopeEntry> = (0..n)
            .map(|i| {
                let mut e = entry(&format!("s{i}"));
                if i + 1 < n {
                    e.implies = vec![format!("s{}", i + 1)];
                }
                e
            })
            .collect();
        let catalog = load(scopes).unwrap();
        assert_eq!(catalog.grants_of("s0").len(), n);
        assert_eq!(catalog.grants_of("s1000").len(), n - 1000);
        assert_eq!(catalog.grants_of("s1999").len(), 1);
        assert!(catalog.covers("s3", "s1999") && !catalog.covers("s1999", "s3"));
    }

    #[test]
    fn statuses_keep_their_promises() {
        let mut coarse = entry("coarse");
        coarse.status = Status::Coarse;
        let mut removed = entry("removed");
        removed.status = Status::Removed;
        removed.sunset = Some("2023-02-30".into());
        let mut current = entry("current");
        current.sunset = Some("2023-02-28".into());
        current.sunset_source = Some("https://example.org/sunset".into());
        let problems = load(vec![coarse, removed, current]).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("`coarse`: status coarse needs `replaced_by`"));
        assert!(problems[1].contains("`removed`: status removed needs `sunset`"));
        assert!(problems[2].contains("sunset `2023-02-30` is not a YYYY-MM-DD date"));
        assert!(problems[3].contains("`current`: `sunset` belongs only to deprecated or removed"));

        let mut coarse = entry("coarse");
        coarse.status = Status::Coarse;
        coarse.replaced_by = vec!["granular".into()];
        let mut removed = entry("removed");
        removed.status = Status::Removed;
        removed.sunset = Some("2023-02-28".into());
        removed.sunset_source = Some("https://example.org/sunset".into());
        assert!(load(vec![coarse, removed, entry("granular")]).is_ok());
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut a = entry("a");
        a.aliases = vec!["B".into()];
        a.implies = vec!["nope".into()];
        let mut b = entry("b");
        b.same_as = Some("a".into());
        b.replaced_by = vec!["b".into()];
        let problems = load(vec![a, b]).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(problems[0].contains("name `b` is also used by `a`"));
        assert!(problems[1].contains("implies names `nope`"));
        // `b` lost its name to `a`'s alias, so nothing answers to it.
        assert!(problems[2].contains("replaced_by names `b`, which is not a scope id"));
    }
}
