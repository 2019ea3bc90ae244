//! Shared helpers: running the binary, writing trees, making git repos,
//! and fake credentials built the way providers build real ones.

use assert_cmd::Command;
use std::path::Path;

/// The leakhound binary with a clean, predictable environment.
pub fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

pub fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Runs git with fixed identities and dates so fixtures are reproducible.
pub fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Fixture Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "Fixture Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A git command's trimmed standard output (for reading, not for fixtures).
pub fn git_output(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?} failed");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Deletes a loose object: a damaged repository.
pub fn remove_loose_object(repo: &Path, id: &str) {
    std::fs::remove_file(repo.join(format!(".git/objects/{}/{}", &id[..2], &id[2..]))).unwrap();
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A GitHub-style token: prefix, 30 base62 chars from `seed`, base62 CRC32.
pub fn github_token(prefix: &str, seed: u64) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let payload: String = (0..30)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            BASE62[(state >> 33) as usize % 62] as char
        })
        .collect();
    let mut crc = crc32(payload.as_bytes());
    let mut check = Vec::new();
    while crc > 0 {
        check.push(BASE62[(crc % 62) as usize]);
        crc /= 62;
    }
    while check.len() < 6 {
        check.push(b'0');
    }
    check.reverse();
    format!("{prefix}{payload}{}", String::from_utf8(check).unwrap())
}

/// Plain CRC-32 (IEEE), written out so the tests do not trust the code under test.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A rule config with one deterministic test rule and no built-ins, so
/// tests of the scan machinery do not depend on the built-in catalogue.
pub const TEST_CONFIG: &str = r#"
[extend]
builtin = false

[[rules]]
id = "test-token"
name = "Test token"
keywords = ["tok_"]
regex = '''\b(tok_[A-Za-z0-9]{16})\b'''
secret_group = 1
severity = "high"
confidence = "high"
[rules.remediation]
summary = "Revoke the test token."
rotation = ["Revoke it", "Issue a new one"]
revoke_url = "https://example.com/tokens"
"#;

/// A token the test rule matches.
pub const TEST_SECRET: &str = "tok_Q7w9E2r4T6y8U1i3";

pub fn parse_json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// Fails the test, listing every violation, unless `sarif` is valid SARIF
/// 2.1.0 under the official schema (a copy is in tests/schemas/).
pub fn assert_valid_sarif(sarif: &str) {
    use std::sync::OnceLock;
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        ))
        .unwrap();
        jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).unwrap()
    });
    let instance: serde_json::Value =
        serde_json::from_str(sarif).unwrap_or_else(|e| panic!("SARIF is not JSON ({e}): {sarif}"));
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}
