//! "Did you mean": the known name nearest to a mistyped one, by edit distance (`strsim`).

/// Names longer than this get no suggestion.
const MAX_NAME: usize = 100;

/// The most edits a name of `len` characters may be from a known one to count as a slip of the
/// keyboard: one for short names (where two edits reach unrelated words), two otherwise.
fn max_edits(len: usize) -> usize {
    if len <= 4 {
        1
    } else {
        2
    }
}

/// The candidate nearest to `name` (compared without regard to case), when it is close enough
/// to be a typo; ties go to the earlier candidate. A candidate equal to `name` but for case is
/// a match at distance 0.
pub fn nearest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted = name.trim().to_lowercase();
    let length = wanted.chars().count();
    // No name we know is this long; a hostile one must stay cheap.
    if wanted.is_empty() || length > MAX_NAME {
        return None;
    }
    let limit = max_edits(length);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // Lengths further apart than the limit cannot be within it.
        if candidate.chars().count().abs_diff(length) > limit {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&wanted, &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `, did you mean `x`?` for a message, or nothing.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    nearest(name, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_are_found_and_strangers_are_not() {
        let known = ["scope", "redirect_uri", "response_type", "state"];
        assert_eq!(nearest("scopes", known), Some("scope"));
        assert_eq!(nearest("redirect_url", known), Some("redirect_uri"));
        assert_eq!(nearest("respone_type", known), Some("response_type"));
        assert_eq!(nearest("Scope", known), Some("scope"));
        assert_eq!(nearest("utm_source", known), None);
        assert_eq!(nearest("x", known), None);
        assert_eq!(nearest("", known), None);
        assert_eq!(
            did_you_mean("excess-scop", ["excess-scope"]),
            "; did you mean `excess-scope`?"
        );
        assert_eq!(did_you_mean("zzz", ["excess-scope"]), "");
    }
}
