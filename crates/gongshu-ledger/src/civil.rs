//! UTC calendar days for grouping payloads, without a date crate: the
//! ledger must stay dependency-light. Uses the proleptic Gregorian
//! days-from-civil conversion (H. Hinnant's public-domain algorithm).

/// Milliseconds per day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// `yyyymmdd` of the UTC day containing `unix_ms`.
pub fn day_of(unix_ms: i64) -> u32 {
    let days = unix_ms.div_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    y * 10_000 + m * 100 + d
}

/// Days since 1970-01-01 of a `yyyymmdd` day.
pub fn days_of(day: u32) -> i64 {
    let y = i64::from(day / 10_000);
    let m = i64::from(day / 100 % 100);
    let d = i64::from(day % 100);
    days_from_civil(y, m, d)
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(day_of(0), 19700101);
        assert_eq!(day_of(-1), 19691231);
        // 2026-11-27T12:00:00Z
        assert_eq!(day_of(1_795_780_800_000), 20261127);
        assert_eq!(day_of(951_782_400_000), 20000229);
        for d in [19700101, 20000229, 20261127, 20991231] {
            assert_eq!(day_of(days_of(d) * MS_PER_DAY), d);
        }
    }
}
