//! What an endpoint holds on the heap, measured with a counting
//! allocator (its own test binary, so that no other allocator is in the
//! way): a flood of spoofed IKE_SA_INIT requests leaves it bounded, and an
//! established IKE SA with its Child SA costs a bounded number of bytes.

#[path = "common/engine_net.rs"]
mod engine_net;
#[path = "common/heap.rs"]
mod heap;

use std::net::Ipv4Addr;

use engine_net::*;
use rike::engine::Endpoint;

#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

/// 10 000 IKE_SA_INIT requests from spoofed addresses, made by a real
/// initiator whose answers are never delivered; `b` gets them in batches
/// and the heap it holds after each is returned.
fn flood(b: &mut Endpoint, batches: &[u32]) -> Vec<i64> {
    let mut flood_peer = initiator_peer();
    flood_peer.remote = Some(addr(B_IP, 500));
    let mut flooder = endpoint(vec![flood_peer], 9, |c| c.limits.ike_sa_max = 20_000).ep;
    let mut packets = Vec::new();
    for i in 0..batches.iter().sum::<u32>() {
        let spoofed = addr(Ipv4Addr::from(0x0a00_0000 + i), 500);
        flooder.initiate(0, "to-b", spoofed).unwrap();
        while let Some(t) = flooder.poll_transmit() {
            packets.push((t.local, t.data));
        }
    }
    drop(flooder);
    let start = heap::live();
    let mut held = Vec::new();
    let mut it = packets.iter();
    for &n in batches {
        for (from, data) in it.by_ref().take(n as usize) {
            b.handle(1, addr(B_IP, 500), *from, data);
            // The application sends the answers and reads the events.
            while b.poll_transmit().is_some() {}
            while b.poll_event().is_some() {}
        }
        held.push(heap::live() - start);
    }
    held
}

#[test]
fn a_spoofed_flood_leaves_the_heap_bounded() {
    // With cookies (RFC 7296 §2.6) past 30 half-open SAs: nothing is kept
    // for the other 9 970.
    let mut b = endpoint(vec![responder_peer()], 2, |_| {}).ep;
    let held = flood(&mut b, &[1_000, 4_000, 5_000]);
    assert_eq!(b.half_open_count(), 30);
    println!("cookies: held after 1k/5k/10k requests: {held:?} bytes");
    assert!(held[0] > 0);
    assert!(held[2] - held[0] < 4096, "{held:?}");
    // Without cookies, the half-open limit bounds it: 1 000 SAs at most,
    // then nothing more.
    let mut b = endpoint(vec![responder_peer()], 2, |c| {
        c.limits.cookie_threshold = usize::MAX;
        c.limits.half_open_max = 1_000;
    })
    .ep;
    let held = flood(&mut b, &[1_000, 4_000, 5_000]);
    assert_eq!(b.half_open_count(), 1_000);
    let per_half_open = held[0] / 1_000;
    println!("no cookies: held {held:?} bytes, {per_half_open} bytes per half-open SA");
    assert!(held[2] - held[0] < 4096, "{held:?}");
    assert!(
        per_half_open < 16 * 1024,
        "{per_half_open} bytes per half-open SA"
    );
    // They time out and the heap goes back down.
    b.handle_timeout(60_000);
    while b.poll_event().is_some() {}
    assert_eq!(b.sa_count(), 0);
}

#[test]
fn an_established_ike_sa_with_a_child_sa_costs_a_few_kilobytes() {
    const N: usize = 500;
    let responder = |n: usize| {
        let mut a = endpoint(vec![initiator_peer()], 1, |c| c.limits.ike_sa_max = N + 1).ep;
        let mut b = endpoint(vec![responder_peer()], 2, |c| c.limits.ike_sa_max = N + 1).ep;
        establish_many(&mut a, &mut b, n);
        assert_eq!(b.sa_count(), n);
        assert_eq!(b.half_open_count(), 0);
        drop(a);
        heap::held_by(b)
    };
    let empty = responder(0);
    let full = responder(N);
    let per_sa = (full - empty) / N as i64;
    println!("responder: {empty} bytes empty, {per_sa} bytes per IKE SA with one Child SA");
    assert!(per_sa > 0);
    assert!(per_sa < 16 * 1024, "{per_sa} bytes per SA");
}
