//! Reading packet captures: from a pcap / pcapng file in memory down to UDP
//! datagrams, TCP stream bytes and ESP packets.
//!
//! Two stages, usable separately:
//!
//! 1. [`Capture::parse`] recognises the container (classic pcap in either
//!    byte order with micro- or nanosecond timestamps, or pcapng with any
//!    number of sections and interfaces) and [`Capture::frames`] iterates over
//!    its [`Frame`]s, borrowing their bytes from the file buffer.
//! 2. A [`Decoder`] strips link-layer headers (see [`LinkType`]), decodes IPv4
//!    and IPv6 (extension headers, AH, IP-in-IP), reassembles IP fragments and
//!    TCP streams, and emits [`Segment`]s. Payloads are borrowed whenever no
//!    reassembly was needed.
//!
//! Nothing here panics on malformed input: container problems end the frame
//! iteration with a [`CaptureError`] (after every good frame was yielded),
//! undecodable frames become [`Segment::Skipped`].
//!
//! Not decoded: link types other than those listed at [`LinkType`] (e.g.
//! 802.11, PPP, ...), MPLS, GRE, VXLAN and other tunnels besides IP-in-IP,
//! packets quoted inside ICMP errors. Checksums are not verified, and IP
//! fragments never time out (only the oldest incomplete datagram is evicted
//! when [`Limits::max_fragmented_datagrams`] is reached).
//!
//! ```
//! # fn main() -> Result<(), rike::capture::CaptureError> {
//! # let file: &[u8] = &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
//! #                     0xff, 0xff, 0, 0, 1, 0, 0, 0];
//! for segment in rike::capture::udp_and_tcp_payloads(file)? {
//!     println!("frame {}: {:?}", segment.frame(), segment);
//! }
//! # Ok(()) }
//! ```

mod bytes;
mod decode;
mod error;
mod file;
mod ip;
mod link;
mod pdus;
mod tcp;

pub use decode::{Decoder, Direction, Limits, Segment};
pub use error::CaptureError;
pub use file::{Capture, Format, Frame, Frames, Timestamp};
pub use link::LinkType;
pub use pdus::{Pdu, PduExtractor, Ports, IKE_PORT, NATT_PORT};

/// Decodes a whole capture file and returns its UDP datagrams and in-order
/// TCP stream chunks (owned), in the order they are produced.
///
/// ESP packets, TCP gaps and skipped frames are left out; TCP data buffered
/// behind a gap at the end of the file is included. Unlike [`Capture::frames`]
/// this fails on any container error, even one after good frames (a
/// convenience for tests and benchmarks).
pub fn udp_and_tcp_payloads(file: &[u8]) -> Result<Vec<Segment<'static>>, CaptureError> {
    let capture = Capture::parse(file)?;
    let mut decoder = Decoder::new();
    let mut segments = Vec::new();
    let mut result = Vec::new();
    for frame in capture.frames() {
        let frame = frame?;
        decoder.decode(&frame, &mut segments);
        result.extend(
            segments
                .drain(..)
                .filter(|s| matches!(s, Segment::Udp { .. } | Segment::Tcp { .. }))
                .map(Segment::into_owned),
        );
    }
    let mut tail = Vec::new();
    decoder.finish(&mut tail);
    result.extend(
        tail.into_iter()
            .filter(|s| matches!(s, Segment::Udp { .. } | Segment::Tcp { .. })),
    );
    Ok(result)
}
