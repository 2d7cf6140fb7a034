//! SigLIP image and text towers with the sigmoid head, reading Hugging Face `SiglipModel`
//! checkpoints (`config.json`, tensor names as in `model.safetensors`).
//!
//! Written after transformers' `modeling_siglip.py` (5.25) because candle-transformers 0.11's
//! `siglip` returns only the pooled vision output, and the tracker needs the patch tokens.

use candle_core::{IndexOp, Module, Result, Tensor};
use candle_nn::{Activation, Conv2d, Conv2dConfig, Embedding, Linear, VarBuilder, linear};

use super::layers::{LayerNorm, MultiHeadAttention, embed_patches, interpolate_bicubic, l2_normalize, layer_norm};

mod config;

pub use config::{Config, TextConfig, VisionConfig};
use config::TowerShape;

#[derive(Debug, Clone)]
struct Mlp {
    fc1: Linear,
    fc2: Linear,
    activation: Activation,
}

impl Mlp {
    fn new(shape: &TowerShape, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            fc1: linear(shape.hidden_size, shape.intermediate_size, vb.pp("fc1"))?,
            fc2: linear(shape.intermediate_size, shape.hidden_size, vb.pp("fc2"))?,
            activation: shape.activation,
        })
    }
}

impl Module for Mlp {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        xs.apply(&self.fc1)?.apply(&self.activation)?.apply(&self.fc2)
    }
}

#[derive(Debug, Clone)]
struct EncoderLayer {
    layer_norm1: LayerNorm,
    self_attn: MultiHeadAttention,
    layer_norm2: LayerNorm,
    mlp: Mlp,
}

impl EncoderLayer {
    fn new(shape: &TowerShape, vb: VarBuilder) -> Result<Self> {
        let hidden = shape.hidden_size;
        let attention = vb.pp("self_attn");
        let self_attn = MultiHeadAttention::new(
            linear(hidden, hidden, attention.pp("q_proj"))?,
            linear(hidden, hidden, attention.pp("k_proj"))?,
            linear(hidden, hidden, attention.pp("v_proj"))?,
            linear(hidden, hidden, attention.pp("out_proj"))?,
            shape.num_heads,
            hidden,
        );
        Ok(Self {
            layer_norm1: layer_norm(hidden, shape.layer_norm_eps, vb.pp("layer_norm1"))?,
            self_attn,
            layer_norm2: layer_norm(hidden, shape.layer_norm_eps, vb.pp("layer_norm2"))?,
            mlp: Mlp::new(shape, vb.pp("mlp"))?,
        })
    }
}

impl Module for EncoderLayer {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let xs = (xs + xs.apply(&self.layer_norm1)?.apply(&self.self_attn)?)?;
        &xs + xs.apply(&self.layer_norm2)?.apply(&self.mlp)?
    }
}

#[derive(Debug, Clone)]
struct Encoder {
    layers: Vec<EncoderLayer>,
}

impl Encoder {
    fn new(shape: &TowerShape, vb: VarBuilder) -> Result<Self> {
        let layers = (0..shape.num_layers)
            .map(|index| EncoderLayer::new(shape, vb.pp("layers").pp(index)))
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }
}

impl Module for Encoder {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.layers.iter().try_fold(xs.clone(), |xs, layer| layer.forward(&xs))
    }
}

/// Attention pooling: one learned probe token attends over the patch tokens
/// (`SiglipMultiheadAttentionPoolingHead`, a `torch.nn.MultiheadAttention` with packed
/// `in_proj_weight`).
#[derive(Debug, Clone)]
struct PoolingHead {
    probe: Tensor,
    attention: MultiHeadAttention,
    layernorm: LayerNorm,
    mlp: Mlp,
}

impl PoolingHead {
    fn new(config: &VisionConfig, vb: VarBuilder) -> Result<Self> {
        let hidden = config.hidden_size;
        let attention = vb.pp("attention");
        let in_weights = attention.get((3 * hidden, hidden), "in_proj_weight")?.chunk(3, 0)?;
        let in_biases = attention.get(3 * hidden, "in_proj_bias")?.chunk(3, 0)?;
        let projection = |index: usize| Linear::new(in_weights[index].clone(), Some(in_biases[index].clone()));
        let attention = MultiHeadAttention::new(
            projection(0),
            projection(1),
            projection(2),
            linear(hidden, hidden, attention.pp("out_proj"))?,
            config.num_attention_heads,
            hidden,
        );
        Ok(Self {
            probe: vb.get((1, 1, hidden), "probe")?,
            attention,
            layernorm: layer_norm(hidden, config.layer_norm_eps, vb.pp("layernorm"))?,
            mlp: Mlp::new(&TowerShape::from(config), vb.pp("mlp"))?,
        })
    }
}

impl Module for PoolingHead {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let probe = self.probe.repeat((xs.dim(0)?, 1, 1))?;
        let pooled = self.attention.forward_cross(&probe, xs)?;
        let pooled = (&pooled + pooled.apply(&self.layernorm)?.apply(&self.mlp)?)?;
        pooled.i((.., 0))
    }
}

/// Outputs of a tower, named as in transformers.
#[derive(Debug, Clone)]
pub struct TowerOutput {
    /// `[batch, tokens, hidden]` after the final layer norm; for the vision tower the patch
    /// tokens in row-major order.
    pub last_hidden_state: Tensor,
    /// `[batch, hidden]` (vision) or `[batch, projection_size]` (text), before normalisation;
    /// `None` for a vision tower without a head.
    pub pooler_output: Option<Tensor>,
}

/// The SigLIP image tower (`vision_model.*`).
#[derive(Debug, Clone)]
pub struct VisionModel {
    patch_embedding: Conv2d,
    position_embedding: Tensor,
    encoder: Encoder,
    post_layernorm: LayerNorm,
    head: Option<PoolingHead>,
    image_size: usize,
    patch_size: usize,
}

impl VisionModel {
    pub fn new(config: &VisionConfig, vb: VarBuilder) -> Result<Self> {
        let embeddings = vb.pp("embeddings");
        let patch_embedding = candle_nn::conv2d(
            config.num_channels,
            config.hidden_size,
            config.patch_size,
            Conv2dConfig {
                stride: config.patch_size,
                ..Default::default()
            },
            embeddings.pp("patch_embedding"),
        )?;
        let positions = config.patches_per_side().pow(2);
        let position_embedding = embeddings
            .pp("position_embedding")
            .get((positions, config.hidden_size), "weight")?;
        let head = if config.vision_use_head {
            Some(PoolingHead::new(config, vb.pp("head"))?)
        } else {
            None
        };
        Ok(Self {
            patch_embedding,
            position_embedding,
            encoder: Encoder::new(&config.into(), vb.pp("encoder"))?,
            post_layernorm: layer_norm(config.hidden_size, config.layer_norm_eps, vb.pp("post_layernorm"))?,
            head,
            image_size: config.image_size,
            patch_size: config.patch_size,
        })
    }

    /// Encodes `pixel_values` `[batch, channels, height, width]`. At the configured image size
    /// the trained position embeddings are used as they are. Other sizes must be multiples of
    /// the patch size, and get the trained grid resized with bicubic interpolation, as
    /// transformers does with `interpolate_pos_encoding=True`.
    ///
    /// NOTE: no SigLIP reference covers the interpolated sizes. The DINOv2 parity tests check
    /// the same bicubic resize, which transformers runs with the same call for both models.
    pub fn forward(&self, pixel_values: &Tensor) -> Result<TowerOutput> {
        let (_, _, height, width) = pixel_values.dims4()?;
        let positions = if (height, width) == (self.image_size, self.image_size) {
            self.position_embedding.clone()
        } else if height % self.patch_size == 0 && width % self.patch_size == 0 && height > 0 && width > 0 {
            let grid = self.image_size / self.patch_size;
            let new_grid = (height / self.patch_size, width / self.patch_size);
            interpolate_bicubic(&self.position_embedding, (grid, grid), new_grid)?
        } else {
            candle_core::bail!(
                "SigLIP input is {height}x{width}; use {size}x{size} (the checkpoint's image processor output) \
                 or positive multiples of the patch size {patch}",
                size = self.image_size,
                patch = self.patch_size
            );
        };
        let patches = embed_patches(pixel_values, &self.patch_embedding, self.patch_size)?;
        let xs = patches.broadcast_add(&positions)?;
        let last_hidden_state = xs.apply(&self.encoder)?.apply(&self.post_layernorm)?;
        let pooler_output = self.head.as_ref().map(|head| last_hidden_state.apply(head)).transpose()?;
        Ok(TowerOutput {
            last_hidden_state,
            pooler_output,
        })
    }
}

/// The SigLIP text tower (`text_model.*`). It takes no attention mask, as the model was
/// trained, and pools the last position.
#[derive(Debug, Clone)]
pub struct TextModel {
    token_embedding: Embedding,
    position_embedding: Tensor,
    encoder: Encoder,
    final_layer_norm: LayerNorm,
    head: Linear,
}

impl TextModel {
    pub fn new(config: &TextConfig, vb: VarBuilder) -> Result<Self> {
        let embeddings = vb.pp("embeddings");
        let hidden = config.hidden_size;
        Ok(Self {
            token_embedding: candle_nn::embedding(config.vocab_size, hidden, embeddings.pp("token_embedding"))?,
            position_embedding: embeddings
                .pp("position_embedding")
                .get((config.max_position_embeddings, hidden), "weight")?,
            encoder: Encoder::new(&config.into(), vb.pp("encoder"))?,
            final_layer_norm: layer_norm(hidden, config.layer_norm_eps, vb.pp("final_layer_norm"))?,
            head: linear(hidden, config.projection_size.unwrap_or(hidden), vb.pp("head"))?,
        })
    }

    /// Encodes `input_ids` `[batch, tokens]` (u32), at most `max_position_embeddings` tokens.
    pub fn forward(&self, input_ids: &Tensor) -> Result<TowerOutput> {
        let (_, tokens) = input_ids.dims2()?;
        let max_tokens = self.position_embedding.dim(0)?;
        if tokens == 0 || tokens > max_tokens {
            candle_core::bail!("SigLIP text input has {tokens} tokens; it takes 1 to {max_tokens}");
        }
        let xs = input_ids
            .apply(&self.token_embedding)?
            .broadcast_add(&self.position_embedding.narrow(0, 0, tokens)?)?;
        let last_hidden_state = xs.apply(&self.encoder)?.apply(&self.final_layer_norm)?;
        let pooler_output = last_hidden_state.i((.., tokens - 1))?.contiguous()?.apply(&self.head)?;
        Ok(TowerOutput {
            last_hidden_state,
            pooler_output: Some(pooler_output),
        })
    }
}

/// Image-text scores of a batch of images against a batch of texts.
#[derive(Debug, Clone)]
pub struct SiglipOutput {
    /// `[images, texts]`: `image_embeds @ text_embeds.T * exp(logit_scale) + logit_bias`; the
    /// sigmoid of a logit is the match probability of one pair.
    pub logits_per_image: Tensor,
    /// L2-normalised `[images, dim]`.
    pub image_embeds: Tensor,
    /// L2-normalised `[texts, dim]`.
    pub text_embeds: Tensor,
    pub vision: TowerOutput,
    pub text: TowerOutput,
}

/// A SigLIP model: both towers and the learned logit scale and bias.
#[derive(Debug, Clone)]
pub struct SiglipModel {
    pub vision: VisionModel,
    pub text: TextModel,
    logit_scale: Tensor,
    logit_bias: Tensor,
}

impl SiglipModel {
    pub fn new(config: &Config, vb: VarBuilder) -> Result<Self> {
        if !config.vision_config.vision_use_head {
            candle_core::bail!("SiglipModel needs vision_config.vision_use_head = true for image embeddings");
        }
        Ok(Self {
            vision: VisionModel::new(&config.vision_config, vb.pp("vision_model"))?,
            text: TextModel::new(&config.text_config, vb.pp("text_model"))?,
            logit_scale: vb.get(1, "logit_scale")?,
            logit_bias: vb.get(1, "logit_bias")?,
        })
    }

    /// Scores normalised embeddings: `[images, texts]` logits.
    pub fn logits(&self, image_embeds: &Tensor, text_embeds: &Tensor) -> Result<Tensor> {
        image_embeds
            .matmul(&text_embeds.t()?)?
            .broadcast_mul(&self.logit_scale.exp()?)?
            .broadcast_add(&self.logit_bias)
    }

    pub fn forward(&self, pixel_values: &Tensor, input_ids: &Tensor) -> Result<SiglipOutput> {
        let vision = self.vision.forward(pixel_values)?;
        let text = self.text.forward(input_ids)?;
        let image_pooled = vision.pooler_output.as_ref().expect("SiglipModel::new requires the vision head");
        let text_pooled = text.pooler_output.as_ref().expect("the text tower always pools");
        let image_embeds = l2_normalize(image_pooled)?;
        let text_embeds = l2_normalize(text_pooled)?;
        Ok(SiglipOutput {
            logits_per_image: self.logits(&image_embeds, &text_embeds)?,
            image_embeds,
            text_embeds,
            vision,
            text,
        })
    }
}
