//! Loading rule files and user configs, validating them, and merging a user
//! config into the built-in rules.

use super::allowlist::Allowlist;
use super::compiled::{Rule, compile_globs, compile_regex};
use super::schema::{AllowlistSpec, ConfigFile, GlobalAllowSpec, RuleFile, RuleSpec, Scope};
use super::{GlobalAllow, RuleError, RuleSet, gitleaks};
use crate::engine::checksum::Checksum;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The built-in rule files, as `(file name, TOML text, compact JSON)`.
pub fn builtin_files() -> &'static [(&'static str, &'static str, &'static str)] {
    builtin::FILES
}

/// Every built-in rule, validated, without examples: what scans use. Read
/// from the compact JSON that `build.rs` made, for a fast start.
pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (name, _, json) in builtin_files() {
        let origin = format!("rules/{name}");
        let file: RuleFile = serde_json::from_str(json)
            .map_err(|e| RuleError::new(&origin, None, None, e.to_string()))?;
        for spec in file.rules {
            validate_spec(&spec, &origin)?;
            rules.push(Rule::from_spec(spec, &origin));
        }
    }
    check_unique_ids(&rules)?;
    Ok(rules)
}

/// Every built-in rule with its examples, parsed from the TOML as written:
/// what `rules check` and `rules list` use.
pub fn builtin_rules_with_examples() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (name, text, _) in builtin_files() {
        rules.extend(parse_rule_file(&format!("rules/{name}"), text)?);
    }
    check_unique_ids(&rules)?;
    Ok(rules)
}

/// Parses and validates one rule file. `origin` names it in errors.
pub fn parse_rule_file(origin: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
    file.rules
        .into_iter()
        .map(|spec| {
            validate_spec(&spec, origin)?;
            Ok(Rule::from_spec(spec, origin))
        })
        .collect()
}

/// Reads a rule file from disk.
pub fn read_rule_file(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| RuleError::new(&origin, None, None, format!("cannot read: {e}")))?;
    parse_rule_file(&origin, &text)
}

/// Builds the rule set for a scan: built-ins (unless the config drops them)
/// merged with the user config at `config_path`, if any.
pub fn load_rule_set(config_path: Option<&Path>) -> Result<RuleSet, RuleError> {
    load_config(config_path).map(|loaded| loaded.rules)
}

/// Which format a config file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigDialect {
    Leakhound,
    /// A gitleaks v8 config, converted (see `rules::gitleaks`).
    Gitleaks,
}

/// The rules of a scan, and what loading the config had to say.
#[derive(Debug)]
pub struct LoadedConfig {
    pub rules: RuleSet,
    /// `None` when there is no config file (built-in rules only).
    pub dialect: Option<ConfigDialect>,
    /// Settings that were not honoured, naming file, rule and field.
    pub warnings: Vec<RuleError>,
    /// Things worth knowing about how the config was read.
    pub notes: Vec<String>,
    /// For a gitleaks config: each gitleaks rule id and the id it has here.
    pub gitleaks_rule_ids: BTreeMap<String, String>,
}

/// Loads the rules for a scan from the config at `config_path`, a
/// leakhound config or a gitleaks one (told apart by its keys), or the
/// built-in rules alone.
pub fn load_config(config_path: Option<&Path>) -> Result<LoadedConfig, RuleError> {
    let Some(path) = config_path else {
        return Ok(LoadedConfig {
            rules: RuleSet::new(builtin_rules()?, GlobalAllow::default()),
            dialect: None,
            warnings: Vec::new(),
            notes: Vec::new(),
            gitleaks_rule_ids: BTreeMap::new(),
        });
    };
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| RuleError::new(&origin, None, None, format!("cannot read config: {e}")))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| toml_error(&origin, &text, &e))?;
    if gitleaks::is_gitleaks_config(path, &table) {
        let builtin_ids: Vec<String> = builtin_rules()?.into_iter().map(|r| r.id).collect();
        let converted = gitleaks::convert(path, &table, &builtin_ids)?;
        return Ok(LoadedConfig {
            rules: merge_config(converted.config, &origin)?,
            dialect: Some(ConfigDialect::Gitleaks),
            warnings: converted.warnings,
            notes: converted.notes,
            gitleaks_rule_ids: converted.rule_ids,
        });
    }
    // Parsed again as typed data: its errors name the line and the rule.
    let config: ConfigFile = toml::from_str(&text).map_err(|e| toml_error(&origin, &text, &e))?;
    Ok(LoadedConfig {
        rules: merge_config(config, &origin)?,
        dialect: Some(ConfigDialect::Leakhound),
        warnings: Vec::new(),
        notes: Vec::new(),
        gitleaks_rule_ids: BTreeMap::new(),
    })
}

fn merge_config(config: ConfigFile, origin: &str) -> Result<RuleSet, RuleError> {
    let mut rules = if config.extend.builtin {
        builtin_rules()?
    } else {
        Vec::new()
    };

    for spec in config.rules {
        validate_spec(&spec, origin)?;
        let rule = Rule::from_spec(spec, origin);
        // User rules are few and untested by us: compile them now so a bad
        // regex is reported at start with its file and rule, not mid-scan.
        rule.compile_now()
            .map_err(|e| RuleError::new(origin, Some(&rule.id), None, e.to_string()))?;
        if let Some(existing) = rules.iter_mut().find(|r| r.id == rule.id) {
            // A user rule with a built-in id replaces it: that is how a team
            // tunes a built-in beyond what `overrides` offers.
            *existing = rule;
        } else {
            rules.push(rule);
        }
    }
    check_unique_ids(&rules)?;

    let known: HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for id in config.extend.disable.iter().chain(config.overrides.keys()) {
        if !known.contains(id.as_str()) {
            return Err(RuleError::new(
                origin,
                Some(id),
                None,
                "no rule has this id (see `leakhound rules list`)".to_string(),
            ));
        }
    }
    let disabled: HashSet<&str> = config.extend.disable.iter().map(String::as_str).collect();
    rules.retain(|r| !disabled.contains(r.id.as_str()));

    for (id, change) in config.overrides {
        let Some(index) = rules.iter().position(|r| r.id == id) else {
            continue; // disabled and overridden: the disable wins
        };
        let old = &rules[index];
        let mut spec = rule_to_spec(old);
        if let Some(entropy) = change.entropy {
            spec.entropy = Some(entropy);
        }
        if let Some(severity) = change.severity {
            spec.severity = severity;
        }
        if let Some(confidence) = change.confidence {
            spec.confidence = confidence;
        }
        if let Some(allow) = change.allow {
            spec.allow.regexes.extend(allow.regexes);
            spec.allow.line_regexes.extend(allow.line_regexes);
            spec.allow.stopwords.extend(allow.stopwords);
        }
        spec.allowlists.extend(change.allowlists);
        if let Some(paths) = change.paths {
            spec.paths = paths;
        }
        validate_spec(&spec, origin)?;
        let rule = Rule::from_spec(spec, &old.origin);
        rule.compile_now()
            .map_err(|e| RuleError::new(origin, Some(&id), None, e.to_string()))?;
        rules[index] = rule;
    }

    let allow = compile_global_allow(&config.allow, &config.allowlists, origin)?;
    Ok(RuleSet::new(rules, allow))
}

fn compile_global_allow(
    spec: &GlobalAllowSpec,
    allowlists: &[AllowlistSpec],
    origin: &str,
) -> Result<GlobalAllow, RuleError> {
    let err = |message: String| RuleError::new(origin, None, None, message);
    Ok(GlobalAllow {
        allowlists: allowlists
            .iter()
            .enumerate()
            .map(|(n, a)| Allowlist::compile(a, &format!("allowlists[{n}]")).map_err(err))
            .collect::<Result<_, _>>()?,
        paths: compile_globs(&spec.paths, "allow.paths").map_err(err)?,
        regexes: spec
            .regexes
            .iter()
            .map(|r| compile_regex(r).map_err(|e| err(format!("field `allow.regexes`: {e}"))))
            .collect::<Result<_, _>>()?,
        stopwords: spec
            .stopwords
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
    })
}

/// Rebuilds a spec from a rule, to re-validate it after an override.
fn rule_to_spec(rule: &Rule) -> RuleSpec {
    use super::schema::{AllowSpec, KeywordCase, PathSpec};
    RuleSpec {
        id: rule.id.clone(),
        name: rule.name.clone(),
        description: rule.description.clone(),
        keywords: rule.keywords.clone(),
        keyword_case: match rule.keyword_case {
            KeywordCase::Exact => KeywordCase::Exact,
            KeywordCase::Ignore => KeywordCase::Ignore,
        },
        scope: rule.scope,
        regex: rule.regex.clone(),
        secret_group: rule.secret_group,
        parts: rule.parts.clone(),
        entropy: rule.entropy,
        checksum: rule.checksum.map(|c| {
            Checksum::NAMES
                .iter()
                .find(|n| Checksum::from_name(n) == Some(c))
                .expect("every validator has a name")
                .to_string()
        }),
        allow: AllowSpec {
            regexes: rule.allow_regexes.clone(),
            line_regexes: rule.allow_line_regexes.clone(),
            stopwords: rule.allow_stopwords.clone(),
        },
        allowlists: rule.allowlists.clone(),
        paths: PathSpec {
            include: rule.path_include.clone(),
            exclude: rule.path_exclude.clone(),
            regex: rule.path_regex.clone(),
        },
        window: rule.window,
        companion: rule.companion.clone(),
        severity: rule.severity,
        confidence: rule.confidence,
        tags: rule.tags.clone(),
        remediation: rule.remediation.clone(),
        examples: rule.examples.clone(),
        negative_examples: rule.negative_examples.clone(),
    }
}

/// The most lines a window may reach around a hit; larger windows would
/// make one keyword hit cost a scan of the whole file.
const MAX_WINDOW_LINES: u32 = 500;

/// Checks what serde cannot: non-empty keywords, known validators, sane numbers.
fn validate_spec(spec: &RuleSpec, origin: &str) -> Result<(), RuleError> {
    let err =
        |field: &str, message: String| RuleError::new(origin, Some(&spec.id), Some(field), message);
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(err("id", "must be non-empty lowercase [a-z0-9.-]".into()));
    }
    if spec.name.trim().is_empty() {
        return Err(err("name", "must not be empty".into()));
    }
    if spec.regex.is_empty() {
        validate_file_rule(spec, origin)?;
    } else if spec.keywords.is_empty() && spec.scope == Scope::Window {
        return Err(err(
            "keywords",
            "a rule needs at least one keyword: the prefilter runs a rule only where one occurs \
             (a rule with `scope = \"blob\"` may have none and then runs on every input)"
                .into(),
        ));
    }
    if let Some(empty) = spec.keywords.iter().position(|k| k.is_empty()) {
        return Err(err("keywords", format!("keyword {} is empty", empty + 1)));
    }
    if let Some(entropy) = spec.entropy
        && !(0.0..=8.0).contains(&entropy)
    {
        return Err(err(
            "entropy",
            format!("{entropy} is outside 0..=8 bits per byte"),
        ));
    }
    if let Some(name) = &spec.checksum
        && Checksum::from_name(name).is_none()
    {
        return Err(err(
            "checksum",
            format!(
                "unknown validator `{name}`; known: {}",
                Checksum::NAMES.join(", ")
            ),
        ));
    }
    if spec.window.lines_before > MAX_WINDOW_LINES || spec.window.lines_after > MAX_WINDOW_LINES {
        return Err(err(
            "window",
            format!("at most {MAX_WINDOW_LINES} lines on each side"),
        ));
    }
    if spec.remediation.summary.trim().is_empty() {
        return Err(err("remediation.summary", "must not be empty".into()));
    }
    Ok(())
}

/// A rule without a regex reports files by path alone: it needs paths that
/// select files, and settings about matched text make no sense on it.
fn validate_file_rule(spec: &RuleSpec, origin: &str) -> Result<(), RuleError> {
    let err =
        |field: &str, message: String| RuleError::new(origin, Some(&spec.id), Some(field), message);
    if !spec.paths.selects() {
        return Err(err(
            "regex",
            "must not be empty, unless `paths.include` or `paths.regex` selects files for a file rule"
                .into(),
        ));
    }
    let text_settings = [
        ("keywords", !spec.keywords.is_empty()),
        ("parts", !spec.parts.is_empty()),
        ("entropy", spec.entropy.is_some()),
        ("checksum", spec.checksum.is_some()),
    ];
    if let Some((field, _)) = text_settings.iter().find(|(_, set)| *set) {
        return Err(err(
            field,
            "a rule without `regex` reports files by path and has no text for this to apply to"
                .into(),
        ));
    }
    Ok(())
}

fn check_unique_ids(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen = HashSet::new();
    for rule in rules {
        if !seen.insert(rule.id.as_str()) {
            return Err(RuleError::new(
                &rule.origin,
                Some(&rule.id),
                Some("id"),
                "another rule already has this id".into(),
            ));
        }
    }
    Ok(())
}

/// Turns a TOML error into one that names the file, the line and the rule.
fn toml_error(origin: &str, text: &str, error: &toml::de::Error) -> RuleError {
    let offset = error.span().map_or(0, |s| s.start).min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let rule_id = enclosing_rule_id(text, offset);
    RuleError::new(
        origin,
        rule_id.as_deref(),
        None,
        format!("line {line}: {}", error.message()),
    )
}

/// The `id` of the `[[rules]]` table that contains `offset`, read from the
/// raw text because a document that failed to parse has no tree to ask.
fn enclosing_rule_id(text: &str, offset: usize) -> Option<String> {
    let table_start = text[..offset].rfind("[[rules]]")?;
    let table_end = text[table_start + 9..]
        .find("[[rules]]")
        .map_or(text.len(), |e| table_start + 9 + e);
    text[table_start..table_end].lines().find_map(|line| {
        let rest = line
            .trim()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?;
        Some(rest.trim().trim_matches(['"', '\'']).to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[rules]]
id = "acme-key"
name = "Acme key"
keywords = ["acme_"]
regex = '''acme_[a-z0-9]{16}'''
severity = "high"
confidence = "high"
remediation = { summary = "Revoke it." }
"#;

    #[test]
    fn minimal_rule_parses() {
        let rules = parse_rule_file("test.toml", MINIMAL).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].id, "acme-key");
        assert!(!rules[0].is_compiled(), "regexes compile on first use only");
    }

    #[test]
    fn unknown_field_names_file_rule_and_field() {
        let text = MINIMAL.replace("severity", "entrophy = 3\nseverity");
        let err = parse_rule_file("custom.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("custom.toml"), "{err}");
        assert!(err.contains("acme-key"), "{err}");
        assert!(err.contains("entrophy"), "{err}");
        assert!(err.contains("line 7"), "{err}");
    }

    #[test]
    fn rule_without_keywords_is_rejected() {
        let text = MINIMAL.replace(r#"["acme_"]"#, "[]");
        let err = parse_rule_file("x.toml", &text).unwrap_err().to_string();
        assert!(err.contains("keywords"), "{err}");
    }

    #[test]
    fn unknown_checksum_is_rejected() {
        let text = MINIMAL.replace("severity", "checksum = \"crc64\"\nseverity");
        let err = parse_rule_file("x.toml", &text).unwrap_err().to_string();
        assert!(err.contains("crc64") && err.contains("checksum"), "{err}");
    }

    #[test]
    fn builtin_rules_load_the_same_from_json_and_toml() {
        let fast = builtin_rules().unwrap();
        let full = builtin_rules_with_examples().unwrap();
        assert!(!fast.is_empty());
        assert_eq!(fast.len(), full.len());
        for (a, b) in fast.iter().zip(&full) {
            assert_eq!(
                (&a.id, &a.regex, &a.keywords, a.entropy, &a.remediation),
                (&b.id, &b.regex, &b.keywords, b.entropy, &b.remediation)
            );
            assert!(a.examples.is_empty(), "scans do not carry examples");
        }
    }

    #[test]
    fn config_extends_builtins_by_default() {
        let builtin = builtin_rules().unwrap().len();
        let config: ConfigFile = toml::from_str(MINIMAL).unwrap();
        let set = merge_config(config, "cfg.toml").unwrap();
        assert_eq!(set.rules.len(), builtin + 1);
    }

    #[test]
    fn config_can_drop_builtins_only_explicitly() {
        let text = format!("[extend]\nbuiltin = false\n{MINIMAL}");
        let config: ConfigFile = toml::from_str(&text).unwrap();
        let set = merge_config(config, "cfg.toml").unwrap();
        assert_eq!(set.rules.len(), 1);
    }

    #[test]
    fn disabling_an_unknown_rule_is_an_error() {
        let config: ConfigFile =
            toml::from_str("[extend]\ndisable = [\"no-such-rule\"]\n").unwrap();
        let err = merge_config(config, "cfg.toml").unwrap_err().to_string();
        assert!(err.contains("no-such-rule"), "{err}");
    }

    #[test]
    fn bad_user_regex_is_reported_at_load() {
        let text = MINIMAL.replace("acme_[a-z0-9]{16}", "acme_[a-z");
        let config: ConfigFile = toml::from_str(&text).unwrap();
        let err = merge_config(config, "cfg.toml").unwrap_err().to_string();
        assert!(err.contains("acme-key") && err.contains("regex"), "{err}");
    }

    #[test]
    fn override_changes_threshold() {
        let text = format!("{MINIMAL}\n[overrides.acme-key]\nentropy = 4.5\nseverity = \"low\"\n");
        let config: ConfigFile = toml::from_str(&text).unwrap();
        let set = merge_config(config, "cfg.toml").unwrap();
        let rule = set.rules.iter().find(|r| r.id == "acme-key").unwrap();
        assert_eq!(rule.entropy, Some(4.5));
        assert_eq!(rule.severity, crate::rules::schema::Severity::Low);
    }

    #[test]
    fn blob_scope_rule_may_have_no_keywords() {
        let text = MINIMAL.replace(r#"["acme_"]"#, "[]\nscope = \"blob\"");
        let rules = parse_rule_file("x.toml", &text).unwrap();
        assert!(rules[0].keywords.is_empty());
    }

    #[test]
    fn secret_group_takes_a_number_or_first() {
        let first = MINIMAL.replace("severity", "secret_group = \"first\"\nseverity");
        assert!(parse_rule_file("x.toml", &first).is_ok());
        let other = MINIMAL.replace("severity", "secret_group = \"last\"\nseverity");
        let err = parse_rule_file("x.toml", &other).unwrap_err().to_string();
        assert!(err.contains("first") && err.contains("last"), "{err}");
    }

    const FILE_RULE: &str = r#"
[[rules]]
id = "keystore"
name = "Keystore"
paths = { regex = '''\.p12$''' }
severity = "medium"
confidence = "medium"
remediation = { summary = "Remove it." }
"#;

    #[test]
    fn file_rule_needs_selecting_paths_and_no_text_settings() {
        assert!(parse_rule_file("x.toml", FILE_RULE).is_ok());
        let no_paths = FILE_RULE.replace("paths = { regex = '''\\.p12$''' }\n", "");
        let err = parse_rule_file("x.toml", &no_paths)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`regex`"), "{err}");
        let keywords = FILE_RULE.replace("severity", "keywords = [\"p12\"]\nseverity");
        let err = parse_rule_file("x.toml", &keywords)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`keywords`"), "{err}");
    }

    #[test]
    fn allowlist_blocks_load_globally_and_on_overrides() {
        let text = format!(
            "{MINIMAL}\n[[allowlists]]\ncondition = \"and\"\npaths = [\"test/**\"]\ncommits = [\"abcdef0\"]\n\n\
             [[overrides.acme-key.allowlists]]\nregexes = ['''^acme_0''']\n"
        );
        let config: ConfigFile = toml::from_str(&text).unwrap();
        let set = merge_config(config, "cfg.toml").unwrap();
        assert_eq!(set.allow.allowlists.len(), 1);
        let rule = set.rules.iter().find(|r| r.id == "acme-key").unwrap();
        assert_eq!(rule.allowlists.len(), 1);
    }

    #[test]
    fn bad_allowlist_regex_names_rule_and_field() {
        let text = MINIMAL.replace(
            "severity",
            "allowlists = [{ regexes = ['''(''']}]\nseverity",
        );
        let config: ConfigFile = toml::from_str(&text).unwrap();
        let err = merge_config(config, "cfg.toml").unwrap_err().to_string();
        assert!(
            err.contains("acme-key") && err.contains("allowlists[0].regexes"),
            "{err}"
        );
    }

    /// The prefilter decides everything for built-in rules: blob scope and
    /// file rules exist for user (gitleaks) rules only.
    #[test]
    fn builtin_rules_run_in_keyword_windows() {
        for rule in builtin_rules().unwrap() {
            assert_eq!(rule.scope, Scope::Window, "{}", rule.id);
            assert!(!rule.keywords.is_empty(), "{}", rule.id);
            assert!(!rule.is_file_rule(), "{}", rule.id);
        }
    }
}
