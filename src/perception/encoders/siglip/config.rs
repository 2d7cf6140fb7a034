//! SigLIP `config.json`: the text and vision tower settings, with transformers' defaults.

use candle_nn::Activation;
use serde::{Deserialize, Serialize};

use crate::perception::encoders::activation::serialize_hf_activation;

/// `text_config` of a SigLIP `config.json`; defaults are transformers' `SiglipTextConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct TextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub max_position_embeddings: usize,
    #[serde(serialize_with = "serialize_hf_activation")]
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
    pub pad_token_id: u32,
    /// Output size of the text head; `None` means `hidden_size`.
    pub projection_size: Option<usize>,
}

impl Default for TextConfig {
    fn default() -> Self {
        Self {
            vocab_size: 32000,
            hidden_size: 768,
            intermediate_size: 3072,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            max_position_embeddings: 64,
            hidden_act: Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
            pad_token_id: 1,
            projection_size: None,
        }
    }
}

/// `vision_config` of a SigLIP `config.json`; defaults are transformers' `SiglipVisionConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct VisionConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_channels: usize,
    pub image_size: usize,
    pub patch_size: usize,
    #[serde(serialize_with = "serialize_hf_activation")]
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
    /// Whether the attention-pooling head exists; `SiglipModel` needs it for image embeddings.
    pub vision_use_head: bool,
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
            patch_size: 16,
            hidden_act: Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
            vision_use_head: true,
        }
    }
}

impl VisionConfig {
    /// Patches per side at the configured image size.
    pub fn patches_per_side(&self) -> usize {
        self.image_size / self.patch_size
    }
}

/// A SigLIP `config.json`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Config {
    pub text_config: TextConfig,
    pub vision_config: VisionConfig,
}

/// Transformer width, depth and activation, shared by both towers.
pub(super) struct TowerShape {
    pub(super) hidden_size: usize,
    pub(super) intermediate_size: usize,
    pub(super) num_heads: usize,
    pub(super) num_layers: usize,
    pub(super) activation: Activation,
    pub(super) layer_norm_eps: f64,
}

impl From<&TextConfig> for TowerShape {
    fn from(config: &TextConfig) -> Self {
        Self {
            hidden_size: config.hidden_size,
            intermediate_size: config.intermediate_size,
            num_heads: config.num_attention_heads,
            num_layers: config.num_hidden_layers,
            activation: config.hidden_act,
            layer_norm_eps: config.layer_norm_eps,
        }
    }
}

impl From<&VisionConfig> for TowerShape {
    fn from(config: &VisionConfig) -> Self {
        Self {
            hidden_size: config.hidden_size,
            intermediate_size: config.intermediate_size,
            num_heads: config.num_attention_heads,
            num_layers: config.num_hidden_layers,
            activation: config.hidden_act,
            layer_norm_eps: config.layer_norm_eps,
        }
    }
}
