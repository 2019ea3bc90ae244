//! CSV (`--format csv`): one row per finding under a header row, quoted as
//! RFC 4180 says, with cells that a spreadsheet would run as a formula
//! defused.

use super::{ReportOptions, remediation, shown_secret};
use crate::scan::ScanOutcome;
use std::io::{self, Write};

const HEADER: [&str; 22] = [
    "severity",
    "confidence",
    "rule_id",
    "rule_name",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "source",
    "commit",
    "author",
    "email",
    "date",
    "in_head",
    "other_locations",
    "encodings",
    "remediation",
    "revoke_url",
    "docs_url",
];

pub fn write(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_row(out, HEADER.iter().map(|h| h.to_string()))?;
    for finding in &outcome.findings {
        let commit = finding.commit.as_ref();
        let history = finding.history.as_ref();
        let encodings: Vec<&str> = finding.encodings.iter().map(|e| e.name()).collect();
        write_row(
            out,
            [
                finding.severity.as_str().to_string(),
                finding.confidence.as_str().to_string(),
                finding.rule_id.clone(),
                finding.rule_name.clone(),
                finding.path.clone().unwrap_or_default(),
                finding.line.to_string(),
                finding.column.to_string(),
                finding.end_line.to_string(),
                finding.end_column.to_string(),
                shown_secret(&finding.secret, options),
                finding.fingerprint.clone(),
                format!("{:?}", finding.source).to_lowercase(),
                commit.map(|c| c.commit.clone()).unwrap_or_default(),
                commit.map(|c| c.author.clone()).unwrap_or_default(),
                commit.map(|c| c.email.clone()).unwrap_or_default(),
                commit.map(|c| c.date.clone()).unwrap_or_default(),
                history.map(|h| h.in_head.to_string()).unwrap_or_default(),
                history
                    .map(|h| h.other_locations.to_string())
                    .unwrap_or_default(),
                encodings.join(">"),
                remediation::plain(finding),
                finding.remediation.revoke_url.clone().unwrap_or_default(),
                finding.remediation.docs_url.clone().unwrap_or_default(),
            ]
            .into_iter(),
        )?;
    }
    Ok(())
}

fn write_row(out: &mut dyn Write, cells: impl Iterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = cells.map(|c| quote(&defuse(&c))).collect();
    write!(out, "{}\r\n", line.join(","))
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) gets
/// a leading apostrophe so it stays text.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// RFC 4180: quote a cell holding a comma, quote or line break, doubling quotes.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\"\nbye"), "\"say \"\"hi\"\"\nbye\"");
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-1+2"), "'-1+2");
        assert_eq!(defuse("ok"), "ok");
    }
}
