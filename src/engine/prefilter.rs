//! The keyword prefilter: one pass over the input that finds every keyword
//! of every rule and so decides which rules run, and where.
//!
//! All keywords share one ASCII-case-insensitive automaton
//! ([`KeywordDfa`]), so the input is read once whatever the mix of keyword
//! kinds. A hit on a keyword that a rule wants matched exactly (a token
//! prefix such as `ghp_` or `AKIA`) is confirmed with a byte comparison,
//! which costs nothing next to a second pass over the input.

use super::keyword_dfa::KeywordDfa;
use crate::rules::Rule;
use crate::rules::schema::KeywordCase;
use std::collections::BTreeMap;

/// A keyword occurrence that makes `rule` run around `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeywordHit {
    pub rule: u32,
    pub start: usize,
    pub end: usize,
}

/// A rule that owns a keyword, and where in `Prefilter::exact_bytes` the
/// exact form it wants starts (`ANY_CASE` when the rule ignores case).
#[derive(Debug, Clone, Copy)]
struct Owner {
    rule: u32,
    exact_at: u32,
}

const ANY_CASE: u32 = u32::MAX;

/// Every keyword match runs through these tables, hundreds of thousands
/// of times on a large tree, so they are flat arrays: a match costs a few
/// loads from memory that stays in cache, not a chase through boxes.
pub struct Prefilter {
    /// `None` when no rule has a keyword.
    automaton: Option<KeywordDfa>,
    /// For each pattern of the automaton (a lowercased keyword), its range
    /// in `owners`.
    owner_ranges: Vec<(u32, u32)>,
    owners: Vec<Owner>,
    /// The exact forms of case-sensitive keywords, back to back.
    exact_bytes: Vec<u8>,
}

impl Prefilter {
    pub fn new(rules: &[Rule]) -> Prefilter {
        // Sorted, so pattern ids and so hit order do not depend on hashing.
        // Each owner: its rule and the exact form it wants, if any.
        type Owners<'a> = Vec<(u32, Option<&'a [u8]>)>;
        let mut by_pattern: BTreeMap<Vec<u8>, Owners> = BTreeMap::new();
        for (index, rule) in rules.iter().enumerate() {
            for keyword in &rule.keywords {
                let exact = match rule.keyword_case {
                    KeywordCase::Exact => Some(keyword.as_bytes()),
                    KeywordCase::Ignore => None,
                };
                let owners = by_pattern
                    .entry(keyword.to_ascii_lowercase().into_bytes())
                    .or_default();
                let owner = (index as u32, exact);
                if !owners.contains(&owner) {
                    owners.push(owner);
                }
            }
        }
        let mut prefilter = Prefilter {
            automaton: None,
            owner_ranges: Vec::with_capacity(by_pattern.len()),
            owners: Vec::new(),
            exact_bytes: Vec::new(),
        };
        let mut patterns = Vec::with_capacity(by_pattern.len());
        for (pattern, owners) in by_pattern {
            let begin = prefilter.owners.len() as u32;
            for (rule, exact) in owners {
                let exact_at = match exact {
                    Some(bytes) => {
                        let at = prefilter.exact_bytes.len() as u32;
                        prefilter.exact_bytes.extend_from_slice(bytes);
                        at
                    }
                    None => ANY_CASE,
                };
                prefilter.owners.push(Owner { rule, exact_at });
            }
            prefilter
                .owner_ranges
                .push((begin, prefilter.owners.len() as u32));
            patterns.push(pattern);
        }
        prefilter.automaton = (!patterns.is_empty()).then(|| KeywordDfa::new(&patterns));
        prefilter
    }

    /// The length of the longest keyword: a hit spans at most this many bytes.
    pub fn max_keyword_len(&self) -> usize {
        self.automaton.as_ref().map_or(0, KeywordDfa::max_len)
    }

    /// Appends every keyword hit in `haystack` of a rule that `wanted`
    /// accepts to `hits`, unordered.
    pub fn find_hits(
        &self,
        haystack: &[u8],
        hits: &mut Vec<KeywordHit>,
        mut wanted: impl FnMut(u32) -> bool,
    ) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        // Overlapping, so a keyword inside or across another is never lost.
        automaton.for_each_match(haystack, |pattern, start, end| {
            let text = &haystack[start..end];
            let (begin, finish) = self.owner_ranges[pattern as usize];
            for owner in &self.owners[begin as usize..finish as usize] {
                let case_fits = owner.exact_at == ANY_CASE
                    || self.exact_bytes[owner.exact_at as usize..][..text.len()] == *text;
                if case_fits && wanted(owner.rule) {
                    hits.push(KeywordHit {
                        rule: owner.rule,
                        start,
                        end,
                    });
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::builtin_rules;

    fn hits_of(prefilter: &Prefilter, text: &[u8]) -> Vec<KeywordHit> {
        let mut hits = Vec::new();
        prefilter.find_hits(text, &mut hits, |_| true);
        hits.sort_unstable();
        hits
    }

    #[test]
    fn exact_keywords_need_their_case_and_others_do_not() {
        let rules = builtin_rules().unwrap();
        let prefilter = Prefilter::new(&rules);
        let rule_of = |id: &str| rules.iter().position(|r| r.id == id).unwrap() as u32;
        let github = rule_of("github-pat-classic");
        let generic = rule_of("generic-password");
        let hits = hits_of(&prefilter, b"GHP_ ghp_ PASSWORD=");
        let starts_of = |rule| {
            hits.iter()
                .filter(|h| h.rule == rule)
                .map(|h| h.start)
                .collect::<Vec<_>>()
        };
        assert_eq!(starts_of(github), vec![5], "{hits:?}");
        assert!(!starts_of(generic).is_empty(), "{hits:?}");
    }
}
