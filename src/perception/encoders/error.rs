//! Errors of the encoder stack: checkpoint files, configs, images, tokens and tensors.

use std::path::PathBuf;

/// Result type of the encoder module.
pub type Result<T> = std::result::Result<T, EncoderError>;

/// An error that names the value that failed and, where one exists, the fix.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("invalid checkpoint spec {spec:?}: {reason}")]
    InvalidSpec { spec: String, reason: String },

    #[error("checkpoint file {path} not found: {fix}")]
    MissingFile { path: PathBuf, fix: String },

    #[error("checkpoint file {path} is corrupt ({reason}): {fix}")]
    CorruptFile { path: PathBuf, reason: String, fix: String },

    #[error("failed to read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("failed to write {path}: {message}; check that the directory is writable and has free space")]
    Write { path: PathBuf, message: String },

    #[error("download of {file} from {repo_id}@{revision} failed: {source}")]
    Download {
        repo_id: String,
        revision: String,
        file: String,
        #[source]
        source: Box<hf_hub::api::sync::ApiError>,
    },

    #[error("unsupported config value {field} = {value} in {model}: {reason}")]
    UnsupportedConfig {
        model: &'static str,
        field: &'static str,
        value: String,
        reason: String,
    },

    #[error("invalid input: {0}")]
    InvalidInput(String),

    #[error("failed to decode image {path}: {source}")]
    Image {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },

    #[error("tokenizer {path} failed: {message}")]
    Tokenizer { path: PathBuf, message: String },

    #[error(transparent)]
    Tensor(#[from] candle_core::Error),
}
