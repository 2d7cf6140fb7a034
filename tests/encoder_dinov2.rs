//! DINOv2 parity with transformers 5.25 on the random-weight reference checkpoint.

mod encoder_support;

use candle_core::{DType, Device, IndexOp, Tensor};
use encoder_support::{assert_close, fixture_dir, reference};
use pickloop::perception::encoders::Dinov2Encoder;
use pickloop::perception::encoders::layers::interpolate_bicubic;
use pickloop::perception::encoders::preprocess::load_rgb;

const MODEL: &str = "dinov2-tiny";

/// Input sizes of the reference: the trained 518x518 grid and two interpolated ones.
const SIZES: [&str; 3] = ["224x224", "518x518", "224x308"];

fn load_encoder() -> Dinov2Encoder {
    Dinov2Encoder::load(fixture_dir(MODEL).to_str().unwrap(), &Device::Cpu).unwrap()
}

#[test]
fn dinov2_matches_reference_at_each_size() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);

    for size in SIZES {
        let output = encoder.model.forward(&tensors[&format!("input_{size}")]).unwrap();

        assert_close(
            &format!("last_hidden_state_{size}"),
            &output.last_hidden_state,
            &tensors[&format!("last_hidden_state_{size}")],
        );
        assert_close(
            &format!("pooler_output_{size}"),
            &output.pooler_output,
            &tensors[&format!("pooler_output_{size}")],
        );
    }
}

#[test]
fn dinov2_batch_matches_single_images() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let input = &tensors["input_224x224"];
    let flipped = input.flip(&[3]).unwrap();
    let batch = Tensor::cat(&[input, &flipped], 0).unwrap();

    let output = encoder.model.forward(&batch).unwrap();
    let flipped_alone = encoder.model.forward(&flipped).unwrap();

    assert_eq!(output.last_hidden_state.dims(), &[2, 257, 32]);
    assert_close(
        "batch row 0",
        &output.last_hidden_state.i(0..1).unwrap(),
        &tensors["last_hidden_state_224x224"],
    );
    assert_close(
        "batch row 1",
        &output.last_hidden_state.i(1..2).unwrap(),
        &flipped_alone.last_hidden_state,
    );
    assert_close("batch pooler row 0", &output.pooler_output.i(0..1).unwrap(), &tensors["pooler_output_224x224"]);
}

#[test]
fn dinov2_pipeline_matches_from_png() {
    let encoder = load_encoder();
    let tensors = reference(MODEL);
    let image = load_rgb(&fixture_dir(MODEL).join("ref_image_0.png")).unwrap();

    let output = encoder.features(&[image]).unwrap();

    assert_close("pipeline last_hidden_state", &output.last_hidden_state, &tensors["last_hidden_state_224x224"]);
    assert_close("pipeline pooler_output", &output.pooler_output, &tensors["pooler_output_224x224"]);
}

#[test]
fn dinov2_rejects_size_off_patch_grid() {
    let encoder = load_encoder();
    let pixel_values = Tensor::zeros((1, 3, 224, 230), DType::F32, &Device::Cpu).unwrap();

    let error = encoder.model.forward(&pixel_values).unwrap_err().to_string();

    assert!(error.contains("224x230"), "{error}");
    assert!(error.contains("patch size 14"), "{error}");
}

#[test]
fn bicubic_resize_to_same_grid_is_identity() {
    let grid = Tensor::randn(0f32, 1.0, (5 * 7, 3), &Device::Cpu).unwrap();

    let resized = interpolate_bicubic(&grid, (5, 7), (5, 7)).unwrap();

    assert_close("same-size bicubic", &resized, &grid);
}
