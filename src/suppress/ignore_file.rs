//! The ignore file (`.leakhoundignore`): secrets a team has triaged, keyed
//! on the secret's fingerprint (which survives moved lines and renamed
//! variables), each with a reason and optionally a rule, a path glob, an
//! owner and an expiry date.

use super::date::Date;
use crate::engine::finding::Finding;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The file looked for at the scan root.
pub const DEFAULT_NAME: &str = ".leakhoundignore";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    ignore: Vec<toml::Spanned<EntrySpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    fingerprint: String,
    reason: String,
    rule: Option<String>,
    path: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
}

/// One entry, validated.
#[derive(Debug)]
pub struct Entry {
    pub fingerprint: String,
    pub reason: String,
    pub rule: Option<String>,
    pub path: Option<GlobMatcher>,
    pub owner: Option<String>,
    pub expires: Option<Date>,
    /// Line of the entry's `[[ignore]]` header, for messages.
    pub line: usize,
}

impl Entry {
    /// Whether the entry's expiry date has passed (it is valid through
    /// the day it names).
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|expires| expires < today)
    }

    fn covers(&self, finding: &Finding) -> bool {
        finding.fingerprint == self.fingerprint
            && self
                .rule
                .as_ref()
                .is_none_or(|rule| *rule == finding.rule_id)
            && self.path.as_ref().is_none_or(|glob| {
                finding
                    .path
                    .as_deref()
                    .is_some_and(|path| glob.is_match(path))
            })
    }
}

#[derive(Debug)]
pub struct IgnoreFile {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

impl IgnoreFile {
    /// Reads and validates an ignore file; errors name the file and line.
    pub fn load(path: &Path) -> Result<IgnoreFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read ignore file: {e}", path.display()))?;
        IgnoreFile::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<IgnoreFile, String> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let spec: FileSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(span.start));
            format!("{}:{line}: {}", path.display(), e.message())
        })?;
        let mut entries = Vec::with_capacity(spec.ignore.len());
        for spanned in spec.ignore {
            let line = line_of(spanned.span().start);
            let entry = spanned.into_inner();
            let at = |message: String| format!("{}:{line}: {message}", path.display());
            if !is_fingerprint(&entry.fingerprint) {
                return Err(at(format!(
                    "`fingerprint` must be the 32 hex digits of a finding's fingerprint, not `{}`",
                    entry.fingerprint
                )));
            }
            if entry.reason.trim().is_empty() {
                return Err(at("`reason` must say why the finding is ignored".into()));
            }
            let glob = entry
                .path
                .as_deref()
                .map(|glob| {
                    Glob::new(glob)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| at(format!("`path`: {e}")))
                })
                .transpose()?;
            let expires = entry
                .expires
                .as_deref()
                .map(|d| Date::parse(d).map_err(|e| at(format!("`expires`: {e}"))))
                .transpose()?;
            entries.push(Entry {
                fingerprint: entry.fingerprint.to_ascii_lowercase(),
                reason: entry.reason,
                rule: entry.rule,
                path: glob,
                owner: entry.owner,
                expires,
                line,
            });
        }
        Ok(IgnoreFile {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The first unexpired entry that covers `finding`.
    pub fn matching_entry(&self, finding: &Finding, today: Date) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| !entry.expired(today) && entry.covers(finding))
    }
}

pub fn is_fingerprint(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A well-formed entry in the file's own syntax, for `leakhound ignore`.
pub fn format_entry(
    fingerprint: &str,
    reason: &str,
    rule: Option<&str>,
    path: Option<&str>,
    owner: Option<&str>,
    expires: Option<Date>,
) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut entry = format!(
        "\n[[ignore]]\nfingerprint = {}\nreason = {}\n",
        quote(fingerprint),
        quote(reason)
    );
    for (key, value) in [("rule", rule), ("path", path), ("owner", owner)] {
        if let Some(value) = value {
            entry.push_str(&format!("{key} = {}\n", quote(value)));
        }
    }
    if let Some(expires) = expires {
        entry.push_str(&format!("expires = {}\n", quote(&expires.to_string())));
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "21dadfba3ac68ccbd5cf0458113534aa";

    #[test]
    fn a_formatted_entry_parses_back() {
        let text = format_entry(
            FP,
            "revoked \"test\" token",
            Some("github-pat-classic"),
            Some("tests/**"),
            Some("alice"),
            Some(Date::parse("2027-01-31").unwrap()),
        );
        let file = IgnoreFile::parse(&text, Path::new(".leakhoundignore")).unwrap();
        let entry = &file.entries[0];
        assert_eq!(entry.fingerprint, FP);
        assert_eq!(entry.reason, "revoked \"test\" token");
        assert_eq!(entry.rule.as_deref(), Some("github-pat-classic"));
        assert!(entry.path.as_ref().unwrap().is_match("tests/a/b.rs"));
        assert_eq!(entry.owner.as_deref(), Some("alice"));
        assert_eq!(entry.line, 2);
        assert!(!entry.expired(Date::parse("2027-01-31").unwrap()));
        assert!(entry.expired(Date::parse("2027-02-01").unwrap()));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let text = format!(
            "[[ignore]]\nfingerprint = \"{FP}\"\nreason = \"x\"\n\n[[ignore]]\nfingerprint = \"nope\"\nreason = \"y\"\n"
        );
        let err = IgnoreFile::parse(&text, Path::new("ign")).unwrap_err();
        assert!(err.starts_with("ign:5:"), "{err}");
        let err = IgnoreFile::parse("[[ignore]]\nfingerprnt = 1\n", Path::new("ign")).unwrap_err();
        assert!(
            err.starts_with("ign:2:") && err.contains("fingerprnt"),
            "{err}"
        );
        let text = format!(
            "[[ignore]]\nfingerprint = \"{FP}\"\nreason = \"x\"\nexpires = \"2027-02-30\"\n"
        );
        let err = IgnoreFile::parse(&text, Path::new("ign")).unwrap_err();
        assert!(err.contains("expires"), "{err}");
    }
}
