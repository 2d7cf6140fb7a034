//! Training the sim encoders in Rust on candle's autograd: a small SigLIP on captioned object
//! crops, and a small DINOv2 by self-distillation on renders, both written as Hugging Face
//! checkpoints that the perception code loads like any other.

pub mod card;
pub mod checkpoint;
pub mod data;
pub mod dino;
pub mod dinov2;
pub mod eval;
pub mod optim;
pub mod seeded;
pub mod siglip;
pub mod vocab;

use std::time::Duration;

use serde::Serialize;

/// Most steps averaged for the first and last loss of a [`TrainReport`]; shorter runs average
/// their first and last halves.
pub const LOSS_WINDOW_STEPS: usize = 20;

/// Loss and gradient norm of one optimiser step.
#[derive(Debug, Clone, Copy)]
pub struct StepLog {
    pub step: usize,
    pub steps: usize,
    pub loss: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

/// Outcome of a training run, written to the checkpoint as `training.json`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub steps: usize,
    pub parameters: usize,
    pub seconds: f64,
    /// Steps averaged for `first_loss` and `last_loss`.
    pub loss_window: usize,
    /// Mean loss of the first and of the last `loss_window` steps; `None` without steps.
    pub first_loss: Option<f64>,
    pub last_loss: Option<f64>,
    /// Every step's loss.
    pub losses: Vec<f64>,
}

impl TrainReport {
    pub fn new(losses: Vec<f64>, elapsed: Duration, parameters: usize) -> Self {
        let window = LOSS_WINDOW_STEPS.min(losses.len() / 2).max(1);
        let mean = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
        Self {
            steps: losses.len(),
            parameters,
            seconds: elapsed.as_secs_f64(),
            loss_window: window.min(losses.len()),
            first_loss: mean(&losses[..window.min(losses.len())]),
            last_loss: mean(&losses[losses.len().saturating_sub(window)..]),
            losses,
        }
    }
}
