//! Engine behaviour on hand-written rules, and the property that the
//! prefilter never changes what is found.

use super::*;
use crate::rules::GlobalAllow;
use crate::rules::load::parse_rule_file;
use proptest::prelude::*;

const RULES: &str = r#"
[[rules]]
id = "acme-token"
name = "Acme token"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{12})\b'''
secret_group = 1
entropy = 2.5
severity = "high"
confidence = "high"
remediation = { summary = "Revoke it." }

[[rules]]
id = "word-password"
name = "Password assignment"
keywords = ["password"]
keyword_case = "ignore"
regex = '''(?i)password\s*=\s*"([^"\s]{8,})"'''
secret_group = 1
allow = { stopwords = ["changeme"], line_regexes = ['''^\s*#'''] }
severity = "medium"
confidence = "low"
remediation = { summary = "Rotate it." }

[[rules]]
id = "block-key"
name = "Block key"
keywords = ["BEGIN KEY"]
regex = '''BEGIN KEY\n(?:[A-Za-z0-9]+\n){1,20}END KEY'''
window = { lines_after = 20 }
severity = "critical"
confidence = "high"
remediation = { summary = "Replace it." }

[[rules]]
id = "env-only"
name = "Env-only secret"
keywords = ["ENVSECRET"]
regex = '''ENVSECRET=([a-z]{6,})'''
secret_group = 1
paths = { include = ["**/*.env", "*.env"] }
severity = "low"
confidence = "low"
remediation = { summary = "Move it." }
"#;

fn engine(mode: MatchMode) -> Engine {
    let rules = parse_rule_file("test.toml", RULES).unwrap();
    Engine::new(RuleSet::new(rules, GlobalAllow::default()), mode)
}

fn secrets(engine: &Engine, text: &str, path: Option<&str>) -> Vec<(String, String, u64, u64)> {
    engine
        .scan(text.as_bytes(), path, &mut Scratch::default())
        .into_iter()
        .map(|d| {
            (
                engine.rules().rules[d.rule].id.clone(),
                d.secret,
                d.line,
                d.column,
            )
        })
        .collect()
}

#[test]
fn finds_token_with_position() {
    let engine = engine(MatchMode::Prefiltered);
    let found = secrets(&engine, "x = 1\n  key: acme_a1b2c3d4e5f6\n", None);
    assert_eq!(
        found,
        vec![("acme-token".into(), "acme_a1b2c3d4e5f6".into(), 2, 8)]
    );
}

#[test]
fn case_insensitive_keyword_hits_any_case() {
    let engine = engine(MatchMode::Prefiltered);
    let found = secrets(&engine, "PASSWORD = \"s3cr3tV4lue\"", None);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, "s3cr3tV4lue");
}

#[test]
fn entropy_and_stopwords_veto() {
    let engine = engine(MatchMode::Prefiltered);
    assert!(secrets(&engine, "acme_aaaaaaaaaaaa", None).is_empty());
    assert!(secrets(&engine, "password = \"changeme123\"", None).is_empty());
}

#[test]
fn line_allow_regex_vetoes() {
    let engine = engine(MatchMode::Prefiltered);
    assert!(secrets(&engine, "  # password = \"s3cr3tV4lue\"", None).is_empty());
}

#[test]
fn inline_markers_silence_their_line_only() {
    let engine = engine(MatchMode::Prefiltered);
    let text = "a = acme_a1b2c3d4e5f6 # leakhound:allow\n\
                b = acme_z9y8x7w6v5u4 // gitleaks:allow\n\
                c = acme_q1w2e3r4t5y6\n";
    let found = secrets(&engine, text, None);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, "acme_q1w2e3r4t5y6");
}

#[test]
fn multi_line_rule_uses_its_window() {
    let engine = engine(MatchMode::Prefiltered);
    let text = "junk\nBEGIN KEY\nabc123\ndef456\nEND KEY\ntrailer\n";
    let found = secrets(&engine, text, None);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "block-key");
    assert_eq!(found[0].2, 2);
}

#[test]
fn path_limited_rule_runs_only_on_its_paths() {
    let engine = engine(MatchMode::Prefiltered);
    let text = "ENVSECRET=abcdefgh";
    assert_eq!(secrets(&engine, text, Some("deploy/prod.env")).len(), 1);
    assert!(secrets(&engine, text, Some("src/main.rs")).is_empty());
    assert!(secrets(&engine, text, None).is_empty());
}

#[test]
fn rules_compile_only_when_their_keywords_hit() {
    let engine = engine(MatchMode::Prefiltered);
    secrets(&engine, "nothing to see here acme_a1b2c3d4e5f6", None);
    let compiled: Vec<&str> = engine
        .rules()
        .rules
        .iter()
        .filter(|r| r.is_compiled())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(compiled, vec!["acme-token"]);
}

#[test]
fn non_utf8_input_is_scanned() {
    let engine = engine(MatchMode::Prefiltered);
    let mut input = b"\xff\xfe garbage \xc3 ".to_vec();
    input.extend_from_slice(b"acme_a1b2c3d4e5f6\n");
    let found = engine.scan(&input, None, &mut Scratch::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].secret, "acme_a1b2c3d4e5f6");
}

#[test]
fn secrets_in_huge_single_line_files_are_found() {
    // Minified bundles put megabytes on one line; windows are capped there.
    let engine = engine(MatchMode::Prefiltered);
    let mut text = "var a=1;".repeat(100_000);
    text.push_str(" acme_a1b2c3d4e5f6 ");
    text.push_str(&"password;".repeat(50_000));
    let found = secrets(&engine, &text, None);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, "acme_a1b2c3d4e5f6");
    assert_eq!(found[0].3, 800_002);
}

/// Lines built from fragments that make rules fire, nearly fire, or not.
fn line_strategy() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "acme_a1b2c3d4e5f6",
        "acme_zzzzzzzzzzzz",
        "acme_short",
        "xacme_a1b2c3d4e5f6",
        "password = \"Tr0ub4dor&3x\"",
        "PassWord=\"hunter22hunter\"",
        "password = \"changeme1\"",
        "BEGIN KEY",
        "END KEY",
        "abc123",
        "ENVSECRET=abcdefgh",
        "leakhound:allow",
        "fn main() {",
        "let x = 42;",
        "é ü 漢",
        " ",
        "\t",
    ]);
    prop::collection::vec(fragments, 0..6).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The prefilter is an optimisation only: windowed matching finds exactly
    /// what running every regex over the whole input finds.
    #[test]
    fn prefilter_finds_what_reference_finds(lines in prop::collection::vec(line_strategy(), 0..30)) {
        let text = lines.join("\n");
        let fast = engine(MatchMode::Prefiltered);
        let slow = engine(MatchMode::Reference);
        for path in [None, Some("a/b.env"), Some("src/lib.rs")] {
            let mut a = fast.scan(text.as_bytes(), path, &mut Scratch::default());
            let mut b = slow.scan(text.as_bytes(), path, &mut Scratch::default());
            a.sort_by_key(|d| (d.start, d.end, d.rule));
            b.sort_by_key(|d| (d.start, d.end, d.rule));
            prop_assert_eq!(a, b);
        }
    }
}
