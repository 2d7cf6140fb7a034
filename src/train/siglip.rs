//! Training a small SigLIP on a pickloop dataset: object crops against captions composed from
//! their attributes, with the pairwise sigmoid loss and a learnable temperature and bias.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use candle_core::{Device, Tensor};
use candle_nn::Activation;
use image::RgbImage;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::checkpoint::{write_json, write_siglip_preprocessor};
use super::data::{CropRecord, CropSplit, Dataset};
use super::optim::{OptimSettings, Trainer};
use super::seeded::{InitScheme, SeededVars};
use super::vocab::{self, PAD_ID};
use super::{StepLog, TrainReport};
use crate::perception::encoders::preprocess::ImageProcessor;
use crate::perception::encoders::siglip::{Config, SiglipModel, TextConfig, VisionConfig};
use crate::perception::select::square_crop;

/// Width, depth and input sizes of the sim-trained SigLIP.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SiglipArchitecture {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_attention_heads: usize,
    pub vision_layers: usize,
    pub text_layers: usize,
    /// Side of the square input image, pixels.
    pub image_size: usize,
    pub patch_size: usize,
    /// Text length every caption is padded or truncated to, tokens.
    pub max_tokens: usize,
}

impl Default for SiglipArchitecture {
    fn default() -> Self {
        Self {
            hidden_size: 128,
            intermediate_size: 512,
            num_attention_heads: 4,
            vision_layers: 4,
            text_layers: 3,
            image_size: 64,
            patch_size: 8,
            max_tokens: 16,
        }
    }
}

/// Settings of one SigLIP training run.
#[derive(Debug, Clone, Serialize)]
pub struct SiglipTrainSettings {
    pub architecture: SiglipArchitecture,
    pub steps: usize,
    /// Crops (and captions) per step; the loss scores every crop against every caption.
    pub batch_size: usize,
    pub seed: u64,
    pub optim: OptimSettings,
}

impl Default for SiglipTrainSettings {
    fn default() -> Self {
        Self {
            architecture: SiglipArchitecture::default(),
            steps: 1500,
            batch_size: 48,
            seed: 0,
            optim: OptimSettings {
                peak_learning_rate: 1e-3,
                weight_decay: 1e-4,
                warmup_steps: 100,
                max_grad_norm: 1.0,
            },
        }
    }
}

/// Range of the relative change of the crop's side length, drawn uniformly, so that training
/// crops are as loose or tight as the crops of depth proposals at inference.
const CROP_SCALE_RANGE: (f32, f32) = (0.85, 1.25);
/// Largest shift of the crop centre, as a share of the box side.
const CROP_SHIFT_SHARE: f32 = 0.1;
/// Brightness factor range applied to every channel alike, which keeps hues (colour words).
const BRIGHTNESS_RANGE: (f32, f32) = (0.8, 1.2);

/// Builds the Hugging Face SigLIP `config.json` for `architecture` and a vocabulary of `vocab_size` ids.
pub fn sim_config(architecture: &SiglipArchitecture, vocab_size: usize) -> Config {
    let a = architecture;
    Config {
        text_config: TextConfig {
            vocab_size,
            hidden_size: a.hidden_size,
            intermediate_size: a.intermediate_size,
            num_hidden_layers: a.text_layers,
            num_attention_heads: a.num_attention_heads,
            max_position_embeddings: a.max_tokens,
            hidden_act: Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
            pad_token_id: PAD_ID,
            projection_size: None,
        },
        vision_config: VisionConfig {
            hidden_size: a.hidden_size,
            intermediate_size: a.intermediate_size,
            num_hidden_layers: a.vision_layers,
            num_attention_heads: a.num_attention_heads,
            num_channels: 3,
            image_size: a.image_size,
            patch_size: a.patch_size,
            hidden_act: Activation::GeluPytorchTanh,
            layer_norm_eps: 1e-6,
            vision_use_head: true,
        },
    }
}

/// Writes `config.json`, `preprocessor_config.json` and `tokenizer.json` of a SigLIP checkpoint.
fn write_model_files(out: &Path, config: &Config, words: &[String]) -> Result<()> {
    let mut value = serde_json::to_value(config)?;
    value["model_type"] = "siglip".into();
    value["architectures"] = serde_json::json!(["SiglipModel"]);
    value["text_config"]["model_type"] = "siglip_text_model".into();
    value["vision_config"]["model_type"] = "siglip_vision_model".into();
    write_json(&out.join("config.json"), &value)?;
    write_siglip_preprocessor(out, config.vision_config.image_size)?;
    vocab::write_tokenizer(&out.join("tokenizer.json"), words)
}

/// Starting `logit_bias` for batches of `batch_size`: the log-odds of a random pair being a
/// match when each crop has one matching caption. A start at -10 suits batches of 32k pairs. At a batch of 96, AdamW moves the bias by about the learning rate per step,
/// so reaching the -4.5 that the label balance calls for would take thousands of steps.
pub fn initial_logit_bias(batch_size: usize) -> f64 {
    -((batch_size.max(2) - 1) as f64).ln()
}

/// Sigmoid loss of SigLIP: every crop-caption pair is a binary match, labelled +1 when the
/// caption describes the crop and -1 otherwise, averaged over crops.
pub fn sigmoid_loss(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
    let z = (logits * labels)?;
    // log(sigmoid(z)) = min(z, 0) - log(1 + exp(-|z|)), stable for large |z|.
    let log_sigmoid = ((z.minimum(0f64)?) - ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?;
    log_sigmoid.sum_all()?.neg()? / logits.dim(0)? as f64
}

/// Trains from seeded random weights and writes the checkpoint into `out`. Zero steps write
/// the random initialisation, the baseline the trained model is measured against.
pub fn train(
    dataset: &Dataset,
    out: &Path,
    settings: &SiglipTrainSettings,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<TrainReport> {
    let started = std::time::Instant::now();
    let device = Device::Cpu;
    let words = vocab::vocabulary(
        dataset
            .crops
            .iter()
            .flat_map(|crop| crop.captions.iter())
            .flat_map(|caption| caption.split_whitespace()),
    );
    let config = sim_config(&settings.architecture, vocab::vocab_size(&words));
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_model_files(out, &config, &words)?;
    let processor = ImageProcessor::new(super::checkpoint::read_preprocessor(out)?)?;
    let tokenizer = crate::perception::encoders::tokenize::TextTokenizer::from_file(
        &out.join("tokenizer.json"),
        config.text_config.max_position_embeddings,
        PAD_ID,
    )?;

    let vars = SeededVars::new(settings.seed, InitScheme::Siglip);
    let model = SiglipModel::new(&config, vars.var_builder(&device))?;
    vars.set("logit_bias", &Tensor::new(&[initial_logit_bias(settings.batch_size) as f32], &device)?)?;
    let train: Vec<&CropRecord> = dataset.crops_in(CropSplit::Train).collect();
    ensure!(
        settings.steps == 0 || train.len() >= settings.batch_size,
        "the dataset has {} training crops, fewer than --batch-size {}; render more scenes or lower the batch size",
        train.len(),
        settings.batch_size
    );
    let mut renders: HashMap<String, RgbImage> = HashMap::new();
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut trainer = Trainer::new(vars.all_vars(), settings.optim, settings.steps)?;
    let mut losses = Vec::with_capacity(settings.steps);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut cursor = order.len();

    for step in 0..settings.steps {
        let mut crops = Vec::with_capacity(settings.batch_size);
        let mut captions = Vec::with_capacity(settings.batch_size);
        let mut batch = Vec::with_capacity(settings.batch_size);
        while batch.len() < settings.batch_size {
            if cursor == order.len() {
                order.shuffle(&mut rng);
                cursor = 0;
            }
            let record = train[order[cursor]];
            cursor += 1;
            let render = match renders.get(&record.group) {
                Some(render) => render,
                None => {
                    let image = dataset.image(&dataset.render_of(record))?;
                    renders.entry(record.group.clone()).or_insert(image)
                }
            };
            crops.push(jittered_crop(render, record.bbox, &mut rng));
            captions.push(record.captions[rng.random_range(0..record.captions.len())].clone());
            batch.push(record);
        }
        let labels: Vec<f32> = batch
            .iter()
            .flat_map(|record| {
                captions
                    .iter()
                    .map(|caption| if record.captions.contains(caption) { 1.0 } else { -1.0 })
                    .collect::<Vec<_>>()
            })
            .collect();
        let labels = Tensor::from_vec(labels, (batch.len(), batch.len()), &device)?;
        let pixel_values = processor.preprocess(&crops, &device)?;
        let caption_refs: Vec<&str> = captions.iter().map(String::as_str).collect();
        let input_ids = tokenizer.encode_tensor(&caption_refs, &device)?;
        let output = model.forward(&pixel_values, &input_ids)?;
        let loss = sigmoid_loss(&output.logits_per_image, &labels)?;
        let log = trainer.step(&loss, step)?;
        losses.push(log.loss);
        on_step(&log);
    }
    vars.save(&out.join("model.safetensors"))?;
    Ok(TrainReport::new(losses, started.elapsed(), vars.parameter_count()))
}

/// Cuts a square crop around `bbox` with a random scale and shift, flips it half the time and
/// scales its brightness.
fn jittered_crop(render: &RgbImage, bbox: [u32; 4], rng: &mut ChaCha8Rng) -> RgbImage {
    let [u_min, v_min, u_max, v_max] = bbox.map(|value| value as f32);
    let side = (u_max - u_min + 1.0).max(v_max - v_min + 1.0);
    let half = side * rng.random_range(CROP_SCALE_RANGE.0..CROP_SCALE_RANGE.1) / 2.0;
    let centre_u = (u_min + u_max) / 2.0 + side * rng.random_range(-CROP_SHIFT_SHARE..CROP_SHIFT_SHARE);
    let centre_v = (v_min + v_max) / 2.0 + side * rng.random_range(-CROP_SHIFT_SHARE..CROP_SHIFT_SHARE);
    let clamp_u = |u: f32| u.round().clamp(0.0, render.width() as f32 - 1.0) as u32;
    let clamp_v = |v: f32| v.round().clamp(0.0, render.height() as f32 - 1.0) as u32;
    let jittered = [
        clamp_u(centre_u - half),
        clamp_v(centre_v - half),
        clamp_u(centre_u + half).max(clamp_u(centre_u - half)),
        clamp_v(centre_v + half).max(clamp_v(centre_v - half)),
    ];
    let mut crop = square_crop(render, jittered);
    if rng.random_bool(0.5) {
        image::imageops::flip_horizontal_in_place(&mut crop);
    }
    let brightness = rng.random_range(BRIGHTNESS_RANGE.0..BRIGHTNESS_RANGE.1);
    for pixel in crop.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            *channel = (f32::from(*channel) * brightness).round().clamp(0.0, 255.0) as u8;
        }
    }
    crop
}
