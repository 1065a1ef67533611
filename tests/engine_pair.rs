//! Two engines talking over a simulated network on a virtual clock:
//! loss, duplication, reordering, NAT (with rebinding), a small MTU,
//! rekey and delete collisions, a cookie flood. Every test checks what
//! both sides ended up with, including that their keys agree.

#[path = "common/engine_net.rs"]
mod engine_net;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use engine_net::*;
use rike::crypto::{load_private_key, Secret};
use rike::engine::{
    Config, DownReason, Event, Identity, LocalAuth, PeerConfig, ProposalSpec, RemoteAuth, SaHandle,
    Transmit,
};
use rike::wire::registry::NotifyTypeV2;

#[test]
fn psk_exchange_establishes_and_keys_agree() {
    let mut net = pair();
    let h = connect(&mut net);
    assert_eq!(ike_ups(&net.a.events), vec![h]);
    assert_eq!(ike_ups(&net.b.events).len(), 1);
    let (a, b) = (child_ups(&net.a.events), child_ups(&net.b.events));
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_child_pair(&a[0], &b[0]);
    assert_eq!(a[0].encr, rike::wire::registry::EncrId::AES_GCM_16);
    assert_eq!(a[0].local_ts, vec![ts("10.1.0.0/16")]);
    // Both logged the same IKE SA keys.
    let keys = |ev: &[Event]| {
        ev.iter()
            .filter_map(|e| match e {
                Event::IkeKeys(k) => Some(k.key_log_line()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&net.a.events), keys(&net.b.events));
    assert_eq!(keys(&net.a.events).len(), 1);
    // Four datagrams: IKE_SA_INIT and IKE_AUTH, request and response.
    assert_eq!(net.a.sent.len() + net.b.sent.len(), 4);
    let sb = only_sa(&net.b.ep);
    assert_eq!(net.a.ep.ike_spis(h), net.b.ep.ike_spis(sb));
    assert!(net.b.ep.is_established(sb));
}

#[test]
fn the_exchange_survives_loss_duplication_and_reordering() {
    for (name, fate) in [
        (
            "every third datagram lost",
            Box::new(|s: &Sent<'_>| {
                if s.n % 3 == 0 {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            }) as FateFn,
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
    ] {
        let mut net = pair().with_fate(fate);
        let h = connect(&mut net);
        assert_eq!(ike_ups(&net.a.events), vec![h], "{name}");
        assert_eq!(ike_ups(&net.b.events).len(), 1, "{name}");
        let (a, b) = (child_ups(&net.a.events), child_ups(&net.b.events));
        assert_eq!((a.len(), b.len()), (1, 1), "{name}");
        assert_child_pair(&a[0], &b[0]);
        assert!(downs(&net.a.events).is_empty(), "{name}");
        // Only one IKE SA on the responder, whatever was retransmitted.
        only_sa(&net.b.ep);
    }
}

#[test]
fn an_unanswered_initiator_gives_up_after_its_retransmissions() {
    let mut net = pair().with_fate(|s| {
        if s.t.remote.ip() == IpAddr::V4(B_IP) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    });
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    net.run(120_000);
    // 1 + 5 retransmissions, 1 s × 1.8ⁿ apart, then 1.8⁵ s more.
    assert_eq!(net.a.sent.len(), 6);
    let gaps: Vec<u64> = net.a.sent_at.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps, vec![1000, 1800, 3240, 5832, 10497]);
    assert_eq!(downs(&net.a.events), vec![DownReason::Timeout]);
    assert_eq!(net.a.ep.sa_count(), 0);
}

#[test]
fn wrong_psk_fails_on_both_sides_without_child_sas() {
    let mut bad = initiator_peer();
    bad.local_auth = LocalAuth::Psk(Secret::from_slice(b"wrong"));
    let mut net = Net::new(
        endpoint(vec![bad], 1, |_| {}),
        endpoint(vec![responder_peer()], 2, |_| {}),
    );
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    // The responder tells its application too (interop: `rike listen`
    // must say why an initiator failed).
    assert_eq!(
        downs(&net.b.events),
        vec![DownReason::AuthenticationFailed { by_peer: false }]
    );
    assert!(child_ups(&net.a.events).is_empty() && child_ups(&net.b.events).is_empty());
    assert!(ike_ups(&net.b.events).is_empty());
    assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
}

#[test]
fn a_responder_that_lies_about_its_psk_is_rejected_by_the_initiator() {
    let mut liar = responder_peer();
    liar.local_auth = LocalAuth::Psk(Secret::from_slice(b"wrong"));
    let mut net = Net::new(
        endpoint(vec![initiator_peer()], 1, |_| {}),
        endpoint(vec![liar], 2, |_| {}),
    );
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: false }]
    );
    assert!(ike_ups(&net.a.events).is_empty());
    // The responder was told, and dropped the SA.
    assert_eq!(
        downs(&net.b.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert_eq!(net.b.ep.sa_count(), 0);
}

#[test]
fn the_application_supplies_the_psk_on_request() {
    let mut resp = responder_peer();
    resp.remote_auth = RemoteAuth::AskPsk;
    resp.remote_id = None;
    let mut net = Net::new(
        endpoint(vec![initiator_peer()], 1, |_| {}),
        endpoint(vec![resp], 2, |_| {}),
    );
    net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
    net.run(100);
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
    assert_eq!(id, Identity::parse("a.example"));
    // A stale request id is refused; the right one completes the exchange.
    assert!(net
        .b
        .ep
        .provide_psk(net.now, sa, rike::engine::RequestId(request.0 + 7), None)
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
    net.run(5_000);
    assert_eq!(ike_ups(&net.a.events).len(), 1);
    assert_eq!(ike_ups(&net.b.events).len(), 1);
    assert_child_pair(&child_ups(&net.a.events)[0], &child_ups(&net.b.events)[0]);
}

#[test]
fn invalid_ke_payload_makes_the_initiator_retry_with_the_wanted_group() {
    let mut ini = initiator_peer();
    ini.ike = ProposalSpec::parse_list("aes256gcm16-prfsha256-ecp256-x25519", true).unwrap();
    let mut resp = responder_peer();
    resp.ike = ProposalSpec::parse_list("aes256gcm16-prfsha256-x25519", true).unwrap();
    let mut net = Net::new(
        endpoint(vec![ini], 1, |_| {}),
        endpoint(vec![resp], 2, |_| {}),
    );
    connect(&mut net);
    assert_eq!(ike_ups(&net.a.events).len(), 1);
    // IKE_SA_INIT twice (ecp256, refused; x25519), then IKE_AUTH.
    assert_eq!(net.a.sent.len(), 3);
    let algs: Vec<String> = net
        .a
        .events
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaUp { algorithms, .. } => Some(algorithms.clone()),
            _ => None,
        })
        .collect();
    assert!(algs[0].contains("25519"), "{algs:?}");
}

#[test]
fn no_common_proposal_is_reported() {
    let mut resp = responder_peer();
    resp.ike = ProposalSpec::parse_list("aes128-sha1-modp1024", true).unwrap();
    let mut net = Net::new(
        endpoint(vec![initiator_peer()], 1, |_| {}),
        endpoint(vec![resp], 2, |_| {}),
    );
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::Notify(NotifyTypeV2::NO_PROPOSAL_CHOSEN)]
    );
    assert_eq!(net.b.ep.sa_count(), 0);
}

#[test]
fn child_sas_are_created_rekeyed_and_deleted() {
    let mut ini = initiator_peer();
    ini.children
        .push(child("web", "10.1.5.0/24", "10.2.5.0/24"));
    let mut resp = responder_peer();
    resp.children
        .push(child("web", "10.2.0.0/16", "10.1.0.0/16"));
    let mut net = Net::new(
        endpoint(vec![ini], 1, |_| {}),
        endpoint(vec![resp], 2, |_| {}),
    );
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    net.a.ep.create_child(net.now, h, "web").unwrap();
    net.run(1_000);
    assert_eq!(assert_children_agree(&net, h, hb), 2);
    let web = child_ups(&net.a.events).last().unwrap().clone();
    // The responder narrowed nothing: the selectors offered stand.
    assert_eq!(web.local_ts, vec![ts("10.1.5.0/24")]);
    // Rekey it from A, then from B (PFS with x25519 in both proposals).
    net.a.ep.rekey_child(net.now, h, web.child).unwrap();
    net.run(1_000);
    assert_eq!(assert_children_agree(&net, h, hb), 2);
    let rekeyed = net
        .a
        .events
        .iter()
        .filter(|e| matches!(e, Event::ChildSaRekeyed { .. }))
        .count();
    assert_eq!(rekeyed, 1);
    let b_child = net.b.ep.child_spis(hb)[0].0;
    net.b.ep.rekey_child(net.now, hb, b_child).unwrap();
    net.run(1_000);
    assert_eq!(assert_children_agree(&net, h, hb), 2);
    let (a_all, b_all) = (child_ups(&net.a.events), child_ups(&net.b.events));
    for a in &a_all {
        let b = b_all.iter().find(|b| b.spi_in == a.spi_out).unwrap();
        assert_child_pair(a, b);
        assert_eq!(
            a.pfs.is_some(),
            a.child != child_ups(&net.a.events)[0].child,
            "PFS except in IKE_AUTH"
        );
    }
    // Delete everything from A.
    for (id, _, _) in net.a.ep.child_spis(h) {
        net.a.ep.delete_child(net.now, h, id).unwrap();
    }
    net.run(1_000);
    assert_eq!(assert_children_agree(&net, h, hb), 0);
    assert!(net.b.events.iter().any(|e| matches!(
        e,
        Event::ChildSaDown {
            reason: DownReason::Deleted { by_peer: true },
            ..
        }
    )));
    net.a.ep.delete_ike(net.now, h).unwrap();
    net.run(1_000);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::Deleted { by_peer: false }]
    );
    assert_eq!(
        downs(&net.b.events),
        vec![DownReason::Deleted { by_peer: true }]
    );
    assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
}

#[test]
fn lifetimes_rekey_and_expire_child_sas() {
    let mut ini = initiator_peer();
    ini.children[0].rekey_ms = Some(60_000);
    ini.children[0].lifetime_ms = Some(300_000);
    let mut net = Net::new(
        endpoint(vec![ini], 1, |_| {}),
        endpoint(vec![responder_peer()], 2, |_| {}),
    );
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    net.run(190_000);
    // Rekeyed at 60 s after each creation: three rekeys in 190 s.
    let rekeys = net
        .a
        .events
        .iter()
        .filter(|e| matches!(e, Event::ChildSaRekeyed { .. }))
        .count();
    assert_eq!(rekeys, 3);
    assert_eq!(assert_children_agree(&net, h, hb), 1);
}

#[test]
fn simultaneous_child_rekeys_leave_one_child_sa() {
    for seed in 1..6u8 {
        let mut net = Net::new(
            endpoint(vec![initiator_peer()], seed, |_| {}),
            endpoint(vec![responder_peer()], seed + 100, |_| {}),
        );
        let h = connect(&mut net);
        let hb = only_sa(&net.b.ep);
        let ca = net.a.ep.child_spis(h)[0].0;
        let cb = net.b.ep.child_spis(hb)[0].0;
        net.a.ep.rekey_child(net.now, h, ca).unwrap();
        net.b.ep.rekey_child(net.now, hb, cb).unwrap();
        net.run(5_000);
        assert_eq!(assert_children_agree(&net, h, hb), 1, "seed {seed}");
        assert!(net.a.ep.is_established(h) && net.b.ep.is_established(hb));
        assert!(downs(&net.a.events).is_empty());
    }
}

#[test]
fn simultaneous_child_deletes_complete_on_both_sides() {
    let mut net = pair();
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    let ca = net.a.ep.child_spis(h)[0].0;
    let cb = net.b.ep.child_spis(hb)[0].0;
    net.a.ep.delete_child(net.now, h, ca).unwrap();
    net.b.ep.delete_child(net.now, hb, cb).unwrap();
    net.run(5_000);
    assert_eq!(assert_children_agree(&net, h, hb), 0);
    let n = |ev: &[Event]| {
        ev.iter()
            .filter(|e| matches!(e, Event::ChildSaDown { .. }))
            .count()
    };
    assert_eq!((n(&net.a.events), n(&net.b.events)), (1, 1));
    assert!(downs(&net.a.events).is_empty() && downs(&net.b.events).is_empty());
}

#[test]
fn ike_sa_rekey_moves_the_child_sas() {
    let mut net = pair();
    let h = connect(&mut net);
    net.a.ep.rekey_ike(net.now, h).unwrap();
    net.run(5_000);
    let (na, nb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
    assert_ne!(na, h);
    assert_eq!(net.a.ep.ike_spis(na), net.b.ep.ike_spis(nb));
    assert_eq!(assert_children_agree(&net, na, nb), 1);
    assert_eq!(downs(&net.a.events), vec![DownReason::Rekeyed]);
    assert_eq!(downs(&net.b.events), vec![DownReason::Rekeyed]);
    // The new SA works: B now rekeys it and deletes the Child SA over it.
    net.b.ep.rekey_ike(net.now, nb).unwrap();
    net.run(5_000);
    let (na, nb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
    assert_eq!(assert_children_agree(&net, na, nb), 1);
    let c = net.a.ep.child_spis(na)[0].0;
    net.a.ep.delete_child(net.now, na, c).unwrap();
    net.run(5_000);
    assert_eq!(assert_children_agree(&net, na, nb), 0);
}

#[test]
fn simultaneous_ike_rekeys_leave_one_ike_sa() {
    for seed in 1..6u8 {
        let mut net = Net::new(
            endpoint(vec![initiator_peer()], seed, |_| {}),
            endpoint(vec![responder_peer()], seed + 50, |_| {}),
        );
        let h = connect(&mut net);
        let hb = only_sa(&net.b.ep);
        net.a.ep.rekey_ike(net.now, h).unwrap();
        net.b.ep.rekey_ike(net.now, hb).unwrap();
        net.run(10_000);
        let (na, nb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
        assert_eq!(net.a.ep.ike_spis(na), net.b.ep.ike_spis(nb), "seed {seed}");
        assert_eq!(assert_children_agree(&net, na, nb), 1, "seed {seed}");
        // It still works.
        net.a.ep.check_liveness(net.now, na).unwrap();
        net.run(5_000);
        assert!(
            net.a.ep.is_established(na) && net.b.ep.is_established(nb),
            "seed {seed}"
        );
    }
}

#[test]
fn liveness_detects_a_dead_peer() {
    let mut ini = initiator_peer();
    ini.dpd_ms = Some(30_000);
    let mut net = Net::new(
        endpoint(vec![ini], 1, |_| {}),
        endpoint(vec![responder_peer()], 2, |_| {}),
    );
    connect(&mut net);
    // The peer is alive: checks are answered.
    net.run(100_000);
    assert!(downs(&net.a.events).is_empty());
    // Now it is gone.
    net.fate = Box::new(|_| Fate::Drop);
    net.run(200_000);
    assert_eq!(downs(&net.a.events), vec![DownReason::Timeout]);
    assert!(net.a.events.iter().any(|e| matches!(
        e,
        Event::ChildSaDown {
            reason: DownReason::Timeout,
            ..
        }
    )));
}

#[test]
fn nat_is_detected_and_the_sa_floats_to_4500_and_follows_rebinding() {
    let mut net = pair();
    net.nat = Some(vec![(500, 31000), (4500, 31001)]);
    let h = connect(&mut net);
    assert_eq!(ike_ups(&net.a.events), vec![h]);
    let (a, b) = (child_ups(&net.a.events), child_ups(&net.b.events));
    assert!(a[0].encap && b[0].encap, "UDP encapsulation negotiated");
    assert_eq!(b[0].remote, addr(NAT_IP, 31001));
    // IKE_AUTH went from port 4500 with the non-ESP marker.
    let auth = &net.a.sent[1];
    assert_eq!((auth.local.port(), auth.remote.port()), (4500, 4500));
    assert_eq!(&auth.data[..4], &[0, 0, 0, 0]);
    // A sends keepalives behind the NAT.
    net.run(25_000);
    assert!(net.a.sent.iter().any(|t| t.data == [0xff]));
    // The NAT rebinds: B follows on the next authenticated message.
    net.nat = Some(vec![(500, 31000), (4500, 40000)]);
    net.a.ep.check_liveness(net.now, h).unwrap();
    net.run(2_000);
    let hb = only_sa(&net.b.ep);
    assert!(net.b.events.iter().any(|e| matches!(e, Event::PeerAddressChanged { sa, remote } if *sa == hb && *remote == addr(NAT_IP, 40000))));
    net.b.ep.check_liveness(net.now, hb).unwrap();
    net.run(2_000);
    assert_eq!(net.b.sent.last().unwrap().remote, addr(NAT_IP, 40000));
    assert!(downs(&net.b.events).is_empty());
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

fn cert_peers() -> (PeerConfig, PeerConfig) {
    let root = der("root.pem");
    let mut a = initiator_peer();
    a.local_id = Identity::parse("gw.example.org");
    a.remote_id = Some(Identity::parse("vpn.example.com"));
    a.local_auth = LocalAuth::Signature {
        key: Arc::from(load_private_key(&pem("ee-rsa.key")).unwrap()),
        chain: vec![der("ee-rsa.pem"), der("inter.pem")],
    };
    a.remote_auth = RemoteAuth::Certificate {
        cas: vec![root.clone()],
    };
    let mut b = responder_peer();
    b.local_id = Identity::parse("vpn.example.com");
    b.remote_id = Some(Identity::parse("gw.example.org"));
    b.local_auth = LocalAuth::Signature {
        key: Arc::from(load_private_key(&pem("ee-p256.key")).unwrap()),
        chain: vec![der("ee-p256.pem"), der("inter.pem")],
    };
    b.remote_auth = RemoteAuth::Certificate { cas: vec![root] };
    (a, b)
}

#[test]
fn certificates_authenticate_and_big_messages_fragment_at_a_small_mtu() {
    let (a, b) = cert_peers();
    let small = |c: &mut Config| c.fragment_mtu = 576;
    let mut net = Net::new(endpoint(vec![a], 1, small), endpoint(vec![b], 2, small));
    let h = connect(&mut net);
    assert_eq!(ike_ups(&net.a.events), vec![h]);
    let remote_ids: Vec<Identity> = net
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaUp { remote_id, .. } => Some(remote_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(remote_ids, vec![Identity::parse("gw.example.org")]);
    assert_child_pair(&child_ups(&net.a.events)[0], &child_ups(&net.b.events)[0]);
    // IKE_AUTH (two certificates) went as RFC 7383 fragments, each fitting.
    let a_auth: Vec<&Transmit> = net.a.sent.iter().skip(1).collect();
    assert!(a_auth.len() >= 4, "{} fragments", a_auth.len());
    assert!(net
        .a
        .sent
        .iter()
        .chain(&net.b.sent)
        .skip(1)
        .all(|t| t.data.len() + 28 <= 576));
    // Fragments lost and reordered still reassemble.
    let (a, b) = cert_peers();
    let mut net =
        Net::new(endpoint(vec![a], 1, small), endpoint(vec![b], 2, small)).with_fate(|s| {
            match s.n % 5 {
                2 => Fate::Drop,
                3 => Fate::Delay(30),
                _ => Fate::Deliver,
            }
        });
    connect(&mut net);
    assert_eq!(ike_ups(&net.a.events).len(), 1);
    assert_eq!(ike_ups(&net.b.events).len(), 1);
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let (a, mut b) = cert_peers();
    b.remote_auth = RemoteAuth::Certificate {
        cas: vec![der("other-root.pem")],
    };
    let mut net = Net::new(endpoint(vec![a], 1, |_| {}), endpoint(vec![b], 2, |_| {}));
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
    assert!(ike_ups(&net.b.events).is_empty());
    // A certificate for another name than the claimed identity: refused.
    let (mut a, b) = cert_peers();
    a.local_id = Identity::parse("vpn.example.com");
    let mut b = b;
    b.remote_id = None;
    let mut net = Net::new(endpoint(vec![a], 1, |_| {}), endpoint(vec![b], 2, |_| {}));
    connect(&mut net);
    assert_eq!(
        downs(&net.a.events),
        vec![DownReason::AuthenticationFailed { by_peer: true }]
    );
}

#[test]
fn a_flood_of_spoofed_sa_init_requests_gets_cookies_and_keeps_no_state() {
    // 10 000 IKE_SA_INITs from spoofed addresses, made by a real
    // initiator endpoint whose answers are never delivered.
    let mut flood_peer = initiator_peer();
    flood_peer.remote = Some(addr(B_IP, 500));
    let mut flooder = endpoint(vec![flood_peer], 9, |c| c.limits.ike_sa_max = 20_000).ep;
    let mut node = endpoint(vec![responder_peer()], 2, |_| {});
    let b = &mut node.ep;
    let mut count = 0u32;
    for i in 0..10_000u32 {
        let spoofed = addr(Ipv4Addr::from(0x0a00_0000 + i), 500);
        flooder.initiate(0, "to-b", spoofed).unwrap();
        while let Some(t) = flooder.poll_transmit() {
            b.handle(1, addr(B_IP, 500), t.local, &t.data);
            count += 1;
        }
    }
    assert_eq!(count, 10_000);
    let threshold = b.config().limits.cookie_threshold;
    assert_eq!(b.half_open_count(), threshold);
    assert_eq!(b.sa_count(), threshold);
    assert_eq!(b.stats().cookies_sent, 10_000 - threshold as u64);
    let mut cookies = 0;
    while let Some(t) = b.poll_transmit() {
        if t.sa.is_none() {
            cookies += 1;
        }
    }
    assert_eq!(cookies, 10_000 - threshold);
    // A real initiator still gets through: it returns the cookie.
    let mut net = Net::new(endpoint(vec![initiator_peer()], 1, |_| {}), node);
    let h = connect(&mut net);
    assert_eq!(ike_ups(&net.a.events), vec![h]);
    // IKE_SA_INIT, again with the COOKIE, IKE_AUTH.
    assert_eq!(net.a.sent.len(), 3);
    // The half-open SAs time out.
    net.run(60_000);
    assert_eq!(net.b.ep.half_open_count(), 0);
    assert_eq!(net.b.ep.sa_count(), 1);
}

#[test]
fn hostile_datagrams_are_dropped_without_harm() {
    let mut net = pair();
    let h = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    let real = net.a.sent[1].data.clone();
    let before = net.b.ep.stats().dropped;
    let mut junk: Vec<Vec<u8>> = vec![vec![], vec![0; 3], vec![0xff; 28], vec![0x20; 1000]];
    for cut in [0, 1, 27, 28, 29, 60, real.len() - 1] {
        junk.push(real[..cut].to_vec());
    }
    // Length fields that lie.
    let mut long = real.clone();
    long[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
    junk.push(long);
    // A flipped bit in the ciphertext: the ICV catches it.
    let mut flipped = real.clone();
    let n = flipped.len() - 20;
    flipped[n] ^= 1;
    junk.push(flipped);
    for j in &junk {
        net.b
            .ep
            .handle(net.now, addr(B_IP, 500), addr(A_IP, 500), j);
    }
    assert!(net.b.ep.stats().dropped > before);
    net.run(1_000);
    assert!(net.b.ep.is_established(hb) && net.a.ep.is_established(h));
    assert!(downs(&net.b.events).is_empty());
    // Commands on unknown SAs and children are errors, not panics.
    assert!(net.a.ep.rekey_ike(net.now, SaHandle(999)).is_err());
    assert!(net
        .a
        .ep
        .delete_child(net.now, h, rike::engine::ChildId(999))
        .is_err());
    assert!(net.a.ep.create_child(net.now, h, "nope").is_err());
    assert!(net
        .a
        .ep
        .initiate(net.now, "nobody", addr(A_IP, 500))
        .is_err());
}

/// RFC 7296 §2.4: A "reboots" (a fresh endpoint, same configuration) and
/// connects again; its IKE_AUTH carries INITIAL_CONTACT, and B retires the
/// stale IKE SA and its Child SA at once, without a Delete to a peer that
/// would not know them.
#[test]
fn initial_contact_after_a_reboot_retires_the_stale_sa() {
    let mut net = pair();
    connect(&mut net);
    let stale = only_sa(&net.b.ep);
    let stale_child = child_ups(&net.b.events)[0].spi_in;
    assert!(net
        .trace
        .iter()
        .any(|s| s.has(NotifyTypeV2::INITIAL_CONTACT)));
    net.a.ep = endpoint(vec![initiator_peer()], 3, |_| {}).ep;
    let mark = net.trace.len();
    let b_events = net.b.events.len();
    connect(&mut net);
    let fresh = only_sa(&net.b.ep);
    assert_ne!(fresh, stale);
    assert!(net.b.ep.is_established(fresh));
    let later = &net.b.events[b_events..];
    assert_eq!(downs(later), vec![DownReason::Deleted { by_peer: true }]);
    assert_eq!(
        child_downs(later),
        vec![(stale_child, DownReason::Deleted { by_peer: true })]
    );
    assert!(
        net.seen_since(mark, |s| s.deletes_ike() || !s.deleted_esp().is_empty())
            .is_empty(),
        "a Delete was sent for the stale SA"
    );
}

/// INITIAL_CONTACT only when it is true: a second IKE SA to the same peer
/// does not carry it, and both SAs stay up at the responder.
#[test]
fn a_second_sa_to_the_same_peer_sends_no_initial_contact() {
    let mut net = pair();
    connect(&mut net);
    let mark = net.trace.len();
    connect(&mut net);
    assert!(net
        .seen_since(mark, |s| s.has(NotifyTypeV2::INITIAL_CONTACT))
        .is_empty());
    assert_eq!(net.b.ep.sa_count(), 2);
    assert!(downs(&net.b.events).is_empty());
}
