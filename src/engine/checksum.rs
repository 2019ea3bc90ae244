//! Named validators that a rule selects with `checksum = "..."`: structural
//! checks that turn a plausible-looking token into a certain one.

use base64::Engine as _;

/// A validator selected by name from a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// GitHub and npm tokens: base62 CRC32 of the 30-char payload as the last 6 chars.
    GithubCrc32,
    /// A JSON Web Token whose header is a JSON object naming an `alg`.
    Jwt,
    /// Card-style numbers whose digits pass the Luhn check.
    Luhn,
}

impl Checksum {
    pub const NAMES: [&'static str; 3] = ["github-crc32", "jwt", "luhn"];

    pub fn from_name(name: &str) -> Option<Checksum> {
        match name {
            "github-crc32" => Some(Checksum::GithubCrc32),
            "jwt" => Some(Checksum::Jwt),
            "luhn" => Some(Checksum::Luhn),
            _ => None,
        }
    }

    pub fn validate(self, secret: &[u8]) -> bool {
        match self {
            Checksum::GithubCrc32 => github_crc32(secret),
            Checksum::Jwt => jwt(secret),
            Checksum::Luhn => luhn(secret),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Base62 of `value`, most significant digit first, left-padded with '0' to `width`.
pub fn base62(mut value: u32, width: usize) -> Vec<u8> {
    let mut digits = Vec::with_capacity(width);
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    digits
}

/// Tokens of the form `prefix_` + 30 base62 chars + 6-char base62 CRC32 of those 30.
fn github_crc32(token: &[u8]) -> bool {
    let Some(underscore) = memchr::memrchr(b'_', token) else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (payload, check) = body.split_at(30);
    base62(crc32fast::hash(payload), 6) == check
}

fn jwt(token: &[u8]) -> bool {
    let mut segments = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return false;
    };
    let decode = |segment: &[u8]| -> Option<serde_json::Value> {
        let trimmed: Vec<u8> = segment.iter().copied().filter(|&b| b != b'=').collect();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(trimmed)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let Some(header) = decode(header) else {
        return false;
    };
    header.get("alg").is_some_and(|alg| alg.is_string())
        && decode(payload).is_some_and(|p| p.is_object())
}

fn luhn(number: &[u8]) -> bool {
    let digits: Vec<u32> = number
        .iter()
        .filter(|b| !matches!(b, b' ' | b'-'))
        .map(|&b| (b as char).to_digit(10))
        .collect::<Option<_>>()
        .unwrap_or_default();
    if digits.len() < 12 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_token(prefix: &str, payload: &str) -> String {
        let check = base62(crc32fast::hash(payload.as_bytes()), 6);
        format!("{prefix}{payload}{}", String::from_utf8(check).unwrap())
    }

    #[test]
    fn github_token_with_its_checksum_passes() {
        let token = github_token("ghp_", "Zq3nR8vT1xY6wB0mK4pL7sD2fH9jA5");
        assert!(Checksum::GithubCrc32.validate(token.as_bytes()));
        let npm = github_token("npm_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5");
        assert!(Checksum::GithubCrc32.validate(npm.as_bytes()));
    }

    #[test]
    fn github_token_with_a_changed_character_fails() {
        let mut token = github_token("ghp_", "Zq3nR8vT1xY6wB0mK4pL7sD2fH9jA5").into_bytes();
        token[10] = if token[10] == b'a' { b'b' } else { b'a' };
        assert!(!Checksum::GithubCrc32.validate(&token));
        assert!(!Checksum::GithubCrc32.validate(b"ghp_short"));
    }

    #[test]
    fn base62_pads_to_width() {
        assert_eq!(base62(0, 6), b"000000");
        assert_eq!(base62(61, 6), b"00000z");
        assert_eq!(base62(62, 6), b"000010");
    }

    #[test]
    fn jwt_needs_a_json_header_with_alg() {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"42"}"#);
        let token = format!("{header}.{payload}.c2lnbmF0dXJl");
        assert!(Checksum::Jwt.validate(token.as_bytes()));
        let no_alg = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT"}"#);
        assert!(!Checksum::Jwt.validate(format!("{no_alg}.{payload}.sig").as_bytes()));
        assert!(!Checksum::Jwt.validate(b"eyJhbGciOi.bm90anNvbg.sig"));
    }

    #[test]
    fn luhn_accepts_valid_card_numbers_only() {
        assert!(Checksum::Luhn.validate(b"4111 1111 1111 1111"));
        assert!(!Checksum::Luhn.validate(b"4111 1111 1111 1112"));
    }
}
