//! Version of the library and of its C ABI.

use std::ffi::c_char;

/// The ABI version: incremented whenever a change breaks binary
/// compatibility (a struct layout, a function signature, a removed
/// symbol). Compare `rike_abi_version()` with this macro at startup.
pub const RIKE_ABI_VERSION: u32 = 1;

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version as "major.minor.patch", static and NUL-terminated
/// (never NULL). Equals the `RIKE_VERSION_STRING` macro of the header the
/// caller was built against when library and header match.
#[no_mangle]
pub extern "C" fn rike_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The ABI version of the loaded library; compare with `RIKE_ABI_VERSION`.
#[no_mangle]
pub extern "C" fn rike_abi_version() -> u32 {
    RIKE_ABI_VERSION
}

/// The library version packed as `major << 16 | minor << 8 | patch`,
/// comparable with the `RIKE_VERSION_NUMBER` macro.
#[no_mangle]
pub extern "C" fn rike_version_number() -> u32 {
    let p = |s: &str| s.parse::<u32>().unwrap_or(0);
    (p(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
        | (p(env!("CARGO_PKG_VERSION_MINOR")) << 8)
        | p(env!("CARGO_PKG_VERSION_PATCH"))
}
