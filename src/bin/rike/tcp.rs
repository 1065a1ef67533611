//! IKE over TCP (RFC 8229) for `rike connect --tcp` / `rike listen --tcp`.
//!
//! The engine speaks UDP-encapsulated IKE on port 4500 (the non-ESP marker
//! in front of each message); over TCP the same bytes travel in frames
//! with a 2-octet length in front, after the initiator's "IKETCP" prefix.
//! So a frame read from a stream is handed to the engine as a datagram
//! received on port 4500, and a datagram the engine sends to a peer with a
//! stream goes out as a frame. Streams are known by the address the engine
//! knows the peer by: `remote:4500` for the stream we opened, the stream's
//! own address for streams we accepted.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use rike::wire::transport::{Prefix, TcpItem, TcpReassembler, TCP_PREFIX};

/// A datagram for the engine: our port, the sender, the payload.
pub struct Datagram {
    /// Our port (500 or 4500).
    pub port: u16,
    /// The sender, as the engine knows it.
    pub from: SocketAddr,
    /// UDP payload (on 4500: marker + IKE, or ESP).
    pub data: Vec<u8>,
}

/// The open streams, by the peer address the engine uses.
#[derive(Clone, Default)]
pub struct Streams(Arc<Mutex<HashMap<SocketAddr, TcpStream>>>);

impl Streams {
    fn insert(&self, key: SocketAddr, s: TcpStream) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, s);
        }
    }

    fn remove(&self, key: &SocketAddr) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(key);
        }
    }

    /// Sends `data` (what the engine would send on UDP 4500) as one frame
    /// if there is a stream to `to`: `None` when there is none.
    /// Keepalives (one octet) have no place in a stream and are dropped.
    pub fn send(&self, to: SocketAddr, data: &[u8]) -> Option<std::io::Result<()>> {
        let mut m = self.0.lock().ok()?;
        let s = m.get_mut(&to)?;
        if data.len() < 4 {
            return Some(Ok(()));
        }
        let Ok(len) = u16::try_from(data.len() + 2) else {
            return Some(Err(std::io::Error::other(
                "message too long for a TCP frame",
            )));
        };
        let mut frame = Vec::with_capacity(data.len() + 2);
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(data);
        Some(s.write_all(&frame))
    }
}

/// Reads frames from `stream` until it ends, as datagrams from `key` on
/// port `port`.
fn read_frames(
    mut stream: TcpStream,
    key: SocketAddr,
    prefix: Prefix,
    port: u16,
    tx: Sender<Datagram>,
    streams: Streams,
    log: impl Fn(String),
) {
    let mut r = TcpReassembler::new(prefix);
    let mut buf = vec![0u8; 65536];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log(format!("TCP stream {key}: {e}"));
                break;
            }
        };
        r.push(&buf[..n]);
        while let Some(item) = r.poll() {
            match item {
                Ok(TcpItem::Frame { frame, .. }) => {
                    let d = Datagram {
                        port,
                        from: key,
                        data: frame.get(2..).unwrap_or_default().to_vec(),
                    };
                    if tx.send(d).is_err() {
                        return;
                    }
                }
                Ok(TcpItem::Prefix { .. }) => {}
                Err(e) => {
                    log(format!("TCP stream {key}: {e}; closing it"));
                    streams.remove(&key);
                    return;
                }
            }
        }
    }
    log(format!("TCP stream {key} closed"));
    streams.remove(&key);
}

/// Opens a stream to `remote` (the peer's TCP port), sends the prefix,
/// and reads it; the engine knows the peer as `key`.
pub fn connect(
    remote: SocketAddr,
    key: SocketAddr,
    port: u16,
    tx: Sender<Datagram>,
    streams: &Streams,
    log: impl Fn(String) + Send + 'static,
) -> Result<(), String> {
    let mut s = TcpStream::connect(remote).map_err(|e| format!("TCP connect to {remote}: {e}"))?;
    s.set_nodelay(true).ok();
    s.write_all(TCP_PREFIX)
        .map_err(|e| format!("TCP to {remote}: {e}"))?;
    let reader = s.try_clone().map_err(|e| e.to_string())?;
    streams.insert(key, s);
    let st = streams.clone();
    std::thread::spawn(move || read_frames(reader, key, Prefix::Absent, port, tx, st, log));
    Ok(())
}

/// Accepts streams on `addr`; each is read as datagrams from its own
/// address on port `port`.
pub fn listen(
    addr: SocketAddr,
    port: u16,
    tx: Sender<Datagram>,
    streams: &Streams,
    log: impl Fn(String) + Clone + Send + 'static,
) -> Result<(), String> {
    let l = TcpListener::bind(addr).map_err(|e| format!("cannot listen on TCP {addr}: {e}"))?;
    let streams = streams.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(s) = conn else { continue };
            let Ok(peer) = s.peer_addr() else { continue };
            s.set_nodelay(true).ok();
            let Ok(reader) = s.try_clone() else { continue };
            log(format!("TCP stream from {peer}"));
            streams.insert(peer, s);
            let (tx, st, lg) = (tx.clone(), streams.clone(), log.clone());
            std::thread::spawn(move || read_frames(reader, peer, Prefix::Expect, port, tx, st, lg));
        }
    });
    Ok(())
}
