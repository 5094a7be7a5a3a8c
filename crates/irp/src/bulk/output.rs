//! What `irp bulk` writes: each element's result in input order, as JSON, CSV or XLSX, and the
//! state file beside it that makes a stopped run resumable.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::Kind;
use super::outcome::Outcome;

/// The formats results are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    /// The format a results file's extension names.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// How far a run got: saved beside the results after each stretch of written results, so
/// that `--resume` goes on from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub input: PathBuf,
    pub kind: Kind,
    pub format: Format,
    /// Elements `0..done` have their results written.
    pub done: u64,
    /// The length of the file being written when `done` was reached.
    pub bytes: u64,
    /// Elements before this may have been sent: a duplicate (or "already cancelled") answer
    /// to one of them is looked up rather than taken as a failure.
    pub sent_until: u64,
}

impl State {
    pub fn path(results: &Path) -> PathBuf {
        let mut name = results.as_os_str().to_owned();
        name.push(".state");
        PathBuf::from(name)
    }

    pub fn load(results: &Path) -> anyhow::Result<State> {
        let path = State::path(results);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (nothing to resume?)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Written to a new file then renamed over the old, so a stop never leaves half a state.
    pub fn save(&self, results: &Path) -> anyhow::Result<()> {
        let path = State::path(results);
        let temporary = path.with_extension("state.new");
        let mut file =
            File::create(&temporary).with_context(|| format!("writing {}", temporary.display()))?;
        file.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}

/// Writes results in input order. XLSX cannot be appended to, so its rows go to a CSV file
/// beside it while the run lasts and become the workbook at the end.
pub struct Writer {
    kind: Kind,
    format: Format,
    results: PathBuf,
    /// The file written while the run lasts: the results, or for XLSX the CSV beside them.
    path: PathBuf,
    file: BufWriter<File>,
    written: u64,
}

impl Writer {
    fn partial_csv(results: &Path) -> PathBuf {
        let mut name = results.as_os_str().to_owned();
        name.push(".partial.csv");
        PathBuf::from(name)
    }

    /// A new results file; refused if one is there already (resume it, or remove it).
    pub fn create(results: &Path, kind: Kind, format: Format) -> anyhow::Result<Writer> {
        let path = match format {
            Format::Xlsx => Writer::partial_csv(results),
            _ => results.to_owned(),
        };
        for existing in [results, &path] {
            if existing.exists() {
                bail!(
                    "{} exists: give --resume to go on with the run that wrote it, or remove it",
                    existing.display()
                );
            }
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        let mut writer = Writer {
            kind,
            format,
            results: results.to_owned(),
            path,
            file: BufWriter::new(file),
            written: 0,
        };
        match format {
            Format::Json => writer.file.write_all(b"[")?,
            Format::Csv | Format::Xlsx => {
                writer.file.write_all(kind.csv_header().as_bytes())?;
                writer.file.write_all(b"\r\n")?;
            }
        }
        Ok(writer)
    }

    /// The file of a stopped run, cut back to what `state` says was written.
    pub fn resume(results: &Path, state: &State) -> anyhow::Result<Writer> {
        let path = match state.format {
            Format::Xlsx => Writer::partial_csv(results),
            _ => results.to_owned(),
        };
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {} to resume", path.display()))?;
        file.set_len(state.bytes)?;
        file.seek(SeekFrom::End(0))?;
        Ok(Writer {
            kind: state.kind,
            format: state.format,
            results: results.to_owned(),
            path,
            file: BufWriter::new(file),
            written: state.done,
        })
    }

    pub fn write(&mut self, outcome: &Outcome) -> anyhow::Result<()> {
        match self.format {
            Format::Json => {
                if self.written > 0 {
                    self.file.write_all(b",\n")?;
                }
                self.file.write_all(outcome.json.as_bytes())?;
            }
            Format::Csv | Format::Xlsx => {
                self.file.write_all(outcome.csv.as_bytes())?;
                self.file.write_all(b"\r\n")?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Makes what was written durable and says how long the file is.
    pub fn sync(&mut self) -> anyhow::Result<u64> {
        self.file.flush()?;
        let file = self.file.get_ref();
        file.sync_data()?;
        Ok(file.metadata()?.len())
    }

    /// Ends the file: closes the JSON array, or turns the CSV into the workbook.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if self.format == Format::Json {
            self.file.write_all(b"]\n")?;
        }
        self.sync()?;
        if self.format == Format::Xlsx {
            let workbook = super::outcome::workbook_from_csv(self.kind, &self.path)?;
            std::fs::write(&self.results, workbook)
                .with_context(|| format!("writing {}", self.results.display()))?;
            std::fs::remove_file(&self.path)?;
        }
        Ok(())
    }
}
