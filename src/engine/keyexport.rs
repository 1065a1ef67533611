//! Key export: the keys of our own SAs as lines of Wireshark's decryption
//! tables, so that captures of our exchanges decrypt.
//!
//! * [`ikev2_table_line`]: one line of `ikev2_decryption_table`
//!   (`SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity"`, the
//!   format strongSwan's save-keys plugin writes and
//!   [`crate::dissect::keys`] reads).
//! * [`esp_sa_lines`]: two lines of `esp_sa`, inbound then outbound
//!   (`"IPv4","src","dst","0xSPI","encryption","0xKEY","authentication","0xKEY"`).
//! * [`esp_key_log_lines`]: the same two SAs in rike's own key log
//!   (`esp spi=… src=… dst=…`), next to [`IkeKeyRecord::key_log_line`].
//!
//! The algorithm names are Wireshark 4.0's
//! ([`crate::wire::registry::wireshark`]). An algorithm Wireshark has no
//! name for is an [`ExportError`]; an integrity algorithm it cannot check
//! but whose ICV length it knows is exported as "ANY n bits [No Checking]".

use core::fmt;
use std::net::{IpAddr, SocketAddr};

use super::event::{ChildSaInfo, IkeKeyRecord};
use crate::hex::encode as hex;
use crate::wire::registry::{wireshark, EncrId, IntegId};

/// Why a line could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    /// Wireshark has no name for this encryption algorithm (ID, key bits).
    Encryption(EncrId, Option<u16>),
    /// Wireshark has no name for this integrity algorithm.
    Integrity(IntegId),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Encryption(e, Some(b)) => {
                write!(
                    f,
                    "Wireshark has no name for encryption {e} with {b}-bit keys"
                )
            }
            ExportError::Encryption(e, None) => {
                write!(f, "Wireshark has no name for encryption {e}")
            }
            ExportError::Integrity(i) => write!(f, "Wireshark has no name for integrity {i}"),
        }
    }
}

impl std::error::Error for ExportError {}

/// Bytes of salt or nonce that follow the cipher key in keying material
/// (RFC 4106, RFC 4309, RFC 3686, RFC 5282).
fn salt_len(e: EncrId) -> usize {
    match e {
        EncrId::AES_GCM_8 | EncrId::AES_GCM_12 | EncrId::AES_GCM_16 | EncrId::AES_CTR => 4,
        EncrId::AES_CCM_8 | EncrId::AES_CCM_12 | EncrId::AES_CCM_16 => 3,
        _ => 0,
    }
}

/// Key bits as negotiated, or from the key's length for AES when the
/// record has none.
fn key_bits(e: EncrId, bits: Option<u16>, key_len: usize) -> Option<u16> {
    let aes = matches!(
        e,
        EncrId::AES_CBC
            | EncrId::AES_CTR
            | EncrId::AES_GCM_8
            | EncrId::AES_GCM_12
            | EncrId::AES_GCM_16
            | EncrId::AES_CCM_8
            | EncrId::AES_CCM_12
            | EncrId::AES_CCM_16
    );
    match bits {
        Some(b) => Some(b),
        None if aes => u16::try_from(key_len.checked_sub(salt_len(e))? * 8).ok(),
        None => None,
    }
}

/// The IKE SA as one line of Wireshark's `ikev2_decryption_table`.
pub fn ikev2_table_line(rec: &IkeKeyRecord) -> Result<String, ExportError> {
    let (encr, bits) = rec.encr;
    let bits = key_bits(encr, bits, rec.sk_ei.len());
    let ename =
        wireshark::ikev2_encr_name(encr, bits).ok_or(ExportError::Encryption(encr, bits))?;
    let integ = rec.integ.filter(|i| *i != IntegId::NONE);
    let iname = wireshark::ikev2_integ_name(integ)
        .ok_or(ExportError::Integrity(integ.unwrap_or(IntegId::NONE)))?;
    Ok(format!(
        "{},{},{},{},\"{ename}\",{},{},\"{iname}\"",
        hex(&rec.spi_i),
        hex(&rec.spi_r),
        hex(rec.sk_ei.expose()),
        hex(rec.sk_er.expose()),
        hex(rec.sk_ai.expose()),
        hex(rec.sk_ar.expose()),
    ))
}

/// The address as Wireshark's tables and rike's key log write it (an
/// IPv4-mapped IPv6 address as IPv4, as it is on the wire).
fn ip_text(a: &SocketAddr) -> String {
    match a.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The Child SA as two lines of Wireshark's `esp_sa` table: inbound
/// (peer to us, our SPI) first, then outbound.
pub fn esp_sa_lines(c: &ChildSaInfo) -> Result<[String; 2], ExportError> {
    let ename =
        wireshark::esp_encr_name(c.encr).ok_or(ExportError::Encryption(c.encr, c.key_bits))?;
    let integ = c.integ.filter(|i| *i != IntegId::NONE);
    let iname = wireshark::esp_integ_name(integ)
        .ok_or(ExportError::Integrity(integ.unwrap_or(IntegId::NONE)))?;
    let fam = match ip_text(&c.local).parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => "IPv4",
        _ => "IPv6",
    };
    let key = |k: &[u8]| {
        if k.is_empty() {
            String::new()
        } else {
            format!("0x{}", hex(k))
        }
    };
    let line = |src: &SocketAddr, dst: &SocketAddr, spi: u32, ek: &[u8], ak: &[u8]| {
        format!(
            "\"{fam}\",\"{}\",\"{}\",\"0x{spi:08x}\",\"{ename}\",\"{}\",\"{iname}\",\"{}\"",
            ip_text(src),
            ip_text(dst),
            key(ek),
            key(ak),
        )
    };
    Ok([
        line(
            &c.remote,
            &c.local,
            c.spi_in,
            c.encr_key_in.expose(),
            c.integ_key_in.expose(),
        ),
        line(
            &c.local,
            &c.remote,
            c.spi_out,
            c.encr_key_out.expose(),
            c.integ_key_out.expose(),
        ),
    ])
}

/// The Child SA as two lines of rike's key log (`esp spi=HEX src=ADDR
/// dst=ADDR encr=N[/BITS] integ=N ekey=HEX akey=HEX`), inbound first.
pub fn esp_key_log_lines(c: &ChildSaInfo) -> [String; 2] {
    let encr = match c.key_bits {
        Some(b) => format!("{}/{b}", c.encr.0),
        None => c.encr.0.to_string(),
    };
    let integ = c.integ.map_or(0, |i| i.0);
    let line = |src: &SocketAddr, dst: &SocketAddr, spi: u32, ek: &[u8], ak: &[u8]| {
        format!(
            "esp spi={spi:08x} src={} dst={} encr={encr} integ={integ} ekey={} akey={}",
            ip_text(src),
            ip_text(dst),
            hex(ek),
            hex(ak),
        )
    };
    [
        line(
            &c.remote,
            &c.local,
            c.spi_in,
            c.encr_key_in.expose(),
            c.integ_key_in.expose(),
        ),
        line(
            &c.local,
            &c.remote,
            c.spi_out,
            c.encr_key_out.expose(),
            c.integ_key_out.expose(),
        ),
    ]
}

/// The ISAKMP SA as one line of Wireshark's `ikev1_decryption_table`:
/// `initiator cookie,encryption key`, both in hex (the format strongSwan's
/// save-keys plugin writes and [`crate::dissect::keys`] reads).
pub fn ikev1_table_line(rec: &super::event::Ikev1KeyRecord) -> String {
    format!("{},{}", hex(&rec.cky_i), hex(rec.key.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Secret;
    use crate::dissect::keys::KeyStore;
    use crate::engine::config::IpsecMode;
    use crate::engine::event::{ChildId, SaHandle};
    use crate::engine::identity::TrafficSelector;

    fn record(
        encr: (EncrId, Option<u16>),
        integ: Option<IntegId>,
        ek: usize,
        ak: usize,
    ) -> IkeKeyRecord {
        let k = |n: usize, b: u8| Secret::new((0..n).map(|i| b.wrapping_add(i as u8)).collect());
        IkeKeyRecord {
            sa: SaHandle(1),
            spi_i: [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8],
            spi_r: [0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8],
            encr,
            integ,
            sk_ei: k(ek, 0x10),
            sk_er: k(ek, 0x40),
            sk_ai: k(ak, 0x70),
            sk_ar: k(ak, 0x90),
        }
    }

    #[test]
    fn ikev2_lines_round_trip_through_the_key_store() {
        let cases = [
            record((EncrId::AES_GCM_16, Some(256)), None, 36, 0),
            record((EncrId::AES_GCM_16, None), Some(IntegId::NONE), 20, 0),
            record(
                (EncrId::AES_CBC, Some(128)),
                Some(IntegId::HMAC_SHA2_256_128),
                16,
                32,
            ),
            record((EncrId::AES_CBC, None), Some(IntegId::HMAC_SHA1_96), 32, 20),
            record(
                (EncrId::AES_CTR, Some(192)),
                Some(IntegId::HMAC_SHA2_512_256),
                28,
                64,
            ),
            record((EncrId::AES_CCM_8, Some(128)), None, 19, 0),
            record(
                (EncrId::DES3, None),
                Some(IntegId::HMAC_SHA2_384_192),
                24,
                48,
            ),
        ];
        for rec in &cases {
            let line = ikev2_table_line(rec).unwrap();
            let mut ks = KeyStore::new();
            ks.load_str("export", &line);
            assert!(ks.problems.is_empty(), "{line}: {:?}", ks.problems);
            let sa = &ks.ikev2[&(rec.spi_i, rec.spi_r)];
            let bits = key_bits(rec.encr.0, rec.encr.1, rec.sk_ei.len());
            assert_eq!((sa.encr, sa.key_bits), (rec.encr.0, bits), "{line}");
            assert_eq!(
                sa.integ,
                rec.integ.filter(|i| *i != IntegId::NONE),
                "{line}"
            );
            assert_eq!(sa.sk_ei, rec.sk_ei);
            assert_eq!(sa.sk_er, rec.sk_er);
            assert_eq!(sa.sk_ai, rec.sk_ai);
            assert_eq!(sa.sk_ar, rec.sk_ar);
            // rike's own key log line says the same.
            let mut own = KeyStore::new();
            own.load_str("log", &rec.key_log_line());
            assert_eq!(own.ikev2[&(rec.spi_i, rec.spi_r)].sk_ei, rec.sk_ei);
        }
    }

    #[test]
    fn checked_names_where_wireshark_has_them_unchecked_otherwise() {
        let rec = record(
            (EncrId::AES_CBC, Some(256)),
            Some(IntegId::AES_XCBC_96),
            32,
            16,
        );
        let line = ikev2_table_line(&rec).unwrap();
        assert!(
            line.ends_with(",\"ANY 96-bits of Authentication [No Checking]\""),
            "{line}"
        );
        let mut ks = KeyStore::new();
        ks.load_str("x", &line);
        let sa = &ks.ikev2[&(rec.spi_i, rec.spi_r)];
        assert_eq!((sa.integ, sa.unchecked_icv_len), (None, 12));
        let line = ikev2_table_line(&record((EncrId::AES_GCM_16, Some(128)), None, 20, 0)).unwrap();
        assert_eq!(
            line,
            "a1a2a3a4a5a6a7a8,b1b2b3b4b5b6b7b8,\
             101112131415161718191a1b1c1d1e1f20212223,\
             404142434445464748494a4b4c4d4e4f50515253,\
             \"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\""
        );
        assert_eq!(
            ikev2_table_line(&record((EncrId::CHACHA20_POLY1305, None), None, 36, 0)),
            Err(ExportError::Encryption(EncrId::CHACHA20_POLY1305, None))
        );
    }

    fn child(
        encr: EncrId,
        bits: Option<u16>,
        integ: Option<IntegId>,
        ek: usize,
        ak: usize,
    ) -> ChildSaInfo {
        let k = |n: usize, b: u8| Secret::new((0..n).map(|i| b.wrapping_add(i as u8)).collect());
        ChildSaInfo {
            sa: SaHandle(1),
            child: ChildId(2),
            name: "net".into(),
            protocol: 50,
            spi_in: 0xc1c2c3c4,
            spi_out: 0x0d0e0f10,
            encr,
            key_bits: bits,
            integ,
            esn: false,
            pfs: None,
            mode: IpsecMode::Tunnel,
            encap: true,
            local: "10.99.0.1:4500".parse().unwrap(),
            remote: "10.99.0.2:4500".parse().unwrap(),
            local_ts: vec![TrafficSelector::parse("10.1.0.1").unwrap()],
            remote_ts: vec![TrafficSelector::parse("10.2.0.1").unwrap()],
            encr_key_in: k(ek, 0x20),
            encr_key_out: k(ek, 0x60),
            integ_key_in: k(ak, 0x80),
            integ_key_out: k(ak, 0xa0),
            rekey_ms: None,
            lifetime_ms: None,
            lifetime_kb: None,
        }
    }

    #[test]
    fn esp_lines_round_trip_through_the_key_store() {
        let gcm = child(EncrId::AES_GCM_16, Some(256), None, 36, 0);
        let [inb, out] = esp_sa_lines(&gcm).unwrap();
        assert!(inb.starts_with(
            "\"IPv4\",\"10.99.0.2\",\"10.99.0.1\",\"0xc1c2c3c4\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x2021"
        ), "{inb}");
        assert!(inb.ends_with(",\"NULL\",\"\""), "{inb}");
        assert!(
            out.contains("\"10.99.0.1\",\"10.99.0.2\",\"0x0d0e0f10\""),
            "{out}"
        );
        let cbc = child(
            EncrId::AES_CBC,
            Some(128),
            Some(IntegId::HMAC_SHA2_256_128),
            16,
            32,
        );
        let lines = esp_sa_lines(&cbc).unwrap();
        let logs = esp_key_log_lines(&cbc);
        let mut ks = KeyStore::new();
        ks.load_str("esp", &[lines.join("\n"), logs.join("\n")].join("\n"));
        assert!(ks.problems.is_empty(), "{:?}", ks.problems);
        assert_eq!(ks.esp.len(), 2);
        let f = &ks.esp[1].fields;
        assert_eq!(f[0], "IPv4");
        assert_eq!((f[1].as_str(), f[2].as_str()), ("10.99.0.1", "10.99.0.2"));
        assert_eq!(f[3], "0x0d0e0f10");
        assert_eq!(f[4], "AES-CBC [RFC3602]");
        assert_eq!(f[5], format!("0x{}", hex(cbc.encr_key_out.expose())));
        assert_eq!(f[6], "HMAC-SHA-256-128 [RFC4868]");
        assert_eq!(f[7], format!("0x{}", hex(cbc.integ_key_out.expose())));
        assert_eq!(
            logs[0],
            format!(
                "esp spi=c1c2c3c4 src=10.99.0.2 dst=10.99.0.1 encr=12/128 integ=12 ekey={} akey={}",
                hex(cbc.encr_key_in.expose()),
                hex(cbc.integ_key_in.expose())
            )
        );
        let chacha = child(EncrId::CHACHA20_POLY1305, None, None, 36, 0);
        assert!(esp_sa_lines(&chacha).is_err());
    }
}
