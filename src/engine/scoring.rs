//! Scoring: penalty points per unsuppressed finding, and the letter grade they leave.

use crate::finding::Severity;

/// Penalty points per unsuppressed finding; the grade comes from 100 minus their sum.
pub fn penalty(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 20,
        Severity::Medium => 7,
        Severity::Low => 2,
        Severity::Info => 0,
    }
}

/// Letter grade from a score; any critical finding caps the grade at D.
pub fn grade(score: u32, has_critical: bool) -> char {
    let letter = match score {
        90.. => 'A',
        75..=89 => 'B',
        60..=74 => 'C',
        40..=59 => 'D',
        _ => 'F',
    };
    if has_critical && letter < 'D' {
        'D'
    } else {
        letter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_follow_score_and_cap_on_critical() {
        assert_eq!(grade(100, false), 'A');
        assert_eq!(grade(86, false), 'B');
        assert_eq!(grade(60, false), 'C');
        assert_eq!(grade(59, false), 'D');
        assert_eq!(grade(39, false), 'F');
        assert_eq!(grade(95, true), 'D');
        assert_eq!(grade(10, true), 'F');
    }
}
