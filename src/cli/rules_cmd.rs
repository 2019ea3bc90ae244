//! `leakhound rules list` and `leakhound rules check`.

use super::{ExitStatus, print_error};
use crate::rules::Rule;
use crate::rules::check::{RuleMinimum, check_rules};
use crate::rules::load::{builtin_rules_with_examples, read_rule_file};
use clap::Subcommand;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Built-in rules carry at least two examples of each kind and provider
/// remediation in three steps.
pub const BUILTIN_MINIMUM: RuleMinimum = RuleMinimum {
    examples: 2,
    negative_examples: 2,
    rotation_steps: 3,
};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the id, provider, severity, name and keywords of every built-in rule.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Validate rule files and run their examples (default: the built-in rules).
    Check {
        /// Rule files to check.
        files: Vec<PathBuf>,
    },
}

pub fn run(command: RulesCommand) -> ExitStatus {
    match command {
        RulesCommand::List { json } => list(json),
        RulesCommand::Check { files } => check(files),
    }
}

fn list(json: bool) -> ExitStatus {
    let rules = match builtin_rules_with_examples() {
        Ok(rules) => rules,
        Err(e) => {
            print_error(e);
            return ExitStatus::Error;
        }
    };
    let mut out = String::new();
    if json {
        let rows: Vec<_> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "name": r.name, "provider": r.tags.first(),
                    "severity": r.severity, "confidence": r.confidence,
                    "keywords": r.keywords, "tags": r.tags,
                })
            })
            .collect();
        out = serde_json::to_string_pretty(&rows).expect("plain JSON");
        out.push('\n');
    } else {
        let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2);
        let provider = |r: &Rule| r.tags.first().cloned().unwrap_or_default();
        let provider_width = rules.iter().map(|r| provider(r).len()).max().unwrap_or(8);
        let _ = writeln!(
            out,
            "{:<width$}  {:<provider_width$}  {:<8}  {:<50}  KEYWORDS",
            "ID", "PROVIDER", "SEVERITY", "NAME"
        );
        for rule in &rules {
            let _ = writeln!(
                out,
                "{:<width$}  {:<provider_width$}  {:<8}  {:<50}  {}",
                rule.id,
                provider(rule),
                rule.severity.as_str(),
                rule.name,
                rule.keywords.join(", ")
            );
        }
        let providers: std::collections::BTreeSet<String> = rules.iter().map(provider).collect();
        let _ = writeln!(out, "{} rules, {} providers", rules.len(), providers.len());
    }
    write_stdout(&out)
}

/// Writes `text` to stdout; a reader that stopped early (`| head`) is not
/// an error.
fn write_stdout(text: &str) -> ExitStatus {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitStatus::Clean,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitStatus::Clean,
        Err(e) => {
            eprintln!("error: writing to stdout: {e}");
            ExitStatus::Error
        }
    }
}

fn check(files: Vec<PathBuf>) -> ExitStatus {
    let (rules, minimum) = if files.is_empty() {
        (builtin_rules_with_examples(), BUILTIN_MINIMUM)
    } else {
        let loaded: Result<Vec<_>, _> = files.iter().map(|f| read_rule_file(f)).collect();
        (
            loaded.map(|v| v.into_iter().flatten().collect()),
            RuleMinimum {
                examples: 1,
                negative_examples: 1,
                rotation_steps: 0,
            },
        )
    };
    let rules = match rules {
        Ok(rules) => rules,
        Err(e) => {
            print_error(e);
            return ExitStatus::Error;
        }
    };
    let report = check_rules(rules, minimum);
    for failure in &report.failures {
        eprintln!("FAIL {failure}");
    }
    println!(
        "{} rules, {} examples, {} negative examples: {}",
        report.rules,
        report.examples,
        report.negative_examples,
        if report.failures.is_empty() {
            "all passed".to_string()
        } else {
            format!("{} failures", report.failures.len())
        }
    );
    if report.failures.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings(1)
    }
}
