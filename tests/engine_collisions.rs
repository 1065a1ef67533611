//! Exchange collisions (RFC 7296 §2.8.1, §2.8.2, §2.25), the cases
//! strongSwan's unit tests cover (test_child_rekey.c, test_ike_rekey.c,
//! test_child_delete.c): both peers rekeying the same Child or IKE SA, with
//! each of the four nonces the lowest, with a request dropped or delayed
//! and a response delayed; deletes and rekeys crossing; Child SA work
//! crossing an IKE SA rekey or delete. Each test checks the messages on
//! the wire (decoded with the logged keys), the events, and that both
//! sides end with exactly the same SAs and keys.

#[path = "common/engine_net.rs"]
mod engine_net;

use engine_net::*;
use rike::engine::{DownReason, Event, PeerConfig, ProposalSpec, SaHandle};
use rike::wire::registry::{ExchangeType, NotifyTypeV2};

const CCSA: ExchangeType = ExchangeType::CREATE_CHILD_SA;
const INFO: ExchangeType = ExchangeType::INFORMATIONAL;

/// strongSwan's four cases: the first octet of A's Ni, B's Ni, B's Nr to
/// A's request, A's Nr to B's request; one of them is the lowest.
const NONCES: [[u8; 4]; 4] = [
    [0x00, 0xff, 0xff, 0xff],
    [0xff, 0x00, 0xff, 0xff],
    [0xff, 0xff, 0x00, 0xff],
    [0xff, 0xff, 0xff, 0x00],
];

/// Is the lowest nonce in A's exchange (variants 0 and 2)? Then the SA
/// that exchange made is redundant and B's survives (§2.8.1).
fn a_exchange_lowest(n: &[u8; 4]) -> bool {
    n[0] == 0 || n[2] == 0
}

/// An established pair (A initiated) with one Child SA.
fn established(seed: u8) -> (Net, SaHandle, SaHandle) {
    established_with(seed, initiator_peer(), responder_peer())
}

fn established_with(seed: u8, a: PeerConfig, b: PeerConfig) -> (Net, SaHandle, SaHandle) {
    let mut net = Net::new(
        endpoint(vec![a], seed, |_| {}),
        endpoint(vec![b], seed.wrapping_add(100), |_| {}),
    );
    let ha = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    assert_eq!(assert_children_agree(&net, ha, hb), 1);
    (net, ha, hb)
}

fn side(net: &mut Net, a: bool) -> &mut Side {
    if a {
        &mut net.a
    } else {
        &mut net.b
    }
}

fn handle(a: bool, ha: SaHandle, hb: SaHandle) -> SaHandle {
    if a {
        ha
    } else {
        hb
    }
}

fn the_child(net: &mut Net, a: bool, h: SaHandle) -> rike::engine::ChildId {
    side(net, a).ep.child_spis(h)[0].0
}

fn spi32(spi: &[u8]) -> u32 {
    u32::from_be_bytes(spi.try_into().unwrap())
}

fn sa_spi(s: &Seen) -> Option<Vec<u8>> {
    s.inner.iter().flatten().find_map(|p| match p {
        Inner::Sa { spi, .. } => Some(spi.clone()),
        _ => None,
    })
}

/// The SA payload SPIs of the first CREATE_CHILD_SA exchange `from_a`
/// started after trace index `since` matching `what` that succeeded, and
/// of its answer: (requester's SPI, responder's SPI).
fn exchange_spis(
    net: &Net,
    since: usize,
    from_a: bool,
    what: fn(&Seen) -> bool,
) -> Option<(Vec<u8>, Vec<u8>)> {
    net.seen_since(since, |s| s.is(from_a, CCSA, false) && what(s))
        .into_iter()
        .find_map(|req| {
            let resp = net
                .seen_since(since, |s| {
                    s.is(!from_a, CCSA, true) && s.mid == req.mid && s.spi_i == req.spi_i
                })
                .into_iter()
                .find_map(sa_spi)?;
            Some((sa_spi(req)?, resp))
        })
}

/// INFORMATIONAL requests from one side after `since` deleting ESP SPIs.
fn esp_deletes(net: &Net, since: usize, from_a: bool) -> Vec<Vec<u32>> {
    net.seen_since(since, |s| s.is(from_a, INFO, false))
        .into_iter()
        .map(Seen::deleted_esp)
        .filter(|d| !d.is_empty())
        .collect()
}

/// The notify the other side answered a request of `exchange` with.
fn answers(net: &Net, since: usize, to_a: bool, exchange: ExchangeType) -> Vec<NotifyTypeV2> {
    net.seen_since(since, |s| s.is(!to_a, exchange, true))
        .into_iter()
        .flat_map(Seen::notifies)
        .collect()
}

fn rekeyed_events(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::ChildSaRekeyed { .. }))
        .count()
}

// ---------------------------------------------------------------- Child SAs

#[test]
fn a_regular_child_rekey_by_either_peer_replaces_and_deletes_the_old_sa() {
    for by_a in [true, false] {
        let (mut net, ha, hb) = established(1);
        let mark = net.trace.len();
        let (ev_a, ev_b) = (net.a.events.len(), net.b.events.len());
        let old_a = net.a.ep.child_spis(ha)[0];
        let old_b = net.b.ep.child_spis(hb)[0];
        let id = the_child(&mut net, by_a, handle(by_a, ha, hb));
        let now = net.now;
        side(&mut net, by_a)
            .ep
            .rekey_child(now, handle(by_a, ha, hb), id)
            .unwrap();
        net.run(5_000);
        let (_, _, n) = assert_converged(&net);
        assert_eq!(n, 1);
        // CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, KEi, TSi, TSr } carries the
        // old SA's inbound SPI of the rekeying side (§1.3.3).
        let req = net.seen_since(mark, |s| s.is(by_a, CCSA, false));
        assert_eq!(req.len(), 1, "by_a {by_a}");
        let old_in = if by_a { old_a.1 } else { old_b.1 };
        let rekey_spi: Vec<u32> = req[0]
            .inner
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Inner::Notify { ntype, spi } if *ntype == NotifyTypeV2::REKEY_SA => {
                    Some(spi32(spi))
                }
                _ => None,
            })
            .collect();
        assert_eq!(rekey_spi, vec![old_in]);
        // The rekeying side deletes the old SA; the answer lists the
        // peer's half (§1.4.1).
        let other_in = if by_a { old_b.1 } else { old_a.1 };
        assert_eq!(esp_deletes(&net, mark, by_a), vec![vec![old_in]]);
        assert!(esp_deletes(&net, mark, !by_a).is_empty());
        let answer = net.seen_since(mark, |s| s.is(!by_a, INFO, true));
        assert_eq!(answer[0].deleted_esp(), vec![other_in]);
        for (events, old) in [
            (&net.a.events[ev_a..], old_a),
            (&net.b.events[ev_b..], old_b),
        ] {
            assert_eq!(rekeyed_events(events), 1);
            assert_eq!(child_downs(events), vec![(old.1, DownReason::Rekeyed)]);
            assert!(downs(events).is_empty());
        }
        assert_child_history(&net.a.events);
        assert_child_history(&net.b.events);
    }
}

/// Both peers rekey the same Child SA at once, four times, each time with
/// another of the four nonces the lowest.
fn child_collision(variant: usize, fate: impl FnMut(&Sent<'_>) -> Fate + 'static) -> Net {
    child_collision_on(established(1), variant, fate)
}

fn child_collision_on(
    (net, ha, hb): (Net, SaHandle, SaHandle),
    variant: usize,
    fate: impl FnMut(&Sent<'_>) -> Fate + 'static,
) -> Net {
    let nonces = NONCES[variant];
    let mut net = net.with_fate(fate);
    let mark = net.trace.len();
    let (ev_a, ev_b) = (net.a.events.len(), net.b.events.len());
    let old_a = net.a.ep.child_spis(ha)[0];
    let old_b = net.b.ep.child_spis(hb)[0];
    net.a.nonce.set(Some(nonces[0]));
    net.a.ep.rekey_child(net.now, ha, old_a.0).unwrap();
    net.b.nonce.set(Some(nonces[1]));
    net.b.ep.rekey_child(net.now, hb, old_b.0).unwrap();
    net.b.nonce.set(Some(nonces[2]));
    net.a.nonce.set(Some(nonces[3]));
    net.run(5_000);
    net.a.nonce.set(None);
    net.b.nonce.set(None);
    let ctx = format!("variant {variant}");
    // Both exchanges completed: two new Child SAs, one of them redundant.
    let by_a = exchange_spis(&net, mark, true, Seen::is_child_rekey).expect(&ctx);
    let by_b = exchange_spis(&net, mark, false, Seen::is_child_rekey).expect(&ctx);
    let (sa, sb, n) = assert_converged(&net);
    assert_eq!((sa, sb, n), (ha, hb, 1), "{ctx}");
    let survivor = net.a.ep.child_spis(ha)[0];
    // The SA made by the exchange with the lowest nonce goes (§2.8.1).
    let (lost, kept) = if a_exchange_lowest(&nonces) {
        (&by_a, &by_b)
    } else {
        (&by_b, &by_a)
    };
    let kept_a_in = spi32(if a_exchange_lowest(&nonces) {
        &kept.1
    } else {
        &kept.0
    });
    assert_eq!(survivor.1, kept_a_in, "{ctx}");
    // "The Child SA with the lowest nonce SHOULD be deleted by the
    // endpoint that created it", and the old one by the endpoint that
    // made the survivor: each side sends one Delete.
    let loser_is_a = a_exchange_lowest(&nonces);
    let loser_spi = spi32(&lost.0);
    let winner_old = if loser_is_a { old_b.1 } else { old_a.1 };
    assert_eq!(
        esp_deletes(&net, mark, loser_is_a),
        vec![vec![loser_spi]],
        "{ctx}"
    );
    assert_eq!(
        esp_deletes(&net, mark, !loser_is_a),
        vec![vec![winner_old]],
        "{ctx}"
    );
    // Each side announced both new SAs, and took down the redundant one
    // and the old one (as rekeyed).
    for (events, old) in [
        (&net.a.events[ev_a..], old_a),
        (&net.b.events[ev_b..], old_b),
    ] {
        let gone = child_downs(events);
        assert_eq!(gone.len(), 2, "{ctx}: {gone:?}");
        assert!(
            gone.contains(&(old.1, DownReason::Rekeyed)),
            "{ctx}: {gone:?}"
        );
        assert!(downs(events).is_empty(), "{ctx}");
    }
    for events in [&net.a.events, &net.b.events] {
        let up = assert_child_history(events);
        assert_eq!(up.len(), 1, "{ctx}");
    }
    net
}

#[test]
fn child_rekey_collision_deletes_the_sa_with_the_lowest_nonce() {
    for v in 0..4 {
        child_collision(v, |_| Fate::Deliver);
    }
}

#[test]
fn child_rekey_collision_with_a_delayed_response() {
    // B's answer to A's rekey arrives after B has already deleted what it
    // had to delete (strongSwan test_collision_delayed_response).
    for v in 0..4 {
        child_collision(v, every(|s| s.is(false, CCSA, true), Fate::Delay(100)));
    }
}

#[test]
fn child_rekey_collision_after_invalid_ke_payload_both_ways() {
    // Each side prefers another PFS group: both first requests get
    // INVALID_KE_PAYLOAD (§1.3), both retries with the group the peer
    // wants collide, and the nonces decide (strongSwan
    // test_collision_ke_invalid).
    for v in 0..4 {
        let mut a = initiator_peer();
        a.children[0].esp = ProposalSpec::parse_list("aes128gcm16-x25519-ecp256", false).unwrap();
        let mut b = responder_peer();
        b.children[0].esp = ProposalSpec::parse_list("aes128gcm16-ecp256-x25519", false).unwrap();
        let net = child_collision_on(established_with(1, a, b), v, |_| Fate::Deliver);
        let refused = net.seen_since(0, |s| {
            s.exchange == CCSA && s.response && s.has(NotifyTypeV2::INVALID_KE_PAYLOAD)
        });
        assert_eq!(refused.len(), 2, "variant {v}");
    }
}

/// A's rekey request is lost or late: only A sees a collision. B's rekey
/// completes normally, and B answers A's request when it finally arrives
/// with `expect` (§2.25: TEMPORARY_FAILURE while the old SA is being
/// deleted, CHILD_SA_NOT_FOUND once it is gone).
fn child_collision_unseen_by_b(fate: Fate, expect: NotifyTypeV2) {
    for (variant, n) in NONCES.iter().take(3).enumerate() {
        let (net, ha, hb) = established(2);
        let mut net = net.with_fate(first(|s| s.is(true, CCSA, false), fate));
        let mark = net.trace.len();
        let old_a = net.a.ep.child_spis(ha)[0];
        let old_b = net.b.ep.child_spis(hb)[0];
        net.a.nonce.set(Some(n[0]));
        net.a.ep.rekey_child(net.now, ha, old_a.0).unwrap();
        net.b.nonce.set(Some(n[1]));
        net.b.ep.rekey_child(net.now, hb, old_b.0).unwrap();
        net.a.nonce.set(Some(n[2]));
        net.run(30_000);
        let ctx = format!("variant {variant}");
        let by_b = exchange_spis(&net, mark, false, Seen::is_child_rekey).expect(&ctx);
        assert_eq!(answers(&net, mark, true, CCSA), vec![expect], "{ctx}");
        let (_, _, n) = assert_converged(&net);
        assert_eq!(n, 1, "{ctx}");
        assert_eq!(net.b.ep.child_spis(hb)[0].1, spi32(&by_b.0), "{ctx}");
        assert_eq!(esp_deletes(&net, mark, false), vec![vec![old_b.1]], "{ctx}");
        assert!(esp_deletes(&net, mark, true).is_empty(), "{ctx}");
        // No retry after the Child SA went: one rekey request from A.
        let a_rekeys = net.seen_since(mark, |s| s.is(true, CCSA, false));
        assert!(a_rekeys.iter().all(|s| s.mid == a_rekeys[0].mid), "{ctx}");
        assert_child_history(&net.a.events);
        assert_child_history(&net.b.events);
        assert!(downs(&net.a.events).is_empty() && downs(&net.b.events).is_empty());
    }
}

#[test]
fn child_rekey_collision_with_a_delayed_request() {
    // Arrives while B's Delete of the old SA is outstanding.
    child_collision_unseen_by_b(Fate::Delay(15), NotifyTypeV2::TEMPORARY_FAILURE);
}

#[test]
fn child_rekey_collision_with_a_request_delayed_past_the_delete() {
    child_collision_unseen_by_b(Fate::Delay(60), NotifyTypeV2::CHILD_SA_NOT_FOUND);
}

#[test]
fn child_rekey_collision_with_a_dropped_request() {
    // A's first request is lost; its retransmission a second later finds
    // the old SA gone.
    child_collision_unseen_by_b(Fate::Drop, NotifyTypeV2::CHILD_SA_NOT_FOUND);
}

/// One peer rekeys the Child SA, the other deletes it, at `gap` ms apart
/// (negative: the delete first), with `fate` on the link.
fn rekey_and_delete(
    rekey_by_a: bool,
    gap: i64,
    fate: impl FnMut(&Sent<'_>) -> Fate + 'static,
) -> Net {
    let (net, ha, hb) = established(3);
    let mut net = net.with_fate(fate);
    let mark = net.trace.len();
    let rekeyer = handle(rekey_by_a, ha, hb);
    let deleter = handle(!rekey_by_a, ha, hb);
    let rid = the_child(&mut net, rekey_by_a, rekeyer);
    let did = the_child(&mut net, !rekey_by_a, deleter);
    let rekey = |net: &mut Net| {
        let now = net.now;
        side(net, rekey_by_a)
            .ep
            .rekey_child(now, rekeyer, rid)
            .unwrap();
    };
    let delete = |net: &mut Net| {
        let now = net.now;
        side(net, !rekey_by_a)
            .ep
            .delete_child(now, deleter, did)
            .unwrap();
    };
    if gap >= 0 {
        rekey(&mut net);
        net.run(gap as u64);
        delete(&mut net);
    } else {
        delete(&mut net);
        net.run((-gap) as u64);
        rekey(&mut net);
    }
    net.run(40_000);
    let ctx = format!("rekey by A {rekey_by_a}, gap {gap}");
    let (_, _, n) = assert_converged(&net);
    assert_eq!(n, 0, "{ctx}");
    // Nothing was rekeyed, the SA is deleted on both sides as such.
    for events in [&net.a.events, &net.b.events] {
        assert_eq!(rekeyed_events(events), 0, "{ctx}");
        let gone = child_downs(events);
        assert_eq!(gone.len(), 1, "{ctx}");
        assert!(matches!(gone[0].1, DownReason::Deleted { .. }), "{ctx}");
        assert!(downs(events).is_empty());
        assert!(assert_child_history(events).is_empty());
    }
    // The rekey was never retried on a Child SA that is gone (§2.25).
    let rekeys = net.seen_since(mark, |s| s.is(rekey_by_a, CCSA, false));
    assert!(rekeys.iter().all(|s| s.mid == rekeys[0].mid), "{ctx}");
    // The Delete was answered as usual, with a Delete payload, by a peer
    // rekeying the SA (§2.25.1), or without one when the SA was gone.
    let answered = net.seen_since(mark, |s| s.is(rekey_by_a, INFO, true));
    assert_eq!(answered.len(), 1, "{ctx}");
    net
}

#[test]
fn delete_during_a_child_rekey_and_rekey_during_a_delete() {
    for by_a in [true, false] {
        for gap in [0, 5, -5] {
            let net = rekey_and_delete(by_a, gap, |_| Fate::Deliver);
            // The peer deleting the SA refused the rekey (§2.25.1).
            assert_eq!(
                answers(&net, 0, by_a, CCSA),
                vec![NotifyTypeV2::TEMPORARY_FAILURE]
            );
            let answer = net.seen_since(0, |s| s.is(by_a, INFO, true));
            assert_eq!(answer.len(), 1);
            assert_eq!(answer[0].deleted_esp().len(), 1, "a Delete payload");
        }
    }
}

#[test]
fn delete_during_a_child_rekey_with_the_delete_delayed() {
    // The TEMPORARY_FAILURE arrives before the Delete: the rekeying peer
    // must not retry on a Child SA deleted meanwhile.
    for by_a in [true, false] {
        let net = rekey_and_delete(
            by_a,
            0,
            every(move |s| s.is(!by_a, INFO, false), Fate::Delay(30)),
        );
        assert_eq!(
            answers(&net, 0, by_a, CCSA),
            vec![NotifyTypeV2::TEMPORARY_FAILURE]
        );
    }
}

#[test]
fn delete_during_a_child_rekey_with_the_rekey_delayed() {
    // The rekey arrives after the delete completed: CHILD_SA_NOT_FOUND.
    for by_a in [true, false] {
        let net = rekey_and_delete(
            by_a,
            0,
            every(move |s| s.is(by_a, CCSA, false), Fate::Delay(60)),
        );
        assert_eq!(
            answers(&net, 0, by_a, CCSA),
            vec![NotifyTypeV2::CHILD_SA_NOT_FOUND]
        );
    }
}

/// Child SA work on one side, an IKE SA rekey on the other, at once.
/// §2.25.1: a request to rekey the IKE SA while creating, rekeying or
/// closing a Child SA gets TEMPORARY_FAILURE; §2.25.2: so does a request
/// to create or rekey a Child SA while rekeying the IKE SA, while a
/// Delete is answered as usual. Both retry later and end in agreement.
fn child_work_against_ike_rekey(work: &str) -> Net {
    let mut ini = initiator_peer();
    ini.children
        .push(child("web", "10.1.5.0/24", "10.2.5.0/24"));
    let mut resp = responder_peer();
    resp.children
        .push(child("web", "10.2.0.0/16", "10.1.0.0/16"));
    // B retries its IKE rekey a minute after a failure.
    resp.ike_rekey_ms = Some(3_600_000);
    let mut net = Net::new(
        endpoint(vec![ini], 4, |_| {}),
        endpoint(vec![resp], 5, |_| {}),
    );
    let ha = connect(&mut net);
    let hb = only_sa(&net.b.ep);
    let mark = net.trace.len();
    let old_ike = net.a.ep.ike_spis(ha);
    let c = net.a.ep.child_spis(ha)[0].0;
    match work {
        "rekey" => net.a.ep.rekey_child(net.now, ha, c).unwrap(),
        "delete" => net.a.ep.delete_child(net.now, ha, c).unwrap(),
        "create" => net.a.ep.create_child(net.now, ha, "web").unwrap(),
        _ => unreachable!(),
    }
    net.b.ep.rekey_ike(net.now, hb).unwrap();
    net.run(1_000);
    let first = net.seen_since(mark, |s| s.response && s.exchange == CCSA);
    // Each side refused what the other asked, except a Delete.
    let refused: Vec<(bool, bool)> = first
        .iter()
        .map(|s| (s.from_a, s.has(NotifyTypeV2::TEMPORARY_FAILURE)))
        .collect();
    if work == "delete" {
        // A refused the IKE rekey; B answered the Delete normally.
        assert_eq!(refused, vec![(true, true)], "{work}");
        let d = net.seen_since(mark, |s| s.is(false, INFO, true));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].deleted_esp().len(), 1, "{work}");
    } else {
        assert_eq!(refused.len(), 2, "{work}: {refused:?}");
        assert!(refused.iter().all(|r| r.1), "{work}: {refused:?}");
    }
    if work == "create" {
        // The application retries the new Child SA after the failure.
        assert!(net.a.events.iter().any(|e| matches!(
            e,
            Event::ChildSaFailed {
                notify: NotifyTypeV2::TEMPORARY_FAILURE,
                ..
            }
        )));
        net.a.ep.create_child(net.now, ha, "web").unwrap();
    }
    // The Child rekey is retried 10 s later, the IKE rekey after a minute.
    net.run(80_000);
    let (na, _, n) = assert_converged(&net);
    assert_ne!(
        net.a.ep.ike_spis(na),
        old_ike,
        "{work}: the IKE SA was rekeyed"
    );
    let want = match work {
        "delete" => 0,
        "rekey" => 1,
        _ => 2,
    };
    assert_eq!(n, want, "{work}");
    for events in [&net.a.events, &net.b.events] {
        assert_eq!(assert_child_history(events).len(), want, "{work}");
        assert_eq!(downs(events), vec![DownReason::Rekeyed], "{work}");
        assert_ike_history(events, &[ha]);
    }
    if work == "rekey" {
        assert_eq!(rekeyed_events(&net.a.events), 1);
    }
    net
}

#[test]
fn a_child_rekey_crossing_an_ike_rekey_is_refused_both_ways_and_retried() {
    child_work_against_ike_rekey("rekey");
}

#[test]
fn a_child_delete_crossing_an_ike_rekey_completes_and_the_ike_rekey_is_retried() {
    child_work_against_ike_rekey("delete");
}

#[test]
fn a_child_creation_crossing_an_ike_rekey_is_refused_both_ways() {
    child_work_against_ike_rekey("create");
}

#[test]
fn an_ike_delete_crossing_a_child_rekey_takes_everything_down() {
    for rekey_by_a in [true, false] {
        let (mut net, ha, hb) = established(6);
        let mark = net.trace.len();
        let (r, d) = (handle(rekey_by_a, ha, hb), handle(!rekey_by_a, ha, hb));
        let c = the_child(&mut net, rekey_by_a, r);
        let now = net.now;
        side(&mut net, rekey_by_a)
            .ep
            .rekey_child(now, r, c)
            .unwrap();
        side(&mut net, !rekey_by_a).ep.delete_ike(now, d).unwrap();
        net.run(60_000);
        // The peer closing the IKE SA refused the rekey.
        assert_eq!(
            answers(&net, mark, rekey_by_a, CCSA),
            vec![NotifyTypeV2::TEMPORARY_FAILURE]
        );
        assert_eq!(net.a.ep.sa_count() + net.b.ep.sa_count(), 0);
        let (rk, dl) = if rekey_by_a {
            (&net.a.events, &net.b.events)
        } else {
            (&net.b.events, &net.a.events)
        };
        assert_eq!(downs(rk), vec![DownReason::Deleted { by_peer: true }]);
        assert_eq!(downs(dl), vec![DownReason::Deleted { by_peer: false }]);
        for events in [rk, dl] {
            assert_eq!(rekeyed_events(events), 0);
            assert!(assert_child_history(events).is_empty());
        }
    }
}

// ----------------------------------------------------------------- IKE SAs

#[test]
fn a_regular_ike_rekey_by_either_peer_moves_the_child_sas() {
    for by_a in [true, false] {
        let (mut net, ha, hb) = established(7);
        let mark = net.trace.len();
        let children = (net.a.ep.child_spis(ha), net.b.ep.child_spis(hb));
        let now = net.now;
        side(&mut net, by_a)
            .ep
            .rekey_ike(now, handle(by_a, ha, hb))
            .unwrap();
        net.run(5_000);
        let (na, nb, n) = assert_converged(&net);
        assert_eq!(n, 1);
        assert!(na != ha && nb != hb);
        // The SA the exchange made (§2.18: SPIs from its SA payloads),
        // the Child SA unchanged (same SPIs) on the new one.
        let (si, sr) = exchange_spis(&net, mark, by_a, Seen::is_ike_rekey).unwrap();
        // The peer that rekeyed is the original initiator of the new SA.
        let new = net.a.ep.ike_spis(na).unwrap();
        assert_eq!((new.0.to_vec(), new.1.to_vec()), (si, sr));
        assert_eq!(net.a.ep.child_spis(na)[0].1, children.0[0].1);
        assert_eq!(net.b.ep.child_spis(nb)[0].1, children.1[0].1);
        // The rekeying side deletes the old IKE SA.
        let dels = net.seen_since(mark, |s| {
            s.exchange == INFO && !s.response && s.deletes_ike()
        });
        assert_eq!(dels.len(), 1);
        assert_eq!(dels[0].from_a, by_a);
        for (events, old, new) in [(&net.a.events, ha, na), (&net.b.events, hb, nb)] {
            assert!(events.iter().any(
                |e| matches!(e, Event::IkeSaRekeyed { old: o, new: n } if *o == old && *n == new)
            ));
            assert_eq!(downs(events), vec![DownReason::Rekeyed]);
            assert!(child_downs(events).is_empty());
            assert_ike_history(events, &[ha]);
        }
        // The new SA carries on: a Child rekey from the other side works.
        let (h, id) = if by_a {
            (nb, net.b.ep.child_spis(nb)[0].0)
        } else {
            (na, net.a.ep.child_spis(na)[0].0)
        };
        let now = net.now;
        side(&mut net, !by_a).ep.rekey_child(now, h, id).unwrap();
        net.run(5_000);
        assert_eq!(assert_converged(&net).2, 1);
    }
}

/// Both peers rekey the IKE SA at once; `fate` on the link; runs long
/// enough for every leftover to be cleaned up. The survivor is the SA of
/// the exchange without the lowest nonce, or of B's exchange when
/// `b_only` (only A saw a collision).
fn ike_collision(
    variant: usize,
    b_only: bool,
    fate: impl FnMut(&Sent<'_>) -> Fate + 'static,
) -> Net {
    let nonces = NONCES[variant];
    let (net, ha, hb) = established(8);
    let mut net = net.with_fate(fate);
    let mark = net.trace.len();
    let children = net.a.ep.child_spis(ha);
    net.a.nonce.set(Some(nonces[0]));
    net.a.ep.rekey_ike(net.now, ha).unwrap();
    net.b.nonce.set(Some(nonces[1]));
    net.b.ep.rekey_ike(net.now, hb).unwrap();
    net.b.nonce.set(Some(nonces[2]));
    net.a.nonce.set(Some(nonces[3]));
    net.run(2_000);
    net.a.nonce.set(None);
    net.b.nonce.set(None);
    net.run(60_000);
    let ctx = format!("variant {variant}");
    let (na, nb, n) = assert_converged(&net);
    assert_eq!(n, 1, "{ctx}");
    assert_eq!(net.a.ep.child_spis(na)[0].1, children[0].1, "{ctx}");
    // The IKE SA made by the exchange with the lowest nonce goes
    // (§2.8.2): the survivor is the other exchange's.
    let by_a = exchange_spis(&net, mark, true, Seen::is_ike_rekey);
    let by_b = exchange_spis(&net, mark, false, Seen::is_ike_rekey);
    let kept = net.a.ep.ike_spis(na).unwrap();
    let kept = (kept.0.to_vec(), kept.1.to_vec());
    if a_exchange_lowest(&nonces) || b_only {
        assert_eq!(Some(kept), by_b, "{ctx}");
    } else {
        assert_eq!(Some(kept), by_a, "{ctx}");
    }
    // Each side saw one rekey of the SA it knew and one SA go down, as
    // rekeyed; nothing about the redundant SA reaches the application.
    for (events, old, new) in [(&net.a.events, ha, na), (&net.b.events, hb, nb)] {
        let rekeyed: Vec<(SaHandle, SaHandle)> = events
            .iter()
            .filter_map(|e| match e {
                Event::IkeSaRekeyed { old, new } => Some((*old, *new)),
                _ => None,
            })
            .collect();
        assert_eq!(rekeyed, vec![(old, new)], "{ctx}");
        assert_eq!(downs(events), vec![DownReason::Rekeyed], "{ctx}");
        assert!(child_downs(events).is_empty(), "{ctx}");
        assert_ike_history(events, &[ha]);
    }
    net
}

#[test]
fn ike_rekey_collision_keeps_the_sa_without_the_lowest_nonce() {
    for v in 0..4 {
        ike_collision(v, false, |_| Fate::Deliver);
    }
}

#[test]
fn ike_rekey_collision_with_a_delayed_response() {
    // B's answer to A's rekey arrives after B deleted the old IKE SA: A
    // never learns of the SA its own request made on B.
    for v in 0..4 {
        ike_collision(
            v,
            false,
            every(|s| s.is(false, CCSA, true), Fate::Delay(100)),
        );
    }
}

#[test]
fn ike_rekey_collision_with_a_dropped_or_delayed_request() {
    for fate in [Fate::Drop, Fate::Delay(15), Fate::Delay(60)] {
        for v in 0..3 {
            // Only A sees a collision: B's rekey makes the survivor,
            // whatever the nonces.
            let net = ike_collision(v, true, first(|s| s.is(true, CCSA, false), fate));
            // A's request found the old SA replaced (TEMPORARY_FAILURE) or
            // gone (no answer).
            let answered = answers(&net, 0, true, CCSA);
            assert!(
                answered
                    .iter()
                    .all(|n| *n == NotifyTypeV2::TEMPORARY_FAILURE),
                "{fate:?} {v}: {answered:?}"
            );
        }
    }
}

/// One peer rekeys the IKE SA, the other deletes it, `gap` ms apart
/// (negative: the delete first).
fn ike_rekey_and_delete(
    rekey_by_a: bool,
    gap: i64,
    fate: impl FnMut(&Sent<'_>) -> Fate + 'static,
) -> Net {
    let (net, ha, hb) = established(9);
    let mut net = net.with_fate(fate);
    let (r, d) = (handle(rekey_by_a, ha, hb), handle(!rekey_by_a, ha, hb));
    let rekey = |net: &mut Net| {
        let now = net.now;
        side(net, rekey_by_a).ep.rekey_ike(now, r).unwrap();
    };
    let delete = |net: &mut Net| {
        let now = net.now;
        side(net, !rekey_by_a).ep.delete_ike(now, d).unwrap();
    };
    if gap >= 0 {
        rekey(&mut net);
        net.run(gap as u64);
        delete(&mut net);
    } else {
        delete(&mut net);
        net.run((-gap) as u64);
        rekey(&mut net);
    }
    net.run(60_000);
    let ctx = format!("rekey by A {rekey_by_a}, gap {gap}");
    // Everything is gone on both sides, and no rekeyed SA was left over.
    assert_eq!(net.a.ep.sa_count(), 0, "{ctx}");
    assert_eq!(net.b.ep.sa_count(), 0, "{ctx}");
    let (rk, dl) = if rekey_by_a {
        (&net.a.events, &net.b.events)
    } else {
        (&net.b.events, &net.a.events)
    };
    // "Reply as usual, and forget about its own rekeying request" (§2.25.2).
    assert_eq!(
        downs(rk),
        vec![DownReason::Deleted { by_peer: true }],
        "{ctx}"
    );
    assert_eq!(
        downs(dl),
        vec![DownReason::Deleted { by_peer: false }],
        "{ctx}"
    );
    for events in [rk, dl] {
        assert!(!events
            .iter()
            .any(|e| matches!(e, Event::IkeSaRekeyed { .. })));
        assert!(assert_child_history(events).is_empty(), "{ctx}");
        assert_ike_history(events, &[ha]);
    }
    net
}

#[test]
fn ike_delete_during_an_ike_rekey_and_rekey_during_a_delete() {
    for by_a in [true, false] {
        for gap in [0, 5, -5] {
            let net = ike_rekey_and_delete(by_a, gap, |_| Fate::Deliver);
            // The peer closing the SA refused the rekey (§2.25.2).
            assert_eq!(
                answers(&net, 0, by_a, CCSA),
                vec![NotifyTypeV2::TEMPORARY_FAILURE],
                "by A {by_a}, gap {gap}"
            );
        }
    }
}

#[test]
fn ike_delete_during_an_ike_rekey_with_either_request_delayed() {
    for by_a in [true, false] {
        // The rekey request arrives after the SA is gone: no answer.
        let rekey = |s: &Sent<'_>| s.msg.is_some_and(|m| m.is_ike_rekey() && !m.response);
        let net = ike_rekey_and_delete(by_a, 0, every(rekey, Fate::Delay(60)));
        assert!(answers(&net, 0, by_a, CCSA).is_empty());
        // The Delete arrives after the refusal.
        let delete = |s: &Sent<'_>| s.msg.is_some_and(Seen::deletes_ike);
        let net = ike_rekey_and_delete(by_a, 0, every(delete, Fate::Delay(30)));
        assert_eq!(
            answers(&net, 0, by_a, CCSA),
            vec![NotifyTypeV2::TEMPORARY_FAILURE]
        );
    }
}
