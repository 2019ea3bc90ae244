//! The keyword prefilter: one pass over the input that finds every keyword
//! of every rule and so decides which rules run, and where.
//!
//! All keywords share one ASCII-case-insensitive automaton, so the input is
//! read once whatever the mix of keyword kinds. A hit on a keyword that a
//! rule wants matched exactly (a token prefix such as `ghp_` or `AKIA`) is
//! confirmed with a byte comparison, which costs nothing next to a second
//! pass over the input.

use crate::rules::Rule;
use crate::rules::schema::KeywordCase;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::BTreeMap;

/// A keyword occurrence that makes `rule` run around `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeywordHit {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
}

/// A rule that owns a keyword, and the exact bytes it wants (`None` when
/// the rule ignores case).
#[derive(Debug, Clone)]
struct Owner {
    rule: u32,
    exact: Option<Box<[u8]>>,
}

pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each pattern of the automaton (a lowercased keyword), its owners.
    owners: Vec<Vec<Owner>>,
}

impl Prefilter {
    pub fn new(rules: &[Rule]) -> Prefilter {
        // Sorted, so pattern ids and so hit order do not depend on hashing.
        let mut by_pattern: BTreeMap<Vec<u8>, Vec<Owner>> = BTreeMap::new();
        for (index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let exact = match rule.keyword_case {
                    KeywordCase::Exact => Some(keyword.as_bytes().into()),
                    KeywordCase::Ignore => None,
                };
                let owners = by_pattern
                    .entry(keyword.to_ascii_lowercase().into_bytes())
                    .or_default();
                let owner = Owner {
                    rule: index as u32,
                    exact,
                };
                if !owners
                    .iter()
                    .any(|o| o.rule == owner.rule && o.exact == owner.exact)
                {
                    owners.push(owner);
                }
            }
        }
        if by_pattern.is_empty() {
            return Prefilter {
                automaton: None,
                owners: Vec::new(),
            };
        }
        let (patterns, owners): (Vec<_>, Vec<_>) = by_pattern.into_iter().unzip();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("keywords are non-empty literals");
        Prefilter {
            automaton: Some(automaton),
            owners,
        }
    }

    /// Appends every keyword hit in `haystack` to `hits`, unordered.
    pub fn find_hits(&self, haystack: &[u8], hits: &mut Vec<KeywordHit>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        // Overlapping, so a keyword inside or across another is never lost.
        for found in automaton.find_overlapping_iter(haystack) {
            let text = &haystack[found.start()..found.end()];
            for owner in &self.owners[found.pattern().as_usize()] {
                if owner.exact.as_deref().is_none_or(|exact| exact == text) {
                    hits.push(KeywordHit {
                        rule: owner.rule,
                        start: found.start(),
                        end: found.end(),
                    });
                }
            }
        }
    }
}
