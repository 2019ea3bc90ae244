//! Go RE2 patterns, the dialect gitleaks configs are written in, rewritten
//! into leakhound's: the Rust `regex` crate over bytes, Unicode off.
//!
//! Most RE2 syntax means the same in both. What differs is rewritten:
//!
//! - `\Q...\E` quotes a literal in Go; Rust has no such syntax, so the
//!   text is escaped instead.
//! - `\<` and `\>` are the literal `<` and `>` in Go, word boundaries in Rust.
//! - Go's octal escapes (`\0`, `\012`) become hex escapes.
//! - `\pL`, `\p{Greek}`, `\x{E9}` and non-ASCII characters in classes are
//!   Unicode in Go, so they are wrapped in `(?u:...)`; Perl classes inside
//!   such a character class become POSIX classes so that they stay ASCII,
//!   as in Go.
//! - Inside a character class Go reads `[`, `&`, `~` and a second `-`
//!   literally, where Rust reads nested classes and set operations: they
//!   are escaped.
//! - A `{` that does not start a repetition is a literal in Go and an
//!   error in Rust: it is escaped.
//!
//! `\C` (any single byte) has no equivalent and is rejected. What cannot be
//! rewritten: `.` and negated classes match one byte, not one UTF-8
//! character, and `(?i)` folds ASCII letters only. Secrets are ASCII, so
//! this matters only for patterns that count non-ASCII characters.

use super::compiled::compile_regex;

/// Rewrites a Go pattern and checks that leakhound can compile it.
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut at = 0;
    while at < chars.len() {
        at = match chars[at] {
            '\\' => escape(&chars, at, &mut out)?,
            '[' => class(&chars, at, &mut out),
            '{' => brace(&chars, at, &mut out),
            '}' => {
                out.push_str("\\}");
                at + 1
            }
            c => {
                out.push(c);
                at + 1
            }
        };
    }
    compile_regex(&out).map_err(|e| format!("not a pattern leakhound can run: {e}"))?;
    Ok(out)
}

/// An escape outside a character class, at `chars[at] == '\\'`; returns
/// where the next token starts.
fn escape(chars: &[char], at: usize, out: &mut String) -> Result<usize, String> {
    let Some(&next) = chars.get(at + 1) else {
        out.push('\\'); // a trailing backslash: let the compiler name it
        return Ok(at + 1);
    };
    match next {
        'Q' => Ok(quoted(chars, at + 2, out)),
        'C' => Err("`\\C` (any single byte) has no equivalent in leakhound's regex dialect".into()),
        '<' | '>' => {
            out.push(next);
            Ok(at + 2)
        }
        'p' | 'P' => {
            let end = unicode_class_end(chars, at + 2);
            out.push_str("(?u:");
            out.extend(&chars[at..end]);
            out.push(')');
            Ok(end)
        }
        'x' | '0'..='7' => {
            let (value, end) = code_point(chars, at)?;
            if next == 'x' && value < 0x80 {
                out.extend(&chars[at..end]);
            } else {
                push_code_point(value, out);
            }
            Ok(end)
        }
        _ => {
            out.push('\\');
            out.push(next);
            Ok(at + 2)
        }
    }
}

/// The literal text of `\Q...\E` (or to the end of the pattern), escaped.
fn quoted(chars: &[char], from: usize, out: &mut String) -> usize {
    let end = (from..chars.len())
        .find(|&i| chars[i] == '\\' && chars.get(i + 1) == Some(&'E'))
        .unwrap_or(chars.len());
    let literal: String = chars[from..end].iter().collect();
    out.push_str(&regex::escape(&literal));
    (end + 2).min(chars.len())
}

/// Where `\p` or `\P` followed by `X` or `{Name}` ends; `from` is just
/// past the `p`.
fn unicode_class_end(chars: &[char], from: usize) -> usize {
    if chars.get(from) == Some(&'{') {
        (from..chars.len())
            .find(|&i| chars[i] == '}')
            .map_or(chars.len(), |i| i + 1)
    } else {
        (from + 1).min(chars.len())
    }
}

/// The value of a hex (`\xHH`, `\x{H...}`) or octal (`\012`) escape at
/// `chars[at] == '\\'`, and where it ends.
fn code_point(chars: &[char], at: usize) -> Result<(u32, usize), String> {
    let digits = |from: usize, max: usize, radix: u32| {
        let end = (from..chars.len().min(from + max))
            .find(|&i| !chars[i].is_digit(radix))
            .unwrap_or(chars.len().min(from + max));
        let text: String = chars[from..end].iter().collect();
        (u32::from_str_radix(&text, radix).ok(), end)
    };
    let invalid = || {
        let text: String = chars[at..chars.len().min(at + 6)].iter().collect();
        format!("invalid escape `{text}`")
    };
    if chars[at + 1] == 'x' {
        if chars.get(at + 2) == Some(&'{') {
            let (value, end) = digits(at + 3, 8, 16);
            return match (value, chars.get(end)) {
                (Some(v), Some('}')) => Ok((v, end + 1)),
                _ => Err(invalid()),
            };
        }
        let (value, end) = digits(at + 2, 2, 16);
        return match value {
            Some(v) if end == at + 4 => Ok((v, end)),
            _ => Err(invalid()),
        };
    }
    // Go: `\0` takes up to two more octal digits; `\1`..`\7` alone would be
    // a backreference, which RE2 does not have.
    let (value, end) = digits(at + 1, 3, 8);
    if chars[at + 1] != '0' && end == at + 2 {
        return Err(format!(
            "`\\{}` is a backreference, which neither Go nor leakhound supports",
            chars[at + 1]
        ));
    }
    value.map(|v| (v, end)).ok_or_else(invalid)
}

/// A code point as a hex escape; beyond ASCII, a Unicode one (Go means the
/// character, not the byte).
fn push_code_point(value: u32, out: &mut String) {
    if value < 0x80 {
        out.push_str(&format!("\\x{{{value:X}}}"));
    } else {
        out.push_str(&format!("(?u:\\x{{{value:X}}})"));
    }
}

/// A piece of a character class body.
enum ClassPiece {
    Text(String),
    /// A Perl class (`\d`, `\W`, ...), by its letter.
    Perl(char),
}

/// A character class starting at `chars[at] == '['`; returns where the
/// next token starts. An unclosed class is copied for the compiler to name.
fn class(chars: &[char], at: usize, out: &mut String) -> usize {
    let mut pieces = Vec::new();
    let mut unicode = false;
    let mut i = at + 1;
    if chars.get(i) == Some(&'^') {
        pieces.push(ClassPiece::Text("^".into()));
        i += 1;
    }
    let mut first = true; // Go: a `]` first in the class is a literal
    while let Some(&c) = chars.get(i) {
        if c == ']' && !first {
            break;
        }
        first = false;
        i = class_item(chars, i, &mut pieces, &mut unicode);
    }
    let closed = i < chars.len();
    out.push_str(if unicode { "(?u:[" } else { "[" });
    for piece in &pieces {
        match piece {
            ClassPiece::Text(text) => out.push_str(text),
            ClassPiece::Perl(letter) if unicode => out.push_str(posix_class(*letter)),
            ClassPiece::Perl(letter) => {
                out.push('\\');
                out.push(*letter);
            }
        }
    }
    if closed {
        out.push(']');
    }
    if unicode {
        out.push(')');
    }
    (i + 1).min(chars.len())
}

/// One item of a class body at `chars[i]`; returns where the next starts.
fn class_item(chars: &[char], i: usize, pieces: &mut Vec<ClassPiece>, unicode: &mut bool) -> usize {
    let c = chars[i];
    let text = |s: &str| ClassPiece::Text(s.to_string());
    match c {
        '[' if chars.get(i + 1) == Some(&':') => {
            let end = (i + 2..chars.len())
                .find(|&j| chars[j] == ':' && chars.get(j + 1) == Some(&']'))
                .map_or(chars.len(), |j| j + 2);
            pieces.push(ClassPiece::Text(chars[i..end].iter().collect()));
            end
        }
        '[' | '&' | '~' => {
            pieces.push(ClassPiece::Text(format!("\\{c}")));
            i + 1
        }
        '-' if i > 0 && chars[i - 1] == '-' => {
            pieces.push(text("\\-"));
            i + 1
        }
        '\\' => class_escape(chars, i, pieces, unicode),
        c if !c.is_ascii() => {
            *unicode = true;
            pieces.push(ClassPiece::Text(c.to_string()));
            i + 1
        }
        c => {
            pieces.push(ClassPiece::Text(c.to_string()));
            i + 1
        }
    }
}

/// An escape inside a class at `chars[i] == '\\'`.
fn class_escape(
    chars: &[char],
    i: usize,
    pieces: &mut Vec<ClassPiece>,
    unicode: &mut bool,
) -> usize {
    let Some(&next) = chars.get(i + 1) else {
        pieces.push(ClassPiece::Text("\\".into()));
        return i + 1;
    };
    match next {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
            pieces.push(ClassPiece::Perl(next));
            i + 2
        }
        'p' | 'P' => {
            *unicode = true;
            let end = unicode_class_end(chars, i + 2);
            pieces.push(ClassPiece::Text(chars[i..end].iter().collect()));
            end
        }
        '<' | '>' => {
            pieces.push(ClassPiece::Text(next.to_string()));
            i + 2
        }
        'x' | '0'..='7' => match code_point(chars, i) {
            Ok((value, end)) if next == 'x' && value < 0x80 => {
                pieces.push(ClassPiece::Text(chars[i..end].iter().collect()));
                end
            }
            Ok((value, end)) => {
                *unicode |= value >= 0x80;
                pieces.push(ClassPiece::Text(format!("\\x{{{value:X}}}")));
                end
            }
            Err(_) => {
                pieces.push(ClassPiece::Text(chars[i..i + 2].iter().collect()));
                i + 2
            }
        },
        _ => {
            pieces.push(ClassPiece::Text(chars[i..i + 2].iter().collect()));
            i + 2
        }
    }
}

/// The ASCII POSIX class a Perl class letter stands for in Go.
fn posix_class(letter: char) -> &'static str {
    match letter {
        'd' => "[:digit:]",
        'D' => "[:^digit:]",
        'w' => "[:word:]",
        'W' => "[:^word:]",
        's' => "[:space:]",
        _ => "[:^space:]",
    }
}

/// A `{` at `chars[at]`: a repetition (`{n}`, `{n,}`, `{n,m}`) is copied,
/// anything else is a literal brace.
fn brace(chars: &[char], at: usize, out: &mut String) -> usize {
    let mut i = at + 1;
    let digits = |mut i: usize| {
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let after_min = digits(i);
    if after_min > i {
        i = after_min;
        if chars.get(i) == Some(&',') {
            i = digits(i + 1);
        }
        if chars.get(i) == Some(&'}') {
            out.extend(&chars[at..=i]);
            return i + 1;
        }
    }
    out.push_str("\\{");
    at + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(go: &str, text: &str) -> bool {
        let pattern = translate(go).unwrap();
        compile_regex(&pattern).unwrap().is_match(text.as_bytes())
    }

    #[test]
    fn common_syntax_passes_through() {
        for go in [
            r#"(?i)(?:api[_-]?key)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|:)\s*([a-z0-9]{32})\b"#,
            r#"\b(ghp_[0-9a-zA-Z]{36})(?:['|\"|\n|\r|\s|\x60|;]|$)"#,
            r"(?s:-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----)\z",
            r"(?P<id>AKIA[A-Z0-9]{16})",
            r"[[:alnum:]]+",
        ] {
            assert_eq!(translate(go).unwrap(), go);
        }
    }

    #[test]
    fn quoted_literals_are_escaped() {
        assert_eq!(translate(r"\Qa.b*c\E+").unwrap(), r"a\.b\*c+");
        assert!(matches(r"^\Q(x)\E$", "(x)"));
        assert!(matches(r"\Q1+1", "1+1"));
    }

    #[test]
    fn angle_brackets_are_literals() {
        assert!(matches(r"^\<tag\>$", "<tag>"));
    }

    #[test]
    fn octal_and_high_hex_escapes() {
        assert!(matches(r"a\011b", "a\tb"));
        assert!(matches(r"caf\x{E9}", "café"));
        assert!(matches(r"caf\xE9", "café"));
        assert!(
            matches("^café$", "café"),
            "non-ASCII literals match their UTF-8 bytes"
        );
        let err = translate(r"(a)\1").unwrap_err();
        assert!(err.contains("backreference"), "{err}");
    }

    #[test]
    fn unicode_classes_are_unicode_and_perl_classes_stay_ascii() {
        assert!(matches(r"^\pL+$", "héllo"));
        assert!(matches(r"^[\p{Greek}\d]+$", "αβ12"));
        assert!(!matches(r"^[\p{Greek}\d]+$", "α٣"), "\\d is ASCII in Go");
        assert!(matches(r"^[é-ë]$", "ê"));
    }

    #[test]
    fn go_class_literals_are_not_rust_set_operations() {
        assert!(matches(r"^[[a]+$", "[a["));
        assert!(matches(r"^[a&&b]+$", "a&b"));
        assert!(matches(r"^[~~x]+$", "~x"));
        assert!(matches(r"^[]a]+$", "]a"));
    }

    #[test]
    fn braces_that_are_not_repetitions_are_literals() {
        assert!(matches(r#"^\{"k":{a}\}$"#, r#"{"k":{a}}"#));
        assert!(matches(r"^a{2}$", "aa"));
        assert!(matches(r"^a{1,}b{,2}$", "aab{,2}"));
    }

    #[test]
    fn unsupported_syntax_is_named() {
        let err = translate(r"a\Cb").unwrap_err();
        assert!(err.contains(r"\C"), "{err}");
        let err = translate(r"a(?=b)").unwrap_err();
        assert!(err.contains("leakhound"), "{err}");
    }
}
