//! `pickloop dataset`: renders random scenes into a training set for small encoders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use indicatif::ProgressStyle;
use tracing::info_span;
use tracing_indicatif::span_ext::IndicatifSpanExt;

use pickloop::dataset::{DEFAULT_HELD_OUT, DatasetConfig, parse_held_out, write_dataset};

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// Directory that receives the dataset; must be empty or new unless --force.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of random scenes; each gives two renders and one pair record.
    #[arg(long, default_value_t = 400)]
    pub scenes: usize,
    /// Seed of the scene generator; the same seed writes the same files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Width and height of the renders, pixels.
    #[arg(long, value_name = "PX", default_value_t = 224)]
    pub size: u32,
    /// Probability that a scene goes to the test split (0..=1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.15)]
    pub test_share: f64,
    /// Comma-separated "COLOUR SHAPE" combinations that train scenes never contain.
    #[arg(long, value_name = "LIST", default_value = DEFAULT_HELD_OUT)]
    pub held_out: String,
    /// Replace the dataset files of an earlier run in a non-empty --out directory.
    #[arg(long)]
    pub force: bool,
}

pub fn run_dataset(args: &DatasetArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let held_out =
        parse_held_out(&args.held_out).map_err(|message| anyhow!("--held-out: {message}"))?;
    let config = DatasetConfig {
        out: args.out.clone(),
        scenes: args.scenes,
        seed: args.seed,
        size_px: args.size,
        test_share: args.test_share,
        held_out,
        force: args.force,
        assets_dir: assets.to_path_buf(),
        command: command_line(),
    };

    let span = info_span!("dataset");
    span.pb_set_style(
        &ProgressStyle::with_template(
            "{span_child_prefix}scenes [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .expect("the progress template is valid")
        .progress_chars("=> "),
    );
    span.pb_set_length(args.scenes as u64);
    let _entered = span.enter();
    let report = write_dataset(&config, || span.pb_inc(1))?;
    println!(
        "{} scenes in {:.1} s ({:.3} s/scene, {} renderers started in {:.1} s)",
        args.scenes,
        report.wall_s,
        report.wall_s / args.scenes as f64,
        report.renderers,
        report.renderer_startup_s
    );
    Ok(ExitCode::SUCCESS)
}

/// Joins the program's arguments with spaces, quoting arguments that contain whitespace.
fn command_line() -> String {
    std::env::args()
        .enumerate()
        .map(|(index, arg)| {
            let arg = if index == 0 {
                "pickloop".to_owned()
            } else {
                arg
            };
            if arg.contains(char::is_whitespace) || arg.is_empty() {
                format!("{arg:?}")
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
