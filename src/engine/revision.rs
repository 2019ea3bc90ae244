//! Scanning a new version of an input from what a scan of an old version
//! found, and what the new one copied from it (a blob stored in a pack as
//! a delta of another: most of it copied, a little inserted).
//!
//! Nothing is searched where nothing changed. Keyword hits and encoded
//! runs inside copied stretches are the old version's, moved; only the
//! changed lines (and a keyword's length around them) are searched for
//! new ones. A rule's regex runs only in its windows near the changed
//! lines. A window far from every change lies inside one copied stretch,
//! and its bytes, the bytes around it and the hits that shaped it are the
//! old version's, so its detections are the old window's, moved; so are
//! the detections in encoded runs on unchanged lines.
//!
//! "Far" is what makes that true: a window whose rule's hit windows, grown
//! by as many lines as one of them reaches (`lines_before`, `lines_after`),
//! do not touch a changed line. An old hit outside the copied stretch could
//! otherwise have merged into the old window and changed where its regex
//! search started. Changed lines are those with inserted bytes and those
//! where one copied stretch meets another, or the input's start or end.
//! Rules that search the whole input (`scope = "blob"`) always run. Runs
//! and hits never span lines, except hits of keywords that hold a newline,
//! which the keyword-length margin covers. When the bound on decoded
//! bytes comes into play, runs are found in the whole version again.
//!
//! The result is exactly a full scan's. Property tests check it on random
//! edits of the labelled corpus, and history tests on real packs.

use super::decode::{DecodedRun, Encoding, MAX_DECODED_PER_BLOB, encoded_runs};
use super::finding::Detection;
use super::location::LineIndex;
use super::prefilter::KeywordHit;
use super::{Engine, MatchMode, Place, Scratch, Windows, focus};
use crate::rules::Rule;

/// A stretch of the new version copied from the old: `len` bytes at `to`
/// in the new one are the `len` bytes at `from` in the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub to: usize,
    pub from: usize,
    pub len: usize,
}

/// What a scan leaves for scanning later versions of its input: where its
/// keywords and encoded runs are, and its detections before they were
/// combined into the reported ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// The rules' own matches, in input order.
    direct: Vec<Detection>,
    /// Matches in decoded runs, in run order.
    decoded: Vec<Detection>,
    /// Keyword hits, by start.
    hits: Vec<KeywordHit>,
    /// The encoded runs that decode to text, in run order.
    runs: Vec<RunSpan>,
    /// The bound on decoded bytes cut the run search short, so which runs
    /// were decoded depends on the whole input.
    decoding_cut: bool,
    /// The input's length.
    len: usize,
}

/// Where an encoded run is, and how much it decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunSpan {
    start: usize,
    end: usize,
    encoding: Encoding,
    decoded_len: usize,
}

impl RunSpan {
    fn of(run: &DecodedRun) -> RunSpan {
        RunSpan {
            start: run.start,
            end: run.end,
            encoding: run.encoding,
            decoded_len: run.decoded_len(),
        }
    }

    /// Runs are ordered by start; at one start, a percent-encoded run
    /// comes after the other kind (`encoded_runs` finds it later).
    fn order(&self) -> (usize, bool) {
        (self.start, self.encoding == Encoding::Percent)
    }
}

/// A run of the new version: found on a changed line, or moved from the
/// old version by `Copied`.
enum NewRun {
    Found(DecodedRun),
    Moved(RunSpan, Copied),
}

impl NewRun {
    fn span(&self) -> RunSpan {
        match self {
            NewRun::Found(run) => RunSpan::of(run),
            NewRun::Moved(span, _) => *span,
        }
    }
}

impl Engine {
    /// Like `scan_unplaced`, also returning what later versions of the
    /// input need.
    pub fn scan_carrying(&self, input: &[u8], scratch: &mut Scratch) -> (Vec<Detection>, Carried) {
        let place = Place::Later;
        let direct = self.scan_at(self.mode, input, place, Windows::All, scratch);
        let mut hits = Vec::new();
        if self.mode == MatchMode::Prefiltered {
            hits.extend_from_slice(&scratch.hits);
            hits.sort_unstable_by_key(|h| (h.start, h.end, h.rule));
        }
        let mut carried = Carried {
            hits,
            len: input.len(),
            ..Carried::default()
        };
        let mut decoded = Vec::new();
        if self.decode_depth > 0 {
            let (runs, cut) = encoded_runs(input);
            decoded = self.runs_detections(input, place, self.decode_depth, &runs);
            carried.runs = runs.iter().map(RunSpan::of).collect();
            carried.decoding_cut = cut;
        }
        self.finish_carrying(direct, decoded, carried)
    }

    /// What `scan_carrying` gives for `input`, from the scan of an old
    /// version (`old`) that `input` copies the `copied` stretches of
    /// (sorted by `to`, not overlapping), without searching what did not
    /// change.
    pub fn scan_revision(
        &self,
        input: &[u8],
        old: &Carried,
        copied: &[Copied],
        scratch: &mut Scratch,
    ) -> (Vec<Detection>, Carried) {
        if self.mode == MatchMode::Reference {
            return self.scan_carrying(input, scratch);
        }
        let place = Place::Later;
        let changed = changed_lines(input, copied, old.len);

        scratch.hits.clear();
        move_hits(&old.hits, copied, &mut scratch.hits);
        self.find_new_hits(input, &changed, copied, &mut scratch.hits);
        let mut hits = scratch.hits.clone();
        hits.sort_unstable_by_key(|h| (h.start, h.end, h.rule));

        scratch.candidates.clear();
        let mut far = Vec::new();
        let windows = Windows::NearChanges {
            changed: &changed,
            far: &mut far,
        };
        self.search_hits(input, place, windows, scratch);
        let mut direct = self.resolve(input, scratch);
        let mut carried_over = Vec::new();
        for &(rule, start, end) in &far {
            // A far window's lines are unchanged, so one copied stretch
            // holds it: a seam would have marked its line changed.
            let copy = copy_holding(copied, start, end);
            debug_assert!(copy.is_some(), "far window {start}..{end} spans a seam");
            let Some(copy) = copy else {
                continue;
            };
            let (old_start, old_end) = (start - copy.to + copy.from, end - copy.to + copy.from);
            let first = old.direct.partition_point(|d| d.start < old_start);
            carried_over.extend(
                old.direct[first..]
                    .iter()
                    .take_while(|d| d.start < old_end)
                    .filter(|d| d.rule == rule && d.end <= old_end)
                    .map(|d| (d, copy)),
            );
        }
        if !carried_over.is_empty() {
            carried_over.sort_by_key(|(d, copy)| d.start - copy.from + copy.to);
            let mut lines = LineIndex::new(input);
            direct.extend(
                carried_over
                    .into_iter()
                    .map(|(d, copy)| moved(d, copy, &mut lines)),
            );
            direct.sort_by_key(|d| (d.start, d.end, d.rule));
        }

        let carried = Carried {
            hits,
            len: input.len(),
            ..Carried::default()
        };
        if self.decode_depth == 0 {
            return self.finish_carrying(direct, Vec::new(), carried);
        }
        match self.new_runs(input, old, copied, &changed) {
            Some(runs) => self.revise_decoded(input, old, runs, direct, carried),
            None => self.redo_decoded(input, old, copied, &changed, direct, carried),
        }
    }

    /// Keyword hits that are not inside one copied stretch: those on or
    /// across the changed lines, found within a keyword's length of them.
    fn find_new_hits(
        &self,
        input: &[u8],
        changed: &focus::Ranges,
        copied: &[Copied],
        hits: &mut Vec<KeywordHit>,
    ) {
        let margin = self.prefilter.max_keyword_len().saturating_sub(1);
        let mut regions: Vec<(usize, usize)> = changed
            .iter()
            .map(|&(start, end)| {
                (
                    start.saturating_sub(margin),
                    (end + margin).min(input.len()),
                )
            })
            .collect();
        focus::merge(&mut regions);
        let mut found = Vec::new();
        for (start, end) in regions {
            found.clear();
            self.prefilter
                .find_hits(&input[start..end], &mut found, |_| true);
            hits.extend(
                found
                    .iter()
                    .map(|h| KeywordHit {
                        rule: h.rule,
                        start: h.start + start,
                        end: h.end + start,
                    })
                    .filter(|h| copy_holding(copied, h.start, h.end).is_none()),
            );
        }
    }

    /// The new version's encoded runs, from the old version's and those
    /// on changed lines; `None` when the bound on decoded bytes may cut
    /// the search, which then depends on the whole input.
    fn new_runs(
        &self,
        input: &[u8],
        old: &Carried,
        copied: &[Copied],
        changed: &focus::Ranges,
    ) -> Option<Vec<NewRun>> {
        if old.decoding_cut {
            return None;
        }
        let mut runs = Vec::new();
        let mut total = 0;
        for &(start, end) in changed {
            let (found, cut) = encoded_runs(&input[start..end]);
            if cut {
                return None;
            }
            for run in found {
                total += run.decoded_len();
                runs.push(NewRun::Found(run.shifted(start)));
            }
        }
        for &copy in copied {
            let first = old.runs.partition_point(|r| r.start < copy.from);
            for span in old.runs[first..]
                .iter()
                .take_while(|r| r.start < copy.from + copy.len)
            {
                if span.end > copy.from + copy.len {
                    continue;
                }
                let (start, end) = (
                    span.start - copy.from + copy.to,
                    span.end - copy.from + copy.to,
                );
                if focus::touches(changed, start, end) {
                    continue;
                }
                total += span.decoded_len;
                runs.push(NewRun::Moved(
                    RunSpan {
                        start,
                        end,
                        ..*span
                    },
                    copy,
                ));
            }
        }
        if total >= MAX_DECODED_PER_BLOB {
            return None;
        }
        runs.sort_by_key(|run| run.span().order());
        Some(runs)
    }

    /// Decoded detections of the new version's runs: found again in runs
    /// on changed lines, moved from the old version elsewhere.
    fn revise_decoded(
        &self,
        input: &[u8],
        old: &Carried,
        runs: Vec<NewRun>,
        direct: Vec<Detection>,
        mut carried: Carried,
    ) -> (Vec<Detection>, Carried) {
        let mut lines = LineIndex::new(input);
        let mut decoded = Vec::new();
        for run in &runs {
            match run {
                NewRun::Found(run) => decoded.extend(self.run_detections(
                    input,
                    Place::Later,
                    self.decode_depth,
                    run,
                    &mut lines,
                )),
                NewRun::Moved(span, copy) => {
                    let old_span = (
                        span.start - copy.to + copy.from,
                        span.end - copy.to + copy.from,
                    );
                    decoded.extend(
                        run_detections_of(&old.decoded, old_span, span.encoding)
                            .map(|d| moved(d, *copy, &mut lines)),
                    );
                }
            }
        }
        carried.runs = runs.iter().map(NewRun::span).collect();
        self.finish_carrying(direct, decoded, carried)
    }

    /// Decoded detections when runs must be found in the whole new
    /// version: each run on an unchanged line still keeps the old
    /// version's detections.
    fn redo_decoded(
        &self,
        input: &[u8],
        old: &Carried,
        copied: &[Copied],
        changed: &focus::Ranges,
        direct: Vec<Detection>,
        mut carried: Carried,
    ) -> (Vec<Detection>, Carried) {
        let (runs, cut) = encoded_runs(input);
        let fresh_only = cut || old.decoding_cut;
        let mut lines = LineIndex::new(input);
        let mut decoded = Vec::new();
        for run in &runs {
            let kept = (!fresh_only && !focus::touches(changed, run.start, run.end))
                .then(|| copy_holding(copied, run.start, run.end))
                .flatten();
            match kept {
                Some(copy) => {
                    let old_span = (
                        run.start - copy.to + copy.from,
                        run.end - copy.to + copy.from,
                    );
                    decoded.extend(
                        run_detections_of(&old.decoded, old_span, run.encoding)
                            .map(|d| moved(d, copy, &mut lines)),
                    );
                }
                None => decoded.extend(self.run_detections(
                    input,
                    Place::Later,
                    self.decode_depth,
                    run,
                    &mut lines,
                )),
            }
        }
        carried.runs = runs.iter().map(RunSpan::of).collect();
        carried.decoding_cut = cut;
        self.finish_carrying(direct, decoded, carried)
    }

    fn finish_carrying(
        &self,
        direct: Vec<Detection>,
        decoded: Vec<Detection>,
        mut carried: Carried,
    ) -> (Vec<Detection>, Carried) {
        if direct.is_empty() && decoded.is_empty() {
            return (Vec::new(), carried);
        }
        carried.direct.clone_from(&direct);
        carried.decoded.clone_from(&decoded);
        (self.combine(direct, decoded), carried)
    }
}

/// The old detections found in the decoded run at `span`.
fn run_detections_of(
    decoded: &[Detection],
    (start, end): (usize, usize),
    encoding: Encoding,
) -> impl Iterator<Item = &Detection> {
    let first = decoded.partition_point(|d| d.start < start);
    decoded[first..]
        .iter()
        .take_while(move |d| d.start == start)
        .filter(move |d| d.end == end && d.encodings.first() == Some(&encoding))
}

/// The old version's hits that lie inside a copied stretch, at their new
/// places (a stretch copied twice gives its hits twice).
fn move_hits(old: &[KeywordHit], copied: &[Copied], hits: &mut Vec<KeywordHit>) {
    for copy in copied {
        let first = old.partition_point(|h| h.start < copy.from);
        let inside = old[first..]
            .iter()
            .take_while(|h| h.start < copy.from + copy.len)
            .filter(|h| h.end <= copy.from + copy.len);
        hits.extend(inside.map(|h| KeywordHit {
            rule: h.rule,
            start: h.start - copy.from + copy.to,
            end: h.end - copy.from + copy.to,
        }));
    }
}

/// Whether a window of `rule` is near enough to a changed line that its
/// search may differ from the old version's: the window grown by as many
/// lines as one hit window of the rule reaches touches one.
pub(super) fn near_changes(
    input: &[u8],
    changed: &focus::Ranges,
    window: (usize, usize),
    rule: &Rule,
) -> bool {
    let reach = rule.window.lines_before.max(rule.window.lines_after) as usize;
    let (start, end) = focus::widen(input, window, reach);
    focus::touches(changed, start, end)
}

/// The whole lines of `input` holding an inserted byte, or a seam: a
/// place where a copied stretch meets other bytes, or one end of the input
/// that is not also the same end of the old version (`old_len` long).
fn changed_lines(input: &[u8], copied: &[Copied], old_len: usize) -> Vec<(usize, usize)> {
    let len = input.len();
    let mut changed = Vec::with_capacity(copied.len() * 3 + 1);
    // Both bytes either side of a seam, so the lines on each side count.
    let seam = |point: usize| (point.saturating_sub(1), (point + 1).min(len));
    let mut at = 0;
    for copy in copied {
        if copy.to > at {
            changed.push((at, copy.to));
        }
        let end = copy.to + copy.len;
        if copy.to > 0 || copy.from > 0 {
            changed.push(seam(copy.to));
        }
        if end < len || copy.from + copy.len < old_len {
            changed.push(seam(end));
        }
        at = end;
    }
    if at < len {
        changed.push((at, len));
    }
    let mut lines: Vec<(usize, usize)> = changed
        .into_iter()
        .filter(|&(start, end)| start < end)
        .map(|range| focus::widen(input, range, 0))
        .collect();
    focus::merge(&mut lines);
    lines
}

/// The copied stretch holding all of `start..end`.
fn copy_holding(copied: &[Copied], start: usize, end: usize) -> Option<Copied> {
    let index = copied.partition_point(|c| c.to + c.len <= start);
    copied
        .get(index)
        .filter(|c| c.to <= start && end <= c.to + c.len)
        .copied()
}

/// An old detection at its new place, with new line numbers. Its line is
/// unchanged, and so is the context line kept with it.
fn moved(old: &Detection, copy: Copied, lines: &mut LineIndex) -> Detection {
    let mut detection = old.clone();
    detection.start = old.start - copy.from + copy.to;
    detection.end = old.end - copy.from + copy.to;
    let begin = lines.position(detection.start);
    let finish = lines.position(detection.end);
    (detection.line, detection.column) = (begin.line, begin.column);
    (detection.end_line, detection.end_column) = (finish.line, finish.column);
    detection
}

#[cfg(test)]
mod tests;
