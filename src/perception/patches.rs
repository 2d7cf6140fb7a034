//! Patch-feature extractors for the tracker: DINOv2 patch tokens, and colour histograms as a
//! stand-in whose correspondences are known.

use std::sync::Arc;

use image::RgbImage;

use super::encoders::preprocess::ResizeTarget;
use super::encoders::{Dinov2Encoder, ImageProcessor};
use super::track::{PatchFeatureExtractor, PatchGrid};

/// Length of the shorter side the frame is resized to before DINOv2 when the checkpoint's
/// processor names no output size, pixels: the size the DINOv2 image processors crop to.
pub const DINOV2_SHORT_SIDE_PX: u32 = 224;

/// DINOv2 patch tokens of the whole frame. The checkpoint's processor would center-crop the
/// frame, which drops the sides, so the frame is instead resized to a patch-aligned size with
/// the same aspect ratio and normalised with the checkpoint's mean and std.
pub struct Dinov2Patches {
    encoder: Arc<Dinov2Encoder>,
}

impl Dinov2Patches {
    pub fn new(encoder: Arc<Dinov2Encoder>) -> Self {
        Self { encoder }
    }

    /// Shorter side of the model input, pixels: the processor's crop size (224 for the
    /// released DINOv2 checkpoints), so patch features keep their trained scale.
    pub fn short_side(&self) -> u32 {
        self.encoder
            .processor
            .output_size()
            .map_or(DINOV2_SHORT_SIDE_PX, |(height, width)| height.min(width))
    }

    /// Input `(width, height)` for a frame: shorter side [`Dinov2Patches::short_side`], both
    /// sides rounded to whole patches.
    pub fn input_size(&self, width: u32, height: u32) -> (u32, u32) {
        let patch = self.encoder.model.patch_size() as u32;
        let scale = self.short_side() as f32 / width.min(height) as f32;
        let round = |side: u32| (((side as f32 * scale) / patch as f32).round() as u32).max(1) * patch;
        (round(width), round(height))
    }
}

impl PatchFeatureExtractor for Dinov2Patches {
    fn extract(&mut self, image: &RgbImage) -> anyhow::Result<PatchGrid> {
        let (width, height) = self.input_size(image.width(), image.height());
        let mut config = self.encoder.processor.config().clone();
        config.do_resize = true;
        config.size = Some(ResizeTarget::Exact { height, width });
        config.do_center_crop = false;
        let processor = ImageProcessor::new(config)?;
        let pixel_values = processor.preprocess(std::slice::from_ref(image), &candle_core::Device::Cpu)?;
        let output = self.encoder.model.forward(&pixel_values)?;
        let patch = self.encoder.model.patch_size();
        let (rows, cols) = (height as usize / patch, width as usize / patch);
        let tokens = output.last_hidden_state.get(0)?.narrow(0, 1, rows * cols)?;
        let dim = tokens.dim(1)?;
        let features: Vec<f32> = tokens.flatten_all()?.to_vec1()?;
        let cell_px = [image.width() as f32 / cols as f32, image.height() as f32 / rows as f32];
        Ok(PatchGrid::new(rows, cols, dim, features, cell_px))
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({
            "model": "dinov2",
            "features": "last_hidden_state patch tokens of the whole frame",
            "short_side_px": self.short_side(),
            "checkpoint": self.encoder.checkpoint,
        })
    }
}

/// Colour-histogram patch features: a stand-in extractor whose correspondences are known
/// (equal colours match), so the tracker can be tested apart from any weights.
#[derive(Debug, Clone, Copy)]
pub struct ColourPatches {
    /// Side of a square cell, pixels.
    pub cell_px: u32,
    /// Histogram bins per RGB channel; the feature has `bins³` entries.
    pub bins: u32,
}

impl PatchFeatureExtractor for ColourPatches {
    fn extract(&mut self, image: &RgbImage) -> anyhow::Result<PatchGrid> {
        anyhow::ensure!(self.cell_px > 0 && self.bins > 0, "cell_px and bins must be positive");
        let cols = (image.width() / self.cell_px).max(1) as usize;
        let rows = (image.height() / self.cell_px).max(1) as usize;
        let dim = (self.bins * self.bins * self.bins) as usize;
        let mut features = vec![0.0f32; rows * cols * dim];
        let bin = |value: u8| u32::from(value) * self.bins / 256;
        for (u, v, pixel) in image.enumerate_pixels() {
            let (col, row) = ((u / self.cell_px) as usize, (v / self.cell_px) as usize);
            if col >= cols || row >= rows {
                continue;
            }
            let [r, g, b] = pixel.0;
            let index = ((bin(r) * self.bins + bin(g)) * self.bins + bin(b)) as usize;
            features[(row * cols + col) * dim + index] += 1.0;
        }
        let cell_px = [self.cell_px as f32, self.cell_px as f32];
        Ok(PatchGrid::new(rows, cols, dim, features, cell_px))
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({ "model": "colour histogram", "cell_px": self.cell_px, "bins": self.bins })
    }
}
