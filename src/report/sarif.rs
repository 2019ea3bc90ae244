//! SARIF 2.1.0 (`--format sarif`) for code-scanning UIs such as GitHub's:
//! only the rules that fired, each with its remediation as help; results
//! with relative locations, content-based fingerprints and, for history
//! findings, the commit. The file is uploaded to a third party, so secrets
//! are redacted unless `--show-secrets` asks for them.

use super::ReportOptions;
use super::mask::redacted_if;
use super::remediation;
use crate::engine::finding::Finding;
use crate::rules::schema::{Confidence, Severity};
use crate::scan::ScanOutcome;
use serde_json::{Value, json};
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The partial fingerprint key; the value is the finding's fingerprint,
/// a hash of rule and secret, so it survives moved lines.
const FINGERPRINT_KEY: &str = "leakhound/v1";

pub fn write(
    outcome: &ScanOutcome,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for original in &outcome.findings {
        // The file is uploaded to a third party: secrets stay out of it
        // unless the user asked to see them.
        let shown = redacted_if(original, options.redact || !options.show_secrets);
        let finding = &*shown;
        let index = match rule_ids.iter().position(|id| *id == original.rule_id) {
            Some(index) => index,
            None => {
                rule_ids.push(&original.rule_id);
                rules.push(rule(finding));
                rule_ids.len() - 1
            }
        };
        results.push(result(finding, index));
    }
    let notifications: Vec<Value> = outcome
        .errors
        .iter()
        .map(|error| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", error.path, error.message) },
            })
        })
        .collect();
    let report = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "leakhound",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": outcome.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// A rule's descriptor, from the first finding of it.
fn rule(finding: &Finding) -> Value {
    let summary = &finding.remediation.summary;
    // Rule help holds for every finding of the rule, so nothing of this
    // one's history goes in it.
    let generic = Finding {
        history: None,
        ..finding.clone()
    };
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    tags.extend(finding.tags.iter().cloned());
    let mut descriptor = json!({
        "id": finding.rule_id,
        "name": pascal_case(&finding.rule_id),
        "shortDescription": { "text": finding.rule_name },
        "fullDescription": { "text": finding.rule_description.as_deref().unwrap_or(summary) },
        "help": {
            "text": remediation::plain(&generic),
            "markdown": rule_help_markdown(&generic),
        },
        "defaultConfiguration": { "level": level(finding.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(finding.severity),
            "precision": precision(finding.confidence),
        },
    });
    if let Some(url) = finding
        .remediation
        .docs_url
        .as_deref()
        .or(finding.remediation.revoke_url.as_deref())
    {
        descriptor["helpUri"] = json!(url);
    }
    descriptor
}

/// Rule help in markdown: the remediation of `generic` (a finding with
/// nothing history-specific), then how to purge history in general.
fn rule_help_markdown(generic: &Finding) -> String {
    format!(
        "**{}**\n\n{}\nIf the secret is in git history: {}\n",
        remediation::escape_markdown(&generic.rule_name),
        remediation::markdown(generic),
        remediation::PURGE_HISTORY
    )
}

fn result(finding: &Finding, rule_index: usize) -> Value {
    let mut message = format!(
        "{} ({} confidence). {}",
        finding.rule_name,
        finding.confidence.as_str(),
        finding.remediation.summary
    );
    if let Some(commit) = &finding.commit {
        message.push_str(&format!(
            " Introduced in commit {} by {} on {}.",
            short_id(&commit.commit),
            commit.author,
            commit.date
        ));
    }
    if let Some(status) = remediation::history_status(finding) {
        message.push(' ');
        message.push_str(&status);
    }
    let mut properties = json!({
        "severity": finding.severity.as_str(),
        "confidence": finding.confidence.as_str(),
        "source": finding.source,
        "fingerprint": finding.fingerprint,
    });
    if let Some(commit) = &finding.commit {
        properties["commit"] = json!({
            "id": commit.commit,
            "author": commit.author,
            "email": commit.email,
            "date": commit.date,
            "message": commit.message,
        });
    }
    if let Some(history) = &finding.history {
        properties["inHead"] = json!(history.in_head);
        properties["otherLocations"] = json!(history.other_locations);
    }
    if !finding.encodings.is_empty() {
        properties["encodings"] = json!(finding.encodings);
    }
    if !finding.parts.is_empty() {
        let parts: Vec<&str> = finding.parts.iter().map(|p| p.name.as_str()).collect();
        properties["parts"] = json!(parts);
    }
    json!({
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": message },
        "locations": [location(finding)],
        "partialFingerprints": { FINGERPRINT_KEY: finding.fingerprint },
        "properties": properties,
    })
}

fn location(finding: &Finding) -> Value {
    let start_line = finding.line.max(1);
    let start_column = finding.column.max(1);
    let end_line = finding.end_line.max(start_line);
    // SARIF end columns are exclusive: a region must cover something.
    let end_column = if end_line == start_line {
        finding.end_column.max(start_column + 1)
    } else {
        finding.end_column.max(1)
    };
    let artifact = match finding.path.as_deref() {
        None => json!({ "uri": "stdin" }),
        Some(path) if path.starts_with('/') => {
            json!({ "uri": format!("file://{}", encode_uri_path(path)) })
        }
        Some(path) => json!({
            "uri": encode_uri_path(path.trim_start_matches("./")),
            "uriBaseId": "%SRCROOT%",
        }),
    };
    json!({
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
                "snippet": { "text": finding.line_text },
            },
        },
    })
}

/// Percent-encodes a relative path as a URI reference (RFC 3986): every
/// byte outside the unreserved set and `/` is escaped, so spaces, `#`,
/// `?`, `%` and non-ASCII names survive.
pub fn encode_uri_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// `github-pat-classic` → `GithubPatClassic`, the form SARIF rule names take.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(encode_uri_path("src/app.env"), "src/app.env");
        assert_eq!(encode_uri_path("my dir/#1?.txt"), "my%20dir/%231%3F.txt");
        assert_eq!(
            encode_uri_path("données/clé.env"),
            "donn%C3%A9es/cl%C3%A9.env"
        );
        assert_eq!(encode_uri_path("100%.txt"), "100%25.txt");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("github-pat-classic"), "GithubPatClassic");
        assert_eq!(pascal_case("aws.key_id"), "AwsKeyId");
    }
}
