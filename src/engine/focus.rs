//! Scanning part of an input: the lines a commit adds. Keywords are still
//! found in the whole input (that is cheap), but a rule's regex runs only
//! in windows near the focus, so a commit that adds no keyword compiles
//! and runs no regex, however many keywords the rest of the file holds.
//!
//! Near means in reach: the focus, grown by whatever is found in reach,
//! so every detection that can change what is reported on the focus is
//! still found: one that overlaps a focused detection (a provider's match
//! beats a generic one), and the companion part of a multi-part credential
//! a few lines away. `Engine::search_in_reach` grows it.

use super::{line_end_below, line_start_above};

/// Sorted, disjoint byte ranges `(start, end)` of an input.
pub type Ranges = [(usize, usize)];

/// Sorts ranges and merges those that overlap or meet.
pub(super) fn merge(ranges: &mut Vec<(usize, usize)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    *ranges = merged;
}

/// The whole lines holding `start..end`, and `lines` more lines each way,
/// each line with its newline.
pub(super) fn widen(input: &[u8], (start, end): (usize, usize), lines: usize) -> (usize, usize) {
    let mut from = line_start_above(input, start, 0);
    for _ in 0..lines {
        if from == 0 {
            break;
        }
        from = line_start_above(input, from - 1, 0);
    }
    // The newline ending the line of the span's last byte.
    let mut to = line_end_below(input, end.saturating_sub(1).max(start), input.len());
    for _ in 0..lines {
        if to >= input.len() {
            break;
        }
        to = line_end_below(input, to + 1, input.len());
    }
    (from, (to + 1).min(input.len()))
}

/// Whether `start..end` shares a byte with one of `ranges`.
pub(super) fn touches(ranges: &Ranges, start: usize, end: usize) -> bool {
    // The first range that ends after `start` is the only candidate.
    let next = ranges.partition_point(|&(_, range_end)| range_end <= start);
    ranges
        .get(next)
        .is_some_and(|&(range_start, _)| range_start < end.max(start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_means_sharing_a_byte() {
        let ranges = [(10, 20), (30, 40)];
        assert!(touches(&ranges, 5, 11));
        assert!(touches(&ranges, 19, 25));
        assert!(touches(&ranges, 0, 100));
        assert!(touches(&ranges, 35, 36));
        assert!(!touches(&ranges, 0, 10));
        assert!(!touches(&ranges, 20, 30));
        assert!(!touches(&ranges, 40, 50));
        assert!(!touches(&[], 0, 10));
    }

    #[test]
    fn merging_sorts_and_joins_ranges_that_meet() {
        let mut ranges = vec![(30, 40), (0, 10), (10, 12), (35, 50), (60, 61)];
        merge(&mut ranges);
        assert_eq!(ranges, [(0, 12), (30, 50), (60, 61)]);
    }

    #[test]
    fn widening_takes_whole_lines() {
        let input = b"l1\nl2\nl3\nl4\nl5\nl6\nl7\n";
        let line = |n: usize| ((n - 1) * 3, n * 3);
        // Line 4 grown by one line each way is lines 3-5.
        assert_eq!(widen(input, line(4), 1), (line(3).0, line(5).1));
        assert_eq!(widen(input, line(4), 0), line(4));
        // A span inside a line, or ending on its newline, takes that line.
        assert_eq!(widen(input, (10, 11), 0), line(4));
        assert_eq!(widen(input, (11, 12), 0), line(4));
        assert_eq!(widen(input, (10, 10), 0), line(4));
        // Clamped at both ends of the input.
        assert_eq!(widen(input, line(1), 9), (0, input.len()));
        assert_eq!(widen(input, line(7), 9), (0, input.len()));
        assert_eq!(widen(b"no newline", (3, 4), 1), (0, 10));
    }
}
