//! `leakhound baseline create`: a redacted JSON report of what is there
//! today, for `--baseline` to leave out of later scans.

use super::scan_cmd::ScanArgs;
use super::{ExitStatus, print_error};
use clap::Subcommand;
use std::path::Path;

/// Where the baseline goes unless `--output` says otherwise.
pub const DEFAULT_BASELINE: &str = ".leakhound-baseline.json";

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan as `leakhound scan` would (same arguments: paths, `staged`,
    /// `history`...) and write the findings as a redacted JSON baseline
    /// (default: .leakhound-baseline.json).
    Create(Box<ScanArgs>),
}

pub fn run(command: BaselineCommand) -> ExitStatus {
    match command {
        BaselineCommand::Create(mut args) => {
            let path = args.output_mut().make_baseline(Path::new(DEFAULT_BASELINE));
            match super::scan_cmd::run(*args) {
                // Findings are the point of a baseline, not a failure.
                ExitStatus::Findings(_) | ExitStatus::Clean => {
                    eprintln!(
                        "leakhound: baseline written to {}; scan with --baseline {} to report only new findings",
                        path.display(),
                        path.display()
                    );
                    ExitStatus::Clean
                }
                ExitStatus::Error => {
                    print_error(format!("baseline {} may be incomplete", path.display()));
                    ExitStatus::Error
                }
            }
        }
    }
}
