//! Git's delta format: a base size, a result size, then instructions that
//! either copy a stretch of the base or insert literal bytes. Applying one
//! also records what was copied from where, merging copies that continue
//! each other.

use crate::engine::revision::Copied;

/// The largest object the pack walk decodes: sizes come from the pack,
/// which is untrusted, and git stores nothing near this large as a delta
/// (`core.bigFileThreshold`, 512 MiB). Larger ones are left to lookups.
pub const MAX_OBJECT: usize = 1 << 30;

/// Why a delta could not be applied (a damaged pack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt(pub &'static str);

/// Reads one size of the header: 7 bits per byte, low bits first.
fn size(delta: &[u8], at: &mut usize) -> Result<usize, Corrupt> {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let byte = *delta.get(*at).ok_or(Corrupt("truncated header"))?;
        *at += 1;
        if shift >= usize::BITS {
            return Err(Corrupt("size too large"));
        }
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// The result of applying `delta` to `base`; `copied` gets the stretches
/// copied from the base, in result order.
pub fn apply(base: &[u8], delta: &[u8], copied: &mut Vec<Copied>) -> Result<Vec<u8>, Corrupt> {
    let mut at = 0;
    if size(delta, &mut at)? != base.len() {
        return Err(Corrupt("base size differs"));
    }
    let result_size = size(delta, &mut at)?;
    if result_size > MAX_OBJECT {
        return Err(Corrupt("result too large"));
    }
    let mut out = Vec::with_capacity(result_size);
    while let Some(&command) = delta.get(at) {
        at += 1;
        if command & 0x80 != 0 {
            // Copy: bits 0-3 say which offset bytes follow, 4-6 which size bytes.
            let mut fields = [0usize; 2];
            for (bit, field) in (0..7).map(|bit| (bit, usize::from(bit >= 4))) {
                if command & (1 << bit) != 0 {
                    let byte = *delta.get(at).ok_or(Corrupt("truncated copy"))?;
                    at += 1;
                    let shift = 8 * (if bit >= 4 { bit - 4 } else { bit });
                    fields[field] |= usize::from(byte) << shift;
                }
            }
            let [from, mut len] = fields;
            if len == 0 {
                len = 0x10000;
            }
            let stretch = from
                .checked_add(len)
                .and_then(|end| base.get(from..end))
                .ok_or(Corrupt("copy beyond the base"))?;
            match copied.last_mut() {
                Some(last) if last.to + last.len == out.len() && last.from + last.len == from => {
                    last.len += len;
                }
                _ => copied.push(Copied {
                    to: out.len(),
                    from,
                    len,
                }),
            }
            out.extend_from_slice(stretch);
        } else if command != 0 {
            let len = usize::from(command);
            let literal = delta.get(at..at + len).ok_or(Corrupt("truncated insert"))?;
            at += len;
            out.extend_from_slice(literal);
        } else {
            return Err(Corrupt("reserved instruction 0"));
        }
        if out.len() > result_size {
            return Err(Corrupt("result longer than declared"));
        }
    }
    if out.len() != result_size {
        return Err(Corrupt("result shorter than declared"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(base: usize, result: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for mut value in [base, result] {
            loop {
                let byte = (value & 0x7f) as u8;
                value >>= 7;
                if value == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
        }
        out
    }

    #[test]
    fn copies_and_inserts_make_the_result_and_copies_are_recorded() {
        let base = b"0123456789abcdefghij".repeat(10);
        let mut delta = header(base.len(), 4 + 3 + 10);
        // Copy 4 bytes at offset 2 (offset byte 0, size byte 0).
        delta.extend([0x80 | 0x01 | 0x10, 2, 4]);
        delta.extend([3, b'X', b'Y', b'Z']);
        // Copy 6 bytes at 150, then 4 at 156: one stretch of 10.
        delta.extend([0x80 | 0x01 | 0x10, 150, 6]);
        delta.extend([0x80 | 0x01 | 0x10, 156, 4]);
        let mut copied = Vec::new();
        let result = apply(&base, &delta, &mut copied).unwrap();
        assert_eq!(
            result,
            b"2345XYZ"
                .iter()
                .chain(&base[150..160])
                .copied()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            copied,
            [
                Copied {
                    to: 0,
                    from: 2,
                    len: 4
                },
                Copied {
                    to: 7,
                    from: 150,
                    len: 10
                },
            ]
        );
    }

    #[test]
    fn a_copy_of_size_zero_means_64_kib() {
        let base = vec![7u8; 0x10000 + 4];
        let mut delta = header(base.len(), 0x10000);
        delta.extend([0x80 | 0x0f, 0, 0, 0, 0]);
        let mut copied = Vec::new();
        let result = apply(&base, &delta, &mut copied).unwrap();
        assert_eq!(result.len(), 0x10000);
        assert_eq!(
            copied,
            [Copied {
                to: 0,
                from: 0,
                len: 0x10000
            }]
        );
    }

    #[test]
    fn damaged_deltas_are_errors_not_panics() {
        let base = b"hello world".to_vec();
        let cases: [(&str, Vec<u8>); 5] = [
            ("base size differs", header(3, 1)),
            (
                "copy beyond the base",
                [header(11, 5), vec![0x80 | 0x01 | 0x10, 9, 5]].concat(),
            ),
            ("truncated insert", [header(11, 5), vec![5, b'a']].concat()),
            ("reserved instruction 0", [header(11, 1), vec![0]].concat()),
            (
                "result shorter than declared",
                [header(11, 9), vec![1, b'a']].concat(),
            ),
        ];
        for (expected, delta) in cases {
            let error = apply(&base, &delta, &mut Vec::new()).unwrap_err();
            assert_eq!(error, Corrupt(expected));
        }
        assert!(apply(&base, &[], &mut Vec::new()).is_err());
        // A declared size is not trusted with an allocation.
        let huge = [header(11, 1 << 40), vec![1, b'a']].concat();
        assert_eq!(
            apply(&base, &huge, &mut Vec::new()).unwrap_err(),
            Corrupt("result too large")
        );
    }
}
