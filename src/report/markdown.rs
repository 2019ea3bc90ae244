//! The markdown report (`--format markdown`): a summary line and a table
//! of findings for a pull-request comment or `$GITHUB_STEP_SUMMARY`, then
//! how to fix each kind of credential that was found.

use super::text::human_bytes;
use super::{ReportOptions, remediation, shown_secret};
use crate::engine::finding::Finding;
use crate::scan::ScanOutcome;
use std::io::{self, Write};

pub fn write(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let stats = &outcome.stats;
    let scanned = format!(
        "Scanned {} files ({}) in {:.2}s.",
        stats.files_scanned,
        human_bytes(stats.bytes_scanned),
        stats.duration.as_secs_f64()
    );
    let findings = &outcome.findings;
    if findings.is_empty() {
        writeln!(out, "### leakhound: no secrets found\n\n{scanned}")?;
        return write_errors(outcome, out);
    }
    writeln!(
        out,
        "### leakhound: {} secret{} found\n\n{scanned} Rotate each credential first: removing it from the code does not make it safe.\n",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    )?;
    let with_commits = findings.iter().any(|f| f.commit.is_some());
    if with_commits {
        writeln!(
            out,
            "| Severity | Credential | Location | Commit | In HEAD | Secret | Fingerprint |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
    } else {
        writeln!(
            out,
            "| Severity | Credential | Location | Secret | Fingerprint |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
    }
    for finding in findings {
        let location = format!(
            "{}:{}",
            finding
                .path
                .as_deref()
                .unwrap_or(crate::source::stdin::STDIN_NAME),
            finding.line
        );
        let mut row = vec![
            finding.severity.as_str().to_string(),
            format!("{} ({})", cell(&finding.rule_name), code(&finding.rule_id)),
            code(&location),
        ];
        if with_commits {
            row.push(finding.commit.as_ref().map_or(String::new(), |c| {
                format!(
                    "{} {}",
                    code(&c.commit[..c.commit.len().min(12)]),
                    cell(&c.date)
                )
            }));
            row.push(finding.history.as_ref().map_or(String::new(), |h| {
                if h.in_head { "yes" } else { "no" }.to_string()
            }));
        }
        row.push(code(&shown_secret(&finding.secret, options)));
        row.push(code(&finding.fingerprint));
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    writeln!(out, "\n#### How to fix\n")?;
    let mut seen: Vec<&str> = Vec::new();
    for finding in findings {
        if seen.contains(&finding.rule_id.as_str()) {
            continue;
        }
        seen.push(&finding.rule_id);
        let in_history = findings
            .iter()
            .find(|f| f.rule_id == finding.rule_id && f.history.is_some())
            .unwrap_or(finding);
        write_fix(in_history, out)?;
    }
    write_errors(outcome, out)
}

/// One rule's remediation, with history advice when a finding of it came
/// from history.
fn write_fix(finding: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<details><summary><b>{}</b> ({})</summary>\n\n{}\n</details>\n",
        remediation::escape_markdown(&finding.rule_name),
        code(&finding.rule_id),
        remediation::markdown(finding)
    )
}

fn write_errors(outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
    if outcome.errors.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n**{} item(s) could not be scanned:**\n",
        outcome.errors.len()
    )?;
    for error in &outcome.errors {
        writeln!(out, "- {}: {}", code(&error.path), cell(&error.message))?;
    }
    Ok(())
}

/// Text safe inside a table cell: pipes escaped, line breaks flattened,
/// HTML neutralised.
fn cell(text: &str) -> String {
    remediation::escape_markdown(&text.replace(['\r', '\n'], " "))
}

/// A code span that holds any text: backticks cannot end it early, pipes
/// cannot end the cell.
fn code(text: &str) -> String {
    let flat = text.replace(['\r', '\n'], " ").replace('|', "\\|");
    let fence = if flat.contains('`') { "`` " } else { "`" };
    let close = if flat.contains('`') { " ``" } else { "`" };
    format!("{fence}{flat}{close}")
}
