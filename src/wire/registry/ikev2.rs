//! IKEv2 registries: IANA "Internet Key Exchange Version 2 (IKEv2)
//! Parameters" (RFC 7296 and its extensions, as of RFC 9827, RFC 9838 and
//! RFC 9867).
//!
//! Exchange and payload types, certificate encodings, ID types and CFG
//! types are shared with IKEv1 and live in [`super::common`].

registry! {
    /// Transform type of an IKEv2 transform substructure, RFC 7296 §3.3.2,
    /// RFC 9370 (ADDKE1–7), RFC 9827 (type 5 renamed "Sequence Numbers"),
    /// RFC 9838 (KWA, GCAUTH); IANA "Transform Type Values".
    pub struct TransformType(u8);
    ranges {
        15..=240 => "Unassigned",
        241..=255 => "Private use",
    }
    ENCR = 1 => "Encryption Algorithm (ENCR)";
    PRF = 2 => "Pseudorandom Function (PRF)";
    INTEG = 3 => "Integrity Algorithm (INTEG)";
    KE = 4 => "Key Exchange Method (KE)";
    ESN = 5 => "Sequence Numbers (SN)";
    ADDKE1 = 6 => "Additional Key Exchange 1 (ADDKE1)";
    ADDKE2 = 7 => "Additional Key Exchange 2 (ADDKE2)";
    ADDKE3 = 8 => "Additional Key Exchange 3 (ADDKE3)";
    ADDKE4 = 9 => "Additional Key Exchange 4 (ADDKE4)";
    ADDKE5 = 10 => "Additional Key Exchange 5 (ADDKE5)";
    ADDKE6 = 11 => "Additional Key Exchange 6 (ADDKE6)";
    ADDKE7 = 12 => "Additional Key Exchange 7 (ADDKE7)";
    KWA = 13 => "Key Wrap Algorithm (KWA)";
    GCAUTH = 14 => "Group Controller Authentication Method (GCAUTH)";
}

/// Aliases for [`TransformType`] values known by their older names.
impl TransformType {
    /// Transform type 4 before RFC 9370: "Diffie-Hellman Group (D-H)".
    pub const DH: TransformType = TransformType::KE;
    /// Transform type 5 after RFC 9827: "Sequence Numbers (SN)".
    pub const SN: TransformType = TransformType::ESN;
}

registry! {
    /// Transform type 1 IDs, RFC 7296 §3.3.2 and later; IANA "Transform
    /// Type 1 - Encryption Algorithm Transform IDs".
    pub struct EncrId(u16);
    ranges {
        36..=1023 => "Unassigned",
        1024..=65535 => "Private use",
    }
    DES_IV64 = 1 => "ENCR_DES_IV64";
    DES = 2 => "ENCR_DES";
    DES3 = 3 => "ENCR_3DES";
    RC5 = 4 => "ENCR_RC5";
    IDEA = 5 => "ENCR_IDEA";
    CAST = 6 => "ENCR_CAST";
    BLOWFISH = 7 => "ENCR_BLOWFISH";
    IDEA3 = 8 => "ENCR_3IDEA";
    DES_IV32 = 9 => "ENCR_DES_IV32";
    NULL = 11 => "ENCR_NULL";
    AES_CBC = 12 => "ENCR_AES_CBC";
    AES_CTR = 13 => "ENCR_AES_CTR";
    AES_CCM_8 = 14 => "ENCR_AES_CCM_8";
    AES_CCM_12 = 15 => "ENCR_AES_CCM_12";
    AES_CCM_16 = 16 => "ENCR_AES_CCM_16";
    AES_GCM_8 = 18 => "ENCR_AES_GCM_8";
    AES_GCM_12 = 19 => "ENCR_AES_GCM_12";
    AES_GCM_16 = 20 => "ENCR_AES_GCM_16";
    NULL_AUTH_AES_GMAC = 21 => "ENCR_NULL_AUTH_AES_GMAC";
    CAMELLIA_CBC = 23 => "ENCR_CAMELLIA_CBC";
    CAMELLIA_CTR = 24 => "ENCR_CAMELLIA_CTR";
    CAMELLIA_CCM_8 = 25 => "ENCR_CAMELLIA_CCM with an 8-octet ICV";
    CAMELLIA_CCM_12 = 26 => "ENCR_CAMELLIA_CCM with a 12-octet ICV";
    CAMELLIA_CCM_16 = 27 => "ENCR_CAMELLIA_CCM with a 16-octet ICV";
    CHACHA20_POLY1305 = 28 => "ENCR_CHACHA20_POLY1305";
    AES_CCM_8_IIV = 29 => "ENCR_AES_CCM_8_IIV";
    AES_GCM_16_IIV = 30 => "ENCR_AES_GCM_16_IIV";
    CHACHA20_POLY1305_IIV = 31 => "ENCR_CHACHA20_POLY1305_IIV";
    KUZNYECHIK_MGM_KTREE = 32 => "ENCR_KUZNYECHIK_MGM_KTREE";
    MAGMA_MGM_KTREE = 33 => "ENCR_MAGMA_MGM_KTREE";
    KUZNYECHIK_MGM_MAC_KTREE = 34 => "ENCR_KUZNYECHIK_MGM_MAC_KTREE";
    MAGMA_MGM_MAC_KTREE = 35 => "ENCR_MAGMA_MGM_MAC_KTREE";
}

impl EncrId {
    /// True for the combined-mode (AEAD) ciphers, which take no separate
    /// integrity transform (RFC 5282, RFC 7634, RFC 8750, RFC 9227).
    pub const fn is_aead(self) -> bool {
        matches!(self.0, 14..=16 | 18..=21 | 25..=35)
    }
}

registry! {
    /// Transform type 2 IDs, RFC 7296 §3.3.2, RFC 4434, RFC 4868, RFC 4615,
    /// RFC 9385; IANA "Transform Type 2 - Pseudorandom Function Transform
    /// IDs".
    pub struct PrfId(u16);
    ranges {
        10..=1023 => "Unassigned",
        1024..=65535 => "Private use",
    }
    HMAC_MD5 = 1 => "PRF_HMAC_MD5";
    HMAC_SHA1 = 2 => "PRF_HMAC_SHA1";
    HMAC_TIGER = 3 => "PRF_HMAC_TIGER";
    AES128_XCBC = 4 => "PRF_AES128_XCBC";
    HMAC_SHA2_256 = 5 => "PRF_HMAC_SHA2_256";
    HMAC_SHA2_384 = 6 => "PRF_HMAC_SHA2_384";
    HMAC_SHA2_512 = 7 => "PRF_HMAC_SHA2_512";
    AES128_CMAC = 8 => "PRF_AES128_CMAC";
    HMAC_STREEBOG_512 = 9 => "PRF_HMAC_STREEBOG_512";
}

registry! {
    /// Transform type 3 IDs, RFC 7296 §3.3.2, RFC 4494, RFC 4543, RFC 4595,
    /// RFC 4868; IANA "Transform Type 3 - Integrity Algorithm Transform
    /// IDs".
    pub struct IntegId(u16);
    ranges {
        15..=1023 => "Unassigned",
        1024..=65535 => "Private use",
    }
    NONE = 0 => "NONE";
    HMAC_MD5_96 = 1 => "AUTH_HMAC_MD5_96";
    HMAC_SHA1_96 = 2 => "AUTH_HMAC_SHA1_96";
    DES_MAC = 3 => "AUTH_DES_MAC";
    KPDK_MD5 = 4 => "AUTH_KPDK_MD5";
    AES_XCBC_96 = 5 => "AUTH_AES_XCBC_96";
    HMAC_MD5_128 = 6 => "AUTH_HMAC_MD5_128";
    HMAC_SHA1_160 = 7 => "AUTH_HMAC_SHA1_160";
    AES_CMAC_96 = 8 => "AUTH_AES_CMAC_96";
    AES_128_GMAC = 9 => "AUTH_AES_128_GMAC";
    AES_192_GMAC = 10 => "AUTH_AES_192_GMAC";
    AES_256_GMAC = 11 => "AUTH_AES_256_GMAC";
    HMAC_SHA2_256_128 = 12 => "AUTH_HMAC_SHA2_256_128";
    HMAC_SHA2_384_192 = 13 => "AUTH_HMAC_SHA2_384_192";
    HMAC_SHA2_512_256 = 14 => "AUTH_HMAC_SHA2_512_256";
}

registry! {
    /// Transform type 4 IDs (key exchange methods, formerly Diffie-Hellman
    /// groups), RFC 7296 §3.3.2, RFC 3526, RFC 5114, RFC 5903, RFC 6954,
    /// RFC 8031, RFC 9385, draft-ietf-ipsecme-ikev2-mlkem (35–37); IANA
    /// "Transform Type 4 - Key Exchange Method Transform IDs". Values 3, 4
    /// and 6–13 are IKEv1-only groups, reserved in IKEv2. Names are IANA's,
    /// including its lower-case spelling of the ML-KEM entries.
    pub struct KeMethod(u16);
    ranges {
        38..=1023 => "Unassigned",
        1024..=65535 => "Private use",
    }
    NONE = 0 => "NONE";
    MODP_768 = 1 => "768-bit MODP Group";
    MODP_1024 = 2 => "1024-bit MODP Group";
    MODP_1536 = 5 => "1536-bit MODP Group";
    MODP_2048 = 14 => "2048-bit MODP Group";
    MODP_3072 = 15 => "3072-bit MODP Group";
    MODP_4096 = 16 => "4096-bit MODP Group";
    MODP_6144 = 17 => "6144-bit MODP Group";
    MODP_8192 = 18 => "8192-bit MODP Group";
    ECP_256 = 19 => "256-bit random ECP group";
    ECP_384 = 20 => "384-bit random ECP group";
    ECP_521 = 21 => "521-bit random ECP group";
    MODP_1024_160 = 22 => "1024-bit MODP Group with 160-bit Prime Order Subgroup";
    MODP_2048_224 = 23 => "2048-bit MODP Group with 224-bit Prime Order Subgroup";
    MODP_2048_256 = 24 => "2048-bit MODP Group with 256-bit Prime Order Subgroup";
    ECP_192 = 25 => "192-bit Random ECP Group";
    ECP_224 = 26 => "224-bit Random ECP Group";
    BRAINPOOL_P224R1 = 27 => "brainpoolP224r1";
    BRAINPOOL_P256R1 = 28 => "brainpoolP256r1";
    BRAINPOOL_P384R1 = 29 => "brainpoolP384r1";
    BRAINPOOL_P512R1 = 30 => "brainpoolP512r1";
    CURVE25519 = 31 => "Curve25519";
    CURVE448 = 32 => "Curve448";
    GOST3410_2012_256 = 33 => "GOST3410_2012_256";
    GOST3410_2012_512 = 34 => "GOST3410_2012_512";
    ML_KEM_512 = 35 => "ml-kem-512";
    ML_KEM_768 = 36 => "ml-kem-768";
    ML_KEM_1024 = 37 => "ml-kem-1024";
}

impl KeMethod {
    /// The valid lengths of the Key Exchange Data for this method: the
    /// public value of a Diffie-Hellman group (MODP padded to the prime's
    /// size, RFC 7296 §3.4; ECP x‖y, RFC 5903 §7; Curve25519/448, RFC 8031
    /// §2), or for ML-KEM the encapsulation key (initiator) and the
    /// ciphertext (responder), FIPS 203 Table 3. Empty when unknown.
    pub const fn data_lengths(self) -> &'static [usize] {
        match self.0 {
            1 => &[96],
            2 | 22 => &[128],
            5 => &[192],
            14 | 23 | 24 => &[256],
            15 => &[384],
            16 => &[512],
            17 => &[768],
            18 => &[1024],
            19 | 28 => &[64],
            20 | 29 => &[96],
            21 => &[132],
            25 => &[48],
            26 | 27 => &[56],
            30 => &[128],
            31 => &[32],
            32 => &[56],
            35 => &[800, 768],
            36 => &[1184, 1088],
            37 => &[1568],
            _ => &[],
        }
    }
}

registry! {
    /// Transform type 5 IDs, RFC 7296 §3.3.2 as renamed by RFC 9827
    /// (0 was "No Extended Sequence Numbers", 1 was "Extended Sequence
    /// Numbers"), plus 2 from RFC 9838; IANA "Transform Type 5 - Sequence
    /// Numbers Transform IDs".
    pub struct EsnId(u16);
    NO_ESN = 0 => "32-bit Sequential Numbers";
    ESN = 1 => "Partially Transmitted 64-bit Sequential Numbers";
    UNSPECIFIED_32 = 2 => "32-bit Unspecified Numbers";
}

registry! {
    /// Transform type 13 IDs (G-IKEv2 key wrap algorithms), RFC 9838;
    /// IANA "Transform Type 13 - Key Wrap Algorithm Transform IDs".
    pub struct KwaId(u16);
    KW_5649_128 = 1 => "KW_5649_128";
    KW_5649_192 = 2 => "KW_5649_192";
    KW_5649_256 = 3 => "KW_5649_256";
    KW_ARX = 4 => "KW_ARX";
}

registry! {
    /// Transform type 14 IDs (G-IKEv2 group controller authentication),
    /// RFC 9838; IANA "Transform Type 14 - Group Controller Authentication
    /// Method Transform IDs".
    pub struct GcauthId(u16);
    IMPLICIT = 1 => "Implicit";
    DIGITAL_SIGNATURE = 2 => "Digital Signature";
}

registry! {
    /// IKEv2 transform attribute type (15-bit), RFC 7296 §3.3.5; IANA
    /// "IKEv2 Transform Attribute Types".
    pub struct TransformAttrType(u16);
    ranges {
        19..=16383 => "Unassigned",
        16384..=32767 => "Private use",
    }
    KEY_LENGTH = 14 => "Key Length (in bits)";
}

registry! {
    /// Protocol ID of IKEv2 proposals, Notify and Delete payloads, RFC 7296
    /// §3.3.1, RFC 4595 (4, 5), RFC 9838 (6); IANA "IKEv2 Security Protocol
    /// Identifiers". 0 is reserved but used by Notify payloads that concern
    /// no SA.
    pub struct ProtocolIdV2(u8);
    ranges {
        7..=200 => "Unassigned",
        201..=255 => "Private use",
    }
    NONE = 0 => "Reserved";
    IKE = 1 => "IKE";
    AH = 2 => "AH";
    ESP = 3 => "ESP";
    FC_ESP_HEADER = 4 => "FC_ESP_HEADER";
    FC_CT_AUTHENTICATION = 5 => "FC_CT_AUTHENTICATION";
    GIKE_UPDATE = 6 => "GIKE_UPDATE";
}

registry! {
    /// IKEv2 Notify message type, RFC 7296 §3.10.1 and its extensions;
    /// IANA "IKEv2 Notify Message Error Types" (0–16383) and "IKEv2 Notify
    /// Message Status Types" (16384–65535).
    pub struct NotifyTypeV2(u16);
    ranges {
        50..=8191 => "Unassigned (errors)",
        8192..=16383 => "Private use (errors)",
        16448..=40959 => "Unassigned (status)",
        40960..=65535 => "Private use (status)",
    }
    UNSUPPORTED_CRITICAL_PAYLOAD = 1 => "UNSUPPORTED_CRITICAL_PAYLOAD";
    INVALID_IKE_SPI = 4 => "INVALID_IKE_SPI";
    INVALID_MAJOR_VERSION = 5 => "INVALID_MAJOR_VERSION";
    INVALID_SYNTAX = 7 => "INVALID_SYNTAX";
    INVALID_MESSAGE_ID = 9 => "INVALID_MESSAGE_ID";
    INVALID_SPI = 11 => "INVALID_SPI";
    NO_PROPOSAL_CHOSEN = 14 => "NO_PROPOSAL_CHOSEN";
    INVALID_KE_PAYLOAD = 17 => "INVALID_KE_PAYLOAD";
    AUTHENTICATION_FAILED = 24 => "AUTHENTICATION_FAILED";
    SINGLE_PAIR_REQUIRED = 34 => "SINGLE_PAIR_REQUIRED";
    NO_ADDITIONAL_SAS = 35 => "NO_ADDITIONAL_SAS";
    INTERNAL_ADDRESS_FAILURE = 36 => "INTERNAL_ADDRESS_FAILURE";
    FAILED_CP_REQUIRED = 37 => "FAILED_CP_REQUIRED";
    TS_UNACCEPTABLE = 38 => "TS_UNACCEPTABLE";
    INVALID_SELECTORS = 39 => "INVALID_SELECTORS";
    UNACCEPTABLE_ADDRESSES = 40 => "UNACCEPTABLE_ADDRESSES";
    UNEXPECTED_NAT_DETECTED = 41 => "UNEXPECTED_NAT_DETECTED";
    USE_ASSIGNED_HOA = 42 => "USE_ASSIGNED_HoA";
    TEMPORARY_FAILURE = 43 => "TEMPORARY_FAILURE";
    CHILD_SA_NOT_FOUND = 44 => "CHILD_SA_NOT_FOUND";
    INVALID_GROUP_ID = 45 => "INVALID_GROUP_ID";
    AUTHORIZATION_FAILED = 46 => "AUTHORIZATION_FAILED";
    STATE_NOT_FOUND = 47 => "STATE_NOT_FOUND";
    TS_MAX_QUEUE = 48 => "TS_MAX_QUEUE";
    REGISTRATION_FAILED = 49 => "REGISTRATION_FAILED";
    INITIAL_CONTACT = 16384 => "INITIAL_CONTACT";
    SET_WINDOW_SIZE = 16385 => "SET_WINDOW_SIZE";
    ADDITIONAL_TS_POSSIBLE = 16386 => "ADDITIONAL_TS_POSSIBLE";
    IPCOMP_SUPPORTED = 16387 => "IPCOMP_SUPPORTED";
    NAT_DETECTION_SOURCE_IP = 16388 => "NAT_DETECTION_SOURCE_IP";
    NAT_DETECTION_DESTINATION_IP = 16389 => "NAT_DETECTION_DESTINATION_IP";
    COOKIE = 16390 => "COOKIE";
    USE_TRANSPORT_MODE = 16391 => "USE_TRANSPORT_MODE";
    HTTP_CERT_LOOKUP_SUPPORTED = 16392 => "HTTP_CERT_LOOKUP_SUPPORTED";
    REKEY_SA = 16393 => "REKEY_SA";
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394 => "ESP_TFC_PADDING_NOT_SUPPORTED";
    NON_FIRST_FRAGMENTS_ALSO = 16395 => "NON_FIRST_FRAGMENTS_ALSO";
    MOBIKE_SUPPORTED = 16396 => "MOBIKE_SUPPORTED";
    ADDITIONAL_IP4_ADDRESS = 16397 => "ADDITIONAL_IP4_ADDRESS";
    ADDITIONAL_IP6_ADDRESS = 16398 => "ADDITIONAL_IP6_ADDRESS";
    NO_ADDITIONAL_ADDRESSES = 16399 => "NO_ADDITIONAL_ADDRESSES";
    UPDATE_SA_ADDRESSES = 16400 => "UPDATE_SA_ADDRESSES";
    COOKIE2 = 16401 => "COOKIE2";
    NO_NATS_ALLOWED = 16402 => "NO_NATS_ALLOWED";
    AUTH_LIFETIME = 16403 => "AUTH_LIFETIME";
    MULTIPLE_AUTH_SUPPORTED = 16404 => "MULTIPLE_AUTH_SUPPORTED";
    ANOTHER_AUTH_FOLLOWS = 16405 => "ANOTHER_AUTH_FOLLOWS";
    REDIRECT_SUPPORTED = 16406 => "REDIRECT_SUPPORTED";
    REDIRECT = 16407 => "REDIRECT";
    REDIRECTED_FROM = 16408 => "REDIRECTED_FROM";
    TICKET_LT_OPAQUE = 16409 => "TICKET_LT_OPAQUE";
    TICKET_REQUEST = 16410 => "TICKET_REQUEST";
    TICKET_ACK = 16411 => "TICKET_ACK";
    TICKET_NACK = 16412 => "TICKET_NACK";
    TICKET_OPAQUE = 16413 => "TICKET_OPAQUE";
    LINK_ID = 16414 => "LINK_ID";
    USE_WESP_MODE = 16415 => "USE_WESP_MODE";
    ROHC_SUPPORTED = 16416 => "ROHC_SUPPORTED";
    EAP_ONLY_AUTHENTICATION = 16417 => "EAP_ONLY_AUTHENTICATION";
    CHILDLESS_IKEV2_SUPPORTED = 16418 => "CHILDLESS_IKEV2_SUPPORTED";
    QUICK_CRASH_DETECTION = 16419 => "QUICK_CRASH_DETECTION";
    IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED";
    IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421 => "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED";
    IKEV2_MESSAGE_ID_SYNC = 16422 => "IKEV2_MESSAGE_ID_SYNC";
    IPSEC_REPLAY_COUNTER_SYNC = 16423 => "IPSEC_REPLAY_COUNTER_SYNC";
    SECURE_PASSWORD_METHODS = 16424 => "SECURE_PASSWORD_METHODS";
    PSK_PERSIST = 16425 => "PSK_PERSIST";
    PSK_CONFIRM = 16426 => "PSK_CONFIRM";
    ERX_SUPPORTED = 16427 => "ERX_SUPPORTED";
    IFOM_CAPABILITY = 16428 => "IFOM_CAPABILITY";
    GROUP_SENDER = 16429 => "GROUP_SENDER";
    IKEV2_FRAGMENTATION_SUPPORTED = 16430 => "IKEV2_FRAGMENTATION_SUPPORTED";
    SIGNATURE_HASH_ALGORITHMS = 16431 => "SIGNATURE_HASH_ALGORITHMS";
    CLONE_IKE_SA_SUPPORTED = 16432 => "CLONE_IKE_SA_SUPPORTED";
    CLONE_IKE_SA = 16433 => "CLONE_IKE_SA";
    PUZZLE = 16434 => "PUZZLE";
    USE_PPK = 16435 => "USE_PPK";
    PPK_IDENTITY = 16436 => "PPK_IDENTITY";
    NO_PPK_AUTH = 16437 => "NO_PPK_AUTH";
    INTERMEDIATE_EXCHANGE_SUPPORTED = 16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED";
    IP4_ALLOWED = 16439 => "IP4_ALLOWED";
    IP6_ALLOWED = 16440 => "IP6_ALLOWED";
    ADDITIONAL_KEY_EXCHANGE = 16441 => "ADDITIONAL_KEY_EXCHANGE";
    USE_AGGFRAG = 16442 => "USE_AGGFRAG";
    SUPPORTED_AUTH_METHODS = 16443 => "SUPPORTED_AUTH_METHODS";
    SA_RESOURCE_INFO = 16444 => "SA_RESOURCE_INFO";
    USE_PPK_INT = 16445 => "USE_PPK_INT";
    PPK_IDENTITY_KEY = 16446 => "PPK_IDENTITY_KEY";
}

/// Aliases and helpers for [`NotifyTypeV2`].
impl NotifyTypeV2 {
    /// 16429 under its pre-RFC 9838 name (draft-yeung-g-ikev2).
    pub const SENDER_REQUEST_ID: NotifyTypeV2 = NotifyTypeV2::GROUP_SENDER;

    /// True for error types (1–16383); a received unknown error type means
    /// the request failed (RFC 7296 §3.10.1).
    pub const fn is_error(self) -> bool {
        self.0 != 0 && self.0 < 16384
    }
}

registry! {
    /// IKEv2 authentication method of the AUTH payload, RFC 7296 §3.8,
    /// RFC 4754 (9–11), RFC 6467 (12), RFC 7619 (13), RFC 7427 (14); IANA
    /// "IKEv2 Authentication Method".
    pub struct AuthMethodV2(u8);
    ranges {
        15..=200 => "Unassigned",
        201..=255 => "Private use",
    }
    RSA_SIG = 1 => "RSA Digital Signature";
    SHARED_KEY_MIC = 2 => "Shared Key Message Integrity Code";
    DSS_SIG = 3 => "DSS Digital Signature";
    ECDSA_SHA256_P256 = 9 => "ECDSA with SHA-256 on the P-256 curve";
    ECDSA_SHA384_P384 = 10 => "ECDSA with SHA-384 on the P-384 curve";
    ECDSA_SHA512_P521 = 11 => "ECDSA with SHA-512 on the P-521 curve";
    GSPAM = 12 => "Generic Secure Password Authentication Method";
    NULL_AUTH = 13 => "NULL Authentication";
    DIGITAL_SIGNATURE = 14 => "Digital Signature";
}

registry! {
    /// Traffic selector type, RFC 7296 §3.13.1, RFC 4595 (9), RFC 9478
    /// (10); IANA "IKEv2 Traffic Selector Types".
    pub struct TsType(u8);
    ranges {
        11..=240 => "Unassigned",
        241..=255 => "Private use",
    }
    IPV4_ADDR_RANGE = 7 => "TS_IPV4_ADDR_RANGE";
    IPV6_ADDR_RANGE = 8 => "TS_IPV6_ADDR_RANGE";
    FC_ADDR_RANGE = 9 => "TS_FC_ADDR_RANGE";
    SECLABEL = 10 => "TS_SECLABEL";
}

registry! {
    /// IKEv2 configuration attribute type (15-bit), RFC 7296 §3.15.1,
    /// RFC 5739 (16–18), RFC 5026 (19), RFC 7651 (20–21), RFC 8598 (25–26),
    /// RFC 9464 (27–29) and 3GPP TS 24.302 (22–24); IANA "IKEv2
    /// Configuration Payload Attribute Types". 5, 9 and 11 are reserved
    /// (IKEv1 values removed from IKEv2).
    pub struct CfgAttrTypeV2(u16);
    ranges {
        30..=16383 => "Unassigned",
        16384..=32767 => "Private use",
    }
    INTERNAL_IP4_ADDRESS = 1 => "INTERNAL_IP4_ADDRESS";
    INTERNAL_IP4_NETMASK = 2 => "INTERNAL_IP4_NETMASK";
    INTERNAL_IP4_DNS = 3 => "INTERNAL_IP4_DNS";
    INTERNAL_IP4_NBNS = 4 => "INTERNAL_IP4_NBNS";
    INTERNAL_IP4_DHCP = 6 => "INTERNAL_IP4_DHCP";
    APPLICATION_VERSION = 7 => "APPLICATION_VERSION";
    INTERNAL_IP6_ADDRESS = 8 => "INTERNAL_IP6_ADDRESS";
    INTERNAL_IP6_DNS = 10 => "INTERNAL_IP6_DNS";
    INTERNAL_IP6_DHCP = 12 => "INTERNAL_IP6_DHCP";
    INTERNAL_IP4_SUBNET = 13 => "INTERNAL_IP4_SUBNET";
    SUPPORTED_ATTRIBUTES = 14 => "SUPPORTED_ATTRIBUTES";
    INTERNAL_IP6_SUBNET = 15 => "INTERNAL_IP6_SUBNET";
    MIP6_HOME_PREFIX = 16 => "MIP6_HOME_PREFIX";
    INTERNAL_IP6_LINK = 17 => "INTERNAL_IP6_LINK";
    INTERNAL_IP6_PREFIX = 18 => "INTERNAL_IP6_PREFIX";
    HOME_AGENT_ADDRESS = 19 => "HOME_AGENT_ADDRESS";
    P_CSCF_IP4_ADDRESS = 20 => "P_CSCF_IP4_ADDRESS";
    P_CSCF_IP6_ADDRESS = 21 => "P_CSCF_IP6_ADDRESS";
    FTT_KAT = 22 => "FTT_KAT";
    EXTERNAL_SOURCE_IP4_NAT_INFO = 23 => "EXTERNAL_SOURCE_IP4_NAT_INFO";
    TIMEOUT_PERIOD_FOR_LIVENESS_CHECK = 24 => "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK";
    INTERNAL_DNS_DOMAIN = 25 => "INTERNAL_DNS_DOMAIN";
    INTERNAL_DNSSEC_TA = 26 => "INTERNAL_DNSSEC_TA";
    ENCDNS_IP4 = 27 => "ENCDNS_IP4";
    ENCDNS_IP6 = 28 => "ENCDNS_IP6";
    ENCDNS_DIGEST_INFO = 29 => "ENCDNS_DIGEST_INFO";
}

registry! {
    /// Gateway identity type of the REDIRECT / REDIRECTED_FROM notify data,
    /// RFC 5685 §10; IANA "IKEv2 Gateway Identity Types".
    pub struct GatewayIdType(u8);
    ranges {
        4..=240 => "Unassigned",
        241..=255 => "Private use",
    }
    IPV4 = 1 => "IPv4 address of the new VPN gateway";
    IPV6 = 2 => "IPv6 address of the new VPN gateway";
    FQDN = 3 => "FQDN of the new VPN gateway";
}

registry! {
    /// Hash algorithm identifier of SIGNATURE_HASH_ALGORITHMS, RFC 7427
    /// §4, RFC 8420 (5), RFC 9385 (6–7); IANA "IKEv2 Hash Algorithms".
    pub struct HashAlgorithm(u16);
    ranges {
        8..=1023 => "Unassigned",
        1024..=65535 => "Private use",
    }
    RESERVED = 0 => "Reserved";
    SHA1 = 1 => "SHA1";
    SHA2_256 = 2 => "SHA2-256";
    SHA2_384 = 3 => "SHA2-384";
    SHA2_512 = 4 => "SHA2-512";
    IDENTITY = 5 => "Identity";
    STREEBOG_256 = 6 => "STREEBOG_256";
    STREEBOG_512 = 7 => "STREEBOG_512";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms() {
        assert_eq!(TransformType::DH, TransformType(4));
        assert_eq!(TransformType(4).name(), Some("Key Exchange Method (KE)"));
        assert_eq!(TransformType::ADDKE7.0, 12);
        assert_eq!(format!("{}", TransformType(250)), "Private use (250)");
        assert_eq!(EncrId(12).name(), Some("ENCR_AES_CBC"));
        assert_eq!(EncrId::DES3.name(), Some("ENCR_3DES"));
        assert_eq!(EncrId::AES_GCM_16, EncrId(20));
        assert_eq!(EncrId(17).name(), None);
        assert_eq!(format!("{}", EncrId(17)), "Unknown (17)");
        assert_eq!(format!("{}", EncrId(2000)), "Private use (2000)");
        assert!(EncrId::AES_GCM_16.is_aead());
        assert!(EncrId::CHACHA20_POLY1305.is_aead());
        assert!(!EncrId::AES_CBC.is_aead());
        assert_eq!(PrfId(5).name(), Some("PRF_HMAC_SHA2_256"));
        assert_eq!(IntegId(12).name(), Some("AUTH_HMAC_SHA2_256_128"));
        assert_eq!(IntegId(0).name(), Some("NONE"));
        assert_eq!(EsnId::ESN.0, 1);
        assert_eq!(TransformAttrType::KEY_LENGTH.0, 14);
    }

    #[test]
    fn key_exchange_methods() {
        assert_eq!(KeMethod(14).name(), Some("2048-bit MODP Group"));
        assert_eq!(KeMethod::CURVE25519.name(), Some("Curve25519"));
        assert_eq!(KeMethod::ML_KEM_768.0, 36);
        assert_eq!(KeMethod::ML_KEM_1024.0, 37);
        assert_eq!(KeMethod(3).name(), None);
        assert_eq!(format!("{}", KeMethod(40000)), "Private use (40000)");
    }

    #[test]
    fn notify_types() {
        assert_eq!(
            format!("{}", NotifyTypeV2(16388)),
            "NAT_DETECTION_SOURCE_IP (16388)"
        );
        assert_eq!(NotifyTypeV2(14), NotifyTypeV2::NO_PROPOSAL_CHOSEN);
        assert_eq!(NotifyTypeV2(42).name(), Some("USE_ASSIGNED_HoA"));
        assert_eq!(NotifyTypeV2::IKEV2_FRAGMENTATION_SUPPORTED.0, 16430);
        assert_eq!(NotifyTypeV2::INTERMEDIATE_EXCHANGE_SUPPORTED.0, 16438);
        assert_eq!(NotifyTypeV2::SENDER_REQUEST_ID.0, 16429);
        assert_eq!(
            format!("{}", NotifyTypeV2(9000)),
            "Private use (errors) (9000)"
        );
        assert_eq!(
            format!("{}", NotifyTypeV2(50000)),
            "Private use (status) (50000)"
        );
        assert_eq!(format!("{}", NotifyTypeV2(2)), "Unknown (2)");
        assert!(NotifyTypeV2::AUTHENTICATION_FAILED.is_error());
        assert!(!NotifyTypeV2::COOKIE.is_error());
        // Every status type from 16384 up to the last assigned one is named.
        for v in 16384..=16446u16 {
            assert!(NotifyTypeV2(v).name().is_some(), "{v}");
        }
    }

    #[test]
    fn misc() {
        assert_eq!(AuthMethodV2(14).name(), Some("Digital Signature"));
        assert_eq!(AuthMethodV2::SHARED_KEY_MIC.0, 2);
        assert_eq!(TsType(7).name(), Some("TS_IPV4_ADDR_RANGE"));
        assert_eq!(TsType::SECLABEL.0, 10);
        assert_eq!(CfgAttrTypeV2(1).name(), Some("INTERNAL_IP4_ADDRESS"));
        assert_eq!(CfgAttrTypeV2(5).name(), None);
        assert_eq!(CfgAttrTypeV2::P_CSCF_IP6_ADDRESS.0, 21);
        assert_eq!(GatewayIdType::FQDN.0, 3);
        assert_eq!(HashAlgorithm(2).name(), Some("SHA2-256"));
        assert_eq!(HashAlgorithm::IDENTITY.0, 5);
        assert_eq!(ProtocolIdV2(3).name(), Some("ESP"));
        assert_eq!(ProtocolIdV2::NONE.0, 0);
    }

    #[test]
    fn named_tables_are_sorted_and_unique() {
        fn check(t: &[(u16, &str)]) {
            assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        }
        check(EncrId::NAMED);
        check(PrfId::NAMED);
        check(IntegId::NAMED);
        check(KeMethod::NAMED);
        check(NotifyTypeV2::NAMED);
        check(CfgAttrTypeV2::NAMED);
        check(HashAlgorithm::NAMED);
    }
}
