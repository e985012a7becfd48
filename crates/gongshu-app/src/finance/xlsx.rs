//! A report as an xlsx workbook (`rust_xlsxwriter`): a cover sheet, then
//! one sheet per table, amounts in yuan with two decimals, and total rows
//! as `SUM` formulas (with their computed result stored, so readers that do
//! not recalculate still see the figure).
//!
//! Spreadsheet numbers are IEEE doubles. Amounts cross over once, here, by
//! parsing the exact decimal text of [`Money`] (what a person typing it in
//! would do); no arithmetic is done on the double.

use gongshu_domain::Money;
use rust_xlsxwriter::{Format, Formula, Workbook, Worksheet, XlsxError};

use super::reports::{Cell, ReportView, Section};
use crate::AppError;

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

fn number(text: &str) -> Result<f64, AppError> {
    text.parse::<f64>()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Excel's column letters for a 0-based column (A, B, …, Z, AA, …).
fn column_letters(mut col: u16) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'A' + u8::try_from(col % 26).unwrap_or(0)));
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.iter().rev().collect()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`,
/// unique within the workbook.
fn sheet_name(index: usize, title: &str) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\'".contains(*c))
        .take(24)
        .collect();
    format!(
        "{}{}",
        index + 1,
        if clean.is_empty() {
            String::new()
        } else {
            format!(" {clean}")
        }
    )
}

struct Formats {
    title: Format,
    header: Format,
    money: Format,
    total: Format,
    total_money: Format,
}

fn write_section(sheet: &mut Worksheet, f: &Formats, section: &Section) -> Result<(), AppError> {
    sheet
        .write_string_with_format(0, 0, &section.title, &f.title)
        .map_err(xlsx_error)?;
    for (c, name) in section.columns.iter().enumerate() {
        let col = u16::try_from(c).map_err(|e| AppError::Internal(e.to_string()))?;
        sheet
            .write_string_with_format(2, col, name, &f.header)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(col, if c == 0 { 36_u16 } else { 20_u16 })
            .map_err(xlsx_error)?;
    }
    let first = 3_u32;
    let mut totals: Vec<Option<(bool, i128)>> = vec![None; section.columns.len()];
    for (r, row) in section.rows.iter().enumerate() {
        let at = first + u32::try_from(r).map_err(|e| AppError::Internal(e.to_string()))?;
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| AppError::Internal(e.to_string()))?;
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(at, col, t).map_err(xlsx_error)?;
                }
                Cell::Money(m) => {
                    sheet
                        .write_number_with_format(at, col, number(&m.to_string())?, &f.money)
                        .map_err(xlsx_error)?;
                    if let Some(slot) = totals.get_mut(c) {
                        let prev = slot.map_or(0, |(_, v)| v);
                        *slot = Some((true, prev + i128::from(m.fen())));
                    }
                }
                Cell::Int(n) => {
                    sheet
                        .write_number(at, col, number(&n.to_string())?)
                        .map_err(xlsx_error)?;
                    if let Some(slot) = totals.get_mut(c) {
                        let prev = slot.map_or(0, |(_, v)| v);
                        *slot = Some((false, prev + i128::from(*n)));
                    }
                }
            }
        }
    }
    if section.total && !section.rows.is_empty() {
        let at = first
            + u32::try_from(section.rows.len()).map_err(|e| AppError::Internal(e.to_string()))?;
        sheet
            .write_string_with_format(at, 0, "合计", &f.total)
            .map_err(xlsx_error)?;
        for (c, total) in totals.iter().enumerate() {
            let Some((is_money, sum)) = total else {
                continue;
            };
            let col = u16::try_from(c).map_err(|e| AppError::Internal(e.to_string()))?;
            let letters = column_letters(col);
            let result = if *is_money {
                Money::from_fen(i64::try_from(*sum).map_err(|e| AppError::Internal(e.to_string()))?)
                    .to_string()
            } else {
                sum.to_string()
            };
            let formula = Formula::new(format!("=SUM({letters}{}:{letters}{at})", first + 1))
                .set_result(result);
            let format = if *is_money { &f.total_money } else { &f.total };
            sheet
                .write_formula_with_format(at, col, formula, format)
                .map_err(xlsx_error)?;
        }
    }
    Ok(())
}

/// The workbook of `report`, as bytes.
///
/// # Errors
/// Internal errors of the writer.
pub fn report_xlsx(report: &ReportView) -> Result<Vec<u8>, AppError> {
    let f = Formats {
        title: Format::new().set_bold().set_font_size(14_u16),
        header: Format::new()
            .set_bold()
            .set_background_color("#DCE6F1")
            .set_border(rust_xlsxwriter::FormatBorder::Thin),
        money: Format::new().set_num_format("#,##0.00"),
        total: Format::new().set_bold(),
        total_money: Format::new().set_bold().set_num_format("#,##0.00"),
    };
    let mut book = Workbook::new();
    let cover = book.add_worksheet();
    cover.set_name("封面").map_err(xlsx_error)?;
    cover.set_column_width(0, 18_u16).map_err(xlsx_error)?;
    cover.set_column_width(1, 70_u16).map_err(xlsx_error)?;
    cover
        .write_string_with_format(0, 0, &report.doc.title, &f.title)
        .map_err(xlsx_error)?;
    let facts = [
        ("编制说明", report.doc.subtitle.clone()),
        ("报送期限", report.doc.due_on.to_string()),
        (
            "生成时间（UTC）",
            report.generated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        ),
        ("内容摘要 SHA-256", report.sha256.clone()),
        ("报告编号", report.id.clone()),
    ];
    for (i, (k, v)) in facts.iter().enumerate() {
        let row = 2 + u32::try_from(i).map_err(|e| AppError::Internal(e.to_string()))?;
        cover
            .write_string_with_format(row, 0, *k, &f.header)
            .map_err(xlsx_error)?;
        cover.write_string(row, 1, v).map_err(xlsx_error)?;
    }
    for (i, section) in report.doc.sections.iter().enumerate() {
        let sheet = book.add_worksheet();
        sheet
            .set_name(sheet_name(i, &section.title))
            .map_err(xlsx_error)?;
        write_section(sheet, &f, section)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn sheet_names_are_short_unique_and_clean() {
        let a = sheet_name(0, "一、运营机构基本情况：[附表]/说明*");
        assert!(a.chars().count() <= 31);
        assert!(!a.contains(['[', ']', '/', '*']));
        assert_ne!(sheet_name(1, "同名"), sheet_name(2, "同名"));
    }
}
