//! Heap bytes an endpoint holds per IKE SA: a responder with N
//! established IKE SAs, each with one Child SA (PSK, AES-GCM-16-256,
//! PRF-HMAC-SHA2-256, ESP AES-GCM-16-256), for X25519, ECP-256 and
//! MODP-2048; and per half-open SA (IKE_SA_INIT answered, IKE_AUTH not
//! yet received). Measured with a counting global allocator: the bytes
//! freed when the responder is dropped, less those of an empty one,
//! divided by N.
//!
//! Run: `cargo run --release --example engine_sa_memory [N]` (default 1000).

#[path = "../tests/common/engine_net.rs"]
mod engine_net;
#[path = "../tests/common/heap.rs"]
mod heap;

use engine_net::*;
use rike::engine::ProposalSpec;

#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

/// The heap a responder holds after `n` handshakes; `complete` false
/// stops each after IKE_SA_INIT.
fn responder_bytes(group: &str, n: usize, complete: bool) -> i64 {
    let ike = ProposalSpec::parse_list(&format!("aes256gcm16-prfsha256-{group}"), true).unwrap();
    let esp = ProposalSpec::parse_list("aes256gcm16", false).unwrap();
    let mut ini = initiator_peer();
    ini.ike = ike.clone();
    ini.children[0].esp = esp.clone();
    ini.initial_contact = false;
    let mut resp = responder_peer();
    resp.ike = ike;
    resp.children[0].esp = esp;
    let limits = |c: &mut rike::engine::Config| {
        c.limits.ike_sa_max = n + 1;
        c.limits.half_open_max = n + 1;
        c.limits.cookie_threshold = n + 1;
    };
    let mut a = endpoint(vec![ini], 1, limits).ep;
    let mut b = endpoint(vec![resp], 2, limits).ep;
    if complete {
        establish_many(&mut a, &mut b, n);
        assert_eq!((b.sa_count(), b.half_open_count()), (n, 0));
    } else {
        for _ in 0..n {
            a.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
            while let Some(t) = a.poll_transmit() {
                b.handle(0, t.remote, t.local, &t.data);
            }
            while b.poll_transmit().is_some() || b.poll_event().is_some() {}
        }
        assert_eq!(b.half_open_count(), n);
    }
    drop(a);
    heap::held_by(b)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    println!("responder heap, {n} SAs (bytes per SA, empty endpoint subtracted):");
    for group in ["x25519", "ecp256", "modp2048"] {
        let empty = responder_bytes(group, 0, true);
        let up = responder_bytes(group, n, true);
        let half = responder_bytes(group, n, false);
        println!(
            "  {group:9} established IKE SA + 1 Child SA: {:5} B   half-open IKE SA: {:5} B   (empty endpoint {empty} B)",
            (up - empty) / n as i64,
            (half - empty) / n as i64,
        );
    }
}
