//! Perturb: controlled changes to a scene, its instruction and its sensor frames, each along a
//! named axis with a magnitude in that axis's unit.

use crate::observe::Frame;

/// Changes applied to every perception frame of an episode after rendering and before
/// perception sees it (sensor noise, a passing occluder). Empty by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameEffects {}

impl FrameEffects {
    pub fn is_empty(&self) -> bool {
        true
    }

    /// Applies every effect to `frame`; noise is drawn from a stream seeded by the episode seed
    /// and the frame's step, so an episode repeats exactly.
    pub fn apply(&self, _frame: &mut Frame, _episode_seed: u64) {}
}

// TEMPORARY placeholder API, replaced by the perturb branch at merge.
use serde::{Deserialize, Serialize};
use crate::scene::Scene;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis { CameraAzimuth, LightIntensity, PixelNoise, PromptTypos }

impl Axis {
    pub const ALL: &'static [Axis] = &[Axis::CameraAzimuth, Axis::LightIntensity, Axis::PixelNoise, Axis::PromptTypos];
    pub fn name(self) -> &'static str { match self { Axis::CameraAzimuth => "camera_azimuth", Axis::LightIntensity => "light_intensity", Axis::PixelNoise => "pixel_noise", Axis::PromptTypos => "prompt_typos" } }
    pub fn unit(self) -> &'static str { match self { Axis::CameraAzimuth => "deg", Axis::LightIntensity => "EV", Axis::PixelNoise => "level", Axis::PromptTypos => "count" } }
    pub fn description(self) -> &'static str { "placeholder" }
    pub fn is_integer(self) -> bool { matches!(self, Axis::PromptTypos) }
}

impl std::str::FromStr for Axis {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Axis::ALL.iter().copied().find(|a| a.name() == s).ok_or_else(|| anyhow::anyhow!("unknown axis {s}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Perturbation { pub axis: Axis, pub magnitude: f64 }
impl Perturbation { pub fn label(&self) -> String { format!("{}={}{}", self.axis.name(), self.magnitude, self.axis.unit()) } }
pub struct Perturbed { pub scene: Scene, pub frame_effects: FrameEffects, pub labels: Vec<String> }
pub fn apply(scene: &Scene, perturbations: &[Perturbation], _seed: u64) -> anyhow::Result<Perturbed> {
    let mut scene = scene.clone();
    for p in perturbations { if p.axis == Axis::CameraAzimuth { if let crate::scene::Trajectory::Static { eye, look_at } = &mut scene.cameras[0].trajectory { let a = (p.magnitude as f32).to_radians(); let (dx, dy) = (eye[0]-look_at[0], eye[1]-look_at[1]); eye[0] = look_at[0] + dx*a.cos() - dy*a.sin(); eye[1] = look_at[1] + dx*a.sin() + dy*a.cos(); } } }
    Ok(Perturbed { scene, frame_effects: FrameEffects::default(), labels: perturbations.iter().filter(|p| p.magnitude != 0.0).map(|p| p.label()).collect() })
}
