//! The Transaction exchange (draft-dukes-ike-mode-cfg-02 §3; exchange
//! type 6) and Mode-Config over it, both roles, pull and push:
//!
//! ```text
//! pull:  client -> server  HDR*, HASH, ATTR(CFG_REQUEST: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS …)
//!        server -> client  HDR*, HASH, ATTR(CFG_REPLY:   INTERNAL_IP4_ADDRESS=a, INTERNAL_IP4_DNS=d …)
//! push:  server -> client  HDR*, HASH, ATTR(CFG_SET:     …)
//!        client -> server  HDR*, HASH, ATTR(CFG_ACK:     the types accepted)
//! ```
//!
//! HASH = prf(SKEYID_a, M-ID | ATTR) (§3.3); each exchange has its own
//! M-ID and IV (RFC 2409 App. B; the IV is derived for Mode-Config exactly
//! as for Quick Mode, with or without XAUTH before it). Mode-Config runs
//! after XAUTH; the client's Quick Modes wait for its address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::payloads::{CfgIn, Inbound};
use super::sa::{CfgState, ExKind, Exchange, Flight, IsakmpSa};
use super::xauth::{is_xauth, XauthEx};
use crate::crypto::ct_eq;
use crate::engine::config::ModeConfigRole;
use crate::engine::ctx::Ctx;
use crate::engine::event::Event;
use crate::wire::attribute::AttrValue;
use crate::wire::header::Flags;
use crate::wire::message::Message;
use crate::wire::registry::{CfgAttrTypeV1, CfgType, PayloadType};

/// A Mode-Config Transaction exchange in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CfgEx {
    /// Client (pull): CFG_REQUEST sent.
    Requested,
    /// Server (push): CFG_SET sent.
    Set,
}

/// Address and DNS attributes (§3.3: IPv4 addresses are 4 octets, IPv6
/// addresses 16 octets plus a prefix length).
fn read_addresses(cfg: &CfgIn) -> (Option<IpAddr>, Vec<IpAddr>) {
    let mut addr = None;
    let mut dns = Vec::new();
    for a in &cfg.attrs {
        let v = a.value.expose();
        match CfgAttrTypeV1(a.t) {
            CfgAttrTypeV1::INTERNAL_IP4_ADDRESS if addr.is_none() => {
                addr = <[u8; 4]>::try_from(v)
                    .ok()
                    .map(|b| IpAddr::V4(Ipv4Addr::from(b)));
            }
            CfgAttrTypeV1::INTERNAL_IP6_ADDRESS if addr.is_none() => {
                addr = v
                    .get(..16)
                    .and_then(|s| <[u8; 16]>::try_from(s).ok())
                    .map(|b| IpAddr::V6(Ipv6Addr::from(b)));
            }
            CfgAttrTypeV1::INTERNAL_IP4_DNS => {
                if let Ok(b) = <[u8; 4]>::try_from(v) {
                    dns.push(IpAddr::V4(Ipv4Addr::from(b)));
                }
            }
            CfgAttrTypeV1::INTERNAL_IP6_DNS => {
                if let Some(b) = v.get(..16).and_then(|s| <[u8; 16]>::try_from(s).ok()) {
                    dns.push(IpAddr::V6(Ipv6Addr::from(b)));
                }
            }
            _ => {}
        }
    }
    (addr, dns)
}

/// The value bytes of an address attribute.
fn addr_value(ip: IpAddr) -> (u16, Vec<u8>) {
    match ip {
        IpAddr::V4(a) => (CfgAttrTypeV1::INTERNAL_IP4_ADDRESS.0, a.octets().to_vec()),
        IpAddr::V6(a) => {
            let mut v = a.octets().to_vec();
            v.push(128);
            (CfgAttrTypeV1::INTERNAL_IP6_ADDRESS.0, v)
        }
    }
}

fn dns_value(ip: IpAddr) -> (u16, Vec<u8>) {
    match ip {
        IpAddr::V4(a) => (CfgAttrTypeV1::INTERNAL_IP4_DNS.0, a.octets().to_vec()),
        IpAddr::V6(a) => (CfgAttrTypeV1::INTERNAL_IP6_DNS.0, a.octets().to_vec()),
    }
}

impl IsakmpSa {
    fn cfg_role(&self, ctx: &Ctx<'_>) -> Option<ModeConfigRole> {
        self.opts(ctx).mode_config
    }

    /// Are we the Mode-Config client?
    pub(crate) fn cfg_client(&self, ctx: &Ctx<'_>) -> bool {
        matches!(self.cfg_role(ctx), Some(ModeConfigRole::Client { .. }))
    }

    /// Are we the Mode-Config server?
    pub(crate) fn cfg_server(&self, ctx: &Ctx<'_>) -> bool {
        matches!(self.cfg_role(ctx), Some(ModeConfigRole::Server { .. }))
    }

    /// The server's attributes: our address for the client, DNS.
    fn server_attrs(&self, ctx: &Ctx<'_>) -> Vec<(u16, Vec<u8>)> {
        let mut v = Vec::new();
        if let Some(ip) = self.vip {
            v.push(addr_value(ip));
            if ip.is_ipv4() {
                v.push((
                    CfgAttrTypeV1::INTERNAL_IP4_NETMASK.0,
                    vec![255, 255, 255, 255],
                ));
            }
        }
        if let Some(ModeConfigRole::Server { dns, .. }) = self.cfg_role(ctx) {
            v.extend(dns.into_iter().map(dns_value));
        }
        v
    }

    /// After XAUTH: the client asks (pull) or the server sets (push).
    pub(crate) fn start_mode_config(&mut self, ctx: &mut Ctx<'_>) {
        if self.cfg != CfgState::Pending {
            return;
        }
        let Some(mid) = self.new_mid(ctx) else { return };
        let id = u16::from_be_bytes([0x6d, ctx.random(1).first().copied().unwrap_or(3)]);
        match self.cfg_role(ctx) {
            Some(ModeConfigRole::Client { pull: true }) => {
                let family_v6 =
                    self.local.ip().is_ipv6() && self.local.ip().to_canonical().is_ipv6();
                let (a, d) = if family_v6 {
                    (
                        CfgAttrTypeV1::INTERNAL_IP6_ADDRESS.0,
                        CfgAttrTypeV1::INTERNAL_IP6_DNS.0,
                    )
                } else {
                    (
                        CfgAttrTypeV1::INTERNAL_IP4_ADDRESS.0,
                        CfgAttrTypeV1::INTERNAL_IP4_DNS.0,
                    )
                };
                self.send_transaction(
                    ctx,
                    mid,
                    CfgType::CFG_REQUEST,
                    id,
                    &[(a, AttrValue::Long(&[])), (d, AttrValue::Long(&[]))],
                    Some(ExKind::Cfg(CfgEx::Requested)),
                    true,
                );
            }
            Some(ModeConfigRole::Server { pull: false, .. }) => {
                let attrs = self.server_attrs(ctx);
                let vals: Vec<(u16, AttrValue<'_>)> = attrs
                    .iter()
                    .map(|(t, v)| (*t, AttrValue::Long(v)))
                    .collect();
                self.send_transaction(
                    ctx,
                    mid,
                    CfgType::CFG_SET,
                    id,
                    &vals,
                    Some(ExKind::Cfg(CfgEx::Set)),
                    true,
                );
            }
            _ => {}
        }
    }

    /// Mode-Config is over: say so, let the Quick Modes go.
    fn cfg_done(&mut self, ctx: &mut Ctx<'_>, server: bool) {
        self.cfg = CfgState::Done;
        ctx.out.events.push_back(Event::ModeConfig {
            sa: self.handle,
            assigned_by_us: server,
            address: self.vip,
            dns: self.vip_dns.clone(),
        });
        self.run_queue(ctx);
    }

    /// A Mode-Config Attribute payload in exchange `mid`.
    fn cfg_in(&mut self, ctx: &mut Ctx<'_>, mid: u32, cfg: &CfgIn, ours: Option<CfgEx>) {
        match (self.cfg_role(ctx), cfg.cfg_type, ours) {
            (Some(ModeConfigRole::Client { .. }), CfgType::CFG_REPLY, Some(CfgEx::Requested)) => {
                self.finish_exchange(ctx, mid);
                let (addr, dns) = read_addresses(cfg);
                self.vip = addr;
                self.vip_dns = dns;
                self.cfg_done(ctx, false);
            }
            (Some(ModeConfigRole::Client { pull: false }), CfgType::CFG_SET, None) => {
                let (addr, dns) = read_addresses(cfg);
                let acked: Vec<(u16, AttrValue<'_>)> = cfg
                    .attrs
                    .iter()
                    .map(|a| (a.t, AttrValue::Long(&[])))
                    .collect();
                self.send_transaction(
                    ctx,
                    mid,
                    CfgType::CFG_ACK,
                    cfg.identifier,
                    &acked,
                    None,
                    false,
                );
                self.finish_exchange(ctx, mid);
                if self.cfg == CfgState::Pending {
                    self.vip = addr;
                    self.vip_dns = dns;
                    self.cfg_done(ctx, false);
                }
            }
            (Some(ModeConfigRole::Server { pull: true, .. }), CfgType::CFG_REQUEST, None) => {
                // Answer what was asked (address and DNS), with what we have.
                let ours = self.server_attrs(ctx);
                let asked: Vec<u16> = cfg.attrs.iter().map(|a| a.t).collect();
                let reply: Vec<(u16, AttrValue<'_>)> = ours
                    .iter()
                    .filter(|(t, _)| asked.contains(t))
                    .map(|(t, v)| (*t, AttrValue::Long(v)))
                    .collect();
                self.send_transaction(
                    ctx,
                    mid,
                    CfgType::CFG_REPLY,
                    cfg.identifier,
                    &reply,
                    None,
                    false,
                );
                self.finish_exchange(ctx, mid);
                if self.cfg == CfgState::Pending {
                    if let Some(ModeConfigRole::Server { dns, .. }) = self.cfg_role(ctx) {
                        self.vip_dns = dns;
                    }
                    self.cfg_done(ctx, true);
                }
            }
            (
                Some(ModeConfigRole::Server { pull: false, .. }),
                CfgType::CFG_ACK,
                Some(CfgEx::Set),
            ) => {
                self.finish_exchange(ctx, mid);
                if let Some(ModeConfigRole::Server { dns, .. }) = self.cfg_role(ctx) {
                    self.vip_dns = dns;
                }
                self.cfg_done(ctx, true);
            }
            _ => {}
        }
    }

    /// A Transaction message: decrypted in its exchange's IV chain, HASH
    /// checked, then XAUTH or Mode-Config.
    pub(crate) fn transaction_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let h = msg.header;
        let mid = h.message_id;
        if !self.phase1_done() || mid == 0 || !h.flags.has(Flags::ENCRYPTION) {
            return;
        }
        let (iv, ours) = match self.exchanges.get(&mid) {
            Some(e) => match &e.kind {
                ExKind::Xauth(x) => (e.iv.clone(), Some(Ok(*x))),
                ExKind::Cfg(c) => (e.iv.clone(), Some(Err(*c))),
                _ => return,
            },
            None => match self.phase2_iv(mid) {
                Some(iv) => (iv, None),
                None => return,
            },
        };
        let Some((pt, next_iv)) = self.open(msg, &iv) else {
            return;
        };
        let Ok(inb) = Inbound::read(pt.expose(), h.next_payload, true) else {
            return;
        };
        let (Some(got), Some(rest), Some(cfg)) = (&inb.hash, &inb.after_hash, &inb.cfg) else {
            return;
        };
        if inb.order.first() != Some(&PayloadType::HASH)
            || !self.hash1(mid, rest).is_some_and(|w| ct_eq(&w, got))
        {
            ctx.log(format!(
                "ISAKMP SA {}: Transaction {mid:08x}: HASH does not verify",
                self.handle.0
            ));
            return;
        }
        match self.exchanges.get_mut(&mid) {
            Some(e) => e.iv = next_iv,
            None => {
                self.exchanges.insert(
                    mid,
                    Exchange {
                        kind: ExKind::Done,
                        iv: next_iv,
                        flight: Flight::default(),
                        purge_at: None,
                    },
                );
            }
        }
        self.accepted(mid, digest);
        self.follow(ctx, local, remote);
        if cfg.attrs.iter().any(|a| is_xauth(a.t)) {
            let x: Option<XauthEx> = match ours {
                Some(Ok(x)) => Some(x),
                Some(Err(_)) => return,
                None => None,
            };
            self.xauth_in(ctx, mid, cfg, x);
        } else {
            let c = match ours {
                Some(Err(c)) => Some(c),
                Some(Ok(_)) => return,
                None => None,
            };
            if !self.up {
                return;
            }
            self.cfg_in(ctx, mid, cfg, c);
        }
    }
}
