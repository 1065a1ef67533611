//! Engine configuration: immutable once built, shared by `Arc`.

use std::net::SocketAddr;
use std::sync::Arc;

use super::identity::{Identity, TrafficSelector};
use super::proposal::ProposalSpec;
use crate::crypto::{Secret, SignatureScheme, Signer};

/// How we prove our identity.
#[derive(Clone)]
pub enum LocalAuth {
    /// A pre-shared key (RFC 7296 §2.15).
    Psk(Secret),
    /// A signature with a private key, and the certificate chain to send
    /// (end entity first, DER); empty for raw public keys known to the
    /// peer.
    Signature {
        /// The key.
        key: Arc<dyn Signer>,
        /// Certificates to send, end entity first.
        chain: Vec<Vec<u8>>,
    },
    /// A signature made by the application (an HSM, a smart card, a key
    /// held by another process): the engine asks with a `SignRequest`
    /// event and waits for `Endpoint::provide_signature`.
    External {
        /// The schemes the key can make, in order of preference.
        schemes: Vec<SignatureScheme>,
        /// Certificates to send, end entity first.
        chain: Vec<Vec<u8>>,
    },
}

impl core::fmt::Debug for LocalAuth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LocalAuth::Psk(_) => write!(f, "Psk(..)"),
            LocalAuth::Signature { chain, .. } => write!(f, "Signature({} certs)", chain.len()),
            LocalAuth::External { chain, .. } => write!(f, "External({} certs)", chain.len()),
        }
    }
}

/// How we check the peer's proof.
#[derive(Clone, Debug)]
pub enum RemoteAuth {
    /// The same kind of pre-shared key, given here.
    Psk(Secret),
    /// A pre-shared key asked of the application with a `PskRequest`
    /// event once the peer's identity is known.
    AskPsk,
    /// A certificate chaining to one of these trusted CA certificates (DER).
    Certificate {
        /// Trusted CA certificates.
        cas: Vec<Vec<u8>>,
    },
}

/// Tunnel or transport mode (RFC 7296 §1.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpsecMode {
    /// Tunnel mode (the default).
    Tunnel,
    /// Transport mode (USE_TRANSPORT_MODE notify).
    Transport,
}

/// A Child SA to negotiate with a peer.
#[derive(Clone, Debug)]
pub struct ChildConfig {
    /// Name, for events and logs.
    pub name: String,
    /// ESP proposals.
    pub esp: Vec<ProposalSpec>,
    /// Our side's selectors.
    pub local_ts: Vec<TrafficSelector>,
    /// The peer's side's selectors.
    pub remote_ts: Vec<TrafficSelector>,
    /// Tunnel or transport.
    pub mode: IpsecMode,
    /// Rekey this long after creation (soft lifetime), if set.
    pub rekey_ms: Option<u64>,
    /// Expire this long after creation (hard lifetime), if set.
    pub lifetime_ms: Option<u64>,
}

impl ChildConfig {
    /// A Child SA configuration with this name and defaults elsewhere:
    /// tunnel mode, no proposals, no traffic selectors, no lifetimes.
    pub fn new(name: &str) -> ChildConfig {
        ChildConfig {
            name: name.into(),
            esp: Vec::new(),
            local_ts: Vec::new(),
            remote_ts: Vec::new(),
            mode: IpsecMode::Tunnel,
            rekey_ms: None,
            lifetime_ms: None,
        }
    }
}

/// One peer: how to reach it, identities, credentials, proposals, Child
/// SAs.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    /// Name, for events and logs.
    pub name: String,
    /// Where to send IKE_SA_INIT when initiating; also restricts which
    /// address may use this config as responder when set.
    pub remote: Option<SocketAddr>,
    /// Our identity.
    pub local_id: Identity,
    /// The identity we expect from the peer (any when `None`).
    pub remote_id: Option<Identity>,
    /// Our authentication.
    pub local_auth: LocalAuth,
    /// How we authenticate the peer.
    pub remote_auth: RemoteAuth,
    /// IKE proposals.
    pub ike: Vec<ProposalSpec>,
    /// Child SAs (the first is set up in IKE_AUTH).
    pub children: Vec<ChildConfig>,
    /// Rekey the IKE SA this long after creation.
    pub ike_rekey_ms: Option<u64>,
    /// Liveness check after this long without a message from the peer.
    pub dpd_ms: Option<u64>,
    /// Offer and accept RFC 7383 fragmentation.
    pub fragmentation: bool,
    /// Send INITIAL_CONTACT in IKE_AUTH.
    pub initial_contact: bool,
    /// Use port 4500 from the start (UDP encapsulation) even without NAT.
    pub force_encap: bool,
    /// Speak IKEv1 (RFC 2409) with this peer, with these options; `None`
    /// for IKEv2.
    pub ikev1: Option<V1Options>,
}

impl PeerConfig {
    /// A peer with this identity and these credentials, and defaults
    /// elsewhere: no remote address, any remote identity, no proposals, no
    /// Child SAs, no rekeying or liveness timers, fragmentation and
    /// INITIAL_CONTACT on, no forced UDP encapsulation, IKEv2.
    pub fn new(
        name: &str,
        local_id: Identity,
        local_auth: LocalAuth,
        remote_auth: RemoteAuth,
    ) -> PeerConfig {
        PeerConfig {
            name: name.into(),
            remote: None,
            local_id,
            remote_id: None,
            local_auth,
            remote_auth,
            ike: Vec::new(),
            children: Vec::new(),
            ike_rekey_ms: None,
            dpd_ms: None,
            fragmentation: true,
            initial_contact: true,
            force_encap: false,
            ikev1: None,
        }
    }
}

/// Retransmission of requests (RFC 7296 §2.1): timeout × factorⁿ.
#[derive(Clone, Copy, Debug)]
pub struct Retransmit {
    /// First timeout.
    pub base_ms: u64,
    /// Multiplier per try, in tenths (20 = ×2).
    pub factor_tenths: u64,
    /// Tries after the first send before giving up.
    pub tries: u32,
}

impl Default for Retransmit {
    fn default() -> Self {
        Retransmit {
            base_ms: 1000,
            factor_tenths: 18,
            tries: 5,
        }
    }
}

/// Limits protecting a responder (RFC 7296 §2.6, RFC 8019).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Half-open IKE SAs beyond which IKE_SA_INIT without a valid COOKIE
    /// gets a COOKIE answer and no state.
    pub cookie_threshold: usize,
    /// Half-open IKE SAs beyond which requests are dropped.
    pub half_open_max: usize,
    /// A half-open SA is removed after this long.
    pub half_open_timeout_ms: u64,
    /// IKE SAs at most.
    pub ike_sa_max: usize,
    /// Bytes of RFC 7383 fragments buffered per SA at most.
    pub fragment_bytes_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cookie_threshold: 30,
            half_open_max: 1000,
            half_open_timeout_ms: 30_000,
            ike_sa_max: 100_000,
            fragment_bytes_max: 64 * 1024,
        }
    }
}

/// The whole configuration of an endpoint.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Peers.
    pub peers: Vec<PeerConfig>,
    /// Retransmission policy.
    pub retransmit: Retransmit,
    /// DoS limits.
    pub limits: Limits,
    /// Largest IKE datagram we send before fragmenting (RFC 7383 §2.5.1:
    /// 1280 for IPv6 paths, 576 is the IPv4 minimum).
    pub fragment_mtu: usize,
    /// NAT keepalive interval when behind a NAT (RFC 3948 §4).
    pub nat_keepalive_ms: Option<u64>,
    /// Ask the application before a new IKE_SA_INIT request gets state
    /// (a `HalfOpenRequest` event, answered with `Endpoint::admit`),
    /// after the limits and cookie checks have passed.
    pub ask_admission: bool,
}

impl Config {
    /// A configuration with these peers and defaults elsewhere.
    pub fn with_peers(peers: Vec<PeerConfig>) -> Config {
        Config {
            peers,
            fragment_mtu: 1280,
            nat_keepalive_ms: Some(20_000),
            ..Config::default()
        }
    }
}

/// What to do when IKEv1 Dead Peer Detection (RFC 3706) finds the peer
/// gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DpdAction {
    /// Remove the ISAKMP SA and its IPsec SAs.
    #[default]
    Clear,
    /// Remove them, then initiate again (when the peer has a remote
    /// address).
    Restart,
}

/// Our side of IKEv1 extended authentication
/// (draft-ietf-ipsec-isakmp-xauth-06, draft-beaulieu-ike-xauth-02).
#[derive(Clone, Debug)]
pub enum XauthRole {
    /// We are authenticated: the user name and password to answer with;
    /// without a password an `XauthRequest` event asks the application.
    Client {
        /// User name.
        user: String,
        /// Password.
        password: Option<Secret>,
    },
    /// We authenticate the peer: against this list, or, when it is empty,
    /// by asking the application with an `XauthVerify` event.
    Server {
        /// Accepted user names and passwords.
        users: Vec<(String, Secret)>,
    },
}

/// Our side of IKEv1 Mode-Config (draft-dukes-ike-mode-cfg-02).
#[derive(Clone, Debug)]
pub enum ModeConfigRole {
    /// We ask for (pull, CFG_REQUEST) or are given (push, CFG_SET) an
    /// internal address and DNS servers.
    Client {
        /// Pull (we send CFG_REQUEST) rather than push (we wait for
        /// CFG_SET).
        pull: bool,
    },
    /// We assign addresses from `pool` and announce `dns`.
    Server {
        /// Answer CFG_REQUEST (pull) rather than send CFG_SET (push).
        pull: bool,
        /// Addresses to give out, one per ISAKMP SA.
        pool: Vec<std::net::IpAddr>,
        /// DNS servers to announce.
        dns: Vec<std::net::IpAddr>,
    },
}

/// IKEv1 options of a peer.
#[derive(Clone, Debug)]
pub struct V1Options {
    /// Use Aggressive Mode (RFC 2409 §5) instead of Main Mode when
    /// initiating, and accept it as responder. It exposes the identities
    /// and, with pre-shared keys, allows offline guessing of the key: off
    /// unless set, and logged as a warning when used.
    pub aggressive: bool,
    /// Phase 1 lifetime we propose and accept at most (seconds).
    pub ike_lifetime_s: u32,
    /// Phase 2 lifetime in kilobytes we propose and accept at most.
    pub child_lifetime_kb: Option<u64>,
    /// What to do when DPD finds the peer dead (the delay is
    /// [`PeerConfig::dpd_ms`]).
    pub dpd_action: DpdAction,
    /// Extended authentication after phase 1.
    pub xauth: Option<XauthRole>,
    /// Mode-Config after phase 1 (and XAUTH).
    pub mode_config: Option<ModeConfigRole>,
    /// Set the commit bit in Quick Mode requests (RFC 2408 §3.1, RFC 2409
    /// §5.5): the responder then confirms with a CONNECTED notify before
    /// we use the SA.
    pub commit: bool,
    /// Offer and accept NAT traversal (RFC 3947).
    pub nat_traversal: bool,
}

impl Default for V1Options {
    fn default() -> Self {
        V1Options {
            aggressive: false,
            ike_lifetime_s: 28_800,
            child_lifetime_kb: None,
            dpd_action: DpdAction::Clear,
            xauth: None,
            mode_config: None,
            commit: false,
            nat_traversal: true,
        }
    }
}
