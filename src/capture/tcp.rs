//! TCP stream reassembly.
//!
//! Each connection (identified by its two endpoints) gets a stable stream id,
//! numbered from 0 in order of appearance like Wireshark's `tcp.stream`. For
//! each direction, bytes are delivered exactly once and in sequence order:
//! retransmitted and overlapping bytes are dropped (the first copy wins),
//! out-of-order segments are buffered until the gap before them is filled.
//!
//! A gap that will never be filled (segments missing from the capture) is
//! skipped, and reported as [`Segment::TcpGap`], when the peer acknowledges
//! data beyond it or when the direction's buffer limit is reached;
//! [`Decoder::finish`](super::Decoder::finish) skips the remaining gaps at the
//! end of the capture.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

use super::bytes::{be16, be32};
use super::decode::{Direction, Segment};
use super::ip::sub_cow;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

/// A parsed TCP header with its payload.
#[derive(Debug)]
pub(crate) struct TcpHeader<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: Cow<'a, [u8]>,
}

/// Parses a TCP header at the start of `seg`.
pub(crate) fn parse(seg: Cow<'_, [u8]>) -> Result<TcpHeader<'_>, &'static str> {
    let d: &[u8] = &seg;
    let (Some(src_port), Some(dst_port), Some(seq), Some(ack), Some(off), Some(flags)) = (
        be16(d, 0),
        be16(d, 2),
        be32(d, 4),
        be32(d, 8),
        d.get(12),
        d.get(13),
    ) else {
        return Err("truncated TCP header");
    };
    let hlen = usize::from(off >> 4) * 4;
    if hlen < 20 {
        return Err("TCP header length below 20");
    }
    if hlen > d.len() {
        return Err("truncated TCP header");
    }
    let flags = *flags;
    let len = d.len();
    Ok(TcpHeader {
        src_port,
        dst_port,
        seq,
        ack,
        flags,
        payload: sub_cow(seg, hlen..len),
    })
}

/// Connection key: the two endpoints in a canonical order.
type ConnKey = (SocketAddr, SocketAddr);

fn conn_key(a: SocketAddr, b: SocketAddr) -> ConnKey {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// One direction of a connection.
#[derive(Debug, Default)]
struct Half {
    /// Sequence number of the next byte to deliver; `None` until the first
    /// segment of this direction is seen.
    next_seq: Option<u32>,
    /// ISN from this direction's SYN, if one was seen.
    isn: Option<u32>,
    /// Stream offset of `next_seq` (bytes delivered or skipped so far).
    delivered: u64,
    /// Out-of-order data by stream offset: (frame, bytes).
    pending: BTreeMap<u64, (u32, Vec<u8>)>,
    pending_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin: Option<u64>,
}

impl Half {
    /// Stream offset of sequence number `seq`, relative to `next_seq`
    /// (within +-2 GiB). Must only be called once `next_seq` is set.
    fn offset_of(&self, next_seq: u32, seq: u32) -> i128 {
        i128::from(self.delivered) + i128::from(seq.wrapping_sub(next_seq) as i32)
    }

    /// Moves the delivery point forward to stream offset `to`.
    fn advance(&mut self, to: u64) {
        if let Some(ns) = self.next_seq {
            let step = to.saturating_sub(self.delivered);
            self.next_seq = Some(ns.wrapping_add(step as u32));
            self.delivered = self.delivered.max(to);
        }
    }

    fn closed(&self) -> bool {
        self.fin.is_some_and(|f| self.delivered >= f)
    }
}

#[derive(Debug)]
struct Conn {
    stream: u32,
    /// The client's endpoint (sender of the SYN, or of the first segment).
    client: SocketAddr,
    server: SocketAddr,
    /// [client-to-server, server-to-client]
    halves: [Half; 2],
    /// A FIN or RST was seen in either direction.
    ended: bool,
}

impl Conn {
    fn endpoints(&self, dir: Direction) -> (SocketAddr, SocketAddr) {
        match dir {
            Direction::ClientToServer => (self.client, self.server),
            Direction::ServerToClient => (self.server, self.client),
        }
    }
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

fn opposite(dir: Direction) -> Direction {
    match dir {
        Direction::ClientToServer => Direction::ServerToClient,
        Direction::ServerToClient => Direction::ClientToServer,
    }
}

/// Per-connection, per-direction TCP reassembly state.
#[derive(Debug)]
pub(crate) struct TcpLayer {
    conns: HashMap<ConnKey, Conn>,
    /// Creation order for eviction: (key, stream id); stale entries are
    /// recognised by a stream id mismatch.
    order: VecDeque<(ConnKey, u32)>,
    next_stream: u32,
    max_conns: usize,
    max_buffered: usize,
}

impl TcpLayer {
    pub(crate) fn new(max_conns: usize, max_buffered: usize) -> Self {
        TcpLayer {
            conns: HashMap::new(),
            order: VecDeque::new(),
            next_stream: 0,
            max_conns: max_conns.max(1),
            max_buffered,
        }
    }

    /// Number of connections currently tracked.
    pub(crate) fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Processes one TCP segment, appending delivered data (and gaps) to
    /// `out`. Returns the reason to report if nothing was appended.
    pub(crate) fn segment<'a>(
        &mut self,
        frame: u32,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: TcpHeader<'a>,
        out: &mut Vec<Segment<'a>>,
    ) -> &'static str {
        let key = conn_key(src, dst);
        let syn_only = tcp.flags & (SYN | ACK) == SYN;
        let reuse = match self.conns.get(&key) {
            // A new SYN on an ended connection, or with another ISN: port reuse.
            Some(c) if syn_only => {
                let dir = if src == c.client {
                    Direction::ClientToServer
                } else {
                    Direction::ServerToClient
                };
                let isn = c.halves[index(dir)].isn;
                c.ended || isn.is_some_and(|i| i != tcp.seq)
            }
            Some(_) => false,
            None => true,
        };
        if reuse {
            self.new_conn(key, src, dst, tcp.flags);
        }
        let max_buffered = self.max_buffered;
        let Some(conn) = self.conns.get_mut(&key) else {
            return "TCP connection not tracked";
        };
        let dir = if src == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        if tcp.flags & (FIN | RST) != 0 {
            conn.ended = true;
        }
        let (flags, ack) = (tcp.flags, tcp.ack);
        let start = out.len();
        let reason = deliver(conn, dir, frame, tcp, max_buffered, out);

        // The peer acknowledging data we never saw means it is missing from
        // the capture: skip that gap in the opposite direction.
        if flags & ACK != 0 {
            let other = opposite(dir);
            let half = &mut conn.halves[index(other)];
            if let Some(ns) = half.next_seq {
                if !half.pending.is_empty() {
                    let rel = ack.wrapping_sub(ns) as i32;
                    if rel > 0 {
                        let to = half.delivered.saturating_add(rel as u64);
                        skip_gap(conn, other, frame, to, out);
                    }
                }
            }
        }
        if out.len() > start {
            ""
        } else {
            reason
        }
    }

    fn new_conn(&mut self, key: ConnKey, src: SocketAddr, dst: SocketAddr, flags: u8) {
        if !self.conns.contains_key(&key) {
            while self.conns.len() >= self.max_conns {
                let Some((k, stream)) = self.order.pop_front() else {
                    self.conns.clear();
                    break;
                };
                if self.conns.get(&k).map(|c| c.stream) == Some(stream) {
                    self.conns.remove(&k);
                }
            }
        }
        if self.order.len() > 2 * self.max_conns + 16 {
            let conns = &self.conns;
            self.order
                .retain(|(k, s)| conns.get(k).map(|c| c.stream) == Some(*s));
        }
        // The receiver of a SYN-ACK is the client; otherwise the sender of
        // the first segment (normally the SYN) is.
        let (client, server) = if flags & (SYN | ACK) == SYN | ACK {
            (dst, src)
        } else {
            (src, dst)
        };
        let stream = self.next_stream;
        self.next_stream = self.next_stream.wrapping_add(1);
        self.order.push_back((key, stream));
        self.conns.insert(
            key,
            Conn {
                stream,
                client,
                server,
                halves: [Half::default(), Half::default()],
                ended: false,
            },
        );
    }

    /// Delivers all buffered data, skipping the gaps before it.
    pub(crate) fn finish(&mut self, out: &mut Vec<Segment<'static>>) {
        let mut streams: Vec<&mut Conn> = self.conns.values_mut().collect();
        streams.sort_by_key(|c| c.stream);
        for conn in streams {
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                while let Some((&off, &(frame, _))) =
                    conn.halves[index(dir)].pending.first_key_value()
                {
                    skip_gap(conn, dir, frame, off, out);
                }
            }
        }
    }
}

/// Handles the sequence space and payload of one segment for direction `dir`.
fn deliver<'a>(
    conn: &mut Conn,
    dir: Direction,
    frame: u32,
    tcp: TcpHeader<'a>,
    max_buffered: usize,
    out: &mut Vec<Segment<'a>>,
) -> &'static str {
    let half = &mut conn.halves[index(dir)];
    let syn = tcp.flags & SYN != 0;
    if syn {
        // Keep the first SYN's ISN (a retransmitted SYN has the same one).
        half.isn.get_or_insert(tcp.seq);
        half.next_seq.get_or_insert(tcp.seq.wrapping_add(1));
    } else if half.next_seq.is_none() {
        // Connection picked up mid-stream: start at the first byte seen.
        half.next_seq = Some(tcp.seq);
    }
    let Some(next_seq) = half.next_seq else {
        return "TCP segment without payload";
    };
    // Data of a SYN segment starts after the SYN's sequence number.
    let data_seq = tcp.seq.wrapping_add(u32::from(syn));
    let start = half.offset_of(next_seq, data_seq);
    let len = tcp.payload.len();
    let end = start + len as i128;
    if tcp.flags & FIN != 0 && half.fin.is_none() && end >= i128::from(half.delivered) {
        half.fin = u64::try_from(end).ok();
    }
    if len == 0 {
        return "TCP segment without payload";
    }
    let delivered = i128::from(half.delivered);
    // Bytes past a FIN are never delivered.
    let limit = half.fin.map_or(i128::MAX, i128::from);
    let end = end.min(limit);
    if end <= delivered {
        return if half.closed() && start >= delivered {
            "TCP data after FIN"
        } else {
            "TCP retransmission (no new data)"
        };
    }
    if start <= delivered {
        // In order, possibly overlapping data already delivered.
        let skip = (delivered - start) as usize;
        let keep = (end - start) as usize;
        let chunk = sub_cow(tcp.payload, skip..keep);
        let new_end = half.delivered + chunk.len() as u64;
        half.advance(new_end);
        let (src, dst) = conn.endpoints(dir);
        out.push(Segment::Tcp {
            frame,
            stream: conn.stream,
            direction: dir,
            src,
            dst,
            data: chunk,
        });
        drain_pending(conn, dir, frame, out);
        return "";
    }
    // Out of order: buffer a copy, then enforce the buffer limit by giving
    // up on the oldest gaps.
    let Ok(start) = u64::try_from(start) else {
        return "TCP segment outside the sequence window";
    };
    let keep = (end - i128::from(start)) as usize;
    let bytes = tcp.payload.get(..keep).unwrap_or_default();
    let reason = buffer(half, start, frame, bytes);
    while conn.halves[index(dir)].pending_bytes > max_buffered {
        let Some((&first, _)) = conn.halves[index(dir)].pending.first_key_value() else {
            break;
        };
        skip_gap(conn, dir, frame, first, out);
    }
    reason
}

fn buffer(half: &mut Half, start: u64, frame: u32, bytes: &[u8]) -> &'static str {
    match half.pending.get(&start) {
        Some((_, existing)) if existing.len() >= bytes.len() => {
            return "TCP retransmission of out-of-order data";
        }
        Some((_, existing)) => {
            half.pending_bytes = half.pending_bytes.saturating_sub(existing.len())
        }
        None => {}
    }
    half.pending_bytes += bytes.len();
    half.pending.insert(start, (frame, bytes.to_vec()));
    "TCP out-of-order segment (buffered)"
}

/// Delivers buffered segments that have become contiguous.
fn drain_pending<'a>(conn: &mut Conn, dir: Direction, frame: u32, out: &mut Vec<Segment<'a>>) {
    let (src, dst) = conn.endpoints(dir);
    let stream = conn.stream;
    let half = &mut conn.halves[index(dir)];
    while let Some(entry) = half.pending.first_entry() {
        let off = *entry.key();
        if off > half.delivered {
            break;
        }
        let (_, bytes) = entry.remove();
        half.pending_bytes = half.pending_bytes.saturating_sub(bytes.len());
        let end = (off + bytes.len() as u64).min(half.fin.unwrap_or(u64::MAX));
        if end <= half.delivered {
            continue;
        }
        let skip = (half.delivered - off) as usize;
        let keep = (end - off) as usize;
        let chunk = sub_cow(Cow::Owned(bytes), skip..keep);
        half.advance(end);
        out.push(Segment::Tcp {
            frame,
            stream,
            direction: dir,
            src,
            dst,
            data: chunk,
        });
    }
    if half.closed() {
        half.pending.clear();
        half.pending_bytes = 0;
    }
}

/// Declares the bytes up to stream offset `to` lost, then delivers whatever
/// buffered data became contiguous.
fn skip_gap<'a>(conn: &mut Conn, dir: Direction, frame: u32, to: u64, out: &mut Vec<Segment<'a>>) {
    let half = &mut conn.halves[index(dir)];
    // Never skip past buffered data or the FIN.
    let first = half.pending.first_key_value().map_or(to, |(&k, _)| k);
    let to = to.min(first).min(half.fin.unwrap_or(u64::MAX));
    if to > half.delivered {
        let missing = to - half.delivered;
        half.advance(to);
        let (src, dst) = conn.endpoints(dir);
        out.push(Segment::TcpGap {
            frame,
            stream: conn.stream,
            direction: dir,
            src,
            dst,
            missing,
        });
    }
    drain_pending(conn, dir, frame, out);
    // Guarantee progress for callers looping on the first buffered entry.
    let half = &mut conn.halves[index(dir)];
    if let Some(entry) = half.pending.first_entry() {
        if *entry.key() <= half.delivered {
            let (_, bytes) = entry.remove();
            half.pending_bytes = half.pending_bytes.saturating_sub(bytes.len());
        }
    }
}
