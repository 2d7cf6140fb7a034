//! Image preprocessing from a `preprocessor_config.json`, matching the Pillow backend of
//! transformers' image processors (`SiglipImageProcessor`, `BitImageProcessor`,
//! `CLIPImageProcessor`): convert to RGB, resize, center crop, rescale, normalise.

use std::path::Path;

use candle_core::{Device, Tensor};
use image::RgbImage;
use serde::Deserialize;

use super::checkpoint::read_json;
use super::error::{EncoderError, Result};
use super::resample::{ResampleFilter, resize_rgb8};

/// Pillow's bicubic filter number, transformers' default `resample` for these processors.
const PIL_BICUBIC: u32 = 3;

/// Target size of the resize step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ResizeTarget {
    /// Resize to exactly this size, ignoring the aspect ratio (SigLIP).
    Exact { height: u32, width: u32 },
    /// Scale so that the shorter edge has this length, keeping the aspect ratio (DINOv2, CLIP).
    ShortestEdge { shortest_edge: u32 },
    /// A bare number, as older configs write it. transformers reads it as the shortest edge for
    /// the processors that default to keeping the aspect ratio (CLIP, BiT) and as a square
    /// otherwise; [`ImageProcessor::new`] resolves it with `image_processor_type`.
    Number(u32),
}

/// Crop size of the center-crop step; older configs write one number for a square.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CropSize {
    Size { height: u32, width: u32 },
    Square(u32),
}

impl CropSize {
    /// Returns `(height, width)`.
    pub fn dimensions(self) -> (u32, u32) {
        match self {
            Self::Size { height, width } => (height, width),
            Self::Square(side) => (side, side),
        }
    }
}

/// Processor classes whose bare-number `size` means the shortest edge (`default_to_square =
/// False` in transformers).
const SHORTEST_EDGE_PROCESSORS: [&str; 4] = [
    "CLIPImageProcessor",
    "CLIPFeatureExtractor",
    "BitImageProcessor",
    "ChineseCLIPImageProcessor",
];

/// The fields of a `preprocessor_config.json` that the preprocessing uses. Absent flags are
/// off, as in transformers when a processor class has no default for them, except
/// `do_rescale`, which is on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageProcessorConfig {
    #[serde(default)]
    pub do_resize: bool,
    pub size: Option<ResizeTarget>,
    #[serde(default = "default_resample")]
    pub resample: u32,
    #[serde(default)]
    pub do_center_crop: bool,
    pub crop_size: Option<CropSize>,
    /// Defaults to true, the class default of every image processor in transformers 5.25 that
    /// this module follows (CLIP, SigLIP, BiT, ViT). The openai/clip-vit-* configs omit it.
    #[serde(default = "default_do_rescale")]
    pub do_rescale: bool,
    #[serde(default = "default_rescale_factor")]
    pub rescale_factor: f64,
    #[serde(default)]
    pub do_normalize: bool,
    pub image_mean: Option<[f32; 3]>,
    pub image_std: Option<[f32; 3]>,
    /// Class that wrote the config; older configs name it `feature_extractor_type`.
    #[serde(alias = "feature_extractor_type")]
    pub image_processor_type: Option<String>,
}

fn default_resample() -> u32 {
    PIL_BICUBIC
}

fn default_do_rescale() -> bool {
    true
}

fn default_rescale_factor() -> f64 {
    1.0 / f64::from(u8::MAX)
}

/// Turns RGB images into the normalised `pixel_values` tensor a vision tower takes.
#[derive(Debug, Clone)]
pub struct ImageProcessor {
    config: ImageProcessorConfig,
    filter: ResampleFilter,
}

impl ImageProcessor {
    /// Checks a config and builds the processor.
    pub fn new(config: ImageProcessorConfig) -> Result<Self> {
        let unsupported = |field, value: String, reason: &str| EncoderError::UnsupportedConfig {
            model: "image processor",
            field,
            value,
            reason: reason.to_owned(),
        };
        let filter = ResampleFilter::from_pil(config.resample).ok_or_else(|| {
            unsupported("resample", config.resample.to_string(), "supported are 1 (lanczos), 2 (bilinear) and 3 (bicubic)")
        })?;
        if config.do_resize && config.size.is_none() {
            return Err(unsupported("size", "null".into(), "do_resize needs a size"));
        }
        if config.do_center_crop && config.crop_size.is_none() {
            return Err(unsupported("crop_size", "null".into(), "do_center_crop needs a crop_size"));
        }
        if config.do_normalize && (config.image_mean.is_none() || config.image_std.is_none()) {
            return Err(unsupported("image_mean", "null".into(), "do_normalize needs image_mean and image_std"));
        }
        if let Some(std) = config.image_std.filter(|std| std.contains(&0.0)) {
            return Err(unsupported("image_std", format!("{std:?}"), "a zero standard deviation divides by zero"));
        }
        let mut config = config;
        if let Some(ResizeTarget::Number(side)) = config.size {
            let keeps_aspect = config
                .image_processor_type
                .as_deref()
                .is_some_and(|name| SHORTEST_EDGE_PROCESSORS.iter().any(|known| name.starts_with(known)));
            config.size = Some(if keeps_aspect {
                ResizeTarget::ShortestEdge { shortest_edge: side }
            } else {
                ResizeTarget::Exact {
                    height: side,
                    width: side,
                }
            });
        }
        Ok(Self { config, filter })
    }

    /// Reads a `preprocessor_config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::new(read_json(path)?)
    }

    pub fn config(&self) -> &ImageProcessorConfig {
        &self.config
    }

    /// Returns the `(height, width)` of the processed images when it does not depend on the
    /// input, i.e. with a center crop or an exact resize.
    pub fn output_size(&self) -> Option<(u32, u32)> {
        match (self.config.do_center_crop, self.config.crop_size, self.config.do_resize, self.config.size) {
            (true, Some(crop), _, _) => Some(crop.dimensions()),
            (_, _, true, Some(ResizeTarget::Exact { height, width })) => Some((height, width)),
            _ => None,
        }
    }

    /// Resizes and center-crops one image; the 8-bit steps before rescaling.
    pub fn resize_and_crop(&self, image: &RgbImage) -> RgbImage {
        let mut image = std::borrow::Cow::Borrowed(image);
        if self.config.do_resize
            && let Some(target) = self.config.size
        {
            let (width, height) = resized_size(image.width(), image.height(), target);
            image = std::borrow::Cow::Owned(resize_rgb8(&image, width, height, self.filter));
        }
        if self.config.do_center_crop
            && let Some(crop) = self.config.crop_size
        {
            image = std::borrow::Cow::Owned(center_crop(&image, crop));
        }
        image.into_owned()
    }

    /// Processes one image into channel-first values `[3, height, width]`.
    pub fn pixel_values(&self, image: &RgbImage) -> (Vec<f32>, (u32, u32)) {
        let image = self.resize_and_crop(image);
        let (width, height) = image.dimensions();
        let plane = (width * height) as usize;
        let mut values = vec![0f32; 3 * plane];
        for (index, pixel) in image.pixels().enumerate() {
            for channel in 0..3 {
                values[channel * plane + index] = self.scale(pixel.0[channel], channel);
            }
        }
        (values, (height, width))
    }

    /// Rescales and normalises one 8-bit value with transformers' dtypes: the rescale in
    /// float64 then cast to float32, the normalisation in float32.
    fn scale(&self, value: u8, channel: usize) -> f32 {
        let mut value = if self.config.do_rescale {
            (f64::from(value) * self.config.rescale_factor) as f32
        } else {
            f32::from(value)
        };
        if self.config.do_normalize
            && let (Some(mean), Some(std)) = (self.config.image_mean, self.config.image_std)
        {
            value = (value - mean[channel]) / std[channel];
        }
        value
    }

    /// Processes a batch into a `[batch, 3, height, width]` float32 tensor. All images must
    /// come out at the same size, which a center crop or an exact resize guarantees.
    pub fn preprocess(&self, images: &[RgbImage], device: &Device) -> Result<Tensor> {
        let Some(first) = images.first() else {
            return Err(EncoderError::InvalidInput("preprocess needs at least one image".into()));
        };
        let mut batch = Vec::new();
        let (_, (height, width)) = self.pixel_values(first);
        for (index, image) in images.iter().enumerate() {
            let (values, size) = self.pixel_values(image);
            if size != (height, width) {
                return Err(EncoderError::InvalidInput(format!(
                    "image {index} preprocesses to {}x{} but image 0 to {height}x{width}; \
                     use a config with a center crop or an exact size to batch images of different shapes",
                    size.0, size.1
                )));
            }
            batch.extend(values);
        }
        Ok(Tensor::from_vec(
            batch,
            (images.len(), 3, height as usize, width as usize),
            device,
        )?)
    }
}

/// Output `(width, height)` of the resize step, as transformers' `get_resize_output_image_size`
/// with `default_to_square=False`: the shorter edge gets the target, the longer edge is scaled
/// and truncated.
pub fn resized_size(width: u32, height: u32, target: ResizeTarget) -> (u32, u32) {
    match target {
        ResizeTarget::Exact { height, width } => (width, height),
        ResizeTarget::Number(side) => (side, side),
        ResizeTarget::ShortestEdge { shortest_edge } => {
            let (short, long) = if width <= height { (width, height) } else { (height, width) };
            let new_long = (f64::from(shortest_edge) * f64::from(long) / f64::from(short)) as u32;
            if width <= height { (shortest_edge, new_long) } else { (new_long, shortest_edge) }
        }
    }
}

/// Crops the center of `image`, zero-padding an image smaller than the crop, as transformers'
/// `center_crop` does.
pub fn center_crop(image: &RgbImage, crop: CropSize) -> RgbImage {
    let (width, height) = (i64::from(image.width()), i64::from(image.height()));
    // Python's floor division. transformers pads a smaller image by ceil(difference / 2) before
    // it, which is exactly minus this offset, so the source of output pixel (x, y) is
    // (x + left, y + top) in every case and zero outside the image.
    let (crop_height, crop_width) = crop.dimensions();
    let top = (height - i64::from(crop_height)).div_euclid(2);
    let left = (width - i64::from(crop_width)).div_euclid(2);

    let mut output = RgbImage::new(crop_width, crop_height);
    for (x, y, pixel) in output.enumerate_pixels_mut() {
        let (source_x, source_y) = (i64::from(x) + left, i64::from(y) + top);
        if (0..width).contains(&source_x) && (0..height).contains(&source_y) {
            *pixel = *image.get_pixel(source_x as u32, source_y as u32);
        }
    }
    output
}

/// Loads an image file and converts it to 8-bit RGB, as `do_convert_rgb` does.
pub fn load_rgb(path: &Path) -> Result<RgbImage> {
    let image = image::open(path).map_err(|source| EncoderError::Image {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(image.to_rgb8())
}
