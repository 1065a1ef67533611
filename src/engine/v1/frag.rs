//! IKEv1 fragmentation (the Cisco/Microsoft scheme strongSwan also
//! speaks, negotiated with the "FRAGMENTATION" Vendor ID): a message too
//! big for the path is cut, header and all, into pieces, each sent as an
//! ISAKMP message whose only payload is a fragment (type 132: fragment ID,
//! number from 1, a "last" flag, the piece). The receiver collects the
//! pieces of one fragment ID and handles the whole message once the last
//! and all before it are in. Bounded: 16 pieces, the configured byte limit.

use super::sa::{FragIn, IsakmpSa};
use crate::engine::ctx::Ctx;
use crate::wire::header::{HEADER_LEN, PAYLOAD_HEADER_LEN};
use crate::wire::message::Message;
use crate::wire::registry::PayloadType;
use crate::wire::transport::NON_ESP_MARKER;

/// Fragments of one message at most (strongSwan and Windows stay below).
pub(crate) const MAX_FRAGMENTS: u8 = 16;

/// IP and UDP headers (IPv4).
const IP_UDP: usize = 28;

impl IsakmpSa {
    /// The datagrams for `msg`: itself, or fragments when it is too big
    /// and both sides do IKEv1 fragmentation.
    pub(crate) fn fragment_out(&mut self, ctx: &mut Ctx<'_>, msg: Vec<u8>) -> Vec<Vec<u8>> {
        let marker = if self.encap { NON_ESP_MARKER.len() } else { 0 };
        let mtu = ctx.config.fragment_mtu.max(576);
        let fits = msg.len() + marker + IP_UDP <= mtu;
        if fits || !self.caps.frag || !ctx.peer_cfg(self.peer).fragmentation {
            return vec![msg];
        }
        let overhead = IP_UDP + marker + HEADER_LEN + PAYLOAD_HEADER_LEN + 4;
        let room = mtu.saturating_sub(overhead).max(64);
        let pieces: Vec<&[u8]> = msg.chunks(room).collect();
        if pieces.len() > usize::from(MAX_FRAGMENTS) {
            return vec![msg];
        }
        self.frag_id = self.frag_id.wrapping_add(1).max(1);
        let Ok(h) = crate::wire::header::Header::parse(&msg) else {
            return vec![msg];
        };
        let n = pieces.len();
        pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let last = i + 1 == n;
                let mut body = Vec::with_capacity(4 + piece.len());
                body.extend_from_slice(&self.frag_id.to_be_bytes());
                body.push(u8::try_from(i + 1).unwrap_or(MAX_FRAGMENTS));
                body.push(u8::from(last));
                body.extend_from_slice(piece);
                let len = u16::try_from(PAYLOAD_HEADER_LEN + body.len()).unwrap_or(u16::MAX);
                let mut chain = vec![0, 0];
                chain.extend_from_slice(&len.to_be_bytes());
                chain.extend_from_slice(&body);
                self.plain(
                    h.exchange_type,
                    h.message_id,
                    PayloadType::V1_FRAGMENT,
                    &chain,
                )
            })
            .collect()
    }

    /// Collects a fragment; the whole message once complete.
    pub(crate) fn fragment_in(&mut self, ctx: &Ctx<'_>, msg: &Message<'_>) -> Option<Vec<u8>> {
        if !ctx.peer_cfg(self.peer).fragmentation {
            return None;
        }
        let inb =
            super::payloads::Inbound::read(msg.body(), msg.header.next_payload, false).ok()?;
        let f = inb.fragment?;
        if f.number == 0 || f.number > MAX_FRAGMENTS {
            return None;
        }
        let limit = ctx.config.limits.fragment_bytes_max;
        let st = self.frag_in.get_or_insert_with(FragIn::default);
        if st.id != f.id {
            *st = FragIn {
                id: f.id,
                ..FragIn::default()
            };
        }
        if st.pieces.contains_key(&f.number) {
            return None;
        }
        if st.bytes + f.data.len() > limit {
            self.frag_in = None;
            return None;
        }
        st.bytes += f.data.len();
        if f.last {
            st.last = Some(f.number);
        }
        st.pieces.insert(f.number, f.data);
        let last = st.last?;
        if st.pieces.keys().copied().ne(1..=last) {
            return None;
        }
        let st = self.frag_in.take()?;
        Some(st.pieces.into_values().flatten().collect())
    }
}
