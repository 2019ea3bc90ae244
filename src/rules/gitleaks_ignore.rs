//! `.gitleaksignore`: findings a team has marked as known, written as
//! gitleaks fingerprints, `file:rule-id:line` for files and
//! `commit:file:rule-id:line` for history.
//!
//! The rule ids are gitleaks ids. When one names a rule of the loaded
//! gitleaks config, a finding must come from the rule it became; any other
//! id (one of gitleaks' default rules, which leakhound replaces by its own)
//! cannot be matched to a leakhound rule reliably, so such an entry
//! matches a finding of any rule at that file and line (and commit). An
//! entry without a commit matches history findings in any commit, as in
//! gitleaks. Line 0 (gitleaks' line for a path-only rule) matches line 1,
//! where leakhound reports a file rule's finding.

use crate::engine::finding::Finding;
use crate::scan::ScanOutcome;
use std::collections::BTreeMap;
use std::path::Path;

/// The file gitleaks reads at the root of what it scans.
pub const FILE_NAME: &str = ".gitleaksignore";

/// The shortest commit id prefix accepted in an entry.
const MIN_COMMIT_PREFIX: usize = 7;

/// One `.gitleaksignore` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    commit: Option<String>,
    path: String,
    rule: String,
    line: u64,
}

/// The entries of every `.gitleaksignore` read for a scan.
#[derive(Debug, Default)]
pub struct GitleaksIgnore {
    entries: Vec<Entry>,
    /// gitleaks rule id → leakhound rule id, for the rules of a loaded
    /// gitleaks config.
    known_rules: BTreeMap<String, String>,
}

impl GitleaksIgnore {
    /// Reads each of `files` that exists; problems come back as warnings
    /// naming the file and line.
    pub fn load(files: &[&Path], known_rules: BTreeMap<String, String>) -> (Self, Vec<String>) {
        let mut ignore = GitleaksIgnore {
            entries: Vec::new(),
            known_rules,
        };
        let mut warnings = Vec::new();
        for file in files {
            match std::fs::read_to_string(file) {
                Ok(text) => {
                    let origin = file.display().to_string();
                    ignore.add(&text, &origin, &mut warnings);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => warnings.push(format!("{}: cannot read: {e}", file.display())),
            }
        }
        (ignore, warnings)
    }

    /// Adds the entries of one file's text.
    fn add(&mut self, text: &str, origin: &str, warnings: &mut Vec<String>) {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_entry(line) {
                Some(entry) => self.entries.push(entry),
                None => warnings.push(format!(
                    "{origin}: line {}: not `file:rule-id:line` or `commit:file:rule-id:line`; ignored",
                    n + 1
                )),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops the findings an entry matches, and says how many on stderr's
    /// notes.
    pub fn apply(&self, outcome: &mut ScanOutcome) {
        if self.is_empty() {
            return;
        }
        let before = outcome.findings.len();
        outcome
            .findings
            .retain(|finding| !self.entries.iter().any(|e| self.matches(e, finding)));
        let dropped = before - outcome.findings.len();
        if dropped > 0 {
            outcome.notes.push(format!(
                "{dropped} finding(s) not reported: listed in {FILE_NAME}"
            ));
        }
    }

    fn matches(&self, entry: &Entry, finding: &Finding) -> bool {
        let line_matches = entry.line == finding.line || (entry.line == 0 && finding.line == 1);
        line_matches
            && finding
                .path
                .as_deref()
                .is_some_and(|p| normalize(p) == entry.path)
            && entry.commit.as_deref().is_none_or(|listed| {
                finding
                    .commit
                    .as_ref()
                    .is_some_and(|c| commit_matches(listed, &c.commit))
            })
            && self
                .known_rules
                .get(&entry.rule)
                .is_none_or(|ours| *ours == finding.rule_id)
    }
}

/// Parses `file:rule-id:line` or `commit:file:rule-id:line`. The file may
/// itself contain colons, so the line and rule are taken from the right.
fn parse_entry(text: &str) -> Option<Entry> {
    let mut fields: Vec<&str> = text.split(':').collect();
    let line = fields.pop()?.trim().parse().ok()?;
    let rule = fields.pop()?.trim().to_string();
    let commit = match fields.first() {
        Some(first) if fields.len() > 1 && is_commit_id(first) => {
            Some(fields.remove(0).to_ascii_lowercase())
        }
        _ => None,
    };
    let path = normalize(&fields.join(":"));
    if path.is_empty() || rule.is_empty() {
        return None;
    }
    Some(Entry {
        commit,
        path,
        rule,
        line,
    })
}

fn is_commit_id(text: &str) -> bool {
    text.len() >= MIN_COMMIT_PREFIX && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn commit_matches(listed: &str, commit: &str) -> bool {
    commit.to_ascii_lowercase().starts_with(listed)
}

/// Paths compared with forward slashes and without a leading `./`, as
/// gitleaks writes them.
fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix("./").unwrap_or(&path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::finding::{CommitInfo, SourceKind};
    use crate::rules::schema::{Confidence, Severity};

    const COMMIT: &str = "89ab2c5d0e1f3a4b5c6d7e8f90a1b2c3d4e5f607";

    fn finding(rule: &str, path: &str, line: u64, commit: Option<&str>) -> Finding {
        Finding {
            rule_id: rule.into(),
            rule_name: rule.into(),
            rule_description: None,
            severity: Severity::High,
            confidence: Confidence::High,
            tags: Vec::new(),
            secret: "s".into(),
            matched: "s".into(),
            fingerprint: "f".into(),
            path: Some(path.into()),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            source: if commit.is_some() {
                SourceKind::History
            } else {
                SourceKind::File
            },
            commit: commit.map(|c| CommitInfo {
                commit: c.into(),
                author: String::new(),
                email: String::new(),
                date: String::new(),
                message: String::new(),
            }),
            history: None,
            remediation: Default::default(),
            parts: Vec::new(),
            encodings: Vec::new(),
            line_text: String::new(),
            pending: None,
        }
    }

    fn ignore(text: &str, known: &[(&str, &str)]) -> (GitleaksIgnore, Vec<String>) {
        let mut ignore = GitleaksIgnore {
            entries: Vec::new(),
            known_rules: known
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        let mut warnings = Vec::new();
        ignore.add(text, ".gitleaksignore", &mut warnings);
        (ignore, warnings)
    }

    fn kept(ignore: &GitleaksIgnore, findings: Vec<Finding>) -> usize {
        let mut outcome = ScanOutcome {
            findings,
            ..ScanOutcome::default()
        };
        ignore.apply(&mut outcome);
        outcome.findings.len()
    }

    #[test]
    fn file_entries_match_file_and_line() {
        let (i, warnings) = ignore("# known\n\nsrc/app.py:generic-api-key:12\n", &[]);
        assert!(warnings.is_empty());
        assert_eq!(
            kept(&i, vec![finding("url-password", "src/app.py", 12, None)]),
            0
        );
        assert_eq!(
            kept(&i, vec![finding("url-password", "src/app.py", 13, None)]),
            1
        );
        assert_eq!(
            kept(&i, vec![finding("url-password", "src/other.py", 12, None)]),
            1
        );
        // Without a commit it matches history findings in any commit.
        assert_eq!(
            kept(&i, vec![finding("x", "src/app.py", 12, Some(COMMIT))]),
            0
        );
    }

    #[test]
    fn commit_entries_need_that_commit() {
        let (i, _) = ignore(&format!("{COMMIT}:config/.env:aws-access-token:3\n"), &[]);
        assert_eq!(
            kept(
                &i,
                vec![finding("aws-access-key-id", "config/.env", 3, Some(COMMIT))]
            ),
            0
        );
        let other = "1111111111111111111111111111111111111111";
        assert_eq!(
            kept(
                &i,
                vec![finding("aws-access-key-id", "config/.env", 3, Some(other))]
            ),
            1
        );
        assert_eq!(
            kept(
                &i,
                vec![finding("aws-access-key-id", "config/.env", 3, None)]
            ),
            1
        );
    }

    #[test]
    fn rules_of_the_loaded_config_must_match() {
        let known = [("Widget_Token", "widget-token")];
        let (i, _) = ignore("a.txt:Widget_Token:4\n", &known);
        assert_eq!(kept(&i, vec![finding("widget-token", "a.txt", 4, None)]), 0);
        assert_eq!(
            kept(&i, vec![finding("generic-api-key", "a.txt", 4, None)]),
            1
        );
    }

    #[test]
    fn odd_paths_and_bad_lines() {
        let (i, warnings) = ignore(
            "C:\\work\\dir:with:colons.txt:r:2\n./lead.txt:r:0\nno-line:r:x\njunk\n",
            &[],
        );
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("line 3"), "{warnings:?}");
        assert_eq!(
            kept(
                &i,
                vec![finding("r", "C:/work/dir:with:colons.txt", 2, None)]
            ),
            0
        );
        // Line 0 is gitleaks' line for a path-only rule: leakhound's line 1.
        assert_eq!(kept(&i, vec![finding("r", "lead.txt", 1, None)]), 0);
    }

    #[test]
    fn a_note_counts_what_was_dropped() {
        let (i, _) = ignore("a.txt:r:1\n", &[]);
        let mut outcome = ScanOutcome {
            findings: vec![
                finding("r", "a.txt", 1, None),
                finding("r", "a.txt", 2, None),
            ],
            ..ScanOutcome::default()
        };
        i.apply(&mut outcome);
        assert_eq!(outcome.findings.len(), 1);
        assert!(
            outcome.notes[0].starts_with("1 finding(s)"),
            "{:?}",
            outcome.notes
        );
    }
}
