//! `leakhound rules list` and `leakhound rules check`.

use super::{ExitStatus, print_error};
use crate::rules::check::{ExampleMinimum, check_rules};
use crate::rules::load::{builtin_rules_with_examples, read_rule_file};
use clap::Subcommand;
use std::path::PathBuf;

/// Built-in rules carry at least this many examples of each kind.
pub const BUILTIN_EXAMPLE_MINIMUM: ExampleMinimum = ExampleMinimum {
    examples: 2,
    negative_examples: 2,
};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the id, name, severity and keywords of every built-in rule.
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
    if json {
        let rows: Vec<_> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "name": r.name, "severity": r.severity,
                    "confidence": r.confidence, "keywords": r.keywords, "tags": r.tags,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("plain JSON")
        );
    } else {
        let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2);
        println!(
            "{:<width$}  {:<8}  {:<50}  KEYWORDS",
            "ID", "SEVERITY", "NAME"
        );
        for rule in &rules {
            println!(
                "{:<width$}  {:<8}  {:<50}  {}",
                rule.id,
                rule.severity.as_str(),
                rule.name,
                rule.keywords.join(", ")
            );
        }
        println!("{} rules", rules.len());
    }
    ExitStatus::Clean
}

fn check(files: Vec<PathBuf>) -> ExitStatus {
    let (rules, minimum) = if files.is_empty() {
        (builtin_rules_with_examples(), BUILTIN_EXAMPLE_MINIMUM)
    } else {
        let loaded: Result<Vec<_>, _> = files.iter().map(|f| read_rule_file(f)).collect();
        (
            loaded.map(|v| v.into_iter().flatten().collect()),
            ExampleMinimum {
                examples: 1,
                negative_examples: 1,
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
