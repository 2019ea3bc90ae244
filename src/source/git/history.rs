//! Every blob a repository's history ever contained, each scanned once.
//!
//! Two passes, both parallel:
//!
//! 1. **Introductions.** Each commit's tree is compared with its parents'
//!    trees, descending only into subtrees whose id changed, the way
//!    `git diff-tree` does. A blob at a path that no parent has there was
//!    *introduced* by that commit. This reads trees, never blob contents,
//!    and every blob reachable from the walked commits is introduced by at
//!    least one of them. Trees are read from the packs with each version
//!    decoded from the one read before (`packs::lookup`), and compared
//!    only where their bytes differ (`tree_diff`).
//! 2. **Scan.** The set of introduced blobs is scanned, each blob exactly
//!    once, however many commits and paths carry it; a blob stored as a
//!    delta only where it differs from its base (`packs`,
//!    `engine::revision`). Provenance is looked up afterwards, only for
//!    blobs that produced findings.

mod tree_diff;

use super::GitError;
use super::packs::lookup::Packs;
use super::packs::{BlobVersion, visit_packed_blobs};
use crate::engine::finding::{CommitInfo, Finding, HistoryDetails, Location, Origin, SourceKind};
use crate::engine::revision::{Carried, Copied};
use crate::engine::{Engine, Scratch};
use crate::rules::RuleSet;
use crate::scan::{ScanOutcome, SkipReason, looks_binary};
use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tree_diff::{Introduced, Trees};

/// Which commits to scan.
#[derive(Debug, Clone, Default)]
pub struct HistorySelection {
    /// Start from these revisions instead of every ref.
    pub tips: Vec<String>,
    /// Leave out commits reachable from these (`--since-commit`, `A` of `A..B`).
    pub hidden: Vec<String>,
    /// Also scan blobs no ref reaches (dangling, unreachable).
    pub all_objects: bool,
}

/// How a history scan reports.
#[derive(Debug, Clone, Copy)]
pub struct HistoryOptions {
    pub max_file_size: u64,
    pub scan_binary: bool,
    /// One finding per location instead of one per (rule, secret).
    pub no_dedup: bool,
    /// List every location of a secret, not just how many there are.
    pub all_locations: bool,
    /// Scan every version of a blob whole, not only what it changed from
    /// the version git stored it against. Slower; the findings are the same.
    pub whole_blobs: bool,
}

/// Live counters for a progress display.
#[derive(Debug, Default)]
pub struct HistoryProgress {
    pub commits: AtomicU64,
    pub blobs_total: AtomicU64,
    pub blobs_scanned: AtomicU64,
    pub bytes_scanned: AtomicU64,
}

/// A commit's metadata, decoded once.
#[derive(Debug, Clone)]
struct CommitMeta {
    /// Seconds since the epoch, for "oldest first".
    time: i64,
    info: CommitInfo,
}

/// A blob appearing in commit `commit` (an index into the commits) at
/// path `path` (an index into `Introductions::paths`). Paths are shared:
/// git/git has half a million introductions of a few thousand paths.
#[derive(Debug, Clone, Copy)]
struct Introduction {
    commit: u32,
    path: u32,
}

/// What a walk over the commits learned.
#[derive(Default)]
struct Introductions {
    by_blob: HashMap<ObjectId, Vec<Introduction>>,
    /// Every path a blob was introduced at, once.
    paths: Vec<BString>,
    submodules: HashSet<ObjectId>,
    errors: Problems,
    /// Commits whose parents are missing (a shallow clone's boundary).
    boundary: u64,
}

/// What one commit introduced.
#[derive(Default)]
struct CommitFinds {
    introduced: Introduced,
    errors: Problems,
    boundary: u64,
}

/// Resolves revisions (`main`, `HEAD~3`, `origin/main`, a full id) to commits.
fn resolve(repo: &gix::Repository, revisions: &[String]) -> Result<Vec<ObjectId>, GitError> {
    revisions
        .iter()
        .map(|rev| {
            repo.rev_parse_single(rev.as_str())
                .map_err(|e| GitError::Object {
                    id: rev.clone(),
                    message: e.to_string(),
                })
                .and_then(|id| {
                    let not_a_commit = |e: &dyn std::fmt::Display| GitError::Object {
                        id: rev.clone(),
                        message: format!("not a commit: {e}"),
                    };
                    id.object()
                        .map_err(|e| not_a_commit(&e))?
                        .peel_to_kind(gix::object::Kind::Commit)
                        .map(|c| c.id)
                        .map_err(|e| not_a_commit(&e))
                })
        })
        .collect()
}

/// Problems met along the way, as (object named, what went wrong).
type Problems = Vec<(String, String)>;

/// Every commit any reference (branches, tags, remotes, stash, HEAD) reaches,
/// and the references that could not be read, named.
fn all_ref_tips(repo: &gix::Repository) -> Result<(Vec<ObjectId>, Problems), GitError> {
    let refs_error = |e: &dyn std::fmt::Display| GitError::Object {
        id: "refs".into(),
        message: e.to_string(),
    };
    let mut tips = Vec::new();
    let mut problems = Vec::new();
    let platform = repo.references().map_err(|e| refs_error(&e))?;
    for reference in platform.all().map_err(|e| refs_error(&e))? {
        let mut reference = match reference {
            Ok(reference) => reference,
            Err(e) => {
                problems.push(("refs".to_string(), format!("unreadable reference: {e}")));
                continue;
            }
        };
        let name = reference.name().as_bstr().to_string();
        let peeled = reference
            .peel_to_id()
            .map_err(|e| e.to_string())
            .and_then(|id| id.object().map_err(|e| e.to_string()));
        match peeled {
            // Refs to trees or blobs (rare) carry no commits to walk.
            Ok(object) => {
                if let Ok(commit) = object.peel_to_kind(gix::object::Kind::Commit) {
                    tips.push(commit.id);
                }
            }
            Err(message) => problems.push((format!("ref {name}"), message)),
        }
    }
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    tips.sort();
    tips.dedup();
    Ok((tips, problems))
}

/// Scans the history selected by `selection`.
/// Takes the shareable form of the repository: the work fans out to the
/// current rayon pool, each worker with a handle of its own.
pub fn scan_history(
    engine: &Engine,
    shared: &gix::ThreadSafeRepository,
    selection: &HistorySelection,
    options: &HistoryOptions,
    progress: &HistoryProgress,
) -> Result<ScanOutcome, GitError> {
    // Refs, commits and trees are read through an object store of their
    // own, dropped before the blob pass maps every pack whole: a pack
    // mapped by two live stores counts twice towards resident memory (on
    // rust-lang/cargo the two maps held 104 MiB of a 77 MiB pack).
    let walker = own_store(shared);
    let walk_repo = walker.to_thread_local();
    let repo = &walk_repo;
    let (tips, ref_problems) = if selection.tips.is_empty() {
        all_ref_tips(repo)?
    } else {
        (resolve(repo, &selection.tips)?, Vec::new())
    };
    let hidden = resolve(repo, &selection.hidden)?;
    // The walk is one thread's work: on a pool of several, the
    // introductions of each batch of commits it finds are worked out while
    // it goes on. With one worker (`-j 1`) the two take turns.
    let (walk_result, (commits, introductions)) = if rayon::current_num_threads() > 1 {
        let (batches, walked) = std::sync::mpsc::sync_channel(1);
        let walker = &walker;
        std::thread::scope(|scope| {
            // The sender moves to the walk and is dropped when the walk
            // ends, which ends the batches.
            let walking = scope.spawn(move || {
                walk_commits(walker, tips, hidden, |batch| batches.send(batch).is_ok())
            });
            let found = find_introductions(walker, walked, progress);
            let walk_result = walking
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (walk_result, found)
        })
    } else {
        let mut walked = Vec::new();
        let walk_result = walk_commits(&walker, tips, hidden, |batch| {
            walked.push(batch);
            true
        });
        (walk_result, find_introductions(&walker, walked, progress))
    };
    let walk_problems = walk_result?;
    let mut outcome = ScanOutcome::default();
    for (object, message) in ref_problems
        .iter()
        .chain(&walk_problems)
        .chain(&introductions.errors)
    {
        outcome.error(object.clone(), message.clone());
    }
    for _ in &introductions.submodules {
        outcome.stats.skip(SkipReason::Submodule);
    }
    if introductions.boundary > 0 || repo.is_shallow() {
        outcome.notes.push(format!(
            "shallow clone: history is cut at {} boundary commit(s); older history was not scanned",
            introductions.boundary
        ));
    }

    let mut blobs: Vec<ObjectId> = introductions.by_blob.keys().copied().collect();
    if selection.all_objects {
        let known: HashSet<ObjectId> = blobs.iter().copied().collect();
        match unreachable_blobs(repo, &known) {
            Ok(extra) => blobs.extend(extra),
            Err(message) => outcome.error("object database", message),
        }
    }
    blobs.sort();
    progress
        .blobs_total
        .store(blobs.len() as u64, Ordering::Relaxed);
    // Both handles on that store go, and with them its maps of the packs.
    drop(walk_repo);
    drop(walker);

    let repo = &shared.to_thread_local();
    let (scanned, mut blob_findings) = scan_blobs(engine, repo, shared, &blobs, options, progress);
    blob_findings.extend(file_rule_findings(engine, &introductions));
    // Threads finish in any order; attribution below must not depend on it.
    blob_findings.sort_by(|(a, f), (b, g)| (a, f.sort_key()).cmp(&(b, g.sort_key())));
    outcome.merge(scanned);

    if !blob_findings.is_empty() {
        let in_head = head_blobs(repo);
        let findings = attribute(
            engine.rules(),
            blob_findings,
            &commits,
            &introductions,
            &in_head,
            options,
        );
        outcome.findings.extend(findings);
    }
    Ok(outcome)
}

/// Commits are walked and their introductions merged in batches of this
/// many, which bounds what is held before it is merged.
const COMMIT_BATCH: usize = 8192;

/// Walks the commits reachable from `tips` and not from `hidden`, newest
/// first, and hands them to `send` in batches until it returns false. A
/// missing or corrupt commit ends the walk there: what was reached so far
/// is still scanned, and the cut is said.
fn walk_commits(
    repo: &gix::ThreadSafeRepository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
    mut send: impl FnMut(Vec<ObjectId>) -> bool,
) -> Result<Problems, GitError> {
    let mut problems = Problems::new();
    if tips.is_empty() {
        return Ok(problems);
    }
    let mut repo = repo.to_thread_local();
    // The walk reads each commit twice (to queue it by time, then to
    // follow it): this cache halves its time on git/git.
    repo.object_cache_size_if_unset(4 << 20);
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        // Newest first: a commit's parents come soon after it, so the
        // trees they share are still in the tree caches. The default
        // (breadth first) order interleaves branches, and took 2.2x as
        // long on git/git.
        .sorting(gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        ))
        .all()
        .map_err(|e| GitError::Object {
            id: "commit graph".into(),
            message: e.to_string(),
        })?;
    let mut batch = Vec::with_capacity(COMMIT_BATCH);
    for info in walk {
        match info {
            Ok(info) => batch.push(info.id),
            Err(e) => {
                problems.push((
                    "commit graph".into(),
                    format!("the walk stopped early, older history was not scanned: {e}"),
                ));
                break;
            }
        }
        if batch.len() == COMMIT_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(COMMIT_BATCH));
            if !send(full) {
                return Ok(problems); // nobody is listening any more
            }
        }
    }
    if !batch.is_empty() {
        send(batch);
    }
    Ok(problems)
}

/// Pass 1: which blobs each commit introduced, in parallel over the
/// commits of each batch.
fn find_introductions(
    repo: &gix::ThreadSafeRepository,
    batches: impl IntoIterator<Item = Vec<ObjectId>>,
    progress: &HistoryProgress,
) -> (Vec<CommitMeta>, Introductions) {
    // Within a batch, contiguous runs of the walk go to one thread's tree
    // reader: neighbouring commits share most trees, so its caches hit.
    // Per thread. Each version of a tree is one delta from the newer one
    // read just before while that is still decoded here; 16 MiB took the
    // pass on git/git from 17.6 s to 6 s (more bought little time and
    // 30 MiB of peak memory per doubling).
    const TREE_CACHE: usize = 16 << 20;
    // Per thread: trees parsed into entries, each read twice in a row (as
    // a parent, then as the next commit's own tree).
    const PARSED_TREE_CACHE: usize = 8 << 20;
    let mut commits = Vec::new();
    let mut all = Introductions::default();
    let mut path_ids: HashMap<BString, u32> = HashMap::new();
    let packs = Packs::open(&repo.to_thread_local());
    for batch in batches {
        let chunk = (batch.len() / (rayon::current_num_threads() * 4)).max(64);
        let per_commit: Vec<Vec<(Option<CommitMeta>, CommitFinds)>> = batch
            .par_chunks(chunk)
            .map_init(
                || {
                    Trees::new(
                        thread_repo(repo),
                        packs.reader(TREE_CACHE),
                        PARSED_TREE_CACHE,
                    )
                },
                |trees, ids| {
                    ids.iter()
                        .map(|&id| {
                            progress.commits.fetch_add(1, Ordering::Relaxed);
                            let mut found = CommitFinds::default();
                            let meta = match commit_introductions(trees, id, &mut found) {
                                Ok(meta) => Some(meta),
                                Err(message) => {
                                    found.errors.push((format!("commit {id}"), message));
                                    None
                                }
                            };
                            (meta, found)
                        })
                        .collect()
                },
            )
            .collect();
        for (meta, found) in per_commit.into_iter().flatten() {
            all.errors.extend(found.errors);
            let Some(meta) = meta else {
                continue;
            };
            let commit = commits.len() as u32;
            commits.push(meta);
            for (blob, path) in found.introduced.blobs {
                let next = path_ids.len() as u32;
                let path = *path_ids.entry(path).or_insert(next);
                all.by_blob
                    .entry(blob)
                    .or_default()
                    .push(Introduction { commit, path });
            }
            all.submodules.extend(found.introduced.submodules);
            all.boundary += found.boundary;
        }
    }
    all.paths = vec![BString::default(); path_ids.len()];
    for (path, id) in path_ids {
        all.paths[id as usize] = path;
    }
    (commits, all)
}

/// The same repository with an object store of its own (falling back to
/// the shared one, which costs only memory, if it cannot be reopened).
fn own_store(shared: &gix::ThreadSafeRepository) -> gix::ThreadSafeRepository {
    gix::ThreadSafeRepository::open_opts(shared.git_dir(), gix::open::Options::isolated())
        .unwrap_or_else(|_| shared.clone())
}

fn thread_repo(repo: &gix::ThreadSafeRepository) -> gix::Repository {
    let mut repo = repo.to_thread_local();
    // A commit is read again as the parent of the next one walked.
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    repo
}

/// Decodes a commit and records the blobs it introduced (commit index 0;
/// the caller renumbers).
fn commit_introductions(
    trees: &mut Trees<'_>,
    id: ObjectId,
    found: &mut CommitFinds,
) -> Result<CommitMeta, String> {
    let (meta, tree, parent_trees) = read_commit(&trees.repo, id, found)?;
    trees.diff_commit(tree, &parent_trees, &mut found.introduced)?;
    Ok(meta)
}

/// A commit's metadata, its tree and its parents' trees.
fn read_commit(
    repo: &gix::Repository,
    id: ObjectId,
    found: &mut CommitFinds,
) -> Result<(CommitMeta, ObjectId, Vec<ObjectId>), String> {
    let object = repo.find_object(id).map_err(|e| e.to_string())?;
    let commit = gix::objs::CommitRef::from_bytes(&object.data, repo.object_hash())
        .map_err(|e| format!("cannot decode: {e}"))?;
    let tree = commit.tree();
    let author = commit.author().map_err(|e| e.to_string())?;
    let signed = author.time().ok();
    let time = signed.map_or(0, |t| t.seconds);
    let date = signed
        .and_then(|t| t.format(gix::date::time::format::ISO8601_STRICT).ok())
        .unwrap_or_default();
    let meta = CommitMeta {
        time,
        info: CommitInfo {
            commit: id.to_string(),
            author: author.name.to_str_lossy().trim().to_string(),
            email: author.email.to_str_lossy().trim().to_string(),
            date,
            message: commit
                .message
                .lines()
                .next()
                .unwrap_or_default()
                .to_str_lossy()
                .trim()
                .to_string(),
        },
    };
    let mut parent_trees = Vec::new();
    for parent in commit.parents() {
        match repo.try_find_object(parent) {
            Ok(Some(parent)) => {
                let parent = gix::objs::CommitRef::from_bytes(&parent.data, repo.object_hash())
                    .map_err(|e| format!("parent {}: cannot decode: {e}", parent.id))?;
                parent_trees.push(parent.tree());
            }
            // A shallow clone's boundary: diff against nothing.
            Ok(None) => found.boundary += 1,
            Err(e) => return Err(format!("parent {parent}: {e}")),
        }
    }
    Ok((meta, tree, parent_trees))
}

/// A tree's entries as (mode, id); `None` if it cannot be read whole.
fn tree_entries(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Option<Vec<(gix::object::tree::EntryMode, ObjectId)>> {
    let data = repo.find_object(tree).ok()?;
    gix::objs::TreeRefIter::from_bytes(&data.data, repo.object_hash())
        .map(|entry| entry.ok().map(|e| (e.mode, e.oid.to_owned())))
        .collect()
}

/// Blobs in the object database that the walked history does not reach.
fn unreachable_blobs(
    repo: &gix::Repository,
    known: &HashSet<ObjectId>,
) -> Result<Vec<ObjectId>, String> {
    let mut extra = Vec::new();
    let ids = repo.objects.iter().map_err(|e| e.to_string())?;
    for id in ids {
        let id = id.map_err(|e| e.to_string())?;
        if known.contains(&id) {
            continue;
        }
        if let Ok(header) = repo.find_header(id)
            && header.kind() == gix::object::Kind::Blob
        {
            extra.push(id);
        }
    }
    Ok(extra)
}

/// Pass 2: every blob once, on all cores. Packed blobs are read in pack
/// order; the rest (loose, in alternates, or missing) are looked up by id.
fn scan_blobs(
    engine: &Engine,
    repo: &gix::Repository,
    shared: &gix::ThreadSafeRepository,
    blobs: &[ObjectId],
    options: &HistoryOptions,
    progress: &HistoryProgress,
) -> (ScanOutcome, Vec<(ObjectId, Finding)>) {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
    }
    let files_scanned = AtomicU64::new(0);
    let bytes_scanned = AtomicU64::new(0);
    let collected = Mutex::new((ScanOutcome::default(), Vec::new()));
    // Scans one blob version, from the scan of its delta base when there is
    // one; returns what later versions need (`None`: scan them whole).
    let scan_one = |blob: ObjectId, data: &[u8], base: Option<(&Carried, &[Copied])>| {
        progress.blobs_scanned.fetch_add(1, Ordering::Relaxed);
        progress
            .bytes_scanned
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        let skip = if data.len() as u64 > options.max_file_size {
            Some(SkipReason::TooLarge)
        } else if !options.scan_binary && looks_binary(data) {
            Some(SkipReason::Binary)
        } else {
            None
        };
        if let Some(reason) = skip {
            collected
                .lock()
                .expect("no panic while held")
                .0
                .stats
                .skip(reason);
            return None;
        }
        files_scanned.fetch_add(1, Ordering::Relaxed);
        bytes_scanned.fetch_add(data.len() as u64, Ordering::Relaxed);
        let (detections, carried) = SCRATCH.with_borrow_mut(|scratch| match base {
            Some((old, copied)) if !options.whole_blobs => {
                engine.scan_revision(data, old, copied, scratch)
            }
            _ => engine.scan_carrying(data, scratch),
        });
        if !detections.is_empty() {
            let origin = Origin {
                source: SourceKind::History,
                path: None,
                commit: None,
            };
            let findings = detections.into_iter().map(|d| {
                (
                    blob,
                    Finding::new(&engine.rules().rules[d.rule], d, &origin),
                )
            });
            collected
                .lock()
                .expect("no panic while held")
                .1
                .extend(findings);
        }
        Some(carried)
    };

    let (seen, problems) = visit_packed_blobs(repo, blobs, |version: BlobVersion<Carried>| {
        // A blob that is only a base is not scanned; its deltas are
        // scanned whole.
        let position = version.wanted?;
        scan_one(blobs[position], version.data, version.base)
    });
    let leftover: Vec<ObjectId> = blobs
        .iter()
        .zip(&seen)
        .filter(|(_, seen)| !**seen)
        .map(|(blob, _)| *blob)
        .collect();
    let lookup_errors: Vec<(String, String)> = leftover
        .par_iter()
        .map_init(
            || thread_repo(shared),
            |repo, &blob| match repo.find_object(blob) {
                Ok(object) => {
                    scan_one(blob, &object.data, None);
                    None
                }
                Err(e) => Some((format!("blob {blob}"), e.to_string())),
            },
        )
        .flatten()
        .collect();

    let (mut outcome, findings) = collected.into_inner().expect("no panic while held");
    outcome.stats.files_scanned = files_scanned.into_inner();
    outcome.stats.bytes_scanned = bytes_scanned.into_inner();
    for (object, message) in problems.into_iter().chain(lookup_errors) {
        outcome.error(object, message);
    }
    (outcome, findings)
}

/// Blobs in HEAD's tree, to say whether a secret is still there.
fn head_blobs(repo: &gix::Repository) -> HashSet<ObjectId> {
    let mut blobs = HashSet::new();
    let Ok(tree) = repo.head_tree_id() else {
        return blobs;
    };
    let mut stack = vec![tree.detach()];
    let mut seen = HashSet::new();
    while let Some(tree) = stack.pop() {
        if !seen.insert(tree) {
            continue;
        }
        let Some(entries) = tree_entries(repo, tree) else {
            continue;
        };
        for (mode, id) in entries {
            if mode.is_tree() {
                stack.push(id);
            } else if mode.is_blob_or_symlink() {
                blobs.insert(id);
            }
        }
    }
    blobs
}

/// What file rules (rules without a regex) report at each path a blob was
/// introduced at. Each finding names its path, so attribution keeps only
/// the locations at that path.
fn file_rule_findings(engine: &Engine, introductions: &Introductions) -> Vec<(ObjectId, Finding)> {
    if !engine.has_file_rules() {
        return Vec::new();
    }
    // Many blobs share a path (every version of a file): decide each path once.
    let mut by_path: HashMap<u32, Vec<crate::engine::finding::Detection>> = HashMap::new();
    let mut found = Vec::new();
    for (blob, intros) in &introductions.by_blob {
        for intro in intros {
            let path = introductions.paths[intro.path as usize].to_str_lossy();
            let detections = by_path
                .entry(intro.path)
                .or_insert_with(|| engine.file_detections(&path));
            let origin = Origin {
                source: SourceKind::History,
                path: Some(path.into_owned()),
                commit: None,
            };
            for detection in detections.iter().cloned() {
                let rule = &engine.rules().rules[detection.rule];
                found.push((*blob, Finding::new(rule, detection, &origin)));
            }
        }
    }
    found
}

/// Whether a finding stands at a location: its own path if it names one
/// (a file rule's finding), no global path allowlist, and its pending
/// path and commit checks.
fn stands_at(rules: &RuleSet, finding: &Finding, location: &Location) -> bool {
    if finding.path.as_ref().is_some_and(|p| *p != location.path)
        || rules.allow.path_is_allowed(&location.path)
    {
        return false;
    }
    finding.pending.as_ref().is_none_or(|pending| {
        rules.stands_at(pending, Some(&location.path), Some(&location.commit.commit))
    })
}

/// Gives each blob finding its provenance and, unless `no_dedup`, merges
/// findings of the same (rule, secret) across blobs into one. Locations
/// where a finding is allowlisted are dropped, and so is a finding left
/// with none.
fn attribute(
    rules: &RuleSet,
    blob_findings: Vec<(ObjectId, Finding)>,
    commits: &[CommitMeta],
    introductions: &Introductions,
    in_head: &HashSet<ObjectId>,
    options: &HistoryOptions,
) -> Vec<Finding> {
    // Every (commit, path) location of each finding, oldest first.
    let located: Vec<(Finding, Vec<Location>, bool)> = blob_findings
        .into_iter()
        .filter_map(|(blob, finding)| {
            let mut locations: Vec<Location> = introductions
                .by_blob
                .get(&blob)
                .map(|intros| {
                    intros
                        .iter()
                        .map(|i| Location {
                            commit: commits[i.commit as usize].info.clone(),
                            path: introductions.paths[i.path as usize]
                                .to_str_lossy()
                                .into_owned(),
                            blob: blob.to_string(),
                            time: commits[i.commit as usize].time,
                        })
                        .collect()
                })
                .unwrap_or_default();
            if locations.is_empty() {
                // A blob no walked commit reaches (`--all-objects`): no path.
                let stands = finding
                    .pending
                    .as_ref()
                    .is_none_or(|p| rules.stands_at(p, None, None));
                return stands.then(|| (finding, locations, in_head.contains(&blob)));
            }
            locations.retain(|location| stands_at(rules, &finding, location));
            if locations.is_empty() {
                return None;
            }
            locations.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
            Some((finding, locations, in_head.contains(&blob)))
        })
        .collect();

    if options.no_dedup {
        let mut out = Vec::new();
        for (finding, locations, head) in located {
            if locations.is_empty() {
                out.push(with_provenance(finding, None, head, 0, Vec::new()));
                continue;
            }
            for location in locations {
                out.push(with_provenance(
                    finding.clone(),
                    Some(&location),
                    head,
                    0,
                    Vec::new(),
                ));
            }
        }
        return out;
    }

    // Group by (rule, secret); keep the finding of the oldest location.
    let mut groups: HashMap<(String, String), (Finding, Vec<Location>, bool)> = HashMap::new();
    for (finding, locations, head) in located {
        let key = (finding.rule_id.clone(), finding.secret.clone());
        match groups.get_mut(&key) {
            None => {
                groups.insert(key, (finding, locations, head));
            }
            Some(group) => {
                let older = match (locations.first(), group.1.first()) {
                    (Some(new), Some(old)) => new.order_key() < old.order_key(),
                    (Some(_), None) => true,
                    _ => false,
                };
                if older {
                    group.0 = finding;
                }
                group.1.extend(locations);
                group.2 |= head;
            }
        }
    }
    groups
        .into_values()
        .map(|(finding, mut locations, head)| {
            locations.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
            locations.dedup_by(|a, b| a.commit.commit == b.commit.commit && a.path == b.path);
            let first = locations.first().cloned();
            let others = locations.len().saturating_sub(1) as u64;
            let listed = if options.all_locations {
                locations
            } else {
                Vec::new()
            };
            with_provenance(finding, first.as_ref(), head, others, listed)
        })
        .collect()
}

fn with_provenance(
    mut finding: Finding,
    location: Option<&Location>,
    in_head: bool,
    other_locations: u64,
    locations: Vec<Location>,
) -> Finding {
    if let Some(location) = location {
        finding.path = Some(location.path.clone());
        finding.commit = Some(location.commit.clone());
    }
    finding.history = Some(HistoryDetails {
        in_head,
        other_locations,
        locations,
    });
    finding
}

#[cfg(test)]
mod tests;
