//! `pickloop bench sweep`: episodes per minute of a sweep at several worker counts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use tracing::info;

use pickloop::episode::EvidenceRow;
use pickloop::sweep::{self, Shard, SweepOptions};

use super::super::check::load_checked;
use super::super::sweep::worker_command;

#[derive(Debug, Args)]
pub struct SweepBenchArgs {
    /// Sweep file to run once per worker count.
    #[arg(default_value = "sweeps/smoke.ron")]
    pub file: PathBuf,
    /// Worker counts to time, e.g. `--jobs 1 2`.
    #[arg(long, num_args = 1.., default_values_t = [1, 2])]
    pub jobs: Vec<usize>,
    /// Time only shard I of N of the sweep, to keep a large sweep short.
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: Shard,
}

/// Counts rows as they arrive; the benchmark prints its own table.
struct Count(usize);

impl sweep::Progress for Count {
    fn start(&mut self, _to_run: usize, _skipped: usize) {}

    fn row(&mut self, _row: &EvidenceRow) {
        self.0 += 1;
    }
}

pub fn bench_sweep(args: &SweepBenchArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    if args.jobs.contains(&0) {
        bail!("--jobs 0 runs nothing; pass worker counts of at least 1");
    }
    println!("| workers | episodes | errors | wall s | episodes/min |");
    println!("|---:|---:|---:|---:|---:|");
    for &jobs in &args.jobs {
        let out = tempfile::tempdir().context("cannot create a scratch directory for the sweep")?;
        let options = SweepOptions {
            file: args.file.clone(),
            out: out.path().to_path_buf(),
            jobs,
            resume: false,
            retry_errors: false,
            shard: args.shard,
            episode_timeout_s: None,
            no_gallery: true,
        };
        let prepared = sweep::prepare(&options, assets, load_checked)?;
        let command = worker_command(assets, out.path(), 0, jobs)?;
        let mut count = Count(0);
        info!(jobs, episodes = prepared.jobs.len(), "timing the sweep");
        let started = Instant::now();
        let tally = sweep::run(&prepared, &options, &command, &mut count)?;
        let wall_s = started.elapsed().as_secs_f64();
        println!(
            "| {jobs} | {} | {} | {wall_s:.1} | {:.2} |",
            tally.ran,
            tally.errors,
            tally.ran as f64 * 60.0 / wall_s
        );
    }
    Ok(ExitCode::SUCCESS)
}
