//! rike: ISAKMP / IKEv1 / IKEv2 for Rust and C.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod capture;
pub mod crypto;
pub mod dissect;
pub mod engine;
pub mod ffi;
pub mod hex;
pub mod wire;
