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
use regex::bytes::{Regex, RegexBuilder};
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
    matchers: OnceLock<Result<RuleMatchers, String>>,
    vetoes: OnceLock<Result<RuleVetoes, String>>,
}

/// What finds a rule's candidates, compiled when a keyword first hits.
#[derive(Debug)]
pub struct RuleMatchers {
    /// `None` for a file rule.
    pub regex: Option<Regex>,
    pub path_include: Option<GlobSet>,
    pub path_exclude: Option<GlobSet>,
    pub path_regex: Option<Regex>,
    /// Capture group index of each named part, in `parts` order.
    pub part_groups: Vec<usize>,
}

/// What vetoes a rule's candidates, compiled when the regex first matches:
/// generic rules carry dozens of allow regexes that most inputs, where the
/// keyword hits but nothing is assigned, never need.
#[derive(Debug)]
pub struct RuleVetoes {
    pub allow_regexes: Vec<Regex>,
    pub allow_line_regexes: Vec<Regex>,
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
            matchers: OnceLock::new(),
            vetoes: OnceLock::new(),
        }
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
        let path_regex = self
            .path_regex
            .as_deref()
            .map(|r| compile_regex(r).map_err(|e| format!("field `paths.regex`: {e}")))
            .transpose()?;
        Ok(RuleMatchers {
            regex,
            path_include: compile_globs(&self.path_include, "paths.include")?,
            path_exclude: compile_globs(&self.path_exclude, "paths.exclude")?,
            path_regex,
            part_groups,
        })
    }

    fn compile_vetoes(&self) -> Result<RuleVetoes, String> {
        Ok(RuleVetoes {
            allow_regexes: compile_all(&self.allow_regexes, "allow.regexes")?,
            allow_line_regexes: compile_all(&self.allow_line_regexes, "allow.line_regexes")?,
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

fn compile_all(patterns: &[String], field: &str) -> Result<Vec<Regex>, String> {
    patterns
        .iter()
        .map(|p| compile_regex(p).map_err(|e| format!("field `{field}`: {e}")))
        .collect()
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

impl RuleMatchers {
    /// Whether the rule applies to a file at `path` (relative to the scan root).
    pub fn applies_to(&self, path: Option<&str>) -> bool {
        let Some(path) = path else {
            // Stdin and other unnamed input: path-limited rules cannot know.
            return self.path_include.is_none() && self.path_regex.is_none();
        };
        if self.path_exclude.as_ref().is_some_and(|g| g.is_match(path)) {
            return false;
        }
        self.path_include.as_ref().is_none_or(|g| g.is_match(path))
            && self
                .path_regex
                .as_ref()
                .is_none_or(|r| r.is_match(path.as_bytes()))
    }

    /// Whether the rule's paths settings restrict where it applies.
    pub fn has_path_filter(&self) -> bool {
        self.path_include.is_some() || self.path_exclude.is_some() || self.path_regex.is_some()
    }
}
