//! The static field catalogue: every field the dissector can report, with
//! the filter name, display name, type, display base, bit mask and value
//! names a Wireshark `hf_register_info` needs.
//!
//! Filter names are `rike.<suffix>` with the built-in `isakmp` dissector's
//! suffix wherever the meaning is the same (`isakmp.ispi` ↔ `rike.ispi`),
//! so display filters carry over by a prefix swap. Fields the built-in
//! dissector lacks get new suffixes (marked "rike only" below).

use crate::wire::registry::*;

/// The type of a field's value, as Wireshark's `FT_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// A subtree label without a value of its own (`FT_NONE`).
    Label,
    /// Unsigned 8-bit (`FT_UINT8`).
    U8,
    /// Unsigned 16-bit (`FT_UINT16`).
    U16,
    /// Unsigned 32-bit (`FT_UINT32`).
    U32,
    /// Unsigned 64-bit (`FT_UINT64`).
    U64,
    /// A boolean bit (`FT_BOOLEAN` with the mask), over `bits` bits.
    Bool {
        /// Width of the containing integer in bits (8, 16, 32).
        bits: u8,
    },
    /// Raw bytes (`FT_BYTES`).
    Bytes,
    /// IPv4 address (`FT_IPv4`).
    Ipv4,
    /// IPv6 address (`FT_IPv6`).
    Ipv6,
    /// Text (`FT_STRING`), not NUL-terminated on the wire.
    String,
    /// A frame number (`FT_FRAMENUM`), value given in the record.
    FrameNum,
    /// A relative time in nanoseconds (`FT_RELATIVE_TIME` on the C side),
    /// value given in the record.
    RelTimeNs,
}

/// Display base of an integer field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    /// No base (bytes, strings, subtrees).
    None,
    /// Decimal.
    Dec,
    /// Hexadecimal.
    Hex,
}

/// Value names of an integer field, taken from a registry.
#[derive(Clone, Copy)]
pub struct ValueNames {
    /// The name of a value (registered or range name).
    pub lookup: fn(u64) -> Option<&'static str>,
    /// Every registered (value, name) pair, for value-string tables.
    pub named: fn() -> Vec<(u32, &'static str)>,
    /// Ranges of values without names of their own (private use,
    /// unassigned …): (first, last, name), for range-string tables.
    pub ranges: fn() -> Vec<(u32, u32, &'static str)>,
}

impl core::fmt::Debug for ValueNames {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ValueNames")
    }
}

macro_rules! vals {
    ($t:ident) => {
        Some(ValueNames {
            lookup: |v| TryFrom::try_from(v).ok().and_then(|x| $t(x).describe()),
            named: || $t::NAMED.iter().map(|&(v, n)| (u32::from(v), n)).collect(),
            ranges: || {
                $t::RANGES
                    .iter()
                    .map(|&(lo, hi, n)| (u32::from(lo), u32::from(hi), n))
                    .collect()
            },
        })
    };
}

/// Values of `rike.enc.icd.status`: the verdict on an ICV or AEAD tag,
/// numbered as Wireshark's checksum status fields are.
pub mod integrity_status {
    /// The ICV or tag does not verify (wrong key, or damaged data).
    pub const BAD: u64 = 0;
    /// The ICV or tag verifies.
    pub const GOOD: u64 = 1;
    /// Nothing to verify with ("ANY n-bits" integrity in a key table).
    pub const UNVERIFIED: u64 = 2;
    pub(super) const NAMES: &[(u32, &str)] = &[(0, "Bad"), (1, "Good"), (2, "Unverified")];
}

const INTEGRITY_STATUS: Option<ValueNames> = Some(ValueNames {
    lookup: |v| {
        integrity_status::NAMES
            .iter()
            .find(|(n, _)| u64::from(*n) == v)
            .map(|(_, s)| *s)
    },
    named: || integrity_status::NAMES.to_vec(),
    ranges: Vec::new,
});

/// Boolean names of a flag field: (true text, false text).
pub type TrueFalse = Option<(&'static str, &'static str)>;

/// One catalogue entry.
#[derive(Clone, Copy, Debug)]
pub struct FieldDesc {
    /// The field's identity.
    pub field: Field,
    /// Filter name, e.g. `rike.ispi`.
    pub abbrev: &'static str,
    /// Display name, e.g. "Initiator SPI".
    pub name: &'static str,
    /// Value type.
    pub kind: FieldKind,
    /// Display base.
    pub base: Base,
    /// Bit mask within the field's octets (0 = whole field).
    pub mask: u64,
    /// Value names, for integer fields backed by a registry.
    pub vals: Option<ValueNames>,
    /// Texts for a boolean field's two states.
    pub tf: TrueFalse,
}

macro_rules! catalogue {
    ($( $id:ident => $abbrev:literal, $name:literal, $kind:expr, $base:expr, $mask:expr, $vals:expr, $tf:expr; )*) => {
        /// Field identifiers, indices into [`CATALOGUE`].
        #[repr(u16)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum Field { $( $id, )* }

        /// Every field, indexed by `Field as usize`.
        pub static CATALOGUE: &[FieldDesc] = &[ $( FieldDesc {
            field: Field::$id,
            abbrev: $abbrev,
            name: $name,
            kind: $kind,
            base: $base,
            mask: $mask,
            vals: $vals,
            tf: $tf,
        }, )* ];
    };
}

use Base::{Dec, Hex};
use FieldKind::*;
const NB: Base = Base::None;

const fn b8() -> FieldKind {
    Bool { bits: 8 }
}
const fn b16() -> FieldKind {
    Bool { bits: 16 }
}
const fn b32() -> FieldKind {
    Bool { bits: 32 }
}

catalogue! {
    // ---- header (RFC 2408 §3.1, RFC 7296 §3.1)
    Ispi => "rike.ispi", "Initiator SPI", Bytes, NB, 0, None, None;
    Rspi => "rike.rspi", "Responder SPI", Bytes, NB, 0, None, None;
    NextPayload => "rike.nextpayload", "Next payload", U8, Dec, 0, vals!(PayloadType), None;
    Version => "rike.version", "Version", U8, Hex, 0, None, None;
    MjVer => "rike.mjver", "MjVer", U8, Hex, 0xf0, None, None;
    MnVer => "rike.mnver", "MnVer", U8, Hex, 0x0f, None, None;
    ExchangeType => "rike.exchangetype", "Exchange type", U8, Dec, 0, vals!(ExchangeType), None;
    Flags => "rike.flags", "Flags", U8, Hex, 0, None, None;
    FlagE => "rike.flag_e", "Encryption", b8(), NB, 0x01, None, Some(("Encrypted", "Not encrypted"));
    FlagC => "rike.flag_c", "Commit", b8(), NB, 0x02, None, Some(("Commit", "No commit"));
    FlagA => "rike.flag_a", "Authentication", b8(), NB, 0x04, None, Some(("Authentication", "No authentication"));
    FlagI => "rike.flag_i", "Initiator", b8(), NB, 0x08, None, Some(("Initiator", "Responder"));
    FlagV => "rike.flag_v", "Version", b8(), NB, 0x10, None, Some(("A higher version enabled", "No higher version"));
    FlagR => "rike.flag_r", "Response", b8(), NB, 0x20, None, Some(("Response", "Request"));
    MessageId => "rike.messageid", "Message ID", U32, Hex, 0, None, None;
    Length => "rike.length", "Length", U32, Dec, 0, None, None;
    // ---- generic payload header
    TypePayload => "rike.typepayload", "Payload", U8, Dec, 0, vals!(PayloadType), None;
    CriticalPayload => "rike.criticalpayload", "Critical Bit", b8(), NB, 0x80, None, Some(("Critical", "Not critical"));
    Reserved7 => "rike.reserved7", "Reserved", U8, Hex, 0x7f, None, None;
    Reserved => "rike.reserved", "Reserved", Bytes, NB, 0, None, None;
    PayloadLength => "rike.payloadlength", "Payload length", U16, Dec, 0, None, None;
    ExtraData => "rike.extradata", "Extra data", Bytes, NB, 0, None, None;
    DataPayload => "rike.datapayload", "Data Payload", Bytes, NB, 0, None, None;
    // ---- SA (v1)
    SaDoi => "rike.sa.doi", "Domain of interpretation", U32, Dec, 0, vals!(Doi), None;
    SaSituation => "rike.sa.situation", "Situation", Bytes, NB, 0, None, None;
    SitIdentityOnly => "rike.sa.situation.identity_only", "Identity Only", b32(), NB, 0x1, None, None;
    SitSecrecy => "rike.sa.situation.secrecy", "Secrecy", b32(), NB, 0x2, None, None;
    SitIntegrity => "rike.sa.situation.integrity", "Integrity", b32(), NB, 0x4, None, None;
    SaNextAttrPayload => "rike.sa.next_attribute_payload", "SA Attribute Next Payload", U8, Dec, 0, vals!(PayloadType), None;
    Reserved2 => "rike.reserved2", "Reserved2", Bytes, NB, 0, None, None;
    // ---- proposal / transform
    PropNumber => "rike.prop.number", "Proposal number", U8, Dec, 0, None, None;
    PropProtoIdV1 => "rike.prop.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV1), None;
    PropProtoIdV2 => "rike.prop.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV2), None;
    SpiSize => "rike.spisize", "SPI Size", U8, Dec, 0, None, None;
    Spi => "rike.spi", "SPI", Bytes, NB, 0, None, None;
    PropTransforms => "rike.prop.transforms", "Proposal transforms", U8, Dec, 0, None, None;
    TransNumber => "rike.trans.number", "Transform number", U8, Dec, 0, None, None;
    TransIdIsakmp => "rike.trans.id", "Transform ID", U8, Dec, 0, vals!(IsakmpTransformId), None;
    TransIdAh => "rike.trans.id", "Transform ID", U8, Dec, 0, vals!(AhTransformId), None;
    TransIdEsp => "rike.trans.id", "Transform ID", U8, Dec, 0, vals!(EspTransformId), None;
    TransIdIpcomp => "rike.trans.id", "Transform ID", U8, Dec, 0, vals!(IpcompTransformId), None;
    TransIdOther => "rike.trans.id", "Transform ID", U8, Dec, 0, None, None;
    TfType => "rike.tf.type", "Transform Type", U8, Dec, 0, vals!(TransformType), None;
    TfIdEncr => "rike.tf.id.encr", "Transform ID (ENCR)", U16, Dec, 0, vals!(EncrId), None;
    TfIdPrf => "rike.tf.id.prf", "Transform ID (PRF)", U16, Dec, 0, vals!(PrfId), None;
    TfIdInteg => "rike.tf.id.integ", "Transform ID (INTEG)", U16, Dec, 0, vals!(IntegId), None;
    TfIdDh => "rike.tf.id.dh", "Transform ID (D-H)", U16, Dec, 0, vals!(KeMethod), None;
    TfIdEsn => "rike.tf.id.esn", "Transform ID (ESN)", U16, Dec, 0, vals!(EsnId), None;
    TfIdAddKe => "rike.tf.id.addke", "Transform ID (ADDKE)", U16, Dec, 0, vals!(KeMethod), None;
    TfId => "rike.tf.id", "Transform ID", U16, Dec, 0, None, None;
    // ---- IKEv1 phase-1 attributes
    IkeAttr => "rike.ike.attr", "IKE Attribute", Label, NB, 0, None, None;
    IkeAttrFormat => "rike.ike.attr.format", "Format", b16(), NB, 0x8000, None, Some(("Type/Value (TV)", "Type/Length/Value (TLV)"));
    IkeAttrType => "rike.ike.attr.type", "Type", U16, Dec, 0x7fff, vals!(IkeAttrType), None;
    IkeAttrLength => "rike.ike.attr.length", "Length", U16, Dec, 0, None, None;
    IkeAttrValue => "rike.ike.attr.value", "Value", Bytes, NB, 0, None, None;
    IkeAttrEncr => "rike.ike.attr.encryption_algorithm", "Encryption Algorithm", U16, Dec, 0, vals!(IkeEncrAlg), None;
    IkeAttrHash => "rike.ike.attr.hash_algorithm", "HASH Algorithm", U16, Dec, 0, vals!(IkeHashAlg), None;
    IkeAttrAuth => "rike.ike.attr.authentication_method", "Authentication Method", U16, Dec, 0, vals!(IkeAuthMethod), None;
    IkeAttrGroupDesc => "rike.ike.attr.group_description", "Group Description", U16, Dec, 0, vals!(IkeGroupDesc), None;
    IkeAttrGroupType => "rike.ike.attr.group_type", "Group Type", U16, Dec, 0, vals!(IkeGroupType), None;
    IkeAttrLifeType => "rike.ike.attr.life_type", "Life Type", U16, Dec, 0, vals!(LifeType), None;
    IkeAttrLifeDuration => "rike.ike.attr.life_duration", "Life Duration", U32, Dec, 0, None, None;
    IkeAttrLifeDuration64 => "rike.ike.attr.life_duration64", "Life Duration", U64, Dec, 0, None, None;
    IkeAttrKeyLength => "rike.ike.attr.key_length", "Key Length", U16, Dec, 0, None, None;
    IkeAttrPrf => "rike.ike.attr.prf", "PRF", Bytes, NB, 0, None, None;
    IkeAttrFieldSize => "rike.ike.attr.field_size", "Field Size", Bytes, NB, 0, None, None;
    IkeAttrGroupPrime => "rike.ike.attr.group_prime", "Group Prime", Bytes, NB, 0, None, None;
    IkeAttrGroupOrder => "rike.ike.attr.group_order", "Group Order", Bytes, NB, 0, None, None;
    // ---- IPsec DOI attributes
    IpsecAttr => "rike.ipsec.attr", "IPsec Attribute", Label, NB, 0, None, None;
    IpsecAttrFormat => "rike.ipsec.attr.format", "Format", b16(), NB, 0x8000, None, Some(("Type/Value (TV)", "Type/Length/Value (TLV)"));
    IpsecAttrType => "rike.ipsec.attr.type", "Type", U16, Dec, 0x7fff, vals!(IpsecAttrType), None;
    IpsecAttrLength => "rike.ipsec.attr.length", "Length", U16, Dec, 0, None, None;
    IpsecAttrValue => "rike.ipsec.attr.value", "Value", Bytes, NB, 0, None, None;
    IpsecAttrLifeType => "rike.ipsec.attr.life_type", "Life Type", U16, Dec, 0, vals!(LifeType), None;
    IpsecAttrLifeDuration => "rike.ipsec.attr.life_duration", "Life Duration", U32, Dec, 0, None, None;
    IpsecAttrLifeDuration64 => "rike.ipsec.attr.life_duration64", "Life Duration", U64, Dec, 0, None, None;
    IpsecAttrGroupDesc => "rike.ipsec.attr.group_description", "Group Description", U16, Dec, 0, vals!(IkeGroupDesc), None;
    IpsecAttrEncap => "rike.ipsec.attr.encap_mode", "Encapsulation Mode", U16, Dec, 0, vals!(IpsecEncapMode), None;
    IpsecAttrAuth => "rike.ipsec.attr.auth_algorithm", "Authentication Algorithm", U16, Dec, 0, vals!(IpsecAuthAlg), None;
    IpsecAttrKeyLength => "rike.ipsec.attr.key_length", "Key Length", U16, Dec, 0, None, None;
    IpsecAttrKeyRounds => "rike.ipsec.attr.key_rounds", "Key Rounds", U16, Dec, 0, None, None;
    IpsecAttrEsn => "rike.ipsec.attr.ext_seq_nbr", "Extended (64-bit) Sequence Number", U16, Dec, 0, None, None;
    // ---- IKEv2 transform attributes
    Ike2Attr => "rike.ike2.attr", "Transform Attribute", Label, NB, 0, None, None;
    Ike2AttrFormat => "rike.ike2.attr.format", "Format", b16(), NB, 0x8000, None, Some(("Type/Value (TV)", "Type/Length/Value (TLV)"));
    Ike2AttrType => "rike.ike2.attr.type", "Type", U16, Dec, 0x7fff, vals!(TransformAttrType), None;
    Ike2AttrLength => "rike.ike2.attr.length", "Length", U16, Dec, 0, None, None;
    Ike2AttrValue => "rike.ike2.attr.value", "Value", Bytes, NB, 0, None, None;
    Ike2AttrKeyLength => "rike.ike2.attr.key_length", "Key Length", U16, Dec, 0, None, None;
    // ---- KE
    KeDhGroup => "rike.key_exchange.dh_group", "DH Group #", U16, Dec, 0, vals!(KeMethod), None;
    KeData => "rike.key_exchange.data", "Key Exchange Data", Bytes, NB, 0, None, None;
    // ---- ID
    IdTypeV1 => "rike.id.type", "ID type", U8, Dec, 0, vals!(IdTypeV1), None;
    IdTypeV2 => "rike.id.type", "ID type", U8, Dec, 0, vals!(IdTypeV2), None;
    IdProtoId => "rike.id.protoid", "Protocol ID", U8, Dec, 0, None, None;
    IdPort => "rike.id.port", "Port", U16, Dec, 0, None, None;
    IdData => "rike.id.data", "Identification Data", Label, NB, 0, None, None;
    IdIpv4 => "rike.id.data.ipv4_addr", "ID_IPV4_ADDR", Ipv4, NB, 0, None, None;
    IdFqdn => "rike.id.data.fqdn", "ID_FQDN", String, NB, 0, None, None;
    IdUserFqdn => "rike.id.data.user_fqdn", "ID_USER_FQDN", String, NB, 0, None, None;
    IdIpv4Subnet => "rike.id.data.ipv4_subnet", "ID_IPV4_SUBNET", Ipv4, NB, 0, None, None;
    IdIpv4Netmask => "rike.id.data.ipv4_netmask", "ID_IPV4_SUBNET (netmask)", Ipv4, NB, 0, None, None;
    IdIpv4RangeStart => "rike.id.data.ipv4_range_start", "ID_IPV4_RANGE (Start)", Ipv4, NB, 0, None, None;
    IdIpv4RangeEnd => "rike.id.data.ipv4_range_end", "ID_IPV4_RANGE (End)", Ipv4, NB, 0, None, None;
    IdIpv6 => "rike.id.data.ipv6_addr", "ID_IPV6_ADDR", Ipv6, NB, 0, None, None;
    IdIpv6Subnet => "rike.id.data.ipv6_subnet", "ID_IPV6_SUBNET", Ipv6, NB, 0, None, None;
    IdIpv6Netmask => "rike.id.data.ipv6_netmask", "ID_IPV6_SUBNET (netmask)", Ipv6, NB, 0, None, None;
    IdIpv6RangeStart => "rike.id.data.ipv6_range_start", "ID_IPV6_ADDR_RANGE (Start)", Ipv6, NB, 0, None, None;
    IdIpv6RangeEnd => "rike.id.data.ipv6_range_end", "ID_IPV6_ADDR_RANGE (End)", Ipv6, NB, 0, None, None;
    IdKeyId => "rike.id.data.key_id", "ID_KEY_ID", Bytes, NB, 0, None, None;
    IdDn => "rike.id.data.der_asn1_dn", "ID_DER_ASN1_DN", Bytes, NB, 0, None, None;
    IdGn => "rike.id.data.der_asn1_gn", "ID_DER_ASN1_GN", Bytes, NB, 0, None, None;
    IdOther => "rike.id.data.other", "Identification data", Bytes, NB, 0, None, None;
    // ---- CERT / CR / AUTH / HASH / SIG / NONCE
    CertEncoding => "rike.cert.encoding", "Certificate Encoding", U8, Dec, 0, vals!(CertEncoding), None;
    CertData => "rike.cert.data", "Certificate Data", Bytes, NB, 0, None, None;
    CertReqType => "rike.certreq.type", "Certificate Type", U8, Dec, 0, vals!(CertEncoding), None;
    CertReqAuthority => "rike.ike.certreq.authority", "Certificate Authority Data", Bytes, NB, 0, None, None;
    CertReqCaKeyHash => "rike.certreq.ca_key_hash", "Certification Authority Key Hash", Bytes, NB, 0, None, None;
    AuthMethod => "rike.auth.method", "Authentication Method", U8, Dec, 0, vals!(AuthMethodV2), None;
    AuthData => "rike.auth.data", "Authentication Data", Bytes, NB, 0, None, None;
    AuthSigAsn1Len => "rike.auth.data.sig.asn1.len", "ASN.1 Length", U8, Dec, 0, None, None;
    AuthSigAsn1Data => "rike.auth.data.sig.asn1.data", "ASN.1 Data", Bytes, NB, 0, None, None;
    AuthSigValue => "rike.auth.data.sig.value", "Signature Value", Bytes, NB, 0, None, None;
    Hash => "rike.hash", "Hash DATA", Bytes, NB, 0, None, None;
    Sig => "rike.sig", "Signature DATA", Bytes, NB, 0, None, None;
    Nonce => "rike.nonce", "Nonce DATA", Bytes, NB, 0, None, None;
    // ---- notify
    NotifyDoi => "rike.notify.doi", "Domain of interpretation", U32, Dec, 0, vals!(Doi), None;
    NotifyProtoIdV1 => "rike.notify.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV1), None;
    NotifyProtoIdV2 => "rike.notify.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV2), None;
    NotifyMsgTypeV1 => "rike.notify.msgtype", "Notify Message Type", U16, Dec, 0, vals!(NotifyTypeV1), None;
    NotifyMsgTypeV2 => "rike.notify.msgtype", "Notify Message Type", U16, Dec, 0, vals!(NotifyTypeV2), None;
    NotifyData => "rike.notify.data", "Notification DATA", Bytes, NB, 0, None, None;
    NotifyDpdAreYouThere => "rike.notify.data.dpd.are_you_there", "DPD ARE-YOU-THERE sequence", U32, Dec, 0, None, None;
    NotifyDpdAck => "rike.notify.data.dpd.are_you_there_ack", "DPD ARE-YOU-THERE-ACK sequence", U32, Dec, 0, None, None;
    NotifyAcceptedGroup => "rike.notify.data.accepted_dh_group", "Accepted DH group number", U16, Dec, 0, vals!(KeMethod), None;
    NotifyIpcompCpi => "rike.notify.data.ipcomp.cpi", "IPCOMP CPI", U16, Dec, 0, None, None;
    NotifyIpcompTransform => "rike.notify.data.ipcomp.transform_id", "IPCOMP Transform ID", U8, Dec, 0, vals!(IpcompTransformId), None;
    NotifyAuthLifetime => "rike.notify.data.auth_lifetime", "Authentication Lifetime", U32, Dec, 0, None, None;
    NotifyWindowSize => "rike.notify.data.window_size", "Window Size", U32, Dec, 0, None, None;
    NotifyNatHash => "rike.notify.data.nat_detection", "NAT Detection Hash", Bytes, NB, 0, None, None;
    NotifyCookie => "rike.notify.data.cookie", "Cookie", Bytes, NB, 0, None, None;
    NotifyRedirectGwType => "rike.notify.data.redirect.gw_ident.type", "Gateway Identity Type", U8, Dec, 0, vals!(GatewayIdType), None;
    NotifyRedirectGwLen => "rike.notify.data.redirect.gw_ident.len", "Gateway Identity Length", U8, Dec, 0, None, None;
    NotifyRedirectNewIpv4 => "rike.notify.data.redirect.new_resp_gw_ident.ipv4", "New Responder Gateway Identity (IPv4)", Ipv4, NB, 0, None, None;
    NotifyRedirectNewIpv6 => "rike.notify.data.redirect.new_resp_gw_ident.ipv6", "New Responder Gateway Identity (IPv6)", Ipv6, NB, 0, None, None;
    NotifyRedirectNewFqdn => "rike.notify.data.redirect.new_resp_gw_ident.fqdn", "New Responder Gateway Identity (FQDN)", String, NB, 0, None, None;
    NotifyRedirectNewData => "rike.notify.data.redirect.new_resp_gw_ident.data", "New Responder Gateway Identity (DATA)", Bytes, NB, 0, None, None;
    NotifyRedirectNonce => "rike.notify.data.redirect.nonce_data", "Redirect Nonce Data", Bytes, NB, 0, None, None;
    NotifyRedirectOrgIpv4 => "rike.notify.data.redirect.org_resp_gw_ident.ipv4", "Original Responder Gateway Identity (IPv4)", Ipv4, NB, 0, None, None;
    NotifyRedirectOrgIpv6 => "rike.notify.data.redirect.org_resp_gw_ident.ipv6", "Original Responder Gateway Identity (IPv6)", Ipv6, NB, 0, None, None;
    NotifyRedirectOrgData => "rike.notify.data.redirect.org_resp_gw_ident.data", "Original Responder Gateway Identity (DATA)", Bytes, NB, 0, None, None;
    NotifySigHashAlg => "rike.notify.data.signature_hash_algorithms", "Supported Signature Hash Algorithm", U16, Dec, 0, vals!(HashAlgorithm), None;
    // ---- delete
    DeleteDoi => "rike.delete.doi", "Domain of interpretation", U32, Dec, 0, vals!(Doi), None;
    DeleteProtoIdV1 => "rike.delete.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV1), None;
    DeleteProtoIdV2 => "rike.delete.protoid", "Protocol ID", U8, Dec, 0, vals!(ProtocolIdV2), None;
    SpiNum => "rike.spinum", "Number of SPIs", U16, Dec, 0, None, None;
    DeleteSpi => "rike.delete.spi", "Delete SPI", Bytes, NB, 0, None, None;
    // ---- vendor ID
    VidBytes => "rike.vid_bytes", "Vendor ID", Bytes, NB, 0, None, None;
    VidString => "rike.vid_string", "Vendor ID", String, NB, 0, None, None;
    // ---- traffic selectors
    TsNumber => "rike.ts.number", "Number of Traffic Selectors", U8, Dec, 0, None, None;
    TsData => "rike.ts.data", "Traffic Selector", Label, NB, 0, None, None;
    TsType => "rike.ts.type", "Traffic Selector Type", U8, Dec, 0, vals!(TsType), None;
    TsProtoId => "rike.ts.protoid", "Protocol ID", U8, Dec, 0, None, None;
    TsSelectorLength => "rike.ts.selector_length", "Selector Length", U16, Dec, 0, None, None;
    TsStartPort => "rike.ts.start_port", "Start Port", U16, Dec, 0, None, None;
    TsEndPort => "rike.ts.end_port", "End Port", U16, Dec, 0, None, None;
    TsStartIpv4 => "rike.ts.start_ipv4", "Starting Addr", Ipv4, NB, 0, None, None;
    TsEndIpv4 => "rike.ts.end_ipv4", "Ending Addr", Ipv4, NB, 0, None, None;
    TsStartIpv6 => "rike.ts.start_ipv6", "Starting Addr", Ipv6, NB, 0, None, None;
    TsEndIpv6 => "rike.ts.end_ipv6", "Ending Addr", Ipv6, NB, 0, None, None;
    TsBody => "rike.ts.body", "Selector data", Bytes, NB, 0, None, None;
    // ---- encrypted
    EncData => "rike.enc.data", "Encrypted Data", Bytes, NB, 0, None, None;
    EncIv => "rike.enc.iv", "Initialization Vector", Bytes, NB, 0, None, None;
    EncIcd => "rike.enc.icd", "Integrity Checksum Data", Bytes, NB, 0, None, None;
    EncIcdStatus => "rike.enc.icd.status", "ICV status", U8, Dec, 0, INTEGRITY_STATUS, None;
    EncDecrypted => "rike.enc.decrypted", "Decrypted Data", Label, NB, 0, None, None;
    EncReassembled => "rike.enc.reassembled", "Reassembled Data", Label, NB, 0, None, None;
    EncPadding => "rike.enc.padding", "Padding", Bytes, NB, 0, None, None;
    EncPadLength => "rike.enc.pad_length", "Pad Length", U8, Dec, 0, None, None;
    EncHashCheck => "rike.enc.hash_check", "HASH(1) check", String, NB, 0, None, None;
    FragNumber => "rike.frag.number", "Fragment Number", U16, Dec, 0, None, None;
    FragTotal => "rike.frag.total", "Total Fragments", U16, Dec, 0, None, None;
    FragPacketId => "rike.frag.packetid", "Frag ID", U16, Hex, 0, None, None;
    FragSeq => "rike.frag.seq", "Frag seq", U8, Dec, 0, None, None;
    FragLast => "rike.frag.last", "Frag last", U8, Dec, 0, None, None;
    FragData => "rike.frag.data", "Fragment Data", Bytes, NB, 0, None, None;
    // ---- config
    CfgType => "rike.cfg.type", "Type", U8, Dec, 0, vals!(CfgType), None;
    CfgIdentifier => "rike.cfg.identifier", "Identifier", U16, Dec, 0, None, None;
    CfgAttr => "rike.cfg.attr", "Config Attribute", Label, NB, 0, None, None;
    CfgAttrFormat => "rike.cfg.attr.format", "Format", b16(), NB, 0x8000, None, Some(("Type/Value (TV)", "Type/Length/Value (TLV)"));
    CfgAttrTypeV1 => "rike.cfg.attr.type", "Type", U16, Dec, 0x7fff, vals!(CfgAttrTypeV1), None;
    CfgAttrTypeV2 => "rike.cfg.attr.type", "Type", U16, Dec, 0x7fff, vals!(CfgAttrTypeV2), None;
    CfgAttrLength => "rike.cfg.attr.length", "Length", U16, Dec, 0, None, None;
    CfgAttrValue => "rike.cfg.attr.value", "Value", Bytes, NB, 0, None, None;
    CfgAttrIp4 => "rike.cfg.attr.ipv4", "IPv4 Address", Ipv4, NB, 0, None, None;
    CfgAttrIp6 => "rike.cfg.attr.ipv6", "IPv6 Address", Ipv6, NB, 0, None, None;
    CfgAttrString => "rike.cfg.attr.string", "Text", String, NB, 0, None, None;
    // ---- NAT-T (v1)
    NatHash => "rike.ike.nat_hash", "HASH of the address and port", Bytes, NB, 0, None, None;
    NatOaIpv4 => "rike.ike.nat_original_address_ipv4", "NAT Original IPv4 Address", Ipv4, NB, 0, None, None;
    NatOaIpv6 => "rike.ike.nat_original_address_ipv6", "NAT Original IPv6 Address", Ipv6, NB, 0, None, None;
    // ---- EAP / GSPM
    EapData => "rike.eap.data", "EAP Message", Bytes, NB, 0, None, None;
    GspmData => "rike.gspm.data", "GSPM", Bytes, NB, 0, None, None;
    // ---- transport (rike only; the built-in keeps these in udpencap)
    NonEspMarker => "rike.non_esp_marker", "Non-ESP Marker", Bytes, NB, 0, None, None;
    NatKeepalive => "rike.nat_keepalive", "NAT-Keepalive", U8, Hex, 0, None, None;
    TcpPrefix => "rike.tcp.prefix", "RFC 8229 stream prefix", String, NB, 0, None, None;
    TcpLength => "rike.tcp.length", "RFC 8229 frame length", U16, Dec, 0, None, None;
    EspSpi => "rike.esp.spi", "ESP SPI", U32, Hex, 0, None, None;
    EspSequence => "rike.esp.sequence", "ESP Sequence", U32, Dec, 0, None, None;
    // ---- capture analysis (rike only, except the reassembly fields)
    ResponseIn => "rike.response_in", "Response in frame", FrameNum, NB, 0, None, None;
    ResponseTo => "rike.response_to", "Request in frame", FrameNum, NB, 0, None, None;
    ResponseTime => "rike.response_time", "Response time", RelTimeNs, NB, 0, None, None;
    RetransmissionOf => "rike.retransmission_of", "Retransmission of frame", FrameNum, NB, 0, None, None;
    FragmentsReceived => "rike.fragment.status", "Fragments", String, NB, 0, None, None;
    FragmentsMissing => "rike.fragment.missing", "Fragments missing", String, NB, 0, None, None;
    ReassembledIn => "rike.reassembled.in", "Reassembled in frame", FrameNum, NB, 0, None, None;
    Fragments => "rike.fragments", "Message fragments", Label, NB, 0, None, None;
    Fragment => "rike.fragment", "Message fragment", FrameNum, NB, 0, None, None;
}

impl Field {
    /// The catalogue entry of this field.
    pub fn desc(self) -> &'static FieldDesc {
        &CATALOGUE[self as usize]
    }
}

/// Severity of an expert record, as Wireshark's `PI_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Comment / note.
    Note,
    /// Something unusual but allowed.
    Warning,
    /// A protocol violation.
    Error,
}

/// What an expert record is about, as Wireshark's `PI_*` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// The message breaks the format: lengths, counts, structure.
    Malformed,
    /// Allowed by the format but against the protocol's rules.
    Protocol,
    /// Sequence analysis: retransmissions.
    Sequence,
    /// Content not dissected: encrypted without keys, or not captured.
    Undecoded,
    /// Decryption and integrity: ICV/tag failures, wrong keys.
    Decryption,
    /// Fragments and their reassembly.
    Reassemble,
}

macro_rules! experts {
    ($( $id:ident => $abbrev:literal, $sev:ident, $group:ident, $summary:literal; )*) => {
        /// Expert info identifiers, indices into [`EXPERTS`].
        #[repr(u16)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum Expert { $( $id, )* }

        /// One expert info entry.
        #[derive(Clone, Copy, Debug)]
        pub struct ExpertDesc {
            /// Identity.
            pub expert: Expert,
            /// Filter name.
            pub abbrev: &'static str,
            /// Severity.
            pub severity: Severity,
            /// What it is about.
            pub group: Group,
            /// Default text.
            pub summary: &'static str,
        }

        /// Every expert info, indexed by `Expert as usize`.
        pub static EXPERTS: &[ExpertDesc] = &[ $( ExpertDesc {
            expert: Expert::$id,
            abbrev: $abbrev,
            severity: Severity::$sev,
            group: Group::$group,
            summary: $summary,
        }, )* ];
    };
}

experts! {
    Malformed => "rike.malformed", Error, Malformed, "Malformed message";
    PayloadLengthInvalid => "rike.payloadlength.invalid", Error, Malformed, "Invalid payload length";
    LengthMismatch => "rike.length.invalid", Error, Malformed, "Message length does not match the data";
    ExtraData => "rike.extradata.expert", Warning, Malformed, "Extra data after the last payload";
    CountMismatch => "rike.count.invalid", Warning, Malformed, "Count does not match the elements present";
    BadValue => "rike.value.invalid", Warning, Protocol, "Invalid value";
    UnknownCritical => "rike.critical.unknown", Warning, Protocol, "Unknown payload with the critical bit set";
    FragmentNumberInvalid => "rike.fragment_number.invalid", Error, Reassemble, "Invalid fragment numbering";
    Encrypted => "rike.encrypted", Note, Undecoded, "Encrypted content (no keys)";
    Retransmission => "rike.retransmission", Note, Sequence, "Retransmission";
    IcvIncorrect => "rike.ikev2.integrity_checksum", Error, Decryption, "Integrity check failed (wrong key?)";
    DecryptionFailed => "rike.decryption.failed", Warning, Decryption, "Could not decrypt";
    FragmentsMissing => "rike.fragment.incomplete", Warning, Reassemble, "Fragments missing";
    CutShort => "rike.short", Warning, Undecoded, "Cut short by the capture: the rest was not captured";
}

impl Expert {
    /// The entry of this expert info.
    pub fn desc(self) -> &'static ExpertDesc {
        &EXPERTS[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_indexed_by_field() {
        for (i, d) in CATALOGUE.iter().enumerate() {
            assert_eq!(d.field as usize, i, "{}", d.abbrev);
            assert!(d.abbrev.starts_with("rike."));
        }
        for (i, e) in EXPERTS.iter().enumerate() {
            assert_eq!(e.expert as usize, i);
        }
    }

    #[test]
    fn same_abbrev_same_kind() {
        // Wireshark requires fields registered twice under one filter name
        // to share their type.
        for a in CATALOGUE {
            for b in CATALOGUE {
                if a.abbrev == b.abbrev {
                    assert_eq!(a.kind, b.kind, "{}", a.abbrev);
                }
            }
        }
    }

    #[test]
    fn value_names_come_from_registries() {
        let d = Field::ExchangeType.desc();
        let vals = d.vals.unwrap();
        assert_eq!((vals.lookup)(34), Some("IKE_SA_INIT"));
        assert!((vals.named)().contains(&(35, "IKE_AUTH")));
    }
}
