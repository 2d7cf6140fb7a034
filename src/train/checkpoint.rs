//! The JSON files of a Hugging Face checkpoint that training writes beside the weights.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

use crate::perception::encoders::preprocess::ImageProcessorConfig;

/// Pillow's bicubic filter number in `resample`.
const PIL_BICUBIC: u32 = 3;
/// 1/255: 8-bit pixel values to [0, 1].
const RESCALE_FACTOR: f64 = 1.0 / 255.0;

/// Writes `value` as pretty JSON with a trailing newline.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
}

/// `preprocessor_config.json` of a SigLIP checkpoint: resize to a square, then normalise with
/// mean and std 0.5, as `SiglipImageProcessor` does.
pub fn write_siglip_preprocessor(out: &Path, image_size: usize) -> Result<()> {
    write_json(
        &out.join("preprocessor_config.json"),
        &json!({
            "image_processor_type": "SiglipImageProcessor",
            "do_convert_rgb": true,
            "do_resize": true,
            "size": {"height": image_size, "width": image_size},
            "resample": PIL_BICUBIC,
            "do_rescale": true,
            "rescale_factor": RESCALE_FACTOR,
            "do_normalize": true,
            "image_mean": [0.5, 0.5, 0.5],
            "image_std": [0.5, 0.5, 0.5]
        }),
    )
}

/// `preprocessor_config.json` of a DINOv2 checkpoint: `BitImageProcessor` with ImageNet
/// statistics, resizing the shorter edge to `image_size` and center-cropping a square of it.
pub fn write_dinov2_preprocessor(out: &Path, image_size: usize) -> Result<()> {
    write_json(
        &out.join("preprocessor_config.json"),
        &json!({
            "image_processor_type": "BitImageProcessor",
            "do_convert_rgb": true,
            "do_resize": true,
            "size": {"shortest_edge": image_size},
            "resample": PIL_BICUBIC,
            "do_center_crop": true,
            "crop_size": {"height": image_size, "width": image_size},
            "do_rescale": true,
            "rescale_factor": RESCALE_FACTOR,
            "do_normalize": true,
            "image_mean": [0.485, 0.456, 0.406],
            "image_std": [0.229, 0.224, 0.225]
        }),
    )
}

/// Reads back the `preprocessor_config.json` written into `out`.
pub fn read_preprocessor(out: &Path) -> Result<ImageProcessorConfig> {
    Ok(crate::perception::encoders::checkpoint::read_json(&out.join("preprocessor_config.json"))?)
}
