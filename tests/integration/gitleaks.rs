//! Teams moving from gitleaks: a `.gitleaks.toml` given with `--config` or
//! found at the scan root, its allowlists, and `.gitleaksignore`, on
//! folders, staged changes and history. The config is the fixture in
//! tests/fixtures/gitleaks, written for these tests.

use crate::helpers::*;
use std::path::Path;
use tempfile::TempDir;

const CONFIG: &str = include_str!("../fixtures/gitleaks/.gitleaks.toml");
const BASE: &str = include_str!("../fixtures/gitleaks/base.toml");

/// Made-up tokens in the shapes the fixture's rules look for.
const ACME_LIVE: &str = "ak_live_q8w7e6r5t4y3u2i1o9p0";
const ACME_TEST: &str = "ak_test_z1x2c3v4b5n6m7l8k9j0";
const WIDGET: &str = "wt-0123456789abcdef";
const WIDGET_ZERO: &str = "wt-0000000000000000";
const DEPLOY_PASSWORD: &str = "Depl0y-S3cret!";

/// Writes the fixture config into `dir`, as `name` next to its base.
fn write_config(dir: &Path, name: &str) {
    write(dir, name, CONFIG);
    let base = Path::new(name).with_file_name("base.toml");
    write(dir, base.to_str().unwrap(), BASE);
}

/// A working tree with something for every rule and allowlist of the
/// fixture: findings, and near-misses the allowlists veto.
fn tree(config_name: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write_config(root, config_name);
    // The keyword ("acme") is on line 1; the token, on line 4, does not
    // contain it: gitleaks keywords are a prefilter for the whole file.
    write(
        root,
        "src/client.py",
        format!("# Acme client\n\n\nKEY = \"{ACME_LIVE}\"\n"),
    );
    // No keyword anywhere in the file: the rule does not run.
    write(root, "src/plain.py", format!("KEY = \"{ACME_LIVE}\"\n"));
    // Global path allowlist (vendor/).
    write(
        root,
        "vendor/lib/acme.py",
        format!("acme = \"{ACME_LIVE}\"\n"),
    );
    // AND allowlist: a test key in fixtures/ is allowed, elsewhere not,
    // and a live key in fixtures/ is not.
    write(
        root,
        "fixtures/keys.py",
        format!("acme = \"{ACME_TEST}\"\n"),
    );
    write(root, "src/keys.py", format!("acme = \"{ACME_TEST}\"\n"));
    write(
        root,
        "fixtures/live.py",
        format!("acme = \"{ACME_LIVE}\"\n"),
    );
    // Rule allowlist, regexTarget = "line" AND path ^docs/.
    write(
        root,
        "docs/setup.md",
        format!("Set the acme key, for example {ACME_LIVE}\n"),
    );
    write(
        root,
        "README.md",
        format!("Set the acme key, for example {ACME_LIVE}\n"),
    );
    // Rule stopword and the base config's global stopword.
    write(
        root,
        "src/dummy.py",
        "acme = \"ak_live_dummy000000000000000\"\n",
    );
    write(
        root,
        "src/sample.py",
        "acme = \"ak_live_sample0000000000000\"\n",
    );
    // regexTarget = "match" on the old-style rule allowlist, and a
    // gitleaks:allow marker.
    write(
        root,
        "widget.env",
        format!(
            "widget_token = \"{WIDGET}\"\nwidget_token = \"{WIDGET_ZERO}\"\n\
             widget_token = \"wt-1111222233334444\" # gitleaks:allow\n"
        ),
    );
    // A path-limited rule without keywords, and its targeted allowlist.
    write(
        root,
        "deploy/prod.yaml",
        format!("user: app\npassword: \"{DEPLOY_PASSWORD}\"\n"),
    );
    write(
        root,
        "deploy/template.yaml",
        "password: \"changeme-please\"\n",
    );
    write(
        root,
        "other/prod.yaml",
        format!("password: \"{DEPLOY_PASSWORD}\"\n"),
    );
    // A path-only rule: reported even though the file is binary.
    write(root, "certs/client.p12", b"\x30\x82\x00\x00binary keystore");
    // Go's \Q...\E.
    write(
        root,
        "notes.txt",
        "see https://internal.acme.test/?secret=AbCdEfGh1234 for details\n",
    );
    dir
}

/// The rules the fixture defines. With `useDefault` leakhound's built-in
/// rules run too; most tests look at the fixture's rules only.
const FIXTURE_RULES: &[&str] = &[
    "acme-api-key",
    "widget-token",
    "deploy-password",
    "keystore-file",
    "internal-url-secret",
];

/// (rule id, path, line) of each finding of the fixture's rules in a JSON
/// report.
fn findings(stdout: &[u8]) -> Vec<(String, String, u64)> {
    let mut found = all_findings(stdout);
    found.retain(|(rule, _, _)| FIXTURE_RULES.contains(&rule.as_str()));
    found
}

/// (rule id, path, line) of every finding in a JSON report.
fn all_findings(stdout: &[u8]) -> Vec<(String, String, u64)> {
    let report = parse_json(stdout);
    let mut found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn expected(rows: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    let mut rows: Vec<_> = rows
        .iter()
        .map(|(r, p, l)| (r.to_string(), p.to_string(), *l))
        .collect();
    rows.sort();
    rows
}

/// What the fixture finds in `tree()`.
const TREE_FINDINGS: &[(&str, &str, u64)] = &[
    ("acme-api-key", "src/client.py", 4),
    ("acme-api-key", "src/keys.py", 1),
    ("acme-api-key", "fixtures/live.py", 1),
    ("acme-api-key", "README.md", 1),
    ("widget-token", "widget.env", 1),
    ("deploy-password", "deploy/prod.yaml", 2),
    ("keystore-file", "certs/client.p12", 1),
    ("internal-url-secret", "notes.txt", 1),
];

#[test]
fn config_flag_reads_a_gitleaks_config_told_by_its_content() {
    // Not named like a gitleaks config: its keys say what it is.
    let dir = tree("ci/secret-scanning.toml");
    let output = leakhound()
        .args([
            "scan",
            "--format",
            "json",
            "--config",
            "ci/secret-scanning.toml",
        ])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(findings(&output.stdout), expected(TREE_FINDINGS));
    let stderr = String::from_utf8(output.stderr).unwrap();
    for warning in [
        "ci/secret-scanning.toml: field `extend.url`",
        "ci/secret-scanning.toml: rule `Widget_Token`: field `id`: reported as `widget-token`",
        "base.toml: field `extend.disabledRules`: `adafruit-api-key`",
    ] {
        assert!(stderr.contains(warning), "{warning} in {stderr}");
    }
}

#[test]
fn vendored_files_are_skipped_unread() {
    let dir = tree(".gitleaks.toml");
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = parse_json(&output);
    assert_eq!(report["stats"]["skipped"]["allowlisted_path"], 1);
}

#[test]
fn gitleaks_config_is_found_at_the_scan_root() {
    let dir = tree(".gitleaks.toml");
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    // Paths now start with the folder scanned, as in gitleaks, so the
    // fixture's `^docs/`-style path regexes no longer match: look at what
    // does not depend on them.
    let rules: Vec<String> = findings(&output).into_iter().map(|f| f.0).collect();
    for rule in FIXTURE_RULES {
        assert!(rules.iter().any(|r| r == rule), "{rule} in {rules:?}");
    }
}

#[test]
fn a_leakhound_config_wins_over_a_gitleaks_one() {
    let dir = tree(".gitleaks.toml");
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "token.txt", format!("{TEST_SECRET}\n"));
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        all_findings(&output),
        expected(&[("test-token", "token.txt", 1)])
    );
}

#[test]
fn use_default_keeps_builtins_with_the_configs_changes() {
    let dir = TempDir::new().unwrap();
    write_config(dir.path(), ".gitleaks.toml");
    let kept = github_token("ghp_", 7);
    let allowed = github_token("ghp_", 8);
    write(
        dir.path(),
        "ci.yml",
        format!("token: {kept}\nfallback: {allowed}  # ci-fixture-token\n"),
    );
    // disabledRules = ["stripe-access-token"] in base.toml: leakhound's
    // Stripe rules are off.
    write(
        dir.path(),
        "pay.py",
        "STRIPE = \"sk_live_4eC39HqLyjWDarjtT1zdp7dcABCDEFGH\"\n",
    );
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        all_findings(&output),
        expected(&[("github-pat-classic", "ci.yml", 1)])
    );
}

#[test]
fn gitleaksignore_drops_listed_findings() {
    let dir = tree(".gitleaks.toml");
    write(
        dir.path(),
        ".gitleaksignore",
        "# reviewed 2024-05-01\n\
         src/client.py:acme-api-key:4\n\
         widget.env:Widget_Token:1\n\
         deploy/prod.yaml:generic-api-key:2\n\
         certs/client.p12:keystore-file:0\n\
         README.md:deploy-password:1\n",
    );
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    // README.md's entry names a rule of the config that did not find
    // anything there, so the acme finding on that line stays.
    assert_eq!(
        findings(&output.stdout),
        expected(&[
            ("acme-api-key", "src/keys.py", 1),
            ("acme-api-key", "fixtures/live.py", 1),
            ("acme-api-key", "README.md", 1),
            ("internal-url-secret", "notes.txt", 1),
        ])
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    // Four of the fixture's rules. (leakhound's generic-password also
    // matches the deploy manifest's line, but yields to the config's
    // deploy-password rule there, so it is not reported at all.)
    assert!(
        stderr.contains("4 finding(s) not reported: listed in .gitleaksignore"),
        "{stderr}"
    );
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", message]);
    git_output(dir, &["rev-parse", "HEAD"])
}

/// A repository whose history has a widget token in each of two commits
/// (and one in vendor/), the same deploy manifest at two paths, and a
/// keystore.
fn repo() -> (TempDir, String, String) {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write_config(root, ".gitleaks.toml");
    write(root, "a.env", format!("widget_token = \"{WIDGET}\"\n"));
    let first = commit(root, "add a.env");
    write(root, "b.env", "widget_token = \"wt-fedcba9876543210\"\n");
    let manifest = format!("password: \"{DEPLOY_PASSWORD}\"\n");
    write(root, "deploy/app.yaml", &manifest);
    write(root, "copies/app.yaml", &manifest);
    write(root, "certs/store.jks", b"\xfe\xed\xfe\xed keystore");
    // The global path allowlist (vendor/) holds for history too.
    write(
        root,
        "vendor/w.env",
        "widget_token = \"wt-aaaabbbbccccdddd\"\n",
    );
    let second = commit(root, "add b.env, manifests, a keystore and a vendored file");
    git(root, &["rm", "-q", "a.env", "b.env", "certs/store.jks"]);
    commit(root, "remove them");
    (dir, first, second)
}

fn history_findings(dir: &Path) -> Vec<(String, String, String)> {
    let output = leakhound()
        .args(["scan", "history", "--format", "json", "--no-progress"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.code() == Some(1) || output.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = parse_json(&output.stdout);
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["commit"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(rule, _, _)| FIXTURE_RULES.contains(&rule.as_str()))
        .collect();
    found.sort();
    found
}

#[test]
fn history_finds_path_and_file_rules_at_their_paths() {
    let (dir, first, second) = repo();
    let mut want = vec![
        ("widget-token".to_string(), "a.env".to_string(), first),
        ("widget-token".into(), "b.env".into(), second.clone()),
        // One blob at two paths: only deploy/ is the rule's.
        (
            "deploy-password".into(),
            "deploy/app.yaml".into(),
            second.clone(),
        ),
        ("keystore-file".into(), "certs/store.jks".into(), second),
    ];
    want.sort();
    assert_eq!(history_findings(dir.path()), want);
}

#[test]
fn commits_allowlist_drops_history_findings_of_that_commit() {
    let (dir, first, second) = repo();
    let config = CONFIG.replace("0123456789abcdef0123456789abcdef01234567", &first);
    write(dir.path(), ".gitleaks.toml", config);
    let found = history_findings(dir.path());
    assert!(found.iter().all(|(_, _, c)| *c != first), "{found:?}");
    assert!(found.contains(&("widget-token".into(), "b.env".into(), second)));
}

#[test]
fn gitleaksignore_entries_with_commits_match_history_findings() {
    let (dir, first, second) = repo();
    write(
        dir.path(),
        ".gitleaksignore",
        format!(
            "{first}:a.env:Widget_Token:1\n{first}:b.env:Widget_Token:1\ncerts/store.jks:keystore-file:0\n"
        ),
    );
    let found = history_findings(dir.path());
    assert_eq!(
        found,
        vec![
            (
                "deploy-password".into(),
                "deploy/app.yaml".into(),
                second.clone()
            ),
            ("widget-token".into(), "b.env".into(), second),
        ]
    );
}

#[test]
fn staged_scan_reads_the_gitleaks_config_and_ignore_file() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write_config(root, ".gitleaks.toml");
    commit(root, "config");
    write(root, "a.env", format!("widget_token = \"{WIDGET}\"\n"));
    write(root, "certs/new.p12", b"\x30\x82 keystore");
    git(root, &["add", "-A"]);
    let output = leakhound()
        .args(["scan", "staged", "--format", "json"])
        .current_dir(root)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        findings(&output),
        expected(&[
            ("widget-token", "a.env", 1),
            ("keystore-file", "certs/new.p12", 1)
        ])
    );

    write(root, ".gitleaksignore", "a.env:Widget_Token:1\n");
    let output = leakhound()
        .args(["scan", "staged"])
        .current_dir(root)
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let advice = String::from_utf8(output).unwrap();
    assert!(
        advice.contains("1 secret in the staged changes"),
        "{advice}"
    );
    assert!(advice.contains("disabledRules"), "{advice}");
}
