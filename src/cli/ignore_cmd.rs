//! `leakhound ignore FINGERPRINT --reason ...`: appends a well-formed entry
//! to the ignore file.

use super::{ExitStatus, print_error};
use crate::suppress::date::Date;
use crate::suppress::ignore_file::{self, IgnoreFile, format_entry, is_fingerprint};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct IgnoreArgs {
    /// The finding's fingerprint (32 hex digits, as every report shows it).
    fingerprint: String,

    /// Why the finding is not a problem (revoked, test fixture, ...).
    #[arg(long)]
    reason: String,

    /// Only suppress it under this rule id.
    #[arg(long)]
    rule: Option<String>,

    /// Only suppress it in paths matching this glob (e.g. `tests/**`).
    #[arg(long, value_name = "GLOB")]
    path: Option<String>,

    /// Who is answerable for the decision.
    #[arg(long)]
    owner: Option<String>,

    /// Stop suppressing after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    expires: Option<String>,

    /// The ignore file to append to.
    #[arg(long, value_name = "FILE", default_value = ignore_file::DEFAULT_NAME)]
    file: PathBuf,
}

pub fn run(args: IgnoreArgs) -> ExitStatus {
    match append(&args) {
        Ok(line) => {
            eprintln!(
                "leakhound: added {} to {} (line {line})",
                args.fingerprint,
                args.file.display()
            );
            ExitStatus::Clean
        }
        Err(message) => {
            print_error(message);
            ExitStatus::Error
        }
    }
}

/// Appends the entry and returns the line it starts on. The file is
/// checked before (so a broken file is not made worse) and after.
fn append(args: &IgnoreArgs) -> Result<usize, String> {
    let fingerprint = args.fingerprint.to_ascii_lowercase();
    if !is_fingerprint(&fingerprint) {
        return Err(format!(
            "`{}` is not a fingerprint: use the 32 hex digits a report shows for the finding",
            args.fingerprint
        ));
    }
    if args.reason.trim().is_empty() {
        return Err("--reason must say why the finding is ignored".into());
    }
    let expires = args.expires.as_deref().map(Date::parse).transpose()?;
    let existing = if args.file.exists() {
        let text = std::fs::read_to_string(&args.file)
            .map_err(|e| format!("{}: {e}", args.file.display()))?;
        let file = IgnoreFile::parse(&text, &args.file)?;
        if let Some(entry) = file.entries.iter().find(|e| {
            e.fingerprint == fingerprint
                && e.rule == args.rule
                && e.path.as_ref().map(|g| g.glob().glob()) == args.path.as_deref()
        }) {
            return Err(format!(
                "{}:{}: {fingerprint} is already ignored",
                args.file.display(),
                entry.line
            ));
        }
        text
    } else {
        "# Findings leakhound does not report, keyed on the secret's fingerprint.\n\
         # Add entries with `leakhound ignore FINGERPRINT --reason ...`.\n"
            .to_string()
    };
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let entry = format_entry(
        &fingerprint,
        &args.reason,
        args.rule.as_deref(),
        args.path.as_deref(),
        args.owner.as_deref(),
        expires,
    );
    let updated = format!("{existing}{separator}{entry}");
    // The whole file is checked as it will be, then written at once.
    let parsed = IgnoreFile::parse(&updated, &args.file)?;
    let line = parsed.entries.last().map_or(1, |entry| entry.line);
    std::fs::write(&args.file, updated).map_err(|e| format!("{}: {e}", args.file.display()))?;
    Ok(line)
}
