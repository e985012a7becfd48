//! 出域审核 (egress review, SANDBOX-RULES.md R5; S-2.5b, S-3.3.4-2): a
//! release request bundles result files, the SQL that produced them and the
//! disclosure-control report. Two independent reviewers approve; any change
//! to the files starts the review again; final states never change; a
//! rejection is appealable to the implementing agency.

use serde::Serialize;

use crate::classification::code_enum;

code_enum! {
    /// State of a release request.
    ReleaseStatus, "release_status" {
        /// Waiting for reviews.
        Submitted => ("submitted", "待审核"),
        /// Approved by two independent reviewers: files may leave.
        Approved => ("approved", "已批准出域"),
        /// Rejected by a reviewer (appealable).
        Rejected => ("rejected", "已驳回"),
        /// Withdrawn by the requester.
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

impl ReleaseStatus {
    /// Whether the state is final.
    pub const fn is_final(self) -> bool {
        !matches!(self, Self::Submitted)
    }
}

/// Approvals needed (two-person rule, R5.2).
pub const APPROVALS_NEEDED: usize = 2;
/// Files per request at most (R5.3).
pub const MAX_FILES: usize = 10;
/// Bytes per file at most (R5.3).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Decimal places a released number may carry (R5.3, anti-steganography).
pub const MAX_DECIMALS: usize = 4;

/// Why a release step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The request is approved, rejected or withdrawn.
    #[error("出域申请已办结（{0}），不能再变更")]
    Final(&'static str),
    /// The reviewer already decided this revision.
    #[error("您已审核过当前版本的文件")]
    AlreadyDecided,
    /// A rejection needs a reason.
    #[error("驳回必须说明理由")]
    ReasonRequired,
    /// Only the requester changes files or withdraws.
    #[error("只有申请人可以修改文件或撤回申请")]
    NotRequester,
    /// A file breaks the file rules.
    #[error("文件“{name}”不符合出域要求：{reason}")]
    File {
        /// File name.
        name: String,
        /// Why.
        reason: String,
    },
    /// No file, or too many.
    #[error("每个出域申请须包含 1 至 {MAX_FILES} 个文件")]
    FileCount,
}

impl EgressError {
    /// Stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Final(_) => "egress.final",
            Self::AlreadyDecided => "egress.already_decided",
            Self::ReasonRequired => "egress.reason_required",
            Self::NotRequester => "egress.not_requester",
            Self::File { .. } => "egress.file_invalid",
            Self::FileCount => "egress.file_count",
        }
    }
}

/// A file offered for release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// Name, ending `.csv` or `.json`.
    pub name: String,
    /// UTF-8 content.
    pub content: String,
}

/// The media type of an allowed file name.
pub fn media_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        Some("text/csv")
    } else if lower.ends_with(".json") {
        Some("application/json")
    } else {
        None
    }
}

/// The longest run of digits after a decimal point in `text`.
pub fn max_decimals(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut best = 0;
    let mut i = 0;
    while i < bytes.len() {
        let after_digit = i > 0 && bytes.get(i - 1).is_some_and(u8::is_ascii_digit);
        if bytes.get(i) == Some(&b'.') && after_digit {
            let run = bytes
                .iter()
                .skip(i + 1)
                .take_while(|b| b.is_ascii_digit())
                .count();
            best = best.max(run);
            i += run;
        }
        i += 1;
    }
    best
}

/// Checks the files of a request (R5.3): count, allowlisted types, size,
/// well-formed JSON, numeric precision.
///
/// # Errors
/// The first broken rule.
pub fn check_files(files: &[ReleaseFile]) -> Result<(), EgressError> {
    if files.is_empty() || files.len() > MAX_FILES {
        return Err(EgressError::FileCount);
    }
    for f in files {
        let bad = |reason: String| EgressError::File {
            name: f.name.clone(),
            reason,
        };
        let name_ok = !f.name.is_empty()
            && f.name.chars().count() <= 100
            && !f.name.contains(['/', '\\'])
            && !f.name.starts_with('.');
        if !name_ok {
            return Err(bad("文件名须为 1 至 100 个字符，不含路径".into()));
        }
        let Some(ty) = media_type(&f.name) else {
            return Err(bad(
                "只允许 CSV 或 JSON 表格文件（不允许日志、计划、中间文件）".into(),
            ));
        };
        if f.content.len() > MAX_FILE_BYTES {
            return Err(bad(format!("超过 {} KiB", MAX_FILE_BYTES / 1024)));
        }
        if ty == "application/json"
            && serde_json::from_str::<serde_json::Value>(&f.content).is_err()
        {
            return Err(bad("不是有效的 JSON".into()));
        }
        let d = max_decimals(&f.content);
        if d > MAX_DECIMALS {
            return Err(bad(format!(
                "数值精度超过 {MAX_DECIMALS} 位小数（发现 {d} 位）"
            )));
        }
    }
    Ok(())
}

/// A reviewer's decision on one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Reviewer user id.
    pub reviewer: String,
    /// Files revision decided.
    pub revision: u32,
    /// Approved (else rejected).
    pub approve: bool,
}

/// The state a decision is taken against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseState {
    /// Current status.
    pub status: ReleaseStatus,
    /// Current files revision (from 1; a change of files adds one).
    pub revision: u32,
    /// Every decision so far.
    pub decisions: Vec<Decision>,
}

impl ReleaseState {
    /// Records `reviewer`'s verdict on the current revision; independence
    /// from the requester is the policies' (SoD) to enforce.
    ///
    /// # Errors
    /// [`EgressError::Final`], [`EgressError::AlreadyDecided`],
    /// [`EgressError::ReasonRequired`].
    pub fn decide(
        &mut self,
        reviewer: &str,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<ReleaseStatus, EgressError> {
        if self.status.is_final() {
            return Err(EgressError::Final(self.status.label_zh()));
        }
        if self
            .decisions
            .iter()
            .any(|d| d.reviewer == reviewer && d.revision == self.revision)
        {
            return Err(EgressError::AlreadyDecided);
        }
        if !approve && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(EgressError::ReasonRequired);
        }
        self.decisions.push(Decision {
            reviewer: reviewer.to_owned(),
            revision: self.revision,
            approve,
        });
        if !approve {
            self.status = ReleaseStatus::Rejected;
        } else if self.approvals() >= APPROVALS_NEEDED {
            self.status = ReleaseStatus::Approved;
        }
        Ok(self.status)
    }

    /// Distinct approvals of the current revision.
    pub fn approvals(&self) -> usize {
        let mut who: Vec<&str> = self
            .decisions
            .iter()
            .filter(|d| d.approve && d.revision == self.revision)
            .map(|d| d.reviewer.as_str())
            .collect();
        who.sort_unstable();
        who.dedup();
        who.len()
    }

    /// New files: approvals of earlier revisions no longer count.
    ///
    /// # Errors
    /// [`EgressError::Final`].
    pub fn replace_files(&mut self) -> Result<u32, EgressError> {
        if self.status.is_final() {
            return Err(EgressError::Final(self.status.label_zh()));
        }
        self.revision += 1;
        Ok(self.revision)
    }

    /// Withdraws the request.
    ///
    /// # Errors
    /// [`EgressError::Final`].
    pub fn withdraw(&mut self) -> Result<(), EgressError> {
        if self.status.is_final() {
            return Err(EgressError::Final(self.status.label_zh()));
        }
        self.status = ReleaseStatus::Withdrawn;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ReleaseState {
        ReleaseState {
            status: ReleaseStatus::Submitted,
            revision: 1,
            decisions: Vec::new(),
        }
    }

    #[test]
    fn two_distinct_approvals_release() {
        let mut s = state();
        assert_eq!(s.decide("r1", true, None), Ok(ReleaseStatus::Submitted));
        assert_eq!(s.decide("r1", true, None), Err(EgressError::AlreadyDecided));
        assert_eq!(s.decide("r2", true, None), Ok(ReleaseStatus::Approved));
        assert!(matches!(
            s.decide("r3", false, Some("x")),
            Err(EgressError::Final(_))
        ));
        assert!(matches!(s.replace_files(), Err(EgressError::Final(_))));
    }

    #[test]
    fn changing_files_resets_approvals() {
        let mut s = state();
        s.decide("r1", true, None).unwrap();
        assert_eq!(s.replace_files(), Ok(2));
        assert_eq!(s.approvals(), 0);
        // r1 may decide the new revision; one approval is not enough.
        assert_eq!(s.decide("r1", true, None), Ok(ReleaseStatus::Submitted));
        assert_eq!(s.decide("r2", true, None), Ok(ReleaseStatus::Approved));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_ends_the_request() {
        let mut s = state();
        assert_eq!(
            s.decide("r1", false, Some("  ")),
            Err(EgressError::ReasonRequired)
        );
        assert_eq!(
            s.decide("r1", false, Some("含个体数据")),
            Ok(ReleaseStatus::Rejected)
        );
        assert!(matches!(s.withdraw(), Err(EgressError::Final(_))));
    }

    #[test]
    fn file_rules() {
        let f = |name: &str, content: &str| ReleaseFile {
            name: name.into(),
            content: content.into(),
        };
        assert_eq!(check_files(&[]), Err(EgressError::FileCount));
        assert!(check_files(&[f("结果.csv", "乡镇,户数\n涞源镇,120\n")]).is_ok());
        assert!(check_files(&[f("r.json", r#"{"avg": 12.3456}"#)]).is_ok());
        for (name, content) in [
            ("run.log", "x"),
            ("plan.txt", "x"),
            ("../r.csv", "a"),
            ("r.json", "{not json"),
            ("r.csv", "a\n0.123456\n"),
        ] {
            let e = check_files(&[f(name, content)]).unwrap_err();
            assert!(matches!(e, EgressError::File { .. }), "{name}: {e:?}");
        }
        let many: Vec<_> = (0..=MAX_FILES)
            .map(|i| f(&format!("{i}.csv"), "a"))
            .collect();
        assert_eq!(check_files(&many), Err(EgressError::FileCount));
        assert_eq!(max_decimals("v1.2, 3.14159, 2026.11"), 5);
        assert_eq!(max_decimals("版本.12 无小数"), 0);
    }
}
