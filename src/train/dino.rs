//! The DINO projection head and self-distillation loss: a student matches the centred,
//! sharpened prototype distribution of an EMA teacher.

use candle_core::{D, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder, linear};

use crate::perception::encoders::layers::l2_normalize;

/// Sizes of the projection head.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct HeadShape {
    pub hidden: usize,
    pub bottleneck: usize,
    /// Number of prototypes: the size of the distributions that are distilled.
    pub prototypes: usize,
}

/// MLP, L2 normalisation, then cosine scores against L2-normalised prototypes (DINO's
/// weight-normalised last layer with its norm fixed at one).
#[derive(Debug, Clone)]
pub struct DinoHead {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
    prototypes: Tensor,
}

impl DinoHead {
    pub fn new(input: usize, shape: HeadShape, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(input, shape.hidden, vb.pp("fc1"))?,
            fc2: linear(shape.hidden, shape.hidden, vb.pp("fc2"))?,
            fc3: linear(shape.hidden, shape.bottleneck, vb.pp("fc3"))?,
            prototypes: vb.get((shape.prototypes, shape.bottleneck), "prototypes")?,
        })
    }
}

impl Module for DinoHead {
    /// `[rows, input]` features to `[rows, prototypes]` logits.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let hidden = xs.apply(&self.fc1)?.gelu_erf()?.apply(&self.fc2)?.gelu_erf()?.apply(&self.fc3)?;
        l2_normalize(&hidden)?.matmul(&l2_normalize(&self.prototypes)?.t()?)
    }
}

/// Running mean of the teacher's logits, subtracted before sharpening so that no prototype
/// takes over (collapse to one output).
#[derive(Debug, Clone)]
pub struct Centre {
    value: Tensor,
    momentum: f64,
}

impl Centre {
    pub fn new(prototypes: usize, momentum: f64, device: &candle_core::Device) -> Result<Self> {
        Ok(Self {
            value: Tensor::zeros((1, prototypes), candle_core::DType::F32, device)?,
            momentum,
        })
    }

    /// Teacher targets: `softmax((logits - centre) / temperature)`, without gradient.
    pub fn targets(&self, teacher_logits: &Tensor, temperature: f64) -> Result<Tensor> {
        let sharpened = (teacher_logits.detach().broadcast_sub(&self.value)? / temperature)?;
        crate::perception::encoders::layers::softmax(&sharpened)
    }

    /// Moves the centre towards the batch mean of `teacher_logits`.
    pub fn update(&mut self, teacher_logits: &Tensor) -> Result<()> {
        let batch_mean = teacher_logits.detach().mean_keepdim(0)?;
        self.value = ((&self.value * self.momentum)? + (batch_mean * (1.0 - self.momentum))?)?;
        Ok(())
    }
}

/// Mean over rows of the cross-entropy `-sum(targets * log_softmax(student / temperature))`.
pub fn distillation_loss(targets: &Tensor, student_logits: &Tensor, temperature: f64) -> Result<Tensor> {
    let scaled = (student_logits / temperature)?;
    let shifted = scaled.broadcast_sub(&scaled.max_keepdim(D::Minus1)?.detach())?;
    let log_probs = shifted.broadcast_sub(&shifted.exp()?.sum_keepdim(D::Minus1)?.log()?)?;
    (targets * log_probs)?.sum(D::Minus1)?.mean_all()?.neg()
}
