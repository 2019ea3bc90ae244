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
    /// A PEM private key whose body decodes and parses as a key (DER
    /// structure, or the OpenSSH key container).
    PemPrivateKey,
    /// An age secret key: `AGE-SECRET-KEY-1` + bech32 data with a valid checksum.
    AgeBech32,
    /// An AWS access key id: known 4-letter prefix + 16 base32 characters
    /// that decode to a 12-digit account number.
    AwsKeyId,
    /// A PyPI API token: `pypi-` + a base64url macaroon (version 2) whose
    /// location is pypi.org or test.pypi.org.
    PypiMacaroon,
    /// An HTTP Basic credential: base64 of `user:password`, printable.
    BasicAuth,
    /// A Sentry organization token: `sntrys_` + base64 JSON claims + `_` + secret.
    SentryOrgToken,
}

impl Checksum {
    pub const NAMES: [&'static str; 9] = [
        "github-crc32",
        "jwt",
        "luhn",
        "pem-private-key",
        "age-bech32",
        "aws-key-id",
        "pypi-macaroon",
        "basic-auth",
        "sentry-org-token",
    ];

    pub fn from_name(name: &str) -> Option<Checksum> {
        match name {
            "github-crc32" => Some(Checksum::GithubCrc32),
            "jwt" => Some(Checksum::Jwt),
            "luhn" => Some(Checksum::Luhn),
            "pem-private-key" => Some(Checksum::PemPrivateKey),
            "age-bech32" => Some(Checksum::AgeBech32),
            "aws-key-id" => Some(Checksum::AwsKeyId),
            "pypi-macaroon" => Some(Checksum::PypiMacaroon),
            "basic-auth" => Some(Checksum::BasicAuth),
            "sentry-org-token" => Some(Checksum::SentryOrgToken),
            _ => None,
        }
    }

    pub fn validate(self, secret: &[u8]) -> bool {
        match self {
            Checksum::GithubCrc32 => github_crc32(secret),
            Checksum::Jwt => jwt(secret),
            Checksum::Luhn => luhn(secret),
            Checksum::PemPrivateKey => super::key_structure::pem_private_key(secret),
            Checksum::AgeBech32 => age_bech32(secret),
            Checksum::AwsKeyId => aws_key_id(secret),
            Checksum::PypiMacaroon => pypi_macaroon(secret),
            Checksum::BasicAuth => basic_auth(secret),
            Checksum::SentryOrgToken => sentry_org_token(secret),
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

/// Decodes base64 in any common dialect: standard or URL-safe alphabet,
/// padded or not.
/// Unusual trailing bits are accepted: encoders disagree on them, and a
/// truncated copy of a secret is still worth decoding.
pub fn decode_base64_any(text: &[u8]) -> Option<Vec<u8>> {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&STANDARD, LENIENT);
    const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&URL_SAFE, LENIENT);
    let trimmed = match text.iter().rposition(|&b| b != b'=') {
        Some(last) => &text[..=last],
        None => return None,
    };
    if trimmed.iter().any(|b| matches!(b, b'-' | b'_')) {
        URL_SAFE_LENIENT.decode(trimmed).ok()
    } else {
        STANDARD_LENIENT.decode(trimmed).ok()
    }
}

const BECH32_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Bech32 (BIP 173) checksum over a whole string `hrp1data`, either case.
fn bech32_valid(text: &[u8]) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower != text && text.to_ascii_uppercase() != text {
        return false; // mixed case is invalid bech32
    }
    let Some(separator) = memchr::memrchr(b'1', &lower) else {
        return false;
    };
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.iter().map(|c| c >> 5).collect();
    values.push(0);
    values.extend(hrp.iter().map(|c| c & 31));
    for c in data {
        match BECH32_CHARSET.iter().position(|x| x == c) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    const GENERATOR: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut checksum: u32 = 1;
    for value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x1ff_ffff) << 5) ^ u32::from(value);
        for (bit, generator) in GENERATOR.iter().enumerate() {
            if (top >> bit) & 1 == 1 {
                checksum ^= generator;
            }
        }
    }
    checksum == 1
}

fn age_bech32(key: &[u8]) -> bool {
    key.len() > 16 && key[..15].eq_ignore_ascii_case(b"AGE-SECRET-KEY-") && bech32_valid(key)
}

/// Prefixes AWS uses for access key ids and other unique ids that can
/// appear with a secret.
const AWS_ID_PREFIXES: [&[u8]; 4] = [b"AKIA", b"ASIA", b"ABIA", b"ACCA"];

fn aws_key_id(id: &[u8]) -> bool {
    if id.len() != 20 || !AWS_ID_PREFIXES.contains(&&id[..4]) {
        return false;
    }
    // The 16 characters after the prefix are base32 (RFC 4648); the first
    // ten decode to bytes whose bits 7..47 hold the 12-digit account id.
    let mut bits: u64 = 0;
    for &c in &id[4..14] {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return false,
        };
        bits = (bits << 5) | u64::from(value);
    }
    if !id[14..]
        .iter()
        .all(|&c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    {
        return false;
    }
    // 50 bits read; the first 48 are the six bytes the account id lives in.
    let first_six_bytes = bits >> 2;
    let account = (first_six_bytes & 0x7fff_ffff_ff80) >> 7;
    account <= 999_999_999_999
}

fn pypi_macaroon(token: &[u8]) -> bool {
    let Some(body) = token.strip_prefix(b"pypi-") else {
        return false;
    };
    let Some(bytes) = decode_base64_any(body) else {
        return false;
    };
    // Version 2 binary macaroon: 0x02, then the location field (type 1).
    bytes.len() > 16
        && bytes[0] == 2
        && bytes[1] == 1
        && memchr::memmem::find(&bytes[..bytes.len().min(40)], b"pypi.org").is_some()
}

fn basic_auth(encoded: &[u8]) -> bool {
    let Some(bytes) = decode_base64_any(encoded) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    if text.chars().any(char::is_control) {
        return false;
    }
    text.split_once(':').is_some_and(|(user, password)| {
        !user.is_empty() && password.len() >= 4 && !is_placeholder_password(password)
    })
}

/// Words that mark a password as made up for docs and tests.
const PLACEHOLDER_PASSWORD_WORDS: [&str; 10] = [
    "passw", "secret", "example", "test", "changeme", "dummy", "sample", "xxxx", "your", "fake",
];

/// Whether a decoded password is evidently a placeholder ("secret-passwd",
/// "password123", "test1234").
fn is_placeholder_password(password: &str) -> bool {
    let lowered = password.to_ascii_lowercase();
    PLACEHOLDER_PASSWORD_WORDS
        .iter()
        .any(|word| lowered.contains(word))
}

fn sentry_org_token(token: &[u8]) -> bool {
    let Some(body) = token.strip_prefix(b"sntrys_") else {
        return false;
    };
    let Some(underscore) = memchr::memrchr(b'_', body) else {
        return false;
    };
    decode_base64_any(&body[..underscore])
        .and_then(|claims| serde_json::from_slice::<serde_json::Value>(&claims).ok())
        .is_some_and(|claims| claims.get("iat").is_some())
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

    #[test]
    fn bech32_follows_bip173_vectors() {
        assert!(bech32_valid(b"A12UEL5L"));
        assert!(bech32_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"
        ));
        assert!(!bech32_valid(
            b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"
        ));
        assert!(!bech32_valid(b"A12uEL5L"), "mixed case");
    }

    #[test]
    fn age_key_needs_a_valid_bech32_checksum() {
        // Encoded by an independent implementation (Python) from random bytes.
        let key = b"AGE-SECRET-KEY-1J4MK89JUW2J9SCVDFRZKHFAK858HUPC69EM7NP5MZE668PU9DDKSZD5396"; // leakhound:allow
        assert!(Checksum::AgeBech32.validate(key));
        let mut changed = key.to_vec();
        changed[30] = if changed[30] == b'Q' { b'P' } else { b'Q' };
        assert!(!Checksum::AgeBech32.validate(&changed));
    }

    #[test]
    fn aws_key_id_decodes_to_an_account_number() {
        // Account numbers computed independently (Python base64.b32decode).
        assert!(Checksum::AwsKeyId.validate(b"AKIAGKAY2Z76NTGQNBSN")); // 433843785724, leakhound:allow
        assert!(!Checksum::AwsKeyId.validate(b"AKIAO7KKMMMXGJNJOLCL")); // 1029337539374
        assert!(
            !Checksum::AwsKeyId.validate(b"AKIAGKAY2Z76NTGQNBS1"),
            "1 is not base32"
        );
        assert!(
            !Checksum::AwsKeyId.validate(b"AXIAGKAY2Z76NTGQNBSN"),
            "unknown prefix"
        );
    }

    #[test]
    fn pypi_token_is_a_version_2_macaroon_for_pypi() {
        let mut macaroon = vec![2u8, 1, 8];
        macaroon.extend(b"pypi.org");
        macaroon.extend([2u8, 33]);
        macaroon.extend([7u8; 40]);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&macaroon);
        assert!(body.starts_with("AgEIcHlwaS5vcmc"));
        assert!(Checksum::PypiMacaroon.validate(format!("pypi-{body}").as_bytes()));
        let other = body.replace("AgEIcHlwaS5vcmc", "AgEIcHlXaS5vcmc");
        assert!(!Checksum::PypiMacaroon.validate(format!("pypi-{other}").as_bytes()));
    }

    #[test]
    fn basic_auth_is_user_colon_password() {
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(Checksum::BasicAuth.validate(encode("deploy:Wq8#r2Lp").as_bytes()));
        assert!(!Checksum::BasicAuth.validate(encode("no-colon-here").as_bytes()));
        assert!(!Checksum::BasicAuth.validate(encode("user:").as_bytes()));
        assert!(!Checksum::BasicAuth.validate(encode("alice:secret-passwd").as_bytes()));
        assert!(!Checksum::BasicAuth.validate(b"!!!not base64"));
    }

    #[test]
    fn sentry_org_token_carries_json_claims() {
        let claims = base64::engine::general_purpose::STANDARD
            .encode(br#"{"iat":1700000000,"url":"https://sentry.io","org":"acme"}"#);
        let token = format!("sntrys_{claims}_Xk4mQ9vR2tL7pW1sN8cJ5bH3gF6dA0zY2uE9iO4qT1w");
        assert!(Checksum::SentryOrgToken.validate(token.as_bytes()));
        assert!(!Checksum::SentryOrgToken.validate(b"sntrys_bm90IGpzb24_Xk4mQ9vR2tL7pW1sN8c"));
    }
}
