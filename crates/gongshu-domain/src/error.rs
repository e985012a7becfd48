//! The common face of every domain error: a stable code for machines and a
//! zh-CN message for people.
//!
//! Each error enum of this crate implements [`DomainError`]. The web layer
//! puts `code()` into the wire body's `code` field (clients branch on it) and
//! `message_zh()` into the console. Codes are stable: never rename one.

/// An error with a stable English code and a Chinese message (错误码与中文提示).
pub trait DomainError: std::error::Error {
    /// Stable, dotted snake_case code, e.g. `"credit_code.bad_check_character"`.
    fn code(&self) -> &'static str;

    /// Message for people, in zh-CN.
    fn message_zh(&self) -> String;
}
