//! What is about to be committed: the index compared with HEAD's tree,
//! scanned from the staged blobs (never the working-tree files), so partial
//! staging is scanned exactly as it will be committed.
//!
//! The comparison follows the index's cache tree (the `TREE` extension): a
//! directory whose cached tree id equals HEAD's is unchanged and skipped
//! without reading it, which keeps a commit in a huge repository cheap.

use super::GitError;
use super::added_lines::AddedLines;
use crate::engine::finding::{Origin, SourceKind};
use crate::engine::{Engine, Scratch};
use crate::scan::{ScanOutcome, SkipReason, looks_binary};
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use gix::index::extension::Tree as CacheTree;
use rayon::prelude::*;
use std::collections::HashMap;

/// A staged file whose content differs from HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    pub path: BString,
    pub blob: ObjectId,
    /// The version in HEAD at the same path, or for a rename the removed
    /// file it most likely came from; `None` for a new file.
    pub previous: Option<ObjectId>,
}

/// The staged changes and the index entries that were not scanned.
#[derive(Debug, Default)]
pub struct StagedChanges {
    pub files: Vec<StagedFile>,
    /// Paths with unresolved merge conflicts (nothing can be committed yet).
    pub unmerged: Vec<BString>,
    pub submodules: u64,
    pub intent_to_add: u64,
}

/// A blob in HEAD's tree that the index no longer has at that path.
struct Removed {
    path: BString,
    blob: ObjectId,
}

/// Compares the index with HEAD's tree (empty when there is no commit yet).
pub fn staged_changes(repo: &gix::Repository) -> Result<StagedChanges, GitError> {
    let index = read_index(repo)?;
    let head_tree = match repo.head_tree_id() {
        Ok(id) => Some(id.detach()),
        // An unborn branch: the first commit, everything staged is new.
        Err(_) if repo.head().is_ok_and(|h| h.is_unborn()) => None,
        Err(e) => {
            return Err(GitError::Object {
                id: "HEAD".into(),
                message: e.to_string(),
            });
        }
    };

    let mut changes = StagedChanges::default();
    let mut entries = Vec::with_capacity(index.entries().len());
    for entry in index.entries() {
        let path = entry.path(&index);
        if entry.stage_raw() != 0 {
            if changes.unmerged.last().map(|p| p.as_bstr()) != Some(path) {
                changes.unmerged.push(path.to_owned());
            }
            continue;
        }
        if entry.mode.is_submodule() {
            changes.submodules += 1;
            continue;
        }
        if entry
            .flags
            .contains(gix::index::entry::Flags::INTENT_TO_ADD)
        {
            changes.intent_to_add += 1;
            continue;
        }
        entries.push((path, entry.id));
    }

    let mut walk = Walk {
        repo,
        removed: Vec::new(),
        changes: &mut changes,
    };
    walk.directory(BStr::new(b""), head_tree, index.tree(), &entries)?;
    let removed = std::mem::take(&mut walk.removed);
    pair_renames(&mut changes.files, removed);
    Ok(changes)
}

/// Reads the index without verifying its trailing checksum: hashing a
/// 50,000-entry index with collision-detecting SHA-1 costs more than the
/// whole rest of a pre-commit scan, and git itself rewrites the file
/// atomically, so a torn index is not what the checksum would catch here.
fn read_index(repo: &gix::Repository) -> Result<gix::index::File, GitError> {
    let path = repo.index_path();
    if !path.exists() {
        return Ok(gix::index::File::from_state(
            gix::index::State::new(repo.object_hash()),
            path,
        ));
    }
    gix::index::File::at(&path, repo.object_hash(), true, Default::default())
        .map_err(|e| GitError::Index(format!("{}: {e}", path.display())))
}

/// A recursive merge of index entries against HEAD's tree.
struct Walk<'a> {
    repo: &'a gix::Repository,
    removed: Vec<Removed>,
    changes: &'a mut StagedChanges,
}

impl Walk<'_> {
    /// Compares the index `entries` under `prefix` (all start with it) with
    /// the HEAD tree `head` of that directory.
    fn directory(
        &mut self,
        prefix: &BStr,
        head: Option<ObjectId>,
        cache: Option<&CacheTree>,
        entries: &[(&BStr, ObjectId)],
    ) -> Result<(), GitError> {
        if let (Some(head), Some(cache)) = (head, cache)
            && cache.num_entries.is_some()
            && cache.id == head
        {
            return Ok(()); // the index still has exactly HEAD's tree here
        }
        let mut head_entries = self.tree_entries(head)?;
        let mut rest = entries;
        while let Some(&(path, id)) = rest.first() {
            let relative = &path[prefix.len()..];
            match relative.find_byte(b'/') {
                None => {
                    rest = &rest[1..];
                    let previous = head_entries
                        .remove(relative.as_bstr())
                        .and_then(|(mode, old)| mode.is_blob_or_symlink().then_some(old));
                    if previous != Some(id) {
                        self.changes.files.push(StagedFile {
                            path: path.to_owned(),
                            blob: id,
                            previous,
                        });
                    }
                }
                Some(slash) => {
                    let name = &relative[..slash];
                    let mut sub_prefix = prefix.to_owned();
                    sub_prefix.extend_from_slice(name);
                    sub_prefix.push(b'/');
                    let run = rest.partition_point(|(p, _)| p.starts_with(&sub_prefix));
                    let (inside, after) = rest.split_at(run);
                    rest = after;
                    let sub_head = head_entries
                        .remove(name.as_bstr())
                        .and_then(|(mode, id)| mode.is_tree().then_some(id));
                    let sub_cache = cache.and_then(|c| {
                        c.children
                            .iter()
                            .find(|child| child.name.as_slice() == name)
                    });
                    self.directory(sub_prefix.as_bstr(), sub_head, sub_cache, inside)?;
                }
            }
        }
        // What HEAD has here and the index does not: removed (or renamed).
        for (name, (mode, id)) in head_entries {
            if mode.is_blob_or_symlink() {
                let mut path = prefix.to_owned();
                path.extend_from_slice(&name);
                self.removed.push(Removed { path, blob: id });
            }
        }
        Ok(())
    }

    fn tree_entries(
        &self,
        tree: Option<ObjectId>,
    ) -> Result<HashMap<BString, (gix::object::tree::EntryMode, ObjectId)>, GitError> {
        let Some(tree) = tree else {
            return Ok(HashMap::new());
        };
        let object = self
            .repo
            .find_object(tree)
            .map_err(|e| object_error(tree, e))?;
        let mut entries = HashMap::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&object.data, self.repo.object_hash()) {
            let entry = entry.map_err(|e| object_error(tree, e))?;
            entries.insert(
                entry.filename.to_owned(),
                (entry.mode, entry.oid.to_owned()),
            );
        }
        Ok(entries)
    }
}

fn object_error(id: ObjectId, error: impl std::fmt::Display) -> GitError {
    GitError::Object {
        id: id.to_string(),
        message: error.to_string(),
    }
}

/// Gives new files the removed file they were renamed from: the same blob
/// (a pure rename) or, failing that, a removed file of the same name.
fn pair_renames(files: &mut [StagedFile], removed: Vec<Removed>) {
    if removed.is_empty() {
        return;
    }
    let file_name =
        |path: &BStr| -> BString { path.rsplit_str("/").next().unwrap_or_default().into() };
    let by_blob: HashMap<ObjectId, &Removed> = removed.iter().map(|r| (r.blob, r)).collect();
    let mut by_name: HashMap<BString, &Removed> = HashMap::new();
    for r in &removed {
        by_name.entry(file_name(r.path.as_bstr())).or_insert(r);
    }
    for file in files.iter_mut().filter(|f| f.previous.is_none()) {
        file.previous = by_blob
            .get(&file.blob)
            .or_else(|| by_name.get(&file_name(file.path.as_bstr())))
            .map(|r| r.blob);
    }
}

/// How a staged scan reports.
#[derive(Debug, Clone, Copy)]
pub struct StagedOptions {
    /// Report secrets anywhere in a touched file, not only on added lines.
    pub whole_files: bool,
    pub max_file_size: u64,
    pub scan_binary: bool,
}

/// Scans what the index would commit. Files are scanned in parallel
/// (scanning five files of a small commit took 12.6 of 32 ms, half of it
/// compiling the regexes of the rules they hit, and different files hit
/// different rules); findings and errors come back in index order.
pub fn scan_staged(
    engine: &Engine,
    repo: &gix::Repository,
    changes: &StagedChanges,
    options: &StagedOptions,
) -> ScanOutcome {
    let mut outcome = ScanOutcome::default();
    for _ in 0..changes.submodules {
        outcome.stats.skip(SkipReason::Submodule);
    }
    let shared = repo.clone().into_sync();
    let per_file: Vec<ScanOutcome> = changes
        .files
        .par_iter()
        .map_init(
            || (shared.to_thread_local(), Scratch::default()),
            |(repo, scratch), file| scan_staged_file(engine, repo, scratch, file, options),
        )
        .collect();
    for found in per_file {
        outcome.merge(found);
    }
    outcome
}

/// Scans one staged file: its staged blob, reporting only what its added
/// lines hold unless `whole_files`.
fn scan_staged_file(
    engine: &Engine,
    repo: &gix::Repository,
    scratch: &mut Scratch,
    file: &StagedFile,
    options: &StagedOptions,
) -> ScanOutcome {
    let mut outcome = ScanOutcome::default();
    let path = file.path.to_str_lossy().into_owned();
    if engine.rules().allow.path_is_allowed(&path) {
        outcome.stats.skip(SkipReason::Allowlisted);
        return outcome;
    }
    let origin = Origin {
        source: SourceKind::Staged,
        path: Some(path.clone()),
        commit: None,
    };
    // A file rule reports the file itself: the commit adds or changes it.
    outcome.scan_path(engine, &origin);
    let blob = match repo.find_object(file.blob) {
        Ok(object) => object.detach().data,
        Err(e) => {
            outcome.error(&path, format!("cannot read staged blob {}: {e}", file.blob));
            return outcome;
        }
    };
    if blob.len() as u64 > options.max_file_size {
        outcome.stats.skip(SkipReason::TooLarge);
        return outcome;
    }
    if !options.scan_binary && looks_binary(&blob) {
        outcome.stats.skip(SkipReason::Binary);
        return outcome;
    }
    let mut found = ScanOutcome::default();
    found.scan_blob(engine, scratch, &blob, &origin);
    if !options.whole_files
        && let Some(previous) = file.previous
    {
        match repo.find_object(previous) {
            Ok(old) => {
                let added = AddedLines::between(&old.data, &blob);
                found.findings.retain(|f| added.any_in(f.line, f.end_line));
            }
            Err(e) => outcome.error(
                &path,
                format!(
                    "cannot read the previous version {previous}, reporting the whole file: {e}"
                ),
            ),
        }
    }
    outcome.merge(found);
    outcome
}
