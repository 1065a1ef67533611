//! Registries shared by ISAKMP/IKEv1 and IKEv2: payload types, exchange
//! types, certificate encodings, identification types and configuration
//! (Mode-Config / CP) message types.
//!
//! Sources: RFC 2407, RFC 2408 §3.1/§3.9, RFC 2409, RFC 3547, RFC 3947,
//! RFC 6407, RFC 7296 §3, RFC 9838 and the IANA registries "ISAKMP Payload
//! Types", "IKEv2 Payload Types", "IKEv2 Exchange Types", "IKEv2
//! Certificate Encodings", "IPSEC Identification Type" and "IKEv2
//! Identification Payload ID Types".

registry! {
    /// Next-payload / payload type of the generic payload header, IKEv1 and
    /// IKEv2 in one number space.
    ///
    /// IKEv1 values 0–22: RFC 2408 §3.1, draft-ietf-ipsec-isakmp-mode-cfg
    /// (14), RFC 3547/RFC 6407 (15–19, 22), RFC 3947 (20–21); IANA "ISAKMP
    /// Payload Types". IKEv2 values 33–54: RFC 7296 §3.2, RFC 6467 (49),
    /// RFC 9838 (50–52), RFC 7383 (53), RFC 8019 (54); IANA "IKEv2 Payload
    /// Types". 130–132 are private-use values seen in the wild: NAT-D and
    /// NAT-OA of draft-ietf-ipsec-nat-t-ike-01..03, and the proprietary
    /// (Cisco/Microsoft) IKEv1 fragment payload.
    pub struct PayloadType(u8);
    ranges {
        23..=32 => "Unassigned",
        55..=127 => "Unassigned",
        128..=255 => "Private use",
    }
    NONE = 0 => "No Next Payload";
    SA = 1 => "Security Association";
    PROPOSAL = 2 => "Proposal";
    TRANSFORM = 3 => "Transform";
    KE = 4 => "Key Exchange";
    ID = 5 => "Identification";
    CERT = 6 => "Certificate";
    CR = 7 => "Certificate Request";
    HASH = 8 => "Hash";
    SIG = 9 => "Signature";
    NONCE = 10 => "Nonce";
    NOTIFICATION = 11 => "Notification";
    DELETE = 12 => "Delete";
    VENDOR_ID = 13 => "Vendor ID";
    ATTRIBUTES = 14 => "Attributes";
    SAK = 15 => "SA KEK Payload";
    SAT = 16 => "SA TEK Payload";
    KD = 17 => "Key Download";
    SEQ = 18 => "Sequence Number";
    POP = 19 => "Proof of Possession";
    NAT_D = 20 => "NAT Discovery";
    NAT_OA = 21 => "NAT Original Address";
    GAP = 22 => "Group Associated Policy";
    V2_SA = 33 => "Security Association";
    V2_KE = 34 => "Key Exchange";
    V2_IDI = 35 => "Identification - Initiator";
    V2_IDR = 36 => "Identification - Responder";
    V2_CERT = 37 => "Certificate";
    V2_CERTREQ = 38 => "Certificate Request";
    V2_AUTH = 39 => "Authentication";
    V2_NONCE = 40 => "Nonce";
    V2_NOTIFY = 41 => "Notify";
    V2_DELETE = 42 => "Delete";
    V2_VENDOR_ID = 43 => "Vendor ID";
    V2_TSI = 44 => "Traffic Selector - Initiator";
    V2_TSR = 45 => "Traffic Selector - Responder";
    V2_SK = 46 => "Encrypted and Authenticated";
    V2_CP = 47 => "Configuration";
    V2_EAP = 48 => "Extensible Authentication";
    V2_GSPM = 49 => "Generic Secure Password Method";
    V2_IDG = 50 => "Group Identification";
    V2_GSA = 51 => "Group Security Association";
    V2_KD = 52 => "Key Download";
    V2_SKF = 53 => "Encrypted and Authenticated Fragment";
    V2_PS = 54 => "Puzzle Solution";
    NAT_D_DRAFT = 130 => "NAT Discovery (draft-ietf-ipsec-nat-t-ike-01..03)";
    NAT_OA_DRAFT = 131 => "NAT Original Address (draft-ietf-ipsec-nat-t-ike-01..03)";
    V1_FRAGMENT = 132 => "IKE Fragment (Cisco/Microsoft)";
}

impl PayloadType {
    /// True for the IKEv2 payload range (33–127), where the critical bit of
    /// the generic header is meaningful.
    pub const fn is_v2(self) -> bool {
        self.0 >= 33 && self.0 <= 127
    }
}

registry! {
    /// Exchange type of the ISAKMP/IKE header, IKEv1 and IKEv2 in one number
    /// space.
    ///
    /// 0–5: RFC 2408 §3.1; 6: draft-ietf-ipsec-isakmp-mode-cfg; 32–33:
    /// RFC 2409 App. A; 34–37: RFC 7296 §3.1; 38: RFC 5723; 39–42:
    /// RFC 9838; 43: RFC 9242; 44: RFC 9370. IANA "IKEv2 Exchange Types"
    /// and ISAKMP "Exchange Types".
    pub struct ExchangeType(u8);
    ranges {
        7..=31 => "ISAKMP future use",
        45..=239 => "Unassigned",
        240..=255 => "Private use",
    }
    NONE = 0 => "NONE";
    BASE = 1 => "Base";
    IDENTITY_PROTECTION = 2 => "Identity Protection (Main Mode)";
    AUTHENTICATION_ONLY = 3 => "Authentication Only";
    AGGRESSIVE = 4 => "Aggressive";
    INFORMATIONAL_V1 = 5 => "Informational";
    TRANSACTION = 6 => "Transaction (Config Mode)";
    QUICK_MODE = 32 => "Quick Mode";
    NEW_GROUP_MODE = 33 => "New Group Mode";
    IKE_SA_INIT = 34 => "IKE_SA_INIT";
    IKE_AUTH = 35 => "IKE_AUTH";
    CREATE_CHILD_SA = 36 => "CREATE_CHILD_SA";
    INFORMATIONAL = 37 => "INFORMATIONAL";
    IKE_SESSION_RESUME = 38 => "IKE_SESSION_RESUME";
    GSA_AUTH = 39 => "GSA_AUTH";
    GSA_REGISTRATION = 40 => "GSA_REGISTRATION";
    GSA_REKEY = 41 => "GSA_REKEY";
    GSA_INBAND_REKEY = 42 => "GSA_INBAND_REKEY";
    IKE_INTERMEDIATE = 43 => "IKE_INTERMEDIATE";
    IKE_FOLLOWUP_KE = 44 => "IKE_FOLLOWUP_KE";
}

/// Aliases for [`ExchangeType`] values better known by another name.
impl ExchangeType {
    /// IKEv1 Main Mode: the ISAKMP Identity Protection exchange.
    pub const MAIN_MODE: ExchangeType = ExchangeType::IDENTITY_PROTECTION;
    /// IKEv1 Config Mode: the ISAKMP Transaction exchange.
    pub const CONFIG_MODE: ExchangeType = ExchangeType::TRANSACTION;
}

registry! {
    /// Certificate encoding of CERT / CR / CERTREQ payloads, IKEv1 and IKEv2.
    ///
    /// 0–10: RFC 2408 §3.9 (5, "X.509 Certificate - Key Exchange", is
    /// IKEv1 only); 11–13: RFC 7296 §3.6 (11 deprecated by RFC 7670);
    /// 14: RFC 4806; 15: RFC 7670. IANA "IKEv2 Certificate Encodings".
    pub struct CertEncoding(u8);
    ranges {
        16..=200 => "Unassigned",
        201..=255 => "Private use",
    }
    NONE = 0 => "NONE";
    PKCS7 = 1 => "PKCS #7 wrapped X.509 certificate";
    PGP = 2 => "PGP Certificate";
    DNS_SIGNED_KEY = 3 => "DNS Signed Key";
    X509_SIGNATURE = 4 => "X.509 Certificate - Signature";
    X509_KEY_EXCHANGE = 5 => "X.509 Certificate - Key Exchange";
    KERBEROS = 6 => "Kerberos Tokens";
    CRL = 7 => "Certificate Revocation List (CRL)";
    ARL = 8 => "Authority Revocation List (ARL)";
    SPKI = 9 => "SPKI Certificate";
    X509_ATTRIBUTE = 10 => "X.509 Certificate - Attribute";
    RAW_RSA_KEY = 11 => "Raw RSA Key (DEPRECATED)";
    HASH_URL_X509 = 12 => "Hash and URL of X.509 certificate";
    HASH_URL_BUNDLE = 13 => "Hash and URL of X.509 bundle";
    OCSP_CONTENT = 14 => "OCSP Content";
    RAW_PUBLIC_KEY = 15 => "Raw Public Key";
}

registry! {
    /// IKEv1 identification type (IPsec DOI), RFC 2407 §4.6.2.1 plus
    /// RFC 3554 (ID_LIST); IANA "IPSEC Identification Type".
    pub struct IdTypeV1(u8);
    ranges {
        13..=248 => "Unassigned",
        249..=255 => "Private use",
    }
    IPV4_ADDR = 1 => "ID_IPV4_ADDR";
    FQDN = 2 => "ID_FQDN";
    USER_FQDN = 3 => "ID_USER_FQDN";
    IPV4_ADDR_SUBNET = 4 => "ID_IPV4_ADDR_SUBNET";
    IPV6_ADDR = 5 => "ID_IPV6_ADDR";
    IPV6_ADDR_SUBNET = 6 => "ID_IPV6_ADDR_SUBNET";
    IPV4_ADDR_RANGE = 7 => "ID_IPV4_ADDR_RANGE";
    IPV6_ADDR_RANGE = 8 => "ID_IPV6_ADDR_RANGE";
    DER_ASN1_DN = 9 => "ID_DER_ASN1_DN";
    DER_ASN1_GN = 10 => "ID_DER_ASN1_GN";
    KEY_ID = 11 => "ID_KEY_ID";
    LIST = 12 => "ID_LIST";
}

registry! {
    /// IKEv2 identification type, RFC 7296 §3.5, RFC 4595 (ID_FC_NAME),
    /// RFC 7619 (ID_NULL); IANA "IKEv2 Identification Payload ID Types".
    pub struct IdTypeV2(u8);
    ranges {
        14..=200 => "Unassigned",
        201..=255 => "Private use",
    }
    IPV4_ADDR = 1 => "ID_IPV4_ADDR";
    FQDN = 2 => "ID_FQDN";
    RFC822_ADDR = 3 => "ID_RFC822_ADDR";
    IPV6_ADDR = 5 => "ID_IPV6_ADDR";
    DER_ASN1_DN = 9 => "ID_DER_ASN1_DN";
    DER_ASN1_GN = 10 => "ID_DER_ASN1_GN";
    KEY_ID = 11 => "ID_KEY_ID";
    FC_NAME = 12 => "ID_FC_NAME";
    NULL = 13 => "ID_NULL";
}

registry! {
    /// Configuration message type: IKEv1 Mode-Config Attributes payload
    /// (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2, ISAKMP_CFG_*) and IKEv2
    /// CP payload (RFC 7296 §3.15; IANA "IKEv2 Configuration Payload CFG
    /// Types").
    pub struct CfgType(u8);
    ranges {
        5..=127 => "Unassigned",
        128..=255 => "Private use",
    }
    CFG_REQUEST = 1 => "CFG_REQUEST";
    CFG_REPLY = 2 => "CFG_REPLY";
    CFG_SET = 3 => "CFG_SET";
    CFG_ACK = 4 => "CFG_ACK";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_types() {
        assert_eq!(PayloadType::SA.0, 1);
        assert_eq!(PayloadType::V2_SK, PayloadType(46));
        assert_eq!(PayloadType(46).name(), Some("Encrypted and Authenticated"));
        assert_eq!(
            PayloadType::V2_SKF.name(),
            Some("Encrypted and Authenticated Fragment")
        );
        assert_eq!(PayloadType(35).name(), Some("Identification - Initiator"));
        assert_eq!(PayloadType(132), PayloadType::V1_FRAGMENT);
        assert_eq!(format!("{}", PayloadType(4)), "Key Exchange (4)");
        assert_eq!(format!("{}", PayloadType(60)), "Unassigned (60)");
        assert_eq!(format!("{}", PayloadType(200)), "Private use (200)");
        assert!(PayloadType::V2_SA.is_v2());
        assert!(!PayloadType::SA.is_v2());
    }

    #[test]
    fn exchange_types() {
        assert_eq!(ExchangeType::MAIN_MODE, ExchangeType(2));
        assert_eq!(ExchangeType(34).name(), Some("IKE_SA_INIT"));
        assert_eq!(ExchangeType::GSA_INBAND_REKEY.0, 42);
        assert_eq!(ExchangeType::IKE_INTERMEDIATE.0, 43);
        assert_eq!(ExchangeType::IKE_FOLLOWUP_KE.0, 44);
        assert_eq!(format!("{}", ExchangeType(250)), "Private use (250)");
        assert_eq!(format!("{:?}", ExchangeType(32)), "Quick Mode(32)");
        assert_eq!(format!("{:?}", ExchangeType(100)), "ExchangeType(100)");
    }

    #[test]
    fn ids_and_certs() {
        assert_eq!(IdTypeV1(12).name(), Some("ID_LIST"));
        assert_eq!(IdTypeV2(3).name(), Some("ID_RFC822_ADDR"));
        assert_eq!(IdTypeV2(4).name(), None);
        assert_eq!(IdTypeV2::NULL.0, 13);
        assert_eq!(
            CertEncoding(4).name(),
            Some("X.509 Certificate - Signature")
        );
        assert_eq!(CertEncoding::RAW_PUBLIC_KEY.0, 15);
        assert_eq!(CfgType::CFG_ACK.0, 4);
        assert_eq!(format!("{}", CfgType(9)), "Unassigned (9)");
    }

    #[test]
    fn unknown_values_survive() {
        let v = PayloadType::from(99u8);
        assert_eq!(u8::from(v), 99);
        assert_eq!(v.name(), None);
    }
}
