//! Laiyuan County's township-level divisions (8 towns and 9 townships,
//! 县辖 8 镇 9 乡) with a rough share of households each, and synthetic
//! village names. The villages are invented: only the townships are real.

/// Townships with a relative household weight (the county seat is largest).
pub const TOWNSHIPS: [(&str, u32); 17] = [
    ("涞源镇", 30),
    ("银坊镇", 5),
    ("走马驿镇", 6),
    ("水堡镇", 6),
    ("王安镇", 5),
    ("杨家庄镇", 6),
    ("白石山镇", 6),
    ("南屯镇", 5),
    ("北石佛乡", 4),
    ("金家井乡", 3),
    ("留家庄乡", 4),
    ("上庄乡", 3),
    ("东团堡乡", 3),
    ("塔崖驿乡", 3),
    ("乌龙沟乡", 3),
    ("烟煤洞乡", 3),
    ("南马庄乡", 5),
];

/// The county seat, the only township with central heating.
pub const COUNTY_SEAT: usize = 0;

const STEMS: [&str; 24] = [
    "东关", "西关", "南关", "北关", "上庄", "下庄", "石门", "白草", "红旗", "前进", "新村", "柳树",
    "杏树", "大河", "小河", "王家", "李家", "张家", "刘家", "石窝", "北沟", "南沟", "东台", "西台",
];

/// Township names, in order.
pub fn township_names() -> Vec<&'static str> {
    TOWNSHIPS.iter().map(|(n, _)| *n).collect()
}

/// The `k`-th village (or, in the county seat, residential community) of
/// township `t`; each township has 12 of them.
pub fn village(t: usize, k: usize) -> String {
    let stem = STEMS[(t * 5 + k) % STEMS.len()];
    if t == COUNTY_SEAT {
        format!("{stem}社区")
    } else {
        format!("{stem}村")
    }
}

/// Villages per township.
pub const VILLAGES: usize = 12;

/// Picks a township index for `u` uniform in `0..total_weight()`.
pub fn township_at(u: u32) -> usize {
    let mut acc = 0;
    for (i, (_, w)) in TOWNSHIPS.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    TOWNSHIPS.len() - 1
}

/// Sum of the weights.
pub fn total_weight() -> u32 {
    TOWNSHIPS.iter().map(|(_, w)| w).sum()
}
