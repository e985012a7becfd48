//! The canonical leaf record (version 1) and its keyed payload commitment.
//!
//! A leaf holds only what must stay forever: when, which retention class,
//! which action, and an HMAC-SHA256 commitment to the payload keyed by a
//! random 32-byte salt kept beside the payload. When retention ends the
//! payload and its salt are deleted together: the leaf still verifies and the
//! deleted content cannot be brute-forced from the commitment.
//!
//! Encoding (pinned by a golden test; never change it, add a v2 instead):
//! ```text
//! gongshu.audit.v1\n
//! at <unix milliseconds, decimal>\n
//! class <retention class code>\n
//! action <action code>\n
//! commit <64 lowercase hex>\n
//! ```

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::hash::Hash;

const MAGIC: &str = "gongshu.audit.v1";

/// Retention class of a record (审计记录保存类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RetentionClass {
    /// Data calls, processing and outputs: kept ≥ 5 years (S-3.3.2c).
    DataAccess,
    /// Workflow and administrative state changes: kept ≥ 5 years.
    Governance,
    /// Network and session logs: kept ≥ 6 months (S-3.3.5).
    Network,
}

impl RetentionClass {
    /// Every class.
    pub const ALL: [Self; 3] = [Self::DataAccess, Self::Governance, Self::Network];

    /// Stable code used in leaves and file names.
    pub fn code(self) -> &'static str {
        match self {
            Self::DataAccess => "data_access",
            Self::Governance => "governance",
            Self::Network => "network",
        }
    }

    /// Parses a stable code.
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Minimum retention in days that configuration may never go below.
    pub fn floor_days(self) -> u32 {
        match self {
            // Five years including leap days.
            Self::DataAccess | Self::Governance => 5 * 365 + 2,
            // Six months, rounded up.
            Self::Network => 184,
        }
    }
}

/// What the leaf says about one audited event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRecord {
    /// When it happened, Unix milliseconds UTC.
    pub occurred_at_ms: i64,
    /// Retention class.
    pub class: RetentionClass,
    /// Stable action code, e.g. `data_demand.approved`.
    pub action: String,
    /// HMAC-SHA256(salt, payload).
    pub commitment: Hash,
}

/// Why a leaf could not be decoded or a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Action codes are lowercase ASCII words joined by dots or underscores.
    #[error("invalid action code {0:?}")]
    BadAction(String),
    /// The leaf bytes are not a v1 record.
    #[error("malformed leaf record: {0}")]
    Malformed(&'static str),
}

/// Checks an action code: 1..=100 of `[a-z0-9_.]`.
pub fn valid_action(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 100
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// HMAC-SHA256 of the payload under the record's salt.
pub fn commit_payload(salt: &[u8; 32], payload: &[u8]) -> Hash {
    // A 32-byte key is always accepted by HMAC; fall back to a plain hash is
    // unreachable but keeps the function total.
    match <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(salt) {
        Ok(mut mac) => {
            mac.update(payload);
            mac.finalize().into_bytes().into()
        }
        Err(_) => crate::hash::sha256(payload),
    }
}

impl LeafRecord {
    /// Canonical bytes of the leaf.
    pub fn encode(&self) -> Result<Vec<u8>, RecordError> {
        if !valid_action(&self.action) {
            return Err(RecordError::BadAction(self.action.clone()));
        }
        let mut hex = String::with_capacity(64);
        for b in self.commitment {
            hex.push_str(&format!("{b:02x}"));
        }
        Ok(format!(
            "{MAGIC}\nat {}\nclass {}\naction {}\ncommit {hex}\n",
            self.occurred_at_ms,
            self.class.code(),
            self.action
        )
        .into_bytes())
    }

    /// Decodes canonical bytes; anything non-canonical is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let text = std::str::from_utf8(bytes).map_err(|_| RecordError::Malformed("not UTF-8"))?;
        let body = text
            .strip_suffix('\n')
            .ok_or(RecordError::Malformed("no final newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(MAGIC) {
            return Err(RecordError::Malformed("unknown record version"));
        }
        let field = |line: Option<&str>, key: &'static str| -> Result<String, RecordError> {
            line.and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or(RecordError::Malformed(key))
        };
        let at = field(lines.next(), "at")?;
        let occurred_at_ms: i64 = at.parse().map_err(|_| RecordError::Malformed("at"))?;
        if occurred_at_ms.to_string() != at {
            return Err(RecordError::Malformed("at is not canonical"));
        }
        let class = RetentionClass::from_code(&field(lines.next(), "class")?)
            .ok_or(RecordError::Malformed("class"))?;
        let action = field(lines.next(), "action")?;
        if !valid_action(&action) {
            return Err(RecordError::BadAction(action));
        }
        let commit = field(lines.next(), "commit")?;
        if commit.len() != 64
            || commit
                .bytes()
                .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(RecordError::Malformed("commit"));
        }
        let mut commitment = [0u8; 32];
        for (i, slot) in commitment.iter_mut().enumerate() {
            let pair = commit
                .get(2 * i..2 * i + 2)
                .ok_or(RecordError::Malformed("commit"))?;
            *slot = u8::from_str_radix(pair, 16).map_err(|_| RecordError::Malformed("commit"))?;
        }
        if lines.next().is_some() {
            return Err(RecordError::Malformed("trailing lines"));
        }
        Ok(Self {
            occurred_at_ms,
            class,
            action,
            commitment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_of_v1() {
        let salt = [7u8; 32];
        let rec = LeafRecord {
            occurred_at_ms: 1_790_000_000_123,
            class: RetentionClass::DataAccess,
            action: "sandbox.query".into(),
            commitment: commit_payload(&salt, b"{\"k\":1}"),
        };
        let bytes = rec.encode().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(
            "gongshu.audit.v1\nat 1790000000123\nclass data_access\naction sandbox.query\ncommit "
        ));
        assert_eq!(text.len(), 17 + 17 + 18 + 21 + 72);
        assert_eq!(LeafRecord::decode(&bytes).unwrap(), rec);
    }

    #[test]
    fn non_canonical_leaves_are_refused() {
        let rec = LeafRecord {
            occurred_at_ms: 5,
            class: RetentionClass::Network,
            action: "session.login".into(),
            commitment: [0xab; 32],
        };
        let good = String::from_utf8(rec.encode().unwrap()).unwrap();
        for bad in [
            good.replace("at 5", "at 05"),
            good.replace("network", "nope"),
            good.replace("session.login", "Session.Login"),
            format!("{good}extra\n"),
            good.trim_end().to_owned(),
            good.replace("commit ab", "commit AB"),
        ] {
            assert!(LeafRecord::decode(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn commitment_depends_on_salt_and_payload() {
        let a = commit_payload(&[1; 32], b"x");
        assert_ne!(a, commit_payload(&[2; 32], b"x"));
        assert_ne!(a, commit_payload(&[1; 32], b"y"));
    }
}
