//! A revision scan must give exactly what a scan of the whole new version
//! gives, whatever the delta copied and inserted.

use super::*;
use crate::engine::tests::{engine, line_strategy};
use crate::rules::load::parse_rule_file;
use crate::rules::{GlobalAllow, RuleSet};
use proptest::prelude::*;

/// Rules whose matches span more lines than one hit window holds, so a
/// match is found only when windows of nearby hits merge: the case where
/// a hit outside a copied stretch changes what is found inside it.
const SPANNING_RULES: &str = r#"
[[rules]]
id = "short-block"
name = "Block longer than its window"
keywords = ["BEGIN KEY"]
regex = '''BEGIN KEY\n(?:[^\n]+\n){1,4}END KEY'''
window = { lines_before = 2, lines_after = 1 }
severity = "high"
confidence = "high"
remediation = { summary = "Replace it." }

[[rules]]
id = "label-below"
name = "Token labelled on a later line"
keywords = ["^^ token"]
regex = '''([a-z0-9]{12})\n(?:[^\n]+\n){0,3}\^\^ token'''
secret_group = 1
window = { lines_before = 2, lines_after = 1 }
severity = "high"
confidence = "high"
remediation = { summary = "Rotate it." }
"#;

fn spanning_engine() -> Engine {
    let rules = parse_rule_file("spanning.toml", SPANNING_RULES).unwrap();
    Engine::new(
        RuleSet::new(rules, GlobalAllow::default()),
        MatchMode::Prefiltered,
    )
}

/// Whole lines that build and break the spanning rules' matches.
fn spanning_line() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "BEGIN KEY",
        "END KEY",
        "END KEY BEGIN KEY",
        "abc123",
        "q7w8e9r0t1y2",
        "^^ token",
        "x y",
        "leakhound:allow",
    ])
    .prop_map(str::to_string)
}

/// One piece of a new version: a stretch of the old one, or new text.
#[derive(Debug, Clone)]
enum Piece {
    /// Old bytes from `start` (a fraction of the old length, in 1/1000)
    /// for `len` bytes (clamped).
    Copy {
        start: u16,
        len: u16,
    },
    Insert(String),
}

/// Builds a new version from pieces, and what it copied from `old`.
fn apply(old: &[u8], pieces: &[Piece]) -> (Vec<u8>, Vec<Copied>) {
    let mut new = Vec::new();
    let mut copied = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Copy { start, len } => {
                if old.is_empty() {
                    continue;
                }
                let from = old.len() * usize::from(*start) / 1000;
                let len = usize::from(*len).min(old.len() - from);
                if len == 0 {
                    continue;
                }
                copied.push(Copied {
                    to: new.len(),
                    from,
                    len,
                });
                new.extend_from_slice(&old[from..from + len]);
            }
            Piece::Insert(text) => new.extend_from_slice(text.as_bytes()),
        }
    }
    (new, copied)
}

/// Asserts that scanning `new` as a revision of `old` is the same as
/// scanning it whole, and returns how many detections there were.
fn assert_revision_is_exact(engine: &Engine, old: &[u8], new: &[u8], copied: &[Copied]) -> usize {
    let mut scratch = Scratch::default();
    let (_, carried) = engine.scan_carrying(old, &mut scratch);
    let whole = engine.scan_carrying(new, &mut scratch);
    let revised = engine.scan_revision(new, &carried, copied, &mut scratch);
    assert_eq!(revised.0, whole.0, "copied {copied:?}");
    assert_eq!(revised.1, whole.1, "carried, copied {copied:?}");
    whole.0.len()
}

fn piece_strategy() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => (0u16..1000, 1u16..400).prop_map(|(start, len)| Piece::Copy { start, len }),
        1 => prop::collection::vec(line_strategy(), 0..4)
            .prop_map(|lines| Piece::Insert(lines.join("\n"))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any delta: stretches of the old version copied in any order, cut
    /// anywhere (mid-line, mid-token), repeated, with new text between.
    #[test]
    fn a_revision_scan_finds_what_a_whole_scan_finds(
        lines in prop::collection::vec(line_strategy(), 0..40),
        pieces in prop::collection::vec(piece_strategy(), 0..8),
    ) {
        let old = lines.join("\n");
        let (new, copied) = apply(old.as_bytes(), &pieces);
        assert_revision_is_exact(&engine(MatchMode::Prefiltered), old.as_bytes(), &new, &copied);
    }

    /// The same with matches longer than a hit window, cut only at line
    /// ends: the stretches far from a seam keep their detections only if
    /// no hit beyond the seam could have shaped their window.
    #[test]
    fn matches_longer_than_a_window_are_found_exactly(
        lines in prop::collection::vec(spanning_line(), 0..40),
        pieces in prop::collection::vec(
            prop_oneof![
                3 => (0usize..40, 1usize..30).prop_map(|(line, count)| (line, count, None)),
                1 => prop::collection::vec(spanning_line(), 0..4).prop_map(|l| (0, 0, Some(l))),
            ],
            0..6,
        ),
    ) {
        let old: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let starts: Vec<usize> = std::iter::once(0)
            .chain(old.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut new = Vec::new();
        let mut copied = Vec::new();
        for (line, count, inserted) in pieces {
            if let Some(inserted) = inserted {
                new.extend(inserted.iter().flat_map(|l| format!("{l}\n").into_bytes()));
                continue;
            }
            let from = starts[line.min(starts.len() - 1)];
            let to = starts[(line + count).min(starts.len() - 1)];
            if to > from {
                copied.push(Copied { to: new.len(), from, len: to - from });
                new.extend_from_slice(&old.as_bytes()[from..to]);
            }
        }
        assert_revision_is_exact(&spanning_engine(), old.as_bytes(), &new, &copied);
    }

    /// The usual delta: the old version with a few lines changed, so most
    /// windows are far from any change and their detections are carried.
    #[test]
    fn a_small_edit_is_scanned_exactly(
        lines in prop::collection::vec(line_strategy(), 1..60),
        at in 0usize..60,
        inserted in prop::collection::vec(line_strategy(), 0..3),
        removed in 0usize..3,
    ) {
        let old = lines.join("\n") + "\n";
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(old.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let cut = line_starts[at.min(line_starts.len() - 1)];
        let resume = line_starts[(at + removed).min(line_starts.len() - 1)];
        let insert = inserted.iter().map(|l| format!("{l}\n")).collect::<String>();
        let pieces_new = [&old[..cut], &insert, &old[resume..]].concat();
        let mut copied = Vec::new();
        if cut > 0 {
            copied.push(Copied { to: 0, from: 0, len: cut });
        }
        if resume < old.len() {
            copied.push(Copied { to: cut + insert.len(), from: resume, len: old.len() - resume });
        }
        assert_revision_is_exact(&engine(MatchMode::Prefiltered), old.as_bytes(), pieces_new.as_bytes(), &copied);
    }
}

#[test]
fn far_windows_are_carried_without_running_their_regex() {
    let first = engine(MatchMode::Prefiltered);
    let old = "password = \"hunter2hunter2\"\n".repeat(20) + "x = 1\n";
    let new = old.clone() + "y = 2\n";
    let mut scratch = Scratch::default();
    let (found, carried) = first.scan_carrying(old.as_bytes(), &mut scratch);
    assert_eq!(found.len(), 20);
    let fresh = engine(MatchMode::Prefiltered);
    let copied = [Copied {
        to: 0,
        from: 0,
        len: old.len(),
    }];
    let (revised, _) = fresh.scan_revision(new.as_bytes(), &carried, &copied, &mut scratch);
    assert_eq!(revised.len(), 20);
    assert_eq!(revised[19].line, 20);
    assert!(
        !crate::engine::tests::rule_named(&fresh, "word-password").is_compiled(),
        "a regex ran far from the change"
    );
}

/// The built-in rules (decoding included) over the labelled corpus, each
/// file edited in a few fixed pseudo-random ways.
#[test]
fn revisions_of_the_corpus_match_whole_scans_with_builtin_rules() {
    let engine = crate::engine::tests::builtin_engine();
    let texts: Vec<Vec<u8>> = crate::engine::tests::corpus_files()
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |below: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % below.max(1)
    };
    let (mut checked, mut found) = (0, 0);
    for (n, old) in texts.iter().enumerate() {
        let other = &texts[(n + 1) % texts.len()];
        for _ in 0..12 {
            // Keep a head and a tail of the old file, cut anywhere, with a
            // slice of another file (secrets and all) between them; now and
            // then also repeat an old stretch at the end.
            let cut = next(old.len() + 1);
            let resume = (cut + next(200)).min(old.len());
            let from = next(other.len() + 1);
            let inserted = &other[from..(from + next(300)).min(other.len())];
            let mut new = old[..cut].to_vec();
            let mut copied = vec![];
            if cut > 0 {
                copied.push(Copied {
                    to: 0,
                    from: 0,
                    len: cut,
                });
            }
            new.extend_from_slice(inserted);
            if resume < old.len() {
                copied.push(Copied {
                    to: new.len(),
                    from: resume,
                    len: old.len() - resume,
                });
                new.extend_from_slice(&old[resume..]);
            }
            if next(3) == 0 && !old.is_empty() {
                let from = next(old.len());
                let len = next(old.len() - from) + 1;
                copied.push(Copied {
                    to: new.len(),
                    from,
                    len,
                });
                new.extend_from_slice(&old[from..from + len]);
            }
            found += assert_revision_is_exact(&engine, old, &new, &copied);
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} edits");
    assert!(found > 500, "only {found} detections");
}

/// A hit just past the copied stretch merged into the old window and made
/// its greedy match run past the stretch; without that hit the new
/// version's match is shorter and lies inside the stretch, so the window
/// must be searched, not carried.
#[test]
fn a_window_shaped_by_a_hit_beyond_the_seam_is_searched() {
    let engine = spanning_engine();
    let old = "BEGIN KEY\nBEGIN KEY\nEND KEY\nx\nEND KEY BEGIN KEY\n";
    let kept = "BEGIN KEY\nBEGIN KEY\nEND KEY\nx\n";
    let new = format!("{kept}y\n");
    let copied = [Copied {
        to: 0,
        from: 0,
        len: kept.len(),
    }];
    let found = assert_revision_is_exact(&engine, old.as_bytes(), new.as_bytes(), &copied);
    assert_eq!(found, 1);
}

/// Past the bound on decoded bytes, which runs are decoded depends on the
/// whole input: runs are found in the whole new version again, and the
/// result is still a whole scan's.
#[test]
fn past_the_decoding_bound_runs_are_found_again() {
    use base64::Engine as _;
    let engine = engine(MatchMode::Prefiltered);
    let secret = base64::engine::general_purpose::STANDARD.encode("key = acme_a1b2c3d4e5f6 ok");
    let filler = base64::engine::general_purpose::STANDARD.encode("plain text ".repeat(70));
    let line = format!("data: {filler}\n");
    let mut old = format!("first: {secret}\n");
    while old.len() < 12 * 1024 * 1024 {
        old.push_str(&line);
    }
    old.push_str(&format!("last: {secret}\n"));
    let mut scratch = Scratch::default();
    let (found, carried) = engine.scan_carrying(old.as_bytes(), &mut scratch);
    assert!(carried.decoding_cut);
    assert_eq!(found.len(), 1, "only the first run is decoded");
    // Drop the first line: the bound now falls later.
    let cut = old.find('\n').unwrap() + 1;
    let new = format!("{}first: {secret}\n", &old[cut..]);
    let copied = [Copied {
        to: 0,
        from: cut,
        len: old.len() - cut,
    }];
    assert_revision_is_exact(&engine, old.as_bytes(), new.as_bytes(), &copied);
}
