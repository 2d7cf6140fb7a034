//! Word-level `tokenizer.json` for the sim-trained SigLIP: one id per caption word, lowercased,
//! split on whitespace and punctuation, with an end-of-sequence token appended as SigLIP's
//! tokenizer does.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

pub const PAD_TOKEN: &str = "<pad>";
pub const EOS_TOKEN: &str = "</s>";
pub const UNK_TOKEN: &str = "<unk>";
/// Ids of the special tokens, before the words.
pub const PAD_ID: u32 = 0;
pub const EOS_ID: u32 = 1;
pub const UNK_ID: u32 = 2;

/// Words of the default prompt templates ("{}" and "a photo of {}"), which every
/// vocabulary gets so the shipped templates never hit the unknown token.
const TEMPLATE_WORDS: [&str; 3] = ["a", "photo", "of"];

/// Builds the sorted word list of a vocabulary from caption words.
pub fn vocabulary<'a>(caption_words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let words: BTreeSet<String> = caption_words
        .into_iter()
        .chain(TEMPLATE_WORDS)
        .map(str::to_lowercase)
        .filter(|word| !word.trim().is_empty())
        .collect();
    words.into_iter().collect()
}

/// Number of token ids for `words`: the special tokens, then one per word.
pub fn vocab_size(words: &[String]) -> usize {
    words.len() + 3
}

/// Builds the `tokenizer.json` document for `words`.
pub fn tokenizer_json(words: &[String]) -> Value {
    let mut vocab = serde_json::Map::new();
    for (token, id) in [(PAD_TOKEN, PAD_ID), (EOS_TOKEN, EOS_ID), (UNK_TOKEN, UNK_ID)] {
        vocab.insert(token.to_owned(), json!(id));
    }
    for (offset, word) in words.iter().enumerate() {
        vocab.insert(word.clone(), json!(offset as u32 + UNK_ID + 1));
    }
    let special = |id: u32, content: &str| {
        json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true})
    };
    let sequence = |name: &str| json!({"Sequence": {"id": name, "type_id": 0}});
    let eos = json!({"SpecialToken": {"id": EOS_TOKEN, "type_id": 0}});
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special(PAD_ID, PAD_TOKEN), special(EOS_ID, EOS_TOKEN), special(UNK_ID, UNK_TOKEN)],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [sequence("A"), eos.clone()],
            "pair": [sequence("A"), eos.clone(), sequence("B"), eos],
            "special_tokens": {EOS_TOKEN: {"id": EOS_TOKEN, "ids": [EOS_ID], "tokens": [EOS_TOKEN]}}
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK_TOKEN}
    })
}

/// Writes `tokenizer.json` for `words` into `path`.
pub fn write_tokenizer(path: &Path, words: &[String]) -> Result<()> {
    let text = serde_json::to_string_pretty(&tokenizer_json(words))?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}
