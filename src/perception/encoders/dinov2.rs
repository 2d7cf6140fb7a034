//! DINOv2 backbone reading Hugging Face `Dinov2Model` checkpoints (`config.json` and the tensor
//! names of `model.safetensors`).
//!
//! Written after transformers' `modeling_dinov2.py` (5.25). candle-transformers 0.11's `dinov2`
//! reads the original facebookresearch tensor names, fixes the image size, and resizes position
//! embeddings with nearest-neighbour sampling, so its patch features differ from transformers'.

use candle_core::{IndexOp, Module, Result, Tensor};
use candle_nn::{Activation, Conv2d, Conv2dConfig, Linear, VarBuilder, linear, linear_b};
use serde::{Deserialize, Serialize};

use super::activation::serialize_hf_activation;

use super::layers::{LayerNorm, MultiHeadAttention, embed_patches, interpolate_bicubic, layer_norm};

/// Rounding of the SwiGLU hidden width: transformers keeps two thirds of `mlp_ratio * hidden`
/// and rounds up to a multiple of this.
const SWIGLU_WIDTH_MULTIPLE: usize = 8;

/// A DINOv2 `config.json`; defaults are transformers' `Dinov2Config`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub mlp_ratio: f64,
    #[serde(serialize_with = "serialize_hf_activation")]
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
    /// Size the position embeddings were trained at; `(image_size / patch_size)^2 + 1` of them.
    pub image_size: usize,
    pub patch_size: usize,
    pub num_channels: usize,
    pub qkv_bias: bool,
    pub use_swiglu_ffn: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hidden_size: 768,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            mlp_ratio: 4.0,
            hidden_act: Activation::Gelu,
            layer_norm_eps: 1e-6,
            image_size: 224,
            patch_size: 14,
            num_channels: 3,
            qkv_bias: true,
            use_swiglu_ffn: false,
        }
    }
}

impl Config {
    /// Hidden width of the feed-forward block.
    pub fn mlp_hidden_size(&self) -> usize {
        let hidden = (self.hidden_size as f64 * self.mlp_ratio) as usize;
        if self.use_swiglu_ffn {
            (hidden * 2 / 3).div_ceil(SWIGLU_WIDTH_MULTIPLE) * SWIGLU_WIDTH_MULTIPLE
        } else {
            hidden
        }
    }
}

/// Feed-forward block: `fc1, act, fc2`, or SwiGLU with the packed `weights_in` projection.
#[derive(Debug, Clone)]
enum FeedForward {
    Mlp { fc1: Linear, fc2: Linear, activation: Activation },
    SwiGlu { gate: Linear, up: Linear, down: Linear },
}

impl FeedForward {
    fn new(config: &Config, vb: VarBuilder) -> Result<Self> {
        let (hidden, inner) = (config.hidden_size, config.mlp_hidden_size());
        if !config.use_swiglu_ffn {
            return Ok(Self::Mlp {
                fc1: linear(hidden, inner, vb.pp("fc1"))?,
                fc2: linear(inner, hidden, vb.pp("fc2"))?,
                activation: config.hidden_act,
            });
        }
        let weights_in = vb.pp("weights_in");
        let weights = weights_in.get((2 * inner, hidden), "weight")?.chunk(2, 0)?;
        let biases = weights_in.get(2 * inner, "bias")?.chunk(2, 0)?;
        Ok(Self::SwiGlu {
            gate: Linear::new(weights[0].clone(), Some(biases[0].clone())),
            up: Linear::new(weights[1].clone(), Some(biases[1].clone())),
            down: linear(inner, hidden, vb.pp("weights_out"))?,
        })
    }
}

impl Module for FeedForward {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        match self {
            Self::Mlp { fc1, fc2, activation } => xs.apply(fc1)?.apply(activation)?.apply(fc2),
            Self::SwiGlu { gate, up, down } => (xs.apply(gate)?.silu()? * xs.apply(up)?)?.apply(down),
        }
    }
}

/// One transformer block with layer scale (`Dinov2Layer`).
#[derive(Debug, Clone)]
struct Layer {
    norm1: LayerNorm,
    attention: MultiHeadAttention,
    layer_scale1: Tensor,
    norm2: LayerNorm,
    mlp: FeedForward,
    layer_scale2: Tensor,
}

impl Layer {
    fn new(config: &Config, vb: VarBuilder) -> Result<Self> {
        let hidden = config.hidden_size;
        let attention = vb.pp("attention");
        let projection = |name| linear_b(hidden, hidden, config.qkv_bias, attention.pp("attention").pp(name));
        let attention = MultiHeadAttention::new(
            projection("query")?,
            projection("key")?,
            projection("value")?,
            linear(hidden, hidden, attention.pp("output").pp("dense"))?,
            config.num_attention_heads,
            hidden,
        );
        Ok(Self {
            norm1: layer_norm(hidden, config.layer_norm_eps, vb.pp("norm1"))?,
            attention,
            layer_scale1: vb.pp("layer_scale1").get(hidden, "lambda1")?,
            norm2: layer_norm(hidden, config.layer_norm_eps, vb.pp("norm2"))?,
            mlp: FeedForward::new(config, vb.pp("mlp"))?,
            layer_scale2: vb.pp("layer_scale2").get(hidden, "lambda1")?,
        })
    }
}

impl Module for Layer {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let attended = xs.apply(&self.norm1)?.apply(&self.attention)?;
        let xs = (xs + attended.broadcast_mul(&self.layer_scale1)?)?;
        let fed = xs.apply(&self.norm2)?.apply(&self.mlp)?;
        &xs + fed.broadcast_mul(&self.layer_scale2)?
    }
}

/// Outputs of [`Dinov2Model::forward`], named as in transformers.
#[derive(Debug, Clone)]
pub struct Dinov2Output {
    /// `[batch, 1 + (height / patch) * (width / patch), hidden]` after the final layer norm:
    /// the class token, then the patch tokens in row-major order.
    pub last_hidden_state: Tensor,
    /// `[batch, hidden]`: the layer-normed class token.
    pub pooler_output: Tensor,
}

/// The DINOv2 backbone without a classifier.
#[derive(Debug, Clone)]
pub struct Dinov2Model {
    patch_embedding: Conv2d,
    cls_token: Tensor,
    /// Class-token position embedding `[1, hidden]`.
    class_position: Tensor,
    /// Patch position embeddings `[grid * grid, hidden]` for the trained grid.
    patch_positions: Tensor,
    grid: usize,
    layers: Vec<Layer>,
    layernorm: LayerNorm,
    patch_size: usize,
    hidden_size: usize,
}

impl Dinov2Model {
    pub fn new(config: &Config, vb: VarBuilder) -> Result<Self> {
        let hidden = config.hidden_size;
        let embeddings = vb.pp("embeddings");
        let patch_embedding = candle_nn::conv2d(
            config.num_channels,
            hidden,
            config.patch_size,
            Conv2dConfig {
                stride: config.patch_size,
                ..Default::default()
            },
            embeddings.pp("patch_embeddings").pp("projection"),
        )?;
        let grid = config.image_size / config.patch_size;
        let positions = embeddings.get((1, grid * grid + 1, hidden), "position_embeddings")?.i(0)?;
        let layers = (0..config.num_hidden_layers)
            .map(|index| Layer::new(config, vb.pp("encoder").pp("layer").pp(index)))
            .collect::<Result<_>>()?;
        Ok(Self {
            patch_embedding,
            cls_token: embeddings.get((1, 1, hidden), "cls_token")?,
            class_position: positions.narrow(0, 0, 1)?,
            patch_positions: positions.narrow(0, 1, grid * grid)?,
            grid,
            layers,
            layernorm: layer_norm(hidden, config.layer_norm_eps, vb.pp("layernorm"))?,
            patch_size: config.patch_size,
            hidden_size: hidden,
        })
    }

    pub fn patch_size(&self) -> usize {
        self.patch_size
    }

    /// Position embeddings `[1 + rows * columns, hidden]` for a `rows` x `columns` patch grid.
    /// As in transformers, the trained grid is used as is only for square inputs of the
    /// trained size, and resized with bicubic interpolation otherwise.
    fn position_embeddings(&self, rows: usize, columns: usize, square: bool) -> Result<Tensor> {
        let patches = if square && rows * columns == self.grid * self.grid {
            self.patch_positions.clone()
        } else {
            interpolate_bicubic(&self.patch_positions, (self.grid, self.grid), (rows, columns))?
        };
        Tensor::cat(&[&self.class_position, &patches], 0)
    }

    /// Encodes `pixel_values` `[batch, channels, height, width]`; height and width must be
    /// multiples of the patch size.
    pub fn forward(&self, pixel_values: &Tensor) -> Result<Dinov2Output> {
        let (batch, _, height, width) = pixel_values.dims4()?;
        if height % self.patch_size != 0 || width % self.patch_size != 0 || height == 0 || width == 0 {
            candle_core::bail!(
                "DINOv2 input is {height}x{width}; height and width must be positive multiples of the patch size {}",
                self.patch_size
            );
        }
        let (rows, columns) = (height / self.patch_size, width / self.patch_size);
        let patches = embed_patches(pixel_values, &self.patch_embedding, self.patch_size)?;
        let cls = self.cls_token.broadcast_as((batch, 1, self.hidden_size))?;
        let xs = Tensor::cat(&[&cls, &patches], 1)?;
        let xs = xs.broadcast_add(&self.position_embeddings(rows, columns, height == width)?)?;

        let xs = self.layers.iter().try_fold(xs, |xs, layer| layer.forward(&xs))?;
        let last_hidden_state = xs.apply(&self.layernorm)?;
        let pooler_output = last_hidden_state.i((.., 0))?.contiguous()?;
        Ok(Dinov2Output {
            last_hidden_state,
            pooler_output,
        })
    }
}
