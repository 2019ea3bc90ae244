//! The detection engine: bytes in, detections out. It knows nothing about
//! files, git or output formats.
//!
//! A scan is one prefilter pass that finds every rule keyword, then, per rule
//! that had a hit, its regex inside the merged line windows around its hits
//! (or over the whole input for a rule with `scope = "blob"`), then the
//! checks (keyword containment, entropy, validator, allowlists, inline
//! `leakhound:allow` markers) on each candidate. Rules without a regex
//! report files by path alone (`Engine::file_detections`).

mod base64_mask;
pub mod checksum;
pub mod companion;
pub mod decode;
pub mod entropy;
pub mod finding;
pub mod focus;
pub mod key_structure;
mod keyword_dfa;
pub mod location;
pub mod prefilter;
pub mod revision;

use crate::rules::allowlist::{Content, Verdict, contains_stopword};
use crate::rules::compiled::{RuleMatchers, RuleVetoes};
use crate::rules::schema::{Scope, SecretGroup};
use crate::rules::{Rule, RuleSet};
use finding::{AllowRef, Detection, Part, Pending};
use location::LineIndex;
use prefilter::{KeywordHit, Prefilter};
use regex::bytes::{CaptureLocations, Regex};

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

/// What the engine knows of where the bytes it scans sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// A file at this path, relative to the scan root.
    Known(&'a str),
    /// Input without a path (stdin): path-limited rules do not apply.
    Unnamed,
    /// A blob whose paths are known only after the scan (a history blob,
    /// found at many paths): path checks are left pending on detections.
    Later,
}

impl<'a> From<Option<&'a str>> for Place<'a> {
    fn from(path: Option<&'a str>) -> Self {
        path.map_or(Place::Unnamed, Place::Known)
    }
}

/// Per-thread buffers reused across blobs so the hot path does not allocate.
#[derive(Default)]
pub struct Scratch {
    hits: Vec<KeywordHit>,
    windows: Vec<(usize, usize)>,
    /// In a focused scan, windows not yet in reach: (rule, start, end),
    /// the rule set to `SEARCHED` once searched.
    deferred: Vec<(usize, usize, usize)>,
    candidates: Vec<Candidate>,
    /// Per rule, whether it runs on the current input (its paths allow the
    /// place), decided at its first keyword hit.
    runs_here: Vec<RunsHere>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum RunsHere {
    #[default]
    Unknown,
    Yes,
    No,
}

/// A match that passed every check, before its position is resolved.
struct Candidate {
    rule: usize,
    start: usize,
    end: usize,
    secret: (usize, usize),
    parts: Vec<(usize, usize, usize)>,
    pending: Option<Box<Pending>>,
}

/// One rule applied to one input, with what is needed on every match.
struct RuleRun<'a> {
    index: usize,
    rule: &'a Rule,
    matchers: &'a RuleMatchers,
    regex: &'a Regex,
    place: Place<'a>,
    /// The rule's path settings wait for the blob's paths (history).
    paths_pending: bool,
}

/// Marks a deferred window as searched.
const SEARCHED: usize = usize::MAX;

/// Which of a rule's windows a prefiltered scan searches.
enum Windows<'a> {
    /// All of them: a plain scan.
    All,
    /// Those in reach of a focus, the reach growing by what they find
    /// (`focus`).
    InReach(&'a mut Vec<(usize, usize)>),
    /// Those near the `changed` lines of a new version of an input; the
    /// others, `(rule, start, end)`, go to `far`, for their detections to
    /// be carried over from the old version (`revision`).
    NearChanges {
        changed: &'a focus::Ranges,
        far: &'a mut Vec<(usize, usize, usize)>,
    },
}

/// An allowlist vetoed the candidate.
struct Vetoed;

pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    mode: MatchMode,
    /// How many layers of encoding to look through; 0 turns decoding off.
    decode_depth: u8,
    /// Per rule, the index of its companion rule (multi-part credentials).
    companions: Vec<Option<usize>>,
    /// Blob-scope rules without keywords: they run on every input.
    unconditional: Vec<usize>,
    /// Rules without a regex, which report files by path.
    file_rules: Vec<usize>,
    /// Per rule, how many lines away a companion may be (as either part),
    /// which a focused scan must look across.
    companion_lines: Vec<usize>,
}

impl Engine {
    pub fn new(rules: RuleSet, mode: MatchMode) -> Engine {
        let prefilter = Prefilter::new(&rules.rules);
        let companions = companion::companion_indexes(&rules);
        let indices = |keep: fn(&Rule) -> bool| -> Vec<usize> {
            (0..rules.rules.len())
                .filter(|&i| keep(&rules.rules[i]))
                .collect()
        };
        let unconditional =
            indices(|r| r.scope == Scope::Blob && r.keywords.is_empty() && !r.is_file_rule());
        let file_rules = indices(Rule::is_file_rule);
        let companion_lines = companion::reach_lines(&rules, &companions);
        Engine {
            companion_lines,
            rules,
            prefilter,
            mode,
            decode_depth: decode::DEFAULT_DEPTH,
            companions,
            unconditional,
            file_rules,
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
        self.scan_full(input, Place::from(path), None, scratch)
    }

    /// The detections of `scan` that share a byte with `focus` (sorted,
    /// disjoint byte ranges: the lines a commit adds), found without
    /// running regexes far from it. See `focus`.
    pub fn scan_focused(
        &self,
        input: &[u8],
        path: Option<&str>,
        focus: &focus::Ranges,
        scratch: &mut Scratch,
    ) -> Vec<Detection> {
        if focus.is_empty() {
            return Vec::new();
        }
        let mut detections = self.scan_full(input, Place::from(path), Some(focus), scratch);
        detections.retain(|d| focus::touches(focus, d.start, d.end));
        detections
    }

    /// Like `scan`, for a blob whose paths are known only afterwards: every
    /// rule runs, and path checks are left pending on the detections for
    /// `RuleSet::stands_at` to settle at each path.
    pub fn scan_unplaced(&self, input: &[u8], scratch: &mut Scratch) -> Vec<Detection> {
        self.scan_full(input, Place::Later, None, scratch)
    }

    /// The rules' matches, then what is found in encoded text, with generic
    /// matches yielding to provider ones, a secret two provider rules agree
    /// on reported once, and multi-part credentials paired.
    /// `focus`, when given, limits regexes to windows within reach of it.
    fn scan_full(
        &self,
        input: &[u8],
        place: Place,
        focus: Option<&focus::Ranges>,
        scratch: &mut Scratch,
    ) -> Vec<Detection> {
        let mut reach = focus.map(<[_]>::to_vec);
        let windows = match reach.as_mut() {
            Some(reach) => Windows::InReach(reach),
            None => Windows::All,
        };
        let direct = self.scan_at(self.mode, input, place, windows, scratch);
        let decoded = if self.decode_depth > 0 {
            self.decoded_detections(input, place, self.decode_depth, reach.as_deref())
        } else {
            Vec::new()
        };
        self.combine(direct, decoded)
    }

    /// The reported detections from a scan's direct and decoded ones:
    /// generic matches yield to decoded and provider ones, a secret two
    /// provider rules agree on is reported once, and multi-part credentials
    /// are paired.
    fn combine(&self, mut detections: Vec<Detection>, decoded: Vec<Detection>) -> Vec<Detection> {
        self.add_decoded(&mut detections, decoded);
        self.drop_generic_overlaps(&mut detections);
        self.drop_same_secret_twice(&mut detections);
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

    /// Keeps one detection of a secret that two provider rules both match
    /// at the same place (token formats that share a prefix, such as
    /// Segment's and Sourcegraph's `sgp_`): the one from the rule with the
    /// highest confidence, the one found first on a tie.
    fn drop_same_secret_twice(&self, detections: &mut Vec<Detection>) {
        if detections.len() < 2 {
            return;
        }
        let rules = &self.rules.rules;
        // Detections of one secret sit next to each other in this order.
        let mut order: Vec<usize> = (0..detections.len()).collect();
        order.sort_by(|&a, &b| detections[a].secret.cmp(&detections[b].secret));
        let mut dropped = vec![false; detections.len()];
        for group in order.chunk_by(|&a, &b| detections[a].secret == detections[b].secret) {
            for (n, &i) in group.iter().enumerate() {
                for &j in &group[n + 1..] {
                    let (a, b) = (&detections[i], &detections[j]);
                    if dropped[i] || dropped[j] || a.rule == b.rule {
                        continue;
                    }
                    if a.start < b.end && b.start < a.end {
                        let first_wins = (rules[a.rule].confidence, std::cmp::Reverse(i))
                            >= (rules[b.rule].confidence, std::cmp::Reverse(j));
                        dropped[if first_wins { j } else { i }] = true;
                    }
                }
            }
        }
        let mut index = 0;
        detections.retain(|_| {
            let keep = !dropped[index];
            index += 1;
            keep
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
        self.scan_at(mode, input, Place::from(path), Windows::All, scratch)
    }

    /// The rules' direct matches, in the windows `windows` says. The
    /// reference mode searches everything: it is the plain semantics the
    /// prefiltered mode is checked against.
    fn scan_at(
        &self,
        mode: MatchMode,
        input: &[u8],
        place: Place,
        windows: Windows,
        scratch: &mut Scratch,
    ) -> Vec<Detection> {
        scratch.candidates.clear();
        match mode {
            MatchMode::Prefiltered => self.scan_prefiltered(input, place, windows, scratch),
            MatchMode::Reference => self.scan_reference(input, place, scratch),
        }
        self.resolve(input, scratch)
    }

    /// Whether any rule reports files by path alone.
    pub fn has_file_rules(&self) -> bool {
        !self.file_rules.is_empty()
    }

    /// The findings of file rules (rules without a regex) for a file at
    /// `path`, whether or not its content is read: one per rule whose
    /// `paths` select it, on line 1, with the path as the secret.
    pub fn file_detections(&self, path: &str) -> Vec<Detection> {
        self.file_rules
            .iter()
            .filter_map(|&index| self.file_detection(index, path))
            .collect()
    }

    fn file_detection(&self, index: usize, path: &str) -> Option<Detection> {
        if !self.rules.rules[index].paths().ok()?.applies_to(Some(path)) {
            return None;
        }
        let vetoes = self.rules.rules[index].vetoes().ok()?;
        let pending = self
            .allowlist_checks(index, vetoes, None, Place::Known(path), false)
            .ok()?;
        Some(Detection {
            rule: index,
            start: 0,
            end: 0,
            secret: path.to_string(),
            matched: path.to_string(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            line_text: format!("file detected: {path}"),
            parts: Vec::new(),
            encodings: Vec::new(),
            pending,
        })
    }

    fn scan_reference(&self, input: &[u8], place: Place, scratch: &mut Scratch) {
        for index in 0..self.rules.rules.len() {
            let Some(run) = self.run_of(index, place) else {
                continue;
            };
            // A blob-scope rule still needs one of its keywords somewhere.
            let runs = run.rule.scope == Scope::Window
                || run.rule.keywords.is_empty()
                || contains_keyword(run.rule, input);
            if runs {
                self.match_window(&run, input, (0, input.len()), &mut scratch.candidates);
            }
        }
    }

    fn scan_prefiltered(
        &self,
        input: &[u8],
        place: Place,
        windows: Windows,
        scratch: &mut Scratch,
    ) {
        scratch.hits.clear();
        scratch.runs_here.clear();
        scratch
            .runs_here
            .resize(self.rules.rules.len(), RunsHere::Unknown);
        // Hits of a rule whose paths exclude this input are dropped as they
        // are found, so common keywords of path-limited rules (`password`
        // for .pypirc) cost nothing on other files.
        let runs_here = &mut scratch.runs_here;
        self.prefilter.find_hits(input, &mut scratch.hits, |rule| {
            let state = &mut runs_here[rule as usize];
            if *state == RunsHere::Unknown {
                *state = if self.applies_here(rule as usize, place) {
                    RunsHere::Yes
                } else {
                    RunsHere::No
                };
            }
            *state == RunsHere::Yes
        });
        self.search_hits(input, place, windows, scratch);
    }

    /// Searches the windows around the keyword hits in `scratch.hits`
    /// (sorted on return) that `windows` says, and runs the rules that
    /// need no keyword.
    fn search_hits(&self, input: &[u8], place: Place, mut windows: Windows, scratch: &mut Scratch) {
        scratch.deferred.clear();
        for &index in &self.unconditional {
            if let Some(run) = self.run_of(index, place) {
                self.match_window(&run, input, (0, input.len()), &mut scratch.candidates);
            }
        }
        scratch.hits.sort_unstable();
        let mut rest = &scratch.hits[..];
        while let Some(first) = rest.first() {
            let rule_index = first.rule as usize;
            let count = rest.partition_point(|h| h.rule == first.rule);
            let (rule_hits, tail) = rest.split_at(count);
            rest = tail;
            let rule = &self.rules.rules[rule_index];
            if rule.scope == Scope::Blob {
                if let Some(run) = self.run_of(rule_index, place) {
                    self.match_window(&run, input, (0, input.len()), &mut scratch.candidates);
                }
                continue;
            }
            merge_windows(input, rule, rule_hits, &mut scratch.windows);
            if let Windows::InReach(_) = windows {
                let deferred = scratch.windows.iter();
                scratch
                    .deferred
                    .extend(deferred.map(|&(start, end)| (rule_index, start, end)));
                continue;
            }
            // The regex compiles at the first window searched.
            let mut run = None;
            for &window in &scratch.windows {
                if let Windows::NearChanges { changed, far } = &mut windows
                    && !revision::near_changes(input, changed, window, rule)
                {
                    far.push((rule_index, window.0, window.1));
                    continue;
                }
                let Some(run) = run.get_or_insert_with(|| self.run_of(rule_index, place)) else {
                    break;
                };
                self.match_window(run, input, window, &mut scratch.candidates);
            }
        }
        if let Windows::InReach(reach) = windows {
            self.search_in_reach(input, place, reach, scratch);
        }
    }

    /// Searches the deferred windows that touch `reach`, and grows the
    /// reach by every candidate that touches it (its lines, and as far as
    /// its companion may be), until no window is left in reach. What is
    /// found then includes everything that decides what is reported on the
    /// focus: detections on it, those overlapping them (a provider's match
    /// beats a generic one), and companions of multi-part credentials. A
    /// rule's regex compiles only when one of its windows is in reach.
    fn search_in_reach(
        &self,
        input: &[u8],
        place: Place,
        reach: &mut Vec<(usize, usize)>,
        scratch: &mut Scratch,
    ) {
        // Per candidate, whether the reach already includes its lines.
        let mut grown: Vec<bool> = Vec::new();
        loop {
            self.grow_reach(input, reach, &scratch.candidates, &mut grown);
            let mut searched = false;
            for window in &mut scratch.deferred {
                let (rule, start, end) = *window;
                if rule == SEARCHED || !focus::touches(reach, start, end) {
                    continue;
                }
                window.0 = SEARCHED;
                searched = true;
                if let Some(run) = self.run_of(rule, place) {
                    self.match_window(&run, input, (start, end), &mut scratch.candidates);
                }
            }
            if !searched {
                return;
            }
        }
    }

    /// Grows `reach` by the lines of every candidate that touches it, and
    /// as far around as its companion may be, until no candidate outside
    /// touches it. `grown` marks candidates already taken in.
    fn grow_reach(
        &self,
        input: &[u8],
        reach: &mut Vec<(usize, usize)>,
        candidates: &[Candidate],
        grown: &mut Vec<bool>,
    ) {
        grown.resize(candidates.len(), false);
        loop {
            let mut more = Vec::new();
            for (candidate, grown) in candidates.iter().zip(grown.iter_mut()) {
                if !*grown && focus::touches(reach, candidate.start, candidate.end) {
                    *grown = true;
                    let lines = self.companion_lines[candidate.rule];
                    more.push(focus::widen(input, (candidate.start, candidate.end), lines));
                }
            }
            if more.is_empty() {
                return;
            }
            reach.extend(more);
            focus::merge(reach);
        }
    }

    /// Whether the rule's paths let it run on input at `place` (without
    /// compiling its regex).
    fn applies_here(&self, index: usize, place: Place) -> bool {
        let Ok(paths) = self.rules.rules[index].paths() else {
            return false;
        };
        match place {
            Place::Known(path) => paths.applies_to(Some(path)),
            Place::Unnamed => paths.applies_to(None),
            Place::Later => true,
        }
    }

    /// The rule ready to run on input at `place`, if it applies there.
    fn run_of<'a>(&'a self, index: usize, place: Place<'a>) -> Option<RuleRun<'a>> {
        let rule = &self.rules.rules[index];
        // Built-in rules are compiled by the test suite and user rules at
        // load, so a failure here cannot happen for a rule that loaded.
        let paths = rule.paths().ok()?;
        let paths_pending = match place {
            Place::Known(path) if !paths.applies_to(Some(path)) => return None,
            Place::Unnamed if !paths.applies_to(None) => return None,
            Place::Known(_) | Place::Unnamed => false,
            Place::Later => paths.restricts(),
        };
        let matchers = rule.matchers().ok()?;
        let regex = matchers.regex.as_ref()?;
        Some(RuleRun {
            index,
            rule,
            matchers,
            regex,
            place,
            paths_pending,
        })
    }

    /// Runs a rule's regex over `input[window]` and keeps candidates that pass.
    fn match_window(
        &self,
        run: &RuleRun,
        input: &[u8],
        (window_start, window_end): (usize, usize),
        candidates: &mut Vec<Candidate>,
    ) {
        // Slicing the end keeps the match inside the window, and searching
        // from an offset (rather than a sub-slice) keeps look-behind
        // assertions such as `\b` correct at the window's start.
        let haystack = &input[..window_end];
        let mut locations = run.regex.capture_locations();
        let mut at = window_start;
        while at <= window_end {
            let Some(found) = run.regex.captures_read_at(&mut locations, haystack, at) else {
                break;
            };
            at = if found.end() > found.start() {
                found.end()
            } else {
                found.end() + 1
            };
            if let Some(candidate) = self.check_candidate(run, input, &locations) {
                candidates.push(candidate);
            }
        }
    }

    /// Applies every check to a regex match; `None` vetoes it.
    fn check_candidate(
        &self,
        run: &RuleRun,
        input: &[u8],
        locations: &CaptureLocations,
    ) -> Option<Candidate> {
        let (rule, matchers) = (run.rule, run.matchers);
        let (start, end) = locations.get(0)?;
        let (secret_start, secret_end) = secret_span(rule.secret_group, locations, (start, end))?;
        if secret_start == secret_end
            || (rule.scope == Scope::Window && !contains_keyword(rule, &input[start..end]))
        {
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
        let vetoes = rule.vetoes().ok()?;
        let global = &self.rules.allow;
        if vetoes
            .allow_regexes
            .as_ref()
            .is_some_and(|set| set.is_match(secret))
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
            || vetoes
                .allow_line_regexes
                .as_ref()
                .is_some_and(|set| set.is_match(lines))
        {
            return None;
        }
        let content = Content {
            secret,
            matched: &input[start..end],
            lines,
        };
        let pending = self
            .allowlist_checks(
                run.index,
                vetoes,
                Some(&content),
                run.place,
                run.paths_pending,
            )
            .ok()?;
        let parts = matchers
            .part_groups
            .iter()
            .enumerate()
            .filter_map(|(part, &group)| locations.get(group).map(|(s, e)| (part, s, e)))
            .collect();
        Some(Candidate {
            rule: run.index,
            start,
            end,
            secret: (secret_start, secret_end),
            parts,
            pending,
        })
    }

    /// Runs the rule's and the global allowlist blocks on a candidate:
    /// `Err` when one vetoes it, else the checks left for when its origin
    /// is known (usually none).
    fn allowlist_checks(
        &self,
        index: usize,
        vetoes: &RuleVetoes,
        content: Option<&Content>,
        place: Place,
        paths_pending: bool,
    ) -> Result<Option<Box<Pending>>, Vetoed> {
        let global = &self.rules.allow.allowlists;
        if vetoes.allowlists.is_empty() && global.is_empty() && !paths_pending {
            return Ok(None);
        }
        let own = (0u32..)
            .zip(&vetoes.allowlists)
            .map(|(n, b)| (AllowRef::Rule(n), b));
        let shared = (0u32..).zip(global).map(|(n, b)| (AllowRef::Global(n), b));
        let mut waiting = Vec::new();
        for (reference, block) in own.chain(shared) {
            match block.check(content, place) {
                Verdict::Allowed => return Err(Vetoed),
                Verdict::Pending => waiting.push(reference),
                Verdict::NotAllowed => {}
            }
        }
        if waiting.is_empty() && !paths_pending {
            return Ok(None);
        }
        Ok(Some(Box::new(Pending {
            rule: index,
            rule_paths: paths_pending,
            allowlists: waiting,
        })))
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
                    pending: c.pending,
                }
            })
            .collect()
    }
}

/// The span of the secret in a match.
fn secret_span(
    group: SecretGroup,
    locations: &CaptureLocations,
    whole: (usize, usize),
) -> Option<(usize, usize)> {
    match group {
        SecretGroup::Index(group) => locations.get(group),
        SecretGroup::FirstMatched => Some(
            (1..locations.len())
                .find_map(|g| locations.get(g).filter(|(s, e)| e > s))
                .unwrap_or(whole),
        ),
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
