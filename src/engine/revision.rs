//! Scanning a new version of an input from what a scan of an old version
//! found, and what the new one copied from it (a blob stored in a pack as
//! a delta of another: most of it copied, a little inserted).
//!
//! Keywords and encoded runs are still found in the whole new version
//! (that is cheap), but a rule's regex runs only in its windows near the
//! changed lines. A window far from every change lies inside one copied
//! stretch, and its bytes, the bytes around it and the hits that shaped it
//! are the old version's, so its detections are the old window's, moved.
//!
//! "Far" is what makes that true: a window whose rule's hit windows, grown
//! by as many lines as one of them reaches (`lines_before`, `lines_after`),
//! do not touch a changed line. An old hit outside the copied stretch could
//! otherwise have merged into the old window and changed where its regex
//! search started. Changed lines are those with inserted bytes and those
//! where one copied stretch meets another, or the input's start or end.
//! Rules that search the whole input (`scope = "blob"`) always run.
//!
//! The result is exactly a full scan's. Property tests check it on random
//! edits of the labelled corpus, and history tests on real packs.

use super::decode::encoded_runs;
use super::finding::Detection;
use super::location::LineIndex;
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

/// What a scan leaves for scanning later versions of its input: the
/// detections before they were combined into the reported ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// The rules' own matches, in input order.
    direct: Vec<Detection>,
    /// Matches in decoded runs, in run order.
    decoded: Vec<Detection>,
    /// The bound on decoded bytes cut the run search short, so which runs
    /// were decoded depends on the whole input.
    decoding_cut: bool,
    /// The input's length.
    len: usize,
}

impl Engine {
    /// Like `scan_unplaced`, also returning what later versions of the
    /// input need.
    pub fn scan_carrying(&self, input: &[u8], scratch: &mut Scratch) -> (Vec<Detection>, Carried) {
        let place = Place::Later;
        let direct = self.scan_at(self.mode, input, place, Windows::All, scratch);
        let (decoded, decoding_cut) = if self.decode_depth > 0 {
            let (runs, cut) = encoded_runs(input);
            let mut lines = LineIndex::new(input);
            let found = runs
                .iter()
                .flat_map(|run| {
                    self.run_detections(input, place, self.decode_depth, run, &mut lines)
                })
                .collect();
            (found, cut)
        } else {
            (Vec::new(), false)
        };
        self.finish_carrying(input, direct, decoded, decoding_cut)
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
        let mut far = Vec::new();
        let windows = Windows::NearChanges {
            changed: &changed,
            far: &mut far,
        };
        let mut direct = self.scan_at(self.mode, input, place, windows, scratch);
        let mut carried_over = Vec::new();
        for &(rule, start, end) in &far {
            let Some(copy) = copy_holding(copied, start, end) else {
                // Cannot happen (far windows lie inside one copy); search
                // it rather than lose it.
                let Some(run) = self.run_of(rule, place) else {
                    continue;
                };
                scratch.candidates.clear();
                self.match_window(&run, input, (start, end), &mut scratch.candidates);
                direct.extend(self.resolve(input, scratch));
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

        let (decoded, decoding_cut) = if self.decode_depth > 0 {
            let (runs, cut) = encoded_runs(input);
            let fresh_only = cut || old.decoding_cut;
            let mut lines = LineIndex::new(input);
            let mut found = Vec::new();
            for run in &runs {
                let kept = (!fresh_only && !focus::touches(&changed, run.start, run.end))
                    .then(|| copy_holding(copied, run.start, run.end))
                    .flatten();
                let Some(copy) = kept else {
                    let fresh =
                        self.run_detections(input, place, self.decode_depth, run, &mut lines);
                    found.extend(fresh);
                    continue;
                };
                let (old_start, old_end) = (
                    run.start - copy.to + copy.from,
                    run.end - copy.to + copy.from,
                );
                let first = old.decoded.partition_point(|d| d.start < old_start);
                let same_run = old.decoded[first..]
                    .iter()
                    .take_while(|d| d.start == old_start)
                    .filter(|d| d.end == old_end && d.encodings.first() == Some(&run.encoding));
                found.extend(same_run.map(|d| moved(d, copy, &mut lines)));
            }
            (found, cut)
        } else {
            (Vec::new(), false)
        };
        self.finish_carrying(input, direct, decoded, decoding_cut)
    }

    fn finish_carrying(
        &self,
        input: &[u8],
        direct: Vec<Detection>,
        decoded: Vec<Detection>,
        decoding_cut: bool,
    ) -> (Vec<Detection>, Carried) {
        if direct.is_empty() && decoded.is_empty() {
            return (
                Vec::new(),
                Carried {
                    decoding_cut,
                    len: input.len(),
                    ..Carried::default()
                },
            );
        }
        let carried = Carried {
            direct: direct.clone(),
            decoded: decoded.clone(),
            decoding_cut,
            len: input.len(),
        };
        (self.combine(direct, decoded), carried)
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
