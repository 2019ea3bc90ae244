//! Multi-part credentials: a finding of a rule with a `companion` absorbs
//! the nearest finding of the companion rule in the same blob, so an AWS
//! key id and its secret key are one finding with two parts, not two.

use super::finding::{Detection, Part};
use crate::rules::RuleSet;

/// For each rule, the index of its companion rule, if it has one that is
/// loaded (a disabled companion just means no pairing).
pub fn companion_indexes(rules: &RuleSet) -> Vec<Option<usize>> {
    rules
        .rules
        .iter()
        .map(|rule| {
            let companion = rule.companion.as_ref()?;
            rules.rules.iter().position(|r| r.id == companion.rule)
        })
        .collect()
}

/// Per rule, how many lines from a detection its partner may be, whether
/// the rule names a companion or is named as one (0 for neither).
pub fn reach_lines(rules: &RuleSet, companions: &[Option<usize>]) -> Vec<usize> {
    let mut lines = vec![0; rules.rules.len()];
    for (primary, companion) in companions.iter().enumerate() {
        let (Some(companion), Some(spec)) = (companion, &rules.rules[primary].companion) else {
            continue;
        };
        let within = spec.within_lines as usize;
        lines[primary] = lines[primary].max(within);
        lines[*companion] = lines[*companion].max(within);
    }
    lines
}

/// Merges companion detections into the detections of rules that name them.
pub fn pair(rules: &RuleSet, companions: &[Option<usize>], detections: &mut Vec<Detection>) {
    if detections.len() < 2 {
        return;
    }
    let mut absorbed = vec![false; detections.len()];
    for primary in 0..detections.len() {
        let rule_index = detections[primary].rule;
        let (Some(companion_rule), Some(spec)) = (
            companions[rule_index],
            rules.rules[rule_index].companion.as_ref(),
        ) else {
            continue;
        };
        if absorbed[primary] || !detections[primary].parts.is_empty() {
            continue;
        }
        let line = detections[primary].line;
        let nearest = (0..detections.len())
            .filter(|&other| {
                !absorbed[other]
                    && other != primary
                    && detections[other].rule == companion_rule
                    && detections[other].line.abs_diff(line) <= u64::from(spec.within_lines)
            })
            .min_by_key(|&other| detections[other].line.abs_diff(line));
        let Some(other) = nearest else {
            continue;
        };
        absorbed[other] = true;
        let companion_secret = detections[other].secret.clone();
        let detection = &mut detections[primary];
        detection.parts = vec![
            Part {
                name: spec.part.clone(),
                secret: detection.secret.clone(),
            },
            Part {
                name: spec.companion_part.clone(),
                secret: companion_secret,
            },
        ];
    }
    let mut index = 0;
    detections.retain(|_| {
        let keep = !absorbed[index];
        index += 1;
        keep
    });
}
