//! The detection engine: bytes in, detections out. It knows nothing about
//! files, git or output formats.
//!
//! A scan is one prefilter pass that finds every rule keyword, then, per rule
//! that had a hit, its regex inside the merged line windows around its hits,
//! then the checks (keyword containment, entropy, validator, allowlists,
//! inline `leakhound:allow` markers) on each candidate.

pub mod checksum;
pub mod companion;
pub mod decode;
pub mod entropy;
pub mod finding;
pub mod key_structure;
pub mod location;
pub mod prefilter;

use crate::rules::compiled::RuleMatchers;
use crate::rules::{Rule, RuleSet};
use finding::{Detection, Part};
use location::LineIndex;
use prefilter::{KeywordHit, Prefilter};
use regex::bytes::CaptureLocations;

/// Markers that silence every finding on their line. `gitleaks:allow` is
/// honoured so teams moving from gitleaks keep their annotations.
const INLINE_ALLOW_MARKERS: [&[u8]; 2] = [b"leakhound:allow", b"gitleaks:allow"];

/// How far a window may reach from its keyword hit, each way. Bounds the
/// cost of a hit in a minified file whose one line is megabytes long.
const MAX_WINDOW_REACH: usize = 64 * 1024;

/// The longest context line kept for reports, around the match.
const MAX_LINE_TEXT: usize = 400;

/// How rules are applied to a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Keyword prefilter, regexes only in windows around hits (the product).
    Prefiltered,
    /// Every rule's regex over the whole input, no prefilter. Slow; exists so
    /// tests can check that the prefilter never changes what is found.
    Reference,
}

/// Per-thread buffers reused across blobs so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    hits: Vec<KeywordHit>,
    windows: Vec<(usize, usize)>,
    candidates: Vec<Candidate>,
}

/// A match that passed every check, before its position is resolved.
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    secret: (usize, usize),
    parts: Vec<(usize, usize, usize)>,
}

pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    mode: MatchMode,
    /// How many layers of encoding to look through; 0 turns decoding off.
    decode_depth: u8,
    /// Per rule, the index of its companion rule (multi-part credentials).
    companions: Vec<Option<usize>>,
}

impl Engine {
    pub fn new(rules: RuleSet, mode: MatchMode) -> Engine {
        let prefilter = Prefilter::new(&rules.rules);
        let companions = companion::companion_indexes(&rules);
        Engine {
            rules,
            prefilter,
            mode,
            decode_depth: decode::DEFAULT_DEPTH,
            companions,
        }
    }

    /// Sets how many layers of base64, hex or percent-encoding to look
    /// through (0: none).
    pub fn with_decode_depth(mut self, depth: u8) -> Engine {
        self.decode_depth = depth;
        self
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds every secret in `input`. `path` (relative to the scan root)
    /// selects path-limited rules; `None` for stdin.
    pub fn scan(&self, input: &[u8], path: Option<&str>, scratch: &mut Scratch) -> Vec<Detection> {
        let mut detections = self.scan_in_mode(self.mode, input, path, scratch);
        if self.decode_depth > 0 {
            self.scan_encoded(input, path, self.decode_depth, &mut detections);
        }
        self.drop_generic_overlaps(&mut detections);
        companion::pair(&self.rules, &self.companions, &mut detections);
        detections
    }

    /// Drops generic detections that overlap a provider rule's detection:
    /// the provider rule says more (and has its own validator), and a
    /// secret is reported once.
    fn drop_generic_overlaps(&self, detections: &mut Vec<Detection>) {
        let rules = &self.rules.rules;
        if detections.len() < 2 || !detections.iter().any(|d| rules[d.rule].is_generic()) {
            return;
        }
        let specific: Vec<(usize, usize)> = detections
            .iter()
            .filter(|d| !rules[d.rule].is_generic())
            .map(|d| (d.start, d.end))
            .collect();
        detections.retain(|d| {
            !rules[d.rule].is_generic()
                || !specific
                    .iter()
                    .any(|&(start, end)| start < d.end && d.start < end)
        });
    }

    /// Like `scan`, in the given mode regardless of the engine's own.
    pub fn scan_in_mode(
        &self,
        mode: MatchMode,
        input: &[u8],
        path: Option<&str>,
        scratch: &mut Scratch,
    ) -> Vec<Detection> {
        scratch.candidates.clear();
        match mode {
            MatchMode::Prefiltered => self.scan_prefiltered(input, path, scratch),
            MatchMode::Reference => {
                for (index, rule) in self.rules.rules.iter().enumerate() {
                    if let Some(matchers) = self.matchers_for(rule, path) {
                        let candidates = &mut scratch.candidates;
                        self.match_window(
                            index,
                            rule,
                            matchers,
                            input,
                            (0, input.len()),
                            candidates,
                        );
                    }
                }
            }
        }
        self.resolve(input, scratch)
    }

    fn scan_prefiltered(&self, input: &[u8], path: Option<&str>, scratch: &mut Scratch) {
        scratch.hits.clear();
        self.prefilter.find_hits(input, &mut scratch.hits);
        if scratch.hits.is_empty() {
            return;
        }
        scratch.hits.sort_unstable();
        let mut rest = &scratch.hits[..];
        while let Some(first) = rest.first() {
            let rule_index = first.rule as usize;
            let run = rest.partition_point(|h| h.rule == first.rule);
            let (rule_hits, tail) = rest.split_at(run);
            rest = tail;
            let rule = &self.rules.rules[rule_index];
            let Some(matchers) = self.matchers_for(rule, path) else {
                continue;
            };
            merge_windows(input, rule, rule_hits, &mut scratch.windows);
            for &window in &scratch.windows {
                self.match_window(
                    rule_index,
                    rule,
                    matchers,
                    input,
                    window,
                    &mut scratch.candidates,
                );
            }
        }
    }

    /// The rule's compiled matchers if it applies to `path`.
    fn matchers_for<'r>(&self, rule: &'r Rule, path: Option<&str>) -> Option<&'r RuleMatchers> {
        // Built-in rules are compiled by the test suite and user rules at
        // load, so a failure here cannot happen for a rule that loaded.
        let matchers = rule.matchers().ok()?;
        matchers.applies_to(path).then_some(matchers)
    }

    /// Runs a rule's regex over `input[window]` and keeps candidates that pass.
    fn match_window(
        &self,
        rule_index: usize,
        rule: &Rule,
        matchers: &RuleMatchers,
        input: &[u8],
        (window_start, window_end): (usize, usize),
        candidates: &mut Vec<Candidate>,
    ) {
        // Slicing the end keeps the match inside the window, and searching
        // from an offset (rather than a sub-slice) keeps look-behind
        // assertions such as `\b` correct at the window's start.
        let haystack = &input[..window_end];
        let mut locations = matchers.regex.capture_locations();
        let mut at = window_start;
        while at <= window_end {
            let Some(found) = matchers
                .regex
                .captures_read_at(&mut locations, haystack, at)
            else {
                break;
            };
            at = if found.end() > found.start() {
                found.end()
            } else {
                found.end() + 1
            };
            if let Some(candidate) =
                self.check_candidate(rule_index, rule, matchers, input, &locations)
            {
                candidates.push(candidate);
            }
        }
    }

    /// Applies every check to a regex match; `None` vetoes it.
    fn check_candidate(
        &self,
        rule_index: usize,
        rule: &Rule,
        matchers: &RuleMatchers,
        input: &[u8],
        locations: &CaptureLocations,
    ) -> Option<Candidate> {
        let (start, end) = locations.get(0)?;
        let (secret_start, secret_end) = locations.get(rule.secret_group)?;
        if secret_start == secret_end || !contains_keyword(rule, &input[start..end]) {
            return None;
        }
        let secret = &input[secret_start..secret_end];
        if rule
            .entropy
            .is_some_and(|min| entropy::shannon_entropy(secret) < min)
        {
            return None;
        }
        if rule.checksum.is_some_and(|check| !check.validate(secret)) {
            return None;
        }
        let global = &self.rules.allow;
        if matchers.allow_regexes.iter().any(|r| r.is_match(secret))
            || global.regexes.iter().any(|r| r.is_match(secret))
            || contains_stopword(secret, &rule.allow_stopwords)
            || contains_stopword(secret, &global.stopwords)
        {
            return None;
        }
        let (first, last) = bounded_lines(input, start, end);
        let lines = &input[first..last];
        if INLINE_ALLOW_MARKERS
            .iter()
            .any(|marker| memchr::memmem::find(lines, marker).is_some())
            || matchers
                .allow_line_regexes
                .iter()
                .any(|r| r.is_match(lines))
        {
            return None;
        }
        let parts = matchers
            .part_groups
            .iter()
            .enumerate()
            .filter_map(|(part, &group)| locations.get(group).map(|(s, e)| (part, s, e)))
            .collect();
        Some(Candidate {
            rule: rule_index,
            start,
            end,
            secret: (secret_start, secret_end),
            parts,
        })
    }

    /// Turns candidates into detections with positions, in input order.
    fn resolve(&self, input: &[u8], scratch: &mut Scratch) -> Vec<Detection> {
        let candidates = &mut scratch.candidates;
        if candidates.is_empty() {
            return Vec::new();
        }
        candidates.sort_unstable_by_key(|c| (c.start, c.end, c.rule));
        let mut lines = LineIndex::new(input);
        candidates
            .drain(..)
            .map(|c| {
                let begin = lines.position(c.start);
                let finish = lines.position(c.end);
                let rule = &self.rules.rules[c.rule];
                Detection {
                    rule: c.rule,
                    start: c.start,
                    end: c.end,
                    secret: lossy(&input[c.secret.0..c.secret.1]),
                    matched: lossy(&input[c.start..c.end]),
                    line: begin.line,
                    column: begin.column,
                    end_line: finish.line,
                    end_column: finish.column,
                    line_text: context_line(input, c.start, c.end),
                    parts: c
                        .parts
                        .iter()
                        .map(|&(part, s, e)| Part {
                            name: rule.parts[part].clone(),
                            secret: lossy(&input[s..e]),
                        })
                        .collect(),
                    encodings: Vec::new(),
                }
            })
            .collect()
    }
}

/// Fills `windows` with the merged line windows around a rule's hits.
/// `hits` are sorted by start, so window starts come in order.
fn merge_windows(
    input: &[u8],
    rule: &Rule,
    hits: &[KeywordHit],
    windows: &mut Vec<(usize, usize)>,
) {
    windows.clear();
    for hit in hits {
        let (start, end) = window_around(input, rule, hit);
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
}

/// The whole lines containing a hit, plus the rule's extra lines, capped
/// at `MAX_WINDOW_REACH` each way. Line ends are searched for only within
/// the cap, so a hit in a megabyte-long minified line costs no more than
/// one in ordinary code.
fn window_around(input: &[u8], rule: &Rule, hit: &KeywordHit) -> (usize, usize) {
    let floor = hit.start.saturating_sub(MAX_WINDOW_REACH);
    let ceiling = hit.end.saturating_add(MAX_WINDOW_REACH).min(input.len());
    let mut start = line_start_above(input, hit.start, floor);
    for _ in 0..rule.window.lines_before {
        if start <= floor {
            break;
        }
        start = line_start_above(input, start - 1, floor);
    }
    let mut end = line_end_below(input, hit.end, ceiling);
    for _ in 0..rule.window.lines_after {
        if end >= ceiling {
            break;
        }
        end = line_end_below(input, end + 1, ceiling);
    }
    (start, end)
}

/// The start of the line containing `at`, or `floor` if the line starts
/// before it.
fn line_start_above(input: &[u8], at: usize, floor: usize) -> usize {
    memchr::memrchr(b'\n', &input[floor..at]).map_or(floor, |nl| floor + nl + 1)
}

/// The end (the `\n`) of the line containing `at`, or `ceiling` if the line
/// ends after it.
fn line_end_below(input: &[u8], at: usize, ceiling: usize) -> usize {
    memchr::memchr(b'\n', &input[at..ceiling]).map_or(ceiling, |nl| at + nl)
}

/// The bounds of the line(s) holding `start..end`, reaching at most
/// `MAX_WINDOW_REACH` beyond them.
fn bounded_lines(input: &[u8], start: usize, end: usize) -> (usize, usize) {
    (
        line_start_above(input, start, start.saturating_sub(MAX_WINDOW_REACH)),
        line_end_below(
            input,
            end,
            end.saturating_add(MAX_WINDOW_REACH).min(input.len()),
        ),
    )
}

/// Whether a match contains one of its rule's keywords. Both match modes
/// require it, which is what makes the prefilter exact rather than a guess.
fn contains_keyword(rule: &Rule, matched: &[u8]) -> bool {
    use crate::rules::schema::KeywordCase;
    rule.keywords.iter().any(|keyword| {
        let keyword = keyword.as_bytes();
        match rule.keyword_case {
            KeywordCase::Exact => memchr::memmem::find(matched, keyword).is_some(),
            KeywordCase::Ignore => matched
                .windows(keyword.len())
                .any(|w| w.eq_ignore_ascii_case(keyword)),
        }
    })
}

/// Whether `secret` contains any of the lowercased `stopwords`, ignoring case.
fn contains_stopword(secret: &[u8], stopwords: &[String]) -> bool {
    if stopwords.is_empty() {
        return false;
    }
    let lowered = secret.to_ascii_lowercase();
    stopwords
        .iter()
        .any(|word| memchr::memmem::find(&lowered, word.as_bytes()).is_some())
}

/// The line where a match starts, trimmed to a bounded slice around it.
fn context_line(input: &[u8], start: usize, end: usize) -> String {
    let (first, last) = bounded_lines(input, start, start);
    let from = first.max(start.saturating_sub(MAX_LINE_TEXT / 2));
    let to = last.min(end.max(start).saturating_add(MAX_LINE_TEXT / 2));
    lossy(&input[from..to.max(from)])
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests;
