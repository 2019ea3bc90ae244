//! gitleaks v8 configs (`.gitleaks.toml`) read into leakhound's own config
//! model, so that a team can point leakhound at the file it already has.
//!
//! gitleaks rules become blob-scope rules (keywords are a prefilter only,
//! as in gitleaks) with Go regexes rewritten by `go_regex`; allowlists
//! (`[rules.allowlist]`, `[[rules.allowlists]]`, `[allowlist]`,
//! `[[allowlists]]`) become allowlist blocks; `[extend] useDefault` keeps
//! leakhound's built-in rules, which stand in for gitleaks' defaults, and
//! `disabledRules` switches off the built-ins that have an obvious
//! equivalent. gitleaks reads configs through viper, which ignores the case
//! of keys (`secretGroup`, `secretgroup`), and so does this module. What
//! cannot be honoured is named in a warning, never dropped silently.

mod read;

use super::RuleError;
use super::go_regex;
use super::schema::{
    AllowlistSpec, Confidence, ConfigFile, ExtendSpec, KeywordCase, PathSpec, RemediationSpec,
    RuleSpec, Scope, SecretGroup, Severity,
};
use read::{GlAllowlist, GlConfig, GlRule, Reader, canonical};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use toml::{Table, Value};

/// The name gitleaks looks for at the root of what it scans.
pub const CONFIG_NAME: &str = ".gitleaks.toml";

/// How many configs deep `[extend] path` is followed, as in gitleaks.
const MAX_EXTEND_DEPTH: usize = 2;

/// gitleaks default rule ids with an obvious leakhound built-in equivalent:
/// used for `disabledRules`, for rules that only add allowlists to a
/// default rule, and for `targetRules`.
const DEFAULT_RULE_EQUIVALENTS: &[(&str, &[&str])] = &[
    ("anthropic-admin-api-key", &["anthropic-admin-key"]),
    ("anthropic-api-key", &["anthropic-api-key"]),
    ("aws-access-token", &["aws-access-key-id"]),
    ("digitalocean-access-token", &["digitalocean-oauth-token"]),
    ("digitalocean-pat", &["digitalocean-pat"]),
    (
        "digitalocean-refresh-token",
        &["digitalocean-refresh-token"],
    ),
    ("gcp-api-key", &["google-api-key"]),
    ("generic-api-key", &["generic-api-key"]),
    (
        "github-app-token",
        &[
            "github-user-to-server-token",
            "github-app-installation-token",
        ],
    ),
    ("github-fine-grained-pat", &["github-pat-fine-grained"]),
    ("github-oauth", &["github-oauth-token"]),
    ("github-pat", &["github-pat-classic"]),
    ("github-refresh-token", &["github-refresh-token"]),
    ("gitlab-cicd-job-token", &["gitlab-ci-job-token"]),
    ("gitlab-deploy-token", &["gitlab-deploy-token"]),
    ("gitlab-pat", &["gitlab-pat"]),
    ("gitlab-pat-routable", &["gitlab-pat-routable"]),
    ("gitlab-ptt", &["gitlab-pipeline-trigger-token"]),
    ("gitlab-rrt", &["gitlab-runner-registration-token"]),
    (
        "gitlab-runner-authentication-token",
        &["gitlab-runner-token"],
    ),
    ("hashicorp-tf-api-token", &["terraform-cloud-token"]),
    ("huggingface-access-token", &["huggingface-access-token"]),
    (
        "huggingface-organization-api-token",
        &["huggingface-org-token"],
    ),
    ("jwt", &["jwt"]),
    ("mailgun-private-api-token", &["mailgun-api-key"]),
    ("npm-access-token", &["npm-access-token"]),
    (
        "openai-api-key",
        &["openai-api-key", "openai-project-key", "openai-admin-key"],
    ),
    ("private-key", &["private-key", "pgp-private-key"]),
    ("pypi-upload-token", &["pypi-api-token"]),
    ("sendgrid-api-token", &["sendgrid-api-key"]),
    ("shopify-access-token", &["shopify-access-token"]),
    ("shopify-shared-secret", &["shopify-shared-secret"]),
    ("slack-app-token", &["slack-app-token"]),
    ("slack-bot-token", &["slack-bot-token"]),
    ("slack-config-access-token", &["slack-config-token"]),
    ("slack-config-refresh-token", &["slack-refresh-token"]),
    ("slack-legacy-token", &["slack-legacy-token"]),
    ("slack-user-token", &["slack-user-token"]),
    (
        "slack-webhook-url",
        &["slack-webhook-url", "slack-workflow-webhook-url"],
    ),
    (
        "stripe-access-token",
        &[
            "stripe-secret-key",
            "stripe-restricted-key",
            "stripe-test-secret-key",
        ],
    ),
    ("twilio-api-key", &["twilio-api-key-sid"]),
    ("vault-batch-token", &["vault-batch-token"]),
    (
        "vault-service-token",
        &["vault-service-token", "vault-legacy-token"],
    ),
];

/// Keys that only gitleaks configs have (lowercased, as viper reads them).
const GITLEAKS_TOP_KEYS: &[&str] = &["title", "description", "allowlist", "minversion"];
const GITLEAKS_EXTEND_KEYS: &[&str] = &["usedefault", "disabledrules", "path", "url"];
const GITLEAKS_RULE_KEYS: &[&str] = &["secretgroup", "path", "allowlist", "required", "skipreport"];
const GITLEAKS_ALLOWLIST_KEYS: &[&str] = &["regextarget", "targetrules"];
/// Keys that only leakhound configs have.
const LEAKHOUND_TOP_KEYS: &[&str] = &["allow", "overrides"];
const LEAKHOUND_EXTEND_KEYS: &[&str] = &["builtin", "disable"];
const LEAKHOUND_RULE_KEYS: &[&str] = &[
    "name",
    "severity",
    "confidence",
    "remediation",
    "secret_group",
    "keyword_case",
    "scope",
    "paths",
    "allow",
];
const LEAKHOUND_ALLOWLIST_KEYS: &[&str] = &["regex_target", "path_regexes"];

/// A gitleaks config converted, and what could not be honoured.
#[derive(Debug)]
pub struct Converted {
    pub config: ConfigFile,
    /// Settings that are not honoured, or honoured differently, each
    /// naming the file, the rule and the field.
    pub warnings: Vec<RuleError>,
    /// Things worth knowing that are honoured as gitleaks would.
    pub notes: Vec<String>,
    /// gitleaks rule id → the id of the leakhound rule it became.
    pub rule_ids: BTreeMap<String, String>,
}

/// Whether a config is a gitleaks one: by its keys, and by its name when
/// the keys say nothing either way.
pub fn is_gitleaks_config(path: &Path, table: &Table) -> bool {
    let (gitleaks, leakhound) = dialect_markers(table);
    if leakhound {
        return false;
    }
    gitleaks
        || path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("gitleaks"))
}

/// Whether the table has keys only gitleaks configs have, and keys only
/// leakhound configs have.
fn dialect_markers(table: &Table) -> (bool, bool) {
    let has =
        |t: &Table, keys: &[&str]| t.keys().any(|k| keys.contains(&k.to_lowercase().as_str()));
    let mut gitleaks = has(table, GITLEAKS_TOP_KEYS);
    let mut leakhound = has(table, LEAKHOUND_TOP_KEYS);
    if let Some(Value::Table(extend)) = lookup(table, "extend") {
        gitleaks |= has(extend, GITLEAKS_EXTEND_KEYS);
        leakhound |= has(extend, LEAKHOUND_EXTEND_KEYS);
    }
    let rules = match lookup(table, "rules") {
        Some(Value::Array(rules)) => rules.iter().filter_map(Value::as_table).collect(),
        _ => Vec::new(),
    };
    for rule in &rules {
        // Every leakhound rule has a name; a rule with only gitleaks'
        // shared fields (id, regex, keywords) is a gitleaks rule.
        gitleaks |= has(rule, GITLEAKS_RULE_KEYS) || !rule.contains_key("name");
        leakhound |= has(rule, LEAKHOUND_RULE_KEYS);
    }
    // `[[allowlists]]` is a key of both; the keys of its blocks are not.
    for holder in rules.iter().copied().chain([table]) {
        if let Some(Value::Array(blocks)) = lookup(holder, "allowlists") {
            for block in blocks.iter().filter_map(Value::as_table) {
                gitleaks |= has(block, GITLEAKS_ALLOWLIST_KEYS);
                leakhound |= has(block, LEAKHOUND_ALLOWLIST_KEYS);
            }
        }
    }
    (gitleaks, leakhound)
}

/// A key of a table, compared without case as viper does.
fn lookup<'t>(table: &'t Table, key: &str) -> Option<&'t Value> {
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Converts the gitleaks config at `path` (already parsed as `table`).
/// `builtin_ids` are the ids of leakhound's built-in rules.
pub fn convert(path: &Path, table: &Table, builtin_ids: &[String]) -> Result<Converted, RuleError> {
    let origin = path.display().to_string();
    let mut reader = Reader {
        origin: origin.clone(),
        warnings: Vec::new(),
    };
    let mut config = reader.config(table)?;
    let mut seen = HashSet::from([canonical(path)]);
    let mut consumed = HashSet::new();
    reader.extend_from_path(&mut config, path, 1, &mut seen, &mut consumed)?;
    let mut converter = Converter {
        origin,
        builtin_ids,
        warnings: reader.warnings,
        notes: Vec::new(),
        out: ConfigFile::default(),
        rule_ids: BTreeMap::new(),
    };
    converter.convert(config, &consumed)?;
    Ok(Converted {
        config: converter.out,
        warnings: converter.warnings,
        notes: converter.notes,
        rule_ids: converter.rule_ids,
    })
}

/// Turns a merged `GlConfig` into leakhound's `ConfigFile`.
struct Converter<'a> {
    origin: String,
    builtin_ids: &'a [String],
    warnings: Vec<RuleError>,
    notes: Vec<String>,
    out: ConfigFile,
    rule_ids: BTreeMap<String, String>,
}

impl Converter<'_> {
    fn warn(&mut self, rule: Option<&str>, field: &str, message: impl Into<String>) {
        let warning = RuleError::new(&self.origin, rule, Some(field), message.into());
        self.warnings.push(warning);
    }

    fn convert(
        &mut self,
        mut config: GlConfig,
        consumed: &HashSet<String>,
    ) -> Result<(), RuleError> {
        self.out.extend = ExtendSpec {
            builtin: config.use_default,
            disable: Vec::new(),
        };
        if !config.use_default {
            self.notes.push(format!(
                "{}: no `[extend] useDefault = true`: only the {} rule(s) of this config run, not leakhound's built-in rules (as gitleaks would run none of its defaults)",
                self.origin,
                config.rules.len()
            ));
        }
        self.disable(&config.disabled, consumed, config.use_default);
        let targeted = self.target_allowlists(&mut config);
        for rule in std::mem::take(&mut config.rules) {
            self.rule(rule, config.use_default)?;
        }
        for (id, blocks) in targeted {
            let what = "an allowlist's `targetRules` names this rule, which is not in this config: it is gitleaks' default rule of that id";
            self.extend_builtin(&id, &blocks, config.use_default, "targetRules", what)?;
        }
        let global = std::mem::take(&mut config.allowlists);
        for (n, block) in global.iter().enumerate() {
            let field = format!("allowlists[{n}]");
            let spec = self.allowlist(block, None, &field)?;
            self.out.allowlists.push(spec);
        }
        Ok(())
    }

    /// Maps `disabledRules` onto the built-ins they stand for.
    fn disable(
        &mut self,
        disabled: &[(String, String)],
        consumed: &HashSet<String>,
        use_default: bool,
    ) {
        for (id, origin) in disabled {
            if consumed.contains(id) {
                continue; // a rule of an extended config, left out there
            }
            let field = Some("extend.disabledRules");
            if !use_default {
                self.warnings.push(RuleError::new(
                    origin,
                    None,
                    field,
                    format!("`{id}`: no default rules are in use (no `useDefault = true`), so there is nothing to disable"),
                ));
                continue;
            }
            let equivalents = self.equivalents(id);
            if equivalents.is_empty() {
                self.warnings.push(RuleError::new(
                    origin,
                    None,
                    field,
                    format!("`{id}`: leakhound has no built-in rule that is an obvious equivalent of this gitleaks rule; nothing disabled (see `leakhound rules list`)"),
                ));
            }
            for equivalent in equivalents {
                if !self.out.extend.disable.contains(&equivalent) {
                    self.out.extend.disable.push(equivalent);
                }
            }
        }
    }

    /// The built-in rules a gitleaks default rule id stands for: its
    /// equivalents, or a built-in of the very same id.
    fn equivalents(&self, id: &str) -> Vec<String> {
        let mapped = DEFAULT_RULE_EQUIVALENTS
            .iter()
            .find(|(gitleaks, _)| *gitleaks == id)
            .map(|(_, ours)| ours.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        mapped
            .unwrap_or_else(|| vec![id.to_string()])
            .into_iter()
            .filter(|ours| self.builtin_ids.contains(ours))
            .collect()
    }

    /// Moves allowlists with `targetRules` onto the rules they target;
    /// returns those that target rules not in this config, by id.
    fn target_allowlists(&mut self, config: &mut GlConfig) -> BTreeMap<String, Vec<GlAllowlist>> {
        let mut elsewhere: BTreeMap<String, Vec<GlAllowlist>> = BTreeMap::new();
        let (targeted, global): (Vec<_>, Vec<_>) = std::mem::take(&mut config.allowlists)
            .into_iter()
            .partition(|a| !a.target_rules.is_empty());
        config.allowlists = global;
        for block in targeted {
            for target in &block.target_rules {
                match config.rules.iter_mut().find(|r| r.id == *target) {
                    Some(rule) => rule.allowlists.push(block.clone()),
                    None => elsewhere
                        .entry(target.clone())
                        .or_default()
                        .push(block.clone()),
                }
            }
        }
        elsewhere
    }

    fn rule(&mut self, rule: GlRule, use_default: bool) -> Result<(), RuleError> {
        if rule.skip_report {
            self.warn(
                Some(&rule.id),
                "skipReport",
                "this rule only serves composite rules, which leakhound does not support; it is left out",
            );
            return Ok(());
        }
        if rule.regex.is_none() && rule.path.is_none() {
            // Only meaningful on top of gitleaks' default rule of that id.
            let what = "this rule has no `regex` nor `path`: it extends gitleaks' default rule of the same id";
            if self.extend_builtin(&rule.id, &rule.allowlists, use_default, "regex", what)? {
                self.note_ignored_on_builtin(&rule);
            }
            return Ok(());
        }
        let spec = self.rule_spec(rule)?;
        self.out.rules.push(spec);
        Ok(())
    }

    /// Adds allowlists meant for gitleaks' default rule `id` to the
    /// built-ins it stands for; `false` (and a warning saying `what`
    /// happened) when there are none.
    fn extend_builtin(
        &mut self,
        id: &str,
        blocks: &[GlAllowlist],
        use_default: bool,
        field: &str,
        what: &str,
    ) -> Result<bool, RuleError> {
        let equivalents = if use_default {
            self.equivalents(id)
        } else {
            Vec::new()
        };
        if equivalents.is_empty() {
            let why = if use_default {
                "leakhound has no built-in rule that is an obvious equivalent"
            } else {
                "no default rules are in use (no `useDefault = true`)"
            };
            self.warn(
                Some(id),
                field,
                format!("{what}, but {why}; its allowlists are not applied"),
            );
            return Ok(false);
        }
        for (n, block) in blocks.iter().enumerate() {
            let spec = self.allowlist(block, Some(id), &format!("allowlists[{n}]"))?;
            for builtin in &equivalents {
                self.out
                    .overrides
                    .entry(builtin.clone())
                    .or_default()
                    .allowlists
                    .push(spec.clone());
            }
        }
        if !blocks.is_empty() {
            self.notes.push(format!(
                "{}: the allowlists meant for gitleaks' default rule `{id}` apply to leakhound's {}",
                self.origin,
                equivalents.join(", ")
            ));
        }
        Ok(true)
    }

    /// Names what a rule extending a default rule sets besides allowlists.
    fn note_ignored_on_builtin(&mut self, rule: &GlRule) {
        let set = [
            ("keywords", !rule.keywords.is_empty()),
            ("tags", !rule.tags.is_empty()),
            ("entropy", rule.entropy != 0.0),
            ("secretGroup", rule.secret_group != 0),
            ("description", rule.description.is_some()),
        ];
        for (field, _) in set.iter().filter(|(_, is_set)| *is_set) {
            self.warn(
                Some(&rule.id),
                field,
                "only the allowlists of a rule that extends a default rule are applied to leakhound's built-in equivalent; this is not",
            );
        }
    }

    fn rule_spec(&mut self, rule: GlRule) -> Result<RuleSpec, RuleError> {
        let id = self.leakhound_id(&rule.id);
        let rid = rule.id.as_str();
        let regex = match &rule.regex {
            Some(regex) if !regex.is_empty() => self.go_regex(regex, Some(rid), "regex")?,
            _ => String::new(),
        };
        let path_regex = match &rule.path {
            Some(path) if !path.is_empty() => Some(self.go_regex(path, Some(rid), "path")?),
            _ => None,
        };
        if regex.is_empty() && path_regex.is_none() {
            return Err(RuleError::new(
                &self.origin,
                Some(rid),
                Some("regex"),
                "both `regex` and `path` are empty, so the rule matches nothing".into(),
            ));
        }
        let is_file_rule = regex.is_empty();
        if rule.required {
            self.warn(
                Some(rid),
                "required",
                "composite rules are not supported: the rule reports its own matches without requiring the others (more findings, never fewer)",
            );
        }
        let mut allowlists = Vec::new();
        for (n, block) in rule.allowlists.iter().enumerate() {
            allowlists.push(self.allowlist(block, Some(rid), &format!("allowlists[{n}]"))?);
        }
        let (keywords, entropy, secret_group) = if is_file_rule {
            self.file_rule_settings(&rule);
            (Vec::new(), None, SecretGroup::Index(0))
        } else {
            (
                self.keywords(&rule),
                self.entropy(&rule),
                match rule.secret_group {
                    0 => SecretGroup::FirstMatched,
                    n => SecretGroup::Index(n),
                },
            )
        };
        Ok(RuleSpec {
            name: rule_name(&rule),
            description: rule.description.clone(),
            keywords,
            keyword_case: KeywordCase::Ignore,
            scope: Scope::Blob,
            regex,
            secret_group,
            parts: Vec::new(),
            entropy,
            checksum: None,
            allow: Default::default(),
            allowlists,
            paths: PathSpec {
                regex: path_regex,
                ..PathSpec::default()
            },
            window: Default::default(),
            companion: None,
            severity: Severity::Medium,
            confidence: Confidence::Medium,
            tags: rule.tags.clone(),
            remediation: self.remediation(rid),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            id,
        })
    }

    /// A leakhound id for a gitleaks id: lowercase `[a-z0-9.-]`, unique.
    fn leakhound_id(&mut self, gitleaks_id: &str) -> String {
        let base: String = gitleaks_id
            .trim()
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9' | '.' | '-') => c,
                _ => '-',
            })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while self.rule_ids.values().any(|taken| *taken == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        if id != gitleaks_id {
            self.warn(
                Some(gitleaks_id),
                "id",
                format!(
                    "reported as `{id}`: leakhound rule ids are lowercase [a-z0-9.-] and unique"
                ),
            );
        }
        self.rule_ids.insert(gitleaks_id.to_string(), id.clone());
        id
    }

    fn go_regex(
        &self,
        pattern: &str,
        rule: Option<&str>,
        field: &str,
    ) -> Result<String, RuleError> {
        go_regex::translate(pattern).map_err(|message| {
            RuleError::new(
                &self.origin,
                rule,
                Some(field),
                format!("Go regex: {message}"),
            )
        })
    }

    /// gitleaks keywords, lowercased and matched ignoring case as gitleaks
    /// does; empty ones would match everywhere and are dropped.
    fn keywords(&mut self, rule: &GlRule) -> Vec<String> {
        if rule.keywords.iter().any(|k| k.is_empty()) {
            self.warn(Some(&rule.id), "keywords", "empty keywords are left out");
        }
        let mut keywords: Vec<String> = rule
            .keywords
            .iter()
            .filter(|k| !k.is_empty())
            .map(|k| k.to_lowercase())
            .collect();
        keywords.sort();
        keywords.dedup();
        keywords
    }

    /// gitleaks' entropy threshold, within leakhound's 0..=8 bits per byte.
    fn entropy(&mut self, rule: &GlRule) -> Option<f64> {
        match rule.entropy {
            e if e > 8.0 => {
                self.warn(
                    Some(&rule.id),
                    "entropy",
                    format!("{e} is above the 8 bits per byte any secret can have; 8 is used"),
                );
                Some(8.0)
            }
            e if e < 0.0 => {
                self.warn(
                    Some(&rule.id),
                    "entropy",
                    format!("{e} is negative; ignored"),
                );
                None
            }
            0.0 => None,
            e => Some(e),
        }
    }

    /// Names what a path-only rule sets that gitleaks ignores too, and the
    /// keywords gitleaks would use to skip files without them.
    fn file_rule_settings(&mut self, rule: &GlRule) {
        if !rule.keywords.is_empty() {
            self.warn(
                Some(&rule.id),
                "keywords",
                "a rule with `path` and no `regex` reports every matching file; leakhound does not read the file to look for the keywords first",
            );
        }
        for (field, set) in [
            ("entropy", rule.entropy != 0.0),
            ("secretGroup", rule.secret_group != 0),
        ] {
            if set {
                self.warn(
                    Some(&rule.id),
                    field,
                    "has no effect on a rule without `regex` (nor in gitleaks); ignored",
                );
            }
        }
    }

    fn remediation(&self, gitleaks_id: &str) -> RemediationSpec {
        let file = Path::new(&self.origin)
            .file_name()
            .map_or_else(|| self.origin.clone(), |n| n.to_string_lossy().into_owned());
        RemediationSpec {
            summary: format!(
                "Matched rule `{gitleaks_id}` of {file}: treat it as a leaked credential."
            ),
            rotation: vec![
                "Revoke or rotate the credential where it was issued.".into(),
                "Load it at run time (an environment variable or a secret store) instead of committing it.".into(),
                "If it was ever pushed or shared, check the provider's audit log for use you do not recognise.".into(),
            ],
            revoke_url: None,
            docs_url: None,
        }
    }

    fn allowlist(
        &self,
        block: &GlAllowlist,
        rule: Option<&str>,
        field: &str,
    ) -> Result<AllowlistSpec, RuleError> {
        let regexes = |list: &[String], name: &str| {
            list.iter()
                .map(|r| self.go_regex(r, rule, &format!("{field}.{name}")))
                .collect::<Result<Vec<_>, _>>()
        };
        let spec = AllowlistSpec {
            description: block.description.clone(),
            condition: block.condition,
            regexes: regexes(&block.regexes, "regexes")?,
            regex_target: block.regex_target,
            stopwords: block.stopwords.clone(),
            paths: Vec::new(),
            path_regexes: regexes(&block.paths, "paths")?,
            commits: block.commits.clone(),
        };
        if spec.regexes.is_empty()
            && spec.stopwords.is_empty()
            && spec.path_regexes.is_empty()
            && spec.commits.is_empty()
        {
            return Err(RuleError::new(
                &self.origin,
                rule,
                Some(field),
                "an allowlist needs at least one of commits, paths, regexes or stopwords (gitleaks refuses it too)".into(),
            ));
        }
        Ok(spec)
    }
}

/// The name shown in reports: the description's first line, else the id.
fn rule_name(rule: &GlRule) -> String {
    rule.description
        .as_deref()
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or(&rule.id)
        .to_string()
}

#[cfg(test)]
mod tests;
