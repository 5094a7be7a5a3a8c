//! The documents of an input file, one at a time: a JSON array read as a stream, the Excel
//! template read whole (a workbook cannot be streamed, and Excel caps a sheet at about a
//! million rows), or for cancellation a CSV of `Irn,CnlRsn,CnlRem` read as a stream.

use std::fs::File;
use std::io::{BufReader, Read as _};
use std::path::Path;

use anyhow::{Context as _, bail};

use super::Kind;
use super::stream::ArrayReader;

/// The largest Excel file read: a full sheet of a million item rows fits.
const MAX_WORKBOOK_BYTES: usize = 512 * 1024 * 1024;

pub enum Source {
    Json(ArrayReader<BufReader<File>>, bool),
    Documents(std::vec::IntoIter<Vec<u8>>),
    Csv(csv::StringRecordsIntoIter<File>, [Option<usize>; 3]),
}

fn is_xlsx(path: &Path) -> anyhow::Result<bool> {
    let mut magic = [0_u8; 4];
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let read = file.read(&mut magic)?;
    Ok(read == 4 && magic == *b"PK\x03\x04")
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

impl Source {
    pub fn open(kind: Kind, path: &Path) -> anyhow::Result<Source> {
        if is_xlsx(path)? {
            if kind == Kind::Cancel {
                bail!("cancellations are read from a CSV or JSON file, not a workbook");
            }
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let limits = irp_sheet::Limits {
                max_bytes: MAX_WORKBOOK_BYTES,
                max_rows: 1_048_575,
            };
            let documents = irp_sheet::read_invoices(&bytes, &limits)
                .map_err(|error| anyhow::anyhow!("{} is refused:\n{error}", path.display()))?;
            return Ok(Source::Documents(
                documents
                    .into_iter()
                    .map(|d| d.json.into_bytes())
                    .collect::<Vec<_>>()
                    .into_iter(),
            ));
        }
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        if kind == Kind::Cancel && is_csv(path) {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(file);
            let headers = reader.headers()?.clone();
            let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
            let columns = [column("Irn"), column("CnlRsn"), column("CnlRem")];
            if columns[0].is_none() || columns[1].is_none() {
                bail!(
                    "{}: the CSV needs the columns Irn and CnlRsn (CnlRem is optional)",
                    path.display()
                );
            }
            return Ok(Source::Csv(reader.into_records(), columns));
        }
        Ok(Source::Json(
            ArrayReader::new(BufReader::with_capacity(64 * 1024, file)),
            kind == Kind::Generate,
        ))
    }

    pub fn next(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Source::Json(reader, wrapper) => reader.next_element(*wrapper),
            Source::Documents(documents) => Ok(documents.next()),
            Source::Csv(records, [irn, reason, remark]) => {
                let Some(record) = records.next() else {
                    return Ok(None);
                };
                let record = record?;
                let field = |column: &Option<usize>| {
                    column.and_then(|n| record.get(n)).unwrap_or("").to_owned()
                };
                let mut object = serde_json::Map::new();
                object.insert("Irn".into(), field(irn).into());
                object.insert("CnlRsn".into(), field(reason).into());
                let remark = field(remark);
                if !remark.is_empty() {
                    object.insert("CnlRem".into(), remark.into());
                }
                Ok(Some(serde_json::to_vec(&object)?))
            }
        }
    }

    /// How many documents the file holds, read through once.
    pub fn count(kind: Kind, path: &Path) -> anyhow::Result<u64> {
        let mut source = Source::open(kind, path)?;
        let mut count = 0;
        while source.next()?.is_some() {
            count += 1;
        }
        Ok(count)
    }
}
