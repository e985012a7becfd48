//! The 14 qualification items of an operator candidate: 4 basic
//! qualifications (S-3.2.1) and 10 technical and security requirements
//! (S-3.2.2), each recorded as met or not met with an evidence attachment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{MAX_SHORT_CHARS, SelectionError, coded, text};

coded! {
    /// A qualification item (资格条件) of an operator candidate.
    QualificationItem, "qualification_item" {
        /// S-3.2.1 (1): PRC-registered enterprise legal person with a
        /// Chinese-national legal representative and controller.
        LegalPerson => ("basic_legal_person", "在中华人民共和国境内依法注册的企业法人，法定代表人和实际控制人为中国国籍"),
        /// S-3.2.1 (2): sound finances.
        SoundFinances => ("basic_sound_finances", "财务状况良好"),
        /// S-3.2.1 (3): no serious violations or blacklistings.
        NoViolations => ("basic_no_violations", "无重大违法违规记录，未被列入失信名单或黑名单"),
        /// S-3.2.1 (4): office, team and technical capacity with
        /// experienced core members.
        Capacity => ("basic_office_team_capacity", "具备办公场所、专业团队和技术能力，核心成员经验丰富"),
        /// S-3.2.2 (1): knows the rules.
        KnowsRules => ("tech_knows_rules", "熟悉公共数据授权运营相关法律法规和政策"),
        /// S-3.2.2 (2): data-processing experience.
        DataExperience => ("tech_data_experience", "具备数据加工处理经验"),
        /// S-3.2.2 (3): named data-security officer and department with
        /// internal controls.
        SecurityOfficer => ("tech_security_officer", "明确数据安全负责人和管理部门，建立内部管理制度"),
        /// S-3.2.2 (4): 等保 level-3 system experience and government-network access.
        Level3 => ("tech_level3_and_gov_network", "具备等保三级系统建设运维经验和政务网络接入条件"),
        /// S-3.2.2 (5): no security incident in the last 3 years.
        NoIncident => ("tech_no_incident_3y", "近三年未发生网络安全、数据安全或个人信息安全事件"),
        /// S-3.2.2 (6): digital system building.
        DigitalSystems => ("tech_digital_systems", "具备数字化系统建设能力"),
        /// S-3.2.2 (7): partner management.
        PartnerManagement => ("tech_partner_management", "具备合作方管理能力"),
        /// S-3.2.2 (8): innovation.
        Innovation => ("tech_innovation", "具备创新能力"),
        /// S-3.2.2 (9): responsiveness to supervision.
        Supervision => ("tech_supervision_response", "及时响应并配合监管"),
        /// S-3.2.2 (10): other requirements.
        Other => ("tech_other", "其他技术与安全要求"),
    }
}

/// Which rule an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleGroup {
    /// Basic qualifications (S-3.2.1).
    Basic,
    /// Technical and security requirements (S-3.2.2).
    Technical,
}

impl QualificationItem {
    /// The rule group.
    pub const fn group(self) -> RuleGroup {
        match self {
            Self::LegalPerson | Self::SoundFinances | Self::NoViolations | Self::Capacity => {
                RuleGroup::Basic
            }
            _ => RuleGroup::Technical,
        }
    }

    /// The rule id.
    pub const fn rule(self) -> &'static str {
        match self.group() {
            RuleGroup::Basic => "S-3.2.1",
            RuleGroup::Technical => "S-3.2.2",
        }
    }
}

/// One item as sent by a client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    /// Item code, e.g. `basic_sound_finances`.
    pub item: String,
    /// Whether the candidate meets it.
    pub met: bool,
    /// Reference of the evidence attachment (required when met).
    pub evidence_ref: Option<String>,
}

/// The recorded result of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    /// Met or not.
    pub met: bool,
    /// Evidence attachment reference.
    pub evidence_ref: Option<String>,
}

/// One item as stored (JSON) and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRecord {
    /// Item code.
    pub item: String,
    /// Chinese label.
    #[serde(default)]
    pub label: String,
    /// Rule id.
    #[serde(default)]
    pub rule: String,
    /// Met or not.
    pub met: bool,
    /// Evidence attachment reference.
    pub evidence_ref: Option<String>,
}

/// The items recorded for one candidate so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment(BTreeMap<QualificationItem, ItemResult>);

impl Assessment {
    /// Parses the client's items; every error is returned.
    pub fn parse_items(
        input: &[ItemInput],
    ) -> Result<Vec<(QualificationItem, ItemResult)>, Vec<SelectionError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        if input.is_empty() {
            errors.push(SelectionError::TextInvalid { field: "items" });
        }
        for i in input {
            let Ok(item) = i.item.trim().parse::<QualificationItem>() else {
                errors.push(SelectionError::ItemUnknown {
                    found: i.item.clone(),
                });
                continue;
            };
            let evidence = match i.evidence_ref.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => match text(raw, "evidence_ref", MAX_SHORT_CHARS) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                },
            };
            if i.met && evidence.is_none() {
                errors.push(SelectionError::EvidenceMissing { item });
                continue;
            }
            out.push((
                item,
                ItemResult {
                    met: i.met,
                    evidence_ref: evidence,
                },
            ));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Records (or replaces) items.
    pub fn record(&mut self, items: Vec<(QualificationItem, ItemResult)>) {
        self.0.extend(items);
    }

    /// The items not recorded as met, in order.
    pub fn missing(&self) -> Vec<QualificationItem> {
        QualificationItem::ALL
            .iter()
            .copied()
            .filter(|i| !self.0.get(i).is_some_and(|r| r.met))
            .collect()
    }

    /// Whether every item is met.
    pub fn all_met(&self) -> bool {
        self.missing().is_empty()
    }

    /// The stored form.
    pub fn to_records(&self) -> Vec<ItemRecord> {
        self.0
            .iter()
            .map(|(item, r)| ItemRecord {
                item: item.as_str().to_owned(),
                label: item.label_zh().to_owned(),
                rule: item.rule().to_owned(),
                met: r.met,
                evidence_ref: r.evidence_ref.clone(),
            })
            .collect()
    }

    /// From the stored form; unknown items are skipped.
    pub fn from_records(records: &[ItemRecord]) -> Self {
        Self(
            records
                .iter()
                .filter_map(|r| {
                    r.item.parse::<QualificationItem>().ok().map(|i| {
                        (
                            i,
                            ItemResult {
                                met: r.met,
                                evidence_ref: r.evidence_ref.clone(),
                            },
                        )
                    })
                })
                .collect(),
        )
    }
}
