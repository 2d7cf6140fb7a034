//! CLIP image and text towers with projections and the softmax head, wrapping
//! candle-transformers' `clip` towers around Hugging Face `CLIPModel` checkpoints.
//!
//! candle-transformers 0.11 builds the towers from its own config structs and pools the text
//! tower at the highest token id. This module reads the Hugging Face `config.json`, rejects what
//! those towers cannot run (activations other than `quick_gelu`, layer-norm eps other than
//! 1e-5), and pools at the end-of-text token as transformers 5.25 does.

use candle_core::{IndexOp, Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder, linear_no_bias};
use candle_transformers::models::clip::text_model::{Activation, ClipTextConfig, ClipTextTransformer};
use candle_transformers::models::clip::vision_model::{ClipVisionConfig, ClipVisionTransformer};
use serde::Deserialize;

use super::error::{EncoderError, Result as EncoderResult};
use super::layers::l2_normalize;

/// The only activation the candle-transformers CLIP towers implement.
const QUICK_GELU: &str = "quick_gelu";

/// Layer-norm epsilon hard-coded in the candle-transformers CLIP towers.
const CANDLE_CLIP_LAYER_NORM_EPS: f64 = 1e-5;

/// Legacy `eos_token_id` of CLIP configs written before transformers fixed it. With it,
/// transformers pools at the highest token id, which is the end-of-text token of CLIP's BPE.
const LEGACY_EOS_TOKEN_ID: u32 = 2;

/// `text_config` of a CLIP `config.json`; defaults are transformers' `CLIPTextConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct TextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub max_position_embeddings: usize,
    pub hidden_act: String,
    pub layer_norm_eps: f64,
    /// Not used for padding: `ClipEncoder` pads with `<|endoftext|>` as `CLIPTokenizer` does.
    pub pad_token_id: u32,
    pub eos_token_id: u32,
}

impl Default for TextConfig {
    fn default() -> Self {
        Self {
            vocab_size: 49408,
            hidden_size: 512,
            intermediate_size: 2048,
            num_hidden_layers: 12,
            num_attention_heads: 8,
            max_position_embeddings: 77,
            hidden_act: QUICK_GELU.to_owned(),
            layer_norm_eps: CANDLE_CLIP_LAYER_NORM_EPS,
            pad_token_id: 1,
            eos_token_id: 49407,
        }
    }
}

/// `vision_config` of a CLIP `config.json`; defaults are transformers' `CLIPVisionConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct VisionConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_channels: usize,
    pub image_size: usize,
    pub patch_size: usize,
    pub hidden_act: String,
    pub layer_norm_eps: f64,
}

impl Default for VisionConfig {
    fn default() -> Self {
        Self {
            hidden_size: 768,
            intermediate_size: 3072,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            num_channels: 3,
            image_size: 224,
            patch_size: 32,
            hidden_act: QUICK_GELU.to_owned(),
            layer_norm_eps: CANDLE_CLIP_LAYER_NORM_EPS,
        }
    }
}

/// A CLIP `config.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Config {
    pub text_config: TextConfig,
    pub vision_config: VisionConfig,
    #[serde(default = "default_projection_dim")]
    pub projection_dim: usize,
}

fn default_projection_dim() -> usize {
    512
}

impl Config {
    /// Checks that the candle-transformers towers compute what transformers computes.
    pub fn validate(&self) -> EncoderResult<()> {
        let unsupported = |field, value: String, reason: &str| EncoderError::UnsupportedConfig {
            model: "CLIP",
            field,
            value,
            reason: reason.to_owned(),
        };
        for (field, act) in [
            ("text_config.hidden_act", &self.text_config.hidden_act),
            ("vision_config.hidden_act", &self.vision_config.hidden_act),
        ] {
            if act != QUICK_GELU {
                return Err(unsupported(field, act.clone(), "the candle-transformers 0.11 CLIP towers implement only quick_gelu"));
            }
        }
        for (field, eps) in [
            ("text_config.layer_norm_eps", self.text_config.layer_norm_eps),
            ("vision_config.layer_norm_eps", self.vision_config.layer_norm_eps),
        ] {
            if eps != CANDLE_CLIP_LAYER_NORM_EPS {
                return Err(unsupported(field, eps.to_string(), "the candle-transformers 0.11 CLIP towers fix it at 1e-5"));
            }
        }
        Ok(())
    }

    fn candle_text(&self) -> ClipTextConfig {
        let text = &self.text_config;
        ClipTextConfig {
            vocab_size: text.vocab_size,
            embed_dim: text.hidden_size,
            activation: Activation::QuickGelu,
            intermediate_size: text.intermediate_size,
            max_position_embeddings: text.max_position_embeddings,
            pad_with: None,
            num_hidden_layers: text.num_hidden_layers,
            num_attention_heads: text.num_attention_heads,
            projection_dim: self.projection_dim,
        }
    }

    fn candle_vision(&self) -> ClipVisionConfig {
        let vision = &self.vision_config;
        ClipVisionConfig {
            embed_dim: vision.hidden_size,
            activation: Activation::QuickGelu,
            intermediate_size: vision.intermediate_size,
            num_hidden_layers: vision.num_hidden_layers,
            num_attention_heads: vision.num_attention_heads,
            projection_dim: self.projection_dim,
            num_channels: vision.num_channels,
            image_size: vision.image_size,
            patch_size: vision.patch_size,
        }
    }
}

/// Image-text scores of a batch of images against a batch of texts.
#[derive(Debug, Clone)]
pub struct ClipOutput {
    /// `[images, texts]`: `image_embeds @ text_embeds.T * exp(logit_scale)`.
    pub logits_per_image: Tensor,
    /// L2-normalised `[images, projection_dim]`.
    pub image_embeds: Tensor,
    /// L2-normalised `[texts, projection_dim]`.
    pub text_embeds: Tensor,
}

impl ClipOutput {
    /// For each text, a softmax over the candidate images: `[texts, images]`.
    pub fn image_probabilities(&self) -> Result<Tensor> {
        candle_nn::ops::softmax_last_dim(&self.logits_per_image.t()?.contiguous()?)
    }

    /// For each image, a softmax over the candidate texts: `[images, texts]`.
    pub fn text_probabilities(&self) -> Result<Tensor> {
        candle_nn::ops::softmax_last_dim(&self.logits_per_image)
    }
}

/// A CLIP model: both towers, their projections and the learned logit scale.
#[derive(Debug, Clone)]
pub struct ClipModel {
    text: ClipTextTransformer,
    vision: ClipVisionTransformer,
    text_projection: Linear,
    visual_projection: Linear,
    logit_scale: Tensor,
    eos_token_id: u32,
}

impl ClipModel {
    pub fn new(config: &Config, vb: VarBuilder) -> EncoderResult<Self> {
        config.validate()?;
        // candle-transformers substitutes random values for these two when they are absent.
        for name in ["vision_model.embeddings.class_embedding", "logit_scale"] {
            if !vb.contains_tensor(name) {
                return Err(EncoderError::InvalidInput(format!(
                    "CLIP weights have no tensor {name}; pass a CLIPModel checkpoint"
                )));
            }
        }
        Ok(Self {
            text: ClipTextTransformer::new(vb.pp("text_model"), &config.candle_text())?,
            vision: ClipVisionTransformer::new(vb.pp("vision_model"), &config.candle_vision())?,
            text_projection: linear_no_bias(config.text_config.hidden_size, config.projection_dim, vb.pp("text_projection"))?,
            visual_projection: linear_no_bias(
                config.vision_config.hidden_size,
                config.projection_dim,
                vb.pp("visual_projection"),
            )?,
            logit_scale: vb.get((), "logit_scale")?,
            eos_token_id: config.text_config.eos_token_id,
        })
    }

    /// Position of the end-of-text token in each row, as transformers' `CLIPTextTransformer`:
    /// the highest id for legacy configs, else the first `eos_token_id` (0 when absent).
    pub fn eos_positions(&self, input_ids: &Tensor) -> Result<Vec<u32>> {
        let rows: Vec<Vec<u32>> = input_ids.to_vec2()?;
        Ok(rows
            .iter()
            .map(|row| {
                let position = if self.eos_token_id == LEGACY_EOS_TOKEN_ID {
                    // torch.argmax returns the first maximum.
                    let max = row.iter().copied().max().unwrap_or(0);
                    row.iter().position(|&id| id == max)
                } else {
                    row.iter().position(|&id| id == self.eos_token_id)
                };
                position.unwrap_or(0) as u32
            })
            .collect())
    }

    /// Text tower output at the end-of-text token, after the final layer norm and before the
    /// projection: transformers' `text_model(...).pooler_output`, `[texts, hidden_size]`.
    ///
    /// Only the causal mask is applied, with no attention mask. That matches transformers for
    /// right-padded input, because the causal mask already hides the padding that follows the
    /// pooled token.
    pub fn text_pooler_output(&self, input_ids: &Tensor) -> Result<Tensor> {
        let hidden = self.text.forward_with_mask(input_ids, usize::MAX)?;
        let pooled = (0..hidden.dim(0)?)
            .zip(self.eos_positions(input_ids)?)
            .map(|(row, position)| hidden.i((row, position as usize)))
            .collect::<Result<Vec<_>>>()?;
        Tensor::stack(&pooled, 0)
    }

    /// Class token after the post-layernorm, before the projection: transformers'
    /// `vision_model(...).pooler_output`, `[images, hidden_size]`.
    pub fn vision_pooler_output(&self, pixel_values: &Tensor) -> Result<Tensor> {
        self.vision.forward(pixel_values)
    }

    /// Projected, unnormalised text features `[texts, projection_dim]` of u32 `input_ids`.
    pub fn get_text_features(&self, input_ids: &Tensor) -> Result<Tensor> {
        self.text_pooler_output(input_ids)?.apply(&self.text_projection)
    }

    /// Projected, unnormalised image features `[images, projection_dim]`.
    pub fn get_image_features(&self, pixel_values: &Tensor) -> Result<Tensor> {
        self.vision_pooler_output(pixel_values)?.apply(&self.visual_projection)
    }

    pub fn forward(&self, pixel_values: &Tensor, input_ids: &Tensor) -> Result<ClipOutput> {
        let image_embeds = l2_normalize(&self.get_image_features(pixel_values)?)?;
        let text_embeds = l2_normalize(&self.get_text_features(input_ids)?)?;
        let logits_per_image = image_embeds
            .matmul(&text_embeds.t()?)?
            .broadcast_mul(&self.logit_scale.exp()?)?;
        Ok(ClipOutput {
            logits_per_image,
            image_embeds,
            text_embeds,
        })
    }

    /// Index of the highest-scoring image for each text: `[texts]`.
    pub fn best_image_per_text(output: &ClipOutput) -> Result<Vec<u32>> {
        output.logits_per_image.argmax(0)?.to_vec1()
    }

    /// Scale applied to cosine similarities, `exp(logit_scale)`.
    pub fn logit_scale(&self) -> Result<f32> {
        self.logit_scale.exp()?.to_scalar()
    }
}
