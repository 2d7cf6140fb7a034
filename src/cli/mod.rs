//! Command-line arguments and dispatch.

mod bench;
mod check;
mod compare;
mod dataset;
mod embed;
mod flip;
mod perception;
mod perturb;
mod rates;
mod report;
mod run;
mod summary;
mod sweep;
mod train;
mod watch;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_indicatif::IndicatifLayer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Exit status when a `--min-success` gate fails.
pub const EXIT_GATE_FAILED: u8 = 1;
/// Exit status on errors: invalid input, rendering failures, episodes that could not run.
pub const EXIT_ERROR: u8 = 2;

/// Simulation-in-the-loop pick benchmark for robot perception.
#[derive(Debug, Parser)]
#[command(name = "pickloop", version, about)]
pub struct Cli {
    /// Log more (-v: debug, -vv: trace). `RUST_LOG` overrides this.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Directory with robots/ and textures/ that scene files refer to.
    #[arg(long, global = true, env = "PICKLOOP_ASSETS", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/assets"))]
    pub assets: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run headless pick episodes and append one evidence row per episode.
    Run(run::RunArgs),
    /// Play one episode in a window in real time (the first episode `run` would play).
    Watch(watch::WatchArgs),
    /// Work with scene files.
    #[command(subcommand)]
    Scene(SceneCommand),
    /// Write image and text embeddings of a SigLIP, DINOv2 or CLIP checkpoint to a file.
    Embed(embed::EmbedArgs),
    /// Measure rendering, physics and encoder throughput on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Render random scenes into crops, captions and view pairs for training encoders.
    Dataset(dataset::DatasetArgs),
    /// Train the sim encoders on a `pickloop dataset` directory.
    #[command(subcommand)]
    Train(train::TrainCommand),
    /// Measure a SigLIP or DINOv2 checkpoint on a dataset's test split.
    #[command(subcommand)]
    Eval(train::EvalCommand),
    /// Run a sweep file: scenes x perturbations x magnitudes x seeds x perceptions.
    Sweep(sweep::SweepArgs),
    /// Find the smallest perturbation along one axis that changes the chosen object or makes
    /// the tracker lose it, and write that counterfactual pair.
    Flip(flip::FlipArgs),
    /// Runs sweep jobs read from standard input (started by `sweep`).
    #[command(hide = true)]
    SweepWorker(sweep::WorkerArgs),
    /// Tables, plots, a gallery of failures, gates and JUnit XML over run directories.
    Report(report::ReportArgs),
    /// Paired success difference of two runs that differ only in the encoder or routing.
    Compare(compare::CompareArgs),
}

#[derive(Debug, Subcommand)]
pub enum SceneCommand {
    /// Validate scene files and report every problem with file:line:column.
    Check(check::CheckArgs),
    /// Write a scene perturbed along one or more axes as a new RON scene file.
    Perturb(perturb::PerturbArgs),
    /// List the perturbation axes with their units and meaning.
    Axes,
}

pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "info,wgpu=error,naga=warn,bevy_render=warn,bevy_app=warn",
        1 => "debug,wgpu=warn,naga=warn",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let indicatif = IndicatifLayer::new();
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(indicatif.get_stderr_writer())
                .with_target(false)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(indicatif)
        .init();
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(&args, &cli.assets),
        Command::Watch(args) => watch::watch(&args, &cli.assets),
        Command::Scene(SceneCommand::Check(args)) => check::check(&args, &cli.assets),
        Command::Scene(SceneCommand::Perturb(args)) => perturb::perturb(&args, &cli.assets),
        Command::Scene(SceneCommand::Axes) => Ok(perturb::list_axes()),
        Command::Embed(args) => embed::run_embed(&args),
        Command::Bench(command) => bench::bench(&command, &cli.assets),
        Command::Dataset(args) => dataset::run_dataset(&args, &cli.assets),
        Command::Train(command) => train::train(&command).map(|()| ExitCode::SUCCESS),
        Command::Eval(command) => train::eval(&command).map(|()| ExitCode::SUCCESS),
        Command::Sweep(args) => sweep::run_sweep(&args, &cli.assets, cli.verbose),
        Command::Flip(args) => flip::run_flip(&args, &cli.assets),
        Command::SweepWorker(args) => sweep::run_worker(&args, &cli.assets),
        Command::Report(args) => report::report(&args),
        Command::Compare(args) => compare::compare(&args),
    }
}
