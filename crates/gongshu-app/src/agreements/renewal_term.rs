//! The term of a renewal with copied clauses (S-2.2b): as long as the
//! current term, counted in calendar months when the term is whole months.

use chrono::{Datelike as _, Days, Months, NaiveDate};

/// The last day of a renewal starting on `start` that is as long as the
/// term `from..=to`: the same number of calendar months when the term is
/// whole months (so a 3-year term stays 3 years across leap days), else the
/// same number of days.
pub(super) fn renewed_end(from: NaiveDate, to: NaiveDate, start: NaiveDate) -> Option<NaiveDate> {
    let after = to.checked_add_days(Days::new(1))?;
    let months = (after.year() - from.year()) * 12 + after.month() as i32 - from.month() as i32;
    if let Ok(m) = u32::try_from(months)
        && from.checked_add_months(Months::new(m)) == Some(after)
    {
        return start
            .checked_add_months(Months::new(m))?
            .checked_sub_days(Days::new(1));
    }
    start.checked_add_days(Days::new(u64::try_from((to - from).num_days()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_three_year_term_renews_for_three_years_across_a_leap_day() {
        // 2025-12-01..=2028-11-30 holds 2028-02-29; the renewal must not
        // come out one day longer than 3 years.
        assert_eq!(
            renewed_end(d("2025-12-01"), d("2028-11-30"), d("2028-12-01")),
            Some(d("2031-11-30"))
        );
        assert_eq!(
            renewed_end(d("2026-03-15"), d("2026-09-14"), d("2026-09-15")),
            Some(d("2027-03-14"))
        );
        // Not whole months: the same number of days.
        assert_eq!(
            renewed_end(d("2026-01-10"), d("2026-01-19"), d("2026-01-20")),
            Some(d("2026-01-29"))
        );
    }
}
