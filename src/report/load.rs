//! Loading evidence rows from run directories: torn final lines, merging and deduplication.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use crate::episode::{EvidenceRow, FailureKind};

/// File that `pickloop run` and sweeps append evidence rows to, inside a run directory.
pub const EVIDENCE_FILE: &str = "evidence.jsonl";
pub use crate::sweep::plan::BASE_AXIS;
use crate::sweep::plan::JOB_KEY_HEX_DIGITS;
/// Perceptions that plain `run` rows count as references (never gated), as sweeps mark them.
const BASELINE_PERCEPTIONS: [&str; 2] = ["oracle", "random"];

/// One evidence row with where it came from and the sweep fields that reports group by.
#[derive(Debug, Clone)]
pub struct LoadedRow {
    pub row: EvidenceRow,
    /// Sweep job key, or one derived from the episode's inputs for rows written by `run`.
    pub job: String,
    pub sweep: Option<String>,
    pub label: String,
    pub baseline: bool,
    pub axis: String,
    pub magnitude: f64,
    pub unit: String,
    /// Directory of the evidence file, where `gallery/JOB/` images of the episode live.
    pub run_dir: PathBuf,
    pub file: PathBuf,
    /// 1-based line number in `file`.
    pub line: usize,
}

impl LoadedRow {
    pub fn from_row(row: EvidenceRow, file: &Path, line: usize) -> Self {
        let run_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let (job, sweep, label, baseline, axis, magnitude, unit) = match &row.sweep {
            Some(tag) => (
                tag.job.clone(),
                Some(tag.sweep.clone()),
                tag.perception_label.clone(),
                tag.baseline,
                tag.axis.clone(),
                tag.magnitude,
                // The unperturbed scene has no unit; sweeps may still copy one into its tag.
                if tag.axis == BASE_AXIS { String::new() } else { tag.unit.clone() },
            ),
            None => (
                derived_job_key(&row),
                None,
                row.perception.name.clone(),
                BASELINE_PERCEPTIONS.contains(&row.perception.name.as_str()),
                BASE_AXIS.to_owned(),
                0.0,
                String::new(),
            ),
        };
        Self { row, job, sweep, label, baseline, axis, magnitude, unit, run_dir, file: file.to_path_buf(), line }
    }

    pub fn is_error(&self) -> bool {
        self.row.outcome.failure == Some(FailureKind::Error)
    }
}

/// Rows of one or more evidence files after merging, in a fixed order.
#[derive(Debug, Default)]
pub struct Evidence {
    pub rows: Vec<LoadedRow>,
    /// The evidence files read, in the order given.
    pub files: Vec<PathBuf>,
    /// Rows dropped because another row had the same job key.
    pub duplicates_dropped: usize,
    /// Unfinished final lines skipped.
    pub torn_lines: usize,
}

/// Reads `evidence.jsonl` of every run directory (or `.jsonl` file) in `inputs`, skips torn
/// final lines, keeps one row per job key and sorts the rows by scene, axis, magnitude,
/// perception label, seed and job key.
pub fn load_evidence(inputs: &[PathBuf]) -> anyhow::Result<Evidence> {
    if inputs.is_empty() {
        bail!("no run directories given; pass at least one directory that contains {EVIDENCE_FILE}");
    }
    let mut evidence = Evidence::default();
    let mut by_job: BTreeMap<String, LoadedRow> = BTreeMap::new();
    for input in inputs {
        let file = evidence_file(input)?;
        let (rows, torn) = read_evidence_file(&file)?;
        info!(file = %file.display(), rows = rows.len(), "read evidence rows");
        evidence.torn_lines += torn;
        for row in rows {
            if keep_one(&mut by_job, row) {
                evidence.duplicates_dropped += 1;
            }
        }
        evidence.files.push(file);
    }
    evidence.rows = by_job.into_values().collect();
    evidence.rows.sort_by(compare_rows);
    if evidence.duplicates_dropped > 0 {
        info!(dropped = evidence.duplicates_dropped, "dropped rows whose job key appeared before");
    }
    Ok(evidence)
}

/// Resolves a run directory to its evidence file; a file path is used as it is.
fn evidence_file(input: &Path) -> anyhow::Result<PathBuf> {
    if input.is_dir() {
        let file = input.join(EVIDENCE_FILE);
        if !file.is_file() {
            bail!("{} contains no {EVIDENCE_FILE}; pass a directory that `pickloop run` wrote or the .jsonl file", input.display());
        }
        return Ok(file);
    }
    if input.is_file() {
        return Ok(input.to_path_buf());
    }
    bail!("run directory or evidence file {} not found", input.display())
}

/// Parses every line of `file`. A final line without a newline that does not parse is a row
/// whose writer was killed mid-write: it is skipped with a warning. Any other invalid line is
/// an error. Returns the rows and the number of skipped lines.
pub fn read_evidence_file(file: &Path) -> anyhow::Result<(Vec<LoadedRow>, usize)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read evidence file {}", file.display()))?;
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut rows = Vec::with_capacity(lines.len());
    let mut torn = 0;
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<EvidenceRow>(line) {
            Ok(row) => rows.push(LoadedRow::from_row(row, file, number)),
            Err(error) if number == lines.len() && !ends_with_newline => {
                warn!("{}:{number}: skipping the unfinished final line ({error}); its episode was cut off mid-write", file.display());
                torn += 1;
            }
            Err(error) => bail!(
                "{}:{number}: invalid evidence row: {error}; remove or repair the line, or rerun the episode",
                file.display()
            ),
        }
    }
    Ok((rows, torn))
}

/// Inserts `row` unless its job key is taken. A row that did not end in an `error` failure
/// replaces an `error` row, otherwise the earlier row stays. Returns true when a row was dropped.
fn keep_one(by_job: &mut BTreeMap<String, LoadedRow>, row: LoadedRow) -> bool {
    let Some(kept) = by_job.get_mut(&row.job) else {
        by_job.insert(row.job.clone(), row);
        return false;
    };
    if kept.row.outcome.failure != row.row.outcome.failure {
        warn!(
            job = %row.job,
            "{}:{} and {}:{} ran the same job with different outcomes ({} and {})",
            kept.file.display(),
            kept.line,
            row.file.display(),
            row.line,
            outcome_name(&kept.row),
            outcome_name(&row.row),
        );
    }
    if kept.is_error() && !row.is_error() {
        *kept = row;
    }
    true
}

fn outcome_name(row: &EvidenceRow) -> &'static str {
    row.outcome.failure.map_or("success", |kind| kind.as_str())
}

/// Job key of a row without a sweep tag: SHA-256 over the scene hash, the perturbations, the
/// seed and the perception name and configuration.
pub fn derived_job_key(row: &EvidenceRow) -> String {
    let identity = serde_json::json!([
        row.scene.sha256,
        row.perturbation,
        row.seed,
        row.perception.name,
        row.perception.config,
    ]);
    let digest = Sha256::digest(identity.to_string().as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    hex[..JOB_KEY_HEX_DIGITS].to_owned()
}

/// Total order of rows used by every report: scene, axis (`base` first), magnitude, label,
/// seed, job key.
pub fn compare_rows(a: &LoadedRow, b: &LoadedRow) -> std::cmp::Ordering {
    a.row
        .scene
        .name
        .cmp(&b.row.scene.name)
        .then_with(|| axis_order(&a.axis).cmp(&axis_order(&b.axis)))
        .then_with(|| a.magnitude.total_cmp(&b.magnitude))
        .then_with(|| a.label.cmp(&b.label))
        .then_with(|| a.row.seed.cmp(&b.row.seed))
        .then_with(|| a.job.cmp(&b.job))
}

/// Sort key that puts the base axis before every perturbation axis.
pub fn axis_order(axis: &str) -> (bool, &str) {
    (axis != BASE_AXIS, axis)
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
