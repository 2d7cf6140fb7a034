//! Seeded, order-independent weight initialisation for training from scratch.
//!
//! candle's `VarMap` draws initial values from an unseeded generator. [`SeededVars`] is a
//! `VarBuilder` backend that draws each tensor from its own ChaCha stream, keyed by the run's
//! seed and the tensor's Hugging Face name, so a seed gives the same weights whatever the
//! order in which the model requests them.

use candle_core::{DType, Device, Result, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};
use sha2::{Digest, Sha256};

/// Standard deviation of the normal that DINOv2's weight matrices, position embeddings and
/// class token start from (transformers truncates it at two deviations; this does not).
pub const DINOV2_INIT_STD: f64 = 0.02;

/// SigLIP's initial `logit_scale`: ln(10), a temperature of 10.
pub const SIGLIP_INIT_LOGIT_SCALE: f64 = std::f64::consts::LN_10;
/// Initial SigLIP `logit_bias` before a trainer sets its own (see
/// [`crate::train::siglip::initial_logit_bias`]). In batches of 32k pairs almost every pair is
/// a non-match, and -10 starts those at a match probability near zero.
pub const SIGLIP_INIT_LOGIT_BIAS: f64 = -10.0;

/// Weight initialisation of a model family, after transformers' `_init_weights`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitScheme {
    /// SigLIP: Xavier-uniform projections, embeddings and the pooling probe normal with
    /// `1/sqrt(width)`, the patch projection LeCun-normal. Narrow 0.02 weights would make each
    /// block close to the identity, and the text tower's pooled last (padding) position
    /// would then start out the same for every caption.
    Siglip,
    /// DINOv2: every weight matrix, position embedding and the class token normal with
    /// [`DINOV2_INIT_STD`]; also used for the DINO projection head.
    Dinov2,
}

/// Unix permissions of written weights: read-write for the owner, readable by everyone.
#[cfg(unix)]
const CHECKPOINT_FILE_MODE: u32 = 0o644;

/// Trainable variables created on first request with seeded values.
#[derive(Clone)]
pub struct SeededVars {
    vars: VarMap,
    seed: u64,
    scheme: InitScheme,
}

impl SeededVars {
    pub fn new(seed: u64, scheme: InitScheme) -> Self {
        Self {
            vars: VarMap::new(),
            seed,
            scheme,
        }
    }

    /// Returns a builder whose tensors become trainable variables of this map.
    pub fn var_builder(&self, device: &Device) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self.clone()), DType::F32, device.clone())
    }

    /// Returns every variable, sorted by name so that optimiser state lines up across runs.
    pub fn sorted(&self) -> Vec<(String, Var)> {
        let data = self.vars.data().lock().expect("variable map lock poisoned");
        let mut vars: Vec<_> = data.iter().map(|(name, var)| (name.clone(), var.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    pub fn all_vars(&self) -> Vec<Var> {
        self.sorted().into_iter().map(|(_, var)| var).collect()
    }

    /// Writes every variable to a safetensors file under its name, readable by everyone like
    /// the other checkpoint files (the safetensors writer creates it owner-only).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        self.vars.save(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(CHECKPOINT_FILE_MODE))?;
        }
        Ok(())
    }

    /// Replaces the value of the variable `name`.
    pub fn set(&self, name: &str, value: &Tensor) -> Result<()> {
        let data = self.vars.data().lock().expect("variable map lock poisoned");
        match data.get(name) {
            Some(var) => var.set(value),
            None => candle_core::bail!("no variable {name} to set"),
        }
    }

    /// Number of trainable scalars.
    pub fn parameter_count(&self) -> usize {
        self.sorted().iter().map(|(_, var)| var.elem_count()).sum()
    }

    fn stream(&self, name: &str) -> ChaCha8Rng {
        let digest = Sha256::digest(name.as_bytes());
        let key = u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"));
        ChaCha8Rng::seed_from_u64(self.seed ^ key)
    }

    fn initial_value(&self, shape: &Shape, name: &str, hint: Init, device: &Device) -> Result<Tensor> {
        let count = shape.elem_count();
        let values: Vec<f32> = match initial_distribution(self.scheme, name, shape, hint) {
            Init::Const(value) => vec![value as f32; count],
            Init::Randn { mean, stdev } => {
                let normal = Normal::new(mean, stdev).map_err(|err| candle_core::Error::Msg(err.to_string()))?;
                let mut rng = self.stream(name);
                (0..count).map(|_| normal.sample(&mut rng) as f32).collect()
            }
            Init::Uniform { lo, up } => {
                let uniform = Uniform::new(lo, up).map_err(|err| candle_core::Error::Msg(err.to_string()))?;
                let mut rng = self.stream(name);
                (0..count).map(|_| uniform.sample(&mut rng) as f32).collect()
            }
            Init::Kaiming { .. } => unreachable!("initial_distribution maps Kaiming hints to a normal"),
        };
        Tensor::from_vec(values, shape.clone(), device)
    }
}

/// The distribution a tensor starts from, by its Hugging Face name and shape. In both schemes
/// biases and DINOv2's unused mask token start at zero, layer-norm scales (hinted as ones)
/// and layer-scale factors at one, and the SigLIP logit scale and bias at ln(10) and -10.
/// candle's own hints for the rest are replaced: its Kaiming default is not what either model
/// uses, and a plain `get` hints zeros, which would leave probes and position embeddings dead.
fn initial_distribution(scheme: InitScheme, name: &str, shape: &Shape, hint: Init) -> Init {
    let leaf = name.rsplit('.').next().unwrap_or(name);
    match (leaf, hint) {
        ("logit_scale", _) => return Init::Const(SIGLIP_INIT_LOGIT_SCALE),
        ("logit_bias", _) => return Init::Const(SIGLIP_INIT_LOGIT_BIAS),
        ("lambda1", _) => return Init::Const(1.0),
        ("bias" | "in_proj_bias" | "mask_token", _) => return Init::Const(0.0),
        (_, Init::Const(value)) if value == 1.0 => return hint,
        _ => {}
    }
    let normal = |stdev: f64| Init::Randn { mean: 0.0, stdev };
    match scheme {
        InitScheme::Dinov2 => normal(DINOV2_INIT_STD),
        InitScheme::Siglip => {
            let dims = shape.dims();
            let width = *dims.last().unwrap_or(&1) as f64;
            match dims {
                // Patch projection [hidden, channels, patch, patch]: LeCun normal.
                [_, channels, height, width] => normal(1.0 / ((channels * height * width) as f64).sqrt()),
                // Weight matrices [out, in]; embedding tables are [entries, width].
                [out, input] if !name.contains("embedding") => {
                    let bound = (6.0 / (out + input) as f64).sqrt();
                    Init::Uniform { lo: -bound, up: bound }
                }
                _ => normal(1.0 / width.sqrt()),
            }
        }
    }
}

impl SimpleBackend for SeededVars {
    fn get(&self, shape: Shape, name: &str, hint: Init, dtype: DType, device: &Device) -> Result<Tensor> {
        let mut data = self.vars.data().lock().expect("variable map lock poisoned");
        if let Some(var) = data.get(name) {
            if var.shape() != &shape {
                candle_core::bail!("variable {name} exists with shape {:?}, asked for {shape:?}", var.shape());
            }
            return Ok(var.as_tensor().clone());
        }
        let value = self.initial_value(&shape, name, hint, device)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&value)?;
        let tensor = var.as_tensor().clone();
        data.insert(name.to_owned(), var);
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, _dtype: DType, _device: &Device) -> Result<Tensor> {
        let data = self.vars.data().lock().expect("variable map lock poisoned");
        data.get(name)
            .map(|var| var.as_tensor().clone())
            .ok_or_else(|| candle_core::Error::CannotFindTensor { path: name.to_owned() })
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.vars.data().lock().expect("variable map lock poisoned").contains_key(name)
    }
}
