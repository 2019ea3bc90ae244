//! The git index (`.git/index`) read straight from its bytes: entries are
//! found by offset in a memory map and decoded only when looked at, and the
//! cache tree (`TREE` extension) is parsed so unchanged directories can be
//! skipped without touching their entries.
//!
//! A pre-commit scan in a 50,000-file repository spent about 10 ms having
//! gix decode every entry into owned structures, three times the rest of
//! the comparison with HEAD. Here one pass over the map records where each
//! entry starts, and nothing is copied. Versions 2, 3 and 4 are read (4
//! prefix-compresses paths, so its paths are decoded once into one buffer).
//! An index that needs another file to be complete (a split index, the
//! `link` extension) or has a required extension this reader does not know
//! is read through gix instead.
//!
//! The trailing checksum is not verified: hashing a 5 MB index with
//! collision-detecting SHA-1 costs more than the whole rest of a pre-commit
//! scan, and git replaces the file atomically, so a torn index is not what
//! the checksum would catch here.

use super::GitError;
use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use std::ops::Range;
use std::path::Path;

/// The ten 32-bit stat fields before an entry's object id.
const STAT_BYTES: usize = 40;
const FLAG_EXTENDED: u16 = 0x4000;
const FLAG_NAME_LENGTH: u16 = 0x0fff;
const EXTENDED_INTENT_TO_ADD: u16 = 0x2000;
const MODE_TYPE: u32 = 0o170000;
const MODE_GITLINK: u32 = 0o160000;
const MODE_DIRECTORY: u32 = 0o040000;

/// One index entry, borrowed from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub path: &'a BStr,
    pub id: &'a gix::oid,
    pub mode: u32,
    /// 0 for a normal entry; 1-3 for the sides of an unresolved conflict.
    pub stage: u8,
    /// Added with `git add -N`: a placeholder with no content to commit.
    pub intent_to_add: bool,
}

impl Entry<'_> {
    /// A submodule's commit (a gitlink), not a file.
    pub fn is_submodule(&self) -> bool {
        self.mode & MODE_TYPE == MODE_GITLINK
    }

    /// A whole directory outside the sparse-checkout cone, as one entry.
    pub fn is_sparse_directory(&self) -> bool {
        self.mode & MODE_TYPE == MODE_DIRECTORY
    }
}

/// The index: its entries in path order and its cache tree.
pub struct Index {
    entries: Entries,
    cache_tree: CacheTree,
}

/// Where the entries' fields live.
enum Entries {
    /// Versions 2 and 3: everything read in place from the map, found by
    /// the offset where each entry starts.
    Mapped {
        map: Bytes,
        starts: Vec<u32>,
        hash_len: usize,
    },
    /// Version 4 and indexes read through gix: decoded once.
    Decoded {
        paths: Vec<u8>,
        entries: Vec<DecodedEntry>,
    },
}

struct DecodedEntry {
    path: Range<usize>,
    id: ObjectId,
    mode: u32,
    stage: u8,
    intent_to_add: bool,
}

/// The index file's bytes: mapped, or empty when there is no index yet.
enum Bytes {
    Map(memmap2::Mmap),
    Empty,
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Map(map) => map,
            Bytes::Empty => &[],
        }
    }
}

impl Index {
    /// Reads the repository's index; no index file is an empty index (a
    /// repository where nothing was ever staged).
    pub fn read(repo: &gix::Repository) -> Result<Index, GitError> {
        let path = repo.index_path();
        let hash_len = repo.object_hash().len_in_bytes();
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Index::empty(Bytes::Empty, hash_len));
            }
            Err(e) => return Err(index_error(&path, format!("cannot open: {e}"))),
        };
        // SAFETY: the map is read-only. git never rewrites an index in
        // place (it writes `index.lock` and renames it over), so the mapped
        // file does not change while we read it.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| index_error(&path, format!("cannot map: {e}")))?;
        match Index::from_bytes(Bytes::Map(map), hash_len) {
            Ok(index) => Ok(index),
            Err(Unreadable::NeedsGix) => Index::read_with_gix(repo, &path),
            Err(Unreadable::Malformed(message)) => Err(index_error(&path, message)),
        }
    }

    pub fn len(&self) -> usize {
        match &self.entries {
            Entries::Mapped { starts, .. } => starts.len(),
            Entries::Decoded { entries, .. } => entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry at `position` (0-based, in path order).
    pub fn entry(&self, position: usize) -> Entry<'_> {
        match &self.entries {
            Entries::Mapped {
                map,
                starts,
                hash_len,
            } => {
                // Bounds were checked when `starts` was built.
                let fixed = fixed_part(map, starts[position] as usize, *hash_len);
                let fixed = fixed.expect("checked");
                let path_len = path_length(map, fixed.path_start, fixed.flags).expect("checked");
                fixed.entry(map[fixed.path_start..][..path_len].as_bstr())
            }
            Entries::Decoded { paths, entries } => {
                let entry = &entries[position];
                Entry {
                    path: paths[entry.path.clone()].as_bstr(),
                    id: &entry.id,
                    mode: entry.mode,
                    stage: entry.stage,
                    intent_to_add: entry.intent_to_add,
                }
            }
        }
    }

    /// The path of the entry at `position`.
    pub fn path(&self, position: usize) -> &BStr {
        self.entry(position).path
    }

    /// The end of the run of entries from `start` (before `end`) whose path
    /// starts with `prefix`. Entries are sorted by path, so the entries under
    /// a directory are contiguous; this is a binary search, after checking
    /// `expected`, the run's length if known (the cache tree's count).
    pub fn end_of_prefix(
        &self,
        start: usize,
        end: usize,
        prefix: &[u8],
        expected: Option<usize>,
    ) -> usize {
        if let Some(length) = expected
            && length > 0
            && start + length <= end
            && self.path(start + length - 1).starts_with(prefix)
            && (start + length == end || !self.path(start + length).starts_with(prefix))
        {
            return start + length;
        }
        let (mut low, mut high) = (start, end);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.path(middle).starts_with(prefix) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// The cache tree's root, or `None` when the index has none.
    pub fn cache_tree(&self) -> Option<CacheNode<'_>> {
        (!self.cache_tree.nodes.is_empty()).then_some(CacheNode {
            tree: &self.cache_tree,
            node: 0,
        })
    }

    fn empty(map: Bytes, hash_len: usize) -> Index {
        Index {
            entries: Entries::Mapped {
                map,
                starts: Vec::new(),
                hash_len,
            },
            cache_tree: CacheTree::default(),
        }
    }

    fn from_bytes(map: Bytes, hash_len: usize) -> Result<Index, Unreadable> {
        if map.is_empty() {
            return Ok(Index::empty(map, hash_len));
        }
        if map.len() < 12 + hash_len || &map[..4] != b"DIRC" {
            return Err(Unreadable::Malformed(
                "not a git index (no DIRC header)".into(),
            ));
        }
        if map.len() > u32::MAX as usize {
            return Err(Unreadable::Malformed("larger than 4 GiB".into()));
        }
        let version = be32(&map[4..]);
        let count = be32(&map[8..]) as usize;
        let body_end = map.len() - hash_len;
        let (entries, extensions_start) = match version {
            2 | 3 => {
                let (starts, end) = entry_starts(&map[..body_end], count, hash_len)?;
                (
                    Entries::Mapped {
                        map,
                        starts,
                        hash_len,
                    },
                    end,
                )
            }
            4 => {
                let (decoded, end) = decode_v4(&map[..body_end], count, hash_len)?;
                return Ok(Index {
                    cache_tree: read_extensions(&map[end..body_end], hash_len)?,
                    entries: decoded,
                });
            }
            other => {
                return Err(Unreadable::Malformed(format!(
                    "index version {other} is not one git writes (2, 3 or 4)"
                )));
            }
        };
        let Entries::Mapped { map, .. } = &entries else {
            unreachable!("versions 2 and 3 are mapped")
        };
        let cache_tree = read_extensions(&map[extensions_start..body_end], hash_len)?;
        Ok(Index {
            entries,
            cache_tree,
        })
    }

    /// The fallback for what this reader leaves to gix (a split index).
    fn read_with_gix(repo: &gix::Repository, path: &Path) -> Result<Index, GitError> {
        let file = gix::index::File::at(path, repo.object_hash(), true, Default::default())
            .map_err(|e| index_error(path, e.to_string()))?;
        let mut paths = Vec::new();
        let mut entries = Vec::with_capacity(file.entries().len());
        for entry in file.entries() {
            let start = paths.len();
            paths.extend_from_slice(entry.path(&file));
            entries.push(DecodedEntry {
                path: start..paths.len(),
                id: entry.id,
                mode: entry.mode.bits(),
                stage: entry.stage_raw() as u8,
                intent_to_add: entry
                    .flags
                    .contains(gix::index::entry::Flags::INTENT_TO_ADD),
            });
        }
        let mut cache_tree = CacheTree::default();
        if let Some(root) = file.tree() {
            cache_tree.push_gix(root);
            cache_tree.sort_children();
        }
        Ok(Index {
            entries: Entries::Decoded { paths, entries },
            cache_tree,
        })
    }
}

/// Why this reader did not produce an index.
enum Unreadable {
    /// Valid, but needs what only gix reads (a split index).
    NeedsGix,
    Malformed(String),
}

fn index_error(path: &Path, message: impl std::fmt::Display) -> GitError {
    GitError::Index(format!("{}: {message}", path.display()))
}

fn be16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

fn stage(flags: u16) -> u8 {
    ((flags >> 12) & 0b11) as u8
}

/// What precedes an entry's path: its stat fields (of which only the mode
/// matters here), object id and flags.
struct FixedPart<'a> {
    id: &'a gix::oid,
    mode: u32,
    flags: u16,
    intent_to_add: bool,
    /// Where the path (in version 4, its compressed form) begins.
    path_start: usize,
}

impl<'a> FixedPart<'a> {
    fn entry(&self, path: &'a BStr) -> Entry<'a> {
        Entry {
            path,
            id: self.id,
            mode: self.mode,
            stage: stage(self.flags),
            intent_to_add: self.intent_to_add,
        }
    }
}

/// The fixed part of the entry at `at`, or `None` if it runs past `bytes`.
fn fixed_part(bytes: &[u8], at: usize, hash_len: usize) -> Option<FixedPart<'_>> {
    let id_end = at + STAT_BYTES + hash_len;
    let flags = be16(bytes.get(id_end..id_end + 2)?);
    let extended = flags & FLAG_EXTENDED != 0;
    let path_start = id_end + 2 + if extended { 2 } else { 0 };
    Some(FixedPart {
        id: gix::oid::from_bytes_unchecked(&bytes[at + STAT_BYTES..id_end]),
        mode: be32(&bytes[at + 24..]),
        flags,
        intent_to_add: extended
            && be16(bytes.get(id_end + 2..path_start)?) & EXTENDED_INTENT_TO_ADD != 0,
        path_start,
    })
}

/// The length of the NUL-terminated path at `start`: from the flags, or
/// for paths of 4095 bytes and more (the field saturates) by finding the NUL.
fn path_length(bytes: &[u8], start: usize, flags: u16) -> Option<usize> {
    let short = (flags & FLAG_NAME_LENGTH) as usize;
    if short < FLAG_NAME_LENGTH as usize {
        (start + short < bytes.len() && bytes[start + short] == 0).then_some(short)
    } else {
        memchr::memchr(0, bytes.get(start..)?)
    }
}

/// One pass over version 2/3 entries: where each starts, and where the
/// extensions begin. Every entry is bounds-checked here once, so reading
/// one later cannot go out of range.
fn entry_starts(
    body: &[u8],
    count: usize,
    hash_len: usize,
) -> Result<(Vec<u32>, usize), Unreadable> {
    let mut starts = Vec::with_capacity(count.min(body.len() / 62));
    let mut at = 12;
    for number in 0..count {
        let truncated = || Unreadable::Malformed(format!("entry {number} is cut short"));
        let fixed = fixed_part(body, at, hash_len).ok_or_else(truncated)?;
        let path_len = path_length(body, fixed.path_start, fixed.flags).ok_or_else(truncated)?;
        starts.push(at as u32);
        // Entries are padded with 1-8 NULs to a multiple of 8 bytes.
        let length = fixed.path_start - at + path_len;
        at += (length + 8) & !7;
        if at > body.len() {
            return Err(truncated());
        }
    }
    Ok((starts, at))
}

/// Version 4 entries: each path is the previous one with some bytes
/// removed from its end and a NUL-terminated suffix appended, no padding.
fn decode_v4(body: &[u8], count: usize, hash_len: usize) -> Result<(Entries, usize), Unreadable> {
    let mut paths: Vec<u8> = Vec::new();
    let mut entries = Vec::with_capacity(count.min(body.len() / 42));
    let mut previous: Range<usize> = 0..0;
    let mut at = 12;
    for number in 0..count {
        let truncated = || Unreadable::Malformed(format!("entry {number} is cut short"));
        let fixed = fixed_part(body, at, hash_len).ok_or_else(truncated)?;
        let mut cursor = fixed.path_start;
        let (strip, used) = read_offset_varint(&body[cursor..]).ok_or_else(truncated)?;
        cursor += used;
        let suffix_len = memchr::memchr(0, &body[cursor..]).ok_or_else(truncated)?;
        if strip > previous.len() {
            return Err(Unreadable::Malformed(format!(
                "entry {number} removes more of the previous path than it has"
            )));
        }
        let start = paths.len();
        paths.extend_from_within(previous.start..previous.end - strip);
        paths.extend_from_slice(&body[cursor..cursor + suffix_len]);
        previous = start..paths.len();
        entries.push(DecodedEntry {
            path: previous.clone(),
            id: fixed.id.to_owned(),
            mode: fixed.mode,
            stage: stage(fixed.flags),
            intent_to_add: fixed.intent_to_add,
        });
        at = cursor + suffix_len + 1;
    }
    Ok((Entries::Decoded { paths, entries }, at))
}

/// The variable-length integer of index version 4 (the encoding of a pack's
/// delta base offsets): 7 bits a byte, high bit set on all but the last,
/// each continuation adding one before shifting.
fn read_offset_varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: usize = 0;
    for (used, &byte) in bytes.iter().enumerate() {
        if used > 0 {
            value = value.checked_add(1)?.checked_mul(128)?;
        }
        value |= (byte & 0x7f) as usize;
        if byte & 0x80 == 0 {
            return Some((value, used + 1));
        }
    }
    None
}

/// Walks the extensions: the cache tree is kept, other optional ones
/// (upper-case signature) are skipped, and a required one this reader does
/// not handle sends the index to gix. `sdir` only says that entries may be
/// sparse directories, which `Entry::is_sparse_directory` tells.
fn read_extensions(mut bytes: &[u8], hash_len: usize) -> Result<CacheTree, Unreadable> {
    let mut cache_tree = CacheTree::default();
    while !bytes.is_empty() {
        if bytes.len() < 8 {
            return Err(Unreadable::Malformed(
                "an extension header is cut short".into(),
            ));
        }
        let signature = &bytes[..4];
        let size = be32(&bytes[4..]) as usize;
        let Some(data) = bytes.get(8..8 + size) else {
            return Err(Unreadable::Malformed(format!(
                "extension {} is cut short",
                signature.as_bstr()
            )));
        };
        match signature {
            b"TREE" => {
                cache_tree = CacheTree::parse(data, hash_len).map_err(|message| {
                    Unreadable::Malformed(format!("cache tree (TREE extension): {message}"))
                })?;
            }
            b"sdir" => {}
            _ if signature[0].is_ascii_uppercase() => {}
            _ => return Err(Unreadable::NeedsGix),
        }
        bytes = &bytes[8 + size..];
    }
    Ok(cache_tree)
}

/// The cache tree: for each directory, the tree id the index would write
/// for it, unless a change since it was computed invalidated it.
#[derive(Debug, Default)]
struct CacheTree {
    /// In pre-order; the root first.
    nodes: Vec<CacheTreeNode>,
}

#[derive(Debug)]
struct CacheTreeNode {
    name: Vec<u8>,
    /// `None` when invalidated.
    id: Option<ObjectId>,
    /// How many index entries the tree covers, not counting intent-to-add
    /// placeholders; meaningless when invalidated.
    entry_count: u32,
    children: Vec<u32>,
}

impl CacheTree {
    /// Parses the `TREE` extension: per directory in pre-order, its name
    /// (NUL-terminated), its entry count (-1 when invalid), a space, its
    /// number of subdirectories, a newline, and its tree id when valid.
    /// Iterative, so a deep tree cannot exhaust the stack.
    fn parse(mut data: &[u8], hash_len: usize) -> Result<CacheTree, String> {
        let mut tree = CacheTree::default();
        // (node, subdirectories still to read) for each open directory.
        let mut open: Vec<(u32, usize)> = Vec::new();
        while !data.is_empty() {
            let name_end = memchr::memchr(0, data).ok_or("a name is not terminated")?;
            let name = data[..name_end].to_vec();
            data = &data[name_end + 1..];
            let line_end = memchr::memchr(b'\n', data).ok_or("a count line is not terminated")?;
            let line = std::str::from_utf8(&data[..line_end]).map_err(|_| "a count is not text")?;
            data = &data[line_end + 1..];
            let (entries, subtrees) = line.split_once(' ').ok_or("a count line has no space")?;
            let entries: i64 = entries
                .parse()
                .map_err(|_| "an entry count is not a number")?;
            let subtrees: usize = subtrees
                .parse()
                .map_err(|_| "a subtree count is not a number")?;
            let entry_count = u32::try_from(entries).unwrap_or(0);
            let id = if entries >= 0 {
                let bytes = data.get(..hash_len).ok_or("a tree id is cut short")?;
                data = &data[hash_len..];
                Some(ObjectId::from_bytes_or_panic(bytes))
            } else {
                None
            };
            let node = tree.nodes.len() as u32;
            if let Some((parent, remaining)) = open.last_mut() {
                *remaining -= 1;
                let parent = *parent as usize;
                tree.nodes[parent].children.push(node);
            } else if node != 0 {
                return Err("more than one root".into());
            }
            tree.nodes.push(CacheTreeNode {
                name,
                id,
                entry_count,
                children: Vec::new(),
            });
            open.push((node, subtrees));
            while open.last().is_some_and(|&(_, remaining)| remaining == 0) {
                open.pop();
            }
        }
        if !open.is_empty() {
            return Err("it ends before all subtrees are listed".into());
        }
        tree.sort_children();
        Ok(tree)
    }

    /// git writes subdirectories ordered by name length, then name; other
    /// writers may not. Sorting makes `CacheNode::child` a binary search
    /// either way (and costs one pass where they already are).
    fn sort_children(&mut self) {
        for node in 0..self.nodes.len() {
            let mut children = std::mem::take(&mut self.nodes[node].children);
            children.sort_unstable_by(|&a, &b| self.order_key(a).cmp(&self.order_key(b)));
            self.nodes[node].children = children;
        }
    }

    fn order_key(&self, node: u32) -> (usize, &[u8]) {
        let name = &self.nodes[node as usize].name;
        (name.len(), name)
    }

    fn push_gix(&mut self, root: &gix::index::extension::Tree) -> u32 {
        let node = self.nodes.len() as u32;
        self.nodes.push(CacheTreeNode {
            name: root.name.to_vec(),
            id: root.num_entries.is_some().then_some(root.id),
            entry_count: root.num_entries.unwrap_or(0),
            children: Vec::new(),
        });
        for child in &root.children {
            let child = self.push_gix(child);
            self.nodes[node as usize].children.push(child);
        }
        node
    }
}

/// A directory of the cache tree.
#[derive(Debug, Clone, Copy)]
pub struct CacheNode<'a> {
    tree: &'a CacheTree,
    node: u32,
}

impl<'a> CacheNode<'a> {
    /// The tree id the index holds for this directory, unless invalidated.
    pub fn id(&self) -> Option<&'a gix::oid> {
        self.tree.nodes[self.node as usize].id.as_deref()
    }

    /// How many index entries this directory holds (intent-to-add
    /// placeholders aside), unless invalidated.
    pub fn entry_count(&self) -> Option<usize> {
        let node = &self.tree.nodes[self.node as usize];
        node.id.map(|_| node.entry_count as usize)
    }

    /// The subdirectory called `name`, if the cache tree has it.
    pub fn child(&self, name: &[u8]) -> Option<CacheNode<'a>> {
        let tree = self.tree;
        let children = &tree.nodes[self.node as usize].children;
        children
            .binary_search_by(|&child| tree.order_key(child).cmp(&(name.len(), name)))
            .ok()
            .map(|found| CacheNode {
                tree,
                node: children[found],
            })
    }
}

#[cfg(test)]
mod tests;
