//! 数据导入 page: the operator or an admitted participant applies to bring
//! lawfully obtained data into the trusted space for fused computation
//! (S-6.2-3); the implementing agency alone decides, and nothing is
//! imported without its review (S-3.3.4-3). The data-use applications of
//! admitted participants are listed here too, each party deciding its own
//! share (S-2.5b); they are filed through the API, whose datasets and
//! columns do not fit a flat form.

use chrono::NaiveDate;
use gongshu_app::use_applications::{
    self as uc, DATA_IMPORT_REVIEW_WORKING_DAYS, DataImportView,
    USE_APPLICATION_REVIEW_WORKING_DAYS, UseApplicationView,
};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::data_import::{LegalBasis, SensitivityGrade};
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::{OrgKind, WorkingDayCalendar};
use serde_json::Value;

use super::lookup::AGENCY;
use super::scenarios::choices;
use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const VERDICTS: &[(&str, &str)] = &[("approve", "批准导入"), ("reject", "驳回")];
const USE_VERDICTS: &[(&str, &str)] = &[("approve", "同意"), ("reject", "驳回")];

pub(super) const AREA: Area = Area {
    key: "imports",
    title: "数据导入",
    intro: "运营机构或已准入的二级市场主体可申请将依法取得的企业数据或个人数据导入可信数据空间，与公共数据融合计算（S-6.2-3）；未经实施机构审核，不得导入其他数据（S-3.3.4-3）。包含个人信息的，须提供取得同意或法定依据的凭证。实施机构自提交之日起 10 个工作日内审核（本平台默认期限）；批准后生成待导入数据，归申请方所有，按申请时的分级管理。本页同时列出二级市场主体的数据使用申请：运营机构、实施机构及涉及数据的数源单位逐一审核，任一方驳回即终止并可向实施机构申诉，全部同意后方授权使用（S-2.5b、S-3.3.2a）。",
    create: Some("apply"),
    commands: &[
        Command {
            key: "apply",
            label: "申请导入外部数据",
            help: "运营机构或已准入（准入审核全部通过并已签署不转授权承诺）的二级市场主体申请（S-6.2-3、S-3.3.2a）。",
            by: &[OrgKind::Operator, OrgKind::Participant],
            roles: &[],
            fields: &[
                req("description", "数据内容及来源", Kind::Long),
                req(
                    "legal_basis",
                    "合法来源依据",
                    Kind::Choice(choices!(LegalBasis)),
                ),
                opt("legal_basis_reference", "同意或依据凭证编号", Kind::Text)
                    .hint("包含个人信息的必填（个人信息保护法第 13、14 条）"),
                req("data_categories", "数据类别", Kind::List).hint("多个类别用顿号或换行分隔"),
                opt("personal_information", "包含个人信息", Kind::Check),
                req(
                    "sensitivity",
                    "数据分级",
                    Kind::Choice(choices!(SensitivityGrade)),
                )
                .hint("按 GB/T 43697-2024 确定"),
                req("fuse_with", "拟融合计算的数据资源", Kind::Resources),
            ],
        },
        Command {
            key: "decide",
            label: "审核导入申请",
            help: "由实施机构审核，申请方本单位不得审核（S-3.3.4-3）；驳回须写明理由。",
            by: AGENCY,
            roles: &[],
            fields: &[
                req("verdict", "审核结论", Kind::Choice(VERDICTS)),
                opt("reason", "审核意见或驳回理由", Kind::Long),
            ],
        },
        Command {
            key: "decide_use",
            label: "审核数据使用申请",
            help: "本单位作为审核方作出审核意见，每方一次；驳回须写明理由，申请方可向实施机构申诉（S-2.5b）。",
            by: &[
                OrgKind::Operator,
                OrgKind::ImplementingAgency,
                OrgKind::DataSourceUnit,
            ],
            roles: &[],
            fields: &[
                req("verdict", "审核结论", Kind::Choice(USE_VERDICTS)),
                opt("reason", "审核意见或驳回理由", Kind::Long),
            ],
        },
    ],
};

fn label(choices: &[(&str, &'static str)], code: &str) -> String {
    choices
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, l)| (*l).to_owned())
}

fn item(d: &DataImportView, l: &Lookup, cal: Option<&WorkingDayCalendar>) -> Item {
    let mut it = Item {
        target: d.id.clone(),
        title: format!("外部数据导入：{}", l.org(&d.applicant_org)),
        status: d.status_label.clone(),
        ..Item::default()
    };
    let submitted = gongshu_app::inbox::shanghai_today(d.submitted_at);
    it.fact("申请方", l.org(&d.applicant_org));
    it.fact("提交日期", submitted.to_string());
    it.fact("数据内容及来源", d.description.clone());
    it.fact("合法来源依据", label(choices!(LegalBasis), &d.legal_basis));
    it.fact("同意或依据凭证", d.legal_basis_reference.clone());
    it.fact("数据类别", d.data_categories.join("、"));
    it.fact(
        "个人信息",
        if d.personal_information {
            "包含"
        } else {
            "不包含"
        }
        .to_owned(),
    );
    it.fact(
        "数据分级",
        label(choices!(SensitivityGrade), &d.sensitivity),
    );
    let fuse: Vec<String> = d.fuse_with.iter().map(|r| l.resource(r)).collect();
    it.fact("拟融合计算的数据资源", fuse.join("、"));
    it.fact(
        "审核日期",
        d.decided_at
            .map(|t| gongshu_app::inbox::shanghai_today(t).to_string()),
    );
    it.fact("审核意见", d.reason.clone());
    it.fact(
        "待导入数据",
        d.pending_import.as_ref().map(|p| {
            let state = if p.status == "pending" {
                "待导入"
            } else {
                "已导入"
            };
            format!("已生成，归{}所有（{state}）", l.org(&p.owner_org))
        }),
    );
    if d.status == "submitted" {
        it.due = due(cal, submitted, DATA_IMPORT_REVIEW_WORKING_DAYS);
        it.offer("decide");
    }
    it
}

fn due(cal: Option<&WorkingDayCalendar>, from: NaiveDate, days: u32) -> Option<Due> {
    // A year without a published calendar shows no date rather than a guess.
    let on = due_in_working_days(cal?, from, days).ok()?;
    Some(Due {
        label: "审核期限",
        on,
        met: false,
    })
}

fn use_item(
    a: &UseApplicationView,
    actor: &Actor,
    l: &Lookup,
    cal: Option<&WorkingDayCalendar>,
) -> Item {
    let r = &a.review;
    let mut it = Item {
        target: a.id.clone(),
        title: format!("数据使用申请：{}", l.org(&r.applicant_org)),
        status: r.status_label.clone(),
        ..Item::default()
    };
    let submitted = gongshu_app::inbox::shanghai_today(r.submitted_at);
    it.fact("申请方", l.org(&r.applicant_org));
    it.fact("申请类型", a.kind_label.to_owned());
    it.fact("提交日期", submitted.to_string());
    it.fact("应用场景", a.scenario.clone());
    it.fact("用途", a.purpose.clone());
    it.fact("使用期限", format!("{} 至 {}", a.valid_from, a.valid_until));
    let data: Vec<String> = a
        .datasets
        .iter()
        .map(|d| format!("{}（{}）", l.resource(&d.dataset_id), d.columns.join("、")))
        .collect();
    it.fact("申请的数据", data.join("；"));
    if !a.products.is_empty() {
        it.fact("申请的产品", format!("{} 项", a.products.len()));
    }
    let parties: Vec<String> = r
        .parties
        .iter()
        .map(|p| {
            let said = match p.decision.as_ref().map(|d| d.verdict.as_str()) {
                Some("approve") => "同意",
                Some(_) => "驳回",
                None => "待审核",
            };
            format!(
                "{}（{}）：{said}",
                l.org(&p.org_id),
                p.role_labels.join("、")
            )
        })
        .collect();
    it.fact("审核方", parties.join("；"));
    it.fact("驳回理由", r.rejection_reasons.join("；"));
    if a.appealable {
        it.fact("申诉", "可向实施机构申诉（S-2.5b）".to_owned());
    }
    if matches!(r.status.as_str(), "submitted" | "under_review") {
        it.due = due(cal, submitted, USE_APPLICATION_REVIEW_WORKING_DAYS);
        // Offered to a party that has not decided yet; the applicant and
        // the parties that decided are not.
        if r.parties
            .iter()
            .any(|p| p.org_id == actor.org_id && p.decision.is_none())
        {
            it.offer("decide_use");
        }
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let cal = WorkingDayCalendar::official().ok();
    let imports = uc::list_data_imports(app, actor).await?;
    let uses = uc::list_use_applications(app, actor).await?;
    let mut out: Vec<Item> = imports
        .iter()
        .rev()
        .map(|d| item(d, l, cal.as_ref()))
        .collect();
    out.extend(
        uses.iter()
            .rev()
            .map(|a| use_item(a, actor, l, cal.as_ref())),
    );
    Ok(out)
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    v: Value,
) -> Result<String, AppError> {
    let view = match command {
        "apply" => uc::create_data_import(app, actor, &input(v)?).await?,
        "decide" => uc::decide_data_import(app, actor, target(t)?, &input(v)?).await?,
        "decide_use" => {
            let view = uc::decide_use_application(app, actor, target(t)?, &input(v)?).await?;
            return Ok(view.review.status_label);
        }
        _ => return Err(AppError::NotFound { what: "command" }),
    };
    Ok(view.status_label)
}
