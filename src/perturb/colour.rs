//! Colour helpers: hue rotation in HSV, black-body tints and the named colour palette that
//! distractors are drawn from.

use crate::scene::Rgb;

/// Colours further apart than this (Euclidean distance of sRGB components in 0..=1) count as
/// different colours when choosing distractors.
pub const DISTINCT_COLOUR_DISTANCE: f32 = 0.3;

/// Named, clearly distinct sRGB colours for distractors.
pub const PALETTE: [(&str, Rgb); 10] = [
    ("red", [0.8, 0.1, 0.08]),
    ("green", [0.2, 0.6, 0.25]),
    ("blue", [0.12, 0.25, 0.8]),
    ("yellow", [0.9, 0.8, 0.1]),
    ("orange", [0.9, 0.45, 0.1]),
    ("purple", [0.5, 0.2, 0.65]),
    ("white", [0.92, 0.92, 0.9]),
    ("black", [0.08, 0.08, 0.09]),
    ("pink", [0.9, 0.5, 0.65]),
    ("cyan", [0.2, 0.75, 0.8]),
];

pub fn colour_distance(a: Rgb, b: Rgb) -> f32 {
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt()
}

/// Converts sRGB components to (hue in degrees 0..360, saturation, value).
pub fn rgb_to_hsv([r, g, b]: Rgb) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    let hue = if chroma <= 0.0 {
        0.0
    } else if max == r {
        60.0 * ((g - b) / chroma).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / chroma + 2.0)
    } else {
        60.0 * ((r - g) / chroma + 4.0)
    };
    let saturation = if max > 0.0 { chroma / max } else { 0.0 };
    (hue, saturation, max)
}

pub fn hsv_to_rgb(hue_deg: f32, saturation: f32, value: f32) -> Rgb {
    let chroma = value * saturation;
    let sector = hue_deg.rem_euclid(360.0) / 60.0;
    let x = chroma * (1.0 - (sector.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match sector as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = value - chroma;
    [r + m, g + m, b + m]
}

/// Rotates the hue of `colour` by `degrees`, keeping saturation and value. Greys are unchanged.
pub fn rotate_hue(colour: Rgb, degrees: f32) -> Rgb {
    let (hue, saturation, value) = rgb_to_hsv(colour);
    hsv_to_rgb(hue + degrees, saturation, value)
}

/// Relative luminance of sRGB components as Rec. 709 weights give it (without linearising).
pub fn luma([r, g, b]: Rgb) -> f32 {
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// Wavelengths that stand for the red, green and blue channels in the black-body tint, metres.
const CHANNEL_WAVELENGTHS_M: [f64; 3] = [610e-9, 550e-9, 465e-9];
/// Second radiation constant h·c/k_B, metre-kelvin.
const SECOND_RADIATION_CONSTANT_M_K: f64 = 1.438_776_877e-2;
/// Colour temperature whose tint is white, kelvin (CIE illuminant D65 is close to it).
pub const WHITE_TEMPERATURE_K: f64 = 6500.0;

/// Light colour of a black body at `kelvin` relative to one at [`WHITE_TEMPERATURE_K`].
///
/// An approximation: each channel takes Planck's spectral radiance at one wavelength
/// (610, 550 and 465 nm) divided by the radiance at 6500 K, and the three are scaled so that
/// the largest is 1. At 6500 K it gives white, below it orange-red, above it blue. It ignores
/// the width of real colour matching functions, so hues are near but not equal to the CIE
/// Planckian locus.
pub fn black_body_tint(kelvin: f64) -> Rgb {
    let radiance = |wavelength_m: f64, kelvin: f64| {
        1.0 / (wavelength_m.powi(5)
            * ((SECOND_RADIATION_CONSTANT_M_K / (wavelength_m * kelvin)).exp() - 1.0))
    };
    let relative = CHANNEL_WAVELENGTHS_M
        .map(|wavelength| radiance(wavelength, kelvin) / radiance(wavelength, WHITE_TEMPERATURE_K));
    let max = relative.iter().copied().fold(f64::MIN, f64::max);
    relative.map(|channel| (channel / max) as f32)
}
