//! `leakhound scan staged` and `leakhound install-hook`, driven by real
//! `git commit`s in temporary repositories.

use crate::helpers::*;
use predicates::prelude::*;
use std::path::Path;
use std::process::Output;
use tempfile::TempDir;

/// A repository with the test rules and the pre-commit hook installed.
fn repo_with_hook() -> TempDir {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    leakhound()
        .args(["install-hook"])
        .current_dir(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(".git/hooks/pre-commit"));
    dir
}

/// `git commit` with the fixture identity; the hook decides the outcome.
fn commit(dir: &Path, message: &str) -> Output {
    std::process::Command::new("git")
        .args(["commit", "-q", "-m", message])
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Fixture Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Fixture Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap()
}

#[test]
fn first_commit_with_a_secret_is_blocked_and_without_passes() {
    let dir = repo_with_hook();
    write(dir.path(), "app.py", format!("KEY = \"{TEST_SECRET}\"\n"));
    git(dir.path(), &["add", "app.py"]);
    let blocked = commit(dir.path(), "add key");
    assert!(!blocked.status.success(), "{blocked:?}");
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert!(stderr.contains("leakhound stopped this commit"), "{stderr}");
    assert!(stderr.contains("leakhound:allow"), "{stderr}");
    // git hands a hook's stdout to the user's terminal through stderr.
    assert!(stderr.contains("app.py:1:8"), "{stderr}");
    assert!(
        !stderr.contains(TEST_SECRET),
        "masked at the prompt: {stderr}"
    );

    write(dir.path(), "app.py", "KEY = os.environ[\"KEY\"]\n");
    git(dir.path(), &["add", "app.py"]);
    assert!(commit(dir.path(), "add key from env").status.success());
}

#[test]
fn partial_staging_is_scanned_as_it_will_be_committed() {
    let dir = repo_with_hook();
    write(dir.path(), "app.py", "a = 1\nb = 2\n");
    git(dir.path(), &["add", "app.py"]);
    assert!(commit(dir.path(), "base").status.success());

    // Secret only in the working tree, the staged version is clean: passes.
    write(dir.path(), "app.py", "a = 1\nb = 3\n");
    git(dir.path(), &["add", "app.py"]);
    write(
        dir.path(),
        "app.py",
        format!("a = 1\nb = 3\nc = \"{TEST_SECRET}\"\n"),
    );
    assert!(commit(dir.path(), "clean staged part").status.success());

    // Secret only in the staged version, removed from the working tree: blocked.
    git(dir.path(), &["add", "app.py"]);
    write(dir.path(), "app.py", "a = 1\nb = 3\n");
    let blocked = commit(dir.path(), "secret staged");
    assert!(!blocked.status.success());
    assert!(String::from_utf8_lossy(&blocked.stderr).contains("app.py:3"));
}

#[test]
fn only_added_lines_are_reported_unless_whole_files() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "old.py", format!("OLD = \"{TEST_SECRET}\"\n"));
    git(dir.path(), &["add", "old.py"]);
    git(dir.path(), &["commit", "-qm", "legacy secret"]);
    write(
        dir.path(),
        "old.py",
        format!("OLD = \"{TEST_SECRET}\"\nNEW = 1\n"),
    );
    git(dir.path(), &["add", "old.py"]);
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    leakhound()
        .args(["scan", "staged", "--whole-files"])
        .current_dir(dir.path())
        .assert()
        .code(1);
}

#[test]
fn renaming_a_file_with_an_old_secret_does_not_block() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "conf/old.env", format!("T={TEST_SECRET}\n"));
    git(dir.path(), &["add", "conf/old.env"]);
    git(
        dir.path(),
        &["commit", "-qm", "secret from before the hook"],
    );
    leakhound()
        .arg("install-hook")
        .current_dir(dir.path())
        .assert()
        .success();
    git(dir.path(), &["mv", "conf/old.env", "conf/new.env"]);
    let output = commit(dir.path(), "rename");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn deletions_submodules_and_binary_files_are_not_findings() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "gone.txt", format!("{TEST_SECRET}\n"));
    git(dir.path(), &["add", "gone.txt"]);
    git(dir.path(), &["commit", "-qm", "x"]);
    git(dir.path(), &["rm", "-q", "gone.txt"]);
    let mut binary = b"\x00\x00bin ".to_vec();
    binary.extend_from_slice(TEST_SECRET.as_bytes());
    write(dir.path(), "data.bin", binary);
    git(dir.path(), &["add", "data.bin"]);
    // A submodule entry (gitlink) straight into the index.
    git(
        dir.path(),
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,1111111111111111111111111111111111111111,vendor/lib",
        ],
    );
    let output = leakhound()
        .args(["scan", "staged", "-f", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report = parse_json(&output.stdout);
    assert_eq!(report["stats"]["skipped"]["binary"], 1);
    assert_eq!(report["stats"]["skipped"]["submodule"], 1);
}

#[test]
fn intent_to_add_entries_are_not_scanned() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "later.txt", format!("{TEST_SECRET}\n"));
    git(dir.path(), &["add", "-N", "later.txt"]);
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .assert()
        .code(0);
}

#[test]
fn staged_json_findings_say_staged() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "sub/dir/a.txt", format!("x\n{TEST_SECRET}\n"));
    git(dir.path(), &["add", "."]);
    let output = leakhound()
        .args(["scan", "staged", "-f", "json"])
        .current_dir(dir.path().join("sub"))
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    assert_eq!(report["findings"][0]["source"], "staged");
    assert_eq!(report["findings"][0]["path"], "sub/dir/a.txt");
    assert_eq!(report["findings"][0]["line"], 2);
}

#[test]
fn nothing_staged_exits_0_and_says_so() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("nothing staged"));
}

#[test]
fn outside_a_repository_says_so_plainly() {
    let dir = TempDir::new().unwrap();
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not inside a git repository"));
}

#[test]
fn install_hook_refuses_to_overwrite_without_force() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(
        dir.path(),
        ".git/hooks/pre-commit",
        "#!/bin/sh\necho mine\n",
    );
    leakhound()
        .arg("install-hook")
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".git/hooks/pre-commit")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    leakhound()
        .args(["install-hook", "--force"])
        .current_dir(dir.path())
        .assert()
        .success();
    let hook = std::fs::read_to_string(dir.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("scan staged"), "{hook}");
}

#[test]
fn pre_push_hook_blocks_only_commits_that_add_secrets() {
    let remote = TempDir::new().unwrap();
    git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(
        dir.path(),
        &["remote", "add", "origin", remote.path().to_str().unwrap()],
    );
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    // A secret already on the remote must not block later pushes.
    write(dir.path(), "old.txt", format!("{TEST_SECRET}\n"));
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "old secret"]);
    git(dir.path(), &["push", "-q", "origin", "main"]);
    leakhound()
        .args(["install-hook", "--pre-push"])
        .current_dir(dir.path())
        .assert()
        .success();

    write(dir.path(), "clean.txt", "nothing to see\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "clean"]);
    git(dir.path(), &["push", "-q", "origin", "main"]);

    write(dir.path(), "new.txt", "NEW=tok_NEWnewNEWnewNEWn\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "new secret"]);
    let push = std::process::Command::new("git")
        .args(["push", "origin", "main"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        !push.status.success(),
        "the push with a new secret went through"
    );
    // Unlike pre-commit, git leaves a pre-push hook's stdout as it is.
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&push.stdout),
        String::from_utf8_lossy(&push.stderr)
    );
    assert!(shown.contains("new.txt"), "{shown}");
    assert!(!shown.contains("old.txt"), "{shown}");
}

#[test]
fn a_merge_in_progress_scans_resolved_files_and_names_conflicts() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "a.txt", "base\n");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    git(dir.path(), &["checkout", "-qb", "topic"]);
    write(dir.path(), "a.txt", "topic\n");
    git(dir.path(), &["commit", "-qam", "topic"]);
    git(dir.path(), &["checkout", "-q", "main"]);
    write(dir.path(), "a.txt", "main\n");
    git(dir.path(), &["commit", "-qam", "main"]);
    let merge = std::process::Command::new("git")
        .args(["merge", "-q", "topic"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("GIT_AUTHOR_NAME", "Fixture Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Fixture Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&merge.stdout).contains("CONFLICT"),
        "the fixture needs a conflict: {merge:?}"
    );
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("unresolved merge conflicts"));

    write(dir.path(), "a.txt", format!("resolved {TEST_SECRET}\n"));
    git(dir.path(), &["add", "a.txt"]);
    leakhound()
        .args(["scan", "staged"])
        .current_dir(dir.path())
        .assert()
        .code(1);
}

#[test]
fn staged_files_over_the_size_cap_are_skipped_and_said() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(
        dir.path(),
        "big.txt",
        format!("{}\n{TEST_SECRET}\n", "x".repeat(2048)),
    );
    git(dir.path(), &["add", "big.txt"]);
    let output = leakhound()
        .args([
            "scan",
            "staged",
            "--max-file-size",
            "1K",
            "--color",
            "never",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("skipped 1 (1 too large)"), "{text}");
}
