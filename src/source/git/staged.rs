//! What is about to be committed: the index compared with HEAD's tree,
//! scanned from the staged blobs (never the working-tree files), so partial
//! staging is scanned exactly as it will be committed.
//!
//! The comparison follows the index's cache tree (the `TREE` extension): a
//! directory whose cached tree id equals HEAD's is unchanged and skipped
//! without reading it, which keeps a commit in a huge repository cheap.

use super::GitError;
use super::added_lines::added_ranges;
use super::index_file::{CacheNode, Entry, Index};
use crate::engine::finding::{Origin, SourceKind};
use crate::engine::{Engine, Scratch};
use crate::scan::{ScanOutcome, SkipReason, looks_binary};
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use gix::objs::tree::{self, name_order};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Range;

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

#[cfg(test)]
mod tests;

/// A blob in HEAD's tree that the index no longer has at that path.
struct Removed {
    path: BString,
    blob: ObjectId,
}

/// Compares the index with HEAD's tree (empty when there is no commit yet).
pub fn staged_changes(repo: &gix::Repository) -> Result<StagedChanges, GitError> {
    let index = Index::read(repo)?;
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
    let mut walk = Walk {
        repo,
        index: &index,
        removed: Vec::new(),
        removed_folders: Vec::new(),
        changes: &mut changes,
    };
    walk.directory(b"", head_tree, index.cache_tree(), 0..index.len())?;
    // Files moved out of a folder that is now gone came from its blobs;
    // reading those trees is only worth it when a new file needs a source.
    if walk.changes.files.iter().any(|f| f.previous.is_none()) {
        walk.expand_removed_folders()?;
    }
    let removed = std::mem::take(&mut walk.removed);
    pair_renames(&mut changes.files, removed);
    Ok(changes)
}

/// A recursive merge of index entries against HEAD's tree.
struct Walk<'a> {
    repo: &'a gix::Repository,
    index: &'a Index,
    removed: Vec<Removed>,
    /// Folders of HEAD the index no longer has anything in: path and tree.
    removed_folders: Vec<(BString, ObjectId)>,
    changes: &'a mut StagedChanges,
}

impl Walk<'_> {
    /// Compares the index entries at `positions` (all under `prefix`, a
    /// directory path ending in `/`, or empty for the root) with the HEAD
    /// tree `head` of that directory, merging the two in git's tree order.
    /// A directory whose cache tree id equals HEAD's is unchanged, and its
    /// entries are never looked at.
    fn directory(
        &mut self,
        prefix: &[u8],
        head: Option<ObjectId>,
        cache: Option<CacheNode<'_>>,
        positions: Range<usize>,
    ) -> Result<(), GitError> {
        if let (Some(head), Some(cached)) = (head, cache.and_then(|c| c.id()))
            && cached == head
        {
            return Ok(());
        }
        // No tree in HEAD here (a new folder, or no commit yet): no entries.
        let tree = head.map(|id| self.tree_data(id)).transpose()?;
        let head_entries = match (head, &tree) {
            (Some(id), Some(data)) => self.tree_entries(id, data)?,
            _ => Vec::new(),
        };
        let mut head_entries = head_entries.into_iter().peekable();
        let mut position = positions.start;
        while position < positions.end {
            let entry = self.index.entry(position);
            // Only an index out of path order (damaged or hand-made) puts an
            // entry here that is not under `prefix`.
            let Some(relative) = entry.path.strip_prefix(prefix) else {
                return Err(GitError::Index(format!(
                    "entries are out of path order at `{}`",
                    entry.path
                )));
            };
            let slash = relative.find_byte(b'/');
            let (name, is_directory) = match slash {
                Some(slash) => (&relative[..slash], true),
                None => (relative, false),
            };
            // HEAD entries ordered before this one are gone from the index.
            let mut previous = None;
            while let Some(old) = head_entries.peek() {
                match name_order(old.filename, old.mode.is_tree(), name, is_directory) {
                    Ordering::Less => self.removed(prefix, old),
                    Ordering::Equal => previous = Some(*old),
                    Ordering::Greater => break,
                }
                head_entries.next();
                if previous.is_some() {
                    break;
                }
            }
            match slash {
                None => {
                    position += 1;
                    let previous = previous
                        .filter(|old| old.mode.is_blob_or_symlink())
                        .map(|old| old.oid.to_owned());
                    self.file(entry, previous);
                }
                // A sparse directory: a whole tree outside the sparse
                // checkout, held as one entry whose path ends in `/`.
                Some(slash) if slash + 1 == relative.len() => {
                    position += 1;
                    if previous.map(|old| old.oid) != Some(entry.id) {
                        return Err(GitError::Index(format!(
                            "{}: a sparse-checkout directory differs from HEAD; \
                             widen the sparse checkout to scan it",
                            entry.path
                        )));
                    }
                }
                Some(slash) => {
                    let sub_prefix = &entry.path[..prefix.len() + slash + 1];
                    let sub_cache = cache.and_then(|c| c.child(name));
                    let expected = sub_cache.and_then(|c| c.entry_count());
                    let end =
                        self.index
                            .end_of_prefix(position, positions.end, sub_prefix, expected);
                    let sub_head = previous.map(|old| old.oid.to_owned());
                    self.directory(sub_prefix, sub_head, sub_cache, position..end)?;
                    position = end;
                }
            }
        }
        for old in head_entries {
            self.removed(prefix, &old);
        }
        Ok(())
    }

    /// Notes a HEAD entry the index no longer has: removed, or renamed.
    fn removed(&mut self, prefix: &[u8], old: &tree::EntryRef<'_>) {
        let mut path = BString::from(prefix);
        path.extend_from_slice(old.filename);
        if old.mode.is_blob_or_symlink() {
            self.removed.push(Removed {
                path,
                blob: old.oid.to_owned(),
            });
        } else if old.mode.is_tree() {
            self.removed_folders.push((path, old.oid.to_owned()));
        }
    }

    /// Lists the blobs of removed folders (and their subfolders) as removed.
    fn expand_removed_folders(&mut self) -> Result<(), GitError> {
        while let Some((path, id)) = self.removed_folders.pop() {
            let data = self.tree_data(id)?;
            let mut prefix = path;
            prefix.push(b'/');
            for old in self.tree_entries(id, &data)? {
                self.removed(&prefix, &old);
            }
        }
        Ok(())
    }

    /// Sorts one file entry: a change to scan, or a conflict, submodule or
    /// placeholder that is counted instead.
    fn file(&mut self, entry: Entry<'_>, previous: Option<ObjectId>) {
        if entry.stage != 0 {
            // Each side of a conflict is an entry; name the path once.
            if self.changes.unmerged.last().map(|p| p.as_bstr()) != Some(entry.path) {
                self.changes.unmerged.push(entry.path.to_owned());
            }
        } else if entry.is_submodule() {
            self.changes.submodules += 1;
        } else if entry.intent_to_add {
            self.changes.intent_to_add += 1;
        } else if previous.as_deref() != Some(entry.id) {
            self.changes.files.push(StagedFile {
                path: entry.path.to_owned(),
                blob: entry.id.to_owned(),
                previous,
            });
        }
    }

    /// The raw tree object.
    fn tree_data(&self, tree: ObjectId) -> Result<Vec<u8>, GitError> {
        self.repo
            .find_object(tree)
            .map(|object| object.detach().data)
            .map_err(|e| object_error(tree, e))
    }

    /// The entries of tree `id` (read as `data`), in git's tree order.
    fn tree_entries<'d>(
        &self,
        id: ObjectId,
        data: &'d [u8],
    ) -> Result<Vec<tree::EntryRef<'d>>, GitError> {
        gix::objs::TreeRefIter::from_bytes(data, self.repo.object_hash())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| object_error(id, e))
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
    // By default only what the commit adds is reported, so regexes run
    // only near the added lines (see `engine::focus`).
    let mut focus = None;
    if !options.whole_files
        && let Some(previous) = file.previous
    {
        match repo.find_object(previous) {
            Ok(old) => focus = Some(added_ranges(&old.data, &blob)),
            Err(e) => outcome.error(
                &path,
                format!(
                    "cannot read the previous version {previous}, reporting the whole file: {e}"
                ),
            ),
        }
    }
    outcome.scan_blob_focused(engine, scratch, &blob, &origin, focus.as_deref());
    outcome
}
