//! What to do about a finding, worded once for every format: what the
//! credential is, how to revoke and rotate it, and for history findings
//! whether the secret is still in HEAD and how to purge it from history.

use crate::engine::finding::Finding;

/// How to take a secret out of history, for findings that are in it.
pub const PURGE_HISTORY: &str = "Rotating the credential is what protects you: history \
rewrites do not reach existing clones, forks or caches. To also purge it, rewrite history \
with `git filter-repo --replace-text` (or BFG Repo-Cleaner), force-push every branch and \
tag, ask collaborators to re-clone, and ask your host to drop cached views of old commits.";

/// Where the secret stands in history, for history findings.
pub fn history_status(finding: &Finding) -> Option<String> {
    let history = finding.history.as_ref()?;
    let elsewhere = match history.other_locations {
        0 => String::new(),
        1 => " It also appears in 1 other commit or path.".to_string(),
        n => format!(" It also appears in {n} other commits or paths."),
    };
    Some(if history.in_head {
        format!(
            "Still in HEAD: after rotating, remove it from the current files and load it from a secret store.{elsewhere}"
        )
    } else {
        format!("No longer in HEAD, but still in the repository's history.{elsewhere}")
    })
}

/// The steps to take, in order: the rule's rotation steps, then for
/// history findings where the secret stands and how to purge it.
pub fn steps(finding: &Finding) -> Vec<String> {
    let mut steps = finding.remediation.rotation.clone();
    if let Some(status) = history_status(finding) {
        steps.push(status);
        steps.push(PURGE_HISTORY.to_string());
    }
    steps
}

/// Plain text: summary, numbered steps, links.
pub fn plain(finding: &Finding) -> String {
    let mut text = finding.remediation.summary.clone();
    for (number, step) in steps(finding).iter().enumerate() {
        text.push_str(&format!("\n{}. {step}", number + 1));
    }
    for (label, url) in links(finding) {
        text.push_str(&format!("\n{label}: {url}"));
    }
    text
}

/// Markdown: the same, with links as links.
pub fn markdown(finding: &Finding) -> String {
    let mut text = escape_markdown(&finding.remediation.summary);
    text.push_str("\n\n");
    for (number, step) in steps(finding).iter().enumerate() {
        text.push_str(&format!("{}. {}\n", number + 1, escape_markdown(step)));
    }
    let links: Vec<String> = links(finding)
        .into_iter()
        .map(|(label, url)| format!("[{label}]({url})"))
        .collect();
    if !links.is_empty() {
        text.push_str(&format!("\n{}\n", links.join(" · ")));
    }
    text
}

/// The rule's revoke and documentation links, labelled.
pub fn links(finding: &Finding) -> Vec<(&'static str, &str)> {
    let remediation = &finding.remediation;
    [
        ("Revoke", remediation.revoke_url.as_deref()),
        ("Docs", remediation.docs_url.as_deref()),
    ]
    .into_iter()
    .filter_map(|(label, url)| url.map(|u| (label, u)))
    .collect()
}

/// Keeps text from a rule from being read as markup: HTML tags and table
/// pipes are escaped, line breaks kept.
pub fn escape_markdown(text: &str) -> String {
    text.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}
