//! Shannon entropy of a candidate secret, the cheap test that tells random
//! tokens from words and placeholders.

/// Shannon entropy of `bytes` in bits per byte (0.0 for empty input).
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_text_has_zero_entropy() {
        assert_eq!(shannon_entropy(b"aaaaaaaa"), 0.0);
        assert_eq!(shannon_entropy(b""), 0.0);
    }

    #[test]
    fn two_symbols_equally_often_have_one_bit() {
        assert!((shannon_entropy(b"abababab") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn random_token_scores_higher_than_a_word() {
        let token = shannon_entropy(b"q8Zr2LxP0vWmK7tN4bYcE1sJ");
        let word = shannon_entropy(b"passwordpassword");
        assert!(token > 4.0, "{token}");
        assert!(word < 3.0, "{word}");
    }
}
