//! A rule ready for the engine: validated settings up front, and the costly
//! parts (regexes, globs) compiled on first use so start-up does not grow
//! with the number of rules.

use super::allowlist::Allowlist;
use super::schema::{
    AllowlistSpec, CompanionSpec, Confidence, ExampleSpec, KeywordCase, RemediationSpec, RuleSpec,
    Scope, SecretGroup, Severity, WindowSpec,
};
use crate::engine::checksum::Checksum;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::sync::OnceLock;

/// Byte budget of one compiled regex; generous for bounded token patterns,
/// small enough that a pathological user regex fails loudly instead of
/// eating memory.
const REGEX_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// A rule with validated settings and lazily compiled matchers.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub keywords: Vec<String>,
    pub keyword_case: KeywordCase,
    pub scope: Scope,
    /// Empty for a file rule.
    pub regex: String,
    pub secret_group: SecretGroup,
    pub parts: Vec<String>,
    pub entropy: Option<f64>,
    pub checksum: Option<Checksum>,
    pub allow_regexes: Vec<String>,
    pub allow_line_regexes: Vec<String>,
    /// Lowercased, so the check folds case once per candidate, not per word.
    pub allow_stopwords: Vec<String>,
    pub allowlists: Vec<AllowlistSpec>,
    pub path_include: Vec<String>,
    pub path_exclude: Vec<String>,
    pub path_regex: Option<String>,
    pub window: WindowSpec,
    pub companion: Option<CompanionSpec>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub tags: Vec<String>,
    pub remediation: RemediationSpec,
    pub examples: Vec<ExampleSpec>,
    pub negative_examples: Vec<String>,
    /// Where the rule was defined: a built-in file name or a config path.
    pub origin: String,
    paths: OnceLock<Result<PathFilter, String>>,
    matchers: OnceLock<Result<RuleMatchers, String>>,
    vetoes: OnceLock<Result<RuleVetoes, String>>,
}

/// Where a rule applies, compiled when a keyword first hits: apart from
/// the regex, so a path-limited rule whose keyword turns up in some other
/// file (`password` outside a `.pypirc`) never compiles its regex.
#[derive(Debug)]
pub struct PathFilter {
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    pub regex: Option<Regex>,
}

/// What finds a rule's candidates, compiled when the rule first runs.
#[derive(Debug)]
pub struct RuleMatchers {
    /// `None` for a file rule.
    pub regex: Option<Regex>,
    /// Capture group index of each named part, in `parts` order.
    pub part_groups: Vec<usize>,
}

/// What vetoes a rule's candidates, compiled when the regex first matches:
/// generic rules carry dozens of allow regexes that most inputs, where the
/// keyword hits but nothing is assigned, never need.
#[derive(Debug)]
pub struct RuleVetoes {
    /// Matches a secret that any of the rule's allow regexes matches.
    pub allow_regexes: Option<RegexSet>,
    /// Matches lines that any of the rule's allow line regexes matches.
    pub allow_line_regexes: Option<RegexSet>,
    pub allowlists: Vec<Allowlist>,
}

impl Rule {
    pub fn from_spec(spec: RuleSpec, origin: &str) -> Rule {
        Rule {
            id: spec.id,
            name: spec.name,
            description: spec.description,
            keywords: spec.keywords,
            keyword_case: spec.keyword_case,
            scope: spec.scope,
            regex: spec.regex,
            secret_group: spec.secret_group,
            parts: spec.parts,
            entropy: spec.entropy,
            // Unknown names are rejected by validation before a rule is built.
            checksum: spec.checksum.as_deref().and_then(Checksum::from_name),
            // A candidate reaches a report only after passing the rule's
            // validator, which makes it certain.
            confidence: if spec.checksum.is_some() {
                Confidence::High
            } else {
                spec.confidence
            },
            allow_regexes: spec.allow.regexes,
            allow_line_regexes: spec.allow.line_regexes,
            allow_stopwords: spec
                .allow
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            allowlists: spec.allowlists,
            path_include: spec.paths.include,
            path_exclude: spec.paths.exclude,
            path_regex: spec.paths.regex,
            window: spec.window,
            companion: spec.companion,
            severity: spec.severity,
            tags: spec.tags,
            remediation: spec.remediation,
            examples: spec.examples,
            negative_examples: spec.negative_examples,
            origin: origin.to_string(),
            paths: OnceLock::new(),
            matchers: OnceLock::new(),
            vetoes: OnceLock::new(),
        }
    }

    /// The compiled path filter, built on first call. An error names the
    /// field.
    pub fn paths(&self) -> Result<&PathFilter, &str> {
        self.paths
            .get_or_init(|| self.compile_paths())
            .as_ref()
            .map_err(String::as_str)
    }

    /// The compiled matchers, built on first call. An error names the field.
    pub fn matchers(&self) -> Result<&RuleMatchers, &str> {
        self.matchers
            .get_or_init(|| self.compile())
            .as_ref()
            .map_err(String::as_str)
    }

    /// The compiled allowlists, built on first call. An error names the field.
    pub fn vetoes(&self) -> Result<&RuleVetoes, &str> {
        self.vetoes
            .get_or_init(|| self.compile_vetoes())
            .as_ref()
            .map_err(String::as_str)
    }

    /// Compiles everything now, so a broken rule fails at load, naming the
    /// field, rather than when its keyword first appears.
    pub fn compile_now(&self) -> Result<(), &str> {
        self.paths()?;
        self.matchers()?;
        self.vetoes()?;
        Ok(())
    }

    /// Whether this is a generic rule (keyword + assignment + entropy)
    /// rather than one for a provider's own format.
    pub fn is_generic(&self) -> bool {
        self.tags.iter().any(|tag| tag == "generic")
    }

    /// Whether the rule's matchers have been compiled (for tests of laziness).
    pub fn is_compiled(&self) -> bool {
        self.matchers.get().is_some()
    }

    /// Whether the rule's allowlists have been compiled (for tests of laziness).
    pub fn vetoes_compiled(&self) -> bool {
        self.vetoes.get().is_some()
    }

    /// Whether the rule reports files by path alone (it has no regex).
    pub fn is_file_rule(&self) -> bool {
        self.regex.is_empty()
    }

    fn compile(&self) -> Result<RuleMatchers, String> {
        let regex = if self.is_file_rule() {
            None
        } else {
            Some(compile_regex(&self.regex).map_err(|e| format!("field `regex`: {e}"))?)
        };
        let part_groups = match &regex {
            Some(regex) => self.capture_groups(regex)?,
            None => Vec::new(),
        };
        Ok(RuleMatchers { regex, part_groups })
    }

    fn compile_paths(&self) -> Result<PathFilter, String> {
        let regex = self
            .path_regex
            .as_deref()
            .map(|r| compile_regex(r).map_err(|e| format!("field `paths.regex`: {e}")))
            .transpose()?;
        Ok(PathFilter {
            include: compile_globs(&self.path_include, "paths.include")?,
            exclude: compile_globs(&self.path_exclude, "paths.exclude")?,
            regex,
        })
    }

    fn compile_vetoes(&self) -> Result<RuleVetoes, String> {
        Ok(RuleVetoes {
            allow_regexes: compile_set(&self.allow_regexes, "allow.regexes")?,
            allow_line_regexes: compile_set(&self.allow_line_regexes, "allow.line_regexes")?,
            allowlists: self
                .allowlists
                .iter()
                .enumerate()
                .map(|(n, spec)| Allowlist::compile(spec, &format!("allowlists[{n}]")))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Checks `secret_group` against the regex and finds the group of each
    /// named part.
    fn capture_groups(&self, regex: &Regex) -> Result<Vec<usize>, String> {
        if let SecretGroup::Index(group) = self.secret_group
            && group >= regex.captures_len()
        {
            return Err(format!(
                "field `secret_group`: the regex has no capture group {group} (it has {})",
                regex.captures_len() - 1
            ));
        }
        self.parts
            .iter()
            .map(|part| {
                regex
                    .capture_names()
                    .position(|name| name == Some(part.as_str()))
                    .ok_or_else(|| format!("field `parts`: the regex has no named group `{part}`"))
            })
            .collect()
    }
}

/// Compiles a rule regex in leakhound's dialect: bytes, Unicode off.
pub fn compile_regex(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// Compiles regexes that veto together into one set: one compile and one
/// search instead of dozens (the generic rules' allow lists of ~30 regexes
/// compile in 70-77% of the time they take one by one). `None` when there
/// are none.
fn compile_set(patterns: &[String], field: &str) -> Result<Option<RegexSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map(Some)
        .map_err(|set_error| {
            // Name the pattern at fault; if each compiles alone, the set
            // as a whole is too large.
            patterns
                .iter()
                .find_map(|p| compile_regex(p).err())
                .map_or_else(
                    || format!("field `{field}`: {set_error}"),
                    |e| format!("field `{field}`: {e}"),
                )
        })
}

/// Compiles path globs; `None` when there are none.
pub fn compile_globs(globs: &[String], field: &str) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob).map_err(|e| format!("field `{field}`: glob `{glob}`: {e}"))?);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| format!("field `{field}`: {e}"))
}

impl PathFilter {
    /// Whether the rule applies to a file at `path` (relative to the scan root).
    pub fn applies_to(&self, path: Option<&str>) -> bool {
        let Some(path) = path else {
            // Stdin and other unnamed input: path-limited rules cannot know.
            return self.include.is_none() && self.regex.is_none();
        };
        if self.exclude.as_ref().is_some_and(|g| g.is_match(path)) {
            return false;
        }
        self.include.as_ref().is_none_or(|g| g.is_match(path))
            && self
                .regex
                .as_ref()
                .is_none_or(|r| r.is_match(path.as_bytes()))
    }

    /// Whether the rule's paths settings restrict where it applies.
    pub fn restricts(&self) -> bool {
        self.include.is_some() || self.exclude.is_some() || self.regex.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn an_allow_set_matches_where_any_of_its_regexes_does() {
        let set = compile_set(
            &strings(&["^\\$\\{", "(?i)example", "x{3}$"]),
            "allow.regexes",
        )
        .unwrap()
        .unwrap();
        for vetoed in ["${TOKEN}", "my-EXAMPLE-key", "abcxxx"] {
            assert!(set.is_match(vetoed.as_bytes()), "{vetoed}");
        }
        assert!(!set.is_match(b"a1B2c3D4e5"));
        assert!(compile_set(&[], "allow.regexes").unwrap().is_none());
    }

    #[test]
    fn a_broken_allow_regex_is_named() {
        let error = compile_set(&strings(&["fine", "(unclosed"]), "allow.regexes").unwrap_err();
        assert!(error.starts_with("field `allow.regexes`: "), "{error}");
        assert!(error.contains("(unclosed"), "{error}");
    }
}
