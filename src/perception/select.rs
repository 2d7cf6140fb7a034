//! Language-conditioned selection: which depth proposal shows the object the instruction names?
//!
//! Each proposal's bounding box, widened by a margin and made square, is cropped from the RGB
//! frame. All crops go through the image tower in one batch and are scored against the
//! instruction's object phrase filled into one or more prompt templates. Several templates are
//! ensembled by averaging their L2-normalised text embeddings and normalising the mean again.
//! Each checkpoint then scores one text per crop with its own head: SigLIP's sigmoid of the
//! scaled cosine plus bias, or CLIP's softmax over the candidates.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, ensure};
use candle_core::{Device, Tensor};
use image::RgbImage;

use super::Candidate;
use super::encoders::layers::l2_normalize;
use super::encoders::{Checkpoint, ClipEncoder, SiglipEncoder};
use super::proposals::Proposal;

/// Templates used when none are configured; `{}` is replaced by the object phrase.
pub const DEFAULT_TEMPLATES: [&str; 2] = ["{}", "a photo of {}"];

/// Placeholder for the object phrase in a prompt template.
pub const PHRASE_PLACEHOLDER: &str = "{}";

/// Margin added on each side of a proposal's bounding box before cropping, as a share of the
/// box's longer side, so the crop shows the object's outline and a little context.
pub const CROP_MARGIN_SHARE: f32 = 0.15;

/// Description of the template ensemble, as written to evidence rows.
pub const ENSEMBLE_METHOD: &str = "mean of L2-normalised text embeddings, normalised again";

/// Leading words of an instruction that are not part of the object phrase. They are matched
/// longest first, so that "pick up" wins over "pick". They cover every paraphrase frame of the `prompt_paraphrase`
/// perturbation, so that a paraphrase changes only the words around the phrase.
const INSTRUCTION_VERBS: [&str; 14] = [
    "could you hand me",
    "please pick up",
    "can you get me",
    "i would like",
    "pick up",
    "get me",
    "find",
    "fetch",
    "pick",
    "grab",
    "get",
    "take",
    "lift",
    "i need",
];
const ARTICLES: [&str; 3] = ["the", "a", "an"];

/// Strips the leading verb and article: "pick up the red mug" becomes "red mug". Verbs and
/// articles match in any letter case, and the phrase keeps its own letters ("Pick up the RED
/// mug" gives "RED mug"), so that a letter-case change reaches the text encoder. An
/// instruction without a known verb is returned trimmed.
pub fn object_phrase(instruction: &str) -> String {
    instruction[object_phrase_span(instruction)].to_owned()
}

/// Returns the byte range of the object phrase in `instruction`: after the leading verb and
/// article, before trailing whitespace and the closing `.` or `!`.
pub fn object_phrase_span(instruction: &str) -> std::ops::Range<usize> {
    let trimmed_end = instruction.trim_end().trim_end_matches(['.', '!']).trim_end().len();
    let mut start = instruction.len() - instruction.trim_start().len();
    let mut verbs_by_length = INSTRUCTION_VERBS;
    verbs_by_length.sort_by_key(|verb| std::cmp::Reverse(verb.len()));
    for words in [&verbs_by_length[..], &ARTICLES[..]] {
        if let Some(after) = words
            .iter()
            .find_map(|word| after_leading_word(&instruction[start..trimmed_end], word))
        {
            start = trimmed_end - after.len();
        }
    }
    start..trimmed_end.max(start)
}

/// Returns what follows `word` and at least one space at the start of `text`, comparing ASCII
/// letters without regard to case.
fn after_leading_word<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    (head.eq_ignore_ascii_case(word) && rest.starts_with(' ')).then(|| rest.trim_start())
}

/// Fills `phrase` into every template.
pub fn fill_templates(templates: &[String], phrase: &str) -> Vec<String> {
    templates.iter().map(|t| t.replace(PHRASE_PLACEHOLDER, phrase)).collect()
}

/// Checks that every template contains the phrase placeholder.
pub fn validate_templates(templates: &[String]) -> anyhow::Result<()> {
    ensure!(!templates.is_empty(), "no prompt templates; pass at least one --prompt such as \"a photo of {{}}\"");
    for template in templates {
        ensure!(
            template.contains(PHRASE_PLACEHOLDER),
            "prompt template {template:?} has no {PHRASE_PLACEHOLDER} for the object phrase; write e.g. \"a photo of {{}}\""
        );
    }
    Ok(())
}

/// Crops a square around `bbox` (inclusive pixel corners) with [`CROP_MARGIN_SHARE`] on each
/// side, shifted to lie inside the image. Near a small image's border the square is clamped
/// to the image and may come out rectangular; the image processor then resizes it.
pub fn square_crop(rgb: &RgbImage, bbox: [u32; 4]) -> RgbImage {
    let [u_min, v_min, u_max, v_max] = bbox;
    let side = (u_max - u_min + 1).max(v_max - v_min + 1) as f32;
    let side = (side * (1.0 + 2.0 * CROP_MARGIN_SHARE)).round() as u32;
    let crop_width = side.min(rgb.width()).max(1);
    let crop_height = side.min(rgb.height()).max(1);
    let centre_u = (u_min + u_max + 1) / 2;
    let centre_v = (v_min + v_max + 1) / 2;
    let left = centre_u.saturating_sub(crop_width / 2).min(rgb.width() - crop_width);
    let top = centre_v.saturating_sub(crop_height / 2).min(rgb.height() - crop_height);
    image::imageops::crop_imm(rgb, left, top, crop_width, crop_height).to_image()
}

/// Scores image crops against prompts with a vision-language model.
pub trait CropScorer: Send {
    /// Returns one score per crop, higher is a better match to the ensemble of `prompts`.
    fn score(&mut self, crops: &[RgbImage], prompts: &[String]) -> anyhow::Result<Vec<f32>>;
    /// Returns the checkpoint and head, for evidence rows.
    fn record(&self) -> serde_json::Value;
}

/// Text embeddings keyed by checkpoint and prompt, shared by every episode of a run.
#[derive(Debug, Default)]
pub struct TextEmbeddingCache {
    entries: Mutex<HashMap<(String, String), Vec<f32>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl TextEmbeddingCache {
    /// Returns the embedding of `prompt` under `model_key`, computing it with `embed` on a miss.
    pub fn get_or_embed(
        &self,
        model_key: &str,
        prompt: &str,
        embed: impl FnOnce(&str) -> anyhow::Result<Vec<f32>>,
    ) -> anyhow::Result<Vec<f32>> {
        let key = (model_key.to_owned(), prompt.to_owned());
        if let Some(found) = self.entries.lock().expect("no thread panics while holding the cache").get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(found.clone());
        }
        let embedding = embed(prompt)?;
        self.misses.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(model = model_key, prompt, "embedded prompt");
        self.entries
            .lock()
            .expect("no thread panics while holding the cache")
            .insert(key, embedding.clone());
        Ok(embedding)
    }

    /// Returns `(hits, misses)` so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

/// Cache key of a checkpoint: its id and revision, or the weights' SHA-256 for a local
/// directory, which has no revision.
pub fn model_key(checkpoint: &Checkpoint) -> String {
    let version = checkpoint.revision.clone().unwrap_or_else(|| {
        checkpoint
            .files
            .iter()
            .find(|file| file.name.ends_with(".safetensors"))
            .map_or_else(|| "local".to_owned(), |file| format!("sha256:{}", file.sha256))
    });
    format!("{}@{version}", checkpoint.id)
}

/// Averages the cached embeddings of `prompts` into one normalised text embedding `[1, dim]`.
fn ensemble_text(
    cache: &TextEmbeddingCache,
    key: &str,
    prompts: &[String],
    embed: impl Fn(&str) -> anyhow::Result<Vec<f32>>,
) -> anyhow::Result<Tensor> {
    ensure!(!prompts.is_empty(), "no prompts to score against");
    let mut sum: Vec<f32> = Vec::new();
    for prompt in prompts {
        let embedding = cache.get_or_embed(key, prompt, &embed)?;
        if sum.is_empty() {
            sum = vec![0.0; embedding.len()];
        }
        sum.iter_mut().zip(&embedding).for_each(|(total, value)| *total += value);
    }
    let dim = sum.len();
    Ok(l2_normalize(&Tensor::from_vec(sum, (1, dim), &Device::Cpu)?)?)
}

fn first_row(embeds: Tensor) -> anyhow::Result<Vec<f32>> {
    Ok(embeds.get(0)?.to_vec1()?)
}

/// SigLIP: sigmoid of the scaled cosine plus bias, an independent match probability per crop.
pub struct SiglipScorer {
    encoder: Arc<SiglipEncoder>,
    cache: Arc<TextEmbeddingCache>,
    key: String,
}

impl SiglipScorer {
    pub fn new(encoder: Arc<SiglipEncoder>, cache: Arc<TextEmbeddingCache>) -> Self {
        let key = model_key(&encoder.checkpoint);
        Self { encoder, cache, key }
    }
}

impl CropScorer for SiglipScorer {
    fn score(&mut self, crops: &[RgbImage], prompts: &[String]) -> anyhow::Result<Vec<f32>> {
        let encoder = &self.encoder;
        let text = ensemble_text(&self.cache, &self.key, prompts, |prompt| {
            first_row(encoder.text_embeds(&[prompt])?)
        })?;
        let images = encoder.image_features(crops).context("SigLIP image tower failed on the crops")?;
        let logits = encoder.logits(&images.embeds, &text)?;
        let probabilities = candle_nn::ops::sigmoid(&logits)?;
        Ok(probabilities.flatten_all()?.to_vec1()?)
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({ "model": "siglip", "head": "sigmoid(scale * cosine + bias) per crop", "checkpoint": self.encoder.checkpoint })
    }
}

/// CLIP: softmax of the scaled cosines over the candidate crops.
///
/// NOTE: tests/encoder_clip_parity.rs checks the CLIP encoder against transformers on a
/// random-weight checkpoint, but no test runs this scorer in an episode.
pub struct ClipScorer {
    encoder: Arc<ClipEncoder>,
    cache: Arc<TextEmbeddingCache>,
    key: String,
}

impl ClipScorer {
    pub fn new(encoder: Arc<ClipEncoder>, cache: Arc<TextEmbeddingCache>) -> Self {
        let key = model_key(&encoder.checkpoint);
        Self { encoder, cache, key }
    }
}

impl CropScorer for ClipScorer {
    fn score(&mut self, crops: &[RgbImage], prompts: &[String]) -> anyhow::Result<Vec<f32>> {
        let encoder = &self.encoder;
        let text = ensemble_text(&self.cache, &self.key, prompts, |prompt| {
            first_row(encoder.text_embeds(&[prompt])?)
        })?;
        let images = encoder.image_embeds(crops).context("CLIP image tower failed on the crops")?;
        let logits = images.matmul(&text.t()?)?.affine(f64::from(encoder.model.logit_scale()?), 0.0)?;
        let over_candidates = logits.flatten_all()?.unsqueeze(0)?;
        let probabilities = candle_nn::ops::softmax_last_dim(&over_candidates)?;
        Ok(probabilities.flatten_all()?.to_vec1()?)
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({ "model": "clip", "head": "softmax over candidates of scale * cosine", "checkpoint": self.encoder.checkpoint })
    }
}

/// Candidates of one selection and the index of the best-scoring one.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub candidates: Vec<Candidate>,
    pub chosen: Option<usize>,
}

/// Turns proposals and their scores into candidates; the chosen one has the highest score.
/// Scores that are not finite never win.
pub fn rank(proposals: &[Proposal], scores: &[f32]) -> Selection {
    let candidates: Vec<Candidate> = proposals
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(index, (proposal, &score))| Candidate {
            label: format!("proposal {index}"),
            score,
            position: proposal.centroid,
            bbox: Some(proposal.bbox),
        })
        .collect();
    let chosen = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.score.is_finite())
        .max_by(|(_, a), (_, b)| a.score.total_cmp(&b.score))
        .map(|(index, _)| index);
    Selection { candidates, chosen }
}

/// Scores every proposal's crop in one batch and ranks them.
pub fn select_by_crops(
    scorer: &mut dyn CropScorer,
    rgb: &RgbImage,
    proposals: &[Proposal],
    prompts: &[String],
) -> anyhow::Result<Selection> {
    if proposals.is_empty() {
        return Ok(Selection::default());
    }
    let crops: Vec<RgbImage> = proposals.iter().map(|p| square_crop(rgb, p.bbox)).collect();
    let scores = scorer.score(&crops, prompts)?;
    ensure!(
        scores.len() == proposals.len(),
        "the scorer returned {} scores for {} crops",
        scores.len(),
        proposals.len()
    );
    Ok(rank(proposals, &scores))
}
