//! Select and track: perception chooses the instructed object and estimates where it is.
//!
//! Perception receives what a real robot has: RGB, metric depth, calibrated camera intrinsics and
//! pose, the instruction text, and a self-filter mask of its own links. Two traits keep the
//! boundary visible in the types: [`SensorPerception`] receives only an [`Observation`], and
//! [`PrivilegedPerception`] also receives [`GroundTruth`]. Only the `oracle` baseline
//! implements the privileged trait; evidence rows record which kind ran.

pub mod config;
pub mod encoders;
pub mod language;
pub mod oracle;
pub mod patches;
pub mod proposals;
pub mod random;
pub mod select;
pub mod track;

use bevy::math::Vec3;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::act::controller::TargetEstimate;
use crate::observe::{CameraModel, DepthImage};

/// Sensor data of one perception step: what a real robot has.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// Physics step that the images show.
    pub step: u64,
    pub time_s: f32,
    pub rgb: &'a RgbImage,
    pub depth: &'a DepthImage,
    pub camera: &'a CameraModel,
    /// Pixels covered by the robot's own links, row-major. A real robot computes this by
    /// rendering its URDF at the measured joint positions (robot self-filtering).
    pub robot_mask: &'a [bool],
    pub instruction: &'a str,
}

/// Simulator state that no real robot has. Only privileged baselines receive it.
#[derive(Debug, Clone, Copy)]
pub struct GroundTruth<'a> {
    pub target_id: &'a str,
    /// Current centre of every object, with its id.
    pub objects: &'a [(String, Vec3)],
}

/// One candidate object considered by a decision, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Perception's own name for the candidate, e.g. `proposal 2` or an object id for oracle.
    pub label: String,
    /// Score in the perception's own units (recorded, not compared across perceptions).
    pub score: f32,
    /// Estimated centre in the world frame, metres.
    pub position: Vec3,
    /// Pixel bounding box `[u_min, v_min, u_max, v_max]` in the decision frame, inclusive,
    /// when the candidate came from the image.
    pub bbox: Option<[u32; 4]>,
}

/// The output of one perception step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Target position for the controller; `None` when the target is not (or no longer) seen.
    pub estimate: Option<TargetEstimate>,
    /// Every candidate scored at this step (empty on pure tracking steps).
    pub candidates: Vec<Candidate>,
    /// Index into `candidates` of the chosen one.
    pub chosen: Option<usize>,
    /// Selections and losses of the target at this step.
    pub events: Vec<PerceptionEvent>,
    /// The tracker's match scores on tracking steps, for overlays; not recorded in rows.
    #[serde(skip)]
    pub heat: Option<track::HeatMap>,
}

/// Kind of a [`PerceptionEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A proposal was chosen as the target.
    Select,
    /// The tracker lost the target.
    Lost,
}

/// A selection or loss, with the reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptionEvent {
    pub kind: EventKind,
    pub reason: String,
}

/// Perception that uses sensor data only.
pub trait SensorPerception: Send {
    fn perceive(&mut self, observation: &Observation) -> anyhow::Result<Decision>;
}

/// Perception that also reads simulator ground truth (baselines only).
pub trait PrivilegedPerception: Send {
    fn perceive(
        &mut self,
        observation: &Observation,
        truth: &GroundTruth,
    ) -> anyhow::Result<Decision>;
}

/// A perception of either kind, with its name and configuration for evidence rows.
pub struct Perceiver {
    pub name: String,
    pub config: serde_json::Value,
    pub kind: PerceiverKind,
}

pub enum PerceiverKind {
    Sensor(Box<dyn SensorPerception>),
    Privileged(Box<dyn PrivilegedPerception>),
}

impl Perceiver {
    pub fn is_privileged(&self) -> bool {
        matches!(self.kind, PerceiverKind::Privileged(_))
    }
}

pub use config::{PERCEPTION_NAMES, PerceptionConfig, build_perceiver};
