//! Which lines of a new version of a file are new: the lines a commit adds
//! or changes, so a pre-commit scan reports only what the commit introduces.
//!
//! A line counts as added when the same line (byte for byte) does not occur
//! in the old version. This is deliberately not a minimal diff: a line that
//! merely moved within the file introduces nothing, and a set lookup per
//! line is cheaper than any diff algorithm.

use std::collections::HashSet;

/// The byte ranges of the lines of `new` that are not lines of `old`, each
/// with its line terminator, adjacent lines merged, in order.
pub fn added_ranges(old: &[u8], new: &[u8]) -> Vec<(usize, usize)> {
    let old_lines: HashSet<&[u8]> = lines(old).map(|(_, line)| line).collect();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (span, line) in lines(new) {
        if old_lines.contains(line) {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if last.1 == span.0 => last.1 = span.1,
            _ => ranges.push(span),
        }
    }
    ranges
}

/// Each line's span (terminator included) and its text without the
/// terminator; `\r\n` and `\n` endings compare equal.
fn lines(bytes: &[u8]) -> impl Iterator<Item = ((usize, usize), &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let (end, text_end) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(offset) => (start + offset + 1, start + offset),
            None => (bytes.len(), bytes.len()),
        };
        let text = &bytes[start..text_end];
        let span = (start, end);
        start = end;
        Some((span, text.strip_suffix(b"\r").unwrap_or(text)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added<'a>(old: &[u8], new: &'a [u8]) -> Vec<&'a str> {
        added_ranges(old, new)
            .into_iter()
            .map(|(start, end)| std::str::from_utf8(&new[start..end]).unwrap())
            .collect()
    }

    #[test]
    fn changed_and_new_lines_are_added() {
        assert_eq!(added(b"a\nb\nc\n", b"a\nB\nc\nd\n"), ["B\n", "d\n"]);
        assert_eq!(added(b"a\nb\n", b"a\nX\nY\nb\nZ"), ["X\nY\n", "Z"]);
    }

    #[test]
    fn moved_lines_and_line_endings_are_not_added() {
        assert!(added(b"x\ny\n", b"y\nx\n").is_empty());
        assert!(added(b"x\r\ny\r\n", b"x\ny").is_empty());
    }

    #[test]
    fn everything_is_added_to_an_empty_file() {
        assert_eq!(added(b"", b"one\ntwo"), ["one\ntwo"]);
        assert!(added(b"one\n", b"").is_empty());
    }
}
