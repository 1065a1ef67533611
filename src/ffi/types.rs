//! Plain C types shared by the engine and configuration APIs: addresses,
//! borrowed byte views, traffic selectors, identities, and the text of the
//! last failure on the calling thread.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{guard, nonnull, rike_result};
use crate::engine::TrafficSelector;

/// `rike_addr::family` of an unset address.
pub const RIKE_AF_NONE: u8 = 0;
/// `rike_addr::family` of an IPv4 address (in `ip[0..4]`).
pub const RIKE_AF_INET: u8 = 4;
/// `rike_addr::family` of an IPv6 address.
pub const RIKE_AF_INET6: u8 = 6;

/// An IP address and UDP/TCP port, without OS headers. `family` is
/// `RIKE_AF_INET` (address in `ip[0..4]`, the rest zero) or
/// `RIKE_AF_INET6`; `port` is in host byte order. Plain data: copy it
/// freely.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rike_addr {
    /// `RIKE_AF_INET` or `RIKE_AF_INET6` (`RIKE_AF_NONE` when unset).
    pub family: u8,
    /// Zero.
    pub reserved: u8,
    /// Port, host byte order.
    pub port: u16,
    /// Address octets in network order; IPv4 uses the first four.
    pub ip: [u8; 16],
}

impl rike_addr {
    pub(crate) fn from_socket(a: SocketAddr) -> rike_addr {
        let mut ip = [0u8; 16];
        let family = match a.ip() {
            IpAddr::V4(v4) => {
                ip[..4].copy_from_slice(&v4.octets());
                RIKE_AF_INET
            }
            IpAddr::V6(v6) => {
                ip = v6.octets();
                RIKE_AF_INET6
            }
        };
        rike_addr {
            family,
            reserved: 0,
            port: a.port(),
            ip,
        }
    }

    pub(crate) fn ip_addr(&self) -> Option<IpAddr> {
        match self.family {
            RIKE_AF_INET => Some(IpAddr::V4(Ipv4Addr::new(
                self.ip[0], self.ip[1], self.ip[2], self.ip[3],
            ))),
            RIKE_AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(self.ip))),
            _ => None,
        }
    }

    pub(crate) fn socket(&self) -> Option<SocketAddr> {
        Some(SocketAddr::new(self.ip_addr()?, self.port))
    }
}

/// Reads a C address argument: NULL or an unknown family is refused.
///
/// # Safety
/// `a` must be NULL or point to a `rike_addr`.
pub(crate) unsafe fn socket_arg(a: *const rike_addr) -> Result<SocketAddr, rike_result> {
    if a.is_null() {
        return Err(fail(rike_result::NullParameter, "address is NULL"));
    }
    (*a).socket().ok_or_else(|| {
        fail(
            rike_result::InvalidParameter,
            "address family is neither RIKE_AF_INET nor RIKE_AF_INET6",
        )
    })
}

/// A view of bytes owned by rike (`ptr` NULL when `len` is 0). Its
/// lifetime is stated where it is handed out.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_bytes {
    /// First byte (NULL when empty).
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl rike_bytes {
    pub(crate) fn of(b: &[u8]) -> rike_bytes {
        if b.is_empty() {
            rike_bytes::empty()
        } else {
            rike_bytes {
                ptr: b.as_ptr(),
                len: b.len(),
            }
        }
    }

    pub(crate) fn empty() -> rike_bytes {
        rike_bytes {
            ptr: std::ptr::null(),
            len: 0,
        }
    }
}

/// A traffic selector (RFC 7296 §3.13.1): an address range of one family,
/// an IP protocol (0 = any) and a port range (0–65535 = any).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct rike_ts {
    /// `RIKE_AF_INET` or `RIKE_AF_INET6`; both addresses have it.
    pub family: u8,
    /// IP protocol, 0 = any.
    pub protocol: u8,
    /// Zero.
    pub reserved: u16,
    /// First port, host byte order.
    pub start_port: u16,
    /// Last port.
    pub end_port: u16,
    /// First address (IPv4 in the first four octets).
    pub start: [u8; 16],
    /// Last address.
    pub end: [u8; 16],
}

fn ip_octets(ip: IpAddr) -> (u8, [u8; 16]) {
    let mut o = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => {
            o[..4].copy_from_slice(&v4.octets());
            (RIKE_AF_INET, o)
        }
        IpAddr::V6(v6) => (RIKE_AF_INET6, v6.octets()),
    }
}

impl rike_ts {
    pub(crate) fn from_engine(t: &TrafficSelector) -> rike_ts {
        let (family, start) = ip_octets(t.start);
        let (_, end) = ip_octets(t.end);
        rike_ts {
            family,
            protocol: t.protocol,
            reserved: 0,
            start_port: t.start_port,
            end_port: t.end_port,
            start,
            end,
        }
    }

    pub(crate) fn to_engine(self) -> Option<TrafficSelector> {
        let addr = |o: [u8; 16]| rike_addr {
            family: self.family,
            reserved: 0,
            port: 0,
            ip: o,
        };
        let start = addr(self.start).ip_addr()?;
        let end = addr(self.end).ip_addr()?;
        let n = |ip: IpAddr| match ip {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        };
        if n(start) > n(end) || self.start_port > self.end_port {
            return None;
        }
        Some(TrafficSelector {
            protocol: self.protocol,
            start_port: self.start_port,
            end_port: self.end_port,
            start,
            end,
        })
    }
}

/// An IKE identity (RFC 7296 §3.5) as received or configured.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_identity {
    /// ID type (IANA "IKEv2 Identification Payload ID Types": 1 IPv4,
    /// 2 FQDN, 3 RFC 822, 5 IPv6, 9 DER ASN.1 DN, 11 KEY_ID, 13 NULL).
    pub id_type: u8,
    /// Zero.
    pub reserved: [u8; 7],
    /// The identification data as on the wire.
    pub data: rike_bytes,
    /// The identity as text (an address, a name, "@#hex" for a key ID,
    /// "DN(n bytes)" for a DN), NUL-terminated.
    pub text: *const c_char,
}

// ------------------------------------------------------------ errors

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `why` as the calling thread's last error text and returns `r`.
pub(crate) fn fail(r: rike_result, why: impl std::fmt::Display) -> rike_result {
    let text = CString::new(why.to_string().replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = text);
    r
}

/// A description of the most recent failure of a rike call on the calling
/// thread (for example why a proposal string was refused), NUL-terminated;
/// "" when none was recorded. Calls that succeed leave it unchanged. The
/// text stays valid until the next rike call on this thread.
#[no_mangle]
pub extern "C" fn rike_last_error() -> *const c_char {
    guard!(c"".as_ptr(), { LAST_ERROR.with(|e| e.borrow().as_ptr()) })
}

/// Reads a NUL-terminated UTF-8 argument.
///
/// # Safety
/// `s` must be NULL or a NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(s: *const c_char, what: &str) -> Result<&'a str, rike_result> {
    if s.is_null() {
        return Err(fail(rike_result::NullParameter, format!("{what} is NULL")));
    }
    CStr::from_ptr(s).to_str().map_err(|_| {
        fail(
            rike_result::InvalidParameter,
            format!("{what} is not UTF-8"),
        )
    })
}

/// Reads `len` bytes at `p`; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `p` valid for `len` bytes when not NULL.
pub(crate) unsafe fn bytes_arg<'a>(
    p: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], rike_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(fail(rike_result::NullParameter, format!("{what} is NULL")));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// Copies `text` and a terminating NUL into `(buf, cap)`; the length
/// without the NUL goes to `*len_out`, or on `RIKE_RESULT_INSUFFICIENT_SIZE`
/// the size needed with the NUL.
///
/// # Safety
/// `buf` valid for `cap` bytes (or NULL with `cap` 0); `len_out` writable.
pub(crate) unsafe fn copy_text(
    text: &str,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    let need = text.len() + 1;
    if buf.is_null() || cap < need {
        *len_out = need;
        return fail(
            rike_result::InsufficientSize,
            format!("{need} bytes needed, {cap} given"),
        );
    }
    std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
    *buf.add(text.len()) = 0;
    *len_out = text.len();
    rike_result::Ok
}

/// Reads an address from text: "192.0.2.1", "2001:db8::1", with a port as
/// "192.0.2.1:500" or "[2001:db8::1]:500". Without a port, `port` is used.
/// Writes `*out` on success; `RIKE_RESULT_INVALID_PARAMETER` for anything
/// else.
///
/// # Safety
/// `text` a NUL-terminated string; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_addr_parse(
    text: *const c_char,
    port: u16,
    out: *mut rike_addr,
) -> rike_result {
    nonnull!(out);
    let s = match str_arg(text, "text") {
        Ok(s) => s.trim(),
        Err(r) => return r,
    };
    guard!(rike_result::Panic, {
        let a = if let Ok(sa) = s.parse::<SocketAddr>() {
            sa
        } else if let Ok(ip) = s.parse::<IpAddr>() {
            SocketAddr::new(ip, port)
        } else {
            return fail(
                rike_result::InvalidParameter,
                format!("'{s}' is not an IP address"),
            );
        };
        *out = rike_addr::from_socket(a);
        rike_result::Ok
    })
}

/// Writes an address as text ("192.0.2.1:500", "[2001:db8::1]:4500"), or
/// without the port when `with_port` is false, NUL-terminated, into
/// `(buf, cap)`. The length without the NUL goes to `*len_out`; when the
/// buffer is too small, `RIKE_RESULT_INSUFFICIENT_SIZE` and the size
/// needed (with the NUL) in `*len_out`. 48 bytes are always enough.
///
/// # Safety
/// `addr` valid; `buf` valid for `cap` bytes; `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_addr_format(
    addr: *const rike_addr,
    with_port: bool,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(len_out);
    let a = match socket_arg(addr) {
        Ok(a) => a,
        Err(r) => return r,
    };
    guard!(rike_result::Panic, {
        let text = if with_port {
            a.to_string()
        } else {
            a.ip().to_string()
        };
        copy_text(&text, buf, cap, len_out)
    })
}

// ------------------------------------------------------------ names

type NameTable = std::collections::HashMap<(u8, u16), CString>;

fn names() -> &'static NameTable {
    use crate::wire::registry::{EncrId, EsnId, IntegId, KeMethod, NotifyTypeV2, PrfId};
    static NAMES: std::sync::OnceLock<NameTable> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut m = NameTable::new();
        let mut add = |t: u8, list: &[(u16, &str)]| {
            for &(v, n) in list {
                if let Ok(c) = CString::new(n) {
                    m.insert((t, v), c);
                }
            }
        };
        add(1, EncrId::NAMED);
        add(2, PrfId::NAMED);
        add(3, IntegId::NAMED);
        add(4, KeMethod::NAMED);
        add(5, EsnId::NAMED);
        for t in 6..=12 {
            add(t, KeMethod::NAMED);
        }
        // Notify message types under a pseudo transform type.
        add(NOTIFY_TABLE, NotifyTypeV2::NAMED);
        m
    })
}

const NOTIFY_TABLE: u8 = 255;

/// The IANA name of an IKEv2 transform ID (e.g. type 1 id 20:
/// "ENCR_AES_GCM_16"; type 3 id 12: "AUTH_HMAC_SHA2_256_128"; type 4 id
/// 31: "Curve25519"), static and NUL-terminated; NULL when the registry
/// has no name for it. Types 6–12 (ADDKE) use the key exchange names.
#[no_mangle]
pub extern "C" fn rike_transform_name(transform_type: u8, id: u16) -> *const c_char {
    guard!(std::ptr::null(), {
        if transform_type == NOTIFY_TABLE {
            return std::ptr::null();
        }
        names()
            .get(&(transform_type, id))
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// The IANA name of an IKEv2 notify message type (e.g. 14:
/// "NO_PROPOSAL_CHOSEN", 24: "AUTHENTICATION_FAILED"), static and
/// NUL-terminated; NULL when it has none.
#[no_mangle]
pub extern "C" fn rike_notify_name(notify_type: u16) -> *const c_char {
    guard!(std::ptr::null(), {
        names()
            .get(&(NOTIFY_TABLE, notify_type))
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}
