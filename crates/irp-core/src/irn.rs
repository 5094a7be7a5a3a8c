//! The IRN: SHA-256 of supplier GSTIN, financial year, document type and number (`05` §1).

use std::fmt;

use aws_lc_rs::digest;
use chrono::{Datelike, NaiveDate};

use crate::invoice::{DocType, Invoice};

/// An Invoice Reference Number: 64 lowercase hexadecimal characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Irn(String);

impl Irn {
    /// Computes the IRN. `doc_no` must already be in its stored form (upper-cased when
    /// `irn.uppercase_docno` is on); the GSTIN and type are upper-cased here.
    pub fn compute(
        seller_gstin: &str,
        doc_date: NaiveDate,
        doc_type: DocType,
        doc_no: &str,
    ) -> Irn {
        let fy = financial_year(doc_date);
        let gstin = seller_gstin.to_ascii_uppercase();
        let mut input = String::with_capacity(gstin.len() + fy.len() + 3 + doc_no.len());
        input.push_str(&gstin);
        input.push_str(&fy);
        input.push_str(doc_type.code());
        input.push_str(doc_no);
        let hash = digest::digest(&digest::SHA256, input.as_bytes());
        Irn(hex_lower(hash.as_ref()))
    }

    /// The IRN of a bound invoice.
    pub fn of(invoice: &Invoice) -> Irn {
        let doc = &invoice.doc_dtls;
        Irn::compute(invoice.seller_dtls.gstin.as_str(), doc.dt, doc.typ, &doc.no)
    }

    /// Parses an IRN from a path or request: 64 hex characters in any case, kept in lowercase.
    pub fn parse(text: &str) -> Option<Irn> {
        let valid = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Irn(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Irn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The financial year of a date as `YYYY-YY`: April starts a new year.
pub fn financial_year(date: NaiveDate) -> String {
    let start = if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    };
    format!("{start:04}-{:02}", (start + 1).rem_euclid(100))
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0x0f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%d/%m/%Y").unwrap()
    }

    #[test]
    fn financial_years_turn_in_april() {
        assert_eq!(financial_year(date("16/09/2022")), "2022-23");
        assert_eq!(financial_year(date("15/03/2023")), "2022-23");
        assert_eq!(financial_year(date("01/04/2023")), "2023-24");
        assert_eq!(financial_year(date("10/05/2099")), "2099-00");
    }

    /// `05` §1.1: the five NIC sandbox vectors, number hashed as sent and upper-cased.
    #[test]
    fn nic_test_vectors() {
        let vectors = [
            (
                "01AMBPG7773M002",
                "01/06/2022",
                DocType::Invoice,
                "SINV-CFY-00067",
                "706daeccda0ef6f818da78f3a2a05a1288731057373002289b46c3229289a2e7",
                "706daeccda0ef6f818da78f3a2a05a1288731057373002289b46c3229289a2e7",
            ),
            (
                "01AMBPG7773M002",
                "01/06/2022",
                DocType::Invoice,
                "g2qxhY",
                "68fb4fab44aee99fb23292478c4bd838e664837c9f1b04e3d9134ffed0b40b60",
                "e5f2ee9756dc1a08326e042c6a5d320501073e5b2662e4832435d2f6b2051e67",
            ),
            (
                "01AMBPG7773M002",
                "01/06/2022",
                DocType::CreditNote,
                "g2qxhY",
                "1c96258af085e45da556494ea5e5a7b401a598ab80af4136309c2dac7b54d795",
                "e33d3d9986df65c11b1e0c3661bf252a40ca7ea72998ce989d811380ab711d69",
            ),
            (
                "01AMBPG7773M002",
                "01/06/2022",
                DocType::DebitNote,
                "g2qxhY",
                "24f37c80532583c6894d8153e2b12494daa80ddbb197f0fc2c1bac07db67f933",
                "f9d5928fce7c3f78aedca24eb72a566e0470a9d3f1aa6492732d0a264feb6491",
            ),
            (
                "02AMBPG7773M002",
                "01/06/2023",
                DocType::Invoice,
                "9sQ5E2",
                "2ecc42a8e81dcbbb56923e4bd046c861ce7374060bd31875ce35447e922c9399",
                "8874725d14204345d901ed168798f9fe8578d3c6e87ef6beecb4cb9894c8b4a9",
            ),
        ];
        for (gstin, dt, typ, no, as_sent, upper) in vectors {
            assert_eq!(
                Irn::compute(gstin, date(dt), typ, no).as_str(),
                as_sent,
                "{no} as sent"
            );
            assert_eq!(
                Irn::compute(gstin, date(dt), typ, &no.to_ascii_uppercase()).as_str(),
                upper,
                "{no} upper"
            );
        }
    }

    #[test]
    fn golden_sample_irn() {
        let irn = Irn::compute(
            "37ARZPT4384Q1MT",
            date("18/08/2020"),
            DocType::Invoice,
            "DOC/001",
        );
        assert_eq!(
            irn.as_str(),
            "27fe30da6b5c920241e8c4f3017ec8076b971264ca5ba36c538dfafbc15840ee"
        );
    }

    #[test]
    fn parse_accepts_any_case_and_rejects_other_lengths() {
        let upper = "27FE30DA6B5C920241E8C4F3017EC8076B971264CA5BA36C538DFAFBC15840EE";
        assert_eq!(
            Irn::parse(upper).unwrap().as_str(),
            upper.to_ascii_lowercase()
        );
        assert!(Irn::parse(&upper[1..]).is_none());
        assert!(Irn::parse(&upper.replace('F', "G")).is_none());
    }
}
