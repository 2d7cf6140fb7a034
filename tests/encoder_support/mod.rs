//! Fixtures and tensor comparisons shared by the encoder tests.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};

/// Largest absolute difference to transformers accepted on any output tensor.
pub const TOLERANCE: f32 = 1e-4;

/// Directory of a reference checkpoint copied by tools/copy_encoder_reference.py.
pub fn fixture_dir(model: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("reference")
        .join(model)
}

/// Tensors of a fixture's reference.safetensors, by name.
pub fn reference(model: &str) -> HashMap<String, Tensor> {
    let path = fixture_dir(model).join("reference.safetensors");
    candle_core::safetensors::load(&path, &Device::Cpu)
        .unwrap_or_else(|err| panic!("cannot load {}: {err}", path.display()))
}

/// Maximum absolute difference between two tensors of the same shape.
pub fn max_abs_diff(actual: &Tensor, expected: &Tensor) -> f32 {
    assert_eq!(actual.dims(), expected.dims(), "shape mismatch");
    let actual = actual.to_dtype(DType::F32).unwrap();
    let expected = expected.to_dtype(DType::F32).unwrap();
    (actual - expected)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

/// Asserts that `actual` is within [`TOLERANCE`] of `expected` and prints the measured maximum.
pub fn assert_close(name: &str, actual: &Tensor, expected: &Tensor) {
    let diff = max_abs_diff(actual, expected);
    println!("{name}: max abs diff {diff:.3e}");
    assert!(diff <= TOLERANCE, "{name}: max abs diff {diff:e} exceeds {TOLERANCE:e}");
}
