//! Decryption of captured IKE messages with known keys.
//!
//! IKEv2 (RFC 7296 §3.14, RFC 5282 §5.1): the SK payload holds IV,
//! ciphertext and ICV; non-AEAD ICVs cover the message from the header to
//! the end of the ciphertext; AEAD authenticates the header and everything
//! up to the SK payload's generic header as associated data. RFC 7383
//! fragments are decrypted one by one (their fragment numbers are part of
//! the AAD) and reassembled when the last one arrives.
//!
//! IKEv1 (RFC 2409 Appendix B): CBC over the body; the first phase-1 IV is
//! hash(g^xi | g^xr), later ones chain on the last ciphertext block; each
//! phase-2 or informational exchange starts from hash(last phase-1 block |
//! M-ID). The algorithm comes from the SA the responder chose in the
//! capture (or the key log). There is no ICV, so a wrong key shows as a
//! payload chain that does not parse — reported as such — or, with
//! SKEYID_a in the key log, as a HASH(1) mismatch.

use std::collections::{BTreeMap, HashMap};

use super::keys::{Ikev1Sa, Ikev2Sa, KeyStore};
use crate::crypto::keymat_v1::{self, Hash};
use crate::crypto::{ct_eq, Cipher, Encryption, Integrity, MacIntegrity, MacPrf, Secret};
use crate::wire::header::{Flags, Header, IkeVersion, HEADER_LEN, PAYLOAD_HEADER_LEN};
use crate::wire::message::{Message, PayloadIter};
use crate::wire::registry::{EncrId, PayloadType};
use crate::wire::{v1, Mode};

/// The verdict on a message's integrity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity2 {
    /// ICV, AEAD tag or IKEv1 HASH(1) verified.
    Correct,
    /// It did not verify: wrong key, or a damaged message.
    Incorrect,
    /// Nothing to check with ("ANY n bits" tables; IKEv1 without SKEYID_a).
    Unchecked,
}

/// A decrypted message or fragment.
#[derive(Clone, Debug)]
pub struct Decrypted {
    /// IV length at the start of the encrypted data (IKEv2).
    pub iv_len: usize,
    /// ICV/tag length at the end of the encrypted data (IKEv2).
    pub icv_len: usize,
    /// The verdict.
    pub integrity: Integrity2,
    /// The plaintext: payload chain, padding, pad length (IKEv2); payload
    /// chain and padding (IKEv1). Empty when decryption failed.
    pub plaintext: Vec<u8>,
    /// Length of the payload chain at the start of `plaintext`.
    pub payloads_len: usize,
    /// Type of the first payload inside.
    pub first: PayloadType,
    /// A problem worth telling the user ("wrong key?", bad padding …).
    pub problem: Option<String>,
    /// RFC 7383: when this fragment completed its message, the reassembled
    /// inner payload chain and its first payload type.
    pub reassembled: Option<(PayloadType, Vec<u8>)>,
    /// Description of the keys/algorithms used, for display.
    pub algorithm: String,
    /// An RFC 7383 fragment: its plaintext is a piece of a payload chain.
    pub fragment: bool,
}

/// What the walker asks when it meets encrypted content.
pub trait Decryptor {
    /// An IKEv2 SK (or SKF, with its fragment number and total) payload of
    /// `msg`; `sk` is the payload's bytes (generic header included).
    fn ikev2(
        &mut self,
        msg: &[u8],
        header: &Header,
        sk: &[u8],
        fragment: Option<(u16, u16)>,
    ) -> Option<Decrypted>;
    /// The body of an IKEv1 message with the Encryption flag.
    fn ikev1(&mut self, msg: &[u8], header: &Header) -> Option<Decrypted>;
}

/// No keys: nothing decrypts.
#[derive(Debug, Default)]
pub struct NoKeys;

impl Decryptor for NoKeys {
    fn ikev2(
        &mut self,
        _: &[u8],
        _: &Header,
        _: &[u8],
        _: Option<(u16, u16)>,
    ) -> Option<Decrypted> {
        None
    }
    fn ikev1(&mut self, _: &[u8], _: &Header) -> Option<Decrypted> {
        None
    }
}

/// What the capture taught about one IKEv1 phase 1.
#[derive(Clone, Debug, Default)]
struct V1Phase {
    /// Chosen transform: encryption algorithm, key bits, hash (IKEv1
    /// attribute values), from the responder's SA.
    encr: Option<u16>,
    key_bits: Option<u16>,
    hash: Option<u16>,
    /// KE payload data in the order seen: initiator's, then responder's.
    ke: Vec<Vec<u8>>,
    /// The IV for the next message of each message ID.
    next_iv: HashMap<u32, Vec<u8>>,
    /// Last ciphertext block of phase 1 (message ID 0).
    last_phase1_block: Option<Vec<u8>>,
    /// Quick Mode nonces by message ID (Ni_b, then Nr_b): HASH(2) and
    /// HASH(3) take them (RFC 2409 §5.5).
    qm_nonces: HashMap<u32, (Vec<u8>, Option<Vec<u8>>)>,
}

/// RFC 7383 fragment group: SPIs, message ID, I/R flags.
type FragmentKey = ([u8; 8], [u8; 8], u32, u8);
/// Declared total and the decrypted fragments by number (first payload
/// type, chain bytes).
type FragmentSet = (u16, HashMap<u16, (PayloadType, Vec<u8>)>);

/// IKEv1 fragments of one message: pieces by number, and the number of
/// the last once seen.
type V1FragmentSet = (BTreeMap<u8, Vec<u8>>, Option<u8>);

/// Decryption state of one capture.
#[derive(Debug, Default)]
pub struct Decryption {
    keys: KeyStore,
    v1: HashMap<[u8; 8], V1Phase>,
    /// Results by (frame, message hash), so that later passes over a frame
    /// see what the first pass saw, whatever the IV chain is by then.
    memo: HashMap<(u32, u64), Option<Decrypted>>,
    /// RFC 7383 fragments: (SPIs, MID, flags) → (total, number → plaintext).
    fragments: HashMap<FragmentKey, FragmentSet>,
    /// IKEv1 fragments (payload 132) by (CKY-I, fragment ID): the pieces
    /// and the number of the last, until the message is whole.
    v1_fragments: HashMap<([u8; 8], u16), V1FragmentSet>,
    /// IKEv1 results by message content: a retransmission (the same bytes
    /// again) was encrypted with the IV of the original and decrypts as
    /// the original did, without moving the IV chain.
    v1_by_content: HashMap<u64, Option<Decrypted>>,
    frame: u32,
    visited: bool,
}

const MEMO_LIMIT: usize = 1 << 18;

fn hash64(b: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

impl Decryption {
    /// A state using `keys`.
    pub fn new(keys: KeyStore) -> Self {
        Decryption {
            keys,
            ..Default::default()
        }
    }

    /// The keys.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Adds keys (from a file loaded later).
    pub fn keys_mut(&mut self) -> &mut KeyStore {
        &mut self.keys
    }

    /// Forgets what was learnt from the capture (keys stay).
    pub fn reset(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        *self = Decryption::new(keys);
    }

    /// Forgets the keys and every result obtained with them (decrypted
    /// messages, fragment plaintexts); what was learnt from cleartext
    /// messages and ciphertext (IKEv1 SAs, KE values, IV chains) stays.
    pub fn clear_keys(&mut self) {
        self.keys = KeyStore::default();
        self.memo.clear();
        self.fragments.clear();
        self.v1_by_content.clear();
    }

    /// Sets the frame about to be dissected.
    pub fn set_frame(&mut self, frame: u32, visited: bool) {
        self.frame = frame;
        self.visited = visited;
    }

    /// Learns from an unencrypted IKEv1 message: the chosen SA and the KE
    /// values (needed for IKEv1 IVs).
    pub fn observe(&mut self, ike: &[u8]) {
        if self.visited {
            return;
        }
        let Ok(msg) = Message::parse(ike, Mode::Lax) else {
            return;
        };
        if msg.version() != IkeVersion::V1 || msg.encrypted_v1_body().is_some() {
            return;
        }
        if !self.keys.ikev1.contains_key(&msg.header.ispi) {
            return;
        }
        if msg.header.next_payload == PayloadType::V1_FRAGMENT {
            self.v1_fragment(&msg);
            return;
        }
        let responder_chose = msg.header.rspi != [0; 8];
        let phase = self.v1.entry(msg.header.ispi).or_default();
        for p in msg.payloads().flatten() {
            match v1::decode(msg.bytes, &p, Mode::Lax) {
                Ok(v1::Payload::Sa(sa)) if responder_chose => {
                    // The responder's SA holds the one chosen transform.
                    let Some(Ok(prop)) = sa.proposals().next() else {
                        continue;
                    };
                    let Some(Ok(t)) = prop.transforms_v1().next() else {
                        continue;
                    };
                    for a in t.attributes().flatten() {
                        let v = a.as_u64().and_then(|v| u16::try_from(v).ok());
                        match a.attr_type {
                            1 => phase.encr = v,
                            2 => phase.hash = v,
                            14 => phase.key_bits = v,
                            _ => {}
                        }
                    }
                }
                Ok(v1::Payload::KeyExchange(ke))
                    if phase.ke.len() < 2 && !phase.ke.iter().any(|k| k == ke) =>
                {
                    phase.ke.push(ke.to_vec());
                }
                _ => {}
            }
        }
    }

    /// Collects an IKEv1 fragment; the whole message, once complete, goes
    /// through decryption (or observation) so that the phase 1 IV chain
    /// goes on past fragmented messages (MM5/MM6 with certificates).
    fn v1_fragment(&mut self, msg: &Message<'_>) {
        const MAX_PIECES: usize = 16;
        const MAX_BYTES: usize = 64 * 1024;
        let Some(Ok(p)) = msg.payloads().next() else {
            return;
        };
        let Ok(v1::Payload::Fragment(f)) = v1::decode(msg.bytes, &p, Mode::Lax) else {
            return;
        };
        let key = (msg.header.ispi, f.fragment_id);
        if !self.v1_fragments.contains_key(&key) && self.v1_fragments.len() >= MEMO_LIMIT {
            return;
        }
        let entry = self.v1_fragments.entry(key).or_default();
        let bytes: usize = entry.0.values().map(Vec::len).sum();
        if f.number == 0 || entry.0.len() >= MAX_PIECES || bytes + f.data.len() > MAX_BYTES {
            return;
        }
        entry.0.entry(f.number).or_insert_with(|| f.data.to_vec());
        if f.is_last() {
            entry.1 = Some(f.number);
        }
        let Some(last) = entry.1 else { return };
        if !entry.0.keys().copied().eq(1..=last) {
            return;
        }
        let Some((pieces, _)) = self.v1_fragments.remove(&key) else {
            return;
        };
        let whole: Vec<u8> = pieces.into_values().flatten().collect();
        let Ok(h) = Header::parse(&whole) else { return };
        if h.flags.has(crate::wire::header::Flags::ENCRYPTION) {
            let _ = Decryptor::ikev1(self, &whole, &h);
        } else {
            self.observe(&whole);
        }
    }

    fn memo(
        &mut self,
        key: (u32, u64),
        f: impl FnOnce(&mut Self) -> Option<Decrypted>,
    ) -> Option<Decrypted> {
        if let Some(r) = self.memo.get(&key) {
            return r.clone();
        }
        if self.visited {
            // Not seen on the first pass (e.g. dissected alone): no chain
            // state to rely on.
            return None;
        }
        let r = f(self);
        if self.memo.len() < MEMO_LIMIT {
            self.memo.insert(key, r.clone());
        }
        r
    }
}

fn encr_from_v1(encr: u16, key_bits: Option<u16>) -> Option<(EncrId, Option<u16>)> {
    // IKEv1 Encryption Algorithm attribute (RFC 2409 App. A).
    Some(match encr {
        1 => (EncrId::DES, None),
        5 => (EncrId::DES3, None),
        7 => (EncrId::AES_CBC, Some(key_bits.unwrap_or(128))),
        _ => return None,
    })
}

/// Splits the generic payload header off `sk` and the fragment numbers off
/// an SKF body.
fn sk_parts(sk: &[u8], fragment: bool) -> Option<(&[u8], &[u8])> {
    let fixed = PAYLOAD_HEADER_LEN + if fragment { 4 } else { 0 };
    (sk.len() >= fixed).then(|| sk.split_at(fixed))
}

impl Decryptor for Decryption {
    fn ikev2(
        &mut self,
        msg: &[u8],
        h: &Header,
        sk: &[u8],
        fragment: Option<(u16, u16)>,
    ) -> Option<Decrypted> {
        let sa = self.keys.ikev2.get(&(h.ispi, h.rspi))?.clone();
        let key = (self.frame, hash64(msg));
        self.memo(key, |me| {
            let mut d = decrypt_v2(&sa, msg, h, sk, fragment.is_some())?;
            d.fragment = fragment.is_some();
            if let (Some((number, total)), true) = (fragment, d.problem.is_none()) {
                d.reassembled = me.skf_collect(h, number, total, &d);
            }
            Some(d)
        })
    }

    fn ikev1(&mut self, msg: &[u8], h: &Header) -> Option<Decrypted> {
        let sa = self.keys.ikev1.get(&h.ispi)?.clone();
        let content = hash64(msg);
        self.memo((self.frame, content), |me| {
            if let Some(original) = me.v1_by_content.get(&content) {
                return original.clone();
            }
            let d = me.decrypt_v1(&sa, msg, h);
            if me.v1_by_content.len() < MEMO_LIMIT {
                me.v1_by_content.insert(content, d.clone());
            }
            d
        })
    }
}

impl Decryption {
    /// Stores a decrypted fragment; returns the whole message when this one
    /// completes it (only on the first pass: later passes see the memo).
    fn skf_collect(
        &mut self,
        h: &Header,
        number: u16,
        total: u16,
        d: &Decrypted,
    ) -> Option<(PayloadType, Vec<u8>)> {
        let k = (
            h.ispi,
            h.rspi,
            h.message_id,
            h.flags.0 & (Flags::INITIATOR | Flags::RESPONSE),
        );
        let entry = self
            .fragments
            .entry(k)
            .or_insert_with(|| (total, HashMap::new()));
        if entry.0 != total || number == 0 || number > total || entry.1.len() >= 1024 {
            return None;
        }
        entry
            .1
            .entry(number)
            .or_insert_with(|| (d.first, d.plaintext[..d.payloads_len].to_vec()));
        if entry.1.len() != usize::from(total) {
            return None;
        }
        let first = entry.1.get(&1)?.0;
        let mut whole = Vec::new();
        for n in 1..=total {
            whole.extend_from_slice(&entry.1.get(&n)?.1);
        }
        Some((first, whole))
    }

    fn decrypt_v1(&mut self, sa: &Ikev1Sa, msg: &[u8], h: &Header) -> Option<Decrypted> {
        let phase = self.v1.entry(h.ispi).or_default();
        let encr_attr = sa.encr.or(phase.encr)?;
        let hash_attr = sa.hash.or(phase.hash);
        let (encr, bits) = encr_from_v1(encr_attr, sa.key_bits.or(phase.key_bits))?;
        let cipher = Cipher::new(encr, bits).ok()?;
        let block = cipher.block_len();
        let body = msg.get(HEADER_LEN..)?;
        let algorithm = format!(
            "{encr} {}",
            bits.map(|b| format!("{b}-bit")).unwrap_or_default()
        );
        let mut out = Decrypted {
            iv_len: 0,
            icv_len: 0,
            integrity: Integrity2::Unchecked,
            plaintext: Vec::new(),
            payloads_len: 0,
            first: h.next_payload,
            problem: None,
            reassembled: None,
            algorithm,
            fragment: false,
        };
        if body.is_empty() || body.len() % block != 0 {
            out.problem = Some(format!(
                "encrypted body of {} bytes is not a multiple of the {block}-byte block",
                body.len()
            ));
            return Some(out);
        }
        // The IV: the chain of this message ID, or its start.
        let iv = match phase.next_iv.get(&h.message_id) {
            Some(iv) => iv.clone(),
            None => {
                let Some(hash) = hash_attr.and_then(|v| Hash::from_ike(v).ok()) else {
                    out.problem =
                        Some("hash algorithm unknown: the phase-1 SA was not seen".into());
                    return Some(out);
                };
                if h.message_id == 0 {
                    if phase.ke.len() < 2 {
                        out.problem =
                            Some("the KE payloads of phase 1 were not seen: no IV".into());
                        return Some(out);
                    }
                    keymat_v1::phase1_iv(hash, &phase.ke[0], &phase.ke[1], block)
                } else {
                    let Some(last) = phase.last_phase1_block.clone() else {
                        out.problem = Some("phase 1 was not seen: no IV for this exchange".into());
                        return Some(out);
                    };
                    keymat_v1::phase2_iv(hash, &last, h.message_id, block)
                }
            }
        };
        let key_len = cipher.key_len();
        if sa.key.len() < key_len {
            out.problem = Some(format!(
                "key of {} bytes; {encr} needs {key_len}",
                sa.key.len()
            ));
            return Some(out);
        }
        let Ok(plain) = cipher.decrypt(&sa.key.expose()[..key_len], &iv, &[], body) else {
            out.problem = Some("decryption failed".into());
            return Some(out);
        };
        // Chain the IV on the last ciphertext block.
        let last = body[body.len() - block..].to_vec();
        phase.next_iv.insert(h.message_id, last.clone());
        if h.message_id == 0 {
            phase.last_phase1_block = Some(last);
        }
        out.plaintext = plain.expose().to_vec();
        // The chain must parse, leaving less than a block of padding.
        let chain_len = chain_extent(&out.plaintext, h.next_payload);
        match chain_len {
            Some(n) if out.plaintext.len() - n < block.max(1) + 255 => {
                out.payloads_len = n;
            }
            _ => {
                out.payloads_len = 0;
                out.integrity = Integrity2::Incorrect;
                out.problem =
                    Some("the decrypted data is not a valid payload chain: wrong key or IV".into());
                return Some(out);
            }
        }
        // HASH(1) of phase-2 and informational messages, with SKEYID_a.
        if let (Some(a), Some(hash), true) = (
            &sa.skeyid_a,
            hash_attr.and_then(|v| Hash::from_ike(v).ok()),
            h.message_id != 0 && h.next_payload == PayloadType::HASH,
        ) {
            let chain = &out.plaintext[..out.payloads_len];
            let prior = if h.exchange_type == crate::wire::registry::ExchangeType::QUICK_MODE {
                qm_prior(&mut phase.qm_nonces, chain, h)
            } else {
                QmHash::One
            };
            if let Some(ok) = verify_hash1(chain, h, a, hash, &prior) {
                out.integrity = if ok {
                    Integrity2::Correct
                } else {
                    out.problem = Some("HASH(1) does not verify: wrong SKEYID_a".into());
                    Integrity2::Incorrect
                };
            }
        }
        Some(out)
    }
}

/// The length of the payload chain starting with `first` at the start of
/// `plain`, if it parses to a NONE terminator.
fn chain_extent(plain: &[u8], first: PayloadType) -> Option<usize> {
    let mut it = PayloadIter::new(plain, plain, first, IkeVersion::V1);
    let mut end = 0usize;
    for p in it.by_ref() {
        match p {
            Ok(p) => end = crate::wire::reader::offset_in(plain, p.raw) + p.raw.len(),
            Err(e) => {
                // Bytes after the NONE payload are the padding.
                return matches!(e.kind, crate::wire::ErrorKind::TrailingData(_)).then_some(end);
            }
        }
    }
    (end > 0).then_some(end)
}

/// Which hash a message of a Quick Mode carries.
enum QmHash {
    /// HASH(1) (and every Informational / Transaction hash).
    One,
    /// HASH(2), with the initiator's nonce.
    Two(Vec<u8>),
    /// HASH(3), with both nonces.
    Three(Vec<u8>, Vec<u8>),
}

/// The nonce body of a chain, if it has one.
fn chain_nonce(chain: &[u8], first: PayloadType) -> Option<Vec<u8>> {
    PayloadIter::new(chain, chain, first, IkeVersion::V1)
        .map_while(Result::ok)
        .find(|p| p.payload_type == PayloadType::NONCE)
        .map(|p| p.body.to_vec())
}

/// Places a Quick Mode message in its exchange by the nonces seen for its
/// message ID: the first nonce is Ni (HASH(1)), another one Nr (HASH(2)),
/// a message without a nonce after both is the third (HASH(3)).
/// Retransmissions carry the nonce they had.
fn qm_prior(
    nonces: &mut HashMap<u32, (Vec<u8>, Option<Vec<u8>>)>,
    chain: &[u8],
    h: &Header,
) -> QmHash {
    let n = chain_nonce(chain, h.next_payload);
    match (nonces.get_mut(&h.message_id), n) {
        (None, Some(n)) => {
            nonces.insert(h.message_id, (n, None));
            QmHash::One
        }
        (Some((ni, _)), Some(n)) if *ni == n => QmHash::One,
        (Some((ni, nr)), Some(n)) if nr.as_ref().is_none_or(|r| *r == n) => {
            *nr = Some(n);
            QmHash::Two(ni.clone())
        }
        (Some((ni, Some(nr))), None) => QmHash::Three(ni.clone(), nr.clone()),
        _ => QmHash::One,
    }
}

/// HASH(1) = prf(SKEYID_a, M-ID | everything after the HASH payload);
/// in Quick Mode also HASH(2) = prf(SKEYID_a, M-ID | Ni_b | the rest)
/// and HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
fn verify_hash1(
    chain: &[u8],
    h: &Header,
    skeyid_a: &Secret,
    hash: Hash,
    which: &QmHash,
) -> Option<bool> {
    let (hdr, _) = chain.split_at_checked(PAYLOAD_HEADER_LEN)?;
    let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    let received = chain.get(PAYLOAD_HEADER_LEN..len)?;
    let rest = chain.get(len..)?;
    let prf = MacPrf::new(hash.prf_id()).ok()?;
    let (a, mid) = (skeyid_a.expose(), h.message_id);
    let want = match which {
        QmHash::One => keymat_v1::hash1(&prf, a, mid, rest),
        QmHash::Two(ni) => keymat_v1::hash2(&prf, a, mid, ni, rest),
        QmHash::Three(ni, nr) => keymat_v1::hash3(&prf, a, mid, ni, nr),
    }
    .ok()?;
    Some(ct_eq(want.expose(), received))
}

/// Decrypts an IKEv2 SK/SKF payload.
fn decrypt_v2(
    sa: &Ikev2Sa,
    msg: &[u8],
    h: &Header,
    sk: &[u8],
    fragment: bool,
) -> Option<Decrypted> {
    let initiator = h.flags.has(Flags::INITIATOR);
    let (ek, ak) = if initiator {
        (&sa.sk_ei, &sa.sk_ai)
    } else {
        (&sa.sk_er, &sa.sk_ar)
    };
    let cipher = Cipher::new(sa.encr, sa.key_bits).ok()?;
    let integ: Option<MacIntegrity> = sa.integ.and_then(|i| MacIntegrity::new(i).ok());
    let icv_len = if cipher.is_aead() {
        cipher.icv_len()
    } else if let Some(i) = &integ {
        i.icv_len()
    } else {
        sa.unchecked_icv_len
    };
    let iv_len = cipher.iv_len();
    let algorithm = format!(
        "{}{}{}",
        sa.encr,
        sa.key_bits.map(|b| format!(" {b}-bit")).unwrap_or_default(),
        sa.integ.map(|i| format!(", {i}")).unwrap_or_default()
    );
    let mut out = Decrypted {
        iv_len,
        icv_len,
        integrity: Integrity2::Unchecked,
        plaintext: Vec::new(),
        payloads_len: 0,
        first: PayloadType(sk.first().copied().unwrap_or(0)),
        problem: None,
        reassembled: None,
        algorithm,
        fragment: false,
    };
    let (head, data) = sk_parts(sk, fragment)?;
    if data.len() < iv_len + icv_len + 1 {
        out.problem = Some("encrypted payload shorter than IV + ICV".into());
        return Some(out);
    }
    let sk_off = crate::wire::reader::offset_in(msg, sk);
    let iv = &data[..iv_len];
    let body_end = data.len() - icv_len;
    let ct = &data[iv_len..body_end];
    let icv = &data[body_end..];
    // Everything the ICV covers: the message up to the end of the
    // ciphertext (RFC 7296 §3.14).
    let covered = msg.get(..sk_off + head.len() + body_end)?;
    let plain = if cipher.is_aead() {
        // AAD: the message up to the end of the SK(F) header (RFC 5282 §5.1,
        // RFC 7383 §2.5: the fragment numbers are part of it).
        let aad = msg.get(..sk_off + head.len())?;
        match cipher.decrypt(ek.expose(), iv, aad, &data[iv_len..]) {
            Ok(p) => {
                out.integrity = Integrity2::Correct;
                p
            }
            Err(_) => {
                out.integrity = Integrity2::Incorrect;
                out.problem = Some("AEAD tag does not verify: wrong key".into());
                return Some(out);
            }
        }
    } else {
        if let Some(i) = &integ {
            // Decryption goes on after a bad ICV (CBC and CTR do not need
            // it), so the user can still see what the message says.
            let want = i.compute(ak.expose(), &[covered]).ok()?;
            out.integrity = if ct_eq(&want, icv) {
                Integrity2::Correct
            } else {
                out.problem = Some(format!(
                    "ICV does not verify (should be {}): wrong integrity key, or a damaged message",
                    crate::dissect::hex(&want)
                ));
                Integrity2::Incorrect
            };
        }
        match cipher.decrypt(ek.expose(), iv, &[], ct) {
            Ok(p) => p,
            Err(e) => {
                out.problem = Some(format!("cannot decrypt: {e}"));
                return Some(out);
            }
        }
    };
    let plain = plain.expose().to_vec();
    // Trailing pad length octet (RFC 7296 §3.14).
    let Some(&pad) = plain.last() else {
        out.problem = Some("empty plaintext".into());
        return Some(out);
    };
    let pad = usize::from(pad);
    if pad + 1 > plain.len() {
        out.problem = Some(format!(
            "pad length {pad} exceeds the plaintext: wrong key?"
        ));
        out.plaintext = plain;
        return Some(out);
    }
    out.payloads_len = plain.len() - pad - 1;
    out.plaintext = plain;
    // After a bad ICV the plaintext is shown only when it is a payload
    // chain (a damaged ICV, the right keys); data decrypted with a wrong
    // key is not dressed up as payloads. A fragment holds a piece of a
    // chain and cannot be checked.
    if out.integrity == Integrity2::Incorrect
        && !fragment
        && !v2_chain_ok(&out.plaintext[..out.payloads_len], out.first)
    {
        out.payloads_len = 0;
        if let Some(p) = &mut out.problem {
            p.push_str("; the decrypted data is no payload chain either: wrong encryption key too");
        }
    }
    Some(out)
}

/// Whether `chain` is exactly an IKEv2 payload chain starting with `first`.
fn v2_chain_ok(chain: &[u8], first: PayloadType) -> bool {
    if first == PayloadType::NONE {
        return chain.is_empty();
    }
    let mut end = 0usize;
    for p in PayloadIter::new(chain, chain, first, IkeVersion::V2) {
        match p {
            Ok(p) => end = crate::wire::reader::offset_in(chain, p.raw) + p.raw.len(),
            Err(_) => return false,
        }
    }
    end == chain.len() && end > 0
}
