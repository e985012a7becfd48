//! Parties and roles: who an organisation is ([`OrgKind`], with its
//! [`Sector`] for sector regulators) and what a person may do inside it
//! ([`Role`]).
//!
//! The two are kept apart on purpose (STYLE.md §3.2): an organisation's kind
//! never changes with the people in it, and a role means nothing without the
//! organisation it is held in. Codes (`as_str`) are stable and are what SQL,
//! JSON and Cedar policies store; Chinese labels come only from `label_zh`.
//! Every code and label is listed in `docs/glossary.md` (checked by a test).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// A text that is not the code of any variant of a closed enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} code {found:?}")]
pub struct CodeError {
    /// Which enum was parsed (`"org_kind"`, `"role"`, `"sector"`).
    pub kind: &'static str,
    /// The rejected text.
    pub found: String,
}

impl DomainError for CodeError {
    fn code(&self) -> &'static str {
        "code.unknown"
    }

    fn message_zh(&self) -> String {
        format!("未知的{}代码：{}", self.kind, self.found)
    }
}

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident => ($code:literal, $label:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// Stable snake_case code, as stored in SQL, JSON and policies.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// Chinese label for the console and documents.
            pub const fn label_zh(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CodeError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err(CodeError { kind: $kind, found: raw.to_owned() }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

coded_enum! {
    /// Organisation kind (机构类型): the part an organisation plays in the
    /// scheme (DESIGN.md §1; S-3.1).
    ///
    /// The general public (社会公众) has no organisation and no login, so it
    /// is not a kind.
    OrgKind, "org_kind" {
        /// Implementing agency (实施机构), the county public data authority
        /// that runs the scheme: selects the operator, signs the agreement,
        /// reviews, handles appeals, discloses.
        ImplementingAgency => ("implementing_agency", "实施机构"),
        /// County data bureau (数据管理部门): supervises, approves demand,
        /// inspects the audit log. A separate kind so that duties can be split
        /// even when it is the same bureau as the implementing agency.
        DataBureau => ("data_bureau", "数据管理部门"),
        /// Operator (运营机构): the one licensed legal entity (S-2.1).
        Operator => ("operator", "运营机构"),
        /// Participant (二级市场主体): an admitted secondary-market developer.
        Participant => ("participant", "二级市场主体"),
        /// Data source unit (数源单位): an agency or utility that holds data.
        DataSourceUnit => ("data_source_unit", "数源单位"),
        /// Sector regulator (行业主管部门); its sector is a [`Sector`].
        SectorRegulator => ("sector_regulator", "行业主管部门"),
        /// Finance bureau (财政部门): data assets and revenue-sharing oversight.
        FinanceBureau => ("finance_bureau", "财政部门"),
        /// Pricing authority (发展改革部门): sets the government-guided price.
        PricingAuthority => ("pricing_authority", "发展改革部门"),
        /// Security regulator (安全监管部门: 网信、公安、国安、保密).
        SecurityRegulator => ("security_regulator", "安全监管部门"),
        /// Platform operations (平台运维): runs the software, sees no data and
        /// approves nothing.
        PlatformAdmin => ("platform_admin", "平台运维"),
    }
}

impl OrgKind {
    /// Whether an organisation of this kind must name its [`Sector`].
    pub const fn requires_sector(self) -> bool {
        matches!(self, Self::SectorRegulator)
    }
}

coded_enum! {
    /// Sector (行业) of a sector regulator (DESIGN.md §1; S-4a, S-6.3).
    Sector, "sector" {
        /// Transport (交通).
        Transport => ("transport", "交通"),
        /// Health (卫健).
        Health => ("health", "卫健"),
        /// Education (教育).
        Education => ("education", "教育"),
        /// Finance: banking, insurance, securities (金融). Not public finance
        /// (财政), which is [`OrgKind::FinanceBureau`].
        Finance => ("finance", "金融"),
        /// Public utilities: water, gas, heat, power (公用事业; S-2.3).
        Utilities => ("utilities", "公用事业"),
        /// Market regulation (市场监管).
        MarketRegulation => ("market_regulation", "市场监管"),
        /// Human resources and social security (人社).
        SocialSecurity => ("social_security", "人社"),
        /// Any other sector (其他).
        Other => ("other", "其他"),
    }
}

coded_enum! {
    /// Role (岗位角色): what a person may do inside their organisation.
    Role, "role" {
        /// Case officer (经办人): prepares and submits.
        CaseOfficer => ("case_officer", "经办人"),
        /// Reviewer (审核人): examines and gives a review opinion.
        Reviewer => ("reviewer", "审核人"),
        /// Approver (审批人): takes the final decision.
        Approver => ("approver", "审批人"),
        /// Administrator (管理员) of the organisation's users and keys.
        Admin => ("admin", "管理员"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/glossary.md` is the single source of truth for terms (STYLE.md §3.2).
    const GLOSSARY: &str = include_str!("../../../docs/glossary.md");

    fn assert_in_glossary(code: &str, label: &str) {
        assert!(
            GLOSSARY.contains(&format!("`{code}`")),
            "glossary lacks the code `{code}`"
        );
        assert!(GLOSSARY.contains(label), "glossary lacks the label {label}");
    }

    #[test]
    fn every_org_kind_role_and_sector_is_in_the_glossary() {
        for kind in OrgKind::ALL {
            assert_in_glossary(kind.as_str(), kind.label_zh());
        }
        for role in Role::ALL {
            assert_in_glossary(role.as_str(), role.label_zh());
        }
        for sector in Sector::ALL {
            assert_in_glossary(sector.as_str(), sector.label_zh());
        }
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        fn check<T>(all: &[T])
        where
            T: Copy + Eq + fmt::Debug + fmt::Display + FromStr<Err = CodeError>,
        {
            let mut seen = std::collections::BTreeSet::new();
            for value in all {
                let code = value.to_string();
                assert!(seen.insert(code.clone()), "duplicate code {code}");
                assert_eq!(code.parse::<T>().unwrap(), *value);
                assert!(
                    code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{code} is not snake_case"
                );
            }
        }
        check(OrgKind::ALL);
        check(Role::ALL);
        check(Sector::ALL);
    }

    #[test]
    fn serde_uses_the_codes() {
        let json =
            serde_json::to_string(&[OrgKind::DataSourceUnit, OrgKind::PlatformAdmin]).unwrap();
        assert_eq!(json, r#"["data_source_unit","platform_admin"]"#);
        assert_eq!(
            serde_json::from_str::<Role>(r#""case_officer""#).unwrap(),
            Role::CaseOfficer
        );
        assert_eq!(
            serde_json::from_str::<Sector>(r#""market_regulation""#).unwrap(),
            Sector::MarketRegulation
        );
        assert!(serde_json::from_str::<Role>(r#""CaseOfficer""#).is_err());
    }

    #[test]
    fn unknown_codes_are_rejected_with_a_stable_code() {
        let err = "authority".parse::<OrgKind>().unwrap_err();
        assert_eq!(err.code(), "code.unknown");
        assert_eq!(err.kind, "org_kind");
        assert!(err.message_zh().contains("authority"));
    }

    #[test]
    fn only_sector_regulators_require_a_sector() {
        let requiring: Vec<_> = OrgKind::ALL
            .iter()
            .filter(|kind| kind.requires_sector())
            .collect();
        assert_eq!(requiring, [&OrgKind::SectorRegulator]);
    }
}
