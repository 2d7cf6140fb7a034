//! `pickloop embed` through the binary: written tensors against the transformers references,
//! the header metadata, the `.npy` layout and the error messages.

mod encoder_support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use candle_core::{Device, IndexOp, Tensor};
use encoder_support::{assert_close, fixture_dir, reference};
use pickloop::perception::encoders::checkpoint::sha256_file;

#[derive(serde::Deserialize)]
struct ReferenceTexts {
    texts: Vec<String>,
}

/// Runs the binary with the hub offline and an empty cache, so no test can reach the network.
fn pickloop(args: &[&str], hub_cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(args)
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HUB_CACHE", hub_cache)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the pickloop binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

fn read_metadata(path: &Path) -> HashMap<String, String> {
    let bytes = std::fs::read(path).unwrap();
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    metadata.metadata().clone().expect("the header has metadata")
}

fn load(path: &Path) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(path, &Device::Cpu).unwrap()
}

#[test]
fn siglip_embed_matches_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("siglip.safetensors");
    let model = fixture_dir("siglip-tiny");
    let images = [model.join("ref_image_0.png"), model.join("ref_image_1.png")];
    let texts: ReferenceTexts =
        serde_json::from_str(&std::fs::read_to_string(model.join("reference_texts.json")).unwrap()).unwrap();
    let mut args = vec!["embed", "--model", path_str(&model), "--out", path_str(&out), "--image"];
    args.extend(images.iter().map(|image| path_str(image)));
    args.push("--text");
    args.extend(texts.texts.iter().map(String::as_str));

    let output = pickloop(&args, dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let written = load(&out);
    let expected = reference("siglip-tiny");
    assert_eq!(written.len(), 3, "names: {:?}", written.keys());
    assert_close("image_embeds", &written["image_embeds"], &expected["image_embeds"]);
    assert_close("patch_tokens", &written["patch_tokens"], &expected["vision_last_hidden_state"]);
    assert_close("text_embeds", &written["text_embeds"], &expected["text_embeds"]);

    let metadata = read_metadata(&out);
    assert_eq!(metadata["model_type"], "siglip");
    assert_eq!(metadata["checkpoint_id"], path_str(&model));
    assert_eq!(metadata["checkpoint_revision"], "");
    let files: Vec<serde_json::Value> = serde_json::from_str(&metadata["checkpoint_files"]).unwrap();
    let weights = files.iter().find(|file| file["name"] == "model.safetensors").unwrap();
    assert_eq!(weights["sha256"], sha256_file(&model.join("model.safetensors")).unwrap());
    let recorded_images: Vec<serde_json::Value> = serde_json::from_str(&metadata["images"]).unwrap();
    assert_eq!(recorded_images.len(), 2);
    assert_eq!(recorded_images[1]["path"], path_str(&images[1]));
    assert_eq!(recorded_images[1]["sha256"], sha256_file(&images[1]).unwrap());
    let recorded_texts: Vec<String> = serde_json::from_str(&metadata["texts"]).unwrap();
    assert_eq!(recorded_texts, texts.texts);
}

#[test]
fn siglip_text_only_writes_text_embeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("texts.safetensors");
    let model = fixture_dir("siglip-tiny");

    let args = ["embed", "--model", path_str(&model), "--text", "a zebra", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let written = load(&out);
    assert_eq!(written.keys().collect::<Vec<_>>(), ["text_embeds"]);
    let expected = reference("siglip-tiny")["text_embeds"].i(3..4).unwrap();
    assert_close("text_embeds of 'a zebra'", &written["text_embeds"], &expected);
}

#[test]
fn dinov2_embed_matches_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dinov2.safetensors");
    let model = fixture_dir("dinov2-tiny");
    let image = model.join("ref_image_0.png");

    let args = ["embed", "--model", path_str(&model), "--image", path_str(&image), "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let written = load(&out);
    let expected = reference("dinov2-tiny");
    let expected_hidden = &expected["last_hidden_state_224x224"];
    assert_close("last_hidden_state", &written["last_hidden_state"], expected_hidden);
    assert_close("pooler_output", &written["pooler_output"], &expected["pooler_output_224x224"]);
    assert_close("patch_tokens", &written["patch_tokens"], &expected_hidden.i((.., 1..)).unwrap());
    assert_eq!(read_metadata(&out)["model_type"], "dinov2");
}

#[test]
fn dinov2_npy_writes_one_file_per_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("features.npy");
    let model = fixture_dir("dinov2-tiny");
    let image = model.join("ref_image_0.png");

    let args = ["embed", "--model", path_str(&model), "--image", path_str(&image), "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(!out.exists(), "the bare .npy name is not written");
    let expected = reference("dinov2-tiny");
    let hidden = Tensor::read_npy(dir.path().join("features.last_hidden_state.npy")).unwrap();
    let pooled = Tensor::read_npy(dir.path().join("features.pooler_output.npy")).unwrap();
    let patches = Tensor::read_npy(dir.path().join("features.patch_tokens.npy")).unwrap();
    assert_close("npy last_hidden_state", &hidden, &expected["last_hidden_state_224x224"]);
    assert_close("npy pooler_output", &pooled, &expected["pooler_output_224x224"]);
    assert_eq!(patches.dims(), &[1, 256, 32]);
    let metadata: HashMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("features.json")).unwrap()).unwrap();
    assert_eq!(metadata["model_type"], "dinov2");
}

#[test]
fn dinov2_rejects_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let model = fixture_dir("dinov2-tiny");

    let args = ["embed", "--model", path_str(&model), "--text", "a red mug", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("images only"), "{message}");
    assert!(message.contains("a red mug"), "{message}");
    assert!(message.contains("SigLIP or CLIP"), "{message}");
    assert!(!out.exists());
}

#[test]
fn missing_image_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let model = fixture_dir("dinov2-tiny");

    let args = ["embed", "--model", path_str(&model), "--image", "no/such/frame.png", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no/such/frame.png not found"), "{message}");
}

#[test]
fn unknown_extension_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.pt");
    let model = fixture_dir("siglip-tiny");

    let args = ["embed", "--model", path_str(&model), "--text", "a zebra", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("x.pt"), "{message}");
    assert!(message.contains(".safetensors or .npy"), "{message}");
}

#[test]
fn unsupported_model_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("llama");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(model.join("config.json"), r#"{"model_type": "llama"}"#).unwrap();
    let out = dir.path().join("x.safetensors");

    let args = ["embed", "--model", path_str(&model), "--text", "hello", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("\"llama\""), "{message}");
    assert!(message.contains("siglip, dinov2, clip"), "{message}");
}

#[test]
fn uncached_hub_id_fails_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");

    let args = ["embed", "--model", "google/siglip-base-patch16-224", "--text", "a mug", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("HF_HUB_OFFLINE"), "{message}");
    assert!(message.contains("config.json"), "{message}");
}

#[test]
fn embed_requires_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let model = fixture_dir("siglip-tiny");

    let output = pickloop(&["embed", "--model", path_str(&model), "--out", path_str(&out)], dir.path());

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--image"), "{}", stderr(&output));
}

#[test]
fn missing_output_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no-such-dir").join("x.safetensors");
    let model = fixture_dir("siglip-tiny");

    let args = ["embed", "--model", path_str(&model), "--text", "a zebra", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no-such-dir does not exist"), "{message}");
}

#[test]
fn unwritable_output_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taken.safetensors");
    std::fs::create_dir(&out).unwrap();
    let model = fixture_dir("siglip-tiny");

    let args = ["embed", "--model", path_str(&model), "--text", "a zebra", "--out", path_str(&out)];
    let output = pickloop(&args, dir.path());

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("failed to write"), "{message}");
    assert!(message.contains("taken.safetensors"), "{message}");
}
