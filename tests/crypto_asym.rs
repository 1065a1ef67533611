//! Asymmetric crypto against published vectors and OpenSSL-made data:
//! key exchange (RFC 5903, RFC 7748 X25519 and X448, Wycheproof, RFC 3526 primes, ML-KEM
//! round trips), signatures (RFC 8032, OpenSSL PKCS#1 v1.5 / raw / PSS /
//! ECDSA / Ed25519), RFC 7427 identifiers, X.509 parsing and chain
//! validation. Sources: tests/data/vectors/asym/README.md.

use std::path::PathBuf;

use rike::crypto::cert::{self, AltName, EkuPolicy};
use rike::crypto::ke;
use rike::crypto::sign::{self, Ed25519Signer};
use rike::crypto::{
    CryptoError, CryptoProvider, KeyExchange, RustCrypto, SeededRandom, SignatureScheme, Signer,
};
use rike::wire::registry::KeMethod;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/vectors/asym")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    assert!(s.len() % 2 == 0, "odd hex: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Non-comment lines of a vector file, split on whitespace.
fn rows(name: &str) -> Vec<Vec<String>> {
    String::from_utf8(read(name))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// A big-endian integer as exactly `n` bytes (drops leading zeros,
/// left-pads).
fn be_fixed(v: &[u8], n: usize) -> Vec<u8> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    let v = &v[first..];
    assert!(v.len() <= n);
    let mut out = vec![0u8; n - v.len()];
    out.extend_from_slice(v);
    out
}

// ------------------------------------------------------------ key exchange

#[test]
fn ecp_rfc5903_vectors() {
    let rs = rows("ecp_rfc5903.txt");
    assert_eq!(rs.len(), 3);
    for r in rs {
        let method = KeMethod(r[0].parse().unwrap());
        let (i, gi, rr, gr, gir) = (
            unhex(&r[1]),
            [unhex(&r[2]), unhex(&r[3])].concat(),
            unhex(&r[4]),
            [unhex(&r[5]), unhex(&r[6])].concat(),
            unhex(&r[7]),
        );
        let init = ke::start_with_private(method, &i).unwrap();
        assert_eq!(init.public_value(), &gi[..], "g^i, group {}", method.0);
        let resp = ke::start_with_private(method, &rr).unwrap();
        assert_eq!(resp.public_value(), &gr[..], "g^r, group {}", method.0);
        // RFC 5903 §7: the shared secret is the x coordinate of g^ir.
        assert_eq!(init.complete(&gr).unwrap().expose(), &gir[..]);
        assert_eq!(resp.complete(&gi).unwrap().expose(), &gir[..]);
    }
}

#[test]
fn x25519_rfc7748_vectors() {
    for r in rows("x25519_rfc7748.txt") {
        match r[0].as_str() {
            "dh" => {
                let a = ke::start_with_private(KeMethod::CURVE25519, &unhex(&r[1])).unwrap();
                assert_eq!(a.public_value(), &unhex(&r[2])[..]);
                let b = ke::start_with_private(KeMethod::CURVE25519, &unhex(&r[3])).unwrap();
                assert_eq!(b.public_value(), &unhex(&r[4])[..]);
                assert_eq!(
                    a.complete(&unhex(&r[4])).unwrap().expose(),
                    &unhex(&r[5])[..]
                );
                assert_eq!(
                    b.complete(&unhex(&r[2])).unwrap().expose(),
                    &unhex(&r[5])[..]
                );
            }
            "mul" => {
                let k = ke::start_with_private(KeMethod::CURVE25519, &unhex(&r[1])).unwrap();
                assert_eq!(
                    k.complete(&unhex(&r[2])).unwrap().expose(),
                    &unhex(&r[3])[..]
                );
            }
            other => panic!("unknown row {other}"),
        }
    }
}

/// X448(k, u) through the key-exchange API: k as the private value, u as
/// the peer's public value.
fn x448(k: &[u8], u: &[u8]) -> Vec<u8> {
    ke::start_with_private(KeMethod::CURVE448, k)
        .unwrap()
        .complete(u)
        .unwrap()
        .expose()
        .to_vec()
}

#[test]
fn x448_rfc7748_vectors() {
    let mut seen = [0usize; 3];
    for r in rows("x448_rfc7748.txt") {
        match r[0].as_str() {
            "dh" => {
                let a = ke::start_with_private(KeMethod::CURVE448, &unhex(&r[1])).unwrap();
                assert_eq!(a.public_value(), &unhex(&r[2])[..]);
                let b = ke::start_with_private(KeMethod::CURVE448, &unhex(&r[3])).unwrap();
                assert_eq!(b.public_value(), &unhex(&r[4])[..]);
                assert_eq!(
                    a.complete(&unhex(&r[4])).unwrap().expose(),
                    &unhex(&r[5])[..]
                );
                assert_eq!(
                    b.complete(&unhex(&r[2])).unwrap().expose(),
                    &unhex(&r[5])[..]
                );
                seen[0] += 1;
            }
            "mul" => {
                assert_eq!(x448(&unhex(&r[1]), &unhex(&r[2])), unhex(&r[3]));
                seen[1] += 1;
            }
            "iter" => {
                let n: usize = r[1].parse().unwrap();
                let mut k = vec![0u8; 56];
                k[0] = 5;
                let mut u = k.clone();
                for _ in 0..n {
                    let next = x448(&k, &u);
                    u = std::mem::replace(&mut k, next);
                }
                assert_eq!(k, unhex(&r[2]), "after {n} iterations");
                seen[2] += 1;
            }
            other => panic!("unknown row {other}"),
        }
    }
    assert_eq!(seen, [1, 2, 2]);
}

#[test]
fn wycheproof_x448() {
    let rs = rows("wycheproof_x448.txt");
    assert_eq!(rs.len(), 3);
    for r in rs {
        let (tc, public, private, shared) = (&r[0], unhex(&r[2]), unhex(&r[3]), unhex(&r[4]));
        assert_eq!(x448(&private, &public), shared, "tcId {tc}");
    }
}

#[test]
fn x448_agreement_through_the_provider() {
    let p = RustCrypto;
    let mut rng = SeededRandom::from_seed([32; 32]);
    let a = p.key_exchange(KeMethod::CURVE448, &mut rng).unwrap();
    assert_eq!(a.public_value().len(), 56);
    let (b_pub, b_sec) = p
        .key_exchange_respond(KeMethod::CURVE448, a.public_value(), &mut rng)
        .unwrap();
    assert_eq!(b_pub.len(), 56);
    assert_eq!(a.complete(&b_pub).unwrap(), b_sec);
    // The responder refuses a low-order initiator value (u = 1).
    let mut one = [0u8; 56];
    one[0] = 1;
    assert!(matches!(
        p.key_exchange_respond(KeMethod::CURVE448, &one, &mut rng),
        Err(CryptoError::InvalidPublicValue(_))
    ));
}

#[test]
fn wycheproof_ecdh_p256() {
    let (mut valid, mut invalid) = (0, 0);
    for r in rows("wycheproof_ecdh_secp256r1_ecpoint.txt") {
        let (tc, result, public, private, shared) =
            (&r[0], &r[1], unhex(&r[2]), unhex(&r[3]), unhex(&r[4]));
        let ike_public = public.get(1..).unwrap_or(&[]).to_vec(); // strip 0x04
        let k = ke::start_with_private(KeMethod::ECP_256, &be_fixed(&private, 32)).unwrap();
        let got = k.complete(&ike_public);
        match result.as_str() {
            "valid" => {
                assert_eq!(got.unwrap().expose(), &shared[..], "tcId {tc}");
                valid += 1;
            }
            _ => {
                assert!(
                    matches!(got, Err(CryptoError::InvalidPublicValue(_))),
                    "tcId {tc}: {got:?}"
                );
                invalid += 1;
            }
        }
    }
    assert_eq!((valid, invalid), (8, 17));
}

#[test]
fn wycheproof_x25519() {
    let mut zero = 0;
    for r in rows("wycheproof_x25519.txt") {
        let (tc, result, public, private) = (&r[0], &r[1], unhex(&r[2]), unhex(&r[3]));
        let k = ke::start_with_private(KeMethod::CURVE25519, &private).unwrap();
        let got = k.complete(&public);
        if result == "zero" {
            assert!(
                matches!(got, Err(CryptoError::InvalidPublicValue(_))),
                "tcId {tc}"
            );
            zero += 1;
        } else {
            assert_eq!(got.unwrap().expose(), &unhex(&r[4])[..], "tcId {tc}");
        }
    }
    assert_eq!(zero, 18);
}

#[test]
fn modp_primes_match_openssl_tables() {
    for r in rows("modp_primes_openssl.txt") {
        let method = KeMethod(r[0].parse().unwrap());
        let g = rike::crypto::modp::group(method).unwrap();
        assert_eq!(
            g.prime,
            &unhex(&r[1].to_lowercase())[..],
            "group {}",
            method.0
        );
    }
}

#[test]
fn modp_agreement_and_peer_checks() {
    let p = RustCrypto;
    for m in [1u16, 2, 5, 14, 15] {
        let method = KeMethod(m);
        let prime = rike::crypto::modp::group(method).unwrap().prime.to_vec();
        let n = prime.len();
        let mut rng = SeededRandom::from_seed([m as u8; 32]);
        let a = p.key_exchange(method, &mut rng).unwrap();
        let (b_pub, b_sec) = p
            .key_exchange_respond(method, a.public_value(), &mut rng)
            .unwrap();
        assert_eq!(b_pub.len(), n);
        let a_sec = a.complete(&b_pub).unwrap();
        assert_eq!(a_sec, b_sec);
        assert_eq!(a_sec.len(), n, "shared secret padded to the prime length");

        let mut one = vec![0u8; n];
        one[n - 1] = 1;
        let mut pm1 = prime.clone();
        pm1[n - 1] -= 1;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("0", vec![0u8; n]),
            ("1", one),
            ("p-1", pm1),
            ("p", prime.clone()),
            ("2^n - 1 > p", vec![0xFFu8; n]),
            ("short", vec![2u8; n - 1]),
            ("long", [vec![0u8], b_pub.clone()].concat()),
        ];
        for (what, v) in cases {
            let a = p.key_exchange(method, &mut rng).unwrap();
            assert!(
                matches!(a.complete(&v), Err(CryptoError::InvalidPublicValue(_))),
                "group {m}: {what} accepted"
            );
            assert!(
                p.key_exchange_respond(method, &v, &mut rng).is_err(),
                "group {m}: respond to {what}"
            );
        }
    }
}

#[test]
fn mlkem_round_trips_and_implicit_rejection() {
    let p = RustCrypto;
    for (m, ek_len, ct_len) in [(35u16, 800, 768), (36, 1184, 1088), (37, 1568, 1568)] {
        let method = KeMethod(m);
        let mut rng = SeededRandom::from_seed([0x40 + m as u8; 32]);
        let init = p.key_exchange(method, &mut rng).unwrap();
        assert_eq!(init.public_value().len(), ek_len);
        let ek = init.public_value().to_vec();
        // The responder encapsulates: its KE data is the ciphertext.
        let (ct, k_resp) = p.key_exchange_respond(method, &ek, &mut rng).unwrap();
        assert_eq!(ct.len(), ct_len);
        assert_eq!(k_resp.len(), 32);
        let k_init = init.complete(&ct).unwrap();
        assert_eq!(k_init, k_resp);

        // A tampered ciphertext decapsulates to a different secret.
        let init2 = ke::start_with_private(method, &[7u8; 64]).unwrap();
        let (mut ct2, k2) = ke::respond(method, init2.public_value(), &mut rng).unwrap();
        let last = ct2.len() - 1;
        ct2[last] ^= 0x80;
        let k2_bad = init2.complete(&ct2).unwrap();
        assert_ne!(k2_bad, k2);

        // FIPS 203 §7.2 modulus check (the Wycheproof "ModulusOverflow"
        // construction): first coefficient = q.
        let mut bad = ek.clone();
        bad[0] = 0x01;
        bad[1] = (bad[1] & 0xF0) | 0x0D;
        assert!(matches!(
            ke::respond(method, &bad, &mut rng),
            Err(CryptoError::InvalidPublicValue(_))
        ));
        assert!(ke::respond(method, &ek[..ek_len - 1], &mut rng).is_err());
        let init3 = ke::start_with_private(method, &[7u8; 64]).unwrap();
        assert!(init3.complete(&ct[..ct_len - 1]).is_err());
    }
}

// -------------------------------------------------------------- signatures

#[test]
fn ed25519_rfc8032_vectors() {
    let v = RustCrypto;
    for r in rows("ed25519_rfc8032.txt") {
        let sk: [u8; 32] = unhex(&r[0]).try_into().unwrap();
        let s = Ed25519Signer::from_seed(&sk);
        assert_eq!(s.public_key().to_vec(), unhex(&r[1]));
        let msg = unhex(&r[2]);
        let sig = s.sign(SignatureScheme::Ed25519, &msg).unwrap();
        assert_eq!(sig, unhex(&r[3]));
        v.verifier()
            .verify(
                &s.public_key_spki(),
                SignatureScheme::Ed25519,
                &msg,
                &sig,
                false,
            )
            .unwrap();
    }
}

fn ee_spki(pem: &str) -> Vec<u8> {
    let der = cert::certificate_der(&read(pem)).unwrap();
    cert::parse_certificate(&der).unwrap().spki
}

#[test]
fn rsa_known_answers_against_openssl() {
    let msg = read("msg.bin");
    let key = sign::load_private_key(&read("ee-rsa.key")).unwrap();
    let spki = ee_spki("ee-rsa.pem");
    assert_eq!(key.public_key_spki(), spki);
    let v = RustCrypto;
    let v = v.verifier();
    // PKCS#1 v1.5 is deterministic: byte-for-byte equal to OpenSSL.
    for (scheme, file) in [
        (SignatureScheme::RsaPkcs1Sha1, "ee-rsa.pkcs1-sha1.sig"),
        (SignatureScheme::RsaPkcs1Sha256, "ee-rsa.pkcs1-sha256.sig"),
        (SignatureScheme::RsaPkcs1Sha384, "ee-rsa.pkcs1-sha384.sig"),
        (SignatureScheme::RsaPkcs1Sha512, "ee-rsa.pkcs1-sha512.sig"),
    ] {
        let want = read(file);
        assert_eq!(key.sign(scheme, &msg).unwrap(), want, "{scheme:?}");
        v.verify(&spki, scheme, &msg, &want, false).unwrap();
        let mut bad = want.clone();
        bad[10] ^= 1;
        assert_eq!(
            v.verify(&spki, scheme, &msg, &bad, false),
            Err(CryptoError::BadSignature)
        );
    }
    // IKEv1 raw: type-1 padding over HASH_I, no DigestInfo.
    let hash_i = read("hash_i.bin");
    let want = read("ee-rsa.raw.sig");
    assert_eq!(
        key.sign(SignatureScheme::RsaPkcs1Raw, &hash_i).unwrap(),
        want
    );
    v.verify(&spki, SignatureScheme::RsaPkcs1Raw, &hash_i, &want, false)
        .unwrap();
    // …and it is not the DigestInfo form.
    assert!(v
        .verify(&spki, SignatureScheme::RsaPkcs1Sha1, &msg, &want, false)
        .is_err());
    // PSS is randomized: OpenSSL's verify with us, ours verify too.
    for (scheme, file) in [
        (SignatureScheme::RsaPssSha256, "ee-rsa.pss-sha256.sig"),
        (SignatureScheme::RsaPssSha384, "ee-rsa.pss-sha384.sig"),
        (SignatureScheme::RsaPssSha512, "ee-rsa.pss-sha512.sig"),
    ] {
        v.verify(&spki, scheme, &msg, &read(file), false).unwrap();
        let ours = key.sign(scheme, &msg).unwrap();
        assert_eq!(ours.len(), 256);
        v.verify(&spki, scheme, &msg, &ours, false).unwrap();
        assert!(v.verify(&spki, scheme, b"other", &ours, false).is_err());
    }
    // The other encodings of the same key load to the same key.
    let k2 = sign::load_private_key(&read("ee-rsa.pkcs1.pem")).unwrap();
    assert_eq!(k2.public_key_spki(), spki);
    assert!(key.sign(SignatureScheme::Ed25519, &msg).is_err());
    assert_eq!(key.schemes().len(), 8);
}

#[test]
fn ecdsa_against_openssl() {
    let msg = read("msg.bin");
    let v = RustCrypto;
    let v = v.verifier();
    let spki = ee_spki("ee-p256.pem");
    // OpenSSL's DER signature verifies (RFC 7427 form).
    let sig = read("ee-p256.sha256.der.sig");
    v.verify(&spki, SignatureScheme::EcdsaP256Sha256, &msg, &sig, true)
        .unwrap();
    assert!(v
        .verify(&spki, SignatureScheme::EcdsaP256Sha256, &msg, &sig, false)
        .is_err());
    for f in ["ee-p256.key", "ee-p256.sec1.pem", "ee-p256.pk8.der"] {
        let key = sign::load_private_key(&read(f)).unwrap();
        assert_eq!(key.public_key_spki(), spki, "{f}");
        assert_eq!(key.schemes(), &[SignatureScheme::EcdsaP256Sha256]);
        let raw = key.sign(SignatureScheme::EcdsaP256Sha256, &msg).unwrap();
        assert_eq!(raw.len(), 64, "auth method 9: r | s");
        v.verify(&spki, SignatureScheme::EcdsaP256Sha256, &msg, &raw, false)
            .unwrap();
        let der = key
            .sign_der(SignatureScheme::EcdsaP256Sha256, &msg)
            .unwrap();
        assert_eq!(der[0], 0x30);
        v.verify(&spki, SignatureScheme::EcdsaP256Sha256, &msg, &der, true)
            .unwrap();
        assert!(key.sign(SignatureScheme::EcdsaP384Sha384, &msg).is_err());
    }
    // Methods 9–11 tie the curve to the hash; RFC 7427 does not.
    assert!(v
        .verify(&spki, SignatureScheme::EcdsaP384Sha384, &msg, &sig, false)
        .is_err());

    // P-521 with SHA-512 (method 11): OpenSSL's signature, raw width 132.
    let key = sign::load_private_key(&read("ee-p521.key")).unwrap();
    let spki = ee_spki("ee-p521-codesign.pem");
    assert_eq!(key.public_key_spki(), spki);
    v.verify(
        &spki,
        SignatureScheme::EcdsaP521Sha512,
        &msg,
        &read("ee-p521.sha512.der.sig"),
        true,
    )
    .unwrap();
    let raw = key.sign(SignatureScheme::EcdsaP521Sha512, &msg).unwrap();
    assert_eq!(raw.len(), 132);
    v.verify(&spki, SignatureScheme::EcdsaP521Sha512, &msg, &raw, false)
        .unwrap();
    // Raw r | s (method 9) with a P-521 key is refused.
    assert!(v
        .verify(&spki, SignatureScheme::EcdsaP256Sha256, &msg, &raw, false)
        .is_err());

    // P-384 (method 10) via the intermediate's key.
    let key = sign::load_private_key(&read("inter-p384.key")).unwrap();
    let spki = ee_spki("inter.pem");
    let raw = key.sign(SignatureScheme::EcdsaP384Sha384, &msg).unwrap();
    assert_eq!(raw.len(), 96);
    v.verify(&spki, SignatureScheme::EcdsaP384Sha384, &msg, &raw, false)
        .unwrap();
}

#[test]
fn ed25519_against_openssl() {
    let msg = read("msg.bin");
    let spki = ee_spki("ee-ed25519.pem");
    for f in ["ee-ed25519.key", "ee-ed25519.pk8.der"] {
        let key = sign::load_private_key(&read(f)).unwrap();
        assert_eq!(key.public_key_spki(), spki, "{f}");
        // Deterministic: equal to OpenSSL's.
        assert_eq!(
            key.sign(SignatureScheme::Ed25519, &msg).unwrap(),
            read("ee-ed25519.sig")
        );
    }
    RustCrypto
        .verifier()
        .verify(
            &spki,
            SignatureScheme::Ed25519,
            &msg,
            &read("ee-ed25519.sig"),
            false,
        )
        .unwrap();
}

#[test]
fn rfc7427_auth_data() {
    let msg = read("msg.bin");
    let key = sign::load_private_key(&read("ee-rsa.key")).unwrap();
    let spki = ee_spki("ee-rsa.pem");
    for scheme in [
        SignatureScheme::RsaPkcs1Sha256,
        SignatureScheme::RsaPssSha384,
        SignatureScheme::RsaPkcs1Sha512,
    ] {
        let sig = key.sign_der(scheme, &msg).unwrap();
        let auth = sign::encode_auth_signature(scheme, &sig).unwrap();
        let (s, ai, parsed) = sign::parse_auth_signature(&auth).unwrap();
        assert_eq!(s, scheme);
        assert_eq!(Some(ai), sign::algorithm_identifier(scheme));
        RustCrypto
            .verifier()
            .verify(&spki, s, &msg, parsed, true)
            .unwrap();
    }
    // The identifiers of the certificates' own signatures parse too
    // (OpenSSL's RSASSA-PSS encoding included).
    for f in ["root.pem", "inter.pem", "ee-p256.pem", "ee-ed25519.pem"] {
        let der = cert::certificate_der(&read(f)).unwrap();
        // tbsCertificate, signatureAlgorithm, signature: take the second
        // element by skipping the first with a tiny DER walk.
        let ai = second_element(&der);
        let s = sign::scheme_from_algorithm_identifier(ai).unwrap();
        let want = match f {
            "root.pem" | "inter.pem" => SignatureScheme::RsaPkcs1Sha256,
            "ee-p256.pem" => SignatureScheme::EcdsaP384Sha384,
            _ => SignatureScheme::RsaPssSha256,
        };
        assert_eq!(s, want, "{f}");
    }
}

/// The second element of the top-level SEQUENCE of `der` (test helper;
/// lengths of up to 2 octets).
fn second_element(der: &[u8]) -> &[u8] {
    fn header(b: &[u8]) -> (usize, usize) {
        match b[1] {
            n if n < 0x80 => (2, n as usize),
            0x81 => (3, b[2] as usize),
            0x82 => (4, (b[2] as usize) << 8 | b[3] as usize),
            _ => panic!("long length"),
        }
    }
    let (h, _) = header(der);
    let body = &der[h..];
    let (h1, l1) = header(body);
    let rest = &body[h1 + l1..];
    let (h2, l2) = header(rest);
    &rest[..h2 + l2]
}

// ------------------------------------------------------------ certificates

fn der(name: &str) -> Vec<u8> {
    cert::certificate_der(&read(name)).unwrap()
}

#[test]
fn certificate_fields() {
    let ee = der("ee-p256.pem");
    let info = cert::parse_certificate(&ee).unwrap();
    assert_eq!(
        info.alt_names,
        vec![
            AltName::Dns("vpn.example.com".into()),
            AltName::Email("ike@example.com".into()),
            AltName::Ip("192.0.2.1".parse().unwrap()),
            AltName::Ip("2001:db8::1".parse().unwrap()),
        ]
    );
    // Subject DN DER contains the CN's UTF8/printable bytes.
    assert!(info.subject_dn.windows(15).any(|w| w == b"vpn.example.com"));
    let inter = cert::parse_certificate(&der("inter.pem")).unwrap();
    assert_eq!(info.issuer_dn, inter.subject_dn);
    // CERTREQ: SHA-1 of the CA's SubjectPublicKeyInfo.
    assert_eq!(inter.spki_sha1, cert::spki_sha1(&inter.spki));
    assert_ne!(inter.spki_sha1, info.spki_sha1);
    assert!(info.not_before < info.not_after);
    // The EE's key loads and matches.
    let key = sign::load_private_key(&read("ee-p256.key")).unwrap();
    assert_eq!(key.public_key_spki(), info.spki);
    // PEM with several certificates.
    let both = [read("ee-p256.pem"), read("inter.pem")].concat();
    let certs = cert::pem_certificates(&both).unwrap();
    assert_eq!(certs, vec![ee, der("inter.pem")]);
    // A DER input passes through certificate_der.
    assert_eq!(cert::certificate_der(&certs[1]).unwrap(), certs[1]);
}

struct Pki {
    root: Vec<u8>,
    other_root: Vec<u8>,
    inter: Vec<u8>,
    ee_p256: Vec<u8>,
    ee_rsa: Vec<u8>,
    ee_ed25519: Vec<u8>,
    ee_codesign: Vec<u8>,
    now: u64,
}

fn pki() -> Pki {
    let ee_p256 = der("ee-p256.pem");
    let info = cert::parse_certificate(&ee_p256).unwrap();
    Pki {
        root: der("root.pem"),
        other_root: der("other-root.pem"),
        inter: der("inter.pem"),
        ee_rsa: der("ee-rsa.pem"),
        ee_ed25519: der("ee-ed25519.pem"),
        ee_codesign: der("ee-p521-codesign.pem"),
        now: info.not_before + 86_400,
        ee_p256,
    }
}

#[test]
fn chain_validates() {
    let p = pki();
    // EE (P-256, signed ECDSA-SHA384 by a P-384 intermediate) → RSA root.
    cert::verify_chain(&p.ee_p256, &[&p.inter], &[&p.root], p.now, EkuPolicy::Ike).unwrap();
    cert::verify_chain(
        &p.ee_p256,
        &[&p.inter],
        &[&p.root],
        p.now,
        EkuPolicy::IpsecIke,
    )
    .unwrap();
    // RSA EE with serverAuth.
    cert::verify_chain(&p.ee_rsa, &[&p.inter], &[&p.root], p.now, EkuPolicy::Ike).unwrap();
    cert::verify_chain(
        &p.ee_rsa,
        &[&p.inter],
        &[&p.root],
        p.now,
        EkuPolicy::ServerAuth,
    )
    .unwrap();
    // Ed25519 EE signed RSASSA-PSS by the root, no EKU.
    cert::verify_chain(&p.ee_ed25519, &[], &[&p.root], p.now, EkuPolicy::IpsecIke).unwrap();
    // Several roots, unused intermediates: fine.
    cert::verify_chain(
        &p.ee_ed25519,
        &[&p.inter],
        &[&p.other_root, &p.root],
        p.now,
        EkuPolicy::Ike,
    )
    .unwrap();
}

#[test]
fn chain_rejections() {
    let p = pki();
    let cert_err = |r: Result<(), CryptoError>| match r {
        Err(CryptoError::Certificate(why)) => why,
        other => panic!("expected a certificate error, got {other:?}"),
    };
    // Untrusted root.
    let why = cert_err(cert::verify_chain(
        &p.ee_p256,
        &[&p.inter],
        &[&p.other_root],
        p.now,
        EkuPolicy::Ike,
    ));
    assert!(why.contains("UnknownIssuer"), "{why}");
    // Missing intermediate.
    cert_err(cert::verify_chain(
        &p.ee_p256,
        &[],
        &[&p.root],
        p.now,
        EkuPolicy::Ike,
    ));
    // Expired (after notAfter) and not yet valid.
    let info = cert::parse_certificate(&p.ee_p256).unwrap();
    let why = cert_err(cert::verify_chain(
        &p.ee_p256,
        &[&p.inter],
        &[&p.root],
        info.not_after + 1,
        EkuPolicy::Ike,
    ));
    assert!(why.contains("Expired"), "{why}");
    cert_err(cert::verify_chain(
        &p.ee_p256,
        &[&p.inter],
        &[&p.root],
        info.not_before - 1,
        EkuPolicy::Ike,
    ));
    // Wrong signature: flip a bit in the EE's signature value (the last
    // octet of the certificate).
    let mut forged = p.ee_p256.clone();
    let n = forged.len();
    forged[n - 1] ^= 1;
    cert_err(cert::verify_chain(
        &forged,
        &[&p.inter],
        &[&p.root],
        p.now,
        EkuPolicy::Ike,
    ));
    // … and in the RSA-PSS-signed one (signature is the last 256 octets).
    let mut forged = p.ee_ed25519.clone();
    let n = forged.len();
    forged[n - 100] ^= 1;
    cert_err(cert::verify_chain(
        &forged,
        &[],
        &[&p.root],
        p.now,
        EkuPolicy::Ike,
    ));
    // EKU: serverAuth is not ipsecIKE; codeSigning is no IKE usage.
    cert_err(cert::verify_chain(
        &p.ee_rsa,
        &[&p.inter],
        &[&p.root],
        p.now,
        EkuPolicy::IpsecIke,
    ));
    cert_err(cert::verify_chain(
        &p.ee_codesign,
        &[],
        &[&p.root],
        p.now,
        EkuPolicy::Ike,
    ));
    cert::verify_chain(&p.ee_codesign, &[], &[&p.root], p.now, EkuPolicy::Any).unwrap();
    // An end-entity certificate is no CA.
    cert_err(cert::verify_chain(
        &p.ee_p256,
        &[],
        &[&p.ee_rsa],
        p.now,
        EkuPolicy::Any,
    ));
    // Truncations of a good certificate never panic.
    for cut in (0..p.ee_p256.len()).step_by(37) {
        assert!(cert::parse_certificate(&p.ee_p256[..cut]).is_err());
        assert!(cert::verify_chain(
            &p.ee_p256[..cut],
            &[&p.inter],
            &[&p.root],
            p.now,
            EkuPolicy::Ike
        )
        .is_err());
    }
}

#[test]
fn private_key_loading_errors() {
    // A certificate is not a key; an encrypted key is refused with a reason.
    assert!(sign::load_private_key(&read("root.pem")).is_err());
    let enc = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    match sign::load_private_key(enc) {
        Err(CryptoError::Key(why)) => assert!(why.contains("encrypted"), "{why}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("encrypted key accepted"),
    }
    // Truncated DER keys: errors, not panics.
    let k = read("ee-p256.pk8.der");
    for cut in 0..k.len() {
        assert!(sign::load_private_key(&k[..cut]).is_err());
    }
}

#[test]
fn every_ke_method_through_the_provider() {
    let p = RustCrypto;
    let mut rng = SeededRandom::from_seed([0x99; 32]);
    for m in [19u16, 20, 21, 31, 32, 35, 36, 37] {
        let method = KeMethod(m);
        let a: Box<dyn KeyExchange> = p.key_exchange(method, &mut rng).unwrap();
        let (b_pub, b) = p
            .key_exchange_respond(method, a.public_value(), &mut rng)
            .unwrap();
        assert_eq!(a.complete(&b_pub).unwrap(), b, "method {m}");
    }
}
