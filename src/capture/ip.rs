//! IPv4 / IPv6 header decoding and fragment reassembly.
//!
//! IPv4 fragments are keyed by (source, destination, protocol, identification),
//! IPv6 fragments by (source, destination, identification). A reassembled
//! datagram is produced when the fragment that completes it is decoded.
//! Memory is bounded: at most [`Limits::max_fragmented_datagrams`] reassemblies
//! are pending (the oldest is evicted), a datagram never exceeds 65535 bytes,
//! and a datagram whose fragments overlap with different contents or disagree
//! about its length is discarded.
//!
//! [`Limits::max_fragmented_datagrams`]: super::Limits::max_fragmented_datagrams

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::bytes::{be16, be32, bytes16};

/// IP protocol numbers used here.
pub(crate) mod proto {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: u8 = 0;
    /// IPv4-in-IP encapsulation.
    pub const IPIP: u8 = 4;
    /// Transmission Control Protocol.
    pub const TCP: u8 = 6;
    /// User Datagram Protocol.
    pub const UDP: u8 = 17;
    /// IPv6-in-IP encapsulation.
    pub const IPV6: u8 = 41;
    /// IPv6 routing header.
    pub const ROUTING: u8 = 43;
    /// IPv6 fragment header.
    pub const FRAGMENT: u8 = 44;
    /// Encapsulating Security Payload.
    pub const ESP: u8 = 50;
    /// Authentication Header.
    pub const AH: u8 = 51;
    /// IPv6 destination options.
    pub const DSTOPTS: u8 = 60;
}

/// Largest reassembled payload accepted.
const MAX_DATAGRAM: usize = 65535;
/// Maximum number of extension headers followed in one packet.
const MAX_EXT_HEADERS: usize = 16;

/// A decoded (and possibly reassembled) IP packet.
#[derive(Debug)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol, after extension headers and AH.
    pub proto: u8,
    /// The upper-layer bytes (borrowed unless reassembled).
    pub payload: Cow<'a, [u8]>,
    /// The capture holds fewer bytes than the IP header announces.
    pub truncated: bool,
}

/// Narrows a `Cow` to `range` without copying a borrowed slice; an owned
/// buffer is trimmed in place. Out-of-range bounds are clamped.
pub(crate) fn sub_cow(c: Cow<'_, [u8]>, range: Range<usize>) -> Cow<'_, [u8]> {
    match c {
        Cow::Borrowed(b) => {
            let end = range.end.min(b.len());
            Cow::Borrowed(b.get(range.start.min(end)..end).unwrap_or_default())
        }
        Cow::Owned(mut v) => {
            v.truncate(range.end);
            let start = range.start.min(v.len());
            v.drain(..start);
            Cow::Owned(v)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum FragKey {
    V4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        proto: u8,
        id: u16,
    },
    V6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        id: u32,
    },
}

#[derive(Debug, Default)]
struct Pending {
    buf: Vec<u8>,
    /// Sorted, non-adjacent received byte ranges.
    ranges: Vec<(usize, usize)>,
    /// Payload length, known once the last fragment arrived.
    total: Option<usize>,
    /// IPv6: next-header value of the offset-zero fragment.
    first_next: Option<u8>,
    generation: u64,
}

enum FragOutcome {
    Complete { data: Vec<u8>, next: Option<u8> },
    Pending,
    Dropped(&'static str),
}

/// Stateful IP decoder: header parsing plus fragment reassembly.
#[derive(Debug)]
pub(crate) struct IpLayer {
    pending: HashMap<FragKey, Pending>,
    /// Creation order of pending reassemblies, for eviction (may hold stale
    /// entries, recognised by their generation).
    order: VecDeque<(FragKey, u64)>,
    generation: u64,
    max_pending: usize,
}

impl IpLayer {
    pub(crate) fn new(max_pending: usize) -> Self {
        IpLayer {
            pending: HashMap::new(),
            order: VecDeque::new(),
            generation: 0,
            max_pending: max_pending.max(1),
        }
    }

    /// Number of incomplete datagrams currently buffered.
    pub(crate) fn pending_datagrams(&self) -> usize {
        self.pending.len()
    }

    /// Decodes an IPv4 packet; fragments are stored until their datagram is
    /// complete. `Err` carries the reason nothing can be delivered (yet).
    pub(crate) fn ipv4<'a>(&mut self, pkt: Cow<'a, [u8]>) -> Result<IpPacket<'a>, &'static str> {
        let data: &[u8] = &pkt;
        let first = *data.first().ok_or("empty IPv4 packet")?;
        if first >> 4 != 4 {
            return Err("IPv4 header with wrong version");
        }
        let hlen = usize::from(first & 0x0f) * 4;
        if hlen < 20 {
            return Err("IPv4 header length below 20");
        }
        if data.len() < hlen {
            return Err("truncated IPv4 header");
        }
        let total = usize::from(be16(data, 2).unwrap_or(0));
        // A zero total length is what TSO-offloaded packets show in captures.
        let total = if total == 0 { data.len() } else { total };
        if total < hlen {
            return Err("IPv4 total length smaller than its header");
        }
        let end = total.min(data.len());
        let truncated = total > data.len();
        let id = be16(data, 4).unwrap_or(0);
        let frag = be16(data, 6).unwrap_or(0);
        let more = frag & 0x2000 != 0;
        let offset = usize::from(frag & 0x1fff) * 8;
        let proto = data.get(9).copied().unwrap_or(0);
        let src = ipv4_at(data, 12).ok_or("truncated IPv4 header")?;
        let dst = ipv4_at(data, 16).ok_or("truncated IPv4 header")?;
        let (src_ip, dst_ip) = (IpAddr::V4(src), IpAddr::V4(dst));

        if !more && offset == 0 {
            let payload = sub_cow(pkt, hlen..end);
            return finish(src_ip, dst_ip, proto, payload, truncated, false);
        }
        if truncated {
            if offset == 0 {
                // A first fragment cut short by the capture can never be
                // reassembled: hand on what was captured, marked truncated.
                let payload = sub_cow(pkt, hlen..end);
                return finish(src_ip, dst_ip, proto, payload, true, false);
            }
            return Err("IPv4 fragment truncated by capture length");
        }
        let key = FragKey::V4 {
            src,
            dst,
            proto,
            id,
        };
        let frag_data = data.get(hlen..end).unwrap_or_default();
        match self.add_fragment(key, offset, more, frag_data, None) {
            FragOutcome::Complete { data, .. } => {
                finish(src_ip, dst_ip, proto, Cow::Owned(data), false, false)
            }
            FragOutcome::Pending => Err("IPv4 fragment (reassembly pending)"),
            FragOutcome::Dropped(reason) => Err(reason),
        }
    }

    /// Decodes an IPv6 packet and its extension headers; fragments are stored
    /// until their datagram is complete.
    pub(crate) fn ipv6<'a>(&mut self, pkt: Cow<'a, [u8]>) -> Result<IpPacket<'a>, &'static str> {
        let data: &[u8] = &pkt;
        let first = *data.first().ok_or("empty IPv6 packet")?;
        if first >> 4 != 6 {
            return Err("IPv6 header with wrong version");
        }
        if data.len() < 40 {
            return Err("truncated IPv6 header");
        }
        let plen = usize::from(be16(data, 4).unwrap_or(0));
        let next = data.get(6).copied().unwrap_or(0);
        // Payload length zero with a hop-by-hop header is a jumbogram: use
        // what was captured.
        let total = if plen == 0 && next == proto::HOPOPT {
            data.len()
        } else {
            40 + plen
        };
        let end = total.min(data.len());
        let truncated = total > data.len();
        let src = ipv6_at(data, 8).ok_or("truncated IPv6 header")?;
        let dst = ipv6_at(data, 24).ok_or("truncated IPv6 header")?;
        let (src_ip, dst_ip) = (IpAddr::V6(src), IpAddr::V6(dst));
        let body = data.get(..end).unwrap_or_default();

        let walk = walk_headers(next, body, 40, true)?;
        let Some(frag) = walk.fragment else {
            let payload = sub_cow(pkt, walk.offset..end);
            return finish(src_ip, dst_ip, walk.proto, payload, truncated, true);
        };
        if truncated {
            return Err("IPv6 fragment truncated by capture length");
        }
        let key = FragKey::V6 {
            src,
            dst,
            id: frag.id,
        };
        let frag_data = body.get(walk.offset..).unwrap_or_default();
        match self.add_fragment(key, frag.offset, frag.more, frag_data, Some(walk.proto)) {
            FragOutcome::Complete { data, next } => {
                let next = next.unwrap_or(walk.proto);
                // The fragmentable part may start with more extension headers.
                let walk = walk_headers(next, &data, 0, true)?;
                if walk.fragment.is_some() {
                    return Err("nested IPv6 fragment header");
                }
                let len = data.len();
                let payload = sub_cow(Cow::Owned(data), walk.offset..len);
                Ok(IpPacket {
                    src: src_ip,
                    dst: dst_ip,
                    proto: walk.proto,
                    payload,
                    truncated: false,
                })
            }
            FragOutcome::Pending => Err("IPv6 fragment (reassembly pending)"),
            FragOutcome::Dropped(reason) => Err(reason),
        }
    }

    fn add_fragment(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        data: &[u8],
        next: Option<u8>,
    ) -> FragOutcome {
        let end = offset + data.len();
        if end > MAX_DATAGRAM {
            self.pending.remove(&key);
            return FragOutcome::Dropped("IP fragment beyond 65535 bytes (discarded datagram)");
        }
        if data.is_empty() && more {
            return FragOutcome::Dropped("empty IP fragment");
        }
        if !self.pending.contains_key(&key) {
            self.evict_if_full();
            self.generation += 1;
            self.order.push_back((key, self.generation));
            self.pending.insert(
                key,
                Pending {
                    generation: self.generation,
                    ..Pending::default()
                },
            );
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return FragOutcome::Dropped("IP fragment dropped");
        };
        if let Err(reason) = p.add(offset, more, data, next) {
            self.pending.remove(&key);
            return FragOutcome::Dropped(reason);
        }
        match (p.total, p.ranges.as_slice()) {
            (Some(total), [(0, e)]) if *e == total && total > 0 => {
                let Some(p) = self.pending.remove(&key) else {
                    return FragOutcome::Pending;
                };
                let mut data = p.buf;
                data.truncate(total);
                FragOutcome::Complete {
                    data,
                    next: p.first_next,
                }
            }
            _ => FragOutcome::Pending,
        }
    }

    fn evict_if_full(&mut self) {
        while self.pending.len() >= self.max_pending {
            let Some((key, generation)) = self.order.pop_front() else {
                // Cannot happen (every pending entry is in `order`); stay safe.
                self.pending.clear();
                break;
            };
            if self.pending.get(&key).map(|p| p.generation) == Some(generation) {
                self.pending.remove(&key);
            }
        }
        // Drop stale entries of completed datagrams now and then.
        if self.order.len() > 2 * self.max_pending + 16 {
            let pending = &self.pending;
            self.order
                .retain(|(k, g)| pending.get(k).map(|p| p.generation) == Some(*g));
        }
    }
}

impl Pending {
    fn add(
        &mut self,
        offset: usize,
        more: bool,
        data: &[u8],
        next: Option<u8>,
    ) -> Result<(), &'static str> {
        const INCONSISTENT: &str = "inconsistent IP fragments (discarded datagram)";
        let end = offset + data.len();
        if !more {
            if self.total.is_some_and(|t| t != end) {
                return Err(INCONSISTENT);
            }
            if self.ranges.last().is_some_and(|r| r.1 > end) {
                return Err(INCONSISTENT);
            }
            self.total = Some(end);
        } else if self.total.is_some_and(|t| end > t) {
            return Err(INCONSISTENT);
        }
        if offset == 0 {
            if let Some(n) = next {
                self.first_next = Some(n);
            }
        }
        // Overlaps are accepted only if the overlapping bytes are identical
        // (retransmitted fragments).
        for &(s, e) in &self.ranges {
            let (os, oe) = (s.max(offset), e.min(end));
            if os < oe {
                let old = self.buf.get(os..oe);
                let new = data.get(os - offset..oe - offset);
                if old != new {
                    return Err(
                        "overlapping IP fragments with different data (discarded datagram)",
                    );
                }
            }
        }
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        if let Some(dst) = self.buf.get_mut(offset..end) {
            dst.copy_from_slice(data);
        }
        // Insert and merge the received range.
        let mut merged = (offset, end);
        self.ranges.retain(|&(s, e)| {
            if s <= merged.1 && e >= merged.0 {
                merged = (merged.0.min(s), merged.1.max(e));
                false
            } else {
                true
            }
        });
        let pos = self.ranges.partition_point(|r| r.0 < merged.0);
        self.ranges.insert(pos, merged);
        Ok(())
    }
}

fn finish<'a>(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    payload: Cow<'a, [u8]>,
    truncated: bool,
    v6_walked: bool,
) -> Result<IpPacket<'a>, &'static str> {
    // IPv4: skip AH headers (IPv6 headers were already walked).
    let (proto, payload) = if v6_walked || proto != proto::AH {
        (proto, payload)
    } else {
        let walk = walk_headers(proto, &payload, 0, false)?;
        let len = payload.len();
        (walk.proto, sub_cow(payload, walk.offset..len))
    };
    Ok(IpPacket {
        src,
        dst,
        proto,
        payload,
        truncated,
    })
}

struct FragHeader {
    offset: usize,
    more: bool,
    id: u32,
}

struct Walk {
    /// Upper-layer protocol (or, when `fragment` is set, the fragment
    /// header's next-header value).
    proto: u8,
    /// Offset of the upper-layer data (or of the fragment data).
    offset: usize,
    fragment: Option<FragHeader>,
}

/// Follows IPv6 extension headers (and AH, for both versions) starting with
/// header type `next` at `offset`. Stops at the first upper-layer protocol or
/// at a (non-atomic) IPv6 fragment header.
fn walk_headers(
    mut next: u8,
    data: &[u8],
    mut offset: usize,
    v6: bool,
) -> Result<Walk, &'static str> {
    for _ in 0..MAX_EXT_HEADERS {
        let len = match next {
            proto::HOPOPT | proto::ROUTING | proto::DSTOPTS if v6 => {
                let l = data
                    .get(offset + 1)
                    .ok_or("truncated IPv6 extension header")?;
                (usize::from(*l) + 1) * 8
            }
            proto::AH => {
                let l = data.get(offset + 1).ok_or("truncated IPsec AH header")?;
                (usize::from(*l) + 2) * 4
            }
            proto::FRAGMENT if v6 => {
                let field = be16(data, offset + 2).ok_or("truncated IPv6 fragment header")?;
                let id = be32(data, offset + 4).ok_or("truncated IPv6 fragment header")?;
                let frag_offset = usize::from(field & 0xfff8);
                let more = field & 1 != 0;
                let after = data.get(offset).copied().unwrap_or(0);
                if frag_offset == 0 && !more {
                    // Atomic fragment (RFC 6946): not really fragmented.
                    next = after;
                    offset += 8;
                    continue;
                }
                return Ok(Walk {
                    proto: after,
                    offset: offset + 8,
                    fragment: Some(FragHeader {
                        offset: frag_offset,
                        more,
                        id,
                    }),
                });
            }
            _ => {
                return Ok(Walk {
                    proto: next,
                    offset,
                    fragment: None,
                })
            }
        };
        if offset + len > data.len() {
            return Err(if next == proto::AH {
                "truncated IPsec AH header"
            } else {
                "truncated IPv6 extension header"
            });
        }
        next = data.get(offset).copied().unwrap_or(0);
        offset += len;
    }
    Err("too many IPv6 extension headers")
}

fn ipv4_at(data: &[u8], off: usize) -> Option<Ipv4Addr> {
    be32(data, off).map(Ipv4Addr::from)
}

fn ipv6_at(data: &[u8], off: usize) -> Option<Ipv6Addr> {
    bytes16(data, off).map(Ipv6Addr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an IPv4 packet (no options, checksum zero).
    pub(crate) fn ipv4(proto: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut v = vec![0x45, 0];
        v.extend_from_slice(&total.to_be_bytes());
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(&frag.to_be_bytes());
        v.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        v.extend_from_slice(payload);
        v
    }

    fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(&[next, 64]);
        v.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        v.extend_from_slice(payload);
        v
    }

    fn frag6(next: u8, offset: u16, more: bool, id: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![next, 0];
        v.extend_from_slice(&(offset | u16::from(more)).to_be_bytes());
        v.extend_from_slice(&id.to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn ipv4_plain_and_trailer() {
        let mut ip = IpLayer::new(8);
        let mut p = ipv4(17, 1, 0, &[1, 2, 3, 4]);
        p.extend_from_slice(&[0xee; 6]); // Ethernet padding
        let pkt = ip.ipv4(Cow::Borrowed(&p)).unwrap();
        assert_eq!(pkt.proto, 17);
        assert_eq!(&*pkt.payload, &[1, 2, 3, 4]);
        assert!(matches!(pkt.payload, Cow::Borrowed(_)));
        assert!(!pkt.truncated);
        let pkt = ip.ipv4(Cow::Borrowed(&p[..22])).unwrap();
        assert!(pkt.truncated);
        assert_eq!(&*pkt.payload, &[1, 2]);
        assert!(ip.ipv4(Cow::Borrowed(&p[..19])).is_err());
        assert!(ip.ipv4(Cow::Borrowed(&[0x46, 0, 0, 20])).is_err());
    }

    #[test]
    fn ipv4_fragments_out_of_order_with_duplicate() {
        let mut ip = IpLayer::new(8);
        let data: Vec<u8> = (0..40u8).collect();
        let f1 = ipv4(17, 7, 0x2000, &data[..16]);
        let f2 = ipv4(17, 7, 0x2000 | 2, &data[16..32]);
        let f3 = ipv4(17, 7, 4, &data[32..]);
        assert!(ip.ipv4(Cow::Borrowed(&f3)).is_err());
        assert!(ip.ipv4(Cow::Borrowed(&f1)).is_err());
        assert!(ip.ipv4(Cow::Borrowed(&f1)).is_err()); // duplicate
        let pkt = ip.ipv4(Cow::Borrowed(&f2)).unwrap();
        assert_eq!(&*pkt.payload, &data[..]);
        assert_eq!(ip.pending_datagrams(), 0);
    }

    #[test]
    fn ipv4_conflicting_overlap_discards() {
        let mut ip = IpLayer::new(8);
        let f1 = ipv4(17, 9, 0x2000, &[1; 16]);
        let f1b = ipv4(17, 9, 0x2000 | 1, &[2; 16]);
        assert_eq!(
            ip.ipv4(Cow::Borrowed(&f1)).unwrap_err(),
            "IPv4 fragment (reassembly pending)"
        );
        assert!(ip
            .ipv4(Cow::Borrowed(&f1b))
            .unwrap_err()
            .contains("overlapping"));
        assert_eq!(ip.pending_datagrams(), 0);
        // Beyond 65535 bytes.
        let big = ipv4(17, 10, 0x1fff, &[0; 16]);
        assert!(ip.ipv4(Cow::Borrowed(&big)).unwrap_err().contains("65535"));
    }

    #[test]
    fn fragment_table_is_bounded() {
        let mut ip = IpLayer::new(4);
        for id in 0..100u16 {
            let f = ipv4(17, id, 0x2000, &[0; 8]);
            let _ = ip.ipv4(Cow::Borrowed(&f));
            assert!(ip.pending_datagrams() <= 4);
        }
        assert!(ip.order.len() <= 2 * 4 + 17);
    }

    #[test]
    fn ipv6_extension_headers_and_fragments() {
        let mut ip = IpLayer::new(8);
        // hop-by-hop (8 bytes) then destination options (8 bytes) then UDP.
        let mut ext = vec![60, 0, 0, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[9, 9]);
        let p = ipv6(0, &ext);
        let pkt = ip.ipv6(Cow::Borrowed(&p)).unwrap();
        assert_eq!(pkt.proto, 17);
        assert_eq!(&*pkt.payload, &[9, 9]);

        // Fragmented: the fragmentable part starts with a destination option.
        let mut inner = vec![17, 0, 0, 0, 0, 0, 0, 0];
        inner.extend((0..20u8).collect::<Vec<_>>());
        let a = ipv6(44, &frag6(60, 0, true, 5, &inner[..16]));
        let b = ipv6(44, &frag6(60, 16, false, 5, &inner[16..]));
        assert!(ip.ipv6(Cow::Borrowed(&b)).is_err());
        let pkt = ip.ipv6(Cow::Borrowed(&a)).unwrap();
        assert_eq!(pkt.proto, 17);
        assert_eq!(&*pkt.payload, &inner[8..]);
        // Atomic fragment.
        let c = ipv6(44, &frag6(17, 0, false, 6, &[1, 2, 3]));
        let pkt = ip.ipv6(Cow::Borrowed(&c)).unwrap();
        assert_eq!((pkt.proto, &*pkt.payload), (17, &[1u8, 2, 3][..]));
        // Truncated extension header.
        let d = ipv6(0, &[17, 3, 0, 0]);
        assert!(ip.ipv6(Cow::Borrowed(&d)).is_err());
    }

    #[test]
    fn ah_is_skipped() {
        let mut ip = IpLayer::new(8);
        // AH with payload length 4 -> (4+2)*4 = 24 bytes, next header ESP.
        let mut ah = vec![50, 4];
        ah.extend_from_slice(&[0; 22]);
        ah.extend_from_slice(&[0xaa, 0xbb]);
        let p = ipv4(51, 1, 0, &ah);
        let pkt = ip.ipv4(Cow::Borrowed(&p)).unwrap();
        assert_eq!((pkt.proto, &*pkt.payload), (50, &[0xaa, 0xbb][..]));
    }

    #[test]
    fn sub_cow_clamps() {
        let v = [1u8, 2, 3];
        assert_eq!(&*sub_cow(Cow::Borrowed(&v), 2..10), &[3]);
        assert_eq!(&*sub_cow(Cow::Borrowed(&v), 5..10), &[] as &[u8]);
        assert_eq!(&*sub_cow(Cow::Owned(v.to_vec()), 1..2), &[2]);
        assert_eq!(
            &*sub_cow(Cow::Owned(v.to_vec()), Range { start: 4, end: 2 }),
            &[] as &[u8]
        );
    }
}
