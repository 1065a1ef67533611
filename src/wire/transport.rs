//! Transport framing: what carries an IKE message.
//!
//! * UDP 500: the datagram is the message.
//! * UDP 4500 (RFC 3948 §2, RFC 7296 §2.23): a single 0xFF octet is a NAT
//!   keepalive; four zero octets (the non-ESP marker) precede an IKE
//!   message; anything else is ESP, whose SPI is never zero.
//! * TCP (RFC 8229 §3, RFC 9329): the initiator sends the stream prefix
//!   "IKETCP", then both sides send frames of a two-octet length (counting
//!   itself) followed by a non-ESP marker and an IKE message, or by ESP.

use super::error::{ErrorKind, Result, WireError};

/// The RFC 8229 stream prefix.
pub const TCP_PREFIX: &[u8; 6] = b"IKETCP";
/// The non-ESP marker.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// The NAT-keepalive octet.
pub const NAT_KEEPALIVE: u8 = 0xff;

/// An ESP packet header (RFC 4303 §2): SPI and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Esp<'a> {
    /// Security Parameters Index.
    pub spi: u32,
    /// Sequence number.
    pub sequence: u32,
    /// IV, ciphertext and ICV.
    pub payload: &'a [u8],
}

/// What a UDP 4500 datagram or a TCP frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encapsulated<'a> {
    /// A NAT keepalive (UDP only).
    Keepalive,
    /// An IKE message (after the non-ESP marker).
    Ike(&'a [u8]),
    /// An ESP packet.
    Esp(Esp<'a>),
}

fn esp(data: &[u8], offset: usize) -> Result<Esp<'_>> {
    if data.len() < 8 {
        return Err(WireError::truncated(offset, 8, data.len()));
    }
    let spi = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
    let sequence = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    // SPIs 1–255 are reserved (RFC 4303 §2.1); 0 is the non-ESP marker.
    if spi < 256 {
        return Err(WireError::new(
            ErrorKind::BadFraming("reserved ESP SPI"),
            offset,
        ));
    }
    Ok(Esp {
        spi,
        sequence,
        payload: &data[8..],
    })
}

/// Classifies a UDP 4500 datagram.
pub fn classify_udp_encap(datagram: &[u8]) -> Result<Encapsulated<'_>> {
    match datagram {
        [NAT_KEEPALIVE] => Ok(Encapsulated::Keepalive),
        [0, 0, 0, 0, ike @ ..] => Ok(Encapsulated::Ike(ike)),
        d if d.len() < 4 => Err(WireError::new(
            ErrorKind::BadFraming("datagram too short for a marker or an ESP header"),
            0,
        )),
        d => esp(d, 0).map(Encapsulated::Esp),
    }
}

/// Classifies the content of one RFC 8229 frame (after its length field).
/// `offset` is used in errors.
pub fn classify_tcp_frame(content: &[u8], offset: usize) -> Result<Encapsulated<'_>> {
    match content {
        [0, 0, 0, 0, ike @ ..] => Ok(Encapsulated::Ike(ike)),
        d => esp(d, offset).map(Encapsulated::Esp),
    }
}

/// How a TCP stream reassembler treats the "IKETCP" prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    /// The stream must start with the prefix (initiator to responder).
    Expect,
    /// The stream has no prefix (responder to initiator).
    Absent,
    /// Consume the prefix if the stream starts with it (passive capture).
    Auto,
}

/// One item of a TCP stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpItem {
    /// The "IKETCP" prefix, at this stream offset.
    Prefix {
        /// Offset in the stream.
        offset: u64,
    },
    /// A whole frame, length field included (give `&frame[2..]` to
    /// [`classify_tcp_frame`]).
    Frame {
        /// Stream offset of the frame's length field.
        offset: u64,
        /// The frame: length field, then marker + IKE, or ESP.
        frame: Vec<u8>,
    },
}

/// Reassembles RFC 8229 frames from stream bytes delivered in any chunking.
///
/// Memory is bounded by one frame (at most 65 535 octets) plus the bytes
/// of the last push. After a framing error the stream cannot be resynced
/// and every later call returns the same error.
#[derive(Debug)]
pub struct TcpReassembler {
    prefix: Prefix,
    buf: Vec<u8>,
    /// Bytes of `buf` already returned.
    start: usize,
    /// Stream offset of `buf[start]`.
    base: u64,
    prefix_done: bool,
    failed: Option<WireError>,
}

impl TcpReassembler {
    /// A reassembler for one direction of a stream.
    pub fn new(prefix: Prefix) -> Self {
        TcpReassembler {
            prefix,
            buf: Vec::new(),
            start: 0,
            base: 0,
            prefix_done: prefix == Prefix::Absent,
            failed: None,
        }
    }

    /// Appends stream bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            // Compact before growing so the buffer stays about one frame.
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes received but not yet returned in an item.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn fail(&mut self, kind: ErrorKind) -> Option<Result<TcpItem>> {
        let off = usize::try_from(self.base).unwrap_or(usize::MAX);
        let e = WireError::new(kind, off);
        self.failed = Some(e);
        self.buf = Vec::new();
        self.start = 0;
        Some(Err(e))
    }

    fn consume(&mut self, n: usize) -> &[u8] {
        let from = self.start;
        self.start += n;
        self.base += n as u64;
        &self.buf[from..from + n]
    }

    /// The next complete item, `None` if more bytes are needed, or the
    /// framing error that ended the stream.
    pub fn poll(&mut self) -> Option<Result<TcpItem>> {
        if let Some(e) = self.failed {
            return Some(Err(e));
        }
        if !self.prefix_done {
            let have = self.pending().min(TCP_PREFIX.len());
            let matches = self.avail()[..have] == TCP_PREFIX[..have];
            match (matches, have == TCP_PREFIX.len()) {
                (true, true) => {
                    self.prefix_done = true;
                    let offset = self.base;
                    self.consume(TCP_PREFIX.len());
                    return Some(Ok(TcpItem::Prefix { offset }));
                }
                (true, false) => return None,
                (false, _) if self.prefix == Prefix::Expect => {
                    return self.fail(ErrorKind::BadFraming("missing IKETCP prefix"));
                }
                (false, _) => self.prefix_done = true,
            }
        }
        let avail = self.avail();
        if avail.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([avail[0], avail[1]]));
        // The length counts itself; a frame needs at least a marker or an
        // ESP SPI after it.
        if len < 2 + 4 {
            return self.fail(ErrorKind::BadFraming("TCP frame length below 6"));
        }
        if avail.len() < len {
            return None;
        }
        let offset = self.base;
        let frame = self.consume(len).to_vec();
        Some(Ok(TcpItem::Frame { offset, frame }))
    }
}

/// Writes one RFC 8229 frame carrying an IKE message (marker included).
pub fn frame_ike_for_tcp(message: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let len = message.len() + 6;
    let len16 = u16::try_from(len).map_err(|_| {
        WireError::new(ErrorKind::BadFraming("message too long for a TCP frame"), 0)
    })?;
    out.extend_from_slice(&len16.to_be_bytes());
    out.extend_from_slice(&NON_ESP_MARKER);
    out.extend_from_slice(message);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_encap_classes() {
        assert_eq!(classify_udp_encap(&[0xff]), Ok(Encapsulated::Keepalive));
        assert_eq!(
            classify_udp_encap(&[0, 0, 0, 0, 1, 2]),
            Ok(Encapsulated::Ike(&[1, 2]))
        );
        let e = classify_udp_encap(&[0, 0, 1, 0, 0, 0, 0, 7, 9]).unwrap();
        assert!(matches!(
            e,
            Encapsulated::Esp(Esp {
                spi: 256,
                sequence: 7,
                ..
            })
        ));
        assert!(classify_udp_encap(&[0, 0, 0, 5, 0, 0, 0, 7]).is_err());
        assert!(classify_udp_encap(&[1, 2]).is_err());
        assert!(classify_udp_encap(&[]).is_err());
    }

    fn stream() -> Vec<u8> {
        let mut s = TCP_PREFIX.to_vec();
        frame_ike_for_tcp(&[0xaa; 30], &mut s).unwrap();
        s.extend_from_slice(&[0, 14, 0x10, 0, 0, 1, 0, 0, 0, 1, 0xee, 0xee, 0xee, 0xee]);
        frame_ike_for_tcp(&[0xbb; 3], &mut s).unwrap();
        s
    }

    fn drain(r: &mut TcpReassembler, out: &mut Vec<TcpItem>) {
        while let Some(item) = r.poll() {
            out.push(item.unwrap());
        }
    }

    #[test]
    fn any_chunking_gives_the_same_frames() {
        let s = stream();
        let mut whole = Vec::new();
        let mut r = TcpReassembler::new(Prefix::Expect);
        r.push(&s);
        drain(&mut r, &mut whole);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0], TcpItem::Prefix { offset: 0 });
        for chunk in 1..=s.len() {
            let mut r = TcpReassembler::new(Prefix::Auto);
            let mut got = Vec::new();
            for c in s.chunks(chunk) {
                r.push(c);
                drain(&mut r, &mut got);
            }
            assert_eq!(got, whole, "chunk size {chunk}");
            assert_eq!(r.pending(), 0);
        }
        let TcpItem::Frame { frame, offset } = &whole[2] else {
            panic!()
        };
        assert_eq!(*offset, 42);
        assert!(matches!(
            classify_tcp_frame(&frame[2..], 2),
            Ok(Encapsulated::Esp(Esp {
                spi: 0x1000_0001,
                ..
            }))
        ));
    }

    #[test]
    fn framing_errors_stick() {
        let mut r = TcpReassembler::new(Prefix::Expect);
        r.push(b"GET / HTTP/1.1");
        assert!(r.poll().unwrap().is_err());
        r.push(&stream());
        assert!(r.poll().unwrap().is_err());
        let mut r = TcpReassembler::new(Prefix::Absent);
        r.push(&[0, 3, 0, 0, 0, 0]);
        assert!(r.poll().unwrap().is_err());
    }
}
