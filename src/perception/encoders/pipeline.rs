//! Ready-to-use encoders: a resolved checkpoint with its model, image processor and tokenizer.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use image::RgbImage;

use super::checkpoint::{Checkpoint, FileAlternative};
use super::clip::{self, ClipModel, ClipOutput};
use super::dinov2::{self, Dinov2Model, Dinov2Output};
use super::error::{EncoderError, Result};
use super::layers::l2_normalize;
use super::preprocess::ImageProcessor;
use super::siglip::{self, SiglipModel};
use super::tokenize::TextTokenizer;

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const PREPROCESSOR_FILE: &str = "preprocessor_config.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// SentencePiece model that google/siglip checkpoints ship in place of `tokenizer.json`.
pub const SPIECE_FILE: &str = "spiece.model";
/// Tokenizer settings read with `spiece.model`, such as `do_lower_case`.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// Files a vision-language checkpoint must have.
const IMAGE_TEXT_FILES: [&str; 4] = [CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE, TOKENIZER_FILE];

/// Tokenizer files of a SigLIP checkpoint, in order of preference.
pub const SIGLIP_TOKENIZER_FILES: [FileAlternative<'static>; 2] = [
    FileAlternative {
        required: &[TOKENIZER_FILE],
        optional: &[],
    },
    FileAlternative {
        required: &[SPIECE_FILE],
        optional: &[TOKENIZER_CONFIG_FILE],
    },
];

/// Files a vision-only checkpoint must have.
const IMAGE_FILES: [&str; 3] = [CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE];

/// Weights are computed in float32, the precision the parity tests check.
const DTYPE: DType = DType::F32;

fn processor(checkpoint: &Checkpoint) -> Result<ImageProcessor> {
    ImageProcessor::new(checkpoint.read_json(PREPROCESSOR_FILE)?)
}

/// Image features of a SigLIP image batch.
#[derive(Debug, Clone)]
pub struct SiglipImageFeatures {
    /// L2-normalised `[images, dim]`.
    pub embeds: Tensor,
    /// Patch tokens `[images, patches, hidden]` after the post-layernorm, row-major.
    pub patch_tokens: Tensor,
}

/// SigLIP for language-conditioned selection: embeds images and texts and scores pairs.
#[derive(Debug, Clone)]
pub struct SiglipEncoder {
    pub checkpoint: Checkpoint,
    pub config: siglip::Config,
    pub model: SiglipModel,
    pub processor: ImageProcessor,
    pub tokenizer: TextTokenizer,
    device: Device,
}

impl SiglipEncoder {
    /// Resolves `spec` (see [`Checkpoint::resolve_any`]) and loads the model. The tokenizer is
    /// `tokenizer.json`, or `spiece.model` with `tokenizer_config.json` when the checkpoint has
    /// no `tokenizer.json`.
    pub fn load(spec: &str, device: &Device) -> Result<Self> {
        Self::from_checkpoint(Checkpoint::resolve_any(spec, &IMAGE_FILES, &SIGLIP_TOKENIZER_FILES)?, device)
    }

    /// Loads from a checkpoint resolved with config, weights and preprocessor files and either
    /// `tokenizer.json` or `spiece.model`.
    pub fn from_checkpoint(checkpoint: Checkpoint, device: &Device) -> Result<Self> {
        let config: siglip::Config = checkpoint.read_json(CONFIG_FILE)?;
        let text = &config.text_config;
        let (max_length, pad_id) = (text.max_position_embeddings, text.pad_token_id);
        let tokenizer = match checkpoint.find_path(TOKENIZER_FILE) {
            Some(path) => TextTokenizer::from_file(path, max_length, pad_id)?,
            None => TextTokenizer::from_spiece(
                checkpoint.path(SPIECE_FILE)?,
                checkpoint.find_path(TOKENIZER_CONFIG_FILE),
                max_length,
                pad_id,
            )?,
        };
        // Checked before the weights load, whose embedding shape error would not name the tokenizer.
        if tokenizer.vocab_size() > text.vocab_size {
            return Err(EncoderError::Tokenizer {
                path: tokenizer.path().to_path_buf(),
                message: format!(
                    "it has {} token ids but text_config.vocab_size is {}; use the tokenizer files of the same checkpoint",
                    tokenizer.vocab_size(),
                    text.vocab_size
                ),
            });
        }
        let model = SiglipModel::new(&config, checkpoint.var_builder(WEIGHTS_FILE, DTYPE, device)?)?;
        Ok(Self {
            processor: processor(&checkpoint)?,
            checkpoint,
            config,
            model,
            tokenizer,
            device: device.clone(),
        })
    }

    /// Embeds images and returns their patch tokens.
    pub fn image_features(&self, images: &[RgbImage]) -> Result<SiglipImageFeatures> {
        let pixel_values = self.processor.preprocess(images, &self.device)?;
        let output = self.model.vision.forward(&pixel_values)?;
        let pooled = output.pooler_output.ok_or_else(|| {
            EncoderError::InvalidInput("the SigLIP vision tower has no head; set vision_use_head".into())
        })?;
        Ok(SiglipImageFeatures {
            embeds: l2_normalize(&pooled)?,
            patch_tokens: output.last_hidden_state,
        })
    }

    /// L2-normalised text embeddings `[texts, dim]`.
    pub fn text_embeds(&self, texts: &[&str]) -> Result<Tensor> {
        let input_ids = self.tokenizer.encode_tensor(texts, &self.device)?;
        let pooled = self.model.text.forward(&input_ids)?.pooler_output;
        let pooled = pooled.expect("the SigLIP text tower always pools");
        Ok(l2_normalize(&pooled)?)
    }

    /// Pairwise logits `[images, texts]`; `sigmoid(logit)` is the match probability.
    pub fn logits(&self, image_embeds: &Tensor, text_embeds: &Tensor) -> Result<Tensor> {
        Ok(self.model.logits(image_embeds, text_embeds)?)
    }
}

/// DINOv2 for tracking: dense patch features of images.
#[derive(Debug, Clone)]
pub struct Dinov2Encoder {
    pub checkpoint: Checkpoint,
    pub config: dinov2::Config,
    pub model: Dinov2Model,
    pub processor: ImageProcessor,
    device: Device,
}

impl Dinov2Encoder {
    /// Resolves `spec` (see [`Checkpoint::resolve`]) and loads the model.
    pub fn load(spec: &str, device: &Device) -> Result<Self> {
        Self::from_checkpoint(Checkpoint::resolve(spec, &IMAGE_FILES)?, device)
    }

    /// Loads from a checkpoint resolved with config, weights and preprocessor files.
    pub fn from_checkpoint(checkpoint: Checkpoint, device: &Device) -> Result<Self> {
        let config: dinov2::Config = checkpoint.read_json(CONFIG_FILE)?;
        let model = Dinov2Model::new(&config, checkpoint.var_builder(WEIGHTS_FILE, DTYPE, device)?)?;
        Ok(Self {
            processor: processor(&checkpoint)?,
            checkpoint,
            config,
            model,
            device: device.clone(),
        })
    }

    /// Preprocesses images with the checkpoint's processor and encodes them.
    pub fn features(&self, images: &[RgbImage]) -> Result<Dinov2Output> {
        let pixel_values = self.processor.preprocess(images, &self.device)?;
        Ok(self.model.forward(&pixel_values)?)
    }
}

/// Padding token of transformers' `CLIPTokenizer` (5.25). The openai CLIP configs state
/// `pad_token_id` 1, a BPE symbol the tokenizer never pads with.
const CLIP_PAD_TOKEN: &str = "<|endoftext|>";

/// Looks up the id of [`CLIP_PAD_TOKEN`] in a CLIP `tokenizer.json`, so that `input_ids` equal
/// what `CLIPProcessor(..., padding="max_length")` returns.
fn clip_pad_id(path: &Path) -> Result<u32> {
    let error = |message: String| EncoderError::Tokenizer {
        path: path.to_path_buf(),
        message,
    };
    let tokenizer = tokenizers::Tokenizer::from_file(path).map_err(|err| {
        error(format!("cannot parse it ({err}); fetch the checkpoint's tokenizer.json again"))
    })?;
    tokenizer.token_to_id(CLIP_PAD_TOKEN).ok_or_else(|| {
        error(format!("{CLIP_PAD_TOKEN} is not in the vocabulary; pass the tokenizer.json of a CLIP checkpoint"))
    })
}

/// CLIP for language-conditioned selection with a softmax over candidates.
#[derive(Debug, Clone)]
pub struct ClipEncoder {
    pub checkpoint: Checkpoint,
    pub config: clip::Config,
    pub model: ClipModel,
    pub processor: ImageProcessor,
    pub tokenizer: TextTokenizer,
    device: Device,
}

impl ClipEncoder {
    /// Resolves `spec` (see [`Checkpoint::resolve`]) and loads the model.
    pub fn load(spec: &str, device: &Device) -> Result<Self> {
        Self::from_checkpoint(Checkpoint::resolve(spec, &IMAGE_TEXT_FILES)?, device)
    }

    /// Loads from a checkpoint resolved with config, weights, preprocessor and tokenizer files.
    pub fn from_checkpoint(checkpoint: Checkpoint, device: &Device) -> Result<Self> {
        let config: clip::Config = checkpoint.read_json(CONFIG_FILE)?;
        let model = ClipModel::new(&config, checkpoint.var_builder(WEIGHTS_FILE, DTYPE, device)?)?;
        let tokenizer_path = checkpoint.path(TOKENIZER_FILE)?;
        let tokenizer = TextTokenizer::from_file(
            tokenizer_path,
            config.text_config.max_position_embeddings,
            clip_pad_id(tokenizer_path)?,
        )?;
        Ok(Self {
            processor: processor(&checkpoint)?,
            checkpoint,
            config,
            model,
            tokenizer,
            device: device.clone(),
        })
    }

    /// L2-normalised image embeddings `[images, projection_dim]`.
    pub fn image_embeds(&self, images: &[RgbImage]) -> Result<Tensor> {
        let pixel_values = self.processor.preprocess(images, &self.device)?;
        Ok(l2_normalize(&self.model.get_image_features(&pixel_values)?)?)
    }

    /// L2-normalised text embeddings `[texts, projection_dim]`.
    pub fn text_embeds(&self, texts: &[&str]) -> Result<Tensor> {
        let input_ids = self.tokenizer.encode_tensor(texts, &self.device)?;
        Ok(l2_normalize(&self.model.get_text_features(&input_ids)?)?)
    }

    /// Scores candidate images against texts.
    pub fn score(&self, images: &[RgbImage], texts: &[&str]) -> Result<ClipOutput> {
        let pixel_values = self.processor.preprocess(images, &self.device)?;
        let input_ids = self.tokenizer.encode_tensor(texts, &self.device)?;
        Ok(self.model.forward(&pixel_values, &input_ids)?)
    }
}
