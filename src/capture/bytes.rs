//! Bounds-checked integer readers shared by the decoders.

/// The `N` bytes at `off`, or `None` if out of bounds.
#[inline]
fn array<const N: usize>(data: &[u8], off: usize) -> Option<[u8; N]> {
    data.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// Reads a big-endian `u16` at `off`, or `None` if out of bounds.
#[inline]
pub(crate) fn be16(data: &[u8], off: usize) -> Option<u16> {
    array(data, off).map(u16::from_be_bytes)
}

/// Reads a big-endian `u32` at `off`, or `None` if out of bounds.
#[inline]
pub(crate) fn be32(data: &[u8], off: usize) -> Option<u32> {
    array(data, off).map(u32::from_be_bytes)
}

/// Reads a little-endian `u32` at `off`, or `None` if out of bounds.
#[inline]
pub(crate) fn le32(data: &[u8], off: usize) -> Option<u32> {
    array(data, off).map(u32::from_le_bytes)
}

/// Reads a `u32` at `off` in the given byte order, or `None` if out of bounds.
#[inline]
pub(crate) fn u32_at(data: &[u8], off: usize, big_endian: bool) -> Option<u32> {
    if big_endian {
        be32(data, off)
    } else {
        le32(data, off)
    }
}

/// Reads a `u16` at `off` in the given byte order, or `None` if out of bounds.
#[inline]
pub(crate) fn u16_at(data: &[u8], off: usize, big_endian: bool) -> Option<u16> {
    if big_endian {
        be16(data, off)
    } else {
        array(data, off).map(u16::from_le_bytes)
    }
}

/// Reads 16 bytes (an IPv6 address) at `off`, or `None` if out of bounds.
#[inline]
pub(crate) fn bytes16(data: &[u8], off: usize) -> Option<[u8; 16]> {
    array(data, off)
}
