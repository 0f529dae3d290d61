//! Inputs: finding, detecting and parsing every supported file into normalized apps.

pub mod manifest;

use crate::model::{App, InputKind, Integration, Platform, RequestedScope, Requirement, Source};
use crate::source_file::{self, FileError};
use std::path::{Path, PathBuf};

/// Manifests larger than this are refused rather than parsed: no real manifest comes close.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Directories never searched: version control, dependencies and build output.
const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", "target"];

/// One file to read, and whether the user named it (an unsupported file named explicitly is an
/// error; one found while walking a directory is skipped).
#[derive(Debug, Clone)]
struct Candidate {
    path: PathBuf,
    display: String,
    explicit: bool,
}

fn has_yaml_extension(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn walk(dir: &Path, display: &str, out: &mut Vec<Candidate>) -> Result<(), FileError> {
    let entries = std::fs::read_dir(dir).map_err(|e| FileError::new(display, source_file::io_message(&e)))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        let shown = if display.ends_with('/') {
            format!("{display}{name}")
        } else {
            format!("{display}/{name}")
        };
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&path, &shown, out)?;
            }
        } else if kind.is_file() && has_yaml_extension(&path) {
            out.push(Candidate {
                path,
                display: shown,
                explicit: false,
            });
        }
    }
    Ok(())
}

fn load_one(candidate: &Candidate) -> Result<Option<App>, FileError> {
    let display = candidate.display.as_str();
    if !has_yaml_extension(&candidate.path) {
        return Err(FileError::new(
            display,
            "unsupported input: expected an app manifest (.yaml or .yml with a top-level `app:` key)",
        ));
    }
    let text = match source_file::read_text(&candidate.path, display, MAX_MANIFEST_BYTES) {
        Ok(text) => text,
        // While walking, a YAML file we cannot read as text is not a manifest we could audit.
        Err(_) if !candidate.explicit => return Ok(None),
        Err(e) => return Err(e),
    };
    if !manifest::looks_like_manifest(&text) {
        return if candidate.explicit {
            Err(FileError::new(display, "not an app manifest: no top-level `app:` key"))
        } else {
            Ok(None)
        };
    }
    manifest::parse(display, &text).map(Some)
}

/// Reads every input path (files and directories), in the order given, directory entries
/// sorted by name. Every unreadable or invalid input is reported, not just the first.
pub fn load_paths(paths: &[String]) -> Result<Vec<App>, Vec<FileError>> {
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for raw in paths {
        let path = PathBuf::from(raw);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                if let Err(e) = walk(&path, raw, &mut candidates) {
                    errors.push(e);
                }
            }
            Ok(_) => candidates.push(Candidate {
                path,
                display: raw.clone(),
                explicit: true,
            }),
            Err(e) => errors.push(FileError::new(raw.as_str(), source_file::io_message(&e))),
        }
    }
    let results = parallel_map(&candidates, load_one);
    let mut apps = Vec::new();
    for result in results {
        match result {
            Ok(Some(app)) => apps.push(app),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(apps)
    } else {
        Err(errors)
    }
}

/// Maps in order over a few threads: parsing thousands of manifests is CPU-bound.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if items.len() < 64 || threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// An ad-hoc app from `--scopes "a b c" --platform P`: names separated by spaces or commas.
pub fn scope_list(list: &str, platform: Platform) -> Result<App, FileError> {
    let names: Vec<&str> = list
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(FileError::new("--scopes", "no scope names given"));
    }
    Ok(App {
        name: format!("Scope list ({})", platform.display_name()),
        vendor: None,
        platform,
        description: None,
        source: Source::single("--scopes", InputKind::ScopeList),
        at: None,
        integration: Integration::default(),
        scopes: names
            .into_iter()
            .map(|n| RequestedScope {
                name: n.to_string(),
                requirement: Requirement::Required,
                justification: None,
                at: None,
            })
            .collect(),
        tools: Vec::new(),
        tools_at: None,
        integration_at: None,
        settings: Default::default(),
        notes: Vec::new(),
    })
}
