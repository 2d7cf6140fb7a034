//! SigLIP parity with transformers 5.25 on the random-weight reference checkpoint.

mod encoder_support;

use candle_core::{DType, Device, IndexOp};
use encoder_support::{assert_close, fixture_dir, reference};
use pickloop::perception::encoders::SiglipEncoder;
use pickloop::perception::encoders::preprocess::load_rgb;

const MODEL: &str = "siglip-tiny";

#[derive(serde::Deserialize)]
struct ReferenceTexts {
    texts: Vec<String>,
    input_ids: Vec<Vec<u32>>,
}

fn reference_texts() -> ReferenceTexts {
    let path = fixture_dir(MODEL).join("reference_texts.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn load_encoder() -> SiglipEncoder {
    SiglipEncoder::load(fixture_dir(MODEL).to_str().unwrap(), &Device::Cpu).unwrap()
}

#[test]
fn siglip_tokens_match_reference_ids() {
    let encoder = load_encoder();
    let expected = reference_texts();
    let texts: Vec<&str> = expected.texts.iter().map(String::as_str).collect();

    let ids = encoder.tokenizer.encode(&texts).unwrap();
    assert_eq!(ids, expected.input_ids);

    let reference_ids: Vec<Vec<i64>> = reference(MODEL)["input_ids"].to_vec2().unwrap();
    let ids_i64: Vec<Vec<i64>> = ids.iter().map(|row| row.iter().map(|&id| i64::from(id)).collect()).collect();
    assert_eq!(ids_i64, reference_ids);
}

#[test]
fn siglip_outputs_match_reference_inputs() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let input_ids = tensors["input_ids"].to_dtype(DType::U32).unwrap();

    let output = encoder.model.forward(&tensors["pixel_values"], &input_ids).unwrap();

    assert_close("image_embeds", &output.image_embeds, &tensors["image_embeds"]);
    assert_close("text_embeds", &output.text_embeds, &tensors["text_embeds"]);
    assert_close("logits_per_image", &output.logits_per_image, &tensors["logits_per_image"]);
    assert_close(
        "vision_last_hidden_state",
        &output.vision.last_hidden_state,
        &tensors["vision_last_hidden_state"],
    );
    assert_close(
        "vision_pooler_output",
        output.vision.pooler_output.as_ref().unwrap(),
        &tensors["vision_pooler_output"],
    );
    assert_close(
        "text_pooler_output",
        output.text.pooler_output.as_ref().unwrap(),
        &tensors["text_pooler_output"],
    );
}

#[test]
fn siglip_pipeline_matches_from_png_and_text() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let dir = fixture_dir(MODEL);
    let images = [load_rgb(&dir.join("ref_image_0.png")).unwrap(), load_rgb(&dir.join("ref_image_1.png")).unwrap()];
    let texts = reference_texts();
    let texts: Vec<&str> = texts.texts.iter().map(String::as_str).collect();

    let features = encoder.image_features(&images).unwrap();
    let text_embeds = encoder.text_embeds(&texts).unwrap();
    let logits = encoder.logits(&features.embeds, &text_embeds).unwrap();

    assert_close("pipeline image_embeds", &features.embeds, &tensors["image_embeds"]);
    assert_close("pipeline patch_tokens", &features.patch_tokens, &tensors["vision_last_hidden_state"]);
    assert_close("pipeline text_embeds", &text_embeds, &tensors["text_embeds"]);
    assert_close("pipeline logits_per_image", &logits, &tensors["logits_per_image"]);
}

#[test]
fn siglip_batch_rows_are_independent() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let pixel_values = &tensors["pixel_values"];

    let batched = encoder.model.vision.forward(pixel_values).unwrap();
    let single = encoder.model.vision.forward(&pixel_values.i(1..2).unwrap()).unwrap();

    assert_close(
        "second image alone vs in batch",
        &single.last_hidden_state,
        &batched.last_hidden_state.i(1..2).unwrap(),
    );
}

#[test]
fn siglip_rejects_size_off_patch_grid() {
    let encoder = load_encoder();
    let pixel_values = candle_core::Tensor::zeros((1, 3, 40, 64), DType::F32, &Device::Cpu).unwrap();

    let error = encoder.model.vision.forward(&pixel_values).unwrap_err().to_string();

    assert!(error.contains("40x64"), "{error}");
    assert!(error.contains("patch size 16"), "{error}");
}

#[test]
fn siglip_interpolates_positions_for_other_sizes() {
    let encoder = load_encoder();
    let pixel_values = candle_core::Tensor::randn(0f32, 1.0, (2, 3, 32, 96), &Device::Cpu).unwrap();

    let output = encoder.model.vision.forward(&pixel_values).unwrap();

    assert_eq!(output.last_hidden_state.dims(), &[2, 2 * 6, 32]);
    assert_eq!(output.pooler_output.unwrap().dims(), &[2, 32]);
}

#[test]
fn siglip_tokenizer_truncates_long_text() {
    let encoder = load_encoder();
    let long_text = ["the small blue can on the left"; 4].join(" ");

    let ids = encoder.tokenizer.encode(&[long_text.as_str()]).unwrap();

    assert_eq!(ids[0].len(), 16);
    assert_eq!(ids[0][..15], [6, 24, 9, 17, 32, 6, 28, 6, 24, 9, 17, 32, 6, 28, 6]);
    assert_eq!(ids[0][15], 1, "the end token survives truncation");
}
