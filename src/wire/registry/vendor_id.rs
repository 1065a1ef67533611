//! Well-known Vendor ID payload values (ISAKMP/IKEv1 and IKEv2).
//!
//! A Vendor ID is an opaque byte string; most are the MD5 hash of a
//! documented string, some are plain ASCII, and a few carry a version in
//! their last bytes, so an entry matches either the exact bytes or a prefix.
//! Every value below was written for this crate: each comment says how the
//! bytes are derived (the MD5 values were computed from the quoted strings)
//! or which public document gives them. [MS-IKEE] is Microsoft's published
//! "Internet Key Exchange Protocol Extensions" specification.
//!
//! The table is ordered so that the first match is the most specific one:
//! all exact entries come first, then prefixes from longest to shortest.

/// A well-known Vendor ID value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorId {
    /// The Vendor ID bytes, or the leading bytes when `prefix` is set.
    pub bytes: &'static [u8],
    /// True if any Vendor ID starting with `bytes` matches.
    pub prefix: bool,
    /// Human-readable name.
    pub name: &'static str,
}

impl VendorId {
    /// True if the payload data `vid` is this Vendor ID.
    pub fn matches(&self, vid: &[u8]) -> bool {
        if self.prefix {
            vid.starts_with(self.bytes)
        } else {
            vid == self.bytes
        }
    }
}

/// Decodes a hex string of exactly `2 * N` digits at compile time.
const fn decode_hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("invalid hex digit"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 2 * N, "hex string has the wrong length");
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// A `&'static [u8]` from a hex literal, decoded at compile time.
macro_rules! hex {
    ($s:literal) => {{
        const B: [u8; $s.len() / 2] = decode_hex($s);
        &B
    }};
}

const fn exact(bytes: &'static [u8], name: &'static str) -> VendorId {
    VendorId {
        bytes,
        prefix: false,
        name,
    }
}

const fn prefix(bytes: &'static [u8], name: &'static str) -> VendorId {
    VendorId {
        bytes,
        prefix: true,
        name,
    }
}

static VENDOR_IDS: &[VendorId] = &[
    // MD5("RFC 3947"), RFC 3947 §3.1
    exact(
        hex!("4a131c81070358455c5728f20e95452f"),
        "RFC 3947 Negotiation of NAT-Traversal in the IKE",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-00")
    exact(
        hex!("4485152d18b6bbcd0be8a8469579ddcc"),
        "draft-ietf-ipsec-nat-t-ike-00",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-01")
    exact(
        hex!("16f6ca16e4a4066d83821a0f0aeaa862"),
        "draft-ietf-ipsec-nat-t-ike-01",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-02")
    exact(
        hex!("cd60464335df21f87cfdb2fc68b6a448"),
        "draft-ietf-ipsec-nat-t-ike-02",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-03")
    exact(
        hex!("7d9419a65310ca6f2c179d9215529d56"),
        "draft-ietf-ipsec-nat-t-ike-03",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-04")
    exact(
        hex!("9909b64eed937c6573de52ace952fa6b"),
        "draft-ietf-ipsec-nat-t-ike-04",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-05")
    exact(
        hex!("80d0bb3def54565ee84645d4c85ce3ee"),
        "draft-ietf-ipsec-nat-t-ike-05",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-06")
    exact(
        hex!("4d1e0e136deafa34c4f3ea9f02ec7285"),
        "draft-ietf-ipsec-nat-t-ike-06",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-07")
    exact(
        hex!("439b59f8ba676c4c7737ae22eab8f582"),
        "draft-ietf-ipsec-nat-t-ike-07",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-08")
    exact(
        hex!("8f8d83826d246b6fc7a8a6a428c11de8"),
        "draft-ietf-ipsec-nat-t-ike-08",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike-02\n"), the hash printed in the -02 draft includes the newline
    exact(
        hex!("90cb80913ebb696e086381b5ec427b1f"),
        "draft-ietf-ipsec-nat-t-ike-02\\n",
    ),
    // MD5("draft-ietf-ipsec-nat-t-ike")
    exact(
        hex!("4df37928e9fc4fd1b3262170d515c662"),
        "draft-ietf-ipsec-nat-t-ike (unversioned, Mac OS X racoon)",
    ),
    // MD5("draft-stenberg-ipsec-nat-traversal-01")
    exact(
        hex!("27bab5dc01ea0760ea4e3190ac27c0d0"),
        "draft-stenberg-ipsec-nat-traversal-01",
    ),
    // MD5("draft-stenberg-ipsec-nat-traversal-02")
    exact(
        hex!("6105c422e76847e43f9684801292aecd"),
        "draft-stenberg-ipsec-nat-traversal-02",
    ),
    // MD5("draft-huttunen-ipsec-esp-in-udp-00.txt")
    exact(
        hex!("6a7434c19d7e36348090a02334c9c805"),
        "draft-huttunen-ipsec-esp-in-udp-00.txt",
    ),
    // MD5("ESPThruNAT")
    exact(
        hex!("50760f624c63e5c53eea386c685ca083"),
        "ESPThruNAT (draft-huttunen)",
    ),
    // MD5("RFC XXXX"), literally four X
    exact(
        hex!("810fa565f8ab14369105d706fbd57279"),
        "RFC XXXX (Solaris 10 NAT-T)",
    ),
    // RFC 3706 §5.1: AFCAD713 68A1F1C9 6B8696FC 7757 + major 01 minor 00
    exact(
        hex!("afcad71368a1f1c96b8696fc77570100"),
        "RFC 3706 DPD (Dead Peer Detection)",
    ),
    // first 8 bytes of MD5("draft-ietf-ipsra-isakmp-xauth-06.txt")
    exact(hex!("09002689dfd6b712"), "XAUTH"),
    // MD5("CISCO-UNITY") with the last two bytes replaced by version 01 00
    exact(hex!("12f5f28c457168a9702d9fe274cc0100"), "CISCO-UNITY 1.0"),
    // MD5("MS-Negotiation Discovery Capable"), [MS-IKEE]
    exact(
        hex!("fb1de3cdf341b7ea16b7e5be0855f120"),
        "MS-Negotiation Discovery Capable",
    ),
    // MD5("IKE CGA version 1"), [MS-IKEE]
    exact(
        hex!("e3a5966a76379fe707228231e5ce8652"),
        "IKE CGA version 1",
    ),
    // MD5("MS-MamieExists"), [MS-IKEE]
    exact(
        hex!("214ca4faffa7f32d6748e5303395ae83"),
        "MS-MamieExists (AuthIP supported)",
    ),
    // MD5("Vid-Initial-Contact"), [MS-IKEE]
    exact(
        hex!("26244d38eddb61b3172a36e3d0cfb819"),
        "Vid-Initial-Contact",
    ),
    // MD5("MSFT IPsec Security Realm Id"), [MS-IKEE]
    exact(
        hex!("686a8cbdfe634b405146fb2baf33e9e8"),
        "MSFT IPsec Security Realm Id",
    ),
    // MD5("GSSAPI"), draft-ietf-ipsec-isakmp-gss-auth
    exact(hex!("621b04bb09882ac1e15935fefa24aeee"), "GSSAPI"),
    // MD5("A GSS-API Authentication Method for IKE"), draft-ietf-ipsec-isakmp-gss-auth
    exact(
        hex!("ad2c0dd0b9c32083ccba25b8861ec455"),
        "A GSS-API Authentication Method for IKE",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 2 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000002"),
        "Microsoft Windows 2000",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 3 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000003"),
        "Microsoft Windows XP",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 4 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000004"),
        "Microsoft Windows Server 2003",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 5 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000005"),
        "Microsoft Windows Vista",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 6 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000006"),
        "Microsoft Windows Server 2008",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 7 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000007"),
        "Microsoft Windows 7",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 8 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000008"),
        "Microsoft Windows Server 2008 R2",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY") + version 9 (32-bit), [MS-IKEE]
    exact(
        hex!("1e2b516905991c7d7c96fcbfb587e46100000009"),
        "Microsoft Windows 8 or later",
    ),
    // ASCII "CISCO-DELETE-REASON"
    exact(b"CISCO-DELETE-REASON", "Cisco Delete Reason"),
    // ASCII "CISCO-DYNAMIC-ROUTE"
    exact(b"CISCO-DYNAMIC-ROUTE", "Cisco Dynamic Route"),
    // ASCII "FLEXVPN-SUPPORTED"
    exact(b"FLEXVPN-SUPPORTED", "Cisco FlexVPN Supported"),
    // ASCII "CISCOVPN-REV-02"
    exact(b"CISCOVPN-REV-02", "Cisco VPN Revision 2"),
    // ASCII "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc."
    exact(
        b"CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.",
        "Cisco Copyright (c) 2009",
    ),
    // ASCII "IKEv2"
    exact(b"IKEv2", "CAN-IKEv2 (Openswan/Libreswan, obsolete)"),
    // ASCII "Opportunistic IPsec"
    exact(b"Opportunistic IPsec", "Opportunistic IPsec (Libreswan)"),
    // MD5("strongSwan")
    exact(hex!("882fe56d6fd20dbc2251613b2ebe5beb"), "strongSwan"),
    // MD5("strongSwan 2.2.0")
    exact(hex!("85b6cbec480d5c8cd9882c825ac2c244"), "strongSwan 2.2.0"),
    // MD5("strongSwan 2.2.1")
    exact(hex!("d9118b1e9de5efced9cc9d883f2168ff"), "strongSwan 2.2.1"),
    // MD5("strongSwan 2.2.2")
    exact(hex!("99dc7cc823376b3b33d04357896ae07b"), "strongSwan 2.2.2"),
    // MD5("strongSwan 2.3.0")
    exact(hex!("b8f92b2fa2d3fe5fe158344bda1cc6ae"), "strongSwan 2.3.0"),
    // MD5("strongSwan 2.3.1")
    exact(hex!("f697c1afcc2ec8ddcdf99dc7af03a67f"), "strongSwan 2.3.1"),
    // MD5("strongSwan 2.3.2")
    exact(hex!("42a4834c92ab9a7777063afa254bcb69"), "strongSwan 2.3.2"),
    // MD5("strongSwan 2.4.0")
    exact(hex!("e829c88149bab3c0cee85da60e18ae9b"), "strongSwan 2.4.0"),
    // MD5("strongSwan 2.4.1")
    exact(hex!("75b0653cb281eb26d31ede38c8e1e228"), "strongSwan 2.4.1"),
    // MD5("strongSwan 2.4.2")
    exact(hex!("e7a3fd0c6d771a8f1b8a86a4169c9ea4"), "strongSwan 2.4.2"),
    // MD5("strongSwan 2.4.3")
    exact(hex!("982b7a063a33c143a8eadc88249f6bcc"), "strongSwan 2.4.3"),
    // MD5("strongSwan 2.4.4")
    exact(hex!("485a70361b4433b31dea1c6be0df243e"), "strongSwan 2.4.4"),
    // MD5("strongSwan 2.5.0")
    exact(hex!("9eb3d907ed7ada4e3cbcacb917abc8e4"), "strongSwan 2.5.0"),
    // MD5("strongSwan 2.5.1")
    exact(hex!("9a4a4648f60f8eda7cfcbfe271ee5b7d"), "strongSwan 2.5.1"),
    // MD5("strongSwan 2.5.2")
    exact(hex!("861ce5eb72164b190e9e629a31cf4901"), "strongSwan 2.5.2"),
    // MD5("strongSwan 2.5.3")
    exact(hex!("df5b1f0f1d5679d9f8512b16c55a6065"), "strongSwan 2.5.3"),
    // MD5("strongSwan 2.5.4")
    exact(hex!("7a6bf5b7df89642a75a78ef7d657c1c0"), "strongSwan 2.5.4"),
    // MD5("strongSwan 2.5.5")
    exact(hex!("3f267ed621ada7ee6c7d8893ccb0b14b"), "strongSwan 2.5.5"),
    // MD5("strongSwan 2.5.6")
    exact(hex!("3c5eba3d8564928e32ae43c3d9924dee"), "strongSwan 2.5.6"),
    // MD5("strongSwan 2.5.7")
    exact(hex!("1f4442296b83d7e33a8b45209ba0e590"), "strongSwan 2.5.7"),
    // MD5("strongSwan 2.6.0")
    exact(hex!("3f3266499ffdbd85950e702298062844"), "strongSwan 2.6.0"),
    // MD5("strongSwan 2.6.1")
    exact(hex!("66afbc12bbfe6ce108b1f69f4bc917b7"), "strongSwan 2.6.1"),
    // MD5("strongSwan 2.6.2")
    exact(hex!("5b1cd6fe7d050eda6c93871c107db3d2"), "strongSwan 2.6.2"),
    // MD5("strongSwan 2.6.3")
    exact(hex!("b2860e7837f711bef3d0eeb106872ded"), "strongSwan 2.6.3"),
    // MD5("strongSwan 2.6.4")
    exact(hex!("b927f95219a0fe3600dba3c1182ae55f"), "strongSwan 2.6.4"),
    // MD5("strongSwan 2.7.0")
    exact(hex!("07fa128e4754f9447b1dd46374eef360"), "strongSwan 2.7.0"),
    // MD5("strongSwan 2.7.1")
    exact(hex!("8134878582121785ba65ea345d6ba724"), "strongSwan 2.7.1"),
    // MD5("strongSwan 2.7.2")
    exact(hex!("a194e2aaddd0bafb95253dd96dc733eb"), "strongSwan 2.7.2"),
    // MD5("strongSwan 2.7.3")
    exact(hex!("7f50cc4ebf04c2d9da73abfd69b77aa2"), "strongSwan 2.7.3"),
    // MD5("strongSwan 2.8.0")
    exact(hex!("32f0e9b9c06dfe8c9ad5599a636971a1"), "strongSwan 2.8.0"),
    // MD5("strongSwan 2.8.1")
    exact(hex!("e37f2d5ba89a62cd202ee27dac06c8a8"), "strongSwan 2.8.1"),
    // MD5("strongSwan 2.8.2")
    exact(hex!("299932277b7dfe382ce23465333a7d23"), "strongSwan 2.8.2"),
    // MD5("strongSwan 2.8.3")
    exact(hex!("fb4641ad0eeb2a34491d15f4eff51063"), "strongSwan 2.8.3"),
    // MD5("strongSwan 2.8.4")
    exact(hex!("76c72bfd398424dd001b86d0012fe061"), "strongSwan 2.8.4"),
    // MD5("strongSwan 2.8.5")
    exact(hex!("4c7efa31b39e510432a317570d97bbb9"), "strongSwan 2.8.5"),
    // MD5("strongSwan 2.8.6")
    exact(hex!("fe3f49706e26a9fb36a87bfce9ea36ce"), "strongSwan 2.8.6"),
    // MD5("strongSwan 2.8.7")
    exact(hex!("3a0d4e7ca4e492ed4dfe476d1ac6018b"), "strongSwan 2.8.7"),
    // MD5("strongSwan 2.8.8")
    exact(hex!("8c4a3bcb729b11f703d22a5b39640ca8"), "strongSwan 2.8.8"),
    // MD5("strongSwan 4.0.0")
    exact(hex!("2ce9c946a4c879bf11b50b76cc5692cb"), "strongSwan 4.0.0"),
    // MD5("strongSwan 4.0.1")
    exact(hex!("9dbbafcf1db0dd595ae065294003ad3e"), "strongSwan 4.0.1"),
    // MD5("strongSwan 4.0.2")
    exact(hex!("77e8eea6f556a499de3ffe7f7f95661c"), "strongSwan 4.0.2"),
    // MD5("strongSwan 4.0.3")
    exact(hex!("b181b18e114fc209b3c6e26c3a80718e"), "strongSwan 4.0.3"),
    // MD5("strongSwan 4.0.4")
    exact(hex!("1ef283f83549b5ff9608b6d634f84d75"), "strongSwan 4.0.4"),
    // MD5("strongSwan 4.0.5")
    exact(hex!("dd180d21e5ce655a768ba32211dd8ad9"), "strongSwan 4.0.5"),
    // MD5("strongSwan 4.0.6")
    exact(hex!("4c90136946577b51919d8d9a6b8e4a9f"), "strongSwan 4.0.6"),
    // MD5("strongSwan 4.0.7")
    exact(hex!("ab0746221cc8fd0d5238f73a9b3da557"), "strongSwan 4.0.7"),
    // MD5("strongSwan 4.1.0")
    exact(hex!("4794cef6843422980d1a3d06af41c5cd"), "strongSwan 4.1.0"),
    // MD5("strongSwan 4.1.1")
    exact(hex!("d3f1c488c368175d5f40a8f5ca5f5e12"), "strongSwan 4.1.1"),
    // MD5("strongSwan 4.1.2")
    exact(hex!("15a1ace7ee52fddfef04f928db2dd134"), "strongSwan 4.1.2"),
    // MD5("strongSwan 4.1.3")
    exact(hex!("5849ab6d8beabd6e4d09e5a3b88c089a"), "strongSwan 4.1.3"),
    // MD5("strongSwan 4.1.4")
    exact(hex!("312f9cb1a6b90e19de7528c904ac3087"), "strongSwan 4.1.4"),
    // MD5("strongSwan 4.1.5")
    exact(hex!("bf0fbf7306ebb7827042d893539886e2"), "strongSwan 4.1.5"),
    // MD5("strongSwan 4.1.6")
    exact(hex!("d19683368af4b0edc21ccde982b1d1b0"), "strongSwan 4.1.6"),
    // MD5("strongSwan 4.1.7")
    exact(hex!("ea840aa4dfc9712d6c32b5a16eb329a3"), "strongSwan 4.1.7"),
    // MD5("strongSwan 4.1.8")
    exact(hex!("66a2045507c119da78a4666259cdea48"), "strongSwan 4.1.8"),
    // MD5("strongSwan 4.1.9")
    exact(hex!("78fdd287def01a3f074b5369eab4fd1c"), "strongSwan 4.1.9"),
    // MD5("strongSwan 4.1.10")
    exact(
        hex!("bf3a89ae5bef8e72d44dac8bb88d7d5f"),
        "strongSwan 4.1.10",
    ),
    // MD5("strongSwan 4.1.11")
    exact(
        hex!("b7bd9f2f978e3259a7aa9f7a1396ad6c"),
        "strongSwan 4.1.11",
    ),
    // MD5("strongSwan 4.2.0")
    exact(hex!("9f68901325a972894335302a9531ab9f"), "strongSwan 4.2.0"),
    // MD5("strongSwan 4.2.1")
    exact(hex!("bab253f4cb10a8108a7c927c56c87886"), "strongSwan 4.2.1"),
    // MD5("strongSwan 4.2.2")
    exact(hex!("2a517d0d23c37d08bce7c292a0217b39"), "strongSwan 4.2.2"),
    // MD5("strongSwan 4.2.3")
    exact(hex!("2d1f406118fbd5d28474791ffa00488a"), "strongSwan 4.2.3"),
    // MD5("KAME/racoon")
    exact(hex!("7003cbc1097dbe9c2600ba6983bc8b35"), "KAME/racoon"),
    // MD5("SSH Sentinel")
    exact(hex!("054182a07c7ae206f9d2cf9d2432c482"), "SSH Sentinel"),
    // MD5("SSH Sentinel 1.1")
    exact(hex!("b91623e693ca18a54c6a2778552305e8"), "SSH Sentinel 1.1"),
    // MD5("SSH Sentinel 1.2")
    exact(hex!("5430888de01a31a6fa8f60224e449958"), "SSH Sentinel 1.2"),
    // MD5("SSH Sentinel 1.3")
    exact(hex!("7ee5cb85f71ce259c94a5c731ee4e752"), "SSH Sentinel 1.3"),
    // MD5("SSH Sentinel 1.4")
    exact(hex!("63d9a1a7009491b5a0a6fdeb2a8284f0"), "SSH Sentinel 1.4"),
    // MD5("SSH Sentinel 1.4.1")
    exact(
        hex!("eb4b0d96276b4e220ad16221a7b2a5e6"),
        "SSH Sentinel 1.4.1",
    ),
    // MD5("Ssh Communications Security IPSEC Express version 1.1.0")
    exact(
        hex!("fbf47614984031fa8e3bb6198089b223"),
        "Ssh Communications Security IPSEC Express version 1.1.0",
    ),
    // MD5("Ssh Communications Security IPSEC Express version 1.1.1")
    exact(
        hex!("1952dc91ac20f646fb01cf42a33aee30"),
        "Ssh Communications Security IPSEC Express version 1.1.1",
    ),
    // MD5("Ssh Communications Security IPSEC Express version 1.1.2")
    exact(
        hex!("e8bffa643e5c8f2cd10fda7370b6ebe5"),
        "Ssh Communications Security IPSEC Express version 1.1.2",
    ),
    // MD5("Ssh Communications Security IPSEC Express version 1.2.1")
    exact(
        hex!("c1111b2dee8cbc3d620573ec57aab9cb"),
        "Ssh Communications Security IPSEC Express version 1.2.1",
    ),
    // MD5("Ssh Communications Security IPSEC Express version 1.2.2")
    exact(
        hex!("09ec27bfbc09c75823cfecbffe565a2e"),
        "Ssh Communications Security IPSEC Express version 1.2.2",
    ),
    // MD5("SSH Communications Security IPSEC Express version 2.0.0")
    exact(
        hex!("7f21a596e4e318f0b2f4944c2384cb84"),
        "SSH Communications Security IPSEC Express version 2.0.0",
    ),
    // MD5("SSH Communications Security IPSEC Express version 2.1.0")
    exact(
        hex!("2836d1fd2807bc9e5ae30786320451ec"),
        "SSH Communications Security IPSEC Express version 2.1.0",
    ),
    // MD5("SSH Communications Security IPSEC Express version 2.1.1")
    exact(
        hex!("a68de756a9c5229bae66498040951ad5"),
        "SSH Communications Security IPSEC Express version 2.1.1",
    ),
    // MD5("SSH Communications Security IPSEC Express version 2.1.2")
    exact(
        hex!("3f2372867e237c1cd8250a75559cae20"),
        "SSH Communications Security IPSEC Express version 2.1.2",
    ),
    // MD5("SSH Communications Security IPSEC Express version 3.0.0")
    exact(
        hex!("0e58d5774df602007d0b02443660f7eb"),
        "SSH Communications Security IPSEC Express version 3.0.0",
    ),
    // MD5("SSH Communications Security IPSEC Express version 3.0.1")
    exact(
        hex!("f5ce31ebc210f44350cf71265b57380f"),
        "SSH Communications Security IPSEC Express version 3.0.1",
    ),
    // MD5("SSH Communications Security IPSEC Express version 4.0.0")
    exact(
        hex!("f64260af2e2742daddd56987068a99a0"),
        "SSH Communications Security IPSEC Express version 4.0.0",
    ),
    // MD5("SSH Communications Security IPSEC Express version 4.0.1")
    exact(
        hex!("7a54d3bdb3b1e6d923892064be2d981c"),
        "SSH Communications Security IPSEC Express version 4.0.1",
    ),
    // MD5("SSH Communications Security IPSEC Express version 4.1.0")
    exact(
        hex!("9aa1f3b43472a45d5f506aeb260cf214"),
        "SSH Communications Security IPSEC Express version 4.1.0",
    ),
    // MD5("SSH Communications Security IPSEC Express version 4.2.0")
    exact(
        hex!("6880c7d026099114e486c55430e7abee"),
        "SSH Communications Security IPSEC Express version 4.2.0",
    ),
    // MD5("Fortinet Endpoint Control")
    exact(
        hex!("b4f01ca951e9da8d0bafbbd34ad3044e"),
        "Fortinet Endpoint Control",
    ),
    // MD5("forticlient connect license")
    exact(
        hex!("4c53427b6d465d1b337bb755a37a7fef"),
        "FortiClient connect license",
    ),
    // Check Point prefix (20 bytes, published constant); product and version words follow
    prefix(
        hex!("f4ed19e0c114eb516faaac0ee37daf2807b4381f"),
        "Check Point",
    ),
    // MD5("MS NT5 ISAKMPOAKLEY"), followed by a 32-bit version
    prefix(
        hex!("1e2b516905991c7d7c96fcbfb587e461"),
        "Microsoft Windows (MS NT5 ISAKMPOAKLEY)",
    ),
    // MD5("FRAGMENTATION"), optionally followed by 32-bit capability flags
    prefix(
        hex!("4048b7d56ebce88525e7de7f00d6c2d3"),
        "FRAGMENTATION (Cisco/Microsoft IKE fragmentation)",
    ),
    // ASCII "HeartBeat_Notify" followed by version bytes
    prefix(b"HeartBeat_Notify", "HeartBeat Notify"),
    // MD5("CISCO-UNITY") less its last two bytes, which carry the version
    prefix(hex!("12f5f28c457168a9702d9fe274cc"), "CISCO-UNITY"),
    // first 14 bytes of MD5("ALTIGA GATEWAY"); two version bytes follow
    prefix(
        hex!("1f07f70eaa6514d3b0fa96542a50"),
        "Cisco VPN 3000 Series",
    ),
    // ASCII "OE-Libreswan-" followed by the version
    prefix(b"OE-Libreswan-", "Libreswan (3.6+)"),
    // ASCII "OpenIKED" followed by the version
    prefix(b"OpenIKED", "OpenIKED"),
    // ASCII "TIMESTEP" followed by a product string
    prefix(b"TIMESTEP", "Timestep"),
    // ASCII "OEN"
    prefix(b"OEN", "Libreswan 3.0 - 3.5"),
    // ASCII "OSW"
    prefix(b"OSW", "Openswan (Xelerance)"),
    // ASCII "OE", the FreeS/WAN-style vendor ID prefix
    prefix(b"OE", "Openswan or FreeS/WAN"),
];

/// The table of known Vendor IDs, most specific first.
pub fn vendor_ids() -> &'static [VendorId] {
    VENDOR_IDS
}

/// The name of a Vendor ID payload's data, if it is a known one.
pub fn vendor_id_name(vid: &[u8]) -> Option<&'static str> {
    VENDOR_IDS.iter().find(|v| v.matches(vid)).map(|v| v.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn computed_md5_values() {
        // MD5("RFC 3947"), as printed in RFC 3947.
        assert_eq!(
            vendor_id_name(&h("4a131c81070358455c5728f20e95452f")),
            Some("RFC 3947 Negotiation of NAT-Traversal in the IKE")
        );
        // MD5("strongSwan")
        assert_eq!(
            vendor_id_name(&h("882fe56d6fd20dbc2251613b2ebe5beb")),
            Some("strongSwan")
        );
        // MD5("strongSwan 4.1.8")
        assert_eq!(
            vendor_id_name(&h("66a2045507c119da78a4666259cdea48")),
            Some("strongSwan 4.1.8")
        );
        // MD5("KAME/racoon")
        assert_eq!(
            vendor_id_name(&h("7003cbc1097dbe9c2600ba6983bc8b35")),
            Some("KAME/racoon")
        );
        assert_eq!(
            vendor_id_name(&h("90cb80913ebb696e086381b5ec427b1f")),
            Some("draft-ietf-ipsec-nat-t-ike-02\\n")
        );
    }

    #[test]
    fn documented_values() {
        assert_eq!(
            vendor_id_name(&h("afcad71368a1f1c96b8696fc77570100")),
            Some("RFC 3706 DPD (Dead Peer Detection)")
        );
        assert_eq!(vendor_id_name(&h("09002689dfd6b712")), Some("XAUTH"));
        assert_eq!(
            vendor_id_name(&h("12f5f28c457168a9702d9fe274cc0100")),
            Some("CISCO-UNITY 1.0")
        );
        assert_eq!(
            vendor_id_name(&h("12f5f28c457168a9702d9fe274cc0200")),
            Some("CISCO-UNITY")
        );
        assert_eq!(
            vendor_id_name(&h("1e2b516905991c7d7c96fcbfb587e46100000009")),
            Some("Microsoft Windows 8 or later")
        );
        assert_eq!(
            vendor_id_name(&h("1e2b516905991c7d7c96fcbfb587e46100000063")),
            Some("Microsoft Windows (MS NT5 ISAKMPOAKLEY)")
        );
        assert_eq!(
            vendor_id_name(&h("4048b7d56ebce88525e7de7f00d6c2d3c0000000")),
            Some("FRAGMENTATION (Cisco/Microsoft IKE fragmentation)")
        );
        assert_eq!(
            vendor_id_name(b"CISCO-DELETE-REASON"),
            Some("Cisco Delete Reason")
        );
        assert_eq!(
            vendor_id_name(b"OE-Libreswan-4.12"),
            Some("Libreswan (3.6+)")
        );
        assert_eq!(
            vendor_id_name(b"OEabcdefghij"),
            Some("Openswan or FreeS/WAN")
        );
    }

    #[test]
    fn unknown_and_truncated() {
        assert_eq!(vendor_id_name(&[]), None);
        assert_eq!(vendor_id_name(&h("4a131c81070358455c5728f20e9545")), None);
        assert_eq!(vendor_id_name(&[0u8; 16]), None);
        // An exact entry does not match a longer value.
        assert_eq!(
            vendor_id_name(&h("4a131c81070358455c5728f20e95452f00")),
            None
        );
    }

    #[test]
    fn every_entry_is_reachable() {
        // No entry is shadowed by an earlier, less specific one, and no two
        // entries share their bytes.
        for (i, v) in vendor_ids().iter().enumerate() {
            assert!(!v.bytes.is_empty());
            let first = vendor_ids().iter().position(|w| w.matches(v.bytes));
            assert_eq!(first, Some(i), "{} is shadowed", v.name);
        }
    }
}
