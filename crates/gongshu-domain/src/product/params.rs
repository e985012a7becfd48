//! Product parameters: declared with a type and bounds, bound into the
//! approved SQL template as SQL literals. Binding is the only way a
//! caller's value reaches SQL, so it rejects anything undeclared, out of
//! bounds or of the wrong type, naming the parameter (HTTP 422), and quotes
//! text itself. The subject of a verification or score (a credit code, a
//! resident ID number, an account number) never enters the SQL text: it is
//! checked, turned into the vault's keyed pseudonym (the form the data
//! holds) and scopes the whole session to that subject's rows.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ProductError;

/// A parameter's type and bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamType {
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// One of the listed values.
    Choice {
        /// Allowed values.
        values: Vec<String>,
    },
    /// A month `YYYY-MM`.
    Month,
    /// The subject the call is about (verification and score products):
    /// not a placeholder, it scopes the session to the subject's rows.
    Subject {
        /// What identifies the subject.
        id_kind: SubjectIdKind,
    },
}

/// What identifies a product's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectIdKind {
    /// A unified social credit code (GB 32100, check character verified).
    CreditCode,
    /// A resident ID number (GB 11643, check digit verified).
    ResidentId,
    /// A utility account number: 4 to 40 ASCII letters, digits or `-`.
    Account,
}

impl SubjectIdKind {
    /// The canonical form of `raw`, or `None` when it is not one.
    pub fn canonical(self, raw: &str) -> Option<String> {
        let t = raw.trim();
        match self {
            Self::CreditCode => crate::CreditCode::parse(t)
                .ok()
                .map(|c| c.as_str().to_owned()),
            Self::ResidentId => crate::ResidentIdNumber::parse(t)
                .ok()
                .map(|c| c.as_str().to_owned()),
            Self::Account => ((4..=40).contains(&t.len())
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .then(|| t.to_owned()),
        }
    }

    /// Chinese label, for errors.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::CreditCode => "统一社会信用代码",
            Self::ResidentId => "身份证号码",
            Self::Account => "户号",
        }
    }
}

/// A template bound to a call's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The SQL to run.
    pub sql: String,
    /// The subject's pseudonym, for products about one subject.
    pub subject: Option<String>,
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Name, as `:name` in the template (lower-case ASCII, digits, `_`).
    pub name: String,
    /// Chinese label for forms and errors.
    pub label_zh: String,
    /// Type and bounds.
    #[serde(flatten)]
    pub ty: ParamType,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_lowercase() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit()
}

/// A piece of a template: SQL text or a `:name` placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Sql(&'a str),
    Param(&'a str),
}

/// Splits `template` at placeholders outside string literals; a `:` inside
/// quotes, or `::` (a cast), is SQL text.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, ProductError> {
    let b = template.as_bytes();
    let (mut out, mut start, mut i, mut quoted) = (Vec::new(), 0, 0, false);
    while i < b.len() {
        match b[i] {
            b'\'' => quoted = !quoted,
            b':' if !quoted && b.get(i + 1) == Some(&b':') => i += 1,
            b':' if !quoted && b.get(i + 1).copied().is_some_and(is_name_start) => {
                let end = (i + 1..b.len())
                    .find(|&j| !is_name_byte(b[j]))
                    .unwrap_or(b.len());
                out.push(Piece::Sql(&template[start..i]));
                out.push(Piece::Param(&template[i + 1..end]));
                start = end;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if quoted {
        return Err(ProductError::Template {
            reason: "模板中的字符串引号不成对".into(),
        });
    }
    out.push(Piece::Sql(&template[start..]));
    Ok(out)
}

/// Checks that every placeholder is declared and every declaration but the
/// subject's used (the subject is never a placeholder), names are unique
/// and bounds are sane.
///
/// # Errors
/// [`ProductError::Template`] or [`ProductError::Param`] naming the problem.
pub fn check_declarations(template: &str, specs: &[ParamSpec]) -> Result<(), ProductError> {
    let mut declared = BTreeSet::new();
    for s in specs {
        let ok_name = s.name.bytes().next().is_some_and(is_name_start)
            && s.name.bytes().all(is_name_byte)
            && s.name.len() <= 40;
        if !ok_name || !declared.insert(s.name.as_str()) {
            return Err(ProductError::Param {
                name: s.name.clone(),
                reason: "参数名须为小写字母、数字或下划线（以字母开头），且不能重复".into(),
            });
        }
        let bad_bounds = match &s.ty {
            ParamType::Integer { min, max } => min > max,
            ParamType::Choice { values } => values.is_empty(),
            ParamType::Month | ParamType::Subject { .. } => false,
        };
        if bad_bounds {
            return Err(ProductError::Param {
                name: s.name.clone(),
                reason: "参数的取值范围为空".into(),
            });
        }
    }
    let used: BTreeSet<&str> = pieces(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Param(n) => Some(n),
            Piece::Sql(_) => None,
        })
        .collect();
    let subjects: BTreeSet<&str> = specs
        .iter()
        .filter(|s| matches!(s.ty, ParamType::Subject { .. }))
        .map(|s| s.name.as_str())
        .collect();
    if let Some(n) = used.intersection(&subjects).next() {
        return Err(ProductError::Param {
            name: (*n).to_owned(),
            reason: "主体参数不能写入模板：平台按主体限定查询范围，模板无需也不能引用主体标识"
                .into(),
        });
    }
    let declared: BTreeSet<&str> = declared.difference(&subjects).copied().collect();
    if let Some(n) = used.difference(&declared).next() {
        return Err(ProductError::Param {
            name: (*n).to_owned(),
            reason: "模板使用了未声明的参数".into(),
        });
    }
    if let Some(n) = declared.difference(&used).next() {
        return Err(ProductError::Param {
            name: (*n).to_owned(),
            reason: "声明的参数未在模板中使用".into(),
        });
    }
    Ok(())
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn is_month(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && matches!(v.get(5..7).and_then(|m| m.parse::<u8>().ok()), Some(1..=12))
}

/// Binds `values` into `template`; `pseudonym` turns a checked subject
/// identifier into the form the data holds (`None`: it cannot).
///
/// # Errors
/// [`ProductError::Param`] naming the first parameter that is unknown,
/// missing or invalid.
pub fn bind(
    template: &str,
    specs: &[ParamSpec],
    values: &BTreeMap<String, Value>,
    pseudonym: &dyn Fn(&str) -> Option<String>,
) -> Result<Bound, ProductError> {
    if let Some(unknown) = values.keys().find(|k| !specs.iter().any(|s| &s.name == *k)) {
        return Err(ProductError::Param {
            name: unknown.clone(),
            reason: "该产品没有这个参数".into(),
        });
    }
    let mut literals = BTreeMap::new();
    let mut subject = None;
    for s in specs {
        let bad = |reason: &str| ProductError::Param {
            name: s.name.clone(),
            reason: format!("{}：{reason}", s.label_zh),
        };
        let v = values.get(&s.name).ok_or_else(|| bad("缺少该参数"))?;
        let literal = match &s.ty {
            ParamType::Integer { min, max } => {
                let n = v.as_i64().ok_or_else(|| bad("须为整数"))?;
                if n < *min || n > *max {
                    return Err(bad(&format!("须在 {min} 到 {max} 之间")));
                }
                n.to_string()
            }
            ParamType::Choice { values: allowed } => {
                let t = v.as_str().ok_or_else(|| bad("须为文本"))?;
                if !allowed.iter().any(|a| a == t) {
                    return Err(bad(&format!("须为以下之一：{}", allowed.join("、"))));
                }
                quote(t)
            }
            ParamType::Month => {
                let t = v
                    .as_str()
                    .filter(|t| is_month(t))
                    .ok_or_else(|| bad("须为年月，如 2026-03"))?;
                quote(t)
            }
            ParamType::Subject { id_kind } => {
                let invalid = || bad(&format!("不是有效的{}", id_kind.label_zh()));
                let t = v.as_str().ok_or_else(invalid)?;
                let canonical = id_kind.canonical(t).ok_or_else(invalid)?;
                subject = Some(pseudonym(&canonical).ok_or_else(invalid)?);
                continue;
            }
        };
        literals.insert(s.name.as_str(), literal);
    }
    let mut out = String::with_capacity(template.len() + 32);
    for p in pieces(template)? {
        match p {
            Piece::Sql(t) => out.push_str(t),
            Piece::Param(n) => match literals.get(n) {
                Some(l) => out.push_str(l),
                None => {
                    return Err(ProductError::Param {
                        name: n.to_owned(),
                        reason: "模板使用了未声明的参数".into(),
                    });
                }
            },
        }
    }
    Ok(Bound { sql: out, subject })
}
