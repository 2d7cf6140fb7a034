//! `pickloop scene perturb` and `pickloop scene axes`: write a perturbed scene file and list
//! the perturbation axes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail, ensure};
use clap::Args;

use pickloop::perturb::{Axis, PerturbContext, Perturbation, Target, apply_with, to_ron};

use super::check::load_checked;

#[derive(Debug, Args)]
pub struct PerturbArgs {
    /// Scene file (RON) to perturb.
    pub scene: PathBuf,
    /// Axis to perturb along (see `pickloop scene axes`). Repeat it with --magnitude to apply
    /// several perturbations in order.
    #[arg(long, required = true)]
    pub axis: Vec<Axis>,
    /// Magnitude in the axis's unit, one per --axis, in the same order.
    #[arg(long, required = true, allow_negative_numbers = true)]
    pub magnitude: Vec<f64>,
    /// Seed of the perturbations' own random choices. Defaults to the scene's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// File to write the perturbed scene to; standard output when left out.
    #[arg(long, value_name = "FILE.ron")]
    pub out: Option<PathBuf>,
    /// Name of the written scene. Defaults to the scene's name followed by the perturbation
    /// labels, e.g. `tabletop_mugs_distractors_3`, so that evidence rows and summaries keep
    /// perturbed scenes apart.
    #[arg(long)]
    pub name: Option<String>,
}

pub fn perturb(args: &PerturbArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    ensure!(
        args.axis.len() == args.magnitude.len(),
        "got {} --axis and {} --magnitude options; give one --magnitude after each --axis",
        args.axis.len(),
        args.magnitude.len()
    );
    if let Some(axis) = args
        .axis
        .iter()
        .find(|axis| axis.target() == Target::Frames)
    {
        bail!(
            "axis {axis} changes the frames that perception receives (image-space), not the scene, \
             so it cannot be written into a scene file; use it in a perturbation sweep instead"
        );
    }
    let (loaded, _) = load_checked(&args.scene, assets)?;
    let perturbations: Vec<Perturbation> = args
        .axis
        .iter()
        .zip(&args.magnitude)
        .map(|(&axis, &magnitude)| Perturbation { axis, magnitude })
        .collect();
    let seed = args.seed.unwrap_or(loaded.scene.seed);
    let context = PerturbContext::load(assets, &loaded.scene)?;
    let perturbed = apply_with(&loaded.scene, &perturbations, seed, &context)?;

    let mut scene = perturbed.scene;
    scene.name = match &args.name {
        Some(name) => name.clone(),
        None => default_name(&loaded.scene.name, &perturbed.labels),
    };
    let text = format!(
        "// {} perturbed with {} (seed {seed}) by `pickloop scene perturb`.\n{}\n",
        args.scene.display(),
        perturbed.labels.join(", "),
        to_ron(&scene)?
    );
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| {
                format!("cannot write the perturbed scene to {}", path.display())
            })?;
            tracing::info!(file = %path.display(), labels = ?perturbed.labels, "wrote the perturbed scene");
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Joins the scene name and the labels with `_`, writing `=` and other characters that are
/// awkward in file names (the name becomes part of saved frame names) as `_`.
fn default_name(scene_name: &str, labels: &[String]) -> String {
    let labels = labels.join("_");
    let safe: String = labels
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{scene_name}_{safe}")
}

/// Prints every axis with its unit, what it changes and what a magnitude does.
pub fn list_axes() -> ExitCode {
    let name_width = Axis::ALL.iter().map(|a| a.name().len()).max().unwrap_or(0);
    println!(
        "{:name_width$}  {:6}  {:6}  description",
        "axis", "unit", "target"
    );
    for &axis in Axis::ALL {
        let target = match axis.target() {
            Target::Scene => "scene",
            Target::Frames => "frames",
        };
        println!(
            "{:name_width$}  {:6}  {:6}  {}",
            axis.name(),
            axis.unit(),
            target,
            axis.description()
        );
    }
    ExitCode::SUCCESS
}
