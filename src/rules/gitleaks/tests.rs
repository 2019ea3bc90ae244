//! Conversion of gitleaks configs: the fixture in tests/fixtures/gitleaks
//! (every field leakhound converts) and the warnings for what it cannot.

use super::*;
use crate::rules::load::{builtin_rules, load_config};
use crate::rules::schema::{AllowCondition, RegexTarget};
use std::path::PathBuf;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gitleaks/.gitleaks.toml")
}

fn builtin_ids() -> Vec<String> {
    builtin_rules().unwrap().into_iter().map(|r| r.id).collect()
}

fn convert_text(text: &str) -> Result<Converted, RuleError> {
    let table: Table = toml::from_str(text).unwrap();
    convert(Path::new("cfg/.gitleaks.toml"), &table, &builtin_ids())
}

fn fixture() -> Converted {
    let path = fixture_path();
    let table: Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    convert(&path, &table, &builtin_ids()).unwrap()
}

fn rule<'c>(converted: &'c Converted, id: &str) -> &'c RuleSpec {
    converted
        .config
        .rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

fn warnings(converted: &Converted) -> Vec<String> {
    converted.warnings.iter().map(ToString::to_string).collect()
}

fn has_warning(converted: &Converted, parts: &[&str]) -> bool {
    warnings(converted)
        .iter()
        .any(|w| parts.iter().all(|p| w.contains(p)))
}

#[test]
fn fixture_rules_keep_every_setting() {
    let c = fixture();
    let acme = rule(&c, "acme-api-key");
    assert_eq!(acme.name, "Acme API key");
    assert_eq!(acme.regex, r"\b(ak_(?:live|test)_[a-z0-9]{20})\b");
    assert_eq!(acme.secret_group, SecretGroup::Index(1));
    assert_eq!(acme.entropy, Some(3.0));
    // Base keywords first, as gitleaks merges them; lowercased and
    // matched ignoring case, as a blob-level prefilter.
    assert_eq!(acme.keywords, vec!["acme", "apikey_v2"]);
    assert_eq!(acme.keyword_case, KeywordCase::Ignore);
    assert_eq!(acme.scope, Scope::Blob);
    assert_eq!(acme.tags, vec!["acme", "api-key"]);

    let and = &acme.allowlists[0];
    assert_eq!(and.condition, AllowCondition::And);
    assert_eq!(and.regex_target, RegexTarget::Line);
    assert_eq!(and.regexes, vec!["(?i)for example"]);
    assert_eq!(and.path_regexes, vec!["^docs/"]);
    assert_eq!(acme.allowlists[1].stopwords, vec!["dummy"]);
    assert_eq!(acme.allowlists[1].condition, AllowCondition::Or);
}

#[test]
fn old_single_allowlist_and_id_translation() {
    let c = fixture();
    let widget = rule(&c, "widget-token");
    assert_eq!(c.rule_ids["Widget_Token"], "widget-token");
    assert!(has_warning(&c, &["Widget_Token", "`id`", "widget-token"]));
    assert_eq!(widget.secret_group, SecretGroup::FirstMatched);
    let block = &widget.allowlists[0];
    assert_eq!(block.regex_target, RegexTarget::Match);
    assert_eq!(
        block.commits,
        vec!["4b825dc642cb6eb9a060e54bf8d69288fbee4904"]
    );
}

#[test]
fn path_rules_and_file_rules() {
    let c = fixture();
    let deploy = rule(&c, "deploy-password");
    assert_eq!(
        deploy.paths.regex.as_deref(),
        Some(r"(^|/)deploy/[^/]+\.ya?ml$")
    );
    assert!(deploy.keywords.is_empty(), "runs on every blob");
    // The targeted global allowlist lands on the rule.
    assert_eq!(deploy.allowlists[0].stopwords, vec!["changeme"]);

    let keystore = rule(&c, "keystore-file");
    assert!(keystore.regex.is_empty(), "a file rule");
    assert!(keystore.paths.regex.is_some());
}

#[test]
fn go_only_syntax_is_translated() {
    let c = fixture();
    let url = rule(&c, "internal-url-secret");
    assert_eq!(
        url.regex,
        r"https://internal\.acme\.test/\?secret=([A-Za-z0-9]{12})\b"
    );
}

#[test]
fn extend_path_use_default_and_disabled_rules() {
    let c = fixture();
    // useDefault in the extended base keeps leakhound's built-ins.
    assert!(c.config.extend.builtin);
    // disabledRules of the top config removes the base's rule.
    assert!(c.config.rules.iter().all(|r| r.id != "acme-legacy-token"));
    // The base's disabledRules name default rules: mapped, or warned about.
    assert_eq!(
        c.config.extend.disable,
        vec![
            "stripe-secret-key",
            "stripe-restricted-key",
            "stripe-test-secret-key"
        ]
    );
    assert!(has_warning(
        &c,
        &["base.toml", "adafruit-api-key", "disabledRules"]
    ));
    assert!(has_warning(&c, &["extend.url", "not fetched"]));
    // Built-ins are on, so no note says they are off; one says where the
    // `github-pat` allowlist went.
    assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
    assert!(c.notes[0].contains("github-pat-classic"), "{:?}", c.notes);
}

#[test]
fn rule_without_regex_extends_the_builtin_equivalent() {
    let c = fixture();
    let overrides = &c.config.overrides["github-pat-classic"];
    assert_eq!(overrides.allowlists.len(), 1);
    assert_eq!(overrides.allowlists[0].regex_target, RegexTarget::Line);
    assert!(c.config.rules.iter().all(|r| r.id != "github-pat"));
}

#[test]
fn global_allowlists_of_both_forms() {
    let c = fixture();
    let global = &c.config.allowlists;
    // Three untargeted [[allowlists]] here, then base.toml's [allowlist].
    assert_eq!(global.len(), 4);
    assert_eq!(global[0].path_regexes, vec!["(^|/)vendor/"]);
    assert_eq!(global[1].condition, AllowCondition::And);
    assert_eq!(global[1].regex_target, RegexTarget::Secret);
    assert_eq!(
        global[2].commits,
        vec!["0123456789abcdef0123456789abcdef01234567"]
    );
    assert_eq!(global[3].stopwords, vec!["sample"]);
}

#[test]
fn fixture_loads_as_a_rule_set() {
    let loaded = load_config(Some(&fixture_path())).unwrap();
    assert_eq!(
        loaded.dialect,
        Some(crate::rules::load::ConfigDialect::Gitleaks)
    );
    let ids: Vec<&str> = loaded.rules.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"acme-api-key") && ids.contains(&"github-pat-classic"));
    assert!(!ids.contains(&"stripe-secret-key"));
    for rule in &loaded.rules.rules {
        rule.compile_now().unwrap();
    }
}

#[test]
fn dialect_is_told_by_keys_then_name() {
    let is = |name: &str, text: &str| {
        is_gitleaks_config(Path::new(name), &toml::from_str(text).unwrap())
    };
    assert!(is("cfg.toml", "[extend]\nuseDefault = true\n"));
    assert!(is("cfg.toml", "[[rules]]\nid = \"x\"\nregex = 'x'\n"));
    assert!(is("cfg.toml", "[allowlist]\npaths = ['x']\n"));
    assert!(!is("cfg.toml", "[extend]\nbuiltin = false\n"));
    assert!(!is(".gitleaks.toml", "[allow]\npaths = ['x']\n"));
    assert!(is(
        "cfg.toml",
        "[[allowlists]]\nregexTarget = 'line'\nregexes = ['x']\n"
    ));
    assert!(!is(
        "cfg.toml",
        "[[allowlists]]\nregex_target = 'line'\nregexes = ['x']\n"
    ));
    assert!(is(".gitleaks.toml", ""));
    assert!(!is(".leakhound.toml", ""));
}

#[test]
fn keys_are_read_without_case_as_viper_does() {
    let c = convert_text(
        "[Extend]\nUSEDEFAULT = true\n[[Rules]]\nID = \"x\"\nRegex = 'x-(\\d+)'\nSECRETGROUP = 1\n",
    )
    .unwrap();
    assert!(c.config.extend.builtin);
    assert_eq!(c.config.rules[0].secret_group, SecretGroup::Index(1));
}

#[test]
fn without_use_default_only_the_configs_rules_run() {
    let c = convert_text("[[rules]]\nid = \"x\"\nregex = 'x'\n").unwrap();
    assert!(!c.config.extend.builtin);
    assert!(c.notes[0].contains("useDefault"), "{:?}", c.notes);
}

#[test]
fn what_cannot_be_honoured_is_named() {
    let c = convert_text(
        r#"
extra = 1
[extend]
useDefault = true
disabledRules = ["no-such-default"]
[[rules]]
id = "composite"
regex = 'c-\d{8}'
colour = "red"
    [[rules.required]]
    id = "helper"
[[rules]]
id = "helper"
regex = 'h-\d{8}'
skipReport = true
[[rules]]
id = "archive"
path = '\.zip$'
keywords = ["zip"]
entropy = 3.5
[[rules]]
id = "adafruit-api-key"
    [[rules.allowlists]]
    stopwords = ["x"]
[[allowlists]]
targetRules = ["unknown-rule"]
stopwords = ["y"]
"#,
    )
    .unwrap();
    for parts in [
        &["`extra`", "not a gitleaks config field"][..],
        &["no-such-default", "no built-in rule"],
        &["composite", "`colour`"],
        &["composite", "`required`", "composite rules"],
        &["helper", "`skipReport`"],
        &["archive", "`keywords`"],
        &["archive", "`entropy`"],
        &["adafruit-api-key", "not applied"],
        &["unknown-rule", "`targetRules`"],
    ] {
        assert!(has_warning(&c, parts), "{parts:?} in {:#?}", warnings(&c));
    }
    assert!(c.config.rules.iter().all(|r| r.id != "helper"));
    for warning in &c.warnings {
        assert_eq!(warning.origin, "cfg/.gitleaks.toml");
    }
}

#[test]
fn errors_name_the_rule_and_field() {
    let err = |text: &str| convert_text(text).unwrap_err().to_string();
    let e = err("[[rules]]\nid = \"bad\"\nregex = 'a\\Cb'\n");
    assert!(
        e.contains("`bad`") && e.contains("`regex`") && e.contains(r"\C"),
        "{e}"
    );
    let e = err(
        "[[rules]]\nid = \"bad\"\nregex = 'x'\n[[rules.allowlists]]\ncondition = \"XOR\"\nstopwords = ['a']\n",
    );
    assert!(
        e.contains("allowlists[0].condition") && e.contains("XOR"),
        "{e}"
    );
    let e = err(
        "[[rules]]\nid = \"bad\"\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = \"file\"\nregexes = ['a']\n",
    );
    assert!(e.contains("regexTarget") && e.contains("file"), "{e}");
    let e = err(
        "[[rules]]\nid = \"bad\"\nregex = 'x'\n[[rules.allowlists]]\ndescription = \"empty\"\n",
    );
    assert!(e.contains("at least one"), "{e}");
    let e = err("[extend]\nuseDefault = true\npath = \"base.toml\"\n");
    assert!(e.contains("useDefault") && e.contains("path"), "{e}");
    let e = err("[[rules]]\ndescription = \"no id\"\nregex = 'x'\n");
    assert!(e.contains("rules[0].id"), "{e}");
    let e = err("[[rules]]\nid = \"nothing\"\nsecretGroup = \"one\"\nregex = 'x'\n");
    assert!(e.contains("secretGroup"), "{e}");
}

#[test]
fn every_equivalent_is_a_builtin_rule() {
    let ids = builtin_ids();
    for (gitleaks, ours) in DEFAULT_RULE_EQUIVALENTS {
        for id in *ours {
            assert!(ids.contains(&id.to_string()), "{gitleaks} -> {id}");
        }
    }
}

#[test]
fn extend_path_is_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("ci");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        nested.join("shared.toml"),
        "[[rules]]\nid = \"shared\"\nregex = 's-\\d{4}'\n",
    )
    .unwrap();
    let config = nested.join("gitleaks.toml");
    std::fs::write(&config, "[extend]\npath = \"shared.toml\"\n").unwrap();
    let loaded = load_config(Some(&config)).unwrap();
    assert_eq!(loaded.rules.rules.len(), 1);
    assert_eq!(loaded.rules.rules[0].id, "shared");

    std::fs::write(&config, "[extend]\npath = \"gitleaks.toml\"\n").unwrap();
    let err = load_config(Some(&config)).unwrap_err().to_string();
    assert!(err.contains("extends itself"), "{err}");
}
