//! JUnit XML (`--format junit`) for CI test reporters: one failing test
//! case per finding, with the remediation as the failure text; a clean
//! scan is one passing test case.

use super::{ReportOptions, remediation, shown_secret};
use crate::scan::ScanOutcome;
use std::io::{self, Write};

pub fn write(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let findings = &outcome.findings;
    let tests = findings.len().max(1);
    let errors = outcome.errors.len();
    let time = format!("{:.3}", outcome.stats.duration.as_secs_f64());
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="leakhound" tests="{tests}" failures="{}" errors="{errors}" time="{time}">"#,
        findings.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="leakhound secret scan" tests="{tests}" failures="{}" errors="{errors}" time="{time}">"#,
        findings.len()
    )?;
    if findings.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="leakhound" name="no secrets found"/>"#
        )?;
    }
    for finding in findings {
        let path = finding
            .path
            .as_deref()
            .unwrap_or(crate::source::stdin::STDIN_NAME);
        let mut details = format!(
            "{}:{}:{} {} ({} severity, {} confidence)\nsecret: {}\nfingerprint: {}\n",
            path,
            finding.line,
            finding.column,
            finding.rule_name,
            finding.severity.as_str(),
            finding.confidence.as_str(),
            shown_secret(&finding.secret, options),
            finding.fingerprint
        );
        if let Some(commit) = &finding.commit {
            details.push_str(&format!(
                "commit: {} by {} on {}\n",
                commit.commit, commit.author, commit.date
            ));
        }
        details.push('\n');
        details.push_str(&remediation::plain(finding));
        writeln!(
            out,
            r#"    <testcase classname="{}" name="{}" file="{}" line="{}">"#,
            xml(path),
            xml(&format!("{} at line {}", finding.rule_id, finding.line)),
            xml(path),
            finding.line
        )?;
        writeln!(
            out,
            r#"      <failure type="{}" message="{}">{}</failure>"#,
            finding.severity.as_str(),
            xml(&format!(
                "{}: {}",
                finding.rule_name, finding.remediation.summary
            )),
            xml(&details)
        )?;
        writeln!(out, "    </testcase>")?;
    }
    for error in &outcome.errors {
        writeln!(
            out,
            r#"    <testcase classname="leakhound" name="{}"><error message="{}"/></testcase>"#,
            xml(&format!("scan {}", error.path)),
            xml(&error.message)
        )?;
    }
    writeln!(out, "  </testsuite>\n</testsuites>")
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot
/// hold at all (most control characters) become U+FFFD.
fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                escaped.push('\u{FFFD}')
            }
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_replaces_control_characters() {
        assert_eq!(xml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(xml("bell\u{7}"), "bell\u{FFFD}");
        assert_eq!(xml("tab\tok"), "tab\tok");
    }
}
