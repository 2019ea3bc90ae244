//! The JSON report (`--format json`) and JSON Lines (`--format jsonl`).
//! The shape is a contract: changing it needs a `FORMAT_VERSION` bump and a
//! CHANGELOG entry.

use super::mask::redacted_if;
use crate::engine::finding::Finding;
use crate::scan::{ScanError, ScanOutcome, ScanStats};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// Version of the JSON report format.
pub const FORMAT_VERSION: &str = "1.1";

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

const TOOL: Tool = Tool {
    name: "leakhound",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    tool: Tool,
    findings: Vec<Cow<'a, Finding>>,
    stats: &'a ScanStats,
    errors: &'a [ScanError],
}

pub fn write(outcome: &ScanOutcome, redacted: bool, out: &mut dyn Write) -> io::Result<()> {
    let report = Report {
        version: FORMAT_VERSION,
        tool: TOOL,
        findings: outcome
            .findings
            .iter()
            .map(|f| redacted_if(f, redacted))
            .collect(),
        stats: &outcome.stats,
        errors: &outcome.errors,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// One finding per line, nothing else, so tools can stream it.
pub fn write_lines(outcome: &ScanOutcome, redacted: bool, out: &mut dyn Write) -> io::Result<()> {
    for finding in &outcome.findings {
        serde_json::to_writer(&mut *out, &redacted_if(finding, redacted))?;
        writeln!(out)?;
    }
    Ok(())
}
