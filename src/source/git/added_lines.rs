//! Which lines of a new version of a file are new: the lines a commit adds
//! or changes, so a pre-commit scan reports only what the commit introduces.
//!
//! A line counts as added when the same line (byte for byte) does not occur
//! in the old version. This is deliberately not a minimal diff: a line that
//! merely moved within the file introduces nothing, and a set lookup per
//! line is cheaper than any diff algorithm.

use std::collections::HashSet;

/// The 1-based numbers of the lines of `new` that are not lines of `old`.
pub struct AddedLines {
    added: Vec<bool>,
}

impl AddedLines {
    pub fn between(old: &[u8], new: &[u8]) -> AddedLines {
        let old_lines: HashSet<&[u8]> = lines(old).collect();
        AddedLines {
            added: lines(new).map(|line| !old_lines.contains(line)).collect(),
        }
    }

    /// Whether any line in `first..=last` (1-based) is added.
    pub fn any_in(&self, first: u64, last: u64) -> bool {
        (first..=last).any(|line| {
            let index = line as usize - 1;
            self.added.get(index).copied().unwrap_or(false)
        })
    }
}

/// Lines without their terminator; `\r\n` and `\n` endings compare equal.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_and_new_lines_are_added() {
        let added = AddedLines::between(b"a\nb\nc\n", b"a\nB\nc\nd\n");
        assert!(!added.any_in(1, 1));
        assert!(added.any_in(2, 2));
        assert!(!added.any_in(3, 3));
        assert!(added.any_in(4, 4));
        assert!(added.any_in(1, 3));
    }

    #[test]
    fn moved_lines_are_not_added() {
        let added = AddedLines::between(b"x\ny\n", b"y\nx\n");
        assert!(!added.any_in(1, 2));
    }

    #[test]
    fn everything_is_added_to_an_empty_file() {
        let added = AddedLines::between(b"", b"one\ntwo");
        assert!(added.any_in(1, 1) && added.any_in(2, 2));
    }
}
