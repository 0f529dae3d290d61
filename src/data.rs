//! Loading the catalogs and rules: the embedded ones, then the user's `--catalogs` and
//! `--rules` directories on top. Every problem is reported, each naming its file.

use crate::catalog::{Catalog, CatalogFile, CatalogSource, Catalogs};
use crate::model::Platform;
use crate::needs::NeedsFile;
use crate::rule::{Rule, RuleFile, RuleSet};
use crate::source_file::{self, FileError};
use crate::yaml;
use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

const MAX_DATA_BYTES: u64 = 4 * 1024 * 1024;

/// An embedded data file of `scope-catalogs/`, by stem, parsed.
fn embedded_data<T: serde::de::DeserializeOwned>(stem: &str) -> Result<T, FileError> {
    let display = format!("<embedded>/scope-catalogs/{stem}.yaml");
    let (_, json) = embedded::CATALOGS
        .iter()
        .find(|(s, _)| *s == stem)
        .ok_or_else(|| FileError::new(display.clone(), "not embedded in this build"))?;
    serde_json::from_str(json).map_err(|e| FileError::new(display, e.to_string()))
}

fn needs_stem(platform: Platform) -> String {
    format!("{}-needs", platform.as_str())
}

fn data_from_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    let display = path.display().to_string();
    let text = source_file::read_text(path, &display, MAX_DATA_BYTES)?;
    yaml::from_str(&display, &text)
}

/// Problems found validating a catalog and its needs table, each named by its file: the
/// table's are prefixed `needs: `.
fn located(problems: Vec<String>, catalog: &str, needs: &str) -> Vec<FileError> {
    problems
        .into_iter()
        .map(|p| match p.strip_prefix("needs: ") {
            Some(rest) => FileError::new(needs, rest),
            None => FileError::new(catalog, p),
        })
        .collect()
}

/// The embedded catalog of a platform and its needs table, validated; every problem is
/// returned.
pub fn embedded_catalog_strict(platform: Platform) -> Result<Catalog, Vec<FileError>> {
    let display = format!("<embedded>/scope-catalogs/{}.yaml", platform.as_str());
    let needs_display = format!("<embedded>/scope-catalogs/{}.yaml", needs_stem(platform));
    let file: CatalogFile = embedded_data(platform.as_str()).map_err(|e| vec![e])?;
    let needs: NeedsFile = embedded_data(&needs_stem(platform)).map_err(|e| vec![e])?;
    Catalog::from_file(file, needs).map_err(|problems| located(problems, &display, &needs_display))
}

/// An embedded catalog that fails validation is a defect of the build, which the data tests
/// catch (they load it with [`embedded_catalog_strict`]). Were one to ship, it degrades to an
/// empty catalog: every scope is then an `unknown-scope` finding, so nothing passes silently,
/// and the library prints nothing of its own.
fn embedded_catalog_lazy(platform: Platform) -> Catalog {
    embedded_data::<CatalogFile>(platform.as_str())
        .ok()
        .and_then(|file| Catalog::with_lazy_needs(file, embedded_needs).ok())
        .unwrap_or_else(|| Catalog::empty(platform))
}

fn embedded_needs(platform: Platform) -> Option<NeedsFile> {
    embedded_data(&needs_stem(platform)).ok()
}

/// The catalogs: each platform's embedded catalog (built on first use), or
/// `DIR/<platform>.yaml` when given (validated now, every problem reported).
pub fn load_catalogs(dir: Option<&Path>) -> Result<Catalogs, Vec<FileError>> {
    let mut errors = Vec::new();
    // `DIR/<platform>.yaml` replaces the catalog, `DIR/<platform>-needs.yaml` its needs table;
    // either may be given alone, the other is the embedded one.
    let mut load = |platform: Platform| -> Option<CatalogSource> {
        let given = |name: String| dir.map(|d| d.join(name)).filter(|p| p.is_file());
        let catalog_path = given(format!("{}.yaml", platform.as_str()));
        let needs_path = given(format!("{}.yaml", needs_stem(platform)));
        if catalog_path.is_none() && needs_path.is_none() {
            return Some(CatalogSource::Lazy(embedded_catalog_lazy));
        }
        let catalog_display = catalog_path.as_ref().map_or_else(
            || format!("<embedded>/scope-catalogs/{}.yaml", platform.as_str()),
            |p| p.display().to_string(),
        );
        let needs_display = needs_path.as_ref().map_or_else(
            || format!("<embedded>/scope-catalogs/{}.yaml", needs_stem(platform)),
            |p| p.display().to_string(),
        );
        let file: Result<CatalogFile, FileError> = match &catalog_path {
            Some(p) => data_from_yaml(p),
            None => embedded_data(platform.as_str()),
        };
        let needs: Result<NeedsFile, FileError> = match &needs_path {
            Some(p) => data_from_yaml(p),
            None => embedded_data(&needs_stem(platform)),
        };
        let (file, needs) = match (file, needs) {
            (Ok(f), Ok(n)) => (f, n),
            (f, n) => {
                errors.extend(f.err());
                errors.extend(n.err());
                return None;
            }
        };
        let mut wrong_platform = false;
        for (display, said) in [(&catalog_display, file.platform), (&needs_display, needs.platform)] {
            if said != platform {
                errors.push(FileError::new(
                    display.clone(),
                    format!("says `platform: {said}`, expected {platform}"),
                ));
                wrong_platform = true;
            }
        }
        if wrong_platform {
            return None;
        }
        match Catalog::from_file(file, needs) {
            Ok(c) => Some(CatalogSource::Ready(Box::new(c))),
            Err(problems) => {
                let (of_needs, of_catalog): (Vec<String>, Vec<String>) =
                    problems.into_iter().partition(|p| p.starts_with("needs: "));
                errors.extend(located(of_catalog, &catalog_display, &needs_display));
                // The embedded table against the user's own catalog: one line, not one per
                // scope it names.
                match (&needs_path, of_needs.len()) {
                    (_, 0) => {}
                    (None, n) => errors.push(FileError::new(
                        catalog_display.clone(),
                        format!(
                            "the embedded needs table does not fit this catalog ({n} problems, first: {}); give {} too",
                            of_needs[0].trim_start_matches("needs: "),
                            needs_stem(platform) + ".yaml"
                        ),
                    )),
                    (Some(_), _) => errors.extend(located(of_needs, &catalog_display, &needs_display)),
                }
                None
            }
        }
    };
    let salesforce = load(Platform::Salesforce);
    let hubspot = load(Platform::Hubspot);
    if let Some(dir) = dir {
        if !dir.is_dir() {
            errors.push(FileError::new(dir.display().to_string(), "--catalogs: not a directory"));
        }
    }
    match (salesforce, hubspot) {
        (Some(salesforce), Some(hubspot)) if errors.is_empty() => Ok(Catalogs::new(salesforce, hubspot)),
        _ => Err(errors),
    }
}

/// The rules: the embedded ones, then every `DIR/*.yaml`, replacing a rule of the same id.
/// User rules are checked in full now; the embedded rules' regular expressions compile on
/// first use, unless `strict_embedded` (the data tests) asks for the full check.
pub fn load_rules(dir: Option<&Path>, catalogs: &Catalogs, strict_embedded: bool) -> Result<RuleSet, Vec<FileError>> {
    let mut errors = Vec::new();
    let mut set = RuleSet::default();
    for (stem, json) in embedded::RULES {
        let display = format!("<embedded>/rules/{stem}.yaml");
        match serde_json::from_str::<RuleFile>(json) {
            Ok(file) => match Rule::from_file(file, stem, catalogs, strict_embedded) {
                Ok(rule) => set.insert(rule),
                Err(problems) => errors.extend(problems.into_iter().map(|p| FileError::new(display.clone(), p))),
            },
            Err(e) => errors.push(FileError::new(display, e.to_string())),
        }
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![FileError::new(
                dir.display().to_string(),
                format!("--rules: {}", source_file::io_message(&e)),
            )]
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        paths.sort();
        for path in paths {
            let display = path.display().to_string();
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let file = source_file::read_text(&path, &display, MAX_DATA_BYTES)
                .and_then(|text| yaml::from_str::<RuleFile>(&display, &text));
            match file {
                Ok(file) => match Rule::from_file(file, &stem, catalogs, true) {
                    Ok(rule) => set.insert(rule),
                    Err(problems) => errors.extend(problems.into_iter().map(|p| FileError::new(display.clone(), p))),
                },
                Err(e) => errors.push(e),
            }
        }
    }
    for (id, problem) in set.cross_check() {
        let display = match dir.map(|d| d.join(format!("{id}.yaml"))) {
            Some(path) if path.is_file() => path.display().to_string(),
            _ => format!("<embedded>/rules/{id}.yaml"),
        };
        errors.push(FileError::new(display, problem));
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// The starter manifest `scopeaudit init` writes, per platform.
pub fn starter_manifest(platform: Platform) -> &'static str {
    match platform {
        Platform::Salesforce => include_str!("../templates/init-salesforce.yaml"),
        Platform::Hubspot => include_str!("../templates/init-hubspot.yaml"),
    }
}
