//! Detection beyond one regex: secrets found through base64, hex and
//! percent-encoding, and multi-part credentials reported as one finding.

use crate::helpers::{github_token, leakhound, parse_json, write};
use base64::Engine as _;

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn scan_json(root: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let output = leakhound()
        .args(["scan", "--format", "json"])
        .args(extra)
        .current_dir(root)
        .output()
        .unwrap();
    parse_json(&output.stdout)
}

#[test]
fn kubernetes_secret_data_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token("ghp_", 11);
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n  GITHUB_TOKEN: {}\n",
        b64(&token)
    );
    write(dir.path(), "k8s/secret.yaml", &manifest);
    let report = scan_json(dir.path(), &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert_eq!(finding["rule_id"], "github-pat-classic");
    assert_eq!(finding["secret"], token.as_str());
    assert_eq!(finding["encodings"], serde_json::json!(["base64"]));
    assert_eq!(finding["line"], 6);
    assert_eq!(finding["column"], 17, "the column of the encoded text");

    // Without decoding only a generic rule can see the encoded value.
    let off = scan_json(dir.path(), &["--decode-depth", "0"]);
    let rules: Vec<_> = off["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !rules.iter().any(|r| r == "github-pat-classic"),
        "{rules:?}"
    );
}

/// Auth blobs of registry config files (`user:password` in base64) are
/// reported by their own rule, unless the password is a provider token: then
/// the provider's rule reports it, once.
#[test]
fn a_provider_token_inside_a_registry_auth_blob_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token("ghp_", 23);
    let config = format!(
        "{{\"auths\": {{\"ghcr.io\": {{\"auth\": \"{}\"}}, \"registry.corp.internal\": {{\"auth\": \"{}\"}}}}}}\n",
        b64(&format!("ci-bot:{token}")),
        b64("deploy:Qm7rTz2kWx9vLp3s")
    );
    write(dir.path(), ".docker/config.json", &config);
    write(
        dir.path(),
        ".npmrc",
        format!(
            "//npm.pkg.github.com/:_auth={}\n",
            b64(&format!("ci-bot:{token}"))
        ),
    );
    let report = scan_json(dir.path(), &[]);
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (
                ".docker/config.json".to_string(),
                "docker-config-auth".to_string(),
                b64("deploy:Qm7rTz2kWx9vLp3s")
            ),
            (
                ".docker/config.json".to_string(),
                "github-pat-classic".to_string(),
                token.clone()
            ),
            (
                ".npmrc".to_string(),
                "github-pat-classic".to_string(),
                token
            ),
        ]
    );
}

#[test]
fn nested_encodings_need_the_depth() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token("ghp_", 12);
    let inner_hex: String = format!("token={token}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    write(
        dir.path(),
        "blob.txt",
        format!("payload: {}\n", b64(&inner_hex)),
    );
    let found = scan_json(dir.path(), &[]);
    let findings = found["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0]["encodings"],
        serde_json::json!(["base64", "hex"])
    );
    let shallow = scan_json(dir.path(), &["--decode-depth", "1"]);
    assert_eq!(shallow["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn percent_encoded_token_is_found_and_inline_allow_still_applies() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token("ghp_", 13);
    let encoded: String = token
        .bytes()
        .map(|b| {
            if b == b'_' {
                "%5F".to_string()
            } else {
                (b as char).to_string()
            }
        })
        .collect();
    write(
        dir.path(),
        "links.md",
        format!(
            "[a](https://example.test/?t={encoded})\n[b](https://example.test/?u={encoded}) leakhound:allow\n"
        ),
    );
    let report = scan_json(dir.path(), &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["line"], 1);
    assert_eq!(findings[0]["encodings"], serde_json::json!(["percent"]));
}

#[test]
fn aws_key_id_and_secret_together_are_one_finding_with_two_parts() {
    let dir = tempfile::tempdir().unwrap();
    // AKIAGKAY2Z76NTGQNBSN decodes to a 12-digit account, as real ids do.
    let secret = "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";
    write(
        dir.path(),
        "deploy/.env",
        format!(
            "AWS_ACCESS_KEY_ID=AKIAGKAY2Z76NTGQNBSN\nAWS_REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY={secret}\n"
        ),
    );
    write(
        dir.path(),
        "other/.env",
        format!("AWS_SECRET_ACCESS_KEY={secret}\n"),
    );
    let report = scan_json(dir.path(), &[]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let paired = &findings[0];
    assert_eq!(paired["path"], "deploy/.env");
    assert_eq!(paired["rule_id"], "aws-access-key-id");
    assert_eq!(
        paired["parts"],
        serde_json::json!([
            {"name": "id", "secret": "AKIAGKAY2Z76NTGQNBSN"},
            {"name": "secret", "secret": secret}
        ])
    );
    // Alone, the secret key is still a finding of its own rule.
    assert_eq!(findings[1]["path"], "other/.env");
    assert_eq!(findings[1]["rule_id"], "aws-secret-access-key");
}
