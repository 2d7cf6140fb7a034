//! AdamW with linear warm-up, cosine decay and global gradient-norm clipping.

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use super::StepLog;

/// Optimiser settings shared by both trainers.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct OptimSettings {
    pub peak_learning_rate: f64,
    pub weight_decay: f64,
    /// Steps of linear warm-up from zero to the peak.
    pub warmup_steps: usize,
    /// Gradients are scaled down when their global L2 norm exceeds this.
    pub max_grad_norm: f64,
}

/// Learning rate at `step` of `total`: linear warm-up, then cosine decay to zero.
pub fn learning_rate(settings: &OptimSettings, step: usize, total: usize) -> f64 {
    if step < settings.warmup_steps {
        return settings.peak_learning_rate * (step + 1) as f64 / settings.warmup_steps as f64;
    }
    let decay_steps = total.saturating_sub(settings.warmup_steps).max(1);
    let progress = (step - settings.warmup_steps) as f64 / decay_steps as f64;
    settings.peak_learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos())
}

/// AdamW over a fixed list of variables.
pub struct Trainer {
    optimizer: AdamW,
    vars: Vec<Var>,
    settings: OptimSettings,
    total_steps: usize,
}

impl Trainer {
    pub fn new(vars: Vec<Var>, settings: OptimSettings, total_steps: usize) -> Result<Self> {
        let optimizer = AdamW::new(
            vars.clone(),
            ParamsAdamW {
                lr: learning_rate(&settings, 0, total_steps),
                weight_decay: settings.weight_decay,
                ..Default::default()
            },
        )?;
        Ok(Self {
            optimizer,
            vars,
            settings,
            total_steps,
        })
    }

    /// Back-propagates `loss`, clips the gradients and takes step `step`. Returns the loss
    /// and the global gradient norm before clipping.
    pub fn step(&mut self, loss: &Tensor, step: usize) -> Result<StepLog> {
        let loss_value = f64::from(loss.to_scalar::<f32>()?);
        let mut grads = loss.backward()?;
        let grad_norm = clip_grad_norm(&mut grads, &self.vars, self.settings.max_grad_norm)?;
        self.optimizer
            .set_learning_rate(learning_rate(&self.settings, step, self.total_steps));
        self.optimizer.step(&grads)?;
        Ok(StepLog {
            step,
            steps: self.total_steps,
            loss: loss_value,
            grad_norm,
        })
    }
}

/// Scales the gradients of `vars` so that their global L2 norm is at most `max_norm`, and
/// returns the norm before scaling.
fn clip_grad_norm(grads: &mut GradStore, vars: &[Var], max_norm: f64) -> Result<f64> {
    let mut squared = 0f64;
    for var in vars {
        if let Some(grad) = grads.get(var.as_tensor()) {
            squared += f64::from(grad.sqr()?.sum_all()?.to_scalar::<f32>()?);
        }
    }
    let norm = squared.sqrt();
    if norm > max_norm {
        let scale = max_norm / (norm + 1e-6);
        for var in vars {
            if let Some(grad) = grads.remove(var.as_tensor()) {
                grads.insert(var.as_tensor(), (grad * scale)?);
            }
        }
    }
    Ok(norm)
}
