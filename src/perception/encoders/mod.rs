//! Image and text encoders on candle with numerical parity to Hugging Face transformers.
//!
//! - [`siglip`]: SigLIP towers and sigmoid head, for "which object matches the words?".
//! - [`clip`]: CLIP towers and softmax head, the same question with a softmax over candidates.
//! - [`dinov2`]: DINOv2 patch features, for "is this still the same object?".
//!
//! Each model reads a Hugging Face checkpoint directory or hub id ([`checkpoint`]), preprocesses
//! images as transformers' Pillow-based image processors do ([`preprocess`], [`resample`]) and
//! tokenises with the checkpoint's `tokenizer.json` or SentencePiece `spiece.model` ([`tokenize`],
//! [`spiece`]). [`pipeline`] bundles them, and [`embed`] runs whichever one a checkpoint's `config.json` names.

pub mod activation;
pub mod checkpoint;
pub mod clip;
pub mod cost;
pub mod dinov2;
pub mod embed;
pub mod error;
pub mod export;
pub mod hub;
pub mod layers;
pub mod pipeline;
pub mod preprocess;
pub mod resample;
pub mod siglip;
pub mod spiece;
pub mod tokenize;

pub use checkpoint::{Checkpoint, CheckpointFile, CheckpointSpec, FileAlternative};
pub use error::{EncoderError, Result};
pub use hub::HubSettings;
pub use pipeline::{ClipEncoder, Dinov2Encoder, SiglipEncoder};
pub use preprocess::{ImageProcessor, ImageProcessorConfig};
pub use tokenize::TextTokenizer;
