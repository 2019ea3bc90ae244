//! Reporters: the same findings written as text for people; JSON and JSON
//! Lines for tools (JSON is the contract); SARIF for code-scanning UIs; CSV,
//! JUnit and markdown for spreadsheets, CI test reporters and pull-request
//! comments. Reporters read findings only.

pub mod csv;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mask;
pub mod remediation;
pub mod sanitize;
pub mod sarif;
pub mod text;

use crate::scan::ScanOutcome;
use std::io::{self, Write};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
    Csv,
    Junit,
    Markdown,
}

/// How findings are shown.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub format: Format,
    /// No secret in any output (implies masking in text).
    pub redact: bool,
    /// Text only: print secrets in clear instead of masked.
    pub show_secrets: bool,
    pub color: bool,
}

/// Writes the report of `outcome` to `out`.
pub fn write_report(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match options.format {
        Format::Text => text::write(outcome, options, out),
        Format::Json => json::write(outcome, options.redact, out),
        Format::Jsonl => json::write_lines(outcome, options.redact, out),
        Format::Sarif => sarif::write(outcome, options, out),
        Format::Csv => csv::write(outcome, options, out),
        Format::Junit => junit::write(outcome, options, out),
        Format::Markdown => markdown::write(outcome, options, out),
    }
}

/// A secret as the table-like formats show it: masked by default, in
/// clear with `--show-secrets`, `REDACTED` with `--redact`.
pub fn shown_secret(secret: &str, options: &ReportOptions) -> String {
    if options.redact {
        mask::REDACTED.to_string()
    } else if options.show_secrets {
        secret.to_string()
    } else {
        mask::mask(secret)
    }
}
