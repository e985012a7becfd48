//! Re-licensing signals (S-3.3.2b: participants use products for their own
//! approved scenario and never re-license them). A key passed on to others
//! shows as calls from many networks, volumes near or past what the
//! scenario needs, or a pattern unlike the scenario's business hours. These
//! are signals for the supervisors to look into, not proof.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

/// Distinct client networks per subscription above which calls look shared.
pub const MAX_NETWORKS: usize = 3;
/// Share of the daily quota (percent) that counts as a high volume.
pub const HIGH_VOLUME_PERCENT: u64 = 80;
/// Calls at least, before the off-hours share is judged.
pub const OFF_HOURS_MIN_CALLS: usize = 10;

/// One delivered call, as the signals need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    /// Subscription used.
    pub subscription: String,
    /// Day in Asia/Shanghai.
    pub day: NaiveDate,
    /// Hour in Asia/Shanghai (0–23).
    pub hour: u32,
    /// Client network (`a.b.c.0/24`, an IPv6 /48), when known.
    pub network: Option<String>,
}

/// What looks wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Calls from more than [`MAX_NETWORKS`] networks.
    ManyNetworks,
    /// A day at or above [`HIGH_VOLUME_PERCENT`] % of the quota.
    HighVolume,
    /// Most calls between 22:00 and 06:00.
    OffHours,
}

/// One signal about one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Subscription.
    pub subscription: String,
    /// Kind.
    pub kind: AlertKind,
    /// Chinese explanation with the numbers.
    pub detail_zh: String,
}

const fn off_hours(hour: u32) -> bool {
    hour >= 22 || hour < 6
}

/// The signals in `calls`; `quota` gives a subscription's daily quota.
pub fn relicensing_alerts(calls: &[CallFact], quota: &dyn Fn(&str) -> u32) -> Vec<Alert> {
    let mut by_sub: BTreeMap<&str, Vec<&CallFact>> = BTreeMap::new();
    for c in calls {
        by_sub.entry(c.subscription.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (sub, calls) in by_sub {
        let alert = |kind, detail_zh: String| Alert {
            subscription: sub.to_owned(),
            kind,
            detail_zh,
        };
        let networks: BTreeSet<&str> = calls.iter().filter_map(|c| c.network.as_deref()).collect();
        if networks.len() > MAX_NETWORKS {
            out.push(alert(
                AlertKind::ManyNetworks,
                format!(
                    "同一订阅的调用来自 {} 个不同网段（超过 {MAX_NETWORKS} 个），疑似密钥转借",
                    networks.len()
                ),
            ));
        }
        let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
        for c in &calls {
            *per_day.entry(c.day).or_default() += 1;
        }
        let limit = u64::from(quota(sub));
        if let Some((day, n)) = per_day
            .iter()
            .max_by_key(|(_, n)| **n)
            .filter(|(_, n)| **n * 100 >= limit * HIGH_VOLUME_PERCENT)
        {
            out.push(alert(
                AlertKind::HighVolume,
                format!("{day} 调用 {n} 次，达到每日上限 {limit} 次的 {HIGH_VOLUME_PERCENT}% 以上，超出场景正常用量"),
            ));
        }
        let night = calls.iter().filter(|c| off_hours(c.hour)).count();
        if calls.len() >= OFF_HOURS_MIN_CALLS && night * 2 > calls.len() {
            out.push(alert(
                AlertKind::OffHours,
                format!(
                    "{} 次调用中有 {night} 次在 22:00 至 06:00 之间，与场景的业务时段不符",
                    calls.len()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn fact(sub: &str, day: u32, hour: u32, net: Option<&str>) -> CallFact {
        CallFact {
            subscription: sub.into(),
            day: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            hour,
            network: net.map(str::to_owned),
        }
    }

    fn kinds(calls: &[CallFact], quota: u32) -> Vec<AlertKind> {
        relicensing_alerts(calls, &|_| quota)
            .into_iter()
            .map(|a| a.kind)
            .collect()
    }

    #[test]
    fn ordinary_use_raises_nothing() {
        let calls: Vec<CallFact> = (0..20)
            .map(|i| {
                fact(
                    "s",
                    2 + i % 5,
                    9 + i % 8,
                    Some(["10.0.0.0/24", "10.0.1.0/24"][i as usize % 2]),
                )
            })
            .collect();
        assert!(kinds(&calls, 100).is_empty());
    }

    #[test]
    fn each_signal_has_its_threshold() {
        let nets = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"];
        let four: Vec<CallFact> = nets.iter().map(|n| fact("s", 2, 10, Some(n))).collect();
        assert_eq!(kinds(&four, 100), [AlertKind::ManyNetworks]);
        assert!(kinds(&four[..3], 100).is_empty(), "three networks are fine");

        let busy: Vec<CallFact> = (0..8).map(|_| fact("s", 2, 10, None)).collect();
        assert_eq!(kinds(&busy, 10), [AlertKind::HighVolume]);
        assert!(
            kinds(&busy[..7], 10).is_empty(),
            "70 % of the quota is fine"
        );

        let night: Vec<CallFact> = (0..10)
            .map(|i| fact("s", 2, if i < 6 { 23 } else { 10 }, None))
            .collect();
        assert_eq!(kinds(&night, 1000), [AlertKind::OffHours]);
        assert!(
            kinds(&night[..9], 1000).is_empty(),
            "too few calls to judge"
        );
    }

    #[test]
    fn subscriptions_are_judged_apart() {
        let mut calls: Vec<CallFact> = (0..4)
            .map(|i| {
                fact(
                    "a",
                    2,
                    10,
                    Some(["1.0.0.0/24", "2.0.0.0/24", "3.0.0.0/24", "4.0.0.0/24"][i]),
                )
            })
            .collect();
        calls.push(fact("b", 2, 10, Some("5.0.0.0/24")));
        let alerts = relicensing_alerts(&calls, &|_| 1000);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].subscription, "a");
    }
}
