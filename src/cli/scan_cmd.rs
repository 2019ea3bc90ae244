//! `leakhound scan [PATH...]`: raw flags, then a validated scan config, then
//! the scan and its report.

use super::size::parse_size;
use super::{ExitStatus, print_error};
use crate::engine::{Engine, MatchMode};
use crate::report::{Format, ReportOptions, write_report};
use crate::rules::gitleaks_ignore::{self, GitleaksIgnore};
use crate::rules::load::{ConfigDialect, load_config};
use crate::scan::ScanOutcome;
use crate::source::fs::{FsOptions, scan_paths};
use crate::source::stdin;
use clap::{Args, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The config file looked for at the scan root when `--config` is not given.
pub const DEFAULT_CONFIG_NAME: &str = ".leakhound.toml";

/// Config files looked for at the scan root, in order: leakhound's own,
/// then a gitleaks config, so a team moving from gitleaks needs no flag.
const CONFIG_NAMES: [&str; 2] = [DEFAULT_CONFIG_NAME, crate::rules::gitleaks::CONFIG_NAME];

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScanArgs {
    #[command(subcommand)]
    target: Option<ScanTarget>,

    /// Files and folders to scan; `-` reads stdin. Default: the current folder.
    paths: Vec<PathBuf>,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    rules: RuleArgs,

    /// Also scan files that .gitignore, .ignore and git excludes leave out.
    #[arg(long)]
    no_ignore: bool,

    /// Follow symbolic links inside folders (named paths are always followed).
    #[arg(long, short = 'L')]
    follow_symlinks: bool,

    #[command(flatten)]
    limits: LimitArgs,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
}

/// What else `scan` can look at.
#[derive(Debug, Subcommand)]
enum ScanTarget {
    /// Scan what is staged for the next commit (the pre-commit hook).
    Staged(super::staged_cmd::StagedArgs),
    /// Scan every blob in the repository's history, once each.
    History(super::history_cmd::HistoryArgs),
}

/// Which rules a scan uses.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Rule config: a leakhound config or a gitleaks one (.gitleaks.toml),
    /// told apart by its contents (default: .leakhound.toml, else
    /// .gitleaks.toml, at the scan root, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Which inputs are too big or too binary to scan.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Skip files larger than this (e.g. 25MiB, 512K).
    #[arg(long, value_name = "SIZE", default_value = "25MiB", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Scan files that look binary (a NUL byte in the first 8 KiB).
    #[arg(long)]
    pub scan_binary: bool,
}

/// Output flags shared by every scan command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Never print a secret, in any format or message.
    #[arg(long)]
    redact: bool,

    /// Text format: print secrets in clear instead of masked.
    #[arg(long, conflicts_with = "redact")]
    show_secrets: bool,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,

    /// Exit code when findings are reported.
    #[arg(long, value_name = "N", default_value_t = 1)]
    exit_code: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

pub fn run(args: ScanArgs) -> ExitStatus {
    match args.target {
        Some(ScanTarget::Staged(staged)) => super::staged_cmd::run(staged),
        Some(ScanTarget::History(history)) => super::history_cmd::run(history),
        None => scan_paths_command(args),
    }
}

fn scan_paths_command(args: ScanArgs) -> ExitStatus {
    let started = Instant::now();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let reads_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && paths.len() > 1 {
        print_error("`-` (stdin) cannot be combined with other paths");
        return ExitStatus::Error;
    }
    for path in &paths {
        if !reads_stdin && !path.exists() {
            print_error(format!("{}: no such file or folder", path.display()));
            return ExitStatus::Error;
        }
    }

    let roots: Vec<&Path> = paths
        .iter()
        .filter(|p| p.is_dir())
        .take(1)
        .map(PathBuf::as_path)
        .collect();
    let Some(rules) = build_scan_rules(&args.rules, &roots) else {
        return ExitStatus::Error;
    };
    let engine = &rules.engine;

    let mut outcome = if reads_stdin {
        stdin::scan_reader(engine, std::io::stdin().lock())
    } else {
        let options = FsOptions {
            roots: paths,
            no_ignore: args.no_ignore,
            follow_symlinks: args.follow_symlinks,
            max_file_size: args.limits.max_file_size,
            scan_binary: args.limits.scan_binary,
            threads: args.threads.unwrap_or(0),
        };
        scan_paths(engine, &options)
    };
    outcome.finish(started.elapsed());
    finish(&mut outcome, &rules, &args.output)
}

/// The engine of a scan, and what else its config decides.
pub struct ScanRules {
    pub engine: Engine,
    /// The config file in use, if any, and its format.
    pub config: Option<(PathBuf, ConfigDialect)>,
    /// Findings listed in `.gitleaksignore` at the scan root or in `.`.
    pub gitleaks_ignore: GitleaksIgnore,
}

/// A repository opened for scanning, its root folder (where the config is
/// looked for) and the engine with its rules.
pub struct RepoScan {
    pub repo: gix::Repository,
    pub root: PathBuf,
    pub rules: ScanRules,
}

/// Opens the repository containing `dir` and builds the engine; reports
/// errors, with `not_a_repo` as the message when there is no repository.
pub fn open_repo_scan(
    dir: &Path,
    rules: &RuleArgs,
    not_a_repo: impl FnOnce(&str) -> String,
) -> Option<RepoScan> {
    let repo = match crate::source::git::discover(dir) {
        Ok(repo) => repo,
        Err(crate::source::git::GitError::NotARepository { path }) => {
            print_error(not_a_repo(&path));
            return None;
        }
        Err(e) => {
            print_error(e);
            return None;
        }
    };
    let root = repo
        .workdir()
        .unwrap_or_else(|| repo.git_dir())
        .to_path_buf();
    let rules = build_scan_rules(rules, &[root.as_path()])?;
    Some(RepoScan { repo, root, rules })
}

/// Loads the rules (`--config`, else the first of `CONFIG_NAMES` in the
/// first of `roots` that has one, else in `.`) and `.gitleaksignore`, and
/// builds the engine; prints what the config could not honour, and errors.
pub fn build_scan_rules(args: &RuleArgs, roots: &[&Path]) -> Option<ScanRules> {
    let config = args.config.clone().or_else(|| {
        search_folders(roots)
            .flat_map(|root| CONFIG_NAMES.map(|name| root.join(name)))
            .find(|candidate| candidate.is_file())
    });
    let loaded = match load_config(config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            print_error(e);
            return None;
        }
    };
    for warning in &loaded.warnings {
        eprintln!("leakhound: warning: {warning}");
    }
    for note in &loaded.notes {
        eprintln!("leakhound: note: {note}");
    }
    let ignore_files: Vec<PathBuf> = search_folders(roots)
        .map(|root| root.join(gitleaks_ignore::FILE_NAME))
        .collect();
    let ignore_files = distinct_files(&ignore_files);
    let (gitleaks_ignore, problems) = GitleaksIgnore::load(&ignore_files, loaded.gitleaks_rule_ids);
    for problem in problems {
        eprintln!("leakhound: warning: {problem}");
    }
    Some(ScanRules {
        engine: Engine::new(loaded.rules, MatchMode::Prefiltered),
        config: config.zip(loaded.dialect),
        gitleaks_ignore,
    })
}

/// Where configs and `.gitleaksignore` are looked for: the scan root, then
/// the current folder.
fn search_folders<'a>(roots: &'a [&'a Path]) -> impl Iterator<Item = &'a Path> {
    roots.iter().copied().chain([Path::new(".")])
}

/// The files among `paths` that exist, each once however it is named.
fn distinct_files(paths: &[PathBuf]) -> Vec<&Path> {
    let mut seen = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if let Ok(canonical) = path.canonicalize()
            && path.is_file()
            && !seen.contains(&canonical)
        {
            seen.push(canonical);
            files.push(path.as_path());
        }
    }
    files
}

/// Filters the findings, reports problems on stderr, writes the report and
/// picks the exit status.
pub fn finish(outcome: &mut ScanOutcome, rules: &ScanRules, output: &OutputArgs) -> ExitStatus {
    rules.gitleaks_ignore.apply(outcome);
    for note in &outcome.notes {
        eprintln!("leakhound: note: {note}");
    }
    for error in &outcome.errors {
        eprintln!(
            "leakhound: warning: {}: {}",
            crate::report::sanitize::escape_control(&error.path),
            error.message
        );
    }
    let to_terminal = output.output.is_none() && std::io::stdout().is_terminal();
    let color = match output.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let options = ReportOptions {
        format: match output.format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
        },
        redact: output.redact,
        show_secrets: output.show_secrets,
        color,
    };
    let written = match &output.output {
        Some(path) => std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .and_then(|mut file| {
                write_report(outcome, &options, &mut file)?;
                file.flush()
            })
            .map_err(|e| format!("{}: cannot write report: {e}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            write_report(outcome, &options, &mut stdout)
                .and_then(|()| stdout.flush())
                .or_else(|e| {
                    // A closed pipe (`| head`) is the reader's choice, not an error.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| format!("cannot write report: {e}"))
        }
    };
    if let Err(message) = written {
        print_error(message);
        return ExitStatus::Error;
    }
    if !outcome.findings.is_empty() {
        ExitStatus::Findings(output.exit_code)
    } else if !outcome.errors.is_empty() {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    }
}
