//! The C ABI: the only place with `unsafe` and `#[no_mangle]`.
//!
//! Conventions (see the README's C API section):
//! * every function and type is prefixed `rike_`, every enum value and
//!   macro `RIKE_`;
//! * one result enum, [`rike_result`], with [`rike_result_str`];
//! * every exported body runs inside a panic boundary; a caught panic
//!   returns `RIKE_RESULT_PANIC` (or NULL / 0 for functions without a
//!   result) and poisons the object it was working on;
//! * every pointer is checked; NULL gives `RIKE_RESULT_NULL_PARAMETER`;
//! * objects are created and freed only by rike (`_new` / `_free`);
//!   out-parameters are written only on success;
//! * nothing here locks: an object is used by one thread at a time.
#![allow(non_camel_case_types)]
#![allow(unsafe_code)]

pub mod config;
pub mod dissect;
pub mod engine;
pub mod result;
pub mod types;
pub mod version;

pub use result::rike_result;

/// Runs `body`, turning a panic into `$on_panic`. The body must not leave
/// shared state half-updated across a panic; objects that could be are
/// poisoned by their own functions.
macro_rules! guard {
    ($on_panic:expr, $body:block) => {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $on_panic,
        }
    };
}
pub(crate) use guard;

/// Checks a pointer argument: returns `RIKE_RESULT_NULL_PARAMETER` from
/// the enclosing function when it is NULL.
macro_rules! nonnull {
    ($p:expr) => {
        if $p.is_null() {
            return $crate::ffi::rike_result::NullParameter;
        }
    };
}
pub(crate) use nonnull;
