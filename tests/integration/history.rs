//! `leakhound scan history` on repositories built with git in temp dirs.

use crate::helpers::*;
use predicates::prelude::*;
use std::path::Path;
use tempfile::TempDir;

/// Commits with a fixed date `n` days after the epoch of the fixtures.
fn commit_on_day(dir: &Path, day: u32, message: &str) {
    let date = format!("2024-01-{:02}T12:00:00Z", day);
    let status = std::process::Command::new("git")
        .args(["commit", "-qam", message, "--allow-empty"])
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Author")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", "Ada Author")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A history where a secret is added on day 2, copied on day 3, removed on
/// day 4; another secret stays in HEAD.
fn repo_with_history() -> TempDir {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "README.md", "hello\n");
    git(dir.path(), &["add", "."]);
    commit_on_day(dir.path(), 1, "initial");
    write(
        dir.path(),
        "src/config.py",
        format!("x = 1\nKEY = \"{TEST_SECRET}\"\n"),
    );
    git(dir.path(), &["add", "."]);
    commit_on_day(dir.path(), 2, "add config");
    write(
        dir.path(),
        "src/config.py",
        format!("x = 2\nKEY = \"{TEST_SECRET}\"\n"),
    );
    write(
        dir.path(),
        "backup/config.py",
        format!("KEY = \"{TEST_SECRET}\"\n"),
    );
    git(dir.path(), &["add", "."]);
    commit_on_day(dir.path(), 3, "tweak and back up");
    git(dir.path(), &["rm", "-q", "-r", "backup"]);
    write(
        dir.path(),
        "src/config.py",
        "x = 2\nKEY = os.environ['KEY']\n",
    );
    write(dir.path(), "deploy.sh", "TOKEN=tok_HEADheadHEADhead\n");
    git(dir.path(), &["add", "."]);
    commit_on_day(dir.path(), 4, "remove the key");
    dir
}

fn history_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let output = leakhound()
        .args(["scan", "history", "-f", "json"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    parse_json(&output.stdout)
}

#[test]
fn finds_removed_secrets_with_the_commit_that_introduced_them() {
    let dir = repo_with_history();
    let report = history_json(dir.path(), &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{report}");
    let old = findings
        .iter()
        .find(|f| f["secret"] == TEST_SECRET)
        .expect("the removed secret");
    assert_eq!(old["source"], "history");
    assert_eq!(old["path"], "src/config.py");
    assert_eq!(old["line"], 2);
    assert_eq!(old["message"], "add config");
    assert_eq!(old["author"], "Ada Author");
    assert_eq!(old["email"], "ada@example.com");
    assert_eq!(old["date"], "2024-01-02T12:00:00+00:00");
    assert_eq!(old["in_head"], false);
    // Day 3 carries it twice more: the edited file and the backup copy.
    assert_eq!(old["other_locations"], 2);
    let current = findings
        .iter()
        .find(|f| f["secret"] == "tok_HEADheadHEADhead")
        .unwrap();
    assert_eq!(current["in_head"], true);
}

#[test]
fn all_locations_lists_every_commit_and_path() {
    let dir = repo_with_history();
    let report = history_json(dir.path(), &["--all-locations"]);
    let old = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["secret"] == TEST_SECRET)
        .unwrap()
        .clone();
    let places: Vec<(String, String)> = old["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["message"].as_str().unwrap().to_string(),
                l["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        places,
        vec![
            ("add config".to_string(), "src/config.py".to_string()),
            (
                "tweak and back up".to_string(),
                "backup/config.py".to_string()
            ),
            ("tweak and back up".to_string(), "src/config.py".to_string()),
        ]
    );
}

#[test]
fn no_dedup_reports_each_location() {
    let dir = repo_with_history();
    let report = history_json(dir.path(), &["--no-dedup"]);
    let count = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["secret"] == TEST_SECRET)
        .count();
    assert_eq!(count, 3);
}

#[test]
fn since_commit_scans_only_what_later_commits_introduced() {
    let dir = repo_with_history();
    let report = history_json(dir.path(), &["--since-commit", "HEAD~1"]);
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, vec!["tok_HEADheadHEADhead"]);
    let report = history_json(dir.path(), &["--range", "HEAD~3..HEAD~2"]);
    assert_eq!(report["findings"][0]["secret"], TEST_SECRET);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn every_blob_is_scanned_once() {
    let dir = repo_with_history();
    let report = history_json(dir.path(), &[]);
    // What git itself counts as the distinct blobs every ref reaches.
    let unique_blobs = git_output(dir.path(), &["rev-list", "--objects", "--all"])
        .lines()
        .filter(|line| {
            let id = line.split(' ').next().unwrap();
            git_output(dir.path(), &["cat-file", "-t", id]) == "blob"
        })
        .count();
    assert_eq!(report["stats"]["files_scanned"], unique_blobs as u64);
}

#[test]
fn output_is_the_same_on_one_and_many_threads() {
    let dir = repo_with_history();
    let run = |threads: &str| {
        let output = leakhound()
            .args([
                "scan",
                "history",
                "-f",
                "jsonl",
                "--all-locations",
                "-j",
                threads,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let one = run("1");
    assert_eq!(one.lines().count(), 2);
    assert_eq!(one, run("4"));
    // The same once the pack-order traversal is the one doing the reading.
    git(dir.path(), &["repack", "-adq"]);
    assert_eq!(one, run("1"));
    assert_eq!(one, run("3"));
}

#[test]
fn bare_and_empty_repositories_work() {
    let dir = repo_with_history();
    let bare = TempDir::new().unwrap();
    git(
        bare.path(),
        &[
            "clone",
            "-q",
            "--bare",
            dir.path().to_str().unwrap(),
            "b.git",
        ],
    );
    leakhound()
        .args(["scan", "history", "b.git", "--config"])
        .arg(dir.path().join(".leakhound.toml"))
        .current_dir(bare.path())
        .assert()
        .code(1);

    let empty = TempDir::new().unwrap();
    git(empty.path(), &["init", "-q"]);
    leakhound()
        .args(["scan", "history"])
        .current_dir(empty.path())
        .assert()
        .code(0);
}

#[test]
fn shallow_clones_say_history_is_cut() {
    let dir = repo_with_history();
    let shallow = TempDir::new().unwrap();
    let source = format!("file://{}", dir.path().display());
    git(
        shallow.path(),
        &["clone", "-q", "--depth", "1", &source, "s"],
    );
    leakhound()
        .args(["scan", "history", "s", "--config"])
        .arg(dir.path().join(".leakhound.toml"))
        .current_dir(shallow.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("shallow"));
}

#[test]
fn missing_objects_are_named_and_the_scan_completes() {
    let dir = repo_with_history();
    let id = git_output(dir.path(), &["rev-parse", "HEAD:README.md"]);
    remove_loose_object(dir.path(), &id);
    leakhound()
        .args(["scan", "history"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(id.as_str()));
}

#[test]
fn the_repository_config_never_runs_commands() {
    let dir = repo_with_history();
    let marker = dir.path().join("PWNED");
    let command = format!("touch {}", marker.display());
    for (key, value) in [
        ("core.fsmonitor", command.as_str()),
        ("core.pager", command.as_str()),
        ("core.hooksPath", "evil-hooks"),
        ("filter.evil.clean", command.as_str()),
        ("filter.evil.smudge", command.as_str()),
        ("filter.evil.process", command.as_str()),
        ("diff.external", command.as_str()),
    ] {
        git(dir.path(), &["config", key, value]);
    }
    write(dir.path(), ".gitattributes", "* filter=evil diff=evil\n");
    write(
        dir.path(),
        "evil-hooks/pre-commit",
        format!("#!/bin/sh\n{command}\n"),
    );
    for args in [
        vec!["scan", "history"],
        vec!["scan", "staged"],
        vec!["scan", "history", "--all-objects"],
    ] {
        // The scans complete normally (findings or none), config or not.
        leakhound()
            .args(&args)
            .current_dir(dir.path())
            .assert()
            .code(predicate::in_iter([0, 1]));
    }
    assert!(
        !marker.exists(),
        "a command from the repository's config ran"
    );
}

#[test]
fn alternates_and_a_detached_head_work() {
    let dir = repo_with_history();
    let shared = TempDir::new().unwrap();
    // `--shared` borrows every object through .git/objects/info/alternates.
    git(
        shared.path(),
        &["clone", "-q", "--shared", dir.path().to_str().unwrap(), "s"],
    );
    let clone = shared.path().join("s");
    assert!(clone.join(".git/objects/info/alternates").exists());
    git(&clone, &["checkout", "-q", "--detach", "HEAD~1"]);
    let report = history_json(
        &clone,
        &[
            "--config",
            dir.path().join(".leakhound.toml").to_str().unwrap(),
        ],
    );
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets.len(), 2, "{report}");
    assert!(secrets.contains(&TEST_SECRET));
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report}");
}

#[test]
fn linked_worktrees_scan_the_shared_history() {
    let dir = repo_with_history();
    let outside = TempDir::new().unwrap();
    let worktree = outside.path().join("wt");
    git(
        dir.path(),
        &[
            "worktree",
            "add",
            "-q",
            worktree.to_str().unwrap(),
            "HEAD~2",
        ],
    );
    let report = history_json(
        &worktree,
        &[
            "--config",
            dir.path().join(".leakhound.toml").to_str().unwrap(),
        ],
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report}");
}

#[test]
fn packed_and_loose_objects_give_the_same_report() {
    let dir = repo_with_history();
    let loose = history_json(dir.path(), &["--all-locations"]);
    // Deltified packs are read by the pack-order traversal, not by lookups.
    git(dir.path(), &["repack", "-adq", "--depth=10", "--window=10"]);
    assert!(
        std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "pack"))
    );
    let packed = history_json(dir.path(), &["--all-locations"]);
    assert_eq!(loose["findings"], packed["findings"]);
    assert_eq!(
        loose["stats"]["files_scanned"],
        packed["stats"]["files_scanned"]
    );
    assert_eq!(packed["errors"].as_array().unwrap().len(), 0, "{packed}");
}

#[test]
fn a_broken_reference_is_named_and_the_rest_is_scanned() {
    let dir = repo_with_history();
    write(
        dir.path(),
        ".git/refs/heads/broken",
        "1111111111111111111111111111111111111111\n",
    );
    leakhound()
        .args(["scan", "history"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("refs/heads/broken"));
}

#[test]
fn redact_also_covers_commit_messages() {
    let dir = repo_with_history();
    write(dir.path(), "late.env", "LATE=tok_LATElateLATElate\n");
    git(dir.path(), &["add", "."]);
    commit_on_day(dir.path(), 5, "add tok_LATElateLATElate for the demo");
    for format in ["json", "text"] {
        let output = leakhound()
            .args([
                "scan",
                "history",
                "--redact",
                "--all-locations",
                "-f",
                format,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains("tok_LATElate"), "{format}: {text}");
            assert!(!text.contains(TEST_SECRET), "{format}: {text}");
        }
    }
}

#[test]
fn a_missing_commit_cuts_the_walk_but_the_rest_is_scanned() {
    let dir = repo_with_history();
    let root = git_output(dir.path(), &["rev-list", "--max-parents=0", "HEAD"]);
    remove_loose_object(dir.path(), &root);
    let output = leakhound()
        .args(["scan", "history", "-f", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = parse_json(&output.stdout);
    assert_eq!(report["findings"].as_array().unwrap().len(), 2, "{report}");
    assert!(report["stats"]["errors"].as_u64().unwrap() >= 1, "{report}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(&root[..12]),
        "{output:?}"
    );
}

/// A file edited by many commits and packed with deep delta chains: the
/// scan of each version from its delta base must report exactly what
/// scanning every version whole reports, for every location.
#[test]
fn delta_scans_report_what_whole_blob_scans_report() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let mut lines: Vec<String> = (0..150)
        .map(|n| format!("    let value_{n} = compute({n}, \"label {n}\");"))
        .collect();
    let mut seed = 7u64;
    let mut next = |below: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        ((seed >> 33) as usize) % below
    };
    for day in 1..=28 {
        for _ in 0..3 {
            let at = next(lines.len());
            match next(6) {
                0 => lines.insert(
                    at,
                    format!(
                        "token = \"{}\"",
                        github_token("ghp_", day as u64 * 10 + at as u64)
                    ),
                ),
                1 => lines.insert(
                    at,
                    format!("db_password = \"Zq8{}xR2vLm9Tk\"", day * 7 + at as u32),
                ),
                2 => lines.insert(at, format!("api_key: \"kq{}Vb7Xw2Ln{}Pz\"", day * 31, at)),
                3 if lines.len() > 10 => {
                    lines.remove(at);
                }
                _ => lines[at] = format!("    let changed_{day} = compute({at}, \"edit\");"),
            }
        }
        write(dir.path(), "src/app.py", lines.join("\n") + "\n");
        write(
            dir.path(),
            &format!("notes/day{}.txt", day % 4),
            lines[..40].join("\n"),
        );
        git(dir.path(), &["add", "."]);
        commit_on_day(dir.path(), day, &format!("day {day}"));
    }
    git(
        dir.path(),
        &["repack", "-adfq", "--depth=50", "--window=50"],
    );
    let listing = pack_listing(dir.path());
    // Entries stored as deltas list their chain depth and base.
    let delta_blobs = listing
        .lines()
        .filter(|l| l.contains(" blob ") && l.split_whitespace().count() == 7)
        .count();
    assert!(
        delta_blobs > 20,
        "only {delta_blobs} blobs stored as deltas"
    );
    assert_delta_scan_is_whole_scan(dir.path(), 21);
}

/// A chain of deltas deeper than the walk decodes in parallel gives the
/// same findings as whole blobs. (That every version is decoded from the
/// pack, not looked up by id, is checked in `source::git::packs`.)
#[test]
fn deep_delta_chains_are_decoded_to_the_end() {
    let dir = TempDir::new().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    // Each version edits one line in place, so each is nearest to the
    // one before it and git chains them all.
    let mut lines: Vec<String> = (0..200)
        .map(|i| format!("line_{i} = value({i}) padding padding padding"))
        .collect();
    for version in 0..70u64 {
        let at = (version as usize * 37) % 200;
        lines[at] = if version % 9 == 4 {
            format!("token_{at} = \"{}\"", github_token("ghp_", version))
        } else {
            format!("line_{at} = changed_in_version_{version:03}({at}) padding")
        };
        write(dir.path(), "app.cfg", lines.join("\n") + "\n");
        git(dir.path(), &["add", "."]);
        git(
            dir.path(),
            &["commit", "-qm", &format!("version {version}")],
        );
    }
    git(
        dir.path(),
        &["repack", "-adfq", "--depth=250", "--window=250"],
    );
    let listing = pack_listing(dir.path());
    let deepest = listing
        .lines()
        .filter_map(|l| l.strip_prefix("chain length = "))
        .filter_map(|l| l.split(':').next()?.trim().parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    assert!(deepest > 20, "deepest chain {deepest}");
    assert_delta_scan_is_whole_scan(dir.path(), 8);
}

/// Scanning each blob version from its delta base reports, at every
/// location, exactly what scanning every version whole reports: at least
/// `at_least` findings, and no errors.
fn assert_delta_scan_is_whole_scan(dir: &Path, at_least: usize) {
    let whole = history_json(dir, &["--whole-blobs", "--all-locations", "--no-dedup"]);
    let delta = history_json(dir, &["--all-locations", "--no-dedup"]);
    assert_eq!(delta["errors"].as_array().unwrap().len(), 0, "{delta}");
    let found = whole["findings"].as_array().unwrap().len();
    assert!(found >= at_least, "only {found} findings: {whole}");
    assert_eq!(delta["findings"], whole["findings"]);
}

/// `git verify-pack -v` of the repository's one pack: each object, with
/// its chain depth and base if it is stored as a delta.
fn pack_listing(dir: &Path) -> String {
    let index = std::fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    git_output(dir, &["verify-pack", "-v", index.to_str().unwrap()])
}
