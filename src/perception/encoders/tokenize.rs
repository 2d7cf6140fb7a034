//! Text tokenisation from a `tokenizer.json` or a SentencePiece `spiece.model`, with
//! fixed-length padding.
//!
//! SigLIP was trained on texts padded to `max_position_embeddings` without an attention mask and
//! pools the last position, so its processor pads with `padding="max_length"` and the padding
//! is part of the model input. CLIP pools at the end-of-text token under a causal mask, so
//! padding after that token does not change the output, and fixed-length padding serves both.
//!
//! A `tokenizer.json` is applied as it declares. The google/siglip checkpoints ship only a
//! `spiece.model`, which [`TextTokenizer::from_spiece`] turns into a tokenizer that encodes like
//! transformers' `SiglipTokenizer` (see [`super::spiece`]).

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection, TruncationParams,
    TruncationStrategy,
};

use super::error::{EncoderError, Result};
use super::spiece::{SpieceTokenizerConfig, prepare_text, tokenizer_from_spiece};

/// A tokenizer that truncates and pads every text to one length.
#[derive(Clone)]
pub struct TextTokenizer {
    tokenizer: Tokenizer,
    path: PathBuf,
    max_length: usize,
    /// Whether [`prepare_text`] runs before encoding, as a tokenizer built from `spiece.model` needs.
    spiece_input: bool,
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TextTokenizer")
            .field("path", &self.path)
            .field("max_length", &self.max_length)
            .finish_non_exhaustive()
    }
}

impl TextTokenizer {
    /// Loads `tokenizer.json` and sets truncation to `max_length` tokens (special tokens
    /// included) and right padding with `pad_id` up to `max_length`. Any padding or truncation
    /// stored in the file is replaced.
    pub fn from_file(path: &Path, max_length: usize, pad_id: u32) -> Result<Self> {
        let tokenizer = Tokenizer::from_file(path).map_err(|err| EncoderError::Tokenizer {
            path: path.to_path_buf(),
            message: format!("cannot parse it ({err}); fetch the checkpoint's tokenizer.json again"),
        })?;
        Self::new(tokenizer, path, max_length, pad_id, false)
    }

    /// Builds the tokenizer of transformers' `SiglipTokenizer` from a SentencePiece
    /// `spiece.model` and, when given, the checkpoint's `tokenizer_config.json`, then truncates
    /// and pads like [`TextTokenizer::from_file`].
    pub fn from_spiece(path: &Path, tokenizer_config: Option<&Path>, max_length: usize, pad_id: u32) -> Result<Self> {
        let config = SpieceTokenizerConfig::from_file(tokenizer_config)?;
        Self::new(tokenizer_from_spiece(path, &config)?, path, max_length, pad_id, true)
    }

    /// Sets truncation and padding on `tokenizer`, which was read from `path`.
    fn new(mut tokenizer: Tokenizer, path: &Path, max_length: usize, pad_id: u32, spiece_input: bool) -> Result<Self> {
        let error = |message: String| EncoderError::Tokenizer {
            path: path.to_path_buf(),
            message,
        };
        if max_length == 0 {
            return Err(error("max_length is 0; use the model's max_position_embeddings".into()));
        }
        let pad_token = tokenizer.id_to_token(pad_id).ok_or_else(|| {
            error(format!("pad id {pad_id} is not in the vocabulary; check pad_token_id in config.json"))
        })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|err| error(format!("cannot truncate to {max_length} tokens: {err}")))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(max_length),
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id: 0,
            pad_token,
        }));
        Ok(Self {
            tokenizer,
            path: path.to_path_buf(),
            max_length,
            spiece_input,
        })
    }

    /// Number of token ids, added tokens included; every encoded id is below it.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// File the tokenizer was built from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Length of every encoded sequence.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Encodes texts with the tokenizer's special tokens, one row of `max_length` ids each.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        texts
            .iter()
            .map(|text| {
                let input = if self.spiece_input { prepare_text(text) } else { (*text).to_owned() };
                self.tokenizer
                    .encode(input, true)
                    .map(|encoding| encoding.get_ids().to_vec())
                    .map_err(|err| EncoderError::Tokenizer {
                        path: self.path.clone(),
                        message: format!("cannot encode {text:?}: {err}"),
                    })
            })
            .collect()
    }

    /// Encodes texts into a `[texts, max_length]` u32 tensor.
    pub fn encode_tensor(&self, texts: &[&str], device: &Device) -> Result<Tensor> {
        if texts.is_empty() {
            return Err(EncoderError::InvalidInput("encode needs at least one text".into()));
        }
        let ids: Vec<u32> = self.encode(texts)?.into_iter().flatten().collect();
        Ok(Tensor::from_vec(ids, (texts.len(), self.max_length), device)?)
    }
}
