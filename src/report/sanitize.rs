//! Makes untrusted text (paths, matched lines) safe to print on a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Escapes control characters and bidirectional overrides, so that a file
/// name or a matched line cannot move the cursor, recolour the terminal or
/// reorder what the reader sees.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(escape_control("src/main.rs"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_bidi_are_escaped() {
        assert_eq!(escape_control("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape_control("x\ty\n"), "x\\ty\\n");
        assert_eq!(escape_control("a\u{202e}b"), "a\\u{202e}b");
    }
}
