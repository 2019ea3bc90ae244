//! Engine behaviour on hand-written rules, and the property that the
//! prefilter never changes what is found.

use super::*;
use crate::engine::finding::Detection;
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

pub(super) fn engine(mode: MatchMode) -> Engine {
    let rules = parse_rule_file("test.toml", RULES).unwrap();
    Engine::new(RuleSet::new(rules, GlobalAllow::default()), mode)
}

pub(super) fn rule_named<'a>(engine: &'a Engine, id: &str) -> &'a Rule {
    engine.rules().rules.iter().find(|r| r.id == id).unwrap()
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
fn a_path_limited_rule_compiles_its_regex_only_where_it_applies() {
    let engine = engine(MatchMode::Prefiltered);
    let env_only = rule_named(&engine, "env-only");
    secrets(&engine, "ENVSECRET=abcdefgh", Some("src/main.rs"));
    assert!(
        !env_only.is_compiled(),
        "its keyword hit a file it does not apply to"
    );
    secrets(&engine, "ENVSECRET=abcdefgh", Some("deploy/prod.env"));
    assert!(env_only.is_compiled());
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
fn allowlists_compile_only_when_the_regex_first_matches() {
    let engine = engine(MatchMode::Prefiltered);
    let rule = |id: &str| rule_named(&engine, id);
    // The keyword hits but nothing is assigned: the regex runs, the
    // allowlists are not needed.
    assert!(secrets(&engine, "let password_field = form.password;\n", None).is_empty());
    assert!(rule("word-password").is_compiled());
    assert!(!rule("word-password").vetoes_compiled());
    let found = secrets(&engine, "password = \"Zq3nR8vT1x\"\n", None);
    assert_eq!(found.len(), 1);
    assert!(rule("word-password").vetoes_compiled());
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
pub(super) fn line_strategy() -> impl Strategy<Value = String> {
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

/// Rules in the shape gitleaks rules take: blob scope, keyword-less,
/// first-group secrets, path regexes, file rules and allowlist blocks.
const BLOB_RULES: &str = r#"
[[rules]]
id = "blob-keyword"
name = "Blob keyword"
keywords = ["vendorx"]
keyword_case = "ignore"
scope = "blob"
regex = '''vx-([a-f0-9]{10})'''
secret_group = "first"
severity = "high"
confidence = "high"
remediation = { summary = "Revoke it." }

[[rules]]
id = "blob-always"
name = "Blob without keywords"
scope = "blob"
regex = '''(?:zq|ZQ)(?:-([0-9]{6})|_([0-9]{8}))'''
secret_group = "first"
severity = "low"
confidence = "low"
remediation = { summary = "Revoke it." }
allowlists = [
  { regexes = ['''^000'''] },
  { condition = "and", stopwords = ["9999"], path_regexes = ['''^fixtures/'''] },
  { regexes = ['''legacy'''], regex_target = "line" },
  { commits = ["0123456789abcdef0123456789abcdef01234567"] },
]

[[rules]]
id = "conf-only"
name = "Config-only token"
scope = "blob"
regex = '''conftok=([a-z]{8})'''
secret_group = 1
paths = { regex = '''\.conf$''' }
severity = "low"
confidence = "low"
remediation = { summary = "Move it." }

[[rules]]
id = "keystore-file"
name = "Keystore file"
paths = { regex = '''(?i)\.(p12|pfx)$''' }
allowlists = [{ path_regexes = ['''^testdata/'''] }]
severity = "medium"
confidence = "medium"
remediation = { summary = "Remove the keystore." }
"#;

fn blob_engine(mode: MatchMode) -> Engine {
    let rules = parse_rule_file("blob.toml", BLOB_RULES).unwrap();
    Engine::new(RuleSet::new(rules, GlobalAllow::default()), mode)
}

#[test]
fn blob_scope_runs_anywhere_once_a_keyword_occurs() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let text = "# VendorX settings\n\n\nkey: vx-0123abcdef\n";
    let found = secrets(&engine, text, None);
    assert_eq!(
        found,
        vec![("blob-keyword".into(), "0123abcdef".into(), 4, 6)]
    );
    assert!(secrets(&engine, "key: vx-0123abcdef\n", None).is_empty());
}

#[test]
fn keywordless_blob_rule_runs_on_every_input() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let found = secrets(&engine, "a\nb ZQ_12345678\n", None);
    assert_eq!(found, vec![("blob-always".into(), "12345678".into(), 2, 3)]);
}

#[test]
fn first_matched_group_is_the_secret() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let found = secrets(&engine, "zq-123456 zq_87654321", None);
    let got: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(got, vec!["123456", "87654321"]);
}

#[test]
fn allowlist_blocks_veto_by_target_and_condition() {
    let engine = blob_engine(MatchMode::Prefiltered);
    // `or` on the secret
    assert!(secrets(&engine, "zq-000123", None).is_empty());
    // `line` target
    assert!(secrets(&engine, "zq-123456 # legacy", None).is_empty());
    // `and`: stopword and path both, or no veto
    assert!(secrets(&engine, "zq-999912", Some("fixtures/a.txt")).is_empty());
    assert_eq!(secrets(&engine, "zq-999912", Some("src/a.txt")).len(), 1);
    assert_eq!(
        secrets(&engine, "zq-123412", Some("fixtures/a.txt")).len(),
        1
    );
}

#[test]
fn commit_criteria_and_unknown_paths_stay_pending() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let found = engine.scan(b"zq-999912", Some("src/a"), &mut Scratch::default());
    let pending = found[0].pending.as_deref().expect("commit block waits");
    assert!(!pending.rule_paths);
    assert!(engine.rules().stands_at(pending, Some("src/a"), None));
    assert!(!engine.rules().stands_at(
        pending,
        Some("src/a"),
        Some("0123456789abcdef0123456789abcdef01234567")
    ));

    let later = engine.scan_unplaced(b"zq-999912 conftok=abcdefgh", &mut Scratch::default());
    assert_eq!(later.len(), 2);
    let settle = |d: &Detection, path: &str| {
        engine
            .rules()
            .stands_at(d.pending.as_deref().unwrap(), Some(path), None)
    };
    // the `and` block (stopword + path) decides per path
    assert!(settle(&later[0], "src/a.txt"));
    assert!(!settle(&later[0], "fixtures/a.txt"));
    // the rule's own path regex decides per path
    assert!(settle(&later[1], "etc/app.conf"));
    assert!(!settle(&later[1], "etc/app.yaml"));
}

#[test]
fn path_regex_limits_a_rule() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let text = "conftok=abcdefgh";
    assert_eq!(secrets(&engine, text, Some("etc/app.conf")).len(), 1);
    assert!(secrets(&engine, text, Some("etc/app.yaml")).is_empty());
    assert!(secrets(&engine, text, None).is_empty());
}

#[test]
fn file_rules_report_the_path_on_line_one() {
    let engine = blob_engine(MatchMode::Prefiltered);
    let found = engine.file_detections("certs/Client.P12");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].secret, "certs/Client.P12");
    assert_eq!((found[0].line, found[0].column), (1, 1));
    assert!(engine.file_detections("testdata/client.p12").is_empty());
    assert!(engine.file_detections("certs/client.pem").is_empty());
    // Content scans never report file rules: sources call file_detections.
    assert!(secrets(&engine, "anything", Some("certs/client.p12")).is_empty());
}

fn blob_line_strategy() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "vendorx",
        "VENDORX",
        "vx-0123abcdef",
        "vx-0123",
        "zq-123456",
        "ZQ_12345678",
        "zq-000111",
        "zq-999912",
        "legacy",
        "conftok=abcdefgh",
        "gitleaks:allow",
        " ",
    ]);
    prop::collection::vec(fragments, 0..6).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Blob-scope rules too: the prefilter only decides whether they run.
    #[test]
    fn prefilter_finds_what_reference_finds_for_blob_rules(
        lines in prop::collection::vec(blob_line_strategy(), 0..20)
    ) {
        let text = lines.join("\n");
        let fast = blob_engine(MatchMode::Prefiltered);
        let slow = blob_engine(MatchMode::Reference);
        for path in [None, Some("fixtures/a.conf"), Some("src/lib.rs")] {
            let mut a = fast.scan(text.as_bytes(), path, &mut Scratch::default());
            let mut b = slow.scan(text.as_bytes(), path, &mut Scratch::default());
            a.sort_by_key(|d| (d.start, d.end, d.rule));
            b.sort_by_key(|d| (d.start, d.end, d.rule));
            prop_assert_eq!(a, b);
        }
    }
}

const SHARED_PREFIX_RULES: &str = r#"
[[rules]]
id = "loose-format"
name = "Loose format"
keywords = ["sgp_"]
regex = '''\b(sgp_[A-Za-z0-9_]{40,70})\b'''
secret_group = 1
severity = "high"
confidence = "medium"
remediation = { summary = "Revoke it." }

[[rules]]
id = "exact-format"
name = "Exact format"
keywords = ["sgp_"]
regex = '''\b(sgp_[a-f0-9]{40})\b'''
secret_group = 1
severity = "high"
confidence = "high"
remediation = { summary = "Revoke it." }
"#;

#[test]
fn a_secret_two_rules_match_is_reported_once_by_the_surer_rule() {
    let rules = parse_rule_file("test.toml", SHARED_PREFIX_RULES).unwrap();
    let engine = Engine::new(
        RuleSet::new(rules, GlobalAllow::default()),
        MatchMode::Prefiltered,
    );
    let hex = "sgp_355cfc8bfcca7885b9fe0273130abe92661f7a3c";
    let found = secrets(&engine, &format!("TOKEN={hex}\n"), None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "exact-format");
    // Only the loose rule matches this one, so it still reports it.
    let mixed = "sgp_Zq3nR8vT1xY6wB0mK4pL7sD2fH9jA5Zq3nR8vT1xY6wB0m";
    let found = secrets(&engine, &format!("TOKEN={mixed}\n"), None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "loose-format");
}

/// The byte ranges of the chosen lines (by 0-based number), merged.
fn line_ranges(text: &[u8], mut chosen: impl FnMut(usize) -> bool) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for (number, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let span = (start, start + line.len());
        start = span.1;
        if !chosen(number) {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if last.1 == span.0 => last.1 = span.1,
            _ => ranges.push(span),
        }
    }
    ranges
}

/// What a focused scan must return: the full scan's detections that
/// touch the focus.
/// Returns how many detections that is.
fn assert_focus_is_exact(
    engine: &Engine,
    text: &[u8],
    path: Option<&str>,
    focus: &[(usize, usize)],
) -> usize {
    let mut expected = engine.scan(text, path, &mut Scratch::default());
    expected.retain(|d| focus::touches(focus, d.start, d.end));
    let focused = engine.scan_focused(text, path, focus, &mut Scratch::default());
    assert_eq!(focused, expected, "focus {focus:?} of {path:?}");
    focused.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Focusing on some lines only saves work: it finds exactly the
    /// detections of a whole scan that touch those lines.
    #[test]
    fn a_focused_scan_finds_what_the_full_scan_finds_there(
        lines in prop::collection::vec(line_strategy(), 1..30),
        chosen in prop::collection::vec(any::<bool>(), 30),
    ) {
        let text = lines.join("\n");
        let focus = line_ranges(text.as_bytes(), |n| chosen[n]);
        assert_focus_is_exact(&engine(MatchMode::Prefiltered), text.as_bytes(), None, &focus);
    }
}

#[test]
fn a_focus_without_keywords_compiles_no_regex() {
    let engine = engine(MatchMode::Prefiltered);
    let text = "password = \"hunter2hunter2\"\n".repeat(20) + "x = 1\n";
    let last_line = line_ranges(text.as_bytes(), |n| n == 20);
    let found = engine.scan_focused(text.as_bytes(), None, &last_line, &mut Scratch::default());
    assert!(found.is_empty());
    let password_rule = rule_named(&engine, "word-password");
    assert!(
        !password_rule.is_compiled(),
        "a regex ran far from the focus"
    );
}

/// The built-in rules, prefiltered.
pub(super) fn builtin_engine() -> Engine {
    let rules = crate::rules::load::builtin_rules().unwrap();
    Engine::new(
        RuleSet::new(rules, GlobalAllow::default()),
        MatchMode::Prefiltered,
    )
}

/// Every file of the labelled corpus, (path in the corpus, bytes), by path.
pub(super) fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/corpus"));
    let mut folders = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(path) = folders.pop() {
        if path.is_dir() {
            folders.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.push((name, std::fs::read(&path).unwrap()));
    }
    files.sort();
    files
}

/// The built-in rules over the labelled corpus, focused on every line in
/// turn and on scattered sets of lines: the same findings as a full scan.
#[test]
fn focused_scans_of_the_corpus_match_full_scans_with_builtin_rules() {
    let engine = builtin_engine();
    let (mut checked, mut found) = (0, 0);
    for (name, text) in corpus_files() {
        let lines = text.split_inclusive(|&b| b == b'\n').count();
        for line in 0..lines.min(200) {
            let focus = line_ranges(&text, |n| n == line);
            found += assert_focus_is_exact(&engine, &text, Some(&name), &focus);
        }
        // A fixed pseudo-random choice of lines, different per file.
        let mut seed = (name.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        for _ in 0..8 {
            let focus = line_ranges(&text, |_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                seed >> 62 == 0
            });
            found += assert_focus_is_exact(&engine, &text, Some(&name), &focus);
        }
        checked += 1;
    }
    assert!(checked > 50, "the corpus has {checked} files");
    assert!(found > 200, "only {found} detections in focus");
}
