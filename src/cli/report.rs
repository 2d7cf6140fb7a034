//! `pickloop report`: tables, plots, gallery, gates and JUnit over the rows of run directories.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use tracing::{info, warn};

use pickloop::report::gate::{evaluate, GateResult, GateSpec, Gates};
use pickloop::report::group::{axis_groups, conditions};
use pickloop::report::load::load_evidence;
use pickloop::report::{gallery, junit, plot, table};

use super::EXIT_GATE_FAILED;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run directories that contain evidence.jsonl, or .jsonl files. Rows of all of them are
    /// merged, and a job key seen twice is counted once.
    #[arg(required = true, value_name = "DIR")]
    pub inputs: Vec<PathBuf>,
    /// Directory that receives report.md, report.csv, axes.csv, gallery.md, plots/ and gallery/.
    #[arg(long, value_name = "REPORT_DIR")]
    pub out: PathBuf,
    /// Minimum success rate, a share in 0..=1. `RATE` applies to every axis, `AXIS=RATE` to
    /// one axis and overrides `RATE` there; repeat for more axes. Each (scene, perception,
    /// axis) group is checked over all its magnitudes; baseline perceptions are not checked.
    /// Exit status 1 when a group is below its minimum.
    #[arg(long, value_name = "RATE|AXIS=RATE")]
    pub min_success: Vec<GateSpec>,
    /// Also write JUnit XML to this file: a test suite per perception, a test case per
    /// (scene, axis, magnitude).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let gates = Gates::from_specs(&args.min_success)?;
    let evidence = load_evidence(&args.inputs)?;
    let conditions = conditions(&evidence.rows)?;
    let axes = axis_groups(&evidence.rows);
    let gate_results = if gates.is_empty() { Vec::new() } else { evaluate(&axes, &gates)? };

    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create the report directory {}; pass a writable --out", out.display()))?;
    let tables = table::render_tables(&conditions, &axes, &gate_results);
    let markdown = format!("{}{tables}", table::render_header(&evidence));
    write_file(&out.join("report.md"), &markdown)?;
    table::write_conditions_csv(&out.join("report.csv"), &conditions)?;
    table::write_axes_csv(&out.join("axes.csv"), &axes)?;
    plot::write_plots(&out.join("plots"), &plot::axis_plots(&conditions))?;
    gallery::write_gallery(out, &evidence.rows)?;
    if let Some(path) = &args.junit {
        write_junit(path, &conditions, &gate_results)?;
    }
    println!("{markdown}");
    info!(rows = evidence.rows.len(), dir = %out.display(), "wrote the report");

    let errors: u64 = conditions.iter().map(|c| c.counts.errors()).sum();
    if errors > 0 {
        warn!("{errors} episodes could not run (failure kind `error`); they count as failures");
    }
    if !gates.is_empty() && gate_results.is_empty() {
        warn!("--min-success checked no group: every row is a baseline perception");
    }
    let failing: Vec<&GateResult> = gate_results.iter().filter(|g| !g.passed).collect();
    for gate in &failing {
        warn!(
            "gate failed: scene {} / perception {} / axis {}: success rate {:.3} over {} episodes is below --min-success {}",
            gate.scene, gate.label, gate.axis, gate.rate, gate.episodes, gate.threshold
        );
    }
    if failing.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(EXIT_GATE_FAILED))
    }
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn write_junit(path: &Path, conditions: &[pickloop::report::group::Condition], gates: &[GateResult]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = std::fs::File::create(path).with_context(|| format!("cannot create the JUnit file {}", path.display()))?;
    junit::write_junit(std::io::BufWriter::new(file), conditions, gates)
        .with_context(|| format!("cannot write the JUnit file {}", path.display()))?;
    info!(path = %path.display(), "wrote JUnit XML");
    Ok(())
}
