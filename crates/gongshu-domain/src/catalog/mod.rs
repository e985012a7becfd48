//! 数据资源目录与登记: catalog entries of public data resources with the
//! fields of REQUIREMENTS.md Part B §6.1 (and the 政务数据目录 fields of
//! `[共享]` Art. 13-15), their column classification (§7, see
//! [`crate::classification`]) and the registration (登记) state machine of
//! §4.6 with the time limits of §3.1 N3-N9 (`registration`).
//!
//! Parsing checks every field and reports all problems at once as
//! [`FieldIssue`]s (English code, Chinese message naming the rule).

mod entry;
mod registration;
#[cfg(test)]
mod tests;

pub use entry::*;
pub use registration::*;

/// Longest short text (names, units, regions), in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Longest long text (use conditions, descriptions), in characters.
pub const MAX_LONG_CHARS: usize = 5_000;
/// Most columns (data items) of one resource.
pub const MAX_COLUMNS: usize = 2_000;
