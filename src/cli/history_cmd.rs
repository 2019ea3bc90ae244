//! `leakhound scan history`: every blob ever committed, with provenance and
//! a progress line on stderr when it is a terminal.

use super::scan_cmd::{LimitArgs, OutputArgs, RepoScan, RuleArgs, finish, open_repo_scan};
use super::{ExitStatus, print_error};
use crate::report::text::human_bytes;
use crate::source::git::history::{
    HistoryOptions, HistoryProgress, HistorySelection, scan_history,
};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The repository (a work tree, a bare repository, or any folder in one).
    #[arg(default_value = ".")]
    repo: PathBuf,

    /// Scan only what this branch (or any revision) reaches, not every ref.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    branch: Vec<String>,

    /// Only what commits after REV introduced (for CI on a pull request).
    #[arg(long, value_name = "REV")]
    since_commit: Option<String>,

    /// Only what the commits of A..B introduced.
    #[arg(long, value_name = "A..B", conflicts_with = "since_commit")]
    range: Option<String>,

    /// Also scan blobs that no ref reaches (dangling, unreachable).
    #[arg(long)]
    all_objects: bool,

    /// Read git's pre-push hook input on stdin and scan exactly the commits
    /// about to be pushed.
    #[arg(long, conflicts_with_all = ["branch", "since_commit", "range"])]
    pre_push: bool,

    /// One finding per location instead of one per (rule, secret).
    #[arg(long)]
    no_dedup: bool,

    /// List every commit and path that carries each secret.
    #[arg(long)]
    all_locations: bool,

    /// Never show the progress line.
    #[arg(long)]
    no_progress: bool,

    /// Scan every version of every blob whole, instead of only what each
    /// version changed from the one git stored it against. Slower; the
    /// findings are the same.
    #[arg(long)]
    whole_blobs: bool,

    /// Worker threads (default: one per core). With more than one, the
    /// commit walk runs on a thread of its own beside them while it lasts.
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    #[command(flatten)]
    pub(super) output: OutputArgs,

    #[command(flatten)]
    rules: RuleArgs,

    #[command(flatten)]
    limits: LimitArgs,
}

/// An all-zero object id: git's "no such ref" in hook input.
fn is_null_id(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// Tips and hidden commits from git's pre-push input: for each ref, the
/// local commit is pushed and the remote's known commit is already there.
/// A new branch (remote id all zeros) hides everything on remote-tracking
/// branches instead.
fn pre_push_selection(input: impl BufRead) -> HistorySelection {
    let mut selection = HistorySelection::default();
    for line in input.lines().map_while(Result::ok) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, local, _, remote] = fields[..] else {
            continue;
        };
        if is_null_id(local) {
            continue; // a deletion pushes no content
        }
        selection.tips.push(local.to_string());
        if is_null_id(remote) {
            selection.hidden.push("--remotes".to_string());
        } else {
            selection.hidden.push(remote.to_string());
        }
    }
    selection
}

/// The pre-commit framework does not forward git's pre-push input; it sets
/// `PRE_COMMIT_FROM_REF` (the remote's commit) and `PRE_COMMIT_TO_REF` (the
/// local one) instead.
fn framework_pre_push_selection() -> Option<HistorySelection> {
    let to = std::env::var("PRE_COMMIT_TO_REF").ok()?;
    let from = std::env::var("PRE_COMMIT_FROM_REF").unwrap_or_default();
    let line = format!(
        "local {to} remote {}",
        if from.is_empty() { "0" } else { &from }
    );
    Some(pre_push_selection(line.as_bytes()))
}

pub fn run(args: HistoryArgs) -> ExitStatus {
    let started = Instant::now();
    let Some((RepoScan { repo, root, rules }, ())) = open_repo_scan(
        &args.repo,
        &args.rules,
        |path| {
            format!(
                "{path} is not inside a git repository; to scan files, run `leakhound scan {path}`"
            )
        },
        |_| (),
    ) else {
        return ExitStatus::Error;
    };

    let mut selection = if args.pre_push {
        let selection = framework_pre_push_selection()
            .unwrap_or_else(|| pre_push_selection(std::io::stdin().lock()));
        if selection.tips.is_empty() {
            return ExitStatus::Clean; // only deletions: nothing to scan
        }
        selection
    } else {
        HistorySelection {
            tips: args.branch.clone(),
            hidden: args.since_commit.iter().cloned().collect(),
            all_objects: args.all_objects,
        }
    };
    if let Some(range) = &args.range {
        let Some((from, to)) = range.split_once("..") else {
            print_error(format!("--range {range}: expected A..B"));
            return ExitStatus::Error;
        };
        selection.hidden.push(from.to_string());
        selection
            .tips
            .push(if to.is_empty() { "HEAD" } else { to }.to_string());
    }
    if selection.hidden.iter().any(|h| h == "--remotes") {
        selection.hidden.retain(|h| h != "--remotes");
        selection.hidden.extend(remote_tracking_refs(&repo));
    }

    let options = HistoryOptions {
        max_file_size: args.limits.max_file_size,
        scan_binary: args.limits.scan_binary,
        no_dedup: args.no_dedup,
        all_locations: args.all_locations,
        whole_blobs: args.whole_blobs,
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
    {
        Ok(pool) => pool,
        Err(e) => {
            print_error(format!("cannot start worker threads: {e}"));
            return ExitStatus::Error;
        }
    };
    let progress = HistoryProgress::default();
    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        if show_progress {
            scope.spawn(|| draw_progress(&progress, &done, started));
        }
        // A repository handle is not Sync; the pool gets the shareable form.
        let shared = repo.into_sync();
        let result =
            pool.install(|| scan_history(&rules.engine, &shared, &selection, &options, &progress));
        done.store(true, Ordering::Relaxed);
        result
    });
    let mut outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => {
            print_error(e);
            return ExitStatus::Error;
        }
    };
    outcome.finish(started.elapsed());
    finish(&mut outcome, &rules, &args.output, &root)
}

/// Every remote-tracking branch, to hide what the remote already has.
fn remote_tracking_refs(repo: &gix::Repository) -> Vec<String> {
    let Ok(platform) = repo.references() else {
        return Vec::new();
    };
    let Ok(remotes) = platform.remote_branches() else {
        return Vec::new();
    };
    remotes
        .filter_map(Result::ok)
        .map(|r| r.name().as_bstr().to_string())
        .collect()
}

/// Redraws one status line on stderr until `done`; cleared at the end.
fn draw_progress(progress: &HistoryProgress, done: &AtomicBool, started: Instant) {
    let mut stderr = std::io::stderr();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        let elapsed = started.elapsed().as_secs_f64().max(0.001);
        let total = progress.blobs_total.load(Ordering::Relaxed);
        let scanned = progress.blobs_scanned.load(Ordering::Relaxed);
        let bytes = progress.bytes_scanned.load(Ordering::Relaxed);
        let line = if total == 0 {
            format!(
                "reading history: {} commits",
                progress.commits.load(Ordering::Relaxed)
            )
        } else {
            let rate = bytes as f64 / elapsed;
            let eta = if scanned > 0 {
                elapsed / scanned as f64 * (total - scanned.min(total)) as f64
            } else {
                0.0
            };
            format!(
                "scanning blobs: {scanned}/{total}, {} at {}/s, ETA {eta:.0}s",
                human_bytes(bytes),
                human_bytes(rate as u64)
            )
        };
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
    }
    let _ = write!(stderr, "\r\x1b[2K");
}
