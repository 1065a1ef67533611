//! Extended authentication (draft-ietf-ipsec-isakmp-xauth-06 §4;
//! draft-beaulieu-ike-xauth-02 §3-5) over Transaction exchanges after
//! phase 1, both roles:
//!
//! ```text
//! server -> client  HDR*, HASH, ATTR(CFG_REQUEST: XAUTH_TYPE, USER_NAME, USER_PASSWORD)
//! client -> server  HDR*, HASH, ATTR(CFG_REPLY:   USER_NAME=…, USER_PASSWORD=…)
//! server -> client  HDR*, HASH, ATTR(CFG_SET:     XAUTH_STATUS=OK|FAIL)    (new M-ID)
//! client -> server  HDR*, HASH, ATTR(CFG_ACK:     XAUTH_STATUS)
//! ```
//!
//! HASH = prf(SKEYID_a, M-ID | ATTR). The server checks the credentials
//! against its configured list, or asks the application (`XauthVerify`);
//! the client answers from its configuration, or asks the application
//! (`XauthRequest`). The SA is up only after a successful round.

use super::payloads::{cfg_body, CfgIn};
use super::quick::with_hash;
use super::sa::{ExKind, Exchange, Flight, IsakmpSa, XauthState};
use crate::crypto::{ct_eq, Secret};
use crate::engine::config::XauthRole;
use crate::engine::ctx::Ctx;
use crate::engine::event::{DownReason, Event, RequestId};
use crate::wire::attribute::AttrValue;
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{CfgAttrTypeV1, CfgType, ExchangeType, PayloadType, XauthStatus};

const TX: ExchangeType = ExchangeType::TRANSACTION;

/// An XAUTH Transaction exchange in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XauthEx {
    /// Server: CFG_REQUEST sent.
    Requested,
    /// Server: CFG_SET with this status sent.
    StatusSent(bool),
}

/// Is this attribute type one of XAUTH's (16520-16529)?
pub(crate) fn is_xauth(t: u16) -> bool {
    (CfgAttrTypeV1::XAUTH_TYPE.0..=CfgAttrTypeV1::XAUTH_ANSWER.0).contains(&t)
}

impl IsakmpSa {
    fn xauth_role(&self, ctx: &Ctx<'_>) -> Option<XauthRole> {
        self.opts(ctx).xauth
    }

    /// Sends a Transaction message in exchange `mid` (creating it when
    /// new): HASH, then the Attribute payload.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_transaction(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        t: CfgType,
        identifier: u16,
        attrs: &[(u16, AttrValue<'_>)],
        kind: Option<ExKind>,
        await_reply: bool,
    ) {
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::ATTRIBUTES, 0, |o| {
            cfg_body(o, t, identifier, attrs)
        });
        let Ok((first, rest)) = c.finish() else {
            return;
        };
        let Some(hash) = self.hash1(mid, &rest) else {
            return;
        };
        let chain = Secret::new(with_hash(&hash, first, &rest));
        let iv = match self.exchanges.get(&mid) {
            Some(e) => e.iv.clone(),
            None => match self.phase2_iv(mid) {
                Some(iv) => iv,
                None => return,
            },
        };
        let Some((m, next)) = self.seal(TX, mid, 0, PayloadType::HASH, chain.expose(), &iv) else {
            return;
        };
        match self.exchanges.get_mut(&mid) {
            Some(e) => {
                e.iv = next;
                if let Some(k) = kind {
                    e.kind = k;
                }
            }
            None => {
                self.exchanges.insert(
                    mid,
                    Exchange {
                        kind: kind.unwrap_or(ExKind::Done),
                        iv: next,
                        flight: Flight::default(),
                        purge_at: None,
                    },
                );
            }
        }
        self.send(ctx, mid, m, await_reply);
    }

    /// After phase 1: the server asks for credentials; the client waits.
    pub(crate) fn start_xauth(&mut self, ctx: &mut Ctx<'_>) {
        if !matches!(self.xauth_role(ctx), Some(XauthRole::Server { .. })) {
            return;
        }
        let Some(mid) = self.new_mid(ctx) else { return };
        let id = u16::from_be_bytes([ctx.random(1).first().copied().unwrap_or(1), 0x5a]);
        self.send_transaction(
            ctx,
            mid,
            CfgType::CFG_REQUEST,
            id,
            &[
                (CfgAttrTypeV1::XAUTH_TYPE.0, AttrValue::Short(0)),
                (CfgAttrTypeV1::XAUTH_USER_NAME.0, AttrValue::Long(&[])),
                (CfgAttrTypeV1::XAUTH_USER_PASSWORD.0, AttrValue::Long(&[])),
            ],
            Some(ExKind::Xauth(XauthEx::Requested)),
            true,
        );
    }

    /// An XAUTH Attribute payload in exchange `mid` (decrypted, HASH
    /// checked, registered).
    pub(crate) fn xauth_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        cfg: &CfgIn,
        ours: Option<XauthEx>,
    ) {
        match (self.xauth_role(ctx), cfg.cfg_type, ours) {
            (Some(XauthRole::Server { .. }), CfgType::CFG_REPLY, Some(XauthEx::Requested)) => {
                self.finish_exchange(ctx, mid);
                self.xauth_reply(ctx, cfg);
            }
            (Some(XauthRole::Server { .. }), CfgType::CFG_ACK, Some(XauthEx::StatusSent(ok))) => {
                self.finish_exchange(ctx, mid);
                if ok {
                    self.xauth = XauthState::Done;
                    self.become_up(ctx);
                } else {
                    self.send_delete_isakmp(ctx);
                    self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
                }
            }
            (Some(XauthRole::Client { user, password }), CfgType::CFG_REQUEST, None) => {
                if self.xauth == XauthState::Done {
                    return;
                }
                match password {
                    Some(p) => self.xauth_answer(ctx, mid, cfg.identifier, &user, &p),
                    None => {
                        let request = ctx.out.next_request + 1;
                        ctx.out.next_request = request;
                        self.xauth_wait = Some((request, mid, cfg.identifier));
                        ctx.out.events.push_back(Event::XauthRequest {
                            request: RequestId(request),
                            sa: self.handle,
                        });
                    }
                }
            }
            (Some(XauthRole::Client { .. }), CfgType::CFG_SET, None) => {
                let status = cfg
                    .get(CfgAttrTypeV1::XAUTH_STATUS.0)
                    .and_then(|a| a.int())
                    .unwrap_or(0);
                let ok = status == u64::from(XauthStatus::OK.0);
                self.send_transaction(
                    ctx,
                    mid,
                    CfgType::CFG_ACK,
                    cfg.identifier,
                    &[(
                        CfgAttrTypeV1::XAUTH_STATUS.0,
                        AttrValue::Short(u16::from(ok)),
                    )],
                    None,
                    false,
                );
                self.finish_exchange(ctx, mid);
                if ok {
                    self.xauth = XauthState::Done;
                    self.become_up(ctx);
                } else {
                    ctx.log(format!(
                        "ISAKMP SA {}: XAUTH refused by the server",
                        self.handle.0
                    ));
                    self.die(ctx, DownReason::AuthenticationFailed { by_peer: true });
                }
            }
            _ => {}
        }
    }

    /// Client: the REPLY with our credentials.
    fn xauth_answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        identifier: u16,
        user: &str,
        password: &Secret,
    ) {
        self.send_transaction(
            ctx,
            mid,
            CfgType::CFG_REPLY,
            identifier,
            &[
                (CfgAttrTypeV1::XAUTH_TYPE.0, AttrValue::Short(0)),
                (
                    CfgAttrTypeV1::XAUTH_USER_NAME.0,
                    AttrValue::Long(user.as_bytes()),
                ),
                (
                    CfgAttrTypeV1::XAUTH_USER_PASSWORD.0,
                    AttrValue::Long(password.expose()),
                ),
            ],
            None,
            false,
        );
        self.finish_exchange(ctx, mid);
    }

    /// The application's credentials for an `XauthRequest` (`None`:
    /// give up).
    pub(crate) fn xauth_credentials(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: u64,
        creds: Option<(String, Secret)>,
    ) -> bool {
        let Some((r, mid, identifier)) = self.xauth_wait else {
            return false;
        };
        if r != request {
            return false;
        }
        self.xauth_wait = None;
        match creds {
            Some((user, pass)) => self.xauth_answer(ctx, mid, identifier, &user, &pass),
            None => {
                self.send_delete_isakmp(ctx);
                self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            }
        }
        self.rearm();
        true
    }

    /// Server: the client's REPLY.
    fn xauth_reply(&mut self, ctx: &mut Ctx<'_>, cfg: &CfgIn) {
        let user = cfg
            .get(CfgAttrTypeV1::XAUTH_USER_NAME.0)
            .map(|a| String::from_utf8_lossy(a.value.expose()).into_owned())
            .unwrap_or_default();
        let password = cfg
            .get(CfgAttrTypeV1::XAUTH_USER_PASSWORD.0)
            .map(|a| a.value.clone())
            .unwrap_or_default();
        let Some(XauthRole::Server { users }) = self.xauth_role(ctx) else {
            return;
        };
        if users.is_empty() {
            let request = ctx.out.next_request + 1;
            ctx.out.next_request = request;
            self.xauth_verify = Some(request);
            ctx.out.events.push_back(Event::XauthVerify {
                request: RequestId(request),
                sa: self.handle,
                user,
                password,
            });
            return;
        }
        // Every entry is compared, in constant time per password.
        let mut ok = false;
        for (u, p) in &users {
            ok |= *u == user && ct_eq(p.expose(), password.expose());
        }
        if !ok {
            ctx.log(format!(
                "ISAKMP SA {}: XAUTH: wrong user name or password for {user:?}",
                self.handle.0
            ));
        }
        self.xauth_status(ctx, ok);
    }

    /// Server: the CFG_SET with the verdict.
    fn xauth_status(&mut self, ctx: &mut Ctx<'_>, ok: bool) {
        let Some(mid) = self.new_mid(ctx) else { return };
        let id = u16::from_be_bytes([ctx.random(1).first().copied().unwrap_or(2), 0xa5]);
        let status = if ok {
            XauthStatus::OK
        } else {
            XauthStatus::FAIL
        };
        self.send_transaction(
            ctx,
            mid,
            CfgType::CFG_SET,
            id,
            &[(CfgAttrTypeV1::XAUTH_STATUS.0, AttrValue::Short(status.0))],
            Some(ExKind::Xauth(XauthEx::StatusSent(ok))),
            true,
        );
    }

    /// The application's verdict on an `XauthVerify`.
    pub(crate) fn xauth_verdict(&mut self, ctx: &mut Ctx<'_>, request: u64, ok: bool) -> bool {
        if self.xauth_verify != Some(request) {
            return false;
        }
        self.xauth_verify = None;
        self.xauth_status(ctx, ok);
        self.rearm();
        true
    }
}
