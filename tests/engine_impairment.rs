//! A bad network: seeded random loss, duplication and reordering over a
//! whole life (establish, new Child SA, Child rekey, IKE rekey, deletes);
//! NAT rebinding in the middle of rekeys; RFC 7383 fragments at a small
//! MTU with loss. Both sides must converge on the same SAs and keys, with
//! no SA lost or doubled and no IKE SA reported down that was not.

#[path = "common/engine_net.rs"]
mod engine_net;

use std::sync::Arc;

use engine_net::*;
use rike::crypto::{cert, load_private_key};
use rike::engine::{
    Config, DownReason, Event, Identity, LocalAuth, ProposalSpec, RemoteAuth, Retransmit,
};
use rike::wire::registry::ExchangeType;

/// xorshift64*: a small seeded generator for the link's decisions.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % n
    }
}

/// Loses `loss`% of datagrams, duplicates 10%, delays 20% by up to
/// 400 ms (so that they overtake each other).
fn lossy(seed: u64, loss: u64) -> impl FnMut(&Sent<'_>) -> Fate {
    let mut d = Dice(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    move |_| {
        let r = d.below(100);
        if r < loss {
            Fate::Drop
        } else if r < loss + 10 {
            Fate::Duplicate
        } else if r < loss + 30 {
            Fate::Delay(d.below(400))
        } else {
            Fate::Deliver
        }
    }
}

/// A lossy link needs more patience: twelve retransmissions 1.5× apart
/// (about six minutes), and half-open SAs kept as long.
fn patient(c: &mut Config) {
    c.retransmit = Retransmit {
        base_ms: 1000,
        factor_tenths: 15,
        tries: 12,
    };
    c.limits.half_open_timeout_ms = 600_000;
}

/// Long enough for every retransmission to be over.
const SETTLE: u64 = 900_000;

fn check_step(net: &Net, children: usize, step: &str) {
    let (_, _, n) = assert_converged(net);
    assert_eq!(n, children, "{step}");
    for events in [&net.a.events, &net.b.events] {
        assert!(
            downs(events).iter().all(|r| *r == DownReason::Rekeyed),
            "{step}: {:?}",
            downs(events)
        );
        assert_eq!(assert_child_history(events).len(), children, "{step}");
    }
}

#[test]
fn a_whole_life_on_a_lossy_link_converges() {
    for seed in 1..=16u64 {
        let mut ini = initiator_peer();
        ini.children
            .push(child("web", "10.1.5.0/24", "10.2.5.0/24"));
        let mut resp = responder_peer();
        resp.children
            .push(child("web", "10.2.0.0/16", "10.1.0.0/16"));
        let mut net = Net::new(
            endpoint(vec![ini], seed as u8, patient),
            endpoint(vec![resp], 100 + seed as u8, patient),
        )
        .with_fate(lossy(seed, 30));
        let ctx = |s: &str| format!("seed {seed}: {s}");
        let ha = net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
        net.run(SETTLE);
        check_step(&net, 1, &ctx("established"));
        net.a.ep.create_child(net.now, ha, "web").unwrap();
        net.run(SETTLE);
        check_step(&net, 2, &ctx("second Child SA"));
        let hb = only_sa(&net.b.ep);
        let c = net.b.ep.child_spis(hb)[0].0;
        net.b.ep.rekey_child(net.now, hb, c).unwrap();
        net.run(SETTLE);
        check_step(&net, 2, &ctx("Child rekey"));
        let before = net.a.ep.ike_spis(ha);
        net.a.ep.rekey_ike(net.now, ha).unwrap();
        net.run(SETTLE);
        check_step(&net, 2, &ctx("IKE rekey"));
        let (na, nb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
        assert_ne!(net.a.ep.ike_spis(na), before, "{}", ctx("IKE rekey"));
        let web = net.a.ep.child_spis(na)[1].0;
        net.a.ep.delete_child(net.now, na, web).unwrap();
        net.run(SETTLE);
        check_step(&net, 1, &ctx("Child delete"));
        net.b.ep.delete_ike(net.now, nb).unwrap();
        net.run(SETTLE);
        assert_eq!(
            net.a.ep.sa_count() + net.b.ep.sa_count(),
            0,
            "{}",
            ctx("end")
        );
        assert_eq!(
            downs(&net.a.events),
            vec![DownReason::Rekeyed, DownReason::Deleted { by_peer: true }],
            "{}",
            ctx("A")
        );
        assert_eq!(
            downs(&net.b.events),
            vec![DownReason::Rekeyed, DownReason::Deleted { by_peer: false }],
            "{}",
            ctx("B")
        );
        for events in [&net.a.events, &net.b.events] {
            assert!(assert_child_history(events).is_empty(), "{}", ctx("end"));
            assert_ike_history(events, &[ha]);
        }
        // The link did its worst: requests were retransmitted.
        let mut seen = std::collections::HashSet::new();
        let again = net
            .trace
            .iter()
            .filter(|s| !seen.insert((s.from_a, s.spi_i, s.mid, s.response, s.fragment)))
            .count();
        assert!(again > 0, "{}", ctx("retransmissions"));
    }
}

/// A behind a NAT; the NAT gives A's port 4500 a new public port.
fn rebind(net: &mut Net, port: u16) {
    net.nat = Some(vec![(500, 31000), (4500, port)]);
}

fn nat_pair() -> (Net, rike::engine::SaHandle) {
    let mut net = pair();
    rebind(&mut net, 31001);
    let h = connect(&mut net);
    (net, h)
}

fn b_follows(net: &Net, port: u16) {
    let hb = only_sa(&net.b.ep);
    assert!(
        net.b.events.iter().any(|e| matches!(e,
            Event::PeerAddressChanged { sa, remote } if *sa == hb && *remote == addr(NAT_IP, port))),
        "B never moved to port {port}"
    );
}

#[test]
fn nat_rebinding_during_a_child_rekey() {
    // B's answer is lost, the NAT rebinds, A retransmits from the new
    // port: B answers where the retransmission came from (§2.11), and
    // moves the SA on A's next authenticated message (§2.23).
    let (mut net, ha) = nat_pair();
    net.fate = Box::new(first(
        |s| s.is(false, ExchangeType::CREATE_CHILD_SA, true),
        Fate::Drop,
    ));
    let c = net.a.ep.child_spis(ha)[0].0;
    net.a.ep.rekey_child(net.now, ha, c).unwrap();
    net.run(100);
    rebind(&mut net, 40000);
    net.run(5_000);
    assert_eq!(assert_converged(&net).2, 1);
    b_follows(&net, 40000);
    // B reaches A on the new port.
    let hb = only_sa(&net.b.ep);
    let c = net.b.ep.child_spis(hb)[0].0;
    net.b.ep.rekey_child(net.now, hb, c).unwrap();
    net.run(5_000);
    assert_eq!(assert_converged(&net).2, 1);
    assert_eq!(net.b.sent.last().unwrap().remote, addr(NAT_IP, 40000));
    assert!(downs(&net.a.events).is_empty() && downs(&net.b.events).is_empty());
}

#[test]
fn nat_rebinding_during_an_ike_rekey_by_either_side() {
    for by_a in [true, false] {
        let (mut net, ha) = nat_pair();
        let hb = only_sa(&net.b.ep);
        // The answer to the rekey is lost once; the NAT rebinds meanwhile.
        net.fate = Box::new(first(
            move |s| s.is(!by_a, ExchangeType::CREATE_CHILD_SA, true),
            Fate::Drop,
        ));
        if by_a {
            net.a.ep.rekey_ike(net.now, ha).unwrap();
        } else {
            net.b.ep.rekey_ike(net.now, hb).unwrap();
        }
        net.run(100);
        rebind(&mut net, 40000);
        if !by_a {
            // B retransmits to the old port, where the NAT drops it: A must
            // speak first, B cannot learn the new port but from an
            // authenticated message (§2.23).
            net.a.ep.check_liveness(net.now, ha).unwrap();
        }
        net.run(10_000);
        let (na, nb, n) = assert_converged(&net);
        assert_eq!(n, 1, "by A {by_a}");
        assert!(na != ha && nb != hb, "by A {by_a}");
        // Both directions work on the new IKE SA: B's liveness check and
        // Child rekey reach A at its new port.
        net.b.ep.check_liveness(net.now, nb).unwrap();
        let c = net.b.ep.child_spis(nb)[0].0;
        net.b.ep.rekey_child(net.now, nb, c).unwrap();
        net.run(60_000);
        assert_eq!(assert_converged(&net).2, 1, "by A {by_a}");
        assert_eq!(
            net.b.sent.last().unwrap().remote,
            addr(NAT_IP, 40000),
            "by A {by_a}"
        );
        for events in [&net.a.events, &net.b.events] {
            assert_eq!(downs(events), vec![DownReason::Rekeyed], "by A {by_a}");
        }
    }
}

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

#[test]
fn fragments_at_a_small_mtu_survive_loss_duplication_and_reordering() {
    for seed in 1..=8u64 {
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
        // ML-KEM-768 PFS: every Child rekey is fragmented too.
        a.children[0].esp = ProposalSpec::parse_list("aes256gcm16-mlkem768", false).unwrap();
        let mut b = responder_peer();
        b.local_id = Identity::parse("vpn.example.com");
        b.remote_id = Some(Identity::parse("gw.example.org"));
        b.local_auth = LocalAuth::Signature {
            key: Arc::from(load_private_key(&pem("ee-p256.key")).unwrap()),
            chain: vec![der("ee-p256.pem"), der("inter.pem")],
        };
        b.remote_auth = RemoteAuth::Certificate { cas: vec![root] };
        b.children[0].esp = a.children[0].esp.clone();
        let small = |c: &mut Config| {
            patient(c);
            c.fragment_mtu = 576;
        };
        let mut net = Net::new(endpoint(vec![a], 1, small), endpoint(vec![b], 2, small))
            .with_fate(lossy(seed, 20));
        let ha = net.a.ep.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
        net.run(SETTLE);
        check_step(&net, 1, &format!("seed {seed}: established"));
        let c = net.a.ep.child_spis(ha)[0].0;
        net.a.ep.rekey_child(net.now, ha, c).unwrap();
        net.run(SETTLE);
        check_step(&net, 1, &format!("seed {seed}: Child rekey"));
        let hb = only_sa(&net.b.ep);
        net.b.ep.rekey_ike(net.now, hb).unwrap();
        net.run(SETTLE);
        check_step(&net, 1, &format!("seed {seed}: IKE rekey"));
        let na = only_sa(&net.a.ep);
        let c = net.a.ep.child_spis(na)[0].0;
        net.a.ep.rekey_child(net.now, na, c).unwrap();
        net.run(SETTLE);
        check_step(
            &net,
            1,
            &format!("seed {seed}: Child rekey on the new IKE SA"),
        );
        // Every datagram fits (IPv4 and UDP headers included), and both
        // IKE_AUTH and CREATE_CHILD_SA went in fragments.
        assert!(net
            .a
            .sent
            .iter()
            .chain(&net.b.sent)
            .all(|t| t.data.len() + 28 <= 576));
        for x in [ExchangeType::IKE_AUTH, ExchangeType::CREATE_CHILD_SA] {
            assert!(net
                .trace
                .iter()
                .any(|s| s.exchange == x && s.fragment.is_some_and(|(_, t)| t > 1)));
        }
    }
}
