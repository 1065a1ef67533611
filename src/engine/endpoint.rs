//! The sans-IO endpoint: datagrams and time in, datagrams, events and a
//! deadline out (quinn-proto's shape). It owns every IKE SA, demultiplexes
//! by our SPI, keeps responders cheap under a flood (RFC 7296 §2.6
//! cookies, half-open limits, RFC 8019) and answers retransmitted
//! IKE_SA_INIT requests from a cache.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::config::Config;
use super::ctx::{Ctx, Outputs};
use super::event::{Admission, ChildId, DownReason, Event, RequestId, SaHandle, Transmit};
use super::v1::V1Command;
use super::v2::ike_sa::{IkeSa, Pending};
use super::v2::payloads::Inbound;
use super::v2::sa_init::{stateless_reply, Refusal};
use crate::crypto::{ct_eq, CryptoProvider, Random, Secret};
use crate::wire::header::{Flags, Header, HEADER_LEN};
use crate::wire::message::Message;
use crate::wire::registry::{ExchangeType, NotifyTypeV2};
use crate::wire::transport::{NAT_KEEPALIVE, NON_ESP_MARKER};
use crate::wire::Mode;

/// The context of one input, borrowed from the endpoint's fields (a
/// macro, not a method, so that `self.sas` stays borrowable beside it).
macro_rules! ctx {
    ($ep:ident, $now:expr) => {
        Ctx {
            now: $now,
            unix_time: $ep.unix_at_zero + $now / 1000,
            config: &$ep.config,
            provider: &*$ep.provider,
            rng: &mut *$ep.rng,
            out: &mut $ep.out,
        }
    };
}

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// No peer configuration of that name.
    UnknownPeer(String),
    /// The peer configuration has no remote address to initiate to.
    NoRemote(String),
    /// No such IKE SA (gone, or never existed).
    UnknownSa(SaHandle),
    /// No such Child SA on that IKE SA.
    UnknownChild(ChildId),
    /// No Child configuration of that name for the peer.
    UnknownChildConfig(String),
    /// No such pending request.
    UnknownRequest(RequestId),
    /// The configured IKE proposals cannot be used (no KE, unsupported).
    Crypto(String),
    /// Too many IKE SAs.
    Limit,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::UnknownPeer(p) => write!(f, "no peer configuration named {p:?}"),
            EngineError::NoRemote(p) => write!(f, "peer {p:?} has no remote address"),
            EngineError::UnknownSa(h) => write!(f, "no IKE SA {}", h.0),
            EngineError::UnknownChild(c) => write!(f, "no Child SA {}", c.0),
            EngineError::UnknownChildConfig(c) => write!(f, "no child configuration named {c:?}"),
            EngineError::UnknownRequest(r) => write!(f, "no pending request {}", r.0),
            EngineError::Crypto(why) => write!(f, "crypto: {why}"),
            EngineError::Limit => write!(f, "IKE SA limit reached"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Counters for monitoring and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams handled.
    pub received: u64,
    /// Datagrams that were not IKE, or not for any SA, or malformed.
    pub dropped: u64,
    /// COOKIE answers sent.
    pub cookies_sent: u64,
    /// IKE_SA_INIT requests dropped at the half-open limit.
    pub half_open_refused: u64,
    /// IKE_SA_INIT requests answered again from the cache.
    pub init_retransmits: u64,
}

/// Secrets for stateless cookies, rotated so that an old cookie stops
/// working after two periods (§2.6).
struct CookieSecrets {
    version: u8,
    current: Secret,
    previous: Option<Secret>,
    rotated_at: u64,
}

const COOKIE_ROTATE_MS: u64 = 5 * 60 * 1000;

/// An IKE endpoint.
pub struct Endpoint {
    config: Arc<Config>,
    provider: Arc<dyn CryptoProvider>,
    rng: Box<dyn Random>,
    sas: HashMap<SaHandle, IkeSa>,
    by_spi: HashMap<[u8; 8], SaHandle>,
    /// Responder SAs by (peer address, SPIi): IKE_SA_INIT retransmits.
    by_init: HashMap<(SocketAddr, [u8; 8]), SaHandle>,
    half_open: HashSet<SaHandle>,
    deadlines: HashMap<SaHandle, u64>,
    timers: BTreeSet<(u64, SaHandle)>,
    out: Outputs,
    cookies: CookieSecrets,
    /// Unix time (s) at monotonic 0, for certificate validity.
    unix_at_zero: u64,
    stats: Stats,
    /// IKE_SA_INIT requests waiting for the application's admission
    /// (`Config::ask_admission`), by request id.
    admissions: HashMap<u64, PendingAdmission>,
    /// The IKEv1 (ISAKMP) SAs.
    v1: super::v1::V1Engine,
}

/// An IKE_SA_INIT request held until the application admits it.
struct PendingAdmission {
    local: SocketAddr,
    remote: SocketAddr,
    ispi: [u8; 8],
    raw: Vec<u8>,
    at: u64,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("sas", &self.sas.len())
            .field("half_open", &self.half_open.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Endpoint {
    /// An endpoint with this configuration, crypto provider and randomness.
    pub fn new(
        config: Arc<Config>,
        provider: Arc<dyn CryptoProvider>,
        mut rng: Box<dyn Random>,
    ) -> Endpoint {
        let mut secret = vec![0u8; 32];
        let _ = rng.fill(&mut secret);
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Endpoint {
            config,
            provider,
            rng,
            sas: HashMap::new(),
            by_spi: HashMap::new(),
            by_init: HashMap::new(),
            half_open: HashSet::new(),
            deadlines: HashMap::new(),
            timers: BTreeSet::new(),
            out: Outputs::default(),
            cookies: CookieSecrets {
                version: 0,
                current: Secret::new(secret),
                previous: None,
                rotated_at: 0,
            },
            unix_at_zero: unix,
            stats: Stats::default(),
            admissions: HashMap::new(),
            v1: super::v1::V1Engine::default(),
        }
    }

    /// Sets the wall clock: `unix_secs` is the time at monotonic `now`
    /// (ms). By default, the system time when the endpoint was made is
    /// taken as monotonic 0.
    pub fn set_unix_time(&mut self, now: u64, unix_secs: u64) {
        self.unix_at_zero = unix_secs.saturating_sub(now / 1000);
    }

    /// A sink for diagnostic lines (never key material).
    pub fn set_log(&mut self, log: Box<dyn FnMut(&str) + Send>) {
        self.out.log = Some(log);
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// IKE SAs held (established, half-open, being deleted).
    pub fn sa_count(&self) -> usize {
        self.sas.len() + self.v1.count()
    }

    /// Half-open responder SAs.
    pub fn half_open_count(&self) -> usize {
        self.half_open.len() + self.v1.half_open_count()
    }

    /// Is the SA established?
    pub fn is_established(&self, sa: SaHandle) -> bool {
        self.sas.get(&sa).is_some_and(IkeSa::is_established) || self.v1.is_established(sa)
    }

    /// The Child SAs of an IKE SA.
    pub fn children(&self, sa: SaHandle) -> Vec<ChildId> {
        if self.v1.owns(sa) {
            return self.v1.child_spis(sa).into_iter().map(|c| c.0).collect();
        }
        self.sas
            .get(&sa)
            .map(|s| s.children.iter().map(|c| c.id).collect())
            .unwrap_or_default()
    }

    /// Our Child SAs on an IKE SA: id, inbound SPI, outbound SPI.
    pub fn child_spis(&self, sa: SaHandle) -> Vec<(ChildId, u32, u32)> {
        if self.v1.owns(sa) {
            return self.v1.child_spis(sa);
        }
        self.sas
            .get(&sa)
            .map(|s| {
                s.children
                    .iter()
                    .map(|c| (c.id, c.spi_in, c.spi_out))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The IKE SAs held, in handle order.
    pub fn sas(&self) -> Vec<SaHandle> {
        let mut v: Vec<SaHandle> = self.sas.keys().copied().collect();
        v.extend(self.v1.handles());
        v.sort();
        v
    }

    /// SPIi and SPIr of an IKE SA.
    pub fn ike_spis(&self, sa: SaHandle) -> Option<([u8; 8], [u8; 8])> {
        self.sas
            .get(&sa)
            .map(|s| (s.spi_i, s.spi_r))
            .or_else(|| self.v1.cookies(sa))
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// When to call [`Endpoint::handle_timeout`] next (ms, the caller's
    /// clock).
    pub fn poll_timeout(&self) -> Option<u64> {
        let v2 = self.timers.iter().next().map(|(at, _)| *at);
        [v2, self.v1.next_timeout()].into_iter().flatten().min()
    }

    /// Runs `f` on SA `h` with a context, then refreshes the indexes.
    fn with_sa<R>(
        &mut self,
        now: u64,
        h: SaHandle,
        f: impl FnOnce(&mut IkeSa, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let sa = self.sas.get_mut(&h)?;
        let mut ctx = ctx!(self, now);
        let r = f(sa, &mut ctx);
        self.settle(now, h);
        Some(r)
    }

    /// Brings the indexes up to date for SA `h` and any SA made by it.
    fn settle(&mut self, now: u64, h: SaHandle) {
        for new in std::mem::take(&mut self.out.new_sas) {
            let nh = new.handle;
            self.by_spi.insert(new.local_spi(), nh);
            self.sas.insert(nh, new);
            // A new SA may have queued work (a collision loser's Delete).
            self.with_sa(now, nh, |sa, ctx| sa.next_pending(ctx));
        }
        // The peer moved (a NAT rebinding during a rekey): the new SA
        // follows its most recent authenticated message (RFC 7296 §2.23).
        for (n, local, remote) in std::mem::take(&mut self.out.moved) {
            if self
                .sas
                .get_mut(&n)
                .is_some_and(|sa| sa.move_to(local, remote))
            {
                self.out
                    .events
                    .push_back(Event::PeerAddressChanged { sa: n, remote });
            }
        }
        for fresh in std::mem::take(&mut self.out.initial_contact) {
            self.initial_contact(now, fresh);
        }
        let Some(sa) = self.sas.get(&h) else { return };
        if sa.is_dead() {
            let spi = sa.local_spi();
            let key = (sa.remote, sa.spi_i);
            if self.by_spi.get(&spi) == Some(&h) {
                self.by_spi.remove(&spi);
            }
            if self.by_init.get(&key) == Some(&h) {
                self.by_init.remove(&key);
            }
            self.by_init.retain(|_, v| *v != h);
            self.half_open.remove(&h);
            if let Some(at) = self.deadlines.remove(&h) {
                self.timers.remove(&(at, h));
            }
            self.sas.remove(&h);
            return;
        }
        if sa.is_half_open() {
            self.half_open.insert(h);
        } else {
            self.half_open.remove(&h);
        }
        let next = sa.next_timeout();
        let old = self.deadlines.get(&h).copied();
        if old != next {
            if let Some(at) = old {
                self.timers.remove(&(at, h));
            }
            match next {
                Some(at) => {
                    self.timers.insert((at, h));
                    self.deadlines.insert(h, at);
                }
                None => {
                    self.deadlines.remove(&h);
                }
            }
        }
    }

    /// INITIAL_CONTACT (RFC 7296 §2.4) in the IKE_AUTH request that
    /// authenticated `fresh`: the peer has no other IKE SA with us, so the
    /// older ones with the same configuration and authenticated identity
    /// are stale. They go without a Delete (the peer would not know them),
    /// their Child SAs with them.
    fn initial_contact(&mut self, now: u64, fresh: SaHandle) {
        let Some(sa) = self.sas.get(&fresh) else {
            return;
        };
        let (peer, id) = (sa.peer, sa.remote_id.clone());
        if id.is_none() {
            return;
        }
        let stale: Vec<SaHandle> = self
            .sas
            .iter()
            .filter(|(k, s)| {
                **k != fresh
                    && s.peer == peer
                    && s.remote_id == id
                    && s.is_established()
                    && s.replaced_by.is_none()
            })
            .map(|(k, _)| *k)
            .collect();
        for old in stale {
            self.with_sa(now, old, |sa, ctx| {
                ctx.log(format!(
                    "IKE SA {}: INITIAL_CONTACT from the same peer: retired",
                    sa.handle.0
                ));
                sa.die(ctx, DownReason::Deleted { by_peer: true });
            });
        }
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        while let Some(&(at, h)) = self.timers.iter().next() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, h));
            self.deadlines.remove(&h);
            self.with_sa(now, h, |sa, ctx| sa.on_timeout(ctx));
        }
        let mut ctx = ctx!(self, now);
        self.v1.on_timeout(&mut ctx);
    }

    /// A datagram received on `local` from `remote`. On port 4500 the
    /// non-ESP marker is expected (RFC 3948 §2.2); ESP and keepalives are
    /// not for us and are ignored.
    pub fn handle(&mut self, now: u64, local: SocketAddr, remote: SocketAddr, data: &[u8]) {
        self.stats.received += 1;
        let encap = local.port() == 4500 || remote.port() == 4500;
        let ike = if encap {
            if data == [NAT_KEEPALIVE] {
                return;
            }
            match data.strip_prefix(&NON_ESP_MARKER[..]) {
                Some(rest) => rest,
                None => {
                    self.stats.dropped += 1;
                    return;
                }
            }
        } else {
            data
        };
        let Ok(header) = Header::parse(ike) else {
            self.stats.dropped += 1;
            return;
        };
        if header.version.major() == 1 && ike.len() >= HEADER_LEN {
            // IKEv1 is handled by its own engine.
            let mut ctx = ctx!(self, now);
            if !self.v1.handle(&mut ctx, local, remote, ike) {
                self.stats.dropped += 1;
            }
            return;
        }
        if header.version.major() != 2 || ike.len() < HEADER_LEN {
            self.stats.dropped += 1;
            return;
        }
        let from_initiator = header.flags.has(Flags::INITIATOR);
        let response = header.flags.has(Flags::RESPONSE);
        let our_spi = if from_initiator {
            header.rspi
        } else {
            header.ispi
        };
        if header.exchange_type == ExchangeType::IKE_SA_INIT && from_initiator && !response {
            if header.rspi == [0; 8] && header.message_id == 0 {
                self.sa_init_request(now, local, remote, ike, false);
            } else {
                self.stats.dropped += 1;
            }
            return;
        }
        let Some(&h) = self.by_spi.get(&our_spi) else {
            self.stats.dropped += 1;
            return;
        };
        // The peer's half of the SPI pair must match too.
        let ok = self.sas.get(&h).is_some_and(|sa| {
            let theirs = if from_initiator {
                header.ispi
            } else {
                header.rspi
            };
            let expected = if from_initiator { sa.spi_i } else { sa.spi_r };
            theirs == expected || (!from_initiator && sa.spi_r == [0; 8])
        });
        if !ok {
            self.stats.dropped += 1;
            return;
        }
        self.with_sa(now, h, |sa, ctx| sa.handle(ctx, ike, local, remote));
    }

    fn cookie_for(
        &self,
        secret: &Secret,
        version: u8,
        ni: &[u8],
        remote: SocketAddr,
        ispi: &[u8; 8],
    ) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(ni);
        match remote.ip() {
            std::net::IpAddr::V4(a) => h.update(a.octets()),
            std::net::IpAddr::V6(a) => h.update(a.octets()),
        }
        h.update(ispi);
        h.update(secret.expose());
        let mut c = vec![version];
        c.extend_from_slice(&h.finalize());
        c
    }

    fn rotate_cookies(&mut self, now: u64) {
        if now.saturating_sub(self.cookies.rotated_at) < COOKIE_ROTATE_MS {
            return;
        }
        let mut fresh = vec![0u8; 32];
        let _ = self.rng.fill(&mut fresh);
        let old = std::mem::replace(&mut self.cookies.current, Secret::new(fresh));
        self.cookies.previous = Some(old);
        self.cookies.version = self.cookies.version.wrapping_add(1);
        self.cookies.rotated_at = now;
    }

    fn cookie_valid(&self, got: &[u8], ni: &[u8], remote: SocketAddr, ispi: &[u8; 8]) -> bool {
        let Some(&v) = got.first() else { return false };
        let secret = if v == self.cookies.version {
            &self.cookies.current
        } else if v == self.cookies.version.wrapping_sub(1) {
            match &self.cookies.previous {
                Some(p) => p,
                None => return false,
            }
        } else {
            return false;
        };
        ct_eq(&self.cookie_for(secret, v, ni, remote, ispi), got)
    }

    fn send_stateless(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        ispi: [u8; 8],
        t: NotifyTypeV2,
        data: &[u8],
    ) {
        let msg = stateless_reply(ispi, t, data);
        let data = if local.port() == 4500 || remote.port() == 4500 {
            [&NON_ESP_MARKER[..], &msg].concat()
        } else {
            msg
        };
        self.out.transmits.push_back(Transmit {
            local,
            remote,
            data,
            sa: None,
        });
    }

    /// A new IKE_SA_INIT request: answer from the cache, with a COOKIE,
    /// with a refusal, or make a half-open SA.
    fn sa_init_request(
        &mut self,
        now: u64,
        local: SocketAddr,
        remote: SocketAddr,
        raw: &[u8],
        admitted: bool,
    ) {
        let Ok(msg) = Message::parse(raw, Mode::Strict) else {
            self.stats.dropped += 1;
            return;
        };
        let ispi = msg.header.ispi;
        if let Some(&h) = self.by_init.get(&(remote, ispi)) {
            // A retransmission (or a restart with the same SPI): resend.
            let resend = self.sas.get(&h).and_then(|sa| {
                (sa.is_half_open() && sa.init_received == raw)
                    .then(|| {
                        sa.last_response
                            .as_ref()
                            .filter(|(mid, _)| *mid == 0)
                            .map(|(_, p)| p.clone())
                    })
                    .flatten()
            });
            if let Some(packets) = resend {
                self.stats.init_retransmits += 1;
                self.with_sa(now, h, |sa, ctx| sa.transmit(ctx, &packets));
            } else {
                self.stats.dropped += 1;
            }
            return;
        }
        let limits = self.config.limits;
        // Requests waiting for admission count as half-open.
        let waiting = if admitted { 0 } else { self.admissions.len() };
        if self.half_open.len() + waiting >= limits.half_open_max
            || self.sas.len() >= limits.ike_sa_max
        {
            self.stats.half_open_refused += 1;
            return;
        }
        let Ok(inb) = Inbound::read(msg.bytes, msg.payloads()) else {
            self.stats.dropped += 1;
            return;
        };
        if !admitted && self.half_open.len() + waiting >= limits.cookie_threshold {
            self.rotate_cookies(now);
            let ni = inb.nonce.clone().unwrap_or_default();
            let valid = inb
                .notify(NotifyTypeV2::COOKIE)
                .is_some_and(|c| self.cookie_valid(&c.data, &ni, remote, &ispi));
            if !valid {
                let cookie = self.cookie_for(
                    &self.cookies.current,
                    self.cookies.version,
                    &ni,
                    remote,
                    &ispi,
                );
                self.stats.cookies_sent += 1;
                self.send_stateless(local, remote, ispi, NotifyTypeV2::COOKIE, &cookie);
                return;
            }
        }
        if self.config.ask_admission && !admitted {
            let timeout = limits.half_open_timeout_ms;
            self.admissions
                .retain(|_, a| now.saturating_sub(a.at) < timeout);
            if self
                .admissions
                .values()
                .any(|a| a.remote == remote && a.ispi == ispi)
            {
                // Retransmitted while the application decides.
                self.stats.dropped += 1;
                return;
            }
            self.out.next_request += 1;
            let request = self.out.next_request;
            self.admissions.insert(
                request,
                PendingAdmission {
                    local,
                    remote,
                    ispi,
                    raw: raw.to_vec(),
                    at: now,
                },
            );
            self.out.events.push_back(Event::HalfOpenRequest {
                request: RequestId(request),
                local,
                remote,
                spi_i: ispi,
            });
            return;
        }
        let handle = self.out.sa_handle();
        let mut ctx = ctx!(self, now);
        match IkeSa::respond_sa_init(&mut ctx, handle, &msg, raw, &inb, local, remote) {
            Ok(sa) => {
                self.by_spi.insert(sa.local_spi(), handle);
                self.by_init.insert((remote, ispi), handle);
                self.sas.insert(handle, sa);
                self.settle(now, handle);
            }
            Err(Refusal::NoProposal) => {
                self.send_stateless(local, remote, ispi, NotifyTypeV2::NO_PROPOSAL_CHOSEN, &[]);
            }
            Err(Refusal::InvalidKe(m)) => {
                self.send_stateless(
                    local,
                    remote,
                    ispi,
                    NotifyTypeV2::INVALID_KE_PAYLOAD,
                    &m.0.to_be_bytes(),
                );
            }
            Err(Refusal::Drop) => self.stats.dropped += 1,
        }
    }

    /// Starts an IKE SA with the peer configuration named `peer`, sending
    /// from `local`.
    pub fn initiate(
        &mut self,
        now: u64,
        peer: &str,
        local: SocketAddr,
    ) -> Result<SaHandle, EngineError> {
        let i = self
            .config
            .peers
            .iter()
            .position(|p| p.name == peer)
            .ok_or_else(|| EngineError::UnknownPeer(peer.into()))?;
        let mut remote = self.config.peers[i]
            .remote
            .ok_or_else(|| EngineError::NoRemote(peer.into()))?;
        let mut local = local;
        if self.config.peers[i].force_encap {
            local.set_port(4500);
            remote.set_port(4500);
        }
        if self.sa_count() >= self.config.limits.ike_sa_max {
            return Err(EngineError::Limit);
        }
        if self.config.peers[i].ikev1.is_some() {
            let mut ctx = ctx!(self, now);
            return self.v1.initiate(&mut ctx, i, local, remote);
        }
        // INITIAL_CONTACT asserts that this will be the only IKE SA with
        // the peer (RFC 7296 §2.4): not while another one lives.
        let alone = !self.sas.values().any(|s| s.peer == i && !s.is_dead());
        let handle = self.out.sa_handle();
        let mut ctx = ctx!(self, now);
        let mut sa =
            IkeSa::start_initiator(&mut ctx, handle, i, local, remote).ok_or_else(|| {
                EngineError::Crypto("cannot start IKE_SA_INIT with the configured proposals".into())
            })?;
        sa.initial_contact = alone;
        self.by_spi.insert(sa.local_spi(), handle);
        self.sas.insert(handle, sa);
        self.settle(now, handle);
        Ok(handle)
    }

    fn queue(&mut self, now: u64, sa: SaHandle, p: Pending) -> Result<(), EngineError> {
        if !self.sas.contains_key(&sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        self.with_sa(now, sa, |s, ctx| s.enqueue(ctx, p));
        Ok(())
    }

    /// Creates another Child SA with the child configuration `name`.
    pub fn create_child(&mut self, now: u64, sa: SaHandle, name: &str) -> Result<(), EngineError> {
        if let Some(peer) = self.v1.peer_of(sa) {
            let i = self.config.peers[peer]
                .children
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| EngineError::UnknownChildConfig(name.into()))?;
            return self.v1_command(now, sa, V1Command::NewChild(i));
        }
        let s = self.sas.get(&sa).ok_or(EngineError::UnknownSa(sa))?;
        let cfg = &self.config.peers[s.peer];
        let i = cfg
            .children
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| EngineError::UnknownChildConfig(name.into()))?;
        self.queue(now, sa, Pending::NewChild(i))
    }

    fn has_child(&self, sa: SaHandle, child: ChildId) -> Result<(), EngineError> {
        let s = self.sas.get(&sa).ok_or(EngineError::UnknownSa(sa))?;
        if s.children.iter().any(|c| c.id == child) {
            Ok(())
        } else {
            Err(EngineError::UnknownChild(child))
        }
    }

    /// Rekeys a Child SA.
    pub fn rekey_child(
        &mut self,
        now: u64,
        sa: SaHandle,
        child: ChildId,
    ) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            return self.v1_command(now, sa, V1Command::RekeyChild(child));
        }
        self.has_child(sa, child)?;
        self.queue(now, sa, Pending::RekeyChild(child))
    }

    /// Deletes a Child SA.
    pub fn delete_child(
        &mut self,
        now: u64,
        sa: SaHandle,
        child: ChildId,
    ) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            return self.v1_command(now, sa, V1Command::DeleteChild(child));
        }
        self.has_child(sa, child)?;
        self.queue(now, sa, Pending::DeleteChild(child))
    }

    /// Rekeys an IKE SA.
    pub fn rekey_ike(&mut self, now: u64, sa: SaHandle) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            return self.v1_command(now, sa, V1Command::RekeyIke);
        }
        self.queue(now, sa, Pending::RekeyIke)
    }

    /// Deletes an IKE SA (and its Child SAs).
    pub fn delete_ike(&mut self, now: u64, sa: SaHandle) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            return self.v1_command(now, sa, V1Command::DeleteIke);
        }
        let established = self.is_established(sa);
        if !self.sas.contains_key(&sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        if established {
            self.queue(now, sa, Pending::DeleteIke)
        } else {
            // Not authenticated yet: nothing to tell the peer.
            self.with_sa(now, sa, |s, ctx| {
                s.die(ctx, super::event::DownReason::Deleted { by_peer: false })
            });
            Ok(())
        }
    }

    /// Sends a liveness check now.
    pub fn check_liveness(&mut self, now: u64, sa: SaHandle) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            return self.v1_command(now, sa, V1Command::Liveness);
        }
        self.queue(now, sa, Pending::Liveness)
    }

    /// Answers a `SignRequest`: the signature over the octets it gave, in
    /// the scheme it named, or `None` when the key cannot sign (the SA
    /// fails).
    pub fn provide_signature(
        &mut self,
        now: u64,
        sa: SaHandle,
        request: RequestId,
        signature: Option<Vec<u8>>,
    ) -> Result<(), EngineError> {
        if !self.sas.contains_key(&sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        let done = self
            .with_sa(now, sa, |s, ctx| {
                s.signature_answer(ctx, request.0, signature)
            })
            .unwrap_or(false);
        if done {
            Ok(())
        } else {
            Err(EngineError::UnknownRequest(request))
        }
    }

    /// Answers a `HalfOpenRequest`. A request not answered within the
    /// half-open timeout is forgotten (`UnknownRequest`).
    pub fn admit(
        &mut self,
        now: u64,
        request: RequestId,
        decision: Admission,
    ) -> Result<(), EngineError> {
        let timeout = self.config.limits.half_open_timeout_ms;
        let a = self
            .admissions
            .remove(&request.0)
            .filter(|a| now.saturating_sub(a.at) < timeout)
            .ok_or(EngineError::UnknownRequest(request))?;
        match decision {
            Admission::Accept => self.sa_init_request(now, a.local, a.remote, &a.raw, true),
            Admission::Drop => self.stats.half_open_refused += 1,
            Admission::Cookie => {
                let ni = Message::parse(&a.raw, Mode::Strict)
                    .ok()
                    .and_then(|m| Inbound::read(m.bytes, m.payloads()).ok())
                    .and_then(|i| i.nonce)
                    .unwrap_or_default();
                self.rotate_cookies(now);
                let cookie = self.cookie_for(
                    &self.cookies.current,
                    self.cookies.version,
                    &ni,
                    a.remote,
                    &a.ispi,
                );
                self.stats.cookies_sent += 1;
                self.send_stateless(a.local, a.remote, a.ispi, NotifyTypeV2::COOKIE, &cookie);
            }
        }
        Ok(())
    }

    /// Answers a `PskRequest`: the key for the identity, or `None` to
    /// refuse the peer.
    pub fn provide_psk(
        &mut self,
        now: u64,
        sa: SaHandle,
        request: RequestId,
        psk: Option<Secret>,
    ) -> Result<(), EngineError> {
        if self.v1.owns(sa) {
            let mut ctx = ctx!(self, now);
            return if self.v1.provide_psk(&mut ctx, sa, request.0, psk) {
                Ok(())
            } else {
                Err(EngineError::UnknownRequest(request))
            };
        }
        if !self.sas.contains_key(&sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        let done = self
            .with_sa(now, sa, |s, ctx| s.psk_answer(ctx, request.0, psk))
            .unwrap_or(false);
        if done {
            Ok(())
        } else {
            Err(EngineError::UnknownRequest(request))
        }
    }

    fn v1_command(&mut self, now: u64, sa: SaHandle, cmd: V1Command) -> Result<(), EngineError> {
        let mut ctx = ctx!(self, now);
        self.v1.command(&mut ctx, sa, cmd)
    }

    /// IKEv1 XAUTH client: answers an `XauthRequest` with a user name and
    /// password, or `None` to give up (the ISAKMP SA is deleted).
    pub fn provide_xauth(
        &mut self,
        now: u64,
        sa: SaHandle,
        request: RequestId,
        credentials: Option<(String, Secret)>,
    ) -> Result<(), EngineError> {
        if !self.v1.owns(sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        let mut ctx = ctx!(self, now);
        if self.v1.provide_xauth(&mut ctx, sa, request.0, credentials) {
            Ok(())
        } else {
            Err(EngineError::UnknownRequest(request))
        }
    }

    /// IKEv1 XAUTH server: answers an `XauthVerify` (the client is told
    /// OK or FAIL in an XAUTH_STATUS).
    pub fn xauth_verdict(
        &mut self,
        now: u64,
        sa: SaHandle,
        request: RequestId,
        ok: bool,
    ) -> Result<(), EngineError> {
        if !self.v1.owns(sa) {
            return Err(EngineError::UnknownSa(sa));
        }
        let mut ctx = ctx!(self, now);
        if self.v1.xauth_verdict(&mut ctx, sa, request.0, ok) {
            Ok(())
        } else {
            Err(EngineError::UnknownRequest(request))
        }
    }
}
