//! Reading many blobs fast: every pack of the repository is decoded once,
//! in pack order, resolving each delta from its already-inflated base (the
//! way `git index-pack` does), on all cores. Looking blobs up one by one
//! would re-inflate shared delta bases again and again.
//!
//! Blobs that no pack of the repository itself holds (loose objects,
//! alternates, or missing ones) are left to the caller to fetch by id.

use gix::ObjectId;
use gix::odb::pack;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// The pack index files of the repository's own object directory.
fn pack_indices(repo: &gix::Repository) -> Vec<PathBuf> {
    let dir = repo.objects.store_ref().path().join("pack");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut indices: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    indices.sort();
    indices
}

/// Calls `visit(index, data)` for each wanted blob found in the packs, from
/// `threads` threads (default: one per core), at most once per blob.
/// `wanted` must be sorted. Returns which wanted blobs were visited, and the
/// packs that could not be read.
pub fn visit_packed_blobs<V>(
    repo: &gix::Repository,
    wanted: &[ObjectId],
    threads: Option<usize>,
    visit: V,
) -> (Vec<bool>, Vec<(String, String)>)
where
    V: Fn(usize, &[u8]) + Sync,
{
    let seen: Vec<AtomicBool> = wanted.iter().map(|_| AtomicBool::new(false)).collect();
    let mut problems = Vec::new();
    let interrupt = AtomicBool::new(false);
    for index_path in pack_indices(repo) {
        let bundle = match pack::Bundle::at(&index_path, repo.object_hash()) {
            Ok(bundle) => bundle,
            Err(e) => {
                problems.push((index_path.display().to_string(), e.to_string()));
                continue;
            }
        };
        let processor = |kind: gix::object::Kind,
                         data: &[u8],
                         entry: &pack::index::Entry,
                         _: &dyn gix::progress::Progress|
         -> Result<(), Infallible> {
            if kind == gix::object::Kind::Blob
                && let Ok(position) = wanted.binary_search(&entry.oid)
                && !seen[position].swap(true, Ordering::Relaxed)
            {
                visit(position, data);
            }
            Ok(())
        };
        let outcome = bundle.index.traverse_with_index(
            &bundle.pack,
            processor,
            &mut gix::progress::Discard,
            &interrupt,
            pack::index::traverse::with_index::Options {
                // Objects are checked against their ids where they are used;
                // a damaged object must not stop the rest of the pack.
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerificationAndNoAbortOnDecodeError,
                thread_limit: threads,
                alloc_limit_bytes: None,
            },
        );
        if let Err(e) = outcome {
            problems.push((index_path.display().to_string(), e.to_string()));
        }
    }
    (
        seen.into_iter().map(AtomicBool::into_inner).collect(),
        problems,
    )
}
