//! 数据资源登记 page: a data source unit catalogs its own resource (the
//! §6.1 fields, its columns one per line) and applies; the data bureau, the
//! registration authority, accepts within 3 working days (N3), reviews
//! within 20 (N4), publishes a 10-working-day notice (N5), registers after
//! it (N6, valid 3 years, N8) or rejects with reasons; renewal within the
//! 60 days before expiry (N9). REQUIREMENTS §4.6, §3.1.

use gongshu_app::catalog::{self, ResourceView};
use gongshu_app::{Actor, App, AppError};
use gongshu_domain::OrgKind;
use gongshu_domain::catalog::{
    DataFormat, RegistrationCommand, SharingAttribute, SharingMethod, UpdateFrequency,
};
use gongshu_domain::classification::{Grade, PersonalInfo, SandboxClass};
use serde_json::{Value, json};

use super::scenarios::choices;
use super::spec::{Area, Command, Due, Item, Kind, opt, req};
use super::{Lookup, input, target};

const PROVIDER: &[OrgKind] = &[OrgKind::DataSourceUnit];
const BUREAU: &[OrgKind] = &[OrgKind::DataBureau];

pub(super) const AREA: Area = Area {
    key: "registration",
    title: "数据资源登记",
    intro: "数源单位编制本单位的数据资源目录条目，逐项完成数据项分类分级后申请登记。县数据局作为登记机构，在 3 个工作日内受理（REQUIREMENTS §3.1 N3），受理后 20 个工作日内完成形式审核并公示（N4），公示 10 个工作日（N5），期满无异议赋码登记（N6），登记有效期 3 年（N8）；期满前 60 日内可申请续展（N9）。实施机构本身是登记主体，不办理登记（REQUIREMENTS §4.6）。",
    create: Some("create"),
    commands: &[
        Command {
            key: "create",
            label: "编制目录条目",
            help: "登记字段见 REQUIREMENTS §6.1；有条件共享或不予共享的须写明使用条件，核心数据不得无条件共享（§7.1）。",
            by: PROVIDER,
            roles: &[],
            fields: &[
                req("name", "目录名称", Kind::Text),
                req("summary", "数据内容简介", Kind::Long),
                req("category", "数据分类", Kind::Text).hint("如 公用事业/供水"),
                req("format", "数据格式", Kind::Choice(choices!(DataFormat))),
                req(
                    "update_frequency",
                    "更新频率",
                    Kind::Choice(choices!(UpdateFrequency)),
                ),
                req(
                    "sharing_attribute",
                    "共享属性",
                    Kind::Choice(choices!(SharingAttribute)),
                ),
                req(
                    "sharing_method",
                    "共享方式",
                    Kind::Choice(choices!(SharingMethod)),
                ),
                opt("use_conditions", "使用条件", Kind::Long)
                    .hint("有条件共享的使用条件，或不予共享的依据"),
                req("time_coverage_start", "数据覆盖起始日", Kind::Date),
                opt("time_coverage_end", "数据覆盖截止日", Kind::Date).hint("持续更新的不填"),
                req("industry", "行业分类", Kind::Text),
                req("region", "覆盖地区", Kind::Text),
                opt("storage_volume_mb", "数据存储量（MB）", Kind::Number),
                opt("contains_sensitive_info", "包含敏感信息", Kind::Check),
                opt("applicable_scenarios", "应用场景", Kind::List),
                opt("prohibited_scenarios", "禁用场景", Kind::List),
                opt("columns", "数据项及分类分级", Kind::Long).hint(
                    "每行一个数据项：名称、分级、个人信息标识、沙箱类别，如 account_no、general_3、personal、direct_id。分级：general_1 至 general_4、important、core；个人信息：none、personal、sensitive_personal；沙箱类别：direct_id、quasi_id、sensitive、public",
                ),
            ],
        },
        Command {
            key: "submit",
            label: "提交登记申请",
            help: "每个数据项须已设置分级、个人信息标识和沙箱类别（REQUIREMENTS §6.1、§7）；登记机构 3 个工作日内受理（N3）。",
            by: PROVIDER,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "accept",
            label: "受理",
            help: "受理登记申请或续展申请，期限 3 个工作日（N3/N9）；受理续展的，有效期自期满次日起顺延 3 年。",
            by: BUREAU,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "review",
            label: "形式审核通过",
            help: "受理后 20 个工作日内完成形式审核并公示（N4）。",
            by: BUREAU,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "notice",
            label: "开始公示",
            help: "自今日起公示 10 个工作日（N5）。",
            by: BUREAU,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "register",
            label: "赋码登记",
            help: "公示期满无异议后赋码登记（N6），有效期 3 年（N8）；公示期内不能登记。",
            by: BUREAU,
            roles: &[],
            fields: &[],
        },
        Command {
            key: "reject",
            label: "驳回",
            help: "不予登记或驳回续展申请，须写明理由（REQUIREMENTS §4.6）；驳回续展的，原登记在有效期内继续有效。",
            by: BUREAU,
            roles: &[],
            fields: &[req("reason", "驳回理由", Kind::Long)],
        },
        Command {
            key: "renew",
            label: "申请续展",
            help: "登记有效期满前 60 日内可申请续展（N9）；期满后须重新申请登记。",
            by: PROVIDER,
            roles: &[],
            fields: &[],
        },
    ],
};

/// A code as typed, or the code of a Chinese label; nothing when empty.
fn code_of<T: Copy>(
    raw: &str,
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
) -> Option<String> {
    let found = all.iter().find(|v| zh(**v) == raw).map(|v| code(*v));
    (!raw.is_empty()).then(|| found.unwrap_or(raw).to_owned())
}

/// The columns typed one per line into the use case's column objects; the
/// codes are checked by the use case.
fn columns(text: &str) -> Value {
    let lines = text.lines().filter_map(|line| {
        let parts: Vec<&str> = line
            .split(['、', '，', ',', '\t', ' ', '　', ';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let (name, rest) = parts.split_first()?;
        let at = |i: usize| rest.get(i).copied().unwrap_or_default();
        let grade = code_of(at(0), Grade::ALL, Grade::as_str, Grade::label_zh);
        let personal = code_of(
            at(1),
            PersonalInfo::ALL,
            PersonalInfo::as_str,
            PersonalInfo::label_zh,
        );
        let class = code_of(
            at(2),
            SandboxClass::ALL,
            SandboxClass::as_str,
            SandboxClass::label_zh,
        );
        Some(json!({
            "name": name,
            "grade": grade,
            "personal_info": personal,
            "sandbox_class": class,
        }))
    });
    Value::Array(lines.collect())
}

fn text(r: &ResourceView, key: &str) -> String {
    r.fields[key].as_str().unwrap_or_default().to_owned()
}

/// The Chinese label of a stored code, by its list.
fn label(choices: &[(&str, &'static str)], code: &str) -> String {
    choices
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, l)| (*l).to_owned())
}

fn item(r: &ResourceView, actor: &Actor, l: &Lookup) -> Item {
    let g = &r.registration;
    // The version read goes with the form: a step on a resource that moved
    // since the page was shown is a conflict, not a second step.
    let mut it = Item {
        target: format!("{}@{}", r.id, r.version),
        title: format!("数据资源：{}", text(r, "name")),
        status: g.status_label.clone(),
        ..Item::default()
    };
    it.fact("提供单位", l.org(&r.provider_org_id));
    it.fact("数据分类", text(r, "category"));
    it.fact(
        "共享属性",
        label(choices!(SharingAttribute), &text(r, "sharing_attribute")),
    );
    it.fact(
        "共享方式",
        label(choices!(SharingMethod), &text(r, "sharing_method")),
    );
    it.fact(
        "更新频率",
        label(choices!(UpdateFrequency), &text(r, "update_frequency")),
    );
    it.fact(
        "数据分级",
        r.grade.as_deref().map(|c| label(choices!(Grade), c)),
    );
    let names: Vec<&str> = r.fields["columns"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    if !names.is_empty() {
        it.fact(
            "数据项",
            format!("{} 项：{}", names.len(), names.join("、")),
        );
    }
    it.fact("申请日期", g.submitted_on.map(|d| d.to_string()));
    it.fact("受理日期", g.accepted_on.map(|d| d.to_string()));
    it.fact("形式审核日期", g.reviewed_on.map(|d| d.to_string()));
    it.fact(
        "公示期",
        g.notice_start.map(|s| match g.notice_end {
            Some(e) => format!("{s} 至 {e}"),
            None => format!("{s} 起（截止日待节假日安排发布后确定）"),
        }),
    );
    it.fact("登记日期", g.registered_on.map(|d| d.to_string()));
    it.fact("登记结果查询码", g.certificate_no.clone());
    it.fact("有效期至", g.valid_until.map(|d| d.to_string()));
    if g.renewals > 0 {
        it.fact("已续展", format!("{} 次", g.renewals));
    }
    it.fact("驳回理由", g.reject_reason.clone());
    if let Some(p) = &g.pending {
        match (p.due_on, p.calendar_unpublished) {
            (Some(on), _) => {
                it.due = Some(Due {
                    label: p.title_zh,
                    on,
                    met: false,
                });
            }
            (None, Some(year)) => it.fact(
                "办理期限",
                format!("{}：{year} 年节假日安排未发布，期限待定", p.title_zh),
            ),
            (None, None) => {}
        }
    }
    // Applying and renewing are the provider's own; other units are not
    // offered them (the use case refuses them too).
    let own = actor.org_id == r.provider_org_id;
    let steps: &[&'static str] = match g.status.as_str() {
        "unregistered" | "rejected" if own => &["submit"],
        "registered" if own => &["renew"],
        "submitted" | "renewal_requested" => &["accept", "reject"],
        "accepted" => &["review", "reject"],
        "reviewed" => &["notice", "reject"],
        "in_notice" => &["register", "reject"],
        _ => &[],
    };
    for &s in steps {
        it.offer(s);
    }
    it
}

pub(super) async fn items(app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    let list = catalog::list_resources(app, actor).await?;
    Ok(list.iter().rev().map(|r| item(r, actor, l)).collect())
}

pub(super) async fn run(
    app: &App,
    actor: &Actor,
    command: &str,
    t: &str,
    mut v: Value,
) -> Result<String, AppError> {
    if command == "create" {
        if let Some(raw) = v.get("columns").and_then(Value::as_str).map(columns) {
            v["columns"] = raw;
        }
        let view = catalog::create_resource(app, actor, &input(v)?).await?;
        return Ok(view.registration.status_label);
    }
    let command: RegistrationCommand = command
        .parse()
        .map_err(|_| AppError::NotFound { what: "command" })?;
    let (id, version) = target(t)?
        .rsplit_once('@')
        .and_then(|(id, n)| Some((id, n.parse::<i64>().ok()?)))
        .ok_or(AppError::NotFound { what: "item" })?;
    let step = catalog::StepInput {
        version,
        reason: v["reason"].as_str().map(str::to_owned),
    };
    let view = catalog::registration_step(app, actor, id, command, &step).await?;
    Ok(view.registration.status_label)
}
