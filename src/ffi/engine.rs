//! The sans-IO IKEv2 and IKEv1 engine from C.
//!
//! A `rike_engine` owns every IKE and Child SA of one local endpoint. The
//! caller owns sockets and clocks: it hands the engine datagrams (or RFC
//! 8229 stream bytes), the time and commands, then drains the outputs in
//! this order after every call: `rike_engine_poll_transmit` until
//! `RIKE_RESULT_DONE` (send each), `rike_engine_poll_event` until
//! `RIKE_RESULT_DONE` (act on each), then `rike_engine_poll_timeout` (arm
//! a timer; call `rike_engine_handle_timeout` when it fires).

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void, CString};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::config::{rike_config, scheme_to_c};
use super::types::{
    bytes_arg, copy_text, fail, rike_addr, rike_bytes, rike_identity, rike_ts, socket_arg, str_arg,
};
use super::{nonnull, rike_result};
use crate::crypto::{OsRandom, Random, RustCrypto, Secret, SeededRandom};
use crate::engine::{
    esp_key_log_lines, esp_sa_lines, ikev1_table_line, ikev2_table_line, Admission, ChildId,
    ChildSaInfo, DownReason, Endpoint, EngineError, Event, Identity, IpsecMode, RequestId,
    SaHandle, Transmit,
};
use crate::wire::transport::{Prefix, TcpItem, TcpReassembler, NAT_KEEPALIVE, TCP_PREFIX};

/// What an event is; the value says which member of `rike_event::u` is
/// set. Only ever gains values: ignore the ones you do not know.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_event_type {
    /// An event this version of the ABI cannot describe; ignore it.
    Other = 0,
    /// An IKE SA is established (`u.ike_up`).
    IkeSaUp = 1,
    /// An IKE SA is gone (`u.down`); its Child SAs were reported down
    /// first.
    IkeSaDown = 2,
    /// An IKE SA was rekeyed (`u.ike_rekeyed`); `ike_sa` is the new one,
    /// which now carries the Child SAs. The old one goes down later.
    IkeSaRekeyed = 3,
    /// A Child SA is ready to install (`u.child`).
    ChildSaUp = 4,
    /// A Child SA was rekeyed (`u.child`, with `old_child`): install the
    /// new one, then remove the old one (a CHILD_SA_DOWN follows).
    ChildSaRekeyed = 5,
    /// A Child SA is gone: remove it (`u.child_down`).
    ChildSaDown = 6,
    /// A Child SA could not be made; the IKE SA stays (`u.child_failed`).
    ChildSaFailed = 7,
    /// Decision: the pre-shared key for a peer identity
    /// (`u.psk_request`); answer with `rike_engine_provide_psk`.
    PskRequest = 8,
    /// The peer's address changed (NAT rebinding; `u.address_changed`).
    PeerAddressChanged = 9,
    /// IKE SA keys, for key logs and Wireshark tables (`u.ike_keys`).
    IkeKeys = 10,
    /// Decision: sign with an external key (`u.sign_request`); answer
    /// with `rike_engine_provide_signature`.
    SignRequest = 11,
    /// Decision: may a new IKE_SA_INIT request get state
    /// (`u.half_open`)? Answer with `rike_engine_admit`.
    HalfOpenRequest = 12,
    /// Keys of an IKEv1 ISAKMP SA (RFC 2409 §5, App. B), for key logs and
    /// Wireshark's `ikev1_decryption_table` (`u.ikev1_keys`). Its IPsec
    /// SAs come as CHILD_SA_UP events like IKEv2's.
    Ikev1Keys = 13,
    /// Decision (IKEv1 XAUTH client, draft-beaulieu-ike-xauth-02): the
    /// server asks for a user name and password and none is configured;
    /// answer with `rike_engine_provide_xauth`. No data.
    XauthRequest = 14,
    /// Decision (IKEv1 XAUTH server): check the credentials the client
    /// gave (`u.xauth_verify`); answer with `rike_engine_xauth_verdict`.
    XauthVerify = 15,
    /// IKEv1 Mode-Config (draft-dukes-ike-mode-cfg-02): an internal
    /// address and DNS servers were assigned to us or by us to the peer
    /// (`u.mode_config`).
    ModeConfig = 16,
}

/// Why an SA went down.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_down_reason {
    /// A reason this version of the ABI does not name (see the message).
    Other = 0,
    /// We deleted it.
    Deleted = 1,
    /// The peer deleted it.
    DeletedByPeer = 2,
    /// Replaced by a rekeyed SA.
    Rekeyed = 3,
    /// The peer stopped answering.
    Timeout = 4,
    /// The half-open SA was not completed in time.
    HalfOpenTimeout = 5,
    /// We did not accept the peer's authentication.
    AuthFailed = 6,
    /// The peer did not accept ours (AUTHENTICATION_FAILED).
    AuthFailedByPeer = 7,
    /// The peer answered with an error notify (`notify_type`).
    Notify = 8,
    /// The hard lifetime ran out.
    Expired = 9,
    /// A local error (see the message).
    Error = 10,
}

/// Format of `rike_engine_event_keys`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_key_format {
    /// One line of Wireshark's `ikev2_decryption_table` (IKE_KEYS events).
    Ikev2DecryptionTable = 1,
    /// Two lines of Wireshark's `esp_sa` table, inbound then outbound
    /// (CHILD_SA_UP and CHILD_SA_REKEYED events).
    EspSa = 2,
    /// rike's key log (`rike dissect --keys`, the Wireshark plugin): one
    /// "ikev2 …" line, one "ikev1 …" line or two "esp …" lines.
    KeyLog = 3,
    /// One line of Wireshark's `ikev1_decryption_table`, "initiator
    /// cookie,encryption key" in hex (IKEV1_KEYS events; RFC 2409 App. B).
    Ikev1DecryptionTable = 4,
}

/// Answer to a `RIKE_EVENT_TYPE_HALF_OPEN_REQUEST`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_admission {
    /// Answer IKE_SA_INIT and keep a half-open SA.
    Accept = 1,
    /// Ask the initiator to come back with a COOKIE (RFC 7296 §2.6).
    Cookie = 2,
    /// Drop the request silently.
    Drop = 3,
}

/// Level of a log line.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_log_level {
    /// Something failed.
    Error = 1,
    /// Something unusual.
    Warning = 2,
    /// What happened (the engine's lines today).
    Info = 3,
    /// Detail.
    Debug = 4,
}

/// A log sink: `message` is one NUL-terminated line without key material,
/// valid during the call only. Called on the thread of the engine call
/// that logs, inside that call: it must not call the same engine (such a
/// call returns `RIKE_RESULT_REENTRANT`) nor free it.
pub type rike_log_fn =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>;

/// Flag of `rike_transmit::flags`: the bytes are one RFC 8229 frame (two
/// length octets, then non-ESP marker and IKE message), possibly preceded
/// by the "IKETCP" prefix: write them to the TCP stream of `remote`
/// (registered with `rike_engine_handle_stream` or
/// `rike_engine_open_stream`) rather than sending a datagram.
pub const RIKE_TRANSMIT_TCP: u32 = 1;
/// Flag of `rike_transmit::flags`: a NAT keepalive (RFC 3948 §2.3).
pub const RIKE_TRANSMIT_KEEPALIVE: u32 = 2;

/// Where a datagram goes, filled by `rike_engine_poll_transmit`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_transmit {
    /// Set to `sizeof(rike_transmit)` before the call.
    pub struct_size: u32,
    /// `RIKE_TRANSMIT_*` flags.
    pub flags: u32,
    /// Our address and port to send from (500, 4500, or the TCP stream's).
    pub local: rike_addr,
    /// Where to.
    pub remote: rike_addr,
    /// The IKE SA it belongs to; 0 for stateless answers (COOKIE,
    /// INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN).
    pub ike_sa: u64,
}

const TRANSMIT_V1: u32 = std::mem::size_of::<rike_transmit>() as u32;

/// `RIKE_EVENT_TYPE_IKE_SA_UP`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_ike_sa_up {
    /// Name of the peer configuration.
    pub peer: *const c_char,
    /// 1 when we initiated it.
    pub initiator: u8,
    /// Zero.
    pub reserved: [u8; 7],
    /// Our address.
    pub local: rike_addr,
    /// The peer's address.
    pub remote: rike_addr,
    /// Our identity.
    pub local_id: rike_identity,
    /// The peer's authenticated identity.
    pub remote_id: rike_identity,
    /// Initiator's SPI.
    pub spi_i: [u8; 8],
    /// Responder's SPI.
    pub spi_r: [u8; 8],
    /// The algorithms, e.g. "ENCR_AES_GCM_16_256/PRF_HMAC_SHA2_256/Curve25519".
    pub algorithms: *const c_char,
}

/// `RIKE_EVENT_TYPE_IKE_SA_DOWN`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_sa_down {
    /// A `rike_down_reason`.
    pub reason: u32,
    /// The notify type for `RIKE_DOWN_REASON_NOTIFY`, else 0.
    pub notify_type: u16,
    /// Zero.
    pub reserved: u16,
    /// The reason as text.
    pub message: *const c_char,
}

/// `RIKE_EVENT_TYPE_IKE_SA_REKEYED` (`rike_event::ike_sa` is the new SA).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_ike_sa_rekeyed {
    /// The old SA (going down).
    pub old_sa: u64,
    /// The new SA's initiator SPI.
    pub spi_i: [u8; 8],
    /// The new SA's responder SPI.
    pub spi_r: [u8; 8],
}

/// `RIKE_EVENT_TYPE_CHILD_SA_UP` and `_REKEYED`: what a daemon installs
/// in the kernel. Algorithms are IANA IKEv2 transform IDs; keys are
/// borrowed (see `rike_engine_poll_event`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_child_sa {
    /// The Child SA configuration's name.
    pub name: *const c_char,
    /// For `_REKEYED`: the Child SA it replaces; else 0.
    pub old_child: u64,
    /// IP protocol (50 = ESP).
    pub protocol: u8,
    /// A `rike_ipsec_mode` value.
    pub mode: u8,
    /// How ESP travels: 0 bare, 1 UDP-encapsulated (RFC 3948, port
    /// 4500), 2 in the RFC 8229 TCP stream with the peer (which needs the
    /// kernel's ESP-in-TCP; UDP encapsulation templates do not apply).
    pub encap: u8,
    /// 1 with extended sequence numbers.
    pub esn: u8,
    /// Our inbound SPI.
    pub spi_in: u32,
    /// Our outbound SPI (the peer's inbound).
    pub spi_out: u32,
    /// Encryption transform ID (e.g. 20 = AES-GCM-16, 12 = AES-CBC).
    pub encr_id: u16,
    /// Key length in bits where the algorithm has one, else 0.
    pub key_bits: u16,
    /// Integrity transform ID, 0 with AEAD.
    pub integ_id: u16,
    /// Key exchange method used for PFS, 0 without.
    pub ke_method: u16,
    /// Zero.
    pub reserved: u32,
    /// Our address (the outer source of outbound ESP).
    pub local: rike_addr,
    /// The peer's address.
    pub remote: rike_addr,
    /// Our side's traffic selectors.
    pub local_ts: *const rike_ts,
    /// Their number.
    pub local_ts_len: usize,
    /// The peer's side's traffic selectors.
    pub remote_ts: *const rike_ts,
    /// Their number.
    pub remote_ts_len: usize,
    /// Inbound encryption key (with the salt/nonce for GCM, CCM, CTR).
    pub encr_key_in: rike_bytes,
    /// Outbound encryption key.
    pub encr_key_out: rike_bytes,
    /// Inbound integrity key (empty with AEAD).
    pub integ_key_in: rike_bytes,
    /// Outbound integrity key.
    pub integ_key_out: rike_bytes,
    /// Rekey this long from now (soft lifetime), 0 if none.
    pub rekey_ms: u64,
    /// Expire this long from now (hard lifetime), 0 if none.
    pub lifetime_ms: u64,
}

/// `RIKE_EVENT_TYPE_CHILD_SA_DOWN` (`rike_event::child_sa` names it).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_child_sa_down {
    /// Our inbound SPI.
    pub spi_in: u32,
    /// Our outbound SPI.
    pub spi_out: u32,
    /// Why.
    pub down: rike_sa_down,
}

/// `RIKE_EVENT_TYPE_CHILD_SA_FAILED`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_child_sa_failed {
    /// The Child SA configuration's name.
    pub name: *const c_char,
    /// The peer's error notify type (e.g. 14 NO_PROPOSAL_CHOSEN, 38
    /// TS_UNACCEPTABLE).
    pub notify_type: u16,
}

/// `RIKE_EVENT_TYPE_PSK_REQUEST`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_psk_request {
    /// The identity the peer claims.
    pub peer_id: rike_identity,
}

/// `RIKE_EVENT_TYPE_PEER_ADDRESS_CHANGED`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_address_changed {
    /// The peer's new address; later datagrams go there.
    pub remote: rike_addr,
}

/// `RIKE_EVENT_TYPE_IKE_KEYS` (secrets borrowed as in
/// `rike_engine_poll_event`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_ike_keys {
    /// Initiator's SPI.
    pub spi_i: [u8; 8],
    /// Responder's SPI.
    pub spi_r: [u8; 8],
    /// Encryption transform ID.
    pub encr_id: u16,
    /// Key bits, 0 if the algorithm has no Key Length attribute.
    pub key_bits: u16,
    /// Integrity transform ID, 0 with AEAD.
    pub integ_id: u16,
    /// Zero.
    pub reserved: u16,
    /// SK_ei.
    pub sk_ei: rike_bytes,
    /// SK_er.
    pub sk_er: rike_bytes,
    /// SK_ai.
    pub sk_ai: rike_bytes,
    /// SK_ar.
    pub sk_ar: rike_bytes,
}

/// `RIKE_EVENT_TYPE_IKEV1_KEYS` (secrets borrowed as in
/// `rike_engine_poll_event`): an ISAKMP SA's cookies, algorithms as IKEv1
/// attribute values (RFC 2409 App. A) and keys (RFC 2409 §5, App. B).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_ikev1_keys {
    /// Initiator cookie.
    pub cky_i: [u8; 8],
    /// Responder cookie.
    pub cky_r: [u8; 8],
    /// Encryption Algorithm attribute value (e.g. 7 = AES-CBC, 5 =
    /// 3DES-CBC).
    pub encr_alg: u16,
    /// Key Length attribute in bits, 0 when not sent.
    pub key_bits: u16,
    /// Hash Algorithm attribute value (e.g. 2 = SHA, 4 = SHA2-256).
    pub hash_alg: u16,
    /// Zero.
    pub reserved: u16,
    /// The encryption key (SKEYID_e expanded to the cipher's key length).
    pub key: rike_bytes,
    /// SKEYID_a, the key of the HASH payloads.
    pub skeyid_a: rike_bytes,
}

/// `RIKE_EVENT_TYPE_XAUTH_VERIFY` (borrowed as in `rike_engine_poll_event`;
/// the password is zeroed then).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_xauth_verify {
    /// The user name the client gave (NUL octets replaced by spaces).
    pub user: *const c_char,
    /// The password it gave.
    pub password: rike_bytes,
}

/// `RIKE_EVENT_TYPE_MODE_CONFIG`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_mode_config {
    /// 1 when we assigned the address (server), 0 when we received it.
    pub assigned_by_us: u8,
    /// Zero.
    pub reserved: [u8; 7],
    /// The internal address (port 0), `RIKE_AF_NONE` when none was given.
    pub address: rike_addr,
    /// Zero.
    pub reserved2: u32,
    /// The DNS servers (port 0); NULL when none.
    pub dns: *const rike_addr,
    /// Their number.
    pub dns_len: usize,
}

/// `RIKE_EVENT_TYPE_SIGN_REQUEST`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_sign_request {
    /// The `rike_sign_scheme` to sign with (hashing is part of it).
    pub scheme: u32,
    /// ECDSA only: 1 for a DER-encoded signature (RFC 7427), 0 for r | s.
    pub der: u8,
    /// Zero.
    pub reserved: [u8; 3],
    /// The octets to sign.
    pub data: rike_bytes,
}

/// `RIKE_EVENT_TYPE_HALF_OPEN_REQUEST`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_half_open_request {
    /// Our address the request came to.
    pub local: rike_addr,
    /// The initiator's address.
    pub remote: rike_addr,
    /// The initiator's SPI.
    pub spi_i: [u8; 8],
}

/// The data of an event; `rike_event::kind` says which member is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub union rike_event_data {
    /// `RIKE_EVENT_TYPE_IKE_SA_UP`.
    pub ike_up: rike_ike_sa_up,
    /// `RIKE_EVENT_TYPE_IKE_SA_DOWN`.
    pub down: rike_sa_down,
    /// `RIKE_EVENT_TYPE_IKE_SA_REKEYED`.
    pub ike_rekeyed: rike_ike_sa_rekeyed,
    /// `RIKE_EVENT_TYPE_CHILD_SA_UP` and `_REKEYED`.
    pub child: rike_child_sa,
    /// `RIKE_EVENT_TYPE_CHILD_SA_DOWN`.
    pub child_down: rike_child_sa_down,
    /// `RIKE_EVENT_TYPE_CHILD_SA_FAILED`.
    pub child_failed: rike_child_sa_failed,
    /// `RIKE_EVENT_TYPE_PSK_REQUEST`.
    pub psk_request: rike_psk_request,
    /// `RIKE_EVENT_TYPE_PEER_ADDRESS_CHANGED`.
    pub address_changed: rike_address_changed,
    /// `RIKE_EVENT_TYPE_IKE_KEYS`.
    pub ike_keys: rike_ike_keys,
    /// `RIKE_EVENT_TYPE_SIGN_REQUEST`.
    pub sign_request: rike_sign_request,
    /// `RIKE_EVENT_TYPE_HALF_OPEN_REQUEST`.
    pub half_open: rike_half_open_request,
    /// `RIKE_EVENT_TYPE_IKEV1_KEYS`.
    pub ikev1_keys: rike_ikev1_keys,
    /// `RIKE_EVENT_TYPE_XAUTH_VERIFY`.
    pub xauth_verify: rike_xauth_verify,
    /// `RIKE_EVENT_TYPE_MODE_CONFIG`.
    pub mode_config: rike_mode_config,
    /// Room for later members.
    pub reserved: [u64; 64],
}

/// One event, filled by `rike_engine_poll_event`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct rike_event {
    /// Set to `sizeof(rike_event)` before the call.
    pub struct_size: u32,
    /// A `rike_event_type`.
    pub kind: u32,
    /// The IKE SA concerned (0 for HALF_OPEN_REQUEST).
    pub ike_sa: u64,
    /// The Child SA concerned (CHILD_SA_UP, _REKEYED, _DOWN), else 0.
    /// Child SA ids are never reused.
    pub child_sa: u64,
    /// For decision events, the id to echo in the answer; else 0.
    pub request_id: u64,
    /// The data of `kind`.
    pub u: rike_event_data,
}

const EVENT_V1: u32 = std::mem::size_of::<rike_event>() as u32;

/// Counters of an engine, filled by `rike_engine_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct rike_stats {
    /// Set to `sizeof(rike_stats)` before the call.
    pub struct_size: u32,
    /// Zero.
    pub reserved: u32,
    /// Datagrams handled.
    pub received: u64,
    /// Datagrams that were not IKE, not for any SA, or malformed.
    pub dropped: u64,
    /// COOKIE answers sent.
    pub cookies_sent: u64,
    /// IKE_SA_INIT requests refused at the half-open limit or by the
    /// application.
    pub half_open_refused: u64,
    /// IKE_SA_INIT requests answered again from the cache.
    pub init_retransmits: u64,
    /// IKE SAs held now.
    pub ike_sas: u64,
    /// Half-open IKE SAs now.
    pub half_open: u64,
}

const STATS_V1: u32 = std::mem::size_of::<rike_stats>() as u32;

/// One RFC 8229 stream the engine talks over.
struct Stream {
    rx: TcpReassembler,
    /// We opened it: the first frame we send starts with "IKETCP".
    send_prefix: bool,
}

/// An event handed to C and the storage its pointers point into.
struct Held {
    event: Event,
    _strings: Vec<CString>,
    _ts: Vec<Vec<rike_ts>>,
    _bytes: Vec<Vec<u8>>,
    _addrs: Vec<Vec<rike_addr>>,
}

struct Inner {
    ep: Endpoint,
    /// A datagram that did not fit the caller's buffer, kept for the next
    /// call.
    tx: Option<(Vec<u8>, rike_transmit)>,
    current: Option<Held>,
    streams: HashMap<SocketAddr, Stream>,
}

/// An IKE endpoint: all IKE and Child SAs of one local identity set.
/// Under the hood a `Box` around the Rust `Endpoint`. One thread at a
/// time (it may move between threads); a second concurrent or re-entrant
/// call is refused with `RIKE_RESULT_REENTRANT`. After a caught panic it
/// is poisoned: every call but `rike_engine_free` returns
/// `RIKE_RESULT_POISONED`.
pub struct rike_engine {
    busy: AtomicBool,
    poisoned: AtomicBool,
    inner: UnsafeCell<Inner>,
}

/// Clears the busy flag when a call ends, however it ends.
struct Busy<'a>(&'a AtomicBool);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Checks and marks the engine busy.
///
/// # Safety
/// `e` must be NULL or come from `rike_engine_new` and not be freed.
unsafe fn enter<'a>(e: *const rike_engine) -> Result<(&'a rike_engine, Busy<'a>), rike_result> {
    if e.is_null() {
        return Err(fail(rike_result::NullParameter, "engine is NULL"));
    }
    let eng = &*e;
    if eng.poisoned.load(Ordering::Acquire) {
        return Err(fail(
            rike_result::Poisoned,
            "the engine was poisoned by an earlier internal error",
        ));
    }
    if eng
        .busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return Err(fail(
            rike_result::Reentrant,
            "the engine is in use (a call from a log callback, or from another thread)",
        ));
    }
    Ok((eng, Busy(&eng.busy)))
}

/// Runs `f` on the engine with the panic boundary. `mutating` calls end
/// the borrowed data of the last event first (and zero its secrets).
///
/// # Safety
/// As [`enter`].
unsafe fn run(
    e: *const rike_engine,
    mutating: bool,
    f: impl FnOnce(&mut Inner) -> rike_result,
) -> rike_result {
    let (eng, _busy) = match enter(e) {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Exclusive: `busy` guarantees no other call is inside.
    let inner = &mut *eng.inner.get();
    match catch_unwind(AssertUnwindSafe(|| {
        if mutating {
            inner.current = None;
        }
        f(inner)
    })) {
        Ok(r) => r,
        Err(_) => {
            eng.poisoned.store(true, Ordering::Release);
            fail(rike_result::Panic, "internal error (panic caught)")
        }
    }
}

fn engine_error(e: EngineError) -> rike_result {
    #[allow(unreachable_patterns)]
    let r = match &e {
        EngineError::UnknownPeer(_) | EngineError::UnknownChildConfig(_) => {
            rike_result::UnknownName
        }
        EngineError::NoRemote(_) => rike_result::WrongState,
        EngineError::UnknownSa(_) => rike_result::UnknownSa,
        EngineError::UnknownChild(_) => rike_result::UnknownChild,
        EngineError::UnknownRequest(_) => rike_result::UnknownRequest,
        EngineError::Crypto(_) => rike_result::Crypto,
        EngineError::Limit => rike_result::Limit,
        _ => rike_result::InvalidParameter,
    };
    fail(r, e)
}

fn done(r: Result<(), EngineError>) -> rike_result {
    match r {
        Ok(()) => rike_result::Ok,
        Err(e) => engine_error(e),
    }
}

unsafe fn make_engine(
    config: *const rike_config,
    rng: Box<dyn Random>,
    out: *mut *mut rike_engine,
) -> rike_result {
    nonnull!(config);
    nonnull!(out);
    let cfg = (*config).cfg.clone();
    super::guard!(rike_result::Panic, {
        let ep = Endpoint::new(cfg, Arc::new(RustCrypto::new()), rng);
        *out = Box::into_raw(Box::new(rike_engine {
            busy: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            inner: UnsafeCell::new(Inner {
                ep,
                tx: None,
                current: None,
                streams: HashMap::new(),
            }),
        }));
        rike_result::Ok
    })
}

/// Makes an engine with `config` (which it keeps a reference to) and the
/// operating system's random numbers; writes it to `*out`. Free it with
/// `rike_engine_free`.
///
/// # Safety
/// `config` from `rike_config_builder_build`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_new(
    config: *const rike_config,
    out: *mut *mut rike_engine,
) -> rike_result {
    make_engine(config, Box::new(OsRandom::new()), out)
}

/// As `rike_engine_new`, but every random number (SPIs, nonces, key
/// exchange secrets) comes from a generator seeded with the 32 bytes at
/// `seed`: reproducible runs for tests. Anyone who knows the seed knows
/// every key: never use it for real traffic.
///
/// # Safety
/// As `rike_engine_new`; `seed` valid for `seed_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_new_seeded(
    config: *const rike_config,
    seed: *const u8,
    seed_len: usize,
    out: *mut *mut rike_engine,
) -> rike_result {
    nonnull!(seed);
    if seed_len != 32 {
        return fail(rike_result::InvalidParameter, "the seed must be 32 bytes");
    }
    let mut s = [0u8; 32];
    s.copy_from_slice(std::slice::from_raw_parts(seed, 32));
    make_engine(config, Box::new(SeededRandom::from_seed(s)), out)
}

/// Frees an engine and everything it holds (its SAs are forgotten, not
/// deleted: delete them first for a clean shutdown); NULL is ignored. A
/// call from the engine's own log callback is ignored.
///
/// # Safety
/// `e` from `rike_engine_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_free(e: *mut rike_engine) {
    if e.is_null() || (*e).busy.load(Ordering::Acquire) {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(e))));
}

struct SendPtr(*mut c_void);
// The pointer is only handed back to the caller's callback, on the thread
// the caller makes the engine call on.
unsafe impl Send for SendPtr {}

/// Sets the log sink (NULL `cb` turns logging off). `userdata` is passed
/// back to every call.
///
/// # Safety
/// `e` from `rike_engine_new`; `cb` callable with `userdata` for the life
/// of the engine.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_set_log(
    e: *mut rike_engine,
    cb: rike_log_fn,
    userdata: *mut c_void,
) -> rike_result {
    run(e, true, |inner| {
        let ud = SendPtr(userdata);
        match cb {
            Some(f) => inner.ep.set_log(Box::new(move |line: &str| {
                let ud = &ud;
                let c = CString::new(line.replace('\0', " ")).unwrap_or_default();
                f(ud.0, rike_log_level::Info as u32, c.as_ptr());
            })),
            None => inner.ep.set_log(Box::new(|_: &str| {})),
        }
        rike_result::Ok
    })
}

/// Tells the engine the wall-clock time (seconds since 1970) at monotonic
/// `now_ms`, for certificate validity. By default the system time when
/// the engine was made is taken as monotonic 0.
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_set_unix_time(
    e: *mut rike_engine,
    now_ms: u64,
    unix_secs: u64,
) -> rike_result {
    run(e, true, |inner| {
        inner.ep.set_unix_time(now_ms, unix_secs);
        rike_result::Ok
    })
}

// ------------------------------------------------------------ inputs

/// A UDP datagram received on `local` from `remote` (`len` bytes at
/// `data`, the UDP payload as received: on port 4500 with its non-ESP
/// marker; NAT keepalives and ESP are ignored). Malformed or unexpected
/// datagrams are dropped and counted, not errors. `now_ms` is the
/// caller's monotonic clock in milliseconds (never going back).
///
/// # Safety
/// `e` from `rike_engine_new`; addresses valid; `data` valid for `len`
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_handle_datagram(
    e: *mut rike_engine,
    now_ms: u64,
    local: *const rike_addr,
    remote: *const rike_addr,
    data: *const u8,
    len: usize,
) -> rike_result {
    let l = match socket_arg(local) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let r = match socket_arg(remote) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let d = match bytes_arg(data, len, "data") {
        Ok(d) => d,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        inner.ep.handle(now_ms, l, r, d);
        rike_result::Ok
    })
}

/// Bytes received on an RFC 8229 TCP stream between `local` and `remote`
/// (any chunking; a stream the peer opened starts with "IKETCP"). The
/// first call for a `remote` registers the stream; transmits to that
/// address then carry `RIKE_TRANSMIT_TCP` and are framed. The standard
/// port is 4500 on the listening side; one of `local` and `remote` must
/// use it. `RIKE_RESULT_MALFORMED` when the framing is broken: the stream
/// is forgotten and should be closed.
///
/// # Safety
/// As `rike_engine_handle_datagram`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_handle_stream(
    e: *mut rike_engine,
    now_ms: u64,
    local: *const rike_addr,
    remote: *const rike_addr,
    data: *const u8,
    len: usize,
) -> rike_result {
    let l = match socket_arg(local) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let r = match socket_arg(remote) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let d = match bytes_arg(data, len, "data") {
        Ok(d) => d,
        Err(r) => return r,
    };
    if l.port() != 4500 && r.port() != 4500 {
        return fail(
            rike_result::InvalidParameter,
            "an RFC 8229 stream needs port 4500 on one side",
        );
    }
    run(e, true, |inner| {
        let s = inner.streams.entry(r).or_insert_with(|| Stream {
            rx: TcpReassembler::new(Prefix::Auto),
            send_prefix: false,
        });
        s.rx.push(d);
        let mut frames = Vec::new();
        let mut broken = false;
        while let Some(item) = s.rx.poll() {
            match item {
                Ok(TcpItem::Prefix { .. }) => {}
                Ok(TcpItem::Frame { frame, .. }) => frames.push(frame),
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            inner.streams.remove(&r);
        }
        for f in frames {
            if let Some(content) = f.get(2..) {
                inner.ep.handle(now_ms, l, r, content);
            }
        }
        if broken {
            fail(
                rike_result::Malformed,
                "RFC 8229 framing error; stream forgotten",
            )
        } else {
            rike_result::Ok
        }
    })
}

/// Registers an RFC 8229 stream we opened to `remote` (before initiating
/// over it): transmits to `remote` then carry `RIKE_TRANSMIT_TCP`, the
/// first preceded by the "IKETCP" prefix. Use a peer with
/// `RIKE_PEER_FORCE_ENCAP` and a remote address equal to `remote`.
///
/// # Safety
/// `e` from `rike_engine_new`; `remote` valid.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_open_stream(
    e: *mut rike_engine,
    remote: *const rike_addr,
) -> rike_result {
    let r = match socket_arg(remote) {
        Ok(a) => a,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        inner.streams.insert(
            r,
            Stream {
                rx: TcpReassembler::new(Prefix::Absent),
                send_prefix: true,
            },
        );
        rike_result::Ok
    })
}

/// Forgets the stream to `remote` (closed by either side); later
/// transmits to that address are datagrams again. `RIKE_RESULT_DONE` when
/// no such stream was known.
///
/// # Safety
/// `e` from `rike_engine_new`; `remote` valid.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_close_stream(
    e: *mut rike_engine,
    remote: *const rike_addr,
) -> rike_result {
    let r = match socket_arg(remote) {
        Ok(a) => a,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        if inner.streams.remove(&r).is_some() {
            rike_result::Ok
        } else {
            rike_result::Done
        }
    })
}

/// Fires the timers due at `now_ms`. Call it when the deadline from
/// `rike_engine_poll_timeout` is reached (calling it early is harmless).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_handle_timeout(
    e: *mut rike_engine,
    now_ms: u64,
) -> rike_result {
    run(e, true, |inner| {
        inner.ep.handle_timeout(now_ms);
        rike_result::Ok
    })
}

/// Starts an IKE SA with the peer configuration named `peer`, sending
/// from `local` (port 500; 4500 is used instead with
/// `RIKE_PEER_FORCE_ENCAP`). Writes the new SA's handle to `*sa_out`. The
/// exchange then runs through the poll calls; its outcome is an
/// IKE_SA_UP or IKE_SA_DOWN event. `RIKE_RESULT_UNKNOWN_NAME` for an
/// unknown peer, `RIKE_RESULT_WRONG_STATE` when it has no remote address,
/// `RIKE_RESULT_LIMIT`, `RIKE_RESULT_CRYPTO` when its proposals cannot run.
///
/// # Safety
/// `e` from `rike_engine_new`; `peer` NUL-terminated; `local` valid;
/// `sa_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_initiate(
    e: *mut rike_engine,
    now_ms: u64,
    peer: *const c_char,
    local: *const rike_addr,
    sa_out: *mut u64,
) -> rike_result {
    nonnull!(sa_out);
    let name = match str_arg(peer, "peer") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let l = match socket_arg(local) {
        Ok(a) => a,
        Err(r) => return r,
    };
    run(e, true, |inner| match inner.ep.initiate(now_ms, name, l) {
        Ok(h) => {
            *sa_out = h.0;
            rike_result::Ok
        }
        Err(err) => engine_error(err),
    })
}

/// Creates another Child SA on IKE SA `sa` with the peer's Child SA
/// configuration named `child` (a CHILD_SA_UP or CHILD_SA_FAILED event
/// follows).
///
/// # Safety
/// `e` from `rike_engine_new`; `child` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_create_child(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    child: *const c_char,
) -> rike_result {
    let name = match str_arg(child, "child") {
        Ok(s) => s,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        done(inner.ep.create_child(now_ms, SaHandle(sa), name))
    })
}

/// Rekeys Child SA `child` of IKE SA `sa` (CHILD_SA_REKEYED, then
/// CHILD_SA_DOWN for the old one). `RIKE_RESULT_UNKNOWN_SA` /
/// `_UNKNOWN_CHILD` for stale handles.
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_rekey_child(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    child: u64,
) -> rike_result {
    run(e, true, |inner| {
        done(inner.ep.rekey_child(now_ms, SaHandle(sa), ChildId(child)))
    })
}

/// Deletes Child SA `child` of IKE SA `sa` (CHILD_SA_DOWN follows).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_delete_child(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    child: u64,
) -> rike_result {
    run(e, true, |inner| {
        done(inner.ep.delete_child(now_ms, SaHandle(sa), ChildId(child)))
    })
}

/// Rekeys IKE SA `sa` (IKE_SA_REKEYED with the new handle, then
/// IKE_SA_DOWN for the old one).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_rekey_ike(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
) -> rike_result {
    run(e, true, |inner| {
        done(inner.ep.rekey_ike(now_ms, SaHandle(sa)))
    })
}

/// Deletes IKE SA `sa` and its Child SAs (CHILD_SA_DOWN for each, then
/// IKE_SA_DOWN, once the peer answered or gave up).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_delete_ike(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
) -> rike_result {
    run(e, true, |inner| {
        done(inner.ep.delete_ike(now_ms, SaHandle(sa)))
    })
}

/// Sends a liveness check (an empty INFORMATIONAL request) on IKE SA `sa`
/// now; a peer that does not answer takes the SA down (timeout).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_check_liveness(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
) -> rike_result {
    run(e, true, |inner| {
        done(inner.ep.check_liveness(now_ms, SaHandle(sa)))
    })
}

// ------------------------------------------------------------ answers

/// Answers a PSK_REQUEST of IKE SA `sa`: the key for the identity it named
/// (`len` bytes at `psk`, copied), or NULL to refuse the peer
/// (AUTHENTICATION_FAILED). `RIKE_RESULT_UNKNOWN_REQUEST` when the request
/// was already answered or the SA moved on.
///
/// # Safety
/// `e` from `rike_engine_new`; `psk` valid for `len` bytes or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_provide_psk(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    request_id: u64,
    psk: *const u8,
    len: usize,
) -> rike_result {
    let key = if psk.is_null() {
        None
    } else {
        Some(Secret::from_slice(std::slice::from_raw_parts(psk, len)))
    };
    run(e, true, |inner| {
        done(
            inner
                .ep
                .provide_psk(now_ms, SaHandle(sa), RequestId(request_id), key),
        )
    })
}

/// Answers an XAUTH_REQUEST of ISAKMP SA `sa` (IKEv1 XAUTH client,
/// draft-beaulieu-ike-xauth-02): `user` (NUL-terminated UTF-8) and `len`
/// bytes at `password` (copied), or `user` NULL to give up (the ISAKMP SA
/// is deleted). `RIKE_RESULT_UNKNOWN_REQUEST` when the request was already
/// answered or the SA moved on.
///
/// # Safety
/// `e` from `rike_engine_new`; `user` NUL-terminated or NULL; `password`
/// valid for `len` bytes (or NULL with 0).
#[no_mangle]
pub unsafe extern "C" fn rike_engine_provide_xauth(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    request_id: u64,
    user: *const c_char,
    password: *const u8,
    len: usize,
) -> rike_result {
    let creds = if user.is_null() {
        None
    } else {
        let u = match str_arg(user, "user") {
            Ok(u) => u.to_owned(),
            Err(r) => return r,
        };
        let pw = match bytes_arg(password, len, "password") {
            Ok(b) => Secret::from_slice(b),
            Err(r) => return r,
        };
        Some((u, pw))
    };
    run(e, true, |inner| {
        done(
            inner
                .ep
                .provide_xauth(now_ms, SaHandle(sa), RequestId(request_id), creds),
        )
    })
}

/// Answers an XAUTH_VERIFY of ISAKMP SA `sa` (IKEv1 XAUTH server,
/// draft-beaulieu-ike-xauth-02): `ok` accepts the credentials, else the
/// client is told FAIL in an XAUTH_STATUS. `RIKE_RESULT_UNKNOWN_REQUEST`
/// when the request was already answered or the SA moved on.
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_xauth_verdict(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    request_id: u64,
    ok: bool,
) -> rike_result {
    run(e, true, |inner| {
        done(
            inner
                .ep
                .xauth_verdict(now_ms, SaHandle(sa), RequestId(request_id), ok),
        )
    })
}

/// Answers a SIGN_REQUEST of IKE SA `sa`: the signature over the request's
/// data in its scheme and encoding (`len` bytes at `sig`, copied), or NULL
/// when the key cannot sign (the SA fails).
///
/// # Safety
/// `e` from `rike_engine_new`; `sig` valid for `len` bytes or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_provide_signature(
    e: *mut rike_engine,
    now_ms: u64,
    sa: u64,
    request_id: u64,
    sig: *const u8,
    len: usize,
) -> rike_result {
    let s = if sig.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(sig, len).to_vec())
    };
    run(e, true, |inner| {
        done(
            inner
                .ep
                .provide_signature(now_ms, SaHandle(sa), RequestId(request_id), s),
        )
    })
}

/// Answers a HALF_OPEN_REQUEST with a `rike_admission` value. Requests not
/// answered within the half-open timeout are forgotten
/// (`RIKE_RESULT_UNKNOWN_REQUEST`).
///
/// # Safety
/// `e` from `rike_engine_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_admit(
    e: *mut rike_engine,
    now_ms: u64,
    request_id: u64,
    decision: u32,
) -> rike_result {
    let d = match decision {
        1 => Admission::Accept,
        2 => Admission::Cookie,
        3 => Admission::Drop,
        _ => {
            return fail(
                rike_result::InvalidParameter,
                "unknown rike_admission value",
            )
        }
    };
    run(e, true, |inner| {
        done(inner.ep.admit(now_ms, RequestId(request_id), d))
    })
}

// ------------------------------------------------------------ outputs

/// Reads the caller's `struct_size` of an output structure.
unsafe fn out_size(p: *const u32, min: u32, what: &str) -> Result<u32, rike_result> {
    let n = *p;
    if n < min {
        return Err(fail(
            rike_result::InvalidParameter,
            format!("{what}.struct_size is {n}; set it to sizeof({what})"),
        ));
    }
    Ok(n)
}

/// Copies `v` to `out`, at most `size` bytes (the caller's `struct_size`).
unsafe fn write_sized<T: Copy>(out: *mut T, v: &T, size: u32) {
    let n = (size as usize).min(std::mem::size_of::<T>());
    std::ptr::copy_nonoverlapping((v as *const T).cast::<u8>(), out.cast::<u8>(), n);
}

/// The next datagram to send: copies it into `(buf, cap)`, its length to
/// `*len_out`, where to send it to `*info` (set `info->struct_size`
/// first). `RIKE_RESULT_DONE` when nothing is queued.
/// `RIKE_RESULT_INSUFFICIENT_SIZE` when `cap` is too small: `*len_out`
/// gets the size needed and the datagram stays queued for the next call
/// (65535 bytes are always enough). Ends the borrowed data of the last
/// event.
///
/// # Safety
/// `e` from `rike_engine_new`; `buf` valid for `cap` bytes; `len_out`
/// and `info` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_poll_transmit(
    e: *mut rike_engine,
    buf: *mut u8,
    cap: usize,
    len_out: *mut usize,
    info: *mut rike_transmit,
) -> rike_result {
    nonnull!(len_out);
    nonnull!(info);
    let size = match out_size(info.cast(), TRANSMIT_V1, "rike_transmit") {
        Ok(n) => n,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        if inner.tx.is_none() {
            loop {
                let Some(t) = inner.ep.poll_transmit() else {
                    return rike_result::Done;
                };
                if let Some(x) = frame(&mut inner.streams, t) {
                    inner.tx = Some(x);
                    break;
                }
            }
        }
        let Some((data, t)) = inner.tx.as_ref() else {
            return rike_result::Done;
        };
        if buf.is_null() || cap < data.len() {
            *len_out = data.len();
            return fail(
                rike_result::InsufficientSize,
                format!("the datagram needs {} bytes", data.len()),
            );
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        *len_out = data.len();
        let mut t = *t;
        t.struct_size = size;
        write_sized(info, &t, size);
        inner.tx = None;
        rike_result::Ok
    })
}

/// A transmit as the caller sends it: framed for a known stream. `None`
/// for what a stream does not carry (NAT keepalives).
fn frame(
    streams: &mut HashMap<SocketAddr, Stream>,
    t: Transmit,
) -> Option<(Vec<u8>, rike_transmit)> {
    let keepalive = t.data == [NAT_KEEPALIVE];
    let mut info = rike_transmit {
        struct_size: TRANSMIT_V1,
        flags: if keepalive {
            RIKE_TRANSMIT_KEEPALIVE
        } else {
            0
        },
        local: rike_addr::from_socket(t.local),
        remote: rike_addr::from_socket(t.remote),
        ike_sa: t.sa.map_or(0, |h| h.0),
    };
    let Some(s) = streams.get_mut(&t.remote) else {
        return Some((t.data, info));
    };
    if keepalive {
        return None;
    }
    let total = t.data.len() + 2;
    let Ok(len) = u16::try_from(total) else {
        return None;
    };
    let mut out = Vec::with_capacity(total + TCP_PREFIX.len());
    if s.send_prefix {
        out.extend_from_slice(TCP_PREFIX);
        s.send_prefix = false;
    }
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&t.data);
    info.flags |= RIKE_TRANSMIT_TCP;
    Some((out, info))
}

fn down_of(r: &DownReason, strings: &mut Vec<CString>) -> rike_sa_down {
    #[allow(unreachable_patterns)]
    let (reason, notify) = match r {
        DownReason::Deleted { by_peer: false } => (rike_down_reason::Deleted, 0),
        DownReason::Deleted { by_peer: true } => (rike_down_reason::DeletedByPeer, 0),
        DownReason::Rekeyed => (rike_down_reason::Rekeyed, 0),
        DownReason::Timeout => (rike_down_reason::Timeout, 0),
        DownReason::HalfOpenTimeout => (rike_down_reason::HalfOpenTimeout, 0),
        DownReason::AuthenticationFailed { by_peer: false } => (rike_down_reason::AuthFailed, 0),
        DownReason::AuthenticationFailed { by_peer: true } => {
            (rike_down_reason::AuthFailedByPeer, 0)
        }
        DownReason::Notify(n) => (rike_down_reason::Notify, n.0),
        DownReason::Expired => (rike_down_reason::Expired, 0),
        DownReason::Error(_) => (rike_down_reason::Error, 0),
        _ => (rike_down_reason::Other, 0),
    };
    #[allow(unreachable_patterns)]
    let text = match r {
        DownReason::Deleted { by_peer: false } => "deleted".to_owned(),
        DownReason::Deleted { by_peer: true } => "deleted by the peer".to_owned(),
        DownReason::Rekeyed => "rekeyed".to_owned(),
        DownReason::Timeout => "the peer did not answer".to_owned(),
        DownReason::HalfOpenTimeout => "half-open SA timed out".to_owned(),
        DownReason::AuthenticationFailed { by_peer: false } => {
            "authentication of the peer failed".to_owned()
        }
        DownReason::AuthenticationFailed { by_peer: true } => {
            "the peer refused our authentication".to_owned()
        }
        DownReason::Notify(n) => format!("the peer answered {n}"),
        DownReason::Expired => "hard lifetime expired".to_owned(),
        DownReason::Error(s) => format!("error: {s}"),
        other => format!("{other:?}"),
    };
    rike_sa_down {
        reason: reason as u32,
        notify_type: notify,
        reserved: 0,
        message: keep_str(strings, &text),
    }
}

fn keep_str(strings: &mut Vec<CString>, s: &str) -> *const c_char {
    let c = CString::new(s.replace('\0', " ")).unwrap_or_default();
    let p = c.as_ptr();
    strings.push(c);
    p
}

fn identity_of(
    id: &Identity,
    strings: &mut Vec<CString>,
    bytes: &mut Vec<Vec<u8>>,
) -> rike_identity {
    let data = id.data();
    let view = rike_bytes::of(&data);
    bytes.push(data);
    rike_identity {
        id_type: id.id_type().0,
        reserved: [0; 7],
        data: view,
        text: keep_str(strings, &id.to_string()),
    }
}

fn child_of(
    c: &ChildSaInfo,
    old: u64,
    tcp: bool,
    strings: &mut Vec<CString>,
    ts: &mut Vec<Vec<rike_ts>>,
) -> rike_child_sa {
    let l: Vec<rike_ts> = c.local_ts.iter().map(rike_ts::from_engine).collect();
    let r: Vec<rike_ts> = c.remote_ts.iter().map(rike_ts::from_engine).collect();
    let (lp, ll, rp, rl) = (l.as_ptr(), l.len(), r.as_ptr(), r.len());
    ts.push(l);
    ts.push(r);
    rike_child_sa {
        name: keep_str(strings, &c.name),
        old_child: old,
        protocol: c.protocol,
        mode: match c.mode {
            IpsecMode::Tunnel => 1,
            IpsecMode::Transport => 2,
        },
        encap: if tcp { 2 } else { u8::from(c.encap) },
        esn: u8::from(c.esn),
        spi_in: c.spi_in,
        spi_out: c.spi_out,
        encr_id: c.encr.0,
        key_bits: c.key_bits.unwrap_or(0),
        integ_id: c.integ.map_or(0, |i| i.0),
        ke_method: c.pfs.map_or(0, |k| k.0),
        reserved: 0,
        local: rike_addr::from_socket(c.local),
        remote: rike_addr::from_socket(c.remote),
        local_ts: if ll == 0 { std::ptr::null() } else { lp },
        local_ts_len: ll,
        remote_ts: if rl == 0 { std::ptr::null() } else { rp },
        remote_ts_len: rl,
        encr_key_in: rike_bytes::of(c.encr_key_in.expose()),
        encr_key_out: rike_bytes::of(c.encr_key_out.expose()),
        integ_key_in: rike_bytes::of(c.integ_key_in.expose()),
        integ_key_out: rike_bytes::of(c.integ_key_out.expose()),
        rekey_ms: c.rekey_ms.unwrap_or(0),
        lifetime_ms: c.lifetime_ms.unwrap_or(0),
    }
}

/// The C view of `event`, and the storage it points into (besides the
/// event itself).
fn describe(
    ep: &Endpoint,
    streams: &HashMap<SocketAddr, Stream>,
    event: Event,
) -> (rike_event, Held) {
    let mut strings = Vec::new();
    let mut ts = Vec::new();
    let mut bytes = Vec::new();
    let mut addrs: Vec<Vec<rike_addr>> = Vec::new();
    // SAFETY: every member of the union is plain data for which all-zero
    // bytes are valid (integers, arrays, NULL pointers).
    let mut c: rike_event = unsafe { std::mem::zeroed() };
    c.struct_size = EVENT_V1;
    #[allow(unreachable_patterns)]
    match &event {
        Event::IkeSaUp {
            sa,
            peer,
            initiator,
            local,
            remote,
            local_id,
            remote_id,
            spi_i,
            spi_r,
            algorithms,
        } => {
            c.kind = rike_event_type::IkeSaUp as u32;
            c.ike_sa = sa.0;
            c.u.ike_up = rike_ike_sa_up {
                peer: keep_str(&mut strings, peer),
                initiator: u8::from(*initiator),
                reserved: [0; 7],
                local: rike_addr::from_socket(*local),
                remote: rike_addr::from_socket(*remote),
                local_id: identity_of(local_id, &mut strings, &mut bytes),
                remote_id: identity_of(remote_id, &mut strings, &mut bytes),
                spi_i: *spi_i,
                spi_r: *spi_r,
                algorithms: keep_str(&mut strings, algorithms),
            };
        }
        Event::IkeSaDown { sa, reason } => {
            c.kind = rike_event_type::IkeSaDown as u32;
            c.ike_sa = sa.0;
            c.u.down = down_of(reason, &mut strings);
        }
        Event::IkeSaRekeyed { old, new } => {
            c.kind = rike_event_type::IkeSaRekeyed as u32;
            c.ike_sa = new.0;
            let (spi_i, spi_r) = ep.ike_spis(*new).unwrap_or_default();
            c.u.ike_rekeyed = rike_ike_sa_rekeyed {
                old_sa: old.0,
                spi_i,
                spi_r,
            };
        }
        Event::ChildSaUp(info) => {
            c.kind = rike_event_type::ChildSaUp as u32;
            c.ike_sa = info.sa.0;
            c.child_sa = info.child.0;
            let tcp = streams.contains_key(&info.remote);
            c.u.child = child_of(info, 0, tcp, &mut strings, &mut ts);
        }
        Event::ChildSaRekeyed { old, new } => {
            c.kind = rike_event_type::ChildSaRekeyed as u32;
            c.ike_sa = new.sa.0;
            c.child_sa = new.child.0;
            let tcp = streams.contains_key(&new.remote);
            c.u.child = child_of(new, old.0, tcp, &mut strings, &mut ts);
        }
        Event::ChildSaDown {
            sa,
            child,
            spi_in,
            spi_out,
            reason,
        } => {
            c.kind = rike_event_type::ChildSaDown as u32;
            c.ike_sa = sa.0;
            c.child_sa = child.0;
            c.u.child_down = rike_child_sa_down {
                spi_in: *spi_in,
                spi_out: *spi_out,
                down: down_of(reason, &mut strings),
            };
        }
        Event::ChildSaFailed { sa, name, notify } => {
            c.kind = rike_event_type::ChildSaFailed as u32;
            c.ike_sa = sa.0;
            c.u.child_failed = rike_child_sa_failed {
                name: keep_str(&mut strings, name),
                notify_type: notify.0,
            };
        }
        Event::PskRequest {
            request,
            sa,
            peer_id,
        } => {
            c.kind = rike_event_type::PskRequest as u32;
            c.ike_sa = sa.0;
            c.request_id = request.0;
            c.u.psk_request = rike_psk_request {
                peer_id: identity_of(peer_id, &mut strings, &mut bytes),
            };
        }
        Event::PeerAddressChanged { sa, remote } => {
            c.kind = rike_event_type::PeerAddressChanged as u32;
            c.ike_sa = sa.0;
            c.u.address_changed = rike_address_changed {
                remote: rike_addr::from_socket(*remote),
            };
        }
        Event::IkeKeys(k) => {
            c.kind = rike_event_type::IkeKeys as u32;
            c.ike_sa = k.sa.0;
            c.u.ike_keys = rike_ike_keys {
                spi_i: k.spi_i,
                spi_r: k.spi_r,
                encr_id: k.encr.0 .0,
                key_bits: k.encr.1.unwrap_or(0),
                integ_id: k.integ.map_or(0, |i| i.0),
                reserved: 0,
                sk_ei: rike_bytes::of(k.sk_ei.expose()),
                sk_er: rike_bytes::of(k.sk_er.expose()),
                sk_ai: rike_bytes::of(k.sk_ai.expose()),
                sk_ar: rike_bytes::of(k.sk_ar.expose()),
            };
        }
        Event::SignRequest {
            request,
            sa,
            scheme,
            der,
            data,
        } => {
            c.kind = rike_event_type::SignRequest as u32;
            c.ike_sa = sa.0;
            c.request_id = request.0;
            c.u.sign_request = rike_sign_request {
                scheme: scheme_to_c(*scheme),
                der: u8::from(*der),
                reserved: [0; 3],
                data: rike_bytes::of(data),
            };
        }
        Event::HalfOpenRequest {
            request,
            local,
            remote,
            spi_i,
        } => {
            c.kind = rike_event_type::HalfOpenRequest as u32;
            c.request_id = request.0;
            c.u.half_open = rike_half_open_request {
                local: rike_addr::from_socket(*local),
                remote: rike_addr::from_socket(*remote),
                spi_i: *spi_i,
            };
        }
        Event::Ikev1Keys(k) => {
            c.kind = rike_event_type::Ikev1Keys as u32;
            c.ike_sa = k.sa.0;
            c.u.ikev1_keys = rike_ikev1_keys {
                cky_i: k.cky_i,
                cky_r: k.cky_r,
                encr_alg: k.encr,
                key_bits: k.key_bits.unwrap_or(0),
                hash_alg: k.hash,
                reserved: 0,
                key: rike_bytes::of(k.key.expose()),
                skeyid_a: rike_bytes::of(k.skeyid_a.expose()),
            };
        }
        Event::XauthRequest { request, sa } => {
            c.kind = rike_event_type::XauthRequest as u32;
            c.ike_sa = sa.0;
            c.request_id = request.0;
        }
        Event::XauthVerify {
            request,
            sa,
            user,
            password,
        } => {
            c.kind = rike_event_type::XauthVerify as u32;
            c.ike_sa = sa.0;
            c.request_id = request.0;
            c.u.xauth_verify = rike_xauth_verify {
                user: keep_str(&mut strings, user),
                password: rike_bytes::of(password.expose()),
            };
        }
        Event::ModeConfig {
            sa,
            assigned_by_us,
            address,
            dns,
        } => {
            c.kind = rike_event_type::ModeConfig as u32;
            c.ike_sa = sa.0;
            let ip = |a: &std::net::IpAddr| rike_addr::from_socket(SocketAddr::new(*a, 0));
            let d: Vec<rike_addr> = dns.iter().map(ip).collect();
            let (dp, dl) = (d.as_ptr(), d.len());
            addrs.push(d);
            c.u.mode_config = rike_mode_config {
                assigned_by_us: u8::from(*assigned_by_us),
                reserved: [0; 7],
                address: address.as_ref().map(ip).unwrap_or_default(),
                reserved2: 0,
                dns: if dl == 0 { std::ptr::null() } else { dp },
                dns_len: dl,
            };
        }
        _ => c.kind = rike_event_type::Other as u32,
    }
    (
        c,
        Held {
            event,
            _strings: strings,
            _ts: ts,
            _bytes: bytes,
            _addrs: addrs,
        },
    )
}

/// The next event, written to `*out` (set `out->struct_size` first).
/// `RIKE_RESULT_DONE` when none is queued.
///
/// Pointers in the event (strings, traffic selectors, identities, keys,
/// data to sign) are owned by the engine and stay valid until the next
/// call that takes the engine as non-const (`rike_engine_*` with a
/// `rike_engine *`), or its free; the const calls
/// (`rike_engine_event_keys`, `rike_engine_poll_timeout`,
/// `rike_engine_stats`, `rike_engine_sas`) keep them. Secrets are zeroed
/// when that happens: copy what you need to keep.
///
/// # Safety
/// `e` from `rike_engine_new`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_poll_event(
    e: *mut rike_engine,
    out: *mut rike_event,
) -> rike_result {
    nonnull!(out);
    let size = match out_size(out.cast(), EVENT_V1, "rike_event") {
        Ok(n) => n,
        Err(r) => return r,
    };
    run(e, true, |inner| {
        let Some(ev) = inner.ep.poll_event() else {
            return rike_result::Done;
        };
        let (mut c, held) = describe(&inner.ep, &inner.streams, ev);
        c.struct_size = size;
        write_sized(out, &c, size);
        inner.current = Some(held);
        rike_result::Ok
    })
}

/// Writes the keys of the last polled event as text in `format` (a
/// `rike_key_format`), each line ending in '\n', NUL-terminated, into
/// `(buf, cap)`: an IKE_KEYS event as an `ikev2_decryption_table` line,
/// an IKEV1_KEYS event as an `ikev1_decryption_table` line (RFC 2409
/// App. B keys), a CHILD_SA_UP / _REKEYED event (IKEv2 or IKEv1 Quick
/// Mode) as two `esp_sa` lines; each as rike key log lines. The length without the NUL goes to `*len_out` (on
/// `RIKE_RESULT_INSUFFICIENT_SIZE` the size needed; 1024 bytes are
/// enough). `RIKE_RESULT_WRONG_STATE` when the last event has no keys in
/// that format (or its data has ended); `RIKE_RESULT_UNSUPPORTED` when
/// Wireshark has no name for the algorithm. Keeps the event's data.
///
/// # Safety
/// `e` from `rike_engine_new`; `buf` valid for `cap` bytes; `len_out`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_event_keys(
    e: *const rike_engine,
    format: u32,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(len_out);
    run(e, false, |inner| {
        let Some(held) = inner.current.as_ref() else {
            return fail(rike_result::WrongState, "no event is current");
        };
        let wrong = || {
            fail(
                rike_result::WrongState,
                "the event has no keys in that format",
            )
        };
        let unsupported = |x: crate::engine::ExportError| fail(rike_result::Unsupported, x);
        let text = match (&held.event, format) {
            (Event::IkeKeys(k), 1) => match ikev2_table_line(k) {
                Ok(l) => l + "\n",
                Err(x) => return unsupported(x),
            },
            (Event::IkeKeys(k), 3) => k.key_log_line() + "\n",
            (Event::Ikev1Keys(k), 4) => ikev1_table_line(k) + "\n",
            (Event::Ikev1Keys(k), 3) => k.key_log_line() + "\n",
            (Event::ChildSaUp(c) | Event::ChildSaRekeyed { new: c, .. }, 2) => {
                match esp_sa_lines(c) {
                    Ok(l) => l.join("\n") + "\n",
                    Err(x) => return unsupported(x),
                }
            }
            (Event::ChildSaUp(c) | Event::ChildSaRekeyed { new: c, .. }, 3) => {
                esp_key_log_lines(c).join("\n") + "\n"
            }
            (_, 1..=4) => return wrong(),
            _ => return fail(rike_result::InvalidParameter, "unknown rike_key_format"),
        };
        copy_text(&text, buf, cap, len_out)
    })
}

/// When to call `rike_engine_handle_timeout` next, in the caller's
/// milliseconds, written to `*deadline_ms_out`. `RIKE_RESULT_DONE` (and
/// nothing written) when no timer is armed. Call it after draining the
/// other outputs. Keeps the last event's data.
///
/// # Safety
/// `e` from `rike_engine_new`; `deadline_ms_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_poll_timeout(
    e: *const rike_engine,
    deadline_ms_out: *mut u64,
) -> rike_result {
    nonnull!(deadline_ms_out);
    run(e, false, |inner| match inner.ep.poll_timeout() {
        Some(t) => {
            *deadline_ms_out = t;
            rike_result::Ok
        }
        None => rike_result::Done,
    })
}

/// The engine's counters, written to `*out` (set `out->struct_size`
/// first). Keeps the last event's data.
///
/// # Safety
/// `e` from `rike_engine_new`; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_stats(
    e: *const rike_engine,
    out: *mut rike_stats,
) -> rike_result {
    nonnull!(out);
    let size = match out_size(out.cast(), STATS_V1, "rike_stats") {
        Ok(n) => n,
        Err(r) => return r,
    };
    run(e, false, |inner| {
        let s = inner.ep.stats();
        let v = rike_stats {
            struct_size: size,
            reserved: 0,
            received: s.received,
            dropped: s.dropped,
            cookies_sent: s.cookies_sent,
            half_open_refused: s.half_open_refused,
            init_retransmits: s.init_retransmits,
            ike_sas: inner.ep.sa_count() as u64,
            half_open: inner.ep.half_open_count() as u64,
        };
        write_sized(out, &v, size);
        rike_result::Ok
    })
}

/// The handles of the IKE SAs the engine holds (established, half-open,
/// being deleted), in creation order, written to `buf[0..cap]`; their
/// number goes to `*len_out` (on `RIKE_RESULT_INSUFFICIENT_SIZE`, the
/// number needed). Keeps the last event's data.
///
/// # Safety
/// `e` from `rike_engine_new`; `buf` valid for `cap` values; `len_out`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_sas(
    e: *const rike_engine,
    buf: *mut u64,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(len_out);
    run(e, false, |inner| {
        let v = inner.ep.sas();
        if v.len() > cap || (buf.is_null() && !v.is_empty()) {
            *len_out = v.len();
            return fail(rike_result::InsufficientSize, "handle buffer too small");
        }
        for (i, h) in v.iter().enumerate() {
            *buf.add(i) = h.0;
        }
        *len_out = v.len();
        rike_result::Ok
    })
}

/// Whether IKE SA `sa` is established (false for unknown handles and a
/// NULL or busy engine).
///
/// # Safety
/// `e` from `rike_engine_new` or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_engine_is_established(e: *const rike_engine, sa: u64) -> bool {
    let mut yes = false;
    let r = run(e, false, |inner| {
        yes = inner.ep.is_established(SaHandle(sa));
        rike_result::Ok
    });
    r == rike_result::Ok && yes
}
