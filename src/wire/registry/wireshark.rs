//! The names Wireshark gives IKEv2 and ESP algorithms in its decryption
//! tables (`ikev2_decryption_table`, `esp_sa`; Wireshark 4.0, the same
//! names strongSwan's save-keys plugin writes). One table each way: the
//! key export writes these names and the key-file reader
//! (`dissect::keys`) reads them.

use super::ikev2::{EncrId, IntegId};

/// `ikev2_decryption_table` encryption names: (ID, key bits, name).
pub const IKEV2_ENCR_NAMES: &[(EncrId, Option<u16>, &str)] = &[
    (EncrId::NULL, None, "NULL [RFC2410]"),
    (EncrId::DES3, None, "3DES [RFC2451]"),
    (EncrId::AES_CBC, Some(128), "AES-CBC-128 [RFC3602]"),
    (EncrId::AES_CBC, Some(192), "AES-CBC-192 [RFC3602]"),
    (EncrId::AES_CBC, Some(256), "AES-CBC-256 [RFC3602]"),
    (EncrId::AES_CTR, Some(128), "AES-CTR-128 [RFC5930]"),
    (EncrId::AES_CTR, Some(192), "AES-CTR-192 [RFC5930]"),
    (EncrId::AES_CTR, Some(256), "AES-CTR-256 [RFC5930]"),
    (
        EncrId::AES_GCM_8,
        Some(128),
        "AES-GCM-128 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_8,
        Some(192),
        "AES-GCM-192 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_8,
        Some(256),
        "AES-GCM-256 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_12,
        Some(128),
        "AES-GCM-128 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_12,
        Some(192),
        "AES-GCM-192 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_12,
        Some(256),
        "AES-GCM-256 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_16,
        Some(128),
        "AES-GCM-128 with 16 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_16,
        Some(192),
        "AES-GCM-192 with 16 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_GCM_16,
        Some(256),
        "AES-GCM-256 with 16 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_8,
        Some(128),
        "AES-CCM-128 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_8,
        Some(192),
        "AES-CCM-192 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_8,
        Some(256),
        "AES-CCM-256 with 8 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_12,
        Some(128),
        "AES-CCM-128 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_12,
        Some(192),
        "AES-CCM-192 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_12,
        Some(256),
        "AES-CCM-256 with 12 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_16,
        Some(128),
        "AES-CCM-128 with 16 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_16,
        Some(192),
        "AES-CCM-192 with 16 octet ICV [RFC5282]",
    ),
    (
        EncrId::AES_CCM_16,
        Some(256),
        "AES-CCM-256 with 16 octet ICV [RFC5282]",
    ),
];

/// `ikev2_decryption_table` integrity names. `NONE` stands for AEAD.
pub const IKEV2_INTEG_NAMES: &[(IntegId, &str)] = &[
    (IntegId::NONE, "NONE [RFC4306]"),
    (IntegId::HMAC_MD5_96, "HMAC_MD5_96 [RFC2403]"),
    (IntegId::HMAC_SHA1_96, "HMAC_SHA1_96 [RFC2404]"),
    (IntegId::HMAC_MD5_128, "HMAC_MD5_128 [RFC4595]"),
    (IntegId::HMAC_SHA1_160, "HMAC_SHA1_160 [RFC4595]"),
    (IntegId::HMAC_SHA2_256_128, "HMAC_SHA2_256_128 [RFC4868]"),
    (IntegId::HMAC_SHA2_384_192, "HMAC_SHA2_384_192 [RFC4868]"),
    (IntegId::HMAC_SHA2_512_256, "HMAC_SHA2_512_256 [RFC4868]"),
];

/// `ikev2_decryption_table` names for an ICV of n bits that Wireshark
/// takes without checking it (for integrity algorithms it cannot compute,
/// such as AES-XCBC and AES-CMAC).
pub const IKEV2_INTEG_UNCHECKED: &[(usize, &str)] = &[
    (64, "ANY 64-bits of Authentication [No Checking]"),
    (96, "ANY 96-bits of Authentication [No Checking]"),
    (128, "ANY 128-bits of Authentication [No Checking]"),
    (160, "ANY 160-bits of Authentication [No Checking]"),
    (192, "ANY 192-bits of Authentication [No Checking]"),
    (256, "ANY 256-bits of Authentication [No Checking]"),
];

/// `esp_sa` encryption names (the key column holds the key with its salt
/// or nonce for GCM and CTR).
pub const ESP_ENCR_NAMES: &[(EncrId, &str)] = &[
    (EncrId::NULL, "NULL"),
    (EncrId::DES3, "TripleDES-CBC [RFC2451]"),
    (EncrId::AES_CBC, "AES-CBC [RFC3602]"),
    (EncrId::AES_CTR, "AES-CTR [RFC3686]"),
    (EncrId::DES, "DES-CBC [RFC2405]"),
    (EncrId::CAST, "CAST5-CBC [RFC2144]"),
    (EncrId::BLOWFISH, "BLOWFISH-CBC [RFC2451]"),
    (EncrId::AES_GCM_8, "AES-GCM with 8 octet ICV [RFC4106]"),
    (EncrId::AES_GCM_12, "AES-GCM with 12 octet ICV [RFC4106]"),
    (EncrId::AES_GCM_16, "AES-GCM with 16 octet ICV [RFC4106]"),
];

/// `esp_sa` authentication names. `NONE` stands for AEAD ("NULL").
pub const ESP_INTEG_NAMES: &[(IntegId, &str)] = &[
    (IntegId::NONE, "NULL"),
    (IntegId::HMAC_SHA1_96, "HMAC-SHA-1-96 [RFC2404]"),
    (IntegId::HMAC_SHA2_256_128, "HMAC-SHA-256-128 [RFC4868]"),
    (IntegId::HMAC_SHA2_384_192, "HMAC-SHA-384-192 [RFC4868]"),
    (IntegId::HMAC_SHA2_512_256, "HMAC-SHA-512-256 [RFC4868]"),
    (IntegId::HMAC_MD5_96, "HMAC-MD5-96 [RFC2403]"),
];

/// `esp_sa` names for an unchecked ICV of n bits.
pub const ESP_INTEG_UNCHECKED: &[(usize, &str)] = &[
    (64, "ANY 64 bit authentication [no checking]"),
    (96, "ANY 96 bit authentication [no checking]"),
    (128, "ANY 128 bit authentication [no checking]"),
    (192, "ANY 192 bit authentication [no checking]"),
    (256, "ANY 256 bit authentication [no checking]"),
];

/// The ICV length in bits of an integrity algorithm (RFC 7296 §3.3.2 and
/// the RFCs it names).
pub fn integ_icv_bits(i: IntegId) -> Option<usize> {
    Some(match i {
        IntegId::HMAC_MD5_96 | IntegId::HMAC_SHA1_96 => 96,
        IntegId::AES_XCBC_96 | IntegId::AES_CMAC_96 => 96,
        IntegId::HMAC_MD5_128 | IntegId::HMAC_SHA2_256_128 => 128,
        IntegId::AES_128_GMAC | IntegId::AES_192_GMAC | IntegId::AES_256_GMAC => 128,
        IntegId::HMAC_SHA1_160 => 160,
        IntegId::HMAC_SHA2_384_192 => 192,
        IntegId::HMAC_SHA2_512_256 => 256,
        _ => return None,
    })
}

/// The `ikev2_decryption_table` name of an encryption algorithm.
pub fn ikev2_encr_name(encr: EncrId, key_bits: Option<u16>) -> Option<&'static str> {
    IKEV2_ENCR_NAMES
        .iter()
        .find(|(e, b, _)| *e == encr && *b == key_bits)
        .map(|(_, _, n)| *n)
}

/// The algorithm an `ikev2_decryption_table` encryption name stands for
/// (exact name, ASCII case ignored).
pub fn ikev2_encr_by_name(name: &str) -> Option<(EncrId, Option<u16>)> {
    let name = name.trim();
    IKEV2_ENCR_NAMES
        .iter()
        .find(|(_, _, n)| n.eq_ignore_ascii_case(name))
        .map(|(e, b, _)| (*e, *b))
}

/// The `ikev2_decryption_table` name of an integrity algorithm (`None`
/// for AEAD); an "ANY n-bits [No Checking]" name where Wireshark cannot
/// check the algorithm but knows its ICV length.
pub fn ikev2_integ_name(integ: Option<IntegId>) -> Option<&'static str> {
    let i = integ.unwrap_or(IntegId::NONE);
    if let Some((_, n)) = IKEV2_INTEG_NAMES.iter().find(|(id, _)| *id == i) {
        return Some(n);
    }
    let bits = integ_icv_bits(i)?;
    IKEV2_INTEG_UNCHECKED
        .iter()
        .find(|(b, _)| *b == bits)
        .map(|(_, n)| *n)
}

/// The `esp_sa` name of an encryption algorithm.
pub fn esp_encr_name(encr: EncrId) -> Option<&'static str> {
    ESP_ENCR_NAMES
        .iter()
        .find(|(e, _)| *e == encr)
        .map(|(_, n)| *n)
}

/// The `esp_sa` name of an integrity algorithm (`None` for AEAD), or an
/// unchecked "ANY n bit" name.
pub fn esp_integ_name(integ: Option<IntegId>) -> Option<&'static str> {
    let i = integ.unwrap_or(IntegId::NONE);
    if let Some((_, n)) = ESP_INTEG_NAMES.iter().find(|(id, _)| *id == i) {
        return Some(n);
    }
    let bits = integ_icv_bits(i)?;
    ESP_INTEG_UNCHECKED
        .iter()
        .find(|(b, _)| *b == bits)
        .map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_both_ways() {
        for (e, b, n) in IKEV2_ENCR_NAMES {
            assert_eq!(ikev2_encr_name(*e, *b), Some(*n));
            assert_eq!(ikev2_encr_by_name(n), Some((*e, *b)));
        }
        assert_eq!(ikev2_encr_name(EncrId::CHACHA20_POLY1305, None), None);
        assert_eq!(ikev2_integ_name(None), Some("NONE [RFC4306]"));
        assert_eq!(
            ikev2_integ_name(Some(IntegId::AES_XCBC_96)),
            Some("ANY 96-bits of Authentication [No Checking]")
        );
        assert_eq!(
            esp_integ_name(Some(IntegId::HMAC_SHA2_256_128)),
            Some("HMAC-SHA-256-128 [RFC4868]")
        );
        assert_eq!(
            esp_encr_name(EncrId::AES_GCM_16),
            Some("AES-GCM with 16 octet ICV [RFC4106]")
        );
    }
}
