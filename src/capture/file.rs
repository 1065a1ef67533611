//! Capture-file containers: classic pcap and pcapng.
//!
//! Classic pcap (both byte orders; microsecond, nanosecond and the old
//! "modified" Kuznetzov variant) is read directly: it is two fixed-size
//! structures. pcapng block bodies (section header, interface description,
//! enhanced and simple packet blocks) are decoded with `pcap-parser`; the block
//! framing, the obsolete packet block and the timestamp arithmetic are done
//! here so that every length is checked and every error carries a file offset.

use pcap_parser::pcapng::{
    parse_enhancedpacketblock_be, parse_enhancedpacketblock_le, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock, parse_simplepacketblock_be,
    parse_simplepacketblock_le,
};

use super::bytes::{be32, u16_at, u32_at};
use super::error::CaptureError;
use super::link::LinkType;

/// A capture timestamp: seconds since the Unix epoch plus nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative with pcapng
    /// `if_tsoffset`).
    pub secs: i64,
    /// Fraction of a second in nanoseconds, always `< 1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// Builds a timestamp from seconds and a sub-second count in `units_per_sec`
    /// units, normalising a fraction of one second or more into `secs`.
    fn from_units(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
        let units = units_per_sec.max(1);
        let secs = secs.saturating_add(i64::try_from(frac / units).unwrap_or(i64::MAX));
        let frac = frac % units;
        // frac < units <= u64::MAX, so the product fits in u128 and the
        // quotient is < 1e9.
        let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(units)) as u32;
        Timestamp { secs, nanos }
    }

    /// The timestamp as fractional seconds (loses precision beyond ~microseconds).
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap format.
    Pcap {
        /// Header and records are big-endian.
        big_endian: bool,
        /// Timestamps have nanosecond (rather than microsecond) resolution.
        nanosecond: bool,
        /// Link-layer type of every frame.
        link_type: LinkType,
    },
    /// pcapng; each interface has its own link type and timestamp resolution.
    PcapNg {
        /// The first section is big-endian.
        big_endian: bool,
    },
}

/// One captured frame, borrowing its bytes from the file buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based frame number as Wireshark shows it. pcapng custom and systemd
    /// journal blocks, which Wireshark numbers too, take a number without
    /// being yielded, so numbers can skip.
    pub number: u32,
    /// Capture timestamp (zero for pcapng simple packet blocks, which have none).
    pub timestamp: Timestamp,
    /// Link-layer type of `data`.
    pub link_type: LinkType,
    /// pcapng interface id within its section (always 0 for classic pcap).
    pub interface: u32,
    /// The captured bytes (possibly shorter than `original_len`).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub original_len: u32,
}

/// A capture file held in memory, validated at its header.
///
/// ```
/// # fn main() -> Result<(), rike::capture::CaptureError> {
/// # let file: &[u8] = &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
/// #                     0xff, 0xff, 0, 0, 1, 0, 0, 0];
/// let capture = rike::capture::Capture::parse(file)?;
/// for frame in capture.frames() {
///     let frame = frame?;
///     println!("frame {} ({} bytes)", frame.number, frame.data.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Capture<'a> {
    data: &'a [u8],
    kind: Kind,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Pcap(PcapInfo),
    PcapNg { big_endian: bool },
}

#[derive(Clone, Copy, Debug)]
struct PcapInfo {
    big_endian: bool,
    nanosecond: bool,
    /// Records carry 8 extra bytes (the "modified" pcap format of old Red Hat
    /// tcpdump builds).
    modified: bool,
    link_type: LinkType,
}

const PCAP_HEADER_LEN: usize = 24;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_OPB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_EPB: u32 = 6;
const PCAPNG_SJE: u32 = 9;
const PCAPNG_CB: u32 = 0x0000_0bad;
const PCAPNG_DCB: u32 = 0x4000_0bad;
/// Upper bound for a single record's captured length. Larger values are
/// reported as corruption rather than as truncation (libpcap's own limit is
/// 256 KiB for most link types, a few use up to 128 MiB).
const MAX_CAPLEN: u32 = 0x0800_0000;
/// Mask of the link-type bits of the pcap header `network` field (the upper
/// bits may carry FCS information).
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

impl<'a> Capture<'a> {
    /// Recognises a pcap or pcapng file and validates its file header.
    ///
    /// Frame records are only read by [`Capture::frames`]. Fails with
    /// [`CaptureError::UnsupportedLinkType`] when no frame of the file could be
    /// decoded (classic pcap with an unsupported link type, or pcapng whose
    /// interfaces all have unsupported link types).
    pub fn parse(data: &'a [u8]) -> Result<Capture<'a>, CaptureError> {
        let magic = be32(data, 0).ok_or(CaptureError::NotACapture { magic: None })?;
        // (big_endian, nanosecond, modified)
        let (big_endian, nanosecond, modified) = match magic {
            0xa1b2_c3d4 => (true, false, false),
            0xd4c3_b2a1 => (false, false, false),
            0xa1b2_3c4d => (true, true, false),
            0x4d3c_b2a1 => (false, true, false),
            0xa1b2_cd34 => (true, false, true),
            0x34cd_b2a1 => (false, false, true),
            PCAPNG_SHB => return Self::parse_pcapng(data),
            _ => return Err(CaptureError::NotACapture { magic: Some(magic) }),
        };
        let network = u32_at(data, 20, big_endian).ok_or(CaptureError::Truncated {
            offset: 0,
            what: "pcap file header",
        })?;
        let link_type = LinkType(network & LINKTYPE_MASK);
        if !link_type.is_supported() {
            return Err(CaptureError::UnsupportedLinkType(link_type));
        }
        Ok(Capture {
            data,
            kind: Kind::Pcap(PcapInfo {
                big_endian,
                nanosecond,
                modified,
                link_type,
            }),
        })
    }

    fn parse_pcapng(data: &'a [u8]) -> Result<Capture<'a>, CaptureError> {
        let bom = be32(data, 8).ok_or(CaptureError::Truncated {
            offset: 0,
            what: "pcapng section header block",
        })?;
        let big_endian = match bom {
            PCAPNG_BOM => true,
            0x4d3c_2b1a => false,
            _ => {
                return Err(CaptureError::Corrupt {
                    offset: 8,
                    reason: "invalid pcapng byte-order magic",
                })
            }
        };
        // Reject files none of whose interfaces can be decoded. Errors are
        // ignored here: they are reported by the frame iterator, after the
        // frames that precede them.
        let mut blocks = BlockWalker {
            data,
            offset: 0,
            big_endian,
        };
        let mut first_unsupported = None;
        let mut any_supported = false;
        while let Some(Ok(block)) = blocks.next_block() {
            if block.kind == PCAPNG_IDB {
                if let Some(lt) = u16_at(block.body, 0, blocks.big_endian) {
                    let lt = LinkType(u32::from(lt));
                    if lt.is_supported() {
                        any_supported = true;
                        break;
                    }
                    first_unsupported.get_or_insert(lt);
                }
            }
        }
        if let (false, Some(lt)) = (any_supported, first_unsupported) {
            return Err(CaptureError::UnsupportedLinkType(lt));
        }
        Ok(Capture {
            data,
            kind: Kind::PcapNg { big_endian },
        })
    }

    /// The container format.
    pub fn format(&self) -> Format {
        match self.kind {
            Kind::Pcap(p) => Format::Pcap {
                big_endian: p.big_endian,
                nanosecond: p.nanosecond,
                link_type: p.link_type,
            },
            Kind::PcapNg { big_endian } => Format::PcapNg { big_endian },
        }
    }

    /// Iterates over the frames of the file, in file order.
    ///
    /// The iterator yields `Err` at most once (a truncated or corrupt record)
    /// and then ends; all frames before the error are yielded first.
    pub fn frames(&self) -> Frames<'a> {
        let state = match self.kind {
            Kind::Pcap(info) => State::Pcap(info),
            Kind::PcapNg { big_endian } => State::PcapNg(NgState {
                walker: BlockWalker {
                    data: self.data,
                    offset: 0,
                    big_endian,
                },
                interfaces: Vec::new(),
            }),
        };
        Frames {
            data: self.data,
            offset: PCAP_HEADER_LEN,
            number: 0,
            done: false,
            state,
        }
    }
}

/// Iterator over the frames of a [`Capture`]; see [`Capture::frames`].
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    data: &'a [u8],
    /// Next record offset (classic pcap only).
    offset: usize,
    number: u32,
    done: bool,
    state: State<'a>,
}

#[derive(Clone, Debug)]
enum State<'a> {
    Pcap(PcapInfo),
    PcapNg(NgState<'a>),
}

#[derive(Clone, Debug)]
struct NgState<'a> {
    walker: BlockWalker<'a>,
    interfaces: Vec<Interface>,
}

/// What a pcapng interface description contributes to its packets.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    units_per_sec: u64,
    offset_secs: i64,
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match &mut self.state {
            State::Pcap(info) => next_pcap(self.data, &mut self.offset, info, &mut self.number),
            State::PcapNg(ng) => ng.next_packet(&mut self.number),
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for Frames<'_> {}

fn next_pcap<'a>(
    data: &'a [u8],
    offset: &mut usize,
    info: &PcapInfo,
    number: &mut u32,
) -> Option<Result<Frame<'a>, CaptureError>> {
    let start = *offset;
    let rest = data.get(start..).filter(|r| !r.is_empty())?;
    let hdr_len = if info.modified { 24 } else { 16 };
    let truncated = CaptureError::Truncated {
        offset: start,
        what: "packet record",
    };
    if rest.len() < hdr_len {
        return Some(Err(truncated));
    }
    let field = |i: usize| u32_at(rest, i * 4, info.big_endian).unwrap_or(0);
    let (ts_sec, ts_frac, caplen, origlen) = (field(0), field(1), field(2), field(3));
    if caplen > MAX_CAPLEN {
        return Some(Err(CaptureError::Corrupt {
            offset: start,
            reason: "packet record with implausibly large captured length",
        }));
    }
    let Some(frame) = rest.get(hdr_len..hdr_len + caplen as usize) else {
        return Some(Err(truncated));
    };
    *offset = start + hdr_len + caplen as usize;
    *number = number.saturating_add(1);
    let units = if info.nanosecond {
        1_000_000_000
    } else {
        1_000_000
    };
    Some(Ok(Frame {
        number: *number,
        timestamp: Timestamp::from_units(i64::from(ts_sec), u64::from(ts_frac), units),
        link_type: info.link_type,
        interface: 0,
        data: frame,
        original_len: origlen,
    }))
}

/// One framed pcapng block.
#[derive(Clone, Copy, Debug)]
struct RawBlock<'a> {
    /// Block type in the section's byte order.
    kind: u32,
    /// Offset of the block in the file.
    offset: usize,
    /// The whole block, including type and both length fields.
    block: &'a [u8],
    /// The block body (between the leading and trailing length fields).
    body: &'a [u8],
}

/// Splits a pcapng file into blocks, tracking the byte order of each section.
#[derive(Clone, Debug)]
struct BlockWalker<'a> {
    data: &'a [u8],
    offset: usize,
    big_endian: bool,
}

impl<'a> BlockWalker<'a> {
    fn next_block(&mut self) -> Option<Result<RawBlock<'a>, CaptureError>> {
        let offset = self.offset;
        let rest = self.data.get(offset..).filter(|r| !r.is_empty())?;
        let truncated = |what| Some(Err(CaptureError::Truncated { offset, what }));
        let corrupt = |reason| Some(Err(CaptureError::Corrupt { offset, reason }));
        let Some(raw_kind) = be32(rest, 0) else {
            return truncated("pcapng block header");
        };
        if raw_kind == PCAPNG_SHB {
            // A new section: its byte-order magic decides how to read the rest.
            match be32(rest, 8) {
                Some(PCAPNG_BOM) => self.big_endian = true,
                Some(0x4d3c_2b1a) => self.big_endian = false,
                Some(_) => return corrupt("invalid pcapng byte-order magic"),
                None => return truncated("pcapng section header block"),
            }
        }
        let be = self.big_endian;
        let (Some(kind), Some(len)) = (u32_at(rest, 0, be), u32_at(rest, 4, be)) else {
            return truncated("pcapng block header");
        };
        if len < 12 || len % 4 != 0 {
            return corrupt("invalid pcapng block length");
        }
        let Some(block) = rest.get(..len as usize) else {
            return truncated("pcapng block");
        };
        let len = len as usize;
        if u32_at(block, len - 4, be) != Some(len as u32) {
            return corrupt("pcapng block trailing length does not match");
        }
        self.offset = offset + len;
        Some(Ok(RawBlock {
            kind,
            offset,
            block,
            body: block.get(8..len - 4).unwrap_or_default(),
        }))
    }
}

impl<'a> NgState<'a> {
    /// Reads blocks up to the next packet. `number` is the last frame number
    /// assigned; it is advanced for every block Wireshark numbers.
    fn next_packet(&mut self, number: &mut u32) -> Option<Result<Frame<'a>, CaptureError>> {
        loop {
            let block = match self.walker.next_block()? {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            let be = self.walker.big_endian;
            let corrupt = |reason| {
                Some(Err(CaptureError::Corrupt {
                    offset: block.offset,
                    reason,
                }))
            };
            let packet_number = number.saturating_add(1);
            match block.kind {
                PCAPNG_SHB => {
                    let Ok((_, shb)) = parse_sectionheaderblock(block.block) else {
                        return corrupt("invalid pcapng section header block");
                    };
                    if shb.major_version != 1 {
                        return corrupt("unsupported pcapng major version");
                    }
                    self.interfaces.clear();
                }
                PCAPNG_IDB => match self.interface(&block) {
                    Ok(iface) => self.interfaces.push(iface),
                    Err(reason) => return corrupt(reason),
                },
                PCAPNG_EPB => {
                    let parsed = if be {
                        parse_enhancedpacketblock_be(block.block)
                    } else {
                        parse_enhancedpacketblock_le(block.block)
                    };
                    let Ok((_, epb)) = parsed else {
                        return corrupt("invalid pcapng enhanced packet block");
                    };
                    let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
                        return corrupt("packet block refers to an undefined interface");
                    };
                    let Some(data) = epb.data.get(..epb.caplen as usize) else {
                        return corrupt("invalid pcapng enhanced packet block");
                    };
                    *number = packet_number;
                    return Some(Ok(iface.frame(
                        packet_number,
                        epb.if_id,
                        epb.ts_high,
                        epb.ts_low,
                        data,
                        epb.origlen,
                    )));
                }
                PCAPNG_OPB => {
                    // Obsolete packet block: if_id u16, drops u16, ts, caplen, len.
                    let b = block.body;
                    let (Some(if_id), Some(hi), Some(lo), Some(caplen), Some(origlen)) = (
                        u16_at(b, 0, be),
                        u32_at(b, 4, be),
                        u32_at(b, 8, be),
                        u32_at(b, 12, be),
                        u32_at(b, 16, be),
                    ) else {
                        return corrupt("invalid pcapng packet block");
                    };
                    let Some(data) = b.get(20..).and_then(|d| d.get(..caplen as usize)) else {
                        return corrupt("invalid pcapng packet block");
                    };
                    let Some(iface) = self.interfaces.get(usize::from(if_id)) else {
                        return corrupt("packet block refers to an undefined interface");
                    };
                    *number = packet_number;
                    return Some(Ok(iface.frame(
                        packet_number,
                        u32::from(if_id),
                        hi,
                        lo,
                        data,
                        origlen,
                    )));
                }
                PCAPNG_SPB => {
                    let parsed = if be {
                        parse_simplepacketblock_be(block.block)
                    } else {
                        parse_simplepacketblock_le(block.block)
                    };
                    let Ok((_, spb)) = parsed else {
                        return corrupt("invalid pcapng simple packet block");
                    };
                    let Some(iface) = self.interfaces.first() else {
                        return corrupt("packet block refers to an undefined interface");
                    };
                    // Captured length: min(original length, snaplen, block space).
                    let mut caplen = spb.origlen as usize;
                    if iface.snaplen != 0 {
                        caplen = caplen.min(iface.snaplen as usize);
                    }
                    let data = spb.data.get(..caplen).unwrap_or(spb.data);
                    let mut frame = iface.frame(packet_number, 0, 0, 0, data, spb.origlen);
                    frame.timestamp = Timestamp::default();
                    *number = packet_number;
                    return Some(Ok(frame));
                }
                // Wireshark shows these as records with a frame number of
                // their own; keep the numbering in step without yielding them.
                PCAPNG_CB | PCAPNG_DCB | PCAPNG_SJE => *number = packet_number,
                // Name resolution, statistics, secrets and unknown blocks.
                _ => {}
            }
        }
    }

    fn interface(&self, block: &RawBlock<'_>) -> Result<Interface, &'static str> {
        let be = self.walker.big_endian;
        let parsed = if be {
            parse_interfacedescriptionblock_be(block.block)
        } else {
            parse_interfacedescriptionblock_le(block.block)
        };
        let (_, idb) = parsed.map_err(|_| "invalid pcapng interface description block")?;
        let mut units_per_sec = 1_000_000;
        let mut offset_secs = 0;
        for opt in &idb.options {
            let value = opt.value();
            match (opt.code.0, opt.len) {
                // if_tsresol
                (9, 1) => {
                    let r = value.first().copied().unwrap_or(6);
                    units_per_sec = if r & 0x80 == 0 {
                        10u64.checked_pow(u32::from(r))
                    } else {
                        1u64.checked_shl(u32::from(r & 0x7f))
                    }
                    .ok_or("invalid pcapng if_tsresol option")?;
                }
                // if_tsoffset (pcap-parser always reads it little-endian)
                (14, 8) => {
                    if let Some(v) = value.get(..8).and_then(|v| <[u8; 8]>::try_from(v).ok()) {
                        offset_secs = if be {
                            i64::from_be_bytes(v)
                        } else {
                            i64::from_le_bytes(v)
                        };
                    }
                }
                _ => {}
            }
        }
        Ok(Interface {
            link_type: LinkType(u32::from(idb.linktype.0 as u16)),
            snaplen: idb.snaplen,
            units_per_sec,
            offset_secs,
        })
    }
}

impl Interface {
    fn frame<'a>(
        &self,
        number: u32,
        interface: u32,
        ts_high: u32,
        ts_low: u32,
        data: &'a [u8],
        original_len: u32,
    ) -> Frame<'a> {
        let ts = (u64::from(ts_high) << 32) | u64::from(ts_low);
        Frame {
            number,
            timestamp: Timestamp::from_units(self.offset_secs, ts, self.units_per_sec),
            link_type: self.link_type,
            interface,
            data,
            original_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_units() {
        let t = Timestamp::from_units(10, 1_500_000, 1_000_000);
        assert_eq!(
            t,
            Timestamp {
                secs: 11,
                nanos: 500_000_000
            }
        );
        let t = Timestamp::from_units(-5, 3, 2);
        assert_eq!(
            t,
            Timestamp {
                secs: -4,
                nanos: 500_000_000
            }
        );
        let t = Timestamp::from_units(i64::MAX, u64::MAX, 1);
        assert_eq!(t.secs, i64::MAX);
        let t = Timestamp::from_units(0, u64::MAX, 1 << 63);
        assert_eq!(t.secs, 1);
        assert!(t.nanos < 1_000_000_000);
    }

    #[test]
    fn short_inputs() {
        assert_eq!(
            Capture::parse(&[]).unwrap_err(),
            CaptureError::NotACapture { magic: None }
        );
        assert_eq!(
            Capture::parse(&[0xd4, 0xc3, 0xb2, 0xa1, 2]).unwrap_err(),
            CaptureError::Truncated {
                offset: 0,
                what: "pcap file header"
            }
        );
        assert!(matches!(
            Capture::parse(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 1, 2, 3, 4]),
            Err(CaptureError::Corrupt { offset: 8, .. })
        ));
    }
}
