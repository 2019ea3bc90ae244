//! Secrets that appear only encoded: runs of base64 (standard or URL-safe),
//! hex and percent-encoding are decoded and scanned again, to a bounded
//! depth and a bounded cost. A detection inside decoded text is reported at
//! the encoded run's place in the original, with the chain of encodings.

use super::base64_mask;
use super::checksum::decode_base64_any;
use super::finding::Detection;
use super::location::LineIndex;
use super::{
    Engine, INLINE_ALLOW_MARKERS, Place, Scratch, Windows, bounded_lines, context_line, focus,
};
use serde::Serialize;

/// An encoding a secret was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Base64,
    Hex,
    Percent,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
        }
    }
}

/// How deep decoding goes by default: base64 inside base64 is common
/// (a Kubernetes Secret holding a base64 docker config), deeper is not.
pub const DEFAULT_DEPTH: u8 = 2;

/// The shortest run worth decoding: 20 base64 characters hold 15 bytes,
/// less than any credential leakhound has a rule for.
const MIN_BASE64_RUN: usize = 20;
/// Hex needs twice the characters of the bytes it holds.
const MIN_HEX_RUN: usize = 32;
/// Runs longer than this (embedded images, fonts, archives) are not
/// decoded: a secret is never megabytes long, and the cost must stay bounded.
const MAX_RUN: usize = 256 * 1024;
/// Total decoded bytes per blob and depth, so a file made of base64 costs
/// at most a constant factor more than any other file.
pub(super) const MAX_DECODED_PER_BLOB: usize = 8 * 1024 * 1024;

const BASE64: u8 = 1;
const HEX: u8 = 2;
const URL_CHAR: u8 = 4;

/// Byte classes: what a byte may be part of.
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'-' || c == b'_' {
            class |= BASE64;
        }
        if c.is_ascii_hexdigit() {
            class |= HEX;
        }
        if c.is_ascii_alphanumeric() || matches!(c, b'%' | b'.' | b'_' | b'~' | b'-' | b'+') {
            class |= URL_CHAR;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// An encoded run in a blob and what it decodes to.
pub(super) struct DecodedRun {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) encoding: Encoding,
    bytes: Vec<u8>,
}

impl DecodedRun {
    /// How many bytes the run decodes to.
    pub(super) fn decoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The same run `by` bytes later (found in a slice of the input).
    pub(super) fn shifted(mut self, by: usize) -> DecodedRun {
        self.start += by;
        self.end += by;
        self
    }
}

impl Engine {
    /// Adds to `detections` what the encoded runs of `input` hide, `depth`
    /// levels deep.
    pub(super) fn scan_encoded(
        &self,
        input: &[u8],
        place: Place,
        depth: u8,
        detections: &mut Vec<Detection>,
    ) {
        let found = self.decoded_detections(input, place, depth, None);
        self.add_decoded(detections, found);
    }

    /// Adds detections found in decoded text to the direct ones. Generic
    /// matches of the encoded text itself are dropped where the decoded
    /// text gave a finding: the decoded one says more.
    pub(super) fn add_decoded(&self, detections: &mut Vec<Detection>, found: Vec<Detection>) {
        if found.is_empty() {
            return;
        }
        detections.retain(|direct| {
            !self.rules.rules[direct.rule].is_generic()
                || !found
                    .iter()
                    .any(|d| d.start < direct.end && direct.start < d.end)
        });
        detections.extend(found);
        detections.sort_by_key(|d| (d.start, d.end, d.rule));
    }

    /// Detections inside the decoded runs of `input` (those that touch
    /// `reach`, when given), positioned on the runs.
    pub(super) fn decoded_detections(
        &self,
        input: &[u8],
        place: Place,
        depth: u8,
        reach: Option<&focus::Ranges>,
    ) -> Vec<Detection> {
        let (mut runs, _) = encoded_runs(input);
        if let Some(reach) = reach {
            runs.retain(|run| focus::touches(reach, run.start, run.end));
        }
        self.runs_detections(input, place, depth, &runs)
    }

    /// What the encoded `runs` of `input` hide, positioned on the runs.
    pub(super) fn runs_detections(
        &self,
        input: &[u8],
        place: Place,
        depth: u8,
        runs: &[DecodedRun],
    ) -> Vec<Detection> {
        let mut lines = LineIndex::new(input);
        let mut found = Vec::new();
        for run in runs {
            found.extend(self.run_detections(input, place, depth, run, &mut lines));
        }
        found
    }

    /// What one encoded run of `input` hides, positioned on the run.
    pub(super) fn run_detections(
        &self,
        input: &[u8],
        place: Place,
        depth: u8,
        run: &DecodedRun,
        lines: &mut LineIndex,
    ) -> Vec<Detection> {
        let (first, last) = bounded_lines(input, run.start, run.end);
        if INLINE_ALLOW_MARKERS
            .iter()
            .any(|marker| memchr::memmem::find(&input[first..last], marker).is_some())
        {
            return Vec::new();
        }
        let mut scratch = Scratch::default();
        let mut inner = self.scan_at(self.mode, &run.bytes, place, Windows::All, &mut scratch);
        if depth > 1 {
            self.scan_encoded(&run.bytes, place, depth - 1, &mut inner);
        }
        if inner.is_empty() {
            return inner;
        }
        let begin = lines.position(run.start);
        let finish = lines.position(run.end);
        let line_text = line_with_run_hidden(input, run);
        for detection in &mut inner {
            detection.start = run.start;
            detection.end = run.end;
            detection.line = begin.line;
            detection.column = begin.column;
            detection.end_line = finish.line;
            detection.end_column = finish.column;
            detection.line_text = line_text.clone();
            detection.encodings.insert(0, run.encoding);
        }
        inner
    }
}

/// The context line of a run with the encoded text replaced by a label:
/// reports mask or redact the decoded secret, and would miss its encoding.
fn line_with_run_hidden(input: &[u8], run: &DecodedRun) -> String {
    let (first, last) = bounded_lines(input, run.start, run.start);
    let label = format!("[{} chars of {}]", run.end - run.start, run.encoding.name());
    let mut line = input[first..run.start].to_vec();
    line.extend(label.as_bytes());
    line.extend(&input[run.end.min(last)..last]);
    let label_start = run.start - first;
    context_line(&line, label_start, label_start + label.len())
}

/// Every run of `input` that decodes to text, within the cost bounds, and
/// whether the bound on decoded bytes cut the search short.
pub(super) fn encoded_runs(input: &[u8]) -> (Vec<DecodedRun>, bool) {
    let mut runs = Vec::new();
    let mut budget = MAX_DECODED_PER_BLOB;
    base64_stretches(input, |start, run_end| {
        let length = run_end - start;
        if length > MAX_RUN {
            return true;
        }
        let all_hex = input[start..run_end]
            .iter()
            .all(|&b| CLASSES[b as usize] & HEX != 0);
        let mut end = run_end;
        while end < input.len() && end - run_end < 2 && input[end] == b'=' {
            end += 1;
        }
        let run = &input[start..run_end];
        // Most runs are identifiers, hashes or binary data; the first 16
        // characters tell, without decoding the rest or allocating.
        let decoded = if all_hex {
            (length >= MIN_HEX_RUN && length.is_multiple_of(2) && hex_head_is_text(run))
                .then(|| decode_hex(run))
                .map(|bytes| (Encoding::Hex, bytes))
        } else {
            base64_head_is_text(run)
                .then(|| decode_base64_any(&input[start..end]))
                .flatten()
                .map(|bytes| (Encoding::Base64, bytes))
        };
        if let Some((encoding, bytes)) = decoded
            && looks_like_text(&bytes)
        {
            budget = budget.saturating_sub(bytes.len());
            runs.push(DecodedRun {
                start,
                end: if encoding == Encoding::Base64 {
                    end
                } else {
                    run_end
                },
                encoding,
                bytes,
            });
        }
        budget > 0
    });
    if memchr::memchr(b'%', input).is_some() {
        percent_runs(input, &mut runs);
        runs.sort_by_key(|r| r.start);
    }
    (runs, budget == 0)
}

/// Calls `each(start, end)` for every maximal stretch of base64 characters
/// (either alphabet) at least MIN_BASE64_RUN long, in order, until it
/// returns false.
fn base64_stretches(input: &[u8], each: impl FnMut(usize, usize) -> bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { base64_stretches_avx2(input, each) };
    }
    stretches_by(input, each, base64_mask::portable)
}

/// [`stretches_by`] compiled for AVX2, so that the mask, and `each`, are
/// inlined into its loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn base64_stretches_avx2(input: &[u8], each: impl FnMut(usize, usize) -> bool) {
    // The closure inherits this function's AVX2, so it may call `avx2`.
    stretches_by(input, each, |chunk| base64_mask::avx2(chunk))
}

/// [`base64_stretches`] with `mask` telling which bytes of a 64-byte chunk
/// are base64.
///
/// Source text is mostly short identifiers between punctuation, so the
/// search works on 64 bytes at a time: a bit mask of which bytes are base64,
/// then mask shifts that mark every position starting MIN_BASE64_RUN base64
/// bytes in a row. A chunk without one, and without a run carried into it,
/// is passed over whole.
#[inline(always)]
fn stretches_by(
    input: &[u8],
    mut each: impl FnMut(usize, usize) -> bool,
    mask: impl Fn(&[u8; 64]) -> u64,
) {
    const CHUNK: usize = 64;
    let mask_at = |at: usize| -> u64 {
        if let Some(chunk) = input.get(at..at + CHUNK) {
            return mask(chunk.try_into().expect("CHUNK bytes"));
        }
        // The last, short chunk, padded with bytes that are not base64.
        let mut chunk = [0u8; CHUNK];
        let bytes = input.get(at..).unwrap_or_default();
        chunk[..bytes.len()].copy_from_slice(bytes);
        mask(&chunk)
    };
    // A run that started in an earlier chunk and has not ended yet.
    let mut open: Option<usize> = None;
    let mut next = mask_at(0);
    let mut at = 0;
    while at < input.len() {
        let mask = next;
        next = mask_at(at + CHUNK);
        // Bit i: the MIN_BASE64_RUN bytes from at + i are all base64 (the
        // next chunk's mask supplies those past this chunk).
        let window = u128::from(mask) | (u128::from(next) << CHUNK);
        let starts = run_starts(window) as u64;
        // Bits below `from` are settled: inside or before a reported run.
        let mut from = 0;
        if let Some(start) = open {
            let ones = mask.trailing_ones() as usize;
            if ones == CHUNK {
                at += CHUNK;
                continue;
            }
            open = None;
            if !each(start, at + ones) {
                return;
            }
            from = ones + 1;
        }
        loop {
            let pending = if from < CHUNK { starts >> from } else { 0 };
            if pending == 0 {
                break;
            }
            let begin = from + pending.trailing_zeros() as usize;
            let run = (!mask) >> begin;
            if run == 0 {
                open = Some(at + begin);
                break;
            }
            let end = begin + run.trailing_zeros() as usize;
            if !each(at + begin, at + end) {
                return;
            }
            from = end + 1;
        }
        at += CHUNK;
    }
    if let Some(start) = open {
        each(start, input.len());
    }
}

/// Bit i set where bits i..i+MIN_BASE64_RUN of `mask` are all set.
fn run_starts(mask: u128) -> u128 {
    const _: () = assert!(MIN_BASE64_RUN == 20, "the shifts below make 20");
    let two = mask & (mask >> 1);
    let four = two & (two >> 2);
    let eight = four & (four >> 4);
    let sixteen = eight & (eight >> 8);
    sixteen & (four >> 16)
}

/// Runs of URL characters holding at least one `%XX` escape of a byte that
/// matters in a secret (anything but a plain letter or digit), decoded.
fn percent_runs(input: &[u8], runs: &mut Vec<DecodedRun>) {
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'%', &input[at..]) {
        let percent = at + offset;
        let mut start = percent;
        while start > 0 && CLASSES[input[start - 1] as usize] & URL_CHAR != 0 {
            start -= 1;
        }
        let mut end = percent;
        while end < input.len() && CLASSES[input[end] as usize] & URL_CHAR != 0 {
            end += 1;
        }
        at = end.max(percent + 1);
        if end - start < 16 || end - start > MAX_RUN {
            continue;
        }
        let bytes = decode_percent(&input[start..end]);
        if bytes.len() < end - start && looks_like_text(&bytes) {
            runs.push(DecodedRun {
                start,
                end,
                encoding: Encoding::Percent,
                bytes,
            });
        }
    }
}

/// Whether the first 16 characters of a hex run decode to printable bytes.
fn hex_head_is_text(run: &[u8]) -> bool {
    run[..16]
        .chunks_exact(2)
        .all(|pair| is_printable(&((hex_value(pair[0]) << 4) | hex_value(pair[1]))))
}

/// Whether the first 16 characters of a base64 run (12 bytes) decode to
/// printable bytes. Either alphabet's characters are accepted here; the
/// full decode that follows holds a run to one alphabet.
fn base64_head_is_text(run: &[u8]) -> bool {
    let mut bits = 0u32;
    let mut pending = 0;
    for &c in &run[..16] {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return false,
        };
        bits = (bits << 6) | u32::from(value);
        pending += 6;
        if pending >= 8 {
            pending -= 8;
            if !is_printable(&((bits >> pending) as u8)) {
                return false;
            }
        }
    }
    true
}

fn decode_hex(text: &[u8]) -> Vec<u8> {
    text.chunks_exact(2)
        .map(|pair| (hex_value(pair[0]) << 4) | hex_value(pair[1]))
        .collect()
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as is.
fn decode_percent(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%'
            && i + 2 < text.len()
            && text[i + 1].is_ascii_hexdigit()
            && text[i + 2].is_ascii_hexdigit()
        {
            out.push((hex_value(text[i + 1]) << 4) | hex_value(text[i + 2]));
            i += 3;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Whether decoded bytes are text worth scanning: long enough and nearly
/// all printable ASCII or whitespace. Binary (images, ciphertext, hashes)
/// fails within its first bytes.
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.len() < 8 || !bytes.iter().take(16).all(is_printable) {
        return false;
    }
    let count = bytes.iter().filter(|b| is_printable(b)).count();
    count * 100 >= bytes.len() * 97
}

fn is_printable(byte: &u8) -> bool {
    matches!(byte, 0x20..=0x7e | b'\t' | b'\n' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn finds_base64_and_hex_runs_that_decode_to_text() {
        let secret = "token=tok_Zq3nR8vT1xY6wB0m"; // leakhound:allow
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        let input = format!("a: {b64}\nb: {hex}\n");
        let (runs, _) = encoded_runs(input.as_bytes());
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].encoding, Encoding::Base64);
        assert_eq!(runs[0].bytes, secret.as_bytes());
        assert_eq!(&input[runs[0].start..runs[0].end], b64);
        assert_eq!(runs[1].encoding, Encoding::Hex);
        assert_eq!(runs[1].bytes, secret.as_bytes());
    }

    #[test]
    fn binary_and_short_runs_are_not_decoded() {
        let binary = base64::engine::general_purpose::STANDARD.encode([
            0u8, 159, 146, 150, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        ]);
        let sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let input = format!("{binary} {sha256} c2hvcnQ= getElementsByClassNameAndTag");
        assert!(encoded_runs(input.as_bytes()).0.is_empty());
    }

    #[test]
    fn percent_runs_decode_escapes() {
        let input = b"url: https://h/?key=tok_Zq3nR8vT%2B1xY6wB0m&x=1";
        let mut runs = Vec::new();
        percent_runs(input, &mut runs);
        assert_eq!(runs.len(), 1);
        assert!(String::from_utf8_lossy(&runs[0].bytes).contains("tok_Zq3nR8vT+1xY6wB0m"));
    }

    /// Maximal stretches of base64 characters at least MIN_BASE64_RUN long,
    /// byte by byte: the reference for `base64_stretches`.
    fn naive_stretches(input: &[u8]) -> Vec<(usize, usize)> {
        let is_base64 = |b: &u8| CLASSES[*b as usize] & BASE64 != 0;
        let mut found = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let len = input[at..].iter().take_while(|b| is_base64(b)).count();
            if len >= MIN_BASE64_RUN {
                found.push((at, at + len));
            }
            at += len.max(1);
        }
        found
    }

    fn stretches(input: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        base64_stretches(input, |start, end| {
            found.push((start, end));
            true
        });
        found
    }

    /// Every form of the base64 mask agrees with `CLASSES` on every byte.
    #[test]
    fn base64_mask_agrees_with_the_byte_classes() {
        for mask in base64_mask::forms() {
            for byte in 0..=255u8 {
                let expected = if CLASSES[byte as usize] & BASE64 != 0 {
                    u64::MAX
                } else {
                    0
                };
                assert_eq!(mask(&[byte; 64]), expected, "byte {byte:#04x}");
            }
            let mixed: [u8; 64] = std::array::from_fn(|i| if i % 3 == 0 { b'.' } else { b'Q' });
            let expected = (0..64).filter(|i| i % 3 != 0).fold(0u64, |m, i| m | 1 << i);
            assert_eq!(mask(&mixed), expected);
        }
    }

    #[test]
    fn stretches_across_chunk_ends_and_at_the_input_end() {
        for len in [19, 20, 21, 63, 64, 65, 127, 128, 129, 200] {
            for offset in [0, 1, 30, 44, 45, 63, 64, 100] {
                let mut input = vec![b' '; offset];
                input.extend(std::iter::repeat_n(b'A', len));
                for tail in [0, 1, 70] {
                    let mut input = input.clone();
                    input.extend(std::iter::repeat_n(b'.', tail));
                    assert_eq!(
                        stretches(&input),
                        naive_stretches(&input),
                        "{len} {offset} {tail}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// The allocation-free head checks agree with decoding the head.
        #[test]
        fn head_checks_agree_with_decoding(head in "[A-Za-z0-9+/]{16}|[A-Za-z0-9_-]{16}|[0-9a-f]{16}") {
            let decoded = decode_base64_any(head.as_bytes()).expect("valid base64");
            proptest::prop_assert_eq!(base64_head_is_text(head.as_bytes()), decoded.iter().all(is_printable));
            if head.bytes().all(|b| b.is_ascii_hexdigit()) {
                let bytes = decode_hex(head.as_bytes());
                proptest::prop_assert_eq!(hex_head_is_text(head.as_bytes()), bytes.iter().all(is_printable));
            }
        }

        /// Text encoded either way passes the head checks.
        #[test]
        fn encoded_text_passes_the_head_checks(text in "[ -~]{12}") {
            use base64::engine::general_purpose::{STANDARD, URL_SAFE};
            for encoded in [STANDARD.encode(&text), URL_SAFE.encode(&text)] {
                proptest::prop_assert!(base64_head_is_text(encoded.as_bytes()), "{}", encoded);
            }
            let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            proptest::prop_assert!(hex_head_is_text(hex.as_bytes()), "{}", hex);
        }

        /// Stretches of random lengths among other bytes, found exactly.
        #[test]
        fn stretches_equal_byte_by_byte(
            pieces in proptest::collection::vec(("[A-Za-z0-9+/_-]{0,90}", "[ .=\n\u{e9}]{1,3}"), 0..20)
        ) {
            let input: String = pieces.iter().map(|(run, gap)| format!("{run}{gap}")).collect();
            proptest::prop_assert_eq!(stretches(input.as_bytes()), naive_stretches(input.as_bytes()));
        }

        /// Every base64 run of printable text is found wherever it sits:
        /// the probe-and-skip search must not jump over a run's start.
        #[test]
        fn every_embedded_base64_text_is_found(
            pieces in proptest::collection::vec(
                (proptest::bool::ANY, "[ -~]{15,40}", "[a-z]{0,12}[ ,;:=\"'(]{1,3}"),
                1..12,
            )
        ) {
            let mut input = String::new();
            let mut expected = Vec::new();
            for (encode, text, noise) in &pieces {
                input.push_str(noise);
                if *encode {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                    expected.push((input.len(), text.clone()));
                    input.push_str(&encoded);
                    input.push(' ');
                }
            }
            let (runs, _) = encoded_runs(input.as_bytes());
            for (start, text) in expected {
                proptest::prop_assert!(
                    runs.iter().any(|r| r.start == start && r.bytes == text.as_bytes()),
                    "missed run at {} in {:?}", start, input
                );
            }
        }
    }
}
