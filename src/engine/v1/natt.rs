//! NAT traversal for IKEv1 (RFC 3947, with the draft-ietf-ipsec-nat-t-ike
//! -02/03 numbering for old peers): the Vendor IDs, NAT-D payloads and
//! detection (§3), the move to port 4500 (§4), the UDP-encapsulated
//! modes (§5.1) and NAT-OA (§5.2); NAT keepalives (RFC 3948 §4). Also the
//! other capability Vendor IDs we send and recognise: DPD (RFC 3706 §4),
//! XAUTH and IKEv1 fragmentation.

use std::net::{IpAddr, SocketAddr};

use super::sa::IsakmpSa;
use crate::crypto::keymat_v1::Hash;
use crate::engine::ctx::Ctx;
use crate::engine::event::Transmit;
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{IpsecEncapMode, PayloadType};
use crate::wire::transport::NAT_KEEPALIVE;

/// MD5("RFC 3947") (RFC 3947 §3.1).
pub(crate) const VID_RFC3947: [u8; 16] = [
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
];
/// MD5("draft-ietf-ipsec-nat-t-ike-02\n").
pub(crate) const VID_DRAFT_02N: [u8; 16] = [
    0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f,
];
/// MD5("draft-ietf-ipsec-nat-t-ike-02").
const VID_DRAFT_02: [u8; 16] = [
    0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48,
];
/// MD5("draft-ietf-ipsec-nat-t-ike-03").
const VID_DRAFT_03: [u8; 16] = [
    0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56,
];
/// RFC 3706 §4: the DPD Vendor ID (version 1.0).
pub(crate) const VID_DPD: [u8; 16] = [
    0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
];
/// The XAUTH Vendor ID (draft-ietf-ipsec-isakmp-xauth-06 §3.1).
pub(crate) const VID_XAUTH: [u8; 8] = [0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12];
/// MD5("FRAGMENTATION"): the IKEv1 fragmentation Vendor ID; the four
/// octets after it are capability flags (0x80000000 as strongSwan sends).
pub(crate) const VID_FRAG: [u8; 16] = [
    0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3,
];

/// Which NAT traversal the peers share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NattVersion {
    /// RFC 3947: NAT-D 20, NAT-OA 21, modes 3/4.
    Rfc,
    /// The drafts 02/03: NAT-D 130, NAT-OA 131, modes 61443/61444.
    Draft,
}

impl NattVersion {
    pub(crate) fn natd_type(self) -> PayloadType {
        match self {
            NattVersion::Rfc => PayloadType::NAT_D,
            NattVersion::Draft => PayloadType::NAT_D_DRAFT,
        }
    }

    pub(crate) fn nat_oa_type(self) -> PayloadType {
        match self {
            NattVersion::Rfc => PayloadType::NAT_OA,
            NattVersion::Draft => PayloadType::NAT_OA_DRAFT,
        }
    }

    /// The UDP-encapsulated mode for tunnel or transport.
    pub(crate) fn encap_mode(self, tunnel: bool) -> IpsecEncapMode {
        match (self, tunnel) {
            (NattVersion::Rfc, true) => IpsecEncapMode::UDP_TUNNEL,
            (NattVersion::Rfc, false) => IpsecEncapMode::UDP_TRANSPORT,
            (NattVersion::Draft, true) => IpsecEncapMode::UDP_TUNNEL_DRAFT,
            (NattVersion::Draft, false) => IpsecEncapMode::UDP_TRANSPORT_DRAFT,
        }
    }
}

/// Writes our Vendor IDs.
pub(crate) fn write_vids(c: &mut ChainBuilder, natt: bool, xauth: bool, frag: bool) {
    if xauth {
        c.payload(PayloadType::VENDOR_ID, 0, |o| o.bytes(&VID_XAUTH));
    }
    c.payload(PayloadType::VENDOR_ID, 0, |o| o.bytes(&VID_DPD));
    if frag {
        c.payload(PayloadType::VENDOR_ID, 0, |o| {
            o.bytes(&VID_FRAG);
            o.bytes(&[0x80, 0, 0, 0]);
        });
    }
    if natt {
        c.payload(PayloadType::VENDOR_ID, 0, |o| o.bytes(&VID_RFC3947));
        c.payload(PayloadType::VENDOR_ID, 0, |o| o.bytes(&VID_DRAFT_02N));
    }
}

/// NAT-D hash: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash
/// (RFC 3947 §3.2).
pub(crate) fn natd(hash: Hash, cky_i: &[u8; 8], cky_r: &[u8; 8], a: SocketAddr) -> Vec<u8> {
    let ip = match a.ip() {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v.octets().to_vec(),
        },
    };
    hash.digest(&[cky_i, cky_r, &ip, &a.port().to_be_bytes()])
}

impl IsakmpSa {
    /// Learns the peer's capabilities from its Vendor IDs.
    pub(crate) fn read_vids(&mut self, vids: &[Vec<u8>], natt_allowed: bool) {
        for v in vids {
            let v = v.as_slice();
            if v == VID_RFC3947 && natt_allowed {
                self.caps.natt = Some(NattVersion::Rfc);
            } else if (v == VID_DRAFT_02N || v == VID_DRAFT_02 || v == VID_DRAFT_03)
                && natt_allowed
                && self.caps.natt.is_none()
            {
                self.caps.natt = Some(NattVersion::Draft);
            } else if v == VID_DPD {
                self.caps.dpd = true;
            } else if v == VID_XAUTH {
                self.caps.xauth = true;
            } else if v.starts_with(&VID_FRAG) {
                self.caps.frag = true;
            }
        }
    }

    /// Writes the two NAT-D payloads: the peer's address as we send to it,
    /// then ours (a random value when UDP encapsulation is forced, so that
    /// the peer sees a NAT, as RFC 3947 §3.2 lets a host pretend).
    pub(crate) fn write_natd(&self, ctx: &mut Ctx<'_>, c: &mut ChainBuilder) {
        let (Some(v), Some(k)) = (self.caps.natt, &self.keys_hash()) else {
            return;
        };
        let t = v.natd_type();
        let dst = natd(*k, &self.cky_i, &self.cky_r, self.remote);
        let src = if ctx.peer_cfg(self.peer).force_encap {
            ctx.random(dst.len())
        } else {
            natd(*k, &self.cky_i, &self.cky_r, self.local)
        };
        c.payload(t, 0, |o| o.bytes(&dst));
        c.payload(t, 0, |o| o.bytes(&src));
    }

    /// The negotiated hash (before the keys exist: from the transform).
    fn keys_hash(&self) -> Option<Hash> {
        self.keys
            .as_ref()
            .map(|k| k.hash)
            .or_else(|| self.chosen.as_ref().and_then(|c| c.hash()))
    }

    /// NAT detection from the peer's NAT-D payloads (RFC 3947 §3.2): the
    /// first holds our address as the peer saw it, the others the peer's.
    pub(crate) fn detect_nat(&mut self, ctx: &Ctx<'_>, natd_in: &[Vec<u8>]) {
        let (Some(v), Some(h)) = (self.caps.natt, self.keys_hash()) else {
            return;
        };
        let Some((first, rest)) = natd_in.split_first() else {
            // NAT-T announced but no NAT-D: treat as no NAT-T.
            self.caps.natt = None;
            return;
        };
        let me = natd(h, &self.cky_i, &self.cky_r, self.local);
        let peer = natd(h, &self.cky_i, &self.cky_r, self.remote);
        self.nat.natt = Some(v);
        self.nat.local_behind = *first != me;
        self.nat.peer_behind = !rest.contains(&peer);
        if ctx.peer_cfg(self.peer).force_encap {
            self.nat.local_behind = true;
        }
    }

    /// The initiator moves to port 4500 when there is a NAT (RFC 3947 §4),
    /// before the message with its ID.
    pub(crate) fn float(&mut self) {
        if self.nat.any() && !self.encap {
            self.local.set_port(4500);
            self.remote.set_port(4500);
            self.encap = true;
        }
    }

    /// The encapsulation mode for our Quick Mode offers.
    pub(crate) fn encap_mode(&self, tunnel: bool) -> IpsecEncapMode {
        match self.nat.natt {
            Some(v) if self.nat.any() => v.encap_mode(tunnel),
            _ if tunnel => IpsecEncapMode::TUNNEL,
            _ => IpsecEncapMode::TRANSPORT,
        }
    }

    /// A NAT keepalive (RFC 3948 §2.3) when we are behind a NAT.
    pub(crate) fn keepalive(&mut self, ctx: &mut Ctx<'_>) {
        if self.encap && self.nat.local_behind {
            ctx.out.transmits.push_back(Transmit {
                local: self.local,
                remote: self.remote,
                data: vec![NAT_KEEPALIVE],
                sa: Some(self.handle),
            });
        }
        if let Some(k) = ctx.config.nat_keepalive_ms {
            self.timers.set(Timer::Keepalive, ctx.now + k);
        }
    }
}
