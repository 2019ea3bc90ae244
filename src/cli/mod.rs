//! The command line: clap types, turned into validated configurations and
//! run. The only module that knows about flags.

mod baseline_cmd;
mod history_cmd;
mod hook_cmd;
mod ignore_cmd;
mod rules_cmd;
mod scan_cmd;
mod size;
mod staged_cmd;

use clap::{Parser, Subcommand};

/// How a run ended; the process exit code is derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing found, nothing failed.
    Clean,
    /// Findings were reported; carries the exit code to use (default 1).
    Findings(u8),
    /// Something could not be scanned or the invocation was wrong.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings(code) => code,
            ExitStatus::Error => 2,
        }
    }
}

/// Find leaked credentials in working trees, staged changes and git history.
///
/// Exit codes: 0 no findings, 1 findings (see --exit-code), 2 error.
#[derive(Debug, Parser)]
#[command(name = "leakhound", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and folders (default: the working tree of .), or stdin with `-`.
    Scan(Box<scan_cmd::ScanArgs>),
    /// List and check detection rules.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Install a git hook that runs leakhound before each commit (or push).
    InstallHook(hook_cmd::InstallHookArgs),
    /// Write a baseline: a redacted report of today's findings that
    /// `--baseline` leaves out of later scans.
    #[command(subcommand)]
    Baseline(baseline_cmd::BaselineCommand),
    /// Stop reporting a secret: append an entry to .leakhoundignore.
    Ignore(ignore_cmd::IgnoreArgs),
}

/// Parses the process arguments and runs the command.
pub fn run() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // --help and --version are successes; usage errors are errors.
            return if error.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Clean
            };
        }
    };
    match cli.command {
        Command::Scan(args) => scan_cmd::run(*args),
        Command::Rules(command) => rules_cmd::run(command),
        Command::InstallHook(args) => hook_cmd::run(args),
        Command::Baseline(command) => baseline_cmd::run(command),
        Command::Ignore(args) => ignore_cmd::run(args),
    }
}

/// Prints an error the way every command does.
fn print_error(message: impl std::fmt::Display) {
    eprintln!("leakhound: error: {message}");
}
