//! Keys for decrypting captures, and the files they come from.
//!
//! Accepted formats, one or more per file, line by line (blank lines and
//! `#` comments ignored):
//!
//! * Wireshark's `ikev2_decryption_table` (also what strongSwan's
//!   save-keys plugin writes):
//!   `SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity"`, with
//!   Wireshark's algorithm names ("AES-CBC-128 [RFC3602]", "AES-GCM-256
//!   with 16 octet ICV [RFC5282]", "HMAC_SHA2_256_128 [RFC4868]" …).
//! * Wireshark's `ikev1_decryption_table`: `icookie,encryption key`.
//! * tcpdump's `-E` / pluto's `ikev2 I|R SPIi SPIr integ:0xKEY encr:0xKEY`.
//! * rike's own key log (written by the engine), `key=value` fields after a
//!   tag, in any order:
//!   - `ikev2 spi_i=HEX spi_r=HEX encr=N[/BITS] integ=N sk_ei=HEX sk_er=HEX
//!     sk_ai=HEX sk_ar=HEX [sk_pi=HEX sk_pr=HEX prf=N]`
//!   - `ikev1 cky_i=HEX cky_r=HEX encr=N[/BITS] hash=N key=HEX
//!     [skeyid_a=HEX]` (IKEv1 attribute numbers for encr and hash; with
//!     `skeyid_a` HASH(1) of Quick Mode and Informational messages is
//!     verified)
//!   - `esp spi=HEX src=ADDR dst=ADDR encr=N[/BITS] integ=N ekey=HEX
//!     akey=HEX` (for ESP tables; kept, not used by the IKE dissector)

use std::collections::HashMap;

use crate::crypto::Secret;
use crate::wire::registry::{wireshark, EncrId, IntegId};

/// Keys of one IKEv2 SA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ikev2Sa {
    /// Encryption algorithm.
    pub encr: EncrId,
    /// Key Length attribute, when the algorithm has one.
    pub key_bits: Option<u16>,
    /// Integrity algorithm (`NONE` with AEAD). `None` when the source said
    /// "ANY n bits, no checking": then only the ICV length is known.
    pub integ: Option<IntegId>,
    /// ICV length for "ANY n bits" tables.
    pub unchecked_icv_len: usize,
    /// SK_ei (with salt).
    pub sk_ei: Secret,
    /// SK_er.
    pub sk_er: Secret,
    /// SK_ai.
    pub sk_ai: Secret,
    /// SK_ar.
    pub sk_ar: Secret,
}

/// Keys of one IKEv1 ISAKMP SA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ikev1Sa {
    /// The encryption key (already expanded to the cipher's key length).
    pub key: Secret,
    /// Encryption algorithm from the key log (IKEv1 attribute number), if
    /// given; otherwise taken from the SA negotiated in the capture.
    pub encr: Option<u16>,
    /// Key length in bits, if given.
    pub key_bits: Option<u16>,
    /// Hash algorithm (IKEv1 attribute number), if given.
    pub hash: Option<u16>,
    /// SKEYID_a, to verify HASH(1) of phase-2 and informational messages.
    pub skeyid_a: Option<Secret>,
}

/// An ESP SA row (Wireshark's `esp_sa` table), kept for ESP decryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspSa {
    /// The row's fields as given: protocol, source, destination, SPI,
    /// encryption, key, authentication, key.
    pub fields: Vec<String>,
}

/// All keys known to a capture.
#[derive(Clone, Debug, Default)]
pub struct KeyStore {
    /// ESP SAs (not used by the IKE dissector).
    pub esp: Vec<EspSa>,
    /// IKEv2 SAs by (SPIi, SPIr).
    pub ikev2: HashMap<([u8; 8], [u8; 8]), Ikev2Sa>,
    /// IKEv1 SAs by initiator cookie.
    pub ikev1: HashMap<[u8; 8], Ikev1Sa>,
    /// Lines that could not be read: (file or source, line number, reason).
    pub problems: Vec<(String, usize, String)>,
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn spi8(s: &str) -> Option<[u8; 8]> {
    hex(s)?.try_into().ok()
}

/// Wireshark / strongSwan encryption names → (ID, key bits).
fn encr_by_name(name: &str) -> Option<(EncrId, Option<u16>)> {
    if let Some(exact) = wireshark::ikev2_encr_by_name(name) {
        return Some(exact);
    }
    // strongSwan's and older Wireshark spellings.
    let n = name.to_ascii_uppercase();
    let bits = ["256", "192", "128"]
        .iter()
        .find(|b| n.contains(*b))
        .and_then(|b| b.parse().ok());
    let icv = |n: &str| {
        if n.contains("8 OCTET") {
            8
        } else if n.contains("12 OCTET") {
            12
        } else {
            16
        }
    };
    Some(if n.starts_with("NULL") {
        (EncrId::NULL, None)
    } else if n.contains("3DES") || n.contains("TRIPLEDES") {
        (EncrId::DES3, None)
    } else if n.contains("CHACHA20") {
        (EncrId::CHACHA20_POLY1305, None)
    } else if n.contains("AES-CBC") || n.contains("AES_CBC") {
        (EncrId::AES_CBC, bits)
    } else if n.contains("AES-CTR") || n.contains("AES_CTR") {
        (EncrId::AES_CTR, bits)
    } else if n.contains("GCM") {
        let id = match icv(&n) {
            8 => EncrId::AES_GCM_8,
            12 => EncrId::AES_GCM_12,
            _ => EncrId::AES_GCM_16,
        };
        (id, bits)
    } else if n.contains("CCM") {
        let id = match icv(&n) {
            8 => EncrId::AES_CCM_8,
            12 => EncrId::AES_CCM_12,
            _ => EncrId::AES_CCM_16,
        };
        (id, bits)
    } else {
        return None;
    })
}

/// Wireshark integrity names → ID, or the ICV length of "ANY n bits".
fn integ_by_name(name: &str) -> Option<Result<Option<IntegId>, usize>> {
    let n = name.to_ascii_uppercase().replace('-', "_");
    if n.starts_with("ANY") {
        let bits: usize = n
            .split(|c: char| !c.is_ascii_digit())
            .find(|s| !s.is_empty())?
            .parse()
            .ok()?;
        return Some(Err(bits / 8));
    }
    if n.starts_with("NULL") {
        return Some(Ok(None));
    }
    // Wireshark's names ("HMAC_SHA1_96 [RFC2404]"), matched by the part
    // before the reference.
    wireshark::IKEV2_INTEG_NAMES
        .iter()
        .find(|(_, name)| n.starts_with(name.split(' ').next().unwrap_or(name)))
        .map(|(id, _)| Ok((*id != IntegId::NONE).then_some(*id)))
        .or_else(|| {
            [
                ("AES_XCBC_96", IntegId::AES_XCBC_96),
                ("AES_CMAC_96", IntegId::AES_CMAC_96),
            ]
            .iter()
            .find(|(k, _)| n.starts_with(k))
            .map(|(_, v)| Ok(Some(*v)))
        })
}

/// pluto/tcpdump names: "aes128", "aes256", "3des" ("3des192" in
/// Openswan's unit-test output), "sha1", "sha256" …
fn pluto_encr(name: &str) -> Option<(EncrId, Option<u16>)> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "3des" | "3des192" | "3des-cbc" => (EncrId::DES3, None),
        s if s.starts_with("aes") && s.contains("gcm") => {
            (EncrId::AES_GCM_16, s[3..6].parse().ok())
        }
        s if s.starts_with("aes") => (EncrId::AES_CBC, s.get(3..6)?.parse().ok()),
        _ => return None,
    })
}

fn pluto_integ(name: &str) -> Option<IntegId> {
    Some(match name.to_ascii_lowercase().as_str() {
        "md5" => IntegId::HMAC_MD5_96,
        "sha1" => IntegId::HMAC_SHA1_96,
        "sha256" => IntegId::HMAC_SHA2_256_128,
        "sha384" => IntegId::HMAC_SHA2_384_192,
        "sha512" => IntegId::HMAC_SHA2_512_256,
        _ => return None,
    })
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every line of `text` (from `source`, for messages).
    pub fn load_str(&mut self, source: &str, text: &str) {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(why) = self.line(line) {
                self.problems.push((source.to_owned(), i + 1, why));
            }
        }
    }

    /// Reads a key file, or every regular file of a directory.
    pub fn load_path(&mut self, path: &std::path::Path) -> std::io::Result<()> {
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            // A Wireshark profile directory also holds preference files.
            let skip = |p: &std::path::Path| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n == "preferences" || n.starts_with("recent"))
            };
            for p in entries.into_iter().filter(|p| p.is_file() && !skip(p)) {
                let text = std::fs::read_to_string(&p)?;
                self.load_str(&p.display().to_string(), &text);
            }
            Ok(())
        } else {
            let text = std::fs::read_to_string(path)?;
            self.load_str(&path.display().to_string(), &text);
            Ok(())
        }
    }

    /// Number of SAs known.
    pub fn len(&self) -> usize {
        self.ikev2.len() + self.ikev1.len()
    }

    /// No keys?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        let first = line.split_whitespace().next().unwrap_or("");
        match first {
            "ikev2" if line.contains('=') => self.rike_v2(line),
            "ikev1" if line.contains('=') => self.rike_v1(line),
            "esp" if line.contains('=') => Ok(()),
            "ikev2" => self.pluto(line),
            _ if line.contains(',') => self.csv(line),
            _ => Err("unrecognised line".into()),
        }
    }

    fn csv(&mut self, line: &str) -> Result<(), String> {
        // Quoted fields may contain commas? Wireshark's names do not.
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols
            .first()
            .is_some_and(|c| unquote(c).starts_with("IPv") || unquote(c).starts_with("Any"))
        {
            self.esp.push(EspSa {
                fields: cols.iter().map(|c| unquote(c).to_owned()).collect(),
            });
            return Ok(());
        }
        match cols.len() {
            2 => {
                let cky = spi8(cols[0]).ok_or("initiator cookie must be 8 bytes hex")?;
                let key = hex(cols[1]).ok_or("bad key hex")?;
                self.ikev1.insert(
                    cky,
                    Ikev1Sa {
                        key: Secret::new(key),
                        encr: None,
                        key_bits: None,
                        hash: None,
                        skeyid_a: None,
                    },
                );
                Ok(())
            }
            8 => {
                let spi_i = spi8(unquote(cols[0])).ok_or("SPIi must be 8 bytes hex")?;
                let spi_r = spi8(unquote(cols[1])).ok_or("SPIr must be 8 bytes hex")?;
                let (encr, key_bits) =
                    encr_by_name(unquote(cols[4])).ok_or("unknown encryption algorithm")?;
                let (integ, unchecked) = match integ_by_name(unquote(cols[7])) {
                    Some(Ok(i)) => (i, 0),
                    Some(Err(n)) => (None, n),
                    None => return Err("unknown integrity algorithm".into()),
                };
                let k = |i: usize| hex(unquote(cols[i])).map(Secret::new).ok_or("bad key hex");
                self.ikev2.insert(
                    (spi_i, spi_r),
                    Ikev2Sa {
                        encr,
                        key_bits,
                        integ,
                        unchecked_icv_len: unchecked,
                        sk_ei: k(2)?,
                        sk_er: k(3)?,
                        sk_ai: k(5)?,
                        sk_ar: k(6)?,
                    },
                );
                Ok(())
            }
            // ESP SA tables (8 quoted fields starting with "IPv4"/"IPv6")
            // have 8 columns too but are caught above only if they parse;
            // anything else is not ours.
            _ => Err(format!("{} comma-separated fields", cols.len())),
        }
    }

    /// `ikev2 I|R 0xSPIi 0xSPIr integ:0xKEY encr:0xKEY` (one direction).
    fn pluto(&mut self, line: &str) -> Result<(), String> {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 6 {
            return Err("expected: ikev2 I|R SPIi SPIr integ:KEY encr:KEY".into());
        }
        let init = match f[1] {
            "I" => true,
            "R" => false,
            _ => return Err("direction must be I or R".into()),
        };
        let spi_i = spi8(f[2]).ok_or("bad SPIi")?;
        let spi_r = spi8(f[3]).ok_or("bad SPIr")?;
        let (iname, ikey) = f[4].split_once(':').ok_or("integ:KEY")?;
        let (ename, ekey) = f[5].split_once(':').ok_or("encr:KEY")?;
        let integ = pluto_integ(iname).ok_or("unknown integrity name")?;
        let (encr, key_bits) = pluto_encr(ename).ok_or("unknown encryption name")?;
        let ikey = Secret::new(hex(ikey).ok_or("bad integrity key")?);
        let ekey = Secret::new(hex(ekey).ok_or("bad encryption key")?);
        let e = self.ikev2.entry((spi_i, spi_r)).or_insert_with(|| Ikev2Sa {
            encr,
            key_bits,
            integ: Some(integ),
            unchecked_icv_len: 0,
            sk_ei: Secret::default(),
            sk_er: Secret::default(),
            sk_ai: Secret::default(),
            sk_ar: Secret::default(),
        });
        if init {
            e.sk_ai = ikey;
            e.sk_ei = ekey;
        } else {
            e.sk_ar = ikey;
            e.sk_er = ekey;
        }
        Ok(())
    }

    fn fields(line: &str) -> HashMap<&str, &str> {
        line.split_whitespace()
            .skip(1)
            .filter_map(|kv| kv.split_once('='))
            .collect()
    }

    fn rike_v2(&mut self, line: &str) -> Result<(), String> {
        let f = Self::fields(line);
        let get = |k: &str| f.get(k).copied().ok_or(format!("missing {k}"));
        let spi_i = spi8(get("spi_i")?).ok_or("bad spi_i")?;
        let spi_r = spi8(get("spi_r")?).ok_or("bad spi_r")?;
        let (e, bits) = match get("encr")?.split_once('/') {
            Some((e, b)) => (e, Some(b.parse::<u16>().map_err(|_| "bad key bits")?)),
            None => (get("encr")?, None),
        };
        let encr = EncrId(e.parse().map_err(|_| "bad encr")?);
        let integ_n: u16 = get("integ")?.parse().map_err(|_| "bad integ")?;
        let key = |k: &str| -> Result<Secret, String> {
            match f.get(k) {
                Some(v) => hex(v).map(Secret::new).ok_or(format!("bad {k}")),
                None => Ok(Secret::default()),
            }
        };
        self.ikev2.insert(
            (spi_i, spi_r),
            Ikev2Sa {
                encr,
                key_bits: bits,
                integ: (integ_n != 0).then_some(IntegId(integ_n)),
                unchecked_icv_len: 0,
                sk_ei: key("sk_ei")?,
                sk_er: key("sk_er")?,
                sk_ai: key("sk_ai")?,
                sk_ar: key("sk_ar")?,
            },
        );
        Ok(())
    }

    fn rike_v1(&mut self, line: &str) -> Result<(), String> {
        let f = Self::fields(line);
        let get = |k: &str| f.get(k).copied().ok_or(format!("missing {k}"));
        let cky = spi8(get("cky_i")?).ok_or("bad cky_i")?;
        let (encr, bits) = match f.get("encr").map(|e| e.split_once('/')) {
            Some(Some((e, b))) => (e.parse().ok(), b.parse().ok()),
            Some(None) => (f.get("encr").and_then(|e| e.parse().ok()), None),
            None => (None, None),
        };
        self.ikev1.insert(
            cky,
            Ikev1Sa {
                key: Secret::new(hex(get("key")?).ok_or("bad key")?),
                encr,
                key_bits: bits,
                hash: f.get("hash").and_then(|h| h.parse().ok()),
                skeyid_a: f.get("skeyid_a").and_then(|h| hex(h)).map(Secret::new),
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wireshark_tables_pluto_lines_and_rike_log() {
        let mut k = KeyStore::new();
        k.load_str(
            "t",
            "# comment\n\
             a1a2a3a4a5a6a7a8,b1b2b3b4b5b6b7b8,000102030405060708090a0b0c0d0e0f,101112131415161718191a1b1c1d1e1f,\"AES-CBC-128 [RFC3602]\",2021222324252627282930313233343536373839,4041424344454647484950515253545556575859,\"HMAC_SHA1_96 [RFC2404]\"\n\
             ea684d21597afd36,d9fe2ab22dac23ac,be83fe15f6a9976941870830fe26c014b863b3,79e0f4476861a76e64329e787b1c4ff38d732f,\"AES-CCM-128 with 12 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n\
             fafaeb49382a763c,735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240\n\
             ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x4ea8e662b07cdd430f6944c6723e4b82d5722418 aes128:0x3f44bf47cafd8150591deb088199fcbf\n\
             ikev2 R 0x0001020304050607 0xc02e7a3031a03188 sha1:0x515b0bd22e6d76b34fdb760aa7bfad80b109b75d aes128:0xbedb67ec7dc3d00cccac42e70cd63bde\n\
             ikev2 spi_i=1111111111111111 spi_r=2222222222222222 encr=20/256 integ=0 sk_ei=00 sk_er=01\n\
             ikev1 cky_i=3333333333333333 cky_r=4444444444444444 encr=7/128 hash=2 key=0011 skeyid_a=aabb\n\
             nonsense line\n",
        );
        assert_eq!(k.ikev2.len(), 4);
        assert_eq!(k.ikev1.len(), 2);
        let cbc = &k.ikev2[&(
            spi8("a1a2a3a4a5a6a7a8").unwrap(),
            spi8("b1b2b3b4b5b6b7b8").unwrap(),
        )];
        assert_eq!((cbc.encr, cbc.key_bits), (EncrId::AES_CBC, Some(128)));
        assert_eq!(cbc.integ, Some(IntegId::HMAC_SHA1_96));
        let ccm = &k.ikev2[&(
            spi8("ea684d21597afd36").unwrap(),
            spi8("d9fe2ab22dac23ac").unwrap(),
        )];
        assert_eq!(
            (ccm.encr, ccm.key_bits, ccm.integ),
            (EncrId::AES_CCM_12, Some(128), None)
        );
        let pl = &k.ikev2[&(
            spi8("0001020304050607").unwrap(),
            spi8("c02e7a3031a03188").unwrap(),
        )];
        assert_eq!(pl.sk_er.len(), 16);
        assert_eq!(pl.sk_ai.len(), 20);
        let v1 = &k.ikev1[&spi8("3333333333333333").unwrap()];
        assert_eq!(
            (v1.encr, v1.key_bits, v1.hash),
            (Some(7), Some(128), Some(2))
        );
        assert_eq!(k.problems.len(), 1);
        assert_eq!(k.problems[0].1, 9);
    }

    #[test]
    fn any_bits_tables() {
        assert_eq!(
            integ_by_name("ANY 96 bits of Authentication [No Checking]"),
            Some(Err(12))
        );
    }
}
