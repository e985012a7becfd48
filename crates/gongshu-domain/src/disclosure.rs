//! Output controls on released cells (SANDBOX-RULES.md R4): the entity-level
//! threshold, dominance and p-ratio rules, secondary suppression and
//! rounding. Pure functions over per-row statistics the sandbox computed
//! inside the trusted space; nothing here sees a data value other than
//! counts and magnitudes of a cell.
//!
//! A "row" is one group of an aggregate result: its keys stay visible, its
//! aggregate values are released or suppressed together.

use serde::{Deserialize, Serialize};

/// The floors of R4. The data authority may raise them, never lower them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// Minimum distinct persons per released row (R4.1).
    pub threshold: u64,
    /// Minimum distinct persons when a table holds sensitive personal
    /// information (health, social assistance, minors: R4.1).
    pub sensitive_threshold: u64,
    /// Dominance: the `dominance_n` largest contributors may hold at most
    /// `dominance_k_percent` of a magnitude (R4.2, ACRO n=2, k=90 %).
    pub dominance_n: usize,
    /// See `dominance_n`.
    pub dominance_k_percent: u8,
    /// p-ratio: the remainder after the two largest contributors must be at
    /// least `p_percent` of the largest (R4.2, ACRO p=10 %).
    pub p_percent: u8,
    /// Counts are rounded to a multiple of this after suppression (R4.5).
    pub rounding_base: i64,
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            threshold: 10,
            sensitive_threshold: 20,
            dominance_n: 2,
            dominance_k_percent: 90,
            p_percent: 10,
            rounding_base: 5,
        }
    }
}

impl Controls {
    /// The person threshold that applies.
    pub const fn threshold_for(&self, sensitive_domain: bool) -> u64 {
        if sensitive_domain {
            self.sensitive_threshold
        } else {
            self.threshold
        }
    }
}

/// Why a row's values were withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    /// Fewer distinct persons than the threshold (R4.1).
    Threshold,
    /// A magnitude dominated by its largest contributors (R4.2).
    Dominance,
    /// A magnitude whose largest contributor the second could estimate (R4.2).
    PRatio,
    /// Withheld so a primary suppression cannot be derived from totals (R4.4).
    Secondary,
    /// Differs from a cell released before by fewer persons than the
    /// threshold (R4.6): the difference would single them out.
    Difference,
}

impl Suppression {
    /// Rule id cited in reports and audit records.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::Threshold => "R4.1",
            Self::Dominance | Self::PRatio => "R4.2",
            Self::Secondary => "R4.4",
            Self::Difference => "R4.6",
        }
    }

    /// Chinese explanation for the result page.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Threshold => "涉及人数低于阈值，已抑制",
            Self::Dominance => "少数主体占比过高（优势规则），已抑制",
            Self::PRatio => "最大主体可被推算（p% 规则），已抑制",
            Self::Secondary => "为防止由合计反推被抑制单元，已连带抑制",
            Self::Difference => "与已发布的结果相差人数过少（差分检查），已抑制",
        }
    }
}

/// The contributions to one magnitude (a SUM or AVG of a sensitive value),
/// summed per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Magnitude {
    /// Sum over all persons of their absolute contributions.
    pub total: u128,
    /// The largest per-person absolute contribution.
    pub top1: u128,
    /// The second largest.
    pub top2: u128,
}

impl Magnitude {
    /// Whether the largest contributors dominate (n=2 only: the n of the
    /// default; a larger n is refused by [`Controls`] validation upstream).
    fn dominated(&self, c: &Controls) -> bool {
        if self.total == 0 {
            return false;
        }
        let top = if c.dominance_n <= 1 {
            self.top1
        } else {
            self.top1 + self.top2
        };
        top * 100 > self.total * u128::from(c.dominance_k_percent)
    }

    /// Whether the second contributor could estimate the first to within p %.
    fn p_ratio_fails(&self, c: &Controls) -> bool {
        let rest = self.total.saturating_sub(self.top1 + self.top2);
        self.top1 > 0 && rest * 100 < self.top1 * u128::from(c.p_percent)
    }
}

/// What the sandbox measured for one result row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RowStats {
    /// The row's group keys, rendered as text (for secondary suppression).
    pub keys: Vec<String>,
    /// Distinct persons behind the row.
    pub persons: u64,
    /// Magnitudes of sensitive values released in the row.
    pub magnitudes: Vec<Magnitude>,
    /// The row's persons differ from a cell released before by fewer than
    /// the threshold (see [`too_close`]).
    #[serde(default)]
    pub too_close: bool,
}

/// The primary decision for one row.
pub fn primary(row: &RowStats, controls: &Controls, sensitive_domain: bool) -> Option<Suppression> {
    if row.persons < controls.threshold_for(sensitive_domain) {
        return Some(Suppression::Threshold);
    }
    if row.magnitudes.iter().any(|m| m.dominated(controls)) {
        return Some(Suppression::Dominance);
    }
    if row.magnitudes.iter().any(|m| m.p_ratio_fails(controls)) {
        return Some(Suppression::PRatio);
    }
    if row.too_close {
        return Some(Suppression::Difference);
    }
    None
}

/// Size of the symmetric difference of two sorted, duplicate-free sets.
pub fn symmetric_difference(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    a.len() + b.len() - 2 * common
}

/// Whether a new cell's persons `new` differ from a released cell's `old`
/// by at least one and fewer than `threshold` persons (R4.6): releasing
/// both would describe that handful. Equal sets reveal nothing new.
pub fn too_close(new: &[u64], old: &[u64], threshold: u64) -> bool {
    let d = symmetric_difference(new, old) as u64;
    d > 0 && d < threshold
}

/// Decides every row: primary rules, then secondary suppression.
///
/// Secondary rule (R4.4): a "line" is the set of rows that agree on all
/// keys but one (for a one-key or keyless result, the whole table). In every
/// line, a suppressed row must not stand alone and the suppressed rows
/// together must cover at least `threshold` persons, or else their total
/// could be recovered from the line's total; the smallest released row of
/// the line is suppressed until both hold or nothing is left to release.
pub fn decide(
    rows: &[RowStats],
    controls: &Controls,
    sensitive_domain: bool,
) -> Vec<Option<Suppression>> {
    let mut out: Vec<Option<Suppression>> = rows
        .iter()
        .map(|r| primary(r, controls, sensitive_domain))
        .collect();
    let threshold = controls.threshold_for(sensitive_domain);
    let width = rows.iter().map(|r| r.keys.len()).max().unwrap_or(0);
    // Repeat until stable: a suppression in one line can break another.
    loop {
        let mut changed = false;
        for dim in 0..width.max(1) {
            for line in lines(rows, dim) {
                changed |= protect_line(&line, rows, &mut out, threshold);
            }
        }
        if !changed {
            return out;
        }
    }
}

/// Row indices grouped by every key except key `dim`.
fn lines(rows: &[RowStats], dim: usize) -> Vec<Vec<usize>> {
    let mut groups: std::collections::BTreeMap<Vec<&str>, Vec<usize>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        let rest: Vec<&str> = r
            .keys
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != dim)
            .map(|(_, v)| v.as_str())
            .collect();
        groups.entry(rest).or_default().push(i);
    }
    groups.into_values().collect()
}

fn protect_line(
    line: &[usize],
    rows: &[RowStats],
    out: &mut [Option<Suppression>],
    threshold: u64,
) -> bool {
    let mut changed = false;
    loop {
        let suppressed: Vec<usize> = line.iter().copied().filter(|&i| is_set(out, i)).collect();
        if suppressed.is_empty() {
            return changed;
        }
        let covered: u64 = suppressed
            .iter()
            .filter_map(|&i| rows.get(i))
            .map(|r| r.persons)
            .sum();
        if suppressed.len() >= 2 && covered >= threshold {
            return changed;
        }
        let next = line
            .iter()
            .copied()
            .filter(|&i| !is_set(out, i))
            .min_by_key(|&i| rows.get(i).map_or(0, |r| r.persons));
        let Some(next) = next else {
            return changed;
        };
        if let Some(slot) = out.get_mut(next) {
            *slot = Some(Suppression::Secondary);
            changed = true;
        }
    }
}

fn is_set(out: &[Option<Suppression>], i: usize) -> bool {
    out.get(i).is_some_and(Option::is_some)
}

/// Rounds a count to the nearest multiple of `base`, halves up (R4.5).
/// A base below 2 leaves the count as it is.
pub fn round_count(n: i64, base: i64) -> i64 {
    if base < 2 {
        return n;
    }
    let r = n.rem_euclid(base);
    let down = n - r;
    if r * 2 >= base {
        down.saturating_add(base)
    } else {
        down
    }
}

#[cfg(test)]
#[path = "disclosure_tests.rs"]
mod tests;
