//! The keyword prefilter alone, one thread, on the files of a folder,
//! next to the `aho-corasick` crate's DFA over the same keywords in the
//! same run: `cargo bench --bench prefilter_throughput -- DIR`.
//!
//! Both report every (overlapping) keyword occurrence ignoring ASCII case;
//! leakhound's prefilter also confirms case-sensitive keywords, so it
//! reports fewer hits for the same work.

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use leakhound::engine::prefilter::Prefilter;
use leakhound::rules::load::load_rule_set;
use std::path::PathBuf;
use std::time::Instant;

const ROUNDS: usize = 8;

/// A search over one file that returns its number of hits.
type Search<'a> = Box<dyn FnMut(&[u8]) -> usize + 'a>;

fn read_tree(root: PathBuf) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable folder") {
            let entry = entry.expect("readable entry");
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() && entry.file_name() != ".git" {
                folders.push(entry.path());
            } else if kind.is_file() {
                files.push(std::fs::read(entry.path()).expect("readable file"));
            }
        }
    }
    files
}

fn main() {
    // `cargo bench` adds `--bench`; the folder is the first other argument.
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench prefilter_throughput -- DIR");
        std::process::exit(2);
    };
    let files = read_tree(PathBuf::from(&dir));
    let bytes: usize = files.iter().map(Vec::len).sum();
    let rules = load_rule_set(None).expect("built-in rules load").rules;
    let mut keywords: Vec<String> = rules
        .iter()
        .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    keywords.sort();
    keywords.dedup();

    let started = Instant::now();
    let prefilter = Prefilter::new(&rules);
    let prefilter_build = started.elapsed();
    let started = Instant::now();
    let crate_dfa = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .ascii_case_insensitive(true)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&keywords)
        .expect("keywords build");
    let crate_build = started.elapsed();

    let mut hits = Vec::new();
    let mut searches: [(&str, Search); 2] = [
        (
            "aho-corasick crate DFA",
            Box::new(|file: &[u8]| crate_dfa.find_overlapping_iter(file).count()),
        ),
        (
            "leakhound prefilter",
            Box::new(|file: &[u8]| {
                hits.clear();
                prefilter.find_hits(file, &mut hits, |_| true);
                hits.len()
            }),
        ),
    ];
    // Rounds alternate the two, so a slow spell on a shared machine hits
    // both rather than one.
    let mut best = [f64::MAX; 2];
    let mut found = [0usize; 2];
    for _ in 0..ROUNDS {
        for (i, (_, search)) in searches.iter_mut().enumerate() {
            let started = Instant::now();
            found[i] = files.iter().map(|f| search(f)).sum();
            best[i] = best[i].min(started.elapsed().as_secs_f64());
        }
    }
    println!(
        "{} keywords, {} files, {:.1} MB from {dir}, 1 thread, best of {ROUNDS}",
        keywords.len(),
        files.len(),
        bytes as f64 / 1e6
    );
    let builds = [crate_build, prefilter_build];
    for (i, (name, _)) in searches.iter().enumerate() {
        println!(
            "{name:<24} build {:>6.2} ms  {:>6.0} MB/s  ({} hits)",
            builds[i].as_secs_f64() * 1e3,
            bytes as f64 / best[i] / 1e6,
            found[i]
        );
    }
    println!("prefilter / crate DFA: {:.2}x", best[0] / best[1]);
}
