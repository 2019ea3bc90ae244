//! Structural checks of private keys: a PEM block whose body really decodes
//! to a key, so truncated, elided or made-up keys in docs are not reported.

use super::checksum::decode_base64_any;

/// The magic that opens an OpenSSH private key container.
const OPENSSH_MAGIC: &[u8] = b"openssh-key-v1\0";

/// Whether a PEM block (BEGIN line to END line, possibly inside a string
/// with literal `\n` escapes and indentation) holds a well-formed key.
pub fn pem_private_key(block: &[u8]) -> bool {
    let Some(begin) = armor_label(block) else {
        return false;
    };
    let text = String::from_utf8_lossy(block)
        .replace("\\r", "")
        .replace("\\n", "\n");
    let mut encrypted_legacy = false;
    let mut body = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("-----") {
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            // RFC 1421 headers of legacy encrypted PEM (Proc-Type, DEK-Info).
            if name.eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED") {
                encrypted_legacy = true;
            }
            continue;
        }
        let cleaned = line.trim_matches(|c| c == '"' || c == '\'' || c == ',');
        body.extend(cleaned.bytes().filter(|b| !b.is_ascii_whitespace()));
    }
    let Some(bytes) = decode_base64_any(&body) else {
        return false;
    };
    if begin.contains("OPENSSH") {
        return bytes.starts_with(OPENSSH_MAGIC);
    }
    if encrypted_legacy {
        // Ciphertext under a block cipher: whole blocks, nothing to parse.
        return bytes.len() >= 64 && bytes.len().is_multiple_of(8);
    }
    is_der_sequence(&bytes)
}

/// The label of the BEGIN line ("RSA PRIVATE KEY", "PRIVATE KEY", ...).
fn armor_label(block: &[u8]) -> Option<String> {
    let start = memchr::memmem::find(block, b"-----BEGIN ")? + "-----BEGIN ".len();
    let end = start + memchr::memmem::find(&block[start..], b"-----")?;
    Some(String::from_utf8_lossy(&block[start..end]).into_owned())
}

/// Whether `bytes` is exactly one DER SEQUENCE whose length matches, as
/// every PKCS#1, SEC1, DSA and PKCS#8 (plain or encrypted) key is.
fn is_der_sequence(bytes: &[u8]) -> bool {
    let (Some(&0x30), Some(&first)) = (bytes.first(), bytes.get(1)) else {
        return false;
    };
    let (header, length) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 3 || bytes.len() < 2 + count {
            return false;
        }
        let length = bytes[2..2 + count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (2 + count, length)
    };
    header + length == bytes.len() && length >= 32
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn pem(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----",
            lines.join("\n")
        )
    }

    fn der_sequence(content_len: usize) -> Vec<u8> {
        let mut der = vec![0x30, 0x82, (content_len >> 8) as u8, content_len as u8];
        der.extend((0..content_len).map(|i| (i * 7 + 3) as u8));
        der
    }

    #[test]
    fn der_key_with_matching_length_passes() {
        let block = pem("RSA PRIVATE KEY", &der_sequence(600));
        assert!(pem_private_key(block.as_bytes()));
        // The same block inside a JSON string with \n escapes.
        let escaped = block.replace('\n', "\\n");
        assert!(pem_private_key(escaped.as_bytes()));
    }

    #[test]
    fn truncated_or_elided_keys_fail() {
        let block = pem("PRIVATE KEY", &der_sequence(600));
        let truncated: String =
            block.lines().take(4).collect::<Vec<_>>().join("\n") + "\n-----END PRIVATE KEY-----";
        assert!(!pem_private_key(truncated.as_bytes()));
        let elided = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n-----END PRIVATE KEY-----";
        assert!(!pem_private_key(elided.as_bytes()));
    }

    #[test]
    fn openssh_needs_its_magic() {
        let mut container = OPENSSH_MAGIC.to_vec();
        container.extend([0u8; 100]);
        assert!(pem_private_key(
            pem("OPENSSH PRIVATE KEY", &container).as_bytes()
        ));
        assert!(!pem_private_key(
            pem("OPENSSH PRIVATE KEY", &der_sequence(200)).as_bytes()
        ));
    }
}
