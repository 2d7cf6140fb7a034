//! `pickloop train siglip|dinov2` and `pickloop eval siglip|dinov2`: train the sim encoders
//! on a `pickloop dataset` directory, measure them on its test split, and write model cards.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use candle_core::Device;
use clap::{Args, Subcommand};
use indicatif::ProgressStyle;
use serde_json::json;
use tracing::{info, info_span};
use tracing_indicatif::span_ext::IndicatifSpanExt;

use pickloop::perception::encoders::{Dinov2Encoder, SiglipEncoder};
use pickloop::train::card::{MetricRow, ModelCard, machine_description};
use pickloop::train::data::{CropSplit, Dataset};
use pickloop::train::eval::{self, CorrespondenceAccuracy, SelectionAccuracy};
use pickloop::train::optim::OptimSettings;
use pickloop::train::{StepLog, TrainReport, checkpoint::write_json, dinov2, siglip};

#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// Train a small SigLIP on captioned object crops with the sigmoid loss.
    Siglip(TrainArgs),
    /// Train a small DINOv2 by self-distillation on render pairs.
    Dinov2(TrainArgs),
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Zero-shot selection accuracy of a SigLIP checkpoint on a dataset's test renders.
    Siglip(EvalArgs),
    /// Correspondence accuracy of a DINOv2 checkpoint on a dataset's test render pairs.
    Dinov2(EvalArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset directory written by `pickloop dataset`.
    #[arg(long)]
    pub data: PathBuf,
    /// Checkpoint directory to write (Hugging Face layout, with README.md and training.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Optimiser steps (siglip 1500, dinov2 800); 0 writes the random initialisation.
    #[arg(long)]
    pub steps: Option<usize>,
    /// Crops (siglip, 48) or render pairs (dinov2, 12) per step.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of the initial weights and of batch sampling and augmentation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Peak learning rate after warm-up (siglip 1e-3, dinov2 5e-4).
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Replace files in a non-empty --out directory.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Dataset directory written by `pickloop dataset`.
    #[arg(long)]
    pub data: PathBuf,
    /// Checkpoint: a local directory or a Hugging Face hub id with optional `@REV`.
    #[arg(long)]
    pub checkpoint: String,
}

impl TrainArgs {
    /// Applies the step, batch and learning-rate options to a trainer's defaults. Warm-up is
    /// capped at a fifth of the steps so that short runs still reach the peak rate.
    fn apply(&self, steps: &mut usize, batch_size: &mut usize, optim: &mut OptimSettings) -> Result<()> {
        ensure!(self.batch_size != Some(0), "--batch-size 0 is invalid; pass at least 1, e.g. --batch-size 16");
        *steps = self.steps.unwrap_or(*steps);
        *batch_size = self.batch_size.unwrap_or(*batch_size);
        if let Some(rate) = self.learning_rate {
            optim.peak_learning_rate = rate;
        }
        optim.warmup_steps = optim.warmup_steps.min(*steps / 5).max(1);
        Ok(())
    }
}

pub fn train(command: &TrainCommand) -> Result<()> {
    match command {
        TrainCommand::Siglip(args) => train_siglip(args),
        TrainCommand::Dinov2(args) => train_dinov2(args),
    }
}

pub fn eval(command: &EvalCommand) -> Result<()> {
    match command {
        EvalCommand::Siglip(args) => {
            let dataset = Dataset::open(&args.data)?;
            let encoder = Arc::new(SiglipEncoder::load(&args.checkpoint, &Device::Cpu)?);
            let seen = eval::siglip_selection(encoder.clone(), &dataset, CropSplit::TestSeen)?;
            let unseen = eval::siglip_selection(encoder, &dataset, CropSplit::TestUnseen)?;
            println!("{}", serde_json::to_string_pretty(&json!({"test_seen": seen, "test_unseen": unseen}))?);
        }
        EvalCommand::Dinov2(args) => {
            let dataset = Dataset::open(&args.data)?;
            let encoder = Arc::new(Dinov2Encoder::load(&args.checkpoint, &Device::Cpu)?);
            println!("{}", serde_json::to_string_pretty(&eval::dinov2_correspondence(encoder, &dataset)?)?);
        }
    }
    Ok(())
}

/// Returns this process's command line for model cards: the program name `pickloop` (as the
/// dataset manifest writes it), then the arguments, quoted where a word needs it.
fn command_line() -> String {
    std::iter::once("pickloop".to_owned())
        .chain(std::env::args().skip(1))
        .map(|arg| {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                format!("'{}'", arg.replace('\'', "'\\''"))
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn prepare_out(out: &Path, force: bool) -> Result<()> {
    let occupied = out.read_dir().map(|mut entries| entries.next().is_some()).unwrap_or(false);
    ensure!(
        !occupied || force,
        "{} is not empty; pass --force to replace the checkpoint in it, or choose another --out",
        out.display()
    );
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))
}

/// Runs `train` under a progress bar that shows the loss.
fn with_progress(name: &str, steps: usize, train: impl FnOnce(&mut dyn FnMut(&StepLog)) -> Result<TrainReport>) -> Result<TrainReport> {
    let span = info_span!("train", model = name);
    span.pb_set_style(
        &ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} steps (eta {eta})")
            .expect("progress template is valid"),
    );
    span.pb_set_length(steps as u64);
    span.pb_set_message(name);
    let _entered = span.enter();
    let mut on_step = |log: &StepLog| {
        span.pb_set_position(log.step as u64 + 1);
        span.pb_set_message(&format!("{name} loss {:.4}", log.loss));
        if log.step % 50 == 0 || log.step + 1 == log.steps {
            info!(step = log.step, loss = log.loss, grad_norm = log.grad_norm, "training");
        }
    };
    train(&mut on_step)
}

/// Creates a scratch directory for the randomly initialised twin of a checkpoint.
fn scratch_dir(kind: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("pickloop-{kind}-random-init-"))
        .tempdir()
        .context("cannot create a temporary directory for the random-initialisation baseline")
}

fn train_siglip(args: &TrainArgs) -> Result<()> {
    let dataset = Dataset::open(&args.data)?;
    prepare_out(&args.out, args.force)?;
    let mut settings = siglip::SiglipTrainSettings {
        seed: args.seed,
        ..Default::default()
    };
    args.apply(&mut settings.steps, &mut settings.batch_size, &mut settings.optim)?;
    let report = with_progress("siglip", settings.steps, |on_step| siglip::train(&dataset, &args.out, &settings, on_step))?;
    let command = command_line();
    write_json(&args.out.join("training.json"), &json!({"command": command, "settings": settings, "report": report}))?;

    let baseline = scratch_dir("siglip")?;
    let baseline_settings = siglip::SiglipTrainSettings {
        steps: 0,
        ..settings.clone()
    };
    siglip::train(&dataset, baseline.path(), &baseline_settings, &mut |_| {})?;
    let measure = |dir: &Path| -> Result<(SelectionAccuracy, SelectionAccuracy)> {
        let encoder = Arc::new(SiglipEncoder::load(&dir.to_string_lossy(), &Device::Cpu)?);
        Ok((
            eval::siglip_selection(encoder.clone(), &dataset, CropSplit::TestSeen)?,
            eval::siglip_selection(encoder, &dataset, CropSplit::TestUnseen)?,
        ))
    };
    let (seen, unseen) = measure(&args.out)?;
    let (random_seen, random_unseen) = measure(baseline.path())?;
    write_json(
        &args.out.join("eval.json"),
        &json!({"data": dataset.manifest.command, "trained": {"test_seen": seen, "test_unseen": unseen},
                "random_init": {"test_seen": random_seen, "test_unseen": random_unseen}}),
    )?;
    let pair = |accuracy: &SelectionAccuracy| (accuracy.accuracy.correct, accuracy.accuracy.total);
    let metrics = [
        MetricRow {
            metric: "selection, seen colour-shape combinations".into(),
            trained: pair(&seen),
            random_init: pair(&random_seen),
        },
        MetricRow {
            metric: "selection, held-out colour-shape combinations".into(),
            trained: pair(&unseen),
            random_init: pair(&random_unseen),
        },
    ];
    let vocabulary = dataset.manifest.vocabulary.join(", ");
    let settings_value = serde_json::to_value(&settings)?;
    let limits = [
        format!("Vocabulary: only these words, plus \"a photo of\"; any other word becomes <unk>: {vocabulary}."),
        "Trained on simulated appearance only: pickloop's primitive shapes, flat colours, two textures and \
         rasterised lighting. It is not expected to work on photographs."
            .to_owned(),
        "Names are colour and shape words; sizes, materials and shelf levels appear in captions, but selection \
         by them is not measured."
            .to_owned(),
    ];
    ModelCard {
        title: "pickloop siglip-sim",
        summary: "A small SigLIP (Hugging Face `SiglipModel` layout) trained from scratch by `pickloop train siglip` on \
                  object crops of procedural pickloop scenes, with captions composed from each object's colour, shape, \
                  size, material and support. It chooses the object that an instruction names.",
        command: &command,
        manifest: &dataset.manifest,
        settings: &settings_value,
        report: &report,
        metrics: &metrics,
        metric_notes: &format!(
            "Each test render's objects are the candidates ({:.1} on average). Each object whose colour and shape \
             no other candidate shares is named (\"red mug\") with the prompt templates \"{{}}\" and \"a photo of {{}}\", \
             and counts as right when its crop scores highest, through the same scorer that episodes use. \
             {} seen and {} held-out targets were skipped as ambiguous.",
            seen.mean_candidates, seen.ambiguous, unseen.ambiguous
        ),
        limits: &limits,
        machine: &machine_description(),
    }
    .write(&args.out)?;
    println!(
        "siglip: loss {:.4} -> {:.4}; selection seen {:.3} (random init {:.3}), held out {:.3} (random init {:.3}); {}",
        report.first_loss.unwrap_or(f64::NAN),
        report.last_loss.unwrap_or(f64::NAN),
        seen.accuracy.share(),
        random_seen.accuracy.share(),
        unseen.accuracy.share(),
        random_unseen.accuracy.share(),
        args.out.display()
    );
    Ok(())
}

fn train_dinov2(args: &TrainArgs) -> Result<()> {
    let dataset = Dataset::open(&args.data)?;
    prepare_out(&args.out, args.force)?;
    let mut settings = dinov2::Dinov2TrainSettings {
        seed: args.seed,
        ..Default::default()
    };
    args.apply(&mut settings.steps, &mut settings.batch_size, &mut settings.optim)?;
    let report = with_progress("dinov2", settings.steps, |on_step| dinov2::train(&dataset, &args.out, &settings, on_step))?;
    let command = command_line();
    write_json(&args.out.join("training.json"), &json!({"command": command, "settings": settings, "report": report}))?;

    let baseline = scratch_dir("dinov2")?;
    let baseline_settings = dinov2::Dinov2TrainSettings {
        steps: 0,
        ..settings.clone()
    };
    dinov2::train(&dataset, baseline.path(), &baseline_settings, &mut |_| {})?;
    let measure = |dir: &Path| -> Result<CorrespondenceAccuracy> {
        let encoder = Arc::new(Dinov2Encoder::load(&dir.to_string_lossy(), &Device::Cpu)?);
        eval::dinov2_correspondence(encoder, &dataset)
    };
    let trained = measure(&args.out)?;
    let random = measure(baseline.path())?;
    write_json(
        &args.out.join("eval.json"),
        &json!({"data": dataset.manifest.command, "trained": trained, "random_init": random}),
    )?;
    let pair = |accuracy: eval::Accuracy| (accuracy.correct, accuracy.total);
    let metrics = [
        MetricRow {
            metric: "correspondence within one patch, object points".into(),
            trained: pair(trained.object_points),
            random_init: pair(random.object_points),
        },
        MetricRow {
            metric: "correspondence within one patch, all points".into(),
            trained: pair(trained.all_points),
            random_init: pair(random.all_points),
        },
    ];
    let settings_value = serde_json::to_value(&settings)?;
    let limits = [
        "Trained on simulated appearance only: pickloop's primitive shapes, flat colours, two textures and \
         rasterised lighting. It is not expected to work on photographs."
            .to_owned(),
        "Camera motion in training is an orbit step of 10 to 35 degrees; larger viewpoint changes are not measured."
            .to_owned(),
        format!(
            "Patch grid {}x{} at the {} px input the tracker uses, so one patch spans {:.0} px of a {} px frame.",
            trained.grid[0],
            trained.grid[1],
            settings.architecture.image_size,
            dataset.manifest.size_px as f64 / trained.grid[1].max(1) as f64,
            dataset.manifest.size_px
        ),
    ];
    ModelCard {
        title: "pickloop dinov2-sim",
        summary: "A small DINOv2 (Hugging Face `Dinov2Model` layout) trained from scratch by `pickloop train dinov2` \
                  with self-distillation: an EMA teacher with centring and sharpening, multi-crop class-token \
                  targets, and patch targets and patch matching across two camera poses of one scene. The tracker uses its patch \
                  features to keep the chosen object while the camera moves.",
        command: &command,
        manifest: &dataset.manifest,
        settings: &settings_value,
        report: &report,
        metrics: &metrics,
        metric_notes: "For each ground-truth point of a test pair's first render, the tracker's patch extractor finds \
                       the patch of the second render with the most similar feature (cosine). The match counts as \
                       right when it lies within one patch, in rows and columns, of the patch that shows the point.",
        limits: &limits,
        machine: &machine_description(),
    }
    .write(&args.out)?;
    println!(
        "dinov2: loss {:.4} -> {:.4}; object-point correspondence {:.3} (random init {:.3}), all points {:.3} (random init {:.3}); {}",
        report.first_loss.unwrap_or(f64::NAN),
        report.last_loss.unwrap_or(f64::NAN),
        trained.object_points.share(),
        random.object_points.share(),
        trained.all_points.share(),
        random.all_points.share(),
        args.out.display()
    );
    Ok(())
}
