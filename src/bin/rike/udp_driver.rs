//! Runs an IKEv2 [`Endpoint`] over two UDP sockets (the IKE port and
//! 4500 for NAT traversal; the engine adds and strips the non-ESP
//! marker), or TCP (RFC 8229, `tcp.rs`), a monotonic clock, a key log and
//! a small script of actions.
//! One line on stderr per event; keys only ever go to `--keylog`.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rike::crypto::{OsRandom, RustCrypto};
use rike::engine::{ChildId, ChildSaInfo, DownReason, Endpoint, Event, SaHandle, Transmit};
use rike::wire::registry::IntegId;

use crate::connect::Setup;
use crate::keylog::KeyLog;
use crate::tcp::{self, Datagram, Streams};

/// The NAT-T port (RFC 3948); the engine floats to it.
const NATT_PORT: u16 = 4500;

/// How long a scripted action may wait for its outcome (the engine's
/// retransmissions give up sooner).
const OUTCOME_WAIT_MS: u64 = 60_000;

/// Which side starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `rike connect`.
    Initiator,
    /// `rike listen`.
    Responder,
}

/// How a run goes: sockets, exit rules, scripted actions (delays after
/// the first Child SA is up, ms).
#[derive(Clone, Debug)]
pub struct Plan {
    /// Initiator or responder.
    pub role: Role,
    /// Our IKE port.
    pub port: u16,
    /// Exit once the first Child SA is up (after actions and linger).
    pub once: bool,
    /// Give up when no Child SA is up after this long.
    pub timeout_ms: Option<u64>,
    /// Stay this long after the Child SA is up and the actions ran.
    pub linger_ms: u64,
    /// Key log directory.
    pub keylog: Option<PathBuf>,
    /// Rekey the Child SA.
    pub rekey_child_after: Option<u64>,
    /// Rekey the IKE SA.
    pub rekey_ike_after: Option<u64>,
    /// Delete the Child SA.
    pub delete_child_after: Option<u64>,
    /// Delete the IKE SA.
    pub delete_after: Option<u64>,
    /// Print the engine's diagnostics.
    pub verbose: bool,
    /// IKE over TCP (RFC 8229) on port 4500.
    pub tcp: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    RekeyChild,
    RekeyIke,
    DeleteChild,
    DeleteIke,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::RekeyChild => "rekey the Child SA",
            Action::RekeyIke => "rekey the IKE SA",
            Action::DeleteChild => "delete the Child SA",
            Action::DeleteIke => "delete the IKE SA",
        }
    }
}

fn log(start: Instant, msg: &str) {
    eprintln!("rike {:8.3} {msg}", start.elapsed().as_secs_f64());
}

/// Why an SA went down, for people.
pub fn reason(r: &DownReason) -> String {
    #[allow(unreachable_patterns)]
    match r {
        DownReason::Deleted { by_peer: true } => "deleted by the peer".into(),
        DownReason::Deleted { by_peer: false } => "deleted by us".into(),
        DownReason::Rekeyed => "rekeyed".into(),
        DownReason::Timeout => "the peer did not answer (retransmissions exhausted)".into(),
        DownReason::HalfOpenTimeout => "the half-open SA was not completed in time".into(),
        DownReason::AuthenticationFailed { by_peer: true } => {
            "the peer refused our authentication (AUTHENTICATION_FAILED)".into()
        }
        DownReason::AuthenticationFailed { by_peer: false } => {
            "the peer's authentication failed".into()
        }
        DownReason::Notify(n) => format!("the peer answered {n}"),
        DownReason::NotifyV1(n) => format!("the peer answered {n}"),
        DownReason::Expired => "the hard lifetime ran out".into(),
        DownReason::Error(e) => format!("error: {e}"),
        other => format!("{other:?}"),
    }
}

fn spi8(s: &[u8; 8]) -> String {
    rike::hex::encode(s)
}

/// A Child SA's algorithms, e.g. "ENCR_AES_GCM_16_256" or
/// "ENCR_AES_CBC_128/AUTH_HMAC_SHA2_256_128/2048-bit MODP Group".
pub fn child_algorithms(c: &ChildSaInfo) -> String {
    let encr = c
        .encr
        .name()
        .map_or_else(|| c.encr.to_string(), str::to_owned);
    let mut s = match c.key_bits {
        Some(b) => format!("{encr}_{b}"),
        None => encr,
    };
    if let Some(i) = c.integ.filter(|i| *i != IntegId::NONE) {
        s.push('/');
        s.push_str(&i.name().map_or_else(|| i.to_string(), str::to_owned));
    }
    if let Some(k) = c.pfs {
        s.push('/');
        s.push_str(&k.name().map_or_else(|| k.to_string(), str::to_owned));
    }
    if c.esn {
        s.push_str("/ESN");
    }
    s
}

fn child_line(c: &ChildSaInfo) -> String {
    let ts = |v: &[rike::engine::TrafficSelector]| {
        v.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "SPIs {:08x}_i {:08x}_o, {}, TS {} === {}, {}{}",
        c.spi_in,
        c.spi_out,
        child_algorithms(c),
        ts(&c.local_ts),
        ts(&c.remote_ts),
        match c.mode {
            rike::engine::IpsecMode::Tunnel => "tunnel",
            rike::engine::IpsecMode::Transport => "transport",
        },
        if c.encap { ", UDP-encapsulated" } else { "" },
    )
}

/// What the run has seen, and whether it is over.
struct State {
    start: Instant,
    plan: Plan,
    keylog: Option<KeyLog>,
    /// When the first Child SA came up (ms).
    up_at: Option<u64>,
    /// The IKE SA the script acts on, and its Child SA.
    ike: Option<SaHandle>,
    child: Option<ChildId>,
    /// Established IKE SAs.
    live: HashSet<SaHandle>,
    /// The first thing that went wrong.
    failure: Option<String>,
    /// Set when the run is over.
    end: Option<Result<(), String>>,
    /// Scripted actions: (delay after up_at, action, done).
    actions: Vec<(u64, Action, bool)>,
    /// When the last action ran or its outcome came.
    last_action_at: Option<u64>,
    /// Actions whose outcome has not come yet, with when they ran.
    waiting: Vec<(Action, u64)>,
}

impl State {
    fn log(&self, msg: &str) {
        log(self.start, msg);
    }

    /// The outcome of a scripted action came.
    fn outcome(&mut self, action: Action, now: u64) {
        if let Some(i) = self.waiting.iter().position(|(a, _)| *a == action) {
            self.waiting.remove(i);
            self.last_action_at = Some(now);
        }
    }

    fn fail(&mut self, why: String) {
        self.log(&format!("FAILED: {why}"));
        if self.failure.is_none() {
            self.failure = Some(why);
        }
    }

    fn finish(&mut self, r: Result<(), String>) {
        if self.end.is_none() {
            self.end = Some(r);
        }
    }

    /// Exit when a failure ends the run: always for the initiator, with
    /// --once for the responder.
    fn strict(&self) -> bool {
        self.plan.role == Role::Initiator || self.plan.once
    }

    fn keys(&mut self, r: Result<Option<String>, String>) {
        match r {
            Ok(None) => {}
            Ok(Some(warning)) => self.log(&format!("key log: {warning}")),
            Err(e) => {
                self.fail(format!("key log: {e}"));
                self.finish(Err(format!("key log: {e}")));
            }
        }
    }

    fn on_event(&mut self, ep: &mut Endpoint, now: u64, ev: Event) {
        #[allow(unreachable_patterns)]
        match ev {
            Event::IkeSaUp {
                sa,
                initiator,
                local,
                remote,
                local_id,
                remote_id,
                spi_i,
                spi_r,
                algorithms,
                ..
            } => {
                self.live.insert(sa);
                self.ike = Some(sa);
                self.log(&format!(
                    "IKE SA {} up ({}): {local}[{local_id}] === {remote}[{remote_id}], SPIs {}_i {}_r, {algorithms}",
                    sa.0,
                    if initiator { "initiator" } else { "responder" },
                    spi8(&spi_i),
                    spi8(&spi_r),
                ));
            }
            Event::IkeSaRekeyed { old, new } => {
                self.live.remove(&old);
                self.live.insert(new);
                if self.ike == Some(old) {
                    self.ike = Some(new);
                }
                self.outcome(Action::RekeyIke, now);
                let spis = ep
                    .ike_spis(new)
                    .map(|(i, r)| format!(", SPIs {}_i {}_r", spi8(&i), spi8(&r)))
                    .unwrap_or_default();
                self.log(&format!(
                    "IKE SA {} rekeyed: now IKE SA {}{spis}",
                    old.0, new.0
                ));
            }
            Event::IkeSaDown { sa, reason: r } => {
                let was_up = self.live.remove(&sa);
                self.log(&format!("IKE SA {} down: {}", sa.0, reason(&r)));
                if r == DownReason::Rekeyed {
                    return;
                }
                if self.ike == Some(sa) {
                    self.ike = None;
                    self.child = None;
                }
                // Deleting an established SA is how a run ends well.
                let ok = was_up && matches!(r, DownReason::Deleted { .. });
                if !ok && (was_up || self.strict()) {
                    self.fail(format!("IKE SA {}: {}", sa.0, reason(&r)));
                }
                if self.strict() && self.live.is_empty() {
                    let r = match (&self.failure, self.up_at) {
                        (Some(f), _) => Err(f.clone()),
                        (None, None) => {
                            Err("the IKE SA went down before a Child SA came up".into())
                        }
                        (None, Some(_)) => Ok(()),
                    };
                    self.finish(r);
                }
            }
            Event::ChildSaUp(info) => {
                self.log(&format!(
                    "Child SA {} #{} up (IKE SA {}): {}",
                    info.name,
                    info.child.0,
                    info.sa.0,
                    child_line(&info)
                ));
                if self.up_at.is_none() {
                    self.up_at = Some(now);
                }
                if self.ike == Some(info.sa) || self.ike.is_none() {
                    self.ike = Some(info.sa);
                    self.child = Some(info.child);
                }
                let r = self.keylog.as_ref().map(|k| k.child(&info));
                if let Some(r) = r {
                    self.keys(r);
                }
            }
            Event::ChildSaRekeyed { old, new } => {
                self.log(&format!(
                    "Child SA {} #{} rekeyed: now #{}: {}",
                    new.name,
                    old.0,
                    new.child.0,
                    child_line(&new)
                ));
                if self.child == Some(old) {
                    self.child = Some(new.child);
                }
                self.outcome(Action::RekeyChild, now);
                let r = self.keylog.as_ref().map(|k| k.child(&new));
                if let Some(r) = r {
                    self.keys(r);
                }
            }
            Event::ChildSaDown {
                sa,
                child,
                spi_in,
                spi_out,
                reason: r,
            } => {
                self.log(&format!(
                    "Child SA #{} down (IKE SA {}): SPIs {spi_in:08x}_i {spi_out:08x}_o, {}",
                    child.0,
                    sa.0,
                    reason(&r)
                ));
                if self.child == Some(child) && r != DownReason::Rekeyed {
                    self.child = None;
                    self.outcome(Action::DeleteChild, now);
                }
                if !matches!(
                    r,
                    DownReason::Rekeyed | DownReason::Deleted { .. } | DownReason::Expired
                ) && self.live.contains(&sa)
                {
                    self.fail(format!("Child SA #{}: {}", child.0, reason(&r)));
                }
            }
            Event::ChildSaFailed { sa, name, notify } => {
                self.outcome(Action::RekeyChild, now);
                let why = format!(
                    "Child SA {name} (IKE SA {}) failed: the peer answered {notify}",
                    sa.0
                );
                if self.up_at.is_none() && self.strict() {
                    self.fail(why.clone());
                    self.finish(Err(why));
                } else {
                    self.fail(why);
                }
            }
            Event::PskRequest {
                request,
                sa,
                peer_id,
            } => {
                self.log(&format!("no pre-shared key for {peer_id}: refused"));
                let _ = ep.provide_psk(now, sa, request, None);
            }
            Event::PeerAddressChanged { sa, remote } => {
                self.log(&format!("IKE SA {}: peer now at {remote}", sa.0));
            }
            Event::IkeKeys(rec) => {
                let r = self.keylog.as_ref().map(|k| k.ike(&rec));
                if let Some(r) = r {
                    self.keys(r);
                }
            }
            Event::Ikev1Keys(rec) => {
                let r = self.keylog.as_ref().map(|k| k.ikev1(&rec));
                if let Some(r) = r {
                    self.keys(r);
                }
            }
            Event::ModeConfig {
                sa,
                assigned_by_us,
                address,
                dns,
            } => {
                let addr = address.map_or("no address".to_string(), |a| a.to_string());
                let dns: Vec<String> = dns.iter().map(ToString::to_string).collect();
                self.log(&format!(
                    "IKE SA {}: Mode-Config {} {addr}, DNS [{}]",
                    sa.0,
                    if assigned_by_us {
                        "assigned"
                    } else {
                        "received"
                    },
                    dns.join(", ")
                ));
            }
            Event::XauthRequest { request, sa } => {
                self.log("XAUTH: no user name and password configured: refused");
                let _ = ep.provide_xauth(now, sa, request, None);
            }
            other => {
                if self.plan.verbose {
                    self.log(&format!("event not handled: {}", event_name(&other)));
                }
            }
        }
    }

    /// Runs the actions that are due; the next due time.
    fn act(&mut self, ep: &mut Endpoint, now: u64) -> Option<u64> {
        let up = self.up_at?;
        let mut next = None;
        for i in 0..self.actions.len() {
            let (delay, action, done) = self.actions[i];
            if done {
                continue;
            }
            let at = up + delay;
            if at > now {
                next = Some(next.map_or(at, |n: u64| n.min(at)));
                continue;
            }
            self.actions[i].2 = true;
            self.last_action_at = Some(now);
            let r = match (action, self.ike, self.child) {
                (_, None, _) => Err("no IKE SA".to_string()),
                (Action::RekeyIke, Some(sa), _) => ep.rekey_ike(now, sa).map_err(|e| e.to_string()),
                (Action::DeleteIke, Some(sa), _) => {
                    ep.delete_ike(now, sa).map_err(|e| e.to_string())
                }
                (_, Some(_), None) => Err("no Child SA".to_string()),
                (Action::RekeyChild, Some(sa), Some(c)) => {
                    ep.rekey_child(now, sa, c).map_err(|e| e.to_string())
                }
                (Action::DeleteChild, Some(sa), Some(c)) => {
                    ep.delete_child(now, sa, c).map_err(|e| e.to_string())
                }
            };
            match r {
                Ok(()) => {
                    self.log(&format!("scripted: {}", action.name()));
                    self.waiting.push((action, now));
                }
                Err(e) => self.fail(format!("scripted {}: {e}", action.name())),
            }
        }
        next
    }

    /// When --once is satisfied (ms), if it can be yet.
    fn once_done_at(&self) -> Option<u64> {
        if !self.plan.once || self.actions.iter().any(|a| !a.2) || !self.waiting.is_empty() {
            return None;
        }
        let base = self.last_action_at.max(self.up_at)?;
        Some(base + self.plan.linger_ms)
    }
}

fn event_name(e: &Event) -> String {
    let dbg = format!("{e:?}");
    dbg.split([' ', '(', '{']).next().unwrap_or("").to_owned()
}

fn bind(ip: IpAddr, port: u16) -> Result<UdpSocket, String> {
    UdpSocket::bind(SocketAddr::new(ip, port))
        .map_err(|e| format!("cannot bind {ip} port {port}: {e}"))
}

fn reader(sock: UdpSocket, port: u16, tx: mpsc::Sender<Datagram>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            match sock.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let d = Datagram {
                        port,
                        from,
                        data: buf[..n].to_vec(),
                    };
                    if tx.send(d).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
}

fn send(start: Instant, ike: &UdpSocket, natt: &UdpSocket, streams: &Streams, t: &Transmit) {
    if t.local.port() == NATT_PORT {
        match streams.send(t.remote, &t.data) {
            Some(Ok(())) => return,
            Some(Err(e)) => return log(start, &format!("TCP send to {} failed: {e}", t.remote)),
            None => {}
        }
    }
    let sock = if t.local.port() == NATT_PORT {
        natt
    } else {
        ike
    };
    if let Err(e) = sock.send_to(&t.data, t.remote) {
        log(start, &format!("send to {} failed: {e}", t.remote));
    }
}

/// Runs until the plan says stop; the error is the reason for a non-zero
/// exit.
pub fn run(setup: Setup) -> Result<(), String> {
    let Setup {
        config,
        local,
        plan,
    } = setup;
    if plan.port == NATT_PORT {
        return Err(format!("--port cannot be {NATT_PORT} (the NAT-T port)"));
    }
    let ike_sock = bind(local, plan.port)?;
    let natt_sock = bind(local, NATT_PORT)?;
    let (tx, rx): (_, Receiver<Datagram>) = mpsc::channel();
    reader(
        ike_sock.try_clone().map_err(|e| e.to_string())?,
        plan.port,
        tx.clone(),
    );
    reader(
        natt_sock.try_clone().map_err(|e| e.to_string())?,
        NATT_PORT,
        tx.clone(),
    );
    let start = Instant::now();
    let streams = Streams::default();
    let tcp_log = move |m: String| log(start, &m);
    let now = || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let keylog = match &plan.keylog {
        Some(d) => Some(KeyLog::open(d)?),
        None => None,
    };
    let remote = config.peers.first().and_then(|p| p.remote);
    let force_encap = config.peers.first().is_some_and(|p| p.force_encap);
    let mut ep = Endpoint::new(
        Arc::new(config),
        Arc::new(RustCrypto::new()),
        Box::new(OsRandom::new()),
    );
    if plan.verbose {
        ep.set_log(Box::new(move |line: &str| {
            log(start, &format!("engine: {line}"))
        }));
    }
    let mut actions = Vec::new();
    for (d, a) in [
        (plan.rekey_child_after, Action::RekeyChild),
        (plan.rekey_ike_after, Action::RekeyIke),
        (plan.delete_child_after, Action::DeleteChild),
        (plan.delete_after, Action::DeleteIke),
    ] {
        if let Some(d) = d {
            actions.push((d, a, false));
        }
    }
    let mut st = State {
        start,
        plan: plan.clone(),
        keylog,
        up_at: None,
        ike: None,
        child: None,
        live: HashSet::new(),
        failure: None,
        end: None,
        actions,
        last_action_at: None,
        waiting: Vec::new(),
    };
    let local_ike = SocketAddr::new(local, plan.port);
    if plan.tcp {
        match (plan.role, remote) {
            (Role::Initiator, Some(r)) => {
                // The engine sends to the peer's port 4500 (forced
                // encapsulation): that is the stream's name.
                let peer = SocketAddr::new(r.ip(), NATT_PORT);
                tcp::connect(peer, peer, NATT_PORT, tx, &streams, tcp_log)?;
                st.log(&format!("TCP stream to {peer} open (RFC 8229)"));
            }
            (Role::Initiator, None) => return Err("--tcp needs --remote".into()),
            (Role::Responder, _) => {
                let at = SocketAddr::new(local, NATT_PORT);
                tcp::listen(at, NATT_PORT, tx, &streams, tcp_log)?;
                st.log(&format!("listening on TCP {at} (RFC 8229)"));
            }
        }
    } else {
        drop(tx);
    }
    match plan.role {
        Role::Initiator => {
            let sa = ep
                .initiate(now(), "peer", local_ike)
                .map_err(|e| e.to_string())?;
            st.ike = Some(sa);
            st.log(&format!(
                "initiating IKE SA {} to {}{}",
                sa.0,
                remote.map_or_else(|| "?".to_string(), |r| r.to_string()),
                if plan.tcp {
                    " over TCP port 4500"
                } else if force_encap {
                    " on port 4500"
                } else {
                    ""
                }
            ));
        }
        Role::Responder => st.log(&format!(
            "listening on {local_ike} and {}",
            SocketAddr::new(local, NATT_PORT)
        )),
    }
    loop {
        let t = now();
        ep.handle_timeout(t);
        let next_action = st.act(&mut ep, t);
        while let Some(tr) = ep.poll_transmit() {
            send(start, &ike_sock, &natt_sock, &streams, &tr);
        }
        while let Some(ev) = ep.poll_event() {
            st.on_event(&mut ep, t, ev);
        }
        // Events may have queued requests (answers to PskRequest).
        while let Some(tr) = ep.poll_transmit() {
            send(start, &ike_sock, &natt_sock, &streams, &tr);
        }
        if let Some(end) = st.end.take() {
            return end;
        }
        let t = now();
        if let Some((a, _)) = st.waiting.iter().find(|(_, at)| t >= at + OUTCOME_WAIT_MS) {
            let why = format!(
                "scripted {}: no outcome after {} s",
                a.name(),
                OUTCOME_WAIT_MS / 1000
            );
            st.log(&format!("FAILED: {why}"));
            return Err(st.failure.clone().unwrap_or(why));
        }
        let once_at = st.once_done_at();
        if once_at.is_some_and(|at| t >= at) {
            return match &st.failure {
                Some(f) => Err(f.clone()),
                None => {
                    st.log("done");
                    Ok(())
                }
            };
        }
        let timeout_at = match (st.up_at, plan.timeout_ms) {
            (None, Some(ms)) => {
                if t >= ms {
                    let why = format!("no Child SA after {:.1} s", ms as f64 / 1000.0);
                    st.log(&format!("FAILED: {why}"));
                    return Err(st.failure.clone().unwrap_or(why));
                }
                Some(ms)
            }
            _ => None,
        };
        // A Child SA came up in this round: schedule the actions.
        let next_action = next_action.or_else(|| st.act_time());
        let deadline = [ep.poll_timeout(), next_action, once_at, timeout_at]
            .into_iter()
            .flatten()
            .min();
        let wait = deadline.map_or(1000, |d| d.saturating_sub(t).min(1000));
        match rx.recv_timeout(Duration::from_millis(wait)) {
            Ok(d) => {
                let t = now();
                ep.handle(t, SocketAddr::new(local, d.port), d.from, &d.data);
                // Take whatever else has arrived too.
                while let Ok(d) = rx.try_recv() {
                    ep.handle(t, SocketAddr::new(local, d.port), d.from, &d.data);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err("the sockets closed".into()),
        }
    }
}

impl State {
    /// The next scripted action's time, if the Child SA is up.
    fn act_time(&self) -> Option<u64> {
        let up = self.up_at?;
        self.actions.iter().filter(|a| !a.2).map(|a| up + a.0).min()
    }
}
