//! An ASCII-case-insensitive Aho-Corasick DFA over the rules' keywords,
//! laid out for speed and scanned as several interleaved streams.
//!
//! Why not the `aho-corasick` crate's DFA: with hundreds of keywords its
//! own prefilters switch off, and the search is a chain of dependent table
//! loads, one per byte, each waiting for the last. That chain, not the
//! instruction count, caps it near 350 MB/s. Here the input is cut into
//! [`STREAMS`] segments walked in lockstep, so the CPU keeps several loads
//! in flight; the table is dense and premultiplied, and a step finds its
//! byte's column before it knows the state, so the only work that waits
//! on the previous step is one load; and match states are numbered last,
//! from a power of two, so "did any stream reach a match" is one OR and one
//! comparison. Building it over ~660 keywords takes 2-3 ms, a quarter of
//! the crate's DFA, so every scan, a pre-commit scan of a few files
//! included, uses it from the first byte.

/// Segments walked together. Four was the best of one to eight while the
/// loop kept a pointer per lane; addressing the lanes from one pointer
/// freed the registers for a fifth, 7-9% faster on git/git sources and
/// the few-keywords mix. Six runs short of registers again and was slower.
/// `run_streams` names the streams one by one, so it changes with this.
const STREAMS: usize = 5;

/// Inputs shorter than this (or than `STREAMS` times the longest keyword)
/// are scanned as one stream. A stream's steps wait on each other, so one
/// stream is several times slower per byte than five; five pay a warm-up
/// of a keyword's length each, which only the shortest inputs do not
/// repay. On the git/git tree, where 3,000 of the 4,800 files are under
/// 4 KiB, the prefilter ran 16% faster with this at 256 than at 4096;
/// 128 was no faster, 512 and 1024 a little slower.
const INTERLEAVE_FROM: usize = 256;

pub struct KeywordDfa {
    /// Byte to equivalence class; an ASCII letter shares its lowercase
    /// form's class, and bytes no keyword contains share class 0.
    classes: [u8; 256],
    /// `table[state + class]` is the next state. State ids are
    /// premultiplied by the row length, so no multiply in the search loop.
    /// Every entry is the start of a row, and every class is below the row
    /// length: the search loop relies on both (checked when built).
    table: Vec<u32>,
    /// States at or above this id end at least one keyword; those below do
    /// not. A power of two, so no state below it has its bit or higher.
    first_match: u32,
    /// The row length of `table` is `1 << stride_shift`: the class count
    /// rounded up to a power of two, so a match state's row number is a
    /// shift away, not a division.
    stride_shift: u32,
    /// For match state `first_match + (i << stride_shift)`, `outputs[i]`
    /// is its range in `output_patterns`.
    outputs: Vec<(u32, u32)>,
    /// Pattern ids and lengths, grouped per match state: side by side, so
    /// a match costs no further lookup.
    output_patterns: Vec<(u32, u32)>,
    /// The longest pattern, which bounds how far back a match can start.
    max_len: usize,
}

/// Marks a missing trie edge while the automaton is being built.
const NO_EDGE: u32 = u32::MAX;

impl KeywordDfa {
    /// Builds the automaton. Patterns must be non-empty; they are matched
    /// ignoring ASCII case. A match reports the pattern's index in
    /// `patterns`.
    pub fn new(patterns: &[Vec<u8>]) -> KeywordDfa {
        assert!(patterns.iter().all(|p| !p.is_empty()), "empty keyword");
        let classes = byte_classes(patterns);
        let class_count = classes.iter().map(|&c| c as usize).max().unwrap_or(0) + 1;
        // A power of two, so the padded first match id below is one too.
        let stride = class_count.next_power_of_two();

        // The trie, in a dense table whose missing edges are NO_EDGE.
        // Reserved up front: growing by doubling would copy and page-fault
        // the table several times over.
        let most_states = 1 + patterns.iter().map(Vec::len).sum::<usize>();
        let mut table = Vec::with_capacity(most_states * stride);
        table.extend(std::iter::repeat_n(NO_EDGE, stride));
        let mut direct: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, pattern) in patterns.iter().enumerate() {
            let mut state = 0usize;
            for &byte in pattern {
                let slot = state * stride + classes[byte as usize] as usize;
                if table[slot] == NO_EDGE {
                    let new = direct.len();
                    table[slot] = new as u32;
                    table.extend(std::iter::repeat_n(NO_EDGE, stride));
                    direct.push(Vec::new());
                }
                state = table[slot] as usize;
            }
            direct[state].push(id as u32);
        }

        // Breadth-first: every missing edge takes its failure state's edge,
        // and every state inherits the outputs of its failure state, so the
        // table becomes a complete DFA reporting overlapping matches.
        let states = direct.len();
        let mut failure = vec![0u32; states];
        let mut outputs = direct;
        let mut order = Vec::with_capacity(states);
        for edge in &mut table[..stride] {
            match *edge {
                NO_EDGE => *edge = 0,
                child => order.push(child),
            }
        }
        let mut next = 0;
        while next < order.len() {
            let state = order[next] as usize;
            next += 1;
            for class in 0..stride {
                let slot = state * stride + class;
                let fallback = table[failure[state] as usize * stride + class];
                match table[slot] {
                    NO_EDGE => table[slot] = fallback,
                    child => {
                        // The root is not in `order`, so `fallback` is a
                        // proper suffix state, never the child itself.
                        failure[child as usize] = fallback;
                        let inherited = outputs[fallback as usize].clone();
                        outputs[child as usize].extend(inherited);
                        order.push(child);
                    }
                }
            }
        }

        // Renumber: states without output first (the root stays 0), then
        // unused rows up to a power of two, then match states, and
        // premultiply by the stride. The padding makes the first match id
        // a power of two, so "is any of these states a match" is whether
        // their OR reaches it; its rows cost memory (up to the table's size
        // again) but are never read. Rows move in place, following the
        // permutation's cycles, so the table is not copied.
        let no_output: Vec<usize> = (0..states).filter(|&s| outputs[s].is_empty()).collect();
        let with_output: Vec<usize> = (0..states).filter(|&s| !outputs[s].is_empty()).collect();
        let first_match = no_output.len().next_power_of_two();
        let rows = first_match + with_output.len();
        // Old row ids: the states, then the padding rows (ids from
        // `states`), which fill the gap before the first match.
        let mut position = vec![0usize; rows];
        for (new, &old) in no_output.iter().enumerate() {
            position[old] = new;
        }
        for (new, old) in (no_output.len()..first_match).zip(states..) {
            position[old] = new;
        }
        for (offset, &old) in with_output.iter().enumerate() {
            position[old] = first_match + offset;
        }
        // Every entry names a state (no edge is missing any more), so after
        // this every entry starts a row of the final table: the unchecked
        // search loop relies on it.
        for entry in table.iter_mut() {
            *entry = (position[*entry as usize] * stride) as u32;
        }
        assert!(position.iter().all(|&new| new < rows));
        // Padding rows are all zeros: edges to the root, never taken.
        table.resize(rows * stride, 0);
        permute_rows(&mut table, stride, &position);
        let mut ranges = Vec::with_capacity(with_output.len());
        let mut output_patterns = Vec::new();
        for &old in &with_output {
            let begin = output_patterns.len() as u32;
            output_patterns.extend(
                outputs[old]
                    .iter()
                    .map(|&id| (id, patterns[id as usize].len() as u32)),
            );
            ranges.push((begin, output_patterns.len() as u32));
        }

        // A class indexes within a row: the search loop relies on it too.
        assert!(class_count <= stride);
        debug_assert!(table.iter().all(|&entry| {
            (entry as usize).is_multiple_of(stride) && entry as usize + stride <= table.len()
        }));
        KeywordDfa {
            classes,
            table,
            first_match: (first_match * stride) as u32,
            stride_shift: stride.trailing_zeros(),
            outputs: ranges,
            output_patterns,
            max_len: patterns.iter().map(Vec::len).max().unwrap_or(0),
        }
    }

    /// The length of the longest pattern.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every
    /// pattern in `haystack`, overlapping ones included, in no fixed order.
    pub fn for_each_match(&self, haystack: &[u8], mut found: impl FnMut(u32, usize, usize)) {
        self.search(haystack, &mut found);
    }

    /// `for_each_match` compiled once, not into every caller: in
    /// alternating runs of the engine bench the inlined form was slower,
    /// and matches are rare enough that calling `found` indirectly is free.
    #[inline(never)]
    fn search(&self, haystack: &[u8], found: &mut dyn FnMut(u32, usize, usize)) {
        // Each stream warms up over the `max_len - 1` bytes before its
        // segment, which must lie in the segment before it.
        if haystack.len() < INTERLEAVE_FROM.max(STREAMS * self.max_len) {
            self.walk(0, haystack, 0, found);
            return;
        }
        // Stream k owns the matches that end inside its segment. It starts
        // `max_len - 1` bytes early, without reporting, so a match that
        // began in the previous segment is still seen whole.
        let segment = haystack.len() / STREAMS;
        let starts: [usize; STREAMS] = std::array::from_fn(|k| k * segment);
        // The warm-ups go in lockstep too: one after the other, their
        // chains of loads took about 3% of the engine bench (16 KiB files).
        let warm = self.max_len - 1;
        let mut states = [0u32; STREAMS];
        for j in starts[1] - warm..starts[1] {
            for k in 1..STREAMS {
                states[k] = self.next(states[k], haystack[j + (k - 1) * segment]);
            }
        }
        let mut at = 0;
        while at < segment {
            at = self.run_streams(haystack, segment, at, &mut states);
            if at < segment {
                // Byte `at` of some lane ended a match.
                for (k, &state) in states.iter().enumerate() {
                    if state >= self.first_match {
                        self.report(state, starts[k] + at + 1, found);
                    }
                }
                at += 1;
            }
        }
        // The last segment also owns the bytes the division left over.
        let tail = STREAMS * segment;
        self.walk(states[STREAMS - 1], &haystack[tail..], tail, found);
    }

    /// Steps the streams (lane k is `haystack[k * segment..][..segment]`,
    /// in state `states[k]`, a state of this automaton) over byte `at` of
    /// every lane, then the next, until a stream enters a match state, and
    /// returns the byte that took it there, or `segment` if none did.
    ///
    /// The hot loop of every scan, kept apart from the reporting so that it
    /// has the registers to itself: inlined into the engine's scan it kept
    /// its lane pointers and its counter on the stack, reloading them
    /// every step.
    #[inline(never)]
    fn run_streams(
        &self,
        haystack: &[u8],
        segment: usize,
        at: usize,
        states: &mut [u32; STREAMS],
    ) -> usize {
        assert!(at <= segment && STREAMS * segment <= haystack.len());
        // As `usize`, which spares a widening per step.
        let [mut s0, mut s1, mut s2, mut s3, mut s4] = states.map(|state| state as usize);
        let table = self.table.as_ptr();
        let classes = self.classes.as_ptr();
        let first_match = self.first_match as usize;
        // A pointer into lane 0 and the distances to the others (the
        // segment length, scaled by 1, 2 and 4 in the addressing, and three
        // times it), rather than a pointer per lane and a counter: so every
        // value the loop holds stays in a register.
        let lanes = haystack.as_ptr();
        let three = 3 * segment;
        // SAFETY: `at <= segment <= haystack.len()` (asserted above).
        let (mut byte, end) = unsafe { (lanes.add(at), lanes.add(segment)) };
        while byte < end {
            // SAFETY: `byte` is in lane 0, before `end`, so the bytes one
            // to four times `segment` further on are in lanes 1 to 4, in
            // bounds as `STREAMS * segment <= len` (asserted above). A
            // state is an entry of `table` (or 0), so the start of a row
            // inside `table`, and a class is below the row length: `new`
            // makes sure of both. Checked indexing cost an eighth of the
            // throughput here (the checks, and the registers they hold).
            unsafe {
                let b0 = *byte;
                let b1 = *byte.add(segment);
                let b2 = *byte.add(2 * segment);
                let b3 = *byte.add(three);
                let b4 = *byte.add(4 * segment);
                // Each byte's column first, then the state's row in it: the
                // column does not depend on the state, so it is ready early
                // and the chain from state to state is one load (an add
                // and a load when written `table[state + class]`, which
                // took an eighth longer in the few-keywords engine bench).
                let c0 = table.add(*classes.add(b0 as usize) as usize);
                let c1 = table.add(*classes.add(b1 as usize) as usize);
                let c2 = table.add(*classes.add(b2 as usize) as usize);
                let c3 = table.add(*classes.add(b3 as usize) as usize);
                let c4 = table.add(*classes.add(b4 as usize) as usize);
                s0 = *c0.add(s0) as usize;
                s1 = *c1.add(s1) as usize;
                s2 = *c2.add(s2) as usize;
                s3 = *c3.add(s3) as usize;
                s4 = *c4.add(s4) as usize;
            }
            // One predictable branch for all five in the common case: a
            // match state has the bit of `first_match` or a higher one, and
            // no other state has.
            if (s0 | s1 | s2 | s3 | s4) >= first_match {
                break;
            }
            // SAFETY: still at most `end`, inside or one past lane 0.
            byte = unsafe { byte.add(1) };
        }
        // SAFETY: both point into `haystack`, `byte` not before `lanes`.
        let at = unsafe { byte.offset_from(lanes) } as usize;
        *states = [s0, s1, s2, s3, s4].map(|state| state as u32);
        at
    }

    /// The state after `byte` from `state`.
    #[inline]
    fn next(&self, state: u32, byte: u8) -> u32 {
        self.table[state as usize + self.classes[byte as usize] as usize]
    }

    /// Runs the automaton over `bytes`, which sit at `offset` in the
    /// haystack, reporting every match; returns the final state.
    fn walk(
        &self,
        mut state: u32,
        bytes: &[u8],
        offset: usize,
        found: &mut dyn FnMut(u32, usize, usize),
    ) -> u32 {
        for (i, &byte) in bytes.iter().enumerate() {
            state = self.next(state, byte);
            if state >= self.first_match {
                self.report(state, offset + i + 1, found);
            }
        }
        state
    }

    #[inline]
    fn report(&self, state: u32, end: usize, found: &mut dyn FnMut(u32, usize, usize)) {
        let index = ((state - self.first_match) >> self.stride_shift) as usize;
        let (begin, finish) = self.outputs[index];
        for &(pattern, len) in &self.output_patterns[begin as usize..finish as usize] {
            found(pattern, end - len as usize, end);
        }
    }
}

/// Moves row `r` of `table` (rows of `stride` entries) to row
/// `position[r]`, for a permutation `position`.
fn permute_rows(table: &mut [u32], stride: usize, position: &[usize]) {
    let mut placed = vec![false; position.len()];
    let mut carried = vec![0u32; stride];
    for start in 0..position.len() {
        if placed[start] || position[start] == start {
            continue;
        }
        // Walk the cycle start -> position[start] -> ..., carrying the row
        // that is displaced at each step.
        carried.copy_from_slice(&table[start * stride..(start + 1) * stride]);
        let mut at = start;
        loop {
            let to = position[at];
            let row = &mut table[to * stride..(to + 1) * stride];
            row.swap_with_slice(&mut carried);
            placed[at] = true;
            at = to;
            if at == start {
                break;
            }
        }
    }
}

/// Classes for the bytes the (lowercased) patterns contain, numbered from
/// 1 in byte order; every other byte is class 0, and an uppercase ASCII
/// letter takes its lowercase letter's class.
fn byte_classes(patterns: &[Vec<u8>]) -> [u8; 256] {
    let mut used = [false; 256];
    for pattern in patterns {
        for &byte in pattern {
            used[byte.to_ascii_lowercase() as usize] = true;
        }
    }
    let mut classes = [0u8; 256];
    let mut next = 1u16;
    for byte in 0..256usize {
        if used[byte] {
            // At most 256 - 26 bytes can be used once uppercase folds away,
            // so the class always fits a byte.
            classes[byte] = next as u8;
            next += 1;
        }
    }
    for byte in b'A'..=b'Z' {
        classes[byte as usize] = classes[byte.to_ascii_lowercase() as usize];
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occurrence by brute force: the reference the DFA must equal.
    fn naive(patterns: &[Vec<u8>], haystack: &[u8]) -> Vec<(u32, usize, usize)> {
        let mut all = Vec::new();
        for (id, pattern) in patterns.iter().enumerate() {
            for start in 0..haystack.len() {
                let end = start + pattern.len();
                if end <= haystack.len() && haystack[start..end].eq_ignore_ascii_case(pattern) {
                    all.push((id as u32, start, end));
                }
            }
        }
        all.sort_unstable();
        all
    }

    fn dfa_matches(dfa: &KeywordDfa, haystack: &[u8]) -> Vec<(u32, usize, usize)> {
        let mut all = Vec::new();
        dfa.for_each_match(haystack, |p, s, e| all.push((p, s, e)));
        all.sort_unstable();
        all
    }

    fn patterns(words: &[&str]) -> Vec<Vec<u8>> {
        words
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .collect()
    }

    #[test]
    fn finds_overlapping_and_nested_keywords_ignoring_case() {
        let words = patterns(&["he", "she", "his", "hers", "secret_key", "key", "ghp_"]);
        let dfa = KeywordDfa::new(&words);
        let text = b"USHERS: SECRET_KEY=ghp_abc; Key his";
        assert_eq!(dfa_matches(&dfa, text), naive(&words, text));
        assert!(dfa_matches(&dfa, text).len() >= 8);
    }

    #[test]
    fn matches_across_stream_boundaries_are_found_once() {
        let words = patterns(&["password", "aws_secret_access_key", "x", "-----begin"]);
        let dfa = KeywordDfa::new(&words);
        // Long enough to interleave; as the length grows by one byte at a
        // time the segment cuts move, so keywords straddle them at every
        // offset.
        let mut text = Vec::new();
        let mut i = 0u32;
        while text.len() < 8 * 1024 + 48 {
            text.extend_from_slice(b"lorem ");
            text.extend(std::iter::repeat_n(b'.', (i % 23) as usize));
            text.extend_from_slice(if i.is_multiple_of(2) {
                b"PassWord"
            } else {
                b"AWS_SECRET_ACCESS_KEY-----BEGIN"
            });
            i += 1;
        }
        for len in 8 * 1024..8 * 1024 + 48 {
            let text = &text[..len];
            assert_eq!(dfa_matches(&dfa, text), naive(&words, text), "{len} bytes");
        }
    }

    /// A keyword longer than a segment would be: the streams' warm-ups
    /// could not reach its start, so such inputs are walked whole.
    #[test]
    fn keywords_longer_than_a_segment_are_found() {
        let long = "k".repeat(300);
        let words = patterns(&[long.as_str(), "kk"]);
        let dfa = KeywordDfa::new(&words);
        let mut text = vec![b'.'; 1000];
        text[150..450].fill(b'K');
        assert_eq!(dfa_matches(&dfa, &text), naive(&words, &text));
        assert!(dfa_matches(&dfa, &text).iter().any(|&(id, _, _)| id == 0));
    }

    #[test]
    fn bytes_outside_every_keyword_and_high_bytes_are_handled() {
        let words = patterns(&["\u{e9}t\u{e9}", "a\x00b", "Q~"]);
        let dfa = KeywordDfa::new(&words);
        let text = "x\u{e9}t\u{e9} a\0b q~ Q~ \u{c9}T\u{c9}".as_bytes();
        assert_eq!(dfa_matches(&dfa, text), naive(&words, text));
    }

    proptest::proptest! {
        /// Random keywords over a small alphabet (so they overlap, nest and
        /// share prefixes) against random text, short and interleaved.
        #[test]
        fn equals_brute_force(
            words in proptest::collection::vec("[abAB_~]{1,6}", 1..12),
            text in "[abAB_~ x]{0,64}",
            repeats in 1usize..200,
        ) {
            let words = patterns(&words.iter().map(String::as_str).collect::<Vec<_>>());
            let dfa = KeywordDfa::new(&words);
            let text = text.repeat(repeats);
            let expected = naive(&words, text.as_bytes());
            proptest::prop_assert_eq!(dfa_matches(&dfa, text.as_bytes()), expected);
        }
    }
}
