//! A `tokenizers` tokenizer built from a SentencePiece `spiece.model`, for SigLIP checkpoints
//! that ship no `tokenizer.json`.
//!
//! It reproduces transformers' `SiglipTokenizer` (transformers 5.25, the slow SentencePiece
//! tokenizer). That class prepends "▁" to the text (after turning any "▁" into a space) and
//! splits out its special tokens. It canonicalises each remaining part: lowercase when
//! `do_lower_case`, remove ASCII punctuation (`string.punctuation`), collapse each whitespace
//! run to one space, and strip both ends. The SentencePiece model then applies its normaliser,
//! splits at "▁" and encodes with the unigram pieces, and the tokenizer appends `</s>`.

use std::path::Path;

use sentencepiece_model::{ModelType, SentencePieceModel, Type};
use serde::Deserialize;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Lowercase, NormalizerWrapper, Precompiled, Replace, Sequence, Strip};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, Tokenizer};
use tokenizers::normalizers::replace::ReplacePattern;

use super::checkpoint::read_json;
use super::error::{EncoderError, Result};

/// The SentencePiece symbol for a space.
const SPIECE_UNDERLINE: char = '▁';

/// `SiglipTokenizer` defaults for its special tokens. Its pad token is the end-of-sequence piece.
const DEFAULT_EOS_TOKEN: &str = "</s>";
const DEFAULT_UNK_TOKEN: &str = "<unk>";
const DEFAULT_PAD_TOKEN: &str = "</s>";

/// Python's `string.punctuation`, which `SiglipTokenizer.remove_punctuation` deletes: the 32
/// ASCII punctuation characters.
const ASCII_PUNCTUATION_PATTERN: &str = "[[:punct:]]";

/// A run of the characters that Python's `str.isspace` accepts: Unicode White_Space plus the
/// information separators U+001C..U+001F, which `re.sub(r"\s+", ...)` also collapses.
const WHITESPACE_RUN_PATTERN: &str = r"[\s\x1C-\x1F]+";

/// SentencePiece's `remove_extra_whitespaces` after the character map: runs of spaces become one
/// space, and trailing spaces and "▁" are removed.
const SPACE_RUN_PATTERN: &str = " {2,}";
const TRAILING_SPACE_PATTERN: &str = "[ ▁]+$";

/// Settings of `tokenizer_config.json` that change how `SiglipTokenizer` encodes.
#[derive(Debug, Clone, Deserialize)]
pub struct SpieceTokenizerConfig {
    /// Lowercase the text before encoding; `SiglipTokenizer` defaults to true.
    #[serde(default = "default_do_lower_case")]
    pub do_lower_case: bool,
    /// Token appended to every text.
    #[serde(default = "default_eos_token", deserialize_with = "token_content")]
    pub eos_token: String,
    #[serde(default = "default_unk_token", deserialize_with = "token_content")]
    pub unk_token: String,
    #[serde(default = "default_pad_token", deserialize_with = "token_content")]
    pub pad_token: String,
}

impl Default for SpieceTokenizerConfig {
    fn default() -> Self {
        Self {
            do_lower_case: default_do_lower_case(),
            eos_token: default_eos_token(),
            unk_token: default_unk_token(),
            pad_token: default_pad_token(),
        }
    }
}

fn default_do_lower_case() -> bool {
    true
}

fn default_eos_token() -> String {
    DEFAULT_EOS_TOKEN.to_owned()
}

fn default_unk_token() -> String {
    DEFAULT_UNK_TOKEN.to_owned()
}

fn default_pad_token() -> String {
    DEFAULT_PAD_TOKEN.to_owned()
}

/// Prepends "▁" to `text` after turning each "▁" in it into a space, as
/// `SiglipTokenizer.tokenize` does before it splits out special tokens. The tokenizer of
/// [`tokenizer_from_spiece`] expects texts prepared this way.
pub fn prepare_text(text: &str) -> String {
    let mut prepared = String::with_capacity(text.len() + SPIECE_UNDERLINE.len_utf8());
    prepared.push(SPIECE_UNDERLINE);
    prepared.push_str(&text.replace(SPIECE_UNDERLINE, " "));
    prepared
}

/// Reads a special token stored either as a string or as an `AddedToken` object with `content`.
fn token_content<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TokenValue {
        Plain(String),
        Added { content: String },
    }
    Ok(match TokenValue::deserialize(deserializer)? {
        TokenValue::Plain(content) | TokenValue::Added { content } => content,
    })
}

impl SpieceTokenizerConfig {
    /// Reads the settings from `tokenizer_config.json`, or uses the `SiglipTokenizer` defaults
    /// when the checkpoint has none.
    pub fn from_file(path: Option<&Path>) -> Result<Self> {
        path.map_or_else(|| Ok(Self::default()), read_json)
    }
}

/// Builds a tokenizer that encodes texts prepared with [`prepare_text`] like transformers'
/// `SiglipTokenizer` from `spiece.model` and the settings of `tokenizer_config.json`. Padding
/// and truncation are left to the caller.
///
/// NOTE: lowercasing maps each character alone, so a final capital sigma becomes "σ" where
/// Python gives "ς". After a literal special token, a part that starts with a character outside
/// the vocabulary keeps it as `<unk>`, while `SiglipTokenizer` drops it when `>` is also outside
/// the vocabulary, because its `<unk>`-prefix encoding fuses the two unknown characters.
pub fn tokenizer_from_spiece(path: &Path, config: &SpieceTokenizerConfig) -> Result<Tokenizer> {
    let error = |message: String| EncoderError::Tokenizer {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let model = SentencePieceModel::from_slice(&bytes).map_err(|err| {
        error(format!("cannot parse it as a SentencePiece model ({err}); fetch the checkpoint's spiece.model again"))
    })?;
    let trainer = model.trainer().ok_or_else(|| error("the model has no trainer_spec".into()))?;
    if trainer.model_type() != ModelType::Unigram {
        return Err(error(format!(
            "model_type is {:?}, but SigLIP tokenizers are unigram models; use a checkpoint with a unigram spiece.model \
             or a tokenizer.json",
            trainer.model_type()
        )));
    }

    let vocab: Vec<(String, f64)> = model
        .pieces()
        .iter()
        .map(|piece| (piece.piece().to_owned(), f64::from(piece.score())))
        .collect();
    let unk_id = usize::try_from(trainer.unk_id())
        .ok()
        .filter(|id| model.pieces().get(*id).is_some_and(|piece| piece.r#type() == Type::Unknown))
        .ok_or_else(|| {
            error(format!(
                "trainer_spec.unk_id {} is not an unknown piece of the {}-piece vocabulary",
                trainer.unk_id(),
                vocab.len()
            ))
        })?;
    let eos_id = vocab
        .iter()
        .position(|(piece, _)| *piece == config.eos_token)
        .ok_or_else(|| {
            error(format!(
                "eos_token {:?} is not a piece of the model; check eos_token in tokenizer_config.json",
                config.eos_token
            ))
        })?;
    let unigram = Unigram::from(vocab, Some(unk_id), trainer.byte_fallback())
        .map_err(|err| error(format!("cannot build a unigram model from the pieces: {err}")))?;

    let mut tokenizer = Tokenizer::new(unigram);
    tokenizer.with_normalizer(Some(normalizer(&model, config).map_err(|err| error(err.to_string()))?));
    tokenizer.with_pre_tokenizer(Some(Metaspace::new(SPIECE_UNDERLINE, PrependScheme::Never, true)));
    let append_error = |err: String| error(format!("cannot append {}: {err}", config.eos_token));
    let post_processor = TemplateProcessing::builder()
        .try_single(format!("$A {}", config.eos_token))
        .map_err(append_error)?
        .special_tokens(vec![(config.eos_token.clone(), eos_id as u32)])
        .build()
        .map_err(|err| append_error(err.to_string()))?;
    tokenizer.with_post_processor(Some(post_processor));

    // SiglipTokenizer matches its special tokens in the raw text and strips the whitespace
    // around them, so the text between them is canonicalised and encoded piece by piece.
    let mut special_tokens: Vec<AddedToken> = Vec::new();
    for content in [&config.eos_token, &config.unk_token, &config.pad_token] {
        if special_tokens.iter().all(|token| token.content != *content) {
            special_tokens.push(AddedToken::from(content.clone(), true).lstrip(true).rstrip(true).normalized(false));
        }
    }
    tokenizer.add_special_tokens(&special_tokens);
    Ok(tokenizer)
}

/// Builds the `SiglipTokenizer` canonicalisation followed by the SentencePiece normaliser.
fn normalizer(model: &SentencePieceModel, config: &SpieceTokenizerConfig) -> tokenizers::Result<NormalizerWrapper> {
    let regex = |pattern: &str, content: &str| Replace::new(ReplacePattern::Regex(pattern.to_owned()), content);
    let mut steps: Vec<NormalizerWrapper> = Vec::new();
    if config.do_lower_case {
        steps.push(Lowercase.into());
    }
    steps.push(regex(ASCII_PUNCTUATION_PATTERN, "")?.into());
    steps.push(regex(WHITESPACE_RUN_PATTERN, " ")?.into());
    steps.push(Strip::new(true, true).into());

    let spec = model.normalizer();
    let charsmap = spec.map(|spec| spec.precompiled_charsmap()).unwrap_or_default();
    if !charsmap.is_empty() {
        steps.push(Precompiled::from(charsmap)?.into());
    }
    if spec.is_none_or(|spec| spec.remove_extra_whitespaces()) {
        steps.push(regex(SPACE_RUN_PATTERN, " ")?.into());
        steps.push(regex(TRAILING_SPACE_PATTERN, "")?.into());
    }
    Ok(Sequence::new(steps).into())
}
