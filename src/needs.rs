//! The needs table (`scope-catalogs/<platform>-needs.yaml`): what each thing a tool can touch
//! (an object, an engagement, a feature, an API family) needs, per access, as "all of" groups
//! of "any of" scopes, each with the evidence it comes from. HubSpot's is generated from the
//! platform's OpenAPI specs; Salesforce's is written from its documentation.

use crate::model::{Named, Platform, Tool, ToolAccess};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What kind of thing a target is: the manifest names objects with `object:` and the rest
/// with `feature:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum TargetKind {
    /// A record type: a Salesforce sObject, a HubSpot CRM object.
    Object,
    /// A HubSpot engagement (calls, notes, meetings, tasks, emails, ...): a CRM object too.
    Engagement,
    /// Something an app does beyond records: properties, pipelines, imports, HubDB, files.
    Feature,
    /// A Salesforce API family (Chatter REST, Data Cloud query, the Models API, ...).
    Api,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the manifest names it with `object:` (else `feature:`).
    pub fn is_object(self) -> bool {
        matches!(self, TargetKind::Object | TargetKind::Engagement)
    }
}

/// What one access to a target needs: every group, and one scope of each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessNeed {
    /// "All of" these groups; within a group "any of", narrowest first.
    pub all_of: Vec<Vec<String>>,
    /// The operation(s) or documentation page that says so, for the reviewer to check.
    pub source: String,
}

/// One shape of custom-object name: a regular expression a whole name must match, and an
/// example for messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectShape {
    pub pattern: String,
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// What a manifest tool names: `contacts`, `Account`, `imports`, `properties:deals`.
    pub name: String,
    pub kind: TargetKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The shapes of custom-object names this target serves (Salesforce `Invoice__c`, HubSpot
    /// `p_pets` and `2-123456`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<ObjectShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<AccessNeed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<AccessNeed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<AccessNeed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<AccessNeed>,
}

impl Target {
    pub fn access(&self, access: ToolAccess) -> Option<&AccessNeed> {
        match access {
            ToolAccess::Read => self.read.as_ref(),
            ToolAccess::Create => self.create.as_ref(),
            ToolAccess::Update => self.update.as_ref(),
            ToolAccess::Delete => self.delete.as_ref(),
        }
    }

    fn accesses(&self) -> impl Iterator<Item = (&'static str, &AccessNeed)> {
        [
            ("read", &self.read),
            ("create", &self.create),
            ("update", &self.update),
            ("delete", &self.delete),
        ]
        .into_iter()
        .filter_map(|(name, need)| need.as_ref().map(|n| (name, n)))
    }

    /// The per-object feature's base name: `properties` of `properties:deals`.
    pub fn feature(&self) -> &str {
        self.name.split_once(':').map_or(self.name.as_str(), |(f, _)| f)
    }
}

/// Where the table as a whole comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedsSource {
    pub title: String,
    pub url: String,
    /// The spec commit, or the documentation release.
    pub version: String,
    pub date: String,
    /// The script that writes the table, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// Where a guide and the spec disagree: which one the table follows, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedsFile {
    pub platform: Platform,
    pub source: NeedsSource,
    pub targets: Vec<Target>,
}

/// A validated needs table with its lookups.
#[derive(Debug, Clone, Default)]
pub struct NeedsTable {
    pub source: NeedsSource,
    pub targets: Vec<Target>,
    /// Lower-cased name or alias -> index into `targets`.
    names: HashMap<String, usize>,
    /// Custom-object shapes with the target each serves, compiled on first use: compiling a
    /// case-insensitive pattern costs more than a small audit, and most names are found by
    /// name first.
    shapes: Vec<(Shape, usize)>,
}

/// A shape's pattern and its compiled form.
#[derive(Debug, Clone, Default)]
struct Shape {
    pattern: String,
    compiled: std::sync::OnceLock<Option<regex::Regex>>,
}

impl Shape {
    fn is_match(&self, name: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(&self.pattern).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(name))
    }
}

/// What a name a tool gives is to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetMatch<'a> {
    /// A target or alias the table lists.
    Known(&'a Target),
    /// A custom object, by the shape of its name.
    Custom(&'a Target),
    /// Neither; with the listed name it is a slip of, if any.
    Unknown(Option<&'a str>),
}

impl NeedsTable {
    /// Validates a parsed table; `known` says whether a scope name is in the catalog. Every
    /// problem is returned. Shapes are compiled now, to check them, only when `strict` (a
    /// user's file, the data tests); the embedded table's compile on first use.
    pub fn from_file(file: NeedsFile, known: &dyn Fn(&str) -> bool, strict: bool) -> Result<NeedsTable, Vec<String>> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("title", &file.source.title),
            ("url", &file.source.url),
            ("version", &file.source.version),
            ("date", &file.source.date),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("source.{field} is empty: say where the table comes from"));
            }
        }
        if crate::model::Date::parse(&file.source.date).is_none() {
            problems.push(format!("source.date `{}` is not a date (YYYY-MM-DD)", file.source.date));
        }
        let mut names = HashMap::new();
        let mut shapes = Vec::new();
        for (i, target) in file.targets.iter().enumerate() {
            let t = &target.name;
            if t.trim().is_empty() || t.trim() == "*" {
                problems.push(format!(
                    "target `{t}`: give every target a name; custom objects are matched by `shapes:`, never by a catch-all"
                ));
            }
            for name in std::iter::once(t).chain(target.aliases.iter()) {
                if names.insert(name.to_ascii_lowercase(), i).is_some() {
                    problems.push(format!("target `{t}`: name `{name}` is used twice"));
                }
            }
            for shape in &target.shapes {
                let p = &shape.pattern;
                let anchored = (p.starts_with('^') || p.starts_with("(?i)^")) && p.ends_with('$');
                if !anchored {
                    problems.push(format!(
                        "target `{t}`: shape `{p}` must match whole names: start it with `^` and end it with `$`"
                    ));
                }
                let compiled = std::sync::OnceLock::new();
                if strict {
                    match regex::Regex::new(p) {
                        Err(e) => problems.push(format!("target `{t}`: shape `{p}` is not a regular expression: {e}")),
                        Ok(re) if !re.is_match(&shape.example) => problems.push(format!(
                            "target `{t}`: shape `{p}` does not match its example `{}`",
                            shape.example
                        )),
                        Ok(re) => {
                            let _ = compiled.set(Some(re));
                        }
                    }
                }
                shapes.push((
                    Shape {
                        pattern: p.clone(),
                        compiled,
                    },
                    i,
                ));
            }
            if target.accesses().next().is_none() {
                problems.push(format!("target `{t}`: states no access (read, create, update, delete)"));
            }
            for (access, need) in target.accesses() {
                if need.source.trim().is_empty() {
                    problems.push(format!("target `{t}`: {access} has no source"));
                }
                if need.all_of.is_empty() || need.all_of.iter().any(Vec::is_empty) {
                    problems.push(format!("target `{t}`: {access} has an empty need or group"));
                }
                for id in need.all_of.iter().flatten() {
                    if !known(id) {
                        problems.push(format!("target `{t}`: {access} names `{id}`, which is not a scope id"));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NeedsTable {
            source: file.source,
            targets: file.targets,
            names,
            shapes,
        })
    }

    /// What a name is: listed (any case), a custom object by its shape, or unknown (with the
    /// listed name it is a slip of, if any).
    pub fn find(&self, name: &str) -> TargetMatch<'_> {
        let name = name.trim();
        if let Some(&i) = self.names.get(&name.to_ascii_lowercase()) {
            return TargetMatch::Known(&self.targets[i]);
        }
        if let Some((_, i)) = self.shapes.iter().find(|(shape, _)| shape.is_match(name)) {
            return TargetMatch::Custom(&self.targets[*i]);
        }
        // Type ids (`0-7`) are numbers, not words: one digit off is another object.
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return TargetMatch::Unknown(None);
        }
        let listed = self
            .targets
            .iter()
            .flat_map(|t| std::iter::once(t.name.as_str()).chain(t.aliases.iter().map(String::as_str)))
            .filter(|n| !n.starts_with(|c: char| c.is_ascii_digit()));
        TargetMatch::Unknown(crate::suggest::nearest(name, listed))
    }

    /// The target a name serves, if the table can place it.
    pub fn target(&self, name: &str) -> Option<&Target> {
        match self.find(name) {
            TargetMatch::Known(t) | TargetMatch::Custom(t) => Some(t),
            TargetMatch::Unknown(_) => None,
        }
    }

    /// Examples of the custom-object names the table recognises by shape.
    pub fn custom_object_examples(&self) -> Vec<&str> {
        self.targets
            .iter()
            .flat_map(|t| t.shapes.iter().map(|s| s.example.as_str()))
            .collect()
    }

    /// The vocabulary a manifest may use: object names, then feature names (per-object
    /// features once, by their base name).
    pub fn vocabulary(&self) -> (Vec<&str>, Vec<&str>) {
        let mut objects = Vec::new();
        let mut features: Vec<&str> = Vec::new();
        for t in &self.targets {
            if t.kind.is_object() {
                objects.push(t.name.as_str());
            } else if !features.contains(&t.feature()) {
                features.push(t.feature());
            }
        }
        (objects, features)
    }
}

impl NeedsTable {
    /// The targets a tool touches, or why the table cannot place it: a near miss gets "did
    /// you mean", anything else names the accepted vocabulary. `platform` names the platform
    /// in messages.
    pub fn resolve(&self, tool: &Tool, platform: Platform) -> Result<Vec<&Target>, String> {
        let vocabulary = format!(
            "`scopeaudit scopes {} --objects` lists what a tool may name",
            platform.as_str()
        );
        let shown = |name: &str| crate::untrusted::capped(name, 80).into_owned();
        let unknown = |name: &str, near: Option<&str>, what: &str| match near {
            Some(near) => format!(
                "`{}` is not a {} {what}: did you mean `{near}`?",
                shown(name),
                platform.display_name()
            ),
            None => {
                let examples = self.custom_object_examples();
                let custom = if what == "object" && !examples.is_empty() {
                    format!(
                        ", nor a custom-object name ({})",
                        examples.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
                    )
                } else {
                    String::new()
                };
                format!(
                    "`{}` is not a {} {what}{custom}; {vocabulary}",
                    shown(name),
                    platform.display_name()
                )
            }
        };
        match tool.named {
            Named::Object => {
                if !tool.of.is_empty() {
                    return Err("`of` goes with `feature:` (the objects a feature is about)".to_string());
                }
                self.object(&tool.target, &unknown).map(|t| vec![t])
            }
            Named::Feature if tool.of.is_empty() => match self.find(&tool.target) {
                TargetMatch::Known(t) if !t.kind.is_object() => Ok(vec![t]),
                TargetMatch::Known(t) | TargetMatch::Custom(t) => Err(format!(
                    "`{}` is an object: write `object: {}`",
                    shown(&tool.target),
                    t.name
                )),
                TargetMatch::Unknown(_) if self.per_object(&tool.target).next().is_some() => Err(format!(
                    "`{}` is about objects: add `of:` naming them (it is listed for {})",
                    shown(&tool.target),
                    self.per_object(&tool.target)
                        .map(|o| format!("`{o}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                TargetMatch::Unknown(_) => {
                    let (_, features) = self.vocabulary();
                    Err(unknown(
                        &tool.target,
                        crate::suggest::nearest(&tool.target, features),
                        "feature",
                    ))
                }
            },
            Named::Feature => {
                let feature = tool.target.trim().to_ascii_lowercase();
                if self.per_object(&feature).next().is_none() {
                    let (_, features) = self.vocabulary();
                    let per_object: Vec<&str> = features
                        .into_iter()
                        .filter(|f| self.per_object(f).next().is_some())
                        .collect();
                    return Err(match crate::suggest::nearest(&feature, per_object.iter().copied()) {
                        Some(near) => format!(
                            "`{}` is not a per-object feature: did you mean `{near}`?",
                            shown(&tool.target)
                        ),
                        None => format!(
                            "`{}` takes no `of:`; the features that do: {}",
                            shown(&tool.target),
                            per_object
                                .iter()
                                .map(|f| format!("`{f}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
                let mut out = Vec::new();
                for object in &tool.of {
                    let object = self.object(object, &unknown)?;
                    match self.target(&format!("{feature}:{}", object.name)) {
                        Some(t) => out.push(t),
                        None => {
                            return Err(format!(
                                "no `{feature}` for `{}` in the table (it is listed for {})",
                                object.name,
                                self.per_object(&feature)
                                    .map(|o| format!("`{o}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// An object target (or a custom object by its shape) by name.
    fn object(&self, name: &str, unknown: &dyn Fn(&str, Option<&str>, &str) -> String) -> Result<&Target, String> {
        match self.find(name) {
            TargetMatch::Known(t) | TargetMatch::Custom(t) if t.kind.is_object() => Ok(t),
            TargetMatch::Known(t) | TargetMatch::Custom(t) => Err(format!(
                "`{}` is a feature, not an object: write `feature: {}`",
                crate::untrusted::capped(name, 80),
                t.feature()
            )),
            TargetMatch::Unknown(near) => Err(unknown(name, near, "object")),
        }
    }

    /// The objects a per-object feature is listed for (`deals` of `properties:deals`).
    fn per_object<'a>(&'a self, feature: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let feature = feature.trim().to_ascii_lowercase();
        self.targets.iter().filter_map(move |t| {
            t.name
                .split_once(':')
                .filter(|(f, _)| f.eq_ignore_ascii_case(&feature))
                .map(|(_, o)| o)
        })
    }
}
