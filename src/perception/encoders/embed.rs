//! Embeddings of images and texts with any supported checkpoint, for `pickloop embed`.
//!
//! The model type comes from the checkpoint's `config.json` (`model_type`), so one call works
//! for SigLIP, DINOv2 and CLIP. Outputs are named tensors, written by [`super::export`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use candle_core::{Device, IndexOp, Tensor};
use image::RgbImage;
use serde::Deserialize;

use super::checkpoint::{Checkpoint, sha256_file};
use super::error::{EncoderError, Result};
use super::pipeline::{CONFIG_FILE, ClipEncoder, Dinov2Encoder, SiglipEncoder};
use super::preprocess::load_rgb;

/// L2-normalised image embeddings `[images, dim]` (SigLIP, CLIP).
pub const IMAGE_EMBEDS: &str = "image_embeds";
/// L2-normalised text embeddings `[texts, dim]` (SigLIP, CLIP).
pub const TEXT_EMBEDS: &str = "text_embeds";
/// Patch tokens `[images, patches, hidden]` in row-major order, without a class token
/// (SigLIP vision, DINOv2).
pub const PATCH_TOKENS: &str = "patch_tokens";
/// DINOv2 `[images, 1 + patches, hidden]`: the class token, then the patch tokens.
pub const LAST_HIDDEN_STATE: &str = "last_hidden_state";
/// DINOv2 `[images, hidden]`: the layer-normed class token.
pub const POOLER_OUTPUT: &str = "pooler_output";

/// Model families that `embed` can run, by their `config.json` `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Siglip,
    Dinov2,
    Clip,
}

impl ModelKind {
    /// `model_type` values accepted, in the order of the enum.
    pub const MODEL_TYPES: [&'static str; 3] = ["siglip", "dinov2", "clip"];

    /// Parses a `config.json` `model_type`.
    pub fn from_model_type(model_type: &str) -> Option<Self> {
        match model_type {
            "siglip" => Some(Self::Siglip),
            "dinov2" => Some(Self::Dinov2),
            "clip" => Some(Self::Clip),
            _ => None,
        }
    }

    pub fn model_type(self) -> &'static str {
        match self {
            Self::Siglip => "siglip",
            Self::Dinov2 => "dinov2",
            Self::Clip => "clip",
        }
    }

    /// Returns true when the model has a text tower.
    pub fn embeds_text(self) -> bool {
        !matches!(self, Self::Dinov2)
    }
}

/// The `model_type` field of a `config.json`.
#[derive(Debug, Deserialize)]
struct ModelTypeField {
    model_type: Option<String>,
}

/// Reads `model_type` from the `config.json` of `spec` and maps it to a [`ModelKind`].
pub fn detect_model_kind(spec: &str) -> Result<ModelKind> {
    let checkpoint = Checkpoint::resolve(spec, &[CONFIG_FILE])?;
    let path = checkpoint.path(CONFIG_FILE)?.to_path_buf();
    let field: ModelTypeField = checkpoint.read_json(CONFIG_FILE)?;
    let supported = ModelKind::MODEL_TYPES.join(", ");
    let Some(model_type) = field.model_type else {
        return Err(EncoderError::InvalidInput(format!(
            "{} has no model_type; pass a checkpoint whose config.json sets model_type to one of {supported}",
            path.display()
        )));
    };
    ModelKind::from_model_type(&model_type).ok_or_else(|| {
        EncoderError::InvalidInput(format!(
            "model_type {model_type:?} in {} is not supported; pass a {supported} checkpoint",
            path.display()
        ))
    })
}

/// Images and texts to embed. Images are decoded from files so that their paths and hashes
/// can be recorded.
#[derive(Debug, Clone, Default)]
pub struct EmbedInputs {
    pub images: Vec<PathBuf>,
    pub texts: Vec<String>,
}

/// Named output tensors, each on the CPU and contiguous, plus string metadata describing how
/// they were made.
#[derive(Debug, Clone)]
pub struct Embeddings {
    pub kind: ModelKind,
    /// Tensors in a fixed order: image outputs first, then text outputs.
    pub tensors: Vec<(String, Tensor)>,
    /// Checkpoint id, revision and file hashes, inputs and their hashes; see [`metadata`].
    pub metadata: BTreeMap<String, String>,
}

impl Embeddings {
    /// Returns the tensor called `name`, if this model produced one.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.iter().find(|(key, _)| key == name).map(|(_, tensor)| tensor)
    }
}

/// Embeds `inputs` with the checkpoint `spec` (a directory or hub id, see
/// [`Checkpoint::resolve`]).
///
/// Outputs by model type:
/// - siglip: [`IMAGE_EMBEDS`] and [`PATCH_TOKENS`] for images, [`TEXT_EMBEDS`] for texts;
/// - dinov2: [`LAST_HIDDEN_STATE`], [`POOLER_OUTPUT`] and [`PATCH_TOKENS`] for images; texts
///   are rejected;
/// - clip: [`IMAGE_EMBEDS`] for images, [`TEXT_EMBEDS`] for texts.
pub fn embed(spec: &str, inputs: &EmbedInputs, device: &Device) -> Result<Embeddings> {
    if inputs.images.is_empty() && inputs.texts.is_empty() {
        return Err(EncoderError::InvalidInput(
            "nothing to embed; pass at least one image or text".into(),
        ));
    }
    let kind = detect_model_kind(spec)?;
    if !inputs.texts.is_empty() && !kind.embeds_text() {
        return Err(EncoderError::InvalidInput(format!(
            "{spec} is a {} checkpoint, which embeds images only, but texts were given \
             ({:?}); drop the texts or pass a SigLIP or CLIP checkpoint",
            kind.model_type(),
            inputs.texts
        )));
    }
    for (index, text) in inputs.texts.iter().enumerate() {
        if text.trim().is_empty() {
            return Err(EncoderError::InvalidInput(format!(
                "text {index} is empty; pass words to embed"
            )));
        }
    }
    let images = load_images(&inputs.images)?;
    let texts: Vec<&str> = inputs.texts.iter().map(String::as_str).collect();
    tracing::info!(model_type = kind.model_type(), images = images.len(), texts = texts.len(), "embedding");

    let (checkpoint, tensors) = match kind {
        ModelKind::Siglip => {
            let encoder = SiglipEncoder::load(spec, device)?;
            let mut tensors = Vec::new();
            if !images.is_empty() {
                let features = encoder.image_features(&images)?;
                tensors.push((IMAGE_EMBEDS, features.embeds));
                tensors.push((PATCH_TOKENS, features.patch_tokens));
            }
            if !texts.is_empty() {
                tensors.push((TEXT_EMBEDS, encoder.text_embeds(&texts)?));
            }
            (encoder.checkpoint, tensors)
        }
        ModelKind::Dinov2 => {
            let encoder = Dinov2Encoder::load(spec, device)?;
            let output = encoder.features(&images)?;
            let patch_tokens = output.last_hidden_state.i((.., 1..))?;
            let tensors = vec![
                (LAST_HIDDEN_STATE, output.last_hidden_state),
                (POOLER_OUTPUT, output.pooler_output),
                (PATCH_TOKENS, patch_tokens),
            ];
            (encoder.checkpoint, tensors)
        }
        ModelKind::Clip => {
            let encoder = ClipEncoder::load(spec, device)?;
            let mut tensors = Vec::new();
            if !images.is_empty() {
                tensors.push((IMAGE_EMBEDS, encoder.image_embeds(&images)?));
            }
            if !texts.is_empty() {
                tensors.push((TEXT_EMBEDS, encoder.text_embeds(&texts)?));
            }
            (encoder.checkpoint, tensors)
        }
    };

    let tensors = tensors
        .into_iter()
        .map(|(name, tensor)| Ok((name.to_owned(), tensor.to_device(&Device::Cpu)?.contiguous()?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Embeddings {
        kind,
        tensors,
        metadata: metadata(kind, &checkpoint, inputs)?,
    })
}

fn load_images(paths: &[PathBuf]) -> Result<Vec<RgbImage>> {
    paths
        .iter()
        .map(|path| {
            if !path.is_file() {
                return Err(EncoderError::InvalidInput(format!(
                    "image {} not found; check the path (relative paths start at the current directory)",
                    path.display()
                )));
            }
            load_rgb(path)
        })
        .collect()
}

/// An input image as recorded in the metadata.
#[derive(Debug, serde::Serialize)]
struct ImageRecord {
    path: String,
    sha256: String,
}

/// A checkpoint file as recorded in the metadata.
#[derive(Debug, serde::Serialize)]
struct FileRecord<'a> {
    name: &'a str,
    sha256: &'a str,
}

/// String metadata for the output header. Keys: `pickloop_version`, `model_type`,
/// `checkpoint_id`, `checkpoint_revision` (empty for a local directory), `checkpoint_files`
/// (JSON list of `{name, sha256}`), `images` (JSON list of `{path, sha256}`) and `texts`
/// (JSON list of strings). Rows of every tensor follow the order of `images` or `texts`.
fn metadata(kind: ModelKind, checkpoint: &Checkpoint, inputs: &EmbedInputs) -> Result<BTreeMap<String, String>> {
    let images = inputs
        .images
        .iter()
        .map(|path| {
            Ok(ImageRecord {
                path: path.display().to_string(),
                sha256: sha256_file(path)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let files: Vec<FileRecord> = checkpoint
        .files
        .iter()
        .map(|file| FileRecord {
            name: &file.name,
            sha256: &file.sha256,
        })
        .collect();
    Ok(BTreeMap::from([
        ("pickloop_version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        ("model_type".to_owned(), kind.model_type().to_owned()),
        ("checkpoint_id".to_owned(), checkpoint.id.clone()),
        ("checkpoint_revision".to_owned(), checkpoint.revision.clone().unwrap_or_default()),
        ("checkpoint_files".to_owned(), to_json(&files)),
        ("images".to_owned(), to_json(&images)),
        ("texts".to_owned(), to_json(&inputs.texts)),
    ]))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists of strings serialise to JSON")
}
