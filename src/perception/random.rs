//! The lower-bound baseline: a uniformly random depth proposal, chosen once and held.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::proposals::{ProposalSettings, propose};
use super::{Candidate, Decision, Observation, SensorPerception};
use crate::act::controller::TargetEstimate;

/// Chooses one proposal uniformly at the first step that has any and keeps its position.
pub struct RandomProposal {
    rng: ChaCha8Rng,
    settings: ProposalSettings,
    held: Option<TargetEstimate>,
}

/// The configuration recorded in evidence rows.
#[derive(Debug, Clone, Serialize)]
pub struct RandomSettings {
    pub proposals: ProposalSettings,
    pub policy: &'static str,
}

impl RandomProposal {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            settings: ProposalSettings::default(),
            held: None,
        }
    }

    pub fn settings(&self) -> RandomSettings {
        RandomSettings {
            proposals: self.settings,
            policy: "choose one depth proposal uniformly once, then hold its position",
        }
    }
}

impl SensorPerception for RandomProposal {
    fn perceive(&mut self, observation: &Observation) -> anyhow::Result<Decision> {
        if let Some(held) = self.held {
            return Ok(Decision {
                estimate: Some(held),
                ..Decision::default()
            });
        }
        let proposals = propose(observation, &self.settings);
        if proposals.is_empty() {
            return Ok(Decision::default());
        }
        let score = 1.0 / proposals.len() as f32;
        let candidates: Vec<Candidate> = proposals
            .iter()
            .enumerate()
            .map(|(i, p)| Candidate {
                label: format!("proposal {i}"),
                score,
                position: p.centroid,
                bbox: Some(p.bbox),
            })
            .collect();
        let chosen = self.rng.random_range(0..candidates.len());
        let estimate = TargetEstimate {
            position: candidates[chosen].position,
            confidence: 1.0,
        };
        self.held = Some(estimate);
        Ok(Decision {
            estimate: Some(estimate),
            candidates,
            chosen: Some(chosen),
            events: Vec::new(),
            heat: None,
        })
    }
}
