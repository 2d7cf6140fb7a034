//! The evidence an episode collects for its row while it runs.

use super::record::{DecisionRecord, ScoredCandidate, TimedEvent};
use crate::act::controller::PhaseEvent;
use crate::observe::frame::SUPPORT_ID_BASE;
use crate::observe::{CameraPose, Frame};
use crate::perception::{Candidate, Decision, Perceiver};

#[derive(Debug, Default)]
pub(super) struct EpisodeTrace {
    pub perception_name: String,
    pub perception_config: serde_json::Value,
    pub privileged: bool,
    pub decision: Option<DecisionRecord>,
    pub decision_pose: Option<CameraPose>,
    pub actions: Vec<PhaseEvent>,
    pub confidence: Vec<(f32, f32)>,
    pub events: Vec<TimedEvent>,
    pub sim_time_s: f32,
}

impl EpisodeTrace {
    pub fn new(perceiver: &Perceiver) -> Self {
        Self {
            perception_name: perceiver.name.clone(),
            perception_config: perceiver.config.clone(),
            privileged: perceiver.is_privileged(),
            ..Self::default()
        }
    }
}

/// Labels every candidate with the object it shows in the decision frame: the most frequent
/// object instance id inside its bounding box, or, for candidates without a box (the oracle's),
/// the object whose id is its label. Instance ids are ground truth, used here for the record
/// only, never by perception.
pub(super) fn decision_record(decision: &Decision, frame: &Frame, object_ids: &[String]) -> DecisionRecord {
    let candidates: Vec<ScoredCandidate> = decision
        .candidates
        .iter()
        .map(|candidate| ScoredCandidate {
            candidate: candidate.clone(),
            object: object_under(candidate, frame, object_ids),
        })
        .collect();
    let chosen_object = decision.chosen.and_then(|i| candidates.get(i)?.object.clone());
    DecisionRecord {
        step: frame.step,
        time_s: frame.time_s,
        candidates,
        chosen: decision.chosen,
        chosen_object,
    }
}

fn object_under(candidate: &Candidate, frame: &Frame, object_ids: &[String]) -> Option<String> {
    let Some([u_min, v_min, u_max, v_max]) = candidate.bbox else {
        return object_ids.iter().find(|id| **id == candidate.label).cloned();
    };
    let mut counts = vec![0usize; object_ids.len()];
    for v in v_min..=v_max.min(frame.instances.height - 1) {
        for u in u_min..=u_max.min(frame.instances.width - 1) {
            let id = frame.instances.get(u, v);
            if (1..SUPPORT_ID_BASE).contains(&id)
                && let Some(count) = counts.get_mut(usize::from(id) - 1)
            {
                *count += 1;
            }
        }
    }
    let (best, &count) = counts.iter().enumerate().max_by_key(|(_, count)| **count)?;
    (count > 0).then(|| object_ids[best].clone())
}
