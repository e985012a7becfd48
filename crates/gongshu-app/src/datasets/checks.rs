//! Checks before a load: the catalog's columns as a vault schema (fail
//! closed on unclassified or untyped columns), validity rules, load
//! options, and vault errors as the user sees them.

use gongshu_domain::classification::{ColumnClassification, SandboxClass};
use gongshu_domain::dataset::{ColumnType, LoadMode};
use gongshu_vault::{
    ColumnDef, ColumnType as VaultType, DatasetSchema, Encoding, Validators, VaultError,
};

use super::LoadInput;
use crate::AppError;
use crate::error::FieldError;

pub(super) fn refused(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Refused {
        code,
        message: message.into(),
    }
}

/// The vault schema of a catalog entry; every column must be classified
/// and typed (a column without a class cannot be stored or queried).
pub(super) fn schema_of(columns: &[ColumnClassification]) -> Result<DatasetSchema, AppError> {
    if columns.is_empty() {
        return Err(refused(
            "dataset.no_columns",
            "目录未登记数据项，不能加载数据（REQUIREMENTS §6.1 数据项）",
        ));
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| !c.is_classified() || c.data_type.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(refused(
            "dataset.columns_unclassified",
            format!(
                "数据项“{}”尚未完成分类分级或未声明数据类型，不能加载（SANDBOX-RULES R1.3 未分类即拒绝）",
                missing.join("、")
            ),
        ));
    }
    let defs = columns
        .iter()
        .map(|c| {
            let ty = match c.data_type {
                Some(ColumnType::Int64) => VaultType::Int64,
                Some(ColumnType::Date) => VaultType::Date,
                Some(ColumnType::Boolean) => VaultType::Boolean,
                Some(ColumnType::String) | None => VaultType::String,
            };
            let mut def = ColumnDef::new(&c.name, ty);
            def.nullable = !c.required;
            def.pseudonymised = c.sandbox_class == Some(SandboxClass::DirectId);
            def
        })
        .collect();
    DatasetSchema::new(defs).map_err(|e| {
        refused(
            "dataset.schema_invalid",
            format!("数据项定义不能用于存储：{e}（直接标识符须为文本类型）"),
        )
    })
}

pub(super) fn validators_of(columns: &[ColumnClassification]) -> Validators {
    columns
        .iter()
        .fold(Validators::new(), |v, c| match &c.validity {
            Some(rule) => {
                let rule = rule.clone();
                v.with(&c.name, move |s| rule.check(s))
            }
            None => v,
        })
}

pub(super) fn parse_input(input: &LoadInput) -> Result<(LoadMode, Encoding), AppError> {
    let mut errors = Vec::new();
    let mode = input.mode.parse::<LoadMode>().map_err(|_| {
        errors.push(FieldError::new(
            "mode",
            "dataset.mode_invalid",
            "加载方式须为 replace（全量替换）或 append（增量追加）",
        ));
    });
    let encoding = input.encoding.parse::<Encoding>().map_err(|e| {
        errors.push(FieldError::new(
            "encoding",
            "dataset.encoding_invalid",
            e.to_string(),
        ));
    });
    match (mode, encoding) {
        (Ok(m), Ok(e)) => Ok((m, e)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// A vault error as the user sees it; data problems name lines and columns.
pub(super) fn vault_error(e: VaultError) -> AppError {
    let row = |b: &gongshu_vault::BadRow| {
        let field = if b.column == 0 {
            format!("line {}", b.line)
        } else {
            format!("line {} column {} ({})", b.line, b.column, b.column_name)
        };
        let place = if b.column == 0 {
            format!("第 {} 行", b.line)
        } else {
            format!("第 {} 行第 {} 列（{}）", b.line, b.column, b.column_name)
        };
        FieldError::new(&field, "dataset.bad_row", format!("{place}：{}", b.reason))
    };
    match e {
        VaultError::Csv {
            line,
            column,
            column_name,
            reason,
        } => AppError::Validation(vec![row(&gongshu_vault::BadRow {
            line,
            column,
            column_name,
            reason,
        })]),
        VaultError::TooManyBadRows { limit, samples } => {
            let mut f = vec![FieldError::new(
                "max_bad_rows",
                "dataset.too_many_bad_rows",
                format!(
                    "格式错误的行超过允许的 {limit} 行，本次加载未生效；前 {} 行错误如下",
                    samples.len()
                ),
            )];
            f.extend(samples.iter().map(row));
            AppError::Validation(f)
        }
        VaultError::Encoding {
            encoding,
            byte_offset,
        } => AppError::Validation(vec![FieldError::new(
            "encoding",
            "dataset.encoding_mismatch",
            format!(
                "输入在第 {byte_offset} 字节处不是有效的 {encoding} 文本，请确认文件编码（可指定 utf-8 或 gb18030）"
            ),
        )]),
        // The upload itself could not be read: a broken connection, or a
        // Parquet body that is not Parquet. The caller's input, not ours.
        VaultError::Io { path, source } if path == std::path::Path::new("<input>") => {
            AppError::Validation(vec![FieldError::new(
                "body",
                "dataset.input_unreadable",
                format!("无法读取上传的数据，本次加载未生效（{source}）"),
            )])
        }
        VaultError::Destroyed { .. } => refused(
            "dataset.destroyed",
            "该数据集已按授权终止要求不可逆销毁，不能再加载或读取（S-3.3.5）",
        ),
        other => AppError::Internal(other.to_string()),
    }
}
