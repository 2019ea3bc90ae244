//! Rules: the TOML schema, loading and merging, lazy compilation, and the
//! example checks behind `leakhound rules check`.

pub mod allowlist;
pub mod check;
pub mod compiled;
pub mod gitleaks;
pub mod gitleaks_ignore;
pub mod go_regex;
pub mod load;
pub mod schema;

use crate::engine::finding::{AllowRef, Pending};
use allowlist::Allowlist;
pub use compiled::Rule;
use globset::GlobSet;
use regex::bytes::Regex;

/// The rules of one scan and the allowlists that apply to all of them.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub allow: GlobalAllow,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>, allow: GlobalAllow) -> RuleSet {
        RuleSet { rules, allow }
    }

    /// Whether a detection with pending checks is still a finding where it
    /// was found: at `path` (if known) in `commit` (history only).
    pub fn stands_at(&self, pending: &Pending, path: Option<&str>, commit: Option<&str>) -> bool {
        let Some(rule) = self.rules.get(pending.rule) else {
            return true;
        };
        let (Ok(paths), Ok(vetoes)) = (rule.paths(), rule.vetoes()) else {
            return true;
        };
        if pending.rule_paths && !paths.applies_to(path) {
            return false;
        }
        !pending.allowlists.iter().any(|reference| {
            let block = match *reference {
                AllowRef::Rule(n) => vetoes.allowlists.get(n as usize),
                AllowRef::Global(n) => self.allow.allowlists.get(n as usize),
            };
            block.is_some_and(|b| b.allows_origin(path, commit))
        })
    }
}

/// Allowlists from a user config that veto findings of every rule.
#[derive(Debug, Default)]
pub struct GlobalAllow {
    /// Paths never scanned.
    pub paths: Option<GlobSet>,
    pub regexes: Vec<Regex>,
    /// Lowercased stopwords.
    pub stopwords: Vec<String>,
    /// Allowlist blocks (`[[allowlists]]`).
    pub allowlists: Vec<Allowlist>,
}

impl GlobalAllow {
    /// Whether every finding in a file at `path` would be vetoed, so the
    /// file is not scanned at all.
    pub fn path_is_allowed(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| g.is_match(path))
            || self.allowlists.iter().any(|a| a.allows_whole_path(path))
    }
}

/// A problem in a rule file or config, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}{}: {message}",
    rule.as_ref().map(|r| format!(": rule `{r}`")).unwrap_or_default(),
    field.as_ref().map(|f| format!(": field `{f}`")).unwrap_or_default())]
pub struct RuleError {
    pub origin: String,
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl RuleError {
    pub fn new(origin: &str, rule: Option<&str>, field: Option<&str>, message: String) -> Self {
        RuleError {
            origin: origin.to_string(),
            rule: rule.map(str::to_string),
            field: field.map(str::to_string),
            message,
        }
    }
}
