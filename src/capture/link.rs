//! Link-layer types and decapsulation down to the IP header.
//!
//! Supported link types: Ethernet (with 802.1Q / 802.1ad / QinQ tags, LLC/SNAP
//! and PPPoE session encapsulation), Linux cooked capture v1 and v2, raw IP
//! (`LINKTYPE_RAW` 101 and the legacy DLT values 12 and 14), `LINKTYPE_IPV4`,
//! `LINKTYPE_IPV6`, BSD null (host byte order) and OpenBSD loop (network byte
//! order) loopback encapsulation.

use std::fmt;

use super::bytes::{be16, be32, le32};

/// A pcap/pcapng link-layer header type (`LINKTYPE_*` value).
///
/// See <https://www.tcpdump.org/linktypes.html>.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, 4-byte address family in the byte order
    /// of the capturing host.
    pub const NULL: LinkType = LinkType(0);
    /// `LINKTYPE_ETHERNET` (1): IEEE 802.3 Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
    /// DLT value 12: raw IP on most platforms (`DLT_RAW`).
    pub const RAW_DLT12: LinkType = LinkType(12);
    /// DLT value 14: raw IP on BSD/OS and OpenBSD (`DLT_RAW`).
    pub const RAW_DLT14: LinkType = LinkType(14);
    /// `LINKTYPE_RAW` (101): raw IPv4 or IPv6, no link-layer header.
    pub const RAW: LinkType = LinkType(101);
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture, version 1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// `LINKTYPE_IPV4` (228): raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// `LINKTYPE_IPV6` (229): raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// `LINKTYPE_LINUX_SLL2` (276): Linux "cooked" capture, version 2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Whether [`Decoder`](super::Decoder) can decapsulate frames of this type.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            LinkType::NULL
                | LinkType::ETHERNET
                | LinkType::RAW_DLT12
                | LinkType::RAW_DLT14
                | LinkType::RAW
                | LinkType::LOOP
                | LinkType::LINUX_SLL
                | LinkType::IPV4
                | LinkType::IPV6
                | LinkType::LINUX_SLL2
        )
    }

    /// The `LINKTYPE_` name (without prefix) of well-known link types.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "NULL",
            1 => "ETHERNET",
            3 => "AX25",
            6 => "IEEE802_5",
            7 => "ARCNET_BSD",
            8 => "SLIP",
            9 => "PPP",
            10 => "FDDI",
            12 | 14 => "DLT_RAW",
            50 => "PPP_HDLC",
            51 => "PPP_ETHER",
            100 => "ATM_RFC1483",
            101 => "RAW",
            104 => "C_HDLC",
            105 => "IEEE802_11",
            107 => "FRELAY",
            108 => "LOOP",
            113 => "LINUX_SLL",
            114 => "LTALK",
            117 => "PFLOG",
            119 => "IEEE802_11_PRISM",
            122 => "IP_OVER_FC",
            123 => "SUNATM",
            127 => "IEEE802_11_RADIOTAP",
            129 => "ARCNET_LINUX",
            138 => "APPLE_IP_OVER_IEEE1394",
            139 => "MTP2_WITH_PHDR",
            140 => "MTP2",
            141 => "MTP3",
            142 => "SCCP",
            143 => "DOCSIS",
            144 => "LINUX_IRDA",
            147..=162 => "USER",
            163 => "IEEE802_11_AVS",
            165 => "BACNET_MS_TP",
            166 => "PPP_PPPD",
            169 => "GPRS_LLC",
            177 => "LINUX_LAPD",
            187 => "BLUETOOTH_HCI_H4",
            189 => "USB_LINUX",
            192 => "PPI",
            195 => "IEEE802_15_4_WITHFCS",
            201 => "BLUETOOTH_HCI_H4_WITH_PHDR",
            215 => "IEEE802_15_4_NONASK_PHY",
            220 => "USB_LINUX_MMAPPED",
            227 => "CAN_SOCKETCAN",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            240 => "NETANALYZER",
            248 => "SCTP",
            249 => "USBPCAP",
            252 => "WIRESHARK_UPPER_PDU",
            263 => "BLUETOOTH_LE_LL",
            274 => "NORDIC_BLE",
            276 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The network-layer packet found inside a link-layer frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetPacket<'a> {
    /// An IPv4 header and what follows it.
    Ipv4(&'a [u8]),
    /// An IPv6 header and what follows it.
    Ipv6(&'a [u8]),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD1: u16 = 0x9100;
const ETHERTYPE_QINQ_OLD2: u16 = 0x9200;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;

/// Maximum number of stacked VLAN / PPPoE headers followed.
const MAX_TAGS: usize = 8;

/// Strips the link-layer header of `data` (a frame of type `link_type`).
///
/// Returns the network-layer packet or a short reason why there is none.
pub(crate) fn decapsulate(link_type: LinkType, data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    match link_type {
        LinkType::ETHERNET => ethernet(data),
        LinkType::RAW | LinkType::RAW_DLT12 | LinkType::RAW_DLT14 => raw_ip(data),
        LinkType::IPV4 => Ok(NetPacket::Ipv4(data)),
        LinkType::IPV6 => Ok(NetPacket::Ipv6(data)),
        LinkType::NULL => {
            // Host byte order of the capturing machine: families are small
            // numbers, so a non-zero upper half means the other byte order.
            let le = le32(data, 0).ok_or("truncated loopback header")?;
            let family = if le & 0xffff_0000 != 0 {
                le.swap_bytes()
            } else {
                le
            };
            loopback(family, data.get(4..).unwrap_or_default())
        }
        LinkType::LOOP => {
            let family = be32(data, 0).ok_or("truncated loopback header")?;
            loopback(family, data.get(4..).unwrap_or_default())
        }
        LinkType::LINUX_SLL => {
            let proto = be16(data, 14).ok_or("truncated Linux cooked (SLL) header")?;
            ethertype(proto, data.get(16..).unwrap_or_default())
        }
        LinkType::LINUX_SLL2 => {
            let proto = be16(data, 0).ok_or("truncated Linux cooked (SLL2) header")?;
            if data.len() < 20 {
                return Err("truncated Linux cooked (SLL2) header");
            }
            ethertype(proto, data.get(20..).unwrap_or_default())
        }
        _ => Err("unsupported link type"),
    }
}

fn ethernet(data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    let et = be16(data, 12).ok_or("truncated Ethernet header")?;
    let rest = data.get(14..).unwrap_or_default();
    if et <= 1500 {
        return llc(rest);
    }
    ethertype(et, rest)
}

/// IEEE 802.2 LLC: only SNAP-encapsulated ethertypes can carry IP here.
fn llc(data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    match data.get(..3) {
        Some([0xaa, 0xaa, 0x03]) => {
            let et = be16(data, 6).ok_or("truncated LLC/SNAP header")?;
            ethertype(et, data.get(8..).unwrap_or_default())
        }
        Some(_) => Err("IEEE 802.3/LLC frame without IP"),
        None => Err("truncated LLC header"),
    }
}

fn ethertype(mut et: u16, mut data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    for _ in 0..MAX_TAGS {
        match et {
            ETHERTYPE_IPV4 => return Ok(NetPacket::Ipv4(data)),
            ETHERTYPE_IPV6 => return Ok(NetPacket::Ipv6(data)),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD1 | ETHERTYPE_QINQ_OLD2 => {
                et = be16(data, 2).ok_or("truncated VLAN tag")?;
                data = data.get(4..).unwrap_or_default();
                if et <= 1500 {
                    return llc(data);
                }
            }
            ETHERTYPE_PPPOE_SESSION => {
                // version/type, code, session id, length, then the PPP protocol.
                let ppp = be16(data, 6).ok_or("truncated PPPoE header")?;
                let len = usize::from(be16(data, 4).unwrap_or(0));
                let end = 6usize.saturating_add(len).min(data.len());
                let payload = data.get(8..end).unwrap_or_default();
                return match ppp {
                    0x0021 => Ok(NetPacket::Ipv4(payload)),
                    0x0057 => Ok(NetPacket::Ipv6(payload)),
                    _ => Err("PPPoE frame without IP"),
                };
            }
            0x0806 => return Err("ARP"),
            _ => return Err("non-IP ethertype"),
        }
    }
    Err("too many stacked VLAN tags")
}

fn raw_ip(data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok(NetPacket::Ipv4(data)),
        Some(6) => Ok(NetPacket::Ipv6(data)),
        Some(_) => Err("raw IP frame with unknown IP version"),
        None => Err("empty frame"),
    }
}

fn loopback(family: u32, data: &[u8]) -> Result<NetPacket<'_>, &'static str> {
    match family {
        2 => Ok(NetPacket::Ipv4(data)),
        // AF_INET6: NetBSD/OpenBSD/BSD-OS 24, FreeBSD/DragonFly 28, Darwin 30.
        24 | 28 | 30 => Ok(NetPacket::Ipv6(data)),
        _ => Err("loopback frame with non-IP address family"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&et.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn ethernet_plain_and_vlan() {
        let f = eth(0x0800, &[0x45, 1, 2]);
        assert_eq!(
            decapsulate(LinkType::ETHERNET, &f),
            Ok(NetPacket::Ipv4(&[0x45, 1, 2][..]))
        );
        // QinQ: 88a8 tag, then 8100 tag, then IPv6.
        let f = eth(0x88a8, &[0, 10, 0x81, 0x00, 0, 20, 0x86, 0xdd, 0x60]);
        assert_eq!(
            decapsulate(LinkType::ETHERNET, &f),
            Ok(NetPacket::Ipv6(&[0x60][..]))
        );
        let f = eth(0x8100, &[0, 10]);
        assert_eq!(
            decapsulate(LinkType::ETHERNET, &f),
            Err("truncated VLAN tag")
        );
        // LLC/SNAP carrying IPv4.
        let f = eth(8, &[0xaa, 0xaa, 3, 0, 0, 0, 8, 0, 0x45]);
        assert_eq!(
            decapsulate(LinkType::ETHERNET, &f),
            Ok(NetPacket::Ipv4(&[0x45][..]))
        );
        assert!(decapsulate(LinkType::ETHERNET, &eth(0x0806, &[])).is_err());
        assert!(decapsulate(LinkType::ETHERNET, &[0; 13]).is_err());
    }

    #[test]
    fn loopback_families() {
        assert_eq!(
            decapsulate(LinkType::NULL, &[2, 0, 0, 0, 0x45]),
            Ok(NetPacket::Ipv4(&[0x45][..]))
        );
        assert_eq!(
            decapsulate(LinkType::NULL, &[0, 0, 0, 30, 0x60]),
            Ok(NetPacket::Ipv6(&[0x60][..]))
        );
        assert_eq!(
            decapsulate(LinkType::LOOP, &[0, 0, 0, 24]),
            Ok(NetPacket::Ipv6(&[][..]))
        );
        assert!(decapsulate(LinkType::LOOP, &[28, 0, 0, 0]).is_err());
        assert!(decapsulate(LinkType::NULL, &[2, 0]).is_err());
    }

    #[test]
    fn cooked_and_raw() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(
            decapsulate(LinkType::LINUX_SLL, &sll),
            Ok(NetPacket::Ipv6(&[0x60][..]))
        );
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.push(0x45);
        assert_eq!(
            decapsulate(LinkType::LINUX_SLL2, &sll2),
            Ok(NetPacket::Ipv4(&[0x45][..]))
        );
        assert!(decapsulate(LinkType::LINUX_SLL2, &sll2[..19]).is_err());
        assert_eq!(
            decapsulate(LinkType::RAW, &[0x60]),
            Ok(NetPacket::Ipv6(&[0x60][..]))
        );
        assert!(decapsulate(LinkType::RAW_DLT12, &[0x50]).is_err());
        assert!(decapsulate(LinkType::RAW_DLT14, &[]).is_err());
        assert!(decapsulate(LinkType(105), &[0; 64]).is_err());
    }

    #[test]
    fn display_names() {
        assert_eq!(LinkType(105).to_string(), "IEEE802_11 (105)");
        assert_eq!(LinkType(60000).to_string(), "60000");
        assert!(LinkType::LINUX_SLL2.is_supported());
        assert!(!LinkType(9).is_supported());
    }
}
