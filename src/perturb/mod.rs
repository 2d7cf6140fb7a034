//! Perturb: controlled changes to a scene, its instruction and its sensor frames, each along a
//! named axis with a magnitude in that axis's unit. `docs/perturbations.md` lists every axis.

mod appearance;
mod arm;
mod axis;
mod camera;
mod colour;
mod distractors;
mod layout;
mod lighting;
mod occluder;
mod placement;
mod prompt;
mod sensor;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::act::arm::ArmModel;
use crate::scene::{ReachLimits, Scene, ValidationContext};

pub use axis::{Axis, Target, UnknownAxis};
pub use occluder::{
    OCCLUDER_CROSSING_S, OCCLUDER_DEPTH_M, OCCLUDER_GREY, OCCLUDER_START_S, Occluder,
};
pub use placement::to_ron;
pub use prompt::PARAPHRASE_FRAMES;
pub use sensor::FrameEffects;

/// One change: an axis and how far along it, in the axis's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Perturbation {
    pub axis: Axis,
    pub magnitude: f64,
}

impl Perturbation {
    /// Returns `axis=magnitude` with the unit, e.g. `camera_azimuth=20deg`: a stable key for
    /// evidence rows. Counts and levels print as whole numbers.
    pub fn label(&self) -> String {
        let unit = self.axis.unit();
        let suffix = if matches!(unit, "count" | "level") {
            String::new()
        } else {
            unit.to_owned()
        };
        format!("{}={}{suffix}", self.axis.name(), self.magnitude)
    }
}

/// A scene after perturbation, with the frame effects it needs and one label per
/// perturbation in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturbed {
    pub scene: Scene,
    pub frame_effects: FrameEffects,
    pub labels: Vec<String>,
}

/// Inputs of some axes beyond the scene: the arm's joint limits (for `arm_start`) and the
/// validation context that placements are checked with.
#[derive(Debug, Clone)]
pub struct PerturbContext {
    pub arm: ArmModel,
    pub validation: ValidationContext,
}

impl PerturbContext {
    /// Loads the arm that `scene` names from `assets_dir` and derives its reach limits.
    pub fn load(assets_dir: &Path, scene: &Scene) -> anyhow::Result<Self> {
        let urdf = assets_dir.join(&scene.robot.urdf);
        let arm = ArmModel::load(&urdf).with_context(|| {
            format!(
                "cannot load the arm of scene {:?} from {}; pass the assets directory with --assets",
                scene.name,
                urdf.display()
            )
        })?;
        Ok(Self::new(arm, assets_dir))
    }

    /// Builds the context for an arm that is already loaded.
    pub fn new(arm: ArmModel, assets_dir: &Path) -> Self {
        let validation = ValidationContext {
            assets_dir: assets_dir.to_path_buf(),
            reach: ReachLimits {
                shoulder_offset: arm.shoulder_position(),
                max_reach_m: arm.max_reach_m(),
                min_reach_m: arm.min_reach_m(),
            },
        };
        Self { arm, validation }
    }
}

/// Environment variable that names the assets directory, as for the command line's --assets.
pub const ASSETS_ENV: &str = "PICKLOOP_ASSETS";

/// Returns the assets directory that [`apply`] uses: `$PICKLOOP_ASSETS` when set, else the
/// crate's own `assets/` directory.
pub fn default_assets_dir() -> PathBuf {
    std::env::var_os(ASSETS_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"))
}

/// Applies perturbations in order, each to the result of the ones before it. `seed` drives every
/// random choice of the perturbations themselves (distractor shapes and places, typo positions,
/// light placement). The same scene, perturbations and seed therefore always give the same
/// result. A magnitude of 0 leaves the scene unchanged.
///
/// Uses the arm and textures under [`default_assets_dir`]; [`apply_with`] takes another
/// assets directory.
pub fn apply(
    scene: &Scene,
    perturbations: &[Perturbation],
    seed: u64,
) -> anyhow::Result<Perturbed> {
    let context = PerturbContext::load(&default_assets_dir(), scene)?;
    apply_with(scene, perturbations, seed, &context)
}

/// Applies perturbations as [`apply`] does, with an explicit arm and validation context.
pub fn apply_with(
    scene: &Scene,
    perturbations: &[Perturbation],
    seed: u64,
    context: &PerturbContext,
) -> anyhow::Result<Perturbed> {
    let mut perturbed = Perturbed {
        scene: scene.clone(),
        frame_effects: FrameEffects::default(),
        labels: Vec::with_capacity(perturbations.len()),
    };
    for (index, perturbation) in perturbations.iter().enumerate() {
        perturbed.labels.push(perturbation.label());
        check_magnitude(perturbation, &scene.name)?;
        if perturbation.magnitude == 0.0 {
            continue;
        }
        // Each perturbation draws from its own stream, so adding one to the list does not
        // change the random choices of the others.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index as u64);
        let step = Step {
            perturbation: *perturbation,
            context,
        };
        apply_one(&step, &mut perturbed, &mut rng).with_context(|| {
            format!(
                "cannot apply {} to scene {:?}",
                perturbation.label(),
                scene.name
            )
        })?;
    }
    Ok(perturbed)
}

/// One perturbation being applied, with what the axis functions need beyond the scene.
pub(crate) struct Step<'c> {
    pub perturbation: Perturbation,
    pub context: &'c PerturbContext,
}

impl Step<'_> {
    pub fn magnitude(&self) -> f64 {
        self.perturbation.magnitude
    }

    /// Returns the magnitude of a count or level axis as a whole number.
    pub fn count(&self) -> usize {
        self.perturbation.magnitude as usize
    }
}

fn apply_one(
    step: &Step<'_>,
    perturbed: &mut Perturbed,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let scene = &mut perturbed.scene;
    let m = step.magnitude();
    match step.perturbation.axis {
        Axis::CameraAzimuth => camera::azimuth(scene, m),
        Axis::CameraElevation => camera::elevation(scene, m),
        Axis::CameraDistance => camera::distance(scene, m),
        Axis::CameraSpeed => camera::speed(scene, m),
        Axis::LightIntensity => lighting::intensity(scene, m),
        Axis::LightTemperature => lighting::temperature(scene, m),
        Axis::LightDirection => lighting::direction(scene, m),
        Axis::ExtraLights => lighting::extra_lights(scene, step.count(), rng),
        Axis::Distractors => distractors::add(scene, step, distractors::Kind::Any, rng),
        Axis::DistractorsSameColour => {
            distractors::add(scene, step, distractors::Kind::SameColour, rng)
        }
        Axis::DistractorsSameShape => {
            distractors::add(scene, step, distractors::Kind::SameShape, rng)
        }
        Axis::PromptParaphrase => prompt::paraphrase(scene, step.count()),
        Axis::PromptSynonym => prompt::synonyms(scene, step.count(), rng),
        Axis::PromptCase => prompt::letter_case(scene, step.count(), rng),
        Axis::PromptTypos => prompt::typos(scene, step.count(), rng),
        Axis::ObjectHue => {
            appearance::object_hue(scene, m);
            Ok(())
        }
        Axis::ObjectTexture => appearance::object_texture(scene, m, rng),
        Axis::TableTexture => appearance::table_texture(scene, step.count()),
        Axis::Background => appearance::background(scene, m, rng),
        Axis::LayoutJitter => layout::jitter(scene, step),
        Axis::ArmStart => arm::start_joints(scene, m, &step.context.arm, rng),
        Axis::PixelNoise => perturbed.frame_effects.add_pixel_noise(m),
        Axis::DepthNoise => perturbed.frame_effects.add_depth_noise(m),
        Axis::DepthDropout => perturbed.frame_effects.add_depth_dropout(m),
        Axis::Occluder => perturbed.frame_effects.set_occluder(m),
    }
}

/// Rejects magnitudes that no axis accepts: not finite, negative on an unsigned axis, or
/// fractional on a count or level axis.
fn check_magnitude(perturbation: &Perturbation, scene_name: &str) -> anyhow::Result<()> {
    let Perturbation { axis, magnitude } = *perturbation;
    ensure!(
        magnitude.is_finite(),
        "{axis}: magnitude {magnitude} for scene {scene_name:?} is not a finite number; pass a number in {}",
        axis.unit()
    );
    if magnitude < 0.0 && !axis.is_signed() {
        bail!(
            "{axis}: magnitude {magnitude} for scene {scene_name:?} is negative, but this axis only \
             takes magnitudes of 0 or more ({}); pass e.g. {}",
            axis.unit(),
            -magnitude
        );
    }
    if axis.is_integer() && magnitude.fract() != 0.0 {
        bail!(
            "{axis}: magnitude {magnitude} for scene {scene_name:?} is not a whole number, but this \
             axis counts {}; pass e.g. {}",
            axis.unit(),
            magnitude.round()
        );
    }
    Ok(())
}
