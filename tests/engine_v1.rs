//! IKEv1 (RFC 2409) between two engines on the simulated network of
//! `common/engine_net.rs`: Main Mode with pre-shared keys and with RSA and
//! ECDSA certificates, Aggressive Mode, Quick Mode with and without PFS
//! and with several proposals, the commit bit, responder lifetimes,
//! Informational deletes, DPD, NAT traversal through a NAT, XAUTH and
//! Mode-Config (pull and push, configured and asked of the application),
//! IKEv1 fragmentation at a small MTU, phase 1 and phase 2 rekeys — each
//! under loss, duplication and reordering where it matters. Known-answer
//! checks: the logged keys verify the HASH payloads and decrypt the
//! messages as RFC 2409 says, ESP KEYMAT equals `keymat_v1`'s, and the
//! dissector decrypts a capture of the exchange with the exported keys.

#[path = "common/engine_net.rs"]
mod engine_net;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use engine_net::*;
use rike::crypto::keymat_v1::{self, Hash};
use rike::crypto::{load_private_key, MacPrf, Secret};
use rike::engine::{
    ChildSaInfo, Config, DownReason, DpdAction, Event, Identity, Ikev1KeyRecord, IpsecMode,
    LocalAuth, ModeConfigRole, PeerConfig, ProposalSpec, RemoteAuth, RequestId, SaHandle,
    V1Options, XauthRole,
};
use rike::wire::header::{Flags, Header, HEADER_LEN};
use rike::wire::registry::{
    EncrId, ExchangeType, IntegId, KeMethod, NotifyTypeV1, NotifyTypeV2, PayloadType, PrfId,
};
use rike::wire::transport::NON_ESP_MARKER;

fn v1(mut p: PeerConfig, opts: V1Options) -> PeerConfig {
    p.ikev1 = Some(opts);
    p.ike = ProposalSpec::parse_list("aes256-sha256-modp2048,aes128-sha1-modp2048", true).unwrap();
    for c in &mut p.children {
        c.esp =
            ProposalSpec::parse_list("aes256-sha256-modp2048,aes128gcm16-modp2048", false).unwrap();
    }
    p
}

fn ini() -> PeerConfig {
    v1(initiator_peer(), V1Options::default())
}

fn resp() -> PeerConfig {
    v1(responder_peer(), V1Options::default())
}

fn net_of(a: PeerConfig, b: PeerConfig) -> Net {
    Net::new(endpoint(vec![a], 1, |_| {}), endpoint(vec![b], 2, |_| {}))
}

fn v1_keys(events: &[Event]) -> Vec<Ikev1KeyRecord> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Ikev1Keys(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// One ISAKMP SA each, up, the same cookies and keys, agreeing IPsec SAs.
fn converged(net: &Net) -> (SaHandle, SaHandle, usize) {
    let (sa, sb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
    assert!(net.a.ep.is_established(sa), "A not up");
    assert!(net.b.ep.is_established(sb), "B not up");
    let spis = net.a.ep.ike_spis(sa).unwrap();
    assert_eq!(Some(spis), net.b.ep.ike_spis(sb));
    let line = |ev: &[Event]| {
        v1_keys(ev)
            .into_iter()
            .find(|k| (k.cky_i, k.cky_r) == spis)
            .map(|k| k.key_log_line())
    };
    assert!(line(&net.a.events).is_some());
    assert_eq!(line(&net.a.events), line(&net.b.events), "keys differ");
    let n = assert_children_agree(net, sa, sb);
    for (id, spi_in, _) in net.a.ep.child_spis(sa) {
        let a = net.a.child_info(id).expect("announced on A");
        let (bid, _, _) = net
            .b
            .ep
            .child_spis(sb)
            .into_iter()
            .find(|(_, _, o)| *o == spi_in)
            .unwrap();
        let b = net.b.child_info(bid).expect("announced on B");
        assert_child_pair(&a, &b);
    }
    (sa, sb, n)
}

/// The IKE messages of a side (marker stripped) with their headers.
fn messages(sent: &[rike::engine::Transmit]) -> Vec<(Header, Vec<u8>)> {
    sent.iter()
        .filter_map(|t| {
            let ike = t.data.strip_prefix(&NON_ESP_MARKER[..]).unwrap_or(&t.data);
            Header::parse(ike).ok().map(|h| (h, ike.to_vec()))
        })
        .collect()
}

#[test]
fn main_mode_psk_and_quick_mode_with_pfs() {
    let mut net = net_of(ini(), resp());
    let h = connect(&mut net);
    assert_eq!(ike_ups(&net.a.events), vec![h]);
    assert_eq!(ike_ups(&net.b.events).len(), 1);
    let (_, _, n) = converged(&net);
    assert_eq!(n, 1);
    let a = &child_ups(&net.a.events)[0];
    assert_eq!(a.encr, EncrId::AES_CBC);
    assert_eq!(a.key_bits, Some(256));
    assert_eq!(a.integ, Some(IntegId::HMAC_SHA2_256_128));
    assert_eq!(a.pfs, Some(KeMethod(14)));
    assert_eq!(a.local_ts, vec![ts("10.1.0.0/16")]);
    assert!(!a.encap);
    // Six Main Mode messages and three of Quick Mode, nothing else.
    let all: Vec<(Header, Vec<u8>)> = messages(&net.a.sent)
        .into_iter()
        .chain(messages(&net.b.sent))
        .collect();
    let count = |e: ExchangeType| all.iter().filter(|(h, _)| h.exchange_type == e).count();
    assert_eq!(count(ExchangeType::IDENTITY_PROTECTION), 6);
    assert_eq!(count(ExchangeType::QUICK_MODE), 3);
    assert_eq!(all.len(), 9);
    // The algorithms of the ISAKMP SA.
    let algs = net
        .a
        .events
        .iter()
        .find_map(|e| match e {
            Event::IkeSaUp { algorithms, .. } => Some(algorithms.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        algs,
        "ENCR_AES_CBC_256/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/2048-bit MODP Group"
    );
}

#[test]
fn main_mode_survives_loss_duplication_and_reordering() {
    type F = Box<dyn FnMut(&Sent<'_>) -> Fate>;
    let cases: Vec<(&str, F)> = vec![
        (
            "every third datagram lost",
            Box::new(|s: &Sent<'_>| {
                if s.n % 3 == 0 {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            }),
        ),
        ("all duplicated", Box::new(|_: &Sent<'_>| Fate::Duplicate)),
        (
            "reordered",
            Box::new(|s: &Sent<'_>| {
                if s.n % 3 == 0 {
                    Fate::Delay(1500)
                } else {
                    Fate::Duplicate
                }
            }),
        ),
        (
            "first four lost",
            Box::new(|s: &Sent<'_>| if s.n < 4 { Fate::Drop } else { Fate::Deliver }),
        ),
        (
            "the last message of each exchange lost once",
            Box::new(|s: &Sent<'_>| {
                if [5, 8].contains(&s.n) {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            }),
        ),
    ];
    for (name, fate) in cases {
        let mut net = net_of(ini(), resp());
        net.fate = fate;
        let h = connect(&mut net);
        assert_eq!(ike_ups(&net.a.events), vec![h], "{name}");
        assert_eq!(ike_ups(&net.b.events).len(), 1, "{name}");
        let (_, _, n) = converged(&net);
        assert_eq!(n, 1, "{name}");
        assert!(downs(&net.a.events).is_empty(), "{name}");
        assert!(downs(&net.b.events).is_empty(), "{name}");
        assert_child_history(&net.a.events);
        assert_child_history(&net.b.events);
        // Duplicates do not echo forever: quiet after the exchanges.
        let before = net.a.sent.len() + net.b.sent.len();
        net.fate = Box::new(|_| Fate::Deliver);
        net.run(120_000);
        assert_eq!(net.a.sent.len() + net.b.sent.len(), before, "{name}");
    }
}

#[test]
fn an_unanswered_initiator_gives_up_after_its_retransmissions() {
    let mut net =
        net_of(ini(), resp()).with_fate(|s| if s.from_a { Fate::Drop } else { Fate::Deliver });
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    net.run(120_000);
    assert_eq!(net.a.sent.len(), 6);
    let gaps: Vec<u64> = net.a.sent_at.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, vec![1000, 1800, 3240, 5832, 10497]);
    assert_eq!(downs(&net.a.events), vec![DownReason::Timeout]);
    assert_eq!(net.a.ep.sa_count(), 0);
    assert_eq!(net.b.ep.sa_count(), 0);
}

#[test]
fn a_wrong_pre_shared_key_fails_on_both_sides() {
    let mut a = ini();
    a.local_auth = LocalAuth::Psk(Secret::from_slice(b"wrong"));
    a.remote_auth = RemoteAuth::Psk(Secret::from_slice(b"wrong"));
    let mut net = net_of(a, resp());
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert!(ike_ups(&net.b.events).is_empty());
    assert!(child_ups(&net.a.events).is_empty() && child_ups(&net.b.events).is_empty());
    assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
}

#[test]
fn no_common_proposal_is_reported() {
    let mut b = resp();
    b.ike = ProposalSpec::parse_list("3des-md5-modp1024", true).unwrap();
    let mut net = net_of(ini(), b);
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::NotifyV1(NotifyTypeV1::NO_PROPOSAL_CHOSEN)]
    );
    assert_eq!(net.b.ep.sa_count(), 0);
}

#[test]
fn the_application_supplies_the_pre_shared_key_on_request() {
    let mut b = resp();
    b.remote_auth = RemoteAuth::AskPsk;
    b.local_auth = LocalAuth::Psk(Secret::from_slice(b"unused"));
    b.remote_id = None;
    let mut net = net_of(ini(), b);
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    net.run(200);
    let (request, sa, id) = net
        .b
        .events
        .iter()
        .find_map(|e| match e {
            Event::PskRequest {
                request,
                sa,
                peer_id,
            } => Some((*request, *sa, peer_id.clone())),
            _ => None,
        })
        .expect("a PSK request");
    // Main Mode hides the identity until the key is known: the address.
    assert_eq!(id, Identity::Ipv4(A_IP));
    assert!(net
        .b
        .ep
        .provide_psk(net.now, sa, RequestId(request.0 + 9), None)
        .is_err());
    net.b
        .ep
        .provide_psk(
            net.now,
            sa,
            request,
            Some(Secret::from_slice(b"correct horse")),
        )
        .unwrap();
    net.run(10_000);
    converged(&net);
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/vectors/asym/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn der(name: &str) -> Vec<u8> {
    rike::crypto::cert::certificate_der(&pem(name)).unwrap()
}

/// Both ends sign with the same kind of key (IKEv1 negotiates one
/// method for both): `key`/`cert` with the identity the certificate names.
fn cert_pair(key: &str, cert: &str, id: &str) -> (PeerConfig, PeerConfig) {
    let root = der("root.pem");
    let mut out = Vec::new();
    for mut p in [ini(), resp()] {
        p.local_id = Identity::parse(id);
        p.remote_id = Some(Identity::parse(id));
        p.local_auth = LocalAuth::Signature {
            key: Arc::from(load_private_key(&pem(key)).unwrap()),
            chain: vec![der(cert), der("inter.pem")],
        };
        p.remote_auth = RemoteAuth::Certificate {
            cas: vec![root.clone()],
        };
        out.push(p);
    }
    let b = out.pop().unwrap();
    (out.pop().unwrap(), b)
}

#[test]
fn main_mode_with_rsa_and_ecdsa_certificates() {
    for (key, cert, id) in [
        ("ee-rsa.key", "ee-rsa.pem", "gw.example.org"),
        ("ee-p256.key", "ee-p256.pem", "vpn.example.com"),
    ] {
        let (a, b) = cert_pair(key, cert, id);
        let mut net = net_of(a, b);
        connect(&mut net);
        converged(&net);
        let ids: Vec<Identity> = net
            .b
            .events
            .iter()
            .filter_map(|e| match e {
                Event::IkeSaUp { remote_id, .. } => Some(remote_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![Identity::parse(id)], "{key}");
    }
}

#[test]
fn certificates_fragment_at_a_small_mtu_and_survive_loss() {
    let small = |c: &mut Config| c.fragment_mtu = 576;
    for lossy in [false, true] {
        let (a, b) = cert_pair("ee-rsa.key", "ee-rsa.pem", "gw.example.org");
        let mut net = Net::new(endpoint(vec![a], 1, small), endpoint(vec![b], 2, small));
        if lossy {
            net.fate = Box::new(|s: &Sent<'_>| match s.n % 5 {
                2 => Fate::Drop,
                3 => Fate::Delay(30),
                _ => Fate::Deliver,
            });
        }
        connect(&mut net);
        converged(&net);
        let frags: Vec<(Header, Vec<u8>)> = messages(&net.a.sent)
            .into_iter()
            .chain(messages(&net.b.sent))
            .filter(|(h, _)| h.next_payload == PayloadType::V1_FRAGMENT)
            .collect();
        assert!(frags.len() >= 4, "{} fragments", frags.len());
        assert!(net
            .a
            .sent
            .iter()
            .chain(&net.b.sent)
            .all(|t| t.data.len() + 28 <= 576));
    }
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let (a, mut b) = cert_pair("ee-p256.key", "ee-p256.pem", "vpn.example.com");
    b.remote_auth = RemoteAuth::Certificate {
        cas: vec![der("other-root.pem")],
    };
    let mut net = net_of(a, b);
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert!(ike_ups(&net.b.events).is_empty());
}

fn aggressive() -> V1Options {
    V1Options {
        aggressive: true,
        ..V1Options::default()
    }
}

#[test]
fn aggressive_mode_psk_only_when_configured() {
    for lossy in [false, true] {
        let mut net = net_of(
            v1(initiator_peer(), aggressive()),
            v1(responder_peer(), aggressive()),
        );
        if lossy {
            // AM3 lost once: the responder resends AM2.
            net.fate = Box::new(|s: &Sent<'_>| if s.n == 2 { Fate::Drop } else { Fate::Deliver });
        }
        connect(&mut net);
        let (_, _, n) = converged(&net);
        assert_eq!(n, 1);
        let am = messages(&net.a.sent)
            .into_iter()
            .chain(messages(&net.b.sent))
            .filter(|(h, _)| h.exchange_type == ExchangeType::AGGRESSIVE)
            .count();
        assert_eq!(am, if lossy { 5 } else { 3 });
    }
    // A responder that does not allow Aggressive Mode refuses it.
    let mut net = net_of(v1(initiator_peer(), aggressive()), resp());
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::NotifyV1(NotifyTypeV1::NO_PROPOSAL_CHOSEN)]
    );
}

#[test]
fn quick_mode_without_pfs_chooses_by_the_responders_preference() {
    let mut a = ini();
    a.children[0].esp =
        ProposalSpec::parse_list("aes128-sha1,aes256-sha256,3des-md5", false).unwrap();
    let mut b = resp();
    b.children[0].esp = ProposalSpec::parse_list("aes256-sha256,aes128-sha1", false).unwrap();
    let mut net = net_of(a, b);
    connect(&mut net);
    converged(&net);
    let c = &child_ups(&net.a.events)[0];
    assert_eq!((c.encr, c.key_bits), (EncrId::AES_CBC, Some(256)));
    assert_eq!(c.pfs, None);
    // A responder that wants PFS refuses an offer without it.
    let mut a = ini();
    a.children[0].esp = ProposalSpec::parse_list("aes128-sha1", false).unwrap();
    let mut net = net_of(a, resp());
    let h = connect(&mut net);
    assert!(net.a.ep.is_established(h));
    assert!(child_ups(&net.a.events).is_empty());
    let failed: Vec<NotifyTypeV2> = net
        .a
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ChildSaFailed { notify, .. } => Some(*notify),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![NotifyTypeV2::NO_PROPOSAL_CHOSEN]);
}

#[test]
fn the_commit_bit_waits_for_connected() {
    for lossy in [false, true] {
        let opts = V1Options {
            commit: true,
            ..V1Options::default()
        };
        let mut net = net_of(v1(initiator_peer(), opts), resp());
        if lossy {
            // CONNECTED lost once: QM3 is resent, CONNECTED again.
            net.fate = Box::new(|s: &Sent<'_>| if s.n == 9 { Fate::Drop } else { Fate::Deliver });
        }
        connect(&mut net);
        converged(&net);
        let msgs = messages(&net.b.sent);
        let connected = msgs
            .iter()
            .filter(|(h, _)| h.exchange_type == ExchangeType::INFORMATIONAL_V1 && h.message_id != 0)
            .count();
        assert_eq!(connected, if lossy { 2 } else { 1 });
        let qm1 = messages(&net.a.sent)
            .into_iter()
            .find(|(h, _)| h.exchange_type == ExchangeType::QUICK_MODE)
            .unwrap();
        assert!(qm1.0.flags.has(Flags::COMMIT));
        // The informational continues the Quick Mode's message ID.
        let qm_mid = qm1.0.message_id;
        assert!(msgs
            .iter()
            .any(|(h, _)| h.exchange_type == ExchangeType::INFORMATIONAL_V1
                && h.message_id == qm_mid));
    }
}

#[test]
fn the_responder_shortens_the_lifetime() {
    let mut a = ini();
    a.children[0].lifetime_ms = Some(3_600_000);
    let mut b = resp();
    b.children[0].lifetime_ms = Some(600_000);
    let opts = V1Options {
        child_lifetime_kb: Some(1_000_000),
        ..V1Options::default()
    };
    b.ikev1 = Some(opts);
    let mut net = net_of(a, b);
    connect(&mut net);
    converged(&net);
    let (ca, cb) = (&child_ups(&net.a.events)[0], &child_ups(&net.b.events)[0]);
    assert_eq!(ca.lifetime_ms, Some(600_000));
    assert_eq!(cb.lifetime_ms, Some(600_000));
    assert_eq!(ca.lifetime_kb, Some(1_000_000));
    // It expires after that on both sides.
    net.run(600_000);
    assert!(child_downs(&net.a.events)
        .iter()
        .any(|(_, r)| *r == DownReason::Expired));
}

#[test]
fn informational_deletes_ipsec_and_isakmp_sas() {
    let mut a = ini();
    a.children.push(child("web", "10.1.5.0/24", "10.2.5.0/24"));
    let mut b = resp();
    b.children.push(child("web", "10.2.0.0/16", "10.1.0.0/16"));
    let (a, b) = (v1(a, V1Options::default()), v1(b, V1Options::default()));
    let mut net = net_of(a, b);
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    net.a.ep.create_child(net.now, h, "web").unwrap();
    net.run(2_000);
    assert_eq!(assert_children_agree(&net, h, hb), 2);
    let web = child_ups(&net.a.events).last().unwrap().clone();
    assert_eq!(web.local_ts, vec![ts("10.1.5.0/24")]);
    net.a.ep.delete_child(net.now, h, web.child).unwrap();
    net.run(2_000);
    assert_eq!(assert_children_agree(&net, h, hb), 1);
    assert!(child_downs(&net.b.events)
        .iter()
        .any(|(s, r)| *s == web.spi_out && *r == DownReason::Deleted { by_peer: true }));
    // B deletes everything.
    net.b.ep.delete_ike(net.now, hb).unwrap();
    net.run(2_000);
    assert_eq!(
        downs(&net.b.events),
        vec![DownReason::Deleted { by_peer: false }]
    );
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::Deleted { by_peer: true }]
    );
    assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
    assert!(assert_child_history(&net.a.events).is_empty());
    assert!(assert_child_history(&net.b.events).is_empty());
    // Commands on unknown SAs and children are errors.
    assert!(net.a.ep.delete_ike(net.now, h).is_err());
    assert!(net.a.ep.rekey_child(net.now, h, web.child).is_err());
}

#[test]
fn dpd_answers_and_detects_a_dead_peer() {
    for action in [DpdAction::Clear, DpdAction::Restart] {
        let mut a = v1(
            initiator_peer(),
            V1Options {
                dpd_action: action,
                ..V1Options::default()
            },
        );
        a.dpd_ms = Some(30_000);
        let mut net = net_of(a, resp());
        connect(&mut net);
        net.run(100_000);
        assert!(downs(&net.a.events).is_empty());
        // R-U-THERE were sent and answered.
        let infos = |sent: &[rike::engine::Transmit]| {
            messages(sent)
                .iter()
                .filter(|(h, _)| h.exchange_type == ExchangeType::INFORMATIONAL_V1)
                .count()
        };
        assert!(infos(&net.a.sent) >= 3 && infos(&net.b.sent) >= 3);
        net.fate = Box::new(|_| Fate::Drop);
        for _ in 0..100 {
            net.run(1_000);
            if !downs(&net.a.events).is_empty() {
                break;
            }
        }
        assert_eq!(
            downs(&net.a.events),
            vec![DownReason::Timeout],
            "{action:?}"
        );
        assert!(child_downs(&net.a.events)
            .iter()
            .any(|(_, r)| *r == DownReason::Timeout));
        match action {
            DpdAction::Clear => assert_eq!(net.a.ep.sa_count(), 0),
            DpdAction::Restart => {
                // A starts again, and gets through once the peer answers
                // (B still holds the old SA: INITIAL-CONTACT clears it).
                assert_eq!(net.a.ep.sa_count(), 1);
                net.fate = Box::new(|_| Fate::Deliver);
                net.run(60_000);
                assert_eq!(net.b.ep.sa_count(), 1);
                let a_sas = net.a.ep.sas();
                assert_eq!(a_sas.len(), 1);
                assert!(net.a.ep.is_established(a_sas[0]));
                assert_eq!(child_ups(&net.a.events).len(), 2);
            }
        }
    }
}

#[test]
fn nat_traversal_floats_to_4500_and_encapsulates() {
    for lossy in [false, true] {
        let mut net = net_of(ini(), resp());
        net.nat = Some(vec![(500, 31000), (4500, 31001)]);
        if lossy {
            net.fate = Box::new(|s: &Sent<'_>| {
                if s.n % 4 == 1 {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            });
        }
        connect(&mut net);
        converged(&net);
        let (a, b) = (&child_ups(&net.a.events)[0], &child_ups(&net.b.events)[0]);
        assert!(a.encap && b.encap);
        assert_eq!(b.remote, addr(NAT_IP, 31001));
        assert_eq!(a.remote.port(), 4500);
        // MM5 went from 4500 with the non-ESP marker.
        let mm5 = net.a.sent.iter().find(|t| t.local.port() == 4500).unwrap();
        assert_eq!(&mm5.data[..4], &[0, 0, 0, 0]);
        let h = Header::parse(&mm5.data[4..]).unwrap();
        assert_eq!(h.exchange_type, ExchangeType::IDENTITY_PROTECTION);
        // Keepalives from behind the NAT.
        net.run(25_000);
        assert!(net.a.sent.iter().any(|t| t.data == [0xff]));
        assert!(!net.b.sent.iter().any(|t| t.data == [0xff]));
    }
}

fn xauth_pair(pull: bool, ask: bool) -> (PeerConfig, PeerConfig) {
    let mut a = ini();
    a.children[0].local_ts = vec![ts("0.0.0.0/0")];
    a.ikev1 = Some(V1Options {
        xauth: Some(XauthRole::Client {
            user: "carol".into(),
            password: (!ask).then(|| Secret::from_slice(b"s3cret")),
        }),
        mode_config: Some(ModeConfigRole::Client { pull }),
        ..V1Options::default()
    });
    let mut b = resp();
    b.children[0].remote_ts = vec![ts("10.9.0.0/24")];
    b.ikev1 = Some(V1Options {
        xauth: Some(XauthRole::Server {
            users: if ask {
                vec![]
            } else {
                vec![
                    ("dave".into(), Secret::from_slice(b"other")),
                    ("carol".into(), Secret::from_slice(b"s3cret")),
                ]
            },
        }),
        mode_config: Some(ModeConfigRole::Server {
            pull,
            pool: vec!["10.9.0.1".parse().unwrap(), "10.9.0.2".parse().unwrap()],
            dns: vec!["10.9.0.53".parse().unwrap()],
        }),
        ..V1Options::default()
    });
    (a, b)
}

fn mode_configs(events: &[Event]) -> Vec<(bool, Option<IpAddr>, Vec<IpAddr>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ModeConfig {
                assigned_by_us,
                address,
                dns,
                ..
            } => Some((*assigned_by_us, *address, dns.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn xauth_and_mode_config_pull_and_push() {
    let vip: IpAddr = "10.9.0.1".parse().unwrap();
    let dns: IpAddr = "10.9.0.53".parse().unwrap();
    for pull in [true, false] {
        for lossy in [false, true] {
            let (a, b) = xauth_pair(pull, false);
            let mut net = net_of(a, b);
            if lossy {
                net.fate = Box::new(|s: &Sent<'_>| match s.n % 4 {
                    1 => Fate::Drop,
                    2 => Fate::Duplicate,
                    _ => Fate::Deliver,
                });
            }
            connect(&mut net);
            converged(&net);
            assert_eq!(
                mode_configs(&net.a.events),
                vec![(false, Some(vip), vec![dns])]
            );
            assert_eq!(
                mode_configs(&net.b.events),
                vec![(true, Some(vip), vec![dns])]
            );
            let c = &child_ups(&net.a.events)[0];
            assert_eq!(c.local_ts, vec![ts("10.9.0.1/32")]);
            assert_eq!(c.remote_ts, vec![ts("10.2.0.0/16")]);
            let tx = messages(&net.a.sent)
                .into_iter()
                .chain(messages(&net.b.sent))
                .filter(|(h, _)| h.exchange_type == ExchangeType::TRANSACTION)
                .count();
            if !lossy {
                assert_eq!(tx, 6, "pull {pull}");
            }
        }
    }
}

#[test]
fn xauth_credentials_and_verdict_from_the_application() {
    let (a, b) = xauth_pair(true, true);
    let mut net = net_of(a, b);
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    net.run(1_000);
    assert!(ike_ups(&net.a.events).is_empty());
    let (req, sa) = net
        .a
        .events
        .iter()
        .find_map(|e| match e {
            Event::XauthRequest { request, sa } => Some((*request, *sa)),
            _ => None,
        })
        .expect("XauthRequest");
    net.a
        .ep
        .provide_xauth(
            net.now,
            sa,
            req,
            Some(("carol".into(), Secret::from_slice(b"pw"))),
        )
        .unwrap();
    assert!(net.a.ep.provide_xauth(net.now, sa, req, None).is_err());
    net.run(1_000);
    let (req, sb, user, pw) = net
        .b
        .events
        .iter()
        .find_map(|e| match e {
            Event::XauthVerify {
                request,
                sa,
                user,
                password,
            } => Some((*request, *sa, user.clone(), password.clone())),
            _ => None,
        })
        .expect("XauthVerify");
    assert_eq!(user, "carol");
    assert_eq!(pw.expose(), b"pw");
    net.b.ep.xauth_verdict(net.now, sb, req, true).unwrap();
    net.run(5_000);
    converged(&net);
}

#[test]
fn a_wrong_xauth_password_ends_the_sa() {
    let (mut a, b) = xauth_pair(true, false);
    if let Some(o) = a.ikev1.as_mut() {
        o.xauth = Some(XauthRole::Client {
            user: "carol".into(),
            password: Some(Secret::from_slice(b"guess")),
        });
    }
    let mut net = net_of(a, b);
    connect(&mut net);
    assert!(ike_ups(&net.a.events).is_empty() && ike_ups(&net.b.events).is_empty());
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
}

#[test]
fn lifetimes_rekey_ipsec_sas_before_they_expire() {
    let mut a = ini();
    a.children[0].rekey_ms = Some(60_000);
    a.children[0].lifetime_ms = Some(300_000);
    let mut b = resp();
    b.children[0].lifetime_ms = Some(300_000);
    let mut net = net_of(a, b);
    connect(&mut net);
    net.run(190_000);
    let rekeys = net
        .a
        .events
        .iter()
        .filter(|e| matches!(e, Event::ChildSaRekeyed { .. }))
        .count();
    assert_eq!(rekeys, 3);
    let (_, _, n) = converged(&net);
    assert_eq!(n, 1);
    assert!(child_downs(&net.b.events)
        .iter()
        .all(|(_, r)| *r == DownReason::Rekeyed));
    assert_eq!(assert_child_history(&net.a.events).len(), 1);
    assert_eq!(assert_child_history(&net.b.events).len(), 1);
}

#[test]
fn phase_1_rekey_moves_the_ipsec_sas() {
    let mut net = net_of(ini(), resp());
    let h = connect(&mut net);
    let child = child_ups(&net.a.events)[0].clone();
    net.a.ep.rekey_ike(net.now, h).unwrap();
    net.run(10_000);
    let (na, nb, n) = converged(&net);
    assert_ne!(na, h);
    assert_eq!(n, 1);
    assert_eq!(net.a.ep.child_spis(na)[0].1, child.spi_in);
    assert_eq!(downs(&net.a.events), vec![DownReason::Rekeyed]);
    assert_eq!(downs(&net.b.events), vec![DownReason::Rekeyed]);
    assert!(net
        .a
        .events
        .iter()
        .any(|e| matches!(e, Event::IkeSaRekeyed { old, new } if *old == h && *new == na)));
    // The new SA works: a rekey of the IPsec SA over it, from B.
    let cb = net.b.ep.child_spis(nb)[0].0;
    net.b.ep.rekey_child(net.now, nb, cb).unwrap();
    net.run(5_000);
    let (_, _, n) = converged(&net);
    assert_eq!(n, 1);
}

#[test]
fn phase_1_lifetime_rekeys_and_expires() {
    let mut a = ini();
    a.ikev1 = Some(V1Options {
        ike_lifetime_s: 100,
        ..V1Options::default()
    });
    let mut net = net_of(a, resp());
    connect(&mut net);
    // Rekeyed at 90 % of the lifetime, twice in 200 s; the IPsec SA stays.
    net.run(200_000);
    let (_, _, n) = converged(&net);
    assert_eq!(n, 1);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::Rekeyed, DownReason::Rekeyed]
    );
    assert_eq!(child_ups(&net.a.events).len(), 1);
}

#[test]
fn one_endpoint_serves_ikev1_and_ikev2_peers() {
    let mut v1_peer = responder_peer();
    v1_peer.name = "v1".into();
    v1_peer.remote = Some(addr(A_IP, 500));
    let v1_peer = v1(v1_peer, V1Options::default());
    let mut v2_peer = responder_peer();
    v2_peer.name = "v2".into();
    v2_peer.remote = Some(addr(Ipv4Addr::new(192, 0, 2, 11), 500));
    let b = endpoint(vec![v1_peer, v2_peer], 2, |_| {});
    let mut net = Net::new(endpoint(vec![ini()], 1, |_| {}), b);
    connect(&mut net);
    converged(&net);
    // An IKEv2 initiator at the other address reaches the same endpoint.
    let mut c = endpoint(vec![initiator_peer()], 3, |_| {});
    let c_ip = Ipv4Addr::new(192, 0, 2, 11);
    c.ep.initiate(net.now, "to-b", addr(c_ip, 500)).unwrap();
    for _ in 0..4 {
        while let Some(t) = c.ep.poll_transmit() {
            net.b.ep.handle(net.now, t.remote, addr(c_ip, 500), &t.data);
        }
        while let Some(t) = net.b.ep.poll_transmit() {
            if t.remote.ip() == IpAddr::V4(c_ip) {
                c.ep.handle(net.now, t.remote, t.local, &t.data);
            }
        }
    }
    let mut c_up = false;
    while let Some(e) = c.ep.poll_event() {
        c_up |= matches!(e, Event::IkeSaUp { .. });
    }
    assert!(c_up);
    assert_eq!(net.b.ep.sa_count(), 2);
}

#[test]
fn hostile_datagrams_are_dropped_without_harm() {
    let mut net = net_of(ini(), resp());
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    let msgs = messages(&net.a.sent);
    let mut junk: Vec<Vec<u8>> = vec![vec![], vec![0x10; 28], vec![0x10; 1000]];
    for (hd, m) in &msgs {
        for cut in [0, 1, 27, 28, 29, 33, m.len() - 1] {
            junk.push(m[..cut.min(m.len())].to_vec());
        }
        // Lying lengths.
        let mut long = m.clone();
        long[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
        junk.push(long);
        // Flipped bits everywhere in the body.
        for i in (HEADER_LEN..m.len()).step_by(7) {
            let mut f = m.clone();
            f[i] ^= 0x41;
            junk.push(f);
        }
        let _ = hd;
    }
    for j in &junk {
        net.b
            .ep
            .handle(net.now, addr(B_IP, 500), addr(A_IP, 500), j);
        net.a
            .ep
            .handle(net.now, addr(A_IP, 500), addr(B_IP, 500), j);
    }
    net.run(30_000);
    assert!(net.a.ep.is_established(h) && net.b.ep.is_established(hb));
    assert!(downs(&net.a.events).is_empty() && downs(&net.b.events).is_empty());
    converged(&net);
}

/// The logged keys work as RFC 2409 says on the messages themselves:
/// MM5/MM6 decrypt with the encryption key and the IV from the KE values,
/// the Quick Mode HASHes verify with SKEYID_a, and the ESP keys are
/// KEYMAT from SKEYID_d and the nonces (no PFS here).
#[test]
fn logged_keys_equal_keymat_v1_on_the_wire() {
    let mut a = ini();
    a.children[0].esp = ProposalSpec::parse_list("aes128-sha1", false).unwrap();
    let mut b = resp();
    b.children[0].esp = ProposalSpec::parse_list("aes128-sha1", false).unwrap();
    let mut net = net_of(a, b);
    connect(&mut net);
    converged(&net);
    let k = &v1_keys(&net.a.events)[0];
    assert_eq!((k.encr, k.key_bits, k.hash), (7, Some(256), 4));
    let msgs: Vec<(Header, Vec<u8>)> = {
        let mut v: Vec<(u64, Header, Vec<u8>)> = Vec::new();
        for (sent, at) in [(&net.a.sent, &net.a.sent_at), (&net.b.sent, &net.b.sent_at)] {
            for (t, at) in sent.iter().zip(at.iter()) {
                let ike = t.data.strip_prefix(&NON_ESP_MARKER[..]).unwrap_or(&t.data);
                if let Ok(h) = Header::parse(ike) {
                    v.push((*at, h, ike.to_vec()));
                }
            }
        }
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|(_, h, m)| (h, m)).collect()
    };
    let payload = |m: &[u8], t: PayloadType| -> Vec<u8> {
        let msg = rike::wire::Message::parse(m, rike::wire::Mode::Strict).unwrap();
        msg.payloads()
            .map(|p| p.unwrap())
            .find(|p| p.payload_type == t)
            .unwrap()
            .body
            .to_vec()
    };
    let (gxi, gxr) = (
        payload(&msgs[2].1, PayloadType::KE),
        payload(&msgs[3].1, PayloadType::KE),
    );
    let iv0 = keymat_v1::phase1_iv(Hash::Sha256, &gxi, &gxr, 16);
    let cipher = rike::crypto::Cipher::new(EncrId::AES_CBC, Some(256)).unwrap();
    use rike::crypto::Encryption;
    let mm5 = &msgs[4].1[HEADER_LEN..];
    let pt = cipher.decrypt(k.key.expose(), &iv0, &[], mm5).unwrap();
    // IDii: FQDN a.example.
    assert_eq!(&pt.expose()[4..8], &[2, 0, 0, 0]);
    assert_eq!(&pt.expose()[8..17], b"a.example");
    let iv1 = mm5[mm5.len() - 16..].to_vec();
    let mm6 = &msgs[5].1[HEADER_LEN..];
    let pt6 = cipher.decrypt(k.key.expose(), &iv1, &[], mm6).unwrap();
    assert_eq!(&pt6.expose()[8..17], b"b.example");
    let p1_last = mm6[mm6.len() - 16..].to_vec();
    // Quick Mode 1: HASH(1) and the nonce.
    let qm1 = &msgs[6];
    let mid = qm1.0.message_id;
    let iv = keymat_v1::phase2_iv(Hash::Sha256, &p1_last, mid, 16);
    let body = &qm1.1[HEADER_LEN..];
    let pt = cipher.decrypt(k.key.expose(), &iv, &[], body).unwrap();
    let chain = pt.expose();
    let hash_len = usize::from(u16::from_be_bytes([chain[2], chain[3]]));
    let inner = |chain: &[u8], first: PayloadType| -> Vec<(PayloadType, Vec<u8>, usize)> {
        let mut out = Vec::new();
        for p in rike::wire::PayloadIter::new(chain, chain, first, rike::wire::IkeVersion::V1) {
            let Ok(p) = p else { break };
            let end = p.raw.as_ptr() as usize - chain.as_ptr() as usize + p.raw.len();
            out.push((p.payload_type, p.body.to_vec(), end));
        }
        out
    };
    let q1 = inner(chain, PayloadType::HASH);
    let end = q1.last().unwrap().2;
    let prf = MacPrf::new(PrfId::HMAC_SHA2_256).unwrap();
    let h1 = keymat_v1::hash1(&prf, k.skeyid_a.expose(), mid, &chain[hash_len..end]).unwrap();
    assert_eq!(h1.expose(), &q1[0].1[..]);
    let ni = q1
        .iter()
        .find(|p| p.0 == PayloadType::NONCE)
        .unwrap()
        .1
        .clone();
    // Quick Mode 2: HASH(2), the nonce, the responder's SPI.
    let qm2 = &msgs[7];
    let iv = body[body.len() - 16..].to_vec();
    let body2 = &qm2.1[HEADER_LEN..];
    let pt = cipher.decrypt(k.key.expose(), &iv, &[], body2).unwrap();
    let chain = pt.expose();
    let q2 = inner(chain, PayloadType::HASH);
    let end = q2.last().unwrap().2;
    let h2 = keymat_v1::hash2(&prf, k.skeyid_a.expose(), mid, &ni, &chain[hash_len..end]).unwrap();
    assert_eq!(h2.expose(), &q2[0].1[..]);
    let nr = q2
        .iter()
        .find(|p| p.0 == PayloadType::NONCE)
        .unwrap()
        .1
        .clone();
    // KEYMAT of both directions.
    let c: &ChildSaInfo = &child_ups(&net.a.events)[0];
    for (spi, ek, ak) in [
        (c.spi_in, &c.encr_key_in, &c.integ_key_in),
        (c.spi_out, &c.encr_key_out, &c.integ_key_out),
    ] {
        let km = keymat_v1::keymat(
            &prf,
            k.skeyid_d.expose(),
            None,
            3,
            &spi.to_be_bytes(),
            &ni,
            &nr,
            16 + 20,
        )
        .unwrap();
        assert_eq!(&km.expose()[..16], ek.expose());
        assert_eq!(&km.expose()[16..], ak.expose());
    }
    assert_eq!(c.mode, IpsecMode::Tunnel);
}

/// A capture of our own exchange decrypts with the dissector, using the
/// keys as rike's key log and as Wireshark's ikev1_decryption_table.
#[test]
fn the_dissector_decrypts_our_exchange_with_the_exported_keys() {
    for fragmented in [false, true] {
        dissector_decrypts(fragmented);
    }
}

/// One exchange (with certificates at a 576-byte MTU when `fragmented`:
/// then MM5/MM6 go in IKEv1 fragments, which the dissector must put back
/// together to follow the IV chain), decrypted from the datagrams.
fn dissector_decrypts(fragmented: bool) {
    use rike::dissect::keys::KeyStore;
    use rike::dissect::{CaptureState, Carrier, Expert, PduInfo};
    let mut net = if fragmented {
        let small = |c: &mut Config| c.fragment_mtu = 576;
        let (a, b) = cert_pair("ee-rsa.key", "ee-rsa.pem", "gw.example.org");
        Net::new(endpoint(vec![a], 1, small), endpoint(vec![b], 2, small))
    } else {
        net_of(ini(), resp())
    };
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    // Some traffic after phase 2: an IPsec SA delete and the ISAKMP delete.
    let c = net.a.ep.child_spis(h)[0].0;
    net.a.ep.delete_child(net.now, h, c).unwrap();
    net.run(1_000);
    net.b.ep.delete_ike(net.now, hb).unwrap();
    net.run(1_000);
    let k = &v1_keys(&net.a.events)[0];
    for text in [k.key_log_line(), rike::engine::ikev1_table_line(k)] {
        let mut keys = KeyStore::new();
        keys.load_str("test", &text);
        assert_eq!(keys.len(), 1, "{text}");
        let mut state = CaptureState::new();
        *state.keys_mut() = keys;
        // Every datagram in send order, twice (Wireshark's two passes).
        let mut all: Vec<(u64, Vec<u8>, bool)> = Vec::new();
        for (sent, at) in [(&net.a.sent, &net.a.sent_at), (&net.b.sent, &net.b.sent_at)] {
            for (t, at) in sent.iter().zip(at.iter()) {
                all.push((*at, t.data.clone(), t.local.port() == 4500));
            }
        }
        all.sort_by_key(|x| x.0);
        let mut decrypted = 0;
        for visited in [false, true] {
            for (i, (_, data, encap)) in all.iter().enumerate() {
                let info = PduInfo {
                    frame: i as u32 + 1,
                    time_ns: 0,
                    visited,
                    carrier: if *encap {
                        Carrier::UdpEncap
                    } else {
                        Carrier::Plain
                    },
                };
                let d = state.dissect(&info, data);
                if visited {
                    assert!(
                        !d.experts.iter().any(|e| matches!(
                            e.expert,
                            Expert::DecryptionFailed | Expert::IcvIncorrect
                        )),
                        "frame {} with {text}: {:?}",
                        i + 1,
                        d.experts
                            .iter()
                            .map(|e| (e.expert, d.text_of(e.text).to_owned()))
                            .collect::<Vec<_>>()
                    );
                    if d.sources.iter().any(|s| s.name.starts_with("Decrypted")) {
                        decrypted += 1;
                    }
                }
            }
        }
        // MM5, MM6 (unless fragmented), QM1-3, two Informationals.
        assert_eq!(decrypted, if fragmented { 5 } else { 7 }, "{text}");
    }
}

#[test]
fn a_flood_of_main_mode_requests_is_bounded_and_times_out() {
    let mut flooder = endpoint(vec![ini()], 9, |c| c.limits.ike_sa_max = 20_000);
    let mut b = endpoint(vec![resp()], 2, |c| c.limits.half_open_max = 50);
    for i in 0..1_000u32 {
        let spoofed = addr(Ipv4Addr::from(0x0a00_0000 + i), 500);
        flooder.ep.initiate(0, "to-b", spoofed).unwrap();
        while let Some(t) = flooder.ep.poll_transmit() {
            b.ep.handle(1, addr(B_IP, 500), t.local, &t.data);
        }
    }
    assert_eq!(b.ep.half_open_count(), 50);
    assert_eq!(b.ep.sa_count(), 50);
    let mut answers = 0;
    while b.ep.poll_transmit().is_some() {
        answers += 1;
    }
    // One MM2 each, and no resending of it on a timer (no amplification).
    assert_eq!(answers, 50);
    let mut t = 1;
    while let Some(at) = b.ep.poll_timeout() {
        if at > 120_000 {
            break;
        }
        t = at;
        b.ep.handle_timeout(t);
        assert!(b.ep.poll_transmit().is_none(), "sent something at {t}");
    }
    assert_eq!(b.ep.sa_count(), 0);
    assert!(t >= 30_000);
}

#[test]
fn aggressive_mode_asks_the_application_with_the_peers_identity() {
    let mut b = v1(responder_peer(), aggressive());
    b.remote_auth = RemoteAuth::AskPsk;
    b.remote_id = None;
    let mut net = net_of(v1(initiator_peer(), aggressive()), b);
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    // AM1 is resent while the application thinks: no second request.
    net.run(3_000);
    let asks: Vec<(RequestId, SaHandle, Identity)> = net
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::PskRequest {
                request,
                sa,
                peer_id,
            } => Some((*request, *sa, peer_id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asks.len(), 1);
    let (request, sa, id) = asks[0].clone();
    assert_eq!(id, Identity::parse("a.example"));
    net.b
        .ep
        .provide_psk(
            net.now,
            sa,
            request,
            Some(Secret::from_slice(b"correct horse")),
        )
        .unwrap();
    net.run(10_000);
    converged(&net);
}

/// INITIAL-CONTACT (RFC 2407 §4.6.3.3): A "reboots" (a fresh endpoint,
/// same configuration) and runs Main Mode again; its MM5 carries the
/// notify and B retires the stale ISAKMP SA and its IPsec SA at once.
#[test]
fn initial_contact_after_a_reboot_retires_the_stale_isakmp_sa() {
    let mut net = net_of(ini(), resp());
    connect(&mut net);
    let stale = only_sa(&net.b.ep);
    let stale_child = child_ups(&net.b.events)[0].spi_in;
    net.a.ep = endpoint(vec![ini()], 3, |_| {}).ep;
    let b_events = net.b.events.len();
    connect(&mut net);
    let fresh = only_sa(&net.b.ep);
    assert_ne!(fresh, stale);
    assert!(net.b.ep.is_established(fresh));
    let later = &net.b.events[b_events..];
    assert_eq!(downs(later), vec![DownReason::Deleted { by_peer: true }]);
    assert!(child_downs(later)
        .iter()
        .any(|(spi, _)| *spi == stale_child));
    converged(&net);
}

/// A second ISAKMP SA to the same peer carries no INITIAL-CONTACT: both
/// stay up at the responder.
#[test]
fn a_second_isakmp_sa_to_the_same_peer_sends_no_initial_contact() {
    let mut net = net_of(ini(), resp());
    connect(&mut net);
    connect(&mut net);
    assert_eq!(net.b.ep.sa_count(), 2);
    assert!(downs(&net.b.events).is_empty());
}
