//! The keyword prefilter: one pass over the input that finds every keyword
//! of every rule and so decides which rules run, and where.
//!
//! Keywords are split by case mode. Exact keywords (token prefixes such as
//! `ghp_` or `AKIA`) go into a case-sensitive automaton, which aho-corasick
//! accelerates with SIMD literal search; only the few keywords that must
//! ignore case (`password`, `secret`) pay for case folding in a second one.

use crate::rules::Rule;
use crate::rules::schema::KeywordCase;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::collections::HashMap;

/// A keyword occurrence that makes `rule` run around `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeywordHit {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
}

/// One automaton and, for each of its patterns, the rules that own it.
struct KeywordAutomaton {
    automaton: AhoCorasick,
    rules_of_pattern: Vec<Vec<u32>>,
}

pub struct Prefilter {
    exact: Option<KeywordAutomaton>,
    folded: Option<KeywordAutomaton>,
}

impl Prefilter {
    pub fn new(rules: &[Rule]) -> Prefilter {
        let mut exact: HashMap<Vec<u8>, Vec<u32>> = HashMap::new();
        let mut folded: HashMap<Vec<u8>, Vec<u32>> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            let index = index as u32;
            for keyword in &rule.keywords {
                let (table, key) = match rule.keyword_case {
                    KeywordCase::Exact => (&mut exact, keyword.as_bytes().to_vec()),
                    KeywordCase::Ignore => (&mut folded, keyword.to_ascii_lowercase().into_bytes()),
                };
                let owners = table.entry(key).or_default();
                if !owners.contains(&index) {
                    owners.push(index);
                }
            }
        }
        Prefilter {
            exact: build_automaton(exact, false),
            folded: build_automaton(folded, true),
        }
    }

    /// Appends every keyword hit in `haystack` to `hits`, unordered.
    pub fn find_hits(&self, haystack: &[u8], hits: &mut Vec<KeywordHit>) {
        for automaton in [&self.exact, &self.folded].into_iter().flatten() {
            for found in automaton.automaton.find_overlapping_iter(haystack) {
                for &rule in &automaton.rules_of_pattern[found.pattern().as_usize()] {
                    hits.push(KeywordHit {
                        rule,
                        start: found.start(),
                        end: found.end(),
                    });
                }
            }
        }
    }
}

fn build_automaton(
    keywords: HashMap<Vec<u8>, Vec<u32>>,
    case_insensitive: bool,
) -> Option<KeywordAutomaton> {
    if keywords.is_empty() {
        return None;
    }
    // Sorted so that pattern ids, and so hit order, do not depend on hashing.
    let mut keywords: Vec<_> = keywords.into_iter().collect();
    keywords.sort();
    let (patterns, rules_of_pattern): (Vec<_>, Vec<_>) = keywords.into_iter().unzip();
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(case_insensitive)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .expect("keywords are non-empty literals");
    Some(KeywordAutomaton {
        automaton,
        rules_of_pattern,
    })
}
