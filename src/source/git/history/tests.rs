//! The introductions pass against a listing of every commit's whole tree.

use super::*;
use crate::source::git::test_repo::{commit_all as commit, git, pack_deep};
use std::collections::BTreeSet;
use std::path::Path;

fn write(dir: &Path, path: &str, content: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// Branches and merges; edits, additions, deletions, renames, a mode
/// change, a reverted file, a directory replaced by a file, a submodule,
/// names that sort differently as trees (`a` against `a.txt`); packed
/// with deep deltas, then a few loose commits on top.
fn eventful_repo() -> tempfile::TempDir {
    let temp = tempfile::TempDir::new().unwrap();
    let dir = temp.path();
    git(dir, &["init", "-q", "-b", "main"], None);
    for i in 0..30 {
        write(
            dir,
            &format!("src/mod{i:02}.rs"),
            &format!("fn f{i}() {{}}\n"),
        );
    }
    write(dir, "a.txt", "a file\n");
    write(dir, "a/inner.txt", "inside a\n");
    write(dir, "docs/guide.md", "guide\n");
    write(dir, "name with space.txt", "spaced\n");
    commit(dir, "start");
    for round in 0..6 {
        for step in 0..5 {
            let n = round * 5 + step;
            write(
                dir,
                &format!("src/mod{:02}.rs", (n * 7) % 30),
                &format!("fn changed{n}() {{}}\n"),
            );
            if n % 4 == 0 {
                write(
                    dir,
                    &format!("src/deep/d{n}/new{n}.rs"),
                    &format!("new {n}\n"),
                );
            }
            if n % 5 == 3 {
                let _ = std::fs::remove_file(dir.join(format!("src/mod{:02}.rs", (n * 11) % 30)));
            }
            commit(dir, &format!("main {n}"));
        }
        git(
            dir,
            &["checkout", "-q", "-b", &format!("side{round}")],
            None,
        );
        write(
            dir,
            &format!("side/s{round}.txt"),
            &format!("side {round}\n"),
        );
        write(dir, "a/inner.txt", &format!("inside a, side {round}\n"));
        commit(dir, &format!("side {round}"));
        write(
            dir,
            &format!("side/s{round}.txt"),
            &format!("side {round} again\n"),
        );
        commit(dir, &format!("side {round} again"));
        git(dir, &["checkout", "-q", "main"], None);
        write(dir, "docs/guide.md", &format!("guide {round}\n"));
        commit(dir, &format!("main after side {round}"));
        git(
            dir,
            &["merge", "-q", "--no-edit", &format!("side{round}")],
            None,
        );
    }
    // A rename, a mode change, a revert to an old version.
    git(dir, &["mv", "src/mod01.rs", "src/renamed.rs"], None);
    commit(dir, "rename");
    git(dir, &["update-index", "--chmod=+x", "a.txt"], None);
    git(dir, &["commit", "-qm", "mode"], None);
    write(dir, "docs/guide.md", "guide\n");
    commit(dir, "revert the guide");
    // A directory replaced by a file of the same name.
    std::fs::remove_dir_all(dir.join("docs")).unwrap();
    write(dir, "docs", "now a file\n");
    commit(dir, "docs is a file");
    let head = git(dir, &["rev-parse", "HEAD"], None);
    git(
        dir,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{},vendor/lib", head.trim()),
        ],
        None,
    );
    git(dir, &["commit", "-qm", "submodule"], None);
    pack_deep(dir);
    for n in 0..3 {
        write(
            dir,
            &format!("src/mod{:02}.rs", n + 20),
            &format!("loose {n}\n"),
        );
        commit(dir, &format!("loose {n}"));
    }
    temp
}

/// Path to (kind, id) of everything but trees in a commit's whole tree.
fn listing(dir: &Path, commit: &str) -> HashMap<String, (String, String)> {
    git(dir, &["ls-tree", "-r", "--full-tree", commit], None)
        .lines()
        .map(|line| {
            let (meta, path) = line.split_once('\t').unwrap();
            let fields: Vec<&str> = meta.split(' ').collect();
            let path = path.trim_matches('"').to_string();
            (path, (fields[1].to_string(), fields[2].to_string()))
        })
        .collect()
}

#[test]
fn introductions_are_what_no_parent_had_at_the_same_path() {
    let temp = eventful_repo();
    let dir = temp.path();
    let commits: Vec<String> = git(dir, &["rev-list", "--all"], None)
        .lines()
        .map(str::to_string)
        .collect();
    let mut expected = BTreeSet::new();
    let mut expected_submodules = BTreeSet::new();
    for commit in &commits {
        let ours = listing(dir, commit);
        let parents: Vec<_> = git(dir, &["rev-list", "--parents", "-n1", commit], None)
            .split_whitespace()
            .skip(1)
            .map(|parent| listing(dir, parent))
            .collect();
        for (path, (kind, id)) in ours {
            if parents
                .iter()
                .any(|p| p.get(&path).is_some_and(|(_, old)| *old == id))
            {
                continue;
            }
            if kind == "commit" {
                expected_submodules.insert(id);
            } else {
                expected.insert((commit.clone(), path, id));
            }
        }
    }
    assert!(expected.len() > 60, "the fixture introduces many blobs");

    let repo = gix::ThreadSafeRepository::open(dir).unwrap();
    let ids: Vec<ObjectId> = commits
        .iter()
        .map(|c| ObjectId::from_hex(c.as_bytes()).unwrap())
        .collect();
    let (metas, found) = find_introductions(&repo, [ids], &HistoryProgress::default());
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let actual: BTreeSet<(String, String, String)> = found
        .by_blob
        .iter()
        .flat_map(|(blob, intros)| {
            intros.iter().map(|i| {
                (
                    metas[i.commit as usize].info.commit.clone(),
                    found.paths[i.path as usize].to_string(),
                    blob.to_string(),
                )
            })
        })
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    let submodules: BTreeSet<String> = found.submodules.iter().map(|s| s.to_string()).collect();
    assert_eq!(submodules, expected_submodules);
}
