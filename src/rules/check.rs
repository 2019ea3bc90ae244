//! `leakhound rules check`: every rule compiles, matches each of its
//! examples with the expected secret, and stays silent on its negative
//! examples, in both the prefiltered and the reference match modes.

use super::{GlobalAllow, Rule, RuleSet};
use crate::engine::{Engine, MatchMode, Scratch};

/// The outcome of checking a set of rules.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
    /// One line per problem, naming the file, rule and example.
    pub failures: Vec<String>,
}

/// What every checked rule must carry, at least.
#[derive(Debug, Clone, Copy)]
pub struct RuleMinimum {
    pub examples: usize,
    pub negative_examples: usize,
    /// Remediation steps: where to revoke, how to rotate, what to check.
    pub rotation_steps: usize,
}

/// Checks `rules`; each rule is tested against its own examples only.
pub fn check_rules(rules: Vec<Rule>, minimum: RuleMinimum) -> CheckReport {
    let mut report = CheckReport {
        rules: rules.len(),
        ..CheckReport::default()
    };
    for rule in &rules {
        if let Err(e) = rule.compile_now() {
            report
                .failures
                .push(format!("{}: rule `{}`: {e}", rule.origin, rule.id));
        }
        if rule.examples.len() < minimum.examples {
            report.failures.push(format!(
                "{}: rule `{}`: has {} examples, needs at least {}",
                rule.origin,
                rule.id,
                rule.examples.len(),
                minimum.examples
            ));
        }
        if rule.remediation.rotation.len() < minimum.rotation_steps {
            report.failures.push(format!(
                "{}: rule `{}`: remediation has {} rotation steps, needs at least {} (revoke, rotate, check)",
                rule.origin,
                rule.id,
                rule.remediation.rotation.len(),
                minimum.rotation_steps
            ));
        }
        if rule.negative_examples.len() < minimum.negative_examples {
            report.failures.push(format!(
                "{}: rule `{}`: has {} negative examples, needs at least {}",
                rule.origin,
                rule.id,
                rule.negative_examples.len(),
                minimum.negative_examples
            ));
        }
    }
    if !report.failures.is_empty() {
        return report;
    }

    let engine = Engine::new(
        RuleSet::new(rules, GlobalAllow::default()),
        MatchMode::Prefiltered,
    );
    let rules = &engine.rules().rules;
    let mut scratch = Scratch::default();
    let mut secrets_of = |mode: MatchMode, index: usize, text: &str, path: Option<&str>| {
        let file_detections = path.map(|p| engine.file_detections(p)).unwrap_or_default();
        let mut found: Vec<String> = engine
            .scan_in_mode(mode, text.as_bytes(), path, &mut scratch)
            .into_iter()
            .chain(file_detections)
            .filter(|d| d.rule == index)
            .map(|d| d.secret)
            .collect();
        found.sort();
        found
    };

    for (index, rule) in rules.iter().enumerate() {
        let name = |what: String| format!("{}: rule `{}`: {what}", rule.origin, rule.id);
        for (n, example) in rule.examples.iter().enumerate() {
            report.examples += 1;
            let path = example.path.as_deref();
            let found = secrets_of(MatchMode::Prefiltered, index, &example.text, path);
            if !found.contains(&example.secret) {
                report.failures.push(name(format!(
                    "example {} should yield secret {:?} but the rule found {:?}",
                    n + 1,
                    example.secret,
                    found
                )));
            }
            let slow = secrets_of(MatchMode::Reference, index, &example.text, path);
            if slow != found {
                report.failures.push(name(format!(
                    "example {}: the prefilter found {:?} but the reference mode found {:?}",
                    n + 1,
                    found,
                    slow
                )));
            }
        }
        for (n, text) in rule.negative_examples.iter().enumerate() {
            report.negative_examples += 1;
            let found = secrets_of(MatchMode::Reference, index, text, None);
            if !found.is_empty() {
                report.failures.push(name(format!(
                    "negative example {} should not match but yielded {:?}",
                    n + 1,
                    found
                )));
            }
        }
    }
    report
}
