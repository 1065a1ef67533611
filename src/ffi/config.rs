//! Engine configuration from C: builders for the endpoint, its peers and
//! their Child SAs; the finished configuration is immutable and may be
//! shared by any number of engines on any threads.
//!
//! Builders follow one rule: `_new` makes one, setters change it, and the
//! call that hands it on (`rike_peer_builder_add_child`,
//! `rike_config_builder_add_peer`, `rike_config_builder_build`) consumes
//! it whatever its result. A builder that is never handed on is freed with
//! its `_free`.

use std::ffi::c_char;
use std::sync::Arc;

use super::types::{bytes_arg, fail, rike_addr, rike_ts, socket_arg, str_arg};
use super::{guard, nonnull, rike_result};
use crate::crypto::{load_private_key, Secret, SignatureScheme, Signer};
use crate::engine::{
    ChildConfig, Config, DpdAction, Identity, IpsecMode, LocalAuth, ModeConfigRole, PeerConfig,
    ProposalSpec, RemoteAuth, TrafficSelector, V1Options, XauthRole,
};
use crate::wire::registry::{EncrId, EsnId, IdTypeV2, IntegId, KeMethod, PrfId};

/// Signature schemes (hashing is part of the scheme), for external keys
/// (`rike_peer_builder_set_external_key`) and sign requests.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_sign_scheme {
    /// RSASSA-PKCS1-v1_5 with SHA-1 (IKEv2 auth method 1).
    RsaPkcs1Sha1 = 1,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7427).
    RsaPkcs1Sha256 = 2,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RsaPkcs1Sha384 = 3,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RsaPkcs1Sha512 = 4,
    /// RSASSA-PSS with SHA-256, MGF1 SHA-256, 32-byte salt.
    RsaPssSha256 = 5,
    /// RSASSA-PSS with SHA-384.
    RsaPssSha384 = 6,
    /// RSASSA-PSS with SHA-512.
    RsaPssSha512 = 7,
    /// ECDSA P-256 with SHA-256.
    EcdsaP256Sha256 = 8,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384Sha384 = 9,
    /// ECDSA P-521 with SHA-512.
    EcdsaP521Sha512 = 10,
    /// Ed25519 (RFC 8420).
    Ed25519 = 11,
}

pub(crate) fn scheme_to_c(s: SignatureScheme) -> u32 {
    use SignatureScheme as S;
    (match s {
        S::RsaPkcs1Sha1 => rike_sign_scheme::RsaPkcs1Sha1,
        S::RsaPkcs1Sha256 => rike_sign_scheme::RsaPkcs1Sha256,
        S::RsaPkcs1Sha384 => rike_sign_scheme::RsaPkcs1Sha384,
        S::RsaPkcs1Sha512 => rike_sign_scheme::RsaPkcs1Sha512,
        S::RsaPssSha256 => rike_sign_scheme::RsaPssSha256,
        S::RsaPssSha384 => rike_sign_scheme::RsaPssSha384,
        S::RsaPssSha512 => rike_sign_scheme::RsaPssSha512,
        S::EcdsaP256Sha256 => rike_sign_scheme::EcdsaP256Sha256,
        S::EcdsaP384Sha384 => rike_sign_scheme::EcdsaP384Sha384,
        S::EcdsaP521Sha512 => rike_sign_scheme::EcdsaP521Sha512,
        S::Ed25519 => rike_sign_scheme::Ed25519,
        _ => return 0,
    }) as u32
}

pub(crate) fn scheme_from_c(v: u32) -> Option<SignatureScheme> {
    use SignatureScheme as S;
    Some(match v {
        1 => S::RsaPkcs1Sha1,
        2 => S::RsaPkcs1Sha256,
        3 => S::RsaPkcs1Sha384,
        4 => S::RsaPkcs1Sha512,
        5 => S::RsaPssSha256,
        6 => S::RsaPssSha384,
        7 => S::RsaPssSha512,
        8 => S::EcdsaP256Sha256,
        9 => S::EcdsaP384Sha384,
        10 => S::EcdsaP521Sha512,
        11 => S::Ed25519,
        _ => return None,
    })
}

/// IPsec mode of a Child SA.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_ipsec_mode {
    /// Tunnel mode (the default).
    Tunnel = 1,
    /// Transport mode (N(USE_TRANSPORT_MODE)).
    Transport = 2,
}

/// One transform of a proposal given as IANA numbers ("Transform Type
/// Values" and the per-type registries of RFC 7296 §3.3.2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct rike_transform {
    /// Transform type: 1 ENCR, 2 PRF, 3 INTEG, 4 KE, 5 ESN (sequence
    /// numbers). 6–12 (ADDKE1–7, RFC 9370) give `RIKE_RESULT_UNSUPPORTED`:
    /// the engine has no IKE_INTERMEDIATE exchange.
    pub transform_type: u8,
    /// Zero.
    pub reserved: u8,
    /// Transform ID, e.g. 20 for ENCR_AES_GCM_16, 31 for Curve25519.
    pub id: u16,
    /// Key length in bits for algorithms with a Key Length attribute
    /// (AES), else 0.
    pub key_bits: u16,
    /// Zero.
    pub reserved2: u16,
}

/// Limits protecting a responder (RFC 7296 §2.6, RFC 8019). Fill it with
/// `rike_limits_default`, change what you need, then pass it to
/// `rike_config_builder_set_limits`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_limits {
    /// Set to `sizeof(rike_limits)` (the structure may grow).
    pub struct_size: u32,
    /// Half-open IKE SAs beyond which an IKE_SA_INIT without a valid
    /// COOKIE is answered with a COOKIE and no state.
    pub cookie_threshold: u32,
    /// Half-open IKE SAs beyond which IKE_SA_INIT requests are dropped.
    pub half_open_max: u32,
    /// IKE SAs at most.
    pub ike_sa_max: u32,
    /// A half-open SA (and a request waiting for admission) is dropped
    /// after this many milliseconds.
    pub half_open_timeout_ms: u64,
    /// Bytes of RFC 7383 fragments buffered per SA at most.
    pub fragment_bytes_max: u32,
    /// Zero.
    pub reserved: u32,
}

const LIMITS_V1: u32 = std::mem::size_of::<rike_limits>() as u32;

/// Writes the default limits (with `struct_size` set) to `*out`.
///
/// # Safety
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_limits_default(out: *mut rike_limits) -> rike_result {
    nonnull!(out);
    let d = crate::engine::Limits::default();
    let sat = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    *out = rike_limits {
        struct_size: LIMITS_V1,
        cookie_threshold: sat(d.cookie_threshold),
        half_open_max: sat(d.half_open_max),
        ike_sa_max: sat(d.ike_sa_max),
        half_open_timeout_ms: d.half_open_timeout_ms,
        fragment_bytes_max: sat(d.fragment_bytes_max),
        reserved: 0,
    };
    rike_result::Ok
}

/// Flag of `rike_peer_builder_set_options`: do not offer or accept RFC
/// 7383 fragmentation.
pub const RIKE_PEER_NO_FRAGMENTATION: u32 = 1;
/// Flag of `rike_peer_builder_set_options`: do not send INITIAL_CONTACT.
pub const RIKE_PEER_NO_INITIAL_CONTACT: u32 = 2;
/// Flag of `rike_peer_builder_set_options`: use UDP port 4500 (with the
/// non-ESP marker) from the first message, as when a NAT is detected.
pub const RIKE_PEER_FORCE_ENCAP: u32 = 4;

/// What an IKEv1 peer does when Dead Peer Detection (RFC 3706) finds it
/// gone (`rike_ikev1_options::dpd_action`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_dpd_action {
    /// Remove the ISAKMP SA and its IPsec SAs (the default).
    Clear = 1,
    /// Remove them, then initiate again (when the peer has a remote
    /// address).
    Restart = 2,
}

/// IKEv1 options of a peer (RFC 2409; RFC 2408 for ISAKMP). Fill it with
/// `rike_ikev1_options_default`, change what you need, then pass it to
/// `rike_peer_builder_set_ikev1`. Booleans are 0 or 1.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_ikev1_options {
    /// Set to `sizeof(rike_ikev1_options)` (the structure may grow).
    pub struct_size: u32,
    /// 1: Aggressive Mode (RFC 2409 §5) instead of Main Mode when
    /// initiating, and accepted as responder. It exposes the identities
    /// and, with pre-shared keys, allows offline guessing of the key.
    /// Default 0.
    pub aggressive: u8,
    /// 1: set the commit bit in Quick Mode requests (RFC 2408 §3.1, RFC
    /// 2409 §5.5); the responder confirms with CONNECTED before the SA is
    /// used. Default 0.
    pub commit: u8,
    /// 1: offer and accept NAT traversal (RFC 3947). Default 1.
    pub nat_traversal: u8,
    /// Zero.
    pub reserved: u8,
    /// A `rike_dpd_action`; the DPD delay is the `dpd_ms` of
    /// `rike_peer_builder_set_timers`. Default `RIKE_DPD_ACTION_CLEAR`.
    pub dpd_action: u32,
    /// Phase 1 (ISAKMP SA) lifetime we propose and accept at most, in
    /// seconds (RFC 2409 App. A, Life Duration); at least 1. Default
    /// 28800.
    pub ike_lifetime_s: u32,
    /// Zero.
    pub reserved2: u32,
    /// Phase 2 lifetime in kilobytes we propose and accept at most (RFC
    /// 2407 §4.5); 0 for none (the default).
    pub child_lifetime_kb: u64,
}

const IKEV1_OPTIONS_V1: u32 = std::mem::size_of::<rike_ikev1_options>() as u32;

/// Writes the default IKEv1 options (with `struct_size` set) to `*out`:
/// Main Mode (RFC 2409 §5), no commit bit, NAT traversal (RFC 3947), DPD
/// action clear (RFC 3706), phase 1 lifetime 28800 s, no phase 2 lifetime
/// in kilobytes.
///
/// # Safety
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_ikev1_options_default(out: *mut rike_ikev1_options) -> rike_result {
    nonnull!(out);
    guard!(rike_result::Panic, {
        let d = V1Options::default();
        *out = rike_ikev1_options {
            struct_size: IKEV1_OPTIONS_V1,
            aggressive: u8::from(d.aggressive),
            commit: u8::from(d.commit),
            nat_traversal: u8::from(d.nat_traversal),
            reserved: 0,
            dpd_action: match d.dpd_action {
                DpdAction::Clear => rike_dpd_action::Clear,
                DpdAction::Restart => rike_dpd_action::Restart,
            } as u32,
            ike_lifetime_s: d.ike_lifetime_s,
            reserved2: 0,
            child_lifetime_kb: d.child_lifetime_kb.unwrap_or(0),
        };
        rike_result::Ok
    })
}

/// The engine's options from C ones, checked.
fn v1_options_from_c(o: &rike_ikev1_options) -> Result<V1Options, rike_result> {
    let bad = |why: &str| fail(rike_result::InvalidParameter, why);
    if o.struct_size < IKEV1_OPTIONS_V1 {
        return Err(bad(
            "rike_ikev1_options.struct_size is smaller than this version's structure",
        ));
    }
    if o.aggressive > 1 || o.commit > 1 || o.nat_traversal > 1 {
        return Err(bad(
            "rike_ikev1_options: aggressive, commit and nat_traversal are 0 or 1",
        ));
    }
    if o.reserved != 0 || o.reserved2 != 0 {
        return Err(bad("rike_ikev1_options: reserved fields must be zero"));
    }
    let dpd_action = match o.dpd_action {
        1 => DpdAction::Clear,
        2 => DpdAction::Restart,
        _ => return Err(bad("rike_ikev1_options: unknown dpd_action")),
    };
    if o.ike_lifetime_s == 0 {
        return Err(bad("rike_ikev1_options: ike_lifetime_s must be at least 1"));
    }
    Ok(V1Options {
        aggressive: o.aggressive == 1,
        ike_lifetime_s: o.ike_lifetime_s,
        child_lifetime_kb: (o.child_lifetime_kb > 0).then_some(o.child_lifetime_kb),
        dpd_action,
        commit: o.commit == 1,
        nat_traversal: o.nat_traversal == 1,
        ..V1Options::default()
    })
}

/// A finished configuration: immutable, shareable by any number of
/// engines and threads. Under the hood a `Box<Arc<Config>>`; engines keep
/// their own reference, so it may be freed while they run.
pub struct rike_config {
    pub(crate) cfg: Arc<Config>,
}

/// Builds a `rike_config`. Under the hood a `Box`; one thread at a time.
pub struct rike_config_builder {
    cfg: Config,
}

/// Builds one peer. Under the hood a `Box`; one thread at a time.
pub struct rike_peer_builder {
    name: String,
    remote: Option<std::net::SocketAddr>,
    local_id: Option<Identity>,
    remote_id: Option<Identity>,
    psk: Option<Secret>,
    ask_psk: bool,
    key: Option<Arc<dyn Signer>>,
    external: Option<Vec<SignatureScheme>>,
    chain: Vec<Vec<u8>>,
    cas: Vec<Vec<u8>>,
    ike: Vec<ProposalSpec>,
    children: Vec<ChildConfig>,
    ike_rekey_ms: Option<u64>,
    dpd_ms: Option<u64>,
    flags: u32,
    ikev1: Option<V1Options>,
    xauth: Option<XauthRole>,
    mode_config: Option<ModeConfigRole>,
}

/// Builds one Child SA configuration. Under the hood a `Box`.
pub struct rike_child_builder {
    c: ChildConfig,
}

/// The IKE proposals a peer gets when none are added.
pub const DEFAULT_IKE: &str = "aes256gcm16-prfsha256-x25519-ecp256-modp2048,\
aes256-sha256-x25519-ecp256-modp2048";
/// The ESP proposals a Child SA gets when none are added.
pub const DEFAULT_ESP: &str = "aes256gcm16,aes256-sha256";

/// Runs a builder setter: NULL check, panic boundary.
macro_rules! setter {
    ($b:expr, |$v:ident| $body:block) => {{
        nonnull!($b);
        let $v = &mut *$b;
        guard!(rike_result::Panic, $body)
    }};
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

// ------------------------------------------------------------ config

/// Starts an endpoint configuration with the defaults: retransmission
/// after 1 s ×1.8 per try, 5 tries; `rike_limits_default`; fragments of
/// at most 1280 bytes; NAT keepalives every 20 s; no admission requests.
/// Writes it to `*out`; free it with `rike_config_builder_free` unless
/// `rike_config_builder_build` consumes it.
///
/// # Safety
/// `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_new(
    out: *mut *mut rike_config_builder,
) -> rike_result {
    nonnull!(out);
    guard!(rike_result::Panic, {
        *out = Box::into_raw(Box::new(rike_config_builder {
            cfg: Config::with_peers(Vec::new()),
        }));
        rike_result::Ok
    })
}

/// Frees a configuration builder that was not built; NULL is ignored.
///
/// # Safety
/// `b` from `rike_config_builder_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_free(b: *mut rike_config_builder) {
    if !b.is_null() {
        guard!((), { drop(Box::from_raw(b)) });
    }
}

/// Adds a peer. Consumes `peer` whatever the result. Fails with
/// `RIKE_RESULT_INVALID_PARAMETER` when the peer has no local identity,
/// no credential of its own (PSK, private key or external key), no way to
/// authenticate the other side (PSK, PSK on request or trusted CAs), or a
/// name already used (see `rike_last_error`).
///
/// # Safety
/// `b` from `rike_config_builder_new`; `peer` from `rike_peer_builder_new`
/// (not used afterwards).
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_add_peer(
    b: *mut rike_config_builder,
    peer: *mut rike_peer_builder,
) -> rike_result {
    if peer.is_null() {
        return rike_result::NullParameter;
    }
    let p = guard!(None, { Some(*Box::from_raw(peer)) });
    let Some(p) = p else {
        return rike_result::Panic;
    };
    setter!(b, |b| {
        if b.cfg.peers.iter().any(|q| q.name == p.name) {
            return fail(
                rike_result::InvalidParameter,
                format!("a peer named '{}' was already added", p.name),
            );
        }
        let pc = tri!(finish_peer(p));
        b.cfg.peers.push(pc);
        rike_result::Ok
    })
}

fn finish_peer(p: rike_peer_builder) -> Result<PeerConfig, rike_result> {
    let bad = |why: String| fail(rike_result::InvalidParameter, why);
    let name = p.name;
    let local_id = p
        .local_id
        .ok_or_else(|| bad(format!("peer '{name}': no local identity")))?;
    let local_auth = match (&p.key, &p.external, &p.psk) {
        (Some(k), _, _) => LocalAuth::Signature {
            key: k.clone(),
            chain: p.chain.clone(),
        },
        (None, Some(s), _) => LocalAuth::External {
            schemes: s.clone(),
            chain: p.chain.clone(),
        },
        (None, None, Some(psk)) => LocalAuth::Psk(psk.clone()),
        (None, None, None) => {
            return Err(bad(format!(
                "peer '{name}': no credential (PSK, private key or external key)"
            )))
        }
    };
    let remote_auth = if !p.cas.is_empty() {
        RemoteAuth::Certificate { cas: p.cas }
    } else if p.ask_psk {
        RemoteAuth::AskPsk
    } else if let Some(psk) = p.psk {
        RemoteAuth::Psk(psk)
    } else {
        return Err(bad(format!(
            "peer '{name}': no way to authenticate it (PSK, PSK on request or a trusted CA)"
        )));
    };
    let mut pc = PeerConfig::new(&name, local_id, local_auth, remote_auth);
    pc.remote = p.remote;
    pc.remote_id = p.remote_id;
    pc.ike = if p.ike.is_empty() {
        ProposalSpec::parse_list(DEFAULT_IKE, true).map_err(|e| bad(e.to_string()))?
    } else {
        p.ike
    };
    pc.children = p.children;
    pc.ike_rekey_ms = p.ike_rekey_ms;
    pc.dpd_ms = p.dpd_ms;
    pc.fragmentation = p.flags & RIKE_PEER_NO_FRAGMENTATION == 0;
    pc.initial_contact = p.flags & RIKE_PEER_NO_INITIAL_CONTACT == 0;
    pc.force_encap = p.flags & RIKE_PEER_FORCE_ENCAP != 0;
    pc.ikev1 = p.ikev1;
    if p.xauth.is_some() || p.mode_config.is_some() {
        let Some(o) = pc.ikev1.as_mut() else {
            return Err(bad(format!(
                "peer '{name}': XAUTH and Mode-Config need IKEv1 (rike_peer_builder_set_ikev1)"
            )));
        };
        o.xauth = p.xauth;
        o.mode_config = p.mode_config;
    }
    Ok(pc)
}

/// Sets the responder limits from `*limits` (its `struct_size` must be at
/// least the size of this version's structure).
///
/// # Safety
/// `b` from `rike_config_builder_new`; `limits` valid.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_set_limits(
    b: *mut rike_config_builder,
    limits: *const rike_limits,
) -> rike_result {
    nonnull!(limits);
    let l = *limits;
    setter!(b, |b| {
        if l.struct_size < LIMITS_V1 {
            return fail(
                rike_result::InvalidParameter,
                "rike_limits.struct_size is smaller than this version's structure",
            );
        }
        if l.half_open_max == 0 || l.ike_sa_max == 0 {
            return fail(
                rike_result::InvalidParameter,
                "half_open_max and ike_sa_max must be at least 1",
            );
        }
        let lim = &mut b.cfg.limits;
        lim.cookie_threshold = l.cookie_threshold as usize;
        lim.half_open_max = l.half_open_max as usize;
        lim.ike_sa_max = l.ike_sa_max as usize;
        lim.half_open_timeout_ms = l.half_open_timeout_ms;
        lim.fragment_bytes_max = l.fragment_bytes_max as usize;
        rike_result::Ok
    })
}

/// Sets retransmission of requests (RFC 7296 §2.1): first after `base_ms`,
/// each next wait multiplied by `factor_tenths / 10` (at least 10), `tries`
/// resends before the SA is given up.
///
/// # Safety
/// `b` from `rike_config_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_set_retransmit(
    b: *mut rike_config_builder,
    base_ms: u64,
    factor_tenths: u32,
    tries: u32,
) -> rike_result {
    setter!(b, |b| {
        if base_ms == 0 || factor_tenths < 10 || tries > 100 {
            return fail(
                rike_result::InvalidParameter,
                "retransmit: base_ms > 0, factor_tenths >= 10, tries <= 100",
            );
        }
        b.cfg.retransmit.base_ms = base_ms;
        b.cfg.retransmit.factor_tenths = u64::from(factor_tenths);
        b.cfg.retransmit.tries = tries;
        rike_result::Ok
    })
}

/// Sets the largest IKE datagram before RFC 7383 fragmentation (IP and
/// UDP headers included; 576 to 65535).
///
/// # Safety
/// `b` from `rike_config_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_set_fragment_mtu(
    b: *mut rike_config_builder,
    mtu: u32,
) -> rike_result {
    setter!(b, |b| {
        if !(576..=65535).contains(&mtu) {
            return fail(rike_result::InvalidParameter, "mtu must be 576 to 65535");
        }
        b.cfg.fragment_mtu = mtu as usize;
        rike_result::Ok
    })
}

/// Sets the NAT keepalive interval (RFC 3948 §4) used behind a NAT; 0
/// turns keepalives off.
///
/// # Safety
/// `b` from `rike_config_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_set_nat_keepalive(
    b: *mut rike_config_builder,
    interval_ms: u64,
) -> rike_result {
    setter!(b, |b| {
        b.cfg.nat_keepalive_ms = (interval_ms > 0).then_some(interval_ms);
        rike_result::Ok
    })
}

/// When `ask` is true, a new IKE_SA_INIT request that passed the limits
/// and the cookie check gets no state until the application answers a
/// `RIKE_EVENT_TYPE_HALF_OPEN_REQUEST` with `rike_engine_admit`.
///
/// # Safety
/// `b` from `rike_config_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_set_ask_admission(
    b: *mut rike_config_builder,
    ask: bool,
) -> rike_result {
    setter!(b, |b| {
        b.cfg.ask_admission = ask;
        rike_result::Ok
    })
}

/// Finishes the configuration and writes it to `*out`; free it with
/// `rike_config_free`. Consumes `b` whatever the result (unless `b` is
/// NULL). Fails with `RIKE_RESULT_INVALID_PARAMETER` when no peer was
/// added.
///
/// # Safety
/// `b` from `rike_config_builder_new`, not used afterwards; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_config_builder_build(
    b: *mut rike_config_builder,
    out: *mut *const rike_config,
) -> rike_result {
    nonnull!(b);
    let b = guard!(None, { Some(*Box::from_raw(b)) });
    let Some(b) = b else {
        return rike_result::Panic;
    };
    nonnull!(out);
    guard!(rike_result::Panic, {
        if b.cfg.peers.is_empty() {
            return fail(rike_result::InvalidParameter, "no peer was added");
        }
        *out = Box::into_raw(Box::new(rike_config {
            cfg: Arc::new(b.cfg),
        }));
        rike_result::Ok
    })
}

/// Releases a configuration; NULL is ignored. Engines made from it keep
/// working (they hold their own reference).
///
/// # Safety
/// `config` from `rike_config_builder_build`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_config_free(config: *const rike_config) {
    if !config.is_null() {
        guard!((), { drop(Box::from_raw(config.cast_mut())) });
    }
}

/// Number of peers in a configuration (0 for NULL).
///
/// # Safety
/// `config` from `rike_config_builder_build`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_config_peer_count(config: *const rike_config) -> usize {
    if config.is_null() {
        return 0;
    }
    let c = &*config;
    c.cfg.peers.len()
}

// ------------------------------------------------------------ peers

/// Starts a peer named `name` (NUL-terminated UTF-8, used by
/// `rike_engine_initiate` and in events) and writes it to `*out`. Until
/// set otherwise it has no remote address (it only responds), accepts any
/// remote identity, offers the default IKE proposals
/// (aes256gcm16-prfsha256-x25519-ecp256-modp2048,
/// aes256-sha256-x25519-ecp256-modp2048), uses fragmentation and
/// INITIAL_CONTACT, and has no Child SA.
///
/// # Safety
/// `name` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_new(
    name: *const c_char,
    out: *mut *mut rike_peer_builder,
) -> rike_result {
    nonnull!(out);
    let name = tri!(str_arg(name, "name"));
    guard!(rike_result::Panic, {
        if name.is_empty() {
            return fail(rike_result::InvalidParameter, "empty peer name");
        }
        *out = Box::into_raw(Box::new(rike_peer_builder {
            name: name.to_owned(),
            remote: None,
            local_id: None,
            remote_id: None,
            psk: None,
            ask_psk: false,
            key: None,
            external: None,
            chain: Vec::new(),
            cas: Vec::new(),
            ike: Vec::new(),
            children: Vec::new(),
            ike_rekey_ms: None,
            dpd_ms: None,
            flags: 0,
            ikev1: None,
            xauth: None,
            mode_config: None,
        }));
        rike_result::Ok
    })
}

/// Frees a peer builder that was not added; NULL is ignored.
///
/// # Safety
/// `p` from `rike_peer_builder_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_free(p: *mut rike_peer_builder) {
    if !p.is_null() {
        guard!((), { drop(Box::from_raw(p)) });
    }
}

/// Sets the address to send IKE_SA_INIT to when initiating (port 0 means
/// 500). As responder, a peer with a remote address only matches requests
/// from that IP address.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `remote` valid.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_remote(
    p: *mut rike_peer_builder,
    remote: *const rike_addr,
) -> rike_result {
    let mut a = tri!(socket_arg(remote));
    if a.port() == 0 {
        a.set_port(500);
    }
    setter!(p, |p| {
        p.remote = Some(a);
        rike_result::Ok
    })
}

/// Sets our identity from text: an IP address (ID_IPV4_ADDR /
/// ID_IPV6_ADDR), "@name" or a name with dots (ID_FQDN), "user@domain"
/// (ID_RFC822_ADDR), "@#hex" (ID_KEY_ID), "%null" (ID_NULL). Use
/// `rike_peer_builder_set_local_id_raw` for DNs.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_local_id(
    p: *mut rike_peer_builder,
    id: *const c_char,
) -> rike_result {
    let id = tri!(str_arg(id, "id"));
    setter!(p, |p| {
        if id.trim().is_empty() || id.trim() == "%any" {
            return fail(
                rike_result::InvalidParameter,
                "our identity cannot be empty or %any",
            );
        }
        p.local_id = Some(Identity::parse(id));
        rike_result::Ok
    })
}

/// Sets the identity the peer must prove, in the notation of
/// `rike_peer_builder_set_local_id`; "%any" (the default) accepts any
/// authenticated identity.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_remote_id(
    p: *mut rike_peer_builder,
    id: *const c_char,
) -> rike_result {
    let id = tri!(str_arg(id, "id"));
    setter!(p, |p| {
        p.remote_id = match id.trim() {
            "" | "%any" => None,
            s => Some(Identity::parse(s)),
        };
        rike_result::Ok
    })
}

/// Identity from an ID type and its data as on the wire.
unsafe fn raw_identity(id_type: u8, data: *const u8, len: usize) -> Result<Identity, rike_result> {
    let d = bytes_arg(data, len, "data")?;
    if id_type == 0 || len > 4096 {
        return Err(fail(
            rike_result::InvalidParameter,
            "identity type 0 or data over 4096 bytes",
        ));
    }
    Ok(Identity::from_wire(IdTypeV2(id_type), d))
}

/// Sets our identity as an ID type (IANA IKEv2 ID types, e.g. 9 for
/// ID_DER_ASN1_DN) and its data as sent on the wire.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `data` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_local_id_raw(
    p: *mut rike_peer_builder,
    id_type: u8,
    data: *const u8,
    len: usize,
) -> rike_result {
    let id = tri!(raw_identity(id_type, data, len));
    setter!(p, |p| {
        p.local_id = Some(id);
        rike_result::Ok
    })
}

/// Sets the identity the peer must prove as an ID type and its data.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `data` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_remote_id_raw(
    p: *mut rike_peer_builder,
    id_type: u8,
    data: *const u8,
    len: usize,
) -> rike_result {
    let id = tri!(raw_identity(id_type, data, len));
    setter!(p, |p| {
        p.remote_id = Some(id);
        rike_result::Ok
    })
}

/// Sets a pre-shared key (RFC 7296 §2.15), used both ways unless a
/// private key or external key is set for our side, or CAs for theirs.
/// The bytes are copied; rike zeroes its copy when it is freed.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `psk` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_psk(
    p: *mut rike_peer_builder,
    psk: *const u8,
    len: usize,
) -> rike_result {
    let k = tri!(bytes_arg(psk, len, "psk"));
    setter!(p, |p| {
        if k.is_empty() {
            return fail(rike_result::InvalidParameter, "empty pre-shared key");
        }
        p.psk = Some(Secret::from_slice(k));
        rike_result::Ok
    })
}

/// Checks the peer's PSK-based AUTH with a key asked of the application
/// once its identity is known: a `RIKE_EVENT_TYPE_PSK_REQUEST` event,
/// answered with `rike_engine_provide_psk` (responder only). Our own AUTH
/// still needs a credential (`rike_peer_builder_set_psk` or a key).
///
/// # Safety
/// `p` from `rike_peer_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_psk_on_request(
    p: *mut rike_peer_builder,
) -> rike_result {
    setter!(p, |p| {
        p.ask_psk = true;
        rike_result::Ok
    })
}

/// Sets our private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC; or DER),
/// for signature authentication (RSA, ECDSA P-256/384/521, Ed25519).
/// `RIKE_RESULT_CRYPTO` when the key cannot be read (encrypted keys are
/// not supported).
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `key` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_private_key(
    p: *mut rike_peer_builder,
    key: *const u8,
    len: usize,
) -> rike_result {
    let k = tri!(bytes_arg(key, len, "key"));
    setter!(p, |p| {
        match load_private_key(k) {
            Ok(s) => {
                p.key = Some(Arc::from(s));
                p.external = None;
                rike_result::Ok
            }
            Err(e) => fail(rike_result::Crypto, format!("private key: {e}")),
        }
    })
}

/// Our key is held outside rike (an HSM, another process): the engine
/// asks for each signature with a `RIKE_EVENT_TYPE_SIGN_REQUEST` event and
/// waits for `rike_engine_provide_signature`. `schemes` lists the
/// `rike_sign_scheme` values the key can make, preferred first.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `schemes` valid for `n` values.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_external_key(
    p: *mut rike_peer_builder,
    schemes: *const u32,
    n: usize,
) -> rike_result {
    nonnull!(schemes);
    if n == 0 || n > 64 {
        return fail(rike_result::InvalidParameter, "1 to 64 schemes");
    }
    let raw = std::slice::from_raw_parts(schemes, n);
    setter!(p, |p| {
        let mut v = Vec::new();
        for &s in raw {
            match scheme_from_c(s) {
                Some(s) => v.push(s),
                None => {
                    return fail(
                        rike_result::InvalidParameter,
                        format!("unknown signature scheme {s}"),
                    )
                }
            }
        }
        p.external = Some(v);
        p.key = None;
        rike_result::Ok
    })
}

/// Adds certificates to send with our AUTH: PEM (every CERTIFICATE block,
/// in order) or one DER certificate. Add the end-entity certificate
/// first, then intermediates.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `cert` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_certificate(
    p: *mut rike_peer_builder,
    cert: *const u8,
    len: usize,
) -> rike_result {
    let c = tri!(bytes_arg(cert, len, "certificate"));
    setter!(p, |p| {
        let certs = tri!(certificates(c));
        p.chain.extend(certs);
        rike_result::Ok
    })
}

fn certificates(c: &[u8]) -> Result<Vec<Vec<u8>>, rike_result> {
    use crate::crypto::cert;
    let bad = |e: String| fail(rike_result::Crypto, format!("certificate: {e}"));
    let ders = if cert::looks_like_pem(c) {
        cert::pem_certificates(c).map_err(|e| bad(e.to_string()))?
    } else {
        vec![c.to_vec()]
    };
    if ders.is_empty() {
        return Err(bad("no certificate in the input".into()));
    }
    for d in &ders {
        cert::parse_certificate(d).map_err(|e| bad(e.to_string()))?;
    }
    Ok(ders)
}

/// Adds CA certificates (PEM, every CERTIFICATE block; or one DER) the
/// peer's certificate must chain to; the peer then authenticates with a
/// signature and a certificate that vouches for its identity.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `cert` valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_trusted_ca(
    p: *mut rike_peer_builder,
    cert: *const u8,
    len: usize,
) -> rike_result {
    let c = tri!(bytes_arg(cert, len, "certificate"));
    setter!(p, |p| {
        let certs = tri!(certificates(c));
        p.cas.extend(certs);
        rike_result::Ok
    })
}

/// Adds IKE proposals in strongSwan's syntax: proposals separated by
/// commas, each keywords joined by '-' (encryption, integrity, PRF, key
/// exchange; e.g. "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048").
/// `RIKE_RESULT_INVALID_PARAMETER` for an unknown keyword or an
/// incomplete proposal (see `rike_last_error`); nothing is added then.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `proposals` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_ike_proposals(
    p: *mut rike_peer_builder,
    proposals: *const c_char,
) -> rike_result {
    let s = tri!(str_arg(proposals, "proposals"));
    setter!(p, |p| {
        match ProposalSpec::parse_list(s, true) {
            Ok(v) if !v.is_empty() => {
                p.ike.extend(v);
                rike_result::Ok
            }
            Ok(_) => fail(rike_result::InvalidParameter, "no proposal in the string"),
            Err(e) => fail(rike_result::InvalidParameter, format!("IKE proposal: {e}")),
        }
    })
}

/// One proposal from IANA numbers: transforms of each type in order of
/// preference.
unsafe fn proposal_from_ids(
    t: *const rike_transform,
    n: usize,
    ike: bool,
) -> Result<ProposalSpec, rike_result> {
    if t.is_null() {
        return Err(fail(rike_result::NullParameter, "transforms is NULL"));
    }
    let bad = |why: String| fail(rike_result::InvalidParameter, why);
    if n == 0 || n > 256 {
        return Err(bad("1 to 256 transforms".into()));
    }
    let mut p = ProposalSpec::default();
    for x in std::slice::from_raw_parts(t, n) {
        let bits = (x.key_bits != 0).then_some(x.key_bits);
        match x.transform_type {
            1 => p.encr.push((EncrId(x.id), bits)),
            2 if ike => p.prf.push(PrfId(x.id)),
            3 => p.integ.push(IntegId(x.id)),
            4 => p.ke.push(KeMethod(x.id)),
            5 if !ike => p.esn.push(EsnId(x.id)),
            6..=12 => {
                return Err(fail(
                    rike_result::Unsupported,
                    "additional key exchanges (RFC 9370) need IKE_INTERMEDIATE (RFC 9242), \
                     which the engine does not implement",
                ))
            }
            k => {
                return Err(bad(format!(
                    "transform type {k} is not valid in {} proposal",
                    if ike { "an IKE" } else { "an ESP" }
                )))
            }
        }
    }
    if p.encr.is_empty() {
        return Err(bad("no encryption transform".into()));
    }
    if ike && (p.prf.is_empty() || p.ke.is_empty()) {
        return Err(bad("an IKE proposal needs a PRF and a key exchange".into()));
    }
    if !ike && p.esn.is_empty() {
        p.esn.push(EsnId(0));
    }
    Ok(p)
}

/// Adds one IKE proposal given as IANA numbers: `n` transforms (at least
/// an ENCR, a PRF and a KE; INTEG unless the ENCR is an AEAD).
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `transforms` valid for `n` entries.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_ike_proposal(
    p: *mut rike_peer_builder,
    transforms: *const rike_transform,
    n: usize,
) -> rike_result {
    let spec = tri!(proposal_from_ids(transforms, n, true));
    setter!(p, |p| {
        p.ike.push(spec);
        rike_result::Ok
    })
}

/// Sets the IKE SA's timers: rekey `ike_rekey_ms` after it is made, and a
/// liveness check after `dpd_ms` without a message from the peer; 0 turns
/// each off (the default).
///
/// # Safety
/// `p` from `rike_peer_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_timers(
    p: *mut rike_peer_builder,
    ike_rekey_ms: u64,
    dpd_ms: u64,
) -> rike_result {
    setter!(p, |p| {
        p.ike_rekey_ms = (ike_rekey_ms > 0).then_some(ike_rekey_ms);
        p.dpd_ms = (dpd_ms > 0).then_some(dpd_ms);
        rike_result::Ok
    })
}

/// Sets `RIKE_PEER_*` flags (replacing earlier ones).
///
/// # Safety
/// `p` from `rike_peer_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_options(
    p: *mut rike_peer_builder,
    flags: u32,
) -> rike_result {
    setter!(p, |p| {
        let known =
            RIKE_PEER_NO_FRAGMENTATION | RIKE_PEER_NO_INITIAL_CONTACT | RIKE_PEER_FORCE_ENCAP;
        if flags & !known != 0 {
            return fail(rike_result::InvalidParameter, "unknown RIKE_PEER_* flag");
        }
        p.flags = flags;
        rike_result::Ok
    })
}

/// Makes the peer an IKEv1 peer (RFC 2409; ISAKMP, RFC 2408) with the
/// options in `*options`, whose `struct_size` must be at least the size
/// of this version's structure. An IKEv1 peer initiates with Main Mode
/// (or Aggressive Mode) and then Quick Mode for its first Child SA; the
/// others come with `rike_engine_create_child`. As responder it answers
/// ISAKMP phase 1 requests. The IKE proposals are offered as phase 1 transforms (CBC
/// ciphers only — AES, 3DES, DES —, the PRF's hash, the key exchange as
/// the group), the ESP proposals as IPsec DOI transforms (RFC 2407). The
/// ISAKMP SA's keys come as `RIKE_EVENT_TYPE_IKEV1_KEYS` events, its IPsec
/// SAs as `RIKE_EVENT_TYPE_CHILD_SA_UP`. XAUTH and Mode-Config are set
/// with `rike_peer_builder_set_xauth_*` and `_set_mode_config_*` (kept
/// when this is called again).
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `options` valid for its
/// `struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_ikev1(
    p: *mut rike_peer_builder,
    options: *const rike_ikev1_options,
) -> rike_result {
    nonnull!(options);
    // The size first: a caller's older, smaller structure is not read
    // beyond its end.
    let size = std::ptr::read_unaligned(options.cast::<u32>());
    if size < IKEV1_OPTIONS_V1 {
        return fail(
            rike_result::InvalidParameter,
            "rike_ikev1_options.struct_size is smaller than this version's structure",
        );
    }
    let o = tri!(v1_options_from_c(&*options));
    setter!(p, |p| {
        p.ikev1 = Some(o);
        rike_result::Ok
    })
}

/// IKEv1 XAUTH client (draft-beaulieu-ike-xauth-02,
/// draft-ietf-ipsec-isakmp-xauth-06): after phase 1 the server asks for a
/// user name and password; we answer with `user` (NUL-terminated UTF-8)
/// and `len` bytes at `password` (copied), or, when `password` is NULL,
/// ask the application with `RIKE_EVENT_TYPE_XAUTH_REQUEST`. Replaces an
/// earlier XAUTH role. Needs `rike_peer_builder_set_ikev1` before
/// `rike_config_builder_add_peer`.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `user` NUL-terminated; `password`
/// valid for `len` bytes or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_xauth_client(
    p: *mut rike_peer_builder,
    user: *const c_char,
    password: *const u8,
    len: usize,
) -> rike_result {
    let user = tri!(str_arg(user, "user"));
    let password = if password.is_null() {
        None
    } else {
        Some(Secret::from_slice(tri!(bytes_arg(
            password, len, "password"
        ))))
    };
    setter!(p, |p| {
        p.xauth = Some(XauthRole::Client {
            user: user.to_owned(),
            password,
        });
        rike_result::Ok
    })
}

/// IKEv1 XAUTH server (draft-beaulieu-ike-xauth-02): after phase 1 we ask
/// the client for a user name and password and check them against the
/// users added with `rike_peer_builder_add_xauth_user`, or, while there is
/// none, ask the application with `RIKE_EVENT_TYPE_XAUTH_VERIFY`. Replaces
/// an earlier XAUTH role (and its users). Needs `rike_peer_builder_set_ikev1`.
///
/// # Safety
/// `p` from `rike_peer_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_xauth_server(
    p: *mut rike_peer_builder,
) -> rike_result {
    setter!(p, |p| {
        p.xauth = Some(XauthRole::Server { users: Vec::new() });
        rike_result::Ok
    })
}

/// Adds a user the IKEv1 XAUTH server accepts (draft-beaulieu-ike-xauth-02):
/// `user` NUL-terminated UTF-8 and `len` bytes at `password` (copied).
/// Makes the peer an XAUTH server if it was not; fails with
/// `RIKE_RESULT_WRONG_STATE` when it is an XAUTH client.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `user` NUL-terminated; `password`
/// valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_xauth_user(
    p: *mut rike_peer_builder,
    user: *const c_char,
    password: *const u8,
    len: usize,
) -> rike_result {
    let user = tri!(str_arg(user, "user"));
    nonnull!(password);
    let password = Secret::from_slice(tri!(bytes_arg(password, len, "password")));
    setter!(p, |p| {
        if user.is_empty() {
            return fail(rike_result::InvalidParameter, "empty XAUTH user name");
        }
        match &mut p.xauth {
            Some(XauthRole::Server { users }) => users.push((user.to_owned(), password)),
            Some(_) => {
                return fail(
                    rike_result::WrongState,
                    "the peer is an XAUTH client, not a server",
                )
            }
            None => {
                p.xauth = Some(XauthRole::Server {
                    users: vec![(user.to_owned(), password)],
                })
            }
        }
        rike_result::Ok
    })
}

/// IKEv1 Mode-Config client (draft-dukes-ike-mode-cfg-02): after phase 1
/// (and XAUTH) we ask for an internal address and DNS servers
/// (CFG_REQUEST) when `pull` is true, else wait for the server's CFG_SET.
/// The result comes as `RIKE_EVENT_TYPE_MODE_CONFIG`. Needs
/// `rike_peer_builder_set_ikev1`.
///
/// # Safety
/// `p` from `rike_peer_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_mode_config_client(
    p: *mut rike_peer_builder,
    pull: bool,
) -> rike_result {
    setter!(p, |p| {
        p.mode_config = Some(ModeConfigRole::Client { pull });
        rike_result::Ok
    })
}

/// IKEv1 Mode-Config server (draft-dukes-ike-mode-cfg-02): we give each
/// ISAKMP SA one address of `pool` (`pool_len` entries, at least one) and
/// announce the `dns_len` DNS servers at `dns` (ports ignored); answering
/// the client's CFG_REQUEST when `pull` is true, else sending CFG_SET.
/// Each assignment comes as `RIKE_EVENT_TYPE_MODE_CONFIG`. Needs
/// `rike_peer_builder_set_ikev1`.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `pool` valid for `pool_len`
/// addresses; `dns` valid for `dns_len` addresses (or NULL with 0).
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_set_mode_config_server(
    p: *mut rike_peer_builder,
    pull: bool,
    pool: *const rike_addr,
    pool_len: usize,
    dns: *const rike_addr,
    dns_len: usize,
) -> rike_result {
    nonnull!(pool);
    if dns_len > 0 {
        nonnull!(dns);
    }
    let bad = |why: &str| fail(rike_result::InvalidParameter, why);
    if pool_len == 0 || pool_len > 65536 || dns_len > 16 {
        return bad("Mode-Config: 1 to 65536 pool addresses, at most 16 DNS servers");
    }
    let ips = |a: *const rike_addr, n: usize| -> Result<Vec<std::net::IpAddr>, rike_result> {
        if n == 0 {
            return Ok(Vec::new());
        }
        std::slice::from_raw_parts(a, n)
            .iter()
            .map(|x| {
                x.ip_addr()
                    .ok_or_else(|| bad("Mode-Config: an address of unknown family"))
            })
            .collect()
    };
    let pool = tri!(ips(pool, pool_len));
    let dns = tri!(ips(dns, dns_len));
    setter!(p, |p| {
        p.mode_config = Some(ModeConfigRole::Server { pull, pool, dns });
        rike_result::Ok
    })
}

/// Adds a Child SA configuration; the first one added is negotiated in
/// IKE_AUTH when initiating, the others with `rike_engine_create_child`.
/// Consumes `child` whatever the result; fails when a Child SA of that
/// name was already added.
///
/// # Safety
/// `p` from `rike_peer_builder_new`; `child` from `rike_child_builder_new`
/// (not used afterwards).
#[no_mangle]
pub unsafe extern "C" fn rike_peer_builder_add_child(
    p: *mut rike_peer_builder,
    child: *mut rike_child_builder,
) -> rike_result {
    if child.is_null() {
        return rike_result::NullParameter;
    }
    let c = guard!(None, { Some(*Box::from_raw(child)) });
    let Some(mut c) = c else {
        return rike_result::Panic;
    };
    setter!(p, |p| {
        if p.children.iter().any(|x| x.name == c.c.name) {
            return fail(
                rike_result::InvalidParameter,
                format!("a Child SA named '{}' was already added", c.c.name),
            );
        }
        if c.c.esp.is_empty() {
            c.c.esp = tri!(ProposalSpec::parse_list(DEFAULT_ESP, false)
                .map_err(|e| fail(rike_result::InvalidParameter, e.to_string())));
        }
        if c.c.local_ts.is_empty() {
            c.c.local_ts = vec![TrafficSelector::any(false)];
        }
        if c.c.remote_ts.is_empty() {
            c.c.remote_ts = vec![TrafficSelector::any(false)];
        }
        p.children.push(c.c);
        rike_result::Ok
    })
}

// ------------------------------------------------------------ children

/// Starts a Child SA configuration named `name` and writes it to `*out`.
/// Until set otherwise: tunnel mode, the default ESP proposals
/// (aes256gcm16, aes256-sha256, no PFS), all IPv4 traffic both sides, no
/// lifetimes.
///
/// # Safety
/// `name` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_new(
    name: *const c_char,
    out: *mut *mut rike_child_builder,
) -> rike_result {
    nonnull!(out);
    let name = tri!(str_arg(name, "name"));
    guard!(rike_result::Panic, {
        if name.is_empty() {
            return fail(rike_result::InvalidParameter, "empty Child SA name");
        }
        *out = Box::into_raw(Box::new(rike_child_builder {
            c: ChildConfig::new(name),
        }));
        rike_result::Ok
    })
}

/// Frees a Child SA builder that was not added; NULL is ignored.
///
/// # Safety
/// `c` from `rike_child_builder_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_free(c: *mut rike_child_builder) {
    if !c.is_null() {
        guard!((), { drop(Box::from_raw(c)) });
    }
}

/// Adds ESP proposals in strongSwan's syntax ("aes256gcm16-x25519" asks
/// for PFS with Curve25519; "aes128-sha256-esn"). Fails as
/// `rike_peer_builder_add_ike_proposals`.
///
/// # Safety
/// `c` from `rike_child_builder_new`; `proposals` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_add_esp_proposals(
    c: *mut rike_child_builder,
    proposals: *const c_char,
) -> rike_result {
    let s = tri!(str_arg(proposals, "proposals"));
    setter!(c, |c| {
        match ProposalSpec::parse_list(s, false) {
            Ok(v) if !v.is_empty() => {
                c.c.esp.extend(v);
                rike_result::Ok
            }
            Ok(_) => fail(rike_result::InvalidParameter, "no proposal in the string"),
            Err(e) => fail(rike_result::InvalidParameter, format!("ESP proposal: {e}")),
        }
    })
}

/// Adds one ESP proposal given as IANA numbers (ENCR, INTEG unless AEAD,
/// optional KE for PFS, ESN; no ESN transform means "no ESN").
///
/// # Safety
/// `c` from `rike_child_builder_new`; `transforms` valid for `n` entries.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_add_esp_proposal(
    c: *mut rike_child_builder,
    transforms: *const rike_transform,
    n: usize,
) -> rike_result {
    let spec = tri!(proposal_from_ids(transforms, n, false));
    setter!(c, |c| {
        c.c.esp.push(spec);
        rike_result::Ok
    })
}

fn parse_ts(s: &str) -> Result<TrafficSelector, rike_result> {
    TrafficSelector::parse(s).ok_or_else(|| {
        fail(
            rike_result::InvalidParameter,
            format!("'{s}' is not a traffic selector"),
        )
    })
}

/// Adds traffic selectors for our side, comma-separated: "10.1.0.0/16",
/// "192.0.2.1", "10.0.0.1-10.0.0.9", "%any", "%any6", each optionally with
/// "[proto/port]" ("10.1.0.0/16[tcp/443]", "[udp/%any]").
///
/// # Safety
/// `c` from `rike_child_builder_new`; `ts` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_add_local_ts(
    c: *mut rike_child_builder,
    ts: *const c_char,
) -> rike_result {
    let s = tri!(str_arg(ts, "ts"));
    setter!(c, |c| {
        let v: Vec<TrafficSelector> = tri!(s.split(',').map(|t| parse_ts(t.trim())).collect());
        c.c.local_ts.extend(v);
        rike_result::Ok
    })
}

/// Adds traffic selectors for the peer's side, as
/// `rike_child_builder_add_local_ts`.
///
/// # Safety
/// `c` from `rike_child_builder_new`; `ts` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_add_remote_ts(
    c: *mut rike_child_builder,
    ts: *const c_char,
) -> rike_result {
    let s = tri!(str_arg(ts, "ts"));
    setter!(c, |c| {
        let v: Vec<TrafficSelector> = tri!(s.split(',').map(|t| parse_ts(t.trim())).collect());
        c.c.remote_ts.extend(v);
        rike_result::Ok
    })
}

/// Adds one traffic selector given as a structure, for our side when
/// `local` is true, else for the peer's.
///
/// # Safety
/// `c` from `rike_child_builder_new`; `ts` valid.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_add_ts(
    c: *mut rike_child_builder,
    local: bool,
    ts: *const rike_ts,
) -> rike_result {
    nonnull!(ts);
    let t = *ts;
    setter!(c, |c| {
        let Some(t) = t.to_engine() else {
            return fail(
                rike_result::InvalidParameter,
                "traffic selector: unknown family or start after end",
            );
        };
        if local {
            c.c.local_ts.push(t);
        } else {
            c.c.remote_ts.push(t);
        }
        rike_result::Ok
    })
}

/// Sets the mode (a `rike_ipsec_mode` value).
///
/// # Safety
/// `c` from `rike_child_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_set_mode(
    c: *mut rike_child_builder,
    mode: u32,
) -> rike_result {
    setter!(c, |c| {
        c.c.mode = match mode {
            1 => IpsecMode::Tunnel,
            2 => IpsecMode::Transport,
            _ => return fail(rike_result::InvalidParameter, "unknown mode"),
        };
        rike_result::Ok
    })
}

/// Sets the Child SA's lifetimes: rekey `rekey_ms` after it is made (soft
/// lifetime), expire after `lifetime_ms` (hard); 0 turns each off.
/// `lifetime_ms`, when set, must exceed `rekey_ms`.
///
/// # Safety
/// `c` from `rike_child_builder_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_child_builder_set_lifetimes(
    c: *mut rike_child_builder,
    rekey_ms: u64,
    lifetime_ms: u64,
) -> rike_result {
    setter!(c, |c| {
        if lifetime_ms > 0 && rekey_ms >= lifetime_ms {
            return fail(
                rike_result::InvalidParameter,
                "the hard lifetime must exceed the rekey time",
            );
        }
        c.c.rekey_ms = (rekey_ms > 0).then_some(rekey_ms);
        c.c.lifetime_ms = (lifetime_ms > 0).then_some(lifetime_ms);
        rike_result::Ok
    })
}

// ------------------------------------------------------------ keys

/// A private key loaded by rike, for programs that answer
/// `RIKE_EVENT_TYPE_SIGN_REQUEST` themselves but keep the key in memory
/// (a signing helper process, tests). Under the hood a `Box<dyn Signer>`;
/// immutable, so it may be used from several threads at once.
pub struct rike_key {
    key: Box<dyn Signer>,
}

/// Loads a private key (PEM or DER, as `rike_peer_builder_set_private_key`)
/// and writes it to `*out`; free it with `rike_key_free`.
///
/// # Safety
/// `data` valid for `len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_key_load(
    data: *const u8,
    len: usize,
    out: *mut *mut rike_key,
) -> rike_result {
    nonnull!(out);
    let d = tri!(bytes_arg(data, len, "data"));
    guard!(rike_result::Panic, {
        match load_private_key(d) {
            Ok(key) => {
                *out = Box::into_raw(Box::new(rike_key { key }));
                rike_result::Ok
            }
            Err(e) => fail(rike_result::Crypto, format!("private key: {e}")),
        }
    })
}

/// Frees a key; NULL is ignored. The key material is zeroed.
///
/// # Safety
/// `key` from `rike_key_load`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_key_free(key: *mut rike_key) {
    if !key.is_null() {
        guard!((), { drop(Box::from_raw(key)) });
    }
}

/// The `rike_sign_scheme` values the key can make, written to
/// `schemes[0..cap]`; their number goes to `*len_out` (on
/// `RIKE_RESULT_INSUFFICIENT_SIZE`, the number needed).
///
/// # Safety
/// `key` from `rike_key_load`; `schemes` valid for `cap` values;
/// `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_key_schemes(
    key: *const rike_key,
    schemes: *mut u32,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(key);
    nonnull!(len_out);
    guard!(rike_result::Panic, {
        let v: Vec<u32> = (*key)
            .key
            .schemes()
            .iter()
            .map(|s| scheme_to_c(*s))
            .filter(|s| *s != 0)
            .collect();
        if schemes.is_null() || cap < v.len() {
            *len_out = v.len();
            return fail(rike_result::InsufficientSize, "schemes buffer too small");
        }
        std::ptr::copy_nonoverlapping(v.as_ptr(), schemes, v.len());
        *len_out = v.len();
        rike_result::Ok
    })
}

/// Signs `data` with `scheme` (a `rike_sign_scheme`); ECDSA signatures are
/// DER-encoded when `der` is true, else r | s. Exactly what a
/// `RIKE_EVENT_TYPE_SIGN_REQUEST` asks for, given its scheme, der flag and
/// data. The signature goes to `(sig, cap)` and its length to `*len_out`
/// (on `RIKE_RESULT_INSUFFICIENT_SIZE`, the size needed; 1024 bytes are
/// enough for RSA-8192). `RIKE_RESULT_UNSUPPORTED` when the key cannot make
/// that scheme.
///
/// # Safety
/// `key` from `rike_key_load`; `data` valid for `len` bytes; `sig` valid
/// for `cap` bytes; `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_key_sign(
    key: *const rike_key,
    scheme: u32,
    der: bool,
    data: *const u8,
    len: usize,
    sig: *mut u8,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(key);
    nonnull!(len_out);
    let d = tri!(bytes_arg(data, len, "data"));
    let Some(s) = scheme_from_c(scheme) else {
        return fail(
            rike_result::InvalidParameter,
            format!("unknown signature scheme {scheme}"),
        );
    };
    guard!(rike_result::Panic, {
        let k = &(*key).key;
        if !k.schemes().contains(&s) {
            return fail(
                rike_result::Unsupported,
                format!("the key cannot sign with {s:?}"),
            );
        }
        let r = if der { k.sign_der(s, d) } else { k.sign(s, d) };
        let v = match r {
            Ok(v) => v,
            Err(e) => return fail(rike_result::Crypto, format!("signing: {e}")),
        };
        if sig.is_null() || cap < v.len() {
            *len_out = v.len();
            return fail(rike_result::InsufficientSize, "signature buffer too small");
        }
        std::ptr::copy_nonoverlapping(v.as_ptr(), sig, v.len());
        *len_out = v.len();
        rike_result::Ok
    })
}
