//! The `registry!` macro: IANA registries as newtypes with named constants.
//!
//! A registry value is a plain integer newtype, so a number nobody has named
//! yet survives parsing, prints as a number and re-encodes unchanged. The
//! macro also emits `NAMED`, the (value, name) table the dissector catalogue
//! hands to Wireshark as a value-string array, and an optional list of ranges
//! (private use, unassigned …) used when a value has no name of its own.

/// Declares a registry newtype.
///
/// ```ignore
/// registry! {
///     /// doc
///     pub struct ExchangeType(u8);
///     ranges { 240..=255 => "Private use" }
///     IKE_SA_INIT = 34 => "IKE_SA_INIT";
/// }
/// ```
macro_rules! registry {
    // Without a `ranges` block: forward with an empty one. (An optional
    // `$(ranges { .. })?` group would be ambiguous with the constant names,
    // which are identifiers too, so the two forms are two arms.)
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty);
        $( $(#[$cmeta:meta])* $cname:ident = $value:literal => $display:literal; )*
    ) => {
        registry! {
            $(#[$meta])*
            pub struct $name($repr);
            ranges {}
            $( $(#[$cmeta])* $cname = $value => $display; )*
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident($repr:ty);
        ranges { $($lo:literal ..= $hi:literal => $rname:literal),* $(,)? }
        $( $(#[$cmeta:meta])* $cname:ident = $value:literal => $display:literal; )*
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub $repr);

        #[allow(missing_docs)]
        impl $name {
            $( $(#[$cmeta])* pub const $cname: $name = $name($value); )*

            /// Every named value of this registry, in declaration order.
            pub const NAMED: &'static [($repr, &'static str)] = &[ $( ($value, $display), )* ];

            /// Ranges without individual names (private use, unassigned …).
            pub const RANGES: &'static [($repr, $repr, &'static str)] =
                &[ $( ($lo, $hi, $rname), )* ];

            /// The registered name of this value, if it has one.
            pub const fn name(self) -> Option<&'static str> {
                #[allow(unreachable_patterns)]
                match self.0 {
                    $( $value => Some($display), )*
                    _ => None,
                }
            }

            /// The registered name, or the name of the range the value falls in.
            pub fn describe(self) -> Option<&'static str> {
                if let Some(n) = self.name() {
                    return Some(n);
                }
                Self::RANGES
                    .iter()
                    .find(|(lo, hi, _)| *lo <= self.0 && self.0 <= *hi)
                    .map(|(_, _, n)| *n)
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.describe() {
                    Some(n) => write!(f, "{} ({})", n, self.0),
                    None => write!(f, "Unknown ({})", self.0),
                }
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                $name(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> $repr {
                v.0
            }
        }
    };
}

// Modules use the macro through `#[macro_use]`; the path import is for
// `use super::macros::registry;` style callers.
#[allow(unused_imports)]
pub(crate) use registry;
