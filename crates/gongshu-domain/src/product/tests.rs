#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

const VERIFY: &str = "SELECT count(*) >= :months AS on_time FROM power_bill \
                      WHERE paid_on_time AND bill_month >= :since";

fn params() -> Vec<ParamSpec> {
    vec![
        ParamSpec {
            name: "subject".into(),
            label_zh: "企业统一社会信用代码".into(),
            ty: ParamType::Subject {
                id_kind: SubjectIdKind::CreditCode,
            },
        },
        ParamSpec {
            name: "months".into(),
            label_zh: "按时缴费月数".into(),
            ty: ParamType::Integer { min: 1, max: 36 },
        },
        ParamSpec {
            name: "since".into(),
            label_zh: "起始月份".into(),
            ty: ParamType::Month,
        },
    ]
}

fn credit_check() -> ProductDefinition {
    ProductDefinition {
        name: "小微企业电费按时缴纳核验".into(),
        kind: ProductKind::Verification,
        summary: "经企业授权，核验其近若干月是否按时缴纳电费".into(),
        template: VERIFY.into(),
        params: params(),
        datasets: vec!["power".into()],
        scenarios: vec!["小微企业信用贷款".into()],
        category: Category::IndustryDevelopment,
        billing_unit: BillingUnit::PerCall,
        price: Money::from_fen(50),
        subject_column: Some("credit_code".into()),
        daily_quota: 1000,
        rate_per_minute: 60,
    }
}

fn values(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).unwrap()
}

fn pseudonym(id: &str) -> Option<String> {
    Some(format!("p_{id}"))
}

/// A code whose check character follows GB 32100.
const CODE: &str = "91130630MA0A1B2C39";

#[test]
fn a_complete_definition_is_valid() {
    credit_check().validate().unwrap();
}

/// A change to a valid definition, and the field it should break.
type Case = (Box<dyn Fn(&mut ProductDefinition)>, &'static str);

#[test]
fn each_bad_field_is_named() {
    let cases: Vec<Case> = vec![
        (Box::new(|d| d.name = "甲".into()), "name"),
        (Box::new(|d| d.summary = " ".into()), "summary"),
        (Box::new(|d| d.template = String::new()), "template"),
        (Box::new(|d| d.datasets.clear()), "datasets"),
        (Box::new(|d| d.scenarios.clear()), "scenarios"),
        (Box::new(|d| d.price = Money::from_fen(-1)), "price"),
        (Box::new(|d| d.price = Money::ZERO), "price"),
        (Box::new(|d| d.category = Category::PublicWelfare), "price"),
        (Box::new(|d| d.kind = ProductKind::Statistics), "params"),
        (Box::new(|d| d.subject_column = None), "subject_column"),
        (
            Box::new(|d| d.subject_column = Some("Credit Code".into())),
            "subject_column",
        ),
        (Box::new(|d| d.daily_quota = 0), "daily_quota"),
        (Box::new(|d| d.rate_per_minute = 0), "rate_per_minute"),
        (
            Box::new(|d| d.template.push_str(" AND credit_code = :subject")),
            "params.subject",
        ),
        (
            Box::new(|d| {
                d.params.remove(1);
            }),
            "params.months",
        ),
        (
            Box::new(|d| d.template.push_str(" AND township = :town")),
            "params.town",
        ),
    ];
    for (change, field) in cases {
        let mut d = credit_check();
        change(&mut d);
        let e = d.validate().unwrap_err();
        assert_eq!(e.field(), field, "{e:?}");
        assert!(!e.message_zh().is_empty());
    }
}

#[test]
fn free_categories_cost_nothing() {
    let mut d = credit_check();
    d.category = Category::PublicGovernance;
    d.price = Money::ZERO;
    d.validate().unwrap();
}

#[test]
fn binding_quotes_values_and_keeps_the_subject_out_of_the_sql() {
    let b = bind(
        VERIFY,
        &params(),
        &values(json!({ "subject": format!(" {CODE} "), "months": 12, "since": "2025-01" })),
        &pseudonym,
    )
    .unwrap();
    assert!(b.sql.contains(">= 12 AS"), "{}", b.sql);
    assert!(b.sql.contains("bill_month >= '2025-01'"), "{}", b.sql);
    assert!(!b.sql.contains("p_"), "{}", b.sql);
    assert_eq!(b.subject.as_deref(), Some(format!("p_{CODE}").as_str()));
}

#[test]
fn subject_kinds_check_their_identifiers() {
    assert!(SubjectIdKind::CreditCode.canonical(CODE).is_some());
    assert!(
        SubjectIdKind::CreditCode
            .canonical("91130630MA0A1B2C38")
            .is_none()
    );
    assert!(
        SubjectIdKind::ResidentId
            .canonical("11010519491231002X")
            .is_some()
    );
    assert!(
        SubjectIdKind::ResidentId
            .canonical("110105194912310021")
            .is_none()
    );
    assert_eq!(
        SubjectIdKind::Account.canonical(" WA-0001 ").as_deref(),
        Some("WA-0001")
    );
    assert!(SubjectIdKind::Account.canonical("账户1234").is_none());
    assert!(SubjectIdKind::Account.canonical("abc").is_none());
}

#[test]
fn bad_values_name_their_parameter() {
    let ok = json!({ "subject": CODE, "months": 12, "since": "2025-01" });
    let cases = [
        ("months", json!(0)),
        ("months", json!(37)),
        ("months", json!("12")),
        ("since", json!("2025-13")),
        ("since", json!("2025-1")),
        ("subject", json!("123")),
    ];
    for (name, bad) in cases {
        let mut v = values(ok.clone());
        v.insert(name.into(), bad.clone());
        let e = bind(VERIFY, &params(), &v, &pseudonym).unwrap_err();
        assert_eq!(e.field(), format!("params.{name}"), "{bad}: {e:?}");
    }
    let mut v = values(ok.clone());
    v.remove("since");
    assert_eq!(
        bind(VERIFY, &params(), &v, &pseudonym).unwrap_err().field(),
        "params.since"
    );
    let mut v = values(ok);
    v.insert("township".into(), json!("涞源镇"));
    assert_eq!(
        bind(VERIFY, &params(), &v, &pseudonym).unwrap_err().field(),
        "params.township"
    );
}

#[test]
fn placeholders_inside_literals_and_casts_are_sql() {
    let specs = vec![ParamSpec {
        name: "n".into(),
        label_zh: "数".into(),
        ty: ParamType::Integer { min: 0, max: 9 },
    }];
    let t = "SELECT ':x' AS a, amount::BIGINT, :n AS b";
    check_declarations(t, &specs).unwrap();
    let sql = bind(t, &specs, &values(json!({ "n": 3 })), &pseudonym).unwrap();
    assert_eq!(sql.sql, "SELECT ':x' AS a, amount::BIGINT, 3 AS b");
    assert!(check_declarations("SELECT 'x", &[]).is_err());
}

#[test]
fn the_lifecycle_allows_only_its_transitions() {
    use ProductCommand as C;
    use ProductStatus as S;
    let allowed = [
        (S::Draft, C::Submit, S::InReview),
        (S::InReview, C::Approve, S::Approved),
        (S::InReview, C::Reject, S::Draft),
        (S::Approved, C::List, S::Listed),
        (S::Listed, C::Suspend, S::Suspended),
        (S::Suspended, C::Resume, S::Listed),
        (S::Draft, C::Retire, S::Retired),
        (S::Approved, C::Retire, S::Retired),
        (S::Listed, C::Retire, S::Retired),
        (S::Suspended, C::Retire, S::Retired),
    ];
    let commands = [
        C::Submit,
        C::Approve,
        C::Reject,
        C::List,
        C::Suspend,
        C::Resume,
        C::Retire,
    ];
    for &from in S::ALL {
        for &c in &commands {
            let want = allowed
                .iter()
                .find(|(f, cc, _)| *f == from && *cc == c)
                .map(|(_, _, to)| *to);
            match (from.apply(c), want) {
                (Ok(to), Some(w)) => assert_eq!(to, w),
                (Err(ProductError::Transition { .. }), None) => {}
                (got, want) => panic!("{from:?} {c:?}: {got:?}, want {want:?}"),
            }
        }
    }
    assert!(S::Listed.serves_calls() && !S::Suspended.serves_calls());
}

proptest! {
    /// Whatever text a choice parameter receives, the bound SQL holds it
    /// only as one quoted literal: it never ends the literal early.
    #[test]
    fn a_bound_choice_never_escapes_its_literal(value in ".{0,40}") {
        let specs = vec![ParamSpec {
            name: "c".into(),
            label_zh: "选项".into(),
            ty: ParamType::Choice { values: vec![value.clone()] },
        }];
        let sql = bind("SELECT :c", &specs, &values(json!({ "c": value })), &pseudonym).unwrap().sql;
        let inner = sql.strip_prefix("SELECT '").and_then(|s| s.strip_suffix('\'')).unwrap();
        prop_assert_eq!(inner.replace("''", ""). contains('\''), false);
        prop_assert_eq!(inner.replace("''", "'"), value);
    }
}
