//! The text report for people: one block per finding, then a summary.

use super::ReportOptions;
use super::mask::redacted_if;
use super::sanitize::escape_control;
use super::shown_secret;
use crate::engine::finding::Finding;
use crate::rules::schema::Severity;
use crate::scan::ScanOutcome;
use std::io::{self, Write};

/// ANSI styling that collapses to nothing when colour is off.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &format!("{:<8}", severity.as_str()))
    }
}

pub fn write(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = Paint { on: options.color };
    for finding in &outcome.findings {
        // Under --redact, everything a finding carries, commit messages included.
        write_finding(&redacted_if(finding, options.redact), options, &paint, out)?;
    }
    write_summary(outcome, &paint, out)
}

fn write_finding(
    finding: &Finding,
    options: &ReportOptions,
    paint: &Paint,
    out: &mut dyn Write,
) -> io::Result<()> {
    let shown = |secret: &str| shown_secret(secret, options);
    let path = finding
        .path
        .as_deref()
        .unwrap_or(crate::source::stdin::STDIN_NAME);
    writeln!(
        out,
        "{} {}  {}",
        paint.severity(finding.severity),
        paint.wrap("1", &escape_control(&finding.rule_name)),
        paint.wrap("2", &format!("[{}]", finding.rule_id)),
    )?;
    writeln!(
        out,
        "  {}",
        paint.wrap(
            "1",
            &format!(
                "{}:{}:{}",
                escape_control(path),
                finding.line,
                finding.column
            )
        )
    )?;
    if let Some(commit) = &finding.commit {
        writeln!(
            out,
            "  commit {} by {} on {}: {}",
            &commit.commit[..commit.commit.len().min(12)],
            escape_control(&commit.author),
            commit.date,
            escape_control(&commit.message)
        )?;
    }
    let mut line = finding.line_text.clone();
    for secret in std::iter::once(&finding.secret).chain(finding.parts.iter().map(|p| &p.secret)) {
        if !secret.is_empty() {
            line = line.replace(secret.as_str(), &shown(secret));
        }
    }
    writeln!(
        out,
        "  {} {}",
        paint.wrap("2", &format!("{:>5} |", finding.line)),
        escape_control(line.trim_end())
    )?;
    if !finding.encodings.is_empty() {
        let chain: Vec<&str> = finding.encodings.iter().map(|e| e.name()).collect();
        writeln!(out, "  decoded from: {}", chain.join(" > "))?;
    }
    if !finding.parts.is_empty() {
        for part in &finding.parts {
            writeln!(
                out,
                "  {}: {}",
                part.name,
                escape_control(&shown(&part.secret))
            )?;
        }
    }
    writeln!(
        out,
        "  {} {}",
        paint.wrap("32", "fix:"),
        escape_control(&finding.remediation.summary)
    )?;
    if let Some(url) = &finding.remediation.revoke_url {
        writeln!(out, "       revoke at {}", escape_control(url))?;
    }
    if let Some(status) = super::remediation::history_status(finding) {
        writeln!(out, "       {status}")?;
        writeln!(
            out,
            "       rotate first; then, to purge it: git filter-repo --replace-text, force-push, re-clone"
        )?;
    }
    writeln!(
        out,
        "  {}",
        paint.wrap("2", &format!("fingerprint {}", finding.fingerprint))
    )?;
    writeln!(out)
}

fn write_summary(outcome: &ScanOutcome, paint: &Paint, out: &mut dyn Write) -> io::Result<()> {
    let stats = &outcome.stats;
    let mut line = format!(
        "Scanned {} file{} ({}) in {:.2}s",
        stats.files_scanned,
        if stats.files_scanned == 1 { "" } else { "s" },
        human_bytes(stats.bytes_scanned),
        stats.duration.as_secs_f64()
    );
    if stats.skipped_total() > 0 {
        let reasons: Vec<String> = stats
            .skipped
            .iter()
            .map(|(reason, n)| format!("{n} {}", reason.replace('_', " ")))
            .collect();
        line.push_str(&format!(
            "; skipped {} ({})",
            stats.skipped_total(),
            reasons.join(", ")
        ));
    }
    if stats.errors > 0 {
        line.push_str(&format!(
            "; {} error{}",
            stats.errors,
            if stats.errors == 1 { "" } else { "s" }
        ));
    }
    writeln!(out, "{line}")?;
    if outcome.findings.is_empty() {
        return writeln!(out, "{}", paint.wrap("32", "No secrets found."));
    }
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|&severity| {
            let n = outcome
                .findings
                .iter()
                .filter(|f| f.severity == severity)
                .count();
            (n > 0).then(|| format!("{n} {}", severity.as_str()))
        })
        .collect();
    writeln!(
        out,
        "{}",
        paint.wrap(
            "1;31",
            &format!(
                "{} finding{} ({})",
                outcome.findings.len(),
                if outcome.findings.len() == 1 { "" } else { "s" },
                by_severity.join(", ")
            )
        )
    )
}

/// Bytes in binary units, one decimal place.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(25 * 1024 * 1024), "25.0 MiB");
    }
}
