//! `pickloop compare`: paired success difference of two runs that differ only in the encoder
//! or routing.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use tracing::info;

use pickloop::report::compare::{pair_runs, render_markdown, summarize, write_csv, DEFAULT_RESAMPLES};
use pickloop::report::load::load_evidence;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run A: a run directory that contains evidence.jsonl, or a .jsonl file.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// Run B, compared against A: differences are B − A.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Write the comparison to FILE.md and FILE.csv (an extension on FILE is replaced).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Bootstrap resamples of the pairs for the 95 % interval of B − A.
    #[arg(long, default_value_t = DEFAULT_RESAMPLES, value_name = "N")]
    pub resamples: usize,
    /// Seed of the bootstrap's random stream.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Perception label to take from A when A contains several (a sweep with several perceptions).
    #[arg(long, value_name = "LABEL")]
    pub label_a: Option<String>,
    /// Perception label to take from B when B contains several.
    #[arg(long, value_name = "LABEL")]
    pub label_b: Option<String>,
}

pub fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    if args.resamples == 0 {
        bail!("--resamples 0 leaves no bootstrap samples; pass at least 1 (default {DEFAULT_RESAMPLES})");
    }
    let a = load_evidence(std::slice::from_ref(&args.a)).with_context(|| format!("cannot load run A {}", args.a.display()))?;
    let b = load_evidence(std::slice::from_ref(&args.b)).with_context(|| format!("cannot load run B {}", args.b.display()))?;
    let pairing = pair_runs(&a, &b, args.label_a.as_deref(), args.label_b.as_deref())?;
    let rows = summarize(&pairing.pairs, args.resamples, args.seed);
    let inputs = (args.a.display().to_string(), args.b.display().to_string());
    let markdown = render_markdown(&pairing, &rows, (&inputs.0, &inputs.1), args.resamples, args.seed);
    println!("{markdown}");

    if let Some(out) = &args.out {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let md_path = out.with_extension("md");
        let csv_path = out.with_extension("csv");
        std::fs::write(&md_path, &markdown).with_context(|| format!("cannot write {}", md_path.display()))?;
        write_csv(&csv_path, &rows)?;
        info!(markdown = %md_path.display(), csv = %csv_path.display(), "wrote the comparison");
    }
    Ok(ExitCode::SUCCESS)
}
