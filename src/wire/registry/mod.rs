//! IANA registries used by ISAKMP, IKEv1 and IKEv2, as newtypes with named
//! constants (the `registry!` macro in `macros.rs`). Unknown values survive
//! and re-encode unchanged.

#[macro_use]
mod macros;

pub mod common;
pub mod ikev1;
pub mod ikev2;
pub mod vendor_id;
pub mod wireshark;

pub use common::*;
pub use ikev1::*;
pub use ikev2::*;
pub use vendor_id::*;
