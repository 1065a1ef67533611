//! The one result enum of the C ABI.

use std::ffi::c_char;

/// The outcome of a call. 0 is success; other values are grouped by
/// hundreds: 1xx misuse of the API, 2xx malformed input, 3xx protocol,
/// 4xx crypto, 9xx internal. Numbers are never reused and the enum only
/// grows; protocol outcomes (a refused proposal, a failed authentication)
/// are reported as events, not as results.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_result {
    /// Success.
    Ok = 0,
    /// Nothing more to return (end of a polling loop).
    Done = 1,
    /// A required pointer argument was NULL.
    NullParameter = 100,
    /// An argument is out of its valid range.
    InvalidParameter = 101,
    /// The caller's buffer is too small; the needed size was written to the
    /// length out-parameter.
    InsufficientSize = 102,
    /// The object was already consumed or freed.
    AlreadyUsed = 103,
    /// The call is not valid in the object's current state.
    WrongState = 104,
    /// A callback called back into the same object, or two threads used
    /// one object at the same time.
    Reentrant = 105,
    /// No such IKE SA: never made, or gone (handles are never reused, so
    /// a stale one cannot name a newer SA).
    UnknownSa = 106,
    /// No such Child SA on that IKE SA.
    UnknownChild = 107,
    /// No such pending request (already answered, expired, or for
    /// another SA).
    UnknownRequest = 108,
    /// No peer or Child SA configuration of that name.
    UnknownName = 109,
    /// The input is not a valid message or frame.
    Malformed = 200,
    /// The input was cut short.
    Truncated = 201,
    /// A configured limit was reached (IKE SAs).
    Limit = 300,
    /// A cryptographic object could not be used (unreadable key or
    /// certificate, proposals the provider cannot run).
    Crypto = 400,
    /// Not supported: a signature scheme the key cannot make, an
    /// algorithm without a Wireshark name.
    Unsupported = 401,
    /// A panic was caught inside rike; the object is poisoned.
    Panic = 900,
    /// The object was poisoned by an earlier panic; free it.
    Poisoned = 901,
}

static NAMES: &[(rike_result, &str)] = &[
    (rike_result::Ok, "ok\0"),
    (rike_result::Done, "done: nothing more to return\0"),
    (
        rike_result::NullParameter,
        "a required pointer argument was NULL\0",
    ),
    (
        rike_result::InvalidParameter,
        "an argument is out of its valid range\0",
    ),
    (
        rike_result::InsufficientSize,
        "buffer too small; the needed size was reported\0",
    ),
    (rike_result::AlreadyUsed, "the object was already used\0"),
    (
        rike_result::WrongState,
        "not valid in the object's current state\0",
    ),
    (
        rike_result::Reentrant,
        "re-entrant call from a callback, or concurrent use from two threads\0",
    ),
    (
        rike_result::UnknownSa,
        "no such IKE SA (gone or never made)\0",
    ),
    (
        rike_result::UnknownChild,
        "no such Child SA on that IKE SA\0",
    ),
    (
        rike_result::UnknownRequest,
        "no such pending request (answered, expired or another SA's)\0",
    ),
    (
        rike_result::UnknownName,
        "no peer or Child SA configuration of that name\0",
    ),
    (rike_result::Malformed, "malformed input\0"),
    (rike_result::Truncated, "truncated input\0"),
    (rike_result::Limit, "a configured limit was reached\0"),
    (
        rike_result::Crypto,
        "a key, certificate or algorithm could not be used\0",
    ),
    (rike_result::Unsupported, "not supported\0"),
    (
        rike_result::Panic,
        "internal error (panic caught); object poisoned\0",
    ),
    (
        rike_result::Poisoned,
        "object poisoned by an earlier internal error\0",
    ),
];

/// A static, NUL-terminated English description of a `rike_result` value;
/// never NULL ("unknown result" for a value this library does not define).
/// Takes the value as an integer so that any number C passes is valid.
#[no_mangle]
pub extern "C" fn rike_result_str(result: u32) -> *const c_char {
    NAMES
        .iter()
        .find(|(r, _)| *r as u32 == result)
        .map_or(c"unknown result".as_ptr(), |(_, s)| s.as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_result_has_text() {
        for (r, s) in NAMES {
            assert!(s.ends_with('\0'));
            let c = unsafe { CStr::from_ptr(rike_result_str(*r as u32)) };
            assert_eq!(c.to_str().unwrap(), &s[..s.len() - 1]);
        }
        let c = unsafe { CStr::from_ptr(rike_result_str(12345)) };
        assert_eq!(c.to_str().unwrap(), "unknown result");
    }
}
