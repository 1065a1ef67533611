//! Parse errors and anomalies: a kind and the byte offset where it was found.
//!
//! The same type serves both modes: in strict mode (engine) the first one is
//! returned as an error; in lax mode (dissector) iterators hand recoverable
//! ones out as items and go on, so a caller can list them beside the tree.

use core::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Fewer bytes than a fixed-size field or a declared length needs.
    Truncated {
        /// Bytes needed from the error offset.
        needed: usize,
        /// Bytes available from the error offset.
        available: usize,
    },
    /// A length field is smaller than the fixed part it must cover.
    LengthTooSmall {
        /// The declared length.
        declared: usize,
        /// The smallest valid length.
        minimum: usize,
    },
    /// The ISAKMP header length disagrees with the datagram or frame length.
    MessageLengthMismatch {
        /// Length in the header.
        declared: usize,
        /// Bytes actually present.
        actual: usize,
    },
    /// Major version other than 1 or 2.
    UnsupportedVersion(u8),
    /// Bytes left after the structure that should have ended there.
    TrailingData(usize),
    /// The payload chain ended (no bytes left) but the last next-payload
    /// field was not NONE.
    MissingPayloads,
    /// A substructure's next/last marker has a value not allowed there
    /// (e.g. a proposal's "last substruc" that is neither 0 nor 2).
    BadSubstructMarker(u8),
    /// A count field disagrees with the number of elements present.
    CountMismatch {
        /// Count in the packet.
        declared: usize,
        /// Elements found.
        found: usize,
    },
    /// A value is not valid for its field (e.g. an IPv4 ID of 5 bytes).
    InvalidValue(&'static str),
    /// A payload was found inside an encrypted payload that must be last.
    PayloadAfterEncrypted,
    /// A frame or framing element (non-ESP marker, TCP length) is invalid.
    BadFraming(&'static str),
}

/// An error or anomaly with the offset (from the start of the buffer handed
/// to the parser, usually the ISAKMP header) where it was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WireError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset from the start of the message.
    pub offset: usize,
}

impl WireError {
    /// A new error at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        WireError { kind, offset }
    }

    /// A truncation error: `needed` bytes wanted, `available` present.
    pub const fn truncated(offset: usize, needed: usize, available: usize) -> Self {
        WireError::new(ErrorKind::Truncated { needed, available }, offset)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: need {needed} bytes, {available} present")
            }
            ErrorKind::LengthTooSmall { declared, minimum } => {
                write!(f, "length {declared} is below the minimum {minimum}")
            }
            ErrorKind::MessageLengthMismatch { declared, actual } => write!(
                f,
                "header length {declared} does not match the {actual} bytes received"
            ),
            ErrorKind::UnsupportedVersion(v) => write!(f, "unsupported major version {v}"),
            ErrorKind::TrailingData(n) => write!(f, "{n} bytes of trailing data"),
            ErrorKind::MissingPayloads => {
                write!(f, "payload chain ends before a NONE next-payload")
            }
            ErrorKind::BadSubstructMarker(v) => write!(f, "invalid substructure marker {v}"),
            ErrorKind::CountMismatch { declared, found } => {
                write!(f, "count says {declared}, found {found}")
            }
            ErrorKind::InvalidValue(what) => write!(f, "invalid {what}"),
            ErrorKind::PayloadAfterEncrypted => {
                write!(f, "payload after the encrypted payload, which must be last")
            }
            ErrorKind::BadFraming(what) => write!(f, "bad framing: {what}"),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.kind, self.offset)
    }
}

impl std::error::Error for WireError {}

/// Result of a wire-level parse.
pub type Result<T> = core::result::Result<T, WireError>;

/// Strict for the engine, lax for the dissector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Any violation ends parsing with an error.
    #[default]
    Strict,
    /// Keep what parsed, report the anomaly, continue where the structure
    /// still allows it.
    Lax,
}
