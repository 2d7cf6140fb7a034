//! Select-then-track perception: choose a depth proposal by language (or by an exemplar
//! image), then follow it with patch features, or select again at every step.

use image::RgbImage;
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use super::proposals::{ProposalSettings, propose};
use super::select::{CropScorer, Selection, fill_templates, object_phrase, rank, select_by_crops};
use super::track::{PatchFeatureExtractor, PatchGrid, Tracker, TrackerSettings, dot};
use super::{Decision, EventKind, Observation, PerceptionEvent, SensorPerception};
use crate::act::controller::TargetEstimate;

/// Distance between two successive choices of a perception without tracking beyond which the
/// second counts as a switch to another object, metres. Shipped scenes keep object centres at
/// least 0.12 m apart.
// NOTE: an estimate. When the arm hides much of an object, its proposal centroid can move far
// enough to be reported as a switch.
const SWITCH_DISTANCE_M: f32 = 0.05;

/// Confidence of an estimate taken straight from a selected proposal: its 3D centroid comes
/// from valid depth, and the selection score is recorded with the candidates instead, because
/// sigmoid and softmax scores are not comparable with the controller's confidence gate.
pub const SELECTION_CONFIDENCE: f32 = 1.0;

/// Policy when the tracker loses the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LossPolicy {
    /// Keep handing the controller the last good estimate.
    Hold,
    /// Run selection again on the frame where the target was lost.
    Reselect,
}

/// Scoring method of the proposals.
pub enum Scoring {
    /// Crops scored against the instruction by a vision-language model.
    Language(Box<dyn CropScorer>),
    /// Proposals scored by the cosine between their mean patch feature and the exemplar's.
    Exemplar(Vec<f32>),
}

/// Select once then track, or select at every perception step.
pub struct SelectTrack {
    scoring: Scoring,
    /// `None` selects at every step.
    extractor: Option<Box<dyn PatchFeatureExtractor>>,
    templates: Vec<String>,
    proposals: ProposalSettings,
    tracker_settings: TrackerSettings,
    loss_policy: LossPolicy,
    tracker: Option<Tracker>,
    held: Option<TargetEstimate>,
    /// Whether the last step lost the target, so a loss is recorded once, not every step.
    lost: bool,
}

impl SelectTrack {
    pub fn new(
        scoring: Scoring,
        extractor: Option<Box<dyn PatchFeatureExtractor>>,
        templates: Vec<String>,
        tracker_settings: TrackerSettings,
        loss_policy: LossPolicy,
    ) -> Self {
        Self {
            scoring,
            extractor,
            templates,
            proposals: ProposalSettings::default(),
            tracker_settings,
            loss_policy,
            tracker: None,
            held: None,
            lost: false,
        }
    }

    /// Returns the configuration recorded in evidence rows.
    pub fn record(&self) -> serde_json::Value {
        let scorer = match &self.scoring {
            Scoring::Language(scorer) => scorer.record(),
            Scoring::Exemplar(_) => serde_json::json!({ "model": "exemplar", "score": "cosine of mean patch features" }),
        };
        serde_json::json!({
            "selection": scorer,
            "prompt_templates": self.templates,
            "prompt_ensemble": super::select::ENSEMBLE_METHOD,
            "crop_margin_share": super::select::CROP_MARGIN_SHARE,
            "tracking": self.extractor.as_ref().map(|e| e.record()),
            "tracker": self.tracker_settings,
            "loss_policy": self.extractor.as_ref().map(|_| self.loss_policy),
            "selection_confidence": SELECTION_CONFIDENCE,
            "proposals": self.proposals,
        })
    }

    /// Scores the proposals of `observation` and starts tracking the best one.
    fn select(&mut self, observation: &Observation, grid: Option<&PatchGrid>) -> anyhow::Result<Decision> {
        let proposals = propose(observation, &self.proposals);
        let selection = match &mut self.scoring {
            Scoring::Language(scorer) => {
                let prompts = fill_templates(&self.templates, &object_phrase(observation.instruction));
                select_by_crops(scorer.as_mut(), observation.rgb, &proposals, &prompts)?
            }
            Scoring::Exemplar(exemplar) => {
                let grid = grid.ok_or_else(|| anyhow::anyhow!("exemplar selection needs patch features of the frame"))?;
                let width = observation.rgb.width();
                let scores: Vec<f32> = proposals
                    .iter()
                    .map(|p| dot(exemplar, &grid.mean_feature(&grid.cells_in_mask(&p.pixels, width))))
                    .collect();
                rank(&proposals, &scores)
            }
        };
        let Selection { candidates, chosen } = selection;
        let Some(index) = chosen else {
            return Ok(Decision { candidates, ..Decision::default() });
        };
        if let Some(grid) = grid {
            self.tracker = Tracker::start(grid, &proposals[index].pixels, observation.rgb.width(), self.tracker_settings);
        }
        let estimate = TargetEstimate {
            position: candidates[index].position,
            confidence: SELECTION_CONFIDENCE,
        };
        self.held = Some(estimate);
        debug!(step = observation.step, chosen = index, score = candidates[index].score, "selected a proposal");
        Ok(Decision {
            estimate: Some(estimate),
            candidates,
            chosen: Some(index),
            events: Vec::new(),
            heat: None,
        })
    }
}

impl SensorPerception for SelectTrack {
    fn perceive(&mut self, observation: &Observation) -> anyhow::Result<Decision> {
        let Some(extractor) = self.extractor.as_mut() else {
            // Without tracking every step selects anew; record the first choice and every switch.
            let previous = self.held;
            let mut decision = self.select(observation, None)?;
            if let Some(estimate) = decision.estimate {
                match previous {
                    None => decision.events.push(event(EventKind::Select, "no target chosen yet".to_owned())),
                    Some(old) if old.position.distance(estimate.position) > SWITCH_DISTANCE_M => {
                        let moved = old.position.distance(estimate.position);
                        decision.events.push(event(
                            EventKind::Select,
                            format!("switched to a candidate {moved:.3} m from the previous choice"),
                        ));
                    }
                    Some(_) => {}
                }
            }
            return Ok(decision);
        };
        // One feature pass per frame serves selection, the template and matching.
        let grid = extractor.extract(observation.rgb)?;
        let Some(tracker) = self.tracker.as_mut() else {
            let mut decision = self.select(observation, Some(&grid))?;
            if decision.chosen.is_some() {
                decision.events.push(event(EventKind::Select, "no target chosen yet".to_owned()));
            }
            return Ok(decision);
        };

        let update = tracker.update(&grid, observation);
        let Some(reason) = update.lost else {
            let estimate = TargetEstimate {
                position: update.position.expect("a kept track has a position"),
                confidence: update.confidence,
            };
            self.held = Some(estimate);
            self.lost = false;
            return Ok(Decision {
                estimate: Some(estimate),
                heat: Some(update.heat),
                ..Decision::default()
            });
        };

        let reason_text = format!("{} (confidence {:.3})", reason.as_str(), update.confidence);
        match self.loss_policy {
            LossPolicy::Hold => {
                let mut events = Vec::new();
                if !self.lost {
                    info!(step = observation.step, "target lost: {reason_text}; holding the last estimate");
                    events.push(event(EventKind::Lost, format!("{reason_text}; holding the last estimate")));
                }
                self.lost = true;
                Ok(Decision {
                    estimate: self.held,
                    events,
                    heat: Some(update.heat),
                    ..Decision::default()
                })
            }
            LossPolicy::Reselect => {
                info!(step = observation.step, "target lost: {reason_text}; selecting again");
                self.tracker = None;
                let mut decision = self.select(observation, Some(&grid))?;
                decision.events.push(event(EventKind::Lost, reason_text.clone()));
                decision.heat = Some(update.heat);
                if decision.chosen.is_some() {
                    decision.events.push(event(EventKind::Select, format!("reselected after {reason_text}")));
                }
                Ok(decision)
            }
        }
    }
}

fn event(kind: EventKind, reason: String) -> PerceptionEvent {
    PerceptionEvent { kind, reason }
}

/// Computes the exemplar's descriptor: the mean of its patch features over the whole image.
pub fn exemplar_descriptor(extractor: &mut dyn PatchFeatureExtractor, exemplar: &RgbImage) -> anyhow::Result<Vec<f32>> {
    let grid = extractor.extract(exemplar)?;
    let cells: Vec<usize> = (0..grid.rows * grid.cols).collect();
    Ok(grid.mean_feature(&cells))
}
