//! The index-to-HEAD comparison against `git diff --cached`.

use super::*;
use crate::source::git::test_repo::git;
use std::path::Path;

/// A committed tree, then a staged change touching every kind of entry:
/// edits deep and shallow, new folders, a deletion, a rename, a file
/// replaced by a folder of the same name, names that sort around `/`, and
/// an intent-to-add placeholder.
fn staged_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    git(root, &["init", "-q", "-b", "main"], None);
    for folder in 0..12 {
        for file in 0..6 {
            write(
                &format!("src/m{folder}/f{file}.rs"),
                &format!("// {folder} {file}\n"),
            );
        }
    }
    for path in [
        "a.txt",
        "b",
        "b.txt",
        "b-c/x",
        "deep/er/still/file",
        "gone.txt",
    ] {
        write(path, &format!("{path}\n"));
    }
    write("old/name.cfg", "renamed content\n");
    git(root, &["add", "-A"], None);
    git(root, &["commit", "-q", "-m", "base"], None);

    write("src/m3/f2.rs", "// edited\n");
    write("src/m11/new.rs", "// new\n");
    write("src/n0/brand.rs", "// new folder\n");
    write("deep/er/still/file", "edited deep\n");
    write("a.txt", "edited\n");
    std::fs::remove_file(root.join("b")).unwrap();
    write("b/inside", "b is a folder now\n");
    write("b.txt", "edited too\n");
    std::fs::remove_file(root.join("gone.txt")).unwrap();
    std::fs::create_dir_all(root.join("new")).unwrap();
    std::fs::rename(root.join("old/name.cfg"), root.join("new/name.cfg")).unwrap();
    git(root, &["add", "-A"], None);
    write("later.txt", "not yet\n");
    git(root, &["add", "-N", "later.txt"], None);
    dir
}

/// What git says is staged and has content to scan.
fn git_staged(dir: &Path) -> Vec<String> {
    let listed = git(
        dir,
        &[
            "diff",
            "--cached",
            "--name-only",
            "--no-renames",
            "--diff-filter=AM",
        ],
        None,
    );
    listed.lines().map(str::to_owned).collect()
}

fn ours(dir: &Path) -> StagedChanges {
    let repo = gix::open_opts(dir, gix::open::Options::isolated()).unwrap();
    staged_changes(&repo).unwrap()
}

fn paths(changes: &StagedChanges) -> Vec<String> {
    changes.files.iter().map(|f| f.path.to_string()).collect()
}

#[test]
fn the_comparison_matches_git_diff_cached() {
    let dir = staged_fixture();
    let expected = git_staged(dir.path());
    assert!(expected.len() >= 8, "{expected:?}");
    let changes = ours(dir.path());
    assert_eq!(paths(&changes), expected);
    assert_eq!(changes.intent_to_add, 1);
    let renamed = changes
        .files
        .iter()
        .find(|f| f.path == "new/name.cfg")
        .unwrap();
    let old = git(dir.path(), &["rev-parse", "HEAD:old/name.cfg"], None);
    assert_eq!(renamed.previous.unwrap().to_string(), old.trim());
}

#[test]
fn the_comparison_holds_without_a_valid_cache_tree_and_in_version_4() {
    let dir = staged_fixture();
    let expected = git_staged(dir.path());
    git(dir.path(), &["update-index", "--index-version", "4"], None);
    assert_eq!(paths(&ours(dir.path())), expected, "version 4");
    // Unstaging and restaging everything invalidates the whole cache tree.
    git(dir.path(), &["rm", "-q", "-r", "--cached", "."], None);
    git(dir.path(), &["add", "-A"], None);
    git(dir.path(), &["add", "-N", "later.txt"], None);
    let repo = gix::open_opts(dir.path(), gix::open::Options::isolated()).unwrap();
    let index = crate::source::git::index_file::Index::read(&repo).unwrap();
    let src = index.cache_tree().and_then(|root| root.child(b"src"));
    assert!(
        src.is_none_or(|node| node.id().is_none()),
        "src/ still cached"
    );
    assert_eq!(
        paths(&ours(dir.path())),
        git_staged(dir.path()),
        "invalid cache tree"
    );
}

#[test]
fn a_first_commit_stages_everything() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"], None);
    std::fs::create_dir_all(dir.path().join("x/y")).unwrap();
    std::fs::write(dir.path().join("x/y/z"), "z\n").unwrap();
    std::fs::write(dir.path().join("top"), "top\n").unwrap();
    git(dir.path(), &["add", "-A"], None);
    let changes = ours(dir.path());
    assert_eq!(paths(&changes), ["top", "x/y/z"]);
    assert!(changes.files.iter().all(|f| f.previous.is_none()));
}

#[test]
fn an_index_out_of_path_order_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    for path in ["a/1", "a/2", "a/3", "b/4"] {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, path).unwrap();
    }
    git(dir.path(), &["init", "-q"], None);
    git(dir.path(), &["add", "-A"], None);
    // Entries of the same length: swap a/2 and b/4, so a binary search
    // for the end of a/ runs over b/4.
    let index = dir.path().join(".git/index");
    let mut bytes = std::fs::read(&index).unwrap();
    let entry = (62 + 3 + 8) & !7;
    let (first, last) = (12 + entry, 12 + 3 * entry);
    let saved = bytes[first..first + entry].to_vec();
    bytes.copy_within(last..last + entry, first);
    bytes[last..last + entry].copy_from_slice(&saved);
    std::fs::write(&index, bytes).unwrap();
    let repo = gix::open_opts(dir.path(), gix::open::Options::isolated()).unwrap();
    let error = staged_changes(&repo).expect_err("an error").to_string();
    assert!(error.contains("out of path order"), "{error}");
}
