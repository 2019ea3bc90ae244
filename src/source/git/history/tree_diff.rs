//! What a commit introduced: the blobs its tree has at a path where none of
//! its parents' trees has the same blob.
//!
//! A history walk compares each tree with its parents' versions, and two
//! versions of a directory are mostly the same bytes: in git/git a root tree
//! holds about 450 entries and a commit changes one or two. So each tree is
//! parsed once into entry offsets, and a comparison skips the entries inside
//! the bytes both versions share at their start and at their end, found with
//! a plain byte comparison. Only the entries between are compared by name.

use super::super::budget_cache::BudgetCache;
use super::super::packs::lookup::CachedReader;
use gix::ObjectId;
use gix::bstr::BString;
use std::sync::Arc;

/// Blobs and submodule commits a commit introduced.
#[derive(Default)]
pub struct Introduced {
    pub blobs: Vec<(ObjectId, BString)>,
    pub submodules: Vec<ObjectId>,
}

/// What a tree entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tree,
    /// A submodule's commit.
    Commit,
    /// A file or a symbolic link.
    Blob,
}

/// One entry: `<octal mode> <name>\0<object id>`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    name_start: u32,
    /// Where the name's terminating NUL is; the id follows it.
    name_end: u32,
    kind: Kind,
}

/// A tree's bytes and where each of its entries lies.
struct ParsedTree {
    data: Arc<Vec<u8>>,
    entries: Vec<Entry>,
}

impl ParsedTree {
    fn parse(id: ObjectId, data: Arc<Vec<u8>>, hash_len: usize) -> Result<ParsedTree, String> {
        let broken =
            |what: &str, at: usize| format!("tree {id}: cannot decode: {what} at byte {at}");
        // About 30 bytes an entry: a mode, a short name, an id.
        let mut entries = Vec::with_capacity(data.len() / 30 + 1);
        let bytes = &data[..];
        let mut at = 0;
        while at < bytes.len() {
            // Neither the mode nor the name holds a NUL.
            let name_end = memchr::memchr(0, &bytes[at..])
                .map(|n| at + n)
                .ok_or_else(|| broken("an unterminated entry", at))?;
            let mut mode = 0u32;
            let mut space = at;
            while space < name_end && bytes[space] != b' ' {
                let digit = bytes[space].wrapping_sub(b'0');
                if digit > 7 || space - at == 7 {
                    return Err(broken("a mode that is not octal", at));
                }
                mode = (mode << 3) | u32::from(digit);
                space += 1;
            }
            if space == at || space == name_end {
                return Err(broken("no mode", at));
            }
            let kind = match mode & 0o170000 {
                0o040000 => Kind::Tree,
                0o160000 => Kind::Commit,
                _ => Kind::Blob,
            };
            let end = name_end + 1 + hash_len;
            if end > bytes.len() {
                return Err(broken("a truncated object id", at));
            }
            entries.push(Entry {
                start: at as u32,
                name_start: (space + 1) as u32,
                name_end: name_end as u32,
                kind,
            });
            at = end;
        }
        Ok(ParsedTree { data, entries })
    }

    fn name(&self, entry: &Entry) -> &[u8] {
        &self.data[entry.name_start as usize..entry.name_end as usize]
    }

    fn oid(&self, entry: &Entry, hash_len: usize) -> &gix::oid {
        let at = entry.name_end as usize + 1;
        gix::oid::from_bytes_unchecked(&self.data[at..at + hash_len])
    }

    /// Where entry `index` ends (the next one starts).
    fn end(&self, index: usize) -> usize {
        self.entries
            .get(index + 1)
            .map_or(self.data.len(), |next| next.start as usize)
    }

    /// How many leading entries are the same bytes in `parent`, and from
    /// which entry on all the rest are: both parse the same from there.
    fn shared_with(&self, parent: &ParsedTree) -> (usize, usize) {
        let (ours, theirs) = (&self.data[..], &parent.data[..]);
        let prefix = common_prefix(ours, theirs);
        let leading = (0..self.entries.len())
            .find(|&i| self.end(i) > prefix)
            .unwrap_or(self.entries.len());
        let suffix = common_prefix_rev(ours, theirs);
        let shift = theirs.len() as i64 - ours.len() as i64;
        // The first entry inside the shared end that also starts an entry
        // of the parent, at the same distance from the end.
        let first_in_suffix = self
            .entries
            .partition_point(|e| (e.start as usize) < ours.len() - suffix);
        let trailing = (first_in_suffix..self.entries.len())
            .take(4)
            .find(|&i| {
                let theirs_at = self.entries[i].start as i64 + shift;
                parent
                    .entries
                    .binary_search_by_key(&theirs_at, |e| i64::from(e.start))
                    .is_ok()
            })
            .unwrap_or(self.entries.len());
        (leading, trailing.max(leading))
    }
}

/// How many bytes `a` and `b` share at their start.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= len && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..len]
        .iter()
        .zip(&b[at..len])
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many bytes `a` and `b` share at their end.
fn common_prefix_rev(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let len = a.len().min(b.len());
    let (a_end, b_end) = (a.len(), b.len());
    let mut n = 0;
    while n + BLOCK <= len && a[a_end - n - BLOCK..a_end - n] == b[b_end - n - BLOCK..b_end - n] {
        n += BLOCK;
    }
    n + a[..a_end - n]
        .iter()
        .rev()
        .zip(b[..b_end - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Git's tree order: names compared bytewise, a tree's name as if it ended
/// in `/`. Equal means same name and both trees or both not.
fn tree_order(a: &[u8], a_is_tree: bool, b: &[u8], b_is_tree: bool) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then_with(|| {
        let next =
            |name: &[u8], is_tree: bool| name.get(common).copied().or(is_tree.then_some(b'/'));
        next(a, a_is_tree).cmp(&next(b, b_is_tree))
    })
}

/// Reads and parses trees for one thread. Each tree is read twice in a
/// row, as a parent's and then as the next commit's own, so parsed trees
/// are kept a while (their bytes are mostly shared with `packed`'s cache).
pub struct Trees<'a> {
    pub repo: gix::Repository,
    packed: CachedReader<'a>,
    hash_len: usize,
    parsed: BudgetCache<ObjectId, Arc<ParsedTree>>,
}

impl<'a> Trees<'a> {
    pub fn new(repo: gix::Repository, packed: CachedReader<'a>, parsed_budget: usize) -> Trees<'a> {
        let hash_len = repo.object_hash().len_in_bytes();
        Trees {
            repo,
            packed,
            hash_len,
            parsed: BudgetCache::new(parsed_budget),
        }
    }

    /// Records the blobs under `tree` that none of `parents` has at the same
    /// path, each with its path under `path`.
    pub fn diff_commit(
        &mut self,
        tree: ObjectId,
        parents: &[ObjectId],
        found: &mut Introduced,
    ) -> Result<(), String> {
        let mut path = BString::default();
        self.diff(tree, parents, &mut path, found)
    }

    fn read(&mut self, id: ObjectId) -> Result<Arc<ParsedTree>, String> {
        if let Some(tree) = self.parsed.get(&id) {
            return Ok(tree);
        }
        let data = match self.packed.find(&id) {
            Some((gix::object::Kind::Tree, data)) => data,
            Some((kind, _)) => return Err(format!("tree {id}: is a {kind}, not a tree")),
            None => {
                let object = self
                    .repo
                    .find_object(id)
                    .map_err(|e| format!("tree {id}: {e}"))?;
                Arc::new(object.data.clone())
            }
        };
        let tree = Arc::new(ParsedTree::parse(id, data, self.hash_len)?);
        let bytes = tree.data.len() + tree.entries.len() * std::mem::size_of::<Entry>();
        self.parsed.put(id, Arc::clone(&tree), bytes);
        Ok(tree)
    }

    fn diff(
        &mut self,
        tree: ObjectId,
        parents: &[ObjectId],
        path: &mut BString,
        found: &mut Introduced,
    ) -> Result<(), String> {
        if parents.contains(&tree) {
            return Ok(());
        }
        let hash_len = self.hash_len;
        let ours = self.read(tree)?;
        let theirs = parents
            .iter()
            .map(|&p| self.read(p))
            .collect::<Result<Vec<_>, _>>()?;
        // Entries before `from` or from `to` on are byte for byte in one of
        // the parents: unchanged. Each parent's cursor starts where its own
        // shared start ends (the same entries, in the same places).
        let mut from = 0;
        let mut to = ours.entries.len();
        let mut cursors = Vec::with_capacity(theirs.len());
        for parent in &theirs {
            let (leading, trailing) = ours.shared_with(parent);
            from = from.max(leading);
            to = to.min(trailing);
            cursors.push(leading);
        }
        let mut sub_parents = Vec::new();
        for entry in &ours.entries[from..to.max(from)] {
            let name = ours.name(entry);
            let is_tree = entry.kind == Kind::Tree;
            let oid = ours.oid(entry, hash_len);
            let mut unchanged = false;
            sub_parents.clear();
            for (parent, cursor) in theirs.iter().zip(&mut cursors) {
                while let Some(older) = parent.entries.get(*cursor) {
                    let older_is_tree = older.kind == Kind::Tree;
                    match tree_order(parent.name(older), older_is_tree, name, is_tree) {
                        std::cmp::Ordering::Less => *cursor += 1,
                        std::cmp::Ordering::Equal => {
                            let older_oid = parent.oid(older, hash_len);
                            if older_oid == oid {
                                unchanged = true;
                            } else if is_tree {
                                sub_parents.push(older_oid.to_owned());
                            }
                            break;
                        }
                        std::cmp::Ordering::Greater => break,
                    }
                }
            }
            if unchanged {
                continue;
            }
            let base = path.len();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            match entry.kind {
                Kind::Tree => {
                    let subtree_parents = std::mem::take(&mut sub_parents);
                    self.diff(oid.to_owned(), &subtree_parents, path, found)?;
                }
                Kind::Commit => found.submodules.push(oid.to_owned()),
                Kind::Blob => found.blobs.push((oid.to_owned(), path.clone())),
            }
            path.truncate(base);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_bytes(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut data = Vec::new();
        for (mode, name, id) in entries {
            data.extend_from_slice(mode.as_bytes());
            data.push(b' ');
            data.extend_from_slice(name.as_bytes());
            data.push(0);
            data.extend_from_slice(&[*id; 20]);
        }
        data
    }

    fn parsed(entries: &[(&str, &str, u8)]) -> ParsedTree {
        ParsedTree::parse(
            ObjectId::null(gix::hash::Kind::Sha1),
            Arc::new(tree_bytes(entries)),
            20,
        )
        .unwrap()
    }

    #[test]
    fn a_tree_parses_into_its_entries() {
        let tree = parsed(&[
            ("100644", "a.txt", 1),
            ("40000", "dir", 2),
            ("160000", "sub", 3),
        ]);
        let kinds: Vec<Kind> = tree.entries.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [Kind::Blob, Kind::Tree, Kind::Commit]);
        assert_eq!(tree.name(&tree.entries[1]), b"dir");
        assert_eq!(tree.oid(&tree.entries[2], 20).as_bytes(), &[3; 20]);
    }

    #[test]
    fn damaged_trees_are_named_errors() {
        let id = ObjectId::null(gix::hash::Kind::Sha1);
        for broken in [
            &b"100644 name"[..],
            b"10x644 a\0",
            b"100644 a\0short",
            b"nospace",
        ] {
            let error = ParsedTree::parse(id, Arc::new(broken.to_vec()), 20)
                .err()
                .expect("an error");
            assert!(
                error.starts_with(&format!("tree {id}: cannot decode")),
                "{error}"
            );
        }
    }

    #[test]
    fn shared_entries_are_found_at_both_ends() {
        let parent = parsed(&[
            ("100644", "a", 1),
            ("100644", "b", 2),
            ("100644", "c", 3),
            ("100644", "d", 4),
        ]);
        // One entry changed in the middle: a and d are shared.
        let child = parsed(&[
            ("100644", "a", 1),
            ("100644", "b", 2),
            ("100644", "c", 9),
            ("100644", "d", 4),
        ]);
        assert_eq!(child.shared_with(&parent), (2, 3));
        // An entry inserted: its neighbours are shared, at shifted places.
        let child = parsed(&[
            ("100644", "a", 1),
            ("100644", "b", 2),
            ("100644", "bb", 7),
            ("100644", "c", 3),
            ("100644", "d", 4),
        ]);
        assert_eq!(child.shared_with(&parent), (2, 3));
        // An entry removed: nothing left between.
        let child = parsed(&[("100644", "a", 1), ("100644", "c", 3), ("100644", "d", 4)]);
        assert_eq!(child.shared_with(&parent), (1, 1));
        // The only difference is inside an id's last byte.
        let child = parsed(&[
            ("100644", "a", 1),
            ("100644", "b", 2),
            ("100644", "c", 3),
            ("100644", "d", 5),
        ]);
        assert_eq!(child.shared_with(&parent), (3, 4));
    }

    #[test]
    fn tree_names_sort_as_if_trees_ended_in_a_slash() {
        use std::cmp::Ordering::*;
        assert_eq!(tree_order(b"a", true, b"a.txt", false), Greater); // "a/" > "a."
        assert_eq!(tree_order(b"a", false, b"a.txt", false), Less);
        assert_eq!(tree_order(b"a", true, b"a", true), Equal);
        assert_eq!(tree_order(b"a", true, b"a", false), Greater);
    }
}
