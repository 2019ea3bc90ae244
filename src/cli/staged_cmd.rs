//! `leakhound scan staged`: the pre-commit scan of what is about to be
//! committed, with advice written for a person at a commit prompt.

use super::scan_cmd::{
    FormatArg, LimitArgs, OutputArgs, RepoScan, RuleArgs, ScanRules, finish, open_repo_scan,
};
use super::{ExitStatus, print_error};
use crate::rules::load::ConfigDialect;
use crate::source::git::staged::{StagedOptions, scan_staged, staged_changes};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (default: the one containing the current folder).
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,

    /// Report secrets anywhere in a touched file, not only on added lines.
    #[arg(long)]
    whole_files: bool,

    #[command(flatten)]
    pub(super) output: OutputArgs,

    #[command(flatten)]
    rules: RuleArgs,

    #[command(flatten)]
    limits: LimitArgs,
}

pub fn run(args: StagedArgs) -> ExitStatus {
    let started = Instant::now();
    // The index is read and compared with HEAD while the rules load.
    let Some((RepoScan { repo, root, rules }, changes)) = open_repo_scan(
        &args.repo,
        &args.rules,
        |path| {
            format!(
                "{path} is not inside a git repository, so nothing is staged; \
                 to scan files, run `leakhound scan {path}`"
            )
        },
        staged_changes,
    ) else {
        return ExitStatus::Error;
    };
    let changes = match changes {
        Ok(changes) => changes,
        Err(e) => {
            print_error(e);
            return ExitStatus::Error;
        }
    };
    if !changes.unmerged.is_empty() {
        eprintln!(
            "leakhound: {} path(s) have unresolved merge conflicts and are scanned once resolved and staged",
            changes.unmerged.len()
        );
    }
    if changes.files.is_empty() && args.output.format == FormatArg::Text {
        eprintln!("leakhound: nothing staged to scan");
    }
    let options = StagedOptions {
        whole_files: args.whole_files,
        max_file_size: args.limits.max_file_size,
        scan_binary: args.limits.scan_binary,
    };
    let mut outcome = scan_staged(&rules.engine, &repo, &changes, &options);
    outcome.finish(started.elapsed());
    let status = finish(&mut outcome, &rules, &args.output, &root);
    if !outcome.findings.is_empty() && args.output.format == FormatArg::Text {
        print_commit_advice(&outcome.findings, &root, &rules);
    }
    // The process ends here: freeing the compiled rules and the repository
    // handle one allocation at a time took about 1.5 ms of a pre-commit
    // scan that aims at 20, and the operating system reclaims it all.
    std::mem::forget(rules);
    std::mem::forget(repo);
    status
}

/// What to do next, on stderr so reports on stdout stay machine-readable.
fn print_commit_advice(
    findings: &[crate::engine::finding::Finding],
    root: &Path,
    scan: &ScanRules,
) {
    let rules: Vec<&str> = {
        let mut ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        ids.dedup();
        ids
    };
    let rule_list = rules
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    // Advice names the config in use: a new .leakhound.toml would quietly
    // replace a .gitleaks.toml, which discovery reads only when it is absent.
    let switch_off = match &scan.config {
        Some((path, ConfigDialect::Gitleaks)) => format!(
            "\x20   - switch a built-in rule off in {}:\n\
             \x20       [extend]\n\
             \x20       disabledRules = [{rule_list}]\n\
             \x20     (a rule of that file: add an allowlist to it), or\n\
             \x20   - list the finding in {} as `path:rule-id:line`\n",
            path.display(),
            root.join(crate::rules::gitleaks_ignore::FILE_NAME)
                .display(),
        ),
        config => format!(
            "\x20   - switch the rule off for this repository in {}:\n\
             \x20       [extend]\n\
             \x20       disable = [{rule_list}]\n",
            config
                .as_ref()
                .map_or_else(
                    || root.join(super::scan_cmd::DEFAULT_CONFIG_NAME),
                    |(path, _)| path.clone()
                )
                .display(),
        ),
    };
    eprintln!(
        "\nleakhound stopped this commit: {} secret{} in the staged changes.\n\
         \n  To fix it:\n\
         \x20   1. Remove the secret from the file and load it at run time instead\n\
         \x20      (an environment variable or your secret store), then `git add` the file again.\n\
         \x20   2. If this secret was ever pushed or shared, revoke and rotate it: see the fix above.\n\
         \n  If it is a false positive:\n\
         \x20   - add a comment containing `leakhound:allow` on that line, or\n\
         {switch_off}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
    );
}
