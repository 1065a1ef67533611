//! From transport segments to the buffers the dissector takes: UDP
//! payloads on the IKE ports, and RFC 8229 frames cut out of TCP streams.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;

use super::decode::{Direction, Segment};
use crate::dissect::Carrier;
use crate::wire::transport::{Prefix, TcpItem, TcpReassembler, TCP_PREFIX};
use crate::wire::WireError;

/// IKE's UDP port (RFC 2408, RFC 7296 §2).
pub const IKE_PORT: u16 = 500;
/// The NAT-T port (RFC 3948, RFC 7296 §2.23), also RFC 8229's default.
pub const NATT_PORT: u16 = 4500;

/// One buffer for the dissector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu<'a> {
    /// Frame number (of the frame that completed it).
    pub frame: u32,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// How to dissect it.
    pub carrier: Carrier,
    /// The bytes.
    pub bytes: Cow<'a, [u8]>,
}

/// Which ports carry IKE.
#[derive(Clone, Debug)]
pub struct Ports {
    /// UDP ports with bare IKE.
    pub udp_plain: Vec<u16>,
    /// UDP ports with the non-ESP marker.
    pub udp_encap: Vec<u16>,
    /// TCP ports with RFC 8229 framing (streams that start with "IKETCP"
    /// are recognised on any port).
    pub tcp: Vec<u16>,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            udp_plain: vec![IKE_PORT],
            udp_encap: vec![NATT_PORT],
            tcp: vec![NATT_PORT],
        }
    }
}

#[derive(Debug)]
struct TcpDir {
    reassembler: TcpReassembler,
    /// Stream is not IKE (no prefix, not an IKE port) or failed framing.
    dead: bool,
    seen: bool,
}

/// Turns segments into dissector buffers; holds per-TCP-stream state.
#[derive(Debug, Default)]
pub struct PduExtractor {
    ports: Ports,
    tcp: HashMap<(u32, bool), TcpDir>,
    /// TCP framing errors, with the frame they were found in.
    pub errors: Vec<(u32, WireError)>,
}

impl PduExtractor {
    /// An extractor for the given ports.
    pub fn new(ports: Ports) -> Self {
        PduExtractor {
            ports,
            tcp: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Feeds one segment; appends what it completes to `out`.
    pub fn push<'a>(&mut self, seg: &Segment<'a>, out: &mut Vec<Pdu<'a>>) {
        match seg {
            Segment::Udp {
                frame,
                src,
                dst,
                payload,
                ..
            } => {
                let on = |ports: &[u16]| ports.contains(&src.port()) || ports.contains(&dst.port());
                let carrier = if on(&self.ports.udp_encap) {
                    Carrier::UdpEncap
                } else if on(&self.ports.udp_plain) {
                    Carrier::Plain
                } else {
                    return;
                };
                out.push(Pdu {
                    frame: *frame,
                    src: *src,
                    dst: *dst,
                    carrier,
                    bytes: payload.clone(),
                });
            }
            Segment::Tcp {
                frame,
                stream,
                direction,
                src,
                dst,
                data,
            } => self.tcp_data(*frame, *stream, *direction, *src, *dst, data, out),
            Segment::TcpGap {
                stream, direction, ..
            } => {
                // A hole in the stream: framing cannot be trusted after it.
                let key = (*stream, *direction == Direction::ClientToServer);
                if let Some(d) = self.tcp.get_mut(&key) {
                    d.dead = true;
                }
            }
            Segment::Esp { .. } | Segment::Skipped { .. } => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp_data<'a>(
        &mut self,
        frame: u32,
        stream: u32,
        direction: Direction,
        src: SocketAddr,
        dst: SocketAddr,
        data: &[u8],
        out: &mut Vec<Pdu<'a>>,
    ) {
        let on_port = self.ports.tcp.contains(&src.port()) || self.ports.tcp.contains(&dst.port());
        let key = (stream, direction == Direction::ClientToServer);
        let dir = self.tcp.entry(key).or_insert_with(|| TcpDir {
            reassembler: TcpReassembler::new(Prefix::Auto),
            dead: false,
            seen: false,
        });
        if dir.dead {
            return;
        }
        if !dir.seen {
            dir.seen = true;
            let prefixed = data.starts_with(&TCP_PREFIX[..data.len().min(TCP_PREFIX.len())]);
            if !on_port && !prefixed {
                dir.dead = true;
                return;
            }
        }
        dir.reassembler.push(data);
        while let Some(item) = dir.reassembler.poll() {
            match item {
                Ok(TcpItem::Prefix { .. }) => out.push(Pdu {
                    frame,
                    src,
                    dst,
                    carrier: Carrier::TcpPrefix,
                    bytes: Cow::Owned(TCP_PREFIX.to_vec()),
                }),
                Ok(TcpItem::Frame { frame: bytes, .. }) => {
                    out.push(Pdu {
                        frame,
                        src,
                        dst,
                        carrier: Carrier::TcpFrame,
                        bytes: Cow::Owned(bytes),
                    });
                }
                Err(e) => {
                    self.errors.push((frame, e));
                    dir.dead = true;
                    break;
                }
            }
        }
    }
}
