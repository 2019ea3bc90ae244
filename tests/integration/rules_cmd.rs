//! `leakhound rules list` and `leakhound rules check`.

use crate::helpers::*;
use predicates::prelude::*;
use tempfile::TempDir;

/// The test rule as a plain rule file, with extra top-level rule fields and
/// trailing tables.
fn rule_file(fields: &str, tables: &str) -> String {
    TEST_CONFIG
        .replace("[extend]\nbuiltin = false\n", "")
        .replace("secret_group = 1", &format!("secret_group = 1\n{fields}"))
        + tables
        + "\n"
}

#[test]
fn builtin_rules_pass_their_own_examples() {
    leakhound()
        .args(["rules", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("all passed"));
}

#[test]
fn builtin_rules_are_listed_with_keywords() {
    let output = leakhound()
        .args(["rules", "list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let rules = parse_json(&output.stdout);
    let rules = rules.as_array().unwrap();
    for rule in rules {
        assert!(!rule["keywords"].as_array().unwrap().is_empty(), "{rule}");
        assert_eq!(rule["provider"], rule["tags"][0], "{rule}");
    }
}

#[test]
fn builtin_rules_cover_200_rules_and_150_providers() {
    let output = leakhound()
        .args(["rules", "list", "--json"])
        .output()
        .unwrap();
    let rules = parse_json(&output.stdout);
    let rules = rules.as_array().unwrap();
    let providers: std::collections::BTreeSet<&str> = rules
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 200, "{} rules", rules.len());
    assert!(providers.len() >= 150, "{} providers", providers.len());
    // Families a user expects by name.
    for provider in [
        "aws",
        "google",
        "azure-devops",
        "github",
        "gitlab",
        "npm",
        "pypi",
        "slack",
        "stripe",
        "openai",
        "anthropic",
        "datadog",
        "sentry",
        "vault",
        "okta",
        "snowflake",
        "age",
    ] {
        assert!(providers.contains(provider), "no rule for {provider}");
    }
}

#[test]
fn check_reports_an_example_that_does_not_match() {
    let dir = TempDir::new().unwrap();
    let rules = rule_file(
        "negative_examples = [\"tok_\"]",
        "[[rules.examples]]\ntext = \"t = tok_short\"\nsecret = \"tok_short\"",
    );
    write(dir.path(), "mine.toml", rules);
    leakhound()
        .args(["rules", "check", "mine.toml"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "mine.toml: rule `test-token`: example 1",
        ));
}

#[test]
fn check_reports_a_negative_example_that_matches() {
    let dir = TempDir::new().unwrap();
    let rules = rule_file(
        &format!("negative_examples = [\"k = {TEST_SECRET}\"]"),
        &format!("[[rules.examples]]\ntext = \"{TEST_SECRET}\"\nsecret = \"{TEST_SECRET}\""),
    );
    write(dir.path(), "mine.toml", rules);
    leakhound()
        .args(["rules", "check", "mine.toml"])
        .current_dir(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("negative example 1"));
}

#[test]
fn check_of_a_malformed_file_names_the_field() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "bad.toml",
        TEST_CONFIG
            .replace("[extend]\nbuiltin = false\n", "")
            .replace("keywords", "keywordz"),
    );
    leakhound()
        .args(["rules", "check", "bad.toml"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"))
        .stderr(predicate::str::contains("keywordz"));
}
