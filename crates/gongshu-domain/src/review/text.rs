//! Texts typed into joint reviews: reasons, materials, scenario
//! descriptions (审核理由、申请材料) and column names (字段名).

use std::fmt;

use serde::Serialize;

use crate::DomainError;

/// Why a text is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Empty after trimming.
    #[error("the text is empty")]
    Empty,
    /// Longer than allowed.
    #[error("the text has more than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Holds a control character other than a line break or tab (or, for
    /// one-line texts, any control character).
    #[error("the text contains a control character")]
    ControlCharacter,
}

impl DomainError for TextError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "text.empty",
            Self::TooLong { .. } => "text.too_long",
            Self::ControlCharacter => "text.control_character",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Empty => "内容不能为空".to_owned(),
            Self::TooLong { max } => format!("内容不能超过 {max} 个字符"),
            Self::ControlCharacter => "内容不能包含控制字符".to_owned(),
        }
    }
}

/// A free text of a review (理由、说明、材料): trimmed, not empty, bounded,
/// line breaks and tabs allowed, no other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ReviewText(String);

impl ReviewText {
    /// Limit of one-line texts (titles, scenario names).
    pub const SHORT: usize = 200;
    /// Limit of long texts (reasons, purposes, materials).
    pub const LONG: usize = 4000;

    /// Parses a text of at most `max` characters.
    pub fn parse(raw: &str, max: usize) -> Result<Self, TextError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.chars().count() > max {
            return Err(TextError::TooLong { max });
        }
        let multiline = max > Self::SHORT;
        if text
            .chars()
            .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        {
            return Err(TextError::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReviewText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Column name (字段名) of a dataset, as requested in a data demand:
/// 1 to 64 characters, no whitespace or control characters. The vault will
/// later check it exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ColumnName(String);

impl ColumnName {
    /// Maximum length in characters.
    pub const MAX_CHARS: usize = 64;

    /// Parses a column name.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(TextError::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
