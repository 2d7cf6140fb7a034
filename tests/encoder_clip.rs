//! CLIP on a tiny random checkpoint written by the test: shapes, end-of-text pooling and the
//! softmax head. These are consistency checks. tests/encoder_clip_parity.rs compares the
//! encoder against transformers.

mod encoder_support;

use std::path::Path;

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::{Init, VarBuilder, VarMap};
use encoder_support::{assert_close, max_abs_diff};
use image::{Rgb, RgbImage};
use pickloop::perception::encoders::clip::{ClipModel, Config};
use pickloop::perception::encoders::{ClipEncoder, EncoderError};

const START_ID: u32 = 48;
const END_ID: u32 = 49;
const PAD_ID: u32 = 1;
const MAX_TOKENS: usize = 8;

const CONFIG: &str = r#"{
  "projection_dim": 16,
  "text_config": {"vocab_size": 50, "hidden_size": 32, "intermediate_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 8,
    "pad_token_id": 1, "eos_token_id": 49},
  "vision_config": {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 2, "image_size": 32, "patch_size": 16}
}"#;

const PREPROCESSOR: &str = r#"{
  "do_resize": true, "size": {"shortest_edge": 32}, "resample": 3,
  "do_center_crop": true, "crop_size": {"height": 32, "width": 32},
  "do_rescale": true, "rescale_factor": 0.00392156862745098,
  "do_normalize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
  "image_std": [0.26862954, 0.26130258, 0.27577711]
}"#;

/// Builds a word-level `tokenizer.json` that puts CLIP's start and end tokens around every text.
fn tokenizer_json() -> String {
    let words = ["a", "red", "blue", "green", "mug", "can", "box", "the", "on", "left"];
    let mut vocab = serde_json::Map::new();
    vocab.insert("<unk>".into(), 0.into());
    vocab.insert("<pad>".into(), PAD_ID.into());
    for (index, word) in words.iter().enumerate() {
        vocab.insert((*word).into(), (index + 2).into());
    }
    vocab.insert("<|startoftext|>".into(), START_ID.into());
    vocab.insert("<|endoftext|>".into(), END_ID.into());
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {
                "<|startoftext|>": {"id": "<|startoftext|>", "ids": [START_ID], "tokens": ["<|startoftext|>"]},
                "<|endoftext|>": {"id": "<|endoftext|>", "ids": [END_ID], "tokens": ["<|endoftext|>"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    })
    .to_string()
}

/// Writes a random-weight CLIP checkpoint in Hugging Face layout into `dir`.
fn write_checkpoint(dir: &Path) {
    let config: Config = serde_json::from_str(CONFIG).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let random = Init::Randn { mean: 0.0, stdev: 0.1 };
    vb.get_with_hints(32, "vision_model.embeddings.class_embedding", random).unwrap();
    vb.get_with_hints((), "logit_scale", Init::Const(2.6592)).unwrap();
    ClipModel::new(&config, vb).unwrap();
    for var in varmap.all_vars() {
        if var.rank() > 0 {
            var.set(&Tensor::randn(0f32, 0.1, var.shape(), &Device::Cpu).unwrap()).unwrap();
        }
    }
    varmap.save(dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.join("preprocessor_config.json"), PREPROCESSOR).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer_json()).unwrap();
}

fn solid(color: [u8; 3], width: u32, height: u32) -> RgbImage {
    RgbImage::from_pixel(width, height, Rgb(color))
}

fn load() -> (tempfile::TempDir, ClipEncoder) {
    let dir = tempfile::tempdir().unwrap();
    write_checkpoint(dir.path());
    let encoder = ClipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap();
    (dir, encoder)
}

fn ids(rows: &[[u32; MAX_TOKENS]]) -> Tensor {
    let flat: Vec<u32> = rows.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (rows.len(), MAX_TOKENS), &Device::Cpu).unwrap()
}

#[test]
fn clip_scores_have_expected_shapes() {
    let (_dir, encoder) = load();
    let images = [solid([200, 10, 10], 48, 40), solid([10, 10, 200], 40, 64), solid([10, 200, 10], 32, 32)];

    let output = encoder.score(&images, &["a red mug", "the blue can"]).unwrap();

    assert_eq!(output.logits_per_image.dims(), &[3, 2]);
    assert_eq!(output.image_embeds.dims(), &[3, 16]);
    assert_eq!(output.text_embeds.dims(), &[2, 16]);
    let norms: Vec<f32> = output.image_embeds.sqr().unwrap().sum(1).unwrap().sqrt().unwrap().to_vec1().unwrap();
    assert!(norms.iter().all(|norm| (norm - 1.0).abs() < 1e-5), "{norms:?}");
}

#[test]
fn clip_logits_are_scaled_cosines() {
    let (_dir, encoder) = load();
    let images = [solid([200, 10, 10], 32, 32), solid([10, 10, 200], 32, 32)];

    let output = encoder.score(&images, &["a red mug", "the blue can", "a box"]).unwrap();

    let cosines = output.image_embeds.matmul(&output.text_embeds.t().unwrap()).unwrap();
    let expected = (cosines * f64::from(encoder.model.logit_scale().unwrap())).unwrap();
    assert_close("logits vs scaled cosines", &output.logits_per_image, &expected);
    let sums: Vec<f32> = output.image_probabilities().unwrap().sum(1).unwrap().to_vec1().unwrap();
    assert_eq!(sums.len(), 3);
    assert!(sums.iter().all(|sum| (sum - 1.0).abs() < 1e-5), "{sums:?}");
}

#[test]
fn clip_tokens_end_with_end_of_text() {
    let (_dir, encoder) = load();

    let ids = encoder.tokenizer.encode(&["A red mug"]).unwrap();

    // CLIPTokenizer pads with <|endoftext|>, not with the config's pad_token_id.
    assert_eq!(ids, vec![vec![START_ID, 2, 3, 6, END_ID, END_ID, END_ID, END_ID]]);
}

#[test]
fn clip_text_pools_at_end_of_text() {
    let (_dir, encoder) = load();
    let input_ids = ids(&[
        [START_ID, 2, 3, 6, END_ID, PAD_ID, PAD_ID, PAD_ID],
        [START_ID, 2, 3, 6, END_ID, 7, 8, 9],
        [START_ID, 2, 4, 6, END_ID, PAD_ID, PAD_ID, PAD_ID],
    ]);

    let features = encoder.model.get_text_features(&input_ids).unwrap();

    assert_eq!(encoder.model.eos_positions(&input_ids).unwrap(), vec![4, 4, 4]);
    // Tokens after the end-of-text token are hidden by the causal mask.
    assert_close("text after end-of-text", &features.i(1).unwrap(), &features.i(0).unwrap());
    let changed = max_abs_diff(&features.i(2).unwrap(), &features.i(0).unwrap());
    assert!(changed > 1e-4, "a different word left the features unchanged ({changed:e})");
}

#[test]
fn clip_legacy_eos_pools_at_highest_id() {
    let dir = tempfile::tempdir().unwrap();
    write_checkpoint(dir.path());
    let mut config: Config = serde_json::from_str(CONFIG).unwrap();
    config.text_config.eos_token_id = 2;
    let vb = VarBuilder::from_tensors(
        candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu).unwrap(),
        DType::F32,
        &Device::Cpu,
    );
    let legacy = ClipModel::new(&config, vb).unwrap();

    let positions = legacy.eos_positions(&ids(&[[0, 7, 2, 30, 2, 1, 1, 1]])).unwrap();

    assert_eq!(positions, vec![3]);
}

#[test]
fn clip_image_batch_rows_are_independent() {
    let (_dir, encoder) = load();
    let red = solid([200, 10, 10], 32, 32);
    let blue = solid([10, 10, 200], 32, 32);

    let batch = encoder.score(&[red, blue.clone()], &["a mug"]).unwrap();
    let alone = encoder.score(&[blue], &["a mug"]).unwrap();

    assert_close("blue alone vs in batch", &alone.image_embeds, &batch.image_embeds.i(1..2).unwrap());
}

#[test]
fn clip_rejects_gelu_config() {
    let mut config: Config = serde_json::from_str(CONFIG).unwrap();
    config.vision_config.hidden_act = "gelu".into();

    let error = config.validate().unwrap_err();

    assert!(matches!(error, EncoderError::UnsupportedConfig { .. }), "{error:?}");
    assert!(error.to_string().contains("vision_config.hidden_act = gelu"), "{error}");
}

#[test]
fn clip_embed_command_matches_score() {
    let (dir, encoder) = load();
    // Hugging Face CLIP configs name their type; `pickloop embed` reads it to pick the model.
    let mut config: serde_json::Value = serde_json::from_str(CONFIG).unwrap();
    config["model_type"] = "clip".into();
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let images = [solid([200, 10, 10], 48, 40), solid([10, 10, 200], 40, 64)];
    let image_paths = [dir.path().join("red.png"), dir.path().join("blue.png")];
    for (image, path) in images.iter().zip(&image_paths) {
        image.save(path).unwrap();
    }
    let texts = ["a red mug", "the blue can", "a box"];
    let out = dir.path().join("clip.safetensors");
    let mut args = vec!["embed", "--model", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.push("--image");
    args.extend(image_paths.iter().map(|path| path.to_str().unwrap()));
    args.push("--text");
    args.extend(texts);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(&args)
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();

    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let written = candle_core::safetensors::load(&out, &Device::Cpu).unwrap();
    let expected = encoder.score(&images, &texts).unwrap();
    assert_eq!(written.len(), 2, "names: {:?}", written.keys());
    assert_close("embed image_embeds vs score", &written["image_embeds"], &expected.image_embeds);
    assert_close("embed text_embeds vs score", &written["text_embeds"], &expected.text_embeds);
    assert_close(
        "image_embeds method vs score",
        &encoder.image_embeds(&images).unwrap(),
        &expected.image_embeds,
    );
    assert_close("text_embeds method vs score", &encoder.text_embeds(&texts).unwrap(), &expected.text_embeds);
}
