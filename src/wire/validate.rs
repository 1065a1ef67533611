//! A strict walk of a whole message: every payload decoded, every
//! substructure, attribute, selector and SPI list visited. This is what the
//! engine runs on input before acting on it; it allocates nothing.

use super::error::{Mode, Result};
use super::header::IkeVersion;
use super::message::Message;
use super::proposal::ProposalIter;
use super::{v1, v2};

/// What a strict walk visited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Payloads in the chain.
    pub payloads: usize,
    /// Proposals.
    pub proposals: usize,
    /// Transforms.
    pub transforms: usize,
    /// Data attributes (transform, Mode-Config, CP).
    pub attributes: usize,
    /// Traffic selectors.
    pub selectors: usize,
}

/// Parses `bytes` strictly and walks everything in it.
pub fn validate(bytes: &[u8]) -> Result<WalkStats> {
    let msg = Message::parse(bytes, Mode::Strict)?;
    let mut st = WalkStats::default();
    let version = msg.version();
    for p in msg.payloads() {
        let p = p?;
        st.payloads += 1;
        match version {
            IkeVersion::V1 => match v1::decode(msg.bytes, &p, Mode::Strict)? {
                v1::Payload::Sa(sa) => {
                    proposals(sa.proposals(), version, &mut st)?;
                    if let Some(chain) = sa.gdoi_payloads() {
                        for g in chain {
                            g?;
                        }
                    }
                }
                v1::Payload::Identification(id) => {
                    id.id_data()?;
                }
                v1::Payload::Notification(n) => {
                    if let v1::NotifyDataV1::ResponderLifetime(attrs) = n.typed_data()? {
                        for a in attrs {
                            a?;
                            st.attributes += 1;
                        }
                    }
                }
                v1::Payload::Attributes(c) => {
                    for a in c.attributes() {
                        a?;
                        st.attributes += 1;
                    }
                }
                _ => {}
            },
            IkeVersion::V2 => match v2::decode(msg.bytes, &p, Mode::Strict)? {
                v2::Payload::Sa(props) => proposals(props, version, &mut st)?,
                v2::Payload::Identification(id) => {
                    id.id_data()?;
                }
                v2::Payload::TrafficSelectors(ts) => {
                    for s in ts.selectors() {
                        s?;
                        st.selectors += 1;
                    }
                }
                v2::Payload::Config(cp) => {
                    for a in cp.attributes() {
                        a?;
                        st.attributes += 1;
                    }
                }
                _ => {}
            },
        }
    }
    Ok(st)
}

fn proposals(props: ProposalIter<'_>, v: IkeVersion, st: &mut WalkStats) -> Result<()> {
    for p in props {
        let p = p?;
        st.proposals += 1;
        let mut n = 0usize;
        match v {
            IkeVersion::V1 => {
                for t in p.transforms_v1() {
                    let t = t?;
                    n += 1;
                    for a in t.attributes() {
                        a?;
                        st.attributes += 1;
                    }
                }
            }
            IkeVersion::V2 => {
                for t in p.transforms_v2() {
                    let t = t?;
                    n += 1;
                    for a in t.attributes() {
                        a?;
                        st.attributes += 1;
                    }
                }
            }
        }
        p.check_count(n)?;
        st.transforms += n;
    }
    Ok(())
}
