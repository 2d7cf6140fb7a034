//! Image resizing that reproduces Pillow's `Image.resize` for 8-bit RGB images bit for bit.
//!
//! transformers' image processors resize through Pillow. The `image` crate's filters differ from
//! it: `imageops::resize` with `CatmullRom` (image 0.25) is off by up to 0.039 in normalised
//! SigLIP pixel values on the reference images, 5 levels of 255. This follows Pillow 13's `Resample.c`. The convolution is
//! separable, and its kernel is widened by the scale when downscaling (antialiasing). The
//! coefficients are normalised per output pixel and quantised to fixed point. Each of the two
//! passes rounds to 8 bits, in the order that Pillow 13 picks.

use image::RgbImage;

/// Fractional bits of Pillow's fixed-point filter coefficients for 8-bit images.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Number of channels of an RGB pixel.
const CHANNELS: usize = 3;

/// Resampling filter, numbered as Pillow's `Image.Resampling` and the `resample` field of a
/// `preprocessor_config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResampleFilter {
    /// Lanczos with 3 lobes (`resample: 1`).
    Lanczos,
    /// Triangle filter (`resample: 2`).
    Bilinear,
    /// Keys cubic convolution with a = -0.5 (`resample: 3`).
    Bicubic,
}

impl ResampleFilter {
    /// Maps Pillow's filter number; nearest (0), box (4) and hamming (5) are not implemented.
    pub fn from_pil(code: u32) -> Option<Self> {
        match code {
            1 => Some(Self::Lanczos),
            2 => Some(Self::Bilinear),
            3 => Some(Self::Bicubic),
            _ => None,
        }
    }

    /// Kernel radius in input pixels at scale 1.
    fn support(self) -> f64 {
        match self {
            Self::Lanczos => 3.0,
            Self::Bilinear => 1.0,
            Self::Bicubic => 2.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        match self {
            Self::Lanczos => {
                if (-3.0..3.0).contains(&x) {
                    sinc(x) * sinc(x / 3.0)
                } else {
                    0.0
                }
            }
            Self::Bilinear => {
                let x = x.abs();
                if x < 1.0 { 1.0 - x } else { 0.0 }
            }
            Self::Bicubic => {
                const A: f64 = -0.5;
                let x = x.abs();
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
        }
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

/// Fixed-point filter taps of one output pixel: the first input index and one weight per tap.
struct Taps {
    start: usize,
    weights: Vec<i32>,
}

/// Computes the taps of every output pixel along one axis, as Pillow's `precompute_coeffs`
/// followed by `normalize_coeffs_8bpc`.
fn precompute_taps(in_size: usize, out_size: usize, filter: ResampleFilter) -> Vec<Taps> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = filter.support() * filter_scale;
    let inverse_filter_scale = 1.0 / filter_scale;

    (0..out_size)
        .map(|out_index| {
            let center = (out_index as f64 + 0.5) * scale;
            // Pillow rounds by adding 0.5 and truncating toward zero.
            let start = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let weights: Vec<f64> = (start..end)
                .map(|x| filter.weight((x as f64 - center + 0.5) * inverse_filter_scale))
                .collect();
            let total: f64 = weights.iter().sum();
            let one = f64::from(1u32 << PRECISION_BITS);
            let weights = weights
                .iter()
                .map(|&w| {
                    let w = if total != 0.0 { w / total } else { w };
                    if w < 0.0 { (-0.5 + w * one) as i32 } else { (0.5 + w * one) as i32 }
                })
                .collect();
            Taps { start, weights }
        })
        .collect()
}

/// Rounds a fixed-point accumulator to an 8-bit value, as Pillow's `clip8`.
fn clip8(accumulator: i32) -> u8 {
    if accumulator >= (1 << PRECISION_BITS << 8) {
        u8::MAX
    } else if accumulator <= 0 {
        0
    } else {
        (accumulator >> PRECISION_BITS) as u8
    }
}

/// Runs the horizontal pass over `rows` of a `width`-pixel-wide image.
fn horizontal_pass(pixels: &[u8], width: usize, rows: std::ops::Range<usize>, taps: &[Taps]) -> Vec<u8> {
    let rounding = 1i32 << (PRECISION_BITS - 1);
    let out_width = taps.len();
    let mut output = vec![0u8; rows.len() * out_width * CHANNELS];
    for (out_y, y) in rows.enumerate() {
        let in_row = &pixels[y * width * CHANNELS..(y + 1) * width * CHANNELS];
        let out_row = &mut output[out_y * out_width * CHANNELS..(out_y + 1) * out_width * CHANNELS];
        for (x, taps) in taps.iter().enumerate() {
            for channel in 0..CHANNELS {
                let mut accumulator = rounding;
                for (tap, &weight) in taps.weights.iter().enumerate() {
                    accumulator += i32::from(in_row[(taps.start + tap) * CHANNELS + channel]) * weight;
                }
                out_row[x * CHANNELS + channel] = clip8(accumulator);
            }
        }
    }
    output
}

/// Runs the vertical pass over a `width`-pixel-wide image whose first row is source row
/// `row_offset`.
fn vertical_pass(pixels: &[u8], width: usize, taps: &[Taps], row_offset: usize) -> Vec<u8> {
    let rounding = 1i32 << (PRECISION_BITS - 1);
    let mut output = vec![0u8; taps.len() * width * CHANNELS];
    for (y, taps) in taps.iter().enumerate() {
        for x in 0..width {
            for channel in 0..CHANNELS {
                let mut accumulator = rounding;
                for (tap, &weight) in taps.weights.iter().enumerate() {
                    let row = taps.start + tap - row_offset;
                    accumulator += i32::from(pixels[(row * width + x) * CHANNELS + channel]) * weight;
                }
                output[(y * width + x) * CHANNELS + channel] = clip8(accumulator);
            }
        }
    }
    output
}

/// Resizes `image` to `width` x `height` exactly as Pillow's `Image.resize(size, filter)` does
/// for an RGB image.
pub fn resize_rgb8(image: &RgbImage, width: u32, height: u32, filter: ResampleFilter) -> RgbImage {
    let (in_width, in_height) = (image.width() as usize, image.height() as usize);
    let (out_width, out_height) = (width as usize, height as usize);
    if (in_width, in_height) == (out_width, out_height) {
        return image.clone();
    }
    let need_horizontal = in_width != out_width;
    let need_vertical = in_height != out_height;
    let horizontal = precompute_taps(in_width, out_width, filter);
    let vertical = precompute_taps(in_height, out_height, filter);

    // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as
    // many pixels as the width. Each pass rounds to 8 bits, so the order changes the result.
    let height_shrink = in_height as i64 - out_height as i64;
    let vertical_first = height_shrink > 0 && height_shrink > 2 * (in_width as i64 - out_width as i64);

    let pixels = if vertical_first {
        let pixels = vertical_pass(image.as_raw(), in_width, &vertical, 0);
        if need_horizontal {
            horizontal_pass(&pixels, in_width, 0..out_height, &horizontal)
        } else {
            pixels
        }
    } else {
        // Only the source rows that the vertical pass reads go through the horizontal pass.
        let first_row = vertical.first().map_or(0, |taps| taps.start);
        let last_row = vertical.last().map_or(0, |taps| taps.start + taps.weights.len());
        let (pixels, row_offset) = if need_horizontal {
            (horizontal_pass(image.as_raw(), in_width, first_row..last_row, &horizontal), first_row)
        } else {
            (image.as_raw().clone(), 0)
        };
        if need_vertical {
            vertical_pass(&pixels, out_width, &vertical, row_offset)
        } else {
            pixels
        }
    };
    RgbImage::from_raw(width, height, pixels).expect("buffer size matches the output size")
}
