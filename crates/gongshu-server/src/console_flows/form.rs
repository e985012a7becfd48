//! A posted form turned into the use case's JSON input, field by field.
//! Empty required fields, malformed dates and numbers are caught here,
//! with the entries kept, before anything is asked of the use case.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use serde_json::{Map, Value};

use super::spec::{Command, Kind};

/// What the user entered, by field name (several values for lists).
pub(crate) type Entries = HashMap<String, Vec<String>>;

/// A posted form: its entries, the JSON for the use case, field errors.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub entries: Entries,
    pub input: Value,
    /// (field name, Chinese message).
    pub errors: Vec<(String, String)>,
}

/// Splits a list field: one entry per line, or separated by 、，, ;；.
fn split_list(raw: &str) -> Vec<String> {
    raw.split(['\n', '、', '，', ',', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A Beijing wall time (`2026-03-02T09:30` from a `datetime-local`
/// control, or typed with a space, seconds optional) as an RFC 3339 UTC
/// instant.
fn beijing_instant(raw: &str) -> Option<String> {
    let normalised = raw.replacen(' ', "T", 1);
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&normalised, f).ok())?;
    let utc = gongshu_app::local_time::from_shanghai_wall(local)?;
    Some(utc.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Puts `value` at the dotted `name` inside `root`.
fn insert(root: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            root.insert(name.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = root
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Parses the posted pairs against the command's fields. Pairs not named
/// by a field (the CSRF token, the target) are ignored.
pub(crate) fn parse(command: &Command, pairs: &[(String, String)]) -> Parsed {
    let mut out = Parsed::default();
    for (k, v) in pairs {
        out.entries.entry(k.clone()).or_default().push(v.clone());
    }
    let mut root = Map::new();
    for f in command.fields {
        let values: Vec<&str> = out
            .entries
            .get(f.name)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let first = values.first().copied();
        let missing = || format!("请填写“{}”", f.label);
        let value = match f.kind {
            Kind::Check => Some(Value::Bool(first.is_some())),
            Kind::Resources => {
                if values.is_empty() && f.required {
                    out.errors
                        .push((f.name.into(), format!("请至少选择一项“{}”", f.label)));
                    None
                } else {
                    Some(Value::Array(
                        values.iter().map(|s| Value::String((*s).into())).collect(),
                    ))
                }
            }
            Kind::List => {
                let items = first.map(split_list).unwrap_or_default();
                if items.is_empty() && f.required {
                    out.errors.push((f.name.into(), missing()));
                    None
                } else {
                    Some(Value::Array(items.into_iter().map(Value::String).collect()))
                }
            }
            Kind::Date => match first {
                None if f.required => {
                    out.errors.push((f.name.into(), missing()));
                    None
                }
                None => None,
                Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) => Some(Value::String(d.to_string())),
                    Err(_) => {
                        out.errors.push((
                            f.name.into(),
                            format!("“{}”应为日期，格式为 年-月-日，如 2026-03-02", f.label),
                        ));
                        None
                    }
                },
            },
            Kind::DateTime => match first {
                None if f.required => {
                    out.errors.push((f.name.into(), missing()));
                    None
                }
                None => None,
                Some(s) => match beijing_instant(s) {
                    Some(at) => Some(Value::String(at)),
                    None => {
                        out.errors.push((
                            f.name.into(),
                            format!(
                                "“{}”应为北京时间，格式为 年-月-日 时:分，如 2026-03-02 09:30",
                                f.label
                            ),
                        ));
                        None
                    }
                },
            },
            Kind::Number => match first {
                None if f.required => {
                    out.errors.push((f.name.into(), missing()));
                    None
                }
                None => None,
                // Counts, days, scores and seeds: never negative, up to u64.
                Some(s) => match s.parse::<u64>() {
                    Ok(n) => Some(Value::from(n)),
                    Err(_) => {
                        out.errors
                            .push((f.name.into(), format!("“{}”应为非负整数", f.label)));
                        None
                    }
                },
            },
            Kind::Text | Kind::Long | Kind::Choice(_) | Kind::Org(_) | Kind::Agreement => {
                match first {
                    None if f.required => {
                        out.errors.push((f.name.into(), missing()));
                        None
                    }
                    None => None,
                    Some(s) => Some(Value::String(s.into())),
                }
            }
        };
        if let Some(v) = value {
            insert(&mut root, f.name, v);
        }
    }
    out.input = Value::Object(root);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console_flows::spec::{opt, req};

    const FIELDS: &[crate::console_flows::spec::Field] = &[
        req("filed_on", "备案日期", Kind::Date),
        req("receipt_no", "备案回执编号", Kind::Text),
        opt("clauses.term.start", "起始日", Kind::Date),
        opt("days", "天数", Kind::Number),
        opt("urgent", "加急", Kind::Check),
        opt("tags", "标签", Kind::List),
        opt("datasets", "数据", Kind::Resources),
        opt("seen_at", "发现时间", Kind::DateTime),
    ];
    const CMD: Command = Command {
        key: "file",
        label: "备案",
        help: "",
        by: &[],
        roles: &[],
        fields: FIELDS,
    };

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_complete_form_becomes_nested_json() {
        let p = parse(
            &CMD,
            &pairs(&[
                ("csrf", "x"),
                ("filed_on", "2026-03-02"),
                ("receipt_no", " 备-1 "),
                ("clauses.term.start", "2026-04-01"),
                ("days", "15"),
                ("urgent", "on"),
                ("tags", "甲、乙，丙\n丁"),
                ("datasets", "a"),
                ("datasets", "b"),
            ]),
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.input["filed_on"], "2026-03-02");
        assert_eq!(p.input["receipt_no"], "备-1");
        assert_eq!(p.input["clauses"]["term"]["start"], "2026-04-01");
        assert_eq!(p.input["days"], 15);
        assert_eq!(p.input["urgent"], true);
        assert_eq!(p.input["tags"], serde_json::json!(["甲", "乙", "丙", "丁"]));
        assert_eq!(p.input["datasets"], serde_json::json!(["a", "b"]));
        assert!(p.input.get("csrf").is_none());
        assert!(
            p.input.get("seen_at").is_none(),
            "an optional time left empty"
        );
    }

    #[test]
    fn a_beijing_time_becomes_a_utc_instant() {
        let base = [("filed_on", "2026-03-02"), ("receipt_no", "x")];
        for (entered, sent) in [
            ("2026-03-02T09:30", "2026-03-02T01:30:00Z"),
            ("2026-03-02 07:05:09", "2026-03-01T23:05:09Z"),
        ] {
            let mut fields = base.to_vec();
            fields.push(("seen_at", entered));
            let p = parse(&CMD, &pairs(&fields));
            assert!(p.errors.is_empty(), "{entered}: {:?}", p.errors);
            assert_eq!(p.input["seen_at"], sent, "{entered}");
        }
        for bad in ["2026-03-02", "9:30", "2026-02-30T09:00", "2026-03-02T25:00"] {
            let mut fields = base.to_vec();
            fields.push(("seen_at", bad));
            let p = parse(&CMD, &pairs(&fields));
            assert_eq!(p.errors.len(), 1, "{bad}");
            assert!(p.errors[0].1.contains("北京时间"), "{bad}: {:?}", p.errors);
            assert_eq!(p.entries["seen_at"], vec![bad.to_owned()], "kept");
        }
    }

    #[test]
    fn missing_and_malformed_fields_are_named_and_entries_kept() {
        let p = parse(
            &CMD,
            &pairs(&[("filed_on", "3月2日"), ("receipt_no", "  "), ("days", "十")]),
        );
        let fields: Vec<&str> = p.errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, vec!["filed_on", "receipt_no", "days"]);
        assert!(p.errors[2].1.contains("非负整数"));
        assert!(p.errors[0].1.contains("年-月-日"));
        assert!(p.errors[1].1.contains("备案回执编号"));
        assert_eq!(p.entries["filed_on"], vec!["3月2日".to_owned()]);
        assert_eq!(p.input["urgent"], false);
        let p = parse(
            &CMD,
            &pairs(&[
                ("days", "-3"),
                ("filed_on", "2026-03-02"),
                ("receipt_no", "x"),
            ]),
        );
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        let p = parse(
            &CMD,
            &pairs(&[
                ("days", "18446744073709551615"),
                ("filed_on", "2026-03-02"),
                ("receipt_no", "x"),
            ]),
        );
        assert_eq!(p.input["days"], u64::MAX, "a full 64-bit seed");
    }
}
