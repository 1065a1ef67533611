//! ISAKMP / IKEv1 registries: IANA "Internet Security Association and Key
//! Management Protocol (ISAKMP) Identifiers" ("Magic Numbers for ISAKMP
//! Protocol", the IPsec DOI) and "Internet Key Exchange (IKE) Attributes",
//! from RFC 2407, RFC 2408, RFC 2409 and their extensions; plus the
//! Mode-Config / XAUTH values of the (never published) drafts that every
//! IKEv1 implementation speaks.
//!
//! Names follow the RFC/IANA spelling (`ESP_AES-CBC`, `R-U-THERE`,
//! `pre-shared key`).

registry! {
    /// Domain of Interpretation of SA, Notification and Delete payloads,
    /// RFC 2408 §3.4 / RFC 2407 §4.2 / RFC 6407; IANA "ISAKMP Domain of
    /// Interpretation (DOI)".
    pub struct Doi(u32);
    ISAKMP = 0 => "ISAKMP";
    IPSEC = 1 => "IPSEC";
    GDOI = 2 => "GDOI";
}

registry! {
    /// Protocol ID of IKEv1 proposals, notifications and deletes, RFC 2407
    /// §4.4.1, RFC 4705 (5); IANA "IPSEC Security Protocol Identifiers".
    pub struct ProtocolIdV1(u8);
    ranges {
        6..=248 => "Unassigned",
        249..=255 => "Private use",
    }
    ISAKMP = 1 => "PROTO_ISAKMP";
    IPSEC_AH = 2 => "PROTO_IPSEC_AH";
    IPSEC_ESP = 3 => "PROTO_IPSEC_ESP";
    IPCOMP = 4 => "PROTO_IPCOMP";
    GIGABEAM_RADIO = 5 => "PROTO_GIGABEAM_RADIO";
}

registry! {
    /// Transform ID of a PROTO_ISAKMP proposal, RFC 2407 §4.4.2; IANA
    /// "IPSEC ISAKMP Transform Identifiers".
    pub struct IsakmpTransformId(u8);
    ranges {
        2..=248 => "Unassigned",
        249..=255 => "Private use",
    }
    KEY_IKE = 1 => "KEY_IKE";
}

registry! {
    /// Transform ID of a PROTO_IPSEC_AH proposal, RFC 2407 §4.4.3 and
    /// later; IANA "IPSEC AH Transform Identifiers".
    pub struct AhTransformId(u8);
    ranges {
        14..=248 => "Unassigned",
        249..=255 => "Private use",
    }
    MD5 = 2 => "AH_MD5";
    SHA = 3 => "AH_SHA";
    DES = 4 => "AH_DES";
    SHA2_256 = 5 => "AH_SHA2-256";
    SHA2_384 = 6 => "AH_SHA2-384";
    SHA2_512 = 7 => "AH_SHA2-512";
    RIPEMD = 8 => "AH_RIPEMD";
    AES_XCBC_MAC = 9 => "AH_AES-XCBC-MAC";
    RSA = 10 => "AH_RSA";
    AES_128_GMAC = 11 => "AH_AES-128-GMAC";
    AES_192_GMAC = 12 => "AH_AES-192-GMAC";
    AES_256_GMAC = 13 => "AH_AES-256-GMAC";
}

registry! {
    /// Transform ID of a PROTO_IPSEC_ESP proposal, RFC 2407 §4.4.4 and
    /// later (RFC 3602, 3686, 4106, 4196, 4309, 4312, 4543); IANA "IPSEC ESP
    /// Transform Identifiers". From 21 on, the values differ from IKEv2's
    /// [`EncrId`](super::EncrId).
    pub struct EspTransformId(u8);
    ranges {
        24..=248 => "Unassigned",
        249..=255 => "Private use",
    }
    DES_IV64 = 1 => "ESP_DES_IV64";
    DES = 2 => "ESP_DES";
    DES3 = 3 => "ESP_3DES";
    RC5 = 4 => "ESP_RC5";
    IDEA = 5 => "ESP_IDEA";
    CAST = 6 => "ESP_CAST";
    BLOWFISH = 7 => "ESP_BLOWFISH";
    IDEA3 = 8 => "ESP_3IDEA";
    DES_IV32 = 9 => "ESP_DES_IV32";
    RC4 = 10 => "ESP_RC4";
    NULL = 11 => "ESP_NULL";
    AES_CBC = 12 => "ESP_AES-CBC";
    AES_CTR = 13 => "ESP_AES-CTR";
    AES_CCM_8 = 14 => "ESP_AES-CCM_8";
    AES_CCM_12 = 15 => "ESP_AES-CCM_12";
    AES_CCM_16 = 16 => "ESP_AES-CCM_16";
    AES_GCM_8 = 18 => "ESP_AES-GCM_8";
    AES_GCM_12 = 19 => "ESP_AES-GCM_12";
    AES_GCM_16 = 20 => "ESP_AES-GCM_16";
    SEED_CBC = 21 => "ESP_SEED_CBC";
    CAMELLIA = 22 => "ESP_CAMELLIA";
    NULL_AUTH_AES_GMAC = 23 => "ESP_NULL_AUTH_AES-GMAC";
}

/// Aliases for [`EspTransformId`].
impl EspTransformId {
    /// RFC 3602's ESP_AES (AES-CBC).
    pub const AES: EspTransformId = EspTransformId::AES_CBC;
}

registry! {
    /// Transform ID of a PROTO_IPCOMP proposal, RFC 2407 §4.4.5, RFC 2394,
    /// RFC 2395, RFC 3051; IANA "IPSEC IPCOMP Transform Identifiers" (also
    /// used by IKEv2's IPCOMP_SUPPORTED notify).
    pub struct IpcompTransformId(u8);
    ranges {
        5..=47 => "Reserved for approved algorithms",
        48..=63 => "Private use",
        64..=255 => "Unassigned",
    }
    OUI = 1 => "IPCOMP_OUI";
    DEFLATE = 2 => "IPCOMP_DEFLATE";
    LZS = 3 => "IPCOMP_LZS";
    LZJH = 4 => "IPCOMP_LZJH";
}

registry! {
    /// Attribute class of a KEY_IKE (phase 1) transform, RFC 2409 App. A;
    /// IANA "IKE Attributes" / "Attribute Classes".
    pub struct IkeAttrType(u16);
    ranges {
        17..=16383 => "Unassigned",
        16384..=32767 => "Private use",
    }
    ENCRYPTION_ALGORITHM = 1 => "Encryption Algorithm";
    HASH_ALGORITHM = 2 => "Hash Algorithm";
    AUTHENTICATION_METHOD = 3 => "Authentication Method";
    GROUP_DESCRIPTION = 4 => "Group Description";
    GROUP_TYPE = 5 => "Group Type";
    GROUP_PRIME = 6 => "Group Prime/Irreducible Polynomial";
    GROUP_GENERATOR_ONE = 7 => "Group Generator One";
    GROUP_GENERATOR_TWO = 8 => "Group Generator Two";
    GROUP_CURVE_A = 9 => "Group Curve A";
    GROUP_CURVE_B = 10 => "Group Curve B";
    LIFE_TYPE = 11 => "Life Type";
    LIFE_DURATION = 12 => "Life Duration";
    PRF = 13 => "PRF";
    KEY_LENGTH = 14 => "Key Length";
    FIELD_SIZE = 15 => "Field Size";
    GROUP_ORDER = 16 => "Group Order";
}

registry! {
    /// IPsec DOI SA attribute type of an AH/ESP/IPCOMP (phase 2)
    /// transform, RFC 2407 §4.5, RFC 3168 (10), RFC 4304 (11), RFC 4868
    /// (12), RFC 4359 (13), RFC 6407 (14–15); IANA "IPSEC Security
    /// Association Attributes".
    pub struct IpsecAttrType(u16);
    ranges {
        16..=32000 => "Unassigned",
        32001..=32767 => "Private use",
    }
    SA_LIFE_TYPE = 1 => "SA Life Type";
    SA_LIFE_DURATION = 2 => "SA Life Duration";
    GROUP_DESCRIPTION = 3 => "Group Description";
    ENCAPSULATION_MODE = 4 => "Encapsulation Mode";
    AUTHENTICATION_ALGORITHM = 5 => "Authentication Algorithm";
    KEY_LENGTH = 6 => "Key Length";
    KEY_ROUNDS = 7 => "Key Rounds";
    COMPRESS_DICTIONARY_SIZE = 8 => "Compress Dictionary Size";
    COMPRESS_PRIVATE_ALGORITHM = 9 => "Compress Private Algorithm";
    ECN_TUNNEL = 10 => "ECN Tunnel";
    EXTENDED_SEQUENCE_NUMBER = 11 => "Extended (64-bit) Sequence Number";
    AUTHENTICATION_KEY_LENGTH = 12 => "Authentication Key Length";
    SIGNATURE_ENCODING_ALGORITHM = 13 => "Signature Encoding Algorithm";
    ADDRESS_PRESERVATION = 14 => "Address Preservation";
    SA_DIRECTION = 15 => "SA Direction";
}

registry! {
    /// Values of the IKE Encryption Algorithm attribute (class 1), RFC 2409
    /// App. A, RFC 3602 (7), RFC 4312 (8); IANA "Encryption Algorithm".
    pub struct IkeEncrAlg(u16);
    ranges {
        9..=65000 => "Unassigned",
        65001..=65535 => "Private use",
    }
    DES_CBC = 1 => "DES-CBC";
    IDEA_CBC = 2 => "IDEA-CBC";
    BLOWFISH_CBC = 3 => "Blowfish-CBC";
    RC5_R16_B64_CBC = 4 => "RC5-R16-B64-CBC";
    DES3_CBC = 5 => "3DES-CBC";
    CAST_CBC = 6 => "CAST-CBC";
    AES_CBC = 7 => "AES-CBC";
    CAMELLIA_CBC = 8 => "CAMELLIA-CBC";
}

registry! {
    /// Values of the IKE Hash Algorithm attribute (class 2), RFC 2409
    /// App. A, RFC 4868 (4–6); IANA "Hash Algorithm".
    pub struct IkeHashAlg(u16);
    ranges {
        7..=65000 => "Unassigned",
        65001..=65535 => "Private use",
    }
    MD5 = 1 => "MD5";
    SHA = 2 => "SHA";
    TIGER = 3 => "Tiger";
    SHA2_256 = 4 => "SHA2-256";
    SHA2_384 = 5 => "SHA2-384";
    SHA2_512 = 6 => "SHA2-512";
}

registry! {
    /// Values of the IKE Authentication Method attribute (class 3), RFC 2409
    /// App. A, RFC 4754 (9–11); IANA "IPSEC Authentication Methods". The
    /// private values are the hybrid methods of
    /// draft-ietf-ipsec-isakmp-hybrid-auth-05 (64221–64224) and the XAUTH
    /// methods of draft-beaulieu-ike-xauth-02 (65001–65010). 6–8 were the
    /// ElGamal and ECDSA methods of draft-ietf-ipsec-ike, now reserved.
    pub struct IkeAuthMethod(u16);
    ranges {
        6..=8 => "Reserved",
        12..=65000 => "Unassigned",
        65001..=65535 => "Private use",
    }
    PRE_SHARED_KEY = 1 => "pre-shared key";
    DSS_SIGNATURES = 2 => "DSS signatures";
    RSA_SIGNATURES = 3 => "RSA signatures";
    RSA_ENCRYPTION = 4 => "Encryption with RSA";
    RSA_REVISED_ENCRYPTION = 5 => "Revised encryption with RSA";
    ECDSA_SHA256_P256 = 9 => "ECDSA with SHA-256 on the P-256 curve";
    ECDSA_SHA384_P384 = 10 => "ECDSA with SHA-384 on the P-384 curve";
    ECDSA_SHA512_P521 = 11 => "ECDSA with SHA-512 on the P-521 curve";
    HYBRID_INIT_RSA = 64221 => "HybridInitRSA";
    HYBRID_RESP_RSA = 64222 => "HybridRespRSA";
    HYBRID_INIT_DSS = 64223 => "HybridInitDSS";
    HYBRID_RESP_DSS = 64224 => "HybridRespDSS";
    XAUTH_INIT_PRESHARED = 65001 => "XAUTHInitPreShared";
    XAUTH_RESP_PRESHARED = 65002 => "XAUTHRespPreShared";
    XAUTH_INIT_DSS = 65003 => "XAUTHInitDSS";
    XAUTH_RESP_DSS = 65004 => "XAUTHRespDSS";
    XAUTH_INIT_RSA = 65005 => "XAUTHInitRSA";
    XAUTH_RESP_RSA = 65006 => "XAUTHRespRSA";
    XAUTH_INIT_RSA_ENCRYPTION = 65007 => "XAUTHInitRSAEncryption";
    XAUTH_RESP_RSA_ENCRYPTION = 65008 => "XAUTHRespRSAEncryption";
    XAUTH_INIT_RSA_REVISED_ENCRYPTION = 65009 => "XAUTHInitRSARevisedEncryption";
    XAUTH_RESP_RSA_REVISED_ENCRYPTION = 65010 => "XAUTHRespRSARevisedEncryption";
}

registry! {
    /// Values of the IKE Group Description attribute (class 4) and of the
    /// IPsec DOI Group Description attribute; RFC 2409 §6, RFC 2412,
    /// RFC 3526, RFC 5114, RFC 5903, RFC 6932; IANA "Group Description".
    /// 6–13 are the EC2N groups of draft-ietf-ipsec-ike-ecc-groups.
    pub struct IkeGroupDesc(u16);
    ranges {
        31..=32767 => "Unassigned",
        32768..=65535 => "Private use",
    }
    MODP_768 = 1 => "default 768-bit MODP group";
    MODP_1024 = 2 => "alternate 1024-bit MODP group";
    EC2N_155 = 3 => "EC2N group on GP[2^155]";
    EC2N_185 = 4 => "EC2N group on GP[2^185]";
    MODP_1536 = 5 => "1536-bit MODP group";
    EC2N_163_A = 6 => "EC2N group over GF[2^163]";
    EC2N_163_B = 7 => "EC2N group over GF[2^163]";
    EC2N_283_A = 8 => "EC2N group over GF[2^283]";
    EC2N_283_B = 9 => "EC2N group over GF[2^283]";
    EC2N_409_A = 10 => "EC2N group over GF[2^409]";
    EC2N_409_B = 11 => "EC2N group over GF[2^409]";
    EC2N_571_A = 12 => "EC2N group over GF[2^571]";
    EC2N_571_B = 13 => "EC2N group over GF[2^571]";
    MODP_2048 = 14 => "2048-bit MODP group";
    MODP_3072 = 15 => "3072-bit MODP group";
    MODP_4096 = 16 => "4096-bit MODP group";
    MODP_6144 = 17 => "6144-bit MODP group";
    MODP_8192 = 18 => "8192-bit MODP group";
    ECP_256 = 19 => "256-bit random ECP group";
    ECP_384 = 20 => "384-bit random ECP group";
    ECP_521 = 21 => "521-bit random ECP group";
    MODP_1024_160 = 22 => "1024-bit MODP Group with 160-bit Prime Order Subgroup";
    MODP_2048_224 = 23 => "2048-bit MODP Group with 224-bit Prime Order Subgroup";
    MODP_2048_256 = 24 => "2048-bit MODP Group with 256-bit Prime Order Subgroup";
    ECP_192 = 25 => "192-bit Random ECP Group";
    ECP_224 = 26 => "224-bit Random ECP Group";
    BRAINPOOL_224 = 27 => "224-bit Brainpool ECP group";
    BRAINPOOL_256 = 28 => "256-bit Brainpool ECP group";
    BRAINPOOL_384 = 29 => "384-bit Brainpool ECP group";
    BRAINPOOL_512 = 30 => "512-bit Brainpool ECP group";
}

registry! {
    /// Values of the IKE Group Type attribute (class 5), RFC 2409 App. A;
    /// IANA "Group Type".
    pub struct IkeGroupType(u16);
    ranges {
        4..=65000 => "Unassigned",
        65001..=65535 => "Private use",
    }
    MODP = 1 => "MODP (modular exponentiation group)";
    ECP = 2 => "ECP (elliptic curve group over GF[P])";
    EC2N = 3 => "EC2N (elliptic curve group over GF[2^N])";
}

registry! {
    /// Values of the IKE Life Type attribute (class 11, RFC 2409 App. A)
    /// and of the IPsec DOI SA Life Type attribute (RFC 2407 §4.5); IANA
    /// "Life Type" / "SA Life Type".
    pub struct LifeType(u16);
    ranges {
        3..=65000 => "Unassigned",
        65001..=65535 => "Private use",
    }
    SECONDS = 1 => "seconds";
    KILOBYTES = 2 => "kilobytes";
}

registry! {
    /// Values of the IPsec DOI Encapsulation Mode attribute, RFC 2407 §4.5,
    /// RFC 3947 (3–4); IANA "Encapsulation Mode". 61443/61444 are the
    /// private values of draft-ietf-ipsec-nat-t-ike-00..03.
    pub struct IpsecEncapMode(u16);
    ranges {
        5..=61439 => "Unassigned",
        61440..=65535 => "Private use",
    }
    TUNNEL = 1 => "Tunnel";
    TRANSPORT = 2 => "Transport";
    UDP_TUNNEL = 3 => "UDP-Encapsulated-Tunnel";
    UDP_TRANSPORT = 4 => "UDP-Encapsulated-Transport";
    UDP_TUNNEL_DRAFT = 61443 => "UDP-Encapsulated-Tunnel (draft)";
    UDP_TRANSPORT_DRAFT = 61444 => "UDP-Encapsulated-Transport (draft)";
}

registry! {
    /// Values of the IPsec DOI Authentication Algorithm attribute, RFC 2407
    /// §4.5, RFC 4868 (5–7), RFC 2857 (8), RFC 3566 (9), RFC 4359 (10),
    /// RFC 4543 (11–13); IANA "Authentication Algorithm".
    pub struct IpsecAuthAlg(u16);
    ranges {
        14..=61439 => "Unassigned",
        61440..=65535 => "Private use",
    }
    HMAC_MD5 = 1 => "HMAC-MD5";
    HMAC_SHA = 2 => "HMAC-SHA";
    DES_MAC = 3 => "DES-MAC";
    KPDK = 4 => "KPDK";
    HMAC_SHA2_256 = 5 => "HMAC-SHA2-256";
    HMAC_SHA2_384 = 6 => "HMAC-SHA2-384";
    HMAC_SHA2_512 = 7 => "HMAC-SHA2-512";
    HMAC_RIPEMD = 8 => "HMAC-RIPEMD";
    AES_XCBC_MAC = 9 => "AES-XCBC-MAC";
    SIG_RSA = 10 => "SIG-RSA";
    AES_128_GMAC = 11 => "AES-128-GMAC";
    AES_192_GMAC = 12 => "AES-192-GMAC";
    AES_256_GMAC = 13 => "AES-256-GMAC";
}

registry! {
    /// ISAKMP Notify message type: RFC 2408 §3.14.1 (errors 1–30, status
    /// 16384), RFC 2407 §4.6.3 (IPsec DOI status 24576–24578), RFC 3706
    /// (DPD, 36136–36137); IANA "Notify Messages - Error Types" / "Status
    /// Types". 40501 and 40503 are Cisco Unity private values.
    pub struct NotifyTypeV1(u16);
    ranges {
        31..=8191 => "Reserved (future use)",
        8192..=16383 => "Private use (errors)",
        16385..=24575 => "Reserved (future use)",
        24579..=32767 => "DOI-specific codes",
        32768..=40959 => "Private use (status)",
        40960..=65535 => "Reserved (future use)",
    }
    INVALID_PAYLOAD_TYPE = 1 => "INVALID-PAYLOAD-TYPE";
    DOI_NOT_SUPPORTED = 2 => "DOI-NOT-SUPPORTED";
    SITUATION_NOT_SUPPORTED = 3 => "SITUATION-NOT-SUPPORTED";
    INVALID_COOKIE = 4 => "INVALID-COOKIE";
    INVALID_MAJOR_VERSION = 5 => "INVALID-MAJOR-VERSION";
    INVALID_MINOR_VERSION = 6 => "INVALID-MINOR-VERSION";
    INVALID_EXCHANGE_TYPE = 7 => "INVALID-EXCHANGE-TYPE";
    INVALID_FLAGS = 8 => "INVALID-FLAGS";
    INVALID_MESSAGE_ID = 9 => "INVALID-MESSAGE-ID";
    INVALID_PROTOCOL_ID = 10 => "INVALID-PROTOCOL-ID";
    INVALID_SPI = 11 => "INVALID-SPI";
    INVALID_TRANSFORM_ID = 12 => "INVALID-TRANSFORM-ID";
    ATTRIBUTES_NOT_SUPPORTED = 13 => "ATTRIBUTES-NOT-SUPPORTED";
    NO_PROPOSAL_CHOSEN = 14 => "NO-PROPOSAL-CHOSEN";
    BAD_PROPOSAL_SYNTAX = 15 => "BAD-PROPOSAL-SYNTAX";
    PAYLOAD_MALFORMED = 16 => "PAYLOAD-MALFORMED";
    INVALID_KEY_INFORMATION = 17 => "INVALID-KEY-INFORMATION";
    INVALID_ID_INFORMATION = 18 => "INVALID-ID-INFORMATION";
    INVALID_CERT_ENCODING = 19 => "INVALID-CERT-ENCODING";
    INVALID_CERTIFICATE = 20 => "INVALID-CERTIFICATE";
    CERT_TYPE_UNSUPPORTED = 21 => "CERT-TYPE-UNSUPPORTED";
    INVALID_CERT_AUTHORITY = 22 => "INVALID-CERT-AUTHORITY";
    INVALID_HASH_INFORMATION = 23 => "INVALID-HASH-INFORMATION";
    AUTHENTICATION_FAILED = 24 => "AUTHENTICATION-FAILED";
    INVALID_SIGNATURE = 25 => "INVALID-SIGNATURE";
    ADDRESS_NOTIFICATION = 26 => "ADDRESS-NOTIFICATION";
    NOTIFY_SA_LIFETIME = 27 => "NOTIFY-SA-LIFETIME";
    CERTIFICATE_UNAVAILABLE = 28 => "CERTIFICATE-UNAVAILABLE";
    UNSUPPORTED_EXCHANGE_TYPE = 29 => "UNSUPPORTED-EXCHANGE-TYPE";
    UNEQUAL_PAYLOAD_LENGTHS = 30 => "UNEQUAL-PAYLOAD-LENGTHS";
    CONNECTED = 16384 => "CONNECTED";
    RESPONDER_LIFETIME = 24576 => "RESPONDER-LIFETIME";
    REPLAY_STATUS = 24577 => "REPLAY-STATUS";
    INITIAL_CONTACT = 24578 => "INITIAL-CONTACT";
    DPD_R_U_THERE = 36136 => "R-U-THERE";
    DPD_R_U_THERE_ACK = 36137 => "R-U-THERE-ACK";
    UNITY_LOAD_BALANCE = 40501 => "UNITY-LOAD-BALANCE";
    UNITY_GROUP_HASH = 40503 => "UNITY-GROUP-HASH";
}

/// Helpers for [`NotifyTypeV1`].
impl NotifyTypeV1 {
    /// True for error types (1–16383, RFC 2408 §3.14.1).
    pub const fn is_error(self) -> bool {
        self.0 != 0 && self.0 < 16384
    }
}

registry! {
    /// IKEv1 Mode-Config attribute type (15-bit):
    /// draft-ietf-ipsec-isakmp-mode-cfg-05 §3.3 (1–15), XAUTH
    /// (draft-beaulieu-ike-xauth-02 §5, 16520–16529), Check Point
    /// (16387–16389), Microsoft (23456–23457) and Cisco Unity (28672–28682)
    /// private values as spoken by strongSwan, libreswan and racoon.
    pub struct CfgAttrTypeV1(u16);
    ranges {
        16..=16383 => "Unassigned",
        16384..=32767 => "Private use",
    }
    INTERNAL_IP4_ADDRESS = 1 => "INTERNAL_IP4_ADDRESS";
    INTERNAL_IP4_NETMASK = 2 => "INTERNAL_IP4_NETMASK";
    INTERNAL_IP4_DNS = 3 => "INTERNAL_IP4_DNS";
    INTERNAL_IP4_NBNS = 4 => "INTERNAL_IP4_NBNS";
    INTERNAL_ADDRESS_EXPIRY = 5 => "INTERNAL_ADDRESS_EXPIRY";
    INTERNAL_IP4_DHCP = 6 => "INTERNAL_IP4_DHCP";
    APPLICATION_VERSION = 7 => "APPLICATION_VERSION";
    INTERNAL_IP6_ADDRESS = 8 => "INTERNAL_IP6_ADDRESS";
    INTERNAL_IP6_NETMASK = 9 => "INTERNAL_IP6_NETMASK";
    INTERNAL_IP6_DNS = 10 => "INTERNAL_IP6_DNS";
    INTERNAL_IP6_NBNS = 11 => "INTERNAL_IP6_NBNS";
    INTERNAL_IP6_DHCP = 12 => "INTERNAL_IP6_DHCP";
    INTERNAL_IP4_SUBNET = 13 => "INTERNAL_IP4_SUBNET";
    SUPPORTED_ATTRIBUTES = 14 => "SUPPORTED_ATTRIBUTES";
    INTERNAL_IP6_SUBNET = 15 => "INTERNAL_IP6_SUBNET";
    CHKPT_DEF_DOMAIN = 16387 => "CHKPT_DEF_DOMAIN";
    CHKPT_MAC_ADDRESS = 16388 => "CHKPT_MAC_ADDRESS";
    CHKPT_MARCIPAN_REASON_CODE = 16389 => "CHKPT_MARCIPAN_REASON_CODE";
    XAUTH_TYPE = 16520 => "XAUTH_TYPE";
    XAUTH_USER_NAME = 16521 => "XAUTH_USER_NAME";
    XAUTH_USER_PASSWORD = 16522 => "XAUTH_USER_PASSWORD";
    XAUTH_PASSCODE = 16523 => "XAUTH_PASSCODE";
    XAUTH_MESSAGE = 16524 => "XAUTH_MESSAGE";
    XAUTH_CHALLENGE = 16525 => "XAUTH_CHALLENGE";
    XAUTH_DOMAIN = 16526 => "XAUTH_DOMAIN";
    XAUTH_STATUS = 16527 => "XAUTH_STATUS";
    XAUTH_NEXT_PIN = 16528 => "XAUTH_NEXT_PIN";
    XAUTH_ANSWER = 16529 => "XAUTH_ANSWER";
    INTERNAL_IP4_SERVER = 23456 => "INTERNAL_IP4_SERVER";
    INTERNAL_IP6_SERVER = 23457 => "INTERNAL_IP6_SERVER";
    UNITY_BANNER = 28672 => "UNITY_BANNER";
    UNITY_SAVE_PASSWD = 28673 => "UNITY_SAVE_PASSWD";
    UNITY_DEF_DOMAIN = 28674 => "UNITY_DEF_DOMAIN";
    UNITY_SPLITDNS_NAME = 28675 => "UNITY_SPLITDNS_NAME";
    UNITY_SPLIT_INCLUDE = 28676 => "UNITY_SPLIT_INCLUDE";
    UNITY_NATT_PORT = 28677 => "UNITY_NATT_PORT";
    UNITY_LOCAL_LAN = 28678 => "UNITY_LOCAL_LAN";
    UNITY_PFS = 28679 => "UNITY_PFS";
    UNITY_FW_TYPE = 28680 => "UNITY_FW_TYPE";
    UNITY_BACKUP_SERVERS = 28681 => "UNITY_BACKUP_SERVERS";
    UNITY_DDNS_HOSTNAME = 28682 => "UNITY_DDNS_HOSTNAME";
}

registry! {
    /// Values of the XAUTH_TYPE attribute, draft-beaulieu-ike-xauth-02 §5.1.
    pub struct XauthType(u16);
    ranges {
        4..=32767 => "Future use",
        32768..=65535 => "Private use",
    }
    GENERIC = 0 => "Generic";
    RADIUS_CHAP = 1 => "RADIUS-CHAP";
    OTP = 2 => "OTP";
    SKEY = 3 => "S/KEY";
}

registry! {
    /// Values of the XAUTH_STATUS attribute, draft-beaulieu-ike-xauth-02
    /// §5.1.
    pub struct XauthStatus(u16);
    FAIL = 0 => "FAIL";
    OK = 1 => "OK";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposal_level() {
        assert_eq!(Doi(1).name(), Some("IPSEC"));
        assert_eq!(format!("{}", Doi(7)), "Unknown (7)");
        assert_eq!(ProtocolIdV1(1).name(), Some("PROTO_ISAKMP"));
        assert_eq!(IsakmpTransformId::KEY_IKE.0, 1);
        assert_eq!(EspTransformId(12).name(), Some("ESP_AES-CBC"));
        assert_eq!(EspTransformId::AES, EspTransformId(12));
        assert_eq!(EspTransformId(23).name(), Some("ESP_NULL_AUTH_AES-GMAC"));
        assert_eq!(EspTransformId(17).name(), None);
        assert_eq!(AhTransformId(5).name(), Some("AH_SHA2-256"));
        assert_eq!(IpcompTransformId(2).name(), Some("IPCOMP_DEFLATE"));
        assert_eq!(format!("{}", IpcompTransformId(50)), "Private use (50)");
    }

    #[test]
    fn attributes() {
        assert_eq!(IkeAttrType(1).name(), Some("Encryption Algorithm"));
        assert_eq!(IkeAttrType::GROUP_ORDER.0, 16);
        assert_eq!(IpsecAttrType(4).name(), Some("Encapsulation Mode"));
        assert_eq!(IkeEncrAlg(7).name(), Some("AES-CBC"));
        assert_eq!(IkeEncrAlg::DES3_CBC.0, 5);
        assert_eq!(IkeHashAlg(2).name(), Some("SHA"));
        assert_eq!(IkeAuthMethod(1).name(), Some("pre-shared key"));
        assert_eq!(IkeAuthMethod::XAUTH_INIT_PRESHARED.0, 65001);
        assert_eq!(format!("{}", IkeAuthMethod(7)), "Reserved (7)");
        assert_eq!(IkeGroupDesc(14).name(), Some("2048-bit MODP group"));
        assert_eq!(IkeGroupType::ECP.0, 2);
        assert_eq!(LifeType::SECONDS.0, 1);
        assert_eq!(
            IpsecEncapMode(61443).name(),
            Some("UDP-Encapsulated-Tunnel (draft)")
        );
        assert_eq!(IpsecAuthAlg(2).name(), Some("HMAC-SHA"));
    }

    #[test]
    fn notifications() {
        assert_eq!(NotifyTypeV1(14).name(), Some("NO-PROPOSAL-CHOSEN"));
        assert_eq!(NotifyTypeV1::INVALID_HASH_INFORMATION.0, 23);
        assert_eq!(NotifyTypeV1::AUTHENTICATION_FAILED.0, 24);
        assert_eq!(
            format!("{}", NotifyTypeV1(24576)),
            "RESPONDER-LIFETIME (24576)"
        );
        assert_eq!(NotifyTypeV1(36136).name(), Some("R-U-THERE"));
        assert_eq!(NotifyTypeV1::DPD_R_U_THERE_ACK.0, 36137);
        assert_eq!(
            format!("{}", NotifyTypeV1(9000)),
            "Private use (errors) (9000)"
        );
        assert!(NotifyTypeV1::INVALID_SPI.is_error());
        assert!(!NotifyTypeV1::CONNECTED.is_error());
    }

    #[test]
    fn mode_config() {
        assert_eq!(CfgAttrTypeV1(16521).name(), Some("XAUTH_USER_NAME"));
        assert_eq!(CfgAttrTypeV1::UNITY_BANNER.0, 28672);
        assert_eq!(CfgAttrTypeV1(15).name(), Some("INTERNAL_IP6_SUBNET"));
        assert_eq!(XauthType(3).name(), Some("S/KEY"));
        assert_eq!(XauthStatus::OK.0, 1);
    }
}
