//! Engine throughput on generated source-like text, one core, with and
//! without secrets: `cargo bench --bench engine_throughput`.
//!
//! The text mimics code and config (identifiers, strings, comments, a
//! base64 lock-file hash, a git object id), generated from a fixed seed so
//! runs are comparable. Two mixes: one with few keywords (a line naming a
//! token or password every ~200 lines, the case the 1 GB/s aim is about),
//! and one where every fifth line names one, so that rules run their
//! regexes around a keyword every few hundred bytes.

use leakhound::engine::{Engine, MatchMode, Scratch};
use leakhound::rules::load::load_rule_set;
use std::time::Instant;

const FILE_SIZE: usize = 16 * 1024;
const TOTAL: usize = 64 * 1024 * 1024;
const ROUNDS: usize = 5;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Lines that name no keyword of any rule.
const PLAIN_LINES: &[&str] = &[
    "    let result = compute_value(input, &mut state)?;",
    "    if (count > 0 && !options.verbose) { return null; }",
    "import { useState, useEffect } from 'react';",
    "def parse_header(self, data: bytes) -> Optional[Header]:",
    "  timeout: 30",
    "  replicas: 3",
    "    self.session_key = derive_key(master, salt)",
    "    for (int i = 0; i < len; i++) { sum += buf[i]; }",
    "// SPDX-License-Identifier: MIT",
    "    \"description\": \"A small library for parsing things\",",
    "func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) {",
    "    logger.debug(\"cache hit for key %s\", key)",
    "      \"integrity\": \"sha512-3bXcN8q0vKz4Lr9t2YwE5fH7jM1pQ6sU0xA4gD8kR2nT9cV3bZ5eW7yF1hJ6mL0oP4qS8uX2zB5dG9kN3rT7vY==\",",
    "    commit = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\"",
    "        assert_eq!(lines.len(), 3, \"three lines in the header\");",
    "  - name: Install dependencies",
    "<div class=\"container\"><span>{{ title }}</span></div>",
    "SELECT id, name FROM orders WHERE created_at > $1 ORDER BY id;",
    "static int read_entry(struct index *idx, size_t offset, uint32_t *out)",
    "    while (n-- > 0) *dst++ = *src++;",
    "}",
    "",
];

/// Lines that name a keyword innocently: no secret, but rules run.
const KEYWORD_LINES: &[&str] = &[
    "    # Refresh the access token before it expires",
    "const password_field = document.getElementById('password');",
    "        return Err(Error::InvalidToken(token.to_string()));",
    "    api_key = os.environ[\"API_KEY\"]",
];

/// One line in `keyword_every` names a keyword; with `secrets`, one line in
/// about 2,000 is a credential.
fn generate(seed: u64, keyword_every: u64, secrets: bool) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    let mut files = Vec::new();
    let mut total = 0;
    while total < TOTAL {
        let mut file = String::with_capacity(FILE_SIZE + 128);
        while file.len() < FILE_SIZE {
            let lines = if rng.next().is_multiple_of(keyword_every) {
                KEYWORD_LINES
            } else {
                PLAIN_LINES
            };
            file.push_str(rng.pick(lines));
            file.push('\n');
            if secrets && rng.next().is_multiple_of(2000) {
                file.push_str("AWS_ACCESS_KEY_ID=AKIAZ2X7QW4LMN3PR5TY\n");
            }
        }
        total += file.len();
        files.push(file.into_bytes());
    }
    files
}

/// Seconds for one pass of `engine` over `files`, and the findings.
fn one_pass(engine: &Engine, files: &[Vec<u8>], scratch: &mut Scratch) -> (f64, usize) {
    let start = Instant::now();
    let mut findings = 0;
    for file in files {
        findings += engine.scan(file, Some("src/lib.rs"), scratch).len();
    }
    (start.elapsed().as_secs_f64(), findings)
}

fn main() {
    // `cargo bench --bench engine_throughput -- few` runs only the inputs
    // whose label contains "few" (for profiling one case).
    let only = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_default();
    let rules = load_rule_set(None).expect("built-in rules load");
    let rule_count = rules.rules.len();
    let engine = Engine::new(rules, MatchMode::Prefiltered);
    let no_decoding = Engine::new(
        load_rule_set(None).expect("built-in rules load"),
        MatchMode::Prefiltered,
    )
    .with_decode_depth(0);
    println!(
        "engine throughput, 1 thread, {rule_count} rules, {} MiB in {} KiB files, best of {ROUNDS}",
        TOTAL >> 20,
        FILE_SIZE >> 10
    );
    let inputs: Vec<_> = [
        ("few keywords, no secrets", 200, false),
        ("few keywords, 1 secret per ~2000 lines", 200, true),
        ("keyword every 5 lines, no secrets", 5, false),
        ("keyword every 5 lines, 1 secret per ~2000 lines", 5, true),
    ]
    .into_iter()
    .filter(|(label, _, _)| label.contains(only.as_str()))
    .map(|(label, keyword_every, secrets)| (label, generate(0x5eed, keyword_every, secrets)))
    .collect();
    let configs = [("", &engine), (", decoding off", &no_decoding)];
    // Rounds go over every input and configuration in turn, so a slow
    // spell on a shared machine hits them all rather than one.
    let mut best = vec![[f64::MAX; 2]; inputs.len()];
    let mut findings = vec![[0usize; 2]; inputs.len()];
    let mut scratch = Scratch::default();
    for _ in 0..ROUNDS {
        for (i, (_, files)) in inputs.iter().enumerate() {
            for (c, (_, engine)) in configs.iter().enumerate() {
                let (seconds, found) = one_pass(engine, files, &mut scratch);
                best[i][c] = best[i][c].min(seconds);
                findings[i][c] = found;
            }
        }
    }
    for (i, (label, files)) in inputs.iter().enumerate() {
        let bytes: usize = files.iter().map(Vec::len).sum();
        for (c, (suffix, _)) in configs.iter().enumerate() {
            let label = format!("{label}{suffix}");
            let mb_per_s = bytes as f64 / best[i][c] / 1e6;
            println!(
                "{label:<52} {mb_per_s:>8.0} MB/s  ({} findings)",
                findings[i][c]
            );
        }
    }
}
