//! The zero-copy codec: header, payloads, attributes, registries, emission
//! and transport framing. Knows nothing of crypto or state.

pub mod registry;

pub mod attribute;
pub mod emit;
pub mod error;
pub mod header;
pub mod identity;
pub mod message;
pub mod proposal;
pub(crate) mod reader;
pub mod reemit;
mod substruct;
pub mod transport;
pub mod v1;
pub mod v2;
pub mod validate;

pub use error::{ErrorKind, Mode, WireError};
pub use header::{Flags, Header, IkeVersion, PayloadHeader, Version};
pub use message::{Message, PayloadIter, RawPayload};
pub use validate::{validate, WalkStats};
