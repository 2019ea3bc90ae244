//! The reader against gix's own index decoding, on indexes written by git.

use super::*;
use crate::source::git::test_repo::git;
use std::path::Path;

/// A committed repository with nested folders, an executable, a symlink
/// and a staged change, so part of the cache tree is valid and part
/// invalidated.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"], None);
    for path in ["a.txt", "b/c.txt", "b/d/e.txt", "b/d/f.txt", "b-x", "z/y"] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, format!("content of {path}\n")).unwrap();
    }
    std::fs::write(root.join("run.sh"), "#!/bin/sh\n").unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("link")).unwrap();
    git(root, &["add", "-A"], None);
    git(root, &["update-index", "--chmod=+x", "run.sh"], None);
    git(root, &["commit", "-q", "-m", "one"], None);
    std::fs::write(root.join("b/d/e.txt"), "changed\n").unwrap();
    git(root, &["add", "b/d/e.txt"], None);
    dir
}

/// Stores `text` as a blob and returns its id.
fn write_blob(dir: &Path, text: &str) -> String {
    git(dir, &["hash-object", "-w", "--stdin"], Some(text))
        .trim()
        .to_owned()
}

fn open(dir: &Path) -> gix::Repository {
    gix::open_opts(dir, gix::open::Options::isolated()).unwrap()
}

/// Asserts that our reader and gix see the same entries and cache tree.
fn assert_same_as_gix(dir: &Path) -> Index {
    let repo = open(dir);
    let ours = Index::read(&repo).unwrap();
    let theirs = gix::index::File::at(
        repo.index_path(),
        repo.object_hash(),
        false,
        Default::default(),
    )
    .unwrap();
    assert_eq!(ours.len(), theirs.entries().len());
    for (position, entry) in theirs.entries().iter().enumerate() {
        let expected = Entry {
            path: entry.path(&theirs),
            id: &entry.id,
            mode: entry.mode.bits(),
            stage: entry.stage_raw() as u8,
            intent_to_add: entry
                .flags
                .contains(gix::index::entry::Flags::INTENT_TO_ADD),
        };
        assert_eq!(ours.entry(position), expected, "entry {position}");
    }
    match (ours.cache_tree(), theirs.tree()) {
        (Some(node), Some(tree)) => assert_same_tree(node, tree),
        (None, None) => {}
        (ours, theirs) => panic!("cache tree: ours {ours:?}, gix {:?}", theirs.is_some()),
    }
    ours
}

fn assert_same_tree(ours: CacheNode<'_>, theirs: &gix::index::extension::Tree) {
    let expected = theirs.num_entries.is_some().then_some(theirs.id);
    assert_eq!(
        ours.id().map(|id| id.to_owned()),
        expected,
        "{}",
        theirs.name.as_bstr()
    );
    let node = &ours.tree.nodes[ours.node as usize];
    assert_eq!(
        node.children.len(),
        theirs.children.len(),
        "{}",
        theirs.name.as_bstr()
    );
    for child in &theirs.children {
        assert_same_tree(ours.child(&child.name).expect("child"), child);
    }
}

fn version(dir: &Path) -> u32 {
    let bytes = std::fs::read(dir.join(".git/index")).unwrap();
    be32(&bytes[4..])
}

#[test]
fn version_2_entries_and_cache_tree_match_gix() {
    let dir = fixture();
    assert_eq!(version(dir.path()), 2);
    let index = assert_same_as_gix(dir.path());
    let root = index.cache_tree().unwrap();
    // The change under b/d invalidated b/d, b and the root, not z.
    assert!(root.id().is_none());
    assert!(root.child(b"b").unwrap().id().is_none());
    assert!(root.child(b"z").unwrap().id().is_some());
}

/// gix 0.87 cannot decode an entry whose path fills the 12-bit length
/// field, so `git ls-files` is the reference here.
#[test]
fn a_path_longer_than_the_length_field_is_read_like_git() {
    let dir = fixture();
    let blob = write_blob(dir.path(), "long\n");
    let long_path = format!("{}/file", "d".repeat(5000));
    let cacheinfo = format!("100644,{blob},{long_path}");
    git(
        dir.path(),
        &["update-index", "--add", "--cacheinfo", &cacheinfo],
        None,
    );
    for version in ["2", "4"] {
        git(
            dir.path(),
            &["update-index", "--index-version", version],
            None,
        );
        let index = Index::read(&open(dir.path())).unwrap();
        let ours: Vec<String> = (0..index.len())
            .map(|i| index.entry(i))
            .map(|e| format!("{:o} {} {}\t{}", e.mode, e.id, e.stage, e.path))
            .collect();
        let listed = git(dir.path(), &["ls-files", "--stage"], None);
        assert_eq!(
            ours,
            listed.lines().collect::<Vec<_>>(),
            "version {version}"
        );
    }
}

#[test]
fn version_3_intent_to_add_entries_match_gix() {
    let dir = fixture();
    std::fs::write(dir.path().join("new.txt"), "later\n").unwrap();
    git(dir.path(), &["add", "-N", "new.txt"], None);
    assert_eq!(version(dir.path()), 3);
    let index = assert_same_as_gix(dir.path());
    let added: Vec<_> = (0..index.len())
        .map(|i| index.entry(i))
        .filter(|e| e.intent_to_add)
        .map(|e| e.path.to_string())
        .collect();
    assert_eq!(added, ["new.txt"]);
}

#[test]
fn version_4_prefix_compressed_paths_match_gix() {
    let dir = fixture();
    git(dir.path(), &["update-index", "--index-version", "4"], None);
    assert_eq!(version(dir.path()), 4);
    assert_same_as_gix(dir.path());
}

#[test]
fn conflict_stages_match_gix() {
    let dir = fixture();
    let blob = write_blob(dir.path(), "side\n");
    let info = format!(
        "0 {zero}\tb/c.txt\n100644 {blob} 1\tb/c.txt\n100644 {blob} 2\tb/c.txt\n100644 {blob} 3\tb/c.txt\n",
        zero = "0".repeat(40)
    );
    git(dir.path(), &["update-index", "--index-info"], Some(&info));
    let index = assert_same_as_gix(dir.path());
    let stages: Vec<u8> = (0..index.len())
        .map(|i| index.entry(i))
        .filter(|e| e.path == "b/c.txt")
        .map(|e| e.stage)
        .collect();
    assert_eq!(stages, [1, 2, 3]);
}

#[test]
fn a_split_index_is_read_through_gix() {
    let dir = fixture();
    git(dir.path(), &["update-index", "--split-index"], None);
    std::fs::write(dir.path().join("a.txt"), "after the split\n").unwrap();
    git(dir.path(), &["add", "a.txt"], None);
    let repo = open(dir.path());
    let index = Index::read(&repo).unwrap();
    assert!(matches!(index.entries, Entries::Decoded { .. }));
    let a = (0..index.len())
        .map(|i| index.entry(i))
        .find(|e| e.path == "a.txt")
        .unwrap();
    let staged = git(dir.path(), &["rev-parse", ":a.txt"], None);
    assert_eq!(a.id.to_string(), staged.trim());
}

#[test]
fn no_index_file_is_an_empty_index() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"], None);
    let index = Index::read(&open(dir.path())).unwrap();
    assert!(index.is_empty());
    assert!(index.cache_tree().is_none());
}

#[test]
fn a_damaged_index_is_an_error_naming_the_file_and_entry() {
    let dir = fixture();
    let path = dir.path().join(".git/index");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..200]).unwrap();
    let error = Index::read(&open(dir.path())).err().unwrap().to_string();
    assert!(error.contains(".git/index"), "{error}");
    assert!(
        error.contains("entry") && error.contains("cut short"),
        "{error}"
    );

    std::fs::write(&path, b"not an index at all, just some text").unwrap();
    let error = Index::read(&open(dir.path())).err().unwrap().to_string();
    assert!(error.contains("DIRC"), "{error}");
}

#[test]
fn end_of_prefix_finds_the_run_of_a_directory() {
    let dir = fixture();
    let index = Index::read(&open(dir.path())).unwrap();
    let paths: Vec<String> = (0..index.len())
        .map(|i| index.path(i).to_string())
        .collect();
    let start = paths.iter().position(|p| p.starts_with("b/")).unwrap();
    let end = index.end_of_prefix(start, index.len(), b"b/", None);
    for wrong in [0, 1, 2, 4, 100] {
        assert_eq!(
            index.end_of_prefix(start, index.len(), b"b/", Some(wrong)),
            end
        );
    }
    assert_eq!(index.end_of_prefix(start, index.len(), b"b/", Some(3)), end);
    assert_eq!(
        &paths[start..end],
        ["b/c.txt", "b/d/e.txt", "b/d/f.txt"],
        "b-x sorts before b/ and is not in the run"
    );
}

#[test]
fn a_deep_cache_tree_parses_without_recursion() {
    let hash_len = 20;
    let depth = 200_000;
    let mut data = Vec::new();
    for level in 0..depth {
        data.extend_from_slice(if level == 0 { b"" } else { b"d" });
        data.push(0);
        let subtrees = usize::from(level + 1 < depth);
        data.extend_from_slice(format!("-1 {subtrees}\n").as_bytes());
    }
    let tree = CacheTree::parse(&data, hash_len).unwrap();
    assert_eq!(tree.nodes.len(), depth);

    let error = CacheTree::parse(b"\0-1 2\n", hash_len).unwrap_err();
    assert!(error.contains("before all subtrees"), "{error}");
}

#[test]
fn version_4_path_lengths_decode_like_git() {
    // 0x80 0x00 is 128 in this encoding, not 0 as in LEB128.
    assert_eq!(read_offset_varint(&[0x05]), Some((5, 1)));
    assert_eq!(read_offset_varint(&[0x80, 0x00]), Some((128, 2)));
    assert_eq!(read_offset_varint(&[0x81, 0x7f]), Some((383, 2)));
    assert_eq!(read_offset_varint(&[0x80]), None);
}
