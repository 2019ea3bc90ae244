//! Fixture repositories for the git sources' tests, made with the `git`
//! command under fixed names and dates so they come out the same anywhere.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with `stdin`, isolated from the user's and system's
/// config; returns its stdout and fails the test if git fails.
pub fn git(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Fixture")
        .env("GIT_AUTHOR_EMAIL", "fixture@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Fixture")
        .env("GIT_COMMITTER_EMAIL", "fixture@example.com")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Stages everything and commits it.
pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"], None);
    git(dir, &["commit", "-qm", message, "--allow-empty"], None);
}

/// Repacks everything into one pack with delta chains far deeper than
/// git's default, as long-lived repositories end up.
pub fn pack_deep(dir: &Path) {
    git(
        dir,
        &["repack", "-adfq", "--depth=250", "--window=250"],
        None,
    );
}
