//! Finished jobs of an earlier, possibly interrupted run of the same sweep.
//!
//! Rows are appended and flushed one line at a time, so a run killed at any point (kill -9
//! included) leaves every finished row intact and at most one torn line at the end. Reading
//! cuts that line off the file, so the next append starts on a fresh line.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::Path;

use anyhow::Context;
use tracing::warn;

use crate::episode::{EvidenceRow, FailureKind};
use crate::report::load::read_evidence_file;

/// Rows of one sweep already in an evidence file, by job key.
#[derive(Debug, Default)]
pub struct Finished {
    pub rows: BTreeMap<String, EvidenceRow>,
    /// Bytes of a torn final line that were cut off.
    pub torn_bytes: u64,
}

impl Finished {
    /// Returns true when `key` needs no new run: it has a row, and that row is not an `error`
    /// while errors are retried.
    pub fn is_done(&self, key: &str, retry_errors: bool) -> bool {
        self.rows
            .get(key)
            .is_some_and(|row| !(retry_errors && row.outcome.failure == Some(FailureKind::Error)))
    }
}

/// Reads the rows of sweep `sweep` from `path` and cuts a torn final line off the file. A
/// missing file has no rows. Rows of other sweeps and of `pickloop run` are kept in the file
/// and ignored here; for a key with several rows, the last one counts.
pub fn read_finished(path: &Path, sweep: &str) -> anyhow::Result<Finished> {
    let mut finished = Finished::default();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(finished),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    finished.torn_bytes = cut_torn_line(path, &bytes)?;
    let (rows, _) = read_evidence_file(path)?;
    for loaded in rows {
        if let Some(tag) = loaded.row.sweep.as_ref().filter(|tag| tag.sweep == sweep) {
            finished.rows.insert(tag.job.clone(), loaded.row);
        }
    }
    Ok(finished)
}

/// Truncates `path`, whose content is `bytes`, after its last newline. Returns the number of
/// bytes cut off.
fn cut_torn_line(path: &Path, bytes: &[u8]) -> anyhow::Result<u64> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |end| end + 1);
    let torn_bytes = (bytes.len() - complete) as u64;
    if torn_bytes == 0 {
        return Ok(0);
    }
    warn!(
        file = %path.display(),
        bytes = torn_bytes,
        "the last line of the evidence file is incomplete (the run was interrupted while writing it); cutting it off"
    );
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {} to cut off its torn last line", path.display()))?;
    file.set_len(complete as u64)
        .with_context(|| format!("cannot cut the torn last line off {}", path.display()))?;
    Ok(torn_bytes)
}
