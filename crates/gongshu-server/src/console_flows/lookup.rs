//! Names for the ids a workflow stores, and the choices of the select
//! fields: pages show organisations, resources and agreements by name,
//! never by id.

use std::collections::HashMap;

use chrono::NaiveDate;
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;

use super::spec::Kind;

/// An organisation as offered in a select.
#[derive(Debug, Clone)]
pub(crate) struct OrgChoice {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// What the page knows by name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookup {
    pub orgs: Vec<OrgChoice>,
    names: HashMap<String, String>,
    /// Resources (id, name).
    pub resources: Vec<(String, String)>,
    /// Agreements (id, label).
    pub agreements: Vec<(String, String)>,
    /// Today in Asia/Shanghai.
    pub today: Option<NaiveDate>,
}

impl Lookup {
    /// Loads the names the caller may see.
    pub(crate) async fn load(app: &App, actor: &Actor) -> Result<Self, AppError> {
        let orgs: Vec<OrgChoice> = gongshu_app::orgs::list_organisations(app, actor)
            .await?
            .into_iter()
            .map(|o| OrgChoice {
                id: o.id,
                name: o.name,
                kind: o.kind,
            })
            .collect();
        let names = orgs
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect::<HashMap<_, _>>();
        let resources = gongshu_app::catalog::list_resources(app, actor)
            .await?
            .into_iter()
            .map(|r| {
                let name = r.fields["name"]
                    .as_str()
                    .map_or_else(|| "（未命名资源）".to_owned(), str::to_owned);
                (r.id, name)
            })
            .collect();
        let agreements = gongshu_app::agreements::list_agreements(app, actor)
            .await?
            .into_iter()
            .map(|a| {
                let operator = names
                    .get(&a.operator_org_id)
                    .cloned()
                    .unwrap_or_else(|| "（未知机构）".into());
                let label = format!(
                    "{operator}（{} 至 {}，{}）",
                    a.term_start, a.term_end, a.status_label
                );
                (a.id, label)
            })
            .collect();
        Ok(Self {
            orgs,
            names,
            resources,
            agreements,
            today: Some(gongshu_app::inbox::shanghai_today(app.clock().now())),
        })
    }

    /// An organisation's name.
    pub(crate) fn org(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "（未知机构）".into())
    }

    /// A resource's name.
    pub(crate) fn resource(&self, id: &str) -> String {
        self.resources
            .iter()
            .find(|(r, _)| r == id)
            .map_or_else(|| "（未登记的数据资源）".into(), |(_, n)| n.clone())
    }

    /// An agreement's label.
    pub(crate) fn agreement(&self, id: &str) -> String {
        self.agreements
            .iter()
            .find(|(a, _)| a == id)
            .map_or_else(|| "（未知协议）".into(), |(_, n)| n.clone())
    }

    /// The choices of a select field: (value, label).
    pub(crate) fn choices(&self, kind: Kind) -> Vec<(String, String)> {
        match kind {
            Kind::Choice(c) => c
                .iter()
                .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                .collect(),
            Kind::Org(kinds) => self
                .orgs
                .iter()
                .filter(|o| kinds.is_empty() || kinds.iter().any(|k| k.as_str() == o.kind))
                .map(|o| (o.id.clone(), o.name.clone()))
                .collect(),
            Kind::Resources => self.resources.clone(),
            Kind::Agreement => self.agreements.clone(),
            Kind::Text
            | Kind::Long
            | Kind::Date
            | Kind::DateTime
            | Kind::Number
            | Kind::Check
            | Kind::List => Vec::new(),
        }
    }
}

/// Kinds that may act for the implementing agency's workflows.
pub(crate) const AGENCY: &[OrgKind] = &[OrgKind::ImplementingAgency];

/// Decisions of the implementing agency are an approver's
/// (`supervisor_approver_approves_workflow`).
pub(crate) const APPROVER: &[gongshu_domain::Role] = &[gongshu_domain::Role::Approver];
