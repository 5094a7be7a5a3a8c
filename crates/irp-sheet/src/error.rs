//! The reader's errors: every problem found, each naming its place in the workbook.

use std::fmt;

/// The most problems one [`SheetError`] lists; [`SheetError::more`] says when there were more.
pub const MAX_PROBLEMS: usize = 100;

/// One problem, with its place: `Invoices!H7 (ItemList.Qty)`, `Invoices!A2:B3`,
/// `Invoices!9:9`, `Invoices` or `workbook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: a cell with its column's header, a range, a row, the sheet or the workbook.
    pub place: String,
    /// The sheet row (1-based, as Excel shows it) when the problem is in one row.
    pub row: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Why a workbook was not read: all the problems found (up to [`MAX_PROBLEMS`]). No invoice is
/// returned when there is any.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(.problems, *.more))]
pub struct SheetError {
    /// The problems, in the order of the sheet.
    pub problems: Vec<Problem>,
    /// True when more problems were found than are listed.
    pub more: bool,
}

fn render(problems: &[Problem], more: bool) -> String {
    let mut text = problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    if more {
        text.push_str(&format!(
            "\n… and more (only the first {MAX_PROBLEMS} are listed)"
        ));
    }
    text
}

impl SheetError {
    /// An error of one problem.
    pub(crate) fn one(place: impl Into<String>, message: impl Into<String>) -> Self {
        SheetError {
            problems: vec![Problem {
                place: place.into(),
                row: None,
                message: message.into(),
            }],
            more: false,
        }
    }
}

/// Collects problems up to [`MAX_PROBLEMS`].
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    more: bool,
}

impl Problems {
    pub(crate) fn push(&mut self, place: String, row: Option<u32>, message: String) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                place,
                row,
                message,
            });
        } else {
            self.more = true;
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.more
    }

    /// `Err` with the problems when there are any.
    pub(crate) fn check(&mut self) -> Result<(), SheetError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(SheetError {
                problems: std::mem::take(&mut self.list),
                more: self.more,
            })
        }
    }
}
