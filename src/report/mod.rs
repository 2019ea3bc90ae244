//! Reporters: the same findings written as text for people, or JSON and
//! JSON Lines for tools. Reporters read findings only.

pub mod json;
pub mod mask;
pub mod sanitize;
pub mod text;

use crate::scan::ScanOutcome;
use std::io::{self, Write};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
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
    }
}
