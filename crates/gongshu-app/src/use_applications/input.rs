//! Parsing of a data-use application's input (字段校验): texts, kind,
//! validity, products or datasets with columns; every problem is a field
//! error (422).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use gongshu_domain::review::{ColumnName, ReviewText};
use gongshu_domain::use_application::{SCOPE_RULE, UseKind};
use gongshu_domain::{DatasetId, DomainError as _, OrgId};

use super::NewUseApplication;
use super::support::parse_date;
use crate::error::{AppError, FieldError};
use crate::reviews::DatasetRequest;

pub(super) enum Request {
    Products(Vec<ReviewText>),
    Sandbox(Vec<(DatasetId, OrgId, Vec<ColumnName>)>),
}

pub(super) struct Parsed {
    pub(super) kind: UseKind,
    pub(super) scenario: ReviewText,
    pub(super) purpose: ReviewText,
    pub(super) valid_from: NaiveDate,
    pub(super) valid_until: NaiveDate,
    pub(super) request: Request,
}

pub(super) fn parse(input: &NewUseApplication) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let text = crate::reviews::text;
    let kind = input
        .kind
        .trim()
        .parse::<UseKind>()
        .map_err(|e| {
            errors.push(FieldError::new(
                "kind",
                e.code(),
                "申请类型须为 product_subscription 或 sandbox_access",
            ))
        })
        .ok();
    let scenario = text(&mut errors, "scenario", &input.scenario, ReviewText::SHORT);
    let purpose = text(&mut errors, "purpose", &input.purpose, ReviewText::LONG);
    let valid_from = parse_date(&mut errors, "valid_from", &input.valid_from);
    let valid_until = parse_date(&mut errors, "valid_until", &input.valid_until);
    if let (Some(f), Some(u)) = (valid_from, valid_until)
        && f > u
    {
        errors.push(FieldError::new(
            "valid_until",
            "use_application.validity_reversed",
            "有效期截止日不能早于起始日",
        ));
    }
    let request = match kind {
        Some(UseKind::ProductSubscription) => Some(Request::Products(parse_products(
            &mut errors,
            &input.products,
        ))),
        Some(UseKind::SandboxAccess) => Some(Request::Sandbox(parse_datasets(
            &mut errors,
            &input.datasets,
        ))),
        None => None,
    };
    match (kind, scenario, purpose, valid_from, valid_until, request) {
        (
            Some(kind),
            Some(scenario),
            Some(purpose),
            Some(valid_from),
            Some(valid_until),
            Some(request),
        ) if errors.is_empty() => Ok(Parsed {
            kind,
            scenario,
            purpose,
            valid_from,
            valid_until,
            request,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

fn parse_products(errors: &mut Vec<FieldError>, raw: &[String]) -> Vec<ReviewText> {
    if raw.is_empty() {
        errors.push(FieldError::new(
            "products",
            "use_application.no_products",
            format!("须列明申请使用的运营机构产品（{SCOPE_RULE}）"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        if let Some(p) =
            crate::reviews::text(errors, &format!("products[{i}]"), p, ReviewText::SHORT)
            && seen.insert(p.as_str().to_owned())
        {
            out.push(p);
        }
    }
    out
}

fn parse_datasets(
    errors: &mut Vec<FieldError>,
    raw: &[DatasetRequest],
) -> Vec<(DatasetId, OrgId, Vec<ColumnName>)> {
    if raw.is_empty() {
        errors.push(FieldError::new(
            "datasets",
            "use_application.no_datasets",
            format!("须至少申请一个数据集（{SCOPE_RULE}）"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let field = |name: &str| format!("datasets[{i}].{name}");
        let dataset = DatasetId::parse(d.dataset_id.trim())
            .map_err(|e| {
                errors.push(FieldError::new(
                    &field("dataset_id"),
                    e.code(),
                    e.message_zh(),
                ))
            })
            .ok();
        if let Some(id) = dataset
            && !seen.insert(id)
        {
            errors.push(FieldError::new(
                &field("dataset_id"),
                "use_application.duplicate_dataset",
                "同一数据集只能申请一次",
            ));
        }
        let provider = OrgId::parse(d.provider_org.trim())
            .map_err(|e| {
                errors.push(FieldError::new(
                    &field("provider_org"),
                    e.code(),
                    e.message_zh(),
                ))
            })
            .ok();
        if d.columns.is_empty() {
            errors.push(FieldError::new(
                &field("columns"),
                "use_application.no_columns",
                format!("须列明申请的字段（最小必要，{SCOPE_RULE}）"),
            ));
        }
        let mut columns: Vec<ColumnName> = Vec::new();
        for c in &d.columns {
            match ColumnName::parse(c) {
                Ok(c) if !columns.contains(&c) => columns.push(c),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(&field("columns"), e.code(), e.message_zh())),
            }
        }
        if let (Some(dataset), Some(provider)) = (dataset, provider) {
            out.push((dataset, provider, columns));
        }
    }
    out
}
