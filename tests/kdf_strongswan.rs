//! Key derivation checked against a real implementation: strongSwan 5.9.8
//! negotiated the captures in tests/data/strongswan/ and logged every
//! secret it derived (see that directory's README). Nonces, cookies, SPIs
//! and messages come from the captures; the Diffie-Hellman secret and the
//! PSK from the log; every derived value must equal charon's.

mod common;

use std::collections::BTreeMap;

use common::*;
use rike::crypto::keymat_v1::{self, Hash, Phase1Keys};
use rike::crypto::keymat_v2::{self, ChildKeys, IkeKeys};
use rike::crypto::{MacPrf, Prf};
use rike::wire::registry::{PayloadType, PrfId};
use rike::wire::{Message, Mode};

type Values = BTreeMap<String, Vec<Vec<u8>>>;

fn values(scenario: &str, side: &str) -> Values {
    charon_values(&data_dir().join(format!("strongswan/{scenario}.{side}.json")))
}

fn one<'v>(v: &'v Values, label: &str) -> &'v [u8] {
    &v.get(label).unwrap_or_else(|| panic!("{label} not logged"))[0]
}

fn messages(scenario: &str) -> Vec<(u32, Vec<u8>)> {
    ike_messages(&data_dir().join(format!("strongswan/{scenario}.pcapng")))
}

/// The body of the first payload of `t` in an unencrypted message.
fn v1_payload(msg: &[u8], t: PayloadType) -> Vec<u8> {
    let m = Message::parse(msg, Mode::Strict).unwrap();
    m.payloads()
        .map(|p| p.unwrap())
        .find(|p| p.payload_type == t)
        .map(|p| p.body.to_vec())
        .unwrap_or_else(|| panic!("no payload {t}"))
}

#[test]
fn ikev1_main_mode_psk_keys_equal_strongswans() {
    let v = values("sw-v1-main", "initiator");
    let msgs = messages("sw-v1-main");
    // MM3 (initiator) and MM4 (responder) carry KE and nonce.
    let (mm3, mm4) = (&msgs[2].1, &msgs[3].1);
    let ni = v1_payload(mm3, PayloadType::NONCE);
    let nr = v1_payload(mm4, PayloadType::NONCE);
    let gxi = v1_payload(mm3, PayloadType::KE);
    let gxr = v1_payload(mm4, PayloadType::KE);
    let h = rike::wire::Header::parse(mm4).unwrap();
    let (cky_i, cky_r) = (h.ispi, h.rspi);
    let gxy = one(&v, "shared Diffie Hellman secret");
    let psk = b"interop-test-psk-0123456789";
    // aes256-sha256-modp2048: PRF HMAC-SHA-256, hash SHA-256.
    let prf = MacPrf::new(PrfId::HMAC_SHA2_256).unwrap();
    let skeyid = keymat_v1::skeyid_psk(&prf, psk, &ni, &nr).unwrap();
    assert_eq!(skeyid.expose(), one(&v, "SKEYID"));
    let k = Phase1Keys::derive(&prf, skeyid, gxy, &cky_i, &cky_r).unwrap();
    assert_eq!(k.skeyid_d.expose(), one(&v, "SKEYID_d"));
    assert_eq!(k.skeyid_a.expose(), one(&v, "SKEYID_a"));
    assert_eq!(k.skeyid_e.expose(), one(&v, "SKEYID_e"));
    assert_eq!(
        k.encryption_key(&prf, 32).unwrap().expose(),
        one(&v, "encryption key Ka")
    );
    assert_eq!(
        keymat_v1::phase1_iv(Hash::Sha256, &gxi, &gxr, 16),
        one(&v, "initial IV")
    );
    // HASH_I over the initiator's SA body and ID body (from MM1 and the
    // decrypted MM5: charon logged the whole input, whose tail is IDii_b).
    let sa_i = v1_payload(&msgs[0].1, PayloadType::SA);
    let hash_i_data = one(&v, "HASH_I data");
    let id_ii = &hash_i_data[gxi.len() + gxr.len() + 16 + sa_i.len()..];
    let hash_i = keymat_v1::hash_i_r(
        &prf,
        k.skeyid.expose(),
        true,
        &gxi,
        &gxr,
        &cky_i,
        &cky_r,
        &sa_i,
        id_ii,
    )
    .unwrap();
    assert_eq!(
        &hash_i_data[..gxi.len() + gxr.len() + 16 + sa_i.len()],
        [&gxi[..], &gxr, &cky_i, &cky_r, &sa_i].concat(),
        "HASH_I input layout"
    );
    assert_eq!(hash_i.expose(), one(&v, "HASH_I"));
    let hash_r = prf
        .compute(k.skeyid.expose(), &[one(&v, "HASH_R data")])
        .unwrap();
    assert_eq!(hash_r.expose(), one(&v, "HASH_R"));

    // Quick Mode KEYMAT with PFS: the seed charon logged is
    // g^xy(qm) | protocol | SPI | Ni_b | Nr_b.
    let seed = one(&v, "initiator SA seed");
    let g_qm = one(&v, "DH secret");
    assert_eq!(&seed[..g_qm.len()], g_qm);
    let protocol = seed[g_qm.len()];
    let spi = &seed[g_qm.len() + 1..g_qm.len() + 5];
    let (qni, qnr) = seed[g_qm.len() + 5..].split_at(32);
    let km = keymat_v1::keymat(
        &prf,
        k.skeyid_d.expose(),
        Some(g_qm),
        protocol,
        spi,
        qni,
        qnr,
        64,
    )
    .unwrap();
    let want = [
        one(&v, "encryption initiator key"),
        one(&v, "integrity initiator key"),
    ]
    .concat();
    let other = [
        one(&v, "encryption responder key"),
        one(&v, "integrity responder key"),
    ]
    .concat();
    assert!(
        km.expose() == &want[..] || km.expose() == &other[..],
        "KEYMAT matches neither direction"
    );
    // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
    let qm = Message::parse(&msgs[6].1, Mode::Lax).unwrap();
    let h3 = keymat_v1::hash3(&prf, k.skeyid_a.expose(), qm.header.message_id, qni, qnr).unwrap();
    assert_eq!(h3.expose(), one(&v, "Hash(3)"));
}

#[test]
fn ikev1_aggressive_mode_keys_equal_strongswans() {
    let v = values("sw-v1-aggr", "initiator");
    let msgs = messages("sw-v1-aggr");
    let (am1, am2) = (&msgs[0].1, &msgs[1].1);
    let ni = v1_payload(am1, PayloadType::NONCE);
    let nr = v1_payload(am2, PayloadType::NONCE);
    let gxi = v1_payload(am1, PayloadType::KE);
    let gxr = v1_payload(am2, PayloadType::KE);
    let h = rike::wire::Header::parse(am2).unwrap();
    // aes128-sha1-modp2048.
    let prf = MacPrf::new(PrfId::HMAC_SHA1).unwrap();
    let skeyid = keymat_v1::skeyid_psk(&prf, b"interop-test-psk-0123456789", &ni, &nr).unwrap();
    assert_eq!(skeyid.expose(), one(&v, "SKEYID"));
    let k = Phase1Keys::derive(
        &prf,
        skeyid,
        one(&v, "shared Diffie Hellman secret"),
        &h.ispi,
        &h.rspi,
    )
    .unwrap();
    assert_eq!(k.skeyid_e.expose(), one(&v, "SKEYID_e"));
    // SHA-1 gives 20 bytes: AES-128 needs 16, no expansion.
    assert_eq!(
        k.encryption_key(&prf, 16).unwrap().expose(),
        one(&v, "encryption key Ka")
    );
    assert_eq!(
        keymat_v1::phase1_iv(Hash::Sha1, &gxi, &gxr, 16),
        one(&v, "initial IV")
    );
    // In Aggressive Mode the responder's HASH_R travels in clear in AM2.
    let hash_r = v1_payload(am2, PayloadType::HASH);
    assert_eq!(hash_r, one(&v, "HASH_R"));
}

fn v2_payload(msg: &[u8], t: PayloadType) -> Vec<u8> {
    let m = Message::parse(msg, Mode::Strict).unwrap();
    m.payloads()
        .map(|p| p.unwrap())
        .find(|p| p.payload_type == t)
        .map(|p| p.body.to_vec())
        .unwrap_or_else(|| panic!("no payload {t}"))
}

fn ikev2_case(scenario: &str, prf_id: PrfId, integ_len: usize, encr_len: usize) {
    let v = values(scenario, "initiator");
    let msgs = messages(scenario);
    let (init, resp) = (&msgs[0].1, &msgs[1].1);
    let ni = v2_payload(init, PayloadType::V2_NONCE);
    let nr = v2_payload(resp, PayloadType::V2_NONCE);
    let h = rike::wire::Header::parse(resp).unwrap();
    let prf = MacPrf::new(prf_id).unwrap();
    let shared = one(&v, "shared Diffie Hellman secret");
    let skeyseed = keymat_v2::skeyseed(&prf, &ni, &nr, shared).unwrap();
    assert_eq!(
        skeyseed.expose(),
        one(&v, "SKEYSEED"),
        "{scenario} SKEYSEED"
    );
    let keys = IkeKeys::derive(
        &prf,
        skeyseed.expose(),
        &ni,
        &nr,
        &h.ispi,
        &h.rspi,
        integ_len,
        encr_len,
    )
    .unwrap();
    assert_eq!(keys.sk_d.expose(), one(&v, "Sk_d secret"));
    assert_eq!(keys.sk_ei.expose(), one(&v, "Sk_ei secret"));
    assert_eq!(keys.sk_er.expose(), one(&v, "Sk_er secret"));
    assert_eq!(keys.sk_pi.expose(), one(&v, "Sk_pi secret"));
    assert_eq!(keys.sk_pr.expose(), one(&v, "Sk_pr secret"));
    if integ_len > 0 {
        assert_eq!(keys.sk_ai.expose(), one(&v, "Sk_ai secret"));
        assert_eq!(keys.sk_ar.expose(), one(&v, "Sk_ar secret"));
    }
    // The initiator's AUTH: octets = IKE_SA_INIT request | Nr | prf(SK_pi,
    // IDi body). IDi' is the ID payload body charon logged.
    let id_i = &v["IDx'"][0];
    let octets = keymat_v2::signed_octets(&prf, init, &nr, keys.sk_pi.expose(), id_i).unwrap();
    assert_eq!(octets, v["octets = message + nonce + prf(Sk_px, IDx')"][0]);
    let auth = keymat_v2::psk_auth(&prf, b"interop-test-psk-0123456789", &octets).unwrap();
    assert_eq!(
        auth.expose(),
        &v["AUTH = prf(prf(secret, keypad), octets)"][0][..]
    );
    // The first Child SA (no PFS in IKE_AUTH): KEYMAT = prf+(SK_d, Ni | Nr).
    let child_encr = one(&v, "encryption initiator key").len();
    let child_integ = v.get("integrity initiator key").map_or(0, |k| k[0].len());
    let child = ChildKeys::derive(
        &prf,
        keys.sk_d.expose(),
        None,
        &ni,
        &nr,
        child_encr,
        child_integ,
    )
    .unwrap();
    let pairs = [
        (&child.encr_i, "encryption initiator key"),
        (&child.encr_r, "encryption responder key"),
    ];
    for (got, label) in pairs {
        assert_eq!(got.expose(), one(&v, label), "{scenario} {label}");
    }
    if child_integ > 0 {
        assert_eq!(child.integ_i.expose(), one(&v, "integrity initiator key"));
        assert_eq!(child.integ_r.expose(), one(&v, "integrity responder key"));
    }
}

#[test]
fn ikev2_gcm_x25519_keys_equal_strongswans() {
    // aes256gcm16-prfsha256-x25519; ESP aes256gcm16.
    ikev2_case("sw-v2-gcm", PrfId::HMAC_SHA2_256, 0, 36);
}

#[test]
fn ikev2_cbc_modp2048_keys_equal_strongswans() {
    // aes256-sha256-modp2048: PRF and integrity HMAC-SHA-256.
    ikev2_case("sw-v2-cbc", PrfId::HMAC_SHA2_256, 32, 32);
}

#[test]
fn ikev2_chacha20_poly1305_ecp256_keys_equal_strongswans() {
    // chacha20poly1305-prfsha512-ecp256: no integrity transform; SK_e is
    // 32 key octets + 4 salt octets (RFC 7634 §2); ESP chacha20poly1305.
    ikev2_case("sw-v2-chapoly", PrfId::HMAC_SHA2_512, 0, 36);
    let v = values("sw-v2-chapoly", "initiator");
    // RFC 5903 §7: the ECP shared secret is the x coordinate, 32 octets.
    assert_eq!(one(&v, "shared Diffie Hellman secret").len(), 32);
    assert_eq!(one(&v, "encryption initiator key").len(), 36);
    assert!(!v.contains_key("integrity initiator key"));
}
