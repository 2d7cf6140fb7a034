//! `pickloop bench encoders`: per-image CPU latency of the vision encoders with random weights,
//! compared with this machine's float32 matrix-product throughput.

use std::process::ExitCode;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use clap::{Args, ValueEnum};

use pickloop::perception::encoders::cost::{dinov2_flops, siglip_vision_flops};
use pickloop::perception::encoders::dinov2::{self, Dinov2Model};
use pickloop::perception::encoders::siglip::{self, VisionModel};

/// Input side length in pixels: the crop size of both checkpoints' image processors.
const IMAGE_SIZE: usize = 224;
/// RGB.
const CHANNELS: usize = 3;
/// Side of the square float32 matrices timed for the throughput reference.
const MATMUL_SIZE: usize = 1024;
/// Untimed matrix products before the throughput is measured.
const MATMUL_WARM_UP: u32 = 2;
/// Standard deviation of the random weights: transformers' `initializer_range` default.
const WEIGHT_STD: f32 = 0.02;
/// `image_size` of facebook/dinov2-small's config.json: its position embeddings cover a
/// 37x37 patch grid and are resized to the 16x16 grid of a 224 px input on every call.
const DINOV2_TRAINED_IMAGE_SIZE: usize = 518;

/// Encoder configurations with the shapes of public checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchModel {
    /// Vision tower of google/siglip-base-patch16-224: hidden 768, 12 layers, 12 heads,
    /// intermediate 3072, patch 16.
    #[value(name = "siglip-base-patch16-224")]
    SiglipBase,
    /// facebook/dinov2-small: hidden 384, 12 layers, 6 heads, MLP ratio 4, patch 14.
    #[value(name = "dinov2-small")]
    Dinov2Small,
}

impl BenchModel {
    fn name(self) -> &'static str {
        match self {
            Self::SiglipBase => "siglip-base-patch16-224",
            Self::Dinov2Small => "dinov2-small",
        }
    }
}

#[derive(Debug, Args)]
pub struct EncoderBenchArgs {
    /// Models to time, comma-separated.
    #[arg(long = "model", value_enum, value_delimiter = ',', default_values_t = [BenchModel::SiglipBase, BenchModel::Dinov2Small])]
    pub models: Vec<BenchModel>,
    /// Batch sizes to time, comma-separated.
    #[arg(long = "batch", value_delimiter = ',', default_values_t = [1, 8], value_parser = clap::value_parser!(u32).range(1..))]
    pub batches: Vec<u32>,
    /// Timed forward passes per model and batch size.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repetitions: u32,
    /// Untimed forward passes per model and batch size before the timed ones.
    #[arg(long, default_value_t = 1)]
    pub warm_up: u32,
    /// Timed 1024x1024x1024 float32 matrix products for the GFLOP/s reference.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub matmul_repetitions: u32,
}

/// One forward pass over `[batch, channels, height, width]` pixel values, outputs dropped.
type Forward = Box<dyn Fn(&Tensor) -> candle_core::Result<()>>;

/// A random-weight model behind one forward function.
struct Candidate {
    model: BenchModel,
    flops_per_image: f64,
    forward: Forward,
}

/// Builds a model on a fresh [`VarMap`] and fills every weight with N(0, [`WEIGHT_STD`]) values.
fn random_model<M>(build: impl FnOnce(VarBuilder) -> candle_core::Result<M>) -> candle_core::Result<M> {
    let varmap = VarMap::new();
    let model = build(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
    for var in varmap.all_vars() {
        var.set(&Tensor::randn(0f32, WEIGHT_STD, var.shape(), &Device::Cpu)?)?;
    }
    Ok(model)
}

fn candidate(model: BenchModel) -> candle_core::Result<Candidate> {
    Ok(match model {
        BenchModel::SiglipBase => {
            let config = siglip::VisionConfig::default();
            let flops_per_image = siglip_vision_flops(&config, IMAGE_SIZE);
            let tower = random_model(|vb| VisionModel::new(&config, vb))?;
            Candidate {
                model,
                flops_per_image,
                forward: Box::new(move |pixels| tower.forward(pixels).map(drop)),
            }
        }
        BenchModel::Dinov2Small => {
            let config = dinov2::Config {
                hidden_size: 384,
                num_attention_heads: 6,
                image_size: DINOV2_TRAINED_IMAGE_SIZE,
                ..Default::default()
            };
            let flops_per_image = dinov2_flops(&config, IMAGE_SIZE);
            let backbone = random_model(|vb| Dinov2Model::new(&config, vb))?;
            Candidate {
                model,
                flops_per_image,
                forward: Box::new(move |pixels| backbone.forward(pixels).map(drop)),
            }
        }
    })
}

/// Wall-clock seconds of repeated runs of one operation.
#[derive(Debug, Clone, Copy)]
struct Timing {
    mean: f64,
    best: f64,
}

/// Runs `operation` `repetitions` times and times each run.
fn time_runs(repetitions: u32, mut operation: impl FnMut() -> candle_core::Result<()>) -> candle_core::Result<Timing> {
    let mut total = 0.0;
    let mut best = f64::INFINITY;
    for _ in 0..repetitions {
        let started = Instant::now();
        operation()?;
        let seconds = started.elapsed().as_secs_f64();
        total += seconds;
        best = best.min(seconds);
    }
    Ok(Timing {
        mean: total / f64::from(repetitions),
        best,
    })
}

/// Measures float32 GFLOP/s of square matrix products of side [`MATMUL_SIZE`], from the
/// fastest and the mean run.
fn matmul_gflops(repetitions: u32) -> candle_core::Result<(f64, f64)> {
    let shape = (MATMUL_SIZE, MATMUL_SIZE);
    let lhs = Tensor::randn(0f32, 1.0, shape, &Device::Cpu)?;
    let rhs = Tensor::randn(0f32, 1.0, shape, &Device::Cpu)?;
    for _ in 0..MATMUL_WARM_UP {
        lhs.matmul(&rhs)?;
    }
    let timing = time_runs(repetitions, || lhs.matmul(&rhs).map(drop))?;
    let gflops = 2.0 * (MATMUL_SIZE as f64).powi(3) / 1e9;
    Ok((gflops / timing.best, gflops / timing.mean))
}

pub fn bench_encoders(args: &EncoderBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = candle_core::utils::get_num_threads();
    let rayon_env = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".to_owned());
    println!("threads: {threads} (candle CPU, RAYON_NUM_THREADS={rayon_env})");

    let (peak, mean_gflops) = matmul_gflops(args.matmul_repetitions)?;
    println!(
        "matmul: f32 {MATMUL_SIZE}x{MATMUL_SIZE}x{MATMUL_SIZE}, {} runs: {peak:.1} GFLOP/s best, {mean_gflops:.1} mean",
        args.matmul_repetitions
    );
    println!(
        "encoders: random weights, {IMAGE_SIZE}x{IMAGE_SIZE} inputs, {} warm-up and {} timed runs per row",
        args.warm_up, args.repetitions
    );
    println!("GFLOP/s and achieved/peak use the fastest run and the best matmul GFLOP/s, which other load disturbs least");
    println!();
    println!("| model | batch | ms/image mean | ms/image best | GFLOP/image | GFLOP/s | achieved/peak |");
    println!("|---|---:|---:|---:|---:|---:|---:|");

    for &model in &args.models {
        tracing::info!(model = model.name(), "building random-weight model");
        let candidate = candidate(model)?;
        for &batch in &args.batches {
            let images = batch as f64;
            let pixels = Tensor::randn(0f32, 1.0, (batch as usize, CHANNELS, IMAGE_SIZE, IMAGE_SIZE), &Device::Cpu)?;
            for _ in 0..args.warm_up {
                (candidate.forward)(&pixels)?;
            }
            let timing = time_runs(args.repetitions, || (candidate.forward)(&pixels))?;
            let gflops = candidate.flops_per_image * images / timing.best / 1e9;
            println!(
                "| {} | {batch} | {:.1} | {:.1} | {:.2} | {gflops:.1} | {:.2} |",
                candidate.model.name(),
                timing.mean / images * 1e3,
                timing.best / images * 1e3,
                candidate.flops_per_image / 1e9,
                gflops / peak,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
