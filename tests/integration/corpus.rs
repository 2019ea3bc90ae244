//! Detection quality on the labelled corpus (`fixtures/corpus/`): every
//! labelled secret must be found (recall at least 99%), no decoy may be
//! reported, and nothing unlabelled either. Scans use the built-in rules
//! exactly as shipped.

use crate::helpers::{leakhound, parse_json};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    secret: Vec<SecretLabel>,
    decoy: Vec<DecoyLabel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretLabel {
    file: String,
    value: String,
    provider: String,
    /// Set when the value appears in the file only encoded (base64, hex,
    /// percent); the scanner must decode it to find it.
    encoding: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecoyLabel {
    file: String,
    value: String,
    why: String,
}

/// One reported finding: where, which rule, and every value it names (the
/// secret and each part, also percent-decoded, since a URL carries its
/// password percent-encoded).
struct Reported {
    path: String,
    line: u64,
    rule: String,
    /// Every value named: the secret and each part.
    values: Vec<String>,
    /// The secret alone, as reported and percent-decoded.
    secrets: Vec<String>,
}

impl Reported {
    fn names(&self, file: &str, value: &str) -> bool {
        self.path == file && self.values.iter().any(|v| v == value.trim())
    }

    /// Whether the reported secret (not the identifying parts such as a
    /// user name or host) is the decoy, holds it, or is a piece of it.
    fn reports_decoy(&self, decoy: &str) -> bool {
        let decoy = decoy.trim();
        self.secrets
            .iter()
            .any(|s| !s.is_empty() && (s.contains(decoy) || decoy.contains(s.as_str())))
    }
}

/// Files of the corpus that describe it rather than belong to it.
const NOT_CORPUS: [&str; 2] = ["labels.toml", "README.md"];

fn corpus_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/corpus"))
}

fn load_labels() -> Labels {
    let path = corpus_root().join("labels.toml");
    toml::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn scan_corpus() -> Vec<Reported> {
    // An empty config keeps the repository's own .leakhound.toml (which
    // allowlists fixtures/) out of the way: built-in rules as shipped.
    let empty_config = tempfile::NamedTempFile::new().unwrap();
    let output = leakhound()
        .args(["scan", ".", "--format", "json", "--no-ignore", "--config"])
        .arg(empty_config.path())
        .current_dir(corpus_root())
        .output()
        .unwrap();
    assert!(
        output.stderr.is_empty(),
        "the corpus scan reported errors: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = parse_json(&output.stdout);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !NOT_CORPUS.contains(&f["path"].as_str().unwrap()))
        .map(|f| {
            let mut values = vec![f["secret"].as_str().unwrap().trim().to_string()];
            for part in f["parts"].as_array().into_iter().flatten() {
                values.push(part["secret"].as_str().unwrap().trim().to_string());
            }
            let decoded: Vec<String> = values.iter().filter_map(|v| percent_decode(v)).collect();
            values.extend(decoded);
            let mut secrets = vec![values[0].clone()];
            secrets.extend(percent_decode(&values[0]));
            Reported {
                path: f["path"].as_str().unwrap().to_string(),
                line: f["line"].as_u64().unwrap(),
                rule: f["rule_id"].as_str().unwrap().to_string(),
                values,
                secrets,
            }
        })
        .collect()
}

/// `text` with %XX escapes decoded, when it has any and decodes to UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[test]
fn labels_describe_the_corpus_files() {
    let labels = load_labels();
    for label in &labels.secret {
        let text = std::fs::read_to_string(corpus_root().join(&label.file))
            .unwrap_or_else(|e| panic!("label for {}: {e}", label.file));
        match label.encoding.as_deref() {
            None => assert!(
                text.contains(&label.value),
                "{}: labelled secret not in the file: {}",
                label.file,
                label.value
            ),
            Some("base64" | "hex" | "percent") => assert!(
                !text.contains(&label.value),
                "{}: secret labelled encoded is also in clear: {}",
                label.file,
                label.value
            ),
            Some(other) => panic!("{}: unknown encoding {other}", label.file),
        }
    }
    for decoy in &labels.decoy {
        let text = std::fs::read_to_string(corpus_root().join(&decoy.file))
            .unwrap_or_else(|e| panic!("decoy in {}: {e}", decoy.file));
        assert!(
            text.contains(&decoy.value),
            "{}: decoy not in the file: {}",
            decoy.file,
            decoy.value
        );
        assert!(
            !decoy.why.trim().is_empty(),
            "{}: decoy without a why",
            decoy.file
        );
    }
}

#[test]
fn corpus_recall_is_at_least_99_percent_and_nothing_unlabelled_is_reported() {
    let labels = load_labels();
    let reported = scan_corpus();

    let missed: Vec<&SecretLabel> = labels
        .secret
        .iter()
        .filter(|l| !reported.iter().any(|r| r.names(&l.file, &l.value)))
        .collect();
    let unlabelled: Vec<&Reported> = reported
        .iter()
        .filter(|r| !labels.secret.iter().any(|l| r.names(&l.file, &l.value)))
        .collect();
    let decoys_reported: Vec<(&DecoyLabel, &Reported)> = labels
        .decoy
        .iter()
        .filter_map(|d| {
            reported
                .iter()
                .find(|r| r.path == d.file && r.reports_decoy(&d.value))
                .map(|r| (d, r))
        })
        .collect();

    let total = labels.secret.len();
    let recall = (total - missed.len()) as f64 / total as f64;
    let precision = if reported.is_empty() {
        1.0
    } else {
        (reported.len() - unlabelled.len()) as f64 / reported.len() as f64
    };
    let mut missed_by_provider: BTreeMap<&str, usize> = BTreeMap::new();
    for label in &missed {
        *missed_by_provider.entry(&label.provider).or_default() += 1;
    }
    let encoded = labels
        .secret
        .iter()
        .filter(|l| l.encoding.is_some())
        .count();
    eprintln!(
        "corpus: {total} secrets ({encoded} only encoded), {} decoys; recall {:.2}% ({} missed: {missed_by_provider:?}), precision {:.2}% ({} of {} findings unlabelled), {} decoys reported",
        labels.decoy.len(),
        recall * 100.0,
        missed.len(),
        precision * 100.0,
        unlabelled.len(),
        reported.len(),
        decoys_reported.len()
    );
    for label in &missed {
        eprintln!(
            "  missed [{}] {}: {}",
            label.provider,
            label.file,
            short(&label.value)
        );
    }
    for r in &unlabelled {
        eprintln!(
            "  unlabelled [{}] {}:{}: {}",
            r.rule,
            r.path,
            r.line,
            short(&r.values[0])
        );
    }
    for (decoy, r) in &decoys_reported {
        eprintln!(
            "  decoy reported [{}] {}:{} ({}): {}",
            r.rule,
            decoy.file,
            r.line,
            decoy.why,
            short(&decoy.value)
        );
    }
    assert!(recall >= 0.99, "recall {:.2}% is below 99%", recall * 100.0);
    assert!(decoys_reported.is_empty(), "decoys were reported");
    assert!(
        unlabelled.is_empty(),
        "findings that are not labelled secrets"
    );
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(70).collect()
}
