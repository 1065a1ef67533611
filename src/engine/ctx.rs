//! What an SA works with while it handles an input: the time, the
//! configuration, the crypto provider and randomness, and the endpoint's
//! output queues.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;

use super::config::{Config, PeerConfig};
use super::event::{ChildId, Event, Transmit};
use crate::crypto::{CryptoProvider, Random};

/// Where diagnostic lines go.
pub type LogSink = Box<dyn FnMut(&str) + Send>;

/// Outputs and shared allocations of an endpoint.
#[derive(Default)]
pub(crate) struct Outputs {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
    /// Inbound Child SA SPIs in use (ours must be unique).
    pub(crate) child_spis: HashSet<u32>,
    pub(crate) next_child: u64,
    pub(crate) next_request: u64,
    /// IKE SAs made by a rekey, to be added to the endpoint.
    pub(crate) new_sas: Vec<super::v2::ike_sa::IkeSa>,
    /// New addresses for IKE SAs (a rekey's new SA following the peer's
    /// address change seen on the old one): SA, local, remote.
    pub(crate) moved: Vec<(super::event::SaHandle, SocketAddr, SocketAddr)>,
    /// IKEv2 SAs just authenticated with INITIAL_CONTACT (RFC 7296 §2.4):
    /// the endpoint retires the older SAs with the same peer identity.
    pub(crate) initial_contact: Vec<super::event::SaHandle>,
    /// Last SA handle given out: handles are never reused, so a stale one
    /// can never name a newer SA.
    pub(crate) next_sa: u64,
    pub(crate) log: Option<LogSink>,
}

impl Outputs {
    pub(crate) fn sa_handle(&mut self) -> super::event::SaHandle {
        self.next_sa += 1;
        super::event::SaHandle(self.next_sa)
    }

    pub(crate) fn child_id(&mut self) -> ChildId {
        self.next_child += 1;
        ChildId(self.next_child)
    }
}

/// The context of one input.
pub(crate) struct Ctx<'a> {
    pub(crate) now: u64,
    /// Wall-clock seconds since the Unix epoch (certificate validity).
    pub(crate) unix_time: u64,
    pub(crate) config: &'a Config,
    pub(crate) provider: &'a dyn CryptoProvider,
    pub(crate) rng: &'a mut dyn Random,
    pub(crate) out: &'a mut Outputs,
}

impl Ctx<'_> {
    pub(crate) fn peer_cfg(&self, i: usize) -> &PeerConfig {
        &self.config.peers[i]
    }

    pub(crate) fn log(&mut self, msg: String) {
        if let Some(l) = self.out.log.as_mut() {
            l(&msg);
        }
    }

    /// Random bytes (a nonce, an SPI). An RNG failure is fatal for the
    /// operation; callers treat an all-zero value as unusable.
    pub(crate) fn random(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        if self.rng.fill(&mut v).is_err() {
            v.clear();
        }
        v
    }

    /// A fresh inbound Child SA SPI (≥ 256, unused).
    pub(crate) fn child_spi(&mut self) -> Option<u32> {
        for _ in 0..64 {
            let b = self.random(4);
            let spi = u32::from_be_bytes(b.try_into().ok()?);
            if spi >= 256 && self.out.child_spis.insert(spi) {
                return Some(spi);
            }
        }
        None
    }
}
