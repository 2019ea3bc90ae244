//! Suppression: findings a team has already triaged are left out of
//! reports, the same way for working-tree, staged and history scans. A
//! baseline (an earlier JSON report) hides what was known then; the ignore
//! file (`.leakhoundignore`) hides individual secrets by fingerprint, with a
//! reason, an owner and an expiry date.

pub mod baseline;
pub mod date;
pub mod ignore_file;

use crate::scan::ScanOutcome;
use baseline::Baseline;
use ignore_file::IgnoreFile;

/// What suppression removed and what it has to say about its own state.
#[derive(Debug, Default)]
pub struct SuppressionReport {
    pub by_baseline: usize,
    pub by_ignore_file: usize,
    /// Warnings about the ignore file (expired entries), for stderr.
    pub warnings: Vec<String>,
    /// Ignore-file entries that suppressed nothing, described for a person.
    pub unused: Vec<String>,
}

/// Removes from `outcome` every finding the baseline or the ignore file
/// covers. `today` decides which ignore entries have expired.
pub fn apply(
    outcome: &mut ScanOutcome,
    baseline: Option<&Baseline>,
    ignore: Option<&IgnoreFile>,
    today: date::Date,
) -> SuppressionReport {
    let mut report = SuppressionReport::default();
    let mut used = vec![false; ignore.map_or(0, |i| i.entries.len())];
    if let Some(ignore) = ignore {
        for entry in &ignore.entries {
            if entry.expired(today) {
                report.warnings.push(format!(
                    "{}: entry for {} (line {}) expired on {}; it no longer suppresses anything",
                    ignore.path.display(),
                    entry.fingerprint,
                    entry.line,
                    entry.expires.map(|d| d.to_string()).unwrap_or_default(),
                ));
            }
        }
    }
    outcome.findings.retain(|finding| {
        if baseline.is_some_and(|b| b.contains(finding)) {
            report.by_baseline += 1;
            return false;
        }
        if let Some(ignore) = ignore
            && let Some(index) = ignore.matching_entry(finding, today)
        {
            used[index] = true;
            report.by_ignore_file += 1;
            return false;
        }
        true
    });
    if let Some(ignore) = ignore {
        for (entry, used) in ignore.entries.iter().zip(&used) {
            if !used && !entry.expired(today) {
                report.unused.push(format!(
                    "{}:{}: {} ({})",
                    ignore.path.display(),
                    entry.line,
                    entry.fingerprint,
                    entry.reason
                ));
            }
        }
    }
    report
}
