//! `pickloop flip`: the smallest perturbation along one axis that changes perception's decision.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use tracing::info;

use pickloop::perturb::Axis;
use pickloop::sweep::flip::{self, FlipSearch};

use super::check::load_checked;
use super::perception::PerceptionArgs;

#[derive(Debug, Args)]
pub struct FlipArgs {
    /// Scene file (RON).
    pub scene: PathBuf,
    /// Axis to search along (`pickloop scene axes` lists them).
    #[arg(long)]
    pub axis: Axis,
    /// Largest magnitude to try, in the axis's unit; a negative value searches downwards.
    #[arg(long = "max", value_name = "MAGNITUDE", allow_negative_numbers = true)]
    pub max_magnitude: f64,
    /// Stop when the flip is bracketed this tightly, in the axis's unit (at least 1 on
    /// whole-number axes).
    #[arg(long, default_value_t = 1.0)]
    pub tolerance: f64,
    /// Episode seed; defaults to the scene's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seed of the perturbation's own random choices.
    #[arg(long, default_value_t = 0)]
    pub perturbation_seed: u64,
    #[command(flatten)]
    pub perception: PerceptionArgs,
    /// Directory that receives flip.json, evidence.jsonl and before/ and after/.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run_flip(args: &FlipArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let (loaded, arm) = load_checked(&args.scene, assets)?;
    let perception = args.perception.load()?;
    let request = FlipSearch {
        scene: &loaded,
        arm: &arm,
        assets,
        axis: args.axis,
        max_magnitude: args.max_magnitude,
        tolerance: args.tolerance,
        seed: args.seed.unwrap_or(loaded.scene.seed),
        perturbation_seed: args.perturbation_seed,
        perception: &perception,
    };
    let result = flip::search(&request)?;
    let written = flip::write_result(&args.out, &result, &request)?;
    let unit = args.axis.unit();
    match (&result.after, &result.reason) {
        (Some(after), Some(reason)) => println!(
            "{} flips between {} and {} {unit}: {reason}",
            args.axis.name(),
            result.before.magnitude,
            after.magnitude
        ),
        _ => println!(
            "no flip along {} up to {} {unit}: the decision stayed on {}",
            args.axis.name(),
            args.max_magnitude,
            result.base.chosen_object().unwrap_or("nothing")
        ),
    }
    for path in written {
        info!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
