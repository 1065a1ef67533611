//! nom plumbing shared by every parser of the codec.
//!
//! Parsers run nom's complete big-endian combinators over a borrowed slice.
//! Errors are converted to [`WireError`] with an offset computed from the
//! slice position, which works because every slice we hand out is a
//! sub-slice of the one buffer the caller gave us.

use nom::error::{ErrorKind as NomKind, ParseError};
use nom::{IResult, Parser};

use super::error::{ErrorKind, WireError};

/// nom error type of the codec: where parsing stopped and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NomErr<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) kind: Option<ErrorKind>,
}

impl<'a> ParseError<&'a [u8]> for NomErr<'a> {
    fn from_error_kind(input: &'a [u8], _kind: NomKind) -> Self {
        NomErr { input, kind: None }
    }
    fn append(_input: &'a [u8], _kind: NomKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, NomErr<'a>>;

/// Offset of `inner` within `base`; 0 if `inner` does not lie inside it.
pub(crate) fn offset_in(base: &[u8], inner: &[u8]) -> usize {
    let b = base.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    if i >= b && i <= b + base.len() {
        i - b
    } else {
        0
    }
}

/// Runs a nom parser over `input` (which lies inside `base`) and converts
/// its failure into a [`WireError`] with an absolute offset.
pub(crate) fn run<'a, T>(
    base: &'a [u8],
    input: &'a [u8],
    mut parser: impl Parser<&'a [u8], Output = T, Error = NomErr<'a>>,
) -> Result<(&'a [u8], T), WireError> {
    match parser.parse(input) {
        Ok(v) => Ok(v),
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
            let off = offset_in(base, e.input);
            let kind = e.kind.unwrap_or(ErrorKind::Truncated {
                needed: 1,
                available: e.input.len(),
            });
            Err(WireError::new(kind, off))
        }
        Err(nom::Err::Incomplete(_)) => Err(WireError::truncated(
            offset_in(base, input),
            input.len() + 1,
            input.len(),
        )),
    }
}

/// Splits `n` bytes off the front of `input`, with a truncation error that
/// names how much was needed.
pub(crate) fn take(n: usize) -> impl Fn(&[u8]) -> PResult<'_, &[u8]> {
    move |i: &[u8]| {
        if i.len() < n {
            Err(nom::Err::Error(NomErr {
                input: i,
                kind: Some(ErrorKind::Truncated {
                    needed: n,
                    available: i.len(),
                }),
            }))
        } else {
            Ok((&i[n..], &i[..n]))
        }
    }
}

/// Reads a fixed-size array.
pub(crate) fn array<const N: usize>(i: &[u8]) -> PResult<'_, [u8; N]> {
    let (rest, bytes) = take(N)(i)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok((rest, out))
}

pub(crate) use nom::number::complete::{be_u16, be_u32, be_u8};
