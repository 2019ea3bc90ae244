//! Byte offsets to the 1-based line and column a person sees in an editor.

/// A 1-based line and column; the column counts characters (UTF-8 scalar
/// values, an invalid byte counting as one), as editors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

/// Resolves offsets to positions, reusing the newline count between calls
/// so that the matches of one blob, visited in order, cost one pass.
pub struct LineIndex<'a> {
    haystack: &'a [u8],
    counted_upto: usize,
    newlines_before: u64,
}

impl<'a> LineIndex<'a> {
    pub fn new(haystack: &'a [u8]) -> Self {
        LineIndex {
            haystack,
            counted_upto: 0,
            newlines_before: 0,
        }
    }

    pub fn position(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.haystack.len());
        if offset < self.counted_upto {
            self.counted_upto = 0;
            self.newlines_before = 0;
        }
        self.newlines_before +=
            memchr::memchr_iter(b'\n', &self.haystack[self.counted_upto..offset]).count() as u64;
        self.counted_upto = offset;
        let line_start = line_start(self.haystack, offset);
        Position {
            line: self.newlines_before + 1,
            column: char_count(&self.haystack[line_start..offset]) as u64 + 1,
        }
    }
}

/// Offset of the first byte of the line containing `offset`.
pub fn line_start(haystack: &[u8], offset: usize) -> usize {
    memchr::memrchr(b'\n', &haystack[..offset]).map_or(0, |nl| nl + 1)
}

/// Number of characters in `bytes`, counting each invalid UTF-8 byte as one.
fn char_count(bytes: &[u8]) -> usize {
    // A character starts at every byte that is not a UTF-8 continuation byte.
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let text = b"abc\ndef\n\nxyz";
        let mut index = LineIndex::new(text);
        assert_eq!(index.position(0), Position { line: 1, column: 1 });
        assert_eq!(index.position(5), Position { line: 2, column: 2 });
        assert_eq!(index.position(9), Position { line: 4, column: 1 });
        // Going backwards restarts the count instead of giving wrong lines.
        assert_eq!(index.position(4), Position { line: 2, column: 1 });
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "é = ghp".as_bytes();
        let mut index = LineIndex::new(text);
        assert_eq!(index.position(5).column, 5);
    }

    #[test]
    fn line_start_finds_the_previous_newline() {
        let text = b"one\ntwo\nthree";
        assert_eq!(line_start(text, 5), 4);
        assert_eq!(line_start(text, 2), 0);
    }
}
