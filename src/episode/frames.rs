//! Perception frames kept with what perception made of them, for the failure gallery and for
//! flip pairs. Recording is off unless an [`EpisodeSpec`](super::EpisodeSpec) requests it.

use image::RgbImage;

use super::record::ScoredCandidate;
use crate::act::controller::Phase;
use crate::perception::PerceptionEvent;
use crate::perception::track::HeatMap;

/// One perception step: the RGB frame perception received (after frame effects) and its output.
#[derive(Debug, Clone)]
pub struct RecordedFrame {
    pub step: u64,
    pub time_s: f32,
    pub rgb: RgbImage,
    /// Candidates scored at this step, each with the object under it; empty on tracking steps.
    pub candidates: Vec<ScoredCandidate>,
    /// Index into `candidates` of the chosen one.
    pub chosen: Option<usize>,
    /// The tracker's match scores, on tracking steps.
    pub heat: Option<HeatMap>,
    /// Confidence of the estimate handed to the controller; 0 when there was none.
    pub confidence: f32,
    /// Selections and losses reported at this step.
    pub events: Vec<PerceptionEvent>,
    /// The controller's phase when the frame was taken.
    pub phase: Phase,
}
