//! The error type of the capture-reading layer.

use std::fmt;

use super::link::LinkType;

/// Why a capture file could not be read (completely).
///
/// Every variant renders as a single line (no trailing newline) suitable for a
/// CLI diagnostic. Frame iteration stops after the first error; frames yielded
/// before it are valid.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureError {
    /// The input does not start with a pcap or pcapng magic number.
    NotACapture {
        /// The first four bytes read as a big-endian integer, or `None` when the
        /// input is shorter than four bytes.
        magic: Option<u32>,
    },
    /// The file ends in the middle of a header, record or block.
    Truncated {
        /// Byte offset (from the start of the file) of the incomplete item.
        offset: usize,
        /// What was being read, e.g. `"packet record"`.
        what: &'static str,
    },
    /// The file is structurally invalid.
    Corrupt {
        /// Byte offset (from the start of the file) of the offending item.
        offset: usize,
        /// Short description of the problem.
        reason: &'static str,
    },
    /// The capture's link-layer type is not one this crate can decode.
    UnsupportedLinkType(LinkType),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::NotACapture { magic: Some(m) } => write!(
                f,
                "not a pcap or pcapng capture file (unknown magic 0x{m:08x})"
            ),
            CaptureError::NotACapture { magic: None } => write!(
                f,
                "not a pcap or pcapng capture file (input shorter than 4 bytes)"
            ),
            CaptureError::Truncated { offset, what } => write!(
                f,
                "capture file truncated: incomplete {what} at byte offset {offset}"
            ),
            CaptureError::Corrupt { offset, reason } => {
                write!(f, "corrupt capture file at byte offset {offset}: {reason}")
            }
            CaptureError::UnsupportedLinkType(lt) => write!(f, "unsupported link type {lt}"),
        }
    }
}

impl std::error::Error for CaptureError {}
