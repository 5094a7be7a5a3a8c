//! Acknowledgement number and date (`05` §2–3).

use std::fmt;

use chrono::{Datelike, NaiveDateTime};

/// A 15-digit acknowledgement number `P N YY 10 SSSSSSSSS` (D-27). Always written as a JSON
/// number, never a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckNo(u64);

/// Why an AckNo cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckNoError {
    #[error("portal digit must be 1 (IRP-1) or 2 (IRP-2), got {0}")]
    Portal(u8),
    #[error("node digit must be 1 to 9, got {0}")]
    Node(u8),
    #[error("the 9-digit sequence is exhausted")]
    SequenceExhausted,
}

/// The largest 9-digit sequence value.
pub const MAX_SEQUENCE: u64 = 999_999_999;

impl AckNo {
    /// Builds the number of portal `portal`, node `node`, in the calendar year of `ack_dt`.
    pub fn new(
        portal: u8,
        node: u8,
        ack_dt: NaiveDateTime,
        sequence: u64,
    ) -> Result<AckNo, AckNoError> {
        if !(1..=2).contains(&portal) {
            return Err(AckNoError::Portal(portal));
        }
        if !(1..=9).contains(&node) {
            return Err(AckNoError::Node(node));
        }
        if sequence == 0 || sequence > MAX_SEQUENCE {
            return Err(AckNoError::SequenceExhausted);
        }
        let year = ack_dt.year().rem_euclid(100) as u64;
        let number = u64::from(portal) * 100_000_000_000_000
            + u64::from(node) * 10_000_000_000_000
            + year * 100_000_000_000
            + 10 * 1_000_000_000
            + sequence;
        Ok(AckNo(number))
    }

    /// Reads a stored AckNo back; `None` unless it has exactly 15 digits.
    pub fn from_u64(value: u64) -> Option<AckNo> {
        (100_000_000_000_000..1_000_000_000_000_000)
            .contains(&value)
            .then_some(AckNo(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// The origin portal's digit (`1` = IRP-1, `2` = IRP-2).
    pub fn portal(self) -> u8 {
        (self.0 / 100_000_000_000_000) as u8
    }
}

impl fmt::Display for AckNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `yyyy-MM-dd HH:mm:ss`, the format of AckDt, token expiry and cancel dates.
pub fn format_timestamp(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The acknowledgement of one registration: number and IST time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    pub ack_no: AckNo,
    /// IST, with real seconds.
    pub ack_dt: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn ack_numbers_have_the_documented_shape() {
        let at = NaiveDate::from_ymd_opt(2025, 7, 1)
            .unwrap()
            .and_hms_opt(12, 34, 56)
            .unwrap();
        let ack = AckNo::new(1, 1, at, 42).unwrap();
        assert_eq!(ack.get(), 112510000000042);
        assert_eq!(ack.portal(), 1);
        assert_eq!(
            AckNo::new(2, 3, at, 999_999_999).unwrap().get(),
            232510999999999
        );
        assert_eq!(AckNo::new(0, 1, at, 1), Err(AckNoError::Portal(0)));
        assert_eq!(AckNo::new(3, 1, at, 1), Err(AckNoError::Portal(3)));
        assert_eq!(AckNo::new(1, 10, at, 1), Err(AckNoError::Node(10)));
        assert_eq!(
            AckNo::new(1, 1, at, 1_000_000_000),
            Err(AckNoError::SequenceExhausted)
        );
        assert_eq!(format_timestamp(at), "2025-07-01 12:34:56");
    }
}
