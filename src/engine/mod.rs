//! The exchange engine, sans-IO: an [`Endpoint`] takes datagrams and the
//! time, and gives datagrams to send, [`Event`]s and its next deadline.
//! The application owns sockets and clocks (as in quinn-proto); nothing
//! here blocks or reads a clock except through the `now` it is given.
//!
//! IKEv2 (RFC 7296): IKE_SA_INIT with cookies and INVALID_KE_PAYLOAD
//! restarts, IKE_AUTH with pre-shared keys or signatures and
//! certificates, CREATE_CHILD_SA (new Child SAs, rekeying of Child and
//! IKE SAs with collision handling), INFORMATIONAL (delete, liveness),
//! NAT traversal (RFC 7296 §2.23, RFC 3948) and fragmentation (RFC 7383).
//!
//! IKEv1 (RFC 2409), in the same endpoint for peers whose configuration
//! has [`PeerConfig::ikev1`]: Main and Aggressive Mode, Quick Mode,
//! Informational exchanges with DPD (RFC 3706), NAT traversal (RFC 3947),
//! XAUTH and Mode-Config, IKEv1 fragmentation.

pub mod config;
pub(crate) mod ctx;
pub mod endpoint;
pub mod event;
pub mod identity;
pub mod keyexport;
pub mod proposal;
pub(crate) mod timer;
pub(crate) mod v1;
pub(crate) mod v2;

pub use config::{
    ChildConfig, Config, IpsecMode, Limits, LocalAuth, PeerConfig, RemoteAuth, Retransmit,
};
pub use config::{DpdAction, ModeConfigRole, V1Options, XauthRole};
pub use endpoint::{Endpoint, EngineError, Stats};
pub use event::Ikev1KeyRecord;
pub use event::{
    Admission, ChildId, ChildSaInfo, DownReason, Event, IkeKeyRecord, RequestId, SaHandle, Transmit,
};
pub use identity::{Identity, TrafficSelector};
pub use keyexport::ikev1_table_line;
pub use keyexport::{esp_key_log_lines, esp_sa_lines, ikev2_table_line, ExportError};
pub use proposal::{Chosen, ProposalSpec};
