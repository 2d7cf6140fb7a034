//! CLIP parity with transformers 5.25 on the random-weight reference checkpoint written by
//! tools/make_clip_reference.py.

mod encoder_support;

use candle_core::{DType, Device, IndexOp};
use encoder_support::{assert_close, fixture_dir, reference};
use pickloop::perception::encoders::ClipEncoder;
use pickloop::perception::encoders::preprocess::load_rgb;

const MODEL: &str = "clip-tiny";

/// Id of `<|endoftext|>`, the last entry of the fixture's 300-token vocabulary.
const END_OF_TEXT_ID: u32 = 299;

#[derive(serde::Deserialize)]
struct ReferenceTexts {
    texts: Vec<String>,
    input_ids: Vec<Vec<u32>>,
}

fn reference_texts() -> ReferenceTexts {
    let path = fixture_dir(MODEL).join("reference_texts.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn load_encoder() -> ClipEncoder {
    ClipEncoder::load(fixture_dir(MODEL).to_str().unwrap(), &Device::Cpu).unwrap()
}

fn reference_images() -> Vec<image::RgbImage> {
    let dir = fixture_dir(MODEL);
    (0..2).map(|index| load_rgb(&dir.join(format!("ref_image_{index}.png"))).unwrap()).collect()
}

#[test]
fn clip_preprocessing_matches_pixel_values() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);

    let pixel_values = encoder.processor.preprocess(&reference_images(), &Device::Cpu).unwrap();

    assert_close("pixel_values", &pixel_values, &tensors["pixel_values"]);
}

#[test]
fn clip_tokens_match_reference_ids() {
    let encoder = load_encoder();
    let expected = reference_texts();
    let texts: Vec<&str> = expected.texts.iter().map(String::as_str).collect();

    let ids = encoder.tokenizer.encode(&texts).unwrap();

    for (row, (actual, expected)) in ids.iter().zip(&expected.input_ids).enumerate() {
        assert_eq!(actual, expected, "input_ids of {:?}", texts[row]);
    }
    assert_eq!(ids.len(), expected.input_ids.len());
    let reference_ids: Vec<Vec<i64>> = reference(MODEL)["input_ids"].to_vec2().unwrap();
    let ids_i64: Vec<Vec<i64>> = ids.iter().map(|row| row.iter().map(|&id| i64::from(id)).collect()).collect();
    assert_eq!(ids_i64, reference_ids);
}

#[test]
fn clip_tokenizer_pads_with_end_of_text() {
    let encoder = load_encoder();

    let ids = encoder.tokenizer.encode(&["a red mug"]).unwrap();

    let end = ids[0].iter().position(|&id| id == END_OF_TEXT_ID).unwrap();
    assert!(end < 15, "a three-word text fills {} of 16 positions", end + 1);
    assert!(ids[0][end..].iter().all(|&id| id == END_OF_TEXT_ID), "{:?}", ids[0]);
}

#[test]
fn clip_truncation_keeps_end_of_text() {
    let encoder = load_encoder();
    let expected = reference_texts();
    // The last two reference texts are longer than 16 tokens.
    let long_texts: Vec<&str> = expected.texts[2..].iter().map(String::as_str).collect();

    let ids = encoder.tokenizer.encode(&long_texts).unwrap();

    for (row, text) in ids.iter().zip(&long_texts) {
        assert_eq!(row.len(), 16, "{text:?}");
        assert_eq!(row[15], END_OF_TEXT_ID, "{text:?}: {row:?}");
        assert!(!row[1..15].contains(&END_OF_TEXT_ID), "{text:?} was not truncated: {row:?}");
    }
}

#[test]
fn clip_outputs_match_reference_inputs() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let input_ids = tensors["input_ids"].to_dtype(DType::U32).unwrap();

    let output = encoder.model.forward(&tensors["pixel_values"], &input_ids).unwrap();

    assert_close("image_embeds", &output.image_embeds, &tensors["image_embeds"]);
    assert_close("text_embeds", &output.text_embeds, &tensors["text_embeds"]);
    assert_close("logits_per_image", &output.logits_per_image, &tensors["logits_per_image"]);
}

#[test]
fn clip_poolers_match_reference() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let input_ids = tensors["input_ids"].to_dtype(DType::U32).unwrap();

    let vision_pooled = encoder.model.vision_pooler_output(&tensors["pixel_values"]).unwrap();
    let text_pooled = encoder.model.text_pooler_output(&input_ids).unwrap();

    assert_close("vision_pooler_output", &vision_pooled, &tensors["vision_pooler_output"]);
    assert_close("text_pooler_output", &text_pooled, &tensors["text_pooler_output"]);
}

#[test]
fn clip_pipeline_matches_from_png_and_text() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let images = reference_images();
    let texts = reference_texts();
    let texts: Vec<&str> = texts.texts.iter().map(String::as_str).collect();

    let image_embeds = encoder.image_embeds(&images).unwrap();
    let text_embeds = encoder.text_embeds(&texts).unwrap();
    let output = encoder.score(&images, &texts).unwrap();

    assert_close("pipeline image_embeds", &image_embeds, &tensors["image_embeds"]);
    assert_close("pipeline text_embeds", &text_embeds, &tensors["text_embeds"]);
    assert_close("pipeline logits_per_image", &output.logits_per_image, &tensors["logits_per_image"]);
}

#[test]
fn clip_pooling_ignores_attention_mask_padding() {
    // transformers applies attention_mask on top of the causal mask. Our towers use the causal
    // mask alone, which is equivalent only because padding follows the pooled end-of-text token.
    let tensors = reference(MODEL);
    let mask: Vec<Vec<i64>> = tensors["attention_mask"].to_vec2().unwrap();
    let encoder = load_encoder();
    let input_ids = tensors["input_ids"].to_dtype(DType::U32).unwrap();

    let positions = encoder.model.eos_positions(&input_ids).unwrap();

    for (row, position) in positions.iter().enumerate() {
        let position = *position as usize;
        assert!(mask[row][..=position].iter().all(|&bit| bit == 1), "row {row}: {:?}", mask[row]);
        assert_eq!(input_ids.i((row, position)).unwrap().to_scalar::<u32>().unwrap(), END_OF_TEXT_ID);
    }
}
