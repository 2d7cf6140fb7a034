//! The upper-bound baseline: the instructed object's true position, every step.

use anyhow::Context;

use super::{Candidate, Decision, GroundTruth, Observation, PrivilegedPerception};
use crate::act::controller::TargetEstimate;

/// Reads the target's pose from the simulator. It still receives the observation so that its
/// evidence rows have the same decision frame as sensor-based perception.
pub struct Oracle;

impl PrivilegedPerception for Oracle {
    fn perceive(&mut self, _observation: &Observation, truth: &GroundTruth) -> anyhow::Result<Decision> {
        let candidates: Vec<Candidate> = truth
            .objects
            .iter()
            .map(|(id, position)| Candidate {
                label: id.clone(),
                score: if id == truth.target_id { 1.0 } else { 0.0 },
                position: *position,
                bbox: None,
            })
            .collect();
        let chosen = candidates
            .iter()
            .position(|c| c.label == truth.target_id)
            .with_context(|| format!("target {:?} is not among the objects", truth.target_id))?;
        Ok(Decision {
            estimate: Some(TargetEstimate {
                position: candidates[chosen].position,
                confidence: 1.0,
            }),
            candidates,
            chosen: Some(chosen),
            events: Vec::new(),
            heat: None,
        })
    }
}
