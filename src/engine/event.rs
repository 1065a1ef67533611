//! What the engine hands to the application: datagrams to send, events,
//! and the handles that name SAs.

use std::net::SocketAddr;

use super::config::IpsecMode;
use super::identity::{Identity, TrafficSelector};
use crate::crypto::{Secret, SignatureScheme};
use crate::wire::registry::{EncrId, IntegId, KeMethod, NotifyTypeV2};

/// An IKE SA: slab index and generation, so a stale handle never names a
/// newer SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SaHandle(pub u64);

/// A Child SA, unique for the life of the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChildId(pub u64);

/// A decision the application owes the engine (see [`Event::PskRequest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Our address and port to send from (500 or 4500).
    pub local: SocketAddr,
    /// Where to.
    pub remote: SocketAddr,
    /// The UDP payload: on port 4500 the non-ESP marker is included.
    pub data: Vec<u8>,
    /// The SA it belongs to; `None` for stateless answers (COOKIE,
    /// INVALID_KE_PAYLOAD, errors).
    pub sa: Option<SaHandle>,
}

/// Why an IKE SA or Child SA went away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// Deleted with an INFORMATIONAL exchange (by the peer when true).
    Deleted {
        /// The peer asked.
        by_peer: bool,
    },
    /// Replaced by a rekeyed SA.
    Rekeyed,
    /// The peer did not answer our retransmissions.
    Timeout,
    /// The half-open SA was not completed in time.
    HalfOpenTimeout,
    /// The peer's or our authentication failed.
    AuthenticationFailed {
        /// The peer rejected us (AUTHENTICATION_FAILED received).
        by_peer: bool,
    },
    /// The peer answered with an error notify.
    Notify(NotifyTypeV2),
    /// The hard lifetime ran out.
    Expired,
    /// A local error (crypto, configuration).
    Error(String),
    /// The IKEv1 peer answered with an error notify (RFC 2408 §3.14.1).
    NotifyV1(crate::wire::registry::NotifyTypeV1),
}

/// A Child SA's parameters: what a daemon installs in the kernel.
#[derive(Clone, Debug)]
pub struct ChildSaInfo {
    /// The IKE SA it belongs to.
    pub sa: SaHandle,
    /// Its id.
    pub child: ChildId,
    /// The child configuration's name.
    pub name: String,
    /// IP protocol of the SA (50 = ESP).
    pub protocol: u8,
    /// Our inbound SPI.
    pub spi_in: u32,
    /// The peer's inbound SPI (our outbound).
    pub spi_out: u32,
    /// Encryption (IANA IKEv2 transform ID) and key bits.
    pub encr: EncrId,
    /// Key length in bits, where the algorithm has one.
    pub key_bits: Option<u16>,
    /// Integrity algorithm, None with AEAD.
    pub integ: Option<IntegId>,
    /// Extended sequence numbers.
    pub esn: bool,
    /// Key exchange used for PFS, if any.
    pub pfs: Option<KeMethod>,
    /// Tunnel or transport.
    pub mode: IpsecMode,
    /// UDP encapsulation (NAT traversal).
    pub encap: bool,
    /// Our address.
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Our side's selectors.
    pub local_ts: Vec<TrafficSelector>,
    /// The peer's side's selectors.
    pub remote_ts: Vec<TrafficSelector>,
    /// Inbound encryption key (with salt).
    pub encr_key_in: Secret,
    /// Outbound encryption key.
    pub encr_key_out: Secret,
    /// Inbound integrity key.
    pub integ_key_in: Secret,
    /// Outbound integrity key.
    pub integ_key_out: Secret,
    /// Soft lifetime (rekey) from now, if any.
    pub rekey_ms: Option<u64>,
    /// Hard lifetime from now, if any.
    pub lifetime_ms: Option<u64>,
    /// Hard lifetime in kilobytes, if negotiated (IKEv1, RFC 2407 §4.5).
    pub lifetime_kb: Option<u64>,
}

/// Keys of an IKE SA, for key logs and Wireshark tables.
#[derive(Clone, Debug)]
pub struct IkeKeyRecord {
    /// The SA.
    pub sa: SaHandle,
    /// SPIi.
    pub spi_i: [u8; 8],
    /// SPIr.
    pub spi_r: [u8; 8],
    /// Encryption and key bits.
    pub encr: (EncrId, Option<u16>),
    /// Integrity.
    pub integ: Option<IntegId>,
    /// SK_ei.
    pub sk_ei: Secret,
    /// SK_er.
    pub sk_er: Secret,
    /// SK_ai.
    pub sk_ai: Secret,
    /// SK_ar.
    pub sk_ar: Secret,
}

/// Something the application should know or decide.
#[derive(Clone, Debug)]
pub enum Event {
    /// An IKE SA is established (authenticated both ways).
    IkeSaUp {
        /// The SA.
        sa: SaHandle,
        /// Peer configuration name.
        peer: String,
        /// We initiated it.
        initiator: bool,
        /// Our address.
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
        /// Our identity.
        local_id: Identity,
        /// The peer's authenticated identity.
        remote_id: Identity,
        /// SPIs.
        spi_i: [u8; 8],
        /// SPIs.
        spi_r: [u8; 8],
        /// The algorithms, e.g. "ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_256/Curve25519".
        algorithms: String,
    },
    /// An IKE SA is gone (its Child SAs too: a `ChildSaDown` each first).
    IkeSaDown {
        /// The SA.
        sa: SaHandle,
        /// Why.
        reason: DownReason,
    },
    /// An IKE SA was rekeyed; the new one carries on with the Child SAs.
    IkeSaRekeyed {
        /// The old SA (going down).
        old: SaHandle,
        /// The new SA.
        new: SaHandle,
    },
    /// A Child SA is ready to install.
    ChildSaUp(ChildSaInfo),
    /// A Child SA was rekeyed: install the new one, then remove the old.
    ChildSaRekeyed {
        /// The old Child SA.
        old: ChildId,
        /// The new one.
        new: ChildSaInfo,
    },
    /// A Child SA is gone: remove it.
    ChildSaDown {
        /// Its IKE SA.
        sa: SaHandle,
        /// The Child SA.
        child: ChildId,
        /// Our inbound SPI.
        spi_in: u32,
        /// Our outbound SPI.
        spi_out: u32,
        /// Why.
        reason: DownReason,
    },
    /// A Child SA could not be created (the IKE SA stays up).
    ChildSaFailed {
        /// The IKE SA.
        sa: SaHandle,
        /// Child configuration name.
        name: String,
        /// The peer's error.
        notify: NotifyTypeV2,
    },
    /// IKEv1 XAUTH client: the server asks for a user name and password
    /// and none is configured; answer with `Endpoint::provide_xauth`.
    XauthRequest {
        /// Echo this in the answer.
        request: RequestId,
        /// The ISAKMP SA waiting.
        sa: SaHandle,
    },
    /// IKEv1 XAUTH server: check these credentials; answer with
    /// `Endpoint::xauth_verdict`.
    XauthVerify {
        /// Echo this in the answer.
        request: RequestId,
        /// The ISAKMP SA waiting.
        sa: SaHandle,
        /// The user name the client gave.
        user: String,
        /// The password it gave.
        password: Secret,
    },
    /// IKEv1 Mode-Config: an internal address (and DNS servers) was
    /// assigned to us, or by us to the peer.
    ModeConfig {
        /// The ISAKMP SA.
        sa: SaHandle,
        /// We assigned it (server) rather than received it (client).
        assigned_by_us: bool,
        /// The internal address.
        address: Option<std::net::IpAddr>,
        /// DNS servers.
        dns: Vec<std::net::IpAddr>,
    },
    /// IKEv1 ISAKMP SA keys, for key logs (sent when keys are derived).
    Ikev1Keys(Ikev1KeyRecord),
    /// The engine needs the pre-shared key for a peer identity; answer
    /// with `Endpoint::provide_psk`.
    PskRequest {
        /// Echo this in the answer.
        request: RequestId,
        /// The SA waiting.
        sa: SaHandle,
        /// The identity the peer claims.
        peer_id: Identity,
    },
    /// The peer's address changed (NAT rebinding); later datagrams go to
    /// the new one.
    PeerAddressChanged {
        /// The SA.
        sa: SaHandle,
        /// The new address.
        remote: SocketAddr,
    },
    /// IKE SA keys, for key logs (sent when keys are derived).
    IkeKeys(IkeKeyRecord),
    /// The engine needs a signature from an external key
    /// (`LocalAuth::External`); answer with `Endpoint::provide_signature`.
    SignRequest {
        /// Echo this in the answer.
        request: RequestId,
        /// The SA waiting.
        sa: SaHandle,
        /// The scheme to sign with (hashing is part of the scheme).
        scheme: SignatureScheme,
        /// ECDSA only: DER-encoded (RFC 7427) rather than r | s (RFC 7296
        /// methods 9 to 11).
        der: bool,
        /// The octets to sign (RFC 7296 §2.15).
        data: Vec<u8>,
    },
    /// A new IKE_SA_INIT request passed the limits and cookie checks;
    /// the application decides whether it gets state
    /// (`Config::ask_admission`). Answer with `Endpoint::admit`.
    HalfOpenRequest {
        /// Echo this in the answer.
        request: RequestId,
        /// Our address it came to.
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
        /// The initiator's SPI.
        spi_i: [u8; 8],
    },
}

/// The application's answer to a [`Event::HalfOpenRequest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Go on: answer IKE_SA_INIT and keep a half-open SA.
    Accept,
    /// Ask the initiator to come back with a COOKIE (RFC 7296 §2.6).
    Cookie,
    /// Drop the request silently.
    Drop,
}

impl IkeKeyRecord {
    /// The record as a line of rike's key log, which `rike dissect --keys`
    /// and the Wireshark plugin read (see `dissect::keys`).
    pub fn key_log_line(&self) -> String {
        let h = crate::hex::encode;
        let encr = match self.encr.1 {
            Some(b) => format!("{}/{b}", self.encr.0 .0),
            None => self.encr.0 .0.to_string(),
        };
        format!(
            "ikev2 spi_i={} spi_r={} encr={encr} integ={} sk_ei={} sk_er={} sk_ai={} sk_ar={}",
            h(&self.spi_i),
            h(&self.spi_r),
            self.integ.map_or(0, |i| i.0),
            h(self.sk_ei.expose()),
            h(self.sk_er.expose()),
            h(self.sk_ai.expose()),
            h(self.sk_ar.expose()),
        )
    }
}

/// Keys of an IKEv1 ISAKMP SA (RFC 2409 §5 and App. B), for key logs and
/// Wireshark's `ikev1_decryption_table`.
#[derive(Clone, Debug)]
pub struct Ikev1KeyRecord {
    /// The SA.
    pub sa: SaHandle,
    /// Initiator cookie.
    pub cky_i: [u8; 8],
    /// Responder cookie.
    pub cky_r: [u8; 8],
    /// Encryption Algorithm attribute value (RFC 2409 App. A).
    pub encr: u16,
    /// Key Length attribute, if sent.
    pub key_bits: Option<u16>,
    /// Hash Algorithm attribute value.
    pub hash: u16,
    /// The encryption key (SKEYID_e expanded to the cipher's key length).
    pub key: Secret,
    /// SKEYID_d.
    pub skeyid_d: Secret,
    /// SKEYID_a.
    pub skeyid_a: Secret,
}

impl Ikev1KeyRecord {
    /// The record as a line of rike's key log (see `dissect::keys`):
    /// `ikev1 cky_i=… cky_r=… encr=N[/BITS] hash=N key=… skeyid_a=…`.
    pub fn key_log_line(&self) -> String {
        let h = crate::hex::encode;
        let encr = match self.key_bits {
            Some(b) => format!("{}/{b}", self.encr),
            None => self.encr.to_string(),
        };
        format!(
            "ikev1 cky_i={} cky_r={} encr={encr} hash={} key={} skeyid_a={}",
            h(&self.cky_i),
            h(&self.cky_r),
            self.hash,
            h(self.key.expose()),
            h(self.skeyid_a.expose()),
        )
    }
}
