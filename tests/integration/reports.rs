//! Every report format on a fixed set of findings (golden files in
//! tests/golden/, rewritten with UPDATE_GOLDEN=1), SARIF validated against
//! the official schema, and the JSON report read back.

use crate::helpers::*;
use leakhound::engine::decode::Encoding;
use leakhound::engine::finding::{CommitInfo, Finding, HistoryDetails, Part, SourceKind};
use leakhound::report::{Format, ReportOptions, write_report};
use leakhound::rules::schema::{Confidence, RemediationSpec, Severity};
use leakhound::scan::{ScanOutcome, ScanStats};
use std::path::Path;

fn remediation(summary: &str) -> RemediationSpec {
    RemediationSpec {
        summary: summary.into(),
        rotation: vec![
            "Revoke it in the provider's console.".into(),
            "Issue a new one and store it in a secret manager.".into(),
            "Check the audit log for use since the leak.".into(),
        ],
        revoke_url: Some("https://example.com/revoke".into()),
        docs_url: Some("https://example.com/docs".into()),
    }
}

fn finding(rule: &str, path: Option<&str>, secret: &str, line: u64) -> Finding {
    Finding {
        rule_id: rule.into(),
        rule_name: format!("Fixture {rule}"),
        rule_description: Some(format!("The {rule} format, for tests.")),
        severity: Severity::High,
        confidence: Confidence::High,
        tags: vec!["fixture".into()],
        secret: secret.into(),
        matched: format!("key = {secret}"),
        fingerprint: leakhound::engine::finding::fingerprint(rule, secret),
        path: path.map(str::to_string),
        line,
        column: 7,
        end_line: line,
        end_column: 7 + secret.chars().count() as u64,
        source: if path.is_some() {
            SourceKind::File
        } else {
            SourceKind::Stdin
        },
        commit: None,
        history: None,
        remediation: remediation("Grants access to the fixture service."),
        parts: Vec::new(),
        encodings: Vec::new(),
        line_text: format!("key = {secret}"),
        pending: None,
    }
}

/// A file finding, a stdin finding, a history finding no longer in HEAD,
/// a multi-part one, one in a path with a space and non-ASCII, one found
/// under base64, and text that needs escaping in every format.
fn fixed_outcome() -> ScanOutcome {
    let mut history = finding(
        "fixture-token",
        Some("config/old settings.env"),
        "tok_HISTORYsecret01",
        3,
    );
    history.source = SourceKind::History;
    history.severity = Severity::Critical;
    history.commit = Some(CommitInfo {
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        author: "Fixture Author".into(),
        email: "author@example.com".into(),
        date: "2024-01-01T00:00:00Z".into(),
        message: "add settings with tok_HISTORYsecret01 | <b>&\"x\"".into(),
    });
    history.history = Some(HistoryDetails {
        in_head: false,
        other_locations: 2,
        locations: Vec::new(),
    });
    let mut pair = finding("fixture-pair", Some("deploy/.env"), "FIXTUREID0000001", 1);
    pair.severity = Severity::Medium;
    pair.confidence = Confidence::Medium;
    pair.parts = vec![
        Part {
            name: "id".into(),
            secret: "FIXTUREID0000001".into(),
        },
        Part {
            name: "secret".into(),
            secret: "pairSECRETvalue0123456789".into(),
        },
    ];
    let mut encoded = finding(
        "fixture-token",
        Some("k8s/secret.yaml"),
        "tok_ENCODEDsecret02",
        5,
    );
    encoded.encodings = vec![Encoding::Base64];
    encoded.line_text = "  token: [28 chars of base64]".into();
    let mut odd = finding(
        "fixture-token",
        Some("données/a b#1.txt"),
        "=tok_FORMULA|pipe`tick",
        2,
    );
    odd.severity = Severity::Low;
    ScanOutcome {
        findings: vec![
            finding(
                "fixture-token",
                Some("src/app.py"),
                "tok_FILEsecret00000",
                12,
            ),
            finding("fixture-token", None, "tok_STDINsecret0000", 1),
            history,
            pair,
            encoded,
            odd,
        ],
        stats: ScanStats {
            files_scanned: 6,
            bytes_scanned: 4096,
            ..ScanStats::default()
        },
        errors: Vec::new(),
        notes: Vec::new(),
    }
}

fn render(format: Format, redact: bool, show_secrets: bool) -> String {
    let options = ReportOptions {
        format,
        redact,
        show_secrets,
        color: false,
    };
    let mut out = Vec::new();
    write_report(&fixed_outcome(), &options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Compares with tests/golden/NAME, or rewrites it under UPDATE_GOLDEN=1.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "{} differs; rerun with UPDATE_GOLDEN=1 if the change is intended",
        name
    );
}

#[test]
fn every_format_matches_its_golden_file() {
    for (format, name) in [
        (Format::Text, "report.txt"),
        (Format::Json, "report.json"),
        (Format::Jsonl, "report.jsonl"),
        (Format::Sarif, "report.sarif"),
        (Format::Csv, "report.csv"),
        (Format::Junit, "report.junit.xml"),
        (Format::Markdown, "report.md"),
    ] {
        golden(name, &render(format, false, false));
    }
}

#[test]
fn sarif_is_valid_and_hides_secrets_by_default() {
    let sarif = render(Format::Sarif, false, false);
    assert_valid_sarif(&sarif);
    for secret in [
        "tok_FILEsecret00000",
        "tok_HISTORYsecret01",
        "pairSECRETvalue0123456789",
    ] {
        assert!(!sarif.contains(secret), "{secret} in SARIF");
    }
    let report: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let run = &report["runs"][0];
    // Only the rules that fired, once each, with remediation as help.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["fixture-token", "fixture-pair"]);
    assert_eq!(rules[0]["properties"]["security-severity"], "8.0");
    assert!(
        rules[0]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("Revoke it in the provider")
    );
    assert_eq!(rules[0]["helpUri"], "https://example.com/docs");
    let results = run["results"].as_array().unwrap();
    let location = |i: usize| &results[i]["locations"][0]["physicalLocation"];
    assert_eq!(location(0)["artifactLocation"]["uri"], "src/app.py");
    assert_eq!(location(0)["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location(0)["region"]["startLine"], 12);
    assert_eq!(
        location(5)["artifactLocation"]["uri"],
        "donn%C3%A9es/a%20b%231.txt"
    );
    // Fingerprints come from the secret, so they survive moved lines.
    assert_eq!(
        results[0]["partialFingerprints"]["leakhound/v1"],
        leakhound::engine::finding::fingerprint("fixture-token", "tok_FILEsecret00000")
    );
    let commit = &results[2]["properties"]["commit"];
    assert_eq!(commit["id"], "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(results[2]["properties"]["inHead"], false);
    assert!(
        results[2]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("No longer in HEAD")
    );

    let shown = render(Format::Sarif, false, true);
    assert_valid_sarif(&shown);
    assert!(
        shown.contains("tok_FILEsecret00000"),
        "--show-secrets shows them"
    );
}

#[test]
fn redaction_reaches_every_format() {
    for format in [
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Sarif,
        Format::Csv,
        Format::Junit,
        Format::Markdown,
    ] {
        let out = render(format, true, false);
        for secret in [
            "tok_FILEsecret00000",
            "tok_HISTORYsecret01",
            "FIXTUREID0000001",
            "pairSECRETvalue0123456789",
        ] {
            assert!(
                !out.contains(secret),
                "{secret} in {format:?} under --redact"
            );
        }
    }
}

#[test]
fn json_report_reads_back_as_a_baseline_of_every_finding() {
    // The JSON written is what --baseline reads: every finding comes back.
    let json = render(Format::Json, true, false);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let outcome = fixed_outcome();
    assert_eq!(findings.len(), outcome.findings.len());
    for (written, original) in findings.iter().zip(&outcome.findings) {
        assert_eq!(written["fingerprint"], original.fingerprint.as_str());
        assert_eq!(written["path"].as_str(), original.path.as_deref());
        assert_eq!(written["line"], original.line);
        assert_eq!(written["rule_id"], original.rule_id.as_str());
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.json"), &json).unwrap();
    let baseline =
        leakhound::suppress::baseline::Baseline::load(&dir.path().join("baseline.json")).unwrap();
    for finding in &outcome.findings {
        assert!(
            baseline.contains(finding),
            "{} not read back",
            finding.rule_id
        );
    }
}

#[test]
fn sarif_of_real_scans_validates() {
    // A working tree, stdin and a history scan, through the binary.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(
        dir.path(),
        "src/my app.env",
        format!("TOKEN={TEST_SECRET}\n"),
    );
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "add token"]);
    for args in [&["scan", "."][..], &["scan", "history"]] {
        let output = leakhound()
            .args(args)
            .args(["--format", "sarif"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let sarif = String::from_utf8(output.stdout).unwrap();
        assert_valid_sarif(&sarif);
        assert!(sarif.contains("\"uri\": \"src/my%20app.env\""), "{sarif}");
        assert!(!sarif.contains(TEST_SECRET));
    }
    let output = leakhound()
        .args(["scan", "-", "--format", "sarif", "--config"])
        .arg(dir.path().join(".leakhound.toml"))
        .write_stdin(format!("TOKEN={TEST_SECRET}\n"))
        .output()
        .unwrap();
    let sarif = String::from_utf8(output.stdout).unwrap();
    assert_valid_sarif(&sarif);
    assert!(sarif.contains("\"uri\": \"stdin\""));
}

#[test]
fn extra_reports_come_from_the_same_scan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".leakhound.toml", TEST_CONFIG);
    write(dir.path(), "app.env", format!("TOKEN={TEST_SECRET}\n"));
    leakhound()
        .args(["scan", "--format", "json", "-o", "out.json"])
        .args([
            "--report",
            "sarif=out.sarif",
            "--report",
            "markdown=summary.md",
            "--report",
            "csv=out.csv",
        ])
        .current_dir(dir.path())
        .assert()
        .code(1);
    assert_valid_sarif(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap());
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("| high | Test token (`test-token`) | `app.env:1` |"),
        "{summary}"
    );
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    // Records end in CRLF; line breaks inside quoted cells are bare LF.
    assert_eq!(csv.matches("\r\n").count(), 2, "{csv}");
    leakhound()
        .args(["scan", "--report", "yaml=x.yaml"])
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a format"));
}
