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

impl ScanArgs {
    /// The output flags of whichever scan these arguments run.
    pub fn output_mut(&mut self) -> &mut OutputArgs {
        match &mut self.target {
            Some(ScanTarget::Staged(staged)) => &mut staged.output,
            Some(ScanTarget::History(history)) => &mut history.output,
            None => &mut self.output,
        }
    }
}

impl OutputArgs {
    /// Turns these flags into those of a baseline: a redacted JSON report
    /// (a baseline is meant to be committed), written to `default_path`
    /// unless `--output` says where, and not itself filtered by a baseline.
    pub fn make_baseline(&mut self, default_path: &Path) -> PathBuf {
        self.format = FormatArg::Json;
        self.redact = true;
        self.show_secrets = false;
        self.suppress.baseline = None;
        self.output
            .get_or_insert_with(|| default_path.to_path_buf())
            .clone()
    }
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

    /// Layers of base64, hex and percent-encoding to look through for
    /// secrets that appear only encoded (0 turns decoding off).
    #[arg(long, value_name = "N", default_value_t = crate::engine::decode::DEFAULT_DEPTH,
          value_parser = clap::value_parser!(u8).range(0..=4))]
    pub decode_depth: u8,
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

    /// Print secrets in clear instead of masked (text, csv, junit,
    /// markdown) or redacted (sarif).
    #[arg(long, conflicts_with = "redact")]
    show_secrets: bool,

    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,

    /// Exit code when findings are reported.
    #[arg(long, value_name = "N", default_value_t = 1)]
    exit_code: u8,

    /// Also write the report in FORMAT to PATH; repeatable (e.g.
    /// `--report sarif=leakhound.sarif --report json=report.json`).
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_extra_report)]
    extra_reports: Vec<(FormatArg, PathBuf)>,

    #[command(flatten)]
    suppress: SuppressArgs,
}

/// Parses `FORMAT=PATH` for `--report`.
fn parse_extra_report(text: &str) -> Result<(FormatArg, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected FORMAT=PATH, e.g. sarif=leakhound.sarif"))?;
    let format = FormatArg::from_str(format, true).map_err(|_| {
        let names: Vec<String> = FormatArg::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("`{format}` is not a format; one of: {}", names.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("`{text}`: the path is empty"));
    }
    Ok((format, PathBuf::from(path)))
}

/// Which findings are left out of the report.
#[derive(Debug, Args)]
pub struct SuppressArgs {
    /// Report only findings not in REPORT, an earlier `--format json` report
    /// (see `leakhound baseline create`).
    #[arg(long, value_name = "REPORT")]
    baseline: Option<PathBuf>,

    /// Ignore file (default: .leakhoundignore at the scan root, if present).
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,

    /// List ignore-file entries that matched no finding.
    #[arg(long)]
    report_unused_ignores: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Jsonl,
    Sarif,
    Csv,
    Junit,
    Markdown,
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
            roots: paths.clone(),
            no_ignore: args.no_ignore,
            follow_symlinks: args.follow_symlinks,
            max_file_size: args.limits.max_file_size,
            scan_binary: args.limits.scan_binary,
            threads: args.threads.unwrap_or(0),
        };
        scan_paths(engine, &options)
    };
    outcome.finish(started.elapsed());
    let root = roots.first().copied().unwrap_or(Path::new("."));
    finish(&mut outcome, &rules, &args.output, root)
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
/// `alongside` runs on a thread of its own with its own handle on the
/// repository while the rules load (a pre-commit scan reads the index in
/// that time), and its result comes back with the scan.
pub fn open_repo_scan<T: Send>(
    dir: &Path,
    rules: &RuleArgs,
    not_a_repo: impl FnOnce(&str) -> String,
    alongside: impl FnOnce(&gix::Repository) -> T + Send,
) -> Option<(RepoScan, T)> {
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
    let shared = repo.clone().into_sync();
    let (rules, extra) = std::thread::scope(|scope| {
        let extra = scope.spawn(move || alongside(&shared.to_thread_local()));
        let rules = build_scan_rules(rules, &[root.as_path()]);
        // A panic on that thread is a bug; surface it as one.
        let extra = extra
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rules, extra)
    });
    Some((
        RepoScan {
            repo,
            root,
            rules: rules?,
        },
        extra,
    ))
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
        engine: Engine::new(loaded.rules, MatchMode::Prefiltered)
            .with_decode_depth(args.decode_depth),
        config: config.zip(loaded.dialect),
        gitleaks_ignore,
    })
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Csv => Format::Csv,
            FormatArg::Junit => Format::Junit,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}

/// Writes one report to a file, naming it in the error.
fn write_report_file(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    path: &Path,
) -> Result<(), String> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .and_then(|mut file| {
            write_report(outcome, options, &mut file)?;
            file.flush()
        })
        .map_err(|e| format!("{}: cannot write report: {e}", path.display()))
}

/// Removes what the baseline and the ignore file cover, saying on stderr
/// how many and which ignore entries expired or went unused.
fn suppress_findings(
    outcome: &mut ScanOutcome,
    args: &SuppressArgs,
    root: &Path,
) -> Result<(), String> {
    use crate::suppress::{self, baseline::Baseline, date::Date, ignore_file};
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let ignore_path = args.ignore_file.clone().or_else(|| {
        let default = root.join(ignore_file::DEFAULT_NAME);
        default.is_file().then_some(default)
    });
    let ignore = ignore_path
        .as_deref()
        .map(ignore_file::IgnoreFile::load)
        .transpose()?;
    if baseline.is_none() && ignore.is_none() {
        return Ok(());
    }
    let report = suppress::apply(outcome, baseline.as_ref(), ignore.as_ref(), Date::today());
    for warning in &report.warnings {
        eprintln!("leakhound: warning: {warning}");
    }
    if report.by_baseline > 0 {
        outcome.notes.push(format!(
            "{} finding(s) left out: already in the baseline",
            report.by_baseline
        ));
    }
    if report.by_ignore_file > 0 {
        outcome.notes.push(format!(
            "{} finding(s) left out by the ignore file",
            report.by_ignore_file
        ));
    }
    if args.report_unused_ignores {
        if report.unused.is_empty() {
            outcome
                .notes
                .push("every ignore-file entry matched a finding".into());
        }
        for unused in report.unused {
            outcome
                .notes
                .push(format!("unused ignore entry (matched nothing): {unused}"));
        }
    }
    Ok(())
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

/// Applies `.gitleaksignore`, the baseline and the ignore file, reports
/// problems on stderr, writes the report and picks the exit status. `root`
/// is where the ignore file is looked for.
pub fn finish(
    outcome: &mut ScanOutcome,
    rules: &ScanRules,
    output: &OutputArgs,
    root: &Path,
) -> ExitStatus {
    rules.gitleaks_ignore.apply(outcome);
    if let Err(message) = suppress_findings(outcome, &output.suppress, root) {
        print_error(message);
        return ExitStatus::Error;
    }
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
        format: output.format.into(),
        redact: output.redact,
        show_secrets: output.show_secrets,
        color,
    };
    for (format, path) in &output.extra_reports {
        let extra = ReportOptions {
            format: (*format).into(),
            color: false,
            ..options
        };
        if let Err(message) = write_report_file(outcome, &extra, path) {
            print_error(message);
            return ExitStatus::Error;
        }
    }
    let written = match &output.output {
        Some(path) => write_report_file(outcome, &options, path),
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
