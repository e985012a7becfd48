//! 数据分类分级 (REQUIREMENTS.md §7) and the sandbox column classes
//! (SANDBOX-RULES.md R2): every column of a catalog resource carries a grade
//! (核心 / 重要 / 一般 with the four sensitivity sub-levels of general data),
//! a personal-information flag (个人信息 / 敏感个人信息, §7.2) and a sandbox
//! class (`direct_id`, `quasi_id`, `sensitive`, `public`).
//!
//! [`column_class`] is the one function the sandbox asks for a column's
//! class. It fails closed: a column that is not declared, or declared
//! without a class, has no class, and the sandbox must refuse any use of it.

use serde::{Deserialize, Serialize};

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $v:ident => ($code:literal, $zh:literal),)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v,)+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$v,)+];
            /// Stable code, as stored and on the wire.
            pub const fn as_str(self) -> &'static str { match self { $(Self::$v => $code,)+ } }
            /// Chinese label.
            pub const fn label_zh(self) -> &'static str { match self { $(Self::$v => $zh,)+ } }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::org::CodeError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
                    .ok_or_else(|| $crate::org::CodeError { kind: $kind, found: raw.to_owned() })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <String as ::serde::Deserialize>::deserialize(d)?;
                raw.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Grade of a column (数据分级, §7.1), ordered from the lowest to the
    /// highest; the grade of a resource is the highest of its columns (就高从严).
    Grade, "grade" {
        /// 一般数据 1级 (非敏感).
        General1 => ("general_1", "一般数据（1级 非敏感）"),
        /// 一般数据 2级 (低敏感).
        General2 => ("general_2", "一般数据（2级 低敏感）"),
        /// 一般数据 3级 (中敏感).
        General3 => ("general_3", "一般数据（3级 中敏感）"),
        /// 一般数据 4级 (高敏感).
        General4 => ("general_4", "一般数据（4级 高敏感）"),
        /// 重要数据.
        Important => ("important", "重要数据"),
        /// 核心数据.
        Core => ("core", "核心数据"),
    }
}

code_enum! {
    /// Personal-information flag of a column (§7.2, 个人信息保护法).
    PersonalInfo, "personal_info" {
        /// Not personal information.
        None => ("none", "非个人信息"),
        /// 个人信息.
        Personal => ("personal", "个人信息"),
        /// 敏感个人信息 (biometrics, health, financial accounts, location, minors…).
        SensitivePersonal => ("sensitive_personal", "敏感个人信息"),
    }
}

code_enum! {
    /// Sandbox class of a column (SANDBOX-RULES.md R2).
    SandboxClass, "sandbox_class" {
        /// Names, ID numbers, phone numbers, account numbers: keyed pseudonym joins only.
        DirectId => ("direct_id", "直接标识符"),
        /// Township, village, age, dates: generalised grouping only.
        QuasiId => ("quasi_id", "准标识符"),
        /// Amounts, consumption, health: bounded aggregates only.
        Sensitive => ("sensitive", "敏感值"),
        /// Anything.
        Public => ("public", "公开"),
    }
}

/// Classification of one column; `None` fields are not classified yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnClassification {
    /// Column name as in the dataset.
    pub name: String,
    /// Description (数据项说明).
    #[serde(default)]
    pub description: String,
    /// Grade (分级).
    pub grade: Option<Grade>,
    /// Personal-information flag.
    pub personal_info: Option<PersonalInfo>,
    /// Sandbox class.
    pub sandbox_class: Option<SandboxClass>,
    /// Storage type; a column needs one before data can be loaded.
    #[serde(default)]
    pub data_type: Option<crate::dataset::ColumnType>,
    /// Whether an empty field is a malformed row (必填).
    #[serde(default)]
    pub required: bool,
    /// Validity rule checked on every load (quality, not rejection).
    #[serde(default)]
    pub validity: Option<crate::dataset::ValidityRule>,
    /// Consistency reference `<resource id>.<column>`: every value should
    /// occur in that column of the referenced resource's current data.
    #[serde(default)]
    pub references: Option<String>,
    /// The rows the column applies to when not all do (适用范围, e.g. 仅企业户):
    /// empty fields elsewhere are expected, so completeness does not alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_for: Option<String>,
}

impl ColumnClassification {
    /// Whether grade, personal-information flag and sandbox class are all set.
    pub const fn is_classified(&self) -> bool {
        self.grade.is_some() && self.personal_info.is_some() && self.sandbox_class.is_some()
    }
}

/// The sandbox class of column `name` among `columns`, or `None` when the
/// column is undeclared or unclassified: the caller must then refuse any
/// use of the column (fail closed, SANDBOX-RULES.md R1.3).
pub fn column_class(columns: &[ColumnClassification], name: &str) -> Option<SandboxClass> {
    columns
        .iter()
        .find(|c| c.name == name)
        .filter(|c| c.is_classified())
        .and_then(|c| c.sandbox_class)
}

/// The highest grade among classified columns (就高从严, §7.1).
pub fn resource_grade(columns: &[ColumnClassification]) -> Option<Grade> {
    columns.iter().filter_map(|c| c.grade).max()
}

/// Names of the columns not fully classified, in order.
pub fn unclassified(columns: &[ColumnClassification]) -> Vec<&str> {
    columns
        .iter()
        .filter(|c| !c.is_classified())
        .map(|c| c.name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, class: Option<SandboxClass>) -> ColumnClassification {
        ColumnClassification {
            name: name.into(),
            description: String::new(),
            grade: Some(Grade::General2),
            personal_info: Some(PersonalInfo::None),
            sandbox_class: class,
            data_type: None,
            required: false,
            validity: None,
            references: None,
            only_for: None,
        }
    }

    #[test]
    fn column_class_fails_closed() {
        let mut cols = vec![
            col("id_no", Some(SandboxClass::DirectId)),
            col("amount", None),
        ];
        assert_eq!(column_class(&cols, "id_no"), Some(SandboxClass::DirectId));
        assert_eq!(column_class(&cols, "amount"), None);
        assert_eq!(column_class(&cols, "missing"), None);
        cols[0].grade = None;
        assert_eq!(column_class(&cols, "id_no"), None, "no grade, no class");
        assert_eq!(unclassified(&cols), vec!["id_no", "amount"]);
    }

    #[test]
    fn grades_order_and_codes_round_trip() {
        let cols = vec![col("a", None), {
            let mut c = col("b", None);
            c.grade = Some(Grade::Core);
            c
        }];
        assert_eq!(resource_grade(&cols), Some(Grade::Core));
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>().unwrap(), *g);
        }
        assert!("secret".parse::<Grade>().is_err());
        let json = serde_json::to_string(&SandboxClass::QuasiId).unwrap();
        assert_eq!(json, r#""quasi_id""#);
    }
}
