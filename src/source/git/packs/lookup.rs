//! Reading objects by id from the repository's packs, each delta applied
//! to a base kept from an earlier read.
//!
//! The introductions pass reads trees in commit order, newest first, and
//! git stores an older version of a tree as a delta of a newer one. A read
//! that resolves every chain from its root (as a plain lookup does) inflates
//! the whole chain again for each version: on git/git that was most of the
//! pass. Here every decoded version is kept in a small cache keyed by its
//! place in the pack, so the next older version costs one delta.
//!
//! Objects no pack holds, or that cannot be decoded here, are `None`: the
//! caller looks them up by id, which names what is wrong.

use super::{delta, pack_indices};
use crate::source::git::budget_cache::BudgetCache;
use gix::ObjectId;
use gix::odb::pack;
use pack::data::entry::Header;
use std::sync::Arc;

/// The packs of a repository's own object directory, opened once and
/// shared by the readers of all threads.
pub struct Packs {
    bundles: Vec<pack::Bundle>,
}

impl Packs {
    /// Opens every pack; one that cannot be opened is left out (its objects
    /// are then looked up by id, which names the problem).
    pub fn open(repo: &gix::Repository) -> Packs {
        let bundles = pack_indices(repo)
            .iter()
            .filter_map(|index| pack::Bundle::at(index, repo.object_hash()).ok())
            .collect();
        Packs { bundles }
    }

    /// A reader with a cache of at most `cache_bytes` decoded objects.
    pub fn reader(&self, cache_bytes: usize) -> CachedReader<'_> {
        CachedReader {
            packs: self,
            cache: BudgetCache::new(cache_bytes),
            inflate: gix::zlib::Inflate::default(),
            chain: Vec::new(),
            copied: Vec::new(),
        }
    }
}

/// An object's kind and content.
pub type Object = (gix::object::Kind, Arc<Vec<u8>>);

/// Reads objects by id for one thread.
pub struct CachedReader<'a> {
    packs: &'a Packs,
    /// Decoded objects by (pack, offset).
    cache: BudgetCache<(usize, u64), Object>,
    inflate: gix::zlib::Inflate,
    /// Deltas waiting for their base while a chain is resolved.
    chain: Vec<pack::data::Entry>,
    /// What `delta::apply` records; not needed here.
    copied: Vec<crate::engine::revision::Copied>,
}

/// A chain longer than this is a loop in a damaged pack (git allows 4,095).
const MAX_CHAIN: usize = 10_000;

impl CachedReader<'_> {
    /// The object `id`, if a pack holds it and it decodes.
    pub fn find(&mut self, id: &ObjectId) -> Option<Object> {
        let packs = self.packs;
        packs
            .bundles
            .iter()
            .enumerate()
            .find_map(|(pack, bundle)| {
                let index = bundle.index.lookup(id)?;
                Some((pack, bundle.index.pack_offset_at_index(index)))
            })
            .and_then(|(pack, offset)| self.decode(pack, offset))
    }

    /// Decodes the object at `offset` of pack `pack`: up its chain to the
    /// nearest version in the cache (or the chain's root), then down again,
    /// keeping each version on the way.
    fn decode(&mut self, pack: usize, offset: u64) -> Option<Object> {
        let bundle = &self.packs.bundles[pack];
        self.chain.clear();
        let mut at = offset;
        let (kind, mut data) = loop {
            if let Some(found) = self.cache.get(&(pack, at)) {
                break found;
            }
            let entry = bundle.pack.entry(at).ok()?;
            let kind = match &entry.header {
                Header::Commit => gix::object::Kind::Commit,
                Header::Tree => gix::object::Kind::Tree,
                Header::Blob => gix::object::Kind::Blob,
                Header::Tag => gix::object::Kind::Tag,
                Header::OfsDelta { base_distance } => {
                    at = entry.checked_base_pack_offset(*base_distance)?;
                    self.chain.push(entry);
                    if self.chain.len() > MAX_CHAIN {
                        return None;
                    }
                    continue;
                }
                Header::RefDelta { base_id } => {
                    // A base in another pack (or loose) is left to the lookup.
                    let base = bundle.index.lookup(base_id)?;
                    at = bundle.index.pack_offset_at_index(base);
                    self.chain.push(entry);
                    if self.chain.len() > MAX_CHAIN {
                        return None;
                    }
                    continue;
                }
            };
            let data = Arc::new(self.inflate(pack, &entry)?);
            self.cache
                .put((pack, at), (kind, Arc::clone(&data)), data.len());
            break (kind, data);
        };
        while let Some(entry) = self.chain.pop() {
            let instructions = self.inflate(pack, &entry)?;
            self.copied.clear();
            data = Arc::new(delta::apply(&data, &instructions, &mut self.copied).ok()?);
            self.cache.put(
                (pack, entry.pack_offset()),
                (kind, Arc::clone(&data)),
                data.len(),
            );
        }
        Some((kind, data))
    }

    fn inflate(&mut self, pack: usize, entry: &pack::data::Entry) -> Option<Vec<u8>> {
        let size = usize::try_from(entry.decompressed_size).ok()?;
        if size > delta::MAX_OBJECT {
            return None;
        }
        let mut out = vec![0; size];
        self.packs.bundles[pack]
            .pack
            .decompress_entry(entry, &mut self.inflate, &mut out)
            .ok()?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::test_repo::{commit_all, git, pack_deep};

    #[test]
    fn every_version_of_a_deltified_tree_reads_as_git_has_it() {
        // 40 versions of a directory of 60 files, one file changed each
        // time, packed deep: old root trees are deltas of newer ones.
        let dir = tempfile::TempDir::new().unwrap();
        git(dir.path(), &["init", "-q"], None);
        let write = |file: usize, content: String| {
            std::fs::write(dir.path().join(format!("f{file:02}.txt")), content).unwrap();
        };
        for file in 0..60 {
            write(file, format!("file {file}\n"));
        }
        for version in 0..40 {
            write(version, format!("file {version} version {version}\n"));
            commit_all(dir.path(), "v");
        }
        pack_deep(dir.path());
        let listing = git(dir.path(), &["log", "--format=%T"], None);
        let trees: Vec<ObjectId> = listing
            .lines()
            .map(|line| ObjectId::from_hex(line.as_bytes()).unwrap())
            .collect();
        assert_eq!(trees.len(), 40);
        let repo = gix::open(dir.path()).unwrap();
        let packs = Packs::open(&repo);
        let bundle = &packs.bundles[0];
        let deltas = trees
            .iter()
            .filter(|tree| {
                let at = bundle
                    .index
                    .pack_offset_at_index(bundle.index.lookup(tree).unwrap());
                bundle.pack.entry(at).unwrap().header.is_delta()
            })
            .count();
        assert!(deltas > 30, "the test needs trees stored as deltas");
        // A cache too small to hold everything, so eviction runs too.
        let mut reader = packs.reader(16 * 1024);
        for round in 0..2 {
            for tree in &trees {
                let (kind, data) = reader.find(tree).expect("packed");
                assert_eq!(kind, gix::object::Kind::Tree, "round {round}");
                let expected = repo.find_object(*tree).unwrap();
                assert_eq!(data.as_slice(), &expected.data[..], "tree {tree}");
            }
        }
        let missing = ObjectId::from_hex(b"0123456789012345678901234567890123456789").unwrap();
        assert!(reader.find(&missing).is_none());
    }
}
