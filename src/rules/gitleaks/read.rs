//! Reading gitleaks config files the way gitleaks does: keys compared
//! without case (viper), both allowlist forms, and `[extend] path` followed
//! and merged into the config that names it.

use super::{MAX_EXTEND_DEPTH, lookup};
use crate::rules::RuleError;
use crate::rules::schema::{AllowCondition, RegexTarget};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

pub(super) fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// A gitleaks config as gitleaks sees it, before conversion.
#[derive(Debug, Default)]
pub(super) struct GlConfig {
    pub(super) use_default: bool,
    pub(super) extend_path: Option<String>,
    /// `disabledRules`, each with the config that lists it.
    pub(super) disabled: Vec<(String, String)>,
    pub(super) rules: Vec<GlRule>,
    pub(super) allowlists: Vec<GlAllowlist>,
}

#[derive(Debug, Default, Clone)]
pub(super) struct GlRule {
    pub(super) id: String,
    pub(super) description: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) path: Option<String>,
    pub(super) secret_group: usize,
    pub(super) entropy: f64,
    pub(super) keywords: Vec<String>,
    pub(super) tags: Vec<String>,
    pub(super) allowlists: Vec<GlAllowlist>,
    pub(super) required: bool,
    pub(super) skip_report: bool,
}

#[derive(Debug, Default, Clone)]
pub(super) struct GlAllowlist {
    pub(super) description: Option<String>,
    pub(super) condition: AllowCondition,
    pub(super) regex_target: RegexTarget,
    pub(super) regexes: Vec<String>,
    pub(super) paths: Vec<String>,
    pub(super) stopwords: Vec<String>,
    pub(super) commits: Vec<String>,
    pub(super) target_rules: Vec<String>,
}

/// Reads gitleaks tables into `GlConfig`, collecting warnings.
pub(super) struct Reader {
    pub(super) origin: String,
    pub(super) warnings: Vec<RuleError>,
}

const TOP_FIELDS: &[&str] = &[
    "title",
    "description",
    "minversion",
    "extend",
    "rules",
    "allowlist",
    "allowlists",
];
const EXTEND_FIELDS: &[&str] = &["usedefault", "path", "url", "disabledrules"];
const RULE_FIELDS: &[&str] = &[
    "id",
    "description",
    "regex",
    "path",
    "secretgroup",
    "entropy",
    "keywords",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipreport",
];
const ALLOWLIST_FIELDS: &[&str] = &[
    "description",
    "condition",
    "regextarget",
    "regexes",
    "paths",
    "stopwords",
    "commits",
    "targetrules",
];

impl Reader {
    fn error(&self, rule: Option<&str>, field: &str, message: String) -> RuleError {
        RuleError::new(&self.origin, rule, Some(field), message)
    }

    fn warn(&mut self, rule: Option<&str>, field: &str, message: impl Into<String>) {
        let warning = RuleError::new(&self.origin, rule, Some(field), message.into());
        self.warnings.push(warning);
    }

    /// Warns about keys this reader does not know.
    fn unknown_fields(&mut self, table: &Table, known: &[&str], rule: Option<&str>, prefix: &str) {
        for key in table.keys() {
            if !known.contains(&key.to_lowercase().as_str()) {
                self.warn(
                    rule,
                    &format!("{prefix}{key}"),
                    "not a gitleaks config field; ignored",
                );
            }
        }
    }

    pub(super) fn config(&mut self, table: &Table) -> Result<GlConfig, RuleError> {
        self.unknown_fields(table, TOP_FIELDS, None, "");
        let mut config = GlConfig::default();
        if let Some(extend) = lookup(table, "extend") {
            self.extend(extend, &mut config)?;
        }
        for (n, value) in self.list(table, "rules", None)?.iter().enumerate() {
            let rule = self.rule(value, n)?;
            if let Some(existing) = config.rules.iter_mut().find(|r| r.id == rule.id) {
                // gitleaks keeps rules in a map by id: the last one wins.
                self.warn(
                    Some(&rule.id),
                    "id",
                    "another rule has the same id; the later one is used, as in gitleaks",
                );
                *existing = rule;
            } else {
                config.rules.push(rule);
            }
        }
        config.allowlists = self.allowlists(table, None, "")?;
        Ok(config)
    }

    fn extend(&mut self, value: &Value, config: &mut GlConfig) -> Result<(), RuleError> {
        let table = self.table(value, None, "extend")?;
        self.unknown_fields(table, EXTEND_FIELDS, None, "extend.");
        if let Some(v) = lookup(table, "usedefault") {
            config.use_default = self.boolean(v, None, "extend.useDefault")?;
        }
        if let Some(v) = lookup(table, "path") {
            config.extend_path = Some(self.string(v, None, "extend.path")?);
        }
        if let Some(v) = lookup(table, "url") {
            let url = self.string(v, None, "extend.url")?;
            self.warn(
                None,
                "extend.url",
                format!(
                    "{url} is not fetched: leakhound makes no network access; download it and name it in `[extend] path`"
                ),
            );
        }
        if let Some(v) = lookup(table, "disabledrules") {
            let ids = self.strings(v, None, "extend.disabledRules")?;
            config.disabled = ids
                .into_iter()
                .map(|id| (id, self.origin.clone()))
                .collect();
        }
        if config.use_default && config.extend_path.is_some() {
            return Err(self.error(
                None,
                "extend",
                "`useDefault` and `path` cannot both be set (gitleaks refuses this too)".into(),
            ));
        }
        Ok(())
    }

    fn rule(&mut self, value: &Value, n: usize) -> Result<GlRule, RuleError> {
        let table = self.table(value, None, &format!("rules[{n}]"))?;
        let id = match lookup(table, "id") {
            Some(v) => self.string(v, None, &format!("rules[{n}].id"))?,
            None => String::new(),
        };
        if id.trim().is_empty() {
            return Err(self.error(None, &format!("rules[{n}].id"), "missing or empty".into()));
        }
        let rid = Some(id.as_str());
        self.unknown_fields(table, RULE_FIELDS, rid, "");
        let mut rule = GlRule {
            id: id.clone(),
            ..GlRule::default()
        };
        for (key, value) in table {
            match key.to_lowercase().as_str() {
                "description" => rule.description = self.non_empty(value, rid, key)?,
                "regex" => rule.regex = self.non_empty(value, rid, key)?,
                "path" => rule.path = self.non_empty(value, rid, key)?,
                "secretgroup" => rule.secret_group = self.integer(value, rid, key)?,
                "entropy" => rule.entropy = self.number(value, rid, key)?,
                "keywords" => rule.keywords = self.strings(value, rid, key)?,
                "tags" => rule.tags = self.strings(value, rid, key)?,
                "required" => rule.required = true,
                "skipreport" => rule.skip_report = self.boolean(value, rid, key)?,
                _ => {}
            }
        }
        rule.allowlists = self.allowlists(table, rid, "")?;
        Ok(rule)
    }

    /// The old single `allowlist` table and the newer `allowlists` array,
    /// of a rule or of the whole config.
    fn allowlists(
        &mut self,
        table: &Table,
        rule: Option<&str>,
        prefix: &str,
    ) -> Result<Vec<GlAllowlist>, RuleError> {
        let mut blocks = Vec::new();
        match lookup(table, "allowlist") {
            // `[[rules.allowlist]]`, an array under the old name: read it too.
            Some(Value::Array(items)) => {
                for (n, value) in items.iter().enumerate() {
                    let field = format!("{prefix}allowlist[{n}]");
                    blocks.push(self.allowlist(value, rule, &field)?);
                }
            }
            Some(value) => {
                let field = format!("{prefix}allowlist");
                blocks.push(self.allowlist(value, rule, &field)?);
            }
            None => {}
        }
        for (n, value) in self.list(table, "allowlists", rule)?.iter().enumerate() {
            let field = format!("{prefix}allowlists[{n}]");
            blocks.push(self.allowlist(value, rule, &field)?);
        }
        Ok(blocks)
    }

    fn allowlist(
        &mut self,
        value: &Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<GlAllowlist, RuleError> {
        let table = self.table(value, rule, field)?;
        self.unknown_fields(table, ALLOWLIST_FIELDS, rule, &format!("{field}."));
        let mut block = GlAllowlist::default();
        for (key, value) in table {
            let name = format!("{field}.{key}");
            match key.to_lowercase().as_str() {
                "description" => block.description = Some(self.string(value, rule, &name)?),
                "condition" => block.condition = self.condition(value, rule, &name)?,
                "regextarget" => block.regex_target = self.regex_target(value, rule, &name)?,
                "regexes" => block.regexes = self.strings(value, rule, &name)?,
                "paths" => block.paths = self.strings(value, rule, &name)?,
                "stopwords" => block.stopwords = self.strings(value, rule, &name)?,
                "commits" => block.commits = self.strings(value, rule, &name)?,
                "targetrules" if rule.is_none() => {
                    block.target_rules = self.strings(value, rule, &name)?;
                }
                "targetrules" => self.warn(
                    rule,
                    &name,
                    "only global allowlists take `targetRules`; ignored",
                ),
                _ => {}
            }
        }
        Ok(block)
    }

    fn condition(
        &self,
        value: &Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<AllowCondition, RuleError> {
        match self.string(value, rule, field)?.to_uppercase().as_str() {
            "" | "OR" | "||" => Ok(AllowCondition::Or),
            "AND" | "&&" => Ok(AllowCondition::And),
            other => Err(self.error(
                rule,
                field,
                format!("unknown condition `{other}` (expected OR or AND)"),
            )),
        }
    }

    fn regex_target(
        &self,
        value: &Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<RegexTarget, RuleError> {
        match self.string(value, rule, field)?.to_lowercase().as_str() {
            "" | "secret" => Ok(RegexTarget::Secret),
            "match" => Ok(RegexTarget::Match),
            "line" => Ok(RegexTarget::Line),
            other => Err(self.error(
                rule,
                field,
                format!("unknown regexTarget `{other}` (expected secret, match or line)"),
            )),
        }
    }

    /// Follows `[extend] path`, merging each base config into the one that
    /// extends it the way gitleaks does.
    pub(super) fn extend_from_path(
        &mut self,
        config: &mut GlConfig,
        path: &Path,
        depth: usize,
        seen: &mut HashSet<PathBuf>,
        consumed: &mut HashSet<String>,
    ) -> Result<(), RuleError> {
        let Some(relative) = config.extend_path.take() else {
            return Ok(());
        };
        if depth > MAX_EXTEND_DEPTH {
            self.warn(
                None,
                "extend.path",
                format!(
                    "{relative} is not loaded: configs extend at most {MAX_EXTEND_DEPTH} levels deep, as in gitleaks"
                ),
            );
            return Ok(());
        }
        let base_path = self.resolve_extend_path(path, &relative)?;
        if !seen.insert(canonical(&base_path)) {
            return Err(self.error(
                None,
                "extend.path",
                format!("{} extends itself", base_path.display()),
            ));
        }
        let text = std::fs::read_to_string(&base_path).map_err(|e| {
            self.error(
                None,
                "extend.path",
                format!("cannot read {}: {e}", base_path.display()),
            )
        })?;
        let table: Table = toml::from_str(&text).map_err(|e| {
            RuleError::new(&base_path.display().to_string(), None, None, e.to_string())
        })?;
        let mut base_reader = Reader {
            origin: base_path.display().to_string(),
            warnings: Vec::new(),
        };
        let mut base = base_reader.config(&table)?;
        base_reader.extend_from_path(&mut base, &base_path, depth + 1, seen, consumed)?;
        self.warnings.append(&mut base_reader.warnings);
        merge_base(config, base, consumed);
        Ok(())
    }

    /// `[extend] path` relative to the config that names it; if nothing is
    /// there, relative to the current folder, where gitleaks looks.
    fn resolve_extend_path(&self, config: &Path, relative: &str) -> Result<PathBuf, RuleError> {
        let beside = config.parent().unwrap_or(Path::new(".")).join(relative);
        if beside.is_file() {
            return Ok(beside);
        }
        let from_cwd = PathBuf::from(relative);
        if from_cwd.is_file() {
            return Ok(from_cwd);
        }
        Err(self.error(
            None,
            "extend.path",
            format!(
                "{relative}: no such file next to the config ({}) or in the current folder",
                beside.display()
            ),
        ))
    }

    fn table<'v>(
        &self,
        value: &'v Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<&'v Table, RuleError> {
        value
            .as_table()
            .ok_or_else(|| self.error(rule, field, "expected a table".into()))
    }

    /// An array of tables under `key` (absent: empty).
    fn list<'t>(
        &self,
        table: &'t Table,
        key: &str,
        rule: Option<&str>,
    ) -> Result<&'t [Value], RuleError> {
        match lookup(table, key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.error(rule, key, "expected an array of tables".into())),
        }
    }

    fn string(&self, value: &Value, rule: Option<&str>, field: &str) -> Result<String, RuleError> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.error(rule, field, "expected a string".into()))
    }

    /// A string, `None` when empty (gitleaks treats both as unset).
    fn non_empty(
        &self,
        value: &Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<Option<String>, RuleError> {
        let text = self.string(value, rule, field)?;
        Ok((!text.is_empty()).then_some(text))
    }

    fn strings(
        &self,
        value: &Value,
        rule: Option<&str>,
        field: &str,
    ) -> Result<Vec<String>, RuleError> {
        let items = value
            .as_array()
            .ok_or_else(|| self.error(rule, field, "expected an array of strings".into()))?;
        items.iter().map(|v| self.string(v, rule, field)).collect()
    }

    fn boolean(&self, value: &Value, rule: Option<&str>, field: &str) -> Result<bool, RuleError> {
        value
            .as_bool()
            .ok_or_else(|| self.error(rule, field, "expected true or false".into()))
    }

    fn integer(&self, value: &Value, rule: Option<&str>, field: &str) -> Result<usize, RuleError> {
        value
            .as_integer()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| self.error(rule, field, "expected a whole number, 0 or more".into()))
    }

    fn number(&self, value: &Value, rule: Option<&str>, field: &str) -> Result<f64, RuleError> {
        value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64))
            .ok_or_else(|| self.error(rule, field, "expected a number".into()))
    }
}

/// Merges an extended (base) config into the one extending it, as gitleaks
/// does: base rules are added unless disabled; a rule in both takes the
/// extending config's settings where set and both lists; allowlists are
/// appended. Disabled ids that named a base rule are `consumed`.
fn merge_base(config: &mut GlConfig, base: GlConfig, consumed: &mut HashSet<String>) {
    config.use_default |= base.use_default;
    for base_rule in base.rules {
        if config.disabled.iter().any(|(id, _)| *id == base_rule.id) {
            consumed.insert(base_rule.id);
            continue;
        }
        match config.rules.iter_mut().find(|r| r.id == base_rule.id) {
            None => config.rules.push(base_rule),
            Some(rule) => merge_rule(rule, base_rule),
        }
    }
    config.allowlists.extend(base.allowlists);
    // The base's own disabled ids name default rules it left out; with
    // `useDefault` anywhere in the chain they still matter.
    config.disabled.extend(base.disabled);
}

fn merge_rule(rule: &mut GlRule, base: GlRule) {
    rule.description = rule.description.take().or(base.description);
    rule.regex = rule.regex.take().or(base.regex);
    rule.path = rule.path.take().or(base.path);
    if rule.secret_group == 0 {
        rule.secret_group = base.secret_group;
    }
    if rule.entropy == 0.0 {
        rule.entropy = base.entropy;
    }
    rule.keywords.splice(0..0, base.keywords);
    rule.tags.splice(0..0, base.tags);
    rule.allowlists.splice(0..0, base.allowlists);
    rule.required |= base.required;
    rule.skip_report |= base.skip_report;
}
