//! The TOML schema of rule files and user configs, as serde types.
//!
//! Every table denies unknown fields so that a typo (`entrophy = 3`) is an
//! error that names the field instead of a silently ignored setting. The
//! documentation of every field lives in `rules/README.md`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rule file: `rules/*.toml` or the `[[rules]]` of a user config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

/// One detection rule as written by its author.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Literal strings for the prefilter. With `scope = "window"` (the
    /// default) a match must contain one of them and there must be at least
    /// one; with `scope = "blob"` they only decide whether the rule runs.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub keyword_case: KeywordCase,
    /// Where the regex runs relative to keyword hits.
    #[serde(default)]
    pub scope: Scope,
    /// Empty for a file rule, which reports matching paths (see `paths`).
    #[serde(default)]
    pub regex: String,
    /// Capture group holding the secret; 0 is the whole match.
    #[serde(default)]
    pub secret_group: SecretGroup,
    /// Named capture groups that are the parts of a multi-part credential.
    #[serde(default)]
    pub parts: Vec<String>,
    /// Minimum Shannon entropy of the secret, in bits per byte.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// A named validator the secret must pass (see `engine::checksum`).
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub allow: AllowSpec,
    /// Blocks of criteria that veto a finding (see `AllowlistSpec`).
    #[serde(default)]
    pub allowlists: Vec<AllowlistSpec>,
    #[serde(default)]
    pub paths: PathSpec,
    #[serde(default)]
    pub window: WindowSpec,
    /// The rule whose finding nearby is the other half of this credential.
    #[serde(default)]
    pub companion: Option<CompanionSpec>,
    pub severity: Severity,
    pub confidence: Confidence,
    #[serde(default)]
    pub tags: Vec<String>,
    pub remediation: RemediationSpec,
    #[serde(default)]
    pub examples: Vec<ExampleSpec>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// Whether a rule's keywords are matched exactly or ASCII-case-insensitively.
///
/// Exact keywords (token prefixes such as `ghp_`) go through a fast literal
/// searcher; only keywords that must ignore case pay for case folding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeywordCase {
    #[default]
    Exact,
    Ignore,
}

/// Where a rule's regex runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// In the lines around each keyword hit; a match must contain a keyword.
    #[default]
    Window,
    /// Over the whole input, when any keyword occurs anywhere in it (or
    /// always, for a rule without keywords); a match need not contain one.
    /// What gitleaks rules expect.
    Blob,
}

/// Which part of a match is the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SecretGroupRepr")]
pub enum SecretGroup {
    /// This capture group; 0 is the whole match.
    Index(usize),
    /// The first capture group that matched something, else the whole
    /// match (written `"first"`; what gitleaks does without `secretGroup`).
    FirstMatched,
}

impl Default for SecretGroup {
    fn default() -> Self {
        SecretGroup::Index(0)
    }
}

/// How `secret_group` is written: a number, or the word `"first"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SecretGroupRepr {
    Index(usize),
    Word(String),
}

impl TryFrom<SecretGroupRepr> for SecretGroup {
    type Error = String;

    fn try_from(repr: SecretGroupRepr) -> Result<Self, String> {
        match repr {
            SecretGroupRepr::Index(index) => Ok(SecretGroup::Index(index)),
            SecretGroupRepr::Word(word) if word == "first" => Ok(SecretGroup::FirstMatched),
            SecretGroupRepr::Word(word) => Err(format!(
                "expected a capture group number or \"first\", found {word:?}"
            )),
        }
    }
}

/// Vetoes for candidate secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSpec {
    /// A secret matching any of these is not a finding.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// A finding whose line matches any of these is not a finding.
    #[serde(default)]
    pub line_regexes: Vec<String>,
    /// A secret containing any of these (ASCII case-insensitively) is not a finding.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// Path globs a rule is limited to or excluded from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSpec {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// A regex the whole path must match (as well as `include`, if given).
    #[serde(default)]
    pub regex: Option<String>,
}

impl PathSpec {
    /// Whether these settings select paths (rather than only excluding some).
    pub fn selects(&self) -> bool {
        !self.include.is_empty() || self.regex.is_some()
    }
}

/// One allowlist block: criteria that veto a finding when any of them holds
/// (`condition = "or"`, the default) or when all of them hold (`"and"`).
/// Each non-empty list is one criterion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub condition: AllowCondition,
    /// Regexes tested on `regex_target`.
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub regex_target: RegexTarget,
    /// Words the secret contains (ASCII case-insensitively).
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Path globs; together with `path_regexes`, one criterion on the path.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes on the path.
    #[serde(default)]
    pub path_regexes: Vec<String>,
    /// Commit ids (full, or a prefix of at least 7 hex digits) of history
    /// findings.
    #[serde(default)]
    pub commits: Vec<String>,
}

/// How the criteria of an allowlist block combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowCondition {
    #[default]
    Or,
    And,
}

/// What an allowlist block's `regexes` are tested on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegexTarget {
    /// The secret (the `secret_group` capture).
    #[default]
    Secret,
    /// The whole regex match.
    Match,
    /// The whole line(s) of the match.
    Line,
}

/// Pairs a rule's finding with a nearby finding of another rule that is the
/// other half of the same credential (an AWS key id and its secret key):
/// the two are reported as one finding with both as parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanionSpec {
    /// Id of the other rule.
    pub rule: String,
    /// How many lines apart the two may be.
    #[serde(default = "default_companion_lines")]
    pub within_lines: u32,
    /// Part name of this rule's secret in the combined finding.
    pub part: String,
    /// Part name of the companion's secret.
    pub companion_part: String,
}

fn default_companion_lines() -> u32 {
    5
}

/// How far around a keyword hit the rule's regex looks, in whole lines.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    #[serde(default)]
    pub lines_before: u32,
    #[serde(default)]
    pub lines_after: u32,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    #[default]
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What to do about a leaked credential of this kind.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemediationSpec {
    pub summary: String,
    #[serde(default)]
    pub rotation: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
}

/// A text the rule must match, and the secret it must yield.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    pub text: String,
    pub secret: String,
    /// Optional path the example is scanned as, for rules with path globs.
    #[serde(default)]
    pub path: Option<String>,
}

/// A user config: `--config FILE` or `.leakhound.toml` at the scan root.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub extend: ExtendSpec,
    #[serde(default)]
    pub allow: GlobalAllowSpec,
    /// Allowlist blocks that apply to every rule.
    #[serde(default)]
    pub allowlists: Vec<AllowlistSpec>,
    /// Per-rule changes to built-in rules, keyed by rule id.
    #[serde(default)]
    pub overrides: BTreeMap<String, RuleOverride>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendSpec {
    /// Keep the built-in rules (default). Only an explicit `false` drops them.
    #[serde(default = "default_true")]
    pub builtin: bool,
    /// Rule ids to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
}

impl Default for ExtendSpec {
    fn default() -> Self {
        ExtendSpec {
            builtin: true,
            disable: Vec::new(),
        }
    }
}

fn default_true() -> bool {
    true
}

/// Allowlists that apply to every rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalAllowSpec {
    /// Path globs never scanned.
    #[serde(default)]
    pub paths: Vec<String>,
    /// A secret matching any of these is not a finding.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// A secret containing any of these is not a finding.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// Threshold changes to an existing rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub confidence: Option<Confidence>,
    #[serde(default)]
    pub allow: Option<AllowSpec>,
    /// Allowlist blocks added to the rule's own.
    #[serde(default)]
    pub allowlists: Vec<AllowlistSpec>,
    #[serde(default)]
    pub paths: Option<PathSpec>,
}
