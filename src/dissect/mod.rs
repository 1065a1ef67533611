//! The dissection model behind the CLI and the Wireshark plugin: a static
//! field catalogue and, per buffer, a flat pre-order list of records plus
//! expert infos. All protocol knowledge stays here; renderers and the C
//! plugin only walk records.

mod catalogue;
pub mod decrypt;
pub mod keys;
mod record;
mod state;
mod value;
mod walk;

pub use catalogue::{
    integrity_status, Base, Expert, ExpertDesc, Field, FieldDesc, FieldKind, Group, Severity,
    ValueNames, CATALOGUE, EXPERTS,
};
pub use record::{Dissection, ExpertRecord, Record, Source};
pub use state::{CaptureState, PduInfo};
pub use value::{display, hex, value_of, Value};
pub use walk::{dissect, dissect_captured, dissect_with, Carrier};
