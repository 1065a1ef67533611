//! IKEv2 (RFC 7296) SAs and exchanges.

pub(crate) mod auth;
pub(crate) mod child;
pub(crate) mod ike_sa;
pub(crate) mod info;
pub(crate) mod payloads;
pub(crate) mod sa_init;
