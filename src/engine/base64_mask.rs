//! Which of 64 bytes are base64 characters (either alphabet), as a bit
//! mask: a portable form, and an AVX2 form for CPUs that have it.
//!
//! The decoder asks this of every 64 bytes of every blob, so it is the
//! part of decoding that costs per byte. The portable form left to the
//! compiler's baseline x86-64 target came out as some 250 SSE2
//! instructions per 64 bytes; the AVX2 form takes about twenty, which
//! took an eighth off the few-keywords engine bench's time.

/// Bit i set where `chunk[i]` is a base64 character of either alphabet.
pub fn portable(chunk: &[u8; 64]) -> u64 {
    // Written as a plain map so the compiler compares 16 bytes at a time.
    let flags: [u8; 64] = chunk.map(|b| {
        let letter = (b | 0x20).is_ascii_lowercase();
        u8::from(letter | b.is_ascii_digit() | matches!(b, b'+' | b'/' | b'-' | b'_'))
    });
    let mut mask = 0;
    for (i, eight) in flags.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
        // Bytes of 0 or 1: the multiply gathers byte k's bit into bit 56 + k.
        mask |= (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    mask
}

/// The same mask as [`portable`], 32 bytes per step.
///
/// Each byte's low nibble and high nibble look up, in two 16-entry tables,
/// the groups of base64 characters they can belong to; a byte is base64
/// when the two sets meet. The groups, by high nibble:
///
/// | bit | high nibble | low nibbles | characters |
/// |-----|-------------|-------------|------------|
/// | 0   | 2           | B, D, F     | `+ - /`    |
/// | 1   | 3           | 0-9         | digits     |
/// | 2   | 4, 6        | 1-F         | `A-O a-o`  |
/// | 3   | 5, 7        | 0-A         | `P-Z p-z`  |
/// | 4   | 5           | F           | `_`        |
///
/// Bytes from 0x80 have high nibbles 8-F, which belong to no group.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub fn avx2(chunk: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{__m256i, _mm256_loadu_si256};
    let bytes = chunk.as_ptr().cast::<__m256i>();
    // SAFETY: `chunk` is 64 bytes, so both 32-byte loads are in bounds;
    // `loadu` needs no alignment.
    let (low, high) = unsafe { (_mm256_loadu_si256(bytes), _mm256_loadu_si256(bytes.add(1))) };
    u64::from(avx2_half(low)) | (u64::from(avx2_half(high)) << 32)
}

/// Bit i set where byte i of `bytes` is base64; see [`avx2`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_half(bytes: std::arch::x86_64::__m256i) -> u32 {
    use std::arch::x86_64::*;
    #[rustfmt::skip]
    let by_low = _mm256_setr_epi8(
        0x0A, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E,
        0x0E, 0x0E, 0x0C, 0x05, 0x04, 0x05, 0x04, 0x15,
        0x0A, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E, 0x0E,
        0x0E, 0x0E, 0x0C, 0x05, 0x04, 0x05, 0x04, 0x15,
    );
    #[rustfmt::skip]
    let by_high = _mm256_setr_epi8(
        0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0x01, 0x02, 0x04, 0x18, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0,
    );
    let nibble = _mm256_set1_epi8(0x0F);
    let low = _mm256_and_si256(bytes, nibble);
    // A 16-bit shift: the bits it drags in from the next byte are masked off.
    let high = _mm256_and_si256(_mm256_srli_epi16::<4>(bytes), nibble);
    let groups = _mm256_and_si256(
        _mm256_shuffle_epi8(by_low, low),
        _mm256_shuffle_epi8(by_high, high),
    );
    let outside = _mm256_cmpeq_epi8(groups, _mm256_setzero_si256());
    !(_mm256_movemask_epi8(outside) as u32)
}

/// Every form this CPU runs, for tests.
#[cfg(test)]
pub fn forms() -> Vec<fn(&[u8; 64]) -> u64> {
    #[allow(unused_mut)]
    let mut forms: Vec<fn(&[u8; 64]) -> u64> = vec![portable];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        forms.push(|chunk| unsafe { avx2(chunk) });
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every byte value, in every form, is checked against the decoder's
    // byte classes in `decode`'s tests.

    proptest::proptest! {
        /// Bit i follows byte i, wherever in the 64 bytes it sits.
        #[test]
        fn forms_agree_bit_by_bit(chunk in proptest::collection::vec(proptest::num::u8::ANY, 64)) {
            let chunk: [u8; 64] = chunk.try_into().unwrap();
            let expected = (0..64).fold(0u64, |m, i| {
                let byte = chunk[i];
                let base64 = byte.is_ascii_alphanumeric() || b"+/-_".contains(&byte);
                m | (u64::from(base64) << i)
            });
            for mask in forms() {
                proptest::prop_assert_eq!(mask(&chunk), expected);
            }
        }
    }
}
