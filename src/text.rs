//! Small text helpers shared by the catalog and the input readers.

/// Levenshtein distance, for "did you mean" suggestions (strsim's, the one clap uses).
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The candidate nearest to `name` (case-insensitively) within `max` edits, if any.
pub fn closest<'a>(name: &str, candidates: &[&'a str], max: usize) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_ignores_case_and_respects_the_limit() {
        assert_eq!(closest("Scope", &["scopes", "label"], 2), Some("scopes"));
        assert_eq!(closest("description", &["scopes", "label"], 2), None);
    }
}
