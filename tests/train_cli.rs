//! `pickloop train`: short SigLIP and DINOv2 runs on a small rendered dataset lower the loss,
//! write loadable Hugging Face checkpoints with a model card, and repeat for a seed.

mod cli_support;

use cli_support::{assert_success, pickloop};

use std::path::Path;
use std::sync::OnceLock;

use candle_core::Device;
use pickloop::perception::encoders::{Dinov2Encoder, SiglipEncoder};
use serde_json::Value;

/// Renders a 16-scene dataset once for every test in this file and returns its directory.
fn dataset() -> &'static Path {
    static DATASET: OnceLock<tempfile::TempDir> = OnceLock::new();
    DATASET
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("data");
            let output = pickloop(&[
                "dataset", "--out", out.to_str().unwrap(), "--scenes", "16", "--seed", "11", "--test-share", "0.25",
            ]);
            assert_success(&output, "dataset");
            dir
        })
        .path()
        .join("data")
        .leak()
}

fn train(kind: &str, out: &Path, steps: &str, batch: &str) -> Value {
    let output = pickloop(&[
        "train", kind, "--data", dataset().to_str().unwrap(), "--out", out.to_str().unwrap(), "--steps", steps,
        "--batch-size", batch,
    ]);
    assert_success(&output, "train");
    serde_json::from_str(&std::fs::read_to_string(out.join("training.json")).unwrap()).unwrap()
}

fn losses(training: &Value) -> (f64, f64) {
    let report = &training["report"];
    (report["first_loss"].as_f64().unwrap(), report["last_loss"].as_f64().unwrap())
}

#[test]
fn siglip_training_lowers_loss_and_writes_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("siglip");
    let training = train("siglip", &out, "60", "16");
    let (first, last) = losses(&training);
    assert!(last < 0.9 * first, "loss fell only from {first} to {last}");
    for file in ["config.json", "model.safetensors", "preprocessor_config.json", "tokenizer.json", "README.md", "eval.json"] {
        assert!(out.join(file).is_file(), "{file} is missing");
    }
    let config: Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model_type"], "siglip");
    assert_eq!(config["vision_config"]["hidden_act"], "gelu_pytorch_tanh");
    let encoder = SiglipEncoder::load(out.to_str().unwrap(), &Device::Cpu).expect("the checkpoint loads");
    let ids = encoder.tokenizer.encode(&["a photo of a red mug"]).unwrap();
    assert!(!ids[0].contains(&2), "caption words must be in the vocabulary, got ids {:?}", ids[0]);
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(card.contains("--steps 60"), "the card names the exact command:\n{card}");
}

#[test]
fn dinov2_training_lowers_loss_and_writes_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dinov2");
    let training = train("dinov2", &out, "30", "4");
    let (first, last) = losses(&training);
    assert!(last < first, "loss rose from {first} to {last}");
    let config: Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model_type"], "dinov2");
    assert_eq!(config["hidden_act"], "gelu");
    let encoder = Dinov2Encoder::load(out.to_str().unwrap(), &Device::Cpu).expect("the checkpoint loads");
    assert_eq!(encoder.config.image_size, config["image_size"].as_u64().unwrap() as usize);
}

#[test]
fn training_repeats_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    train("siglip", &a, "3", "8");
    train("siglip", &b, "3", "8");
    let weights = |dir: &Path| std::fs::read(dir.join("model.safetensors")).unwrap();
    assert!(weights(&a) == weights(&b), "two runs with seed 0 wrote different weights");
}

#[test]
fn training_refuses_a_non_empty_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "user data").unwrap();
    let output = pickloop(&[
        "train", "siglip", "--data", dataset().to_str().unwrap(), "--out", dir.path().to_str().unwrap(), "--steps", "1",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--force"), "the error names the fix: {stderr}");
    assert!(dir.path().join("keep.txt").is_file());
}

#[test]
fn training_rejects_zero_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    let output = pickloop(&[
        "train", "dinov2", "--data", dataset().to_str().unwrap(), "--out", dir.path().to_str().unwrap(), "--batch-size", "0",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--batch-size 0"), "the error names the value: {stderr}");
}
