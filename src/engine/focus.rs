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

/// The ranges grown to whole lines and by `lines` more lines each way,
/// merged where they meet.
pub(super) fn widen(input: &[u8], ranges: &Ranges, lines: usize) -> Vec<(usize, usize)> {
    // The start of the line holding the byte before `at`'s line start, or
    // `at`'s own line start: where the line containing `at` begins.
    let line_start = |at: usize| memchr::memrchr(b'\n', &input[..at]).map_or(0, |n| n + 1);
    // Just past the newline that ends the line at `at`.
    let line_end =
        |at: usize| memchr::memchr(b'\n', &input[at..]).map_or(input.len(), |n| at + n + 1);
    let mut wide: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges {
        let mut from = line_start(start.min(input.len()));
        for _ in 0..lines {
            if from == 0 {
                break;
            }
            from = line_start(from - 1);
        }
        let mut to = end.min(input.len());
        if to > 0 && input[to - 1] != b'\n' {
            to = line_end(to);
        }
        for _ in 0..lines {
            if to >= input.len() {
                break;
            }
            to = line_end(to);
        }
        match wide.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => wide.push((from, to)),
        }
    }
    wide
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
    fn widening_takes_whole_lines_and_merges() {
        let input = b"l1\nl2\nl3\nl4\nl5\nl6\nl7\n";
        let line = |n: usize| ((n - 1) * 3, n * 3);
        // Line 4 grown by one line each way is lines 3-5.
        assert_eq!(widen(input, &[line(4)], 1), [(line(3).0, line(5).1)]);
        // Lines 2 and 6 grown by one meet at nothing; by two they merge.
        assert_eq!(
            widen(input, &[line(2), line(6)], 1),
            [(line(1).0, line(3).1), (line(5).0, line(7).1)]
        );
        assert_eq!(widen(input, &[line(2), line(6)], 2), [(0, input.len())]);
        // Clamped at both ends of the input.
        assert_eq!(widen(input, &[line(1)], 9), [(0, input.len())]);
        assert_eq!(widen(input, &[line(7)], 9), [(0, input.len())]);
        assert_eq!(widen(b"no newline", &[(3, 4)], 1), [(0, 10)]);
    }
}
