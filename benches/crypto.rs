//! Cost of rike's crypto layer (the RustCrypto provider), per operation:
//!
//! * `ke/<method>/initiator`: key generation and shared secret on the
//!   initiator's side (`ke::start` + `complete` with the responder's value;
//!   for ML-KEM: key pair + decapsulation), and `ke/<method>/responder`
//!   (`ke::respond`: key generation + shared secret; for ML-KEM:
//!   encapsulation), for every key exchange method of the provider: MODP
//!   1, 2, 5, 14–18, ECP 19–21, X25519, X448, ML-KEM-512/768/1024. Fresh
//!   private values from the OS RNG on every iteration. (The ML-KEM
//!   initiator decapsulates a ciphertext made for another key: FIPS 203
//!   decapsulation does the same work either way.)
//! * `ikev2_keys/<prf>`: SKEYSEED = prf(Ni | Nr, g^ir) and the seven keys
//!   SK_d, SK_ai/ar, SK_ei/er, SK_pi/pr by prf+ (RFC 7296 §2.14), with
//!   32-octet nonces, a 256-octet g^ir and the key lengths of a typical
//!   suite for that PRF.
//! * `sk/<cipher>/seal` and `/open`: protection of a 1 KiB payload chain in
//!   an SK payload (`crypto::sk`: padding, IV, encryption, ICV or tag) and
//!   its verification and decryption.
//! * `sign/<key>/sign` and `/verify`: AUTH signatures over 1 KiB of signed
//!   octets (RSA-2048/3072 PKCS#1 v1.5 and PSS with SHA-256, ECDSA P-256
//!   and P-384, Ed25519), verification from the DER SubjectPublicKeyInfo.
//!
//! Operations slower than 50 µs are measured with 10 samples in flat
//! sampling mode, so that MODP-8192 and RSA signing fit in the time given.
//!
//! Quick run (CI): `cargo bench --bench crypto -- --warm-up-time 0.5
//! --measurement-time 1`; the README's table:
//! `cargo bench --bench crypto -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use rike::crypto::keymat_v2::{self, IkeKeys};
use rike::crypto::sign::{self, RsaSigner};
use rike::crypto::sk::SkDirection;
use rike::crypto::{
    ke, CryptoProvider, MacPrf, OsRandom, RustCrypto, RustCryptoVerifier, SeededRandom,
    SignatureScheme, Signer, Verifier,
};
use rike::wire::registry::{EncrId, IntegId, KeMethod, PrfId};

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// A group for one subject; `probe` is a run of its slowest operation,
/// timed (best of three) to choose the sampling.
fn group<'a>(c: &'a mut Criterion, name: &str, mut probe: impl FnMut()) -> Group<'a> {
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            probe();
            t.elapsed()
        })
        .min()
        .unwrap_or_default();
    let slow = best > Duration::from_micros(50);
    let mut g = c.benchmark_group(name);
    if slow {
        g.sampling_mode(SamplingMode::Flat).sample_size(10);
    }
    g
}

const KE_METHODS: &[(u16, &str)] = &[
    (1, "MODP-768"),
    (2, "MODP-1024"),
    (5, "MODP-1536"),
    (14, "MODP-2048"),
    (15, "MODP-3072"),
    (16, "MODP-4096"),
    (17, "MODP-6144"),
    (18, "MODP-8192"),
    (19, "ECP-256"),
    (20, "ECP-384"),
    (21, "ECP-521"),
    (31, "X25519"),
    (32, "X448"),
    (35, "ML-KEM-512"),
    (36, "ML-KEM-768"),
    (37, "ML-KEM-1024"),
];

fn key_exchange(c: &mut Criterion) {
    let mut rng = OsRandom::new();
    for &(id, name) in KE_METHODS {
        let m = KeMethod(id);
        assert!(ke::is_supported(m), "{name}");
        // The other side's values, made once.
        let init = ke::start(m, &mut rng).unwrap();
        let (resp_value, _) = ke::respond(m, init.public_value(), &mut rng).unwrap();
        let init_value = init.public_value().to_vec();
        let mut g = group(c, &format!("ke/{name}"), || {
            let _ = ke::respond(m, &init_value, &mut OsRandom::new()).unwrap();
        });
        g.bench_function("initiator", |b| {
            b.iter(|| {
                let a = ke::start(m, &mut rng).unwrap();
                black_box(a.complete(black_box(&resp_value)).unwrap())
            })
        });
        g.bench_function("responder", |b| {
            b.iter(|| black_box(ke::respond(m, black_box(&init_value), &mut rng).unwrap()))
        });
        g.finish();
    }
}

fn ikev2_keys(c: &mut Criterion) {
    // (PRF, label, SK_a length, SK_e length) of a typical suite.
    let prfs: &[(PrfId, &str, usize, usize)] = &[
        (PrfId::HMAC_SHA2_256, "HMAC-SHA2-256", 32, 32),
        (PrfId::HMAC_SHA2_384, "HMAC-SHA2-384", 48, 32),
        (PrfId::HMAC_SHA2_512, "HMAC-SHA2-512", 64, 32),
        (PrfId::AES128_XCBC, "AES128-XCBC", 16, 16),
        (PrfId::AES128_CMAC, "AES128-CMAC", 16, 16),
    ];
    let ni = [0x11u8; 32];
    let nr = [0x22u8; 32];
    let gir = [0x5au8; 256];
    let (spi_i, spi_r) = ([1u8; 8], [2u8; 8]);
    let mut g = c.benchmark_group("ikev2_keys");
    for &(id, name, integ, encr) in prfs {
        let prf = MacPrf::new(id).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| {
                let seed = keymat_v2::skeyseed(&prf, &ni, &nr, black_box(&gir)).unwrap();
                black_box(
                    IkeKeys::derive(&prf, seed.expose(), &ni, &nr, &spi_i, &spi_r, integ, encr)
                        .unwrap(),
                )
            })
        });
    }
    g.finish();
}

fn sk_payload(c: &mut Criterion) {
    let p = RustCrypto;
    let suites: &[(&str, EncrId, Option<u16>, Option<IntegId>)] = &[
        ("AES-GCM-16-128", EncrId::AES_GCM_16, Some(128), None),
        ("AES-GCM-16-256", EncrId::AES_GCM_16, Some(256), None),
        ("AES-CCM-16-128", EncrId::AES_CCM_16, Some(128), None),
        ("ChaCha20-Poly1305", EncrId::CHACHA20_POLY1305, None, None),
        (
            "AES-CBC-256+HMAC-SHA2-256-128",
            EncrId::AES_CBC,
            Some(256),
            Some(IntegId::HMAC_SHA2_256_128),
        ),
        (
            "3DES+HMAC-SHA1-96",
            EncrId::DES3,
            None,
            Some(IntegId::HMAC_SHA1_96),
        ),
    ];
    let chain = vec![0xa5u8; 1024];
    // IKE header + SK generic header; the lengths are not checked here.
    let prefix = vec![0x42u8; 28 + 4];
    let mut rng = SeededRandom::from_seed([7; 32]);
    for &(name, encr, bits, integ) in suites {
        let e = p.encryption(encr, bits).unwrap();
        let i = integ.map(|i| p.integrity(i).unwrap());
        let ek = vec![0x3cu8; e.key_len()];
        let ak = vec![0x6bu8; i.as_ref().map_or(0, |i| i.key_len())];
        let dir = SkDirection {
            encr: e.as_ref(),
            integ: i.as_deref(),
            ek: &ek,
            ak: &ak,
        };
        let mut sealed = prefix.clone();
        dir.seal(&mut sealed, &chain, &mut rng).unwrap();
        assert_eq!(sealed.len(), prefix.len() + dir.body_len(chain.len()));
        assert_eq!(dir.open(&sealed, prefix.len()).unwrap().chain_len, 1024);
        let mut g = c.benchmark_group(format!("sk/{name}"));
        g.bench_function("seal", |b| {
            b.iter(|| {
                let mut m = prefix.clone();
                dir.seal(&mut m, black_box(&chain), &mut rng).unwrap();
                black_box(m)
            })
        });
        g.bench_function("open", |b| {
            b.iter(|| black_box(dir.open(black_box(&sealed), prefix.len()).unwrap()))
        });
        g.finish();
    }
}

fn signatures(c: &mut Criterion) {
    let asym = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vectors/asym");
    let pem = |f: &str| sign::load_private_key(&std::fs::read(asym.join(f)).unwrap()).unwrap();
    let mut seeded = SeededRandom::from_seed([0x52; 32]);
    let mut rsa = |bits: usize| -> Box<dyn Signer> {
        let key = rsa::PrivateKey::new(&mut seeded, bits).unwrap();
        Box::new(RsaSigner::new(key).unwrap())
    };
    let rsa2048 = rsa(2048);
    let rsa3072 = rsa(3072);
    let keys: Vec<(&str, &dyn Signer, SignatureScheme)> = vec![
        (
            "RSA-2048-PKCS1-SHA256",
            rsa2048.as_ref(),
            SignatureScheme::RsaPkcs1Sha256,
        ),
        (
            "RSA-2048-PSS-SHA256",
            rsa2048.as_ref(),
            SignatureScheme::RsaPssSha256,
        ),
        (
            "RSA-3072-PKCS1-SHA256",
            rsa3072.as_ref(),
            SignatureScheme::RsaPkcs1Sha256,
        ),
        (
            "RSA-3072-PSS-SHA256",
            rsa3072.as_ref(),
            SignatureScheme::RsaPssSha256,
        ),
    ];
    let (p256, p384, ed) = (
        pem("ee-p256.key"),
        pem("inter-p384.key"),
        pem("ee-ed25519.key"),
    );
    let mut keys = keys;
    keys.push((
        "ECDSA-P256",
        p256.as_ref(),
        SignatureScheme::EcdsaP256Sha256,
    ));
    keys.push((
        "ECDSA-P384",
        p384.as_ref(),
        SignatureScheme::EcdsaP384Sha384,
    ));
    keys.push(("Ed25519", ed.as_ref(), SignatureScheme::Ed25519));
    let data = vec![0x17u8; 1024];
    let verifier = RustCryptoVerifier;
    for (name, key, scheme) in keys {
        let spki = key.public_key_spki();
        let sig = key.sign(scheme, &data).unwrap();
        verifier.verify(&spki, scheme, &data, &sig, false).unwrap();
        let mut g = group(c, &format!("sign/{name}"), || {
            let _ = key.sign(scheme, &data).unwrap();
        });
        g.bench_function("sign", |b| {
            b.iter(|| black_box(key.sign(scheme, black_box(&data)).unwrap()))
        });
        g.bench_function("verify", |b| {
            b.iter(|| {
                verifier
                    .verify(&spki, scheme, black_box(&data), black_box(&sig), false)
                    .unwrap()
            })
        });
        g.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    key_exchange(&mut c);
    ikev2_keys(&mut c);
    sk_payload(&mut c);
    signatures(&mut c);
    c.final_summary();
}
