//! Training a small DINOv2 by self-distillation on pairs of renders of one scene from two
//! camera poses.
//!
//! The student learns to match an EMA teacher on two levels. Image level, as DINO: the
//! class token of every view (both full renders and smaller local crops) matches the teacher's
//! class token of the other full render. Patch level, as iBOT does within one image but here
//! across the camera motion: a patch of render B matches the teacher's patch of render A that
//! shows the same surface point, known from depth and camera poses. The second term is what
//! keeps patch features stable when the camera moves, which is what the tracker needs.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result, ensure};
use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::{Activation, VarBuilder};
use image::RgbImage;
use image::imageops::FilterType;
use rand::{RngExt, SeedableRng};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::checkpoint::{read_preprocessor, write_dinov2_preprocessor, write_json};
use super::data::{Dataset, PairRecord, PairSplit};
use super::dino::{Centre, DinoHead, HeadShape, distillation_loss};
use super::optim::{OptimSettings, Trainer};
use super::seeded::{InitScheme, SeededVars};
use super::{StepLog, TrainReport};
use crate::perception::encoders::dinov2::{Config, Dinov2Model};
use crate::perception::encoders::layers::l2_normalize;
use crate::perception::encoders::preprocess::ImageProcessor;

/// Width, depth and input size of the sim-trained DINOv2.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Dinov2Architecture {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    /// Side of the square full view, pixels; also the checkpoint's `image_size`.
    pub image_size: usize,
    pub patch_size: usize,
}

impl Default for Dinov2Architecture {
    fn default() -> Self {
        Self {
            hidden_size: 128,
            num_hidden_layers: 4,
            num_attention_heads: 4,
            image_size: 96,
            patch_size: 8,
        }
    }
}

/// Settings of one DINOv2 training run.
#[derive(Debug, Clone, Serialize)]
pub struct Dinov2TrainSettings {
    pub architecture: Dinov2Architecture,
    pub head: HeadShape,
    pub steps: usize,
    /// Render pairs per step.
    pub batch_size: usize,
    /// Local crops per render pair.
    pub local_crops: usize,
    pub seed: u64,
    pub optim: OptimSettings,
    pub student_temperature: f64,
    pub teacher_temperature: f64,
    /// EMA momentum of the teacher at the first step; it rises to [`FINAL_TEACHER_MOMENTUM`].
    pub teacher_momentum: f64,
    pub centre_momentum: f64,
    /// Weight of the cross-view patch distillation term against the class-token term.
    pub patch_loss_weight: f64,
    /// Weight of the cross-view patch matching term (see `matching_loss`).
    pub matching_loss_weight: f64,
}

impl Default for Dinov2TrainSettings {
    fn default() -> Self {
        Self {
            architecture: Dinov2Architecture::default(),
            head: HeadShape {
                hidden: 256,
                bottleneck: 64,
                prototypes: 512,
            },
            steps: 800,
            batch_size: 12,
            local_crops: 4,
            seed: 0,
            optim: OptimSettings {
                peak_learning_rate: 5e-4,
                weight_decay: 0.04,
                warmup_steps: 60,
                max_grad_norm: 3.0,
            },
            student_temperature: 0.1,
            teacher_temperature: 0.04,
            teacher_momentum: 0.99,
            centre_momentum: 0.9,
            patch_loss_weight: 1.0,
            matching_loss_weight: 1.0,
        }
    }
}

/// Temperature of the cross-view patch matching term.
const MATCH_TEMPERATURE: f64 = 0.1;
/// Teacher momentum at the last step.
pub const FINAL_TEACHER_MOMENTUM: f64 = 0.999;
/// Side of a local crop as a share of the render's side, drawn uniformly.
const LOCAL_CROP_SHARE: (f32, f32) = (0.3, 0.55);
/// Brightness and contrast factors drawn per view: lighting changes, not colour changes, since
/// the tracker must still tell a red mug from a blue one.
const BRIGHTNESS_RANGE: (f32, f32) = (0.7, 1.3);
const CONTRAST_RANGE: (f32, f32) = (0.7, 1.3);

/// Builds the Hugging Face `config.json` of the sim DINOv2.
pub fn sim_config(architecture: &Dinov2Architecture) -> Config {
    Config {
        hidden_size: architecture.hidden_size,
        num_hidden_layers: architecture.num_hidden_layers,
        num_attention_heads: architecture.num_attention_heads,
        mlp_ratio: 4.0,
        hidden_act: Activation::Gelu,
        layer_norm_eps: 1e-6,
        image_size: architecture.image_size,
        patch_size: architecture.patch_size,
        num_channels: 3,
        qkv_bias: true,
        use_swiglu_ffn: false,
    }
}

fn write_model_files(out: &Path, config: &Config) -> Result<()> {
    let mut value = serde_json::to_value(config)?;
    value["model_type"] = "dinov2".into();
    value["architectures"] = serde_json::json!(["Dinov2Model"]);
    write_json(&out.join("config.json"), &value)?;
    write_dinov2_preprocessor(out, config.image_size)
}

/// Patch cells of render A and render B that show the same surface point, deduplicated.
fn matched_cells(pair: &PairRecord, render_px: f32, grid: usize) -> Vec<(usize, usize)> {
    let cell = |u: f32, v: f32| {
        let col = ((u / render_px) * grid as f32).floor().clamp(0.0, grid as f32 - 1.0) as usize;
        let row = ((v / render_px) * grid as f32).floor().clamp(0.0, grid as f32 - 1.0) as usize;
        row * grid + col
    };
    let matched: BTreeSet<(usize, usize)> = pair
        .points
        .iter()
        .map(|&[ua, va, ub, vb, _]| (cell(ua, va), cell(ub, vb)))
        .collect();
    matched.into_iter().collect()
}

/// Scales brightness and contrast of a copy of `image`.
fn photometric(image: &RgbImage, rng: &mut ChaCha8Rng) -> RgbImage {
    let brightness = rng.random_range(BRIGHTNESS_RANGE.0..BRIGHTNESS_RANGE.1);
    let contrast = rng.random_range(CONTRAST_RANGE.0..CONTRAST_RANGE.1);
    let mean = image.pixels().flat_map(|p| p.0).map(f32::from).sum::<f32>() / (image.len() as f32).max(1.0);
    let mut out = image.clone();
    for pixel in out.pixels_mut() {
        for channel in pixel.0.iter_mut() {
            let value = ((f32::from(*channel) - mean) * contrast + mean) * brightness;
            *channel = value.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

/// Cuts a random square crop of `image` and resizes it to `side` pixels.
fn local_crop(image: &RgbImage, side: u32, rng: &mut ChaCha8Rng) -> RgbImage {
    let full = image.width().min(image.height());
    let crop = ((full as f32) * rng.random_range(LOCAL_CROP_SHARE.0..LOCAL_CROP_SHARE.1)).round() as u32;
    let left = rng.random_range(0..=image.width() - crop);
    let top = rng.random_range(0..=image.height() - crop);
    let cut = image::imageops::crop_imm(image, left, top, crop, crop).to_image();
    image::imageops::resize(&cut, side, side, FilterType::Triangle)
}

/// Loads a model and head from plain tensors: the teacher, which needs no gradients and so
/// runs the fused inference kernels.
fn teacher(
    config: &Config,
    head: HeadShape,
    backbone: &HashMap<String, Tensor>,
    head_weights: &HashMap<String, Tensor>,
    device: &Device,
) -> candle_core::Result<(Dinov2Model, DinoHead)> {
    let model = Dinov2Model::new(config, VarBuilder::from_tensors(backbone.clone(), DType::F32, device))?;
    let head = DinoHead::new(
        config.hidden_size,
        head,
        VarBuilder::from_tensors(head_weights.clone(), DType::F32, device),
    )?;
    Ok((model, head))
}

fn snapshot(vars: &SeededVars) -> candle_core::Result<HashMap<String, Tensor>> {
    vars.sorted()
        .into_iter()
        .map(|(name, var)| Ok((name, var.as_tensor().detach().copy()?)))
        .collect()
}

/// `teacher = momentum * teacher + (1 - momentum) * student`, tensor by tensor.
fn ema_update(teacher: &mut HashMap<String, Tensor>, student: &SeededVars, momentum: f64) -> candle_core::Result<()> {
    for (name, var) in student.sorted() {
        if let Some(value) = teacher.get_mut(&name) {
            *value = ((&*value * momentum)? + (var.as_tensor().detach() * (1.0 - momentum))?)?;
        }
    }
    Ok(())
}

/// Class-token and patch-token logits of a batch of views through backbone and head.
struct ViewLogits {
    /// `[views, prototypes]`.
    class: Tensor,
    /// `[views * grid * grid, prototypes]`, view-major.
    patches: Tensor,
    /// L2-normalised patch tokens `[views * grid * grid, hidden]`: the features the tracker
    /// matches.
    tokens: Tensor,
}

fn view_logits(model: &Dinov2Model, head: &DinoHead, pixel_values: &Tensor) -> candle_core::Result<ViewLogits> {
    let hidden = model.forward(pixel_values)?.last_hidden_state;
    let (views, tokens, dim) = hidden.dims3()?;
    let class = hidden.i((.., 0))?.contiguous()?.apply(head)?;
    let patch_tokens = hidden.i((.., 1..))?.contiguous()?.reshape((views * (tokens - 1), dim))?;
    Ok(ViewLogits {
        class,
        patches: patch_tokens.apply(head)?,
        tokens: l2_normalize(&patch_tokens)?,
    })
}

/// Cross-view patch matching: each matched patch of the student's render scores its features
/// against every patch token of the teacher's other render, and must rank the corresponding
/// patch first (cross-entropy over the render's patches at [`MATCH_TEMPERATURE`]). It trains
/// the nearest-neighbour lookup that the tracker performs, with the EMA teacher as the stable
/// reference.
fn matching_loss(
    student: &ViewLogits,
    teacher: &ViewLogits,
    matches: &[Vec<(usize, usize)>],
    cells: usize,
    device: &Device,
) -> candle_core::Result<Option<Tensor>> {
    let mut scores = Vec::new();
    let mut targets = Vec::new();
    for (sample, sample_matches) in matches.iter().enumerate() {
        if sample_matches.is_empty() {
            continue;
        }
        let (view_a, view_b) = (2 * sample, 2 * sample + 1);
        // Student patches of B against teacher patches of A, and the other way round.
        for (student_view, teacher_view, flip) in [(view_b, view_a, false), (view_a, view_b, true)] {
            let rows: Vec<u32> = sample_matches
                .iter()
                .map(|&(cell_a, cell_b)| (student_view * cells + if flip { cell_a } else { cell_b }) as u32)
                .collect();
            let rows = Tensor::from_vec(rows, sample_matches.len(), device)?;
            let keys = teacher.tokens.narrow(0, teacher_view * cells, cells)?.detach();
            scores.push(student.tokens.index_select(&rows, 0)?.matmul(&keys.t()?)?);
            for &(cell_a, cell_b) in sample_matches {
                let target = if flip { cell_b } else { cell_a };
                targets.extend((0..cells).map(|cell| if cell == target { 1f32 } else { 0.0 }));
            }
        }
    }
    if scores.is_empty() {
        return Ok(None);
    }
    let scores = Tensor::cat(&scores, 0)?;
    let targets = Tensor::from_vec(targets, scores.shape().clone(), device)?;
    distillation_loss(&targets, &scores, MATCH_TEMPERATURE).map(Some)
}

/// Trains from seeded random weights and writes the checkpoint into `out`. Zero steps write
/// the random initialisation.
pub fn train(
    dataset: &Dataset,
    out: &Path,
    settings: &Dinov2TrainSettings,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<TrainReport> {
    let started = std::time::Instant::now();
    let device = Device::Cpu;
    let config = sim_config(&settings.architecture);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_model_files(out, &config)?;
    let processor = ImageProcessor::new(read_preprocessor(out)?)?;

    let vars = SeededVars::new(settings.seed, InitScheme::Dinov2);
    let vb = vars.var_builder(&device);
    // transformers' Dinov2Model has a mask token for masked-image training; it is unused here
    // and written as zeros so that the checkpoint loads without missing keys.
    vb.pp("embeddings")
        .get_with_hints((1, config.hidden_size), "mask_token", candle_nn::Init::Const(0.0))?;
    let student = Dinov2Model::new(&config, vb)?;
    let head_vars = SeededVars::new(settings.seed.wrapping_add(1), InitScheme::Dinov2);
    let student_head = DinoHead::new(config.hidden_size, settings.head, head_vars.var_builder(&device))?;

    let pairs: Vec<&PairRecord> = dataset.pairs_in(PairSplit::Train).collect();
    ensure!(
        settings.steps == 0 || pairs.len() >= settings.batch_size,
        "the dataset has {} training pairs, fewer than --batch-size {}; render more scenes or lower the batch size",
        pairs.len(),
        settings.batch_size
    );
    let render_px = dataset.manifest.size_px as f32;
    let grid = config.image_size / config.patch_size;
    let local_side = (config.image_size / 2 / config.patch_size * config.patch_size) as u32;

    let mut teacher_backbone = snapshot(&vars)?;
    let mut teacher_head = snapshot(&head_vars)?;
    let mut class_centre = Centre::new(settings.head.prototypes, settings.centre_momentum, &device)?;
    let mut patch_centre = Centre::new(settings.head.prototypes, settings.centre_momentum, &device)?;
    let mut all_vars = vars.all_vars();
    all_vars.extend(head_vars.all_vars());
    let mut trainer = Trainer::new(all_vars, settings.optim, settings.steps)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut renders: HashMap<std::path::PathBuf, RgbImage> = HashMap::new();
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    let mut cursor = order.len();
    let mut losses = Vec::with_capacity(settings.steps);

    for step in 0..settings.steps {
        let mut globals = Vec::with_capacity(2 * settings.batch_size);
        let mut locals = Vec::with_capacity(settings.local_crops * settings.batch_size);
        let mut matches = Vec::with_capacity(settings.batch_size);
        for _ in 0..settings.batch_size {
            if cursor == order.len() {
                order.shuffle(&mut rng);
                cursor = 0;
            }
            let pair = pairs[order[cursor]];
            cursor += 1;
            for path in [&pair.a, &pair.b] {
                if !renders.contains_key(path) {
                    renders.insert(path.clone(), dataset.image(path)?);
                }
            }
            let (a, b) = (&renders[&pair.a], &renders[&pair.b]);
            globals.push(photometric(a, &mut rng));
            globals.push(photometric(b, &mut rng));
            for index in 0..settings.local_crops {
                let source = if index % 2 == 0 { a } else { b };
                locals.push(photometric(&local_crop(source, local_side, &mut rng), &mut rng));
            }
            matches.push(matched_cells(pair, render_px, grid));
        }
        let global_pixels = processor.preprocess(&globals, &device)?;
        let local_pixels = resize_batch(&locals, &processor, &device)?;

        let (teacher_model, teacher_head_model) =
            teacher(&config, settings.head, &teacher_backbone, &teacher_head, &device)?;
        let teacher_out = view_logits(&teacher_model, &teacher_head_model, &global_pixels)?;
        let student_global = view_logits(&student, &student_head, &global_pixels)?;
        let student_local = student.forward(&local_pixels)?.last_hidden_state.i((.., 0))?.contiguous()?.apply(&student_head)?;

        let class_targets = class_centre.targets(&teacher_out.class, settings.teacher_temperature)?;
        // Views are ordered A0, B0, A1, B1, and so on. The student's A view learns the
        // teacher's B target and the other way round, and every local crop learns both.
        let batch = settings.batch_size;
        let swapped: Vec<u32> = (0..batch as u32).flat_map(|i| [2 * i + 1, 2 * i]).collect();
        let swapped = Tensor::from_vec(swapped, 2 * batch, &device)?;
        let mut class_loss = distillation_loss(
            &class_targets.index_select(&swapped, 0)?,
            &student_global.class,
            settings.student_temperature,
        )?;
        for view in 0..2u32 {
            let owners: Vec<u32> = (0..batch as u32)
                .flat_map(|i| std::iter::repeat_n(2 * i + view, settings.local_crops))
                .collect();
            let owners = Tensor::from_vec(owners, batch * settings.local_crops, &device)?;
            let local_loss = distillation_loss(
                &class_targets.index_select(&owners, 0)?,
                &student_local,
                settings.student_temperature,
            )?;
            class_loss = (class_loss + local_loss)?;
        }
        let class_loss = (class_loss / 3.0)?;

        let patch_targets = patch_centre.targets(&teacher_out.patches, settings.teacher_temperature)?;
        let cells = grid * grid;
        let (mut teacher_rows, mut student_rows) = (Vec::new(), Vec::new());
        for (sample, sample_matches) in matches.iter().enumerate() {
            let (a_view, b_view) = (2 * sample * cells, (2 * sample + 1) * cells);
            for &(cell_a, cell_b) in sample_matches {
                teacher_rows.extend([(a_view + cell_a) as u32, (b_view + cell_b) as u32]);
                student_rows.extend([(b_view + cell_b) as u32, (a_view + cell_a) as u32]);
            }
        }
        let loss = if teacher_rows.is_empty() {
            class_loss
        } else {
            let rows = teacher_rows.len();
            let teacher_rows = Tensor::from_vec(teacher_rows, rows, &device)?;
            let student_rows = Tensor::from_vec(student_rows, rows, &device)?;
            let patch_loss = distillation_loss(
                &patch_targets.index_select(&teacher_rows, 0)?,
                &student_global.patches.index_select(&student_rows, 0)?,
                settings.student_temperature,
            )?;
            (class_loss + (patch_loss * settings.patch_loss_weight)?)?
        };
        let loss = match matching_loss(&student_global, &teacher_out, &matches, cells, &device)? {
            Some(matching) => (loss + (matching * settings.matching_loss_weight)?)?,
            None => loss,
        };
        let log = trainer.step(&loss, step)?;

        let progress = step as f64 / settings.steps.max(1) as f64;
        let momentum = FINAL_TEACHER_MOMENTUM
            - (FINAL_TEACHER_MOMENTUM - settings.teacher_momentum) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        ema_update(&mut teacher_backbone, &vars, momentum)?;
        ema_update(&mut teacher_head, &head_vars, momentum)?;
        class_centre.update(&teacher_out.class)?;
        patch_centre.update(&teacher_out.patches)?;
        losses.push(log.loss);
        on_step(&log);
    }
    // NOTE: the student is saved, whereas DINO and DINOv2 release their teachers' weights.
    // Here the teacher is an EMA at momentum near one, and whether it scores better on the
    // correspondence test is not measured.
    vars.save(&out.join("model.safetensors"))?;
    Ok(TrainReport::new(losses, started.elapsed(), vars.parameter_count()))
}

/// Normalises already-resized local crops with the checkpoint's mean and std.
fn resize_batch(images: &[RgbImage], processor: &ImageProcessor, device: &Device) -> Result<Tensor> {
    let mut config = processor.config().clone();
    config.do_resize = false;
    config.do_center_crop = false;
    Ok(ImageProcessor::new(config)?.preprocess(images, device)?)
}
