//! What two endpoints agree on across the supported matrix: IKE suites
//! (key exchange, AEAD or cipher + integrity, PRF), ESP suites with and
//! without PFS, authentication (PSK; RSA, ECDSA and Ed25519 signatures,
//! RFC 7427 or the classic methods of RFC 7296 §3.8), identities of every
//! type, transport mode, IPv6. Each case establishes, rekeys the Child SA
//! and the IKE SA, and checks that both sides hold the same SAs and keys
//! and what went on the wire.

#[path = "common/engine_net.rs"]
mod engine_net;

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use engine_net::*;
use rike::crypto::{cert, load_private_key, Secret};
use rike::engine::{
    ChildSaInfo, Event, Identity, IpsecMode, LocalAuth, PeerConfig, ProposalSpec, RemoteAuth,
};
use rike::wire::registry::{AuthMethodV2, EncrId, ExchangeType, IntegId, KeMethod, NotifyTypeV2};

const AUTH: ExchangeType = ExchangeType::IKE_AUTH;

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/vectors/asym/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn der(name: &str) -> Vec<u8> {
    cert::certificate_der(&pem(name)).unwrap()
}

/// Signs with the key of `stem` (`ee-rsa`, `ee-p256`, `ee-ed25519`),
/// sending its certificate (and the intermediate when it is signed by
/// it).
fn signer(stem: &str) -> LocalAuth {
    let mut chain = vec![der(&format!("{stem}.pem"))];
    if stem != "ee-ed25519" {
        chain.push(der("inter.pem"));
    }
    LocalAuth::Signature {
        key: Arc::from(load_private_key(&pem(&format!("{stem}.key"))).unwrap()),
        chain,
    }
}

fn trust_root() -> RemoteAuth {
    RemoteAuth::Certificate {
        cas: vec![der("root.pem")],
    }
}

/// Establishes A → B, then rekeys the Child SA from A and the IKE SA from
/// B, and checks both sides agree after each step. Returns the network.
fn establish_and_rekey(ini: PeerConfig, resp: PeerConfig, ctx: &str) -> Net {
    let mut net = Net::new(
        endpoint(vec![ini], 1, |_| {}),
        endpoint(vec![resp], 2, |_| {}),
    );
    establish_rekey_on(&mut net, ctx);
    net
}

fn establish_rekey_on(net: &mut Net, ctx: &str) {
    let ha = connect(net);
    assert_eq!(
        ike_ups(&net.a.events),
        vec![ha],
        "{ctx}: {:?}",
        downs(&net.a.events)
    );
    let (_, hb, n) = assert_converged(net);
    assert_eq!(n, 1, "{ctx}");
    let c = net.a.ep.child_spis(ha)[0].0;
    net.a.ep.rekey_child(net.now, ha, c).unwrap();
    net.run(5_000);
    let (_, _, n) = assert_converged(net);
    assert_eq!(n, 1, "{ctx}");
    net.b.ep.rekey_ike(net.now, hb).unwrap();
    net.run(5_000);
    let (na, _, n) = assert_converged(net);
    assert_eq!(n, 1, "{ctx}");
    assert_ne!(na, ha, "{ctx}: the IKE SA was rekeyed");
    // The rekeyed IKE SA works: a Child rekey over it.
    let c = net.a.ep.child_spis(na)[0].0;
    net.a.ep.rekey_child(net.now, na, c).unwrap();
    net.run(5_000);
    assert_eq!(assert_converged(net).2, 1, "{ctx}");
    for events in [&net.a.events, &net.b.events] {
        assert_eq!(
            downs(events),
            vec![rike::engine::DownReason::Rekeyed],
            "{ctx}"
        );
        assert_eq!(assert_child_history(events).len(), 1, "{ctx}");
        assert_ike_history(events, &[ha]);
    }
}

/// The IKE SAs' key records (first and after the rekey) on A.
fn ike_records(net: &Net) -> Vec<rike::engine::IkeKeyRecord> {
    net.a.keys()
}

fn algorithms(events: &[Event]) -> String {
    events
        .iter()
        .find_map(|e| match e {
            Event::IkeSaUp { algorithms, .. } => Some(algorithms.clone()),
            _ => None,
        })
        .unwrap()
}

/// An IKE suite and what both sides must end up with.
struct IkeSuite {
    proposal: &'static str,
    encr: (EncrId, Option<u16>),
    integ: Option<IntegId>,
    /// SK_e (with salt) and SK_a lengths.
    keys: (usize, usize),
    /// What the description of the negotiated suite shows.
    names: &'static [&'static str],
}

#[test]
fn every_ike_suite_establishes_and_rekeys() {
    use EncrId as E;
    use IntegId as I;
    let s = |proposal, encr, integ, keys, names| IkeSuite {
        proposal,
        encr,
        integ,
        keys,
        names,
    };
    #[rustfmt::skip]
    let suites = [
        s("aes128gcm16-prfsha256-x25519", (E::AES_GCM_16, Some(128)), None, (20, 0),
          &["PRF_HMAC_SHA2_256", "Curve25519"]),
        s("aes256gcm16-prfsha256-ecp256", (E::AES_GCM_16, Some(256)), None, (36, 0),
          &["PRF_HMAC_SHA2_256", "256-bit random ECP"]),
        s("aes256gcm16-prfsha384-ecp384", (E::AES_GCM_16, Some(256)), None, (36, 0),
          &["PRF_HMAC_SHA2_384", "384-bit random ECP"]),
        s("aes256gcm16-prfsha512-ecp521", (E::AES_GCM_16, Some(256)), None, (36, 0),
          &["PRF_HMAC_SHA2_512", "521-bit random ECP"]),
        s("aes128gcm16-prfsha256-modp2048", (E::AES_GCM_16, Some(128)), None, (20, 0),
          &["PRF_HMAC_SHA2_256", "2048-bit MODP"]),
        s("aes128-sha256-x25519", (E::AES_CBC, Some(128)), Some(I::HMAC_SHA2_256_128), (16, 32),
          &["PRF_HMAC_SHA2_256"]),
        s("aes256-sha384-ecp256", (E::AES_CBC, Some(256)), Some(I::HMAC_SHA2_384_192), (32, 48),
          &["PRF_HMAC_SHA2_384"]),
        s("aes256-sha512-modp2048", (E::AES_CBC, Some(256)), Some(I::HMAC_SHA2_512_256), (32, 64),
          &["PRF_HMAC_SHA2_512"]),
        s("aes128ctr-sha256-x25519", (E::AES_CTR, Some(128)), Some(I::HMAC_SHA2_256_128), (20, 32),
          &["ENCR_AES_CTR"]),
        s("aes256ctr-sha384-x25519", (E::AES_CTR, Some(256)), Some(I::HMAC_SHA2_384_192), (36, 48),
          &["ENCR_AES_CTR"]),
        s("chacha20poly1305-prfsha256-x25519", (E::CHACHA20_POLY1305, None), None, (36, 0),
          &["CHACHA20"]),
        s("aes128-aesxcbc-x25519", (E::AES_CBC, Some(128)), Some(I::AES_XCBC_96), (16, 16),
          &["PRF_AES128_XCBC"]),
        s("aes128-aescmac-prfaescmac-x25519", (E::AES_CBC, Some(128)), Some(I::AES_CMAC_96),
          (16, 16), &["PRF_AES128_CMAC"]),
        s("aes256gcm16-prfsha1-x25519", (E::AES_GCM_16, Some(256)), None, (36, 0),
          &["PRF_HMAC_SHA1"]),
        s("aes256gcm16-prfsha512-x448", (E::AES_GCM_16, Some(256)), None, (36, 0),
          &["PRF_HMAC_SHA2_512", "Curve448"]),
    ];
    for IkeSuite {
        proposal,
        encr,
        integ,
        keys: (ek, ak),
        names,
    } in suites
    {
        let mut ini = initiator_peer();
        let mut resp = responder_peer();
        ini.ike = ProposalSpec::parse_list(proposal, true).unwrap();
        resp.ike = ini.ike.clone();
        let net = establish_and_rekey(ini, resp, proposal);
        let algs = algorithms(&net.a.events);
        assert_eq!(algs, algorithms(&net.b.events), "{proposal}");
        for n in names {
            assert!(algs.contains(n), "{proposal}: {algs}");
        }
        let records = ike_records(&net);
        assert_eq!(records.len(), 2, "{proposal}: the first SA and its rekey");
        for k in &records {
            assert_eq!((k.encr, k.integ), (encr, integ), "{proposal}");
            assert_eq!((k.sk_ei.len(), k.sk_ai.len()), (ek, ak), "{proposal}");
            assert_ne!(k.sk_ei.expose(), k.sk_er.expose(), "{proposal}");
        }
        assert_ne!(records[0].sk_ei.expose(), records[1].sk_ei.expose());
    }
}

#[test]
fn the_initiators_proposal_order_and_the_responders_preference() {
    // Several proposals each way: the responder takes its own first
    // choice that the initiator offers (RFC 7296 §2.7 leaves the choice to
    // it), and both agree.
    let mut ini = initiator_peer();
    ini.ike = ProposalSpec::parse_list(
        "aes128-sha256-modp2048,aes256gcm16-prfsha384-ecp384-x25519",
        true,
    )
    .unwrap();
    let mut resp = responder_peer();
    resp.ike = ProposalSpec::parse_list(
        "chacha20poly1305-prfsha256-x25519,aes256gcm16-prfsha384-x25519",
        true,
    )
    .unwrap();
    let net = establish_and_rekey(ini, resp, "order");
    let algs = algorithms(&net.a.events);
    assert!(
        algs.contains("AES_GCM_16_256") && algs.contains("Curve25519"),
        "{algs}"
    );
    // A's first IKE_SA_INIT offered modp2048 (its first proposal's
    // group), was told INVALID_KE_PAYLOAD(31) and retried with x25519.
    let inits = net.seen_since(0, |s| s.is(false, ExchangeType::IKE_SA_INIT, true));
    assert_eq!(inits.len(), 2);
    assert!(inits[0].has(NotifyTypeV2::INVALID_KE_PAYLOAD));
}

/// An ESP suite and what both sides must end up with.
struct EspSuite {
    proposal: &'static str,
    encr: (EncrId, Option<u16>),
    integ: Option<IntegId>,
    /// Encryption (with salt) and integrity key lengths.
    keys: (usize, usize),
    /// The key exchange of the rekeys (none in IKE_AUTH, §1.2).
    pfs: Option<KeMethod>,
    esn: bool,
}

/// ESP suites: algorithms, key lengths, PFS after a rekey.
#[test]
fn every_esp_suite_with_and_without_pfs() {
    use EncrId as E;
    use IntegId as I;
    use KeMethod as K;
    let s = |proposal, encr, integ, keys, pfs, esn| EspSuite {
        proposal,
        encr,
        integ,
        keys,
        pfs,
        esn,
    };
    #[rustfmt::skip]
    let suites = [
        s("aes128gcm16", (E::AES_GCM_16, Some(128)), None, (20, 0), None, false),
        s("aes256gcm16-x25519", (E::AES_GCM_16, Some(256)), None, (36, 0), Some(K::CURVE25519), false),
        s("aes256gcm16-esn", (E::AES_GCM_16, Some(256)), None, (36, 0), None, true),
        s("aes128-sha256", (E::AES_CBC, Some(128)), Some(I::HMAC_SHA2_256_128), (16, 32), None, false),
        s("aes256-sha384-ecp384", (E::AES_CBC, Some(256)), Some(I::HMAC_SHA2_384_192), (32, 48),
          Some(K::ECP_384), false),
        s("aes256-sha512-modp2048", (E::AES_CBC, Some(256)), Some(I::HMAC_SHA2_512_256), (32, 64),
          Some(K::MODP_2048), false),
        s("aes128ctr-sha256-ecp256", (E::AES_CTR, Some(128)), Some(I::HMAC_SHA2_256_128), (20, 32),
          Some(K::ECP_256), false),
        s("chacha20poly1305-x25519", (E::CHACHA20_POLY1305, None), None, (36, 0),
          Some(K::CURVE25519), false),
        s("aes128ccm16", (E::AES_CCM_16, Some(128)), None, (19, 0), None, false),
        s("aes256gcm16-mlkem768", (E::AES_GCM_16, Some(256)), None, (36, 0), Some(K::ML_KEM_768),
          false),
    ];
    for EspSuite {
        proposal,
        encr,
        integ,
        keys: (ek, ik),
        pfs,
        esn,
    } in suites
    {
        let mut ini = initiator_peer();
        let mut resp = responder_peer();
        ini.children[0].esp = ProposalSpec::parse_list(proposal, false).unwrap();
        resp.children[0].esp = ini.children[0].esp.clone();
        let net = establish_and_rekey(ini, resp, proposal);
        let ups = child_ups(&net.a.events);
        assert_eq!(ups.len(), 3, "{proposal}: IKE_AUTH, two rekeys");
        for (n, c) in ups.iter().enumerate() {
            assert_eq!(((c.encr, c.key_bits), c.integ), (encr, integ), "{proposal}");
            assert_eq!(
                (c.encr_key_in.len(), c.integ_key_in.len()),
                (ek, ik),
                "{proposal}"
            );
            assert_eq!(c.esn, esn, "{proposal}");
            // No key exchange in IKE_AUTH (§1.2); PFS in the rekeys.
            assert_eq!(c.pfs, if n == 0 { None } else { pfs }, "{proposal} #{n}");
        }
        // The rekeys carried a KE payload exactly when PFS applies.
        let kes = net.seen_since(0, |s| {
            s.is_child_rekey() && s.inner.iter().flatten().any(|p| matches!(p, Inner::Ke(_)))
        });
        assert_eq!(kes.len(), if pfs.is_some() { 2 } else { 0 }, "{proposal}");
    }
}

#[test]
fn esp_pfs_groups_must_agree_or_the_initiator_retries_with_the_wanted_one() {
    // A proposes x25519 first, B only takes ecp256: INVALID_KE_PAYLOAD in
    // CREATE_CHILD_SA, then the retry with the group B wants (§1.3).
    let mut ini = initiator_peer();
    ini.children[0].esp = ProposalSpec::parse_list("aes128gcm16-x25519-ecp256", false).unwrap();
    let mut resp = responder_peer();
    resp.children[0].esp = ProposalSpec::parse_list("aes128gcm16-ecp256", false).unwrap();
    let net = establish_and_rekey(ini, resp, "pfs");
    let refused = net.seen_since(0, |s| {
        s.is(false, ExchangeType::CREATE_CHILD_SA, true) && s.has(NotifyTypeV2::INVALID_KE_PAYLOAD)
    });
    assert_eq!(refused.len(), 2, "both rekeys from A were told once");
    let last = child_ups(&net.a.events).pop().unwrap();
    assert_eq!(last.pfs, Some(KeMethod::ECP_256));
}

fn auth_methods(net: &Net, from_a: bool) -> Vec<AuthMethodV2> {
    net.seen_since(0, |s| s.from_a == from_a && s.exchange == AUTH)
        .into_iter()
        .filter_map(Seen::auth)
        .collect()
}

/// Certificates both ways: (A's key, A's identity, B's key, B's
/// identity).
fn cert_pair(a_key: &str, a_id: Identity, b_key: &str, b_id: Identity) -> (PeerConfig, PeerConfig) {
    let mut a = initiator_peer();
    a.local_id = a_id.clone();
    a.remote_id = Some(b_id.clone());
    a.local_auth = signer(a_key);
    a.remote_auth = trust_root();
    let mut b = responder_peer();
    b.local_id = b_id;
    b.remote_id = Some(a_id);
    b.local_auth = signer(b_key);
    b.remote_auth = trust_root();
    (a, b)
}

#[test]
fn signatures_use_rfc_7427_when_both_announce_hashes() {
    for (a_key, a_id, b_key, b_id) in [
        ("ee-rsa", "gw.example.org", "ee-p256", "vpn.example.com"),
        (
            "ee-p256",
            "vpn.example.com",
            "ee-ed25519",
            "peer@example.net",
        ),
        ("ee-ed25519", "peer@example.net", "ee-rsa", "gw.example.org"),
    ] {
        let (a, b) = cert_pair(a_key, Identity::parse(a_id), b_key, Identity::parse(b_id));
        let net = establish_and_rekey(a, b, a_key);
        // SIGNATURE_HASH_ALGORITHMS both ways, then method 14 both ways.
        for from_a in [true, false] {
            let init = net.seen_since(0, |s| {
                s.from_a == from_a && s.exchange == ExchangeType::IKE_SA_INIT
            });
            assert!(init[0].has(NotifyTypeV2::SIGNATURE_HASH_ALGORITHMS));
            assert_eq!(
                auth_methods(&net, from_a),
                vec![AuthMethodV2::DIGITAL_SIGNATURE],
                "{a_key} ↔ {b_key}"
            );
        }
        let ids: Vec<(Identity, Identity)> = net
            .b
            .events
            .iter()
            .filter_map(|e| match e {
                Event::IkeSaUp {
                    local_id,
                    remote_id,
                    ..
                } => Some((local_id.clone(), remote_id.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![(Identity::parse(b_id), Identity::parse(a_id))]);
    }
}

/// B answers IKE_SA_INIT with a configuration that uses no signatures (so
/// no SIGNATURE_HASH_ALGORITHMS, RFC 7427 §4) and picks, by A's identity,
/// another one at IKE_AUTH that checks A's certificate; it proves itself
/// with a PSK.
fn without_hash_announcement(a_key: &str, a_id: &str) -> Net {
    let mut a = initiator_peer();
    a.local_id = Identity::parse(a_id);
    a.local_auth = signer(a_key);
    let mut first = responder_peer();
    first.name = "psk-only".into();
    first.remote_id = Some(Identity::parse("someone.else.example"));
    let mut certs = responder_peer();
    certs.name = "certs".into();
    certs.remote_id = Some(Identity::parse(a_id));
    certs.remote_auth = trust_root();
    let mut net = Net::new(
        endpoint(vec![a], 1, |_| {}),
        endpoint(vec![first, certs], 2, |_| {}),
    );
    establish_rekey_on(&mut net, a_key);
    let init = net.seen_since(0, |s| s.is(false, ExchangeType::IKE_SA_INIT, true));
    assert!(!init[0].has(NotifyTypeV2::SIGNATURE_HASH_ALGORITHMS));
    let peer: Vec<String> = net
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaUp { peer, .. } => Some(peer.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(peer, vec!["certs".to_string()]);
    net
}

#[test]
fn rsa_uses_the_classic_method_1_when_the_peer_announces_no_hashes() {
    let net = without_hash_announcement("ee-rsa", "gw.example.org");
    assert_eq!(auth_methods(&net, true), vec![AuthMethodV2::RSA_SIG]);
    assert_eq!(
        auth_methods(&net, false),
        vec![AuthMethodV2::SHARED_KEY_MIC]
    );
}

#[test]
fn ecdsa_uses_the_classic_method_9_when_the_peer_announces_no_hashes() {
    let net = without_hash_announcement("ee-p256", "vpn.example.com");
    assert_eq!(
        auth_methods(&net, true),
        vec![AuthMethodV2::ECDSA_SHA256_P256]
    );
}

#[test]
fn ed25519_needs_rfc_7427_even_when_the_peer_announces_no_hashes() {
    // RFC 8420 defines Ed25519 only through RFC 7427.
    let net = without_hash_announcement("ee-ed25519", "peer@example.net");
    assert_eq!(
        auth_methods(&net, true),
        vec![AuthMethodV2::DIGITAL_SIGNATURE]
    );
}

#[test]
fn every_identity_type_binds_to_a_certificate() {
    // ee-p256's subject and subjectAltNames: DNS vpn.example.com, email
    // ike@example.com, IP 192.0.2.1 and 2001:db8::1 (RFC 4945 §3.1).
    let subject = cert::parse_certificate(&der("ee-p256.pem"))
        .unwrap()
        .subject_dn;
    for id in [
        Identity::parse("vpn.example.com"),
        Identity::parse("ike@example.com"),
        Identity::parse("192.0.2.1"),
        Identity::parse("2001:db8::1"),
        Identity::Dn(subject),
    ] {
        let (a, b) = cert_pair(
            "ee-p256",
            id.clone(),
            "ee-rsa",
            Identity::parse("gw.example.org"),
        );
        let net = establish_and_rekey(a, b, &format!("{id}"));
        let seen = net.b.events.iter().find_map(|e| match e {
            Event::IkeSaUp { remote_id, .. } => Some(remote_id.clone()),
            _ => None,
        });
        assert_eq!(seen, Some(id));
    }
    // A subjectAltName of another type does not vouch: the RFC 822 name as
    // an FQDN, an address the certificate does not hold.
    for id in ["ike.example.com", "192.0.2.99"] {
        let id = Identity::parse(id);
        let (a, b) = cert_pair("ee-p256", id, "ee-rsa", Identity::parse("gw.example.org"));
        let mut net = Net::new(endpoint(vec![a], 1, |_| {}), endpoint(vec![b], 2, |_| {}));
        connect(&mut net);
        assert_eq!(
            downs(&net.a.events),
            vec![rike::engine::DownReason::AuthenticationFailed { by_peer: true }]
        );
    }
}

#[test]
fn every_identity_type_works_with_a_psk() {
    let dn = cert::parse_certificate(&der("ee-rsa.pem"))
        .unwrap()
        .subject_dn;
    let ids = [
        Identity::parse("198.51.100.7"),
        Identity::parse("2001:db8::7"),
        Identity::parse("a.example"),
        Identity::parse("alice@example.com"),
        Identity::Dn(dn),
        Identity::parse("@#0102a0b0c0"),
    ];
    for (n, a_id) in ids.iter().enumerate() {
        let b_id = &ids[(n + 1) % ids.len()];
        let mut a = initiator_peer();
        a.local_id = a_id.clone();
        a.remote_id = Some(b_id.clone());
        let mut b = responder_peer();
        b.local_id = b_id.clone();
        b.remote_id = Some(a_id.clone());
        let net = establish_and_rekey(a, b, &format!("{a_id}"));
        let pairs = |ev: &[Event]| {
            ev.iter()
                .find_map(|e| match e {
                    Event::IkeSaUp {
                        local_id,
                        remote_id,
                        ..
                    } => Some((local_id.clone(), remote_id.clone())),
                    _ => None,
                })
                .unwrap()
        };
        assert_eq!(pairs(&net.a.events), (a_id.clone(), b_id.clone()));
        assert_eq!(pairs(&net.b.events), (b_id.clone(), a_id.clone()));
        // IDr was sent too (B's identity wanted by A).
        let idr = net.seen_since(0, |s| s.is(true, AUTH, false));
        assert!(idr[0]
            .inner
            .iter()
            .flatten()
            .any(|p| *p == Inner::Other(rike::wire::registry::PayloadType::V2_IDR)));
    }
    // A asks for an identity B does not have (IDr, §2.15): B finds no
    // configuration and refuses.
    let mut a = initiator_peer();
    a.remote_id = Some(Identity::parse("b.example"));
    let mut b = responder_peer();
    b.local_id = Identity::parse("c.example");
    b.local_auth = LocalAuth::Psk(Secret::from_slice(b"correct horse"));
    let mut net = Net::new(endpoint(vec![a], 1, |_| {}), endpoint(vec![b], 2, |_| {}));
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![rike::engine::DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert!(ike_ups(&net.b.events).is_empty());
}

fn transport(mut p: PeerConfig) -> PeerConfig {
    p.children[0].mode = IpsecMode::Transport;
    p.children[0].local_ts = vec![];
    p.children[0].remote_ts = vec![];
    p
}

fn modes(net: &Net) -> Vec<(IpsecMode, IpsecMode)> {
    let a = child_ups(&net.a.events);
    let b = child_ups(&net.b.events);
    a.iter().zip(&b).map(|(x, y)| (x.mode, y.mode)).collect()
}

#[test]
fn transport_mode_is_used_only_when_both_ask_for_it() {
    let net = establish_and_rekey(
        transport(initiator_peer()),
        transport(responder_peer()),
        "t",
    );
    assert!(modes(&net)
        .iter()
        .all(|m| *m == (IpsecMode::Transport, IpsecMode::Transport)));
    // Host-to-host selectors from the addresses (§1.3.1 transport mode).
    let c: ChildSaInfo = child_ups(&net.a.events).pop().unwrap();
    assert_eq!(
        c.local_ts,
        vec![rike::engine::TrafficSelector::host(A_IP.into())]
    );
    assert_eq!(
        c.remote_ts,
        vec![rike::engine::TrafficSelector::host(B_IP.into())]
    );
    // USE_TRANSPORT_MODE in every request and answer that made one.
    let made = net.seen_since(0, |s| {
        matches!(
            s.exchange,
            ExchangeType::IKE_AUTH | ExchangeType::CREATE_CHILD_SA
        ) && s
            .inner
            .iter()
            .flatten()
            .any(|p| matches!(p, Inner::Sa { .. }))
            && !s.is_ike_rekey()
    });
    assert_eq!(made.len(), 6);
    assert!(made.iter().all(|s| s.has(NotifyTypeV2::USE_TRANSPORT_MODE)));
    // Only one side asking: tunnel on both.
    for (a, b) in [
        (transport(initiator_peer()), {
            let mut p = responder_peer();
            p.children[0].local_ts = vec![];
            p.children[0].remote_ts = vec![];
            p
        }),
        (
            {
                let mut p = initiator_peer();
                p.children[0].local_ts = vec![];
                p.children[0].remote_ts = vec![];
                p
            },
            transport(responder_peer()),
        ),
    ] {
        let net = establish_and_rekey(a, b, "one-sided");
        assert!(modes(&net)
            .iter()
            .all(|m| *m == (IpsecMode::Tunnel, IpsecMode::Tunnel)));
    }
}

#[test]
fn ipv6_endpoints_and_selectors() {
    let a_ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 0x10));
    let b_ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xb, 0, 0, 0, 0, 0x20));
    for mode in [IpsecMode::Tunnel, IpsecMode::Transport] {
        let mut a = initiator_peer();
        a.remote = Some(addr(b_ip, 500));
        a.children = vec![child("v6", "2001:db8:1::/48", "2001:db8:2::/48")];
        let mut b = responder_peer();
        b.children = vec![child("v6", "2001:db8:2::/48", "2001:db8:1::/48")];
        if mode == IpsecMode::Transport {
            a = transport(a);
            b = transport(b);
        }
        let mut net = Net::on(
            endpoint(vec![a], 1, |_| {}),
            a_ip,
            endpoint(vec![b], 2, |_| {}),
            b_ip,
        );
        establish_rekey_on(&mut net, "v6");
        let c = child_ups(&net.b.events).pop().unwrap();
        assert_eq!((c.local, c.remote), (addr(b_ip, 500), addr(a_ip, 500)));
        assert_eq!(c.mode, mode);
        assert!(c.local_ts.iter().chain(&c.remote_ts).all(|t| t.is_v6()));
        if mode == IpsecMode::Tunnel {
            assert_eq!(c.remote_ts, vec![ts("2001:db8:1::/48")]);
        } else {
            assert_eq!(c.remote_ts, vec![rike::engine::TrafficSelector::host(a_ip)]);
        }
        // Every datagram fits the IPv6 minimum MTU.
        assert!(net
            .a
            .sent
            .iter()
            .chain(&net.b.sent)
            .all(|t| t.data.len() + 48 <= 1280));
    }
}
