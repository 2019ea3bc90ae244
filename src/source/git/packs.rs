//! Reading many blobs fast: every pack of the repository is decoded once,
//! each delta resolved from its already-inflated base (the way
//! `git index-pack` does), on all cores. Only chains of blobs are decoded;
//! commits and trees are left alone.
//!
//! A blob stored as a delta comes with what its delta copied from the base
//! and what the visit of the base returned, so its scan can start from the
//! base's instead of from nothing (`engine::revision`).
//!
//! Blobs that no pack of the repository itself holds (loose objects,
//! alternates, missing ones), or that cannot be decoded here, are left to
//! the caller to look up by id, which names what is wrong.

mod delta;
pub mod lookup;

use crate::engine::revision::Copied;
use gix::ObjectId;
use gix::odb::pack;
use pack::data::entry::Header;
use rayon::prelude::*;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

/// One version of a blob, handed to the visitor.
pub struct BlobVersion<'a, S> {
    /// Its index in the wanted ids, or `None` if it is not wanted (or was
    /// already visited from another pack) and is decoded only as a base.
    pub wanted: Option<usize>,
    pub data: &'a [u8],
    /// For a blob stored as a delta: what the visit of its base returned,
    /// and the stretches the delta copied from the base.
    pub base: Option<(&'a S, &'a [Copied])>,
}

/// Problems met, as (object named, what went wrong).
type Problems = Vec<(String, String)>;

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

/// Calls `visit` for each blob in the packs that is wanted or is the delta
/// base of one, on the current rayon pool, each wanted blob at most once.
/// A visit's result is handed to the visits of the blobs stored as deltas
/// of it. `wanted` must be sorted. Returns which wanted blobs were visited,
/// and the packs that could not be read.
pub fn visit_packed_blobs<S, V>(
    repo: &gix::Repository,
    wanted: &[ObjectId],
    visit: V,
) -> (Vec<bool>, Problems)
where
    S: Send + Sync,
    V: Fn(BlobVersion<S>) -> Option<S> + Sync,
{
    let seen: Vec<AtomicBool> = wanted.iter().map(|_| AtomicBool::new(false)).collect();
    let mut problems = Vec::new();
    for index_path in pack_indices(repo) {
        match pack::Bundle::at(&index_path, repo.object_hash()) {
            Ok(bundle) => {
                let walk = PackWalk {
                    bundle: &bundle,
                    wanted,
                    seen: &seen,
                    visit: &visit,
                    state: PhantomData,
                };
                if let Err(message) = walk.run() {
                    problems.push((index_path.display().to_string(), message));
                }
            }
            Err(e) => problems.push((index_path.display().to_string(), e.to_string())),
        }
    }
    (
        seen.into_iter().map(AtomicBool::into_inner).collect(),
        problems,
    )
}

/// One pack's objects as a forest: each delta under its base.
struct Forest {
    /// Entries in pack order.
    entries: Vec<Node>,
    /// Children of entry `i`: `children[child_start[i]..child_start[i + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// Blobs at the root of a chain that holds something wanted.
    roots: Vec<u32>,
}

impl Forest {
    fn children_of(&self, node: u32) -> &[u32] {
        let start = self.child_start[node as usize] as usize;
        let end = self.child_start[node as usize + 1] as usize;
        &self.children[start..end]
    }
}

/// A blob version decoded from its delta, and what its visit returned.
struct Decoded<S> {
    node: u32,
    content: Vec<u8>,
    state: Option<S>,
}

struct Node {
    id: ObjectId,
    entry: pack::data::Entry,
    /// Position among the wanted ids.
    wanted: Option<usize>,
    /// Wanted itself, or a base of something wanted.
    needed: bool,
}

struct PackWalk<'a, S, V> {
    bundle: &'a pack::Bundle,
    wanted: &'a [ObjectId],
    seen: &'a [AtomicBool],
    visit: &'a V,
    /// What a visit returns.
    state: PhantomData<fn() -> S>,
}

impl<S, V> PackWalk<'_, S, V>
where
    S: Send + Sync,
    V: Fn(BlobVersion<S>) -> Option<S> + Sync,
{
    fn run(&self) -> Result<(), String> {
        let forest = self.forest()?;
        forest.roots.par_iter().for_each(|&root| {
            let node = &forest.entries[root as usize];
            let Ok(data) = self.inflate(&node.entry) else {
                return; // looked up by id later, which names the problem
            };
            let state = self.visit_node(node, &data, None);
            self.descend(&forest, root, &data, state.as_ref(), 0);
        });
        Ok(())
    }

    /// Visits the needed deltas of `parent` (whose content is `data`), and
    /// theirs: in parallel near the root of a chain, one after another
    /// deeper down, so a pack's chain depth (git allows 4,095) never
    /// becomes the depth of the stack.
    fn descend(&self, forest: &Forest, parent: u32, data: &[u8], state: Option<&S>, depth: usize) {
        const PARALLEL_DEPTH: usize = 16;
        if depth >= PARALLEL_DEPTH {
            return self.descend_in_turn(forest, parent, data, state);
        }
        forest.children_of(parent).par_iter().for_each(|&child| {
            if let Some(version) = self.decode_delta(forest, child, data, state) {
                self.descend(
                    forest,
                    child,
                    &version.content,
                    version.state.as_ref(),
                    depth + 1,
                );
            }
        });
    }

    /// `descend` on one thread, with the chain on the heap.
    fn descend_in_turn(&self, forest: &Forest, parent: u32, data: &[u8], state: Option<&S>) {
        let mut stack: Vec<(Decoded<S>, usize)> = Vec::new();
        for &child in forest.children_of(parent) {
            let Some(version) = self.decode_delta(forest, child, data, state) else {
                continue;
            };
            stack.push((version, 0));
            while let Some((top, next)) = stack.last_mut() {
                let Some(&grandchild) = forest.children_of(top.node).get(*next) else {
                    stack.pop();
                    continue;
                };
                *next += 1;
                if let Some(version) =
                    self.decode_delta(forest, grandchild, &top.content, top.state.as_ref())
                {
                    stack.push((version, 0));
                }
            }
        }
    }

    /// Decodes delta `node` against its base's content and visits it;
    /// `None` if it is not needed or cannot be decoded (it is then looked
    /// up by id later, which names the problem).
    fn decode_delta(
        &self,
        forest: &Forest,
        node: u32,
        base: &[u8],
        base_state: Option<&S>,
    ) -> Option<Decoded<S>> {
        let entry = &forest.entries[node as usize];
        if !entry.needed {
            return None;
        }
        let instructions = self.inflate(&entry.entry).ok()?;
        let mut copied = Vec::new();
        let content = delta::apply(base, &instructions, &mut copied).ok()?;
        drop(instructions);
        let state = self.visit_node(entry, &content, base_state.map(|s| (s, &copied[..])));
        Some(Decoded {
            node,
            content,
            state,
        })
    }

    fn visit_node(&self, node: &Node, data: &[u8], base: Option<(&S, &[Copied])>) -> Option<S> {
        let wanted = node
            .wanted
            .filter(|&position| !self.seen[position].swap(true, Ordering::Relaxed));
        (self.visit)(BlobVersion { wanted, data, base })
    }

    fn inflate(&self, entry: &pack::data::Entry) -> Result<Vec<u8>, ()> {
        thread_local! {
            static INFLATE: std::cell::RefCell<gix::zlib::Inflate> =
                std::cell::RefCell::new(gix::zlib::Inflate::default());
        }
        let size = usize::try_from(entry.decompressed_size).map_err(|_| ())?;
        if size > delta::MAX_OBJECT {
            return Err(()); // looked up by id instead
        }
        let mut out = vec![0; size];
        INFLATE.with_borrow_mut(|inflate| {
            self.bundle
                .pack
                .decompress_entry(entry, inflate, &mut out)
                .map_err(|_| ())
        })?;
        Ok(out)
    }

    /// Reads every entry's header and links each delta to its base.
    fn forest(&self) -> Result<Forest, String> {
        let index = &self.bundle.index;
        let pack = &self.bundle.pack;
        let mut located: Vec<(u64, ObjectId)> = index
            .iter()
            .map(|entry| (entry.pack_offset, entry.oid))
            .collect();
        located.sort_unstable_by_key(|&(offset, _)| offset);
        let offsets: Vec<u64> = located.iter().map(|&(offset, _)| offset).collect();
        let position_of = |offset: u64| offsets.binary_search(&offset).ok();

        let mut entries = Vec::with_capacity(located.len());
        // Per entry: its base's position (`None` for a whole object or a
        // base outside this pack), and whether its chain is of blobs.
        let mut base_of: Vec<Option<u32>> = Vec::with_capacity(located.len());
        let mut kind: Vec<Kind> = Vec::with_capacity(located.len());
        let mut released_to = 0;
        for &(offset, id) in &located {
            if offset as usize - released_to > 32 << 20 {
                released_to = release_pages(pack, released_to, offset as usize);
            }
            let entry = pack
                .entry(offset)
                .map_err(|e| format!("object {id}: {e}"))?;
            let (base, own_kind) = match &entry.header {
                Header::Blob => (None, Kind::Blob),
                Header::Commit | Header::Tree | Header::Tag => (None, Kind::Other),
                Header::OfsDelta { base_distance } => (
                    entry
                        .checked_base_pack_offset(*base_distance)
                        .and_then(position_of),
                    Kind::Unknown,
                ),
                Header::RefDelta { base_id } => (
                    index
                        .lookup(base_id)
                        .map(|i| index.pack_offset_at_index(i))
                        .and_then(position_of),
                    Kind::Unknown,
                ),
            };
            // A delta whose base is not in this pack cannot be decoded here.
            let own_kind = if own_kind == Kind::Unknown && base.is_none() {
                Kind::Other
            } else {
                own_kind
            };
            base_of.push(base.map(|b| b as u32));
            kind.push(own_kind);
            entries.push(Node {
                id,
                entry,
                wanted: None,
                needed: false,
            });
        }
        release_pages(pack, released_to, pack.data_len());
        resolve_kinds(&base_of, &mut kind);

        for (node, &kind) in entries.iter_mut().zip(&kind) {
            if kind == Kind::Blob {
                node.wanted = self.wanted.binary_search(&node.id).ok();
            }
        }
        // Mark what is wanted and every base on its chain.
        for start in 0..entries.len() {
            if entries[start].wanted.is_none() {
                continue;
            }
            let mut at = Some(start as u32);
            while let Some(i) = at {
                if entries[i as usize].needed {
                    break;
                }
                entries[i as usize].needed = true;
                at = base_of[i as usize];
            }
        }

        let mut child_start = vec![0u32; entries.len() + 1];
        for base in base_of.iter().flatten() {
            child_start[*base as usize + 1] += 1;
        }
        for i in 0..entries.len() {
            child_start[i + 1] += child_start[i];
        }
        let mut filled = child_start.clone();
        let mut children = vec![0u32; child_start[entries.len()] as usize];
        for (child, base) in base_of.iter().enumerate() {
            if let Some(base) = base {
                children[filled[*base as usize] as usize] = child as u32;
                filled[*base as usize] += 1;
            }
        }
        let roots = (0..entries.len() as u32)
            .filter(|&i| {
                base_of[i as usize].is_none()
                    && kind[i as usize] == Kind::Blob
                    && entries[i as usize].needed
            })
            .collect();
        Ok(Forest {
            entries,
            child_start,
            children,
            roots,
        })
    }
}

/// Gives back the pages of `pack[from..to]`. Mapped pages count as the
/// process's memory, and reading every entry's header brings in all of a
/// pack, mostly commits and trees this walk never reads; blob pages come
/// back when they are inflated. Returns where the released range ended
/// (rounded down to a page).
fn release_pages(pack: &pack::data::File, from: usize, to: usize) -> usize {
    const PAGE: usize = 4096;
    let to = to / PAGE * PAGE;
    #[cfg(unix)]
    if to > from
        && let Some(all) = pack.entry_slice(0..pack.data_len() as u64)
        && to <= all.len()
    {
        // SAFETY: the pack is mapped read-only from a file; a dropped page
        // is read again from the file on the next access, with the same
        // bytes, so nothing borrowed from the map sees a change. The map
        // starts on a page boundary and `from` is a multiple of 4 KiB, a
        // multiple of the page size on the systems this runs on (madvise
        // fails harmlessly otherwise).
        unsafe {
            libc::madvise(
                all.as_ptr().add(from) as *mut libc::c_void,
                to - from,
                libc::MADV_DONTNEED,
            );
        }
    }
    to.max(from)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blob,
    Other,
    /// A delta whose chain is not followed yet.
    Unknown,
}

/// Gives every delta the kind of the whole object at the root of its
/// chain. A chain that loops (a damaged pack) is not a blob chain.
fn resolve_kinds(base_of: &[Option<u32>], kind: &mut [Kind]) {
    let mut chain = Vec::new();
    for start in 0..kind.len() {
        let mut at = start;
        while kind[at] == Kind::Unknown && chain.len() <= kind.len() {
            chain.push(at);
            match base_of[at] {
                Some(base) => at = base as usize,
                None => break,
            }
        }
        let root_kind = match kind[at] {
            Kind::Unknown => Kind::Other,
            known => known,
        };
        for &i in &chain {
            kind[i] = root_kind;
        }
        chain.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::test_repo::{commit_all, git, pack_deep};

    /// 70 versions of a file, each one line off the one before, packed in
    /// one chain far deeper than the part decoded in parallel.
    fn deep_chain_repo() -> tempfile::TempDir {
        let dir = tempfile::TempDir::new().unwrap();
        git(dir.path(), &["init", "-q"], None);
        let mut lines: Vec<String> = (0..200)
            .map(|i| format!("line {i} padding padding"))
            .collect();
        for version in 0..70 {
            let at = (version * 37) % 200;
            lines[at] = format!("line {at} changed in version {version:03}");
            std::fs::write(dir.path().join("file.txt"), lines.join("\n")).unwrap();
            commit_all(dir.path(), "v");
        }
        pack_deep(dir.path());
        dir
    }

    #[test]
    fn every_version_of_a_deep_chain_is_visited_once_with_its_base() {
        let dir = deep_chain_repo();
        let repo = gix::open(dir.path()).unwrap();
        let listing = git(dir.path(), &["rev-list", "--objects", "--all"], None);
        let mut blobs: Vec<ObjectId> = listing
            .lines()
            .filter(|l| l.ends_with(" file.txt"))
            .map(|l| ObjectId::from_hex(&l.as_bytes()[..40]).unwrap())
            .collect();
        blobs.sort();
        assert_eq!(blobs.len(), 70);
        // Each visit returns its depth in the chain: one more than its base's.
        let deltas = std::sync::atomic::AtomicUsize::new(0);
        let deepest = std::sync::atomic::AtomicUsize::new(0);
        let (seen, problems) = visit_packed_blobs(&repo, &blobs, |version: BlobVersion<usize>| {
            assert!(version.wanted.is_some());
            let depth = version.base.map_or(0, |(base, copied)| {
                assert!(!copied.is_empty());
                deltas.fetch_add(1, Ordering::Relaxed);
                base + 1
            });
            deepest.fetch_max(depth, Ordering::Relaxed);
            Some(depth)
        });
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            seen.iter().all(|&s| s),
            "every version is visited from the pack"
        );
        assert_eq!(deltas.into_inner(), 69);
        assert!(deepest.into_inner() > 20);
    }
}
