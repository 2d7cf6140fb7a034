//! Markdown and CSV tables of conditions and axes. The same rows always give the same bytes:
//! nothing here reads the clock or depends on input order.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use anyhow::Context;

use super::gate::GateResult;
use super::group::{AxisGroup, Condition, Counts, FAILURE_KINDS};
use super::load::Evidence;

/// Heading that starts the tables in `report.md`; everything above it describes the inputs.
pub const TABLES_HEADING: &str = "## Success by condition";

/// Sweeps, files and counts listed above the tables.
pub fn render_header(evidence: &Evidence) -> String {
    let sweeps: BTreeSet<&str> = evidence.rows.iter().map(|r| r.sweep.as_deref().unwrap_or("(rows without a sweep tag)")).collect();
    let mut out = String::from("# Pick report\n\n");
    let _ = writeln!(out, "- sweeps: {}", sweeps.into_iter().collect::<Vec<_>>().join(", "));
    let files: Vec<String> = evidence.files.iter().map(|f| format!("`{}`", f.display())).collect();
    let _ = writeln!(out, "- evidence files: {}", files.join(", "));
    let _ = writeln!(out, "- episodes: {}", evidence.rows.len());
    let _ = writeln!(out, "- duplicate rows dropped: {}", evidence.duplicates_dropped);
    let _ = writeln!(out, "- unfinished final lines skipped: {}", evidence.torn_lines);
    out.push('\n');
    out
}

/// Renders the condition table, the axis table and, when gates ran, the gate table.
pub fn render_tables(conditions: &[Condition], axes: &[AxisGroup], gates: &[GateResult]) -> String {
    let kinds: Vec<&str> = FAILURE_KINDS.iter().map(|k| k.as_str()).collect();
    let mut out = format!("{TABLES_HEADING}\n\n");
    let _ = writeln!(out, "| scene | axis | magnitude | unit | perception | baseline | {} | {} |", COUNT_COLUMNS.join(" | "), kinds.join(" | "));
    let _ = writeln!(out, "|---|---|---:|---|---|---|{}", "---:|".repeat(COUNT_COLUMNS.len() + kinds.len()));
    for c in conditions {
        let cells = count_cells(&c.counts);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&c.scene),
            md_cell(&c.axis),
            c.magnitude,
            md_cell(&c.unit),
            md_cell(&c.label),
            yes_no(c.baseline),
            cells.join(" | ")
        );
    }

    out.push_str("\n## Success by axis\n\nEach axis pools its magnitudes; `base` is the unperturbed scene.\n\n");
    let _ = writeln!(out, "| scene | axis | unit | perception | baseline | magnitudes | {} | {} |", COUNT_COLUMNS.join(" | "), kinds.join(" | "));
    let _ = writeln!(out, "|---|---|---|---|---|---:|{}", "---:|".repeat(COUNT_COLUMNS.len() + kinds.len()));
    for a in axes {
        let cells = count_cells(&a.counts);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&a.scene),
            md_cell(&a.axis),
            md_cell(&a.unit),
            md_cell(&a.label),
            yes_no(a.baseline),
            a.magnitudes,
            cells.join(" | ")
        );
    }

    if !gates.is_empty() {
        out.push_str("\n## Gates\n\n| scene | axis | perception | episodes | successes | rate | minimum | result |\n|---|---|---|---:|---:|---:|---:|---|\n");
        for g in gates {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.3} | {} | {} |",
                md_cell(&g.scene),
                md_cell(&g.axis),
                md_cell(&g.label),
                g.episodes,
                g.successes,
                g.rate,
                g.threshold,
                if g.passed { "pass" } else { "FAIL" }
            );
        }
    }
    out
}

/// Columns shared by both tables, before the failure kinds.
const COUNT_COLUMNS: [&str; 5] = ["episodes", "successes", "rate", "wilson_low", "wilson_high"];

fn count_cells(counts: &Counts) -> Vec<String> {
    let (low, high) = counts.interval();
    let mut cells = vec![
        counts.episodes.to_string(),
        counts.successes.to_string(),
        format!("{:.3}", counts.rate()),
        format!("{low:.3}"),
        format!("{high:.3}"),
    ];
    cells.extend(counts.failures.iter().map(u64::to_string));
    cells
}

/// Escapes `|`, which would end a Markdown table cell, and turns line breaks into spaces.
pub fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// Writes the condition table as CSV, one row per condition.
pub fn write_conditions_csv(path: &Path, conditions: &[Condition]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut header = vec!["scene", "axis", "magnitude", "unit", "perception", "baseline"];
    header.extend(COUNT_COLUMNS);
    header.extend(FAILURE_KINDS.iter().map(|k| k.as_str()));
    writer.write_record(&header)?;
    for c in conditions {
        let mut record = vec![
            c.scene.clone(),
            c.axis.clone(),
            c.magnitude.to_string(),
            c.unit.clone(),
            c.label.clone(),
            c.baseline.to_string(),
        ];
        record.extend(count_cells(&c.counts));
        writer.write_record(&record)?;
    }
    writer.flush().with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the axis table as CSV, one row per (scene, axis, perception label).
pub fn write_axes_csv(path: &Path, axes: &[AxisGroup]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut header = vec!["scene", "axis", "unit", "perception", "baseline", "magnitudes"];
    header.extend(COUNT_COLUMNS);
    header.extend(FAILURE_KINDS.iter().map(|k| k.as_str()));
    writer.write_record(&header)?;
    for a in axes {
        let mut record = vec![
            a.scene.clone(),
            a.axis.clone(),
            a.unit.clone(),
            a.label.clone(),
            a.baseline.to_string(),
            a.magnitudes.to_string(),
        ];
        record.extend(count_cells(&a.counts));
        writer.write_record(&record)?;
    }
    writer.flush().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::FailureKind;
    use crate::report::fixture::{loaded, swept_row};
    use crate::report::group::{axis_groups, conditions};

    #[test]
    fn tables_list_counts_and_failure_columns() {
        let rows = vec![
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1001, Some(FailureKind::Dropped))),
        ];
        let text = render_tables(&conditions(&rows).unwrap(), &axis_groups(&rows), &[]);
        assert!(text.contains("| tabletop_mugs | camera_azimuth | 20 | deg | siglip | no | 2 | 1 | 0.500 | 0.095 | 0.905 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |"), "{text}");
        assert!(!text.contains("## Gates"));
    }

    #[test]
    fn md_cell_escapes_pipes() {
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn csv_quotes_fields_with_commas() {
        let dir = tempfile::tempdir().unwrap();
        let mut row = loaded(swept_row("siglip", "camera_azimuth", 20.0, 1000, None));
        row.label = "siglip, tuned".to_owned();
        let path = dir.path().join("report.csv");
        write_conditions_csv(&path, &conditions(&[row]).unwrap()).unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[4], "siglip, tuned");
        assert_eq!(reader.headers().unwrap().len(), 11 + FAILURE_KINDS.len());
    }
}
