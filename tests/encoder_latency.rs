//! Per-image CPU latency of the SigLIP image tower and DINOv2 with random weights.
//!
//! Run with `cargo test --release --test encoder_latency -- --ignored --nocapture`. Numbers
//! depend on the machine and on other load; the test only prints them.

mod encoder_support;

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use encoder_support::fixture_dir;
use pickloop::perception::encoders::dinov2::{self, Dinov2Model};
use pickloop::perception::encoders::siglip::{self, VisionModel};

const BATCH_SIZES: [usize; 2] = [1, 8];

/// Builds a model on a fresh [`VarMap`] and fills every weight with N(0, 0.02) values.
fn random_model<M>(build: impl FnOnce(VarBuilder) -> candle_core::Result<M>) -> M {
    let varmap = VarMap::new();
    let model = build(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).unwrap();
    for var in varmap.all_vars() {
        var.set(&Tensor::randn(0f32, 0.02, var.shape(), &Device::Cpu).unwrap()).unwrap();
    }
    model
}

/// Prints the mean time per image over `runs` forward passes after one warm-up pass.
fn time_per_image(name: &str, image_size: usize, runs: usize, forward: impl Fn(&Tensor)) {
    for batch in BATCH_SIZES {
        let pixel_values = Tensor::randn(0f32, 1.0, (batch, 3, image_size, image_size), &Device::Cpu).unwrap();
        forward(&pixel_values);
        let start = Instant::now();
        for _ in 0..runs {
            forward(&pixel_values);
        }
        let per_image_ms = start.elapsed().as_secs_f64() * 1e3 / (runs * batch) as f64;
        println!("{name} {image_size}px batch {batch}: {per_image_ms:.2} ms per image ({runs} runs)");
    }
}

fn siglip_vision(config: siglip::VisionConfig) -> VisionModel {
    random_model(|vb| VisionModel::new(&config, vb.pp("vision_model")))
}

fn dinov2(config: dinov2::Config) -> Dinov2Model {
    random_model(|vb| Dinov2Model::new(&config, vb))
}

#[test]
#[ignore = "benchmark; run explicitly with --ignored --nocapture"]
fn encoder_latency_per_image() {
    let threads = candle_core::utils::get_num_threads();
    println!("candle CPU threads: {threads}");

    let tiny_siglip: siglip::Config =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir("siglip-tiny").join("config.json")).unwrap()).unwrap();
    let model = siglip_vision(tiny_siglip.vision_config.clone());
    time_per_image("siglip-tiny vision", tiny_siglip.vision_config.image_size, 50, |x| {
        model.forward(x).unwrap();
    });

    let tiny_dinov2: dinov2::Config =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir("dinov2-tiny").join("config.json")).unwrap()).unwrap();
    let model = dinov2(tiny_dinov2);
    time_per_image("dinov2-tiny", 224, 20, |x| {
        model.forward(x).unwrap();
    });

    // google/siglip-base-patch16-224 vision tower.
    let model = siglip_vision(siglip::VisionConfig::default());
    time_per_image("siglip-base-patch16-224 vision", 224, 3, |x| {
        model.forward(x).unwrap();
    });

    // facebook/dinov2-small.
    let model = dinov2(dinov2::Config {
        hidden_size: 384,
        num_attention_heads: 6,
        image_size: 518,
        ..Default::default()
    });
    time_per_image("dinov2-small", 224, 3, |x| {
        model.forward(x).unwrap();
    });
}
