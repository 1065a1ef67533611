//! Hexadecimal text: a leaf utility for every layer (key files, logs,
//! identities, the CLI).

use core::fmt::Write as _;

/// Lower-case hex without separators.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes from hex, tolerating a `0x` prefix and `:` separators; `None` on
/// any other character or an odd number of digits.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let digits: Vec<u8> = s.bytes().filter(|&c| c != b':').collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|p| {
            let h = (p[0] as char).to_digit(16)?;
            let l = (p[1] as char).to_digit(16)?;
            Some((h * 16 + l) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        assert_eq!(super::encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(super::decode("0x00AB10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(super::decode("00:ab:10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(super::decode("abc"), None);
        assert_eq!(super::decode("zz"), None);
    }
}
