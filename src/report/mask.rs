//! Hiding secrets in output: masked for people, redacted for `--redact`.

use crate::engine::finding::Finding;
use std::borrow::Cow;

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

/// The finding as a report may show it: redacted (a copy) or as it is.
pub fn redacted_if(finding: &Finding, redact_it: bool) -> Cow<'_, Finding> {
    if redact_it {
        let mut owned = finding.clone();
        redact(&mut owned);
        Cow::Owned(owned)
    } else {
        Cow::Borrowed(finding)
    }
}

/// Replaces every secret a finding carries with `REDACTED`.
pub fn redact(finding: &mut Finding) {
    let secrets: Vec<String> = std::iter::once(finding.secret.clone())
        .chain(finding.parts.iter().map(|p| p.secret.clone()))
        .filter(|s| !s.is_empty())
        .collect();
    // Commit messages are text people wrote; a secret can be pasted there too.
    let mut texts: Vec<&mut String> = vec![&mut finding.matched, &mut finding.line_text];
    if let Some(commit) = &mut finding.commit {
        texts.push(&mut commit.message);
    }
    if let Some(history) = &mut finding.history {
        texts.extend(history.locations.iter_mut().map(|l| &mut l.commit.message));
    }
    for text in texts {
        for secret in &secrets {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), REDACTED);
            }
        }
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
