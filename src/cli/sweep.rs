//! `pickloop sweep`: run a sweep file's episodes in worker processes, with a progress bar.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::ProgressStyle;
use tracing::{info, info_span};
use tracing_indicatif::span_ext::IndicatifSpanExt;

use pickloop::sweep::{self, Shard, SweepOptions, WorkerCommand};

use super::check::load_checked;
use super::EXIT_ERROR;

/// Log filter of workers when RUST_LOG is unset.
const WORKER_LOG_FILTER: &str = "info,wgpu=error,naga=warn,bevy_render=error,bevy_light=error,bevy_app=warn";

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep file (RON); see docs/sweeps.md and sweeps/.
    pub file: PathBuf,
    /// Directory that receives evidence.jsonl (appended), sweep.json and gallery/.
    #[arg(long)]
    pub out: PathBuf,
    /// Worker processes running episodes at the same time.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Run only the jobs that have no row in OUT/evidence.jsonl yet.
    #[arg(long)]
    pub resume: bool,
    /// With --resume, also run again the jobs whose rows ended as `error`.
    #[arg(long, requires = "resume")]
    pub retry_errors: bool,
    /// Run only shard I of N (1-based): job k of the plan belongs to shard k mod N + 1.
    #[arg(long, value_name = "I/N", default_value = "1/1")]
    pub shard: Shard,
    /// Wall-clock limit per episode in seconds; overrides the file's episode_timeout_s.
    #[arg(long, value_name = "SECONDS")]
    pub episode_timeout: Option<f64>,
    /// Do not keep frames of failed episodes.
    #[arg(long)]
    pub no_gallery: bool,
    /// Print the plan (one line per job of the shard) and exit without running anything.
    #[arg(long)]
    pub list: bool,
}

/// The hidden worker subcommand that `sweep` starts.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The sweep's output directory, for galleries.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run_sweep(args: &SweepArgs, assets: &Path, verbose: u8) -> anyhow::Result<ExitCode> {
    if args.jobs == 0 {
        bail!("--jobs 0 runs nothing; pass at least 1 worker process");
    }
    let options = SweepOptions {
        file: args.file.clone(),
        out: args.out.clone(),
        jobs: args.jobs,
        resume: args.resume,
        retry_errors: args.retry_errors,
        shard: args.shard,
        episode_timeout_s: args.episode_timeout,
        no_gallery: args.no_gallery,
    };
    let prepared = sweep::prepare(&options, assets, load_checked)?;
    if args.list {
        print_plan(&prepared, args.shard);
        return Ok(ExitCode::SUCCESS);
    }

    let command = worker_command(assets, &args.out, verbose, args.jobs)?;
    let mut progress = ProgressBar::new(&prepared.file.name);
    let _entered = progress.span.clone().entered();
    let tally = sweep::run(&prepared, &options, &command, &mut progress)?;
    info!(
        ran = tally.ran,
        skipped = tally.skipped,
        successes = tally.successes,
        errors = tally.errors,
        "sweep finished; rows in {}; run `pickloop report {} --out {}` for tables and plots",
        args.out.join("evidence.jsonl").display(),
        args.out.display(),
        args.out.join("report").display()
    );
    if tally.errors > 0 {
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_worker(args: &WorkerArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let context = sweep::worker::WorkerContext {
        assets: assets.to_path_buf(),
        out_dir: args.out.clone(),
        load_scene: load_checked,
    };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    sweep::worker::serve(stdin, stdout, &context)?;
    Ok(ExitCode::SUCCESS)
}

/// Environment variables that size the thread pools of lavapipe (`LP_NUM_THREADS`) and of
/// candle's matrix products (`RAYON_NUM_THREADS`) in each worker.
const THREAD_POOL_VARS: [&str; 2] = ["LP_NUM_THREADS", "RAYON_NUM_THREADS"];

/// This executable, started as a worker with the same assets and verbosity. With several
/// workers, each gets an equal share of the cores for its thread pools unless the caller set
/// the variables. On the 2-core development machine, two single-threaded workers ran 37.0
/// episodes/min, and two workers that each used every core ran 30.0 (docs/benchmarks.md).
pub(super) fn worker_command(assets: &Path, out: &Path, verbose: u8, jobs: usize) -> anyhow::Result<WorkerCommand> {
    let program = std::env::current_exe().context("cannot find the pickloop executable to start workers")?;
    let mut args: Vec<OsString> = vec!["--assets".into(), assets.into()];
    for _ in 0..verbose {
        args.push("-v".into());
    }
    args.extend(["sweep-worker".into(), "--out".into(), out.into()]);
    // Every worker starts renderers; Bevy's warning about the software adapter would repeat
    // for each, so workers log only Bevy's errors unless RUST_LOG sets a filter.
    let mut envs = Vec::new();
    if verbose == 0 && std::env::var_os("RUST_LOG").is_none() {
        envs.push(("RUST_LOG".into(), WORKER_LOG_FILTER.into()));
    }
    if jobs > 1 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_worker = (cores / jobs).max(1).to_string();
        for var in THREAD_POOL_VARS {
            if std::env::var_os(var).is_none() {
                envs.push((var.into(), per_worker.clone().into()));
            }
        }
    }
    Ok(WorkerCommand { program, args, envs })
}

fn print_plan(prepared: &sweep::PreparedSweep, shard: Shard) {
    println!("index\tkey\tscene\taxis\tmagnitude\tunit\tperception\tseed");
    for job in prepared.jobs.iter().filter(|job| shard.contains(job)) {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            job.index,
            job.key,
            job.scene.display(),
            job.axis,
            job.magnitude,
            job.unit,
            job.perception.label,
            job.seed
        );
    }
}

/// The sweep's progress bar: done jobs of this run, with success and failure counts.
struct ProgressBar {
    span: tracing::Span,
    name: String,
    successes: u64,
    failures: u64,
}

impl ProgressBar {
    fn new(name: &str) -> Self {
        let span = info_span!("sweep");
        span.pb_set_style(
            &ProgressStyle::with_template("{span_child_prefix}{msg} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
                .expect("the progress template is valid")
                .progress_chars("=> "),
        );
        span.pb_set_message(name);
        Self {
            span,
            name: name.to_owned(),
            successes: 0,
            failures: 0,
        }
    }
}

impl sweep::Progress for ProgressBar {
    fn start(&mut self, to_run: usize, skipped: usize) {
        if skipped > 0 {
            info!(skipped, to_run, "resuming: jobs with a row are skipped, the others run");
        }
        self.span.pb_set_length(to_run as u64);
        self.span.pb_start();
    }

    fn row(&mut self, row: &pickloop::episode::EvidenceRow) {
        if row.outcome.success {
            self.successes += 1;
        } else {
            self.failures += 1;
        }
        self.span.pb_inc(1);
        self.span
            .pb_set_message(&format!("{}: {} ok, {} failed", self.name, self.successes, self.failures));
    }
}
