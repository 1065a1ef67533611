//! From frames to transport payloads: the [`Decoder`] and its output.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use super::bytes::be16;
use super::file::Frame;
use super::ip::{proto, sub_cow, IpLayer, IpPacket};
use super::link::{decapsulate, NetPacket};
use super::tcp::{self, TcpLayer};

/// Which way a TCP segment travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the side that opened the connection (sent the SYN, or, when the
    /// handshake is not captured, sent the first segment seen).
    ClientToServer,
    /// From the side that accepted the connection.
    ServerToClient,
}

/// What the [`Decoder`] extracted from a frame.
///
/// Payloads borrow from the capture buffer unless they had to be reassembled
/// (IP fragments, out-of-order TCP data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    /// A UDP datagram.
    Udp {
        /// Frame in which the datagram was (or, if fragmented, completed).
        frame: u32,
        /// Source address and port.
        src: SocketAddr,
        /// Destination address and port.
        dst: SocketAddr,
        /// The UDP payload (without the UDP header); only the captured part
        /// when `truncated`.
        payload: Cow<'a, [u8]>,
        /// The datagram is incomplete: the capture length cut it short (or
        /// a first IP fragment that could never be reassembled), or its UDP
        /// length claims more than the IP packet holds.
        truncated: bool,
    },
    /// The next in-order bytes of one direction of a TCP stream.
    Tcp {
        /// Frame whose decoding made these bytes available.
        frame: u32,
        /// Stream id, numbered from 0 in order of first appearance.
        stream: u32,
        /// Direction of the bytes.
        direction: Direction,
        /// Sender address and port.
        src: SocketAddr,
        /// Receiver address and port.
        dst: SocketAddr,
        /// Bytes following the previous chunk of the same direction.
        data: Cow<'a, [u8]>,
    },
    /// Bytes of a TCP stream direction that are missing from the capture were
    /// skipped; the next [`Segment::Tcp`] chunk does not follow the previous one.
    TcpGap {
        /// Frame whose decoding revealed the gap.
        frame: u32,
        /// Stream id.
        stream: u32,
        /// Direction of the missing bytes.
        direction: Direction,
        /// Sender address and port.
        src: SocketAddr,
        /// Receiver address and port.
        dst: SocketAddr,
        /// Number of bytes skipped.
        missing: u64,
    },
    /// An ESP packet (IP protocol 50), reported raw.
    Esp {
        /// Frame in which the packet was (or, if fragmented, completed).
        frame: u32,
        /// Source address.
        src: IpAddr,
        /// Destination address.
        dst: IpAddr,
        /// Everything after the IP header(s): SPI, sequence number, ... (only
        /// the captured part if the frame was truncated).
        payload: Cow<'a, [u8]>,
    },
    /// The frame yielded nothing else; `reason` says why (non-IP, truncated,
    /// other protocol, fragment waiting for reassembly, TCP without new data...).
    Skipped {
        /// The frame.
        frame: u32,
        /// Short human-readable explanation.
        reason: &'static str,
    },
}

impl Segment<'_> {
    /// The frame number the segment is reported at.
    pub fn frame(&self) -> u32 {
        match self {
            Segment::Udp { frame, .. }
            | Segment::Tcp { frame, .. }
            | Segment::TcpGap { frame, .. }
            | Segment::Esp { frame, .. }
            | Segment::Skipped { frame, .. } => *frame,
        }
    }

    /// Converts into a segment owning its payload.
    pub fn into_owned(self) -> Segment<'static> {
        let own = |c: Cow<'_, [u8]>| Cow::Owned(c.into_owned());
        match self {
            Segment::Udp {
                frame,
                src,
                dst,
                payload,
                truncated,
            } => Segment::Udp {
                frame,
                src,
                dst,
                payload: own(payload),
                truncated,
            },
            Segment::Tcp {
                frame,
                stream,
                direction,
                src,
                dst,
                data,
            } => Segment::Tcp {
                frame,
                stream,
                direction,
                src,
                dst,
                data: own(data),
            },
            Segment::TcpGap {
                frame,
                stream,
                direction,
                src,
                dst,
                missing,
            } => Segment::TcpGap {
                frame,
                stream,
                direction,
                src,
                dst,
                missing,
            },
            Segment::Esp {
                frame,
                src,
                dst,
                payload,
            } => Segment::Esp {
                frame,
                src,
                dst,
                payload: own(payload),
            },
            Segment::Skipped { frame, reason } => Segment::Skipped { frame, reason },
        }
    }
}

/// Memory bounds of a [`Decoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of IP datagrams being reassembled at once; the oldest
    /// is discarded when a new one would exceed it. Default 1024.
    pub max_fragmented_datagrams: usize,
    /// Maximum number of TCP connections tracked; the oldest is forgotten
    /// when a new one would exceed it. Default 16384.
    pub max_tcp_connections: usize,
    /// Maximum out-of-order bytes buffered per TCP direction; beyond it the
    /// oldest gap is skipped (reported as [`Segment::TcpGap`]). Default 1 MiB.
    pub max_tcp_buffered_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_fragmented_datagrams: 1024,
            max_tcp_connections: 16384,
            max_tcp_buffered_bytes: 1 << 20,
        }
    }
}

/// Maximum IP-in-IP nesting followed.
const MAX_TUNNEL_DEPTH: u8 = 4;

/// Decodes frames into UDP datagrams, TCP stream data and ESP packets,
/// reassembling IP fragments and TCP streams across frames.
///
/// Feed it every frame of a capture, in order:
///
/// ```
/// # fn main() -> Result<(), rike::capture::CaptureError> {
/// # let file: &[u8] = &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
/// #                     0xff, 0xff, 0, 0, 1, 0, 0, 0];
/// use rike::capture::{Capture, Decoder, Segment};
/// let capture = Capture::parse(file)?;
/// let mut decoder = Decoder::new();
/// let mut out = Vec::new();
/// for frame in capture.frames() {
///     decoder.decode(&frame?, &mut out);
/// }
/// for segment in &out {
///     if let Segment::Udp { frame, src, dst, payload, .. } = segment {
///         println!("{frame}: {src} -> {dst}, {} bytes", payload.len());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Decoder {
    ip: IpLayer,
    tcp: TcpLayer,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder with [`Limits::default`].
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// A decoder with the given memory bounds.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            ip: IpLayer::new(limits.max_fragmented_datagrams),
            tcp: TcpLayer::new(limits.max_tcp_connections, limits.max_tcp_buffered_bytes),
        }
    }

    /// Decodes one frame, appending what it yields to `out`.
    ///
    /// Every frame appends at least one segment: a [`Segment::Skipped`] when
    /// it yields nothing else. Segments of reassembled data are appended when
    /// the frame completing them is decoded.
    pub fn decode<'a>(&mut self, frame: &Frame<'a>, out: &mut Vec<Segment<'a>>) {
        let start = out.len();
        let reason = match decapsulate(frame.link_type, frame.data) {
            Ok(NetPacket::Ipv4(p)) => self.network(frame.number, Cow::Borrowed(p), false, 0, out),
            Ok(NetPacket::Ipv6(p)) => self.network(frame.number, Cow::Borrowed(p), true, 0, out),
            Err(reason) => reason,
        };
        if out.len() == start {
            out.push(Segment::Skipped {
                frame: frame.number,
                reason,
            });
        }
    }

    /// Signals the end of the capture: delivers TCP data still buffered
    /// behind gaps (each gap reported as [`Segment::TcpGap`]).
    pub fn finish(&mut self, out: &mut Vec<Segment<'static>>) {
        self.tcp.finish(out);
    }

    /// Number of IP datagrams waiting for missing fragments.
    pub fn pending_fragmented_datagrams(&self) -> usize {
        self.ip.pending_datagrams()
    }

    /// Number of TCP connections tracked.
    pub fn tcp_connections(&self) -> usize {
        self.tcp.connections()
    }

    /// Decodes an IP packet; returns the reason when nothing was appended.
    fn network<'a>(
        &mut self,
        frame: u32,
        pkt: Cow<'a, [u8]>,
        v6: bool,
        depth: u8,
        out: &mut Vec<Segment<'a>>,
    ) -> &'static str {
        let ip = if v6 {
            self.ip.ipv6(pkt)
        } else {
            self.ip.ipv4(pkt)
        };
        let ip = match ip {
            Ok(ip) => ip,
            Err(reason) => return reason,
        };
        match ip.proto {
            proto::UDP => udp(frame, ip, out),
            proto::TCP => {
                if ip.truncated {
                    return "TCP segment truncated by capture length";
                }
                let header = match tcp::parse(ip.payload) {
                    Ok(h) => h,
                    Err(reason) => return reason,
                };
                let src = SocketAddr::new(ip.src, header.src_port);
                let dst = SocketAddr::new(ip.dst, header.dst_port);
                self.tcp.segment(frame, src, dst, header, out)
            }
            proto::ESP => {
                out.push(Segment::Esp {
                    frame,
                    src: ip.src,
                    dst: ip.dst,
                    payload: ip.payload,
                });
                ""
            }
            proto::IPIP | proto::IPV6 if depth < MAX_TUNNEL_DEPTH => {
                if ip.truncated {
                    return "tunnelled IP packet truncated by capture length";
                }
                self.network(frame, ip.payload, ip.proto == proto::IPV6, depth + 1, out)
            }
            1 | 58 => "ICMP",
            proto::AH => "IPsec AH without payload",
            _ => "IP protocol other than UDP, TCP or ESP",
        }
    }
}

fn udp<'a>(frame: u32, ip: IpPacket<'a>, out: &mut Vec<Segment<'a>>) -> &'static str {
    let (Some(sport), Some(dport), Some(len)) = (
        be16(&ip.payload, 0),
        be16(&ip.payload, 2),
        be16(&ip.payload, 4),
    ) else {
        return "truncated UDP header";
    };
    let len = usize::from(len);
    if len < 8 {
        return "invalid UDP length";
    }
    // A datagram cut short by the capture length, or whose UDP length
    // claims more than the IP packet holds, is still reported with what is
    // there (marked truncated): a dissector can show its header, as
    // Wireshark does.
    let truncated = len > ip.payload.len();
    let end = len.min(ip.payload.len());
    out.push(Segment::Udp {
        frame,
        src: SocketAddr::new(ip.src, sport),
        dst: SocketAddr::new(ip.dst, dport),
        payload: sub_cow(ip.payload, 8..end),
        truncated,
    });
    ""
}
