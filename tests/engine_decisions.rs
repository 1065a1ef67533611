//! The application's decisions in the engine: signatures made by an
//! external key (`LocalAuth::External` → `SignRequest` →
//! `provide_signature`) and admission of half-open SAs
//! (`Config::ask_admission` → `HalfOpenRequest` → `admit`).
//!
//! Two endpoints in one process, datagrams handed over directly.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rike::crypto::{load_private_key, RustCrypto, Secret, SeededRandom};
use rike::engine::{
    Admission, ChildConfig, Config, DownReason, Endpoint, EngineError, Event, Identity, IpsecMode,
    LocalAuth, PeerConfig, ProposalSpec, RemoteAuth, RequestId, TrafficSelector,
};

fn addr(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), port)
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

fn peer(name: &str, remote: Option<SocketAddr>, me: &str, them: &str) -> PeerConfig {
    PeerConfig {
        name: name.into(),
        remote,
        local_id: Identity::parse(me),
        remote_id: Some(Identity::parse(them)),
        local_auth: LocalAuth::Psk(Secret::from_slice(b"k")),
        remote_auth: RemoteAuth::Psk(Secret::from_slice(b"k")),
        ike: ProposalSpec::parse_list("aes256gcm16-prfsha256-x25519", true).unwrap(),
        children: vec![ChildConfig {
            name: "net".into(),
            esp: ProposalSpec::parse_list("aes256gcm16", false).unwrap(),
            local_ts: vec![TrafficSelector::parse("10.1.0.0/16").unwrap()],
            remote_ts: vec![TrafficSelector::parse("10.2.0.0/16").unwrap()],
            mode: IpsecMode::Tunnel,
            rekey_ms: None,
            lifetime_ms: None,
        }],
        ike_rekey_ms: None,
        dpd_ms: None,
        fragmentation: true,
        initial_contact: true,
        force_encap: false,
        ikev1: None,
    }
}

fn endpoint(p: PeerConfig, seed: u8, tweak: impl FnOnce(&mut Config)) -> Endpoint {
    let mut c = Config::with_peers(vec![p]);
    tweak(&mut c);
    Endpoint::new(
        Arc::new(c),
        Arc::new(RustCrypto::new()),
        Box::new(SeededRandom::from_seed([seed; 32])),
    )
}

/// Moves datagrams both ways until both are quiet; returns the events.
fn pump(a: &mut Endpoint, b: &mut Endpoint, now: u64) -> (Vec<Event>, Vec<Event>) {
    let (mut ea, mut eb) = (vec![], vec![]);
    loop {
        let mut moved = false;
        while let Some(t) = a.poll_transmit() {
            b.handle(now, t.remote, t.local, &t.data);
            moved = true;
        }
        while let Some(t) = b.poll_transmit() {
            a.handle(now, t.remote, t.local, &t.data);
            moved = true;
        }
        ea.extend(std::iter::from_fn(|| a.poll_event()));
        eb.extend(std::iter::from_fn(|| b.poll_event()));
        if !moved {
            return (ea, eb);
        }
    }
}

fn sign_requests(ev: &[Event]) -> Vec<(RequestId, rike::engine::SaHandle, Vec<u8>, bool)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::SignRequest {
                request,
                sa,
                data,
                der,
                ..
            } => Some((*request, *sa, data.clone(), *der)),
            _ => None,
        })
        .collect()
}

fn ups(ev: &[Event]) -> usize {
    ev.iter()
        .filter(|e| matches!(e, Event::IkeSaUp { .. }))
        .count()
}

/// Certificates on both sides; both keys held "externally" (signed by the
/// test with the same key the engine would have used).
#[test]
fn external_keys_sign_on_request_on_both_sides() {
    let root = der("root.pem");
    let rsa = load_private_key(&pem("ee-rsa.key")).unwrap();
    let p256 = load_private_key(&pem("ee-p256.key")).unwrap();
    let mut pa = peer(
        "to-b",
        Some(addr(2, 500)),
        "gw.example.org",
        "vpn.example.com",
    );
    pa.local_auth = LocalAuth::External {
        schemes: rsa.schemes().to_vec(),
        chain: vec![der("ee-rsa.pem"), der("inter.pem")],
    };
    pa.remote_auth = RemoteAuth::Certificate {
        cas: vec![root.clone()],
    };
    let mut pb = peer("from-a", None, "vpn.example.com", "gw.example.org");
    pb.local_auth = LocalAuth::External {
        schemes: p256.schemes().to_vec(),
        chain: vec![der("ee-p256.pem"), der("inter.pem")],
    };
    pb.remote_auth = RemoteAuth::Certificate { cas: vec![root] };
    let mut a = endpoint(pa, 1, |_| {});
    let mut b = endpoint(pb, 2, |_| {});
    let h = a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let (ea, eb) = pump(&mut a, &mut b, 1);
    // A waits to sign its IKE_AUTH; nothing is sent meanwhile.
    let reqs = sign_requests(&ea);
    assert_eq!(reqs.len(), 1, "{ea:?}");
    assert!(eb.iter().all(|e| matches!(e, Event::IkeKeys(_))), "{eb:?}");
    let (rq, sa, data, der_ecdsa) = reqs[0].clone();
    assert_eq!(sa, h);
    assert!(der_ecdsa, "the peer announced RFC 7427 hashes");
    // A stale or foreign request id is refused and changes nothing.
    assert_eq!(
        a.provide_signature(2, h, RequestId(rq.0 + 100), Some(vec![1])),
        Err(EngineError::UnknownRequest(RequestId(rq.0 + 100)))
    );
    let scheme = match &ea[ea.len() - 1] {
        Event::SignRequest { scheme, .. } => *scheme,
        e => panic!("{e:?}"),
    };
    let sig = rsa.sign_der(scheme, &data).unwrap();
    a.provide_signature(2, h, rq, Some(sig)).unwrap();
    // B checks A, then asks for its own signature.
    let (ea, eb) = pump(&mut a, &mut b, 3);
    assert!(ea.iter().all(|e| matches!(e, Event::IkeKeys(_))), "{ea:?}");
    let reqs = sign_requests(&eb);
    assert_eq!(reqs.len(), 1, "{eb:?}");
    let (rq, hb, data, _) = reqs[0].clone();
    let scheme = match eb.last().unwrap() {
        Event::SignRequest { scheme, .. } => *scheme,
        e => panic!("{e:?}"),
    };
    let sig = p256.sign_der(scheme, &data).unwrap();
    b.provide_signature(4, hb, rq, Some(sig)).unwrap();
    // Answered twice: the second is unknown.
    assert_eq!(
        b.provide_signature(4, hb, rq, Some(vec![0])),
        Err(EngineError::UnknownRequest(rq))
    );
    let (ea, eb2) = pump(&mut a, &mut b, 5);
    assert_eq!(ups(&eb2), 1, "{eb2:?}");
    assert_eq!(ups(&ea), 1, "{ea:?}");
    assert!(a.is_established(h) && b.is_established(hb));
}

#[test]
fn a_refused_or_bad_external_signature_fails_the_sa() {
    let rsa = load_private_key(&pem("ee-rsa.key")).unwrap();
    let mut pa = peer("to-b", Some(addr(2, 500)), "a.example", "b.example");
    pa.local_auth = LocalAuth::External {
        schemes: rsa.schemes().to_vec(),
        chain: vec![der("ee-rsa.pem")],
    };
    let pb = peer("from-a", None, "b.example", "a.example");
    // The application cannot sign: A's SA goes down, nothing is sent.
    let mut a = endpoint(pa.clone(), 1, |_| {});
    let mut b = endpoint(pb.clone(), 2, |_| {});
    let h = a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let (ea, _) = pump(&mut a, &mut b, 1);
    let (rq, _, _, _) = sign_requests(&ea)[0].clone();
    a.provide_signature(2, h, rq, None).unwrap();
    assert!(a.poll_transmit().is_none());
    let down: Vec<_> = std::iter::from_fn(|| a.poll_event()).collect();
    assert!(
        matches!(&down[..], [Event::IkeSaDown { sa, reason: DownReason::Error(_) }] if *sa == h),
        "{down:?}"
    );
    assert_eq!(a.sa_count(), 0);
    // Garbage for a signature: B (which expects a PSK anyway) refuses.
    let mut a = endpoint(pa, 1, |_| {});
    let mut b = endpoint(pb, 2, |_| {});
    let h = a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let (ea, _) = pump(&mut a, &mut b, 1);
    let (rq, _, _, _) = sign_requests(&ea)[0].clone();
    a.provide_signature(2, h, rq, Some(vec![0x55; 256]))
        .unwrap();
    let (ea, eb) = pump(&mut a, &mut b, 3);
    assert_eq!(ups(&ea) + ups(&eb), 0);
    assert!(ea.iter().any(|e| matches!(
        e,
        Event::IkeSaDown {
            reason: DownReason::AuthenticationFailed { by_peer: true },
            ..
        }
    )));
}

#[test]
fn half_open_sas_wait_for_admission() {
    let pa = peer("to-b", Some(addr(2, 500)), "a.example", "b.example");
    let pb = peer("from-a", None, "b.example", "a.example");
    let mut a = endpoint(pa.clone(), 1, |_| {});
    let mut b = endpoint(pb.clone(), 2, |c| c.ask_admission = true);
    let h = a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let first = a.poll_transmit().unwrap();
    b.handle(1, first.remote, first.local, &first.data);
    // No state, no answer: an event instead.
    assert_eq!(b.sa_count(), 0);
    assert!(b.poll_transmit().is_none());
    let Some(Event::HalfOpenRequest {
        request,
        remote,
        spi_i,
        ..
    }) = b.poll_event()
    else {
        panic!("no HalfOpenRequest")
    };
    assert_eq!(remote, addr(1, 500));
    assert_eq!(Some(spi_i), a.ike_spis(h).map(|s| s.0));
    // A retransmission while the application decides is not asked again.
    b.handle(2, first.remote, first.local, &first.data);
    assert!(b.poll_event().is_none());
    b.admit(3, request, Admission::Accept).unwrap();
    assert_eq!(
        b.admit(3, request, Admission::Accept),
        Err(EngineError::UnknownRequest(request))
    );
    assert_eq!(b.half_open_count(), 1);
    let (ea, eb) = pump(&mut a, &mut b, 4);
    assert_eq!((ups(&ea), ups(&eb)), (1, 1));

    // Cookie: the initiator comes back with it and is asked about again.
    let mut a = endpoint(pa.clone(), 3, |_| {});
    let mut b = endpoint(pb.clone(), 4, |c| c.ask_admission = true);
    a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let t = a.poll_transmit().unwrap();
    b.handle(1, t.remote, t.local, &t.data);
    let Some(Event::HalfOpenRequest { request, .. }) = b.poll_event() else {
        panic!()
    };
    b.admit(2, request, Admission::Cookie).unwrap();
    let cookie = b.poll_transmit().unwrap();
    assert!(cookie.sa.is_none());
    a.handle(3, cookie.remote, cookie.local, &cookie.data);
    let t = a.poll_transmit().unwrap();
    b.handle(4, t.remote, t.local, &t.data);
    let Some(Event::HalfOpenRequest { request, .. }) = b.poll_event() else {
        panic!()
    };
    b.admit(5, request, Admission::Accept).unwrap();
    let (ea, eb) = pump(&mut a, &mut b, 6);
    assert_eq!((ups(&ea), ups(&eb)), (1, 1));
    assert_eq!(b.stats().cookies_sent, 1);

    // Drop, and an answer after the half-open timeout.
    let mut a = endpoint(pa, 5, |_| {});
    let mut b = endpoint(pb, 6, |c| c.ask_admission = true);
    a.initiate(0, "to-b", addr(1, 500)).unwrap();
    let t = a.poll_transmit().unwrap();
    b.handle(1, t.remote, t.local, &t.data);
    let Some(Event::HalfOpenRequest { request, .. }) = b.poll_event() else {
        panic!()
    };
    b.admit(2, request, Admission::Drop).unwrap();
    assert!(b.poll_transmit().is_none());
    assert_eq!(b.sa_count(), 0);
    b.handle(10, t.remote, t.local, &t.data);
    let Some(Event::HalfOpenRequest { request, .. }) = b.poll_event() else {
        panic!()
    };
    let late = 10 + b.config().limits.half_open_timeout_ms;
    assert_eq!(
        b.admit(late, request, Admission::Accept),
        Err(EngineError::UnknownRequest(request))
    );
    assert_eq!(b.sa_count(), 0);
}
