//! Baselines and the ignore file: triaged findings are left out the same
//! way for working-tree, staged and history scans.

use crate::helpers::*;
use predicates::prelude::*;
use std::path::Path;
use tempfile::TempDir;

const OTHER_SECRET: &str = "tok_Z1x2C3v4B5n6M7a8";

fn tree(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn findings(root: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let output = leakhound()
        .args(args)
        .args(["--format", "json"])
        .current_dir(root)
        .output()
        .unwrap();
    parse_json(&output.stdout)["findings"]
        .as_array()
        .unwrap()
        .clone()
}

fn fingerprint_of(root: &Path, args: &[&str]) -> String {
    findings(root, args)[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn baseline_hides_known_findings_even_when_lines_move() {
    let dir = tree(&[("app.env", &format!("TOKEN={TEST_SECRET}\n"))]);
    leakhound()
        .args(["baseline", "create"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(".leakhound-baseline.json"));
    let baseline = std::fs::read_to_string(dir.path().join(".leakhound-baseline.json")).unwrap();
    assert!(!baseline.contains(TEST_SECRET), "a baseline is redacted");

    // The known secret moves down two lines; a new one appears.
    write(
        dir.path(),
        "app.env",
        format!("# moved\n\nTOKEN={TEST_SECRET}\nOTHER={OTHER_SECRET}\n"),
    );
    let left = findings(
        dir.path(),
        &["scan", "--baseline", ".leakhound-baseline.json"],
    );
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["secret"], OTHER_SECRET);
    leakhound()
        .args(["scan", "--baseline", ".leakhound-baseline.json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "1 finding(s) left out: already in the baseline",
        ));
}

#[test]
fn a_baseline_that_is_not_a_report_is_an_error_naming_it() {
    let dir = tree(&[("notes.txt", "nothing here\n"), ("old.json", "[1,2")]);
    leakhound()
        .args(["scan", "--baseline", "old.json"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("old.json").and(predicate::str::contains("line 1")));
}

#[test]
fn ignore_entries_suppress_until_they_expire() {
    let dir = tree(&[("app.env", &format!("TOKEN={TEST_SECRET}\n"))]);
    let fingerprint = fingerprint_of(dir.path(), &["scan"]);
    leakhound()
        .args(["ignore", &fingerprint, "--reason", "revoked on 2026-11-01"])
        .args(["--owner", "security@example.com", "--expires", "2027-01-31"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    let file = std::fs::read_to_string(dir.path().join(".leakhoundignore")).unwrap();
    assert!(
        file.contains(&format!("fingerprint = \"{fingerprint}\"")),
        "{file}"
    );
    assert!(file.contains("expires = \"2027-01-31\""), "{file}");

    leakhound()
        .args(["scan"])
        .env("LEAKHOUND_TODAY", "2027-01-31")
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 finding(s) left out by the ignore file",
        ));
    leakhound()
        .args(["scan"])
        .env("LEAKHOUND_TODAY", "2027-02-01")
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expired on 2027-01-31"));
}

#[test]
fn unused_entries_are_listed_on_request() {
    let dir = tree(&[("app.env", &format!("TOKEN={TEST_SECRET}\n"))]);
    let used = fingerprint_of(dir.path(), &["scan"]);
    for (fingerprint, reason) in [
        (used.as_str(), "test token"),
        ("0123456789abcdef0123456789abcdef", "gone"),
    ] {
        leakhound()
            .args(["ignore", fingerprint, "--reason", reason])
            .current_dir(dir.path())
            .assert()
            .code(0);
    }
    leakhound()
        .args(["scan", "--report-unused-ignores"])
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("0123456789abcdef0123456789abcdef (gone)")
                .and(predicate::str::contains("test token").not()),
        );
    // The same fingerprint twice is refused, naming where it already is.
    leakhound()
        .args(["ignore", &used, "--reason", "again"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".leakhoundignore:4: "));
}

#[test]
fn rule_and_path_narrow_an_entry() {
    let dir = tree(&[
        ("tests/fixture.env", &format!("TOKEN={TEST_SECRET}\n")),
        ("src/app.env", &format!("TOKEN={TEST_SECRET}\n")),
    ]);
    let fingerprint = fingerprint_of(dir.path(), &["scan"]);
    leakhound()
        .args([
            "ignore",
            &fingerprint,
            "--reason",
            "fixture",
            "--path",
            "tests/**",
        ])
        .args(["--rule", "test-token"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    let left = findings(dir.path(), &["scan"]);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["path"], "src/app.env");
}

#[test]
fn a_broken_ignore_file_is_an_error_naming_file_and_line() {
    let dir = tree(&[
        ("app.env", &format!("TOKEN={TEST_SECRET}\n")),
        (
            ".leakhoundignore",
            "[[ignore]]\nfingerprint = \"abc\"\nreason = \"x\"\n",
        ),
    ]);
    leakhound()
        .args(["scan"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(".leakhoundignore:1:")
                .and(predicate::str::contains("fingerprint")),
        );
    leakhound()
        .args(["ignore", "not-hex", "--reason", "x"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a fingerprint"));
}

#[test]
fn the_same_ignore_file_applies_to_staged_and_history_scans() {
    let dir = tree(&[("app.env", &format!("TOKEN={TEST_SECRET}\n"))]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "app.env", ".leakhound.toml"]);
    git(dir.path(), &["commit", "-q", "-m", "add config"]);
    write(dir.path(), "more.env", format!("TOKEN={TEST_SECRET}\n"));
    git(dir.path(), &["add", "more.env"]);

    assert_eq!(findings(dir.path(), &["scan", "history"]).len(), 1);
    assert_eq!(findings(dir.path(), &["scan", "staged"]).len(), 1);
    let fingerprint = fingerprint_of(dir.path(), &["scan", "staged"]);
    leakhound()
        .args(["ignore", &fingerprint, "--reason", "rotated"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    for scan in [&["scan"][..], &["scan", "staged"], &["scan", "history"]] {
        leakhound()
            .args(scan)
            .current_dir(dir.path())
            .assert()
            .code(0)
            .stderr(predicate::str::contains("left out by the ignore file"));
    }
}
