//! Hiding secrets in output: masked for people, redacted for `--redact`.

use crate::engine::finding::Finding;

/// What replaces a secret under `--redact`.
pub const REDACTED: &str = "REDACTED";

/// A secret shown to a person: a short prefix of long secrets (enough to
/// recognise a token type such as `ghp_`), the rest starred.
pub fn mask(secret: &str) -> String {
    let chars = secret.chars().count();
    let shown = if chars >= 20 { 4 } else { 0 };
    let hidden = (chars - shown).clamp(3, 16);
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}{}", "*".repeat(hidden))
}

/// Replaces every secret a finding carries with `REDACTED`.
pub fn redact(finding: &mut Finding) {
    let secrets: Vec<String> = std::iter::once(finding.secret.clone())
        .chain(finding.parts.iter().map(|p| p.secret.clone()))
        .filter(|s| !s.is_empty())
        .collect();
    for secret in &secrets {
        finding.matched = finding.matched.replace(secret.as_str(), REDACTED);
        finding.line_text = finding.line_text.replace(secret.as_str(), REDACTED);
    }
    finding.secret = REDACTED.to_string();
    for part in &mut finding.parts {
        part.secret = REDACTED.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_secrets_keep_a_recognisable_prefix() {
        assert_eq!(
            mask("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            "ghp_****************"
        );
    }

    #[test]
    fn short_secrets_show_nothing() {
        assert_eq!(mask("hunter2"), "*******");
        assert_eq!(mask("ab"), "***");
    }
}
