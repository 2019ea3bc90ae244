//! `leakhound scan` on files, folders, working trees and stdin.

use crate::helpers::*;
use predicates::prelude::*;
use tempfile::TempDir;

fn tree_with_secret() -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(
        dir.path(),
        "src/config.py",
        format!("import os\n\nAPI = \"{TEST_SECRET}\"\n"),
    );
    write(dir.path(), "README.md", "nothing here\n");
    dir
}

#[test]
fn finding_in_a_folder_exits_1_with_location_and_masked_secret() {
    let dir = tree_with_secret();
    let output = leakhound()
        .args(["scan", "--color", "never"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    assert!(text.contains("src/config.py:3:8"), "{text}");
    assert!(text.contains("Test token"), "{text}");
    assert!(text.contains("Revoke the test token."), "{text}");
    assert!(
        !text.contains(TEST_SECRET),
        "text output masks secrets: {text}"
    );
    assert!(text.contains("1 finding (1 high)"), "{text}");
}

#[test]
fn show_secrets_reveals_them_in_text() {
    let dir = tree_with_secret();
    leakhound()
        .args(["scan", "--show-secrets", "--color", "never"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(TEST_SECRET));
}

#[test]
fn clean_folder_exits_0() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "a.txt", "hello tok_short\n");
    leakhound()
        .arg("scan")
        .current_dir(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No secrets found."));
}

#[test]
fn json_report_follows_the_contract() {
    let dir = tree_with_secret();
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = parse_json(&output);
    assert_eq!(report["version"], "1.1");
    assert_eq!(report["tool"]["name"], "leakhound");
    assert_eq!(report["stats"]["files_scanned"], 3);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["rule_id"], "test-token");
    assert_eq!(f["rule_name"], "Test token");
    assert_eq!(f["severity"], "high");
    assert_eq!(f["confidence"], "high");
    assert_eq!(f["secret"], TEST_SECRET);
    assert_eq!(f["match"], TEST_SECRET);
    assert_eq!(f["path"], "src/config.py");
    assert_eq!(f["line"], 3);
    assert_eq!(f["column"], 8);
    assert_eq!(f["source"], "file");
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    assert_eq!(f["remediation"]["summary"], "Revoke the test token.");
    assert_eq!(f["remediation"]["revoke_url"], "https://example.com/tokens");
}

#[test]
fn fingerprint_is_the_same_for_the_same_secret_anywhere() {
    let dir = tree_with_secret();
    write(dir.path(), "other/place.txt", format!("x {TEST_SECRET}\n"));
    let output = leakhound()
        .args(["scan", "-f", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    let prints: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 2);
    assert_eq!(prints[0], prints[1]);
}

#[test]
fn jsonl_has_one_finding_per_line() {
    let dir = tree_with_secret();
    write(dir.path(), "b.env", format!("T={TEST_SECRET}\n"));
    let output = leakhound()
        .args(["scan", "--format", "jsonl"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(parse_json(line.as_bytes())["rule_id"], "test-token");
    }
}

#[test]
fn redact_keeps_every_secret_out_of_every_format() {
    let dir = tree_with_secret();
    for format in ["text", "json", "jsonl"] {
        let output = leakhound()
            .args(["scan", "--redact", "--format", format])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(TEST_SECRET), "{format}: {text}");
            // Not even the recognisable prefix of the random part.
            assert!(!text.contains("Q7w9E2"), "{format}: {text}");
        }
    }
}

#[test]
fn report_goes_to_the_output_file() {
    let dir = tree_with_secret();
    let report = dir.path().join("out/report.json");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    leakhound()
        .args(["scan", "src", "-f", "json", "-o"])
        .arg(&report)
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let report = parse_json(&std::fs::read(report).unwrap());
    assert_eq!(report["findings"][0]["path"], "src/config.py");
}

#[test]
fn exit_code_flag_overrides_findings_code() {
    let dir = tree_with_secret();
    leakhound()
        .args(["scan", "--exit-code", "7"])
        .current_dir(dir.path())
        .assert()
        .code(7);
    leakhound()
        .args(["scan", "--exit-code", "0"])
        .current_dir(dir.path())
        .assert()
        .code(0);
}

#[test]
fn stdin_is_scanned() {
    let dir = tree_with_secret();
    leakhound()
        .args(["scan", "-", "--config", ".leakhound.toml", "-f", "json"])
        .current_dir(dir.path())
        .write_stdin(format!("line one\nkey={TEST_SECRET}\n"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(r#""source": "stdin""#))
        .stdout(predicate::str::contains(r#""line": 2"#));
}

#[test]
fn named_files_and_folders_are_scanned() {
    let dir = tree_with_secret();
    write(dir.path(), "deploy/app.env", format!("K={TEST_SECRET}\n"));
    let output = leakhound()
        .args([
            "scan",
            "--config",
            ".leakhound.toml",
            "-f",
            "json",
            "deploy/app.env",
            "src",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["deploy/app.env", "src/config.py"]);
}

#[test]
fn missing_path_is_an_error_naming_it() {
    leakhound()
        .args(["scan", "no/such/dir"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/dir"));
}

#[test]
fn gitignore_is_honoured_and_no_ignore_overrides_it() {
    let dir = tree_with_secret();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), "ignored/secret.txt", format!("{TEST_SECRET}\n"));
    let count = |extra: &[&str]| {
        let output = leakhound()
            .args(["scan", "-f", "json"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap();
        parse_json(&output.stdout)["findings"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&[]), 1);
    assert_eq!(count(&["--no-ignore"]), 2);
}

#[test]
fn git_directory_is_never_scanned_as_files() {
    let dir = tree_with_secret();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "add"]);
    // The blob is in .git/objects (compressed) and the token in COMMIT_EDITMSG.
    write(
        dir.path(),
        ".git/COMMIT_EDITMSG",
        format!("{TEST_SECRET}\n"),
    );
    let output = leakhound()
        .args(["scan", "-f", "json", "--no-ignore"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["path"], "src/config.py");
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = tree_with_secret();
    let mut binary = b"\x00\x01\x02 binary ".to_vec();
    binary.extend_from_slice(TEST_SECRET.as_bytes());
    write(dir.path(), "blob.bin", &binary);
    write(
        dir.path(),
        "big.txt",
        format!("{}\n{TEST_SECRET}\n", "x".repeat(4096)),
    );
    let output = leakhound()
        .args(["scan", "-f", "json", "--max-file-size", "2K"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    assert_eq!(report["stats"]["skipped"]["binary"], 1);
    assert_eq!(report["stats"]["skipped"]["too_large"], 1);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);

    let text = leakhound()
        .args(["scan", "--max-file-size", "2K", "--color", "never"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("skipped 2 (1 binary, 1 too large)"), "{text}");

    let output = leakhound()
        .args(["scan", "-f", "json", "--scan-binary"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
}

#[test]
fn large_files_are_scanned_through_a_memory_map() {
    let dir = tree_with_secret();
    // Over the 1 MiB mmap threshold, with the secret at the very end.
    let mut big = "filler line of text\n".repeat(60_000);
    big.push_str(&format!("late = {TEST_SECRET}\n"));
    write(dir.path(), "big.log", big);
    let output = leakhound()
        .args([
            "scan",
            "-f",
            "json",
            "big.log",
            "--config",
            ".leakhound.toml",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    assert_eq!(report["findings"][0]["line"], 60_001);
}

#[test]
fn unreadable_entry_is_reported_and_exit_is_2_without_findings() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "ok.txt", "fine\n");
    std::os::unix::fs::symlink("does-not-exist", dir.path().join("dangling")).unwrap();
    leakhound()
        .args(["scan", "--follow-symlinks"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dangling"));

    // With a finding as well, the findings decide the exit code.
    write(dir.path(), "leak.txt", format!("{TEST_SECRET}\n"));
    leakhound()
        .args(["scan", "--follow-symlinks"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("dangling"));
}

#[test]
fn symlinks_are_not_followed_unless_asked() {
    let dir = TempDir::new().unwrap();
    let outside = TempDir::new().unwrap();
    write(outside.path(), "leak.txt", format!("{TEST_SECRET}\n"));
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    leakhound()
        .arg("scan")
        .current_dir(dir.path())
        .assert()
        .code(0);
    leakhound()
        .args(["scan", "-L"])
        .current_dir(dir.path())
        .assert()
        .code(1);
}

#[test]
fn control_characters_in_paths_are_escaped() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(
        dir.path(),
        "evil\x1b[2Jname.txt",
        format!("{TEST_SECRET}\n"),
    );
    let output = leakhound()
        .args(["scan", "--color", "never"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(text.contains("evil\\u{1b}[2Jname.txt"), "{text}");
}

#[test]
fn non_utf8_paths_and_content_are_handled() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    let mut content = b"\xff\xfe latin1 \xe9\n".to_vec();
    content.extend_from_slice(format!("k={TEST_SECRET}\n").as_bytes());
    std::fs::write(dir.path().join(name), content).unwrap();
    let output = leakhound()
        .args(["scan", "-f", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = parse_json(&output.stdout);
    assert_eq!(report["findings"][0]["path"], "caf\u{fffd}.txt");
    assert_eq!(report["findings"][0]["line"], 2);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let dir = tree_with_secret();
    leakhound()
        .args(["scan", "--color", "always"])
        .current_dir(dir.path())
        .assert()
        .stdout(predicate::str::contains("\x1b["));
    // Output to a pipe is not a terminal: auto means no colour.
    leakhound()
        .arg("scan")
        .current_dir(dir.path())
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn output_is_identical_on_one_and_many_threads() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    for i in 0..200 {
        let body = if i % 7 == 0 {
            format!("fn f{i}() {{}}\nlet k = \"tok_{i:0>16}\";\n")
        } else {
            format!("fn f{i}() {{ let x = {i}; }}\n")
        };
        write(dir.path(), &format!("d{}/f{i}.rs", i % 13), body);
    }
    let run = |threads: &str| {
        let output = leakhound()
            .args(["scan", "-f", "jsonl", "-j", threads])
            .current_dir(dir.path())
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let one = run("1");
    assert_eq!(one.lines().count(), 29);
    assert_eq!(one, run("4"));
}

#[test]
fn config_disables_rules_and_allowlists_paths_and_stopwords() {
    let dir = tree_with_secret();
    write(dir.path(), "fixtures/sample.txt", "tok_AAAAbbbbCCCCdddd\n");
    let config = |extra: &str| {
        write(
            dir.path(),
            ".leakhound.toml",
            format!("{TEST_CONFIG}\n{extra}"),
        );
    };
    let count = || {
        let output = leakhound()
            .args(["scan", "-f", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        parse_json(&output.stdout)["findings"]
            .as_array()
            .unwrap()
            .len()
    };
    config("");
    assert_eq!(count(), 2);
    config("[allow]\npaths = [\"fixtures/**\"]\n");
    assert_eq!(count(), 1);
    config("[allow]\nstopwords = [\"q7w9\"]\n");
    assert_eq!(count(), 1);
    let extend = TEST_CONFIG.replace(
        "builtin = false",
        "builtin = false\ndisable = [\"test-token\"]",
    );
    write(dir.path(), ".leakhound.toml", extend);
    assert_eq!(count(), 0);
}

#[test]
fn invalid_config_is_an_error_naming_file_rule_and_field() {
    let dir = tree_with_secret();
    write(
        dir.path(),
        ".leakhound.toml",
        TEST_CONFIG.replace("secret_group = 1", "secret_group = 1\nentrophy = 3"),
    );
    leakhound()
        .arg("scan")
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".leakhound.toml"))
        .stderr(predicate::str::contains("test-token"))
        .stderr(predicate::str::contains("entrophy"));
}

#[test]
fn inline_allow_marker_silences_a_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(
        dir.path(),
        "a.py",
        format!(
            "x = \"{TEST_SECRET}\"  # leakhound:allow\ny = \"{TEST_SECRET}\"  # gitleaks:allow\n"
        ),
    );
    leakhound()
        .arg("scan")
        .current_dir(dir.path())
        .assert()
        .code(0);
}

#[test]
fn builtin_rules_find_a_checksummed_github_token() {
    let dir = TempDir::new().unwrap();
    let valid = github_token("ghp_", 7);
    let mut invalid = github_token("ghp_", 8);
    invalid.replace_range(10..11, if &invalid[10..11] == "a" { "b" } else { "a" });
    write(
        dir.path(),
        "deploy.sh",
        format!("export GITHUB_TOKEN={valid}\nexport OTHER={invalid}\n"),
    );
    let output = leakhound()
        .args(["scan", "-f", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = parse_json(&output.stdout);
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, vec![valid.as_str()], "{report}");
}
