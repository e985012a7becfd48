//! Typed identifiers (标识) of aggregates.
//!
//! Every id wraps a 128-bit value written as a lower-case hyphenated UUID
//! (`0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b5e`), the same text in JSON, SQL and
//! logs. This module only parses and prints ids; generating them (UUID v7 or
//! a deterministic test generator) is the `IdGen` port's job in the app layer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// Why a text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is not a hyphenated 36-character UUID.
    #[error("an id must be a hyphenated UUID (36 characters), found {found:?}")]
    Malformed {
        /// The rejected text.
        found: String,
    },
}

impl DomainError for IdError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "id.malformed",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Malformed { found } => format!("标识格式错误：{found}（应为 36 位 UUID）"),
        }
    }
}

/// Position of the hyphens in the canonical UUID text.
const HYPHENS: [usize; 4] = [8, 13, 18, 23];

fn parse_uuid_text(raw: &str) -> Result<u128, IdError> {
    let malformed = || IdError::Malformed {
        found: raw.to_owned(),
    };
    if raw.len() != 36 {
        return Err(malformed());
    }
    let mut value: u128 = 0;
    for (index, byte) in raw.bytes().enumerate() {
        if HYPHENS.contains(&index) {
            if byte != b'-' {
                return Err(malformed());
            }
            continue;
        }
        let digit = char::from(byte).to_digit(16).ok_or_else(malformed)?;
        value = (value << 4) | u128::from(digit);
    }
    Ok(value)
}

fn write_uuid_text(value: u128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let hex = format!("{value:032x}");
    let (a, rest) = hex.split_at(8);
    let (b, rest) = rest.split_at(4);
    let (c, rest) = rest.split_at(4);
    let (d, e) = rest.split_at(4);
    write!(f, "{a}-{b}-{c}-{d}-{e}")
}

macro_rules! id_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u128);

        impl $name {
            /// Wraps a raw 128-bit value (for example `Uuid::as_u128()`).
            pub const fn from_u128(value: u128) -> Self {
                Self(value)
            }

            /// The raw 128-bit value.
            pub const fn as_u128(self) -> u128 {
                self.0
            }

            /// Parses the hyphenated UUID text; upper-case hex digits are accepted.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                parse_uuid_text(raw.trim()).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_uuid_text(self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                write_uuid_text(self.0, f)?;
                f.write_str(")")
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_newtype!(
    /// Organisation id (机构标识).
    OrgId
);
id_newtype!(
    /// User id (用户标识): one staff member's account.
    UserId
);
id_newtype!(
    /// API key id (接口密钥标识): names a key, never the secret itself.
    ApiKeyId
);
id_newtype!(
    /// Dataset id (数据集标识).
    DatasetId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_text_and_json() {
        let id = OrgId::from_u128(0x0190_f3d2_8a4e_7c11_9b7e_5f0d_2a3c_4b5e);
        let text = id.to_string();
        assert_eq!(text, "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b5e");
        assert_eq!(OrgId::parse(&text), Ok(id));
        assert_eq!(OrgId::parse(&text.to_uppercase()), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<OrgId>(&json).unwrap(), id);
        assert_eq!(format!("{id:?}"), format!("OrgId({text})"));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "0190f3d28a4e7c119b7e5f0d2a3c4b5e",
            "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b5g",
            "0190f3d2+8a4e-7c11-9b7e-5f0d2a3c4b5e",
            "0190f3d2-8a4e-7c11-9b7e-5f0d2a3c4b5e0",
        ] {
            let err = UserId::parse(bad).unwrap_err();
            assert_eq!(err.code(), "id.malformed");
        }
        assert!(serde_json::from_str::<UserId>("\"nope\"").is_err());
    }

    #[test]
    fn zero_and_max_print_with_full_width() {
        assert_eq!(
            ApiKeyId::from_u128(0).to_string(),
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(
            DatasetId::from_u128(u128::MAX).to_string(),
            "ffffffff-ffff-ffff-ffff-ffffffffffff"
        );
    }
}
