//! Allowlist blocks: criteria on the secret, the match, the line, the path
//! and the commit that veto a finding when any of them holds (condition
//! `or`) or when all of them hold (condition `and`).
//!
//! The engine decides the criteria it can see: the content, and the path
//! when it is known. Commit criteria, and path criteria of a history blob
//! (scanned once, found at many paths), are left pending on the detection
//! and settled for each place it was found (`RuleSet::stands_at`).

use super::compiled::{compile_globs, compile_regex};
use super::schema::{AllowCondition, AllowlistSpec, RegexTarget};
use crate::engine::Place;
use globset::GlobSet;
use regex::bytes::Regex;

/// A compiled allowlist block.
#[derive(Debug)]
pub struct Allowlist {
    condition: AllowCondition,
    target: RegexTarget,
    regexes: Vec<Regex>,
    /// Lowercased.
    stopwords: Vec<String>,
    path_globs: Option<GlobSet>,
    path_regexes: Vec<Regex>,
    /// Lowercased and trimmed.
    commits: Vec<String>,
}

/// The text of a candidate finding that content criteria look at.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub secret: &'a [u8],
    pub matched: &'a [u8],
    pub lines: &'a [u8],
}

/// What a block says about a candidate from what the engine can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The block vetoes the finding.
    Allowed,
    /// The block does not veto it, whatever the origin.
    NotAllowed,
    /// It depends on the path or commit, known only later.
    Pending,
}

/// The shortest commit id prefix matched as a prefix; shorter entries must
/// equal the whole id.
const MIN_COMMIT_PREFIX: usize = 7;

impl Allowlist {
    /// Compiles and validates a block; errors name the field under `field`
    /// (for example `allowlists[2]`).
    pub fn compile(spec: &AllowlistSpec, field: &str) -> Result<Allowlist, String> {
        if spec.regexes.is_empty()
            && spec.stopwords.is_empty()
            && spec.paths.is_empty()
            && spec.path_regexes.is_empty()
            && spec.commits.is_empty()
        {
            return Err(format!(
                "field `{field}`: an allowlist needs at least one of regexes, stopwords, paths, path_regexes or commits"
            ));
        }
        let regexes = |list: &[String], name: &str| {
            list.iter()
                .map(|r| compile_regex(r).map_err(|e| format!("field `{field}.{name}`: {e}")))
                .collect::<Result<Vec<_>, _>>()
        };
        if let Some(empty) = spec.stopwords.iter().position(|s| s.is_empty()) {
            return Err(format!(
                "field `{field}.stopwords`: stopword {} is empty",
                empty + 1
            ));
        }
        Ok(Allowlist {
            condition: spec.condition,
            target: spec.regex_target,
            regexes: regexes(&spec.regexes, "regexes")?,
            stopwords: spec
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            path_globs: compile_globs(&spec.paths, &format!("{field}.paths"))?,
            path_regexes: regexes(&spec.path_regexes, "path_regexes")?,
            commits: spec
                .commits
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty())
                .collect(),
        })
    }

    fn has_path_criterion(&self) -> bool {
        self.path_globs.is_some() || !self.path_regexes.is_empty()
    }

    fn path_matches(&self, path: &str) -> bool {
        self.path_globs.as_ref().is_some_and(|g| g.is_match(path))
            || self
                .path_regexes
                .iter()
                .any(|r| r.is_match(path.as_bytes()))
    }

    fn commit_matches(&self, commit: &str) -> bool {
        let commit = commit.to_ascii_lowercase();
        self.commits.iter().any(|listed| {
            *listed == commit || (listed.len() >= MIN_COMMIT_PREFIX && commit.starts_with(listed))
        })
    }

    /// The regex criterion: `None` without regexes. Without content (a file
    /// rule's finding has no text) a content criterion does not hold.
    fn regex_criterion(&self, content: Option<&Content>) -> Option<bool> {
        if self.regexes.is_empty() {
            return None;
        }
        Some(content.is_some_and(|c| {
            let text = match self.target {
                RegexTarget::Secret => c.secret,
                RegexTarget::Match => c.matched,
                RegexTarget::Line => c.lines,
            };
            self.regexes.iter().any(|r| r.is_match(text))
        }))
    }

    fn stopword_criterion(&self, content: Option<&Content>) -> Option<bool> {
        if self.stopwords.is_empty() {
            return None;
        }
        Some(content.is_some_and(|c| contains_stopword(c.secret, &self.stopwords)))
    }

    /// The path criterion: `None` without one, `Some(None)` when the path
    /// is known only later.
    fn path_criterion(&self, place: Place) -> Option<Option<bool>> {
        if !self.has_path_criterion() {
            return None;
        }
        Some(match place {
            Place::Known(path) => Some(self.path_matches(path)),
            Place::Unnamed => Some(false),
            Place::Later => None,
        })
    }

    /// Decides what can be decided from the content and the place.
    pub fn check(&self, content: Option<&Content>, place: Place) -> Verdict {
        let decided = [
            self.regex_criterion(content),
            self.stopword_criterion(content),
            self.path_criterion(place).flatten(),
        ];
        let waiting =
            !self.commits.is_empty() || self.path_criterion(place).is_some_and(|p| p.is_none());
        match self.condition {
            AllowCondition::Or if decided.contains(&Some(true)) => Verdict::Allowed,
            AllowCondition::And if decided.contains(&Some(false)) => Verdict::NotAllowed,
            _ if waiting => Verdict::Pending,
            AllowCondition::Or => Verdict::NotAllowed,
            AllowCondition::And => Verdict::Allowed,
        }
    }

    /// Settles a pending verdict once the path and commit are known. The
    /// content criteria already went the block's way (for `or`: none held;
    /// for `and`: all held).
    pub fn allows_origin(&self, path: Option<&str>, commit: Option<&str>) -> bool {
        let path_holds = path.is_some_and(|p| self.path_matches(p));
        let commit_holds = commit.is_some_and(|c| self.commit_matches(c));
        match self.condition {
            AllowCondition::Or => {
                (self.has_path_criterion() && path_holds)
                    || (!self.commits.is_empty() && commit_holds)
            }
            AllowCondition::And => {
                (!self.has_path_criterion() || path_holds)
                    && (self.commits.is_empty() || commit_holds)
            }
        }
    }

    /// Whether the block vetoes every finding in a file at `path`, so the
    /// file need not be read at all.
    pub fn allows_whole_path(&self, path: &str) -> bool {
        let path_only = self.regexes.is_empty() && self.stopwords.is_empty();
        match self.condition {
            AllowCondition::Or => self.has_path_criterion() && self.path_matches(path),
            AllowCondition::And => {
                path_only
                    && self.commits.is_empty()
                    && self.has_path_criterion()
                    && self.path_matches(path)
            }
        }
    }
}

/// Whether `secret` contains any of the lowercased `stopwords`, ignoring case.
pub fn contains_stopword(secret: &[u8], stopwords: &[String]) -> bool {
    if stopwords.is_empty() {
        return false;
    }
    let lowered = secret.to_ascii_lowercase();
    stopwords
        .iter()
        .any(|word| memchr::memmem::find(&lowered, word.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(toml_text: &str) -> Allowlist {
        let spec: AllowlistSpec = toml::from_str(toml_text).unwrap();
        Allowlist::compile(&spec, "allowlists[0]").unwrap()
    }

    const CONTENT: Content = Content {
        secret: b"abc123SECRET",
        matched: b"key = abc123SECRET",
        lines: b"  key = abc123SECRET # fixture",
    };

    #[test]
    fn or_vetoes_on_any_criterion() {
        let b = block("regexes = ['''^zzz''']\nstopwords = [\"secret\"]");
        assert_eq!(b.check(Some(&CONTENT), Place::Unnamed), Verdict::Allowed);
        let b = block("regexes = ['''^zzz''']\npaths = [\"**/*.md\"]");
        assert_eq!(
            b.check(Some(&CONTENT), Place::Known("docs/a.md")),
            Verdict::Allowed
        );
        assert_eq!(
            b.check(Some(&CONTENT), Place::Known("src/a.rs")),
            Verdict::NotAllowed
        );
    }

    #[test]
    fn and_needs_every_criterion() {
        let b =
            block("condition = \"and\"\nstopwords = [\"secret\"]\npath_regexes = ['''^test/''']");
        assert_eq!(
            b.check(Some(&CONTENT), Place::Known("test/x.py")),
            Verdict::Allowed
        );
        assert_eq!(
            b.check(Some(&CONTENT), Place::Known("src/x.py")),
            Verdict::NotAllowed
        );
        assert_eq!(b.check(Some(&CONTENT), Place::Later), Verdict::Pending);
        assert!(b.allows_origin(Some("test/y.py"), None));
        assert!(!b.allows_origin(Some("src/y.py"), None));
    }

    #[test]
    fn regex_target_selects_the_text() {
        let secret = block("regexes = ['''^key''']");
        let matched = block("regexes = ['''^key''']\nregex_target = \"match\"");
        let line = block("regexes = ['''fixture''']\nregex_target = \"line\"");
        assert_eq!(
            secret.check(Some(&CONTENT), Place::Unnamed),
            Verdict::NotAllowed
        );
        assert_eq!(
            matched.check(Some(&CONTENT), Place::Unnamed),
            Verdict::Allowed
        );
        assert_eq!(line.check(Some(&CONTENT), Place::Unnamed), Verdict::Allowed);
    }

    #[test]
    fn commits_wait_for_the_origin() {
        let full = "0123456789abcdef0123456789abcdef01234567";
        let b = block(&format!("commits = [\"{}\"]", &full[..10].to_uppercase()));
        assert_eq!(b.check(Some(&CONTENT), Place::Known("a")), Verdict::Pending);
        assert!(b.allows_origin(Some("a"), Some(full)));
        assert!(!b.allows_origin(Some("a"), None));
        let short = block("commits = [\"0123\"]");
        assert!(
            !short.allows_origin(None, Some(full)),
            "short ids must be whole"
        );
    }

    #[test]
    fn whole_path_only_when_nothing_else_is_asked() {
        let or = block("regexes = ['''x''']\npaths = [\"vendor/**\"]");
        assert!(or.allows_whole_path("vendor/a.js"));
        let and = block("condition = \"and\"\nregexes = ['''x''']\npaths = [\"vendor/**\"]");
        assert!(!and.allows_whole_path("vendor/a.js"));
    }

    #[test]
    fn empty_block_is_an_error() {
        let spec: AllowlistSpec = toml::from_str("description = \"nothing\"").unwrap();
        let err = Allowlist::compile(&spec, "allowlists[3]").unwrap_err();
        assert!(err.contains("allowlists[3]"), "{err}");
    }
}
