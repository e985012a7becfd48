//! Names typed by people: organisation names (机构名称) and login usernames
//! (用户名).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// Why a text is not an organisation name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgNameError {
    /// Fewer than 2 or more than 100 characters after trimming.
    #[error("an organisation name has 2 to 100 characters, found {found}")]
    WrongLength {
        /// Number of characters after trimming.
        found: usize,
    },
    /// Contains a control character (line break, tab, NUL, ...).
    #[error("an organisation name must not contain control characters")]
    ControlCharacter,
}

impl DomainError for OrgNameError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "org_name.wrong_length",
            Self::ControlCharacter => "org_name.control_character",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongLength { found } => {
                format!("机构名称应为 2 至 100 个字符，实际为 {found} 个")
            }
            Self::ControlCharacter => "机构名称不能包含换行、制表符等控制字符".to_owned(),
        }
    }
}

/// Organisation name (机构名称), e.g. `涞源县数据和政务服务局`.
///
/// INVARIANT: trimmed, 2 to 100 characters (Unicode scalar values), no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgName(String);

impl OrgName {
    /// Minimum length in characters.
    pub const MIN_CHARS: usize = 2;
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses a name; surrounding whitespace (including full-width spaces)
    /// is dropped.
    pub fn parse(raw: &str) -> Result<Self, OrgNameError> {
        let text = raw.trim();
        if text.chars().any(char::is_control) {
            return Err(OrgNameError::ControlCharacter);
        }
        let found = text.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&found) {
            return Err(OrgNameError::WrongLength { found });
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a username.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Fewer than 3 or more than 64 characters.
    #[error("a username has 3 to 64 characters, found {found}")]
    WrongLength {
        /// Number of characters after trimming.
        found: usize,
    },
    /// A character other than a-z, 0-9, `.`, `_` and `-`.
    #[error("a username may contain only a-z, 0-9, '.', '_' and '-', found {character:?}")]
    BadCharacter {
        /// The first offending character.
        character: char,
    },
    /// Starts with `.`, `_` or `-`.
    #[error("a username must start with a letter or a digit")]
    BadFirstCharacter,
}

impl DomainError for UsernameError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "username.wrong_length",
            Self::BadCharacter { .. } => "username.bad_character",
            Self::BadFirstCharacter => "username.bad_first_character",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongLength { found } => {
                format!("用户名应为 3 至 64 个字符，实际为 {found} 个")
            }
            Self::BadCharacter { character } => {
                format!("用户名只能包含小写字母、数字、“.”“_”“-”，不能包含“{character}”")
            }
            Self::BadFirstCharacter => "用户名必须以字母或数字开头".to_owned(),
        }
    }
}

/// Username (用户名) for staff login: ASCII `a-z`, `0-9`, `.`, `_`, `-`.
///
/// INVARIANT: 3 to 64 characters of that set, starting with a letter or digit.
/// Upper-case input is lower-cased, so `Zhang.San` and `zhang.san` are the
/// same account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username(String);

impl Username {
    /// Minimum length in characters.
    pub const MIN_CHARS: usize = 3;
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 64;

    /// Parses a username; surrounding whitespace is dropped and ASCII
    /// upper-case letters are lower-cased.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let text = raw.trim().to_ascii_lowercase();
        if let Some(character) = text.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        }) {
            return Err(UsernameError::BadCharacter { character });
        }
        let found = text.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&found) {
            return Err(UsernameError::WrongLength { found });
        }
        if !text.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::BadFirstCharacter);
        }
        Ok(Self(text))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_value_traits {
    ($name:ident, $error:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = $error;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
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

text_value_traits!(OrgName, OrgNameError);
text_value_traits!(Username, UsernameError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_names_are_trimmed_and_bounded() {
        let name = OrgName::parse("\u{3000} 涞源县数据和政务服务局 ").unwrap();
        assert_eq!(name.as_str(), "涞源县数据和政务服务局");
        assert!(OrgName::parse("交通").is_ok());
        assert!(OrgName::parse(&"数".repeat(100)).is_ok());

        let cases = [
            ("", "org_name.wrong_length"),
            ("  局 ", "org_name.wrong_length"),
            (&"数".repeat(101), "org_name.wrong_length"),
            ("涞源县\n交通运输局", "org_name.control_character"),
        ];
        for (raw, code) in cases {
            assert_eq!(OrgName::parse(raw).unwrap_err().code(), code, "{raw:?}");
        }
    }

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(
            Username::parse(" Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        for ok in ["abc", "li_si-2", "0ops", &"a".repeat(64)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("ab", "username.wrong_length"),
            (&"a".repeat(65), "username.wrong_length"),
            ("zhang san", "username.bad_character"),
            ("张三丰", "username.bad_character"),
            ("a@b.cn", "username.bad_character"),
            (".hidden", "username.bad_first_character"),
            ("-dash", "username.bad_first_character"),
        ];
        for (raw, code) in cases {
            let err = Username::parse(raw).unwrap_err();
            assert_eq!(err.code(), code, "{raw:?}");
            assert!(!err.message_zh().is_empty());
        }
    }

    #[test]
    fn serde_validates_text_values() {
        assert!(serde_json::from_str::<Username>("\"ok_name\"").is_ok());
        assert!(serde_json::from_str::<Username>("\"x\"").is_err());
        assert!(serde_json::from_str::<OrgName>("\"某\"").is_err());
    }
}
