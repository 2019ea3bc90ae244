//! What the engine reports: a `Detection` in a blob of bytes, and the
//! `Finding` that pairs it with its rule's metadata and where the bytes came
//! from.

use super::decode::Encoding;
use crate::rules::Rule;
use crate::rules::schema::{Confidence, RemediationSpec, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A named piece of a multi-part credential (an AWS key id and its secret).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Part {
    pub name: String,
    pub secret: String,
}

/// A rule match in one blob that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    /// Byte range of the whole match in the blob.
    pub start: usize,
    pub end: usize,
    pub secret: String,
    pub matched: String,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
    /// The line where the match starts (a bounded slice of it if it is huge),
    /// for reports that show the secret in context.
    pub line_text: String,
    pub parts: Vec<Part>,
    /// The encodings the secret was found under, outermost first; empty
    /// when it appeared as is.
    pub encodings: Vec<Encoding>,
    /// Checks left for when the origin is known; `None` for almost all.
    pub pending: Option<Box<Pending>>,
}

/// What a detection still owes to where its bytes came from: the rule's
/// path restriction (a history blob is scanned before its paths are known)
/// and allowlist blocks whose path or commit criteria decide. Settled by
/// `RuleSet::stands_at` for each place the detection was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    /// The rule's `paths` settings are still to be checked.
    pub rule_paths: bool,
    pub allowlists: Vec<AllowRef>,
}

/// An allowlist block: the rule's own (by index) or a global one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowRef {
    Rule(u32),
    Global(u32),
}

/// Which kind of source produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    File,
    Stdin,
    Staged,
    History,
}

/// The commit that introduced a blob, for history findings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub author: String,
    pub email: String,
    pub date: String,
    pub message: String,
}

/// One place in history where a secret's blob appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    #[serde(flatten)]
    pub commit: CommitInfo,
    pub path: String,
    pub blob: String,
    /// Commit time in seconds, for ordering; the date is in `commit`.
    #[serde(skip)]
    pub time: i64,
}

impl Location {
    /// Oldest first; ties broken by commit id and path so order is total.
    pub fn order_key(&self) -> (i64, &str, &str) {
        (self.time, &self.commit.commit, &self.path)
    }
}

/// History-only facts about a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryDetails {
    /// Whether the secret is still in the tree of HEAD.
    pub in_head: bool,
    /// How many other (commit, path) locations carry the same secret.
    pub other_locations: u64,
    /// Every location, oldest first, with `--all-locations`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// Where scanned bytes came from; sources fill it, the engine never reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: SourceKind,
    /// Path relative to the scan root, or as given; `None` for stdin.
    pub path: Option<String>,
    pub commit: Option<CommitInfo>,
}

/// A reportable finding: detection + rule metadata + origin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    /// The rule's longer description, for reports that describe rules
    /// (SARIF); not part of the JSON contract.
    #[serde(skip)]
    pub rule_description: Option<String>,
    pub severity: Severity,
    pub confidence: Confidence,
    pub tags: Vec<String>,
    pub secret: String,
    #[serde(rename = "match")]
    pub matched: String,
    pub fingerprint: String,
    pub path: Option<String>,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
    pub source: SourceKind,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryDetails>,
    pub remediation: RemediationSpec,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    /// Encodings the secret was found under, outermost first (JSON 1.1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<Encoding>,
    #[serde(skip)]
    pub line_text: String,
    #[serde(skip)]
    pub pending: Option<Box<Pending>>,
}

impl Finding {
    pub fn new(rule: &Rule, detection: Detection, origin: &Origin) -> Finding {
        Finding {
            fingerprint: fingerprint(&rule.id, &detection.secret),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            rule_description: rule.description.clone(),
            severity: rule.severity,
            confidence: rule.confidence,
            tags: rule.tags.clone(),
            secret: detection.secret,
            matched: detection.matched,
            path: origin.path.clone(),
            line: detection.line,
            column: detection.column,
            end_line: detection.end_line,
            end_column: detection.end_column,
            source: origin.source,
            commit: origin.commit.clone(),
            history: None,
            remediation: rule.remediation.clone(),
            parts: detection.parts,
            encodings: detection.encodings,
            line_text: detection.line_text,
            pending: detection.pending,
        }
    }

    /// The order reports use: by path, position, then rule, so output is
    /// the same whatever the thread count.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.path,
            self.line,
            self.column,
            &self.rule_id,
            self.commit.as_ref().map(|c| &c.commit),
            &self.secret,
        )
    }
}

/// A stable identifier of a secret under a rule: the same secret found by
/// the same rule anywhere, on any machine, has the same fingerprint.
pub fn fingerprint(rule_id: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(secret.as_bytes());
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = fingerprint("github-pat", "ghp_abc");
        assert_eq!(a, fingerprint("github-pat", "ghp_abc"));
        assert_ne!(a, fingerprint("github-pat", "ghp_abd"));
        assert_ne!(a, fingerprint("other-rule", "ghp_abc"));
        assert_eq!(a.len(), 32);
        // Pinned: a fingerprint must never change between releases.
        assert_eq!(
            fingerprint("rule", "secret"),
            "661601094e6086facd925625cbfbada7"
        );
    }
}
